//! Sorted set commands (ZADD, ZRANGE, ZPOPMIN, BZPOPMIN ...): argument
//! parsing and replies; the operations on the values live in `keyspace`.

use crate::commands::CommandSpec;

pub const COMMANDS: &[CommandSpec] = &[];
