//! Redis's own command-line tools against ferrodis: `redis-cli` in its special
//! modes (`--stat`, `--latency`, `--bigkeys`, `--memkeys`, `--scan`, `-r`,
//! `--no-raw`) and `redis-benchmark`. These tools are real clients with their
//! own expectations of the replies (INFO fields, SCAN cursors, TYPE/STRLEN,
//! MEMORY USAGE, CONFIG GET), so they catch differences the case files miss.
//!
//! Every tool run is bounded: modes that never end by themselves (`--stat`,
//! `--latency`) are killed after about a second, and everything else is killed
//! (and fails the test) if it takes longer than `TOOL_TIMEOUT`. The tests are
//! skipped, printing why, when the tools are not installed, unless
//! `REQUIRE_REDIS=1`. `TOOLS_TARGET=redis cargo test --test tools` runs the
//! same checks against a spawned real redis-server, which is how they were
//! proved to be Redis's behaviour.

mod support;

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use support::{Reply, Server};

/// Longest a tool that should finish by itself may run.
const TOOL_TIMEOUT: Duration = Duration::from_secs(60);

fn against_redis() -> bool {
    std::env::var("TOOLS_TARGET").is_ok_and(|v| v == "redis")
}

/// The server under test.
fn spawn() -> Server {
    if against_redis() {
        Server::redis(&[]).expect("TOOLS_TARGET=redis but redis-server is not installed")
    } else {
        Server::ferrodis(&[])
    }
}

/// Whether `program` runs (`program --version`); if not, prints why the test
/// is skipped, or panics when `REQUIRE_REDIS=1`.
fn have(program: &str, test: &str) -> bool {
    let ok = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var("REQUIRE_REDIS").as_deref() == Ok("1") {
            panic!("REQUIRE_REDIS=1 but {program} is not installed");
        }
        println!("skipped {test}: {program} is not installed");
    }
    ok
}

/// What a bounded tool run produced.
struct Run {
    stdout: String,
    stderr: String,
    /// `None` if the run was killed when its time was up.
    status: Option<ExitStatus>,
}

impl Run {
    fn all(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout, self.stderr
        )
    }

    /// Panics unless the tool exited by itself with status 0.
    fn assert_success(&self, what: &str) {
        match self.status {
            Some(s) if s.success() => {}
            Some(s) => panic!("{what} exited with {s}\n{}", self.all()),
            None => panic!(
                "{what} did not finish within {TOOL_TIMEOUT:?}\n{}",
                self.all()
            ),
        }
    }
}

/// Reads a pipe to the end on a thread (so a full pipe never blocks the tool).
fn drain(mut r: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Runs `program args` for at most `limit`, killing it then (the normal end
/// for endless modes such as `--stat`; `status` is then `None`).
fn run_for(program: &str, args: &[&str], limit: Duration) -> Run {
    let mut child: Child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {program}: {e}"));
    let out = drain(child.stdout.take().expect("piped"));
    let err = drain(child.stderr.take().expect("piped"));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break Some(s);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(10));
    };
    Run {
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
        status,
    }
}

/// `redis-cli -p <port> args...`, which must finish by itself.
fn cli(server: &Server, args: &[&str]) -> Run {
    let port = server.port().to_string();
    let mut all = vec!["-p", port.as_str()];
    all.extend_from_slice(args);
    let r = run_for("redis-cli", &all, TOOL_TIMEOUT);
    r.assert_success(&format!("redis-cli {}", all.join(" ")));
    r
}

fn ok(r: Reply) {
    assert_eq!(r, Reply::ok());
}

/// A number as redis-cli --stat shows memory: digits, optional fraction, a
/// unit letter (`452.00K`, `1.02M`, `980B`).
fn is_mem(s: &str) -> bool {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    s.len() > digits.len() && digits.parse::<f64>().is_ok()
}

#[test]
fn stat_prints_a_header_and_numeric_rows() {
    // redis-cli --stat writes through stdio buffers that are lost when it is
    // killed; stdbuf makes its stdout line-buffered.
    if !have("redis-cli", "stat") || !have("stdbuf", "stat") {
        return;
    }
    let server = spawn();
    let mut c = server.conn();
    for k in ["a", "b", "c"] {
        ok(c.cmd(&["SET", k, "v"]));
    }
    drop(c); // so redis-cli is the only client
    let port = server.port().to_string();
    let run = run_for(
        "stdbuf",
        &["-oL", "redis-cli", "-p", &port, "--stat", "-i", "0.1"],
        Duration::from_millis(1000),
    );
    assert!(
        run.status.is_none(),
        "--stat ended by itself\n{}",
        run.all()
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines.len() >= 5, "too few lines\n{}", run.all());
    assert!(
        lines[0].starts_with("------- data ------") && lines[0].contains(" load "),
        "first header line: {:?}",
        lines[0]
    );
    let titles: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        titles,
        [
            "keys",
            "mem",
            "clients",
            "blocked",
            "requests",
            "connections"
        ]
    );
    let mut last_requests = 0u64;
    for row in &lines[2..] {
        let f: Vec<&str> = row.split_whitespace().collect();
        // keys mem clients blocked requests (+delta) connections
        assert_eq!(f.len(), 7, "row {row:?}\n{}", run.all());
        assert_eq!(f[0], "3", "keys in row {row:?}");
        assert!(is_mem(f[1]), "mem in row {row:?}");
        assert_eq!(f[2], "1", "clients in row {row:?}");
        assert_eq!(f[3], "0", "blocked in row {row:?}");
        let requests: u64 = f[4].parse().unwrap_or_else(|_| panic!("row {row:?}"));
        assert!(requests >= last_requests, "requests went down: {row:?}");
        last_requests = requests;
        let delta = f[5]
            .strip_prefix("(+")
            .and_then(|d| d.strip_suffix(')'))
            .and_then(|d| d.parse::<u64>().ok());
        assert!(delta.is_some(), "delta in row {row:?}");
        assert!(f[6].parse::<u64>().is_ok(), "connections in row {row:?}");
    }
}

/// `min: A, max: B, avg: C (N samples)` as (A, B, C, N).
fn parse_latency(s: &str) -> Option<(u64, u64, f64, u64)> {
    let s = s.trim();
    let rest = s.strip_prefix("min: ")?;
    let (min, rest) = rest.split_once(", max: ")?;
    let (max, rest) = rest.split_once(", avg: ")?;
    let (avg, rest) = rest.split_once(" (")?;
    let n = rest.strip_suffix(" samples)")?;
    Some((
        min.parse().ok()?,
        max.parse().ok()?,
        avg.parse().ok()?,
        n.parse().ok()?,
    ))
}

#[test]
fn latency_reports_min_max_avg() {
    if !have("redis-cli", "latency") {
        return;
    }
    let server = spawn();
    let port = server.port().to_string();
    // --no-raw: the human format even though stdout is a pipe.
    let run = run_for(
        "redis-cli",
        &["-p", &port, "--no-raw", "--latency", "-i", "1"],
        Duration::from_millis(1500),
    );
    assert!(
        run.status.is_none(),
        "--latency ended by itself\n{}",
        run.all()
    );
    // Each update starts with "ESC[0G ESC[2K" (back to column 0, clear line).
    let updates: Vec<(u64, u64, f64, u64)> = run
        .stdout
        .split(['\x1b', '\n'])
        .map(|s| s.trim_start_matches("[0G").trim_start_matches("[2K"))
        .filter(|s| !s.trim().is_empty())
        .map(|s| parse_latency(s).unwrap_or_else(|| panic!("bad line {s:?}\n{}", run.all())))
        .collect();
    let &(min, max, avg, n) = updates.last().expect("no latency line");
    assert!(n >= 1, "{}", run.all());
    assert!(
        min <= max && min as f64 <= avg && avg <= max as f64,
        "{}",
        run.all()
    );
    assert!(max < 1000, "a PING took a second or more\n{}", run.all());
}

#[test]
fn bigkeys_finds_the_biggest_string() {
    if !have("redis-cli", "bigkeys") {
        return;
    }
    let server = spawn();
    let mut c = server.conn();
    ok(c.cmd(&["SET", "small", "abc"]));
    ok(c.cmd(&["SET", "big", &"x".repeat(100)]));
    ok(c.cmd(&["SET", "num", "12345"]));
    let run = cli(&server, &["--bigkeys"]);
    for want in [
        "Biggest string found '\"big\"' has 100 bytes",
        "Sampled 3 keys in the keyspace!",
        "Total key length in bytes is 11 (avg len 3.67)",
        "3 strings with 108 bytes (100.00% of keys, avg size 36.00)",
        "0 lists with 0 items (00.00% of keys, avg size 0.00)",
    ] {
        assert!(run.stdout.contains(want), "missing {want:?}\n{}", run.all());
    }
    assert!(run.stderr.trim().is_empty(), "{}", run.all());
}

#[test]
fn memkeys_uses_memory_usage() {
    if !have("redis-cli", "memkeys") {
        return;
    }
    let server = spawn();
    let mut c = server.conn();
    ok(c.cmd(&["SET", "small", "abc"]));
    ok(c.cmd(&["SET", "big", &"x".repeat(1000)]));
    let usage = match c.cmd(&["MEMORY", "USAGE", "big"]) {
        Reply::Int(n) => n,
        Reply::Error(e) if e.starts_with("ERR unknown command") => {
            println!("skipped memkeys: the server has no MEMORY command yet ({e})");
            return;
        }
        other => panic!("MEMORY USAGE big: {other}"),
    };
    let run = cli(&server, &["--memkeys"]);
    let want = format!("Biggest string found '\"big\"' has {usage} bytes");
    assert!(
        run.stdout.contains(&want),
        "missing {want:?}\n{}",
        run.all()
    );
    assert!(
        run.stdout.contains("Sampled 2 keys in the keyspace!"),
        "{}",
        run.all()
    );
    assert!(
        !run.stderr.contains("Warning"),
        "MEMORY USAGE failed for a key\n{}",
        run.all()
    );
}

#[test]
fn scan_with_a_pattern_lists_exactly_the_matching_keys() {
    if !have("redis-cli", "scan") {
        return;
    }
    let server = spawn();
    let mut c = server.conn();
    // Enough keys that redis-cli needs several SCAN calls (COUNT 10 each).
    let mut want: Vec<String> = (0..120).map(|i| format!("k{i}")).collect();
    want.push("k".into());
    let mut mset: Vec<String> = vec!["MSET".into()];
    for k in want
        .iter()
        .chain(["other", "xk", "K1"].map(String::from).iter())
    {
        mset.push(k.clone());
        mset.push("v".into());
    }
    ok(c.cmd(&mset));
    let run = cli(&server, &["--scan", "--pattern", "k*"]);
    let mut got: Vec<&str> = run.stdout.lines().collect();
    got.sort_unstable();
    let dups = got.windows(2).any(|w| w[0] == w[1]);
    got.dedup();
    want.sort_unstable();
    assert_eq!(got, want, "{}", run.all());
    assert!(!dups, "a key was listed twice\n{}", run.all());
}

#[test]
fn repeat_and_no_raw() {
    if !have("redis-cli", "repeat") {
        return;
    }
    let server = spawn();
    let mut c = server.conn();
    ok(c.cmd(&["SET", "k", "v"]));
    assert_eq!(
        cli(&server, &["-r", "3", "PING"]).stdout,
        "PONG\nPONG\nPONG\n"
    );
    assert_eq!(cli(&server, &["--no-raw", "GET", "k"]).stdout, "\"v\"\n");
    assert_eq!(
        cli(&server, &["--no-raw", "GET", "missing"]).stdout,
        "(nil)\n"
    );
    assert_eq!(cli(&server, &["GET", "k"]).stdout, "v\n");
    assert_eq!(
        cli(&server, &["--no-raw", "INCR", "n"]).stdout,
        "(integer) 1\n"
    );
    assert_eq!(
        cli(&server, &["-r", "2", "--no-raw", "INCR", "n"]).stdout,
        "(integer) 2\n(integer) 3\n"
    );
}

#[test]
fn benchmark_ping_set_get() {
    if !have("redis-benchmark", "benchmark") {
        return;
    }
    let server = spawn();
    let port = server.port().to_string();
    let run = run_for(
        "redis-benchmark",
        &["-p", &port, "-t", "ping,set,get", "-n", "2000", "-q"],
        TOOL_TIMEOUT,
    );
    run.assert_success("redis-benchmark");
    // -q prints progress lines ending in \r, then one result line per test.
    let results: Vec<&str> = run
        .stdout
        .split(['\r', '\n'])
        .filter(|l| l.contains(" requests per second"))
        .map(str::trim)
        .collect();
    let names: Vec<&str> = results
        .iter()
        .map(|l| l.split(':').next().unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        ["PING_INLINE", "PING_MBULK", "SET", "GET"],
        "{}",
        run.all()
    );
    let all = run.all();
    for bad in ["rror", "WARN", "nan requests"] {
        assert!(!all.contains(bad), "{bad:?} in the output\n{all}");
    }
    // SET stored its 3-byte value (-d default) under the literal key.
    let mut c = server.conn();
    let got = c.cmd(&["GET", "key:__rand_int__"]);
    assert_eq!(got.as_bytes().map(<[u8]>::len), Some(3), "GET got {got}");
}
