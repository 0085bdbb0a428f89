//! CLIENT and MONITOR: naming, listing and killing connections, pausing the
//! server's clients, reply modes, and the MONITOR feed of every command run.
//!
//! The effects that outlive a command (a pause, the monitor list, clients to
//! close) are recorded in `server::client::Shared`; the event loop acts on them
//! (holding paused clients, dropping replies, closing killed clients). CLIENT
//! TRACKING/CACHING set up client-side caching, kept in `server::tracking`.

use std::fmt::Write as _;
use std::os::unix::io::AsRawFd;

use super::connection::valid_client_name;
use super::table::{Acl, Arg, ArgFlags, ArgType, Args, CommandSpec, Flags, Group, Keys, ARG, BASE};
use super::Ctx;
use crate::error::{err, CmdError, CmdResult, NOT_INTEGER, SYNTAX};
use crate::protocol::reply::ReplyBuf;
use crate::server::blocking;
use crate::server::client::{Client, CloseReason};
use crate::server::tracking::ClientTracking;
use crate::util::numbers::parse_i64;

/// The fixed reply buffer Redis gives each client; output past it is counted
/// as a reply list (CLIENT LIST obl / oll / omem).
const REPLY_CHUNK: usize = 16 * 1024;

const BAD_NAME: &str = "ERR Client names cannot contain spaces, newlines or special characters.";

// ---------------------------------------------------------------------------
// CLIENT LIST / INFO
// ---------------------------------------------------------------------------

/// Client kinds of the TYPE filter. Only normal clients exist (no replication
/// and no pub/sub yet); a MONITOR client is a normal one, as in Redis.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Replica,
    Master,
    Pubsub,
}

fn parse_type(b: &[u8]) -> Result<ClientType, CmdError> {
    let t = match b.to_ascii_lowercase().as_slice() {
        b"normal" => ClientType::Normal,
        b"slave" | b"replica" => ClientType::Replica,
        b"master" => ClientType::Master,
        b"pubsub" => ClientType::Pubsub,
        _ => return Err(CmdError::quoting("ERR Unknown client type '", b, "'")),
    };
    Ok(t)
}

fn type_of(_c: &Client) -> ClientType {
    ClientType::Normal
}

/// The `flags=` letters of a client, in Redis's order.
fn flags_of(c: &Client) -> String {
    let mut f = String::new();
    if c.monitor {
        f.push('O');
    }
    if c.subs.any() {
        f.push('P');
    }
    if c.multi.is_some() {
        f.push('x');
    }
    if c.is_blocked() {
        f.push('b');
    }
    if c.tracking.on {
        f.push('t');
    }
    if c.tracking.broken_redirect {
        f.push('R');
    }
    if c.tracking.bcast {
        f.push('B');
    }
    if c.dirty_cas {
        f.push('d');
    }
    match c.close {
        Some(CloseReason::AfterReply) => f.push('c'),
        Some(_) => f.push('A'),
        None => {}
    }
    if c.no_evict {
        f.push('e');
    }
    if f.is_empty() {
        f.push('N');
    }
    f
}

/// One line of CLIENT LIST for client `c`. The caller's query and output
/// buffers are lent to the running command: `own` passes its output buffer
/// and the size of its current arguments.
fn info_line(c: &Client, own: Option<(&ReplyBuf, usize)>, s: &mut String) {
    let (out, argv_mem, (qlen, qcap)) = match own {
        Some((out, argv)) => (out, argv, c.lent_qbuf),
        None => (
            &c.out,
            c.held.as_ref().map_or(0, |h| h.buf.len()),
            (c.qbuf.len(), c.qbuf.capacity()),
        ),
    };
    let pending = out.buf.len().saturating_sub(c.sent);
    let obl = pending.min(REPLY_CHUNK);
    let omem = pending - obl;
    let oll = omem.div_ceil(REPLY_CHUNK);
    let tot = qcap + out.buf.capacity() + argv_mem + std::mem::size_of::<Client>();
    let laddr = c.laddr.map(|a| a.to_string()).unwrap_or_default();
    let name = c.name.as_deref().map(String::from_utf8_lossy);
    let _ = writeln!(
        s,
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} \
         sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem=0 \
         rbs={} rbp={} obl={} oll={} omem={} tot-mem={} events={} cmd={} \
         user=default redir={} resp={}",
        c.id,
        c.addr,
        laddr,
        c.sock.as_raw_fd(),
        name.as_deref().unwrap_or(""),
        c.created.elapsed().as_secs(),
        c.last_interaction.elapsed().as_secs(),
        flags_of(c),
        c.db,
        c.subs.channels.len(),
        c.subs.patterns.len(),
        c.subs.shard.len(),
        c.multi.as_ref().map_or(-1, |q| q.len() as i64),
        qlen,
        qcap.saturating_sub(qlen),
        argv_mem,
        out.buf.capacity(),
        pending,
        obl,
        oll,
        omem,
        tot,
        if c.write_registered { "rw" } else { "r" },
        c.last_cmd,
        redirect_shown(c),
        c.resp
    );
}

/// Appends the line of the client at slab key `key`.
fn line_of(ctx: &Ctx, key: usize, args: &Args, s: &mut String) {
    let c = &ctx.clients[key];
    if key == ctx.cid {
        let argv: usize = args.iter_from(0).map(<[u8]>::len).sum();
        info_line(c, Some((ctx.out, argv)), s);
    } else {
        info_line(c, None, s);
    }
}

fn client_list(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut keys: Vec<usize> = Vec::new();
    if args.len() == 2 {
        keys = ctx.clients.iter().map(|(k, _)| k).collect();
        keys.sort_by_key(|&k| ctx.clients[k].id);
    } else if args.len() == 4 && args.is(2, "type") {
        let t = parse_type(args.get(3))?;
        keys = ctx
            .clients
            .iter()
            .filter(|(_, c)| type_of(c) == t)
            .map(|(k, _)| k)
            .collect();
        keys.sort_by_key(|&k| ctx.clients[k].id);
    } else if args.len() >= 4 && args.is(2, "id") {
        let mut ids = Vec::with_capacity(args.len() - 3);
        for a in args.iter_from(3) {
            ids.push(parse_i64(a).ok_or(CmdError::from("ERR Invalid client ID"))?);
        }
        for id in ids {
            if let Some((k, _)) = ctx.clients.iter().find(|(_, c)| c.id as i64 == id) {
                keys.push(k);
            }
        }
    } else {
        return err(SYNTAX);
    }
    let mut s = String::new();
    for k in keys {
        line_of(ctx, k, args, &mut s);
    }
    ctx.out.verbatim("txt", s.as_bytes());
    Ok(())
}

fn client_info(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut s = String::new();
    line_of(ctx, ctx.cid, args, &mut s);
    ctx.out.verbatim("txt", s.as_bytes());
    Ok(())
}

// ---------------------------------------------------------------------------
// CLIENT KILL
// ---------------------------------------------------------------------------

/// Closes client `key`: the caller after its reply, any other at the end of
/// the caller's batch (by the event loop).
fn kill(ctx: &mut Ctx, key: usize) {
    if key == ctx.cid {
        ctx.clients[key].close = Some(CloseReason::AfterReply);
    } else {
        ctx.clients[key].close = Some(CloseReason::Killed);
        ctx.srv.shared.killed.push(key);
    }
}

/// The filters of the new CLIENT KILL form; every one given must match.
#[derive(Default)]
struct KillFilter {
    id: Option<u64>,
    kind: Option<ClientType>,
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    skipme: bool,
}

impl KillFilter {
    fn parse(args: &Args) -> Result<KillFilter, CmdError> {
        let mut f = KillFilter {
            skipme: true,
            ..KillFilter::default()
        };
        let mut i = 2;
        while i < args.len() {
            if i + 1 >= args.len() {
                return err(SYNTAX);
            }
            let v = args.get(i + 1);
            if args.is(i, "id") {
                match parse_i64(v) {
                    Some(n) if n > 0 => f.id = Some(n as u64),
                    _ => return err("ERR client-id should be greater than 0"),
                }
            } else if args.is(i, "type") {
                f.kind = Some(parse_type(v)?);
            } else if args.is(i, "addr") {
                f.addr = Some(v.to_vec());
            } else if args.is(i, "laddr") {
                f.laddr = Some(v.to_vec());
            } else if args.is(i, "user") {
                // Only the default user exists, and every client is it.
                if v != b"default" {
                    return Err(CmdError::quoting("ERR No such user '", v, "'"));
                }
            } else if args.is(i, "skipme") {
                if v.eq_ignore_ascii_case(b"yes") {
                    f.skipme = true;
                } else if v.eq_ignore_ascii_case(b"no") {
                    f.skipme = false;
                } else {
                    return err(SYNTAX);
                }
            } else {
                return err(SYNTAX);
            }
            i += 2;
        }
        Ok(f)
    }

    fn matches(&self, c: &Client) -> bool {
        self.id.is_none_or(|id| c.id == id)
            && self.kind.is_none_or(|t| type_of(c) == t)
            && self
                .addr
                .as_ref()
                .is_none_or(|a| c.addr.to_string().as_bytes() == a.as_slice())
            && self.laddr.as_ref().is_none_or(|a| {
                c.laddr
                    .is_some_and(|l| l.to_string().as_bytes() == a.as_slice())
            })
    }
}

fn client_kill(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() == 3 {
        // The old form: one ip:port.
        let want = args.get(2);
        let found = ctx
            .clients
            .iter()
            .find(|(_, c)| c.addr.to_string().as_bytes() == want)
            .map(|(k, _)| k);
        let Some(key) = found else {
            return err("ERR No such client");
        };
        ctx.out.ok();
        kill(ctx, key);
        return Ok(());
    }
    let f = KillFilter::parse(args)?;
    let me = ctx.cid;
    let victims: Vec<usize> = ctx
        .clients
        .iter()
        .filter(|&(k, c)| !(f.skipme && k == me) && c.close.is_none() && f.matches(c))
        .map(|(k, _)| k)
        .collect();
    ctx.out.int(victims.len() as i64);
    for k in victims {
        kill(ctx, k);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Small subcommands
// ---------------------------------------------------------------------------

fn client_id(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let id = ctx.client().id;
    ctx.out.int(id as i64);
    Ok(())
}

fn client_setname(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let n = args.get(2);
    if !valid_client_name(n) {
        return err(BAD_NAME);
    }
    ctx.client().name = (!n.is_empty()).then(|| n.to_vec());
    ctx.out.ok();
    Ok(())
}

fn client_getname(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    match ctx.clients[ctx.cid].name.as_deref() {
        Some(n) => ctx.out.bulk(n),
        None => ctx.out.null(),
    }
    Ok(())
}

/// Redis's answer when a subcommand gets more arguments than it parses.
/// The subcommand is quoted as sent.
fn too_many(args: &Args) -> CmdError {
    crate::error::bad_subcommand("CLIENT", args.get(1))
}

fn client_pause(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 4 {
        return Err(too_many(args));
    }
    let mut all = true;
    if args.len() == 4 {
        if args.is(3, "write") {
            all = false;
        } else if !args.is(3, "all") {
            return err("ERR CLIENT PAUSE mode must be WRITE or ALL");
        }
    }
    let Some(timeout) = parse_i64(args.get(2)) else {
        return err("ERR timeout is not an integer or out of range");
    };
    if timeout < 0 {
        return err("ERR timeout is negative");
    }
    let now = ctx.now;
    ctx.srv.shared.add_pause(now, timeout, all);
    ctx.out.ok();
    Ok(())
}

fn client_unpause(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.srv.shared.pause = None;
    ctx.out.ok();
    Ok(())
}

fn client_reply(ctx: &mut Ctx, args: &Args) -> CmdResult {
    // The event loop drops the replies; OFF and SKIP write none themselves.
    if args.is(2, "on") {
        let c = ctx.client();
        c.reply_off = false;
        c.reply_skip = false;
        c.reply_skip_next = false;
        ctx.out.ok();
    } else if args.is(2, "off") {
        ctx.client().reply_off = true;
    } else if args.is(2, "skip") {
        let c = ctx.client();
        if !c.reply_off {
            c.reply_skip_next = true;
        }
    } else {
        return err(SYNTAX);
    }
    Ok(())
}

fn client_no_evict(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.is(2, "on") {
        ctx.client().no_evict = true;
    } else if args.is(2, "off") {
        ctx.client().no_evict = false;
    } else {
        return err(SYNTAX);
    }
    ctx.out.ok();
    Ok(())
}

fn client_unblock(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 4 {
        return Err(too_many(args));
    }
    if args.len() == 4 && !args.is(3, "timeout") && !args.is(3, "error") {
        return err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    }
    let Some(id) = parse_i64(args.get(2)) else {
        return err(NOT_INTEGER);
    };
    let error = args.len() == 4 && args.is(3, "error");
    // Only a client waiting in a blocking command can be released (one held
    // by CLIENT PAUSE stays held).
    let target = ctx
        .clients
        .iter()
        .find(|(_, c)| c.id as i64 == id && c.wait.is_some())
        .map(|(k, _)| k);
    match target {
        Some(k) => {
            let msg = error.then_some("UNBLOCKED client unblocked via CLIENT UNBLOCK");
            blocking::release(ctx.srv, &mut ctx.clients[k], k, msg);
            ctx.out.int(1);
        }
        None => ctx.out.int(0),
    }
    Ok(())
}

/// The redirect id CLIENT GETREDIR, TRACKINGINFO and LIST show: -1 when
/// not tracking, 0 without REDIRECT.
fn redirect_shown(c: &Client) -> i64 {
    if c.tracking.on {
        c.tracking.redirect as i64
    } else {
        -1
    }
}

fn client_getredir(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let r = redirect_shown(ctx.client());
    ctx.out.int(r);
    Ok(())
}

fn client_trackinginfo(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let c = &ctx.clients[ctx.cid];
    let t = &c.tracking;
    let mut flags: Vec<&str> = Vec::new();
    if !t.on {
        flags.push("off");
    } else {
        flags.push("on");
        for (set, name) in [
            (t.bcast, "bcast"),
            (t.optin, "optin"),
            (t.optout, "optout"),
            (t.caching == Some(true), "caching-yes"),
            (t.caching == Some(false), "caching-no"),
            (t.noloop, "noloop"),
            (t.broken_redirect, "broken_redirect"),
        ] {
            if set {
                flags.push(name);
            }
        }
    }
    let redirect = redirect_shown(c);
    let mut prefixes = t.prefixes.clone();
    prefixes.sort();
    let out = &mut *ctx.out;
    out.map(3);
    out.bulk(b"flags");
    out.set(flags.len());
    for f in flags {
        out.bulk(f.as_bytes());
    }
    out.bulk(b"redirect");
    out.int(redirect);
    out.bulk(b"prefixes");
    out.array(prefixes.len());
    for p in &prefixes {
        out.bulk(p);
    }
    Ok(())
}

/// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]... [BCAST] [OPTIN]
/// [OPTOUT] [NOLOOP], checked as Redis 7.0 does.
fn client_tracking(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let on = if args.is(2, "on") {
        true
    } else if args.is(2, "off") {
        false
    } else {
        return err(SYNTAX);
    };
    let mut t = ClientTracking {
        on,
        ..Default::default()
    };
    let mut i = 3;
    while i < args.len() {
        let more = i + 1 < args.len();
        if args.is(i, "redirect") && more {
            i += 1;
            let Some(id) = parse_i64(args.get(i)) else {
                return err(NOT_INTEGER);
            };
            if t.redirect != 0 {
                return err("ERR A client can only redirect to a single other client");
            }
            t.redirect = id as u64;
        } else if args.is(i, "bcast") {
            t.bcast = true;
        } else if args.is(i, "optin") {
            t.optin = true;
        } else if args.is(i, "optout") {
            t.optout = true;
        } else if args.is(i, "noloop") {
            t.noloop = true;
        } else if args.is(i, "prefix") && more {
            i += 1;
            t.prefixes.push(args.get(i).to_vec());
        } else {
            return err(SYNTAX);
        }
        i += 1;
    }
    let cid = ctx.cid;
    if !on {
        let c = &mut ctx.clients[cid];
        ctx.srv.tracking.disable(c);
        ctx.srv.tracking_changed();
        ctx.out.ok();
        return Ok(());
    }
    let cur = ctx.clients[cid].tracking.clone();
    if cur.on && cur.bcast != t.bcast {
        return err("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.");
    }
    if t.optin && t.optout {
        return err("ERR You can't specify both OPTIN mode and OPTOUT mode");
    }
    if cur.on && ((t.optin && cur.optout) || (t.optout && cur.optin)) {
        return err("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.");
    }
    if t.bcast && (t.optin || t.optout) {
        return err("ERR OPTIN and OPTOUT are not compatible with BCAST");
    }
    if !t.prefixes.is_empty() && !t.bcast {
        return err("ERR PREFIX option requires BCAST mode to be enabled");
    }
    // Prefixes of one client must not overlap (one a prefix of another).
    let all: Vec<&Vec<u8>> = cur.prefixes.iter().chain(&t.prefixes).collect();
    for (a, p) in all.iter().enumerate() {
        for q in &all[a + 1..] {
            if p != q && (p.starts_with(q) || q.starts_with(p)) {
                let (first, second) = if a < cur.prefixes.len() {
                    (q, p)
                } else {
                    (p, q)
                };
                return Err(CmdError::from(format!(
                    "ERR Prefix '{}' overlaps with {} prefix '{}'. Prefixes for a single client must not overlap.",
                    String::from_utf8_lossy(first),
                    if a < cur.prefixes.len() { "an existing" } else { "another provided" },
                    String::from_utf8_lossy(second)
                )));
            }
        }
    }
    if t.redirect != 0 && !ctx.clients.iter().any(|(_, c)| c.id == t.redirect) {
        return err("ERR The client ID you want redirect to does not exist");
    }
    if t.redirect == 0
        && args
            .iter_from(3)
            .any(|a| a.eq_ignore_ascii_case(b"redirect"))
    {
        return err("ERR The client ID you want redirect to does not exist");
    }
    // Options given again while on add to the current settings.
    if cur.on {
        t.optin |= cur.optin;
        t.optout |= cur.optout;
        t.noloop |= cur.noloop;
        if t.redirect == 0 {
            t.redirect = cur.redirect;
        }
        let mut prefixes = cur.prefixes.clone();
        for p in t.prefixes.drain(..) {
            if !prefixes.contains(&p) {
                prefixes.push(p);
            }
        }
        t.prefixes = prefixes;
        ctx.srv.tracking.disable(&mut ctx.clients[cid]);
    }
    ctx.srv.tracking.enable(&mut ctx.clients[cid], t);
    ctx.srv.tracking_changed();
    ctx.out.ok();
    Ok(())
}

/// CLIENT CACHING YES|NO: whether the next command's keys are tracked, in
/// OPTIN / OPTOUT mode.
fn client_caching(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let t = &ctx.client().tracking;
    if !t.on {
        return err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled");
    }
    let (optin, optout) = (t.optin, t.optout);
    if args.is(2, "yes") {
        if !optin {
            return err(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            );
        }
        ctx.client().tracking.caching = Some(true);
    } else if args.is(2, "no") {
        if !optout {
            return err(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            );
        }
        ctx.client().tracking.caching = Some(false);
    } else {
        return err(SYNTAX);
    }
    ctx.out.ok();
    Ok(())
}

/// Client-side caching after a command of a tracking client: remembers the
/// keys of a read-only command, sends the invalidations the command caused
/// for this client itself (after its reply), and ends a CLIENT CACHING
/// given for this command (any CLIENT subcommand keeps it, as in Redis).
pub fn track_after_command(ctx: &mut Ctx, spec: &CommandSpec, args: &Args) {
    let cid = ctx.cid;
    if ctx.clients[cid].tracking.on && spec.flags.has(Flags::READONLY) {
        if let Ok(found) = super::command_info::keys_of_args(spec, args) {
            let keys: Vec<&[u8]> = found.iter().map(|&(i, _)| args.get(i)).collect();
            ctx.srv
                .tracking
                .remember(&ctx.clients[cid], keys.into_iter());
        }
    }
    if !ctx.srv.in_exec && !ctx.srv.tracking.pending_self.is_empty() {
        let touched = &mut ctx.srv.pubsub.touched;
        ctx.srv
            .tracking
            .flush_self(ctx.clients, (cid, &mut *ctx.out), touched);
    }
    let c = &mut ctx.clients[cid];
    if c.multi.is_none() && !args.get(0).eq_ignore_ascii_case(b"client") {
        c.tracking.caching = None;
    }
}

fn client_help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    super::server::reply_help(
        ctx.out,
        "CLIENT",
        &[
            "CACHING (YES|NO)",
            "    Track (or not) the keys of the next command, in OPTIN (OPTOUT) mode.",
            "GETREDIR",
            "    Reply with the id of the client receiving this connection's tracking",
            "    notices (0: this connection; -1: tracking is off).",
            "GETNAME",
            "    Reply with the name of this connection, or a null if it has none.",
            "ID",
            "    Reply with the unique id of this connection.",
            "INFO",
            "    Describe this connection in the format of one CLIENT LIST line.",
            "KILL <ip:port>",
            "    Close the connection coming from <ip:port>.",
            "KILL <filter> <value> [<filter> <value> ...]",
            "    Close every connection matching all the filters; count them. Filters:",
            "    * ID <client-id>",
            "      The connection with this id.",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Connections of this kind.",
            "    * USER <username>",
            "      Connections authenticated as this user.",
            "    * ADDR <ip:port> / LADDR <ip:port>",
            "      Connections from this remote address / to this local address.",
            "    * SKIPME (YES|NO)",
            "      Whether this connection is spared (it is unless told NO).",
            "LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID <client-id> ...]",
            "    Describe connections, one line each, all of them or only those of",
            "    the given type or with the given ids.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Hold all commands (or only writes) for <timeout> ms, then run them.",
            "UNPAUSE",
            "    End a pause at once: held commands run.",
            "REPLY (ON|OFF|SKIP)",
            "    Turn replies to this connection on or off, or skip the next one.",
            "SETNAME <name>",
            "    Give this connection a name (no spaces or special characters).",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Wake a client waiting in a blocking command: timeout (default) or error.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Turn client-side caching invalidations for this connection on or off.",
            "TRACKINGINFO",
            "    Describe this connection's key tracking settings.",
            "NO-EVICT (ON|OFF)",
            "    Spare (or not) this connection when clients are evicted for memory.",
        ],
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// MONITOR
// ---------------------------------------------------------------------------

fn monitor(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let cid = ctx.cid;
    let c = ctx.client();
    // A client that already monitors gets no reply, as in Redis.
    if c.monitor {
        return Ok(());
    }
    c.monitor = true;
    ctx.srv.shared.monitors.push(cid);
    ctx.out.ok();
    Ok(())
}

/// What RESET undoes of this file's modes, for `connection::reset` to call
/// before it replies: MONITOR, and CLIENT REPLY OFF (its +RESET is then
/// sent). A SKIP in force still drops the +RESET, and NO-EVICT stays, as in
/// Redis 7.0.
pub fn reset_modes(ctx: &mut Ctx) {
    let cid = ctx.cid;
    let c = ctx.client();
    c.reply_off = false;
    c.reply_skip_next = false;
    if std::mem::take(&mut c.monitor) {
        ctx.srv.shared.monitors.retain(|&m| m != cid);
    }
}

/// Appends `arg` quoted as Redis shows arguments in MONITOR: `"..."` with
/// `\\`, `\"`, `\n`, `\r`, `\t`, `\a`, `\b` and `\xHH` for other bytes that
/// are not printable ASCII.
pub fn quote_arg(arg: &[u8], s: &mut Vec<u8>) {
    s.push(b'"');
    for &b in arg {
        match b {
            b'\\' => s.extend_from_slice(b"\\\\"),
            b'"' => s.extend_from_slice(b"\\\""),
            b'\n' => s.extend_from_slice(b"\\n"),
            b'\r' => s.extend_from_slice(b"\\r"),
            b'\t' => s.extend_from_slice(b"\\t"),
            0x07 => s.extend_from_slice(b"\\a"),
            0x08 => s.extend_from_slice(b"\\b"),
            0x20..=0x7e => s.push(b),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                s.extend_from_slice(&[
                    b'\\',
                    b'x',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 15)],
                ]);
            }
        }
    }
    s.push(b'"');
}

/// Indexes of the arguments MONITOR shows as `(redacted)`: passwords of AUTH
/// and of HELLO's AUTH option.
fn redacted(name: &str, args: &Args, i: usize) -> bool {
    match name {
        "auth" => i >= 1,
        "hello" => {
            let mut j = 2;
            while j < args.len() {
                if args.is(j, "auth") && j + 2 < args.len() {
                    if i == j + 1 || i == j + 2 {
                        return true;
                    }
                    j += 3;
                } else if args.is(j, "setname") {
                    j += 2;
                } else {
                    return false;
                }
            }
            false
        }
        _ => false,
    }
}

/// The MONITOR line of a command: `+<unix s>.<us> [<db> <addr>] "arg" ...`.
pub fn monitor_line(unix_us: i64, db: usize, addr: &str, name: &str, args: &Args) -> Vec<u8> {
    let mut s = format!(
        "+{}.{:06} [{} {}]",
        unix_us.div_euclid(1_000_000),
        unix_us.rem_euclid(1_000_000),
        db,
        addr
    )
    .into_bytes();
    for (i, a) in args.iter_from(0).enumerate() {
        s.push(b' ');
        if redacted(name, args, i) {
            s.extend_from_slice(b"\"(redacted)\"");
        } else {
            quote_arg(a, &mut s);
        }
    }
    s.extend_from_slice(b"\r\n");
    s
}

/// Feeds a command that just ran to the MONITOR clients, as Redis does after
/// a call: not admin commands nor those flagged skip_monitor, and with the
/// database selected after the command. `dispatch` calls it only while a
/// client monitors. The caller's own line goes to its lent output buffer.
pub fn feed_monitors(ctx: &mut Ctx, spec: &CommandSpec, args: &Args) {
    if spec.flags.has(Flags::ADMIN.or(Flags::SKIP_MONITOR)) {
        return;
    }
    let monitors = &ctx.srv.shared.monitors;
    let Some(monitors) = (!monitors.is_empty()).then(|| monitors.clone()) else {
        return;
    };
    let addr = ctx.clients[ctx.cid].addr.to_string();
    let line = monitor_line(crate::server::unix_us(), ctx.db, &addr, spec.name, args);
    // A client closing after its reply (QUIT) gets nothing more.
    for m in monitors {
        let Some(c) = ctx.clients.get_mut(m) else {
            continue;
        };
        if !c.monitor || c.close.is_some() {
            continue;
        }
        if m == ctx.cid {
            ctx.out.buf.extend_from_slice(&line);
        } else if !c.replies_dropped() {
            c.out.buf.extend_from_slice(&line);
        }
    }
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

const CONN: Acl = Acl::CONNECTION;

/// Flags shared by the CLIENT subcommands.
const CLIENT_FLAGS: Flags = Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE);
/// The administrative ones (also @admin and @dangerous).
const CLIENT_ADMIN: Flags = CLIENT_FLAGS.or(Flags::ADMIN);

const TRACKING_ARGS: &[Arg] = &[
    Arg {
        name: "status",
        kind: ArgType::OneOf,
        args: ON_OFF,
        ..ARG
    },
    Arg {
        name: "client-id",
        kind: ArgType::Integer,
        token: "REDIRECT",
        flags: ArgFlags::OPTIONAL,
        ..ARG
    },
    Arg {
        name: "prefix",
        token: "PREFIX",
        flags: ArgFlags::OPTIONAL
            .or(ArgFlags::MULTIPLE)
            .or(ArgFlags::MULTIPLE_TOKEN),
        ..ARG
    },
    Arg {
        name: "bcast",
        kind: ArgType::PureToken,
        token: "BCAST",
        flags: ArgFlags::OPTIONAL,
        ..ARG
    },
    Arg {
        name: "optin",
        kind: ArgType::PureToken,
        token: "OPTIN",
        flags: ArgFlags::OPTIONAL,
        ..ARG
    },
    Arg {
        name: "optout",
        kind: ArgType::PureToken,
        token: "OPTOUT",
        flags: ArgFlags::OPTIONAL,
        ..ARG
    },
    Arg {
        name: "noloop",
        kind: ArgType::PureToken,
        token: "NOLOOP",
        flags: ArgFlags::OPTIONAL,
        ..ARG
    },
];

const ON_OFF: &[Arg] = &[
    Arg {
        name: "on",
        kind: ArgType::PureToken,
        token: "ON",
        ..ARG
    },
    Arg {
        name: "off",
        kind: ArgType::PureToken,
        token: "OFF",
        ..ARG
    },
];

const fn token(name: &'static str, tok: &'static str) -> Arg {
    Arg {
        name,
        kind: ArgType::PureToken,
        token: tok,
        ..ARG
    }
}

const CLIENT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "help",
        arity: 2,
        flags: Flags::LOADING.or(Flags::STALE),
        acl: CONN,
        group: Group::Connection,
        since: "5.0.0",
        summary: "Describes the CLIENT subcommands.",
        handler: client_help,
        ..BASE
    },
    CommandSpec {
        name: "unpause",
        arity: 2,
        flags: CLIENT_ADMIN,
        acl: CONN,
        group: Group::Connection,
        since: "6.2.0",
        summary: "Ends a client pause, running the held commands.",
        complexity: "O(N) Where N is the number of paused clients",
        handler: client_unpause,
        ..BASE
    },
    CommandSpec {
        name: "pause",
        arity: -3,
        flags: CLIENT_ADMIN,
        acl: CONN,
        group: Group::Connection,
        since: "2.9.50",
        summary: "Holds the commands of clients for a while.",
        history: &[(
            "6.2.0",
            "`CLIENT PAUSE WRITE` mode added along with the `mode` option.",
        )],
        arguments: &[
            Arg {
                name: "timeout",
                kind: ArgType::Integer,
                ..ARG
            },
            Arg {
                name: "mode",
                kind: ArgType::OneOf,
                since: "6.2.0",
                flags: ArgFlags::OPTIONAL,
                args: &[token("write", "WRITE"), token("all", "ALL")],
                ..ARG
            },
        ],
        handler: client_pause,
        ..BASE
    },
    CommandSpec {
        name: "getredir",
        arity: 2,
        flags: CLIENT_FLAGS,
        acl: CONN,
        group: Group::Connection,
        since: "6.0.0",
        summary: "Returns the id of the client receiving tracking redirects.",
        handler: client_getredir,
        ..BASE
    },
    CommandSpec {
        name: "kill",
        arity: -3,
        flags: CLIENT_ADMIN,
        acl: CONN,
        group: Group::Connection,
        since: "2.4.0",
        summary: "Closes client connections.",
        complexity: "O(N) where N is the number of client connections",
        history: &[
            ("2.8.12", "Added new filter format."),
            ("2.8.12", "`ID` option."),
            ("3.2.0", "Added `master` type in for `TYPE` option."),
            (
                "5.0.0",
                "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility.",
            ),
            ("6.2.0", "`LADDR` option."),
        ],
        arguments: &[Arg {
            name: "filter",
            kind: ArgType::OneOf,
            args: &[
                Arg {
                    name: "ip:port",
                    deprecated_since: "2.8.12",
                    ..ARG
                },
                Arg {
                    name: "new-format",
                    kind: ArgType::OneOf,
                    flags: ArgFlags::MULTIPLE,
                    args: &[
                        Arg {
                            name: "client-id",
                            kind: ArgType::Integer,
                            token: "ID",
                            since: "2.8.12",
                            flags: ArgFlags::OPTIONAL,
                            ..ARG
                        },
                        Arg {
                            name: "normal_master_slave_pubsub",
                            kind: ArgType::OneOf,
                            token: "TYPE",
                            since: "2.8.12",
                            flags: ArgFlags::OPTIONAL,
                            args: &[
                                token("normal", "NORMAL"),
                                Arg {
                                    since: "3.2.0",
                                    ..token("master", "MASTER")
                                },
                                token("slave", "SLAVE"),
                                Arg {
                                    since: "5.0.0",
                                    ..token("replica", "REPLICA")
                                },
                                token("pubsub", "PUBSUB"),
                            ],
                            ..ARG
                        },
                        Arg {
                            name: "username",
                            token: "USER",
                            flags: ArgFlags::OPTIONAL,
                            ..ARG
                        },
                        Arg {
                            name: "ip:port",
                            token: "ADDR",
                            flags: ArgFlags::OPTIONAL,
                            ..ARG
                        },
                        Arg {
                            name: "ip:port",
                            token: "LADDR",
                            since: "6.2.0",
                            flags: ArgFlags::OPTIONAL,
                            ..ARG
                        },
                        Arg {
                            name: "yes/no",
                            token: "SKIPME",
                            flags: ArgFlags::OPTIONAL,
                            ..ARG
                        },
                    ],
                    ..ARG
                },
            ],
            ..ARG
        }],
        handler: client_kill,
        ..BASE
    },
    CommandSpec {
        name: "list",
        arity: -2,
        flags: CLIENT_ADMIN,
        acl: CONN,
        group: Group::Connection,
        since: "2.4.0",
        summary: "Describes the client connections.",
        complexity: "O(N) where N is the number of client connections",
        tips: &["nondeterministic_output"],
        history: &[
            ("2.8.12", "Added unique client `id` field."),
            ("5.0.0", "Added optional `TYPE` filter."),
            ("6.0.0", "Added `user` field."),
            (
                "6.2.0",
                "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter.",
            ),
            ("7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."),
            ("7.0.3", "Added `ssub` field."),
        ],
        arguments: &[
            Arg {
                name: "normal_master_replica_pubsub",
                kind: ArgType::OneOf,
                token: "TYPE",
                since: "5.0.0",
                flags: ArgFlags::OPTIONAL,
                args: &[
                    token("normal", "NORMAL"),
                    token("master", "MASTER"),
                    token("replica", "REPLICA"),
                    token("pubsub", "PUBSUB"),
                ],
                ..ARG
            },
            Arg {
                name: "id",
                kind: ArgType::Block,
                token: "ID",
                since: "6.2.0",
                flags: ArgFlags::OPTIONAL,
                args: &[Arg {
                    name: "client-id",
                    kind: ArgType::Integer,
                    flags: ArgFlags::MULTIPLE,
                    ..ARG
                }],
                ..ARG
            },
        ],
        handler: client_list,
        ..BASE
    },
    CommandSpec {
        name: "tracking",
        arity: -3,
        flags: CLIENT_FLAGS,
        acl: CONN,
        group: Group::Connection,
        since: "6.0.0",
        summary: "Turns server-assisted client-side caching on or off for the connection.",
        complexity: "O(1). Some options may introduce additional complexity.",
        arguments: TRACKING_ARGS,
        handler: client_tracking,
        ..BASE
    },
    CommandSpec {
        name: "caching",
        arity: 3,
        flags: CLIENT_FLAGS,
        acl: CONN,
        group: Group::Connection,
        since: "6.0.0",
        summary: "Tells the server whether to track the keys of the next command.",
        arguments: &[Arg {
            name: "mode",
            kind: ArgType::OneOf,
            args: &[token("yes", "YES"), token("no", "NO")],
            ..ARG
        }],
        handler: client_caching,
        ..BASE
    },
    CommandSpec {
        name: "trackinginfo",
        arity: 2,
        flags: CLIENT_FLAGS,
        acl: CONN,
        group: Group::Connection,
        since: "6.2.0",
        summary: "Describes the key tracking settings of the connection.",
        handler: client_trackinginfo,
        ..BASE
    },
    CommandSpec {
        name: "reply",
        arity: 3,
        flags: CLIENT_FLAGS,
        acl: CONN,
        group: Group::Connection,
        since: "3.2.0",
        summary: "Turns replies to the connection on or off, or skips one.",
        arguments: &[Arg {
            name: "on_off_skip",
            kind: ArgType::OneOf,
            args: &[
                token("on", "ON"),
                token("off", "OFF"),
                token("skip", "SKIP"),
            ],
            ..ARG
        }],
        handler: client_reply,
        ..BASE
    },
    CommandSpec {
        name: "setname",
        arity: 3,
        flags: CLIENT_FLAGS,
        acl: CONN,
        group: Group::Connection,
        since: "2.6.9",
        summary: "Sets the connection name.",
        arguments: &[Arg {
            name: "connection-name",
            ..ARG
        }],
        handler: client_setname,
        ..BASE
    },
    CommandSpec {
        name: "no-evict",
        arity: 3,
        flags: CLIENT_ADMIN,
        acl: CONN,
        group: Group::Connection,
        since: "7.0.0",
        summary: "Spares the connection, or not, when clients are evicted.",
        arguments: &[Arg {
            name: "enabled",
            kind: ArgType::OneOf,
            args: ON_OFF,
            ..ARG
        }],
        handler: client_no_evict,
        ..BASE
    },
    CommandSpec {
        name: "unblock",
        arity: -3,
        flags: CLIENT_ADMIN,
        acl: CONN,
        group: Group::Connection,
        since: "5.0.0",
        summary: "Wakes a client waiting in a blocking command.",
        complexity: "O(log N) where N is the number of client connections",
        arguments: &[
            Arg {
                name: "client-id",
                kind: ArgType::Integer,
                ..ARG
            },
            Arg {
                name: "timeout_error",
                kind: ArgType::OneOf,
                flags: ArgFlags::OPTIONAL,
                args: &[token("timeout", "TIMEOUT"), token("error", "ERROR")],
                ..ARG
            },
        ],
        handler: client_unblock,
        ..BASE
    },
    CommandSpec {
        name: "id",
        arity: 2,
        flags: CLIENT_FLAGS,
        acl: CONN,
        group: Group::Connection,
        since: "5.0.0",
        summary: "Returns the unique id of the connection.",
        handler: client_id,
        ..BASE
    },
    CommandSpec {
        name: "info",
        arity: 2,
        flags: CLIENT_FLAGS,
        acl: CONN,
        group: Group::Connection,
        since: "6.2.0",
        summary: "Describes the connection as one CLIENT LIST line.",
        tips: &["nondeterministic_output"],
        handler: client_info,
        ..BASE
    },
    CommandSpec {
        name: "getname",
        arity: 2,
        flags: CLIENT_FLAGS,
        acl: CONN,
        group: Group::Connection,
        since: "2.6.9",
        summary: "Returns the connection name.",
        handler: client_getname,
        ..BASE
    },
];

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "client",
        arity: -2,
        flags: Flags::NONE,
        acl: Acl::NONE,
        keys: Keys::NONE,
        group: Group::Connection,
        since: "2.4.0",
        summary: "A container for client connection commands.",
        complexity: "Depends on subcommand.",
        subcommands: CLIENT_SUBCOMMANDS,
        ..BASE
    },
    CommandSpec {
        name: "monitor",
        arity: 1,
        flags: Flags::ADMIN
            .or(Flags::NOSCRIPT)
            .or(Flags::LOADING)
            .or(Flags::STALE),
        acl: Acl::NONE,
        group: Group::Server,
        summary: "Streams every command the server runs.",
        complexity: "",
        handler: monitor,
        ..BASE
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `f` on the arguments `words`.
    fn with_args<R>(words: &[&str], f: impl FnOnce(&Args) -> R) -> R {
        let buf: Vec<u8> = words.concat().into_bytes();
        let mut ranges = Vec::new();
        let mut at = 0;
        for w in words {
            ranges.push((at, at + w.len()));
            at += w.len();
        }
        f(&Args::new(&buf, &ranges))
    }

    fn kill_error(words: &[&str]) -> Option<String> {
        with_args(words, |a| {
            KillFilter::parse(a).err().map(|e| e.text().to_string())
        })
    }

    #[test]
    fn kill_filters_are_checked_in_order() {
        assert_eq!(
            kill_error(&["client", "kill", "id", "7", "skipme", "NO"]),
            None
        );
        assert_eq!(
            kill_error(&["client", "kill", "type", "x", "id"]).as_deref(),
            Some("ERR Unknown client type 'x'")
        );
        assert_eq!(
            kill_error(&["client", "kill", "id", "0", "type", "x"]).as_deref(),
            Some("ERR client-id should be greater than 0")
        );
        assert_eq!(
            kill_error(&["client", "kill", "maxage", "1"]).as_deref(),
            Some(SYNTAX)
        );
        assert_eq!(
            kill_error(&["client", "kill", "id", "1", "user"]).as_deref(),
            Some(SYNTAX)
        );
        let f = with_args(
            &["client", "kill", "addr", "1.2.3.4:5", "skipme", "no"],
            |a| KillFilter::parse(a).ok(),
        )
        .unwrap();
        assert!(!f.skipme);
        assert_eq!(f.addr.as_deref(), Some(&b"1.2.3.4:5"[..]));
    }

    #[test]
    fn quoting_as_monitor_shows_it() {
        let mut s = Vec::new();
        quote_arg(b"a\x01\n\r\t\"\\ b\x7f\xff\x07\x08", &mut s);
        assert_eq!(s, b"\"a\\x01\\n\\r\\t\\\"\\\\ b\\x7f\\xff\\a\\b\"");
    }

    #[test]
    fn monitor_line_redacts_passwords() {
        let buf = b"hello3authusrpwsetnamen";
        let ranges = [
            (0, 5),
            (5, 6),
            (6, 10),
            (10, 13),
            (13, 15),
            (15, 22),
            (22, 23),
        ];
        let args = Args::new(buf, &ranges);
        let line = monitor_line(1_700_000_000_000_042, 2, "127.0.0.1:5", "hello", &args);
        assert_eq!(
            line,
            b"+1700000000.000042 [2 127.0.0.1:5] \"hello\" \"3\" \"auth\" \"(redacted)\" \"(redacted)\" \"setname\" \"n\"\r\n"
        );
    }
}
