//! `ZTree`: the ordered half of a large sorted set, an order-statistic B+tree
//! of `(score, id)` items, where `id` names the member in the set's
//! member -> score table (a `Dict` `EntryId`, stable while the member lives).
//!
//! Why a B+tree and not Redis's skiplist: a skiplist node costs a pointer to
//! the member, the score, a back pointer and 16 bytes per level (about 50
//! bytes a member once rounded by the allocator); a leaf here holds 12 bytes
//! per item (scores and ids in two packed arrays), so with the table entry a
//! member costs about half of what Redis spends, and walks are cache-friendly.
//!
//! The tree knows nothing of members: the order (score, then member bytes) is
//! given by the caller as a monotone predicate ("is this item before the
//! target?"), so every search is `partition_point`. Positions are ranks
//! (0-based); each inner node keeps the item count and the last item of each
//! child, so finding a rank or a partition point is O(log n), as is an insert
//! or removal at a rank.
//!
//! Leaves split in half, except when the item goes at the end of a leaf
//! (ascending inserts, the common case for time-ordered scores): the new item
//! then starts the new leaf, so sequential loads leave full leaves. Nodes that
//! fall below a quarter full are merged with a neighbour when the two fit in
//! one.

/// Items per leaf.
const LEAF_CAP: usize = 120;
/// Children per inner node.
const INNER_CAP: usize = 64;

/// An item: a score and the id of its member.
pub type Item = (f64, u32);

struct Leaf {
    scores: Vec<f64>,
    ids: Vec<u32>,
}

struct Inner {
    kids: Vec<Node>,
    /// Items under each child.
    counts: Vec<usize>,
    /// The last item under each child.
    lasts: Vec<Item>,
}

enum Node {
    Leaf(Box<Leaf>),
    Inner(Box<Inner>),
}

impl Leaf {
    fn new() -> Leaf {
        Leaf {
            scores: Vec::with_capacity(LEAF_CAP + 1),
            ids: Vec::with_capacity(LEAF_CAP + 1),
        }
    }

    fn item(&self, i: usize) -> Item {
        (self.scores[i], self.ids[i])
    }
}

impl Inner {
    /// An empty inner node with room for one child over capacity (the
    /// moment before it splits), so it never reallocates.
    fn with_room() -> Inner {
        Inner {
            kids: Vec::with_capacity(INNER_CAP + 1),
            counts: Vec::with_capacity(INNER_CAP + 1),
            lasts: Vec::with_capacity(INNER_CAP + 1),
        }
    }
}

impl Node {
    fn len(&self) -> usize {
        match self {
            Node::Leaf(l) => l.scores.len(),
            Node::Inner(n) => n.counts.iter().sum(),
        }
    }

    /// Number of children (leaf: items), to judge fill.
    fn width(&self) -> usize {
        match self {
            Node::Leaf(l) => l.scores.len(),
            Node::Inner(n) => n.kids.len(),
        }
    }

    fn cap(&self) -> usize {
        match self {
            Node::Leaf(_) => LEAF_CAP,
            Node::Inner(_) => INNER_CAP,
        }
    }

    fn last(&self) -> Option<Item> {
        match self {
            Node::Leaf(l) => l.scores.len().checked_sub(1).map(|i| l.item(i)),
            Node::Inner(n) => n.lasts.last().copied(),
        }
    }

    fn heap_size(&self) -> usize {
        match self {
            Node::Leaf(l) => {
                std::mem::size_of::<Leaf>() + l.scores.capacity() * 8 + l.ids.capacity() * 4
            }
            Node::Inner(n) => {
                std::mem::size_of::<Inner>()
                    + n.kids.capacity() * std::mem::size_of::<Node>()
                    + n.counts.capacity() * 8
                    + n.lasts.capacity() * 16
                    + n.kids.iter().map(Node::heap_size).sum::<usize>()
            }
        }
    }

    /// The child holding rank `r` and the rank within it.
    fn child_at(n: &Inner, mut r: usize) -> (usize, usize) {
        for (i, &c) in n.counts.iter().enumerate() {
            if r < c {
                return (i, r);
            }
            r -= c;
        }
        // r == len: the end of the last child (inserts append there).
        let i = n.counts.len() - 1;
        (i, r + n.counts[i])
    }

    /// Inserts at rank `r`; returns a new right sibling if the node split.
    fn insert_at(&mut self, r: usize, it: Item) -> Option<Node> {
        match self {
            Node::Leaf(l) => {
                l.scores.insert(r, it.0);
                l.ids.insert(r, it.1);
                if l.scores.len() <= LEAF_CAP {
                    return None;
                }
                // Over capacity by one: split (see the module notes).
                let at = if r == l.scores.len() - 1 {
                    r
                } else {
                    l.scores.len() / 2
                };
                let mut right = Leaf::new();
                right.scores.extend(l.scores.drain(at..));
                right.ids.extend(l.ids.drain(at..));
                Some(Node::Leaf(Box::new(right)))
            }
            Node::Inner(n) => {
                let (i, sub) = Node::child_at(n, r);
                let split = n.kids[i].insert_at(sub, it);
                if split.is_none() {
                    Node::grew(n, i);
                }
                if let Some(right) = split {
                    n.counts.insert(i + 1, right.len());
                    n.lasts.insert(i + 1, right.last().unwrap_or(it));
                    n.kids.insert(i + 1, right);
                    Node::refresh(n, i);
                }
                if n.kids.len() <= INNER_CAP {
                    return None;
                }
                let at = n.kids.len() / 2;
                let mut right = Inner::with_room();
                right.kids.extend(n.kids.drain(at..));
                right.counts.extend(n.counts.drain(at..));
                right.lasts.extend(n.lasts.drain(at..));
                Some(Node::Inner(Box::new(right)))
            }
        }
    }

    /// Recomputes the count and last item of child `i`.
    fn refresh(n: &mut Inner, i: usize) {
        n.counts[i] = n.kids[i].len();
        if let Some(l) = n.kids[i].last() {
            n.lasts[i] = l;
        }
    }

    /// `refresh` after one item was added under child `i` (without a
    /// split): O(1), where recounting an inner child sums its counts.
    fn grew(n: &mut Inner, i: usize) {
        n.counts[i] += 1;
        if let Some(l) = n.kids[i].last() {
            n.lasts[i] = l;
        }
    }

    /// `refresh` after one item was removed under child `i`.
    fn shrank(n: &mut Inner, i: usize) {
        n.counts[i] -= 1;
        if let Some(l) = n.kids[i].last() {
            n.lasts[i] = l;
        }
    }

    /// Removes the item at rank `r` (which must exist).
    fn remove_at(&mut self, r: usize) -> Item {
        match self {
            Node::Leaf(l) => (l.scores.remove(r), l.ids.remove(r)),
            Node::Inner(n) => {
                let (i, sub) = Node::child_at(n, r);
                let it = n.kids[i].remove_at(sub);
                Node::shrank(n, i);
                Node::rebalance(n, i);
                it
            }
        }
    }

    /// After a removal under child `i`: drops it if empty, else merges it
    /// with a neighbour when it is under a quarter full and both fit in one.
    fn rebalance(n: &mut Inner, i: usize) {
        if n.counts[i] == 0 {
            n.kids.remove(i);
            n.counts.remove(i);
            n.lasts.remove(i);
            return;
        }
        let kid = &n.kids[i];
        if kid.width() * 4 >= kid.cap() || n.kids.len() < 2 {
            return;
        }
        let j = if i + 1 < n.kids.len() { i } else { i - 1 };
        if n.kids[j].width() + n.kids[j + 1].width() > n.kids[j].cap() {
            return;
        }
        let right = n.kids.remove(j + 1);
        n.counts.remove(j + 1);
        n.lasts.remove(j + 1);
        match (&mut n.kids[j], right) {
            (Node::Leaf(a), Node::Leaf(b)) => {
                a.scores.extend_from_slice(&b.scores);
                a.ids.extend_from_slice(&b.ids);
            }
            (Node::Inner(a), Node::Inner(b)) => {
                let b = *b;
                a.kids.extend(b.kids);
                a.counts.extend(b.counts);
                a.lasts.extend(b.lasts);
            }
            _ => unreachable!("siblings are at the same depth"),
        }
        Node::refresh(n, j);
    }

    fn get(&self, mut r: usize) -> Item {
        let mut node = self;
        loop {
            match node {
                Node::Leaf(l) => return l.item(r),
                Node::Inner(n) => {
                    let (i, sub) = Node::child_at(n, r);
                    r = sub;
                    node = &n.kids[i];
                }
            }
        }
    }

    fn partition_point(&self, before: &mut impl FnMut(Item) -> bool) -> usize {
        let mut node = self;
        let mut base = 0;
        loop {
            match node {
                Node::Leaf(l) => {
                    let (mut lo, mut hi) = (0, l.scores.len());
                    while lo < hi {
                        let mid = (lo + hi) / 2;
                        if before(l.item(mid)) {
                            lo = mid + 1;
                        } else {
                            hi = mid;
                        }
                    }
                    return base + lo;
                }
                Node::Inner(n) => {
                    let (mut lo, mut hi) = (0, n.lasts.len());
                    while lo < hi {
                        let mid = (lo + hi) / 2;
                        if before(n.lasts[mid]) {
                            lo = mid + 1;
                        } else {
                            hi = mid;
                        }
                    }
                    if lo == n.kids.len() {
                        return base + n.counts.iter().sum::<usize>();
                    }
                    base += n.counts[..lo].iter().sum::<usize>();
                    node = &n.kids[lo];
                }
            }
        }
    }

    /// Calls `f` on the items of ranks `start..end`, in order or reversed.
    fn walk(&self, start: usize, end: usize, rev: bool, f: &mut impl FnMut(Item)) {
        match self {
            Node::Leaf(l) => {
                if rev {
                    (start..end).rev().for_each(|i| f(l.item(i)));
                } else {
                    (start..end).for_each(|i| f(l.item(i)));
                }
            }
            Node::Inner(n) => {
                // The children overlapping start..end, walked in order or
                // backwards, each with the part of the range it holds.
                let (first, _) = Node::child_at(n, start);
                let (last, _) = Node::child_at(n, end - 1);
                // The part of start..end held by the child whose first item
                // has rank `base`.
                let part = |i: usize, base: usize| {
                    (start.max(base) - base, end.min(base + n.counts[i]) - base)
                };
                let mut base: usize = n.counts[..first].iter().sum();
                if rev {
                    base += n.counts[first..=last].iter().sum::<usize>();
                    for i in (first..=last).rev() {
                        base -= n.counts[i];
                        let (lo, hi) = part(i, base);
                        n.kids[i].walk(lo, hi, rev, f);
                    }
                } else {
                    for i in first..=last {
                        let (lo, hi) = part(i, base);
                        base += n.counts[i];
                        n.kids[i].walk(lo, hi, rev, f);
                    }
                }
            }
        }
    }
}

/// See the module documentation.
pub struct ZTree {
    root: Node,
    len: usize,
}

impl Default for ZTree {
    fn default() -> Self {
        ZTree::new()
    }
}

impl ZTree {
    pub fn new() -> ZTree {
        ZTree {
            root: Node::Leaf(Box::new(Leaf {
                scores: Vec::new(),
                ids: Vec::new(),
            })),
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Heap bytes held.
    pub fn heap_size(&self) -> usize {
        self.root.heap_size()
    }

    /// The item at rank `r` (< len).
    pub fn get(&self, r: usize) -> Item {
        self.root.get(r)
    }

    /// The number of leading items for which `before` holds (it must hold
    /// for a prefix of the order and fail for the rest).
    pub fn partition_point(&self, mut before: impl FnMut(Item) -> bool) -> usize {
        self.root.partition_point(&mut before)
    }

    /// Inserts an item at rank `r` (<= len).
    pub fn insert_at(&mut self, r: usize, it: Item) {
        if let Some(right) = self.root.insert_at(r, it) {
            let left = std::mem::replace(&mut self.root, Node::Leaf(Box::new(Leaf::new())));
            let mut inner = Inner::with_room();
            inner.counts.extend([left.len(), right.len()]);
            inner
                .lasts
                .extend([left.last().unwrap_or(it), right.last().unwrap_or(it)]);
            inner.kids.extend([left, right]);
            self.root = Node::Inner(Box::new(inner));
        }
        self.len += 1;
    }

    /// Removes and returns the item at rank `r` (< len).
    pub fn remove_at(&mut self, r: usize) -> Item {
        let it = self.root.remove_at(r);
        self.len -= 1;
        // An inner root with one child gives way to it.
        while let Node::Inner(n) = &mut self.root {
            if n.kids.len() != 1 {
                break;
            }
            let only = n.kids.pop().unwrap_or_else(|| unreachable!());
            self.root = only;
        }
        if self.len == 0 {
            // Give everything back.
            *self = ZTree::new();
        }
        it
    }

    /// Calls `f` on the items of ranks `start..end` (clamped to len), in
    /// order, or from `end - 1` down to `start` when `rev`.
    pub fn walk(&self, start: usize, end: usize, rev: bool, mut f: impl FnMut(Item)) {
        let end = end.min(self.len);
        if start < end {
            self.root.walk(start, end, rev, &mut f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::rng::Rng;

    /// Ordered like a sorted set: score, then id (standing in for the member).
    fn before(a: Item, b: Item) -> bool {
        a.0 < b.0 || (a.0 == b.0 && a.1 < b.1)
    }

    /// Every inner node's counts and last items agree with its children
    /// (they are kept incrementally).
    fn check_node(node: &Node) {
        if let Node::Inner(n) = node {
            for (i, kid) in n.kids.iter().enumerate() {
                assert_eq!(n.counts[i], kid.len());
                assert_eq!(Some(n.lasts[i]), kid.last());
                check_node(kid);
            }
        }
    }

    fn check(t: &ZTree, model: &[Item]) {
        check_node(&t.root);
        assert_eq!(t.len(), model.len());
        let mut all = Vec::new();
        t.walk(0, usize::MAX, false, |it| all.push(it));
        assert_eq!(all, model);
        let mut rev = Vec::new();
        t.walk(0, model.len(), true, |it| rev.push(it));
        rev.reverse();
        assert_eq!(rev, model);
    }

    #[test]
    fn matches_a_sorted_vec_model() {
        let mut rng = Rng::new(0x5eed);
        let mut t = ZTree::new();
        let mut model: Vec<Item> = Vec::new();
        let mut next_id = 1u32;
        for step in 0..60_000 {
            let op = rng.below(10);
            if op < 5 || model.is_empty() {
                // Insert: scores from a small range, so ties are common.
                let it = (rng.below(500) as f64, next_id);
                next_id += 1;
                let r = t.partition_point(|x| before(x, it));
                assert_eq!(r, model.partition_point(|&x| before(x, it)));
                t.insert_at(r, it);
                model.insert(r, it);
            } else if op < 8 {
                let r = rng.below(model.len());
                assert_eq!(t.remove_at(r), model.remove(r));
            } else if op < 9 {
                // Score update: remove and insert elsewhere.
                let r = rng.below(model.len());
                let (_, id) = t.remove_at(r);
                model.remove(r);
                let it = (rng.below(500) as f64, id);
                let r2 = t.partition_point(|x| before(x, it));
                t.insert_at(r2, it);
                model.insert(r2, it);
            } else {
                // Rank and range queries.
                let r = rng.below(model.len());
                assert_eq!(t.get(r), model[r]);
                let s = rng.below(500) as f64;
                assert_eq!(
                    t.partition_point(|x| x.0 < s),
                    model.partition_point(|x| x.0 < s)
                );
                assert_eq!(
                    t.partition_point(|x| x.0 <= s),
                    model.partition_point(|x| x.0 <= s)
                );
                let a = rng.below(model.len() + 1);
                let b = rng.below(model.len() + 1);
                let (a, b) = (a.min(b), a.max(b));
                let mut got = Vec::new();
                t.walk(a, b, rng.below(2) == 0, |it| got.push(it));
                got.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
                assert_eq!(got, &model[a..b]);
            }
            if step % 500 == 0 {
                check(&t, &model);
            }
        }
        check(&t, &model);
        // Drain it all, from both ends and the middle.
        while !model.is_empty() {
            let r = match model.len() % 3 {
                0 => 0,
                1 => model.len() - 1,
                _ => model.len() / 2,
            };
            assert_eq!(t.remove_at(r), model.remove(r));
        }
        check(&t, &model);
    }

    #[test]
    fn ascending_loads_fill_leaves() {
        let mut t = ZTree::new();
        for i in 0..100_000u32 {
            t.insert_at(i as usize, (f64::from(i), i + 1));
        }
        // 12 bytes an item, plus under 10% of slack and inner nodes.
        assert!(t.heap_size() < 100_000 * 14, "{}", t.heap_size());
        assert_eq!(t.get(54_321), (54_321.0, 54_322));
    }

    /// A tree three inner levels deep: random loads and removals, checked
    /// by rank (the scores are the ranks of a full load).
    #[test]
    fn deep_trees_keep_ranks() {
        let n = 300_000u32;
        let mut rng = Rng::new(99);
        let mut order: Vec<u32> = (0..n).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        let mut t = ZTree::new();
        for &v in &order {
            let s = f64::from(v);
            let r = t.partition_point(|x| x.0 < s);
            t.insert_at(r, (s, v + 1));
        }
        for _ in 0..1000 {
            let r = rng.below(n as usize);
            assert_eq!(t.get(r), (r as f64, r as u32 + 1));
        }
        // Remove the odd scores in random order, then check the rest.
        for &v in order.iter().filter(|&&v| v % 2 == 1) {
            let r = t.partition_point(|x| x.0 < f64::from(v));
            assert_eq!(t.remove_at(r), (f64::from(v), v + 1));
        }
        assert_eq!(t.len(), n as usize / 2);
        let mut prev = -1.0;
        let mut count = 0;
        t.walk(0, t.len(), false, |(s, id)| {
            assert!(s > prev && (s as u32).is_multiple_of(2) && id == s as u32 + 1);
            prev = s;
            count += 1;
        });
        assert_eq!(count, n as usize / 2);
        for r in [0, 1, 777, 77_777, 149_999] {
            assert_eq!(t.get(r).0, (2 * r) as f64);
        }
        while !t.is_empty() {
            t.remove_at(t.len() / 3);
        }
        assert_eq!(t.heap_size(), ZTree::new().heap_size());
    }
}
