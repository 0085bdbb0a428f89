//! The harness of the differential tests (`tests/differential.rs` for strings
//! and generic keys, `tests/differential_types.rs` for lists, hashes and sets):
//! everything but the generator of command sequences and the rules saying which
//! replies count as equal.
//!
//! - `Rng`: a small xorshift PRNG, so a seed always gives the same sequence.
//! - `Arg`, `Cmd`, `Guard`: a generated command; its arguments may be times
//!   relative to the replay's start, and a guard may send probe commands first
//!   (compared like any command) and, from redis-server's replies, decide to
//!   skip the command or to compare only the shape of its reply.
//! - `Rules`: the generator's normalisation hooks (reply equivalence and the
//!   expectation line printed in a repro) and the commands that reset the
//!   servers' settings at the start of every replay.
//! - `Pair`: the two servers; `replay` sends a sequence to both on fresh
//!   connections after `FLUSHALL`, stopping at the first mismatch.
//! - `shrink`: delta debugging of a failing sequence; `fail_run` shrinks and
//!   prints the repro as a case in the format of `redis-compat-tests/FORMAT.md`.
//! - `run`: the test loop and its environment (see `run` for the variables).

use std::env;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::resp::{quote, render};
use super::server::TempDir;
use super::{Conn, Reply, Server};

/// Read timeout of the test connections.
const READ_TIMEOUT: Duration = Duration::from_secs(3);

// ---------------------------------------------------------------------------
// PRNG

/// xorshift64, seeded through a splitmix64 step so nearby seeds diverge.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(if z == 0 { 1 } else { z })
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------
// Commands

/// One argument of a generated command.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Lit(Vec<u8>),
    /// A unix time in seconds: the replay's start time plus this offset.
    AtSecs(i64),
    /// A unix time in milliseconds: the replay's start time plus this offset.
    AtMs(i64),
}

impl Arg {
    pub fn resolve(&self, base_ms: i64) -> Vec<u8> {
        match self {
            Arg::Lit(b) => b.clone(),
            Arg::AtSecs(o) => (base_ms / 1000 + o).to_string().into_bytes(),
            Arg::AtMs(o) => (base_ms + o).to_string().into_bytes(),
        }
    }

    /// The literal bytes (`None` for a time).
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Arg::Lit(b) => Some(b),
            _ => None,
        }
    }
}

pub fn lit(b: impl AsRef<[u8]>) -> Arg {
    Arg::Lit(b.as_ref().to_vec())
}

/// What a guard does when its probes say the command is not deterministic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Otherwise {
    /// Do not send it.
    Skip,
    /// Send it, and compare only the shape of the replies (`same_shape`).
    CompareShape,
}

/// A check run (and compared) before a command, deciding how to send it.
#[derive(Clone, Debug, PartialEq)]
pub enum Guard {
    None,
    /// Send `probes` first; the command is deterministic if the product of
    /// redis-server's replies to them (an error, or a number below 1, counts
    /// as 1; another reply that is not a number, such as `QUEUED`, as
    /// `i64::MAX`) is at most `max`. If not, `otherwise` says what to do.
    Probe {
        probes: Vec<Vec<Arg>>,
        max: i64,
        otherwise: Otherwise,
    },
    /// Send `probe` first (e.g. `OBJECT ENCODING key`); if redis-server's
    /// reply is a bulk string among `strict`, a reply the rules compare
    /// loosely (e.g. in hash order) is compared exactly, order included
    /// (that encoding has a deterministic order). Then `then` applies.
    Strict {
        probe: Vec<Arg>,
        strict: &'static [&'static str],
        then: Box<Guard>,
    },
}

impl Guard {
    pub fn probe(probes: Vec<Vec<Arg>>, max: i64, otherwise: Otherwise) -> Guard {
        Guard::Probe {
            probes,
            max,
            otherwise,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Cmd {
    pub args: Vec<Arg>,
    pub guard: Guard,
}

impl Cmd {
    /// The command name, upper-cased (empty for a time argument).
    pub fn name(&self) -> String {
        self.args
            .first()
            .and_then(Arg::bytes)
            .map(|n| String::from_utf8_lossy(n).to_ascii_uppercase())
            .unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------
// Comparing and showing replies

/// The normalisation hooks of a generator, and its reset commands.
#[derive(Clone, Copy)]
pub struct Rules {
    /// Whether `got` is as good as `expected` (redis-server's reply) for the
    /// command `args`.
    pub equivalent: fn(args: &[Vec<u8>], expected: &Reply, got: &Reply) -> bool,
    /// The expectation line of a repro case: redis-server's reply, loosened the
    /// way `equivalent` loosens it.
    pub expectation: fn(args: &[Vec<u8>], expected: &Reply) -> String,
    /// Commands sent to both servers (and compared) right after `FLUSHALL` at
    /// the start of every replay, e.g. `CONFIG SET` back to the defaults; a
    /// repro that changes settings ends with them.
    pub reset: &'static [&'static [&'static str]],
    /// Compare the keyspace events of every command too: each replay sets
    /// `notify-keyspace-events` to `EVENTS_FLAGS` and subscribes an observer
    /// connection per server to `EVENTS_PATTERN`; after each command, a PING
    /// on the observers collects what it published (a mismatch shows as a
    /// step named `#events:<command>`).
    pub events: bool,
}

/// The keyspace events compared when `Rules::events` is set: key-event
/// channels (`__keyevent@<db>__:<event>`, the key as the message), all classes.
pub const EVENTS_FLAGS: &str = "EA";
pub const EVENTS_PATTERN: &str = "__keyevent@*";

/// A connection subscribed to the keyspace events of one server.
struct Observer(Conn);

impl Observer {
    fn open(server: &Server) -> Result<Observer, String> {
        let mut c = Pair::connect(server)?;
        let r = ask(
            &mut c,
            &[b"PSUBSCRIBE".to_vec(), EVENTS_PATTERN.as_bytes().to_vec()],
        )?;
        match r {
            Reply::Array(_) | Reply::Push(_) => Ok(Observer(c)),
            r => Err(format!("PSUBSCRIBE replied {r}")),
        }
    }

    /// The events published since the last call: a PING's reply comes after
    /// every message the server queued before it.
    fn drain(&mut self) -> Result<Vec<Reply>, String> {
        let pong = Reply::Array(vec![Reply::bulk("pong"), Reply::bulk("")]);
        let mut r = ask(&mut self.0, &[b"PING".to_vec()])?;
        let mut events = Vec::new();
        while r != pong {
            events.push(r);
            r = self.0.read_reply().map_err(|e| format!("read: {e}"))?;
        }
        Ok(events)
    }
}

/// The name of the pseudo-step holding the events of command `name`.
fn events_step_name(name: &str) -> Vec<u8> {
    format!("#events:{name}").into_bytes()
}

pub fn upper_name(args: &[Vec<u8>]) -> String {
    args.first()
        .map(|n| String::from_utf8_lossy(n).to_ascii_uppercase())
        .unwrap_or_default()
}

/// The replies rendered (nested notation) and sorted: a multiset to compare.
pub fn sorted(items: &[Reply]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|r| render(r, true)).collect();
    v.sort();
    v
}

/// Whether two replies have the same shape: the same kind, aggregates of the
/// same length with elements of the same shape, any bulk string (or double,
/// or verbatim string of the same format) matching any other; everything else
/// (errors, integers, nils) equal.
pub fn same_shape(expected: &Reply, got: &Reply) -> bool {
    let all = |e: &[Reply], g: &[Reply]| {
        e.len() == g.len() && e.iter().zip(g).all(|(e, g)| same_shape(e, g))
    };
    match (expected, got) {
        (Reply::Bulk(_), Reply::Bulk(_)) | (Reply::Double(_), Reply::Double(_)) => true,
        (Reply::Verbatim(e, _), Reply::Verbatim(g, _)) => e == g,
        (Reply::Array(e), Reply::Array(g))
        | (Reply::Set(e), Reply::Set(g))
        | (Reply::Push(e), Reply::Push(g)) => all(e, g),
        (Reply::Map(e), Reply::Map(g)) => {
            e.len() == g.len()
                && e.iter()
                    .zip(g)
                    .all(|((ek, ev), (gk, gv))| same_shape(ek, gk) && same_shape(ev, gv))
        }
        _ => expected == got,
    }
}

/// The expectation line matching what `same_shape` accepts (as far as the
/// notation goes: `(len N)` for aggregates, `(bulk)` for bulk strings,
/// `(any)` for a double or verbatim string).
pub fn shape_expectation(expected: &Reply) -> String {
    match expected {
        Reply::Bulk(_) => "(bulk)".into(),
        Reply::Double(_) | Reply::Verbatim(..) => "(any)".into(),
        Reply::Array(v) | Reply::Set(v) | Reply::Push(v) => format!("(len {})", v.len()),
        Reply::Map(m) => format!("(len {})", m.len()),
        _ => render(expected, false),
    }
}

/// One argument as written in a repro command line.
pub fn show_arg(a: &[u8]) -> String {
    let plain = |c: &u8| c.is_ascii_alphanumeric() || b"-_.:+*?[]^".contains(c);
    if a.len() >= 16 && a.iter().all(|&c| c == a[0]) && a[0].is_ascii_alphanumeric() {
        return format!("%repeat({},{})", a.len(), a[0] as char);
    }
    if !a.is_empty() && a.iter().all(plain) {
        return String::from_utf8_lossy(a).into_owned();
    }
    quote(a)
}

pub fn show_command(args: &[Vec<u8>]) -> String {
    args.iter()
        .map(|a| show_arg(a))
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------
// Running a sequence on both servers

/// A first argument that sends the command on a second connection (another
/// client) instead of the main one; repros print it as `c2> ...`.
pub const OTHER_CLIENT: &str = "c2>";

/// One command sent to both servers.
pub struct Step {
    pub args: Vec<Vec<u8>>,
    pub expected: Reply,
    pub got: Reply,
    pub same: bool,
    /// How the replies were compared.
    pub check: Check,
    /// Not part of a repro (FLUSHALL and the reset commands before the case).
    pub setup: bool,
}

/// The outcome of a replay.
pub struct Outcome {
    pub steps: Vec<Step>,
    /// On a mismatch: how many commands of the sequence it took (the index of
    /// the mismatching one plus one; 0 if the setup already differed).
    pub failed_after: Option<usize>,
}

/// A reply, or why there is none.
fn ask(conn: &mut Conn, args: &[Vec<u8>]) -> Result<Reply, String> {
    conn.send(args).map_err(|e| format!("send: {e}"))?;
    conn.read_reply().map_err(|e| format!("read: {e}"))
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub fn disable_active_expire(server: &Server) {
    let mut c = server.conn();
    let r = c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    if r != Reply::ok() {
        eprintln!(
            "differential: DEBUG SET-ACTIVE-EXPIRE 0 on {} replied {r}; keys created \
             already expired may make DBSIZE differ",
            server.addr
        );
    }
}

/// How the replies to a command are compared.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Check {
    /// By the generator's rules (`Rules::equivalent`).
    Rules,
    /// By shape only (a guard said the reply is not deterministic).
    Shape,
    /// Exactly (a guard said even the order is deterministic).
    Strict,
}

impl Check {
    fn same(self, rules: &Rules, args: &[Vec<u8>], expected: &Reply, got: &Reply) -> bool {
        match self {
            Check::Rules => (rules.equivalent)(args, expected, got),
            Check::Shape => same_shape(expected, got),
            Check::Strict => expected == got,
        }
    }
}

/// Runs a guard: `probe` sends a probe command to both servers and gives
/// redis-server's reply (`None` on a mismatch). Returns `None` on a mismatch,
/// else how to compare the command (`None`: do not send it).
fn run_guard(
    guard: &Guard,
    probe: &mut impl FnMut(&[Arg]) -> Option<Reply>,
) -> Option<Option<Check>> {
    match guard {
        Guard::None => Some(Some(Check::Rules)),
        Guard::Probe {
            probes,
            max,
            otherwise,
        } => {
            let mut product = 1i64;
            for args in probes {
                // An error (WRONGTYPE) counts as 0; any other reply that is
                // not an integer (`QUEUED` inside MULTI) as too large.
                let n = match probe(args)? {
                    Reply::Int(n) => n,
                    r if r.is_error() => 0,
                    _ => i64::MAX,
                };
                product = product.saturating_mul(n.max(1));
            }
            Some(match (product <= *max, otherwise) {
                (true, _) => Some(Check::Rules),
                (false, Otherwise::Skip) => None,
                (false, Otherwise::CompareShape) => Some(Check::Shape),
            })
        }
        Guard::Strict {
            probe: args,
            strict,
            then,
        } => {
            let reply = probe(args)?;
            let ordered = reply
                .as_bytes()
                .is_some_and(|b| strict.iter().any(|s| s.as_bytes() == b));
            Some(match run_guard(then, probe)? {
                Some(Check::Rules) if ordered => Some(Check::Strict),
                check => check,
            })
        }
    }
}

pub struct Pair {
    pub oracle: Server,
    pub test: Server,
    /// What the tested side is ("ferrodis" or "redis-server").
    pub test_name: &'static str,
    /// Print every run as a compat case (`DIFF_TRACE=1`).
    pub trace: bool,
    pub rules: Rules,
    /// The working directory of a ferrodis spawned from `DIFF_FERRODIS`
    /// (declared after `test`, so it goes after the server is killed).
    pub _test_dir: Option<TempDir>,
}

impl Pair {
    fn connect(server: &Server) -> Result<Conn, String> {
        let mut c = Conn::connect(&server.addr).map_err(|e| format!("connect: {e}"))?;
        c.set_timeout(READ_TIMEOUT)
            .map_err(|e| format!("set timeout: {e}"))?;
        Ok(c)
    }

    /// Restarts the tested server if it died (e.g. it panicked on a command).
    pub fn revive(&mut self) {
        if !self.test.is_responding(Duration::from_secs(1)) {
            eprintln!(
                "differential: {} is not responding, restarting it",
                self.test_name
            );
            self.test.restart();
            disable_active_expire(&self.test);
        }
    }

    /// Replays `cmds` on freshly flushed servers (in RESP3 if `resp3`),
    /// stopping at the first mismatch.
    pub fn replay(&self, cmds: &[Cmd], resp3: bool) -> Outcome {
        let mut oracle =
            Pair::connect(&self.oracle).unwrap_or_else(|e| panic!("redis-server: {e}"));
        let mut test = match Pair::connect(&self.test) {
            Ok(c) => c,
            Err(e) => {
                let step = Step {
                    args: vec![b"PING".to_vec()],
                    expected: Reply::status("PONG"),
                    got: Reply::Error(format!("<no connection: {e}>")),
                    same: false,
                    check: Check::Rules,
                    setup: false,
                };
                return Outcome {
                    steps: vec![step],
                    failed_after: Some(0),
                };
            }
        };
        let rules = self.rules;
        let mut steps: Vec<Step> = Vec::new();
        // The second client's connections (`OTHER_CLIENT`), opened on first use.
        let mut others: Option<(Conn, Conn)> = None;
        let mut exchange =
            |steps: &mut Vec<Step>, args: Vec<Vec<u8>>, setup: bool, check: Check| -> bool {
                let other = args.first().is_some_and(|a| a == OTHER_CLIENT.as_bytes());
                let sent = if other { &args[1..] } else { &args[..] };
                let (oracle, test) = if other {
                    if others.is_none() {
                        let mut o = Pair::connect(&self.oracle)
                            .unwrap_or_else(|e| panic!("redis-server: {e}"));
                        let mut t = Pair::connect(&self.test)
                            .unwrap_or_else(|e| panic!("{}: {e}", self.test_name));
                        if resp3 {
                            let hello = [b"HELLO".to_vec(), b"3".to_vec()];
                            let _ = ask(&mut o, &hello);
                            let _ = ask(&mut t, &hello);
                        }
                        others = Some((o, t));
                    }
                    let (o, t) = others.as_mut().expect("opened above");
                    (o, t)
                } else {
                    (&mut oracle, &mut test)
                };
                let expected = ask(oracle, sent)
                    .unwrap_or_else(|e| panic!("redis-server, `{}`: {e}", show_command(&args)));
                let (got, same) = match ask(test, sent) {
                    Ok(got) => {
                        let same = check.same(&rules, &args, &expected, &got);
                        (got, same)
                    }
                    Err(e) => (Reply::Error(format!("<no reply: {e}>")), false),
                };
                steps.push(Step {
                    args,
                    expected,
                    got,
                    same,
                    check,
                    setup,
                });
                same
            };
        let base_ms = now_ms();
        let fail = |steps, after| Outcome {
            steps,
            failed_after: Some(after),
        };
        if !exchange(&mut steps, vec![b"FLUSHALL".to_vec()], true, Check::Rules) {
            return fail(steps, 0);
        }
        for reset in rules.reset {
            let args = reset.iter().map(|a| a.as_bytes().to_vec()).collect();
            if !exchange(&mut steps, args, true, Check::Rules) {
                return fail(steps, 0);
            }
        }
        let mut observers = None;
        if rules.events {
            let flags = ["CONFIG", "SET", "notify-keyspace-events", EVENTS_FLAGS];
            let args = flags.iter().map(|a| a.as_bytes().to_vec()).collect();
            if !exchange(&mut steps, args, true, Check::Rules) {
                return fail(steps, 0);
            }
            let oracle_events =
                Observer::open(&self.oracle).unwrap_or_else(|e| panic!("redis-server: {e}"));
            match Observer::open(&self.test) {
                Ok(o) => observers = Some((oracle_events, o)),
                Err(e) => {
                    steps.push(Step {
                        args: vec![b"PSUBSCRIBE".to_vec(), EVENTS_PATTERN.into()],
                        expected: Reply::status("(subscribed)"),
                        got: Reply::Error(format!("<{e}>")),
                        same: false,
                        check: Check::Strict,
                        setup: true,
                    });
                    return fail(steps, 0);
                }
            }
        }
        if resp3
            && !exchange(
                &mut steps,
                vec![b"HELLO".to_vec(), b"3".to_vec()],
                false,
                Check::Rules,
            )
        {
            return fail(steps, 0);
        }
        for (i, cmd) in cmds.iter().enumerate() {
            let resolve = |args: &[Arg]| -> Vec<Vec<u8>> {
                args.iter().map(|a| a.resolve(base_ms)).collect()
            };
            let mut probe = |args: &[Arg]| -> Option<Reply> {
                exchange(&mut steps, resolve(args), false, Check::Rules)
                    .then(|| steps.last().map(|s| s.expected.clone()))
                    .flatten()
            };
            let Some(check) = run_guard(&cmd.guard, &mut probe) else {
                return fail(steps, i + 1);
            };
            let Some(check) = check else {
                continue;
            };
            let args = resolve(&cmd.args);
            let name = upper_name(&args);
            if !exchange(&mut steps, args, false, check) {
                return fail(steps, i + 1);
            }
            if let Some((oracle_events, test_events)) = observers.as_mut() {
                let expected = oracle_events
                    .drain()
                    .unwrap_or_else(|e| panic!("redis-server events: {e}"));
                let got = test_events
                    .drain()
                    .unwrap_or_else(|e| vec![Reply::Error(format!("<{e}>"))]);
                if expected.is_empty() && got.is_empty() {
                    continue;
                }
                let same = expected == got;
                steps.push(Step {
                    args: vec![events_step_name(&name)],
                    expected: Reply::Array(expected),
                    got: Reply::Array(got),
                    same,
                    check: Check::Strict,
                    setup: false,
                });
                if !same {
                    return fail(steps, i + 1);
                }
            }
        }
        Outcome {
            steps,
            failed_after: None,
        }
    }
}

// ---------------------------------------------------------------------------
// Shrinking

/// Delta debugging: removes chunks of `seq` (halving the chunk size down to
/// single items) while `fails` still reports a mismatch, until no single item
/// can go or `deadline` passes.
///
/// `fails(candidate)` returns `Some(n)` if replaying the candidate shows a
/// mismatch after its first `n` items (those after it are then dropped), or
/// `None` if the candidate passes. `seq` is expected to fail; if it does not,
/// it is returned unchanged.
pub fn shrink<T: Clone>(
    seq: Vec<T>,
    mut fails: impl FnMut(&[T]) -> Option<usize>,
    deadline: Instant,
) -> Vec<T> {
    let mut cur = seq;
    match fails(&cur) {
        Some(n) => cur.truncate(n),
        None => return cur,
    }
    let mut chunk = (cur.len() / 2).max(1);
    loop {
        let mut removed = false;
        let mut start = 0;
        while start < cur.len() {
            if Instant::now() >= deadline {
                return cur;
            }
            let end = (start + chunk).min(cur.len());
            let mut cand = cur[..start].to_vec();
            cand.extend_from_slice(&cur[end..]);
            match fails(&cand) {
                Some(n) => {
                    cand.truncate(n);
                    cur = cand;
                    removed = true;
                }
                None => start = end,
            }
        }
        if chunk == 1 && !removed {
            return cur;
        }
        if !removed || chunk > cur.len() {
            chunk = (chunk / 2).max(1);
        }
    }
}

// ---------------------------------------------------------------------------
// Reporting

pub fn env_u64(name: &str) -> Option<u64> {
    let v = env::var(name).ok()?;
    match v.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => panic!("{name}={v:?} is not a number"),
    }
}

fn env_is(name: &str, value: &str) -> bool {
    env::var(name).is_ok_and(|v| v == value)
}

/// Prints the shrunk case, in the compat-case format.
pub fn print_repro(
    pair: &Pair,
    seed: u64,
    resp3: bool,
    original: usize,
    cmds: usize,
    out: &Outcome,
) {
    let size = if original == cmds {
        format!("{cmds} commands")
    } else {
        format!("shrunk from {original} to {cmds} commands")
    };
    println!(
        "=== differential seed {seed} (RESP{}), {size}",
        if resp3 { 3 } else { 2 }
    );
    println!("# expectations are redis-server's replies; absolute times were computed from the run's clock");
    if pair.rules.events {
        println!("# resp2-only: the connection sub reads keyspace events");
        println!("> CONFIG SET notify-keyspace-events {EVENTS_FLAGS}\n+OK");
        println!("sub> PSUBSCRIBE {EVENTS_PATTERN}\n[\"psubscribe\",\"{EVENTS_PATTERN}\",:1]");
    }
    for s in out.steps.iter().filter(|s| !s.setup) {
        if s.args.first().is_some_and(|a| a.starts_with(b"#events:")) {
            print_events(pair, s);
            continue;
        }
        match s.args.split_first() {
            Some((first, rest)) if first == OTHER_CLIENT.as_bytes() => {
                println!("c2> {}", show_command(rest))
            }
            _ => println!("> {}", show_command(&s.args)),
        }
        match s.check {
            Check::Rules => println!("{}", (pair.rules.expectation)(&s.args, &s.expected)),
            Check::Shape => println!("{}", shape_expectation(&s.expected)),
            Check::Strict => println!("{}", render(&s.expected, false)),
        }
        if !s.same {
            println!(
                "# ^ MISMATCH: {} replied {}",
                pair.test_name,
                render(&s.got, false)
            );
        }
    }
    if pair.rules.events {
        println!("> CONFIG SET notify-keyspace-events \"\"\n+OK");
    }
    let changes_config = out
        .steps
        .iter()
        .any(|s| !s.setup && upper_name(&s.args) == "CONFIG");
    if changes_config {
        println!("# the settings back to the defaults:");
        for reset in pair.rules.reset {
            println!("> {}", reset.join(" "));
            println!("+OK");
        }
    }
    if let Some(s) = out.steps.iter().find(|s| s.setup && !s.same) {
        println!(
            "# setup `{}`: redis-server replied {}, {} replied {}",
            show_command(&s.args),
            render(&s.expected, false),
            pair.test_name,
            render(&s.got, false)
        );
    }
}

/// `out.failed_after` if the mismatch is on a command named `name`.
fn same_failure(out: &Outcome, name: &str) -> Option<usize> {
    let last = out.steps.last()?;
    out.failed_after.filter(|_| upper_name(&last.args) == name)
}

/// Prints the keyspace events of a command as reads on the connection `sub`.
fn print_events(pair: &Pair, s: &Step) {
    if let Reply::Array(events) = &s.expected {
        for e in events {
            println!("sub<\n{}", render(e, false));
        }
    }
    if !s.same {
        println!(
            "# ^ MISMATCH: the events of {} were {}",
            pair.test_name,
            render(&s.got, false)
        );
    }
}

/// Reports a mismatching run: shrinks it, prints a repro, and panics.
pub fn fail_run(pair: &mut Pair, seed: u64, resp3: bool, cmds: Vec<Cmd>, first: &Outcome) -> ! {
    report_mismatch(pair, seed, resp3, cmds, first);
    panic!(
        "differential: {} differs from redis-server (seed {seed}, see the repro above)",
        pair.test_name
    );
}

/// Reports a mismatching run: shrinks it and prints a repro.
pub fn report_mismatch(pair: &mut Pair, seed: u64, resp3: bool, cmds: Vec<Cmd>, first: &Outcome) {
    let bad = first.steps.last().expect("a mismatch has a step");
    println!(
        "differential: MISMATCH with seed {seed} (RESP{}) at command {} of {}: `{}`\n  \
         redis-server: {}\n  {}: {}\n  replay with DIFF_SEED={seed}",
        if resp3 { 3 } else { 2 },
        first.failed_after.unwrap_or(0),
        cmds.len(),
        show_command(&bad.args),
        render(&bad.expected, false),
        pair.test_name,
        render(&bad.got, false),
    );
    let original = cmds.len();
    let secs = env_u64("DIFF_SHRINK_SECS").unwrap_or(5);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut replays = 0usize;
    // A candidate fails only if it fails on a command of the same name, so
    // the shrinking cannot wander off to another mismatch.
    let name = upper_name(&bad.args);
    let shrunk = shrink(
        cmds,
        |cand| {
            replays += 1;
            pair.revive();
            same_failure(&pair.replay(cand, resp3), &name)
        },
        deadline,
    );
    // A RESP3 mismatch that shows in RESP2 too is shown in RESP2 (no HELLO).
    pair.revive();
    let resp3 = resp3 && same_failure(&pair.replay(&shrunk, false), &name).is_none();
    pair.revive();
    let last = pair.replay(&shrunk, resp3);
    println!(
        "differential: shrinking took {replays} replays in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if last.failed_after.is_some() {
        print_repro(pair, seed, resp3, original, shrunk.len(), &last);
    } else {
        println!(
            "differential: the mismatch did not reproduce on replay (flaky?); the failing run:"
        );
        print_repro(pair, seed, resp3, original, original, first);
    }
}

// ---------------------------------------------------------------------------
// The test loop

/// The commands left out of the sequences (`DIFF_EXCLUDE`).
struct Exclude(Vec<String>);

impl Exclude {
    fn from_env() -> Exclude {
        let texts = env::var("DIFF_EXCLUDE").unwrap_or_default();
        Exclude(
            texts
                .split('|')
                .filter(|t| !t.is_empty())
                .map(|t| t.to_ascii_lowercase())
                .collect(),
        )
    }

    fn excludes(&self, cmd: &Cmd) -> bool {
        if self.0.is_empty() {
            return false;
        }
        let args: Vec<Vec<u8>> = cmd.args.iter().map(|a| a.resolve(0)).collect();
        let line = show_command(&args).to_ascii_lowercase();
        self.0.iter().any(|t| line.contains(t.as_str()))
    }
}

/// The server under test: a second redis-server with `DIFF_AGAINST=redis`, the
/// binary named by `DIFF_FERRODIS` if set, else the crate's own ferrodis.
fn spawn_tested(args: &[&str]) -> (Server, &'static str, Option<TempDir>) {
    if env_is("DIFF_AGAINST", "redis") {
        let s = Server::redis(args).expect("redis-server");
        return (s, "redis-server (DIFF_AGAINST=redis)", None);
    }
    match env::var("DIFF_FERRODIS") {
        Ok(bin) if !bin.is_empty() => {
            assert!(
                Path::new(&bin).exists(),
                "DIFF_FERRODIS={bin}: no such file"
            );
            let dir = TempDir::new("ferrodis-diff");
            let s = Server::spawn_in(&bin, dir.path(), args).unwrap_or_else(|e| panic!("{e}"));
            (s, "ferrodis (DIFF_FERRODIS)", Some(dir))
        }
        _ => (Server::ferrodis(args), "ferrodis", None),
    }
}

/// Runs generated sequences against redis-server and the tested server until
/// the time budget is spent, failing (with a shrunk repro) on the first
/// mismatch. `generate(seed)` gives whether the run is in RESP3, and its
/// commands.
///
/// Environment:
/// - `DIFF_SECS=n`: time budget of the run (default 8 s, spawning included);
/// - `DIFF_SEED=n`: replay that one seed only (the seed of a failure is printed);
/// - `DIFF_AGAINST=redis`: compare two redis-servers (self-check of the harness:
///   it must never fail, else the normalisation is wrong);
/// - `DIFF_FERRODIS=path`: test that ferrodis binary instead of the crate's
///   (e.g. one built on another branch);
/// - `DIFF_TRACE=1`: print every run as a compat case (redis's replies as the
///   expectations), e.g. to check the printing against the compat runner;
/// - `DIFF_SHRINK_SECS=n`: time budget of the shrinking (default 5 s);
/// - `DIFF_KEEP_GOING=1`: after a mismatch (shrunk and printed), go on with the
///   next seed; the test fails at the end if there was any (for triage);
/// - `DIFF_EXCLUDE=text|text...`: leave out of every sequence the commands whose
///   line (as printed in a repro) contains one of the texts, ignoring ASCII
///   case (for triage: a known mismatch then stops hiding the next ones);
/// - `REQUIRE_REDIS=1`: fail instead of skipping when redis-server is missing.
pub fn run(rules: Rules, generate: impl Fn(u64) -> (bool, Vec<Cmd>)) {
    let started = Instant::now();
    let require = env_is("REQUIRE_REDIS", "1");
    let Some(oracle) = Server::redis(&["--enable-debug-command", "local"]) else {
        assert!(
            !require,
            "REQUIRE_REDIS=1 but redis-server is not installed"
        );
        println!(
            "differential: redis-server not installed, skipped (REQUIRE_REDIS=1 makes this fail)"
        );
        return;
    };
    let (test, test_name, test_dir) = spawn_tested(&["--enable-debug-command", "local"]);
    disable_active_expire(&oracle);
    disable_active_expire(&test);
    let mut pair = Pair {
        oracle,
        test,
        test_name,
        trace: env_is("DIFF_TRACE", "1"),
        rules,
        _test_dir: test_dir,
    };
    let budget = Duration::from_secs(env_u64("DIFF_SECS").unwrap_or(8));
    let fixed = env_u64("DIFF_SEED");
    let first_seed = fixed.unwrap_or_else(|| {
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        (t ^ (u64::from(std::process::id()) << 32)) % 1_000_000_000
    });
    println!(
        "differential: against {test_name}, seeds from {first_seed}{}",
        if fixed.is_some() { " (DIFF_SEED)" } else { "" }
    );
    let keep_going = env_is("DIFF_KEEP_GOING", "1");
    let exclude = Exclude::from_env();
    let (mut runs, mut commands, mut errors, mut resp3_runs) = (0u64, 0usize, 0usize, 0u64);
    let mut mismatches: Vec<u64> = Vec::new();
    loop {
        let seed = first_seed.wrapping_add(runs);
        let (resp3, mut cmds) = generate(seed);
        cmds.retain(|c| !exclude.excludes(c));
        let out = pair.replay(&cmds, resp3);
        runs += 1;
        resp3_runs += u64::from(resp3);
        commands += out.steps.iter().filter(|s| !s.setup).count();
        errors += out
            .steps
            .iter()
            .filter(|s| !s.setup && s.expected.is_error())
            .count();
        if pair.trace {
            print_repro(&pair, seed, resp3, cmds.len(), cmds.len(), &out);
        }
        if out.failed_after.is_some() && keep_going {
            mismatches.push(seed);
            report_mismatch(&mut pair, seed, resp3, cmds, &out);
            pair.revive();
        } else if out.failed_after.is_some() {
            println!(
                "differential: {commands} commands executed in {runs} runs before the mismatch"
            );
            fail_run(&mut pair, seed, resp3, cmds, &out);
        }
        if fixed.is_some() || started.elapsed() >= budget {
            break;
        }
    }
    assert!(
        mismatches.is_empty(),
        "differential: {} differs from redis-server in {} of {runs} runs (seeds {mismatches:?}, \
         see the repros above)",
        pair.test_name,
        mismatches.len()
    );
    println!(
        "differential: {commands} commands ({errors} of them error replies) in {runs} runs \
         ({resp3_runs} in RESP3), seeds {first_seed}..={}, {:.1} s, no mismatch against {test_name}",
        first_seed.wrapping_add(runs - 1),
        started.elapsed().as_secs_f64()
    );
}

/// A reply with every aggregate in it sorted, at every depth: how the
/// generators compare EXEC replies that differ as sent (a shrunk sequence
/// may lose an EXEC, and then the commands after its MULTI are queued,
/// hash-order ones included).
pub fn deep_sorted(r: &Reply) -> Reply {
    let sort = |v: &[Reply]| {
        let mut v: Vec<Reply> = v.iter().map(deep_sorted).collect();
        v.sort_by_cached_key(|e| render(e, true));
        v
    };
    match r {
        Reply::Array(v) => Reply::Array(sort(v)),
        Reply::Set(v) => Reply::Set(sort(v)),
        Reply::Map(m) => {
            let mut m: Vec<(Reply, Reply)> = m
                .iter()
                .map(|(k, v)| (deep_sorted(k), deep_sorted(v)))
                .collect();
            m.sort_by_cached_key(|(k, v)| (render(k, true), render(v, true)));
            Reply::Map(m)
        }
        _ => r.clone(),
    }
}
