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
        if b[i] == b'#' {
            // An annotation (`#TS:<secs>`): kept as its kind only.
            let end = i + b[i..].iter().position(|&c| c == b'\n').unwrap();
            let ann = &b[i..end];
            out.push(vec![
                ann[..ann.iter().position(|&c| c == b':').unwrap()].to_vec()
            ]);
            i = end + 1;
            continue;
        }
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

/// Templates of the random sequences: `K`/`L` become keys, `M` a member.
/// Only commands whose effect is deterministic (no SPOP, SRANDMEMBER,
/// RANDOMKEY), so that both servers hold the same data all along.
const TEMPLATES: &[&str] = &[
    "SET K v",
    "SET K 7 EX 100",
    "SET K v NX PX 50000",
    "SET K w XX GET",
    "SET K 1 KEEPTTL",
    "SETNX K n",
    "GETSET K g",
    "GETDEL K",
    "GETEX K EX 50",
    "GETEX K PERSIST",
    "GETEX K PXAT 1",
    "APPEND K x",
    "INCR K",
    "INCRBY K 3",
    "DECR K",
    "INCRBYFLOAT K 1.5",
    "SETRANGE K 1 zz",
    "MSET K 1 L 2",
    "MSETNX K 1 L 2",
    "DEL K L",
    "UNLINK K",
    "EXPIRE K 100",
    "EXPIRE K 200 GT",
    "PEXPIRE K 5000 LT",
    "EXPIRE K -1",
    "EXPIREAT K 1",
    "PERSIST K",
    "RENAME K L",
    "RENAMENX K L",
    "COPY K L",
    "COPY K L REPLACE",
    "MOVE K 1",
    "LPUSH K M M",
    "RPUSH K M",
    "LPUSHX K M",
    "RPOP K",
    "LPOP K 2",
    "LSET K 0 M",
    "LREM K 1 M",
    "LTRIM K 0 1",
    "LINSERT K BEFORE M q",
    "LMOVE K L LEFT RIGHT",
    "RPOPLPUSH K L",
    "LMPOP 2 K L LEFT COUNT 2",
    "BLPOP K 0.01",
    "HSET K M 1",
    "HSETNX K M 2",
    "HDEL K M",
    "HINCRBY K M 2",
    "HINCRBYFLOAT K M 0.5",
    "SADD K M M",
    "SREM K M",
    "SMOVE K L M",
    "SINTERSTORE K L K",
    "SUNIONSTORE K L K",
    "SDIFFSTORE K L K",
    "ZADD K 1 M",
    "ZADD K INCR 2 M",
    "ZINCRBY K 1 M",
    "ZREM K M",
    "ZPOPMIN K",
    "ZPOPMAX K 2",
    "ZMPOP 2 K L MIN COUNT 2",
    "ZREMRANGEBYSCORE K 0 1",
    "ZUNIONSTORE K 2 K L",
    "ZRANGESTORE K L 0 -1",
    "GET K",
    "EXISTS K",
    "TYPE K",
    "SELECT 0",
    "SELECT 1",
    "SWAPDB 0 1",
];

/// A random sequence: templates filled with few keys and members, now and
/// then in MULTI/EXEC, rarely a FLUSHDB.
fn random_steps(seed: u64) -> Vec<String> {
    let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n as u64) as usize
    };
    let keys = ["k0", "k1", "k2"];
    let members = ["a", "b", "1"];
    let mut out = vec!["SELECT 0".to_string()];
    let mut in_multi = false;
    for _ in 0..150 {
        let r = next(100);
        if r < 6 && !in_multi {
            out.push("MULTI".into());
            in_multi = true;
            continue;
        }
        if r < 12 && in_multi {
            out.push("EXEC".into());
            in_multi = false;
            continue;
        }
        if r == 12 {
            out.push("FLUSHDB".into());
            continue;
        }
        let t = TEMPLATES[next(TEMPLATES.len())];
        let line: Vec<String> = t
            .split(' ')
            .map(|w| match w {
                "K" => keys[next(keys.len())].to_string(),
                "L" => keys[next(keys.len())].to_string(),
                "M" => members[next(members.len())].to_string(),
                other => other.to_string(),
            })
            .collect();
        out.push(line.join(" "));
    }
    if in_multi {
        out.push("EXEC".into());
    }
    out
}

/// Random sequences (see `TEMPLATES`) on both servers, the AOF of each seed
/// compared. Seeds: `AOF_FUZZ_SEEDS` (default 20) from `AOF_FUZZ_SEED`.
#[test]
fn random_sequences() {
    if !redis_installed() {
        assert!(
            std::env::var_os("REQUIRE_REDIS").is_none(),
            "redis-server is required"
        );
        return;
    }
    let env = |name: &str, d: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let (first, count) = (env("AOF_FUZZ_SEED", 1), env("AOF_FUZZ_SEEDS", 20));
    let ours = Server::ferrodis(AOF_ARGS);
    let redis = Server::redis(AOF_ARGS).expect("redis-server");
    let incr = |s: &Server| {
        s.dir()
            .unwrap()
            .join("appendonlydir/appendonly.aof.1.incr.aof")
    };
    for seed in first..first + count {
        let lines = random_steps(seed);
        let mut got = Vec::new();
        for srv in [&ours, &redis] {
            let mut c = srv.conn();
            c.cmd(&["FLUSHALL"]);
            c.cmd(&["PING"]);
            let from = fs::metadata(incr(srv)).unwrap().len() as usize;
            for l in &lines {
                c.cmd(&split(l));
            }
            c.cmd(&["PING"]);
            let bytes = fs::read(incr(srv)).unwrap();
            got.push(normalise(&parse_aof(&bytes[from..])));
        }
        if got[0] != got[1] {
            let (a, b) = (&got[0], &got[1]);
            let mut report = String::new();
            for i in 0..a.len().max(b.len()) {
                let x = a.get(i).map_or("", String::as_str);
                let y = b.get(i).map_or("", String::as_str);
                let mark = if x == y { "  " } else { "!!" };
                report.push_str(&format!("{mark} {x:<50} | {y}\n"));
            }
            panic!(
                "seed {seed}: ferrodis (left) and Redis (right) wrote different AOFs for:\n{}\n\n{report}",
                lines.join("\n")
            );
        }
    }
}

#[test]
fn timestamp_annotations() {
    compare(
        "timestamp_annotations",
        &[
            Cmd(0, "SET a 1"),
            Cmd(0, "SET b 1"),
            Sleep(1100),
            Cmd(0, "MULTI"),
            Cmd(0, "SET a 2"),
            Cmd(0, "SET b 2"),
            Cmd(0, "EXEC"),
            Sleep(1100),
            Cmd(1, "SELECT 2"),
            Cmd(1, "SET c 3"),
        ],
        &["--aof-timestamp-enabled", "yes"],
    );
}

#[test]
fn restore_forms() {
    // DUMP of the string "hello" (RDB 10).
    compare(
        "restore_forms",
        &[
            Cmd(0, "SET d hello"),
            Cmd(0, "RESTORE r1 0 \"\\x00\\x05hello\\n\\x00cr\\xdfve4 \\n\""),
            Cmd(
                0,
                "RESTORE r2 100000 \"\\x00\\x05hello\\n\\x00cr\\xdfve4 \\n\"",
            ),
            Cmd(
                0,
                "RESTORE r3 99999999999999 \"\\x00\\x05hello\\n\\x00cr\\xdfve4 \\n\" ABSTTL",
            ),
            Cmd(
                0,
                "RESTORE r4 1 \"\\x00\\x05hello\\n\\x00cr\\xdfve4 \\n\" ABSTTL",
            ),
            Cmd(
                0,
                "RESTORE r1 1 \"\\x00\\x05hello\\n\\x00cr\\xdfve4 \\n\" ABSTTL REPLACE",
            ),
            Cmd(
                0,
                "RESTORE r2 0 \"\\x00\\x05hello\\n\\x00cr\\xdfve4 \\n\" REPLACE IDLETIME 5",
            ),
            Cmd(
                0,
                "RESTORE r5 500000 \"\\x00\\x05hello\\n\\x00cr\\xdfve4 \\n\" REPLACE IDLETIME 5",
            ),
        ],
        &[],
    );
    // A past TTL deleting the old key: DEL, even under lazyfree-lazy-server-del.
    compare(
        "restore_forms_lazyfree",
        &[
            Cmd(0, "SET r1 x"),
            Cmd(
                0,
                "RESTORE r1 1 \"\\x00\\x05hello\\n\\x00cr\\xdfve4 \\n\" ABSTTL REPLACE",
            ),
        ],
        &["--lazyfree-lazy-server-del", "yes"],
    );
}

#[test]
fn lazyfree_server_del() {
    compare(
        "lazyfree_server_del",
        &[
            Cmd(0, "SADD s a b"),
            Cmd(0, "SPOP s 5"),
            Cmd(0, "SET k v"),
            Cmd(0, "GETDEL k"),
            Cmd(0, "SET k v"),
            Cmd(0, "SET k2 v"),
            Cmd(0, "RENAME k k2"),
        ],
        &["--lazyfree-lazy-server-del", "yes"],
    );
    // GETDEL follows lazyfree-lazy-user-del.
    compare(
        "lazyfree_user_del",
        &[Cmd(0, "SET k v"), Cmd(0, "GETDEL k"), Cmd(0, "DEL nokey")],
        &["--lazyfree-lazy-user-del", "yes"],
    );
    compare(
        "lazyfree_user_flush",
        &[
            Cmd(0, "SET k v"),
            Cmd(0, "FLUSHALL"),
            Cmd(0, "SET k v"),
            Cmd(0, "FLUSHDB SYNC"),
            Cmd(0, "FLUSHDB"),
        ],
        &["--lazyfree-lazy-user-flush", "yes"],
    );
}
