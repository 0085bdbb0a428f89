//! Small helpers with Redis's exact semantics: glob matching (KEYS, SCAN MATCH,
//! CONFIG GET patterns), number parsing and formatting, SHA-1 (DEBUG DIGEST),
//! a small xorshift generator, the cache prefetch hint and short byte-string
//! equality.

pub mod bytes;
pub mod glob;
pub mod numbers;
pub mod prefetch;
pub mod rng;
pub mod sha1;
