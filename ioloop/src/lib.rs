//! gust's event loop: Tornado's `tornado.ioloop` on [mio].
//!
//! An [`IOLoop`] runs callbacks, timers and file-descriptor handlers on one
//! thread. It has Tornado's surface: [`IOLoop::current`],
//! [`add_callback`](IOLoop::add_callback), [`call_later`](IOLoop::call_later),
//! [`add_timeout`](IOLoop::add_timeout) with an absolute or relative
//! [`Deadline`], [`remove_timeout`](IOLoop::remove_timeout),
//! [`add_handler`](IOLoop::add_handler), [`start`](IOLoop::start) and
//! [`stop`](IOLoop::stop), and [`PeriodicCallback`]. Other threads reach a
//! loop through a [`LoopHandle`].
//!
//! This crate knows nothing of futures or coroutines: the loop-level
//! methods that need them (`run_sync`, `add_future`, `run_in_executor`)
//! are added by `gust-yieldables` and `gust-engine`, which store their own
//! state in the loop as an [`Extension`].
//!
//! For tests, a loop can run on a [`ManualClock`], and be stepped one
//! iteration at a time with [`IOLoop::run_once`].
//!
//! ```
//! use std::time::Duration;
//! use gust::ioloop::{IOLoop, ManualClock};
//!
//! let clock = ManualClock::autojump();
//! let io_loop = IOLoop::with_clock(&clock);
//! io_loop.call_later(Duration::from_secs(3600), || IOLoop::current().stop());
//! io_loop.start().unwrap(); // an hour passes instantly on the manual clock
//! ```
//!
//! # Logging
//!
//! Failures the loop catches are logged with the [`log`] crate at error
//! level under the target [`APP_LOG`] (Tornado's `tornado.application`
//! logger), with Tornado's messages, e.g. `Exception in callback ...`.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod callback;
mod clock;
mod current;
mod deadline;
mod error;
mod extension;
mod handle;
pub mod handlers;
mod io_loop;
mod periodic_callback;
mod poller;
pub mod protocol;
mod ready_queue;
mod sync;
mod tap;
mod thread_mark;
mod timer_heap;
mod timers;
mod token;

pub use callback::CallbackResult;
pub use clock::{Clock, ManualClock};
pub use deadline::Deadline;
pub use error::{IOLoopError, LoopClosedError};
pub use extension::Extension;
pub use handle::{LoopHandle, PendingWork};
pub use handlers::{Events, HandlerId};
pub use io_loop::{IOLoop, WeakIOLoop};
pub use periodic_callback::{InvalidJitterError, NonPositivePeriodError, PeriodicCallback, PeriodicHandle};
pub use timer_heap::TimeoutHandle;

/// The `log` target of errors reported by the loop and the coroutine
/// machinery (Tornado's `tornado.application` logger).
pub const APP_LOG: &str = "gust::application";
