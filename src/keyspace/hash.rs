//! The hash type, in Redis 7.0's two encodings: a listpack of alternating
//! fields and values while the hash has at most hash-max-listpack-entries
//! fields and no field or value longer than hash-max-listpack-value bytes,
//! else a hash table of fields to values.
//!
//! (Skeleton laid down with the value enum; the hash work fills in the
//! conversions and the operations the commands need.)

use super::dict::Dict;
use super::listpack::Listpack;
use super::small_bytes::SmallBytes;

pub enum Hash {
    /// field, value, field, value...
    Listpack(Listpack),
    Table(Dict<SmallBytes, SmallBytes>),
}

impl Hash {
    /// Number of fields.
    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(lp) => lp.len() / 2,
            Hash::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    /// Heap bytes held (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match self {
            Hash::Listpack(lp) => lp.heap_size(),
            Hash::Table(d) => {
                d.heap_bytes()
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
        match self {
            Hash::Listpack(lp) => Hash::Listpack(lp.clone()),
            Hash::Table(d) => {
                let mut t = Dict::new();
                for id in d.iter() {
                    let (k, v) = d.entry(id);
                    t.insert_new(k.clone(), v.clone());
                }
                Hash::Table(t)
            }
        }
    }

    /// Calls `f` on every field and its value, in no particular order (DEBUG
    /// DIGEST, RDB).
    pub fn for_each(&self, mut f: impl FnMut(&[u8], &[u8])) {
        match self {
            Hash::Listpack(lp) => {
                let mut it = lp.iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    f(k, v);
                }
            }
            Hash::Table(d) => d.iter().for_each(|id| {
                let (k, v) = d.entry(id);
                f(k, v)
            }),
        }
    }
}
