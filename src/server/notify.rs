//! Keyspace notifications (`notify-keyspace-events`): for each event a command
//! causes on a key, a Pub/Sub message on `__keyspace@<db>__:<key>` (the
//! event name as payload, class K) and on `__keyevent@<db>__:<event>` (the
//! key as payload, class E), if the event's class is enabled.
//!
//! Commands report their events through `Ctx::notify` with Redis's event
//! names (`set`, `lpush`, `expire`, `rename_from`, ...). Three events happen
//! inside the keyspace rather than in a command: `expired` (lazy or active
//! expiry), `new` (a key added) and `keymiss` (a read that found nothing).
//! The database logs those while their class is on (`Db::set_event_log`),
//! and they are published before the command's own events and after it, so
//! a subscriber sees them in the order they happened (`expired` before the
//! `set` that replaced the expired key).

use slab::Slab;

use super::client::Client;
use super::ServerState;
use crate::protocol::reply::ReplyBuf;

/// Class bits, one per letter of `notify-keyspace-events`.
pub const KEYSPACE: u32 = 1; // K
pub const KEYEVENT: u32 = 1 << 1; // E
pub const GENERIC: u32 = 1 << 2; // g
pub const STRING: u32 = 1 << 3; // $
pub const LIST: u32 = 1 << 4; // l
pub const SET: u32 = 1 << 5; // s
pub const HASH: u32 = 1 << 6; // h
pub const ZSET: u32 = 1 << 7; // z
pub const EXPIRED: u32 = 1 << 8; // x
pub const EVICTED: u32 = 1 << 9; // e
pub const STREAM: u32 = 1 << 10; // t
pub const KEY_MISS: u32 = 1 << 11; // m
pub const MODULE: u32 = 1 << 12; // d
pub const NEW: u32 = 1 << 13; // n

/// The classes of the letters in a (validated) `notify-keyspace-events`.
pub fn parse_flags(s: &str) -> u32 {
    let mut f = 0;
    for b in s.bytes() {
        f |= match b {
            b'A' => {
                GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE
            }
            b'K' => KEYSPACE,
            b'E' => KEYEVENT,
            b'g' => GENERIC,
            b'$' => STRING,
            b'l' => LIST,
            b's' => SET,
            b'h' => HASH,
            b'z' => ZSET,
            b'x' => EXPIRED,
            b'e' => EVICTED,
            b't' => STREAM,
            b'm' => KEY_MISS,
            b'd' => MODULE,
            b'n' => NEW,
            _ => 0,
        };
    }
    f
}

/// Whether an event of `class` is published at all under `flags`.
#[inline]
pub fn enabled(flags: u32, class: u32) -> bool {
    flags & class != 0 && flags & (KEYSPACE | KEYEVENT) != 0
}

/// The keyspace-level events a database logs for later publication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbEvent {
    Expired,
    New,
    KeyMiss,
}

impl DbEvent {
    pub fn class_and_name(self) -> (u32, &'static str) {
        match self {
            DbEvent::Expired => (EXPIRED, "expired"),
            DbEvent::New => (NEW, "new"),
            DbEvent::KeyMiss => (KEY_MISS, "keymiss"),
        }
    }
}

/// The two channels and payloads of one event, in publish order.
pub fn messages(flags: u32, db: usize, event: &str, key: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::with_capacity(2);
    if flags & KEYSPACE != 0 {
        let mut ch = format!("__keyspace@{db}__:").into_bytes();
        ch.extend_from_slice(key);
        out.push((ch, event.as_bytes().to_vec()));
    }
    if flags & KEYEVENT != 0 {
        let ch = format!("__keyevent@{db}__:{event}").into_bytes();
        out.push((ch, key.to_vec()));
    }
    out
}

/// Publishes one event on database `db` (nothing if its class is off).
/// `caller` is the running command's client and its lent output buffer
/// (`usize::MAX` and a scratch buffer outside commands).
pub fn publish_event(
    srv: &mut ServerState,
    clients: &mut Slab<Client>,
    caller: (usize, &mut ReplyBuf),
    db: usize,
    class: u32,
    event: &str,
    key: &[u8],
) {
    let flags = srv.config.notify_flags;
    if !enabled(flags, class) {
        return;
    }
    let (cid, out) = caller;
    for (ch, payload) in messages(flags, db, event, key) {
        srv.pubsub
            .publish(clients, (cid, &mut *out), false, &ch, &payload);
    }
}

/// Publishes the events the databases logged (expired, new, keymiss).
pub fn flush_db_events(
    srv: &mut ServerState,
    clients: &mut Slab<Client>,
    caller: (usize, &mut ReplyBuf),
) {
    let (cid, out) = caller;
    for db in 0..srv.dbs.len() {
        if !srv.dbs[db].has_events() {
            continue;
        }
        for (ev, key) in srv.dbs[db].take_events() {
            let (class, name) = ev.class_and_name();
            publish_event(srv, clients, (cid, &mut *out), db, class, name, &key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_channels() {
        let f = parse_flags("KEA");
        assert!(enabled(f, STRING) && enabled(f, EXPIRED) && !enabled(f, KEY_MISS));
        assert!(!enabled(parse_flags("A"), STRING), "neither K nor E");
        let m = messages(KEYSPACE | KEYEVENT, 3, "set", b"k");
        assert_eq!(m[0], (b"__keyspace@3__:k".to_vec(), b"set".to_vec()));
        assert_eq!(m[1], (b"__keyevent@3__:set".to_vec(), b"k".to_vec()));
    }
}
