//! Ports of Tornado's `tornado/test/gen_test.py` (master, and the 4.5
//! branch for the cases master dropped) to gust's `gen_::coroutine`, plus
//! tests of what a stackful engine adds: hop counts, nesting depth,
//! stepping through the Runner, unwinding on close.
//!
//! Conventions: a Tornado `@gen_test` body becomes [`try_gen_test`] (a coroutine
//! driven by `run_sync` on a loop whose clock jumps to the next timer, so
//! nothing really sleeps); `raise gen.Return(x)` and `return x` are both
//! `Ok(x)`; `1 / 0` is `Err(ZeroDivisionError.into())`.

use gust::testing::{LogCapture, step, try_gen_test};
use gust_dev_support::python::{KeyError, RuntimeError, ZeroDivisionError};
use gust_dev_support::{Guard, new_log};

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::rc::{Rc, Weak};
use std::time::Duration;

use gust::ErrorKind;
use gust::concurrent::{Future, InvalidStateError};
use gust::error::{AbandonedError, PanicError, StoppedBeforeCompletionError};
use gust::gen_::{self, QuietExceptions, TimeoutError};
use gust::ioloop::{IOLoopError, LoopClosedError, ManualClock};
use gust::prelude::*;
use gust::runner::{RunnerState, WaitingOn};

// --------------------------------------------------------------------
// Helpers (GenBasicTest's delay / async_future / async_exception /
// add_one_async, and the exception classes the Python tests raise)
// --------------------------------------------------------------------

#[derive(Debug)]
struct LeakedException(u32);

impl fmt::Display for LeakedException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::error::Error for LeakedException {}

/// Returns `arg` after `iterations` loop iterations.
fn delay<T: 'static>(iterations: usize, arg: T) -> Future<T> {
    gen_::coroutine(move |co| {
        for _ in 0..iterations {
            co.yield_(gen_::moment)?;
        }
        Ok(arg)
    })
}

/// Returns `result` after one loop iteration.
fn async_future<T: 'static>(result: T) -> Future<T> {
    gen_::coroutine(move |co| {
        co.yield_(gen_::moment)?;
        Ok(result)
    })
}

/// Fails with `error` after one loop iteration.
fn async_exception<T: 'static>(error: impl Into<Error> + 'static) -> Future<T> {
    gen_::coroutine(move |co| {
        co.yield_(gen_::moment)?;
        Err(error.into())
    })
}

fn add_one_async(x: i32) -> Future<i32> {
    gen_::coroutine(move |co| {
        co.yield_(gen_::moment)?;
        Ok(x + 1)
    })
}

mod basic;
mod cancellation;
mod closing;
mod coroutine;
mod driven;
mod hops;
mod implicit_loop;
mod multi;
mod panics;
mod results;
mod run_sync;
mod runner_gc;
mod stepping;
