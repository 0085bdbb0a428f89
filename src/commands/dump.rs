//! DUMP and RESTORE: a value in Redis's serialized form, and back.
//!
//! The payload is what an RDB file holds for a value (its type byte and
//! payload, `persistence::rdb::value`), then the RDB version as 2 bytes and
//! a CRC-64 of everything before it as 8 bytes, both little endian. So a
//! payload moves between ferrodis and Redis in both directions.
//!
//! RESTORE follows Redis 7.0's order of checks, so the first error reported
//! is Redis's: the options (REPLACE, ABSTTL, IDLETIME s, FREQ f; IDLETIME
//! and FREQ exclude each other), then an existing key without REPLACE
//! (BUSYKEY), then the TTL, then the version and checksum, then the value
//! itself ("Bad data format" for anything it cannot load, an empty
//! collection included). A TTL already in the past creates nothing (and
//! deletes the key REPLACE would have replaced: a `del` event). IDLETIME
//! sets the LRU stamp and FREQ the LFU counter, each only under the
//! maxmemory policy that tracks it, with Redis's arithmetic (overflow and
//! all). Redis shares the objects of small integers (0..9999) when no
//! maxmemory is set, so there IDLETIME/FREQ of such a value land on every
//! key holding it; here each key keeps its own.
//!
//! For the AOF and replicas, Redis propagates a RESTORE with a relative TTL
//! as one with the absolute time and ABSTTL, and one that only deleted as a
//! DEL (that rewriting belongs to the propagation code).

use super::table::{
    key_at, Acl, Arg, ArgFlags, ArgType, Args, CommandSpec, Flags, KeyFlags, Keys, ARG, BASE,
};
use super::Ctx;
use crate::error::{err, CmdError, CmdResult, NOT_INTEGER, SYNTAX};
use crate::keyspace::db::lru_clock;
use crate::persistence::rdb::codec::{Reader, RDB_VERSION};
use crate::persistence::rdb::crc64::crc64;
use crate::persistence::rdb::value::{decode_value, encode_value};
use crate::server::notify;
use crate::util::numbers::parse_i64;

const BUSYKEY: &str = "BUSYKEY Target key name already exists.";
const BAD_PAYLOAD: &str = "ERR DUMP payload version or checksum are wrong";
const BAD_DATA: &str = "ERR Bad data format";
const BAD_TTL: &str = "ERR Invalid TTL value, must be >= 0";
const BAD_IDLETIME: &str = "ERR Invalid IDLETIME value, must be >= 0";
const BAD_FREQ: &str = "ERR Invalid FREQ value, must be >= 0 and <= 255";

/// The largest value of Redis's 24-bit LRU clock.
const LRU_CLOCK_MAX: i64 = (1 << 24) - 1;

fn int_arg(b: &[u8]) -> Result<i64, CmdError> {
    parse_i64(b).ok_or(CmdError::from(NOT_INTEGER))
}

/// The DUMP payload of a value: type, payload, version, CRC-64.
pub fn dump_payload(v: &crate::keyspace::value::Value, compress: bool) -> Vec<u8> {
    let mut p = Vec::new();
    encode_value(&mut p, v, compress);
    p.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

/// Whether a payload ends with a version we can read and a matching CRC.
fn payload_ok(p: &[u8]) -> bool {
    if p.len() < 10 {
        return false;
    }
    let (body, footer) = p.split_at(p.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION {
        return false;
    }
    let crc = crc64(0, &p[..body.len() + 2]);
    crc.to_le_bytes() == footer[2..]
}

fn dump(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now;
    let compress = ctx.srv.config.rdbcompression;
    let (db, out) = ctx.db_out();
    match db.lookup_read(args.get(1), now) {
        Some(id) => out.bulk(&dump_payload(db.value(id), compress)),
        None => out.null(),
    }
    Ok(())
}

/// Redis's LFU clock: minutes, modulo 2^16.
fn lfu_minutes(now_ms: i64) -> u32 {
    ((now_ms / 60_000) as u32) & 0xffff
}

fn restore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut j = 4;
    while j < args.len() {
        let more = j + 1 < args.len();
        if args.is(j, "replace") {
            replace = true;
        } else if args.is(j, "absttl") {
            absttl = true;
        } else if args.is(j, "idletime") && more && freq.is_none() {
            let v = int_arg(args.get(j + 1))?;
            if v < 0 {
                return err(BAD_IDLETIME);
            }
            idle = Some(v);
            j += 1;
        } else if args.is(j, "freq") && more && idle.is_none() {
            let v = int_arg(args.get(j + 1))?;
            if !(0..=255).contains(&v) {
                return err(BAD_FREQ);
            }
            freq = Some(v);
            j += 1;
        } else {
            return err(SYNTAX);
        }
        j += 1;
    }
    let key = args.get(1);
    let now = ctx.now;
    if !replace && ctx.db().lookup(key, now).is_some() {
        return err(BUSYKEY);
    }
    let ttl = int_arg(args.get(2))?;
    if ttl < 0 {
        return err(BAD_TTL);
    }
    let payload = args.get(3);
    if !payload_ok(payload) {
        return err(BAD_PAYLOAD);
    }
    // The whole payload is readable, footer included, as in Redis (a value
    // that claims more bytes than it has runs into the footer, not past it).
    let mut r = Reader::new(payload);
    let val = match r.u8() {
        Ok(t) => decode_value(&mut r, t, &ctx.srv.config),
        Err(e) => Err(e),
    };
    let Ok(Some(val)) = val else {
        return err(BAD_DATA);
    };
    let db = ctx.db();
    let deleted = replace && db.delete(key, now);
    // Redis adds in wrapping 64-bit arithmetic: a huge relative TTL wraps
    // into the past.
    let when = if absttl { ttl } else { ttl.wrapping_add(now) };
    if ttl != 0 && when <= now {
        if deleted {
            ctx.dirty += 1;
            ctx.notify(notify::GENERIC, "del", key);
        }
        ctx.out.ok();
        return Ok(());
    }
    let id = db.add_with_expire(key, val, (ttl != 0).then_some(when), now);
    if db.tracks_lfu() {
        if let Some(f) = freq {
            db.set_access_bits(id, (lfu_minutes(now) << 8) | f as u32);
        }
    } else if let Some(idle) = idle {
        // As observed on Redis 7.0.15: seconds scaled to the clock's
        // resolution (x1000 / 1000, in wrapping arithmetic), a stamp before
        // the clock's start moved on by one clock cycle (once), then cut to
        // the clock's 24 bits.
        let idle = idle.wrapping_mul(1000) / 1000;
        let clock = i64::from(lru_clock(now));
        let mut stamp = clock - idle;
        if stamp < 0 {
            stamp += LRU_CLOCK_MAX;
        }
        db.set_access_bits(id, (stamp & ((1 << 24) - 1)) as u32);
    }
    ctx.dirty += 1;
    ctx.notify(notify::GENERIC, "restore", key);
    ctx.out.ok();
    Ok(())
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

const SERIALIZE_COMPLEXITY: &str = "O(1) to find the key, plus O(N*M) to serialize a value of N elements of average size M (O(1) for a short string).";

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "dump",
        arity: 2,
        flags: Flags::READONLY,
        acl: Acl::KEYSPACE,
        keys: Keys::ONE,
        key_specs: &[key_at(1, KeyFlags::RO.or(KeyFlags::ACCESS))],
        tips: &["nondeterministic_output"],
        since: "2.6.0",
        summary: "Serializes the value of a key in Redis's DUMP format.",
        complexity: SERIALIZE_COMPLEXITY,
        arguments: &[Arg {
            name: "key",
            kind: ArgType::Key(0),
            ..ARG
        }],
        handler: dump,
        ..BASE
    },
    CommandSpec {
        name: "restore",
        arity: -4,
        flags: Flags::WRITE.or(Flags::DENYOOM),
        acl: Acl::KEYSPACE.or(Acl::DANGEROUS),
        keys: Keys::ONE,
        key_specs: &[key_at(1, KeyFlags::OW.or(KeyFlags::UPDATE))],
        since: "2.6.0",
        summary: "Creates a key from a value serialized by DUMP.",
        complexity: "O(1) to create the key, plus O(N*M) to rebuild a value of N elements of average size M (O(N*M*log(N)) for a sorted set).",
        history: &[
            ("3.0.0", "Added the `REPLACE` modifier."),
            ("5.0.0", "Added the `ABSTTL` modifier."),
            ("5.0.0", "Added the `IDLETIME` and `FREQ` options."),
        ],
        arguments: &[
            Arg {
                name: "key",
                kind: ArgType::Key(0),
                ..ARG
            },
            Arg {
                name: "ttl",
                kind: ArgType::Integer,
                ..ARG
            },
            Arg {
                name: "serialized-value",
                ..ARG
            },
            Arg {
                name: "replace",
                kind: ArgType::PureToken,
                token: "REPLACE",
                since: "3.0.0",
                flags: ArgFlags::OPTIONAL,
                ..ARG
            },
            Arg {
                name: "absttl",
                kind: ArgType::PureToken,
                token: "ABSTTL",
                since: "5.0.0",
                flags: ArgFlags::OPTIONAL,
                ..ARG
            },
            Arg {
                name: "seconds",
                kind: ArgType::Integer,
                token: "IDLETIME",
                since: "5.0.0",
                flags: ArgFlags::OPTIONAL,
                ..ARG
            },
            Arg {
                name: "frequency",
                kind: ArgType::Integer,
                token: "FREQ",
                since: "5.0.0",
                flags: ArgFlags::OPTIONAL,
                ..ARG
            },
        ],
        handler: restore,
        ..BASE
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::testing::run_handler;
    use crate::commands::Registry;
    use crate::server::ServerState;

    /// Runs any command of the registry on `srv`.
    fn run(srv: &mut ServerState, argv: &[&[u8]]) -> Vec<u8> {
        let reg = Registry::get();
        let idx = reg.find(argv[0]).expect("a known command");
        let spec = reg.all[idx].spec;
        let spec = if spec.subcommands.is_empty() {
            spec
        } else {
            let sub = reg.find_sub(idx, argv[1]).expect("a known subcommand");
            reg.all[sub].spec
        };
        run_handler(srv, spec.handler, argv).0
    }

    /// The bulk payload of a DUMP reply.
    fn bulk(reply: &[u8]) -> Vec<u8> {
        let nl = reply.iter().position(|&b| b == b'\n').unwrap();
        reply[nl + 1..reply.len() - 2].to_vec()
    }

    fn server() -> ServerState {
        ServerState::new(crate::config::Config::default(), 0)
    }

    /// Builds `key` with `cmds`, then DUMP, DEL, RESTORE: the digest,
    /// encoding and TYPE must come back the same.
    fn round_trip(srv: &mut ServerState, key: &[u8], cmds: &[Vec<Vec<u8>>]) {
        for c in cmds {
            let argv: Vec<&[u8]> = c.iter().map(|a| a.as_slice()).collect();
            run(srv, &argv);
        }
        let digest = run(srv, &[b"debug", b"digest-value", key]);
        let enc = run(srv, &[b"object", b"encoding", key]);
        let payload = bulk(&run(srv, &[b"dump", key]));
        run(srv, &[b"del", key]);
        assert_eq!(
            run(srv, &[b"restore", key, b"0", &payload]),
            b"+OK\r\n",
            "{}",
            String::from_utf8_lossy(key)
        );
        assert_eq!(run(srv, &[b"debug", b"digest-value", key]), digest);
        assert_eq!(run(srv, &[b"object", b"encoding", key]), enc);
    }

    fn cmd(parts: &[&str]) -> Vec<Vec<u8>> {
        parts.iter().map(|p| p.as_bytes().to_vec()).collect()
    }

    #[test]
    fn every_type_and_encoding_round_trips() {
        let mut srv = server();
        let s = &mut srv;
        round_trip(s, b"str-int", &[cmd(&["set", "str-int", "12345"])]);
        round_trip(s, b"str-emb", &[cmd(&["set", "str-emb", "hello"])]);
        let long = "x".repeat(500);
        round_trip(s, b"str-raw", &[cmd(&["set", "str-raw", &long])]);
        let many = |c: &str, k: &str, n: usize, f: &dyn Fn(usize) -> Vec<String>| {
            let mut v = vec![c.to_string(), k.to_string()];
            for i in 0..n {
                v.extend(f(i));
            }
            vec![v.into_iter().map(String::into_bytes).collect::<Vec<_>>()]
        };
        round_trip(s, b"l", &many("rpush", "l", 5, &|i| vec![format!("e{i}")]));
        round_trip(
            s,
            b"lbig",
            &many("rpush", "lbig", 3000, &|i| vec![format!("element:{i}")]),
        );
        round_trip(
            s,
            b"h",
            &many("hset", "h", 5, &|i| vec![format!("f{i}"), format!("{i}")]),
        );
        round_trip(
            s,
            b"hbig",
            &many("hset", "hbig", 600, &|i| {
                vec![format!("f{i}"), format!("v{i}")]
            }),
        );
        round_trip(
            s,
            b"si",
            &many("sadd", "si", 5, &|i| vec![format!("{}", i * 1000)]),
        );
        round_trip(
            s,
            b"sbig",
            &many("sadd", "sbig", 600, &|i| vec![format!("m{i}")]),
        );
        round_trip(
            s,
            b"z",
            &many("zadd", "z", 5, &|i| {
                vec![format!("{}.5", i), format!("m{i}")]
            }),
        );
        round_trip(
            s,
            b"zbig",
            &many("zadd", "zbig", 600, &|i| {
                vec![format!("{i}"), format!("m{i}")]
            }),
        );
    }

    #[test]
    fn redis_payloads_and_errors() {
        let mut srv = server();
        let s = &mut srv;
        // DUMP of SET a 5 on redis-server 7.0.15.
        let p: &[u8] = b"\x00\xc0\x05\n\x00c/_f\x83/\xb3Q";
        assert_eq!(run(s, &[b"restore", b"a", b"0", p]), b"+OK\r\n");
        assert_eq!(
            run(s, &[b"dump", b"a"]),
            b"$13\r\n\x00\xc0\x05\n\x00c/_f\x83/\xb3Q\r\n"
        );
        assert_eq!(
            run(s, &[b"restore", b"a", b"0", p]),
            b"-BUSYKEY Target key name already exists.\r\n"
        );
        let mut bad = p.to_vec();
        bad[2] = 6;
        assert_eq!(
            run(s, &[b"restore", b"b", b"0", &bad]),
            b"-ERR DUMP payload version or checksum are wrong\r\n"
        );
        // A good checksum over a bad value.
        let mut junk = vec![0x42u8, 1, 2, 3];
        junk.extend_from_slice(&RDB_VERSION.to_le_bytes());
        let c = crc64(0, &junk);
        junk.extend_from_slice(&c.to_le_bytes());
        assert_eq!(
            run(s, &[b"restore", b"b", b"0", &junk]),
            b"-ERR Bad data format\r\n"
        );
        assert_eq!(run(s, &[b"dump", b"nokey"]), b"$-1\r\n");
    }
}
