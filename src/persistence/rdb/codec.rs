//! The RDB primitives: lengths, strings, doubles, the type and opcode bytes,
//! and a bounds-checked reader.
//!
//! Lengths are big-endian with the form in the top two bits of the first
//! byte: `00` a 6-bit length, `01` 14 bits (with the next byte), `10000000`
//! a 32-bit length and `10000001` a 64-bit one in the following bytes, `11`
//! an "encoded" string whose low six bits say how: 0/1/2 an integer of
//! 8/16/32 bits (little endian), 3 an LZF-compressed string (compressed
//! length, original length, data).
//!
//! `write_string` chooses among them as Redis does: a string of at most 11
//! bytes that is a canonical integer fitting 32 bits is stored as that
//! integer; a string longer than 20 bytes is compressed when compression is
//! on and LZF fits it in 4 bytes less (the room Redis gives liblzf); anything
//! else is stored as is.
//!
//! The reader never panics: every read is checked against the buffer and a
//! short or malformed input gives an `RdbError` naming the offset.

use std::borrow::Cow;
use std::fmt;

use super::lzf;
use crate::util::numbers::{fmt_i64, parse_i64};

/// The RDB version Redis 7.0 writes (and DUMP payloads carry).
pub const RDB_VERSION: u16 = 10;

/// The type byte that starts every value.
pub mod rdb_type {
    pub const STRING: u8 = 0;
    pub const LIST: u8 = 1;
    pub const SET: u8 = 2;
    pub const ZSET: u8 = 3;
    pub const HASH: u8 = 4;
    pub const ZSET_2: u8 = 5;
    pub const MODULE: u8 = 6;
    pub const MODULE_2: u8 = 7;
    pub const HASH_ZIPMAP: u8 = 9;
    pub const LIST_ZIPLIST: u8 = 10;
    pub const SET_INTSET: u8 = 11;
    pub const ZSET_ZIPLIST: u8 = 12;
    pub const HASH_ZIPLIST: u8 = 13;
    pub const LIST_QUICKLIST: u8 = 14;
    pub const STREAM_LISTPACKS: u8 = 15;
    pub const HASH_LISTPACK: u8 = 16;
    pub const ZSET_LISTPACK: u8 = 17;
    pub const LIST_QUICKLIST_2: u8 = 18;
    pub const STREAM_LISTPACKS_2: u8 = 19;
}

/// The file-level opcodes (values of the type byte that are not types).
pub mod opcode {
    pub const FUNCTION2: u8 = 245;
    pub const FUNCTION: u8 = 246;
    pub const MODULE_AUX: u8 = 247;
    pub const IDLE: u8 = 248;
    pub const FREQ: u8 = 249;
    pub const AUX: u8 = 250;
    pub const RESIZEDB: u8 = 251;
    pub const EXPIRETIME_MS: u8 = 252;
    pub const EXPIRETIME: u8 = 253;
    pub const SELECTDB: u8 = 254;
    pub const EOF: u8 = 255;
}

const ENC_INT8: u8 = 0;
const ENC_INT16: u8 = 1;
const ENC_INT32: u8 = 2;
const ENC_LZF: u8 = 3;

/// Appends a length in its shortest form.
pub fn write_len(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.push(0x40 | (len >> 8) as u8);
        out.push(len as u8);
    } else if len <= u64::from(u32::MAX) {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// Appends the integer encoding of `v` if it fits 32 bits.
fn write_int_enc(out: &mut Vec<u8>, v: i64) -> bool {
    if let Ok(b) = i8::try_from(v) {
        out.push(0xC0 | ENC_INT8);
        out.push(b as u8);
    } else if let Ok(h) = i16::try_from(v) {
        out.push(0xC0 | ENC_INT16);
        out.extend_from_slice(&h.to_le_bytes());
    } else if let Ok(w) = i32::try_from(v) {
        out.push(0xC0 | ENC_INT32);
        out.extend_from_slice(&w.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// Appends a string, choosing the integer, LZF or plain form as Redis does.
pub fn write_string(out: &mut Vec<u8>, s: &[u8], compress: bool) {
    if s.len() <= 11 {
        if let Some(v) = parse_i64(s) {
            if write_int_enc(out, v) {
                return;
            }
        }
    }
    if compress && s.len() > 20 && write_lzf(out, s) {
        return;
    }
    write_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// Appends `s` LZF-compressed if it fits in `len - 4` bytes, the output
/// room Redis gives the compressor (so the same strings are compressed).
fn write_lzf(out: &mut Vec<u8>, s: &[u8]) -> bool {
    if s.len() <= 4 {
        return false;
    }
    let start = out.len();
    if !lzf::compress_within(s, s.len() - 4, out) {
        return false;
    }
    let clen = out.len() - start;
    // Put the header (marker, both lengths) in front of the data: written
    // after it, then rotated into place (no buffer of its own).
    out.push(0xC0 | ENC_LZF);
    write_len(out, clen as u64);
    write_len(out, s.len() as u64);
    let h = out.len() - start - clen;
    out[start..].rotate_right(h);
    true
}

/// Appends an int-encoded string value (Redis's "int" encoding): the integer
/// form when it fits 32 bits, else its decimal digits.
pub fn write_i64_string(out: &mut Vec<u8>, v: i64) {
    if !write_int_enc(out, v) {
        let mut tmp = Vec::with_capacity(20);
        fmt_i64(v, &mut tmp);
        write_len(out, tmp.len() as u64);
        out.extend_from_slice(&tmp);
    }
}

/// Appends a double as 8 bytes, little endian (ZSET_2 scores).
pub fn write_binary_double(out: &mut Vec<u8>, v: f64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// A malformed or truncated RDB input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdbError {
    pub offset: usize,
    pub msg: String,
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.msg, self.offset)
    }
}

impl std::error::Error for RdbError {}

/// A cursor over RDB bytes. Every read is bounds-checked.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// A length as read: plain, or the marker of an encoded string.
enum Len {
    Plain(u64),
    Encoded(u8),
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// An error at the current offset.
    pub fn error(&self, msg: impl Into<String>) -> RdbError {
        RdbError {
            offset: self.pos,
            msg: msg.into(),
        }
    }

    fn short(&self) -> RdbError {
        self.error("unexpected end of data")
    }

    pub fn u8(&mut self) -> Result<u8, RdbError> {
        let b = *self.buf.get(self.pos).ok_or_else(|| self.short())?;
        self.pos += 1;
        Ok(b)
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], RdbError> {
        if n > self.remaining() {
            return Err(self.short());
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], RdbError> {
        let s = self.bytes(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub fn u32_le(&mut self) -> Result<u32, RdbError> {
        self.array().map(u32::from_le_bytes)
    }

    pub fn u64_le(&mut self) -> Result<u64, RdbError> {
        self.array().map(u64::from_le_bytes)
    }

    pub fn i64_le(&mut self) -> Result<i64, RdbError> {
        self.array().map(i64::from_le_bytes)
    }

    fn len_or_enc(&mut self) -> Result<Len, RdbError> {
        let b = self.u8()?;
        Ok(match b >> 6 {
            0 => Len::Plain(u64::from(b & 0x3f)),
            1 => Len::Plain((u64::from(b & 0x3f) << 8) | u64::from(self.u8()?)),
            2 => match b {
                0x80 => Len::Plain(u64::from(u32::from_be_bytes(self.array()?))),
                0x81 => Len::Plain(u64::from_be_bytes(self.array()?)),
                _ => {
                    self.pos -= 1;
                    return Err(self.error(format!("unknown length encoding 0x{b:02x}")));
                }
            },
            _ => Len::Encoded(b & 0x3f),
        })
    }

    /// A plain length (an encoded-string marker here is an error). Not a
    /// container length, hence no `is_empty`.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&mut self) -> Result<u64, RdbError> {
        let at = self.pos;
        match self.len_or_enc()? {
            Len::Plain(n) => Ok(n),
            Len::Encoded(_) => Err(RdbError {
                offset: at,
                msg: "encoded length where a plain length was expected".into(),
            }),
        }
    }

    /// A length that must fit the input that is left (each counted item
    /// takes at least `min_item` bytes), so a corrupt count cannot make the
    /// caller allocate or loop for nothing.
    pub fn count(&mut self, min_item: usize) -> Result<usize, RdbError> {
        let at = self.pos;
        let n = self.len()?;
        if n > (self.remaining() / min_item.max(1)) as u64 {
            return Err(RdbError {
                offset: at,
                msg: format!("length {n} exceeds the data left"),
            });
        }
        Ok(n as usize)
    }

    /// A string in any of its encodings.
    pub fn string(&mut self) -> Result<Cow<'a, [u8]>, RdbError> {
        let at = self.pos;
        match self.len_or_enc()? {
            Len::Plain(n) => {
                let n = usize::try_from(n).map_err(|_| self.short())?;
                Ok(Cow::Borrowed(self.bytes(n)?))
            }
            Len::Encoded(enc) => {
                let mut v = Vec::with_capacity(20);
                match enc {
                    ENC_INT8 => fmt_i64(i64::from(self.u8()? as i8), &mut v),
                    ENC_INT16 => fmt_i64(i64::from(i16::from_le_bytes(self.array()?)), &mut v),
                    ENC_INT32 => fmt_i64(i64::from(i32::from_le_bytes(self.array()?)), &mut v),
                    ENC_LZF => {
                        let clen = self.len()?;
                        let ulen = self.len()?;
                        let clen = usize::try_from(clen).map_err(|_| self.short())?;
                        let data = self.bytes(clen)?;
                        let ulen = usize::try_from(ulen)
                            .map_err(|_| self.error("LZF length too large"))?;
                        return lzf::decompress(data, ulen).map(Cow::Owned).ok_or(RdbError {
                            offset: at,
                            msg: "invalid LZF compressed string".into(),
                        });
                    }
                    _ => {
                        return Err(RdbError {
                            offset: at,
                            msg: format!("unknown string encoding {enc}"),
                        })
                    }
                }
                Ok(Cow::Owned(v))
            }
        }
    }

    /// An integer-encoded string as its number, or None (with nothing
    /// consumed) when the next string is not int-encoded.
    pub fn try_int_string(&mut self) -> Result<Option<i64>, RdbError> {
        let Some(&b) = self.buf.get(self.pos) else {
            return Err(self.short());
        };
        let v = match b {
            0xC0 => {
                self.pos += 1;
                i64::from(self.u8()? as i8)
            }
            0xC1 => {
                self.pos += 1;
                i64::from(i16::from_le_bytes(self.array()?))
            }
            0xC2 => {
                self.pos += 1;
                i64::from(i32::from_le_bytes(self.array()?))
            }
            _ => return Ok(None),
        };
        Ok(Some(v))
    }

    /// A double as 8 bytes, little endian.
    pub fn binary_double(&mut self) -> Result<f64, RdbError> {
        self.array().map(f64::from_le_bytes)
    }

    /// A double in the old ASCII form: a length byte (253 NaN, 254 +inf,
    /// 255 -inf) then that many characters.
    pub fn old_double(&mut self) -> Result<f64, RdbError> {
        let at = self.pos;
        let n = self.u8()?;
        match n {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            _ => {
                let s = self.bytes(n as usize)?;
                std::str::from_utf8(s)
                    .ok()
                    .and_then(|t| t.trim().parse::<f64>().ok())
                    .ok_or(RdbError {
                        offset: at,
                        msg: "invalid double".into(),
                    })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc_len(n: u64) -> Vec<u8> {
        let mut v = Vec::new();
        write_len(&mut v, n);
        v
    }

    fn enc_str(s: &[u8], compress: bool) -> Vec<u8> {
        let mut v = Vec::new();
        write_string(&mut v, s, compress);
        v
    }

    #[test]
    fn length_forms() {
        assert_eq!(enc_len(0), [0x00]);
        assert_eq!(enc_len(63), [0x3f]);
        assert_eq!(enc_len(64), [0x40, 0x40]);
        assert_eq!(enc_len(16383), [0x7f, 0xff]);
        assert_eq!(enc_len(16384), [0x80, 0, 0, 0x40, 0]);
        assert_eq!(enc_len(u32::MAX as u64), [0x80, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(enc_len(1 << 32), [0x81, 0, 0, 0, 1, 0, 0, 0, 0]);
        for n in [0, 1, 63, 64, 300, 16383, 16384, 1 << 31, 1 << 32, u64::MAX] {
            let b = enc_len(n);
            let mut r = Reader::new(&b);
            assert_eq!(r.len().unwrap(), n);
            assert_eq!(r.remaining(), 0);
            for cut in 0..b.len() {
                assert!(Reader::new(&b[..cut]).len().is_err());
            }
        }
        // An encoded marker is not a plain length; 0x82.. are unknown.
        assert!(Reader::new(&[0xC0, 1]).len().is_err());
        assert!(Reader::new(&[0x82, 0, 0, 0, 0]).len().is_err());
    }

    #[test]
    fn string_choices_as_redis() {
        // Bytes from DUMP on redis-server 7.0.15 (type byte stripped).
        assert_eq!(enc_str(b"5", true), b"\xc0\x05");
        assert_eq!(enc_str(b"300", true), b"\xc1\x2c\x01");
        assert_eq!(enc_str(b"70000", true), b"\xc2\x70\x11\x01\x00");
        assert_eq!(enc_str(b"-129", true), b"\xc1\x7f\xff");
        assert_eq!(enc_str(b"12345678901", true), b"\x0b12345678901");
        assert_eq!(enc_str(b"hello", true), b"\x05hello");
        assert_eq!(enc_str(b"-0", true), b"\x02-0");
        assert_eq!(enc_str(b"007", true), b"\x03007");
        // LZF only when longer than 20 bytes and on.
        let a100 = [b'a'; 100];
        let c = enc_str(&a100, true);
        assert_eq!(c[0], 0xC3);
        assert!(c.len() < 20);
        assert_eq!(enc_str(&a100, false)[..2], [0x40, 100]);
        assert_eq!(enc_str(&[b'a'; 20], true)[0], 20);
        let mut w = Vec::new();
        write_i64_string(&mut w, 12345678901);
        assert_eq!(w, b"\x0b12345678901");
        let mut w = Vec::new();
        write_i64_string(&mut w, -1);
        assert_eq!(w, b"\xc0\xff");
    }

    #[test]
    fn strings_round_trip() {
        let long: Vec<u8> = (0..5000u32).map(|i| (i % 97) as u8).collect();
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"0".to_vec(),
            b"-2147483648".to_vec(),
            b"2147483648".to_vec(),
            b"-9223372036854775808".to_vec(),
            b"a string of some length, more than twenty".to_vec(),
            vec![b'x'; 70000],
            long,
        ];
        for s in &cases {
            for compress in [false, true] {
                let b = enc_str(s, compress);
                let mut r = Reader::new(&b);
                assert_eq!(&*r.string().unwrap(), s.as_slice());
                assert_eq!(r.remaining(), 0);
                for cut in 0..b.len() {
                    assert!(Reader::new(&b[..cut]).string().is_err(), "cut {cut}");
                }
            }
        }
    }

    #[test]
    fn reads_redis_strings() {
        let mut r = Reader::new(b"\xc3\x09\x40\x64\x01aa\xe0W\x00\x01aa\xc1\x2c\x01\xc0\xfb");
        assert_eq!(&*r.string().unwrap(), &[b'a'; 100][..]);
        assert_eq!(&*r.string().unwrap(), b"300");
        assert_eq!(r.try_int_string().unwrap(), Some(-5));
        assert!(r.string().is_err());
        // A bad LZF stream, an unknown encoding.
        assert!(Reader::new(b"\xc3\x02\x05\x01aa").string().is_err());
        assert!(Reader::new(b"\xc4\x00").string().is_err());
        let e = Reader::new(b"\x05abc").string().unwrap_err();
        assert_eq!(e.to_string(), "unexpected end of data at offset 1");
    }

    #[test]
    fn doubles() {
        let mut v = Vec::new();
        write_binary_double(&mut v, 1.5);
        write_binary_double(&mut v, f64::NEG_INFINITY);
        v.extend_from_slice(b"\x033.5\xfe\xff\xfd\x03abc");
        let mut r = Reader::new(&v);
        assert_eq!(r.binary_double().unwrap(), 1.5);
        assert_eq!(r.binary_double().unwrap(), f64::NEG_INFINITY);
        assert_eq!(r.old_double().unwrap(), 3.5);
        assert_eq!(r.old_double().unwrap(), f64::INFINITY);
        assert_eq!(r.old_double().unwrap(), f64::NEG_INFINITY);
        assert!(r.old_double().unwrap().is_nan());
        assert!(r.old_double().is_err());
        assert!(r.binary_double().is_err());
    }

    #[test]
    fn counts_are_bounded_by_input() {
        let mut r = Reader::new(&[0x80, 0xff, 0xff, 0xff, 0xff, 1, 2]);
        assert!(r.count(1).is_err());
        let mut r = Reader::new(&[2, 1, 2]);
        assert_eq!(r.count(1).unwrap(), 2);
    }
}
