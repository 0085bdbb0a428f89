//! Hash commands: HSET, HMSET, HSETNX, HGET, HMGET, HDEL, HLEN, HSTRLEN,
//! HEXISTS, HKEYS, HVALS, HGETALL, HINCRBY, HINCRBYFLOAT, HRANDFIELD and
//! HSCAN.
//!
//! The file has three parts: lookups that turn a key into a hash (or
//! WRONGTYPE), the handlers, which parse arguments in Redis's order (so the
//! first error reported is Redis's) and write replies straight from the stored
//! bytes, and the command table. The operations on the value itself live in
//! `keyspace::hash`.
//!
//! Each write reports its keyspace events (`Ctx::notify`, see
//! `server::notify`) right after its change, with Redis 7.0's names and
//! order; a key emptied by the command reports `del` after the command's
//! own event, and a command that changes nothing reports nothing.

use std::cell::RefCell;

use super::keys::parse_cursor;
use super::table::{
    Acl, Arg, ArgFlags, ArgType, Args, CommandSpec, DocFlags, Flags, Group, KeyFlags, Keys, ARG,
    BASE,
};
use super::Ctx;
use crate::error::{
    err, wrong_arity, CmdError, CmdResult, NAN_OR_INF, NOT_FLOAT, NOT_INTEGER, OVERFLOW, SYNTAX,
    WRONGTYPE,
};
use crate::keyspace::db::Db;
use crate::keyspace::dict::EntryId;
use crate::keyspace::hash::{Hash, Limits, Val};
use crate::keyspace::value::Value;
use crate::protocol::reply::ReplyBuf;
use crate::server::notify;
use crate::util::glob::glob_match;
use crate::util::numbers::{int_digits, parse_i64, parse_long_double, LongDouble, LongDoubleValue};
use crate::util::rng::Rng;

const HASH_NOT_INTEGER: &str = "ERR hash value is not an integer";
const HASH_NOT_FLOAT: &str = "ERR hash value is not a float";
const INCR_NAN_OR_INF: &str = "ERR value is NaN or Infinity";
const OUT_OF_RANGE: &str = "ERR value is out of range";
const COUNT_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

/// Largest number of pairs HRANDFIELD repeats for a negative count. Redis 7.0
/// accepts counts down to -2^62 and then dies allocating the reply; we refuse
/// what no client could read instead (with Redis's out-of-range message).
const MAX_REPEATED_PICKS: u64 = 1 << 32;

// ---------------------------------------------------------------------------
// Lookups
// ---------------------------------------------------------------------------

/// The listpack limits from the config.
fn limits(ctx: &Ctx) -> Limits {
    let c = &ctx.srv.config;
    Limits::new(c.hash_max_listpack_entries, c.hash_max_listpack_value)
}

/// The hash at `key` for a read command (counts a hit or miss): None when the
/// key is missing, WRONGTYPE when it holds another type.
fn read_hash<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Result<Option<&'a Hash>, CmdError> {
    match db.lookup_read(key, now) {
        None => Ok(None),
        Some(id) => match db.value(id) {
            Value::Hash(h) => Ok(Some(h)),
            _ => err(WRONGTYPE),
        },
    }
}

/// The entry of the hash at `key` for a write command: None when missing,
/// WRONGTYPE when it holds another type.
fn find_hash(db: &mut Db, key: &[u8], now: i64) -> Result<Option<EntryId>, CmdError> {
    match db.lookup(key, now) {
        None => Ok(None),
        Some(id) if matches!(db.value(id), Value::Hash(_)) => Ok(Some(id)),
        Some(_) => err(WRONGTYPE),
    }
}

/// The hash of a live entry found by `find_hash`.
fn hash_mut(db: &mut Db, id: EntryId) -> Result<&mut Hash, CmdError> {
    match db.value_mut(id) {
        Value::Hash(h) => Ok(h),
        _ => err(WRONGTYPE),
    }
}

/// The hash at `key` for writing, created empty when missing.
fn hash_or_create<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Result<&'a mut Hash, CmdError> {
    let id = match find_hash(db, key, now)? {
        Some(id) => id,
        None => db.add(key, Value::Hash(Default::default()), now),
    };
    hash_mut(db, id)
}

/// Writes a stored value as a bulk string (an integer straight from binary).
fn reply_val(out: &mut ReplyBuf, v: Val) {
    match v {
        Val::Bytes(b) => out.bulk(b),
        Val::Int(n) => out.bulk_i64(n),
    }
}

// ---------------------------------------------------------------------------
// Setting and getting fields
// ---------------------------------------------------------------------------

/// HSET and HMSET: sets every pair; returns how many fields were new.
fn set_pairs(ctx: &mut Ctx, args: &Args, name: &str) -> Result<i64, CmdError> {
    if !args.len().is_multiple_of(2) {
        return Err(wrong_arity(name));
    }
    let (now, lim) = (ctx.now, limits(ctx));
    let h = hash_or_create(ctx.db(), args.get(1), now)?;
    let mut added = 0;
    for i in (2..args.len()).step_by(2) {
        added += h.set(args.get(i), args.get(i + 1), lim) as i64;
    }
    ctx.dirty += (args.len() as u64 - 2) / 2;
    ctx.notify(notify::HASH, "hset", args.get(1));
    Ok(added)
}

fn hset(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let added = set_pairs(ctx, args, "hset")?;
    ctx.out.int(added);
    Ok(())
}

fn hmset(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_pairs(ctx, args, "hmset")?;
    ctx.out.ok();
    Ok(())
}

fn hsetnx(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (now, lim) = (ctx.now, limits(ctx));
    let h = hash_or_create(ctx.db(), args.get(1), now)?;
    let added = !h.contains(args.get(2)) && h.set(args.get(2), args.get(3), lim);
    ctx.dirty += added as u64;
    if added {
        ctx.notify(notify::HASH, "hset", args.get(1));
    }
    ctx.out.int(added as i64);
    Ok(())
}

fn hget(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    match read_hash(db, args.get(1), now)?.and_then(|h| h.get(args.get(2))) {
        Some(v) => reply_val(out, v),
        None => out.null(),
    }
    Ok(())
}

fn hmget(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let h = read_hash(db, args.get(1), now)?;
    out.array(args.len() - 2);
    for f in args.iter_from(2) {
        match h.and_then(|h| h.get(f)) {
            Some(v) => reply_val(out, v),
            None => out.null(),
        }
    }
    Ok(())
}

fn hdel(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let db = ctx.db();
    let Some(id) = find_hash(db, args.get(1), now)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let h = hash_mut(db, id)?;
    let mut deleted = 0;
    for f in args.iter_from(2) {
        if h.remove(f) {
            deleted += 1;
            if h.is_empty() {
                break;
            }
        }
    }
    let emptied = h.is_empty();
    if emptied {
        db.remove_id(id);
    }
    ctx.dirty += deleted;
    if deleted > 0 {
        ctx.notify(notify::HASH, "hdel", args.get(1));
    }
    if emptied {
        ctx.notify(notify::GENERIC, "del", args.get(1));
    }
    ctx.out.int(deleted as i64);
    Ok(())
}

fn hlen(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let n = read_hash(db, args.get(1), now)?.map_or(0, Hash::len);
    out.int(n as i64);
    Ok(())
}

fn hstrlen(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let h = read_hash(db, args.get(1), now)?;
    let n = h.and_then(|h| h.get(args.get(2))).map_or(0, |v| v.len());
    out.int(n as i64);
    Ok(())
}

fn hexists(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let found = read_hash(db, args.get(1), now)?.is_some_and(|h| h.contains(args.get(2)));
    out.int(found as i64);
    Ok(())
}

/// What HKEYS, HVALS and HGETALL reply with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Fields,
    Values,
    Both,
}

fn reply_all(ctx: &mut Ctx, key: &[u8], part: Part) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let h = read_hash(db, key, now)?;
    let n = h.map_or(0, Hash::len);
    if part == Part::Both {
        out.map(n);
    } else {
        out.array(n);
    }
    if let Some(h) = h {
        h.for_each_val(|f, v| match part {
            Part::Fields => out.bulk(f),
            Part::Values => reply_val(out, v),
            Part::Both => {
                out.bulk(f);
                reply_val(out, v);
            }
        });
    }
    Ok(())
}

fn hkeys(ctx: &mut Ctx, args: &Args) -> CmdResult {
    reply_all(ctx, args.get(1), Part::Fields)
}

fn hvals(ctx: &mut Ctx, args: &Args) -> CmdResult {
    reply_all(ctx, args.get(1), Part::Values)
}

fn hgetall(ctx: &mut Ctx, args: &Args) -> CmdResult {
    reply_all(ctx, args.get(1), Part::Both)
}

// ---------------------------------------------------------------------------
// Counters
// ---------------------------------------------------------------------------

fn hincrby(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let delta = parse_i64(args.get(3)).ok_or(CmdError::from(NOT_INTEGER))?;
    let (now, lim) = (ctx.now, limits(ctx));
    let field = args.get(2);
    let h = hash_or_create(ctx.db(), args.get(1), now)?;
    let cur = match h.get(field) {
        Some(v) => v.as_i64().ok_or(CmdError::from(HASH_NOT_INTEGER))?,
        None => 0,
    };
    let n = cur.checked_add(delta).ok_or(CmdError::from(OVERFLOW))?;
    let mut tmp = [0u8; 24];
    h.set(field, int_digits(n, &mut tmp), lim);
    ctx.dirty += 1;
    ctx.notify(notify::HASH, "hincrby", args.get(1));
    ctx.out.int(n);
    Ok(())
}

fn hincrbyfloat(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let incr = match parse_long_double(args.get(3)) {
        None => return err(NOT_FLOAT),
        Some(LongDoubleValue::Infinite) => return err(INCR_NAN_OR_INF),
        Some(LongDoubleValue::Finite(d)) => d,
    };
    let (now, lim) = (ctx.now, limits(ctx));
    let field = args.get(2);
    let h = hash_or_create(ctx.db(), args.get(1), now)?;
    let cur = match h.get(field) {
        Some(v) => v
            .with_bytes(parse_long_double)
            .ok_or(CmdError::from(HASH_NOT_FLOAT))?,
        None => LongDoubleValue::Finite(LongDouble::ZERO),
    };
    let sum = match cur {
        LongDoubleValue::Finite(c) => c.sum(incr),
        LongDoubleValue::Infinite => LongDoubleValue::Infinite,
    };
    let LongDoubleValue::Finite(sum) = sum else {
        return err(NAN_OR_INF);
    };
    let mut text = Vec::with_capacity(32);
    sum.fmt_human(&mut text);
    h.set(field, &text, lim);
    ctx.dirty += 1;
    ctx.propagate_as(&[b"HSET", args.get(1), field, &text]);
    ctx.notify(notify::HASH, "hincrbyfloat", args.get(1));
    ctx.out.bulk(&text);
    Ok(())
}

// ---------------------------------------------------------------------------
// HRANDFIELD
// ---------------------------------------------------------------------------

thread_local! {
    static RNG: RefCell<Rng> = RefCell::new(Rng::new(
        crate::keyspace::hasher::process_seed() ^ crate::server::unix_ms() as u64,
    ));
}

/// A random number from the per-thread generator.
fn random_u64() -> u64 {
    RNG.with(|r| r.borrow_mut().next_u64())
}

/// HRANDFIELD's count: an integer in -(2^63-1)..=2^63-1.
fn parse_count(b: &[u8]) -> Result<i64, CmdError> {
    let n = parse_i64(b).ok_or(CmdError::from(NOT_INTEGER))?;
    if n == i64::MIN {
        return err(COUNT_RANGE);
    }
    Ok(n)
}

/// Writes `n` pairs' header: with values, a flat array in RESP2 and an array
/// of pairs in RESP3; else an array of fields.
fn pairs_header(out: &mut ReplyBuf, n: usize, with_values: bool) {
    if with_values && !out.resp3 {
        out.array(n.saturating_mul(2));
    } else {
        out.array(n);
    }
}

fn reply_pair(out: &mut ReplyBuf, f: &[u8], v: Val, with_values: bool) {
    if with_values {
        if out.resp3 {
            out.array(2);
        }
        out.bulk(f);
        reply_val(out, v);
    } else {
        out.bulk(f);
    }
}

fn hrandfield(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() == 2 {
        return hrandfield_one(ctx, args.get(1));
    }
    let count = parse_count(args.get(2))?;
    let with_values = match args.len() {
        3 => false,
        4 if args.is(3, "withvalues") => true,
        _ => return err(SYNTAX),
    };
    // With WITHVALUES the count must fit twice in a long, either sign.
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return err(OUT_OF_RANGE);
    }
    if count < 0 && count.unsigned_abs() > MAX_REPEATED_PICKS {
        return err(OUT_OF_RANGE);
    }
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(h) = read_hash(db, args.get(1), now)? else {
        out.array(0);
        return Ok(());
    };
    let mut rand = random_u64;
    if count < 0 {
        // Repetition allowed: |count| independent picks, streamed.
        let n = count.unsigned_abs() as usize;
        pairs_header(out, n, with_values);
        let picker = h.random_picker();
        for _ in 0..n {
            if let Some((f, v)) = picker.pick(&mut rand) {
                reply_pair(out, f, v, with_values);
            }
        }
        return Ok(());
    }
    let count = count as usize;
    if count >= h.len() {
        // The whole hash, in its order.
        pairs_header(out, h.len(), with_values);
        h.for_each_val(|f, v| reply_pair(out, f, v, with_values));
        return Ok(());
    }
    let picked = h.random_distinct(count, &mut rand);
    pairs_header(out, picked.len(), with_values);
    for (f, v) in picked {
        reply_pair(out, f, v, with_values);
    }
    Ok(())
}

/// HRANDFIELD key: one random field, or nil.
fn hrandfield_one(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let pick = read_hash(db, key, now)?.and_then(|h| h.random_pair(&mut random_u64));
    match pick {
        Some((f, _)) => out.bulk(f),
        None => out.null(),
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// HSCAN
// ---------------------------------------------------------------------------

/// HSCAN's options after the cursor: COUNT (at least 1) and MATCH.
fn parse_hscan_opts<'a>(args: &Args<'a>) -> Result<(usize, Option<&'a [u8]>), CmdError> {
    let o = super::keys::parse_scan_opts(args, 3, false)?;
    Ok((o.count_usize(), o.pattern))
}

fn hscan(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let cursor = parse_cursor(args.get(2)).ok_or(CmdError::from("ERR invalid cursor"))?;
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(h) = read_hash(db, args.get(1), now)? else {
        out.array(2);
        out.bulk(b"0");
        out.array(0);
        return Ok(());
    };
    let (count, pattern) = parse_hscan_opts(args)?;
    let mut found: Vec<(&[u8], Val)> = Vec::new();
    let next = h.scan(cursor, count, |f, v| {
        if pattern.is_none_or(|p| glob_match(p, f, false)) {
            found.push((f, v));
        }
    });
    out.array(2);
    out.bulk(next.to_string().as_bytes());
    out.array(found.len() * 2);
    for (f, v) in found {
        out.bulk(f);
        reply_val(out, v);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

const W_DENYOOM_FAST: Flags = Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST);
const RO_FAST: Flags = Flags::READONLY.or(Flags::FAST);
const HASH_CMD: CommandSpec = CommandSpec {
    acl: Acl::HASH,
    keys: Keys::ONE,
    group: Group::Hash,
    since: "2.0.0",
    ..BASE
};

// Key spec flags, as redis-server 7.0 reports them (commands not listed get
// RO+access or RW+access+update from their command flags).

/// Only the field count or existence is read (HLEN, HEXISTS, HSTRLEN).
const RO: KeyFlags = KeyFlags::RO;
/// Fields removed (HDEL).
const RW_DELETE: KeyFlags = KeyFlags::RW.or(KeyFlags::DELETE);
/// Fields written, nothing returned (HSET, HMSET).
const RW_UPDATE: KeyFlags = KeyFlags::RW.or(KeyFlags::UPDATE);
/// A field added only when absent (HSETNX).
const RW_INSERT: KeyFlags = KeyFlags::RW.or(KeyFlags::INSERT);

// Documented arguments (COMMAND DOCS), as redis-server 7.0 reports them.

const KEY: Arg = super::table::KEY_ARG;
const FIELD: Arg = Arg {
    name: "field",
    ..ARG
};
const FIELDS: Arg = Arg {
    flags: ArgFlags::MULTIPLE,
    ..FIELD
};
const VALUE: Arg = Arg {
    name: "value",
    ..ARG
};
const ARGS_KEY: &[Arg] = &[KEY];
const ARGS_KEY_FIELD: &[Arg] = &[KEY, FIELD];
const ARGS_KEY_FIELDS: &[Arg] = &[KEY, FIELDS];
const ARGS_PAIRS: &[Arg] = &[
    KEY,
    Arg {
        name: "field_value",
        kind: ArgType::Block,
        flags: ArgFlags::MULTIPLE,
        args: &[FIELD, VALUE],
        ..ARG
    },
];
const HRANDFIELD_ARGS: &[Arg] = &[
    KEY,
    Arg {
        name: "options",
        kind: ArgType::Block,
        flags: ArgFlags::OPTIONAL,
        args: &[
            Arg {
                name: "count",
                kind: ArgType::Integer,
                ..ARG
            },
            Arg {
                name: "withvalues",
                kind: ArgType::PureToken,
                token: "WITHVALUES",
                flags: ArgFlags::OPTIONAL,
                ..ARG
            },
        ],
        ..ARG
    },
];
const HSCAN_ARGS: &[Arg] = &[
    KEY,
    super::keys::SCAN_ARGS[0],
    super::keys::SCAN_ARGS[1],
    super::keys::SCAN_ARGS[2],
];

const ALL_FIELDS: &str = "O(N) where N is the number of fields in the hash.";

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "hdel",
        arity: -3,
        flags: Flags::WRITE.or(Flags::FAST),
        summary: "Removes fields from a hash; the key goes with its last field.",
        complexity: "O(N) where N is the number of fields named.",
        key_flags: RW_DELETE,
        history: &[("2.4.0", "Takes several fields.")],
        arguments: ARGS_KEY_FIELDS,
        handler: hdel,
        ..HASH_CMD
    },
    CommandSpec {
        name: "hexists",
        arity: 3,
        flags: RO_FAST,
        summary: "Tells whether a field exists in a hash.",
        key_flags: RO,
        arguments: ARGS_KEY_FIELD,
        handler: hexists,
        ..HASH_CMD
    },
    CommandSpec {
        name: "hget",
        arity: 3,
        flags: RO_FAST,
        summary: "Returns the value of a field of a hash.",
        arguments: ARGS_KEY_FIELD,
        handler: hget,
        ..HASH_CMD
    },
    CommandSpec {
        name: "hgetall",
        arity: 2,
        flags: Flags::READONLY,
        tips: &["nondeterministic_output_order"],
        summary: "Returns every field and value of a hash.",
        complexity: ALL_FIELDS,
        arguments: ARGS_KEY,
        handler: hgetall,
        ..HASH_CMD
    },
    CommandSpec {
        name: "hincrby",
        arity: 4,
        flags: W_DENYOOM_FAST,
        summary: "Adds an integer to the integer value of a field of a hash.",
        arguments: &[
            KEY,
            FIELD,
            Arg {
                name: "increment",
                kind: ArgType::Integer,
                ..ARG
            },
        ],
        handler: hincrby,
        ..HASH_CMD
    },
    CommandSpec {
        name: "hincrbyfloat",
        arity: 4,
        flags: W_DENYOOM_FAST,
        since: "2.6.0",
        summary: "Adds a floating point number to the value of a field of a hash.",
        arguments: &[
            KEY,
            FIELD,
            Arg {
                name: "increment",
                kind: ArgType::Double,
                ..ARG
            },
        ],
        handler: hincrbyfloat,
        ..HASH_CMD
    },
    CommandSpec {
        name: "hkeys",
        arity: 2,
        flags: Flags::READONLY,
        tips: &["nondeterministic_output_order"],
        summary: "Returns every field of a hash.",
        complexity: ALL_FIELDS,
        arguments: ARGS_KEY,
        handler: hkeys,
        ..HASH_CMD
    },
    CommandSpec {
        name: "hlen",
        arity: 2,
        flags: RO_FAST,
        summary: "Returns the number of fields of a hash.",
        key_flags: RO,
        arguments: ARGS_KEY,
        handler: hlen,
        ..HASH_CMD
    },
    CommandSpec {
        name: "hmget",
        arity: -3,
        flags: RO_FAST,
        summary: "Returns the values of several fields of a hash.",
        complexity: "O(N) where N is the number of fields named.",
        arguments: ARGS_KEY_FIELDS,
        handler: hmget,
        ..HASH_CMD
    },
    CommandSpec {
        name: "hmset",
        arity: -4,
        flags: W_DENYOOM_FAST,
        summary: "Sets several fields of a hash.",
        complexity: "O(N) where N is the number of fields set.",
        key_flags: RW_UPDATE,
        doc_flags: DocFlags::DEPRECATED,
        deprecated_since: "4.0.0",
        replaced_by: "`HSET` with multiple field-value pairs",
        arguments: ARGS_PAIRS,
        handler: hmset,
        ..HASH_CMD
    },
    CommandSpec {
        name: "hrandfield",
        arity: -2,
        flags: Flags::READONLY,
        tips: &["nondeterministic_output"],
        since: "6.2.0",
        summary: "Returns random fields of a hash, with or without their values.",
        complexity: "O(N) where N is the number of fields returned.",
        arguments: HRANDFIELD_ARGS,
        handler: hrandfield,
        ..HASH_CMD
    },
    CommandSpec {
        name: "hscan",
        arity: -3,
        flags: Flags::READONLY,
        tips: &["nondeterministic_output"],
        since: "2.8.0",
        summary: "Iterates over the fields and values of a hash with a cursor.",
        complexity: "O(1) per call; O(N) for a full iteration over N fields.",
        arguments: HSCAN_ARGS,
        handler: hscan,
        ..HASH_CMD
    },
    CommandSpec {
        name: "hset",
        arity: -4,
        flags: W_DENYOOM_FAST,
        summary: "Sets fields of a hash, creating it when missing.",
        complexity: "O(1) per field set.",
        key_flags: RW_UPDATE,
        history: &[("4.0.0", "Takes several field and value pairs.")],
        arguments: ARGS_PAIRS,
        handler: hset,
        ..HASH_CMD
    },
    CommandSpec {
        name: "hsetnx",
        arity: 4,
        flags: W_DENYOOM_FAST,
        summary: "Sets a field of a hash only when it does not exist.",
        key_flags: RW_INSERT,
        arguments: &[KEY, FIELD, VALUE],
        handler: hsetnx,
        ..HASH_CMD
    },
    CommandSpec {
        name: "hstrlen",
        arity: 3,
        flags: RO_FAST,
        since: "3.2.0",
        summary: "Returns the length of the value of a field of a hash.",
        key_flags: RO,
        arguments: ARGS_KEY_FIELD,
        handler: hstrlen,
        ..HASH_CMD
    },
    CommandSpec {
        name: "hvals",
        arity: 2,
        flags: Flags::READONLY,
        tips: &["nondeterministic_output_order"],
        summary: "Returns every value of a hash.",
        complexity: ALL_FIELDS,
        arguments: ARGS_KEY,
        handler: hvals,
        ..HASH_CMD
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::ServerState;

    /// Runs one handler on a bare server state; returns the reply bytes and
    /// the dirty count.
    fn run(srv: &mut ServerState, argv: &[&[u8]]) -> (Vec<u8>, u64) {
        let name = String::from_utf8_lossy(argv[0]).to_lowercase();
        let spec = COMMANDS
            .iter()
            .find(|c| c.name == name)
            .expect("a hash command");
        crate::commands::testing::run_handler(srv, spec.handler, argv)
    }

    fn server() -> ServerState {
        ServerState::new(crate::config::Config::default(), 0)
    }

    #[test]
    fn dirty_counts_follow_redis() {
        let mut srv = server();
        let s = &mut srv;
        // HSET counts every pair given, new or not.
        assert_eq!(run(s, &[b"hset", b"h", b"a", b"1", b"b", b"2"]).1, 2);
        assert_eq!(
            run(s, &[b"hset", b"h", b"a", b"1"]),
            (b":0\r\n".to_vec(), 1)
        );
        assert_eq!(run(s, &[b"hsetnx", b"h", b"a", b"1"]).1, 0);
        assert_eq!(run(s, &[b"hsetnx", b"h", b"c", b"1"]).1, 1);
        assert_eq!(run(s, &[b"hdel", b"h", b"a", b"x"]).1, 1);
        assert_eq!(run(s, &[b"hincrby", b"h", b"n", b"2"]).1, 1);
        assert_eq!(run(s, &[b"hincrby", b"h", b"b", b"x"]).1, 0);
        assert_eq!(run(s, &[b"hincrbyfloat", b"h", b"n", b"0.5"]).1, 1);
        assert_eq!(
            run(s, &[b"hget", b"h", b"n"]),
            (b"$3\r\n2.5\r\n".to_vec(), 0)
        );
    }

    #[test]
    fn replies_are_redis_bytes() {
        let mut srv = server();
        let s = &mut srv;
        run(s, &[b"hset", b"h", b"a", b"1"]);
        assert_eq!(
            run(s, &[b"hgetall", b"h"]).0,
            b"*2\r\n$1\r\na\r\n$1\r\n1\r\n".to_vec()
        );
        assert_eq!(
            run(s, &[b"hrandfield", b"h", b"-2", b"withvalues"]).0,
            b"*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n1\r\n".to_vec()
        );
        assert_eq!(
            run(s, &[b"hscan", b"h", b"0"]).0,
            b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n".to_vec()
        );
        assert_eq!(run(s, &[b"hrandfield", b"none"]).0, b"$-1\r\n".to_vec());
    }

    #[test]
    fn huge_negative_counts_are_refused_not_allocated() {
        let mut srv = server();
        let s = &mut srv;
        run(s, &[b"hset", b"h", b"a", b"1"]);
        // Redis 7.0 accepts this one and dies building the reply.
        assert_eq!(
            run(
                s,
                &[b"hrandfield", b"h", b"-4611686018427387903", b"withvalues"]
            )
            .0,
            b"-ERR value is out of range\r\n".to_vec()
        );
        assert_eq!(
            run(s, &[b"hrandfield", b"h", b"-9223372036854775807"]).0,
            b"-ERR value is out of range\r\n".to_vec()
        );
        assert_eq!(
            run(s, &[b"hrandfield", b"h", b"9223372036854775807"]).0,
            b"*1\r\n$1\r\na\r\n".to_vec()
        );
        assert_eq!(
            run(s, &[b"hscan", b"h", b"0", b"count", b"9223372036854775807"]).0,
            b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n".to_vec()
        );
    }

    #[test]
    fn every_row_has_its_handler_and_hash_group() {
        assert_eq!(COMMANDS.len(), 16);
        for c in COMMANDS {
            assert_eq!(c.group, Group::Hash, "{}", c.name);
            assert!(c.acl.has(Acl::HASH), "{}", c.name);
        }
    }
}
