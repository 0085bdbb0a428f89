//! Shared helpers for the integration tests; every `tests/*.rs` does `mod support;`.
//!
//! - `resp`: a blocking RESP2/RESP3 client (`Conn`, `Reply`) and the FORMAT.md
//!   notation for replies and command lines.
//! - `server`: spawning ferrodis / redis-server on a free port (or wrapping an
//!   external server), killed on drop, with its log shown on failure.
//!
//! The compat-case runner lives in `support/compat.rs` and is included only by
//! `tests/compat.rs` (its parser unit tests then run once, in that target).
//! Each test target uses a different subset of these helpers, hence the
//! `dead_code` allowance.
#![allow(dead_code, unused_imports)]

pub mod differential;
pub mod resp;
pub mod server;

pub use resp::{Conn, Reply};
pub use server::Server;
