//! Starting like redis-server: a config file first, then `--name value`
//! arguments; unknown directives are accepted with a logged warning, a malformed
//! value stops the start with an error naming the line. The malformed-value
//! check also runs against a real redis-server when one is installed, so the
//! shape of the error is shown to be Redis's.

mod support;

use std::fs;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use support::server::TempDir;
use support::{Conn, Reply};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Runs `program conf args...` to completion (it is expected to refuse to
/// start) and returns its exit success and everything it printed.
fn run_to_exit(program: &str, conf: &str, args: &[&str]) -> (bool, String) {
    let mut child = Command::new(program)
        .arg(conf)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{program} {conf} did not exit on a bad config");
        }
        thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn malformed_value_stops_the_start_naming_the_line() {
    let dir = TempDir::new("startup-bad");
    let conf = dir.path().join("bad.conf");
    fs::write(&conf, "bind 127.0.0.1\nsave \"\"\nhz abc\n").unwrap();
    let conf = conf.to_str().unwrap();
    let port = free_port().to_string();
    let mut programs = vec![env!("CARGO_BIN_EXE_ferrodis")];
    if Command::new("redis-server")
        .arg("--version")
        .output()
        .is_ok()
    {
        programs.push("redis-server");
    }
    for program in programs {
        let (ok, text) = run_to_exit(program, conf, &["--port", &port]);
        assert!(!ok, "{program} started on a malformed value:\n{text}");
        assert!(
            text.contains("FATAL CONFIG FILE ERROR"),
            "{program}:\n{text}"
        );
        assert!(text.contains("at line 3"), "{program}:\n{text}");
        assert!(text.contains(">>> 'hz abc'"), "{program}:\n{text}");
    }
}

#[test]
fn config_file_then_arguments_and_unknown_directives() {
    let dir = TempDir::new("startup-ok");
    let conf = dir.path().join("ok.conf");
    fs::write(
        &conf,
        "# a comment\nbind 127.0.0.1\nsave \"\"\nhz 20\ndatabases 4\n\
         some-future-directive yes\nmaxmemory-policy allkeys-lru\n",
    )
    .unwrap();
    let port = free_port();
    let log_path = dir.path().join("server.log");
    let log = fs::File::create(&log_path).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrodis"))
        .arg(&conf)
        .args(["--port", &port.to_string(), "--hz", "30"])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("spawn ferrodis");
    let addr = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut conn = loop {
        if let Ok(c) = Conn::connect(&addr) {
            break c;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "ferrodis exited:\n{}",
            fs::read_to_string(&log_path).unwrap_or_default()
        );
        assert!(Instant::now() < deadline, "ferrodis did not start");
        thread::sleep(Duration::from_millis(25));
    };
    // Arguments after the file win over it, as with redis-server.
    assert_eq!(
        conn.cmd(&["CONFIG", "GET", "hz"]),
        Reply::bulks(&["hz", "30"])
    );
    assert_eq!(
        conn.cmd(&["CONFIG", "GET", "maxmemory-policy"]),
        Reply::bulks(&["maxmemory-policy", "allkeys-lru"])
    );
    assert_eq!(
        conn.cmd(&["SELECT", "4"]),
        Reply::error("ERR DB index is out of range")
    );
    assert_eq!(conn.cmd(&["SELECT", "3"]), Reply::ok());
    let _ = child.kill();
    let _ = child.wait();
    let log = fs::read_to_string(&log_path).unwrap_or_default();
    assert!(
        log.contains("some-future-directive"),
        "no warning about the unknown directive in the log:\n{log}"
    );
}
