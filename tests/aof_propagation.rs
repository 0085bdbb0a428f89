//! The propagation point against real Redis: the same command sequences are
//! sent to ferrodis and to redis-server, both with `appendonly yes` and
//! `appendfsync always`, and the commands each wrote to its incr AOF file are
//! compared, in order, after normalising what is not deterministic: absolute
//! times computed from "now" (PXAT/PEXPIREAT arguments within a day of now
//! become `<now>`) and the members SPOP picked (the member of an SREM becomes
//! `<member>`).
//!
//! The scenarios cover the rewrites Redis 7.0 applies (relative expires to
//! PEXPIREAT and SET PXAT, GETEX, GETDEL, GETSET, INCRBYFLOAT, HINCRBYFLOAT,
//! SPOP, LMPOP/ZMPOP, blocking pops served at once and served later, FLUSH*),
//! SELECT insertion, MULTI/EXEC wrapping (of EXEC, and of a command plus the
//! lazy expiry it caused), expiry deletions (lazy and active, DEL or UNLINK).
//! Skipped when redis-server is not installed (unless REQUIRE_REDIS is set).

mod support;

use std::fs;
use std::thread;
use std::time::Duration;

use support::server::{redis_installed, Server};
use support::Conn;

const AOF_ARGS: &[&str] = &[
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
    "--enable-debug-command",
    "local",
];

/// One step of a scenario.
enum Step {
    /// A command on connection `n`, its reply awaited.
    Cmd(usize, &'static str),
    /// A command on connection `n` whose reply is read later (`Reply`).
    Send(usize, &'static str),
    /// Reads the pending reply of connection `n`.
    Reply(usize),
    Sleep(u64),
}

use Step::*;

fn split(line: &str) -> Vec<Vec<u8>> {
    support::resp::split_args(line).expect("command line")
}

/// Runs `steps` on `srv` (with up to three connections) and returns the
/// commands its incr AOF file holds afterwards.
fn run_on(srv: &Server, steps: &[Step]) -> Vec<Vec<Vec<u8>>> {
    let mut conns: Vec<Conn> = (0..3).map(|_| srv.conn()).collect();
    for s in steps {
        match s {
            Cmd(n, line) => {
                conns[*n].cmd(&split(line));
            }
            Send(n, line) => conns[*n].send(&split(line)).expect("send"),
            Reply(n) => {
                conns[*n].read_reply().expect("reply");
            }
            Sleep(ms) => thread::sleep(Duration::from_millis(*ms)),
        }
    }
    // A last command on a fresh connection: every write before it is in the
    // file once it is answered (appendfsync always).
    srv.conn().cmd(&["PING"]);
    let dir = srv.dir().expect("spawned server");
    let bytes = fs::read(dir.join("appendonlydir/appendonly.aof.1.incr.aof")).expect("incr file");
    parse_aof(&bytes)
}

/// The commands of an AOF file (RESP multibulks).
fn parse_aof(b: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    let line = |i: &mut usize| -> usize {
        let start = *i;
        while &b[*i..*i + 2] != b"\r\n" {
            *i += 1;
        }
        let n = std::str::from_utf8(&b[start + 1..*i])
            .unwrap()
            .parse()
            .unwrap();
        *i += 2;
        n
    };
    while i < b.len() {
        assert_eq!(b[i], b'*', "at {i}");
        let argc = line(&mut i);
        let mut cmd = Vec::new();
        for _ in 0..argc {
            assert_eq!(b[i], b'$');
            let n = line(&mut i);
            cmd.push(b[i..i + n].to_vec());
            i += n + 2;
        }
        out.push(cmd);
    }
    out
}

/// Replaces times near now and SPOP's members by placeholders; renders one
/// command per line.
fn normalise(cmds: &[Vec<Vec<u8>>]) -> Vec<String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    cmds.iter()
        .map(|c| {
            let name = String::from_utf8_lossy(&c[0]).to_ascii_uppercase();
            let words: Vec<String> = c
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let s = String::from_utf8_lossy(a).into_owned();
                    if let Ok(t) = s.parse::<i64>() {
                        if (t - now).abs() < 86_400_000 && i > 1 {
                            return "<now>".into();
                        }
                    }
                    if name == "SREM" && i >= 2 {
                        return "<member>".into();
                    }
                    s
                })
                .collect();
            words.join(" ")
        })
        .collect()
}

fn compare(name: &str, steps: &[Step], extra: &[&str]) {
    if !redis_installed() {
        assert!(
            std::env::var_os("REQUIRE_REDIS").is_none(),
            "redis-server is required"
        );
        eprintln!("{name}: redis-server not installed, skipped");
        return;
    }
    let args: Vec<&str> = AOF_ARGS.iter().chain(extra.iter()).copied().collect();
    let ours = Server::ferrodis(&args);
    let redis = Server::redis(&args).expect("redis-server");
    let a = normalise(&run_on(&ours, steps));
    let b = normalise(&run_on(&redis, steps));
    if a != b {
        let n = a.len().max(b.len());
        let mut report = String::new();
        for i in 0..n {
            let x = a.get(i).map_or("", String::as_str);
            let y = b.get(i).map_or("", String::as_str);
            let mark = if x == y { "  " } else { "!!" };
            report.push_str(&format!("{mark} {x:<50} | {y}\n"));
        }
        panic!("{name}: ferrodis (left) and Redis (right) wrote different AOFs:\n{report}");
    }
}

#[test]
fn strings_and_expires() {
    compare(
        "strings_and_expires",
        &[
            Cmd(0, "SET a 1"),
            Cmd(0, "SET b 2 EX 100"),
            Cmd(0, "SET c 3 PX 100000"),
            Cmd(0, "SET d 4 EXAT 99999999999"),
            Cmd(0, "SET e 5 KEEPTTL"),
            Cmd(0, "SET f 6 GET"),
            Cmd(0, "SET n1 v NX EX 10"),
            Cmd(0, "SET n1 v2 XX GET"),
            Cmd(0, "SET n1 v3 KEEPTTL GET"),
            Cmd(0, "SET n2 v NX GET"),
            Cmd(0, "SET n3 v PXAT 99999999999999"),
            Cmd(0, "SET n5 v PXAT 99999999999999 GET"),
            Cmd(0, "SET n4 v EXAT 99999999999 GET"),
            Cmd(0, "SET n1 v4 XX EX 50"),
            Cmd(0, "SET n1 v NX EX 100"),
            Cmd(0, "SETEX g 100 v"),
            Cmd(0, "PSETEX h 100000 v"),
            Cmd(0, "SETNX q 1"),
            Cmd(0, "SETNX q 2"),
            Cmd(0, "GETSET q 5"),
            Cmd(0, "MSET q1 1 q2 2"),
            Cmd(0, "MSETNX q3 1"),
            Cmd(0, "EXPIRE a 100"),
            Cmd(0, "PEXPIRE b 100000"),
            Cmd(0, "EXPIREAT c 99999999999"),
            Cmd(0, "PEXPIREAT d 99999999999999"),
            Cmd(0, "EXPIRE q1 100 NX"),
            Cmd(0, "EXPIRE q1 100 NX"),
            Cmd(0, "PEXPIRE q1 5000000 GT"),
            Cmd(0, "EXPIRE e -1"),
            Cmd(0, "EXPIRE nokey 100"),
            Cmd(0, "PERSIST q1"),
            Cmd(0, "PERSIST q1"),
            Cmd(0, "GETEX f EX 100"),
            Cmd(0, "GETEX f PXAT 99999999999999"),
            Cmd(0, "GETEX f PERSIST"),
            Cmd(0, "GETEX f"),
            Cmd(0, "GETEX f EXAT 1"),
            Cmd(0, "GETDEL g"),
            Cmd(0, "GETDEL g"),
            Cmd(0, "GET nokey"),
            Cmd(0, "INCRBYFLOAT h2 1.5"),
            Cmd(0, "SET fl 3.0"),
            Cmd(0, "INCRBYFLOAT fl 0"),
            Cmd(0, "SET ex 1 EX 100"),
            Cmd(0, "INCRBYFLOAT ex 1e3"),
            Cmd(0, "INCR cnt"),
            Cmd(0, "DECRBY cnt 5"),
            Cmd(0, "APPEND cnt x"),
            Cmd(0, "SETRANGE cnt 0 y"),
            Cmd(0, "SET t 1"),
            Cmd(0, "EXPIRE t 0"),
            Cmd(0, "SET t2 1"),
            Cmd(0, "PEXPIREAT t2 1"),
            Cmd(0, "SET t3 1 PX 1"),
            Cmd(0, "DEL nothing"),
            Cmd(0, "DEL a b"),
            Cmd(0, "RENAME c cc"),
            Cmd(0, "COPY cc c9"),
            Cmd(0, "MOVE c9 2"),
        ],
        &[],
    );
}

#[test]
fn collections() {
    compare(
        "collections",
        &[
            Cmd(0, "HSET h a 1 b 2"),
            Cmd(0, "HINCRBYFLOAT h a 2.5"),
            Cmd(0, "HINCRBYFLOAT h x 1e2"),
            Cmd(0, "HINCRBY h b 1"),
            Cmd(0, "HDEL h a b x"),
            Cmd(0, "HDEL h a"),
            Cmd(0, "SADD s 1 2 3 4 5"),
            Cmd(0, "SPOP s"),
            Cmd(0, "SPOP s 2"),
            Cmd(0, "SPOP s 0"),
            Cmd(0, "SPOP s 10"),
            Cmd(0, "SADD s2 a"),
            Cmd(0, "SPOP s2"),
            Cmd(0, "SADD s3 a b c"),
            Cmd(0, "SPOP s3 3"),
            Cmd(0, "SPOP nokey"),
            Cmd(0, "SMOVE s3 s4 a"),
            Cmd(0, "LPUSH l a b c"),
            Cmd(0, "LPOP l"),
            Cmd(0, "BLPOP l 0"),
            Cmd(0, "BRPOP l 0"),
            Cmd(0, "BRPOP l 0.01"),
            Cmd(0, "RPUSH l2 x y z"),
            Cmd(0, "BLMOVE l2 l3 LEFT RIGHT 0"),
            Cmd(0, "blmove l2 l3 right left 0"),
            Cmd(0, "BRPOPLPUSH l2 l3 0"),
            Cmd(0, "RPUSH l4 1 2 3 4 5"),
            Cmd(0, "BLMPOP 0 1 l4 LEFT COUNT 2"),
            Cmd(0, "LMPOP 1 l4 RIGHT"),
            Cmd(0, "LMPOP 2 nol l4 LEFT COUNT 10"),
            Cmd(0, "RPUSH l5 1 2 3"),
            Cmd(0, "LPOP l5 10"),
            Cmd(0, "ZADD z 1 a 2 b 3 c 4 d 5 e"),
            Cmd(0, "BZPOPMIN z 0"),
            Cmd(0, "BZPOPMAX z 0"),
            Cmd(0, "BZMPOP 0 1 z MIN"),
            Cmd(0, "ZMPOP 1 z MAX COUNT 10"),
            Cmd(0, "ZADD z2 1 a 2 b 3 c"),
            Cmd(0, "ZPOPMIN z2 10"),
            Cmd(0, "ZINCRBY zz 1.5 m"),
            Cmd(0, "ZREM zz m"),
        ],
        &[],
    );
}

#[test]
fn databases_transactions_and_flushes() {
    compare(
        "databases_transactions_and_flushes",
        &[
            Cmd(0, "SELECT 3"),
            Cmd(0, "SET x 1"),
            Cmd(1, "SET y 1"),
            Cmd(0, "SET x 2"),
            Cmd(0, "SWAPDB 0 3"),
            Cmd(0, "MULTI"),
            Cmd(0, "SET m1 1"),
            Cmd(0, "GET m1"),
            Cmd(0, "EXEC"),
            Cmd(0, "MULTI"),
            Cmd(0, "GET m1"),
            Cmd(0, "EXEC"),
            Cmd(0, "MULTI"),
            Cmd(0, "SET m2 1"),
            Cmd(0, "INCR m2"),
            Cmd(0, "SELECT 5"),
            Cmd(0, "SET m3 1 EX 100"),
            Cmd(0, "SPOP nokey"),
            Cmd(0, "EXEC"),
            Cmd(0, "MULTI"),
            Cmd(0, "BLPOP nolist 0"),
            Cmd(0, "RPUSH ml a"),
            Cmd(0, "BLPOP ml 0"),
            Cmd(0, "EXEC"),
            Cmd(0, "MULTI"),
            Cmd(0, "SET d1 x"),
            Cmd(0, "DISCARD"),
            Cmd(1, "FLUSHDB"),
            Cmd(1, "FLUSHDB"),
            Cmd(1, "SET k 1"),
            Cmd(0, "FLUSHALL"),
            Cmd(0, "FLUSHALL"),
            Cmd(0, "SET last 1"),
        ],
        &[],
    );
}

#[test]
fn blocked_clients_served_later() {
    compare(
        "blocked_clients_served_later",
        &[
            Send(1, "BLPOP bl 0"),
            Send(2, "BLMOVE bm dst RIGHT LEFT 0"),
            Sleep(100),
            Cmd(0, "RPUSH bl a b"),
            Reply(1),
            Cmd(0, "LPUSH bm q"),
            Reply(2),
            Send(1, "BLMPOP 0 2 x1 bm2 RIGHT COUNT 5"),
            Send(2, "BZMPOP 0 1 bz2 MAX COUNT 3"),
            Sleep(100),
            Cmd(0, "RPUSH bm2 1 2 3"),
            Reply(1),
            Cmd(0, "ZADD bz2 1 a 2 b"),
            Reply(2),
            Cmd(1, "SELECT 2"),
            Send(1, "BZPOPMIN bz 0"),
            Sleep(100),
            Cmd(0, "SELECT 2"),
            Cmd(0, "ZADD bz 1 a 2 b"),
            Reply(1),
            Cmd(0, "SELECT 0"),
            Send(2, "BRPOPLPUSH src dst2 0"),
            Sleep(100),
            Cmd(0, "MULTI"),
            Cmd(0, "RPUSH src 1"),
            Cmd(0, "SET after 1"),
            Cmd(0, "EXEC"),
            Reply(2),
        ],
        &[],
    );
}

#[test]
fn lazy_and_active_expiry() {
    compare(
        "lazy_and_active_expiry",
        &[
            Cmd(0, "DEBUG SET-ACTIVE-EXPIRE 0"),
            Cmd(0, "SET e1 1 PX 20"),
            Cmd(0, "SET e2 1 PX 20"),
            Cmd(0, "SET e3 1 PX 20"),
            Cmd(0, "SET e4 1 PX 20"),
            Sleep(60),
            // A read that finds its key expired: DEL alone.
            Cmd(0, "GET e1"),
            // A write that finds its key expired: MULTI, DEL, the write, EXEC.
            Cmd(0, "SET e2 2"),
            Cmd(0, "MULTI"),
            Cmd(0, "SET e3 5"),
            Cmd(0, "INCR c"),
            Cmd(0, "EXISTS e4"),
            Cmd(0, "EXEC"),
            Cmd(0, "DEBUG SET-ACTIVE-EXPIRE 1"),
            Cmd(0, "SET a1 1 PX 20"),
            Cmd(0, "SELECT 1"),
            Cmd(0, "SET b1 1 PX 20"),
            Sleep(400),
            Cmd(0, "SELECT 0"),
            Cmd(0, "SET done 1"),
        ],
        &[],
    );
}

#[test]
fn lazyfree_expire_unlinks() {
    compare(
        "lazyfree_expire_unlinks",
        &[
            Cmd(0, "DEBUG SET-ACTIVE-EXPIRE 0"),
            Cmd(0, "SET e1 1 PX 20"),
            Sleep(60),
            Cmd(0, "GET e1"),
            Cmd(0, "SET e4 1"),
            Cmd(0, "EXPIRE e4 -5"),
            Cmd(0, "SET e5 1"),
            Cmd(0, "GETEX e5 PXAT 1"),
            Cmd(0, "SET e6 1"),
            Cmd(0, "GETDEL e6"),
        ],
        &["--lazyfree-lazy-expire", "yes"],
    );
}
