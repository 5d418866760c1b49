//! `ExpectLog` (Tornado's `tornado.testing.ExpectLog`): required, not
//! required, level; per thread; `LogCapture`.

use super::*;

fn log_app_error(message: &str) {
    let io_loop = IOLoop::current();
    let message = message.to_owned();
    io_loop.add_callback(move || -> Result<(), Error> { Err(Error::msg(message)) });
    step(&io_loop);
}

#[test]
fn test_required_and_matched() {
    let _io_loop = IOLoop::new();
    let expected = ExpectLog::new(APP_LOG, "Exception in callback");
    log_app_error("boom");
    assert_eq!(expected.matched(), 1);
    expected.finish().unwrap();
}

#[test]
fn test_required_and_missing() {
    let expected = ExpectLog::new(APP_LOG, "Exception in callback");
    let missing = expected.finish().unwrap_err();
    assert!(
        missing
            .to_string()
            .starts_with("did not get expected log message"),
        "{missing}"
    );
}

#[test]
#[should_panic(expected = "did not get expected log message")]
fn test_required_and_missing_panics_on_drop() {
    let _expected = ExpectLog::new(APP_LOG, "never logged");
}

#[test]
fn test_not_required() {
    let expected = ExpectLog::new(APP_LOG, "never logged").required(false);
    assert_eq!(expected.matched(), 0);
    expected.finish().unwrap();
}

// Matching records are consumed: a LogCapture does not see them, and
// they are not background failures.
#[test]
fn test_matching_records_are_consumed() {
    let _io_loop = IOLoop::new();
    let logs = LogCapture::start();
    let expected = ExpectLog::containing(APP_LOG, "wanted");
    log_app_error("a wanted failure");
    log_app_error("a surprise");
    expected.finish().unwrap();
    let seen = logs.app_errors();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].ends_with("a surprise"));
}

// Tornado's level argument (6.1): a record at another level does not
// match, and the failure says so.
#[test]
fn test_level() {
    let _io_loop = IOLoop::new();
    let expected = ExpectLog::new(APP_LOG, "Exception in callback").level(log::Level::Error);
    log_app_error("at error level");
    assert_eq!(expected.matched(), 1);
    expected.finish().unwrap();

    let logs = LogCapture::start();
    let expected = ExpectLog::new("app", "disk").level(log::Level::Error);
    log::warn!(target: "app", "disk almost full");
    let missing = expected.finish().unwrap_err();
    assert_eq!(missing.wrong_level.len(), 1);
    assert!(
        missing
            .to_string()
            .contains("at another level: WARN app: disk almost full"),
        "{missing}"
    );
    // Not consumed: still logged.
    assert_eq!(logs.records().len(), 1);
}

// Records of your own code reach ExpectLog through the TestLogger the
// helpers install (no other logger is installed in this binary).
#[test]
fn test_own_records() {
    let expected = ExpectLog::new("myapp::db", "reconnecting");
    log::info!(target: "myapp::db", "reconnecting in 1 s");
    assert_eq!(expected.matched(), 1);
    // A parent target covers its children.
    let expected = ExpectLog::new("myapp", "retry");
    log::info!(target: "myapp::db", "retry 2");
    log::info!(target: "myapplication", "retry 3");
    assert_eq!(expected.matched(), 1);
    expected.finish().unwrap();
}

#[test]
fn test_matching_predicate() {
    let expected = ExpectLog::matching("myapp", |m| m.split_whitespace().count() == 3);
    log::warn!(target: "myapp", "three words here");
    expected.finish().unwrap();
}

// Each test sees its own thread's records, with tests running in
// parallel: many threads log at once, each expects only its own.
#[test]
fn test_threads_see_their_own_records() {
    let handles: Vec<_> = (0..8)
        .map(|n| {
            std::thread::spawn(move || {
                let logs = LogCapture::start();
                let expected = ExpectLog::new("threads", &format!("thread {n}:"));
                for i in 0..50 {
                    log::warn!(target: "threads", "thread {n}: {i}");
                    log::warn!(target: "threads", "other {n}: {i}");
                }
                assert_eq!(expected.matched(), 50);
                expected.finish().unwrap();
                let others = logs.records();
                assert_eq!(others.len(), 50);
                assert!(
                    others
                        .iter()
                        .all(|r| r.message.starts_with(&format!("other {n}:")))
                );
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
}
