//! The hash type, in Redis 7.0's two encodings:
//!
//! - `Listpack` (as OBJECT ENCODING names it): fields and values alternating
//!   in one `Pack` buffer, while the hash has at most
//!   `hash-max-listpack-entries` fields and no field or value longer than
//!   `hash-max-listpack-value` bytes. A small hash then costs one exact-size
//!   allocation (plus the `Box` in `Value`). Lookups are a linear scan of the
//!   fields, cheap at these sizes; writes replace or append in place.
//!
//!   `Pack` rather than the shared `Listpack`: a hash is only ever walked
//!   front to back, so it needs no back-lengths, no entry count and no spare
//!   capacity. Each string is a varint length and its bytes, in a `Box<[u8]>`
//!   of exactly that size. That is 2 bytes per field/value pair, and 16 bytes
//!   of header, less than a `Listpack` (whose 32-byte struct would also make
//!   the `Box<Hash>` allocation one size class larger), which is what a
//!   million small hashes need to stay well under Redis's memory.
//! - `Table`: a `Dict` of fields to values (boxed, so a small hash does not pay
//!   for the table's header), with incremental rehashing and Redis's SCAN
//!   cursor.
//!
//! A write that crosses either limit converts the listpack to a table at once;
//! a table never goes back, as in Redis (OBJECT ENCODING shows it).
//!
//! Nothing here knows RESP: the commands in `commands/hashes.rs` call these
//! operations and write the replies.

use std::collections::HashSet;

use super::dict::{Dict, EntryId};
use super::small_bytes::SmallBytes;

/// The table of a large hash.
pub type Table = Dict<SmallBytes, SmallBytes>;

pub enum Hash {
    /// field, value, field, value...
    Listpack(Pack),
    Table(Box<Table>),
}

/// The listpack limits, from `hash-max-listpack-entries` and
/// `hash-max-listpack-value`.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_entries: usize,
    pub max_value: usize,
}

impl Limits {
    /// From the config values (negative counts as 0).
    pub fn new(max_entries: i64, max_value: i64) -> Limits {
        Limits {
            max_entries: usize::try_from(max_entries).unwrap_or(0),
            max_value: usize::try_from(max_value).unwrap_or(0),
        }
    }

    /// Whether a field and value may live in a listpack.
    fn fits(&self, field: &[u8], value: &[u8]) -> bool {
        field.len() <= self.max_value && value.len() <= self.max_value
    }
}

impl Default for Hash {
    fn default() -> Self {
        Hash::new()
    }
}

impl Hash {
    /// An empty hash (listpack encoded).
    pub fn new() -> Hash {
        Hash::Listpack(Pack::default())
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(p) => p.pairs_len(),
            Hash::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    /// Heap bytes held (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match self {
            Hash::Listpack(p) => p.heap_size(),
            Hash::Table(d) => {
                std::mem::size_of::<Table>()
                    + d.heap_bytes()
                    + d.iter()
                        .map(|id| {
                            let (k, v) = d.entry(id);
                            k.heap_size() + v.heap_size()
                        })
                        .sum::<usize>()
            }
        }
    }

    /// A deep copy (COPY).
    pub fn duplicate(&self) -> Hash {
        match self {
            Hash::Listpack(lp) => Hash::Listpack(lp.clone()),
            Hash::Table(d) => {
                let mut t = Table::new();
                for id in d.iter() {
                    let (k, v) = d.entry(id);
                    t.insert_new(k.clone(), v.clone());
                }
                Hash::Table(Box::new(t))
            }
        }
    }

    /// Calls `f` on every field and its value, in storage order (listpack
    /// order, or the table's arena order): HGETALL, HKEYS, HVALS, DEBUG
    /// DIGEST, RDB.
    pub fn for_each(&self, mut f: impl FnMut(&[u8], &[u8])) {
        match self {
            Hash::Listpack(lp) => {
                lp.pairs().for_each(|(k, v)| f(k, v));
            }
            Hash::Table(d) => d.iter().for_each(|id| {
                let (k, v) = d.entry(id);
                f(k, v)
            }),
        }
    }

    /// Every field and value, in `for_each` order.
    pub fn pairs(&self) -> Vec<(&[u8], &[u8])> {
        let mut v = Vec::with_capacity(self.len());
        match self {
            Hash::Listpack(lp) => v.extend(lp.pairs()),
            Hash::Table(d) => v.extend(d.iter().map(|id| table_pair(d, id))),
        }
        v
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            Hash::Listpack(lp) => lp.pairs().find(|(k, _)| *k == field).map(|(_, v)| v),
            Hash::Table(d) => d.get(field).map(|v| v.as_slice()),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => lp.pairs().any(|(k, _)| k == field),
            Hash::Table(d) => d.find(field).is_some(),
        }
    }

    /// Sets `field` to `value`; true if the field is new. Converts to a table
    /// when the pair is too long for a listpack, or when the hash then holds
    /// more fields than the listpack may.
    pub fn set(&mut self, field: &[u8], value: &[u8], lim: Limits) -> bool {
        if matches!(self, Hash::Listpack(_)) && !lim.fits(field, value) {
            self.convert();
        }
        match self {
            Hash::Listpack(lp) => {
                // One scan: replace the value in place, or append the pair.
                let Some(pairs) = lp.set(field, value) else {
                    return false;
                };
                if pairs > lim.max_entries {
                    self.convert();
                }
                true
            }
            Hash::Table(d) => match d.get_mut(field) {
                Some(v) => {
                    *v = SmallBytes::from_slice(value);
                    false
                }
                None => {
                    d.insert_new(SmallBytes::from_slice(field), SmallBytes::from_slice(value));
                    true
                }
            },
        }
    }

    /// Removes `field`; true if it was there. A table shrinks when it gets
    /// sparse, as Redis resizes a hash after HDEL.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => lp.remove(field),
            Hash::Table(d) => {
                let found = d.remove(field).is_some();
                if found {
                    d.shrink_if_sparse();
                }
                found
            }
        }
    }

    /// Turns a listpack into a table (no-op for a table).
    fn convert(&mut self) {
        if let Hash::Listpack(lp) = self {
            let mut t = Table::new();
            for (k, v) in lp.pairs() {
                t.insert_new(SmallBytes::from_slice(k), SmallBytes::from_slice(v));
            }
            *self = Hash::Table(Box::new(t));
        }
    }

    /// One HSCAN step from `cursor`: calls `f` on the pairs found and returns
    /// the next cursor (0 when done). A listpack answers everything at once
    /// with cursor 0; a table visits buckets until about `count` pairs were
    /// found (at most 10 * `count` buckets), as Redis.
    pub fn scan<'a>(
        &'a self,
        cursor: u64,
        count: usize,
        mut f: impl FnMut(&'a [u8], &'a [u8]),
    ) -> u64 {
        match self {
            Hash::Listpack(lp) => {
                lp.pairs().for_each(|(k, v)| f(k, v));
                0
            }
            Hash::Table(d) => {
                let mut found = 0usize;
                let mut budget = count.saturating_mul(10);
                let mut cur = cursor;
                loop {
                    cur = d.scan(cur, |id| {
                        let (k, v) = table_pair(d, id);
                        f(k, v);
                        found += 1;
                    });
                    if cur == 0 || budget == 0 || found >= count {
                        return cur;
                    }
                    budget -= 1;
                }
            }
        }
    }

    /// A picker of random pairs with repetition (HRANDFIELD without a count
    /// or with a negative one).
    pub fn random_picker(&self) -> RandomPicker<'_> {
        match self {
            Hash::Listpack(_) => RandomPicker::Pairs(self.pairs()),
            Hash::Table(d) => RandomPicker::Table(d),
        }
    }

    /// `count` distinct random pairs, `count` below the number of fields
    /// (HRANDFIELD with a positive count). A listpack gives them in its order
    /// (selection sampling); a table in random order.
    pub fn random_distinct(
        &self,
        count: usize,
        rand: &mut impl FnMut() -> u64,
    ) -> Vec<(&[u8], &[u8])> {
        let n = self.len();
        let count = count.min(n);
        match self {
            Hash::Listpack(_) => {
                let mut out = Vec::with_capacity(count);
                let mut need = count;
                for (seen, pair) in self.pairs().into_iter().enumerate() {
                    if need == 0 {
                        break;
                    }
                    // Keep this pair with probability need / remaining.
                    if (rand() % (n - seen) as u64) < need as u64 {
                        out.push(pair);
                        need -= 1;
                    }
                }
                out
            }
            Hash::Table(d) if count.saturating_mul(3) > n => {
                // Many of them: a partial shuffle of every entry.
                let mut ids: Vec<EntryId> = d.iter().collect();
                for i in 0..count {
                    let j = i + (rand() % (ids.len() - i) as u64) as usize;
                    ids.swap(i, j);
                }
                ids.truncate(count);
                ids.into_iter().map(|id| table_pair(d, id)).collect()
            }
            Hash::Table(d) => {
                // Few of them: random picks until enough distinct ones.
                let mut seen = HashSet::with_capacity(count);
                let mut out = Vec::with_capacity(count);
                while out.len() < count {
                    let Some(id) = d.random_entry(rand) else {
                        break;
                    };
                    if seen.insert(id) {
                        out.push(table_pair(d, id));
                    }
                }
                out
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Pack: the compact encoding
// ---------------------------------------------------------------------------

/// Fields and values of a small hash, alternating, each a little-endian
/// base-128 varint length then the bytes, in one buffer of exactly that size.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Pack(Box<[u8]>);

/// Appends the encoding of `s`.
fn encode_str(s: &[u8], out: &mut Vec<u8>) {
    let mut n = s.len();
    while n >= 0x80 {
        out.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out.extend_from_slice(s);
}

/// Bytes `encode_str` writes for a string of `len` bytes.
fn encoded_len(len: usize) -> usize {
    let mut bytes = 1;
    let mut n = len >> 7;
    while n > 0 {
        bytes += 1;
        n >>= 7;
    }
    bytes + len
}

/// Where one pair sits in a pack: the field's encoding starts at `start`,
/// the value's at `value_at`, and the pair ends at `end`.
struct PairAt {
    start: usize,
    value_at: usize,
    end: usize,
}

impl Pack {
    /// The string at byte `at` and the offset after it (None at the end).
    fn read(&self, at: usize) -> Option<(&[u8], usize)> {
        let buf = &self.0;
        let mut len = 0usize;
        let mut shift = 0u32;
        let mut p = at;
        loop {
            let b = *buf.get(p)?;
            p += 1;
            len |= ((b & 0x7f) as usize).checked_shl(shift)?;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        let end = p.checked_add(len)?;
        Some((buf.get(p..end)?, end))
    }

    /// The pairs in order.
    pub fn pairs(&self) -> PackPairs<'_> {
        PackPairs { pack: self, at: 0 }
    }

    /// Number of pairs (a walk: small hashes only).
    pub fn pairs_len(&self) -> usize {
        self.pairs().count()
    }

    /// Heap bytes held.
    pub fn heap_size(&self) -> usize {
        self.0.len()
    }

    /// Finds `field`: its pair's place, or None and the number of pairs.
    fn locate(&self, field: &[u8]) -> Result<PairAt, usize> {
        let mut at = 0;
        let mut n = 0;
        while let Some((k, value_at)) = self.read(at) {
            let Some((_, end)) = self.read(value_at) else {
                break;
            };
            if k == field {
                return Ok(PairAt {
                    start: at,
                    value_at,
                    end,
                });
            }
            at = end;
            n += 1;
        }
        Err(n)
    }

    /// Sets `field` to `value` in one scan: replaces the value in place, or
    /// appends the pair. Returns None when the field existed, else the number
    /// of pairs now held.
    fn set(&mut self, field: &[u8], value: &[u8]) -> Option<usize> {
        match self.locate(field) {
            Ok(pair) => {
                let old = pair.end - pair.value_at;
                if old == encoded_len(value.len()) {
                    // Same length, so the same varint: only the bytes change.
                    self.0[pair.end - value.len()..pair.end].copy_from_slice(value);
                } else {
                    let mut v = Vec::with_capacity(self.0.len() - old + encoded_len(value.len()));
                    v.extend_from_slice(&self.0[..pair.value_at]);
                    encode_str(value, &mut v);
                    v.extend_from_slice(&self.0[pair.end..]);
                    self.0 = v.into_boxed_slice();
                }
                None
            }
            Err(n) => {
                let mut v = Vec::from(std::mem::take(&mut self.0));
                v.reserve_exact(encoded_len(field.len()) + encoded_len(value.len()));
                encode_str(field, &mut v);
                encode_str(value, &mut v);
                self.0 = v.into_boxed_slice();
                Some(n + 1)
            }
        }
    }

    /// Removes `field`; true if it was there.
    fn remove(&mut self, field: &[u8]) -> bool {
        let Ok(pair) = self.locate(field) else {
            return false;
        };
        let mut v = Vec::from(std::mem::take(&mut self.0));
        v.drain(pair.start..pair.end);
        self.0 = v.into_boxed_slice();
        true
    }
}

/// Iterator over the (field, value) pairs of a `Pack`.
pub struct PackPairs<'a> {
    pack: &'a Pack,
    at: usize,
}

impl<'a> Iterator for PackPairs<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let pack: &'a Pack = self.pack;
        let (k, value_at) = pack.read(self.at)?;
        let (v, end) = pack.read(value_at)?;
        self.at = end;
        Some((k, v))
    }
}

fn table_pair(d: &Table, id: EntryId) -> (&[u8], &[u8]) {
    let (k, v) = d.entry(id);
    (k.as_slice(), v.as_slice())
}

/// Random pairs of one hash, with repetition.
pub enum RandomPicker<'a> {
    /// A listpack's pairs, gathered once so each pick is O(1).
    Pairs(Vec<(&'a [u8], &'a [u8])>),
    Table(&'a Table),
}

impl<'a> RandomPicker<'a> {
    /// A random pair; None only for an empty hash.
    pub fn pick(&self, rand: &mut impl FnMut() -> u64) -> Option<(&'a [u8], &'a [u8])> {
        match self {
            RandomPicker::Pairs(p) if p.is_empty() => None,
            RandomPicker::Pairs(p) => Some(p[(rand() % p.len() as u64) as usize]),
            RandomPicker::Table(d) => d.random_entry(rand).map(|id| table_pair(d, id)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::rng::Rng;
    use std::collections::HashMap;

    fn sorted(h: &Hash) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut v: Vec<_> = h
            .pairs()
            .into_iter()
            .map(|(k, v)| (k.to_vec(), v.to_vec()))
            .collect();
        v.sort();
        v
    }

    fn model_sorted(m: &HashMap<Vec<u8>, Vec<u8>>) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut v: Vec<_> = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        v.sort();
        v
    }

    #[test]
    fn small_hash_stays_one_listpack() {
        assert!(std::mem::size_of::<Hash>() <= 24);
        let lim = Limits::new(512, 64);
        let mut h = Hash::new();
        assert!(h.set(b"a", b"1", lim));
        assert!(!h.set(b"a", b"22", lim));
        assert!(h.set(b"b", b"", lim));
        assert_eq!(h.get(b"a"), Some(&b"22"[..]));
        // A value equal to a field name is not taken for the field.
        assert!(h.set(b"c", b"b", lim));
        assert_eq!(h.get(b"b"), Some(&b""[..]));
        assert_eq!(h.encoding(), "listpack");
        assert_eq!(h.len(), 3);
        assert!(h.remove(b"b") && !h.remove(b"b"));
        assert_eq!(
            h.pairs(),
            vec![(&b"a"[..], &b"22"[..]), (&b"c"[..], &b"b"[..])]
        );
    }

    #[test]
    fn pack_is_exact_and_holds_long_strings() {
        let lim = Limits::new(512, 100_000);
        let mut h = Hash::new();
        h.set(b"field:1", b"v1", lim);
        // varint length + bytes, per string, nothing else.
        assert_eq!(h.heap_size(), 1 + 7 + 1 + 2);
        let long = vec![b'x'; 20_000];
        h.set(b"k", &long, lim);
        h.set(&long[..200], b"short", lim);
        assert_eq!(h.encoding(), "listpack");
        assert_eq!(h.get(b"k"), Some(&long[..]));
        assert_eq!(h.get(&long[..200]), Some(&b"short"[..]));
        h.set(b"k", b"", lim);
        assert_eq!(h.get(b"k"), Some(&b""[..]));
        assert_eq!(h.len(), 3);
        assert!(h.remove(b"field:1"));
        assert_eq!(h.get(&long[..200]), Some(&b"short"[..]));
        assert_eq!(h.heap_size(), 2 + 1 + 2 + 200 + 1 + 5);
        assert_eq!(encoded_len(127), 128);
        assert_eq!(encoded_len(128), 130);
        assert_eq!(encoded_len(16384), 16387);
    }

    #[test]
    fn converts_at_each_limit() {
        let lim = Limits::new(2, 4);
        let mut h = Hash::new();
        h.set(b"a", b"1234", lim);
        h.set(b"b", b"1", lim);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"c", b"1", lim);
        assert_eq!(h.encoding(), "hashtable");
        h.remove(b"c");
        h.remove(b"b");
        assert_eq!(h.encoding(), "hashtable");
        let mut h = Hash::new();
        h.set(b"a", b"12345", lim);
        assert_eq!(h.encoding(), "hashtable");
        let mut h = Hash::new();
        h.set(b"a", b"1", lim);
        h.set(b"a", b"12345", lim);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.get(b"a"), Some(&b"12345"[..]));
        assert_eq!(Limits::new(0, 0).max_entries, 0);
        let mut h = Hash::new();
        h.set(b"", b"", Limits::new(1, 0));
        assert_eq!(h.encoding(), "listpack");
    }

    #[test]
    fn matches_a_hashmap_model_across_the_conversion() {
        let mut rng = Rng::new(7);
        let lim = Limits::new(64, 16);
        let mut h = Hash::new();
        let mut m: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
        let mut converted_at = None;
        for step in 0..20000 {
            let f = format!("f{}", rng.below(if step < 10000 { 80 } else { 400 })).into_bytes();
            match rng.below(10) {
                0..=4 => {
                    let len = if rng.below(200) == 0 {
                        20
                    } else {
                        rng.below(8)
                    };
                    let v: Vec<u8> = (0..len).map(|_| b'a' + rng.below(26) as u8).collect();
                    assert_eq!(h.set(&f, &v, lim), m.insert(f, v).is_none());
                }
                5..=7 => assert_eq!(h.remove(&f), m.remove(&f).is_some()),
                _ => {
                    // HINCRBY as the command does it: read, add, write back.
                    let cur = h.get(&f).map(|v| v.to_vec());
                    assert_eq!(cur.as_ref(), m.get(&f));
                    let n = cur
                        .and_then(|v| crate::util::numbers::parse_i64(&v))
                        .unwrap_or(0)
                        + 3;
                    let v = n.to_string().into_bytes();
                    h.set(&f, &v, lim);
                    m.insert(f, v);
                }
            }
            assert_eq!(h.len(), m.len());
            if converted_at.is_none() && h.encoding() == "hashtable" {
                converted_at = Some(step);
            }
            if step % 500 == 0 {
                assert_eq!(sorted(&h), model_sorted(&m));
            }
        }
        assert!(converted_at.is_some());
        assert_eq!(sorted(&h), model_sorted(&m));
        for (k, v) in &m {
            assert_eq!(h.get(k), Some(&v[..]));
            assert!(h.contains(k));
        }
        assert_eq!(sorted(&h.duplicate()), model_sorted(&m));
    }

    #[test]
    fn scan_and_random_cover_every_pair() {
        let lim = Limits::new(8, 64);
        let mut rng = Rng::new(3);
        let mut rand = || rng.next_u64();
        for n in [5usize, 300] {
            let mut h = Hash::new();
            for i in 0..n {
                h.set(format!("k{i}").as_bytes(), b"v", lim);
            }
            let mut seen = HashSet::new();
            let mut cur = 0;
            loop {
                cur = h.scan(cur, 10, |k, _| {
                    seen.insert(k.to_vec());
                });
                if cur == 0 {
                    break;
                }
            }
            assert_eq!(seen.len(), n);
            for c in [1, n / 2, n - 1] {
                let got = h.random_distinct(c, &mut rand);
                let distinct: HashSet<_> = got.iter().map(|p| p.0).collect();
                assert_eq!((got.len(), distinct.len()), (c, c));
            }
            let picker = h.random_picker();
            for _ in 0..50 {
                assert!(picker.pick(&mut rand).is_some());
            }
        }
        assert!(Hash::new().random_picker().pick(&mut rand).is_none());
    }
}
