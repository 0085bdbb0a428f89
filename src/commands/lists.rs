//! List commands (LPUSH, LRANGE, BLPOP ...): argument parsing and replies; the
//! operations on the values live in `keyspace`.

use crate::commands::CommandSpec;

pub const COMMANDS: &[CommandSpec] = &[];
