//! The keyspace: numbered databases of keys, each a hash table of entries with
//! optional TTLs. Values know nothing of RESP; commands translate.

pub mod db;
pub mod dict;
pub mod expires;
pub mod hash;
pub mod small_bytes;
pub mod value;
