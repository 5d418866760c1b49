//! A clear message instead of a silent crash when a coroutine overflows its
//! stack.
//!
//! Running off the end of a coroutine stack touches its guard page and the
//! kernel sends SIGSEGV. Without help the process dies with exit status 139
//! and no word of why. This module installs a SIGSEGV/SIGBUS handler that
//! runs on the thread's alternate signal stack (the coroutine's own stack is
//! exhausted), recognises a fault inside one of our guard pages, prints
//!
//! ```text
//! gust: stack overflow in coroutine 'NAME' (stack size N bytes); give it a larger stack ...
//! ```
//!
//! and aborts. A fault anywhere else is handed to the handler that was
//! installed before (the Rust runtime's own, which reports overflows of
//! thread stacks), or to the default action.
//!
//! The handler only reads a static table of regions and the slot header
//! (`slot_header.rs`, a bounded copy of the name inside the slot), and
//! writes to stderr with `write(2)`: it is async-signal-safe.

use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::runner::GEN_LOG;
use crate::slot_header::SlotHeader;
use crate::sys::{self, page_size};

/// How many regions the handler can know about at once (each is 32 MiB of
/// stacks, so this covers 2 TiB of address space).
const MAX_REGIONS: usize = 65536;

struct RegionEntry {
    base: AtomicUsize,
    len: AtomicUsize,
    slot_size: AtomicUsize,
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: RegionEntry = RegionEntry {
    base: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
    slot_size: AtomicUsize::new(0),
};

static REGIONS: [RegionEntry; MAX_REGIONS] = [EMPTY; MAX_REGIONS];
/// One past the highest entry ever used.
static HIGH_WATER: AtomicUsize = AtomicUsize::new(0);

/// Records a region of stack slots; returns its table index.
pub(crate) fn register_region(base: usize, len: usize, slot_size: usize) -> Option<usize> {
    for (index, entry) in REGIONS.iter().enumerate() {
        if entry
            .base
            .compare_exchange(0, usize::MAX, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            entry.len.store(len, Ordering::Relaxed);
            entry.slot_size.store(slot_size, Ordering::Relaxed);
            entry.base.store(base, Ordering::Release);
            HIGH_WATER.fetch_max(index + 1, Ordering::AcqRel);
            return Some(index);
        }
    }
    gust_ioloop::gust_log!(target: GEN_LOG, log::Level::Warn, "more than {MAX_REGIONS} stack regions: overflows in new ones will not be named");
    None
}

/// Forgets a region (it is being unmapped).
pub(crate) fn unregister_region(index: usize) {
    if let Some(entry) = REGIONS.get(index) {
        entry.base.store(0, Ordering::Release);
    }
}

/// The slot whose guard page contains `addr`: (slot base, slot size).
fn find_guard(addr: usize) -> Option<(usize, usize)> {
    let page = page_size();
    let high = HIGH_WATER.load(Ordering::Acquire).min(MAX_REGIONS);
    for entry in &REGIONS[..high] {
        let base = entry.base.load(Ordering::Acquire);
        if base == 0 || base == usize::MAX {
            continue;
        }
        let len = entry.len.load(Ordering::Relaxed);
        let slot_size = entry.slot_size.load(Ordering::Relaxed);
        if addr >= base && addr < base + len && slot_size != 0 {
            let slot = base + (addr - base) / slot_size * slot_size;
            if addr < slot + page {
                return Some((slot, slot_size));
            }
            return None;
        }
    }
    None
}

/// The handlers that were installed before ours.
struct Previous {
    segv: std::cell::UnsafeCell<libc::sigaction>,
    bus: std::cell::UnsafeCell<libc::sigaction>,
}

// SAFETY: written once inside `INSTALL.call_once` before our handler is
// installed, and only read afterwards (by the handler).
unsafe impl Sync for Previous {}

static PREVIOUS: Previous = Previous {
    // SAFETY: an all-zero sigaction is a valid value (SIG_DFL, no flags).
    segv: std::cell::UnsafeCell::new(unsafe { std::mem::zeroed() }),
    // SAFETY: as above.
    bus: std::cell::UnsafeCell::new(unsafe { std::mem::zeroed() }),
};

static INSTALL: Once = Once::new();

/// Installs the SIGSEGV/SIGBUS handler, once per process.
pub(crate) fn ensure_installed() {
    INSTALL.call_once(|| {
        // SAFETY: we build a valid sigaction for our extern "C" handler with
        // SA_SIGINFO | SA_ONSTACK and save the previous ones in PREVIOUS
        // before any fault can reach our handler.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGSEGV, &action, PREVIOUS.segv.get());
            libc::sigaction(libc::SIGBUS, &action, PREVIOUS.bus.get());
        }
    });
}

/// Writes `bytes` to stderr, ignoring errors (signal-safe).
fn write_stderr(bytes: &[u8]) {
    // SAFETY: write(2) on fd 2 with a valid buffer; async-signal-safe.
    unsafe {
        libc::write(2, bytes.as_ptr() as *const libc::c_void, bytes.len());
    }
}

/// Formats `n` in decimal into `buf`, returning the digits (signal-safe).
fn format_decimal(mut n: usize, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

extern "C" fn handler(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let addr = unsafe { (*info).si_addr() } as usize;
    if let Some((slot, slot_size)) = find_guard(addr) {
        // SAFETY: the header lies in the slot's top bytes, inside a mapped
        // region we registered; it is ordinary readable memory, and any
        // bytes there are a valid header.
        let header = unsafe { SlotHeader::read_from(SlotHeader::addr(slot, slot_size)) };
        write_stderr(b"\ngust: stack overflow in coroutine '");
        match header.name() {
            Some(name) => {
                write_stderr(name);
                if header.is_truncated() {
                    write_stderr(b"...");
                }
            }
            None => write_stderr(b"<unknown>"),
        }
        let mut buf = [0u8; 20];
        write_stderr(b"' (stack size ");
        write_stderr(format_decimal(header.stack_size().unwrap_or(0), &mut buf));
        write_stderr(
            b" bytes); give it a larger stack with gen_::Builder::stack_size or engine::set_default_stack_size\n",
        );
        // SAFETY: abort is async-signal-safe and does not return.
        unsafe { libc::abort() };
    }
    // Not ours: hand the fault to whoever handled it before.
    let previous = if signal == libc::SIGBUS {
        PREVIOUS.bus.get()
    } else {
        PREVIOUS.segv.get()
    };
    // SAFETY: PREVIOUS was filled before our handler was installed and is
    // never written again; the previous handler is called with the same
    // arguments the kernel gave us, per its own flags.
    unsafe {
        let previous = &*previous;
        let action = previous.sa_sigaction;
        if action == libc::SIG_DFL || action == libc::SIG_IGN {
            // Restore it and return: the faulting instruction runs again and
            // takes the default action (a core dump).
            libc::sigaction(signal, previous, std::ptr::null_mut());
        } else if previous.sa_flags & libc::SA_SIGINFO != 0 {
            let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                std::mem::transmute(action);
            f(signal, info, context);
        } else {
            let f: extern "C" fn(libc::c_int) = std::mem::transmute(action);
            f(signal);
        }
    }
}

/// The alternate signal stack this module installed on a thread (if the
/// thread had none), freed when the thread exits.
struct AltStack {
    base: usize,
    len: usize,
}

impl Drop for AltStack {
    fn drop(&mut self) {
        // SAFETY: we disable the alternate stack we installed on this
        // thread, then unmap the memory we mapped for it.
        unsafe {
            let mut disable: libc::stack_t = std::mem::zeroed();
            disable.ss_flags = libc::SS_DISABLE;
            libc::sigaltstack(&disable, std::ptr::null_mut());
            let _ = sys::unmap(self.base, self.len);
        }
    }
}

thread_local! {
    static ALT_STACK: std::cell::RefCell<Option<AltStack>> = const { std::cell::RefCell::new(None) };
    static ALT_CHECKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Makes sure the calling thread has an alternate signal stack, so the
/// handler can run when a coroutine stack is exhausted. Threads started by
/// the Rust runtime usually have one already.
pub(crate) fn ensure_altstack() {
    if ALT_CHECKED.try_with(|c| c.replace(true)).unwrap_or(true) {
        return;
    }
    // SAFETY: querying the current alternate stack has no preconditions.
    let has_one = unsafe {
        let mut current: libc::stack_t = std::mem::zeroed();
        libc::sigaltstack(std::ptr::null(), &mut current) == 0 && current.ss_flags & libc::SS_DISABLE == 0
    };
    if has_one {
        return;
    }
    let page = page_size();
    let len = 64 * 1024 + page;
    let Ok(base) = sys::map_anonymous(len, false) else {
        return;
    };
    // SAFETY: `base..base+len` was mapped just above and is ours: its
    // lowest page becomes a guard, the rest is handed to sigaltstack and
    // kept until the thread exits (or unmapped at once if refused).
    unsafe {
        let _ = sys::protect_none(base, page);
        let mut stack: libc::stack_t = std::mem::zeroed();
        stack.ss_sp = (base + page) as *mut libc::c_void;
        stack.ss_size = len - page;
        stack.ss_flags = 0;
        if libc::sigaltstack(&stack, std::ptr::null_mut()) != 0 {
            let _ = sys::unmap(base, len);
            return;
        }
    }
    let _ = ALT_STACK.try_with(|slot| *slot.borrow_mut() = Some(AltStack { base, len }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_formatting_without_allocating() {
        let mut buf = [0u8; 20];
        assert_eq!(format_decimal(0, &mut buf), b"0");
        assert_eq!(format_decimal(131_072, &mut buf), b"131072");
        assert_eq!(
            format_decimal(usize::MAX, &mut buf),
            usize::MAX.to_string().as_bytes()
        );
    }

    #[test]
    fn a_fault_is_ours_only_inside_a_guard_page_of_a_registered_region() {
        let page = page_size();
        let slot_size = 4 * page;
        // Above the user address space on every 64-bit Linux target, so no
        // real stack region can contain it (nothing is mapped or touched).
        let base = usize::MAX - (1 << 30) - (1 << 30) % page;
        let index = register_region(base, 4 * slot_size, slot_size).unwrap();
        assert_eq!(find_guard(base), Some((base, slot_size)));
        assert_eq!(find_guard(base + page - 1), Some((base, slot_size)));
        assert_eq!(find_guard(base + page), None, "the usable stack is not a guard");
        assert_eq!(
            find_guard(base + 2 * slot_size + 10),
            Some((base + 2 * slot_size, slot_size))
        );
        assert_eq!(find_guard(base + 4 * slot_size), None, "past the region");
        unregister_region(index);
        assert_eq!(find_guard(base), None);
    }
}
