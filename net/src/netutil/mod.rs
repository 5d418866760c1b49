//! Listening sockets, accepting connections, and resolving host names
//! (Tornado's `tornado.netutil`).
//!
//! * [`bind_sockets`] creates listening sockets for a port on every
//!   address of a host (Tornado's `bind_sockets`), with `SO_REUSEADDR`,
//!   `IPV6_V6ONLY` on IPv6 sockets, and `SO_REUSEPORT` on request;
//!   [`bind_unused_port`] binds a free port on 127.0.0.1 for tests.
//! * [`add_accept_handler`] accepts connections on a listening socket from
//!   the loop and hands each to a callback.
//! * [`Resolver`] turns a host name into addresses without blocking the
//!   loop: [`DefaultExecutorResolver`] runs `getaddrinfo` on the loop's
//!   thread pool, [`OverrideResolver`] maps names for tests.
//!
//! ```
//! use gust::netutil::{bind_sockets, BindOptions};
//!
//! let sockets = bind_sockets(0, "127.0.0.1", BindOptions::default()).unwrap();
//! let port = sockets[0].local_addr().unwrap().port();
//! assert_ne!(port, 0);
//! ```

mod accept;
mod bind;
mod resolver;

pub use accept::{AcceptHandle, add_accept_handler};
pub use bind::{BindOptions, DEFAULT_BACKLOG, bind_sockets, bind_unused_port};
pub use resolver::{AddressFamily, DefaultExecutorResolver, OverrideResolver, Resolver, is_valid_ip};
