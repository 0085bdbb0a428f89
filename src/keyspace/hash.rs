//! The hash type, in Redis 7.0's two encodings:
//!
//! - `Listpack` (as OBJECT ENCODING names it): fields and values alternating
//!   in one `Pack` buffer, while the hash has at most
//!   `hash-max-listpack-entries` fields and no field or value longer than
//!   `hash-max-listpack-value` bytes. A small hash then costs one exact-size
//!   allocation (`Value` holds the `Hash` pointer unboxed). Lookups are a linear scan of the
//!   fields, cheap at these sizes; writes replace or append in place.
//!
//!   `Pack` rather than the shared `Listpack`: a hash is only ever walked
//!   front to back, so it needs no back-lengths, no entry count and no spare
//!   capacity. Each field is a length byte (a tag and a varint past 191
//!   bytes) and its bytes; each value too, unless it is a canonical integer, which is kept in binary in 1 to 8
//!   bytes after a tag byte (as Redis's listpack does), so "1700000000"
//!   takes 5 bytes, not 11. All in one heap block of exactly that size behind
//!   a 4-byte length: 2 bytes less per field/value pair than a `Listpack`,
//!   and no 32-byte struct beside the buffer, because a million small hashes
//!   have to stay well under Redis's memory. Reads hand values out as `Val`
//!   (bytes, or an integer that the reply writes as digits).
//! - `Table`: a `Dict` of fields to values, boxed, with incremental rehashing
//!   and Redis's SCAN cursor.
//!
//! `Hash` itself is one word: a pointer to the pack block, or to the boxed
//! table with its low bit set (both are 8-aligned). So it could live inline
//! in `Value` (16 bytes) with no `Box` of its own. The unsafe code is all in
//! the `Pack` block (alloc, realloc, free) and in telling the two pointers
//! apart (`enc`, `enc_mut`, `Drop`).
//!
//! A write that crosses either limit converts the listpack to a table at once;
//! a table never goes back, as in Redis (OBJECT ENCODING shows it).
//!
//! Nothing here knows RESP: the commands in `commands/hashes.rs` call these
//! operations and write the replies.

use std::alloc::{alloc, dealloc, handle_alloc_error, realloc, Layout};
use std::collections::HashSet;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;

use super::dict::{Dict, EntryId};
use super::small_bytes::SmallBytes;
use crate::util::numbers::{i64_len, int_digits, parse_i64};

/// The table of a large hash.
pub type Table = Dict<SmallBytes, SmallBytes>;

/// A hash value: a tagged pointer to a `Pack` block (low bit clear) or to a
/// `Box<Table>` (low bit set). Owns what it points to.
#[repr(transparent)]
pub struct Hash(NonNull<u8>);

// SAFETY: a Hash owns its block or table exclusively, like a Box; nothing is
// shared between values, and Table itself is Send + Sync.
unsafe impl Send for Hash {}
unsafe impl Sync for Hash {}

/// A look at a hash's encoding.
enum Enc<'a> {
    /// field, value, field, value...
    Listpack(&'a Pack),
    Table(&'a Table),
}

enum EncMut<'a> {
    Listpack(&'a mut Pack),
    Table(&'a mut Table),
}

/// Above this many bytes a pack converts to a table whatever the limits say
/// (Redis has the same kind of safety limit on its listpacks), which keeps
/// every block length well inside its u32.
const PACK_MAX_BYTES: usize = 1 << 30;

impl Drop for Hash {
    fn drop(&mut self) {
        if self.is_table() {
            // SAFETY: the tagged pointer came from Box::into_raw in
            // from_table and is dropped once, here.
            unsafe { drop(Box::from_raw(self.table_ptr())) }
        } else {
            // SAFETY: untagged, the pointer is a live Pack block, owned.
            unsafe { std::ptr::drop_in_place(self as *mut Hash as *mut Pack) }
        }
    }
}

/// A value as stored: bytes, or an integer a pack keeps in binary (its text
/// is the integer's canonical decimal form).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Val<'a> {
    Bytes(&'a [u8]),
    Int(i64),
}

impl Val<'_> {
    /// Length of the text.
    pub fn len(&self) -> usize {
        match self {
            Val::Bytes(b) => b.len(),
            Val::Int(n) => i64_len(*n),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` with the text (an integer is formatted on the stack).
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Val::Bytes(b) => f(b),
            Val::Int(n) => f(int_digits(*n, &mut [0u8; 24])),
        }
    }

    /// The text as an integer, if it is one (HINCRBY).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Val::Bytes(b) => parse_i64(b),
            Val::Int(n) => Some(*n),
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.with_bytes(<[u8]>::to_vec)
    }
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
        Hash::from_pack(Pack::new())
    }

    fn from_pack(p: Pack) -> Hash {
        let p = ManuallyDrop::new(p);
        Hash(p.0)
    }

    fn from_table(t: Box<Table>) -> Hash {
        let raw = Box::into_raw(t) as *mut u8;
        // Table is 8-aligned, so bit 0 is free for the tag.
        match NonNull::new(raw.wrapping_add(1)) {
            Some(p) => Hash(p),
            None => unreachable!("a Box is never null"),
        }
    }

    fn is_table(&self) -> bool {
        self.0.as_ptr() as usize & 1 == 1
    }

    fn table_ptr(&self) -> *mut Table {
        self.0.as_ptr().wrapping_sub(1) as *mut Table
    }

    fn enc(&self) -> Enc<'_> {
        if self.is_table() {
            // SAFETY: tagged: a live Box<Table> owned by self.
            Enc::Table(unsafe { &*self.table_ptr() })
        } else {
            // SAFETY: untagged: self has the layout of the Pack it owns
            // (both repr(transparent) over the same pointer).
            Enc::Listpack(unsafe { &*(self as *const Hash as *const Pack) })
        }
    }

    fn enc_mut(&mut self) -> EncMut<'_> {
        if self.is_table() {
            // SAFETY: as in `enc`, borrowed mutably through &mut self.
            EncMut::Table(unsafe { &mut *self.table_ptr() })
        } else {
            // SAFETY: as in `enc`.
            EncMut::Listpack(unsafe { &mut *(self as *mut Hash as *mut Pack) })
        }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match self.enc() {
            Enc::Listpack(p) => p.pairs_len(),
            Enc::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        if self.is_table() {
            "hashtable"
        } else {
            "listpack"
        }
    }

    /// Heap bytes held (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match self.enc() {
            Enc::Listpack(p) => p.heap_size(),
            Enc::Table(d) => {
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
        match self.enc() {
            Enc::Listpack(lp) => Hash::from_pack(lp.clone()),
            Enc::Table(d) => {
                let mut t = Table::tagged();
                for id in d.iter() {
                    let (k, v) = d.entry(id);
                    t.insert_new(k.clone(), v.clone());
                }
                Hash::from_table(Box::new(t))
            }
        }
    }

    /// Calls `f` on every field and the text of its value, in storage order
    /// (listpack order, or the table's arena order): DEBUG DIGEST, RDB.
    pub fn for_each(&self, mut f: impl FnMut(&[u8], &[u8])) {
        self.for_each_val(|k, v| v.with_bytes(|b| f(k, b)));
    }

    /// Calls `f` on every field and its value, in `for_each` order (HGETALL,
    /// HKEYS, HVALS: integers go to the reply without a detour via text).
    pub fn for_each_val<'a>(&'a self, mut f: impl FnMut(&'a [u8], Val<'a>)) {
        match self.enc() {
            Enc::Listpack(lp) => lp.pairs().for_each(|(k, v)| f(k, v)),
            Enc::Table(d) => d.iter().for_each(|id| {
                let (k, v) = table_pair(d, id);
                f(k, v)
            }),
        }
    }

    /// Every field and value, in `for_each` order.
    pub fn pairs(&self) -> Vec<(&[u8], Val<'_>)> {
        let mut v = Vec::with_capacity(self.len());
        match self.enc() {
            Enc::Listpack(lp) => v.extend(lp.pairs()),
            Enc::Table(d) => v.extend(d.iter().map(|id| table_pair(d, id))),
        }
        v
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<Val<'_>> {
        match self.enc() {
            Enc::Listpack(lp) => lp.pairs().find(|(k, _)| *k == field).map(|(_, v)| v),
            Enc::Table(d) => d.get(field).map(|v| Val::Bytes(v.as_slice())),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        match self.enc() {
            Enc::Listpack(lp) => lp.pairs().any(|(k, _)| k == field),
            Enc::Table(d) => d.find(field).is_some(),
        }
    }

    /// Sets `field` to `value`; true if the field is new. Converts to a table
    /// when the pair is too long for a listpack, or when the hash then holds
    /// more fields than the listpack may.
    pub fn set(&mut self, field: &[u8], value: &[u8], lim: Limits) -> bool {
        if let Enc::Listpack(lp) = self.enc() {
            // An upper bound (a number may take less): this is only a guard.
            let add = str_size(field.len()) + str_size(value.len());
            if !lim.fits(field, value) || lp.byte_len() + add > PACK_MAX_BYTES {
                self.convert();
            }
        }
        match self.enc_mut() {
            EncMut::Listpack(lp) => {
                // One scan: replace the value in place, or append the pair.
                let Some(pairs) = lp.set(field, value) else {
                    return false;
                };
                if pairs > lim.max_entries {
                    self.convert();
                }
                true
            }
            EncMut::Table(d) => match d.get_mut(field) {
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
        match self.enc_mut() {
            EncMut::Listpack(lp) => lp.remove(field),
            EncMut::Table(d) => {
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
        if let Enc::Listpack(lp) = self.enc() {
            let mut t = Table::tagged();
            for (k, v) in lp.pairs() {
                t.insert_new(
                    SmallBytes::from_slice(k),
                    v.with_bytes(SmallBytes::from_slice),
                );
            }
            *self = Hash::from_table(Box::new(t));
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
        mut f: impl FnMut(&'a [u8], Val<'a>),
    ) -> u64 {
        match self.enc() {
            Enc::Listpack(lp) => {
                lp.pairs().for_each(|(k, v)| f(k, v));
                0
            }
            Enc::Table(d) => {
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

    /// One random pair (HRANDFIELD without a count); None when empty. A
    /// listpack is walked, not gathered.
    pub fn random_pair(&self, rand: &mut impl FnMut() -> u64) -> Option<(&[u8], Val<'_>)> {
        match self.enc() {
            Enc::Listpack(lp) => {
                let n = lp.pairs_len();
                if n == 0 {
                    return None;
                }
                lp.pairs().nth((rand() % n as u64) as usize)
            }
            Enc::Table(d) => d.random_entry(rand).map(|id| table_pair(d, id)),
        }
    }

    /// A picker of random pairs with repetition (HRANDFIELD without a count
    /// or with a negative one).
    pub fn random_picker(&self) -> RandomPicker<'_> {
        match self.enc() {
            Enc::Listpack(_) => RandomPicker::Pairs(self.pairs()),
            Enc::Table(d) => RandomPicker::Table(d),
        }
    }

    /// `count` distinct random pairs, `count` below the number of fields
    /// (HRANDFIELD with a positive count). A listpack gives them in its order
    /// (selection sampling); a table in random order.
    pub fn random_distinct(
        &self,
        count: usize,
        rand: &mut impl FnMut() -> u64,
    ) -> Vec<(&[u8], Val<'_>)> {
        let n = self.len();
        let count = count.min(n);
        match self.enc() {
            Enc::Listpack(_) => {
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
            Enc::Table(d) if count.saturating_mul(3) > n => {
                // Many of them: a partial shuffle of every entry.
                let mut ids: Vec<EntryId> = d.iter().collect();
                for i in 0..count {
                    let j = i + (rand() % (ids.len() - i) as u64) as usize;
                    ids.swap(i, j);
                }
                ids.truncate(count);
                ids.into_iter().map(|id| table_pair(d, id)).collect()
            }
            Enc::Table(d) => {
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
/// base-128 varint length then the bytes, in one heap block: a u32 byte
/// length, then exactly that many bytes (8-aligned, so a `Hash` can tag it).
#[repr(transparent)]
pub struct Pack(NonNull<u8>);

/// Bytes before the packed strings (their length, a u32).
const HEADER: usize = 4;
const BLOCK_ALIGN: usize = 8;

/// The layout of a block holding `len` packed bytes.
fn block_layout(len: usize) -> Layout {
    match Layout::from_size_align(HEADER + len, BLOCK_ALIGN) {
        Ok(l) => l,
        // len stays under PACK_MAX_BYTES, so this cannot happen.
        Err(_) => unreachable!("pack block of {len} bytes"),
    }
}

// Entry encoding. First byte `b`:
// - `b <= SHORT_MAX`: a string of `b` bytes, which follow;
// - `INT_TAG + k - 1` for k in 1..=8: an integer in k little-endian bytes,
//   sign-extended (values only, and only canonical integers);
// - `LONG_STR`: a string whose length follows as a little-endian base-128
//   varint, then its bytes.

/// Longest string whose length fits in the first byte.
const SHORT_MAX: usize = 0xBF;
const INT_TAG: u8 = 0xC0;
const LONG_STR: u8 = 0xFF;

/// Bytes of a base-128 varint holding `n`.
fn varint_size(mut n: usize) -> usize {
    let mut bytes = 1;
    while n >= 0x80 {
        n >>= 7;
        bytes += 1;
    }
    bytes
}

/// Encoded size of a string of `len` bytes.
fn str_size(len: usize) -> usize {
    if len <= SHORT_MAX {
        1 + len
    } else {
        1 + varint_size(len) + len
    }
}

/// Bytes (1..=8) that hold `n` sign-extended.
fn int_width(n: i64) -> usize {
    let mut k = 1;
    while k < 8 && (n >> (8 * k - 1)) != 0 && (n >> (8 * k - 1)) != -1 {
        k += 1;
    }
    k
}

/// How a value is written: as an integer when its text is exactly the
/// canonical form of one (so it reads back byte for byte), else as bytes.
#[derive(Clone, Copy)]
enum ValEnc<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl<'a> ValEnc<'a> {
    fn of(v: &'a [u8]) -> ValEnc<'a> {
        if v.len() <= 20 {
            if let Some(n) = parse_i64(v) {
                if int_digits(n, &mut [0u8; 24]) == v {
                    return ValEnc::Int(n);
                }
            }
        }
        ValEnc::Str(v)
    }

    fn size(&self) -> usize {
        match self {
            ValEnc::Str(s) => str_size(s.len()),
            ValEnc::Int(n) => 1 + int_width(*n),
        }
    }
}

/// Writes a string at `at`; returns the offset after it.
fn put_str(buf: &mut [u8], at: usize, s: &[u8]) -> usize {
    let mut p = at;
    if s.len() <= SHORT_MAX {
        buf[p] = s.len() as u8;
        p += 1;
    } else {
        buf[p] = LONG_STR;
        p += 1;
        let mut n = s.len();
        while n >= 0x80 {
            buf[p] = (n & 0x7f) as u8 | 0x80;
            n >>= 7;
            p += 1;
        }
        buf[p] = n as u8;
        p += 1;
    }
    buf[p..p + s.len()].copy_from_slice(s);
    p + s.len()
}

/// Writes a value at `at`; returns the offset after it.
fn put_val(buf: &mut [u8], at: usize, v: ValEnc) -> usize {
    match v {
        ValEnc::Str(s) => put_str(buf, at, s),
        ValEnc::Int(n) => {
            let k = int_width(n);
            buf[at] = INT_TAG + (k as u8 - 1);
            buf[at + 1..at + 1 + k].copy_from_slice(&n.to_le_bytes()[..k]);
            at + 1 + k
        }
    }
}

/// Where one pair sits in a pack: the field's encoding starts at `start`,
/// the value's at `value_at`, and the pair ends at `end`.
struct PairAt {
    start: usize,
    value_at: usize,
    end: usize,
}

/// The entry at byte `at` of `buf` and the offset after it (None at the
/// end, or on a malformed tail, which a pack never has).
fn read_entry(buf: &[u8], at: usize) -> Option<(Val<'_>, usize)> {
    let b = *buf.get(at)?;
    let (len, from) = match b {
        0..=0xBF => (b as usize, at + 1),
        LONG_STR => {
            let mut len = 0usize;
            let mut shift = 0u32;
            let mut p = at + 1;
            loop {
                let c = *buf.get(p)?;
                p += 1;
                len |= ((c & 0x7f) as usize).checked_shl(shift)?;
                if c & 0x80 == 0 {
                    break;
                }
                shift += 7;
            }
            (len, p)
        }
        _ => {
            let k = usize::from(b.checked_sub(INT_TAG)?) + 1;
            let raw = buf.get(at + 1..at + 1 + k)?;
            if k > 8 {
                return None;
            }
            let mut le = [0u8; 8];
            le[..k].copy_from_slice(raw);
            // Sign-extend from k bytes.
            let shift = 64 - 8 * k as u32;
            let n = (i64::from_le_bytes(le) << shift) >> shift;
            return Some((Val::Int(n), at + 1 + k));
        }
    };
    let end = from.checked_add(len)?;
    Some((Val::Bytes(buf.get(from..end)?), end))
}

// SAFETY: a Pack owns its block exclusively, like a Box<[u8]>.
unsafe impl Send for Pack {}
unsafe impl Sync for Pack {}

impl Pack {
    /// An empty pack (a block holding only its length).
    fn new() -> Pack {
        Pack::from_bytes(&[])
    }

    /// A pack holding a copy of `b` (already packed).
    fn from_bytes(b: &[u8]) -> Pack {
        let layout = block_layout(b.len());
        // SAFETY: the layout has a non-zero size; the block is written whole
        // (length, then every byte) before it is used.
        unsafe {
            let p = alloc(layout);
            let Some(p) = NonNull::new(p) else {
                handle_alloc_error(layout)
            };
            (p.as_ptr() as *mut u32).write(b.len() as u32);
            std::ptr::copy_nonoverlapping(b.as_ptr(), p.as_ptr().add(HEADER), b.len());
            Pack(p)
        }
    }

    /// Packed bytes held.
    fn byte_len(&self) -> usize {
        // SAFETY: a live block starts with its u32 length (8-aligned).
        unsafe { (self.0.as_ptr() as *const u32).read() as usize }
    }

    /// The packed bytes.
    fn bytes(&self) -> &[u8] {
        // SAFETY: the block holds byte_len() initialized bytes after HEADER.
        unsafe { std::slice::from_raw_parts(self.0.as_ptr().add(HEADER), self.byte_len()) }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`, borrowed mutably through &mut self.
        unsafe { std::slice::from_raw_parts_mut(self.0.as_ptr().add(HEADER), self.byte_len()) }
    }

    /// Grows or shrinks the block to `new_len` packed bytes, keeping the
    /// first ones; bytes added are zero until the caller writes them.
    fn resize(&mut self, new_len: usize) {
        let old_len = self.byte_len();
        let new_layout = block_layout(new_len);
        // SAFETY: the block was allocated with block_layout(old_len); the new
        // size is non-zero and below isize::MAX (block_layout checked it).
        unsafe {
            let p = realloc(self.0.as_ptr(), block_layout(old_len), new_layout.size());
            let Some(p) = NonNull::new(p) else {
                handle_alloc_error(new_layout)
            };
            if new_len > old_len {
                std::ptr::write_bytes(p.as_ptr().add(HEADER + old_len), 0, new_len - old_len);
            }
            (p.as_ptr() as *mut u32).write(new_len as u32);
            self.0 = p;
        }
    }

    /// The pairs in order.
    pub fn pairs(&self) -> PackPairs<'_> {
        PackPairs {
            buf: self.bytes(),
            at: 0,
        }
    }

    /// Number of pairs (a walk: small hashes only).
    pub fn pairs_len(&self) -> usize {
        self.pairs().count()
    }

    /// Heap bytes held.
    pub fn heap_size(&self) -> usize {
        HEADER + self.byte_len()
    }

    /// Finds `field`: its pair's place, or the number of pairs.
    fn locate(&self, field: &[u8]) -> Result<PairAt, usize> {
        let buf = self.bytes();
        let mut at = 0;
        let mut n = 0;
        while let Some((k, value_at)) = read_entry(buf, at) {
            let Some((_, end)) = read_entry(buf, value_at) else {
                break;
            };
            if k == Val::Bytes(field) {
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
        let value = ValEnc::of(value);
        match self.locate(field) {
            Ok(pair) => {
                self.replace_range(pair.value_at, pair.end, value);
                None
            }
            Err(n) => {
                let at = self.byte_len();
                self.resize(at + str_size(field.len()) + value.size());
                let buf = self.bytes_mut();
                let at = put_str(buf, at, field);
                put_val(buf, at, value);
                Some(n + 1)
            }
        }
    }

    /// Replaces the value encoded in `start..end` with `value`, moving what
    /// follows. Same size: the bytes only, no reallocation.
    fn replace_range(&mut self, start: usize, end: usize, value: ValEnc) {
        let (old, new) = (end - start, value.size());
        let total = self.byte_len();
        if new > old {
            self.resize(total + new - old);
            self.bytes_mut().copy_within(end..total, end + new - old);
        } else if new < old {
            self.bytes_mut().copy_within(end..total, end - (old - new));
            self.resize(total - (old - new));
        }
        put_val(self.bytes_mut(), start, value);
    }

    /// Removes `field`; true if it was there.
    fn remove(&mut self, field: &[u8]) -> bool {
        let Ok(pair) = self.locate(field) else {
            return false;
        };
        let total = self.byte_len();
        self.bytes_mut().copy_within(pair.end..total, pair.start);
        self.resize(total - (pair.end - pair.start));
        true
    }
}

impl Clone for Pack {
    fn clone(&self) -> Pack {
        Pack::from_bytes(self.bytes())
    }
}

impl Drop for Pack {
    fn drop(&mut self) {
        // SAFETY: the block was allocated with this layout and is freed once.
        unsafe { dealloc(self.0.as_ptr(), block_layout(self.byte_len())) }
    }
}

/// Iterator over the (field, value) pairs of a `Pack`.
pub struct PackPairs<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for PackPairs<'a> {
    type Item = (&'a [u8], Val<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let (k, value_at) = read_entry(self.buf, self.at)?;
        let (v, end) = read_entry(self.buf, value_at)?;
        self.at = end;
        // Fields are always written as strings.
        let Val::Bytes(k) = k else {
            return None;
        };
        Some((k, v))
    }
}

fn table_pair(d: &Table, id: EntryId) -> (&[u8], Val<'_>) {
    let (k, v) = d.entry(id);
    (k.as_slice(), Val::Bytes(v.as_slice()))
}

/// Random pairs of one hash, with repetition.
pub enum RandomPicker<'a> {
    /// A listpack's pairs, gathered once so each pick is O(1).
    Pairs(Vec<(&'a [u8], Val<'a>)>),
    Table(&'a Table),
}

impl<'a> RandomPicker<'a> {
    /// A random pair; None only for an empty hash.
    pub fn pick(&self, rand: &mut impl FnMut() -> u64) -> Option<(&'a [u8], Val<'a>)> {
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

    fn get(h: &Hash, f: &[u8]) -> Option<Vec<u8>> {
        h.get(f).map(|v| v.to_vec())
    }

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
        assert_eq!(std::mem::size_of::<Hash>(), 8);
        let lim = Limits::new(512, 64);
        let mut h = Hash::new();
        assert!(h.set(b"a", b"1", lim));
        assert!(!h.set(b"a", b"22", lim));
        assert!(h.set(b"b", b"", lim));
        assert_eq!(get(&h, b"a"), Some(b"22"[..].to_vec()));
        // A value equal to a field name is not taken for the field.
        assert!(h.set(b"c", b"b", lim));
        assert_eq!(get(&h, b"b"), Some(b""[..].to_vec()));
        assert_eq!(h.encoding(), "listpack");
        assert_eq!(h.len(), 3);
        assert!(h.remove(b"b") && !h.remove(b"b"));
        assert_eq!(
            h.pairs(),
            vec![(&b"a"[..], Val::Int(22)), (&b"c"[..], Val::Bytes(b"b"))]
        );
    }

    #[test]
    fn pack_is_exact_and_holds_long_strings() {
        let lim = Limits::new(512, 100_000);
        let mut h = Hash::new();
        h.set(b"field:1", b"v1", lim);
        // varint length + bytes, per string, nothing else.
        assert_eq!(h.heap_size(), HEADER + 1 + 7 + 1 + 2);
        let long = vec![b'x'; 20_000];
        h.set(b"k", &long, lim);
        h.set(&long[..200], b"short", lim);
        assert_eq!(h.encoding(), "listpack");
        assert_eq!(get(&h, b"k"), Some(long[..].to_vec()));
        assert_eq!(get(&h, &long[..200]), Some(b"short"[..].to_vec()));
        h.set(b"k", b"", lim);
        assert_eq!(get(&h, b"k"), Some(b""[..].to_vec()));
        assert_eq!(h.len(), 3);
        assert!(h.remove(b"field:1"));
        assert_eq!(get(&h, &long[..200]), Some(b"short"[..].to_vec()));
        assert_eq!(h.heap_size(), HEADER + 3 + (1 + 2 + 200) + 6);
        assert_eq!(str_size(191), 192);
        assert_eq!(str_size(192), 195);
        assert_eq!(str_size(16384), 16388);
        for len in [190, 191, 192, 193, 300] {
            let v = vec![b'y'; len];
            h.set(b"k", &v, lim);
            assert_eq!(get(&h, b"k"), Some(v));
        }
    }

    #[test]
    fn canonical_integers_are_kept_in_binary_and_read_back_exactly() {
        let lim = Limits::new(512, 64);
        let mut h = Hash::new();
        let ints: [&[u8]; 12] = [
            b"0",
            b"-1",
            b"127",
            b"128",
            b"-128",
            b"-129",
            b"32767",
            b"1700000000",
            b"-2147483649",
            b"9223372036854775807",
            b"-9223372036854775808",
            b"12",
        ];
        for (i, v) in ints.iter().enumerate() {
            h.set(format!("i{i}").as_bytes(), v, lim);
        }
        let texts: [&[u8]; 8] = [b"007", b"-0", b"+1", b"1e3", b" 1", b"1 ", b"", b"0x10"];
        for (i, v) in texts.iter().enumerate() {
            h.set(format!("t{i}").as_bytes(), v, lim);
        }
        for (i, v) in ints.iter().enumerate() {
            let got = h.get(format!("i{i}").as_bytes()).unwrap();
            assert!(matches!(got, Val::Int(_)), "{:?}", got);
            assert_eq!(got.to_vec(), v.to_vec());
            assert_eq!(got.len(), v.len());
        }
        for (i, v) in texts.iter().enumerate() {
            assert_eq!(h.get(format!("t{i}").as_bytes()), Some(Val::Bytes(v)));
        }
        let mut seen = 0;
        h.for_each(|k, v| {
            seen += 1;
            if k == b"i7" {
                assert_eq!(v, b"1700000000");
            }
        });
        assert_eq!(seen, 20);
        // 1700000000 takes a tag and 4 bytes; replacing it with text and back
        // moves what follows correctly.
        h.set(b"i7", b"abc", lim);
        h.set(b"i7", b"-5", lim);
        assert_eq!(get(&h, b"i7"), Some(b"-5".to_vec()));
        assert_eq!(get(&h, b"i8"), Some(b"-2147483649".to_vec()));
        assert_eq!((int_width(127), int_width(128), int_width(-128)), (1, 2, 1));
        assert_eq!((int_width(i64::MAX), int_width(i64::MIN)), (8, 8));
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
        assert_eq!(get(&h, b"a"), Some(b"12345"[..].to_vec()));
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
                    let v: Vec<u8> = match rng.below(3) {
                        0 => (rng.next_u64() as i64 >> rng.below(64))
                            .to_string()
                            .into_bytes(),
                        _ => (0..len).map(|_| b'a' + rng.below(26) as u8).collect(),
                    };
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
            assert_eq!(get(&h, k), Some(v[..].to_vec()));
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
                assert!(h.random_pair(&mut rand).is_some());
            }
        }
        assert!(Hash::new().random_picker().pick(&mut rand).is_none());
        assert!(Hash::new().random_pair(&mut rand).is_none());
    }
}
