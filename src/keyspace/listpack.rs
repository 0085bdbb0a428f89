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
//! nodes, pushed to all the time, ask for amortized growth with `reserve` at
//! the back and `reserve_front` at the front.)
//!
//! The entries need not start at the beginning of the buffer: the bytes
//! before `head` are room at the front. An entry pushed at the front goes
//! into that room and removing the first entry only moves `head`, so LPUSH
//! and LPOP on a list's head node cost no memmove of the node (Redis moves
//! the whole listpack for each). The room is made only by `reserve_front`,
//! and a growth at the back first moves the entries down over it, so what
//! LPOPs leave there never outlives the next reallocation.

/// Byte offset of an entry in the buffer.
pub type Pos = usize;

#[derive(Clone, Default)]
pub struct Listpack {
    /// The entries are `buf[head..]`; positions count from `head`.
    buf: Vec<u8>,
    /// Bytes of room at the front of `buf`, before the first entry.
    head: u32,
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

/// The length varint of an entry holding `len` bytes (low groups first),
/// in a buffer and its used length.
fn len_bytes(len: usize) -> ([u8; 5], usize) {
    let mut b = [0u8; 5];
    let mut n = len;
    let mut i = 0;
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            b[i] = low;
            return (b, i + 1);
        }
        b[i] = low | 0x80;
        i += 1;
    }
}

/// The back-length of an entry whose `len | bytes` take `back` bytes, written
/// to be read from its last byte backwards.
fn back_bytes(back: usize) -> ([u8; 5], usize) {
    let mut b = [0u8; 5];
    let size = varint_size(back);
    for (k, slot) in b.iter_mut().take(size).enumerate() {
        let i = size - 1 - k;
        let g = ((back >> (7 * i)) & 0x7f) as u8;
        *slot = if i == size - 1 { g } else { g | 0x80 };
    }
    (b, size)
}

/// Encodes an entry at the end of `out`.
fn encode(v: &[u8], out: &mut Vec<u8>) {
    if v.len() < 127 {
        // The usual short entry: both lengths are one byte.
        out.reserve(v.len() + 2);
        out.push(v.len() as u8);
        out.extend_from_slice(v);
        out.push(v.len() as u8 + 1);
        return;
    }
    let (head, h) = len_bytes(v.len());
    let (back, b) = back_bytes(h + v.len());
    out.extend_from_slice(&head[..h]);
    out.extend_from_slice(v);
    out.extend_from_slice(&back[..b]);
}

/// Encodes an entry into `out`, which is exactly `entry_size(v.len())` long.
fn encode_into(v: &[u8], out: &mut [u8]) {
    let (head, h) = len_bytes(v.len());
    let (back, b) = back_bytes(h + v.len());
    out[..h].copy_from_slice(&head[..h]);
    out[h..h + v.len()].copy_from_slice(v);
    out[h + v.len()..h + v.len() + b].copy_from_slice(&back[..b]);
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

    /// The encoded entries.
    #[inline(always)]
    fn data(&self) -> &[u8] {
        &self.buf[self.head as usize..]
    }

    /// Bytes of the encoded entries (what the size limits compare against).
    #[inline]
    pub fn total_bytes(&self) -> usize {
        self.buf.len() - self.head as usize
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
        self.total_bytes()
    }

    pub fn first(&self) -> Option<Pos> {
        (self.total_bytes() != 0).then_some(0)
    }

    pub fn last(&self) -> Option<Pos> {
        self.prev(self.end())
    }

    /// (start of the bytes, their length, position of the next entry).
    fn decode(&self, pos: Pos) -> (usize, usize, Pos) {
        let mut len = 0usize;
        let mut shift = 0;
        let mut p = pos;
        let data = self.data();
        loop {
            let b = data[p];
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
        (n < self.end()).then_some(n)
    }

    /// The entry before `pos` (`pos` may be `end()`), if any.
    pub fn prev(&self, pos: Pos) -> Option<Pos> {
        if pos == 0 {
            return None;
        }
        let mut p = pos - 1;
        let mut back = 0usize;
        let mut shift = 0;
        let data = self.data();
        loop {
            let b = data[p];
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
        &self.data()[s..s + l]
    }

    /// The entry at `pos` and the position of the next one (`end()` after the
    /// last).
    pub fn get_next(&self, pos: Pos) -> (&[u8], Pos) {
        let (s, l, n) = self.decode(pos);
        (&self.data()[s..s + l], n)
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
            let mut p = self.end();
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
            back: self.end(),
            left: self.len(),
        }
    }

    /// Position of the first entry equal to `v` among the entries at indexes
    /// 0, `step`, 2*`step`... (`step` 2 searches the fields of a hash).
    pub fn find(&self, v: &[u8], step: usize) -> Option<Pos> {
        let mut p = 0;
        let mut i = 0usize;
        let data = self.data();
        while p < data.len() {
            let (s, l, n) = self.decode(p);
            if i.is_multiple_of(step) && l == v.len() && &data[s..s + l] == v {
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
        let head = self.head as usize;
        if pos == 0 && head >= add {
            // Into the room at the front.
            encode_into(v, &mut self.buf[head - add..head]);
            self.head -= add as u32;
        } else {
            self.make_room_back(add, false);
            let old = self.buf.len();
            // Encoded at the end, then rotated into place: no temporary buffer.
            encode(v, &mut self.buf);
            let at = self.head as usize + pos;
            if at != old {
                self.buf[at..].rotate_right(add);
            }
        }
        self.count += 1;
        pos
    }

    pub fn push_back(&mut self, v: &[u8]) {
        self.insert(self.end(), v);
    }

    pub fn push_front(&mut self, v: &[u8]) {
        self.insert(0, v);
    }

    /// Removes the entry at `pos`; returns the position that now names the
    /// entry after it (`end()` if it was the last).
    pub fn remove(&mut self, pos: Pos) -> Pos {
        let (_, _, n) = self.decode(pos);
        self.cut(pos, n);
        self.count -= 1;
        pos
    }

    /// Drops the bytes of entries `from..to`: at the front by moving `head`.
    fn cut(&mut self, from: Pos, to: Pos) {
        if from == 0 {
            self.head += to as u32;
            if self.head as usize == self.buf.len() {
                self.buf.clear();
                self.head = 0;
            }
        } else {
            let head = self.head as usize;
            self.buf.drain(head + from..head + to);
        }
    }

    /// Moves the entries to the start of the buffer, dropping the room at
    /// the front.
    fn compact(&mut self) {
        let head = self.head as usize;
        if head > 0 {
            self.buf.copy_within(head.., 0);
            self.buf.truncate(self.buf.len() - head);
            self.head = 0;
        }
    }

    /// Makes room for `add` more bytes at the back, amortized or exact. A
    /// buffer that would have to grow first takes back its room at the
    /// front.
    fn make_room_back(&mut self, add: usize, amortized: bool) {
        if self.buf.capacity() - self.buf.len() >= add {
            return;
        }
        self.compact();
        if amortized {
            self.buf.reserve(add);
        } else {
            self.buf.reserve_exact(add);
        }
    }

    /// Removes the entry at `pos` as `remove` does, first handing its bytes
    /// to `f` (one decode for both; a list pop measures what it removes).
    #[inline(always)]
    pub fn remove_with<R>(&mut self, pos: Pos, f: impl FnOnce(&[u8]) -> R) -> R {
        let (s, l, n) = self.decode(pos);
        let r = f(&self.data()[s..s + l]);
        self.cut(pos, n);
        self.count -= 1;
        r
    }

    /// Removes `n` entries starting at `pos` (fewer if the end comes first).
    pub fn remove_range(&mut self, pos: Pos, n: usize) -> Pos {
        let mut e = pos;
        let mut k = 0;
        while k < n && e < self.end() {
            e = self.decode(e).2;
            k += 1;
        }
        self.cut(pos, e);
        self.count -= k as u32;
        pos
    }

    /// Replaces the entry at `pos` with `v`; returns `pos`.
    pub fn replace(&mut self, pos: Pos, v: &[u8]) -> Pos {
        let (s, l, n) = self.decode(pos);
        let head = self.head as usize;
        if l == v.len() {
            self.buf[head + s..head + s + l].copy_from_slice(v);
            return pos;
        }
        let mut tmp = Vec::with_capacity(entry_size(v.len()));
        encode(v, &mut tmp);
        let old_size = n - pos;
        if tmp.len() > old_size {
            self.make_room_back(tmp.len() - old_size, false);
        }
        let head = self.head as usize;
        self.buf.splice(head + pos..head + n, tmp);
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
        while p < self.end() {
            p = self.decode(p).2;
            k += 1;
        }
        let tail = self.data()[pos..].to_vec();
        self.buf.truncate(self.head as usize + pos);
        self.shrink_to_fit();
        self.count -= k;
        Listpack {
            buf: tail,
            head: 0,
            count: k,
            aux: 0,
        }
    }

    /// Appends every entry of `other` (merging two list nodes).
    pub fn append(&mut self, other: &Listpack) {
        self.make_room_back(other.total_bytes(), false);
        self.buf.extend_from_slice(other.data());
        self.count += other.count;
    }

    /// Makes room for `additional` more bytes at the back with amortized
    /// (doubling) growth, for a list node pushed to often; inserts otherwise
    /// grow the buffer to the exact size.
    pub fn reserve(&mut self, additional: usize) {
        self.make_room_back(additional, true);
    }

    /// Makes room for `additional` more bytes at the front, for a list's
    /// head node pushed to often: when the room there is short, the entries
    /// move up by at least half their size, so pushes at the front cost
    /// amortized O(1) moves and the room is at most half the node.
    pub fn reserve_front(&mut self, additional: usize) {
        let head = self.head as usize;
        if head >= additional {
            return;
        }
        let len = self.total_bytes();
        let room = additional.max(len / 2);
        let mut buf = Vec::with_capacity(room + len);
        buf.resize(room, 0);
        buf.extend_from_slice(self.data());
        self.buf = buf;
        self.head = room as u32;
    }

    /// Frees unused capacity, at both ends.
    pub fn shrink_to_fit(&mut self) {
        self.compact();
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

/// Equal entries (and owner's word), wherever they sit in the buffer.
impl PartialEq for Listpack {
    fn eq(&self, other: &Self) -> bool {
        self.count == other.count && self.aux == other.aux && self.data() == other.data()
    }
}

impl Eq for Listpack {}

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
        Some(&self.lp.data()[s..s + l])
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
        Some(&self.lp.data()[s..s + l])
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
        for _ in 0..20000 {
            let len = match rng.below(10) {
                0 => 200 + rng.below(300),
                _ => rng.below(12),
            };
            let v: Vec<u8> = (0..len).map(|_| b'a' + rng.below(26) as u8).collect();
            match rng.below(6) {
                0 => {
                    // As list nodes grow (amortized, taking back the room at
                    // the front), and exactly.
                    if rng.below(2) == 0 {
                        lp.reserve(entry_size(v.len()));
                    }
                    lp.push_back(&v);
                    model.push(v);
                }
                1 => {
                    // Into room at the front, and by moving the entries.
                    if rng.below(3) != 0 {
                        lp.reserve_front(entry_size(v.len()));
                    }
                    lp.push_front(&v);
                    model.insert(0, v);
                    if rng.below(50) == 0 {
                        lp.shrink_to_fit();
                    }
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
