//! The value stored under a key.
//!
//! `Value` is 16 bytes so that a table entry (key, value, links) stays at 48 bytes
//! with no allocation for short data. Strings take one of Redis's three encodings,
//! chosen by the same rules so OBJECT ENCODING answers as Redis does:
//! - `Int`: the string is a canonical 64-bit integer (no leading zeros, no `+`,
//!   at most 20 characters), stored as the number ("int").
//! - `Inline`/`Embstr`: up to 44 bytes ("embstr"); up to 14 bytes live inside the
//!   value itself with no allocation at all.
//! - `Raw`: longer strings, or any string changed in place by APPEND/SETRANGE
//!   ("raw"), as Redis converts those to raw.
//!
//! The other types are boxed (one pointer in the enum; a `Hash` is a tagged
//! pointer itself, so it is not boxed again), each in a module of its own
//! that holds its encodings: `list::List`, `hash::Hash`, `set::Set`,
//! `zset::Zset`.

use super::hash::Hash;
use super::list::List;
use super::set::Set;
use super::zset::Zset;
use crate::util::numbers::{fmt_i64, parse_i64};

/// Longest string kept inside the value itself.
pub const INLINE_MAX: usize = 14;
/// Longest string Redis encodes as embstr.
pub const EMBSTR_MAX: usize = 44;

/// A string of at most `INLINE_MAX` bytes stored in place.
#[derive(Clone, Copy)]
pub struct InlineStr {
    len: u8,
    data: [u8; INLINE_MAX],
}

impl InlineStr {
    fn new(b: &[u8]) -> Self {
        let mut data = [0u8; INLINE_MAX];
        data[..b.len()].copy_from_slice(b);
        InlineStr {
            len: b.len() as u8,
            data,
        }
    }

    fn as_slice(&self) -> &[u8] {
        &self.data[..self.len as usize]
    }
}

pub enum Value {
    Int(i64),
    Inline(InlineStr),
    Embstr(Box<Vec<u8>>),
    Raw(Box<Vec<u8>>),
    List(Box<List>),
    /// Unboxed: `Hash` is one tagged pointer itself.
    Hash(Hash),
    Set(Box<Set>),
    Zset(Box<Zset>),
}

const _: () = assert!(std::mem::size_of::<Value>() == 16);

/// Scratch space for the decimal form of an int-encoded string.
pub type IntBuf = [u8; 24];

impl Value {
    /// A string value as SET stores it (Redis's tryObjectEncoding).
    pub fn string(b: &[u8]) -> Value {
        if b.len() <= 20 {
            if let Some(n) = parse_i64(b) {
                return Value::Int(n);
            }
        }
        Value::string_no_int(b)
    }

    /// A string value that is never int-encoded (embstr/raw by length).
    pub fn string_no_int(b: &[u8]) -> Value {
        if b.len() <= INLINE_MAX {
            Value::Inline(InlineStr::new(b))
        } else if b.len() <= EMBSTR_MAX {
            Value::Embstr(Box::new(b.to_vec()))
        } else {
            Value::Raw(Box::new(b.to_vec()))
        }
    }

    /// A string value from an owned buffer (reused when long).
    pub fn string_owned(v: Vec<u8>) -> Value {
        if v.len() <= 20 {
            if let Some(n) = parse_i64(&v) {
                return Value::Int(n);
            }
        }
        if v.len() <= EMBSTR_MAX {
            Value::string_no_int(&v)
        } else {
            Value::Raw(Box::new(v))
        }
    }

    /// A raw-encoded string (the result of APPEND or SETRANGE).
    pub fn raw(v: Vec<u8>) -> Value {
        Value::Raw(Box::new(v))
    }

    pub fn is_string(&self) -> bool {
        matches!(
            self,
            Value::Int(_) | Value::Inline(_) | Value::Embstr(_) | Value::Raw(_)
        )
    }

    /// The TYPE name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Int(_) | Value::Inline(_) | Value::Embstr(_) | Value::Raw(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::Zset(_) => "zset",
        }
    }

    /// The OBJECT ENCODING name.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Inline(_) | Value::Embstr(_) => "embstr",
            Value::Raw(_) => "raw",
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::Zset(z) => z.encoding(),
        }
    }

    /// The bytes of a string value (`tmp` holds the digits of an int), or None
    /// for other types.
    pub fn as_bytes<'a>(&'a self, tmp: &'a mut IntBuf) -> Option<&'a [u8]> {
        match self {
            Value::Int(n) => Some(int_digits(*n, tmp)),
            Value::Inline(s) => Some(s.as_slice()),
            Value::Embstr(b) | Value::Raw(b) => Some(b.as_slice()),
            _ => None,
        }
    }

    /// Length of a string value in bytes.
    pub fn str_len(&self) -> Option<usize> {
        match self {
            Value::Int(n) => Some(crate::util::numbers::i64_len(*n)),
            Value::Inline(s) => Some(s.len as usize),
            Value::Embstr(b) | Value::Raw(b) => Some(b.len()),
            _ => None,
        }
    }

    /// Takes the string's bytes out as a vector (for in-place growth).
    pub fn into_vec(self) -> Option<Vec<u8>> {
        match self {
            Value::Int(n) => {
                let mut v = Vec::new();
                fmt_i64(n, &mut v);
                Some(v)
            }
            Value::Inline(s) => Some(s.as_slice().to_vec()),
            Value::Embstr(b) | Value::Raw(b) => Some(*b),
            _ => None,
        }
    }

    /// Mutable access to a raw string's buffer, converting other string
    /// encodings to raw first. None for non-strings.
    pub fn make_raw(&mut self) -> Option<&mut Vec<u8>> {
        if !matches!(self, Value::Raw(_)) {
            let taken = std::mem::replace(self, Value::Int(0));
            *self = Value::raw(taken.into_vec()?);
        }
        match self {
            Value::Raw(b) => Some(b),
            _ => None,
        }
    }

    /// Heap bytes held by the value (for MEMORY USAGE and stats).
    pub fn heap_size(&self) -> usize {
        match self {
            Value::Int(_) | Value::Inline(_) => 0,
            Value::Embstr(b) | Value::Raw(b) => 24 + b.capacity(),
            Value::List(l) => std::mem::size_of::<List>() + l.heap_size(),
            Value::Hash(h) => h.heap_size(),
            Value::Set(s) => std::mem::size_of::<Set>() + s.heap_size(),
            Value::Zset(z) => std::mem::size_of::<Zset>() + z.heap_size(),
        }
    }

    /// OBJECT REFCOUNT: Redis shares the integers 0..9999.
    pub fn refcount(&self) -> i64 {
        match self {
            Value::Int(n) if (0..10000).contains(n) => i32::MAX as i64,
            _ => 1,
        }
    }

    /// A copy (COPY, and values read for a snapshot).
    pub fn duplicate(&self) -> Value {
        match self {
            Value::Int(n) => Value::Int(*n),
            Value::Inline(s) => Value::Inline(*s),
            Value::Embstr(b) => Value::Embstr(b.clone()),
            Value::Raw(b) => Value::Raw(b.clone()),
            Value::List(l) => Value::List(Box::new(l.duplicate())),
            Value::Hash(h) => Value::Hash(h.duplicate()),
            Value::Set(s) => Value::Set(Box::new(s.duplicate())),
            Value::Zset(z) => Value::Zset(Box::new(z.duplicate())),
        }
    }
}

pub use crate::util::numbers::int_digits;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_follow_redis_rules() {
        assert_eq!(Value::string(b"123").encoding(), "int");
        assert_eq!(Value::string(b"0123").encoding(), "embstr");
        assert_eq!(Value::string(b"-0").encoding(), "embstr");
        assert_eq!(Value::string(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(Value::string(&[b'a'; 45]).encoding(), "raw");
        let mut t = [0u8; 24];
        assert_eq!(
            Value::string(b"-9223372036854775808")
                .as_bytes(&mut t)
                .unwrap(),
            b"-9223372036854775808"
        );
    }
}
