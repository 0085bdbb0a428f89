//! One connected client: its socket, query buffer and parser progress, output
//! buffer, selected database and connection settings.
//!
//! Clients live in the event loop's `Slab`, keyed by their mio token. The query
//! buffer is reused across commands (the processed prefix is dropped once per
//! read, not once per command) and replies accumulate in the output buffer until
//! the loop writes them at the end of the event batch.
//!
//! `Shared` holds the client state that commands change and the loop acts on
//! (CLIENT PAUSE, the MONITOR list, clients killed by CLIENT KILL); it is a
//! field of `ServerState` (`srv.shared`), owned by the loop like the rest.

use std::net::SocketAddr;
use std::time::Instant;

use mio::net::TcpStream;

use crate::protocol::parser::ParseState;
use crate::protocol::reply::ReplyBuf;

/// Why a client is being closed, for logs and stats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// QUIT, or a protocol error after its reply was written.
    AfterReply,
    /// The query buffer passed client-query-buffer-limit.
    QueryBufferLimit,
    /// The output buffer passed client-output-buffer-limit.
    OutputBufferLimit,
    /// Idle longer than `timeout`.
    Timeout,
    /// CLIENT KILL.
    Killed,
}

pub struct Client {
    pub id: u64,
    pub sock: TcpStream,
    pub addr: SocketAddr,
    pub laddr: Option<SocketAddr>,
    /// Bytes read and not yet consumed by commands.
    pub qbuf: Vec<u8>,
    pub parse: ParseState,
    /// Replies waiting to be written; `sent` bytes of it are already written.
    pub out: ReplyBuf,
    pub sent: usize,
    /// Selected database.
    pub db: usize,
    pub name: Option<Vec<u8>>,
    /// Protocol version, 2 or 3 (also mirrored in `out.resp3`).
    pub resp: u8,
    pub created: Instant,
    pub last_interaction: Instant,
    /// Name of the last command run, for CLIENT LIST.
    pub last_cmd: &'static str,
    /// Set when the client must be closed once its output is written.
    pub close: Option<CloseReason>,
    /// WRITABLE interest is registered because a write would have blocked.
    pub write_registered: bool,
    /// Queued in the loop's list of clients with output to write.
    pub pending_write: bool,
    /// Queued in the loop's list of clients to read again (see `read_client`).
    pub reread: bool,
    /// Batches of input left to run without the key look-ahead, after one
    /// whose commands all named the same key (see `EventLoop::prefetch_batch`).
    pub lookahead_rest: u8,
    /// The peer shut down its side (an event said so): the EOF still has to
    /// be read after the data before it.
    pub peer_closed: bool,
    /// Unix second at which the output buffer was first seen at or above the
    /// soft limit (cleared when seen below it).
    pub soft_limit_since: Option<i64>,
    /// Authenticated (always true when no password is set).
    pub authenticated: bool,
    /// Lib name and version from CLIENT SETINFO / HELLO.
    pub lib_name: Option<Vec<u8>>,
    pub lib_ver: Option<Vec<u8>>,
    /// MONITOR was sent: every command run is fed to this client.
    pub monitor: bool,
    /// CLIENT NO-EVICT ON.
    pub no_evict: bool,
    /// CLIENT REPLY OFF: no replies until CLIENT REPLY ON.
    pub reply_off: bool,
    /// The reply to the command being run is dropped (CLIENT REPLY SKIP was
    /// the command before).
    pub reply_skip: bool,
    /// CLIENT REPLY SKIP ran: the next command's reply is dropped.
    pub reply_skip_next: bool,
    /// A command held by CLIENT PAUSE, run once the pause ends; the client's
    /// further input waits behind it.
    pub held: Option<HeldCommand>,
    /// Set while the held command is a blocking command waiting on keys
    /// (else a held command is held by CLIENT PAUSE).
    pub wait: Option<crate::server::blocking::Wait>,
    /// Pub/Sub subscriptions.
    pub subs: crate::server::pubsub::ClientSubs,
    /// Listed in `PubSub::touched` (messages were added to its output).
    pub in_touched: bool,
    /// Inside MULTI: the queued commands (None outside a transaction).
    pub multi: Option<Vec<HeldCommand>>,
    /// A command was refused while queueing: EXEC will abort.
    pub multi_failed: bool,
    /// WATCHed keys: (database, key, already expired when watched).
    pub watched: Vec<(usize, crate::keyspace::small_bytes::SmallBytes, bool)>,
    /// A watched key was written: EXEC will fail.
    pub dirty_cas: bool,
    /// CLIENT TRACKING settings.
    pub tracking: crate::server::tracking::ClientTracking,
    /// Length and capacity of the query buffer when the event loop lent it
    /// to the running commands (CLIENT LIST qbuf / qbuf-free of the caller).
    pub lent_qbuf: (usize, usize),
}

/// A command held during CLIENT PAUSE: its arguments copied out of the query
/// buffer, as ranges into `buf`.
#[derive(Debug, Default)]
pub struct HeldCommand {
    pub buf: Vec<u8>,
    pub ranges: Vec<(usize, usize)>,
}

impl HeldCommand {
    pub fn new<'a>(args: impl Iterator<Item = &'a [u8]>) -> Self {
        let mut h = HeldCommand::default();
        for a in args {
            let start = h.buf.len();
            h.buf.extend_from_slice(a);
            h.ranges.push((start, h.buf.len()));
        }
        h
    }
}

/// An active CLIENT PAUSE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pause {
    /// Unix ms at which it ends (Redis adds the timeout without an overflow
    /// check; a wrapped end lies in the past, which is no pause).
    pub end_ms: i64,
    /// ALL mode (else WRITE: only commands that may change data are held).
    pub all: bool,
}

/// Client state shared by the commands and the event loop (see the module doc).
#[derive(Debug, Default)]
pub struct Shared {
    pub pause: Option<Pause>,
    /// Slab keys of the MONITOR clients, in the order they started.
    pub monitors: Vec<usize>,
    /// Slab keys of clients CLIENT KILL closed (other than the caller), for
    /// the loop to close once the command's batch ends.
    pub killed: Vec<usize>,
}

impl Shared {
    /// The pause in force at unix ms `now`, if any.
    pub fn pause_at(&self, now: i64) -> Option<Pause> {
        self.pause.filter(|p| now < p.end_ms)
    }

    /// Starts or extends a pause: the later end and the stricter mode win.
    pub fn add_pause(&mut self, now: i64, timeout: i64, all: bool) {
        let end_ms = now.wrapping_add(timeout);
        match self.pause_at(now) {
            Some(p) => {
                self.pause = Some(Pause {
                    end_ms: p.end_ms.max(end_ms),
                    all: p.all || all,
                })
            }
            None => self.pause = Some(Pause { end_ms, all }),
        }
    }
}

impl Client {
    pub fn new(id: u64, sock: TcpStream, addr: SocketAddr, authenticated: bool) -> Self {
        let laddr = sock.local_addr().ok();
        let now = Instant::now();
        Client {
            id,
            sock,
            addr,
            laddr,
            qbuf: Vec::with_capacity(16 * 1024),
            parse: ParseState::new(),
            out: ReplyBuf::new(),
            sent: 0,
            db: 0,
            name: None,
            resp: 2,
            created: now,
            last_interaction: now,
            last_cmd: "NULL",
            close: None,
            write_registered: false,
            pending_write: false,
            reread: false,
            lookahead_rest: 0,
            peer_closed: false,
            soft_limit_since: None,
            authenticated,
            lib_name: None,
            lib_ver: None,
            monitor: false,
            no_evict: false,
            reply_off: false,
            reply_skip: false,
            reply_skip_next: false,
            held: None,
            wait: None,
            subs: Default::default(),
            in_touched: false,
            multi: None,
            multi_failed: false,
            watched: Vec::new(),
            dirty_cas: false,
            tracking: Default::default(),
            lent_qbuf: (0, 0),
        }
    }

    /// Bytes of output not yet written.
    pub fn pending_output(&self) -> usize {
        self.out.buf.len() - self.sent
    }

    /// Blocked, as INFO blocked_clients counts: waiting in a blocking
    /// command, or holding a command during a CLIENT PAUSE.
    pub fn is_blocked(&self) -> bool {
        self.held.is_some()
    }

    /// Whether the reply to the command being run is to be dropped.
    pub fn replies_dropped(&self) -> bool {
        self.reply_off || self.reply_skip
    }

    pub fn set_resp(&mut self, v: u8) {
        self.resp = v;
        self.out.resp3 = v == 3;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pause_extends_and_keeps_the_stricter_mode() {
        let mut s = Shared::default();
        s.add_pause(1000, 500, true);
        s.add_pause(1000, 100, false);
        assert_eq!(
            s.pause_at(1000),
            Some(Pause {
                end_ms: 1500,
                all: true
            })
        );
        assert_eq!(s.pause_at(1500), None);
        s.add_pause(2000, 0, false);
        assert_eq!(s.pause_at(2000), None);
        // A timeout that overflows wraps into the past: no pause.
        s.add_pause(2000, i64::MAX, false);
        assert_eq!(s.pause_at(2001), None);
    }

    #[test]
    fn held_command_copies_its_arguments() {
        let h = HeldCommand::new([&b"set"[..], b"k", b""].into_iter());
        assert_eq!(h.buf, b"setk");
        assert_eq!(h.ranges, vec![(0, 3), (3, 4), (4, 4)]);
    }
}
