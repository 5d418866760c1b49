//! Pending timeouts: a binary heap ordered by (deadline, sequence number).
//!
//! The sequence number makes timers with equal deadlines fire in the order
//! they were added. Removal is lazy, as in Tornado's `PollIOLoop`: the
//! callback is dropped at once, its heap entry stays until it reaches the top
//! or until cancelled entries are both more than 512 and more than half the
//! heap, when the heap is rebuilt without them.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use slab::Slab;

use crate::callback::Callback;

/// Identifies a timeout added with
/// [`IOLoop::add_timeout`](crate::IOLoop::add_timeout),
/// [`call_later`](crate::IOLoop::call_later) or
/// [`call_at`](crate::IOLoop::call_at), for
/// [`remove_timeout`](crate::IOLoop::remove_timeout).
///
/// A handle stays valid after its timeout fired or was removed: removing it
/// again does nothing, and it never matches a later timeout that happens to
/// reuse the same slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeoutHandle {
    slot: u32,
    seq: u32,
}

impl TimeoutHandle {
    /// A handle that names no timer (returned by a closed loop).
    pub(crate) fn dead() -> TimeoutHandle {
        TimeoutHandle {
            slot: u32::MAX,
            seq: u32::MAX,
        }
    }
}

/// The deadline of a timer that is never due: `Duration::MAX` from now,
/// or an instant at or past the horizon (about 584 years after the epoch,
/// so about 484 years after the loop was made). Such a timer fires only if
/// the clock itself is moved past the horizon.
pub(crate) const NEVER: u64 = u64::MAX;

/// The most timers a heap holds (slots `0..u32::MAX`; `u32::MAX` is the
/// dead handle's).
const MAX_TIMERS: usize = u32::MAX as usize;

/// Cancelled entries tolerated before compaction is considered (Tornado's
/// constant).
const COMPACT_MIN: usize = 512;

/// After this many single pops in one iteration, the due timers that remain
/// are taken out in one pass over the heap.
const BULK_AFTER: usize = 64;

struct Entry {
    seq: u32,
    /// Taken off the heap by `pop_due`, waiting for its turn to run.
    due: bool,
    callback: Callback,
}

/// 16 bytes: the deadline in nanoseconds from the heap's epoch, a
/// sequence number for the order of equal deadlines, and the entry's slot.
#[derive(Clone, Copy)]
struct HeapItem {
    deadline: u64,
    seq: u32,
    slot: u32,
}

impl HeapItem {
    /// (deadline, seq), with the sequence compared modulo 2^32 so that it
    /// may wrap: live timers are never 2^31 insertions apart.
    #[inline]
    fn earlier(&self, other: &HeapItem) -> Ordering {
        self.deadline
            .cmp(&other.deadline)
            .then_with(|| (self.seq.wrapping_sub(other.seq) as i32).cmp(&0))
    }
}

impl PartialEq for HeapItem {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for HeapItem {}
impl PartialOrd for HeapItem {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for HeapItem {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest first.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        other.earlier(self)
    }
}

/// The slab key of a timer's slot (a u32 always fits the usize of the
/// 32- and 64-bit targets gust builds for).
#[inline]
fn key(slot: u32) -> usize {
    usize::try_from(slot).unwrap_or(usize::MAX)
}

/// The loop's timers.
pub(crate) struct TimerHeap {
    heap: BinaryHeap<HeapItem>,
    entries: Slab<Entry>,
    next_seq: u32,
    cancelled: usize,
    /// Deadlines are stored as nanoseconds since this instant, a century
    /// before the heap was made (so a clock set back still has room), up
    /// to `u64::MAX` nanoseconds (about 584 years) later: the horizon.
    epoch: Instant,
}

impl TimerHeap {
    /// An empty heap for a clock that reads `now`.
    pub(crate) fn new(now: Instant) -> TimerHeap {
        let century = Duration::from_secs(100 * 365 * 24 * 3600);
        TimerHeap {
            heap: BinaryHeap::new(),
            entries: Slab::new(),
            next_seq: 0,
            cancelled: 0,
            epoch: now.checked_sub(century).unwrap_or(now),
        }
    }

    /// `when` in nanoseconds from the epoch; [`NEVER`] at or past the
    /// horizon.
    #[inline]
    pub(crate) fn ticks(&self, when: Instant) -> u64 {
        u64::try_from(when.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(NEVER)
    }

    /// `delay` after `now`, in ticks, saturating at [`NEVER`] (so
    /// `Duration::MAX` is never, whatever `now` is).
    #[inline]
    pub(crate) fn ticks_after(&self, now: Instant, delay: Duration) -> u64 {
        self.ticks(now)
            .saturating_add(u64::try_from(delay.as_nanos()).unwrap_or(NEVER))
    }

    /// Whether another timer can be added: a [`TimeoutHandle`] names at
    /// most `u32::MAX` slots, so at most `u32::MAX - 1` timers may be
    /// pending.
    #[inline]
    pub(crate) fn has_room(&self) -> bool {
        self.entries.len() < MAX_TIMERS
    }

    /// Adds a timer firing at `deadline` (in [`ticks`](Self::ticks)). The
    /// caller checked [`has_room`](Self::has_room).
    pub(crate) fn insert(&mut self, deadline: u64, callback: Callback) -> TimeoutHandle {
        // A slab's next key is at most its length, which `has_room` keeps
        // below u32::MAX (u32::MAX itself names no slot: a dead handle).
        let slot = u32::try_from(self.entries.vacant_key()).unwrap_or(u32::MAX);
        let seq = self.next_seq;
        self.next_seq = seq.wrapping_add(1);
        self.entries.insert(Entry {
            seq,
            due: false,
            callback,
        });
        self.heap.push(HeapItem { deadline, seq, slot });
        TimeoutHandle { slot, seq }
    }

    fn entry(&self, slot: u32, seq: u32) -> Option<&Entry> {
        self.entries.get(key(slot)).filter(|entry| entry.seq == seq)
    }

    /// Removes a pending timer; returns its callback so the caller can drop
    /// it outside any borrow. `None` if it already fired or was removed.
    pub(crate) fn remove(&mut self, handle: TimeoutHandle) -> Option<Callback> {
        self.entry(handle.slot, handle.seq)?;
        let entry = self.entries.remove(key(handle.slot));
        // A due entry has already left the heap: nothing to skip there.
        if !entry.due {
            self.cancelled += 1;
            if self.cancelled > COMPACT_MIN && self.cancelled > self.heap.len() / 2 {
                self.compact();
            }
        }
        Some(entry.callback)
    }

    #[inline]
    fn is_live(&self, item: &HeapItem) -> bool {
        self.entry(item.slot, item.seq).is_some_and(|entry| !entry.due)
    }

    /// Drops every cancelled entry from the heap.
    fn compact(&mut self) {
        let entries = &self.entries;
        self.heap.retain(|item| {
            entries
                .get(key(item.slot))
                .is_some_and(|entry| entry.seq == item.seq)
        });
        self.cancelled = 0;
    }

    /// Pops cancelled entries off the top.
    fn skip_cancelled(&mut self) {
        while let Some(top) = self.heap.peek() {
            if self.is_live(top) {
                break;
            }
            self.heap.pop();
            self.cancelled = self.cancelled.saturating_sub(1);
        }
    }

    /// The earliest pending deadline; `None` if no timer is ever due
    /// (none pending, or only timers at [`NEVER`]).
    pub(crate) fn next_deadline(&mut self) -> Option<Instant> {
        self.skip_cancelled();
        let ticks = self.heap.peek()?.deadline;
        if ticks == NEVER {
            return None;
        }
        Some(
            self.epoch
                .checked_add(Duration::from_nanos(ticks))
                .unwrap_or(self.epoch),
        )
    }

    /// Takes every timer due at `now` off the heap and appends its handle to
    /// `due`, in (deadline, seq) order. The callbacks stay in place (and
    /// removable) until [`take_due`](Self::take_due) takes them to run.
    pub(crate) fn pop_due(&mut self, now: Instant, due: &mut Vec<TimeoutHandle>) {
        let now = self.ticks(now);
        for _ in 0..BULK_AFTER {
            self.skip_cancelled();
            match self.heap.peek() {
                Some(top) if top.deadline <= now => {
                    let top = *top;
                    self.heap.pop();
                    self.mark_due(top, due);
                }
                _ => return,
            }
        }
        // Many timers due at once: one pass over the heap, then a sort of
        // the due ones, beats a pop (log n sifts) each.
        let mut items = std::mem::take(&mut self.heap).into_vec();
        let mut ready: Vec<HeapItem> = Vec::new();
        items.retain(|item| {
            if item.deadline <= now {
                ready.push(*item);
                false
            } else {
                true
            }
        });
        self.heap = BinaryHeap::from(items);
        ready.sort_unstable_by(HeapItem::earlier);
        for item in ready {
            if self.is_live(&item) {
                self.mark_due(item, due);
            } else {
                self.cancelled = self.cancelled.saturating_sub(1);
            }
        }
    }

    #[inline]
    fn mark_due(&mut self, item: HeapItem, due: &mut Vec<TimeoutHandle>) {
        self.entries[key(item.slot)].due = true;
        due.push(TimeoutHandle {
            slot: item.slot,
            seq: item.seq,
        });
    }

    /// The callback of a timer `pop_due` returned, unless it was removed
    /// since.
    #[inline]
    pub(crate) fn take_due(&mut self, handle: TimeoutHandle) -> Option<Callback> {
        match self.entry(handle.slot, handle.seq) {
            Some(entry) if entry.due => {}
            _ => return None,
        }
        Some(self.entries.remove(key(handle.slot)).callback)
    }

    /// Number of pending (not cancelled) timers.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Number of entries in the heap, cancelled ones included.
    #[cfg(test)]
    pub(crate) fn heap_len(&self) -> usize {
        self.heap.len()
    }

    /// Takes every pending callback out (for closing the loop).
    pub(crate) fn drain(&mut self) -> Vec<Callback> {
        self.heap.clear();
        self.cancelled = 0;
        self.entries.drain().map(|entry| entry.callback).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callback::RawCallback;

    fn raw(data: u64) -> Callback {
        Callback::Raw(RawCallback {
            func: |_, _| {},
            data,
        })
    }

    fn data_of(cb: &Callback) -> u64 {
        match cb {
            Callback::Raw(r) => r.data,
            Callback::Boxed(_) => unreachable!(),
        }
    }

    impl TimerHeap {
        fn insert_ok(&mut self, deadline: Instant, callback: Callback) -> TimeoutHandle {
            assert!(self.has_room());
            let ticks = self.ticks(deadline);
            self.insert(ticks, callback)
        }
    }

    /// Pops the due timers and takes their callbacks, as the loop does.
    fn run_due(heap: &mut TimerHeap, now: Instant) -> Vec<Callback> {
        let mut due = Vec::new();
        heap.pop_due(now, &mut due);
        due.into_iter().filter_map(|h| heap.take_due(h)).collect()
    }

    #[test]
    fn never_sorts_last_and_is_no_deadline() {
        let now = Instant::now();
        let mut heap = TimerHeap::new(now);
        let never = heap.ticks_after(now, Duration::MAX);
        assert_eq!(never, NEVER);
        assert_eq!(
            heap.ticks(now + Duration::from_secs(600 * 365 * 24 * 3600)),
            NEVER
        );
        heap.insert(never, raw(1));
        assert_eq!(heap.next_deadline(), None, "never due: nothing to wait for");
        let later = heap.ticks_after(now, Duration::from_secs(1));
        heap.insert(later, raw(2));
        assert_eq!(heap.next_deadline(), Some(now + Duration::from_secs(1)));
        let fired = run_due(&mut heap, now + Duration::from_secs(400 * 365 * 24 * 3600));
        assert_eq!(fired.iter().map(data_of).collect::<Vec<_>>(), vec![2]);
        assert_eq!(heap.len(), 1);
    }

    #[test]
    fn equal_deadlines_fire_in_insertion_order() {
        let mut heap = TimerHeap::new(Instant::now());
        let t = Instant::now();
        for i in 0..10 {
            heap.insert_ok(t, raw(i));
        }
        heap.insert_ok(t - Duration::from_secs(1), raw(100));
        let ready = run_due(&mut heap, t);
        let order: Vec<u64> = ready.iter().map(data_of).collect();
        assert_eq!(order, vec![100, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }

    #[test]
    fn remove_is_idempotent_and_never_hits_a_reused_slot() {
        let mut heap = TimerHeap::new(Instant::now());
        let t = Instant::now();
        let a = heap.insert_ok(t, raw(1));
        assert!(heap.remove(a).is_some());
        assert!(heap.remove(a).is_none());
        let b = heap.insert_ok(t, raw(2));
        assert_eq!(a.slot, b.slot, "slab reuses the slot");
        assert!(heap.remove(a).is_none(), "stale handle must not remove b");
        let ready = run_due(&mut heap, t);
        assert_eq!(ready.iter().map(data_of).collect::<Vec<_>>(), vec![2]);
        assert!(heap.remove(b).is_none(), "removing after firing is a no-op");
    }

    #[test]
    fn compaction_when_cancelled_are_many_and_over_half() {
        let mut heap = TimerHeap::new(Instant::now());
        let t = Instant::now();
        let handles: Vec<_> = (0..2000).map(|i| heap.insert_ok(t, raw(i))).collect();
        for h in &handles[..1000] {
            heap.remove(*h);
        }
        // 1000 cancelled out of 2000: not more than half yet.
        assert_eq!(heap.heap_len(), 2000);
        heap.remove(handles[1000]);
        // 1001 > 512 and 1001 > 1000: compacted.
        assert_eq!(heap.heap_len(), 999);
        assert_eq!(heap.len(), 999);
    }

    #[test]
    fn many_due_at_once_keep_order_and_skip_removed() {
        let mut heap = TimerHeap::new(Instant::now());
        let t = Instant::now();
        // 500 timers at 5 distinct deadlines, added in a scrambled order,
        // some removed; more than BULK_AFTER of them are due.
        let mut handles = Vec::new();
        for i in 0..500u64 {
            let deadline = t + Duration::from_millis((i * 7) % 5);
            handles.push((i, deadline, heap.insert_ok(deadline, raw(i))));
        }
        heap.insert_ok(t + Duration::from_secs(10), raw(9999));
        for (i, _, h) in &handles {
            if i % 3 == 0 {
                assert!(heap.remove(*h).is_some());
            }
        }
        let fired: Vec<u64> = run_due(&mut heap, t + Duration::from_millis(5))
            .iter()
            .map(data_of)
            .collect();
        let mut expected: Vec<(Instant, u64)> = handles
            .iter()
            .filter(|(i, _, _)| i % 3 != 0)
            .map(|(i, d, _)| (*d, *i))
            .collect();
        expected.sort();
        assert_eq!(fired, expected.into_iter().map(|(_, i)| i).collect::<Vec<_>>());
        assert_eq!(heap.len(), 1, "only the far timer is left");
        assert_eq!(heap.next_deadline(), Some(t + Duration::from_secs(10)));
    }
}
