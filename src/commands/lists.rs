//! List commands: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LINDEX,
//! LSET, LRANGE, LTRIM, LREM, LINSERT, LPOS, LMOVE, RPOPLPUSH and LMPOP, and
//! the blocking forms BLPOP, BRPOP, BRPOPLPUSH, BLMOVE and BLMPOP.
//!
//! Handlers parse their arguments in Redis's order (so the first error a
//! client sees is Redis's: some commands check numbers before looking up the
//! key, others after), call the operations of `keyspace::list::List` and write
//! the replies. Readers write straight from the stored node bytes (LRANGE,
//! LINDEX, LPOP), with no copy per element; a list whose last element goes is
//! deleted. Node sizes follow `list-max-listpack-size`, read at each write.
//!
//! A blocking form serves the first key holding a list as its plain form
//! does; when none has data it parks the client with `Ctx::block` and
//! writes nothing. The loop runs the same command again once a waited key is
//! created holding a list, so the code that serves a waiter is the code
//! above (see `server::blocking`).
//!
//! Write commands look keys up with `Db::lookup` (no hit/miss counting, as
//! Redis's write lookups); read commands with `Db::lookup_read`.
//!
//! Each write reports its keyspace events (`Ctx::notify`, see
//! `server::notify`) right after its change, with Redis 7.0's names and
//! order; a key emptied by the command reports `del` after the command's
//! own event, and a command that changes nothing reports nothing.

use super::table::{
    Acl, Arg, ArgFlags, ArgType, Args, BeginSearch, CommandSpec, DocFlags, FindKeys, Flags, Group,
    KeyFlags, KeySpec, Keys, ARG, BASE,
};
use super::Ctx;
use crate::commands::table::key_at;
use crate::error::{
    err, wrong_arity, CmdError, CmdResult, NOT_INTEGER, NO_SUCH_KEY, SYNTAX, WRONGTYPE,
};
use crate::keyspace::db::Db;
use crate::keyspace::dict::EntryId;
use crate::keyspace::list::{End, List};
use crate::keyspace::value::Value;
use crate::protocol::reply::ReplyBuf;
use crate::server::blocking::{parse_timeout, BlockKind};
use crate::server::{notify, propagate};
use crate::util::numbers::parse_i64;

const MUST_BE_POSITIVE: &str = "ERR value is out of range, must be positive";
const INDEX_RANGE: &str = "ERR index out of range";
const RANK_ZERO: &str = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
const COUNT_NEGATIVE: &str = "ERR COUNT can't be negative";
const MAXLEN_NEGATIVE: &str = "ERR MAXLEN can't be negative";
const NUMKEYS_POSITIVE: &str = "ERR numkeys should be greater than 0";
const COUNT_POSITIVE: &str = "ERR count should be greater than 0";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The list held by a value, or WRONGTYPE.
fn as_list(v: &Value) -> Result<&List, CmdError> {
    match v {
        Value::List(l) => Ok(l),
        _ => err(WRONGTYPE),
    }
}

/// An integer argument, or Redis's generic integer error.
fn int_arg(b: &[u8]) -> Result<i64, CmdError> {
    parse_i64(b).ok_or(CmdError::from(NOT_INTEGER))
}

/// LEFT / RIGHT (LMOVE, LMPOP), any case.
fn parse_end(b: &[u8]) -> Result<End, CmdError> {
    if b.eq_ignore_ascii_case(b"left") {
        Ok(End::Head)
    } else if b.eq_ignore_ascii_case(b"right") {
        Ok(End::Tail)
    } else {
        err(SYNTAX)
    }
}

/// Looks a key up for writing and checks it holds a list.
fn lookup_list(db: &mut Db, key: &[u8], now: i64) -> Result<Option<EntryId>, CmdError> {
    match db.lookup(key, now) {
        Some(id) => {
            as_list(db.value(id))?;
            Ok(Some(id))
        }
        None => Ok(None),
    }
}

/// Looks a key up for reading (counting a hit or miss) and checks its type.
fn lookup_list_read(db: &mut Db, key: &[u8], now: i64) -> Result<Option<EntryId>, CmdError> {
    match db.lookup_read(key, now) {
        Some(id) => {
            as_list(db.value(id))?;
            Ok(Some(id))
        }
        None => Ok(None),
    }
}

/// The list of an entry already known to hold one.
fn list_mut(db: &mut Db, id: EntryId) -> &mut List {
    match db.value_mut(id) {
        Value::List(l) => l,
        _ => unreachable!("type checked at lookup"),
    }
}

fn list_ref(db: &Db, id: EntryId) -> &List {
    match db.value(id) {
        Value::List(l) => l,
        _ => unreachable!("type checked at lookup"),
    }
}

/// Deletes the key of an entry whose list is now empty; returns whether
/// it did.
fn remove_if_empty(db: &mut Db, id: EntryId) -> bool {
    let empty = list_ref(db, id).is_empty();
    if empty {
        db.remove_id(id);
    }
    empty
}

/// The keyspace event of a push at `end`.
fn push_event(end: End) -> &'static str {
    match end {
        End::Head => "lpush",
        End::Tail => "rpush",
    }
}

/// The keyspace event of a pop from `end`.
fn pop_event(end: End) -> &'static str {
    match end {
        End::Head => "lpop",
        End::Tail => "rpop",
    }
}

/// Reports a change `event` on the list at `key`, then its deletion when
/// the change `emptied` it (Redis's order).
fn notify_change(ctx: &mut Ctx, event: &str, key: &[u8], emptied: bool) {
    ctx.notify(notify::LIST, event, key);
    if emptied {
        ctx.notify(notify::GENERIC, "del", key);
    }
}

/// The (start, count) of LRANGE's `start`/`stop` on a list of `len`
/// elements, negative indexes counting from the tail; None when empty.
fn clamp_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let stop = if stop < 0 { len + stop } else { stop };
    if start > stop || start >= len {
        return None;
    }
    let stop = stop.min(len - 1);
    Some((start as usize, (stop - start + 1) as usize))
}

/// Pops up to `count` elements from `end` of the list at `id`, writing them
/// as an array, and deletes the key if emptied. Returns how many, and
/// whether the key was deleted.
fn pop_into_reply(
    db: &mut Db,
    out: &mut ReplyBuf,
    id: EntryId,
    end: End,
    count: usize,
) -> (usize, bool) {
    let l = list_mut(db, id);
    let n = count.min(l.len());
    out.array(n);
    for _ in 0..n {
        if let Some(v) = l.peek(end) {
            out.bulk(v);
        }
        l.drop_end(end);
    }
    (n, remove_if_empty(db, id))
}

// ---------------------------------------------------------------------------
// Push and pop
// ---------------------------------------------------------------------------

/// LPUSH / RPUSH / LPUSHX / RPUSHX: pushes every element in order; the X
/// forms do nothing (reply 0) when the key does not exist.
fn push_generic(ctx: &mut Ctx, args: &Args, end: End, only_existing: bool) -> CmdResult {
    let fill = ctx.srv.config.list_max_listpack_size;
    let now = ctx.now;
    let key = args.get(1);
    let db = ctx.db();
    let id = match lookup_list(db, key, now)? {
        Some(id) => id,
        None if only_existing => {
            ctx.out.int(0);
            return Ok(());
        }
        None => db.add(key, Value::List(Box::new(List::new())), now),
    };
    let l = list_mut(db, id);
    for v in args.iter_from(2) {
        l.push(end, v, fill);
    }
    let len = l.len();
    ctx.dirty += (args.len() - 2) as u64;
    ctx.notify(notify::LIST, push_event(end), key);
    ctx.out.int(len as i64);
    Ok(())
}

fn lpush(ctx: &mut Ctx, args: &Args) -> CmdResult {
    push_generic(ctx, args, End::Head, false)
}

fn rpush(ctx: &mut Ctx, args: &Args) -> CmdResult {
    push_generic(ctx, args, End::Tail, false)
}

fn lpushx(ctx: &mut Ctx, args: &Args) -> CmdResult {
    push_generic(ctx, args, End::Head, true)
}

fn rpushx(ctx: &mut Ctx, args: &Args) -> CmdResult {
    push_generic(ctx, args, End::Tail, true)
}

/// LPOP / RPOP key [count]: one element as a bulk, or with a count an array
/// (a null array for a missing key).
fn pop_generic(ctx: &mut Ctx, args: &Args, end: End, name: &str) -> CmdResult {
    if args.len() > 3 {
        return Err(wrong_arity(name));
    }
    let count = match args.len() {
        3 => match parse_i64(args.get(2)) {
            Some(n) if n >= 0 => Some(n as usize),
            _ => return err(MUST_BE_POSITIVE),
        },
        _ => None,
    };
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(id) = lookup_list(db, args.get(1), now)? else {
        match count {
            Some(_) => out.null_array(),
            None => out.null(),
        }
        return Ok(());
    };
    let (popped, emptied) = match count {
        Some(n) => pop_into_reply(db, out, id, end, n),
        None => {
            let l = list_mut(db, id);
            if let Some(v) = l.peek(end) {
                out.bulk(v);
            }
            l.drop_end(end);
            (1, remove_if_empty(db, id))
        }
    };
    ctx.dirty += popped as u64;
    if popped > 0 {
        notify_change(ctx, pop_event(end), args.get(1), emptied);
    }
    Ok(())
}

fn lpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    pop_generic(ctx, args, End::Head, "lpop")
}

fn rpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    pop_generic(ctx, args, End::Tail, "rpop")
}

// ---------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------

fn llen(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let len = match lookup_list_read(db, args.get(1), now)? {
        Some(id) => list_ref(db, id).len(),
        None => 0,
    };
    out.int(len as i64);
    Ok(())
}

/// LINDEX: the key is looked up before the index is parsed (a missing key
/// answers nil whatever the index), as Redis.
fn lindex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(id) = lookup_list_read(db, args.get(1), now)? else {
        out.null();
        return Ok(());
    };
    let index = int_arg(args.get(2))?;
    match list_ref(db, id).get(index) {
        Some(v) => out.bulk(v),
        None => out.null(),
    }
    Ok(())
}

fn lrange(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let start = int_arg(args.get(2))?;
    let stop = int_arg(args.get(3))?;
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(id) = lookup_list_read(db, args.get(1), now)? else {
        out.array(0);
        return Ok(());
    };
    let l = list_ref(db, id);
    let Some((from, n)) = clamp_range(start, stop, l.len()) else {
        out.array(0);
        return Ok(());
    };
    out.array(n);
    for v in l.iter_from(from).take(n) {
        out.bulk(v);
    }
    Ok(())
}

/// LPOS's options: RANK (which match to start from, negative from the
/// tail), COUNT (how many matches, 0 all; None: reply a single index) and
/// MAXLEN (how many elements to compare at most, 0 all).
struct LposOptions {
    rank: i64,
    count: Option<usize>,
    maxlen: usize,
}

fn parse_lpos_options(args: &Args) -> Result<LposOptions, CmdError> {
    let mut o = LposOptions {
        rank: 1,
        count: None,
        maxlen: 0,
    };
    let mut i = 3;
    while i < args.len() {
        if i + 1 >= args.len() {
            return err(SYNTAX);
        }
        let v = args.get(i + 1);
        if args.is(i, "rank") {
            o.rank = int_arg(v)?;
            if o.rank == 0 {
                return err(RANK_ZERO);
            }
        } else if args.is(i, "count") {
            match parse_i64(v) {
                Some(n) if n >= 0 => o.count = Some(n as usize),
                _ => return err(COUNT_NEGATIVE),
            }
        } else if args.is(i, "maxlen") {
            match parse_i64(v) {
                Some(n) if n >= 0 => o.maxlen = n as usize,
                _ => return err(MAXLEN_NEGATIVE),
            }
        } else {
            return err(SYNTAX);
        }
        i += 2;
    }
    Ok(o)
}

/// The indexes of the elements equal to `v`, in walk order: from the head
/// (or the tail for a negative rank), skipping the first |rank|-1 matches,
/// comparing at most `maxlen` elements (0: all), stopping after `limit`
/// matches. `emit` receives each index.
fn lpos_walk(l: &List, v: &[u8], o: &LposOptions, limit: usize, mut emit: impl FnMut(usize)) {
    let len = l.len();
    if len == 0 {
        return;
    }
    let maxlen = if o.maxlen == 0 {
        len
    } else {
        o.maxlen.min(len)
    };
    // Rank i64::MIN has no positive counterpart; like Redis, it then means
    // the first match from the tail.
    let skip = o.rank.unsigned_abs().saturating_sub(1);
    let skip = if o.rank == i64::MIN { 0 } else { skip };
    let mut seen_matches: u64 = 0;
    let mut found = 0usize;
    let mut on_elem = |i: usize, e: &[u8]| -> bool {
        if e == v {
            seen_matches += 1;
            if seen_matches > skip {
                emit(i);
                found += 1;
                return found < limit;
            }
        }
        true
    };
    if o.rank > 0 {
        for (k, e) in l.iter_from(0).take(maxlen).enumerate() {
            if !on_elem(k, e) {
                break;
            }
        }
    } else {
        for (k, e) in l.rev_iter_from(len - 1).take(maxlen).enumerate() {
            if !on_elem(len - 1 - k, e) {
                break;
            }
        }
    }
}

fn lpos(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let o = parse_lpos_options(args)?;
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let id = lookup_list_read(db, args.get(1), now)?;
    let v = args.get(2);
    match o.count {
        Some(count) => {
            let limit = if count == 0 { usize::MAX } else { count };
            let d = out.begin_deferred();
            let mut n = 0;
            if let Some(id) = id {
                lpos_walk(list_ref(db, id), v, &o, limit, |i| {
                    out.int(i as i64);
                    n += 1;
                });
            }
            out.end_deferred_array(d, n);
        }
        None => {
            let mut hit = None;
            if let Some(id) = id {
                lpos_walk(list_ref(db, id), v, &o, 1, |i| hit = Some(i));
            }
            match hit {
                Some(i) => out.int(i as i64),
                None => out.null(),
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Changes in place
// ---------------------------------------------------------------------------

/// LSET: `no such key` for a missing key, checked before the index.
fn lset(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let fill = ctx.srv.config.list_max_listpack_size;
    let now = ctx.now;
    let db = ctx.db();
    let Some(id) = lookup_list(db, args.get(1), now)? else {
        return err(NO_SUCH_KEY);
    };
    let index = int_arg(args.get(2))?;
    if !list_mut(db, id).set(index, args.get(3), fill) {
        return err(INDEX_RANGE);
    }
    ctx.dirty += 1;
    ctx.notify(notify::LIST, "lset", args.get(1));
    ctx.out.ok();
    Ok(())
}

fn ltrim(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let start = int_arg(args.get(2))?;
    let stop = int_arg(args.get(3))?;
    let fill = ctx.srv.config.list_max_listpack_size;
    let now = ctx.now;
    let db = ctx.db();
    if let Some(id) = lookup_list(db, args.get(1), now)? {
        let l = list_mut(db, id);
        let before = l.len();
        match clamp_range(start, stop, before) {
            Some((from, n)) => l.trim(from, n, fill),
            None => l.trim(0, 0, fill),
        }
        let removed = before - l.len();
        let emptied = remove_if_empty(db, id);
        // The key counts as modified (WATCH, client caches) even when
        // nothing was trimmed, as Redis signals it.
        db.signal_modified(args.get(1));
        ctx.dirty += removed as u64;
        // Reported even when nothing was trimmed, as Redis does.
        notify_change(ctx, "ltrim", args.get(1), emptied);
    }
    ctx.out.ok();
    Ok(())
}

fn lrem(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let count = int_arg(args.get(2))?;
    let fill = ctx.srv.config.list_max_listpack_size;
    let now = ctx.now;
    let db = ctx.db();
    let (removed, emptied) = match lookup_list(db, args.get(1), now)? {
        Some(id) => {
            let n = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
            let r = list_mut(db, id).remove_matching(args.get(3), n, count < 0, fill);
            (r, remove_if_empty(db, id))
        }
        None => (0, false),
    };
    ctx.dirty += removed as u64;
    if removed > 0 {
        notify_change(ctx, "lrem", args.get(1), emptied);
    }
    ctx.out.int(removed as i64);
    Ok(())
}

/// LINSERT key BEFORE|AFTER pivot element: the new length, 0 for a missing
/// key, -1 when the pivot is not found.
fn linsert(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let after = if args.is(2, "after") {
        true
    } else if args.is(2, "before") {
        false
    } else {
        return err(SYNTAX);
    };
    let fill = ctx.srv.config.list_max_listpack_size;
    let now = ctx.now;
    let db = ctx.db();
    let Some(id) = lookup_list(db, args.get(1), now)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let l = list_mut(db, id);
    if !l.insert_by_pivot(args.get(3), args.get(4), after, fill) {
        ctx.out.int(-1);
        return Ok(());
    }
    let len = l.len();
    ctx.dirty += 1;
    ctx.notify(notify::LIST, "linsert", args.get(1));
    ctx.out.int(len as i64);
    Ok(())
}

// ---------------------------------------------------------------------------
// Moves between lists
// ---------------------------------------------------------------------------

/// LMOVE / RPOPLPUSH: pops from `from` of `src`, pushes to `to` of `dst`
/// (which may be the same list: a rotation), replies with the element (nil
/// when `src` does not exist). Both types are checked before anything moves.
fn move_generic(ctx: &mut Ctx, src: &[u8], dst: &[u8], from: End, to: End) -> CmdResult {
    let fill = ctx.srv.config.list_max_listpack_size;
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(sid) = lookup_list(db, src, now)? else {
        out.null();
        return Ok(());
    };
    if src != dst {
        lookup_list(db, dst, now)?;
    }
    let Some(v) = list_mut(db, sid).pop(from) else {
        out.null();
        return Ok(());
    };
    let emptied = if src == dst {
        list_mut(db, sid).push(to, &v, fill);
        false
    } else {
        let emptied = remove_if_empty(db, sid);
        let did = match db.lookup(dst, now) {
            Some(id) => id,
            None => db.add(dst, Value::List(Box::new(List::new())), now),
        };
        list_mut(db, did).push(to, &v, fill);
        emptied
    };
    out.bulk(&v);
    ctx.dirty += 1;
    // Redis reports the push on the destination before the pop.
    ctx.notify(notify::LIST, push_event(to), dst);
    notify_change(ctx, pop_event(from), src, emptied);
    Ok(())
}

fn lmove(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let from = parse_end(args.get(3))?;
    let to = parse_end(args.get(4))?;
    move_generic(ctx, args.get(1), args.get(2), from, to)
}

fn rpoplpush(ctx: &mut Ctx, args: &Args) -> CmdResult {
    move_generic(ctx, args.get(1), args.get(2), End::Tail, End::Head)
}

/// LMPOP's parsed arguments: the keys' argument range, the end, the count.
struct MpopArgs {
    first_key: usize,
    numkeys: usize,
    end: End,
    count: usize,
}

/// Parses `numkeys key... LEFT|RIGHT [COUNT n]` starting at argument `at`.
fn parse_mpop(args: &Args, at: usize) -> Result<MpopArgs, CmdError> {
    let numkeys = match parse_i64(args.get(at)) {
        Some(n) if n > 0 => n as u64,
        _ => return err(NUMKEYS_POSITIVE),
    };
    let where_idx = (at as u64 + 1).saturating_add(numkeys);
    if where_idx >= args.len() as u64 {
        return err(SYNTAX);
    }
    let where_idx = where_idx as usize;
    let end = parse_end(args.get(where_idx))?;
    let mut count = None;
    let mut i = where_idx + 1;
    while i < args.len() {
        if args.is(i, "count") && count.is_none() && i + 1 < args.len() {
            match parse_i64(args.get(i + 1)) {
                Some(n) if n > 0 => count = Some(n as usize),
                _ => return err(COUNT_POSITIVE),
            }
            i += 2;
        } else {
            return err(SYNTAX);
        }
    }
    Ok(MpopArgs {
        first_key: at + 1,
        numkeys: numkeys as usize,
        end,
        count: count.unwrap_or(1),
    })
}

/// Pops from the first non-empty list among the keys, replying
/// `[key, [elements]]`; returns false (nothing written) when none has data.
fn mpop_first(ctx: &mut Ctx, args: &Args, m: &MpopArgs) -> Result<bool, CmdError> {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    for key in args.iter_from(m.first_key).take(m.numkeys) {
        if let Some(id) = lookup_list(db, key, now)? {
            out.array(2);
            out.bulk(key);
            let (n, emptied) = pop_into_reply(db, out, id, m.end, m.count);
            ctx.dirty += n as u64;
            // Propagated as `LPOP|RPOP key n` (n: the elements popped).
            if ctx.propagating() {
                let n = propagate::int_arg(n as i64);
                ctx.propagate_as(&[pop_name(m.end), key, &n]);
            }
            notify_change(ctx, pop_event(m.end), key, emptied);
            return Ok(true);
        }
    }
    Ok(false)
}

fn lmpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let m = parse_mpop(args, 1)?;
    if !mpop_first(ctx, args, &m)? {
        ctx.out.null_array();
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Blocking forms
// ---------------------------------------------------------------------------

/// Parks the client on `keys` until one gets a list (the loop then runs the
/// command again), or, where a command may not block (inside MULTI), replies
/// with no data: a null array, or for BLMOVE/BRPOPLPUSH (`nil_bulk`) a nil
/// bulk, as Redis 7.0 does there (a real timeout is a null array for all).
fn block_or_timeout<'a>(
    ctx: &mut Ctx,
    keys: impl Iterator<Item = &'a [u8]>,
    deadline: Option<i64>,
    nil_bulk: bool,
) -> CmdResult {
    if !ctx.can_block() {
        if nil_bulk {
            ctx.out.null();
        } else {
            ctx.out.null_array();
        }
        return Ok(());
    }
    let keys: Vec<&[u8]> = keys.collect();
    ctx.block(&keys, deadline, BlockKind::List);
    Ok(())
}

/// BLPOP / BRPOP key... timeout: `[key, element]` from the first key that
/// holds a list, else blocks.
fn bpop_generic(ctx: &mut Ctx, args: &Args, end: End) -> CmdResult {
    let last = args.len() - 1;
    let deadline = parse_timeout(args.get(last), ctx.now)?;
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    for key in args.iter_from(1).take(last - 1) {
        if let Some(id) = lookup_list(db, key, now)? {
            out.array(2);
            out.bulk(key);
            let l = list_mut(db, id);
            if let Some(v) = l.peek(end) {
                out.bulk(v);
            }
            l.drop_end(end);
            let emptied = remove_if_empty(db, id);
            ctx.dirty += 1;
            ctx.propagate_as(&[pop_name(end), key]);
            notify_change(ctx, pop_event(end), key, emptied);
            return Ok(());
        }
    }
    block_or_timeout(ctx, args.iter_from(1).take(last - 1), deadline, false)
}

/// The non-blocking pop a served blocking pop propagates as.
fn pop_name(end: End) -> &'static [u8] {
    match end {
        End::Head => b"LPOP",
        End::Tail => b"RPOP",
    }
}

fn blpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    bpop_generic(ctx, args, End::Head)
}

fn brpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    bpop_generic(ctx, args, End::Tail)
}

/// BLMOVE / BRPOPLPUSH: LMOVE when the source holds a list, else blocks on
/// it (the destination's type is checked only once there is data).
fn bmove_generic(ctx: &mut Ctx, args: &Args, from: End, to: End, timeout_arg: usize) -> CmdResult {
    let deadline = parse_timeout(args.get(timeout_arg), ctx.now)?;
    let now = ctx.now;
    let src = args.get(1);
    if lookup_list(ctx.db(), src, now)?.is_some() {
        move_generic(ctx, src, args.get(2), from, to)?;
        // Propagated as the non-blocking form: BLMOVE as sent, or, served
        // after blocking, with the directions in lower case (as Redis 7.0).
        if ctx.dirty > 0 {
            let served_later = ctx.clients[ctx.cid].wait.is_some();
            if timeout_arg == 5 && served_later {
                let word = |e: End| -> &'static [u8] {
                    match e {
                        End::Head => b"left",
                        End::Tail => b"right",
                    }
                };
                ctx.propagate_as(&[b"LMOVE", src, args.get(2), word(from), word(to)]);
            } else if timeout_arg == 5 {
                let a: Vec<&[u8]> = args.iter_from(1).take(4).collect();
                ctx.propagate_as(&[b"LMOVE", a[0], a[1], a[2], a[3]]);
            } else {
                ctx.propagate_as(&[b"RPOPLPUSH", src, args.get(2)]);
            }
        }
        return Ok(());
    }
    block_or_timeout(ctx, std::iter::once(src), deadline, true)
}

fn blmove(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let from = parse_end(args.get(3))?;
    let to = parse_end(args.get(4))?;
    bmove_generic(ctx, args, from, to, 5)
}

fn brpoplpush(ctx: &mut Ctx, args: &Args) -> CmdResult {
    bmove_generic(ctx, args, End::Tail, End::Head, 3)
}

/// BLMPOP timeout numkeys key... LEFT|RIGHT [COUNT n]: the arguments after
/// the timeout are checked first, as Redis.
fn blmpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let m = parse_mpop(args, 2)?;
    let deadline = parse_timeout(args.get(1), ctx.now)?;
    if mpop_first(ctx, args, &m)? {
        return Ok(());
    }
    block_or_timeout(
        ctx,
        args.iter_from(m.first_key).take(m.numkeys),
        deadline,
        false,
    )
}

// ---------------------------------------------------------------------------
// The command table
// ---------------------------------------------------------------------------

const LIST: Acl = Acl::LIST;
const LIST_CMD: CommandSpec = CommandSpec {
    acl: LIST,
    keys: Keys::ONE,
    group: Group::List,
    ..BASE
};

const W_DENYOOM: Flags = Flags::WRITE.or(Flags::DENYOOM);
const W_DENYOOM_FAST: Flags = Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST);
const W_FAST: Flags = Flags::WRITE.or(Flags::FAST);
const RO_FAST: Flags = Flags::READONLY.or(Flags::FAST);

// Key spec flags, as redis-server 7.0 reports them.
const RW_INSERT: KeyFlags = KeyFlags::RW.or(KeyFlags::INSERT);
const RW_ACCESS_DELETE: KeyFlags = KeyFlags::RW.or(KeyFlags::ACCESS).or(KeyFlags::DELETE);
const RW_DELETE: KeyFlags = KeyFlags::RW.or(KeyFlags::DELETE);
const RW_UPDATE: KeyFlags = KeyFlags::RW.or(KeyFlags::UPDATE);

/// LMOVE and RPOPLPUSH: the source is popped, the destination pushed to.
const MOVE_KEY_SPECS: &[KeySpec] = &[key_at(1, RW_ACCESS_DELETE), key_at(2, RW_INSERT)];

/// LMPOP: `numkeys` at argument 1, the keys after it.
const MPOP_KEY_SPECS: &[KeySpec] = &[KeySpec {
    notes: "",
    flags: RW_ACCESS_DELETE,
    begin: BeginSearch::Index(1),
    find: FindKeys::Keynum {
        keynumidx: 0,
        firstkey: 1,
        keystep: 1,
    },
}];

const W_BLOCKING: Flags = Flags::WRITE.or(Flags::NOSCRIPT).or(Flags::BLOCKING);
const W_DENYOOM_BLOCKING: Flags = W_DENYOOM.or(Flags::NOSCRIPT).or(Flags::BLOCKING);
/// BLPOP / BRPOP: every argument but the timeout is a key.
const KEYS_BEFORE_TIMEOUT: Keys = Keys {
    first: 1,
    last: -2,
    step: 1,
};
/// BLMPOP: as LMPOP, one argument later (after the timeout).
const BMPOP_KEY_SPECS: &[KeySpec] = &[KeySpec {
    begin: BeginSearch::Index(2),
    ..MPOP_KEY_SPECS[0]
}];

// Documented arguments (COMMAND DOCS), as redis-server 7.0 reports them.

const KEY: Arg = super::table::KEY_ARG;
const ELEMENT: Arg = Arg {
    name: "element",
    ..ARG
};
const ELEMENTS: Arg = Arg {
    flags: ArgFlags::MULTIPLE,
    ..ELEMENT
};
const fn integer(name: &'static str) -> Arg {
    Arg {
        name,
        kind: ArgType::Integer,
        ..ARG
    }
}
const fn token(name: &'static str, token: &'static str) -> Arg {
    Arg {
        name,
        kind: ArgType::PureToken,
        token,
        ..ARG
    }
}
const fn optional_int(name: &'static str, tok: &'static str) -> Arg {
    Arg {
        name,
        kind: ArgType::Integer,
        token: tok,
        flags: ArgFlags::OPTIONAL,
        ..ARG
    }
}
const LEFT_RIGHT: &[Arg] = &[token("left", "LEFT"), token("right", "RIGHT")];
const fn direction(name: &'static str) -> Arg {
    Arg {
        name,
        kind: ArgType::OneOf,
        args: LEFT_RIGHT,
        ..ARG
    }
}
const SOURCE: Arg = Arg {
    name: "source",
    ..KEY
};
const DESTINATION: Arg = Arg {
    name: "destination",
    kind: ArgType::Key(1),
    ..ARG
};

const ARGS_PUSH: &[Arg] = &[KEY, ELEMENTS];
const ARGS_POP: &[Arg] = &[
    KEY,
    Arg {
        name: "count",
        kind: ArgType::Integer,
        since: "6.2.0",
        flags: ArgFlags::OPTIONAL,
        ..ARG
    },
];
const ARGS_RANGE: &[Arg] = &[KEY, integer("start"), integer("stop")];
const ARGS_LMOVE: &[Arg] = &[
    SOURCE,
    DESTINATION,
    direction("wherefrom"),
    direction("whereto"),
];
const ARGS_LMPOP: &[Arg] = &[
    integer("numkeys"),
    Arg {
        flags: ArgFlags::MULTIPLE,
        ..KEY
    },
    direction("where"),
    optional_int("count", "COUNT"),
];
const ARGS_LINSERT: &[Arg] = &[
    KEY,
    Arg {
        name: "where",
        kind: ArgType::OneOf,
        args: &[token("before", "BEFORE"), token("after", "AFTER")],
        ..ARG
    },
    Arg {
        name: "pivot",
        ..ARG
    },
    ELEMENT,
];
const ARGS_LPOS: &[Arg] = &[
    KEY,
    ELEMENT,
    optional_int("rank", "RANK"),
    optional_int("num-matches", "COUNT"),
    optional_int("len", "MAXLEN"),
];

const TIMEOUT: Arg = Arg {
    name: "timeout",
    kind: ArgType::Double,
    ..ARG
};
const TIMEOUT_HISTORY: &[(&str, &str)] = &[(
    "6.0.0",
    "`timeout` is read as a double instead of an integer.",
)];
const ARGS_BPOP: &[Arg] = &[
    Arg {
        flags: ArgFlags::MULTIPLE,
        ..KEY
    },
    TIMEOUT,
];
const ARGS_BLMOVE: &[Arg] = &[
    SOURCE,
    DESTINATION,
    direction("wherefrom"),
    direction("whereto"),
    TIMEOUT,
];
const ARGS_BLMPOP: &[Arg] = &[
    TIMEOUT,
    integer("numkeys"),
    Arg {
        flags: ArgFlags::MULTIPLE,
        ..KEY
    },
    direction("where"),
    optional_int("count", "COUNT"),
];

const PUSH_HISTORY: &[(&str, &str)] = &[("2.4.0", "Accepts multiple `element` arguments.")];
const PUSHX_HISTORY: &[(&str, &str)] = &[("4.0.0", "Accepts multiple `element` arguments.")];
const POP_HISTORY: &[(&str, &str)] = &[("6.2.0", "Added the `count` argument.")];
const PUSH_COMPLEXITY: &str =
    "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.";

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "lpush",
        arity: -3,
        flags: W_DENYOOM_FAST,
        summary: "Prepends one or more elements to a list, creating it if needed.",
        complexity: PUSH_COMPLEXITY,
        key_flags: RW_INSERT,
        history: PUSH_HISTORY,
        arguments: ARGS_PUSH,
        handler: lpush,
        ..LIST_CMD
    },
    CommandSpec {
        name: "rpush",
        arity: -3,
        flags: W_DENYOOM_FAST,
        summary: "Appends one or more elements to a list, creating it if needed.",
        complexity: PUSH_COMPLEXITY,
        key_flags: RW_INSERT,
        history: PUSH_HISTORY,
        arguments: ARGS_PUSH,
        handler: rpush,
        ..LIST_CMD
    },
    CommandSpec {
        name: "lpushx",
        arity: -3,
        flags: W_DENYOOM_FAST,
        since: "2.2.0",
        summary: "Prepends elements to a list only when the list exists.",
        complexity: PUSH_COMPLEXITY,
        key_flags: RW_INSERT,
        history: PUSHX_HISTORY,
        arguments: ARGS_PUSH,
        handler: lpushx,
        ..LIST_CMD
    },
    CommandSpec {
        name: "rpushx",
        arity: -3,
        flags: W_DENYOOM_FAST,
        since: "2.2.0",
        summary: "Appends elements to a list only when the list exists.",
        complexity: PUSH_COMPLEXITY,
        key_flags: RW_INSERT,
        history: PUSHX_HISTORY,
        arguments: ARGS_PUSH,
        handler: rpushx,
        ..LIST_CMD
    },
    CommandSpec {
        name: "lpop",
        arity: -2,
        flags: W_FAST,
        summary: "Removes and returns the first elements of a list.",
        complexity: "O(N) where N is the number of elements returned",
        key_flags: RW_ACCESS_DELETE,
        history: POP_HISTORY,
        arguments: ARGS_POP,
        handler: lpop,
        ..LIST_CMD
    },
    CommandSpec {
        name: "rpop",
        arity: -2,
        flags: W_FAST,
        summary: "Removes and returns the last elements of a list.",
        complexity: "O(N) where N is the number of elements returned",
        key_flags: RW_ACCESS_DELETE,
        history: POP_HISTORY,
        arguments: ARGS_POP,
        handler: rpop,
        ..LIST_CMD
    },
    CommandSpec {
        name: "llen",
        arity: 2,
        flags: RO_FAST,
        summary: "Returns the length of a list.",
        key_flags: KeyFlags::RO,
        arguments: &[KEY],
        handler: llen,
        ..LIST_CMD
    },
    CommandSpec {
        name: "lindex",
        arity: 3,
        flags: Flags::READONLY,
        summary: "Returns an element of a list by its index.",
        complexity: "O(N) where N is the number of elements walked to reach the index.",
        arguments: &[KEY, integer("index")],
        handler: lindex,
        ..LIST_CMD
    },
    CommandSpec {
        name: "lset",
        arity: 4,
        flags: W_DENYOOM,
        summary: "Sets the element of a list at an index.",
        complexity: "O(N) where N is the length of the list; O(1) at either end.",
        key_flags: RW_UPDATE,
        arguments: &[KEY, integer("index"), ELEMENT],
        handler: lset,
        ..LIST_CMD
    },
    CommandSpec {
        name: "lrange",
        arity: 4,
        flags: Flags::READONLY,
        summary: "Returns a range of elements of a list.",
        complexity: "O(S+N) where S is the distance of start from the nearer end and N the number of elements returned.",
        arguments: ARGS_RANGE,
        handler: lrange,
        ..LIST_CMD
    },
    CommandSpec {
        name: "ltrim",
        arity: 4,
        flags: Flags::WRITE,
        summary: "Keeps only a range of elements of a list, removing the rest.",
        complexity: "O(N) where N is the number of elements removed.",
        key_flags: RW_DELETE,
        arguments: ARGS_RANGE,
        handler: ltrim,
        ..LIST_CMD
    },
    CommandSpec {
        name: "lrem",
        arity: 4,
        flags: Flags::WRITE,
        summary: "Removes elements equal to a value from a list.",
        complexity: "O(N+M) where N is the length of the list and M the number of elements removed.",
        key_flags: RW_DELETE,
        arguments: &[KEY, integer("count"), ELEMENT],
        handler: lrem,
        ..LIST_CMD
    },
    CommandSpec {
        name: "linsert",
        arity: 5,
        flags: W_DENYOOM,
        since: "2.2.0",
        summary: "Inserts an element before or after another element of a list.",
        complexity: "O(N) where N is the number of elements walked before the pivot.",
        key_flags: RW_INSERT,
        arguments: ARGS_LINSERT,
        handler: linsert,
        ..LIST_CMD
    },
    CommandSpec {
        name: "lpos",
        arity: -3,
        flags: Flags::READONLY,
        since: "6.0.6",
        summary: "Returns the indexes of the elements of a list equal to a value.",
        complexity: "O(N) where N is the number of elements compared.",
        arguments: ARGS_LPOS,
        handler: lpos,
        ..LIST_CMD
    },
    CommandSpec {
        name: "lmove",
        arity: 5,
        flags: W_DENYOOM,
        keys: Keys::TWO,
        key_specs: MOVE_KEY_SPECS,
        since: "6.2.0",
        summary: "Pops an element from one list, pushes it to another and returns it.",
        arguments: ARGS_LMOVE,
        handler: lmove,
        ..LIST_CMD
    },
    CommandSpec {
        name: "rpoplpush",
        arity: 3,
        flags: W_DENYOOM,
        keys: Keys::TWO,
        key_specs: MOVE_KEY_SPECS,
        since: "1.2.0",
        summary: "Pops the last element of a list, prepends it to another and returns it.",
        doc_flags: DocFlags::DEPRECATED,
        deprecated_since: "6.2.0",
        replaced_by: "`LMOVE` with the `RIGHT` and `LEFT` arguments",
        arguments: &[SOURCE, DESTINATION],
        handler: rpoplpush,
        ..LIST_CMD
    },
    CommandSpec {
        name: "lmpop",
        arity: -4,
        flags: Flags::WRITE,
        keys: Keys::NONE,
        key_specs: MPOP_KEY_SPECS,
        since: "7.0.0",
        summary: "Pops elements from the first non-empty list among several keys.",
        complexity: "O(N+M) where N is the number of keys given and M the number of elements returned.",
        arguments: ARGS_LMPOP,
        handler: lmpop,
        ..LIST_CMD
    },
    CommandSpec {
        name: "blpop",
        arity: -3,
        flags: W_BLOCKING,
        keys: KEYS_BEFORE_TIMEOUT,
        since: "2.0.0",
        summary: "Pops the first element of the first non-empty list, or blocks until one has data.",
        complexity: "O(N) where N is the number of keys given.",
        key_flags: RW_ACCESS_DELETE,
        history: TIMEOUT_HISTORY,
        arguments: ARGS_BPOP,
        handler: blpop,
        ..LIST_CMD
    },
    CommandSpec {
        name: "brpop",
        arity: -3,
        flags: W_BLOCKING,
        keys: KEYS_BEFORE_TIMEOUT,
        since: "2.0.0",
        summary: "Pops the last element of the first non-empty list, or blocks until one has data.",
        complexity: "O(N) where N is the number of keys given.",
        key_flags: RW_ACCESS_DELETE,
        history: TIMEOUT_HISTORY,
        arguments: ARGS_BPOP,
        handler: brpop,
        ..LIST_CMD
    },
    CommandSpec {
        name: "brpoplpush",
        arity: 4,
        flags: W_DENYOOM_BLOCKING,
        keys: Keys::TWO,
        key_specs: MOVE_KEY_SPECS,
        since: "2.2.0",
        summary: "Pops the last element of a list and prepends it to another, or blocks until there is one.",
        doc_flags: DocFlags::DEPRECATED,
        deprecated_since: "6.2.0",
        replaced_by: "`BLMOVE` with the `RIGHT` and `LEFT` arguments",
        history: TIMEOUT_HISTORY,
        arguments: &[SOURCE, DESTINATION, TIMEOUT],
        handler: brpoplpush,
        ..LIST_CMD
    },
    CommandSpec {
        name: "blmove",
        arity: 6,
        flags: W_DENYOOM_BLOCKING,
        keys: Keys::TWO,
        key_specs: MOVE_KEY_SPECS,
        since: "6.2.0",
        summary: "Pops an element from one list and pushes it to another, or blocks until there is one.",
        arguments: ARGS_BLMOVE,
        handler: blmove,
        ..LIST_CMD
    },
    CommandSpec {
        name: "blmpop",
        arity: -5,
        flags: Flags::WRITE.or(Flags::BLOCKING),
        keys: Keys::NONE,
        key_specs: BMPOP_KEY_SPECS,
        since: "7.0.0",
        summary: "Pops elements from the first non-empty list among several keys, or blocks until one has data.",
        complexity: "O(N+M) where N is the number of keys given and M the number of elements returned.",
        arguments: ARGS_BLMPOP,
        handler: blmpop,
        ..LIST_CMD
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_clamp_as_redis() {
        assert_eq!(clamp_range(0, -1, 5), Some((0, 5)));
        assert_eq!(clamp_range(-100, 100, 5), Some((0, 5)));
        assert_eq!(clamp_range(3, 1, 5), None);
        assert_eq!(clamp_range(5, 10, 5), None);
        assert_eq!(clamp_range(-2, -1, 5), Some((3, 2)));
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 5), Some((0, 5)));
        assert_eq!(clamp_range(0, i64::MIN, 5), None);
        assert_eq!(clamp_range(0, 0, 0), None);
    }
}
