//! [`SlotToken`]: a slab index and a generation in one word.
//!
//! Tables of live things (the runner's suspended coroutines, native tasks,
//! fd handlers) hand out keys that outlive what they name: a wake for a
//! coroutine that has since finished, an event for a handler that was
//! removed. Each key therefore carries the slot's generation (or the
//! wait's sequence number), and a key whose generation does not match its
//! slot is stale. Packed into one `u64`, such a key travels through a raw
//! loop callback or a mio token without allocating.

use thiserror::Error;

/// A slab index and a generation packed into one word: the generation in
/// the high 32 bits, the index in the low 32.
///
/// ```
/// use gust_ioloop::protocol::SlotToken;
/// let token = SlotToken::new(7, 3).unwrap();
/// assert_eq!(token.to_u64(), (3 << 32) | 7);
/// assert_eq!(SlotToken::from_u64(token.to_u64()), token);
/// assert_eq!(token.index(), 7);
/// assert!(SlotToken::new(1 << 40, 0).is_err()); // an index needs 32 bits
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SlotToken(u64);

impl std::fmt::Debug for SlotToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlotToken")
            .field("index", &self.index())
            .field("generation", &self.generation())
            .finish()
    }
}

/// A table grew past `u32::MAX` entries, so an index no longer fits a
/// [`SlotToken`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error(
    "more than {} live entries in one table: slot {index} cannot be named",
    u32::MAX
)]
pub struct SlotOverflowError {
    /// The index that did not fit.
    pub index: usize,
}

impl SlotToken {
    /// The token of slot `index` in its `generation`.
    #[inline]
    pub fn new(index: usize, generation: u32) -> Result<SlotToken, SlotOverflowError> {
        let index = u32::try_from(index).map_err(|_| SlotOverflowError { index })?;
        Ok(SlotToken((u64::from(generation) << 32) | u64::from(index)))
    }

    /// The same slot in another generation (a later wait of the same
    /// coroutine, say).
    #[inline]
    pub fn with_generation(self, generation: u32) -> SlotToken {
        SlotToken((u64::from(generation) << 32) | (self.0 & 0xffff_ffff))
    }

    /// The slot's index.
    #[inline]
    pub fn index(self) -> usize {
        // 32 bits always fit a usize on the 64-bit targets gust supports.
        usize::try_from(self.0 & 0xffff_ffff).unwrap_or(usize::MAX)
    }

    /// The generation (or sequence number).
    #[inline]
    pub fn generation(self) -> u32 {
        // The high half of a u64 always fits a u32.
        u32::try_from(self.0 >> 32).unwrap_or(u32::MAX)
    }

    /// The packed word.
    #[inline]
    pub fn to_u64(self) -> u64 {
        self.0
    }

    /// Unpacks a word made by [`to_u64`](SlotToken::to_u64).
    #[inline]
    pub fn from_u64(word: u64) -> SlotToken {
        SlotToken(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_and_unpacks_every_corner() {
        for (index, generation) in [(0, 0), (1, 1), (u32::MAX as usize, u32::MAX), (12345, 0)] {
            let token = SlotToken::new(index, generation).unwrap();
            let back = SlotToken::from_u64(token.to_u64());
            assert_eq!((back.index(), back.generation()), (index, generation));
        }
        assert_eq!(SlotToken::new(0, 1).unwrap().to_u64(), 1 << 32);
        let later = SlotToken::new(9, 1).unwrap().with_generation(2);
        assert_eq!((later.index(), later.generation()), (9, 2));
        assert_eq!(format!("{later:?}"), "SlotToken { index: 9, generation: 2 }");
    }

    #[test]
    fn an_index_beyond_32_bits_is_a_typed_error() {
        let error = SlotToken::new(u32::MAX as usize + 1, 0).unwrap_err();
        assert_eq!(error.index, u32::MAX as usize + 1);
        assert!(error.to_string().contains("cannot be named"));
    }
}
