//! The RDB file around the values: the header and aux fields, one record per
//! key (expiry, LRU/LFU, type, key, value), the EOF mark and the CRC64
//! trailer; writing a whole file synchronously (SAVE, SHUTDOWN) and loading
//! one, in slices so the event loop can answer `-LOADING` meanwhile.
//!
//! Values themselves are `value.rs`'s business; the snapshot that writes a
//! file in the background is `snapshot.rs`'s.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::codec::{self, opcode, write_len, write_string, RdbError, Reader, RDB_VERSION};
use super::crc64::crc64;
use super::value::{decode_value, encode_payload, value_type};
use crate::keyspace::db::{lru_clock, Db};
use crate::keyspace::value::Value;
use crate::server::ServerState;

/// What a record carries besides the key and value: the LRU idle time or the
/// LFU counter, written only under an eviction policy that uses them (as
/// Redis: `IDLE` for the *-lru policies, `FREQ` for the *-lfu ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessMode {
    None,
    Lru,
    Lfu,
}

impl AccessMode {
    pub fn for_policy(policy: &str) -> AccessMode {
        if policy.ends_with("-lru") {
            AccessMode::Lru
        } else if policy.ends_with("-lfu") {
            AccessMode::Lfu
        } else {
            AccessMode::None
        }
    }
}

/// How records are written (fixed for one file).
#[derive(Clone, Copy, Debug)]
pub struct RecordOpts {
    pub compress: bool,
    pub access: AccessMode,
    /// The time the image is taken at (idle times are counted to it).
    pub now_ms: i64,
}

/// The aux fields of the header. (The replication fields, repl-id and
/// repl-offset, are written by a server with replication state only, as
/// Redis does: not yet here.)
pub struct HeaderInfo {
    pub ctime: i64,
    pub used_mem: u64,
    pub aof_base: bool,
}

impl HeaderInfo {
    pub fn of(_srv: &ServerState, aof_base: bool) -> HeaderInfo {
        HeaderInfo {
            ctime: crate::server::unix_ms() / 1000,
            used_mem: crate::commands::server::allocator_stats().map_or(0, |a| a.allocated),
            aof_base,
        }
    }
}

/// `REDIS0010` and the aux fields Redis 7.0 writes.
pub fn write_header(out: &mut Vec<u8>, info: &HeaderInfo) {
    out.extend_from_slice(format!("REDIS{RDB_VERSION:04}").as_bytes());
    let mut aux = |k: &str, v: &[u8]| {
        out.push(opcode::AUX);
        write_string(out, k.as_bytes(), false);
        write_string(out, v, false);
    };
    aux("redis-ver", crate::REDIS_VERSION.as_bytes());
    aux("redis-bits", b"64");
    aux("ctime", info.ctime.to_string().as_bytes());
    aux("used-mem", info.used_mem.to_string().as_bytes());
    aux("aof-base", if info.aof_base { b"1" } else { b"0" });
}

/// The start of a database's records: SELECTDB and the RESIZEDB size hint.
pub fn write_db_start(out: &mut Vec<u8>, db: usize, keys: usize, expires: usize) {
    out.push(opcode::SELECTDB);
    write_len(out, db as u64);
    out.push(opcode::RESIZEDB);
    write_len(out, keys as u64);
    write_len(out, expires as u64);
}

/// Switches the database records are read into (no size hint).
pub fn write_select(out: &mut Vec<u8>, db: usize) {
    out.push(opcode::SELECTDB);
    write_len(out, db as u64);
}

/// One key's record.
pub fn write_record(
    out: &mut Vec<u8>,
    key: &[u8],
    val: &Value,
    expire_ms: Option<i64>,
    access_bits: u32,
    opts: &RecordOpts,
) {
    if let Some(when) = expire_ms {
        out.push(opcode::EXPIRETIME_MS);
        out.extend_from_slice(&when.to_le_bytes());
    }
    match opts.access {
        AccessMode::None => {}
        AccessMode::Lru => {
            let idle = crate::keyspace::db::idle_secs(access_bits, opts.now_ms);
            out.push(opcode::IDLE);
            write_len(out, u64::from(idle));
        }
        AccessMode::Lfu => {
            out.push(opcode::FREQ);
            out.push((access_bits & 0xff) as u8);
        }
    }
    out.push(value_type(val));
    write_string(out, key, opts.compress);
    encode_payload(out, val, opts.compress);
}

/// The EOF mark (the CRC64 trailer follows, over everything up to it).
pub fn write_eof(out: &mut Vec<u8>) {
    out.push(opcode::EOF);
}

/// Where the dump file is: `dir` is the working directory (CONFIG SET dir
/// changes it, as Redis), so the file name alone.
pub fn dump_path(srv: &ServerState) -> PathBuf {
    PathBuf::from(&srv.config.dbfilename)
}

/// Writes chunks to a temporary file beside `path`, with the CRC64 trailer,
/// fsync and rename into place: the file at `path` is either the old one or
/// the complete new one, never a partial one.
pub struct FileSink {
    file: io::BufWriter<File>,
    tmp: PathBuf,
    path: PathBuf,
    crc: u64,
    checksum: bool,
    pub written: u64,
}

impl FileSink {
    pub fn create(path: &Path, tmp_name: &str, checksum: bool) -> io::Result<FileSink> {
        let tmp = path
            .parent()
            .map(|p| p.join(tmp_name))
            .unwrap_or_else(|| PathBuf::from(tmp_name));
        let file = File::create(&tmp)?;
        Ok(FileSink {
            file: io::BufWriter::with_capacity(1 << 20, file),
            tmp,
            path: path.to_path_buf(),
            crc: 0,
            checksum,
            written: 0,
        })
    }

    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.checksum {
            self.crc = crc64(self.crc, bytes);
        }
        self.written += bytes.len() as u64;
        self.file.write_all(bytes)
    }

    /// Appends the trailer, syncs and renames; the temp file is removed on
    /// any error.
    pub fn finish(mut self) -> io::Result<u64> {
        let r = self.finish_inner();
        if r.is_err() {
            let _ = std::fs::remove_file(&self.tmp);
        }
        r
    }

    fn finish_inner(&mut self) -> io::Result<u64> {
        let crc = if self.checksum { self.crc } else { 0 };
        self.file.write_all(&crc.to_le_bytes())?;
        self.file.flush()?;
        self.file.get_ref().sync_all()?;
        std::fs::rename(&self.tmp, &self.path)?;
        sync_dir_of(&self.path);
        Ok(self.written + 8)
    }

    /// Gives up: the temp file is removed, the old file untouched.
    pub fn abandon(self) {
        let tmp = self.tmp.clone();
        drop(self);
        let _ = std::fs::remove_file(tmp);
    }
}

/// Makes a rename durable (best effort: some filesystems refuse).
pub fn sync_dir_of(path: &Path) {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Serializes every database into `emit`, in chunks of about 1 MB: the
/// synchronous save (SAVE, SHUTDOWN, FLUSHALL with save points, DEBUG
/// RELOAD). Expired keys not yet deleted are written with their time, as
/// Redis does (the loader skips them).
pub fn write_dataset(
    srv: &ServerState,
    aof_base: bool,
    emit: &mut dyn FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let opts = record_opts(srv);
    let mut buf = Vec::with_capacity(1 << 20);
    write_header(&mut buf, &HeaderInfo::of(srv, aof_base));
    for db in &srv.dbs {
        if db.is_empty() {
            continue;
        }
        write_db_start(&mut buf, db.id, db.len(), db.expires_len());
        for id in db.entries() {
            write_record(
                &mut buf,
                db.key(id),
                db.value(id),
                db.expire_of(id),
                db.lru(id),
                &opts,
            );
            if buf.len() >= 1 << 20 {
                emit(&buf)?;
                buf.clear();
            }
        }
    }
    write_eof(&mut buf);
    emit(&buf)
}

/// The record options the configuration asks for now.
pub fn record_opts(srv: &ServerState) -> RecordOpts {
    RecordOpts {
        compress: srv.config.rdbcompression,
        access: AccessMode::for_policy(&srv.config.maxmemory_policy),
        now_ms: crate::server::unix_ms(),
    }
}

/// SAVE: writes the dataset to the dump file now, on this thread.
pub fn save_sync(srv: &ServerState, path: &Path) -> io::Result<u64> {
    let tmp = format!("temp-{}.rdb", std::process::id());
    let mut sink = FileSink::create(path, &tmp, srv.config.rdbchecksum)?;
    let r = write_dataset(srv, false, &mut |b| sink.write(b));
    match r {
        Ok(()) => sink.finish(),
        Err(e) => {
            sink.abandon();
            Err(e)
        }
    }
}

/// Totals of a load (INFO rdb_last_load_keys_loaded / _expired).
#[derive(Default, Debug, Clone, Copy)]
pub struct LoadStats {
    pub keys_loaded: u64,
    pub keys_expired: u64,
}

/// An RDB image being loaded, a slice at a time: the loop calls `step`
/// between events and answers `-LOADING` to other commands meanwhile.
pub struct Loader {
    bytes: Vec<u8>,
    pos: usize,
    version: u32,
    db: usize,
    /// Pending per-record opcodes (they precede the key they apply to).
    expire: Option<i64>,
    idle: Option<u64>,
    freq: Option<u8>,
    pub stats: LoadStats,
    pub done: bool,
    /// DEBUG RELOAD MERGE: a key already present is replaced, not an error.
    pub merge: bool,
    /// CRC64 of the bytes before `crc_upto`, kept up as slices are read.
    crc: u64,
    crc_upto: usize,
}

impl Loader {
    /// Checks the magic and version; the records are read by `step`.
    pub fn new(bytes: Vec<u8>) -> Result<Loader, RdbError> {
        let mut r = Reader::new(&bytes);
        let magic = r
            .bytes(9)
            .map_err(|_| r.error("Short read of the RDB header"))?;
        if &magic[..5] != b"REDIS" {
            return Err(RdbError {
                offset: 0,
                msg: "Wrong signature trying to load DB from file".into(),
            });
        }
        let version = std::str::from_utf8(&magic[5..9])
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|&v| (1..=u32::from(RDB_VERSION)).contains(&v))
            .ok_or_else(|| RdbError {
                offset: 5,
                msg: format!(
                    "Can't handle RDB format version {}",
                    String::from_utf8_lossy(&magic[5..9]).trim_start_matches('0')
                ),
            })?;
        Ok(Loader {
            bytes,
            pos: 9,
            version,
            db: 0,
            expire: None,
            idle: None,
            freq: None,
            stats: LoadStats::default(),
            done: false,
            merge: false,
            crc: 0,
            crc_upto: 0,
        })
    }

    pub fn total_bytes(&self) -> usize {
        self.bytes.len()
    }

    pub fn loaded_bytes(&self) -> usize {
        self.pos
    }

    /// The image, given back once the records are read (an AOF base may go
    /// on with commands after it).
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Reads records for about `budget` bytes (at least one record) into the
    /// databases. Sets `done` at the EOF mark, after checking the checksum.
    pub fn step(&mut self, srv: &mut ServerState, budget: usize) -> Result<(), RdbError> {
        let bytes = std::mem::take(&mut self.bytes);
        let r = self.step_in(&bytes, srv, budget);
        if r.is_ok() && !self.done {
            self.crc = crc64(self.crc, &bytes[self.crc_upto..self.pos]);
            self.crc_upto = self.pos;
        }
        self.bytes = bytes;
        r
    }

    fn step_in(
        &mut self,
        bytes: &[u8],
        srv: &mut ServerState,
        budget: usize,
    ) -> Result<(), RdbError> {
        let mut r = Reader::new(bytes);
        r.bytes(self.pos)?;
        let stop = self.pos.saturating_add(budget);
        let now = crate::server::unix_ms();
        while !self.done && r.pos() < stop {
            let at = r.pos();
            let op = r.u8()?;
            match op {
                opcode::EOF => {
                    self.check_trailer(&mut r, bytes, at + 1, srv.config.rdbchecksum)?;
                    self.done = true;
                }
                opcode::AUX => {
                    let k = r.string()?;
                    let v = r.string()?;
                    log_aux(&k, &v);
                }
                opcode::SELECTDB => {
                    let db = r.len()?;
                    if db >= srv.dbs.len() as u64 {
                        return Err(RdbError {
                            offset: at,
                            msg: format!(
                                "FATAL: Data file was created with a Redis server configured to handle more than {} databases",
                                srv.dbs.len()
                            ),
                        });
                    }
                    self.db = db as usize;
                }
                opcode::RESIZEDB => {
                    r.len()?;
                    r.len()?;
                }
                opcode::EXPIRETIME_MS => self.expire = Some(r.i64_le()?),
                opcode::EXPIRETIME => self.expire = Some(i64::from(r.u32_le()?) * 1000),
                opcode::IDLE => self.idle = Some(r.len()?),
                opcode::FREQ => self.freq = Some(r.u8()?),
                opcode::MODULE_AUX => {
                    return Err(RdbError {
                        offset: at,
                        msg: "The RDB file contains module AUX data, but ferrodis has no modules to load it".into(),
                    })
                }
                opcode::FUNCTION | opcode::FUNCTION2 => {
                    return Err(RdbError {
                        offset: at,
                        msg: "The RDB file contains functions (FUNCTION LOAD), which ferrodis does not support".into(),
                    })
                }
                t => self.read_key(&mut r, t, srv, now)?,
            }
        }
        self.pos = r.pos();
        Ok(())
    }

    fn read_key(
        &mut self,
        r: &mut Reader,
        rdb_type: u8,
        srv: &mut ServerState,
        now: i64,
    ) -> Result<(), RdbError> {
        let at = r.pos();
        let key = r.string()?;
        let val = decode_value(r, rdb_type, &srv.config)?;
        let expire = self.expire.take();
        let idle = self.idle.take();
        let freq = self.freq.take();
        let Some(val) = val else {
            log::warn!(
                "RDB has an empty key, skipped: {}",
                String::from_utf8_lossy(&key)
            );
            return Ok(());
        };
        // Expired keys are dropped, except in an AOF's base, whose later
        // commands may still use them (as Redis loads a preamble).
        let db: &mut Db = &mut srv.dbs[self.db];
        if expire.is_some_and(|when| when <= now) && !db.keep_expired {
            self.stats.keys_expired += 1;
            return Ok(());
        }
        if self.merge {
            db.delete(&key, now);
        }
        if db.contains_raw(&key) {
            return Err(RdbError {
                offset: at,
                msg: format!("RDB has duplicated key '{}'", String::from_utf8_lossy(&key)),
            });
        }
        let id = db.add_with_expire(&key, val, expire, now);
        if let Some(idle) = idle {
            if !db.tracks_lfu() {
                let when = now.saturating_sub((idle as i64).saturating_mul(1000));
                db.set_access_bits(id, lru_clock(when));
            }
        }
        if let Some(freq) = freq {
            if db.tracks_lfu() {
                let minutes = ((now / 60_000) as u32) & 0xffff;
                db.set_access_bits(id, (minutes << 8) | u32::from(freq));
            }
        }
        self.stats.keys_loaded += 1;
        Ok(())
    }

    /// The 8-byte CRC64 after EOF (RDB 5 and later); zero means the writer
    /// did not compute one.
    fn check_trailer(
        &self,
        r: &mut Reader,
        bytes: &[u8],
        covered: usize,
        verify: bool,
    ) -> Result<(), RdbError> {
        if self.version < 5 {
            return Ok(());
        }
        let at = r.pos();
        let expected = r.u64_le()?;
        if verify && expected != 0 {
            let got = crc64(self.crc, &bytes[self.crc_upto..covered]);
            if got != expected {
                return Err(RdbError {
                    offset: at,
                    msg: format!("Wrong RDB checksum expected: ({expected:x}) got ({got:x})"),
                });
            }
        }
        Ok(())
    }
}

/// Logs the aux fields a user cares about, as Redis words them.
fn log_aux(k: &[u8], v: &[u8]) {
    let v = String::from_utf8_lossy(v);
    match k {
        b"redis-ver" => log::info!("Loading RDB produced by version {v}"),
        b"ctime" => {
            let age = v
                .parse::<i64>()
                .map_or(0, |t| crate::server::unix_ms() / 1000 - t);
            log::info!("RDB age {age} seconds");
        }
        b"used-mem" => {
            let mb = v.parse::<u64>().unwrap_or(0) as f64 / (1024.0 * 1024.0);
            log::info!("RDB memory usage when created {mb:.2} Mb");
        }
        _ => log::debug!("RDB aux field {}: {v}", String::from_utf8_lossy(k)),
    }
}

/// Loads a whole RDB image into the databases at once (DEBUG RELOAD, tests);
/// the image is moved in, not copied.
pub fn load_bytes(srv: &mut ServerState, bytes: Vec<u8>) -> Result<LoadStats, RdbError> {
    load_bytes_with(srv, bytes, false)
}

/// `load_bytes`, replacing keys already present when `merge`.
pub fn load_bytes_with(
    srv: &mut ServerState,
    bytes: Vec<u8>,
    merge: bool,
) -> Result<LoadStats, RdbError> {
    let mut loader = Loader::new(bytes)?;
    loader.merge = merge;
    while !loader.done {
        loader.step(srv, usize::MAX)?;
    }
    Ok(loader.stats)
}

/// The first bytes of an RDB image (an AOF base file may be one).
pub fn is_rdb(bytes: &[u8]) -> bool {
    bytes.starts_with(b"REDIS")
}

/// Re-exported so callers need one import for the format.
pub use codec::RdbError as Error;
