//! The event loop: one thread, one `mio::Poll`, every client in a `Slab`.
//!
//! A turn of the loop: wait for readiness (at most until the next cron tick);
//! accept new connections; for each readable client do one read into its query
//! buffer and run every complete command in it (a client whose read filled the
//! chunk is read again next turn); then, before waiting again, write every
//! client's pending replies (as Redis's beforeSleep), registering WRITABLE
//! interest only for sockets that would block. Output buffer limits are checked
//! when replies are added, as in Redis. The cron runs `hz` times a second: active
//! expiry, incremental rehashing, client timeouts, query buffer trimming, stats
//! sampling.
//!
//! The loop also carries out what CLIENT and MONITOR leave in
//! `client::Shared`: a command that CLIENT PAUSE holds is copied out and the
//! client's input waits behind it until the pause ends (the poll wakes at that
//! time; nothing spins), CLIENT REPLY OFF/SKIP drop replies by truncating the
//! output back to where the command started, killed clients are closed after
//! the killer's batch, and output fed to MONITOR clients is queued for writing.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use slab::Slab;
use socket2::{Domain, Protocol, SockRef, Socket, TcpKeepalive, Type};

use super::blocking;
use super::client::{Client, CloseReason, HeldCommand};
use super::{ServerState, Tick};
use crate::commands::table::{Args, Flags};
use crate::commands::{dispatch, Ctx, Registry};
use crate::persistence::rdb;
use crate::protocol::parser::{peek_keys, Parsed};
use crate::protocol::reply::ReplyBuf;

/// Bytes read per read call, as Redis's PROTO_IOBUF_LEN.
const READ_CHUNK: usize = 16 * 1024;
/// Empty query buffers larger than this are released once the client has
/// been idle for `QBUF_IDLE`.
const QBUF_KEEP: usize = 4 * READ_CHUNK;
const QBUF_IDLE: Duration = Duration::from_secs(2);
/// Output buffers larger than this are released once written.
const OUT_KEEP: usize = 64 * 1024;
/// Tokens at and above this one name listening sockets, not clients.
const LISTENER_BASE: usize = usize::MAX - 64;

/// Time the snapshot walk takes from each turn of the loop.
const SNAPSHOT_SLICE: Duration = Duration::from_millis(1);
/// Commands of a pipelined batch whose keys are prefetched together (see
/// `prefetch_batch`): enough to cover a typical pipeline, few enough that the
/// first ones' lines are still cached when the last ones are run.
const PREFETCH_BATCH: usize = 16;
/// Batches run without the look-ahead after one that named a single key.
const LOOKAHEAD_REST: u8 = 7;

/// A dump file that cannot be loaded stops the server, as Redis.
fn fatal_load_error(e: String) -> io::Error {
    log::error!("{e}");
    log::error!("Fatal error loading the DB, check server logs. Exiting.");
    io::Error::other(e)
}

static SHUTDOWN_SIGNAL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    SHUTDOWN_SIGNAL.store(true, std::sync::atomic::Ordering::SeqCst);
}

pub struct EventLoop {
    poll: Poll,
    listeners: Vec<TcpListener>,
    clients: Slab<Client>,
    /// Client output to write before the next poll.
    pending: Vec<usize>,
    /// Clients whose last read filled its chunk (more input may be waiting and,
    /// sockets being edge-triggered, no new event would say so): read again on
    /// the next turn, which then polls without waiting.
    reread: Vec<usize>,
    /// Clients holding a command until CLIENT PAUSE ends, in arrival order.
    paused: Vec<usize>,
    /// `serve_ready` is running (it is not re-entered).
    serving_ready: bool,
    /// Scratch space of `prefetch_batch`: key ranges and their hashes.
    prefetch_keys: Vec<(usize, usize)>,
    prefetch_hashes: Vec<u64>,
    pub srv: ServerState,
    next_cron: Instant,
}

/// Creates one listening socket as Redis does (SO_REUSEADDR, backlog, v6only).
fn listen_on(addr: SocketAddr, backlog: i32) -> io::Result<TcpListener> {
    let domain = if addr.is_ipv6() {
        Domain::IPV6
    } else {
        Domain::IPV4
    };
    let sock = Socket::new(domain, Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        sock.set_only_v6(true)?;
    }
    sock.set_reuse_address(true)?;
    sock.set_nonblocking(true)?;
    sock.bind(&addr.into())?;
    sock.listen(backlog)?;
    Ok(TcpListener::from_std(sock.into()))
}

/// Resolves a `bind` word: `*` is every IPv4 address, `::*` every IPv6 one; a
/// leading `-` makes failure to bind it non-fatal.
fn bind_addr(word: &str, port: u16) -> Option<(SocketAddr, bool)> {
    let (optional, w) = match word.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, word),
    };
    let ip: std::net::IpAddr = match w {
        "*" => std::net::Ipv4Addr::UNSPECIFIED.into(),
        "::*" => std::net::Ipv6Addr::UNSPECIFIED.into(),
        other => other.parse().ok()?,
    };
    Some((SocketAddr::new(ip, port), optional))
}

impl EventLoop {
    pub fn new(srv: ServerState) -> io::Result<EventLoop> {
        let poll = Poll::new()?;
        let mut listeners = Vec::new();
        let port = srv.config.port;
        for word in &srv.config.bind {
            let Some((addr, optional)) = bind_addr(word, port) else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("Invalid bind address '{word}'"),
                ));
            };
            match listen_on(addr, srv.config.tcp_backlog as i32) {
                Ok(l) => listeners.push(l),
                Err(e) if optional => log::debug!("skipping optional bind {addr}: {e}"),
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("Could not create server TCP listening socket {addr}: {e}"),
                    ))
                }
            }
        }
        if listeners.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                "Failed listening on any address",
            ));
        }
        for (i, l) in listeners.iter_mut().enumerate() {
            poll.registry()
                .register(l, Token(LISTENER_BASE + i), Interest::READABLE)?;
        }
        // SAFETY: installing async-signal-safe handlers that only store an atomic.
        unsafe {
            libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
            libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        }
        Ok(EventLoop {
            poll,
            listeners,
            clients: Slab::with_capacity(1024),
            pending: Vec::with_capacity(1024),
            reread: Vec::with_capacity(64),
            paused: Vec::new(),
            serving_ready: false,
            prefetch_keys: Vec::with_capacity(PREFETCH_BATCH),
            prefetch_hashes: Vec::with_capacity(PREFETCH_BATCH),
            srv,
            next_cron: Instant::now(),
        })
    }

    /// Runs until SHUTDOWN or SIGTERM/SIGINT.
    pub fn run(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        // With appendonly yes the AOF is loaded, not the dump (as Redis).
        let load = if self.srv.config.appendonly {
            crate::persistence::aof::start(&mut self.srv)
        } else {
            rdb::save::start_loading(&mut self.srv)
        };
        if let Err(e) = load {
            return Err(fatal_load_error(e));
        }
        loop {
            let now = Instant::now();
            let busy =
                self.srv.is_loading() || self.srv.snapshot.as_ref().is_some_and(|r| r.wants_cpu());
            let timeout = if busy {
                Duration::ZERO
            } else if self.reread.is_empty() {
                let cron = self.next_cron.saturating_duration_since(now);
                // Wake when a pause that holds clients ends, or a blocked
                // client's timeout comes.
                let cron = match self.pause_left() {
                    Some(left) => cron.min(left),
                    None => cron,
                };
                match self.srv.blocking.next_deadline() {
                    Some(d) => {
                        let left = d.saturating_sub(super::unix_ms()).max(0) as u64;
                        cron.min(Duration::from_millis(left))
                    }
                    None => cron,
                }
            } else {
                Duration::ZERO
            };
            // A snapshot writer finishing (or catching up) is noticed
            // within a millisecond.
            let timeout = if self.srv.snapshot.is_some() {
                timeout.min(Duration::from_millis(1))
            } else {
                timeout
            };
            if let Err(e) = self.poll.poll(&mut events, Some(timeout)) {
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
            self.reread_clients();
            for ev in events.iter() {
                let t = ev.token().0;
                if t >= LISTENER_BASE {
                    self.accept_all(t - LISTENER_BASE);
                    continue;
                }
                if !self.clients.contains(t) {
                    continue;
                }
                if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                    if ev.is_read_closed() {
                        self.clients[t].peer_closed = true;
                    }
                    self.read_client(t);
                }
                if ev.is_writable() && self.clients.contains(t) {
                    self.write_client(t);
                }
            }
            self.resume_paused();
            self.expire_waits();
            if self.srv.tracking.total_prefixes() > 0 {
                // BCAST invalidations, once per turn of the loop.
                self.srv
                    .tracking
                    .broadcast(&mut self.clients, &mut self.srv.pubsub.touched);
                self.after_commands();
            }
            self.flush_pending();
            if self.srv.rdb.loading.is_some() {
                if let Err(e) = rdb::save::loading_step(&mut self.srv) {
                    return Err(fatal_load_error(e));
                }
            }
            if self.srv.aof.loading.is_some() {
                if let Err(e) = crate::persistence::aof::loading_step(&mut self.srv) {
                    return Err(fatal_load_error(e));
                }
            }
            if self.srv.snapshot.is_some() {
                rdb::snapshot::step(&mut self.srv, SNAPSHOT_SLICE);
                rdb::snapshot::poll(&mut self.srv);
            }
            if Instant::now() >= self.next_cron {
                self.cron();
                let period = Duration::from_millis(1000 / self.srv.config.hz.max(1) as u64);
                self.next_cron = Instant::now() + period;
            }
            if SHUTDOWN_SIGNAL.swap(false, std::sync::atomic::Ordering::SeqCst) {
                log::warn!("Received SIGTERM scheduling shutdown...");
                self.shutdown_on_signal();
            }
            if self.srv.shutdown {
                self.flush_pending();
                log::warn!("ferrodis is now ready to exit, bye bye...");
                return Ok(());
            }
        }
    }

    /// SIGTERM/SIGINT: the final save when save points are set, as Redis;
    /// if it fails the server keeps running.
    fn shutdown_on_signal(&mut self) {
        if !self.srv.is_loading() && rdb::save::has_save_points(&self.srv) {
            if let Err(e) = rdb::save::shutdown_save(&mut self.srv) {
                log::warn!("Error trying to save the DB, can't exit: {e}");
                log::warn!("SIGTERM received but errors trying to shut down the server, check the logs for more information");
                return;
            }
        } else if self.srv.snapshot.is_some() {
            rdb::snapshot::abort(&mut self.srv);
        }
        self.srv.shutdown = true;
    }

    /// Reads once more from the clients queued by `read_client`.
    fn reread_clients(&mut self) {
        if self.reread.is_empty() {
            return;
        }
        let mut list = std::mem::take(&mut self.reread);
        for &cid in &list {
            // A slot freed and reused by a new client has `reread` false.
            if let Some(c) = self.clients.get_mut(cid) {
                if c.reread {
                    c.reread = false;
                    self.read_client(cid);
                }
            }
        }
        list.clear();
        if self.reread.is_empty() {
            self.reread = list;
        }
    }

    fn accept_all(&mut self, li: usize) {
        loop {
            let (sock, addr) = match self.listeners[li].accept() {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    log::warn!("Accepting client connection: {e}");
                    return;
                }
            };
            self.add_client(sock, addr);
        }
    }

    fn add_client(&mut self, mut sock: TcpStream, addr: SocketAddr) {
        let _ = sock.set_nodelay(true);
        let ka = self.srv.config.tcp_keepalive;
        if ka > 0 {
            let sref = SockRef::from(&sock);
            let params = TcpKeepalive::new().with_time(Duration::from_secs(ka as u64));
            #[cfg(any(target_os = "linux", target_os = "macos"))]
            let params = params.with_interval(Duration::from_secs((ka as u64 / 3).max(1)));
            let _ = sref.set_tcp_keepalive(&params);
        }
        if self.clients.len() as i64 >= self.srv.config.maxclients {
            // Refused before it is a client: counted as rejected only, not in
            // total_connections_received (as Redis does).
            let _ = sock.write(b"-ERR max number of clients reached\r\n");
            self.srv.stats.rejected_connections += 1;
            return;
        }
        self.srv.stats.connections_received += 1;
        if self.protected_refuses(&addr) {
            let _ = sock.write(PROTECTED_MODE_ERROR.as_bytes());
            self.srv.stats.rejected_connections += 1;
            return;
        }
        let entry = self.clients.vacant_entry();
        let key = entry.key();
        if self
            .poll
            .registry()
            .register(&mut sock, Token(key), Interest::READABLE)
            .is_err()
        {
            return;
        }
        let id = self.srv.next_client_id;
        self.srv.next_client_id += 1;
        let authed = self.srv.config.requirepass.is_empty();
        entry.insert(Client::new(id, sock, addr, authed));
        self.srv.connected_clients = self.clients.len();
    }

    /// Protected mode: with no password and the default bind, only loopback
    /// clients are accepted.
    fn protected_refuses(&self, addr: &SocketAddr) -> bool {
        let c = &self.srv.config;
        c.protected_mode
            && c.requirepass.is_empty()
            && c.bind == ["*", "-::*"]
            && !addr.ip().is_loopback()
    }

    /// One read from the socket into the client's query buffer, then runs the
    /// complete commands in it, as Redis does per readable event. Sockets are
    /// edge-triggered, so a read that filled its whole chunk (more may be
    /// waiting) queues the client for another read on the next turn instead of
    /// reading on: a client streaming data cannot starve the others, and each
    /// chunk is parsed (and checked against the limits) as it arrives.
    fn read_client(&mut self, cid: usize) {
        let limit = self.srv.config.client_query_buffer_limit as usize;
        let c = &mut self.clients[cid];
        let want = match c.parse.pending_bulk() {
            Some(n) if n + 2 > READ_CHUNK => (n + 2).min(64 * READ_CHUNK),
            _ => READ_CHUNK,
        };
        let mut closed = false;
        loop {
            match read_into_spare(&c.sock, &mut c.qbuf, want) {
                Ok(0) => closed = true,
                Ok(n) => {
                    self.srv.stats.net_input_bytes += n as u64;
                    // A full chunk may leave more behind; after the peer's FIN
                    // no further event comes, so the EOF must be read next turn.
                    if (n == want || c.peer_closed) && !c.reread {
                        c.reread = true;
                        self.reread.push(cid);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => closed = true,
            }
            break;
        }
        c.last_interaction = Instant::now();
        if c.close.is_some() {
            // Closing after a reply: whatever else it sends is ignored.
            c.qbuf.clear();
        }
        // Only bytes not yet turned into arguments count, as in Redis (whose
        // finished arguments leave its query buffer), checked before running
        // anything, as Redis does after each read.
        if c.qbuf.len().saturating_sub(c.parse.unparsed_from(0)) > limit {
            log::warn!(
                "Closing client that reached max query buffer length: id={} addr={} qbuf={}",
                c.id,
                c.addr,
                c.qbuf.len()
            );
            self.srv.stats.client_qbuf_limit_disconnections += 1;
            self.close_client(cid, CloseReason::QueryBufferLimit);
            return;
        }
        self.process_input(cid);
        if closed && self.clients.contains(cid) {
            // Replies to the commands read with the EOF are still written if the
            // peer only shut down its side.
            self.write_client(cid);
            if self.clients.contains(cid) {
                self.close_client(cid, CloseReason::AfterReply);
            }
        }
    }

    /// Runs every complete command in the client's query buffer, after the
    /// command held by a pause, if any. A command that a pause holds stops
    /// the batch: the client's input waits until `resume_paused`.
    fn process_input(&mut self, cid: usize) {
        let max_bulk = self.srv.config.proto_max_bulk_len;
        let Some(c) = self.clients.get(cid) else {
            return;
        };
        let lim = output_limit(&self.srv.config, c);
        // Output at the hard limit stops the batch at once (the client is then
        // closed below), so a pipeline of big replies cannot grow the buffer far
        // past it; this costs one comparison per command.
        let hard = if lim.hard > 0 { lim.hard } else { u64::MAX };
        let c = &mut self.clients[cid];
        if c.close.is_some() {
            return;
        }
        let sent = c.sent;
        let out_before = c.out.buf.len();
        let held = c.held.take();
        // What CLIENT LIST shows of the caller's query buffer while it is lent.
        c.lent_qbuf = (c.qbuf.len(), c.qbuf.capacity());
        let mut qbuf = std::mem::take(&mut c.qbuf);
        let mut parse = std::mem::take(&mut c.parse);
        let mut out = std::mem::replace(&mut c.out, ReplyBuf::empty());
        let mut db = c.db;
        // As Redis's authRequired: only while a password is set (removing it
        // lets clients that never authenticated through).
        let pass_set = |srv: &ServerState| !srv.config.requirepass.is_empty();
        let mut auth_required = !c.authenticated && pass_set(&self.srv);
        let mut pos = 0;
        // One clock read per command: the end of one is the start of the next.
        let mut clock = Tick::now();
        let mut stop = false;
        // Commands before this offset had their keys prefetched.
        let mut prefetched_to = 0;
        // A client whose last looked-at batch hit one key skips the look-ahead
        // for a few batches: its key is in cache anyway.
        let lookahead = c.lookahead_rest == 0;
        c.lookahead_rest = c.lookahead_rest.saturating_sub(1);
        if let Some(h) = held {
            let args = Args::new(&h.buf, &h.ranges);
            if self.run_command(cid, &args, &mut out, &mut db, &mut clock) {
                self.clients[cid].held = Some(h);
                stop = true;
            } else {
                let c = &self.clients[cid];
                stop = c.close.is_some() || (out.buf.len() - sent) as u64 >= hard;
                auth_required = !c.authenticated && pass_set(&self.srv);
            }
        }
        loop {
            // A held command that is still held stops the batch at once.
            if stop {
                break;
            }
            if lookahead && pos >= prefetched_to && !parse.in_progress() {
                let (end, one_key) = self.prefetch_batch(&qbuf, pos, db);
                prefetched_to = end;
                if one_key {
                    self.clients[cid].lookahead_rest = LOOKAHEAD_REST;
                    prefetched_to = usize::MAX;
                }
            }
            parse.auth_required = auth_required;
            match parse.parse(&mut qbuf, pos, max_bulk) {
                Parsed::Command { consumed } => {
                    pos = consumed;
                    if !parse.args.is_empty() {
                        let args = Args::new(&qbuf, &parse.args);
                        if self.run_command(cid, &args, &mut out, &mut db, &mut clock) {
                            self.clients[cid].held = Some(HeldCommand::new(args.iter_from(0)));
                            break;
                        }
                    }
                    let c = &self.clients[cid];
                    if c.close.is_some() || (out.buf.len() - sent) as u64 >= hard {
                        break;
                    }
                    auth_required = !c.authenticated && pass_set(&self.srv);
                }
                Parsed::Incomplete => break,
                Parsed::Error(msg) => {
                    log::debug!(
                        "Protocol error ({}) from client {cid}",
                        String::from_utf8_lossy(&msg)
                    );
                    if !self.clients[cid].replies_dropped() {
                        let mut text = b"ERR Protocol error: ".to_vec();
                        text.extend_from_slice(&msg);
                        out.error_bytes(&text);
                    }
                    self.clients[cid].close = Some(CloseReason::AfterReply);
                    break;
                }
            }
        }
        let c = &mut self.clients[cid];
        if pos > 0 {
            qbuf.copy_within(pos.., 0);
            qbuf.truncate(qbuf.len() - pos);
            parse.shift(pos);
        }
        c.qbuf = qbuf;
        c.parse = parse;
        c.db = db;
        c.out = out;
        if c.held.is_some() && c.wait.is_none() && !self.paused.contains(&cid) {
            self.paused.push(cid);
        }
        if c.pending_output() > 0 && !c.pending_write {
            c.pending_write = true;
            self.pending.push(cid);
        }
        if c.out.buf.len() > out_before {
            self.check_output_limits(cid);
        }
        self.after_commands();
        if let Some(c) = self.clients.get(cid) {
            if c.close == Some(CloseReason::AfterReply) && !c.pending_write {
                self.close_client(cid, CloseReason::AfterReply);
            }
        }
    }

    /// Starts loading the keyspace memory that the next commands of a
    /// pipelined batch will look up, in two passes over up to
    /// `PREFETCH_BATCH` of them: the buckets of all their keys, then the first
    /// entry of each bucket's chain. Their cache misses then overlap instead
    /// of stalling each command in turn, which is most of the cost of a GET or
    /// SET on a large keyspace. Only a command's first argument is taken as its
    /// key (true of nearly every keyed command; for the others a wasted load
    /// is the only cost), in the client's database at the start of the batch.
    /// Returns the offset past the commands looked at, and whether they all
    /// named the same key (then nothing is prefetched: a pipeline on one list
    /// or set keeps its key in cache, and the caller stops looking ahead for
    /// a while).
    fn prefetch_batch(&mut self, qbuf: &[u8], pos: usize, db: usize) -> (usize, bool) {
        let keys = &mut self.prefetch_keys;
        keys.clear();
        let end = peek_keys(qbuf, pos, PREFETCH_BATCH, 16 * PREFETCH_BATCH, keys);
        let key = |&(s, e): &(usize, usize)| &qbuf[s..e];
        if keys.len() >= 2 && keys.iter().all(|k| key(k) == key(&keys[0])) {
            return (end, true);
        }
        // A lone command gains nothing: its lookup follows at once.
        if keys.len() >= 2 {
            let db = &self.srv.dbs[db];
            let hashes = &mut self.prefetch_hashes;
            hashes.clear();
            hashes.extend(keys.iter().map(|&(s, e)| db.prefetch_bucket(&qbuf[s..e])));
            for &h in hashes.iter() {
                db.prefetch_chain(h);
            }
        }
        (end, false)
    }

    /// Runs one command of client `cid` unless a pause holds it (then returns
    /// true and runs nothing). Drops its reply under CLIENT REPLY OFF/SKIP.
    fn run_command(
        &mut self,
        cid: usize,
        args: &Args,
        out: &mut ReplyBuf,
        db: &mut usize,
        clock: &mut Tick,
    ) -> bool {
        match precheck(&self.srv, &mut self.clients[cid], args) {
            Precheck::Run => {}
            Precheck::Hold => return true,
            Precheck::Reject(e) => {
                let c = &mut self.clients[cid];
                if !c.replies_dropped() {
                    out.error(e);
                }
                c.reply_skip = std::mem::take(&mut c.reply_skip_next);
                return false;
            }
        }
        let mark = out.buf.len();
        let mut ctx = Ctx {
            srv: &mut self.srv,
            clients: &mut self.clients,
            cid,
            out,
            db: *db,
            now: 0,
            dirty: 0,
        };
        *clock = dispatch(&mut ctx, args, *clock);
        *db = ctx.db;
        let c = &mut self.clients[cid];
        if c.replies_dropped() {
            out.buf.truncate(mark);
        }
        // CLIENT REPLY SKIP drops the reply of the command after it.
        c.reply_skip = std::mem::take(&mut c.reply_skip_next);
        if let Some(w) = self.srv.blocking.request.take() {
            // The command blocks. A waiter run again that blocks again keeps
            // its place in the queues.
            if c.wait.is_none() {
                blocking::start_wait(&mut self.srv, c, cid, w);
            }
            return true;
        }
        if c.wait.is_some() {
            // A waiter run again was served.
            blocking::end_wait(&mut self.srv, c, cid);
        }
        if self.srv.blocking.waiting > 0 {
            self.serve_ready();
        }
        false
    }

    /// Serves the keys that commands created while clients wait on them:
    /// for each, the waiters in arrival order whose kind matches the value
    /// run their command again (see `server::blocking`). Keys made ready
    /// meanwhile (a BLMOVE pushing to a waited key) are served in the same
    /// pass; a nested call (from a command run here) leaves them to it.
    fn serve_ready(&mut self) {
        if self.serving_ready {
            return;
        }
        self.serving_ready = true;
        loop {
            let next = self
                .srv
                .dbs
                .iter_mut()
                .enumerate()
                .find_map(|(i, d)| d.pop_ready().map(|k| (i, k)));
            let Some((dbi, key)) = next else { break };
            for cid in self.srv.dbs[dbi].waiters_of(&key) {
                let now = super::unix_ms();
                let db = &mut self.srv.dbs[dbi];
                let Some(id) = db.find(&key, now) else { break };
                let value = db.value(id);
                let served = self
                    .clients
                    .get(cid)
                    .and_then(|c| c.wait.as_ref())
                    .is_some_and(|w| w.kind.matches(value));
                if served {
                    self.process_input(cid);
                }
            }
        }
        self.serving_ready = false;
    }

    /// Answers the waiters whose timeout has passed with a null array, then
    /// runs the input that waited behind their command.
    fn expire_waits(&mut self) {
        if self.srv.blocking.waiting == 0 {
            return;
        }
        let now = super::unix_ms();
        for cid in self.srv.blocking.expired(now) {
            if let Some(c) = self.clients.get_mut(cid) {
                blocking::release(&mut self.srv, c, cid, None);
            }
        }
        self.resume_released();
    }

    /// Runs the input of clients whose wait ended without their command
    /// running again (timeout, CLIENT UNBLOCK).
    fn resume_released(&mut self) {
        let released = std::mem::take(&mut self.srv.blocking.released);
        for cid in released {
            if self.clients.contains(cid) {
                self.process_input(cid);
            }
        }
    }

    /// Work left by the commands just run: close the clients CLIENT KILL
    /// closed, and queue the output given to MONITOR clients.
    fn after_commands(&mut self) {
        if !self.srv.blocking.released.is_empty() {
            self.resume_released();
        }
        // Subscribers given messages: queue their writes; one that does not
        // read is bound by the pubsub output limits.
        let touched = std::mem::take(&mut self.srv.pubsub.touched);
        for t in touched {
            if let Some(c) = self.clients.get_mut(t) {
                c.in_touched = false;
                if c.pending_output() > 0 && !c.pending_write {
                    c.pending_write = true;
                    self.pending.push(t);
                }
                self.check_output_limits(t);
            }
        }
        let s = &mut self.srv.shared;
        let killed = std::mem::take(&mut s.killed);
        let monitors = (!s.monitors.is_empty()).then(|| s.monitors.clone());
        for k in killed {
            if self
                .clients
                .get(k)
                .is_some_and(|c| c.close == Some(CloseReason::Killed))
            {
                self.close_client(k, CloseReason::Killed);
            }
        }
        for m in monitors.unwrap_or_default() {
            if let Some(c) = self.clients.get_mut(m) {
                if c.pending_output() > 0 && !c.pending_write {
                    c.pending_write = true;
                    self.pending.push(m);
                }
                // A monitor that does not read is bound by the output limits
                // like any client.
                self.check_output_limits(m);
            }
        }
    }

    /// Time until the pause holding clients ends (None: no client is held).
    fn pause_left(&self) -> Option<Duration> {
        if self.paused.is_empty() {
            return None;
        }
        let now = super::unix_ms();
        let left = self
            .srv
            .shared
            .pause_at(now)
            .map(|p| p.end_ms.saturating_sub(now));
        Some(Duration::from_millis(left.unwrap_or(0).max(0) as u64))
    }

    /// Once the pause is over (timed out or CLIENT UNPAUSE), runs the held
    /// commands in the order they arrived, then the input behind them.
    fn resume_paused(&mut self) {
        if self.paused.is_empty() {
            return;
        }
        let now = super::unix_ms();
        if self.srv.shared.pause_at(now).is_some() {
            // Still paused; in WRITE mode only write commands are held,
            // and those stay held.
            return;
        }
        let list = std::mem::take(&mut self.paused);
        for cid in list {
            if self.clients.get(cid).is_some_and(|c| c.held.is_some()) {
                self.process_input(cid);
            }
        }
    }

    /// Closes a client whose output reached its hard limit, or has been at or
    /// above its soft limit for more than the soft seconds; called after
    /// replies were added and from the cron.
    fn check_output_limits(&mut self, cid: usize) {
        let now = super::unix_ms() / 1000;
        let cfg = &self.srv.config;
        if self
            .clients
            .get_mut(cid)
            .is_some_and(|c| output_over_limit(c, &output_limit(cfg, c), now))
        {
            self.close_for_output_limit(cid);
        }
    }

    fn close_for_output_limit(&mut self, cid: usize) {
        if let Some(c) = self.clients.get(cid) {
            log::warn!(
                "Client id={} addr={} scheduled to be closed ASAP for overcoming of output buffer limits.",
                c.id,
                c.addr
            );
        }
        self.srv.stats.client_obuf_limit_disconnections += 1;
        self.close_client(cid, CloseReason::OutputBufferLimit);
    }

    /// Writes pending output; registers WRITABLE interest if the socket is full.
    fn write_client(&mut self, cid: usize) {
        let Some(c) = self.clients.get_mut(cid) else {
            return;
        };
        c.pending_write = false;
        crate::persistence::aof::write_pending(&mut self.srv);
        while c.sent < c.out.buf.len() {
            match c.sock.write(&c.out.buf[c.sent..]) {
                Ok(0) => break,
                Ok(n) => {
                    c.sent += n;
                    self.srv.stats.net_output_bytes += n as u64;
                    // A client reading a long reply is not idle (as Redis).
                    c.last_interaction = Instant::now();
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.close_client(cid, CloseReason::AfterReply);
                    return;
                }
            }
        }
        if c.sent < c.out.buf.len() && c.sent >= OUT_KEEP && c.sent * 2 >= c.out.buf.len() {
            // A client that reads slowly while sending more: drop what is
            // written so the buffer holds only the backlog (copying at most as
            // much as was just written, so this is amortised O(1) per byte).
            c.out.buf.drain(..c.sent);
            c.sent = 0;
        }
        if c.sent == c.out.buf.len() {
            c.out.buf.clear();
            c.sent = 0;
            if c.out.buf.capacity() > OUT_KEEP {
                c.out.buf.shrink_to(OUT_KEEP);
            }
            if c.write_registered {
                c.write_registered = false;
                let _ =
                    self.poll
                        .registry()
                        .reregister(&mut c.sock, Token(cid), Interest::READABLE);
            }
            if c.close.is_some() {
                self.close_client(cid, CloseReason::AfterReply);
            }
        } else if !c.write_registered {
            c.write_registered = true;
            let _ = self.poll.registry().reregister(
                &mut c.sock,
                Token(cid),
                Interest::READABLE | Interest::WRITABLE,
            );
        }
    }

    fn flush_pending(&mut self) {
        // The AOF gets the writes before any reply leaves.
        crate::persistence::aof::before_sleep(&mut self.srv);
        let pending = std::mem::take(&mut self.pending);
        for &cid in &pending {
            if self.clients.contains(cid) && self.clients[cid].pending_write {
                self.write_client(cid);
            }
        }
        let mut pending = pending;
        pending.clear();
        if self.pending.is_empty() {
            self.pending = pending;
        }
    }

    fn close_client(&mut self, cid: usize, why: CloseReason) {
        if !self.clients.contains(cid) {
            return;
        }
        if let Some(c) = self.clients.get_mut(cid) {
            blocking::end_wait(&mut self.srv, c, cid);
            self.srv.pubsub.forget_client(c, cid);
            crate::commands::transactions::unwatch_all(&mut self.srv, c, cid);
            if c.tracking.on {
                self.srv.tracking.disable(c);
                self.srv.tracking_changed();
            }
        }
        let mut c = self.clients.remove(cid);
        if c.monitor {
            self.srv.shared.monitors.retain(|&m| m != cid);
        }
        log::debug!("closing client id={} ({why:?})", c.id);
        let _ = self.poll.registry().deregister(&mut c.sock);
        self.srv.connected_clients = self.clients.len();
    }

    /// Periodic work, `hz` times a second.
    fn cron(&mut self) {
        self.srv.cronloops += 1;
        self.srv.clock.reanchor();
        let hz = self.srv.config.hz.max(1) as u64;
        let period_us = 1_000_000 / hz;
        // Active expiry: at most 25% of the period, as Redis's slow cycle.
        let budget = Duration::from_micros(period_us * 25 / 100);
        let start = Instant::now();
        let deadline = start + budget;
        let now_ms = super::unix_ms();
        let effort = self.srv.config.active_expire_effort.clamp(1, 10) as usize;
        let per_round = 20 + 20 / 4 * (effort - 1);
        let stale = 10 - (effort - 1);
        // DEBUG SET-ACTIVE-EXPIRE 0 turns the cycle off (keys then expire
        // only when a command touches them).
        // No key expires actively during a CLIENT PAUSE (as Redis: a pause
        // must leave the dataset as it is).
        let paused = self.srv.shared.pause_at(now_ms).is_some();
        let loading = self.srv.is_loading();
        for db in self.srv.dbs.iter_mut() {
            if paused || loading || !self.srv.active_expire || Instant::now() >= deadline {
                break;
            }
            db.active_expire(now_ms, per_round, stale, deadline);
        }
        // Each key the cycle deleted goes to the AOF as its own DEL.
        super::propagate::flush_expired(&mut self.srv);
        if self.srv.config.notify_flags != 0 {
            // `expired` events of the active cycle.
            let mut scratch = ReplyBuf::empty();
            super::notify::flush_db_events(
                &mut self.srv,
                &mut self.clients,
                (usize::MAX, &mut scratch),
            );
            self.after_commands();
        }
        if self.srv.watching > 0 || self.srv.tracking.active() {
            // Keys deleted by expiry invalidate their watchers and caches.
            let mut scratch = ReplyBuf::empty();
            crate::commands::transactions::keys_written(
                &mut self.srv,
                &mut self.clients,
                None,
                (usize::MAX, &mut scratch),
                false,
            );
            self.after_commands();
        }
        let spent = start.elapsed();
        self.srv.stats.expire_cycle_time_used_us += spent.as_micros() as u64;
        // The latency monitor's expire-cycle event, as Redis samples it.
        let threshold = self.srv.config.latency_monitor_threshold;
        self.srv.latency.add_if_needed(
            "expire-cycle",
            spent.as_millis() as u64,
            threshold,
            now_ms / 1000,
        );
        // Incremental rehashing and shrinking: about 1 ms per tick in all.
        if self.srv.config.activerehashing {
            for db in self.srv.dbs.iter_mut() {
                db.shrink_if_sparse();
                if db.is_rehashing() {
                    db.rehash_for(Duration::from_millis(1));
                    break;
                }
            }
        }
        self.clients_cron();
        self.sample_ops();
        rdb::save::cron(&mut self.srv);
    }

    /// Idle timeouts, output buffer limits (a client above its soft limit is
    /// closed in time even if no reply is added, as Redis's clientsCron does)
    /// and query buffer trimming.
    fn clients_cron(&mut self) {
        let timeout = self.srv.config.timeout;
        let mut idle = Vec::new();
        if timeout > 0 {
            // Whole unix seconds, as Redis counts idle time: closed once the
            // second of the last interaction is more than `timeout` ago.
            let now_ms = super::unix_ms();
            let now_s = now_ms / 1000;
            for (cid, c) in self.clients.iter() {
                // As Redis: monitors (replicas there) and clients held by
                // a pause (blocked) never time out.
                if c.monitor || c.held.is_some() {
                    continue;
                }
                let idle_ms = c.last_interaction.elapsed().as_millis() as i64;
                if now_s - (now_ms - idle_ms).div_euclid(1000) > timeout {
                    idle.push(cid);
                }
            }
        }
        for cid in idle {
            log::debug!("Closing idle client");
            self.close_client(cid, CloseReason::Timeout);
        }
        let now = super::unix_ms() / 1000;
        let cfg = &self.srv.config;
        let mut over = Vec::new();
        for (cid, c) in self.clients.iter_mut() {
            let lim = output_limit(cfg, c);
            if (lim.hard > 0 || lim.soft > 0) && output_over_limit(c, &lim, now) {
                over.push(cid);
            }
        }
        for cid in over {
            self.close_for_output_limit(cid);
        }
        // Give back the query buffer of an idle client that once received a
        // big command (as Redis's clientsCronResizeQueryBuffer).
        for (_, c) in self.clients.iter_mut() {
            if c.qbuf.is_empty()
                && c.qbuf.capacity() > QBUF_KEEP
                && !c.parse.in_progress()
                && c.last_interaction.elapsed() >= QBUF_IDLE
            {
                c.qbuf = Vec::with_capacity(READ_CHUNK);
            }
        }
    }

    fn sample_ops(&mut self) {
        let st = &mut self.srv.stats;
        let now = Instant::now();
        match st.ops_last_time {
            Some(t) if now.duration_since(t) >= Duration::from_millis(100) => {
                let dt = now.duration_since(t).as_secs_f64();
                // (The counter is reset when an AOF load at start ends.)
                let ops = st.commands_processed.saturating_sub(st.ops_last_count);
                st.ops_samples[st.ops_sample_idx % 16] = (ops as f64 / dt) as u64;
                st.ops_sample_idx += 1;
                st.ops_last_count = st.commands_processed;
                st.ops_last_time = Some(now);
            }
            None => {
                st.ops_last_time = Some(now);
                st.ops_last_count = st.commands_processed;
            }
            _ => {}
        }
    }
}

/// What the loop does with a command before dispatching it.
enum Precheck {
    Run,
    /// CLIENT PAUSE holds it.
    Hold,
    /// Refused before it runs (a MONITOR client touching the keyspace).
    Reject(&'static str),
}

/// Checks, before dispatch, what only the loop can act on: a command that a
/// CLIENT PAUSE holds (all commands, or only those that may write), and a
/// MONITOR client sending a keyspace command. Unknown commands, arity and
/// authentication errors are left to `dispatch` (they are answered at once,
/// even during a pause, as in Redis). Costs a flag and an Option check unless
/// the client monitors or a pause is on.
fn precheck(srv: &ServerState, c: &mut Client, args: &Args) -> Precheck {
    let pause = if c.monitor {
        None
    } else {
        // The wall clock is read only while a pause is on.
        match srv
            .shared
            .pause
            .is_some()
            .then(|| srv.shared.pause_at(super::unix_ms()))
        {
            None | Some(None) => return Precheck::Run,
            Some(p) => p,
        }
    };
    let reg = Registry::get();
    let Some(mut idx) = reg.find(args.get(0)) else {
        return Precheck::Run;
    };
    let top = reg.all[idx].spec;
    if !top.subcommands.is_empty() && (args.len() >= 2 || top.arity != -1) {
        match (args.len() >= 2).then(|| reg.find_sub(idx, args.get(1))) {
            Some(Some(s)) => idx = s,
            _ => return Precheck::Run,
        }
    }
    let entry = &reg.all[idx];
    let spec = entry.spec;
    let argc = args.len() as i64;
    let arity = i64::from(spec.arity);
    let arity_ok = if arity >= 0 {
        argc == arity
    } else {
        argc >= -arity
    };
    let auth_ok =
        c.authenticated || srv.config.requirepass.is_empty() || spec.flags.has(Flags::NO_AUTH);
    if !arity_ok || !auth_ok {
        return Precheck::Run;
    }
    if c.monitor {
        let keyspace = Flags::WRITE.or(Flags::READONLY).or(Flags::MAY_REPLICATE);
        if spec.flags.has(keyspace) {
            return Precheck::Reject("ERR Replica can't interact with the keyspace");
        }
        return Precheck::Run;
    }
    let Some(p) = pause else {
        return Precheck::Run;
    };
    if p.all || spec.flags.has(Flags::WRITE.or(Flags::MAY_REPLICATE)) {
        // Shown as the client's command while it waits (CLIENT LIST cmd=).
        c.last_cmd = entry.full_name.as_str();
        return Precheck::Hold;
    }
    Precheck::Run
}

/// Whether a client's pending output breaks `lim` at unix second `now`: at or
/// above the hard limit, or seen at or above the soft limit more than the soft
/// seconds ago (whole seconds, as Redis counts them). Starts or clears the
/// client's soft-limit clock.
/// The output limits of a client's class: pubsub for a client subscribed
/// to anything, else normal (replicas will have their own).
fn output_limit(cfg: &crate::config::Config, c: &Client) -> crate::config::OutputLimit {
    let class = if c.subs.any() { 2 } else { 0 };
    cfg.client_output_buffer_limit[class]
}

fn output_over_limit(c: &mut Client, lim: &crate::config::OutputLimit, now: i64) -> bool {
    let used = c.pending_output() as u64;
    if lim.hard > 0 && used >= lim.hard {
        return true;
    }
    if lim.soft > 0 && used >= lim.soft {
        let since = *c.soft_limit_since.get_or_insert(now);
        now.saturating_sub(since) > lim.soft_seconds as i64
    } else {
        c.soft_limit_since = None;
        false
    }
}

/// Reads up to `want` bytes from the socket into the spare capacity of `buf`,
/// without zero-filling it first.
fn read_into_spare(sock: &TcpStream, buf: &mut Vec<u8>, want: usize) -> io::Result<usize> {
    use std::os::unix::io::AsRawFd;
    buf.reserve(want);
    let len = buf.len();
    let spare = buf.spare_capacity_mut();
    let n = want.min(spare.len());
    // SAFETY: read(2) writes at most `n` bytes into the vector's spare capacity,
    // which is allocated and owned by `buf`; exactly the bytes it reports as
    // read are then marked initialised with set_len.
    let r = unsafe { libc::read(sock.as_raw_fd(), spare.as_mut_ptr().cast(), n) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the first `r` bytes after `len` were just written by read(2).
    unsafe { buf.set_len(len + r as usize) };
    Ok(r as usize)
}

/// Redis's reply to a non-loopback client in protected mode.
const PROTECTED_MODE_ERROR: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a bind address or an authentication password. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";
