//! Differential test: random command sequences sent to ferrodis and to a real
//! redis-server side by side, every reply compared.
//!
//! Each run generates a sequence of string and key commands from a seed (a small
//! xorshift PRNG, so a seed always gives the same sequence) over a small key
//! space and a value space full of edge cases (integers at the i64 limits, floats,
//! empty and binary strings, long strings), with wrong arities, bad numbers, bad
//! options and out-of-range indexes mixed in. Both servers start the run with a
//! fresh connection and `FLUSHALL` (half the runs switch to RESP3 with `HELLO 3`
//! first), then get the same commands; the replies must be equal as `Reply`
//! values (so the type counts: status vs bulk, nil vs empty array, ...).
//!
//! Only what is legitimately nondeterministic is normalised: TTL/PTTL and
//! EXPIRETIME/PEXPIRETIME may differ by one second (1000 ms), KEYS and SCAN
//! results are compared as sorted lists, and the HELLO reply only by its type.
//! The generator keeps everything else deterministic: relative expire times are
//! either in the past (the key goes at once) or at least 1000 s away, and are
//! unique per command, so GT/LT comparisons never depend on the clock;
//! absolute ones are taken relative to the start of the run and sit 500 s away
//! from any relative one; active expiry is switched off on both servers
//! (`DEBUG SET-ACTIVE-EXPIRE 0`) so keys created already expired disappear only
//! when a command touches them; RANDOMKEY is sent only while DBSIZE <= 1, LCS
//! only on short strings (both guards are real commands, compared too).
//!
//! On the first mismatch the sequence is shrunk (delta debugging, each attempt
//! replayed on freshly flushed servers) and printed as a case in the format of
//! `redis-compat-tests/FORMAT.md`, then the test fails. The harness (replay,
//! guards, shrinking, printing, the environment) is `tests/support/differential.rs`,
//! shared with `tests/differential_types.rs`; this file is the generator and
//! its normalisation rules.
//!
//! Environment:
//! - `DIFF_SECS=n`: time budget of the run (default 8 s, spawning included);
//! - `DIFF_SEED=n`: replay that one seed only (the seed of a failure is printed);
//! - `DIFF_AGAINST=redis`: compare two redis-servers (self-check of the harness:
//!   it must never fail, else the normalisation is wrong);
//! - `DIFF_TYPES=1`: also create lists/sets/hashes/zsets (WRONGTYPE paths), once
//!   ferrodis has those types;
//! - `DIFF_FERRODIS=path`: test that ferrodis binary instead of the crate's;
//! - `DIFF_TRACE=1`: print every run as a compat case (redis's replies as the
//!   expectations), e.g. to check the printing against the compat runner;
//! - `DIFF_SHRINK_SECS=n`: time budget of the shrinking (default 5 s);
//! - `DIFF_KEEP_GOING=1`, `DIFF_EXCLUDE=text|...`: for triage, go on after a
//!   mismatch, leave out known ones (see `run` in `tests/support/differential.rs`);
//! - `REQUIRE_REDIS=1`: fail instead of skipping when redis-server is missing.

mod support;

use std::env;
use std::time::{Duration, Instant};

use support::differential::{
    lit, run, show_arg, shrink, sorted, upper_name, Arg, Cmd, Guard, Otherwise, Rng, Rules,
};
use support::resp::render;
use support::Reply;

/// Commands per generated sequence: between these bounds. The upper one must
/// stay below 500 (see `Gen::rel_secs`).
const MIN_COMMANDS: usize = 100;
const MAX_COMMANDS: usize = 300;

/// LCS is skipped when the product of the two string lengths exceeds this.
const LCS_MAX_CELLS: i64 = 1_000_000;

/// Which check, if any, decides whether a command is sent.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Check {
    None,
    /// Send `DBSIZE` first; skip the command if redis says more than 1
    /// (RANDOMKEY is only deterministic on 0 or 1 key).
    SmallDb,
    /// Send `STRLEN` of arguments 1 and 2 first; skip the command if the
    /// product is larger than `LCS_MAX_CELLS` (LCS is quadratic).
    LcsSize,
}

impl Check {
    /// The harness guard of this check for the (final) arguments `args`.
    fn guard(self, args: &[Arg]) -> Guard {
        match self {
            Check::None => Guard::None,
            Check::SmallDb => Guard::probe(vec![vec![lit("DBSIZE")]], 1, Otherwise::Skip),
            Check::LcsSize => {
                let probes = args
                    .iter()
                    .skip(1)
                    .take(2)
                    .map(|key| vec![lit("STRLEN"), key.clone()])
                    .collect();
                Guard::probe(probes, LCS_MAX_CELLS, Otherwise::Skip)
            }
        }
    }
}

const KEYS: &[&[u8]] = &[b"k0", b"k1", b"k2", b"k3", b"k4", b"num", b"", b"b\x00k"];

const VALUES: &[&[u8]] = &[
    b"",
    b"0",
    b"1",
    b"-1",
    b"42",
    b"-100",
    b"9223372036854775807",
    b"9223372036854775806",
    b"-9223372036854775808",
    b"-9223372036854775807",
    b"9223372036854775808",
    b"-9223372036854775809",
    b"18446744073709551616",
    b"3.14",
    b"-0.5",
    b"0.1",
    b"10.50",
    b"1e3",
    b"5.0e3",
    b"1.5e308",
    b"1.7976931348623157e308",
    b"inf",
    b"-inf",
    b"nan",
    b"-0",
    b" 1",
    b"1 ",
    b"01",
    b"+1",
    b"0x1f",
    b"abc",
    b"hello world",
    b"hello",
    b"yellow",
    b"ohmytext",
    b"\x00\xff\r\n",
    b"caf\xc3\xa9",
];

const INTS: &[&[u8]] = &[
    b"0",
    b"1",
    b"-1",
    b"5",
    b"-5",
    b"1000",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854775806",
    b"-9223372036854775807",
    b"9223372036854775808",
    b"abc",
    b"1.5",
    b"",
    b" 1",
    b"+1",
    b"01",
];

const FLOATS: &[&[u8]] = &[
    b"0",
    b"0.1",
    b"-1.5",
    b"3",
    b"1e-10",
    b"5.0e3",
    b"1e308",
    b"-1e308",
    b"1.7976931348623157e308",
    b"inf",
    b"-inf",
    b"nan",
    b"abc",
    b"",
    b"0x10",
    b" 1",
    b"1.5 ",
    b"9223372036854775807",
];

const INDEXES: &[&[u8]] = &[
    b"0",
    b"1",
    b"2",
    b"3",
    b"-1",
    b"-2",
    b"-3",
    b"5",
    b"10",
    b"100",
    b"-100",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854775808",
    b"abc",
    b"1.5",
    b"",
];

/// SETRANGE offsets: none may create a string of hundreds of megabytes.
const OFFSETS: &[&[u8]] = &[
    b"0",
    b"1",
    b"3",
    b"10",
    b"100",
    b"1000",
    b"-1",
    b"abc",
    b"",
    b"536870912",
    b"9223372036854775807",
    b"-9223372036854775808",
];

const BAD_SECS: &[&[u8]] = &[
    b"0",
    b"-1",
    b"-1000",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854775",
    b"abc",
    b"1.5",
    b"",
    b"10 ",
];

const BAD_MS: &[&[u8]] = &[
    b"0",
    b"-1",
    b"-5",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"abc",
    b"1.5",
    b"",
    b" 5",
];

const BAD_TIMESTAMPS: &[&[u8]] = &[
    b"abc",
    b"1.5",
    b"",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"1",
    b"0",
    b"-1",
];

const PATTERNS: &[&[u8]] = &[
    b"*", b"k*", b"k?", b"*1*", b"k[0-2]", b"k[^0]", b"[kn]*", b"\\k*", b"", b"b*", b"*\x00*",
    b"n?m",
];

/// Stray arguments. The number is large: appended after a truncated `PX` or
/// `PEXPIRE k` it must not make a TTL short enough to race the comparison.
const JUNK: &[&[u8]] = &[b"foo", b"EX", b"NX", b"GET", b"100000000", b"", b"IDX"];

/// The generator of one sequence: `index` is the position of the command
/// being generated (it makes relative expire times unique).
struct Gen {
    rng: Rng,
    index: usize,
    other_types: bool,
}

impl Gen {
    fn key(&mut self) -> Arg {
        lit(self.rng.pick(KEYS))
    }

    fn keys(&mut self, max: usize) -> Vec<Arg> {
        let n = 1 + self.rng.below(max);
        (0..n).map(|_| self.key()).collect()
    }

    fn value(&mut self) -> Arg {
        match self.rng.below(20) {
            0 => lit("a".repeat(1 + self.rng.below(400))),
            1 => {
                let n = 1 + self.rng.below(300);
                let bytes: Vec<u8> = (0..n).map(|_| self.rng.next() as u8).collect();
                lit(bytes)
            }
            2 => lit(self.rng.below(1000).to_string()),
            _ => lit(self.rng.pick(VALUES)),
        }
    }

    fn int(&mut self) -> Arg {
        if self.rng.chance(30) {
            lit((self.rng.below(200) as i64 - 100).to_string())
        } else {
            lit(self.rng.pick(INTS))
        }
    }

    fn float(&mut self) -> Arg {
        lit(self.rng.pick(FLOATS))
    }

    fn index(&mut self) -> Arg {
        if self.rng.chance(60) {
            lit((self.rng.below(25) as i64 - 12).to_string())
        } else {
            lit(self.rng.pick(INDEXES))
        }
    }

    /// 1000, 2000 or 3000 seconds, plus the command index: later commands get
    /// later expire times, whatever the clock says between them.
    fn future_secs(&mut self) -> i64 {
        (1 + self.rng.below(3) as i64) * 1000 + self.index as i64
    }

    /// A relative expire time in seconds (mostly far in the future, sometimes invalid).
    fn rel_secs(&mut self) -> Arg {
        if self.rng.chance(80) {
            lit(self.future_secs().to_string())
        } else {
            lit(self.rng.pick(BAD_SECS))
        }
    }

    /// A relative expire time in milliseconds.
    fn rel_ms(&mut self) -> Arg {
        if self.rng.chance(80) {
            let ms = self.future_secs() * 1000 + self.rng.below(1000) as i64;
            lit(ms.to_string())
        } else {
            lit(self.rng.pick(BAD_MS))
        }
    }

    /// Seconds from the replay's start for an absolute time: 500 s away from
    /// every relative one (which lie 1000..1300 s after the start, 2000.., 3000..).
    fn abs_offset_secs(&mut self) -> i64 {
        (1 + self.rng.below(3) as i64) * 1000 + 500
    }

    /// An absolute unix time in seconds.
    fn abs_secs(&mut self) -> Arg {
        match self.rng.below(10) {
            0 => Arg::AtSecs(-(self.rng.below(3) as i64 + 1) * 1000),
            1 => lit(self.rng.pick(BAD_TIMESTAMPS)),
            _ => Arg::AtSecs(self.abs_offset_secs()),
        }
    }

    /// An absolute unix time in milliseconds.
    fn abs_ms(&mut self) -> Arg {
        match self.rng.below(10) {
            0 => Arg::AtMs(-(self.rng.below(3) as i64 + 1) * 1_000_000),
            1 => lit(self.rng.pick(BAD_TIMESTAMPS)),
            _ => Arg::AtMs(self.abs_offset_secs() * 1000 + self.rng.below(1000) as i64),
        }
    }

    /// Zero to two of NX/XX/GT/LT (sometimes a bad one).
    fn expire_flags(&mut self, args: &mut Vec<Arg>) {
        let n = match self.rng.below(10) {
            0..=4 => 0,
            5..=8 => 1,
            _ => 2,
        };
        for _ in 0..n {
            args.push(lit(self
                .rng
                .pick(&["NX", "XX", "GT", "LT", "nx", "gt", "FOO"])));
        }
    }

    /// SET options: up to three of EX/PX/EXAT/PXAT/NX/XX/KEEPTTL/GET, any order,
    /// conflicting ones included.
    fn set_options(&mut self, args: &mut Vec<Arg>) {
        let n = match self.rng.below(10) {
            0..=2 => 0,
            3..=6 => 1,
            7..=8 => 2,
            _ => 3,
        };
        for _ in 0..n {
            match self.rng.below(11) {
                0 => args.extend([lit("EX"), self.rel_secs()]),
                1 => args.extend([lit("PX"), self.rel_ms()]),
                2 => args.extend([lit("EXAT"), self.abs_secs()]),
                3 => args.extend([lit("PXAT"), self.abs_ms()]),
                4 => args.push(lit("NX")),
                5 => args.push(lit("XX")),
                6 => args.push(lit("KEEPTTL")),
                7 | 8 => args.push(lit("GET")),
                // Lower-case options; a lone "px"/"ex" is not generated since a
                // stray argument appended after it could make a tiny real TTL.
                9 => match self.rng.below(4) {
                    0 => args.extend([lit("px"), self.rel_ms()]),
                    1 => args.extend([lit("ex"), self.rel_secs()]),
                    2 => args.push(lit("get")),
                    _ => args.push(lit("keepttl")),
                },
                _ => args.push(lit(self.rng.pick(&["FOO", "EXX", "PERSIST"]))),
            }
        }
    }

    fn command(&mut self) -> Cmd {
        let mut check = Check::None;
        let mut a: Vec<Arg> = Vec::new();
        let kinds = if self.other_types { 52 } else { 48 };
        match self.rng.below(kinds) {
            0 | 1 => a.extend([lit("APPEND"), self.key(), self.value()]),
            2 => a.extend([lit("DECR"), self.key()]),
            3 => a.extend([lit("DECRBY"), self.key(), self.int()]),
            4 | 5 => a.extend([lit("GET"), self.key()]),
            6 => a.extend([lit("GETDEL"), self.key()]),
            7 => {
                a.extend([lit("GETEX"), self.key()]);
                match self.rng.below(8) {
                    0 => {}
                    1 => a.extend([lit("EX"), self.rel_secs()]),
                    2 => a.extend([lit("PX"), self.rel_ms()]),
                    3 => a.extend([lit("EXAT"), self.abs_secs()]),
                    4 => a.extend([lit("PXAT"), self.abs_ms()]),
                    5 => a.push(lit("PERSIST")),
                    6 => a.extend([lit("PERSIST"), lit("EX"), self.rel_secs()]),
                    _ => a.push(lit(self.rng.pick(&["EX", "FOO", "KEEPTTL", "persist"]))),
                }
            }
            8 => a.extend([lit("GETRANGE"), self.key(), self.index(), self.index()]),
            9 => a.extend([lit("GETSET"), self.key(), self.value()]),
            10 | 11 => a.extend([lit("INCR"), self.key()]),
            12 => a.extend([lit("INCRBY"), self.key(), self.int()]),
            13 => a.extend([lit("INCRBYFLOAT"), self.key(), self.float()]),
            14 => {
                check = Check::LcsSize;
                a.extend([lit("LCS"), self.key(), self.key()]);
                match self.rng.below(6) {
                    0 | 1 => {}
                    2 => a.push(lit("LEN")),
                    3 => a.push(lit("IDX")),
                    4 => {
                        a.push(lit("IDX"));
                        if self.rng.chance(50) {
                            a.extend([lit("MINMATCHLEN"), self.index()]);
                        }
                        if self.rng.chance(50) {
                            a.push(lit("WITHMATCHLEN"));
                        }
                    }
                    _ => {
                        let opts: &[&str] = &["LEN", "IDX", "WITHMATCHLEN", "MINMATCHLEN", "FOO"];
                        a.push(lit(self.rng.pick(opts)));
                        a.push(lit(self.rng.pick(opts)));
                    }
                }
            }
            15 => {
                a.push(lit("MGET"));
                a.extend(self.keys(4));
            }
            16 | 17 => {
                a.push(lit(if self.rng.chance(50) {
                    "MSET"
                } else {
                    "MSETNX"
                }));
                for _ in 0..1 + self.rng.below(3) {
                    a.extend([self.key(), self.value()]);
                }
            }
            18 => a.extend([lit("PSETEX"), self.key(), self.rel_ms(), self.value()]),
            19..=22 => {
                a.extend([lit("SET"), self.key(), self.value()]);
                self.set_options(&mut a);
            }
            23 => a.extend([lit("SETEX"), self.key(), self.rel_secs(), self.value()]),
            24 => a.extend([lit("SETNX"), self.key(), self.value()]),
            25 => {
                let off = lit(self.rng.pick(OFFSETS));
                a.extend([lit("SETRANGE"), self.key(), off, self.value()]);
            }
            26 => a.extend([lit("STRLEN"), self.key()]),
            27 => a.extend([lit("SUBSTR"), self.key(), self.index(), self.index()]),
            28 | 29 => {
                a.push(lit(if self.rng.chance(50) { "DEL" } else { "UNLINK" }));
                if self.rng.chance(15) {
                    // Empty the keyspace now and then (RANDOMKEY, empty KEYS/SCAN).
                    a.extend(KEYS.iter().map(lit));
                } else {
                    a.extend(self.keys(3));
                }
            }
            30 => {
                a.push(lit(if self.rng.chance(50) {
                    "EXISTS"
                } else {
                    "TOUCH"
                }));
                a.extend(self.keys(4));
            }
            31 | 32 => {
                a.extend([lit("EXPIRE"), self.key(), self.rel_secs()]);
                self.expire_flags(&mut a);
            }
            33 => {
                a.extend([lit("PEXPIRE"), self.key(), self.rel_ms()]);
                self.expire_flags(&mut a);
            }
            34 => {
                a.extend([lit("EXPIREAT"), self.key(), self.abs_secs()]);
                self.expire_flags(&mut a);
            }
            35 => {
                a.extend([lit("PEXPIREAT"), self.key(), self.abs_ms()]);
                self.expire_flags(&mut a);
            }
            36 => {
                let name = self.rng.pick(&["EXPIRETIME", "PEXPIRETIME", "TTL", "PTTL"]);
                a.extend([lit(name), self.key()]);
            }
            37 => a.extend([lit("PERSIST"), self.key()]),
            38 => a.extend([lit("TYPE"), self.key()]),
            39 => a.extend([lit("KEYS"), lit(self.rng.pick(PATTERNS))]),
            40 => {
                a.extend([lit("SCAN"), lit(self.rng.pick(&["0", "0", "0", "abc", ""]))]);
                if self.rng.chance(40) {
                    a.extend([lit("MATCH"), lit(self.rng.pick(PATTERNS))]);
                }
                a.extend([lit("COUNT"), lit("1000")]);
                if self.rng.chance(30) {
                    let t = self.rng.pick(&["string", "STRING", "list", "none", "hash"]);
                    a.extend([lit("TYPE"), lit(t)]);
                }
            }
            41 => {
                check = Check::SmallDb;
                a.push(lit("RANDOMKEY"));
            }
            42 | 43 => {
                a.push(lit(if self.rng.chance(50) {
                    "RENAME"
                } else {
                    "RENAMENX"
                }));
                a.extend([self.key(), self.key()]);
            }
            44 | 45 => {
                a.extend([lit("COPY"), self.key(), self.key()]);
                if self.rng.chance(20) {
                    let db = self.rng.pick(&["0", "1", "15", "16", "-1", "abc"]);
                    a.extend([lit("DB"), lit(db)]);
                }
                if self.rng.chance(40) {
                    a.push(lit("REPLACE"));
                }
            }
            46 => a.push(lit("DBSIZE")),
            47 => {
                let name = self
                    .rng
                    .pick(&["GETRANGE", "SETRANGE", "INCRBY", "SET", "EXPIRE"]);
                a.extend([lit(name), self.key()]);
            }
            48 => a.extend([lit("LPUSH"), self.key(), self.value()]),
            49 => a.extend([lit("SADD"), self.key(), self.value()]),
            50 => a.extend([lit("HSET"), self.key(), lit("f"), self.value()]),
            _ => a.extend([lit("ZADD"), self.key(), lit("1"), self.value()]),
        }
        // Wrong arities and stray arguments, and the name in other cases.
        if a.len() > 1 && self.rng.chance(4) {
            let keep = 1 + self.rng.below(a.len() - 1);
            a.truncate(keep);
        } else if self.rng.chance(3) {
            a.push(lit(self.rng.pick(JUNK)));
        }
        if self.rng.chance(10) {
            if let Arg::Lit(name) = &mut a[0] {
                name.make_ascii_lowercase();
            }
        }
        let guard = check.guard(&a);
        Cmd { args: a, guard }
    }
}

/// The sequence of seed `seed`: whether it runs in RESP3, and its commands.
fn generate(seed: u64, other_types: bool) -> (bool, Vec<Cmd>) {
    let mut rng = Rng::new(seed);
    let resp3 = rng.chance(50);
    let n = MIN_COMMANDS + rng.below(MAX_COMMANDS - MIN_COMMANDS + 1);
    let mut g = Gen {
        rng,
        index: 0,
        other_types,
    };
    let cmds = (0..n)
        .map(|i| {
            g.index = i;
            g.command()
        })
        .collect();
    (resp3, cmds)
}

// ---------------------------------------------------------------------------
// Comparing replies

/// How far two replies of a time-reporting command may be apart.
fn time_tolerance(name: &str) -> Option<i64> {
    match name {
        "TTL" | "EXPIRETIME" => Some(1),
        "PTTL" | "PEXPIRETIME" => Some(1000),
        _ => None,
    }
}

/// Whether `got` is as good as `expected` for the command `name`.
fn equivalent(name: &str, expected: &Reply, got: &Reply) -> bool {
    match (name, expected, got) {
        ("HELLO", e, g) => !e.is_error() && std::mem::discriminant(e) == std::mem::discriminant(g),
        (_, Reply::Int(e), Reply::Int(g)) if time_tolerance(name).is_some() => {
            let tol = time_tolerance(name).unwrap_or(0);
            if *e < 0 || *g < 0 {
                e == g
            } else {
                (e - g).abs() <= tol
            }
        }
        ("KEYS", Reply::Array(e), Reply::Array(g)) => sorted(e) == sorted(g),
        ("SCAN", Reply::Array(e), Reply::Array(g)) if e.len() == 2 && g.len() == 2 => {
            e[0] == g[0]
                && match (&e[1], &g[1]) {
                    (Reply::Array(ek), Reply::Array(gk)) => sorted(ek) == sorted(gk),
                    (ek, gk) => ek == gk,
                }
        }
        _ => expected == got,
    }
}

/// The expectation line of a repro case: the redis reply, loosened the way
/// `equivalent` loosens it.
fn expectation(name: &str, expected: &Reply) -> String {
    match (name, expected) {
        ("HELLO", _) => "(any)".into(),
        (_, Reply::Int(e)) if *e >= 0 && time_tolerance(name).is_some() => {
            let tol = time_tolerance(name).unwrap_or(0);
            format!("(range {} {})", e - tol, e + tol)
        }
        ("KEYS", Reply::Array(_)) => format!("(unordered) {}", render(expected, false)),
        ("SCAN", Reply::Array(v)) if v.len() == 2 => match &v[1] {
            Reply::Array(keys) => format!(
                "[{},(unordered) {}]",
                render(&v[0], true),
                render(&Reply::Array(keys.clone()), true)
            ),
            _ => render(expected, false),
        },
        _ => render(expected, false),
    }
}

/// One argument as written in a repro command line.
/// The strings generator's normalisation (see the file comment); no settings to reset.
const RULES: Rules = Rules {
    equivalent: |args, expected, got| equivalent(&upper_name(args), expected, got),
    expectation: |args, expected| expectation(&upper_name(args), expected),
    reset: &[],
    events: false,
};

// ---------------------------------------------------------------------------
// The test

#[test]
fn differential_strings_and_keys() {
    let other_types = env::var("DIFF_TYPES").is_ok_and(|v| v == "1");
    run(RULES, |seed| generate(seed, other_types));
}

// ---------------------------------------------------------------------------
// Unit tests of the harness itself (no server needed)

#[test]
fn shrink_keeps_only_the_needed_items() {
    // Fails when 13 is followed (later) by 77; the mismatch shows at the 77.
    let fails = |s: &[u32]| {
        let a = s.iter().position(|&x| x == 13)?;
        let b = s.iter().skip(a).position(|&x| x == 77)?;
        Some(a + b + 1)
    };
    let seq: Vec<u32> = (0..200).collect();
    let far = Instant::now() + Duration::from_secs(60);
    assert_eq!(shrink(seq, fails, far), vec![13, 77]);

    // Three scattered items needed, in any order; the failure shows at the
    // first point where all three have been seen.
    let need = [5u32, 150, 42];
    let fails = |s: &[u32]| {
        let mut seen = 0;
        for (i, x) in s.iter().enumerate() {
            if need.contains(x) {
                seen += 1;
                if seen == need.len() {
                    return Some(i + 1);
                }
            }
        }
        None
    };
    let seq: Vec<u32> = (0..300).rev().collect();
    assert_eq!(shrink(seq, fails, far), vec![150, 42, 5]);
}

#[test]
fn shrink_drops_everything_after_the_mismatch_and_handles_passing_input() {
    let fails = |s: &[u32]| s.iter().position(|&x| x == 3).map(|i| i + 1);
    let far = Instant::now() + Duration::from_secs(60);
    assert_eq!(shrink(vec![9, 3, 8, 3, 7], fails, far), vec![3]);
    // A sequence that passes comes back unchanged (the caller reports it as flaky).
    assert_eq!(shrink(vec![1, 2], fails, far), vec![1, 2]);
    // The deadline bounds the work: with one already past, only truncation happens.
    let past = Instant::now();
    assert_eq!(shrink(vec![1, 3, 5], fails, past), vec![1, 3]);
}

#[test]
fn generation_is_deterministic_and_varied() {
    let (r1, a) = generate(12345, false);
    let (r2, b) = generate(12345, false);
    assert_eq!((r1, &a), (r2, &b));
    let (_, c) = generate(12346, false);
    assert_ne!(a, c);
    assert!((MIN_COMMANDS..=MAX_COMMANDS).contains(&a.len()));
    // Over a few seeds both protocols and every command name show up.
    let mut names = std::collections::BTreeSet::new();
    let mut protocols = std::collections::BTreeSet::new();
    for seed in 0..20 {
        let (resp3, cmds) = generate(seed, false);
        protocols.insert(resp3);
        for c in cmds {
            if let Arg::Lit(n) = &c.args[0] {
                names.insert(String::from_utf8_lossy(n).to_ascii_uppercase());
            }
        }
    }
    assert_eq!(protocols.len(), 2);
    for n in [
        "APPEND",
        "DECR",
        "DECRBY",
        "GET",
        "GETDEL",
        "GETEX",
        "GETRANGE",
        "GETSET",
        "INCR",
        "INCRBY",
        "INCRBYFLOAT",
        "LCS",
        "MGET",
        "MSET",
        "MSETNX",
        "PSETEX",
        "SET",
        "SETEX",
        "SETNX",
        "SETRANGE",
        "STRLEN",
        "SUBSTR",
        "DEL",
        "UNLINK",
        "EXISTS",
        "EXPIRE",
        "PEXPIRE",
        "EXPIREAT",
        "PEXPIREAT",
        "EXPIRETIME",
        "PEXPIRETIME",
        "PERSIST",
        "TTL",
        "PTTL",
        "TYPE",
        "KEYS",
        "SCAN",
        "RANDOMKEY",
        "RENAME",
        "RENAMENX",
        "COPY",
        "TOUCH",
        "DBSIZE",
    ] {
        assert!(names.contains(n), "{n} never generated");
    }
}

#[test]
fn normalisation_of_replies() {
    assert!(equivalent("TTL", &Reply::Int(1005), &Reply::Int(1004)));
    assert!(!equivalent("TTL", &Reply::Int(1005), &Reply::Int(1003)));
    assert!(!equivalent("TTL", &Reply::Int(-1), &Reply::Int(0)));
    assert!(equivalent(
        "PTTL",
        &Reply::Int(1_005_000),
        &Reply::Int(1_004_100)
    ));
    assert!(!equivalent("GET", &Reply::Int(5), &Reply::Int(4)));
    assert!(!equivalent("TTL", &Reply::Int(5), &Reply::bulk("5")));
    let ab = Reply::bulks(&["a", "b"]);
    let ba = Reply::bulks(&["b", "a"]);
    assert!(equivalent("KEYS", &ab, &ba));
    assert!(!equivalent("MGET", &ab, &ba));
    let scan = |keys: Reply| Reply::Array(vec![Reply::bulk("0"), keys]);
    assert!(equivalent("SCAN", &scan(ab.clone()), &scan(ba.clone())));
    assert!(!equivalent("SCAN", &scan(ab), &scan(Reply::bulks(&["a"]))));
    assert!(!equivalent("GET", &Reply::Nil, &Reply::Null));
    assert!(equivalent(
        "HELLO",
        &Reply::Map(vec![]),
        &Reply::Map(vec![(Reply::Nil, Reply::Nil)])
    ));
    assert_eq!(expectation("TTL", &Reply::Int(100)), "(range 99 101)");
    assert_eq!(expectation("TTL", &Reply::Int(-2)), ":-2");
    assert_eq!(show_arg(b"k1"), "k1");
    assert_eq!(show_arg(b""), "\"\"");
    assert_eq!(show_arg(&[b'a'; 20]), "%repeat(20,a)");
    assert_eq!(show_arg(b"a b"), "\"a b\"");
}

#[test]
fn expire_times_never_tie() {
    // Relative times are unique per command and later for later commands;
    // absolute ones stay 500 s away from them.
    let (_, cmds) = generate(7, false);
    assert!(cmds.len() < 500);
    let mut g = Gen {
        rng: Rng::new(1),
        index: 0,
        other_types: false,
    };
    for i in 0..MAX_COMMANDS {
        g.index = i;
        let rel = g.future_secs();
        let abs = g.abs_offset_secs();
        assert!((rel - abs).abs() >= 500 - MAX_COMMANDS as i64);
        assert_eq!(rel % 1000, i as i64);
    }
}
