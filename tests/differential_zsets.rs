//! Differential test of sorted sets and SORT: random command sequences sent to
//! ferrodis and to a real redis-server side by side, every reply compared.
//!
//! Each run generates, from a seed, 100 to 300 commands: every non-blocking
//! sorted set command (ZADD with NX/XX/GT/LT/CH/INCR, ZINCRBY, ZSCORE,
//! ZMSCORE, ZRANK, ZREVRANK, ZRANGE with BYSCORE/BYLEX/REV/LIMIT/WITHSCORES,
//! ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX, ZREVRANGE,
//! ZRANGESTORE, ZCOUNT, ZLEXCOUNT, ZREM, ZREMRANGEBYRANK/SCORE/LEX,
//! ZPOPMIN/ZPOPMAX, ZMPOP, ZUNION/ZINTER/ZDIFF and their STORE forms with
//! WEIGHTS and AGGREGATE, ZINTERCARD, ZCARD, ZSCAN, ZRANDMEMBER), SORT and
//! SORT_RO on lists, sets and sorted sets (BY weight keys, BY hash fields, BY
//! nosort, LIMIT, GET `#` and patterns, ALPHA, DESC, STORE), and the commands
//! making their inputs: SADD (plain sets as ZUNION/ZINTER/ZDIFF inputs), RPUSH,
//! SET of weight keys `w_<member>` and HSET of hashes `hw_<member>`, plus a few
//! generic ones (OBJECT ENCODING, DEBUG DIGEST-VALUE, DEL, EXISTS, TYPE, COPY,
//! RENAME, DBSIZE) and CONFIG SET of `zset-max-listpack-entries` /
//! `zset-max-listpack-value` to small values (at the start of some runs, and
//! now and then mid-run), so listpack/skiplist conversions happen in both
//! directions of the thresholds. A few commands run under `WATCH` of their
//! arguments followed by an empty `MULTI`/`EXEC` (did they touch their keys?).
//!
//! Scores are full of edge cases: `inf`, `-inf`, `+inf`, `-0`, `1e300`,
//! `0.1`, 2^53+1, denormals, out-of-range (`1e400`), `nan`, empty, hex and
//! malformed numbers; ZINCRBY of `inf` then `-inf` produces NaN. Range bounds
//! mix inclusive, exclusive (`(1`) and malformed ones; lex bounds `[a`, `(b`,
//! `+`, `-` and malformed ones. Members tie on score often (few distinct
//! scores), include numbers, empty and binary strings and long ones around
//! `zset-max-listpack-value` (64); now and then one ZADD adds 100 members,
//! crossing `zset-max-listpack-entries` (128).
//!
//! Nondeterminism, handled honestly (nothing else is loosened):
//! - ZSCAN is sent with cursor 0 (or an invalid one) and COUNT 1000 to sorted
//!   sets of at most `SCAN_MAX_SIZE` members (ZCARD probe), so both servers
//!   answer in one call; its member/score pairs are compared as a multiset,
//!   exactly when `OBJECT ENCODING` (sent first, compared) says `listpack`;
//! - ZRANDMEMBER only in deterministic forms (a ZCARD probe first): a count
//!   of 0, a positive count at least the size (Redis then replies the whole
//!   set, in reverse rank order: compared exactly), no count or a negative
//!   count on a set of at most one member; any other form is not sent;
//! - SORT of a set with a BY pattern without `*` (nosort) and without STORE
//!   replies in hash order: compared as a multiset, exactly when the set is an
//!   intset; with LIMIT only by length. SORT ALPHA with a BY pattern leaves
//!   ties (equal or missing BY values) in an unspecified order: compared as a
//!   multiset, with LIMIT only by length. Numeric SORT breaks ties by the
//!   elements, so it is compared exactly;
//! - lex ranges (ZRANGEBYLEX, ZLEXCOUNT, ZRANGE BYLEX, ...) of a sorted set
//!   whose scores differ are unspecified in Redis, and in a skiplist depend
//!   on its nodes' random levels. The lex commands mostly use the key `zl`,
//!   whose scores are all 0 (see `LEX_KEY`); the reads on other keys are
//!   compared exactly when `OBJECT ENCODING` says `listpack`, else by kind;
//!   ZREMRANGEBYLEX and ZRANGESTORE BYLEX only touch `zl`;
//! - every SORT is preceded by `ZADD nokey XX 0 m`, which clears a stale
//!   `errno` in redis-server (see `errno_reset`);
//! - the HELLO reply is compared only by its type; an EXEC reply (of the empty
//!   transactions after WATCH, or of commands a shrunk sequence queued) is
//!   compared with its aggregates sorted when it differs as sent.
//!
//! Known differences of ferrodis (`KNOWN`) are left out of the sequences
//! unless `DIFF_KNOWN=1`, so the test passes until they are fixed.
//!
//! On the first mismatch the sequence is shrunk and printed as a case in the
//! format of `redis-compat-tests/FORMAT.md` (the harness is
//! `tests/support/differential.rs`). Environment: as `tests/differential.rs`
//! (`DIFF_SECS`, `DIFF_SEED`, `DIFF_AGAINST=redis`, `DIFF_FERRODIS`,
//! `DIFF_KNOWN=1` (generate the forms of `KNOWN` too),
//! `DIFF_TRACE`, `DIFF_SHRINK_SECS`, `DIFF_KEEP_GOING`, `DIFF_EXCLUDE`,
//! `REQUIRE_REDIS`).

mod support;

use support::differential::{
    deep_sorted, lit, run, shape_expectation, upper_name, Arg, Cmd, Guard, Otherwise, Rng, Rules,
};
use support::resp::render;
use support::Reply;

/// Commands per generated sequence: between these bounds.
const MIN_COMMANDS: usize = 100;
const MAX_COMMANDS: usize = 300;

/// ZSCAN with COUNT 1000 is sent only to sorted sets this small (Redis stops
/// a scan call once it has collected COUNT items, two per member).
const SCAN_MAX_SIZE: i64 = 400;

/// The settings a run may change, with their defaults in redis-server 7.0.15
/// (sent at the start of every replay).
const RESET: &[&[&str]] = &[
    &["CONFIG", "SET", "zset-max-listpack-entries", "128"],
    &["CONFIG", "SET", "zset-max-listpack-value", "64"],
    &["CONFIG", "SET", "set-max-intset-entries", "512"],
];

/// Small values of the settings, to cross conversions early.
const SMALL_SETTINGS: &[(&str, &[&str])] = &[
    (
        "zset-max-listpack-entries",
        &["0", "1", "2", "3", "4", "8", "16"],
    ),
    ("zset-max-listpack-value", &["0", "1", "2", "3", "8", "16"]),
    ("set-max-intset-entries", &["1", "2", "4"]),
];

// ---------------------------------------------------------------------------
// What the commands are made of

const ZSET_KEYS: &[&str] = &["z0", "z1", "z2"];
/// Destinations of the STORE forms: mostly `zd`, sometimes a source.
const DEST_KEYS: &[&str] = &["zd", "zd", "zd", "z0", "z1", "s2"];
/// `s0` holds small integers (an intset), `s1` anything.
/// `s2` is written by SADD too, but may become a sorted set (a STORE
/// destination, or a sorted set command's key now and then).
const SET_KEYS: &[&str] = &["s0", "s1", "s2"];
/// The sorted set of the lex commands that write (ZREMRANGEBYLEX, and
/// ZRANGESTORE BYLEX as a source): all its scores are 0. Lex ranges of a
/// sorted set with mixed scores are unspecified in Redis, and in a skiplist
/// depend on its random levels (two redis-servers disagree). Nothing may
/// give it another score: it is never a destination, ZADD and ZINCRBY on it
/// use only 0, and it is not in `ALL_KEYS`.
const LEX_KEY: &str = "zl";
/// Keys COPY and RENAME write (never a set key, nor the lex key).
const MOVE_DESTS: &[&str] = &["z0", "z1", "z2", "zd"];
const LIST_KEY: &str = "l0";
/// Keys of any type (or none) that sorted set commands get now and then
/// (WRONGTYPE paths, or writes creating a sorted set there). Not `l0` and
/// `s0`, so they never hold a sorted set: see `KNOWN`.
const ALL_KEYS: &[&str] = &["z0", "z1", "z2", "zd", "s2", "x", "sd"];
/// The SORT inputs that are never sorted sets.
const SORT_PLAIN_KEYS: &[&str] = &["l0", "s0", "s1"];

/// Members of sorted sets (and elements of the SORT inputs).
const MEMBERS: &[&[u8]] = &[
    b"a",
    b"b",
    b"c",
    b"d",
    b"e",
    b"foo",
    b"bar",
    b"",
    b"0",
    b"1",
    b"2",
    b"10",
    b"-1",
    b"1.5",
    b"01",
    b" 1",
    b"abc",
    b"A",
    // A NUL inside, but not first: ALPHA compares with strcoll, which stops at
    // the NUL, so "\x00..." would tie with "" (in an unspecified order).
    b"\xff\x00z",
    b"caf\xc3\xa9",
];

/// Lengths of long members: around the 64-byte `zset-max-listpack-value`.
const LONG_LENGTHS: &[usize] = &[63, 64, 65, 200];

/// Scores: few distinct common ones (so members tie), and edge cases.
const SCORES: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "-1",
    "1.5",
    "0.1",
    "-0",
    "+0",
    "inf",
    "-inf",
    "+inf",
    "INF",
    "Infinity",
    "1e300",
    "-1e300",
    "1.7976931348623157e308",
    "1e400",
    "4.9e-324",
    "1e-320",
    "9007199254740993",
    "nan",
    "",
    " 1",
    "1 ",
    "0x10",
    "abc",
    "1e",
    "3.0",
    "-5",
];

/// Score range bounds (min/max of ZRANGEBYSCORE, ZCOUNT, ...).
const SCORE_BOUNDS: &[&str] = &[
    "-inf", "+inf", "inf", "(-inf", "(+inf", "0", "(0", "1", "(1", "2", "(2", "-1", "(-1", "1.5",
    "(1.5", "3", "(3", "0.1", "-0", "(-0", "1e300", "((1", "(", "abc", "nan", "(nan", "", "[1",
];

/// Lex range bounds.
const LEX_BOUNDS: &[&str] = &[
    "-", "+", "[a", "(a", "[b", "(b", "[c", "(c", "[foo", "(foo", "[", "(", "[0", "(1", "[\u{7f}",
    "[\u{e9}", "a", "", "+a", "-a", "[A",
];

/// Rank indexes (ZRANGE, ZREVRANGE, ZREMRANGEBYRANK).
const INDEXES: &[&str] = &[
    "0",
    "-1",
    "1",
    "-2",
    "100",
    "-100",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "abc",
    "1.5",
    "",
];

/// Counts (ZPOPMIN/MAX, ZMPOP COUNT, LIMIT count, ZINTERCARD LIMIT).
const COUNTS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "5",
    "100",
    "-1",
    "-3",
    "9223372036854775807",
    "-9223372036854775808",
    "abc",
    "1.5",
    "",
];

/// Weights of ZUNION/ZINTER/ZDIFF.
const WEIGHTS: &[&str] = &[
    "1", "1", "2", "0", "-1", "0.5", "inf", "-inf", "-0", "1e308", "nan", "abc", "",
];

/// Values of the SORT weight keys and hash fields.
const WEIGHT_VALUES: &[&str] = &[
    "0", "1", "2", "3", "-1", "1.5", "10", "inf", "-inf", "b", "a", "", "nan", " 2", "0x3",
];

/// BY patterns of SORT (no `*`: no sorting).
const BY_PATTERNS: &[&str] = &[
    "w_*", "w_*", "hw_*->f", "hw_*->g", "nosort", "nosort", "nokey_*", "w_*->f", "hw_*", "*",
    "constant",
];

/// GET patterns of SORT.
const GET_PATTERNS: &[&str] = &[
    "#", "#", "w_*", "hw_*->f", "hw_*->g", "nokey_*", "hw_*->", "*", "w_*->f", "hw_*",
];

const PATTERNS: &[&str] = &["*", "a*", "?", "*o*", "[ab]", "e1*", "[^a]*", "\\*"];

/// Stray arguments appended now and then.
const JUNK: &[&str] = &["foo", "0", "-1", "WITHSCORES", "LIMIT", "REV", "COUNT", ""];

/// Known differences of ferrodis from redis-server 7.0.15 found by this test
/// (see the lead's issues), whose forms the generator leaves out unless
/// `DIFF_KNOWN=1` (then it generates them, to check a fix). Drop an entry
/// (and its `self.known` branch) once fixed.
pub const KNOWN: &[&str] = &[
    // Redis converts a listpack sorted set to a skiplist when SORT or SORT_RO
    // reads it (even BY nosort, even if the sort then fails); ferrodis now
    // does too (sort.txt checks it), but SORT on keys that may hold a sorted
    // set stays left out here (only `SORT_PLAIN_KEYS` are sorted) until the
    // generator handles what that brings out, two effects: the skiplist keeps a score of -0 that a
    // listpack stores as 0 (ZPOPMAX then replies "-0"), and converting a
    // listpack whose scores include a denormal (`4.9e-324`) leaves errno at
    // ERANGE in redis-server, so that numeric SORT fails with "One or more
    // scores can't be converted into double" (see `errno_reset`): a Redis
    // bug; the generator will then have to keep denormals out of sorted sets
    // that SORT reads.
    "SORT/SORT_RO of a listpack sorted set converts it to a skiplist",
    // A lex range of a listpack with mixed scores: Redis first checks the
    // first member against max and the last against min (else nothing);
    // ferrodis does not (e.g. `ZADD z 0 m10 1 -1 inf 1.5`, `ZRANGEBYLEX z (b
    // [m3`: [] vs [m10,-1,1.5]). Unspecified by Redis's docs, but
    // deterministic. Left out: lex reads of keys with mixed scores.
    "lex ranges of listpacks with mixed scores",
];

// ---------------------------------------------------------------------------
// The generator

struct Gen {
    rng: Rng,
    /// Leave out the forms of `KNOWN` (unless `DIFF_KNOWN=1`).
    known: bool,
}

impl Gen {
    fn pick(&mut self, items: &[&str]) -> Arg {
        lit(self.rng.pick(items))
    }

    /// A sorted set key, sometimes any key (another type, or none).
    fn zkey(&mut self) -> Arg {
        if self.rng.chance(90) {
            self.pick(ZSET_KEYS)
        } else {
            self.pick(ALL_KEYS)
        }
    }

    /// Any sorted set key, the lex key included (for commands that keep
    /// the lex key's scores equal, or read).
    fn any_zkey(&mut self) -> Arg {
        if self.rng.chance(20) {
            lit(LEX_KEY)
        } else {
            self.zkey()
        }
    }

    /// The key of a lex range command that only reads.
    fn lex_key(&mut self) -> Arg {
        if self.known || self.rng.chance(50) {
            lit(LEX_KEY)
        } else {
            self.zkey()
        }
    }

    /// The key of ZREMRANGEBYLEX: the lex key, or one that is never a
    /// sorted set (no mixed scores).
    fn lex_mut_key(&mut self) -> Arg {
        if self.rng.chance(90) {
            lit(LEX_KEY)
        } else {
            self.pick(&["s0", "l0", "nokey"])
        }
    }

    /// The source of COPY/RENAME: a sorted set key, or a key of another type
    /// that is not a set (SORT takes keys named `s*` for sets, see
    /// `sort_kind`).
    fn move_source(&mut self) -> Arg {
        if self.rng.chance(90) {
            self.pick(MOVE_DESTS)
        } else {
            self.pick(&["x", "l0", "sd", "nokey"])
        }
    }

    /// A score for the lex key: always 0 (or an invalid one).
    fn lex_score(&mut self) -> Arg {
        self.pick(&["0", "0", "0", "0", "0", "0", "0", "0", "0", "abc"])
    }

    /// An input of ZUNION/ZINTER/ZDIFF/ZINTERCARD: also plain sets.
    fn input_key(&mut self) -> Arg {
        match self.rng.below(10) {
            0 | 1 => self.pick(SET_KEYS),
            2 => self.pick(ALL_KEYS),
            3 => lit(LEX_KEY),
            _ => self.pick(ZSET_KEYS),
        }
    }

    fn dest(&mut self) -> Arg {
        if self.rng.chance(95) {
            self.pick(DEST_KEYS)
        } else {
            self.pick(ALL_KEYS)
        }
    }

    fn member(&mut self) -> Arg {
        match self.rng.below(20) {
            0 => {
                let len = *self.rng.pick(LONG_LENGTHS);
                let c = *self.rng.pick(b"mn");
                lit(vec![c; len])
            }
            1..=5 => lit(format!("m{}", self.rng.below(12))),
            _ => lit(self.rng.pick(MEMBERS)),
        }
    }

    fn members(&mut self, max: usize) -> Vec<Arg> {
        let n = 1 + self.rng.below(max);
        (0..n).map(|_| self.member()).collect()
    }

    fn score(&mut self) -> Arg {
        if self.rng.chance(60) {
            lit(self.rng.below(6).to_string())
        } else {
            self.pick(SCORES)
        }
    }

    fn score_bound(&mut self) -> Arg {
        if self.rng.chance(30) {
            let n = self.rng.below(6);
            lit(if self.rng.chance(50) {
                format!("({n}")
            } else {
                n.to_string()
            })
        } else {
            self.pick(SCORE_BOUNDS)
        }
    }

    fn lex_bound(&mut self) -> Arg {
        if self.rng.chance(25) {
            let m = self.rng.below(12);
            lit(format!("{}m{m}", self.rng.pick(&["[", "("])))
        } else {
            self.pick(LEX_BOUNDS)
        }
    }

    fn index(&mut self) -> Arg {
        if self.rng.chance(70) {
            lit((self.rng.below(13) as i64 - 6).to_string())
        } else {
            self.pick(INDEXES)
        }
    }

    fn count(&mut self) -> Arg {
        if self.rng.chance(50) {
            lit(self.rng.below(6).to_string())
        } else {
            self.pick(COUNTS)
        }
    }

    fn limit(&mut self, a: &mut Vec<Arg>) {
        let offset = if self.rng.chance(80) {
            lit(self.rng.below(4).to_string())
        } else {
            self.pick(&["-1", "abc", "9223372036854775807", "-9223372036854775808"])
        };
        a.extend([
            self.pick(&["LIMIT", "LIMIT", "limit"]),
            offset,
            self.count(),
        ]);
    }

    fn withscores(&mut self, a: &mut Vec<Arg>, percent: u64) {
        if self.rng.chance(percent) {
            a.push(self.pick(&["WITHSCORES", "WITHSCORES", "withscores"]));
        }
    }

    /// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member ...`, flags in
    /// any order (and sometimes conflicting), pairs sometimes odd.
    fn zadd(&mut self, a: &mut Vec<Arg>) {
        let key = self.any_zkey();
        let lex = key == lit(LEX_KEY);
        a.extend([lit("ZADD"), key]);
        let mut flags: Vec<Arg> = Vec::new();
        for (flag, percent) in [
            ("NX", 12),
            ("XX", 12),
            ("GT", 12),
            ("LT", 10),
            ("CH", 20),
            ("INCR", 12),
        ] {
            if self.rng.chance(percent) {
                flags.push(lit(if self.rng.chance(20) {
                    flag.to_ascii_lowercase()
                } else {
                    flag.to_string()
                }));
            }
        }
        if flags.len() > 1 && self.rng.chance(30) {
            flags.reverse();
        }
        a.extend(flags);
        if self.rng.chance(5) {
            // 100 members of one score range: crosses the entries threshold.
            let base = self.rng.below(10) * 40;
            for i in base..base + 100 {
                let score = if lex { 0 } else { i % 7 };
                a.extend([lit(score.to_string()), lit(format!("e{i}"))]);
            }
            return;
        }
        for _ in 0..1 + self.rng.below(3) {
            let score = if lex { self.lex_score() } else { self.score() };
            a.extend([score, self.member()]);
        }
        if self.rng.chance(5) {
            // An odd count (or a score for a stray member, below).
            let score = if lex { self.lex_score() } else { self.score() };
            a.push(score);
        }
    }

    /// `ZRANGE key min max [BYSCORE|BYLEX] [REV] [LIMIT o c] [WITHSCORES]`,
    /// or ZRANGESTORE with a destination first.
    fn zrange(&mut self, store: bool, a: &mut Vec<Arg>) {
        let by = self.rng.below(3);
        // Usually the BY matching the bounds, sometimes another.
        let by_opt = if self.rng.chance(85) {
            by
        } else {
            self.rng.below(3)
        };
        let src = match (by_opt, store) {
            (2, true) => lit(LEX_KEY),
            (2, false) => self.lex_key(),
            _ => self.any_zkey(),
        };
        if store {
            a.extend([lit("ZRANGESTORE"), self.dest(), src]);
        } else {
            a.extend([lit("ZRANGE"), src]);
        }
        match by {
            0 => a.extend([self.index(), self.index()]),
            1 => a.extend([self.score_bound(), self.score_bound()]),
            _ => a.extend([self.lex_bound(), self.lex_bound()]),
        }
        let mut opts: Vec<Vec<Arg>> = Vec::new();
        let by = by_opt;
        match by {
            1 => opts.push(vec![self.pick(&["BYSCORE", "byscore"])]),
            2 => opts.push(vec![self.pick(&["BYLEX", "bylex"])]),
            _ => {}
        }
        if self.rng.chance(35) {
            opts.push(vec![self.pick(&["REV", "rev"])]);
        }
        let limit_ok = true;
        let mut limit = false;
        if limit_ok && self.rng.chance(if by == 0 { 8 } else { 40 }) {
            let mut l = Vec::new();
            self.limit(&mut l);
            opts.push(l);
            limit = true;
        }
        if !store {
            let mut w = Vec::new();
            self.withscores(&mut w, 40);
            opts.extend(Some(w).filter(|w| !w.is_empty()));
        }
        // Options in another order; not LIMIT before BY* if avoiding
        // `KNOWN` (a truncation could then drop the BY*).
        if opts.len() > 1 && self.rng.chance(20) && !(self.known && limit) {
            opts.swap(0, 1);
        }
        a.extend(opts.into_iter().flatten());
    }

    /// ZRANGEBYSCORE and ZREVRANGEBYSCORE, ZRANGEBYLEX and ZREVRANGEBYLEX.
    fn range_by(&mut self, a: &mut Vec<Arg>) {
        let lex = self.rng.chance(40);
        let rev = self.rng.chance(40);
        let name = match (lex, rev) {
            (false, false) => "ZRANGEBYSCORE",
            (false, true) => "ZREVRANGEBYSCORE",
            (true, false) => "ZRANGEBYLEX",
            (true, true) => "ZREVRANGEBYLEX",
        };
        let key = if lex { self.lex_key() } else { self.any_zkey() };
        a.extend([lit(name), key]);
        if lex {
            a.extend([self.lex_bound(), self.lex_bound()]);
        } else {
            a.extend([self.score_bound(), self.score_bound()]);
        }
        let with = !lex && self.rng.chance(40);
        let limit = self.rng.chance(40);
        let first_with = self.rng.chance(50);
        if with && first_with {
            self.withscores(a, 100);
        }
        if limit {
            self.limit(a);
        }
        if with && !first_with {
            self.withscores(a, 100);
        }
        if lex && self.rng.chance(3) {
            a.push(lit("WITHSCORES"));
        }
    }

    /// ZUNION/ZINTER/ZDIFF and their STORE forms, ZINTERCARD.
    fn set_op(&mut self, a: &mut Vec<Arg>) {
        let name = *self.rng.pick(&[
            "ZUNION",
            "ZINTER",
            "ZDIFF",
            "ZUNIONSTORE",
            "ZINTERSTORE",
            "ZDIFFSTORE",
            "ZINTERCARD",
        ]);
        a.push(lit(name));
        let store = name.ends_with("STORE");
        if store {
            a.push(self.dest());
        }
        let n = 1 + self.rng.below(3);
        let numkeys = match self.rng.below(12) {
            0 => self.pick(&["0", "-1", "abc", "9223372036854775807", ""]),
            1 => lit((n + 1).to_string()),
            2 if n > 1 => lit((n - 1).to_string()),
            _ => lit(n.to_string()),
        };
        a.push(numkeys);
        for _ in 0..n {
            a.push(self.input_key());
        }
        if name == "ZINTERCARD" {
            if self.rng.chance(50) {
                a.extend([lit("LIMIT"), self.count()]);
            }
            return;
        }
        if name != "ZDIFF" && name != "ZDIFFSTORE" || self.rng.chance(5) {
            if self.rng.chance(40) {
                a.push(self.pick(&["WEIGHTS", "weights"]));
                let w = if self.rng.chance(85) {
                    n
                } else {
                    n + 1 - self.rng.below(2) * 2.min(n)
                };
                for _ in 0..w {
                    a.push(self.pick(WEIGHTS));
                }
            }
            if self.rng.chance(40) {
                a.extend([
                    self.pick(&["AGGREGATE", "aggregate"]),
                    self.pick(&["SUM", "MIN", "MAX", "max", "AVG"]),
                ]);
            }
        }
        if !store {
            self.withscores(a, 50);
        }
    }

    /// ZMPOP numkeys key... MIN|MAX [COUNT c].
    fn zmpop(&mut self, a: &mut Vec<Arg>) {
        let n = 1 + self.rng.below(3);
        let numkeys = match self.rng.below(10) {
            0 => self.pick(&["0", "-1", "abc", "9223372036854775807"]),
            1 => lit((n + 1).to_string()),
            _ => lit(n.to_string()),
        };
        a.extend([lit("ZMPOP"), numkeys]);
        for _ in 0..n {
            a.push(self.any_zkey());
        }
        a.push(self.pick(&["MIN", "MAX", "min", "max", "MID"]));
        if self.rng.chance(50) {
            a.extend([
                self.pick(&["COUNT", "count", "COUNT", "LIMIT"]),
                self.count(),
            ]);
        }
        if self.rng.chance(5) {
            a.extend([lit("COUNT"), lit("1")]);
        }
    }

    /// ZSCAN from cursor 0 (or an invalid cursor), COUNT 1000.
    fn zscan(&mut self, a: &mut Vec<Arg>) {
        let cursor = self.pick(&["0", "0", "0", "0", "0", "abc", "", "18446744073709551616"]);
        a.extend([lit("ZSCAN"), self.any_zkey(), cursor]);
        if self.rng.chance(40) {
            a.extend([lit("MATCH"), self.pick(PATTERNS)]);
        }
        a.extend([lit("COUNT"), lit("1000")]);
        if self.rng.chance(5) {
            a.extend([lit("COUNT"), self.pick(&["0", "-1", "abc"])]);
        }
    }

    /// ZRANDMEMBER (the guard sends only deterministic forms).
    fn zrandmember(&mut self, a: &mut Vec<Arg>) {
        a.extend([lit("ZRANDMEMBER"), self.any_zkey()]);
        if self.rng.chance(80) {
            let counts: &[&str] = &[
                "0", "1", "2", "5", "100", "1000", "-1", "-2", "-5", "abc", "1.5",
            ];
            let count = self.pick(counts);
            let bad = int_arg(&count).is_none();
            a.push(count);
            if self.rng.chance(50) && !(self.known && bad) {
                a.push(self.pick(&["WITHSCORES", "withscores", "WITHVALUES"]));
            }
        }
    }

    /// The sorted set commands.
    fn zset_command(&mut self, a: &mut Vec<Arg>) {
        match self.rng.below(40) {
            0..=6 => self.zadd(a),
            7 => {
                let key = self.any_zkey();
                let incr = if key == lit(LEX_KEY) {
                    self.lex_score()
                } else {
                    self.score()
                };
                a.extend([lit("ZINCRBY"), key, incr, self.member()]);
            }
            8 => a.extend([lit("ZSCORE"), self.any_zkey(), self.member()]),
            9 => {
                a.extend([lit("ZMSCORE"), self.any_zkey()]);
                a.extend(self.members(4));
            }
            10 => {
                let name = self.pick(&["ZRANK", "ZREVRANK"]);
                a.extend([name, self.any_zkey(), self.member()]);
            }
            11..=13 => self.zrange(false, a),
            14 => self.zrange(true, a),
            15 | 16 => self.range_by(a),
            17 => {
                a.extend([
                    lit("ZREVRANGE"),
                    self.any_zkey(),
                    self.index(),
                    self.index(),
                ]);
                self.withscores(a, 40);
            }
            18 => a.extend([
                lit("ZCOUNT"),
                self.any_zkey(),
                self.score_bound(),
                self.score_bound(),
            ]),
            19 => a.extend([
                lit("ZLEXCOUNT"),
                self.lex_key(),
                self.lex_bound(),
                self.lex_bound(),
            ]),
            20 | 21 => {
                a.extend([lit("ZREM"), self.any_zkey()]);
                a.extend(self.members(4));
            }
            22 => a.extend([
                lit("ZREMRANGEBYRANK"),
                self.any_zkey(),
                self.index(),
                self.index(),
            ]),
            23 => a.extend([
                lit("ZREMRANGEBYSCORE"),
                self.any_zkey(),
                self.score_bound(),
                self.score_bound(),
            ]),
            24 => a.extend([
                lit("ZREMRANGEBYLEX"),
                self.lex_mut_key(),
                self.lex_bound(),
                self.lex_bound(),
            ]),
            25 | 26 => {
                a.extend([self.pick(&["ZPOPMIN", "ZPOPMAX"]), self.any_zkey()]);
                if self.rng.chance(60) {
                    a.push(self.count());
                }
            }
            27 => self.zmpop(a),
            28..=31 => self.set_op(a),
            32 | 33 => a.extend([lit("ZCARD"), self.any_zkey()]),
            34 | 35 => self.zscan(a),
            36 => self.zrandmember(a),
            _ => a.extend([lit("ZINCRBY"), self.zkey(), self.score(), self.member()]),
        }
    }

    /// SORT / SORT_RO key [BY p] [LIMIT o c] [GET p ...] [ASC|DESC] [ALPHA]
    /// [STORE dst].
    fn sort(&mut self, a: &mut Vec<Arg>) {
        let ro = self.rng.chance(25);
        a.push(lit(if ro { "SORT_RO" } else { "SORT" }));
        let key = match self.rng.below(10) {
            _ if self.known => self.pick(SORT_PLAIN_KEYS),
            0..=2 => lit(LIST_KEY),
            3..=5 => self.pick(SET_KEYS),
            6..=8 => self.any_zkey(),
            _ => self.pick(ALL_KEYS),
        };
        a.push(key);
        let mut opts: Vec<Vec<Arg>> = Vec::new();
        if self.rng.chance(55) {
            opts.push(vec![lit("BY"), self.pick(BY_PATTERNS)]);
        }
        if self.rng.chance(30) {
            let mut l = Vec::new();
            self.limit(&mut l);
            opts.push(l);
        }
        for _ in 0..self.rng.below(4).saturating_sub(1) {
            opts.push(vec![
                self.pick(&["GET", "GET", "get"]),
                self.pick(GET_PATTERNS),
            ]);
        }
        if self.rng.chance(35) {
            opts.push(vec![self.pick(&["DESC", "ASC", "desc"])]);
        }
        if self.rng.chance(40) {
            opts.push(vec![self.pick(&["ALPHA", "alpha"])]);
        }
        if self.rng.chance(if ro { 5 } else { 25 }) {
            let dst = self.pick(&["sd", "sd", "sd", "l0", "z2"]);
            opts.push(vec![lit("STORE"), dst]);
        }
        if opts.len() > 1 && self.rng.chance(25) {
            let i = self.rng.below(opts.len());
            opts.swap(0, i);
        }
        a.extend(opts.into_iter().flatten());
    }

    /// The inputs of SORT and of the set operations, weight keys and hashes.
    fn input_command(&mut self, a: &mut Vec<Arg>) {
        match self.rng.below(12) {
            0..=2 => {
                let key = self.pick(SET_KEYS);
                a.extend([lit("SADD"), key.clone()]);
                for _ in 0..1 + self.rng.below(4) {
                    if key == lit("s0") && self.rng.chance(90) {
                        a.push(lit((self.rng.below(12) as i64 - 2).to_string()));
                    } else {
                        a.push(self.member());
                    }
                }
            }
            3 => {
                a.extend([lit("SREM"), self.pick(SET_KEYS)]);
                a.extend(self.members(3));
            }
            4 | 5 => {
                a.extend([self.pick(&["RPUSH", "LPUSH"]), lit(LIST_KEY)]);
                a.extend(self.members(4));
            }
            6 => a.extend([lit("LPOP"), lit(LIST_KEY)]),
            7..=9 => {
                let m = self.member_name();
                a.extend([lit("SET"), lit([b"w_".as_slice(), &m].concat())]);
                a.push(self.pick(WEIGHT_VALUES));
            }
            _ => {
                let m = self.member_name();
                a.extend([lit("HSET"), lit([b"hw_".as_slice(), &m].concat())]);
                for _ in 0..1 + self.rng.below(2) {
                    a.extend([self.pick(&["f", "g", "f"]), self.pick(WEIGHT_VALUES)]);
                }
            }
        }
    }

    /// A short member, as the name part of a weight key.
    fn member_name(&mut self) -> Vec<u8> {
        match self.member() {
            Arg::Lit(m) if m.len() < 20 => m,
            _ => b"a".to_vec(),
        }
    }

    /// Generic commands on the same keys, and setting changes.
    fn other_command(&mut self, a: &mut Vec<Arg>) {
        match self.rng.below(14) {
            0..=3 => a.extend([lit("OBJECT"), lit("ENCODING"), self.any_zkey()]),
            4 | 5 => a.extend([lit("DEBUG"), lit("DIGEST-VALUE"), self.any_zkey()]),
            6 => {
                a.push(self.pick(&["DEL", "DEL", "UNLINK"]));
                if self.rng.chance(15) {
                    a.push(lit(LEX_KEY));
                } else {
                    a.push(self.pick(&["z0", "s0", "l0", "x", "sd"]));
                }
            }
            7 => a.extend([lit("EXISTS"), self.pick(ALL_KEYS), self.pick(ALL_KEYS)]),
            8 => a.extend([lit("TYPE"), self.pick(ALL_KEYS)]),
            9 => {
                a.extend([lit("COPY"), self.move_source(), self.pick(MOVE_DESTS)]);
                if self.rng.chance(50) {
                    a.push(lit("REPLACE"));
                }
            }
            10 => a.extend([
                self.pick(&["RENAME", "RENAMENX"]),
                self.move_source(),
                self.pick(MOVE_DESTS),
            ]),
            11 => a.push(lit("DBSIZE")),
            _ => {
                let (name, values) = *self.rng.pick(SMALL_SETTINGS);
                a.extend([lit("CONFIG"), lit("SET"), lit(name), self.pick(values)]);
            }
        }
    }

    fn command(&mut self) -> Cmd {
        let mut a: Vec<Arg> = Vec::new();
        match self.rng.below(20) {
            0..=11 => self.zset_command(&mut a),
            12..=14 => self.sort(&mut a),
            15..=17 => self.input_command(&mut a),
            _ => self.other_command(&mut a),
        }
        // Wrong arities and stray arguments, and the name in other cases.
        if a.len() > 1 && self.rng.chance(4) {
            let keep = 1 + self.rng.below(a.len() - 1);
            a.truncate(keep);
        } else if self.rng.chance(3) && !(self.known && bad_zrandmember_count(&a)) {
            a.push(self.pick(JUNK));
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
                let args = vec![lit("CONFIG"), lit("SET"), lit(name), self.pick(values)];
                Cmd {
                    args,
                    guard: Guard::None,
                }
            })
            .collect()
    }
}

/// ZRANDMEMBER with a count that is not an integer (options after it are a
/// `KNOWN` difference).
fn bad_zrandmember_count(a: &[Arg]) -> bool {
    a.first().is_some_and(|n| upper(n) == "ZRANDMEMBER")
        && a.get(2).is_some_and(|c| int_arg(c).is_none())
}

/// The sequence of seed `seed`: whether it runs in RESP3, and its commands.
fn generate(seed: u64) -> (bool, Vec<Cmd>) {
    generate_with(seed, !env_is_1("DIFF_KNOWN"))
}

fn env_is_1(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1")
}

/// The sequence of seed `seed`, leaving out the forms of `KNOWN` if
/// `avoid_known`.
fn generate_with(seed: u64, avoid_known: bool) -> (bool, Vec<Cmd>) {
    let mut rng = Rng::new(seed);
    let resp3 = rng.chance(50);
    let n = MIN_COMMANDS + rng.below(MAX_COMMANDS - MIN_COMMANDS + 1);
    let small = rng.chance(35);
    let mut g = Gen {
        rng,
        known: avoid_known,
    };
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

fn int_arg(a: &Arg) -> Option<i64> {
    std::str::from_utf8(a.bytes()?).ok()?.parse().ok()
}

fn upper(a: &Arg) -> String {
    String::from_utf8_lossy(a.bytes().unwrap_or_default()).to_ascii_uppercase()
}

/// The guard of a command, from its final arguments (see the file comment).
fn guard_for(args: &[Arg]) -> Guard {
    let Some(name) = args.first().map(upper) else {
        return Guard::None;
    };
    let Some(key) = args.get(1) else {
        return Guard::None;
    };
    let zcard =
        |max: i64| Guard::probe(vec![vec![lit("ZCARD"), key.clone()]], max, Otherwise::Skip);
    let raw: Vec<Vec<u8>> = args.iter().map(|a| a.resolve(0)).collect();
    if mixed_lex_read(&raw) {
        return Guard::Strict {
            probe: vec![lit("OBJECT"), lit("ENCODING"), key.clone()],
            strict: &["listpack"],
            then: Box::new(Guard::None),
        };
    }
    match name.as_str() {
        "ZSCAN" => {
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
            Guard::Strict {
                probe: vec![lit("OBJECT"), lit("ENCODING"), key.clone()],
                strict: &["listpack"],
                then: Box::new(zcard(max)),
            }
        }
        "ZRANDMEMBER" => match args.get(2).map(int_arg) {
            None => zcard(1),
            Some(Some(0)) | Some(None) => Guard::None,
            Some(Some(n)) if n > 0 => zcard(n),
            Some(Some(_)) => zcard(1),
        },
        "SORT" | "SORT_RO" => {
            match sort_kind(&raw) {
                SortKind::Exact => errno_reset(),
                // A list stored in an unspecified order: the datasets would
                // diverge.
                SortKind::Ties { store: true, .. } => Guard::probe(Vec::new(), 0, Otherwise::Skip),
                SortKind::HashOrder { limit: true } | SortKind::Ties { limit: true, .. } => {
                    errno_reset()
                }
                SortKind::HashOrder { limit: false } => Guard::Strict {
                    probe: vec![lit("OBJECT"), lit("ENCODING"), key.clone()],
                    strict: &["intset"],
                    then: Box::new(errno_reset()),
                },
                SortKind::Ties { limit: false, .. } => errno_reset(),
            }
        }
        _ => Guard::None,
    }
}

/// The guard of every SORT: first `ZADD nokey XX 0 m` (replies 0, changes
/// nothing). redis-server 7.0 reads `errno` after `strtod` in a numeric SORT
/// without clearing it first, so a stale `ERANGE` left by an earlier command
/// (a denormal score such as `ZADD z 1e-320 m`, which it accepts, or
/// `ZSCAN z 18446744073709551616`) makes SORT fail with "One or more scores
/// can't be converted into double"; parsing a valid score (ZADD's score)
/// clears it. A Redis bug depending on hidden state, not to be copied.
fn errno_reset() -> Guard {
    let zadd = ["ZADD", "nokey", "XX", "0", "m"];
    Guard::probe(
        vec![zadd.iter().map(lit).collect()],
        i64::MAX,
        Otherwise::Skip,
    )
}

/// Whether a command reads a lex range of a key that may have mixed scores
/// (not `LEX_KEY`): Redis leaves the result unspecified, and for a skiplist it
/// depends on the random levels of its nodes. Only a listpack's result is
/// deterministic (compared exactly, see `guard_for`); otherwise the replies are
/// compared by kind only (`equivalent`).
fn mixed_lex_read(args: &[Vec<u8>]) -> bool {
    let lex = match upper_name(args).as_str() {
        "ZRANGEBYLEX" | "ZREVRANGEBYLEX" | "ZLEXCOUNT" => true,
        "ZRANGE" => args
            .iter()
            .skip(2)
            .any(|a| a.eq_ignore_ascii_case(b"BYLEX")),
        _ => false,
    };
    lex && args.get(1).is_some_and(|k| k != LEX_KEY.as_bytes())
}

/// A SORT whose LIMIT cuts a list in unspecified order: which elements it
/// keeps is unspecified, only how many (compared by length).
fn limited_sort(args: &[Vec<u8>]) -> bool {
    matches!(upper_name(args).as_str(), "SORT" | "SORT_RO")
        && matches!(
            sort_kind(args),
            SortKind::HashOrder { limit: true } | SortKind::Ties { limit: true, .. }
        )
}

/// How deterministic the order of a SORT reply is.
#[derive(Clone, Copy, Debug, PartialEq)]
enum SortKind {
    Exact,
    /// A set not sorted (BY without `*`, no STORE): hash order.
    HashOrder {
        limit: bool,
    },
    /// ALPHA by a pattern: ties in an unspecified order.
    Ties {
        limit: bool,
        store: bool,
    },
}

fn sort_kind(args: &[Vec<u8>]) -> SortKind {
    let mut by: Option<&[u8]> = None;
    let (mut alpha, mut store, mut limit) = (false, false, false);
    let mut i = 2;
    while i < args.len() {
        let a = &args[i];
        let has_next = i + 1 < args.len();
        if a.eq_ignore_ascii_case(b"ALPHA") {
            alpha = true;
        } else if a.eq_ignore_ascii_case(b"BY") && has_next {
            by = Some(&args[i + 1]);
            i += 1;
        } else if a.eq_ignore_ascii_case(b"STORE") && has_next {
            store = true;
            i += 1;
        } else if a.eq_ignore_ascii_case(b"GET") && has_next {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"LIMIT") && i + 2 < args.len() {
            limit = true;
            i += 2;
        }
        i += 1;
    }
    let is_set = args.get(1).is_some_and(|k| k.first() == Some(&b's'));
    match by {
        Some(p) if !p.contains(&b'*') && is_set && !store => SortKind::HashOrder { limit },
        Some(p) if p.contains(&b'*') && alpha => SortKind::Ties { limit, store },
        _ => SortKind::Exact,
    }
}

// ---------------------------------------------------------------------------
// Comparing replies

/// How the elements of a command's reply are ordered.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Order {
    /// As sent: compared exactly.
    Exact,
    /// Any order: compared as a multiset.
    Elements,
    /// A ZSCAN reply `[cursor, [member, score, ...]]`, pairs in hash order.
    Scan,
}

fn order_of(args: &[Vec<u8>]) -> Order {
    match upper_name(args).as_str() {
        "ZSCAN" => Order::Scan,
        "SORT" | "SORT_RO" if sort_kind(args) != SortKind::Exact => Order::Elements,
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
        (Order::Scan, Reply::Array(v)) if v.len() == 2 => {
            let pairs = match &v[1] {
                Reply::Array(items) if items.len() % 2 == 0 => {
                    let mut pairs: Vec<&[Reply]> = items.chunks(2).collect();
                    pairs.sort_by_cached_key(|p| (render(&p[0], true), render(&p[1], true)));
                    Reply::Array(pairs.concat())
                }
                other => other.clone(),
            };
            Reply::Array(vec![v[0].clone(), pairs])
        }
        _ => r.clone(),
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
        _ => {}
    }
    if limited_sort(args) {
        // Which elements LIMIT keeps is unspecified: only the count is.
        return match (expected, got) {
            (Reply::Array(e), Reply::Array(g)) => e.len() == g.len(),
            _ => expected == got,
        };
    }
    if mixed_lex_read(args) {
        return match expected {
            Reply::Error(_) => expected == got,
            _ => std::mem::discriminant(expected) == std::mem::discriminant(got),
        };
    }
    match order_of(args) {
        Order::Exact => expected == got,
        order => canonical(order, expected) == canonical(order, got),
    }
}

/// The expectation line of a repro case: redis-server's reply, with
/// `(unordered)` where `equivalent` ignores the order (looser than the check
/// for ZSCAN's flat member/score list: pairs are not kept together there).
fn expectation(args: &[Vec<u8>], expected: &Reply) -> String {
    if upper_name(args) == "HELLO" {
        return "(any)".into();
    }
    if limited_sort(args) {
        return shape_expectation(expected);
    }
    if mixed_lex_read(args) && !expected.is_error() {
        return format!(
            "(any)\n# a lex range of mixed scores, unspecified (redis-server replied {})",
            render(expected, false)
        );
    }
    let unordered = |r: &Reply| match r {
        Reply::Array(_) => format!("(unordered) {}", render(r, true)),
        _ => render(r, true),
    };
    match (order_of(args), expected) {
        (Order::Exact, _) => render(expected, false),
        (Order::Scan, Reply::Array(v)) if v.len() == 2 => {
            format!("[{},{}]", render(&v[0], true), unordered(&v[1]))
        }
        (_, Reply::Array(_)) => unordered(expected),
        _ => render(expected, false),
    }
}

const RULES: Rules = Rules {
    equivalent,
    expectation,
    reset: RESET,
    // Keyspace events are compared by differential_types.
    events: false,
};

// ---------------------------------------------------------------------------
// The test

#[test]
fn differential_zsets_and_sort() {
    if !env_is_1("DIFF_KNOWN") {
        println!(
            "differential_zsets: leaving out the forms of {} known differences \
             (DIFF_KNOWN=1 generates them): {}",
            KNOWN.len(),
            KNOWN.join("; ")
        );
    }
    run(RULES, generate);
}

// ---------------------------------------------------------------------------
// Unit tests of the generator and the normalisation (no server needed)

fn args(line: &[&str]) -> Vec<Vec<u8>> {
    line.iter().map(|a| a.as_bytes().to_vec()).collect()
}

fn cmd_args(line: &[&str]) -> Vec<Arg> {
    line.iter().map(lit).collect()
}

#[test]
fn generation_is_deterministic_and_covers_every_command() {
    assert_eq!(generate(7), generate(7));
    let mut names = std::collections::BTreeSet::new();
    let mut options = std::collections::BTreeSet::new();
    for seed in 0..300 {
        for cmd in generate_with(seed, seed % 2 == 0).1 {
            names.insert(cmd.name());
            for a in &cmd.args[1..] {
                let word = upper(a);
                if word.chars().all(|c| c.is_ascii_uppercase()) && word.len() > 1 {
                    options.insert(word);
                }
            }
        }
    }
    for name in [
        "ZADD",
        "ZINCRBY",
        "ZSCORE",
        "ZMSCORE",
        "ZRANK",
        "ZREVRANK",
        "ZRANGE",
        "ZRANGESTORE",
        "ZRANGEBYSCORE",
        "ZREVRANGEBYSCORE",
        "ZRANGEBYLEX",
        "ZREVRANGEBYLEX",
        "ZREVRANGE",
        "ZCOUNT",
        "ZLEXCOUNT",
        "ZREM",
        "ZREMRANGEBYRANK",
        "ZREMRANGEBYSCORE",
        "ZREMRANGEBYLEX",
        "ZPOPMIN",
        "ZPOPMAX",
        "ZMPOP",
        "ZUNION",
        "ZINTER",
        "ZDIFF",
        "ZUNIONSTORE",
        "ZINTERSTORE",
        "ZDIFFSTORE",
        "ZINTERCARD",
        "ZCARD",
        "ZSCAN",
        "ZRANDMEMBER",
        "SORT",
        "SORT_RO",
        "SADD",
        "RPUSH",
        "SET",
        "HSET",
        "OBJECT",
        "CONFIG",
        "WATCH",
        "EXEC",
    ] {
        assert!(names.contains(name), "{name} never generated");
    }
    for opt in [
        "NX",
        "XX",
        "GT",
        "LT",
        "CH",
        "INCR",
        "BYSCORE",
        "BYLEX",
        "REV",
        "LIMIT",
        "WITHSCORES",
        "WEIGHTS",
        "AGGREGATE",
        "BY",
        "GET",
        "ALPHA",
        "DESC",
        "STORE",
        "NOSORT",
    ] {
        assert!(options.contains(opt), "option {opt} never generated");
    }
}

#[test]
fn guards_keep_random_and_hash_order_replies_deterministic() {
    let probe_max = |g: &Guard| match g {
        Guard::Probe { max, otherwise, .. } => Some((*max, *otherwise)),
        Guard::Strict { then, .. } => match then.as_ref() {
            Guard::Probe { max, otherwise, .. } => Some((*max, *otherwise)),
            _ => None,
        },
        Guard::None => None,
    };
    let g = guard_for(&cmd_args(&["ZRANDMEMBER", "z0", "5"]));
    assert_eq!(probe_max(&g), Some((5, Otherwise::Skip)));
    let g = guard_for(&cmd_args(&["ZRANDMEMBER", "z0", "-5"]));
    assert_eq!(probe_max(&g), Some((1, Otherwise::Skip)));
    assert_eq!(
        guard_for(&cmd_args(&["ZRANDMEMBER", "z0", "0"])),
        Guard::None
    );
    let g = guard_for(&cmd_args(&["ZSCAN", "z0", "0", "COUNT", "1000"]));
    assert!(matches!(g, Guard::Strict { .. }));
    assert_eq!(probe_max(&g), Some((SCAN_MAX_SIZE, Otherwise::Skip)));
    let g = guard_for(&cmd_args(&[
        "SORT", "s1", "BY", "nosort", "LIMIT", "0", "1",
    ]));
    assert_eq!(g, errno_reset());
    let g = guard_for(&cmd_args(&["SORT", "s1", "BY", "nosort"]));
    assert!(matches!(g, Guard::Strict { .. }));
    let g = guard_for(&cmd_args(&["SORT", "s1", "BY", "nosort", "STORE", "sd"]));
    assert_eq!(g, errno_reset());
    let g = guard_for(&cmd_args(&[
        "SORT", "l0", "BY", "w_*", "ALPHA", "LIMIT", "0", "1",
    ]));
    assert_eq!(g, errno_reset());
    assert_eq!(
        guard_for(&cmd_args(&["SORT", "l0", "BY", "nosort"])),
        errno_reset()
    );
    let g = guard_for(&cmd_args(&[
        "SORT", "l0", "BY", "w_*", "ALPHA", "STORE", "sd",
    ]));
    assert_eq!(probe_max(&g), Some((0, Otherwise::Skip)));
    assert_eq!(
        guard_for(&cmd_args(&["SORT", "z0", "BY", "w_*"])),
        errno_reset()
    );
}

#[test]
fn hash_order_is_ignored_only_where_it_is_hash_order() {
    let b = |s: &str| Reply::Bulk(s.as_bytes().to_vec());
    let scan = |items: &[&str]| {
        Reply::Array(vec![
            b("0"),
            Reply::Array(items.iter().map(|s| b(s)).collect()),
        ])
    };
    let zscan = args(&["ZSCAN", "z0", "0", "COUNT", "1000"]);
    assert!(equivalent(
        &zscan,
        &scan(&["a", "1", "b", "2"]),
        &scan(&["b", "2", "a", "1"])
    ));
    assert!(!equivalent(
        &zscan,
        &scan(&["a", "1", "b", "2"]),
        &scan(&["a", "2", "b", "1"])
    ));
    let ab = Reply::Array(vec![b("a"), b("b")]);
    let ba = Reply::Array(vec![b("b"), b("a")]);
    assert!(equivalent(&args(&["SORT", "s1", "BY", "x"]), &ab, &ba));
    assert!(equivalent(
        &args(&["SORT", "l0", "BY", "w_*", "ALPHA"]),
        &ab,
        &ba
    ));
    assert!(!equivalent(&args(&["SORT", "l0", "BY", "w_*"]), &ab, &ba));
    assert!(!equivalent(
        &args(&["SORT", "s1", "BY", "x", "STORE", "d"]),
        &ab,
        &ba
    ));
    assert!(!equivalent(&args(&["ZRANGE", "z0", "0", "-1"]), &ab, &ba));
    assert!(!equivalent(&args(&["ZRANDMEMBER", "z0", "5"]), &ab, &ba));
    let limited = args(&["SORT", "s1", "BY", "x", "LIMIT", "0", "2", "GET", "w_*"]);
    let nils = Reply::Array(vec![Reply::Nil, b("1")]);
    assert!(equivalent(&limited, &ab, &nils));
    assert!(!equivalent(&limited, &ab, &Reply::Array(vec![b("a")])));
    assert_eq!(expectation(&limited, &ab), "(len 2)");
    // Lex ranges of keys with mixed scores: by kind only.
    let lex = args(&["ZRANGEBYLEX", "z0", "-", "+"]);
    assert!(equivalent(&lex, &ab, &Reply::Array(vec![])));
    assert!(!equivalent(&lex, &ab, &Reply::Int(2)));
    assert!(!equivalent(
        &args(&["ZRANGEBYLEX", "zl", "-", "+"]),
        &ab,
        &ba
    ));
    assert!(matches!(
        guard_for(&cmd_args(&["ZLEXCOUNT", "z1", "-", "+"])),
        Guard::Strict { .. }
    ));
    assert_eq!(
        guard_for(&cmd_args(&["ZLEXCOUNT", "zl", "-", "+"])),
        Guard::None
    );
    assert_eq!(
        expectation(&args(&["SORT", "s1", "BY", "x"]), &ab),
        "(unordered) [\"a\",\"b\"]"
    );
}

#[test]
fn known_differences_are_left_out_unless_asked() {
    let line = |c: &Cmd| -> Vec<Vec<u8>> { c.args.iter().map(|a| a.resolve(0)).collect() };
    let (mut sorted_zsets, mut big_counts, mut rank_limits, mut mixed_lex) = (0, 0, 0, 0);
    for seed in 0..200 {
        for (avoid, cmd) in [true, false].into_iter().flat_map(|avoid| {
            generate_with(seed, avoid)
                .1
                .into_iter()
                .map(move |c| (avoid, c))
        }) {
            let args = line(&cmd);
            let name = upper_name(&args);
            let sorts_zset = matches!(name.as_str(), "SORT" | "SORT_RO")
                && args.get(1).is_some_and(|k| k.first() == Some(&b'z'));
            let big_count =
                name == "ZRANDMEMBER" && cmd.args.get(2).and_then(int_arg).unwrap_or(0) > 1;
            let by = args
                .iter()
                .any(|a| a.eq_ignore_ascii_case(b"BYSCORE") || a.eq_ignore_ascii_case(b"BYLEX"));
            let rank_limit = matches!(name.as_str(), "ZRANGE" | "ZRANGESTORE")
                && !by
                && args
                    .iter()
                    .rev()
                    .skip(2)
                    .any(|a| a.eq_ignore_ascii_case(b"LIMIT"));
            let lex = mixed_lex_read(&args);
            if avoid {
                // ZRANDMEMBER's count order and ZRANGE's LIMIT by rank are
                // fixed: only these two are still left out.
                assert!(!(sorts_zset || lex), "{args:?}");
            } else {
                sorted_zsets += usize::from(sorts_zset);
                big_counts += usize::from(big_count);
                rank_limits += usize::from(rank_limit);
                mixed_lex += usize::from(lex);
            }
        }
    }
    assert!(sorted_zsets > 0 && big_counts > 0 && rank_limits > 0 && mixed_lex > 0);
    assert_eq!(KNOWN.len(), 2);
}
