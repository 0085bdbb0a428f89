//! The wire protocol: the incremental request parser and the reply writer.
//! Neither does I/O; the event loop feeds one and drains the other.

pub mod parser;
pub mod reply;
