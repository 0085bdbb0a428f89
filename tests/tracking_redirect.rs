//! CLIENT TRACKING with REDIRECT, which compat cases cannot express (the
//! target's client id differs between servers): a RESP2 connection tracks
//! keys and redirects its invalidations to another connection subscribed to
//! `__redis__:invalidate`; a write and a flush reach the subscriber as
//! Pub/Sub messages; once the subscriber is gone, TRACKINGINFO and CLIENT
//! LIST show the broken redirect. Runs against ferrodis and, when installed,
//! redis-server, with the same expectations.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use support::resp::encode_command;
use support::{Reply, Server};

fn raw(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

fn expect(s: &mut TcpStream, want: &[u8]) {
    let mut got = vec![0u8; want.len()];
    s.read_exact(&mut got).expect("read");
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want));
}

fn check(name: &str, server: &Server) {
    let port = server.port();
    let mut sub = raw(port);
    sub.write_all(&encode_command(&["CLIENT", "ID"])).unwrap();
    let mut buf = [0u8; 64];
    let n = sub.read(&mut buf).unwrap();
    let id = String::from_utf8_lossy(&buf[1..n]).trim().to_string();
    sub.write_all(&encode_command(&["SUBSCRIBE", "__redis__:invalidate"]))
        .unwrap();
    expect(
        &mut sub,
        b"*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n",
    );

    let mut tracker = server.conn();
    assert_eq!(
        tracker.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &id]),
        Reply::Status("OK".into()),
        "{name}"
    );
    assert_eq!(
        tracker.cmd(&["CLIENT", "GETREDIR"]),
        Reply::Int(id.parse().unwrap()),
        "{name}"
    );
    tracker.cmd(&["GET", "k"]);
    let mut writer = server.conn();
    writer.cmd(&["SET", "k", "1"]);
    expect(
        &mut sub,
        b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n",
    );
    writer.cmd(&["FLUSHALL"]);
    expect(
        &mut sub,
        b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n",
    );

    // The redirect target goes away: the next invalidation is lost and the
    // tracker is flagged.
    drop(sub);
    std::thread::sleep(Duration::from_millis(100));
    tracker.cmd(&["GET", "k"]);
    writer.cmd(&["SET", "k", "2"]);
    let info = tracker.cmd(&["CLIENT", "TRACKINGINFO"]);
    let text = support::resp::render(&info, false);
    assert!(text.contains("broken_redirect"), "{name}: {text}");
    match tracker.cmd(&["CLIENT", "INFO"]) {
        Reply::Bulk(b) => {
            let line = String::from_utf8_lossy(&b).into_owned();
            assert!(line.contains("flags=tR "), "{name}: {line}");
            assert!(line.contains(&format!("redir={id} ")), "{name}: {line}");
        }
        other => panic!("{name}: CLIENT INFO replied {other:?}"),
    }
}

#[test]
fn redirect_to_a_resp2_subscriber() {
    check("ferrodis", &Server::ferrodis(&[]));
    if let Some(r) = Server::redis(&[]) {
        check("redis-server", &r);
    }
}
