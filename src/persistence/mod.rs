//! Persistence: the RDB format (`rdb/`), point-in-time snapshots written by a
//! background thread, and the append-only file. Everything that leaves the
//! process is in Redis 7.0's own formats, so files move between ferrodis and
//! real Redis in both directions.

pub mod aof;
pub mod rdb;

use crate::error::CmdError;
use crate::server::ServerState;

/// Redis's reply to writes after a failed background save.
const BGSAVE_ERROR: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// The error writes get while the dataset cannot be persisted, as Redis's
/// writeCommandsDeniedByDiskError: the last BGSAVE failed (with save points
/// and stop-writes-on-bgsave-error), or the AOF cannot be written.
pub fn write_refusal(srv: &ServerState) -> Option<CmdError> {
    if rdb::save::writes_refused(srv) {
        return Some(CmdError::from(BGSAVE_ERROR));
    }
    aof::write_error(srv)
}
