//! (being written)

use super::table::CommandSpec;

pub const COMMANDS: &[CommandSpec] = &[];
