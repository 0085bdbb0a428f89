//! String commands: GET, SET (and its options), SETNX, SETEX, PSETEX, GETSET,
//! GETDEL, GETEX, MGET, MSET, MSETNX, APPEND, STRLEN, GETRANGE, SUBSTR,
//! SETRANGE, INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT and LCS.
//!
//! The file has three parts: operations on string values that know nothing of
//! RESP (integer reads, appends, ranges, the LCS table), the handlers that parse
//! arguments in Redis's order (so the first error reported is Redis's) and
//! write replies, and the command table.
//!
//! Encodings follow Redis: SET stores canonical integers as ints (`Value::string`),
//! INCR/DECR results are ints, INCRBYFLOAT results are embstr/raw strings (never
//! int, as Redis creates them from text), APPEND and SETRANGE leave a raw string.
//!
//! Hot paths (GET, SET, INCR, MSET) allocate nothing beyond the stored value:
//! GET writes the reply straight from the stored bytes (or the digits of an int),
//! INCR replaces an int in place.
//!
//! Each write reports its keyspace events (`Ctx::notify`, see
//! `server::notify`) right after its change, with Redis 7.0's names and
//! order; a key emptied by the command reports `del` after the command's
//! own event, and a command that changes nothing reports nothing.

use super::table::{
    Acl, Arg, ArgFlags, ArgType, Args, CommandSpec, DocFlags, Flags, Group, KeyFlags, Keys, ARG,
    BASE,
};
use super::Ctx;
use crate::error::{
    err, invalid_expire, CmdError, CmdResult, NAN_OR_INF, NOT_FLOAT, NOT_INTEGER, OFFSET_RANGE,
    OVERFLOW, STRING_TOO_LONG, SYNTAX, WRONGTYPE,
};
use crate::keyspace::value::{IntBuf, Value};
use crate::protocol::reply::ReplyBuf;
use crate::server::{notify, propagate};
use crate::util::numbers::{parse_i64, parse_long_double, LongDouble, LongDoubleValue};

// ---------------------------------------------------------------------------
// Operations on values (no RESP here)
// ---------------------------------------------------------------------------

/// The bytes of a string value, or WRONGTYPE for other types.
fn str_bytes<'a>(v: &'a Value, tmp: &'a mut IntBuf) -> Result<&'a [u8], CmdError> {
    v.as_bytes(tmp).ok_or(CmdError::from(WRONGTYPE))
}

/// The integer held by a string value (INCR and friends).
fn value_i64(v: &Value) -> Result<i64, CmdError> {
    if let Value::Int(n) = v {
        return Ok(*n);
    }
    let mut tmp = IntBuf::default();
    parse_i64(str_bytes(v, &mut tmp)?).ok_or(CmdError::from(NOT_INTEGER))
}

/// The long double held by a string value (INCRBYFLOAT).
fn value_long_double(v: &Value) -> Result<LongDoubleValue, CmdError> {
    if let Value::Int(n) = v {
        return Ok(LongDoubleValue::Finite(LongDouble::from_i64(*n)));
    }
    let mut tmp = IntBuf::default();
    parse_long_double(str_bytes(v, &mut tmp)?).ok_or(CmdError::from(NOT_FLOAT))
}

/// Refuses a string length above proto-max-bulk-len.
fn check_len(total: u64, max: i64) -> CmdResult {
    if total > max.max(0) as u64 {
        return err(STRING_TOO_LONG);
    }
    Ok(())
}

/// Appends to a string value, leaving it raw; returns the new length.
fn append_bytes(v: &mut Value, tail: &[u8]) -> Result<usize, CmdError> {
    let buf = v.make_raw().ok_or(CmdError::from(WRONGTYPE))?;
    buf.extend_from_slice(tail);
    Ok(buf.len())
}

/// Writes `data` at `offset` in a string value, zero-padding; returns the new
/// length. The value becomes raw.
fn write_at(v: &mut Value, offset: usize, data: &[u8]) -> Result<usize, CmdError> {
    let buf = v.make_raw().ok_or(CmdError::from(WRONGTYPE))?;
    let end = offset + data.len();
    if buf.len() < end {
        buf.resize(end, 0);
    }
    buf[offset..end].copy_from_slice(data);
    Ok(buf.len())
}

/// The byte range GETRANGE returns for `start`/`end` on a string of `len`
/// bytes (negative indexes count from the end), or None for an empty result.
fn range_of(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    if start < 0 && end < 0 && start > end {
        return None;
    }
    let len = len as i64;
    let fix = |i: i64| if i < 0 { (len + i).max(0) } else { i };
    let start = fix(start);
    let end = fix(end).min(len - 1);
    if len == 0 || start > end {
        return None;
    }
    Some((start as usize, end as usize + 1))
}

/// One matched run of LCS IDX: ranges in a and b (inclusive) and its length.
#[derive(Debug, PartialEq, Eq)]
struct LcsMatch {
    a: (usize, usize),
    b: (usize, usize),
    len: usize,
}

/// The longest common subsequence of `a` and `b`, and (if `want_matches`) its
/// matched runs from the end of the strings backwards, as Redis lists them,
/// keeping runs of at least `min_len` bytes.
fn lcs(a: &[u8], b: &[u8], want_matches: bool, min_len: usize) -> (Vec<u8>, Vec<LcsMatch>) {
    let w = b.len() + 1;
    // dp[i * w + j]: LCS length of a[..i] and b[..j].
    let mut dp = vec![0u32; (a.len() + 1) * w];
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            dp[i * w + j] = if a[i - 1] == b[j - 1] {
                dp[(i - 1) * w + j - 1] + 1
            } else {
                dp[(i - 1) * w + j].max(dp[i * w + j - 1])
            };
        }
    }
    let total = dp[a.len() * w + b.len()] as usize;
    let mut seq = vec![0u8; total];
    let mut matches = Vec::new();
    let (mut i, mut j, mut k) = (a.len(), b.len(), total);
    // The run being followed: (a start, a end, b start, b end).
    let mut run: Option<(usize, usize, usize, usize)> = None;
    while i > 0 && j > 0 {
        let mut close = false;
        if a[i - 1] == b[j - 1] {
            seq[k - 1] = a[i - 1];
            run = Some(match run {
                // Walking backwards one step in both strings extends the run.
                Some((_, ae, _, be)) => (i - 1, ae, j - 1, be),
                None => (i - 1, i - 1, j - 1, j - 1),
            });
            if i == 1 || j == 1 {
                close = true;
            }
            k -= 1;
            i -= 1;
            j -= 1;
        } else {
            if dp[(i - 1) * w + j] > dp[i * w + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            close = run.is_some();
        }
        if close {
            if let Some((as_, ae, bs, be)) = run.take() {
                let len = ae - as_ + 1;
                if want_matches && len >= min_len {
                    matches.push(LcsMatch {
                        a: (as_, ae),
                        b: (bs, be),
                        len,
                    });
                }
            }
        }
    }
    (seq, matches)
}

// ---------------------------------------------------------------------------
// Replies and shared argument parsing
// ---------------------------------------------------------------------------

/// Replies with a string value (WRONGTYPE for other types).
fn reply_value(out: &mut ReplyBuf, v: &Value) -> CmdResult {
    if let Value::Int(n) = v {
        out.bulk_i64(*n);
    } else {
        let mut tmp = IntBuf::default();
        out.bulk(str_bytes(v, &mut tmp)?);
    }
    Ok(())
}

/// How an expire argument is given.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ExpireKind {
    /// EX: seconds from now.
    Ex,
    /// PX: milliseconds from now.
    Px,
    /// EXAT: unix seconds.
    ExAt,
    /// PXAT: unix milliseconds.
    PxAt,
}

/// Converts an expire argument to a unix time in ms, with Redis's checks:
/// an integer, positive, not overflowing once in ms and added to now.
fn expire_at(arg: &[u8], kind: ExpireKind, now: i64, cmd: &str) -> Result<i64, CmdError> {
    let n = parse_i64(arg).ok_or(CmdError::from(NOT_INTEGER))?;
    let seconds = matches!(kind, ExpireKind::Ex | ExpireKind::ExAt);
    if n <= 0 || (seconds && n > i64::MAX / 1000) {
        return Err(invalid_expire(cmd));
    }
    let ms = if seconds { n * 1000 } else { n };
    let when = if matches!(kind, ExpireKind::Ex | ExpireKind::Px) {
        ms.checked_add(now)
    } else {
        Some(ms)
    };
    match when {
        Some(w) if w > 0 => Ok(w),
        _ => Err(invalid_expire(cmd)),
    }
}

/// The options of SET (`for_set`) or GETEX.
#[derive(Default)]
struct SetOptions<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    expire: Option<(ExpireKind, &'a [u8])>,
}

/// Parses SET/GETEX options from argument `from` on, with Redis's conflict
/// rules: NX/XX exclude each other, one kind of expire (repeating the same
/// kind is allowed, the last value wins), KEEPTTL and PERSIST exclude every
/// expire; GET/NX/XX/KEEPTTL only in SET, PERSIST only in GETEX.
fn parse_set_options<'a>(
    args: &Args<'a>,
    from: usize,
    for_set: bool,
) -> Result<SetOptions<'a>, CmdError> {
    let mut o = SetOptions::default();
    let mut i = from;
    while i < args.len() {
        let has_next = i + 1 < args.len();
        let kind = if args.is(i, "ex") {
            Some(ExpireKind::Ex)
        } else if args.is(i, "px") {
            Some(ExpireKind::Px)
        } else if args.is(i, "exat") {
            Some(ExpireKind::ExAt)
        } else if args.is(i, "pxat") {
            Some(ExpireKind::PxAt)
        } else {
            None
        };
        if let Some(kind) = kind {
            let other_expire = o.expire.is_some_and(|(k, _)| k != kind);
            if o.keep_ttl || o.persist || other_expire || !has_next {
                return err(SYNTAX);
            }
            o.expire = Some((kind, args.get(i + 1)));
            i += 2;
            continue;
        }
        if for_set && args.is(i, "nx") && !o.xx {
            o.nx = true;
        } else if for_set && args.is(i, "xx") && !o.nx {
            o.xx = true;
        } else if for_set && args.is(i, "get") {
            o.get = true;
        } else if for_set && args.is(i, "keepttl") && o.expire.is_none() {
            o.keep_ttl = true;
        } else if !for_set && args.is(i, "persist") && o.expire.is_none() {
            o.persist = true;
        } else {
            return err(SYNTAX);
        }
        i += 1;
    }
    Ok(o)
}

// ---------------------------------------------------------------------------
// GET, SET and variants
// ---------------------------------------------------------------------------

fn get(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    match db.get(args.get(1), now) {
        Some(v) => reply_value(out, v),
        None => {
            out.null();
            Ok(())
        }
    }
}

/// The common part of SET, SETNX, SETEX, PSETEX and GETSET: stores `val` at
/// `key` unless NX/XX say otherwise, with an optional expire time, replying
/// with the old value when `get`. Returns whether the key was set; the caller
/// writes any other reply.
#[allow(clippy::too_many_arguments)]
fn set_generic(
    ctx: &mut Ctx,
    key: &[u8],
    val: &[u8],
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    when: Option<i64>,
) -> Result<bool, CmdError> {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let existing = if get {
        db.lookup_read(key, now)
    } else {
        db.lookup(key, now)
    };
    if get {
        match existing {
            Some(id) => reply_value(out, db.value(id))?,
            None => out.null(),
        }
    }
    if (nx && existing.is_some()) || (xx && existing.is_none()) {
        return Ok(false);
    }
    let value = Value::string(val);
    let id = match existing {
        Some(id) => {
            db.replace(id, value);
            if !keep_ttl {
                db.persist(id);
            }
            id
        }
        None => db.add(key, value, now),
    };
    if let Some(w) = when {
        db.set_expire(id, w);
    }
    ctx.dirty += 1;
    ctx.notify(notify::STRING, "set", key);
    if when.is_some() {
        ctx.notify(notify::GENERIC, "expire", key);
    }
    Ok(true)
}

fn set(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let o = parse_set_options(args, 3, true)?;
    let when = match o.expire {
        Some((kind, arg)) => Some(expire_at(arg, kind, ctx.now, "set")?),
        None => None,
    };
    let done = set_generic(
        ctx,
        args.get(1),
        args.get(2),
        o.nx,
        o.xx,
        o.get,
        o.keep_ttl,
        when,
    )?;
    if done && ctx.propagating() {
        propagate_set(ctx, args, &o, when);
    }
    if !o.get {
        if done {
            ctx.out.ok();
        } else {
            ctx.out.null();
        }
    }
    Ok(())
}

/// SET's propagated form, as Redis 7.0: a relative or second-based expire
/// becomes `SET key value PXAT ms` (the other options dropped); otherwise
/// the command as sent, without GET.
fn propagate_set(ctx: &mut Ctx, args: &Args, o: &SetOptions, when: Option<i64>) {
    if let (Some(w), Some((kind, _))) = (when, o.expire) {
        if !matches!(kind, ExpireKind::PxAt) {
            let ms = propagate::int_arg(w);
            ctx.propagate_as(&[b"SET", args.get(1), args.get(2), b"PXAT", &ms]);
            return;
        }
    }
    if o.get {
        let argv: Vec<&[u8]> = args
            .iter_from(0)
            .enumerate()
            .filter(|&(i, a)| i < 3 || !a.eq_ignore_ascii_case(b"get"))
            .map(|(_, a)| a)
            .collect();
        ctx.propagate_as(&argv);
    }
}

fn setnx(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let done = set_generic(
        ctx,
        args.get(1),
        args.get(2),
        true,
        false,
        false,
        false,
        None,
    )?;
    ctx.out.int(i64::from(done));
    Ok(())
}

fn setex_generic(ctx: &mut Ctx, args: &Args, kind: ExpireKind, cmd: &str) -> CmdResult {
    let when = expire_at(args.get(2), kind, ctx.now, cmd)?;
    set_generic(
        ctx,
        args.get(1),
        args.get(3),
        false,
        false,
        false,
        false,
        Some(when),
    )?;
    // As Redis 7.0: `SET key value PXAT ms`.
    if ctx.propagating() {
        let ms = propagate::int_arg(when);
        ctx.propagate_as(&[b"SET", args.get(1), args.get(3), b"PXAT", &ms]);
    }
    ctx.out.ok();
    Ok(())
}

fn setex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    setex_generic(ctx, args, ExpireKind::Ex, "setex")
}

fn psetex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    setex_generic(ctx, args, ExpireKind::Px, "psetex")
}

fn getset(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_generic(
        ctx,
        args.get(1),
        args.get(2),
        false,
        false,
        true,
        false,
        None,
    )?;
    ctx.propagate_as(&[b"SET", args.get(1), args.get(2)]);
    Ok(())
}

fn getdel(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(id) = db.lookup_read(args.get(1), now) else {
        out.null();
        return Ok(());
    };
    reply_value(out, db.value(id))?;
    db.remove_id(id);
    ctx.dirty += 1;
    // Propagated as DEL, or UNLINK under lazyfree-lazy-user-del (as Redis).
    if ctx.propagating() {
        let lazy = ctx.srv.config.value_of("lazyfree-lazy-user-del").as_deref() == Some("yes");
        let verb: &[u8] = if lazy { b"UNLINK" } else { b"DEL" };
        ctx.propagate_as(&[verb, args.get(1)]);
    }
    ctx.notify(notify::GENERIC, "del", args.get(1));
    Ok(())
}

fn getex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let o = parse_set_options(args, 2, false)?;
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(id) = db.lookup_read(args.get(1), now) else {
        out.null();
        return Ok(());
    };
    if !db.value(id).is_string() {
        return err(WRONGTYPE);
    }
    // The expire is checked only once the key is known to exist.
    let when = match o.expire {
        Some((kind, arg)) => Some(expire_at(arg, kind, now, "getex")?),
        None => None,
    };
    reply_value(out, db.value(id))?;
    let key = args.get(1);
    if let Some(w) = when {
        let event = if w <= now && !db.keep_expired {
            db.remove_id(id);
            ctx.propagate_expired_del(key);
            "del"
        } else {
            db.set_expire(id, w);
            if ctx.propagating() {
                ctx.propagate_as(&[b"PEXPIREAT", key, &propagate::int_arg(w)]);
            }
            "expire"
        };
        ctx.dirty += 1;
        ctx.notify(notify::GENERIC, event, key);
    } else if o.persist && db.persist(id) {
        ctx.dirty += 1;
        ctx.propagate_as(&[b"PERSIST", key]);
        ctx.notify(notify::GENERIC, "persist", key);
    }
    Ok(())
}

fn mget(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    out.array(args.len() - 1);
    for key in args.iter_from(1) {
        match db.get(key, now) {
            // Values of other types read as nil, without an error.
            Some(v) if v.is_string() => reply_value(out, v)?,
            _ => out.null(),
        }
    }
    Ok(())
}

/// MSET and MSETNX take key/value pairs: an even count of arguments after the
/// name.
fn check_pairs(args: &Args) -> CmdResult {
    if args.len().is_multiple_of(2) {
        let name = if args.is(0, "msetnx") {
            "msetnx"
        } else {
            "mset"
        };
        return Err(crate::error::wrong_arity(name));
    }
    Ok(())
}

/// Sets every pair, each reporting its `set` event before the next is set
/// (so a `new` event of the next key comes after it, as in Redis).
fn mset_pairs(ctx: &mut Ctx, args: &Args) {
    let now = ctx.now;
    let mut it = args.iter_from(1);
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        ctx.db().set(k, Value::string(v), false, now);
        ctx.notify(notify::STRING, "set", k);
    }
}

fn mset(ctx: &mut Ctx, args: &Args) -> CmdResult {
    check_pairs(args)?;
    mset_pairs(ctx, args);
    ctx.dirty += (args.len() / 2) as u64;
    ctx.out.ok();
    Ok(())
}

fn msetnx(ctx: &mut Ctx, args: &Args) -> CmdResult {
    check_pairs(args)?;
    let now = ctx.now;
    let db = ctx.db();
    let any = (1..args.len())
        .step_by(2)
        .any(|i| db.lookup(args.get(i), now).is_some());
    if !any {
        mset_pairs(ctx, args);
        ctx.dirty += (args.len() / 2) as u64;
    }
    ctx.out.int(i64::from(!any));
    Ok(())
}

// ---------------------------------------------------------------------------
// APPEND, STRLEN, GETRANGE, SETRANGE
// ---------------------------------------------------------------------------

fn append(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let max = ctx.srv.config.proto_max_bulk_len;
    let (key, tail) = (args.get(1), args.get(2));
    let db = ctx.db();
    let len = match db.lookup(key, now) {
        None => {
            db.add(key, Value::string(tail), now);
            tail.len()
        }
        Some(id) => {
            let v = db.value_mut(id);
            let cur = v.str_len().ok_or(CmdError::from(WRONGTYPE))?;
            check_len(cur as u64 + tail.len() as u64, max)?;
            append_bytes(v, tail)?
        }
    };
    ctx.dirty += 1;
    ctx.notify(notify::STRING, "append", key);
    ctx.out.int(len as i64);
    Ok(())
}

fn strlen(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let n = match ctx.db().get(args.get(1), now) {
        Some(v) => v.str_len().ok_or(CmdError::from(WRONGTYPE))?,
        None => 0,
    };
    ctx.out.int(n as i64);
    Ok(())
}

fn getrange(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let start = parse_i64(args.get(2)).ok_or(CmdError::from(NOT_INTEGER))?;
    let end = parse_i64(args.get(3)).ok_or(CmdError::from(NOT_INTEGER))?;
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(v) = db.get(args.get(1), now) else {
        out.bulk(b"");
        return Ok(());
    };
    let mut tmp = IntBuf::default();
    let s = str_bytes(v, &mut tmp)?;
    match range_of(start, end, s.len()) {
        Some((a, b)) => out.bulk(&s[a..b]),
        None => out.bulk(b""),
    }
    Ok(())
}

fn setrange(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let offset = parse_i64(args.get(2)).ok_or(CmdError::from(NOT_INTEGER))?;
    if offset < 0 {
        return err(OFFSET_RANGE);
    }
    let data = args.get(3);
    let now = ctx.now;
    let max = ctx.srv.config.proto_max_bulk_len;
    let key = args.get(1);
    let db = ctx.db();
    let total = offset as u64 + data.len() as u64;
    let len = match db.lookup(key, now) {
        None => {
            if data.is_empty() {
                ctx.out.int(0);
                return Ok(());
            }
            check_len(total, max)?;
            let mut buf = vec![0u8; offset as usize];
            buf.extend_from_slice(data);
            let n = buf.len();
            db.add(key, Value::raw(buf), now);
            n
        }
        Some(id) => {
            let v = db.value_mut(id);
            let cur = v.str_len().ok_or(CmdError::from(WRONGTYPE))?;
            if data.is_empty() {
                ctx.out.int(cur as i64);
                return Ok(());
            }
            check_len(total, max)?;
            write_at(v, offset as usize, data)?
        }
    };
    ctx.dirty += 1;
    ctx.notify(notify::STRING, "setrange", key);
    ctx.out.int(len as i64);
    Ok(())
}

// ---------------------------------------------------------------------------
// Counters
// ---------------------------------------------------------------------------

/// Adds `delta` to the integer at `key` (0 if missing), keeping its TTL.
fn incr_by(ctx: &mut Ctx, key: &[u8], delta: i64) -> CmdResult {
    let now = ctx.now;
    let db = ctx.db();
    let n = match db.lookup(key, now) {
        Some(id) => {
            let v = db.value_mut(id);
            let n = value_i64(v)?
                .checked_add(delta)
                .ok_or(CmdError::from(OVERFLOW))?;
            *v = Value::Int(n);
            n
        }
        None => {
            db.add(key, Value::Int(delta), now);
            delta
        }
    };
    ctx.dirty += 1;
    ctx.notify(notify::STRING, "incrby", key);
    ctx.out.int(n);
    Ok(())
}

fn incr(ctx: &mut Ctx, args: &Args) -> CmdResult {
    incr_by(ctx, args.get(1), 1)
}

fn decr(ctx: &mut Ctx, args: &Args) -> CmdResult {
    incr_by(ctx, args.get(1), -1)
}

fn incrby(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let d = parse_i64(args.get(2)).ok_or(CmdError::from(NOT_INTEGER))?;
    incr_by(ctx, args.get(1), d)
}

fn decrby(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let d = parse_i64(args.get(2)).ok_or(CmdError::from(NOT_INTEGER))?;
    let d = d
        .checked_neg()
        .ok_or(CmdError::from("ERR decrement would overflow"))?;
    incr_by(ctx, args.get(1), d)
}

fn incrbyfloat(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let key = args.get(1);
    let db = ctx.db();
    let id = db.lookup(key, now);
    let cur = match id {
        Some(id) => value_long_double(db.value(id))?,
        None => LongDoubleValue::Finite(LongDouble::ZERO),
    };
    let incr = parse_long_double(args.get(2)).ok_or(CmdError::from(NOT_FLOAT))?;
    let sum = match (cur, incr) {
        (LongDoubleValue::Finite(a), LongDoubleValue::Finite(b)) => a.sum(b),
        _ => LongDoubleValue::Infinite,
    };
    let LongDoubleValue::Finite(sum) = sum else {
        return err(NAN_OR_INF);
    };
    let mut text = Vec::with_capacity(32);
    sum.fmt_human(&mut text);
    // Redis builds the result from its text: embstr or raw, never int.
    let value = Value::string_no_int(&text);
    match id {
        Some(id) => {
            db.replace(id, value);
        }
        None => {
            db.add(key, value, now);
        }
    }
    ctx.dirty += 1;
    // As Redis: the result, so that float rounding cannot differ on replay.
    ctx.propagate_as(&[b"SET", key, &text, b"KEEPTTL"]);
    ctx.notify(notify::STRING, "incrbyfloat", key);
    ctx.out.bulk(&text);
    Ok(())
}

// ---------------------------------------------------------------------------
// LCS
// ---------------------------------------------------------------------------

fn lcs_cmd(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let max = ctx.srv.config.proto_max_bulk_len;
    let db = ctx.db();
    let mut tmp_a = IntBuf::default();
    let mut tmp_b = IntBuf::default();
    let mut read = |key: &[u8], tmp: &mut IntBuf| -> Result<Vec<u8>, CmdError> {
        match db.get(key, now) {
            None => Ok(Vec::new()),
            Some(v) => v.as_bytes(tmp).map(<[u8]>::to_vec).ok_or(CmdError::from(
                "ERR The specified keys must contain string values",
            )),
        }
    };
    let a = read(args.get(1), &mut tmp_a)?;
    let b = read(args.get(2), &mut tmp_b)?;
    let (mut want_len, mut want_idx, mut with_len) = (false, false, false);
    let mut min_len: i64 = 0;
    let mut i = 3;
    while i < args.len() {
        if args.is(i, "idx") {
            want_idx = true;
        } else if args.is(i, "len") {
            want_len = true;
        } else if args.is(i, "withmatchlen") {
            with_len = true;
        } else if args.is(i, "minmatchlen") && i + 1 < args.len() {
            min_len = parse_i64(args.get(i + 1))
                .ok_or(CmdError::from(NOT_INTEGER))?
                .max(0);
            i += 1;
        } else {
            return err(SYNTAX);
        }
        i += 1;
    }
    if want_len && want_idx {
        return err("ERR If you want both the length and indexes, please just use IDX.");
    }
    let table = (a.len() as u64 + 1)
        .saturating_mul(b.len() as u64 + 1)
        .saturating_mul(4);
    if table > max.max(0) as u64 {
        return err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    }
    let (seq, matches) = lcs(&a, &b, want_idx, min_len as usize);
    let out = &mut *ctx.out;
    if want_idx {
        out.map(2);
        out.bulk(b"matches");
        out.array(matches.len());
        for m in &matches {
            out.array(2 + usize::from(with_len));
            out.array(2);
            out.int(m.a.0 as i64);
            out.int(m.a.1 as i64);
            out.array(2);
            out.int(m.b.0 as i64);
            out.int(m.b.1 as i64);
            if with_len {
                out.int(m.len as i64);
            }
        }
        out.bulk(b"len");
        out.int(seq.len() as i64);
    } else if want_len {
        out.int(seq.len() as i64);
    } else {
        out.bulk(&seq);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

const STR: Acl = Acl::STRING;
const W_DENYOOM: Flags = Flags::WRITE.or(Flags::DENYOOM);
const W_DENYOOM_FAST: Flags = Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST);
const RO_FAST: Flags = Flags::READONLY.or(Flags::FAST);
const STRING_CMD: CommandSpec = CommandSpec {
    acl: STR,
    keys: Keys::ONE,
    group: Group::String,
    ..BASE
};

// Key spec flags (COMMAND INFO, COMMAND GETKEYSANDFLAGS), as redis-server
// 7.0 reports them for each command. Commands not listed get the defaults
// derived from their command flags (RO+access or RW+access+update).

/// Read, then written in place without being returned (APPEND).
const RW_INSERT: KeyFlags = KeyFlags::RW.or(KeyFlags::INSERT);
/// Read, written in place, value not returned (SETRANGE).
const RW_UPDATE: KeyFlags = KeyFlags::RW.or(KeyFlags::UPDATE);
/// Read, changed and returned (INCR, GETSET, GETEX...).
const RW_ACCESS_UPDATE: KeyFlags = KeyFlags::RW.or(KeyFlags::ACCESS).or(KeyFlags::UPDATE);
/// Read, returned, then removed (GETDEL).
const RW_ACCESS_DELETE: KeyFlags = KeyFlags::RW.or(KeyFlags::ACCESS).or(KeyFlags::DELETE);
/// Replaced without being read (SET without GET, SETEX, MSET).
const OW_UPDATE: KeyFlags = KeyFlags::OW.or(KeyFlags::UPDATE);
/// Written only when absent, never read (SETNX, MSETNX).
const OW_INSERT: KeyFlags = KeyFlags::OW.or(KeyFlags::INSERT);

/// SET's key spec: RW+access+update in COMMAND INFO, flagged variable.
const SET_KEY_FLAGS: KeyFlags = RW_ACCESS_UPDATE.or(KeyFlags::VARIABLE_FLAGS);

/// The flags SET's key really gets on one command line: with a GET word
/// anywhere after the value, the old value is read and returned; otherwise
/// the key is only overwritten. Like redis-server, any argument from the
/// third on equal to GET counts (even one that is the value of EX).
fn set_key_flags(args: &Args) -> KeyFlags {
    if args.iter_from(3).any(|a| a.eq_ignore_ascii_case(b"get")) {
        RW_ACCESS_UPDATE
    } else {
        OW_UPDATE
    }
}

// Documented arguments (COMMAND DOCS): names, types, tokens and flags as
// redis-server 7.0 reports them.

const KEY: Arg = super::table::KEY_ARG;
const VALUE: Arg = Arg {
    name: "value",
    ..ARG
};
const fn int_arg(name: &'static str) -> Arg {
    Arg {
        name,
        kind: ArgType::Integer,
        ..ARG
    }
}
const fn token_arg(name: &'static str, kind: ArgType, token: &'static str) -> Arg {
    Arg {
        name,
        kind,
        token,
        ..ARG
    }
}
const fn since(a: Arg, version: &'static str) -> Arg {
    Arg {
        since: version,
        ..a
    }
}
const fn optional(a: Arg) -> Arg {
    Arg {
        flags: ArgFlags::OPTIONAL,
        ..a
    }
}

const ARGS_KEY: &[Arg] = &[KEY];
const ARGS_KEY_VALUE: &[Arg] = &[KEY, VALUE];
const ARGS_RANGE: &[Arg] = &[KEY, int_arg("start"), int_arg("end")];
const ARGS_PAIRS: &[Arg] = &[Arg {
    name: "key_value",
    kind: ArgType::Block,
    flags: ArgFlags::MULTIPLE,
    args: ARGS_KEY_VALUE,
    ..ARG
}];

const EX: Arg = token_arg("seconds", ArgType::Integer, "EX");
const PX: Arg = token_arg("milliseconds", ArgType::Integer, "PX");
const EXAT: Arg = token_arg("unix-time-seconds", ArgType::UnixTime, "EXAT");
const PXAT: Arg = token_arg("unix-time-milliseconds", ArgType::UnixTime, "PXAT");

const GETEX_ARGS: &[Arg] = &[
    KEY,
    optional(Arg {
        name: "expiration",
        kind: ArgType::OneOf,
        args: &[
            EX,
            PX,
            EXAT,
            PXAT,
            token_arg("persist", ArgType::PureToken, "PERSIST"),
        ],
        ..ARG
    }),
];

const SET_ARGS: &[Arg] = &[
    KEY,
    VALUE,
    optional(since(
        Arg {
            name: "condition",
            kind: ArgType::OneOf,
            args: &[
                token_arg("nx", ArgType::PureToken, "NX"),
                token_arg("xx", ArgType::PureToken, "XX"),
            ],
            ..ARG
        },
        "2.6.12",
    )),
    optional(since(token_arg("get", ArgType::PureToken, "GET"), "6.2.0")),
    optional(Arg {
        name: "expiration",
        kind: ArgType::OneOf,
        args: &[
            since(EX, "2.6.12"),
            since(PX, "2.6.12"),
            since(EXAT, "6.2.0"),
            since(PXAT, "6.2.0"),
            since(token_arg("keepttl", ArgType::PureToken, "KEEPTTL"), "6.0.0"),
        ],
        ..ARG
    }),
];

const LCS_ARGS: &[Arg] = &[
    Arg {
        name: "key1",
        ..KEY
    },
    Arg {
        name: "key2",
        ..KEY
    },
    optional(token_arg("len", ArgType::PureToken, "LEN")),
    optional(token_arg("idx", ArgType::PureToken, "IDX")),
    optional(token_arg("len", ArgType::Integer, "MINMATCHLEN")),
    optional(token_arg(
        "withmatchlen",
        ArgType::PureToken,
        "WITHMATCHLEN",
    )),
];

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "get",
        arity: 2,
        flags: RO_FAST,
        summary: "Returns the string value of a key.",
        arguments: ARGS_KEY,
        handler: get,
        ..STRING_CMD
    },
    CommandSpec {
        name: "set",
        arity: -3,
        flags: W_DENYOOM,
        summary: "Sets a key to a string value, with optional expiry and conditions.",
        key_flags: SET_KEY_FLAGS,
        key_flags_fn: Some(set_key_flags),
        // Redis's exact note text: COMMAND INFO replies must match byte for byte.
        key_notes: "RW and ACCESS due to the optional `GET` argument",
        history: &[
            ("2.6.12", "EX, PX, NX and XX options."),
            ("6.0.0", "KEEPTTL option."),
            ("6.2.0", "GET, EXAT and PXAT options."),
            ("7.0.0", "NX and GET may be given together."),
        ],
        arguments: SET_ARGS,
        handler: set,
        ..STRING_CMD
    },
    CommandSpec {
        name: "setnx",
        arity: 3,
        flags: W_DENYOOM_FAST,
        summary: "Sets a key only when it does not exist.",
        key_flags: OW_INSERT,
        arguments: ARGS_KEY_VALUE,
        handler: setnx,
        ..STRING_CMD
    },
    CommandSpec {
        name: "setex",
        arity: 4,
        flags: W_DENYOOM,
        since: "2.0.0",
        summary: "Sets a key with a time to live in seconds.",
        key_flags: OW_UPDATE,
        arguments: &[KEY, int_arg("seconds"), VALUE],
        handler: setex,
        ..STRING_CMD
    },
    CommandSpec {
        name: "psetex",
        arity: 4,
        flags: W_DENYOOM,
        since: "2.6.0",
        summary: "Sets a key with a time to live in milliseconds.",
        key_flags: OW_UPDATE,
        arguments: &[KEY, int_arg("milliseconds"), VALUE],
        handler: psetex,
        ..STRING_CMD
    },
    CommandSpec {
        name: "getset",
        arity: 3,
        flags: W_DENYOOM_FAST,
        summary: "Sets a key and returns its previous value.",
        key_flags: RW_ACCESS_UPDATE,
        doc_flags: DocFlags::DEPRECATED,
        deprecated_since: "6.2.0",
        replaced_by: "`SET` with the `!GET` argument",
        arguments: ARGS_KEY_VALUE,
        handler: getset,
        ..STRING_CMD
    },
    CommandSpec {
        name: "getdel",
        arity: 2,
        flags: Flags::WRITE.or(Flags::FAST),
        since: "6.2.0",
        summary: "Returns the value of a key and deletes the key.",
        key_flags: RW_ACCESS_DELETE,
        arguments: ARGS_KEY,
        handler: getdel,
        ..STRING_CMD
    },
    CommandSpec {
        name: "getex",
        arity: -2,
        flags: Flags::WRITE.or(Flags::FAST),
        since: "6.2.0",
        summary: "Returns the value of a key, optionally changing its expiry.",
        key_flags: RW_ACCESS_UPDATE,
        // Redis's exact note text: COMMAND INFO replies must match byte for byte.
        key_notes: "RW and UPDATE because it changes the TTL",
        arguments: GETEX_ARGS,
        handler: getex,
        ..STRING_CMD
    },
    CommandSpec {
        name: "mget",
        arity: -2,
        flags: RO_FAST,
        keys: Keys::ALL,
        summary: "Returns the values of several keys.",
        complexity: "O(N) where N is the number of keys",
        tips: &["request_policy:multi_shard"],
        arguments: &[Arg {
            flags: ArgFlags::MULTIPLE,
            ..KEY
        }],
        handler: mget,
        ..STRING_CMD
    },
    CommandSpec {
        name: "mset",
        arity: -3,
        flags: W_DENYOOM,
        keys: Keys::PAIRS,
        since: "1.0.1",
        summary: "Sets several keys to values.",
        complexity: "O(N) where N is the number of keys",
        key_flags: OW_UPDATE,
        tips: &[
            "request_policy:multi_shard",
            "response_policy:all_succeeded",
        ],
        arguments: ARGS_PAIRS,
        handler: mset,
        ..STRING_CMD
    },
    CommandSpec {
        name: "msetnx",
        arity: -3,
        flags: W_DENYOOM,
        keys: Keys::PAIRS,
        since: "1.0.1",
        summary: "Sets several keys only when none of them exists.",
        complexity: "O(N) where N is the number of keys",
        key_flags: OW_INSERT,
        tips: &["request_policy:multi_shard", "response_policy:agg_min"],
        arguments: ARGS_PAIRS,
        handler: msetnx,
        ..STRING_CMD
    },
    CommandSpec {
        name: "append",
        arity: 3,
        flags: W_DENYOOM_FAST,
        since: "2.0.0",
        summary: "Appends a string to the value of a key, creating it if needed.",
        key_flags: RW_INSERT,
        arguments: ARGS_KEY_VALUE,
        handler: append,
        ..STRING_CMD
    },
    CommandSpec {
        name: "strlen",
        arity: 2,
        flags: RO_FAST,
        since: "2.2.0",
        summary: "Returns the length in bytes of a string value.",
        key_flags: KeyFlags::RO,
        arguments: ARGS_KEY,
        handler: strlen,
        ..STRING_CMD
    },
    CommandSpec {
        name: "getrange",
        arity: 4,
        flags: Flags::READONLY,
        since: "2.4.0",
        summary: "Returns a byte range of a string value.",
        complexity: "O(N) where N is the length of the returned string",
        arguments: ARGS_RANGE,
        handler: getrange,
        ..STRING_CMD
    },
    CommandSpec {
        name: "substr",
        arity: 4,
        flags: Flags::READONLY,
        summary: "Returns a byte range of a string value (old name of GETRANGE).",
        complexity: "O(N) where N is the length of the returned string",
        doc_flags: DocFlags::DEPRECATED,
        deprecated_since: "2.0.0",
        replaced_by: "`GETRANGE`",
        arguments: ARGS_RANGE,
        handler: getrange,
        ..STRING_CMD
    },
    CommandSpec {
        name: "setrange",
        arity: 4,
        flags: W_DENYOOM,
        since: "2.2.0",
        summary: "Overwrites part of a string value at an offset, padding with zeros.",
        complexity: "O(1), not counting the time to copy the new string",
        key_flags: RW_UPDATE,
        arguments: &[KEY, int_arg("offset"), VALUE],
        handler: setrange,
        ..STRING_CMD
    },
    CommandSpec {
        name: "incr",
        arity: 2,
        flags: W_DENYOOM_FAST,
        summary: "Adds one to the integer value of a key.",
        arguments: ARGS_KEY,
        handler: incr,
        ..STRING_CMD
    },
    CommandSpec {
        name: "decr",
        arity: 2,
        flags: W_DENYOOM_FAST,
        summary: "Subtracts one from the integer value of a key.",
        arguments: ARGS_KEY,
        handler: decr,
        ..STRING_CMD
    },
    CommandSpec {
        name: "incrby",
        arity: 3,
        flags: W_DENYOOM_FAST,
        summary: "Adds an integer to the integer value of a key.",
        arguments: &[KEY, int_arg("increment")],
        handler: incrby,
        ..STRING_CMD
    },
    CommandSpec {
        name: "decrby",
        arity: 3,
        flags: W_DENYOOM_FAST,
        summary: "Subtracts an integer from the integer value of a key.",
        arguments: &[KEY, int_arg("decrement")],
        handler: decrby,
        ..STRING_CMD
    },
    CommandSpec {
        name: "incrbyfloat",
        arity: 3,
        flags: W_DENYOOM_FAST,
        since: "2.6.0",
        summary: "Adds a floating point number to the value of a key.",
        arguments: &[
            KEY,
            Arg {
                name: "increment",
                kind: ArgType::Double,
                ..ARG
            },
        ],
        handler: incrbyfloat,
        ..STRING_CMD
    },
    CommandSpec {
        name: "lcs",
        arity: -3,
        flags: Flags::READONLY,
        keys: Keys::TWO,
        since: "7.0.0",
        summary: "Finds the longest common subsequence of two string values.",
        complexity: "O(N*M) where N and M are the lengths of the two strings",
        arguments: LCS_ARGS,
        handler: lcs_cmd,
        ..STRING_CMD
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_like_getrange() {
        // Observed on redis-server with "Hello".
        assert_eq!(range_of(0, -1, 5), Some((0, 5)));
        assert_eq!(range_of(-3, -1, 5), Some((2, 5)));
        assert_eq!(range_of(10, 20, 5), None);
        assert_eq!(range_of(-100, -50, 5), Some((0, 1)));
        assert_eq!(range_of(3, 1, 5), None);
        assert_eq!(range_of(-1, -5, 5), None);
        assert_eq!(range_of(0, 100, 5), Some((0, 5)));
        assert_eq!(range_of(4, 4, 5), Some((4, 5)));
        assert_eq!(range_of(5, 5, 5), None);
        assert_eq!(range_of(-1, 0, 5), None);
        assert_eq!(range_of(0, 0, 0), None);
        assert_eq!(range_of(i64::MIN, i64::MAX, 5), Some((0, 5)));
    }

    #[test]
    fn lcs_matches_like_redis() {
        let (seq, m) = lcs(b"ohmytext", b"mynewtext", true, 0);
        assert_eq!(seq, b"mytext");
        assert_eq!(
            m,
            vec![
                LcsMatch {
                    a: (4, 7),
                    b: (5, 8),
                    len: 4
                },
                LcsMatch {
                    a: (2, 3),
                    b: (0, 1),
                    len: 2
                },
            ]
        );
        let (_, m) = lcs(b"ohmytext", b"mynewtext", true, 4);
        assert_eq!(m.len(), 1);
        let (seq, m) = lcs(b"", b"abc", true, 0);
        assert!(seq.is_empty() && m.is_empty());
    }

    #[test]
    fn encodings_after_operations() {
        let mut v = Value::string(b"5");
        assert_eq!(v.encoding(), "int");
        assert_eq!(append_bytes(&mut v, b"1").unwrap(), 2);
        assert_eq!(v.encoding(), "raw");
        assert_eq!(value_i64(&v).unwrap(), 51);
        let mut v = Value::string(b"hello");
        assert_eq!(v.encoding(), "embstr");
        assert_eq!(write_at(&mut v, 7, b"x").unwrap(), 8);
        assert_eq!(v.encoding(), "raw");
        let mut t = IntBuf::default();
        assert_eq!(v.as_bytes(&mut t).unwrap(), b"hello\0\0x");
        assert_eq!(Value::string(&[b'a'; 45]).encoding(), "raw");
        assert_eq!(
            Value::string(b"12345678901234567890123").encoding(),
            "embstr"
        );
        assert_eq!(Value::string_no_int(b"3001").encoding(), "embstr");
        assert_eq!(value_i64(&Value::string(b" 1")), Err(NOT_INTEGER.into()));
    }

    #[test]
    fn expire_arguments() {
        let now = 1_700_000_000_000;
        assert_eq!(
            expire_at(b"10", ExpireKind::Ex, now, "set"),
            Ok(now + 10_000)
        );
        assert_eq!(expire_at(b"5", ExpireKind::PxAt, now, "set"), Ok(5));
        assert!(expire_at(b"0", ExpireKind::Ex, now, "set").is_err());
        assert!(expire_at(b"9223372036854775", ExpireKind::Ex, now, "set").is_err());
        assert_eq!(
            expire_at(b"9223372036854775", ExpireKind::ExAt, now, "set"),
            Ok(9_223_372_036_854_775_000)
        );
        assert!(expire_at(b"9223372036854775807", ExpireKind::Px, now, "set").is_err());
        assert_eq!(
            expire_at(b"x", ExpireKind::Ex, now, "set"),
            Err(NOT_INTEGER.into())
        );
    }

    #[test]
    fn table_rows_match_command_info() {
        use crate::commands::table::acl_categories;
        // COMMAND INFO <name> on redis-server 7.0.15: name, arity, flags,
        // (first key, last key, step), ACL categories.
        let want = [
            (
                "append",
                3,
                "write denyoom fast",
                (1, 1, 1),
                "@write @string @fast",
            ),
            (
                "decr",
                2,
                "write denyoom fast",
                (1, 1, 1),
                "@write @string @fast",
            ),
            (
                "decrby",
                3,
                "write denyoom fast",
                (1, 1, 1),
                "@write @string @fast",
            ),
            ("get", 2, "readonly fast", (1, 1, 1), "@read @string @fast"),
            ("getdel", 2, "write fast", (1, 1, 1), "@write @string @fast"),
            ("getex", -2, "write fast", (1, 1, 1), "@write @string @fast"),
            ("getrange", 4, "readonly", (1, 1, 1), "@read @string @slow"),
            (
                "getset",
                3,
                "write denyoom fast",
                (1, 1, 1),
                "@write @string @fast",
            ),
            (
                "incr",
                2,
                "write denyoom fast",
                (1, 1, 1),
                "@write @string @fast",
            ),
            (
                "incrby",
                3,
                "write denyoom fast",
                (1, 1, 1),
                "@write @string @fast",
            ),
            (
                "incrbyfloat",
                3,
                "write denyoom fast",
                (1, 1, 1),
                "@write @string @fast",
            ),
            ("lcs", -3, "readonly", (1, 2, 1), "@read @string @slow"),
            (
                "mget",
                -2,
                "readonly fast",
                (1, -1, 1),
                "@read @string @fast",
            ),
            (
                "mset",
                -3,
                "write denyoom",
                (1, -1, 2),
                "@write @string @slow",
            ),
            (
                "msetnx",
                -3,
                "write denyoom",
                (1, -1, 2),
                "@write @string @slow",
            ),
            (
                "psetex",
                4,
                "write denyoom",
                (1, 1, 1),
                "@write @string @slow",
            ),
            (
                "set",
                -3,
                "write denyoom",
                (1, 1, 1),
                "@write @string @slow",
            ),
            (
                "setex",
                4,
                "write denyoom",
                (1, 1, 1),
                "@write @string @slow",
            ),
            (
                "setnx",
                3,
                "write denyoom fast",
                (1, 1, 1),
                "@write @string @fast",
            ),
            (
                "setrange",
                4,
                "write denyoom",
                (1, 1, 1),
                "@write @string @slow",
            ),
            (
                "strlen",
                2,
                "readonly fast",
                (1, 1, 1),
                "@read @string @fast",
            ),
            ("substr", 4, "readonly", (1, 1, 1), "@read @string @slow"),
        ];
        assert_eq!(COMMANDS.len(), want.len());
        for (name, arity, flags, keys, acl) in want {
            let row = COMMANDS.iter().find(|c| c.name == name).unwrap();
            assert_eq!(row.arity, arity, "{name}");
            let f: Vec<&str> = Flags::NAMES
                .iter()
                .filter(|(fl, _)| row.flags.has(*fl))
                .map(|(_, n)| *n)
                .collect();
            assert_eq!(f.join(" "), flags, "{name}");
            assert_eq!(
                (row.keys.first, row.keys.last, row.keys.step),
                keys,
                "{name}"
            );
            let cats = acl_categories(row);
            let a: Vec<String> = Acl::NAMES
                .iter()
                .filter(|(c, _)| cats.has(*c))
                .map(|(_, n)| format!("@{n}"))
                .collect();
            assert_eq!(a.join(" "), acl, "{name}");
        }
    }

    #[test]
    fn key_spec_flags_match_command_info() {
        // Key spec flags of COMMAND INFO <name> on redis-server 7.0.15.
        let want = [
            ("append", "RW insert"),
            ("decr", "RW access update"),
            ("get", "RO access"),
            ("getdel", "RW access delete"),
            ("getex", "RW access update"),
            ("getset", "RW access update"),
            ("lcs", "RO access"),
            ("mget", "RO access"),
            ("mset", "OW update"),
            ("msetnx", "OW insert"),
            ("psetex", "OW update"),
            ("set", "RW access update variable_flags"),
            ("setex", "OW update"),
            ("setnx", "OW insert"),
            ("setrange", "RW update"),
            ("strlen", "RO"),
            ("substr", "RO access"),
        ];
        for (name, flags) in want {
            let row = COMMANDS.iter().find(|c| c.name == name).unwrap();
            let specs = row.key_specs_of();
            assert_eq!(specs.as_slice().len(), 1, "{name}");
            let got: Vec<&str> = specs.as_slice()[0].flags.names().collect();
            assert_eq!(got.join(" "), flags, "{name}");
        }
    }

    #[test]
    fn set_key_flags_follow_get() {
        let flags = |argv: &[&[u8]]| {
            let mut buf = Vec::new();
            let mut ranges = Vec::new();
            for a in argv {
                ranges.push((buf.len(), buf.len() + a.len()));
                buf.extend_from_slice(a);
            }
            set_key_flags(&Args::new(&buf, &ranges))
        };
        assert_eq!(flags(&[b"set", b"k", b"v"]), OW_UPDATE);
        assert_eq!(flags(&[b"set", b"k", b"get"]), OW_UPDATE);
        assert_eq!(flags(&[b"set", b"k", b"v", b"getx"]), OW_UPDATE);
        assert_eq!(flags(&[b"set", b"k", b"v", b"GeT"]), RW_ACCESS_UPDATE);
        assert_eq!(
            flags(&[b"set", b"k", b"v", b"ex", b"get"]),
            RW_ACCESS_UPDATE
        );
    }

    /// Runs one handler on a bare server state; returns the reply bytes and
    /// the dirty count.
    fn run(
        srv: &mut crate::server::ServerState,
        h: super::super::table::Handler,
        argv: &[&[u8]],
    ) -> (Vec<u8>, u64) {
        crate::commands::testing::run_handler(srv, h, argv)
    }

    fn encoding_of(srv: &mut crate::server::ServerState, key: &[u8]) -> &'static str {
        let now = crate::server::unix_ms();
        srv.dbs[0].get(key, now).map_or("none", Value::encoding)
    }

    #[test]
    fn commands_leave_redis_encodings() {
        let mut srv = crate::server::ServerState::new(crate::config::Config::default(), 0);
        let s = &mut srv;
        assert_eq!(
            run(s, set, &[b"set", b"k", b"123"]),
            (b"+OK\r\n".to_vec(), 1)
        );
        assert_eq!(encoding_of(s, b"k"), "int");
        run(s, set, &[b"set", b"k", b"hello"]);
        assert_eq!(encoding_of(s, b"k"), "embstr");
        run(s, set, &[b"set", b"k", &[b'x'; 45]]);
        assert_eq!(encoding_of(s, b"k"), "raw");
        run(s, set, &[b"set", b"k", b"5"]);
        assert_eq!(run(s, append, &[b"append", b"k", b"1"]).0, b":2\r\n");
        assert_eq!(encoding_of(s, b"k"), "raw");
        assert_eq!(run(s, incr, &[b"incr", b"k"]).0, b":52\r\n");
        assert_eq!(encoding_of(s, b"k"), "int");
        assert_eq!(
            run(s, incrbyfloat, &[b"incrbyfloat", b"k", b"1"]).0,
            b"$2\r\n53\r\n"
        );
        assert_eq!(encoding_of(s, b"k"), "embstr");
        run(s, setrange, &[b"setrange", b"k", b"0", b"1"]);
        assert_eq!(encoding_of(s, b"k"), "raw");
        run(s, setrange, &[b"setrange", b"n", b"2", b"x"]);
        assert_eq!(encoding_of(s, b"n"), "raw");
        run(s, append, &[b"append", b"a", b"77"]);
        assert_eq!(encoding_of(s, b"a"), "int");
        run(
            s,
            mset,
            &[b"mset", b"m", b"-9223372036854775808", b"o", b"0123"],
        );
        assert_eq!(encoding_of(s, b"m"), "int");
        assert_eq!(encoding_of(s, b"o"), "embstr");
        assert_eq!(
            run(s, decr, &[b"decr", b"m"]).0,
            b"-ERR increment or decrement would overflow\r\n".to_vec()
        );
        assert_eq!(
            run(s, get, &[b"get", b"m"]).0,
            b"$20\r\n-9223372036854775808\r\n"
        );
    }

    #[test]
    fn dirty_counts_follow_redis() {
        let mut srv = crate::server::ServerState::new(crate::config::Config::default(), 0);
        let s = &mut srv;
        assert_eq!(run(s, mset, &[b"mset", b"a", b"1", b"b", b"2"]).1, 2);
        assert_eq!(run(s, set, &[b"set", b"a", b"1", b"nx"]).1, 0);
        assert_eq!(run(s, setnx, &[b"setnx", b"c", b"1"]).1, 1);
        assert_eq!(run(s, msetnx, &[b"msetnx", b"a", b"1", b"z", b"2"]).1, 0);
        assert_eq!(run(s, setrange, &[b"setrange", b"a", b"0", b""]).1, 0);
        assert_eq!(run(s, getex, &[b"getex", b"a", b"persist"]).1, 0);
        assert_eq!(run(s, getex, &[b"getex", b"a", b"ex", b"100"]).1, 1);
        assert_eq!(run(s, getex, &[b"getex", b"a", b"persist"]).1, 1);
        assert_eq!(run(s, getdel, &[b"getdel", b"a"]).1, 1);
        assert_eq!(run(s, getdel, &[b"getdel", b"a"]).1, 0);
        assert_eq!(run(s, lcs_cmd, &[b"lcs", b"b", b"c"]).1, 0);
    }
}
