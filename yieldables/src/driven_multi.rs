//! Collections that contain a [driven wait](crate::DrivenWait), as one
//! driven wait (Tornado 4's `MultiYieldPoint`).
//!
//! When [`multi`](crate::multi) (or yielding a collection) meets a driven
//! member, the whole collection must be driven by the coroutine too: every
//! member becomes a driven wait (a future is one that is ready when it is
//! done) and the collection starts them all, is ready when all are, and
//! gathers their results with `multi`'s error rule: the first error in
//! input order wins, later ones are logged unless quiet.

use crate::driven::{DriveContext, DrivenWait};
use crate::error::Error;
use crate::quiet::QuietExceptions;

/// A `Vec` or map whose members include a driven wait.
pub struct MultiDriven<K, T, C> {
    children: Vec<(K, Box<dyn DrivenWait<Output = T>>)>,
    ready: Vec<bool>,
    quiet: QuietExceptions,
    assemble: fn(Vec<(K, T)>) -> C,
    kind: &'static str,
}

impl<K: 'static, T: 'static, C: 'static> MultiDriven<K, T, C> {
    /// The collection of `children` (with their keys, in input order),
    /// whose results `assemble` puts together. `kind` is what runner
    /// introspection shows a coroutine parked on it waiting for.
    pub fn new(
        children: Vec<(K, Box<dyn DrivenWait<Output = T>>)>,
        quiet: QuietExceptions,
        assemble: fn(Vec<(K, T)>) -> C,
        kind: &'static str,
    ) -> Self {
        let ready = vec![false; children.len()];
        MultiDriven {
            children,
            ready,
            quiet,
            assemble,
            kind,
        }
    }
}

impl<K, T, C> std::fmt::Debug for MultiDriven<K, T, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MultiDriven({} children)", self.children.len())
    }
}

impl<K: 'static, T: 'static, C: 'static> DrivenWait for MultiDriven<K, T, C> {
    type Output = C;

    fn start(&mut self, cx: &DriveContext) -> Result<(), Error> {
        for (_, child) in &mut self.children {
            child.start(cx)?;
        }
        Ok(())
    }

    fn is_ready(&mut self, cx: &DriveContext) -> Result<bool, Error> {
        for (index, (_, child)) in self.children.iter_mut().enumerate() {
            if !self.ready[index] {
                if child.is_ready(cx)? {
                    self.ready[index] = true;
                } else {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    fn get_result(&mut self, cx: &DriveContext) -> Result<C, Error> {
        let mut first = None;
        let mut pairs = Vec::with_capacity(self.children.len());
        for (key, mut child) in std::mem::take(&mut self.children) {
            match child.get_result(cx) {
                Ok(value) => pairs.push((key, value)),
                Err(error) => self.quiet.keep_first(&mut first, error),
            }
        }
        match first {
            Some(error) => Err(error),
            None => Ok((self.assemble)(pairs)),
        }
    }

    fn kind(&self) -> &'static str {
        self.kind
    }

    fn describe(&self) -> String {
        format!("a collection holding a {}", self.kind)
    }
}

/// A tuple whose members include a driven wait: `P` is a tuple of boxed
/// driven waits.
pub struct TupleDriven<P> {
    pub(crate) waits: P,
    pub(crate) quiet: QuietExceptions,
    pub(crate) kind: &'static str,
}

macro_rules! tuple_driven {
    ($($ty:ident $var:ident $idx:tt),+) => {
        impl<$($ty: 'static),+> DrivenWait for TupleDriven<($(Box<dyn DrivenWait<Output = $ty>>,)+)> {
            type Output = ($($ty,)+);

            fn start(&mut self, cx: &DriveContext) -> Result<(), Error> {
                $( self.waits.$idx.start(cx)?; )+
                Ok(())
            }

            fn is_ready(&mut self, cx: &DriveContext) -> Result<bool, Error> {
                $(
                    if !self.waits.$idx.is_ready(cx)? {
                        return Ok(false);
                    }
                )+
                Ok(true)
            }

            #[allow(non_snake_case)]
            fn get_result(&mut self, cx: &DriveContext) -> Result<Self::Output, Error> {
                let mut first = None;
                $(
                    let $var = match self.waits.$idx.get_result(cx) {
                        Ok(value) => Some(value),
                        Err(error) => {
                            self.quiet.keep_first(&mut first, error);
                            None
                        }
                    };
                )+
                match ($($var,)+) {
                    ($(Some($var),)+) => Ok(($($var,)+)),
                    _ => Err(first.unwrap_or_else(|| Error::msg("internal error: tuple multi lost an error"))),
                }
            }

            fn kind(&self) -> &'static str {
                self.kind
            }

            fn describe(&self) -> String {
                format!("a tuple holding a {}", self.kind)
            }
        }
    };
}

crate::multi::for_each_tuple!(tuple_driven);
