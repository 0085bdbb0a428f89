//! Pub/Sub under load, against a spawned ferrodis (and, when installed, the
//! same checks against a real redis-server, which proves they are Redis's
//! behaviour):
//!
//! - `fanout_in_order`: 200 subscribers of one channel; 10,000 messages are
//!   published in one pipeline; every subscriber must receive all of them,
//!   in publish order, byte for byte.
//! - `stuck_subscriber_is_cut_off`: with `client-output-buffer-limit pubsub
//!   1mb 0 0`, a subscriber that never reads is disconnected once its
//!   pending output passes the limit, while subscribers that read keep
//!   receiving every message.
//!
//! Everything is bounded: sockets have read timeouts, message counts are
//! fixed, and reader threads stop at their expected byte count.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use support::resp::encode_command;
use support::{Reply, Server};

const READ_TIMEOUT: Duration = Duration::from_secs(20);

/// The bytes a RESP2 subscriber of `ch` receives for `msgs`.
fn expected_stream(ch: &str, msgs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in msgs {
        out.extend_from_slice(b"*3\r\n$7\r\nmessage\r\n");
        out.extend_from_slice(format!("${}\r\n{ch}\r\n", ch.len()).as_bytes());
        out.extend_from_slice(format!("${}\r\n", m.len()).as_bytes());
        out.extend_from_slice(m);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A raw connection subscribed to `ch` (its subscribe reply consumed).
fn subscriber(port: u16, ch: &str, name: &str) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    s.write_all(&encode_command(&["CLIENT", "SETNAME", name]))
        .unwrap();
    s.write_all(&encode_command(&["SUBSCRIBE", ch])).unwrap();
    let want = format!(
        "+OK\r\n*3\r\n$9\r\nsubscribe\r\n${}\r\n{ch}\r\n:1\r\n",
        ch.len()
    );
    let mut got = vec![0u8; want.len()];
    s.read_exact(&mut got).expect("subscribe reply");
    assert_eq!(got, want.as_bytes());
    s
}

/// Reads exactly `want.len()` bytes and compares them with `want`.
fn read_and_check(mut s: TcpStream, want: Vec<u8>) -> Result<(), String> {
    let mut got = vec![0u8; want.len()];
    let mut n = 0;
    while n < got.len() {
        match s.read(&mut got[n..]) {
            Ok(0) => return Err(format!("closed after {n} of {} bytes", want.len())),
            Ok(k) => n += k,
            Err(e) => return Err(format!("read error after {n} bytes: {e}")),
        }
    }
    if got != want {
        let at = got.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(0);
        return Err(format!("stream differs at byte {at}"));
    }
    Ok(())
}

/// Publishes `msgs` on `ch` in one pipeline and checks every reply is
/// `receivers`.
fn publish_all(port: u16, ch: &str, msgs: &[Vec<u8>], receivers: i64) {
    let mut p = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    p.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let mut pipeline = Vec::new();
    for m in msgs {
        pipeline.extend_from_slice(&encode_command(&[b"PUBLISH".as_slice(), ch.as_bytes(), m]));
    }
    let writer = {
        let mut w = p.try_clone().unwrap();
        thread::spawn(move || w.write_all(&pipeline))
    };
    let want = format!(":{receivers}\r\n").repeat(msgs.len());
    let mut got = vec![0u8; want.len()];
    p.read_exact(&mut got).expect("PUBLISH replies");
    writer.join().unwrap().expect("pipeline written");
    assert_eq!(String::from_utf8_lossy(&got), want, "PUBLISH replies");
}

fn servers(extra: &[&str]) -> Vec<(&'static str, Server)> {
    let mut v = vec![("ferrodis", Server::ferrodis(extra))];
    if let Some(r) = Server::redis(extra) {
        v.push(("redis-server", r));
    }
    v
}

#[test]
fn fanout_in_order() {
    for (name, server) in servers(&[]) {
        let port = server.port();
        let msgs: Vec<Vec<u8>> = (0..10_000)
            .map(|i| format!("message number {i}").into_bytes())
            .collect();
        let want = expected_stream("news", &msgs);
        let readers: Vec<_> = (0..200)
            .map(|i| {
                let s = subscriber(port, "news", &format!("sub{i}"));
                let want = want.clone();
                thread::spawn(move || read_and_check(s, want))
            })
            .collect();
        let start = Instant::now();
        publish_all(port, "news", &msgs, 200);
        for (i, r) in readers.into_iter().enumerate() {
            let res = r.join().expect("reader thread");
            assert!(res.is_ok(), "{name}: subscriber {i}: {res:?}");
        }
        println!(
            "{name}: 200 subscribers x 10000 messages delivered in order in {:.2} s",
            start.elapsed().as_secs_f64()
        );
    }
}

#[test]
fn stuck_subscriber_is_cut_off() {
    for (name, server) in servers(&["--client-output-buffer-limit", "pubsub 1mb 0 0"]) {
        let port = server.port();
        // Never read: its pending output must reach the limit once the
        // kernel's socket buffers are full.
        let stuck = subscriber(port, "feed", "stuck");
        let msgs: Vec<Vec<u8>> = (0..20_000)
            .map(|i| {
                let mut m = format!("{i:08}:").into_bytes();
                m.resize(1024, b'x');
                m
            })
            .collect();
        let want = expected_stream("feed", &msgs);
        let readers: Vec<_> = (0..5)
            .map(|i| {
                let s = subscriber(port, "feed", &format!("reader{i}"));
                let want = want.clone();
                thread::spawn(move || read_and_check(s, want))
            })
            .collect();
        // The publish counts drop from 6 to 5 once the stuck client is
        // gone, so publish one by one and only count.
        let mut p = server.conn();
        let mut delivered_to_all = 0;
        for m in &msgs {
            match p.cmd(&[b"PUBLISH".as_slice(), b"feed", m]) {
                Reply::Int(6) => delivered_to_all += 1,
                Reply::Int(5) => {}
                other => panic!("{name}: PUBLISH replied {other:?}"),
            }
        }
        for (i, r) in readers.into_iter().enumerate() {
            let res = r.join().expect("reader thread");
            assert!(res.is_ok(), "{name}: reader {i}: {res:?}");
        }
        assert!(
            delivered_to_all < msgs.len(),
            "{name}: the stuck subscriber was never disconnected"
        );
        let list = p.cmd(&["CLIENT", "LIST"]);
        let text = match &list {
            Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
            other => panic!("{name}: CLIENT LIST replied {other:?}"),
        };
        assert!(
            !text.contains("name=stuck"),
            "{name}: stuck client still listed"
        );
        drop(stuck);
        println!("{name}: stuck subscriber cut off after {delivered_to_all} messages; readers got all 20000");
    }
}
