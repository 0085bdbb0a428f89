//! A client that floods the server with commands whose replies it never reads
//! must be cut off at its output buffer limit, while the other clients keep
//! being served quickly and the server's memory stays bounded.
//!
//! The server runs with `--client-output-buffer-limit "normal 8mb 4mb 2"`; the
//! flooder pipelines `GET big` (a 1 MB value) without reading, so each command
//! adds 1 MB of pending output. Meanwhile a probe client PINGs in a loop
//! (latency recorded) and a sampler reads the server's VmRSS from
//! `/proc/<pid>/status`. Everything is bounded: the flood stops after
//! `FLOOD_FOR` at the latest, and every socket has a timeout.
//!
//! `FLOOD_TARGET=redis cargo test --test flood` runs the same test against a
//! spawned real redis-server, which proves that the expectations are Redis's.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use support::resp::encode_command;
use support::{Conn, Reply, Server};

/// How long new floods keep starting.
const FLOOD_FOR: Duration = Duration::from_secs(2);
/// Longest one flooding connection may live (it must be cut off sooner).
const ROUND_MAX: Duration = Duration::from_secs(3);
/// Flooding connections at a time.
const FLOODERS: usize = 3;
/// Size of the value every flooded GET returns.
const BIG: usize = 1 << 20;
/// The server's resident memory must stay below this during the flood.
const RSS_LIMIT_KB: u64 = 200 * 1024;
/// Slowest PING the probe client may see during the flood.
const MAX_PROBE_LATENCY: Duration = Duration::from_millis(500);

fn against_redis() -> bool {
    std::env::var("FLOOD_TARGET").is_ok_and(|v| v == "redis")
}

fn spawn(args: &[&str]) -> Server {
    if against_redis() {
        Server::redis(args).expect("FLOOD_TARGET=redis but redis-server is not installed")
    } else {
        Server::ferrodis(args)
    }
}

/// VmRSS of `pid` in kB, if /proc has it.
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Whether an I/O error means the peer closed or reset the connection.
fn is_gone(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::BrokenPipe
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::UnexpectedEof
    )
}

/// How the flooder's connection ended.
#[derive(Debug)]
struct FloodEnd {
    /// `GET big` commands fully written.
    sent: usize,
    /// Reply bytes that reached the flooder when it finally read.
    read: usize,
    /// The server closed the connection (EOF or reset).
    closed: bool,
    /// Time from the first write until the close was seen.
    took: Duration,
}

/// Pipelines `GET big` without reading until a write fails (the server closed
/// the connection) or `ROUND_MAX` passes, then reads what was delivered until
/// end-of-file, for at most 3 s and 64 MB.
fn flood(addr: &str) -> FloodEnd {
    let mut s = TcpStream::connect(addr).expect("flooder connects");
    s.set_write_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let batch: Vec<u8> = encode_command(&["GET", "big"]).repeat(16);
    let start = Instant::now();
    let mut sent_bytes = 0usize;
    let mut closed = false;
    while start.elapsed() < ROUND_MAX {
        match s.write(&batch) {
            Ok(n) => sent_bytes += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if is_gone(&e) => {
                closed = true;
                break;
            }
            Err(e) => panic!("flooder write: {e}"),
        }
    }
    // Whatever the kernel buffered is still readable; then EOF (or a reset)
    // proves that the server closed the connection.
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let read_until = Instant::now() + Duration::from_secs(3);
    let mut read = 0usize;
    let mut buf = vec![0u8; 256 * 1024];
    while !closed && Instant::now() < read_until && read < 64 * BIG {
        match s.read(&mut buf) {
            Ok(0) => closed = true,
            Ok(n) => read += n,
            Err(e) if is_gone(&e) => closed = true,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("flooder read: {e}"),
        }
    }
    FloodEnd {
        sent: sent_bytes / encode_command(&["GET", "big"]).len(),
        read,
        closed,
        took: start.elapsed(),
    }
}

#[test]
fn flooding_client_is_cut_off_others_are_served_memory_bounded() {
    let server = spawn(&["--client-output-buffer-limit", "normal 8mb 4mb 2"]);
    let pid = server.pid().expect("spawned");
    let mut c = server.conn();
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "client-output-buffer-limit"]),
        Reply::bulks(&[
            "client-output-buffer-limit",
            "normal 8388608 4194304 2 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        ])
    );
    assert_eq!(c.cmd(&["SET", "big", &"x".repeat(BIG)]), Reply::ok());
    assert_eq!(c.cmd(&["SET", "small", "v"]), Reply::ok());
    let rss_before = rss_kb(pid);

    let stop = Arc::new(AtomicBool::new(false));
    // RSS sampler: the largest VmRSS seen, and how many samples.
    let sampler = {
        let stop = stop.clone();
        thread::spawn(move || {
            let (mut max, mut n) = (0u64, 0usize);
            while !stop.load(Ordering::Relaxed) {
                if let Some(kb) = rss_kb(pid) {
                    max = max.max(kb);
                    n += 1;
                }
                thread::sleep(Duration::from_millis(10));
            }
            (max, n)
        })
    };
    // Probe: a well-behaved client PINGing (and reading a key) all along.
    let probe = {
        let stop = stop.clone();
        let mut p: Conn = server.conn();
        p.set_timeout(Duration::from_secs(3)).unwrap();
        thread::spawn(move || {
            let mut lat: Vec<Duration> = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                assert_eq!(p.cmd(&["PING"]), Reply::status("PONG"));
                assert_eq!(p.cmd(&["GET", "small"]), Reply::bulk("v"));
                lat.push(t.elapsed());
                thread::sleep(Duration::from_millis(5));
            }
            lat
        })
    };
    thread::sleep(Duration::from_millis(100));
    // FLOODERS threads, each flooding on a new connection as soon as the
    // previous one was cut off, until FLOOD_FOR has passed.
    let flooders: Vec<_> = (0..FLOODERS)
        .map(|_| {
            let addr = server.addr.clone();
            thread::spawn(move || {
                let start = Instant::now();
                let mut ends = Vec::new();
                while start.elapsed() < FLOOD_FOR {
                    ends.push(flood(&addr));
                }
                ends
            })
        })
        .collect();
    let ends: Vec<FloodEnd> = flooders
        .into_iter()
        .flat_map(|t| t.join().expect("flooder"))
        .collect();
    // Keep probing a little after the last cut-off (the server frees buffers).
    thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    let mut lat = probe.join().expect("probe client failed");
    let (rss_max, samples) = sampler.join().expect("sampler");
    lat.sort();
    let slowest = ends.iter().map(|e| e.took).max();
    let show = format!(
        "{} floods, {} GETs sent in all, slowest cut-off {slowest:?}, first {:?}; probe: {} round trips, median {:?}, max {:?}; RSS before {rss_before:?} kB, max {rss_max} kB over {samples} samples",
        ends.len(),
        ends.iter().map(|e| e.sent).sum::<usize>(),
        ends.first(),
        lat.len(),
        lat.get(lat.len() / 2),
        lat.last()
    );
    println!("flood: {show}");

    for end in &ends {
        assert!(
            end.closed,
            "a flooder was not disconnected: {end:?}\n{show}"
        );
        assert!(
            end.took < ROUND_MAX,
            "a flooder was only cut off after {:?}\n{show}",
            end.took
        );
        // It was cut off by its output, not at once: more 1 MB replies were
        // asked for than the limit holds, and far fewer were delivered.
        assert!(end.sent >= 8, "a flood hardly started: {end:?}\n{show}");
        assert!(
            end.read < end.sent * BIG / 2,
            "most replies were delivered: no cut-off at the limit: {end:?}\n{show}"
        );
    }
    assert!(lat.len() >= 5, "the probe was barely served\n{show}");
    assert!(
        *lat.last().unwrap() < MAX_PROBE_LATENCY,
        "the probe waited too long\n{show}"
    );
    assert!(samples > 0, "no VmRSS samples\n{show}");
    assert!(rss_max < RSS_LIMIT_KB, "RSS grew too much\n{show}");

    // The server is fine afterwards, and the big value is intact.
    let mut c2 = server.conn();
    assert_eq!(c2.cmd(&["STRLEN", "big"]), Reply::Int(BIG as i64));
    let clients = c2.cmd(&["CLIENT", "LIST"]);
    if let Some(list) = clients.as_bytes() {
        // the original connection, the probe's (closed by now or soon) and ours
        let n = String::from_utf8_lossy(list).lines().count();
        assert!(n <= 3, "the flooder is still connected:\n{clients}");
    }
    drop(server);
}
