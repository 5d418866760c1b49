//! [`Arguments`]: what a callback called with several values passes on.

use std::any::Any;
use std::fmt;

/// The arguments of a callback called with several values (Tornado's
/// `gen.Arguments` namedtuple: `args` and `kwargs`).
#[derive(Default)]
pub struct Arguments {
    /// The positional arguments.
    pub args: Vec<Box<dyn Any>>,
    /// The keyword arguments, in order.
    pub kwargs: Vec<(String, Box<dyn Any>)>,
}

impl Arguments {
    /// Positional arguments only.
    pub fn positional(args: Vec<Box<dyn Any>>) -> Arguments {
        Arguments {
            args,
            kwargs: Vec::new(),
        }
    }

    /// The positional argument `index`, if it is a `T`.
    pub fn arg<T: 'static>(&self, index: usize) -> Option<&T> {
        self.args.get(index)?.downcast_ref()
    }

    /// The keyword argument `name`, if present and a `T`.
    pub fn kwarg<T: 'static>(&self, name: &str) -> Option<&T> {
        self.kwargs.iter().find(|(n, _)| n == name)?.1.downcast_ref()
    }
}

impl fmt::Debug for Arguments {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&String> = self.kwargs.iter().map(|(n, _)| n).collect();
        write!(
            f,
            "Arguments(args=<{} values>, kwargs={names:?})",
            self.args.len()
        )
    }
}
