//! The sync outbox: customer-facing changes waiting to be pushed to the
//! portal, in sequence order. Written by the façade in the same transaction as
//! the change it describes, so the portal can never miss or invent a change.

use cs_core::Timestamp;
use rusqlite::{params, Connection};
use serde::Serialize;

use crate::{fmt_ts, parse_ts, Result, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRecord {
    pub seq: i64,
    pub at: Timestamp,
    pub organization_id: Option<String>,
    pub kind: String,
    pub entity_id: String,
    pub payload: serde_json::Value,
}

/// Queues `payload` (the new customer-facing state of `entity_id`).
pub fn push<T: Serialize>(
    conn: &Connection,
    at: Timestamp,
    organization_id: Option<String>,
    kind: &str,
    entity_id: &str,
    payload: &T,
) -> Result<i64> {
    let json = serde_json::to_string(payload)
        .map_err(|e| StoreError::Corrupt(format!("outbox payload: {e}")))?;
    conn.execute(
        "INSERT INTO outbox (at, organization_id, kind, entity_id, payload) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![fmt_ts(&at), organization_id, kind, entity_id, json],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The oldest records not yet acknowledged by the portal.
pub fn pending(conn: &Connection, limit: i64) -> Result<Vec<OutboxRecord>> {
    let mut stmt = conn.prepare("SELECT seq, at, organization_id, kind, entity_id, payload FROM outbox WHERE pushed_at IS NULL ORDER BY seq LIMIT ?1")?;
    let rows = stmt
        .query_map([limit], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get::<_, String>(5)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(seq, at, organization_id, kind, entity_id, payload)| {
            Ok(OutboxRecord {
                seq,
                at: parse_ts(&at)?,
                organization_id,
                kind,
                entity_id,
                payload: serde_json::from_str(&payload)
                    .map_err(|e| StoreError::Corrupt(format!("outbox payload: {e}")))?,
            })
        })
        .collect()
}

/// Marks every record up to and including `seq` as acknowledged.
pub fn mark_pushed_through(conn: &Connection, seq: i64, at: Timestamp) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE outbox SET pushed_at = ?2 WHERE seq <= ?1 AND pushed_at IS NULL",
        params![seq, fmt_ts(&at)],
    )
}
