//! The reply writer: the only code that formats RESP.
//!
//! Every reply goes straight into the client's output buffer, with no frame tree and
//! no `format!`. The writer knows the connection's protocol (2 or 3) and emits the
//! right form for the types that differ: a null is `$-1` (or `*-1` for a null array)
//! in RESP2 and `_` in RESP3; maps, sets, doubles, booleans, verbatim strings and
//! push messages have their own RESP3 type bytes and fall back to arrays, bulk
//! strings and integers in RESP2, byte for byte as Redis 7.0 writes them.
//!
//! Lengths that are not known in advance (SCAN, KEYS) use a deferred header:
//! `begin_deferred` remembers the position and `end_deferred_*` inserts the header.

use crate::util::numbers::{fmt_double, fmt_i64, i64_len, write_i64_at};

/// A client's output buffer and its protocol version.
#[derive(Debug)]
pub struct ReplyBuf {
    pub buf: Vec<u8>,
    pub resp3: bool,
}

/// A position where a length header is still to be written.
#[must_use]
pub struct Deferred(usize);

impl ReplyBuf {
    pub fn new() -> Self {
        ReplyBuf {
            buf: Vec::with_capacity(16 * 1024),
            resp3: false,
        }
    }

    /// A buffer with no allocation (a placeholder while the real one is lent out).
    pub fn empty() -> Self {
        ReplyBuf {
            buf: Vec::new(),
            resp3: false,
        }
    }

    /// `<kind><n>\r\n`. Counts and lengths under 100 (nearly all of them)
    /// are written as one fixed-size append.
    #[inline]
    fn header(&mut self, kind: u8, n: i64) {
        match n {
            0..=9 => self
                .buf
                .extend_from_slice(&[kind, b'0' + n as u8, b'\r', b'\n']),
            10..=99 => self.buf.extend_from_slice(&[
                kind,
                b'0' + (n / 10) as u8,
                b'0' + (n % 10) as u8,
                b'\r',
                b'\n',
            ]),
            // Built in a stack buffer and appended as a fixed 32 bytes, then
            // cut to length: no call to memcpy for a variable length.
            _ => {
                let mut line = [0u8; 32];
                line[0] = kind;
                let end = write_i64_at(n, &mut line, 1);
                line[end..end + 2].copy_from_slice(b"\r\n");
                let keep = self.buf.len() + end + 2;
                self.buf.extend_from_slice(&line);
                self.buf.truncate(keep);
            }
        }
    }

    /// `+text` status reply.
    pub fn status(&mut self, s: &str) {
        self.buf.push(b'+');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `+OK`.
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// `-text` error reply; `text` starts with the error code (`ERR ...`).
    /// Newlines in the text are replaced by spaces so the reply stays one line.
    pub fn error(&mut self, s: &str) {
        self.error_bytes(s.as_bytes());
    }

    /// An error whose text may hold any bytes (arguments echoed as sent).
    pub fn error_bytes(&mut self, s: &[u8]) {
        self.buf.push(b'-');
        for &b in s {
            self.buf
                .push(if b == b'\r' || b == b'\n' { b' ' } else { b });
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `:n` integer reply.
    pub fn int(&mut self, n: i64) {
        self.header(b':', n)
    }

    /// `$len` bulk string.
    pub fn bulk(&mut self, s: &[u8]) {
        self.header(b'$', s.len() as i64);
        self.buf.extend_from_slice(s);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string holding the decimal form of `n` (GET of an int-encoded value).
    pub fn bulk_i64(&mut self, n: i64) {
        self.header(b'$', i64_len(n) as i64);
        fmt_i64(n, &mut self.buf);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A null: `$-1` in RESP2, `_` in RESP3.
    pub fn null(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"$-1\r\n");
        }
    }

    /// A null array: `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"*-1\r\n");
        }
    }

    /// `*n` array header.
    pub fn array(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    /// A map of `n` pairs: `%n` in RESP3, an array of 2n in RESP2.
    pub fn map(&mut self, n: usize) {
        if self.resp3 {
            self.header(b'%', n as i64);
        } else {
            self.header(b'*', 2 * n as i64);
        }
    }

    /// A set of `n` elements: `~n` in RESP3, an array in RESP2.
    pub fn set(&mut self, n: usize) {
        self.header(if self.resp3 { b'~' } else { b'*' }, n as i64);
    }

    /// A push message of `n` elements: `>n` in RESP3, an array in RESP2.
    pub fn push(&mut self, n: usize) {
        self.header(if self.resp3 { b'>' } else { b'*' }, n as i64);
    }

    /// A double: `,x` in RESP3, a bulk string in RESP2 (Redis's `%.17g` form).
    pub fn double(&mut self, v: f64) {
        if self.resp3 {
            self.buf.push(b',');
            fmt_double(v, &mut self.buf);
            self.buf.extend_from_slice(b"\r\n");
            return;
        }
        // Formatted in place behind room for the `$n\r\n` header (the text
        // is at most 24 bytes), then moved back if the header is shorter: no
        // scratch allocation per score in WITHSCORES replies.
        let start = self.buf.len();
        self.buf.extend_from_slice(b"$00\r\n");
        fmt_double(v, &mut self.buf);
        let n = self.buf.len() - start - 5;
        if n >= 10 {
            self.buf[start + 1] = b'0' + (n / 10) as u8;
            self.buf[start + 2] = b'0' + (n % 10) as u8;
        } else {
            self.buf[start + 1] = b'0' + n as u8;
            self.buf.copy_within(start + 3.., start + 2);
            self.buf.pop();
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    pub fn boolean(&mut self, b: bool) {
        match (self.resp3, b) {
            (true, true) => self.buf.extend_from_slice(b"#t\r\n"),
            (true, false) => self.buf.extend_from_slice(b"#f\r\n"),
            (false, true) => self.buf.extend_from_slice(b":1\r\n"),
            (false, false) => self.buf.extend_from_slice(b":0\r\n"),
        }
    }

    /// A verbatim string (`=len\r\ntxt:...` in RESP3), a bulk string in RESP2.
    /// `format` is three bytes such as `txt` or `mkd`.
    pub fn verbatim(&mut self, format: &str, s: &[u8]) {
        if self.resp3 {
            self.header(b'=', (s.len() + 4) as i64);
            self.buf.extend_from_slice(format.as_bytes());
            self.buf.push(b':');
            self.buf.extend_from_slice(s);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(s);
        }
    }

    /// Starts a header whose count is written later.
    pub fn begin_deferred(&self) -> Deferred {
        Deferred(self.buf.len())
    }

    fn insert_header(&mut self, d: Deferred, kind: u8, n: i64) {
        let mut h = Vec::with_capacity(24);
        h.push(kind);
        fmt_i64(n, &mut h);
        h.extend_from_slice(b"\r\n");
        self.buf.splice(d.0..d.0, h);
    }

    /// Ends a deferred array of `n` elements.
    pub fn end_deferred_array(&mut self, d: Deferred, n: usize) {
        self.insert_header(d, b'*', n as i64);
    }

    /// Ends a deferred set of `n` elements.
    pub fn end_deferred_set(&mut self, d: Deferred, n: usize) {
        let kind = if self.resp3 { b'~' } else { b'*' };
        self.insert_header(d, kind, n as i64);
    }

    /// Ends a deferred map of `n` pairs.
    pub fn end_deferred_map(&mut self, d: Deferred, n: usize) {
        if self.resp3 {
            self.insert_header(d, b'%', n as i64);
        } else {
            self.insert_header(d, b'*', 2 * n as i64);
        }
    }

    /// An array of bulk strings.
    pub fn bulk_array<'a>(&mut self, items: impl ExactSizeIterator<Item = &'a [u8]>) {
        self.array(items.len());
        for it in items {
            self.bulk(it);
        }
    }
}

impl Default for ReplyBuf {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_integers_in_every_range() {
        let mut r = ReplyBuf::empty();
        for n in (-300..300).chain([999, 1000, 123_456_789, i64::MAX, i64::MIN]) {
            r.buf.clear();
            r.int(n);
            assert_eq!(r.buf, format!(":{n}\r\n").as_bytes());
            if n >= 0 {
                r.buf.clear();
                r.array(n as usize);
                assert_eq!(r.buf, format!("*{n}\r\n").as_bytes());
            }
        }
    }

    #[test]
    fn resp2_and_resp3_forms() {
        let mut r = ReplyBuf::new();
        r.null();
        r.map(1);
        r.boolean(true);
        r.bulk_i64(-42);
        assert_eq!(r.buf, b"$-1\r\n*2\r\n:1\r\n$3\r\n-42\r\n");
        let mut r = ReplyBuf::new();
        r.resp3 = true;
        r.null();
        r.map(1);
        r.boolean(false);
        r.set(2);
        assert_eq!(r.buf, b"_\r\n%1\r\n#f\r\n~2\r\n");
    }

    #[test]
    fn deferred_header() {
        let mut r = ReplyBuf::new();
        r.ok();
        let d = r.begin_deferred();
        r.bulk(b"a");
        r.bulk(b"b");
        r.end_deferred_array(d, 2);
        assert_eq!(r.buf, b"+OK\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    }

    #[test]
    fn doubles_in_both_protocols() {
        for v in [
            0.0,
            1.5,
            -0.0,
            0.1,
            1e300,
            f64::INFINITY,
            -1.2345678901234567e-308,
        ] {
            let mut text = Vec::new();
            fmt_double(v, &mut text);
            let mut r = ReplyBuf::new();
            r.double(v);
            let mut want = format!("${}\r\n", text.len()).into_bytes();
            want.extend_from_slice(&text);
            want.extend_from_slice(b"\r\n");
            assert_eq!(r.buf, want, "{v}");
            let mut r = ReplyBuf::new();
            r.resp3 = true;
            r.double(v);
            let mut want = b",".to_vec();
            want.extend_from_slice(&text);
            want.extend_from_slice(b"\r\n");
            assert_eq!(r.buf, want, "{v}");
        }
    }
}
