//! The `Generator` layer (`gust::generator::Generator`): Python's generator
//! protocol (`send`, `throw`, `close`, `StopIteration`, `GeneratorExit`)
//! over a closure running on its own stack, and a port of the Tornado
//! docs' "simplified inner loop of tornado.gen.Runner" built on it.

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use gust::ErrorKind;
use gust::concurrent::{Future, InvalidStateError};
use gust::error::PanicError;
use gust::generator::{Generator, GeneratorExit, GeneratorFinishedError, GeneratorState, Yielder};
use gust::prelude::*;
use gust::testing::LogCapture;
use gust_dev_support::{Guard, new_log};

type Gen = Generator<i32, i32, i32>;

mod close;
mod send_throw;
mod simplified_runner;
