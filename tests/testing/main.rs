//! Tests of `gust::testing`: ports of Tornado's `tornado/test/testing_test.py`
//! (gen_test with decorated and native bodies, timeouts, the
//! `ASYNC_TEST_TIMEOUT` variable, `AsyncHTTPTestCase`), of the cases Tornado
//! tests elsewhere (an exception in a callback fails the test, `ExpectLog`
//! required / not required / level), and of what gust adds: the Runner
//! trace, stepping, what a parked coroutine waits on in words.
//!
//! Failing tests are run on purpose in a child process (this same test
//! binary, with `GUST_TESTING_CHILD` set) so their failure message can be
//! checked: see [`child`].

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use gust::concurrent::Future;
use gust::gen_;
use gust::ioloop::{APP_LOG, IOLoop, PeriodicCallback};
use gust::prelude::*;
use gust::runner::{Resumption, RunnerState, TraceKind, WaitingOn};
use gust::testing::{
    BackgroundFailureError, ExpectLog, GenTest, HTTPTestServer, LogCapture, Pending, TestLoop, gen_test,
    gen_test_native, step, try_gen_test,
};

mod autojump;
mod background;
mod expect_log;
mod gen_test_port;
mod http;
mod stepping;

/// The environment variable that makes a test of this binary run its
/// failing-on-purpose part.
const CHILD: &str = "GUST_TESTING_CHILD";

/// Whether this process is a child started by [`child`] for `test`.
fn in_child(test: &str) -> bool {
    std::env::var(CHILD).is_ok_and(|v| v == test)
}

/// Runs the test `test` of this binary in a child process, with
/// [`CHILD`] set to `test` and `env` added; returns whether it passed and
/// its standard error.
fn child(test: &str, env: &[(&str, &str)]) -> (bool, String) {
    let exe = std::env::current_exe().unwrap();
    let mut command = std::process::Command::new(exe);
    command
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, test)
        .env_remove("GUST_TEST_TIMEOUT");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        stdout.contains("running 1 test"),
        "the child ran no test: {stdout}"
    );
    (output.status.success(), stderr)
}
