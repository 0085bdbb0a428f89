//! `IntSet`: the compact form of a set whose members are all integers
//! (OBJECT ENCODING "intset").
//!
//! It behaves as Redis's intset (sorted distinct integers, iterated in
//! ascending order, membership without a hash) but packs much tighter, since
//! many small integer sets are a workload where memory is the point. Members
//! are stored as offsets from the smallest one, and the sorted offsets are
//! written in the Elias-Fano form:
//!
//! - each offset is split into `l` low bits and the remaining high bits, with
//!   `l = floor(log2(universe / n))`;
//! - the low bits of all members are packed one after the other (`n * l` bits);
//! - the high parts are written in unary in an "upper" bit vector: member `i`
//!   sets bit `high_i + i`, so the vector has `n` ones and `high_max` zeros.
//!
//! That costs about `2 + log2(universe / n)` bits per member, whatever the
//! spread: 100 integers in 0..100 take 25 bytes, 100 random ones below 10,000
//! about 110, where Redis's 2-byte intset takes 200. The `i`th member is found
//! by locating the `i`th one bit (a popcount walk over at most a few dozen
//! words for the sizes an intset reaches); membership of `v` locates the run of
//! members sharing `v`'s high part (the `high`th zero) and compares low bits.
//!
//! A change rewrites the buffer (decode, edit, encode: O(n), as the memmove of
//! Redis's intset); callers that add many members at once use `insert_many`,
//! which rewrites once.
//!
//! Layout of the one heap buffer (empty set: no buffer at all):
//! `[base: i64 LE][n: u32 LE][l: u8][low bits][upper bits]`, bit `k` of a
//! region being bit `k % 8` of its byte `k / 8`.

const HEADER: usize = 13;

/// Sorted distinct i64s, Elias-Fano coded as offsets from the smallest.
#[derive(Clone, Default)]
pub struct IntSet {
    buf: Box<[u8]>,
}

/// Reads `len` (<= 64) bits at bit `bit` of `bytes` (bits past the end read 0).
fn read_bits(bytes: &[u8], bit: usize, len: u32) -> u64 {
    if len == 0 {
        return 0;
    }
    let start = bit / 8;
    let mut window = [0u8; 16];
    let end = bytes.len().min(start + 9);
    if start < end {
        window[..end - start].copy_from_slice(&bytes[start..end]);
    }
    let v = u128::from_le_bytes(window) >> (bit % 8);
    let mask = if len == 64 {
        u64::MAX
    } else {
        (1u64 << len) - 1
    };
    (v as u64) & mask
}

/// ORs the low `len` (<= 64) bits of `v` in at bit `bit` of `bytes`.
fn write_bits(bytes: &mut [u8], bit: usize, len: u32, v: u64) {
    if len == 0 {
        return;
    }
    let v = if len == 64 {
        v
    } else {
        v & ((1u64 << len) - 1)
    };
    let shifted = u128::from(v) << (bit % 8);
    let start = bit / 8;
    for (k, b) in shifted.to_le_bytes().iter().enumerate() {
        if *b != 0 {
            bytes[start + k] |= *b;
        }
    }
}

/// The 64-bit word `k` of `bytes` (zero-padded past the end).
fn word(bytes: &[u8], k: usize) -> u64 {
    let start = k * 8;
    let mut w = [0u8; 8];
    let end = bytes.len().min(start + 8);
    if start < end {
        w[..end - start].copy_from_slice(&bytes[start..end]);
    }
    u64::from_le_bytes(w)
}

/// Position of the `r`th (0-based) set bit of `w`; `w` must have more than `r`.
fn nth_set_bit(mut w: u64, r: u32) -> u32 {
    for _ in 0..r {
        w &= w - 1;
    }
    w.trailing_zeros()
}

/// Position of the `r`th (0-based) one bit of `bytes` (`ones`) or zero bit
/// (`!ones`), or None when there are not that many.
fn select(bytes: &[u8], r: usize, ones: bool) -> Option<usize> {
    let mut left = r;
    let words = bytes.len().div_ceil(8);
    for k in 0..words {
        let mut w = word(bytes, k);
        if !ones {
            w = !w;
        }
        let c = w.count_ones() as usize;
        if left < c {
            return Some(k * 64 + nth_set_bit(w, left as u32) as usize);
        }
        left -= c;
    }
    None
}

/// Position of the last one bit of `bytes` (the largest member's, in the
/// upper vector, which always ends with it); 0 if there is none.
fn last_one(bytes: &[u8]) -> usize {
    match bytes.iter().rposition(|&b| b != 0) {
        Some(k) => k * 8 + 7 - bytes[k].leading_zeros() as usize,
        None => 0,
    }
}

/// The number of low bits for `n` offsets up to `max_off`.
fn low_bits_for(n: usize, max_off: u64) -> u32 {
    let q = (u128::from(max_off) + 1) / n.max(1) as u128;
    if q <= 1 {
        0
    } else {
        127 - q.leading_zeros()
    }
}

impl IntSet {
    pub fn new() -> IntSet {
        IntSet::default()
    }

    /// A set of `sorted`, which must be ascending and distinct.
    pub fn from_sorted(sorted: &[i64]) -> IntSet {
        let (Some(&lo), Some(&hi)) = (sorted.first(), sorted.last()) else {
            return IntSet::new();
        };
        let n = sorted.len();
        let max_off = hi.wrapping_sub(lo) as u64;
        let l = low_bits_for(n, max_off);
        let low_bytes = (n * l as usize).div_ceil(8);
        let upper_bits = (max_off >> l) as usize + n;
        let mut buf = vec![0u8; HEADER + low_bytes + upper_bits.div_ceil(8)];
        buf[..8].copy_from_slice(&lo.to_le_bytes());
        buf[8..12].copy_from_slice(&(n as u32).to_le_bytes());
        buf[12] = l as u8;
        let (low, upper) = buf[HEADER..].split_at_mut(low_bytes);
        for (i, &v) in sorted.iter().enumerate() {
            let off = v.wrapping_sub(lo) as u64;
            write_bits(low, i * l as usize, l, off);
            let pos = (off >> l) as usize + i;
            upper[pos / 8] |= 1 << (pos % 8);
        }
        IntSet {
            buf: buf.into_boxed_slice(),
        }
    }

    pub fn len(&self) -> usize {
        if self.buf.is_empty() {
            return 0;
        }
        let mut b = [0u8; 4];
        b.copy_from_slice(&self.buf[8..12]);
        u32::from_le_bytes(b) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Low bits per member (for tests and MEMORY-minded readers).
    pub fn low_bits(&self) -> u32 {
        self.buf.get(12).map_or(0, |&l| u32::from(l))
    }

    fn base(&self) -> i64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.buf[..8]);
        i64::from_le_bytes(b)
    }

    fn low_region(&self) -> &[u8] {
        let bytes = (self.len() * self.low_bits() as usize).div_ceil(8);
        &self.buf[HEADER..HEADER + bytes]
    }

    fn upper_region(&self) -> &[u8] {
        let bytes = (self.len() * self.low_bits() as usize).div_ceil(8);
        &self.buf[HEADER + bytes..]
    }

    /// Heap bytes held.
    pub fn heap_size(&self) -> usize {
        self.buf.len()
    }

    /// The offset of member `i` whose one bit is at `pos` of the upper vector.
    fn offset_at(&self, i: usize, pos: usize) -> u64 {
        let l = self.low_bits();
        let high = (pos - i) as u64;
        let high = if l == 0 { high } else { high << l };
        high | read_bits(self.low_region(), i * l as usize, l)
    }

    /// The `i`th smallest member; `i` must be below `len()`.
    pub fn get(&self, i: usize) -> i64 {
        let pos = select(self.upper_region(), i, true).expect("IntSet::get: index in range");
        self.base().wrapping_add(self.offset_at(i, pos) as i64)
    }

    /// Members in ascending order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            set: self,
            base: if self.is_empty() { 0 } else { self.base() },
            i: 0,
            word_idx: 0,
            word: 0,
        }
    }

    /// Where `v` is (Ok) or would go (Err), as a binary search would say.
    pub fn search(&self, v: i64) -> Result<usize, usize> {
        let n = self.len();
        if n == 0 {
            return Err(0);
        }
        let base = self.base();
        if v < base {
            return Err(0);
        }
        let off = v.wrapping_sub(base) as u64;
        let l = self.low_bits();
        let upper = self.upper_region();
        let last_pos = last_one(upper);
        let high_last = (last_pos - (n - 1)) as u64;
        let high = if l == 64 { 0 } else { off >> l };
        if high > high_last {
            return Err(n);
        }
        let mask = if l == 0 { 0 } else { u64::MAX >> (64 - l) };
        let low = off & mask;
        // Members whose high part is below `high` come before the
        // `high`th zero; the run of ones after it shares `high`.
        let (mut i, mut pos) = if high == 0 {
            (0, 0)
        } else {
            let z = select(upper, (high - 1) as usize, false).expect("IntSet: zero bit");
            (z + 1 - high as usize, z + 1)
        };
        let lows = self.low_region();
        while i < n && (upper[pos / 8] >> (pos % 8)) & 1 == 1 {
            let m = read_bits(lows, i * l as usize, l);
            if m == low {
                return Ok(i);
            }
            if m > low {
                return Err(i);
            }
            i += 1;
            pos += 1;
        }
        Err(i)
    }

    pub fn contains(&self, v: i64) -> bool {
        self.search(v).is_ok()
    }

    /// Adds `v`; false if it was already there.
    pub fn insert(&mut self, v: i64) -> bool {
        match self.search(v) {
            Ok(_) => false,
            Err(pos) => {
                let mut all: Vec<i64> = Vec::with_capacity(self.len() + 1);
                all.extend(self.iter().take(pos));
                all.push(v);
                all.extend(self.iter().skip(pos));
                *self = IntSet::from_sorted(&all);
                true
            }
        }
    }

    /// Adds every value of `vals` (any order, repeats allowed) in one
    /// rewrite; returns how many were new.
    pub fn insert_many(&mut self, vals: &mut Vec<i64>) -> usize {
        vals.sort_unstable();
        vals.dedup();
        let before = self.len();
        let mut merged: Vec<i64> = Vec::with_capacity(before + vals.len());
        let mut new_vals = vals.iter().copied().peekable();
        for m in self.iter() {
            while let Some(&v) = new_vals.peek() {
                if v >= m {
                    break;
                }
                merged.push(v);
                new_vals.next();
            }
            if new_vals.peek() == Some(&m) {
                new_vals.next();
            }
            merged.push(m);
        }
        merged.extend(new_vals);
        let added = merged.len() - before;
        if added > 0 {
            *self = IntSet::from_sorted(&merged);
        }
        added
    }

    /// Removes `v`; false if it was not there.
    pub fn remove(&mut self, v: i64) -> bool {
        match self.search(v) {
            Ok(i) => {
                self.remove_at(i);
                true
            }
            Err(_) => false,
        }
    }

    /// Removes and returns the `i`th smallest member; `i` must be below `len()`.
    pub fn remove_at(&mut self, i: usize) -> i64 {
        let v = self.get(i);
        let rest: Vec<i64> = self
            .iter()
            .enumerate()
            .filter(|&(k, _)| k != i)
            .map(|(_, m)| m)
            .collect();
        *self = IntSet::from_sorted(&rest);
        v
    }

    /// Removes the members at the sorted, distinct `indexes` in one rewrite.
    pub fn remove_indexes(&mut self, indexes: &[usize]) {
        let mut drop = indexes.iter().copied().peekable();
        let rest: Vec<i64> = self
            .iter()
            .enumerate()
            .filter(|&(k, _)| {
                if drop.peek() == Some(&k) {
                    drop.next();
                    false
                } else {
                    true
                }
            })
            .map(|(_, m)| m)
            .collect();
        *self = IntSet::from_sorted(&rest);
    }
}

/// Ascending iteration: walks the one bits of the upper vector word by word.
pub struct Iter<'a> {
    set: &'a IntSet,
    base: i64,
    i: usize,
    /// Index of the next word to load, and what is left of the current one.
    word_idx: usize,
    word: u64,
}

impl Iterator for Iter<'_> {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        if self.i >= self.set.len() {
            return None;
        }
        let upper = self.set.upper_region();
        while self.word == 0 {
            self.word = word(upper, self.word_idx);
            self.word_idx += 1;
        }
        let pos = (self.word_idx - 1) * 64 + self.word.trailing_zeros() as usize;
        self.word &= self.word - 1;
        let off = self.set.offset_at(self.i, pos);
        self.i += 1;
        Some(self.base.wrapping_add(off as i64))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.set.len() - self.i;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::rng::Rng;

    fn check(vals: &[i64]) {
        let s = IntSet::from_sorted(vals);
        assert_eq!(s.len(), vals.len());
        assert_eq!(s.iter().collect::<Vec<_>>(), vals);
        for (i, &v) in vals.iter().enumerate() {
            assert_eq!(s.get(i), v);
            assert_eq!(s.search(v), Ok(i));
            if v > i64::MIN && (i == 0 || vals[i - 1] != v - 1) {
                assert_eq!(s.search(v - 1), Err(i), "{v}-1 in {vals:?}");
            }
            if v < i64::MAX && (i + 1 == vals.len() || vals[i + 1] != v + 1) {
                assert_eq!(s.search(v + 1), Err(i + 1), "{v}+1 in {vals:?}");
            }
        }
    }

    #[test]
    fn encodes_and_finds_every_shape() {
        check(&[]);
        check(&[0]);
        check(&[i64::MIN]);
        check(&[i64::MIN, i64::MAX]);
        check(&[i64::MIN, -1, 0, 1, i64::MAX]);
        check(&[-5, -3, 0, 2, 4, 1000, 70000, 5_000_000_000]);
        check(&(0..100).collect::<Vec<_>>());
        check(&(0..300).map(|i| i * 7 - 1000).collect::<Vec<_>>());
        let mut rng = Rng::new(99);
        for round in 0..200 {
            let n = 1 + rng.below(600);
            let spread = [2u64, 100, 10_000, 1 << 33, u64::MAX][round % 5];
            let mut v: Vec<i64> = (0..n)
                .map(|_| ((rng.next_u64() % spread) as i64).wrapping_sub((spread / 2) as i64))
                .collect();
            v.sort_unstable();
            v.dedup();
            check(&v);
        }
    }

    #[test]
    fn inserts_and_removes() {
        let mut s = IntSet::new();
        assert!(s.insert(1000));
        assert!(s.insert(999));
        assert!(s.insert(i64::MIN));
        assert!(s.insert(i64::MAX));
        assert!(!s.insert(i64::MAX));
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            vec![i64::MIN, 999, 1000, i64::MAX]
        );
        assert!(s.remove(i64::MIN));
        assert!(!s.remove(i64::MIN));
        assert_eq!(s.remove_at(0), 999);
        let mut more = vec![5, 3, 1000, 5, 7];
        assert_eq!(s.insert_many(&mut more), 3);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![3, 5, 7, 1000, i64::MAX]);
        s.remove_indexes(&[0, 2, 4]);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![5, 1000]);
        while !s.is_empty() {
            s.remove_at(0);
        }
        assert_eq!(s.heap_size(), 0);
    }

    #[test]
    fn small_sets_of_integers_are_small() {
        let dense = IntSet::from_sorted(&(0..100).collect::<Vec<_>>());
        assert!(dense.heap_size() <= HEADER + 26, "{}", dense.heap_size());
        let mut rng = Rng::new(5);
        let mut v: Vec<i64> = (0..100).map(|_| (rng.next_u64() % 10_000) as i64).collect();
        v.sort_unstable();
        v.dedup();
        let sparse = IntSet::from_sorted(&v);
        assert!(sparse.heap_size() <= HEADER + 120, "{}", sparse.heap_size());
    }
}
