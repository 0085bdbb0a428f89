//! Redis's error replies, in one place.
//!
//! A command handler returns `Err(CmdError)`; the dispatcher writes it as `-<text>`.
//! Three kinds of failure are kept apart across the server: a protocol error (reply,
//! then close: see `protocol::parser`), a command error (this type: reply and go on),
//! and "incomplete input" (not an error at all: wait for more bytes).
//! The texts below are Redis 7.0's, byte for byte; the first word is the error code
//! that INFO errorstats counts.

use std::borrow::Cow;

/// A command's failure: the error reply text without the leading `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmdError(pub Cow<'static, str>);

pub type CmdResult = Result<(), CmdError>;

impl CmdError {
    pub fn text(&self) -> &str {
        &self.0
    }

    /// The error code: the first word (`ERR`, `WRONGTYPE`, ...).
    pub fn code(&self) -> &str {
        self.0.split(' ').next().unwrap_or("ERR")
    }
}

impl From<&'static str> for CmdError {
    fn from(s: &'static str) -> Self {
        CmdError(Cow::Borrowed(s))
    }
}

impl From<String> for CmdError {
    fn from(s: String) -> Self {
        CmdError(Cow::Owned(s))
    }
}

pub const SYNTAX: &str = "ERR syntax error";
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub const NOT_FLOAT: &str = "ERR value is not a valid float";
pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
pub const NAN_OR_INF: &str = "ERR increment would produce NaN or Infinity";
pub const NO_SUCH_KEY: &str = "ERR no such key";
pub const DB_INDEX_RANGE: &str = "ERR DB index is out of range";
pub const INVALID_EXPIRE: &str = "ERR invalid expire time in '{}' command";
pub const STRING_TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
pub const OFFSET_RANGE: &str = "ERR offset is out of range";
pub const SAME_OBJECT: &str = "ERR source and destination objects are the same";

/// `ERR wrong number of arguments for 'name' command`.
pub fn wrong_arity(name: &str) -> CmdError {
    CmdError::from(format!(
        "ERR wrong number of arguments for '{name}' command"
    ))
}

/// `ERR invalid expire time in 'set' command`.
pub fn invalid_expire(cmd: &str) -> CmdError {
    CmdError::from(INVALID_EXPIRE.replace("{}", cmd))
}

/// Shorthand for a static error result.
pub fn err<T>(s: &'static str) -> Result<T, CmdError> {
    Err(CmdError::from(s))
}
