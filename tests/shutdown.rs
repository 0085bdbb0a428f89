//! SHUTDOWN for real: the process exits with status 0 and the client sees its
//! connection closed. SHUTDOWN SAVE (and SIGTERM with save points) writes the
//! dump file first, which the next start loads; a save that fails refuses the
//! shutdown, unless FORCE is given. A failed BGSAVE with save points makes
//! writes and PING fail with MISCONF, as Redis.

mod support;

use std::io::ErrorKind;
use std::process::{Command, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

use support::server::{spawn_unready, Spawned, TempDir};
use support::{Conn, Reply};

fn spawn(dir: &TempDir) -> (Spawned, Conn) {
    spawn_with(dir, "")
}

/// `spawn` with the given `save` points.
fn spawn_with(dir: &TempDir, save: &str) -> (Spawned, Conn) {
    spawn_at(dir.path(), save)
}

/// `spawn_with` in any directory.
fn spawn_at(dir: &std::path::Path, save: &str) -> (Spawned, Conn) {
    let (child, addr) = spawn_unready(dir, &["--save", save]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(mut c) = Conn::connect(&addr) {
            if c.send(&["PING"]).is_ok() && c.read_reply().is_ok() {
                return (child, c);
            }
        }
        assert!(Instant::now() < deadline, "ferrodis did not start");
        thread::sleep(Duration::from_millis(20));
    }
}

/// Waits (at most 10 s) for the process to exit.
fn wait_exit(child: &mut Spawned) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.0.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            panic!("ferrodis did not exit after SHUTDOWN");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn assert_closed(c: &mut Conn) {
    match c.read_reply() {
        Err(e) => assert!(
            matches!(
                e.kind(),
                ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset
            ),
            "unexpected error {e}"
        ),
        Ok(r) => panic!("expected the connection closed, got {r:?}"),
    }
}

#[test]
fn shutdown_nosave_exits_zero_and_closes_the_connection() {
    let dir = TempDir::new("shutdown");
    let (mut child, mut c) = spawn(&dir);
    c.send(&["SET", "k", "v"]).unwrap();
    assert_eq!(c.read_reply().unwrap(), Reply::ok());
    c.send(&["SHUTDOWN", "NOSAVE"]).unwrap();
    assert_closed(&mut c);
    assert!(wait_exit(&mut child).success());
}

fn get(c: &mut Conn, key: &str) -> Reply {
    c.send(&["GET", key]).unwrap();
    c.read_reply().unwrap()
}

#[test]
fn shutdown_save_writes_the_dump_that_the_next_start_loads() {
    let dir = TempDir::new("shutdown-save");
    let (mut child, mut c) = spawn(&dir);
    c.send(&["SET", "k", "v"]).unwrap();
    assert_eq!(c.read_reply().unwrap(), Reply::ok());
    c.send(&["SHUTDOWN", "SAVE"]).unwrap();
    assert_closed(&mut c);
    assert!(wait_exit(&mut child).success());
    assert!(dir.path().join("dump.rdb").exists());
    let (_child, mut c) = spawn(&dir);
    assert_eq!(get(&mut c, "k"), Reply::bulk("v"));
}

#[test]
fn sigterm_saves_only_with_save_points() {
    let dir = TempDir::new("sigterm-save");
    for (save, kept) in [("", false), ("3600 1", true)] {
        let _ = std::fs::remove_file(dir.path().join("dump.rdb"));
        let (mut child, mut c) = spawn_with(&dir, save);
        c.send(&["SET", "k", "v"]).unwrap();
        assert_eq!(c.read_reply().unwrap(), Reply::ok());
        let pid = child.0.id().to_string();
        let st = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(st.success());
        assert!(wait_exit(&mut child).success());
        assert_eq!(dir.path().join("dump.rdb").exists(), kept, "save {save:?}");
    }
}

#[test]
fn shutdown_save_is_refused_when_the_save_fails_unless_forced() {
    let dir = TempDir::new("shutdown-save-fails");
    let (mut child, mut c) = spawn(&dir);
    // A directory named like the dump file: the rename into place fails.
    std::fs::create_dir(dir.path().join("dump.rdb")).unwrap();
    std::fs::write(dir.path().join("dump.rdb").join("x"), b"x").unwrap();
    c.send(&["SHUTDOWN", "SAVE"]).unwrap();
    assert_eq!(
        c.read_reply().unwrap(),
        Reply::error("ERR Errors trying to SHUTDOWN. Check logs.")
    );
    c.send(&["PING"]).unwrap();
    assert_eq!(c.read_reply().unwrap(), Reply::status("PONG"));
    assert!(child.0.try_wait().unwrap().is_none(), "still running");
    c.send(&["SHUTDOWN", "SAVE", "FORCE"]).unwrap();
    assert_closed(&mut c);
    assert!(wait_exit(&mut child).success());
    // No temp file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["dump.rdb".to_string()]);
}

/// Redis 7.0.15's replies, checked by hand in the same situation (its
/// directory removed, save points set, a BGSAVE that fails).
const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

#[test]
fn a_failed_bgsave_refuses_writes_and_ping() {
    let dir = TempDir::new("misconf");
    let sub = dir.path().join("data");
    std::fs::create_dir(&sub).unwrap();
    let (mut child, mut c) = spawn_at(&sub, "3600 1");
    std::fs::remove_dir(&sub).unwrap();
    assert_eq!(c.cmd(&["SET", "a", "1"]), Reply::ok());
    assert_eq!(
        c.cmd(&["BGSAVE"]),
        Reply::status("Background saving started")
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info = match c.cmd(&["INFO", "persistence"]) {
            Reply::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
            r => panic!("INFO: {r:?}"),
        };
        if info.contains("rdb_bgsave_in_progress:0") {
            assert!(info.contains("rdb_last_bgsave_status:err"), "{info}");
            break;
        }
        assert!(Instant::now() < deadline, "the BGSAVE did not end");
        thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(c.cmd(&["SET", "a", "2"]), Reply::error(MISCONF));
    assert_eq!(c.cmd(&["PING"]), Reply::error(MISCONF));
    assert_eq!(c.cmd(&["GET", "a"]), Reply::bulk("1"));
    assert_eq!(c.cmd(&["SAVE"]), Reply::error("ERR"));
    c.send(&["SHUTDOWN", "NOSAVE"]).unwrap();
    assert_closed(&mut c);
    assert!(wait_exit(&mut child).success());
}
