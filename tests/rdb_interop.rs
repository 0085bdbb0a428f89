//! RDB files and DUMP payloads moved between ferrodis and real redis-server.
//!
//! A data generator (`dataset`) builds every type in every encoding Redis 7.0
//! has (strings int/embstr/raw, LZF-compressible and not, binary, empty;
//! quicklists of one and many nodes; listpack and hashtable hashes; intset and
//! hashtable sets; listpack and skiplist sorted sets with inf/-inf/-0/ties;
//! absolute TTLs; databases 0, 3 and 15; empty and 600-byte keys; and values
//! whose in-memory encoding changes when loaded, e.g. a hashtable hash shrunk
//! below the listpack limits). `snapshot` reads a whole server back (SCAN of
//! every database: TYPE, OBJECT ENCODING, PEXPIRETIME, the content sorted where
//! the type is unordered), and `assert_same` compares two such snapshots.
//!
//! The tests:
//! - Redis -> ferrodis: generate on redis-server, SAVE, start ferrodis and a
//!   second redis-server on that file: ferrodis must hold what Redis holds
//!   after loading it, encodings included.
//! - ferrodis -> Redis: generate on ferrodis, SAVE (or BGSAVE),
//!   `redis-check-rdb` must accept the file, redis-server loads it and must hold
//!   what it holds after loading its own save of the same data; ferrodis
//!   reloading its own file must too.
//! - DUMP/RESTORE both ways for every key, and DUMP payloads compared byte for
//!   byte with Redis's where the encoding fixes the bytes (not hashtable or
//!   skiplist, whose order is the table's), also after a RESTORE of Redis's.
//! - Files compared with Redis's byte for byte where Redis's choices fix the
//!   bytes (`assert_same_layout`), also after loading and saving Redis's file.
//!   (`layout.rs`: the record splitter and these tests.)
//! - DEBUG RELOAD; rdbcompression no / rdbchecksum no / list-compress-depth 1.
//! - `crafted.rs`: a version 9 file in the older layouts Redis 7.0 still
//!   loads (written by `craft.rs`); edge files (empty collections in every
//!   layout) handled as Redis does; a stream or function library refused
//!   clearly; damaged files (truncated, a flipped byte, an unknown type byte,
//!   a bad header, a duplicate key): ferrodis exits non-zero at start, says
//!   which file, never panics.
//!
//! The tests need redis-server (and redis-check-rdb) and are skipped, printing
//! why, when it is not installed, unless `REQUIRE_REDIS=1`.
//! `INTEROP_VERBOSE=1` prints what the server said about each damaged file.
//! `INTEROP_TARGET=redis` runs every test with redis-server in ferrodis's place
//! (both sides Redis), which is how the expectations were proved.

mod support;

#[path = "rdb_interop/craft.rs"]
mod craft;
#[path = "rdb_interop/crafted.rs"]
mod crafted;
#[path = "rdb_interop/dataset.rs"]
mod dataset;
#[path = "rdb_interop/layout.rs"]
mod layout;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use dataset::{all, dataset, strings_only, Cmd, DBS};
use support::resp::render;
use support::server::{free_port, redis_installed, TempDir};
use support::{Conn, Reply, Server};

/// How long a BGSAVE may take before the test gives up.
const SAVE_TIMEOUT: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------

fn redis_is_target() -> bool {
    std::env::var("INTEROP_TARGET").is_ok_and(|v| v == "redis")
}

/// True if redis-server and redis-check-rdb are there; otherwise prints why
/// `test` is skipped, or panics when `REQUIRE_REDIS=1`.
fn have_redis(test: &str) -> bool {
    let check = Command::new("redis-check-rdb")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if redis_installed() && check {
        return true;
    }
    if std::env::var("REQUIRE_REDIS").as_deref() == Ok("1") {
        panic!("REQUIRE_REDIS=1 but redis-server / redis-check-rdb is not installed");
    }
    println!("skipped {test}: redis-server or redis-check-rdb is not installed");
    false
}

/// `--dir <dir> --dbfilename <file>` plus `extra`, as owned strings.
fn file_args(dir: &Path, file: &str, extra: &[&str]) -> Vec<String> {
    fs::create_dir_all(dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
    let mut v = vec![
        "--dir".to_string(),
        dir.display().to_string(),
        "--dbfilename".to_string(),
        file.to_string(),
        "--enable-debug-command".to_string(),
        "local".to_string(),
    ];
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

/// The server under test (redis-server with `INTEROP_TARGET=redis`), with its
/// RDB file at `dir/file`.
fn ferrodis(dir: &Path, file: &str, extra: &[&str]) -> Server {
    let args = file_args(dir, file, extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    if redis_is_target() {
        Server::redis(&args).expect("INTEROP_TARGET=redis but redis-server is not installed")
    } else {
        Server::ferrodis(&args)
    }
}

/// A real redis-server with its RDB file at `dir/file`.
fn redis(dir: &Path, file: &str, extra: &[&str]) -> Server {
    let args = file_args(dir, file, extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Server::redis(&args).expect("redis-server is not installed")
}

/// Name of the server under test, for messages.
fn target_name() -> &'static str {
    if redis_is_target() {
        "redis-server (INTEROP_TARGET=redis)"
    } else {
        "ferrodis"
    }
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

/// Sends `cmds` pipelined in batches and panics on the first error reply.
fn run_all(c: &mut Conn, cmds: &[Cmd], what: &str) {
    for chunk in cmds.chunks(200) {
        for a in chunk {
            c.send(a).unwrap_or_else(|e| panic!("{what}: send: {e}"));
        }
        for a in chunk {
            let r = c
                .read_reply()
                .unwrap_or_else(|e| panic!("{what}: reading the reply to {}: {e}", show_cmd(a)));
            assert!(!r.is_error(), "{what}: {} -> {r}", show_cmd(a));
        }
    }
}

fn show_cmd(a: &Cmd) -> String {
    let mut s: String = a
        .iter()
        .map(|p| support::resp::quote(p))
        .collect::<Vec<_>>()
        .join(" ");
    if s.len() > 160 {
        s.truncate(160);
        s.push_str("...");
    }
    s
}

fn ok(c: &mut Conn, args: &[&str]) {
    let r = c.cmd(args);
    assert_eq!(r, Reply::ok(), "{args:?}");
}

/// Builds the dataset on `c`.
fn generate(c: &mut Conn) {
    generate_only(c, all);
}

/// Builds the part of the dataset whose commands `keep` accepts.
fn generate_only(c: &mut Conn, keep: impl Fn(&Cmd) -> bool) {
    for (db, cmds) in dataset() {
        let cmds: Vec<Cmd> = cmds.into_iter().filter(|a| keep(a)).collect();
        ok(c, &["SELECT", &db.to_string()]);
        run_all(c, &cmds, &format!("generating db {db}"));
    }
    ok(c, &["SELECT", "0"]);
}

/// Key that expires 1 s after being set (and must not come back after a load).
const SOON_KEY: &str = "ttl:soon";

/// Sets `SOON_KEY` (db 0) to expire 1 s from now; returns when it will have
/// expired (its absolute expiry plus a margin).
fn set_soon(c: &mut Conn) -> Instant {
    ok(c, &["SELECT", "0"]);
    ok(c, &["SET", SOON_KEY, "gone soon", "PX", "1000"]);
    Instant::now() + Duration::from_millis(1200)
}

fn sleep_until(t: Instant) {
    let now = Instant::now();
    if t > now {
        thread::sleep(t - now);
    }
}

// ---------------------------------------------------------------------------
// Snapshots of a server's data
// ---------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
struct Entry {
    ty: String,
    enc: String,
    /// PEXPIRETIME: absolute expiry in ms, or -1.
    expire_at: i64,
    content: String,
}

/// Every key of every database: (db, key) -> entry.
type Snapshot = BTreeMap<(u32, Vec<u8>), Entry>;

fn text(r: &Reply) -> String {
    match r.as_bytes() {
        Some(b) => String::from_utf8_lossy(b).into_owned(),
        None => panic!("expected a string reply, got {r}"),
    }
}

fn int(r: &Reply) -> i64 {
    r.as_int()
        .unwrap_or_else(|| panic!("expected an integer reply, got {r}"))
}

fn sorted_render(items: Vec<Reply>) -> String {
    let mut v: Vec<String> = items.iter().map(|r| render(r, true)).collect();
    v.sort();
    format!("[{}]", v.join(","))
}

/// Reads every key of every database of the server behind `c` (keys that
/// turn out to be gone when read, i.e. expired, are left out).
fn snapshot(c: &mut Conn) -> Snapshot {
    let ndb: u32 = match c.cmd(&["CONFIG", "GET", "databases"]) {
        Reply::Array(v) if v.len() == 2 => text(&v[1]).parse().expect("databases"),
        other => panic!("CONFIG GET databases -> {other}"),
    };
    let mut out = Snapshot::new();
    for db in 0..ndb {
        ok(c, &["SELECT", &db.to_string()]);
        let mut keys: BTreeSet<Vec<u8>> = BTreeSet::new();
        let mut cursor = "0".to_string();
        for _ in 0..1_000_000 {
            let r = c.cmd(&["SCAN", &cursor, "COUNT", "1000"]);
            let parts = r.as_array().unwrap_or_else(|| panic!("SCAN -> {r}"));
            cursor = text(&parts[0]);
            for k in parts[1].as_array().expect("SCAN keys") {
                keys.insert(k.as_bytes().expect("key").to_vec());
            }
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(cursor, "0", "SCAN of db {db} did not finish");
        for k in keys {
            let k: &[u8] = &k;
            let ty = text(&c.cmd(&[b"TYPE".as_slice(), k]));
            if ty == "none" {
                continue;
            }
            let enc = text(&c.cmd(&[b"OBJECT".as_slice(), b"ENCODING", k]));
            let expire_at = int(&c.cmd(&[b"PEXPIRETIME".as_slice(), k]));
            let content = match ty.as_str() {
                "string" => render(&c.cmd(&[b"GET".as_slice(), k]), false),
                "list" => render(&c.cmd(&[b"LRANGE".as_slice(), k, b"0", b"-1"]), false),
                "set" => match c.cmd(&[b"SMEMBERS".as_slice(), k]) {
                    Reply::Array(v) | Reply::Set(v) => sorted_render(v),
                    other => panic!("SMEMBERS -> {other}"),
                },
                "hash" => match c.cmd(&[b"HGETALL".as_slice(), k]) {
                    Reply::Array(v) => {
                        let pairs: Vec<Reply> =
                            v.chunks(2).map(|p| Reply::Array(p.to_vec())).collect();
                        sorted_render(pairs)
                    }
                    other => panic!("HGETALL -> {other}"),
                },
                "zset" => render(
                    &c.cmd(&[b"ZRANGE".as_slice(), k, b"0", b"-1", b"WITHSCORES"]),
                    false,
                ),
                other => format!("(type {other} not read)"),
            };
            out.insert(
                (db, k.to_vec()),
                Entry {
                    ty,
                    enc,
                    expire_at,
                    content,
                },
            );
        }
    }
    ok(c, &["SELECT", "0"]);
    out
}

/// Per-database DBSIZE of the server behind `c` must equal the number of
/// keys `snap` holds there (a loaded-but-expired key would count in DBSIZE).
fn assert_dbsizes(c: &mut Conn, snap: &Snapshot, who: &str) {
    let mut want: BTreeMap<u32, i64> = BTreeMap::new();
    for (db, _) in snap.keys() {
        *want.entry(*db).or_default() += 1;
    }
    for db in 0..16u32 {
        ok(c, &["SELECT", &db.to_string()]);
        let got = int(&c.cmd(&["DBSIZE"]));
        let exp = want.get(&db).copied().unwrap_or(0);
        assert_eq!(got, exp, "{who}: DBSIZE of db {db}");
    }
    ok(c, &["SELECT", "0"]);
}

fn clip(s: &str) -> String {
    if s.len() <= 200 {
        return s.to_string();
    }
    let mut end = 200;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", &s[..end], s.len())
}

fn key_name(db: u32, k: &[u8]) -> String {
    let q = support::resp::quote(k);
    format!("db{db} {}", clip(&q))
}

/// Panics listing every difference between two snapshots (OBJECT ENCODING
/// compared only if `encodings`).
fn assert_same(a_name: &str, a: &Snapshot, b_name: &str, b: &Snapshot, encodings: bool) {
    let mut diffs = Vec::new();
    for ((db, k), ea) in a {
        match b.get(&(*db, k.clone())) {
            None => diffs.push(format!("{}: only in {a_name}", key_name(*db, k))),
            Some(eb) => {
                let name = key_name(*db, k);
                if ea.ty != eb.ty {
                    diffs.push(format!(
                        "{name}: TYPE {a_name} {} vs {b_name} {}",
                        ea.ty, eb.ty
                    ));
                    continue;
                }
                if encodings && ea.enc != eb.enc {
                    diffs.push(format!(
                        "{name}: OBJECT ENCODING {a_name} {} vs {b_name} {}",
                        ea.enc, eb.enc
                    ));
                }
                if ea.expire_at != eb.expire_at {
                    diffs.push(format!(
                        "{name}: PEXPIRETIME {a_name} {} vs {b_name} {}",
                        ea.expire_at, eb.expire_at
                    ));
                }
                if ea.content != eb.content {
                    diffs.push(format!(
                        "{name}: content\n    {a_name}: {}\n    {b_name}: {}",
                        clip(&ea.content),
                        clip(&eb.content)
                    ));
                }
            }
        }
    }
    for (db, k) in b.keys() {
        if !a.contains_key(&(*db, k.clone())) {
            diffs.push(format!("{}: only in {b_name}", key_name(*db, k)));
        }
    }
    if !diffs.is_empty() {
        panic!(
            "{a_name} ({} keys) and {b_name} ({} keys) differ in {} place(s):\n  {}",
            a.len(),
            b.len(),
            diffs.len(),
            diffs.join("\n  ")
        );
    }
}

/// The source snapshot must hold every encoding the generator is meant to
/// produce (guards the generator against silent config changes).
fn assert_covers_encodings(snap: &Snapshot) {
    let have: BTreeSet<(String, String)> = snap
        .values()
        .map(|e| (e.ty.clone(), e.enc.clone()))
        .collect();
    for (ty, enc) in [
        ("string", "int"),
        ("string", "embstr"),
        ("string", "raw"),
        ("list", "quicklist"),
        ("hash", "listpack"),
        ("hash", "hashtable"),
        ("set", "intset"),
        ("set", "hashtable"),
        ("zset", "listpack"),
        ("zset", "skiplist"),
    ] {
        assert!(
            have.contains(&(ty.to_string(), enc.to_string())),
            "the generated data has no {ty} in encoding {enc}: {have:?}"
        );
    }
    for db in DBS {
        assert!(snap.keys().any(|(d, _)| *d == db), "no keys in db {db}");
    }
}

// ---------------------------------------------------------------------------
// Saving and files
// ---------------------------------------------------------------------------

fn info_field(c: &mut Conn, section: &str, field: &str) -> Option<String> {
    let info = text(&c.cmd(&["INFO", section]));
    info.lines().find_map(|l| {
        l.strip_prefix(field)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(|v| v.trim().to_string())
    })
}

/// Runs BGSAVE and waits (bounded) until it has finished successfully.
fn bgsave_and_wait(c: &mut Conn, who: &str) {
    let r = c.cmd(&["BGSAVE"]);
    assert_eq!(
        r,
        Reply::status("Background saving started"),
        "{who}: BGSAVE"
    );
    let deadline = Instant::now() + SAVE_TIMEOUT;
    loop {
        let busy = info_field(c, "persistence", "rdb_bgsave_in_progress");
        if busy.as_deref() == Some("0") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{who}: BGSAVE still running after {SAVE_TIMEOUT:?} (rdb_bgsave_in_progress:{busy:?})"
        );
        thread::sleep(Duration::from_millis(10));
    }
    let status = info_field(c, "persistence", "rdb_last_bgsave_status");
    assert_eq!(
        status.as_deref(),
        Some("ok"),
        "{who}: rdb_last_bgsave_status"
    );
}

/// How the data is written to its file.
#[derive(Clone, Copy, Debug, PartialEq)]
enum SaveBy {
    Save,
    Bgsave,
}

fn save(c: &mut Conn, how: SaveBy, who: &str) {
    match how {
        SaveBy::Save => assert_eq!(c.cmd(&["SAVE"]), Reply::ok(), "{who}: SAVE"),
        SaveBy::Bgsave => bgsave_and_wait(c, who),
    }
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Copies `from` to `dir/name` (creating `dir`).
fn copy_to(from: &Path, dir: &Path, name: &str) -> PathBuf {
    fs::create_dir_all(dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
    let to = dir.join(name);
    fs::copy(from, &to)
        .unwrap_or_else(|e| panic!("copying {} to {}: {e}", from.display(), to.display()));
    to
}

/// `redis-check-rdb <file>` must exit 0.
fn assert_check_rdb(file: &Path) {
    let out = Command::new("redis-check-rdb")
        .arg(file)
        .output()
        .expect("running redis-check-rdb");
    assert!(
        out.status.success(),
        "redis-check-rdb {} exited with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        file.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// CRC-64/Jones (reflected, init 0, no final xor), as RDB trailers use.
fn crc64(data: &[u8]) -> u64 {
    let mut crc = 0u64;
    for &b in data {
        crc ^= u64::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x95ac_9329_ac4b_c9b5
            } else {
                crc >> 1
            };
        }
    }
    crc
}

// ---------------------------------------------------------------------------
// The round trips
// ---------------------------------------------------------------------------

/// Generates on redis-server (saving with `save_extra` settings), then loads
/// the file into the server under test and into a second redis-server (both
/// with `load_extra`); the server under test must hold what Redis holds.
fn redis_to_ferrodis(save_extra: &[&str], load_extra: &[&str]) -> Vec<u8> {
    redis_to_ferrodis_only(all, save_extra, load_extra)
}

/// `redis_to_ferrodis` for the part of the dataset `keep` accepts.
fn redis_to_ferrodis_only(
    keep: fn(&Cmd) -> bool,
    save_extra: &[&str],
    load_extra: &[&str],
) -> Vec<u8> {
    let tmp = TempDir::new("interop-r2f");
    let src_dir = tmp.path().join("src");
    let src = redis(&src_dir, "dump.rdb", save_extra);
    let mut c = src.conn();
    generate_only(&mut c, keep);
    let gone_at = set_soon(&mut c);
    assert_eq!(c.cmd(&["SAVE"]), Reply::ok(), "redis SAVE");
    sleep_until(gone_at);
    let source = snapshot(&mut c);
    if source.values().any(|e| e.ty != "string") {
        assert_covers_encodings(&source);
    }
    assert!(!source.contains_key(&(0, SOON_KEY.as_bytes().to_vec())));
    let file = src_dir.join("dump.rdb");
    let bytes = read(&file);

    copy_to(&file, &tmp.path().join("f"), "from-redis.rdb");
    let f = ferrodis(&tmp.path().join("f"), "from-redis.rdb", load_extra);
    copy_to(&file, &tmp.path().join("r"), "from-redis.rdb");
    let r = redis(&tmp.path().join("r"), "from-redis.rdb", load_extra);
    let mut fc = f.conn();
    let loaded_f = snapshot(&mut fc);
    let loaded_r = snapshot(&mut r.conn());
    assert_same(
        "redis after loading",
        &loaded_r,
        &format!("{} after loading", target_name()),
        &loaded_f,
        true,
    );
    assert_same("redis source", &source, target_name(), &loaded_f, false);
    assert_dbsizes(&mut fc, &loaded_f, target_name());
    assert_eq!(
        int(&fc.cmd(&["EXISTS", SOON_KEY])),
        0,
        "{SOON_KEY} came back after its time"
    );
    bytes
}

/// Generates on the server under test (saving with `save_extra` settings, by
/// SAVE or BGSAVE); redis-check-rdb must accept the file; redis-server (with
/// `load_extra`) loads it and must hold what it holds after loading its own
/// save of the same data; the server under test reloading its own file must
/// too. Returns the server under test's file and Redis's.
fn ferrodis_to_redis(save_extra: &[&str], load_extra: &[&str], how: SaveBy) -> (Vec<u8>, Vec<u8>) {
    ferrodis_to_redis_only(all, save_extra, load_extra, how)
}

/// `ferrodis_to_redis` for the part of the dataset `keep` accepts.
fn ferrodis_to_redis_only(
    keep: fn(&Cmd) -> bool,
    save_extra: &[&str],
    load_extra: &[&str],
    how: SaveBy,
) -> (Vec<u8>, Vec<u8>) {
    let tmp = TempDir::new("interop-f2r");
    let src_dir = tmp.path().join("src");
    let f = ferrodis(&src_dir, "dump.rdb", save_extra);
    let mut c = f.conn();
    generate_only(&mut c, keep);
    let gone_at = set_soon(&mut c);
    save(&mut c, how, target_name());
    // The same data saved by redis-server: the reference for what a load gives.
    let ref_dir = tmp.path().join("ref");
    let rsrc = redis(&ref_dir, "dump.rdb", save_extra);
    let mut rc = rsrc.conn();
    generate_only(&mut rc, keep);
    set_soon(&mut rc);
    save(&mut rc, how, "redis");
    sleep_until(gone_at);
    let source = snapshot(&mut c);
    let reference = snapshot(&mut rc);
    if reference.values().any(|e| e.ty != "string") {
        assert_covers_encodings(&reference);
    }
    let file = src_dir.join("dump.rdb");
    assert_check_rdb(&file);
    let bytes = read(&file);
    let ref_bytes = read(&ref_dir.join("dump.rdb"));

    copy_to(&file, &tmp.path().join("r"), "from-ferrodis.rdb");
    let r = redis(&tmp.path().join("r"), "from-ferrodis.rdb", load_extra);
    copy_to(&ref_dir.join("dump.rdb"), &tmp.path().join("rr"), "own.rdb");
    let rr = redis(&tmp.path().join("rr"), "own.rdb", load_extra);
    let mut c_r = r.conn();
    let loaded_r = snapshot(&mut c_r);
    let loaded_rr = snapshot(&mut rr.conn());
    let src_name = target_name();
    assert_same(
        &format!("redis loading {src_name}'s file"),
        &loaded_r,
        "redis loading its own file",
        &loaded_rr,
        true,
    );
    assert_same(src_name, &source, "redis after loading", &loaded_r, false);
    assert_dbsizes(&mut c_r, &loaded_r, "redis loading ferrodis's file");

    copy_to(&file, &tmp.path().join("f2"), "own.rdb");
    let f2 = ferrodis(&tmp.path().join("f2"), "own.rdb", load_extra);
    let mut c_f2 = f2.conn();
    let loaded_f2 = snapshot(&mut c_f2);
    assert_same(
        "redis loading its own file",
        &loaded_rr,
        &format!("{src_name} reloading its own file"),
        &loaded_f2,
        true,
    );
    assert_dbsizes(&mut c_f2, &loaded_f2, "ferrodis reloading its own file");
    (bytes, ref_bytes)
}

#[test]
fn redis_rdb_loads_into_ferrodis() {
    if !have_redis("redis_rdb_loads_into_ferrodis") {
        return;
    }
    let bytes = redis_to_ferrodis(&[], &[]);
    assert!(
        !contains(&bytes, &[b'a'; 100]),
        "rdbcompression yes: the compressible string is stored LZF-compressed"
    );
}

/// The string keys alone, both ways (SAVE and BGSAVE): a first, narrower
/// check that holds apart from the collection encodings.
#[test]
fn string_keys_both_ways() {
    if !have_redis("string_keys_both_ways") {
        return;
    }
    redis_to_ferrodis_only(strings_only, &[], &[]);
    ferrodis_to_redis_only(strings_only, &[], &[], SaveBy::Save);
    ferrodis_to_redis_only(strings_only, &[], &[], SaveBy::Bgsave);
}

#[test]
fn ferrodis_save_loads_into_redis() {
    if !have_redis("ferrodis_save_loads_into_redis") {
        return;
    }
    let (bytes, _) = ferrodis_to_redis(&[], &[], SaveBy::Save);
    assert!(
        !contains(&bytes, &[b'a'; 100]),
        "rdbcompression yes: the compressible string must be stored LZF-compressed"
    );
    let n = bytes.len();
    assert!(n > 17, "file too short: {n} bytes");
    assert_eq!(&bytes[..9], b"REDIS0010", "header");
    assert_eq!(bytes[n - 9], 0xff, "EOF opcode before the checksum");
    let want = crc64(&bytes[..n - 8]);
    let got = u64::from_le_bytes(bytes[n - 8..].try_into().unwrap());
    assert_eq!(got, want, "CRC64 trailer");
}

#[test]
fn ferrodis_bgsave_loads_into_redis() {
    if !have_redis("ferrodis_bgsave_loads_into_redis") {
        return;
    }
    ferrodis_to_redis(&[], &[], SaveBy::Bgsave);
}

#[test]
fn rdbcompression_no_both_ways() {
    if !have_redis("rdbcompression_no_both_ways") {
        return;
    }
    let from_redis = redis_to_ferrodis(&["--rdbcompression", "no"], &[]);
    assert!(contains(&from_redis, &[b'a'; 100]), "redis wrote it plain");
    let (ours, theirs) = ferrodis_to_redis(&["--rdbcompression", "no"], &[], SaveBy::Save);
    assert!(contains(&theirs, &[b'a'; 100]));
    assert!(
        contains(&ours, &[b'a'; 100]),
        "rdbcompression no: the 100-byte compressible string must be stored plain"
    );
}

#[test]
fn rdbchecksum_no_both_ways() {
    if !have_redis("rdbchecksum_no_both_ways") {
        return;
    }
    // Saved without a checksum (trailer of zeros); loaded by servers that
    // check checksums (the default): a zero trailer means "not computed".
    let from_redis = redis_to_ferrodis(&["--rdbchecksum", "no"], &[]);
    assert_eq!(&from_redis[from_redis.len() - 8..], &[0u8; 8]);
    let (ours, _) = ferrodis_to_redis(&["--rdbchecksum", "no"], &[], SaveBy::Save);
    assert_eq!(
        &ours[ours.len() - 8..],
        &[0u8; 8],
        "rdbchecksum no: the trailer must be 8 zero bytes"
    );
    // And loaders that do not check either.
    redis_to_ferrodis(&[], &["--rdbchecksum", "no"]);
}

/// DEBUG RELOAD (save, flush, load) leaves what it leaves on Redis,
/// encodings included (a shrunk hashtable hash comes back a listpack, ...).
#[test]
fn debug_reload_matches_redis() {
    if !have_redis("debug_reload_matches_redis") {
        return;
    }
    let tmp = TempDir::new("interop-reload");
    let f = ferrodis(&tmp.path().join("f"), "dump.rdb", &[]);
    let r = redis(&tmp.path().join("r"), "dump.rdb", &[]);
    let mut snaps = Vec::new();
    for s in [&f, &r] {
        let mut c = s.conn();
        generate(&mut c);
        let before = snapshot(&mut c);
        assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), Reply::ok(), "DEBUG RELOAD");
        let after = snapshot(&mut c);
        assert_same("before DEBUG RELOAD", &before, "after", &after, false);
        snaps.push(after);
    }
    assert_same(
        "redis after DEBUG RELOAD",
        &snaps[1],
        &format!("{} after DEBUG RELOAD", target_name()),
        &snaps[0],
        true,
    );
}

/// With an LRU or LFU maxmemory-policy Redis writes an IDLE or FREQ opcode
/// before every key; the files must load both ways all the same.
#[test]
fn lru_and_lfu_files_load_both_ways() {
    if !have_redis("lru_and_lfu_files_load_both_ways") {
        return;
    }
    for policy in ["allkeys-lru", "allkeys-lfu"] {
        let args = ["--maxmemory-policy", policy];
        redis_to_ferrodis(&args, &args);
        ferrodis_to_redis(&args, &args, SaveBy::Save);
    }
}

#[test]
fn compressed_quicklist_nodes_load_both_ways() {
    if !have_redis("compressed_quicklist_nodes_load_both_ways") {
        return;
    }
    // Inner quicklist nodes are kept LZF-compressed in memory and written
    // compressed; the other side must read them.
    redis_to_ferrodis(&["--list-compress-depth", "1"], &[]);
    ferrodis_to_redis(&["--list-compress-depth", "1"], &[], SaveBy::Save);
}

#[test]
fn crc64_is_redis_jones() {
    assert_eq!(crc64(b"123456789"), 0xe9c6_d914_c4b8_d9ca);
}

// ---------------------------------------------------------------------------
// DUMP / RESTORE
// ---------------------------------------------------------------------------

/// DUMP payloads: (db, key, PEXPIRETIME or -1, payload).
type Dumps = Vec<(u32, Vec<u8>, i64, Vec<u8>)>;

/// DUMP of every key in `keys` from `from`.
fn dump_all(from: &mut Conn, keys: &Snapshot) -> Dumps {
    let mut out = Vec::new();
    for ((db, k), e) in keys {
        ok(from, &["SELECT", &db.to_string()]);
        let r = from.cmd(&[b"DUMP".as_slice(), k]);
        let payload = match r {
            Reply::Bulk(b) => b,
            other => panic!("DUMP {} -> {other}", key_name(*db, k)),
        };
        out.push((*db, k.clone(), e.expire_at, payload));
    }
    ok(from, &["SELECT", "0"]);
    out
}

/// RESTOREs every payload (with its absolute TTL) into `to`.
fn restore_all(to: &mut Conn, dumps: &Dumps, who: &str) {
    for (db, k, expire_at, payload) in dumps {
        ok(to, &["SELECT", &db.to_string()]);
        let ttl = (*expire_at).max(0).to_string();
        let r = to.cmd(&[b"RESTORE".as_slice(), k, ttl.as_bytes(), payload, b"ABSTTL"]);
        assert_eq!(r, Reply::ok(), "{who}: RESTORE {}", key_name(*db, k));
    }
    ok(to, &["SELECT", "0"]);
}

/// Generates on a fresh server (`from_redis` picks which), and returns the
/// server, its snapshot and its DUMPs of every key.
fn generated_dumps(tmp: &TempDir, name: &str, from_redis: bool) -> (Server, Snapshot, Dumps) {
    let dir = tmp.path().join(name);
    let s = if from_redis {
        redis(&dir, "dump.rdb", &[])
    } else {
        ferrodis(&dir, "dump.rdb", &[])
    };
    let mut c = s.conn();
    generate(&mut c);
    let snap = snapshot(&mut c);
    let dumps = dump_all(&mut c, &snap);
    (s, snap, dumps)
}

/// Redis's DUMPs RESTOREd into a fresh redis-server: the reference.
fn redis_restored(tmp: &TempDir) -> (Snapshot, Dumps) {
    let (_src, _, dumps) = generated_dumps(tmp, "ref-src", true);
    let dst = redis(&tmp.path().join("ref-dst"), "dump.rdb", &[]);
    let mut c = dst.conn();
    restore_all(&mut c, &dumps, "redis");
    (snapshot(&mut c), dumps)
}

#[test]
fn dump_restore_redis_to_ferrodis() {
    if !have_redis("dump_restore_redis_to_ferrodis") {
        return;
    }
    let tmp = TempDir::new("interop-dump-r2f");
    let (reference, dumps) = redis_restored(&tmp);
    let f = ferrodis(&tmp.path().join("f"), "dump.rdb", &[]);
    let mut c = f.conn();
    restore_all(&mut c, &dumps, target_name());
    let got = snapshot(&mut c);
    assert_same(
        "redis RESTOREing redis's DUMPs",
        &reference,
        &format!("{} RESTOREing redis's DUMPs", target_name()),
        &got,
        true,
    );
}

#[test]
fn dump_restore_ferrodis_to_redis() {
    if !have_redis("dump_restore_ferrodis_to_redis") {
        return;
    }
    let tmp = TempDir::new("interop-dump-f2r");
    let (reference, _) = redis_restored(&tmp);
    let (_f, source, dumps) = generated_dumps(&tmp, "f", false);
    let r = redis(&tmp.path().join("r"), "dump.rdb", &[]);
    let mut c = r.conn();
    restore_all(&mut c, &dumps, "redis");
    let got = snapshot(&mut c);
    assert_same(
        "redis RESTOREing redis's DUMPs",
        &reference,
        &format!("redis RESTOREing {}'s DUMPs", target_name()),
        &got,
        true,
    );
    assert_same(target_name(), &source, "redis after RESTORE", &got, false);
    // And ferrodis RESTOREing its own DUMPs.
    let f2 = ferrodis(&tmp.path().join("f2"), "dump.rdb", &[]);
    let mut c2 = f2.conn();
    restore_all(&mut c2, &dumps, target_name());
    assert_same(
        "redis RESTOREing redis's DUMPs",
        &reference,
        &format!("{} RESTOREing its own DUMPs", target_name()),
        &snapshot(&mut c2),
        true,
    );
}

/// Where the encoding fixes the bytes (everything but hashtables and
/// skiplists, whose order is the table's), ferrodis's DUMP payload must be
/// Redis's, byte for byte.
#[test]
fn dump_payloads_match_redis_byte_for_byte() {
    if !have_redis("dump_payloads_match_redis_byte_for_byte") {
        return;
    }
    let tmp = TempDir::new("interop-dump-bytes");
    let (_r, rsnap, rdumps) = generated_dumps(&tmp, "r", true);
    let (_f, _, fdumps) = generated_dumps(&tmp, "f", false);
    assert_same_payloads(fdumps, rdumps, &rsnap, "");
}

/// Redis's DUMPs RESTOREd into ferrodis and DUMPed again give what Redis
/// gives for the same round trip, byte for byte (where the encoding fixes
/// the bytes): a loaded quicklist keeps Redis's nodes, a loaded listpack its
/// bytes, and so on.
#[test]
fn restore_then_dump_matches_redis_byte_for_byte() {
    if !have_redis("restore_then_dump_matches_redis_byte_for_byte") {
        return;
    }
    let tmp = TempDir::new("interop-redump");
    let (_src, _, dumps) = generated_dumps(&tmp, "src", true);
    let r = redis(&tmp.path().join("r"), "dump.rdb", &[]);
    let mut rc = r.conn();
    restore_all(&mut rc, &dumps, "redis");
    let rsnap = snapshot(&mut rc);
    let rdumps = dump_all(&mut rc, &rsnap);
    let f = ferrodis(&tmp.path().join("f"), "dump.rdb", &[]);
    let mut fc = f.conn();
    restore_all(&mut fc, &dumps, target_name());
    let fsnap = snapshot(&mut fc);
    let fdumps = dump_all(&mut fc, &fsnap);
    assert_same_payloads(fdumps, rdumps, &rsnap, " after RESTORE of redis's payloads");
}

/// Compares DUMP payloads key by key, leaving out hashtable and skiplist
/// encodings (by `snap`) whose element order is the table's.
fn assert_same_payloads(fdumps: Dumps, rdumps: Dumps, rsnap: &Snapshot, when: &str) {
    let theirs: BTreeMap<(u32, Vec<u8>), Vec<u8>> = rdumps
        .into_iter()
        .map(|(db, k, _, p)| ((db, k), p))
        .collect();
    let mut diffs = Vec::new();
    let mut compared = 0;
    for (db, k, _, ours) in fdumps {
        let Some(e) = rsnap.get(&(db, k.clone())) else {
            continue;
        };
        if e.enc == "hashtable" || e.enc == "skiplist" {
            continue;
        }
        compared += 1;
        let want = &theirs[&(db, k.clone())];
        if &ours != want {
            let at = ours
                .iter()
                .zip(want.iter())
                .position(|(a, b)| a != b)
                .unwrap_or(ours.len().min(want.len()));
            let from = at.saturating_sub(8);
            diffs.push(format!(
                "{} ({} {}): {} bytes vs redis's {}, first difference at byte {at}:\n    ours:  {:02x?}\n    redis: {:02x?}",
                key_name(db, &k),
                e.ty,
                e.enc,
                ours.len(),
                want.len(),
                &ours[from..(at + 16).min(ours.len())],
                &want[from..(at + 16).min(want.len())],
            ));
        }
    }
    assert!(compared > 40, "only {compared} keys compared");
    assert!(
        diffs.is_empty(),
        "{} of {compared} DUMP payloads differ from redis's{when}:\n  {}",
        diffs.len(),
        diffs.join("\n  ")
    );
}
