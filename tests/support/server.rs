//! Servers for the integration tests to talk to.
//!
//! `Server::ferrodis` spawns the crate's own binary (`CARGO_BIN_EXE_ferrodis`) on
//! a free 127.0.0.1 port, `Server::redis` spawns a real `redis-server` from PATH
//! the same way (for tests that compare the two), and `Server::external` wraps a
//! server someone else runs. A spawned server runs in its own temporary working
//! directory (so dump files never land in the repository), writes stdout and
//! stderr to `server.log` there, is waited on until it answers PING, and is
//! killed when the `Server` is dropped. If the test is panicking at that point
//! the log is printed, so a failure shows what the server said.

use std::fs::{self, File};
use std::io;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::resp::{Conn, Reply};

/// How long a spawned server may take to answer PING.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);

/// How many times a server that exits at startup because its port was taken is
/// retried on another port.
const START_ATTEMPTS: usize = 3;

/// Lines of the server log shown on failure.
const LOG_TAIL_LINES: usize = 80;

/// A directory under the system temp dir, removed (with its contents) on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `<tmp>/ferrodis-test-<tag>-<pid>-<n>-<nanos>`.
    pub fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "ferrodis-test-{tag}-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// A server under test: spawned by us (killed on drop) or external.
pub struct Server {
    /// `127.0.0.1:<port>` (or whatever `external` was given).
    pub addr: String,
    child: Option<Child>,
    program: String,
    args: Vec<String>,
    /// Working directory of a spawned server (holds `server.log`).
    dir: Option<PathBuf>,
    /// Set when the working directory is ours to delete.
    _own_dir: Option<TempDir>,
}

impl Server {
    /// Spawns the crate's `ferrodis` binary in a fresh temporary directory with
    /// `--port <free> --bind 127.0.0.1 --save ""` followed by `extra_args`.
    /// Panics (showing the server log) if it does not answer PING within 10 s.
    pub fn ferrodis(extra_args: &[&str]) -> Server {
        let dir = TempDir::new("ferrodis");
        let path = dir.path().to_path_buf();
        let mut s = Server::spawn_in(env!("CARGO_BIN_EXE_ferrodis"), &path, extra_args)
            .unwrap_or_else(|e| panic!("{e}"));
        s._own_dir = Some(dir);
        s
    }

    /// Like `ferrodis`, but runs in `dir` (kept after drop), e.g. to restart a
    /// server on the files a previous one wrote.
    pub fn ferrodis_in(dir: &Path, extra_args: &[&str]) -> Server {
        Server::spawn_in(env!("CARGO_BIN_EXE_ferrodis"), dir, extra_args)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Spawns `redis-server` from PATH like `ferrodis` does; `None` if it is not
    /// installed. Panics if it is installed but does not start.
    pub fn redis(extra_args: &[&str]) -> Option<Server> {
        if !redis_installed() {
            return None;
        }
        let dir = TempDir::new("redis");
        let path = dir.path().to_path_buf();
        let mut s =
            Server::spawn_in("redis-server", &path, extra_args).unwrap_or_else(|e| panic!("{e}"));
        s._own_dir = Some(dir);
        Some(s)
    }

    /// Wraps a server that is already running at `addr`; nothing is spawned or killed.
    pub fn external(addr: &str) -> Server {
        Server {
            addr: addr.to_string(),
            child: None,
            program: String::new(),
            args: Vec::new(),
            dir: None,
            _own_dir: None,
        }
    }

    /// Spawns `program --port <free> --bind 127.0.0.1 --save "" extra_args...`
    /// with `dir` as its working directory and waits until it answers PING.
    /// Retries on another port if the server exits saying its port is in use.
    /// On failure the error message includes the server's log.
    pub fn spawn_in(program: &str, dir: &Path, extra_args: &[&str]) -> Result<Server, String> {
        let mut s = Server {
            addr: String::new(),
            child: None,
            program: program.to_string(),
            args: extra_args.iter().map(|a| a.to_string()).collect(),
            dir: Some(dir.to_path_buf()),
            _own_dir: None,
        };
        s.start()?;
        Ok(s)
    }

    /// Starts the (stopped or never started) spawned server again with the same
    /// program, arguments and directory, on a new free port (`addr` changes).
    pub fn restart(&mut self) {
        assert!(
            self.dir.is_some(),
            "restart: {} is an external server",
            self.addr
        );
        self.kill();
        if let Err(e) = self.start() {
            panic!("{e}");
        }
    }

    fn start(&mut self) -> Result<(), String> {
        let dir = self.dir.clone().expect("spawned server has a directory");
        let log_path = dir.join("server.log");
        let mut last_err = String::new();
        for _ in 0..START_ATTEMPTS {
            let port = free_port().map_err(|e| format!("picking a free port: {e}"))?;
            let log = File::options()
                .create(true)
                .append(true)
                .open(&log_path)
                .map_err(|e| format!("opening {}: {e}", log_path.display()))?;
            let log2 = log.try_clone().map_err(|e| e.to_string())?;
            let port_s = port.to_string();
            let mut cmd = Command::new(&self.program);
            cmd.args(["--port", &port_s, "--bind", "127.0.0.1", "--save", ""])
                .args(&self.args)
                .current_dir(&dir)
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(log2);
            let child = cmd
                .spawn()
                .map_err(|e| format!("spawning {}: {e}", self.program))?;
            self.child = Some(child);
            self.addr = format!("127.0.0.1:{port}");
            match self.wait_ready() {
                Ok(()) => return Ok(()),
                Err(e) => {
                    let log = self.log();
                    let in_use = self.has_exited() && log.to_lowercase().contains("in use");
                    self.kill();
                    last_err = format!(
                        "{} {} did not start: {e}\n--- {} ---\n{}",
                        self.program,
                        self.args.join(" "),
                        log_path.display(),
                        tail(&log, LOG_TAIL_LINES)
                    );
                    if !in_use {
                        break;
                    }
                }
            }
        }
        Err(last_err)
    }

    /// Polls until a fresh connection gets `+PONG`, the child exits, or time runs out.
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        let mut last = String::from("no attempt");
        while Instant::now() < deadline {
            if let Some(status) = self.exit_status() {
                return Err(format!("it exited with {status}"));
            }
            match ping(&self.addr, Duration::from_secs(1)) {
                Ok(Reply::Status(s)) if s == "PONG" => return Ok(()),
                Ok(other) => last = format!("PING got {other}"),
                Err(e) => last = e.to_string(),
            }
            thread::sleep(Duration::from_millis(25));
        }
        Err(format!(
            "no PONG from {} within {START_TIMEOUT:?} (last: {last})",
            self.addr
        ))
    }

    /// The port of `addr`.
    pub fn port(&self) -> u16 {
        self.addr
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {}", self.addr))
    }

    /// A new connection; panics if it cannot connect.
    pub fn conn(&self) -> Conn {
        Conn::connect(&self.addr).unwrap_or_else(|e| panic!("connecting to {}: {e}", self.addr))
    }

    /// Working directory of a spawned server.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Process id of a spawned, not yet reaped server.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Everything the spawned server wrote to stdout/stderr so far ("" if external).
    pub fn log(&self) -> String {
        match &self.dir {
            Some(d) => fs::read_to_string(d.join("server.log")).unwrap_or_default(),
            None => String::new(),
        }
    }

    /// The exit status if the spawned server has exited (reaping it), else `None`.
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// True if the spawned server process has exited (false for external servers).
    pub fn has_exited(&mut self) -> bool {
        self.exit_status().is_some()
    }

    /// True if the server answers PING within `wait` (and, if spawned, is running).
    pub fn is_responding(&mut self, wait: Duration) -> bool {
        !self.has_exited() && ping(&self.addr, wait).is_ok_and(|r| r == Reply::status("PONG"))
    }

    /// Waits up to `timeout` for the spawned server to exit by itself (e.g. after
    /// SHUTDOWN); returns its status, or `None` if it is still running.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(s) = self.exit_status() {
                return Some(s);
            }
            if self.child.is_none() || Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM to the spawned server (graceful shutdown) and waits up to
    /// `timeout` for it to exit; returns its status, or `None` if still running.
    pub fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let pid = self.pid()?;
        if self.exit_status().is_none() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        self.wait_exit(timeout)
    }

    /// Kills (SIGKILL) and reaps the spawned server; does nothing if external or
    /// already stopped.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if thread::panicking() {
            if let Some(d) = &self.dir {
                eprintln!(
                    "--- {} log ({}), last {LOG_TAIL_LINES} lines ---\n{}",
                    self.program,
                    d.join("server.log").display(),
                    tail(&self.log(), LOG_TAIL_LINES)
                );
            }
        }
    }
}

/// A ferrodis process started by `spawn_unready`: killed (and reaped) on drop
/// if still running.
pub struct Spawned(pub Child);

impl Drop for Spawned {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// Starts the crate's ferrodis with `--port <free> --bind 127.0.0.1` and
/// `args` in `dir`, output discarded, and returns at once with its address:
/// for tests that watch what a client sees before the server answers PING
/// (a load at start) or that wait for the process to exit (SHUTDOWN).
pub fn spawn_unready(dir: &Path, args: &[&str]) -> (Spawned, String) {
    let port = free_port().expect("free port").to_string();
    let child = Command::new(env!("CARGO_BIN_EXE_ferrodis"))
        .args(["--port", &port, "--bind", "127.0.0.1"])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn ferrodis");
    (Spawned(child), format!("127.0.0.1:{port}"))
}

/// A port nobody listens on right now: bind port 0, read it back, release it.
pub fn free_port() -> io::Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// Whether `redis-server` can be run from PATH.
pub fn redis_installed() -> bool {
    Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Connects to `addr` and sends PING, waiting at most `wait` for the reply.
pub fn ping(addr: &str, wait: Duration) -> io::Result<Reply> {
    let mut c = Conn::connect(addr)?;
    c.set_timeout(wait)?;
    c.send(&["PING"])?;
    c.read_reply()
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
