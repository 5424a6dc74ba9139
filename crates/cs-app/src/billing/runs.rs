//! The billing runs the scheduler made (`billing_runs`, migration 0013): the
//! last good one tells the next run where billing stands (a catch-up after
//! the app was closed), the failed ones show on the Billing overview. Only
//! this module writes or reads the table; the UI gets [`BillingRunDto`]s,
//! mapped here at the boundary.

use cs_core::metering::hour_start;
use cs_core::Timestamp;
use cs_store::rusqlite::{params, Connection, OptionalExtension};
use cs_store::{fmt_ts, parse_ts};

use crate::dto::BillingRunDto;
use crate::AppResult;

/// Good and failed runs kept.
const KEEP_GOOD: i64 = 100;
const KEEP_FAILED: i64 = 20;

/// One run of the scheduler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BillingRun {
    pub at: Timestamp,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    Billed {
        /// The last hour billed (hour index).
        through_hour: i64,
        hours_billed: u64,
        invoices_issued: u32,
        decisions: u32,
    },
    Failed {
        error: String,
    },
}

/// Records a run, keeping the newest good and failed ones.
pub(crate) fn record(c: &Connection, run: &BillingRun) -> AppResult<()> {
    let (through, hours, invoices, decisions, error) = match &run.outcome {
        Outcome::Billed {
            through_hour,
            hours_billed,
            invoices_issued,
            decisions,
        } => (
            Some(fmt_ts(&hour_start(*through_hour))),
            i64::try_from(*hours_billed).unwrap_or(i64::MAX),
            *invoices_issued,
            *decisions,
            None,
        ),
        Outcome::Failed { error } => (None, 0, 0, 0, Some(error.as_str())),
    };
    c.execute(
        "INSERT INTO billing_runs (at, through, hours_billed, invoices_issued, decisions, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![fmt_ts(&run.at), through, hours, invoices, decisions, error],
    )?;
    let keep = if error.is_some() {
        KEEP_FAILED
    } else {
        KEEP_GOOD
    };
    c.execute(
        "DELETE FROM billing_runs WHERE (error IS NULL) = ?1 AND id NOT IN
            (SELECT id FROM billing_runs WHERE (error IS NULL) = ?1 ORDER BY at DESC, id DESC LIMIT ?2)",
        params![error.is_none(), keep],
    )?;
    Ok(())
}

/// The newest good run.
pub(crate) fn last_good(c: &Connection) -> AppResult<Option<BillingRun>> {
    let row = c
        .query_row(
            &format!("{SELECT} WHERE error IS NULL ORDER BY at DESC, id DESC LIMIT 1"),
            [],
            raw,
        )
        .optional()?;
    row.map(decode).transpose()
}

/// The newest failed runs, newest first.
pub(crate) fn failed(c: &Connection) -> AppResult<Vec<BillingRun>> {
    let mut stmt = c.prepare(&format!(
        "{SELECT} WHERE error IS NOT NULL ORDER BY at DESC, id DESC LIMIT {KEEP_FAILED}"
    ))?;
    let rows = stmt.query_map([], raw)?.collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(decode).collect()
}

/// The run as the UI shows it.
pub(crate) fn dto(run: &BillingRun) -> BillingRunDto {
    match &run.outcome {
        Outcome::Billed {
            through_hour,
            hours_billed,
            invoices_issued,
            decisions,
        } => BillingRunDto {
            at: fmt_ts(&run.at),
            through: fmt_ts(&hour_start(*through_hour)),
            hours_billed: hours_billed.to_string(),
            invoices_issued: *invoices_issued,
            decisions: *decisions,
            error: None,
        },
        Outcome::Failed { error } => BillingRunDto {
            at: fmt_ts(&run.at),
            through: String::new(),
            hours_billed: "0".into(),
            invoices_issued: 0,
            decisions: 0,
            error: Some(error.clone()),
        },
    }
}

const SELECT: &str =
    "SELECT at, through, hours_billed, invoices_issued, decisions, error FROM billing_runs";

type Raw = (String, Option<String>, i64, u32, u32, Option<String>);

fn raw(r: &cs_store::rusqlite::Row<'_>) -> cs_store::rusqlite::Result<Raw> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn decode((at, through, hours, invoices, decisions, error): Raw) -> AppResult<BillingRun> {
    let outcome = match (through, error) {
        (_, Some(error)) => Outcome::Failed { error },
        (Some(through), None) => Outcome::Billed {
            through_hour: cs_core::metering::hour_of(parse_ts(&through)?),
            hours_billed: u64::try_from(hours).unwrap_or(0),
            invoices_issued: invoices,
            decisions,
        },
        (None, None) => Outcome::Failed {
            error: "the run recorded no outcome".into(),
        },
    };
    Ok(BillingRun {
        at: parse_ts(&at)?,
        outcome,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database that recorded its runs in `settings` (before migration
    /// 0013) keeps them: the last good run and the failures, in order.
    #[test]
    fn runs_kept_as_json_in_settings_are_converted() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("cs.db")).unwrap();
        let all = cs_store::migrate::embedded();
        let before: Vec<_> = all.iter().filter(|m| m.version < 13).cloned().collect();
        cs_store::migrate::apply_list(&mut conn, &before).unwrap();
        use cs_store::settings;
        settings::set(&conn, "app.billing.last_run", r#"{"at":"2026-01-31T12:05:00.000Z","through":"2026-01-31T11:00:00.000Z","hoursBilled":"7","invoicesIssued":2,"decisions":1,"error":null}"#).unwrap();
        settings::set(&conn, "app.billing.failed_runs", r#"[{"at":"2026-01-31T11:05:00.000Z","through":"","hoursBilled":"0","invoicesIssued":0,"decisions":0,"error":"database is locked"},
                                                             {"at":"2026-01-31T10:05:00.000Z","through":"","hoursBilled":"0","invoicesIssued":0,"decisions":0,"error":"disk full"}]"#).unwrap();
        cs_store::migrate::apply_list(&mut conn, &all).unwrap();

        let last = last_good(&conn).unwrap().expect("the last good run");
        assert_eq!(
            dto(&last),
            BillingRunDto {
                at: "2026-01-31T12:05:00.000Z".into(),
                through: "2026-01-31T11:00:00.000Z".into(),
                hours_billed: "7".into(),
                invoices_issued: 2,
                decisions: 1,
                error: None,
            }
        );
        let failed: Vec<_> = failed(&conn)
            .unwrap()
            .iter()
            .map(|r| (dto(r).at, dto(r).error))
            .collect();
        assert_eq!(
            failed,
            [
                (
                    "2026-01-31T11:05:00.000Z".to_string(),
                    Some("database is locked".to_string())
                ),
                (
                    "2026-01-31T10:05:00.000Z".to_string(),
                    Some("disk full".to_string())
                ),
            ]
        );
        for key in ["app.billing.last_run", "app.billing.failed_runs"] {
            assert_eq!(settings::get(&conn, key).unwrap(), None, "{key} is gone");
        }
    }

    #[test]
    fn only_the_newest_runs_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = cs_store::Store::open(&dir.path().join("cs.db")).unwrap();
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-01-31T10:00:00Z")
            .unwrap()
            .to_utc();
        store
            .write(|c| {
                for i in 0..(KEEP_FAILED + 5) {
                    record(
                        c,
                        &BillingRun {
                            at: t0 + chrono::Duration::minutes(i),
                            outcome: Outcome::Failed {
                                error: format!("failure {i}"),
                            },
                        },
                    )?;
                }
                record(
                    c,
                    &BillingRun {
                        at: t0 + chrono::Duration::hours(2),
                        outcome: Outcome::Billed {
                            through_hour: cs_core::metering::hour_of(t0) + 1,
                            hours_billed: 3,
                            invoices_issued: 0,
                            decisions: 0,
                        },
                    },
                )
            })
            .unwrap();
        let failed = store.read(failed).unwrap();
        assert_eq!(failed.len(), KEEP_FAILED as usize);
        assert_eq!(dto(&failed[0]).error.as_deref(), Some("failure 24"));
        let last = store.read(last_good).unwrap().unwrap();
        assert_eq!(dto(&last).through, "2026-01-31T11:00:00.000Z");
    }
}
