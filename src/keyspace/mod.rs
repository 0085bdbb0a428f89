//! The keyspace: numbered databases of keys, each a hash table of entries with
//! optional TTLs, and the value types stored in them. Values know nothing of
//! RESP; commands translate.

pub mod db;
pub mod dict;
pub mod expires;
pub mod hash;
pub mod hasher;
pub mod intset;
pub mod list;
pub mod listpack;
pub mod set;
pub mod small_bytes;
pub mod value;
pub mod zset;
pub mod zset_tree;
