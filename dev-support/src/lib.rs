//! What gust's own tests, doc examples and side-by-side ports need and a
//! user's program does not: a per-thread log capture, Python's error
//! classes, Tornado's `@gen_test` as a function, and small fakes of the
//! things Tornado's documents take for granted (an HTTP client, a request
//! handler, a Motor cursor).
//!
//! This crate is a dev-dependency only (`publish = false`): nothing of it
//! ships in `gust`.
//!
//! - [`logs`]: capture `log` records per thread, so tests running in
//!   parallel each see their own.
//! - [`python`]: `ZeroDivisionError`, `KeyError`, `RuntimeError`, and
//!   Python's `x / y`.
//! - [`run`], [`step`], [`Guard`], [`new_log`]: running and stepping a
//!   loop in a test, and recording destructors.
//! - [`fakes`]: the documents' stand-ins, each taking loop time.
//! - [`child`]: running part of a test in a child process (crashes,
//!   resource limits).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod child;
pub mod fakes;
mod harness;
pub mod logs;
pub mod python;

pub use harness::{Guard, new_log, run, step};
