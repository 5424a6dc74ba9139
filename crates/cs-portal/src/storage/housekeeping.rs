//! Forgetting what no longer matters: rate-limit windows long over, sessions
//! and single-use links a week after they ended, sent mail after 90 days.
//! The audit log is kept. Run hourly by [`crate::serve`]; any portal process
//! may run it (the deletes are idempotent).

use chrono::{DateTime, Duration, Utc};

use super::{sessions, Result};
use crate::db::Tx;
use crate::params;

/// How long an ended session or link stays (for the audit of a dispute).
pub const KEEP_ENDED: Duration = Duration::days(7);
/// How long a sent mail stays in the queue.
pub const KEEP_SENT_MAIL: Duration = Duration::days(90);

/// Rows removed, by table.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Removed {
    pub rate_limits: u64,
    pub sessions: u64,
    pub tokens: u64,
    pub mail: u64,
}

pub fn run(tx: &mut dyn Tx, now: DateTime<Utc>) -> Result<Removed> {
    let before = now - KEEP_ENDED;
    Ok(Removed {
        // No window is longer than a day.
        rate_limits: tx.execute(
            "DELETE FROM rate_limits WHERE window_start < $1",
            params![now - Duration::days(1)],
        )?,
        sessions: tx.execute(
            "DELETE FROM sessions WHERE revoked_at < $1 OR expires_at < $1 OR last_seen_at < $2",
            params![before, before - sessions::IDLE],
        )?,
        tokens: tx.execute(
            "DELETE FROM tokens WHERE expires_at < $1 OR used_at < $1",
            params![before],
        )?,
        mail: tx.execute(
            "DELETE FROM mail_queue WHERE sent_at < $1",
            params![now - KEEP_SENT_MAIL],
        )?,
    })
}
