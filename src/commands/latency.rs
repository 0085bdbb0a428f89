//! LATENCY (LATEST, HISTORY, RESET, GRAPH, DOCTOR, HISTOGRAM, HELP): the
//! latency monitor's events and the per-command latency histograms, kept in
//! `server/latency.rs` and fed by `slowlog::record` after every command.
//!
//! Events recorded today: `command` and `fast-command` (a command, resp. a
//! command flagged `fast`, that took at least latency-monitor-threshold ms).
//! The text of GRAPH is laid out as Redis's (a 4-row chart with `_o#|`, then
//! the age of each sample written vertically) so that tools reading it work;
//! DOCTOR's prose is our own.

use std::fmt::Write as _;

use super::command_info::find_by_full_name;
use super::server::reply_help;
use super::table::{Acl, Arg, ArgFlags, Args, CommandSpec, Flags, Group, ARG, BASE};
use super::{Ctx, Registry};
use crate::error::{CmdError, CmdResult};
use crate::protocol::reply::ReplyBuf;
use crate::server::latency::{EventSeries, Histogram};

fn latency_latest(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let events = &ctx.srv.latency.events;
    let out = &mut *ctx.out;
    out.array(events.len());
    for (name, s) in events {
        let (time, ms) = s.latest();
        out.array(4);
        out.bulk(name.as_bytes());
        out.int(time);
        out.int(ms as i64);
        out.int(s.max as i64);
    }
    Ok(())
}

fn latency_history(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(s) = ctx.srv.latency.get(args.get(2)) else {
        ctx.out.array(0);
        return Ok(());
    };
    let samples: Vec<(i64, u64)> = s.chronological().collect();
    let out = &mut *ctx.out;
    out.array(samples.len());
    for (t, ms) in samples {
        out.array(2);
        out.int(t);
        out.int(ms as i64);
    }
    Ok(())
}

fn latency_reset(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let lat = &mut ctx.srv.latency;
    let n = if args.len() == 2 {
        lat.reset_all()
    } else {
        args.iter_from(2).filter(|e| lat.reset_event(e)).count()
    };
    ctx.out.int(n as i64);
    Ok(())
}

/// Age label of a sample: seconds, minutes, hours or days ago.
fn age_label(elapsed: i64) -> String {
    if elapsed < 60 {
        format!("{elapsed}s")
    } else if elapsed < 3600 {
        format!("{}m", elapsed / 60)
    } else if elapsed < 86400 {
        format!("{}h", elapsed / 3600)
    } else {
        format!("{}d", elapsed / 86400)
    }
}

/// Width of the graph in columns (more samples continue below).
const GRAPH_COLS: usize = 80;
/// Chart height in rows; each row has three levels (`_`, `o`, `#`).
const GRAPH_ROWS: usize = 4;

/// Renders one block of columns: the chart rows, a blank row, then the
/// labels written vertically, one character per row.
fn render_block(g: &mut String, vals: &[u64], labels: &[String], min: u64, max: u64) {
    const LEVELS: &[u8] = b"_o#";
    let steps = (LEVELS.len() * GRAPH_ROWS) as i64;
    let span = if max == min { 1.0 } else { (max - min) as f64 };
    let step_of = |v: u64| -> i64 {
        let scaled = ((v - min) as f64 * steps as f64) as i64;
        ((scaled as f64 / span) as i64).clamp(0, steps - 1)
    };
    for row in 0..GRAPH_ROWS {
        let base = ((GRAPH_ROWS - row - 1) * LEVELS.len()) as i64;
        for &v in vals {
            let k = step_of(v) - base;
            g.push(if k < 0 {
                ' '
            } else if (k as usize) < LEVELS.len() {
                char::from(LEVELS[k as usize])
            } else {
                '|'
            });
        }
        g.push('\n');
    }
    g.extend(std::iter::repeat_n(' ', vals.len()));
    g.push('\n');
    let tallest = labels.iter().map(|l| l.len()).max().unwrap_or(0);
    for r in 0..tallest {
        for l in labels {
            g.push(char::from(*l.as_bytes().get(r).unwrap_or(&b' ')));
        }
        g.push('\n');
    }
}

/// The GRAPH text of one event.
fn graph_text(event: &str, s: &EventSeries, now: i64) -> String {
    let samples: Vec<(i64, u64)> = s.chronological().collect();
    let min = samples.iter().map(|x| x.1).min().unwrap_or(0);
    let max = samples.iter().map(|x| x.1).max().unwrap_or(0);
    let mut g = String::new();
    let _ = writeln!(
        g,
        "{event} - high {max} ms, low {min} ms (all time high {} ms)",
        s.max
    );
    g.extend(std::iter::repeat_n('-', GRAPH_COLS));
    g.push('\n');
    for (i, chunk) in samples.chunks(GRAPH_COLS).enumerate() {
        if i > 0 {
            g.push('\n');
        }
        let vals: Vec<u64> = chunk.iter().map(|x| x.1).collect();
        let labels: Vec<String> = chunk.iter().map(|x| age_label(now - x.0)).collect();
        render_block(&mut g, &vals, &labels, min, max);
    }
    g
}

fn latency_graph(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let event = args.get(2);
    let Some(s) = ctx.srv.latency.get(event) else {
        return Err(CmdError::quoting(
            "ERR No samples available for event '",
            event,
            "'",
        ));
    };
    let text = graph_text(&String::from_utf8_lossy(event), s, ctx.now / 1000);
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

/// Advice per event kind for DOCTOR (our words).
fn advice_for(event: &str) -> &'static str {
    match event {
        "command" | "fast-command" => {
            "- Some commands are slow to run: SLOWLOG GET shows which ones and with \
             which arguments. Prefer incremental commands (SCAN and friends) over \
             commands that walk whole keys or keyspaces, and split very large values.\n"
        }
        _ => "- Look at what the server was doing when these spikes were recorded.\n",
    }
}

/// The DOCTOR report: per event, the number of spikes, their average, mean
/// deviation and period, then advice.
fn doctor_text(events: &[(String, EventSeries)]) -> String {
    let mut t = String::new();
    if events.is_empty() {
        t.push_str(
            "No latency spike has been recorded since this server started (or since the \
             last LATENCY RESET). Note that spikes are only recorded while \
             latency-monitor-threshold is set to a number of milliseconds above zero.\n",
        );
        return t;
    }
    t.push_str("Latency spikes were recorded on this server. Summary per event:\n\n");
    for (i, (name, s)) in events.iter().enumerate() {
        let samples: Vec<(i64, u64)> = s.chronological().collect();
        let n = samples.len().max(1) as f64;
        let avg = samples.iter().map(|x| x.1 as f64).sum::<f64>() / n;
        let dev = samples
            .iter()
            .map(|x| (x.1 as f64 - avg).abs())
            .sum::<f64>()
            / n;
        let first = samples.first().map_or(0, |x| x.0);
        let last = samples.last().map_or(0, |x| x.0);
        let period = if samples.len() > 1 {
            (last - first) as f64 / (samples.len() - 1) as f64
        } else {
            0.0
        };
        let _ = writeln!(
            t,
            "{}. {name}: {} spikes, {avg:.0} ms on average (mean deviation {dev:.0} ms), \
             one every {period:.2} s; the worst ever took {} ms.",
            i + 1,
            samples.len(),
            s.max
        );
    }
    t.push_str("\nSuggestions:\n\n");
    let mut seen: Vec<&str> = Vec::new();
    for (name, _) in events {
        let a = advice_for(name);
        if !seen.contains(&a) {
            seen.push(a);
            t.push_str(a);
        }
    }
    t
}

/// DOCTOR's answer while the monitor is off (Redis says so instead of
/// reporting; the wording is ours).
const MONITOR_OFF: &str = "Latency monitoring is off in this server, so there is nothing to \
diagnose. Turn it on with \"CONFIG SET latency-monitor-threshold <milliseconds>\", then ask \
again once the server has seen some load.\n";

fn latency_doctor(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    if ctx.srv.config.latency_monitor_threshold <= 0 {
        ctx.out.verbatim("txt", MONITOR_OFF.as_bytes());
        return Ok(());
    }
    let text = doctor_text(&ctx.srv.latency.events);
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

/// Writes one command's histogram entry (name, then its calls and buckets).
fn write_histogram(out: &mut ReplyBuf, name: &str, h: &Histogram) {
    out.bulk(name.as_bytes());
    out.map(2);
    out.bulk(b"calls");
    out.int(h.total as i64);
    out.bulk(b"histogram_usec");
    let buckets = h.log_buckets();
    out.map(buckets.len());
    for (bound, cum) in buckets {
        out.int(bound as i64);
        out.int(cum as i64);
    }
}

fn latency_histogram(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let reg = Registry::get();
    // Registry indexes to report, in request order (repeats included).
    let mut picked: Vec<usize> = Vec::new();
    if args.len() == 2 {
        picked.extend(0..reg.all.len());
    } else {
        for name in args.iter_from(2) {
            let Some(idx) = find_by_full_name(reg, name) else {
                continue;
            };
            picked.push(idx);
            if reg.all[idx].parent.is_none() {
                let mut subs: Vec<usize> = reg.all[idx].subs.values().copied().collect();
                subs.sort_unstable();
                picked.extend(subs);
            }
        }
    }
    let srv = &*ctx.srv;
    let live = |idx: usize| -> Option<&Histogram> {
        let calls = srv.cmd_stats.get(idx).map_or(0, |s| s.calls);
        let h = srv.cmd_latency.get(idx)?.as_deref()?;
        (calls > 0 && h.total > 0).then_some(h)
    };
    let n = picked.iter().filter(|&&i| live(i).is_some()).count();
    let out = &mut *ctx.out;
    out.map(n);
    for &idx in &picked {
        if let Some(h) = live(idx) {
            write_histogram(out, &reg.all[idx].full_name, h);
        }
    }
    Ok(())
}

/// INFO `latencystats`: `latency_percentiles_usec_<cmd>:p50=..,p99=..,p99.9=..`
/// for every command called since start (or CONFIG RESETSTAT).
pub fn info_section(ctx: &Ctx, s: &mut String) {
    s.push_str("# Latencystats\r\n");
    if !ctx.srv.config.latency_tracking {
        return;
    }
    let percentiles = ctx.srv.config.latency_percentiles();
    let reg = Registry::get();
    for (idx, entry) in reg.all.iter().enumerate() {
        if ctx.srv.cmd_stats.get(idx).map_or(0, |st| st.calls) == 0 {
            continue;
        }
        let Some(Some(h)) = ctx.srv.cmd_latency.get(idx) else {
            continue;
        };
        if h.total == 0 {
            continue;
        }
        let _ = write!(s, "latency_percentiles_usec_{}:", entry.full_name);
        for (i, p) in percentiles.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let _ = write!(s, "p{}={:.3}", p, h.percentile_usec(*p));
        }
        s.push_str("\r\n");
    }
}

fn latency_help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    reply_help(
        ctx.out,
        "LATENCY",
        &[
            "DOCTOR",
            "    Returns a report on the latency spikes seen, with advice.",
            "GRAPH <event>",
            "    Returns an ASCII chart of the samples of <event>.",
            "HISTORY <event>",
            "    Returns the (unix time, latency in ms) samples of <event>.",
            "LATEST",
            "    Returns the newest sample and the highest latency of every event.",
            "RESET [<event> ...]",
            "    Drops the samples of the given events",
            "    (of every event when none is given).",
            "HISTOGRAM [COMMAND ...]",
            "    Returns, per command, its call count and a cumulative latency histogram.",
            "    Every command called so far is listed when none is given.",
        ],
    );
    Ok(())
}

/// Flags of the administrative LATENCY subcommands.
const LATENCY_ADMIN: Flags = Flags::ADMIN
    .or(Flags::NOSCRIPT)
    .or(Flags::LOADING)
    .or(Flags::STALE);

const SPECIAL_TIPS: &[&str] = &[
    "nondeterministic_output",
    "request_policy:all_nodes",
    "response_policy:special",
];

const EVENT_ARG: &[Arg] = &[Arg {
    name: "event",
    ..ARG
}];

const LATENCY_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "doctor",
        arity: 2,
        flags: LATENCY_ADMIN,
        group: Group::Server,
        since: "2.8.13",
        summary: "Returns a readable report on the latency events seen.",
        tips: SPECIAL_TIPS,
        handler: latency_doctor,
        ..BASE
    },
    CommandSpec {
        name: "graph",
        arity: 3,
        flags: LATENCY_ADMIN,
        group: Group::Server,
        since: "2.8.13",
        summary: "Returns an ASCII chart of an event's latency samples.",
        tips: SPECIAL_TIPS,
        arguments: EVENT_ARG,
        handler: latency_graph,
        ..BASE
    },
    CommandSpec {
        name: "reset",
        arity: -2,
        flags: LATENCY_ADMIN,
        group: Group::Server,
        since: "2.8.13",
        summary: "Drops the samples of some or all latency events.",
        tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
        arguments: &[Arg {
            name: "event",
            flags: ArgFlags::OPTIONAL.or(ArgFlags::MULTIPLE),
            ..ARG
        }],
        handler: latency_reset,
        ..BASE
    },
    CommandSpec {
        name: "help",
        arity: 2,
        flags: Flags::LOADING.or(Flags::STALE),
        group: Group::Server,
        since: "2.8.13",
        summary: "Describes the LATENCY subcommands.",
        handler: latency_help,
        ..BASE
    },
    CommandSpec {
        name: "histogram",
        arity: -2,
        flags: LATENCY_ADMIN,
        group: Group::Server,
        since: "7.0.0",
        summary: "Returns the cumulative latency distribution of some or all commands.",
        complexity:
            "O(N) where N is the number of commands with latency information being retrieved.",
        tips: SPECIAL_TIPS,
        arguments: &[Arg {
            name: "command",
            flags: ArgFlags::OPTIONAL.or(ArgFlags::MULTIPLE),
            ..ARG
        }],
        handler: latency_histogram,
        ..BASE
    },
    CommandSpec {
        name: "history",
        arity: 3,
        flags: LATENCY_ADMIN,
        group: Group::Server,
        since: "2.8.13",
        summary: "Returns the (time, latency) samples of an event.",
        tips: SPECIAL_TIPS,
        arguments: EVENT_ARG,
        handler: latency_history,
        ..BASE
    },
    CommandSpec {
        name: "latest",
        arity: 2,
        flags: LATENCY_ADMIN,
        group: Group::Server,
        since: "2.8.13",
        summary: "Returns the newest sample of every latency event.",
        tips: SPECIAL_TIPS,
        handler: latency_latest,
        ..BASE
    },
];

pub const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "latency",
    arity: -2,
    flags: Flags::NONE,
    acl: Acl::NONE,
    group: Group::Server,
    since: "2.8.13",
    summary: "A container for the latency diagnostics commands.",
    complexity: "Depends on subcommand.",
    subcommands: LATENCY_SUBCOMMANDS,
    ..BASE
}];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::latency::LatencyMonitor;

    #[test]
    fn graph_as_redis() {
        let mut m = LatencyMonitor::default();
        for (t, ms) in [(312, 5), (313, 20), (315, 2), (316, 50), (317, 12)] {
            m.add("command", ms, t);
        }
        let g = graph_text("command", m.get(b"command").unwrap(), 318);
        let want = format!(
            "command - high 50 ms, low 2 ms (all time high 50 ms)\n{}\n   # \n   | \n o | \n_|_|#\n     \n65321\nsssss\n",
            "-".repeat(80)
        );
        assert_eq!(g, want);
    }

    #[test]
    fn age_labels() {
        assert_eq!(age_label(5), "5s");
        assert_eq!(age_label(125), "2m");
        assert_eq!(age_label(7200), "2h");
        assert_eq!(age_label(200000), "2d");
    }
}
