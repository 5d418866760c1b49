//! Moving and copying results

use super::*;

// gust-specific (the Future doc: results are moved to a consumer by value
// and copied for `&future`): a borrowed yield leaves the result, a yield
// by value takes it, and a later reader gets InvalidStateError.
#[test]
fn test_yield_by_value_moves_result_by_reference_copies() {
    let _io_loop = IOLoop::new();
    let f = Future::ready(String::from("x"));
    let g = f.clone();
    let out = gen_::coroutine(move |co| {
        let a = co.yield_(&g)?;
        let b = co.yield_(&g)?;
        let c = co.yield_(g.clone())?;
        let d = co.yield_(&g).map_err(|e| e.is::<InvalidStateError>());
        Ok((a, b, c, d))
    });
    let (a, b, c, d) = out.take_result().unwrap();
    assert_eq!((a.as_str(), b.as_str(), c.as_str()), ("x", "x", "x"));
    assert_eq!(d, Err(true));
    assert!(f.result().unwrap_err().is::<InvalidStateError>());
}

// gust-specific (what a stackful coroutine adds: any plain function that
// is handed the coroutine handle can yield): a helper function yields on
// the caller's stack.
#[test]
fn test_helper_function_can_yield() {
    fn twice(co: &Co, f: Future<i32>) -> Result<i32, Error> {
        Ok(co.yield_(f)? * 2)
    }
    let v = try_gen_test(|co| twice(co, async_future(21))).unwrap();
    assert_eq!(v, 42);
}

// gust-specific (Tornado's convert_yielded registry): a user type becomes
// yieldable by implementing the trait.
#[test]
fn test_custom_yieldable() {
    struct Deferred(Future<i32>);
    impl gen_::Yieldable for Deferred {
        type Output = i32;
        fn convert_yielded(self) -> Future<i32> {
            self.0
        }
    }
    let v = try_gen_test(|co| co.yield_(Deferred(async_future(7)))).unwrap();
    assert_eq!(v, 7);
}

/// Compiles only for a type that is not `Yieldable` (both impls apply to a
/// yieldable type, making `check` ambiguous): the stable form of the
/// facade's `compile_fail` doctest of yielding a non-yieldable type.
trait NotYieldable<A> {
    fn check() {}
}
impl<T> NotYieldable<()> for T {}
impl<T: gen_::Yieldable> NotYieldable<u8> for T {}

// Tornado raises BadYieldError when a coroutine yields an unknown object;
// in gust such a type is not Yieldable, and `co.yield_` requires it.
#[test]
fn test_unknown_types_are_not_yieldable() {
    struct Unknown;
    <Unknown as NotYieldable<_>>::check();
    <String as NotYieldable<_>>::check();
    fn assert_yieldable<T: gen_::Yieldable>() {}
    assert_yieldable::<Future<u32>>();
    assert_yieldable::<Vec<Future<u32>>>();
    assert_yieldable::<gen_::Moment>();
}
