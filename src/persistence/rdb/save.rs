//! RDB bookkeeping of the server: SAVE and BGSAVE as commands see them, the
//! `save` points checked by the cron, the final save at shutdown, and the
//! load of the dump file at start (in slices, with `-LOADING` meanwhile).
//! The figures here feed INFO persistence.

use std::time::{Duration, Instant};

use super::file::{self, dump_path, LoadStats, Loader};
use super::snapshot::{self, Outcome, Purpose};
use crate::server::{unix_ms, ServerState};

/// How long the dump file is retried after a failed BGSAVE before the save
/// points try again (Redis's CONFIG_BGSAVE_RETRY_DELAY).
const BGSAVE_RETRY_SECS: i64 = 5;
/// Bytes of the dump file loaded per turn of the loop at start.
const LOAD_SLICE: usize = 2 << 20;

/// RDB state and statistics (`ServerState::rdb`).
#[derive(Default)]
pub struct RdbState {
    /// Successful saves since start (INFO rdb_saves).
    pub saves: u64,
    pub last_bgsave_failed: bool,
    /// Seconds the last BGSAVE took (-1: none yet).
    pub last_bgsave_secs: Option<i64>,
    /// Unix seconds of the last BGSAVE attempt.
    pub last_bgsave_try: i64,
    /// BGSAVE SCHEDULE waits for the running AOF rewrite.
    pub bgsave_scheduled: bool,
    pub last_load: LoadStats,
    /// The dump file being loaded at start.
    pub loading: Option<Box<Loader>>,
    pub loading_started: Option<(Instant, i64)>,
    /// The command that just ran saved the dataset (FLUSHALL with save
    /// points): the change counter ends at zero after it.
    pub reset_dirty: bool,
}

/// Starts a BGSAVE of the dump file.
pub fn bgsave(srv: &mut ServerState) -> Result<(), String> {
    let path = dump_path(srv);
    srv.rdb.last_bgsave_try = unix_ms() / 1000;
    let dirty_at_start = srv.dirty;
    snapshot::start_snapshot(
        srv,
        &path,
        Purpose::Bgsave,
        Box::new(move |srv, out| bgsave_done(srv, out, dirty_at_start)),
    )?;
    log::info!("Background saving started");
    Ok(())
}

fn bgsave_done(srv: &mut ServerState, out: &Outcome, start_dirty: u64) {
    srv.rdb.last_bgsave_secs = Some(out.elapsed.as_secs() as i64);
    match &out.result {
        Ok(bytes) => {
            log::info!(
                "DB saved on disk ({} keys, {bytes} bytes, {:.3} seconds)",
                out.records,
                out.elapsed.as_secs_f64()
            );
            log::info!(
                "Snapshot walked in {} slices of the event loop, the longest {} us ({} us of CPU)",
                out.slices,
                out.longest_slice.as_micros(),
                out.longest_slice_cpu.as_micros()
            );
            log::info!("Background saving terminated with success");
            srv.dirty = srv.dirty.saturating_sub(start_dirty);
            srv.last_save_unix = unix_ms() / 1000;
            srv.rdb.last_bgsave_failed = false;
            srv.rdb.saves += 1;
        }
        Err(e) => {
            log::warn!("Background saving error: {e}");
            srv.rdb.last_bgsave_failed = true;
        }
    }
}

/// SAVE (and the other synchronous saves): writes the dump file now.
pub fn save(srv: &mut ServerState) -> Result<(), String> {
    if srv.snapshot.is_some() {
        return Err("Background save already in progress".into());
    }
    save_now(srv)
}

fn save_now(srv: &mut ServerState) -> Result<(), String> {
    let path = dump_path(srv);
    let t = Instant::now();
    match file::save_sync(srv, &path) {
        Ok(bytes) => {
            log::info!(
                "DB saved on disk ({bytes} bytes, {:.3} seconds)",
                t.elapsed().as_secs_f64()
            );
            srv.dirty = 0;
            srv.last_save_unix = unix_ms() / 1000;
            srv.rdb.saves += 1;
            srv.rdb.last_bgsave_failed = false;
            Ok(())
        }
        Err(e) => {
            log::warn!("Failed saving the DB: {e}");
            Err(e.to_string())
        }
    }
}

/// The `save` points as (seconds, changes) pairs.
fn save_points(srv: &ServerState) -> Vec<(i64, u64)> {
    let nums: Vec<i64> = srv
        .config
        .save
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    nums.chunks_exact(2)
        .map(|p| (p[0], p[1].max(0) as u64))
        .collect()
}

/// Whether any save point is configured (a final save at shutdown).
pub fn has_save_points(srv: &ServerState) -> bool {
    !srv.config.save.trim().is_empty()
}

/// Cron: starts a BGSAVE when a save point is reached (and after a failure
/// only once the retry delay has passed), or one BGSAVE SCHEDULE asked for.
pub fn cron(srv: &mut ServerState) {
    if srv.snapshot.is_some() || srv.is_loading() {
        return;
    }
    let now = unix_ms() / 1000;
    if srv.rdb.bgsave_scheduled {
        srv.rdb.bgsave_scheduled = false;
        if let Err(e) = bgsave(srv) {
            log::warn!("Scheduled BGSAVE failed: {e}");
        }
        return;
    }
    for (secs, changes) in save_points(srv) {
        let can_retry =
            !srv.rdb.last_bgsave_failed || now - srv.rdb.last_bgsave_try > BGSAVE_RETRY_SECS;
        if srv.dirty >= changes && now - srv.last_save_unix > secs && can_retry {
            log::info!("{changes} changes in {secs} seconds. Saving...");
            if let Err(e) = bgsave(srv) {
                log::warn!("Background saving failed to start: {e}");
                srv.rdb.last_bgsave_failed = true;
            }
            return;
        }
    }
}

/// The save before exit (SHUTDOWN, SIGTERM): a running BGSAVE is stopped
/// and the dump written synchronously. `Err` when it failed.
pub fn shutdown_save(srv: &mut ServerState) -> Result<(), String> {
    if srv.snapshot.is_some() {
        log::warn!("There is a child saving an .rdb. Killing it!");
        snapshot::abort(srv);
    }
    log::info!("Saving the final RDB snapshot before exiting.");
    save_now(srv)
}

/// Whether writes are refused because the last background save failed and
/// save points are set (stop-writes-on-bgsave-error).
pub fn writes_refused(srv: &ServerState) -> bool {
    srv.config.stop_writes_on_bgsave_error && srv.rdb.last_bgsave_failed && has_save_points(srv)
}

/// At start: opens the dump file, if there is one, for loading in slices.
pub fn start_loading(srv: &mut ServerState) -> Result<(), String> {
    let path = dump_path(srv);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("Can't open the RDB file {}: {e}", path.display())),
    };
    let loader = Loader::new(bytes)
        .map_err(|e| format!("Error loading the RDB file {}: {e}", path.display()))?;
    srv.rdb.loading = Some(Box::new(loader));
    srv.rdb.loading_started = Some((Instant::now(), unix_ms() / 1000));
    Ok(())
}

/// One slice of the load at start; `Err` is fatal (the message names the
/// file and the offset).
pub fn loading_step(srv: &mut ServerState) -> Result<(), String> {
    let Some(mut loader) = srv.rdb.loading.take() else {
        return Ok(());
    };
    if let Err(e) = loader.step(srv, LOAD_SLICE) {
        return Err(format!(
            "Error loading the RDB file {}: {e}",
            dump_path(srv).display()
        ));
    }
    if loader.done {
        let secs = srv
            .rdb
            .loading_started
            .map_or(Duration::ZERO, |(t, _)| t.elapsed());
        log::info!(
            "Done loading RDB, keys loaded: {}, keys expired: {}.",
            loader.stats.keys_loaded,
            loader.stats.keys_expired
        );
        log::info!("DB loaded from disk: {:.3} seconds", secs.as_secs_f64());
        srv.rdb.last_load = loader.stats;
        srv.rdb.loading_started = None;
    } else {
        srv.rdb.loading = Some(loader);
    }
    Ok(())
}

/// DEBUG RELOAD: saves (unless `nosave`), empties the databases (unless
/// `noflush`) and loads the dump file back (replacing keys present when
/// `merge`).
pub fn debug_reload(
    srv: &mut ServerState,
    nosave: bool,
    noflush: bool,
    merge: bool,
) -> Result<(), String> {
    if !nosave {
        save(srv)?;
    }
    let path = dump_path(srv);
    let bytes =
        std::fs::read(&path).map_err(|e| format!("Error trying to load the RDB dump: {e}"))?;
    if !noflush {
        for db in &mut srv.dbs {
            db.clear();
        }
    }
    let stats = file::load_bytes_with(srv, bytes, merge)
        .map_err(|e| format!("Error trying to load the RDB dump, check server logs. ({e})"))?;
    srv.rdb.last_load = stats;
    Ok(())
}
