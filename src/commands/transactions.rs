//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Between MULTI and EXEC the dispatcher queues every command but EXEC,
//! DISCARD, MULTI, WATCH, QUIT and RESET (replying `+QUEUED`); a command it
//! refuses while queueing (unknown, wrong arity, ...) marks the transaction
//! failed and EXEC then aborts with EXECABORT. EXEC runs the queue through
//! `dispatch` in one go, replying with an array of the replies; blocking
//! commands do not block there (`Ctx::can_block`).
//!
//! WATCH is optimistic locking. Each database keeps the clients watching
//! each key; the keyspace records writes to watched keys (`Db::note_write`)
//! and, after each command that changed the dataset, its watchers are marked
//! (`Client::dirty_cas`): a later EXEC replies a null array. Deletion by
//! expiry always counts; so does a watched key whose TTL passed since WATCH,
//! even if nobody touched it; FLUSHDB/FLUSHALL/SWAPDB invalidate the keys
//! that existed. A write that changes nothing (SADD of a member already
//! there) does not, as in Redis.

use slab::Slab;

use super::table::{
    Acl, Arg, ArgFlags, ArgType, Args, CommandSpec, Flags, Group, KeyFlags, Keys, ARG, BASE,
};
use super::{dispatch, Ctx};
use crate::error::{err, CmdResult};
use crate::keyspace::small_bytes::SmallBytes;
use crate::server::client::{Client, HeldCommand};
use crate::server::ServerState;

/// Commands run at once inside MULTI rather than queued.
pub fn runs_inside_multi(name: &str) -> bool {
    matches!(
        name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

/// Queues a command of a client in MULTI and replies `+QUEUED`.
pub fn queue(ctx: &mut Ctx, args: &Args) {
    let c = ctx.client();
    if let Some(q) = c.multi.as_mut() {
        q.push(HeldCommand::new(args.iter_from(0)));
    }
    ctx.out.status("QUEUED");
}

/// The watch record of client `c` for `key` in database `db`.
fn watch_entry<'a>(c: &'a mut Client, db: usize, key: &[u8]) -> Option<&'a mut WatchedKey> {
    c.watched
        .iter_mut()
        .find(|(d, k, _)| *d == db && k.as_slice() == key)
}

type WatchedKey = (usize, SmallBytes, bool);

/// Handles the keys the last command wrote (or expiry deleted), as the
/// keyspace recorded them: invalidates their WATCHes and their client-side
/// caches (`server::tracking`). `changed`: the command changed the dataset
/// (else only expiry deletions count); `writer`: the client that ran it
/// (None in the cron), whose output buffer is `caller`'s.
pub fn keys_written(
    srv: &mut ServerState,
    clients: &mut Slab<Client>,
    writer: Option<usize>,
    caller: (usize, &mut crate::protocol::reply::ReplyBuf),
    changed: bool,
) {
    let (cid, out) = caller;
    for i in 0..srv.dbs.len() {
        for key in srv.dbs[i].take_touched(changed) {
            invalidate_watchers(srv, clients, i, &key);
            if srv.tracking.active() {
                srv.tracking.invalidate_key(
                    clients,
                    writer,
                    (cid, &mut *out),
                    &mut srv.pubsub.touched,
                    &key,
                );
            }
        }
    }
}

/// Marks the watchers of a written key as invalidated. A key that was
/// already expired when watched and is now gone was logically not changed:
/// its watch only forgets that it was expired.
fn invalidate_watchers(srv: &mut ServerState, clients: &mut Slab<Client>, i: usize, key: &[u8]) {
    let db = &srv.dbs[i];
    let exists = db.contains_raw(key);
    for cid in db.watchers_of(key) {
        let Some(c) = clients.get_mut(cid) else {
            continue;
        };
        if let Some(w) = watch_entry(c, i, key) {
            if w.2 && !exists {
                w.2 = false;
                continue;
            }
        }
        c.dirty_cas = true;
    }
}

/// Invalidates the watches on database `a` whose keys exist there, before
/// it is emptied (FLUSHDB, FLUSHALL: `b` None) or swapped with `b`
/// (SWAPDB), as Redis 7.0 decides it, expired keys included.
pub fn invalidate_emptied(
    dbs: &mut [crate::keyspace::db::Db],
    a: usize,
    b: Option<usize>,
    clients: &mut Slab<Client>,
    now: i64,
) {
    for key in dbs[a].watched_keys() {
        let in_a = dbs[a].contains_raw(&key);
        let in_b = b.is_some_and(|b| dbs[b].contains_raw(&key));
        if !in_a && !in_b {
            continue;
        }
        let b_expired = b.is_some_and(|b| dbs[b].entry_expired(&key, now));
        for cid in dbs[a].watchers_of(&key) {
            let Some(c) = clients.get_mut(cid) else {
                continue;
            };
            if let Some(w) = watch_entry(c, a, &key) {
                if w.2 {
                    if !in_b {
                        // An expired key deleted: no logical change.
                        w.2 = false;
                        continue;
                    }
                    if b_expired {
                        // Expired, and replaced by an expired key.
                        continue;
                    }
                } else if !in_a && b_expired {
                    // Nothing replaced by an expired key: still nothing.
                    w.2 = true;
                    continue;
                }
            }
            c.dirty_cas = true;
        }
    }
}

/// Forgets every key a client watches (EXEC, DISCARD, UNWATCH, RESET,
/// disconnect).
pub fn unwatch_all(srv: &mut ServerState, c: &mut Client, cid: usize) {
    for (db, key, _) in c.watched.drain(..) {
        srv.dbs[db].unwatch(&key, cid);
        srv.watching -= 1;
    }
    c.dirty_cas = false;
}

/// Leaves MULTI (queue dropped) and forgets the watched keys.
pub fn discard_state(srv: &mut ServerState, c: &mut Client, cid: usize) {
    c.multi = None;
    c.multi_failed = false;
    unwatch_all(srv, c, cid);
}

fn multi(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let c = ctx.client();
    if c.multi.is_some() {
        return err("ERR MULTI calls can not be nested");
    }
    c.multi = Some(Vec::new());
    c.multi_failed = false;
    ctx.out.ok();
    Ok(())
}

fn discard(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let cid = ctx.cid;
    if ctx.clients[cid].multi.is_none() {
        return err("ERR DISCARD without MULTI");
    }
    discard_state(ctx.srv, &mut ctx.clients[cid], cid);
    ctx.out.ok();
    Ok(())
}

/// Whether a watched key's TTL has passed since it was watched (a key
/// already expired when watched does not count).
fn watched_key_expired(ctx: &mut Ctx) -> bool {
    let now = ctx.now;
    let c = &ctx.clients[ctx.cid];
    c.watched.iter().any(|(db, key, was_expired)| {
        !was_expired && {
            let d = &ctx.srv.dbs[*db];
            d.entry_expired(key, now)
        }
    })
}

fn exec(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let cid = ctx.cid;
    let c = &mut ctx.clients[cid];
    if c.multi.is_none() {
        return err("ERR EXEC without MULTI");
    }
    if c.multi_failed {
        discard_state(ctx.srv, &mut ctx.clients[cid], cid);
        return err("EXECABORT Transaction discarded because of previous errors.");
    }
    let aborted = ctx.clients[cid].dirty_cas || watched_key_expired(ctx);
    let c = &mut ctx.clients[cid];
    let queue = c.multi.take().unwrap_or_default();
    discard_state(ctx.srv, &mut ctx.clients[cid], cid);
    if aborted {
        ctx.out.null_array();
        return Ok(());
    }
    ctx.out.array(queue.len());
    // The commands run propagate themselves (in MULTI/EXEC if several).
    ctx.propagate_none();
    let was_in_exec = std::mem::replace(&mut ctx.srv.in_exec, true);
    let mut clock = crate::server::Tick::now();
    for h in &queue {
        let args = Args::new(&h.buf, &h.ranges);
        clock = dispatch(ctx, &args, clock);
    }
    ctx.srv.in_exec = was_in_exec;
    Ok(())
}

fn watch(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let cid = ctx.cid;
    if ctx.clients[cid].multi.is_some() {
        return err("ERR WATCH inside MULTI is not allowed");
    }
    let now = ctx.now;
    let db = ctx.db;
    for key in args.iter_from(1) {
        let c = &mut ctx.clients[cid];
        if c.watched
            .iter()
            .any(|(d, k, _)| *d == db && k.as_slice() == key)
        {
            continue;
        }
        let expired = ctx.srv.dbs[db].entry_expired(key, now);
        c.watched.push((db, SmallBytes::from_slice(key), expired));
        ctx.srv.dbs[db].watch(key, cid);
        ctx.srv.watching += 1;
    }
    ctx.out.ok();
    Ok(())
}

fn unwatch(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let cid = ctx.cid;
    unwatch_all(ctx.srv, &mut ctx.clients[cid], cid);
    ctx.out.ok();
    Ok(())
}

const TX_FLAGS: Flags = Flags::NOSCRIPT
    .or(Flags::LOADING)
    .or(Flags::STALE)
    .or(Flags::FAST)
    .or(Flags::ALLOW_BUSY);

const TX_CMD: CommandSpec = CommandSpec {
    acl: Acl::TRANSACTION,
    group: Group::Transactions,
    since: "1.2.0",
    ..BASE
};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "multi",
        arity: 1,
        flags: TX_FLAGS,
        summary: "Starts a transaction.",
        handler: multi,
        ..TX_CMD
    },
    CommandSpec {
        name: "exec",
        arity: 1,
        flags: Flags::NOSCRIPT
            .or(Flags::LOADING)
            .or(Flags::STALE)
            .or(Flags::SKIP_SLOWLOG),
        summary: "Executes all commands in a transaction.",
        complexity: "Depends on commands in the transaction",
        handler: exec,
        ..TX_CMD
    },
    CommandSpec {
        name: "discard",
        arity: 1,
        flags: TX_FLAGS,
        since: "2.0.0",
        summary: "Discards a transaction.",
        complexity: "O(N), when N is the number of queued commands",
        handler: discard,
        ..TX_CMD
    },
    CommandSpec {
        name: "watch",
        arity: -2,
        flags: TX_FLAGS,
        keys: Keys::ALL,
        key_flags: KeyFlags::RO,
        since: "2.2.0",
        summary: "Monitors changes to keys to determine the execution of a transaction.",
        complexity: "O(1) for every key.",
        arguments: &[Arg {
            name: "key",
            kind: ArgType::Key(0),
            flags: ArgFlags::MULTIPLE,
            ..ARG
        }],
        handler: watch,
        ..TX_CMD
    },
    CommandSpec {
        name: "unwatch",
        arity: 1,
        flags: TX_FLAGS,
        since: "2.2.0",
        summary: "Forgets about watched keys of a transaction.",
        handler: unwatch,
        ..TX_CMD
    },
];
