//! The server: shared state (databases, configuration, counters) and the event
//! loop that owns the clients.
//!
//! `ServerState` is everything a command may touch besides clients; the clients
//! themselves live in the loop's slab. Both are owned by the one loop thread, so
//! nothing here is locked.

pub mod blocking;
pub mod client;
pub mod clock;
pub mod event_loop;
pub mod latency;
pub mod notify;
pub mod propagate;
pub mod pubsub;
pub mod tracking;

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::config::Config;
use crate::keyspace::db::Db;
pub use clock::{Clock, Tick};

/// Per-command counters (INFO commandstats).
#[derive(Default, Clone, Copy, Debug)]
pub struct CmdStat {
    pub calls: u64,
    pub usec: u64,
    pub rejected: u64,
    pub failed: u64,
}

/// Server-wide counters (INFO stats).
#[derive(Default, Debug)]
pub struct Stats {
    pub connections_received: u64,
    pub commands_processed: u64,
    pub rejected_connections: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub expired_stale_perc: f64,
    pub expire_cycle_time_used_us: u64,
    pub client_qbuf_limit_disconnections: u64,
    pub client_obuf_limit_disconnections: u64,
    pub total_error_replies: u64,
    pub unexpected_error_replies: u64,
    /// Error replies by error code (INFO errorstats).
    pub errors: std::collections::BTreeMap<String, u64>,
    /// Ops/sec samples (INFO instantaneous_ops_per_sec), one per 100 ms.
    pub ops_samples: [u64; 16],
    pub ops_sample_idx: usize,
    pub ops_last_count: u64,
    pub ops_last_time: Option<Instant>,
    /// Highest used_memory seen (INFO used_memory_peak), updated by INFO.
    pub mem_peak: u64,
}

pub struct ServerState {
    pub dbs: Vec<Db>,
    pub config: Config,
    pub stats: Stats,
    /// Counters per command, indexed like `commands::Registry::all`.
    pub cmd_stats: Vec<CmdStat>,
    /// The command name looked up last and its registry index: a pipeline
    /// usually repeats one command, which then skips the table's hash lookup.
    pub last_command: crate::commands::LastCommand,
    pub started: Instant,
    pub started_unix: i64,
    pub run_id: String,
    pub next_client_id: u64,
    /// Changes since the last save (INFO rdb_changes_since_last_save).
    pub dirty: u64,
    pub last_save_unix: i64,
    /// Set by SHUTDOWN or a signal; the loop exits at the end of its turn.
    pub shutdown: bool,
    /// Connected clients (mirrors the slab's length for INFO).
    pub connected_clients: usize,
    /// The listening port actually bound.
    pub port: u16,
    pub config_file: Option<String>,
    pub executable: String,
    /// Cron iterations, for tasks that run every N ticks.
    pub cronloops: u64,
    /// Replication id (INFO master_replid; DEBUG CHANGE-REPL-ID renews it).
    pub replid: String,
    /// Active expiry on/off (DEBUG SET-ACTIVE-EXPIRE); the cron's expiry cycle
    /// runs only while it is true.
    pub active_expire: bool,
    /// Unix time read off the monotonic clock (see `Clock`).
    pub clock: Clock,
    /// CLIENT PAUSE, the MONITOR clients and clients CLIENT KILL closed:
    /// state the commands set and the event loop acts on.
    pub shared: client::Shared,
    /// used_memory right after start (INFO used_memory_startup).
    pub mem_startup: u64,
    /// SLOWLOG entries.
    pub slowlog: latency::SlowLog,
    /// LATENCY event series (latency-monitor-threshold).
    pub latency: latency::LatencyMonitor,
    /// Latency histogram per command, indexed like `cmd_stats`; allocated
    /// on a command's first call.
    pub cmd_latency: Vec<Option<Box<latency::Histogram>>>,
    /// Clients waiting in blocking commands: deadlines, counts, requests.
    pub blocking: blocking::Blocking,
    /// Pub/Sub channels, patterns and their subscribers.
    pub pubsub: pubsub::PubSub,
    /// Keys watched by all clients (WATCH bookkeeping runs only when > 0).
    pub watching: usize,
    /// EXEC is running its queue (blocking commands do not block).
    pub in_exec: bool,
    /// Client-side caching: tracked keys, BCAST prefixes.
    pub tracking: tracking::Tracking,
    /// Where writes leave for the AOF and replicas (`propagate.rs`).
    pub propagation: propagate::Propagation,
    /// The append-only file (`persistence/aof.rs`).
    pub aof: crate::persistence::aof::Aof,
    /// RDB saves and loads: statistics, the load in progress at start.
    pub rdb: crate::persistence::rdb::save::RdbState,
    /// The point-in-time snapshot being written (BGSAVE, AOF rewrite).
    pub snapshot: Option<Box<crate::persistence::rdb::snapshot::Running>>,
}

impl ServerState {
    /// The dataset is being loaded at start (the dump file or the AOF):
    /// commands without the `loading` flag get `-LOADING`.
    pub fn is_loading(&self) -> bool {
        self.rdb.loading.is_some() || self.aof.loading.is_some()
    }

    pub fn new(config: Config, ncommands: usize) -> Self {
        let dbs = (0..config.databases).map(Db::new).collect();
        let now = unix_ms();
        let mut srv = ServerState {
            dbs,
            port: config.port,
            config,
            stats: Stats::default(),
            cmd_stats: vec![CmdStat::default(); ncommands],
            last_command: Default::default(),
            started: Instant::now(),
            started_unix: now / 1000,
            run_id: random_hex(40),
            next_client_id: 1,
            dirty: 0,
            last_save_unix: now / 1000,
            shutdown: false,
            connected_clients: 0,
            config_file: None,
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            cronloops: 0,
            replid: crate::commands::server::new_replid(),
            active_expire: true,
            clock: Clock::new(),
            blocking: blocking::Blocking::default(),
            pubsub: pubsub::PubSub::default(),
            watching: 0,
            in_exec: false,
            tracking: tracking::Tracking::default(),
            propagation: propagate::Propagation::default(),
            aof: Default::default(),
            rdb: Default::default(),
            snapshot: None,
            shared: client::Shared::default(),
            mem_startup: crate::commands::server::startup_memory(),
            slowlog: latency::SlowLog::default(),
            latency: latency::LatencyMonitor::default(),
            cmd_latency: (0..ncommands).map(|_| None).collect(),
        };
        srv.apply_config();
        srv
    }

    /// Applies the settings that live outside `config` (at start and after
    /// CONFIG SET): an `*-lfu` maxmemory-policy makes the databases keep LFU
    /// counters (OBJECT FREQ) with lfu-log-factor and lfu-decay-time.
    /// Tells the databases whether to record every write (some client
    /// tracks keys) after tracking was turned on or off.
    pub fn tracking_changed(&mut self) {
        let on = self.tracking.active();
        for db in self.dbs.iter_mut() {
            db.set_record_all_writes(on);
        }
    }

    pub fn apply_config(&mut self) {
        let num = |name: &str, default: u32| {
            self.config
                .value_of(name)
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        let lfu = self
            .config
            .maxmemory_policy
            .ends_with("-lfu")
            .then(|| (num("lfu-log-factor", 10), num("lfu-decay-time", 1)));
        // The keyspace logs the events it causes itself only while their
        // class is published.
        let flags = self.config.notify_flags;
        let mut log = 0;
        for class in [notify::EXPIRED, notify::NEW, notify::KEY_MISS] {
            if notify::enabled(flags, class) {
                log |= class;
            }
        }
        self.propagation.lazy_expire =
            self.config.value_of("lazyfree-lazy-expire").as_deref() == Some("yes");
        self.propagation.aof.timestamps =
            self.config.value_of("aof-timestamp-enabled").as_deref() == Some("yes");
        crate::persistence::aof::config_changed(self);
        for db in self.dbs.iter_mut() {
            db.set_event_log(log);
            if db.lfu_params() != lfu {
                db.set_lfu(lfu);
            }
        }
    }

    /// Keys expired since start, over all databases.
    pub fn expired_keys(&self) -> u64 {
        self.dbs.iter().map(|d| d.expired_keys).sum()
    }
}

/// Wall-clock time in unix milliseconds.
pub fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Wall-clock time in unix microseconds.
pub fn unix_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// `n` random hex characters from the process seed and the clock.
pub fn random_hex(n: usize) -> String {
    let mut rng =
        crate::util::rng::Rng::new(crate::keyspace::hasher::process_seed() ^ unix_us() as u64);
    let mut s = String::with_capacity(n);
    for _ in 0..n {
        s.push(char::from(
            b"0123456789abcdef"[(rng.next_u64() >> 60) as usize],
        ));
    }
    s
}
