//! `gust::testing` with another logger installed first (`env_logger`, say):
//! what gust itself logs still reaches `ExpectLog`, `LogCapture` and the
//! background-failure check, through the per-thread tap; and the other
//! logger still gets every record nobody expected.

use std::sync::{Mutex, Once};
use std::time::Duration;

use gust::gen_;
use gust::ioloop::{APP_LOG, IOLoop};
use gust::prelude::*;
use gust::testing::{
    BackgroundFailureError, ExpectLog, InstallLoggerError, LogCapture, TestLogger, step, try_gen_test,
};

/// The process's logger: keeps every record's message.
struct Keeper(Mutex<Vec<String>>);

impl log::Log for Keeper {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        self.0.lock().unwrap().push(record.args().to_string());
    }
    fn flush(&self) {}
}

static KEEPER: Keeper = Keeper(Mutex::new(Vec::new()));
static INSTALL: Once = Once::new();

fn install_keeper() {
    INSTALL.call_once(|| {
        log::set_logger(&KEEPER).unwrap();
        log::set_max_level(log::LevelFilter::Trace);
    });
}

fn kept_containing(needle: &str) -> usize {
    KEEPER
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.contains(needle))
        .count()
}

#[test]
fn test_logger_cannot_be_installed() {
    install_keeper();
    assert_eq!(TestLogger::install(), Err(InstallLoggerError::OtherLogger));
    assert!(!TestLogger::is_installed());
}

#[test]
fn expect_log_sees_gust_records_and_consumes_them() {
    install_keeper();
    let io_loop = IOLoop::new();
    let expected = ExpectLog::new(APP_LOG, "Exception in callback").level(log::Level::Error);
    io_loop.add_callback(|| -> Result<(), Error> { Err(Error::msg("foreign-logger-expected")) });
    step(&io_loop);
    assert_eq!(expected.matched(), 1);
    expected.finish().unwrap();
    assert_eq!(
        kept_containing("foreign-logger-expected"),
        0,
        "consumed: not passed on"
    );
}

#[test]
fn unexpected_records_reach_the_capture_and_the_other_logger() {
    install_keeper();
    let io_loop = IOLoop::new();
    let logs = LogCapture::start();
    io_loop.add_callback(|| -> Result<(), Error> { Err(Error::msg("foreign-logger-captured")) });
    step(&io_loop);
    assert_eq!(logs.app_errors_containing("foreign-logger-captured").len(), 1);
    assert_eq!(kept_containing("foreign-logger-captured"), 1);
}

#[test]
fn background_failures_are_still_caught() {
    install_keeper();
    let error = try_gen_test(|co| {
        IOLoop::current().spawn_callback(|| {
            gen_::coroutine(|co| -> Result<(), Error> {
                co.yield_(gen_::moment)?;
                Err(Error::msg("foreign-logger-background"))
            })
        });
        co.yield_(gen_::sleep(Duration::from_secs(1)))?;
        Ok(())
    })
    .unwrap_err();
    let failure = error.downcast_ref::<BackgroundFailureError>().unwrap();
    assert!(failure.failures[0].message.ends_with("foreign-logger-background"));
    assert_eq!(kept_containing("foreign-logger-background"), 1);
}
