//! The set type, in Redis 7.0's two encodings: an intset (sorted integers
//! packed at the narrowest width that holds them all) while every member is
//! an integer and there are at most set-max-intset-entries of them, else a
//! hash table of members.
//!
//! (Skeleton laid down with the value enum; the set work fills in the intset
//! and the operations the commands need.)

use super::dict::Dict;
use super::small_bytes::SmallBytes;

pub enum Set {
    /// Sorted, distinct integers.
    Ints(Vec<i64>),
    Table(Dict<SmallBytes, ()>),
}

impl Set {
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
            Set::Ints(v) => v.capacity() * 8,
            Set::Table(d) => {
                d.heap_bytes() + d.iter().map(|id| d.key(id).heap_size()).sum::<usize>()
            }
        }
    }

    /// A deep copy (COPY).
    pub fn duplicate(&self) -> Set {
        match self {
            Set::Ints(v) => Set::Ints(v.clone()),
            Set::Table(d) => {
                let mut t = Dict::new();
                for id in d.iter() {
                    t.insert_new(d.key(id).clone(), ());
                }
                Set::Table(t)
            }
        }
    }

    /// Calls `f` on every member, in no particular order (DEBUG DIGEST, RDB).
    pub fn for_each(&self, mut f: impl FnMut(&[u8])) {
        match self {
            Set::Ints(v) => {
                let mut tmp = [0u8; 24];
                for &n in v {
                    f(super::value::int_digits(n, &mut tmp));
                }
            }
            Set::Table(d) => d.iter().for_each(|id| f(d.key(id))),
        }
    }
}
