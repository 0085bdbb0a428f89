//! One connected client: its socket, query buffer and parser progress, output
//! buffer, selected database and connection settings.
//!
//! Clients live in the event loop's `Slab`, keyed by their mio token. The query
//! buffer is reused across commands (the processed prefix is dropped once per
//! read, not once per command) and replies accumulate in the output buffer until
//! the loop writes them at the end of the event batch.

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
            peer_closed: false,
            soft_limit_since: None,
            authenticated,
            lib_name: None,
            lib_ver: None,
        }
    }

    /// Bytes of output not yet written.
    pub fn pending_output(&self) -> usize {
        self.out.buf.len() - self.sent
    }

    pub fn set_resp(&mut self, v: u8) {
        self.resp = v;
        self.out.resp3 = v == 3;
    }
}
