//! `CONFIG GET *` of ferrodis against a real redis-server (when installed):
//! the same parameter names (aliases included) and the same default values,
//! except for the values that depend on how and where each was started.

mod support;

use std::collections::BTreeMap;

use support::{Conn, Reply, Server};

/// Values that legitimately differ between the two servers.
const DIFFERENT_VALUES: &[&str] = &[
    "dir",
    "pidfile",
    "save",
    "bind",
    "port",
    "logfile",
    "dbfilename",
];

fn config_all(addr: &str) -> BTreeMap<String, String> {
    let mut c = Conn::connect(addr).expect("connect");
    c.send(&["CONFIG", "GET", "*"]).expect("send");
    let reply = c.read_reply().expect("reply");
    let items = reply.as_array().expect("an array");
    let text = |r: &Reply| String::from_utf8_lossy(r.as_bytes().expect("bulk")).into_owned();
    items
        .chunks(2)
        .map(|p| (text(&p[0]), text(&p[1])))
        .collect()
}

#[test]
fn config_get_all_matches_redis() {
    let Some(redis) = Server::redis(&[]) else {
        eprintln!("redis-server not installed: skipped");
        return;
    };
    let ours = Server::ferrodis(&[]);
    let theirs = config_all(&redis.addr);
    let mine = config_all(&ours.addr);
    let mut problems = Vec::new();
    for (name, value) in &theirs {
        match mine.get(name) {
            None => problems.push(format!("missing in ferrodis: {name} ({value:?})")),
            Some(v) if v != value && !DIFFERENT_VALUES.contains(&name.as_str()) => {
                problems.push(format!("{name}: redis {value:?}, ferrodis {v:?}"))
            }
            _ => {}
        }
    }
    for name in mine.keys() {
        if !theirs.contains_key(name) {
            problems.push(format!("not in redis-server: {name}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Parameters the probe below leaves alone: changing them rebinds listeners,
/// or (appendonly) makes Redis start writing an AOF.
const NOT_PROBED: &[&str] = &["bind", "port", "appendonly"];

/// Values that exercise the type checks and bounds of every kind of parameter.
const PROBES: &[&str] = &[
    "xyz",
    "-9223372036854775808",
    "9223372036854775807",
    "-1",
    "99999999999999999999",
    "",
    "0",
    "yes",
    "YES",
    "1k",
    "1.5",
    "10%",
    "no",
    "local",
    "a b",
    "1 2 3",
    "pubsub 1 2 3",
    "3600 1 300 100",
    "KEA",
];

/// CONFIG SET of each parameter to each probe value; a value that is accepted
/// is read back (CONFIG GET) and set back at once. Returns (parameter, value, reply as text) rows.
fn probe(addr: &str, defaults: &BTreeMap<String, String>) -> Vec<(String, String, String)> {
    let mut c = Conn::connect(addr).expect("connect");
    let mut rows = Vec::new();
    for (name, original) in defaults {
        if NOT_PROBED.contains(&name.as_str()) {
            continue;
        }
        for v in PROBES {
            c.send(&["CONFIG", "SET", name, v]).expect("send");
            let r = c.read_reply().expect("reply");
            let mut shown = String::new();
            if r == Reply::ok() {
                // What the accepted value reads back as (its normalized form).
                c.send(&["CONFIG", "GET", name]).expect("send");
                shown = format!(" -> {:?}", c.read_reply().expect("reply"));
                c.send(&["CONFIG", "SET", name, original]).expect("send");
                let back = c.read_reply().expect("reply");
                assert_eq!(back, Reply::ok(), "setting {name} back to {original:?}");
            }
            rows.push((name.clone(), v.to_string(), format!("{r:?}{shown}")));
        }
    }
    rows
}

#[test]
fn config_set_validation_matches_redis() {
    let Some(redis) = Server::redis(&[]) else {
        eprintln!("redis-server not installed: skipped");
        return;
    };
    let ours = Server::ferrodis(&[]);
    let theirs = probe(&redis.addr, &config_all(&redis.addr));
    let mine: BTreeMap<(String, String), String> = probe(&ours.addr, &config_all(&ours.addr))
        .into_iter()
        .map(|(n, v, r)| ((n, v), r))
        .collect();
    let mut problems = Vec::new();
    for (name, v, r) in theirs {
        match mine.get(&(name.clone(), v.clone())) {
            Some(m) if *m == r => {}
            other => problems.push(format!(
                "CONFIG SET {name} {v:?}: redis {r}, ferrodis {other:?}"
            )),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn protected_configs_can_be_enabled_at_start() {
    let args = ["--enable-protected-configs", "yes"];
    let ours = Server::ferrodis(&args);
    let mut servers = vec![ours];
    servers.extend(Server::redis(&args));
    for s in &servers {
        let mut c = Conn::connect(&s.addr).expect("connect");
        c.send(&["CONFIG", "SET", "dbfilename", "other.rdb"])
            .expect("send");
        assert_eq!(c.read_reply().expect("reply"), Reply::ok(), "{}", s.addr);
        c.send(&["CONFIG", "GET", "dbfilename"]).expect("send");
        assert_eq!(
            c.read_reply().expect("reply"),
            Reply::bulks(&["dbfilename", "other.rdb"])
        );
    }
}
