//! The append-only file, in Redis 7's multi-part layout.
//!
//! `dir/<appenddirname>/` holds a *base* (`<appendfilename>.<n>.base.rdb`, an
//! RDB image with the `aof-base` aux field), the *incr* files
//! (`<appendfilename>.<n>.incr.aof`, the commands written since) and the
//! manifest `<appendfilename>.manifest` that names them, one line each:
//! `file <name> seq <n> type b|h|i` (base, history, incr). A name not in the
//! manifest is not part of the AOF. The manifest is replaced atomically
//! (temp file, fsync, rename, fsync of the directory).
//!
//! - Writing: the propagation point (`server::propagate`) appends every
//!   write, in RESP, to `Propagation::aof`. Once per turn of the loop, before
//!   any reply leaves (`before_sleep`, and `write_pending` before a client
//!   write), the bytes go to the current incr file: with `appendfsync always`
//!   they are fsynced before the replies are written; with `everysec` a
//!   background thread fsyncs once a second; with `no` never.
//! - Loading at start (appendonly yes; the AOF is preferred to dump.rdb, as
//!   Redis): the base (RDB through `rdb::file::Loader`, or commands), then each
//!   incr file, replayed through `dispatch` by a pseudo client (MULTI/EXEC
//!   honoured; a truncated tail of the last file is cut off with a warning
//!   when aof-load-truncated is yes), a slice per turn of the event loop
//!   (`AofLoad`, `loading_step`: clients get -LOADING meanwhile), the file
//!   opened for writing when it is done. A Redis 6 single `appendonly.aof` is
//!   moved into the directory as the base, as 7.0 does. With no AOF at all,
//!   the base is written from the (empty) dataset, as Redis does.
//! - Rewriting (BGREWRITEAOF, CONFIG SET appendonly yes, the auto-aof-rewrite
//!   trigger): a new incr file starts at once and later writes go there; the
//!   new base is a point-in-time snapshot taken at that same moment (the
//!   fork-less `rdb::start_snapshot`); when it is complete the manifest is
//!   switched to the new base and the new incr file and the older files are
//!   deleted. Nothing written is lost, and no file is replaced by a partial
//!   one.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::commands::table::{Acl, CommandSpec, Flags, Group, BASE};
use crate::commands::{dispatch, Args, Ctx};
use crate::error::{CmdError, CmdResult};
use crate::persistence::rdb;
use crate::persistence::rdb::snapshot::{Outcome, Purpose};
use crate::protocol::reply::ReplyBuf;
use crate::server::ServerState;

/// Whether the AOF is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum State {
    #[default]
    Off,
    On,
    /// Turned on at runtime: writes go to a temporary incr file until the
    /// first rewrite completes (Redis's AOF_WAIT_REWRITE).
    WaitRewrite,
}

/// The type of a file in the manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Base,
    History,
    Incr,
}

impl Kind {
    fn letter(self) -> char {
        match self {
            Kind::Base => 'b',
            Kind::History => 'h',
            Kind::Incr => 'i',
        }
    }
}

/// One line of the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileInfo {
    pub name: String,
    pub seq: u64,
    pub kind: Kind,
}

/// The manifest: which files make the AOF, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<FileInfo>,
    pub incrs: Vec<FileInfo>,
    pub history: Vec<FileInfo>,
    /// The highest sequence numbers used (the next file gets one more).
    pub base_seq: u64,
    pub incr_seq: u64,
}

/// Splits a manifest line into words, with double-quoted words (and their
/// `\"`, `\\`, `\n`, `\xHH` escapes) as Redis's argument splitter reads them.
fn split_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let b = line.as_bytes();
    let mut i = 0;
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            return Some(words);
        }
        let mut w = Vec::new();
        if b[i] == b'"' {
            i += 1;
            loop {
                let c = *b.get(i)?;
                i += 1;
                match c {
                    b'"' => break,
                    b'\\' => {
                        let e = *b.get(i)?;
                        i += 1;
                        match e {
                            b'n' => w.push(b'\n'),
                            b'r' => w.push(b'\r'),
                            b't' => w.push(b'\t'),
                            b'x' => {
                                let h = std::str::from_utf8(b.get(i..i + 2)?).ok()?;
                                w.push(u8::from_str_radix(h, 16).ok()?);
                                i += 2;
                            }
                            other => w.push(other),
                        }
                    }
                    other => w.push(other),
                }
            }
            // A closing quote must be followed by a space or the end.
            if i < b.len() && !b[i].is_ascii_whitespace() {
                return None;
            }
        } else {
            while i < b.len() && !b[i].is_ascii_whitespace() {
                w.push(b[i]);
                i += 1;
            }
        }
        words.push(String::from_utf8(w).ok()?);
    }
}

/// A file name as the manifest writes it: quoted when it holds spaces,
/// quotes or control bytes.
fn quoted(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|c| c.is_ascii_graphic() && c != b'"' && c != b'\\' && c != b'\'');
    if plain {
        return name.to_string();
    }
    let mut s = String::from("\"");
    for c in name.bytes() {
        match c {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            c if c.is_ascii_graphic() || c == b' ' => s.push(c as char),
            c => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    s
}

impl Manifest {
    /// Reads a manifest, with Redis's checks.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let mut m = Manifest::default();
        for line in text.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if line.len() > 1024 {
                return Err("The AOF manifest file contains too long line".into());
            }
            let words =
                split_words(line).ok_or_else(|| "Invalid AOF manifest file format".to_string())?;
            if words.len() < 6 || words.len() % 2 != 0 {
                return Err("Invalid AOF manifest file format".into());
            }
            let (mut name, mut seq, mut kind) = (None, None, None);
            for pair in words.chunks(2) {
                match pair[0].as_str() {
                    "file" => name = Some(pair[1].clone()),
                    "seq" => seq = pair[1].parse::<u64>().ok(),
                    "type" => {
                        kind = match pair[1].as_str() {
                            "b" => Some(Kind::Base),
                            "h" => Some(Kind::History),
                            "i" => Some(Kind::Incr),
                            _ => None,
                        }
                    }
                    // Unknown keys are ignored (forward compatibility).
                    _ => {}
                }
            }
            let (Some(name), Some(seq), Some(kind)) = (name, seq, kind) else {
                return Err("Invalid AOF manifest file format".into());
            };
            if name.contains('/') {
                return Err(format!("File can't be a path, just a filename: {name}"));
            }
            let info = FileInfo { name, seq, kind };
            match kind {
                Kind::Base => {
                    if m.base.is_some() {
                        return Err("Found duplicate base file information".into());
                    }
                    m.base_seq = seq;
                    m.base = Some(info);
                }
                Kind::History => m.history.push(info),
                Kind::Incr => {
                    if seq <= m.incr_seq {
                        return Err("Found a non-monotonic sequence number".into());
                    }
                    m.incr_seq = seq;
                    m.incrs.push(info);
                }
            }
        }
        if m.base.is_none() && m.incrs.is_empty() && m.history.is_empty() {
            return Err("Found an empty AOF manifest".into());
        }
        Ok(m)
    }

    /// The manifest text: the base, the history files, the incr files.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let all = self
            .base
            .iter()
            .chain(self.history.iter())
            .chain(self.incrs.iter());
        for f in all {
            s.push_str(&format!(
                "file {} seq {} type {}\n",
                quoted(&f.name),
                f.seq,
                f.kind.letter()
            ));
        }
        s
    }
}

/// The background fsync of `appendfsync everysec`: a thread syncs the
/// current incr file once a second when something was written.
struct BgFsync {
    shared: Arc<FsyncShared>,
}

struct FsyncShared {
    file: Mutex<Option<File>>,
    dirty: AtomicBool,
    stop: AtomicBool,
}

impl BgFsync {
    fn start() -> Option<BgFsync> {
        let shared = Arc::new(FsyncShared {
            file: Mutex::new(None),
            dirty: AtomicBool::new(false),
            stop: AtomicBool::new(false),
        });
        let s = shared.clone();
        std::thread::Builder::new()
            .name("ferrodis-aof-fsync".into())
            .spawn(move || {
                while !s.stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100));
                    // At most once a second.
                    if !s.dirty.load(Ordering::Relaxed) {
                        continue;
                    }
                    std::thread::sleep(Duration::from_millis(900));
                    if s.dirty.swap(false, Ordering::Relaxed) {
                        if let Ok(f) = s.file.lock() {
                            if let Some(f) = f.as_ref() {
                                let _ = f.sync_data();
                            }
                        }
                    }
                }
            })
            .ok()?;
        Some(BgFsync { shared })
    }

    fn set_file(&self, f: Option<&File>) {
        if let Ok(mut slot) = self.shared.file.lock() {
            *slot = f.and_then(|f| f.try_clone().ok());
        }
    }
}

impl Drop for BgFsync {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}

/// A rewrite in progress.
struct Rewrite {
    started: Instant,
    /// The incr files from this index of the manifest on stay in it (they
    /// hold the writes made since the rewrite started).
    keep_from: usize,
    /// Writes go to the temporary incr file (the AOF is being turned on).
    temp_incr: bool,
    /// The name of the new base file.
    base: String,
}

/// The AOF's state and statistics (`ServerState::aof`).
pub struct Aof {
    pub state: State,
    /// The start-up load is done: configuration changes act from then on.
    started: bool,
    manifest: Manifest,
    file: Option<File>,
    fsync: Option<BgFsync>,
    /// Bytes that could not be written yet (retried on the next turn).
    unwritten: Vec<u8>,
    /// Size of the AOF (base and incr files) and of the base at the last
    /// start or rewrite (INFO aof_current_size / aof_base_size).
    pub current_size: u64,
    pub base_size: u64,
    pub last_write_ok: bool,
    /// The error of the last failed write (MISCONF names it).
    last_write_error: String,
    pub rewrite_scheduled: bool,
    rewrite: Option<Rewrite>,
    pub last_rewrite_secs: i64,
    pub last_rewrite_ok: bool,
    pub rewrites: u64,
    pub consecutive_failures: u64,
    /// auto-aof-rewrite-percentage and -min-size, read at CONFIG SET.
    auto_pct: u64,
    auto_min: u64,
    /// The load at start, in progress (`loading_step`).
    pub loading: Option<Box<StartLoad>>,
}

/// The AOF loaded at start: the load, then the manifest to open for writing.
pub struct StartLoad {
    pub load: AofLoad,
    manifest: Manifest,
    pub started: Instant,
    pub started_unix: i64,
}

impl Default for Aof {
    fn default() -> Self {
        Aof {
            state: State::Off,
            started: false,
            manifest: Manifest::default(),
            file: None,
            fsync: None,
            unwritten: Vec::new(),
            current_size: 0,
            base_size: 0,
            last_write_ok: true,
            last_write_error: String::new(),
            rewrite_scheduled: false,
            rewrite: None,
            last_rewrite_secs: -1,
            last_rewrite_ok: true,
            rewrites: 0,
            consecutive_failures: 0,
            auto_pct: 100,
            auto_min: 64 << 20,
            loading: None,
        }
    }
}

/// The AOF directory (relative to `dir`, the working directory).
fn aof_dir(srv: &ServerState) -> PathBuf {
    PathBuf::from(&srv.config.appenddirname)
}

fn manifest_name(srv: &ServerState) -> String {
    format!("{}.manifest", srv.config.appendfilename)
}

fn incr_name(srv: &ServerState, seq: u64) -> String {
    format!("{}.{seq}.incr.aof", srv.config.appendfilename)
}

/// aof-use-rdb-preamble: the base is an RDB image (else commands).
fn rdb_preamble(srv: &ServerState) -> bool {
    srv.config.value_of("aof-use-rdb-preamble").as_deref() != Some("no")
}

fn base_name(srv: &ServerState, seq: u64) -> String {
    let ext = if rdb_preamble(srv) { "rdb" } else { "aof" };
    format!("{}.{seq}.base.{ext}", srv.config.appendfilename)
}

fn temp_incr_name(srv: &ServerState) -> String {
    format!("temp-{}.incr", srv.config.appendfilename)
}

/// Writes the manifest atomically: a temp file, fsync, rename, fsync of
/// the directory.
fn persist_manifest(srv: &ServerState, m: &Manifest) -> io::Result<()> {
    let dir = aof_dir(srv);
    let tmp = dir.join(format!("temp-{}", manifest_name(srv)));
    let path = dir.join(manifest_name(srv));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(m.render().as_bytes())?;
        f.sync_all()?;
    }
    fs::rename(&tmp, &path)?;
    rdb::file::sync_dir_of(&path);
    Ok(())
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

fn file_size(path: &Path) -> u64 {
    fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// Sends the propagated writes to the AOF (as Redis's beforeSleep does,
/// before replies are written), and runs what waits on the loop: a
/// scheduled rewrite, the auto-rewrite trigger, the fsync at shutdown.
pub fn before_sleep(srv: &mut ServerState) {
    // From the first turn of the loop on, CONFIG SET appendonly acts.
    srv.aof.started = true;
    // Keys the cron (or the loop) deleted by expiry since the last turn.
    crate::server::propagate::flush_expired(srv);
    // Bytes a failed write left are retried here, once per turn.
    if !srv.propagation.aof.buf.buf.is_empty() || !srv.aof.unwritten.is_empty() {
        write_now(srv);
    }
    if srv.aof.state == State::Off && !srv.aof.rewrite_scheduled {
        return;
    }
    if srv.aof.rewrite.is_none() && srv.snapshot.is_none() {
        if srv.aof.rewrite_scheduled {
            srv.aof.rewrite_scheduled = false;
            if let Err(e) = start_rewrite(srv) {
                log::warn!("Can't start the scheduled AOF rewrite: {e}");
            }
        } else if auto_rewrite_due(&srv.aof) {
            let growth = growth_pct(&srv.aof);
            log::info!("Starting automatic rewriting of AOF on {growth}% growth");
            if let Err(e) = start_rewrite(srv) {
                log::warn!("Can't start the automatic AOF rewrite: {e}");
            }
        }
    }
    if srv.shutdown {
        if let Some(f) = &srv.aof.file {
            log::info!("Calling fsync() on the AOF file.");
            let _ = f.sync_data();
        }
    }
}

fn growth_pct(aof: &Aof) -> u64 {
    let base = aof.base_size.max(1);
    (aof.current_size.saturating_mul(100) / base).saturating_sub(100)
}

fn auto_rewrite_due(aof: &Aof) -> bool {
    aof.state == State::On
        && aof.auto_pct > 0
        && aof.current_size > aof.auto_min
        && growth_pct(aof) >= aof.auto_pct
}

/// Writes the propagated bytes to the incr file (fsynced at once under
/// `appendfsync always`) before a reply is written. Cheap when there is
/// nothing to write.
#[inline]
pub fn write_pending(srv: &mut ServerState) {
    if srv.propagation.aof.buf.buf.is_empty() {
        return;
    }
    write_now(srv);
}

fn write_now(srv: &mut ServerState) {
    let fresh = srv.propagation.aof.take();
    let aof = &mut srv.aof;
    let mut buf = std::mem::take(&mut aof.unwritten);
    if buf.is_empty() {
        buf = fresh;
    } else {
        buf.extend_from_slice(&fresh);
    }
    let Some(f) = aof.file.as_mut() else {
        aof.unwritten = buf;
        return;
    };
    match write_all_or_undo(f, &mut buf) {
        Ok(()) => {
            aof.current_size += buf.len() as u64;
            if !aof.last_write_ok {
                log::warn!("AOF write error looks solved, Redis can write again.");
            }
            aof.last_write_ok = true;
            match srv.config.appendfsync.as_str() {
                "always" => {
                    if let Err(e) = f.sync_data() {
                        // As Redis: the replies would acknowledge writes
                        // that may not survive, so the server stops.
                        log::warn!("Can't persist append only file with fsync() when the AOF fsync policy is 'always': {e}. Exiting...");
                        std::process::exit(1);
                    }
                }
                "everysec" => {
                    if let Some(t) = &aof.fsync {
                        t.shared.dirty.store(true, Ordering::Relaxed);
                    }
                }
                _ => {}
            }
            // Give back a buffer grown by a burst.
            if buf.capacity() <= 1 << 20 {
                buf.clear();
                srv.propagation.aof.buf.buf = buf;
            }
        }
        Err(e) => {
            if srv.config.appendfsync == "always" {
                log::warn!("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
                std::process::exit(1);
            }
            log::warn!("Error writing to the AOF file: {e}");
            aof.last_write_ok = false;
            aof.last_write_error = io_error_text(&e);
            aof.unwritten = buf;
        }
    }
}

/// Writes all of `buf`. On an error after a partial write the file is cut
/// back to its length before (so a retry does not duplicate a command); if
/// that fails too, the written part is dropped from `buf` instead.
fn write_all_or_undo(f: &mut File, buf: &mut Vec<u8>) -> io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        match f.write(&buf[done..]) {
            Ok(0) => {
                return Err(io::Error::new(io::ErrorKind::WriteZero, "short write"));
            }
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                if done > 0 {
                    let undone = f
                        .metadata()
                        .and_then(|m| f.set_len(m.len().saturating_sub(done as u64)));
                    if undone.is_err() {
                        buf.drain(..done);
                    }
                }
                return Err(e);
            }
        }
    }
    Ok(())
}

/// An I/O error as strerror words it ("No space left on device").
fn io_error_text(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The error writes are refused with while the AOF cannot be written
/// (Redis's MISCONF for the AOF), if so.
pub fn write_error(srv: &ServerState) -> Option<CmdError> {
    if srv.aof.last_write_ok || srv.aof.state == State::Off {
        return None;
    }
    Some(CmdError::from(format!(
        "MISCONF Errors writing to the AOF file: {}",
        srv.aof.last_write_error
    )))
}

/// Switches the writes to `file` (and the everysec thread with them).
fn set_file(aof: &mut Aof, file: Option<File>) {
    if let Some(old) = &aof.file {
        let _ = old.sync_data();
    }
    aof.file = file;
    if let Some(t) = &aof.fsync {
        t.set_file(aof.file.as_ref());
    }
}

/// Starts writing: the feed on, the expiry log on, the fsync thread.
fn turn_feed_on(srv: &mut ServerState) {
    srv.propagation.aof.on = true;
    srv.propagation.aof.reset_db();
    crate::server::propagate::sync_expiry_logs(srv);
    if srv.aof.fsync.is_none() {
        srv.aof.fsync = BgFsync::start();
    }
    if let Some(t) = &srv.aof.fsync {
        t.set_file(srv.aof.file.as_ref());
    }
}

// ---------------------------------------------------------------------------
// Start: loading, or creating the AOF
// ---------------------------------------------------------------------------

/// At start with appendonly yes: loads the AOF (or migrates a Redis 6
/// single file, or creates the AOF), then opens the last incr file for
/// appending. `Err` is fatal.
pub fn start(srv: &mut ServerState) -> Result<(), String> {
    srv.aof.started = true;
    read_auto_config(srv);
    let dir = aof_dir(srv);
    let mpath = dir.join(manifest_name(srv));
    let old_single = PathBuf::from(&srv.config.appendfilename);
    let manifest = if mpath.exists() {
        let text = fs::read_to_string(&mpath)
            .map_err(|e| format!("Can't open the AOF manifest {}: {e}", mpath.display()))?;
        Some(Manifest::parse(&text).map_err(|e| format!("{e} in {}", mpath.display()))?)
    } else if old_single.is_file() {
        Some(migrate_single_file(srv, &old_single)?)
    } else {
        None
    };
    fs::create_dir_all(&dir)
        .map_err(|e| format!("Can't create the AOF directory {}: {e}", dir.display()))?;
    match manifest {
        Some(m) => {
            finish_migration(srv, &m)?;
            // Loaded a slice per turn of the loop (`loading_step`), then
            // opened for writing.
            let load = AofLoad::new(srv, &m)?;
            srv.aof.loading = Some(Box::new(StartLoad {
                load,
                manifest: m,
                started: Instant::now(),
                started_unix: crate::server::unix_ms() / 1000,
            }));
            Ok(())
        }
        None => {
            // As Redis: the base is written from the dataset (empty now).
            let mut m = Manifest::default();
            let name = base_name(srv, 1);
            write_base_sync(srv, &dir.join(&name))
                .map_err(|e| format!("Can't create the AOF base file {name}: {e}"))?;
            log::info!("Creating AOF base file {name} on server start");
            m.base_seq = 1;
            m.base = Some(FileInfo {
                name,
                seq: 1,
                kind: Kind::Base,
            });
            open_for_writing(srv, m)
        }
    }
}

/// Bytes of the AOF loaded per turn of the loop at start.
const LOAD_SLICE: usize = 2 << 20;

/// One slice of the load at start; when it completes, the AOF is opened for
/// writing. `Err` is fatal (the message names the file and the offset).
pub fn loading_step(srv: &mut ServerState) -> Result<(), String> {
    let Some(mut job) = srv.aof.loading.take() else {
        return Ok(());
    };
    if !job.load.step(srv, LOAD_SLICE)? {
        srv.aof.loading = Some(job);
        return Ok(());
    }
    let dir = aof_dir(srv);
    let mut m = job.manifest;
    // History files (a rewrite's leftovers) are deleted, as Redis, and so
    // are the temp files of a rewrite a crash cut short.
    for h in m.history.drain(..) {
        log::info!("Removing the history file {} in the background", h.name);
        let _ = fs::remove_file(dir.join(&h.name));
    }
    remove_temp_files(&dir);
    // Loading at start is not command traffic.
    for st in srv.cmd_stats.iter_mut() {
        *st = Default::default();
    }
    for h in srv.cmd_latency.iter_mut() {
        *h = None;
    }
    srv.stats.commands_processed = 0;
    srv.stats.ops_last_count = 0;
    srv.stats.total_error_replies = 0;
    srv.stats.errors.clear();
    log::info!(
        "DB loaded from append only file: {:.3} seconds",
        job.started.elapsed().as_secs_f64()
    );
    open_for_writing(srv, m)
}

/// Opens the last incr file (a new one if there is none) for the writes to
/// come, and turns the AOF on.
fn open_for_writing(srv: &mut ServerState, mut m: Manifest) -> Result<(), String> {
    let dir = aof_dir(srv);
    let file = if let Some(last) = m.incrs.last() {
        let path = dir.join(&last.name);
        open_append(&path)
            .map_err(|e| format!("Can't open the append-only file {}: {e}", last.name))?
    } else {
        let seq = m.incr_seq + 1;
        let name = incr_name(srv, seq);
        let f = open_append(&dir.join(&name))
            .map_err(|e| format!("Can't create the append-only file {name}: {e}"))?;
        m.incr_seq = seq;
        m.incrs.push(FileInfo {
            name: name.clone(),
            seq,
            kind: Kind::Incr,
        });
        log::info!("Creating AOF incr file {name} on server start");
        f
    };
    persist_manifest(srv, &m).map_err(|e| format!("Can't persist the AOF manifest: {e}"))?;
    let total: u64 = m
        .base
        .iter()
        .chain(m.incrs.iter())
        .map(|f| file_size(&dir.join(&f.name)))
        .sum();
    srv.aof.manifest = m;
    srv.aof.current_size = total;
    srv.aof.base_size = total;
    srv.aof.file = Some(file);
    srv.aof.state = State::On;
    turn_feed_on(srv);
    Ok(())
}

/// Deletes the `temp-*` files of the AOF directory (never part of the AOF:
/// a rewrite or a manifest write that did not finish).
fn remove_temp_files(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with("temp-") {
            log::info!(
                "Removing the leftover temp file {}",
                e.file_name().to_string_lossy()
            );
            let _ = fs::remove_file(e.path());
        }
    }
}

/// A Redis 6 `appendonly.aof` in `dir`: moved into the AOF directory as
/// the base (same name, type b), as Redis 7.0 upgrades it.
fn migrate_single_file(srv: &ServerState, old: &Path) -> Result<Manifest, String> {
    let dir = aof_dir(srv);
    fs::create_dir_all(&dir)
        .map_err(|e| format!("Can't create the AOF directory {}: {e}", dir.display()))?;
    let name = srv.config.appendfilename.clone();
    let m = Manifest {
        base: Some(FileInfo {
            name: name.clone(),
            seq: 1,
            kind: Kind::Base,
        }),
        base_seq: 1,
        ..Manifest::default()
    };
    // The manifest first: a crash between the two steps leaves a manifest
    // naming a file still outside the directory, which `finish_migration`
    // moves at the next start.
    persist_manifest(srv, &m).map_err(|e| format!("Can't persist the AOF manifest: {e}"))?;
    fs::rename(old, dir.join(&name)).map_err(|e| format!("Can't move {name}: {e}"))?;
    log::info!(
        "Successfully migrated an old-style AOF file ({name}) into the AOF directory ({}).",
        dir.display()
    );
    Ok(m)
}

/// A migration cut short between its manifest and the move of the file:
/// the base the manifest names is still in `dir`, not in the AOF directory.
fn finish_migration(srv: &ServerState, m: &Manifest) -> Result<(), String> {
    let Some(b) = &m.base else {
        return Ok(());
    };
    let inside = aof_dir(srv).join(&b.name);
    let outside = PathBuf::from(&b.name);
    if b.name == srv.config.appendfilename && !inside.exists() && outside.is_file() {
        fs::rename(&outside, &inside).map_err(|e| format!("Can't move {}: {e}", b.name))?;
        log::info!(
            "Moved {} into the AOF directory (an interrupted upgrade)",
            b.name
        );
    }
    Ok(())
}

/// Writes a base of the current dataset, synchronously: an RDB image, or
/// commands under aof-use-rdb-preamble no.
fn write_base_sync(srv: &ServerState, path: &Path) -> io::Result<u64> {
    if !rdb_preamble(srv) {
        return write_command_base(srv, path);
    }
    let tmp = format!("temp-rewriteaof-{}.aof", std::process::id());
    let mut sink = rdb::file::FileSink::create(path, &tmp, srv.config.rdbchecksum)?;
    match rdb::file::write_dataset(srv, true, &mut |b| sink.write(b)) {
        Ok(()) => sink.finish(),
        Err(e) => {
            sink.abandon();
            Err(e)
        }
    }
}

/// Commands per RPUSH/SADD/ZADD/HMSET of a base in AOF form, as Redis
/// (AOF_REWRITE_ITEMS_PER_CMD).
const ITEMS_PER_CMD: usize = 64;

/// A base in AOF form (aof-use-rdb-preamble no), as Redis's rewrite writes
/// it: per database a SELECT, then per key SET, or RPUSH/SADD/ZADD/HMSET of
/// up to 64 items each, and PEXPIREAT for a TTL; keys already expired are
/// left out. Written to a temp file, synced and renamed into place.
fn write_command_base(srv: &ServerState, path: &Path) -> io::Result<u64> {
    use crate::keyspace::value::{IntBuf, Value};
    use crate::server::propagate::{encode_into, int_arg};
    let tmp = path.with_file_name(format!("temp-rewriteaof-{}.aof", std::process::id()));
    let mut file = io::BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
    let mut out = ReplyBuf::empty();
    let mut written = 0u64;
    let now = crate::server::unix_ms();
    let batch = |out: &mut ReplyBuf, cmd: &[u8], key: &[u8], items: &[Vec<u8>]| {
        for chunk in items.chunks(ITEMS_PER_CMD) {
            let mut argv: Vec<&[u8]> = vec![cmd, key];
            argv.extend(chunk.iter().map(Vec::as_slice));
            encode_into(out, &argv);
        }
    };
    let r = (|| -> io::Result<()> {
        for db in &srv.dbs {
            if db.is_empty() {
                continue;
            }
            encode_into(&mut out, &[b"SELECT", &int_arg(db.id as i64)]);
            for id in db.entries() {
                let when = db.expire_of(id);
                if when.is_some_and(|w| w < now) {
                    continue;
                }
                let key = db.key(id);
                let mut items: Vec<Vec<u8>> = Vec::new();
                match db.value(id) {
                    Value::List(l) => {
                        l.for_each(|e| items.push(e.to_vec()));
                        batch(&mut out, b"RPUSH", key, &items);
                    }
                    Value::Set(s) => {
                        s.for_each(|m| items.push(m.to_vec()));
                        batch(&mut out, b"SADD", key, &items);
                    }
                    Value::Zset(z) => {
                        z.for_each(|m, score| {
                            let mut sc = Vec::new();
                            crate::util::numbers::fmt_double(score, &mut sc);
                            items.push(sc);
                            items.push(m.to_vec());
                        });
                        for chunk in items.chunks(ITEMS_PER_CMD * 2) {
                            let mut argv: Vec<&[u8]> = vec![b"ZADD", key];
                            argv.extend(chunk.iter().map(Vec::as_slice));
                            encode_into(&mut out, &argv);
                        }
                    }
                    Value::Hash(h) => {
                        h.for_each(|f, v| {
                            items.push(f.to_vec());
                            items.push(v.to_vec());
                        });
                        for chunk in items.chunks(ITEMS_PER_CMD * 2) {
                            let mut argv: Vec<&[u8]> = vec![b"HMSET", key];
                            argv.extend(chunk.iter().map(Vec::as_slice));
                            encode_into(&mut out, &argv);
                        }
                    }
                    v => {
                        let mut tmp: IntBuf = [0; 24];
                        let bytes = v.as_bytes(&mut tmp).unwrap_or_default();
                        encode_into(&mut out, &[b"SET", key, bytes]);
                    }
                }
                if let Some(w) = when {
                    encode_into(&mut out, &[b"PEXPIREAT", key, &int_arg(w)]);
                }
                if out.buf.len() >= 1 << 20 {
                    file.write_all(&out.buf)?;
                    written += out.buf.len() as u64;
                    out.buf.clear();
                }
            }
        }
        file.write_all(&out.buf)?;
        written += out.buf.len() as u64;
        file.flush()?;
        file.get_ref().sync_all()?;
        fs::rename(&tmp, path)?;
        rdb::file::sync_dir_of(path);
        Ok(())
    })();
    if r.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    r.map(|()| written)
}

/// Loads the base and the incr files of `m` at once (DEBUG LOADAOF).
fn load_files(srv: &mut ServerState, m: &Manifest) -> Result<(), String> {
    let mut load = AofLoad::new(srv, m)?;
    while !load.step(srv, usize::MAX)? {}
    Ok(())
}

/// The AOF being loaded: its base and incr files read in order, a slice at
/// a time (at start the event loop runs `step` between events and answers
/// `-LOADING` meanwhile, as for the dump file). Nothing expires while it
/// runs (`Db::keep_expired`), and what it replays is not propagated.
pub struct AofLoad {
    /// The files in load order: (name, is the base).
    files: Vec<(String, bool)>,
    next_file: usize,
    cur: Option<FileLoad>,
    pseudo: PseudoClient,
    /// Sizes of all files, and of those already loaded.
    total_bytes: u64,
    done_bytes: u64,
}

/// The file being loaded.
struct FileLoad {
    name: String,
    path: PathBuf,
    bytes: Vec<u8>,
    pos: usize,
    is_last: bool,
    /// An RDB image (a base, or a Redis 6 preamble) read before the commands.
    rdb: Option<Box<rdb::file::Loader>>,
    /// Where an unfinished MULTI of the file started.
    multi_start: Option<usize>,
}

impl AofLoad {
    fn new(srv: &mut ServerState, m: &Manifest) -> Result<AofLoad, String> {
        let dir = aof_dir(srv);
        let mut files: Vec<(String, bool)> = Vec::new();
        if let Some(b) = &m.base {
            files.push((b.name.clone(), true));
        }
        files.extend(m.incrs.iter().map(|f| (f.name.clone(), false)));
        let total_bytes = files.iter().map(|(n, _)| file_size(&dir.join(n))).sum();
        for db in srv.dbs.iter_mut() {
            db.keep_expired = true;
        }
        Ok(AofLoad {
            files,
            next_file: 0,
            cur: None,
            pseudo: PseudoClient::new()?,
            total_bytes,
            done_bytes: 0,
        })
    }

    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    pub fn loaded_bytes(&self) -> u64 {
        self.done_bytes + self.cur.as_ref().map_or(0, |f| f.pos as u64)
    }

    /// Loads about `budget` bytes; true when every file is loaded. On an
    /// error the load is over (the server does not start).
    pub fn step(&mut self, srv: &mut ServerState, budget: usize) -> Result<bool, String> {
        let r = self.step_inner(srv, budget);
        let finished = !matches!(r, Ok(false));
        if finished {
            for db in srv.dbs.iter_mut() {
                db.keep_expired = false;
            }
            // Loading is not a change.
            srv.dirty = 0;
        }
        r
    }

    fn step_inner(&mut self, srv: &mut ServerState, budget: usize) -> Result<bool, String> {
        let mut left = budget;
        loop {
            if self.cur.is_none() {
                if self.next_file == self.files.len() {
                    return Ok(true);
                }
                self.cur = Some(self.open(srv)?);
            }
            let f = self.cur.as_mut().expect("opened above");
            let before = f.pos;
            let file_done = load_some(srv, &mut self.pseudo, f, left)?;
            left = left.saturating_sub(f.pos.saturating_sub(before).max(1));
            if file_done {
                let f = self.cur.take().expect("loading a file");
                self.done_bytes += f.bytes.len() as u64;
                let kind = if self.files[self.next_file - 1].1 {
                    "base"
                } else {
                    "incr"
                };
                log::info!("DB loaded from {kind} file {}", f.name);
            }
            if left == 0 {
                return Ok(self.cur.is_none() && self.next_file == self.files.len());
            }
        }
    }

    /// Opens the next file of the list.
    fn open(&mut self, srv: &ServerState) -> Result<FileLoad, String> {
        let (name, is_base) = self.files[self.next_file].clone();
        self.next_file += 1;
        let is_last = self.next_file == self.files.len();
        let path = aof_dir(srv).join(&name);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            // The last incr file may not exist yet (a crash right after the
            // manifest named it): it is then created empty.
            Err(e) if e.kind() == io::ErrorKind::NotFound && !is_base && is_last => Vec::new(),
            Err(e) => return Err(format!("Can't open the append-only file {name}: {e}")),
        };
        // An RDB image, which a Redis 6 single file may follow with commands
        // (its "preamble" form): the loader holds the bytes until it is done.
        let (rdb, bytes) = if is_base && rdb::file::is_rdb(&bytes) {
            log::info!("Reading RDB base file on AOF loading...");
            let loader = rdb::file::Loader::new(bytes)
                .map_err(|e| format!("Error loading the AOF base file {name}: {e}"))?;
            (Some(Box::new(loader)), Vec::new())
        } else {
            (None, bytes)
        };
        Ok(FileLoad {
            name,
            path,
            bytes,
            pos: 0,
            is_last,
            rdb,
            multi_start: None,
        })
    }
}

/// Loads about `budget` bytes of a file: its RDB part first, then its
/// commands. True when the file is done.
fn load_some(
    srv: &mut ServerState,
    pc: &mut PseudoClient,
    f: &mut FileLoad,
    budget: usize,
) -> Result<bool, String> {
    if let Some(mut loader) = f.rdb.take() {
        loader
            .step(srv, budget)
            .map_err(|e| format!("Error loading the AOF base file {}: {e}", f.name))?;
        f.pos = loader.loaded_bytes();
        if !loader.done {
            f.rdb = Some(loader);
            return Ok(false);
        }
        // The records are read: the commands that may follow are replayed
        // from the same bytes.
        f.bytes = loader.into_bytes();
        if f.pos < f.bytes.len() {
            log::info!("Reading the remaining AOF tail...");
        }
    }
    replay(srv, pc, f, budget)
}

/// Replays the commands of a file from `f.pos` for about `budget` bytes;
/// true when the file is done. A file that ends inside a command (or inside
/// MULTI) is cut back to its last complete command when it is the last file
/// and aof-load-truncated is yes, else the load fails.
fn replay(
    srv: &mut ServerState,
    pc: &mut PseudoClient,
    f: &mut FileLoad,
    budget: usize,
) -> Result<bool, String> {
    let name = f.name.clone();
    let bytes = &f.bytes;
    let reg = crate::commands::Registry::get();
    let stop = f.pos.saturating_add(budget);
    let mut truncated_at = None;
    while f.pos < bytes.len() {
        if f.pos >= stop {
            return Ok(false);
        }
        match next_item(bytes, f.pos) {
            Next::Annotation(next) => f.pos = next,
            Next::Command(ranges, next) => {
                let args = Args::new(bytes, &ranges);
                if reg.find(args.get(0)).is_none() {
                    return Err(format!(
                        "Unknown command '{}' reading the append only file {name}",
                        String::from_utf8_lossy(args.get(0))
                    ));
                }
                let was_in_multi = pc.in_multi();
                if !was_in_multi && args.get(0).eq_ignore_ascii_case(b"multi") {
                    f.multi_start = Some(f.pos);
                }
                pc.run(srv, &args);
                if !pc.in_multi() {
                    f.multi_start = None;
                }
                f.pos = next;
            }
            Next::Truncated => {
                truncated_at = Some(f.pos);
                break;
            }
            Next::Bad => {
                return Err(format!(
                    "Bad file format reading the append only file {name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>"
                ));
            }
        }
    }
    // A transaction the file does not finish is not applied.
    if let Some(m) = f.multi_start {
        log::warn!("Revert incomplete MULTI/EXEC transaction in AOF file {name}");
        let cid = pc.cid;
        crate::commands::transactions::discard_state(srv, &mut pc.clients[cid], cid);
        truncated_at = Some(truncated_at.map_or(m, |t: usize| t.min(m)));
    }
    if let Some(valid) = truncated_at {
        let load_truncated = srv.config.value_of("aof-load-truncated").as_deref() == Some("yes");
        if !f.is_last || !load_truncated {
            return Err(format!(
                "Unexpected end of file reading the append only file {name} at offset {valid}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."
            ));
        }
        log::warn!("!!! Warning: short read while loading the AOF file {name}!!!");
        log::warn!("!!! Truncating the AOF {name} at offset {valid} !!!");
        let file = OpenOptions::new()
            .write(true)
            .open(&f.path)
            .map_err(|e| format!("Can't open {name} to truncate it: {e}"))?;
        file.set_len(valid as u64)
            .and_then(|()| file.sync_all())
            .map_err(|e| format!("Error truncating the AOF file {name}: {e}"))?;
        log::warn!("AOF {name} loaded anyway because aof-load-truncated is enabled");
    }
    Ok(true)
}

/// DEBUG LOADAOF: the pending writes flushed, the databases emptied and
/// the AOF loaded again from its manifest (nothing loaded is propagated).
/// `Err` when the AOF is off or cannot be loaded.
pub fn debug_loadaof(srv: &mut ServerState) -> Result<(), String> {
    if srv.aof.state == State::On {
        write_pending(srv);
        if let Some(f) = &srv.aof.file {
            let _ = f.sync_data();
        }
    }
    let dir = aof_dir(srv);
    let text = fs::read_to_string(dir.join(manifest_name(srv)))
        .map_err(|e| format!("Can't open the AOF manifest: {e}"))?;
    let m = Manifest::parse(&text)?;
    for db in srv.dbs.iter_mut() {
        db.clear();
    }
    let feeds = (srv.propagation.aof.on, srv.propagation.repl.on);
    srv.propagation.aof.on = false;
    srv.propagation.repl.on = false;
    let r = load_files(srv, &m);
    (srv.propagation.aof.on, srv.propagation.repl.on) = feeds;
    // A key expired by a replayed command is not propagated either.
    for db in srv.dbs.iter_mut() {
        db.take_expired_log();
    }
    r?;
    log::warn!("Append Only File loaded by DEBUG LOADAOF");
    Ok(())
}

/// The client AOF commands run as: no socket anyone reads, replies thrown
/// away. (A loopback connection, since a client has a socket.)
struct PseudoClient {
    clients: slab::Slab<crate::server::client::Client>,
    cid: usize,
    db: usize,
    out: ReplyBuf,
    /// Kept open so the client's socket stays valid.
    _peer: std::net::TcpStream,
}

impl PseudoClient {
    fn new() -> Result<PseudoClient, String> {
        let pair = || -> io::Result<(std::net::TcpStream, std::net::TcpStream)> {
            let l = std::net::TcpListener::bind("127.0.0.1:0")?;
            let a = std::net::TcpStream::connect(l.local_addr()?)?;
            let (b, _) = l.accept()?;
            Ok((a, b))
        };
        let (mine, peer) =
            pair().map_err(|e| format!("Can't create the AOF loading client: {e}"))?;
        let addr = mine
            .peer_addr()
            .map_err(|e| format!("Can't create the AOF loading client: {e}"))?;
        let _ = mine.set_nonblocking(true);
        let sock = mio::net::TcpStream::from_std(mine);
        let mut clients = slab::Slab::new();
        let cid = clients.insert(crate::server::client::Client::new(0, sock, addr, true));
        Ok(PseudoClient {
            clients,
            cid,
            db: 0,
            out: ReplyBuf::new(),
            _peer: peer,
        })
    }

    fn run(&mut self, srv: &mut ServerState, args: &Args) {
        let mut ctx = Ctx {
            srv,
            clients: &mut self.clients,
            cid: self.cid,
            out: &mut self.out,
            db: self.db,
            now: 0,
            dirty: 0,
        };
        dispatch(&mut ctx, args, crate::server::Tick::now());
        self.db = ctx.db;
        self.out.buf.clear();
    }

    fn in_multi(&self) -> bool {
        self.clients[self.cid].multi.is_some()
    }
}

/// What the reader found at a position of an AOF.
enum Next {
    /// A command: its argument ranges and the position after it.
    Command(Vec<(usize, usize)>, usize),
    /// An annotation line (`#...`), skipped: the position after it.
    Annotation(usize),
    /// The file ends inside a command.
    Truncated,
    Bad,
}

/// Reads the next item of an AOF at `pos` (< len).
fn next_item(b: &[u8], pos: usize) -> Next {
    let line = |from: usize| -> Option<(usize, usize)> {
        let nl = b[from..].iter().position(|&c| c == b'\n')? + from;
        if nl == from || b[nl - 1] != b'\r' {
            return None;
        }
        Some((nl - 1, nl + 1))
    };
    if b[pos] == b'#' {
        return match b[pos..].iter().position(|&c| c == b'\n') {
            Some(i) => Next::Annotation(pos + i + 1),
            None => Next::Truncated,
        };
    }
    if b[pos] != b'*' {
        return Next::Bad;
    }
    let Some((end, mut p)) = line(pos) else {
        return if b[pos..].contains(&b'\n') {
            Next::Bad
        } else {
            Next::Truncated
        };
    };
    let Some(argc) = std::str::from_utf8(&b[pos + 1..end])
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
    else {
        return Next::Bad;
    };
    if argc < 1 {
        return Next::Bad;
    }
    let mut ranges = Vec::with_capacity(argc.min(1024));
    for _ in 0..argc {
        if p >= b.len() {
            return Next::Truncated;
        }
        if b[p] != b'$' {
            return Next::Bad;
        }
        let Some((end, start)) = line(p) else {
            return if b[p..].contains(&b'\n') {
                Next::Bad
            } else {
                Next::Truncated
            };
        };
        let Some(n) = std::str::from_utf8(&b[p + 1..end])
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
        else {
            return Next::Bad;
        };
        let Some(stop) = start.checked_add(n) else {
            return Next::Bad;
        };
        if stop + 2 > b.len() {
            return Next::Truncated;
        }
        if &b[stop..stop + 2] != b"\r\n" {
            return Next::Bad;
        }
        ranges.push((start, stop));
        p = stop + 2;
    }
    Next::Command(ranges, p)
}

// ---------------------------------------------------------------------------
// Rewriting
// ---------------------------------------------------------------------------

/// Starts a rewrite: a new incr file now (a temporary one while the AOF is
/// being turned on; none while it is off), the new base from a snapshot of
/// this moment.
pub fn start_rewrite(srv: &mut ServerState) -> Result<(), String> {
    if srv.aof.rewrite.is_some() {
        return Err("Background append only file rewriting already in progress".into());
    }
    if srv.snapshot.is_some() {
        return Err("Another child process is active".into());
    }
    let dir = aof_dir(srv);
    fs::create_dir_all(&dir).map_err(|e| format!("Can't create the AOF directory: {e}"))?;
    // Everything propagated so far belongs to the old files.
    write_pending(srv);
    let mut temp_incr = false;
    let keep_from;
    match srv.aof.state {
        State::On => {
            let seq = srv.aof.manifest.incr_seq + 1;
            let name = incr_name(srv, seq);
            let f = open_append(&dir.join(&name))
                .map_err(|e| format!("Can't open the append-only file {name}: {e}"))?;
            let mut m = srv.aof.manifest.clone();
            m.incr_seq = seq;
            m.incrs.push(FileInfo {
                name: name.clone(),
                seq,
                kind: Kind::Incr,
            });
            if let Err(e) = persist_manifest(srv, &m) {
                let _ = fs::remove_file(dir.join(&name));
                return Err(format!("Can't persist the AOF manifest: {e}"));
            }
            log::info!("Creating AOF incr file {name} on background rewrite");
            keep_from = m.incrs.len() - 1;
            srv.aof.manifest = m;
            set_file(&mut srv.aof, Some(f));
            srv.propagation.aof.reset_db();
        }
        State::WaitRewrite => {
            let name = temp_incr_name(srv);
            let f = OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(true)
                .open(dir.join(&name))
                .map_err(|e| format!("Can't open the append-only file {name}: {e}"))?;
            log::info!("Creating AOF incr file {name} on background rewrite");
            // What was written before this moment is in the new base.
            srv.aof.unwritten.clear();
            srv.propagation.aof.take();
            set_file(&mut srv.aof, Some(f));
            turn_feed_on(srv);
            temp_incr = true;
            keep_from = srv.aof.manifest.incrs.len();
        }
        State::Off => keep_from = srv.aof.manifest.incrs.len(),
    }
    let base = base_name(srv, srv.aof.manifest.base_seq + 1);
    let path = dir.join(&base);
    let started = Instant::now();
    srv.aof.rewrite = Some(Rewrite {
        started,
        keep_from,
        temp_incr,
        base,
    });
    if !rdb_preamble(srv) {
        // Commands: written now, on the loop (the snapshot writes RDB only).
        let result = write_command_base(srv, &path).map_err(|e| e.to_string());
        let out = Outcome {
            result,
            elapsed: started.elapsed(),
            records: 0,
            slices: 0,
            longest_slice: Duration::ZERO,
            longest_slice_cpu: Duration::ZERO,
        };
        let failed = out.result.is_err();
        rewrite_done(srv, &out);
        if failed {
            return Err("Can't write the AOF base".into());
        }
        log::info!("Append only file rewritten (commands base)");
        return Ok(());
    }
    let r = rdb::start_snapshot(srv, &path, Purpose::AofRewrite, Box::new(rewrite_done));
    if let Err(e) = r {
        let out = Outcome {
            result: Err(e.clone()),
            elapsed: Duration::ZERO,
            records: 0,
            slices: 0,
            longest_slice: Duration::ZERO,
            longest_slice_cpu: Duration::ZERO,
        };
        rewrite_done(srv, &out);
        return Err(e);
    }
    log::info!("Background append only file rewriting started");
    Ok(())
}

/// The base is written (or failed): switches the manifest to it.
fn rewrite_done(srv: &mut ServerState, out: &Outcome) {
    let Some(job) = srv.aof.rewrite.take() else {
        return;
    };
    let dir = aof_dir(srv);
    srv.aof.last_rewrite_secs = job.started.elapsed().as_secs() as i64;
    let size = match &out.result {
        Ok(size) => *size,
        Err(e) => {
            log::warn!("Background AOF rewrite terminated with error: {e}");
            rewrite_failed(srv, &job);
            return;
        }
    };
    let mut m = srv.aof.manifest.clone();
    let old_files: Vec<FileInfo> = m
        .base
        .take()
        .into_iter()
        .chain(m.incrs.drain(..job.keep_from.min(m.incrs.len())))
        .chain(m.history.drain(..))
        .collect();
    m.base_seq += 1;
    let base = job.base.clone();
    m.base = Some(FileInfo {
        name: base.clone(),
        seq: m.base_seq,
        kind: Kind::Base,
    });
    let mut old = old_files;
    match srv.aof.state {
        State::WaitRewrite if job.temp_incr => {
            let seq = m.incr_seq + 1;
            let name = incr_name(srv, seq);
            if let Err(e) = fs::rename(dir.join(temp_incr_name(srv)), dir.join(&name)) {
                log::warn!("Error trying to rename the temporary AOF incr file: {e}");
                rewrite_failed(srv, &job);
                return;
            }
            log::info!(
                "Successfully renamed the temporary AOF incr file {} into {name}",
                temp_incr_name(srv)
            );
            old.append(&mut m.incrs);
            m.incr_seq = seq;
            m.incrs = vec![FileInfo {
                name,
                seq,
                kind: Kind::Incr,
            }];
        }
        State::Off => old.append(&mut m.incrs),
        _ => {}
    }
    if let Err(e) = persist_manifest(srv, &m) {
        log::warn!("Can't persist the AOF manifest after the rewrite: {e}");
        rewrite_failed(srv, &job);
        return;
    }
    for f in &old {
        if f.name != base && !m.incrs.iter().any(|i| i.name == f.name) {
            log::info!("Removing the history file {} in the background", f.name);
            let _ = fs::remove_file(dir.join(&f.name));
        }
    }
    let incr_bytes: u64 = m.incrs.iter().map(|f| file_size(&dir.join(&f.name))).sum();
    srv.aof.manifest = m;
    srv.aof.base_size = size;
    srv.aof.current_size = size + incr_bytes;
    srv.aof.rewrites += 1;
    srv.aof.last_rewrite_ok = true;
    srv.aof.consecutive_failures = 0;
    if srv.aof.state == State::WaitRewrite {
        srv.aof.state = State::On;
    }
    log::info!("Background AOF rewrite finished successfully");
}

fn rewrite_failed(srv: &mut ServerState, job: &Rewrite) {
    srv.aof.last_rewrite_ok = false;
    srv.aof.consecutive_failures += 1;
    if job.temp_incr {
        // Turning the AOF on failed: it stays off.
        let _ = fs::remove_file(aof_dir(srv).join(temp_incr_name(srv)));
        stop(srv);
    }
}

/// Stops writing the AOF (CONFIG SET appendonly no, a failed turn-on).
fn stop(srv: &mut ServerState) {
    write_pending(srv);
    set_file(&mut srv.aof, None);
    srv.aof.state = State::Off;
    srv.aof.fsync = None;
    srv.propagation.aof.on = false;
    srv.propagation.aof.take();
    crate::server::propagate::sync_expiry_logs(srv);
}

fn read_auto_config(srv: &mut ServerState) {
    let num = |name: &str, d: u64| {
        srv.config
            .value_of(name)
            .and_then(|v| crate::config::parse_memory(&v))
            .unwrap_or(d)
    };
    let (pct, min) = (
        num("auto-aof-rewrite-percentage", 100),
        num("auto-aof-rewrite-min-size", 64 << 20),
    );
    srv.aof.auto_pct = pct;
    srv.aof.auto_min = min;
}

/// After CONFIG SET: appendonly turned on (a rewrite makes the first base;
/// writes go to a temporary incr file meanwhile) or off.
pub fn config_changed(srv: &mut ServerState) {
    if !srv.aof.started {
        return;
    }
    read_auto_config(srv);
    let want = srv.config.appendonly;
    match (want, srv.aof.state) {
        (true, State::Off) => {
            srv.aof.state = State::WaitRewrite;
            if srv.snapshot.is_some() {
                // The feed starts with the rewrite (what is written before
                // it is in its base).
                log::warn!("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
                srv.aof.rewrite_scheduled = true;
                return;
            }
            if let Err(e) = start_rewrite(srv) {
                log::warn!("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation: {e}");
                srv.aof.state = State::Off;
            }
        }
        (false, State::On | State::WaitRewrite) => {
            if srv
                .snapshot
                .as_ref()
                .is_some_and(|r| r.purpose == Purpose::AofRewrite)
            {
                log::info!("Killing running AOF rewrite child");
                rdb::snapshot::abort(srv);
            }
            srv.aof.rewrite_scheduled = false;
            if let Some(f) = &srv.aof.file {
                let _ = f.sync_data();
            }
            stop(srv);
        }
        _ => {}
    }
}

/// The AOF lines of INFO persistence, as Redis prints them.
pub fn info_fields(srv: &ServerState, s: &mut String) {
    use std::fmt::Write as _;
    let a = &srv.aof;
    let running = a.rewrite.is_some();
    let _ = write!(
        s,
        "aof_enabled:{}\r\naof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:{}\r\n\
         aof_last_rewrite_time_sec:{}\r\naof_current_rewrite_time_sec:{}\r\n\
         aof_last_bgrewrite_status:{}\r\naof_rewrites:{}\r\naof_rewrites_consecutive_failures:{}\r\n\
         aof_last_write_status:{}\r\naof_last_cow_size:0\r\n",
        u8::from(a.state != State::Off),
        u8::from(running),
        u8::from(a.rewrite_scheduled),
        a.last_rewrite_secs,
        a.rewrite
            .as_ref()
            .map_or(-1, |r| r.started.elapsed().as_secs() as i64),
        if a.last_rewrite_ok { "ok" } else { "err" },
        a.rewrites,
        a.consecutive_failures,
        if a.last_write_ok { "ok" } else { "err" },
    );
}

/// The lines INFO persistence adds at its end while the AOF is on.
pub fn info_tail(srv: &ServerState, s: &mut String) {
    use std::fmt::Write as _;
    let a = &srv.aof;
    if a.state == State::Off {
        return;
    }
    let _ = write!(
        s,
        "aof_current_size:{}\r\naof_base_size:{}\r\naof_pending_rewrite:{}\r\n\
         aof_buffer_length:{}\r\naof_pending_bio_fsync:0\r\naof_delayed_fsync:0\r\n",
        a.current_size,
        a.base_size,
        u8::from(a.rewrite_scheduled),
        srv.propagation.aof.buf.buf.len(),
    );
}

// ---------------------------------------------------------------------------
// BGREWRITEAOF
// ---------------------------------------------------------------------------

fn bgrewriteaof(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    if ctx.srv.aof.rewrite.is_some() {
        return Err(CmdError::from(
            "ERR Background append only file rewriting already in progress",
        ));
    }
    if ctx.srv.snapshot.is_some() {
        ctx.srv.aof.rewrite_scheduled = true;
        ctx.out
            .status("Background append only file rewriting scheduled");
        return Ok(());
    }
    match start_rewrite(ctx.srv) {
        Ok(()) => {
            ctx.out
                .status("Background append only file rewriting started");
            Ok(())
        }
        Err(e) => {
            log::warn!("Can't rewrite the AOF: {e}");
            Err(CmdError::from(
                "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
            ))
        }
    }
}

pub const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "bgrewriteaof",
    arity: 1,
    flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::NO_ASYNC_LOADING),
    acl: Acl::ADMIN.or(Acl::SLOW).or(Acl::DANGEROUS),
    group: Group::Server,
    since: "1.0.0",
    summary: "Asynchronously rewrite the append-only file to disk",
    complexity: "O(1)",
    handler: bgrewriteaof,
    ..BASE
}];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trip() {
        let text = "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n";
        let m = Manifest::parse(text).unwrap();
        assert_eq!(m.base_seq, 1);
        assert_eq!(m.incr_seq, 2);
        assert_eq!(m.render(), text);
        let q = Manifest::parse("file \"a b\" seq 3 type i\n").unwrap();
        assert_eq!(q.incrs[0].name, "a b");
        assert_eq!(q.render(), "file \"a b\" seq 3 type i\n");
        for bad in [
            "file a seq 1\n",
            "file a seq x type i\n",
            "file a seq 1 type z\n",
            "file a seq 1 type b\nfile b seq 2 type b\n",
            "file a seq 2 type i\nfile b seq 1 type i\n",
            "",
        ] {
            assert!(Manifest::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn reader_items() {
        let b = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n#TS:1\r\n*1\r\n$4\r\nPI";
        let Next::Command(r, p) = next_item(b, 0) else {
            panic!()
        };
        assert_eq!(r, vec![(8, 14), (20, 21)]);
        let Next::Annotation(p) = next_item(b, p) else {
            panic!()
        };
        assert!(matches!(next_item(b, p), Next::Truncated));
        assert!(matches!(next_item(b"x", 0), Next::Bad));
        assert!(matches!(next_item(b"*1\r\n$2\r\nabc\r\n", 0), Next::Bad));
        assert!(matches!(next_item(b"*1\r\n$3\r\nab", 0), Next::Truncated));
    }
}
