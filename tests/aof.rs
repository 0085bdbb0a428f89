//! The append-only file on disk: what ferrodis writes loads back into
//! ferrodis and into real Redis (and passes `redis-check-aof`), what real
//! Redis writes loads into ferrodis, rewrites keep every write, a truncated
//! tail is handled as `aof-load-truncated` says, a Redis 6 single file is
//! migrated, and with `appendfsync always` no acknowledged write is lost to a
//! kill -9. Datasets are compared with DEBUG DIGEST (the same on both).
//! The tests that need redis-server are skipped without it (unless
//! REQUIRE_REDIS is set).

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use support::server::{redis_installed, Server, TempDir};
use support::{Conn, Reply};

const AOF: &[&str] = &[
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
    "--enable-debug-command",
    "local",
];

fn have_redis(test: &str) -> bool {
    if redis_installed() {
        return true;
    }
    assert!(
        std::env::var_os("REQUIRE_REDIS").is_none(),
        "redis-server is required"
    );
    eprintln!("{test}: redis-server not installed, skipped");
    false
}

fn cmd(c: &mut Conn, line: &str) -> Reply {
    let args = support::resp::split_args(line).expect("command line");
    let r = c.cmd(&args);
    assert!(!r.is_error(), "{line}: {r:?}");
    r
}

fn digest(srv: &Server) -> Vec<u8> {
    let mut c = srv.conn();
    cmd(&mut c, "DEBUG DIGEST").as_bytes().unwrap().to_vec()
}

/// Writes of every type and encoding, in three databases, with TTLs (as
/// absolute times, so that digests compare across servers), and commands
/// that propagate as their effect.
fn populate(c: &mut Conn, tag: &str) {
    for line in [
        "SELECT 0",
        "SET int 12345",
        "SET str hello",
        "SET ttl v PXAT 99999999999999",
        "SET relttl v EX 100000",
        "PEXPIREAT relttl 99999999999000",
        "RPUSH list a b c 1 2 3",
        "HSET hash f1 v1 f2 2",
        "SADD iset 1 2 3",
        "SADD sset a b c",
        "ZADD zset 1 a 2.5 b -3 c",
        "INCRBYFLOAT float 1.25",
        "HINCRBYFLOAT hash f3 0.5",
        "SADD popme x y z",
        "SPOP popme",
        "SELECT 3",
        "SET other db3",
        "MULTI",
        "INCR counter",
        "INCR counter",
        "EXEC",
        "SELECT 9",
        "LPUSH l9 x",
    ] {
        cmd(c, line);
    }
    cmd(c, "SELECT 0");
    let long = "x".repeat(300);
    cmd(c, &format!("SET {tag}:long {long}"));
    for i in 0..300 {
        cmd(c, &format!("RPUSH {tag}:biglist item{i}"));
        cmd(c, &format!("HSET {tag}:bighash f{i} v{i}"));
        cmd(c, &format!("SADD {tag}:bigset m{i}"));
        cmd(c, &format!("ZADD {tag}:bigzset {i} m{i}"));
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn manifest(dir: &Path) -> String {
    fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap()
}

fn check_aof(dir: &Path) {
    let out = Command::new("redis-check-aof")
        .arg(dir.join("appendonlydir/appendonly.aof.manifest"))
        .output()
        .expect("redis-check-aof");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("valid"),
        "redis-check-aof: {text}"
    );
}

fn info_field(srv: &Server, name: &str) -> String {
    let mut c = srv.conn();
    let r = cmd(&mut c, "INFO persistence");
    let text = String::from_utf8_lossy(r.as_bytes().unwrap()).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .to_string()
}

fn wait_rewrite(srv: &Server) {
    let t = Instant::now();
    while info_field(srv, "aof_rewrite_in_progress") != "0"
        || info_field(srv, "aof_rewrite_scheduled") != "0"
    {
        assert!(t.elapsed() < Duration::from_secs(10), "rewrite never ended");
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ferrodis_aof_reloads_in_ferrodis_and_in_redis() {
    let dir = TempDir::new("aof-own");
    let mut ours = Server::ferrodis_in(dir.path(), AOF);
    populate(&mut ours.conn(), "a");
    let want = digest(&ours);
    ours.restart();
    assert_eq!(digest(&ours), want, "ferrodis after restart");
    ours.kill();
    assert_eq!(
        manifest(dir.path()),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    if !have_redis("ferrodis_aof_reloads_in_ferrodis_and_in_redis") {
        return;
    }
    check_aof(dir.path());
    let rdir = TempDir::new("aof-own-redis");
    copy_dir(
        &dir.path().join("appendonlydir"),
        &rdir.path().join("appendonlydir"),
    );
    let redis = Server::spawn_in("redis-server", rdir.path(), AOF).unwrap();
    assert_eq!(digest(&redis), want, "redis loading ferrodis's AOF");
}

#[test]
fn redis_aof_loads_into_ferrodis() {
    if !have_redis("redis_aof_loads_into_ferrodis") {
        return;
    }
    let rdir = TempDir::new("aof-redis");
    let mut redis = Server::spawn_in("redis-server", rdir.path(), AOF).unwrap();
    populate(&mut redis.conn(), "r");
    let first = digest(&redis);
    // Incr file only (the empty base Redis wrote at start left out).
    let d1 = TempDir::new("aof-redis-1");
    copy_dir(
        &rdir.path().join("appendonlydir"),
        &d1.path().join("appendonlydir"),
    );
    fs::write(
        d1.path().join("appendonlydir/appendonly.aof.manifest"),
        "file appendonly.aof.1.incr.aof seq 1 type i\n",
    )
    .unwrap();
    let ours = Server::ferrodis_in(d1.path(), AOF);
    assert_eq!(digest(&ours), first, "incr only");
    drop(ours);
    // An RDB base with data, and more commands after it.
    cmd(&mut redis.conn(), "BGREWRITEAOF");
    wait_rewrite(&redis);
    populate(&mut redis.conn(), "s");
    let second = digest(&redis);
    redis.kill();
    assert!(manifest(rdir.path()).contains("appendonly.aof.2.base.rdb"));
    let d2 = TempDir::new("aof-redis-2");
    copy_dir(
        &rdir.path().join("appendonlydir"),
        &d2.path().join("appendonlydir"),
    );
    let ours = Server::ferrodis_in(d2.path(), AOF);
    assert_eq!(digest(&ours), second, "RDB base and incr");
}

#[test]
fn rewrite_keeps_every_write() {
    let dir = TempDir::new("aof-rewrite");
    let mut ours = Server::ferrodis_in(dir.path(), AOF);
    populate(&mut ours.conn(), "a");
    let mut c = ours.conn();
    let r = cmd(&mut c, "BGREWRITEAOF");
    assert_eq!(
        r.as_bytes().unwrap(),
        b"Background append only file rewriting started"
    );
    // Writes while the snapshot is taken go to the new incr file.
    populate(&mut c, "b");
    wait_rewrite(&ours);
    populate(&mut c, "c");
    assert_eq!(info_field(&ours, "aof_rewrites"), "1");
    assert_eq!(info_field(&ours, "aof_last_bgrewrite_status"), "ok");
    let want = digest(&ours);
    assert_eq!(
        manifest(dir.path()),
        "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
    );
    let mut names: Vec<String> = fs::read_dir(dir.path().join("appendonlydir"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "appendonly.aof.2.base.rdb",
            "appendonly.aof.2.incr.aof",
            "appendonly.aof.manifest"
        ]
    );
    ours.restart();
    assert_eq!(digest(&ours), want, "after restart");
    ours.kill();
    if !have_redis("rewrite_keeps_every_write") {
        return;
    }
    check_aof(dir.path());
    let rdir = TempDir::new("aof-rewrite-redis");
    copy_dir(
        &dir.path().join("appendonlydir"),
        &rdir.path().join("appendonlydir"),
    );
    let redis = Server::spawn_in("redis-server", rdir.path(), AOF).unwrap();
    assert_eq!(digest(&redis), want, "redis loading the rewritten AOF");
}

#[test]
fn appendonly_turned_on_at_runtime() {
    let dir = TempDir::new("aof-runtime");
    let mut ours = Server::ferrodis_in(dir.path(), &["--enable-debug-command", "local"]);
    let mut c = ours.conn();
    populate(&mut c, "a");
    assert_eq!(info_field(&ours, "aof_enabled"), "0");
    cmd(&mut c, "CONFIG SET appendfsync always");
    cmd(&mut c, "CONFIG SET appendonly yes");
    populate(&mut c, "b");
    wait_rewrite(&ours);
    populate(&mut c, "c");
    assert_eq!(info_field(&ours, "aof_enabled"), "1");
    let want = digest(&ours);
    assert_eq!(
        manifest(dir.path()),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    // CONFIG SET appendonly no stops the writes; the files stay.
    cmd(&mut c, "CONFIG SET appendonly no");
    cmd(&mut c, "SET notlogged 1");
    drop(c);
    ours.kill();
    let ours = Server::ferrodis_in(dir.path(), AOF);
    assert_eq!(digest(&ours), want);
}

#[test]
fn appendonly_refused_when_the_rewrite_cannot_start() {
    // A file where the AOF directory should be: the rewrite that turning
    // the AOF on starts cannot create it, and CONFIG SET says so, as Redis.
    let dir = TempDir::new("aof-cannot-start");
    std::fs::write(dir.path().join("appendonlydir"), b"not a directory").unwrap();
    let ours = Server::ferrodis_in(dir.path(), &[]);
    let mut c = ours.conn();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "appendonly", "yes"]),
        Reply::error(
            "ERR CONFIG SET failed (possibly related to argument 'appendonly') - Unable to turn on AOF. Check server logs."
        )
    );
    assert_eq!(
        cmd(&mut c, "CONFIG GET appendonly"),
        Reply::bulks(&["appendonly", "no"])
    );
    assert_eq!(info_field(&ours, "aof_enabled"), "0");
}

#[test]
fn truncated_tail() {
    let dir = TempDir::new("aof-trunc");
    let mut ours = Server::ferrodis_in(dir.path(), AOF);
    cmd(&mut ours.conn(), "SET a 1");
    ours.kill();
    let incr = dir.path().join("appendonlydir/appendonly.aof.1.incr.aof");
    let good = fs::read(&incr).unwrap();
    let mut bad = good.clone();
    bad.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1");
    fs::write(&incr, &bad).unwrap();
    // Refused with aof-load-truncated no, naming the file.
    let mut args = AOF.to_vec();
    args.extend(["--aof-load-truncated", "no"]);
    let err = Server::spawn_in(env!("CARGO_BIN_EXE_ferrodis"), dir.path(), &args)
        .err()
        .expect("refused");
    assert!(err.contains("appendonly.aof.1.incr.aof"), "{err}");
    // Loaded (the partial command cut off) with the default yes.
    let ours = Server::ferrodis_in(dir.path(), AOF);
    let mut c = ours.conn();
    assert_eq!(cmd(&mut c, "GET a").as_bytes().unwrap(), b"1");
    assert_eq!(cmd(&mut c, "EXISTS b").as_int(), Some(0));
    cmd(&mut c, "SET c 3");
    drop(c);
    drop(ours);
    // A MULTI the file does not close is not applied either.
    let mut bytes = fs::read(&incr).unwrap();
    bytes.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nd\r\n$1\r\n4\r\n");
    fs::write(&incr, &bytes).unwrap();
    let ours = Server::ferrodis_in(dir.path(), AOF);
    let mut c = ours.conn();
    assert_eq!(cmd(&mut c, "GET c").as_bytes().unwrap(), b"3");
    assert_eq!(cmd(&mut c, "EXISTS d").as_int(), Some(0));
}

#[test]
fn redis6_single_file_is_migrated() {
    let dir = TempDir::new("aof-migrate");
    fs::write(
        dir.path().join("appendonly.aof"),
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n",
    )
    .unwrap();
    let ours = Server::ferrodis_in(dir.path(), AOF);
    let mut c = ours.conn();
    assert_eq!(cmd(&mut c, "GET a").as_bytes().unwrap(), b"1");
    cmd(&mut c, "SET b 2");
    assert!(!dir.path().join("appendonly.aof").exists());
    assert_eq!(
        manifest(dir.path()),
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    drop(c);
    drop(ours);
    let ours = Server::ferrodis_in(dir.path(), AOF);
    let mut c = ours.conn();
    assert_eq!(cmd(&mut c, "GET b").as_bytes().unwrap(), b"2");
}

#[test]
fn kill9_loses_no_acknowledged_write() {
    let dir = TempDir::new("aof-kill9");
    let mut ours = Server::ferrodis_in(dir.path(), AOF);
    let pid = ours.pid().expect("pid");
    let killer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(400));
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    });
    let mut c = ours.conn();
    c.set_timeout(Duration::from_secs(2)).unwrap();
    let mut acked = None;
    for i in 0..20_000u32 {
        let ok = c
            .send(&["SET", &format!("k{i}"), &i.to_string()])
            .and_then(|_| c.read_reply())
            .is_ok_and(|r| !r.is_error());
        if !ok {
            break;
        }
        acked = Some(i);
    }
    killer.join().unwrap();
    let acked = acked.expect("some writes were acknowledged");
    drop(c);
    ours.restart();
    let mut c = ours.conn();
    for i in 0..=acked {
        let r = c.cmd(&["GET", &format!("k{i}")]);
        assert_eq!(
            r.as_bytes(),
            Some(i.to_string().as_bytes()),
            "k{i} (acknowledged up to k{acked})"
        );
    }
}

#[test]
fn commands_base_without_rdb_preamble() {
    let dir = TempDir::new("aof-commands-base");
    let mut args = AOF.to_vec();
    args.extend(["--aof-use-rdb-preamble", "no"]);
    let mut ours = Server::ferrodis_in(dir.path(), &args);
    let mut c = ours.conn();
    populate(&mut c, "a");
    cmd(&mut c, "BGREWRITEAOF");
    wait_rewrite(&ours);
    populate(&mut c, "b");
    let want = digest(&ours);
    drop(c);
    assert_eq!(
        manifest(dir.path()),
        "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
    );
    ours.restart();
    assert_eq!(digest(&ours), want, "after restart");
    ours.kill();
    if !have_redis("commands_base_without_rdb_preamble") {
        return;
    }
    check_aof(dir.path());
    let rdir = TempDir::new("aof-commands-base-redis");
    copy_dir(
        &dir.path().join("appendonlydir"),
        &rdir.path().join("appendonlydir"),
    );
    let redis = Server::spawn_in("redis-server", rdir.path(), &args).unwrap();
    assert_eq!(digest(&redis), want, "redis loading the commands base");
}

#[test]
fn redis6_preamble_file_is_migrated() {
    // An RDB image followed by commands, as Redis 6 wrote appendonly.aof
    // with aof-use-rdb-preamble yes.
    let src = TempDir::new("aof-preamble-src");
    let mut saver = Server::ferrodis_in(src.path(), &[]);
    let mut c = saver.conn();
    cmd(&mut c, "SET a 1");
    cmd(&mut c, "SAVE");
    drop(c);
    saver.kill();
    let mut bytes = fs::read(src.path().join("dump.rdb")).unwrap();
    bytes.extend_from_slice(
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$4\r\ntail\r\n$1\r\n2\r\n",
    );
    let dir = TempDir::new("aof-preamble");
    fs::write(dir.path().join("appendonly.aof"), &bytes).unwrap();
    let ours = Server::ferrodis_in(dir.path(), AOF);
    let mut c = ours.conn();
    assert_eq!(cmd(&mut c, "GET a").as_bytes().unwrap(), b"1");
    assert_eq!(cmd(&mut c, "GET tail").as_bytes().unwrap(), b"2");
}

#[test]
fn kill9_during_rewrites_loses_nothing() {
    let dir = TempDir::new("aof-kill9-rewrite");
    let mut ours = Server::ferrodis_in(dir.path(), AOF);
    let pid = ours.pid().expect("pid");
    let killer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(700));
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    });
    let mut c = ours.conn();
    c.set_timeout(Duration::from_secs(2)).unwrap();
    let mut acked = None;
    for i in 0..50_000u32 {
        // A rewrite now and then, so the kill may land inside one.
        let args: Vec<String> = if i % 50 == 0 {
            vec!["BGREWRITEAOF".into()]
        } else {
            vec!["SET".into(), format!("k{i}"), i.to_string()]
        };
        let ok = c
            .send(&args)
            .and_then(|_| c.read_reply())
            .is_ok_and(|r| !r.is_error() || i % 50 == 0);
        if !ok {
            break;
        }
        acked = Some(i);
    }
    killer.join().unwrap();
    let acked = acked.expect("some writes were acknowledged");
    eprintln!(
        "acknowledged up to {acked}, {} rewrites asked",
        acked / 50 + 1
    );
    drop(c);
    ours.restart();
    // No temp file of an interrupted rewrite is left behind.
    let names: Vec<String> = fs::read_dir(dir.path().join("appendonlydir"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with("temp-")), "{names:?}");
    let mut c = ours.conn();
    for i in (0..=acked).filter(|i| i % 50 != 0) {
        let r = c.cmd(&["GET", &format!("k{i}")]);
        assert_eq!(
            r.as_bytes(),
            Some(i.to_string().as_bytes()),
            "k{i} (acknowledged up to k{acked})"
        );
    }
}

/// Encodes command lines as an AOF.
fn aof_bytes(lines: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        let words: Vec<&str> = l.split(' ').collect();
        out.extend_from_slice(format!("*{}\r\n", words.len()).as_bytes());
        for w in words {
            out.extend_from_slice(format!("${}\r\n{w}\r\n", w.len()).as_bytes());
        }
    }
    out
}

/// While an AOF loads, nothing expires (as Redis): a key whose time passed
/// while the server was down is still there for the file's later commands,
/// and a PEXPIREAT/GETEX to a past time sets it rather than deleting the
/// key; the keys expire once loaded. (Else a counter kept with INCR and
/// PEXPIREAT would come back without its TTL.)
#[test]
fn nothing_expires_while_loading() {
    let dir = TempDir::new("aof-keep-expired");
    fs::create_dir_all(dir.path().join("appendonlydir")).unwrap();
    fs::write(
        dir.path().join("appendonlydir/appendonly.aof.manifest"),
        "file appendonly.aof.1.incr.aof seq 1 type i\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("appendonlydir/appendonly.aof.1.incr.aof"),
        aof_bytes(&[
            "SELECT 0",
            "SET k v PXAT 1",
            "APPEND k x",
            "INCR c",
            "PEXPIREAT c 1",
            "INCR c",
            "SET g v",
            "GETEX g PXAT 1",
            "APPEND g y",
            "SET live 1",
        ]),
    )
    .unwrap();
    let ours = Server::ferrodis_in(dir.path(), AOF);
    let mut c = ours.conn();
    for k in ["k", "c", "g"] {
        assert_eq!(cmd(&mut c, &format!("EXISTS {k}")).as_int(), Some(0), "{k}");
    }
    assert_eq!(cmd(&mut c, "GET live").as_bytes().unwrap(), b"1");
}
