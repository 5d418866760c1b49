//! Looping over a queue as Python's `async for item in q` does: [`Iter`]
//! from a decorated coroutine, [`QueueStream`] from native code.

use std::future::Future as _;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use gust_engine::Co;
use gust_yieldables::Future;

use super::shared::Source;

/// The items of a queue, taken one by one from a decorated coroutine:
/// `for item in q.iter(co)` is Tornado's `async for item in q`. Each
/// `next` is `co.yield_(q.get(None))`: it waits for an item, and returns
/// at once (without a loop iteration) when one is there.
///
/// Like `async for` over a Tornado queue it never ends by itself; leave
/// the loop with `break` or `return`. It ends (`None`) only if the wait
/// fails, which happens when the coroutine is being closed.
///
/// Returned by `Queue::iter` (and the same method of the other queues).
pub struct Iter<'c, 'a, T> {
    pub(crate) co: &'c Co<'a>,
    pub(crate) source: Rc<dyn Source<T>>,
}

impl<T: 'static> Iterator for Iter<'_, '_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.co.yield_(self.source.next_item()).ok()
    }
}

/// The items of a queue as an asynchronous stream, for native coroutines:
/// `while let Some(item) = stream.next().await` is Tornado's
/// `async for item in q`.
///
/// Dropping the future returned by [`next`](QueueStream::next) before it
/// finishes loses nothing: the wait stays in the stream and the next call
/// continues it. Dropping the stream gives a handed but unread item back
/// to the queue. [`poll_next`](QueueStream::poll_next) has the signature of
/// the `futures` crate's `Stream::poll_next`, for an adapter.
///
/// Returned by `Queue::stream` (and the same method of the other queues).
pub struct QueueStream<T> {
    pub(crate) source: Rc<dyn Source<T>>,
    pub(crate) pending: Option<Future<T>>,
}

impl<T: 'static> QueueStream<T> {
    /// The next item; like Tornado's queue iterator it never runs out, so
    /// `None` means the wait failed (it was cancelled, or its loop closed).
    // The async counterpart of `Iterator::next`, as `StreamExt::next` is.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Next<'_, T> {
        Next { stream: self }
    }

    /// Polls for the next item (`Stream::poll_next`).
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let source = &self.source;
        let pending = self.pending.get_or_insert_with(|| source.next_item());
        match Pin::new(pending).poll(cx) {
            Poll::Ready(result) => {
                self.pending = None;
                Poll::Ready(result.ok())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The future [`QueueStream::next`] returns.
#[must_use = "futures do nothing unless awaited"]
pub struct Next<'s, T> {
    stream: &'s mut QueueStream<T>,
}

impl<T: 'static> std::future::Future for Next<'_, T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.stream.poll_next(cx)
    }
}
