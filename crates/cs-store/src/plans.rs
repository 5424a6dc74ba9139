//! Plans and the regions they are offered in.

use cs_core::{Currency, Money, Plan, PlanId, ProviderKind, Rate};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::{fmt_ts, parse_ts, Result, StoreError};

pub fn insert(conn: &Connection, plan: &Plan) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO plans (id, name, name_key, provider, provider_type, currency, monthly_minor, hourly_micros, active, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
            plan.id.to_string(), plan.name, plan.name.to_lowercase(), plan.provider.as_str(), plan.provider_type,
            plan.monthly.currency.code(), plan.monthly.minor, plan.hourly.micros, plan.active,
            fmt_ts(&plan.created_at), fmt_ts(&plan.updated_at)
        ])?;
    write_regions(conn, plan)
}

pub fn update(conn: &Connection, plan: &Plan) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE plans SET name = ?2, name_key = ?3, provider = ?4, provider_type = ?5, currency = ?6,
                monthly_minor = ?7, hourly_micros = ?8, active = ?9, updated_at = ?10 WHERE id = ?1",
        params![
            plan.id.to_string(), plan.name, plan.name.to_lowercase(), plan.provider.as_str(), plan.provider_type,
            plan.monthly.currency.code(), plan.monthly.minor, plan.hourly.micros, plan.active, fmt_ts(&plan.updated_at)
        ],
    )?;
    conn.execute(
        "DELETE FROM plan_regions WHERE plan_id = ?1",
        [plan.id.to_string()],
    )?;
    write_regions(conn, plan)
}

fn write_regions(conn: &Connection, plan: &Plan) -> rusqlite::Result<()> {
    let mut stmt =
        conn.prepare_cached("INSERT INTO plan_regions (plan_id, region) VALUES (?1, ?2)")?;
    for region in &plan.regions {
        stmt.execute(params![plan.id.to_string(), region])?;
    }
    Ok(())
}

const SELECT: &str = "SELECT p.id, p.name, p.provider, p.provider_type, p.currency, p.monthly_minor, p.hourly_micros, p.active, p.created_at, p.updated_at,
    (SELECT group_concat(region, char(31)) FROM (SELECT region FROM plan_regions WHERE plan_id = p.id ORDER BY region))
    FROM plans p";

pub fn get(conn: &Connection, id: PlanId) -> Result<Option<Plan>> {
    let raw = conn
        .query_row(
            &format!("{SELECT} WHERE p.id = ?1"),
            [id.to_string()],
            raw_row,
        )
        .optional()?;
    raw.map(decode).transpose()
}

pub fn list(conn: &Connection) -> Result<Vec<Plan>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY p.name_key"))?;
    let rows = stmt
        .query_map([], raw_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(decode).collect()
}

/// A plan's name, provider, type and list price, without its regions: what
/// billing prices a meter with (one cached statement by primary key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanPrice {
    pub id: PlanId,
    pub name: String,
    pub provider: ProviderKind,
    pub provider_type: String,
    pub monthly: Money,
    pub hourly: Rate,
}

pub fn get_price(conn: &Connection, id: PlanId) -> Result<Option<PlanPrice>> {
    let raw: Option<(String, String, String, String, i64, i64)> = conn
        .prepare_cached("SELECT name, provider, provider_type, currency, monthly_minor, hourly_micros FROM plans WHERE id = ?1")?
        .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .optional()?;
    let Some((name, provider, provider_type, currency, monthly, hourly)) = raw else {
        return Ok(None);
    };
    let currency = Currency::parse(&currency).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Some(PlanPrice {
        id,
        name,
        provider: ProviderKind::parse(&provider)
            .ok_or_else(|| StoreError::Corrupt(format!("provider {provider:?}")))?,
        provider_type,
        monthly: Money::new(monthly, currency),
        hourly: Rate::new(hourly, currency),
    }))
}

pub fn name_taken(conn: &Connection, name: &str, except: Option<PlanId>) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM plans WHERE name_key = ?1 AND id IS NOT ?2)",
        params![name.to_lowercase(), except.map(|e| e.to_string())],
        |r| r.get(0),
    )
}

pub fn count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM plans", [], |r| r.get(0))
}

type Raw = (
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    bool,
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
    ))
}

fn decode(raw: Raw) -> Result<Plan> {
    let (
        id,
        name,
        provider,
        provider_type,
        currency,
        monthly,
        hourly,
        active,
        created,
        updated,
        regions,
    ) = raw;
    let currency = Currency::parse(&currency).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Plan {
        id: id
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("plan id: {e}")))?,
        name,
        provider: ProviderKind::parse(&provider)
            .ok_or_else(|| StoreError::Corrupt(format!("provider {provider:?}")))?,
        provider_type,
        regions: regions
            .map(|r| r.split('\u{1f}').map(str::to_string).collect())
            .unwrap_or_default(),
        monthly: Money::new(monthly, currency),
        hourly: Rate::new(hourly, currency),
        active,
        created_at: parse_ts(&created)?,
        updated_at: parse_ts(&updated)?,
    })
}
