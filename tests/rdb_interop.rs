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
//! - A version 9 file in the older layouts Redis 7.0 still loads; DEBUG
//!   RELOAD.
//! - rdbcompression no / rdbchecksum no / list-compress-depth 1 variants.
//! - Damaged files (truncated, a flipped byte, an unknown type byte, a bad
//!   header): ferrodis exits non-zero at start, says which file, never panics.
//!
//! The tests need redis-server (and redis-check-rdb) and are skipped, printing
//! why, when it is not installed, unless `REQUIRE_REDIS=1`.
//! `INTEROP_VERBOSE=1` prints what the server said about each damaged file.
//! `INTEROP_TARGET=redis` runs every test with redis-server in ferrodis's place
//! (both sides Redis), which is how the expectations were proved.

mod support;

#[path = "rdb_interop/craft.rs"]
mod craft;
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
use layout::{layout, stored_key, Layout};
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

/// A version 9 file in the layouts Redis 7.0 no longer writes but loads:
/// linked lists (1), sets/hashes as written then (2, 4), ASCII-score sorted
/// sets (3), zipmaps (9), ziplists for lists/sorted sets/hashes (10, 12, 13),
/// intsets (11), quicklists of ziplists (14), EXPIRETIME in seconds (253).
fn old_format_file() -> Vec<u8> {
    use craft::{intset, len, old_double, string, ziplist, zipmap};
    let v =
        |items: &[&str]| -> Vec<Vec<u8>> { items.iter().map(|s| s.as_bytes().to_vec()).collect() };
    let mut f = b"REDIS0009".to_vec();
    f.extend_from_slice(&[0xfe, 0x00]);
    let key = |f: &mut Vec<u8>, t: u8, k: &str| {
        f.push(t);
        string(f, k.as_bytes());
    };
    key(&mut f, 1, "old:list");
    let items = v(&["a", "b", "1", "-2", "300000"]);
    len(&mut f, items.len());
    for e in &items {
        string(&mut f, e);
    }
    key(&mut f, 2, "old:set");
    len(&mut f, 3);
    for e in ["x", "1", "y"] {
        string(&mut f, e.as_bytes());
    }
    key(&mut f, 2, "old:set-ints");
    len(&mut f, 3);
    for e in ["3", "1", "2"] {
        string(&mut f, e.as_bytes());
    }
    key(&mut f, 4, "old:hash");
    len(&mut f, 2);
    for e in ["f1", "v1", "f2", "2"] {
        string(&mut f, e.as_bytes());
    }
    key(&mut f, 3, "old:zset");
    len(&mut f, 5);
    for (m, sc) in [
        ("a", "1.5"),
        ("b", "inf"),
        ("c", "-inf"),
        ("d", "0"),
        ("e", "-2.25"),
    ] {
        string(&mut f, m.as_bytes());
        old_double(&mut f, sc);
    }
    key(&mut f, 9, "old:zipmap");
    string(
        &mut f,
        &zipmap(&[
            (b"f1".to_vec(), b"v1".to_vec()),
            (b"n".to_vec(), b"42".to_vec()),
            (b"e".to_vec(), Vec::new()),
        ]),
    );
    key(&mut f, 10, "old:zl-list");
    let long = "L".repeat(100);
    string(
        &mut f,
        &ziplist(&v(&[
            "x",
            "10",
            "-5",
            "70000",
            "-8388609",
            "9223372036854775807",
            "",
            &long,
            "12",
            "0",
        ])),
    );
    key(&mut f, 11, "old:intset16");
    string(&mut f, &intset(2, &[100, 1, 5, -7]));
    key(&mut f, 11, "old:intset32");
    string(&mut f, &intset(4, &[1, 70000, -70000]));
    key(&mut f, 11, "old:intset64");
    string(&mut f, &intset(8, &[i64::MIN, 0, i64::MAX]));
    key(&mut f, 12, "old:zl-zset");
    string(
        &mut f,
        &ziplist(&v(&["c", "-3", "a", "1", "b", "2.5", "d", "1e+300"])),
    );
    key(&mut f, 12, "old:zl-zset-big");
    let mut big = Vec::new();
    for i in 0..200 {
        big.push(format!("m{i:03}").into_bytes());
        big.push(format!("{i}").into_bytes());
    }
    string(&mut f, &ziplist(&big));
    key(&mut f, 13, "old:zl-hash");
    string(
        &mut f,
        &ziplist(&v(&["f", "v", "n", "5", "neg", "-100000"])),
    );
    key(&mut f, 13, "old:zl-hash-big");
    let mut big = Vec::new();
    for i in 0..600 {
        big.push(format!("f{i}").into_bytes());
        big.push(format!("{i}").into_bytes());
    }
    string(&mut f, &ziplist(&big));
    key(&mut f, 13, "old:zl-hash-longval");
    string(&mut f, &ziplist(&v(&["f", &long])));
    key(&mut f, 14, "old:quicklist");
    len(&mut f, 2);
    string(&mut f, &ziplist(&v(&["a", "b", "1"])));
    string(&mut f, &ziplist(&v(&["c", &long, "-1"])));
    // Seconds as a signed 32-bit number (2033-05-18T03:33:20Z).
    f.push(253);
    f.extend_from_slice(&2_000_000_000i32.to_le_bytes());
    key(&mut f, 0, "old:expire-s");
    string(&mut f, b"v");
    f.extend_from_slice(&[0xfe, 0x05]);
    key(&mut f, 10, "old:db5-list");
    string(&mut f, &ziplist(&v(&["only", "in", "5"])));
    f.push(0xff);
    let crc = crc64(&f);
    f.extend_from_slice(&crc.to_le_bytes());
    f
}

/// ferrodis loads the older layouts (see `old_format_file`) as Redis 7.0
/// does, encodings included.
#[test]
fn old_format_file_loads_as_in_redis() {
    if !have_redis("old_format_file_loads_as_in_redis") {
        return;
    }
    let tmp = TempDir::new("interop-old");
    let file = tmp.path().join("old.rdb");
    fs::write(&file, old_format_file()).unwrap();
    assert_check_rdb(&file);
    copy_to(&file, &tmp.path().join("r"), "old.rdb");
    let r = redis(&tmp.path().join("r"), "old.rdb", &[]);
    let theirs = snapshot(&mut r.conn());
    let names: Vec<String> = theirs.keys().map(|(d, k)| key_name(*d, k)).collect();
    assert_eq!(theirs.len(), 18, "redis loaded {names:?}");
    copy_to(&file, &tmp.path().join("f"), "old.rdb");
    let f = ferrodis(&tmp.path().join("f"), "old.rdb", &[]);
    let ours = snapshot(&mut f.conn());
    assert_same(
        "redis loading the old file",
        &theirs,
        &format!("{} loading it", target_name()),
        &ours,
        true,
    );
}

/// Starts `program` on `dir/file`: the snapshot of what it loaded, or the
/// tail of its log if it did not start.
fn try_load(program: &str, dir: &Path, file: &str) -> Result<Snapshot, String> {
    let d = dir.display().to_string();
    let args = ["--dir", d.as_str(), "--dbfilename", file];
    match Server::spawn_in(program, dir, &args) {
        Ok(s) => Ok(snapshot(&mut s.conn())),
        Err(e) => Err(support::server::tail(&e, 4)),
    }
}

/// Files at the edges of the format (empty collections in every layout,
/// which Redis skips or refuses): the server under test must do what Redis
/// does with each, loading the same data or refusing too.
#[test]
fn edge_files_load_as_in_redis() {
    if !have_redis("edge_files_load_as_in_redis") {
        return;
    }
    use craft::{empty_listpack, file_with, intset, len, string, ziplist};
    let blob = |b: Vec<u8>| {
        let mut v = Vec::new();
        string(&mut v, &b);
        v
    };
    let zero = {
        let mut v = Vec::new();
        len(&mut v, 0);
        v
    };
    let one_empty_node = {
        let mut v = Vec::new();
        len(&mut v, 1);
        len(&mut v, 2);
        string(&mut v, &empty_listpack());
        v
    };
    let one_empty_ziplist = {
        let mut v = Vec::new();
        len(&mut v, 1);
        string(&mut v, &ziplist(&[]));
        v
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty-set", file_with(&[(2, "k", zero.clone())])),
        ("empty-hash", file_with(&[(4, "k", zero.clone())])),
        ("empty-zset2", file_with(&[(5, "k", zero.clone())])),
        ("empty-zset1", file_with(&[(3, "k", zero.clone())])),
        ("empty-list1", file_with(&[(1, "k", zero.clone())])),
        ("quicklist2-no-nodes", file_with(&[(18, "k", zero.clone())])),
        (
            "quicklist2-empty-node",
            file_with(&[(18, "k", one_empty_node)]),
        ),
        (
            "quicklist1-empty-ziplist",
            file_with(&[(14, "k", one_empty_ziplist)]),
        ),
        (
            "empty-intset",
            file_with(&[(11, "k", blob(intset(2, &[])))]),
        ),
        (
            "empty-hash-listpack",
            file_with(&[(16, "k", blob(empty_listpack()))]),
        ),
        (
            "empty-zset-listpack",
            file_with(&[(17, "k", blob(empty_listpack()))]),
        ),
        (
            "empty-ziplist-list",
            file_with(&[(10, "k", blob(ziplist(&[])))]),
        ),
        (
            "empty-ziplist-hash",
            file_with(&[(13, "k", blob(ziplist(&[])))]),
        ),
        (
            "empty-ziplist-zset",
            file_with(&[(12, "k", blob(ziplist(&[])))]),
        ),
        (
            "odd-hash-listpack",
            file_with(&[(13, "k", blob(ziplist(&[b"f".to_vec()])))]),
        ),
    ];
    let ours_program = if redis_is_target() {
        "redis-server"
    } else {
        env!("CARGO_BIN_EXE_ferrodis")
    };
    let tmp = TempDir::new("interop-edge");
    let mut diffs = Vec::new();
    for (name, bytes) in &cases {
        let file = format!("{name}.rdb");
        let mut got = Vec::new();
        for (who, program) in [("redis", "redis-server"), ("ours", ours_program)] {
            let dir = tmp.path().join(who).join(name);
            fs::create_dir_all(&dir).unwrap();
            fs::write(dir.join(&file), bytes).unwrap();
            got.push(try_load(program, &dir, &file));
        }
        let show = |r: &Result<Snapshot, String>| match r {
            Ok(s) => format!(
                "loaded {:?}",
                s.iter()
                    .map(|((_, k), e)| format!("{}={}", String::from_utf8_lossy(k), e.enc))
                    .collect::<Vec<_>>()
            ),
            Err(e) => format!("refused: {}", e.lines().last().unwrap_or("")),
        };
        if std::env::var_os("INTEROP_VERBOSE").is_some() {
            println!(
                "{name}: redis {} / {} {}",
                show(&got[0]),
                target_name(),
                show(&got[1])
            );
        }
        let same = match (&got[0], &got[1]) {
            (Ok(a), Ok(b)) => a == b,
            (Err(_), Err(e)) => !e.contains("panicked"),
            _ => false,
        };
        if !same {
            diffs.push(format!(
                "{name}: redis {}\n    {}: {}",
                show(&got[0]),
                target_name(),
                show(&got[1])
            ));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} of {} edge files handled differently from redis:\n  {}",
        diffs.len(),
        cases.len(),
        diffs.join("\n  ")
    );
}

/// A Redis file holding what ferrodis does not have (a stream; a function
/// library) is refused at start with a message naming the file and what it
/// cannot load, never a panic or a silent partial load.
#[test]
fn unsupported_content_is_refused_clearly() {
    if !have_redis("unsupported_content_is_refused_clearly") {
        return;
    }
    if redis_is_target() {
        println!("skipped unsupported_content_is_refused_clearly: redis-server loads both");
        return;
    }
    let lib = "#!lua name=interoplib\nredis.register_function('f', function() return 1 end)";
    let cases: [(&str, &[&str], &str); 2] = [
        ("stream", &["XADD", "s", "1-1", "f", "v"], "stream"),
        ("function", &["FUNCTION", "LOAD", lib], "function"),
    ];
    let tmp = TempDir::new("interop-unsupported");
    let mut failures = Vec::new();
    for (n, (name, command, word)) in cases.into_iter().enumerate() {
        let src_dir = tmp.path().join(name).join("src");
        let src = redis(&src_dir, "dump.rdb", &[]);
        let mut c = src.conn();
        ok(&mut c, &["SET", "good", "ok"]);
        let r = c.cmd(command);
        assert!(!r.is_error(), "{command:?} -> {r}");
        assert_eq!(c.cmd(&["SAVE"]), Reply::ok());
        let dir = tmp.path().join(name).join("ours");
        // (A file name without the word looked for in the message.)
        let file = format!("unsupported-{n}.rdb");
        copy_to(&src_dir.join("dump.rdb"), &dir, &file);
        let (code, out) = start_expecting_exit(&dir, &file);
        if std::env::var_os("INTEROP_VERBOSE").is_some() {
            println!("{name}: exit {code:?}: {}", support::server::tail(&out, 3));
        }
        let mut why = Vec::new();
        if code == Some(0) || code.is_none() {
            why.push(format!("exit {code:?}"));
        }
        if out.contains("panicked") {
            why.push("panicked".to_string());
        }
        if !out.contains(&file) {
            why.push(format!("no mention of {file}"));
        }
        if !out.to_lowercase().contains(word) {
            why.push(format!("no mention of {word:?}"));
        }
        if !why.is_empty() {
            failures.push(format!(
                "{name}: {}\n--- output ---\n{}",
                why.join(", "),
                support::server::tail(&out, 10)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
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

// ---------------------------------------------------------------------------
// File layout, byte for byte
// ---------------------------------------------------------------------------

fn stored_key_name(db: u64, stored: &[u8]) -> String {
    key_name(db as u32, stored_key(stored))
}

/// Where Redis's choices fix the bytes, ferrodis's file must be Redis's:
/// the same header, AUX fields (names in order; values that do not vary
/// from run to run), SELECTDB/RESIZEDB, and per key the same expiry, type
/// byte and value bytes (key order is each table's, so records are compared
/// by key; hashtable and skiplist values by type only: their element order
/// is the table's too).
fn assert_same_layout(ours: &[u8], theirs: &[u8]) {
    let a = layout(ours);
    let b = layout(theirs);
    let mut diffs = Vec::new();
    if a.header != b.header {
        diffs.push(format!(
            "header {:?} vs redis's {:?}",
            String::from_utf8_lossy(&a.header),
            String::from_utf8_lossy(&b.header)
        ));
    }
    let names = |l: &Layout| -> Vec<String> {
        l.aux
            .iter()
            .map(|(k, _)| String::from_utf8_lossy(&k[1..]).into_owned())
            .collect()
    };
    if names(&a) != names(&b) {
        diffs.push(format!(
            "AUX fields {:?} vs redis's {:?}",
            names(&a),
            names(&b)
        ));
    }
    for (k, v) in &a.aux {
        let fixed = [&b"redis-ver"[..], b"redis-bits", b"aof-base"];
        if fixed.contains(&&k[1..]) {
            if let Some((_, w)) = b.aux.iter().find(|(k2, _)| k2 == k) {
                if v != w {
                    diffs.push(format!(
                        "AUX {} = {v:02x?} vs redis's {w:02x?}",
                        String::from_utf8_lossy(&k[1..])
                    ));
                }
            }
        }
    }
    if a.shape != b.shape {
        diffs.push(format!(
            "opcode sequence {:?} vs redis's {:?}",
            a.shape, b.shape
        ));
    }
    if a.resize != b.resize {
        diffs.push(format!("RESIZEDB {:?} vs redis's {:?}", a.resize, b.resize));
    }
    for (key, (exp, t, v)) in &a.records {
        let name = stored_key_name(key.0, &key.1);
        let Some((exp2, t2, v2)) = b.records.get(key) else {
            diffs.push(format!("{name}: not in redis's file"));
            continue;
        };
        if exp != exp2 && stored_key(&key.1) != SOON_KEY.as_bytes() {
            diffs.push(format!("{name}: expiry {exp:02x?} vs redis's {exp2:02x?}"));
        }
        if t != t2 {
            diffs.push(format!("{name}: type {t} vs redis's {t2}"));
        } else if ![2, 4, 5].contains(t) && v != v2 {
            let at = v
                .iter()
                .zip(v2)
                .position(|(x, y)| x != y)
                .unwrap_or(v.len().min(v2.len()));
            let from = at.saturating_sub(8);
            diffs.push(format!(
                "{name} (type {t}): {} value bytes vs redis's {}, first difference at {at}:\n    ours:  {:02x?}\n    redis: {:02x?}",
                v.len(),
                v2.len(),
                &v[from..(at + 16).min(v.len())],
                &v2[from..(at + 16).min(v2.len())]
            ));
        }
    }
    for key in b.records.keys() {
        if !a.records.contains_key(key) {
            diffs.push(format!(
                "{}: only in redis's file",
                key_name(key.0 as u32, &key.1)
            ));
        }
    }
    assert!(
        diffs.is_empty(),
        "the file differs from redis's in {} place(s):\n  {}",
        diffs.len(),
        diffs.join("\n  ")
    );
}

#[test]
fn string_file_layout_matches_redis() {
    if !have_redis("string_file_layout_matches_redis") {
        return;
    }
    let (ours, theirs) = ferrodis_to_redis_only(strings_only, &[], &[], SaveBy::Save);
    assert_same_layout(&ours, &theirs);
}

#[test]
fn file_layout_matches_redis() {
    if !have_redis("file_layout_matches_redis") {
        return;
    }
    let (ours, theirs) = ferrodis_to_redis(&[], &[], SaveBy::Save);
    assert_same_layout(&ours, &theirs);
}

/// A file Redis wrote, loaded and saved again by ferrodis, is what Redis
/// writes after loading and saving it (nodes, listpacks, intsets kept).
#[test]
fn file_layout_after_load_and_save_matches_redis() {
    if !have_redis("file_layout_after_load_and_save_matches_redis") {
        return;
    }
    let tmp = TempDir::new("interop-resave");
    let src_dir = tmp.path().join("src");
    let src = redis(&src_dir, "dump.rdb", &[]);
    let mut c = src.conn();
    generate(&mut c);
    assert_eq!(c.cmd(&["SAVE"]), Reply::ok());
    let mut files = Vec::new();
    for (name, is_redis) in [("f", false), ("r", true)] {
        let dir = tmp.path().join(name);
        copy_to(&src_dir.join("dump.rdb"), &dir, "dump.rdb");
        let s = if is_redis {
            redis(&dir, "dump.rdb", &[])
        } else {
            ferrodis(&dir, "dump.rdb", &[])
        };
        assert_eq!(s.conn().cmd(&["SAVE"]), Reply::ok());
        files.push(read(&dir.join("dump.rdb")));
    }
    assert_same_layout(&files[0], &files[1]);
}

// ---------------------------------------------------------------------------
// Damaged files
// ---------------------------------------------------------------------------

/// Starts the server under test on `dir/file` and waits (bounded) for it to
/// exit; returns (exit code, everything it printed). Panics if it is still
/// running after 20 s.
fn start_expecting_exit(dir: &Path, file: &str) -> (Option<i32>, String) {
    let program = if redis_is_target() {
        "redis-server".to_string()
    } else {
        env!("CARGO_BIN_EXE_ferrodis").to_string()
    };
    let port = free_port().expect("free port").to_string();
    let log_path = dir.join(format!("{file}.log"));
    let log = fs::File::create(&log_path).expect("log file");
    let log2 = log.try_clone().expect("log file");
    let dir_s = dir.display().to_string();
    let mut child = Command::new(&program)
        .args(["--port", &port, "--bind", "127.0.0.1", "--save", ""])
        .args(["--dir", &dir_s, "--dbfilename", file])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {program}: {e}"));
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    let out = fs::read_to_string(&log_path).unwrap_or_default();
    match status {
        None => panic!(
            "{program} kept running on the damaged file {file} (it should refuse to start)\n--- log ---\n{out}"
        ),
        Some(s) => (s.code(), out),
    }
}

/// An RDB file with one good key, then a value whose type byte no Redis 7.0
/// type uses, with a correct checksum.
fn unknown_type_file(type_byte: u8) -> Vec<u8> {
    let mut f = b"REDIS0010".to_vec();
    f.extend_from_slice(&[0xfe, 0x00]); // SELECTDB 0
    f.extend_from_slice(&[0x00, 0x04]); // STRING, key "good"
    f.extend_from_slice(b"good");
    f.extend_from_slice(&[0x02]);
    f.extend_from_slice(b"ok");
    f.extend_from_slice(&[type_byte, 0x01, b'k', 0x01, b'v']);
    f.push(0xff);
    let crc = crc64(&f);
    f.extend_from_slice(&crc.to_le_bytes());
    f
}

/// A file holding the key "good" twice in db 0 (Redis refuses to load it).
fn duplicate_key_file() -> Vec<u8> {
    let mut f = b"REDIS0010".to_vec();
    f.extend_from_slice(&[0xfe, 0x00]);
    for v in [&b"v1"[..], b"v2"] {
        f.push(0);
        craft::string(&mut f, b"good");
        craft::string(&mut f, v);
    }
    f.push(0xff);
    let crc = crc64(&f);
    f.extend_from_slice(&crc.to_le_bytes());
    f
}

#[test]
fn damaged_string_files_are_refused_at_start() {
    if !have_redis("damaged_string_files_are_refused_at_start") {
        return;
    }
    damaged_files_are_refused(strings_only);
}

#[test]
fn damaged_files_are_refused_at_start() {
    if !have_redis("damaged_files_are_refused_at_start") {
        return;
    }
    damaged_files_are_refused(|_| true);
}

/// Damages in several ways a file Redis saved of the part of the dataset
/// `keep` accepts (which the server under test must load when undamaged);
/// the server under test must refuse every damaged one.
fn damaged_files_are_refused(keep: impl Fn(&Cmd) -> bool) {
    let tmp = TempDir::new("interop-damaged");
    // A good file, from Redis.
    let src_dir = tmp.path().join("src");
    let src = redis(&src_dir, "dump.rdb", &[]);
    let mut c = src.conn();
    generate_only(&mut c, keep);
    assert_eq!(c.cmd(&["SAVE"]), Reply::ok());
    let source = snapshot(&mut c);
    let good = read(&src_dir.join("dump.rdb"));
    drop(c);
    drop(src);
    // Undamaged, it loads.
    copy_to(
        &src_dir.join("dump.rdb"),
        &tmp.path().join("good"),
        "good.rdb",
    );
    let f = ferrodis(&tmp.path().join("good"), "good.rdb", &[]);
    assert_same(
        "redis",
        &source,
        target_name(),
        &snapshot(&mut f.conn()),
        false,
    );
    drop(f);
    let n = good.len();

    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    for cut in [0, 5, 9, 12, n / 3, n / 2, n - 9, n - 8, n - 1] {
        if cut == 0 {
            continue; // an empty file is a separate question (Redis refuses it too)
        }
        cases.push((format!("truncated-at-{cut}"), good[..cut].to_vec()));
    }
    for at in [n / 2, n / 3 + 7, 2 * n / 3] {
        let mut f = good.clone();
        f[at] ^= 0xff;
        cases.push((format!("flipped-byte-{at}"), f));
    }
    cases.push(("unknown-type-20".to_string(), unknown_type_file(20)));
    cases.push(("unknown-type-8".to_string(), unknown_type_file(8)));
    cases.push(("unknown-type-200".to_string(), unknown_type_file(200)));
    cases.push(("duplicate-key".to_string(), duplicate_key_file()));
    let mut bad_magic = good.clone();
    bad_magic[..5].copy_from_slice(b"REDIX");
    cases.push(("bad-magic".to_string(), bad_magic));
    let mut future = good.clone();
    future[5..9].copy_from_slice(b"0099");
    cases.push(("version-99".to_string(), future));

    let mut failures = Vec::new();
    for (name, bytes) in &cases {
        let dir = tmp.path().join(name);
        fs::create_dir_all(&dir).unwrap();
        let file = format!("{name}.rdb");
        fs::write(dir.join(&file), bytes).unwrap();
        let (code, out) = start_expecting_exit(&dir, &file);
        if std::env::var_os("INTEROP_VERBOSE").is_some() {
            println!("{name}: exit {code:?}: {}", support::server::tail(&out, 3));
        }
        let mut why = Vec::new();
        if code == Some(0) {
            why.push("exited with status 0".to_string());
        }
        // (Redis itself aborts on a duplicate key: a signal is fine there.)
        if code.is_none() && !redis_is_target() {
            why.push("was killed by a signal".to_string());
        }
        if out.contains("panicked") {
            why.push("panicked".to_string());
        }
        if !redis_is_target() && !out.contains(&file) {
            why.push(format!("its output does not name {file}"));
        }
        if !why.is_empty() {
            failures.push(format!(
                "{name} ({} bytes): {}\n--- output ---\n{}",
                bytes.len(),
                why.join(", "),
                support::server::tail(&out, 15)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} damaged files handled wrongly by {}:\n{}",
        failures.len(),
        cases.len(),
        target_name(),
        failures.join("\n\n")
    );
}
