//! The header at the top of every stack slot: what the overflow handler
//! says about the coroutine that ran into its guard page.
//!
//! The stack pool writes it when a stack is handed out (and clears it when
//! the stack comes back); the SIGSEGV handler in `overflow.rs` reads it on
//! the alternate signal stack. The header holds a bounded *copy* of the
//! coroutine's name, not a pointer to it, so what the handler reads never
//! depends on memory outside the slot staying alive.
//!
//! ```text
//! slot base                                                     slot top
//! | guard page | usable stack ...           | SlotHeader (HEADER_BYTES) |
//! ```

use std::mem::size_of;
use std::sync::atomic::{Ordering, compiler_fence};

/// Bytes the header takes at the top of a slot: one cache line (and a
/// multiple of 16, so the stack below it stays 16-byte aligned). A larger
/// header costs a cache miss more per fresh coroutine when many are alive
/// (measured: 128 bytes made `multi` over 100,000 sleeping coroutines ~15%
/// slower).
pub(crate) const HEADER_BYTES: usize = 64;

/// Bytes of the coroutine's name the header keeps; longer names are cut at
/// a character boundary and marked truncated.
pub(crate) const NAME_CAPACITY: usize = HEADER_BYTES - 24;

/// Marks a header as describing a live coroutine ("gust_sta").
const MAGIC: u64 = 0x6775_7374_5f73_7461;

/// The header, as laid out in memory.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct SlotHeader {
    /// [`MAGIC`] while a coroutine owns the slot; 0 otherwise.
    magic: u64,
    /// The usable stack size in bytes.
    stack_size: u64,
    /// How many bytes of `name` are used (at most `NAME_CAPACITY`).
    name_len: u32,
    /// 1 if the name was longer than `NAME_CAPACITY`.
    truncated: u32,
    /// The first `name_len` bytes of the name (UTF-8).
    name: [u8; NAME_CAPACITY],
}

const _: () = assert!(size_of::<SlotHeader>() == HEADER_BYTES);
const _: () = assert!(HEADER_BYTES % 16 == 0);

/// How many bytes of `name` the header keeps: all of it up to
/// `NAME_CAPACITY`, cut at a character boundary.
fn kept_len(name: &str) -> usize {
    let mut len = name.len().min(NAME_CAPACITY);
    while !name.is_char_boundary(len) {
        len -= 1;
    }
    len
}

impl SlotHeader {
    /// Writes the header of a coroutine called `name` with `stack_size`
    /// usable bytes at `addr`: a copy of the name's first `NAME_CAPACITY`
    /// bytes at most, cut at a character boundary. The copy goes straight
    /// into the slot (no intermediate header is built: this runs for every
    /// coroutine), and the magic word last.
    ///
    /// # Safety
    ///
    /// `addr` must be the header address of a slot of a mapping the caller
    /// owns: `HEADER_BYTES` of readable, writable memory, 16-byte aligned,
    /// that no stack frame uses.
    pub(crate) unsafe fn write(addr: usize, name: &str, stack_size: usize) {
        let len = kept_len(name);
        let header = addr as *mut SlotHeader;
        // SAFETY: the caller guarantees `addr` is a writable, aligned
        // header that nothing else uses; `len <= NAME_CAPACITY`, the size
        // of the `name` field. Volatile for the fields: the only reader is
        // a signal handler, which the compiler cannot see.
        unsafe {
            let bytes = std::ptr::addr_of_mut!((*header).name).cast::<u8>();
            std::ptr::copy_nonoverlapping(name.as_ptr(), bytes, len);
            // `len <= NAME_CAPACITY`, which fits a u32.
            std::ptr::addr_of_mut!((*header).name_len).write_volatile(u32::try_from(len).unwrap_or(0));
            std::ptr::addr_of_mut!((*header).truncated).write_volatile(u32::from(len < name.len()));
            std::ptr::addr_of_mut!((*header).stack_size)
                .write_volatile(u64::try_from(stack_size).unwrap_or(u64::MAX));
            compiler_fence(Ordering::Release);
            std::ptr::addr_of_mut!((*header).magic).write_volatile(MAGIC);
        }
    }

    /// Whether a coroutine owns the slot (the header was written and not
    /// cleared since).
    pub(crate) fn is_live(&self) -> bool {
        self.magic == MAGIC
    }

    /// The name's bytes as copied (never more than `NAME_CAPACITY`, whatever
    /// `name_len` says), if the header is live.
    pub(crate) fn name(&self) -> Option<&[u8]> {
        if !self.is_live() {
            return None;
        }
        let len = usize::try_from(self.name_len).map_or(0, |n| n.min(NAME_CAPACITY));
        Some(&self.name[..len])
    }

    /// Whether the name was cut short.
    pub(crate) fn is_truncated(&self) -> bool {
        self.truncated != 0
    }

    /// The usable stack size recorded, if the header is live.
    pub(crate) fn stack_size(&self) -> Option<usize> {
        if self.is_live() {
            usize::try_from(self.stack_size).ok()
        } else {
            None
        }
    }

    /// Where the header of the slot at `slot` (of `slot_size` bytes) is.
    pub(crate) fn addr(slot: usize, slot_size: usize) -> usize {
        slot + slot_size - HEADER_BYTES
    }

    /// Marks the header at `addr` as no longer describing a coroutine.
    ///
    /// # Safety
    ///
    /// As for [`write`](Self::write).
    pub(crate) unsafe fn clear_at(addr: usize) {
        // SAFETY: as in `write`; only the magic word is written.
        unsafe { (addr as *mut u64).write_volatile(0) }
    }

    /// Reads the header at `addr` (async-signal-safe: a plain copy).
    ///
    /// # Safety
    ///
    /// `addr` must be the header address of a slot in a live mapping:
    /// `HEADER_BYTES` of readable memory, 16-byte aligned. Any bytes are a
    /// valid header (all fields are integers); [`is_live`](Self::is_live)
    /// tells whether they mean anything.
    pub(crate) unsafe fn read_from(addr: usize) -> SlotHeader {
        // SAFETY: the caller guarantees `addr` is readable and aligned;
        // every bit pattern is a valid `SlotHeader`.
        unsafe { (addr as *const SlotHeader).read_volatile() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Aligned memory for one header, as a test's stand-in for a slot.
    #[repr(C, align(16))]
    struct Memory([u8; HEADER_BYTES]);

    /// Writes a header into fresh memory and reads it back.
    fn round_trip(name: &str, stack_size: usize) -> SlotHeader {
        let mut memory = Memory([0xAA; HEADER_BYTES]);
        let addr = memory.0.as_mut_ptr() as usize;
        // SAFETY: `memory` is HEADER_BYTES of aligned, writable memory
        // owned by this test.
        unsafe {
            SlotHeader::write(addr, name, stack_size);
            SlotHeader::read_from(addr)
        }
    }

    #[test]
    fn short_names_are_copied_whole() {
        let header = round_trip("worker", 4096);
        assert!(header.is_live());
        assert_eq!(header.name(), Some(&b"worker"[..]));
        assert!(!header.is_truncated());
        assert_eq!(header.stack_size(), Some(4096));
    }

    #[test]
    fn long_names_are_cut_at_the_capacity() {
        let name = "x".repeat(NAME_CAPACITY + 10);
        let header = round_trip(&name, 1);
        assert_eq!(header.name().unwrap().len(), NAME_CAPACITY);
        assert!(header.is_truncated());
        let exact = "y".repeat(NAME_CAPACITY);
        let header = round_trip(&exact, 1);
        assert_eq!(header.name().unwrap(), exact.as_bytes());
        assert!(!header.is_truncated());
    }

    #[test]
    fn names_are_cut_at_a_character_boundary() {
        // 'é' is two bytes: a name whose capacity boundary falls inside
        // one loses the whole character, never half of it.
        let name = format!("{}é", "a".repeat(NAME_CAPACITY - 1));
        let header = round_trip(&name, 1);
        let copied = header.name().unwrap();
        assert_eq!(copied.len(), NAME_CAPACITY - 1);
        assert!(std::str::from_utf8(copied).is_ok());
        assert!(header.is_truncated());
    }

    #[test]
    fn a_cleared_or_zeroed_header_says_nothing() {
        let mut memory = Memory([0; HEADER_BYTES]);
        let addr = memory.0.as_mut_ptr() as usize;
        // SAFETY: as in `round_trip`.
        unsafe {
            assert!(!SlotHeader::read_from(addr).is_live());
            SlotHeader::write(addr, "named", 8192);
            let read = SlotHeader::read_from(addr);
            assert_eq!(read.name(), Some(&b"named"[..]));
            assert_eq!(read.stack_size(), Some(8192));
            SlotHeader::clear_at(addr);
            let read = SlotHeader::read_from(addr);
            assert_eq!(read.name(), None);
            assert_eq!(read.stack_size(), None);
        }
    }

    #[test]
    fn a_corrupt_length_is_bounded() {
        let mut header = round_trip("abc", 1);
        header.name_len = u32::MAX;
        assert_eq!(header.name().unwrap().len(), NAME_CAPACITY);
    }

    #[test]
    fn the_header_sits_at_the_top_of_its_slot() {
        assert_eq!(SlotHeader::addr(0x10000, 0x3000), 0x13000 - HEADER_BYTES);
    }
}
