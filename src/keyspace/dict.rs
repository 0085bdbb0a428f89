//! `Dict<K, V>`: the hash table behind every database (and, later, large hashes
//! and sets).
//!
//! It runs on the single event-loop thread, so no operation may stall: the table
//! grows and shrinks by *incremental rehashing* as Redis's dict does, moving a
//! few buckets per write and the rest in time slices from the cron
//! (`rehash_for`). It must also be compact, so:
//!
//! - **Entries live in an arena** of fixed-size chunks (`CHUNK` entries each,
//!   only the first chunk grows up to that size). Growing allocates a new chunk
//!   and never copies or moves existing entries. An entry is `key, value, next,
//!   meta`: the key and value plus 8 bytes when they have a niche (48 bytes
//!   for a 24-byte `SmallBytes` key and a 16-byte `Value`), since a free slot
//!   is `None` in the niche. An entry is named by
//!   its arena index, an `EntryId`, stable for the entry's whole life; freed
//!   slots are chained through `next` into a free list and reused, so a removed
//!   entry's id may name a later entry. Arena slot 0 is never used, which lets 0
//!   mean "no entry" in links.
//! - **Buckets** are `u32` heads of chains linked through `next` (0 = empty), in
//!   power-of-two tables. While resizing there are two tables; rehashing a bucket
//!   relinks ids and never touches the arena layout. Tables are allocated zeroed
//!   (`calloc`), so a large new table costs no up-front memset.
//! - Each entry has 32 `meta` bits for the owner (expire flag, snapshot bit, LRU
//!   clock); the table never reads them, unless it is `tagged`: then they
//!   hold part of the entry's hash, compared before the key is read.
//!
//! A caller about to look up many keys (a pipelined batch) can first call
//! `prefetch_bucket` on each and then `prefetch_chain` on each hash, so the
//! cache misses of all the lookups overlap.
//!
//! Lookups take `&self` and never rehash; they look in both tables while a
//! resize is under way. `scan` is Redis's reverse-binary cursor: every entry
//! present for a whole scan is returned at least once, whatever resizes happen
//! between calls.
//!
//! Memory: the arena keeps its high-water mark (freed slots are reused, not
//! returned) until the table empties while it fits in one chunk, or `clear()`.

use std::time::{Duration, Instant};

use super::hasher::{hash_bytes, process_seed};
use crate::util::prefetch::prefetch_read;

/// The hash bits a tagged Dict keeps in an entry's meta (the high half: the
/// low bits pick the bucket, so they tell nothing within a chain).
#[inline]
fn hash_tag(h: u64) -> u32 {
    (h >> 32) as u32
}

/// Names an entry: its index in the arena. Stable while the entry lives; reused
/// after removal. Never 0.
pub type EntryId = u32;

/// "No entry" in bucket heads and `next` links (arena slot 0 is never used).
const NIL: u32 = 0;
const CHUNK_SHIFT: u32 = 12;
/// Entries per arena chunk.
const CHUNK: usize = 1 << CHUNK_SHIFT;
const CHUNK_MASK: u32 = (CHUNK as u32) - 1;
/// Initial capacity of the first (growable) chunk.
const FIRST_CHUNK_CAP: usize = 4;
/// Smallest table.
const MIN_BUCKETS: usize = 4;
/// Buckets moved per write while rehashing.
const STEPS_PER_WRITE: usize = 4;
/// ... more when the table being filled is already overloaded (a shrink under
/// a burst of inserts), so it cannot stay overloaded for long.
const STEPS_PER_WRITE_OVERLOADED: usize = 32;
/// Empty buckets that may be skipped per bucket moved.
const EMPTY_VISITS_PER_STEP: usize = 10;
/// Buckets moved between clock reads in `rehash_for`.
const STEPS_PER_TIME_CHECK: usize = 128;
/// Random bucket probes before `random_entry` falls back to a linear search.
const RANDOM_TRIES: usize = 64;

struct Entry<K, V> {
    /// `None` for a free slot (and slot 0).
    kv: Option<(K, V)>,
    /// Next entry of the bucket chain or, for a free slot, of the free list.
    next: u32,
    meta: u32,
}

#[cold]
#[inline(never)]
fn dead_id(id: EntryId) -> ! {
    panic!("Dict: EntryId {id} does not name a live entry")
}

/// Chunked entry store with a free list.
struct Arena<K, V> {
    chunks: Vec<Vec<Entry<K, V>>>,
    /// Head of the free list (NIL when empty).
    free: u32,
}

impl<K, V> Arena<K, V> {
    const fn new() -> Self {
        Arena {
            chunks: Vec::new(),
            free: NIL,
        }
    }

    /// Slots handed out so far (live, free and slot 0).
    fn slots(&self) -> usize {
        match self.chunks.last() {
            Some(last) => (self.chunks.len() - 1) * CHUNK + last.len(),
            None => 0,
        }
    }

    #[inline(always)]
    fn get(&self, id: u32) -> &Entry<K, V> {
        &self.chunks[(id >> CHUNK_SHIFT) as usize][(id & CHUNK_MASK) as usize]
    }

    #[inline(always)]
    fn get_mut(&mut self, id: u32) -> &mut Entry<K, V> {
        &mut self.chunks[(id >> CHUNK_SHIFT) as usize][(id & CHUNK_MASK) as usize]
    }

    #[inline(always)]
    fn kv(&self, id: u32) -> &(K, V) {
        match &self.get(id).kv {
            Some(kv) => kv,
            None => dead_id(id),
        }
    }

    #[inline(always)]
    fn kv_mut(&mut self, id: u32) -> &mut (K, V) {
        match &mut self.get_mut(id).kv {
            Some(kv) => kv,
            None => dead_id(id),
        }
    }

    fn is_live(&self, id: u32) -> bool {
        let (c, i) = ((id >> CHUNK_SHIFT) as usize, (id & CHUNK_MASK) as usize);
        matches!(self.chunks.get(c).and_then(|c| c.get(i)), Some(e) if e.kv.is_some())
    }

    /// Stores an entry (meta 0, unlinked) in a free slot or a new one.
    fn alloc(&mut self, key: K, val: V) -> u32 {
        if self.free != NIL {
            let id = self.free;
            let e = self.get_mut(id);
            debug_assert!(e.kv.is_none());
            let next_free = e.next;
            e.kv = Some((key, val));
            e.next = NIL;
            e.meta = 0;
            self.free = next_free;
            return id;
        }
        if self.chunks.is_empty() {
            let mut first = Vec::with_capacity(FIRST_CHUNK_CAP);
            // Slot 0: never handed out.
            first.push(Entry {
                kv: None,
                next: NIL,
                meta: 0,
            });
            self.chunks.push(first);
        }
        let id = self.slots();
        assert!(id <= u32::MAX as usize, "Dict: more than 2^32-1 entries");
        let mut last = self.chunks.len() - 1;
        if self.chunks[last].len() == CHUNK {
            self.chunks.push(Vec::with_capacity(CHUNK));
            last += 1;
        }
        let chunk = &mut self.chunks[last];
        if chunk.len() == chunk.capacity() {
            // Only the first chunk grows (doubling up to CHUNK), so small
            // tables stay small; later chunks are allocated at full size.
            let grow = chunk.capacity().min(CHUNK - chunk.capacity());
            chunk.reserve_exact(grow.max(1));
        }
        chunk.push(Entry {
            kv: Some((key, val)),
            next: NIL,
            meta: 0,
        });
        id as u32
    }

    /// Frees a live slot, returning its key, value and meta.
    fn release(&mut self, id: u32) -> (K, V, u32) {
        let free = self.free;
        let e = self.get_mut(id);
        let Some((k, v)) = e.kv.take() else {
            dead_id(id)
        };
        let meta = std::mem::replace(&mut e.meta, 0);
        e.next = free;
        self.free = id;
        (k, v, meta)
    }

    fn heap_bytes(&self) -> usize {
        self.chunks.capacity() * std::mem::size_of::<Vec<Entry<K, V>>>()
            + self
                .chunks
                .iter()
                .map(|c| c.capacity() * std::mem::size_of::<Entry<K, V>>())
                .sum::<usize>()
    }
}

/// The keyspace hash table. See the module documentation.
///
/// Precondition of every method taking an `EntryId`: it names a live entry of
/// this table. A dead or foreign id panics or names some other entry; nothing
/// else is unsafe or panics.
pub struct Dict<K, V> {
    arena: Arena<K, V>,
    /// `tables[0]` is the table; while rehashing, entries move from it into
    /// `tables[1]` (non-empty exactly while rehashing), where inserts go.
    tables: [Vec<u32>; 2],
    /// Entries linked in each table.
    used: [usize; 2],
    /// While rehashing: buckets of `tables[0]` below this index are empty.
    rehash_idx: usize,
    seed: u64,
    /// The meta bits hold 32 bits of each entry's hash (`Dict::tagged`).
    tagged: bool,
}

impl<K, V> Default for Dict<K, V> {
    fn default() -> Self {
        Dict::with_seed(process_seed())
    }
}

impl<K, V> Dict<K, V> {
    /// An empty table hashing with the process seed. Allocates nothing.
    pub fn new() -> Self {
        Dict::with_seed(process_seed())
    }

    /// An empty table with a fixed hash seed (tests, reproducible layouts).
    pub const fn with_seed(seed: u64) -> Self {
        Dict {
            arena: Arena::new(),
            tables: [Vec::new(), Vec::new()],
            used: [0, 0],
            rehash_idx: 0,
            seed,
            tagged: false,
        }
    }

    /// An empty table whose owner leaves the meta bits to it: they hold the
    /// high 32 bits of each entry's hash, and a lookup compares them before
    /// it reads a key, so entries of other keys in a chain cost no visit to
    /// their (often heap-allocated) key. For large hashes and sets, whose
    /// members are often too long to be stored inline.
    pub fn tagged() -> Self {
        let mut d = Dict::new();
        d.tagged = true;
        d
    }

    /// Live entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.used[0] + self.used[1]
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Buckets of both tables (for stats).
    pub fn bucket_count(&self) -> usize {
        self.tables[0].len() + self.tables[1].len()
    }

    /// True while a resize is moving entries between two tables.
    #[inline]
    pub fn is_rehashing(&self) -> bool {
        !self.tables[1].is_empty()
    }

    /// Drops every entry and frees all memory (O(n)).
    pub fn clear(&mut self) {
        let tagged = self.tagged;
        *self = Dict::with_seed(self.seed);
        self.tagged = tagged;
    }

    /// The key of a live entry.
    #[inline]
    pub fn key(&self, id: EntryId) -> &K {
        &self.arena.kv(id).0
    }

    /// The value of a live entry.
    #[inline]
    pub fn value(&self, id: EntryId) -> &V {
        &self.arena.kv(id).1
    }

    #[inline]
    pub fn value_mut(&mut self, id: EntryId) -> &mut V {
        &mut self.arena.kv_mut(id).1
    }

    /// Key and value of a live entry.
    #[inline]
    pub fn entry(&self, id: EntryId) -> (&K, &V) {
        let (k, v) = self.arena.kv(id);
        (k, v)
    }

    /// The owner's 32 bits of a live entry (0 for a new entry).
    #[inline]
    pub fn meta(&self, id: EntryId) -> u32 {
        debug_assert!(self.arena.is_live(id), "dead EntryId {id}");
        self.arena.get(id).meta
    }

    #[inline]
    pub fn set_meta(&mut self, id: EntryId, meta: u32) {
        debug_assert!(self.arena.is_live(id), "dead EntryId {id}");
        debug_assert!(!self.tagged, "the meta bits of a tagged Dict are its own");
        self.arena.get_mut(id).meta = meta;
    }

    /// Live entries in arena order (not the SCAN order). Lazy; borrows the table.
    pub fn iter(&self) -> impl Iterator<Item = EntryId> + '_ {
        self.arena.chunks.iter().enumerate().flat_map(|(c, chunk)| {
            chunk
                .iter()
                .enumerate()
                .filter(|(_, e)| e.kv.is_some())
                .map(move |(i, _)| (c * CHUNK + i) as EntryId)
        })
    }

    /// Approximate heap bytes of the arena chunks and bucket arrays (not of what
    /// keys and values own).
    pub fn heap_bytes(&self) -> usize {
        self.arena.heap_bytes()
            + (self.tables[0].capacity() + self.tables[1].capacity()) * std::mem::size_of::<u32>()
    }

    /// Incremental rehash in time slices (the cron): moves buckets until the
    /// resize completes or `budget` has passed. True if more work remains.
    pub fn rehash_for(&mut self, budget: Duration) -> bool
    where
        K: AsRef<[u8]>,
    {
        if !self.is_rehashing() {
            return false;
        }
        let start = Instant::now();
        while self.rehash_step(STEPS_PER_TIME_CHECK) {
            if start.elapsed() >= budget {
                return true;
            }
        }
        false
    }

    /// Starts shrinking the table when it is mostly empty (fewer than one entry
    /// per ten buckets), as Redis's htNeedsResize; the cron calls this. The
    /// entries then move incrementally, like a growth.
    pub fn shrink_if_sparse(&mut self) {
        if self.is_rehashing() {
            return;
        }
        let buckets = self.tables[0].len();
        if buckets > MIN_BUCKETS && self.len() * 10 < buckets {
            let target = (self.len() + 1).next_power_of_two().max(MIN_BUCKETS);
            self.start_resize(target);
        }
    }

    /// Begins moving entries to a table of `size` buckets (a power of two).
    fn start_resize(&mut self, size: usize) {
        debug_assert!(!self.is_rehashing() && size.is_power_of_two());
        if size == self.tables[0].len() {
            return;
        }
        if self.used[0] == 0 {
            self.tables[0] = vec![NIL; size];
        } else {
            self.tables[1] = vec![NIL; size];
            self.rehash_idx = 0;
        }
    }

    /// Moves up to `buckets` non-empty buckets from the old table to the new,
    /// skipping at most `EMPTY_VISITS_PER_STEP` empty ones per bucket. True if
    /// the rehash is still incomplete afterwards.
    fn rehash_step(&mut self, buckets: usize) -> bool
    where
        K: AsRef<[u8]>,
    {
        if !self.is_rehashing() {
            return false;
        }
        let [old, new] = &mut self.tables;
        let new_mask = new.len() - 1;
        let mut empty_left = buckets * EMPTY_VISITS_PER_STEP;
        let mut moved = 0;
        while moved < buckets && self.used[0] > 0 {
            // Invariant: buckets below rehash_idx are empty, so with entries
            // left in `old` the index stays in range.
            let mut id = old[self.rehash_idx];
            if id == NIL {
                self.rehash_idx += 1;
                empty_left -= 1;
                if empty_left == 0 {
                    break;
                }
                continue;
            }
            old[self.rehash_idx] = NIL;
            while id != NIL {
                let e = self.arena.get_mut(id);
                let next = e.next;
                let h = match &e.kv {
                    Some((k, _)) => hash_bytes(self.seed, k.as_ref()),
                    None => dead_id(id),
                };
                let b = h as usize & new_mask;
                e.next = new[b];
                new[b] = id;
                self.used[0] -= 1;
                self.used[1] += 1;
                id = next;
            }
            self.rehash_idx += 1;
            moved += 1;
        }
        if self.used[0] == 0 {
            self.tables[0] = std::mem::take(&mut self.tables[1]);
            self.used = [self.used[1], 0];
            self.rehash_idx = 0;
            return false;
        }
        true
    }

    /// The rehash work a write does.
    #[inline]
    fn write_step(&mut self)
    where
        K: AsRef<[u8]>,
    {
        if self.is_rehashing() {
            let steps = if self.used[1] >= self.tables[1].len() {
                STEPS_PER_WRITE_OVERLOADED
            } else {
                STEPS_PER_WRITE
            };
            self.rehash_step(steps);
        }
    }
}

impl<K: AsRef<[u8]>, V> Dict<K, V> {
    #[inline]
    fn hash(&self, key: &[u8]) -> u64 {
        hash_bytes(self.seed, key)
    }

    /// Finds `key` in the chain of bucket `b` of table `t`; returns the entry
    /// and its predecessor in the chain (NIL if it is the head).
    #[inline]
    fn find_in_chain(&self, t: usize, b: usize, key: &[u8], h: u64) -> Option<(u32, u32)> {
        let mut prev = NIL;
        let mut id = self.tables[t][b];
        let tag = hash_tag(h);
        while id != NIL {
            let e = self.arena.get(id);
            if !self.tagged || e.meta == tag {
                if let Some((k, _)) = &e.kv {
                    if crate::util::bytes::same(k.as_ref(), key) {
                        return Some((id, prev));
                    }
                }
            }
            prev = id;
            id = e.next;
        }
        None
    }

    /// First half of a prefetched lookup: starts loading the bucket(s) `key`
    /// hashes to and returns the hash for `prefetch_chain`. Used on a batch
    /// of keys before they are looked up, so that their cache misses overlap
    /// instead of coming one after another.
    #[inline]
    pub fn prefetch_bucket(&self, key: &[u8]) -> u64 {
        let h = self.hash(key);
        for t in &self.tables {
            if !t.is_empty() {
                prefetch_read(&t[h as usize & (t.len() - 1)]);
            }
        }
        h
    }

    /// Second half: reads the bucket head(s) of hash `h` (loaded by
    /// `prefetch_bucket` meanwhile) and starts loading the first entry of
    /// each chain, both of its cache lines.
    #[inline]
    pub fn prefetch_chain(&self, h: u64) {
        for t in &self.tables {
            if t.is_empty() {
                continue;
            }
            let id = t[h as usize & (t.len() - 1)];
            if id != NIL {
                let e: *const Entry<K, V> = self.arena.get(id);
                prefetch_read(e);
                prefetch_read(
                    (e as *const u8).wrapping_add(std::mem::size_of::<Entry<K, V>>() - 1),
                );
            }
        }
    }

    /// Locates `key`: (table, bucket, entry, predecessor).
    #[inline]
    fn locate(&self, h: u64, key: &[u8]) -> Option<(usize, usize, u32, u32)> {
        if self.is_empty() {
            return None;
        }
        let b0 = h as usize & (self.tables[0].len() - 1);
        let rehashing = self.is_rehashing();
        if !rehashing || b0 >= self.rehash_idx {
            if let Some((id, prev)) = self.find_in_chain(0, b0, key, h) {
                return Some((0, b0, id, prev));
            }
        }
        if rehashing {
            let b1 = h as usize & (self.tables[1].len() - 1);
            if let Some((id, prev)) = self.find_in_chain(1, b1, key, h) {
                return Some((1, b1, id, prev));
            }
        }
        None
    }

    /// Locates a live entry by id: (table, bucket, predecessor).
    fn locate_id(&self, id: u32) -> (usize, usize, u32) {
        let h = self.hash(self.key(id).as_ref());
        for t in 0..2 {
            let table = &self.tables[t];
            if table.is_empty() {
                continue;
            }
            let b = h as usize & (table.len() - 1);
            let mut prev = NIL;
            let mut cur = table[b];
            while cur != NIL {
                if cur == id {
                    return (t, b, prev);
                }
                prev = cur;
                cur = self.arena.get(cur).next;
            }
        }
        dead_id(id)
    }

    /// The entry holding `key`.
    #[inline]
    pub fn find(&self, key: &[u8]) -> Option<EntryId> {
        self.locate(self.hash(key), key).map(|(_, _, id, _)| id)
    }

    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.find(key).map(|id| self.value(id))
    }

    #[inline]
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        let id = self.find(key)?;
        Some(self.value_mut(id))
    }

    /// Adds `key` or, if present, replaces its value, keeping the entry's id,
    /// key and meta (the `key` argument is then dropped). Returns the entry and
    /// the old value.
    pub fn insert(&mut self, key: K, val: V) -> (EntryId, Option<V>) {
        self.write_step();
        let h = self.hash(key.as_ref());
        if let Some((_, _, id, _)) = self.locate(h, key.as_ref()) {
            let old = std::mem::replace(self.value_mut(id), val);
            return (id, Some(old));
        }
        (self.add(h, key, val), None)
    }

    /// Adds a key the caller knows is absent (checked in debug builds only; a
    /// duplicate would make lookups see one of the two). Meta starts at 0.
    pub fn insert_new(&mut self, key: K, val: V) -> EntryId {
        debug_assert!(
            self.find(key.as_ref()).is_none(),
            "Dict::insert_new: key exists"
        );
        self.write_step();
        let h = self.hash(key.as_ref());
        self.add(h, key, val)
    }

    fn add(&mut self, h: u64, key: K, val: V) -> EntryId {
        if self.tables[0].is_empty() {
            self.tables[0] = vec![NIL; MIN_BUCKETS];
        }
        let id = self.arena.alloc(key, val);
        if self.tagged {
            self.arena.get_mut(id).meta = hash_tag(h);
        }
        let t = self.is_rehashing() as usize;
        let table = &mut self.tables[t];
        let b = h as usize & (table.len() - 1);
        self.arena.get_mut(id).next = table[b];
        table[b] = id;
        self.used[t] += 1;
        // Load factor 1: start growing (to twice the entries, rounded up).
        if t == 0 && self.used[0] >= self.tables[0].len() {
            if let Some(size) = (self.used[0] * 2).checked_next_power_of_two() {
                self.start_resize(size);
            }
        }
        id
    }

    /// Removes `key`: returns its former id, key, value and meta.
    pub fn remove(&mut self, key: &[u8]) -> Option<(EntryId, K, V, u32)> {
        if self.is_empty() {
            return None;
        }
        self.write_step();
        let (t, b, id, prev) = self.locate(self.hash(key), key)?;
        let (k, v, meta) = self.unlink_and_free(t, b, id, prev);
        Some((id, k, v, meta))
    }

    /// Removes a live entry: returns its key, value and meta.
    pub fn remove_id(&mut self, id: EntryId) -> (K, V, u32) {
        self.write_step();
        let (t, b, prev) = self.locate_id(id);
        self.unlink_and_free(t, b, id, prev)
    }

    fn unlink_and_free(&mut self, t: usize, b: usize, id: u32, prev: u32) -> (K, V, u32) {
        let next = self.arena.get(id).next;
        if prev == NIL {
            self.tables[t][b] = next;
        } else {
            self.arena.get_mut(prev).next = next;
        }
        self.used[t] -= 1;
        let out = self.arena.release(id);
        if self.is_empty() && self.arena.chunks.len() <= 1 {
            // Empty and small: give everything back (cheap at this size). A
            // large arena is kept: dropping it would walk every slot.
            self.clear();
        }
        out
    }

    /// One step of SCAN from `cursor` (0 to start): calls `f` on the entries of
    /// one bucket of the smaller table and, while rehashing, of every bucket of
    /// the larger table that expands from it. Returns the next cursor, 0 when the
    /// cycle is complete.
    ///
    /// Guarantee: an entry present for the whole cycle is returned at least once
    /// (possibly more), even when the table grows, shrinks or is mid-rehash
    /// between calls; cursors stay valid across resizes. The cursor counts in
    /// reverse binary: its high bits are the low bits of a bucket index, so a
    /// bucket's "expansions" in a larger table, or its "merge" in a smaller
    /// one, are visited together or in order.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(EntryId)) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let mut v = cursor;
        let mut emit = |t: &[u32], b: u64| {
            let mut id = t[b as usize];
            while id != NIL {
                f(id);
                id = self.arena.get(id).next;
            }
        };
        if !self.is_rehashing() {
            let t = &self.tables[0];
            let m = (t.len() - 1) as u64;
            emit(t, v & m);
            v = next_cursor(v, m);
        } else {
            let (small, large) = if self.tables[0].len() <= self.tables[1].len() {
                (&self.tables[0], &self.tables[1])
            } else {
                (&self.tables[1], &self.tables[0])
            };
            let ms = (small.len() - 1) as u64;
            let ml = (large.len() - 1) as u64;
            emit(small, v & ms);
            // Every bucket of the large table whose low bits are v & ms.
            loop {
                emit(large, v & ml);
                v = next_cursor(v, ml);
                if v & (ms ^ ml) == 0 {
                    break;
                }
            }
        }
        v
    }

    /// A random live entry (RANDOMKEY, sampling): a random non-empty bucket of
    /// either table, then a random entry of its chain. `rand` supplies random
    /// numbers. Not exactly uniform (entries in short chains are favoured, as in
    /// Redis). None only when the table is empty.
    pub fn random_entry(&self, rand: &mut impl FnMut() -> u64) -> Option<EntryId> {
        if self.is_empty() {
            return None;
        }
        let [t0, t1] = &self.tables;
        // The buckets that may hold entries: t0[rehash_idx..] and all of t1,
        // numbered consecutively.
        let lo = if self.is_rehashing() {
            self.rehash_idx
        } else {
            0
        };
        let span = (t0.len() + t1.len() - lo) as u64;
        let head_at = |i: u64| {
            let i = lo + i as usize;
            if i < t0.len() {
                t0[i]
            } else {
                t1[i - t0.len()]
            }
        };
        let mut head = NIL;
        for _ in 0..RANDOM_TRIES {
            head = head_at(rand() % span);
            if head != NIL {
                break;
            }
        }
        if head == NIL {
            // A very sparse table (the cron has not shrunk it yet): walk from a
            // random bucket to the next non-empty one.
            let start = rand() % span;
            for k in 0..span {
                head = head_at((start + k) % span);
                if head != NIL {
                    break;
                }
            }
        }
        if head == NIL {
            return None;
        }
        let mut n = 0u64;
        let mut id = head;
        while id != NIL {
            n += 1;
            id = self.arena.get(id).next;
        }
        let mut id = head;
        for _ in 0..rand() % n {
            id = self.arena.get(id).next;
        }
        Some(id)
    }
}

/// Increments the reverse-binary cursor `v` over a table of mask `m`: sets the
/// bits above the mask, reverses, adds one, reverses back.
#[inline]
fn next_cursor(v: u64, m: u64) -> u64 {
    (((v | !m).reverse_bits()).wrapping_add(1)).reverse_bits()
}

#[cfg(test)]
mod tests {
    use super::super::small_bytes::SmallBytes;
    use super::*;
    use std::collections::{HashMap, HashSet};

    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn key(i: usize) -> SmallBytes {
        SmallBytes::from(format!("key:{i}").into_bytes())
    }

    fn val(i: usize) -> SmallBytes {
        SmallBytes::from(format!("value-{i}").into_bytes())
    }

    /// Checks the table's internal invariants against its contents.
    fn check_invariants<K: AsRef<[u8]>, V>(d: &Dict<K, V>) {
        let mut linked = 0;
        for t in 0..2 {
            let table = &d.tables[t];
            let mut n = 0;
            for (b, &head) in table.iter().enumerate() {
                if t == 0 && d.is_rehashing() && b < d.rehash_idx {
                    assert_eq!(head, NIL, "moved bucket not empty");
                }
                let mut id = head;
                while id != NIL {
                    let h = hash_bytes(d.seed, d.key(id).as_ref());
                    assert_eq!(h as usize & (table.len() - 1), b, "entry in wrong bucket");
                    n += 1;
                    id = d.arena.get(id).next;
                }
            }
            assert_eq!(n, d.used[t]);
            linked += n;
        }
        assert_eq!(d.iter().count(), linked);
        assert!(d.tables[0].len().is_power_of_two() || d.tables[0].is_empty());
        assert!(d.tables[1].len().is_power_of_two() || d.tables[1].is_empty());
    }

    #[test]
    fn entry_size() {
        let size = std::mem::size_of::<Entry<SmallBytes, SmallBytes>>();
        println!("size_of Entry<SmallBytes, SmallBytes> = {size}");
        assert_eq!(size, 56);
        assert_eq!(std::mem::size_of::<Entry<SmallBytes, u64>>(), 40);
        assert_eq!(
            std::mem::size_of::<Entry<SmallBytes, crate::keyspace::value::Value>>(),
            48
        );
    }

    #[test]
    fn empty_table_operations() {
        let mut d: Dict<SmallBytes, u32> = Dict::with_seed(1);
        assert!(d.is_empty());
        assert_eq!(d.len(), 0);
        assert_eq!(d.find(b"x"), None);
        assert_eq!(d.get(b"x"), None);
        assert_eq!(d.get_mut(b"x"), None);
        assert!(d.remove(b"x").is_none());
        assert_eq!(d.scan(0, |_| panic!()), 0);
        assert_eq!(d.scan(12345, |_| panic!()), 0);
        assert_eq!(d.random_entry(&mut || 7), None);
        assert_eq!(d.iter().count(), 0);
        assert!(!d.rehash_for(Duration::from_millis(1)));
        d.shrink_if_sparse();
        assert_eq!(d.bucket_count(), 0);
        assert_eq!(d.heap_bytes(), 0);
        d.clear();
        let d2: Dict<SmallBytes, u32> = Dict::default();
        assert!(d2.is_empty());
    }

    #[test]
    fn insert_find_remove_100k() {
        let n = 100_000;
        let mut d = Dict::with_seed(42);
        let mut ids = Vec::new();
        for i in 0..n {
            let (id, old) = d.insert(key(i), val(i));
            assert!(old.is_none());
            assert_ne!(id, 0);
            ids.push(id);
        }
        assert_eq!(d.len(), n);
        check_invariants(&d);
        for (i, &id) in ids.iter().enumerate() {
            assert_eq!(d.find(key(i).as_slice()), Some(id));
            assert_eq!(d.get(key(i).as_slice()), Some(&val(i)));
            assert_eq!(d.key(id), &key(i));
            let (k, v) = d.entry(id);
            assert_eq!((k, v), (&key(i), &val(i)));
        }
        assert_eq!(d.find(b"key:100000"), None);
        assert_eq!(d.find(b"nope"), None);
        let live: HashSet<EntryId> = d.iter().collect();
        assert_eq!(live.len(), n);
        // Remove the even keys.
        for i in (0..n).step_by(2) {
            let (id, k, v, meta) = d.remove(key(i).as_slice()).unwrap();
            assert_eq!((id, k, v, meta), (ids[i], key(i), val(i), 0));
        }
        assert_eq!(d.len(), n / 2);
        check_invariants(&d);
        for i in 0..n {
            assert_eq!(d.find(key(i).as_slice()).is_some(), i % 2 == 1);
        }
        assert!(d.remove(key(0).as_slice()).is_none());
        // Re-adding reuses the freed slots.
        let slots = d.arena.slots();
        for i in (0..n).step_by(2) {
            d.insert_new(key(i), val(i));
        }
        assert_eq!(d.arena.slots(), slots);
        assert_eq!(d.len(), n);
        for i in 0..n {
            assert_eq!(d.get(key(i).as_slice()), Some(&val(i)));
        }
        check_invariants(&d);
        // Remove everything through remove_id.
        let all: Vec<EntryId> = d.iter().collect();
        for id in all {
            let k = d.key(id).clone();
            let (k2, _, _) = d.remove_id(id);
            assert_eq!(k, k2);
            assert_eq!(d.find(k.as_slice()), None);
        }
        assert!(d.is_empty());
        check_invariants(&d);
    }

    #[test]
    fn replacement_keeps_id_and_meta() {
        let mut d = Dict::with_seed(3);
        let (id, old) = d.insert(key(1), val(1));
        assert!(old.is_none());
        d.set_meta(id, 0xdead_beef);
        let (id2, old) = d.insert(key(1), val(2));
        assert_eq!(id2, id);
        assert_eq!(old, Some(val(1)));
        assert_eq!(d.meta(id), 0xdead_beef);
        assert_eq!(d.get(key(1).as_slice()), Some(&val(2)));
        assert_eq!(d.len(), 1);
        *d.get_mut(key(1).as_slice()).unwrap() = val(3);
        assert_eq!(d.value(id), &val(3));
        *d.value_mut(id) = val(4);
        assert_eq!(d.get(key(1).as_slice()), Some(&val(4)));
        let (rid, _, _, meta) = d.remove(key(1).as_slice()).unwrap();
        assert_eq!((rid, meta), (id, 0xdead_beef));
        // A new entry gets meta 0, even in a reused slot.
        let id3 = d.insert_new(key(5), val(5));
        assert_eq!(d.meta(id3), 0);
    }

    #[test]
    fn freed_ids_are_reused() {
        let mut d = Dict::with_seed(3);
        let ids: Vec<EntryId> = (0..10_000).map(|i| d.insert_new(key(i), i)).collect();
        let (_, _, m) = d.remove_id(ids[77]);
        assert_eq!(m, 0);
        let again = d.insert_new(key(777_777), 1);
        assert_eq!(again, ids[77]);
        assert_eq!(d.key(again), &key(777_777));
    }

    #[test]
    fn small_table_gives_memory_back_when_emptied() {
        let mut d = Dict::with_seed(3);
        for i in 0..100 {
            d.insert_new(key(i), i);
        }
        assert!(d.heap_bytes() > 0);
        for i in 0..100 {
            d.remove(key(i).as_slice()).unwrap();
        }
        assert_eq!(d.heap_bytes(), 0);
        assert_eq!(d.bucket_count(), 0);
        d.insert_new(key(1), 1);
        assert_eq!(d.get(key(1).as_slice()), Some(&1));
    }

    #[test]
    fn growth_is_incremental_and_bounded() {
        let mut d = Dict::with_seed(9);
        let mut i = 0;
        // Fill until the insert that reaches load factor 1 at 64k buckets.
        loop {
            let before = d.bucket_count();
            d.insert_new(key(i), i);
            i += 1;
            if d.is_rehashing() && before == 1 << 16 {
                break;
            }
            assert!(d.len() <= 1 << 16);
        }
        assert_eq!(d.len(), 1 << 16);
        assert_eq!(d.tables[0].len(), 1 << 16);
        assert_eq!(d.tables[1].len(), 1 << 17);
        assert_eq!(d.rehash_idx, 0);
        assert_eq!(d.used[1], 0, "growth only started; nothing moved yet");
        check_invariants(&d);
        // Each further insert moves at most STEPS_PER_WRITE buckets and
        // skips a bounded number of empty ones.
        let mut inserts = 0;
        while d.is_rehashing() {
            let (idx, old_used) = (d.rehash_idx, d.used[0]);
            d.insert_new(key(i), i);
            i += 1;
            inserts += 1;
            if d.is_rehashing() {
                let visited = d.rehash_idx - idx;
                assert!(visited <= STEPS_PER_WRITE * (1 + EMPTY_VISITS_PER_STEP));
                // A bucket holds few entries at load factor 1.
                assert!(old_used - d.used[0] <= STEPS_PER_WRITE * 8);
                if inserts % 1000 == 0 {
                    check_invariants(&d);
                }
            }
        }
        // 64k buckets, each insert visiting a bounded number of them (moved
        // or empty): the growth is spread over many inserts.
        assert!(
            inserts >= (1 << 16) / (STEPS_PER_WRITE * (1 + EMPTY_VISITS_PER_STEP)),
            "{inserts}"
        );
        assert!(inserts <= 1 << 16, "{inserts}");
        assert_eq!(d.bucket_count(), 1 << 17);
        check_invariants(&d);
        for j in 0..i {
            assert_eq!(d.get(key(j).as_slice()), Some(&j));
        }
    }

    #[test]
    fn lookups_and_removes_during_rehash() {
        let mut d = Dict::with_seed(11);
        let mut model = HashMap::new();
        for i in 0..1 << 12 {
            d.insert_new(key(i), i);
            model.insert(i, ());
        }
        assert!(d.is_rehashing());
        // Reads see everything in both tables.
        for i in 0..1 << 12 {
            assert_eq!(d.get(key(i).as_slice()), Some(&i));
        }
        let mut rng = XorShift(5);
        while d.is_rehashing() {
            let i = rng.below(1 << 13);
            if model.remove(&i).is_some() {
                assert_eq!(d.remove(key(i).as_slice()).map(|r| r.2), Some(i));
            } else {
                model.insert(i, ());
                assert_eq!(d.insert(key(i), i).1, None);
            }
            check_invariants_sometimes(&d, &mut rng);
        }
        assert_eq!(d.len(), model.len());
        for i in 0..1 << 13 {
            assert_eq!(d.get(key(i).as_slice()).is_some(), model.contains_key(&i));
        }
    }

    fn check_invariants_sometimes<K: AsRef<[u8]>, V>(d: &Dict<K, V>, rng: &mut XorShift) {
        if rng.below(200) == 0 {
            check_invariants(d);
        }
    }

    #[test]
    fn shrink_and_rehash_for() {
        let mut d = Dict::with_seed(13);
        for i in 0..50_000 {
            d.insert_new(key(i), i);
        }
        while d.rehash_for(Duration::from_millis(1)) {}
        assert!(!d.is_rehashing());
        let buckets = d.bucket_count();
        assert_eq!(buckets, 1 << 16);
        d.shrink_if_sparse();
        assert!(!d.is_rehashing(), "not sparse yet");
        for i in 0..49_000 {
            d.remove(key(i).as_slice()).unwrap();
        }
        // Removes may have finished no rehash (none was running).
        assert_eq!(d.bucket_count(), buckets);
        d.shrink_if_sparse();
        assert!(d.is_rehashing());
        assert_eq!(d.tables[1].len(), 1024);
        // A zero budget still makes progress (one batch per call).
        let mut calls = 0;
        while d.rehash_for(Duration::ZERO) {
            calls += 1;
            check_invariants(&d);
            for i in (49_000..50_000).step_by(97) {
                assert_eq!(d.get(key(i).as_slice()), Some(&i));
            }
        }
        assert!(calls > 1);
        assert_eq!(d.bucket_count(), 1024);
        assert_eq!(d.len(), 1000);
        for i in 49_000..50_000 {
            assert_eq!(d.get(key(i).as_slice()), Some(&i));
        }
        check_invariants(&d);
        // Down to the minimum.
        for i in 49_000..50_000 {
            if i != 49_500 {
                d.remove(key(i).as_slice()).unwrap();
            }
        }
        d.shrink_if_sparse();
        while d.rehash_for(Duration::from_millis(10)) {}
        assert_eq!(d.bucket_count(), MIN_BUCKETS);
        d.shrink_if_sparse();
        assert!(!d.is_rehashing());
        assert_eq!(d.get(key(49_500).as_slice()), Some(&49_500));
    }

    #[test]
    fn inserts_during_a_shrink_speed_it_up() {
        let mut d = Dict::with_seed(17);
        for i in 0..100_000 {
            d.insert_new(key(i), i);
        }
        while d.rehash_for(Duration::from_secs(1)) {}
        for i in 0..99_990 {
            d.remove(key(i).as_slice());
        }
        d.shrink_if_sparse();
        assert!(d.is_rehashing());
        assert_eq!(d.tables[1].len(), 16);
        // A burst of inserts into the 16-bucket table: it must not stay
        // overloaded for long (the accelerated steps finish the shrink).
        let mut n = 0;
        while d.is_rehashing() {
            d.insert_new(key(1_000_000 + n), n);
            n += 1;
        }
        assert!(n < 2000, "{n} inserts to finish the shrink");
        check_invariants(&d);
    }

    #[test]
    fn clear_drops_everything() {
        let mut d = Dict::with_seed(1);
        for i in 0..10_000 {
            d.insert_new(key(i), val(i));
        }
        d.clear();
        assert!(d.is_empty());
        assert_eq!(d.bucket_count(), 0);
        assert_eq!(d.heap_bytes(), 0);
        assert_eq!(d.find(key(1).as_slice()), None);
        d.insert_new(key(1), val(1));
        assert_eq!(d.get(key(1).as_slice()), Some(&val(1)));
    }

    /// Runs a whole SCAN cycle, calling `between` after every step; returns
    /// every key seen.
    fn scan_all<V>(
        d: &mut Dict<SmallBytes, V>,
        mut between: impl FnMut(&mut Dict<SmallBytes, V>),
    ) -> HashSet<SmallBytes> {
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut calls = 0;
        loop {
            cursor = d.scan(cursor, |id| {
                seen.insert(d.key(id).clone());
            });
            calls += 1;
            assert!(calls < 10_000_000, "scan does not terminate");
            if cursor == 0 {
                return seen;
            }
            between(d);
        }
    }

    #[test]
    fn scan_without_changes_returns_each_entry_once() {
        for n in [1usize, 3, 4, 5, 100, 1000, 4096, 5000] {
            let mut d = Dict::with_seed(n as u64);
            for i in 0..n {
                d.insert_new(key(i), ());
            }
            for _ in 0..2 {
                // Once mid-rehash (when growth started), once after.
                let mut count = HashMap::new();
                let mut cursor = 0;
                loop {
                    cursor = d.scan(cursor, |id| *count.entry(id).or_insert(0) += 1);
                    if cursor == 0 {
                        break;
                    }
                }
                assert_eq!(count.len(), n);
                assert!(count.values().all(|&c| c == 1));
                while d.rehash_for(Duration::from_secs(1)) {}
            }
        }
    }

    #[test]
    fn scan_survives_growth() {
        for seed in 0..20u64 {
            let mut rng = XorShift(seed * 7919 + 1);
            let mut d = Dict::with_seed(seed);
            let n = 50 + rng.below(3000);
            for i in 0..n {
                d.insert_new(key(i), ());
            }
            let original: Vec<SmallBytes> = (0..n).map(key).collect();
            let mut next = 1_000_000;
            let per_step = 1 + rng.below(200);
            let seen = scan_all(&mut d, |d| {
                // Growth is bounded (4n inserts) so the scan can finish.
                for _ in 0..per_step {
                    if next >= 1_000_000 + 4 * n {
                        break;
                    }
                    d.insert_new(key(next), ());
                    next += 1;
                }
                if rng.below(4) == 0 {
                    d.rehash_for(Duration::ZERO);
                }
            });
            for k in &original {
                assert!(seen.contains(k), "seed {seed}: {k:?} missed");
            }
            assert!(d.len() > n);
        }
    }

    #[test]
    fn scan_survives_shrinking() {
        for seed in 0..20u64 {
            let mut rng = XorShift(seed * 104_729 + 3);
            let mut d = Dict::with_seed(seed ^ 0xabc);
            let n = 2000 + rng.below(20_000);
            for i in 0..n {
                d.insert_new(key(i), ());
            }
            while d.rehash_for(Duration::from_secs(1)) {}
            // A few keys stay for the whole scan; the others are deleted as it
            // goes, so the table shrinks (several times) under it.
            let kept: Vec<usize> = (0..n).filter(|_| rng.below(20) == 0).collect();
            let kept_set: HashSet<usize> = kept.iter().copied().collect();
            let mut doomed: Vec<usize> = (0..n).filter(|i| !kept_set.contains(i)).collect();
            let per_step = 1 + rng.below(400);
            let budget_mode = rng.below(3);
            let mut shrinks = 0;
            let seen = scan_all(&mut d, |d| {
                for _ in 0..per_step {
                    if let Some(i) = doomed.pop() {
                        d.remove(key(i).as_slice()).unwrap();
                    }
                }
                if !d.is_rehashing() {
                    let before = d.bucket_count();
                    d.shrink_if_sparse();
                    if d.bucket_count() != before {
                        shrinks += 1;
                    }
                }
                match budget_mode {
                    0 => {}
                    1 => {
                        d.rehash_for(Duration::ZERO);
                    }
                    _ => while d.rehash_for(Duration::from_secs(1)) {},
                }
            });
            for &i in &kept {
                assert!(seen.contains(&key(i)), "seed {seed}: key {i} missed");
            }
            assert!(shrinks > 0, "seed {seed}: the table never shrank");
        }
    }

    #[test]
    fn scan_survives_random_resizes() {
        // Mixed inserts and deletes of other keys, shrinks and partial
        // rehashes between steps.
        for seed in 0..30u64 {
            let mut rng = XorShift(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
            let mut d = Dict::with_seed(seed);
            let n = 1 + rng.below(5000);
            let mut stable = Vec::new();
            for i in 0..n {
                d.insert_new(key(i), ());
                if rng.below(3) == 0 {
                    stable.push(i);
                }
            }
            let stable_set: HashSet<usize> = stable.iter().copied().collect();
            let mut volatile: Vec<usize> = (0..n).filter(|i| !stable_set.contains(i)).collect();
            let mut next = 10_000_000;
            let seen = scan_all(&mut d, |d| {
                let phase = rng.below(3);
                let ops = rng.below(500);
                for _ in 0..ops {
                    if phase == 0 || volatile.is_empty() {
                        d.insert_new(key(next), ());
                        volatile.push(next);
                        next += 1;
                    } else {
                        let j = rng.below(volatile.len());
                        let i = volatile.swap_remove(j);
                        d.remove(key(i).as_slice()).unwrap();
                    }
                }
                d.shrink_if_sparse();
                if rng.below(2) == 0 {
                    d.rehash_for(Duration::ZERO);
                }
            });
            for &i in &stable {
                assert!(seen.contains(&key(i)), "seed {seed}: key {i} missed");
            }
            check_invariants(&d);
        }
    }

    #[test]
    fn scan_cursor_survives_resize_completing_between_calls() {
        // Resize started and completed entirely between two calls, both ways.
        let mut d = Dict::with_seed(77);
        for i in 0..1000 {
            d.insert_new(key(i), ());
        }
        while d.rehash_for(Duration::from_secs(1)) {}
        let mut step = 0;
        let mut next = 5000;
        let seen = scan_all(&mut d, |d| {
            step += 1;
            if step % 7 == 3 {
                for _ in 0..3000 {
                    d.insert_new(key(next), ());
                    next += 1;
                }
            } else if step % 7 == 5 {
                while next > 5000 {
                    next -= 1;
                    d.remove(key(next).as_slice());
                }
                d.shrink_if_sparse();
            }
            while d.rehash_for(Duration::from_secs(1)) {}
        });
        for i in 0..1000 {
            assert!(seen.contains(&key(i)), "key {i} missed");
        }
    }

    #[test]
    fn random_entry_live_and_covering() {
        let mut d = Dict::with_seed(21);
        let mut rng = XorShift(99);
        for i in 0..64 {
            d.insert_new(key(i), i);
        }
        for i in (0..64).step_by(3) {
            d.remove(key(i).as_slice());
        }
        let live: HashSet<EntryId> = d.iter().collect();
        let mut hit = HashSet::new();
        for _ in 0..20_000 {
            let id = d.random_entry(&mut || rng.next()).unwrap();
            assert!(live.contains(&id));
            hit.insert(id);
        }
        assert_eq!(hit, live);

        // Mid-rehash, both tables.
        let mut d = Dict::with_seed(22);
        for i in 0..1 << 10 {
            d.insert_new(key(i), i);
        }
        assert!(d.is_rehashing());
        d.rehash_for(Duration::ZERO);
        assert!(d.is_rehashing());
        let live: HashSet<EntryId> = d.iter().collect();
        let mut hit = HashSet::new();
        for _ in 0..100_000 {
            let id = d.random_entry(&mut || rng.next()).unwrap();
            assert!(live.contains(&id));
            hit.insert(id);
        }
        assert_eq!(hit, live);
    }

    #[test]
    fn random_entry_in_a_very_sparse_table() {
        let mut d = Dict::with_seed(23);
        for i in 0..100_000 {
            d.insert_new(key(i), i);
        }
        while d.rehash_for(Duration::from_secs(1)) {}
        for i in 1..100_000 {
            d.remove(key(i).as_slice());
        }
        let only = d.find(key(0).as_slice()).unwrap();
        let mut rng = XorShift(5);
        for _ in 0..10 {
            assert_eq!(d.random_entry(&mut || rng.next()), Some(only));
        }
        // Even a constant "random" source terminates.
        assert_eq!(d.random_entry(&mut || 0), Some(only));
    }

    #[test]
    fn works_with_other_key_types() {
        let mut d: Dict<Vec<u8>, u64> = Dict::with_seed(5);
        for i in 0..1000u64 {
            d.insert_new(i.to_string().into_bytes(), i);
        }
        for i in 0..1000u64 {
            assert_eq!(d.get(i.to_string().as_bytes()), Some(&i));
        }
        let mut d: Dict<String, ()> = Dict::new();
        d.insert("a".to_string(), ());
        assert!(d.find(b"a").is_some());
    }

    #[test]
    fn model_test_against_hashmap() {
        let mut rng = XorShift(0x5eed);
        let mut d: Dict<SmallBytes, u64> = Dict::with_seed(8);
        let mut model: HashMap<Vec<u8>, (u64, u32)> = HashMap::new();
        for step in 0..200_000u64 {
            let k = key(rng.below(3000)).into_vec();
            match rng.below(10) {
                0..=3 => {
                    let (id, old) = d.insert(SmallBytes::from_slice(&k), step);
                    let prev = model.insert(k.clone(), (step, 0));
                    assert_eq!(old, prev.map(|p| p.0));
                    if let Some((_, meta)) = prev {
                        assert_eq!(d.meta(id), meta);
                        model.get_mut(&k).unwrap().1 = meta;
                    }
                }
                4..=6 => {
                    let r = d.remove(&k);
                    let m = model.remove(&k);
                    assert_eq!(r.map(|(_, _, v, meta)| (v, meta)), m);
                }
                7 => {
                    if let Some(id) = d.find(&k) {
                        d.set_meta(id, step as u32);
                        model.get_mut(&k).unwrap().1 = step as u32;
                    }
                }
                8 => {
                    if d.is_empty() {
                        continue;
                    }
                    let id = d.random_entry(&mut || rng.next()).unwrap();
                    let k = d.key(id).to_vec();
                    let (_, v, meta) = d.remove_id(id);
                    assert_eq!(model.remove(&k), Some((v, meta)));
                }
                _ => {
                    d.shrink_if_sparse();
                    d.rehash_for(Duration::ZERO);
                }
            }
            assert_eq!(d.len(), model.len());
            if step % 10_000 == 0 {
                check_invariants(&d);
                for (k, &(v, meta)) in &model {
                    let id = d.find(k).unwrap();
                    assert_eq!((*d.value(id), d.meta(id)), (v, meta));
                }
            }
        }
    }

    #[test]
    fn memory_at_1m_keys() {
        let n = 1_000_000;
        let mut d = Dict::with_seed(1);
        for i in 0..n {
            d.insert_new(key(i), val(i));
        }
        while d.rehash_for(Duration::from_secs(1)) {}
        let entry = std::mem::size_of::<Entry<SmallBytes, SmallBytes>>();
        let per_key = d.heap_bytes() as f64 / n as f64;
        println!(
            "entry {entry} B, {} buckets, heap_bytes {} = {per_key:.2} B/key",
            d.bucket_count(),
            d.heap_bytes()
        );
        assert!(per_key <= 64.0, "{per_key}");
    }

    /// `cargo test --release -- --ignored --nocapture bench_1m`
    #[test]
    #[ignore]
    fn bench_1m() {
        use std::hint::black_box;
        let n = 1_000_000;
        let keys: Vec<SmallBytes> = (0..n).map(key).collect();
        let misses: Vec<SmallBytes> = (0..n).map(|i| key(i + n)).collect();
        for round in 0..3 {
            let mut d = Dict::with_seed(round);
            let t = Instant::now();
            for (i, k) in keys.iter().enumerate() {
                d.insert_new(k.clone(), i as u64);
            }
            let ins = t.elapsed();
            let t = Instant::now();
            let mut sum = 0u64;
            for k in &keys {
                sum += *d.get(k.as_slice()).unwrap();
            }
            let hit = t.elapsed();
            black_box(sum);
            let t = Instant::now();
            let mut found = 0;
            for k in &misses {
                found += d.find(k.as_slice()).is_some() as usize;
            }
            let miss = t.elapsed();
            assert_eq!(found, 0);
            let t = Instant::now();
            for k in &keys {
                d.insert(k.clone(), 7);
            }
            let upd = t.elapsed();
            let t = Instant::now();
            let mut cursor = 0;
            let mut scanned = 0;
            loop {
                cursor = d.scan(cursor, |_| scanned += 1);
                if cursor == 0 {
                    break;
                }
            }
            let scan = t.elapsed();
            let t = Instant::now();
            for k in &keys {
                d.remove(k.as_slice()).unwrap();
            }
            let rem = t.elapsed();
            println!(
                "1M: insert_new {ins:?} ({:.0} ns/op), find hit {hit:?} ({:.0} ns/op), \
                 find miss {miss:?}, insert-replace {upd:?}, full scan {scan:?} ({scanned}), remove {rem:?}",
                ins.as_nanos() as f64 / n as f64,
                hit.as_nanos() as f64 / n as f64,
            );
        }
        // Reference: std HashMap with SipHash.
        let t = Instant::now();
        let mut m = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            m.insert(k.clone(), i as u64);
        }
        let ins = t.elapsed();
        let t = Instant::now();
        let mut sum = 0;
        for k in &keys {
            sum += m[k.as_slice()];
        }
        black_box(sum);
        println!(
            "std HashMap (SipHash): insert {ins:?}, find {:?}",
            t.elapsed()
        );
        // Worst single-insert latency across growths.
        let mut d = Dict::with_seed(9);
        let mut worst = Duration::ZERO;
        for (i, k) in keys.iter().enumerate() {
            let t = Instant::now();
            d.insert_new(k.clone(), i as u64);
            worst = worst.max(t.elapsed());
        }
        println!("worst single insert_new over 1M: {worst:?}");
    }

    #[test]
    fn tagged_tables_find_what_they_hold_across_resizes() {
        let mut d: Dict<SmallBytes, u64> = Dict::tagged();
        let key = |i: u64| SmallBytes::from(format!("element:{i:012}").into_bytes());
        for i in 0..5000 {
            d.insert_new(key(i), i);
        }
        for i in (0..5000).step_by(3) {
            assert!(d.remove(key(i).as_slice()).is_some());
        }
        while d.rehash_for(Duration::from_millis(5)) {}
        for i in 0..6000 {
            let want = (i < 5000 && i % 3 != 0).then_some(i);
            assert_eq!(d.get(key(i).as_slice()).copied(), want, "{i}");
        }
    }
}
