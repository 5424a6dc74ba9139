//! The raw floor of the billing benchmark (`cargo xtask bench billing`, part
//! (a)): the rows one hourly run writes — a usage interval per meter and, per
//! organization, a usage ledger transaction with its wallet and revenue
//! entries — written with bare prepared INSERTs into the same schema (its
//! indexes and triggers included), so the run's figure reads as a ratio to
//! it. The engine never calls this; it lives here because the tables are
//! this crate's.

use cs_core::Timestamp;
use cs_store::fmt_ts;
use rusqlite::{params, Connection};

use crate::error::Result;

/// The revenue account and the wallet account of each organization (in the
/// order given), in USD, as the engine opened them with their first meter.
pub fn usd_accounts(conn: &Connection, orgs: &[String]) -> Result<(i64, Vec<i64>)> {
    let revenue = conn.query_row(
        "SELECT id FROM ledger_accounts WHERE kind = 'revenue' AND currency = 'USD'",
        [],
        |r| r.get(0),
    )?;
    let mut wallets = Vec::with_capacity(orgs.len());
    let mut q = conn.prepare(
        "SELECT id FROM ledger_accounts WHERE kind = 'wallet' AND organization_id = ?1 AND currency = 'USD'",
    )?;
    for o in orgs {
        wallets.push(q.query_row([o], |r| r.get(0))?);
    }
    Ok((revenue, wallets))
}

/// One one-hour usage interval for each of the meters `1..=meters`, in
/// `month` from `hour`.
pub fn insert_intervals(conn: &Connection, meters: i64, month: i64, hour: i64) -> Result<()> {
    let mut s = conn.prepare(
        "INSERT INTO usage_intervals (meter_id, month, price_from_hour, hourly_micros, monthly_micros, first_hour, last_hour, hours, capped_hours,
            amount_micros, month_to_date_micros) VALUES (?1, ?2, ?3, 7500, 5000000, ?3, ?3, 1, 0, 7500, 7500)",
    )?;
    for meter in 1..=meters {
        s.execute(params![meter, month, hour])?;
    }
    Ok(())
}

/// The rows one hourly run writes: an interval per meter (`1..=meters`, in
/// `interval`'s month, starting at its hour) and, per organization, a usage
/// transaction with its wallet and revenue entries.
pub fn insert_run(
    conn: &Connection,
    meters: i64,
    orgs: &[String],
    at: Timestamp,
    interval: (i64, i64),
    revenue_account: i64,
    wallet_accounts: &[i64],
) -> Result<()> {
    let (month, hour) = interval;
    insert_intervals(conn, meters, month, hour)?;
    let mut txn = conn.prepare(
        "INSERT INTO ledger_txns (idem_key, kind, organization_id, currency, fingerprint, at, month, memo, actor)
         VALUES (?1, 'usage', ?2, 'USD', ?1, ?3, ?4, 'Usage', 'bench')",
    )?;
    let mut entry = conn.prepare(
        "INSERT INTO ledger_entries (txn_id, account_id, amount_micros) VALUES (?1, ?2, ?3)",
    )?;
    for (o, wallet) in orgs.iter().zip(wallet_accounts) {
        txn.execute(params![
            format!("usage:{o}:USD:raw"),
            o,
            fmt_ts(&at),
            cs_core::metering::month_of(at)
        ])?;
        let id = conn.last_insert_rowid();
        entry.execute(params![id, wallet, -75_000])?;
        entry.execute(params![id, revenue_account, 75_000])?;
    }
    Ok(())
}

/// How many rows each of the engine's growing tables holds.
pub fn row_counts(conn: &Connection) -> Result<Vec<(&'static str, i64)>> {
    let mut out = Vec::new();
    for table in [
        "billing_meters",
        "meter_prices",
        "usage_intervals",
        "ledger_txns",
        "ledger_entries",
        "documents",
        "document_lines",
    ] {
        out.push((
            table,
            conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?,
        ));
    }
    Ok(out)
}
