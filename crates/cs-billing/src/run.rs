//! The billing run: bills every meter through an hour, exactly once.
//!
//! Meters are processed in chunks of [`CHUNK`] (by organization, then id),
//! one IMMEDIATE transaction per chunk. Inside it, for each meter, the
//! watermark (the `last_hour` of its latest usage interval) is read, the hours after it up to
//! the target are priced by [`cs_core::metering::bill_hours`], the latest
//! interval is extended with a guarded `UPDATE … WHERE last_hour = <watermark>`
//! (or a new interval inserted under its UNIQUE key), and the amounts are
//! added to the organization's usage ledger transaction of each day — all in
//! the same transaction. A crash anywhere rolls the chunk back whole; a re-run
//! reads the committed watermarks and continues, so an hour is never billed
//! twice and never skipped. A second process waits for the write lock and
//! then finds the watermarks already moved.

use std::collections::HashMap;
use std::fmt::Write;

use cs_core::metering::{
    bill_hours_into, day_of_hour, hour_start, last_complete_hour, month_first_hour, month_of_hour,
    Hour, MeterPrice, Watermark,
};
use cs_core::{Currency, OrganizationId, Timestamp};
use rusqlite::{params, Connection};
use serde::Serialize;

use crate::db::Db;
use crate::documents::{self, DocumentSummary};
use crate::dunning::{self, Decision};
use crate::error::{BillingError, Result};
use crate::ledger::UsagePoster;
use crate::meters::sync_meters;
use crate::settings::BillingSettings;

/// Meters per transaction. A chunk's meters are spread over the whole
/// interval table (they are grouped by organization), so every chunk rewrites
/// most of its pages into the write-ahead log: fewer, larger chunks write less
/// (20 000 meters take well under a second, the longest the store is held).
pub const CHUNK: usize = 20_000;

/// Reported after each chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub meters_done: u64,
    pub meters_total: u64,
    pub hours_billed: u64,
    /// Billing runs through the end of this hour.
    pub through: Timestamp,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BillReport {
    pub meters: u64,
    pub hours_billed: u64,
    pub amount_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunReport {
    /// The last hour billed (hour index) and its start.
    pub through_hour: Hour,
    pub meters_opened: usize,
    pub meters_closed: usize,
    pub billed: BillReport,
    pub invoices: Vec<DocumentSummary>,
    pub decisions: Vec<Decision>,
}

/// What the scheduler calls every hour (and at start-up, to catch up): syncs
/// meters with the servers table, bills every hour that is over at `now`
/// and not billed yet, issues last month's invoices when due
/// (`billing.auto_invoice`), and evaluates dunning. Safe to call at any time,
/// as often as wanted, from several processes.
pub fn run_due(
    db: &impl Db,
    now: Timestamp,
    progress: &mut dyn FnMut(Progress),
) -> Result<RunReport> {
    run_due_chunked(db, now, CHUNK, progress)
}

/// [`run_due`] with `chunk` meters per transaction (the crash test uses small
/// chunks so that kills land between them).
pub fn run_due_chunked(
    db: &impl Db,
    now: Timestamp,
    chunk: usize,
    progress: &mut dyn FnMut(Progress),
) -> Result<RunReport> {
    let (meters_opened, meters_closed) = db.write(sync_meters)?;
    let through = last_complete_hour(now);
    let billed = bill_through_chunked(db, through, chunk, progress)?;
    let settings = db.read(BillingSettings::load)?;
    let invoices = if settings.auto_invoice {
        documents::issue_due_invoices(db, now)?
    } else {
        Vec::new()
    };
    let decisions = dunning::evaluate_all(db, now)?;
    Ok(RunReport {
        through_hour: through,
        meters_opened,
        meters_closed,
        billed,
        invoices,
        decisions,
    })
}

/// Bills every open meter through hour `through` (inclusive).
pub fn bill_through(
    db: &impl Db,
    through: Hour,
    progress: &mut dyn FnMut(Progress),
) -> Result<BillReport> {
    bill_through_chunked(db, through, CHUNK, progress)
}

fn bill_through_chunked(
    db: &impl Db,
    through: Hour,
    chunk_size: usize,
    progress: &mut dyn FnMut(Progress),
) -> Result<BillReport> {
    let chunk_size = chunk_size.max(1);
    let total: i64 = db.read(|c| {
        Ok(c.query_row(
            "SELECT count(*) FROM billing_meters WHERE closed = 0",
            [],
            |r| r.get(0),
        )?)
    })?;
    let mut report = BillReport::default();
    let mut cursor = (String::new(), 0i64);
    loop {
        let chunk = db.write(|c| bill_chunk(c, &cursor, through, chunk_size))?;
        let Some(last) = chunk.last_meter else { break };
        cursor = last;
        report.meters += chunk.meters;
        report.hours_billed += chunk.hours;
        report.amount_micros += chunk.micros;
        progress(Progress {
            meters_done: report.meters,
            meters_total: (total.max(0) as u64).max(report.meters),
            hours_billed: report.hours_billed,
            through: hour_start(through + 1),
        });
    }
    Ok(report)
}

struct Chunk {
    /// (organization, meter id) of the last meter, the cursor of the next chunk.
    last_meter: Option<(String, i64)>,
    meters: u64,
    hours: u64,
    micros: i64,
}

struct MeterRow {
    id: i64,
    /// Index into the chunk's distinct (organization, currency) pairs.
    account: usize,
    start_hour: Hour,
    end_hour: Option<Hour>,
    /// The latest usage interval: (month, price_from_hour, last_hour, month_to_date_micros).
    open: Option<(i64, Hour, Hour, i64)>,
    /// The meter's latest price (greatest `from_hour`), copied on the meter
    /// row (migration 0011); `None` if it has no price.
    latest_price: Option<MeterPrice>,
}

/// A chunk as read: its meters sorted by id, the distinct (organization,
/// currency) pairs they bill to, and the cursor of the next chunk.
struct ChunkRead {
    meters: Vec<MeterRow>,
    accounts: Vec<(String, String)>,
    /// The last meter in (organization, id) order; `None` when no meter is left.
    last: Option<(String, i64)>,
}

/// Reads a chunk under its write lock: the open meters after the cursor in
/// (organization, id) order (the partial index's order, which also holds
/// each meter's latest price), then each one's latest usage interval (its
/// watermark).
///
/// The watermarks come from one statement: the chunk's meter ids, in id
/// order, joined with their intervals of the month of the hour before
/// `through` and later (a primary-key range: in the hourly run, one row per
/// meter). The greatest (month, price_from_hour) among them is the latest
/// interval, since every older one is in an earlier month. A meter with none
/// in that window either started inside it (it has no interval at all:
/// intervals never start before the meter) or was last billed before it (a
/// catch-up across a month's end): only the latter are searched one by one.
fn read_chunk(
    conn: &Connection,
    after: &(String, i64),
    limit: usize,
    through: Hour,
) -> Result<ChunkRead> {
    let mut accounts: Vec<(String, String)> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut meters: Vec<MeterRow> = Vec::with_capacity(limit.min(1 << 16));
    let mut stmt = conn.prepare_cached(
        "SELECT id, organization_id, currency, start_hour, end_hour, price_from_hour, hourly_micros, monthly_micros FROM billing_meters
         WHERE closed = 0 AND (organization_id, id) > (?1, ?2) ORDER BY organization_id, id LIMIT ?3",
    )?;
    let mut rows = stmt.query(params![after.0, after.1, limit as i64])?;
    while let Some(r) = rows.next()? {
        // Meters come grouped by organization: the last pair almost always
        // matches, so strings are copied once per organization, not per meter.
        let text = |i: usize| -> rusqlite::Result<&str> {
            r.get_ref(i)?.as_str().map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    i,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })
        };
        let (org, currency) = (text(1)?, text(2)?);
        let account = match accounts.last() {
            Some((o, c)) if o == org && c == currency => accounts.len() - 1,
            _ => *index
                .entry((org.to_string(), currency.to_string()))
                .or_insert_with(|| {
                    accounts.push((org.to_string(), currency.to_string()));
                    accounts.len() - 1
                }),
        };
        let latest_price = match r.get::<_, Option<i64>>(5)? {
            Some(from_hour) => Some(MeterPrice {
                from_hour,
                hourly_micros: r.get(6)?,
                monthly_micros: r.get(7)?,
            }),
            None => None,
        };
        meters.push(MeterRow {
            id: r.get(0)?,
            account,
            start_hour: r.get(3)?,
            end_hour: r.get(4)?,
            open: None,
            latest_price,
        });
    }
    let Some(last) = meters.last().map(|m| (accounts[m.account].0.clone(), m.id)) else {
        return Ok(ChunkRead {
            meters,
            accounts,
            last: None,
        });
    };
    // The watermarks are read in id order: one ascending pass over the
    // intervals' B-tree (keyed by meter id), so each of its pages is fetched
    // once per chunk, not once per organization.
    meters.sort_unstable_by_key(|m| m.id);
    // The month of the hour before `through`: where the watermark of every
    // meter billed in the last hourly run lies.
    let window = month_of_hour(through - 1);
    let mut ids = String::with_capacity(meters.len() * 8 + 2);
    for m in &meters {
        ids.push(if ids.is_empty() { '[' } else { ',' });
        write!(ids, "{}", m.id).map_err(|e| BillingError::Invariant(e.to_string()))?;
    }
    ids.push(']');
    let mut joined = conn.prepare_cached(
        "SELECT j.key, i.month, i.price_from_hour, i.last_hour, i.month_to_date_micros
         FROM json_each(?1) j CROSS JOIN usage_intervals i ON i.meter_id = j.value AND i.month >= ?2",
    )?;
    let mut rows = joined.query(params![ids, window])?;
    while let Some(r) = rows.next()? {
        let m = usize::try_from(r.get::<_, i64>(0)?)
            .ok()
            .and_then(|k| meters.get_mut(k))
            .ok_or_else(|| {
                BillingError::Invariant("json_each returned a key out of the chunk".into())
            })?;
        let interval: (i64, Hour, Hour, i64) = (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
        // The latest is the greatest (month, price_from_hour), in whatever
        // order the rows come.
        if m.open.is_none_or(|o| (o.0, o.1) < (interval.0, interval.1)) {
            m.open = Some(interval);
        }
    }
    drop(rows);
    let window_first_hour = month_first_hour(window);
    let mut read = conn.prepare_cached(
        "SELECT month, price_from_hour, last_hour, month_to_date_micros FROM usage_intervals WHERE meter_id = ?1
         ORDER BY month DESC, price_from_hour DESC LIMIT 1",
    )?;
    for m in meters
        .iter_mut()
        .filter(|m| m.open.is_none() && m.start_hour < window_first_hour)
    {
        let mut rows = read.query([m.id])?;
        if let Some(r) = rows.next()? {
            m.open = Some((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?));
        }
    }
    // Debug builds (every test, the debug crash test) check each price copy
    // the chunk is about to trust against meter_prices (invariant 7 of
    // `verify`, which checks every meter after the fact).
    #[cfg(debug_assertions)]
    {
        use rusqlite::OptionalExtension;
        let mut latest = conn.prepare_cached("SELECT from_hour, hourly_micros, monthly_micros FROM meter_prices WHERE meter_id = ?1 ORDER BY from_hour DESC LIMIT 1")?;
        for m in &meters {
            let actual = latest
                .query_row([m.id], |r| {
                    Ok(MeterPrice {
                        from_hour: r.get(0)?,
                        hourly_micros: r.get(1)?,
                        monthly_micros: r.get(2)?,
                    })
                })
                .optional()?;
            if actual != m.latest_price {
                return Err(BillingError::Invariant(format!(
                    "meter {} carries the price {:?} but its latest price is {actual:?}",
                    m.id, m.latest_price
                )));
            }
        }
    }
    Ok(ChunkRead {
        meters,
        accounts,
        last: Some(last),
    })
}

/// Every price of a meter, by `from_hour`: needed only when its latest price
/// starts after the hour after its watermark (a resize or an applied price
/// change whose first hour is not billed yet, or hours still due at an
/// earlier price).
fn all_prices(conn: &Connection, meter: i64) -> Result<Vec<MeterPrice>> {
    let mut stmt = conn.prepare_cached("SELECT from_hour, hourly_micros, monthly_micros FROM meter_prices WHERE meter_id = ?1 ORDER BY from_hour")?;
    let prices = stmt
        .query_map([meter], |r| {
            Ok(MeterPrice {
                from_hour: r.get(0)?,
                hourly_micros: r.get(1)?,
                monthly_micros: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(prices)
}

/// Runs a statement whose parameters are all integers, bound in order: the
/// hot path of the run (one per meter), without `params!`'s dynamic dispatch.
fn execute_ints<const N: usize>(
    stmt: &mut rusqlite::CachedStatement<'_>,
    values: [i64; N],
) -> rusqlite::Result<usize> {
    for (k, v) in values.into_iter().enumerate() {
        stmt.raw_bind_parameter(k + 1, v)?;
    }
    stmt.raw_execute()
}

fn bill_chunk(
    conn: &Connection,
    after: &(String, i64),
    through: Hour,
    limit: usize,
) -> Result<Chunk> {
    // The meters are written in id order, like they were read, so the chunk
    // walks the intervals' B-tree in one ascending pass instead of jumping
    // around it organization by organization. Usage is summed per
    // (organization, currency, day) below, whatever the order.
    let ChunkRead {
        meters,
        accounts,
        last,
    } = read_chunk(conn, after, limit, through)?;
    let Some(last) = last else {
        return Ok(Chunk {
            last_meter: None,
            meters: 0,
            hours: 0,
            micros: 0,
        });
    };
    let mut extend = conn.prepare_cached(
        "UPDATE usage_intervals SET last_hour = ?2, hours = hours + ?3, capped_hours = capped_hours + ?4,
            amount_micros = amount_micros + ?5, month_to_date_micros = ?6
         WHERE meter_id = ?1 AND month = ?8 AND price_from_hour = ?9 AND last_hour = ?7",
    )?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO usage_intervals (meter_id, month, price_from_hour, hourly_micros, monthly_micros, first_hour, last_hour, hours, capped_hours,
            amount_micros, month_to_date_micros) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    let mut close = conn.prepare_cached("UPDATE billing_meters SET closed = 1 WHERE id = ?1")?;
    // Usage per account (the chunk's (organization, currency) index) as
    // (day, micros, whether the day's usage transaction is probably open
    // already: a meter's watermark is in that day). A meter adds to one day,
    // or to a few in a catch-up, so each list is searched linearly.
    let mut usage: Vec<Vec<(i64, i64, bool)>> = vec![Vec::new(); accounts.len()];
    let mut chunk = Chunk {
        last_meter: Some(last),
        meters: meters.len() as u64,
        hours: 0,
        micros: 0,
    };
    let mut earlier_prices: Vec<MeterPrice>;
    // bill_hours' output, reused from meter to meter.
    let (mut deltas, mut days) = (Vec::new(), Vec::new());
    for m in &meters {
        let watermark = m.open.map(|o| o.2).unwrap_or(m.start_hour - 1);
        let target = m.end_hour.map_or(through, |e| e.min(through));
        if target > watermark {
            // Every hour after the watermark is at the latest price unless it
            // starts later than the next hour: then the hours before it are
            // at earlier prices, read from meter_prices (rare: the first run
            // after a resize or an applied price change was recorded ahead).
            let single: [MeterPrice; 1];
            let p: &[MeterPrice] = match m.latest_price {
                Some(lp) if lp.from_hour <= watermark + 1 => {
                    single = [lp];
                    &single
                }
                _ => {
                    earlier_prices = all_prices(conn, m.id)?;
                    &earlier_prices
                }
            };
            let from = Watermark {
                last_hour: watermark,
                month_to_date_micros: m.open.map(|o| o.3).unwrap_or(0),
            };
            bill_hours_into(from, p, target, &mut deltas, &mut days)?;
            for (k, d) in deltas.iter().enumerate() {
                let extends = k == 0
                    && m.open.is_some_and(|(month, pf, last, _)| {
                        month == d.month && pf == d.price_from_hour && last + 1 == d.first_hour
                    });
                if extends {
                    let n = execute_ints(
                        &mut extend,
                        [
                            m.id,
                            d.last_hour,
                            d.hours,
                            d.capped_hours,
                            d.amount_micros,
                            d.month_to_date_micros,
                            watermark,
                            d.month,
                            d.price_from_hour,
                        ],
                    )?;
                    if n != 1 {
                        return Err(BillingError::Invariant(format!("meter {} moved under the run (its interval is not at hour {watermark})", m.id)));
                    }
                } else {
                    execute_ints(
                        &mut insert,
                        [
                            m.id,
                            d.month,
                            d.price_from_hour,
                            d.hourly_micros,
                            d.monthly_micros,
                            d.first_hour,
                            d.last_hour,
                            d.hours,
                            d.capped_hours,
                            d.amount_micros,
                            d.month_to_date_micros,
                        ],
                    )?;
                }
                chunk.hours += d.hours as u64;
                chunk.micros += d.amount_micros;
            }
            let watermark_day = day_of_hour(watermark);
            for &(day, micros) in &days {
                let days_of = &mut usage[m.account];
                match days_of.iter_mut().rev().find(|u| u.0 == day) {
                    Some(u) => {
                        u.1 += micros;
                        u.2 |= day == watermark_day;
                    }
                    None => days_of.push((day, micros, day == watermark_day)),
                }
            }
        }
        if m.end_hour.is_some_and(|e| target >= e) {
            close.execute([m.id])?;
        }
    }
    // Posted in (organization, currency, day) order.
    let mut order: Vec<usize> = (0..accounts.len()).collect();
    order.sort_unstable_by(|a, b| accounts[*a].cmp(&accounts[*b]));
    let mut poster = UsagePoster::default();
    if let (Some(first), Some(last)) = (order.first(), order.last()) {
        poster.preload_wallets(conn, &accounts[*first].0, &accounts[*last].0)?;
    }
    for account in order {
        let days_of = &mut usage[account];
        if days_of.is_empty() {
            continue;
        }
        days_of.sort_unstable_by_key(|u| u.0);
        let (org, currency) = &accounts[account];
        let org: OrganizationId = org
            .parse()
            .map_err(|_| BillingError::Invariant(format!("organization id {org:?}")))?;
        let currency =
            Currency::parse(currency).map_err(|e| BillingError::Invariant(e.to_string()))?;
        for &(day, micros, probably_open) in days_of.iter() {
            poster.accrue_usage(conn, org, currency, day, micros, probably_open)?;
        }
    }
    Ok(chunk)
}
