//! `Listpack`: a sequence of byte strings packed into one buffer, the compact
//! form of small hashes, sets and list nodes (Redis's listpack idea, in our own
//! layout: nothing of it leaves the process, RDB writes its own format).
//!
//! Each entry is `len | bytes | backlen`:
//! - `len` is the byte length as a little-endian base-128 varint (1 byte up to
//!   127, 2 up to 16383, ...);
//! - `backlen` is the size of `len | bytes`, written so it can be read from
//!   its last byte backwards (most significant group first, every byte but the
//!   first with its top bit set), which lets a reader step to the previous
//!   entry without a scan from the front.
//!
//! So a 5-byte string costs 7 bytes and no allocation of its own, and the
//! structure can be walked from either end. Entries are named by `Pos`, the
//! byte offset where they start; `end()` is the position past the last one.
//! A position stays valid until the listpack is changed (a change returns the
//! position that now names what followed).
//!
//! Growth is by exact reservation, so a listpack holds no slack beyond the
//! allocator's rounding: small collections stay as small as the data. (List
//! nodes, pushed to all the time, ask for amortized growth with `reserve`.)

/// Byte offset of an entry in the buffer.
pub type Pos = usize;

#[derive(Clone, Default, PartialEq, Eq)]
pub struct Listpack {
    buf: Vec<u8>,
    count: u32,
    /// A word kept for the owner, never read or changed by the listpack's
    /// own operations (it sits in what would be padding, so it costs no
    /// memory). A list node keeps there the byte size the node has as a
    /// Redis listpack (see `list.rs`); hashes and sets leave it 0.
    aux: u32,
}

/// Bytes of the varint holding `v`.
fn varint_size(v: usize) -> usize {
    match v {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        0x4000..=0x1f_ffff => 3,
        0x20_0000..=0xfff_ffff => 4,
        _ => 5,
    }
}

/// Encodes an entry into `out` (which must be empty or extended by exactly it).
fn encode(v: &[u8], out: &mut Vec<u8>) {
    let mut n = v.len();
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
    out.extend_from_slice(v);
    let back = varint_size(v.len()) + v.len();
    let size = varint_size(back);
    for i in (0..size).rev() {
        let b = ((back >> (7 * i)) & 0x7f) as u8;
        out.push(if i == size - 1 { b } else { b | 0x80 });
    }
}

/// Total encoded size of an entry holding `len` bytes.
pub fn entry_size(len: usize) -> usize {
    let inner = varint_size(len) + len;
    inner + varint_size(inner)
}

impl Listpack {
    pub fn new() -> Self {
        Listpack::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes of the encoded entries (what the size limits compare against).
    pub fn total_bytes(&self) -> usize {
        self.buf.len()
    }

    /// Heap bytes held (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        self.buf.capacity()
    }

    /// The owner's word (see the field); 0 in a new listpack.
    #[inline]
    pub fn aux(&self) -> u32 {
        self.aux
    }

    #[inline]
    pub fn set_aux(&mut self, v: u32) {
        self.aux = v;
    }

    /// Position past the last entry (an insert there appends).
    pub fn end(&self) -> Pos {
        self.buf.len()
    }

    pub fn first(&self) -> Option<Pos> {
        (!self.buf.is_empty()).then_some(0)
    }

    pub fn last(&self) -> Option<Pos> {
        self.prev(self.buf.len())
    }

    /// (start of the bytes, their length, position of the next entry).
    fn decode(&self, pos: Pos) -> (usize, usize, Pos) {
        let mut len = 0usize;
        let mut shift = 0;
        let mut p = pos;
        loop {
            let b = self.buf[p];
            p += 1;
            len |= ((b & 0x7f) as usize) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        let inner = p - pos + len;
        (p, len, p + len + varint_size(inner))
    }

    /// The entry after `pos`, if any.
    pub fn next(&self, pos: Pos) -> Option<Pos> {
        let (_, _, n) = self.decode(pos);
        (n < self.buf.len()).then_some(n)
    }

    /// The entry before `pos` (`pos` may be `end()`), if any.
    pub fn prev(&self, pos: Pos) -> Option<Pos> {
        if pos == 0 {
            return None;
        }
        let mut p = pos - 1;
        let mut back = 0usize;
        let mut shift = 0;
        loop {
            let b = self.buf[p];
            back |= ((b & 0x7f) as usize) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
            p -= 1;
        }
        Some(p - back)
    }

    /// The bytes of the entry at `pos`.
    pub fn get(&self, pos: Pos) -> &[u8] {
        let (s, l, _) = self.decode(pos);
        &self.buf[s..s + l]
    }

    /// The entry at `pos` and the position of the next one (`end()` after the
    /// last).
    pub fn get_next(&self, pos: Pos) -> (&[u8], Pos) {
        let (s, l, n) = self.decode(pos);
        (&self.buf[s..s + l], n)
    }

    /// Position of the entry at index `i`; negative indexes count from the
    /// end (-1 is the last). Walks from the nearer end.
    pub fn pos_of(&self, i: i64) -> Option<Pos> {
        let n = self.len() as i64;
        let i = if i < 0 { n + i } else { i };
        if i < 0 || i >= n {
            return None;
        }
        if i <= n / 2 {
            let mut p = 0;
            for _ in 0..i {
                p = self.decode(p).2;
            }
            Some(p)
        } else {
            let mut p = self.buf.len();
            for _ in i..n {
                p = self.prev(p)?;
            }
            Some(p)
        }
    }

    /// Iterates the entries front to back (reversible).
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            lp: self,
            front: 0,
            back: self.buf.len(),
            left: self.len(),
        }
    }

    /// Position of the first entry equal to `v` among the entries at indexes
    /// 0, `step`, 2*`step`... (`step` 2 searches the fields of a hash).
    pub fn find(&self, v: &[u8], step: usize) -> Option<Pos> {
        let mut p = 0;
        let mut i = 0usize;
        while p < self.buf.len() {
            let (s, l, n) = self.decode(p);
            if i.is_multiple_of(step) && l == v.len() && &self.buf[s..s + l] == v {
                return Some(p);
            }
            p = n;
            i += 1;
        }
        None
    }

    /// Inserts `v` before the entry at `pos` (at `end()`: appends). Returns
    /// the position of the new entry (which is `pos`).
    pub fn insert(&mut self, pos: Pos, v: &[u8]) -> Pos {
        let add = entry_size(v.len());
        let old = self.buf.len();
        self.buf.reserve_exact(add);
        // Encoded at the end, then rotated into place: no temporary buffer.
        encode(v, &mut self.buf);
        if pos != old {
            self.buf[pos..].rotate_right(add);
        }
        self.count += 1;
        pos
    }

    pub fn push_back(&mut self, v: &[u8]) {
        self.insert(self.buf.len(), v);
    }

    pub fn push_front(&mut self, v: &[u8]) {
        self.insert(0, v);
    }

    /// Removes the entry at `pos`; returns the position that now names the
    /// entry after it (`end()` if it was the last).
    pub fn remove(&mut self, pos: Pos) -> Pos {
        let (_, _, n) = self.decode(pos);
        self.buf.drain(pos..n);
        self.count -= 1;
        pos
    }

    /// Removes the entry at `pos` as `remove` does, first handing its bytes
    /// to `f` (one decode for both; a list pop measures what it removes).
    #[inline(always)]
    pub fn remove_with<R>(&mut self, pos: Pos, f: impl FnOnce(&[u8]) -> R) -> R {
        let (s, l, n) = self.decode(pos);
        let r = f(&self.buf[s..s + l]);
        self.buf.drain(pos..n);
        self.count -= 1;
        r
    }

    /// Removes `n` entries starting at `pos` (fewer if the end comes first).
    pub fn remove_range(&mut self, pos: Pos, n: usize) -> Pos {
        let mut e = pos;
        let mut k = 0;
        while k < n && e < self.buf.len() {
            e = self.decode(e).2;
            k += 1;
        }
        self.buf.drain(pos..e);
        self.count -= k as u32;
        pos
    }

    /// Replaces the entry at `pos` with `v`; returns `pos`.
    pub fn replace(&mut self, pos: Pos, v: &[u8]) -> Pos {
        let (s, l, n) = self.decode(pos);
        if l == v.len() {
            self.buf[s..s + l].copy_from_slice(v);
            return pos;
        }
        let mut tmp = Vec::with_capacity(entry_size(v.len()));
        encode(v, &mut tmp);
        let old_size = n - pos;
        if tmp.len() > old_size {
            self.buf.reserve_exact(tmp.len() - old_size);
        }
        self.buf.splice(pos..n, tmp);
        pos
    }

    /// Removes and returns the first entry.
    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        let p = self.first()?;
        let v = self.get(p).to_vec();
        self.remove(p);
        Some(v)
    }

    /// Removes and returns the last entry.
    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        let p = self.last()?;
        let v = self.get(p).to_vec();
        self.remove(p);
        Some(v)
    }

    /// Splits at the entry at `pos`: `self` keeps the entries before it, the
    /// result holds it and those after.
    pub fn split_off(&mut self, pos: Pos) -> Listpack {
        let mut k = 0u32;
        let mut p = pos;
        while p < self.buf.len() {
            p = self.decode(p).2;
            k += 1;
        }
        let tail = self.buf[pos..].to_vec();
        self.buf.truncate(pos);
        self.buf.shrink_to_fit();
        self.count -= k;
        Listpack {
            buf: tail,
            count: k,
            aux: 0,
        }
    }

    /// Appends every entry of `other` (merging two list nodes).
    pub fn append(&mut self, other: &Listpack) {
        self.buf.reserve_exact(other.buf.len());
        self.buf.extend_from_slice(&other.buf);
        self.count += other.count;
    }

    /// Makes room for `additional` more bytes with amortized (doubling)
    /// growth, for a list node pushed to often; inserts otherwise grow the
    /// buffer to the exact size.
    pub fn reserve(&mut self, additional: usize) {
        self.buf.reserve(additional);
    }

    /// Frees unused capacity.
    pub fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
    }
}

impl<'a> FromIterator<&'a [u8]> for Listpack {
    fn from_iter<I: IntoIterator<Item = &'a [u8]>>(it: I) -> Self {
        let mut lp = Listpack::new();
        for v in it {
            encode(v, &mut lp.buf);
            lp.count += 1;
        }
        lp.buf.shrink_to_fit();
        lp
    }
}

impl std::fmt::Debug for Listpack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(String::from_utf8_lossy))
            .finish()
    }
}

/// Iterator over the entries of a listpack, from either end.
pub struct Iter<'a> {
    lp: &'a Listpack,
    front: Pos,
    back: Pos,
    left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        let (s, l, n) = self.lp.decode(self.front);
        self.front = n;
        self.left -= 1;
        Some(&self.lp.buf[s..s + l])
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let p = self.lp.prev(self.back)?;
        self.back = p;
        self.left -= 1;
        let (s, l, _) = self.lp.decode(p);
        Some(&self.lp.buf[s..s + l])
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::rng::Rng;

    fn collect(lp: &Listpack) -> Vec<Vec<u8>> {
        lp.iter().map(|v| v.to_vec()).collect()
    }

    #[test]
    fn sizes_and_both_directions() {
        let big = vec![b'x'; 20000];
        let items: Vec<&[u8]> = vec![b"", b"a", &[b'b'; 127], &[b'c'; 128], &big, b"tail"];
        let lp: Listpack = items.iter().copied().collect();
        assert_eq!(lp.len(), 6);
        assert_eq!(
            lp.total_bytes(),
            items.iter().map(|v| entry_size(v.len())).sum::<usize>()
        );
        let fwd: Vec<&[u8]> = lp.iter().collect();
        assert_eq!(fwd, items);
        let mut back: Vec<&[u8]> = lp.iter().rev().collect();
        back.reverse();
        assert_eq!(back, items);
        for (i, v) in items.iter().enumerate() {
            assert_eq!(lp.get(lp.pos_of(i as i64).unwrap()), *v);
            assert_eq!(lp.get(lp.pos_of(i as i64 - 6).unwrap()), *v);
        }
        assert!(lp.pos_of(6).is_none() && lp.pos_of(-7).is_none());
        assert_eq!(entry_size(5), 7);
    }

    #[test]
    fn matches_a_vec_model_under_random_edits() {
        let mut rng = Rng::new(42);
        let mut lp = Listpack::new();
        let mut model: Vec<Vec<u8>> = Vec::new();
        for _ in 0..5000 {
            let len = match rng.below(10) {
                0 => 200 + rng.below(300),
                _ => rng.below(12),
            };
            let v: Vec<u8> = (0..len).map(|_| b'a' + rng.below(26) as u8).collect();
            match rng.below(6) {
                0 => {
                    lp.push_back(&v);
                    model.push(v);
                }
                1 => {
                    lp.push_front(&v);
                    model.insert(0, v);
                }
                2 if !model.is_empty() => {
                    let i = rng.below(model.len());
                    lp.insert(lp.pos_of(i as i64).unwrap(), &v);
                    model.insert(i, v);
                }
                3 if !model.is_empty() => {
                    let i = rng.below(model.len());
                    lp.remove(lp.pos_of(i as i64).unwrap());
                    model.remove(i);
                }
                4 if !model.is_empty() => {
                    let i = rng.below(model.len());
                    lp.replace(lp.pos_of(i as i64).unwrap(), &v);
                    model[i] = v;
                }
                _ => {
                    if rng.below(2) == 0 {
                        assert_eq!(lp.pop_back(), model.pop());
                    } else if !model.is_empty() {
                        assert_eq!(lp.pop_front(), Some(model.remove(0)));
                    }
                }
            }
            assert_eq!(lp.len(), model.len());
        }
        assert_eq!(collect(&lp), model);
        let mut back: Vec<Vec<u8>> = lp.iter().rev().map(|v| v.to_vec()).collect();
        back.reverse();
        assert_eq!(back, model);
        if let Some(m) = model.get(3) {
            let p = lp.find(m, 1).unwrap();
            assert_eq!(lp.get(p), &m[..]);
        }
        let mid = lp.pos_of(model.len() as i64 / 2).unwrap();
        let tail = lp.split_off(mid);
        let mut joined = lp.clone();
        joined.append(&tail);
        assert_eq!(collect(&joined), model);
        let p = joined.first().unwrap();
        joined.remove_range(p, 3);
        assert_eq!(collect(&joined), model[3.min(model.len())..].to_vec());
    }
}
