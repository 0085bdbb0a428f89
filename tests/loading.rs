//! Loading at start: while the dump file or the AOF is being loaded, the
//! server already accepts connections, answers `-LOADING Redis is loading the
//! dataset in memory` to commands not allowed then, shows `loading:1` in INFO
//! persistence, and serves the whole dataset once the load is done.

mod support;

use std::io::Write;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use support::server::{spawn_unready, Server, Spawned, TempDir};
use support::{Conn, Reply};

/// A ferrodis started on `dir` without waiting for it (the harness waits
/// for PONG, which only comes after the load).
fn spawn(dir: &Path, extra: &[&str]) -> (Spawned, String) {
    let mut args = vec!["--save", ""];
    args.extend_from_slice(extra);
    spawn_unready(dir, &args)
}

/// What a client sees from the start until `GET probe_key` answers
/// `expected`: whether it got -LOADING, and whether INFO said loading:1.
fn watch_load(addr: &str, probe_key: &str, expected: &str) -> (bool, bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut c = loop {
        if let Ok(c) = Conn::connect(addr) {
            break c;
        }
        assert!(Instant::now() < deadline, "ferrodis did not start");
        thread::sleep(Duration::from_millis(5));
    };
    let (mut saw_error, mut saw_info) = (false, false);
    loop {
        assert!(Instant::now() < deadline, "the load did not end");
        c.send(&["INFO", "persistence"]).unwrap();
        if let Reply::Bulk(info) = c.read_reply().unwrap() {
            saw_info |= String::from_utf8_lossy(&info).contains("loading:1\r\n");
        }
        c.send(&["GET", probe_key]).unwrap();
        match c.read_reply().unwrap() {
            Reply::Error(e) => {
                assert_eq!(e, "LOADING Redis is loading the dataset in memory");
                saw_error = true;
            }
            r => {
                assert_eq!(r, Reply::bulk(expected));
                return (saw_error, saw_info);
            }
        }
        thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn the_dump_file_loads_while_clients_get_loading() {
    let dir = TempDir::new("loading-rdb");
    {
        let s = Server::ferrodis_in(dir.path(), &["--enable-debug-command", "local"]);
        let mut c = s.conn();
        assert_eq!(c.cmd(&["DEBUG", "POPULATE", "1000000"]), Reply::ok());
        assert_eq!(c.cmd(&["SAVE"]), Reply::ok());
    }
    let (_p, addr) = spawn(dir.path(), &[]);
    let (saw_error, saw_info) = watch_load(&addr, "key:999999", "value:999999");
    assert!(saw_error, "no -LOADING seen while the dump loaded");
    assert!(saw_info, "INFO never said loading:1");
    let mut c = Conn::connect(&addr).unwrap();
    assert_eq!(c.cmd(&["DBSIZE"]), Reply::Int(1_000_000));
}

#[test]
fn the_aof_loads_while_clients_get_loading() {
    let dir = TempDir::new("loading-aof");
    let aof = dir.path().join("appendonlydir");
    std::fs::create_dir_all(&aof).unwrap();
    std::fs::write(
        aof.join("appendonly.aof.manifest"),
        "file appendonly.aof.1.incr.aof seq 1 type i\n",
    )
    .unwrap();
    let n = 300_000;
    let mut f = std::io::BufWriter::new(
        std::fs::File::create(aof.join("appendonly.aof.1.incr.aof")).unwrap(),
    );
    f.write_all(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n").unwrap();
    for i in 0..n {
        let (k, v) = (format!("k{i}"), format!("v{i}"));
        write!(
            f,
            "*3\r\n$3\r\nSET\r\n${}\r\n{k}\r\n${}\r\n{v}\r\n",
            k.len(),
            v.len()
        )
        .unwrap();
    }
    f.flush().unwrap();
    drop(f);
    let (_p, addr) = spawn(dir.path(), &["--appendonly", "yes"]);
    let last = format!("k{}", n - 1);
    let (saw_error, saw_info) = watch_load(&addr, &last, &format!("v{}", n - 1));
    assert!(saw_error, "no -LOADING seen while the AOF loaded");
    assert!(saw_info, "INFO never said loading:1");
    let mut c = Conn::connect(&addr).unwrap();
    assert_eq!(c.cmd(&["DBSIZE"]), Reply::Int(n));
    // Loading is over: writes go to the AOF again.
    assert_eq!(c.cmd(&["SET", "after", "1"]), Reply::ok());
}
