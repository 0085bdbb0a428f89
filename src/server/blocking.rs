//! Blocking commands (BLPOP, BLMOVE, BZPOPMIN, ...): which clients wait on
//! which keys, until when, and the bookkeeping the event loop needs to wake
//! them.
//!
//! The mechanism, in the order things happen:
//! - A blocking command that finds none of its keys holding data calls
//!   `Ctx::block`, which leaves a `Wait` in `Blocking::request` and writes no
//!   reply. The loop then keeps the command (as a `HeldCommand`, like a
//!   command held by CLIENT PAUSE), registers the client on each key in its
//!   database (`Db::add_waiter`, in arrival order) and, if it has a deadline,
//!   in the timeout table here.
//! - `Db::add` marks a key "ready" when it creates a key somebody waits on:
//!   a waited key never exists (an empty list or zset is deleted), so
//!   creation is the only event that can serve a waiter.
//! - After every command the loop serves the ready keys: for each waiter in
//!   arrival order whose kind matches the key's type, it runs the held command
//!   again with the same arguments. A waiter that finds the key empty again
//!   (an earlier waiter took the data) calls `Ctx::block` again and keeps its
//!   place. Commands run while serving may make other keys ready (BLMOVE
//!   chains), which are served in the same pass.
//! - When the deadline passes, or CLIENT UNBLOCK releases the client, the
//!   waiter gets a null array (or the UNBLOCKED error) and its following input
//!   runs. A client that disconnects is removed from every queue.
//!
//! Re-running the command, rather than serving the waiter with a copy of
//! the data, keeps one code path per command: the handler that pops with
//! LPOP's logic is the one that serves BLPOP, and a push hands its element
//! straight to the waiter's pop.

use std::collections::BTreeSet;

use crate::error::CmdError;
use crate::keyspace::small_bytes::SmallBytes;
use crate::keyspace::value::Value;
use crate::util::numbers::{parse_long_double, LongDoubleValue};

use super::client::Client;
use super::ServerState;

/// The type of value a waiter can be served from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockKind {
    List,
    Zset,
}

impl BlockKind {
    /// Whether a value of this type can serve the waiter.
    pub fn matches(self, v: &Value) -> bool {
        match self {
            BlockKind::List => v.type_name() == "list",
            BlockKind::Zset => v.type_name() == "zset",
        }
    }
}

/// What a client waits for.
#[derive(Clone, Debug)]
pub struct Wait {
    /// The database of the keys.
    pub db: usize,
    pub keys: Vec<SmallBytes>,
    /// Unix ms after which the client gets the timeout reply (None: never).
    pub deadline: Option<i64>,
    pub kind: BlockKind,
}

/// The server's blocking state (the per-key queues live in each `Db`).
#[derive(Default, Debug)]
pub struct Blocking {
    /// Set by `Ctx::block` while a command runs; the loop takes it.
    pub request: Option<Wait>,
    /// Deadlines of waiting clients: (unix ms, slab key).
    timeouts: BTreeSet<(i64, usize)>,
    /// Clients waiting on keys (INFO blocked_clients counts them with the
    /// clients a pause holds).
    pub waiting: usize,
    /// Clients CLIENT UNBLOCK released (their reply is written), for the loop
    /// to resume their input.
    pub released: Vec<usize>,
}

impl Blocking {
    /// Records a new waiter's deadline.
    pub fn add(&mut self, cid: usize, w: &Wait) {
        self.waiting += 1;
        if let Some(d) = w.deadline {
            self.timeouts.insert((d, cid));
        }
    }

    /// Forgets a waiter's deadline.
    pub fn remove(&mut self, cid: usize, w: &Wait) {
        self.waiting -= 1;
        if let Some(d) = w.deadline {
            self.timeouts.remove(&(d, cid));
        }
    }

    /// Waiters with a deadline (INFO clients_in_timeout_table).
    pub fn timeouts_len(&self) -> usize {
        self.timeouts.len()
    }

    /// The earliest deadline, if any.
    pub fn next_deadline(&self) -> Option<i64> {
        self.timeouts.first().map(|&(d, _)| d)
    }

    /// The waiters whose deadline is at or before `now`.
    pub fn expired(&self, now: i64) -> Vec<usize> {
        self.timeouts
            .iter()
            .take_while(|&&(d, _)| d <= now)
            .map(|&(_, cid)| cid)
            .collect()
    }
}

/// Registers client `cid` as a waiter: on every key of its database, and
/// in the timeout table.
pub fn start_wait(srv: &mut ServerState, c: &mut Client, cid: usize, w: Wait) {
    let db = &mut srv.dbs[w.db];
    for k in &w.keys {
        db.add_waiter(k, cid);
    }
    srv.blocking.add(cid, &w);
    c.wait = Some(w);
}

/// Ends client `cid`'s wait (served, timed out, released or gone): removes
/// it from every queue. Its held command is left to the caller.
pub fn end_wait(srv: &mut ServerState, c: &mut Client, cid: usize) {
    if let Some(w) = c.wait.take() {
        let db = &mut srv.dbs[w.db];
        for k in &w.keys {
            db.remove_waiter(k, cid);
        }
        srv.blocking.remove(cid, &w);
    }
}

/// Releases a waiting client with its final reply (CLIENT UNBLOCK, a
/// timeout): `error` None gives the timeout's null array. Its following
/// input is run by the loop (`Blocking::released`).
pub fn release(srv: &mut ServerState, c: &mut Client, cid: usize, error: Option<&str>) {
    end_wait(srv, c, cid);
    c.held = None;
    if !c.replies_dropped() {
        match error {
            Some(e) => c.out.error(e),
            None => c.out.null_array(),
        }
    }
    srv.blocking.released.push(cid);
}

/// Parses the timeout argument of a blocking command (seconds, decimals
/// allowed, as strtold reads them) into a deadline in unix ms: None for 0
/// (wait forever). As Redis 7.0: the milliseconds are rounded up; a value
/// too large for a 64-bit count of ms is negative once converted, hence
/// "timeout is negative"; a deadline past the end of time never comes.
pub fn parse_timeout(arg: &[u8], now_ms: i64) -> Result<Option<i64>, CmdError> {
    const NOT_FLOAT: &str = "ERR timeout is not a float or out of range";
    const NEGATIVE: &str = "ERR timeout is negative";
    let v = match parse_long_double(arg) {
        None => return Err(CmdError::from(NOT_FLOAT)),
        Some(LongDoubleValue::Infinite) => return Err(CmdError::from(NEGATIVE)),
        Some(LongDoubleValue::Finite(v)) => v,
    };
    // ceil(seconds * 1000), exactly: the mantissa times 1000 fits in 128
    // bits, then the binary exponent is applied with the remainder rounding
    // up (towards zero for a negative value, which then becomes 0).
    let (neg, mant, exp) = v.parts();
    let scaled = u128::from(mant) * 1000;
    let (whole, frac) = if exp >= 0 {
        match u32::try_from(exp)
            .ok()
            .filter(|&e| e < scaled.leading_zeros())
        {
            Some(e) => (scaled << e, false),
            None => (u128::MAX, false),
        }
    } else if exp <= -128 {
        (0, scaled != 0)
    } else {
        let s = (-exp) as u32;
        (scaled >> s, scaled & ((1u128 << s) - 1) != 0)
    };
    let ms = if neg {
        // ceil of a negative number: 0 for a fraction above -1 (forever).
        if whole == 0 {
            return Ok(None);
        }
        return Err(CmdError::from(NEGATIVE));
    } else {
        whole + u128::from(frac)
    };
    // A C cast of an out-of-range value gives i64::MIN on x86: negative.
    let Ok(ms) = i64::try_from(ms) else {
        return Err(CmdError::from(NEGATIVE));
    };
    if ms == 0 {
        return Ok(None);
    }
    Ok(Some(now_ms.saturating_add(ms)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_as_redis() {
        assert_eq!(parse_timeout(b"0", 1000).unwrap(), None);
        assert_eq!(parse_timeout(b"-0", 1000).unwrap(), None);
        assert_eq!(parse_timeout(b"0.0001", 1000).unwrap(), Some(1001));
        assert_eq!(parse_timeout(b"1.5", 1000).unwrap(), Some(2500));
        assert_eq!(parse_timeout(b"0x10", 0).unwrap(), Some(16000));
        assert_eq!(parse_timeout(b"1e-400", 0).unwrap(), Some(1));
        assert_eq!(parse_timeout(b"-0.0001", 0).unwrap(), None);
        let neg = "ERR timeout is negative";
        let nf = "ERR timeout is not a float or out of range";
        for (a, e) in [
            (&b"-1"[..], neg),
            (b"inf", neg),
            (b"1e20", neg),
            (b"1e400", neg),
            (b"abc", nf),
            (b"", nf),
            (b" 1", nf),
            (b"nan", nf),
            (b"1e5000", nf),
        ] {
            assert_eq!(parse_timeout(a, 0).unwrap_err().text(), e, "{a:?}");
        }
        assert_eq!(
            parse_timeout(b"9223372036854775", 1 << 40).unwrap(),
            Some(i64::MAX)
        );
    }
}
