//! [`YieldPoint`]: Tornado 4's extension point of the Runner, and how one
//! is yielded (as a driven wait, with the coroutine's [`LegacyRunner`]).

use std::any::type_name;

use crate::driven::{DriveContext, DrivenWait, outside_coroutine};
use crate::error::Error;
use crate::future::Future;
use crate::yieldable::{Yieldable, Yielded};

use super::runner::LegacyRunner;

/// What [`DrivenWait::kind`] says of a `YieldPoint` (and runner
/// introspection of a coroutine parked on one).
pub(crate) const KIND: &str = "YieldPoint";

/// Something a decorated coroutine may yield that talks to its runner
/// (Tornado's `YieldPoint`).
///
/// The runner calls [`start`](YieldPoint::start) once, then
/// [`is_ready`](YieldPoint::is_ready) (maybe several times), then
/// [`get_result`](YieldPoint::get_result) once, after `is_ready` returned
/// true. An error from any of them is delivered at the yield.
pub trait YieldPoint {
    /// What the yield evaluates to.
    type Output: 'static;

    /// Called by the runner after the coroutine has yielded this.
    fn start(&mut self, runner: &LegacyRunner) -> Result<(), Error>;

    /// Whether the coroutine can be resumed.
    fn is_ready(&mut self, runner: &LegacyRunner) -> Result<bool, Error>;

    /// The value of the yield.
    fn get_result(&mut self, runner: &LegacyRunner) -> Result<Self::Output, Error>;

    /// How error messages show it (Python's `repr`); the type's name unless
    /// overridden.
    fn describe(&self) -> String {
        type_name::<Self>().to_owned()
    }
}

/// A `YieldPoint` as the core drives it: each step gets the coroutine's
/// legacy runner state.
pub(crate) struct PointWait<P>(pub(crate) P);

impl<P: YieldPoint> DrivenWait for PointWait<P> {
    type Output = P::Output;

    fn start(&mut self, cx: &DriveContext) -> Result<(), Error> {
        self.0.start(&LegacyRunner::of(cx))
    }

    fn is_ready(&mut self, cx: &DriveContext) -> Result<bool, Error> {
        self.0.is_ready(&LegacyRunner::of(cx))
    }

    fn get_result(&mut self, cx: &DriveContext) -> Result<P::Output, Error> {
        self.0.get_result(&LegacyRunner::of(cx))
    }

    fn kind(&self) -> &'static str {
        KIND
    }

    fn describe(&self) -> String {
        self.0.describe()
    }
}

/// Every `YieldPoint` is yieldable: it is handed to the coroutine's
/// runner. It cannot be converted to a future (there is no runner outside a
/// decorated coroutine): that gives a [`BadYieldError`](crate::BadYieldError).
impl<P: YieldPoint + 'static> Yieldable for P {
    type Output = P::Output;

    fn convert_yielded(self) -> Future<Self::Output> {
        outside_coroutine(&PointWait(self))
    }

    fn into_yielded(self) -> Yielded<Self::Output> {
        Yielded::Driven(Box::new(PointWait(self)))
    }
}
