//! (being written: see rdb/mod.rs)
