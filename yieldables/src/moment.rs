//! [`moment`]: yield to let the loop run one iteration.

use crate::future::Future;
use crate::yieldable::{Yieldable, Yielded};

/// The type of [`moment`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Moment;

/// A special value which may be yielded to allow the IOLoop to run for one
/// iteration (Tornado's `gen.moment`).
///
/// This is not needed in normal use but it can be helpful in long-running
/// coroutines that are likely to yield futures that are ready instantly:
/// yielding a done future continues at once, without giving other
/// coroutines a turn. Yielding `moment` costs exactly one loop iteration, so
/// two coroutines that yield it alternate (`ababab`).
///
/// Usage: `co.yield_(gen_::moment)?;`
///
/// Inside a list (`multi`), `moment` resolves at once, as in Tornado.
/// Yielding `()` is the same as yielding `moment` (Tornado 4.5+: `yield
/// None`).
#[allow(non_upper_case_globals)]
pub const moment: Moment = Moment;

impl Yieldable for Moment {
    type Output = ();

    fn convert_yielded(self) -> Future<()> {
        Future::ready(())
    }

    #[inline]
    fn into_yielded(self) -> Yielded<()> {
        Yielded::Moment(())
    }
}

/// `yield None` in Tornado: the same as [`moment`].
impl Yieldable for () {
    type Output = ();

    fn convert_yielded(self) -> Future<()> {
        moment.convert_yielded()
    }

    #[inline]
    fn into_yielded(self) -> Yielded<()> {
        moment.into_yielded()
    }
}
