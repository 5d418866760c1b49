//! What gust's own tests, doc examples and side-by-side ports need and a
//! user's program does not: a per-thread log capture, Python's error
//! classes, Tornado's `@gen_test` as a function, and what Tornado's
//! documents take for granted (an `http://example.com` served on
//! 127.0.0.1, a Motor cursor, a template).
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
//! - [`fakes`]: the documents' stand-ins, each taking loop time, and the
//!   example site they fetch from.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod fakes;
mod harness;
pub mod logs;
pub mod python;

pub use harness::{Guard, new_log, run, step};
