//! Python's exception classes that Tornado's tests and documents raise, as
//! error types, and Python's `x / y`.

use std::fmt;

use gust::Error;

macro_rules! python_error {
    ($(#[$doc:meta])* $name:ident => $message:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name;

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($message)
            }
        }

        impl std::error::Error for $name {}
    };
}

python_error!(
    /// Python's `ZeroDivisionError` (`1 / 0`).
    ZeroDivisionError => "division by zero"
);
python_error!(
    /// Python's `KeyError`.
    KeyError => "KeyError"
);

/// Python's `RuntimeError(message)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeError(pub &'static str);

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for RuntimeError {}

/// Python's `x / y`: fails with [`ZeroDivisionError`] when `y` is zero.
///
/// ```
/// use gust_dev_support::python::{ZeroDivisionError, python_div};
///
/// assert_eq!(python_div(1.0, 4.0).unwrap(), 0.25);
/// assert!(python_div(1.0, 0.0).unwrap_err().is::<ZeroDivisionError>());
/// ```
pub fn python_div(x: f64, y: f64) -> Result<f64, Error> {
    if y == 0.0 {
        Err(Error::new(ZeroDivisionError))
    } else {
        Ok(x / y)
    }
}
