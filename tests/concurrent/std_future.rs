//! Rust's std Future: a gust Future can be polled / awaited.

use super::*;

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn poll<T: 'static>(f: &mut Future<T>, cx: &mut Context<'_>) -> Poll<Result<T, Error>> {
    std::future::Future::poll(std::pin::Pin::new(f), cx)
}

// Polling a pending future registers the waker, which set_result wakes;
// the output is the result, moved out.
#[test]
fn test_future_as_std_future() {
    let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    let mut f = Future::<String>::new();
    let setter = f.clone();
    assert!(poll(&mut f, &mut cx).is_pending());
    assert!(poll(&mut f, &mut cx).is_pending());
    assert_eq!(f.callback_count(), 1, "the same waker is registered once");
    setter.set_result("x".to_owned()).unwrap();
    assert_eq!(counter.0.load(Ordering::SeqCst), 1);
    match poll(&mut f, &mut cx) {
        Poll::Ready(Ok(s)) => assert_eq!(s, "x"),
        other => panic!("expected Ready(Ok), got {other:?}"),
    }
    assert!(
        setter.result().unwrap_err().is::<InvalidStateError>(),
        "awaiting moved the result"
    );
}
