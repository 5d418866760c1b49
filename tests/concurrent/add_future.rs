//! IOLoop.add_future

use super::*;

// Tornado's IOLoop.add_future always runs the callback on a later
// iteration, even for a future that is already done, and never inside
// set_result.
#[test]
fn test_add_future_runs_on_a_later_iteration() {
    let io_loop = IOLoop::new();
    let ran = Rc::new(RefCell::new(Vec::new()));

    let done = Future::ready(1);
    let r = ran.clone();
    io_loop.add_future(&done, move |f| r.borrow_mut().push(f.result().unwrap()));
    assert!(ran.borrow().is_empty(), "not at once, though the future is done");
    step(&io_loop);
    assert_eq!(*ran.borrow(), vec![1]);

    let pending = Future::new();
    let r = ran.clone();
    io_loop.add_future(&pending, move |f| r.borrow_mut().push(f.result().unwrap()));
    step(&io_loop);
    assert_eq!(ran.borrow().len(), 1, "not before the future is done");
    pending.set_result(2).unwrap();
    assert_eq!(ran.borrow().len(), 1, "not inside set_result");
    let before = io_loop.iterations();
    step(&io_loop);
    assert_eq!(*ran.borrow(), vec![1, 2]);
    assert_eq!(io_loop.iterations(), before + 1);
}

// A panic in an add_future callback is logged and the loop goes on.
#[test]
fn test_add_future_callback_panic_is_logged() {
    let logs = LogCapture::start();
    let io_loop = IOLoop::new();
    io_loop.add_future(&Future::ready(1), |_| panic!("add_future bug"));
    let later = Rc::new(Cell::new(false));
    let l = later.clone();
    io_loop.add_future(&Future::ready(2), move |_| l.set(true));
    step(&io_loop);
    assert!(later.get());
    let logged = logs.app_errors();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(logged[0].starts_with("Exception in callback"), "{}", logged[0]);
    assert!(logged[0].ends_with("add_future bug"), "{}", logged[0]);
}

// ====================================================================
// ClientTestMixin, without the socket: a coroutine that capitalises or
// fails with CapError.
// ====================================================================

#[derive(Debug)]
struct CapError(String);

impl fmt::Display for CapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CapError {}

fn capitalize(request: &'static str) -> Future<String> {
    gen_::coroutine(move |co| {
        co.yield_(gen_::moment)?;
        if request == request.to_uppercase() {
            Err(CapError("already capitalized".to_owned()).into())
        } else {
            Ok(request.to_uppercase())
        }
    })
}

// Ports ClientTestMixin.test_future: add_future, then read the result.
#[test]
fn test_future() {
    let io_loop = IOLoop::new();
    let future = capitalize("hello");
    let lp = io_loop.clone();
    io_loop.add_future(&future, move |_| lp.stop());
    io_loop.start().unwrap();
    assert_eq!(future.result().unwrap(), "HELLO");
}

// Ports ClientTestMixin.test_future_error.
#[test]
fn test_future_error() {
    let io_loop = IOLoop::new();
    let future = capitalize("HELLO");
    let lp = io_loop.clone();
    io_loop.add_future(&future, move |_| lp.stop());
    io_loop.start().unwrap();
    let err = future.result().unwrap_err();
    assert!(err.is::<CapError>());
    assert!(err.to_string().contains("already capitalized"));
}

// Ports ClientTestMixin.test_generator.
#[test]
fn test_generator() {
    let io_loop = IOLoop::new();
    let result = io_loop
        .run_sync(|| gen_::coroutine(|co| co.yield_(capitalize("hello"))), None)
        .unwrap();
    assert_eq!(result, "HELLO");
}

// Ports ClientTestMixin.test_generator_error.
#[test]
fn test_generator_error() {
    let io_loop = IOLoop::new();
    let caught = io_loop
        .run_sync(
            || {
                gen_::coroutine(|co| match co.yield_(capitalize("HELLO")) {
                    Err(e) if e.is::<CapError>() => Ok(e.to_string()),
                    Err(e) => Err(e),
                    Ok(s) => Err(Error::msg(format!("expected CapError, got {s}"))),
                })
            },
            None,
        )
        .unwrap();
    assert_eq!(caught, "already capitalized");
}
