//! Rate limits: fixed-window counters in the database, so that every portal
//! process counts the same attempts.

use chrono::{DateTime, Duration, Utc};

use super::Result;
use crate::db::Tx;
use crate::params;

/// Counts one attempt under `key` in the current window of `window` and says
/// whether it is within `limit`.
pub fn hit(
    tx: &mut dyn Tx,
    key: &str,
    window: Duration,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let width = window.num_milliseconds().max(1);
    let start = now.timestamp_millis() / width * width;
    let hits = tx
        .query_one(
            "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1)
             ON CONFLICT (key) DO UPDATE SET
                 hits = CASE WHEN rate_limits.window_start = excluded.window_start
                             THEN rate_limits.hits + 1 ELSE 1 END,
                 window_start = excluded.window_start
             RETURNING hits",
            params![key, start],
        )?
        .int(0)?;
    Ok(hits <= limit)
}

/// Forgets the attempts under `key` (after a successful sign-in, say).
pub fn clear(tx: &mut dyn Tx, key: &str) -> Result<()> {
    tx.execute("DELETE FROM rate_limits WHERE key = $1", params![key])?;
    Ok(())
}

/// How long until the window `now` falls in ends (the `Retry-After` of a
/// refused attempt).
pub fn retry_after(window: Duration, now: DateTime<Utc>) -> Duration {
    let width = window.num_milliseconds().max(1);
    let start = now.timestamp_millis() / width * width;
    Duration::milliseconds(start + width - now.timestamp_millis())
}
