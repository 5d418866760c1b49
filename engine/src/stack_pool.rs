//! Coroutine stacks: fixed-size slots carved from large reserved regions,
//! reused LIFO from a per-thread pool, each with a guard page.
//!
//! Why not corosensei's `DefaultStack`: it maps each stack separately and
//! protects its guard page with `mprotect`, which costs two kernel VMAs per
//! live coroutine. A process may have `vm.max_map_count` VMAs (65530 by
//! default), so it tops out near 32,750 suspended coroutines, and near the
//! limit unrelated things (thread spawn, large reallocations) fail too. A
//! fresh stack also costs 8–12 µs (mmap, mprotect, first page fault).
//!
//! Here, one `MAP_NORESERVE` mapping holds many slots (32 MiB of them), so
//! it costs one VMA, and no memory until touched. Each slot's lowest page
//! becomes a guard with `madvise(MADV_GUARD_INSTALL)` (Linux 6.13+), which
//! does not split the VMA. On older kernels the guard is made with
//! `mprotect`, which does; those stacks are then counted against a budget
//! computed from `/proc/sys/vm/max_map_count` and the mappings already in
//! use, so that exhausting it is a typed error
//! ([`StackExhaustedError`]) and not a failure somewhere else.
//!
//! A slot looks like this (addresses grow upwards):
//!
//! ```text
//! slot base                                                   slot top
//! | guard page | usable stack ...          | colour | header (64 bytes) |
//! ```
//!
//! The colour is a few cache lines left unused so that the tops of
//! different stacks fall in different cache sets (see `COLOURS`).
//!
//! The header (`slot_header.rs`) holds a copy of the coroutine's name and
//! its stack size, for the overflow message printed by the signal handler
//! in `overflow.rs`.

use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

use corosensei::stack::valgrind::ValgrindStackRegistration;
use corosensei::stack::{Stack, StackPointer};
use gust_yieldables::StackExhaustedError;

use crate::overflow;
use crate::slot_header::{HEADER_BYTES, SlotHeader};
use crate::sys::{self, MADV_GUARD_INSTALL, page_size};

/// Bytes of address space reserved per region of slots.
const REGION_BYTES: usize = 32 << 20;

/// Why no stack could be had: a description, and the operating system's
/// error when a system call failed.
#[derive(Debug)]
pub(crate) struct NoStack {
    reason: String,
    source: Option<io::Error>,
}

impl NoStack {
    fn new(reason: impl Into<String>) -> NoStack {
        NoStack {
            reason: reason.into(),
            source: None,
        }
    }

    /// A failed system call: `what` failed with `error`.
    fn os(what: impl Into<String>, error: io::Error) -> NoStack {
        NoStack {
            reason: what.into(),
            source: Some(error),
        }
    }

    fn exhausted(self, stack_size: usize) -> StackExhaustedError {
        StackExhaustedError {
            stack_size,
            reason: self.reason,
            source: self.source.map(Arc::new),
        }
    }
}

/// The size of a slot holding `usable` bytes of stack: a guard page, the
/// stack, room for its colour, the header, rounded up to whole pages.
/// `None` on overflow. (The default 128 KiB stack fits in 34 pages with
/// or without the colours: they use what rounding left over.)
pub(crate) fn slot_size_for(usable: usize, page: usize) -> Option<usize> {
    usable
        .checked_add(page + COLOUR_SPAN + HEADER_BYTES)?
        .checked_next_multiple_of(page)
}

/// Smallest usable stack size accepted: enough for a panic to print a
/// full backtrace (about 25 KiB in debug builds).
pub const MIN_STACK_SIZE: usize = 32 << 10;

/// The usable stack size of a coroutine unless its builder says otherwise:
/// 128 KiB of address space, of which only the pages a coroutine touches
/// use memory.
pub const DEFAULT_STACK_SIZE: usize = 128 << 10;

static DEFAULT_SIZE: AtomicUsize = AtomicUsize::new(DEFAULT_STACK_SIZE);

/// Sets the default usable stack size for coroutines created after this
/// call, process-wide. Rounded up to whole pages; at least
/// [`MIN_STACK_SIZE`].
pub fn set_default_stack_size(bytes: usize) {
    DEFAULT_SIZE.store(bytes.max(MIN_STACK_SIZE), Ordering::Relaxed);
}

/// The current default usable stack size.
pub fn default_stack_size() -> usize {
    DEFAULT_SIZE.load(Ordering::Relaxed)
}

/// How guard pages are made on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardMode {
    /// `madvise(MADV_GUARD_INSTALL)`: no VMA per stack.
    GuardInstall,
    /// `mprotect(PROT_NONE)`: two VMAs per stack, within a budget.
    Mprotect,
}

/// Probes once whether the kernel supports `MADV_GUARD_INSTALL`.
pub fn guard_mode() -> GuardMode {
    static MODE: OnceLock<GuardMode> = OnceLock::new();
    *MODE.get_or_init(|| {
        let page = page_size();
        let Ok(probe) = sys::map_anonymous(2 * page, true) else {
            return GuardMode::Mprotect;
        };
        // SAFETY: the two pages were mapped just above for this probe and
        // nothing else uses them; they are unmapped right after.
        let installed = unsafe {
            let installed = sys::advise(probe, page, MADV_GUARD_INSTALL).is_ok();
            let _ = sys::unmap(probe, 2 * page);
            installed
        };
        if installed {
            GuardMode::GuardInstall
        } else {
            GuardMode::Mprotect
        }
    })
}

/// VMAs the mprotect fallback may still use, process-wide (computed on
/// first use).
static MPROTECT_BUDGET: AtomicIsize = AtomicIsize::new(isize::MIN);

fn take_mprotect_budget() -> Result<(), NoStack> {
    if MPROTECT_BUDGET.load(Ordering::Acquire) == isize::MIN {
        let max = std::fs::read_to_string("/proc/sys/vm/max_map_count")
            .ok()
            .and_then(|s| s.trim().parse::<isize>().ok())
            .unwrap_or(65530);
        let used = std::fs::read_to_string("/proc/self/maps")
            .ok()
            .and_then(|s| isize::try_from(s.lines().count()).ok())
            .unwrap_or(1000);
        // Leave an eighth of the limit (at least 1000 maps) for the rest of
        // the process: threads, allocator arenas, files.
        let headroom = (max / 8).max(1000);
        let budget = (max - used - headroom).max(0);
        let _ = MPROTECT_BUDGET.compare_exchange(isize::MIN, budget, Ordering::AcqRel, Ordering::Acquire);
    }
    // Each mprotect guard splits a VMA into three: two more maps.
    let before = MPROTECT_BUDGET.fetch_sub(2, Ordering::AcqRel);
    if before >= 2 {
        Ok(())
    } else {
        MPROTECT_BUDGET.fetch_add(2, Ordering::AcqRel);
        Err(NoStack::new(format!(
            "the kernel lacks MADV_GUARD_INSTALL (Linux < 6.13), and the guard pages made with mprotect \
             have used up the memory-map budget left by vm.max_map_count ({}); raise vm.max_map_count \
             or use a newer kernel",
            std::fs::read_to_string("/proc/sys/vm/max_map_count")
                .map(|s| s.trim().to_owned())
                .unwrap_or_else(|_| "unknown".to_owned())
        )))
    }
}

/// One reserved mapping cut into slots.
struct Region {
    base: usize,
    len: usize,
    /// Guard pages made with mprotect in this region (each holds two maps
    /// of the budget until the region is unmapped).
    mprotected: usize,
    /// Slots handed out at least once (the next fresh slot is at this
    /// index).
    used: usize,
    /// Index in the overflow handler's region table, if registered.
    registered: Option<usize>,
    /// Each handed-out slot's stack, registered with Valgrind (a no-op
    /// outside Valgrind) so that it recognises switches to and from it.
    valgrind: Vec<ValgrindStackRegistration>,
}

impl Drop for Region {
    fn drop(&mut self) {
        if let Some(index) = self.registered {
            overflow::unregister_region(index);
        }
        self.valgrind.clear();
        // SAFETY: `base..base+len` is a mapping this region created and
        // owns; every stack carved from it has been returned (the pool that
        // owns the region is only dropped once no `PooledStack` holds it).
        // A failure leaves the mapping in place: a leak, not a hazard.
        let _ = unsafe { sys::unmap(self.base, self.len) };
        // Unmapping removed the maps the mprotect guards had split off.
        if self.mprotected > 0 {
            let maps = isize::try_from(self.mprotected.saturating_mul(2)).unwrap_or(isize::MAX);
            MPROTECT_BUDGET.fetch_add(maps, Ordering::AcqRel);
        }
    }
}

/// The stacks of one size, on one thread.
pub(crate) struct SizeClass {
    /// Bytes per slot, guard page and header included.
    slot_size: usize,
    /// The page size (read once).
    page: usize,
    free: RefCell<Vec<usize>>,
    regions: RefCell<Vec<Region>>,
    live: Cell<usize>,
}

impl SizeClass {
    fn new(slot_size: usize) -> SizeClass {
        SizeClass {
            slot_size,
            page: page_size(),
            free: RefCell::new(Vec::new()),
            regions: RefCell::new(Vec::new()),
            live: Cell::new(0),
        }
    }

    /// Unmaps every region none of whose slots is in use (all its
    /// handed-out slots are back in the free list), taking those slots out
    /// of the free list; returns how many pooled stacks went with them.
    fn unmap_unused_regions(&self) -> usize {
        let mut regions = self.regions.borrow_mut();
        let mut free = self.free.borrow_mut();
        if free.is_empty() {
            return 0;
        }
        // The regions by address, to find a slot's region by binary search
        // (a pool may have thousands of regions and millions of slots).
        let mut by_base: Vec<(usize, usize)> = regions.iter().enumerate().map(|(i, r)| (r.base, i)).collect();
        by_base.sort_unstable();
        let region_of = |slot: usize| -> Option<usize> {
            let after = by_base.partition_point(|&(base, _)| base <= slot);
            let &(base, index) = by_base.get(after.checked_sub(1)?)?;
            (slot < base + regions[index].len).then_some(index)
        };
        let mut pooled = vec![0usize; regions.len()];
        for &slot in free.iter() {
            if let Some(index) = region_of(slot) {
                pooled[index] += 1;
            }
        }
        let unused: Vec<bool> = regions.iter().zip(&pooled).map(|(r, &p)| p == r.used).collect();
        if !unused.contains(&true) {
            return 0;
        }
        let before = free.len();
        free.retain(|&slot| !region_of(slot).is_some_and(|index| unused[index]));
        let released = before - free.len();
        drop(by_base);
        // Dropping a region unregisters and unmaps it.
        let mut index = 0;
        regions.retain(|_| {
            index += 1;
            !unused[index - 1]
        });
        released
    }

    /// Tells Valgrind (if the process runs under it) that the usable part
    /// of the slot at `slot` is a stack.
    fn register_with_valgrind(&self, slot: usize) -> ValgrindStackRegistration {
        let start = slot + page_size();
        ValgrindStackRegistration::new(start as *mut u8, self.slot_size - page_size() - HEADER_BYTES)
    }

    /// A fresh slot from the last region, or from a new region.
    fn fresh_slot(&self) -> Result<usize, NoStack> {
        let slots_per_region = (REGION_BYTES / self.slot_size).max(1);
        {
            let mut regions = self.regions.borrow_mut();
            if let Some(region) = regions.last_mut() {
                if region.used < slots_per_region {
                    let slot = region.base + region.used * self.slot_size;
                    if install_guard(slot)? == GuardMode::Mprotect {
                        region.mprotected += 1;
                    }
                    region.used += 1;
                    region.valgrind.push(self.register_with_valgrind(slot));
                    return Ok(slot);
                }
            }
        }
        let len = slots_per_region * self.slot_size;
        let base = sys::map_anonymous(len, true).map_err(|error| {
            NoStack::os(format!("mmap of a {} MiB stack region failed", len >> 20), error)
        })?;
        let registered = overflow::register_region(base, len, self.slot_size);
        let mut region = Region {
            base,
            len,
            mprotected: 0,
            used: 0,
            registered,
            valgrind: Vec::new(),
        };
        if install_guard(base)? == GuardMode::Mprotect {
            region.mprotected += 1;
        }
        region.used = 1;
        region.valgrind.push(self.register_with_valgrind(base));
        self.regions.borrow_mut().push(region);
        Ok(base)
    }
}

/// Makes the lowest page of the slot at `slot` a guard page; says how.
fn install_guard(slot: usize) -> Result<GuardMode, NoStack> {
    let page = page_size();
    let mode = guard_mode();
    match mode {
        GuardMode::GuardInstall => {
            // SAFETY: `slot..slot+page` lies inside a region this pool
            // mapped and no stack uses it yet.
            unsafe { sys::advise(slot, page, MADV_GUARD_INSTALL) }
                .map_err(|error| NoStack::os("madvise(MADV_GUARD_INSTALL) of a guard page failed", error))?;
        }
        GuardMode::Mprotect => {
            take_mprotect_budget()?;
            // SAFETY: as above; the page becomes inaccessible.
            if let Err(error) = unsafe { sys::protect_none(slot, page) } {
                MPROTECT_BUDGET.fetch_add(2, Ordering::AcqRel);
                return Err(NoStack::os("mprotect of a guard page failed", error));
            }
        }
    }
    Ok(mode)
}

/// The calling thread's pool: one size class per slot size in use.
#[derive(Default)]
struct Pool {
    classes: Vec<Rc<SizeClass>>,
    live: usize,
    limit: Option<usize>,
}

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool::default());
}

/// Limits how many coroutine stacks may be live at once on the calling
/// thread (`None`: no limit beyond the machine's). Creating a coroutine
/// beyond the limit fails its future with [`StackExhaustedError`].
pub fn set_max_live_stacks(limit: Option<usize>) {
    let _ = POOL.try_with(|pool| pool.borrow_mut().limit = limit);
}

/// Gives pooled (unused) stacks on the calling thread back to the
/// operating system; returns how many stacks were trimmed.
///
/// A reserved region none of whose stacks is in use is unmapped: its
/// address space and its memory go back (so that stacks of another size, or
/// anything else, can have them). The pooled stacks of regions still in use
/// keep their address space and guard pages for reuse, but their memory is
/// dropped (`MADV_DONTNEED`).
///
/// A stack keeps the pages its coroutine touched when it returns to the
/// pool, and regions are otherwise kept while their thread lives (or until
/// a new stack finds no address space left, which unmaps the unused ones
/// first), so after a burst of many coroutines the process stays at its
/// peak until those stacks are reused. Call this after such a burst.
pub fn trim_stack_pool() -> usize {
    let page = page_size();
    POOL.try_with(|pool| {
        let mut pool = pool.borrow_mut();
        let mut trimmed = 0;
        for class in &pool.classes {
            trimmed += class.unmap_unused_regions();
            for &slot in class.free.borrow().iter() {
                // SAFETY: a pooled slot belongs to this pool and no
                // coroutine runs on it; MADV_DONTNEED drops its pages (they
                // read back as zeros) and leaves the guard page in place.
                let dropped =
                    unsafe { sys::advise(slot + page, class.slot_size - page, libc::MADV_DONTNEED) };
                if dropped.is_ok() {
                    trimmed += 1;
                }
            }
        }
        // A size class with no region left and no stack out is forgotten.
        pool.classes
            .retain(|class| !class.regions.borrow().is_empty() || Rc::strong_count(class) > 1);
        trimmed
    })
    .unwrap_or(0)
}

/// Unmaps the regions of the calling thread's pool that no coroutine
/// uses, of every size; returns how many pooled stacks went with them.
fn release_unused_regions() -> usize {
    POOL.try_with(|pool| {
        pool.borrow()
            .classes
            .iter()
            .map(|class| class.unmap_unused_regions())
            .sum()
    })
    .unwrap_or(0)
}

/// Counts of the calling thread's stack pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StackStats {
    /// Stacks in use by coroutines.
    pub live: usize,
    /// Stacks returned and kept for reuse.
    pub pooled: usize,
    /// Reserved regions.
    pub regions: usize,
    /// Address space reserved by those regions, in bytes.
    pub reserved_bytes: usize,
}

/// The calling thread's stack pool counts.
pub fn stack_stats() -> StackStats {
    POOL.try_with(|pool| {
        let pool = pool.borrow();
        let mut stats = StackStats {
            live: pool.live,
            ..StackStats::default()
        };
        for class in &pool.classes {
            stats.pooled += class.free.borrow().len();
            let regions = class.regions.borrow();
            stats.regions += regions.len();
            stats.reserved_bytes += regions.iter().map(|r| r.len).sum::<usize>();
        }
        stats
    })
    .unwrap_or_default()
}

/// The name in the header of a stack no coroutine has named.
pub(crate) const UNNAMED: &str = "<generator>";

/// How many different offsets ("colours") the tops of stacks take, one
/// cache line apart. Slots are whole pages, so without them every stack's
/// top would sit at the same offset in its page, and the lines a resume
/// touches there would map to the same cache sets in every stack.
///
/// Measured (docs/performance.md, "Stack colours and packed labels"):
/// creating and finishing a coroutine on a pooled stack is ~15% faster
/// with any colour than with none; with 10,000 coroutines in rotation
/// no difference stood out of the noise. Kept small because a colour
/// takes room from the top page: a suspended coroutine's frames fit in
/// that one page (4 KiB resident per coroutine) unless they are deeper
/// than 4,032 bytes minus its colour. With 64 colours (up to 4,032
/// bytes) a third of the stacks in the memory bench took a second page;
/// with 16 (up to 960 bytes) none did.
const COLOURS: usize = 16;

/// Bytes between two colours: one cache line.
const COLOUR_STEP: usize = 64;

/// Bytes a slot keeps for its colour: the largest offset.
const COLOUR_SPAN: usize = (COLOURS - 1) * COLOUR_STEP;

// Less than the smallest page: the slot's top is the first page boundary
// above a stack's base (`PooledStack::header_addr` relies on it).
const _: () = assert!(COLOUR_SPAN < 4096);

/// How far below the header the stack of the slot at `slot` starts: a
/// hash of the slot's page number (Fibonacci hashing: a multiply and a
/// shift), which spreads slots a constant stride apart nearly evenly over
/// the colours, times a cache line.
#[inline]
fn colour_offset(slot: usize, page: usize) -> usize {
    const _: () = assert!(COLOURS.is_power_of_two());
    let page_number = (slot >> page.trailing_zeros()) as u64;
    let hash = page_number.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - COLOURS.trailing_zeros());
    // The hash has log2(COLOURS) bits: it fits in usize.
    hash as usize * COLOUR_STEP
}

/// A stack slot from the pool. Returns itself to the pool when dropped.
pub(crate) struct PooledStack {
    class: Rc<SizeClass>,
    /// The stack's base (its highest address): the header's address minus
    /// the slot's colour. Kept rather than the slot's address because
    /// every resume reads it; the slot is found from it (see `slot`).
    base: usize,
}

impl PooledStack {
    /// A stack with at least `usable` bytes below its header, whose header
    /// names its coroutine `name` (for the overflow message).
    pub(crate) fn new(usable: usize, name: &str) -> Result<PooledStack, StackExhaustedError> {
        let page = page_size();
        let usable = usable.max(MIN_STACK_SIZE);
        let exhausted = |no_stack: NoStack| no_stack.exhausted(usable);
        let slot_size =
            slot_size_for(usable, page).ok_or_else(|| exhausted(NoStack::new("stack size overflows")))?;
        overflow::ensure_installed();
        let class = POOL
            .try_with(|pool| {
                let mut pool = pool.borrow_mut();
                if let Some(limit) = pool.limit {
                    if pool.live >= limit {
                        return Err(exhausted(NoStack::new(format!(
                            "the limit of {limit} live coroutine stacks set with set_max_live_stacks is reached"
                        ))));
                    }
                }
                pool.live += 1;
                let class = match pool.classes.iter().find(|c| c.slot_size == slot_size) {
                    Some(class) => class.clone(),
                    None => {
                        let class = Rc::new(SizeClass::new(slot_size));
                        pool.classes.push(class.clone());
                        class
                    }
                };
                Ok(class)
            })
            .map_err(|_| exhausted(NoStack::new("the thread is exiting")))??;
        let reused = class.free.borrow_mut().pop();
        let slot = match reused {
            Some(slot) => slot,
            None => match class.fresh_slot() {
                Ok(slot) => slot,
                // Out of address space (or maps)? Regions no coroutine uses
                // (stacks of other sizes, say) go back, and one more try.
                Err(no_stack) => match (release_unused_regions() > 0)
                    .then(|| class.fresh_slot().ok())
                    .flatten()
                {
                    Some(slot) => slot,
                    None => {
                        let _ = POOL.try_with(|pool| pool.borrow_mut().live -= 1);
                        return Err(exhausted(no_stack));
                    }
                },
            },
        };
        class.live.set(class.live.get() + 1);
        overflow::ensure_altstack();
        let base = SlotHeader::addr(slot, slot_size) - colour_offset(slot, page);
        let stack = PooledStack { class, base };
        stack.set_header(name);
        Ok(stack)
    }

    /// Writes a copy of (a bounded prefix of) the coroutine's name and the
    /// stack size into the slot header, for the overflow message. The
    /// header keeps no reference to `name`.
    pub(crate) fn set_header(&self, name: &str) {
        // SAFETY: the header is the top HEADER_BYTES of our slot, inside a
        // mapping the pool owns, readable and writable, 16-byte aligned,
        // and not part of the usable stack (base() is below it).
        unsafe { SlotHeader::write(self.header_addr(), name, self.usable_size()) }
    }

    /// The header's address: the top `HEADER_BYTES` of the slot, whose
    /// top is the first page boundary above the base (the colour is less
    /// than a page).
    fn header_addr(&self) -> usize {
        let page = self.class.page;
        ((self.base + HEADER_BYTES + page - 1) & !(page - 1)) - HEADER_BYTES
    }

    /// The slot's address (its lowest, the guard page's).
    fn slot(&self) -> usize {
        self.header_addr() + HEADER_BYTES - self.class.slot_size
    }

    /// Usable bytes: between the guard page and the stack's base (its
    /// colour below the header).
    pub(crate) fn usable_size(&self) -> usize {
        self.base - self.slot() - self.class.page
    }
}

impl Drop for PooledStack {
    fn drop(&mut self) {
        // SAFETY: as in set_header; the header stops naming a coroutine.
        unsafe { SlotHeader::clear_at(self.header_addr()) }
        self.class.live.set(self.class.live.get() - 1);
        self.class.free.borrow_mut().push(self.slot());
        let _ = POOL.try_with(|pool| {
            if let Ok(mut pool) = pool.try_borrow_mut() {
                pool.live = pool.live.saturating_sub(1);
            }
        });
    }
}

// SAFETY: base() is a 16-byte-aligned address below the header at the top
// of the slot (the header's address, 64-byte aligned, minus the colour, a
// multiple of 64 bytes that leaves at least the usable size asked for above
// the guard page); limit() is the slot's lowest address, which includes
// the guard page as the trait requires. The memory between them is a
// private read-write mapping owned by this pool and used by no one else
// while this `PooledStack` exists.
unsafe impl Stack for PooledStack {
    #[inline]
    fn base(&self) -> StackPointer {
        StackPointer::new(self.base).unwrap_or(StackPointer::MIN)
    }

    #[inline]
    fn limit(&self) -> StackPointer {
        StackPointer::new(self.slot()).unwrap_or(StackPointer::MIN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_hold_a_guard_page_the_stack_and_the_header_in_whole_pages() {
        let page = 4096;
        assert_eq!(slot_size_for(32 << 10, page), Some((32 << 10) + 2 * page));
        // One byte more than fits spills into one more page.
        let fits = 3 * page - page - COLOUR_SPAN - HEADER_BYTES;
        assert_eq!(slot_size_for(fits, page), Some(3 * page));
        assert_eq!(slot_size_for(fits + 1, page), Some(4 * page));
        assert_eq!(slot_size_for(usize::MAX - 10, page), None);
    }

    #[test]
    fn a_stack_is_at_least_as_large_as_asked_and_reused_lifo() {
        let stack = PooledStack::new(MIN_STACK_SIZE + 1, "a").unwrap();
        assert!(stack.usable_size() > MIN_STACK_SIZE);
        let slot = stack.slot();
        drop(stack);
        let again = PooledStack::new(MIN_STACK_SIZE + 1, "b").unwrap();
        assert_eq!(
            again.slot(),
            slot,
            "the last stack returned is the next handed out"
        );
        // SAFETY: the header of a live stack of ours.
        let header = unsafe { SlotHeader::read_from(again.header_addr()) };
        assert_eq!(header.name(), Some(&b"b"[..]));
        assert_eq!(header.stack_size(), Some(again.usable_size()));
        let addr = again.header_addr();
        drop(again);
        // SAFETY: the slot is pooled, its region still mapped.
        assert!(!unsafe { SlotHeader::read_from(addr) }.is_live());
    }

    #[test]
    fn stack_tops_are_coloured_without_giving_up_asked_for_bytes() {
        let asked = DEFAULT_STACK_SIZE;
        let stacks: Vec<PooledStack> = (0..4 * COLOURS)
            .map(|_| PooledStack::new(asked, "c").unwrap())
            .collect();
        let mut offsets: Vec<usize> = stacks
            .iter()
            .map(|stack| {
                assert!(stack.usable_size() >= asked, "{} < {asked}", stack.usable_size());
                let base = stack.base().get();
                assert_eq!(base % 16, 0);
                assert_eq!(base - stack.limit().get(), page_size() + stack.usable_size());
                base % page_size()
            })
            .collect();
        offsets.sort_unstable();
        offsets.dedup();
        // Fresh or reused, the stacks' tops sit at many different offsets
        // in their pages (consecutive slots take nearly every colour).
        assert!(offsets.len() > COLOURS / 2, "{offsets:?}");
    }

    #[test]
    fn slots_a_constant_stride_apart_take_every_colour() {
        let page = 4096;
        assert_eq!(slot_size_for(DEFAULT_STACK_SIZE, page), Some(34 * page));
        let mut offsets: Vec<usize> = (0..1000).map(|i| colour_offset(i * 34 * page, page)).collect();
        offsets.sort_unstable();
        offsets.dedup();
        assert_eq!(offsets, (0..COLOURS).map(|c| c * COLOUR_STEP).collect::<Vec<_>>());
    }

    #[test]
    fn the_live_limit_is_a_typed_error_with_a_reason() {
        set_max_live_stacks(Some(0));
        let error = PooledStack::new(MIN_STACK_SIZE, "x").err().unwrap();
        set_max_live_stacks(None);
        assert!(error.reason.contains("set_max_live_stacks"), "{error}");
        assert!(std::error::Error::source(&error).is_none());
    }

    #[test]
    fn an_os_failure_carries_the_io_error_as_its_source() {
        let error = NoStack::os("mmap failed", io::Error::from_raw_os_error(libc::ENOMEM)).exhausted(4096);
        let source = std::error::Error::source(&error).unwrap();
        let io = source
            .downcast_ref::<Arc<io::Error>>()
            .expect("the io::Error, shared");
        assert_eq!(io.raw_os_error(), Some(libc::ENOMEM));
        assert_eq!(
            error.to_string(),
            "no stack for a new coroutine (4096 bytes): mmap failed"
        );
    }
}
