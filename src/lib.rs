//! gust
#![deny(missing_docs)]
pub use gust_ioloop as ioloop;
