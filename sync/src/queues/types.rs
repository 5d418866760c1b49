//! The public queue types: [`Queue`], [`PriorityQueue`], [`LifoQueue`].
//! They differ only in the order items come out; their methods are the
//! same (Tornado's subclasses override only `_init`, `_put`, `_get`).

use std::fmt;
use std::rc::Rc;

use gust_engine::Co;
use gust_yieldables::Future;

use super::error::{QueueEmpty, QueueFull, TaskDoneError};
use super::iter::{Iter, QueueStream};
use super::order::{Fifo, Lifo, Priority};
use super::shared::Shared;
use crate::timeout::IntoTimeout;

macro_rules! queue_type {
    (
        $(#[$attr:meta])*
        $name:ident, $order:ident $(, $bound:path)?
    ) => {
        $(#[$attr])*
        pub struct $name<T: 'static> {
            shared: Rc<Shared<T, $order<T>>>,
        }

        impl<T: 'static $(+ $bound)?> $name<T> {
            /// A queue of at most `maxsize` items; `0` means unbounded.
            ///
            /// (`maxsize` is a `usize`: Tornado's errors for a `None` or
            /// negative `maxsize` cannot happen.)
            pub fn new(maxsize: usize) -> Self {
                $name {
                    shared: Shared::new(maxsize),
                }
            }

            /// Number of items allowed in the queue (`0`: unbounded).
            pub fn maxsize(&self) -> usize {
                self.shared.maxsize()
            }

            /// Number of items in the queue.
            pub fn qsize(&self) -> usize {
                self.shared.qsize()
            }

            /// Whether the queue has no items.
            pub fn empty(&self) -> bool {
                self.shared.qsize() == 0
            }

            /// Whether the queue has `maxsize` items (never, if unbounded).
            pub fn full(&self) -> bool {
                self.shared.full()
            }

            /// Puts an item into the queue, perhaps waiting until there is
            /// room.
            ///
            /// Returns a future, done at once if there was room, which
            /// fails with [`TimeoutError`](gust_yieldables::TimeoutError)
            /// (empty message, as Tornado's) after the timeout (see
            /// [`IntoTimeout`]). A put that times out does not put its item
            /// (the item is dropped). A put whose future is dropped still
            /// puts its item when there is room, as Tornado's
            /// fire-and-forget `q.put(item)` does.
            pub fn put(&self, item: T, timeout: impl IntoTimeout) -> Future<()> {
                self.shared.put(item, timeout)
            }

            /// Puts an item into the queue without blocking. If a getter
            /// is waiting, the item goes to it (it resumes on the loop's
            /// next iteration).
            ///
            /// If no free slot is immediately available, returns
            /// [`QueueFull`], which holds the item.
            pub fn put_nowait(&self, item: T) -> Result<(), QueueFull<T>> {
                self.shared.put_nowait(item)
            }

            /// Removes and returns an item from the queue.
            ///
            /// Returns a future which resolves once an item is available
            /// (at once if there is one), or fails with
            /// [`TimeoutError`](gust_yieldables::TimeoutError) (empty
            /// message) after the timeout (see [`IntoTimeout`]). A get that
            /// timed out never takes an item; an item handed to a get whose
            /// consumer is gone before it read it goes back to the queue.
            pub fn get(&self, timeout: impl IntoTimeout) -> Future<T> {
                self.shared.get(timeout)
            }

            /// Removes and returns an item from the queue without blocking,
            /// or [`QueueEmpty`]. If a putter is waiting (the queue is
            /// full), its item goes in and it resumes.
            pub fn get_nowait(&self) -> Result<T, QueueEmpty> {
                self.shared.get_nowait()
            }

            /// Indicates that a formerly enqueued task is complete.
            ///
            /// Used by queue consumers. For each `get` used to fetch a
            /// task, a subsequent call to `task_done` tells the queue that
            /// the processing on the task is complete.
            ///
            /// If a [`join`](Self::join) is waiting, it resumes when all
            /// items have been processed; that is, when every `put` is
            /// matched by a `task_done`.
            ///
            /// Returns [`TaskDoneError`] if called more times than `put`.
            pub fn task_done(&self) -> Result<(), TaskDoneError> {
                self.shared.task_done()
            }

            /// Waits until all items in the queue are processed.
            ///
            /// Returns a future, done at once if nothing is unfinished,
            /// which fails with
            /// [`TimeoutError`](gust_yieldables::TimeoutError) (`Timeout`,
            /// as Tornado's, which waits on an `Event`) after the timeout.
            pub fn join(&self, timeout: impl IntoTimeout) -> Future<()> {
                self.shared.join(timeout)
            }

            /// How many items were put and not yet matched by
            /// [`task_done`](Self::task_done).
            pub fn unfinished_tasks(&self) -> usize {
                self.shared.unfinished_tasks()
            }

            /// How many gets are waiting for an item.
            pub fn getters(&self) -> usize {
                self.shared.getters()
            }

            /// How many puts are waiting for room.
            pub fn putters(&self) -> usize {
                self.shared.putters()
            }

            /// The items, one by one, for a decorated coroutine: `for item
            /// in q.iter(co)` is Tornado's `async for item in q`. See
            /// [`Iter`].
            pub fn iter<'c, 'a>(&self, co: &'c Co<'a>) -> Iter<'c, 'a, T> {
                Iter {
                    co,
                    source: self.shared.clone(),
                }
            }

            /// The items as a stream, for native coroutines: `while let
            /// Some(item) = stream.next().await`. See [`QueueStream`].
            pub fn stream(&self) -> QueueStream<T> {
                QueueStream {
                    source: self.shared.clone(),
                    pending: None,
                }
            }
        }

        impl<T: 'static> Clone for $name<T> {
            /// Another handle to the same queue.
            fn clone(&self) -> Self {
                $name {
                    shared: self.shared.clone(),
                }
            }
        }

        impl<T: 'static $(+ $bound)?> Default for $name<T> {
            /// An unbounded queue.
            fn default() -> Self {
                $name::new(0)
            }
        }

        /// Tornado's repr: `<Queue at 0x... maxsize=2 queue=deque([1])
        /// getters[1] putters[1] tasks=1>` (the parts that are non-zero).
        impl<T: fmt::Debug + 'static $(+ $bound)?> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.shared.format(f, stringify!($name), true)
            }
        }

        /// Tornado's str: the repr without the address.
        impl<T: fmt::Debug + 'static $(+ $bound)?> fmt::Display for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.shared.format(f, stringify!($name), false)
            }
        }
    };
}

queue_type! {
    /// Coordinates producer and consumer coroutines (Tornado's
    /// `tornado.queues.Queue`): first in, first out.
    ///
    /// If `maxsize` is 0 the queue size is unbounded. A `Queue` is a cheap
    /// handle: clones are the same queue.
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use std::time::Duration;
    /// use gust::gen_;
    /// use gust::ioloop::ManualClock;
    /// use gust::queues::Queue;
    /// use gust::prelude::*;
    ///
    /// let io_loop = IOLoop::with_clock(ManualClock::autojump());
    /// let q = Queue::new(2);
    /// let printed = Rc::new(RefCell::new(Vec::new()));
    ///
    /// let consumer = {
    ///     let (q, printed) = (q.clone(), printed.clone());
    ///     move || {
    ///         gen_::coroutine(move |co| -> Result<(), Error> {
    ///             loop {
    ///                 let item = co.yield_(q.get(None))?;
    ///                 printed.borrow_mut().push(format!("Doing work on {item}"));
    ///                 let slept = co.yield_(gen_::sleep(Duration::from_millis(10)));
    ///                 q.task_done()?; // Python's `finally: q.task_done()`
    ///                 slept?;
    ///             }
    ///         })
    ///     }
    /// };
    /// let producer = {
    ///     let (q, printed) = (q.clone(), printed.clone());
    ///     move || {
    ///         gen_::coroutine(move |co| {
    ///             for item in 0..5 {
    ///                 co.yield_(q.put(item, None))?;
    ///                 printed.borrow_mut().push(format!("Put {item}"));
    ///             }
    ///             Ok(())
    ///         })
    ///     }
    /// };
    /// let main = {
    ///     let printed = printed.clone();
    ///     move || {
    ///         gen_::coroutine(move |co| {
    ///             // Start consumer without waiting (since it never finishes).
    ///             IOLoop::current().spawn_callback(consumer);
    ///             co.yield_(producer())?; // Wait for producer to put all tasks.
    ///             co.yield_(q.join(None))?; // Wait for consumer to finish all tasks.
    ///             printed.borrow_mut().push("Done".to_owned());
    ///             Ok(())
    ///         })
    ///     }
    /// };
    /// io_loop.run_sync(main, None).unwrap();
    /// assert_eq!(
    ///     *printed.borrow(),
    ///     [
    ///         "Put 0", "Put 1", "Doing work on 0", "Put 2", "Doing work on 1", "Put 3",
    ///         "Doing work on 2", "Put 4", "Doing work on 3", "Doing work on 4", "Done",
    ///     ]
    /// );
    /// ```
    ///
    /// The consumer can loop over the queue as Tornado's `async for item in
    /// q` does: `for item in q.iter(co)` in a decorated coroutine ([`Iter`]),
    /// `while let Some(item) = stream.next().await` in native code
    /// ([`QueueStream`]).
    ///
    /// Items are never lost or duplicated on the way: a get that timed out
    /// or whose consumer is gone is never handed an item, and an item
    /// handed to a get whose consumer vanished before reading it comes back
    /// to the front of the queue.
    ///
    /// Not thread-safe, like Tornado's: to use a queue from another thread,
    /// hand the work to the loop first (`io_loop.handle().add_callback`).
    Queue, Fifo
}

queue_type! {
    /// A [`Queue`] that retrieves entries in priority order, lowest first
    /// (Tornado's `tornado.queues.PriorityQueue`).
    ///
    /// Entries are typically tuples like `(priority number, data)`.
    ///
    /// ```
    /// use gust::queues::PriorityQueue;
    ///
    /// let q = PriorityQueue::new(0);
    /// q.put_nowait((1, "medium-priority item")).unwrap();
    /// q.put_nowait((0, "high-priority item")).unwrap();
    /// q.put_nowait((10, "low-priority item")).unwrap();
    ///
    /// assert_eq!(q.get_nowait().unwrap(), (0, "high-priority item"));
    /// assert_eq!(q.get_nowait().unwrap(), (1, "medium-priority item"));
    /// assert_eq!(q.get_nowait().unwrap(), (10, "low-priority item"));
    /// ```
    PriorityQueue, Priority, Ord
}

queue_type! {
    /// A [`Queue`] that retrieves the most recently put items first
    /// (Tornado's `tornado.queues.LifoQueue`).
    ///
    /// ```
    /// use gust::queues::LifoQueue;
    ///
    /// let q = LifoQueue::new(0);
    /// q.put_nowait(3).unwrap();
    /// q.put_nowait(2).unwrap();
    /// q.put_nowait(1).unwrap();
    ///
    /// assert_eq!(q.get_nowait().unwrap(), 1);
    /// assert_eq!(q.get_nowait().unwrap(), 2);
    /// assert_eq!(q.get_nowait().unwrap(), 3);
    /// ```
    LifoQueue, Lifo
}
