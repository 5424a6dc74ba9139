//! The invariants, checked against the database. Used by the tests, the
//! property tests, the crash test after every kill, and available to the app
//! as a health check ([`verify`]).
//!
//! 1. Every ledger transaction sums to zero.
//! 2. Every cached account balance equals the sum of its entries.
//! 3. Every meter's usage intervals are contiguous from its first hour, never
//!    past its last, and a closed meter is billed exactly through its last
//!    hour: each hour at most once and none missed.
//! 4. Usage in the ledger equals usage in the intervals, per organization.
//! 5. Issued documents add up (lines, tax totals, total) and their numbers are
//!    gapless per series and period.
//! 6. For every invoiced month and organization, the wallet paid exactly the
//!    month's invoices: usage accrued + invoice postings == invoice totals.
//! 7. Every meter's copy of its current price (`billing_meters.price_from_hour`,
//!    `hourly_micros`, `monthly_micros`, migration 0011) equals its latest
//!    `meter_prices` row: the billing run prices hours with that copy.
//!
//! That issued documents never change is enforced by triggers and checked by
//! comparing [`document_digests`] before and after.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension};

use crate::error::{BillingError, Result};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvariantReport {
    pub transactions: i64,
    pub accounts: i64,
    pub meters: i64,
    pub hours_billed: i64,
    pub documents: i64,
}

fn fail(what: String) -> BillingError {
    BillingError::Invariant(what)
}

pub fn verify(conn: &Connection) -> Result<InvariantReport> {
    let mut r = InvariantReport::default();
    // 1.
    let bad: Option<(i64, i64)> = conn
        .query_row("SELECT txn_id, sum(amount_micros) FROM ledger_entries GROUP BY txn_id HAVING sum(amount_micros) != 0 LIMIT 1", [], |x| Ok((x.get(0)?, x.get(1)?)))
        .ok();
    if let Some((t, s)) = bad {
        return Err(fail(format!("ledger transaction {t} sums to {s} micros")));
    }
    r.transactions = conn.query_row("SELECT count(*) FROM ledger_txns", [], |x| x.get(0))?;
    // 2.
    let bad: Option<(i64, i64, i64)> = conn
        .query_row(
            "SELECT a.id, a.balance_micros, coalesce((SELECT sum(amount_micros) FROM ledger_entries e WHERE e.account_id = a.id), 0) AS s
             FROM ledger_accounts a WHERE a.balance_micros != s LIMIT 1",
            [],
            |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?)),
        )
        .ok();
    if let Some((a, cached, sum)) = bad {
        return Err(fail(format!(
            "account {a} caches {cached} micros but its entries sum to {sum}"
        )));
    }
    r.accounts = conn.query_row("SELECT count(*) FROM ledger_accounts", [], |x| x.get(0))?;
    // 3.
    {
        let mut stmt = conn.prepare(
            "SELECT m.id, m.start_hour, m.end_hour, m.closed, i.month, i.first_hour, i.last_hour, i.hours, i.month, i.month_to_date_micros, i.amount_micros
             FROM billing_meters m LEFT JOIN usage_intervals i ON i.meter_id = m.id ORDER BY m.id, i.first_hour",
        )?;
        let mut rows = stmt.query([])?;
        let mut cur: Option<(i64, i64, Option<i64>, bool)> = None;
        let mut expect_next = 0i64;
        let mut month_total: BTreeMap<i64, i64> = BTreeMap::new();
        let finish = |m: &(i64, i64, Option<i64>, bool), next: i64| -> Result<()> {
            let (id, start, end, closed) = *m;
            if let Some(e) = end {
                if next - 1 > e.max(start - 1) {
                    return Err(fail(format!(
                        "meter {id} billed through hour {} past its last hour {e}",
                        next - 1
                    )));
                }
                if closed && next - 1 != e.max(start - 1) {
                    return Err(fail(format!(
                        "meter {id} is closed but billed through hour {}, not its last hour {e}",
                        next - 1
                    )));
                }
            }
            Ok(())
        };
        while let Some(x) = rows.next()? {
            let meter: (i64, i64, Option<i64>, bool) = (x.get(0)?, x.get(1)?, x.get(2)?, x.get(3)?);
            if cur.map(|c| c.0) != Some(meter.0) {
                if let Some(c) = &cur {
                    finish(c, expect_next)?;
                }
                cur = Some(meter);
                expect_next = meter.1;
                month_total.clear();
                r.meters += 1;
            }
            let Some(interval_month) = x.get::<_, Option<i64>>(4)? else {
                continue;
            };
            let iid = format!("{} of month {interval_month}", meter.0);
            let (first, last, hours, month, mtd, amount): (i64, i64, i64, i64, i64, i64) = (
                x.get(5)?,
                x.get(6)?,
                x.get(7)?,
                x.get(8)?,
                x.get(9)?,
                x.get(10)?,
            );
            if first != expect_next {
                return Err(fail(format!("meter {}: interval {iid} starts at hour {first}, expected {expect_next} (an hour missed or billed twice)", meter.0)));
            }
            if hours != last - first + 1 {
                return Err(fail(format!(
                    "interval {iid} counts {hours} hours for {}..={}",
                    first, last
                )));
            }
            let t = month_total.entry(month).or_default();
            *t += amount;
            if *t != mtd {
                return Err(fail(format!(
                    "interval {iid}: month-to-date {mtd} but intervals sum to {t}"
                )));
            }
            r.hours_billed += hours;
            expect_next = last + 1;
        }
        if let Some(c) = &cur {
            finish(c, expect_next)?;
        }
    }
    // 4.
    let bad: Option<(String, i64, i64)> = conn
        .query_row(
            "WITH iv AS (SELECT m.organization_id AS org, m.currency AS cur, sum(i.amount_micros) AS s FROM usage_intervals i JOIN billing_meters m ON m.id = i.meter_id GROUP BY 1, 2),
                  lg AS (SELECT t.organization_id AS org, t.currency AS cur, -sum(e.amount_micros) AS s FROM ledger_txns t JOIN ledger_entries e ON e.txn_id = t.id
                         JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = 'wallet' WHERE t.kind = 'usage' GROUP BY 1, 2)
             SELECT coalesce(iv.org, lg.org), coalesce(iv.s, 0), coalesce(lg.s, 0) FROM iv FULL OUTER JOIN lg ON lg.org = iv.org AND lg.cur = iv.cur
             WHERE coalesce(iv.s, 0) != coalesce(lg.s, 0) LIMIT 1",
            [],
            |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?)),
        )
        .ok();
    if let Some((org, iv, lg)) = bad {
        return Err(fail(format!("organization {org}: intervals hold {iv} micros of usage but the wallet was charged {lg}")));
    }
    // 5.
    let bad: Option<String> = conn
        .query_row(
            "SELECT d.id FROM documents d WHERE d.status = 'issued' AND (
                d.subtotal_minor != (SELECT coalesce(sum(amount_minor), 0) FROM document_lines WHERE document_id = d.id)
             OR d.tax_minor != (SELECT coalesce(sum(tax_minor), 0) FROM document_tax_totals WHERE document_id = d.id)
             OR d.subtotal_minor != (SELECT coalesce(sum(net_minor), 0) FROM document_tax_totals WHERE document_id = d.id)) LIMIT 1",
            [],
            |x| x.get(0),
        )
        .ok();
    if let Some(d) = bad {
        return Err(fail(format!(
            "document {d} does not add up (lines, tax totals and totals disagree)"
        )));
    }
    let bad: Option<(String, String, i64, i64, i64)> = conn
        .query_row(
            "SELECT c.series, c.period, c.last_seq, count(d.id), coalesce(max(d.seq), 0) FROM document_counters c
             LEFT JOIN documents d ON d.kind = c.series AND d.period = c.period AND d.status = 'issued'
             GROUP BY c.series, c.period HAVING count(d.id) != c.last_seq OR coalesce(max(d.seq), 0) != c.last_seq LIMIT 1",
            [],
            |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?, x.get(3)?, x.get(4)?)),
        )
        .ok();
    if let Some((s, p, last, n, max)) = bad {
        return Err(fail(format!(
            "numbers of {s} {p} have gaps: counter {last}, {n} documents, highest {max}"
        )));
    }
    r.documents = conn.query_row(
        "SELECT count(*) FROM documents WHERE status = 'issued'",
        [],
        |x| x.get(0),
    )?;
    // 6.
    let bad: Option<(String, i64, i64, i64)> = conn
        .query_row(
            "WITH inv AS (SELECT organization_id AS org, currency AS cur, month, sum(total_minor) AS total FROM documents
                          WHERE kind = 'invoice' AND status = 'issued' GROUP BY 1, 2, 3),
                  paid AS (SELECT t.organization_id AS org, t.currency AS cur, t.month, -sum(e.amount_micros) AS s FROM ledger_txns t
                           JOIN ledger_entries e ON e.txn_id = t.id JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = 'wallet'
                           WHERE t.kind IN ('usage', 'invoice') GROUP BY 1, 2, 3)
             SELECT inv.org, inv.month, inv.total, coalesce(paid.s, 0) FROM inv LEFT JOIN paid ON paid.org = inv.org AND paid.cur = inv.cur AND paid.month = inv.month
             WHERE inv.total * (1000000 / CASE inv.cur WHEN 'JPY' THEN 1 WHEN 'KRW' THEN 1 WHEN 'ISK' THEN 1 WHEN 'CLP' THEN 1 ELSE 100 END) != coalesce(paid.s, 0) LIMIT 1",
            [],
            |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?, x.get(3)?)),
        )
        .ok();
    if let Some((org, month, total, paid)) = bad {
        return Err(fail(format!("organization {org}, month {month}: invoices total {total} minor units but the wallet paid {paid} micros for that month")));
    }
    // 7.
    meter_prices_copied(conn)?;
    Ok(r)
}

/// Invariant 7: every meter's copy of its latest price equals its latest
/// `meter_prices` row (all NULL when it has none).
pub fn meter_prices_copied(conn: &Connection) -> Result<()> {
    type Price = (Option<i64>, Option<i64>, Option<i64>);
    let bad: Option<(i64, Price, Price)> = conn
        .query_row(
            "SELECT m.id, m.price_from_hour, m.hourly_micros, m.monthly_micros, p.from_hour, p.hourly_micros, p.monthly_micros
             FROM billing_meters m
             LEFT JOIN meter_prices p ON p.meter_id = m.id AND p.from_hour = (SELECT max(from_hour) FROM meter_prices WHERE meter_id = m.id)
             WHERE m.price_from_hour IS NOT p.from_hour OR m.hourly_micros IS NOT p.hourly_micros OR m.monthly_micros IS NOT p.monthly_micros
             LIMIT 1",
            [],
            |x| Ok((x.get(0)?, (x.get(1)?, x.get(2)?, x.get(3)?), (x.get(4)?, x.get(5)?, x.get(6)?))),
        )
        .optional()?;
    if let Some((m, copy, latest)) = bad {
        return Err(fail(format!(
            "meter {m} is priced (from hour, hourly, monthly micros) {copy:?} on its row but its latest price is {latest:?}"
        )));
    }
    Ok(())
}

/// A digest of every issued document, its lines and tax totals, by id; equal
/// digests before and after mean no issued document changed.
pub fn document_digests(conn: &Connection) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut stmt = conn.prepare(
        "SELECT d.id, json_array(d.kind, d.number, d.organization_id, d.currency, d.month, d.subtotal_minor, d.tax_minor, d.total_minor, d.issued_at,
            d.customer_name, d.customer_tax_id, d.tax_note, d.credits_document_id, d.ledger_txn_id,
            (SELECT json_group_array(json_array(line_no, description, amount_micros, amount_minor, capped, tax_rate_ppm)) FROM document_lines WHERE document_id = d.id),
            (SELECT json_group_array(json_array(name, rate_ppm, net_minor, tax_minor)) FROM document_tax_totals WHERE document_id = d.id))
         FROM documents d WHERE d.status = 'issued'",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(x) = rows.next()? {
        out.insert(x.get(0)?, x.get(1)?);
    }
    Ok(out)
}

/// How many meters are not billed through `through` (or their last hour, if
/// earlier): 0 after a complete run means no hour was skipped.
pub fn unbilled_meters(conn: &Connection, through: cs_core::metering::Hour) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM billing_meters m
         WHERE m.start_hour <= ?1 AND coalesce((SELECT last_hour FROM usage_intervals WHERE meter_id = m.id ORDER BY month DESC, price_from_hour DESC LIMIT 1), m.start_hour - 1) < min(?1, coalesce(m.end_hour, ?1))",
        [through],
        |r| r.get(0),
    )?)
}
