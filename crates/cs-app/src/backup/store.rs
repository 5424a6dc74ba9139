//! `backup_runs` (migration 0030): the backups made or tried. Only this
//! module names the table.

use cs_core::Timestamp;
use cs_store::rusqlite::{params, Connection};
use cs_store::{fmt_ts, parse_ts};

use crate::AppResult;

/// Rows kept.
const KEEP: i64 = 200;

/// What started a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    Manual,
    Scheduled,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Scheduled => "scheduled",
        }
    }
}

/// One backup made or tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Run {
    pub at: Timestamp,
    pub trigger: String,
    /// `Ok((file, bytes))`, or why it failed.
    pub outcome: Result<(String, u64), String>,
    pub took_ms: u64,
}

pub(crate) fn record(c: &Connection, run: &Run, trigger: Trigger) -> AppResult<()> {
    let (file, bytes, error) = match &run.outcome {
        Ok((f, b)) => (
            Some(f.as_str()),
            Some(i64::try_from(*b).unwrap_or(i64::MAX)),
            None,
        ),
        Err(e) => (None, None, Some(e.as_str())),
    };
    c.execute(
        "INSERT INTO backup_runs (at, trigger, file, bytes, took_ms, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            fmt_ts(&run.at),
            trigger.as_str(),
            file,
            bytes,
            i64::try_from(run.took_ms).unwrap_or(i64::MAX),
            error
        ],
    )?;
    c.execute(
        "DELETE FROM backup_runs WHERE id NOT IN (SELECT id FROM backup_runs ORDER BY id DESC LIMIT ?1)",
        [KEEP],
    )?;
    Ok(())
}

/// The newest runs, newest first.
pub(crate) fn recent(c: &Connection, limit: i64) -> AppResult<Vec<Run>> {
    let mut stmt = c.prepare(
        "SELECT at, trigger, file, bytes, took_ms, error FROM backup_runs ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<i64>>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, Option<String>>(5)?,
        ))
    })?;
    let mut out = vec![];
    for row in rows {
        let (at, trigger, file, bytes, took, error) = row?;
        out.push(Run {
            at: parse_ts(&at)?,
            trigger,
            outcome: match (file, error) {
                (Some(f), None) => Ok((f, u64::try_from(bytes.unwrap_or(0)).unwrap_or(0))),
                (_, e) => Err(e.unwrap_or_default()),
            },
            took_ms: u64::try_from(took).unwrap_or(0),
        });
    }
    Ok(out)
}
