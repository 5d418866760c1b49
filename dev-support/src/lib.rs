//! What gust's own tests, doc examples and side-by-side ports need and a
//! user's program does not: Python's error classes, a destructor that
//! records itself, and what Tornado's documents take for granted (an
//! `http://example.com` served on 127.0.0.1, a Motor cursor, a template).
//!
//! Running a test body, stepping a loop and capturing the log are public
//! API: `gust::testing` (`gen_test`, `step`, `LogCapture`, `ExpectLog`).
//!
//! This crate is a dev-dependency only (`publish = false`): nothing of it
//! ships in `gust`.
//!
//! - [`python`]: `ZeroDivisionError`, `KeyError`, `RuntimeError`, and
//!   Python's `x / y`.
//! - [`Guard`], [`new_log`]: recording destructors (Python's `finally`).
//! - [`fakes`]: the documents' stand-ins, each taking loop time, and the
//!   example site they fetch from.
//! - [`child`]: running part of a test in a child process (crashes,
//!   resource limits).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod child;
pub mod fakes;
mod harness;
pub mod python;

pub use harness::{Guard, new_log};
