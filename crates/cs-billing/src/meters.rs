//! Meters: one per billable thing (a server, its backups, each extra IPv4).
//!
//! A meter starts in the hour its thing was created and ends with the hour it
//! was deleted in (if that hour had started). Its prices are rows of
//! `meter_prices` from an hour on; a resize adds one from the next hour.
//! [`sync_meters`] makes the meters follow the `servers` table, so a server the
//! app created or deleted (or one the reconciler found deleted at the
//! provider) is billed even if the app never called [`open_server`] or
//! [`close_server`]; resizes and add-ons must be reported explicitly.

use cs_core::metering::{first_billable_hour, last_billable_hour, next_hour_after};
use cs_core::{OrganizationId, PlanId, ServerId, ServerStatus, Timestamp};
use cs_store::activity::{append, NewActivity};
use cs_store::fmt_ts;
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{BillingError, Result};
use crate::prices::{price_at, set_meter_price, Item};

/// Opens a meter (idempotent: an already live meter for the same server,
/// item and slot is returned as is).
#[allow(clippy::too_many_arguments)]
fn open_meter(
    conn: &Connection,
    server: ServerId,
    org: OrganizationId,
    item: Item,
    slot: i64,
    label: &str,
    plan: PlanId,
    region: &str,
    at: Timestamp,
) -> Result<i64> {
    if let Some(id) = conn
        .prepare_cached("SELECT id FROM billing_meters WHERE server_id = ?1 AND item = ?2 AND slot = ?3 AND end_hour IS NULL")?
        .query_row(params![server.to_string(), item.as_str(), slot], |r| r.get(0))
        .optional()?
    {
        return Ok(id);
    }
    let price = price_at(conn, plan, region, item, at)?;
    // The ledger accounts the meter's usage will be posted to are opened with
    // the meter (once per organization and currency; a lookup afterwards), so
    // an hourly run only adds to existing accounts. Opening them in the first
    // run instead made that run 0.49 of the raw insert rate for 100 000 new
    // servers (BENCH.md).
    crate::ledger::account_id(conn, crate::ledger::AccountRef::wallet(org), price.currency)?;
    crate::ledger::account_id(
        conn,
        crate::ledger::AccountRef::house(cs_core::ledger::AccountKind::Revenue),
        price.currency,
    )?;
    // Billing never reopens an invoiced month (its invoices are issued and
    // immutable): a thing recorded late is billed from the first month
    // without an invoice run.
    let invoiced_through: Option<i64> = conn
        .prepare_cached("SELECT max(month) FROM invoice_runs")?
        .query_row([], |r| r.get(0))?;
    let start = match invoiced_through {
        Some(m) => first_billable_hour(at).max(cs_core::metering::month_first_hour(m + 1)),
        None => first_billable_hour(at),
    };
    conn.prepare_cached(
        "INSERT INTO billing_meters (server_id, organization_id, item, slot, label, currency, start_hour, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![server.to_string(), org.to_string(), item.as_str(), slot, label, price.currency.code(), start, fmt_ts(&at)])?;
    let id = conn.last_insert_rowid();
    conn.prepare_cached(
        "INSERT INTO meter_prices (meter_id, from_hour, hourly_micros, monthly_micros, plan_id, price_rule_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![id, start, price.unit.hourly_micros, price.unit.monthly_micros, plan.to_string(), price.rule_id])?;
    Ok(id)
}

struct ServerRow {
    org: OrganizationId,
    label: String,
    region: String,
    plan: PlanId,
    deleted_at: Option<Timestamp>,
}

/// The server as billing sees it, through the `servers` module's cached
/// lookup by primary key.
fn server_row(conn: &Connection, server: ServerId) -> Result<ServerRow> {
    let s = cs_store::servers::get_brief(conn, server)?.ok_or_else(|| BillingError::NotFound {
        what: "server",
        id: server.to_string(),
    })?;
    Ok(ServerRow {
        org: s.organization_id,
        label: s.label,
        region: s.region,
        plan: s.plan_id,
        deleted_at: s.deleted_at,
    })
}

/// Starts billing a server (from the hour of `created_at`), at the price of
/// its plan at that time. Call it in the transaction that inserts the server;
/// [`sync_meters`] does it otherwise.
pub fn open_server(conn: &Connection, server: ServerId, created_at: Timestamp) -> Result<i64> {
    let s = server_row(conn, server)?;
    let id = open_meter(
        conn,
        server,
        s.org,
        Item::Server,
        0,
        &s.label,
        s.plan,
        &s.region,
        created_at,
    )?;
    if let Some(d) = s.deleted_at {
        close_server(conn, server, d)?;
    }
    Ok(id)
}

/// The plan a server is billed on now (its latest price row).
pub fn current_plan(conn: &Connection, server: ServerId) -> Result<Option<PlanId>> {
    let plan: Option<String> = conn
        .query_row(
            "SELECT p.plan_id FROM billing_meters m JOIN meter_prices p ON p.meter_id = m.id
             WHERE m.server_id = ?1 AND m.item = 'server' ORDER BY m.id DESC, p.from_hour DESC LIMIT 1",
            [server.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    plan.map(|p| {
        p.parse().map_err(|_| {
            BillingError::Invariant(format!("server {server} has a bad plan id in its meter"))
        })
    })
    .transpose()
}

/// The new prices of every open meter of a server resized to `new_plan`
/// at `at`, or why the resize cannot be billed: [`BillingError::NotMetered`]
/// (no open meter), [`BillingError::NoPrice`] (the plan cannot price an
/// add-on the server has). Writes nothing: the app asks before it asks the
/// provider to resize.
pub fn resize_prices(
    conn: &Connection,
    server: ServerId,
    new_plan: PlanId,
    at: Timestamp,
) -> Result<Vec<(i64, crate::prices::ResolvedPrice)>> {
    let s = server_row(conn, server)?;
    let meters: Vec<(i64, String)> = conn
        .prepare_cached(
            "SELECT id, item FROM billing_meters WHERE server_id = ?1 AND end_hour IS NULL",
        )?
        .query_map([server.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if meters.is_empty() {
        return Err(BillingError::NotMetered { server: s.label });
    }
    meters
        .into_iter()
        .map(|(meter, item)| {
            let item = Item::parse(&item).ok_or_else(|| {
                BillingError::Invariant(format!("meter {meter} has item {item:?}"))
            })?;
            Ok((meter, price_at(conn, new_plan, &s.region, item, at)?))
        })
        .collect()
}

/// Bills a resized server (and its add-ons) at `new_plan`'s prices from the
/// hour after `at`; the hour in progress keeps the old rate. Every price is
/// resolved before anything is written, so a plan that cannot price one of
/// the server's add-ons is refused ([`BillingError::NoPrice`]) with every
/// meter unchanged.
pub fn record_resize(
    conn: &Connection,
    server: ServerId,
    new_plan: PlanId,
    at: Timestamp,
    actor: &str,
) -> Result<()> {
    let prices = resize_prices(conn, server, new_plan, at)?;
    let s = server_row(conn, server)?;
    let from = next_hour_after(at);
    let plan_name = cs_store::plans::get_price(conn, new_plan)?
        .ok_or_else(|| BillingError::NotFound {
            what: "plan",
            id: new_plan.to_string(),
        })?
        .name;
    for (meter, price) in prices {
        set_meter_price(
            conn,
            meter,
            from,
            price.unit,
            &new_plan.to_string(),
            price.rule_id,
        )?;
    }
    append(
        conn,
        &NewActivity {
            at,
            actor,
            action: "billing.resized",
            subject_kind: "server",
            subject_id: Some(server.to_string()),
            organization_id: Some(s.org.to_string()),
            summary: format!(
                "{} billed on plan {plan_name} from {}",
                s.label,
                fmt_ts(&cs_core::metering::hour_start(from))
            ),
        },
    )?;
    Ok(())
}

/// Starts billing an add-on of a server (`slot` tells several extra IPv4
/// addresses apart; use 0 for backups).
pub fn enable_addon(
    conn: &Connection,
    server: ServerId,
    item: Item,
    slot: i64,
    at: Timestamp,
    actor: &str,
) -> Result<i64> {
    if item == Item::Server {
        return Err(BillingError::NotAnAddOn);
    }
    let s = server_row(conn, server)?;
    let plan = current_plan(conn, server)?.unwrap_or(s.plan);
    let label = match item {
        Item::Ipv4 => format!("{} extra IPv4 #{}", s.label, slot + 1),
        _ => format!("{} {}", s.label, item.display().to_lowercase()),
    };
    let id = open_meter(conn, server, s.org, item, slot, &label, plan, &s.region, at)?;
    append(
        conn,
        &NewActivity {
            at,
            actor,
            action: "billing.addon_enabled",
            subject_kind: "server",
            subject_id: Some(server.to_string()),
            organization_id: Some(s.org.to_string()),
            summary: format!("Billing {label} from {}", fmt_ts(&at)),
        },
    )?;
    Ok(id)
}

/// Stops billing an add-on after the hour of `at` (if that hour started).
pub fn disable_addon(
    conn: &Connection,
    server: ServerId,
    item: Item,
    slot: i64,
    at: Timestamp,
    actor: &str,
) -> Result<()> {
    let n = conn.execute(
        "UPDATE billing_meters SET end_hour = max(start_hour - 1, ?4,
            coalesce((SELECT last_hour FROM usage_intervals i WHERE i.meter_id = billing_meters.id ORDER BY i.month DESC, i.price_from_hour DESC LIMIT 1), start_hour - 1))
         WHERE server_id = ?1 AND item = ?2 AND slot = ?3 AND end_hour IS NULL",
        params![server.to_string(), item.as_str(), slot, last_billable_hour(at)],
    )?;
    if n == 0 {
        return Err(BillingError::NotFound {
            what: "add-on",
            id: format!("{} of server {server}", item.as_str()),
        });
    }
    let s = server_row(conn, server)?;
    append(
        conn,
        &NewActivity {
            at,
            actor,
            action: "billing.addon_disabled",
            subject_kind: "server",
            subject_id: Some(server.to_string()),
            organization_id: Some(s.org.to_string()),
            summary: format!(
                "Stopped billing {} of {} at {}",
                item.display().to_lowercase(),
                s.label,
                fmt_ts(&at)
            ),
        },
    )?;
    Ok(())
}

/// Stops billing a deleted server and its add-ons after the hour of
/// `deleted_at` (charged if it had started). Idempotent. A deletion noticed
/// late (after hours past it were billed) ends at the last billed hour: billed
/// hours are never taken back here; correct them with a credit note.
pub fn close_server(conn: &Connection, server: ServerId, deleted_at: Timestamp) -> Result<usize> {
    close_server_at_hour(conn, server, last_billable_hour(deleted_at))
}

fn close_server_at_hour(
    conn: &Connection,
    server: ServerId,
    last_hour: cs_core::metering::Hour,
) -> Result<usize> {
    Ok(conn.execute(
        "UPDATE billing_meters SET end_hour = max(start_hour - 1, ?2,
            coalesce((SELECT last_hour FROM usage_intervals i WHERE i.meter_id = billing_meters.id ORDER BY i.month DESC, i.price_from_hour DESC LIMIT 1), start_hour - 1))
         WHERE server_id = ?1 AND end_hour IS NULL",
        params![server.to_string(), last_hour],
    )?)
}

/// Makes the meters follow the `servers` table: for every server queued by
/// the `servers` triggers (inserted, deleted, status changed), opens a meter
/// if it has none (failed servers excepted: they never existed at the
/// provider) and closes the meters of a deleted one. Returns (opened, closed).
pub fn sync_meters(conn: &Connection) -> Result<(usize, usize)> {
    // The queue is read alone and each server looked up by primary key (a
    // cached statement of the `servers` module), so the run never visits the
    // servers it has nothing to do for.
    let queued: Vec<String> = conn
        .prepare_cached("SELECT server_id FROM billing_sync_queue")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut has_meter = conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM billing_meters WHERE server_id = ?1 AND item = 'server')",
    )?;
    let (mut opened, mut closed) = (0, 0);
    for id in &queued {
        let sid: ServerId = id
            .parse()
            .map_err(|_| BillingError::Invariant(format!("server id {id:?}")))?;
        // A queued server that is gone from the table has nothing to bill.
        let Some(s) = cs_store::servers::get_brief(conn, sid)? else {
            continue;
        };
        let metered: bool = has_meter.query_row([id], |r| r.get(0))?;
        if s.status == ServerStatus::Failed {
            // A server the provider never built costs nothing: its meters end
            // before they start (hours already billed stay; see close_server).
            if metered && close_server_at_hour(conn, sid, i64::MIN)? > 0 {
                closed += 1;
            }
        } else if !metered {
            open_server(conn, sid, s.created_at)?;
            opened += 1;
        } else if let Some(d) = s.deleted_at {
            if close_server(conn, sid, d)? > 0 {
                closed += 1;
            }
        }
    }
    conn.execute("DELETE FROM billing_sync_queue", [])?;
    Ok((opened, closed))
}

/// Whether a server has an open meter (it is billed now, or will be for its
/// last hours).
pub fn is_metered(conn: &Connection, server: ServerId) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM billing_meters WHERE server_id = ?1 AND end_hour IS NULL)",
        )?
        .query_row([server.to_string()], |r| r.get(0))?)
}

/// An add-on being billed now: from which hour, at which price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveAddon {
    pub start_hour: cs_core::metering::Hour,
    pub price: cs_core::pricing::UnitPrice,
}

/// The add-on `item` (`slot` 0: backups, the first extra IPv4) of a server,
/// if it is billed now.
pub fn live_addon(
    conn: &Connection,
    server: ServerId,
    item: Item,
    slot: i64,
) -> Result<Option<LiveAddon>> {
    let live: Option<(i64, i64)> = conn
        .prepare_cached(
            "SELECT id, start_hour FROM billing_meters WHERE server_id = ?1 AND item = ?2 AND slot = ?3 AND end_hour IS NULL",
        )?
        .query_row(params![server.to_string(), item.as_str(), slot], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let Some((meter, start_hour)) = live else {
        return Ok(None);
    };
    let (hourly_micros, monthly_micros) = conn
        .prepare_cached(
            "SELECT hourly_micros, monthly_micros FROM meter_prices WHERE meter_id = ?1 ORDER BY from_hour DESC LIMIT 1",
        )?
        .query_row([meter], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(Some(LiveAddon {
        start_hour,
        price: cs_core::pricing::UnitPrice {
            hourly_micros,
            monthly_micros,
        },
    }))
}
