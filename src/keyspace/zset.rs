//! The sorted set type, in Redis 7.0's two encodings: a listpack of
//! alternating members and scores, ordered by (score, member), while the set
//! has at most zset-max-listpack-entries members of at most
//! zset-max-listpack-value bytes; else an ordered structure with O(log n)
//! insert, delete, rank and range, plus a member -> score table.
//!
//! (Skeleton laid down with the value enum; the sorted-set work fills in
//! the ordered structure and the operations the commands need.)

use super::listpack::Listpack;

pub enum Zset {
    /// member, score, member, score... in (score, member) order; scores as
    /// their shortest round-trip text.
    Listpack(Listpack),
}

impl Zset {
    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            Zset::Listpack(lp) => lp.len() / 2,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        match self {
            Zset::Listpack(_) => "listpack",
        }
    }

    /// Heap bytes held (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match self {
            Zset::Listpack(lp) => lp.heap_size(),
        }
    }

    /// A deep copy (COPY).
    pub fn duplicate(&self) -> Zset {
        match self {
            Zset::Listpack(lp) => Zset::Listpack(lp.clone()),
        }
    }

    /// Calls `f` on every member and its score, in order (DEBUG DIGEST, RDB).
    pub fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            Zset::Listpack(lp) => {
                let mut it = lp.iter();
                while let (Some(m), Some(s)) = (it.next(), it.next()) {
                    let score = std::str::from_utf8(s)
                        .ok()
                        .and_then(|t| t.parse().ok())
                        .unwrap_or(0.0);
                    f(m, score);
                }
            }
        }
    }
}
