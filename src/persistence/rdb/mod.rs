//! The RDB format, version 10 (Redis 7.0), and the older versions we load.
//!
//! - `codec.rs`: the primitives (lengths, strings with their integer and LZF
//!   encodings, doubles, the type and opcode bytes) and a bounds-checked reader.
//! - `lzf.rs`, `crc64.rs`: the compression and checksum the format uses.
//! - `blobs.rs`: Redis's packed byte layouts stored inside RDB strings
//!   (listpack, ziplist, intset, zipmap).
//! - `value.rs`: one value to and from its RDB form, for every type.
//! - `file.rs`: the file around the values (header, records, trailer), the
//!   synchronous save and the loader.
//! - `snapshot.rs`: BGSAVE without fork (the loop serializes a slice at a
//!   time, a thread writes).
//! - `save.rs`: SAVE/BGSAVE bookkeeping, save points, loading at start.

pub mod blobs;
pub mod codec;
pub mod crc64;
pub mod file;
pub mod lzf;
pub mod save;
pub mod snapshot;
pub mod value;

pub use snapshot::start_snapshot;
