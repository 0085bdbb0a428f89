//! Persistence: the RDB format (`rdb/`), point-in-time snapshots written by a
//! background thread, and the append-only file. Everything that leaves the
//! process is in Redis 7.0's own formats, so files move between ferrodis and
//! real Redis in both directions.

pub mod aof;
pub mod rdb;
