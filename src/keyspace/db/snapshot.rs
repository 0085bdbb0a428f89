//! A database's side of a fork-less point-in-time snapshot (versioned
//! serialization, as Dragonfly does it).
//!
//! Every entry carries one snapshot bit in its meta. Outside a snapshot all
//! entries' bits equal the database's `snap_bit`. Starting a snapshot flips
//! `snap_bit`, so every existing entry is "not yet written"; entries created
//! afterwards get the new bit and are not part of the image. The walker
//! (`snapshot_step`) goes over the table with the SCAN cursor, which meets
//! every entry present for the whole walk at least once across rehashes, and
//! writes each entry whose bit still differs, flipping it. A write to an entry
//! not yet written (the `note_write` hook: change, TTL change, delete, expiry)
//! writes its old state first. So the records are exactly the dataset as of
//! the start, whatever happens during the walk, and no value is copied.
//!
//! Records go to `out` (RDB records of this database); the server side
//! (`persistence::rdb::snapshot`) collects them and hands them to the writer
//! thread. A discarded snapshot (aborted) keeps walking without writing, to
//! bring every bit back in line.

use super::{Db, LRU_MASK, META_SNAPSHOT};
use crate::keyspace::dict::EntryId;
use crate::persistence::rdb::file::{write_record, RecordOpts};

/// The running snapshot of one database.
pub struct DbSnapshot {
    cursor: u64,
    walked: bool,
    discard: bool,
    opts: RecordOpts,
    out: Vec<u8>,
    /// Records written so far.
    pub records: u64,
    scratch: Vec<EntryId>,
}

impl Db {
    /// Starts a snapshot of this database (none may be running).
    pub fn snapshot_begin(&mut self, opts: RecordOpts) {
        debug_assert!(self.snap.is_none());
        self.snap_bit ^= META_SNAPSHOT;
        self.snap = Some(Box::new(DbSnapshot {
            cursor: 0,
            walked: self.dict.is_empty(),
            discard: false,
            opts,
            out: Vec::new(),
            records: 0,
            scratch: Vec::new(),
        }));
    }

    /// Whether a snapshot is running here (walking or waiting to be ended).
    pub fn snapshot_running(&self) -> bool {
        self.snap.is_some()
    }

    /// Walks up to about `budget` entries (at least one bucket); true when
    /// the walk is complete.
    pub fn snapshot_step(&mut self, budget: usize) -> bool {
        let Some(snap) = self.snap.as_mut() else {
            return true;
        };
        if snap.walked {
            return true;
        }
        let mut ids = std::mem::take(&mut snap.scratch);
        let mut cursor = snap.cursor;
        let mut seen = 0usize;
        loop {
            ids.clear();
            cursor = self.dict.scan(cursor, |id| ids.push(id));
            for &id in &ids {
                self.snapshot_entry(id);
            }
            seen += ids.len() + 1;
            if cursor == 0 || seen >= budget {
                break;
            }
        }
        let snap = self.snap.as_mut().expect("snapshot running");
        snap.cursor = cursor;
        snap.scratch = ids;
        if cursor == 0 {
            snap.walked = true;
        }
        snap.walked
    }

    /// Finishes the walk at once (before FLUSHDB or SWAPDB change the whole
    /// table under it).
    pub fn snapshot_walk_all(&mut self) {
        while !self.snapshot_step(usize::MAX) {}
    }

    /// The records written since the last call.
    pub fn snapshot_take(&mut self) -> Vec<u8> {
        match self.snap.as_mut() {
            Some(s) => std::mem::take(&mut s.out),
            None => Vec::new(),
        }
    }

    /// Records written by the running snapshot.
    pub fn snapshot_records(&self) -> u64 {
        self.snap.as_ref().map_or(0, |s| s.records)
    }

    /// Records waiting in the buffer.
    pub fn snapshot_pending(&self) -> usize {
        self.snap.as_ref().map_or(0, |s| s.out.len())
    }

    /// Stops writing records; the walk goes on (bits only) until complete.
    pub fn snapshot_discard(&mut self) {
        if let Some(s) = self.snap.as_mut() {
            s.discard = true;
            s.out = Vec::new();
        }
    }

    /// Ends a walked snapshot; returns how many records it wrote.
    pub fn snapshot_end(&mut self) -> u64 {
        debug_assert!(self.snap.as_ref().is_none_or(|s| s.walked));
        self.snap.take().map_or(0, |s| s.records)
    }

    /// Writes an entry's current state if the snapshot has not yet, and
    /// marks it written. Called before every change to an entry.
    pub(super) fn snapshot_entry(&mut self, id: EntryId) {
        let m = self.dict.meta(id);
        if m & META_SNAPSHOT == self.snap_bit {
            return;
        }
        self.dict.set_meta(id, m ^ META_SNAPSHOT);
        let expire = self.expire_of(id);
        let Some(snap) = self.snap.as_mut() else {
            return;
        };
        if snap.discard {
            return;
        }
        let (k, v) = self.dict.entry(id);
        write_record(
            &mut snap.out,
            k.as_ref(),
            v,
            expire,
            m & LRU_MASK,
            &snap.opts,
        );
        snap.records += 1;
    }
}
