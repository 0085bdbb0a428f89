//! Set commands (SADD, SMEMBERS, SINTER ...): argument parsing and replies; the
//! operations on the values live in `keyspace::set`.
//!
//! Replies follow Redis 7.0: SMEMBERS, SINTER, SUNION, SDIFF and SPOP with a
//! count are sets in RESP3 (arrays in RESP2); SRANDMEMBER with a count is an
//! array (it may repeat members). Every key of a multi-key command is
//! type-checked before anything is computed, as Redis does. Members come out
//! in the set's order: ascending for an intset, table order otherwise.
//!
//! Each write reports its keyspace events (`Ctx::notify`, see
//! `server::notify`) right after its change, with Redis 7.0's names and
//! order; a key emptied by the command reports `del` after the command's
//! own event, and a command that changes nothing reports nothing.

use crate::commands::table::key_at;
use std::cell::RefCell;

use super::table::{
    Acl, Arg, ArgFlags, ArgType, BeginSearch, FindKeys, Flags, Group, KeyFlags, KeySpec, Keys, ARG,
    BASE,
};
use super::{Args, CommandSpec, Ctx};
use crate::error::{err, CmdError, CmdResult, NOT_INTEGER, SYNTAX, WRONGTYPE};
use crate::keyspace::db::Db;
use crate::keyspace::dict::EntryId;
use crate::keyspace::set::{self, Member, Set};
use crate::keyspace::value::Value;
use crate::protocol::reply::ReplyBuf;
use crate::server::notify;
use crate::util::glob::glob_match;
use crate::util::numbers::parse_i64;
use crate::util::rng::Rng;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

thread_local! {
    /// Randomness for SPOP and SRANDMEMBER.
    static RNG: RefCell<Rng> = RefCell::new(Rng::new(
        crate::keyspace::hasher::process_seed() ^ crate::server::unix_us() as u64,
    ));
}

fn with_rng<R>(f: impl FnOnce(&mut Rng) -> R) -> R {
    RNG.with(|r| f(&mut r.borrow_mut()))
}

/// set-max-intset-entries as a count.
fn max_ints(ctx: &Ctx) -> usize {
    usize::try_from(ctx.srv.config.set_max_intset_entries).unwrap_or(0)
}

fn as_set(v: &Value) -> Result<&Set, CmdError> {
    match v {
        Value::Set(s) => Ok(s),
        _ => err(WRONGTYPE),
    }
}

fn as_set_mut(v: &mut Value) -> Result<&mut Set, CmdError> {
    match v {
        Value::Set(s) => Ok(s),
        _ => err(WRONGTYPE),
    }
}

/// Looks up a key that must hold a set if it exists (a read, counted as a
/// hit or miss, when `read`).
fn find_set(db: &mut Db, key: &[u8], now: i64, read: bool) -> Result<Option<EntryId>, CmdError> {
    let id = if read {
        db.lookup_read(key, now)
    } else {
        db.lookup(key, now)
    };
    if let Some(id) = id {
        as_set(db.value(id))?;
    }
    Ok(id)
}

/// Looks up every key (each must hold a set if it exists), in order.
fn find_sets<'a>(
    db: &mut Db,
    keys: impl Iterator<Item = &'a [u8]>,
    now: i64,
) -> Result<Vec<Option<EntryId>>, CmdError> {
    keys.map(|k| find_set(db, k, now, true)).collect()
}

/// The sets behind looked-up ids (`None` for absent keys).
fn sets_of<'d>(db: &'d Db, ids: &[Option<EntryId>]) -> Vec<Option<&'d Set>> {
    ids.iter()
        .map(|id| id.and_then(|id| as_set(db.value(id)).ok()))
        .collect()
}

fn reply_member(out: &mut ReplyBuf, m: Member) {
    match m {
        Member::Int(n) => out.bulk_i64(n),
        Member::Bytes(b) => out.bulk(b),
    }
}

/// A whole set as a RESP3 set (RESP2 array).
fn reply_set(out: &mut ReplyBuf, s: &Set) {
    out.set(s.len());
    for m in s.iter() {
        reply_member(out, m);
    }
}

/// Stores `result` at `dst` (replacing any value and its TTL), reporting
/// `event`, or deletes `dst` when the result is empty (reporting `del` if
/// it existed). Replies with the result's size.
fn store_result(ctx: &mut Ctx, dst: &[u8], result: Set, event: &str) {
    let now = ctx.now;
    let n = result.len();
    let db = ctx.db();
    if n > 0 {
        db.set(dst, Value::Set(Box::new(result)), false, now);
        ctx.dirty += 1;
        ctx.notify(notify::SET, event, dst);
    } else if db.delete(dst, now) {
        ctx.dirty += 1;
        ctx.notify(notify::GENERIC, "del", dst);
    }
    ctx.out.int(n as i64);
}

/// Reports a change `event` on the set at `key`, then its deletion when
/// the change `emptied` it (Redis's order).
fn notify_change(ctx: &mut Ctx, event: &str, key: &[u8], emptied: bool) {
    ctx.notify(notify::SET, event, key);
    if emptied {
        ctx.notify(notify::GENERIC, "del", key);
    }
}

// ---------------------------------------------------------------------------
// SADD, SREM, SMOVE, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS
// ---------------------------------------------------------------------------

fn sadd(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (now, max) = (ctx.now, max_ints(ctx));
    let key = args.get(1);
    let db = ctx.db();
    let id = match find_set(db, key, now, false)? {
        Some(id) => id,
        None => db.add(key, Value::Set(Box::default()), now),
    };
    let s = as_set_mut(db.value_mut(id))?;
    let added = s.add_many(|| args.iter_from(2), max);
    ctx.dirty += added as u64;
    if added > 0 {
        ctx.notify(notify::SET, "sadd", key);
    }
    ctx.out.int(added as i64);
    Ok(())
}

fn srem(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let db = ctx.db();
    let mut removed = 0;
    let mut emptied = false;
    if let Some(id) = find_set(db, args.get(1), now, false)? {
        let s = as_set_mut(db.value_mut(id))?;
        for m in args.iter_from(2) {
            if s.remove(m) {
                removed += 1;
                if s.is_empty() {
                    break;
                }
            }
        }
        emptied = s.is_empty();
        if emptied {
            db.remove_id(id);
        }
    }
    ctx.dirty += removed;
    if removed > 0 {
        notify_change(ctx, "srem", args.get(1), emptied);
    }
    ctx.out.int(removed as i64);
    Ok(())
}

fn smove(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (now, max) = (ctx.now, max_ints(ctx));
    let (src, dst, member) = (args.get(1), args.get(2), args.get(3));
    let db = ctx.db();
    let src_id = db.lookup(src, now);
    let dst_id = db.lookup(dst, now);
    let Some(src_id) = src_id else {
        ctx.out.int(0);
        return Ok(());
    };
    as_set(db.value(src_id))?;
    if let Some(d) = dst_id {
        as_set(db.value(d))?;
    }
    if Some(src_id) == dst_id {
        let there = as_set(db.value(src_id))?.contains(member);
        ctx.out.int(i64::from(there));
        return Ok(());
    }
    let s = as_set_mut(db.value_mut(src_id))?;
    if !s.remove(member) {
        ctx.out.int(0);
        return Ok(());
    }
    let emptied = s.is_empty();
    if emptied {
        db.remove_id(src_id);
    }
    // Reported before the destination is created (its `new` comes after).
    notify_change(ctx, "srem", src, emptied);
    let db = ctx.db();
    let dst_id = match dst_id {
        Some(d) => d,
        None => db.add(dst, Value::Set(Box::default()), now),
    };
    // As Redis: one change for the removal, one more if the member was new.
    let added = as_set_mut(db.value_mut(dst_id))?.add(member, max);
    ctx.dirty += 1 + u64::from(added);
    if added {
        ctx.notify(notify::SET, "sadd", dst);
    }
    ctx.out.int(1);
    Ok(())
}

fn scard(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let db = ctx.db();
    let n = match find_set(db, args.get(1), now, true)? {
        Some(id) => as_set(db.value(id))?.len(),
        None => 0,
    };
    ctx.out.int(n as i64);
    Ok(())
}

fn sismember(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let db = ctx.db();
    let there = match find_set(db, args.get(1), now, true)? {
        Some(id) => as_set(db.value(id))?.contains(args.get(2)),
        None => false,
    };
    ctx.out.int(i64::from(there));
    Ok(())
}

fn smismember(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let id = find_set(db, args.get(1), now, true)?;
    let s = id.map(|id| as_set(db.value(id))).transpose()?;
    out.array(args.len() - 2);
    for m in args.iter_from(2) {
        out.int(i64::from(s.is_some_and(|s| s.contains(m))));
    }
    Ok(())
}

fn smembers(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    match find_set(db, args.get(1), now, true)? {
        Some(id) => reply_set(out, as_set(db.value(id))?),
        None => out.set(0),
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// SPOP, SRANDMEMBER
// ---------------------------------------------------------------------------

fn spop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    match args.len() {
        2 => spop_one(ctx, args.get(1)),
        3 => spop_count(ctx, args),
        _ => err(SYNTAX),
    }
}

fn spop_one(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    let now = ctx.now;
    let prop = ctx.propagating();
    let (db, out) = ctx.db_out();
    let Some(id) = find_set(db, key, now, false)? else {
        out.null();
        return Ok(());
    };
    let s = as_set_mut(db.value_mut(id))?;
    let popped = with_rng(|r| s.pop_random(r));
    match &popped {
        Some(p) => reply_member(out, p.as_member()),
        None => out.null(),
    }
    // Propagated as its effect: SREM of the member popped.
    let srem = popped
        .as_ref()
        .filter(|_| prop)
        .map(|p| p.as_member().with_bytes(|b| b.to_vec()));
    let emptied = s.is_empty();
    if emptied {
        db.remove_id(id);
    }
    ctx.dirty += 1;
    if let Some(m) = srem {
        ctx.propagate_as(&[b"SREM", key, &m]);
    }
    notify_change(ctx, "spop", key, emptied);
    Ok(())
}

fn spop_count(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let count = parse_i64(args.get(2))
        .filter(|&n| n >= 0)
        .ok_or(CmdError::from(
            "ERR value is out of range, must be positive",
        ))?;
    let (now, max) = (ctx.now, max_ints(ctx));
    let prop = ctx.propagating();
    let (db, out) = ctx.db_out();
    let Some(id) = find_set(db, args.get(1), now, false)? else {
        out.set(0);
        return Ok(());
    };
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    if count == 0 {
        out.set(0);
        return Ok(());
    }
    let s = as_set_mut(db.value_mut(id))?;
    let n = s.len();
    if count >= n {
        // Redis answers with the union of the set alone, which packs a table
        // of few integers into an intset: ascending order then.
        if matches!(s, Set::Table(_)) && n <= max {
            reply_set(out, &set::union(&[Some(&*s)], max));
        } else {
            reply_set(out, s);
        }
        db.remove_id(id);
        // Redis reads the set again (a keyspace hit) to build that reply.
        db.hits += 1;
        ctx.dirty += n as u64;
        ctx.propagate_as(&[b"DEL", args.get(1)]);
        notify_change(ctx, "spop", args.get(1), true);
        return Ok(());
    }
    out.set(count);
    // Propagated as one SREM per member popped, as Redis 7.0.
    let mut popped: Vec<Vec<u8>> = Vec::new();
    with_rng(|r| {
        s.pop_many(count, max, r, |m| {
            if prop {
                popped.push(m.with_bytes(|b| b.to_vec()));
            }
            reply_member(out, m)
        })
    });
    ctx.dirty += count as u64;
    for m in &popped {
        ctx.propagate_as(&[b"SREM", args.get(1), m]);
    }
    notify_change(ctx, "spop", args.get(1), false);
    Ok(())
}

fn srandmember(ctx: &mut Ctx, args: &Args) -> CmdResult {
    match args.len() {
        2 => srandmember_one(ctx, args.get(1)),
        3 => srandmember_count(ctx, args),
        _ => err(SYNTAX),
    }
}

fn srandmember_one(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(id) = find_set(db, key, now, true)? else {
        out.null();
        return Ok(());
    };
    let s = as_set(db.value(id))?;
    match with_rng(|r| s.random(r)) {
        Some(m) => reply_member(out, m),
        None => out.null(),
    }
    Ok(())
}

fn srandmember_count(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let count = parse_i64(args.get(2)).ok_or(CmdError::from(NOT_INTEGER))?;
    if count == i64::MIN {
        return err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
    }
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(id) = find_set(db, args.get(1), now, true)? else {
        out.array(0);
        return Ok(());
    };
    let s = as_set(db.value(id))?;
    let wanted = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    if wanted == 0 || s.is_empty() {
        out.array(0);
        return Ok(());
    }
    if count < 0 || wanted == 1 {
        // Members may repeat: one independent draw per element, streamed.
        out.array(wanted);
        with_rng(|r| {
            for _ in 0..wanted {
                if let Some(m) = s.random(r) {
                    reply_member(out, m);
                }
            }
        });
    } else if wanted >= s.len() {
        out.array(s.len());
        for m in s.iter() {
            reply_member(out, m);
        }
    } else {
        out.array(wanted);
        with_rng(|r| s.random_distinct(wanted, r, |m| reply_member(out, m)));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// SINTER, SINTERCARD, SINTERSTORE, SUNION(STORE), SDIFF(STORE)
// ---------------------------------------------------------------------------

/// The sets of `keys` for an intersection: None when one is absent (the
/// result is then empty).
fn inter_sets<'d>(db: &'d Db, ids: &[Option<EntryId>]) -> Option<Vec<&'d Set>> {
    sets_of(db, ids).into_iter().collect()
}

fn sinter(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let ids = find_sets(db, args.iter_from(1), now)?;
    let Some(mut sets) = inter_sets(db, &ids) else {
        out.set(0);
        return Ok(());
    };
    if let [only] = sets[..] {
        reply_set(out, only);
        return Ok(());
    }
    let d = out.begin_deferred();
    let mut n = 0;
    set::intersect(&mut sets, 0, |m| {
        reply_member(out, m);
        n += 1;
    });
    out.end_deferred_set(d, n);
    Ok(())
}

fn sintercard(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let numkeys = parse_i64(args.get(1))
        .filter(|&n| n > 0)
        .ok_or(CmdError::from("ERR numkeys should be greater than 0"))?;
    let first = 2usize;
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > args.len() - first {
        return err("ERR Number of keys can't be greater than number of args");
    }
    let mut limit = 0usize;
    let mut i = first + numkeys;
    while i < args.len() {
        if args.is(i, "limit") && i + 1 < args.len() {
            let l = parse_i64(args.get(i + 1))
                .filter(|&l| l >= 0)
                .ok_or(CmdError::from("ERR LIMIT can't be negative"))?;
            limit = usize::try_from(l).unwrap_or(usize::MAX);
            i += 2;
        } else {
            return err(SYNTAX);
        }
    }
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let ids = find_sets(db, args.iter_from(first).take(numkeys), now)?;
    let mut n = 0i64;
    if let Some(mut sets) = inter_sets(db, &ids) {
        set::intersect(&mut sets, limit, |_| n += 1);
    }
    out.int(n);
    Ok(())
}

fn sinterstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (now, max) = (ctx.now, max_ints(ctx));
    let db = ctx.db();
    let ids = find_sets(db, args.iter_from(2), now)?;
    let mut result = set::Builder::default();
    if let Some(mut sets) = inter_sets(db, &ids) {
        set::intersect(&mut sets, 0, |m| result.add(m));
    }
    store_result(ctx, args.get(1), result.finish(max), "sinterstore");
    Ok(())
}

/// Which of SUNION / SDIFF.
#[derive(Clone, Copy)]
enum Op {
    Union,
    Diff,
}

/// The union or difference of the sets at `keys`, as a new set.
fn union_or_diff<'a>(
    ctx: &mut Ctx,
    keys: impl Iterator<Item = &'a [u8]>,
    op: Op,
) -> Result<Set, CmdError> {
    let (now, max) = (ctx.now, max_ints(ctx));
    let db = ctx.db();
    let ids = find_sets(db, keys, now)?;
    let sets = sets_of(db, &ids);
    Ok(match op {
        Op::Union => set::union(&sets, max),
        Op::Diff => set::diff(&sets, max),
    })
}

fn sunion(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let result = union_or_diff(ctx, args.iter_from(1), Op::Union)?;
    reply_set(ctx.out, &result);
    Ok(())
}

fn sdiff(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let result = union_or_diff(ctx, args.iter_from(1), Op::Diff)?;
    reply_set(ctx.out, &result);
    Ok(())
}

fn sunionstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let result = union_or_diff(ctx, args.iter_from(2), Op::Union)?;
    store_result(ctx, args.get(1), result, "sunionstore");
    Ok(())
}

fn sdiffstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let result = union_or_diff(ctx, args.iter_from(2), Op::Diff)?;
    store_result(ctx, args.get(1), result, "sdiffstore");
    Ok(())
}

// ---------------------------------------------------------------------------
// SSCAN
// ---------------------------------------------------------------------------

fn sscan(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let cursor =
        super::keys::parse_cursor(args.get(2)).ok_or(CmdError::from("ERR invalid cursor"))?;
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(id) = find_set(db, args.get(1), now, true)? else {
        out.array(2);
        out.bulk(b"0");
        out.array(0);
        return Ok(());
    };
    let s = as_set(db.value(id))?;
    let opts = super::keys::parse_scan_opts(args, 3, false)?;
    let mut found: Vec<Member> = Vec::new();
    let next = s.scan(cursor, opts.count_usize(), |m| {
        let keep = match opts.pattern {
            Some(p) => m.with_bytes(|b| glob_match(p, b, false)),
            None => true,
        };
        if keep {
            found.push(m);
        }
    });
    out.array(2);
    out.bulk(next.to_string().as_bytes());
    out.array(found.len());
    for m in found {
        reply_member(out, m);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

const W_DENYOOM: Flags = Flags::WRITE.or(Flags::DENYOOM);
const W_DENYOOM_FAST: Flags = Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST);
const W_FAST: Flags = Flags::WRITE.or(Flags::FAST);
const RO_FAST: Flags = Flags::READONLY.or(Flags::FAST);
const SET_CMD: CommandSpec = CommandSpec {
    acl: Acl::SET,
    keys: Keys::ONE,
    group: Group::Set,
    ..BASE
};
/// Keys 1..=last, for the commands that read every key after the name.
const ALL_KEYS: Keys = Keys::ALL;

// Key spec flags as redis-server 7.0 reports them.
const RO_ACCESS: KeyFlags = KeyFlags::RO.or(KeyFlags::ACCESS);
/// Members are added, none returned (SADD).
const RW_INSERT: KeyFlags = KeyFlags::RW.or(KeyFlags::INSERT);
/// Members are removed, none returned (SREM).
const RW_DELETE: KeyFlags = KeyFlags::RW.or(KeyFlags::DELETE);
/// Members are removed and returned (SPOP, the source of SMOVE).
const RW_ACCESS_DELETE: KeyFlags = KeyFlags::RW.or(KeyFlags::ACCESS).or(KeyFlags::DELETE);

/// The destination of a *STORE (with the given flags), then the sources.
const fn store_specs(dst: KeyFlags) -> [KeySpec; 2] {
    [
        key_at(1, dst),
        KeySpec {
            notes: "",
            flags: RO_ACCESS,
            begin: BeginSearch::Index(2),
            find: FindKeys::Range {
                lastkey: -1,
                keystep: 1,
                limit: 0,
            },
        },
    ]
}
const OW_STORE_SPECS: &[KeySpec] = &store_specs(KeyFlags::OW.or(KeyFlags::UPDATE));
const RW_STORE_SPECS: &[KeySpec] = &store_specs(KeyFlags::RW.or(KeyFlags::UPDATE));

const SINTERCARD_SPECS: &[KeySpec] = &[KeySpec {
    notes: "",
    flags: RO_ACCESS,
    begin: BeginSearch::Index(1),
    find: FindKeys::Keynum {
        keynumidx: 0,
        firstkey: 1,
        keystep: 1,
    },
}];

// Documented arguments (COMMAND DOCS).
const KEY: Arg = super::table::KEY_ARG;
const KEYS_ARG: Arg = Arg {
    flags: ArgFlags::MULTIPLE,
    ..KEY
};
const MEMBER: Arg = Arg {
    name: "member",
    ..ARG
};
const MEMBERS: Arg = Arg {
    flags: ArgFlags::MULTIPLE,
    ..MEMBER
};
const ARGS_KEY: &[Arg] = &[KEY];
const ARGS_KEYS: &[Arg] = &[KEYS_ARG];
const ARGS_KEY_MEMBERS: &[Arg] = &[KEY, MEMBERS];
const ARGS_STORE: &[Arg] = &[
    Arg {
        name: "destination",
        kind: ArgType::Key(0),
        ..ARG
    },
    Arg {
        kind: ArgType::Key(1),
        ..KEYS_ARG
    },
];
const fn optional_count(since: &'static str) -> Arg {
    Arg {
        name: "count",
        kind: ArgType::Integer,
        since,
        flags: ArgFlags::OPTIONAL,
        ..ARG
    }
}

const UNION_COMPLEXITY: &str = "O(N) where N is the total number of elements in all given sets.";
const INTER_COMPLEXITY: &str =
    "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.";

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "sadd",
        arity: -3,
        flags: W_DENYOOM_FAST,
        key_flags: RW_INSERT,
        summary: "Adds members to a set, creating it if needed.",
        complexity: "O(1) for each member added.",
        history: &[("2.4.0", "Takes several members.")],
        arguments: ARGS_KEY_MEMBERS,
        handler: sadd,
        ..SET_CMD
    },
    CommandSpec {
        name: "scard",
        arity: 2,
        flags: RO_FAST,
        key_flags: KeyFlags::RO,
        summary: "Returns the number of members of a set.",
        arguments: ARGS_KEY,
        handler: scard,
        ..SET_CMD
    },
    CommandSpec {
        name: "sdiff",
        arity: -2,
        flags: Flags::READONLY,
        keys: ALL_KEYS,
        tips: &["nondeterministic_output_order"],
        summary: "Returns the members of the first set found in none of the others.",
        complexity: UNION_COMPLEXITY,
        arguments: ARGS_KEYS,
        handler: sdiff,
        ..SET_CMD
    },
    CommandSpec {
        name: "sdiffstore",
        arity: -3,
        flags: W_DENYOOM,
        keys: ALL_KEYS,
        key_specs: OW_STORE_SPECS,
        summary: "Stores the difference of sets in a key.",
        complexity: UNION_COMPLEXITY,
        arguments: ARGS_STORE,
        handler: sdiffstore,
        ..SET_CMD
    },
    CommandSpec {
        name: "sinter",
        arity: -2,
        flags: Flags::READONLY,
        keys: ALL_KEYS,
        tips: &["nondeterministic_output_order"],
        summary: "Returns the members common to all the given sets.",
        complexity: INTER_COMPLEXITY,
        arguments: ARGS_KEYS,
        handler: sinter,
        ..SET_CMD
    },
    CommandSpec {
        name: "sintercard",
        arity: -3,
        flags: Flags::READONLY,
        keys: Keys::NONE,
        key_specs: SINTERCARD_SPECS,
        since: "7.0.0",
        summary: "Counts the members common to all the given sets, up to a limit.",
        complexity: INTER_COMPLEXITY,
        arguments: &[
            Arg {
                name: "numkeys",
                kind: ArgType::Integer,
                ..ARG
            },
            KEYS_ARG,
            Arg {
                name: "limit",
                kind: ArgType::Integer,
                token: "LIMIT",
                flags: ArgFlags::OPTIONAL,
                ..ARG
            },
        ],
        handler: sintercard,
        ..SET_CMD
    },
    CommandSpec {
        name: "sinterstore",
        arity: -3,
        flags: W_DENYOOM,
        keys: ALL_KEYS,
        key_specs: RW_STORE_SPECS,
        summary: "Stores the intersection of sets in a key.",
        complexity: INTER_COMPLEXITY,
        arguments: ARGS_STORE,
        handler: sinterstore,
        ..SET_CMD
    },
    CommandSpec {
        name: "sismember",
        arity: 3,
        flags: RO_FAST,
        key_flags: KeyFlags::RO,
        summary: "Tells whether a value is a member of a set.",
        arguments: &[KEY, MEMBER],
        handler: sismember,
        ..SET_CMD
    },
    CommandSpec {
        name: "smembers",
        arity: 2,
        flags: Flags::READONLY,
        tips: &["nondeterministic_output_order"],
        summary: "Returns every member of a set.",
        complexity: "O(N) where N is the set cardinality.",
        arguments: ARGS_KEY,
        handler: smembers,
        ..SET_CMD
    },
    CommandSpec {
        name: "smismember",
        arity: -3,
        flags: RO_FAST,
        since: "6.2.0",
        summary: "Tells, for each value, whether it is a member of a set.",
        complexity: "O(N) where N is the number of values checked.",
        arguments: ARGS_KEY_MEMBERS,
        handler: smismember,
        ..SET_CMD
    },
    CommandSpec {
        name: "smove",
        arity: 4,
        flags: W_FAST,
        keys: Keys::TWO,
        key_specs: &[key_at(1, RW_ACCESS_DELETE), key_at(2, RW_INSERT)],
        summary: "Moves a member from one set to another.",
        arguments: &[
            Arg {
                name: "source",
                ..KEY
            },
            Arg {
                name: "destination",
                kind: ArgType::Key(1),
                ..ARG
            },
            MEMBER,
        ],
        handler: smove,
        ..SET_CMD
    },
    CommandSpec {
        name: "spop",
        arity: -2,
        flags: W_FAST,
        key_flags: RW_ACCESS_DELETE,
        tips: &["nondeterministic_output"],
        summary: "Removes and returns random members of a set.",
        complexity: "O(1) without a count, else O(N) for a count of N.",
        history: &[("3.2.0", "Takes a count.")],
        arguments: &[KEY, optional_count("3.2.0")],
        handler: spop,
        ..SET_CMD
    },
    CommandSpec {
        name: "srandmember",
        arity: -2,
        flags: Flags::READONLY,
        tips: &["nondeterministic_output"],
        summary: "Returns random members of a set, leaving it unchanged.",
        complexity: "O(1) without a count, else O(N) for a count of N (or -N).",
        history: &[("2.6.0", "Takes a count.")],
        arguments: &[KEY, optional_count("2.6.0")],
        handler: srandmember,
        ..SET_CMD
    },
    CommandSpec {
        name: "srem",
        arity: -3,
        flags: W_FAST,
        key_flags: RW_DELETE,
        summary: "Removes members from a set, deleting it when it empties.",
        complexity: "O(N) where N is the number of members removed.",
        history: &[("2.4.0", "Takes several members.")],
        arguments: ARGS_KEY_MEMBERS,
        handler: srem,
        ..SET_CMD
    },
    CommandSpec {
        name: "sscan",
        arity: -3,
        flags: Flags::READONLY,
        tips: &["nondeterministic_output"],
        since: "2.8.0",
        summary: "Iterates over the members of a set with a cursor.",
        complexity: "O(1) per call; O(N) for a full iteration over N members.",
        arguments: &[
            KEY,
            super::keys::SCAN_ARGS[0],
            super::keys::SCAN_ARGS[1],
            super::keys::SCAN_ARGS[2],
        ],
        handler: sscan,
        ..SET_CMD
    },
    CommandSpec {
        name: "sunion",
        arity: -2,
        flags: Flags::READONLY,
        keys: ALL_KEYS,
        tips: &["nondeterministic_output_order"],
        summary: "Returns the members of any of the given sets.",
        complexity: UNION_COMPLEXITY,
        arguments: ARGS_KEYS,
        handler: sunion,
        ..SET_CMD
    },
    CommandSpec {
        name: "sunionstore",
        arity: -3,
        flags: W_DENYOOM,
        keys: ALL_KEYS,
        key_specs: OW_STORE_SPECS,
        summary: "Stores the union of sets in a key.",
        complexity: UNION_COMPLEXITY,
        arguments: ARGS_STORE,
        handler: sunionstore,
        ..SET_CMD
    },
];
