//! Runs the Redis compatibility cases in `redis-compat-tests/*.txt` (format:
//! `redis-compat-tests/FORMAT.md`).
//!
//! `cargo test --test compat` spawns ferrodis and checks every case;
//! `COMPAT_ADDR=127.0.0.1:7777 cargo test --test compat` checks them against a
//! server that is already running (e.g. a real redis-server, to prove the
//! expectations), and `COMPAT_FILTER=text` keeps only the files or cases whose
//! name contains `text`. Every case runs in RESP2 (as written) and in RESP3
//! (see "Both protocols" in FORMAT.md); `COMPAT_PROTOCOL=resp2` or `resp3`
//! keeps one run. Failures are printed as
//! `[server protocol] file:line case: sent ... expected ... got ...`, then
//! `compat [server protocol]: N passed, M failed` for each server and protocol.

mod support;

#[path = "support/compat.rs"]
mod compat;

#[test]
fn compat_cases() {
    compat::run_from_env();
}
