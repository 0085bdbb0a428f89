//! Differential test of lists, hashes and sets: random command sequences sent
//! to ferrodis and to a real redis-server side by side, every reply compared.
//!
//! Each run generates, from a seed, 100 to 300 commands of the three types
//! (every non-blocking LIST, HASH and SET command), mixed with a few string and
//! generic commands (SET, GET, INCR, APPEND, DEL, EXISTS, TYPE, OBJECT ENCODING,
//! COPY, RENAME, DBSIZE, SCAN, DEBUG DIGEST-VALUE) on the same keys. The key
//! space is small (two list keys, two hash keys, three set keys, one other), and
//! a command picks a key of another type often enough that WRONGTYPE paths run.
//! Set `s0` gets mostly small integers (an intset), the others anything.
//! Elements mix small integers (intsets), integers of every intset width and
//! ones that are not integers for Redis (`01`, `+1`, ` 1`, `9223372036854775808`),
//! floats, empty and binary strings, and values of 63, 64, 65 and more bytes
//! (around `hash-max-listpack-value`; up to 9000, more than a list node of the
//! default size holds). Now and then one command adds 100 elements, so
//! collections cross the 128/512-entry thresholds; some runs start with
//! `CONFIG SET` of `hash-max-listpack-entries`, `hash-max-listpack-value`,
//! `set-max-intset-entries`, `list-max-listpack-size` and `list-compress-depth`
//! to small values, so conversions happen early (every replay starts by setting
//! them back to the defaults, and a repro that changes them ends by doing so);
//! a few commands change one of them mid-run (conversions then happen on the
//! next write).
//! Indexes and counts include negative, huge and malformed ones, and some
//! commands get a wrong arity or a stray argument. A few commands run under
//! `WATCH` of their arguments followed by an empty `MULTI`/`EXEC`, so whether
//! a command counts as touching its keys (no-op writes do not) is compared
//! too; MOVE and SWAPDB move collections between databases, SORT sorts them,
//! EXPIRE (100000 s, or a past time: the key goes), PERSIST and TTL check
//! which commands keep, copy or drop a collection's time to live. `INFO keyspace`,
//! `INFO stats` (keyspace hits and misses only), `INFO commandstats` (calls,
//! failed and rejected calls; not the times) and `INFO errorstats` compare
//! the accounting, each replay starting with `CONFIG RESETSTAT`; any other
//! INFO (a truncated or extended one) only by the kind of its reply.
//!
//! Nondeterminism, handled honestly (nothing else is loosened; OBJECT ENCODING
//! in particular is compared exactly):
//! - replies in hash order are compared as sorted multisets: SMEMBERS, SINTER,
//!   SUNION, SDIFF, HKEYS, HVALS, KEYS, the element list of SSCAN/HSCAN/SCAN,
//!   and the whole-collection forms of SPOP/SRANDMEMBER/HRANDFIELD below, with
//!   RESP3 sets; HGETALL, HSCAN and HRANDFIELD WITHVALUES as sorted (field,
//!   value) pairs (RESP3 maps too). A repro prints them as `(unordered)`, which
//!   for a flat RESP2 field/value list is looser than the check (pairs are not
//!   kept together there). But where Redis's order is deterministic, it is
//!   checked: before SMEMBERS, HGETALL, HKEYS, HVALS, SSCAN, HSCAN, SRANDMEMBER
//!   and HRANDFIELD, `OBJECT ENCODING key` is sent (and compared), and if redis
//!   says `listpack` (insertion order) or `intset` (sorted) the reply is
//!   compared exactly. Not SPOP: Redis builds its whole-set reply as a new
//!   set, a table when the intset is above `set-max-intset-entries`;
//! - SPOP, SRANDMEMBER and HRANDFIELD go through a guard: SCARD/HLEN is sent
//!   first (and compared). Their result is deterministic when the count is
//!   positive and at least the size (the whole collection), when there is no
//!   count or a negative one and the size is at most 1, or with a count of 0:
//!   then the reply is compared (sorted). Otherwise SRANDMEMBER and HRANDFIELD
//!   are compared only by shape (same kinds, same lengths, any bulk strings),
//!   and SPOP is not sent at all, so the two datasets never diverge. Negative
//!   counts stay small: redis-server tries to build a reply of |count|
//!   elements;
//! - SSCAN and HSCAN are sent with cursor 0 (or an invalid cursor) and COUNT
//!   1000 on collections of at most `SCAN_MAX_SIZE` elements (HLEN/SCARD
//!   probe), so both servers answer in one call with cursor 0; without COUNT
//!   1000 (a truncated command) only on collections of at most one element;
//!   never with the cursor `18446744073709551616`: Redis's parse leaves errno
//!   at ERANGE, and SORT reads that stale errno (its next numeric sort fails);
//! - the HELLO reply is compared only by its type; TTL may differ by 1 s;
//! - SORT replies may differ in the order of elements that are equal as C
//!   strings (up to their first NUL byte: Redis compares them with `strcoll`
//!   or `strtod`, and ties come in input order, hash order for a set);
//! - an EXEC reply that differs is compared with every aggregate in it sorted
//!   (the generator sends only empty transactions, to see WATCH; but a shrunk
//!   sequence may lose an EXEC, and the commands after its MULTI then queue).
//!
//! On the first mismatch the sequence is shrunk and printed as a case in the
//! format of `redis-compat-tests/FORMAT.md` (the harness, shared with
//! `tests/differential.rs`, is `tests/support/differential.rs`).
//!
//! Environment (as `tests/differential.rs`):
//! - `DIFF_SECS=n`: time budget of the run (default 8 s, spawning included);
//! - `DIFF_SEED=n`: replay that one seed only (the seed of a failure is printed);
//! - `DIFF_AGAINST=redis`: compare two redis-servers (self-check of the harness:
//!   it must never fail, else the normalisation is wrong);
//! - `DIFF_FERRODIS=path`: test that ferrodis binary instead of the crate's;
//! - `DIFF_KINDS=list,hash,set`: generate only the commands of those types
//!   (plus the string and generic ones), e.g. against a build with one type;
//! - `DIFF_TRACE=1`: print every run as a compat case;
//! - `DIFF_SHRINK_SECS=n`: time budget of the shrinking (default 5 s);
//! - `DIFF_KEEP_GOING=1`, `DIFF_EXCLUDE=text|...`: for triage, go on after a
//!   mismatch, leave out known ones (see `run` in `tests/support/differential.rs`);
//! - `REQUIRE_REDIS=1`: fail instead of skipping when redis-server is missing.

mod support;

use std::env;

use support::differential::{
    deep_sorted, lit, run, same_shape, shape_expectation, sorted, upper_name, Arg, Cmd, Guard,
    Otherwise, Rng, Rules,
};
use support::resp::render;
use support::Reply;

/// Commands per generated sequence: between these bounds.
const MIN_COMMANDS: usize = 100;
const MAX_COMMANDS: usize = 300;

/// SSCAN/HSCAN with COUNT 1000 are sent only to collections this small: Redis
/// stops a scan call once it has collected COUNT items, and HSCAN collects two
/// per field.
const SCAN_MAX_SIZE: i64 = 400;

/// The settings a run may change, with their defaults in redis-server 7.0.15,
/// and the statistics INFO shows (sent at the start of every replay).
const RESET: &[&[&str]] = &[
    &["CONFIG", "RESETSTAT"],
    &["CONFIG", "SET", "hash-max-listpack-entries", "512"],
    &["CONFIG", "SET", "hash-max-listpack-value", "64"],
    &["CONFIG", "SET", "set-max-intset-entries", "512"],
    &["CONFIG", "SET", "list-max-listpack-size", "-2"],
    &["CONFIG", "SET", "list-compress-depth", "0"],
];

// ---------------------------------------------------------------------------
// What the commands are made of

const LIST_KEYS: &[&str] = &["l0", "l1"];
const HASH_KEYS: &[&str] = &["h0", "h1"];
const SET_KEYS: &[&str] = &["s0", "s1", "s2"];
const ALL_KEYS: &[&str] = &["l0", "l1", "h0", "h1", "s0", "s1", "s2", "x"];

/// Elements (list values, set members, hash fields and values).
const ELEMENTS: &[&[u8]] = &[
    b"a",
    b"b",
    b"c",
    b"foo",
    b"bar",
    b"",
    b"0",
    b"1",
    b"-1",
    b"7",
    b"42",
    b"100",
    b"-100",
    b"32767",
    b"32768",
    b"-32769",
    b"2147483648",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854775808",
    b"1.5",
    b"01",
    b"+1",
    b" 1",
    b"-0",
    b"1e3",
    b"\x00\xff",
    b"caf\xc3\xa9",
];

/// Lengths of long elements: around the 64-byte `hash-max-listpack-value`,
/// and one larger than a list node of the default `list-max-listpack-size`
/// (8 kB).
const LONG_LENGTHS: &[usize] = &[63, 64, 65, 100, 300, 9000];

const INDEXES: &[&[u8]] = &[
    b"0",
    b"-1",
    b"100",
    b"-100",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854775808",
    b"abc",
    b"1.5",
    b"",
    b" 1",
];

/// Counts for LPOP/RPOP/LMPOP/SPOP/LPOS COUNT/LREM/SINTERCARD LIMIT.
const COUNTS: &[&[u8]] = &[
    b"0",
    b"1",
    b"2",
    b"3",
    b"5",
    b"100",
    b"-1",
    b"-3",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"abc",
    b"1.5",
    b"",
];

/// Counts for SRANDMEMBER/HRANDFIELD: no large negative one (redis-server
/// would build a reply of that many elements).
const RANDOM_COUNTS: &[&[u8]] = &[
    b"0",
    b"1",
    b"2",
    b"3",
    b"5",
    b"100",
    b"1000",
    b"-1",
    b"-2",
    b"-5",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"abc",
    b"",
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
    b"9223372036854775808",
    b"abc",
    b"1.5",
    b"",
    b" 1",
    b"+1",
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
    b"inf",
    b"-inf",
    b"nan",
    b"abc",
    b"",
    b" 1",
    b"9223372036854775807",
];

const PATTERNS: &[&[u8]] = &[b"*", b"f*", b"f?", b"*1*", b"[ab]*", b"a", b"", b"\\*"];

/// Stray arguments.
const JUNK: &[&[u8]] = &[
    b"foo",
    b"",
    b"0",
    b"5",
    b"COUNT",
    b"WITHVALUES",
    b"LIMIT",
    b"RANK",
    b"LEFT",
];

/// The small values a run may start with, per setting.
const SMALL_SETTINGS: &[(&str, &[&str])] = &[
    (
        "hash-max-listpack-entries",
        &["0", "1", "2", "4", "8", "16"],
    ),
    ("hash-max-listpack-value", &["0", "1", "4", "8", "16"]),
    ("set-max-intset-entries", &["0", "1", "2", "4", "8", "16"]),
    (
        "list-max-listpack-size",
        &["1", "2", "3", "4", "8", "-1", "-2", "-3", "-4", "-5"],
    ),
    ("list-compress-depth", &["0", "1", "2"]),
];

/// The types a run draws commands from.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Kinds {
    list: bool,
    hash: bool,
    set: bool,
}

impl Kinds {
    const ALL: Kinds = Kinds {
        list: true,
        hash: true,
        set: true,
    };

    /// From `DIFF_KINDS` (a comma-separated list of `list`, `hash`, `set`).
    fn from_env() -> Kinds {
        let Ok(v) = env::var("DIFF_KINDS") else {
            return Kinds::ALL;
        };
        let has = |k: &str| v.split(',').any(|p| p.trim().eq_ignore_ascii_case(k));
        let kinds = Kinds {
            list: has("list"),
            hash: has("hash"),
            set: has("set"),
        };
        assert!(
            kinds.list || kinds.hash || kinds.set,
            "DIFF_KINDS={v:?}: expected some of list,hash,set"
        );
        kinds
    }
}

// ---------------------------------------------------------------------------
// The generator

struct Gen {
    rng: Rng,
    kinds: Kinds,
}

impl Gen {
    /// A key: mostly one of `own`, sometimes any key (another type, or none).
    fn key_of(&mut self, own: &[&str]) -> Arg {
        if self.rng.chance(88) {
            lit(self.rng.pick(own))
        } else {
            lit(self.rng.pick(ALL_KEYS))
        }
    }

    fn list_key(&mut self) -> Arg {
        self.key_of(LIST_KEYS)
    }

    fn hash_key(&mut self) -> Arg {
        self.key_of(HASH_KEYS)
    }

    fn set_key(&mut self) -> Arg {
        self.key_of(SET_KEYS)
    }

    fn any_key(&mut self) -> Arg {
        lit(self.rng.pick(ALL_KEYS))
    }

    /// A key for a string command: mostly `x`, so collections survive.
    fn string_key(&mut self) -> Arg {
        self.key_of(&["x"])
    }

    /// Two keys for COPY/RENAME: mostly of one type, so collections move
    /// between keys of their own type.
    fn key_pair(&mut self) -> [Arg; 2] {
        if self.rng.chance(70) {
            let own = *self.rng.pick(&[LIST_KEYS, HASH_KEYS, SET_KEYS]);
            [lit(self.rng.pick(own)), lit(self.rng.pick(own))]
        } else {
            [self.any_key(), self.any_key()]
        }
    }

    fn element(&mut self) -> Arg {
        match self.rng.below(20) {
            0 | 1 => {
                let len = *self.rng.pick(LONG_LENGTHS);
                let c = *self.rng.pick(b"vw");
                lit(vec![c; len])
            }
            2..=6 => lit(self.rng.below(30).to_string()),
            7 => {
                let wide = [40_000i64, -70_000, 5_000_000_000, -5_000_000_000];
                lit((self.rng.pick(&wide) + self.rng.below(3) as i64).to_string())
            }
            _ => lit(self.rng.pick(ELEMENTS)),
        }
    }

    /// A set member: for `s0` nearly always a small integer (so it stays an
    /// intset for a while), else any element.
    fn member(&mut self, key: &Arg) -> Arg {
        if *key == lit("s0") && self.rng.chance(90) {
            lit((self.rng.below(40) as i64 - 5).to_string())
        } else {
            self.element()
        }
    }

    fn members(&mut self, key: &Arg, max: usize) -> Vec<Arg> {
        let n = 1 + self.rng.below(max);
        (0..n).map(|_| self.member(key)).collect()
    }

    fn elements(&mut self, max: usize) -> Vec<Arg> {
        let n = 1 + self.rng.below(max);
        (0..n).map(|_| self.element()).collect()
    }

    /// 100 elements at once: consecutive integers (an intset that grows) or
    /// strings `e<n>`, from a random base so repeated calls overlap in part.
    fn hundred(&mut self) -> Vec<Arg> {
        let base = self.rng.below(10) * 50;
        let ints = self.rng.chance(60);
        (base..base + 100)
            .map(|i| {
                if ints {
                    lit(i.to_string())
                } else {
                    lit(format!("e{i}"))
                }
            })
            .collect()
    }

    fn field(&mut self) -> Arg {
        if self.rng.chance(70) {
            lit(format!("f{}", self.rng.below(10)))
        } else {
            self.element()
        }
    }

    fn fields(&mut self, max: usize) -> Vec<Arg> {
        let n = 1 + self.rng.below(max);
        (0..n).map(|_| self.field()).collect()
    }

    fn index(&mut self) -> Arg {
        if self.rng.chance(70) {
            lit((self.rng.below(25) as i64 - 12).to_string())
        } else {
            lit(self.rng.pick(INDEXES))
        }
    }

    fn count(&mut self) -> Arg {
        if self.rng.chance(50) {
            lit(self.rng.below(7).to_string())
        } else {
            lit(self.rng.pick(COUNTS))
        }
    }

    fn side(&mut self) -> Arg {
        lit(self
            .rng
            .pick(&["LEFT", "RIGHT", "LEFT", "RIGHT", "left", "right", "UP"]))
    }

    /// LIST commands.
    fn list_command(&mut self, a: &mut Vec<Arg>) {
        match self.rng.below(22) {
            0..=4 => {
                let name = self
                    .rng
                    .pick(&["LPUSH", "RPUSH", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]);
                a.extend([lit(name), self.list_key()]);
                if self.rng.chance(5) {
                    a.extend(self.hundred());
                } else {
                    a.extend(self.elements(5));
                }
            }
            5 | 6 => {
                a.extend([lit(self.rng.pick(&["LPOP", "RPOP"])), self.list_key()]);
                if self.rng.chance(50) {
                    a.push(self.count());
                }
            }
            7 => a.extend([lit("LINDEX"), self.list_key(), self.index()]),
            8 => {
                let side = self
                    .rng
                    .pick(&["BEFORE", "AFTER", "before", "after", "MIDDLE"]);
                a.extend([lit("LINSERT"), self.list_key(), lit(side)]);
                a.extend([self.element(), self.element()]);
            }
            9 => a.extend([lit("LLEN"), self.list_key()]),
            10 => {
                a.extend([lit("LMOVE"), self.list_key(), self.list_key()]);
                a.extend([self.side(), self.side()]);
            }
            11 => a.extend([lit("RPOPLPUSH"), self.list_key(), self.list_key()]),
            12 => self.lmpop(a),
            13 | 14 => self.lpos(a),
            15 | 16 => a.extend([lit("LRANGE"), self.list_key(), self.index(), self.index()]),
            17 => {
                a.extend([lit("LREM"), self.list_key(), self.count(), self.element()]);
            }
            18 | 19 => a.extend([lit("LSET"), self.list_key(), self.index(), self.element()]),
            _ => a.extend([lit("LTRIM"), self.list_key(), self.index(), self.index()]),
        }
    }

    fn lmpop(&mut self, a: &mut Vec<Arg>) {
        let n = 1 + self.rng.below(3);
        let numkeys = match self.rng.below(10) {
            0 => lit(self.rng.pick(&["0", "-1", "abc", "9223372036854775807"])),
            1 => lit((n + 1).to_string()),
            _ => lit(n.to_string()),
        };
        a.extend([lit("LMPOP"), numkeys]);
        for _ in 0..n {
            a.push(self.list_key());
        }
        a.push(self.side());
        if self.rng.chance(50) {
            a.extend([
                lit(self.rng.pick(&["COUNT", "count", "COUNT", "LIMIT"])),
                self.count(),
            ]);
        }
    }

    fn lpos(&mut self, a: &mut Vec<Arg>) {
        a.extend([lit("LPOS"), self.list_key(), self.element()]);
        for _ in 0..self.rng.below(4) {
            match self.rng.below(4) {
                0 => {
                    let rank = if self.rng.chance(70) {
                        lit((self.rng.below(7) as i64 - 3).to_string())
                    } else {
                        lit(self.rng.pick(COUNTS))
                    };
                    a.extend([lit("RANK"), rank]);
                }
                1 => a.extend([lit("COUNT"), self.count()]),
                2 => a.extend([lit("MAXLEN"), self.count()]),
                _ => a.push(lit(self.rng.pick(&["rank", "FOO", "COUNT"]))),
            }
        }
    }

    /// HASH commands.
    fn hash_command(&mut self, a: &mut Vec<Arg>) {
        match self.rng.below(22) {
            0..=3 => {
                a.extend([
                    lit(self.rng.pick(&["HSET", "HSET", "HMSET"])),
                    self.hash_key(),
                ]);
                if self.rng.chance(5) {
                    for (i, f) in self.hundred().into_iter().enumerate() {
                        a.extend([f, lit(i.to_string())]);
                    }
                } else {
                    for _ in 0..1 + self.rng.below(3) {
                        a.extend([self.field(), self.element()]);
                    }
                }
            }
            4 => a.extend([lit("HSETNX"), self.hash_key(), self.field(), self.element()]),
            5 | 6 => {
                a.extend([lit("HDEL"), self.hash_key()]);
                a.extend(self.fields(3));
            }
            7 | 8 => {
                let name = self.rng.pick(&["HEXISTS", "HGET", "HSTRLEN"]);
                a.extend([lit(name), self.hash_key(), self.field()]);
            }
            9 | 10 => {
                let name = self.rng.pick(&["HGETALL", "HKEYS", "HVALS", "HLEN"]);
                a.extend([lit(name), self.hash_key()]);
            }
            11 => {
                a.extend([lit("HMGET"), self.hash_key()]);
                a.extend(self.fields(4));
            }
            12 | 13 => {
                let by = if self.rng.chance(70) {
                    lit((self.rng.below(200) as i64 - 100).to_string())
                } else {
                    lit(self.rng.pick(INTS))
                };
                a.extend([lit("HINCRBY"), self.hash_key(), self.field(), by]);
            }
            14 | 15 => {
                let by = lit(self.rng.pick(FLOATS));
                a.extend([lit("HINCRBYFLOAT"), self.hash_key(), self.field(), by]);
            }
            16 | 17 => self.scan("HSCAN", a),
            18 | 19 => self.random_read("HRANDFIELD", a),
            _ => {
                a.extend([lit(self.rng.pick(&["HSET", "HSETNX"])), self.hash_key()]);
                a.extend([self.field(), self.element()]);
            }
        }
    }

    /// SET commands.
    fn set_command(&mut self, a: &mut Vec<Arg>) {
        match self.rng.below(24) {
            0..=3 => {
                let key = self.set_key();
                a.extend([lit("SADD"), key.clone()]);
                if self.rng.chance(5) {
                    a.extend(self.hundred());
                } else {
                    a.extend(self.members(&key, 5));
                }
            }
            4 | 5 => {
                let key = self.set_key();
                a.extend([lit("SREM"), key.clone()]);
                a.extend(self.members(&key, 3));
            }
            6 => a.extend([lit("SCARD"), self.set_key()]),
            7 => a.extend([lit("SMEMBERS"), self.set_key()]),
            8 => {
                let key = self.set_key();
                let member = self.member(&key);
                a.extend([lit("SISMEMBER"), key, member]);
            }
            9 => {
                let key = self.set_key();
                a.extend([lit("SMISMEMBER"), key.clone()]);
                a.extend(self.members(&key, 4));
            }
            10 | 11 => {
                let (src, dst) = (self.set_key(), self.set_key());
                let member = self.member(&src);
                a.extend([lit("SMOVE"), src, dst, member]);
            }
            12 | 13 => {
                a.push(lit(self.rng.pick(&["SDIFF", "SINTER", "SUNION"])));
                for _ in 0..1 + self.rng.below(3) {
                    a.push(self.set_key());
                }
            }
            14 | 15 => {
                let name = self.rng.pick(&["SDIFFSTORE", "SINTERSTORE", "SUNIONSTORE"]);
                a.extend([lit(name), self.set_key()]);
                for _ in 0..1 + self.rng.below(3) {
                    a.push(self.set_key());
                }
            }
            16 => self.sintercard(a),
            17 | 18 => self.scan("SSCAN", a),
            19 | 20 => {
                a.extend([lit("SPOP"), self.set_key()]);
                if self.rng.chance(60) {
                    a.push(self.count());
                }
            }
            _ => self.random_read("SRANDMEMBER", a),
        }
    }

    fn sintercard(&mut self, a: &mut Vec<Arg>) {
        let n = 1 + self.rng.below(3);
        let numkeys = match self.rng.below(10) {
            0 => lit(self.rng.pick(&["0", "-1", "abc", "9223372036854775807"])),
            1 => lit((n + 1).to_string()),
            _ => lit(n.to_string()),
        };
        a.extend([lit("SINTERCARD"), numkeys]);
        for _ in 0..n {
            a.push(self.set_key());
        }
        if self.rng.chance(40) {
            a.extend([
                lit(self.rng.pick(&["LIMIT", "limit", "COUNT"])),
                self.count(),
            ]);
        }
    }

    /// SSCAN/HSCAN from cursor 0 (or an invalid cursor), COUNT 1000.
    fn scan(&mut self, name: &str, a: &mut Vec<Arg>) {
        let key = if name == "HSCAN" {
            self.hash_key()
        } else {
            self.set_key()
        };
        let cursor = self
            .rng
            .pick(&["0", "0", "0", "0", "0", "0", "abc", "", " 0", "-"]);
        a.extend([lit(name), key, lit(cursor)]);
        if self.rng.chance(40) {
            a.extend([lit("MATCH"), lit(self.rng.pick(PATTERNS))]);
        }
        a.extend([lit("COUNT"), lit("1000")]);
        if self.rng.chance(5) {
            a.extend([lit("COUNT"), lit(self.rng.pick(&["0", "-1", "abc"]))]);
        }
    }

    /// SRANDMEMBER / HRANDFIELD, with or without a count (and WITHVALUES).
    fn random_read(&mut self, name: &str, a: &mut Vec<Arg>) {
        let key = if name == "HRANDFIELD" {
            self.hash_key()
        } else {
            self.set_key()
        };
        a.extend([lit(name), key]);
        if self.rng.chance(75) {
            a.push(lit(self.rng.pick(RANDOM_COUNTS)));
            if name == "HRANDFIELD" && self.rng.chance(50) {
                a.push(lit(self.rng.pick(&[
                    "WITHVALUES",
                    "withvalues",
                    "WITHSCORES",
                ])));
            }
        }
    }

    /// SORT/SORT_RO of a list or set (no BY pattern or GET: other keys stay
    /// out of it); BY nosort keeps the order of the list or set, so it is
    /// sent only if SCARD says the key is not a set of 2 or more members.
    fn sort(&mut self, a: &mut Vec<Arg>) {
        let own = *self.rng.pick(&[LIST_KEYS, SET_KEYS]);
        let key = self.key_of(own);
        let name = if self.rng.chance(70) {
            "SORT"
        } else {
            "SORT_RO"
        };
        a.extend([lit(name), key]);
        if self.rng.chance(20) {
            a.extend([lit("BY"), lit("nosort")]);
        }
        if self.rng.chance(30) {
            a.extend([lit("LIMIT"), self.index(), self.index()]);
        }
        if self.rng.chance(40) {
            a.push(lit(self.rng.pick(&["DESC", "ASC", "desc"])));
        }
        if self.rng.chance(50) {
            a.push(lit(self.rng.pick(&["ALPHA", "alpha"])));
        }
        if name == "SORT" && self.rng.chance(30) {
            a.extend([lit("STORE"), lit(self.rng.pick(LIST_KEYS))]);
        }
    }

    /// String and generic commands on the same keys.
    fn other_command(&mut self, a: &mut Vec<Arg>) {
        match self.rng.below(27) {
            0..=3 => a.extend([lit("OBJECT"), lit("ENCODING"), self.any_key()]),
            4 => a.extend([lit("SET"), self.string_key(), self.element()]),
            5 => a.extend([lit(self.rng.pick(&["GET", "INCR"])), self.string_key()]),
            6 => a.extend([lit("APPEND"), self.string_key(), self.element()]),
            7 | 8 => {
                a.push(lit(self.rng.pick(&["DEL", "DEL", "UNLINK"])));
                if self.rng.chance(15) {
                    a.extend(ALL_KEYS.iter().map(lit));
                } else {
                    a.push(self.any_key());
                }
            }
            9 => {
                a.push(lit("EXISTS"));
                for _ in 0..1 + self.rng.below(3) {
                    a.push(self.any_key());
                }
            }
            10 | 11 => a.extend([lit("TYPE"), self.any_key()]),
            12 => {
                a.push(lit("COPY"));
                a.extend(self.key_pair());
                if self.rng.chance(50) {
                    a.push(lit("REPLACE"));
                }
            }
            13 => {
                let name = self.rng.pick(&["RENAME", "RENAMENX"]);
                a.push(lit(name));
                a.extend(self.key_pair());
            }
            14 => a.push(lit("DBSIZE")),
            15 => {
                a.extend([lit("SCAN"), lit("0"), lit("COUNT"), lit("1000")]);
                if self.rng.chance(70) {
                    let t = self.rng.pick(&["list", "hash", "set", "string", "SET"]);
                    a.extend([lit("TYPE"), lit(t)]);
                }
            }
            16 | 17 => a.extend([lit("DEBUG"), lit("DIGEST-VALUE"), self.any_key()]),
            18 => a.extend([lit("DEBUG"), lit("DIGEST")]),
            19 => a.extend([
                lit("MOVE"),
                self.any_key(),
                lit(self.rng.pick(&["1", "1", "0", "16"])),
            ]),
            20 => a.extend([lit("SWAPDB"), lit("0"), lit("1")]),
            21 => a.extend([lit("INFO"), lit(self.rng.pick(INFO_SECTIONS))]),
            22 => self.sort(a),
            23 => {
                let key = self.any_key();
                match self.rng.below(4) {
                    0 | 1 => a.extend([lit("EXPIRE"), key, lit("100000")]),
                    2 => a.extend([lit("PEXPIRE"), key, lit(self.rng.pick(&["0", "-1"]))]),
                    _ => a.extend([lit("PERSIST"), key]),
                }
            }
            24 | 25 => a.extend([lit("TTL"), self.any_key()]),
            _ => {
                // A setting changed mid-run: conversions happen on the next write.
                let (name, values) = *self.rng.pick(SMALL_SETTINGS);
                a.extend([
                    lit("CONFIG"),
                    lit("SET"),
                    lit(name),
                    lit(self.rng.pick(values)),
                ]);
            }
        }
    }

    fn command(&mut self) -> Cmd {
        let mut a: Vec<Arg> = Vec::new();
        loop {
            match self.rng.below(20) {
                0..=5 if self.kinds.list => self.list_command(&mut a),
                6..=11 if self.kinds.hash => self.hash_command(&mut a),
                12..=17 if self.kinds.set => self.set_command(&mut a),
                18 | 19 => self.other_command(&mut a),
                _ => continue,
            }
            break;
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
        let guard = guard_for(&a);
        Cmd { args: a, guard }
    }

    /// Usually one command; now and then one under `WATCH` of its keys,
    /// followed by an empty `MULTI`/`EXEC`, whose reply (nil or `[]`) says
    /// whether the command counted as modifying a watched key.
    fn commands(&mut self) -> Vec<Cmd> {
        let cmd = self.command();
        if !self.rng.chance(4) || cmd.args.len() < 2 {
            return vec![cmd];
        }
        let plain = |args: Vec<Arg>| Cmd {
            args,
            guard: Guard::None,
        };
        let mut watch = vec![lit("WATCH")];
        watch.extend(cmd.args.iter().skip(1).take(3).cloned());
        vec![
            plain(watch),
            cmd,
            plain(vec![lit("MULTI")]),
            plain(vec![lit("EXEC")]),
        ]
    }

    /// `CONFIG SET` of one to three settings to small values.
    fn small_settings(&mut self) -> Vec<Cmd> {
        (0..1 + self.rng.below(3))
            .map(|_| {
                let (name, values) = *self.rng.pick(SMALL_SETTINGS);
                let args = vec![
                    lit("CONFIG"),
                    lit("SET"),
                    lit(name),
                    lit(self.rng.pick(values)),
                ];
                Cmd {
                    args,
                    guard: Guard::None,
                }
            })
            .collect()
    }
}

/// The sequence of seed `seed`: whether it runs in RESP3, and its commands.
fn generate(seed: u64, kinds: Kinds) -> (bool, Vec<Cmd>) {
    let mut rng = Rng::new(seed);
    let resp3 = rng.chance(50);
    let n = MIN_COMMANDS + rng.below(MAX_COMMANDS - MIN_COMMANDS + 1);
    let small = rng.chance(35);
    let mut g = Gen { rng, kinds };
    let mut cmds = if small {
        g.small_settings()
    } else {
        Vec::new()
    };
    while cmds.len() < n {
        cmds.extend(g.commands());
    }
    (resp3, cmds)
}

// ---------------------------------------------------------------------------
// Guards: when a reply depends on randomness or on hash order

/// An argument as an integer, if it is one.
fn int_arg(a: &Arg) -> Option<i64> {
    std::str::from_utf8(a.bytes()?).ok()?.parse().ok()
}

/// Encodings whose iteration order is deterministic in Redis: a listpack
/// keeps insertion order, an intset is sorted.
const ORDERED_ENCODINGS: &[&str] = &["listpack", "intset"];

/// The guard of a command, from its final arguments (after truncation or a
/// stray argument): see the file comment. Single-key commands replying in
/// hash order are compared exactly when the key has an ordered encoding (not
/// SPOP: Redis builds its whole-set reply as a new set, which may be a table
/// when the intset is above `set-max-intset-entries`).
fn guard_for(args: &[Arg]) -> Guard {
    let guard = size_guard(args);
    let single_key = [
        "SMEMBERS",
        "HGETALL",
        "HKEYS",
        "HVALS",
        "SSCAN",
        "HSCAN",
        "SRANDMEMBER",
        "HRANDFIELD",
    ];
    match (args.first().map(upper), args.get(1)) {
        (Some(name), Some(key)) if single_key.contains(&name.as_str()) => Guard::Strict {
            probe: vec![lit("OBJECT"), lit("ENCODING"), key.clone()],
            strict: ORDERED_ENCODINGS,
            then: Box::new(guard),
        },
        _ => guard,
    }
}

/// An argument upper-cased.
fn upper(a: &Arg) -> String {
    String::from_utf8_lossy(a.bytes().unwrap_or_default()).to_ascii_uppercase()
}

/// The guard of SPOP/SRANDMEMBER/HRANDFIELD/SSCAN/HSCAN, and of SORT BY
/// nosort, on the size of the collection.
fn size_guard(args: &[Arg]) -> Guard {
    let Some(name) = args.first().map(upper) else {
        return Guard::None;
    };
    let Some(key) = args.get(1) else {
        return Guard::None;
    };
    let size = |cmd: &str| vec![vec![lit(cmd), key.clone()]];
    match name.as_str() {
        // BY nosort keeps the order of a set too: a table's is hash order.
        "SORT" | "SORT_RO" if args.iter().any(|a| upper(a) == "NOSORT") => {
            Guard::probe(size("SCARD"), 1, Otherwise::Skip)
        }
        "SSCAN" | "HSCAN" => {
            let probe = if name == "HSCAN" { "HLEN" } else { "SCARD" };
            // The last COUNT given is the one that counts.
            let count = args
                .windows(2)
                .rev()
                .find(|w| upper(&w[0]) == "COUNT")
                .and_then(|w| int_arg(&w[1]));
            let max = if count == Some(1000) {
                SCAN_MAX_SIZE
            } else {
                1
            };
            Guard::probe(size(probe), max, Otherwise::Skip)
        }
        "SPOP" | "SRANDMEMBER" | "HRANDFIELD" => {
            let probe = if name == "HRANDFIELD" {
                "HLEN"
            } else {
                "SCARD"
            };
            let otherwise = if name == "SPOP" {
                Otherwise::Skip
            } else {
                Otherwise::CompareShape
            };
            let max = match args.get(2).map(int_arg) {
                None => 1,
                Some(Some(0)) | Some(None) => return Guard::None,
                Some(Some(n)) if n > 0 => n,
                Some(Some(_)) if name == "SPOP" => return Guard::None,
                Some(Some(_)) => 1,
            };
            Guard::probe(size(probe), max, otherwise)
        }
        _ => Guard::None,
    }
}

// ---------------------------------------------------------------------------
// Comparing replies

/// How the elements of a command's reply are ordered.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Order {
    /// As sent: compared exactly.
    Exact,
    /// Hash order: compared as a multiset.
    Elements,
    /// Hash order of field/value pairs: compared as a multiset of pairs.
    Pairs,
    /// A scan reply `[cursor, items]`, items in hash order (pairs for HSCAN).
    Scan { pairs: bool },
}

fn order_of(args: &[Vec<u8>]) -> Order {
    let with_values = args
        .iter()
        .skip(3)
        .any(|a| a.eq_ignore_ascii_case(b"WITHVALUES"));
    match upper_name(args).as_str() {
        "SMEMBERS" | "SINTER" | "SUNION" | "SDIFF" | "HKEYS" | "HVALS" | "KEYS" | "SPOP"
        | "SRANDMEMBER" => Order::Elements,
        "HRANDFIELD" if !with_values => Order::Elements,
        "HGETALL" | "HRANDFIELD" => Order::Pairs,
        "SSCAN" | "SCAN" => Order::Scan { pairs: false },
        "HSCAN" => Order::Scan { pairs: true },
        _ => Order::Exact,
    }
}

/// A reply with its hash-ordered parts sorted.
fn canonical(order: Order, r: &Reply) -> Reply {
    let by_render = |v: &[Reply]| -> Vec<Reply> {
        let mut v = v.to_vec();
        v.sort_by_cached_key(|e| render(e, true));
        v
    };
    match (order, r) {
        (Order::Elements, Reply::Array(v)) => Reply::Array(by_render(v)),
        (Order::Elements, Reply::Set(v)) => Reply::Set(by_render(v)),
        (Order::Pairs, Reply::Map(m)) => {
            let mut m = m.clone();
            m.sort_by_cached_key(|(k, v)| (render(k, true), render(v, true)));
            Reply::Map(m)
        }
        // RESP3 HRANDFIELD WITHVALUES: an array of [field, value] arrays.
        (Order::Pairs, Reply::Array(v)) if v.iter().all(|e| matches!(e, Reply::Array(_))) => {
            Reply::Array(by_render(v))
        }
        (Order::Pairs, Reply::Array(v)) if v.len() % 2 == 0 => {
            let mut pairs: Vec<&[Reply]> = v.chunks(2).collect();
            pairs.sort_by_cached_key(|p| (render(&p[0], true), render(&p[1], true)));
            Reply::Array(pairs.concat())
        }
        (Order::Scan { pairs }, Reply::Array(v)) if v.len() == 2 => {
            let inner = if pairs { Order::Pairs } else { Order::Elements };
            Reply::Array(vec![v[0].clone(), canonical(inner, &v[1])])
        }
        _ => r.clone(),
    }
}

/// The INFO sections generated, and what of them is compared.
const INFO_SECTIONS: &[&str] = &["keyspace", "stats", "commandstats", "errorstats"];

/// The deterministic part of an INFO reply (`None` if it is not text, or
/// not one of `INFO_SECTIONS`), as sorted lines: `keyspace` whole, from
/// `stats` only `keyspace_hits`/`keyspace_misses`, `commandstats` without
/// the times, `errorstats` whole. The counters are per replay: each starts
/// with `CONFIG RESETSTAT` (see `RESET`).
fn info_lines(args: &[Vec<u8>], reply: &Reply) -> Option<Vec<String>> {
    let text = match reply {
        Reply::Bulk(b) | Reply::Verbatim(_, b) => String::from_utf8_lossy(b).into_owned(),
        _ => return None,
    };
    let section = String::from_utf8_lossy(args.get(1)?).to_ascii_lowercase();
    if args.len() != 2 || !INFO_SECTIONS.contains(&section.as_str()) {
        return None;
    }
    let mut lines: Vec<String> = text
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| section != "stats" || l.starts_with("keyspace_"))
        .map(without_times)
        .collect();
    lines.sort();
    Some(lines)
}

/// A commandstats line without its `usec=...,usec_per_call=...,` part.
fn without_times(line: &str) -> String {
    line.split([':', ','])
        .filter(|f| !f.starts_with("usec"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Whether two SORT replies hold the same elements in the same order as C
/// strings (up to their first NUL byte). Redis compares elements as C strings
/// (`strcoll` for ALPHA, `strtod` for scores), so `""` and `"\x00\xff"` tie,
/// and tied elements come in the order of the input, hash order for a set.
fn same_up_to_c_string_ties(expected: &Reply, got: &Reply) -> bool {
    let c_strings = |v: &[Reply]| -> Vec<Vec<u8>> {
        v.iter()
            .map(|e| {
                let b = e.as_bytes().unwrap_or_default();
                b.split(|&c| c == 0).next().unwrap_or_default().to_vec()
            })
            .collect()
    };
    match (expected, got) {
        (Reply::Array(e), Reply::Array(g)) => {
            c_strings(e) == c_strings(g) && sorted(e) == sorted(g)
        }
        _ => false,
    }
}

/// Whether `got` is as good as `expected` (redis-server's reply) for `args`.
fn equivalent(args: &[Vec<u8>], expected: &Reply, got: &Reply) -> bool {
    match upper_name(args).as_str() {
        "HELLO" => {
            return !expected.is_error()
                && std::mem::discriminant(expected) == std::mem::discriminant(got)
        }
        "EXEC" => return expected == got || deep_sorted(expected) == deep_sorted(got),
        "TTL" => {
            return match (expected, got) {
                (Reply::Int(e), Reply::Int(g)) if *e >= 0 && *g >= 0 => (e - g).abs() <= 1,
                _ => expected == got,
            }
        }
        "SORT" | "SORT_RO" => return expected == got || same_up_to_c_string_ties(expected, got),
        "INFO" => {
            return match info_lines(args, expected) {
                Some(lines) => info_lines(args, got) == Some(lines),
                None => same_shape(expected, got),
            }
        }
        _ => {}
    }
    match order_of(args) {
        Order::Exact => expected == got,
        order => canonical(order, expected) == canonical(order, got),
    }
}

/// The expectation line of a repro case: redis-server's reply, with
/// `(unordered)` where `equivalent` ignores the order.
fn expectation(args: &[Vec<u8>], expected: &Reply) -> String {
    if upper_name(args) == "HELLO" {
        return "(any)".into();
    }
    if let ("TTL", Reply::Int(e)) = (upper_name(args).as_str(), expected) {
        if *e >= 0 {
            return format!("(range {} {})", e - 1, e + 1);
        }
    }
    if upper_name(args) == "INFO" {
        let Some(lines) = info_lines(args, expected) else {
            return shape_expectation(expected);
        };
        return format!(
            "(bulk)\n# the lines compared (counted from a CONFIG RESETSTAT before the case): {}",
            lines.join(" ")
        );
    }
    let unordered = |r: &Reply| match r {
        Reply::Array(_) | Reply::Map(_) => format!("(unordered) {}", render(r, true)),
        _ => render(r, true),
    };
    match (order_of(args), expected) {
        (Order::Exact, _) => render(expected, false),
        (Order::Scan { .. }, Reply::Array(v)) if v.len() == 2 => {
            format!("[{},{}]", render(&v[0], true), unordered(&v[1]))
        }
        (_, Reply::Array(_) | Reply::Map(_)) => unordered(expected),
        _ => render(expected, false),
    }
}

const RULES: Rules = Rules {
    equivalent,
    expectation,
    reset: RESET,
    events: true,
};

// ---------------------------------------------------------------------------
// The test

#[test]
fn differential_lists_hashes_sets() {
    let kinds = Kinds::from_env();
    run(RULES, |seed| generate(seed, kinds));
}

// ---------------------------------------------------------------------------
// Unit tests of the generator and the normalisation (no server needed)

#[test]
fn generation_is_deterministic_and_covers_every_command() {
    let (r1, a) = generate(12345, Kinds::ALL);
    let (r2, b) = generate(12345, Kinds::ALL);
    assert_eq!((r1, &a), (r2, &b));
    let (_, c) = generate(12346, Kinds::ALL);
    assert_ne!(a, c);
    assert!((MIN_COMMANDS..=MAX_COMMANDS + 3).contains(&a.len()));
    let mut names = std::collections::BTreeSet::new();
    let mut protocols = std::collections::BTreeSet::new();
    let mut big = false;
    for seed in 0..40 {
        let (resp3, cmds) = generate(seed, Kinds::ALL);
        protocols.insert(resp3);
        for c in cmds {
            names.insert(c.name());
            big |= c.args.len() >= 100;
        }
    }
    assert_eq!(protocols.len(), 2);
    assert!(big, "no command adds 100 elements");
    let every = "LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LINDEX LINSERT LLEN LMOVE LMPOP LPOS LRANGE \
         LREM LSET LTRIM RPOPLPUSH HDEL HEXISTS HGET HGETALL HINCRBY HINCRBYFLOAT HKEYS \
         HLEN HMGET HMSET HSET HSETNX HSTRLEN HVALS HSCAN HRANDFIELD SADD SCARD SDIFF \
         SDIFFSTORE SINTER SINTERSTORE SINTERCARD SISMEMBER SMEMBERS SMISMEMBER SMOVE \
         SREM SUNION SUNIONSTORE SSCAN SPOP SRANDMEMBER OBJECT CONFIG TYPE DEL EXISTS \
         WATCH EXEC MOVE SWAPDB DEBUG SORT EXPIRE PEXPIRE PERSIST TTL";
    for n in every.split_whitespace() {
        assert!(names.contains(n), "{n} never generated");
    }
}

#[test]
fn kinds_restrict_the_commands() {
    let only_sets = Kinds {
        list: false,
        hash: false,
        set: true,
    };
    for seed in 0..10 {
        for c in generate(seed, only_sets).1 {
            let n = c.name();
            assert!(!n.starts_with('L') && !n.starts_with('H'), "{n}");
        }
    }
}

fn args(line: &[&str]) -> Vec<Vec<u8>> {
    line.iter().map(|a| a.as_bytes().to_vec()).collect()
}

fn cmd_args(line: &[&str]) -> Vec<Arg> {
    line.iter().map(lit).collect()
}

#[test]
fn guards_keep_random_commands_deterministic() {
    let probe = |cmd: &str, max: i64, otherwise: Otherwise| {
        Guard::probe(vec![vec![lit(cmd), lit("s0")]], max, otherwise)
    };
    let g = |line: &[&str]| size_guard(&cmd_args(line));
    assert_eq!(g(&["SPOP", "s0"]), probe("SCARD", 1, Otherwise::Skip));
    assert_eq!(g(&["spop", "s0", "5"]), probe("SCARD", 5, Otherwise::Skip));
    assert_eq!(g(&["SPOP", "s0", "-5"]), Guard::None);
    assert_eq!(g(&["SPOP", "s0", "0"]), Guard::None);
    assert_eq!(g(&["SPOP"]), Guard::None);
    let shape = Otherwise::CompareShape;
    assert_eq!(g(&["SRANDMEMBER", "s0", "-5"]), probe("SCARD", 1, shape));
    assert_eq!(g(&["SRANDMEMBER", "s0", "3"]), probe("SCARD", 3, shape));
    assert_eq!(
        g(&["HRANDFIELD", "s0", "3", "WITHVALUES"]),
        probe("HLEN", 3, shape)
    );
    assert_eq!(g(&["HRANDFIELD", "s0", "abc"]), Guard::None);
    assert_eq!(
        g(&["SSCAN", "s0", "0", "COUNT", "1000"]),
        probe("SCARD", SCAN_MAX_SIZE, Otherwise::Skip)
    );
    assert_eq!(g(&["HSCAN", "s0", "0"]), probe("HLEN", 1, Otherwise::Skip));
    assert_eq!(g(&["LRANGE", "s0", "0", "-1"]), Guard::None);
    // Single-key hash-order replies: exact when the encoding keeps an order.
    assert_eq!(
        guard_for(&cmd_args(&["smembers", "s0"])),
        Guard::Strict {
            probe: cmd_args(&["OBJECT", "ENCODING", "s0"]),
            strict: ORDERED_ENCODINGS,
            then: Box::new(Guard::None),
        }
    );
    assert_eq!(
        guard_for(&cmd_args(&["SRANDMEMBER", "s0"])),
        Guard::Strict {
            probe: cmd_args(&["OBJECT", "ENCODING", "s0"]),
            strict: ORDERED_ENCODINGS,
            then: Box::new(probe("SCARD", 1, Otherwise::CompareShape)),
        }
    );
    assert_eq!(
        guard_for(&cmd_args(&["SPOP", "s0"])),
        probe("SCARD", 1, Otherwise::Skip)
    );
    assert_eq!(guard_for(&cmd_args(&["SINTER", "s0"])), Guard::None);
    assert_eq!(guard_for(&cmd_args(&["SMEMBERS"])), Guard::None);
}

#[test]
fn hash_order_is_ignored_where_it_is_hash_order() {
    let ab = Reply::bulks(&["a", "b"]);
    let ba = Reply::bulks(&["b", "a"]);
    assert!(equivalent(&args(&["SMEMBERS", "s"]), &ab, &ba));
    assert!(equivalent(&args(&["hkeys", "h"]), &ab, &ba));
    assert!(!equivalent(&args(&["LRANGE", "l", "0", "-1"]), &ab, &ba));
    assert!(!equivalent(
        &args(&["SMEMBERS", "s"]),
        &ab,
        &Reply::bulks(&["a"])
    ));
    let set = |v: &[&str]| Reply::Set(v.iter().map(Reply::bulk).collect());
    assert!(equivalent(
        &args(&["SINTER", "s"]),
        &set(&["x", "y"]),
        &set(&["y", "x"])
    ));
    assert!(!equivalent(&args(&["SINTER", "s"]), &set(&["x"]), &ab));
    // HGETALL: pairs stay pairs.
    let flat = |v: &[&str]| Reply::bulks(v);
    let hgetall = args(&["HGETALL", "h"]);
    assert!(equivalent(
        &hgetall,
        &flat(&["f", "1", "g", "2"]),
        &flat(&["g", "2", "f", "1"])
    ));
    assert!(!equivalent(
        &hgetall,
        &flat(&["f", "1", "g", "2"]),
        &flat(&["f", "2", "g", "1"])
    ));
    let map = |v: &[(&str, &str)]| {
        Reply::Map(
            v.iter()
                .map(|(k, x)| (Reply::bulk(k), Reply::bulk(x)))
                .collect(),
        )
    };
    assert!(equivalent(
        &hgetall,
        &map(&[("f", "1"), ("g", "2")]),
        &map(&[("g", "2"), ("f", "1")])
    ));
    assert!(!equivalent(
        &hgetall,
        &map(&[("f", "1"), ("g", "2")]),
        &map(&[("f", "2"), ("g", "1")])
    ));
    // HSCAN: the cursor exactly, the items as pairs.
    let scan = |c: &str, items: Reply| Reply::Array(vec![Reply::bulk(c), items]);
    let hscan = args(&["HSCAN", "h", "0", "COUNT", "1000"]);
    assert!(equivalent(
        &hscan,
        &scan("0", flat(&["f", "1", "g", "2"])),
        &scan("0", flat(&["g", "2", "f", "1"]))
    ));
    assert!(!equivalent(
        &hscan,
        &scan("0", flat(&["f", "1"])),
        &scan("5", flat(&["f", "1"]))
    ));
    // RESP3 HRANDFIELD WITHVALUES: nested pairs.
    let pair = |f: &str, v: &str| Reply::Array(vec![Reply::bulk(f), Reply::bulk(v)]);
    let hr = args(&["HRANDFIELD", "h", "5", "WITHVALUES"]);
    assert!(equivalent(
        &hr,
        &Reply::Array(vec![pair("f", "1"), pair("g", "2")]),
        &Reply::Array(vec![pair("g", "2"), pair("f", "1")])
    ));
    // Everything else exactly, errors included.
    // SORT: ties as C strings in any order, nothing else.
    let sort = args(&["SORT", "s", "ALPHA"]);
    let v = |items: &[&[u8]]| Reply::Array(items.iter().map(Reply::bulk).collect());
    assert!(equivalent(
        &sort,
        &v(&[b"", b"\x00\xff", b"a"]),
        &v(&[b"\x00\xff", b"", b"a"])
    ));
    assert!(!equivalent(&sort, &v(&[b"", b"a"]), &v(&[b"a", b""])));
    assert!(!equivalent(&sort, &v(&[b"", b"a"]), &v(&[b"\x00", b"a"])));
    let e = Reply::error("WRONGTYPE Operation against a key holding the wrong kind of value");
    assert!(equivalent(&args(&["SMEMBERS", "s"]), &e, &e.clone()));
    assert!(!equivalent(&args(&["SMEMBERS", "s"]), &e, &ab));
    assert!(!equivalent(
        &args(&["OBJECT", "ENCODING", "s"]),
        &Reply::bulk("intset"),
        &Reply::bulk("hashtable")
    ));
}

#[test]
fn expectations_print_unordered_replies() {
    let ab = Reply::bulks(&["a", "b"]);
    assert_eq!(
        expectation(&args(&["SMEMBERS", "s"]), &ab),
        "(unordered) [\"a\",\"b\"]"
    );
    assert_eq!(
        expectation(&args(&["LRANGE", "l", "0", "-1"]), &ab),
        "[\"a\",\"b\"]"
    );
    let scan = Reply::Array(vec![Reply::bulk("0"), ab.clone()]);
    assert_eq!(
        expectation(&args(&["SSCAN", "s", "0"]), &scan),
        "[\"0\",(unordered) [\"a\",\"b\"]]"
    );
    assert_eq!(expectation(&args(&["HELLO", "3"]), &ab), "(any)");
    assert_eq!(
        expectation(&args(&["SMEMBERS", "s"]), &Reply::error("ERR x")),
        "-ERR x"
    );
}

#[test]
fn info_is_compared_on_its_deterministic_lines() {
    let info = |text: &str| Reply::bulk(text.replace('\n', "\r\n"));
    let stats = args(&["INFO", "stats"]);
    let a = info("# Stats\nuptime:5\nkeyspace_hits:3\nkeyspace_misses:1\n");
    let b = info("# Stats\nuptime:9\nkeyspace_misses:1\nkeyspace_hits:3\n");
    let c = info("# Stats\nuptime:5\nkeyspace_hits:2\nkeyspace_misses:1\n");
    assert!(equivalent(&stats, &a, &b));
    assert!(!equivalent(&stats, &a, &c));
    let cmdstats = args(&["info", "COMMANDSTATS"]);
    let a = info("cmdstat_get:calls=1,usec=5,usec_per_call=5.00,rejected_calls=0,failed_calls=1\ncmdstat_set:calls=2,usec=1,usec_per_call=0.50,rejected_calls=0,failed_calls=0\n");
    let b = info("cmdstat_set:calls=2,usec=9,usec_per_call=4.50,rejected_calls=0,failed_calls=0\ncmdstat_get:calls=1,usec=7,usec_per_call=7.00,rejected_calls=0,failed_calls=1\n");
    let c = info("cmdstat_set:calls=2,usec=9,usec_per_call=4.50,rejected_calls=0,failed_calls=0\ncmdstat_get:calls=1,usec=7,usec_per_call=7.00,rejected_calls=0,failed_calls=0\n");
    assert!(equivalent(&cmdstats, &a, &b));
    assert!(!equivalent(&cmdstats, &a, &c));
    // Whole INFO, or several sections: only the kind of reply.
    assert!(equivalent(&args(&["INFO"]), &a, &c));
    assert!(!equivalent(&args(&["INFO"]), &a, &Reply::Int(1)));
    assert!(expectation(&stats, &info("keyspace_hits:3\n")).starts_with("(bulk)\n# "));
}

#[test]
fn exec_replies_may_differ_in_order_only() {
    let exec = args(&["EXEC"]);
    let e = Reply::Array(vec![Reply::Int(2), Reply::bulks(&["a", "b"])]);
    let g = Reply::Array(vec![Reply::Int(2), Reply::bulks(&["b", "a"])]);
    assert!(equivalent(&exec, &e, &g));
    let g = Reply::Array(vec![Reply::Int(3), Reply::bulks(&["b", "a"])]);
    assert!(!equivalent(&exec, &e, &g));
    assert!(!equivalent(&exec, &Reply::NilArray, &Reply::Array(vec![])));
}
