//! The write buffer: data accepted by `write` and not yet sent.
//!
//! A queue of chunks. Small writes are copied into the last chunk so that
//! many of them go out in one system call; a large buffer is kept as the
//! caller handed it (a `Vec`, a `String`, a `&'static [u8]`, an `Rc<[u8]>`,
//! ...), never copied, and sent straight from there. Sending gathers up to
//! [`MAX_SLICES`] chunks into one `writev`.

use std::collections::VecDeque;
use std::io::IoSlice;

/// Writes up to this size are copied into the previous small chunk
/// (Tornado's `_StreamBuffer._large_buf_threshold`).
const SMALL: usize = 2048;

/// Chunks gathered into one `writev` at most.
pub(crate) const MAX_SLICES: usize = 64;

enum Chunk {
    /// Small writes, copied and coalesced.
    Small(Vec<u8>),
    /// A large buffer, as the caller gave it.
    Large(Box<dyn AsRef<[u8]>>),
}

impl Chunk {
    #[inline]
    fn bytes(&self) -> &[u8] {
        match self {
            Chunk::Small(v) => v,
            Chunk::Large(b) => (**b).as_ref(),
        }
    }
}

/// See the module documentation.
#[derive(Default)]
pub(crate) struct WriteBuffer {
    chunks: VecDeque<Chunk>,
    /// Bytes of the first chunk already sent.
    first_pos: usize,
    size: usize,
}

impl WriteBuffer {
    /// Bytes waiting to be sent.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.size
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// Appends `data[skip..]`.
    pub(crate) fn push<B: AsRef<[u8]> + 'static>(&mut self, data: B, skip: usize) {
        let len = data.as_ref().len() - skip;
        if len == 0 {
            return;
        }
        if len <= SMALL {
            let bytes = &data.as_ref()[skip..];
            if let Some(Chunk::Small(last)) = self.chunks.back_mut() {
                if last.len() < SMALL {
                    last.extend_from_slice(bytes);
                    self.size += len;
                    return;
                }
            }
            self.push_chunk(Chunk::Small(bytes.to_vec()), 0);
        } else {
            self.push_chunk(Chunk::Large(Box::new(data)), skip);
        }
        self.size += len;
    }

    fn push_chunk(&mut self, chunk: Chunk, skip: usize) {
        if self.chunks.is_empty() {
            self.first_pos = skip;
        } else if skip > 0 {
            // Only the first chunk has an offset: copy the rest of a
            // partially sent buffer that is not first (does not happen: a
            // partial send only leaves a remainder in an empty buffer).
            let bytes = chunk.bytes()[skip..].to_vec();
            self.chunks.push_back(Chunk::Small(bytes));
            return;
        }
        self.chunks.push_back(chunk);
    }

    /// Fills `slices` with the data to send next; returns how many.
    pub(crate) fn slices<'a>(&'a self, slices: &mut [IoSlice<'a>; MAX_SLICES]) -> usize {
        let mut n = 0;
        for (i, chunk) in self.chunks.iter().take(MAX_SLICES).enumerate() {
            let bytes = chunk.bytes();
            slices[i] = IoSlice::new(if i == 0 { &bytes[self.first_pos..] } else { bytes });
            n += 1;
        }
        n
    }

    /// `n` bytes were sent.
    pub(crate) fn advance(&mut self, mut n: usize) {
        debug_assert!(n <= self.size);
        self.size -= n;
        while n > 0 {
            let Some(first) = self.chunks.front() else {
                break;
            };
            let remaining = first.bytes().len() - self.first_pos;
            if n >= remaining {
                n -= remaining;
                self.chunks.pop_front();
                self.first_pos = 0;
            } else {
                self.first_pos += n;
                n = 0;
            }
        }
    }

    /// Drops everything.
    pub(crate) fn clear(&mut self) {
        self.chunks.clear();
        self.first_pos = 0;
        self.size = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents(wb: &WriteBuffer) -> Vec<u8> {
        let mut slices = [IoSlice::new(&[]); MAX_SLICES];
        let n = wb.slices(&mut slices);
        slices[..n].iter().flat_map(|s| s.iter().copied()).collect()
    }

    #[test]
    fn small_writes_coalesce_large_ones_are_kept() {
        let mut wb = WriteBuffer::default();
        wb.push(b"ab", 0);
        wb.push(vec![b'c', b'd'], 0);
        assert_eq!(wb.chunks.len(), 1);
        let big = vec![7u8; 10_000];
        wb.push(big, 0);
        wb.push("ef", 0);
        assert_eq!(wb.chunks.len(), 3);
        assert_eq!(wb.len(), 10_006);
        let all = contents(&wb);
        assert_eq!(&all[..4], b"abcd");
        assert_eq!(&all[10_004..], b"ef");
    }

    #[test]
    fn advance_across_chunks_and_partial_first() {
        let mut wb = WriteBuffer::default();
        wb.push(vec![1u8; 3000], 100);
        wb.push(b"xyz", 0);
        assert_eq!(wb.len(), 2903);
        wb.advance(2899);
        assert_eq!(contents(&wb), vec![1, b'x', b'y', b'z']);
        wb.advance(2);
        assert_eq!(contents(&wb), b"yz");
        wb.push(b"!", 0);
        assert_eq!(contents(&wb), b"yz!");
        wb.advance(3);
        assert!(wb.is_empty());
        assert!(contents(&wb).is_empty());
    }
}
