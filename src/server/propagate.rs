//! The propagation point: the one place where writes leave the server, for the
//! AOF now and for replicas later, in the same form (Redis's `propagate()` and
//! `alsoPropagate()`).
//!
//! How a write becomes a stream of commands:
//! - One *execution unit* is one top-level command, one EXEC, or one blocked
//!   command served later. `dispatch` opens a unit before a handler runs and
//!   closes it after; nested dispatches (EXEC running its queue) add to the
//!   unit of their caller.
//! - A command that changed the dataset (`ctx.dirty > 0`) is propagated with
//!   its own arguments, unless its handler said otherwise: `propagate_as`
//!   replaces it with one or more other commands (the effect of commands that
//!   are not deterministic or whose meaning depends on time: SPOP -> SREM,
//!   EXPIRE -> PEXPIREAT, BLPOP -> LPOP, ...), `propagate_none` drops it.
//! - Keys deleted by expiry are logged by their `Db` and become `DEL` (or
//!   `UNLINK` under lazyfree-lazy-expire) in the unit that deleted them,
//!   before the command's own form; the cron's active expiry gives each key a
//!   unit of its own.
//! - When a unit closes with more than one command, they are wrapped in
//!   MULTI/EXEC (so a replica or an AOF replay applies them atomically), as
//!   Redis 7.0 does; one command is sent as is; none sends nothing.
//! - Each consumer (`Feed`) remembers the database it last saw and gets a
//!   `SELECT` when the next command is for another one. MULTI carries the
//!   database of the first command; EXEC none.
//!
//! Nothing is collected unless some feed is on, so a server with no AOF and
//! no replica pays one flag test per command.
//!
//! The feeds: `aof` is drained by `persistence::aof` once per turn of the
//! loop, before replies are written. `repl` is for replication: set
//! `repl.on`, take the bytes with `repl.take()` (every command since the
//! last take, SELECTs included), and call `repl.reset_db()` when a stream
//! starts over (a full resync) so that it opens with a SELECT.

use crate::commands::Ctx;
use crate::protocol::reply::ReplyBuf;
use crate::util::numbers::fmt_i64;

use super::ServerState;

/// One consumer of the command stream: the bytes to send (RESP multibulk
/// commands) and the database they were last addressed to.
#[derive(Debug)]
pub struct Feed {
    /// The feed wants commands.
    pub on: bool,
    /// Database of the last command written (None: the next one gets a
    /// SELECT whatever its database, as at the start of a file).
    selected: Option<usize>,
    /// Commands not taken by the consumer yet.
    pub buf: ReplyBuf,
    /// `#TS:<unix seconds>` annotations before the first command of each
    /// second (aof-timestamp-enabled; the AOF feed only).
    pub timestamps: bool,
    last_ts: i64,
}

impl Default for Feed {
    fn default() -> Self {
        Feed {
            on: false,
            selected: None,
            buf: ReplyBuf::empty(),
            timestamps: false,
            last_ts: 0,
        }
    }
}

impl Feed {
    /// Appends one encoded command for database `db` (None: no SELECT
    /// needed, as for EXEC).
    fn push(&mut self, db: Option<usize>, cmd: &[u8]) {
        self.annotate();
        if let Some(db) = db {
            self.select(db);
        }
        self.buf.buf.extend_from_slice(cmd);
    }

    /// The timestamp annotation, when on and the second changed.
    #[inline]
    fn annotate(&mut self) {
        if self.timestamps {
            let now = super::unix_ms() / 1000;
            if now > self.last_ts {
                self.last_ts = now;
                self.buf.buf.extend_from_slice(b"#TS:");
                fmt_i64(now, &mut self.buf.buf);
                self.buf.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// Writes a SELECT if the next command is for another database.
    #[inline]
    fn select(&mut self, db: usize) {
        if self.selected != Some(db) {
            encode_into(&mut self.buf, &[b"SELECT", &int_arg(db as i64)]);
            self.selected = Some(db);
        }
    }

    /// Forgets the selected database: the next command starts with SELECT
    /// (a new AOF file, a new replica).
    pub fn reset_db(&mut self) {
        self.selected = None;
    }

    /// Takes the pending bytes.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf.buf)
    }
}

/// The commands of the running execution unit and the feeds they go to.
#[derive(Debug)]
pub struct Propagation {
    /// Dispatch nesting: the unit closes when it returns to 0.
    depth: u32,
    /// The running command replaced (or dropped) its own propagation.
    replaced: bool,
    /// Commands of the unit: (database, start, end) in `unit`.
    ops: Vec<(usize, usize, usize)>,
    unit: ReplyBuf,
    /// lazyfree-lazy-expire: expiry deletions propagate as UNLINK.
    pub lazy_expire: bool,
    /// The append-only file.
    pub aof: Feed,
    /// Replication (read by the replication code with `take`).
    pub repl: Feed,
}

impl Default for Propagation {
    fn default() -> Self {
        Propagation {
            depth: 0,
            replaced: false,
            ops: Vec::new(),
            unit: ReplyBuf::empty(),
            lazy_expire: false,
            aof: Feed::default(),
            repl: Feed::default(),
        }
    }
}

impl Propagation {
    /// Whether any feed wants commands.
    #[inline]
    pub fn active(&self) -> bool {
        self.aof.on || self.repl.on
    }

    /// Opens a unit (or nests in the open one) for a command about to run;
    /// returns the state to hand back to `end_command`.
    #[inline]
    pub fn begin_command(&mut self) -> bool {
        self.depth += 1;
        std::mem::replace(&mut self.replaced, false)
    }

    /// Adds a command to the running unit.
    pub fn add(&mut self, db: usize, argv: &[&[u8]]) {
        let start = self.unit.buf.len();
        encode_into(&mut self.unit, argv);
        self.ops.push((db, start, self.unit.buf.len()));
    }

    /// Closes the unit when the outermost command ends: sends its commands
    /// to the feeds, wrapped in MULTI/EXEC when there are several.
    fn close_unit(&mut self) {
        if self.ops.is_empty() {
            return;
        }
        let wrap = self.ops.len() > 1;
        for feed in [&mut self.aof, &mut self.repl] {
            if !feed.on {
                continue;
            }
            if wrap {
                feed.push(Some(self.ops[0].0), b"*1\r\n$5\r\nMULTI\r\n");
            }
            for &(db, s, e) in &self.ops {
                feed.push(Some(db), &self.unit.buf[s..e]);
            }
            if wrap {
                feed.push(None, b"*1\r\n$4\r\nEXEC\r\n");
            }
        }
        self.ops.clear();
        self.unit.buf.clear();
    }
}

/// Adds the expiry deletions the databases logged to the running unit.
fn drain_expired(srv: &mut ServerState) {
    let verb: &[u8] = if srv.propagation.lazy_expire {
        b"UNLINK"
    } else {
        b"DEL"
    };
    for i in 0..srv.dbs.len() {
        if srv.dbs[i].has_expired_log() {
            for key in srv.dbs[i].take_expired_log() {
                srv.propagation.add(i, &[verb, key.as_slice()]);
            }
        }
    }
}

/// After a command's handler (called by `dispatch` when propagation is
/// active): its expiry deletions, then its own form unless the handler
/// replaced it, then the unit is sent if this was the outermost command.
pub fn end_command(ctx: &mut Ctx, argv: &crate::commands::Args, saved: bool) {
    drain_expired(ctx.srv);
    let p = &mut ctx.srv.propagation;
    if !p.replaced && ctx.dirty > 0 && p.depth == 1 && p.ops.is_empty() {
        // The common case, a unit of one command: straight to the feeds.
        for feed in [&mut p.aof, &mut p.repl] {
            if feed.on {
                feed.annotate();
                feed.select(ctx.db);
                feed.buf.array(argv.len());
                for a in argv.iter_from(0) {
                    feed.buf.bulk(a);
                }
            }
        }
        p.replaced = saved;
        p.depth = 0;
        return;
    }
    if !p.replaced && ctx.dirty > 0 {
        let start = p.unit.buf.len();
        p.unit.array(argv.len());
        for a in argv.iter_from(0) {
            p.unit.bulk(a);
        }
        p.ops.push((ctx.db, start, p.unit.buf.len()));
    }
    p.replaced = saved;
    p.depth -= 1;
    if p.depth == 0 {
        p.close_unit();
    }
}

/// Sends the deletions done outside any command (the cron's active expiry,
/// a lookup by the loop): one unit per key, as Redis.
pub fn flush_expired(srv: &mut ServerState) {
    if !srv.propagation.active() {
        for db in srv.dbs.iter_mut() {
            db.take_expired_log();
        }
        return;
    }
    if srv.propagation.depth > 0 {
        return;
    }
    let verb: &[u8] = if srv.propagation.lazy_expire {
        b"UNLINK"
    } else {
        b"DEL"
    };
    for i in 0..srv.dbs.len() {
        if !srv.dbs[i].has_expired_log() {
            continue;
        }
        for key in srv.dbs[i].take_expired_log() {
            srv.propagation.add(i, &[verb, key.as_slice()]);
            srv.propagation.close_unit();
        }
    }
}

/// Turns the expiry log of every database on or off (on while a feed is).
pub fn sync_expiry_logs(srv: &mut ServerState) {
    let on = srv.propagation.active();
    for db in srv.dbs.iter_mut() {
        db.log_expired(on);
    }
}

impl Ctx<'_> {
    /// Whether writes are being propagated (a handler may skip building a
    /// replacement when not).
    #[inline]
    pub fn propagating(&self) -> bool {
        self.srv.propagation.active()
    }

    /// Propagates `argv` (in the selected database) instead of the running
    /// command's own arguments; may be called several times, the commands
    /// then go out in order (and the unit in MULTI/EXEC).
    pub fn propagate_as(&mut self, argv: &[&[u8]]) {
        let p = &mut self.srv.propagation;
        if !p.active() {
            return;
        }
        drain_expired(self.srv);
        let p = &mut self.srv.propagation;
        p.replaced = true;
        p.add(self.db, argv);
    }

    /// The running command propagates nothing of its own (EXEC, whose
    /// commands propagate themselves; a blocking command that blocked).
    pub fn propagate_none(&mut self) {
        self.srv.propagation.replaced = true;
    }

    /// `propagate_as` for a key deleted because the command gave it a time
    /// in the past: DEL, or UNLINK under lazyfree-lazy-expire.
    pub fn propagate_expired_del(&mut self, key: &[u8]) {
        let verb: &[u8] = if self.srv.propagation.lazy_expire {
            b"UNLINK"
        } else {
            b"DEL"
        };
        self.propagate_as(&[verb, key]);
    }
}

/// Appends `argv` as a RESP multibulk command.
pub fn encode_into(out: &mut ReplyBuf, argv: &[&[u8]]) {
    out.array(argv.len());
    for a in argv {
        out.bulk(a);
    }
}

/// The decimal form of `v`, as a command argument.
pub fn int_arg(v: i64) -> Vec<u8> {
    let mut b = Vec::with_capacity(20);
    fmt_i64(v, &mut b);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_wrap_and_select() {
        let mut p = Propagation::default();
        p.aof.on = true;
        p.begin_command();
        p.add(0, &[b"SET", b"a", b"1"]);
        p.depth -= 1;
        p.close_unit();
        assert_eq!(
            p.aof.take(),
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
        p.add(3, &[b"DEL", b"a"]);
        p.add(3, &[b"DEL", b"b"]);
        p.close_unit();
        assert_eq!(
            p.aof.take(),
            &b"*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*1\r\n$5\r\nMULTI\r\n*2\r\n$3\r\nDEL\r\n$1\r\na\r\n\
               *2\r\n$3\r\nDEL\r\n$1\r\nb\r\n*1\r\n$4\r\nEXEC\r\n"[..]
        );
    }
}
