//! The expiry index of one database: which entries have a TTL, and when.
//!
//! Only keys with a TTL pay for it: their entry carries a flag bit and the time
//! lives here, in a dense vector (so the active expiry cycle can sample random
//! keys with a TTL in O(1), as Redis samples its `expires` dict) plus a map from
//! entry id to slot.

use std::collections::HashMap;

use super::dict::EntryId;
use super::hasher::FastBuildHasher;

#[derive(Default)]
pub struct Expires {
    slots: Vec<(EntryId, i64)>,
    index: HashMap<EntryId, u32, FastBuildHasher>,
}

impl Expires {
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn get(&self, id: EntryId) -> Option<i64> {
        self.index.get(&id).map(|&s| self.slots[s as usize].1)
    }

    pub fn set(&mut self, id: EntryId, when: i64) {
        if let Some(&s) = self.index.get(&id) {
            self.slots[s as usize].1 = when;
        } else {
            self.index.insert(id, self.slots.len() as u32);
            self.slots.push((id, when));
        }
    }

    pub fn remove(&mut self, id: EntryId) -> Option<i64> {
        let s = self.index.remove(&id)? as usize;
        let (_, when) = self.slots.swap_remove(s);
        if s < self.slots.len() {
            let moved = self.slots[s].0;
            self.index.insert(moved, s as u32);
        }
        Some(when)
    }

    /// The entry in slot `i` (for sampling: `i < len()`).
    pub fn slot(&self, i: usize) -> (EntryId, i64) {
        self.slots[i]
    }

    pub fn clear(&mut self) {
        self.slots.clear();
        self.index.clear();
        self.slots.shrink_to_fit();
        self.index.shrink_to_fit();
    }

    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * 16 + self.index.capacity() * 12
    }
}
