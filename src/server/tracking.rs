//! Client-side caching (CLIENT TRACKING): which clients may hold which keys,
//! and the invalidation messages sent when those keys change.
//!
//! - Default mode: after a read-only command of a tracking client, its keys
//!   go in the table (key -> client ids; key names only, not databases, as
//!   Redis). A write to a key (the keyspace records it, as for WATCH) sends
//!   every client in its entry one invalidation and drops the entry. OPTIN
//!   tracks only after `CLIENT CACHING yes`, OPTOUT all but after
//!   `CLIENT CACHING no`; NOLOOP skips invalidating the writer itself.
//! - BCAST: no table; a write to a key under one of the client's prefixes
//!   (every key when it has none) is queued on the prefix, and the loop
//!   sends each client one message per prefix with the keys (sorted, once
//!   each) before it waits for events again.
//! - FLUSHDB/FLUSHALL send every tracking client an invalidation with a
//!   null key list.
//!
//! A message goes to the client itself in RESP3 (a push `invalidate`), or
//! with REDIRECT to the client named, which in RESP2 must be subscribed to
//! `__redis__:invalidate` (a Pub/Sub message). A message for the client
//! that caused it comes after that command's reply. Entries of clients that
//! stopped tracking are skipped when met, as in Redis.

use std::collections::HashMap;

use slab::Slab;

use super::client::Client;
use crate::keyspace::hasher::FastBuildHasher;
use crate::protocol::reply::ReplyBuf;

/// A client's tracking settings.
#[derive(Clone, Debug, Default)]
pub struct ClientTracking {
    pub on: bool,
    /// REDIRECT target's client id (0: none).
    pub redirect: u64,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    pub prefixes: Vec<Vec<u8>>,
    /// CLIENT CACHING yes/no given for the next command.
    pub caching: Option<bool>,
    /// The redirect target went away (reported once).
    pub broken_redirect: bool,
}

/// One BCAST prefix: its clients and the keys written under it since the
/// last broadcast, with the client that wrote each (for NOLOOP).
#[derive(Debug, Default)]
struct Prefix {
    clients: Vec<u64>,
    pending: Vec<(Vec<u8>, Option<u64>)>,
}

#[derive(Debug, Default)]
pub struct Tracking {
    table: HashMap<Vec<u8>, Vec<u64>, FastBuildHasher>,
    /// BCAST prefixes, kept sorted (broadcasts go out in prefix order).
    prefixes: Vec<(Vec<u8>, Prefix)>,
    /// Clients with tracking on (INFO tracking_clients).
    pub clients: usize,
    /// Invalidations for the running command's own client, sent after its
    /// reply: a key, or None for a flush.
    pub pending_self: Vec<Option<Vec<u8>>>,
}

/// Where a message goes and how it is framed.
struct Receiver {
    slab_key: usize,
    resp3: bool,
}

impl Tracking {
    /// Whether writes must be recorded for tracking.
    pub fn active(&self) -> bool {
        self.clients > 0
    }

    /// Keys in the table (INFO tracking_total_keys).
    pub fn total_keys(&self) -> usize {
        self.table.len()
    }

    /// Client ids in all entries (INFO tracking_total_items).
    pub fn total_items(&self) -> usize {
        self.table.values().map(Vec::len).sum()
    }

    /// BCAST prefixes (INFO tracking_total_prefixes).
    pub fn total_prefixes(&self) -> usize {
        self.prefixes.len()
    }

    /// Turns tracking on for a client with validated settings.
    pub fn enable(&mut self, c: &mut Client, t: ClientTracking) {
        if !c.tracking.on {
            self.clients += 1;
        }
        if t.bcast {
            for p in &t.prefixes {
                self.add_prefix(p, c.id);
            }
            if t.prefixes.is_empty() {
                self.add_prefix(b"", c.id);
            }
        }
        c.tracking = t;
    }

    fn add_prefix(&mut self, p: &[u8], id: u64) {
        let i = match self.prefixes.binary_search_by(|(q, _)| q.as_slice().cmp(p)) {
            Ok(i) => i,
            Err(i) => {
                self.prefixes.insert(i, (p.to_vec(), Prefix::default()));
                i
            }
        };
        let cl = &mut self.prefixes[i].1.clients;
        if !cl.contains(&id) {
            cl.push(id);
        }
    }

    /// Turns tracking off (CLIENT TRACKING off, RESET, disconnect).
    pub fn disable(&mut self, c: &mut Client) {
        if !c.tracking.on {
            return;
        }
        self.clients -= 1;
        if c.tracking.bcast {
            let id = c.id;
            self.prefixes.retain_mut(|(_, p)| {
                p.clients.retain(|&x| x != id);
                !p.clients.is_empty()
            });
        }
        c.tracking = ClientTracking::default();
    }

    /// Remembers the keys a read-only command of tracking client `c` read.
    pub fn remember<'a>(&mut self, c: &Client, keys: impl Iterator<Item = &'a [u8]>) {
        let t = &c.tracking;
        if !t.on || t.bcast {
            return;
        }
        if (t.optin && t.caching != Some(true)) || (t.optout && t.caching == Some(false)) {
            return;
        }
        for k in keys {
            let ids = self.table.entry(k.to_vec()).or_default();
            if !ids.contains(&c.id) {
                ids.push(c.id);
            }
        }
    }

    /// A key was written by client `writer` (slab key; None outside
    /// commands): invalidates it for the clients that may cache it, and
    /// queues it for the BCAST prefixes it falls under.
    pub fn invalidate_key(
        &mut self,
        clients: &mut Slab<Client>,
        writer: Option<usize>,
        caller: (usize, &mut ReplyBuf),
        touched: &mut Vec<usize>,
        key: &[u8],
    ) {
        let writer_id = writer.and_then(|w| clients.get(w)).map(|c| c.id);
        for (p, pre) in self.prefixes.iter_mut() {
            if key.starts_with(p) && !pre.pending.iter().any(|(k, _)| k == key) {
                pre.pending.push((key.to_vec(), writer_id));
            }
        }
        let Some(ids) = self.table.remove(key) else {
            return;
        };
        let (cid, out) = caller;
        for id in ids {
            let Some(target) = slab_of(clients, id) else {
                continue;
            };
            let t = &clients[target].tracking;
            if !t.on || t.bcast || (t.noloop && Some(target) == writer) {
                continue;
            }
            if Some(target) == writer && target == cid {
                self.pending_self.push(Some(key.to_vec()));
                continue;
            }
            send(clients, target, (cid, &mut *out), touched, Some(&[key]));
        }
    }

    /// FLUSHDB/FLUSHALL: every tracking client gets a null invalidation
    /// (the caller's after its reply) and the table is emptied.
    pub fn invalidate_all(
        &mut self,
        clients: &mut Slab<Client>,
        caller: (usize, &mut ReplyBuf),
        touched: &mut Vec<usize>,
    ) {
        self.table.clear();
        if self.clients == 0 {
            return;
        }
        let (cid, out) = caller;
        let targets: Vec<usize> = clients
            .iter()
            .filter(|(_, c)| c.tracking.on)
            .map(|(k, _)| k)
            .collect();
        for k in targets {
            if k == cid {
                self.pending_self.push(None);
            } else {
                send(clients, k, (cid, &mut *out), touched, None);
            }
        }
    }

    /// Sends the invalidations that were waiting for the caller's reply.
    pub fn flush_self(
        &mut self,
        clients: &mut Slab<Client>,
        caller: (usize, &mut ReplyBuf),
        touched: &mut Vec<usize>,
    ) {
        let (cid, out) = caller;
        for k in std::mem::take(&mut self.pending_self) {
            match k {
                Some(key) => send(clients, cid, (cid, &mut *out), touched, Some(&[&key])),
                None => send(clients, cid, (cid, &mut *out), touched, None),
            }
        }
    }

    /// Sends the BCAST messages queued since the last call: per prefix, per
    /// client, the keys written (but not those the client wrote itself under
    /// NOLOOP), sorted.
    pub fn broadcast(&mut self, clients: &mut Slab<Client>, touched: &mut Vec<usize>) {
        let mut scratch = ReplyBuf::empty();
        for (_, pre) in self.prefixes.iter_mut() {
            if pre.pending.is_empty() {
                continue;
            }
            let mut pending = std::mem::take(&mut pre.pending);
            pending.sort();
            for &id in &pre.clients {
                let Some(target) = slab_of(clients, id) else {
                    continue;
                };
                let noloop = clients[target].tracking.noloop;
                let keys: Vec<&[u8]> = pending
                    .iter()
                    .filter(|(_, w)| !(noloop && *w == Some(id)))
                    .map(|(k, _)| k.as_slice())
                    .collect();
                if !keys.is_empty() {
                    send(
                        clients,
                        target,
                        (usize::MAX, &mut scratch),
                        touched,
                        Some(&keys),
                    );
                }
            }
        }
    }
}

/// The slab key of the client with this id.
fn slab_of(clients: &Slab<Client>, id: u64) -> Option<usize> {
    clients.iter().find(|(_, c)| c.id == id).map(|(k, _)| k)
}

/// Frames and appends one invalidation for tracking client `target` (to it,
/// or to its REDIRECT client); `keys` None is a flush.
fn send(
    clients: &mut Slab<Client>,
    target: usize,
    caller: (usize, &mut ReplyBuf),
    touched: &mut Vec<usize>,
    keys: Option<&[&[u8]]>,
) {
    let (cid, out) = caller;
    let t = &clients[target].tracking;
    let rcv = if t.redirect != 0 {
        match slab_of(clients, t.redirect) {
            Some(r) => {
                let rc = &clients[r];
                let subscribed = rc
                    .subs
                    .channels
                    .iter()
                    .any(|ch| ch == b"__redis__:invalidate");
                let resp3 = if r == cid { out.resp3 } else { rc.out.resp3 };
                if !resp3 && !subscribed {
                    return;
                }
                Receiver { slab_key: r, resp3 }
            }
            None => {
                // The redirect target is gone: a RESP3 client hears of it
                // once; the invalidation itself is lost.
                let c = &mut clients[target];
                let first = !c.tracking.broken_redirect;
                c.tracking.broken_redirect = true;
                let resp3 = if target == cid {
                    out.resp3
                } else {
                    c.out.resp3
                };
                if first && resp3 {
                    let redirect = c.tracking.redirect;
                    let buf = if target == cid { &mut *out } else { &mut c.out };
                    buf.push(2);
                    buf.bulk(b"tracking-redir-broken");
                    buf.int(redirect as i64);
                    note_touched(clients, touched, target, cid);
                }
                return;
            }
        }
    } else {
        let resp3 = if target == cid {
            out.resp3
        } else {
            clients[target].out.resp3
        };
        if !resp3 {
            // RESP2 without REDIRECT cannot receive pushes.
            return;
        }
        Receiver {
            slab_key: target,
            resp3: true,
        }
    };
    let c = &mut clients[rcv.slab_key];
    if c.close.is_some() {
        return;
    }
    let buf = if rcv.slab_key == cid {
        &mut *out
    } else {
        &mut c.out
    };
    let was = buf.resp3;
    buf.resp3 = rcv.resp3;
    if rcv.resp3 {
        buf.push(2);
        buf.bulk(b"invalidate");
    } else {
        buf.array(3);
        buf.bulk(b"message");
        buf.bulk(b"__redis__:invalidate");
    }
    match keys {
        Some(ks) => {
            buf.array(ks.len());
            for k in ks {
                buf.bulk(k);
            }
        }
        None => buf.null(),
    }
    buf.resp3 = was;
    note_touched(clients, touched, rcv.slab_key, cid);
}

/// Queues a client given output outside its own command for writing.
fn note_touched(clients: &mut Slab<Client>, touched: &mut Vec<usize>, k: usize, cid: usize) {
    if k == cid {
        return;
    }
    let c = &mut clients[k];
    if !c.in_touched {
        c.in_touched = true;
        touched.push(k);
    }
}
