//! Redis's error replies, in one place.
//!
//! A command handler returns `Err(CmdError)`; the dispatcher writes it as `-<text>`.
//! Three kinds of failure are kept apart across the server: a protocol error (reply,
//! then close: see `protocol::parser`), a command error (this type: reply and go on),
//! and "incomplete input" (not an error at all: wait for more bytes).
//! The texts below are Redis 7.0's, byte for byte; the first word is the error code
//! that INFO errorstats counts.

use std::borrow::Cow;

/// A command's failure: the error reply text without the leading `-`. Bytes,
/// not `str`: errors echo client arguments, which Redis repeats byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmdError(pub Cow<'static, [u8]>);

pub type CmdResult = Result<(), CmdError>;

impl CmdError {
    /// The reply text, as sent.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The reply text for display (invalid UTF-8 replaced).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }

    /// The error code: the first word (`ERR`, `WRONGTYPE`, ...).
    pub fn code(&self) -> Cow<'_, str> {
        let word = self.0.split(|&b| b == b' ').next().unwrap_or(b"ERR");
        String::from_utf8_lossy(word)
    }

    /// `<before><arg><after>`, the argument echoed as the client sent it.
    pub fn quoting(before: &str, arg: &[u8], after: &str) -> CmdError {
        let mut v = Vec::with_capacity(before.len() + arg.len() + after.len());
        v.extend_from_slice(before.as_bytes());
        v.extend_from_slice(arg);
        v.extend_from_slice(after.as_bytes());
        CmdError(Cow::Owned(v))
    }
}

impl From<&'static str> for CmdError {
    fn from(s: &'static str) -> Self {
        CmdError(Cow::Borrowed(s.as_bytes()))
    }
}

impl From<String> for CmdError {
    fn from(s: String) -> Self {
        CmdError(Cow::Owned(s.into_bytes()))
    }
}

impl From<Vec<u8>> for CmdError {
    fn from(v: Vec<u8>) -> Self {
        CmdError(Cow::Owned(v))
    }
}

/// `ERR unknown subcommand or wrong number of arguments for 'sub'. Try X HELP.`:
/// a known container got a subcommand it cannot parse with those arguments.
pub fn bad_subcommand(container: &str, sub: &[u8]) -> CmdError {
    CmdError::quoting(
        "ERR unknown subcommand or wrong number of arguments for '",
        sub,
        &format!("'. Try {container} HELP."),
    )
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
