//! Server configuration: one declarative table of parameters, read from a
//! redis.conf-style file and `--name value` arguments, served by CONFIG GET/SET.
//!
//! Each row names a parameter (and its alias), says whether CONFIG SET may change
//! it at runtime, and has a getter and setter over the typed `Config` struct that
//! the rest of the server reads. Names, defaults and value syntax are Redis 7.0's
//! (memory sizes accept `k kb m mb g gb`, booleans `yes`/`no`), so a redis.conf and
//! scripts written for redis-server work unchanged. Directives we do not know yet
//! are kept with a logged warning instead of failing the start.
//!
//! The table holds every parameter Redis 7.0.15 lists in `CONFIG GET *` (192
//! names, aliases included: `slave-*` = `replica-*`, `*-ziplist-*` =
//! `*-listpack-*`, `min-slaves-*`, `repl-ping-slave-period`, `cluster-slave-*`,
//! `slaveof` = `replicaof`, `lua-time-limit` = `busy-reply-threshold`), with
//! Redis's defaults, bounds, mutability and error texts.
//!
//! Acted on by the server: port, bind, tcp-backlog, tcp-keepalive, timeout,
//! databases, hz, maxclients, dir, loglevel, logfile, requirepass,
//! proto-max-bulk-len, client-query-buffer-limit, client-output-buffer-limit,
//! enable-debug-command, enable-protected-configs, active-expire-effort,
//! activerehashing, slowlog-log-slower-than, slowlog-max-len,
//! latency-monitor-threshold, latency-tracking, latency-tracking-info-percentiles,
//! maxmemory-policy (OBJECT FREQ/IDLETIME), maxmemory (INFO only: no eviction
//! yet).
//!
//! Validated, stored and reported but NOT acted on (the feature does not exist
//! in ferrodis yet): everything else. That is persistence (save, appendonly,
//! appendfsync, aof-*, rdb*, auto-aof-*, dbfilename, stop-writes-on-bgsave-error),
//! replication (replicaof, repl-*, replica-*, masterauth, masteruser,
//! min-replicas-*), cluster-*, tls-* (tls-port may only be 0: there is no TLS
//! listener, as a Redis built without TLS), eviction tuning (maxmemory-samples,
//! maxmemory-eviction-tenacity, maxmemory-clients, lfu-*), lazyfree-*, activedefrag
//! and active-defrag-* (activedefrag may only be `no`, as on a Redis without
//! a defrag-capable jemalloc), encoding thresholds (hash/list/set/zset/stream
//! sizes, hll-sparse-max-bytes), notify-keyspace-events,
//! ACL (aclfile, acllog-max-len, acl-pubsub-default), process settings
//! (daemonize, pidfile, supervised, syslog-*, oom-score-adj*, disable-thp,
//! set-proc-title, proc-title-template, *_cpulist, io-threads*, socket-mark-id,
//! unixsocket*), busy-reply-threshold, shutdown-*, tracking-table-max-keys,
//! crash-*, jemalloc-bg-thread, sanitize-dump-payload, propagation-error-behavior,
//! ignore-warnings, bind-source-addr, enable-module-command.

/// Output buffer limits of one client class (normal, replica, pubsub).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: u64,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub port: u16,
    pub bind: Vec<String>,
    pub protected_mode: bool,
    pub tcp_backlog: i64,
    pub tcp_keepalive: i64,
    pub timeout: i64,
    pub databases: usize,
    pub hz: i64,
    pub dynamic_hz: bool,
    pub maxclients: i64,
    pub dir: String,
    pub dbfilename: String,
    pub loglevel: String,
    pub logfile: String,
    pub pidfile: String,
    pub daemonize: bool,
    pub save: String,
    pub appendonly: bool,
    pub appendfsync: String,
    pub appendfilename: String,
    pub appenddirname: String,
    pub requirepass: String,
    pub proto_max_bulk_len: i64,
    pub client_query_buffer_limit: i64,
    pub client_output_buffer_limit: [OutputLimit; 3],
    pub enable_debug_command: String,
    pub maxmemory: u64,
    pub maxmemory_policy: String,
    pub active_expire_effort: i64,
    pub activerehashing: bool,
    /// Per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats).
    pub latency_tracking: bool,
    pub lazyfree_lazy_user_flush: bool,
    pub rdbcompression: bool,
    pub rdbchecksum: bool,
    pub stop_writes_on_bgsave_error: bool,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: i64,
    pub latency_monitor_threshold: i64,
    pub notify_keyspace_events: String,
    /// `notify_keyspace_events` as class bits (`server::notify`).
    pub notify_flags: u32,
    pub hash_max_listpack_entries: i64,
    pub hash_max_listpack_value: i64,
    pub list_max_listpack_size: i64,
    pub list_compress_depth: i64,
    pub set_max_intset_entries: i64,
    pub set_max_listpack_entries: i64,
    pub zset_max_listpack_entries: i64,
    pub zset_max_listpack_value: i64,
    pub replica_read_only: bool,
    pub io_threads: i64,
    /// Values of the parameters this server stores without acting on them
    /// (the `stored!` rows of PARAMS); a missing entry means the default.
    pub stored: std::collections::BTreeMap<&'static str, String>,
    /// Directives read from a file that this server does not know yet.
    pub unknown: Vec<(String, String)>,
}

impl Default for Config {
    fn default() -> Self {
        let normal = OutputLimit {
            hard: 0,
            soft: 0,
            soft_seconds: 0,
        };
        Config {
            port: 6379,
            bind: vec!["*".into(), "-::*".into()],
            protected_mode: true,
            tcp_backlog: 511,
            tcp_keepalive: 300,
            timeout: 0,
            databases: 16,
            hz: 10,
            dynamic_hz: true,
            maxclients: 10000,
            dir: ".".into(),
            dbfilename: "dump.rdb".into(),
            loglevel: "notice".into(),
            logfile: String::new(),
            pidfile: String::new(),
            daemonize: false,
            save: "3600 1 300 100 60 10000".into(),
            appendonly: false,
            appendfsync: "everysec".into(),
            appendfilename: "appendonly.aof".into(),
            appenddirname: "appendonlydir".into(),
            requirepass: String::new(),
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            client_output_buffer_limit: [
                normal,
                OutputLimit {
                    hard: 256 << 20,
                    soft: 64 << 20,
                    soft_seconds: 60,
                },
                OutputLimit {
                    hard: 32 << 20,
                    soft: 8 << 20,
                    soft_seconds: 60,
                },
            ],
            enable_debug_command: "no".into(),
            maxmemory: 0,
            maxmemory_policy: "noeviction".into(),
            active_expire_effort: 1,
            activerehashing: true,
            latency_tracking: true,
            lazyfree_lazy_user_flush: false,
            rdbcompression: true,
            rdbchecksum: true,
            stop_writes_on_bgsave_error: true,
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            latency_monitor_threshold: 0,
            notify_keyspace_events: String::new(),
            notify_flags: 0,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            set_max_intset_entries: 512,
            set_max_listpack_entries: 128,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            replica_read_only: true,
            io_threads: 1,
            stored: std::collections::BTreeMap::new(),
            unknown: Vec::new(),
        }
    }
}

/// One configuration parameter.
pub struct Param {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    /// CONFIG SET may change it while running.
    pub mutable: bool,
    pub get: fn(&Config) -> String,
    pub set: fn(&mut Config, &str) -> Result<(), String>,
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

fn parse_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("argument must be 'yes' or 'no'".into()),
    }
}

fn parse_int(v: &str, min: i64, max: i64) -> Result<i64, String> {
    // Strict, as Redis's string2ll: no sign `+`, no leading zeros, no spaces.
    let n = crate::util::numbers::parse_i64(v.as_bytes())
        .ok_or_else(|| "argument couldn't be parsed into an integer".to_string())?;
    if n < min || n > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(n)
}

/// A memory size as Redis's memtoull: digits with an optional unit
/// (b, k, kb, m, mb, g, gb; case-insensitive). k/m/g are powers of 1000,
/// kb/mb/gb powers of 1024. As Redis: a leading `-` is refused, an empty
/// number is 0, digits past u64 saturate and the unit multiplication wraps.
pub fn parse_memory(v: &str) -> Option<u64> {
    if v.starts_with('-') {
        return None;
    }
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if num.len() >= 128 {
        return None;
    }
    let n = num.bytes().fold(0u64, |acc, d| {
        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    Some(n.wrapping_mul(mul))
}

fn parse_mem(v: &str, min: i64, max: i64) -> Result<i64, String> {
    let n = parse_memory(v).ok_or_else(|| "argument must be a memory value".to_string())?;
    // Redis keeps signed memory parameters in a long long: larger values wrap.
    let n = n as i64;
    if n < min || n > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(n)
}

fn parse_enum(v: &str, allowed: &[&str]) -> Result<String, String> {
    let l = v.to_ascii_lowercase();
    if allowed.contains(&l.as_str()) {
        Ok(l)
    } else {
        Err(format!(
            "argument(s) must be one of the following: {}",
            allowed.join(", ")
        ))
    }
}

macro_rules! bool_param {
    ($name:expr, $field:ident, $mutable:expr) => {
        Param {
            name: $name,
            alias: None,
            mutable: $mutable,
            get: |c| yes_no(c.$field),
            set: |c, v| {
                c.$field = parse_bool(v)?;
                Ok(())
            },
        }
    };
}

macro_rules! int_param {
    ($name:expr, $field:ident, $min:expr, $max:expr, $mutable:expr) => {
        Param {
            name: $name,
            alias: None,
            mutable: $mutable,
            get: |c| c.$field.to_string(),
            set: |c, v| {
                c.$field = parse_int(v, $min, $max)? as _;
                Ok(())
            },
        }
    };
}

macro_rules! mem_param {
    ($name:expr, $field:ident, $min:expr, $max:expr, $mutable:expr) => {
        Param {
            name: $name,
            alias: None,
            mutable: $mutable,
            get: |c| c.$field.to_string(),
            set: |c, v| {
                c.$field = parse_mem(v, $min, $max)?;
                Ok(())
            },
        }
    };
}

macro_rules! str_param {
    ($name:expr, $field:ident, $mutable:expr) => {
        Param {
            name: $name,
            alias: None,
            mutable: $mutable,
            get: |c| c.$field.clone(),
            set: |c, v| {
                c.$field = v.to_string();
                Ok(())
            },
        }
    };
}

macro_rules! enum_param {
    ($name:expr, $field:ident, $allowed:expr, $mutable:expr) => {
        Param {
            name: $name,
            alias: None,
            mutable: $mutable,
            get: |c| c.$field.clone(),
            set: |c, v| {
                c.$field = parse_enum(v, $allowed)?;
                Ok(())
            },
        }
    };
}

const CLASS_NAMES: [&str; 3] = ["normal", "slave", "pubsub"];

fn get_obuf_limits(c: &Config) -> String {
    let mut parts = Vec::new();
    for (i, l) in c.client_output_buffer_limit.iter().enumerate() {
        parts.push(format!(
            "{} {} {} {}",
            CLASS_NAMES[i], l.hard, l.soft, l.soft_seconds
        ));
    }
    parts.join(" ")
}

fn set_obuf_limits(c: &mut Config, v: &str) -> Result<(), String> {
    // Words are split on single spaces, as Redis does (so stray spaces make
    // the count wrong); an empty value changes nothing.
    if v.is_empty() {
        return Ok(());
    }
    let words: Vec<&str> = v.split(' ').collect();
    if !words.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut limits = c.client_output_buffer_limit;
    for w in words.chunks(4) {
        let class = match w[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into())
            }
        };
        let hard = parse_memory(w[1]);
        let soft = parse_memory(w[2]);
        let secs = w[3].parse::<u64>().ok();
        match (hard, soft, secs) {
            (Some(hard), Some(soft), Some(soft_seconds)) => {
                limits[class] = OutputLimit {
                    hard,
                    soft,
                    soft_seconds,
                }
            }
            _ => {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                        .into(),
                )
            }
        }
    }
    c.client_output_buffer_limit = limits;
    Ok(())
}

/// `save "<seconds> <changes> ..."`: words split on single spaces (so extra
/// spaces are refused, as Redis does), seconds >= 1, changes >= 0; stored in
/// the normalized form CONFIG GET shows.
fn set_save(c: &mut Config, v: &str) -> Result<(), String> {
    let bad = || "Invalid save parameters".to_string();
    // Leading spaces come from joining an empty `save ""` word of a config
    // file with the words of a later `save` line.
    let v = v.trim_start_matches(' ');
    if v.is_empty() {
        c.save.clear();
        return Ok(());
    }
    let words: Vec<&str> = v.split(' ').collect();
    if !words.len().is_multiple_of(2) {
        return Err(bad());
    }
    let mut norm = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let n = crate::util::numbers::parse_i64(w.as_bytes()).ok_or_else(bad)?;
        if (i % 2 == 0 && n < 1) || n < 0 {
            return Err(bad());
        }
        norm.push(n.to_string());
    }
    c.save = norm.join(" ");
    Ok(())
}

/// Keyspace notification classes, in the order CONFIG GET prints them.
const NOTIFY_CLASSES: &[u8] = b"g$lshzxetd";

/// `notify-keyspace-events`: validates the class characters and stores them in
/// Redis's canonical order (`A` when every class of `A` is there, then `n`, `K`,
/// `E`, `m`), so `KEA` reads back as `AKE`.
fn set_notify(c: &mut Config, v: &str) -> Result<(), String> {
    let mut seen = [false; 256];
    for &b in v.as_bytes() {
        match b {
            b'A' => NOTIFY_CLASSES
                .iter()
                .for_each(|&x| seen[usize::from(x)] = true),
            b'g' | b'$' | b'l' | b's' | b'h' | b'z' | b'x' | b'e' | b't' | b'd' | b'n' | b'm'
            | b'K' | b'E' => seen[usize::from(b)] = true,
            _ => return Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
        }
    }
    let mut out = String::new();
    if NOTIFY_CLASSES.iter().all(|&x| seen[usize::from(x)]) {
        out.push('A');
    } else {
        for &x in NOTIFY_CLASSES.iter().chain(b"n") {
            if seen[usize::from(x)] {
                out.push(char::from(x));
            }
        }
    }
    for &x in b"KEm" {
        if seen[usize::from(x)] {
            out.push(char::from(x));
        }
    }
    // From the letters given: the canonical form drops `n` next to `A`, but
    // Redis still publishes `new` events then.
    c.notify_flags = crate::server::notify::parse_flags(v);
    c.notify_keyspace_events = out;
    Ok(())
}

/// Gives a parameter its legacy alias (`hash-max-ziplist-entries`...).
const fn aliased(mut p: Param, alias: &'static str) -> Param {
    p.alias = Some(alias);
    p
}

const LOGLEVELS: &[&str] = &["debug", "verbose", "notice", "warning"];
const POLICIES: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];
const FSYNC: &[&str] = &["everysec", "always", "no"];
const DEBUG_CMD: &[&str] = &["no", "yes", "local"];

const I32_MAX: i64 = i32::MAX as i64;
const U32_MAX: i64 = u32::MAX as i64;

/// How a stored parameter's value is validated and normalized.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// `yes` / `no`.
    Bool,
    /// An integer within the bounds (strict syntax, no units).
    Int(i64, i64),
    /// A memory size (`k kb m mb g gb` units) within the bounds.
    Mem(i64, i64),
    /// A memory size kept unsigned (any value up to u64::MAX).
    UMem,
    /// One of the listed words (case-insensitive, stored lower case).
    Enum(&'static [&'static str]),
    /// Any text.
    Str,
    /// `activedefrag`: only `no`, as on a Redis built without a defrag-capable jemalloc.
    Defrag,
    /// `tls-port`: only 0 (ferrodis has no TLS listener).
    TlsPort,
    /// `tls-cluster`, `tls-replication`: only `no` (no TLS).
    TlsBool,
    /// `cluster-announce-hostname`: letters, digits, `-` and `.` (or empty).
    Hostname,
    /// `proc-title-template`: `{name}` variables Redis knows.
    ProcTitle,
    /// `unixsocketperm`: an octal permission mask.
    Octal,
    /// `replicaof`/`slaveof`: `<host> <port>`.
    ReplicaOf,
    /// `latency-tracking-info-percentiles`: numbers in 0..=100.
    Percentiles,
    /// `maxmemory-clients`: a memory size or `N%`.
    MemOrPercent,
    /// `repl-backlog-size`: a memory size, raised to the 16 KiB minimum.
    Backlog,
    /// `oom-score-adj-values`: three integers in -2000..=2000.
    OomValues,
}

/// What Redis answers when TLS cannot be set up (ferrodis has no TLS).
const TLS_UNAVAILABLE: &str = "Unable to update TLS configuration. Check server logs.";

/// C's strtod for one whole word (decimal, exponent, `inf`, `nan`, and
/// `0x` hexadecimal integers); None unless the whole word is a number.
fn parse_c_double(w: &str) -> Option<f64> {
    let (neg, body) = match w.as_bytes().first() {
        Some(b'-') => (true, &w[1..]),
        Some(b'+') => (false, &w[1..]),
        _ => (false, w),
    };
    let v = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        hex.bytes().fold(0f64, |acc, b| {
            acc * 16.0 + f64::from((b as char).to_digit(16).unwrap_or(0))
        })
    } else {
        if body.starts_with(['+', '-']) {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// A double as Redis prints these percentiles: six decimals, trailing zeros
/// (and a trailing dot) removed.
fn fmt_percentile(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

fn check_percentiles(v: &str) -> Result<String, String> {
    if v.is_empty() {
        return Ok(String::new());
    }
    let mut out = Vec::new();
    for w in v.split(' ') {
        let x = parse_c_double(w)
            .filter(|x| !x.is_nan())
            .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
        if !(0.0..=100.0).contains(&x) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .into(),
            );
        }
        out.push(fmt_percentile(x));
    }
    Ok(out.join(" "))
}

fn check_mem_or_percent(v: &str) -> Result<String, String> {
    const BAD: &str = "argument must be a memory or percent value";
    if let Some(num) = v.strip_suffix('%') {
        if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BAD.into());
        }
        let n: u64 = num.parse().unwrap_or(u64::MAX);
        if n > 100 {
            return Err("percentage argument must be less or equal to 100".into());
        }
        return Ok(if n == 0 { "0".into() } else { format!("{n}%") });
    }
    // Redis keeps a percentage as a negative number in the same signed
    // field, so a size that wraps negative reads back as a percentage.
    let n = parse_memory(v).ok_or(BAD)? as i64;
    if n < 0 {
        let pct = -i128::from(n);
        if pct > 100 {
            return Err("percentage argument must be less or equal to 100".into());
        }
        return Ok(format!("{pct}%"));
    }
    Ok(n.to_string())
}

fn check_oom_values(v: &str) -> Result<String, String> {
    let words: Vec<&str> = v.split(' ').collect();
    if words.len() != 3 {
        return Err("wrong number of arguments".into());
    }
    let mut out = Vec::new();
    for w in words {
        let digits = w.strip_prefix(['+', '-']).unwrap_or(w);
        let n = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            w.parse::<i64>().ok()
        } else {
            None
        };
        match n {
            Some(n) if (-2000..=2000).contains(&n) => out.push(n.to_string()),
            _ => {
                return Err(
                    "Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into(),
                )
            }
        }
    }
    Ok(out.join(" "))
}

/// proc-title-template: `{{` and `}}` are literal braces, `{name}` one of
/// the known variables; the title it gives (with an empty program name)
/// must not be blank.
fn check_proc_title(v: &str) -> Result<String, String> {
    const BAD: &str = "template format is invalid or contains unknown variables";
    let b = v.as_bytes();
    let mut i = 0;
    let mut visible = false;
    while i < b.len() {
        if b[i] == b'{' && b.get(i + 1) == Some(&b'{') {
            visible = true;
            i += 2;
        } else if b[i] == b'{' {
            let end = b[i..].iter().position(|&c| c == b'}').ok_or(BAD)? + i;
            match &v[i + 1..end] {
                // These expand to text that is never empty here.
                "listen-addr" | "port" | "tls-port" | "config-file" => visible = true,
                // Empty in a standalone server without a unix socket, and the
                // program name is left out of the check.
                "title" | "server-mode" | "unixsocket" => {}
                _ => return Err(BAD.into()),
            }
            i = end + 1;
        } else {
            if !b[i].is_ascii_whitespace() {
                visible = true;
            }
            i += if b[i] == b'}' && b.get(i + 1) == Some(&b'}') {
                2
            } else {
                1
            };
        }
    }
    if visible {
        Ok(v.to_string())
    } else {
        Err(BAD.into())
    }
}

impl Kind {
    /// Validates a value and returns it in the form CONFIG GET shows.
    fn check(self, v: &str) -> Result<String, String> {
        match self {
            Kind::Bool => parse_bool(v).map(yes_no),
            Kind::Int(min, max) => parse_int(v, min, max).map(|n| n.to_string()),
            Kind::Mem(min, max) => parse_mem(v, min, max).map(|n| n.to_string()),
            Kind::UMem => parse_memory(v)
                .map(|n| n.to_string())
                .ok_or_else(|| "argument must be a memory value".into()),
            Kind::Enum(allowed) => parse_enum(v, allowed),
            Kind::Str => Ok(v.to_string()),
            Kind::Defrag => {
                if parse_bool(v)? {
                    Err("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution".into())
                } else {
                    Ok("no".into())
                }
            }
            Kind::TlsPort => {
                let n = parse_int(v, 0, 65535)?;
                if n != 0 {
                    return Err(TLS_UNAVAILABLE.into());
                }
                Ok("0".into())
            }
            Kind::TlsBool => {
                if parse_bool(v)? {
                    Err(TLS_UNAVAILABLE.into())
                } else {
                    Ok("no".into())
                }
            }
            Kind::Hostname => {
                if v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
                {
                    Ok(v.to_string())
                } else {
                    Err(
                        "Hostnames may only contain alphanumeric characters, hyphens or dots"
                            .into(),
                    )
                }
            }
            Kind::ProcTitle => check_proc_title(v),
            Kind::Octal => match i64::from_str_radix(v, 8) {
                Ok(n) if !v.starts_with(['+', '-']) && n <= 0o7777 => Ok(format!("{n:o}")),
                _ => Err("argument couldn't be parsed as an octal number".into()),
            },
            Kind::ReplicaOf => {
                if v.split_whitespace().count() == 2 {
                    Ok(v.split_whitespace().collect::<Vec<_>>().join(" "))
                } else {
                    Err("wrong number of arguments".into())
                }
            }
            Kind::Percentiles => check_percentiles(v),
            Kind::MemOrPercent => check_mem_or_percent(v),
            Kind::Backlog => parse_mem(v, 1, i64::MAX).map(|n| n.max(16 * 1024).to_string()),
            Kind::OomValues => check_oom_values(v),
        }
    }
}

/// A parameter kept in `Config::stored`: validated as Redis does, reported
/// by CONFIG GET, not acted on by this server.
macro_rules! stored {
    ($name:literal, $alias:expr, $mutable:expr, $kind:expr, $default:literal) => {
        Param {
            name: $name,
            alias: $alias,
            mutable: $mutable,
            get: |c| c.stored_get($name, $default),
            set: |c, v| {
                let v = $kind.check(v)?;
                c.stored.insert($name, v);
                Ok(())
            },
        }
    };
}

impl Config {
    fn stored_get(&self, name: &str, default: &str) -> String {
        self.stored
            .get(name)
            .cloned()
            .unwrap_or_else(|| default.to_string())
    }

    /// The current value of any parameter by name or alias.
    pub fn value_of(&self, name: &str) -> Option<String> {
        find_param(name).map(|p| (p.get)(self))
    }

    /// `latency-tracking-info-percentiles` as numbers (INFO latencystats).
    pub fn latency_percentiles(&self) -> Vec<f64> {
        self.value_of("latency-tracking-info-percentiles")
            .unwrap_or_default()
            .split(' ')
            .filter_map(|w| w.parse().ok())
            .collect()
    }
}

/// Every parameter this server knows, in no particular order.
pub static PARAMS: &[Param] = &[
    // port and bind are mutable in Redis; CONFIG SET refuses an actual change
    // (the listeners are not rebound at runtime) but accepts the same value.
    int_param!("port", port, 0, 65535, true),
    Param {
        name: "bind",
        alias: None,
        mutable: true,
        get: |c| c.bind.join(" "),
        set: |c, v| {
            c.bind = v.split_whitespace().map(str::to_string).collect();
            Ok(())
        },
    },
    bool_param!("protected-mode", protected_mode, true),
    int_param!("tcp-backlog", tcp_backlog, 0, i32::MAX as i64, false),
    int_param!("tcp-keepalive", tcp_keepalive, 0, i32::MAX as i64, true),
    int_param!("timeout", timeout, 0, i32::MAX as i64, true),
    int_param!("databases", databases, 1, i32::MAX as i64, false),
    Param {
        name: "hz",
        alias: None,
        mutable: true,
        get: |c| c.hz.to_string(),
        set: |c, v| {
            // Any int is accepted; the value kept is clamped to 1..500.
            c.hz = parse_int(v, 0, i32::MAX as i64)?.clamp(1, 500);
            Ok(())
        },
    },
    bool_param!("dynamic-hz", dynamic_hz, true),
    int_param!("maxclients", maxclients, 1, u32::MAX as i64, true),
    Param {
        name: "dir",
        alias: None,
        mutable: true,
        // As Redis: the working directory itself is the setting.
        get: |c| {
            std::env::current_dir()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| c.dir.clone())
        },
        set: |c, v| {
            std::env::set_current_dir(v).map_err(|e| {
                let mut s = e.to_string();
                if let Some(i) = s.find(" (os error") {
                    s.truncate(i);
                }
                s
            })?;
            c.dir = v.to_string();
            Ok(())
        },
    },
    str_param!("dbfilename", dbfilename, true),
    enum_param!("loglevel", loglevel, LOGLEVELS, true),
    str_param!("logfile", logfile, false),
    str_param!("pidfile", pidfile, false),
    bool_param!("daemonize", daemonize, false),
    Param {
        name: "save",
        alias: None,
        mutable: true,
        get: |c| c.save.clone(),
        set: set_save,
    },
    bool_param!("appendonly", appendonly, true),
    enum_param!("appendfsync", appendfsync, FSYNC, true),
    str_param!("appendfilename", appendfilename, false),
    str_param!("appenddirname", appenddirname, false),
    str_param!("requirepass", requirepass, true),
    mem_param!(
        "proto-max-bulk-len",
        proto_max_bulk_len,
        1024 * 1024,
        i64::MAX,
        true
    ),
    mem_param!(
        "client-query-buffer-limit",
        client_query_buffer_limit,
        1024 * 1024,
        i64::MAX,
        true
    ),
    Param {
        name: "client-output-buffer-limit",
        alias: None,
        mutable: true,
        get: get_obuf_limits,
        set: set_obuf_limits,
    },
    enum_param!(
        "enable-debug-command",
        enable_debug_command,
        DEBUG_CMD,
        false
    ),
    Param {
        name: "maxmemory",
        alias: None,
        mutable: true,
        get: |c| c.maxmemory.to_string(),
        set: |c, v| {
            c.maxmemory = parse_memory(v).ok_or("argument must be a memory value")?;
            Ok(())
        },
    },
    enum_param!("maxmemory-policy", maxmemory_policy, POLICIES, true),
    int_param!("active-expire-effort", active_expire_effort, 1, 10, true),
    bool_param!("activerehashing", activerehashing, true),
    bool_param!("lazyfree-lazy-user-flush", lazyfree_lazy_user_flush, true),
    bool_param!("rdbcompression", rdbcompression, true),
    bool_param!("rdbchecksum", rdbchecksum, false),
    bool_param!(
        "stop-writes-on-bgsave-error",
        stop_writes_on_bgsave_error,
        true
    ),
    int_param!(
        "slowlog-log-slower-than",
        slowlog_log_slower_than,
        -1,
        i64::MAX,
        true
    ),
    int_param!("slowlog-max-len", slowlog_max_len, 0, i64::MAX, true),
    int_param!(
        "latency-monitor-threshold",
        latency_monitor_threshold,
        0,
        i64::MAX,
        true
    ),
    Param {
        name: "notify-keyspace-events",
        alias: None,
        mutable: true,
        get: |c| c.notify_keyspace_events.clone(),
        set: set_notify,
    },
    aliased(
        int_param!(
            "hash-max-listpack-entries",
            hash_max_listpack_entries,
            0,
            i64::MAX,
            true
        ),
        "hash-max-ziplist-entries",
    ),
    aliased(
        mem_param!(
            "hash-max-listpack-value",
            hash_max_listpack_value,
            0,
            i64::MAX,
            true
        ),
        "hash-max-ziplist-value",
    ),
    aliased(
        int_param!(
            "list-max-listpack-size",
            list_max_listpack_size,
            i32::MIN as i64,
            i32::MAX as i64,
            true
        ),
        "list-max-ziplist-size",
    ),
    int_param!(
        "list-compress-depth",
        list_compress_depth,
        0,
        i32::MAX as i64,
        true
    ),
    int_param!(
        "set-max-intset-entries",
        set_max_intset_entries,
        0,
        i64::MAX,
        true
    ),
    // set-max-listpack-entries is a Redis 7.2 parameter: 7.0 does not know it.
    aliased(
        int_param!(
            "zset-max-listpack-entries",
            zset_max_listpack_entries,
            0,
            i64::MAX,
            true
        ),
        "zset-max-ziplist-entries",
    ),
    aliased(
        mem_param!(
            "zset-max-listpack-value",
            zset_max_listpack_value,
            0,
            i64::MAX,
            true
        ),
        "zset-max-ziplist-value",
    ),
    aliased(
        bool_param!("replica-read-only", replica_read_only, true),
        "slave-read-only",
    ),
    int_param!("io-threads", io_threads, 1, 128, false),
    // Parameters of features ferrodis does not have (or does not act on
    // yet): validated as Redis validates them, stored, reported, rewritten.
    stored!(
        "acl-pubsub-default",
        None,
        true,
        Kind::Enum(&["allchannels", "resetchannels"]),
        "resetchannels"
    ),
    stored!("aclfile", None, false, Kind::Str, ""),
    stored!("acllog-max-len", None, true, Kind::Int(0, i64::MAX), "128"),
    stored!(
        "active-defrag-cycle-max",
        None,
        true,
        Kind::Int(1, 99),
        "25"
    ),
    stored!("active-defrag-cycle-min", None, true, Kind::Int(1, 99), "1"),
    stored!(
        "active-defrag-ignore-bytes",
        None,
        true,
        Kind::Mem(1, i64::MAX),
        "104857600"
    ),
    stored!(
        "active-defrag-max-scan-fields",
        None,
        true,
        Kind::Int(1, i64::MAX),
        "1000"
    ),
    stored!(
        "active-defrag-threshold-lower",
        None,
        true,
        Kind::Int(0, 1000),
        "10"
    ),
    stored!(
        "active-defrag-threshold-upper",
        None,
        true,
        Kind::Int(0, 1000),
        "100"
    ),
    stored!("activedefrag", None, true, Kind::Defrag, "no"),
    stored!("always-show-logo", None, false, Kind::Bool, "no"),
    stored!("aof-disable-auto-gc", None, true, Kind::Bool, "no"),
    stored!("aof-load-truncated", None, true, Kind::Bool, "yes"),
    stored!(
        "aof-rewrite-incremental-fsync",
        None,
        true,
        Kind::Bool,
        "yes"
    ),
    stored!("aof-timestamp-enabled", None, true, Kind::Bool, "no"),
    stored!("aof-use-rdb-preamble", None, true, Kind::Bool, "yes"),
    stored!("aof_rewrite_cpulist", None, false, Kind::Str, ""),
    stored!(
        "auto-aof-rewrite-min-size",
        None,
        true,
        Kind::Mem(0, i64::MAX),
        "67108864"
    ),
    stored!(
        "auto-aof-rewrite-percentage",
        None,
        true,
        Kind::Int(0, I32_MAX),
        "100"
    ),
    stored!("bgsave_cpulist", None, false, Kind::Str, ""),
    stored!("bind-source-addr", None, true, Kind::Str, ""),
    stored!("bio_cpulist", None, false, Kind::Str, ""),
    stored!(
        "busy-reply-threshold",
        Some("lua-time-limit"),
        true,
        Kind::Int(0, i64::MAX),
        "5000"
    ),
    stored!(
        "cluster-allow-pubsubshard-when-down",
        None,
        true,
        Kind::Bool,
        "yes"
    ),
    stored!(
        "cluster-allow-reads-when-down",
        None,
        true,
        Kind::Bool,
        "no"
    ),
    stored!(
        "cluster-allow-replica-migration",
        None,
        true,
        Kind::Bool,
        "yes"
    ),
    stored!(
        "cluster-announce-bus-port",
        None,
        true,
        Kind::Int(0, 65535),
        "0"
    ),
    stored!("cluster-announce-hostname", None, true, Kind::Hostname, ""),
    stored!("cluster-announce-ip", None, true, Kind::Str, ""),
    stored!(
        "cluster-announce-port",
        None,
        true,
        Kind::Int(0, 65535),
        "0"
    ),
    stored!(
        "cluster-announce-tls-port",
        None,
        true,
        Kind::Int(0, 65535),
        "0"
    ),
    stored!("cluster-config-file", None, false, Kind::Str, "nodes.conf"),
    stored!("cluster-enabled", None, false, Kind::Bool, "no"),
    stored!("cluster-link-sendbuf-limit", None, true, Kind::UMem, "0"),
    stored!(
        "cluster-migration-barrier",
        None,
        true,
        Kind::Int(0, I32_MAX),
        "1"
    ),
    stored!(
        "cluster-node-timeout",
        None,
        true,
        Kind::Int(0, i64::MAX),
        "15000"
    ),
    stored!("cluster-port", None, false, Kind::Int(0, 65535), "0"),
    stored!(
        "cluster-preferred-endpoint-type",
        None,
        true,
        Kind::Enum(&["ip", "hostname", "unknown-endpoint"]),
        "ip"
    ),
    stored!(
        "cluster-replica-no-failover",
        Some("cluster-slave-no-failover"),
        true,
        Kind::Bool,
        "no"
    ),
    stored!(
        "cluster-replica-validity-factor",
        Some("cluster-slave-validity-factor"),
        true,
        Kind::Int(0, I32_MAX),
        "10"
    ),
    stored!(
        "cluster-require-full-coverage",
        None,
        true,
        Kind::Bool,
        "yes"
    ),
    stored!("crash-log-enabled", None, true, Kind::Bool, "yes"),
    stored!("crash-memcheck-enabled", None, true, Kind::Bool, "yes"),
    stored!("disable-thp", None, false, Kind::Bool, "yes"),
    stored!(
        "enable-module-command",
        None,
        false,
        Kind::Enum(&["no", "yes", "local"]),
        "no"
    ),
    stored!(
        "enable-protected-configs",
        None,
        false,
        Kind::Enum(&["no", "yes", "local"]),
        "no"
    ),
    stored!(
        "hll-sparse-max-bytes",
        None,
        true,
        Kind::Mem(0, i64::MAX),
        "3000"
    ),
    stored!("ignore-warnings", None, true, Kind::Str, ""),
    stored!("io-threads-do-reads", None, false, Kind::Bool, "no"),
    stored!("jemalloc-bg-thread", None, true, Kind::Bool, "yes"),
    bool_param!("latency-tracking", latency_tracking, true),
    stored!(
        "latency-tracking-info-percentiles",
        None,
        true,
        Kind::Percentiles,
        "50 99 99.9"
    ),
    stored!("lazyfree-lazy-eviction", None, true, Kind::Bool, "no"),
    stored!("lazyfree-lazy-expire", None, true, Kind::Bool, "no"),
    stored!("lazyfree-lazy-server-del", None, true, Kind::Bool, "no"),
    stored!("lazyfree-lazy-user-del", None, true, Kind::Bool, "no"),
    stored!("lfu-decay-time", None, true, Kind::Int(0, I32_MAX), "1"),
    stored!("lfu-log-factor", None, true, Kind::Int(0, I32_MAX), "10"),
    stored!("masterauth", None, true, Kind::Str, ""),
    stored!("masteruser", None, true, Kind::Str, ""),
    stored!("maxmemory-clients", None, true, Kind::MemOrPercent, "0"),
    stored!(
        "maxmemory-eviction-tenacity",
        None,
        true,
        Kind::Int(0, 100),
        "10"
    ),
    stored!("maxmemory-samples", None, true, Kind::Int(1, I32_MAX), "5"),
    stored!(
        "min-replicas-max-lag",
        Some("min-slaves-max-lag"),
        true,
        Kind::Int(0, I32_MAX),
        "10"
    ),
    stored!(
        "min-replicas-to-write",
        Some("min-slaves-to-write"),
        true,
        Kind::Int(0, I32_MAX),
        "0"
    ),
    stored!("no-appendfsync-on-rewrite", None, true, Kind::Bool, "no"),
    stored!(
        "oom-score-adj",
        None,
        true,
        Kind::Enum(&["no", "yes", "relative", "absolute"]),
        "no"
    ),
    stored!(
        "oom-score-adj-values",
        None,
        true,
        Kind::OomValues,
        "0 200 800"
    ),
    stored!(
        "proc-title-template",
        None,
        true,
        Kind::ProcTitle,
        "{title} {listen-addr} {server-mode}"
    ),
    stored!(
        "propagation-error-behavior",
        None,
        true,
        Kind::Enum(&["ignore", "panic", "panic-on-replicas"]),
        "ignore"
    ),
    stored!("rdb-del-sync-files", None, true, Kind::Bool, "no"),
    stored!("rdb-save-incremental-fsync", None, true, Kind::Bool, "yes"),
    stored!("repl-backlog-size", None, true, Kind::Backlog, "1048576"),
    stored!(
        "repl-backlog-ttl",
        None,
        true,
        Kind::Int(0, i64::MAX),
        "3600"
    ),
    stored!("repl-disable-tcp-nodelay", None, true, Kind::Bool, "no"),
    stored!(
        "repl-diskless-load",
        None,
        true,
        Kind::Enum(&["disabled", "on-empty-db", "swapdb"]),
        "disabled"
    ),
    stored!("repl-diskless-sync", None, true, Kind::Bool, "yes"),
    stored!(
        "repl-diskless-sync-delay",
        None,
        true,
        Kind::Int(0, I32_MAX),
        "5"
    ),
    stored!(
        "repl-diskless-sync-max-replicas",
        None,
        true,
        Kind::Int(0, I32_MAX),
        "0"
    ),
    stored!(
        "repl-ping-replica-period",
        Some("repl-ping-slave-period"),
        true,
        Kind::Int(1, I32_MAX),
        "10"
    ),
    stored!("repl-timeout", None, true, Kind::Int(1, I32_MAX), "60"),
    stored!(
        "replica-announce-ip",
        Some("slave-announce-ip"),
        true,
        Kind::Str,
        ""
    ),
    stored!(
        "replica-announce-port",
        Some("slave-announce-port"),
        true,
        Kind::Int(0, 65535),
        "0"
    ),
    stored!("replica-announced", None, true, Kind::Bool, "yes"),
    stored!(
        "replica-ignore-disk-write-errors",
        None,
        true,
        Kind::Bool,
        "no"
    ),
    stored!(
        "replica-ignore-maxmemory",
        Some("slave-ignore-maxmemory"),
        true,
        Kind::Bool,
        "yes"
    ),
    stored!(
        "replica-lazy-flush",
        Some("slave-lazy-flush"),
        true,
        Kind::Bool,
        "no"
    ),
    stored!(
        "replica-priority",
        Some("slave-priority"),
        true,
        Kind::Int(0, I32_MAX),
        "100"
    ),
    stored!(
        "replica-serve-stale-data",
        Some("slave-serve-stale-data"),
        true,
        Kind::Bool,
        "yes"
    ),
    stored!("replicaof", Some("slaveof"), false, Kind::ReplicaOf, ""),
    stored!(
        "sanitize-dump-payload",
        None,
        true,
        Kind::Enum(&["no", "yes", "clients"]),
        "no"
    ),
    stored!("server_cpulist", None, false, Kind::Str, ""),
    stored!("set-proc-title", None, false, Kind::Bool, "yes"),
    stored!(
        "shutdown-on-sigint",
        None,
        true,
        Kind::Enum(&["default", "save", "nosave", "now", "force"]),
        "default"
    ),
    stored!(
        "shutdown-on-sigterm",
        None,
        true,
        Kind::Enum(&["default", "save", "nosave", "now", "force"]),
        "default"
    ),
    stored!("shutdown-timeout", None, true, Kind::Int(0, I32_MAX), "10"),
    stored!("socket-mark-id", None, false, Kind::Int(0, U32_MAX), "0"),
    stored!(
        "stream-node-max-bytes",
        None,
        true,
        Kind::Mem(0, i64::MAX),
        "4096"
    ),
    stored!(
        "stream-node-max-entries",
        None,
        true,
        Kind::Int(0, i64::MAX),
        "100"
    ),
    stored!(
        "supervised",
        None,
        false,
        Kind::Enum(&["upstart", "systemd", "auto", "no"]),
        "no"
    ),
    stored!("syslog-enabled", None, false, Kind::Bool, "no"),
    stored!(
        "syslog-facility",
        None,
        false,
        Kind::Enum(&[
            "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"
        ]),
        "local0"
    ),
    stored!("syslog-ident", None, false, Kind::Str, "redis"),
    stored!(
        "tls-auth-clients",
        None,
        true,
        Kind::Enum(&["no", "yes", "optional"]),
        "yes"
    ),
    stored!("tls-ca-cert-dir", None, true, Kind::Str, ""),
    stored!("tls-ca-cert-file", None, true, Kind::Str, ""),
    stored!("tls-cert-file", None, true, Kind::Str, ""),
    stored!("tls-ciphers", None, true, Kind::Str, ""),
    stored!("tls-ciphersuites", None, true, Kind::Str, ""),
    stored!("tls-client-cert-file", None, true, Kind::Str, ""),
    stored!("tls-client-key-file", None, true, Kind::Str, ""),
    stored!("tls-client-key-file-pass", None, true, Kind::Str, ""),
    stored!("tls-cluster", None, true, Kind::TlsBool, "no"),
    stored!("tls-dh-params-file", None, true, Kind::Str, ""),
    stored!("tls-key-file", None, true, Kind::Str, ""),
    stored!("tls-key-file-pass", None, true, Kind::Str, ""),
    stored!("tls-port", None, true, Kind::TlsPort, "0"),
    stored!("tls-prefer-server-ciphers", None, true, Kind::Bool, "no"),
    stored!("tls-protocols", None, true, Kind::Str, ""),
    stored!("tls-replication", None, true, Kind::TlsBool, "no"),
    stored!(
        "tls-session-cache-size",
        None,
        true,
        Kind::Int(0, I32_MAX),
        "20480"
    ),
    stored!(
        "tls-session-cache-timeout",
        None,
        true,
        Kind::Int(0, I32_MAX),
        "300"
    ),
    stored!("tls-session-caching", None, true, Kind::Bool, "yes"),
    stored!(
        "tracking-table-max-keys",
        None,
        true,
        Kind::Int(0, i64::MAX),
        "1000000"
    ),
    stored!("unixsocket", None, false, Kind::Str, ""),
    stored!("unixsocketperm", None, false, Kind::Octal, "0"),
];

/// Finds a parameter by name or alias (case-insensitive).
pub fn find_param(name: &str) -> Option<&'static Param> {
    PARAMS.iter().find(|p| {
        p.name.eq_ignore_ascii_case(name) || p.alias.is_some_and(|a| a.eq_ignore_ascii_case(name))
    })
}

/// A startup configuration error, printed the way Redis prints it.
#[derive(Debug)]
pub struct ConfigError {
    pub line: usize,
    pub text: String,
    pub reason: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "\n*** FATAL CONFIG FILE ERROR (ferrodis {}) ***",
            crate::REDIS_VERSION
        )?;
        writeln!(f, "Reading the configuration file, at line {}", self.line)?;
        writeln!(f, ">>> '{}'", self.text)?;
        write!(f, "{}", self.reason)
    }
}

/// Splits a config line into words with the same quoting rules as inline commands.
fn split_line(line: &str) -> Result<Vec<String>, String> {
    let mut bytes = line.as_bytes().to_vec();
    let mut ranges = Vec::new();
    crate::protocol::parser::split_args_in_place(&mut bytes, 0, &mut ranges)
        .map_err(|_| "Unbalanced quotes in configuration line".to_string())?;
    Ok(ranges
        .into_iter()
        .map(|(a, b)| String::from_utf8_lossy(&bytes[a..b]).into_owned())
        .collect())
}

impl Config {
    /// Applies one directive (`name` and its words), as from a file or arguments.
    pub fn apply(&mut self, name: &str, words: &[String]) -> Result<(), String> {
        let lname = name.to_ascii_lowercase();
        match find_param(&lname) {
            Some(p) => {
                if words.is_empty() {
                    return Err("wrong number of arguments".into());
                }
                (p.set)(self, &words.join(" "))
            }
            None => {
                // Logged by the caller once logging is set up (the log target
                // itself comes from this configuration).
                self.unknown.push((lname, words.join(" ")));
                Ok(())
            }
        }
    }

    /// Reads a redis.conf-style text. Errors name the line, as Redis does.
    pub fn load_text(&mut self, text: &str) -> Result<(), ConfigError> {
        // `save` lines accumulate: the first one replaces the default points.
        let mut saves: Option<Vec<String>> = None;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fail = |reason: String| ConfigError {
                line: i + 1,
                text: line.to_string(),
                reason,
            };
            let words = split_line(line).map_err(fail)?;
            let Some((name, rest)) = words.split_first() else {
                continue;
            };
            if name.eq_ignore_ascii_case("include") {
                for path in rest {
                    let t = std::fs::read_to_string(path).map_err(|e| {
                        fail(format!("Fatal error, can't open config file '{path}': {e}"))
                    })?;
                    self.load_text(&t)?;
                }
                continue;
            }
            if name.eq_ignore_ascii_case("save") {
                let all = saves.get_or_insert_with(Vec::new);
                all.extend(rest.iter().cloned());
                set_save(self, &all.join(" ")).map_err(fail)?;
                continue;
            }
            self.apply(name, rest).map_err(fail)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(c: &mut Config, name: &str, v: &str) -> Result<(), String> {
        (find_param(name).expect("known parameter").set)(c, v)
    }

    fn get(c: &Config, name: &str) -> String {
        c.value_of(name).expect("known parameter")
    }

    #[test]
    fn names_and_aliases_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for p in PARAMS {
            for n in std::iter::once(p.name).chain(p.alias) {
                assert!(seen.insert(n), "{n} twice");
            }
        }
        // 7.0.15 reports 192 names in CONFIG GET *.
        assert_eq!(seen.len(), 192);
    }

    #[test]
    fn stored_parameters_keep_normalized_values() {
        let mut c = Config::default();
        assert_eq!(get(&c, "repl-backlog-size"), "1048576");
        set(&mut c, "repl-backlog-size", "2mb").unwrap();
        assert_eq!(get(&c, "repl-backlog-size"), "2097152");
        set(&mut c, "slave-lazy-flush", "YES").unwrap();
        assert_eq!(get(&c, "replica-lazy-flush"), "yes");
        set(&mut c, "repl-diskless-load", "SwapDB").unwrap();
        assert_eq!(get(&c, "repl-diskless-load"), "swapdb");
        assert!(set(&mut c, "maxmemory-samples", "0").is_err());
        assert_eq!(get(&c, "maxmemory-samples"), "5");
    }

    #[test]
    fn special_parameters() {
        assert_eq!(
            check_percentiles("50.5000 1e1 0x10 99.99999 1.0000001").unwrap(),
            "50.5 10 16 99.99999 1"
        );
        assert!(check_percentiles("nan").is_err());
        assert!(check_percentiles("50 ").is_err());
        assert_eq!(check_mem_or_percent("10%").unwrap(), "10%");
        assert_eq!(check_mem_or_percent("0%").unwrap(), "0");
        assert!(check_mem_or_percent("101%").is_err());
        assert_eq!(check_oom_values("+1 02 -3").unwrap(), "1 2 -3");
        assert!(check_oom_values("1 2").is_err());
        assert!(check_proc_title("{title}{title}").is_err());
        assert!(check_proc_title("{{title}}").is_ok());
        assert!(check_proc_title("{port}}").is_ok());
        assert!(check_proc_title("{title").is_err());
        assert_eq!(Kind::Octal.check("700").unwrap(), "700");
        assert!(Kind::Octal.check("9").is_err());
        assert!(Kind::TlsPort.check("6380").is_err());
        assert!(Kind::Defrag.check("yes").is_err());
    }

    #[test]
    fn config_file_directives_of_stored_parameters() {
        let mut c = Config::default();
        c.load_text("replicaof 10.0.0.1 6379\noom-score-adj-values 1 2 3\nslave-priority 5\n")
            .unwrap();
        assert_eq!(get(&c, "slaveof"), "10.0.0.1 6379");
        assert_eq!(get(&c, "oom-score-adj-values"), "1 2 3");
        assert_eq!(get(&c, "replica-priority"), "5");
        assert!(c.unknown.is_empty());
        let e = Config::default()
            .load_text("replicaof onlyhost\n")
            .unwrap_err();
        assert_eq!(e.reason, "wrong number of arguments");
    }
}
