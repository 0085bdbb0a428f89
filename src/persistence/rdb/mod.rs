//! The RDB format, version 10 (Redis 7.0), and the older versions we load.
//!
//! - `codec.rs`: the primitives (lengths, strings with their integer and LZF
//!   encodings, doubles, the type and opcode bytes) and a bounds-checked reader.
//! - `lzf.rs`, `crc64.rs`: the compression and checksum the format uses.
//! - `blobs.rs`: Redis's packed byte layouts stored inside RDB strings
//!   (listpack, ziplist, intset, zipmap).
//! - `value.rs`: one value to and from its RDB form, for every type.

pub mod blobs;
pub mod codec;
pub mod crc64;
pub mod lzf;
pub mod value;
