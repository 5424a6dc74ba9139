//! Servers.

use cs_core::{OrganizationId, ProviderKind, Server, ServerId, ServerStatus, Timestamp};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::{fmt_ts, parse_ts, Result, StoreError};

pub fn insert(conn: &Connection, s: &Server) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO servers (id, organization_id, plan_id, label, provider, provider_id, provider_type, region, image, status, ipv4, ipv6, created_at, updated_at, deleted_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            s.id.to_string(), s.organization_id.to_string(), s.plan_id.to_string(), s.label, s.provider.as_str(), s.provider_id,
            s.provider_type, s.region, s.image, s.status.as_str(), s.ipv4, s.ipv6, fmt_ts(&s.created_at), fmt_ts(&s.updated_at),
            s.deleted_at.as_ref().map(fmt_ts)
        ],
    )?;
    Ok(())
}

/// Writes the fields that change over a server's life.
pub fn update(conn: &Connection, s: &Server) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE servers SET provider_id = ?2, status = ?3, ipv4 = ?4, ipv6 = ?5, updated_at = ?6, deleted_at = ?7, provider_type = ?8 WHERE id = ?1",
        params![s.id.to_string(), s.provider_id, s.status.as_str(), s.ipv4, s.ipv6, fmt_ts(&s.updated_at), s.deleted_at.as_ref().map(fmt_ts), s.provider_type],
    )?;
    Ok(())
}

const SELECT: &str = "SELECT id, organization_id, plan_id, label, provider, provider_id, provider_type, region, image, status, ipv4, ipv6, created_at, updated_at, deleted_at FROM servers";

pub fn get(conn: &Connection, id: ServerId) -> Result<Option<Server>> {
    let raw = conn
        .query_row(
            &format!("{SELECT} WHERE id = ?1"),
            [id.to_string()],
            raw_row,
        )
        .optional()?;
    raw.map(decode).transpose()
}

/// Every server, deleted ones included (the UI filters), newest first.
pub fn list(conn: &Connection) -> Result<Vec<Server>> {
    query(conn, &format!("{SELECT} ORDER BY created_at DESC, id"), &[])
}

pub fn list_for_org(conn: &Connection, org: OrganizationId) -> Result<Vec<Server>> {
    query(
        conn,
        &format!("{SELECT} WHERE organization_id = ?1 ORDER BY created_at DESC, id"),
        &[&org.to_string()],
    )
}

/// Servers the provider is still moving between states, which the
/// reconciler watches.
pub fn list_transitional(conn: &Connection) -> Result<Vec<Server>> {
    query(conn, &format!("{SELECT} WHERE status IN ('provisioning', 'booting', 'rebooting', 'shutting_down', 'deleting') ORDER BY created_at"), &[])
}

pub fn label_taken(conn: &Connection, label: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM servers WHERE label = ?1 AND deleted_at IS NULL)",
        [label],
        |r| r.get(0),
    )
}

/// Live servers by status, for the dashboard.
pub fn count_by_status(conn: &Connection) -> Result<Vec<(ServerStatus, i64)>> {
    let mut stmt = conn.prepare("SELECT status, count(*) FROM servers WHERE deleted_at IS NULL GROUP BY status ORDER BY status")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(s, n)| {
            ServerStatus::parse(&s)
                .map(|s| (s, n))
                .ok_or_else(|| StoreError::Corrupt(format!("status {s:?}")))
        })
        .collect()
}

pub fn mark_deleted(conn: &Connection, id: ServerId, at: Timestamp) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE servers SET status = 'deleted', deleted_at = ?2, updated_at = ?2 WHERE id = ?1",
        params![id.to_string(), fmt_ts(&at)],
    )?;
    Ok(())
}

fn query(conn: &Connection, sql: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<Server>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt
        .query_map(args, raw_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(decode).collect()
}

type Raw = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
);

fn raw_row(r: &Row<'_>) -> rusqlite::Result<Raw> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
        r.get(12)?,
        r.get(13)?,
        r.get(14)?,
    ))
}

fn decode(raw: Raw) -> Result<Server> {
    let (
        id,
        org,
        plan,
        label,
        provider,
        provider_id,
        provider_type,
        region,
        image,
        status,
        ipv4,
        ipv6,
        created,
        updated,
        deleted,
    ) = raw;
    let bad = |what: &str, e: String| StoreError::Corrupt(format!("{what}: {e}"));
    Ok(Server {
        id: id
            .parse()
            .map_err(|e: uuid::Error| bad("server id", e.to_string()))?,
        organization_id: org
            .parse()
            .map_err(|e: uuid::Error| bad("organization id", e.to_string()))?,
        plan_id: plan
            .parse()
            .map_err(|e: uuid::Error| bad("plan id", e.to_string()))?,
        label,
        provider: ProviderKind::parse(&provider)
            .ok_or_else(|| bad("provider", provider.clone()))?,
        provider_id,
        provider_type,
        region,
        image,
        status: ServerStatus::parse(&status).ok_or_else(|| bad("status", status.clone()))?,
        ipv4,
        ipv6,
        created_at: parse_ts(&created)?,
        updated_at: parse_ts(&updated)?,
        deleted_at: deleted.as_deref().map(parse_ts).transpose()?,
    })
}
