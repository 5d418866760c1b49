//! The orders a queue can keep its items in: first in first out, last in
//! first out, lowest first.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;

/// How a queue stores its items (Tornado's overridable `_init`, `_put`,
/// `_get`).
pub(crate) trait Order<T>: 'static {
    fn new() -> Self;
    /// Stores a new item.
    fn push(&mut self, item: T);
    /// Takes the next item.
    fn pop(&mut self) -> Option<T>;
    /// Stores an item that was taken out but never reached its consumer:
    /// it goes back where it was taken from.
    fn give_back(&mut self, item: T);
    fn len(&self) -> usize;
    /// The items as Tornado's repr shows its `_queue`.
    fn fmt_items(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result
    where
        T: fmt::Debug;
}

/// First in, first out (Tornado's `Queue`, a `deque`).
pub(crate) struct Fifo<T>(VecDeque<T>);

impl<T: 'static> Order<T> for Fifo<T> {
    fn new() -> Self {
        Fifo(VecDeque::new())
    }
    #[inline]
    fn push(&mut self, item: T) {
        self.0.push_back(item);
    }
    #[inline]
    fn pop(&mut self) -> Option<T> {
        self.0.pop_front()
    }
    fn give_back(&mut self, item: T) {
        self.0.push_front(item);
    }
    #[inline]
    fn len(&self) -> usize {
        self.0.len()
    }
    fn fmt_items(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result
    where
        T: fmt::Debug,
    {
        write!(f, "deque(")?;
        f.debug_list().entries(&self.0).finish()?;
        write!(f, ")")
    }
}

/// Last in, first out (Tornado's `LifoQueue`, a list).
pub(crate) struct Lifo<T>(Vec<T>);

impl<T: 'static> Order<T> for Lifo<T> {
    fn new() -> Self {
        Lifo(Vec::new())
    }
    #[inline]
    fn push(&mut self, item: T) {
        self.0.push(item);
    }
    #[inline]
    fn pop(&mut self) -> Option<T> {
        self.0.pop()
    }
    fn give_back(&mut self, item: T) {
        self.0.push(item);
    }
    #[inline]
    fn len(&self) -> usize {
        self.0.len()
    }
    fn fmt_items(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result
    where
        T: fmt::Debug,
    {
        f.debug_list().entries(&self.0).finish()
    }
}

/// Lowest first (Tornado's `PriorityQueue`, a `heapq`).
pub(crate) struct Priority<T>(BinaryHeap<Reverse<T>>);

impl<T: Ord + 'static> Order<T> for Priority<T> {
    fn new() -> Self {
        Priority(BinaryHeap::new())
    }
    #[inline]
    fn push(&mut self, item: T) {
        self.0.push(Reverse(item));
    }
    #[inline]
    fn pop(&mut self) -> Option<T> {
        self.0.pop().map(|Reverse(item)| item)
    }
    fn give_back(&mut self, item: T) {
        self.push(item);
    }
    #[inline]
    fn len(&self) -> usize {
        self.0.len()
    }
    /// In priority order (the heap's own layout is not meaningful).
    fn fmt_items(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result
    where
        T: fmt::Debug,
    {
        let mut items: Vec<&T> = self.0.iter().map(|Reverse(item)| item).collect();
        items.sort();
        f.debug_list().entries(items).finish()
    }
}
