//! The `Generator` layer (`gust::gen_::Generator`): Python's generator
//! protocol (`send`, `throw`, `close`, `StopIteration`, `GeneratorExit`)
//! over a closure running on its own stack, and a port of the Tornado
//! docs' "simplified inner loop of tornado.gen.Runner" built on it.

#[path = "../common/mod.rs"]
mod common;

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use gust::ErrorKind;
use gust::concurrent::InvalidStateError;
use gust::gen_::{Generator, GeneratorExit, GeneratorFinishedError, GeneratorState, Yielder};
use gust::prelude::*;
use gust::yieldables::PanicError;

/// Records its name in a shared list when dropped (Python's `finally`).
struct Guard(Rc<RefCell<Vec<&'static str>>>, &'static str);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.borrow_mut().push(self.1);
    }
}

fn new_log() -> Rc<RefCell<Vec<&'static str>>> {
    Rc::new(RefCell::new(Vec::new()))
}

type Gen = Generator<i32, i32, i32>;

mod close;
mod send_throw;
mod simplified_runner;
