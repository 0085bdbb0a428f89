//! Differential test of transactions: random sequences of MULTI, EXEC,
//! DISCARD, WATCH and UNWATCH mixed with ordinary commands, sent to ferrodis
//! and to a real redis-server side by side, every reply compared (the EXEC
//! replies included, exactly).
//!
//! Each run generates, from a seed, 60 to 200 commands, in blocks: now and
//! then a plain command; mostly a transaction: optionally WATCH of one to three
//! keys (sometimes twice, sometimes followed by UNWATCH), optionally commands
//! between WATCH and MULTI that may touch a watched key (writes, no-op writes
//! that do not count as touching: DEL of a missing key, SREM of a missing
//! member, ...; EXPIRE with a past time, FLUSHDB/FLUSHALL, SWAPDB, MOVE, writes
//! in another database after SELECT), then MULTI, queued commands and EXEC or
//! DISCARD. Queued commands are good ones, ones failing at run time (WRONGTYPE,
//! INCR of a non-integer: the error in place in the EXEC reply), and ones
//! refused when queued (unknown command, wrong arity: EXEC then replies
//! EXECABORT); and, inside MULTI, MULTI (nested), WATCH (not allowed) and
//! stray EXEC/DISCARD outside one. The keys are few (`k0`..`k2` of any type),
//! so commands meet keys of other types often.
//!
//! Two clients: half the commands between WATCH and MULTI, and now and then
//! a write while the transaction is being queued, come from a second
//! connection (`c2>` in a printed repro), so a watched key written by another
//! client (the WATCH race) is compared with Redis too.
//!
//! Known differences of ferrodis (`KNOWN`) are left out of the sequences
//! unless `DIFF_KNOWN=1` (also in the environment list below).
//!
//! Nothing is loosened but the HELLO reply (compared by its type): every
//! command generated replies deterministically. On the first mismatch the
//! sequence is shrunk and printed as a case in the format of
//! `redis-compat-tests/FORMAT.md`. Environment: as `tests/differential.rs`
//! (`DIFF_SECS`, `DIFF_SEED`, `DIFF_AGAINST=redis`, `DIFF_FERRODIS`,
//! `DIFF_KNOWN=1`, `DIFF_TRACE`, `DIFF_SHRINK_SECS`, `DIFF_KEEP_GOING`,
//! `DIFF_EXCLUDE`, `REQUIRE_REDIS`).

mod support;

use support::differential::{lit, run, upper_name, Arg, Cmd, Guard, Rng, Rules, OTHER_CLIENT};
use support::resp::render;
use support::Reply;

/// Commands per generated sequence: at least this many.
const MIN_COMMANDS: usize = 60;
const MAX_COMMANDS: usize = 200;

const KEYS: &[&str] = &["k0", "k1", "k2"];

const VALUES: &[&str] = &[
    "1",
    "2",
    "10",
    "-1",
    "a",
    "b",
    "",
    "1.5",
    "9223372036854775807",
];

// ---------------------------------------------------------------------------
// The generator

/// Known differences of ferrodis from redis-server 7.0.15 found by this test,
/// whose forms the generator leaves out unless `DIFF_KNOWN=1`. Drop an entry
/// (and its `known` branch) once fixed.
const KNOWN: &[&str] = &[
    // `EXEC extra` (in MULTI or not): redis-server replies `-EXECABORT
    // Transaction discarded because of: wrong number of arguments for 'exec'
    // command` and discards the transaction; ferrodis replies the plain arity
    // error. Left out: EXEC with an argument.
    "EXEC of a wrong arity replies EXECABORT",
];

struct Gen {
    rng: Rng,
    /// Leave out the forms of `KNOWN`.
    known: bool,
}

impl Gen {
    fn pick(&mut self, items: &[&str]) -> Arg {
        lit(self.rng.pick(items))
    }

    fn key(&mut self) -> Arg {
        if self.rng.chance(95) {
            self.pick(KEYS)
        } else {
            lit("nokey")
        }
    }

    fn value(&mut self) -> Arg {
        self.pick(VALUES)
    }

    /// A command that replies deterministically, of any type (a write most
    /// of the time; some no-op writes; some run-time errors on keys of
    /// another type).
    fn plain(&mut self) -> Vec<Arg> {
        let k = self.key();
        match self.rng.below(26) {
            0..=2 => vec![lit("SET"), k, self.value()],
            3 => vec![lit("GET"), k],
            4 | 5 => vec![self.pick(&["INCR", "DECR"]), k],
            6 => vec![lit("INCRBY"), k, self.pick(&["5", "-3", "abc"])],
            7 => vec![lit("APPEND"), k, self.value()],
            8 | 9 => vec![self.pick(&["LPUSH", "RPUSH"]), k, self.value()],
            10 => vec![self.pick(&["LPOP", "RPOP"]), k],
            11 => vec![lit("LLEN"), k],
            12 => vec![lit("HSET"), k, self.pick(&["f", "g"]), self.value()],
            13 => vec![lit("HDEL"), k, self.pick(&["f", "g", "h"])],
            14 => vec![lit("HGET"), k, self.pick(&["f", "g"])],
            15 => vec![lit("SADD"), k, self.value()],
            16 => vec![lit("SREM"), k, self.value()],
            17 => vec![lit("SCARD"), k],
            18 => vec![lit("ZADD"), k, self.pick(&["1", "2", "inf"]), self.value()],
            19 => vec![lit("ZINCRBY"), k, self.pick(&["1", "-1"]), self.value()],
            20 => vec![self.pick(&["DEL", "UNLINK"]), k],
            21 => vec![lit("EXISTS"), k, self.key()],
            22 => vec![lit("TYPE"), k],
            23 => vec![lit("EXPIRE"), k, self.pick(&["100", "-1", "0"])],
            24 => vec![lit("PERSIST"), k],
            _ => vec![lit("DBSIZE")],
        }
    }

    /// A command refused when queued: unknown, or of a wrong arity.
    fn refused(&mut self) -> Vec<Arg> {
        match self.rng.below(5) {
            0 => vec![self.pick(&["FOO", "NOSUCHCOMMAND"]), self.key()],
            1 => vec![lit("GET")],
            2 => vec![lit("SET"), self.key()],
            3 => vec![lit("LPUSH"), self.key()],
            _ => vec![lit("HSET"), self.key(), lit("f")],
        }
    }

    /// What may run between WATCH and MULTI: touching a watched key or not.
    fn between(&mut self) -> Vec<Vec<Arg>> {
        match self.rng.below(12) {
            0..=5 => vec![self.plain()],
            6 => vec![vec![lit("PEXPIREAT"), self.key(), lit("1")]],
            7 => vec![vec![self.pick(&["FLUSHDB", "FLUSHALL"])]],
            8 => vec![vec![lit("SWAPDB"), lit("0"), lit("1")]],
            9 => vec![vec![lit("MOVE"), self.key(), lit("1")]],
            10 => vec![vec![lit("RENAME"), self.key(), self.key()]],
            _ => {
                // A write in another database.
                let mut v = vec![vec![lit("SELECT"), lit("1")]];
                v.push(self.plain());
                v.push(vec![lit("SELECT"), lit("0")]);
                v
            }
        }
    }

    /// A command queued inside MULTI.
    fn queued(&mut self) -> Vec<Arg> {
        match self.rng.below(20) {
            0 => self.refused(),
            1 => vec![lit("MULTI")],
            2 => vec![lit("WATCH"), self.key()],
            3 => vec![lit("SELECT"), self.pick(&["0", "1", "16"])],
            4 => vec![lit("PING")],
            5 => vec![lit("UNWATCH")],
            _ => self.plain(),
        }
    }

    fn watch(&mut self) -> Vec<Arg> {
        let mut w = vec![lit("WATCH")];
        for _ in 0..1 + self.rng.below(3) {
            w.push(self.key());
        }
        w
    }

    /// One block: a plain command, a stray transaction command, or a whole
    /// transaction.
    fn block(&mut self) -> Vec<Vec<Arg>> {
        match self.rng.below(20) {
            0..=3 => return vec![self.plain()],
            4 => {
                return vec![vec![
                    self.pick(&["EXEC", "DISCARD", "UNWATCH", "MULTI", "WATCH"])
                ]]
            }
            _ => {}
        }
        let mut cmds = Vec::new();
        if self.rng.chance(60) {
            cmds.push(self.watch());
            if self.rng.chance(15) {
                cmds.push(self.watch());
            }
            for _ in 0..self.rng.below(3) {
                let between = self.between();
                // Half the time another client does it.
                if self.rng.chance(50) {
                    cmds.extend(between.into_iter().map(from_other_client));
                } else {
                    cmds.extend(between);
                }
            }
            if self.rng.chance(10) {
                cmds.push(vec![lit("UNWATCH")]);
            }
        }
        let mut multi = vec![lit("MULTI")];
        if self.rng.chance(3) {
            multi.push(lit("extra"));
        }
        cmds.push(multi);
        for _ in 0..self.rng.below(6) {
            cmds.push(self.queued());
            // Another client's write while this one queues: the WATCH race.
            if self.rng.chance(10) {
                let w = self.plain();
                cmds.push(from_other_client(w));
            }
        }
        let end = if self.rng.chance(80) {
            "EXEC"
        } else {
            "DISCARD"
        };
        let mut end = vec![lit(end)];
        if self.rng.chance(3) && !(self.known && end[0] == lit("EXEC")) {
            end.push(lit("extra"));
        }
        cmds.push(end);
        cmds
    }
}

/// The same command sent by the second client (`OTHER_CLIENT`).
fn from_other_client(mut args: Vec<Arg>) -> Vec<Arg> {
    args.insert(0, lit(OTHER_CLIENT));
    args
}

/// The sequence of seed `seed`: whether it runs in RESP3, and its commands.
fn generate(seed: u64) -> (bool, Vec<Cmd>) {
    generate_with(seed, !std::env::var("DIFF_KNOWN").is_ok_and(|v| v == "1"))
}

/// The sequence of seed `seed`, leaving out the forms of `KNOWN` if
/// `avoid_known`.
fn generate_with(seed: u64, avoid_known: bool) -> (bool, Vec<Cmd>) {
    let mut rng = Rng::new(seed);
    let resp3 = rng.chance(50);
    let n = MIN_COMMANDS + rng.below(MAX_COMMANDS - MIN_COMMANDS + 1);
    let mut g = Gen {
        rng,
        known: avoid_known,
    };
    let mut cmds = Vec::new();
    while cmds.len() < n {
        for mut args in g.block() {
            if g.rng.chance(10) {
                if let Arg::Lit(name) = &mut args[0] {
                    name.make_ascii_lowercase();
                }
            }
            cmds.push(Cmd {
                args,
                guard: Guard::None,
            });
        }
    }
    // End outside a transaction, in database 0, so nothing stays queued.
    for end in [&["DISCARD"][..], &["UNWATCH"], &["SELECT", "0"]] {
        cmds.push(Cmd {
            args: end.iter().map(lit).collect(),
            guard: Guard::None,
        });
    }
    (resp3, cmds)
}

// ---------------------------------------------------------------------------
// Comparing replies

fn equivalent(args: &[Vec<u8>], expected: &Reply, got: &Reply) -> bool {
    if upper_name(args) == "HELLO" {
        return !expected.is_error()
            && std::mem::discriminant(expected) == std::mem::discriminant(got);
    }
    expected == got
}

fn expectation(args: &[Vec<u8>], expected: &Reply) -> String {
    if upper_name(args) == "HELLO" {
        return "(any)".into();
    }
    render(expected, false)
}

const RULES: Rules = Rules {
    equivalent,
    expectation,
    reset: &[],
    // Keyspace events are compared by differential_types.
    events: false,
};

#[test]
fn differential_transactions() {
    if !std::env::var("DIFF_KNOWN").is_ok_and(|v| v == "1") {
        println!(
            "differential_tx: leaving out the forms of {} known differences \
             (DIFF_KNOWN=1 generates them): {}",
            KNOWN.len(),
            KNOWN.join("; ")
        );
    }
    run(RULES, generate);
}

// ---------------------------------------------------------------------------
// Unit tests of the generator (no server needed)

#[test]
fn generation_is_deterministic_and_covers_transactions() {
    assert_eq!(generate(3), generate(3));
    let mut seen = std::collections::BTreeSet::new();
    let mut exec_args = [0, 0];
    for seed in 0..200 {
        for avoid in [false, true] {
            exec_args[usize::from(avoid)] += generate_with(seed, avoid)
                .1
                .iter()
                .filter(|c| c.name() == "EXEC" && c.args.len() > 1)
                .count();
        }
        let cmds = generate_with(seed, false).1;
        let mut in_multi = false;
        for c in &cmds {
            let name = c.name();
            match name.as_str() {
                "C2>" => {
                    seen.insert(if in_multi {
                        "other client while queueing"
                    } else {
                        "other client between"
                    });
                }
                "MULTI" if in_multi => {
                    seen.insert("nested MULTI");
                }
                "MULTI" => in_multi = c.args.len() == 1,
                "EXEC" | "DISCARD" if c.args.len() == 1 => in_multi = false,
                "WATCH" if in_multi => {
                    seen.insert("WATCH inside MULTI");
                }
                "FOO" | "NOSUCHCOMMAND" if in_multi => {
                    seen.insert("unknown command queued");
                }
                "SELECT" | "SWAPDB" | "FLUSHALL" | "FLUSHDB" | "PEXPIREAT" | "MOVE" | "UNWATCH"
                | "RENAME" => {
                    seen.insert(if in_multi { "queued" } else { "between" });
                }
                _ => {}
            }
            let name: &'static str = Box::leak(name.into_boxed_str());
            seen.insert(name);
        }
    }
    for want in [
        "MULTI",
        "EXEC",
        "DISCARD",
        "WATCH",
        "UNWATCH",
        "nested MULTI",
        "WATCH inside MULTI",
        "unknown command queued",
        "queued",
        "between",
        "SWAPDB",
        "FLUSHALL",
        "PEXPIREAT",
        "other client while queueing",
        "other client between",
    ] {
        assert!(seen.contains(want), "{want} never generated");
    }
    assert!(exec_args[0] > 0 && exec_args[1] == 0, "{exec_args:?}");
    assert_eq!(KNOWN.len(), 1);
}
