//! The set type, in Redis 7.0's two encodings, and the operations the set
//! commands need (no RESP here):
//! - "intset" (`IntSet`, see `intset.rs`): sorted integers, packed (tighter
//!   than Redis's), while every member is a canonical 64-bit integer (Redis's
//!   string2ll form: no `+`, no leading zeros, no spaces, not `-0`) and there
//!   are at most set-max-intset-entries of them;
//! - "hashtable": a `Dict` of members, boxed so that `Set` stays small (an
//!   intset is then one small box plus its packed buffer).
//!
//! As in Redis 7.0 a set only ever converts from intset to hashtable (adding a
//! non-integer, or growing past the limit); removals never convert back. New
//! sets (the *STORE results, what SPOP keeps of a set it mostly empties) are
//! collected by a `Builder`, which gives the encoding that adding the members
//! one by one to an empty set would give, as Redis does.
//!
//! Members are handed out as `Member`: an integer of an intset (its decimal
//! form is made only where bytes are needed) or the bytes stored in the table.

use super::dict::{Dict, EntryId};
use super::intset::{self, IntSet};
use super::small_bytes::SmallBytes;
use crate::util::numbers::{int_digits, parse_i64};
use crate::util::rng::Rng;

/// At most 24 bytes, so the boxed value is one small allocation.
pub enum Set {
    Ints(IntSet),
    Table(Box<Dict<SmallBytes, ()>>),
}

const _: () = assert!(std::mem::size_of::<Set>() <= 24);

/// One member, borrowed from a set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Member<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl Member<'_> {
    /// Calls `f` with the member's bytes (an integer's decimal form).
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Member::Int(n) => {
                let mut tmp = [0u8; 24];
                f(int_digits(n, &mut tmp))
            }
            Member::Bytes(b) => f(b),
        }
    }

    /// The member as an integer when it is one in canonical form.
    fn as_int(self) -> Option<i64> {
        match self {
            Member::Int(n) => Some(n),
            Member::Bytes(b) => parse_i64(b),
        }
    }
}

/// A member taken out of a set (SPOP).
pub enum Popped {
    Int(i64),
    Bytes(SmallBytes),
}

impl Popped {
    pub fn as_member(&self) -> Member<'_> {
        match self {
            Popped::Int(n) => Member::Int(*n),
            Popped::Bytes(b) => Member::Bytes(b),
        }
    }
}

/// The members of a set, in its order (ascending for an intset).
pub enum Iter<'a> {
    Ints(intset::Iter<'a>),
    Table(
        &'a Dict<SmallBytes, ()>,
        Box<dyn Iterator<Item = EntryId> + 'a>,
    ),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Member<'a>;

    fn next(&mut self) -> Option<Member<'a>> {
        match self {
            Iter::Ints(it) => it.next().map(Member::Int),
            Iter::Table(d, ids) => ids.next().map(|id| Member::Bytes(d.key(id).as_slice())),
        }
    }
}

/// The members of an intset as a hash table of their decimal forms.
fn table_from_ints(ints: &IntSet) -> Box<Dict<SmallBytes, ()>> {
    let mut d = Box::new(Dict::tagged());
    let mut tmp = [0u8; 24];
    for n in ints.iter() {
        d.insert_new(SmallBytes::from_slice(int_digits(n, &mut tmp)), ());
    }
    d
}

impl Default for Set {
    fn default() -> Self {
        Set::new()
    }
}

impl Set {
    /// An empty set (an empty intset, as Redis creates for a first integer).
    pub fn new() -> Set {
        Set::Ints(IntSet::new())
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            Set::Ints(v) => v.len(),
            Set::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Ints(_) => "intset",
            Set::Table(_) => "hashtable",
        }
    }

    /// Heap bytes held (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match self {
            Set::Ints(v) => v.heap_size(),
            Set::Table(d) => {
                std::mem::size_of::<Dict<SmallBytes, ()>>()
                    + d.heap_bytes()
                    + d.iter().map(|id| d.key(id).heap_size()).sum::<usize>()
            }
        }
    }

    /// A deep copy (COPY).
    pub fn duplicate(&self) -> Set {
        match self {
            Set::Ints(v) => Set::Ints(v.clone()),
            Set::Table(d) => {
                let mut t = Box::new(Dict::tagged());
                for id in d.iter() {
                    t.insert_new(d.key(id).clone(), ());
                }
                Set::Table(t)
            }
        }
    }

    /// Calls `f` on every member, in no particular order (DEBUG DIGEST, RDB).
    pub fn for_each(&self, mut f: impl FnMut(&[u8])) {
        for m in self.iter() {
            m.with_bytes(&mut f);
        }
    }

    /// The members, in the set's order (ascending for an intset).
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Set::Ints(s) => Iter::Ints(s.iter()),
            Set::Table(d) => Iter::Table(d, Box::new(d.iter())),
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            Set::Ints(s) => parse_i64(member).is_some_and(|n| s.contains(n)),
            Set::Table(d) => d.find(member).is_some(),
        }
    }

    /// `contains` for a member of another set (no formatting for int vs int).
    pub fn contains_member(&self, m: Member) -> bool {
        match (self, m) {
            (Set::Ints(s), Member::Int(n)) => s.contains(n),
            _ => m.with_bytes(|b| self.contains(b)),
        }
    }

    /// Converts an intset to a hash table.
    fn convert_to_table(&mut self) {
        if let Set::Ints(s) = self {
            *self = Set::Table(table_from_ints(s));
        }
    }

    /// Adds a member; false if it was there. `max_ints` is
    /// set-max-intset-entries: an intset that grows past it becomes a table.
    pub fn add(&mut self, member: &[u8], max_ints: usize) -> bool {
        self.add_member(Member::Bytes(member), max_ints)
    }

    /// `add` for a member of another set.
    pub fn add_member(&mut self, m: Member, max_ints: usize) -> bool {
        if let Set::Ints(s) = self {
            match m.as_int() {
                Some(n) => {
                    if !s.insert(n) {
                        return false;
                    }
                    if s.len() > max_ints {
                        self.convert_to_table();
                    }
                    return true;
                }
                None => self.convert_to_table(),
            }
        }
        let Set::Table(d) = self else {
            unreachable!("converted above")
        };
        m.with_bytes(|b| {
            if d.find(b).is_some() {
                false
            } else {
                d.insert_new(SmallBytes::from_slice(b), ());
                true
            }
        })
    }

    /// Adds every member of `members` (SADD); returns how many were new. An
    /// intset takes all the integers in one rewrite (`members` gives the
    /// members afresh on each call); the result is the set
    /// (and encoding) that adding them one by one would give.
    pub fn add_many<'m, I: Iterator<Item = &'m [u8]>>(
        &mut self,
        members: impl Fn() -> I,
        max_ints: usize,
    ) -> usize {
        if let Set::Ints(s) = self {
            let mut ints: Vec<i64> = Vec::new();
            for m in members() {
                match parse_i64(m) {
                    Some(n) => ints.push(n),
                    None => {
                        ints.clear();
                        break;
                    }
                }
            }
            if !ints.is_empty() {
                let added = s.insert_many(&mut ints);
                // As one by one: only a member actually added converts.
                if added > 0 && s.len() > max_ints {
                    self.convert_to_table();
                }
                return added;
            }
        }
        members().filter(|m| self.add(m, max_ints)).count()
    }

    /// Removes a member; false if it was not there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            Set::Ints(s) => parse_i64(member).is_some_and(|n| s.remove(n)),
            Set::Table(d) => {
                let gone = d.remove(member).is_some();
                if gone {
                    d.shrink_if_sparse();
                }
                gone
            }
        }
    }

    /// A random member (None when empty).
    pub fn random(&self, rng: &mut Rng) -> Option<Member<'_>> {
        match self {
            Set::Ints(s) => (!s.is_empty()).then(|| Member::Int(s.get(rng.below(s.len())))),
            Set::Table(d) => {
                let id = d.random_entry(&mut || rng.next_u64())?;
                Some(Member::Bytes(d.key(id).as_slice()))
            }
        }
    }

    /// Removes and returns a random member (None when empty).
    pub fn pop_random(&mut self, rng: &mut Rng) -> Option<Popped> {
        match self {
            Set::Ints(s) => {
                if s.is_empty() {
                    return None;
                }
                Some(Popped::Int(s.remove_at(rng.below(s.len()))))
            }
            Set::Table(d) => {
                let id = d.random_entry(&mut || rng.next_u64())?;
                let (k, (), _) = d.remove_id(id);
                d.shrink_if_sparse();
                Some(Popped::Bytes(k))
            }
        }
    }

    /// `count` distinct random members (count below `len()`), in no
    /// particular order. Memory is bounded by the set's size, not by `count`.
    pub fn random_distinct(&self, count: usize, rng: &mut Rng, mut f: impl FnMut(Member)) {
        let n = self.len();
        let count = count.min(n);
        match self {
            Set::Ints(s) => {
                for i in sample_indexes(n, count, rng) {
                    f(Member::Int(s.get(i)));
                }
            }
            Set::Table(d) => {
                if count * 3 > n {
                    let mut ids: Vec<EntryId> = d.iter().collect();
                    partial_shuffle(&mut ids, count, rng);
                    for &id in &ids[..count] {
                        f(Member::Bytes(d.key(id).as_slice()));
                    }
                } else {
                    let mut seen = std::collections::HashSet::with_capacity(count);
                    while seen.len() < count {
                        let Some(id) = d.random_entry(&mut || rng.next_u64()) else {
                            break;
                        };
                        if seen.insert(id) {
                            f(Member::Bytes(d.key(id).as_slice()));
                        }
                    }
                }
            }
        }
    }

    /// Removes `count` random members (count below `len()`), calling `f` on
    /// each. When most of the set goes, the members that stay are picked
    /// instead and moved to a new set (which, as in Redis, gets the encoding
    /// its members call for under `max_ints`), and the rest are handed out in
    /// one sweep.
    pub fn pop_many(
        &mut self,
        count: usize,
        max_ints: usize,
        rng: &mut Rng,
        mut f: impl FnMut(Member),
    ) {
        let n = self.len();
        let count = count.min(n);
        let remaining = n - count;
        if let Set::Ints(s) = self {
            if remaining * 5 > count {
                // Random members, removed in one rewrite.
                let mut idx = sample_indexes(n, count, rng);
                for &i in &idx {
                    f(Member::Int(s.get(i)));
                }
                idx.sort_unstable();
                s.remove_indexes(&idx);
                return;
            }
        }
        if remaining * 5 > count {
            for _ in 0..count {
                match self.pop_random(rng) {
                    Some(p) => f(p.as_member()),
                    None => break,
                }
            }
            return;
        }
        // Keep `remaining` random members in a new set; what is left in the
        // old one is the reply.
        let mut kept = Builder::default();
        for _ in 0..remaining {
            match self.pop_random(rng) {
                Some(p) => kept.add(p.as_member()),
                None => break,
            }
        }
        let kept = kept.finish(max_ints);
        let old = std::mem::replace(self, kept);
        for m in old.iter() {
            f(m);
        }
    }

    /// One SSCAN step from `cursor`: an intset answers everything at once
    /// (next cursor 0); a table visits buckets until about `count` members
    /// were seen (at most 10 * count buckets). Returns the next cursor.
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut f: impl FnMut(Member<'a>)) -> u64 {
        match self {
            Set::Ints(s) => {
                s.iter().for_each(|n| f(Member::Int(n)));
                0
            }
            Set::Table(d) => {
                let mut budget = count.saturating_mul(10);
                let mut seen = 0usize;
                let mut cur = cursor;
                loop {
                    cur = d.scan(cur, |id| {
                        seen += 1;
                        f(Member::Bytes(d.key(id).as_slice()));
                    });
                    if cur == 0 || budget == 0 || seen >= count {
                        break;
                    }
                    budget -= 1;
                }
                cur
            }
        }
    }
}

/// `count` distinct indexes of `0..n`, in random order.
fn sample_indexes(n: usize, count: usize, rng: &mut Rng) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    partial_shuffle(&mut idx, count, rng);
    idx.truncate(count);
    idx
}

/// Moves `count` random elements of `v` to its front (Fisher-Yates, stopped).
fn partial_shuffle<T>(v: &mut [T], count: usize, rng: &mut Rng) {
    let n = v.len();
    for i in 0..count.min(n) {
        let j = i + rng.below(n - i);
        v.swap(i, j);
    }
}

// ---------------------------------------------------------------------------
// Operations across sets (SINTER, SUNION, SDIFF and their STORE forms)
// ---------------------------------------------------------------------------

/// Calls `f` on the members common to every set of `sets` (none may be
/// missing: an absent key makes the result empty, the caller's business),
/// stopping after `limit` of them when `limit` > 0. Walks the smallest set
/// and probes the others, so members come in that set's order.
pub fn intersect(sets: &mut [&Set], limit: usize, mut f: impl FnMut(Member)) {
    sets.sort_by_key(|s| s.len());
    let Some((first, rest)) = sets.split_first() else {
        return;
    };
    let mut found = 0usize;
    for m in first.iter() {
        if rest.iter().all(|s| s.contains_member(m)) {
            f(m);
            found += 1;
            if limit > 0 && found >= limit {
                return;
            }
        }
    }
}

/// Collects members for a new set (the STORE results, what SPOP keeps):
/// integers are gathered and packed once at the end; the first
/// non-integer turns the collection into a table. `finish` gives the set
/// that adding the members one by one to an empty set would give.
#[derive(Default)]
pub struct Builder {
    ints: Vec<i64>,
    table: Option<Set>,
}

impl Builder {
    pub fn add(&mut self, m: Member) {
        if let Some(t) = &mut self.table {
            t.add_member(m, 0);
            return;
        }
        match m.as_int() {
            Some(n) => self.ints.push(n),
            None => {
                let mut t = Set::Table(Box::new(Dict::tagged()));
                for n in self.ints.drain(..) {
                    t.add_member(Member::Int(n), 0);
                }
                t.add_member(m, 0);
                self.table = Some(t);
            }
        }
    }

    pub fn finish(mut self, max_ints: usize) -> Set {
        if let Some(t) = self.table {
            return t;
        }
        self.ints.sort_unstable();
        self.ints.dedup();
        let mut s = Set::Ints(IntSet::from_sorted(&self.ints));
        if s.len() > max_ints {
            s.convert_to_table();
        }
        s
    }
}

/// The union of `sets` (missing keys are `None`), as a new set.
pub fn union(sets: &[Option<&Set>], max_ints: usize) -> Set {
    let mut out = Builder::default();
    for s in sets.iter().flatten() {
        s.iter().for_each(|m| out.add(m));
    }
    out.finish(max_ints)
}

/// The members of the first set found in none of the others, as a new set.
pub fn diff(sets: &[Option<&Set>], max_ints: usize) -> Set {
    let mut out = Builder::default();
    let Some(Some(first)) = sets.first() else {
        return Set::new();
    };
    let others: Vec<&Set> = sets[1..].iter().flatten().copied().collect();
    for m in first.iter() {
        if !others.iter().any(|s| s.contains_member(m)) {
            out.add(m);
        }
    }
    out.finish(max_ints)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn members(s: &Set) -> BTreeSet<Vec<u8>> {
        let mut out = BTreeSet::new();
        s.for_each(|m| {
            out.insert(m.to_vec());
        });
        out
    }

    /// Random SADD/SREM/SISMEMBER against a BTreeSet, across width upgrades,
    /// rebases and the conversion to a table.
    #[test]
    fn random_ops_match_a_model() {
        let mut rng = Rng::new(0x5e75);
        for round in 0..40 {
            let mut s = Set::new();
            let mut model: BTreeSet<Vec<u8>> = BTreeSet::new();
            let max_ints = 64 + round;
            let allow_strings = round % 4 == 3;
            for step in 0..3000 {
                // Widen the value range as we go so widths grow.
                let scale = [10i64, 1000, 100_000, 10_000_000_000, i64::MAX][step / 600];
                let r = rng.next_u64();
                let n = (r as i64) % scale;
                let member = if allow_strings && r.is_multiple_of(97) {
                    format!("m{n}").into_bytes()
                } else if r.is_multiple_of(53) {
                    // Non-canonical integer forms stay strings.
                    format!("+{}", n.unsigned_abs()).into_bytes()
                } else {
                    n.to_string().into_bytes()
                };
                match rng.below(4) {
                    0 => assert_eq!(s.add(&member, max_ints), model.insert(member.clone())),
                    3 => {
                        // A batch, as SADD sends it: the member and neighbours.
                        let batch: Vec<Vec<u8>> = (0..1 + rng.below(4))
                            .map(|k| {
                                if k == 0 {
                                    member.clone()
                                } else {
                                    (n.wrapping_add(k as i64)).to_string().into_bytes()
                                }
                            })
                            .collect();
                        let distinct: BTreeSet<&Vec<u8>> = batch.iter().collect();
                        let new = distinct.iter().filter(|m| !model.contains(**m)).count();
                        let mut seq = s.duplicate();
                        for m in &batch {
                            seq.add(m, max_ints);
                        }
                        assert_eq!(
                            s.add_many(|| batch.iter().map(|m| m.as_slice()), max_ints),
                            new
                        );
                        assert_eq!(s.encoding(), seq.encoding(), "batch as one by one");
                        model.extend(batch);
                    }
                    1 => assert_eq!(s.remove(&member), model.remove(&member)),
                    _ => assert_eq!(s.contains(&member), model.contains(&member)),
                }
                assert_eq!(s.len(), model.len());
                if let Set::Ints(i) = &s {
                    assert!(i.len() <= max_ints);
                    let v: Vec<i64> = i.iter().collect();
                    assert!(v.windows(2).all(|w| w[0] < w[1]), "intset stays sorted");
                }
            }
            assert_eq!(members(&s), model);
        }
    }

    #[test]
    fn encodings_follow_redis_rules() {
        let mut s = Set::new();
        for m in ["1", "-9223372036854775808", "9223372036854775807"] {
            assert!(s.add(m.as_bytes(), 512));
        }
        assert_eq!(s.encoding(), "intset");
        for m in ["01", "+1", " 1", "-0", "9223372036854775808"] {
            let mut t = Set::new();
            t.add(m.as_bytes(), 512);
            assert_eq!(t.encoding(), "hashtable", "{m}");
        }
        let mut s = Set::new();
        for i in 0..4 {
            s.add(i.to_string().as_bytes(), 4);
        }
        assert_eq!(s.encoding(), "intset");
        s.add(b"4", 4);
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.contains(b"4") && s.remove(b"0") && !s.contains(b"0"));
    }

    #[test]
    fn pops_and_samples_are_distinct() {
        let mut rng = Rng::new(7);
        for big in [false, true] {
            let mut s = Set::new();
            for i in 0..200 {
                let m = if big { format!("x{i}") } else { i.to_string() };
                s.add(m.as_bytes(), 512);
            }
            for count in [1, 10, 100, 199] {
                let mut got = BTreeSet::new();
                s.random_distinct(count, &mut rng, |m| {
                    m.with_bytes(|b| assert!(got.insert(b.to_vec())));
                });
                assert_eq!(got.len(), count);
            }
            let mut popped = BTreeSet::new();
            s.pop_many(150, 512, &mut rng, |m| {
                m.with_bytes(|b| assert!(popped.insert(b.to_vec())));
            });
            assert_eq!(popped.len(), 150);
            assert_eq!(s.len(), 50);
            assert!(members(&s).is_disjoint(&popped));
            s.pop_many(10, 512, &mut rng, |_| {});
            assert_eq!(s.len(), 40);
        }
    }

    /// A full SSCAN of a table, in small steps with members added and removed
    /// between calls, returns every member present throughout.
    #[test]
    fn scan_covers_a_changing_table() {
        let mut s = Set::new();
        for i in 0..500 {
            s.add(format!("m{i}").as_bytes(), 512);
        }
        let mut seen = BTreeSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = s.scan(cursor, 7, |m| {
                m.with_bytes(|b| seen.insert(b.to_vec()));
            });
            step += 1;
            // Grow (rehash) and shrink while the scan is under way.
            s.add(format!("extra{step}").as_bytes(), 512);
            if step % 3 == 0 {
                s.remove(format!("extra{}", step - 1).as_bytes());
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..500 {
            assert!(seen.contains(format!("m{i}").as_bytes()), "m{i} missed");
        }
        let mut ints = Set::new();
        for i in [5, 1, 3] {
            ints.add(i.to_string().as_bytes(), 512);
        }
        let mut got = Vec::new();
        assert_eq!(ints.scan(99, 1, |m| got.push(m)), 0);
        assert_eq!(got, vec![Member::Int(1), Member::Int(3), Member::Int(5)]);
    }

    #[test]
    fn set_algebra() {
        let mk = |ms: &[&str]| {
            let mut s = Set::new();
            for m in ms {
                s.add(m.as_bytes(), 512);
            }
            s
        };
        let a = mk(&["1", "2", "3", "x"]);
        let b = mk(&["2", "3", "4"]);
        let mut got = Vec::new();
        intersect(&mut [&a, &b], 0, |m| got.push(m.with_bytes(|b| b.to_vec())));
        assert_eq!(got, vec![b"2".to_vec(), b"3".to_vec()]);
        let u = union(&[Some(&a), None, Some(&b)], 512);
        assert_eq!(u.len(), 5);
        assert_eq!(u.encoding(), "hashtable");
        let d = diff(&[Some(&b), Some(&a)], 512);
        assert_eq!(d.encoding(), "intset");
        assert_eq!(members(&d), BTreeSet::from([b"4".to_vec()]));
        assert!(diff(&[None, Some(&a)], 512).is_empty());
    }
}
