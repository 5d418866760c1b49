//! The bytes a connection has read and not yet parsed.

/// Bytes read from a stream and not yet consumed. The stream appends to
/// it (`IOStream::read_available`), so a connection reads with no
/// allocation once the buffer has grown to its messages.
#[derive(Debug, Default)]
pub(crate) struct InBuf {
    data: Vec<u8>,
    start: usize,
}

impl InBuf {
    /// The unconsumed bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.data[self.start..]
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.data.len()
    }

    /// Marks the first `n` unconsumed bytes as consumed.
    pub(crate) fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.data.len() {
            self.data.clear();
            self.start = 0;
        }
    }

    /// The buffer, compacted, for a read to append to; give it back with
    /// [`restore`](Self::restore).
    pub(crate) fn take_for_append(&mut self) -> Vec<u8> {
        if self.start > 0 {
            self.data.drain(..self.start);
            self.start = 0;
        }
        std::mem::take(&mut self.data)
    }

    /// Puts back the buffer [`take_for_append`](Self::take_for_append)
    /// took, with what the read appended.
    pub(crate) fn restore(&mut self, data: Vec<u8>) {
        debug_assert!(self.data.is_empty() && self.start == 0);
        self.data = data;
    }
}
