//! Small helpers with Redis's exact semantics: glob matching (KEYS, SCAN MATCH,
//! CONFIG GET patterns), number parsing and formatting, SHA-1 (DEBUG DIGEST)
//! and a small xorshift generator.

pub mod glob;
pub mod numbers;
pub mod rng;
pub mod sha1;
