//! The change notices of customer-facing state (`sync_outbox`): which entity
//! changed, written by [`publish`] in the same transaction as the change. The
//! unit of work of cs-app reads the notices its transaction wrote before it
//! commits: the mails of documents and dunning notices are queued from them,
//! and the typed portal records (cs-sync) of the entities they name are
//! written into the portal's outbox (cs-app's `portal` area), so the portal
//! can never miss or invent a change.
//!
//! [`publish`] is the one function that writes a notice; its JSON payload is
//! what the mails need (a document's summary, a dunning notice).

use cs_core::{OrganizationId, Timestamp};
use rusqlite::{params, Connection};
use serde::Serialize;

use crate::{fmt_ts, parse_ts, Result, StoreError};

/// What a record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncKind {
    Organization,
    Plan,
    Server,
    /// An issued document (invoice, receipt, credit note).
    Document,
    /// A dunning notice to the customer (`cs_core::dunning::Notice`).
    BillingNotice,
    /// Servers suspended, released or terminated for an unpaid balance.
    ServerBillingStatus,
}

impl SyncKind {
    pub const ALL: [SyncKind; 6] = [
        SyncKind::Organization,
        SyncKind::Plan,
        SyncKind::Server,
        SyncKind::Document,
        SyncKind::BillingNotice,
        SyncKind::ServerBillingStatus,
    ];

    /// The stored name; it never changes for a kind.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncKind::Organization => "organization",
            SyncKind::Plan => "plan",
            SyncKind::Server => "server",
            SyncKind::Document => "document",
            SyncKind::BillingNotice => "billing.notice",
            SyncKind::ServerBillingStatus => "server.billing_status",
        }
    }

    pub fn parse(s: &str) -> Option<SyncKind> {
        SyncKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One record as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncRecord {
    pub seq: i64,
    pub at: Timestamp,
    pub organization_id: Option<String>,
    pub kind: SyncKind,
    pub entity_id: String,
    pub payload: serde_json::Value,
}

/// Queues `payload`, the new customer-facing state of `entity_id`, in the
/// caller's transaction. Returns the record's sequence number.
pub fn publish<T: Serialize>(
    conn: &Connection,
    at: Timestamp,
    organization: Option<OrganizationId>,
    kind: SyncKind,
    entity_id: &str,
    payload: &T,
) -> Result<i64> {
    let json = serde_json::to_string(payload)
        .map_err(|e| StoreError::Corrupt(format!("sync payload: {e}")))?;
    conn.prepare_cached(
        "INSERT INTO sync_outbox (at, organization_id, kind, entity_id, payload) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        fmt_ts(&at),
        organization.map(|o| o.to_string()),
        kind.as_str(),
        entity_id,
        json
    ])?;
    Ok(conn.last_insert_rowid())
}

/// The newest sequence number so far (0 when there is none): records after
/// it were written by the transaction running now.
pub fn last_seq(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT coalesce(max(seq), 0) FROM sync_outbox")?
        .query_row([], |r| r.get(0))?)
}

/// The records after `seq` of the given kinds, in order.
pub fn since(conn: &Connection, seq: i64, kinds: &[SyncKind]) -> Result<Vec<SyncRecord>> {
    let all = read(
        conn,
        "SELECT seq, at, organization_id, kind, entity_id, payload FROM sync_outbox WHERE seq > ?1 ORDER BY seq",
        seq,
    )?;
    Ok(all
        .into_iter()
        .filter(|r| kinds.contains(&r.kind))
        .collect())
}

/// The oldest records not yet acknowledged by the portal.
pub fn pending(conn: &Connection, limit: i64) -> Result<Vec<SyncRecord>> {
    read(
        conn,
        "SELECT seq, at, organization_id, kind, entity_id, payload FROM sync_outbox WHERE pushed_at IS NULL ORDER BY seq LIMIT ?1",
        limit,
    )
}

/// Marks every record up to and including `seq` as acknowledged.
pub fn mark_pushed_through(conn: &Connection, seq: i64, at: Timestamp) -> Result<usize> {
    Ok(conn.execute(
        "UPDATE sync_outbox SET pushed_at = ?2 WHERE seq <= ?1 AND pushed_at IS NULL",
        params![seq, fmt_ts(&at)],
    )?)
}

/// How many records there are (the benchmark's size report).
pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM sync_outbox", [], |r| r.get(0))?)
}

fn read(conn: &Connection, sql: &str, arg: i64) -> Result<Vec<SyncRecord>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt
        .query_map([arg], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get(2)?,
                r.get::<_, String>(3)?,
                r.get(4)?,
                r.get::<_, String>(5)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(seq, at, organization_id, kind, entity_id, payload)| {
            Ok(SyncRecord {
                seq,
                at: parse_ts(&at)?,
                organization_id,
                kind: SyncKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("sync record kind {kind:?}")))?,
                entity_id,
                payload: serde_json::from_str(&payload)
                    .map_err(|e| StoreError::Corrupt(format!("sync payload: {e}")))?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    #[test]
    fn records_read_back_in_order_and_are_acknowledged_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("cs.db")).unwrap();
        let at = chrono::DateTime::parse_from_rfc3339("2026-01-31T10:30:00Z")
            .unwrap()
            .to_utc();
        let org = OrganizationId(uuid::Uuid::from_u128(7));
        let (mark, second) = store
            .write(|tx| {
                let mark = last_seq(tx)?;
                publish(tx, at, Some(org), SyncKind::Organization, "o1", &"a")?;
                let second = publish(
                    tx,
                    at,
                    None,
                    SyncKind::Plan,
                    "p1",
                    &serde_json::json!({"n": 1}),
                )?;
                Ok::<_, StoreError>((mark, second))
            })
            .unwrap();
        let all = store.read(|c| since(c, mark, &SyncKind::ALL)).unwrap();
        assert_eq!(
            all.iter()
                .map(|r| (r.kind, r.entity_id.as_str()))
                .collect::<Vec<_>>(),
            [(SyncKind::Organization, "o1"), (SyncKind::Plan, "p1")]
        );
        assert_eq!(all[0].organization_id, Some(org.to_string()));
        assert_eq!(
            store
                .read(|c| since(c, mark, &[SyncKind::Plan]))
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            store
                .write(|tx| mark_pushed_through(tx, second, at))
                .unwrap(),
            2
        );
        assert!(store.read(|c| pending(c, 10)).unwrap().is_empty());
    }
}
