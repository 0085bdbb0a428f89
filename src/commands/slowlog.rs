//! SLOWLOG (GET, LEN, RESET, HELP) and `record`, the hook `dispatch` calls
//! after every command to feed the slow log, the latency monitor's `command`
//! / `fast-command` events and the per-command latency histograms.
//!
//! What gets logged follows Redis 7.0: every command whose handler ran
//! (errors included; commands rejected by dispatch are not), except those
//! flagged `skip_slowlog` (EXEC). Secrets are replaced by `(redacted)` the way
//! Redis does it: AUTH's arguments, HELLO's AUTH user and password, CONFIG
//! SET's values of sensitive parameters, ACL SETUSER's rules and MIGRATE's
//! AUTH/AUTH2 credentials (`redacted_positions`).

use crate::server::Tick;

use super::server::reply_help;
use super::table::{Acl, Arg, ArgFlags, ArgType, Args, CommandSpec, Flags, Group, ARG, BASE};
use super::{Ctx, Registry};
use crate::error::{CmdError, CmdResult};
use crate::util::numbers::parse_i64;

/// Accounts for one command that ran: `idx` is its registry index, `usec`
/// its duration and `end` the instant it ended. The histogram and two
/// threshold checks are all that runs for a command that is not slow.
#[inline]
pub fn record(ctx: &mut Ctx, idx: usize, args: &Args, usec: u64, end: Tick) {
    let srv = &mut *ctx.srv;
    if srv.config.latency_tracking {
        if let Some(slot) = srv.cmd_latency.get_mut(idx) {
            slot.get_or_insert_with(Box::default).record_usec(usec);
        }
    }
    let threshold = srv.config.latency_monitor_threshold;
    let slower = srv.config.slowlog_log_slower_than;
    let monitored = threshold > 0 && usec / 1000 >= threshold as u64;
    if monitored || (slower >= 0 && usec >= slower as u64) {
        record_slow(ctx, idx, args, usec, end, monitored);
    }
}

/// A command over the latency monitor's threshold (`monitored`) or the slow
/// log's.
#[cold]
#[inline(never)]
fn record_slow(ctx: &mut Ctx, idx: usize, args: &Args, usec: u64, end: Tick, monitored: bool) {
    let srv = &mut *ctx.srv;
    let spec = Registry::get().all[idx].spec;
    if monitored {
        let event = if spec.flags.has(Flags::FAST) {
            "fast-command"
        } else {
            "command"
        };
        let now = srv.clock.unix_ms_at(end) / 1000;
        srv.latency.add(event, usec / 1000, now);
    }
    let slower = srv.config.slowlog_log_slower_than;
    if slower < 0 || usec < slower as u64 || spec.flags.has(Flags::SKIP_SLOWLOG) {
        return;
    }
    let (addr, name) = match ctx.clients.get(ctx.cid) {
        Some(c) => (c.addr.to_string(), c.name.clone().unwrap_or_default()),
        None => (String::new(), Vec::new()),
    };
    let redacted = redacted_positions(args);
    let time = srv.clock.unix_ms_at(end) / 1000;
    let max_len = usize::try_from(srv.config.slowlog_max_len).unwrap_or(usize::MAX);
    srv.slowlog.push(
        args.iter_from(0),
        |i| redacted.contains(&i),
        (time, usec, addr, name),
        max_len,
    );
}

/// Config parameters whose values CONFIG SET hides from the slow log.
const SENSITIVE_CONFIGS: &[&str] = &[
    "requirepass",
    "masterauth",
    "masteruser",
    "tls-key-file-pass",
    "tls-client-key-file-pass",
];

/// Indexes of the arguments the slow log shows as `(redacted)`. Each rule
/// mirrors how far the command's own parsing gets before it meets the
/// secret: a syntax error found earlier leaves the line as it was.
pub fn redacted_positions(args: &Args) -> Vec<usize> {
    let argc = args.len();
    let mut out = Vec::new();
    if args.is(0, "auth") {
        if argc <= 3 {
            out.extend(1..argc);
        }
    } else if args.is(0, "hello") {
        if argc < 2 || !parse_i64(args.get(1)).is_some_and(|v| (2..=3).contains(&v)) {
            return out;
        }
        let mut i = 2;
        while i < argc {
            let more = argc - i - 1;
            if args.is(i, "auth") && more >= 2 {
                out.extend([i + 1, i + 2]);
                i += 3;
            } else if args.is(i, "setname") && more >= 1 {
                i += 2;
            } else {
                break;
            }
        }
    } else if args.is(0, "config") && argc >= 4 && args.is(1, "set") && argc.is_multiple_of(2) {
        for i in (2..argc).step_by(2) {
            if SENSITIVE_CONFIGS.iter().any(|n| args.is(i, n)) {
                out.push(i + 1);
            }
        }
    } else if args.is(0, "acl") && argc >= 3 && args.is(1, "setuser") {
        out.extend(2..argc);
    } else if args.is(0, "migrate") {
        let mut j = 6;
        while j < argc {
            if args.is(j, "auth") && j + 1 < argc {
                out.push(j + 1);
                j += 2;
            } else if args.is(j, "auth2") && j + 2 < argc {
                out.extend([j + 1, j + 2]);
                j += 3;
            } else if args.is(j, "copy") || args.is(j, "replace") {
                j += 1;
            } else {
                break;
            }
        }
    }
    out
}

const COUNT_RANGE: &str = "ERR count should be greater than or equal to -1";

fn slowlog_get(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(crate::error::bad_subcommand("SLOWLOG", args.get(1)));
    }
    let mut count: usize = 10;
    if args.len() == 3 {
        match parse_i64(args.get(2)) {
            Some(-1) => count = usize::MAX,
            Some(n) if n >= 0 => count = usize::try_from(n).unwrap_or(usize::MAX),
            _ => return Err(CmdError::from(COUNT_RANGE)),
        }
    }
    let log = &ctx.srv.slowlog;
    let n = count.min(log.entries.len());
    let out = &mut *ctx.out;
    out.array(n);
    for e in log.entries.iter().take(n) {
        out.array(6);
        out.int(e.id as i64);
        out.int(e.time);
        out.int(i64::try_from(e.duration).unwrap_or(i64::MAX));
        out.array(e.argv.len());
        for a in &e.argv {
            out.bulk(a);
        }
        out.bulk(e.addr.as_bytes());
        out.bulk(&e.name);
    }
    Ok(())
}

fn slowlog_len(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let n = ctx.srv.slowlog.entries.len();
    ctx.out.int(n as i64);
    Ok(())
}

fn slowlog_reset(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.srv.slowlog.reset();
    ctx.out.ok();
    Ok(())
}

fn slowlog_help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    reply_help(
        ctx.out,
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Lists the <count> newest slow log entries (10 by default, -1 for all).",
            "    Each entry holds:",
            "    its id, the unix time it was logged, the duration in microseconds,",
            "    the command's arguments, the client's address and the client's name.",
            "LEN",
            "    Returns the number of entries in the slow log.",
            "RESET",
            "    Empties the slow log.",
        ],
    );
    Ok(())
}

/// Flags of the administrative SLOWLOG subcommands.
const SLOWLOG_ADMIN: Flags = Flags::ADMIN.or(Flags::LOADING).or(Flags::STALE);

const SLOWLOG_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "len",
        arity: 2,
        flags: SLOWLOG_ADMIN,
        group: Group::Server,
        since: "2.2.12",
        summary: "Returns the number of slow log entries.",
        tips: &[
            "request_policy:all_nodes",
            "response_policy:agg_sum",
            "nondeterministic_output",
        ],
        handler: slowlog_len,
        ..BASE
    },
    CommandSpec {
        name: "reset",
        arity: 2,
        flags: SLOWLOG_ADMIN,
        group: Group::Server,
        since: "2.2.12",
        summary: "Removes every slow log entry.",
        complexity: "O(N) where N is the number of entries in the slowlog",
        tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
        handler: slowlog_reset,
        ..BASE
    },
    CommandSpec {
        name: "help",
        arity: 2,
        flags: Flags::LOADING.or(Flags::STALE),
        group: Group::Server,
        since: "6.2.0",
        summary: "Describes the SLOWLOG subcommands.",
        handler: slowlog_help,
        ..BASE
    },
    CommandSpec {
        name: "get",
        arity: -2,
        flags: SLOWLOG_ADMIN,
        group: Group::Server,
        since: "2.2.12",
        summary: "Returns the newest slow log entries.",
        complexity: "O(N) where N is the number of entries returned",
        tips: &["request_policy:all_nodes", "nondeterministic_output"],
        history: &[("4.0.0", "Entries carry the client's address and name.")],
        arguments: &[Arg {
            name: "count",
            kind: ArgType::Integer,
            flags: ArgFlags::OPTIONAL,
            ..ARG
        }],
        handler: slowlog_get,
        ..BASE
    },
];

pub const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "slowlog",
    arity: -2,
    flags: Flags::NONE,
    acl: Acl::NONE,
    group: Group::Server,
    since: "2.2.12",
    summary: "A container for the slow log commands.",
    complexity: "Depends on subcommand.",
    subcommands: SLOWLOG_SUBCOMMANDS,
    ..BASE
}];
