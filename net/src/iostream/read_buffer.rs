//! The read buffer: bytes received and not yet handed to a reader.
//!
//! One contiguous allocation with a start and an end. Large reads from the
//! socket go straight into the free space after the end; small ones are
//! appended (see `IOStream`'s scratch buffer), so that a stream that only
//! ever sees small messages keeps a buffer the size of its messages, not
//! of a read chunk. Consuming moves the start; consuming everything from a
//! buffer that holds nothing else hands the allocation over instead of
//! copying it. The data is moved back to the front only when the space it
//! frees is at least as large as what is moved, so every byte is moved a
//! bounded number of times: buffering is linear in the bytes received.

/// See the module documentation.
#[derive(Default)]
pub(crate) struct ReadBuffer {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

/// A buffer larger than this that becomes empty is released.
const KEEP_CAPACITY: usize = 256 * 1024;

impl ReadBuffer {
    /// Bytes buffered.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.end - self.start
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The buffered bytes.
    #[inline]
    pub(crate) fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// At least `want` bytes of free space after the buffered data, to read
    /// into; [`commit`](Self::commit) what was filled.
    pub(crate) fn spare(&mut self, want: usize) -> &mut [u8] {
        if self.buf.len() - self.end < want {
            let len = self.len();
            if self.start >= len && self.buf.len() - len >= want {
                // Moving `len` bytes frees at least as much: amortised.
                self.buf.copy_within(self.start..self.end, 0);
            } else {
                let mut grown = vec![0u8; (self.buf.len() * 2).max(len + want)];
                grown[..len].copy_from_slice(self.data());
                self.buf = grown;
            }
            self.start = 0;
            self.end = len;
        }
        &mut self.buf[self.end..self.end + want]
    }

    /// Free space after the buffered data, without growing.
    #[inline]
    pub(crate) fn spare_len(&self) -> usize {
        self.buf.len() - self.end
    }

    /// `n` bytes of the spare space were filled.
    #[inline]
    pub(crate) fn commit(&mut self, n: usize) {
        self.end += n;
    }

    /// Appends `bytes`. Into an empty buffer without room, this is one
    /// allocation of exactly their size.
    pub(crate) fn extend_from_slice(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if self.is_empty() && self.buf.len() < bytes.len() {
            self.buf = bytes.to_vec();
            self.start = 0;
            self.end = bytes.len();
            return;
        }
        let n = bytes.len();
        self.spare(n).copy_from_slice(bytes);
        self.commit(n);
    }

    /// Removes the first `n` buffered bytes and returns them. When they are
    /// everything and fill most of the allocation, the allocation itself is
    /// handed over (no copy).
    pub(crate) fn consume(&mut self, n: usize) -> Vec<u8> {
        if self.start == 0 && n == self.end && n > 0 && self.buf.len() <= 2 * n {
            let mut out = std::mem::take(&mut self.buf);
            out.truncate(n);
            self.end = 0;
            return out;
        }
        let out = self.buf[self.start..self.start + n].to_vec();
        self.advance(n);
        out
    }

    /// Copies as many buffered bytes as fit into `dst`, removing them;
    /// returns how many.
    pub(crate) fn consume_into(&mut self, dst: &mut [u8]) -> usize {
        let n = dst.len().min(self.len());
        dst[..n].copy_from_slice(&self.buf[self.start..self.start + n]);
        self.advance(n);
        n
    }

    /// Removes the first `n` buffered bytes.
    #[inline]
    pub(crate) fn discard(&mut self, n: usize) {
        self.advance(n);
    }

    fn advance(&mut self, n: usize) {
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            if self.buf.len() > KEEP_CAPACITY {
                self.buf = Vec::new();
            }
        }
    }

    /// The position of the first `delimiter` that starts at or after
    /// `from` (an offset into the buffered data).
    pub(crate) fn find(&self, delimiter: &[u8], from: usize) -> Option<usize> {
        find(self.data(), delimiter, from)
    }
}

/// The first occurrence of `needle` in `haystack` at or after `from`.
pub(crate) fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut i = from;
    while i + needle.len() <= haystack.len() {
        let at = haystack[i..haystack.len() - rest.len()]
            .iter()
            .position(|&b| b == first)?;
        let candidate = i + at;
        if &haystack[candidate + 1..candidate + needle.len()] == rest {
            return Some(candidate);
        }
        i = candidate + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_resumes_and_handles_overlaps() {
        assert_eq!(find(b"abc\r\ndef", b"\r\n", 0), Some(3));
        assert_eq!(find(b"abc\r\ndef", b"\r\n", 4), None);
        assert_eq!(find(b"aaab", b"aab", 0), Some(1));
        assert_eq!(find(b"ab", b"abc", 0), None);
        assert_eq!(find(b"xyz", b"z", 0), Some(2));
        assert_eq!(find(b"", b"z", 0), None);
        assert_eq!(find(b"zz", b"z", 5), None);
    }

    #[test]
    fn fill_consume_and_compact() {
        let mut rb = ReadBuffer::default();
        rb.spare(4).copy_from_slice(b"abcd");
        rb.commit(4);
        assert_eq!(rb.consume(1), b"a");
        rb.spare(2)[..2].copy_from_slice(b"ef");
        rb.commit(2);
        assert_eq!(rb.data(), b"bcdef");
        let mut dst = [0u8; 3];
        assert_eq!(rb.consume_into(&mut dst), 3);
        assert_eq!(&dst, b"bcd");
        assert_eq!(rb.consume(2), b"ef");
        assert!(rb.is_empty());
    }

    #[test]
    fn extend_sizes_an_empty_buffer_to_the_data_and_consume_hands_it_over() {
        let mut rb = ReadBuffer::default();
        rb.extend_from_slice(b"hello");
        assert_eq!(rb.buf.len(), 5);
        rb.extend_from_slice(b", world");
        assert_eq!(rb.data(), b"hello, world");
        assert_eq!(rb.consume(5), b"hello");
        // Not everything: copied, the rest stays.
        assert_eq!(rb.data(), b", world");
        let rest = rb.consume(7);
        assert_eq!(rest, b", world");
        assert!(rb.is_empty());
        // Everything, in a tight allocation: handed over.
        rb.extend_from_slice(&[9; 64]);
        let pointer = rb.data().as_ptr();
        let all = rb.consume(64);
        assert_eq!(all.as_ptr(), pointer);
        assert_eq!(all, vec![9; 64]);
        assert!(rb.is_empty());
        assert_eq!(rb.spare_len(), 0);
        // A few bytes in a large allocation are copied out instead (the
        // caller should not hold on to the whole allocation).
        rb.spare(65_536)[..3].copy_from_slice(b"abc");
        rb.commit(3);
        let small = rb.consume(3);
        assert_eq!(small, b"abc");
        assert!(small.capacity() < 1024);
        assert_eq!(rb.spare_len(), 65_536);
    }

    #[test]
    fn bytes_move_a_bounded_number_of_times() {
        // Fill a little at a time, consume a little less: the data stays
        // correct across many compactions and growths.
        let mut rb = ReadBuffer::default();
        let mut expected = std::collections::VecDeque::new();
        let mut next = 0u8;
        for round in 0..2000 {
            let n = 1 + round % 97;
            let spare = rb.spare(n);
            for b in spare.iter_mut() {
                *b = next;
                expected.push_back(next);
                next = next.wrapping_add(1);
            }
            rb.commit(n);
            let take = (n * 3 / 4).min(rb.len());
            let got = rb.consume(take);
            let want: Vec<u8> = expected.drain(..take).collect();
            assert_eq!(got, want);
        }
        assert_eq!(rb.data(), expected.iter().copied().collect::<Vec<_>>().as_slice());
    }
}
