//! Server configuration: one declarative table of parameters, read from a
//! redis.conf-style file and `--name value` arguments, served by CONFIG GET/SET.
//!
//! Each row names a parameter (and its alias), says whether CONFIG SET may change
//! it at runtime, and has a getter and setter over the typed `Config` struct that
//! the rest of the server reads. Names, defaults and value syntax are Redis 7.0's
//! (memory sizes accept `k kb m mb g gb`, booleans `yes`/`no`), so a redis.conf and
//! scripts written for redis-server work unchanged. Directives we do not know yet
//! are kept with a logged warning instead of failing the start.

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
    pub lazyfree_lazy_user_flush: bool,
    pub rdbcompression: bool,
    pub rdbchecksum: bool,
    pub stop_writes_on_bgsave_error: bool,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: i64,
    pub latency_monitor_threshold: i64,
    pub notify_keyspace_events: String,
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
            lazyfree_lazy_user_flush: false,
            rdbcompression: true,
            rdbchecksum: true,
            stop_writes_on_bgsave_error: true,
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            latency_monitor_threshold: 0,
            notify_keyspace_events: String::new(),
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
    let words: Vec<&str> = v.split_whitespace().collect();
    if words.is_empty() || !words.len().is_multiple_of(4) {
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
    bool_param!("rdbchecksum", rdbchecksum, true),
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
