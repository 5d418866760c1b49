//! The system calls behind the stack pool and the overflow handler.
//!
//! Each wrapper turns a failed call into the `io::Error` of its `errno`
//! (through [`check`]), so that the stack pool reports operating-system
//! failures as errors with a source, never as strings. The calls that
//! change what memory is accessible (`munmap`, `madvise`, `mprotect`) are
//! `unsafe fn`s: their callers must own the memory they name.

use std::io;
use std::sync::OnceLock;

/// `madvise` advice that installs guard regions (Linux 6.13+); not yet in
/// the libc crate.
pub(crate) const MADV_GUARD_INSTALL: libc::c_int = 102;

/// `Ok` if a libc call returned 0 (or more), else the `io::Error` of
/// `errno`.
pub(crate) fn check(rc: libc::c_int) -> io::Result<()> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// The size of a memory page.
pub(crate) fn page_size() -> usize {
    static PAGE: OnceLock<usize> = OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(page).ok().filter(|&p| p > 0).unwrap_or(4096)
    })
}

/// Maps `len` bytes of fresh private anonymous read-write memory and
/// returns its address. With `reserve_only`, the mapping is
/// `MAP_NORESERVE`: address space only, memory on first touch.
pub(crate) fn map_anonymous(len: usize, reserve_only: bool) -> io::Result<usize> {
    let mut flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
    if reserve_only {
        flags |= libc::MAP_NORESERVE;
    }
    // SAFETY: an anonymous private mapping at an address the kernel picks:
    // no existing memory is touched.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            flags,
            -1,
            0,
        )
    };
    if base == libc::MAP_FAILED {
        Err(io::Error::last_os_error())
    } else {
        Ok(base as usize)
    }
}

/// Unmaps `base..base + len`.
///
/// # Safety
///
/// The range must be (part of) a mapping the caller made and owns, and
/// nothing may use that memory afterwards.
pub(crate) unsafe fn unmap(base: usize, len: usize) -> io::Result<()> {
    // SAFETY: the caller owns the range and no longer uses it.
    check(unsafe { libc::munmap(base as *mut libc::c_void, len) })
}

/// `madvise(addr, len, advice)`.
///
/// # Safety
///
/// The range must lie in a mapping the caller owns, and the advice must
/// not take away memory something still uses (`MADV_DONTNEED` zeroes the
/// pages; `MADV_GUARD_INSTALL` makes them fault).
pub(crate) unsafe fn advise(addr: usize, len: usize, advice: libc::c_int) -> io::Result<()> {
    // SAFETY: the caller owns the range and does not use what the advice
    // takes away.
    check(unsafe { libc::madvise(addr as *mut libc::c_void, len, advice) })
}

/// Makes `addr..addr + len` inaccessible (`mprotect(PROT_NONE)`).
///
/// # Safety
///
/// The range must lie in a mapping the caller owns, and nothing may
/// access it afterwards.
pub(crate) unsafe fn protect_none(addr: usize, len: usize) -> io::Result<()> {
    // SAFETY: the caller owns the range and no longer accesses it.
    check(unsafe { libc::mprotect(addr as *mut libc::c_void, len, libc::PROT_NONE) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_is_a_power_of_two() {
        let page = page_size();
        assert!(page >= 4096 && page.is_power_of_two(), "{page}");
    }

    #[test]
    fn check_turns_a_negative_return_into_errno() {
        assert!(check(0).is_ok());
        // SAFETY: closing an fd that is not open has no effect but EBADF.
        let rc = unsafe { libc::close(-1) };
        let error = check(rc).unwrap_err();
        assert_eq!(error.raw_os_error(), Some(libc::EBADF));
    }

    #[test]
    fn map_protect_advise_unmap_round_trip() {
        let page = page_size();
        let base = map_anonymous(2 * page, true).unwrap();
        // SAFETY: the two pages were mapped just above and are used by
        // nothing else; the first becomes a guard, the second is dropped.
        unsafe {
            protect_none(base, page).unwrap();
            advise(base + page, page, libc::MADV_DONTNEED).unwrap();
            unmap(base, 2 * page).unwrap();
        }
        // A huge mapping fails with the kernel's error, not a panic.
        let error = map_anonymous(usize::MAX / 2, false).unwrap_err();
        assert!(error.raw_os_error().is_some(), "{error}");
    }
}
