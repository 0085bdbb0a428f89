//! One numbered database: the key table, the expiry index and the keyspace API
//! that every command uses.
//!
//! Keys are looked up through `lookup`, which applies lazy expiry (a key past its
//! TTL is deleted on access and reported absent) and stamps the LRU clock. The
//! active expiry cycle (`active_expire`) samples keys with a TTL in bounded time
//! from the cron, as Redis's activeExpireCycle, so expired keys do not pile up.
//!
//! Each entry's 32 spare `meta` bits hold:
//! - bit 31: the key has a TTL (its time is in `Expires`);
//! - bit 30: the snapshot bit: whether a running snapshot has written the
//!   entry yet (see `db/snapshot.rs`; every write goes through `note_write`,
//!   which lets the snapshot write the old state first).
//! - bits 0..24: the LRU clock (seconds, mod 2^24) of the last access; or,
//!   when the database tracks LFU (`set_lfu`, for the `*-lfu` maxmemory
//!   policies), Redis's LFU data: the minute (mod 2^16) of the last counter
//!   decrement in bits 8..24 and a logarithmic access counter in bits 0..8.

use std::collections::{HashMap, VecDeque};

use super::dict::{Dict, EntryId};
use super::expires::Expires;
use super::hasher::FastBuildHasher;
use super::small_bytes::SmallBytes;
use super::value::Value;
use crate::server::notify::DbEvent;
use crate::util::rng::Rng;

mod snapshot;

const META_EXPIRE: u32 = 1 << 31;
/// The snapshot bit (see `snapshot.rs`).
const META_SNAPSHOT: u32 = 1 << 30;
const LRU_MASK: u32 = (1 << 24) - 1;
/// The LFU counter of a new key (so it is not evicted at once).
pub const LFU_INIT_VAL: u32 = 5;

/// The LRU clock: seconds, modulo 2^24, as Redis's.
pub fn lru_clock(now_ms: i64) -> u32 {
    ((now_ms / 1000) as u32) & LRU_MASK
}

/// Seconds since an entry's LRU stamp `lru` at `now_ms`, across a wrap of the
/// 24-bit clock computed as Redis does (OBJECT IDLETIME, DEBUG OBJECT).
pub fn idle_secs(lru: u32, now_ms: i64) -> u32 {
    let clock = lru_clock(now_ms);
    if clock >= lru {
        clock - lru
    } else {
        LRU_MASK - lru + clock
    }
}

pub struct Db {
    pub id: usize,
    dict: Dict<SmallBytes, Value>,
    expires: Expires,
    /// Keys deleted because their TTL passed (lazily or actively).
    pub expired_keys: u64,
    /// Reads that found / did not find their key (INFO keyspace_hits/misses).
    pub hits: u64,
    pub misses: u64,
    /// Mean remaining TTL of sampled keys, in ms (INFO keyspace avg_ttl).
    pub avg_ttl: i64,
    /// Random state for sampling.
    rng: Rng,
    /// LFU tracking instead of LRU stamps (see `set_lfu`).
    lfu: Option<LfuParams>,
    /// Clients (slab keys) waiting on each key in blocking commands, in
    /// arrival order (see `server::blocking`).
    waiters: HashMap<SmallBytes, VecDeque<usize>, FastBuildHasher>,
    /// Keys created while somebody waits on them, to be served.
    ready: Vec<SmallBytes>,
    /// WATCHed keys: the clients (slab keys) watching each.
    watchers: HashMap<SmallBytes, Vec<usize>, FastBuildHasher>,
    /// Watched keys written by the running command (they invalidate the
    /// watchers if the command changed the dataset: see `take_touched`),
    /// or deleted by expiry (`true`: they invalidate in any case).
    touched: Vec<(SmallBytes, bool)>,
    /// Keyspace-notification classes logged here (expired, new, keymiss).
    event_log: u32,
    /// Events logged for publication (`server::notify`).
    events: Vec<(DbEvent, SmallBytes)>,
    /// Record every write, not only to watched keys (client-side caching
    /// is on for some client).
    record_all_writes: bool,
    /// Keys deleted by expiry, for the propagation point to send as DEL
    /// (`server::propagate`); logged only while `log_expired` is on.
    expired_log: Vec<SmallBytes>,
    log_expired: bool,
    /// Keys past their TTL are kept (not deleted, still found) while an
    /// AOF is replayed, as Redis does while loading: a later command of
    /// the file may still use the key (`persistence::aof`).
    pub keep_expired: bool,
    /// The snapshot bit every entry has outside a snapshot, and new entries
    /// get during one (`snapshot.rs`).
    snap_bit: u32,
    /// The snapshot running over this database, if any.
    snap: Option<Box<snapshot::DbSnapshot>>,
}

/// The LFU parameters (Redis's lfu-log-factor and lfu-decay-time).
#[derive(Clone, Copy, Debug)]
struct LfuParams {
    log_factor: u32,
    decay_minutes: u32,
}

/// Result of one active expiry run on a database.
#[derive(Default, Debug, Clone, Copy)]
pub struct ExpireRun {
    pub sampled: usize,
    pub expired: usize,
    /// The time budget ran out before the database was clean enough.
    pub timed_out: bool,
}

impl Db {
    pub fn new(id: usize) -> Self {
        Db {
            id,
            dict: Dict::new(),
            expires: Expires::default(),
            expired_keys: 0,
            hits: 0,
            misses: 0,
            avg_ttl: 0,
            rng: Rng::new(0x2545_f491_4f6c_dd1d ^ (id as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            lfu: None,
            waiters: HashMap::default(),
            ready: Vec::new(),
            watchers: HashMap::default(),
            touched: Vec::new(),
            event_log: 0,
            events: Vec::new(),
            record_all_writes: false,
            expired_log: Vec::new(),
            log_expired: false,
            keep_expired: false,
            snap_bit: 0,
            snap: None,
        }
    }

    pub fn len(&self) -> usize {
        self.dict.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    /// Keys with a TTL.
    pub fn expires_len(&self) -> usize {
        self.expires.len()
    }

    fn next_rand(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// The expiry time (unix ms) of an entry, if it has one.
    pub fn expire_of(&self, id: EntryId) -> Option<i64> {
        if self.dict.meta(id) & META_EXPIRE != 0 {
            self.expires.get(id)
        } else {
            None
        }
    }

    /// Finds a key, deleting it first if its TTL has passed. Does not touch the
    /// LRU clock or the hit counters (see `lookup_read`).
    pub fn find(&mut self, key: &[u8], now: i64) -> Option<EntryId> {
        let id = self.dict.find(key)?;
        if let Some(when) = self.expire_of(id) {
            if when <= now && !self.keep_expired {
                self.expire_id(id);
                return None;
            }
        }
        Some(id)
    }

    /// Starts loading the memory a lookup of `key` will touch first (see
    /// `Dict::prefetch_bucket`); returns the hash for `prefetch_chain`.
    #[inline]
    pub fn prefetch_bucket(&self, key: &[u8]) -> u64 {
        self.dict.prefetch_bucket(key)
    }

    /// Starts loading the entry a lookup of the key hashed to `h` will read
    /// (see `Dict::prefetch_chain`).
    #[inline]
    pub fn prefetch_chain(&self, h: u64) {
        self.dict.prefetch_chain(h)
    }

    /// Finds a key for a command: lazy expiry, LRU stamp.
    pub fn lookup(&mut self, key: &[u8], now: i64) -> Option<EntryId> {
        let id = self.find(key, now)?;
        self.touch_id(id, now);
        Some(id)
    }

    /// `lookup` that also counts a keyspace hit or miss (read commands).
    pub fn lookup_read(&mut self, key: &[u8], now: i64) -> Option<EntryId> {
        let r = self.lookup(key, now);
        if r.is_some() {
            self.hits += 1;
        } else {
            self.misses += 1;
            self.log_event(DbEvent::KeyMiss, |_| SmallBytes::from_slice(key));
        }
        r
    }

    /// `find` that counts a keyspace hit or miss but leaves the LRU clock alone
    /// (Redis's lookups with NOTOUCH: EXISTS, TYPE, TTL, OBJECT).
    pub fn find_read(&mut self, key: &[u8], now: i64) -> Option<EntryId> {
        let r = self.find(key, now);
        if r.is_some() {
            self.hits += 1;
        } else {
            self.misses += 1;
            self.log_event(DbEvent::KeyMiss, |_| SmallBytes::from_slice(key));
        }
        r
    }

    /// Whether a key is present with a TTL that has passed (not deleted
    /// yet); no lazy expiry is done.
    pub fn entry_expired(&self, key: &[u8], now: i64) -> bool {
        self.dict
            .find(key)
            .is_some_and(|id| self.is_expired(id, now))
    }

    /// Whether an entry's TTL has passed (it is then invisible to commands).
    pub fn is_expired(&self, id: EntryId, now: i64) -> bool {
        self.expire_of(id).is_some_and(|when| when <= now)
    }

    /// Adds a key that must not exist with a value and an optional TTL
    /// (RENAME, MOVE, COPY carry the TTL of their source).
    pub fn add_with_expire(
        &mut self,
        key: &[u8],
        val: Value,
        expire: Option<i64>,
        now: i64,
    ) -> EntryId {
        let id = self.add(key, val, now);
        if let Some(when) = expire {
            self.set_expire(id, when);
        }
        id
    }

    /// The value of a key for reading, with lazy expiry and hit counting.
    pub fn get(&mut self, key: &[u8], now: i64) -> Option<&Value> {
        let id = self.lookup_read(key, now)?;
        Some(self.dict.value(id))
    }

    pub fn value(&self, id: EntryId) -> &Value {
        self.dict.value(id)
    }

    /// The value of an entry, to change its representation only (an
    /// encoding conversion that keeps the content): no write is recorded.
    pub fn value_mut_same_content(&mut self, id: EntryId) -> &mut Value {
        self.dict.value_mut(id)
    }

    /// The value of an entry, to change it (a watched key counts as written
    /// if the command changes the dataset).
    pub fn value_mut(&mut self, id: EntryId) -> &mut Value {
        self.note_write(id, false);
        self.dict.value_mut(id)
    }

    pub fn key(&self, id: EntryId) -> &[u8] {
        self.dict.key(id).as_ref()
    }

    /// Records an access to an entry: stamps the LRU clock, or with LFU
    /// tracking decays the counter and increments it logarithmically.
    pub fn touch_id(&mut self, id: EntryId, now: i64) {
        let m = self.dict.meta(id);
        let stamp = match self.lfu {
            None => lru_clock(now),
            Some(p) => {
                let mut counter = lfu_decayed(m & LRU_MASK, now, p.decay_minutes);
                if counter < 255 {
                    let base = counter.saturating_sub(LFU_INIT_VAL);
                    let p_incr = 1.0 / (f64::from(base) * f64::from(p.log_factor) + 1.0);
                    let r = (self.next_rand() >> 11) as f64 / (1u64 << 53) as f64;
                    if r < p_incr {
                        counter += 1;
                    }
                }
                (lfu_minutes(now) << 8) | counter
            }
        };
        self.dict.set_meta(id, (m & !LRU_MASK) | stamp);
    }

    /// Switches between LRU stamps (`None`) and LFU counters (`Some((log
    /// factor, decay time in minutes))`), as the maxmemory policy changes.
    /// Existing entries keep their bits, which the new mode reads as its own
    /// until they are touched again (Redis does the same).
    pub fn set_lfu(&mut self, lfu: Option<(u32, u32)>) {
        self.lfu = lfu.map(|(log_factor, decay_minutes)| LfuParams {
            log_factor,
            decay_minutes,
        });
    }

    /// The LFU settings in force: (log factor, decay minutes).
    pub fn lfu_params(&self) -> Option<(u32, u32)> {
        self.lfu.as_ref().map(|p| (p.log_factor, p.decay_minutes))
    }

    /// Whether the database keeps LFU counters instead of LRU stamps.
    pub fn tracks_lfu(&self) -> bool {
        self.lfu.is_some()
    }

    /// The LFU counter of an entry as OBJECT FREQ shows it: decayed for the
    /// time since its last decrement, without recording an access.
    pub fn lfu_freq(&self, id: EntryId, now: i64) -> u32 {
        let decay = self.lfu.map_or(1, |p| p.decay_minutes);
        lfu_decayed(self.dict.meta(id) & LRU_MASK, now, decay)
    }

    /// Sets the access bits (LRU stamp or LFU data, as `lru` returns them) of
    /// an entry: RENAME and MOVE carry them over, as Redis moves the object.
    pub fn set_access_bits(&mut self, id: EntryId, bits: u32) {
        let m = self.dict.meta(id);
        self.dict.set_meta(id, (m & !LRU_MASK) | (bits & LRU_MASK));
    }

    /// The LRU clock stamp of an entry (its LFU data with LFU tracking).
    pub fn lru(&self, id: EntryId) -> u32 {
        self.dict.meta(id) & LRU_MASK
    }

    /// Sets a key to a value (SET semantics): overwrites any value; the TTL is
    /// cleared unless `keep_ttl`.
    pub fn set(&mut self, key: &[u8], val: Value, keep_ttl: bool, now: i64) -> EntryId {
        // An expired key is deleted (and counted) first, so KEEPTTL cannot
        // keep a TTL that has passed and MSET counts it as Redis does.
        if let Some(id) = self.find(key, now) {
            self.note_write(id, false);
            *self.dict.value_mut(id) = val;
            let m = self.dict.meta(id);
            if !keep_ttl && m & META_EXPIRE != 0 {
                self.expires.remove(id);
                self.dict.set_meta(id, m & !META_EXPIRE);
            }
            self.touch_id(id, now);
            id
        } else {
            self.add(key, val, now)
        }
    }

    /// Adds a key that must not exist (callers looked it up first).
    pub fn add(&mut self, key: &[u8], val: Value, now: i64) -> EntryId {
        let id = self.dict.insert_new(SmallBytes::from_slice(key), val);
        let stamp = match self.lfu {
            Some(_) => (lfu_minutes(now) << 8) | LFU_INIT_VAL,
            None => lru_clock(now),
        };
        self.dict.set_meta(id, stamp | self.snap_bit);
        self.note_write(id, false);
        self.log_event(DbEvent::New, |_| SmallBytes::from_slice(key));
        if !self.waiters.is_empty() {
            self.mark_ready(key);
        }
        id
    }

    /// Records a write to a watched entry (cheap when nothing is watched).
    #[inline]
    fn note_write(&mut self, id: EntryId, expired: bool) {
        if self.snap.is_some() {
            self.snapshot_entry(id);
        }
        if !self.watchers.is_empty() || self.record_all_writes {
            self.note_write_slow(id, expired);
        }
    }

    #[cold]
    fn note_write_slow(&mut self, id: EntryId, expired: bool) {
        let key = self.dict.key(id);
        if self.record_all_writes || self.watchers.contains_key(key.as_slice()) {
            self.touched.push((key.clone(), expired));
        }
    }

    /// Counts a key as modified even if the command changes nothing (Redis
    /// signals LTRIM's key whatever it trims): WATCH and client-side
    /// caching see a write.
    pub fn signal_modified(&mut self, key: &[u8]) {
        if self.record_all_writes || self.watchers.contains_key(key) {
            self.touched.push((SmallBytes::from_slice(key), true));
        }
    }

    /// Records every write (for client-side caching), or only writes to
    /// watched keys.
    pub fn set_record_all_writes(&mut self, on: bool) {
        self.record_all_writes = on;
    }

    /// Sets which keyspace events this database logs (class bits of
    /// `server::notify`: EXPIRED, NEW, KEY_MISS).
    pub fn set_event_log(&mut self, classes: u32) {
        self.event_log = classes;
    }

    #[inline]
    fn log_event(&mut self, ev: DbEvent, key: impl FnOnce(&Self) -> SmallBytes) {
        if self.event_log != 0 && self.event_log & ev.class_and_name().0 != 0 {
            let k = key(self);
            self.events.push((ev, k));
        }
    }

    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Takes the logged events, oldest first.
    pub fn take_events(&mut self) -> Vec<(DbEvent, SmallBytes)> {
        std::mem::take(&mut self.events)
    }

    /// Turns the log of keys deleted by expiry on or off.
    pub fn log_expired(&mut self, on: bool) {
        self.log_expired = on;
    }

    pub fn has_expired_log(&self) -> bool {
        !self.expired_log.is_empty()
    }

    /// Takes the keys deleted by expiry since the last call, oldest first.
    pub fn take_expired_log(&mut self) -> Vec<SmallBytes> {
        std::mem::take(&mut self.expired_log)
    }

    /// Deletes an entry whose TTL has passed.
    fn expire_id(&mut self, id: EntryId) {
        self.log_event(DbEvent::Expired, |d| d.dict.key(id).clone());
        if self.log_expired {
            self.expired_log.push(self.dict.key(id).clone());
        }
        self.note_write(id, true);
        self.remove_entry(id);
        self.expired_keys += 1;
    }

    /// Adds a client to the watchers of a key.
    pub fn watch(&mut self, key: &[u8], cid: usize) {
        let w = self
            .watchers
            .entry(SmallBytes::from_slice(key))
            .or_default();
        if !w.contains(&cid) {
            w.push(cid);
        }
    }

    /// Removes a client from the watchers of a key.
    pub fn unwatch(&mut self, key: &[u8], cid: usize) {
        if let Some(w) = self.watchers.get_mut(key) {
            w.retain(|&c| c != cid);
            if w.is_empty() {
                self.watchers.remove(key);
            }
        }
    }

    /// The watched keys the last command wrote (all of them if `changed`:
    /// it changed the dataset; else only those expiry deleted), once each;
    /// clears the record.
    pub fn take_touched(&mut self, changed: bool) -> Vec<SmallBytes> {
        let mut out: Vec<SmallBytes> = Vec::new();
        for (k, expired) in std::mem::take(&mut self.touched) {
            if (changed || expired) && !out.contains(&k) {
                out.push(k);
            }
        }
        out
    }

    /// Every watched key of this database.
    pub fn watched_keys(&self) -> Vec<SmallBytes> {
        self.watchers.keys().cloned().collect()
    }

    /// The clients watching a key.
    pub fn watchers_of(&self, key: &[u8]) -> Vec<usize> {
        self.watchers.get(key).cloned().unwrap_or_default()
    }

    /// Whether a key is in the table, expired or not (no lazy expiry).
    pub fn contains_raw(&self, key: &[u8]) -> bool {
        self.dict.find(key).is_some()
    }

    /// Queues a key that waiters may now be served from.
    fn mark_ready(&mut self, key: &[u8]) {
        if self.waiters.contains_key(key) && !self.ready.iter().any(|k| k == key) {
            self.ready.push(SmallBytes::from_slice(key));
        }
    }

    /// Appends a client to the waiters of a key.
    pub fn add_waiter(&mut self, key: &[u8], cid: usize) {
        self.waiters
            .entry(SmallBytes::from_slice(key))
            .or_default()
            .push_back(cid);
    }

    /// Removes a client from the waiters of a key.
    pub fn remove_waiter(&mut self, key: &[u8], cid: usize) {
        if let Some(q) = self.waiters.get_mut(key) {
            q.retain(|&c| c != cid);
            if q.is_empty() {
                self.waiters.remove(key);
            }
        }
    }

    /// The clients waiting on a key, in arrival order.
    pub fn waiters_of(&self, key: &[u8]) -> Vec<usize> {
        self.waiters
            .get(key)
            .map(|q| q.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Takes the next key made ready for its waiters, if any.
    pub fn pop_ready(&mut self) -> Option<SmallBytes> {
        if self.ready.is_empty() {
            None
        } else {
            Some(self.ready.remove(0))
        }
    }

    /// Marks ready every waited key that exists (after SWAPDB brought in
    /// other data).
    pub fn mark_existing_waited_keys(&mut self, now: i64) {
        let keys: Vec<SmallBytes> = self.waiters.keys().cloned().collect();
        for k in keys {
            if self.find(&k, now).is_some() {
                self.mark_ready(&k);
            }
        }
    }

    /// Replaces the value of an existing entry, keeping its TTL.
    pub fn replace(&mut self, id: EntryId, val: Value) -> Value {
        self.note_write(id, false);
        std::mem::replace(self.dict.value_mut(id), val)
    }

    /// Deletes a key (after lazy expiry); true if it existed.
    pub fn delete(&mut self, key: &[u8], now: i64) -> bool {
        match self.find(key, now) {
            Some(id) => {
                self.remove_id(id);
                true
            }
            None => false,
        }
    }

    /// Removes an entry and its TTL, returning the key and value.
    pub fn remove_id(&mut self, id: EntryId) -> (SmallBytes, Value, Option<i64>) {
        self.note_write(id, false);
        self.remove_entry(id)
    }

    fn remove_entry(&mut self, id: EntryId) -> (SmallBytes, Value, Option<i64>) {
        let ttl = self.expire_of(id);
        if ttl.is_some() {
            self.expires.remove(id);
        }
        let (k, v, _) = self.dict.remove_id(id);
        (k, v, ttl)
    }

    /// Sets the TTL of an entry to `when` (unix ms).
    pub fn set_expire(&mut self, id: EntryId, when: i64) {
        self.note_write(id, false);
        self.expires.set(id, when);
        let m = self.dict.meta(id);
        self.dict.set_meta(id, m | META_EXPIRE);
    }

    /// Removes the TTL of an entry; true if it had one.
    pub fn persist(&mut self, id: EntryId) -> bool {
        let m = self.dict.meta(id);
        if m & META_EXPIRE == 0 {
            return false;
        }
        self.note_write(id, false);
        self.expires.remove(id);
        self.dict.set_meta(id, m & !META_EXPIRE);
        true
    }

    /// One step of SCAN over the keys (see `Dict::scan` for the guarantee).
    pub fn scan(&self, cursor: u64, f: impl FnMut(EntryId)) -> u64 {
        self.dict.scan(cursor, f)
    }

    /// Every live entry (KEYS). Expired keys are the caller's to filter.
    pub fn entries(&self) -> impl Iterator<Item = EntryId> + '_ {
        self.dict.iter()
    }

    /// A random key that is not expired (RANDOMKEY). Expired keys met on the
    /// way are deleted, so the loop ends: each turn removes one or returns.
    pub fn random_key(&mut self, now: i64) -> Option<Vec<u8>> {
        loop {
            let id = self.random_id()?;
            match self.expire_of(id) {
                Some(when) if when <= now => {
                    self.expire_id(id);
                }
                _ => return Some(self.key(id).to_vec()),
            }
        }
    }

    fn random_id(&mut self) -> Option<EntryId> {
        let rng = &mut self.rng;
        self.dict.random_entry(&mut || rng.next_u64())
    }

    /// Drops every key; returns how many there were.
    pub fn clear(&mut self) -> usize {
        // A running snapshot writes what it has not yet written first.
        self.snapshot_walk_all();
        let n = self.dict.len();
        self.dict.clear();
        self.expires.clear();
        self.avg_ttl = 0;
        n
    }

    /// Swaps the contents (keys, TTLs, stats that belong to the data) of two
    /// databases, keeping their ids (SWAPDB).
    pub fn swap_data(&mut self, other: &mut Db) {
        self.snapshot_walk_all();
        other.snapshot_walk_all();
        std::mem::swap(&mut self.dict, &mut other.dict);
        std::mem::swap(&mut self.expires, &mut other.expires);
        std::mem::swap(&mut self.avg_ttl, &mut other.avg_ttl);
    }

    /// Active expiry: samples keys with a TTL and deletes expired ones, in
    /// rounds of `per_round` samples, until fewer than `stale_pct` percent of a
    /// round were expired or `deadline` passes. Returns what it did.
    pub fn active_expire(
        &mut self,
        now: i64,
        per_round: usize,
        stale_pct: usize,
        deadline: std::time::Instant,
    ) -> ExpireRun {
        let mut run = ExpireRun::default();
        let mut rounds = 0u32;
        loop {
            let n = self.expires.len();
            if n == 0 {
                break;
            }
            let mut expired = 0;
            let mut ttl_sum = 0i64;
            let mut ttl_count = 0i64;
            let samples = per_round.min(n);
            for _ in 0..samples {
                let len = self.expires.len();
                if len == 0 {
                    break;
                }
                let slot = (self.next_rand() % len as u64) as usize;
                let (id, when) = self.expires.slot(slot);
                run.sampled += 1;
                if when <= now {
                    self.expire_id(id);
                    expired += 1;
                } else {
                    ttl_sum += when - now;
                    ttl_count += 1;
                }
            }
            run.expired += expired;
            if ttl_count > 0 {
                let avg = ttl_sum / ttl_count;
                // Running average, as Redis: most weight on the history.
                self.avg_ttl = if self.avg_ttl == 0 {
                    avg
                } else {
                    (self.avg_ttl / 50) * 49 + avg / 50
                };
            }
            rounds += 1;
            if rounds.is_multiple_of(16) && std::time::Instant::now() >= deadline {
                run.timed_out = true;
                break;
            }
            if expired * 100 <= samples * stale_pct {
                break;
            }
        }
        run
    }

    /// Incremental rehash work for the cron; true if more remains.
    pub fn rehash_for(&mut self, budget: std::time::Duration) -> bool {
        self.dict.rehash_for(budget)
    }

    /// Starts shrinking the table when it is mostly empty (cron).
    pub fn shrink_if_sparse(&mut self) {
        self.dict.shrink_if_sparse();
    }

    pub fn is_rehashing(&self) -> bool {
        self.dict.is_rehashing()
    }

    /// Approximate bytes used by the table and TTL index.
    pub fn heap_bytes(&self) -> usize {
        self.dict.heap_bytes() + self.expires.heap_bytes()
    }
}

/// Unix minutes, modulo 2^16 (the LFU decrement time).
fn lfu_minutes(now_ms: i64) -> u32 {
    ((now_ms / 60_000) as u32) & 0xffff
}

/// The LFU counter in `data` (ldt << 8 | counter) after one decrement per
/// `decay_minutes` elapsed since its ldt (none when `decay_minutes` is 0).
fn lfu_decayed(data: u32, now_ms: i64, decay_minutes: u32) -> u32 {
    let ldt = (data >> 8) & 0xffff;
    let counter = data & 0xff;
    let now = lfu_minutes(now_ms);
    let elapsed = if now >= ldt {
        now - ldt
    } else {
        65535 - ldt + now
    };
    match elapsed.checked_div(decay_minutes) {
        Some(periods) => counter.saturating_sub(periods),
        None => counter,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lfu_counter_starts_at_init_grows_and_decays() {
        let mut db = Db::new(0);
        db.set_lfu(Some((10, 1)));
        let now = 1_700_000_000_000;
        let id = db.add(b"k", Value::string(b"v"), now);
        assert_eq!(db.lfu_freq(id, now), LFU_INIT_VAL);
        // At the initial value an access always counts.
        db.lookup(b"k", now).unwrap();
        assert_eq!(db.lfu_freq(id, now), LFU_INIT_VAL + 1);
        for _ in 0..10_000 {
            db.lookup(b"k", now);
        }
        let f = db.lfu_freq(id, now);
        assert!(f > LFU_INIT_VAL + 1 && f < 255, "{f}");
        // One decrement per minute without access.
        assert_eq!(db.lfu_freq(id, now + 3 * 60_000), f - 3);
        assert_eq!(db.lfu_freq(id, now + 1000 * 60_000), 0);
    }

    #[test]
    fn lru_mode_stamps_the_clock() {
        let mut db = Db::new(0);
        let id = db.add(b"k", Value::string(b"v"), 5_000);
        assert_eq!(db.lru(id), lru_clock(5_000));
        db.lookup(b"k", 9_000).unwrap();
        assert_eq!(db.lru(id), lru_clock(9_000));
        assert!(!db.tracks_lfu());
    }
}
