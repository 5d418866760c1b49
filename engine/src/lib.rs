//! gust's coroutine engine: stacks, [`Generator`], the Runner and
//! [`coroutine`] (Tornado's `@gen.coroutine`).
//!
//! A coroutine is a closure running on its own stack. It receives a
//! [`Co`]; `co.yield_(future)` suspends it until the future is done and
//! evaluates to the result, as `result = yield future` does in Tornado.
//!
//! ```
//! use std::time::Duration;
//! use gust::gen_::{coroutine, sleep};
//! use gust::ioloop::{IOLoop, IOLoopExt};
//!
//! let io_loop = IOLoop::new();
//! let answer = io_loop
//!     .run_sync(
//!         || {
//!             coroutine(|co| {
//!                 co.yield_(sleep(Duration::from_millis(1)))?;
//!                 Ok(42)
//!             })
//!         },
//!         None,
//!     )
//!     .unwrap();
//! assert_eq!(answer, 42);
//! ```
//!
//! The pieces, bottom up: `stack_pool` (pooled stacks with guard pages,
//! typed errors when exhausted), `overflow` (a clear message when a
//! coroutine overflows its stack), [`Generator`] (Python's send, throw and
//! close over corosensei), `runner` (the slab of suspended coroutines a
//! loop owns, and what wakes them), and [`coroutine`] / [`Co`].
#![deny(missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks, unsafe_op_in_unsafe_fn)]

mod coroutine;
mod generator;
#[cfg(feature = "legacy")]
pub mod legacy;
mod overflow;
mod runner;
mod slot_header;
mod stack_pool;
mod sys;

pub use coroutine::{Builder, Co, WaitIter, coroutine};
pub use generator::{
    Generator, GeneratorExit, GeneratorFinishedError, GeneratorIgnoredExitError, GeneratorState, Yielder,
};
pub use runner::{
    GEN_LOG, Resumption, RunnerId, RunnerInfo, RunnerState, Trace, TraceEvent, TraceKind, WaitingOn,
    runner_of, runners,
};
pub use stack_pool::{
    DEFAULT_STACK_SIZE, GuardMode, MIN_STACK_SIZE, StackStats, default_stack_size, guard_mode,
    set_default_stack_size, set_max_live_stacks, stack_stats, trim_stack_pool,
};
