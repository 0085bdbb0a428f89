//! Pub/Sub state: which clients listen to which channels, shard channels and
//! patterns, and the delivery of messages into their output buffers.
//!
//! The registry maps each channel to its subscribers (slab keys, in
//! subscription order) and keeps patterns in the order they were first
//! subscribed; each client keeps its own lists too (`Client::subs`), so
//! both "who listens to X" (PUBLISH) and "what does this client listen to"
//! (UNSUBSCRIBE with no argument, disconnect) are direct.
//!
//! A message is encoded once per protocol (RESP2 array, RESP3 push) and per
//! matching pattern, then copied into each receiver's output buffer: PUBLISH
//! to 1,000 subscribers formats it twice at most, not 1,000 times. The
//! receivers are remembered in `touched` for the loop to queue their writes
//! and check their output limits (the pubsub class), as it does for
//! MONITOR clients.

use std::collections::HashMap;

use slab::Slab;

use super::client::Client;
use crate::keyspace::hasher::FastBuildHasher;
use crate::protocol::reply::ReplyBuf;
use crate::util::glob::glob_match;

/// The three kinds of subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    /// The reply names of subscribing and unsubscribing.
    pub fn verbs(self) -> (&'static str, &'static str) {
        match self {
            Kind::Channel => ("subscribe", "unsubscribe"),
            Kind::Pattern => ("psubscribe", "punsubscribe"),
            Kind::Shard => ("ssubscribe", "sunsubscribe"),
        }
    }
}

/// A client's subscriptions, each list in subscription order.
#[derive(Debug, Default)]
pub struct ClientSubs {
    pub channels: Vec<Vec<u8>>,
    pub patterns: Vec<Vec<u8>>,
    pub shard: Vec<Vec<u8>>,
}

impl ClientSubs {
    pub fn list(&self, kind: Kind) -> &Vec<Vec<u8>> {
        match kind {
            Kind::Channel => &self.channels,
            Kind::Pattern => &self.patterns,
            Kind::Shard => &self.shard,
        }
    }

    fn list_mut(&mut self, kind: Kind) -> &mut Vec<Vec<u8>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    /// Subscribed to anything (the client is then in Pub/Sub mode).
    pub fn any(&self) -> bool {
        !(self.channels.is_empty() && self.patterns.is_empty() && self.shard.is_empty())
    }

    /// The count a (un)subscribe reply carries: channels and patterns
    /// together, shard channels on their own, as Redis 7.0.
    pub fn count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Shard => self.shard.len(),
            _ => self.channels.len() + self.patterns.len(),
        }
    }
}

type Registry = HashMap<Vec<u8>, Vec<usize>, FastBuildHasher>;

#[derive(Debug, Default)]
pub struct PubSub {
    channels: Registry,
    shard: Registry,
    /// Patterns with their subscribers, in first-subscription order.
    patterns: Vec<(Vec<u8>, Vec<usize>)>,
    /// Clients (other than the caller) given messages by the running
    /// command, for the loop to write to.
    pub touched: Vec<usize>,
}

impl PubSub {
    fn registry(&mut self, kind: Kind) -> &mut Registry {
        match kind {
            Kind::Shard => &mut self.shard,
            _ => &mut self.channels,
        }
    }

    /// Subscribes client `cid` to `name`; false if it already was.
    pub fn subscribe(&mut self, c: &mut Client, cid: usize, kind: Kind, name: &[u8]) -> bool {
        let mine = c.subs.list_mut(kind);
        if mine.iter().any(|n| n == name) {
            return false;
        }
        mine.push(name.to_vec());
        if kind == Kind::Pattern {
            match self.patterns.iter_mut().find(|(p, _)| p == name) {
                Some((_, subs)) => subs.push(cid),
                None => self.patterns.push((name.to_vec(), vec![cid])),
            }
        } else {
            self.registry(kind)
                .entry(name.to_vec())
                .or_default()
                .push(cid);
        }
        true
    }

    /// Unsubscribes client `cid` from `name`; false if it was not subscribed.
    pub fn unsubscribe(&mut self, c: &mut Client, cid: usize, kind: Kind, name: &[u8]) -> bool {
        let mine = c.subs.list_mut(kind);
        let Some(i) = mine.iter().position(|n| n == name) else {
            return false;
        };
        mine.remove(i);
        if kind == Kind::Pattern {
            if let Some(i) = self.patterns.iter().position(|(p, _)| p == name) {
                let subs = &mut self.patterns[i].1;
                subs.retain(|&s| s != cid);
                if subs.is_empty() {
                    self.patterns.remove(i);
                }
            }
        } else {
            let reg = self.registry(kind);
            if let Some(subs) = reg.get_mut(name) {
                subs.retain(|&s| s != cid);
                if subs.is_empty() {
                    reg.remove(name);
                }
            }
        }
        true
    }

    /// Drops every subscription of a client (disconnect, RESET).
    pub fn forget_client(&mut self, c: &mut Client, cid: usize) {
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            while let Some(name) = c.subs.list(kind).first().cloned() {
                self.unsubscribe(c, cid, kind, &name);
            }
        }
    }

    /// Channels (or shard channels) with at least one subscriber matching
    /// `pattern` (all of them for None).
    pub fn active(&self, shard: bool, pattern: Option<&[u8]>) -> Vec<&[u8]> {
        let reg = if shard { &self.shard } else { &self.channels };
        reg.keys()
            .filter(|ch| pattern.is_none_or(|p| glob_match(p, ch, false)))
            .map(Vec::as_slice)
            .collect()
    }

    /// Subscribers of a channel (or shard channel).
    pub fn numsub(&self, shard: bool, channel: &[u8]) -> usize {
        let reg = if shard { &self.shard } else { &self.channels };
        reg.get(channel).map_or(0, Vec::len)
    }

    /// Distinct patterns subscribed (PUBSUB NUMPAT, INFO pubsub_patterns).
    pub fn numpat(&self) -> usize {
        self.patterns.len()
    }

    /// Channels with subscribers (INFO pubsub_channels).
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Shard channels with subscribers (INFO pubsubshard_channels).
    pub fn shard_count(&self) -> usize {
        self.shard.len()
    }

    /// Delivers `msg` on `channel` to its subscribers, then (for ordinary
    /// channels) to the subscribers of every matching pattern; returns how
    /// many deliveries were made (PUBLISH's reply). The caller (`cid`, whose
    /// output buffer is lent out as `out`) gets its copy in `out`.
    pub fn publish(
        &mut self,
        clients: &mut Slab<Client>,
        caller: (usize, &mut ReplyBuf),
        shard: bool,
        channel: &[u8],
        msg: &[u8],
    ) -> usize {
        let (cid, out) = caller;
        let mut n = 0;
        let reg = if shard { &self.shard } else { &self.channels };
        if let Some(subs) = reg.get(channel) {
            let kind = if shard { &b"smessage"[..] } else { b"message" };
            let frames = Frames::new(&[kind, channel, msg]);
            for &s in subs {
                n += deliver(clients, &mut self.touched, s, (cid, &mut *out), &frames);
            }
        }
        if !shard {
            for (pat, subs) in &self.patterns {
                if glob_match(pat, channel, false) {
                    let frames = Frames::new(&[b"pmessage", pat, channel, msg]);
                    for &s in subs {
                        n += deliver(clients, &mut self.touched, s, (cid, &mut *out), &frames);
                    }
                }
            }
        }
        n
    }
}

/// One message encoded for both protocols.
struct Frames {
    resp2: Vec<u8>,
    resp3: Vec<u8>,
}

impl Frames {
    fn new(parts: &[&[u8]]) -> Frames {
        let mut r2 = ReplyBuf::empty();
        r2.push(parts.len());
        for p in parts {
            r2.bulk(p);
        }
        let mut resp3 = r2.buf.clone();
        resp3[0] = b'>';
        Frames {
            resp2: r2.buf,
            resp3,
        }
    }
}

/// Appends a message to subscriber `s`'s output; 1 if delivered.
fn deliver(
    clients: &mut Slab<Client>,
    touched: &mut Vec<usize>,
    s: usize,
    caller: (usize, &mut ReplyBuf),
    f: &Frames,
) -> usize {
    let Some(c) = clients.get_mut(s) else {
        return 0;
    };
    if c.close.is_some() {
        return 0;
    }
    let (cid, out) = caller;
    let (resp3, buf) = if s == cid {
        (out.resp3, &mut out.buf)
    } else {
        (c.out.resp3, &mut c.out.buf)
    };
    if !c.reply_off {
        buf.extend_from_slice(if resp3 { &f.resp3 } else { &f.resp2 });
        if s != cid && !c.in_touched {
            c.in_touched = true;
            touched.push(s);
        }
    }
    1
}
