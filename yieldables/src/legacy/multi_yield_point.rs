//! [`MultiYieldPoint`]: Tornado 4's parallel wait for a collection that
//! holds `YieldPoint`s.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;

use crate::driven::{into_driven, outside_coroutine};
use crate::driven_multi::MultiDriven;
use crate::future::Future;
use crate::quiet::QuietExceptions;
use crate::yieldable::{Yieldable, Yielded};

use super::yield_point::KIND;

/// Runs several yieldables, `YieldPoint`s among them, in parallel
/// (Tornado's `MultiYieldPoint`). Yielding a `Vec`, map or tuple that
/// contains a `YieldPoint` does the same; results and errors are as for
/// [`multi`](crate::multi).
pub struct MultiYieldPoint<K, T, C> {
    inner: MultiDriven<K, T, C>,
}

impl<T: 'static> MultiYieldPoint<(), T, Vec<T>> {
    /// Tornado's `MultiYieldPoint(children, quiet_exceptions)` over a list:
    /// children may be `YieldPoint`s, futures, or anything yieldable; the
    /// result is their results in order. (Yielding a `Vec` that contains a
    /// `YieldPoint` makes one of these without quiet exceptions.)
    ///
    /// ```
    /// use gust_yieldables::QuietExceptions;
    /// use gust_yieldables::legacy::{MultiYieldPoint, Wait};
    /// let both = MultiYieldPoint::new(vec![Wait::<i32>::new("a"), Wait::new("b")], QuietExceptions::none());
    /// # drop(both);
    /// ```
    pub fn new<Y: Yieldable<Output = T>>(
        children: impl IntoIterator<Item = Y>,
        quiet: QuietExceptions,
    ) -> Self {
        let children = children
            .into_iter()
            .map(|child| ((), into_driven(child.into_yielded(), KIND)))
            .collect();
        MultiYieldPoint {
            inner: MultiDriven::new(
                children,
                quiet,
                |pairs| pairs.into_iter().map(|((), v)| v).collect(),
                KIND,
            ),
        }
    }
}

impl<K: Eq + Hash + 'static, T: 'static> MultiYieldPoint<K, T, HashMap<K, T>> {
    /// Tornado's `MultiYieldPoint(dict, quiet_exceptions)`: the result has
    /// the same keys.
    pub fn from_map<Y: Yieldable<Output = T>>(children: HashMap<K, Y>, quiet: QuietExceptions) -> Self {
        let children = children
            .into_iter()
            .map(|(key, child)| (key, into_driven(child.into_yielded(), KIND)))
            .collect();
        MultiYieldPoint {
            inner: MultiDriven::new(children, quiet, |pairs| pairs.into_iter().collect(), KIND),
        }
    }
}

impl<K, T, C> fmt::Debug for MultiYieldPoint<K, T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MultiYieldPoint({:?})", self.inner)
    }
}

/// Yielded, it is driven by the coroutine as one `YieldPoint`; as a future
/// it fails with [`BadYieldError`](crate::BadYieldError).
impl<K: 'static, T: 'static, C: 'static> Yieldable for MultiYieldPoint<K, T, C> {
    type Output = C;

    fn convert_yielded(self) -> Future<C> {
        outside_coroutine(&self.inner)
    }

    fn into_yielded(self) -> Yielded<C> {
        Yielded::Driven(Box::new(self.inner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driven::{DriveContext, DrivenWait};
    use crate::legacy::{Callback, LegacyRunner, Wait, YieldPoint};

    #[test]
    fn waits_for_every_child_then_gathers_in_order() {
        let cx = DriveContext::new();
        let runner = LegacyRunner::of(&cx);
        let mut cb = Callback::new("k");
        cb.start(&runner).unwrap();
        let mut wait = MultiYieldPoint::new(vec![Wait::<i32>::new("k")], QuietExceptions::none()).inner;
        wait.start(&cx).unwrap();
        assert!(!wait.is_ready(&cx).unwrap());
        let armed = cx.signal().arm();
        cb.get_result(&runner).unwrap().call_with(5);
        assert!(armed.done(), "a result fires the coroutine's signal");
        assert!(wait.is_ready(&cx).unwrap());
        assert_eq!(wait.get_result(&cx).unwrap(), vec![5]);
        assert_eq!(wait.kind(), "YieldPoint");
    }
}
