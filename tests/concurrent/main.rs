//! `gust::concurrent::Future` itself: ports of Tornado's
//! `tornado/test/concurrent_test.py` where they apply without sockets, and
//! the asyncio / Tornado 4 Future semantics gust follows (set once,
//! `InvalidStateError`, cancel, done callbacks, `chain_future`,
//! `add_future`), plus gust's own: results moved or copied, shared errors,
//! the error kinds.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use gust::ErrorKind;
use gust::concurrent::{CancelledError, Future, InvalidStateError, chain_future, chain_future_cloned};
use gust::error::{
    AbandonedError, MessageError, PanicError, StackExhaustedError, StdErrorAdapter,
    StoppedBeforeCompletionError,
};
use gust::gen_;
use gust::gen_::{BadYieldError, TimeoutError};
use gust::ioloop::{IOLoopError, LoopClosedError};
use gust::prelude::*;
use gust::testing::{LogCapture, step};

mod add_future;
mod chain;
mod errors;
mod future;
mod std_future;
