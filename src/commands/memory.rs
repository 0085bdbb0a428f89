//! MEMORY (USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, HELP) and LOLWUT.
//!
//! MEMORY STATS has Redis 7.0's field names, order and reply types, so tools
//! that read it find what they expect; the figures come from the same sources
//! as INFO memory (`server::MemoryReport`). Figures for features this server
//! does not have (replication backlog, replicas, cluster links, AOF, Lua,
//! functions) are zero. MEMORY USAGE is an estimate of the bytes one key takes
//! in ferrodis's own structures: it cannot equal Redis's numbers.
//!
//! LOLWUT ends with the same final line as Redis (`Redis ver. 7.0.15`), which
//! is all clients parse; versions 5 and 6 draw our own small pictures.

use super::server::{ratio, reply_help, MemoryReport};
use super::table::{
    Acl, Arg, ArgFlags, ArgType, Args, CommandSpec, Flags, Group, KeyFlags, Keys, ARG, BASE,
};
use super::Ctx;
use crate::error::{err, CmdError, CmdResult, NOT_INTEGER, SYNTAX};
use crate::keyspace::small_bytes::{SmallBytes, INLINE_CAP};
use crate::keyspace::value::Value;
use crate::util::numbers::parse_i64;
use crate::util::rng::Rng;

// ---------------------------------------------------------------------------
// Estimates
// ---------------------------------------------------------------------------

/// Bytes of table bookkeeping per key beside the key and value themselves
/// (hash, chaining and slot words of the dictionary).
const ENTRY_BOOKKEEPING: usize = 16;

/// Bytes one key takes: its table entry (key and value headers), the key's
/// bytes when they do not fit inline, and the value's heap part.
pub fn key_usage(key: &[u8], v: &Value) -> usize {
    let header = std::mem::size_of::<SmallBytes>() + std::mem::size_of::<Value>();
    let key_heap = if key.len() > INLINE_CAP { key.len() } else { 0 };
    header + ENTRY_BOOKKEEPING + key_heap + v.heap_size()
}

/// Bytes per TTL in the expires index (key reference and deadline), used to
/// split a database's table overhead for MEMORY STATS.
const EXPIRE_ENTRY: usize = 24;

// ---------------------------------------------------------------------------
// MEMORY USAGE
// ---------------------------------------------------------------------------

fn memory_usage(ctx: &mut Ctx, args: &Args) -> CmdResult {
    // Options are checked before the key is looked up, as Redis does. The
    // sample count does not change anything here: a string is measured whole.
    let mut i = 3;
    while i < args.len() {
        if args.is(i, "samples") && i + 1 < args.len() {
            match parse_i64(args.get(i + 1)) {
                Some(n) if n < 0 => return err(SYNTAX),
                Some(_) => {}
                None => return err(NOT_INTEGER),
            }
            i += 2;
        } else {
            return err(SYNTAX);
        }
    }
    let (db, out) = ctx.db_out();
    // As in Redis, MEMORY USAGE is no access to the key: no hit or miss is
    // counted and no lazy expiry happens (a key whose TTL has passed but that
    // is still stored is measured). Looking up "as of" the earliest time
    // makes `find` see every stored key as live.
    match db.find(args.get(2), i64::MIN) {
        Some(id) => out.int(key_usage(db.key(id), db.value(id)) as i64),
        None => out.null(),
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// MEMORY STATS
// ---------------------------------------------------------------------------

/// Redis computes these ratios in single precision; the same rounding gives
/// the same look (`1.2143256664276123`).
fn single(v: f64) -> f64 {
    v as f32 as f64
}

fn memory_stats(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let m = MemoryReport::collect(ctx);
    let peak = ctx.srv.stats.mem_peak.max(m.used);
    ctx.srv.stats.mem_peak = peak;
    let startup = ctx.srv.mem_startup.min(m.used);
    let net = m.used - startup;
    let dataset = m.used - m.overhead;
    let resident = m.rss.max(m.active);
    // (index, main table bytes, expires bytes) of the databases holding keys.
    let dbs: Vec<(usize, u64, u64)> = ctx
        .srv
        .dbs
        .iter()
        .enumerate()
        .filter(|(_, d)| !d.is_empty())
        .map(|(i, d)| {
            let expires = (d.expires_len() * EXPIRE_ENTRY) as u64;
            (i, (d.heap_bytes() as u64).saturating_sub(expires), expires)
        })
        .collect();
    let keys: u64 = ctx.srv.dbs.iter().map(|d| d.len() as u64).sum();

    let out = &mut *ctx.out;
    out.map(27 + dbs.len());
    let int = |out: &mut crate::protocol::reply::ReplyBuf, name: &str, v: i64| {
        out.bulk(name.as_bytes());
        out.int(v);
    };
    int(out, "peak.allocated", peak as i64);
    int(out, "total.allocated", m.used as i64);
    int(out, "startup.allocated", startup as i64);
    int(out, "replication.backlog", 0);
    int(out, "clients.slaves", 0);
    int(out, "clients.normal", m.clients as i64);
    int(out, "cluster.links", 0);
    int(out, "aof.buffer", 0);
    int(out, "lua.caches", 0);
    int(out, "functions.caches", 0);
    for (i, main, expires) in &dbs {
        out.bulk(format!("db.{i}").as_bytes());
        out.map(3);
        int(out, "overhead.hashtable.main", *main as i64);
        int(out, "overhead.hashtable.expires", *expires as i64);
        int(out, "overhead.hashtable.slot-to-keys", 0);
    }
    int(out, "overhead.total", m.overhead as i64);
    int(out, "keys.count", keys as i64);
    int(
        out,
        "keys.bytes-per-key",
        net.checked_div(keys).unwrap_or(0) as i64,
    );
    int(out, "dataset.bytes", dataset as i64);
    out.bulk(b"dataset.percentage");
    out.double(single(ratio(dataset, net) * 100.0));
    out.bulk(b"peak.percentage");
    out.double(single(ratio(m.used, peak) * 100.0));
    int(out, "allocator.allocated", m.used as i64);
    int(out, "allocator.active", m.active as i64);
    int(out, "allocator.resident", resident as i64);
    out.bulk(b"allocator-fragmentation.ratio");
    out.double(single(ratio(m.active, m.used)));
    int(
        out,
        "allocator-fragmentation.bytes",
        m.active as i64 - m.used as i64,
    );
    out.bulk(b"allocator-rss.ratio");
    out.double(single(ratio(resident, m.active)));
    int(
        out,
        "allocator-rss.bytes",
        resident as i64 - m.active as i64,
    );
    out.bulk(b"rss-overhead.ratio");
    out.double(single(ratio(m.rss, resident)));
    int(out, "rss-overhead.bytes", m.rss as i64 - resident as i64);
    out.bulk(b"fragmentation");
    out.double(single(ratio(m.rss, m.used)));
    int(out, "fragmentation.bytes", m.rss as i64 - m.used as i64);
    Ok(())
}

// ---------------------------------------------------------------------------
// MEMORY DOCTOR
// ---------------------------------------------------------------------------

/// Below this much memory in use there is nothing worth diagnosing.
const DOCTOR_MIN_USED: u64 = 5 << 20;

/// The memory figures the doctor looks at.
struct Checkup {
    used: u64,
    peak: u64,
    rss: u64,
    clients: u64,
    client_count: u64,
}

/// The doctor's report (our own wording and thresholds).
fn diagnose(c: &Checkup) -> String {
    if c.used < DOCTOR_MIN_USED {
        return "Hello! This server holds almost no data yet (under 5 MB in use), so there is \
                nothing meaningful to examine. Store some data and ask again.\n"
            .to_string();
    }
    let mut findings = Vec::new();
    if c.peak as f64 > c.used as f64 * 1.5 {
        findings.push(format!(
            " * Memory use peaked at {} bytes, well above the {} in use now. Memory freed \
             since may not have been handed back to the system yet (MEMORY PURGE asks for it).",
            c.peak, c.used
        ));
    }
    if c.rss as f64 > c.used as f64 * 1.4 && c.rss.saturating_sub(c.used) > 10 << 20 {
        findings.push(format!(
            " * The process holds {} bytes of RAM for {} bytes of data: the allocator is \
             fragmented. It usually settles once the workload does; MEMORY PURGE may help.",
            c.rss, c.used
        ));
    }
    if c.client_count > 0 && c.clients / c.client_count > 200 << 10 {
        findings.push(format!(
            " * Client buffers average {} bytes per connection: some clients read their \
             replies slowly or send very large commands (see CLIENT LIST).",
            c.clients / c.client_count
        ));
    }
    if findings.is_empty() {
        return "No memory problems found: usage, peak, fragmentation and client buffers all \
                look normal.\n"
            .to_string();
    }
    let mut s = String::from("Here is what stands out about memory on this server:\n\n");
    for f in findings {
        s.push_str(&f);
        s.push_str("\n\n");
    }
    s
}

fn memory_doctor(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let m = MemoryReport::collect(ctx);
    let report = diagnose(&Checkup {
        used: m.used,
        peak: ctx.srv.stats.mem_peak.max(m.used),
        rss: m.rss,
        clients: m.clients,
        client_count: ctx.clients.len() as u64,
    });
    ctx.out.verbatim("txt", report.as_bytes());
    Ok(())
}

// ---------------------------------------------------------------------------
// MEMORY MALLOC-STATS / PURGE
// ---------------------------------------------------------------------------

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn malloc_stats_text() -> String {
    // SAFETY: mallinfo2 only reads the allocator's counters.
    let mi = unsafe { libc::mallinfo2() };
    let rows: [(&str, usize); 9] = [
        ("arena bytes from the system (brk)", mi.arena),
        ("free chunks", mi.ordblks),
        ("free fastbin blocks", mi.smblks),
        ("mmapped blocks", mi.hblks),
        ("mmapped bytes", mi.hblkhd),
        ("bytes in freed fastbin blocks", mi.fsmblks),
        ("bytes in use", mi.uordblks),
        ("bytes free", mi.fordblks),
        ("releasable top bytes", mi.keepcost),
    ];
    let mut s = String::from("--- glibc malloc statistics (mallinfo2) ---\n");
    for (name, v) in rows {
        s.push_str(&format!("{name}: {v}\n"));
    }
    s.push_str("--- end of statistics ---\n");
    s
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn malloc_stats_text() -> String {
    "The allocator of this build gives no statistics.\n".to_string()
}

fn memory_malloc_stats(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let text = malloc_stats_text();
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

fn memory_purge(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the system.
    unsafe {
        libc::malloc_trim(0);
    }
    ctx.out.ok();
    Ok(())
}

fn memory_help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    reply_help(
        ctx.out,
        "MEMORY",
        &[
            "DOCTOR",
            "    Report memory problems found, if any.",
            "MALLOC-STATS",
            "    Show the memory allocator's own statistics.",
            "PURGE",
            "    Ask the allocator to give free memory back to the system.",
            "STATS",
            "    Show a breakdown of the server's memory use.",
            "USAGE <key> [SAMPLES <count>]",
            "    Estimate the bytes <key> and its value take. For collections, up to",
            "    <count> elements are sampled (default 5; 0 samples them all).",
        ],
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// LOLWUT
// ---------------------------------------------------------------------------

/// The largest picture drawn, in characters.
const LOLWUT_MAX_AREA: usize = 1 << 20;

/// A character canvas.
struct Canvas {
    w: usize,
    h: usize,
    cells: Vec<u8>,
}

impl Canvas {
    fn new(w: usize, h: usize) -> Canvas {
        Canvas {
            w,
            h,
            cells: vec![b' '; w * h],
        }
    }

    fn put(&mut self, x: i64, y: i64, c: u8) {
        if x >= 0 && y >= 0 && (x as usize) < self.w && (y as usize) < self.h {
            self.cells[y as usize * self.w + x as usize] = c;
        }
    }

    fn render(&self) -> String {
        let mut s = String::with_capacity((self.w + 1) * self.h);
        for row in self.cells.chunks(self.w.max(1)) {
            s.push_str(String::from_utf8_lossy(row).trim_end());
            s.push('\n');
        }
        s
    }
}

/// Version 5: rows of square outlines that drift more and more out of place
/// from top to bottom (after Georg Nees's "Schotter").
fn lolwut_squares(rng: &mut Rng, cols: usize, per_row: usize, per_col: usize) -> String {
    let side = (cols / per_row).max(2);
    let height = (side / 2).max(2);
    let w = side * per_row + side;
    let h = (height * per_col + height)
        .min(LOLWUT_MAX_AREA / w.max(1))
        .max(1);
    let mut c = Canvas::new(w, h);
    for row in 0..per_col {
        for col in 0..per_row {
            let disorder = (row * side) / (per_col * 2).max(1);
            let dx = rng.below(disorder + 1) as i64 - (disorder / 2) as i64;
            let dy = rng.below(disorder / 2 + 1) as i64 - (disorder / 4) as i64;
            let x0 = (col * side + side / 2) as i64 + dx;
            let y0 = (row * height + height / 2) as i64 + dy;
            for i in 0..side as i64 {
                c.put(x0 + i, y0, b'-');
                c.put(x0 + i, y0 + height as i64 - 1, b'-');
            }
            for j in 0..height as i64 {
                c.put(x0, y0 + j, b'|');
                c.put(x0 + side as i64 - 1, y0 + j, b'|');
            }
        }
    }
    c.render()
}

/// Version 6: a city skyline under a starry sky.
fn lolwut_skyline(rng: &mut Rng, cols: usize, rows: usize) -> String {
    let mut c = Canvas::new(cols, rows);
    for _ in 0..(cols * rows) / 40 {
        let (x, y) = (rng.below(cols), rng.below(rows / 2 + 1));
        c.put(x as i64, y as i64, b'.');
    }
    let mut x = 0;
    while x < cols {
        let width = 3 + rng.below(6);
        let top = rows / 3 + rng.below(rows - rows / 3);
        for bx in x..(x + width).min(cols) {
            for by in top..rows {
                let window = (bx - x) % 2 == 1 && (by - top) % 2 == 1 && rng.below(3) == 0;
                c.put(bx as i64, by as i64, if window { b'o' } else { b'#' });
            }
        }
        x += width + rng.below(2);
    }
    c.render()
}

/// An optional integer argument of LOLWUT VERSION 5/6 (clamped to `lo..=hi`).
fn lolwut_arg(args: &Args, i: usize, default: i64, lo: i64, hi: i64) -> Result<usize, CmdError> {
    if i >= args.len() {
        return Ok(default as usize);
    }
    match parse_i64(args.get(i)) {
        Some(n) => Ok(n.clamp(lo, hi) as usize),
        None => err(NOT_INTEGER),
    }
}

fn lolwut(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut version = 7;
    if args.len() >= 3 && args.is(1, "version") {
        version = parse_i64(args.get(2)).map_or_else(|| err(NOT_INTEGER), Ok)?;
    }
    let mut rng = Rng::new(ctx.now as u64);
    let text = match version {
        5 => {
            let cols = lolwut_arg(args, 3, 66, 1, 1000)?;
            let per_row = lolwut_arg(args, 4, 8, 1, 200)?;
            let per_col = lolwut_arg(args, 5, 12, 1, 200)?;
            let art = lolwut_squares(&mut rng, cols, per_row, per_col);
            format!(
                "{art}\nSquares losing their order, after Georg Nees's Schotter (1968). Redis ver. {}\n",
                crate::REDIS_VERSION
            )
        }
        6 => {
            let cols = lolwut_arg(args, 3, 80, 1, 1000)?;
            let rows = lolwut_arg(args, 4, 20, 1, 1000)?;
            let art = lolwut_skyline(&mut rng, cols, rows);
            format!(
                "{art}\nA city at night, drawn for the 8 bit game makers of every era. Redis ver. {}\n",
                crate::REDIS_VERSION
            )
        }
        _ => format!("Redis ver. {}\n", crate::REDIS_VERSION),
    };
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

const SPECIAL_ALL_SHARDS: &[&str] = &[
    "nondeterministic_output",
    "request_policy:all_shards",
    "response_policy:special",
];

const MEMORY_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "malloc-stats",
        arity: 2,
        group: Group::Server,
        since: "4.0.0",
        summary: "Shows the memory allocator's statistics.",
        complexity: "Depends on how much memory is allocated, could be slow",
        tips: SPECIAL_ALL_SHARDS,
        handler: memory_malloc_stats,
        ..BASE
    },
    CommandSpec {
        name: "stats",
        arity: 2,
        group: Group::Server,
        since: "4.0.0",
        summary: "Shows a breakdown of the server's memory use.",
        tips: SPECIAL_ALL_SHARDS,
        handler: memory_stats,
        ..BASE
    },
    CommandSpec {
        name: "purge",
        arity: 2,
        group: Group::Server,
        since: "4.0.0",
        summary: "Asks the allocator to return free memory to the system.",
        complexity: "Depends on how much memory is allocated, could be slow",
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        handler: memory_purge,
        ..BASE
    },
    CommandSpec {
        name: "usage",
        arity: -3,
        flags: Flags::READONLY,
        acl: Acl::NONE,
        keys: Keys {
            first: 2,
            last: 2,
            step: 1,
        },
        key_flags: KeyFlags::RO,
        group: Group::Server,
        since: "4.0.0",
        summary: "Estimates the memory a key and its value take.",
        complexity: "O(N) where N is the number of samples.",
        arguments: &[
            Arg {
                name: "key",
                kind: ArgType::Key(0),
                ..ARG
            },
            Arg {
                name: "count",
                kind: ArgType::Integer,
                token: "SAMPLES",
                flags: ArgFlags::OPTIONAL,
                ..ARG
            },
        ],
        handler: memory_usage,
        ..BASE
    },
    CommandSpec {
        name: "doctor",
        arity: 2,
        group: Group::Server,
        since: "4.0.0",
        summary: "Reports memory problems, if any.",
        tips: SPECIAL_ALL_SHARDS,
        handler: memory_doctor,
        ..BASE
    },
    CommandSpec {
        name: "help",
        arity: 2,
        flags: Flags::LOADING.or(Flags::STALE),
        group: Group::Server,
        since: "4.0.0",
        summary: "Lists the MEMORY subcommands.",
        handler: memory_help,
        ..BASE
    },
];

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "memory",
        arity: -2,
        group: Group::Server,
        since: "4.0.0",
        summary: "A container for memory diagnostics commands.",
        complexity: "Depends on subcommand.",
        subcommands: MEMORY_SUBCOMMANDS,
        ..BASE
    },
    CommandSpec {
        name: "lolwut",
        arity: -1,
        flags: Flags::READONLY.or(Flags::FAST),
        group: Group::Server,
        since: "5.0.0",
        summary: "Draws a small picture and shows the server version.",
        complexity: "",
        arguments: &[Arg {
            name: "version",
            kind: ArgType::Integer,
            token: "VERSION",
            flags: ArgFlags::OPTIONAL,
            ..ARG
        }],
        handler: lolwut,
        ..BASE
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doctor_wording_depends_on_figures() {
        let mut c = Checkup {
            used: 1 << 20,
            peak: 1 << 20,
            rss: 1 << 20,
            clients: 0,
            client_count: 1,
        };
        assert!(diagnose(&c).contains("almost no data"));
        c.used = 100 << 20;
        c.peak = 100 << 20;
        c.rss = 110 << 20;
        assert!(diagnose(&c).starts_with("No memory problems"));
        c.peak = 300 << 20;
        c.rss = 400 << 20;
        let r = diagnose(&c);
        assert!(r.contains("peaked") && r.contains("fragmented"));
    }

    #[test]
    fn pictures_stay_in_bounds() {
        let mut rng = Rng::new(42);
        for (cols, r, c) in [(1, 1, 1), (66, 8, 12), (1000, 1, 200), (1000, 200, 200)] {
            let s = lolwut_squares(&mut rng, cols, r, c);
            assert!(s.len() <= LOLWUT_MAX_AREA * 2);
        }
        for (cols, rows) in [(1, 1), (80, 20), (1000, 1000)] {
            let s = lolwut_skyline(&mut rng, cols, rows);
            assert_eq!(s.lines().count(), rows);
        }
    }

    #[test]
    fn usage_grows_with_the_value() {
        let small = key_usage(b"k", &Value::string(b"v"));
        let big = key_usage(b"k", &Value::string(&[b'x'; 10000]));
        assert!(small > 0 && big >= small + 10000);
    }
}
