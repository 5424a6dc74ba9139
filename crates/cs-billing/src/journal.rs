//! The ledger and the issued documents as the accountant's export reads
//! them (the app's documents area turns these rows into `cs-invoice`'s
//! books and reconciles them): ledger transactions with their entries,
//! documents with their totals, and the months whose invoices were issued.
//!
//! Days are `YYYY-MM-DD` in UTC, compared with the stored timestamps' first
//! ten characters; periods include both ends.

use cs_core::ledger::AccountKind;
use cs_core::metering::Month;
use cs_core::Currency;
use rusqlite::{params, Connection, OptionalExtension, ToSql};

use crate::error::{BillingError, Result};
use crate::ledger::TxnKind;
use cs_core::DocumentKind;

/// A ledger transaction with its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalTxn {
    pub id: i64,
    pub kind: TxnKind,
    /// Empty for a house transaction.
    pub organization_id: String,
    pub currency: Currency,
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    pub month: Option<Month>,
    pub memo: String,
    pub document_id: Option<String>,
    /// (account kind, micro-units), by account kind.
    pub entries: Vec<(AccountKind, i64)>,
}

/// An issued document's totals and the ledger transaction it posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTotals {
    pub id: String,
    pub number: String,
    pub kind: DocumentKind,
    pub organization_id: String,
    pub currency: Currency,
    /// `YYYY-MM-DD` (UTC).
    pub issue_date: String,
    pub month: Option<Month>,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub ledger_txn_id: Option<i64>,
}

const TXN_COLUMNS: &str = "SELECT id, kind, coalesce(organization_id, ''), currency, substr(at, 1, 10), month, memo, document_id FROM ledger_txns";

fn read(conn: &Connection, filter: &str, args: &[&dyn ToSql]) -> Result<Vec<JournalTxn>> {
    type Raw = (
        i64,
        String,
        String,
        String,
        String,
        Option<i64>,
        String,
        Option<String>,
    );
    let raw: Vec<Raw> = conn
        .prepare_cached(&format!("{TXN_COLUMNS} WHERE {filter} ORDER BY at, id"))?
        .query_map(args, |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut entries = conn.prepare_cached(
        "SELECT a.kind, e.amount_micros FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id WHERE e.txn_id = ?1 ORDER BY a.kind",
    )?;
    let mut out = Vec::with_capacity(raw.len());
    for (id, kind, organization_id, currency, date, month, memo, document_id) in raw {
        let rows: Vec<(String, i64)> = entries
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let entries = rows
            .into_iter()
            .map(|(k, m)| {
                AccountKind::parse(&k)
                    .map(|k| (k, m))
                    .ok_or_else(|| BillingError::Invariant(format!("ledger account kind {k:?}")))
            })
            .collect::<Result<Vec<_>>>()?;
        out.push(JournalTxn {
            id,
            kind: TxnKind::parse(&kind).ok_or_else(|| {
                BillingError::Invariant(format!("ledger transaction {id} has kind {kind:?}"))
            })?,
            organization_id,
            currency: Currency::parse(&currency).map_err(|e| {
                BillingError::Invariant(format!("ledger transaction {id} currency: {e}"))
            })?,
            date,
            month,
            memo,
            document_id,
            entries,
        });
    }
    Ok(out)
}

/// The transactions dated from `from` to `to` (days), in date order.
pub fn transactions_between(conn: &Connection, from: &str, to: &str) -> Result<Vec<JournalTxn>> {
    read(conn, "substr(at, 1, 10) BETWEEN ?1 AND ?2", &[&from, &to])
}

/// How many transactions are dated from `from` to `to` (days).
pub fn count_between(conn: &Connection, from: &str, to: &str) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM ledger_txns WHERE substr(at, 1, 10) BETWEEN ?1 AND ?2",
        params![from, to],
        |r| r.get(0),
    )?)
}

/// All of one organization's usage and invoice postings of `month`.
pub fn usage_and_invoices_of_month(
    conn: &Connection,
    organization_id: &str,
    currency: &str,
    month: Month,
) -> Result<Vec<JournalTxn>> {
    read(
        conn,
        "kind IN ('usage', 'invoice') AND organization_id = ?1 AND currency = ?2 AND month = ?3",
        &[&organization_id, &currency, &month],
    )
}

/// One transaction (none when there is no such id).
pub fn transaction(conn: &Connection, id: i64) -> Result<Option<JournalTxn>> {
    Ok(read(conn, "id = ?1", &[&id])?.pop())
}

/// The ids of the documents issued from `from` to `to` (days), oldest first.
pub fn issued_between(conn: &Connection, from: &str, to: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM documents WHERE status = 'issued' AND substr(issued_at, 1, 10) BETWEEN ?1 AND ?2 ORDER BY issued_at, kind, seq",
    )?;
    let ids = stmt
        .query_map(params![from, to], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// An issued document's totals (none for a draft or an unknown id).
pub fn issued_totals(conn: &Connection, id: &str) -> Result<Option<IssuedTotals>> {
    type Raw = (
        String,
        String,
        String,
        String,
        String,
        Option<i64>,
        i64,
        i64,
        i64,
        Option<i64>,
    );
    let raw: Option<Raw> = conn
        .prepare_cached(
            "SELECT number, kind, organization_id, currency, substr(issued_at, 1, 10), month, subtotal_minor, tax_minor, total_minor, ledger_txn_id
             FROM documents WHERE id = ?1 AND status = 'issued'",
        )?
        .query_row([id], |r| {
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
            ))
        })
        .optional()?;
    let Some((number, kind, organization_id, currency, issue_date, month, net, tax, total, txn)) =
        raw
    else {
        return Ok(None);
    };
    Ok(Some(IssuedTotals {
        id: id.to_string(),
        number,
        kind: DocumentKind::parse(&kind)
            .ok_or_else(|| BillingError::Invariant(format!("document kind {kind:?}")))?,
        organization_id,
        currency: Currency::parse(&currency)
            .map_err(|e| BillingError::Invariant(format!("document {id} currency: {e}")))?,
        issue_date,
        month,
        net_minor: net,
        tax_minor: tax,
        total_minor: total,
        ledger_txn_id: txn,
    }))
}

/// The issued invoices of one organization, currency and month.
pub fn issued_invoices(
    conn: &Connection,
    organization_id: &str,
    currency: &str,
    month: Month,
) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM documents WHERE kind = 'invoice' AND status = 'issued' AND organization_id = ?1 AND currency = ?2 AND month = ?3",
    )?;
    let ids = stmt
        .query_map(params![organization_id, currency, month], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// The months whose invoices were all issued.
pub fn invoiced_months(conn: &Connection) -> Result<Vec<Month>> {
    let mut stmt = conn.prepare_cached("SELECT month FROM invoice_runs ORDER BY month")?;
    let months = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(months)
}

/// A receipt's payment reference and the idempotency key of its payment
/// (`payment:<method>:<reference>`, which names the method).
pub fn receipt_payment(conn: &Connection, id: &str) -> Result<(Option<String>, Option<String>)> {
    Ok(conn
        .query_row(
            "SELECT d.reference, t.idem_key FROM documents d LEFT JOIN ledger_txns t ON t.id = d.ledger_txn_id WHERE d.id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or((None, None)))
}
