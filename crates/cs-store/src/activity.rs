//! The activity (audit) log: who changed what, when. Append-only.

use cs_core::Timestamp;
use rusqlite::{params, Connection};

use crate::page::{From as PageFrom, Keyset, Page};
use crate::{fmt_ts, parse_ts, Result};
use rusqlite::types::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub seq: i64,
    pub at: Timestamp,
    /// Who: `staff:<name>`, `system:<component>` or `provider:<name>`.
    pub actor: String,
    /// What, as a dotted verb: `organization.created`, `server.rebooted`.
    pub action: String,
    pub subject_kind: String,
    pub subject_id: Option<String>,
    pub organization_id: Option<String>,
    /// One human sentence, e.g. "Created server web-1 (Starter) for Acme".
    pub summary: String,
}

/// What to record; the sequence number is assigned by the database.
#[derive(Debug, Clone)]
pub struct NewActivity<'a> {
    pub at: Timestamp,
    pub actor: &'a str,
    pub action: &'a str,
    pub subject_kind: &'a str,
    pub subject_id: Option<String>,
    pub organization_id: Option<String>,
    pub summary: String,
}

pub fn append(conn: &Connection, a: &NewActivity<'_>) -> Result<Activity> {
    conn.execute(
        "INSERT INTO activity (at, actor, action, subject_kind, subject_id, organization_id, summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![fmt_ts(&a.at), a.actor, a.action, a.subject_kind, a.subject_id, a.organization_id, a.summary],
    )?;
    Ok(Activity {
        seq: conn.last_insert_rowid(),
        at: a.at,
        actor: a.actor.to_string(),
        action: a.action.to_string(),
        subject_kind: a.subject_kind.to_string(),
        subject_id: a.subject_id.clone(),
        organization_id: a.organization_id.clone(),
        summary: a.summary.clone(),
    })
}

/// Which entries the Activity screen shows, by what they are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ActivityKind {
    #[default]
    All,
    Server,
    Organization,
    Plan,
    /// About anything else (settings, billing, mail …).
    Other,
}

/// One page of entries, newest first ([`crate::page`]; the sequence number
/// is both the order and the tie-breaker).
pub fn page(
    conn: &Connection,
    kind: ActivityKind,
    from: &PageFrom,
    limit: u32,
) -> Result<Page<Activity>> {
    let mut k = Keyset {
        from: "activity",
        count_from: "activity",
        columns: "seq, at, actor, action, subject_kind, subject_id, organization_id, summary",
        // Text, as cursors carry ids; zero-padded, so it orders as `seq` does.
        id: "printf('%020d', seq)",
        sort: "seq",
        desc: true,
        filters: Vec::new(),
        params: Vec::new(),
    };
    let one = |s: &str| [Value::Text(s.into())];
    match kind {
        ActivityKind::All => {}
        ActivityKind::Server => k.filter("subject_kind = ?", one("server")),
        ActivityKind::Organization => k.filter("subject_kind = ?", one("organization")),
        ActivityKind::Plan => k.filter("subject_kind = ?", one("plan")),
        ActivityKind::Other => {
            k.filter("subject_kind NOT IN ('server', 'organization', 'plan')", [])
        }
    }
    let page = k.read(conn, from, limit, |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, Option<String>>(6)?,
            r.get::<_, String>(7)?,
        ))
    })?;
    let rows = page
        .rows
        .into_iter()
        .map(
            |(seq, at, actor, action, subject_kind, subject_id, organization_id, summary)| {
                Ok(Activity {
                    seq,
                    at: parse_ts(&at)?,
                    actor,
                    action,
                    subject_kind,
                    subject_id,
                    organization_id,
                    summary,
                })
            },
        )
        .collect::<Result<Vec<_>>>()?;
    Ok(Page {
        rows,
        next: page.next,
        prev: page.prev,
        total: page.total,
    })
}

/// The newest `limit` entries, optionally about one subject or organization.
pub fn recent(
    conn: &Connection,
    limit: i64,
    subject_or_org: Option<&str>,
) -> Result<Vec<Activity>> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, actor, action, subject_kind, subject_id, organization_id, summary FROM activity
         WHERE ?2 IS NULL OR subject_id = ?2 OR organization_id = ?2 ORDER BY seq DESC LIMIT ?1",
    )?;
    let rows = stmt
        .query_map(params![limit, subject_or_org], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(
            |(seq, at, actor, action, subject_kind, subject_id, organization_id, summary)| {
                Ok(Activity {
                    seq,
                    at: parse_ts(&at)?,
                    actor,
                    action,
                    subject_kind,
                    subject_id,
                    organization_id,
                    summary,
                })
            },
        )
        .collect()
}

/// The newest entry's sequence number (0 for an empty log).
pub fn last_seq(conn: &Connection) -> Result<i64> {
    Ok(
        conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM activity", [], |r| {
            r.get(0)
        })?,
    )
}

/// The entries after `seq` whose action is one of `actions`, oldest first.
pub fn since(conn: &Connection, seq: i64, actions: &[&str]) -> Result<Vec<Activity>> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, actor, action, subject_kind, subject_id, organization_id, summary FROM activity
         WHERE seq > ?1 ORDER BY seq",
    )?;
    let rows = stmt
        .query_map(params![seq], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get(2)?,
                r.get::<_, String>(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .filter(|row| actions.contains(&row.3.as_str()))
        .map(
            |(seq, at, actor, action, subject_kind, subject_id, organization_id, summary)| {
                Ok(Activity {
                    seq,
                    at: parse_ts(&at)?,
                    actor,
                    action,
                    subject_kind,
                    subject_id,
                    organization_id,
                    summary,
                })
            },
        )
        .collect()
}

/// How many entries the log holds (the benchmark's size report).
pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM activity", [], |r| r.get(0))?)
}
