//! A small blocking RESP2/RESP3 client for the integration tests.
//!
//! `Conn` talks to a server over a plain `std::net::TcpStream`: it sends commands
//! as multibulk (or raw bytes) and reads one reply at a time into `Reply`, which
//! keeps every distinction the wire makes (`$-1` vs `*-1` vs RESP3 `_`, status vs
//! bulk, ...) so tests can check replies exactly. Reads have a deadline (5 s by
//! default): a server that never answers gives `ErrorKind::TimedOut`, and one
//! that closes the connection gives `ErrorKind::UnexpectedEof`, so "no reply" and
//! "connection closed" can both be asserted. Bytes of a reply that arrive only
//! partly before a timeout are kept, so a later read continues where it stopped.
//!
//! `Reply`'s `Display` writes the notation of `redis-compat-tests/FORMAT.md`
//! (`+OK`, `"bulk"`, `[:1,(nil)]`, `%{"k":"v"}` ...), used in failure messages.
//! `split_args` splits a command line the way redis-cli does (plus the
//! `%repeat(N,text)` token of FORMAT.md).

use std::fmt;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// How long `read_reply` waits for a reply unless `set_timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Deepest nesting of aggregate replies accepted (guards against garbage input).
const MAX_DEPTH: usize = 128;

/// One reply as it came over the wire (RESP2 and RESP3 types).
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// `+text`
    Status(String),
    /// `-text` (and RESP3 blob errors `!len`)
    Error(String),
    /// `:n`
    Int(i64),
    /// `$len` bulk string
    Bulk(Vec<u8>),
    /// RESP2 null bulk string `$-1`
    Nil,
    /// RESP2 null array `*-1`
    NilArray,
    /// `*n`
    Array(Vec<Reply>),
    /// RESP3 null `_`
    Null,
    /// RESP3 double `,text`, kept as sent
    Double(String),
    /// RESP3 boolean `#t` / `#f`
    Bool(bool),
    /// RESP3 big number `(digits`
    BigNumber(String),
    /// RESP3 map `%n`, pairs in the order sent
    Map(Vec<(Reply, Reply)>),
    /// RESP3 set `~n`, elements in the order sent
    Set(Vec<Reply>),
    /// RESP3 push `>n`
    Push(Vec<Reply>),
    /// RESP3 verbatim string `=len` as (format, text), e.g. ("txt", b"...")
    Verbatim(String, Vec<u8>),
    /// RESP3 attribute `|n` and the reply it annotates
    Attribute(Vec<(Reply, Reply)>, Box<Reply>),
}

impl Reply {
    /// `Reply::Status` from text.
    pub fn status(s: &str) -> Reply {
        Reply::Status(s.to_string())
    }

    /// `+OK`
    pub fn ok() -> Reply {
        Reply::status("OK")
    }

    /// `Reply::Error` from text.
    pub fn error(s: &str) -> Reply {
        Reply::Error(s.to_string())
    }

    /// `Reply::Bulk` from anything byte-like.
    pub fn bulk(b: impl AsRef<[u8]>) -> Reply {
        Reply::Bulk(b.as_ref().to_vec())
    }

    /// An array of bulk strings.
    pub fn bulks<B: AsRef<[u8]>>(items: &[B]) -> Reply {
        Reply::Array(items.iter().map(Reply::bulk).collect())
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Reply::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// The bytes of a bulk, status or verbatim string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Reply::Bulk(b) | Reply::Verbatim(_, b) => Some(b),
            Reply::Status(s) => Some(s.as_bytes()),
            _ => None,
        }
    }

    /// The elements of an array, set or push reply.
    pub fn as_array(&self) -> Option<&[Reply]> {
        match self {
            Reply::Array(v) | Reply::Set(v) | Reply::Push(v) => Some(v),
            _ => None,
        }
    }
}

/// A blocking connection to a RESP server.
pub struct Conn {
    stream: TcpStream,
    /// Received bytes not yet consumed by a complete reply (from `start`).
    buf: Vec<u8>,
    start: usize,
    timeout: Duration,
}

impl Conn {
    /// Connects (giving up after the default timeout) with TCP_NODELAY set.
    pub fn connect(addr: &str) -> io::Result<Conn> {
        let mut last = io::Error::new(ErrorKind::NotFound, format!("{addr}: no address"));
        for sa in addr.to_socket_addrs()? {
            match TcpStream::connect_timeout(&sa, DEFAULT_TIMEOUT) {
                Ok(stream) => {
                    stream.set_nodelay(true)?;
                    stream.set_write_timeout(Some(DEFAULT_TIMEOUT))?;
                    return Ok(Conn {
                        stream,
                        buf: Vec::new(),
                        start: 0,
                        timeout: DEFAULT_TIMEOUT,
                    });
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Sets how long reads (and writes) wait before failing with `TimedOut`.
    pub fn set_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        self.timeout = timeout;
        self.stream.set_write_timeout(Some(timeout))
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends one command as a multibulk (`*n $len arg ...`).
    pub fn send<A: AsRef<[u8]>>(&mut self, args: &[A]) -> io::Result<()> {
        self.send_raw(&encode_command(args))
    }

    /// Sends bytes exactly as given.
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    /// Reads one reply, waiting at most the connection's timeout.
    ///
    /// Errors: `TimedOut` if no complete reply came in time (the bytes read so
    /// far are kept), `UnexpectedEof` if the server closed the connection,
    /// `InvalidData` if the bytes are not RESP.
    pub fn read_reply(&mut self) -> io::Result<Reply> {
        let deadline = Instant::now() + self.timeout;
        loop {
            if let Some((reply, used)) = parse_reply(&self.buf[self.start..], 0)? {
                self.start += used;
                if self.start == self.buf.len() {
                    self.buf.clear();
                    self.start = 0;
                }
                return Ok(reply);
            }
            if self.start > 0 {
                self.buf.drain(..self.start);
                self.start = 0;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(timed_out(self.timeout));
            }
            self.stream.set_read_timeout(Some(left))?;
            let mut chunk = vec![0u8; 64 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    let what = if self.buf.is_empty() {
                        ""
                    } else {
                        " in the middle of a reply"
                    };
                    return Err(io::Error::new(
                        ErrorKind::UnexpectedEof,
                        format!("connection closed by the server{what}"),
                    ));
                }
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    // Take whatever else has arrived before parsing again, so a
                    // huge reply is not re-parsed once per small read.
                    if n == chunk.len() {
                        self.drain_available(&mut chunk)?;
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Err(timed_out(self.timeout));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Appends everything readable right now without blocking.
    fn drain_available(&mut self, chunk: &mut [u8]) -> io::Result<()> {
        self.stream.set_nonblocking(true)?;
        let res = loop {
            match self.stream.read(chunk) {
                Ok(0) => break Ok(()), // EOF: the next blocking read reports it
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        self.stream.set_nonblocking(false)?;
        res
    }

    /// Reads one reply if a complete one arrives within `wait`, else `Ok(None)`.
    /// Use it to check that nothing was sent (e.g. a client is still blocked).
    pub fn poll_reply(&mut self, wait: Duration) -> io::Result<Option<Reply>> {
        let saved = self.timeout;
        self.timeout = wait;
        let r = self.read_reply();
        self.timeout = saved;
        match r {
            Ok(reply) => Ok(Some(reply)),
            Err(e) if e.kind() == ErrorKind::TimedOut => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sends a command and reads its reply; panics on I/O errors (for tests).
    pub fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Reply {
        let shown = || {
            args.iter()
                .map(|a| String::from_utf8_lossy(a.as_ref()).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        };
        if let Err(e) = self.send(args) {
            panic!("sending `{}`: {e}", shown());
        }
        match self.read_reply() {
            Ok(r) => r,
            Err(e) => panic!("reply to `{}`: {e}", shown()),
        }
    }

    /// `cmd` with the arguments written as a redis-cli line: `c.cmd_line("SET k \"a b\"")`.
    pub fn cmd_line(&mut self, line: &str) -> Reply {
        match split_args(line) {
            Ok(args) => self.cmd(&args),
            Err(e) => panic!("bad command line `{line}`: {e}"),
        }
    }

    /// The underlying socket (e.g. to shut down one direction).
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }
}

fn timed_out(t: Duration) -> io::Error {
    io::Error::new(ErrorKind::TimedOut, format!("no reply within {t:?}"))
}

/// The multibulk encoding of one command.
pub fn encode_command<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        let a = a.as_ref();
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(ErrorKind::InvalidData, msg.into())
}

/// Parses one reply from the start of `buf`: `Ok(None)` if it is not complete yet,
/// else the reply and the number of bytes it used.
pub fn parse_reply(buf: &[u8], depth: usize) -> io::Result<Option<(Reply, usize)>> {
    if depth > MAX_DEPTH {
        return Err(bad("replies nested too deeply"));
    }
    let Some(eol) = buf.windows(2).position(|w| w == b"\r\n") else {
        return Ok(None);
    };
    if eol == 0 {
        return Err(bad("empty reply line"));
    }
    let kind = buf[0];
    let line = String::from_utf8_lossy(&buf[1..eol]).into_owned();
    let mut pos = eol + 2;
    let num = |s: &str| -> io::Result<i64> {
        s.parse::<i64>()
            .map_err(|_| bad(format!("bad number {s:?} after {:?}", kind as char)))
    };
    let reply = match kind {
        b'+' => Reply::Status(line),
        b'-' => Reply::Error(line),
        b':' => Reply::Int(num(&line)?),
        b'_' => Reply::Null,
        b',' => Reply::Double(line),
        b'(' => Reply::BigNumber(line),
        b'#' => match line.as_str() {
            "t" => Reply::Bool(true),
            "f" => Reply::Bool(false),
            _ => return Err(bad(format!("bad boolean #{line}"))),
        },
        b'$' | b'!' | b'=' => {
            let n = num(&line)?;
            if n == -1 && kind == b'$' {
                Reply::Nil
            } else {
                let n = usize::try_from(n).map_err(|_| bad(format!("bad length {n}")))?;
                if buf.len() < pos + n + 2 {
                    return Ok(None);
                }
                if &buf[pos + n..pos + n + 2] != b"\r\n" {
                    return Err(bad("string not followed by CRLF"));
                }
                let data = buf[pos..pos + n].to_vec();
                pos += n + 2;
                match kind {
                    b'$' => Reply::Bulk(data),
                    b'!' => Reply::Error(String::from_utf8_lossy(&data).into_owned()),
                    _ => {
                        if data.len() < 4 || data[3] != b':' {
                            return Err(bad("verbatim string without a format"));
                        }
                        let fmt = String::from_utf8_lossy(&data[..3]).into_owned();
                        Reply::Verbatim(fmt, data[4..].to_vec())
                    }
                }
            }
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = num(&line)?;
            if n == -1 && kind == b'*' {
                Reply::NilArray
            } else {
                let n = usize::try_from(n).map_err(|_| bad(format!("bad count {n}")))?;
                let items = if matches!(kind, b'%' | b'|') {
                    2 * n
                } else {
                    n
                };
                let mut elems = Vec::with_capacity(items.min(1024));
                for _ in 0..items {
                    match parse_reply(&buf[pos..], depth + 1)? {
                        Some((r, used)) => {
                            elems.push(r);
                            pos += used;
                        }
                        None => return Ok(None),
                    }
                }
                match kind {
                    b'*' => Reply::Array(elems),
                    b'~' => Reply::Set(elems),
                    b'>' => Reply::Push(elems),
                    _ => {
                        let mut pairs = Vec::with_capacity(n);
                        let mut it = elems.into_iter();
                        while let (Some(k), Some(v)) = (it.next(), it.next()) {
                            pairs.push((k, v));
                        }
                        if kind == b'%' {
                            Reply::Map(pairs)
                        } else {
                            match parse_reply(&buf[pos..], depth + 1)? {
                                Some((r, used)) => {
                                    pos += used;
                                    Reply::Attribute(pairs, Box::new(r))
                                }
                                None => return Ok(None),
                            }
                        }
                    }
                }
            }
        }
        other => {
            return Err(bad(format!(
                "unknown reply type byte 0x{other:02x} in line {:?}",
                String::from_utf8_lossy(&buf[..eol])
            )))
        }
    };
    Ok(Some((reply, pos)))
}

// ---------------------------------------------------------------------------
// Rendering in the FORMAT.md notation

/// Writes bytes with the escapes of FORMAT.md (`\"` `\\` `\n` `\r` `\t` `\xHH`),
/// without the surrounding quotes. Printable ASCII is kept as is.
pub fn escape(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s
}

/// `"..."` with escapes.
pub fn quote(bytes: &[u8]) -> String {
    format!("\"{}\"", escape(bytes))
}

/// Whether status/error/verbatim text can be written bare (else it is quoted):
/// no control characters, no edge whitespace, no leading quote and, inside an
/// aggregate, none of the characters that end an element there.
pub fn bare_ok(text: &[u8], nested: bool) -> bool {
    let edge_space = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_whitespace());
    !(text.first() == Some(&b'"')
        || edge_space(text.first())
        || edge_space(text.last())
        || text.iter().any(|&b| b < 0x20 || b == 0x7f || b == b'\\')
        || (nested && text.iter().any(|b| b",]}:".contains(b))))
}

/// Renders a reply in FORMAT.md notation; `nested` is true inside an aggregate.
pub fn render(r: &Reply, nested: bool) -> String {
    let text = |sigil: &str, t: &[u8]| {
        if bare_ok(t, nested) {
            format!("{sigil}{}", String::from_utf8_lossy(t))
        } else {
            format!("{sigil}{}", quote(t))
        }
    };
    let list = |open: &str, items: &[Reply]| {
        let inner: Vec<String> = items.iter().map(|e| render(e, true)).collect();
        format!("{open}{}]", inner.join(","))
    };
    let pairs = |items: &[(Reply, Reply)]| {
        let inner: Vec<String> = items
            .iter()
            .map(|(k, v)| format!("{}:{}", render(k, true), render(v, true)))
            .collect();
        format!("%{{{}}}", inner.join(","))
    };
    match r {
        Reply::Status(s) => text("+", s.as_bytes()),
        Reply::Error(s) => text("-", s.as_bytes()),
        Reply::Int(n) => format!(":{n}"),
        Reply::Bulk(b) => quote(b),
        Reply::Nil => "(nil)".into(),
        Reply::NilArray => "(nil-array)".into(),
        Reply::Array(v) => list("[", v),
        Reply::Null => "_".into(),
        Reply::Double(d) => format!(",{d}"),
        Reply::Bool(b) => if *b { "#t" } else { "#f" }.into(),
        Reply::BigNumber(n) => format!("(big){n}"),
        Reply::Map(m) => pairs(m),
        Reply::Set(v) => list("~[", v),
        Reply::Push(v) => list(">[", v),
        Reply::Verbatim(f, t) => text(&format!("={f}:"), t),
        Reply::Attribute(a, inner) => format!("(attr {}) {}", pairs(a), render(inner, nested)),
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render(self, false))
    }
}

// ---------------------------------------------------------------------------
// Command-line splitting

/// Parses a `"..."` string starting at `b[i] == '"'`: returns its bytes and the
/// index just after the closing quote. Escapes: `\xHH` `\n` `\r` `\t` `\b` `\a`,
/// any other `\c` gives `c` (so `\"` and `\\`).
pub fn unquote_double(b: &[u8], mut i: usize) -> Result<(Vec<u8>, usize), String> {
    debug_assert_eq!(b.get(i), Some(&b'"'));
    i += 1;
    let mut out = Vec::new();
    loop {
        match b.get(i) {
            None => return Err("unbalanced double quotes".into()),
            Some(b'"') => return Ok((out, i + 1)),
            Some(b'\\') => {
                let hex = |c: Option<&u8>| c.and_then(|c| (*c as char).to_digit(16));
                match b.get(i + 1) {
                    None => return Err("unbalanced double quotes".into()),
                    Some(b'x') if hex(b.get(i + 2)).is_some() && hex(b.get(i + 3)).is_some() => {
                        let v = hex(b.get(i + 2)).unwrap() * 16 + hex(b.get(i + 3)).unwrap();
                        out.push(v as u8);
                        i += 4;
                        continue;
                    }
                    Some(&c) => out.push(match c {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        c => c,
                    }),
                }
                i += 2;
            }
            Some(&c) => {
                out.push(c);
                i += 1;
            }
        }
    }
}

/// Largest value `%repeat` may build.
const MAX_REPEAT_BYTES: usize = 1 << 30;

/// Parses `%repeat(N,text)` starting at `b[i] == '%'`: returns the expansion and
/// the index after `)`. `text` runs to the first `)`, or is a `"..."` string.
pub fn parse_repeat(b: &[u8], i: usize) -> Result<(Vec<u8>, usize), String> {
    const HEAD: &[u8] = b"%repeat(";
    if !b[i..].starts_with(HEAD) {
        return Err("expected %repeat(N,text)".into());
    }
    let mut j = i + HEAD.len();
    let digits = b[j..].iter().take_while(|c| c.is_ascii_digit()).count();
    let n: usize = std::str::from_utf8(&b[j..j + digits])
        .unwrap()
        .parse()
        .map_err(|_| "%repeat: N must be a non-negative integer".to_string())?;
    j += digits;
    if b.get(j) != Some(&b',') {
        return Err("%repeat: expected `,` after N".into());
    }
    j += 1;
    let text = if b.get(j) == Some(&b'"') {
        let (t, after) = unquote_double(b, j)?;
        j = after;
        t
    } else {
        let len = b[j..].iter().take_while(|&&c| c != b')').count();
        let t = b[j..j + len].to_vec();
        j += len;
        t
    };
    if b.get(j) != Some(&b')') {
        return Err("%repeat: missing `)`".into());
    }
    if n.saturating_mul(text.len()) > MAX_REPEAT_BYTES {
        return Err("%repeat: result larger than 1 GiB".into());
    }
    Ok((text.repeat(n), j + 1))
}

/// Splits a command line into arguments as redis-cli does (sdssplitargs):
/// whitespace separates; `"..."` has escapes (see `unquote_double`); `'...'` is
/// literal except `\'`; a closing quote must be followed by whitespace or the
/// end. An unquoted `%repeat(N,text)` expands in place.
pub fn split_args(line: &str) -> Result<Vec<Vec<u8>>, String> {
    let b = line.as_bytes();
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == b.len() {
            return Ok(args);
        }
        let mut cur = Vec::new();
        while i < b.len() && !b[i].is_ascii_whitespace() {
            match b[i] {
                b'"' => {
                    let (s, after) = unquote_double(b, i)?;
                    cur.extend_from_slice(&s);
                    i = after;
                    if i < b.len() && !b[i].is_ascii_whitespace() {
                        return Err("closing quote must be followed by a space".into());
                    }
                }
                b'\'' => {
                    i += 1;
                    loop {
                        match (b.get(i), b.get(i + 1)) {
                            (None, _) => return Err("unbalanced single quotes".into()),
                            (Some(b'\\'), Some(b'\'')) => {
                                cur.push(b'\'');
                                i += 2;
                            }
                            (Some(b'\''), _) => {
                                i += 1;
                                break;
                            }
                            (Some(&c), _) => {
                                cur.push(c);
                                i += 1;
                            }
                        }
                    }
                    if i < b.len() && !b[i].is_ascii_whitespace() {
                        return Err("closing quote must be followed by a space".into());
                    }
                }
                b'%' if b[i..].starts_with(b"%repeat(") => {
                    let (s, after) = parse_repeat(b, i)?;
                    cur.extend_from_slice(&s);
                    i = after;
                }
                c => {
                    cur.push(c);
                    i += 1;
                }
            }
        }
        args.push(cur);
    }
}
