//! BGSAVE under stress: a crash in the middle of a save, and writes while it runs.
//!
//! - `kill_9_during_bgsave_keeps_previous_dump`: after a SAVE of a small
//!   dataset, ~200k keys are added and a BGSAVE started; once INFO shows
//!   `rdb_bgsave_in_progress:1` the server is killed with SIGKILL. The previous
//!   dump.rdb must be byte-identical (the new image is written to a temp file
//!   and renamed only when complete), and a restart must load that previous
//!   dump, not a leftover temp-*.rdb.
//! - `writes_during_bgsave_do_not_leak`: while a BGSAVE of ~200k keys runs, a
//!   second connection overwrites, deletes, renames, moves, expires and adds
//!   keys, appends to 1 MB strings, pushes to lists, sets hash fields,
//!   converts small hashes, sets and sorted sets to their table encodings,
//!   flushes one database and swaps two (`string_writes_...`: the same
//!   without lists and hashes). The file must hold exactly the dataset as of the BGSAVE command,
//!   which the test knows from the commands it sent; it is checked by loading
//!   it into a fresh redis-server (the server under test if Redis is absent).
//!
//! Every loop is bounded. `INTEROP_TARGET=redis` runs both tests against
//! redis-server (whose forked child gives the guarantees for free), which is
//! how the expectations were proved.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use support::server::{redis_installed, TempDir};
use support::{Conn, Reply, Server};

/// Keys added by DEBUG POPULATE for the big save.
const BIG: usize = 200_000;

/// Lists and hashes added beside them (list:i, hash:i) in the full test.
const SMALL: usize = 100;

fn redis_is_target() -> bool {
    std::env::var("INTEROP_TARGET").is_ok_and(|v| v == "redis")
}

/// The server under test (redis-server with `INTEROP_TARGET=redis`) saving to
/// `dir/dump.rdb`.
fn target(dir: &Path) -> Server {
    let d = dir.display().to_string();
    let args = [
        "--dir",
        d.as_str(),
        "--dbfilename",
        "dump.rdb",
        "--enable-debug-command",
        "local",
    ];
    if redis_is_target() {
        Server::redis(&args).expect("INTEROP_TARGET=redis but redis-server is not installed")
    } else {
        Server::ferrodis(&args)
    }
}

fn ok(c: &mut Conn, args: &[&str]) {
    assert_eq!(c.cmd(args), Reply::ok(), "{args:?}");
}

fn text(r: &Reply) -> String {
    match r.as_bytes() {
        Some(b) => String::from_utf8_lossy(b).into_owned(),
        None => panic!("expected a string reply, got {r}"),
    }
}

fn info_field(c: &mut Conn, field: &str) -> String {
    let info = text(&c.cmd(&["INFO", "persistence"]));
    info.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| panic!("INFO persistence has no {field}:\n{info}"))
}

fn bgsave_running(c: &mut Conn) -> bool {
    info_field(c, "rdb_bgsave_in_progress") == "1"
}

/// Waits (bounded) for the running BGSAVE to end; it must have succeeded.
fn wait_bgsave_done(c: &mut Conn) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while bgsave_running(c) {
        assert!(
            Instant::now() < deadline,
            "BGSAVE still running after 120 s"
        );
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(info_field(c, "rdb_last_bgsave_status"), "ok");
}

fn start_bgsave(c: &mut Conn) {
    assert_eq!(
        c.cmd(&["BGSAVE"]),
        Reply::status("Background saving started")
    );
}

/// Every string key of the current database with its value (SCAN + GET).
fn strings(c: &mut Conn) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut cursor = "0".to_string();
    for _ in 0..1_000_000 {
        let r = c.cmd(&["SCAN", &cursor, "COUNT", "1000"]);
        let parts = r.as_array().unwrap_or_else(|| panic!("SCAN -> {r}"));
        cursor = text(&parts[0]);
        for k in parts[1].as_array().expect("SCAN keys") {
            let k = k.as_bytes().expect("key").to_vec();
            let v = c.cmd(&[b"GET".as_slice(), &k]);
            out.insert(k, v.as_bytes().expect("a string value").to_vec());
        }
        if cursor == "0" {
            return out;
        }
    }
    panic!("SCAN did not finish");
}

fn dir_listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn kill_9_during_bgsave_keeps_previous_dump() {
    let tmp = TempDir::new("rdb-crash-kill");
    let dir = tmp.path().join("data");
    fs::create_dir_all(&dir).unwrap();
    let mut s = target(&dir);
    let mut c = s.conn();
    ok(&mut c, &["DEBUG", "POPULATE", "1000", "old"]);
    ok(&mut c, &["SET", "marker", "before the crash"]);
    ok(&mut c, &["SAVE"]);
    let before = strings(&mut c);
    assert_eq!(before.len(), 1001);
    let file = dir.join("dump.rdb");
    let bytes_before = fs::read(&file).expect("dump.rdb after SAVE");

    ok(&mut c, &["DEBUG", "POPULATE", &BIG.to_string(), "new"]);
    start_bgsave(&mut c);
    // Bounded: the save of 200k keys takes far longer than a few INFOs.
    let mut seen = false;
    for _ in 0..5000 {
        if bgsave_running(&mut c) {
            seen = true;
            break;
        }
        thread::sleep(Duration::from_millis(1));
    }
    assert!(
        seen,
        "never saw rdb_bgsave_in_progress:1 (the save ended too fast to test; raise BIG)"
    );
    s.kill();

    let bytes_after = fs::read(&file).expect("dump.rdb after the kill");
    assert!(
        bytes_after == bytes_before,
        "dump.rdb changed by a BGSAVE killed halfway ({} bytes before, {} after); dir: {:?}",
        bytes_before.len(),
        bytes_after.len(),
        dir_listing(&dir)
    );
    let listing = dir_listing(&dir);
    eprintln!("after the kill: {listing:?}");

    s.restart();
    let mut c = s.conn();
    assert_eq!(
        c.cmd(&["DBSIZE"]),
        Reply::Int(1001),
        "the restart must load the previous dump.rdb (dir: {listing:?})"
    );
    let after = strings(&mut c);
    assert!(
        after == before,
        "the restart did not load the previous dump's data"
    );
}

/// Big strings beside them (big:i, 1 MB each), appended to during the save.
const BIGSTR: usize = 4;

fn big_value(i: usize) -> Vec<u8> {
    vec![b'a' + i as u8; 1 << 20]
}

/// The data before the BGSAVE: db 0 key:i=value:i (DEBUG POPULATE), big:i
/// (1 MB), and `small` each of list:i [a, b, c], hash:i {f: v}, set:i
/// {1, 2, 3} (intset), zset:i {a: 1, b: 2} (listpack); db 1 one:i=1-i; db 2
/// two:i=2-i; db 3 empty.
fn build(c: &mut Conn, small: usize) {
    ok(c, &["DEBUG", "POPULATE", &BIG.to_string()]);
    for i in 0..BIGSTR {
        let key = format!("big:{i}");
        let r = c.cmd(&[b"SET".as_slice(), key.as_bytes(), &big_value(i)]);
        assert_eq!(r, Reply::ok());
    }
    for i in 0..small {
        c.send(&["RPUSH", &format!("list:{i}"), "a", "b", "c"])
            .unwrap();
        c.send(&["HSET", &format!("hash:{i}"), "f", "v"]).unwrap();
        c.send(&["SADD", &format!("set:{i}"), "1", "2", "3"])
            .unwrap();
        c.send(&["ZADD", &format!("zset:{i}"), "1", "a", "2", "b"])
            .unwrap();
    }
    for _ in 0..4 * small {
        assert!(!c.read_reply().unwrap().is_error());
    }
    for db in [1, 2] {
        ok(c, &["SELECT", &db.to_string()]);
        let name = if db == 1 { "one" } else { "two" };
        for i in 0..50 {
            ok(c, &["SET", &format!("{name}:{i}"), &format!("{db}-{i}")]);
        }
    }
    ok(c, &["SELECT", "0"]);
}

/// One batch of writes (b = batch number) on connection `w`, which is in db 0;
/// returns the keys it gave a TTL.
fn write_batch(w: &mut Conn, b: usize, small: usize) -> Vec<String> {
    let mut expired = Vec::new();
    let r = (b * 7919) % (BIG - 10);
    let mut cmds: Vec<Vec<String>> = Vec::new();
    let mut add = |parts: &[&str]| cmds.push(parts.iter().map(|p| p.to_string()).collect());
    for j in 0..10 {
        let k = |n: usize| format!("key:{}", (r + n * 17 + j * 1009) % BIG);
        add(&["SET", &k(0), "changed during the save"]);
        add(&["DEL", &k(1)]);
        add(&["RENAME", &k(2), &format!("renamed:{b}:{j}")]);
        add(&["EXPIRE", &k(3), "1"]);
        expired.push(k(3));
        add(&["MOVE", &k(4), "1"]);
        add(&["APPEND", &k(5), "+more"]);
        add(&["SET", &format!("new:{b}:{j}"), "v"]);
        add(&["INCR", &format!("counter:{b}")]);
        add(&["APPEND", &format!("big:{}", (b + j) % BIGSTR), "+appended"]);
        if small > 0 {
            add(&["LPUSH", &format!("list:{}", (b + j) % small), "new"]);
            add(&["RPOP", &format!("list:{}", (b + j + 50) % small)]);
            add(&[
                "HSET",
                &format!("hash:{}", (b + j) % small),
                "f",
                "new",
                "g",
                "h",
            ]);
            add(&["DEL", &format!("hash:{}", (b + j + 30) % small)]);
            // Writes that change the encoding (listpack/intset to tables).
            let mut many = vec!["HSET".to_string(), format!("hash:{}", (b + j + 60) % small)];
            let mut members = vec!["ZADD".to_string(), format!("zset:{}", (b + j) % small)];
            for n in 0..300 {
                many.extend([format!("f{n}"), "x".repeat(n % 80)]);
                members.extend([n.to_string(), format!("m{n}")]);
            }
            let many: Vec<&str> = many.iter().map(String::as_str).collect();
            add(&many);
            let members: Vec<&str> = members.iter().map(String::as_str).collect();
            add(&members);
            add(&["SADD", &format!("set:{}", (b + j) % small), "not-an-int"]);
            add(&["SREM", &format!("set:{}", (b + j + 40) % small), "2"]);
            add(&["ZREM", &format!("zset:{}", (b + j + 20) % small), "a"]);
        }
    }
    match b {
        2 => {
            add(&["SELECT", "2"]);
            add(&["FLUSHDB"]);
            add(&["SELECT", "0"]);
        }
        4 => add(&["SWAPDB", "1", "3"]),
        6 => {
            add(&["SELECT", "1"]);
            add(&["SET", "one:0", "changed"]);
            add(&["SELECT", "0"]);
        }
        _ => {}
    }
    for a in &cmds {
        w.send(a).unwrap();
    }
    for a in &cmds {
        let rep = w.read_reply().unwrap();
        // RENAME/MOVE of a key an earlier write removed fail; that is fine.
        if rep.is_error() && a[0] != "RENAME" {
            panic!("{a:?} -> {rep}");
        }
    }
    expired
}

/// Checks that the server behind `c` holds exactly what `build` made (and
/// that none of `expired` has a TTL).
fn assert_built(c: &mut Conn, expired: &[String], small: usize) {
    let mut problems: Vec<String> = Vec::new();
    for db in 0..16 {
        ok(c, &["SELECT", &db.to_string()]);
        let want = match db {
            0 => (BIG + BIGSTR + 4 * small) as i64,
            1 | 2 => 50,
            _ => 0,
        };
        let got = c.cmd(&["DBSIZE"]);
        if got != Reply::Int(want) {
            problems.push(format!("db {db}: DBSIZE {got}, want {want}"));
        }
    }
    ok(c, &["SELECT", "0"]);
    for start in (0..BIG).step_by(1000) {
        let mut args = vec!["MGET".to_string()];
        args.extend((start..start + 1000).map(|i| format!("key:{i}")));
        let r = c.cmd(&args);
        let vals = r.as_array().unwrap_or_else(|| panic!("MGET -> {r}"));
        for (n, v) in vals.iter().enumerate() {
            let i = start + n;
            let want = format!("value:{i}");
            if v.as_bytes() != Some(want.as_bytes()) && problems.len() < 50 {
                problems.push(format!("key:{i} is {v}, want {want:?}"));
            }
        }
    }
    for i in 0..BIGSTR {
        let v = c.cmd(&["GET", &format!("big:{i}")]);
        if v.as_bytes() != Some(big_value(i).as_slice()) {
            let len = v.as_bytes().map(|b| b.len());
            problems.push(format!("big:{i} is not its 1 MB value (length {len:?})"));
        }
    }
    for k in expired {
        let t = c.cmd(&["PTTL", k]);
        if t != Reply::Int(-1) && problems.len() < 50 {
            problems.push(format!("{k} has PTTL {t} (an EXPIRE sent during the save)"));
        }
    }
    for i in 0..small {
        let l = c.cmd(&["LRANGE", &format!("list:{i}"), "0", "-1"]);
        if l != Reply::bulks(&["a", "b", "c"]) {
            problems.push(format!("list:{i} is {l}"));
        }
        let h = c.cmd(&["HGETALL", &format!("hash:{i}")]);
        if h != Reply::bulks(&["f", "v"]) {
            problems.push(format!("hash:{i} is {h}"));
        }
        let m = c.cmd(&["SMEMBERS", &format!("set:{i}")]);
        let enc = c.cmd(&["OBJECT", "ENCODING", &format!("set:{i}")]);
        if m != Reply::bulks(&["1", "2", "3"]) || enc != Reply::bulk("intset") {
            problems.push(format!("set:{i} is {m} ({enc})"));
        }
        let z = c.cmd(&["ZRANGE", &format!("zset:{i}"), "0", "-1", "WITHSCORES"]);
        if z != Reply::bulks(&["a", "1", "b", "2"]) {
            problems.push(format!("zset:{i} is {z}"));
        }
    }
    for (db, name) in [(1, "one"), (2, "two")] {
        ok(c, &["SELECT", &db.to_string()]);
        let got = strings(c);
        for i in 0..50 {
            let k = format!("{name}:{i}");
            let want = format!("{db}-{i}");
            if got.get(k.as_bytes()).map(Vec::as_slice) != Some(want.as_bytes()) {
                problems.push(format!(
                    "db {db} {k} is {:?}, want {want:?}",
                    got.get(k.as_bytes())
                ));
            }
        }
    }
    ok(c, &["SELECT", "0"]);
    assert!(
        problems.is_empty(),
        "the file does not hold the dataset as of BGSAVE ({} problems):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn writes_during_bgsave_do_not_leak() {
    writes_during_bgsave(SMALL);
}

/// The same with string keys only (no lists or hashes).
#[test]
fn string_writes_during_bgsave_do_not_leak() {
    writes_during_bgsave(0);
}

fn writes_during_bgsave(small: usize) {
    let tmp = TempDir::new("rdb-crash-writes");
    let dir = tmp.path().join("data");
    fs::create_dir_all(&dir).unwrap();
    let s = target(&dir);
    let mut c = s.conn();
    build(&mut c, small);
    let mut w = s.conn();
    start_bgsave(&mut c);
    let started = Instant::now();
    let mut during = 0;
    let mut batches = 0;
    let mut expired = Vec::new();
    for b in 0..2000 {
        if !bgsave_running(&mut c) || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        expired.extend(write_batch(&mut w, b, small));
        batches += 1;
        if bgsave_running(&mut c) {
            during += 1;
        }
    }
    wait_bgsave_done(&mut c);
    eprintln!(
        "{batches} write batches ({during} finished while the save still ran) in {:?}",
        started.elapsed()
    );
    assert!(
        during > 0,
        "no write batch completed while the BGSAVE ran: nothing was tested (raise BIG)"
    );
    // The live data did change.
    assert_ne!(
        c.cmd(&["DBSIZE"]),
        Reply::Int((BIG + BIGSTR + 4 * small) as i64)
    );

    // Load the file elsewhere: redis-server when installed (the authority on
    // what the file says), else the server under test.
    let check_dir = tmp.path().join("check");
    fs::create_dir_all(&check_dir).unwrap();
    fs::copy(dir.join("dump.rdb"), check_dir.join("dump.rdb")).expect("copy dump.rdb");
    let d = check_dir.display().to_string();
    let args = ["--dir", d.as_str(), "--dbfilename", "dump.rdb"];
    let checker = if redis_installed() {
        Server::redis(&args).expect("redis-server")
    } else {
        Server::ferrodis(&args)
    };
    assert_built(&mut checker.conn(), &expired, small);
}
