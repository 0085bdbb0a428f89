//! The compat-case runner: parses `redis-compat-tests/*.txt` (format fixed in
//! `redis-compat-tests/FORMAT.md`) and checks every case against a server.
//!
//! Three parts:
//! - `Expect`: one parsed expectation line and `Expect::matches`, which decides
//!   whether a `Reply` satisfies it (unordered aggregates use a bipartite
//!   matching, so `(any)` elements cannot steal another element's partner);
//! - `parse_cases`: a case file into `Case`s of `Step`s, with `file:line` errors;
//! - `run_from_env`: the `cargo test --test compat` entry point. It runs against
//!   `COMPAT_ADDR` if set, else a freshly spawned ferrodis and redis-server;
//!   on each, every case runs as written (RESP2), then again in RESP3 (`HELLO 3`
//!   on every connection, expectations through `Step::expect_in`) unless it is
//!   `# resp2-only` or sends HELLO itself. It keeps going after failures, stops
//!   early (failing) if the server dies, and prints one line per failure plus
//!   `compat [server protocol]: N passed, M failed` per server and protocol.
//!
//! Included only by `tests/compat.rs` (via `#[path]`), so the unit tests at the
//! bottom run once, as part of that target.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{self, ErrorKind};
use std::path::Path;
use std::thread;
use std::time::Duration;

use crate::support::resp::{bare_ok, parse_repeat, quote, split_args, unquote_double};
use crate::support::{Conn, Reply, Server};

/// Name of the connection used by lines without a name (`> CMD`, `<`, `>raw`).
pub const DEFAULT_CONN: &str = "c1";

/// Pause after a `name>>` line so the server reads the command before the
/// following lines run on other connections.
pub const SEND_SETTLE: Duration = Duration::from_millis(20);

/// Rendered replies longer than this are cut in failure messages.
const SHOW_MAX: usize = 400;

// ---------------------------------------------------------------------------
// Expectations

/// One expectation (see the table in FORMAT.md).
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    Status(String),
    Error(String),
    ErrorPrefix(String),
    Int(i64),
    Bulk(Vec<u8>),
    Nil,
    NilArray,
    /// `[...]`; `true` for `(unordered) [...]`
    Array(Vec<Expect>, bool),
    Null,
    Double(String),
    Bool(bool),
    Big(String),
    /// `%{...}`; `true` for `(unordered) %{...}`
    Map(Vec<(Expect, Expect)>, bool),
    /// `~[...]`, always compared in any order
    Set(Vec<Expect>),
    /// `>[...]`; `true` for `(unordered) >[...]`
    Push(Vec<Expect>, bool),
    Verbatim(String, Vec<u8>),
    Any,
    AnyInt,
    Range(i64, i64),
    AnyBulk,
    Match(Vec<u8>),
    Len(usize),
    Closed,
}

impl Expect {
    /// Whether `r` satisfies this expectation. A RESP3 attribute is transparent:
    /// the reply it annotates is what gets compared. `Closed` matches no reply.
    pub fn matches(&self, r: &Reply) -> bool {
        if let Reply::Attribute(_, inner) = r {
            return self.matches(inner);
        }
        match (self, r) {
            (Expect::Any, _) => true,
            (Expect::Status(a), Reply::Status(b)) => a == b,
            (Expect::Error(a), Reply::Error(b)) => a == b,
            (Expect::ErrorPrefix(a), Reply::Error(b)) => b.starts_with(a.as_str()),
            (Expect::Int(a), Reply::Int(b)) => a == b,
            (Expect::AnyInt, Reply::Int(_)) => true,
            (Expect::Range(lo, hi), Reply::Int(n)) => lo <= n && n <= hi,
            (Expect::Bulk(a), Reply::Bulk(b)) => a == b,
            (Expect::AnyBulk, Reply::Bulk(_)) => true,
            (Expect::Nil, Reply::Nil) => true,
            (Expect::NilArray, Reply::NilArray) => true,
            (Expect::Null, Reply::Null) => true,
            (Expect::Double(a), Reply::Double(b)) => a == b,
            (Expect::Bool(a), Reply::Bool(b)) => a == b,
            (Expect::Big(a), Reply::BigNumber(b)) => a == b,
            (Expect::Verbatim(f, t), Reply::Verbatim(g, u)) => f == g && t == u,
            (Expect::Match(g), Reply::Bulk(b) | Reply::Verbatim(_, b)) => glob_match(g, b),
            (Expect::Match(g), Reply::Status(s)) => glob_match(g, s.as_bytes()),
            (Expect::Len(n), Reply::Bulk(b)) => b.len() == *n,
            (Expect::Len(n), Reply::Array(v) | Reply::Set(v) | Reply::Push(v)) => v.len() == *n,
            (Expect::Len(n), Reply::Map(m)) => m.len() == *n,
            (Expect::Array(e, unordered), Reply::Array(v)) => match_list(e, v, *unordered),
            (Expect::Push(e, unordered), Reply::Push(v)) => match_list(e, v, *unordered),
            (Expect::Set(e), Reply::Set(v)) => match_list(e, v, true),
            (Expect::Map(e, unordered), Reply::Map(m)) => {
                let fits = |i: usize, j: usize| e[i].0.matches(&m[j].0) && e[i].1.matches(&m[j].1);
                e.len() == m.len()
                    && if *unordered {
                        perfect_matching(e.len(), fits)
                    } else {
                        (0..e.len()).all(|i| fits(i, i))
                    }
            }
            _ => false,
        }
    }
}

fn match_list(e: &[Expect], v: &[Reply], unordered: bool) -> bool {
    let fits = |i: usize, j: usize| e[i].matches(&v[j]);
    e.len() == v.len()
        && if unordered {
            perfect_matching(e.len(), fits)
        } else {
            (0..e.len()).all(|i| fits(i, i))
        }
}

/// Whether expectations `0..n` can be paired one-to-one with replies `0..n` so
/// that each pair fits (Kuhn's augmenting paths; tries the given order first).
fn perfect_matching(n: usize, fits: impl Fn(usize, usize) -> bool) -> bool {
    if (0..n).all(|i| fits(i, i)) {
        return true;
    }
    let adj: Vec<Vec<usize>> = (0..n)
        .map(|i| (0..n).filter(|&j| fits(i, j)).collect())
        .collect();
    if adj.iter().any(|a| a.is_empty()) {
        return false;
    }
    // owner[j] = expectation currently paired with reply j
    let mut owner: Vec<Option<usize>> = vec![None; n];
    fn augment(
        i: usize,
        adj: &[Vec<usize>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for &j in &adj[i] {
            if !seen[j] {
                seen[j] = true;
                if owner[j].is_none_or(|k| augment(k, adj, seen, owner)) {
                    owner[j] = Some(i);
                    return true;
                }
            }
        }
        false
    }
    (0..n).all(|i| augment(i, &adj, &mut vec![false; n], &mut owner))
}

/// Glob match over bytes: `*` any run, `?` one byte, `\c` the byte `c`.
pub fn glob_match(pat: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None; // (pattern index after '*', text index)
    while t < text.len() {
        match pat.get(p) {
            Some(b'*') => {
                star = Some((p + 1, t));
                p += 1;
                continue;
            }
            Some(b'?') => {
                p += 1;
                t += 1;
                continue;
            }
            Some(b'\\') if p + 1 < pat.len() && pat[p + 1] == text[t] => {
                p += 2;
                t += 1;
                continue;
            }
            Some(&c) if c != b'\\' && c == text[t] => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, st)) => {
                p = sp;
                t = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

/// Parses one expectation line (the whole line, leading whitespace ignored).
pub fn parse_expect(line: &str) -> Result<Expect, String> {
    let mut p = ExpParser {
        b: line.as_bytes(),
        i: 0,
    };
    p.skip_ws();
    if p.at_end() {
        return Err("empty expectation".into());
    }
    let e = p.elem(None)?;
    p.skip_ws();
    if !p.at_end() {
        return Err(format!(
            "unexpected {:?} after the expectation",
            String::from_utf8_lossy(&p.b[p.i..])
        ));
    }
    Ok(e)
}

/// Characters that end a bare element inside `[...]` / `~[...]` / `>[...]` / map values.
const STOP_ELEM: &[u8] = b",]}";
/// ... and inside a map key.
const STOP_KEY: &[u8] = b",]}:";

struct ExpParser<'a> {
    b: &'a [u8],
    i: usize,
}

impl ExpParser<'_> {
    fn at_end(&self) -> bool {
        self.i >= self.b.len()
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.b[self.i..].starts_with(s.as_bytes()) {
            self.i += s.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, s: &str) -> Result<(), String> {
        if self.eat(s) {
            Ok(())
        } else {
            Err(format!("expected `{s}` at column {}", self.i + 1))
        }
    }

    /// Text of a status/error/verbatim/error-prefix: a `"..."` string, or bare
    /// text running to the end of the line (top level, kept exactly, trailing
    /// whitespace included) or to the next stop character (nested, trimmed).
    fn text(&mut self, stop: Option<&[u8]>) -> Result<Vec<u8>, String> {
        if self.peek() == Some(b'"') {
            let (s, after) = unquote_double(self.b, self.i)?;
            self.i = after;
            return Ok(s);
        }
        let start = self.i;
        match stop {
            None => self.i = self.b.len(),
            Some(stop) => {
                while self.peek().is_some_and(|c| !stop.contains(&c)) {
                    self.i += 1;
                }
            }
        }
        let mut t = &self.b[start..self.i];
        if stop.is_some() {
            t = t.trim_ascii_end();
        }
        Ok(t.to_vec())
    }

    /// A bare token: up to whitespace or (nested) a stop character.
    fn token(&mut self, stop: Option<&[u8]>) -> String {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| !c.is_ascii_whitespace() && !stop.is_some_and(|s| s.contains(&c)))
        {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.b[start..self.i]).into_owned()
    }

    fn int(&mut self) -> Result<i64, String> {
        let start = self.i;
        if self.peek() == Some(b'-') || self.peek() == Some(b'+') {
            self.i += 1;
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        let s = std::str::from_utf8(&self.b[start..self.i]).unwrap();
        s.parse()
            .map_err(|_| format!("expected an integer at column {}", start + 1))
    }

    fn list(&mut self, close: u8) -> Result<Vec<Expect>, String> {
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(close) {
            self.i += 1;
            return Ok(items);
        }
        loop {
            items.push(self.elem(Some(STOP_ELEM))?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(c) if c == close => {
                    self.i += 1;
                    return Ok(items);
                }
                _ => {
                    return Err(format!(
                        "expected `,` or `{}` at column {}",
                        close as char,
                        self.i + 1
                    ))
                }
            }
        }
    }

    fn map(&mut self) -> Result<Vec<(Expect, Expect)>, String> {
        let mut pairs = Vec::new();
        self.skip_ws();
        if self.eat("}") {
            return Ok(pairs);
        }
        loop {
            let k = self.elem(Some(STOP_KEY))?;
            self.skip_ws();
            self.expect(":")?;
            let v = self.elem(Some(STOP_ELEM))?;
            pairs.push((k, v));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(pairs);
                }
                _ => return Err(format!("expected `,` or `}}` at column {}", self.i + 1)),
            }
        }
    }

    /// One element; `stop` is `None` at top level, else the characters that end
    /// bare text in the enclosing aggregate.
    fn elem(&mut self, stop: Option<&[u8]>) -> Result<Expect, String> {
        self.skip_ws();
        let col = self.i + 1;
        let Some(c) = self.peek() else {
            return Err("missing element at the end of the line".into());
        };
        let lossy = |v: Vec<u8>| String::from_utf8_lossy(&v).into_owned();
        Ok(match c {
            b'+' => {
                self.i += 1;
                Expect::Status(lossy(self.text(stop)?))
            }
            b'-' => {
                self.i += 1;
                Expect::Error(lossy(self.text(stop)?))
            }
            b':' => {
                self.i += 1;
                Expect::Int(self.int()?)
            }
            b'"' => {
                let (s, after) = unquote_double(self.b, self.i)?;
                self.i = after;
                Expect::Bulk(s)
            }
            b'[' => {
                self.i += 1;
                Expect::Array(self.list(b']')?, false)
            }
            b'~' => {
                self.i += 1;
                self.expect("[")?;
                Expect::Set(self.list(b']')?)
            }
            b'>' => {
                self.i += 1;
                self.expect("[")?;
                Expect::Push(self.list(b']')?, false)
            }
            b'%' if self.b[self.i..].starts_with(b"%repeat(") => {
                let (s, after) = parse_repeat(self.b, self.i)?;
                self.i = after;
                Expect::Bulk(s)
            }
            b'%' => {
                self.i += 1;
                self.expect("{")?;
                Expect::Map(self.map()?, false)
            }
            b'_' => {
                self.i += 1;
                Expect::Null
            }
            b',' => {
                self.i += 1;
                let d = self.token(stop);
                if d.is_empty() {
                    return Err(format!("empty double at column {col}"));
                }
                Expect::Double(d)
            }
            b'#' => {
                self.i += 1;
                match self.token(stop).as_str() {
                    "t" => Expect::Bool(true),
                    "f" => Expect::Bool(false),
                    other => return Err(format!("boolean must be #t or #f, got #{other}")),
                }
            }
            b'=' => {
                self.i += 1;
                let start = self.i;
                while self.peek().is_some_and(|c| c != b':') {
                    self.i += 1;
                }
                let fmt = lossy(self.b[start..self.i].to_vec());
                self.expect(":")?;
                Expect::Verbatim(fmt, self.text(stop)?)
            }
            b'(' => self.keyword(stop, col)?,
            _ => {
                return Err(format!(
                    "cannot parse an expectation at column {col}: {:?}",
                    String::from_utf8_lossy(&self.b[self.i..])
                ))
            }
        })
    }

    /// `(word)...` forms.
    fn keyword(&mut self, stop: Option<&[u8]>, col: usize) -> Result<Expect, String> {
        self.i += 1;
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'-')
        {
            self.i += 1;
        }
        let word = String::from_utf8_lossy(&self.b[start..self.i]).into_owned();
        let simple = |e: Expect, p: &mut Self| -> Result<Expect, String> {
            p.expect(")")?;
            Ok(e)
        };
        match word.as_str() {
            "nil" => simple(Expect::Nil, self),
            "nil-array" => simple(Expect::NilArray, self),
            "any" => simple(Expect::Any, self),
            "int" => simple(Expect::AnyInt, self),
            "bulk" => simple(Expect::AnyBulk, self),
            "closed" if stop.is_none() => simple(Expect::Closed, self),
            "closed" => Err("(closed) cannot be inside an aggregate".into()),
            "big" => {
                self.expect(")")?;
                let n = self.token(stop);
                let digits = n.strip_prefix('-').unwrap_or(&n);
                if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(format!("(big) needs digits, got {n:?}"));
                }
                Ok(Expect::Big(n))
            }
            "range" => {
                self.skip_ws();
                let lo = self.int()?;
                self.skip_ws();
                let hi = self.int()?;
                self.skip_ws();
                simple(Expect::Range(lo, hi), self)
            }
            "len" => {
                self.skip_ws();
                let n = self.int()?;
                let n = usize::try_from(n).map_err(|_| format!("(len {n}): negative"))?;
                self.skip_ws();
                simple(Expect::Len(n), self)
            }
            "match" => {
                if !self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                    return Err("(match GLOB) needs a space before the glob".into());
                }
                self.skip_ws();
                let glob = if self.peek() == Some(b'"') {
                    let (g, after) = unquote_double(self.b, self.i)?;
                    self.i = after;
                    g
                } else {
                    let start = self.i;
                    while self.peek().is_some_and(|c| c != b')') {
                        self.i += 1;
                    }
                    self.b[start..self.i].to_vec()
                };
                simple(Expect::Match(glob), self)
            }
            "error-prefix" => {
                self.expect(")")?;
                self.skip_ws();
                let t = self.text(stop)?;
                Ok(Expect::ErrorPrefix(
                    String::from_utf8_lossy(&t).into_owned(),
                ))
            }
            "unordered" => {
                self.expect(")")?;
                self.skip_ws();
                if self.eat("[") {
                    Ok(Expect::Array(self.list(b']')?, true))
                } else if self.eat("%{") {
                    Ok(Expect::Map(self.map()?, true))
                } else if self.eat(">[") {
                    Ok(Expect::Push(self.list(b']')?, true))
                } else if self.eat("~[") {
                    Ok(Expect::Set(self.list(b']')?))
                } else {
                    Err("(unordered) must be followed by [...], %{...}, ~[...] or >[...]".into())
                }
            }
            _ => Err(format!("unknown expectation ({word}...) at column {col}")),
        }
    }
}

/// Renders an expectation back in FORMAT.md notation (quoting text that would
/// be ambiguous bare), so failure messages show expected and got alike.
pub fn render_expect(e: &Expect, nested: bool) -> String {
    let text = |sigil: &str, t: &[u8]| {
        if bare_ok(t, nested) && !t.is_empty() {
            format!("{sigil}{}", String::from_utf8_lossy(t))
        } else {
            format!("{sigil}{}", quote(t))
        }
    };
    let list = |open: &str, items: &[Expect]| {
        let inner: Vec<String> = items.iter().map(|x| render_expect(x, true)).collect();
        format!("{open}{}]", inner.join(","))
    };
    let unord = |u: bool| if u { "(unordered) " } else { "" };
    match e {
        Expect::Status(s) => text("+", s.as_bytes()),
        Expect::Error(s) => text("-", s.as_bytes()),
        Expect::ErrorPrefix(s) => text("(error-prefix) ", s.as_bytes()),
        Expect::Int(n) => format!(":{n}"),
        Expect::Bulk(b) => quote(b),
        Expect::Nil => "(nil)".into(),
        Expect::NilArray => "(nil-array)".into(),
        Expect::Array(v, u) => format!("{}{}", unord(*u), list("[", v)),
        Expect::Null => "_".into(),
        Expect::Double(d) => format!(",{d}"),
        Expect::Bool(b) => if *b { "#t" } else { "#f" }.into(),
        Expect::Big(n) => format!("(big){n}"),
        Expect::Map(m, u) => {
            let inner: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}:{}", render_expect(k, true), render_expect(v, true)))
                .collect();
            format!("{}%{{{}}}", unord(*u), inner.join(","))
        }
        Expect::Set(v) => list("~[", v),
        Expect::Push(v, u) => format!("{}{}", unord(*u), list(">[", v)),
        Expect::Verbatim(f, t) => text(&format!("={f}:"), t),
        Expect::Any => "(any)".into(),
        Expect::AnyInt => "(int)".into(),
        Expect::Range(a, b) => format!("(range {a} {b})"),
        Expect::AnyBulk => "(bulk)".into(),
        Expect::Match(g) => {
            if g.contains(&b')') || !bare_ok(g, false) || g.is_empty() {
                format!("(match {})", quote(g))
            } else {
                format!("(match {})", String::from_utf8_lossy(g))
            }
        }
        Expect::Len(n) => format!("(len {n})"),
        Expect::Closed => "(closed)".into(),
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render_expect(self, false))
    }
}

// ---------------------------------------------------------------------------
// Case files

/// What a step does on its connection.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// `name> CMD args`: send, then read one reply
    Cmd(Vec<Vec<u8>>),
    /// `name>> CMD args`: send only
    Send(Vec<Vec<u8>>),
    /// `name<`: read one reply
    Read,
    /// `name>raw "bytes"`: send bytes, then read one reply
    Raw(Vec<u8>),
    /// `!sleep MS`
    Sleep(u64),
}

/// One line of a case (plus its expectation line, if it reads a reply).
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub line: usize,
    /// The command line as written (trimmed), shown as "sent" on failure.
    pub source: String,
    pub conn: String,
    pub action: Action,
    /// Present exactly for `Cmd`, `Read` and `Raw`.
    pub expect: Option<Expect>,
    /// The explicit RESP3 form from a `resp3:` line after the expectation;
    /// without it the RESP3 run uses `to_resp3(expect)`.
    pub resp3: Option<Expect>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// File as shown in messages, e.g. `redis-compat-tests/strings.txt`.
    pub file: String,
    /// Line of the `===` header.
    pub line: usize,
    pub name: String,
    pub steps: Vec<Step>,
    /// Marked `# resp2-only` (in the case, or before the first case of its file).
    pub resp2_only: bool,
}

/// The protocol a case runs in: as written, or after an automatic `HELLO 3`
/// on every connection (expectations translated by `to_resp3`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Resp2,
    Resp3,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Resp2 => "resp2",
            Protocol::Resp3 => "resp3",
        }
    }
}

/// The comment line that keeps a case (or, before the first `===`, a whole
/// file) out of the RESP3 run. A reason may follow: `# resp2-only: why`.
pub const RESP2_ONLY: &str = "# resp2-only";

/// Prefix of the line giving an expectation's RESP3 form.
pub const RESP3_LINE: &str = "resp3:";

/// Whether `line` (trimmed at the start) is the `# resp2-only` marker.
fn is_resp2_only_marker(line: &str) -> bool {
    line.strip_prefix(RESP2_ONLY)
        .is_some_and(|r| r.is_empty() || r.starts_with(|c: char| c == ':' || c.is_whitespace()))
}

/// The mechanical RESP2 -> RESP3 translation of an expectation: RESP2's two
/// nulls (`(nil)`, `(nil-array)`) become RESP3's `_`, at any depth; everything
/// else is the same in both protocols, or needs an explicit `resp3:` line.
pub fn to_resp3(e: &Expect) -> Expect {
    let list = |v: &[Expect]| v.iter().map(to_resp3).collect::<Vec<_>>();
    match e {
        Expect::Nil | Expect::NilArray => Expect::Null,
        Expect::Array(v, u) => Expect::Array(list(v), *u),
        Expect::Set(v) => Expect::Set(list(v)),
        Expect::Push(v, u) => Expect::Push(list(v), *u),
        Expect::Map(m, u) => Expect::Map(
            m.iter().map(|(k, v)| (to_resp3(k), to_resp3(v))).collect(),
            *u,
        ),
        other => other.clone(),
    }
}

impl Step {
    /// What this step must get when run in `proto`.
    pub fn expect_in(&self, proto: Protocol) -> Option<Expect> {
        match proto {
            Protocol::Resp2 => self.expect.clone(),
            Protocol::Resp3 => self
                .resp3
                .clone()
                .or_else(|| self.expect.as_ref().map(to_resp3)),
        }
    }

    /// Whether the step sends HELLO (as a command or inside raw bytes).
    fn sends_hello(&self) -> bool {
        match &self.action {
            Action::Cmd(a) | Action::Send(a) => {
                a.first().is_some_and(|c| c.eq_ignore_ascii_case(b"hello"))
            }
            Action::Raw(b) => b.windows(5).any(|w| w.eq_ignore_ascii_case(b"hello")),
            Action::Read | Action::Sleep(_) => false,
        }
    }
}

impl Case {
    /// Whether the case sends HELLO itself (it then runs once, as written).
    pub fn sends_hello(&self) -> bool {
        self.steps.iter().any(Step::sends_hello)
    }

    /// Whether the case sends `CONFIG SET ...` or `DEBUG SET-...` (settings it
    /// must restore before it ends).
    pub fn changes_settings(&self) -> bool {
        self.steps.iter().any(|st| match &st.action {
            Action::Cmd(a) | Action::Send(a) => {
                a.len() > 1
                    && (a[0].eq_ignore_ascii_case(b"config") || a[0].eq_ignore_ascii_case(b"debug"))
                    && a[1].len() >= 3
                    && a[1][..3].eq_ignore_ascii_case(b"set")
            }
            _ => false,
        })
    }

    /// Whether the case runs in `proto`: every case runs as written (RESP2);
    /// the RESP3 run skips `# resp2-only` cases and cases that send HELLO.
    pub fn runs_in(&self, proto: Protocol) -> bool {
        proto == Protocol::Resp2 || !(self.resp2_only || self.sends_hello())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub file: String,
    pub line: usize,
    /// Name of the case the error is in, if any.
    pub case: Option<String>,
    pub msg: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: parse error: {}", self.file, self.line, self.msg)?;
        if let Some(c) = &self.case {
            write!(f, " (in case {c:?})")?;
        }
        Ok(())
    }
}

/// Splits `name>...` / `name<` into the connection name and the rest.
fn split_conn(line: &str) -> (&str, &str) {
    let n = line
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
        .count();
    let name = if n == 0 { DEFAULT_CONN } else { &line[..n] };
    (name, &line[n..])
}

/// Parses a command/directive line (already trimmed at the start).
fn parse_step_line(line: &str) -> Result<(String, Action), String> {
    if let Some(rest) = line.strip_prefix('!') {
        let mut words = rest.split_whitespace();
        return match (words.next(), words.next(), words.next()) {
            (Some("sleep"), Some(ms), None) => ms
                .parse()
                .map(|ms| (String::new(), Action::Sleep(ms)))
                .map_err(|_| format!("!sleep needs milliseconds, got {ms:?}")),
            _ => Err(format!("unknown directive `{line}` (only `!sleep MS`)")),
        };
    }
    let (name, rest) = split_conn(line);
    let args = |s: &str| -> Result<Vec<Vec<u8>>, String> {
        let a = split_args(s)?;
        if a.is_empty() {
            Err("no command after `>`".into())
        } else {
            Ok(a)
        }
    };
    let action = if let Some(r) = rest.strip_prefix(">>") {
        Action::Send(args(r)?)
    } else if let Some(r) = rest
        .strip_prefix(">raw")
        .filter(|r| r.is_empty() || r.starts_with(|c: char| c.is_ascii_whitespace() || c == '"'))
    {
        let bytes = split_args(r)?.concat();
        if bytes.is_empty() {
            return Err("`>raw` needs bytes to send".into());
        }
        Action::Raw(bytes)
    } else if let Some(r) = rest.strip_prefix('>') {
        Action::Cmd(args(r)?)
    } else if let Some(r) = rest.strip_prefix('<') {
        if !r.trim().is_empty() {
            return Err(format!("unexpected text after `<`: {:?}", r.trim()));
        }
        Action::Read
    } else {
        return Err(format!(
            "not a command line (`> CMD`, `name> CMD`, `name>> CMD`, `name<`, `name>raw`, `!sleep`): {line:?}"
        ));
    };
    Ok((name.to_string(), action))
}

/// Parses one case file. `file` is the name used in messages. A case with an
/// error is dropped (the error names it) and parsing resumes at the next `===`.
/// A `# resp2-only` line before the first case marks every case of the file.
pub fn parse_cases(file: &str, text: &str) -> (Vec<Case>, Vec<ParseError>) {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut cases: Vec<Case> = Vec::new();
    let mut errors = Vec::new();
    let mut current: Option<Case> = None;
    let mut broken = false;
    let mut file_resp2_only = false;
    let mut i = 0;
    // Keeps a finished case unless it is broken; a `resp3:` line in a case
    // that never runs in RESP3 is an error (it would be silently dead).
    let finish = |c: Case, broken: bool, cases: &mut Vec<Case>, errors: &mut Vec<ParseError>| {
        if broken {
            return;
        }
        if !c.runs_in(Protocol::Resp3) {
            if let Some(st) = c.steps.iter().find(|st| st.resp3.is_some()) {
                let why = if c.resp2_only {
                    "is marked resp2-only"
                } else {
                    "sends HELLO itself, so it runs only as written"
                };
                errors.push(ParseError {
                    file: c.file.clone(),
                    line: st.line,
                    case: Some(c.name.clone()),
                    msg: format!("`{RESP3_LINE}` line in a case that {why}"),
                });
                return;
            }
        }
        cases.push(c);
    };
    while i < lines.len() {
        let lineno = i + 1;
        let line = lines[i].trim_start();
        i += 1;
        if let Some(name) = line.strip_prefix("===") {
            if let Some(c) = current.take() {
                finish(c, broken, &mut cases, &mut errors);
            }
            broken = false;
            let name = name.trim();
            current = Some(Case {
                file: file.to_string(),
                line: lineno,
                name: name.to_string(),
                steps: Vec::new(),
                resp2_only: file_resp2_only,
            });
            if name.is_empty() {
                broken = true;
                errors.push(ParseError {
                    file: file.into(),
                    line: lineno,
                    case: None,
                    msg: "a case needs a name after `===`".into(),
                });
            }
            continue;
        }
        if is_resp2_only_marker(line) {
            match current.as_mut() {
                Some(c) => c.resp2_only = true,
                None => file_resp2_only = true,
            }
            continue;
        }
        if line.is_empty() || line.starts_with('#') || broken {
            continue;
        }
        let mut err = |msg: String, at: usize, case: &Option<Case>| {
            errors.push(ParseError {
                file: file.into(),
                line: at,
                case: case.as_ref().map(|c| c.name.clone()),
                msg,
            });
        };
        let Some(case) = current.as_mut() else {
            err(
                format!("line outside a case (start one with `=== name`): {line:?}"),
                lineno,
                &current,
            );
            continue;
        };
        if line.starts_with(RESP3_LINE) {
            err(
                format!("`{RESP3_LINE}` must come right after an expectation line"),
                lineno,
                &current,
            );
            broken = true;
            continue;
        }
        let (conn, action) = match parse_step_line(line) {
            Ok(x) => x,
            Err(m) => {
                err(m, lineno, &current);
                broken = true;
                continue;
            }
        };
        let mut resp3 = None;
        let expect = if matches!(action, Action::Cmd(_) | Action::Read | Action::Raw(_)) {
            let next = lines.get(i).map(|l| l.trim_start());
            i += 1;
            let e = match next {
                None | Some("") => {
                    err(
                        "missing expectation (the line after a command must be its reply)".into(),
                        lineno,
                        &current,
                    );
                    broken = true;
                    continue;
                }
                Some(exp) => match parse_expect(exp) {
                    Ok(e) => e,
                    Err(m) => {
                        err(format!("bad expectation: {m}"), lineno + 1, &current);
                        broken = true;
                        continue;
                    }
                },
            };
            if let Some(r3) = lines
                .get(i)
                .and_then(|l| l.trim_start().strip_prefix(RESP3_LINE))
            {
                i += 1;
                match parse_expect(r3) {
                    Ok(r) => resp3 = Some(r),
                    Err(m) => {
                        err(format!("bad `{RESP3_LINE}` expectation: {m}"), i, &current);
                        broken = true;
                        continue;
                    }
                }
            }
            Some(e)
        } else {
            None
        };
        case.steps.push(Step {
            line: lineno,
            source: line.trim_end().to_string(),
            conn,
            action,
            expect,
            resp3,
        });
    }
    if let Some(c) = current {
        finish(c, broken, &mut cases, &mut errors);
    }
    (cases, errors)
}

// ---------------------------------------------------------------------------
// Running

/// Why a case failed.
#[derive(Clone, Debug)]
pub struct Failure {
    pub file: String,
    pub line: usize,
    pub case: String,
    pub sent: String,
    pub expected: String,
    pub got: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{} {}: sent {} expected {} got {}",
            self.file, self.line, self.case, self.sent, self.expected, self.got
        )
    }
}

/// What one read produced.
enum Got {
    Reply(Reply),
    Closed,
    Timeout(Duration),
    Io(io::Error),
}

impl Got {
    fn from_io(r: io::Result<Reply>, timeout: Duration) -> Got {
        match r {
            Ok(reply) => Got::Reply(reply),
            Err(e) if is_closed(&e) => Got::Closed,
            Err(e) if e.kind() == ErrorKind::TimedOut => Got::Timeout(timeout),
            Err(e) => Got::Io(e),
        }
    }

    fn fits(&self, e: &Expect) -> bool {
        match self {
            Got::Reply(r) => e.matches(r),
            Got::Closed => *e == Expect::Closed,
            _ => false,
        }
    }

    fn show(&self) -> String {
        match self {
            Got::Reply(r) => shorten(r.to_string()),
            Got::Closed => "(closed)".into(),
            Got::Timeout(t) => format!("(timeout: no reply within {t:?})"),
            Got::Io(e) => format!("(i/o error: {e})"),
        }
    }
}

fn is_closed(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::UnexpectedEof
            | ErrorKind::BrokenPipe
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
    )
}

/// Cuts long renderings for messages.
fn shorten(s: String) -> String {
    if s.len() <= SHOW_MAX {
        return s;
    }
    let mut cut = SHOW_MAX;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}...({} chars in all)", &s[..cut], s.len())
}

/// Opens a connection; in RESP3 it first switches with `HELLO 3` (which must
/// answer with a map). The error is the text shown as "got" on failure.
fn open_conn(addr: &str, proto: Protocol) -> Result<Conn, String> {
    let mut c = Conn::connect(addr).map_err(|e| format!("(cannot connect: {e})"))?;
    if proto == Protocol::Resp3 {
        let r = c.send(&["HELLO", "3"]).and_then(|_| c.read_reply());
        match Got::from_io(r, c.timeout()) {
            Got::Reply(Reply::Map(_)) => {}
            got => return Err(format!("(automatic HELLO 3 got {})", got.show())),
        }
    }
    Ok(c)
}

/// Runs one case against `addr` in `proto`: a fresh `c1` (switched with
/// `HELLO 3` in RESP3) sends FLUSHALL, then the steps run in order, stopping
/// at the first mismatch. All connections close when it returns.
pub fn run_case(addr: &str, case: &Case, proto: Protocol) -> Result<(), Box<Failure>> {
    let fail = |line: usize, sent: &str, expected: &str, got: String| {
        Box::new(Failure {
            file: case.file.clone(),
            line,
            case: case.name.clone(),
            sent: sent.to_string(),
            expected: expected.to_string(),
            got,
        })
    };
    let mut conns: BTreeMap<String, Conn> = BTreeMap::new();
    let mut c1 = open_conn(addr, proto).map_err(|got| fail(case.line, "FLUSHALL", "+OK", got))?;
    let flush = c1.send(&["FLUSHALL"]).and_then(|_| c1.read_reply());
    let got = Got::from_io(flush, c1.timeout());
    if !got.fits(&Expect::Status("OK".into())) {
        return Err(fail(case.line, "FLUSHALL", "+OK", got.show()));
    }
    conns.insert(DEFAULT_CONN.to_string(), c1);
    let mut closed: Vec<String> = Vec::new();

    for step in &case.steps {
        let expect = step.expect_in(proto);
        let expected = expect.as_ref().map(|e| shorten(e.to_string()));
        let expected = expected.as_deref().unwrap_or("(nothing)");
        let fail_here = |got: String| fail(step.line, &step.source, expected, got);
        if let Action::Sleep(ms) = step.action {
            thread::sleep(Duration::from_millis(ms));
            continue;
        }
        if closed.contains(&step.conn) {
            return Err(fail_here(format!(
                "(connection {} was already closed by the server)",
                step.conn
            )));
        }
        if !conns.contains_key(&step.conn) {
            let c = open_conn(addr, proto)
                .map_err(|got| fail_here(format!("(connection {}) {got}", step.conn)))?;
            conns.insert(step.conn.clone(), c);
        }
        let conn = conns.get_mut(&step.conn).expect("inserted above");
        let sent = match &step.action {
            Action::Cmd(args) | Action::Send(args) => conn.send(args),
            Action::Raw(bytes) => conn.send_raw(bytes),
            Action::Read | Action::Sleep(_) => Ok(()),
        };
        let got = match sent {
            Err(e) => Got::from_io(Err(e), conn.timeout()),
            Ok(()) if matches!(step.action, Action::Send(_)) => {
                thread::sleep(SEND_SETTLE);
                continue;
            }
            Ok(()) => Got::from_io(conn.read_reply(), conn.timeout()),
        };
        if matches!(got, Got::Closed) {
            conns.remove(&step.conn);
            closed.push(step.conn.clone());
        }
        match &expect {
            Some(e) if got.fits(e) => {}
            _ => return Err(fail_here(got.show())),
        }
    }
    Ok(())
}

/// Totals of a run.
#[derive(Debug, Default)]
pub struct Outcome {
    pub passed: usize,
    pub failed: usize,
    /// Messages, one per failure (parse errors, failed cases, abort notice).
    pub messages: Vec<String>,
}

/// Runs `cases` against `server`, continuing after failures. After a failure
/// the server is probed; if it is gone (exited or not answering PING in 2 s),
/// the remaining cases are not run and count as failed.
pub fn run_cases(server: &mut Server, cases: &[&Case], proto: Protocol) -> Outcome {
    let mut out = Outcome::default();
    for (k, case) in cases.iter().enumerate() {
        match run_case(&server.addr, case, proto) {
            Ok(()) => out.passed += 1,
            Err(f) => {
                out.failed += 1;
                out.messages.push(f.to_string());
                if !server.is_responding(Duration::from_secs(2)) {
                    let left = cases.len() - k - 1;
                    server.wait_exit(Duration::from_millis(500));
                    let status = server
                        .exit_status()
                        .map(|s| format!(" (process {s})"))
                        .unwrap_or_default();
                    let mut msg = format!(
                        "server at {} is gone{status} after {}:{} {}; {left} remaining case(s) not run, counted as failed",
                        server.addr, case.file, case.line, case.name
                    );
                    let log = server.log();
                    if !log.is_empty() {
                        msg.push_str(&format!(
                            "\n--- server log (last 40 lines) ---\n{}",
                            crate::support::server::tail(&log, 40)
                        ));
                    }
                    out.messages.push(msg);
                    out.failed += left;
                    break;
                }
                // A case that failed half-way may have left a setting changed
                // (it restores it in its last steps); a spawned server is
                // restarted so that the following cases do not inherit it.
                if case.changes_settings() && server.dir().is_some() {
                    server.restart();
                    out.messages.push(format!(
                        "restarted the server (now at {}) as the failed case changes settings",
                        server.addr
                    ));
                }
            }
        }
    }
    out
}

/// Whether `name` contains `filter`, ignoring ASCII case.
fn contains_ci(name: &str, filter: &str) -> bool {
    name.to_ascii_lowercase()
        .contains(&filter.to_ascii_lowercase())
}

/// Loads `dir/*.txt` (sorted by name): the selected cases plus the parse errors
/// that concern them. With a filter, a file whose name contains it is taken
/// whole, otherwise only its cases whose names contain it.
pub fn load_cases(dir: &Path, filter: Option<&str>) -> (Vec<Case>, Vec<ParseError>) {
    let mut paths: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    let (mut cases, mut errors) = (Vec::new(), Vec::new());
    for path in paths {
        let fname = path.file_name().unwrap().to_string_lossy().into_owned();
        let shown = format!("redis-compat-tests/{fname}");
        let text =
            fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let (cs, es) = parse_cases(&shown, &text);
        let whole = filter.is_none_or(|f| contains_ci(&fname, f));
        let wanted =
            |name: Option<&str>| whole || name.is_some_and(|n| contains_ci(n, filter.unwrap()));
        cases.extend(cs.into_iter().filter(|c| wanted(Some(&c.name))));
        errors.extend(es.into_iter().filter(|e| wanted(e.case.as_deref())));
    }
    (cases, errors)
}

/// The `cargo test --test compat` entry point (see the module doc).
pub fn run_from_env() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("redis-compat-tests");
    let filter = std::env::var("COMPAT_FILTER")
        .ok()
        .filter(|f| !f.is_empty());
    let (cases, errors) = load_cases(&dir, filter.as_deref());
    for e in &errors {
        println!("{e}");
    }
    if cases.is_empty() && errors.is_empty() {
        panic!(
            "no compat cases ran (dir {}, COMPAT_FILTER={:?})",
            dir.display(),
            filter
        );
    }

    // The servers to prove the cases against: COMPAT_ADDR alone if set, else a
    // fresh ferrodis and (when installed, or required by REQUIRE_REDIS=1) a
    // fresh redis-server, so every expectation is shown to be Redis's too.
    let mut servers: Vec<(&str, Server)> = Vec::new();
    match std::env::var("COMPAT_ADDR") {
        Ok(addr) if !addr.is_empty() => servers.push(("external", Server::external(&addr))),
        _ => {
            servers.push((
                "ferrodis",
                Server::ferrodis(&["--enable-debug-command", "local"]),
            ));
            match Server::redis(&["--enable-debug-command", "local"]) {
                Some(r) => servers.push(("redis-server", r)),
                None if std::env::var("REQUIRE_REDIS").as_deref() == Ok("1") => {
                    panic!("REQUIRE_REDIS=1 but redis-server is not installed")
                }
                None => println!("compat: redis-server not installed; checked ferrodis only"),
            }
        }
    }

    // Every case runs as written (RESP2); then, on the same server, the cases
    // that may run in RESP3 run again after an automatic HELLO 3.
    // COMPAT_PROTOCOL=resp2 or resp3 keeps one of the two runs.
    let only = std::env::var("COMPAT_PROTOCOL")
        .ok()
        .filter(|p| !p.is_empty());
    let by_proto: Vec<(Protocol, Vec<&Case>)> = [Protocol::Resp2, Protocol::Resp3]
        .into_iter()
        .filter(|p| {
            only.as_deref()
                .is_none_or(|o| o.eq_ignore_ascii_case(p.name()))
        })
        .map(|p| (p, cases.iter().filter(|c| c.runs_in(p)).collect()))
        .collect();
    if by_proto.is_empty() {
        panic!("COMPAT_PROTOCOL={only:?}: expected resp2 or resp3");
    }
    let mut total_failed = errors.len();
    for (name, mut server) in servers {
        for (proto, selected) in &by_proto {
            let label = format!("{name} {}", proto.name());
            println!(
                "compat: running {} case(s) against {name} at {} in {}",
                selected.len(),
                server.addr,
                proto.name()
            );
            let out = run_cases(&mut server, selected, *proto);
            for m in &out.messages {
                println!("[{label}] {m}");
            }
            // Parse errors count once per server, in the RESP2 line.
            let parse_failed = if *proto == Protocol::Resp2 {
                errors.len()
            } else {
                0
            };
            // The leading newline keeps the summary alone on its line even when
            // the test harness has printed `test ... ` without a newline.
            println!(
                "\ncompat [{label}]: {} passed, {} failed",
                out.passed,
                out.failed + parse_failed
            );
            total_failed += out.failed;
        }
        drop(server);
    }
    if total_failed > 0 {
        panic!("{total_failed} compat case(s) failed (details above)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::resp::{parse_reply, render};

    fn ex(s: &str) -> Expect {
        parse_expect(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn bulk(s: &str) -> Reply {
        Reply::bulk(s)
    }

    fn arr(v: Vec<Reply>) -> Reply {
        Reply::Array(v)
    }

    fn args(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn split_args_like_redis_cli() {
        assert_eq!(split_args("SET k v").unwrap(), args(&["SET", "k", "v"]));
        assert_eq!(split_args("  a   b\t").unwrap(), args(&["a", "b"]));
        assert_eq!(
            split_args(r#"SET "a b" """#).unwrap(),
            args(&["SET", "a b", ""])
        );
        assert_eq!(
            split_args(r#""\"q\\ \n\r\t\x41\x7a""#).unwrap(),
            vec![b"\"q\\ \n\r\tAz".to_vec()]
        );
        assert_eq!(split_args(r#""\xff\x00""#).unwrap(), vec![vec![0xff, 0]]);
        assert_eq!(
            split_args(r"'a \n b' 'it\'s'").unwrap(),
            args(&[r"a \n b", "it's"])
        );
        assert_eq!(split_args("k%repeat(3,ab)z").unwrap(), args(&["kabababz"]));
        assert_eq!(
            split_args(r#"%repeat(2,"x y")"#).unwrap(),
            args(&["x yx y"])
        );
        assert_eq!(split_args("%repeat(0,a)").unwrap(), args(&[""]));
        assert_eq!(split_args("").unwrap(), Vec::<Vec<u8>>::new());
        assert!(split_args(r#""open"#).is_err());
        assert!(split_args("'open").is_err());
        assert!(split_args(r#""a"b"#).is_err());
        assert!(split_args("%repeat(x,a)").is_err());
        assert!(split_args("%repeat(3,a").is_err());
    }

    #[test]
    fn parse_scalars() {
        assert_eq!(ex("+OK"), Expect::Status("OK".into()));
        assert_eq!(ex("-ERR some text"), Expect::Error("ERR some text".into()));
        // top level: text runs to the end of the line, trailing space included
        assert_eq!(
            ex("-ERR a, b: 'c' "),
            Expect::Error("ERR a, b: 'c' ".into())
        );
        assert_eq!(ex(r#"-"ERR x ""#), Expect::Error("ERR x ".into()));
        assert_eq!(
            ex("(error-prefix) ERR unknown"),
            Expect::ErrorPrefix("ERR unknown".into())
        );
        assert_eq!(ex(":42"), Expect::Int(42));
        assert_eq!(ex(":-7"), Expect::Int(-7));
        assert_eq!(ex(r#""a\"b\x00""#), Expect::Bulk(b"a\"b\x00".to_vec()));
        assert_eq!(ex(r#""""#), Expect::Bulk(vec![]));
        assert_eq!(ex("(nil)"), Expect::Nil);
        assert_eq!(ex("(nil-array)"), Expect::NilArray);
        assert_eq!(ex("_"), Expect::Null);
        assert_eq!(ex(",1.5"), Expect::Double("1.5".into()));
        assert_eq!(ex(",-inf"), Expect::Double("-inf".into()));
        assert_eq!(ex("#t"), Expect::Bool(true));
        assert_eq!(ex("#f"), Expect::Bool(false));
        assert_eq!(ex("(big)1234"), Expect::Big("1234".into()));
        assert_eq!(
            ex("=txt:some text"),
            Expect::Verbatim("txt".into(), b"some text".to_vec())
        );
        assert_eq!(ex("(any)"), Expect::Any);
        assert_eq!(ex("(int)"), Expect::AnyInt);
        assert_eq!(ex("(range 99 100)"), Expect::Range(99, 100));
        assert_eq!(ex("(range -1 1)"), Expect::Range(-1, 1));
        assert_eq!(ex("(bulk)"), Expect::AnyBulk);
        assert_eq!(ex("(match a*b?)"), Expect::Match(b"a*b?".to_vec()));
        assert_eq!(ex(r#"(match "x)y*")"#), Expect::Match(b"x)y*".to_vec()));
        assert_eq!(ex("(len 3)"), Expect::Len(3));
        assert_eq!(ex("(closed)"), Expect::Closed);
        assert_eq!(ex("%repeat(3,ab)"), Expect::Bulk(b"ababab".to_vec()));
        assert_eq!(ex("   :1   "), Expect::Int(1));
    }

    #[test]
    fn parse_aggregates() {
        assert_eq!(ex("[]"), Expect::Array(vec![], false));
        assert_eq!(
            ex(r#"["a",:1,(nil)]"#),
            Expect::Array(
                vec![Expect::Bulk(b"a".to_vec()), Expect::Int(1), Expect::Nil],
                false
            )
        );
        assert_eq!(
            ex(r#"[ [ "x" , [] ] , +OK , -ERR no, (error-prefix) WRONGTYPE ]"#),
            Expect::Array(
                vec![
                    Expect::Array(
                        vec![Expect::Bulk(b"x".to_vec()), Expect::Array(vec![], false)],
                        false
                    ),
                    Expect::Status("OK".into()),
                    Expect::Error("ERR no".into()),
                    Expect::ErrorPrefix("WRONGTYPE".into()),
                ],
                false
            )
        );
        assert_eq!(
            ex(r#"[-"ERR a, b",,1.5,,inf]"#),
            Expect::Array(
                vec![
                    Expect::Error("ERR a, b".into()),
                    Expect::Double("1.5".into()),
                    Expect::Double("inf".into())
                ],
                false
            )
        );
        assert_eq!(
            ex(r#"%{"k":"v", "n"::1}"#),
            Expect::Map(
                vec![
                    (Expect::Bulk(b"k".to_vec()), Expect::Bulk(b"v".to_vec())),
                    (Expect::Bulk(b"n".to_vec()), Expect::Int(1))
                ],
                false
            )
        );
        assert_eq!(
            ex(r#"(unordered) %{+a:#t}"#),
            Expect::Map(vec![(Expect::Status("a".into()), Expect::Bool(true))], true)
        );
        assert_eq!(
            ex("(unordered) [:1]"),
            Expect::Array(vec![Expect::Int(1)], true)
        );
        assert_eq!(ex("~[]"), Expect::Set(vec![]));
        assert_eq!(
            ex(r#">["message","ch","hi"]"#),
            Expect::Push(
                vec![
                    Expect::Bulk(b"message".to_vec()),
                    Expect::Bulk(b"ch".to_vec()),
                    Expect::Bulk(b"hi".to_vec())
                ],
                false
            )
        );
        for bad in [
            "[",
            "[:1",
            "[:1 :2]",
            "%{\"k\"}",
            "(unordered) :1",
            "[(closed)]",
            "(wat)",
            ":x",
            "#x",
            "+OK trailing\"",
            "\"a\" junk",
            "(range 1)",
            "",
        ] {
            if bad == "+OK trailing\"" {
                // bare top-level status text is taken literally
                assert_eq!(ex(bad), Expect::Status("OK trailing\"".into()));
                continue;
            }
            assert!(parse_expect(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn match_scalars() {
        assert!(ex("+OK").matches(&Reply::ok()));
        assert!(!ex("+OK").matches(&bulk("OK")));
        assert!(!ex(r#""OK""#).matches(&Reply::ok()));
        assert!(ex("-ERR x").matches(&Reply::error("ERR x")));
        assert!(!ex("-ERR x").matches(&Reply::error("ERR x ")));
        assert!(ex("(error-prefix) WRONGTYPE").matches(&Reply::error("WRONGTYPE Operation")));
        assert!(!ex("(error-prefix) WRONGTYPE").matches(&Reply::status("WRONGTYPE")));
        assert!(ex("(nil)").matches(&Reply::Nil));
        assert!(!ex("(nil)").matches(&Reply::NilArray));
        assert!(!ex("(nil)").matches(&Reply::Null));
        assert!(!ex("_").matches(&Reply::Nil));
        assert!(ex("(nil-array)").matches(&Reply::NilArray));
        assert!(ex("(range 99 100)").matches(&Reply::Int(99)));
        assert!(ex("(range 99 100)").matches(&Reply::Int(100)));
        assert!(!ex("(range 99 100)").matches(&Reply::Int(101)));
        assert!(!ex("(range 99 100)").matches(&bulk("100")));
        assert!(ex("(int)").matches(&Reply::Int(-5)));
        assert!(ex("(bulk)").matches(&bulk("")));
        assert!(!ex("(bulk)").matches(&Reply::Nil));
        assert!(ex("(len 3)").matches(&bulk("abc")));
        assert!(ex("(len 2)").matches(&arr(vec![Reply::Nil, Reply::Nil])));
        assert!(ex("(len 1)").matches(&Reply::Map(vec![(bulk("a"), bulk("b"))])));
        assert!(ex("(any)").matches(&Reply::NilArray));
        assert!(!ex("(closed)").matches(&Reply::Null));
        assert!(ex(",1.5").matches(&Reply::Double("1.5".into())));
        assert!(!ex(",1.5").matches(&Reply::Double("1.50".into())));
        assert!(ex("(big)12").matches(&Reply::BigNumber("12".into())));
        assert!(ex("=txt:hi").matches(&Reply::Verbatim("txt".into(), b"hi".to_vec())));
        assert!(!ex("=mkd:hi").matches(&Reply::Verbatim("txt".into(), b"hi".to_vec())));
        // attributes are transparent
        let attr = Reply::Attribute(vec![(bulk("a"), Reply::Int(1))], Box::new(Reply::Int(7)));
        assert!(ex(":7").matches(&attr));
    }

    #[test]
    fn match_globs() {
        assert!(ex("(match *)").matches(&bulk("")));
        assert!(ex("(match a*c)").matches(&bulk("abbbc")));
        assert!(ex("(match a*c)").matches(&bulk("ac")));
        assert!(!ex("(match a*c)").matches(&bulk("acb")));
        assert!(ex("(match a?c)").matches(&bulk("abc")));
        assert!(!ex("(match a?c)").matches(&bulk("ac")));
        assert!(ex("(match *b*b*)").matches(&bulk("abab")));
        assert!(ex(r"(match a\*)").matches(&bulk("a*")));
        assert!(!ex(r"(match a\*)").matches(&bulk("ab")));
        assert!(ex("(match redis_version:*)").matches(&Reply::status("redis_version:7")));
        assert!(ex("(match *x*)").matches(&Reply::Verbatim("txt".into(), b"axb".to_vec())));
        assert!(!ex("(match *)").matches(&Reply::Int(1)));
    }

    #[test]
    fn match_aggregates() {
        let r = arr(vec![
            bulk("a"),
            arr(vec![Reply::Int(1), Reply::Nil]),
            Reply::NilArray,
        ]);
        assert!(ex(r#"["a",[:1,(nil)],(nil-array)]"#).matches(&r));
        assert!(!ex(r#"["a",[(nil),:1],(nil-array)]"#).matches(&r));
        assert!(!ex(r#"["a",[:1,(nil)]]"#).matches(&r));
        let abc = arr(vec![bulk("c"), bulk("a"), bulk("b")]);
        assert!(!ex(r#"["a","b","c"]"#).matches(&abc));
        assert!(ex(r#"(unordered) ["a","b","c"]"#).matches(&abc));
        assert!(!ex(r#"(unordered) ["a","b","b"]"#).matches(&abc));
        assert!(!ex(r#"(unordered) ["a","b"]"#).matches(&abc));
        // duplicates must pair one-to-one
        let aab = arr(vec![bulk("a"), bulk("a"), bulk("b")]);
        assert!(ex(r#"(unordered) ["b","a","a"]"#).matches(&aab));
        assert!(!ex(r#"(unordered) ["b","b","a"]"#).matches(&aab));
        // a greedy pairing would give (any) the "a" and then fail
        let ab = arr(vec![bulk("a"), bulk("b")]);
        assert!(ex(r#"(unordered) [(any),"a"]"#).matches(&ab));
        assert!(ex(r#"(unordered) [(match a*),(bulk)]"#).matches(&ab));
        // unordered is shallow: nested arrays keep their order
        let nested = arr(vec![arr(vec![bulk("x"), bulk("y")]), bulk("z")]);
        assert!(ex(r#"(unordered) ["z",["x","y"]]"#).matches(&nested));
        assert!(!ex(r#"(unordered) ["z",["y","x"]]"#).matches(&nested));
        assert!(ex(r#"(unordered) ["z",(unordered) ["y","x"]]"#).matches(&nested));
        // sets are always unordered and distinct from arrays
        let set = Reply::Set(vec![bulk("a"), bulk("b")]);
        assert!(ex(r#"~["b","a"]"#).matches(&set));
        assert!(!ex(r#"["a","b"]"#).matches(&set));
        assert!(!ex(r#"~["a","b"]"#).matches(&ab));
        // maps: ordered unless (unordered)
        let map = Reply::Map(vec![
            (bulk("k1"), Reply::Int(1)),
            (bulk("k2"), Reply::Int(2)),
        ]);
        assert!(ex(r#"%{"k1"::1,"k2"::2}"#).matches(&map));
        assert!(!ex(r#"%{"k2"::2,"k1"::1}"#).matches(&map));
        assert!(ex(r#"(unordered) %{"k2"::2,"k1"::1}"#).matches(&map));
        assert!(!ex(r#"(unordered) %{"k2"::1,"k1"::2}"#).matches(&map));
        assert!(!ex(r#"["k1",:1,"k2",:2]"#).matches(&map));
        let push = Reply::Push(vec![bulk("message"), bulk("ch"), bulk("hi")]);
        assert!(ex(r#">["message","ch","hi"]"#).matches(&push));
        assert!(!ex(r#"["message","ch","hi"]"#).matches(&push));
        assert!(ex("[]").matches(&arr(vec![])));
        assert!(!ex("[]").matches(&Reply::NilArray));
    }

    #[test]
    fn render_parses_back() {
        let replies = vec![
            Reply::ok(),
            Reply::error("ERR unknown command 'x', with args beginning with: "),
            Reply::Int(-3),
            bulk("a\"b\\c\r\n\x01"),
            Reply::Bulk(vec![0xff, 0x00]),
            Reply::Nil,
            Reply::NilArray,
            Reply::Null,
            Reply::Double("3.14".into()),
            Reply::Bool(false),
            Reply::BigNumber("-12".into()),
            Reply::Verbatim("txt".into(), b"a:b\r\nc, d".to_vec()),
            arr(vec![
                Reply::status("a,b:c"),
                Reply::error("ERR x]"),
                Reply::Double("inf".into()),
                arr(vec![]),
                Reply::Set(vec![Reply::Int(1)]),
            ]),
            Reply::Map(vec![
                (Reply::Int(1), Reply::Int(2)),
                (Reply::status("k"), Reply::Double("1".into())),
                (Reply::Double("2.5".into()), Reply::Bool(true)),
            ]),
            Reply::Push(vec![bulk("x")]),
        ];
        for r in replies {
            let text = render(&r, false);
            let e = parse_expect(&text).unwrap_or_else(|err| panic!("{text}: {err}"));
            assert!(e.matches(&r), "{text} does not match {r:?}");
            assert_eq!(render_expect(&e, false), text);
        }
        assert_eq!(render(&Reply::error("ERR x "), false), r#"-"ERR x ""#);
        assert_eq!(
            render(&arr(vec![bulk("q"), Reply::Int(1), Reply::Nil]), false),
            r#"["q",:1,(nil)]"#
        );
    }

    #[test]
    fn resp_parser() {
        let p = |b: &[u8]| parse_reply(b, 0).unwrap();
        assert_eq!(p(b"+OK\r\n"), Some((Reply::ok(), 5)));
        assert_eq!(p(b"+OK\r"), None);
        assert_eq!(p(b"$3\r\nab"), None);
        assert_eq!(p(b"$-1\r\n"), Some((Reply::Nil, 5)));
        assert_eq!(p(b"*-1\r\n"), Some((Reply::NilArray, 5)));
        assert_eq!(p(b"*2\r\n:1\r\n"), None);
        assert_eq!(
            p(b"*2\r\n$1\r\na\r\n*0\r\n+x"),
            Some((arr(vec![bulk("a"), arr(vec![])]), 15))
        );
        assert_eq!(
            p(b"%1\r\n+k\r\n,1.5\r\n").map(|x| x.0),
            Some(Reply::Map(vec![(
                Reply::status("k"),
                Reply::Double("1.5".into())
            )]))
        );
        assert_eq!(
            p(b"~1\r\n#t\r\n").map(|x| x.0),
            Some(Reply::Set(vec![Reply::Bool(true)]))
        );
        assert_eq!(
            p(b"=8\r\ntxt:ab\r\n\r\n").map(|x| x.0),
            Some(Reply::Verbatim("txt".into(), b"ab\r\n".to_vec()))
        );
        assert_eq!(
            p(b"!5\r\nERR x\r\n").map(|x| x.0),
            Some(Reply::error("ERR x"))
        );
        assert_eq!(p(b"_\r\n(12\r\n").map(|x| x.0), Some(Reply::Null));
        assert_eq!(
            p(b"|1\r\n+a\r\n:1\r\n:2\r\n").map(|x| x.0),
            Some(Reply::Attribute(
                vec![(Reply::status("a"), Reply::Int(1))],
                Box::new(Reply::Int(2))
            ))
        );
        assert_eq!(
            p(b">2\r\n+a\r\n_\r\n").map(|x| x.0),
            Some(Reply::Push(vec![Reply::status("a"), Reply::Null]))
        );
        assert!(parse_reply(b"?\r\n", 0).is_err());
        assert!(parse_reply(b":x\r\n", 0).is_err());
        assert!(parse_reply(b"$1\r\nabc\r\n", 0).is_err());
    }

    const SAMPLE: &str = "# comment\n\
        \n\
        === first case\n\
        > SET k \"a b\"\n\
        +OK\n\
        c2> GET k\n\
        \"a b\"\n\
        c2>> BLPOP q 0\n\
        !sleep 5\n\
        > HELLO 3\n\
        #t\n\
        c2<\n\
        [\"q\",\"a\"]\n\
        >raw \"PING\\r\\n\"\n\
        +PONG\r\n\
        < \n\
        (closed)\n\
        === second\n\
        \x20 c1> PING\n\
        \x20 +PONG\n";

    #[test]
    fn parse_case_file() {
        let (cases, errors) = parse_cases("f.txt", SAMPLE);
        assert_eq!(errors, vec![]);
        assert_eq!(cases.len(), 2);
        let c = &cases[0];
        assert_eq!(
            (c.file.as_str(), c.line, c.name.as_str()),
            ("f.txt", 3, "first case")
        );
        let kinds: Vec<(usize, &str, &Action)> = c
            .steps
            .iter()
            .map(|s| (s.line, s.conn.as_str(), &s.action))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (4, "c1", &Action::Cmd(args(&["SET", "k", "a b"]))),
                (6, "c2", &Action::Cmd(args(&["GET", "k"]))),
                (8, "c2", &Action::Send(args(&["BLPOP", "q", "0"]))),
                (9, "", &Action::Sleep(5)),
                (10, "c1", &Action::Cmd(args(&["HELLO", "3"]))),
                (12, "c2", &Action::Read),
                (14, "c1", &Action::Raw(b"PING\r\n".to_vec())),
                (16, "c1", &Action::Read),
            ]
        );
        // `#t` right after a command is its expectation, not a comment
        assert_eq!(c.steps[4].expect, Some(Expect::Bool(true)));
        assert_eq!(c.steps[6].expect, Some(Expect::Status("PONG".into())));
        assert_eq!(c.steps[7].expect, Some(Expect::Closed));
        assert_eq!(c.steps[2].expect, None);
        assert_eq!(cases[1].steps[0].source, "c1> PING");
    }

    #[test]
    fn parse_errors_have_lines_and_skip_only_their_case() {
        let text = "> PING\n\
            +PONG\n\
            === a\n\
            > PING\n\
            \n\
            === b\n\
            > GET\n\
            (what)\n\
            === c\n\
            > PING\n\
            +PONG\n\
            === d\n\
            c2 > PING\n\
            === e\n\
            !nap 5\n\
            ===\n\
            === f\n\
            >\n\
            (any)\n\
            === g\n\
            > PING\n";
        let (cases, errors) = parse_cases("x.txt", text);
        let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["c"]);
        let at: Vec<(usize, Option<&str>)> =
            errors.iter().map(|e| (e.line, e.case.as_deref())).collect();
        assert_eq!(
            at,
            vec![
                (1, None),
                (2, None),
                (4, Some("a")),
                (8, Some("b")),
                (13, Some("d")),
                (15, Some("e")),
                (16, None),
                (18, Some("f")),
                (21, Some("g")),
            ]
        );
        assert!(errors[0].to_string().starts_with("x.txt:1: parse error: "));
    }

    #[test]
    fn failure_line_format() {
        let f = Failure {
            file: "redis-compat-tests/a.txt".into(),
            line: 7,
            case: "GET missing".into(),
            sent: "> GET k".into(),
            expected: "(nil)".into(),
            got: "\"v\"".into(),
        };
        assert_eq!(
            f.to_string(),
            "redis-compat-tests/a.txt:7 GET missing: sent > GET k expected (nil) got \"v\""
        );
    }

    #[test]
    fn resp3_translation_is_mechanical() {
        assert_eq!(to_resp3(&ex("(nil)")), Expect::Null);
        assert_eq!(to_resp3(&ex("(nil-array)")), Expect::Null);
        assert_eq!(
            to_resp3(&ex(r#"["a",(nil),[(nil-array)]]"#)),
            ex(r#"["a",_,[_]]"#)
        );
        assert_eq!(
            to_resp3(&ex(r#"(unordered) %{"k":(nil)}"#)),
            ex(r#"(unordered) %{"k":_}"#)
        );
        assert_eq!(to_resp3(&ex("~[(nil)]")), ex("~[_]"));
        for same in [
            "+OK", "-ERR x", ":1", r#""v""#, "(any)", "(len 2)", "(closed)", "[]",
        ] {
            assert_eq!(to_resp3(&ex(same)), ex(same), "{same}");
        }
        // the translated forms match what a RESP3 server sends
        assert!(to_resp3(&ex(r#"["a",(nil)]"#)).matches(&arr(vec![bulk("a"), Reply::Null])));
        assert!(!to_resp3(&ex(r#"["a",(nil)]"#)).matches(&arr(vec![bulk("a"), Reply::Nil])));
    }

    #[test]
    fn resp3_lines_and_resp2_only_markers() {
        let text = "# resp2-only: the whole file\n\
            === a\n\
            > PING\n\
            +PONG\n";
        let (cases, errors) = parse_cases("f.txt", text);
        assert_eq!(errors, vec![]);
        assert!(cases[0].resp2_only);
        assert!(!cases[0].runs_in(Protocol::Resp3));
        assert!(cases[0].runs_in(Protocol::Resp2));

        let text = "=== explicit\n\
            > LCS a b IDX\n\
            [\"matches\",[],\"len\",:0]\n\
            \x20 resp3: %{\"matches\":[],\"len\"::0}\n\
            > GET k\n\
            (nil)\n\
            === opted out\n\
            # resp2-only\n\
            > CONFIG GET hz\n\
            [\"hz\",\"10\"]\n\
            === a comment that only looks like the marker\n\
            # resp2-onlyish\n\
            > PING\n\
            +PONG\n\
            === sends HELLO itself\n\
            > HELLO 3\n\
            (any)\n\
            === raw hello\n\
            >raw \"hello 3\\r\\n\"\n\
            (any)\n";
        let (cases, errors) = parse_cases("f.txt", text);
        assert_eq!(errors, vec![]);
        let runs: Vec<(&str, bool)> = cases
            .iter()
            .map(|c| (c.name.as_str(), c.runs_in(Protocol::Resp3)))
            .collect();
        assert_eq!(
            runs,
            vec![
                ("explicit", true),
                ("opted out", false),
                ("a comment that only looks like the marker", true),
                ("sends HELLO itself", false),
                ("raw hello", false),
            ]
        );
        let st = &cases[0].steps;
        assert_eq!(st.len(), 2);
        assert_eq!(
            st[0].expect_in(Protocol::Resp2),
            Some(ex(r#"["matches",[],"len",:0]"#))
        );
        assert_eq!(
            st[0].expect_in(Protocol::Resp3),
            Some(ex(r#"%{"matches":[],"len"::0}"#))
        );
        assert_eq!(st[1].line, 5);
        assert_eq!(st[1].expect_in(Protocol::Resp2), Some(Expect::Nil));
        assert_eq!(st[1].expect_in(Protocol::Resp3), Some(Expect::Null));
    }

    #[test]
    fn misplaced_resp3_lines_are_errors() {
        let text = "=== orphan\n\
            resp3: :1\n\
            === dead in a resp2-only case\n\
            # resp2-only\n\
            > PING\n\
            +PONG\n\
            resp3: +PONG\n\
            === dead in a HELLO case\n\
            > HELLO 3\n\
            (any)\n\
            > PING\n\
            +PONG\n\
            resp3: +PONG\n\
            === bad resp3 expectation\n\
            > PING\n\
            +PONG\n\
            resp3: (what)\n\
            === ok\n\
            > PING\n\
            +PONG\n";
        let (cases, errors) = parse_cases("x.txt", text);
        let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["ok"]);
        let at: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(at, vec![2, 5, 11, 17]);
    }

    #[test]
    fn settings_changes_are_detected() {
        let (cases, _) = parse_cases(
            "f.txt",
            "=== a\n> config set hz 20\n+OK\n=== b\n> DEBUG SET-ACTIVE-EXPIRE 0\n+OK\n=== c\n> CONFIG GET hz\n(any)\n",
        );
        let v: Vec<bool> = cases.iter().map(Case::changes_settings).collect();
        assert_eq!(v, vec![true, true, false]);
    }

    #[test]
    fn filter_is_case_insensitive() {
        assert!(contains_ci("connection.txt", "CONN"));
        assert!(!contains_ci("strings.txt", "conn"));
    }
}
