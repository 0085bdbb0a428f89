//! Commands: the table, the dispatcher and one file of handlers per group.
//!
//! Layout: `table.rs` defines a command row (`CommandSpec`) and the argument view
//! (`Args`); each `<group>.rs` holds the handlers of one data type or area and ends
//! with its `COMMANDS` slice of rows. `Registry` gathers every slice into one map at
//! start. `dispatch` is the single place that checks a request before a handler runs
//! (unknown command, subcommand, arity, authentication) and that accounts for it
//! afterwards (command stats, error stats, the dirty counter), so no handler
//! repeats that work.

pub mod client;
pub mod command_info;
pub mod connection;
pub mod dump;
pub mod hashes;
pub mod keys;
pub mod latency;
pub mod lists;
pub mod memory;
pub mod pubsub;
pub mod server;
pub mod sets;
pub mod slowlog;
pub mod sort;
pub mod strings;
pub mod table;
pub mod transactions;
pub mod zsets;

use std::collections::HashMap;
use std::sync::OnceLock;

use slab::Slab;

use crate::error::{wrong_arity, CmdError};
use crate::keyspace::db::Db;
use crate::keyspace::hasher::FastBuildHasher;
use crate::keyspace::small_bytes::SmallBytes;
use crate::protocol::reply::ReplyBuf;
use crate::server::blocking::{BlockKind, Wait};
use crate::server::client::Client;
use crate::server::notify;
use crate::server::{ServerState, Tick};
pub use table::{Args, CommandSpec};

/// What a handler sees: the server state, the calling client (and the others),
/// and the calling client's output buffer, held apart so a handler can read a
/// value from a database and write it to the reply without copying it.
pub struct Ctx<'a> {
    pub srv: &'a mut ServerState,
    pub clients: &'a mut Slab<Client>,
    /// Slab key of the calling client.
    pub cid: usize,
    /// The calling client's output buffer (taken out of it for the call).
    pub out: &'a mut ReplyBuf,
    /// The selected database of the calling client.
    pub db: usize,
    /// Unix time in ms, read once per command, as Redis's cached mstime.
    pub now: i64,
    /// Keyspace changes made by the command (added to the dirty counter).
    pub dirty: u64,
}

impl Ctx<'_> {
    pub fn client(&mut self) -> &mut Client {
        &mut self.clients[self.cid]
    }

    /// The selected database.
    pub fn db(&mut self) -> &mut Db {
        &mut self.srv.dbs[self.db]
    }

    /// The selected database and the output buffer, borrowed together.
    pub fn db_out(&mut self) -> (&mut Db, &mut ReplyBuf) {
        (&mut self.srv.dbs[self.db], &mut *self.out)
    }

    /// Reports a keyspace event of the running command on `key` of the
    /// selected database (`notify-keyspace-events`; see `server::notify`).
    #[inline]
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        let db = self.db;
        self.notify_in(db, class, event, key);
    }

    /// `notify` for a key of database `db` (MOVE's `move_to`, ...).
    #[inline]
    pub fn notify_in(&mut self, db: usize, class: u32, event: &str, key: &[u8]) {
        if self.srv.config.notify_flags == 0 {
            return;
        }
        let caller = (self.cid, &mut *self.out);
        // Events of the keyspace itself (expired, new, keymiss) came first.
        notify::flush_db_events(self.srv, self.clients, (caller.0, &mut *caller.1));
        notify::publish_event(self.srv, self.clients, caller, db, class, event, key);
    }

    /// Whether the calling command may block. Where it may not (inside
    /// MULTI/EXEC or a script, once those exist) a blocking command that
    /// finds no data replies as a timeout does.
    pub fn can_block(&self) -> bool {
        !self.srv.in_exec
    }

    /// Blocks the calling client on `keys` of the selected database until
    /// one of them is created holding a `kind` value (the command then runs
    /// again with the same arguments) or `deadline` (unix ms; None: never)
    /// passes (the client then gets a null array). The handler writes no
    /// reply. See `server::blocking`.
    pub fn block(&mut self, keys: &[&[u8]], deadline: Option<i64>, kind: BlockKind) {
        self.srv.blocking.request = Some(Wait {
            db: self.db,
            keys: keys.iter().map(|k| SmallBytes::from_slice(k)).collect(),
            deadline,
            kind,
        });
    }
}

/// One command of the table with its derived names.
pub struct Entry {
    pub spec: &'static CommandSpec,
    /// `get`, or `config|get` for a subcommand.
    pub full_name: String,
    /// Index of the container for a subcommand.
    pub parent: Option<usize>,
    /// Subcommands by lower-case name, for containers.
    pub subs: HashMap<Vec<u8>, usize, FastBuildHasher>,
}

/// Every command, gathered from the per-group tables.
pub struct Registry {
    pub all: Vec<Entry>,
    top: HashMap<Vec<u8>, usize, FastBuildHasher>,
}

/// The last top-level command name found (see `Registry::find_cached`).
#[derive(Default, Debug)]
pub struct LastCommand {
    name: [u8; 16],
    /// 0: none yet (no command has an empty name).
    len: u8,
    idx: usize,
}

/// The per-group tables, in the order COMMAND lists nothing in particular.
const TABLES: &[&[CommandSpec]] = &[
    strings::COMMANDS,
    lists::COMMANDS,
    hashes::COMMANDS,
    sets::COMMANDS,
    zsets::COMMANDS,
    keys::COMMANDS,
    connection::COMMANDS,
    client::COMMANDS,
    server::COMMANDS,
    memory::COMMANDS,
    command_info::COMMANDS,
    slowlog::COMMANDS,
    latency::COMMANDS,
    pubsub::COMMANDS,
    transactions::COMMANDS,
    sort::COMMANDS,
    dump::COMMANDS,
    crate::persistence::aof::COMMANDS,
];

impl Registry {
    fn build() -> Registry {
        let mut reg = Registry {
            all: Vec::new(),
            top: HashMap::default(),
        };
        for table in TABLES {
            for spec in table.iter() {
                let idx = reg.all.len();
                reg.all.push(Entry {
                    spec,
                    full_name: spec.name.to_string(),
                    parent: None,
                    subs: HashMap::default(),
                });
                reg.top.insert(spec.name.as_bytes().to_vec(), idx);
                for sub in spec.subcommands {
                    let sidx = reg.all.len();
                    reg.all.push(Entry {
                        spec: sub,
                        full_name: format!("{}|{}", spec.name, sub.name),
                        parent: Some(idx),
                        subs: HashMap::default(),
                    });
                    reg.all[idx].subs.insert(sub.name.as_bytes().to_vec(), sidx);
                }
            }
        }
        reg
    }

    /// The process-wide registry.
    pub fn get() -> &'static Registry {
        static REG: OnceLock<Registry> = OnceLock::new();
        REG.get_or_init(Registry::build)
    }

    /// A top-level command by name, any case.
    pub fn find(&self, name: &[u8]) -> Option<usize> {
        let mut tmp = [0u8; 32];
        if name.len() > tmp.len() {
            return None;
        }
        let lower = &mut tmp[..name.len()];
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        self.top.get(&lower[..]).copied()
    }

    /// `find`, answered from `last` when `name` is byte for byte the name
    /// looked up last (a client sends the same spelling each time, and an
    /// exact comparison costs a fifth of a caseless one), which then becomes
    /// `name`.
    #[inline]
    pub fn find_cached(&self, name: &[u8], last: &mut LastCommand) -> Option<usize> {
        if last.len > 0 && crate::util::bytes::same(name, &last.name[..usize::from(last.len)]) {
            return Some(last.idx);
        }
        let idx = self.find(name)?;
        if name.len() <= last.name.len() {
            last.name[..name.len()].copy_from_slice(name);
            last.len = name.len() as u8;
            last.idx = idx;
        }
        Some(idx)
    }

    /// A subcommand of container `idx` by name, any case.
    pub fn find_sub(&self, idx: usize, name: &[u8]) -> Option<usize> {
        let lower = name.to_ascii_lowercase();
        self.all[idx].subs.get(&lower).copied()
    }

    /// Top-level entries (COMMAND, COMMAND COUNT, COMMAND LIST).
    pub fn top_level(&self) -> impl Iterator<Item = (usize, &Entry)> {
        self.all
            .iter()
            .enumerate()
            .filter(|(_, e)| e.parent.is_none())
    }
}

/// Redis's rendering of an argument in an error message: at most `max` bytes,
/// as sent (the reply writer turns newlines into spaces).
fn shown(b: &[u8], max: usize) -> &[u8] {
    &b[..b.len().min(max)]
}

/// `-ERR unknown command 'foo', with args beginning with: 'a' 'b' `.
fn unknown_command(args: &Args) -> CmdError {
    let mut rest: Vec<u8> = Vec::new();
    for a in args.iter_from(1) {
        if rest.len() >= 128 {
            break;
        }
        let room = 128 - rest.len();
        rest.push(b'\'');
        rest.extend_from_slice(shown(a, room));
        rest.extend_from_slice(b"' ");
    }
    let mut e = CmdError::quoting(
        "ERR unknown command '",
        shown(args.get(0), 128),
        "', with args beginning with: ",
    );
    e.0.to_mut().extend_from_slice(&rest);
    e
}

/// Checks arity: N exactly, or at least -N.
fn arity_ok(arity: i32, argc: usize) -> bool {
    let argc = argc as i64;
    let arity = i64::from(arity);
    if arity >= 0 {
        argc == arity
    } else {
        argc >= -arity
    }
}

/// Resolves, checks and runs one command, writing its reply to `ctx.out`.
/// `start` is a fresh reading of the monotonic clock (the caller's previous
/// return value, within one batch); returns the reading taken when the
/// command ended, so that each command costs one clock read.
pub fn dispatch(ctx: &mut Ctx, args: &Args, start: Tick) -> Tick {
    let reg = Registry::get();
    ctx.now = ctx.srv.clock.unix_ms_at(start);
    let Some(mut idx) = reg.find_cached(args.get(0), &mut ctx.srv.last_command) else {
        reject(ctx, None, unknown_command(args));
        return start;
    };
    let top = reg.all[idx].spec;
    // A container called alone is an arity error, unless its arity allows a
    // bare call (COMMAND): its own handler then runs.
    if !top.subcommands.is_empty() && (args.len() >= 2 || top.arity != -1) {
        if args.len() < 2 {
            reject(ctx, Some(idx), wrong_arity(top.name));
            return start;
        }
        match reg.find_sub(idx, args.get(1)) {
            Some(s) => idx = s,
            None => {
                let e = CmdError::quoting(
                    "ERR unknown subcommand '",
                    shown(args.get(1), 128),
                    &format!("'. Try {} HELP.", top.name.to_ascii_uppercase()),
                );
                reject(ctx, Some(idx), e);
                return start;
            }
        }
    }
    let entry = &reg.all[idx];
    let spec = entry.spec;
    if !arity_ok(spec.arity, args.len()) {
        reject(ctx, Some(idx), wrong_arity(&entry.full_name));
        return start;
    }
    let caller = &ctx.clients[ctx.cid];
    let (authenticated, pubsub_only, in_multi, rerun) = (
        caller.authenticated,
        caller.resp == 2 && caller.subs.any(),
        caller.multi.is_some(),
        caller.wait.is_some(),
    );
    // As Redis: authentication is required only while a password is set.
    if !authenticated
        && !ctx.srv.config.requirepass.is_empty()
        && !spec.flags.has(table::Flags::NO_AUTH)
    {
        reject(
            ctx,
            Some(idx),
            CmdError::from("NOAUTH Authentication required."),
        );
        return start;
    }
    // Writes (and PING) are refused while the data cannot be persisted (a
    // failed BGSAVE with save points, or AOF write errors).
    if !ctx.srv.in_exec && (spec.flags.has(table::Flags::WRITE) || top.name == "ping") {
        if let Some(e) = crate::persistence::write_refusal(ctx.srv) {
            reject(ctx, Some(idx), e);
            return start;
        }
    }
    // A RESP2 connection in Pub/Sub mode only (un)subscribes and pings.
    // (Commands EXEC runs were checked when they were queued.)
    if pubsub_only && !ctx.srv.in_exec && !pubsub::allowed_in_pubsub(top.name) {
        reject(
            ctx,
            Some(idx),
            pubsub::not_allowed_in_pubsub(&entry.full_name),
        );
        return start;
    }
    // (The AOF's own replay runs while its load is taken out of the state.)
    if ctx.srv.is_loading() && !spec.flags.has(table::Flags::LOADING) {
        reject(
            ctx,
            Some(idx),
            CmdError::from("LOADING Redis is loading the dataset in memory"),
        );
        return start;
    }
    if in_multi && !ctx.srv.in_exec {
        if spec.flags.has(table::Flags::NO_MULTI) {
            reject(
                ctx,
                Some(idx),
                CmdError::from("ERR Command not allowed inside a transaction"),
            );
            return start;
        }
        if !transactions::runs_inside_multi(top.name) {
            transactions::queue(ctx, args);
            return start;
        }
    }
    ctx.clients[ctx.cid].last_cmd = entry.full_name.as_str();
    ctx.dirty = 0;
    // (`rerun`: a blocked command run again when its keys are ready (see
    // server::blocking) was already shown to MONITOR when it first ran.)
    let propagating = ctx.srv.propagation.active();
    let saved = propagating && ctx.srv.propagation.begin_command();
    let result = (spec.handler)(ctx, args);
    if propagating {
        crate::server::propagate::end_command(ctx, args, saved);
    }
    let end = Tick::now();
    let usec = end.micros_since(start);
    ctx.srv.dirty += ctx.dirty;
    if ctx.srv.rdb.reset_dirty {
        ctx.srv.rdb.reset_dirty = false;
        ctx.srv.dirty = 0;
    }
    if ctx.srv.config.notify_flags != 0 {
        notify::flush_db_events(ctx.srv, ctx.clients, (ctx.cid, &mut *ctx.out));
    }
    if ctx.srv.watching > 0 || ctx.srv.tracking.active() {
        let cid = ctx.cid;
        transactions::keys_written(
            ctx.srv,
            ctx.clients,
            Some(cid),
            (cid, &mut *ctx.out),
            ctx.dirty > 0,
        );
        if ctx.srv.tracking.active() {
            client::track_after_command(ctx, spec, args);
        }
    }
    // A command that blocks is counted once, by the run that completes it.
    if ctx.srv.blocking.request.is_none() {
        let st = &mut ctx.srv.cmd_stats[idx];
        st.calls += 1;
        st.usec += usec;
        ctx.srv.stats.commands_processed += 1;
        slowlog::record(ctx, idx, args, usec, end);
    }
    if let Err(e) = result {
        ctx.srv.cmd_stats[idx].failed += 1;
        count_error(ctx, &e);
        ctx.out.error_bytes(e.bytes());
    }
    // MONITOR feed: after the call, as Redis (the database shown is the one
    // selected after the command, and the caller's reply comes first).
    if !rerun && !ctx.srv.shared.monitors.is_empty() {
        client::feed_monitors(ctx, spec, args);
    }
    end
}

fn reject(ctx: &mut Ctx, idx: Option<usize>, e: CmdError) {
    // A command refused while a transaction is being queued aborts it; an
    // EXEC refused (wrong arity) ends it at once, saying why.
    let cid = ctx.cid;
    let c = &mut ctx.clients[cid];
    let mut e = e;
    if c.multi.is_some() && !ctx.srv.in_exec {
        c.multi_failed = true;
    }
    // EXEC refused (wrong arity), in MULTI or not, as Redis words it.
    if !ctx.srv.in_exec && idx.is_some_and(|i| Registry::get().all[i].spec.name == "exec") {
        transactions::discard_state(ctx.srv, &mut ctx.clients[cid], cid);
        let text = e
            .bytes()
            .strip_prefix(b"ERR ")
            .unwrap_or(e.bytes())
            .to_vec();
        let mut msg = b"EXECABORT Transaction discarded because of: ".to_vec();
        msg.extend_from_slice(&text);
        e = CmdError(msg.into());
    }
    if let Some(i) = idx {
        ctx.srv.cmd_stats[i].rejected += 1;
    }
    count_error(ctx, &e);
    ctx.out.error_bytes(e.bytes());
}

fn count_error(ctx: &mut Ctx, e: &CmdError) {
    let stats = &mut ctx.srv.stats;
    stats.total_error_replies += 1;
    *stats.errors.entry(e.code().to_string()).or_insert(0) += 1;
}

/// Running a handler directly in unit tests, with no event loop: a fresh
/// client slab, database 0, the current time.
#[cfg(test)]
pub mod testing {
    use super::{Args, Ctx};
    use crate::commands::table::Handler;
    use crate::protocol::reply::ReplyBuf;
    use crate::server::ServerState;

    /// Runs `h` on `argv`; returns the reply bytes (an error reply included)
    /// and the dirty count the command reported.
    pub fn run_handler(srv: &mut ServerState, h: Handler, argv: &[&[u8]]) -> (Vec<u8>, u64) {
        let mut buf = Vec::new();
        let mut ranges = Vec::new();
        for a in argv {
            ranges.push((buf.len(), buf.len() + a.len()));
            buf.extend_from_slice(a);
        }
        let args = Args::new(&buf, &ranges);
        let mut clients = slab::Slab::new();
        let mut out = ReplyBuf::new();
        let mut ctx = Ctx {
            srv,
            clients: &mut clients,
            cid: 0,
            out: &mut out,
            db: 0,
            now: crate::server::unix_ms(),
            dirty: 0,
        };
        let r = h(&mut ctx, &args);
        let dirty = ctx.dirty;
        if let Err(e) = r {
            out.error_bytes(e.bytes());
        }
        (out.buf, dirty)
    }
}

#[cfg(test)]
mod tests {
    use super::{LastCommand, Registry};

    #[test]
    fn name_cache_answers_only_the_same_spelling() {
        let reg = Registry::get();
        let mut last = LastCommand::default();
        // Nothing cached yet: an empty name is unknown, not entry 0.
        assert_eq!(reg.find_cached(b"", &mut last), None);
        let get = reg.find(b"get");
        assert!(get.is_some());
        assert_eq!(reg.find_cached(b"GET", &mut last), get);
        assert_eq!(reg.find_cached(b"GET", &mut last), get);
        assert_eq!(reg.find_cached(b"get", &mut last), get);
        assert_eq!(reg.find_cached(b"gex", &mut last), None);
        assert_eq!(reg.find_cached(b"", &mut last), None);
        assert_eq!(reg.find_cached(b"set", &mut last), reg.find(b"set"));
    }
}
