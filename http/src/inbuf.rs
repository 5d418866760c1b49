//! The bytes a connection has read and not yet parsed.

/// Bytes read from a stream and not yet consumed. Reads are taken whole
/// (no copy) when nothing is pending, appended otherwise.
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

    /// Adds bytes read from the stream.
    pub(crate) fn extend(&mut self, bytes: Vec<u8>) {
        if self.is_empty() {
            self.data = bytes;
            self.start = 0;
        } else {
            if self.start > 0 && self.start >= self.data.len() / 2 {
                self.data.drain(..self.start);
                self.start = 0;
            }
            self.data.extend_from_slice(&bytes);
        }
    }
}
