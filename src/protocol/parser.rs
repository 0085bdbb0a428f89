//! Incremental RESP request parser.
//!
//! A client's bytes arrive in arbitrary pieces: one command split over many reads, or
//! thousands of pipelined commands in one. The parser keeps its progress on the client
//! (`ParseState`) so a partial command is never re-scanned from the start, and it never
//! copies an argument: each argument is a byte range into the client's query buffer.
//! Inline commands (`PING\r\n` typed into telnet) are unescaped in place, inside the
//! line they came from, so they are ranges into the same buffer too.
//!
//! It follows Redis 7.0 to the byte, quirks included: header numbers are strict
//! (no leading zeros, no '+', no "-0"), counts up to INT_MAX are accepted, a NUL
//! byte before a line end hides it (Redis searches with strchr), the two bytes
//! after a bulk and the one after a header's '\r' are skipped unchecked, and a
//! client that still has to AUTH gets much smaller limits.
//!
//! The parser does no I/O. It answers `Parsed::Command` (argument ranges are ready),
//! `Parsed::Incomplete` (wait for more bytes), or a protocol error with Redis's text,
//! after which the connection is to be closed.

/// Longest inline command line, and longest `*`/`$` header line, as Redis's
/// PROTO_INLINE_MAX_SIZE.
pub const INLINE_MAX: usize = 64 * 1024;
/// Most arguments in one multibulk request: Redis 7.0 accepts any count up to
/// INT_MAX (the argument vector grows as arguments arrive, so a large count
/// allocates nothing up front).
pub const MULTIBULK_MAX: i64 = i32::MAX as i64;
/// Most arguments a client that still has to AUTH may announce.
pub const UNAUTH_MULTIBULK_MAX: i64 = 10;
/// Longest bulk argument a client that still has to AUTH may announce.
pub const UNAUTH_BULK_MAX: i64 = 16 * 1024;

/// Parser progress inside the query buffer, kept between reads.
#[derive(Debug)]
pub struct ParseState {
    /// Arguments still to read for the current multibulk command (0: none started).
    multibulk_left: i64,
    /// Length of the bulk argument whose header was read, or -1.
    bulk_len: i64,
    /// Where a partial multibulk command stopped.
    resume: usize,
    /// Argument ranges of the current command: (start, end) offsets in the buffer.
    pub args: Vec<(usize, usize)>,
    /// The client has not authenticated yet (a password is required): multibulk
    /// headers are then capped at `UNAUTH_MULTIBULK_MAX` arguments and
    /// `UNAUTH_BULK_MAX` bytes per argument, as Redis does. Set by the caller
    /// before each `parse`.
    pub auth_required: bool,
}

/// What one parse step found.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A whole command; its arguments are in `ParseState::args`. `consumed` is the
    /// offset just past it. An empty command (blank inline line, `*0`) has no args.
    Command { consumed: usize },
    /// More bytes are needed.
    Incomplete,
    /// Garbage: reply `-ERR Protocol error: <msg>` and close the connection.
    Error(Vec<u8>),
}

impl Default for ParseState {
    fn default() -> Self {
        Self::new()
    }
}

impl ParseState {
    pub fn new() -> Self {
        ParseState {
            multibulk_left: 0,
            bulk_len: -1,
            resume: 0,
            args: Vec::with_capacity(8),
            auth_required: false,
        }
    }

    /// True when a multibulk command has started but is not complete.
    pub fn in_progress(&self) -> bool {
        self.multibulk_left > 0
    }

    /// Bytes the pending bulk argument still needs (for buffer reservation).
    pub fn pending_bulk(&self) -> Option<usize> {
        (self.multibulk_left > 0 && self.bulk_len >= 0).then_some(self.bulk_len as usize)
    }

    /// Where the bytes not yet turned into arguments start: the resume point of
    /// an unfinished multibulk command, else `pos` (the end of the last command).
    /// Bytes before it belong to finished arguments; only the bytes from here on
    /// count against client-query-buffer-limit, as in Redis, which moves finished
    /// arguments out of its query buffer.
    pub fn unparsed_from(&self, pos: usize) -> usize {
        if self.multibulk_left > 0 {
            self.resume.max(pos)
        } else {
            pos
        }
    }

    /// Shifts stored offsets after the first `n` bytes of the buffer were dropped.
    /// Only an unfinished command's ranges survive; a finished one's were used.
    pub fn shift(&mut self, n: usize) {
        if self.multibulk_left > 0 {
            for r in &mut self.args {
                r.0 -= n;
                r.1 -= n;
            }
            self.resume -= n;
        } else {
            self.args.clear();
        }
    }

    /// Parses the next command starting at `pos` (the end of the previous command).
    /// When a multibulk command was left incomplete, parsing resumes where it
    /// stopped, which is at or after `pos`. `max_bulk` is proto-max-bulk-len.
    ///
    /// The usual command (no command half-read, a canonical `*<n>` header,
    /// all of it in `buf`) is read by the inline `parse_fast`; everything
    /// else, including every error and partial input, by the general path.
    #[inline]
    pub fn parse(&mut self, buf: &mut [u8], pos: usize, max_bulk: i64) -> Parsed {
        if let Some(consumed) = self.parse_fast(buf, pos, max_bulk) {
            return Parsed::Command { consumed };
        }
        self.parse_general(buf, pos, max_bulk)
    }

    /// A whole canonical multibulk command at `pos` with no command in
    /// progress, within the count and length limits: its end, arguments in
    /// `self.args`. None (and no state changed but `args`) for anything else.
    #[inline]
    fn parse_fast(&mut self, buf: &[u8], pos: usize, max_bulk: i64) -> Option<usize> {
        if self.multibulk_left > 0 || buf.get(pos) != Some(&b'*') {
            return None;
        }
        let (n, cr) = canonical_header(buf, pos + 1)?;
        let max_n = if self.auth_required {
            UNAUTH_MULTIBULK_MAX
        } else {
            MULTIBULK_MAX
        };
        if n <= 0 || n > max_n {
            return None;
        }
        let limit = if self.auth_required {
            max_bulk.min(UNAUTH_BULK_MAX)
        } else {
            max_bulk
        };
        self.args.clear();
        let end = self.parse_whole(buf, cr + 2, n as usize, limit);
        if end.is_none() {
            self.args.clear();
        }
        end
    }

    #[inline(never)]
    fn parse_general(&mut self, buf: &mut [u8], pos: usize, max_bulk: i64) -> Parsed {
        let r = self.parse_next(buf, pos, max_bulk);
        if let Parsed::Error(_) = r {
            // Nothing of the failed command survives: the connection closes,
            // and a later shift() must not see a half-parsed command whose
            // resume point predates it.
            self.multibulk_left = 0;
            self.bulk_len = -1;
            self.args.clear();
        }
        r
    }

    fn parse_next(&mut self, buf: &mut [u8], pos: usize, max_bulk: i64) -> Parsed {
        if self.multibulk_left > 0 {
            let at = self.resume;
            return self.parse_bulks(buf, at, max_bulk);
        }
        self.args.clear();
        if pos >= buf.len() {
            return Parsed::Incomplete;
        }
        if buf[pos] != b'*' {
            return self.parse_inline(buf, pos);
        }
        // Header: *<count>\r\n (the usual form read in one pass).
        let quick = canonical_header(buf, pos + 1);
        let Some(cr) = quick
            .map(|(_, cr)| Some(cr))
            .unwrap_or_else(|| find_before_nul(b'\r', &buf[pos..]).map(|cr| pos + cr))
        else {
            if buf.len() - pos > INLINE_MAX {
                return proto_err("too big mbulk count string");
            }
            return Parsed::Incomplete;
        };
        if cr + 1 >= buf.len() {
            return Parsed::Incomplete;
        }
        let n = match quick
            .map(|(n, _)| n)
            .or_else(|| parse_len(&buf[pos + 1..cr]))
        {
            Some(n) if n <= MULTIBULK_MAX => n,
            _ => return proto_err("invalid multibulk length"),
        };
        if n > UNAUTH_MULTIBULK_MAX && self.auth_required {
            return proto_err("unauthenticated multibulk length");
        }
        if n <= 0 {
            return Parsed::Command { consumed: cr + 2 };
        }
        self.args.reserve(n.min(1024) as usize);
        self.multibulk_left = n;
        self.bulk_len = -1;
        self.parse_bulks(buf, cr + 2, max_bulk)
    }

    /// The usual case in one tight pass: all `n` arguments of a command
    /// already in `buf` from `pos`, each with a canonical `$<len>\r` header
    /// (`canonical_header`'s form) and a length within `limit`. Returns the
    /// offset past the command, or None, leaving arguments in `self.args`,
    /// for anything else (more bytes needed, an error, a non-canonical
    /// header): the general path then reads the command again and answers as
    /// it always did.
    #[inline]
    fn parse_whole(&mut self, buf: &[u8], mut pos: usize, n: usize, limit: i64) -> Option<usize> {
        for _ in 0..n {
            let h = buf.get(pos..)?;
            if h.first() != Some(&b'$') {
                return None;
            }
            let mut i = 1;
            let mut len: i64 = 0;
            loop {
                let d = h.get(i)?.wrapping_sub(b'0');
                if d > 9 {
                    break;
                }
                if i == 19 {
                    return None;
                }
                len = len * 10 + i64::from(d);
                i += 1;
            }
            if i == 1 || (i > 2 && h[1] == b'0') || h[i] != b'\r' || len > limit {
                return None;
            }
            let start = pos + i + 2;
            let end = start.checked_add(usize::try_from(len).ok()?)?;
            if end + 2 > buf.len() {
                return None;
            }
            self.args.push((start, end));
            pos = end + 2;
        }
        Some(pos)
    }

    fn parse_inline(&mut self, buf: &mut [u8], pos: usize) -> Parsed {
        // Only a line still without its newline is limited: a longer line that
        // arrived whole is run, as Redis does.
        let Some(nl) = find_before_nul(b'\n', &buf[pos..]) else {
            if buf.len() - pos > INLINE_MAX {
                return proto_err("too big inline request");
            }
            return Parsed::Incomplete;
        };
        let nl = pos + nl;
        let mut end = nl;
        if end > pos && buf[end - 1] == b'\r' {
            end -= 1;
        }
        if split_args_in_place(&mut buf[pos..end], pos, &mut self.args).is_err() {
            self.args.clear();
            return proto_err("unbalanced quotes in request");
        }
        Parsed::Command { consumed: nl + 1 }
    }

    fn parse_bulks(&mut self, buf: &[u8], mut pos: usize, max_bulk: i64) -> Parsed {
        while self.multibulk_left > 0 {
            if self.bulk_len < 0 {
                if pos >= buf.len() {
                    return self.pause(pos);
                }
                // The usual header, "$<digits>\r" and a byte, in one pass;
                // anything else takes the general path below.
                let quick = if buf[pos] == b'$' {
                    canonical_header(buf, pos + 1)
                } else {
                    None
                };
                let Some(cr) = quick
                    .map(|(_, cr)| Some(cr))
                    .unwrap_or_else(|| find_before_nul(b'\r', &buf[pos..]).map(|cr| pos + cr))
                else {
                    if buf.len() - pos > INLINE_MAX {
                        return proto_err("too big bulk count string");
                    }
                    return self.pause(pos);
                };
                if cr + 1 >= buf.len() {
                    return self.pause(pos);
                }
                if buf[pos] != b'$' {
                    // The offending byte is echoed as sent, as Redis does.
                    let mut msg = b"expected '$', got '".to_vec();
                    msg.push(buf[pos]);
                    msg.push(b'\'');
                    return Parsed::Error(msg);
                }
                match quick
                    .map(|(n, _)| n)
                    .or_else(|| parse_len(&buf[pos + 1..cr]))
                {
                    Some(n) if n >= 0 && n <= max_bulk => {
                        if n > UNAUTH_BULK_MAX && self.auth_required {
                            return proto_err("unauthenticated bulk length");
                        }
                        self.bulk_len = n
                    }
                    _ => return proto_err("invalid bulk length"),
                }
                pos = cr + 2;
            }
            let len = self.bulk_len as usize;
            if buf.len() - pos.min(buf.len()) < len + 2 {
                return self.pause(pos);
            }
            self.args.push((pos, pos + len));
            pos += len + 2;
            self.bulk_len = -1;
            self.multibulk_left -= 1;
        }
        Parsed::Command { consumed: pos }
    }

    fn pause(&mut self, pos: usize) -> Parsed {
        self.resume = pos;
        Parsed::Incomplete
    }
}

fn proto_err(msg: &str) -> Parsed {
    Parsed::Error(msg.as_bytes().to_vec())
}

/// Looks ahead without parsing for real: for each of the next `max_cmds`
/// complete, well-formed multibulk commands from `pos` (the end of the last
/// command run, with no command half-parsed), pushes the range of its second
/// argument (the first key, for most commands) to `keys`. Stops early at an
/// inline command, anything malformed or incomplete, or after walking
/// `max_args` arguments. Returns the offset just past the last command
/// walked (`pos` if none).
///
/// This only feeds cache prefetches (`EventLoop::prefetch_batch`): the real
/// parse, with every check and error, still runs on each command.
pub fn peek_keys(
    buf: &[u8],
    mut pos: usize,
    max_cmds: usize,
    max_args: usize,
    keys: &mut Vec<(usize, usize)>,
) -> usize {
    /// A header number at `at`: (value, offset past its "\r\n").
    fn header(buf: &[u8], at: usize) -> Option<(usize, usize)> {
        canonical_header(buf, at).map(|(v, cr)| (v as usize, cr + 2))
    }
    let mut walked = 0;
    for _ in 0..max_cmds {
        if buf.get(pos) != Some(&b'*') {
            break;
        }
        let Some((n, mut at)) = header(buf, pos + 1) else {
            break;
        };
        walked += n;
        if walked > max_args {
            break;
        }
        let mut key = None;
        for i in 0..n {
            if buf.get(at) != Some(&b'$') {
                return pos;
            }
            let Some((len, start)) = header(buf, at + 1) else {
                return pos;
            };
            let end = start + len;
            if end + 2 > buf.len() {
                return pos;
            }
            if i == 1 {
                key = Some((start, end));
            }
            at = end + 2;
        }
        keys.extend(key);
        pos = at;
    }
    pos
}

/// Position of `needle` in `hay`.
#[inline]
pub fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// Position of `needle` in `hay`, as C's strchr sees it: Redis searches its
/// NUL-terminated query buffer with strchr, so a NUL byte before the needle
/// hides it (the line then counts as not yet complete).
#[inline]
fn find_before_nul(needle: u8, hay: &[u8]) -> Option<usize> {
    match hay.iter().position(|&b| b == needle || b == 0) {
        Some(i) if hay[i] == needle => Some(i),
        _ => None,
    }
}

/// The header number at `at` when it is written the usual way: 1 to 18
/// digits, no leading zero (but "0"), then '\r' with at least one byte after
/// it. Returns the number and the offset of the '\r'. Whatever this accepts,
/// `find_before_nul` and `parse_len` read the same way; it is their fast path
/// (and the walk of `peek_keys`).
#[inline(always)]
fn canonical_header(buf: &[u8], at: usize) -> Option<(i64, usize)> {
    let mut i = at;
    let mut v: i64 = 0;
    while let Some(&c) = buf.get(i) {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        if i - at == 18 {
            return None;
        }
        v = v * 10 + i64::from(d);
        i += 1;
    }
    let digits = i - at;
    if digits == 0 || (digits > 1 && buf[at] == b'0') {
        return None;
    }
    (buf.get(i) == Some(&b'\r') && i + 1 < buf.len()).then_some((v, i))
}

/// A `*` or `$` header count with Redis's strict integer rules: an optional
/// '-', then digits with no leading zero ("0" alone is fine, "-0", "00", "+1",
/// " 1" are not), within i64.
fn parse_len(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    match digits {
        [] => return None,
        [b'0'] if !neg => return Some(0),
        [b'0', ..] => return None,
        _ if digits.len() > 19 => return None,
        _ => {}
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(c - b'0');
    }
    if neg {
        // -9223372036854775808 fits; checked so nothing larger does.
        0i64.checked_sub_unsigned(v)
    } else {
        i64::try_from(v).ok()
    }
}

/// C's isspace: skipped before an argument and required after a closing quote.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// What ends an unquoted argument: only these (so a vertical tab or form feed
/// inside an argument is part of it, as in Redis).
fn ends_word(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0)
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// A quoted argument of an inline line is not closed.
#[derive(Debug)]
pub struct UnbalancedQuotes;

/// Splits an inline line into arguments as redis-cli and Redis do (whitespace,
/// "double quotes" with \n \r \t \b \a \xHH escapes, 'single quotes' with \'),
/// writing each unescaped argument over its own source bytes (never longer) and
/// pushing its range, offset by `base`. Err on unbalanced quotes.
pub fn split_args_in_place(
    line: &mut [u8],
    base: usize,
    out: &mut Vec<(usize, usize)>,
) -> Result<(), UnbalancedQuotes> {
    let n = line.len();
    let mut r = 0;
    loop {
        while r < n && is_space(line[r]) {
            r += 1;
        }
        if r >= n {
            return Ok(());
        }
        let start = r;
        let mut w = r;
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            if in_dq {
                if r >= n {
                    return Err(UnbalancedQuotes);
                }
                let c = line[r];
                if c == b'\\'
                    && r + 3 < n
                    && line[r + 1] == b'x'
                    && hex_val(line[r + 2]).is_some()
                    && hex_val(line[r + 3]).is_some()
                {
                    line[w] =
                        hex_val(line[r + 2]).unwrap_or(0) * 16 + hex_val(line[r + 3]).unwrap_or(0);
                    w += 1;
                    r += 4;
                } else if c == b'\\' && r + 1 < n {
                    line[w] = match line[r + 1] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    };
                    w += 1;
                    r += 2;
                } else if c == b'"' {
                    // The closing quote must be followed by a space or the end.
                    if r + 1 < n && !is_space(line[r + 1]) {
                        return Err(UnbalancedQuotes);
                    }
                    r += 1;
                    break;
                } else {
                    line[w] = c;
                    w += 1;
                    r += 1;
                }
            } else if in_sq {
                if r >= n {
                    return Err(UnbalancedQuotes);
                }
                let c = line[r];
                if c == b'\\' && r + 1 < n && line[r + 1] == b'\'' {
                    line[w] = b'\'';
                    w += 1;
                    r += 2;
                } else if c == b'\'' {
                    if r + 1 < n && !is_space(line[r + 1]) {
                        return Err(UnbalancedQuotes);
                    }
                    r += 1;
                    break;
                } else {
                    line[w] = c;
                    w += 1;
                    r += 1;
                }
            } else {
                if r >= n {
                    break;
                }
                match line[r] {
                    c if ends_word(c) => break,
                    b'"' => {
                        in_dq = true;
                        r += 1;
                    }
                    b'\'' => {
                        in_sq = true;
                        r += 1;
                    }
                    c => {
                        line[w] = c;
                        w += 1;
                        r += 1;
                    }
                }
            }
        }
        out.push((base + start, base + w));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args_of(st: &ParseState, buf: &[u8]) -> Vec<Vec<u8>> {
        st.args.iter().map(|&(a, b)| buf[a..b].to_vec()).collect()
    }

    fn peeked(buf: &[u8], pos: usize, max_cmds: usize) -> (Vec<&[u8]>, usize) {
        let mut keys = Vec::new();
        let end = peek_keys(buf, pos, max_cmds, 64, &mut keys);
        (keys.iter().map(|&(a, b)| &buf[a..b]).collect(), end)
    }

    /// The fast header path reads exactly what the general one reads.
    #[test]
    fn canonical_header_agrees_with_parse_len() {
        let mut rng = crate::util::rng::Rng::new(7);
        let alphabet = b"0123456789\r\n-+ x\0";
        for _ in 0..200_000 {
            let n = rng.below(24);
            let buf: Vec<u8> = (0..n)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            if let Some((v, cr)) = canonical_header(&buf, 0) {
                let slow = find_before_nul(b'\r', &buf).expect("a CR was found");
                assert_eq!(slow, cr, "{buf:?}");
                assert!(cr + 1 < buf.len());
                assert_eq!(parse_len(&buf[..cr]), Some(v), "{buf:?}");
            }
        }
        assert_eq!(canonical_header(b"12\r\n", 0), Some((12, 2)));
        assert_eq!(canonical_header(b"0\r\n", 0), Some((0, 1)));
        assert_eq!(canonical_header(b"012\r\n", 0), None);
        assert_eq!(canonical_header(b"12\r", 0), None);
        assert_eq!(canonical_header(b"1234567890123456789\r\n", 0), None);
        assert_eq!(canonical_header(b"99999999999999999999999\r\n", 0), None);
        assert_eq!(
            canonical_header(b"999999999999999999\r\n", 0),
            Some((999_999_999_999_999_999, 18))
        );
    }

    #[test]
    fn parse_whole_agrees_with_parse_bulks() {
        let mut rng = crate::util::rng::Rng::new(11);
        let pieces: &[&[u8]] = &[
            b"$", b"1", b"0", b"3", b"12", b"\r\n", b"\r", b"ab", b"-", b"\0",
        ];
        let mut agreed = 0;
        for _ in 0..200_000 {
            let n = 1 + rng.below(3);
            let mut buf = Vec::new();
            for _ in 0..n {
                if rng.below(5) > 0 {
                    let len = rng.below(16);
                    buf.extend_from_slice(format!("${len}\r\n").as_bytes());
                    buf.extend((0..len).map(|_| b"a\r\n$0"[rng.below(5)]));
                    buf.extend_from_slice(b"\r\n");
                } else {
                    for _ in 0..rng.below(6) {
                        buf.extend_from_slice(pieces[rng.below(pieces.len())]);
                    }
                }
            }
            if rng.below(4) == 0 {
                buf.truncate(rng.below(buf.len() + 1));
            }
            let limit = [5, 12, 512][rng.below(3)];
            let mut fast = ParseState::new();
            if let Some(end) = fast.parse_whole(&buf, 0, n, limit) {
                let mut slow = ParseState::new();
                slow.multibulk_left = n as i64;
                slow.bulk_len = -1;
                let got = slow.parse_bulks(&buf, 0, limit);
                assert_eq!(got, Parsed::Command { consumed: end }, "{buf:?} n={n}");
                assert_eq!(slow.args, fast.args, "{buf:?}");
                agreed += 1;
            }
        }
        assert!(agreed > 1000, "only {agreed} inputs took the fast path");
        // Through `parse`: fast and general paths give the same commands.
        let mut st = ParseState::new();
        let mut buf = b"*2\r\n$3\r\nGET\r\n$0\r\n\r\n*1\r\n$04\r\nPING\r\n".to_vec();
        assert_eq!(st.parse(&mut buf, 0, 512), Parsed::Command { consumed: 19 });
        assert_eq!(st.args, [(8, 11), (17, 17)]);
        // A leading zero is not canonical: the general path rejects it.
        assert!(matches!(st.parse(&mut buf, 19, 512), Parsed::Error(_)));
    }

    #[test]
    fn peek_keys_walks_complete_commands_only() {
        let buf = b"*2\r\n$3\r\nGET\r\n$2\r\nk1\r\n*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$2\r\nk2\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$2\r\nk";
        let (keys, end) = peeked(buf, 0, 16);
        assert_eq!(keys, [&b"k1"[..], b"k2"]);
        // Stops before the incomplete last command.
        assert_eq!(&buf[end..], b"*2\r\n$3\r\nGET\r\n$2\r\nk");
        // At most max_cmds commands.
        let (keys, _) = peeked(buf, 0, 1);
        assert_eq!(keys, [&b"k1"[..]]);
        // From the middle, and nothing from an inline command or garbage.
        let (keys, _) = peeked(buf, 21, 16);
        assert_eq!(keys, [&b"k2"[..]]);
        assert_eq!(peeked(b"GET k1\r\n", 0, 16), (vec![], 0));
        assert_eq!(peeked(b"*2\r\n$x\r\n", 0, 16), (vec![], 0));
        assert_eq!(
            peeked(b"*2\r\n$99999999999999999999\r\n", 0, 16),
            (vec![], 0)
        );
        // More arguments than max_args: not walked.
        let mut keys = Vec::new();
        assert_eq!(peek_keys(buf, 0, 16, 1, &mut keys), 0);
    }

    #[test]
    fn multibulk_whole_and_pipelined() {
        let mut buf = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n".to_vec();
        let mut st = ParseState::new();
        let Parsed::Command { consumed } = st.parse(&mut buf, 0, 512 << 20) else {
            panic!()
        };
        assert_eq!(args_of(&st, &buf), vec![b"GET".to_vec(), b"k".to_vec()]);
        assert_eq!(
            st.parse(&mut buf, consumed, 512 << 20),
            Parsed::Command {
                consumed: buf.len()
            }
        );
        assert_eq!(args_of(&st, &buf), vec![b"PING".to_vec()]);
    }

    #[test]
    fn byte_by_byte() {
        let full = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
        let mut buf = Vec::new();
        let mut st = ParseState::new();
        for (i, &b) in full.iter().enumerate() {
            buf.push(b);
            let r = st.parse(&mut buf, 0, 512 << 20);
            if i + 1 < full.len() {
                assert_eq!(r, Parsed::Incomplete, "at byte {i}");
            } else {
                assert_eq!(
                    r,
                    Parsed::Command {
                        consumed: full.len()
                    }
                );
            }
        }
        assert_eq!(args_of(&st, &buf)[2], b"value".to_vec());
    }

    #[test]
    fn inline_with_quotes() {
        let mut buf = b"SET \"a b\\x41\\n\" 'it\\'s'  \r\n".to_vec();
        let mut st = ParseState::new();
        assert!(matches!(st.parse(&mut buf, 0, 100), Parsed::Command { .. }));
        assert_eq!(
            args_of(&st, &buf),
            vec![b"SET".to_vec(), b"a bA\n".to_vec(), b"it's".to_vec()]
        );
        let mut bad = b"SET \"abc\r\n".to_vec();
        assert_eq!(
            st.parse(&mut bad, 0, 100),
            Parsed::Error("unbalanced quotes in request".into())
        );
        let mut bad2 = b"SET \"abc\"x\r\n".to_vec();
        assert!(matches!(st.parse(&mut bad2, 0, 100), Parsed::Error(_)));
    }

    #[test]
    fn protocol_errors() {
        let mut st = ParseState::new();
        let mut b = b"*x\r\n".to_vec();
        assert_eq!(
            st.parse(&mut b, 0, 100),
            Parsed::Error("invalid multibulk length".into())
        );
        let mut st = ParseState::new();
        let mut b = b"*1\r\nfoo\r\n".to_vec();
        assert_eq!(
            st.parse(&mut b, 0, 100),
            Parsed::Error("expected '$', got 'f'".into())
        );
        let mut st = ParseState::new();
        let mut b = b"*1\r\n$536870913\r\n".to_vec();
        assert_eq!(
            st.parse(&mut b, 0, 512 << 20),
            Parsed::Error("invalid bulk length".into())
        );
        let mut st = ParseState::new();
        let mut b = b"*1\r\n$-1\r\n".to_vec();
        assert_eq!(
            st.parse(&mut b, 0, 100),
            Parsed::Error("invalid bulk length".into())
        );
    }

    fn parse_all(input: &[u8], max_bulk: i64) -> (Vec<Vec<Vec<u8>>>, Parsed) {
        let mut buf = input.to_vec();
        let mut st = ParseState::new();
        let mut pos = 0;
        let mut cmds = Vec::new();
        loop {
            match st.parse(&mut buf, pos, max_bulk) {
                Parsed::Command { consumed } => {
                    cmds.push(args_of(&st, &buf));
                    pos = consumed;
                }
                other => return (cmds, other),
            }
        }
    }

    #[test]
    fn header_numbers_are_strict() {
        for bad in [
            &b"*01\r\n"[..],
            b"*-0\r\n",
            b"*+1\r\n",
            b"*\r\n",
            b"*1 \r\n",
        ] {
            assert_eq!(
                parse_all(bad, 100).1,
                Parsed::Error("invalid multibulk length".into()),
                "{bad:?}"
            );
        }
        for bad in [
            &b"*1\r\n$04\r\n"[..],
            b"*1\r\n$-0\r\n",
            b"*1\r\n$+4\r\n",
            b"*1\r\n$\r\n",
        ] {
            assert_eq!(
                parse_all(bad, 100).1,
                Parsed::Error("invalid bulk length".into()),
                "{bad:?}"
            );
        }
        // Counts <= 0 (down to i64::MIN) are empty commands; up to INT_MAX waits.
        let (cmds, rest) = parse_all(b"*-9223372036854775808\r\n*0\r\n*-1\r\n", 100);
        assert_eq!((cmds.len(), rest), (3, Parsed::Incomplete));
        assert_eq!(parse_all(b"*2147483647\r\n", 100).1, Parsed::Incomplete);
        assert_eq!(
            parse_all(b"*2147483648\r\n", 100).1,
            Parsed::Error("invalid multibulk length".into())
        );
        assert_eq!(parse_len(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_len(b"9223372036854775808"), None);
        assert_eq!(parse_len(b"-9223372036854775809"), None);
        assert_eq!(parse_len(b"0"), Some(0));
    }

    #[test]
    fn nul_hides_line_ends_like_strchr() {
        assert_eq!(parse_all(b"\x00PING\r\n", 100).1, Parsed::Incomplete);
        assert_eq!(parse_all(b"*1\x00\r\n", 100).1, Parsed::Incomplete);
        let mut long = b"\x00\n".to_vec();
        long.resize(INLINE_MAX + 1, b'x');
        assert_eq!(
            parse_all(&long, 100).1,
            Parsed::Error("too big inline request".into())
        );
        // Inside a bulk a NUL is just data.
        let (cmds, _) = parse_all(b"*1\r\n$4\r\nPI\x00G\r\n", 100);
        assert_eq!(cmds, vec![vec![b"PI\x00G".to_vec()]]);
    }

    #[test]
    fn inline_lines() {
        // Long lines that arrived whole run; \n alone ends a line; blank lines
        // are empty commands; \v inside a word is part of it.
        let mut line = b"ECHO ".to_vec();
        line.resize(INLINE_MAX + 100, b'x');
        line.extend_from_slice(b"\r\n\r\n\nPING\nECHO a\x0bb\n");
        let (cmds, rest) = parse_all(&line, 100);
        assert_eq!(rest, Parsed::Incomplete);
        assert_eq!(cmds.len(), 5);
        assert_eq!(cmds[0][1].len(), INLINE_MAX + 95);
        assert!(cmds[1].is_empty() && cmds[2].is_empty());
        assert_eq!(cmds[3], vec![b"PING".to_vec()]);
        assert_eq!(cmds[4], vec![b"ECHO".to_vec(), b"a\x0bb".to_vec()]);
        let (cmds, _) = parse_all(b"ECHO a\"b c\"\r\n", 100);
        assert_eq!(cmds[0][1], b"ab c".to_vec());
    }

    #[test]
    fn unauthenticated_limits() {
        let mut st = ParseState::new();
        st.auth_required = true;
        let mut b = b"*11\r\n".to_vec();
        assert_eq!(
            st.parse(&mut b, 0, 1 << 20),
            Parsed::Error("unauthenticated multibulk length".into())
        );
        let mut st = ParseState::new();
        st.auth_required = true;
        let mut b = b"*10\r\n$16384\r\n".to_vec();
        assert_eq!(st.parse(&mut b, 0, 1 << 20), Parsed::Incomplete);
        let mut st = ParseState::new();
        st.auth_required = true;
        let mut b = b"*1\r\n$16385\r\n".to_vec();
        assert_eq!(
            st.parse(&mut b, 0, 1 << 20),
            Parsed::Error("unauthenticated bulk length".into())
        );
    }

    #[test]
    fn unparsed_from_skips_finished_arguments() {
        let mut buf = b"*3\r\n$1\r\na\r\n$3\r\nbc".to_vec();
        let mut st = ParseState::new();
        assert_eq!(st.parse(&mut buf, 0, 100), Parsed::Incomplete);
        // "a" is finished; the second bulk's header is read too.
        assert_eq!(st.unparsed_from(0), 15);
        let st = ParseState::new();
        assert_eq!(st.unparsed_from(7), 7);
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut seed = 0x9e3779b97f4a7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet = b"*$\r\n0123456789-abc \"'\\x";
        for _ in 0..20000 {
            let len = (next() % 40) as usize;
            let mut buf: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    if r % 4 == 0 {
                        r as u8
                    } else {
                        alphabet[(r as usize / 4) % alphabet.len()]
                    }
                })
                .collect();
            let mut st = ParseState::new();
            let mut pos = 0;
            for _ in 0..50 {
                match st.parse(&mut buf, pos, 1000) {
                    Parsed::Command { consumed } => {
                        for &(a, b) in &st.args {
                            assert!(a <= b && b <= buf.len());
                        }
                        assert!(consumed > pos);
                        pos = consumed;
                    }
                    _ => break,
                }
            }
            // As the event loop does after a batch: drop the consumed bytes.
            buf.drain(..pos);
            st.shift(pos);
        }
    }

    #[test]
    fn an_error_inside_a_command_leaves_no_half_parsed_state() {
        // A complete command, then one whose second header is bad: the error
        // must not leave a resume point from before the consumed bytes.
        let mut buf = b"*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\nx\r\n".to_vec();
        let mut st = ParseState::new();
        let Parsed::Command { consumed } = st.parse(&mut buf, 0, 1 << 20) else {
            panic!("first command");
        };
        assert!(matches!(
            st.parse(&mut buf, consumed, 1 << 20),
            Parsed::Error(_)
        ));
        assert!(!st.in_progress());
        st.shift(consumed);
    }
}
