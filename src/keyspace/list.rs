//! The list type: a quicklist, Redis 7.0's only list encoding: a deque of
//! listpack nodes, so pushes and pops at either end are O(1) and an index in
//! the middle of a long list skips whole nodes instead of walking elements.
//!
//! (Skeleton laid down with the value enum; the list work fills in the node
//! size limits, compression depth and the operations the commands need.)

use std::collections::VecDeque;

use super::listpack::Listpack;

#[derive(Clone, Default, Debug)]
pub struct List {
    nodes: VecDeque<Listpack>,
    len: usize,
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
}
