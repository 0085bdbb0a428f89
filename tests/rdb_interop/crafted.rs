//! Files made by hand or damaged on purpose: the older layouts Redis 7.0
//! still loads, edge cases of the format, content ferrodis cannot hold, and
//! damaged files, each compared with what redis-server does with it.

use super::*;

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
