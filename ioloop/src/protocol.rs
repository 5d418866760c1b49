//! What gust's sibling crates (`gust-yieldables`, `gust-engine`, and the
//! crates built on them) need from the loop and most programs do not.
//!
//! The `gust` facade does not re-export this module. Besides these items,
//! two `IOLoop` methods are meant for the same users and hidden from the
//! docs: `add_callback_raw` and `call_at_raw`, which schedule a
//! [`RawCallback`] without allocating (the coroutine runner resumes
//! coroutines with them).

pub use crate::callback::{RawCallback, panic_message};
pub use crate::sync::{lock, spin_until, wait};
pub use crate::token::{SlotOverflowError, SlotToken};
