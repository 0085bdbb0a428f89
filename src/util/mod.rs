//! Small helpers with Redis's exact semantics: glob matching (KEYS, SCAN MATCH,
//! CONFIG GET patterns) and number parsing and formatting.

pub mod glob;
pub mod numbers;
pub mod sha1;
