//! Generic keyspace commands, whatever the type of the value: DEL, UNLINK,
//! EXISTS, TOUCH, TYPE, the TTL family (EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT,
//! EXPIRETIME, PEXPIRETIME, PERSIST, TTL, PTTL), KEYS, SCAN, RANDOMKEY, RENAME,
//! RENAMENX, COPY, MOVE and OBJECT.
//!
//! Every lookup goes through `Db`, so a key past its TTL is deleted on access and
//! never seen. Which lookup each command uses follows Redis: reads that must
//! not refresh the key's LRU clock (EXISTS, TYPE, TTL, OBJECT) use
//! `find_read`; reads that do (TOUCH, COPY's source) use `lookup_read`; writes
//! use `lookup`, which counts no keyspace hit or miss. A TTL travels with its
//! key on RENAME, MOVE and COPY; RENAME and MOVE also keep the key's access
//! bits (LRU stamp or LFU counter), since Redis moves the object itself, while
//! COPY's new object starts fresh.
//!
//! `parse_cursor` and `reply_scan` are public for the HSCAN/SSCAN/ZSCAN family.
//!
//! Each write reports its keyspace events (`Ctx::notify`, see
//! `server::notify`) with Redis 7.0's names: `del`, `expire` (or `del` for a
//! time already past), `persist`, `rename_from`/`rename_to`,
//! `move_from`/`move_to` (each in its database), `copy_to`.

use super::table::{
    key_at, Acl, Arg, ArgFlags, ArgType, Args, CommandSpec, Flags, KeyFlags, Keys, ARG, BASE,
};
use super::Ctx;
use crate::error::{
    err, invalid_expire, CmdError, CmdResult, DB_INDEX_RANGE, NOT_INTEGER, NO_SUCH_KEY,
    SAME_OBJECT, SYNTAX,
};
use crate::keyspace::db::{idle_secs, Db, LFU_INIT_VAL};
use crate::keyspace::dict::EntryId;
use crate::protocol::reply::ReplyBuf;
use crate::server::{notify, propagate};
use crate::util::glob::glob_match;
use crate::util::numbers::parse_i64;

// ---------------------------------------------------------------------------
// Argument parsing
// ---------------------------------------------------------------------------

/// A 64-bit integer argument (Redis's string2ll rules).
fn int_arg(b: &[u8]) -> Result<i64, CmdError> {
    parse_i64(b).ok_or(CmdError::from(NOT_INTEGER))
}

/// A 32-bit integer argument, with Redis's own message when it fits 64 bits
/// but not 32.
fn int32_arg(b: &[u8]) -> Result<i32, CmdError> {
    let v = int_arg(b)?;
    i32::try_from(v).map_err(|_| {
        CmdError::from("ERR value is out of range, value must between -2147483648 and 2147483647")
    })
}

/// A database index argument that must name an existing database.
fn db_index(b: &[u8], databases: usize) -> Result<usize, CmdError> {
    let n = int32_arg(b)?;
    usize::try_from(n)
        .ok()
        .filter(|&n| n < databases)
        .ok_or(CmdError::from(DB_INDEX_RANGE))
}

/// A SCAN cursor, read as C's strtoull in base 10 reads it: an optional sign
/// (a minus wraps around), then digits only, no leading space; the empty
/// string is cursor 0. None when invalid or past 2^64 - 1.
pub fn parse_cursor(b: &[u8]) -> Option<u64> {
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() {
        // strtoull consumed nothing: fine only for the empty string.
        return b.is_empty().then_some(0);
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

// ---------------------------------------------------------------------------
// DEL, UNLINK, EXISTS, TOUCH, TYPE
// ---------------------------------------------------------------------------

/// DEL and UNLINK: values are freed inline either way. Each deleted key
/// reports `del` before the next is looked up.
fn del(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let mut n = 0u64;
    for k in args.iter_from(1) {
        if ctx.db().delete(k, now) {
            n += 1;
            ctx.notify(notify::GENERIC, "del", k);
        }
    }
    ctx.dirty += n;
    ctx.out.int(n as i64);
    Ok(())
}

/// EXISTS counts a key once per time it is named.
fn exists(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let db = ctx.db();
    let n = args
        .iter_from(1)
        .filter(|k| db.find_read(k, now).is_some())
        .count();
    ctx.out.int(n as i64);
    Ok(())
}

/// TOUCH refreshes the access time of the keys that exist.
fn touch(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let db = ctx.db();
    let n = args
        .iter_from(1)
        .filter(|k| db.lookup_read(k, now).is_some())
        .count();
    ctx.out.int(n as i64);
    Ok(())
}

fn type_cmd(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    match db.find_read(args.get(1), now) {
        Some(id) => out.status(db.value(id).type_name()),
        None => out.status("none"),
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The TTL family
// ---------------------------------------------------------------------------

/// The conditions EXPIRE and friends accept after the time.
#[derive(Default)]
struct ExpireCond {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl ExpireCond {
    fn parse(args: &Args, from: usize) -> Result<ExpireCond, CmdError> {
        let mut c = ExpireCond::default();
        for (i, a) in args.iter_from(from).enumerate() {
            let i = from + i;
            if args.is(i, "nx") {
                c.nx = true;
            } else if args.is(i, "xx") {
                c.xx = true;
            } else if args.is(i, "gt") {
                c.gt = true;
            } else if args.is(i, "lt") {
                c.lt = true;
            } else {
                return Err(CmdError::quoting("ERR Unsupported option ", a, ""));
            }
        }
        if c.nx && (c.xx || c.gt || c.lt) {
            return err("ERR NX and XX, GT or LT options at the same time are not compatible");
        }
        if c.gt && c.lt {
            return err("ERR GT and LT options at the same time are not compatible");
        }
        Ok(c)
    }

    /// Whether a key whose TTL is `current` (None: no TTL, i.e. infinite) may
    /// get the TTL `when`.
    fn allows(&self, current: Option<i64>, when: i64) -> bool {
        match current {
            None => !(self.xx || self.gt),
            Some(cur) => !(self.nx || (self.gt && when <= cur) || (self.lt && when >= cur)),
        }
    }
}

/// The absolute expiry time (unix ms) an EXPIRE-family argument asks for:
/// `t` in seconds when `secs`, relative to `base` (0 for the *AT forms).
/// None when it does not fit in 64 bits.
fn expire_time(t: i64, secs: bool, base: i64) -> Option<i64> {
    let ms = if secs { t.checked_mul(1000)? } else { t };
    ms.checked_add(base)
}

/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT. A time already past deletes the key.
fn expire_generic(ctx: &mut Ctx, args: &Args, name: &str, secs: bool, relative: bool) -> CmdResult {
    let cond = ExpireCond::parse(args, 3)?;
    let t = int_arg(args.get(2))?;
    let now = ctx.now;
    let base = if relative { now } else { 0 };
    let when = expire_time(t, secs, base).ok_or_else(|| invalid_expire(name))?;
    let (db, out) = ctx.db_out();
    let Some(id) = db.lookup(args.get(1), now) else {
        out.int(0);
        return Ok(());
    };
    if !cond.allows(db.expire_of(id), when) {
        out.int(0);
        return Ok(());
    }
    // (While an AOF loads, a time in the past is set like any other.)
    let event = if when <= now && !db.keep_expired {
        db.remove_id(id);
        ctx.propagate_expired_del(args.get(1));
        "del"
    } else {
        db.set_expire(id, when);
        // As Redis 7.0: `PEXPIREAT key ms` with the condition as sent.
        if ctx.propagating() {
            let ms = propagate::int_arg(when);
            let mut argv: Vec<&[u8]> = vec![b"PEXPIREAT", args.get(1), &ms];
            argv.extend(args.iter_from(3));
            ctx.propagate_as(&argv);
        }
        "expire"
    };
    ctx.dirty += 1;
    ctx.notify(notify::GENERIC, event, args.get(1));
    ctx.out.int(1);
    Ok(())
}

fn expire(ctx: &mut Ctx, args: &Args) -> CmdResult {
    expire_generic(ctx, args, "expire", true, true)
}

fn pexpire(ctx: &mut Ctx, args: &Args) -> CmdResult {
    expire_generic(ctx, args, "pexpire", false, true)
}

fn expireat(ctx: &mut Ctx, args: &Args) -> CmdResult {
    expire_generic(ctx, args, "expireat", true, false)
}

fn pexpireat(ctx: &mut Ctx, args: &Args) -> CmdResult {
    expire_generic(ctx, args, "pexpireat", false, false)
}

/// Milliseconds to seconds, rounded to the nearest (half up), as TTL shows.
fn ms_to_secs_rounded(ms: i64) -> i64 {
    ((i128::from(ms) + 500) / 1000) as i64
}

/// TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for a missing key, -1 for a key
/// without TTL; else the time left (or the unix time) in seconds or ms.
fn ttl_generic(ctx: &mut Ctx, args: &Args, ms: bool, absolute: bool) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(id) = db.find_read(args.get(1), now) else {
        out.int(-2);
        return Ok(());
    };
    let Some(when) = db.expire_of(id) else {
        out.int(-1);
        return Ok(());
    };
    let t = if absolute {
        when
    } else {
        when.saturating_sub(now).max(0)
    };
    out.int(if ms { t } else { ms_to_secs_rounded(t) });
    Ok(())
}

fn ttl(ctx: &mut Ctx, args: &Args) -> CmdResult {
    ttl_generic(ctx, args, false, false)
}

fn pttl(ctx: &mut Ctx, args: &Args) -> CmdResult {
    ttl_generic(ctx, args, true, false)
}

fn expiretime(ctx: &mut Ctx, args: &Args) -> CmdResult {
    ttl_generic(ctx, args, false, true)
}

fn pexpiretime(ctx: &mut Ctx, args: &Args) -> CmdResult {
    ttl_generic(ctx, args, true, true)
}

fn persist(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let db = ctx.db();
    let removed = match db.lookup(args.get(1), now) {
        Some(id) => db.persist(id),
        None => false,
    };
    if removed {
        ctx.dirty += 1;
        ctx.notify(notify::GENERIC, "persist", args.get(1));
    }
    ctx.out.int(i64::from(removed));
    Ok(())
}

// ---------------------------------------------------------------------------
// KEYS, SCAN, RANDOMKEY
// ---------------------------------------------------------------------------

/// KEYS: every live key matching the pattern. A lone `*` matches every key,
/// the empty one included (the glob itself never matches an empty string).
fn keys(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let pat = args.get(1);
    let all = pat == b"*";
    let (db, out) = ctx.db_out();
    let d = out.begin_deferred();
    let mut n = 0;
    for id in db.entries() {
        if db.is_expired(id, now) {
            continue;
        }
        let k = db.key(id);
        if all || glob_match(pat, k, false) {
            out.bulk(k);
            n += 1;
        }
    }
    out.end_deferred_array(d, n);
    Ok(())
}

/// SCAN's options.
/// The options of SCAN and of HSCAN, SSCAN, ZSCAN (which take no TYPE).
pub struct ScanOpts<'a> {
    /// COUNT, at least 1.
    pub count: i64,
    /// MATCH (None for `*`, which matches everything).
    pub pattern: Option<&'a [u8]>,
    pub type_name: Option<&'a [u8]>,
}

impl ScanOpts<'_> {
    /// COUNT as a size.
    pub fn count_usize(&self) -> usize {
        usize::try_from(self.count).unwrap_or(usize::MAX)
    }
}

/// Parses the scan options from argument `from` on; TYPE only if
/// `allow_type` (SCAN), else it is a syntax error as in Redis.
pub fn parse_scan_opts<'a>(
    args: &Args<'a>,
    from: usize,
    allow_type: bool,
) -> Result<ScanOpts<'a>, CmdError> {
    let mut o = ScanOpts {
        count: 10,
        pattern: None,
        type_name: None,
    };
    let mut i = from;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        if args.is(i, "count") && has_value {
            o.count = int_arg(args.get(i + 1))?;
            if o.count < 1 {
                return err(SYNTAX);
            }
        } else if args.is(i, "match") && has_value {
            let p = args.get(i + 1);
            o.pattern = (p != b"*").then_some(p);
        } else if allow_type && args.is(i, "type") && has_value {
            o.type_name = Some(args.get(i + 1));
        } else {
            return err(SYNTAX);
        }
        i += 2;
    }
    Ok(o)
}

/// One SCAN step over `db` from `cursor`: visits buckets until about `count`
/// keys were gathered (at most 10 * count buckets), then filters them by
/// pattern, type and expiry. Returns the next cursor and the keys.
fn scan_db(db: &mut Db, cursor: u64, o: &ScanOpts, now: i64) -> (u64, Vec<Vec<u8>>) {
    let want = usize::try_from(o.count).unwrap_or(usize::MAX);
    let mut budget = o.count.saturating_mul(10);
    let mut found: Vec<Vec<u8>> = Vec::new();
    let mut cur = cursor;
    loop {
        cur = db.scan(cur, |id| found.push(db.key(id).to_vec()));
        if cur == 0 || budget == 0 || found.len() >= want {
            break;
        }
        budget -= 1;
    }
    found.retain(|k| {
        if let Some(p) = o.pattern {
            if !glob_match(p, k, false) {
                return false;
            }
        }
        if let Some(t) = o.type_name {
            // As Redis: the type is read with a lookup that expires the key;
            // an expired key then reads as "none" and is not filtered again.
            return match db.find_read(k, now) {
                Some(id) => db.value(id).type_name().as_bytes().eq_ignore_ascii_case(t),
                None => t.eq_ignore_ascii_case(b"none"),
            };
        }
        db.find(k, now).is_some()
    });
    (cur, found)
}

fn scan(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let cursor = parse_cursor(args.get(1)).ok_or(CmdError::from("ERR invalid cursor"))?;
    let opts = parse_scan_opts(args, 2, true)?;
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let (next, found) = scan_db(db, cursor, &opts, now);
    reply_scan(out, next, &found);
    Ok(())
}

/// The SCAN reply: the next cursor as a bulk string, then the elements.
pub fn reply_scan(out: &mut ReplyBuf, cursor: u64, items: &[Vec<u8>]) {
    out.array(2);
    out.bulk(cursor.to_string().as_bytes());
    out.array(items.len());
    for it in items {
        out.bulk(it);
    }
}

fn randomkey(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    match db.random_key(now) {
        Some(k) => out.bulk(&k),
        None => out.null(),
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// RENAME, RENAMENX, MOVE, COPY
// ---------------------------------------------------------------------------

/// Moves `src` to `dst` in one database, with its TTL. With `nx`, an existing
/// destination wins. Returns whether the key moved (Err if `src` is missing).
fn rename_in(db: &mut Db, src: &[u8], dst: &[u8], nx: bool, now: i64) -> Result<bool, CmdError> {
    let Some(id) = db.lookup(src, now) else {
        return err(NO_SUCH_KEY);
    };
    if src == dst {
        return Ok(!nx);
    }
    if db.lookup(dst, now).is_some() {
        if nx {
            return Ok(false);
        }
        db.delete(dst, now);
    }
    let access = db.lru(id);
    let (_, val, ttl) = db.remove_id(id);
    let new_id = db.add_with_expire(dst, val, ttl, now);
    db.set_access_bits(new_id, access);
    Ok(true)
}

/// The events of a key renamed to another name (no `del` for a replaced
/// destination, as in Redis).
fn notify_rename(ctx: &mut Ctx, src: &[u8], dst: &[u8]) {
    ctx.notify(notify::GENERIC, "rename_from", src);
    ctx.notify(notify::GENERIC, "rename_to", dst);
}

fn rename(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let (src, dst) = (args.get(1), args.get(2));
    let moved = rename_in(ctx.db(), src, dst, false, now)?;
    if moved && src != dst {
        ctx.dirty += 1;
        notify_rename(ctx, src, dst);
    }
    ctx.out.ok();
    Ok(())
}

fn renamenx(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let (src, dst) = (args.get(1), args.get(2));
    let moved = rename_in(ctx.db(), src, dst, true, now)?;
    if moved {
        ctx.dirty += 1;
        if src != dst {
            notify_rename(ctx, src, dst);
        }
    }
    ctx.out.int(i64::from(moved));
    Ok(())
}

fn move_cmd(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let dst = db_index(args.get(2), ctx.srv.dbs.len())?;
    let src = ctx.db;
    if dst == src {
        return err(SAME_OBJECT);
    }
    let now = ctx.now;
    let key = args.get(1);
    let dbs = &mut ctx.srv.dbs;
    let Some(id) = dbs[src].lookup(key, now) else {
        ctx.out.int(0);
        return Ok(());
    };
    if dbs[dst].lookup(key, now).is_some() {
        ctx.out.int(0);
        return Ok(());
    }
    // Nothing touched the source database since the lookup: `id` still names it.
    let access = dbs[src].lru(id);
    let (_, val, ttl) = dbs[src].remove_id(id);
    let new_id = dbs[dst].add_with_expire(key, val, ttl, now);
    dbs[dst].set_access_bits(new_id, access);
    ctx.dirty += 1;
    ctx.notify_in(src, notify::GENERIC, "move_from", key);
    ctx.notify_in(dst, notify::GENERIC, "move_to", key);
    ctx.out.int(1);
    Ok(())
}

fn copy(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut dst_db = ctx.db;
    let mut replace = false;
    let mut i = 3;
    while i < args.len() {
        if args.is(i, "replace") {
            replace = true;
            i += 1;
        } else if args.is(i, "db") && i + 1 < args.len() {
            let n = int32_arg(args.get(i + 1))?;
            // Checked as soon as it is read: a later bad option is not reached.
            dst_db = usize::try_from(n).unwrap_or(usize::MAX);
            if dst_db >= ctx.srv.dbs.len() {
                return err(DB_INDEX_RANGE);
            }
            i += 2;
        } else {
            return err(SYNTAX);
        }
    }
    let (src, dst) = (args.get(1), args.get(2));
    if dst_db == ctx.db && src == dst {
        return err(SAME_OBJECT);
    }
    let now = ctx.now;
    let dbs = &mut ctx.srv.dbs;
    let sdb = &mut dbs[ctx.db];
    let Some(id) = sdb.lookup_read(src, now) else {
        ctx.out.int(0);
        return Ok(());
    };
    let (val, ttl) = (sdb.value(id).duplicate(), sdb.expire_of(id));
    let ddb = &mut dbs[dst_db];
    if ddb.lookup(dst, now).is_some() {
        if !replace {
            ctx.out.int(0);
            return Ok(());
        }
        ddb.delete(dst, now);
    }
    ddb.add_with_expire(dst, val, ttl, now);
    ctx.dirty += 1;
    ctx.notify_in(dst_db, notify::GENERIC, "copy_to", dst);
    ctx.out.int(1);
    Ok(())
}

// ---------------------------------------------------------------------------
// OBJECT
// ---------------------------------------------------------------------------

fn lfu_policy(ctx: &Ctx) -> bool {
    ctx.srv.config.maxmemory_policy.ends_with("-lfu")
}

/// The key an OBJECT subcommand inspects (not refreshing its access time).
/// A miss is counted but reports no `keymiss` event, as in Redis.
fn object_key(ctx: &mut Ctx, args: &Args) -> Option<EntryId> {
    let now = ctx.now;
    let db = ctx.db();
    let r = db.find(args.get(2), now);
    if r.is_some() {
        db.hits += 1;
    } else {
        db.misses += 1;
    }
    r
}

fn object_encoding(ctx: &mut Ctx, args: &Args) -> CmdResult {
    match object_key(ctx, args) {
        Some(id) => {
            let enc = ctx.db().value(id).encoding();
            ctx.out.bulk(enc.as_bytes());
        }
        None => ctx.out.null(),
    }
    Ok(())
}

fn object_refcount(ctx: &mut Ctx, args: &Args) -> CmdResult {
    match object_key(ctx, args) {
        Some(id) => {
            let n = ctx.db().value(id).refcount();
            ctx.out.int(n);
        }
        None => ctx.out.null(),
    }
    Ok(())
}

fn object_idletime(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(id) = object_key(ctx, args) else {
        ctx.out.null();
        return Ok(());
    };
    if lfu_policy(ctx) {
        return err("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
    }
    let idle = idle_secs(ctx.db().lru(id), ctx.now);
    ctx.out.int(i64::from(idle));
    Ok(())
}

fn object_freq(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(id) = object_key(ctx, args) else {
        ctx.out.null();
        return Ok(());
    };
    if !lfu_policy(ctx) {
        return err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
    }
    let now = ctx.now;
    let db = ctx.db();
    // A database not (yet) switched to LFU tracking holds LRU stamps, not
    // counters: report the counter of a new key rather than noise.
    let freq = if db.tracks_lfu() {
        db.lfu_freq(id, now)
    } else {
        LFU_INIT_VAL
    };
    ctx.out.int(i64::from(freq));
    Ok(())
}

/// OBJECT HELP's lines after the title, in our words, as many as Redis's.
const OBJECT_HELP: &[&str] = &[
    "ENCODING <key>",
    "    Names the internal representation of the value stored at <key>",
    "    (int, embstr, raw, ...).",
    "FREQ <key>",
    "    Gives the logarithmic access-frequency counter of <key>; needs an LFU",
    "    maxmemory-policy.",
    "IDLETIME <key>",
    "    Gives the seconds since <key> was last read or written (approximate;",
    "    needs an LRU or no-eviction maxmemory-policy).",
    "REFCOUNT <key>",
    "    Gives the number of references held to the value of <key>",
    "    (shared small integers report the largest count).",
];

fn object_help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    super::server::reply_help(ctx.out, "OBJECT", OBJECT_HELP);
    Ok(())
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

const KS: Acl = Acl::KEYSPACE;
const W_FAST: Flags = Flags::WRITE.or(Flags::FAST);
const R_FAST: Flags = Flags::READONLY.or(Flags::FAST);
const KEY2: Keys = Keys {
    first: 2,
    last: 2,
    step: 1,
};

// Key flags as Redis declares them for these commands (COMMAND INFO key specs,
// COMMAND GETKEYSANDFLAGS): the defaults derived from read/write do not fit.
/// The key is only read, not even its value (EXISTS, TYPE, OBJECT...).
const KF_RO: KeyFlags = KeyFlags::RO;
/// The key's value is read (its TTL, or the value itself).
const KF_RO_ACCESS: KeyFlags = KeyFlags::RO.or(KeyFlags::ACCESS);
/// The key's metadata (its TTL) is changed.
const KF_RW_UPDATE: KeyFlags = KeyFlags::RW.or(KeyFlags::UPDATE);
/// The key is removed.
const KF_RM_DELETE: KeyFlags = KeyFlags::RM.or(KeyFlags::DELETE);

/// Commands run on every shard whose counts are summed (DEL, EXISTS...).
const MULTI_SHARD_SUM: &[&str] = &["request_policy:multi_shard", "response_policy:agg_sum"];
const NONDETERMINISTIC: &[&str] = &["nondeterministic_output"];

const KEY_ARG: Arg = Arg {
    name: "key",
    kind: ArgType::Key(0),
    ..ARG
};
const ONE_KEY: &[Arg] = &[KEY_ARG];
const MANY_KEYS: &[Arg] = &[Arg {
    flags: ArgFlags::MULTIPLE,
    ..KEY_ARG
}];
const RENAME_ARGS: &[Arg] = &[
    KEY_ARG,
    Arg {
        name: "newkey",
        kind: ArgType::Key(1),
        ..ARG
    },
];

/// The NX/XX/GT/LT condition of the EXPIRE family.
const EXPIRE_CONDITION: Arg = Arg {
    name: "condition",
    kind: ArgType::OneOf,
    since: "7.0.0",
    flags: ArgFlags::OPTIONAL,
    args: &[
        Arg {
            name: "nx",
            kind: ArgType::PureToken,
            token: "NX",
            ..ARG
        },
        Arg {
            name: "xx",
            kind: ArgType::PureToken,
            token: "XX",
            ..ARG
        },
        Arg {
            name: "gt",
            kind: ArgType::PureToken,
            token: "GT",
            ..ARG
        },
        Arg {
            name: "lt",
            kind: ArgType::PureToken,
            token: "LT",
            ..ARG
        },
    ],
    ..ARG
};
const EXPIRE_HISTORY: &[(&str, &str)] = &[(
    "7.0.0",
    "Accepts a condition: NX, XX, GT or LT on the current TTL.",
)];
const TTL_HISTORY: &[(&str, &str)] = &[(
    "2.8.0",
    "A missing key gives -2; -1 now only means a key without TTL.",
)];

const OBJECT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "encoding",
        arity: 3,
        flags: Flags::READONLY,
        acl: KS,
        keys: KEY2,
        key_flags: KF_RO,
        tips: NONDETERMINISTIC,
        since: "2.2.3",
        summary: "Tells how the value of a key is stored internally.",
        arguments: ONE_KEY,
        handler: object_encoding,
        ..BASE
    },
    CommandSpec {
        name: "freq",
        arity: 3,
        flags: Flags::READONLY,
        acl: KS,
        keys: KEY2,
        key_flags: KF_RO,
        tips: NONDETERMINISTIC,
        since: "4.0.0",
        summary: "Returns the logarithmic access counter of a key (LFU policies).",
        arguments: ONE_KEY,
        handler: object_freq,
        ..BASE
    },
    CommandSpec {
        name: "idletime",
        arity: 3,
        flags: Flags::READONLY,
        acl: KS,
        keys: KEY2,
        key_flags: KF_RO,
        tips: NONDETERMINISTIC,
        since: "2.2.3",
        summary: "Returns the seconds since a key was last accessed.",
        arguments: ONE_KEY,
        handler: object_idletime,
        ..BASE
    },
    CommandSpec {
        name: "refcount",
        arity: 3,
        flags: Flags::READONLY,
        acl: KS,
        keys: KEY2,
        key_flags: KF_RO,
        tips: NONDETERMINISTIC,
        since: "2.2.3",
        summary: "Returns how many references the value of a key has.",
        arguments: ONE_KEY,
        handler: object_refcount,
        ..BASE
    },
    CommandSpec {
        name: "help",
        arity: 2,
        flags: Flags::LOADING.or(Flags::STALE),
        acl: KS,
        since: "6.2.0",
        summary: "Lists the OBJECT subcommands.",
        handler: object_help,
        ..BASE
    },
];

/// The cursor, MATCH and COUNT arguments of SCAN, HSCAN, SSCAN and ZSCAN
/// (COMMAND DOCS).
pub const SCAN_ARGS: [Arg; 3] = [
    Arg {
        name: "cursor",
        kind: ArgType::Integer,
        ..ARG
    },
    Arg {
        name: "pattern",
        kind: ArgType::Pattern,
        token: "MATCH",
        flags: ArgFlags::OPTIONAL,
        ..ARG
    },
    Arg {
        name: "count",
        kind: ArgType::Integer,
        token: "COUNT",
        flags: ArgFlags::OPTIONAL,
        ..ARG
    },
];

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "del",
        arity: -2,
        flags: Flags::WRITE,
        acl: KS,
        keys: Keys::ALL,
        key_flags: KF_RM_DELETE,
        tips: MULTI_SHARD_SUM,
        summary: "Deletes keys; returns how many existed.",
        complexity: "O(N) for N keys, plus O(M) for each non-string value of M elements.",
        arguments: MANY_KEYS,
        handler: del,
        ..BASE
    },
    CommandSpec {
        name: "unlink",
        arity: -2,
        flags: W_FAST,
        acl: KS,
        keys: Keys::ALL,
        key_flags: KF_RM_DELETE,
        tips: MULTI_SHARD_SUM,
        since: "4.0.0",
        summary: "Deletes keys, freeing their memory out of the way of the caller.",
        complexity: "O(1) per key; large values are freed in the background.",
        arguments: MANY_KEYS,
        handler: del,
        ..BASE
    },
    CommandSpec {
        name: "exists",
        arity: -2,
        flags: R_FAST,
        acl: KS,
        keys: Keys::ALL,
        key_flags: KF_RO,
        tips: MULTI_SHARD_SUM,
        summary: "Counts how many of the named keys exist (repeats count again).",
        complexity: "O(N) for N keys.",
        history: &[("3.0.3", "Takes several keys and counts those that exist.")],
        arguments: MANY_KEYS,
        handler: exists,
        ..BASE
    },
    CommandSpec {
        name: "touch",
        arity: -2,
        flags: R_FAST,
        acl: KS,
        keys: Keys::ALL,
        key_flags: KF_RO,
        tips: MULTI_SHARD_SUM,
        since: "3.2.1",
        summary: "Refreshes the access time of keys; returns how many exist.",
        complexity: "O(N) for N keys.",
        arguments: MANY_KEYS,
        handler: touch,
        ..BASE
    },
    CommandSpec {
        name: "type",
        arity: 2,
        flags: R_FAST,
        acl: KS,
        keys: Keys::ONE,
        key_flags: KF_RO,
        summary: "Returns the type of the value of a key, or none.",
        arguments: ONE_KEY,
        handler: type_cmd,
        ..BASE
    },
    CommandSpec {
        name: "expire",
        arity: -3,
        flags: W_FAST,
        acl: KS,
        keys: Keys::ONE,
        key_flags: KF_RW_UPDATE,
        summary: "Sets a key's time to live in seconds.",
        history: EXPIRE_HISTORY,
        arguments: &[
            KEY_ARG,
            Arg {
                name: "seconds",
                kind: ArgType::Integer,
                ..ARG
            },
            EXPIRE_CONDITION,
        ],
        handler: expire,
        ..BASE
    },
    CommandSpec {
        name: "pexpire",
        arity: -3,
        flags: W_FAST,
        acl: KS,
        keys: Keys::ONE,
        key_flags: KF_RW_UPDATE,
        since: "2.6.0",
        summary: "Sets a key's time to live in milliseconds.",
        history: EXPIRE_HISTORY,
        arguments: &[
            KEY_ARG,
            Arg {
                name: "milliseconds",
                kind: ArgType::Integer,
                ..ARG
            },
            EXPIRE_CONDITION,
        ],
        handler: pexpire,
        ..BASE
    },
    CommandSpec {
        name: "expireat",
        arity: -3,
        flags: W_FAST,
        acl: KS,
        keys: Keys::ONE,
        key_flags: KF_RW_UPDATE,
        since: "1.2.0",
        summary: "Sets the unix time, in seconds, at which a key expires.",
        history: EXPIRE_HISTORY,
        arguments: &[
            KEY_ARG,
            Arg {
                name: "unix-time-seconds",
                kind: ArgType::UnixTime,
                ..ARG
            },
            EXPIRE_CONDITION,
        ],
        handler: expireat,
        ..BASE
    },
    CommandSpec {
        name: "pexpireat",
        arity: -3,
        flags: W_FAST,
        acl: KS,
        keys: Keys::ONE,
        key_flags: KF_RW_UPDATE,
        since: "2.6.0",
        summary: "Sets the unix time, in milliseconds, at which a key expires.",
        history: EXPIRE_HISTORY,
        arguments: &[
            KEY_ARG,
            Arg {
                name: "unix-time-milliseconds",
                kind: ArgType::UnixTime,
                ..ARG
            },
            EXPIRE_CONDITION,
        ],
        handler: pexpireat,
        ..BASE
    },
    CommandSpec {
        name: "expiretime",
        arity: 2,
        flags: R_FAST,
        acl: KS,
        keys: Keys::ONE,
        key_flags: KF_RO_ACCESS,
        since: "7.0.0",
        summary: "Returns the unix time, in seconds, at which a key expires.",
        arguments: ONE_KEY,
        handler: expiretime,
        ..BASE
    },
    CommandSpec {
        name: "pexpiretime",
        arity: 2,
        flags: R_FAST,
        acl: KS,
        keys: Keys::ONE,
        key_flags: KF_RO_ACCESS,
        since: "7.0.0",
        summary: "Returns the unix time, in milliseconds, at which a key expires.",
        arguments: ONE_KEY,
        handler: pexpiretime,
        ..BASE
    },
    CommandSpec {
        name: "persist",
        arity: 2,
        flags: W_FAST,
        acl: KS,
        keys: Keys::ONE,
        key_flags: KF_RW_UPDATE,
        since: "2.2.0",
        summary: "Removes the time to live of a key.",
        arguments: ONE_KEY,
        handler: persist,
        ..BASE
    },
    CommandSpec {
        name: "ttl",
        arity: 2,
        flags: R_FAST,
        acl: KS,
        keys: Keys::ONE,
        key_flags: KF_RO_ACCESS,
        tips: NONDETERMINISTIC,
        summary: "Returns the time to live of a key in seconds.",
        history: TTL_HISTORY,
        arguments: ONE_KEY,
        handler: ttl,
        ..BASE
    },
    CommandSpec {
        name: "pttl",
        arity: 2,
        flags: R_FAST,
        acl: KS,
        keys: Keys::ONE,
        key_flags: KF_RO_ACCESS,
        tips: NONDETERMINISTIC,
        since: "2.6.0",
        summary: "Returns the time to live of a key in milliseconds.",
        history: TTL_HISTORY,
        arguments: ONE_KEY,
        handler: pttl,
        ..BASE
    },
    CommandSpec {
        name: "keys",
        arity: 2,
        flags: Flags::READONLY,
        // Not an admin command, yet @dangerous: it walks the whole keyspace.
        acl: KS.or(Acl::DANGEROUS),
        tips: &["request_policy:all_shards", "nondeterministic_output_order"],
        summary: "Returns every key matching a glob pattern.",
        complexity: "O(N) for N keys in the database.",
        arguments: &[Arg {
            name: "pattern",
            kind: ArgType::Pattern,
            ..ARG
        }],
        handler: keys,
        ..BASE
    },
    CommandSpec {
        name: "scan",
        arity: -2,
        flags: Flags::READONLY,
        acl: KS,
        tips: &["nondeterministic_output", "request_policy:special"],
        since: "2.8.0",
        summary: "Iterates over the keys with a cursor.",
        complexity: "O(1) per call; O(N) for a full iteration over N keys.",
        history: &[("6.0.0", "Can filter the keys by the type of their value.")],
        arguments: &[
            SCAN_ARGS[0],
            SCAN_ARGS[1],
            SCAN_ARGS[2],
            Arg {
                name: "type",
                token: "TYPE",
                since: "6.0.0",
                flags: ArgFlags::OPTIONAL,
                ..ARG
            },
        ],
        handler: scan,
        ..BASE
    },
    CommandSpec {
        name: "randomkey",
        arity: 1,
        flags: Flags::READONLY,
        acl: KS,
        tips: &["request_policy:all_shards", "nondeterministic_output"],
        summary: "Returns a random key.",
        handler: randomkey,
        ..BASE
    },
    CommandSpec {
        name: "rename",
        arity: 3,
        flags: Flags::WRITE,
        acl: KS,
        keys: Keys::TWO,
        key_specs: &[
            key_at(1, KeyFlags::RW.or(KeyFlags::ACCESS).or(KeyFlags::DELETE)),
            key_at(2, KeyFlags::OW.or(KeyFlags::UPDATE)),
        ],
        summary: "Renames a key, replacing any key of the new name.",
        arguments: RENAME_ARGS,
        handler: rename,
        ..BASE
    },
    CommandSpec {
        name: "renamenx",
        arity: 3,
        flags: W_FAST,
        acl: KS,
        keys: Keys::TWO,
        key_specs: &[
            key_at(1, KeyFlags::RW.or(KeyFlags::ACCESS).or(KeyFlags::DELETE)),
            key_at(2, KeyFlags::OW.or(KeyFlags::INSERT)),
        ],
        summary: "Renames a key unless the new name is taken.",
        history: &[(
            "3.2.0",
            "Renaming a key to its own name is no longer an error.",
        )],
        arguments: RENAME_ARGS,
        handler: renamenx,
        ..BASE
    },
    CommandSpec {
        name: "copy",
        arity: -3,
        flags: Flags::WRITE.or(Flags::DENYOOM),
        acl: KS,
        keys: Keys::TWO,
        key_specs: &[
            key_at(1, KF_RO_ACCESS),
            key_at(2, KeyFlags::OW.or(KeyFlags::UPDATE)),
        ],
        since: "6.2.0",
        summary: "Copies the value of a key to another key, possibly in another database.",
        complexity: "O(1) for strings; O(N) for a collection of N items.",
        arguments: &[
            Arg {
                name: "source",
                kind: ArgType::Key(0),
                ..ARG
            },
            Arg {
                name: "destination",
                kind: ArgType::Key(1),
                ..ARG
            },
            Arg {
                name: "destination-db",
                kind: ArgType::Integer,
                token: "DB",
                flags: ArgFlags::OPTIONAL,
                ..ARG
            },
            Arg {
                name: "replace",
                kind: ArgType::PureToken,
                token: "REPLACE",
                flags: ArgFlags::OPTIONAL,
                ..ARG
            },
        ],
        handler: copy,
        ..BASE
    },
    CommandSpec {
        name: "move",
        arity: 3,
        flags: W_FAST,
        acl: KS,
        keys: Keys::ONE,
        key_flags: KeyFlags::RW.or(KeyFlags::ACCESS).or(KeyFlags::UPDATE),
        summary: "Moves a key to another database.",
        arguments: &[
            KEY_ARG,
            Arg {
                name: "db",
                kind: ArgType::Integer,
                ..ARG
            },
        ],
        handler: move_cmd,
        ..BASE
    },
    CommandSpec {
        name: "object",
        arity: -2,
        flags: Flags::NONE,
        acl: Acl::NONE,
        since: "2.2.3",
        summary: "A container for commands that inspect how a key is stored.",
        complexity: "Depends on subcommand.",
        subcommands: OBJECT_SUBCOMMANDS,
        ..BASE
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_parsing_follows_strtoull() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"01"), Some(1));
        assert_eq!(parse_cursor(b"+1"), Some(1));
        assert_eq!(parse_cursor(b"-0"), Some(0));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"-18446744073709551615"), Some(1));
        assert_eq!(parse_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_cursor(b"-"), None);
        assert_eq!(parse_cursor(b" 1"), None);
        assert_eq!(parse_cursor(b"0x1"), None);
        assert_eq!(parse_cursor(b"abc"), None);
    }

    #[test]
    fn expire_time_bounds() {
        assert_eq!(expire_time(1, true, 10), Some(1010));
        assert_eq!(expire_time(i64::MAX, false, 0), Some(i64::MAX));
        assert_eq!(
            expire_time(i64::MAX / 1000, true, 0),
            Some(i64::MAX / 1000 * 1000)
        );
        assert_eq!(expire_time(i64::MAX / 1000 + 1, true, 0), None);
        assert_eq!(expire_time(i64::MAX, false, 1), None);
        assert_eq!(expire_time(i64::MIN, false, 5), Some(i64::MIN + 5));
        assert_eq!(expire_time(i64::MIN / 1000 - 1, true, 0), None);
    }

    #[test]
    fn expire_conditions() {
        let c = |nx, xx, gt, lt| ExpireCond { nx, xx, gt, lt };
        assert!(c(false, false, false, false).allows(None, 5));
        assert!(!c(true, false, false, false).allows(Some(1), 5));
        assert!(c(true, false, false, false).allows(None, 5));
        assert!(!c(false, true, false, false).allows(None, 5));
        assert!(!c(false, false, true, false).allows(None, 5));
        assert!(c(false, false, true, false).allows(Some(4), 5));
        assert!(!c(false, false, true, false).allows(Some(5), 5));
        assert!(c(false, false, false, true).allows(None, 5));
        assert!(!c(false, false, false, true).allows(Some(5), 5));
        assert!(c(false, false, false, true).allows(Some(6), 5));
    }

    #[test]
    fn ttl_rounding() {
        assert_eq!(ms_to_secs_rounded(1499), 1);
        assert_eq!(ms_to_secs_rounded(1500), 2);
        assert_eq!(ms_to_secs_rounded(i64::MAX), 9_223_372_036_854_776);
    }
}
