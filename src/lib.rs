//! ferrodis: a Redis 7.0 compatible server.
//!
//! # Layout
//!
//! The folders follow the path of a request:
//!
//! - `server/`: the event loop (`event_loop.rs`: one thread, `mio` poll, clients in
//!   a `slab`), the client (`client.rs`) and the shared state (`mod.rs`).
//! - `protocol/`: the incremental RESP parser (`parser.rs`) and the reply writer
//!   (`reply.rs`), the only code that formats RESP. No I/O in either.
//! - `commands/`: the command table (`table.rs`), the dispatcher (`mod.rs`) and one
//!   file of handlers per group: `strings.rs`, `keys.rs`, `connection.rs`,
//!   `client.rs` (CLIENT, MONITOR), `server.rs` (INFO, CONFIG, DEBUG, FLUSH...),
//!   `command_info.rs` (COMMAND), `slowlog.rs`, `latency.rs` (their data lives
//!   in `server/latency.rs`), `memory.rs` (MEMORY, LOLWUT).
//! - `keyspace/`: the databases (`db.rs`), their hash table (`dict.rs`, incremental
//!   rehash and a resize-proof SCAN cursor), the expiry index, the value type and
//!   the compact byte string used for keys.
//! - `persistence/`: the RDB format (`rdb/`: values, files, the fork-less
//!   snapshot behind BGSAVE, SAVE/BGSAVE bookkeeping and loading at start) and
//!   the append-only file (`aof.rs`). Writes reach the AOF through the one
//!   propagation point, `server/propagate.rs`.
//! - `config.rs`: the parameter table behind redis.conf, arguments and CONFIG.
//! - `error.rs`: Redis's error texts. `util/`: glob matching and number formats.

pub mod commands;
pub mod config;
pub mod error;
pub mod keyspace;
pub mod persistence;
pub mod protocol;
pub mod server;
pub mod util;

/// The Redis version we answer as (INFO redis_version, HELLO).
pub const REDIS_VERSION: &str = "7.0.15";
