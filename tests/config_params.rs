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
