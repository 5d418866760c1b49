//! Telling threads apart cheaply: the address of a thread-local.

thread_local! {
    static MARK: u8 = const { 0 };
}

/// Identifies the thread that made it, for a cheap "am I on that thread?"
/// test ([`on_thread`]) from code that may run anywhere (a waker).
///
/// It is the address of a thread-local byte: computing it is a few
/// instructions, with no reference count touched (unlike
/// `std::thread::current()`). A thread that has exited may have its
/// address reused by a new thread, so a match means "possibly the same
/// thread": check what you need (the current loop's id, say) before
/// relying on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadMark(usize);

impl ThreadMark {
    /// The calling thread's mark (zero while its thread-locals are being
    /// destroyed, which matches no thread).
    #[inline]
    pub fn current() -> ThreadMark {
        ThreadMark(MARK.try_with(|mark| mark as *const u8 as usize).unwrap_or(0))
    }
}

/// Whether the calling thread may be the one that made `mark`.
#[inline]
pub fn on_thread(mark: ThreadMark) -> bool {
    mark.0 != 0 && ThreadMark::current() == mark
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_tell_threads_apart() {
        let here = ThreadMark::current();
        assert!(on_thread(here));
        let there = std::thread::spawn(ThreadMark::current).join().unwrap();
        assert!(!on_thread(there) || there == here);
        let seen = std::thread::spawn(move || on_thread(here)).join().unwrap();
        assert!(!seen);
    }
}
