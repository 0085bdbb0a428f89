//! Server commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME, LASTSAVE, INFO,
//! CONFIG (GET, SET, RESETSTAT, HELP), DEBUG and SHUTDOWN.
//!
//! INFO writes Redis 7.0's sections, fields and field order, so tools that
//! parse it (redis-cli --stat, exporters, client libraries) find what they
//! look for. Fields for features this server does not have (persistence
//! children, replication, Lua) are present with the values an idle Redis
//! without them shows.
//!
//! Memory figures: `used_memory` is what the allocator reports as in use
//! (glibc's `mallinfo2`: bytes in allocated chunks plus mmapped blocks), the
//! same quantity Redis reads from its allocator. Where no allocator statistics
//! exist it is an estimate: the databases' `heap_bytes`, the clients' buffers
//! and a fixed base (`BASE_OVERHEAD`). `used_memory_rss` is the resident set
//! read from /proc/self/statm.
//!
//! SHUTDOWN: there is no persistence yet, so nothing is ever saved. An
//! explicit SAVE is refused with the error Redis gives when its final save
//! fails (`ERR Errors trying to SHUTDOWN. Check logs.`) and the server keeps
//! running; SAVE FORCE, NOSAVE and a plain SHUTDOWN stop at once (a plain
//! SHUTDOWN with save points configured logs that nothing was saved).
//!
//! CONFIG works on the parameter table of `config.rs`; CONFIG SET is atomic:
//! every value is applied to a copy of the configuration, which replaces the
//! live one only if all succeeded. The event loop reads `srv.config` on every
//! turn, so new values (hz, maxclients, timeout, buffer limits) take effect
//! at once.

use std::fmt::Write as _;

use super::table::{
    Acl, Arg, ArgFlags, ArgType, Args, CommandSpec, DocFlags, Flags, Group, ARG, BASE,
};
use super::{Ctx, Registry};
use crate::config::{find_param, Config, PARAMS};
use crate::error::{err, CmdError, CmdResult, DB_INDEX_RANGE, SYNTAX};
use crate::keyspace::db::{idle_secs, lru_clock};
use crate::keyspace::value::Value;
use crate::persistence::rdb::{self, snapshot::Purpose};
use crate::protocol::reply::ReplyBuf;
use crate::server::{unix_ms, unix_us, CmdStat, ServerState, Stats};
use crate::util::numbers::parse_i64;
use crate::util::sha1;

/// Writes a HELP reply in Redis's shape: a title line, the given lines
/// (subcommand, then indented description), then HELP itself.
pub fn reply_help(out: &mut ReplyBuf, command: &str, lines: &[&str]) {
    out.array(lines.len() + 3);
    out.status(&format!(
        "{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for l in lines {
        out.status(l);
    }
    out.status("HELP");
    out.status("    Prints this help.");
}

// ---------------------------------------------------------------------------
// Keyspace-wide commands
// ---------------------------------------------------------------------------

fn dbsize(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let n = ctx.db().len();
    ctx.out.int(n as i64);
    Ok(())
}

/// FLUSHDB / FLUSHALL take one optional ASYNC or SYNC. Both free inline.
fn flush_option(args: &Args) -> CmdResult {
    match args.len() {
        1 => Ok(()),
        2 if args.is(1, "async") || args.is(1, "sync") => Ok(()),
        _ => err(SYNTAX),
    }
}

/// Invalidates the WATCHes of keys that exist in databases about to be
/// emptied (FLUSHDB, FLUSHALL), as Redis, and every client-side cache.
fn invalidate_watched_in(ctx: &mut Ctx, dbs: std::ops::Range<usize>) {
    // Client-side caches are flushed whole (a null invalidation).
    let touched = &mut ctx.srv.pubsub.touched;
    ctx.srv
        .tracking
        .invalidate_all(ctx.clients, (ctx.cid, &mut *ctx.out), touched);
    if ctx.srv.watching == 0 {
        return;
    }
    let now = ctx.now;
    for i in dbs {
        super::transactions::invalidate_emptied(&mut ctx.srv.dbs, i, None, ctx.clients, now);
    }
}

fn flushdb(ctx: &mut Ctx, args: &Args) -> CmdResult {
    flush_option(args)?;
    invalidate_watched_in(ctx, ctx.db..ctx.db + 1);
    let removed = ctx.db().clear();
    ctx.dirty += removed as u64;
    // Propagated even when there was nothing to remove, as Redis.
    ctx.propagate_as(&args.iter_from(0).collect::<Vec<_>>());
    ctx.out.ok();
    Ok(())
}

fn flushall(ctx: &mut Ctx, args: &Args) -> CmdResult {
    flush_option(args)?;
    invalidate_watched_in(ctx, 0..ctx.srv.dbs.len());
    // As Redis: a BGSAVE in progress is stopped (its image is of data that
    // no longer exists), and with save points the empty dataset is saved at
    // once, which leaves the change counter at zero.
    if ctx.srv.snapshot.as_ref().map(|r| r.purpose) == Some(Purpose::Bgsave) {
        rdb::snapshot::abort(ctx.srv);
    }
    let removed: usize = ctx.srv.dbs.iter_mut().map(|db| db.clear()).sum();
    ctx.dirty += removed as u64;
    // Propagated even when there was nothing to remove, as Redis.
    ctx.propagate_as(&args.iter_from(0).collect::<Vec<_>>());
    if rdb::save::has_save_points(ctx.srv) && rdb::save::save(ctx.srv).is_ok() {
        ctx.srv.rdb.reset_dirty = true;
    }
    ctx.out.ok();
    Ok(())
}

fn swapdb(ctx: &mut Ctx, args: &Args) -> CmdResult {
    // Indexes must fit a C int (as Redis parses them), else they are invalid
    // rather than out of range.
    let index = |i: usize| parse_i64(args.get(i)).filter(|n| i32::try_from(*n).is_ok());
    let a = index(1).ok_or(CmdError::from("ERR invalid first DB index"))?;
    let b = index(2).ok_or(CmdError::from("ERR invalid second DB index"))?;
    let n = ctx.srv.dbs.len() as i64;
    if !(0..n).contains(&a) || !(0..n).contains(&b) {
        return err(DB_INDEX_RANGE);
    }
    let (a, b) = (a as usize, b as usize);
    if a != b {
        if ctx.srv.watching > 0 {
            // Watched keys that exist on either side see their value change.
            let now = ctx.now;
            let dbs = &mut ctx.srv.dbs;
            super::transactions::invalidate_emptied(dbs, a, Some(b), ctx.clients, now);
            super::transactions::invalidate_emptied(dbs, b, Some(a), ctx.clients, now);
        }
        let (lo, hi) = (a.min(b), a.max(b));
        let (left, right) = ctx.srv.dbs.split_at_mut(hi);
        left[lo].swap_data(&mut right[0]);
        // Clients waiting on keys of either database may now find them.
        let now = ctx.now;
        left[lo].mark_existing_waited_keys(now);
        right[0].mark_existing_waited_keys(now);
    }
    ctx.dirty += 1;
    ctx.out.ok();
    Ok(())
}

fn time(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let us = unix_us();
    ctx.out.array(2);
    ctx.out
        .bulk(us.div_euclid(1_000_000).to_string().as_bytes());
    ctx.out
        .bulk(us.rem_euclid(1_000_000).to_string().as_bytes());
    Ok(())
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty, load back.
fn debug_reload(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (mut nosave, mut noflush, mut merge) = (false, false, false);
    for i in 2..args.len() {
        if args.is(i, "nosave") {
            nosave = true;
        } else if args.is(i, "noflush") {
            noflush = true;
        } else if args.is(i, "merge") {
            merge = true;
        } else {
            return err("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
        }
    }
    match rdb::save::debug_reload(ctx.srv, nosave, noflush, merge) {
        Ok(()) => {
            log::info!("DB reloaded by DEBUG RELOAD");
            ctx.out.ok();
            Ok(())
        }
        Err(e) => Err(CmdError::from(format!("ERR {e}"))),
    }
}

/// SAVE: the dump file written now, on the loop (`persistence::rdb::save`).
fn save(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    match rdb::save::save(ctx.srv) {
        Ok(()) => {
            ctx.out.ok();
            Ok(())
        }
        Err(e) if e.contains("in progress") => Err(CmdError::from(format!("ERR {e}"))),
        Err(_) => err("ERR"),
    }
}

/// BGSAVE [SCHEDULE]: a point-in-time snapshot written in the background.
fn bgsave(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let schedule = match args.len() {
        1 => false,
        2 if args.is(1, "schedule") => true,
        _ => return err(SYNTAX),
    };
    match ctx.srv.snapshot.as_ref().map(|r| r.purpose) {
        Some(Purpose::Bgsave) => return err("ERR Background save already in progress"),
        Some(Purpose::AofRewrite) if schedule => {
            ctx.srv.rdb.bgsave_scheduled = true;
            ctx.out.status("Background saving scheduled");
            return Ok(());
        }
        Some(Purpose::AofRewrite) => {
            return err("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
        }
        None => {}
    }
    match rdb::save::bgsave(ctx.srv) {
        Ok(()) => {
            ctx.out.status("Background saving started");
            Ok(())
        }
        Err(e) => Err(CmdError::from(format!("ERR {e}"))),
    }
}

fn lastsave(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.out.int(ctx.srv.last_save_unix);
    Ok(())
}

// ---------------------------------------------------------------------------
// SHUTDOWN
// ---------------------------------------------------------------------------

fn shutdown(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (mut save, mut nosave, mut abort, mut other) = (false, false, false, false);
    let mut force = false;
    for i in 1..args.len() {
        if args.is(i, "nosave") {
            nosave = true;
        } else if args.is(i, "save") {
            save = true;
        } else if args.is(i, "now") {
            other = true;
        } else if args.is(i, "force") {
            other = true;
            force = true;
        } else if args.is(i, "abort") {
            abort = true;
        } else {
            return err(SYNTAX);
        }
    }
    if (save && nosave) || (abort && (save || nosave || other)) {
        return err(SYNTAX);
    }
    if abort {
        // A shutdown here is never left pending: it happens at once.
        return err("ERR No shutdown in progress.");
    }
    log::warn!("User requested shutdown...");
    // The final save: asked for, or implied by save points (NOSAVE skips
    // it). A failed save cancels the shutdown unless FORCE.
    if save || (!nosave && rdb::save::has_save_points(ctx.srv)) {
        if let Err(e) = rdb::save::shutdown_save(ctx.srv) {
            log::warn!("Error trying to save the DB, can't exit: {e}");
            if !force {
                log::warn!(
                    "Errors trying to shut down the server. Check the logs for more information."
                );
                return err("ERR Errors trying to SHUTDOWN. Check logs.");
            }
        }
    } else if ctx.srv.snapshot.is_some() {
        rdb::snapshot::abort(ctx.srv);
    }
    ctx.srv.shutdown = true;
    Ok(())
}

// ---------------------------------------------------------------------------
// INFO
// ---------------------------------------------------------------------------

/// INFO sections in output order, and whether `default` includes them.
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("latencystats", false),
    ("cluster", true),
    ("keyspace", true),
];

/// The set of sections an INFO call asks for (bit i = SECTIONS[i]).
fn info_selection(args: &Args) -> u32 {
    let default: u32 = SECTIONS
        .iter()
        .enumerate()
        .filter(|(_, s)| s.1)
        .fold(0, |m, (i, _)| m | 1 << i);
    let all: u32 = (1 << SECTIONS.len()) - 1;
    if args.len() < 2 {
        return default;
    }
    let mut mask = 0;
    for a in args.iter_from(1) {
        let a = a.to_ascii_lowercase();
        match &a[..] {
            b"default" => mask |= default,
            b"all" | b"everything" => mask |= all,
            name => {
                if let Some(i) = SECTIONS.iter().position(|s| s.0.as_bytes() == name) {
                    mask |= 1 << i;
                }
            }
        }
    }
    mask
}

fn info(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mask = info_selection(args);
    let text = info_text(ctx, mask);
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

/// Builds the INFO text for the selected sections.
pub fn info_text(ctx: &mut Ctx, mask: u32) -> String {
    let mem = MemoryReport::collect(ctx);
    ctx.srv.stats.mem_peak = ctx.srv.stats.mem_peak.max(mem.used);
    let mut s = String::with_capacity(4096);
    for (i, (name, _)) in SECTIONS.iter().enumerate() {
        if mask & (1 << i) == 0 {
            continue;
        }
        if !s.is_empty() {
            s.push_str("\r\n");
        }
        match *name {
            "server" => section_server(ctx, &mut s),
            "clients" => section_clients(ctx, &mut s),
            "memory" => section_memory(ctx, &mem, &mut s),
            "persistence" => section_persistence(ctx, &mut s),
            "stats" => section_stats(ctx, &mut s),
            "replication" => section_replication(ctx, &mut s),
            "cpu" => section_cpu(&mut s),
            "modules" => s.push_str("# Modules\r\n"),
            "commandstats" => section_commandstats(ctx, &mut s),
            "errorstats" => section_errorstats(ctx, &mut s),
            "latencystats" => super::latency::info_section(ctx, &mut s),
            "cluster" => s.push_str("# Cluster\r\ncluster_enabled:0\r\n"),
            _ => section_keyspace(ctx, &mut s),
        }
    }
    s
}

/// Appends `name:value\r\n`.
macro_rules! field {
    ($s:expr, $name:expr, $($v:tt)*) => {{
        let _ = write!($s, "{}:", $name);
        let _ = write!($s, $($v)*);
        $s.push_str("\r\n");
    }};
}

/// The kernel name, release and machine, as `uname -srm`.
fn os_name() -> String {
    // SAFETY: uname fills the zeroed struct; on failure it is left zeroed.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return std::env::consts::OS.to_string();
    }
    let field = |f: &[libc::c_char]| -> String {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    format!(
        "{} {} {}",
        field(&u.sysname),
        field(&u.release),
        field(&u.machine)
    )
}

fn section_server(ctx: &mut Ctx, s: &mut String) {
    let srv = &ctx.srv;
    let now_ms = unix_ms();
    let uptime = srv.started.elapsed().as_secs();
    let build_id = sha1::hex(&sha1::sha1(
        concat!("ferrodis-", env!("CARGO_PKG_VERSION")).as_bytes(),
    ));
    s.push_str("# Server\r\n");
    field!(s, "redis_version", "{}", crate::REDIS_VERSION);
    field!(s, "redis_git_sha1", "00000000");
    field!(s, "redis_git_dirty", "0");
    field!(s, "redis_build_id", "{}", &build_id[..16]);
    field!(s, "redis_mode", "standalone");
    field!(s, "os", "{}", os_name());
    field!(s, "arch_bits", "{}", usize::BITS);
    field!(s, "monotonic_clock", "POSIX clock_gettime");
    let mux = if cfg!(any(target_os = "linux", target_os = "android")) {
        "epoll"
    } else {
        "kqueue"
    };
    field!(s, "multiplexing_api", "{mux}");
    field!(s, "atomicvar_api", "c11-builtin");
    // Not built by GCC: Redis prints 0.0.0 in that case.
    field!(s, "gcc_version", "0.0.0");
    field!(s, "process_id", "{}", std::process::id());
    field!(s, "process_supervised", "no");
    field!(s, "run_id", "{}", srv.run_id);
    field!(s, "tcp_port", "{}", srv.port);
    field!(s, "server_time_usec", "{}", unix_us());
    field!(s, "uptime_in_seconds", "{uptime}");
    field!(s, "uptime_in_days", "{}", uptime / 86400);
    field!(s, "hz", "{}", srv.config.hz);
    field!(s, "configured_hz", "{}", srv.config.hz);
    field!(s, "lru_clock", "{}", lru_clock(now_ms));
    field!(s, "executable", "{}", srv.executable);
    field!(
        s,
        "config_file",
        "{}",
        srv.config_file.as_deref().unwrap_or("")
    );
    field!(s, "io_threads_active", "0");
}

fn section_clients(ctx: &mut Ctx, s: &mut String) {
    let mut max_in = 0;
    let mut max_out = 0;
    let mut blocked = 0;
    for (_, c) in ctx.clients.iter() {
        max_in = max_in.max(c.qbuf.len());
        max_out = max_out.max(c.pending_output());
        blocked += usize::from(c.is_blocked());
    }
    s.push_str("# Clients\r\n");
    field!(s, "connected_clients", "{}", ctx.clients.len());
    field!(s, "cluster_connections", "0");
    field!(s, "maxclients", "{}", ctx.srv.config.maxclients);
    field!(s, "client_recent_max_input_buffer", "{max_in}");
    field!(s, "client_recent_max_output_buffer", "{max_out}");
    field!(s, "blocked_clients", "{blocked}");
    field!(s, "tracking_clients", "{}", ctx.srv.tracking.clients);
    field!(
        s,
        "clients_in_timeout_table",
        "{}",
        ctx.srv.blocking.timeouts_len()
    );
}

/// Redis's human-readable byte counts: `894.79K`, `1.00M`, `12B`.
pub fn bytes_to_human(n: u64) -> String {
    const UNITS: [(f64, &str); 6] = [
        (1024.0, "K"),
        (1024.0 * 1024.0, "M"),
        (1024.0 * 1024.0 * 1024.0, "G"),
        (1024.0 * 1024.0 * 1024.0 * 1024.0, "T"),
        (1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0, "P"),
        (1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0, "E"),
    ];
    let d = n as f64;
    if d < 1024.0 {
        return format!("{n}B");
    }
    for (i, (unit, name)) in UNITS.iter().enumerate() {
        if i + 1 == UNITS.len() || d < unit * 1024.0 {
            return format!("{:.2}{}", d / unit, name);
        }
    }
    format!("{n}B")
}

/// Allocator statistics, where the allocator provides them.
pub struct AllocStats {
    /// Bytes in allocated chunks (used_memory).
    pub allocated: u64,
    /// Bytes the allocator holds from the system (allocator_active).
    pub active: u64,
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn allocator_stats() -> Option<AllocStats> {
    // SAFETY: mallinfo2 only reads the allocator's counters.
    let mi = unsafe { libc::mallinfo2() };
    Some(AllocStats {
        allocated: (mi.uordblks + mi.hblkhd) as u64,
        active: (mi.arena + mi.hblkhd) as u64,
    })
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn allocator_stats() -> Option<AllocStats> {
    None
}

/// The fixed part of the estimate used when the allocator gives no figures.
const BASE_OVERHEAD: u64 = 1 << 20;

/// used_memory at start (ServerState::new).
pub fn startup_memory() -> u64 {
    allocator_stats().map_or(BASE_OVERHEAD, |a| a.allocated)
}

/// Resident set size in bytes (Linux), else 0.
fn rss_bytes() -> u64 {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * page_size()
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as u64
    } else {
        4096
    }
}

fn total_system_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    if pages > 0 {
        pages as u64 * page_size()
    } else {
        0
    }
}

/// The memory figures of INFO memory (and MEMORY STATS), gathered once per call.
pub struct MemoryReport {
    pub used: u64,
    pub rss: u64,
    pub active: u64,
    pub clients: u64,
    pub overhead: u64,
}

impl MemoryReport {
    pub fn collect(ctx: &Ctx) -> MemoryReport {
        let clients: u64 = ctx
            .clients
            .iter()
            .map(|(_, c)| (c.qbuf.capacity() + c.out.buf.capacity()) as u64)
            .sum::<u64>()
            + ctx.out.buf.capacity() as u64;
        let tables: u64 = ctx.srv.dbs.iter().map(|d| d.heap_bytes() as u64).sum();
        let (used, active) = match allocator_stats() {
            Some(a) => (a.allocated, a.active),
            None => {
                let est = BASE_OVERHEAD + tables + clients;
                (est, est)
            }
        };
        let overhead = (ctx.srv.mem_startup + clients + tables).min(used);
        MemoryReport {
            used,
            rss: rss_bytes(),
            active,
            clients,
            overhead,
        }
    }
}

pub fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn section_memory(ctx: &mut Ctx, m: &MemoryReport, s: &mut String) {
    let peak = ctx.srv.stats.mem_peak.max(m.used);
    let startup = ctx.srv.mem_startup.min(m.used);
    let dataset = m.used - m.overhead;
    let net = m.used - startup;
    let resident = m.rss.max(m.active);
    let total = total_system_memory();
    let maxmemory = ctx.srv.config.maxmemory;
    s.push_str("# Memory\r\n");
    field!(s, "used_memory", "{}", m.used);
    field!(s, "used_memory_human", "{}", bytes_to_human(m.used));
    field!(s, "used_memory_rss", "{}", m.rss);
    field!(s, "used_memory_rss_human", "{}", bytes_to_human(m.rss));
    field!(s, "used_memory_peak", "{peak}");
    field!(s, "used_memory_peak_human", "{}", bytes_to_human(peak));
    field!(
        s,
        "used_memory_peak_perc",
        "{:.2}%",
        ratio(m.used, peak) * 100.0
    );
    field!(s, "used_memory_overhead", "{}", m.overhead);
    field!(s, "used_memory_startup", "{startup}");
    field!(s, "used_memory_dataset", "{dataset}");
    field!(
        s,
        "used_memory_dataset_perc",
        "{:.2}%",
        ratio(dataset, net) * 100.0
    );
    field!(s, "allocator_allocated", "{}", m.used);
    field!(s, "allocator_active", "{}", m.active);
    field!(s, "allocator_resident", "{resident}");
    field!(s, "total_system_memory", "{total}");
    field!(s, "total_system_memory_human", "{}", bytes_to_human(total));
    // No scripting engine: the script and function figures are zero.
    field!(s, "used_memory_lua", "0");
    field!(s, "used_memory_vm_eval", "0");
    field!(s, "used_memory_lua_human", "0B");
    field!(s, "used_memory_scripts_eval", "0");
    field!(s, "number_of_cached_scripts", "0");
    field!(s, "number_of_functions", "0");
    field!(s, "number_of_libraries", "0");
    field!(s, "used_memory_vm_functions", "0");
    field!(s, "used_memory_vm_total", "0");
    field!(s, "used_memory_vm_total_human", "0B");
    field!(s, "used_memory_functions", "0");
    field!(s, "used_memory_scripts", "0");
    field!(s, "used_memory_scripts_human", "0B");
    field!(s, "maxmemory", "{maxmemory}");
    field!(s, "maxmemory_human", "{}", bytes_to_human(maxmemory));
    field!(s, "maxmemory_policy", "{}", ctx.srv.config.maxmemory_policy);
    field!(s, "allocator_frag_ratio", "{:.2}", ratio(m.active, m.used));
    field!(
        s,
        "allocator_frag_bytes",
        "{}",
        m.active.saturating_sub(m.used)
    );
    field!(s, "allocator_rss_ratio", "{:.2}", ratio(resident, m.active));
    field!(
        s,
        "allocator_rss_bytes",
        "{}",
        resident.saturating_sub(m.active)
    );
    field!(s, "rss_overhead_ratio", "{:.2}", ratio(m.rss, resident));
    field!(
        s,
        "rss_overhead_bytes",
        "{}",
        m.rss as i64 - resident as i64
    );
    field!(s, "mem_fragmentation_ratio", "{:.2}", ratio(m.rss, m.used));
    field!(
        s,
        "mem_fragmentation_bytes",
        "{}",
        m.rss as i64 - m.used as i64
    );
    field!(s, "mem_not_counted_for_evict", "0");
    field!(s, "mem_replication_backlog", "0");
    field!(s, "mem_total_replication_buffers", "0");
    field!(s, "mem_clients_slaves", "0");
    field!(s, "mem_clients_normal", "{}", m.clients);
    field!(s, "mem_cluster_links", "0");
    field!(s, "mem_aof_buffer", "0");
    let allocator = if allocator_stats().is_some() {
        "libc"
    } else {
        "libc (estimated)"
    };
    field!(s, "mem_allocator", "{allocator}");
    field!(s, "active_defrag_running", "0");
    field!(s, "lazyfree_pending_objects", "0");
    field!(s, "lazyfreed_objects", "0");
}

/// The load in progress at start: (started, unix start, bytes loaded, total).
fn loading_progress(srv: &ServerState) -> Option<(std::time::Instant, i64, u64, u64)> {
    if let (Some(l), Some((t, start))) = (srv.rdb.loading.as_ref(), srv.rdb.loading_started) {
        return Some((t, start, l.loaded_bytes() as u64, l.total_bytes() as u64));
    }
    let a = srv.aof.loading.as_ref()?;
    Some((
        a.started,
        a.started_unix,
        a.load.loaded_bytes(),
        a.load.total_bytes(),
    ))
}

fn section_persistence(ctx: &mut Ctx, s: &mut String) {
    let srv = &ctx.srv;
    s.push_str("# Persistence\r\n");
    let loading = srv.is_loading();
    field!(s, "loading", "{}", u8::from(loading));
    for f in [
        "async_loading",
        "current_cow_peak",
        "current_cow_size",
        "current_cow_size_age",
    ] {
        field!(s, f, "0");
    }
    field!(s, "current_fork_perc", "0.00");
    let bgsave = srv
        .snapshot
        .as_ref()
        .filter(|r| r.purpose == Purpose::Bgsave);
    let keys_total: usize = srv.dbs.iter().map(|db| db.len()).sum();
    field!(
        s,
        "current_save_keys_processed",
        "{}",
        srv.snapshot
            .as_ref()
            .map_or(0, |r| r.records_so_far(&srv.dbs))
    );
    field!(
        s,
        "current_save_keys_total",
        "{}",
        if srv.snapshot.is_some() {
            keys_total
        } else {
            0
        }
    );
    field!(s, "rdb_changes_since_last_save", "{}", srv.dirty);
    field!(
        s,
        "rdb_bgsave_in_progress",
        "{}",
        u8::from(bgsave.is_some())
    );
    field!(s, "rdb_last_save_time", "{}", srv.last_save_unix);
    let status = if srv.rdb.last_bgsave_failed {
        "err"
    } else {
        "ok"
    };
    field!(s, "rdb_last_bgsave_status", "{status}");
    field!(
        s,
        "rdb_last_bgsave_time_sec",
        "{}",
        srv.rdb.last_bgsave_secs.unwrap_or(-1)
    );
    field!(
        s,
        "rdb_current_bgsave_time_sec",
        "{}",
        bgsave.map_or(-1, |r| r.started.elapsed().as_secs() as i64)
    );
    field!(s, "rdb_saves", "{}", srv.rdb.saves);
    field!(s, "rdb_last_cow_size", "0");
    field!(
        s,
        "rdb_last_load_keys_expired",
        "{}",
        srv.rdb.last_load.keys_expired
    );
    field!(
        s,
        "rdb_last_load_keys_loaded",
        "{}",
        srv.rdb.last_load.keys_loaded
    );
    if let Some((t, start, done, total)) = loading_progress(srv) {
        let total = total.max(1);
        let perc = done as f64 * 100.0 / total as f64;
        let elapsed = t.elapsed().as_secs_f64();
        let eta = if done > 0 {
            (elapsed * (total - done.min(total)) as f64 / done as f64) as i64
        } else {
            1
        };
        field!(s, "loading_start_time", "{start}");
        field!(s, "loading_total_bytes", "{total}");
        field!(s, "loading_rdb_used_mem", "0");
        field!(s, "loading_loaded_bytes", "{done}");
        field!(s, "loading_loaded_perc", "{perc:.2}");
        field!(s, "loading_eta_seconds", "{eta}");
    }
    crate::persistence::aof::info_fields(srv, s);
    field!(s, "module_fork_in_progress", "0");
    field!(s, "module_fork_last_cow_size", "0");
    crate::persistence::aof::info_tail(srv, s);
}

/// Mean of the ops/sec samples (INFO instantaneous_ops_per_sec).
fn instantaneous_ops(st: &Stats) -> u64 {
    st.ops_samples.iter().sum::<u64>() / st.ops_samples.len() as u64
}

fn section_stats(ctx: &mut Ctx, s: &mut String) {
    let srv = &ctx.srv;
    let st = &srv.stats;
    let hits: u64 = srv.dbs.iter().map(|d| d.hits).sum();
    let misses: u64 = srv.dbs.iter().map(|d| d.misses).sum();
    s.push_str("# Stats\r\n");
    field!(
        s,
        "total_connections_received",
        "{}",
        st.connections_received
    );
    field!(s, "total_commands_processed", "{}", st.commands_processed);
    field!(s, "instantaneous_ops_per_sec", "{}", instantaneous_ops(st));
    field!(s, "total_net_input_bytes", "{}", st.net_input_bytes);
    field!(s, "total_net_output_bytes", "{}", st.net_output_bytes);
    field!(s, "total_net_repl_input_bytes", "0");
    field!(s, "total_net_repl_output_bytes", "0");
    // Network throughput is not sampled.
    for f in [
        "instantaneous_input_kbps",
        "instantaneous_output_kbps",
        "instantaneous_input_repl_kbps",
        "instantaneous_output_repl_kbps",
    ] {
        field!(s, f, "0.00");
    }
    field!(s, "rejected_connections", "{}", st.rejected_connections);
    field!(s, "sync_full", "0");
    field!(s, "sync_partial_ok", "0");
    field!(s, "sync_partial_err", "0");
    field!(s, "expired_keys", "{}", srv.expired_keys());
    field!(s, "expired_stale_perc", "{:.2}", st.expired_stale_perc);
    field!(s, "expired_time_cap_reached_count", "0");
    field!(
        s,
        "expire_cycle_cpu_milliseconds",
        "{}",
        st.expire_cycle_time_used_us / 1000
    );
    field!(s, "evicted_keys", "0");
    field!(s, "evicted_clients", "0");
    field!(s, "total_eviction_exceeded_time", "0");
    field!(s, "current_eviction_exceeded_time", "0");
    field!(s, "keyspace_hits", "{hits}");
    field!(s, "keyspace_misses", "{misses}");
    let tr = &ctx.srv.tracking;
    let (tk, ti, tp) = (tr.total_keys(), tr.total_items(), tr.total_prefixes());
    let ps = &ctx.srv.pubsub;
    field!(s, "pubsub_channels", "{}", ps.channel_count());
    field!(s, "pubsub_patterns", "{}", ps.numpat());
    field!(s, "pubsubshard_channels", "{}", ps.shard_count());
    for f in [
        "latest_fork_usec",
        "total_forks",
        "migrate_cached_sockets",
        "slave_expires_tracked_keys",
        "active_defrag_hits",
        "active_defrag_misses",
        "active_defrag_key_hits",
        "active_defrag_key_misses",
        "total_active_defrag_time",
        "current_active_defrag_time",
    ] {
        field!(s, f, "0");
    }
    field!(s, "tracking_total_keys", "{tk}");
    field!(s, "tracking_total_items", "{ti}");
    field!(s, "tracking_total_prefixes", "{tp}");
    field!(
        s,
        "unexpected_error_replies",
        "{}",
        st.unexpected_error_replies
    );
    field!(s, "total_error_replies", "{}", st.total_error_replies);
    field!(s, "dump_payload_sanitizations", "0");
    // Reads and writes are not counted separately from commands.
    for f in [
        "total_reads_processed",
        "total_writes_processed",
        "io_threaded_reads_processed",
        "io_threaded_writes_processed",
        "reply_buffer_shrinks",
        "reply_buffer_expands",
    ] {
        field!(s, f, "0");
    }
}

fn section_replication(ctx: &mut Ctx, s: &mut String) {
    s.push_str("# Replication\r\n");
    field!(s, "role", "master");
    field!(s, "connected_slaves", "0");
    field!(s, "master_failover_state", "no-failover");
    field!(s, "master_replid", "{}", ctx.srv.replid);
    field!(s, "master_replid2", "{}", "0".repeat(40));
    field!(s, "master_repl_offset", "0");
    field!(s, "second_repl_offset", "-1");
    field!(s, "repl_backlog_active", "0");
    field!(s, "repl_backlog_size", "1048576");
    field!(s, "repl_backlog_first_byte_offset", "0");
    field!(s, "repl_backlog_histlen", "0");
}

/// (system, user) CPU seconds of a getrusage target.
fn cpu_times(who: libc::c_int) -> (f64, f64) {
    // SAFETY: getrusage fills the zeroed struct; on failure it stays zeroed.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(who, &mut ru) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(ru.ru_stime), secs(ru.ru_utime))
}

fn section_cpu(s: &mut String) {
    let (sys, user) = cpu_times(libc::RUSAGE_SELF);
    let (csys, cuser) = cpu_times(libc::RUSAGE_CHILDREN);
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let (tsys, tuser) = cpu_times(libc::RUSAGE_THREAD);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let (tsys, tuser) = (sys, user);
    s.push_str("# CPU\r\n");
    field!(s, "used_cpu_sys", "{sys:.6}");
    field!(s, "used_cpu_user", "{user:.6}");
    field!(s, "used_cpu_sys_children", "{csys:.6}");
    field!(s, "used_cpu_user_children", "{cuser:.6}");
    field!(s, "used_cpu_sys_main_thread", "{tsys:.6}");
    field!(s, "used_cpu_user_main_thread", "{tuser:.6}");
}

fn section_commandstats(ctx: &mut Ctx, s: &mut String) {
    s.push_str("# Commandstats\r\n");
    let reg = Registry::get();
    for (entry, st) in reg.all.iter().zip(ctx.srv.cmd_stats.iter()) {
        if st.calls == 0 && st.failed == 0 && st.rejected == 0 {
            continue;
        }
        let per_call = if st.calls == 0 {
            0.0
        } else {
            st.usec as f64 / st.calls as f64
        };
        let _ = write!(
            s,
            "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
            entry.full_name, st.calls, st.usec, per_call, st.rejected, st.failed
        );
    }
}

fn section_errorstats(ctx: &mut Ctx, s: &mut String) {
    s.push_str("# Errorstats\r\n");
    for (code, n) in &ctx.srv.stats.errors {
        let _ = write!(s, "errorstat_{code}:count={n}\r\n");
    }
}

fn section_keyspace(ctx: &mut Ctx, s: &mut String) {
    s.push_str("# Keyspace\r\n");
    for (i, db) in ctx.srv.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        let _ = write!(
            s,
            "db{i}:keys={},expires={},avg_ttl={}\r\n",
            db.len(),
            db.expires_len(),
            db.avg_ttl
        );
    }
}

// ---------------------------------------------------------------------------
// CONFIG
// ---------------------------------------------------------------------------

/// Whether a CONFIG GET argument is a pattern rather than a name.
fn is_pattern(p: &[u8]) -> bool {
    p.iter().any(|&c| matches!(c, b'*' | b'?' | b'['))
}

fn config_get(ctx: &mut Ctx, args: &Args) -> CmdResult {
    // (name as reported, value), without duplicates (names compare ignoring case).
    let mut found: Vec<(String, String)> = Vec::new();
    let cfg = &ctx.srv.config;
    let mut add = |name: &str, value: String| {
        if !found.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            found.push((name.to_string(), value));
        }
    };
    for pat in args.iter_from(2) {
        if !is_pattern(pat) {
            let name = String::from_utf8_lossy(pat);
            if let Some(p) = find_param(&name) {
                add(&name, (p.get)(cfg));
            }
            continue;
        }
        for p in PARAMS.iter() {
            for name in std::iter::once(p.name).chain(p.alias) {
                if crate::util::glob::glob_match(pat, name.as_bytes(), true) {
                    add(name, (p.get)(cfg));
                }
            }
        }
    }
    ctx.out.map(found.len());
    for (n, v) in &found {
        ctx.out.bulk(n.as_bytes());
        ctx.out.bulk(v.as_bytes());
    }
    Ok(())
}

/// Parameters CONFIG SET refuses unless enable-protected-configs allows it.
const PROTECTED_PARAMS: &[&str] = &["dir", "dbfilename"];

fn protected_allowed(ctx: &mut Ctx) -> bool {
    let setting = ctx
        .srv
        .config
        .value_of("enable-protected-configs")
        .unwrap_or_default();
    allowed_by(ctx, &setting)
}

fn set_failed(name: &str, why: &str) -> CmdError {
    CmdError::from(format!(
        "ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"
    ))
}

fn config_set(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if !(args.len() - 2).is_multiple_of(2) {
        return err(SYNTAX);
    }
    let mut pairs: Vec<(String, &'static crate::config::Param, String)> = Vec::new();
    let mut i = 2;
    while i + 1 < args.len() {
        let name = String::from_utf8_lossy(args.get(i)).into_owned();
        let value = String::from_utf8_lossy(args.get(i + 1)).into_owned();
        i += 2;
        let Some(p) = find_param(&name) else {
            return Err(CmdError::from(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
            )));
        };
        if !p.mutable {
            return Err(set_failed(&name, "can't set immutable config"));
        }
        if PROTECTED_PARAMS.contains(&p.name) && !protected_allowed(ctx) {
            return Err(set_failed(&name, "can't set protected config"));
        }
        if pairs.iter().any(|(n, _, _)| n.eq_ignore_ascii_case(&name)) {
            return Err(set_failed(&name, "duplicate parameter"));
        }
        pairs.push((name, p, value));
    }
    // Apply everything to a copy: the live configuration changes only if
    // every value is valid (CONFIG SET is all or nothing).
    let mut new: Config = ctx.srv.config.clone();
    for (name, p, value) in &pairs {
        (p.set)(&mut new, value).map_err(|e| set_failed(name, &e))?;
    }
    let old = &ctx.srv.config;
    for (name, p, _) in &pairs {
        if p.name == "port" && new.port != old.port {
            log::warn!("Changing the port at runtime is not supported; restart with --port");
            return Err(set_failed(
                name,
                "Unable to listen on this port. Check server logs.",
            ));
        }
        if p.name == "bind" && new.bind != old.bind {
            log::warn!("Changing bind at runtime is not supported; restart with --bind");
            return Err(set_failed(name, "Failed to bind to specified addresses."));
        }
    }
    let aof_was_on = ctx.srv.config.appendonly;
    ctx.srv.config = new;
    ctx.srv.apply_config();
    // Turning the AOF on starts a rewrite; if it cannot start, the setting
    // is refused (as Redis) and stays off.
    if ctx.srv.config.appendonly
        && !aof_was_on
        && ctx.srv.aof.state == crate::persistence::aof::State::Off
    {
        ctx.srv.config.appendonly = false;
        return Err(set_failed(
            "appendonly",
            "Unable to turn on AOF. Check server logs.",
        ));
    }
    ctx.out.ok();
    Ok(())
}

/// The marker line before the directives CONFIG REWRITE appends.
const REWRITE_MARKER: &str = "# Generated by CONFIG REWRITE";

/// A value as a config file word: bare when it is plain, else double-quoted
/// with escapes (the file reader splits lines the same way).
fn config_word(v: &str) -> String {
    let plain = !v.is_empty()
        && v.bytes()
            .all(|c| c.is_ascii_graphic() && c != b'"' && c != b'\'' && c != b'\\');
    if plain {
        return v.to_string();
    }
    let mut q = String::with_capacity(v.len() + 2);
    q.push('"');
    for c in v.bytes() {
        match c {
            b'"' => q.push_str("\\\""),
            b'\\' => q.push_str("\\\\"),
            b'\n' => q.push_str("\\n"),
            b'\r' => q.push_str("\\r"),
            b'\t' => q.push_str("\\t"),
            b' '..=b'~' => q.push(c as char),
            _ => {
                let _ = write!(q, "\\x{c:02x}");
            }
        }
    }
    q.push('"');
    q
}

/// The config file lines that set parameter `name` to `value`: `save` and
/// `client-output-buffer-limit` take one line per point or class, the
/// multi-word `bind` its words on one line, anything else one quoted word.
fn directive_lines(name: &str, value: &str) -> Vec<String> {
    let words: Vec<&str> = value.split_whitespace().collect();
    let chunked = match name {
        "save" => 2,
        "client-output-buffer-limit" => 4,
        "bind" => words.len().max(1),
        _ => 0,
    };
    if chunked == 0 || words.is_empty() {
        return vec![format!("{name} {}", config_word(value))];
    }
    words
        .chunks(chunked)
        .map(|c| format!("{name} {}", c.join(" ")))
        .collect()
}

/// The new text of a config file: directives of known parameters are
/// rewritten in place with their current values (later repetitions are
/// dropped), comments and unknown directives are kept, and parameters that
/// differ from their defaults but were not in the file are appended after a
/// marker line.
pub fn rewrite_config_text(old: &str, cfg: &Config) -> String {
    let defaults = Config::default();
    let mut done = vec![false; PARAMS.len()];
    let mut out = String::with_capacity(old.len() + 256);
    let mut marker = false;
    for line in old.lines() {
        let t = line.trim();
        // A marker from an earlier rewrite stays; new lines go after it.
        marker |= t == REWRITE_MARKER;
        let first = t.split_whitespace().next().unwrap_or("");
        let known = (!t.starts_with('#'))
            .then(|| {
                PARAMS.iter().position(|p| {
                    p.name.eq_ignore_ascii_case(first)
                        || p.alias.is_some_and(|a| a.eq_ignore_ascii_case(first))
                })
            })
            .flatten();
        match known {
            Some(i) if done[i] => {}
            Some(i) => {
                done[i] = true;
                for l in directive_lines(PARAMS[i].name, &(PARAMS[i].get)(cfg)) {
                    out.push_str(&l);
                    out.push('\n');
                }
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    for (i, p) in PARAMS.iter().enumerate() {
        let value = (p.get)(cfg);
        if done[i] || value == (p.get)(&defaults) {
            continue;
        }
        if !marker {
            if !out.is_empty() && !out.ends_with("\n\n") {
                out.push('\n');
            }
            out.push_str(REWRITE_MARKER);
            out.push('\n');
            marker = true;
        }
        for l in directive_lines(p.name, &value) {
            out.push_str(&l);
            out.push('\n');
        }
    }
    out
}

/// Writes `text` to `path` through a temporary file renamed over it.
fn replace_file(path: &str, text: &str) -> std::io::Result<()> {
    let tmp = format!("{path}.rewrite-{}.tmp", std::process::id());
    let result = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// An OS error's text without Rust's ` (os error N)` suffix, as strerror.
fn os_error_text(e: &std::io::Error) -> String {
    let mut s = e.to_string();
    if let Some(i) = s.find(" (os error") {
        s.truncate(i);
    }
    s
}

fn config_rewrite(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let Some(path) = ctx.srv.config_file.clone() else {
        return err("ERR The server is running without a config file");
    };
    // A file that has gone missing is written from scratch.
    let old = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(CmdError::from(format!(
                "ERR Rewriting config file: {}",
                os_error_text(&e)
            )))
        }
    };
    let text = rewrite_config_text(&old, &ctx.srv.config);
    if let Err(e) = replace_file(&path, &text) {
        log::warn!("CONFIG REWRITE failed: {e}");
        return Err(CmdError::from(format!(
            "ERR Rewriting config file: {}",
            os_error_text(&e)
        )));
    }
    log::info!("CONFIG REWRITE executed with success.");
    ctx.out.ok();
    Ok(())
}

fn config_resetstat(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    reset_stats(ctx.srv);
    ctx.out.ok();
    Ok(())
}

/// CONFIG RESETSTAT: every counter INFO reports goes back to zero.
pub fn reset_stats(srv: &mut ServerState) {
    srv.stats = Stats::default();
    for st in srv.cmd_stats.iter_mut() {
        *st = CmdStat::default();
    }
    // The per-command latency histograms go too (allocated again on use).
    for h in srv.cmd_latency.iter_mut() {
        *h = None;
    }
    for db in srv.dbs.iter_mut() {
        db.hits = 0;
        db.misses = 0;
        db.expired_keys = 0;
    }
}

fn config_help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    reply_help(
        ctx.out,
        "CONFIG",
        &[
            "GET <pattern> [<pattern> ...]",
            "    Return the parameters matching the glob-style patterns, with their values.",
            "SET <directive> <value> [<directive> <value> ...]",
            "    Set each configuration directive to its value (all or none).",
            "RESETSTAT",
            "    Reset the counters that INFO reports.",
            "REWRITE",
            "    Write the running configuration to the config file.",
        ],
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// DEBUG
// ---------------------------------------------------------------------------

const DEBUG_NOT_ALLOWED: &str = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";

/// enable-debug-command: `yes` allows everyone, `local` loopback clients only.
fn debug_allowed(ctx: &mut Ctx) -> bool {
    let setting = ctx.srv.config.enable_debug_command.clone();
    allowed_by(ctx, &setting)
}

/// An `enable-*` setting (`no`, `yes`, `local`) applied to the calling client.
fn allowed_by(ctx: &mut Ctx, setting: &str) -> bool {
    match setting {
        "yes" => true,
        "local" => {
            let ip = ctx.client().addr.ip();
            ip.is_loopback()
                || matches!(ip, std::net::IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()))
        }
        _ => false,
    }
}

/// DEBUG's "positive long" arguments: anything not a non-negative integer
/// gets the same error.
fn positive(arg: &[u8]) -> Result<i64, CmdError> {
    match parse_i64(arg) {
        Some(n) if n >= 0 => Ok(n),
        _ => err("ERR value is out of range, must be positive"),
    }
}

/// C's atoi: optional spaces and sign, then as many digits as there are.
fn atoi(b: &[u8]) -> i64 {
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    let neg = i < b.len() && b[i] == b'-';
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let mut n: i64 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        n = n.wrapping_mul(10).wrapping_add(i64::from(b[i] - b'0'));
        i += 1;
    }
    if neg {
        n.wrapping_neg()
    } else {
        n
    }
}

/// C's strtod on a whole argument: the longest leading number, 0 if none.
fn strtod(b: &[u8]) -> f64 {
    let s = String::from_utf8_lossy(&b[..b.len().min(64)]).into_owned();
    let s = s.trim_start();
    (1..=s.len())
        .rev()
        .filter(|&n| s.is_char_boundary(n))
        .find_map(|n| s[..n].parse::<f64>().ok())
        .unwrap_or(0.0)
}

fn debug(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if !debug_allowed(ctx) {
        return err(DEBUG_NOT_ALLOWED);
    }
    let sub = args.get(1).to_ascii_lowercase();
    let n = args.len();
    match (&sub[..], n) {
        (b"help", 2) => debug_help(ctx),
        (b"populate", 3..=5) => debug_populate(ctx, args),
        (b"sleep", 3) => {
            let secs = strtod(args.get(2));
            // Redis turns the seconds into a 64-bit count of microseconds; a
            // value that does not fit (inf, 1e300) makes its sleep fail at
            // once, so it replies OK without sleeping, and so do we.
            let usec = secs * 1e6;
            if usec > 0.0 && usec < i64::MAX as f64 {
                std::thread::sleep(std::time::Duration::from_micros(usec as u64));
            }
            ctx.out.ok();
            Ok(())
        }
        (b"object", 3) => debug_object(ctx, args.get(2)),
        (b"set-active-expire", 3) => {
            ctx.srv.active_expire = atoi(args.get(2)) != 0;
            ctx.out.ok();
            Ok(())
        }
        (b"change-repl-id", 2) => {
            ctx.srv.replid = new_replid();
            ctx.out.ok();
            Ok(())
        }
        (b"reload", _) => debug_reload(ctx, args),
        (b"loadaof", 2) => match crate::persistence::aof::debug_loadaof(ctx.srv) {
            Ok(()) => {
                ctx.out.ok();
                Ok(())
            }
            Err(e) => {
                // As Redis: a reload that fails leaves no usable dataset.
                log::warn!("{e}");
                std::process::exit(1);
            }
        },
        (b"digest", 2) => {
            let d = dataset_digest(ctx.srv);
            ctx.out.status(&sha1::hex(&d));
            Ok(())
        }
        (b"digest-value", _) => {
            let now = ctx.now;
            let db = &mut ctx.srv.dbs[ctx.db];
            ctx.out.array(n - 2);
            for key in args.iter_from(2) {
                let d = match db.find(key, now) {
                    Some(id) => {
                        let mut d = value_digest(db.value(id));
                        // A TTL shows in the value's digest too, as Redis.
                        if db.expire_of(id).is_some() {
                            xor_digest(&mut d, b"!!expire!!");
                        }
                        d
                    }
                    None => [0; 20],
                };
                ctx.out.status(&sha1::hex(&d));
            }
            Ok(())
        }
        (b"stringmatch-test", 2) => {
            stringmatch_test();
            ctx.out
                .status("Apparently Redis did not crash: test passed");
            Ok(())
        }
        (b"log", 3) => {
            log::warn!("DEBUG LOG: {}", String::from_utf8_lossy(args.get(2)));
            ctx.out.ok();
            Ok(())
        }
        _ => Err(crate::error::bad_subcommand("DEBUG", args.get(1))),
    }
}

/// DEBUG STRINGMATCH-TEST: matches random patterns against random strings,
/// which only checks that the glob matcher neither panics nor loops.
fn stringmatch_test() {
    let mut rng = crate::util::rng::Rng::new(0x9e37_79b9_7f4a_7c15 ^ unix_us() as u64);
    let mut next = move || rng.next_u64();
    const ALPHABET: &[u8] = b"ab*?[]^-\\";
    let mut pat = Vec::new();
    let mut text = Vec::new();
    for _ in 0..20_000 {
        pat.clear();
        text.clear();
        for _ in 0..next() % 32 {
            pat.push(ALPHABET[(next() % ALPHABET.len() as u64) as usize]);
        }
        for _ in 0..next() % 32 {
            text.push(ALPHABET[(next() % ALPHABET.len() as u64) as usize]);
        }
        let _ = crate::util::glob::glob_match(&pat, &text, next() % 2 == 0);
    }
}

fn debug_help(ctx: &mut Ctx) -> CmdResult {
    reply_help(
        ctx.out,
        "DEBUG",
        &[
            "CHANGE-REPL-ID",
            "    Give the server a new replication id.",
            "DIGEST",
            "    Return a hex digest of the whole dataset (all databases).",
            "DIGEST-VALUE <key> [<key> ...]",
            "    Return a hex digest of the value of each key (zeros when missing).",
            "LOADAOF",
            "    Flush the AOF to disk and load it back (the server exits if it cannot).",
            "LOG <message>",
            "    Write <message> to the server log.",
            "OBJECT <key>",
            "    Show low-level details of the value at <key>.",
            "POPULATE <count> [<prefix>] [<size>]",
            "    Create <count> string keys <prefix>:<n> (prefix `key` by default) holding",
            "    value:<n>, padded with zero bytes or cut to <size> when given. Existing",
            "    keys are left alone.",
            "RELOAD [MERGE] [NOFLUSH] [NOSAVE]",
            "    Save the dump file and load it back: MERGE replaces keys present,",
            "    NOFLUSH keeps the dataset (a key present is then an error), NOSAVE",
            "    loads the existing file.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Turn the background expiry of keys off (0) or on (1).",
            "SLEEP <seconds>",
            "    Block the server for <seconds> (decimals allowed).",
            "STRINGMATCH-TEST",
            "    Run the glob pattern matcher on random inputs (it must not crash).",
        ],
    );
    Ok(())
}

fn debug_populate(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let count = positive(args.get(2))?;
    let prefix: &[u8] = if args.len() > 3 { args.get(3) } else { b"key" };
    let size = if args.len() > 4 {
        positive(args.get(4))? as usize
    } else {
        0
    };
    // Not in Redis (which would try to allocate anything): refuse values
    // larger than a client could send.
    if size as u64 > ctx.srv.config.proto_max_bulk_len as u64 {
        return err("ERR size is larger than proto-max-bulk-len");
    }
    let now = ctx.now;
    let db = &mut ctx.srv.dbs[ctx.db];
    let mut key = Vec::with_capacity(prefix.len() + 21);
    let mut val = Vec::with_capacity(size.max(26));
    for j in 0..count {
        key.clear();
        key.extend_from_slice(prefix);
        let _ = write!(ByteWriter(&mut key), ":{j}");
        if db.find(&key, now).is_some() {
            continue;
        }
        val.clear();
        let _ = write!(ByteWriter(&mut val), "value:{j}");
        if size > 0 {
            val.resize(size, 0);
        }
        db.add(&key, Value::string_no_int(&val), now);
    }
    ctx.out.ok();
    Ok(())
}

/// `fmt::Write` into a byte vector.
struct ByteWriter<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for ByteWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Bytes of an RDB length prefix.
fn rdb_len_size(n: usize) -> usize {
    if n < 1 << 6 {
        1
    } else if n < 1 << 14 {
        2
    } else if n as u64 <= u64::from(u32::MAX) {
        5
    } else {
        9
    }
}

/// The RDB size of a string value: small integers in their compact integer
/// encodings, other strings as length plus bytes. LZF compression of strings
/// over 20 bytes is not modelled, so compressible long strings read larger
/// than in Redis.
fn rdb_string_size(b: &[u8]) -> usize {
    if b.len() <= 11 {
        if let Some(n) = parse_i64(b) {
            if (-(1 << 7)..1 << 7).contains(&n) {
                return 2;
            } else if (-(1 << 15)..1 << 15).contains(&n) {
                return 3;
            } else if (-(1i64 << 31)..1i64 << 31).contains(&n) {
                return 5;
            }
        }
    }
    rdb_len_size(b.len()) + b.len()
}

fn debug_object(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    let now = ctx.now;
    let db = &mut ctx.srv.dbs[ctx.db];
    let Some(id) = db.find(key, now) else {
        return err(crate::error::NO_SUCH_KEY);
    };
    let v = db.value(id);
    let mut tmp = [0u8; 24];
    let serialized = v.as_bytes(&mut tmp).map_or(0, rdb_string_size);
    let lru = db.lru(id);
    let idle = idle_secs(lru, now);
    let line = format!(
        "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
        v as *const Value,
        v.refcount(),
        v.encoding(),
        serialized,
        lru,
        idle
    );
    ctx.out.status(&line);
    Ok(())
}

/// A fresh 40-hex-digit replication id.
pub fn new_replid() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = sha1::Sha1::new();
    h.update(&unix_us().to_le_bytes());
    h.update(&std::process::id().to_le_bytes());
    h.update(&COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    h.update(&crate::keyspace::hasher::process_seed().to_le_bytes());
    sha1::hex(&h.finish())
}

// DEBUG DIGEST, computed as Redis 7.0 does so the digests of equal datasets
// are equal across the two servers:
// - mix(d, x) = SHA1(d XOR SHA1(x)); xor(d, x) = d XOR SHA1(x);
// - a value's digest: mix the 4-byte big-endian type code, then the contents
//   (for a string, its bytes);
// - a key's digest: mix the key into zeros, then the value as above, then
//   xor "!!expire!!" if it has a TTL;
// - the dataset: for each non-empty database in order, mix its 4-byte
//   big-endian index, then xor in every key's digest (so key order does not
//   matter).

fn xor_digest(d: &mut [u8; 20], data: &[u8]) {
    let h = sha1::sha1(data);
    for (a, b) in d.iter_mut().zip(h) {
        *a ^= b;
    }
}

fn mix_digest(d: &mut [u8; 20], data: &[u8]) {
    xor_digest(d, data);
    *d = sha1::sha1(&d[..]);
}

/// Redis's type codes (OBJ_STRING...).
fn type_code(v: &Value) -> u32 {
    match v.type_name() {
        "string" => 0,
        "list" => 1,
        "set" => 2,
        "zset" => 3,
        "hash" => 4,
        "stream" => 6,
        _ => 5,
    }
}

/// Mixes a value's type and contents into `d`: a string's bytes; a list's
/// elements mixed in order; a set's members XORed in (order-free); a hash's
/// fields each digested as mix(field) then mix(value) from zeros, then that
/// digest XORed in as a string; a sorted set's members likewise with their
/// scores as `%.17g`.
fn mix_value(d: &mut [u8; 20], v: &Value) {
    mix_digest(d, &type_code(v).to_be_bytes());
    let mut tmp = [0u8; 24];
    if let Some(b) = v.as_bytes(&mut tmp) {
        mix_digest(d, b);
        return;
    }
    match v {
        Value::List(l) => l.for_each(|e| mix_digest(d, e)),
        Value::Set(s) => s.for_each(|m| xor_digest(d, m)),
        Value::Zset(z) => {
            let mut buf = Vec::new();
            z.for_each(|m, score| {
                let mut e = [0u8; 20];
                mix_digest(&mut e, m);
                buf.clear();
                crate::util::numbers::fmt_double(score, &mut buf);
                mix_digest(&mut e, &buf);
                xor_digest(d, &e);
            })
        }
        Value::Hash(h) => h.for_each(|f, val| {
            let mut e = [0u8; 20];
            mix_digest(&mut e, f);
            mix_digest(&mut e, val);
            xor_digest(d, &e);
        }),
        _ => {}
    }
}

/// DEBUG DIGEST-VALUE of one value.
pub fn value_digest(v: &Value) -> [u8; 20] {
    let mut d = [0u8; 20];
    mix_value(&mut d, v);
    d
}

/// DEBUG DIGEST: all zeros for an empty dataset.
pub fn dataset_digest(srv: &ServerState) -> [u8; 20] {
    let mut fin = [0u8; 20];
    for (i, db) in srv.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        mix_digest(&mut fin, &(i as u32).to_be_bytes());
        for id in db.entries() {
            let mut d = [0u8; 20];
            mix_digest(&mut d, db.key(id));
            mix_value(&mut d, db.value(id));
            if db.expire_of(id).is_some() {
                xor_digest(&mut d, b"!!expire!!");
            }
            xor_digest(&mut fin, &d);
        }
    }
    fin
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

const ADMIN_CMD: Flags = Flags::ADMIN
    .or(Flags::NOSCRIPT)
    .or(Flags::LOADING)
    .or(Flags::STALE);

const NONDETERMINISTIC: &[&str] = &["nondeterministic_output"];
const ALL_SHARDS_OK: &[&str] = &["request_policy:all_shards", "response_policy:all_succeeded"];
const FLUSH_HISTORY: &[(&str, &str)] = &[
    ("4.0.0", "Added the ASYNC option."),
    ("6.2.0", "Added the SYNC option."),
];
const FLUSH_ARGS: &[Arg] = &[Arg {
    name: "async",
    kind: ArgType::OneOf,
    flags: ArgFlags::OPTIONAL,
    args: &[
        Arg {
            name: "async",
            kind: ArgType::PureToken,
            token: "ASYNC",
            since: "4.0.0",
            ..ARG
        },
        Arg {
            name: "sync",
            kind: ArgType::PureToken,
            token: "SYNC",
            since: "6.2.0",
            ..ARG
        },
    ],
    ..ARG
}];

const CONFIG_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "get",
        arity: -3,
        flags: ADMIN_CMD,
        group: Group::Server,
        since: "2.0.0",
        summary: "Returns the configuration parameters matching patterns, with their values.",
        complexity: "O(N) when N is the number of configuration parameters provided",
        history: &[("7.0.0", "Accepts several patterns in one call.")],
        arguments: &[Arg {
            name: "parameter",
            kind: ArgType::Block,
            flags: ArgFlags::MULTIPLE,
            args: &[Arg {
                name: "parameter",
                ..ARG
            }],
            ..ARG
        }],
        handler: config_get,
        ..BASE
    },
    CommandSpec {
        name: "set",
        arity: -4,
        flags: ADMIN_CMD,
        group: Group::Server,
        since: "2.0.0",
        summary: "Changes configuration parameters, all or none.",
        complexity: "O(N) when N is the number of configuration parameters provided",
        tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
        history: &[(
            "7.0.0",
            "Accepts several parameter/value pairs in one call.",
        )],
        arguments: &[Arg {
            name: "parameter_value",
            kind: ArgType::Block,
            flags: ArgFlags::MULTIPLE,
            args: &[
                Arg {
                    name: "parameter",
                    ..ARG
                },
                Arg {
                    name: "value",
                    ..ARG
                },
            ],
            ..ARG
        }],
        handler: config_set,
        ..BASE
    },
    CommandSpec {
        name: "resetstat",
        arity: 2,
        flags: ADMIN_CMD,
        group: Group::Server,
        since: "2.0.0",
        summary: "Zeroes the statistics INFO reports.",
        handler: config_resetstat,
        ..BASE
    },
    CommandSpec {
        name: "rewrite",
        arity: 2,
        flags: ADMIN_CMD,
        group: Group::Server,
        since: "2.8.0",
        summary: "Saves the running configuration into the config file.",
        handler: config_rewrite,
        ..BASE
    },
    CommandSpec {
        name: "help",
        arity: 2,
        flags: Flags::LOADING.or(Flags::STALE),
        group: Group::Server,
        since: "5.0.0",
        summary: "Lists the CONFIG subcommands.",
        handler: config_help,
        ..BASE
    },
];

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "dbsize",
        arity: 1,
        flags: Flags::READONLY.or(Flags::FAST),
        acl: Acl::KEYSPACE,
        group: Group::Server,
        summary: "Returns the number of keys in the selected database.",
        tips: &["request_policy:all_shards", "response_policy:agg_sum"],
        handler: dbsize,
        ..BASE
    },
    CommandSpec {
        name: "flushdb",
        arity: -1,
        flags: Flags::WRITE,
        acl: Acl::KEYSPACE.or(Acl::DANGEROUS),
        group: Group::Server,
        summary: "Removes every key of the selected database.",
        complexity: "O(N) where N is the number of keys in the selected database",
        tips: ALL_SHARDS_OK,
        history: FLUSH_HISTORY,
        arguments: FLUSH_ARGS,
        handler: flushdb,
        ..BASE
    },
    CommandSpec {
        name: "flushall",
        arity: -1,
        flags: Flags::WRITE,
        acl: Acl::KEYSPACE.or(Acl::DANGEROUS),
        group: Group::Server,
        summary: "Removes every key of every database.",
        complexity: "O(N) where N is the total number of keys in all databases",
        tips: ALL_SHARDS_OK,
        history: FLUSH_HISTORY,
        arguments: FLUSH_ARGS,
        handler: flushall,
        ..BASE
    },
    CommandSpec {
        name: "swapdb",
        arity: 3,
        flags: Flags::WRITE.or(Flags::FAST),
        acl: Acl::KEYSPACE.or(Acl::DANGEROUS),
        group: Group::Server,
        since: "4.0.0",
        summary: "Exchanges the contents of two databases.",
        complexity:
            "O(N) where N is the count of clients watching or blocking on keys from both databases.",
        arguments: &[
            Arg {
                name: "index1",
                kind: ArgType::Integer,
                ..ARG
            },
            Arg {
                name: "index2",
                kind: ArgType::Integer,
                ..ARG
            },
        ],
        handler: swapdb,
        ..BASE
    },
    CommandSpec {
        name: "time",
        arity: 1,
        flags: Flags::LOADING.or(Flags::STALE).or(Flags::FAST),
        group: Group::Server,
        since: "2.6.0",
        summary: "Returns the server time as seconds and microseconds.",
        tips: NONDETERMINISTIC,
        handler: time,
        ..BASE
    },
    CommandSpec {
        name: "save",
        arity: 1,
        flags: Flags::ADMIN
            .or(Flags::NOSCRIPT)
            .or(Flags::NO_ASYNC_LOADING)
            .or(Flags::NO_MULTI),
        group: Group::Server,
        since: "1.0.0",
        summary: "Synchronously save the dataset to disk",
        complexity: "O(N) where N is the total number of keys in all databases",
        handler: save,
        ..BASE
    },
    CommandSpec {
        name: "bgsave",
        arity: -1,
        flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::NO_ASYNC_LOADING),
        group: Group::Server,
        since: "1.0.0",
        summary: "Asynchronously save the dataset to disk",
        complexity: "O(1)",
        history: &[("3.2.2", "Added the `SCHEDULE` option.")],
        arguments: &[Arg {
            name: "schedule",
            kind: ArgType::PureToken,
            token: "SCHEDULE",
            since: "3.2.2",
            flags: ArgFlags::OPTIONAL,
            ..ARG
        }],
        handler: bgsave,
        ..BASE
    },
    CommandSpec {
        name: "lastsave",
        arity: 1,
        flags: Flags::LOADING.or(Flags::STALE).or(Flags::FAST),
        acl: Acl::ADMIN.or(Acl::DANGEROUS),
        group: Group::Server,
        summary: "Returns the unix time of the last successful save.",
        tips: NONDETERMINISTIC,
        handler: lastsave,
        ..BASE
    },
    CommandSpec {
        name: "info",
        arity: -1,
        flags: Flags::LOADING.or(Flags::STALE).or(Flags::SENTINEL),
        acl: Acl::DANGEROUS,
        group: Group::Server,
        summary: "Returns information and statistics about the server.",
        tips: &[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ],
        history: &[("7.0.0", "Accepts several sections in one call.")],
        arguments: &[Arg {
            name: "section",
            flags: ArgFlags::OPTIONAL.or(ArgFlags::MULTIPLE),
            ..ARG
        }],
        handler: info,
        ..BASE
    },
    CommandSpec {
        name: "config",
        arity: -2,
        group: Group::Server,
        since: "2.0.0",
        summary: "A container for the configuration commands.",
        complexity: "Depends on subcommand.",
        subcommands: CONFIG_SUBCOMMANDS,
        ..BASE
    },
    CommandSpec {
        name: "debug",
        arity: -2,
        flags: ADMIN_CMD.or(Flags::PROTECTED),
        group: Group::Server,
        summary: "Debugging and testing helpers.",
        complexity: "Depends on subcommand.",
        doc_flags: DocFlags::SYSCMD,
        handler: debug,
        ..BASE
    },
    CommandSpec {
        name: "shutdown",
        arity: -1,
        flags: ADMIN_CMD
            .or(Flags::NO_MULTI)
            .or(Flags::SENTINEL)
            .or(Flags::ALLOW_BUSY),
        group: Group::Server,
        summary: "Stops the server.",
        complexity: "O(N) when saving, where N is the total number of keys in all databases",
        history: &[("7.0.0", "Added the NOW, FORCE and ABORT options.")],
        arguments: &[
            Arg {
                name: "nosave_save",
                kind: ArgType::OneOf,
                flags: ArgFlags::OPTIONAL,
                args: &[
                    Arg {
                        name: "nosave",
                        kind: ArgType::PureToken,
                        token: "NOSAVE",
                        ..ARG
                    },
                    Arg {
                        name: "save",
                        kind: ArgType::PureToken,
                        token: "SAVE",
                        ..ARG
                    },
                ],
                ..ARG
            },
            Arg {
                name: "now",
                kind: ArgType::PureToken,
                token: "NOW",
                since: "7.0.0",
                flags: ArgFlags::OPTIONAL,
                ..ARG
            },
            Arg {
                name: "force",
                kind: ArgType::PureToken,
                token: "FORCE",
                since: "7.0.0",
                flags: ArgFlags::OPTIONAL,
                ..ARG
            },
            Arg {
                name: "abort",
                kind: ArgType::PureToken,
                token: "ABORT",
                since: "7.0.0",
                flags: ArgFlags::OPTIONAL,
                ..ARG
            },
        ],
        handler: shutdown,
        ..BASE
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_rewrite_text() {
        let mut cfg = Config {
            hz: 20,
            timeout: 7,
            save: "3600 1 300 100".to_string(),
            requirepass: "a b\"c".to_string(),
            ..Config::default()
        };
        let old = "# my file\nHZ 10\nfoo-unknown 1\nhz 30\n\nsave 1 1\nsave 2 2\n";
        let new = rewrite_config_text(old, &cfg);
        assert_eq!(
            new,
            "# my file\nhz 20\nfoo-unknown 1\n\nsave 3600 1\nsave 300 100\n\n\
             # Generated by CONFIG REWRITE\ntimeout 7\nrequirepass \"a b\\\"c\"\n"
        );
        // Rewriting again changes nothing.
        assert_eq!(rewrite_config_text(&new, &cfg), new);
        // A later change goes after the existing marker.
        cfg.maxclients = 5;
        assert!(rewrite_config_text(&new, &cfg).ends_with("\"a b\\\"c\"\nmaxclients 5\n"));
        // Defaults alone give an empty file.
        assert_eq!(rewrite_config_text("", &Config::default()), "");
        assert_eq!(directive_lines("save", ""), vec!["save \"\"".to_string()]);
    }

    #[test]
    fn human_bytes() {
        assert_eq!(bytes_to_human(0), "0B");
        assert_eq!(bytes_to_human(1023), "1023B");
        assert_eq!(bytes_to_human(1024), "1.00K");
        assert_eq!(bytes_to_human(916264), "894.79K");
        assert_eq!(bytes_to_human(12193792), "11.63M");
        assert_eq!(bytes_to_human(25276063744), "23.54G");
    }

    #[test]
    fn c_number_parsers() {
        assert_eq!(atoi(b"x"), 0);
        assert_eq!(atoi(b" 12ab"), 12);
        assert_eq!(atoi(b"-3"), -3);
        assert_eq!(strtod(b"abc"), 0.0);
        assert_eq!(strtod(b"0.25s"), 0.25);
        assert_eq!(strtod(b"1e2"), 100.0);
    }

    #[test]
    fn rdb_sizes() {
        assert_eq!(rdb_string_size(b"value:0"), 8);
        assert_eq!(rdb_string_size(b"1"), 2);
        assert_eq!(rdb_string_size(b"1000"), 3);
        assert_eq!(rdb_string_size(b"100000"), 5);
        assert_eq!(rdb_string_size(b"10000000000"), 12);
        assert_eq!(rdb_string_size(&[b'a'; 64]), 66);
    }

    #[test]
    fn digests_match_redis() {
        // Values observed on Redis 7.0.15 (DEBUG DIGEST-VALUE).
        assert_eq!(
            sha1::hex(&value_digest(&Value::string(b"1"))),
            "b4fc66738120fba0b5aa500ab5c2bf89cea1c5da"
        );
        assert_eq!(
            sha1::hex(&value_digest(&Value::string(b"hello"))),
            "36b23a1456b2dce2c3ed252c456761301dba8060"
        );
    }
}
