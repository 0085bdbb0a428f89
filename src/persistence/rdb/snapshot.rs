//! BGSAVE without fork: a point-in-time snapshot serialized by the event loop
//! a slice at a time, written to disk by a background thread.
//!
//! `start_snapshot` flips every database's snapshot bit (see
//! `keyspace/db/snapshot.rs`) and spawns the writer thread with the header.
//! Each turn of the loop, `step` walks the tables for about a millisecond,
//! collects the records the walk and the write hooks produced (a `SELECTDB`
//! before each run of records from another database) and sends them to the
//! writer. When every table is walked the EOF mark follows and the writer
//! adds the CRC64, syncs and renames the file into place; `poll` sees the
//! thread end and runs the job's completion (BGSAVE's bookkeeping, or the AOF
//! rewrite's manifest switch). The loop pauses a millisecond at a time, and
//! memory grows only by the records in flight (bounded: the walk waits while
//! the writer is behind by more than `MAX_IN_FLIGHT`).
//!
//! Compression (LZF of long strings) is done by the loop as it serializes;
//! the writer thread does the checksum, the I/O and the fsync.

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::file::{self, record_opts, FileSink, HeaderInfo};
use crate::server::ServerState;

/// Records handed to the writer and not yet written, at most (the walk pauses
/// above it; the write hooks still add the few records they must).
const MAX_IN_FLIGHT: usize = 8 << 20;
/// Records gathered before a send to the writer.
const SEND_AT: usize = 256 << 10;

/// Called once the file is complete (Ok: its size) or has failed.
pub type OnDone = Box<dyn FnOnce(&mut ServerState, &Outcome)>;

/// How a snapshot ended.
pub struct Outcome {
    pub result: Result<u64, String>,
    pub elapsed: Duration,
    pub records: u64,
    /// Turns of the loop that walked, and the longest of them (the pause
    /// the snapshot put on the loop): wall time, and the loop's CPU time
    /// (wall time also counts preemption and interrupts).
    pub slices: u64,
    pub longest_slice: Duration,
    pub longest_slice_cpu: Duration,
}

/// What a running snapshot is for (INFO tells them apart).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Bgsave,
    AofRewrite,
}

enum Msg {
    Data(Vec<u8>),
    Finish,
}

/// The snapshot in progress (`ServerState::snapshot`).
pub struct Running {
    pub purpose: Purpose,
    pub started: Instant,
    tx: Option<mpsc::Sender<Msg>>,
    writer: Option<JoinHandle<io::Result<u64>>>,
    in_flight: Arc<AtomicUsize>,
    walking: bool,
    aborted: bool,
    last_db: Option<usize>,
    pending: Vec<u8>,
    records: u64,
    slices: u64,
    longest_slice: Duration,
    longest_slice_cpu: Duration,
    on_done: Option<OnDone>,
}

impl Running {
    pub fn is_walking(&self) -> bool {
        self.walking
    }

    /// Whether the walk can go on now (it waits while the writer is more
    /// than `MAX_IN_FLIGHT` behind): the loop then does not sleep.
    pub fn wants_cpu(&self) -> bool {
        self.walking && (self.aborted || self.in_flight.load(Ordering::Relaxed) <= MAX_IN_FLIGHT)
    }

    /// Keys written so far (INFO current_save_keys_processed).
    pub fn records_so_far(&self, dbs: &[crate::keyspace::db::Db]) -> u64 {
        self.records + dbs.iter().map(|db| db.snapshot_records()).sum::<u64>()
    }
}

/// Starts a snapshot of every database into `path` (through a temp file in
/// the same directory). Fails if one is running or the temp file cannot be
/// created.
pub fn start_snapshot(
    srv: &mut ServerState,
    path: &Path,
    purpose: Purpose,
    on_done: OnDone,
) -> Result<(), String> {
    if srv.snapshot.is_some() {
        return Err("Background save already in progress".into());
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = format!("temp-bg-{}-{name}", std::process::id());
    let (path, checksum) = (path.to_path_buf(), srv.config.rdbchecksum);
    let mut header = Vec::new();
    file::write_header(
        &mut header,
        &HeaderInfo::of(srv, purpose == Purpose::AofRewrite),
    );
    let opts = record_opts(srv);
    let (tx, rx) = mpsc::channel::<Msg>();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let flight = in_flight.clone();
    let writer = std::thread::Builder::new()
        .name("ferrodis-rdb".into())
        .spawn(move || {
            lower_priority();
            // Opened here, as Redis's child opens it: a failure is a failed
            // save (INFO, MISCONF), not a refused BGSAVE.
            let mut sink = FileSink::create(&path, &tmp, checksum).map_err(|e| {
                io::Error::other(format!(
                    "Failed opening the temp RDB file {tmp} (in server root dir {}) for saving: {e}",
                    cwd()
                ))
            })?;
            if let Err(e) = sink.write(&header) {
                sink.abandon();
                return Err(e);
            }
            loop {
                match rx.recv() {
                    Ok(Msg::Data(b)) => {
                        let r = sink.write(&b);
                        flight.fetch_sub(b.len(), Ordering::Relaxed);
                        if let Err(e) = r {
                            sink.abandon();
                            return Err(e);
                        }
                    }
                    Ok(Msg::Finish) => return sink.finish(),
                    Err(_) => {
                        sink.abandon();
                        return Err(io::Error::other("snapshot aborted"));
                    }
                }
            }
        })
        .map_err(|e| format!("Can't start the snapshot writer thread: {e}"))?;
    for db in &mut srv.dbs {
        db.snapshot_begin(opts);
    }
    srv.snapshot = Some(Box::new(Running {
        purpose,
        started: Instant::now(),
        tx: Some(tx),
        writer: Some(writer),
        in_flight,
        walking: true,
        aborted: false,
        last_db: None,
        pending: Vec::new(),
        records: 0,
        slices: 0,
        longest_slice: Duration::ZERO,
        longest_slice_cpu: Duration::ZERO,
        on_done: Some(on_done),
    }));
    Ok(())
}

/// The writer thread yields the CPU to the event loop when they share a
/// core (a server pinned with taskset): on Linux a nice value set with
/// setpriority applies to the calling thread only. (SCHED_IDLE was tried: the
/// walk then waited on a starved writer, and memory in flight grew.)
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only changes the scheduling weight of this thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

/// CPU time of the calling thread (the loop's own work in a slice, without
/// the time it was preempted or interrupted).
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if r != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn cwd() -> String {
    std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// One slice of the walk (about `budget` of time) and the hand-over of the
/// records gathered. Returns true while the walk goes on (the loop should
/// not sleep).
pub fn step(srv: &mut ServerState, budget: Duration) -> bool {
    let Some(run) = srv.snapshot.as_mut() else {
        return false;
    };
    if !run.walking {
        return false;
    }
    let t0 = Instant::now();
    let cpu0 = thread_cpu();
    let deadline = t0 + budget;
    let behind = run.in_flight.load(Ordering::Relaxed) > MAX_IN_FLIGHT && !run.aborted;
    let mut all_walked = true;
    for i in 0..srv.dbs.len() {
        if behind {
            all_walked = false;
            break;
        }
        let walked = loop {
            let db = &mut srv.dbs[i];
            if db.snapshot_step(128) {
                break true;
            }
            if Instant::now() >= deadline || db.snapshot_pending() >= SEND_AT {
                break false;
            }
        };
        collect(srv, i);
        if !walked {
            all_walked = false;
            break;
        }
    }
    // Records the write hooks produced in databases not visited this turn.
    for i in 0..srv.dbs.len() {
        collect(srv, i);
    }
    let run = srv.snapshot.as_mut().expect("snapshot running");
    run.slices += 1;
    run.longest_slice = run.longest_slice.max(t0.elapsed());
    run.longest_slice_cpu = run.longest_slice_cpu.max(thread_cpu().saturating_sub(cpu0));
    if all_walked {
        run.walking = false;
        for db in &mut srv.dbs {
            run.records += db.snapshot_end();
        }
        if !run.aborted {
            file::write_eof(&mut run.pending);
            send(run);
            if let Some(tx) = run.tx.take() {
                let _ = tx.send(Msg::Finish);
            }
        }
    } else if run.pending.len() >= SEND_AT {
        send(run);
    }
    run.walking
}

/// Moves database `i`'s new records into the pending bytes.
fn collect(srv: &mut ServerState, i: usize) {
    if srv.dbs[i].snapshot_pending() == 0 {
        return;
    }
    let recs = srv.dbs[i].snapshot_take();
    let run = srv.snapshot.as_mut().expect("snapshot running");
    if run.aborted {
        return;
    }
    if run.last_db != Some(i) {
        file::write_select(&mut run.pending, i);
        run.last_db = Some(i);
    }
    if run.pending.is_empty() {
        run.pending = recs;
    } else {
        run.pending.extend_from_slice(&recs);
    }
    if run.pending.len() >= SEND_AT {
        send(run);
    }
}

fn send(run: &mut Running) {
    if run.pending.is_empty() {
        return;
    }
    let bytes = std::mem::take(&mut run.pending);
    run.in_flight.fetch_add(bytes.len(), Ordering::Relaxed);
    if let Some(tx) = &run.tx {
        let _ = tx.send(Msg::Data(bytes));
    }
}

/// Ends the snapshot if its writer is done: runs its completion. Returns
/// true if one ended.
pub fn poll(srv: &mut ServerState) -> bool {
    let done = match srv.snapshot.as_ref() {
        Some(run) => !run.walking && run.writer.as_ref().is_none_or(|w| w.is_finished()),
        None => false,
    };
    if !done {
        return false;
    }
    let mut run = srv.snapshot.take().expect("snapshot running");
    let result = match run.writer.take().map(|w| w.join()) {
        Some(Ok(Ok(n))) if !run.aborted => Ok(n),
        Some(Ok(Err(e))) if !run.aborted => Err(e.to_string()),
        Some(Err(_)) => Err("the snapshot writer thread panicked".into()),
        _ => Err("aborted".into()),
    };
    let outcome = Outcome {
        result,
        elapsed: run.started.elapsed(),
        records: run.records,
        slices: run.slices,
        longest_slice: run.longest_slice,
        longest_slice_cpu: run.longest_slice_cpu,
    };
    if let Some(f) = run.on_done.take() {
        f(srv, &outcome);
    }
    true
}

/// Stops a running snapshot: the temp file is removed, the previous file
/// kept. The walk finishes at once without writing (restoring every
/// entry's snapshot bit), and the completion runs with an error.
pub fn abort(srv: &mut ServerState) {
    let Some(run) = srv.snapshot.as_mut() else {
        return;
    };
    run.aborted = true;
    run.pending = Vec::new();
    run.tx = None;
    for db in &mut srv.dbs {
        db.snapshot_discard();
    }
    if run.walking {
        for db in &mut srv.dbs {
            db.snapshot_walk_all();
        }
        step(srv, Duration::ZERO);
    }
    // The writer sees the channel close and removes its temp file.
    if let Some(w) = srv.snapshot.as_mut().and_then(|r| r.writer.take()) {
        let _ = w.join();
    }
    poll(srv);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::keyspace::value::Value;
    use crate::persistence::rdb::file::load_bytes;
    use std::collections::BTreeMap;

    type Image = BTreeMap<(usize, Vec<u8>), ([u8; 20], Option<i64>)>;

    /// Every key with the digest of its value (DEBUG DIGEST-VALUE's) and TTL.
    fn image(srv: &mut ServerState) -> Image {
        let mut m = BTreeMap::new();
        for db in &srv.dbs {
            for id in db.entries() {
                let v = crate::commands::server::value_digest(db.value(id));
                m.insert((db.id, db.key(id).to_vec()), (v, db.expire_of(id)));
            }
        }
        m
    }

    /// Runs a command on database 0 through its handler.
    fn run(srv: &mut ServerState, argv: &[&str]) {
        let reg = crate::commands::Registry::get();
        let idx = reg.find(argv[0].as_bytes()).expect("a known command");
        let argv: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
        crate::commands::testing::run_handler(srv, reg.all[idx].spec.handler, &argv);
    }

    /// A key of every type by `i`, built by the commands: strings, lists,
    /// hashes, sets and sorted sets, small (compact encodings) and large.
    fn create(srv: &mut ServerState, i: u32) {
        let k = format!("key:{i}");
        let n = if i.is_multiple_of(100) { 700 } else { 3 };
        let items: Vec<String> = (0..n).map(|j| format!("{j}")).collect();
        let mut argv = vec!["", k.as_str()];
        match i % 6 {
            0 => {
                let v = format!("value-{i}-{}", "x".repeat((i % 50) as usize));
                run(srv, &["SET", &k, &v]);
                return;
            }
            1 => argv[0] = "RPUSH",
            2 => argv[0] = "SADD",
            3 => {
                let pairs: Vec<String> = items
                    .iter()
                    .flat_map(|m| [m.clone(), format!("v{m}")])
                    .collect();
                let mut a = vec!["HSET", k.as_str()];
                a.extend(pairs.iter().map(String::as_str));
                run(srv, &a);
                return;
            }
            4 => {
                let pairs: Vec<String> = items
                    .iter()
                    .flat_map(|m| [format!("{m}.5"), format!("m{m}")])
                    .collect();
                let mut a = vec!["ZADD", k.as_str()];
                a.extend(pairs.iter().map(String::as_str));
                run(srv, &a);
                return;
            }
            _ => {
                run(srv, &["SET", &k, &i.to_string()]);
                return;
            }
        }
        argv.extend(items.iter().map(String::as_str));
        run(srv, &argv);
    }

    /// A change to key `i`, in place for collections.
    fn mutate(srv: &mut ServerState, i: u32, how: u32, turn: u32) {
        let k = format!("key:{i}");
        let t = turn.to_string();
        match (i % 6, how % 4) {
            (_, 0) => run(srv, &["DEL", &k]),
            (_, 1) => run(srv, &["PEXPIRE", &k, "600000"]),
            (0 | 5, _) => run(srv, &["APPEND", &k, "more"]),
            (1, _) => run(srv, &["LPUSH", &k, &t]),
            (2, _) => run(srv, &["SREM", &k, "1"]),
            (3, _) => run(srv, &["HSET", &k, "0", &t]),
            _ => run(srv, &["ZINCRBY", &k, "1", "m0"]),
        }
    }

    /// Whatever happens while the walk goes on (overwrites, deletes, new
    /// keys, TTL changes, a FLUSHDB, a SWAPDB), the file holds the dataset as
    /// it was when the snapshot started.
    #[test]
    fn the_file_is_the_dataset_at_the_start() {
        let dir = std::env::temp_dir().join(format!("ferrodis-snap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("dump.rdb");
        let mut srv = ServerState::new(Config::default(), 0);
        let now = crate::server::unix_ms();
        for i in 0..6_000u32 {
            create(&mut srv, i);
            if i % 11 == 0 {
                run(&mut srv, &["EXPIRE", &format!("key:{i}"), "3600"]);
            }
        }
        // Other databases, moved in by MOVE.
        for i in 0..300u32 {
            let k = format!("moved:{i}");
            run(&mut srv, &["SET", &k, "x"]);
            run(&mut srv, &["MOVE", &k, ["2", "5"][(i % 2) as usize]]);
        }
        let before = image(&mut srv);
        start_snapshot(
            &mut srv,
            &path,
            Purpose::Bgsave,
            Box::new(|_, out| {
                assert!(out.result.is_ok(), "{:?}", out.result.as_ref().err());
            }),
        )
        .unwrap();
        let mut turn = 0u32;
        loop {
            step(&mut srv, Duration::from_micros(20));
            // Mutations between slices, on keys written or not yet written.
            for j in 0..40u32 {
                let i = (turn * 97 + j * 31) % 6_000;
                mutate(&mut srv, i, j, turn);
                if j % 8 == 0 {
                    let k = format!("new:{turn}:{j}");
                    srv.dbs[0].set(k.as_bytes(), Value::string(b"new"), false, now);
                }
            }
            if turn == 3 {
                let (a, b) = srv.dbs.split_at_mut(5);
                a[2].swap_data(&mut b[0]);
            }
            if turn == 30 {
                srv.dbs[5].clear();
            }
            turn += 1;
            if poll(&mut srv) {
                break;
            }
            assert!(turn < 100_000);
        }
        assert!(turn > 30, "the walk spanned the mutations ({turn} turns)");
        let bytes = std::fs::read(&path).unwrap();
        let mut fresh = ServerState::new(Config::default(), 0);
        load_bytes(&mut fresh, bytes).unwrap();
        assert_eq!(image(&mut fresh), before);
        // Every entry is back to the "written" bit: a second snapshot of
        // the current data works the same.
        let after = image(&mut srv);
        start_snapshot(&mut srv, &path, Purpose::Bgsave, Box::new(|_, _| {})).unwrap();
        while !poll(&mut srv) {
            step(&mut srv, Duration::from_millis(5));
        }
        let mut fresh = ServerState::new(Config::default(), 0);
        load_bytes(&mut fresh, std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(image(&mut fresh), after);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_aborted_snapshot_keeps_the_old_file() {
        let dir = std::env::temp_dir().join(format!("ferrodis-snap-abort-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("dump.rdb");
        std::fs::write(&path, b"old").unwrap();
        let mut srv = ServerState::new(Config::default(), 0);
        let now = crate::server::unix_ms();
        for i in 0..5000u32 {
            srv.dbs[0].add(format!("k{i}").as_bytes(), Value::Int(i64::from(i)), now);
        }
        start_snapshot(
            &mut srv,
            &path,
            Purpose::Bgsave,
            Box::new(|_, out| {
                assert!(out.result.is_err());
            }),
        )
        .unwrap();
        step(&mut srv, Duration::from_micros(10));
        abort(&mut srv);
        assert!(srv.snapshot.is_none());
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        let leftovers = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(leftovers, 1, "the temp file is removed");
        // And the next snapshot is complete.
        start_snapshot(&mut srv, &path, Purpose::Bgsave, Box::new(|_, _| {})).unwrap();
        while !poll(&mut srv) {
            step(&mut srv, Duration::from_millis(5));
        }
        let mut fresh = ServerState::new(Config::default(), 0);
        load_bytes(&mut fresh, std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(fresh.dbs[0].len(), 5000);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
