//! The list type: a quicklist, Redis 7.0's only list encoding: a deque of
//! listpack nodes, so pushes and pops at either end are O(1) and an index in
//! the middle of a long list skips whole nodes instead of walking elements.
//!
//! Node size is bounded by `list-max-listpack-size` (the `fill` argument of
//! the operations that add elements, read from the config by the caller at
//! each call): a positive fill caps the entries of a node (and, as Redis,
//! its bytes at 8 KB), -1..-5 cap its bytes at 4/8/16/32/64 KB. A node
//! always accepts its first element, however big.
//!
//! Nodes emptied by a deletion are dropped at once. Deletions in the middle
//! (LREM, LTRIM, LSET and LINSERT splits) then try to merge the touched node
//! with a neighbour when the two fit in one node; pops at the ends do not
//! (a push right after would only split again).
//!
//! Compression (`list-compress-depth`) is not implemented: every node is
//! kept plain. Nothing here knows RESP; readers borrow the stored bytes
//! (`get`, `iter_from`, `rev_iter_from`) so replies are written from them.

use std::collections::VecDeque;

use super::listpack::{entry_size, Listpack, Pos};

/// With a positive fill, a node also stays under this many bytes (Redis's
/// safety limit), unless it holds a single element.
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Largest entry count a positive fill may ask for.
const FILL_MAX: i64 = 1 << 15;

/// Which end of a list (LMOVE's LEFT / RIGHT, LMPOP's direction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Head,
    Tail,
}

#[derive(Clone, Default, Debug)]
pub struct List {
    nodes: VecDeque<Listpack>,
    len: usize,
}

/// The byte limit of a node for a negative fill (-1 -> 4 KB ... -5 -> 64 KB).
fn byte_limit(fill: i64) -> usize {
    let level = fill.clamp(-5, -1).unsigned_abs() - 1;
    4096 << level
}

/// Whether a node of `count` entries and `bytes` bytes may take one more
/// entry of `add` encoded bytes under `fill`.
fn node_allows(count: usize, bytes: usize, add: usize, fill: i64) -> bool {
    if count == 0 {
        return true;
    }
    let new_bytes = bytes + add;
    if fill >= 0 {
        let max = fill.clamp(1, FILL_MAX) as usize;
        count < max && new_bytes <= SIZE_SAFETY_LIMIT
    } else {
        new_bytes <= byte_limit(fill)
    }
}

/// Whether two nodes may be merged into one under `fill`.
fn nodes_merge(a: &Listpack, b: &Listpack, fill: i64) -> bool {
    let count = a.len() + b.len();
    let bytes = a.total_bytes() + b.total_bytes();
    if fill >= 0 {
        count <= fill.clamp(1, FILL_MAX) as usize && bytes <= SIZE_SAFETY_LIMIT
    } else {
        bytes <= byte_limit(fill)
    }
}

impl List {
    pub fn new() -> Self {
        List::default()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// OBJECT ENCODING: 7.0 encodes every list as a quicklist.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// Number of listpack nodes (DEBUG, tests).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The nodes, head to tail (RDB writes one listpack per node).
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = &Listpack> + '_ {
        self.nodes.iter()
    }

    /// Heap bytes held (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Listpack>()
            + self.nodes.iter().map(Listpack::heap_size).sum::<usize>()
    }

    /// A deep copy (COPY).
    pub fn duplicate(&self) -> List {
        self.clone()
    }

    /// Calls `f` on every element, head to tail (DEBUG DIGEST, RDB).
    pub fn for_each(&self, mut f: impl FnMut(&[u8])) {
        for n in &self.nodes {
            n.iter().for_each(&mut f);
        }
    }

    // -----------------------------------------------------------------------
    // Ends
    // -----------------------------------------------------------------------

    /// Adds `v` at the head.
    pub fn push_front(&mut self, v: &[u8], fill: i64) {
        let add = entry_size(v.len());
        match self.nodes.front_mut() {
            Some(n) if node_allows(n.len(), n.total_bytes(), add, fill) => {
                n.reserve(add);
                n.push_front(v)
            }
            _ => {
                let mut n = Listpack::new();
                n.push_back(v);
                self.add_node_front(n);
            }
        }
        self.len += 1;
    }

    /// Adds `v` at the tail.
    pub fn push_back(&mut self, v: &[u8], fill: i64) {
        let add = entry_size(v.len());
        match self.nodes.back_mut() {
            Some(n) if node_allows(n.len(), n.total_bytes(), add, fill) => {
                n.reserve(add);
                n.push_back(v)
            }
            _ => {
                let mut n = Listpack::new();
                n.push_back(v);
                self.add_node_back(n);
            }
        }
        self.len += 1;
    }

    /// Starts a new head node. A list's first node gets a node table of
    /// exactly one slot (most lists stay in one node); later ones grow it.
    fn add_node_front(&mut self, n: Listpack) {
        if self.nodes.capacity() == 0 {
            self.nodes.reserve_exact(1);
        }
        self.nodes.push_front(n);
    }

    fn add_node_back(&mut self, n: Listpack) {
        if self.nodes.capacity() == 0 {
            self.nodes.reserve_exact(1);
        }
        self.nodes.push_back(n);
    }

    /// Adds `v` at `end`.
    pub fn push(&mut self, end: End, v: &[u8], fill: i64) {
        match end {
            End::Head => self.push_front(v, fill),
            End::Tail => self.push_back(v, fill),
        }
    }

    /// The element at `end`, if any.
    pub fn peek(&self, end: End) -> Option<&[u8]> {
        match end {
            End::Head => {
                let n = self.nodes.front()?;
                Some(n.get(n.first()?))
            }
            End::Tail => {
                let n = self.nodes.back()?;
                Some(n.get(n.last()?))
            }
        }
    }

    /// Removes the element at `end` (a no-op on an empty list). Callers read
    /// it first with `peek`, so no copy is made.
    pub fn drop_end(&mut self, end: End) {
        let node = match end {
            End::Head => self.nodes.front_mut(),
            End::Tail => self.nodes.back_mut(),
        };
        let Some(n) = node else { return };
        let pos = match end {
            End::Head => n.first(),
            End::Tail => n.last(),
        };
        let Some(p) = pos else { return };
        n.remove(p);
        let empty = n.is_empty();
        self.len -= 1;
        if empty {
            match end {
                End::Head => self.nodes.pop_front(),
                End::Tail => self.nodes.pop_back(),
            };
        }
    }

    /// Removes and returns the element at `end`.
    pub fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        let v = self.peek(end)?.to_vec();
        self.drop_end(end);
        Some(v)
    }

    // -----------------------------------------------------------------------
    // Indexes
    // -----------------------------------------------------------------------

    /// The index `i` (negative counts from the tail) made absolute, if in range.
    fn absolute(&self, i: i64) -> Option<usize> {
        let len = self.len as i64;
        let i = if i < 0 { len.checked_add(i)? } else { i };
        (0..len).contains(&i).then_some(i as usize)
    }

    /// (node, offset in the node) of absolute index `i < len`, walking the
    /// node counts from the nearer end.
    fn locate(&self, i: usize) -> (usize, usize) {
        if i < self.len / 2 {
            let mut left = i;
            for (ni, n) in self.nodes.iter().enumerate() {
                if left < n.len() {
                    return (ni, left);
                }
                left -= n.len();
            }
        } else {
            let mut from_tail = self.len - 1 - i;
            for (ni, n) in self.nodes.iter().enumerate().rev() {
                if from_tail < n.len() {
                    return (ni, n.len() - 1 - from_tail);
                }
                from_tail -= n.len();
            }
        }
        unreachable!("index checked against len")
    }

    /// The element at index `i` (negative counts from the tail).
    pub fn get(&self, i: i64) -> Option<&[u8]> {
        let (ni, off) = self.locate(self.absolute(i)?);
        let n = &self.nodes[ni];
        Some(n.get(n.pos_of(off as i64)?))
    }

    /// Replaces the element at index `i`; false if out of range.
    pub fn set(&mut self, i: i64, v: &[u8], fill: i64) -> bool {
        let Some(abs) = self.absolute(i) else {
            return false;
        };
        let (ni, off) = self.locate(abs);
        let n = &mut self.nodes[ni];
        let Some(p) = n.pos_of(off as i64) else {
            return false;
        };
        let old = entry_size(n.get(p).len());
        let grows_past_limit = !node_allows(
            n.len() - 1,
            n.total_bytes() - old,
            entry_size(v.len()),
            fill,
        );
        if !grows_past_limit {
            n.replace(p, v);
            return true;
        }
        // The new value does not fit this node: take the old one out and
        // insert the new one where it was, which splits the node.
        n.remove(p);
        self.len -= 1;
        if self.nodes[ni].is_empty() {
            self.nodes.remove(ni);
        }
        self.insert_at(abs, v, fill);
        true
    }

    /// Inserts `v` so that it becomes index `i` (`i == len` appends).
    fn insert_at(&mut self, i: usize, v: &[u8], fill: i64) {
        if i == 0 {
            return self.push_front(v, fill);
        }
        if i >= self.len {
            return self.push_back(v, fill);
        }
        let (ni, off) = self.locate(i);
        self.insert_in_node(ni, off, v, fill);
    }

    /// Inserts `v` before offset `off` of node `ni` (`off == node len`:
    /// after its last entry), splitting the node when it is full.
    fn insert_in_node(&mut self, ni: usize, off: usize, v: &[u8], fill: i64) {
        let add = entry_size(v.len());
        let n = &mut self.nodes[ni];
        self.len += 1;
        if node_allows(n.len(), n.total_bytes(), add, fill) {
            let p = n.pos_of(off as i64).unwrap_or(n.end());
            n.insert(p, v);
            return;
        }
        let at_end = off >= n.len();
        if at_end {
            if let Some(next) = self.nodes.get_mut(ni + 1) {
                if node_allows(next.len(), next.total_bytes(), add, fill) {
                    next.push_front(v);
                    return;
                }
            }
        } else if off == 0 && ni > 0 {
            let prev = &mut self.nodes[ni - 1];
            if node_allows(prev.len(), prev.total_bytes(), add, fill) {
                prev.push_back(v);
                return;
            }
        }
        // Split: [..off] stays, then a node with v alone (or v joins a
        // half with room), then [off..].
        let n = &mut self.nodes[ni];
        let tail = match n.pos_of(off as i64) {
            Some(p) => n.split_off(p),
            None => Listpack::new(),
        };
        let mut insert_idx = ni + 1;
        if node_allows(n.len(), n.total_bytes(), add, fill) {
            n.push_back(v);
        } else if node_allows(tail.len(), tail.total_bytes(), add, fill) {
            let mut t = tail;
            t.push_front(v);
            self.nodes.insert(insert_idx, t);
            self.merge_around(insert_idx, fill);
            return;
        } else {
            let mut single = Listpack::new();
            single.push_back(v);
            self.nodes.insert(insert_idx, single);
            insert_idx += 1;
        }
        if !tail.is_empty() {
            self.nodes.insert(insert_idx, tail);
            self.merge_around(insert_idx, fill);
        }
    }

    /// Merges node `i` with its next and previous neighbours when they fit
    /// together, so deletions and splits leave no trail of tiny nodes.
    fn merge_around(&mut self, i: usize, fill: i64) {
        if i >= self.nodes.len() {
            return;
        }
        if self.nodes[i].is_empty() {
            self.nodes.remove(i);
            return;
        }
        if i + 1 < self.nodes.len() && nodes_merge(&self.nodes[i], &self.nodes[i + 1], fill) {
            let next = self.nodes.remove(i + 1).expect("checked index");
            self.nodes[i].append(&next);
        }
        if i > 0 && nodes_merge(&self.nodes[i - 1], &self.nodes[i], fill) {
            let cur = self.nodes.remove(i).expect("checked index");
            self.nodes[i - 1].append(&cur);
        }
    }

    /// LINSERT: inserts `v` before (or after) the first element equal to
    /// `pivot`; false when there is no such element.
    pub fn insert_by_pivot(&mut self, pivot: &[u8], v: &[u8], after: bool, fill: i64) -> bool {
        for ni in 0..self.nodes.len() {
            let n = &self.nodes[ni];
            let mut p = 0;
            let mut off = 0;
            while p < n.end() {
                let (e, next) = n.get_next(p);
                if e == pivot {
                    self.insert_in_node(ni, off + usize::from(after), v, fill);
                    return true;
                }
                p = next;
                off += 1;
            }
        }
        false
    }

    // -----------------------------------------------------------------------
    // Walks
    // -----------------------------------------------------------------------

    /// Elements from index `start` (absolute, `< len`) to the tail.
    pub fn iter_from(&self, start: usize) -> Iter<'_> {
        if start >= self.len {
            return Iter {
                list: self,
                node: self.nodes.len(),
                pos: 0,
            };
        }
        let (ni, off) = self.locate(start);
        let pos = self.nodes[ni].pos_of(off as i64).unwrap_or(0);
        Iter {
            list: self,
            node: ni,
            pos,
        }
    }

    /// Elements from index `start` (absolute, `< len`) back to the head.
    pub fn rev_iter_from(&self, start: usize) -> RevIter<'_> {
        if start >= self.len {
            return RevIter {
                list: self,
                node: 0,
                pos: None,
            };
        }
        let (ni, off) = self.locate(start);
        RevIter {
            list: self,
            node: ni,
            pos: self.nodes[ni].pos_of(off as i64),
        }
    }

    // -----------------------------------------------------------------------
    // Bulk removal
    // -----------------------------------------------------------------------

    /// Removes the first `n` elements (all if fewer).
    pub fn remove_front(&mut self, mut n: usize) {
        while n > 0 {
            let Some(node) = self.nodes.front_mut() else {
                break;
            };
            let k = node.len();
            if k <= n {
                self.nodes.pop_front();
                self.len -= k;
                n -= k;
            } else {
                node.remove_range(0, n);
                self.len -= n;
                n = 0;
            }
        }
    }

    /// Removes the last `n` elements (all if fewer).
    pub fn remove_back(&mut self, mut n: usize) {
        while n > 0 {
            let Some(node) = self.nodes.back_mut() else {
                break;
            };
            let k = node.len();
            if k <= n {
                self.nodes.pop_back();
                self.len -= k;
                n -= k;
            } else {
                let p = node.pos_of((k - n) as i64).unwrap_or(node.end());
                node.remove_range(p, n);
                self.len -= n;
                n = 0;
            }
        }
    }

    /// LTRIM: keeps the `keep` elements from absolute index `start` (both
    /// already clamped by the caller) and removes the rest.
    pub fn trim(&mut self, start: usize, keep: usize, fill: i64) {
        let start = start.min(self.len);
        let keep = keep.min(self.len - start);
        let tail = self.len - start - keep;
        self.remove_front(start);
        self.remove_back(tail);
        if let Some(last) = self.nodes.len().checked_sub(1) {
            self.merge_around(last, fill);
        }
        self.merge_around(0, fill);
    }

    /// LREM: removes up to `count` elements equal to `v` (all when `count`
    /// is 0), from the head, or from the tail when `from_tail`. Returns how
    /// many were removed.
    pub fn remove_matching(&mut self, v: &[u8], count: usize, from_tail: bool, fill: i64) -> usize {
        let limit = if count == 0 { usize::MAX } else { count };
        let mut removed = 0;
        let order: Vec<usize> = if from_tail {
            (0..self.nodes.len()).rev().collect()
        } else {
            (0..self.nodes.len()).collect()
        };
        let mut touched: Vec<usize> = Vec::new();
        for ni in order {
            if removed == limit {
                break;
            }
            let r = remove_in_node(&mut self.nodes[ni], v, limit - removed, from_tail);
            if r > 0 {
                removed += r;
                touched.push(ni);
            }
        }
        self.len -= removed;
        // Drop emptied nodes and merge small ones, from the highest index
        // down so the lower ones stay valid.
        touched.sort_unstable_by(|a, b| b.cmp(a));
        for ni in touched {
            self.merge_around(ni, fill);
        }
        removed
    }
}

/// Removes up to `limit` entries equal to `v` from one node, walking from its
/// head (or its tail); returns how many.
fn remove_in_node(n: &mut Listpack, v: &[u8], limit: usize, from_tail: bool) -> usize {
    let mut removed = 0;
    if from_tail {
        let mut cur = n.last();
        while let Some(p) = cur {
            if removed == limit {
                break;
            }
            let prev = n.prev(p);
            if n.get(p) == v {
                n.remove(p);
                removed += 1;
            }
            cur = prev;
        }
    } else {
        let mut p: Pos = 0;
        while p < n.end() && removed < limit {
            let (e, next) = n.get_next(p);
            if e == v {
                p = n.remove(p);
                removed += 1;
            } else {
                p = next;
            }
        }
    }
    removed
}

/// Forward walk over a list's elements (see `List::iter_from`).
pub struct Iter<'a> {
    list: &'a List,
    node: usize,
    pos: Pos,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let n = self.list.nodes.get(self.node)?;
            if self.pos < n.end() {
                let (v, next) = n.get_next(self.pos);
                self.pos = next;
                return Some(v);
            }
            self.node += 1;
            self.pos = 0;
        }
    }
}

/// Backward walk over a list's elements (see `List::rev_iter_from`).
pub struct RevIter<'a> {
    list: &'a List,
    node: usize,
    /// The entry to yield next in `node`; None when the walk is over.
    pos: Option<Pos>,
}

impl<'a> Iterator for RevIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let p = self.pos?;
        let nodes = &self.list.nodes;
        let n = &nodes[self.node];
        let v = n.get(p);
        self.pos = n.prev(p);
        while self.pos.is_none() && self.node > 0 {
            self.node -= 1;
            self.pos = nodes[self.node].last();
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::rng::Rng;

    fn collect(l: &List) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        l.for_each(|v| out.push(v.to_vec()));
        out
    }

    /// Every node within the fill (a node of one element may be larger).
    fn check_nodes(l: &List, fill: i64) {
        for n in &l.nodes {
            assert!(!n.is_empty());
            if n.len() > 1 {
                let fits = if fill >= 0 {
                    n.len() <= fill.max(1) as usize && n.total_bytes() <= SIZE_SAFETY_LIMIT
                } else {
                    n.total_bytes() <= byte_limit(fill)
                };
                assert!(
                    fits,
                    "node of {} entries, {} bytes",
                    n.len(),
                    n.total_bytes()
                );
            }
        }
    }

    fn check(l: &List, model: &VecDeque<Vec<u8>>) {
        assert_eq!(l.len(), model.len());
        let all: Vec<Vec<u8>> = model.iter().cloned().collect();
        assert_eq!(collect(l), all);
        assert_eq!(l.nodes.iter().map(Listpack::len).sum::<usize>(), l.len());
        assert!(l.nodes.iter().all(|n| !n.is_empty()));
        if !model.is_empty() {
            let s = model.len() / 3;
            let fwd: Vec<&[u8]> = l.iter_from(s).collect();
            let want: Vec<&[u8]> = model.iter().skip(s).map(|v| &v[..]).collect();
            assert_eq!(fwd, want);
            let back: Vec<&[u8]> = l.rev_iter_from(s).collect();
            let want: Vec<&[u8]> = model.iter().take(s + 1).rev().map(|v| &v[..]).collect();
            assert_eq!(back, want);
        }
    }

    fn random_value(rng: &mut Rng) -> Vec<u8> {
        let len = if rng.below(20) == 0 {
            40
        } else {
            1 + rng.below(4)
        };
        (0..len).map(|_| b'a' + rng.below(4) as u8).collect()
    }

    #[test]
    fn matches_a_deque_model_under_random_operations() {
        for fill in [3i64, 1, -1] {
            let mut rng = Rng::new(7 + fill.unsigned_abs());
            let mut l = List::new();
            let mut m: VecDeque<Vec<u8>> = VecDeque::new();
            for step in 0..20000 {
                let v = random_value(&mut rng);
                let len = m.len() as i64;
                match rng.below(11) {
                    0 | 1 => {
                        l.push_front(&v, fill);
                        m.push_front(v);
                    }
                    2 | 3 => {
                        l.push_back(&v, fill);
                        m.push_back(v);
                    }
                    4 => {
                        let end = if rng.below(2) == 0 {
                            End::Head
                        } else {
                            End::Tail
                        };
                        let want = match end {
                            End::Head => m.pop_front(),
                            End::Tail => m.pop_back(),
                        };
                        assert_eq!(l.pop(end), want);
                    }
                    5 if len > 0 => {
                        let i = rng.below(m.len()) as i64 - if rng.below(2) == 0 { 0 } else { len };
                        assert!(l.set(i, &v, fill));
                        let abs = if i < 0 { i + len } else { i } as usize;
                        m[abs] = v;
                    }
                    6 if len > 0 => {
                        let pivot = m[rng.below(m.len())].clone();
                        let after = rng.below(2) == 0;
                        assert!(l.insert_by_pivot(&pivot, &v, after, fill));
                        let at = m.iter().position(|e| *e == pivot).unwrap();
                        m.insert(at + usize::from(after), v);
                    }
                    7 => {
                        let count = rng.below(3);
                        let from_tail = rng.below(2) == 0;
                        let target = v[..1].to_vec();
                        let got = l.remove_matching(&target, count, from_tail, fill);
                        let limit = if count == 0 { usize::MAX } else { count };
                        let mut removed = 0;
                        let mut kept: Vec<Vec<u8>> = Vec::new();
                        let items: Vec<Vec<u8>> = if from_tail {
                            m.iter().rev().cloned().collect()
                        } else {
                            m.iter().cloned().collect()
                        };
                        for e in items {
                            if e == target && removed < limit {
                                removed += 1;
                            } else {
                                kept.push(e);
                            }
                        }
                        if from_tail {
                            kept.reverse();
                        }
                        assert_eq!(got, removed);
                        m = kept.into();
                    }
                    8 if len > 0 && rng.below(8) == 0 => {
                        let start = rng.below(m.len());
                        let keep = rng.below(m.len() + 1);
                        l.trim(start, keep, fill);
                        let keep = keep.min(m.len() - start);
                        m = m.iter().skip(start).take(keep).cloned().collect();
                    }
                    9 if len > 0 => {
                        let i = rng.below(m.len());
                        assert_eq!(l.get(i as i64), Some(&m[i][..]));
                        assert_eq!(l.get(i as i64 - len), Some(&m[i][..]));
                        assert_eq!(l.get(len), None);
                        assert_eq!(l.get(-len - 1), None);
                    }
                    _ => {
                        let n = rng.below(3);
                        if rng.below(2) == 0 {
                            l.remove_front(n);
                            for _ in 0..n {
                                m.pop_front();
                            }
                        } else {
                            l.remove_back(n);
                            for _ in 0..n {
                                m.pop_back();
                            }
                        }
                    }
                }
                if step % 97 == 0 {
                    check(&l, &m);
                }
                check_nodes(&l, fill);
            }
            check(&l, &m);
        }
    }

    #[test]
    fn nodes_respect_the_fill() {
        let mut l = List::new();
        for i in 0..1000 {
            l.push_back(format!("{i}").as_bytes(), 128);
        }
        assert_eq!(l.node_count(), 8);
        let mut l = List::new();
        let big = vec![b'x'; 1000];
        for _ in 0..20 {
            l.push_front(&big, -1);
        }
        // 4 KB nodes hold 4 entries of ~1 KB.
        assert_eq!(l.node_count(), 5);
        assert!(l.set(7, &vec![b'y'; 10_000], -1));
        assert_eq!(l.get(7).unwrap().len(), 10_000);
        assert_eq!(l.len(), 20);
    }
}
