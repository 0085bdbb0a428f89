//! Protocol-layer integration tests: pipelining, commands split over many
//! writes, inline commands, every protocol error (exact text, then the
//! connection closed), the size limits (proto-max-bulk-len,
//! client-query-buffer-limit, client-output-buffer-limit, maxclients), RESP3
//! through HELLO, large values and a bounded fuzz run over the socket.
//!
//! Every test talks to a freshly spawned ferrodis. With `PROTOCOL_TARGET=redis`
//! the same tests run against a spawned real `redis-server` instead, which is how
//! the expectations here were checked against Redis 7.0:
//! `PROTOCOL_TARGET=redis cargo test --test protocol`.
//! Each test is bounded in time (socket timeouts, fixed deadlines).

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use support::server::TempDir;
use support::{Reply, Server};

/// True when the tests should run against real Redis (see the module doc).
fn against_redis() -> bool {
    std::env::var("PROTOCOL_TARGET").is_ok_and(|v| v == "redis")
}

/// The server under test, started with `args`.
fn spawn(args: &[&str]) -> Server {
    if against_redis() {
        Server::redis(args).expect("PROTOCOL_TARGET=redis but redis-server is not installed")
    } else {
        Server::ferrodis(args)
    }
}

/// The program `spawn` runs.
fn program() -> &'static str {
    if against_redis() {
        "redis-server"
    } else {
        env!("CARGO_BIN_EXE_ferrodis")
    }
}

/// A raw socket with TCP_NODELAY and read/write timeouts.
fn raw(srv: &Server) -> TcpStream {
    let s = TcpStream::connect(&srv.addr).expect("connect");
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

/// What came back on a socket: the bytes, and whether the server closed it.
struct Outcome {
    bytes: Vec<u8>,
    closed: bool,
}

/// Reads until the server closes the connection or nothing arrives for `idle`
/// (never longer than 10 s in all).
fn read_until_close(s: &mut TcpStream, idle: Duration) -> Outcome {
    let deadline = Instant::now() + Duration::from_secs(10);
    s.set_read_timeout(Some(idle)).unwrap();
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let closed = loop {
        if Instant::now() >= deadline {
            break false;
        }
        match s.read(&mut chunk) {
            Ok(0) => break true,
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break false
            }
            // A reset also means the server closed it.
            Err(_) => break true,
        }
    };
    Outcome { bytes, closed }
}

/// Sends `data` on a new connection (write errors are ignored: the server may
/// close it before everything is written) and collects what comes back.
fn exchange(srv: &Server, data: &[u8], idle: Duration) -> Outcome {
    let mut s = raw(srv);
    let _ = s.write_all(data);
    read_until_close(&mut s, idle)
}

fn show(b: &[u8]) -> String {
    support::resp::escape(&b[..b.len().min(300)])
}

/// `data` gets exactly `-ERR Protocol error: <msg>` and the connection closes.
fn assert_protocol_error(srv: &Server, data: &[u8], msg: &str) {
    let o = exchange(srv, data, Duration::from_secs(3));
    let want = format!("-ERR Protocol error: {msg}\r\n");
    assert_eq!(
        show(&o.bytes),
        show(want.as_bytes()),
        "reply to {}",
        show(data)
    );
    assert!(o.closed, "connection left open after {}", show(data));
}

/// `data` gets no reply within a short wait and the connection stays open.
fn assert_waits(srv: &Server, data: &[u8]) {
    let o = exchange(srv, data, Duration::from_millis(200));
    assert!(
        o.bytes.is_empty() && !o.closed,
        "expected no reply and an open connection after {}, got {} (closed: {})",
        show(data),
        show(&o.bytes),
        o.closed
    );
}

/// The server still answers PING on a new connection.
fn assert_alive(srv: &mut Server) {
    assert!(
        srv.is_responding(Duration::from_secs(5)),
        "server at {} stopped answering",
        srv.addr
    );
}

/// Resident set size of a process in bytes, from /proc/<pid>/statm.
fn rss_bytes(pid: u32) -> u64 {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).expect("reading statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|f| f.parse().ok())
        .expect("statm resident field");
    // SAFETY: sysconf only reads a system constant.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * page.max(4096) as u64
}

fn echo_cmd(arg: &[u8]) -> Vec<u8> {
    support::resp::encode_command(&[&b"ECHO"[..], arg])
}

// ---------------------------------------------------------------------------
// Pipelining and fragmentation

#[test]
fn pipeline_10000_commands_in_one_write() {
    let srv = spawn(&[]);
    let mut c = srv.conn();
    let mut buf = Vec::new();
    for i in 0..10_000 {
        match i % 3 {
            0 => buf.extend_from_slice(b"*1\r\n$4\r\nPING\r\n"),
            1 => buf.extend_from_slice(&echo_cmd(format!("v{i}").as_bytes())),
            _ => buf.extend_from_slice(format!("ECHO i{i}\r\n").as_bytes()),
        }
    }
    c.send_raw(&buf).unwrap();
    for i in 0..10_000 {
        let want = match i % 3 {
            0 => Reply::status("PONG"),
            1 => Reply::bulk(format!("v{i}")),
            _ => Reply::bulk(format!("i{i}")),
        };
        let got = c.read_reply().unwrap_or_else(|e| panic!("reply {i}: {e}"));
        assert_eq!(got, want, "reply {i}");
    }
    // Nothing extra was sent.
    assert_eq!(c.poll_reply(Duration::from_millis(100)).unwrap(), None);
}

#[test]
fn command_split_byte_by_byte() {
    let srv = spawn(&[]);
    let arg = b"a\r\nb\x00c$*";
    let mut wire = echo_cmd(arg);
    wire.extend_from_slice(b"ECHO \"x y\"\r\n");
    wire.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
    let mut s = raw(&srv);
    let (last, head) = wire.split_last().unwrap();
    for b in head {
        s.write_all(std::slice::from_ref(b)).unwrap();
        thread::sleep(Duration::from_millis(1));
    }
    // The first two commands are complete by now; the PING is not.
    let mut c_bytes = Vec::new();
    let want_first = b"$8\r\na\r\nb\x00c$*\r\n$3\r\nx y\r\n";
    let deadline = Instant::now() + Duration::from_secs(5);
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut chunk = [0u8; 256];
    while c_bytes.len() < want_first.len() && Instant::now() < deadline {
        if let Ok(n) = s.read(&mut chunk) {
            assert!(n > 0, "closed");
            c_bytes.extend_from_slice(&chunk[..n]);
        }
    }
    // Give the server time to (wrongly) answer the incomplete PING.
    thread::sleep(Duration::from_millis(100));
    if let Ok(n) = s.read(&mut chunk) {
        c_bytes.extend_from_slice(&chunk[..n]);
    }
    assert_eq!(show(&c_bytes), show(want_first));
    s.write_all(std::slice::from_ref(last)).unwrap();
    let o = read_until_close(&mut s, Duration::from_millis(500));
    assert_eq!(show(&o.bytes), "+PONG\\r\\n");
}

#[test]
fn pipeline_split_at_every_offset() {
    // The same pipeline cut in two at every byte offset gives the same replies.
    let srv = spawn(&[]);
    let mut wire = echo_cmd(b"hello\r\n");
    wire.extend_from_slice(b"PING\n\r\nECHO 'a b'\r\n*0\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n");
    let want = "$7\\r\\nhello\\r\\n\\r\\n+PONG\\r\\n$3\\r\\na b\\r\\n$0\\r\\n\\r\\n";
    let mut c = srv.conn();
    for cut in 1..wire.len() {
        c.send_raw(&wire[..cut]).unwrap();
        thread::sleep(Duration::from_millis(2));
        c.send_raw(&wire[cut..]).unwrap();
        let mut got = Vec::new();
        for _ in 0..4 {
            let r = c.read_reply().unwrap();
            got.push(r);
        }
        assert_eq!(
            got,
            vec![
                Reply::bulk("hello\r\n"),
                Reply::status("PONG"),
                Reply::bulk("a b"),
                Reply::bulk("")
            ],
            "cut at {cut} (want {want})"
        );
    }
}

#[test]
fn interleaved_partial_commands_on_two_connections() {
    let srv = spawn(&[]);
    let mut a = srv.conn();
    let mut b = srv.conn();
    let wa = echo_cmd(b"from a");
    let wb = echo_cmd(b"from b");
    a.send_raw(&wa[..9]).unwrap();
    b.send_raw(&wb[..5]).unwrap();
    thread::sleep(Duration::from_millis(20));
    b.send_raw(&wb[5..]).unwrap();
    assert_eq!(b.read_reply().unwrap(), Reply::bulk("from b"));
    assert_eq!(a.poll_reply(Duration::from_millis(50)).unwrap(), None);
    a.send_raw(&wa[9..]).unwrap();
    assert_eq!(a.read_reply().unwrap(), Reply::bulk("from a"));
}

#[test]
fn half_closed_client_still_gets_its_replies() {
    let srv = spawn(&[]);
    let mut s = raw(&srv);
    let mut wire = b"PING\r\n".repeat(1000);
    wire.extend_from_slice(&echo_cmd(b"last"));
    s.write_all(&wire).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let o = read_until_close(&mut s, Duration::from_secs(3));
    let mut want = b"+PONG\r\n".repeat(1000);
    want.extend_from_slice(b"$4\r\nlast\r\n");
    assert!(
        o.bytes == want,
        "got {} bytes: ...{}",
        o.bytes.len(),
        show(&o.bytes[o.bytes.len().saturating_sub(40)..])
    );
    assert!(o.closed);
}

// ---------------------------------------------------------------------------
// Inline commands

#[test]
fn inline_commands() {
    let srv = spawn(&[]);
    let cases: &[(&[u8], &[u8])] = &[
        (b"PING\r\n", b"+PONG\r\n"),
        (b"PING\n", b"+PONG\r\n"),
        (b"ECHO \"a b\"\r\n", b"$3\r\na b\r\n"),
        (b"ECHO 'it\\'s'\r\n", b"$4\r\nit's\r\n"),
        (b"ECHO \"\\x41\\n\\t\"\r\n", b"$3\r\nA\n\t\r\n"),
        (b"ECHO \"a\\z\"\r\n", b"$2\r\naz\r\n"),
        (b"ECHO 'a\\z'\r\n", b"$3\r\na\\z\r\n"),
        (b"ECHO a\"b c\"\r\n", b"$4\r\nab c\r\n"),
        (b"ECHO \"\"\r\n", b"$0\r\n\r\n"),
        (b"  ECHO \t x  \r\n", b"$1\r\nx\r\n"),
        // A vertical tab does not end a word (but is skipped before one).
        (b"ECHO a\x0bb\r\n", b"$3\r\na\x0bb\r\n"),
        (b"ECHO \x0b a\r\n", b"$1\r\na\r\n"),
        // Blank lines are ignored.
        (b"\r\n\r\n\n   \r\nPING\r\n", b"+PONG\r\n"),
        (b"PING\r\r\n", b"+PONG\r\n"),
        // Inline and multibulk mixed in one write.
        (
            b"PING\r\n*2\r\n$4\r\nECHO\r\n$1\r\nz\r\nECHO y\n",
            b"+PONG\r\n$1\r\nz\r\n$1\r\ny\r\n",
        ),
        // Case-insensitive command names.
        (b"pInG\r\n", b"+PONG\r\n"),
        (
            b"ECHO a b\r\n",
            b"-ERR wrong number of arguments for 'echo' command\r\n",
        ),
    ];
    for (input, want) in cases {
        let o = exchange(&srv, input, Duration::from_millis(300));
        assert_eq!(show(&o.bytes), show(want), "reply to {}", show(input));
        assert!(!o.closed, "closed after {}", show(input));
    }
    // An inline line longer than 64 KB that arrives whole still runs.
    let mut line = b"ECHO ".to_vec();
    line.resize(70 * 1024, b'x');
    line.extend_from_slice(b"\r\n");
    let mut c = srv.conn();
    c.send_raw(&line).unwrap();
    assert_eq!(
        c.read_reply().unwrap(),
        Reply::bulk(&line[5..line.len() - 2])
    );
}

#[test]
fn odd_but_valid_frames() {
    let srv = spawn(&[]);
    let cases: &[(&[u8], &[u8])] = &[
        // Counts <= 0 are empty commands.
        (b"*0\r\nPING\r\n", b"+PONG\r\n"),
        (b"*-1\r\nPING\r\n", b"+PONG\r\n"),
        (b"*-5\r\nPING\r\n", b"+PONG\r\n"),
        (b"*-9223372036854775808\r\nPING\r\n", b"+PONG\r\n"),
        // The two bytes after a bulk are skipped, not checked.
        (b"*1\r\n$4\r\nPINGxx", b"+PONG\r\n"),
        // One byte after a header's \r is skipped, whatever it is.
        (b"*1\r\n$4\rxPING\r\n", b"+PONG\r\n"),
        // An empty command name.
        (
            b"*1\r\n$0\r\n\r\n",
            b"-ERR unknown command '', with args beginning with: \r\n",
        ),
        // Binary-safe bulk arguments.
        (
            b"*2\r\n$4\r\nECHO\r\n$5\r\n\x00\r\n\xff\n\r\n",
            b"$5\r\n\x00\r\n\xff\n\r\n",
        ),
    ];
    for (input, want) in cases {
        let o = exchange(&srv, input, Duration::from_millis(300));
        assert_eq!(show(&o.bytes), show(want), "reply to {}", show(input));
        assert!(!o.closed, "closed after {}", show(input));
    }
    // Incomplete frames wait for more, whatever their announced size.
    for input in [
        &b"*1048577\r\n"[..],
        b"*2147483647\r\n",
        b"*1\r\n$4\r\nPING\r",
        b"*1\r\n$536870912\r\n",
        b"\r",
        // Redis finds line ends with strchr, so a NUL before one hides it.
        b"\x00PING\r\n",
        b"*1\x00\r\n",
    ] {
        assert_waits(&srv, input);
    }
}

// ---------------------------------------------------------------------------
// Protocol errors

#[test]
fn protocol_errors_exact_text_then_close() {
    let srv = spawn(&[]);
    let big = |prefix: &[u8], fill: u8, n: usize| {
        let mut v = prefix.to_vec();
        v.resize(prefix.len() + n, fill);
        v
    };
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"*x\r\n".to_vec(), "invalid multibulk length"),
        (b"*\r\n".to_vec(), "invalid multibulk length"),
        (b"*+1\r\n".to_vec(), "invalid multibulk length"),
        (b"*01\r\n".to_vec(), "invalid multibulk length"),
        (b"*-0\r\n".to_vec(), "invalid multibulk length"),
        (b"*1 \r\n".to_vec(), "invalid multibulk length"),
        (b"*2147483648\r\n".to_vec(), "invalid multibulk length"),
        (
            b"*9223372036854775808\r\n".to_vec(),
            "invalid multibulk length",
        ),
        (b"*1\r\n$x\r\n".to_vec(), "invalid bulk length"),
        (b"*1\r\n$\r\n".to_vec(), "invalid bulk length"),
        (b"*1\r\n$-1\r\n".to_vec(), "invalid bulk length"),
        (b"*1\r\n$-0\r\n".to_vec(), "invalid bulk length"),
        (b"*1\r\n$04\r\nPING\r\n".to_vec(), "invalid bulk length"),
        (b"*1\r\n$+4\r\nPING\r\n".to_vec(), "invalid bulk length"),
        (b"*1\r\n$536870913\r\n".to_vec(), "invalid bulk length"),
        (b"*1\r\nfoo\r\n".to_vec(), "expected '$', got 'f'"),
        (
            b"*2\r\n$4\r\nECHO\r\n:1\r\n".to_vec(),
            "expected '$', got ':'",
        ),
        // A header's \r is followed by one skipped byte, here the '$'.
        (b"*1\r$4\r\nPING\r\n".to_vec(), "expected '$', got '4'"),
        // A \r in the error text is sent as a space.
        (b"*1\r\n\r\n".to_vec(), "expected '$', got ' '"),
        (b"ECHO \"a b\r\n".to_vec(), "unbalanced quotes in request"),
        (b"ECHO 'a\r\n".to_vec(), "unbalanced quotes in request"),
        (b"ECHO \"a\"b\r\n".to_vec(), "unbalanced quotes in request"),
        (b"ECHO \"\\\"\r\n".to_vec(), "unbalanced quotes in request"),
        // More than 64 KB without a line end. Exactly 64 KB + 1 bytes are sent so
        // the server has read everything when it closes (no reset loses the reply).
        (big(b"", b'x', 64 * 1024 + 1), "too big inline request"),
        (big(b"*", b'1', 64 * 1024), "too big mbulk count string"),
        (
            big(b"*1\r\n$", b'1', 64 * 1024),
            "too big bulk count string",
        ),
        // A NUL hides the line end, so this is an over-long line too.
        (
            big(b"\x00\r\n", b'x', 64 * 1024 - 2),
            "too big inline request",
        ),
    ];
    for (input, msg) in &cases {
        assert_protocol_error(&srv, input, msg);
    }
    // Commands before the bad one in the same write are answered first.
    let o = exchange(
        &srv,
        b"PING\r\n*1\r\n$4\r\nPING\r\n*x\r\nPING\r\n",
        Duration::from_secs(3),
    );
    assert_eq!(
        show(&o.bytes),
        show(b"+PONG\r\n+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n")
    );
    assert!(o.closed);
}

#[test]
fn unauthenticated_clients_get_smaller_limits() {
    // (Set at run time: the test harness's startup probe needs no password.)
    let mut srv = spawn(&[]);
    let mut admin = srv.conn();
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "requirepass", "pw"]),
        Reply::ok()
    );
    assert_protocol_error(&srv, b"*11\r\n", "unauthenticated multibulk length");
    assert_protocol_error(&srv, b"*1\r\n$16385\r\n", "unauthenticated bulk length");
    assert_waits(&srv, b"*10\r\n$16384\r\n");
    // After AUTH, in the same write, the normal limits apply.
    let o = exchange(
        &srv,
        b"AUTH pw\r\n*11\r\n$4\r\nECHO\r\n",
        Duration::from_millis(300),
    );
    assert_eq!(show(&o.bytes), "+OK\\r\\n");
    assert!(!o.closed);
    let o = exchange(&srv, b"PING\r\n", Duration::from_millis(300));
    assert_eq!(
        show(&o.bytes),
        show(b"-NOAUTH Authentication required.\r\n")
    );
    // The connection that set the password stays authenticated.
    assert_eq!(admin.cmd(&["PING"]), Reply::status("PONG"));
    // Once the password is removed, the limits no longer apply to a client
    // that never authenticated.
    let mut s = raw(&srv);
    s.write_all(b"PING\r\n").unwrap();
    let mut noauth = [0u8; 34];
    s.read_exact(&mut noauth).unwrap();
    assert_eq!(show(&noauth), show(b"-NOAUTH Authentication required.\r\n"));
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "requirepass", ""]),
        Reply::ok()
    );
    s.write_all(b"*11\r\n$17000\r\n").unwrap();
    let o = read_until_close(&mut s, Duration::from_millis(200));
    assert!(o.bytes.is_empty() && !o.closed, "{}", show(&o.bytes));
    srv.kill();
}

// ---------------------------------------------------------------------------
// Size limits

#[test]
fn huge_declared_bulk_is_not_allocated() {
    let srv = spawn(&[]);
    let pid = srv.pid().expect("spawned server");
    let before = rss_bytes(pid);
    // 512 MB + 1 is refused at once.
    assert_protocol_error(&srv, b"*1\r\n$536870913\r\n", "invalid bulk length");
    // Large but valid lengths followed by a few bytes: the server waits without
    // reserving the announced size.
    let mut socks = Vec::new();
    for _ in 0..4 {
        let mut s = raw(&srv);
        s.write_all(b"*2\r\n$4\r\nECHO\r\n$400000000\r\nabc")
            .unwrap();
        socks.push(s);
    }
    thread::sleep(Duration::from_millis(300));
    let during = rss_bytes(pid);
    for s in &mut socks {
        let o = read_until_close(s, Duration::from_millis(50));
        assert!(o.bytes.is_empty() && !o.closed, "{}", show(&o.bytes));
    }
    drop(socks);
    let mut c = srv.conn();
    assert_eq!(c.cmd(&["PING"]), Reply::status("PONG"));
    let grown = during.saturating_sub(before);
    assert!(
        grown < 64 << 20,
        "RSS grew by {grown} bytes ({before} -> {during}) for 4 pending 400 MB bulks"
    );
}

#[test]
fn proto_max_bulk_len_is_configurable() {
    // Redis refuses values under 1 MB at startup.
    let dir = TempDir::new("protocol");
    let refused = Server::spawn_in(program(), dir.path(), &["--proto-max-bulk-len", "1000"]);
    match refused {
        Ok(_) => panic!("--proto-max-bulk-len 1000 was accepted"),
        Err(e) => assert!(
            e.contains("argument must be between 1048576 and 9223372036854775807 inclusive"),
            "{e}"
        ),
    }
    let srv = spawn(&["--proto-max-bulk-len", "1mb"]);
    let mut c = srv.conn();
    let ok = vec![b'q'; 1 << 20];
    assert_eq!(c.cmd(&[&b"ECHO"[..], &ok]), Reply::bulk(&ok));
    assert_protocol_error(
        &srv,
        b"*2\r\n$4\r\nECHO\r\n$1048577\r\n",
        "invalid bulk length",
    );
    // CONFIG SET applies to the next header parsed.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "proto-max-bulk-len", "2mb"]),
        Reply::ok()
    );
    let mut s = raw(&srv);
    s.write_all(b"*2\r\n$4\r\nECHO\r\n$1048577\r\n").unwrap();
    let o = read_until_close(&mut s, Duration::from_millis(200));
    assert!(o.bytes.is_empty() && !o.closed);
}

#[test]
fn query_buffer_limit_closes_the_connection() {
    let mut srv = spawn(&["--client-query-buffer-limit", "1mb"]);
    // An incomplete 3 MB argument, 1.5 MB of it sent: closed without a reply.
    let mut data = b"*2\r\n$4\r\nECHO\r\n$3000000\r\n".to_vec();
    data.resize(data.len() + 1_500_000, b'x');
    let o = exchange(&srv, &data, Duration::from_secs(3));
    assert!(o.closed, "not closed over the query buffer limit");
    assert!(o.bytes.is_empty(), "{}", show(&o.bytes));
    // Finished arguments of an unfinished command do not count (as in Redis):
    // 1.4 MB of small arguments, then the last one.
    let mut s = raw(&srv);
    let mut data = b"*120001\r\n$4\r\nECHO\r\n".to_vec();
    for _ in 0..119_999 {
        data.extend_from_slice(b"$5\r\nhello\r\n");
    }
    s.write_all(&data).unwrap();
    let o = read_until_close(&mut s, Duration::from_millis(300));
    assert!(o.bytes.is_empty() && !o.closed, "{}", show(&o.bytes));
    s.write_all(b"$5\r\nhello\r\n").unwrap();
    let o = read_until_close(&mut s, Duration::from_millis(500));
    assert_eq!(
        show(&o.bytes),
        show(b"-ERR wrong number of arguments for 'echo' command\r\n")
    );
    // A long pipeline of complete commands is consumed as it arrives.
    let mut c = srv.conn();
    let n = 200_000;
    c.send_raw(&b"PING\r\n".repeat(n)).unwrap();
    for i in 0..n {
        assert_eq!(c.read_reply().unwrap(), Reply::status("PONG"), "reply {i}");
    }
    assert_alive(&mut srv);
}

#[test]
fn output_buffer_limit_disconnects_a_client_that_never_reads() {
    let mut srv = spawn(&["--client-output-buffer-limit", "normal 1mb 512kb 1"]);
    let mut c = srv.conn();
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "client-output-buffer-limit"]),
        Reply::bulks(&[
            "client-output-buffer-limit",
            "normal 1048576 524288 1 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        ])
    );
    let mut s = raw(&srv);
    let cmd = echo_cmd(&vec![b'v'; 100_000]);
    let n = 400; // 40 MB of replies: far more than the socket buffers hold
    let mut sent = 0;
    for _ in 0..n {
        if s.write_all(&cmd).is_err() {
            break;
        }
        sent += 1;
    }
    let o = read_until_close(&mut s, Duration::from_secs(3));
    assert!(
        o.closed,
        "not disconnected (sent {sent} commands, read {} bytes)",
        o.bytes.len()
    );
    assert!(
        o.bytes.len() < n * 100_000,
        "all {} bytes of replies were delivered",
        o.bytes.len()
    );
    // Other clients are still served.
    assert_eq!(c.cmd(&["ECHO", "still here"]), Reply::bulk("still here"));
    assert_alive(&mut srv);
}

/// A connection with a tiny receive buffer, so replies it does not read stay
/// in the server's output buffer instead of the kernel's.
fn small_rcvbuf_conn(srv: &Server) -> TcpStream {
    use socket2::{Domain, Socket, Type};
    let addr: std::net::SocketAddr = srv.addr.parse().unwrap();
    let sock = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    sock.connect_timeout(&addr.into(), Duration::from_secs(5))
        .unwrap();
    let s: TcpStream = sock.into();
    s.set_nodelay(true).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

#[test]
fn output_soft_limit_closes_a_client_over_it_for_too_long() {
    // Soft limit 512 KB for more than 1 s; no hard limit in reach.
    let srv = spawn(&["--client-output-buffer-limit", "normal 100mb 512kb 1"]);
    let mut admin = srv.conn();
    let clients = |admin: &mut support::Conn| {
        let info = admin.cmd(&["INFO", "clients"]);
        let text = String::from_utf8_lossy(info.as_bytes().unwrap()).into_owned();
        text.lines()
            .find_map(|l| l.strip_prefix("connected_clients:"))
            .and_then(|v| v.trim().parse::<u32>().ok())
            .expect("connected_clients")
    };
    let mut s = small_rcvbuf_conn(&srv);
    // 8 MB of replies, not read: several MB stay in the server's buffer.
    let cmd = echo_cmd(&vec![b'v'; 40_000]);
    s.write_all(&cmd.repeat(200)).unwrap();
    let start = Instant::now();
    // Whole seconds are counted: not closed within the first second ...
    thread::sleep(Duration::from_millis(500));
    assert_eq!(clients(&mut admin), 2, "closed before the soft seconds");
    // ... but soon after it, without adding any reply.
    while clients(&mut admin) == 2 {
        assert!(
            start.elapsed() < Duration::from_secs(4),
            "still connected after {:?}",
            start.elapsed()
        );
        thread::sleep(Duration::from_millis(50));
    }
    let o = read_until_close(&mut s, Duration::from_secs(3));
    assert!(o.closed, "not closed ({} bytes read)", o.bytes.len());
    assert!(o.bytes.len() < 200 * 40_009, "{} bytes read", o.bytes.len());
    assert_eq!(admin.cmd(&["PING"]), Reply::status("PONG"));
}

#[test]
fn a_slow_reader_under_the_limit_gets_everything() {
    // No limit for normal clients by default: a client that reads late still
    // gets every reply, in order and intact.
    let srv = spawn(&[]);
    let mut c = srv.conn();
    let val: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let n = 60;
    let one = echo_cmd(&val);
    c.send_raw(&one.repeat(n)).unwrap();
    thread::sleep(Duration::from_millis(300));
    for i in 0..n {
        assert_eq!(c.read_reply().unwrap(), Reply::bulk(&val), "reply {i}");
    }
}

#[test]
fn maxclients_rejects_the_extra_connection() {
    let srv = spawn(&["--maxclients", "2"]);
    let mut c1 = srv.conn();
    assert_eq!(c1.cmd(&["PING"]), Reply::status("PONG"));
    let mut c2 = srv.conn();
    assert_eq!(c2.cmd(&["PING"]), Reply::status("PONG"));
    // Wait until the startup probe's connection is gone on the server side.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let info = c1.cmd(&["INFO", "clients"]);
        let text = String::from_utf8_lossy(info.as_bytes().unwrap()).into_owned();
        if text.contains("connected_clients:2\r\n") {
            break;
        }
        assert!(Instant::now() < deadline, "{text}");
        thread::sleep(Duration::from_millis(20));
    }
    let stat = |c: &mut support::Conn, field: &str| -> i64 {
        let info = c.cmd(&["INFO", "stats"]);
        let text = String::from_utf8_lossy(info.as_bytes().unwrap()).into_owned();
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in INFO stats"))
    };
    let received = stat(&mut c1, "total_connections_received");
    let rejected = stat(&mut c1, "rejected_connections");
    let mut s = raw(&srv);
    let o = read_until_close(&mut s, Duration::from_secs(3));
    assert_eq!(
        show(&o.bytes),
        show(b"-ERR max number of clients reached\r\n")
    );
    assert!(o.closed);
    // Counted as rejected, not as a received connection.
    assert_eq!(stat(&mut c1, "rejected_connections"), rejected + 1);
    assert_eq!(stat(&mut c1, "total_connections_received"), received);
    // Once a slot is free, a new client gets in.
    drop(c2);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut c3 = srv.conn();
        c3.send(&["PING"]).unwrap();
        match c3.read_reply() {
            Ok(r) if r == Reply::status("PONG") => break,
            other => assert!(Instant::now() < deadline, "{other:?}"),
        }
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn idle_timeout_closes_quiet_clients() {
    let srv = spawn(&["--timeout", "1"]);
    let mut s = raw(&srv);
    s.write_all(b"PING\r\n").unwrap();
    let mut pong = [0u8; 7];
    s.read_exact(&mut pong).unwrap();
    let start = Instant::now();
    let o = read_until_close(&mut s, Duration::from_secs(4));
    let took = start.elapsed();
    assert!(o.closed && o.bytes.is_empty(), "{}", show(&o.bytes));
    // Idle time is counted in whole seconds: more than 1 s, so 1 to 2 s.
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_millis(3000),
        "closed after {took:?}"
    );
}

#[test]
fn quit_answers_then_closes() {
    let srv = spawn(&[]);
    let o = exchange(&srv, b"PING\r\nQUIT\r\nPING\r\n", Duration::from_secs(3));
    assert_eq!(show(&o.bytes), "+PONG\\r\\n+OK\\r\\n");
    assert!(o.closed);
}

// ---------------------------------------------------------------------------
// RESP3 and large values

#[test]
fn resp3_via_hello() {
    let srv = spawn(&[]);
    let mut c = srv.conn();
    assert_eq!(
        c.cmd(&["HELLO", "4"]),
        Reply::error("NOPROTO unsupported protocol version")
    );
    assert_eq!(
        c.cmd(&["HELLO", "1"]),
        Reply::error("NOPROTO unsupported protocol version")
    );
    let hello = c.cmd(&["HELLO", "3"]);
    let Reply::Map(pairs) = &hello else {
        panic!("HELLO 3 gave {hello}");
    };
    assert!(
        pairs.contains(&(Reply::bulk("proto"), Reply::Int(3))),
        "{hello}"
    );
    assert_eq!(c.cmd(&["PING"]), Reply::status("PONG"));
    assert_eq!(c.cmd(&["PING", "hi"]), Reply::bulk("hi"));
    assert_eq!(c.cmd(&["ECHO", ""]), Reply::bulk(""));
    // Raw bytes: RESP3 uses the same encoding for these replies.
    c.send_raw(b"PING\r\nECHO abc\r\n").unwrap();
    assert_eq!(c.read_reply().unwrap(), Reply::status("PONG"));
    assert_eq!(c.read_reply().unwrap(), Reply::bulk("abc"));
    // Protocol errors are the same in RESP3.
    let mut s = raw(&srv);
    s.write_all(b"HELLO 3\r\n").unwrap();
    let mut c3 = srv.conn();
    c3.cmd(&["HELLO", "3"]);
    c3.send_raw(b"*1\r\n$x\r\n").unwrap();
    assert_eq!(
        c3.read_reply().unwrap(),
        Reply::error("ERR Protocol error: invalid bulk length")
    );
    let mut c2 = srv.conn();
    assert!(c2.cmd(&["HELLO", "2"]).as_array().is_some());
    assert_eq!(c2.cmd(&["PING"]), Reply::status("PONG"));
}

#[test]
fn echo_10mb_round_trips_intact() {
    let srv = spawn(&[]);
    let mut c = srv.conn();
    c.set_timeout(Duration::from_secs(20)).unwrap();
    let val: Vec<u8> = (0..10 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let got = c.cmd(&[&b"ECHO"[..], &val]);
    let Reply::Bulk(b) = got else {
        panic!("ECHO gave {got}");
    };
    assert!(b == val, "10 MB ECHO came back different");
    // And the connection is still in step.
    assert_eq!(c.cmd(&["PING"]), Reply::status("PONG"));
}

// ---------------------------------------------------------------------------
// Fuzzing

/// xorshift64*: small, seedable, good enough for test input.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Commands the fuzzer may form: harmless ones only (no SHUTDOWN, DEBUG,
/// FLUSHALL, CONFIG SET...), plus unknown names.
const FUZZ_WORDS: &[&str] = &[
    "PING", "ECHO", "HELLO", "SELECT", "DBSIZE", "EXISTS", "TYPE", "nosuch", "",
];

/// One piece of fuzz input: random garbage or an odd but well-formed frame.
fn fuzz_chunk(r: &mut Rng) -> Vec<u8> {
    let alphabet = b"*$\r\n0123456789-+ \"'\\x:\t";
    match r.below(9) {
        0 => (0..r.below(200)).map(|_| r.next() as u8).collect(),
        1 => (0..r.below(200)).map(|_| *r.pick(alphabet)).collect(),
        2 => {
            // A well-formed multibulk with random arguments.
            let n = r.below(5) + 1;
            let mut v = format!("*{n}\r\n").into_bytes();
            for i in 0..n {
                let arg: Vec<u8> = if i == 0 {
                    r.pick(FUZZ_WORDS).as_bytes().to_vec()
                } else {
                    (0..r.below(40)).map(|_| r.next() as u8).collect()
                };
                v.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
                v.extend_from_slice(&arg);
                v.extend_from_slice(b"\r\n");
            }
            v
        }
        3 => {
            // An inline line with quotes and escapes.
            let mut v = r.pick(FUZZ_WORDS).as_bytes().to_vec();
            for _ in 0..r.below(4) {
                v.push(b' ');
                let q = *r.pick(b"\"'x");
                v.extend((0..r.below(10)).map(|_| *r.pick(b"ab\\x4\"' \t")));
                if q != b'x' {
                    v.insert(v.len() - v.len().min(3), q);
                    v.push(q);
                }
            }
            v.extend_from_slice(if r.below(2) == 0 { b"\r\n" } else { b"\n" });
            v
        }
        4 => format!("*{}\r\n", r.next() as i64 >> r.below(64)).into_bytes(),
        5 => format!("*1\r\n${}\r\n", r.next() as i64 >> r.below(64)).into_bytes(),
        6 => b"*0\r\n*-1\r\n\r\n\n*1\r\n$4\r\nPING\r\n".to_vec(),
        7 => b"HELLO 3\r\n".to_vec(),
        _ => {
            // A truncated frame.
            let mut v = b"*3\r\n$4\r\nECHO\r\n$10\r\nabc".to_vec();
            v.truncate(r.below(v.len() as u64) as usize);
            v
        }
    }
}

#[test]
fn fuzz_random_bytes_over_the_socket() {
    let mut srv = spawn(&[]);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        | 1;
    eprintln!("fuzz seed: {seed}");
    // PROTOCOL_FUZZ_SECS=<n> runs longer by hand.
    let secs = std::env::var("PROTOCOL_FUZZ_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let run_for = Duration::from_secs(secs);
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let addr = srv.addr.clone();
            thread::spawn(move || {
                let mut r = Rng(seed.wrapping_add(t.wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1);
                let end = Instant::now() + run_for;
                let mut conns = 0u64;
                while Instant::now() < end {
                    let Ok(mut s) = TcpStream::connect(&addr) else {
                        continue;
                    };
                    conns += 1;
                    let _ = s.set_nodelay(true);
                    let _ = s.set_write_timeout(Some(Duration::from_secs(2)));
                    let _ = s.set_read_timeout(Some(Duration::from_millis(1)));
                    let mut buf = [0u8; 4096];
                    for _ in 0..r.below(20) + 1 {
                        let chunk = fuzz_chunk(&mut r);
                        if s.write_all(&chunk).is_err() {
                            break;
                        }
                        // Drain some replies so output never piles up.
                        match s.read(&mut buf) {
                            Ok(0) => break,
                            Err(e)
                                if !matches!(
                                    e.kind(),
                                    ErrorKind::WouldBlock | ErrorKind::TimedOut
                                ) =>
                            {
                                break
                            }
                            _ => {}
                        }
                    }
                    // Sometimes close abruptly, sometimes half-close first.
                    if r.below(3) == 0 {
                        let _ = s.shutdown(std::net::Shutdown::Write);
                        let _ = s.read(&mut buf);
                    }
                }
                conns
            })
        })
        .collect();
    let mut total = 0;
    for t in threads {
        total += t.join().expect("fuzz thread panicked");
    }
    eprintln!("fuzz: {total} connections");
    assert!(total > 10, "only {total} connections made");
    assert!(!srv.has_exited(), "server died (seed {seed})");
    assert_alive(&mut srv);
    let mut c = srv.conn();
    assert_eq!(c.cmd(&["ECHO", "after fuzz"]), Reply::bulk("after fuzz"));
}
