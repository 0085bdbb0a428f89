//! `IntSet`: the compact form of a set whose members are all integers
//! (OBJECT ENCODING "intset").
//!
//! Like Redis's intset it holds sorted, distinct integers packed at a fixed
//! width, found by binary search, and iterates in ascending order. It packs
//! tighter than Redis's (2, 4 or 8 bytes per member): members are stored as
//! offsets from the smallest one (frame of reference) at the narrowest of 1, 2,
//! 4 or 8 bytes that holds `max - min`. A set of 100 nearby integers then takes
//! about 110 bytes instead of about 210; this is what keeps many small integer
//! sets under Redis's memory.
//!
//! Layout of the one heap buffer (empty set: no buffer at all):
//! `[width: 1 byte][base: i64 LE, 8 bytes][offsets: width bytes each, LE]`.
//! Offsets are unsigned and ascending, so the order of offsets is the order of
//! the members. Adding a member below the base, or one whose offset does not
//! fit the width, rewrites the buffer (a "rebase" or a width upgrade); removing
//! never narrows (the base and width stay valid).

const HEADER: usize = 9;

/// Sorted distinct i64s packed as offsets from the smallest.
#[derive(Clone, Default)]
pub struct IntSet {
    buf: Box<[u8]>,
}

/// The narrowest width (1, 2, 4 or 8 bytes) that holds `range`.
fn width_for(range: u64) -> usize {
    if range <= u64::from(u8::MAX) {
        1
    } else if range <= u64::from(u16::MAX) {
        2
    } else if range <= u64::from(u32::MAX) {
        4
    } else {
        8
    }
}

/// The largest offset a width holds.
fn max_offset(width: usize) -> u64 {
    if width >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * width)) - 1
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
        let width = width_for(hi.wrapping_sub(lo) as u64);
        let mut buf = Vec::with_capacity(HEADER + width * sorted.len());
        buf.push(width as u8);
        buf.extend_from_slice(&lo.to_le_bytes());
        for &v in sorted {
            let off = v.wrapping_sub(lo) as u64;
            buf.extend_from_slice(&off.to_le_bytes()[..width]);
        }
        IntSet {
            buf: buf.into_boxed_slice(),
        }
    }

    /// Bytes per member (0 when empty).
    pub fn width(&self) -> usize {
        self.buf.first().map_or(0, |&w| usize::from(w))
    }

    fn base(&self) -> i64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.buf[1..HEADER]);
        i64::from_le_bytes(b)
    }

    pub fn len(&self) -> usize {
        match self.width() {
            0 => 0,
            w => (self.buf.len() - HEADER) / w,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Heap bytes held.
    pub fn heap_size(&self) -> usize {
        self.buf.len()
    }

    fn offset_at(&self, i: usize, width: usize) -> u64 {
        let at = HEADER + i * width;
        let mut b = [0u8; 8];
        b[..width].copy_from_slice(&self.buf[at..at + width]);
        u64::from_le_bytes(b)
    }

    /// The `i`th smallest member; `i` must be below `len()`.
    pub fn get(&self, i: usize) -> i64 {
        let w = self.width();
        self.base().wrapping_add(self.offset_at(i, w) as i64)
    }

    /// Members in ascending order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = i64> + '_ {
        let w = self.width().max(1);
        let base = if self.is_empty() { 0 } else { self.base() };
        (0..self.len()).map(move |i| base.wrapping_add(self.offset_at(i, w) as i64))
    }

    /// Where `v` is (Ok) or would go (Err), by binary search on the offsets.
    pub fn search(&self, v: i64) -> Result<usize, usize> {
        let n = self.len();
        if n == 0 {
            return Err(0);
        }
        let w = self.width();
        let base = self.base();
        if v < base {
            return Err(0);
        }
        let off = v.wrapping_sub(base) as u64;
        if off > max_offset(w) {
            return Err(n);
        }
        let (mut lo, mut hi) = (0, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.offset_at(mid, w).cmp(&off) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    pub fn contains(&self, v: i64) -> bool {
        self.search(v).is_ok()
    }

    /// Adds `v`; false if it was already there.
    pub fn insert(&mut self, v: i64) -> bool {
        let pos = match self.search(v) {
            Ok(_) => return false,
            Err(p) => p,
        };
        if self.is_empty() {
            *self = IntSet::from_sorted(&[v]);
            return true;
        }
        let w = self.width();
        let base = self.base();
        if v < base || v.wrapping_sub(base) as u64 > max_offset(w) {
            self.rebuild_with(pos, v);
            return true;
        }
        let off = v.wrapping_sub(base) as u64;
        let mut buf = std::mem::take(&mut self.buf).into_vec();
        let at = HEADER + pos * w;
        buf.reserve_exact(w);
        buf.splice(at..at, off.to_le_bytes()[..w].iter().copied());
        self.buf = buf.into_boxed_slice();
        true
    }

    /// Rewrites the set with `v` inserted at `pos` (new base or width).
    fn rebuild_with(&mut self, pos: usize, v: i64) {
        let mut all: Vec<i64> = Vec::with_capacity(self.len() + 1);
        all.extend(self.iter().take(pos));
        all.push(v);
        all.extend(self.iter().skip(pos));
        *self = IntSet::from_sorted(&all);
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
        if self.len() == 1 {
            self.buf = Box::default();
            return v;
        }
        let w = self.width();
        let mut buf = std::mem::take(&mut self.buf).into_vec();
        let at = HEADER + i * w;
        buf.drain(at..at + w);
        self.buf = buf.into_boxed_slice();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_the_range() {
        let mut s = IntSet::new();
        assert_eq!(s.width(), 0);
        assert!(s.insert(1000));
        assert_eq!(s.width(), 1);
        assert!(s.insert(1255));
        assert_eq!(s.width(), 1);
        assert!(s.insert(999));
        assert_eq!(s.width(), 2);
        assert!(s.insert(1000 + 70000));
        assert_eq!(s.width(), 4);
        assert!(s.insert(i64::MIN));
        assert!(s.insert(i64::MAX));
        assert_eq!(s.width(), 8);
        assert!(!s.insert(i64::MAX));
        let v: Vec<i64> = s.iter().collect();
        assert_eq!(v, vec![i64::MIN, 999, 1000, 1255, 71000, i64::MAX]);
        assert!(s.contains(i64::MIN) && s.contains(i64::MAX) && !s.contains(0));
        assert!(s.remove(i64::MIN));
        assert!(!s.contains(i64::MIN));
        assert_eq!(s.get(0), 999);
        while !s.is_empty() {
            s.remove_at(0);
        }
        assert_eq!(s.heap_size(), 0);
    }

    #[test]
    fn hundred_small_ints_fit_in_about_110_bytes() {
        let mut s = IntSet::new();
        for i in (0..100).rev() {
            s.insert(i * 2);
        }
        assert_eq!(s.len(), 100);
        assert_eq!(s.heap_size(), HEADER + 100);
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            (0..100).map(|i| i * 2).collect::<Vec<_>>()
        );
    }
}
