//! Servers: the `servers` table, and the account a server lives on
//! (`servers.account_id`, migration 0009).

use std::collections::HashMap;

use cs_core::{OrganizationId, PlanId, ProviderKind, Server, ServerId, ServerStatus, Timestamp};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::page::{From as PageFrom, Keyset, Page};
use crate::{fmt_ts, parse_ts, Result, StoreError};
use rusqlite::types::Value;

pub fn insert(conn: &Connection, s: &Server) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO servers (id, organization_id, plan_id, label, provider, provider_id, provider_type, region, image, status, ipv4, ipv6, created_at, updated_at, deleted_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
            s.id.to_string(), s.organization_id.to_string(), s.plan_id.to_string(), s.label, s.provider.as_str(), s.provider_id,
            s.provider_type, s.region, s.image, s.status.as_str(), s.ipv4, s.ipv6, fmt_ts(&s.created_at), fmt_ts(&s.updated_at),
            s.deleted_at.as_ref().map(fmt_ts)
        ])?;
    Ok(())
}

/// Writes the fields that change over a server's life, its plan and image
/// included (a resize, a rebuild).
pub fn update(conn: &Connection, s: &Server) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE servers SET provider_id = ?2, status = ?3, ipv4 = ?4, ipv6 = ?5, updated_at = ?6, deleted_at = ?7, provider_type = ?8,
                plan_id = ?9, image = ?10 WHERE id = ?1",
    )?
    .execute(params![s.id.to_string(), s.provider_id, s.status.as_str(), s.ipv4, s.ipv6, fmt_ts(&s.updated_at), s.deleted_at.as_ref().map(fmt_ts), s.provider_type, s.plan_id.to_string(), s.image])?;
    Ok(())
}

/// What billing needs of one server, read by primary key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerBrief {
    pub id: ServerId,
    pub organization_id: OrganizationId,
    pub plan_id: PlanId,
    pub label: String,
    pub region: String,
    pub status: ServerStatus,
    pub created_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
}

/// organization, plan, label, region, status, created, deleted.
type BriefRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
);

/// [`ServerBrief`] of one server (one cached statement: the billing run
/// calls it once per server whose meters it opens or closes).
pub fn get_brief(conn: &Connection, id: ServerId) -> Result<Option<ServerBrief>> {
    let raw: Option<BriefRow> = conn
        .prepare_cached(
            "SELECT organization_id, plan_id, label, region, status, created_at, deleted_at FROM servers WHERE id = ?1",
        )?
        .query_row([id.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
        })
        .optional()?;
    let Some((org, plan, label, region, status, created, deleted)) = raw else {
        return Ok(None);
    };
    let bad = |what: &str, e: String| StoreError::Corrupt(format!("server {id} {what}: {e}"));
    Ok(Some(ServerBrief {
        id,
        organization_id: org
            .parse()
            .map_err(|e: uuid::Error| bad("organization id", e.to_string()))?,
        plan_id: plan
            .parse()
            .map_err(|e: uuid::Error| bad("plan id", e.to_string()))?,
        label,
        region,
        status: ServerStatus::parse(&status).ok_or_else(|| bad("status", status.clone()))?,
        created_at: parse_ts(&created)?,
        deleted_at: deleted.as_deref().map(parse_ts).transpose()?,
    }))
}

/// Every organization's count of live (not deleted) servers.
pub fn count_live_by_org(conn: &Connection) -> Result<HashMap<OrganizationId, i64>> {
    count_live_by(conn, "organization_id")
}

/// One organization's count of live (not deleted) servers.
pub fn count_live_of_org(conn: &Connection, org: OrganizationId) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM servers WHERE organization_id = ?1 AND deleted_at IS NULL",
        )?
        .query_row([org.to_string()], |r| r.get(0))?)
}

/// Every plan's count of live (not deleted) servers.
pub fn count_live_by_plan(conn: &Connection) -> Result<HashMap<PlanId, i64>> {
    count_live_by(conn, "plan_id")
}

fn count_live_by<K: std::str::FromStr + std::hash::Hash + Eq>(
    conn: &Connection,
    column: &str,
) -> Result<HashMap<K, i64>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {column}, count(*) FROM servers WHERE deleted_at IS NULL GROUP BY {column}"
    ))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(k, n)| {
            k.parse()
                .map(|k| (k, n))
                .map_err(|_| StoreError::Corrupt(format!("servers.{column} {k:?}")))
        })
        .collect()
}

/// Records the provider account a server lives on (Linode; the Sandbox has none).
pub fn set_account(conn: &Connection, id: ServerId, account: Option<&str>) -> Result<()> {
    conn.execute(
        "UPDATE servers SET account_id = ?2 WHERE id = ?1",
        params![id.to_string(), account],
    )?;
    Ok(())
}

/// The provider account a server lives on.
pub fn account_of(conn: &Connection, id: ServerId) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT account_id FROM servers WHERE id = ?1",
            [id.to_string()],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten())
}

/// The account of every server that lives on one.
pub fn accounts(conn: &Connection) -> Result<HashMap<ServerId, String>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, account_id FROM servers WHERE account_id IS NOT NULL")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(id, a)| {
            id.parse()
                .map(|id| (ServerId(id), a))
                .map_err(|_| StoreError::Corrupt(format!("server id {id:?}")))
        })
        .collect()
}

/// How many live servers an account holds.
pub fn count_live_on_account(conn: &Connection, account: &str) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM servers WHERE account_id = ?1 AND deleted_at IS NULL",
        [account],
        |r| r.get(0),
    )?)
}

/// Gives the live Linode servers without an account (left without one when
/// the single account of before migration 0009 was disconnected) to `account`.
pub fn adopt_unassigned_linode(conn: &Connection, account: &str) -> Result<usize> {
    Ok(conn.execute(
        "UPDATE servers SET account_id = ?1 WHERE provider = 'linode' AND account_id IS NULL AND deleted_at IS NULL",
        [account],
    )?)
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

/// Up to `limit` live servers of `provider` on `account` (`None`: the
/// Sandbox's, which have no account) after the server `after`, in id order:
/// a full reconciliation reads them a page at a time.
pub fn live_page(
    conn: &Connection,
    provider: ProviderKind,
    account: Option<&str>,
    after: Option<ServerId>,
    limit: usize,
) -> Result<Vec<Server>> {
    let after = after.map(|id| id.to_string()).unwrap_or_default();
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    query(
        conn,
        &format!(
            "{SELECT} WHERE id > ?1 AND provider = ?2 AND account_id IS ?3 AND deleted_at IS NULL ORDER BY id LIMIT ?4"
        ),
        &[&after, &provider.as_str(), &account, &limit],
    )
}

pub fn list_for_org(conn: &Connection, org: OrganizationId) -> Result<Vec<Server>> {
    query(
        conn,
        &format!("{SELECT} WHERE organization_id = ?1 ORDER BY created_at DESC, id"),
        &[&org.to_string()],
    )
}

/// The orders the servers list offers, each served by an index on (key, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerSort {
    #[default]
    Created,
    Label,
    Status,
    Region,
}

impl ServerSort {
    fn expr(self) -> &'static str {
        match self {
            ServerSort::Created => "created_at",
            ServerSort::Label => "label COLLATE NOCASE",
            ServerSort::Status => "status",
            ServerSort::Region => "region",
        }
    }
}

/// Which servers by their life: live (not deleted), deleted, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerState {
    #[default]
    Live,
    Deleted,
    All,
}

/// A servers list: filters, search and order.
#[derive(Debug, Clone, Default)]
pub struct ServerQuery {
    pub sort: ServerSort,
    pub desc: bool,
    /// A prefix of the label (any case) or of the IPv4 address.
    pub search: Option<String>,
    pub state: ServerState,
    pub status: Option<ServerStatus>,
    pub organization: Option<OrganizationId>,
    pub plan: Option<PlanId>,
}

/// One page of servers ([`crate::page`]).
pub fn page(
    conn: &Connection,
    q: &ServerQuery,
    from: &PageFrom,
    limit: u32,
) -> Result<Page<Server>> {
    let columns = SELECT
        .trim_start_matches("SELECT ")
        .trim_end_matches(" FROM servers");
    let mut k = Keyset {
        from: "servers",
        count_from: "servers",
        columns,
        id: "id",
        sort: q.sort.expr(),
        desc: q.desc,
        filters: Vec::new(),
        params: Vec::new(),
    };
    match q.state {
        ServerState::Live => k.filter("deleted_at IS NULL", []),
        ServerState::Deleted => k.filter("deleted_at IS NOT NULL", []),
        ServerState::All => {}
    }
    if let Some(s) = q.status {
        k.filter("status = ?", [Value::Text(s.as_str().into())]);
    }
    if let Some(o) = q.organization {
        k.filter("organization_id = ?", [Value::Text(o.to_string())]);
    }
    if let Some(p) = q.plan {
        k.filter("plan_id = ?", [Value::Text(p.to_string())]);
    }
    if let Some(s) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let [lo, hi] = Keyset::prefix_bounds(s);
        k.filter(
            "(label COLLATE NOCASE >= ? AND label COLLATE NOCASE < ?) OR (ipv4 >= ? AND ipv4 < ?)",
            [lo.clone(), hi.clone(), lo, hi],
        );
    }
    k.read(conn, from, limit, |r| decode(raw_row(r)?))
}

/// Servers the provider is still moving between states
/// ([`ServerStatus::is_transitional`]), which the reconciler watches.
pub fn list_transitional(conn: &Connection) -> Result<Vec<Server>> {
    let statuses = ServerStatus::ALL
        .into_iter()
        .filter(|s| s.is_transitional())
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    query(
        conn,
        &format!("{SELECT} WHERE status IN ({statuses}) ORDER BY created_at"),
        &[],
    )
}

/// The highest numeric provider id ever recorded for `provider`, deleted
/// servers included: a provider that forgets its history (the Sandbox) is
/// seeded past it, so an id is never handed out twice.
pub fn max_numeric_provider_id(
    conn: &Connection,
    provider: cs_core::ProviderKind,
) -> rusqlite::Result<Option<u64>> {
    let mut stmt = conn.prepare(
        "SELECT provider_id FROM servers WHERE provider = ?1 AND provider_id IS NOT NULL",
    )?;
    let ids = stmt.query_map([provider.as_str()], |r| r.get::<_, String>(0))?;
    let mut max = None;
    for id in ids {
        if let Ok(n) = id?.parse::<u64>() {
            max = max.max(Some(n));
        }
    }
    Ok(max)
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

/// Closes a server as deleted at `at` (a no-op for one deleted already).
pub fn mark_deleted(conn: &Connection, id: ServerId, at: Timestamp) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE servers SET status = ?3, deleted_at = ?2, updated_at = ?2 WHERE id = ?1 AND deleted_at IS NULL",
    )?
    .execute(params![id.to_string(), fmt_ts(&at), ServerStatus::Deleted.as_str()])?;
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
