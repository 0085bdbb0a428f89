//! Sorted set commands (ZADD, ZRANGE, ZPOPMIN, BZPOPMIN ...): argument
//! parsing and replies; the operations on the values live in
//! `keyspace::zset`.
//!
//! Layout: helpers (lookups, score and range parsing, reply shapes), then the
//! commands by family: writes (ZADD, ZINCRBY, ZREM...), reads (ZSCORE,
//! ZRANK, ZCOUNT...), the ZRANGE family (one parser and one range resolver
//! shared by ZRANGE, ZRANGEBYSCORE, ZREVRANGEBYLEX, ZRANGESTORE...), pops
//! (ZPOPMIN, ZMPOP and their blocking forms), random and scan, the set
//! operations (ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD). The
//! table rows (flags, key specs, documented arguments) are in `zsets/table.rs`.
//!
//! Reply shapes follow Redis 7.0: WITHSCORES gives a flat member, score list
//! in RESP2 and [member, score] pairs in RESP3; scores are doubles (`%.17g`
//! text in RESP2). ZPOPMIN without a count is flat in both protocols, ZMPOP
//! nests its pairs in both.
//!
//! Each write reports its keyspace events (`Ctx::notify`, see
//! `server::notify`) right after its change, with Redis 7.0's names and
//! order; a key emptied by the command reports `del` after the command's
//! own event, and a command that changes nothing reports nothing.

use std::cell::RefCell;
use std::collections::HashMap;

mod table;
pub use table::COMMANDS;

use super::{Args, Ctx};
use crate::error::{err, CmdError, CmdResult, NOT_FLOAT, NOT_INTEGER, SYNTAX, WRONGTYPE};
use crate::keyspace::db::Db;
use crate::keyspace::dict::EntryId;
use crate::keyspace::hasher::FastBuildHasher;
use crate::keyspace::value::Value;
use crate::keyspace::zset::{Limits, Upsert, Zset};
use crate::protocol::reply::ReplyBuf;
use crate::server::blocking::{parse_timeout, BlockKind};
use crate::server::{notify, propagate};
use crate::util::glob::glob_match;
use crate::util::numbers::{fmt_double, parse_f64, parse_i64};
use crate::util::rng::Rng;

use super::keys::parse_cursor;

const RANGE_NOT_FLOAT: &str = "ERR min or max is not a float";
const RANGE_NOT_LEX: &str = "ERR min or max not valid string range item";
const SCORE_NAN: &str = "ERR resulting score is not a number (NaN)";
const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";
const NUMKEYS: &str = "ERR numkeys should be greater than 0";
const COUNT_POSITIVE: &str = "ERR count should be greater than 0";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

thread_local! {
    /// Random numbers for ZRANDMEMBER.
    static RNG: RefCell<Rng> = RefCell::new(Rng::new(
        crate::keyspace::hasher::process_seed() ^ 0x5a5e_7c0d_e5eb_1e55,
    ));
}

fn random_u64() -> u64 {
    RNG.with(|r| r.borrow_mut().next_u64())
}

fn limits(ctx: &Ctx) -> Limits {
    let c = &ctx.srv.config;
    Limits::new(c.zset_max_listpack_entries, c.zset_max_listpack_value)
}

fn as_zset(v: &Value) -> Result<&Zset, CmdError> {
    match v {
        Value::Zset(z) => Ok(z),
        _ => err(WRONGTYPE),
    }
}

fn as_zset_mut(v: &mut Value) -> &mut Zset {
    match v {
        Value::Zset(z) => z,
        _ => unreachable!("type checked by the caller"),
    }
}

/// A sorted set key for reading: None when missing, WRONGTYPE for another
/// type.
fn read_zset(db: &mut Db, key: &[u8], now: i64) -> Result<Option<EntryId>, CmdError> {
    match db.lookup_read(key, now) {
        None => Ok(None),
        Some(id) => as_zset(db.value(id)).map(|_| Some(id)),
    }
}

/// A sorted set key for writing (no hit counting).
fn write_zset(db: &mut Db, key: &[u8], now: i64) -> Result<Option<EntryId>, CmdError> {
    match db.lookup(key, now) {
        None => Ok(None),
        Some(id) => as_zset(db.value(id)).map(|_| Some(id)),
    }
}

/// Deletes the key `id` if its sorted set is now empty; returns whether it
/// did.
fn delete_if_empty(db: &mut Db, id: EntryId) -> bool {
    let empty = matches!(db.value(id), Value::Zset(z) if z.is_empty());
    if empty {
        db.remove_id(id);
    }
    empty
}

/// Reports a change `event` on the sorted set at `key`, then its deletion
/// when the change `emptied` it (Redis's order).
fn notify_change(ctx: &mut Ctx, event: &str, key: &[u8], emptied: bool) {
    ctx.notify(notify::ZSET, event, key);
    if emptied {
        ctx.notify(notify::GENERIC, "del", key);
    }
}

/// The keyspace event of a pop from the low (`max` false) or high end.
fn pop_event(max: bool) -> &'static str {
    if max {
        "zpopmax"
    } else {
        "zpopmin"
    }
}

fn int_arg(b: &[u8]) -> Result<i64, CmdError> {
    parse_i64(b).ok_or(CmdError::from(NOT_INTEGER))
}

/// A score argument (ZADD, ZINCRBY): strtod on the whole string, no NaN.
fn score_arg(b: &[u8]) -> Result<f64, CmdError> {
    parse_f64(b).ok_or(CmdError::from(NOT_FLOAT))
}

/// A score bound's number: as strtod reads it (leading spaces skipped,
/// overflow to infinity and underflow to zero allowed, and the empty
/// string read as 0, since strtod then stops at the end), never NaN.
fn bound_number(b: &[u8]) -> Option<f64> {
    if b.is_empty() {
        return Some(0.0);
    }
    let t = match b.iter().position(|c| !matches!(c, b' ' | b'\t'..=b'\r')) {
        Some(i) => &b[i..],
        None => return None,
    };
    if let Some(v) = parse_f64(t) {
        return Some(v);
    }
    // Out of range for parse_f64 (it refuses overflow and underflow).
    let decimal = t
        .iter()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'));
    let v: f64 = std::str::from_utf8(t)
        .ok()
        .filter(|_| decimal)?
        .parse()
        .ok()?;
    (!v.is_nan()).then_some(v)
}

/// A score interval, each end inclusive or exclusive (`(`).
#[derive(Clone, Copy)]
struct ScoreRange {
    min: f64,
    minex: bool,
    max: f64,
    maxex: bool,
}

fn parse_bound(b: &[u8]) -> Option<(f64, bool)> {
    match b.first() {
        Some(b'(') => bound_number(&b[1..]).map(|v| (v, true)),
        _ => bound_number(b).map(|v| (v, false)),
    }
}

fn parse_score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
    match (parse_bound(min), parse_bound(max)) {
        (Some((min, minex)), Some((max, maxex))) => Ok(ScoreRange {
            min,
            minex,
            max,
            maxex,
        }),
        _ => err(RANGE_NOT_FLOAT),
    }
}

/// One end of a lex range.
#[derive(Clone, Copy)]
enum Lex<'a> {
    Min,
    Max,
    Incl(&'a [u8]),
    Excl(&'a [u8]),
}

fn parse_lex(b: &[u8]) -> Option<Lex<'_>> {
    match b.first() {
        Some(b'-') if b.len() == 1 => Some(Lex::Min),
        Some(b'+') if b.len() == 1 => Some(Lex::Max),
        Some(b'[') => Some(Lex::Incl(&b[1..])),
        Some(b'(') => Some(Lex::Excl(&b[1..])),
        _ => None,
    }
}

#[derive(Clone, Copy)]
struct LexRange<'a> {
    min: Lex<'a>,
    max: Lex<'a>,
}

fn parse_lex_range<'a>(min: &'a [u8], max: &'a [u8]) -> Result<LexRange<'a>, CmdError> {
    match (parse_lex(min), parse_lex(max)) {
        (Some(min), Some(max)) => Ok(LexRange { min, max }),
        _ => err(RANGE_NOT_LEX),
    }
}

/// Ranks `[start, end)` of the members inside a score range.
fn score_span(z: &Zset, r: &ScoreRange) -> (usize, usize) {
    let start = z.partition_by_score(|s| if r.minex { s <= r.min } else { s < r.min });
    let end = z.partition_by_score(|s| if r.maxex { s < r.max } else { s <= r.max });
    (start, end.max(start))
}

/// Ranks `[start, end)` of the members inside a lex range.
fn lex_span(z: &Zset, r: &LexRange) -> (usize, usize) {
    let below_min = |m: &[u8]| match r.min {
        Lex::Min => false,
        Lex::Max => true,
        Lex::Incl(x) => m < x,
        Lex::Excl(x) => m <= x,
    };
    let up_to_max = |m: &[u8]| match r.max {
        Lex::Min => false,
        Lex::Max => true,
        Lex::Incl(x) => m <= x,
        Lex::Excl(x) => m < x,
    };
    let start = z.partition_point(|_, m| below_min(m));
    let end = z.partition_point(|_, m| up_to_max(m));
    (start, end.max(start))
}

/// Redis's clamping of a rank range (negative from the end): `[start, end)`
/// ranks, empty when out of range.
fn rank_span(len: usize, start: i64, stop: i64) -> (usize, usize) {
    let n = len as i64;
    let mut s = if start < 0 {
        start.saturating_add(n)
    } else {
        start
    };
    let mut e = if stop < 0 {
        stop.saturating_add(n)
    } else {
        stop
    };
    if s < 0 {
        s = 0;
    }
    if s > e || s >= n {
        return (0, 0);
    }
    if e >= n {
        e = n - 1;
    }
    (s as usize, e as usize + 1)
}

/// Writes a member and its score as one element of a WITHSCORES reply:
/// a pair in RESP3, two flat elements in RESP2.
fn emit_pair(out: &mut ReplyBuf, m: &[u8], s: f64) {
    if out.resp3 {
        out.array(2);
    }
    out.bulk(m);
    out.double(s);
}

/// The array header of `n` members, with or without scores.
fn range_header(out: &mut ReplyBuf, n: usize, withscores: bool) {
    if withscores && !out.resp3 {
        out.array(2 * n);
    } else {
        out.array(n);
    }
}

/// Replies with the members of ranks `start..end` (in reverse when `rev`).
fn reply_ranks(out: &mut ReplyBuf, z: &Zset, span: (usize, usize), rev: bool, withscores: bool) {
    let (start, end) = span;
    range_header(out, end.saturating_sub(start), withscores);
    z.range(start, end, rev, |m, s| {
        if withscores {
            emit_pair(out, m, s);
        } else {
            out.bulk(m);
        }
    });
}

/// Replaces `dst` with `z` (and no TTL), reporting `event`, or deletes
/// `dst` when `z` is empty (reporting `del` if it existed); the reply is the
/// caller's. An existing `dst` is overwritten in place, so, as in Redis, it
/// reports no `new` event.
fn store(ctx: &mut Ctx, dst: &[u8], z: Zset, event: &str) {
    let now = ctx.now;
    let db = ctx.db();
    if !z.is_empty() {
        db.set(dst, Value::Zset(Box::new(z)), false, now);
        ctx.dirty += 1;
        ctx.notify(notify::ZSET, event, dst);
    } else if db.delete(dst, now) {
        ctx.dirty += 1;
        ctx.notify(notify::GENERIC, "del", dst);
    }
}

// ---------------------------------------------------------------------------
// Writes: ZADD, ZINCRBY, ZREM, ZREMRANGEBY*
// ---------------------------------------------------------------------------

#[derive(Default, Clone, Copy)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// What a ZADD did.
#[derive(Default)]
struct AddOutcome {
    added: usize,
    updated: usize,
    /// INCR: the new score, None when a condition stopped it.
    incr: Option<f64>,
}

/// Applies ZADD's pairs to `z` under its flags.
fn zadd_apply(
    z: &mut Zset,
    pairs: &[(f64, &[u8])],
    f: AddFlags,
    lim: Limits,
) -> Result<AddOutcome, CmdError> {
    let mut o = AddOutcome::default();
    for &(score, m) in pairs {
        let r = z.upsert(m, lim, |cur| match cur {
            Some(_) if f.nx => Ok(None),
            Some(cur) => {
                let new = if f.incr { cur + score } else { score };
                if new.is_nan() {
                    return err(SCORE_NAN);
                }
                let refused = (f.gt && new <= cur) || (f.lt && new >= cur);
                Ok((!refused).then_some(new))
            }
            None if f.xx => Ok(None),
            None => Ok(Some(score)),
        })?;
        match r {
            Upsert::Skipped => {}
            Upsert::Added(s) => {
                o.added += 1;
                o.incr = Some(s);
            }
            Upsert::Updated(s) => {
                o.updated += 1;
                o.incr = Some(s);
            }
            Upsert::Unchanged(s) => o.incr = Some(s),
        }
    }
    Ok(o)
}

fn parse_add_flags(args: &Args) -> (AddFlags, usize) {
    let mut f = AddFlags::default();
    let mut i = 2;
    while i < args.len() {
        let a = args.get(i);
        let flag = match a.to_ascii_lowercase().as_slice() {
            b"nx" => &mut f.nx,
            b"xx" => &mut f.xx,
            b"gt" => &mut f.gt,
            b"lt" => &mut f.lt,
            b"ch" => &mut f.ch,
            b"incr" => &mut f.incr,
            _ => break,
        };
        *flag = true;
        i += 1;
    }
    (f, i)
}

fn zadd(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (f, first) = parse_add_flags(args);
    let rest = args.len() - first;
    if rest == 0 || !rest.is_multiple_of(2) {
        return err(SYNTAX);
    }
    if f.nx && f.xx {
        return err("ERR XX and NX options at the same time are not compatible");
    }
    if [f.gt, f.lt, f.nx].iter().filter(|&&b| b).count() > 1 {
        return err("ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    if f.incr && rest > 2 {
        return err("ERR INCR option supports a single increment-element pair");
    }
    let mut pairs = Vec::with_capacity(rest / 2);
    for i in (first..args.len()).step_by(2) {
        pairs.push((score_arg(args.get(i))?, args.get(i + 1)));
    }
    zadd_generic(ctx, args.get(1), &pairs, f)
}

/// ZADD and ZINCRBY once parsed.
fn zadd_generic(ctx: &mut Ctx, key: &[u8], pairs: &[(f64, &[u8])], f: AddFlags) -> CmdResult {
    let lim = limits(ctx);
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let o = match write_zset(db, key, now)? {
        Some(id) => zadd_apply(as_zset_mut(db.value_mut(id)), pairs, f, lim)?,
        None if f.xx => AddOutcome::default(),
        None => {
            let mut z = Zset::new();
            let o = zadd_apply(&mut z, pairs, f, lim)?;
            db.add(key, Value::Zset(Box::new(z)), now);
            o
        }
    };
    if f.incr {
        match o.incr {
            Some(s) => out.double(s),
            None => out.null(),
        }
    } else if f.ch {
        out.int((o.added + o.updated) as i64);
    } else {
        out.int(o.added as i64);
    }
    ctx.dirty += (o.added + o.updated) as u64;
    if o.added + o.updated > 0 {
        let event = if f.incr { "zincr" } else { "zadd" };
        ctx.notify(notify::ZSET, event, key);
    }
    Ok(())
}

fn zincrby(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let by = score_arg(args.get(2))?;
    let f = AddFlags {
        incr: true,
        ..AddFlags::default()
    };
    zadd_generic(ctx, args.get(1), &[(by, args.get(3))], f)
}

fn zrem(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(id) = write_zset(db, args.get(1), now)? else {
        out.int(0);
        return Ok(());
    };
    let z = as_zset_mut(db.value_mut(id));
    let mut n = 0;
    for m in args.iter_from(2) {
        if z.remove(m).is_some() {
            n += 1;
            if z.is_empty() {
                break;
            }
        }
    }
    let emptied = delete_if_empty(db, id);
    out.int(n);
    ctx.dirty += n as u64;
    if n > 0 {
        notify_change(ctx, "zrem", args.get(1), emptied);
    }
    Ok(())
}

/// ZREMRANGEBYRANK/SCORE/LEX: the range is parsed first, then the key.
/// `event` is the command's keyspace event.
fn zremrange(
    ctx: &mut Ctx,
    args: &Args,
    event: &str,
    span: impl Fn(&Zset) -> (usize, usize),
) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(id) = write_zset(db, args.get(1), now)? else {
        out.int(0);
        return Ok(());
    };
    let z = as_zset_mut(db.value_mut(id));
    let (s, e) = span(z);
    let n = z.remove_range(s, e);
    let emptied = delete_if_empty(db, id);
    out.int(n as i64);
    ctx.dirty += n as u64;
    if n > 0 {
        notify_change(ctx, event, args.get(1), emptied);
    }
    Ok(())
}

fn zremrangebyrank(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (start, stop) = (int_arg(args.get(2))?, int_arg(args.get(3))?);
    zremrange(ctx, args, "zremrangebyrank", |z| {
        rank_span(z.len(), start, stop)
    })
}

fn zremrangebyscore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let r = parse_score_range(args.get(2), args.get(3))?;
    zremrange(ctx, args, "zremrangebyscore", |z| score_span(z, &r))
}

fn zremrangebylex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let r = parse_lex_range(args.get(2), args.get(3))?;
    zremrange(ctx, args, "zremrangebylex", |z| lex_span(z, &r))
}

// ---------------------------------------------------------------------------
// Reads: ZCARD, ZSCORE, ZMSCORE, ZRANK, ZCOUNT, ZLEXCOUNT
// ---------------------------------------------------------------------------

fn zcard(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let n = match read_zset(db, args.get(1), now)? {
        Some(id) => as_zset(db.value(id))?.len(),
        None => 0,
    };
    out.int(n as i64);
    Ok(())
}

fn zscore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let score = match read_zset(db, args.get(1), now)? {
        Some(id) => as_zset(db.value(id))?.score(args.get(2)),
        None => None,
    };
    match score {
        Some(s) => out.double(s),
        None => out.null(),
    }
    Ok(())
}

fn zmscore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let z = match read_zset(db, args.get(1), now)? {
        Some(id) => Some(as_zset(db.value(id))?),
        None => None,
    };
    out.array(args.len() - 2);
    for m in args.iter_from(2) {
        match z.and_then(|z| z.score(m)) {
            Some(s) => out.double(s),
            None => out.null(),
        }
    }
    Ok(())
}

fn zrank_generic(ctx: &mut Ctx, args: &Args, rev: bool) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let rank = match read_zset(db, args.get(1), now)? {
        Some(id) => {
            let z = as_zset(db.value(id))?;
            z.rank(args.get(2))
                .map(|(r, _)| if rev { z.len() - 1 - r } else { r })
        }
        None => None,
    };
    match rank {
        Some(r) => out.int(r as i64),
        None => out.null(),
    }
    Ok(())
}

fn zrank(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrank_generic(ctx, args, false)
}

fn zrevrank(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrank_generic(ctx, args, true)
}

/// ZCOUNT/ZLEXCOUNT: the size of a span, the range parsed first.
fn count_span(ctx: &mut Ctx, args: &Args, span: impl Fn(&Zset) -> (usize, usize)) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let n = match read_zset(db, args.get(1), now)? {
        Some(id) => {
            let (s, e) = span(as_zset(db.value(id))?);
            e - s
        }
        None => 0,
    };
    out.int(n as i64);
    Ok(())
}

fn zcount(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let r = parse_score_range(args.get(2), args.get(3))?;
    count_span(ctx, args, |z| score_span(z, &r))
}

fn zlexcount(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let r = parse_lex_range(args.get(2), args.get(3))?;
    count_span(ctx, args, |z| lex_span(z, &r))
}

// ---------------------------------------------------------------------------
// The ZRANGE family
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum By {
    Auto,
    Rank,
    Score,
    Lex,
}

/// A parsed range request.
struct RangeQuery<'a> {
    by: By,
    rev: bool,
    withscores: bool,
    /// LIMIT offset count.
    limit: Option<(i64, i64)>,
    /// The range arguments, in (min, max) roles (swapped for reverse score
    /// and lex ranges, which are written max first).
    min: &'a [u8],
    max: &'a [u8],
}

/// Parses `key min max [options]` starting at `at` (the key): `by` and `rev`
/// are fixed by the command, or `By::Auto` / None to accept BYSCORE, BYLEX
/// and REV (ZRANGE, ZRANGESTORE); `store` refuses WITHSCORES.
fn parse_range<'a>(
    args: &Args<'a>,
    at: usize,
    by: By,
    rev: Option<bool>,
    store: bool,
) -> Result<RangeQuery<'a>, CmdError> {
    let mut q = RangeQuery {
        by,
        rev: rev.unwrap_or(false),
        withscores: false,
        limit: None,
        min: args.get(at + 1),
        max: args.get(at + 2),
    };
    let mut rev_given = rev.is_some();
    let mut j = at + 3;
    while j < args.len() {
        let left = args.len() - j - 1;
        if !store && args.is(j, "withscores") {
            q.withscores = true;
        } else if args.is(j, "limit") && left >= 2 {
            q.limit = Some((int_arg(args.get(j + 1))?, int_arg(args.get(j + 2))?));
            j += 2;
        } else if !rev_given && args.is(j, "rev") {
            q.rev = true;
            rev_given = true;
        } else if q.by == By::Auto && args.is(j, "bylex") {
            q.by = By::Lex;
        } else if q.by == By::Auto && args.is(j, "byscore") {
            q.by = By::Score;
        } else {
            return err(SYNTAX);
        }
        j += 1;
    }
    if q.by == By::Auto {
        q.by = By::Rank;
    }
    if q.by == By::Rank {
        // By rank, Redis accepts (and ignores) a LIMIT whose count is -1.
        match q.limit {
            Some((_, -1)) => q.limit = None,
            Some(_) => {
                return err(
                    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
                )
            }
            None => {}
        }
    }
    if q.withscores && q.by == By::Lex {
        return err("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    }
    if q.rev && q.by != By::Rank {
        std::mem::swap(&mut q.min, &mut q.max);
    }
    Ok(q)
}

/// A range query with its bounds parsed.
enum Bounds<'a> {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange<'a>),
}

fn parse_bounds<'a>(q: &RangeQuery<'a>) -> Result<Bounds<'a>, CmdError> {
    Ok(match q.by {
        By::Score => Bounds::Score(parse_score_range(q.min, q.max)?),
        By::Lex => Bounds::Lex(parse_lex_range(q.min, q.max)?),
        _ => Bounds::Rank(int_arg(q.min)?, int_arg(q.max)?),
    })
}

/// The ranks `[start, end)` a query selects (walked backwards when `rev`),
/// LIMIT applied in the walking direction.
fn resolve(z: &Zset, q: &RangeQuery, b: &Bounds) -> (usize, usize) {
    let (a, e) = match b {
        Bounds::Rank(start, stop) => {
            let (s, e) = rank_span(z.len(), *start, *stop);
            if q.rev && s < e {
                return (z.len() - e, z.len() - s);
            }
            return (s, e);
        }
        Bounds::Score(r) => score_span(z, r),
        Bounds::Lex(r) => lex_span(z, r),
    };
    let Some((off, count)) = q.limit else {
        return (a, e);
    };
    if off < 0 {
        return (0, 0);
    }
    let n = e - a;
    let off = usize::try_from(off).unwrap_or(usize::MAX).min(n);
    let avail = n - off;
    let take = usize::try_from(count).map_or(avail, |c| c.min(avail));
    if q.rev {
        (e - off - take, e - off)
    } else {
        (a + off, a + off + take)
    }
}

fn zrange_reply(ctx: &mut Ctx, args: &Args, by: By, rev: Option<bool>) -> CmdResult {
    let q = parse_range(args, 1, by, rev, false)?;
    let b = parse_bounds(&q)?;
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(id) = read_zset(db, args.get(1), now)? else {
        out.array(0);
        return Ok(());
    };
    let z = as_zset(db.value(id))?;
    let span = resolve(z, &q, &b);
    reply_ranks(out, z, span, q.rev, q.withscores);
    Ok(())
}

fn zrange(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_reply(ctx, args, By::Auto, None)
}

fn zrevrange(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_reply(ctx, args, By::Rank, Some(true))
}

fn zrangebyscore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_reply(ctx, args, By::Score, Some(false))
}

fn zrevrangebyscore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_reply(ctx, args, By::Score, Some(true))
}

fn zrangebylex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_reply(ctx, args, By::Lex, Some(false))
}

fn zrevrangebylex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_reply(ctx, args, By::Lex, Some(true))
}

fn zrangestore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let q = parse_range(args, 2, By::Auto, None, true)?;
    let b = parse_bounds(&q)?;
    let lim = limits(ctx);
    let now = ctx.now;
    let db = ctx.db();
    let mut result = Zset::new();
    if let Some(id) = read_zset(db, args.get(2), now)? {
        let z = as_zset(db.value(id))?;
        let (s, e) = resolve(z, &q, &b);
        // As Redis: the result starts as a listpack unless the count of a
        // rank range says it cannot be one (a score or lex range has no
        // count), and members are added in the order the range walks, so a
        // conversion (and what a listpack makes of a -0 score) happens
        // where Redis's does.
        let hint = if matches!(b, Bounds::Rank(..)) {
            e - s
        } else {
            0
        };
        result = Zset::with_len_hint(hint, lim);
        z.range(s, e, q.rev, |m, sc| {
            result.set(m, sc, lim);
        });
    }
    let n = result.len();
    store(ctx, args.get(1), result, "zrangestore");
    ctx.out.int(n as i64);
    Ok(())
}

// ---------------------------------------------------------------------------
// Pops: ZPOPMIN, ZPOPMAX, ZMPOP, BZPOPMIN, BZPOPMAX, BZMPOP
// ---------------------------------------------------------------------------

/// Pops up to `count` members from the low (`max` false) or high end of the
/// sorted set under `id`, replying as it goes: `header(out, n)` once, then
/// `each(out, member, score)` straight from the set before each removal (no
/// copy). Deletes the key once empty; returns how many were popped and
/// whether the key was deleted.
fn pop_reply(
    db: &mut Db,
    out: &mut ReplyBuf,
    id: EntryId,
    (max, count): (bool, usize),
    header: impl FnOnce(&mut ReplyBuf, usize),
    mut each: impl FnMut(&mut ReplyBuf, &[u8], f64),
) -> (usize, bool) {
    let z = as_zset_mut(db.value_mut(id));
    let n = count.min(z.len());
    header(out, n);
    for _ in 0..n {
        let r = if max { z.len() - 1 } else { 0 };
        let (m, s) = z.get(r);
        each(out, m, s);
        z.remove_range(r, r + 1);
    }
    (n, delete_if_empty(db, id))
}

/// A member and its score as two flat elements (ZPOPMIN without a count,
/// BZPOPMIN).
fn emit_flat(out: &mut ReplyBuf, m: &[u8], s: f64) {
    out.bulk(m);
    out.double(s);
}

/// A member and its score as a pair in both protocols (ZMPOP).
fn emit_nested(out: &mut ReplyBuf, m: &[u8], s: f64) {
    out.array(2);
    emit_flat(out, m, s);
}

fn zpop_generic(ctx: &mut Ctx, args: &Args, max: bool) -> CmdResult {
    if args.len() > 3 {
        return err(SYNTAX);
    }
    let count = if args.len() == 3 {
        let c = parse_i64(args.get(2))
            .filter(|&c| c >= 0)
            .ok_or(CmdError::from(NOT_POSITIVE))?;
        Some(usize::try_from(c).unwrap_or(usize::MAX))
    } else {
        None
    };
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(id) = write_zset(db, args.get(1), now)? else {
        out.array(0);
        return Ok(());
    };
    let (n, emptied) = match count {
        None => pop_reply(db, out, id, (max, 1), |o, n| o.array(2 * n), emit_flat),
        Some(c) => pop_reply(
            db,
            out,
            id,
            (max, c),
            |o, n| range_header(o, n, true),
            emit_pair,
        ),
    };
    ctx.dirty += n as u64;
    if n > 0 {
        notify_change(ctx, pop_event(max), args.get(1), emptied);
    }
    Ok(())
}

fn zpopmin(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zpop_generic(ctx, args, false)
}

fn zpopmax(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zpop_generic(ctx, args, true)
}

/// BZPOPMIN/BZPOPMAX: the first key holding members, else block.
fn bzpop_generic(ctx: &mut Ctx, args: &Args, max: bool) -> CmdResult {
    let deadline = parse_timeout(args.get(args.len() - 1), ctx.now)?;
    let keys: Vec<&[u8]> = args.iter_from(1).take(args.len() - 2).collect();
    let now = ctx.now;
    for &k in &keys {
        let (db, out) = ctx.db_out();
        let Some(id) = write_zset(db, k, now)? else {
            continue;
        };
        let header = |o: &mut ReplyBuf, _| {
            o.array(3);
            o.bulk(k);
        };
        let (n, emptied) = pop_reply(db, out, id, (max, 1), header, emit_flat);
        ctx.dirty += n as u64;
        // Propagated as the non-blocking form.
        ctx.propagate_as(&[zpop_name(max), k]);
        notify_change(ctx, pop_event(max), k, emptied);
        return Ok(());
    }
    if !ctx.can_block() {
        ctx.out.null_array();
        return Ok(());
    }
    ctx.block(&keys, deadline, BlockKind::Zset);
    Ok(())
}

/// The pop a served blocking pop or a ZMPOP propagates as.
fn zpop_name(max: bool) -> &'static [u8] {
    if max {
        b"ZPOPMAX"
    } else {
        b"ZPOPMIN"
    }
}

fn bzpopmin(ctx: &mut Ctx, args: &Args) -> CmdResult {
    bzpop_generic(ctx, args, false)
}

fn bzpopmax(ctx: &mut Ctx, args: &Args) -> CmdResult {
    bzpop_generic(ctx, args, true)
}

/// ZMPOP's arguments from `numkeys` on: the keys, the end, the count.
fn parse_mpop<'a>(args: &Args<'a>, at: usize) -> Result<(Vec<&'a [u8]>, bool, usize), CmdError> {
    let numkeys = parse_i64(args.get(at))
        .filter(|&n| n > 0)
        .ok_or(CmdError::from(NUMKEYS))?;
    let left = (args.len() - at - 1) as i64;
    if numkeys >= left {
        return err(SYNTAX);
    }
    let nk = numkeys as usize;
    let keys: Vec<&[u8]> = args.iter_from(at + 1).take(nk).collect();
    let w = at + 1 + nk;
    let max = if args.is(w, "min") {
        false
    } else if args.is(w, "max") {
        true
    } else {
        return err(SYNTAX);
    };
    let mut count = 1usize;
    let mut count_given = false;
    let mut j = w + 1;
    while j < args.len() {
        if !count_given && args.is(j, "count") && j + 1 < args.len() {
            count_given = true;
            let c = parse_i64(args.get(j + 1))
                .filter(|&c| c > 0)
                .ok_or(CmdError::from(COUNT_POSITIVE))?;
            count = usize::try_from(c).unwrap_or(usize::MAX);
            j += 2;
        } else {
            return err(SYNTAX);
        }
    }
    Ok((keys, max, count))
}

/// ZMPOP and BZMPOP once parsed: pops from the first non-empty key.
/// Returns false when no key held members (nothing written).
fn mpop_from(ctx: &mut Ctx, keys: &[&[u8]], max: bool, count: usize) -> Result<bool, CmdError> {
    let now = ctx.now;
    for &k in keys {
        let (db, out) = ctx.db_out();
        let Some(id) = write_zset(db, k, now)? else {
            continue;
        };
        let header = |o: &mut ReplyBuf, n| {
            o.array(2);
            o.bulk(k);
            o.array(n);
        };
        let (n, emptied) = pop_reply(db, out, id, (max, count), header, emit_nested);
        ctx.dirty += n as u64;
        // Propagated as `ZPOPMIN|ZPOPMAX key n` (n: the members popped).
        if ctx.propagating() {
            let n = propagate::int_arg(n as i64);
            ctx.propagate_as(&[zpop_name(max), k, &n]);
        }
        notify_change(ctx, pop_event(max), k, emptied);
        return Ok(true);
    }
    Ok(false)
}

fn zmpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (keys, max, count) = parse_mpop(args, 1)?;
    if !mpop_from(ctx, &keys, max, count)? {
        ctx.out.null_array();
    }
    Ok(())
}

fn bzmpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let deadline = parse_timeout(args.get(1), ctx.now)?;
    let (keys, max, count) = parse_mpop(args, 2)?;
    if mpop_from(ctx, &keys, max, count)? {
        return Ok(());
    }
    if !ctx.can_block() {
        ctx.out.null_array();
        return Ok(());
    }
    ctx.block(&keys, deadline, BlockKind::Zset);
    Ok(())
}

// ---------------------------------------------------------------------------
// ZRANDMEMBER, ZSCAN
// ---------------------------------------------------------------------------

fn zrandmember(ctx: &mut Ctx, args: &Args) -> CmdResult {
    // As Redis: the count is read first, then the options are checked.
    let parsed = if args.len() >= 3 {
        Some(int_arg(args.get(2))?)
    } else {
        None
    };
    if args.len() > 4 || (args.len() == 4 && !args.is(3, "withscores")) {
        return err(SYNTAX);
    }
    let withscores = args.len() == 4;
    let count = if let Some(c) = parsed {
        if c == i64::MIN {
            return err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
        }
        if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&c) {
            return err("ERR value is out of range");
        }
        Some(c)
    } else {
        None
    };
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(id) = read_zset(db, args.get(1), now)? else {
        match count {
            None => out.null(),
            Some(_) => out.array(0),
        }
        return Ok(());
    };
    let z = as_zset(db.value(id))?;
    let mut rand = random_u64;
    let Some(count) = count else {
        if let Some((m, _)) = z.random(&mut rand) {
            out.bulk(m);
        }
        return Ok(());
    };
    let emit = |out: &mut ReplyBuf, m: &[u8], s: f64| {
        if withscores {
            emit_pair(out, m, s);
        } else {
            out.bulk(m);
        }
    };
    if count < 0 {
        // Repetitions allowed: |count| independent picks.
        let n = count.unsigned_abs() as usize;
        range_header(out, n, withscores);
        for _ in 0..n {
            if let Some((m, s)) = z.random(&mut rand) {
                emit(out, m, s);
            }
        }
        return Ok(());
    }
    let len = z.len();
    let n = (count as usize).min(len);
    range_header(out, n, withscores);
    if n == len {
        // The whole set, in reverse rank order as Redis replies it.
        z.range(0, len, true, |m, s| emit(out, m, s));
        return Ok(());
    }
    // Distinct ranks, chosen by a partial shuffle when many are wanted, by
    // rejection when few.
    let ranks: Vec<usize> = if n * 3 > len {
        let mut all: Vec<usize> = (0..len).collect();
        for i in 0..n {
            let j = i + (rand() % (len - i) as u64) as usize;
            all.swap(i, j);
        }
        all.truncate(n);
        all
    } else {
        let mut seen = std::collections::HashSet::with_capacity(n);
        let mut v = Vec::with_capacity(n);
        while v.len() < n {
            let r = (rand() % len as u64) as usize;
            if seen.insert(r) {
                v.push(r);
            }
        }
        v
    };
    for r in ranks {
        let (m, s) = z.get(r);
        emit(out, m, s);
    }
    Ok(())
}

fn zscan(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let cursor = parse_cursor(args.get(2)).ok_or(CmdError::from("ERR invalid cursor"))?;
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(id) = read_zset(db, args.get(1), now)? else {
        out.array(2);
        out.bulk(b"0");
        out.array(0);
        return Ok(());
    };
    let o = super::keys::parse_scan_opts(args, 3, false)?;
    let (count, pattern) = (o.count_usize(), o.pattern);
    let z = as_zset(db.value(id))?;
    let mut found: Vec<(&[u8], f64)> = Vec::new();
    let next = z.scan(cursor, count, |m, s| {
        if pattern.is_none_or(|p| glob_match(p, m, false)) {
            found.push((m, s));
        }
    });
    out.array(2);
    out.bulk(next.to_string().as_bytes());
    out.array(found.len() * 2);
    let mut tmp = Vec::with_capacity(32);
    for (m, s) in found {
        out.bulk(m);
        tmp.clear();
        fmt_double(s, &mut tmp);
        out.bulk(&tmp);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Set operations: ZUNION, ZINTER, ZDIFF (+STORE), ZINTERCARD
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

impl SetOp {
    /// The keyspace event of the STORE form.
    fn store_event(self) -> &'static str {
        match self {
            SetOp::Union => "zunionstore",
            SetOp::Inter => "zinterstore",
            SetOp::Diff => "zdiffstore",
        }
    }
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// Owned members and scores (a set operation's result).
type Members = Vec<(Vec<u8>, f64)>;

/// One input of a set operation.
enum Input<'a> {
    Empty,
    Zset(&'a Zset),
    /// A plain set's members (score 1).
    Set(HashMap<Vec<u8>, (), FastBuildHasher>),
}

impl Input<'_> {
    fn len(&self) -> usize {
        match self {
            Input::Empty => 0,
            Input::Zset(z) => z.len(),
            Input::Set(s) => s.len(),
        }
    }

    fn score(&self, m: &[u8]) -> Option<f64> {
        match self {
            Input::Empty => None,
            Input::Zset(z) => z.score(m),
            Input::Set(s) => s.contains_key(m).then_some(1.0),
        }
    }

    fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            Input::Empty => {}
            Input::Zset(z) => z.for_each(f),
            Input::Set(s) => s.keys().for_each(|m| f(m, 1.0)),
        }
    }
}

/// Opens the inputs (WRONGTYPE for anything but a sorted set or a set).
fn open_inputs<'a>(db: &'a mut Db, keys: &[&[u8]], now: i64) -> Result<Vec<Input<'a>>, CmdError> {
    let mut ids = Vec::with_capacity(keys.len());
    for &k in keys {
        let id = db.lookup_read(k, now);
        if let Some(id) = id {
            if !matches!(db.value(id), Value::Zset(_) | Value::Set(_)) {
                return err(WRONGTYPE);
            }
        }
        ids.push(id);
    }
    let db: &'a Db = db;
    Ok(ids
        .into_iter()
        .map(|id| match id.map(|id| db.value(id)) {
            Some(Value::Zset(z)) => Input::Zset(z),
            Some(Value::Set(s)) => {
                let mut h = HashMap::default();
                s.for_each(|m| {
                    h.insert(m.to_vec(), ());
                });
                Input::Set(h)
            }
            _ => Input::Empty,
        })
        .collect())
}

fn weighted(score: f64, w: f64) -> f64 {
    let v = score * w;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

fn aggregate(agg: Aggregate, acc: f64, v: f64) -> f64 {
    match agg {
        Aggregate::Sum => {
            let s = acc + v;
            if s.is_nan() {
                0.0
            } else {
                s
            }
        }
        // As Redis: a NaN or an equal value (-0 against 0) keeps `acc`.
        Aggregate::Min => {
            if v < acc {
                v
            } else {
                acc
            }
        }
        Aggregate::Max => {
            if v > acc {
                v
            } else {
                acc
            }
        }
    }
}

/// Parsed options of a set operation.
struct SetOpArgs<'a> {
    keys: Vec<&'a [u8]>,
    weights: Vec<f64>,
    agg: Aggregate,
    withscores: bool,
}

/// Parses `numkeys key... [WEIGHTS w...] [AGGREGATE a] [WITHSCORES]` from
/// `at`, opening the inputs (type errors come before option errors, as
/// Redis), and computes the result in order.
fn set_op(
    ctx: &mut Ctx,
    args: &Args,
    at: usize,
    op: SetOp,
    store: bool,
) -> Result<(Members, bool), CmdError> {
    let name = String::from_utf8_lossy(args.get(0)).to_ascii_lowercase();
    let numkeys = int_arg(args.get(at))?;
    if numkeys < 1 {
        return Err(CmdError::from(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        )));
    }
    if numkeys > (args.len() - at - 1) as i64 {
        return err(SYNTAX);
    }
    let nk = numkeys as usize;
    let mut o = SetOpArgs {
        keys: args.iter_from(at + 1).take(nk).collect(),
        weights: vec![1.0; nk],
        agg: Aggregate::Sum,
        withscores: false,
    };
    let now = ctx.now;
    let inputs = open_inputs(ctx.db(), &o.keys, now)?;
    let mut j = at + 1 + nk;
    while j < args.len() {
        let left = args.len() - j - 1;
        if op != SetOp::Diff && args.is(j, "weights") && left >= nk {
            for (i, w) in o.weights.iter_mut().enumerate() {
                *w = parse_f64(args.get(j + 1 + i))
                    .ok_or(CmdError::from("ERR weight value is not a float"))?;
            }
            j += nk;
        } else if op != SetOp::Diff && args.is(j, "aggregate") && left >= 1 {
            let a = args.get(j + 1);
            o.agg = if a.eq_ignore_ascii_case(b"sum") {
                Aggregate::Sum
            } else if a.eq_ignore_ascii_case(b"min") {
                Aggregate::Min
            } else if a.eq_ignore_ascii_case(b"max") {
                Aggregate::Max
            } else {
                return err(SYNTAX);
            };
            j += 1;
        } else if !store && args.is(j, "withscores") {
            o.withscores = true;
        } else {
            return err(SYNTAX);
        }
        j += 1;
    }
    let mut result = compute(&inputs, &o, op);
    // Scores compare as numbers (-0 equals 0), then members by bytes.
    result.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
    Ok((result, o.withscores))
}

/// The members of a set operation with their scores, in no order.
fn compute(inputs: &[Input], o: &SetOpArgs, op: SetOp) -> Members {
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    match op {
        SetOp::Union => {
            order.sort_by_key(|&i| inputs[i].len());
            let mut acc: HashMap<Vec<u8>, f64, FastBuildHasher> = HashMap::default();
            for &i in &order {
                let w = o.weights[i];
                inputs[i].for_each(|m, s| {
                    let v = weighted(s, w);
                    match acc.get_mut(m) {
                        Some(a) => *a = aggregate(o.agg, *a, v),
                        None => {
                            acc.insert(m.to_vec(), v);
                        }
                    }
                });
            }
            acc.into_iter().collect()
        }
        SetOp::Inter => {
            order.sort_by_key(|&i| inputs[i].len());
            let mut out = Vec::new();
            let (first, rest) = order.split_first().unwrap_or((&0, &[]));
            inputs[*first].for_each(|m, s| {
                let mut acc = weighted(s, o.weights[*first]);
                for &i in rest {
                    // Redis weighs the other inputs with no NaN check: a
                    // NaN then vanishes in the aggregate (0 for SUM).
                    match inputs[i].score(m) {
                        Some(v) => acc = aggregate(o.agg, acc, v * o.weights[i]),
                        None => return,
                    }
                }
                out.push((m.to_vec(), acc));
            });
            out
        }
        SetOp::Diff => {
            let mut out = Vec::new();
            inputs[0].for_each(|m, s| {
                if inputs[1..].iter().all(|inp| inp.score(m).is_none()) {
                    out.push((m.to_vec(), s));
                }
            });
            out
        }
    }
}

fn set_op_reply(ctx: &mut Ctx, args: &Args, op: SetOp) -> CmdResult {
    let (result, withscores) = set_op(ctx, args, 1, op, false)?;
    let out = &mut *ctx.out;
    range_header(out, result.len(), withscores);
    for (m, s) in &result {
        if withscores {
            emit_pair(out, m, *s);
        } else {
            out.bulk(m);
        }
    }
    Ok(())
}

fn set_op_store(ctx: &mut Ctx, args: &Args, op: SetOp) -> CmdResult {
    let (result, _) = set_op(ctx, args, 2, op, true)?;
    // As Redis: built as a skiplist, then made a listpack if it fits.
    let lim = limits(ctx);
    let fits =
        result.len() <= lim.max_entries && result.iter().all(|(m, _)| m.len() <= lim.max_value);
    let mut z = Zset::empty(fits);
    for (m, s) in &result {
        z.push_sorted(m, *s);
    }
    let n = z.len();
    store(ctx, args.get(1), z, op.store_event());
    ctx.out.int(n as i64);
    Ok(())
}

fn zunion(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_reply(ctx, args, SetOp::Union)
}

fn zinter(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_reply(ctx, args, SetOp::Inter)
}

fn zdiff(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_reply(ctx, args, SetOp::Diff)
}

fn zunionstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_store(ctx, args, SetOp::Union)
}

fn zinterstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_store(ctx, args, SetOp::Inter)
}

fn zdiffstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_store(ctx, args, SetOp::Diff)
}

fn zintercard(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let numkeys = int_arg(args.get(1))?;
    if numkeys < 1 {
        return err("ERR at least 1 input key is needed for 'zintercard' command");
    }
    if numkeys > (args.len() - 2) as i64 {
        return err(SYNTAX);
    }
    let nk = numkeys as usize;
    let keys: Vec<&[u8]> = args.iter_from(2).take(nk).collect();
    let now = ctx.now;
    let inputs = open_inputs(ctx.db(), &keys, now)?;
    let mut limit = 0usize;
    let mut j = 2 + nk;
    while j < args.len() {
        if args.is(j, "limit") && j + 1 < args.len() {
            let l = parse_i64(args.get(j + 1))
                .filter(|&l| l >= 0)
                .ok_or(CmdError::from("ERR LIMIT can't be negative"))?;
            limit = usize::try_from(l).unwrap_or(usize::MAX);
            j += 2;
        } else {
            return err(SYNTAX);
        }
    }
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    order.sort_by_key(|&i| inputs[i].len());
    let (first, rest) = order.split_first().unwrap_or((&0, &[]));
    let mut n = 0usize;
    // Stops early once the limit is reached (the walk itself cannot stop,
    // so the remaining members are skipped cheaply).
    inputs[*first].for_each(|m, _| {
        if limit != 0 && n >= limit {
            return;
        }
        if rest.iter().all(|&i| inputs[i].score(m).is_some()) {
            n += 1;
        }
    });
    ctx.out.int(n as i64);
    Ok(())
}
