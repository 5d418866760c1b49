//! Unobserved errors
//!
//! Error: kinds, downcasting, conversions

use super::*;

// A failed future logs `Future exception was never retrieved: ERROR` when
// its last handle is dropped, unless its error was looked at; pending and
// successful futures, and cancellations, log nothing.
#[test]
fn test_future_exception_never_retrieved() {
    let logs = LogCapture::start();
    let f = Future::<i32>::new();
    let g = f.clone();
    f.set_exception(Error::msg("lost")).unwrap();
    drop(f);
    assert!(logs.app_errors().is_empty(), "a handle is still alive");
    drop(g);
    assert_eq!(
        logs.app_errors(),
        vec!["Future exception was never retrieved: lost".to_owned()]
    );

    let logs = LogCapture::start();
    let seen = Future::<i32>::failed(Error::msg("seen"));
    assert!(seen.is_failed());
    seen.exception();
    drop(seen);
    drop(Future::<i32>::new());
    drop(Future::ready(1));
    drop(Future::<i32>::failed(CancelledError));
    drop(Future::<i32>::failed(LoopClosedError));
    drop(Future::<i32>::failed(AbandonedError { coroutine: None }));
    let read_in_callback = Future::<i32>::new();
    read_in_callback.add_done_callback(|f| assert!(f.result().is_err()));
    read_in_callback.set_exception(Error::msg("read")).unwrap();
    drop(read_in_callback);
    assert!(logs.app_errors().is_empty(), "{:?}", logs.app_errors());
}

// Error::kind / is / downcast_ref for each of gust's error types, and
// which of them count as cancellations.
#[test]
fn test_error_kinds() {
    let cases: Vec<(Error, ErrorKind, bool)> = vec![
        (TimeoutError::default().into(), ErrorKind::Timeout, false),
        (CancelledError.into(), ErrorKind::Cancelled, true),
        (
            BadYieldError {
                object: "42".to_owned(),
            }
            .into(),
            ErrorKind::BadYield,
            false,
        ),
        (
            PanicError {
                message: "m".to_owned(),
                coroutine: None,
            }
            .into(),
            ErrorKind::Panic,
            false,
        ),
        (std::io::Error::other("io").into(), ErrorKind::Io, false),
        (
            StackExhaustedError {
                stack_size: 4096,
                reason: "budget".to_owned(),
                source: None,
            }
            .into(),
            ErrorKind::StackExhausted,
            false,
        ),
        (
            InvalidStateError::new("bad").into(),
            ErrorKind::InvalidState,
            false,
        ),
        (LoopClosedError.into(), ErrorKind::LoopClosed, true),
        (
            AbandonedError { coroutine: None }.into(),
            ErrorKind::Abandoned,
            true,
        ),
        (Error::msg("user"), ErrorKind::Other, false),
        (StoppedBeforeCompletionError.into(), ErrorKind::Other, false),
        (IOLoopError::AlreadyRunning.into(), ErrorKind::Other, false),
    ];
    for (error, kind, cancellation) in &cases {
        assert_eq!(error.kind(), *kind, "{error}");
        assert_eq!(error.is_cancellation(), *cancellation, "{error}");
    }
    let timeout = &cases[0].0;
    assert!(timeout.is::<TimeoutError>());
    assert!(!timeout.is::<CancelledError>());
    assert_eq!(timeout.downcast_ref::<TimeoutError>().unwrap().message, "Timeout");
    assert!(timeout.downcast_ref::<PanicError>().is_none());
    assert_eq!(cases[2].0.to_string(), "yielded unknown object 42");
    assert_eq!(cases[3].0.to_string(), "panicked: m");
    assert_eq!(
        cases[5].0.to_string(),
        "no stack for a new coroutine (4096 bytes): budget"
    );
    assert!(cases[9].0.is::<MessageError>());
    assert_eq!(cases[9].0.downcast_ref::<MessageError>().unwrap().0, "user");
    assert_eq!(
        Error::from(AbandonedError {
            coroutine: Some("w".to_owned())
        })
        .to_string(),
        "coroutine 'w' was abandoned: the future it was waiting for was dropped without a result"
    );
    assert_eq!(
        Error::from(PanicError {
            message: "m".to_owned(),
            coroutine: Some("c".to_owned())
        })
        .to_string(),
        "coroutine 'c' panicked: m"
    );
}

// `?` on std errors converts them into Error inside a coroutine body, and
// the original type stays recognisable.
#[test]
fn test_question_mark_converts_std_errors() {
    let _io_loop = IOLoop::new();
    let parsed = gen_::coroutine(|_co| {
        let n: i32 = "x".parse()?;
        Ok(n)
    });
    let err = parsed.take_result().unwrap_err();
    assert!(err.is::<std::num::ParseIntError>());
    assert_eq!(err.kind(), ErrorKind::Other);

    let read = gen_::coroutine(|_co| Ok(std::fs::read("/nonexistent/gust/concurrent_test")?));
    let err = read.take_result().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert_eq!(
        err.downcast_ref::<std::io::Error>().unwrap().kind(),
        std::io::ErrorKind::NotFound
    );

    // And back: an Error is a std error through StdErrorAdapter / Box.
    let boxed: Box<dyn std::error::Error + Send + Sync> = err.clone().into();
    assert_eq!(boxed.to_string(), err.to_string());
    let inside = &boxed.downcast_ref::<StdErrorAdapter>().unwrap().0;
    assert!(inside.ptr_eq(&err));
    assert!(inside.is::<std::io::Error>());
    let adapter = StdErrorAdapter(err.clone());
    assert!(adapter.0.ptr_eq(&err));
    let back = Error::from_boxed(Box::new(std::io::Error::other("boxed")));
    assert_eq!(back.kind(), ErrorKind::Io);
}

/// An error with a cause, to check that `source()` passes through.
#[derive(Debug)]
struct Outer(std::io::Error);

impl fmt::Display for Outer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("outer failed")
    }
}

impl std::error::Error for Outer {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

fn takes_dyn(err: &dyn std::error::Error) -> (String, Option<String>) {
    (err.to_string(), err.source().map(|s| s.to_string()))
}

fn takes_generic<E: std::error::Error + Send + Sync + 'static>(
    err: E,
) -> Box<dyn std::error::Error + Send + Sync> {
    Box::new(err)
}

fn main_plain(fail: bool) -> Result<u32, Box<dyn std::error::Error>> {
    let value: Result<u32, Error> = if fail {
        Err(Error::new(Outer(std::io::Error::other("disk"))))
    } else {
        Ok(7)
    };
    Ok(value? + 1)
}

fn main_send_sync(fail: bool) -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
    let value: Result<u32, Error> = if fail { Err(Error::msg("no")) } else { Ok(7) };
    Ok(value? + 1)
}

// A gust::Error works where a std::error::Error is expected: `?` into
// Box<dyn Error> (plain and Send + Sync), `&*err` as `&dyn Error` (Deref),
// AsRef, a generic `E: Error` through StdErrorAdapter. The adapter is
// transparent (Display, Debug, source) and unwrapped when it comes back.
#[test]
fn test_error_interoperates_with_std_error() {
    assert_eq!(main_plain(false).unwrap(), 8);
    let boxed = main_plain(true).unwrap_err();
    assert_eq!(boxed.to_string(), "outer failed");
    assert_eq!(
        boxed.source().unwrap().to_string(),
        "disk",
        "the chain is the inner error's"
    );
    assert!(
        boxed.source().unwrap().source().is_none(),
        "the error is not its own source"
    );
    assert_eq!(main_send_sync(false).unwrap(), 8);
    let boxed = main_send_sync(true).unwrap_err();
    assert_eq!(boxed.to_string(), "no");
    assert_eq!(format!("{boxed:?}"), format!("{:?}", Error::msg("no")));

    let err = Error::new(Outer(std::io::Error::other("disk")));
    assert_eq!(
        takes_dyn(&*err),
        ("outer failed".to_owned(), Some("disk".to_owned()))
    );
    let as_ref: &(dyn std::error::Error + Send + Sync) = err.as_ref();
    assert!(as_ref.is::<Outer>());
    assert_eq!(err.source().unwrap().to_string(), "disk");

    let generic = takes_generic(StdErrorAdapter(err.clone()));
    assert!(
        Error::from_boxed(generic).ptr_eq(&err),
        "a boxed adapter is unwrapped"
    );
    assert!(Error::new(StdErrorAdapter(err.clone())).ptr_eq(&err));
    let question_mark = (|| -> Result<(), Error> { Err(StdErrorAdapter(err.clone()))? })();
    assert!(question_mark.unwrap_err().ptr_eq(&err));
}
