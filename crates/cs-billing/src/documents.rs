//! Documents: monthly usage invoices, receipts, credit notes.
//!
//! A document is written as a draft (no number), then [`finalize`]d in the
//! same transaction: the next number of its series and period is taken from
//! `document_counters` and the document becomes `issued`. SQLite triggers
//! abort any UPDATE or DELETE of an issued document, its lines or its tax
//! totals, so an issued document never changes; a mistake is corrected with a
//! credit note ([`void_invoice`], [`issue_credit_note`]). Credit notes carry
//! negative amounts, so the sum of an organization's documents is what it was
//! billed.
//!
//! Rounding rule: usage accrues in micro-units. Each invoice line (one usage
//! interval: one meter, one price, one month) is rounded once to the minor
//! unit, half away from zero. The invoice posts the difference between the
//! rounded lines and the accrued micro-units (wallet ↔ rounding account) and
//! the tax (wallet → tax payable), so what the wallet paid for a month equals
//! the month's invoices to the micro-unit.

use chrono::Datelike;
use cs_core::ledger::{AccountKind, Entry};
use cs_core::metering::{
    hour_start, month_first_hour, month_last_hour, month_of, month_parts, Month,
};
use cs_core::money::{micros_to_minor_rounded, MICROS_PER_UNIT};
use cs_core::numbering::NumberFormat;
use cs_core::tax::{self, TaxParties, TaxRate, TaxTotal, TaxTreatment};
use cs_core::{Currency, DocumentKind, Money, OrganizationId, Rate, Timestamp};
use cs_store::activity::{append, NewActivity};
use cs_store::page::{From as PageFrom, Keyset, Page};
use cs_store::sync_outbox::{self, SyncKind};
use cs_store::{fmt_ts, parse_ts};
use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::db::Db;
use crate::error::{BillingError, Result};
use crate::ledger::{post, AccountRef, NewTxn, TxnKind};
use crate::settings::BillingSettings;

/// The number format of `kind`'s series.
fn number_format(kind: DocumentKind, s: &BillingSettings) -> &str {
    match kind {
        DocumentKind::Invoice => &s.invoice_number_format,
        DocumentKind::Receipt => &s.receipt_number_format,
        DocumentKind::CreditNote => &s.credit_note_number_format,
    }
}

/// A document as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentSummary {
    pub id: String,
    pub kind: DocumentKind,
    pub number: Option<String>,
    pub organization_id: String,
    pub currency: Currency,
    /// Invoices: the month billed, `year * 12 + month - 1`.
    pub month: Option<Month>,
    pub subtotal_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub issued_at: Option<Timestamp>,
    pub credits_document_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentLine {
    pub line_no: i64,
    pub description: String,
    pub server_id: Option<String>,
    pub item: Option<String>,
    pub quantity_hours: Option<i64>,
    pub unit_rate_micros: Option<i64>,
    pub amount_micros: i64,
    pub amount_minor: i64,
    /// The monthly cap cut this line.
    pub capped: bool,
    pub tax_name: String,
    pub tax_rate_ppm: i64,
}

/// A document with everything printed on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    pub summary: DocumentSummary,
    pub customer_name: String,
    pub customer_country: String,
    pub customer_tax_id: Option<String>,
    pub tax_note: Option<String>,
    pub reference: Option<String>,
    pub reason: Option<String>,
    pub usage_micros: Option<i64>,
    pub lines: Vec<DocumentLine>,
    pub tax_totals: Vec<TaxTotal>,
}

/// A line before it is written.
#[derive(Debug, Clone)]
pub(crate) struct LineDraft {
    pub description: String,
    pub server_id: Option<String>,
    pub item: Option<String>,
    pub quantity_hours: Option<i64>,
    pub unit_rate_micros: Option<i64>,
    pub amount_micros: i64,
    pub capped: bool,
}

pub(crate) struct Customer {
    pub name: String,
    pub country: String,
    pub tax_id: Option<String>,
    pub region: Option<String>,
}

/// The organization as documents name it (`cs_store::orgs`), with its tax
/// region from its billing profile.
pub(crate) fn customer(conn: &Connection, org: OrganizationId) -> Result<Customer> {
    let o = cs_store::orgs::get_organization(conn, org)?.ok_or_else(|| BillingError::NotFound {
        what: "organization",
        id: org.to_string(),
    })?;
    let region: Option<String> = conn
        .prepare_cached("SELECT region FROM billing_customers WHERE organization_id = ?1")?
        .query_row([org.to_string()], |r| r.get(0))
        .optional()?
        .flatten();
    Ok(Customer {
        name: o.name,
        country: o.country,
        tax_id: o.tax_id,
        region,
    })
}

fn treatment(conn: &Connection, c: &Customer, settings: &BillingSettings) -> Result<TaxTreatment> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, rate_ppm FROM tax_rates WHERE country = ?1 AND region = ?2",
    )?;
    let mut err = None;
    let t = tax::determine(
        &TaxParties {
            seller_country: &settings.seller_country,
            customer_country: &c.country,
            customer_region: c.region.as_deref(),
            customer_tax_id: c.tax_id.as_deref(),
        },
        |country, region| match stmt
            .query_row(params![country, region.unwrap_or("")], |r| {
                Ok(TaxRate {
                    name: r.get(0)?,
                    rate_ppm: r.get(1)?,
                })
            })
            .optional()
        {
            Ok(v) => v,
            Err(e) => {
                err = Some(e);
                None
            }
        },
    );
    if let Some(e) = err {
        return Err(e.into());
    }
    Ok(t)
}

/// Sets the tax rate of a country, or of a region of it.
pub fn set_tax_rate(
    conn: &Connection,
    country: &str,
    region: Option<&str>,
    name: &str,
    rate_ppm: i64,
) -> Result<()> {
    if country.len() != 2 || !(0..=1_000_000).contains(&rate_ppm) {
        return Err(BillingError::InvalidTaxRate);
    }
    conn.execute(
        "INSERT INTO tax_rates (country, region, name, rate_ppm) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (country, region) DO UPDATE SET name = excluded.name, rate_ppm = excluded.rate_ppm",
        params![country.to_ascii_uppercase(), region.unwrap_or(""), name, rate_ppm],
    )?;
    Ok(())
}

/// Writes a draft, with its lines and tax totals, and finalizes it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_and_issue(
    conn: &Connection,
    settings: &BillingSettings,
    id: &str,
    kind: DocumentKind,
    idem_key: &str,
    org: OrganizationId,
    currency: Currency,
    month: Option<Month>,
    cust: &Customer,
    treatment: &TaxTreatment,
    lines: &[LineDraft],
    usage_micros: Option<i64>,
    credits: Option<&str>,
    reference: Option<&str>,
    reason: Option<&str>,
    ledger_txn_id: Option<i64>,
    now: Timestamp,
) -> Result<DocumentSummary> {
    let rounded: Vec<i64> = lines
        .iter()
        .map(|l| micros_to_minor_rounded(l.amount_micros, currency))
        .collect();
    let label = treatment.label();
    let totals = tax::totals(
        rounded
            .iter()
            .map(|m| (label.as_str(), treatment.rate_ppm(), *m)),
    );
    let subtotal: i64 = rounded.iter().sum();
    let tax_total: i64 = totals.iter().map(|t| t.tax_minor).sum();
    let tax_note = match treatment {
        TaxTreatment::ReverseCharge => Some(tax::REVERSE_CHARGE_NOTE.to_string()),
        _ => None,
    };
    conn.prepare_cached(
        "INSERT INTO documents (id, kind, status, idem_key, organization_id, currency, month, customer_name, customer_country, customer_tax_id,
            tax_note, subtotal_minor, tax_minor, total_minor, usage_micros, credits_document_id, reference, reason, ledger_txn_id, created_at)
         VALUES (?1, ?2, 'draft', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
    )?
    .execute(params![
        id,
        kind.as_str(),
        idem_key,
        org.to_string(),
        currency.code(),
        month,
        cust.name,
        cust.country,
        cust.tax_id,
        tax_note,
        subtotal,
        tax_total,
        subtotal + tax_total,
        usage_micros,
        credits,
        reference,
        reason,
        ledger_txn_id,
        fmt_ts(&now)
    ])?;
    let mut ins = conn.prepare_cached(
        "INSERT INTO document_lines (document_id, line_no, description, server_id, item, quantity_hours, unit_rate_micros, amount_micros,
            amount_minor, capped, tax_name, tax_rate_ppm) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    for (i, (l, minor)) in lines.iter().zip(&rounded).enumerate() {
        ins.execute(params![
            id,
            i as i64 + 1,
            l.description,
            l.server_id,
            l.item,
            l.quantity_hours,
            l.unit_rate_micros,
            l.amount_micros,
            minor,
            l.capped,
            label,
            treatment.rate_ppm()
        ])?;
    }
    let mut ins = conn.prepare_cached("INSERT INTO document_tax_totals (document_id, name, rate_ppm, net_minor, tax_minor) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for t in &totals {
        ins.execute(params![id, t.name, t.rate_ppm, t.net_minor, t.tax_minor])?;
    }
    finalize(conn, id, settings, now)?;
    let summary = get_summary(conn, id)?;
    let what = kind.as_str();
    append(
        conn,
        &NewActivity {
            at: now,
            actor: "system:billing",
            action: &format!("{what}.issued"),
            subject_kind: "document",
            subject_id: Some(id.to_string()),
            organization_id: Some(org.to_string()),
            summary: format!(
                "Issued {} {} to {} for {}",
                what.replace('_', " "),
                summary.number.as_deref().unwrap_or("?"),
                cust.name,
                Money::new(summary.total_minor, currency)
            ),
        },
    )?;
    sync_outbox::publish(conn, now, Some(org), SyncKind::Document, id, &summary)?;
    Ok(summary)
}

/// Whether any document exists, draft or issued.
pub fn any_document(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM documents)", [], |r| r.get(0))?)
}

/// Assigns the next number of the document's series and issues it. Numbers
/// are gapless per series and period because the counter and the document
/// change in one transaction.
pub fn finalize(
    conn: &Connection,
    id: &str,
    settings: &BillingSettings,
    now: Timestamp,
) -> Result<String> {
    let kind: String = conn
        .query_row(
            "SELECT kind FROM documents WHERE id = ?1 AND status = 'draft'",
            [id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| BillingError::NotADraft { id: id.to_string() })?;
    let kind = DocumentKind::parse(&kind)
        .ok_or_else(|| BillingError::Invariant(format!("document kind {kind:?}")))?;
    let fmt_text = number_format(kind, settings);
    let format = NumberFormat::parse(fmt_text).map_err(|e| BillingError::Setting {
        key: format!("billing.number_format.{}", kind.as_str()),
        value: fmt_text.into(),
        hint: e.to_string(),
    })?;
    let period = format.period(now.year(), now.month());
    let seq: i64 = conn.query_row(
        "INSERT INTO document_counters (series, period, last_seq) VALUES (?1, ?2, 1)
         ON CONFLICT (series, period) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq",
        params![kind.as_str(), period],
        |r| r.get(0),
    )?;
    let number = format.render(now.year(), now.month(), seq as u64);
    let n = conn.execute(
        "UPDATE documents SET status = 'issued', number = ?2, period = ?3, seq = ?4, issued_at = ?5 WHERE id = ?1 AND status = 'draft'",
        params![id, number, period, seq, fmt_ts(&now)],
    )?;
    if n != 1 {
        return Err(BillingError::Invariant(format!(
            "document {id} changed while being finalized"
        )));
    }
    Ok(number)
}

fn month_name(m: Month) -> String {
    let (y, mo) = month_parts(m);
    format!("{y}-{mo:02}")
}

/// Issues the usage invoice of every organization billed in `month`.
/// Refused until every meter is billed through the month's last hour.
/// Idempotent per organization and month; one transaction per invoice.
pub fn issue_monthly_invoices(
    db: &impl Db,
    month: Month,
    now: Timestamp,
) -> Result<Vec<DocumentSummary>> {
    let first = month_first_hour(month);
    let last = month_last_hour(month);
    if cs_core::metering::last_complete_hour(now) < last {
        return Err(BillingError::MonthNotOver {
            month: month_name(month),
        });
    }
    let pending: i64 = db.read(|c| {
        Ok(c.query_row(
            "SELECT count(*) FROM billing_meters m
             WHERE m.start_hour <= ?2 AND (m.end_hour IS NULL OR m.end_hour >= ?1)
               AND coalesce((SELECT last_hour FROM usage_intervals WHERE meter_id = m.id ORDER BY month DESC, price_from_hour DESC LIMIT 1), m.start_hour - 1) < min(?2, coalesce(m.end_hour, ?2))",
            params![first, last],
            |r| r.get(0),
        )?)
    })?;
    if pending > 0 {
        return Err(BillingError::NotBilledYet {
            month: month_name(month),
            pending,
        });
    }
    let orgs: Vec<(String, String)> = db.read(|c| {
        Ok(c.prepare(
            "SELECT DISTINCT m.organization_id, m.currency FROM usage_intervals i JOIN billing_meters m ON m.id = i.meter_id
             WHERE i.month = ?1 ORDER BY m.organization_id, m.currency",
        )?
        .query_map([month], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?)
    })?;
    let mut out = Vec::new();
    for (org, currency) in orgs {
        let org: OrganizationId = org
            .parse()
            .map_err(|_| BillingError::Invariant(format!("organization id {org:?}")))?;
        let currency =
            Currency::parse(&currency).map_err(|e| BillingError::Invariant(e.to_string()))?;
        if let Some(s) = db.write(|c| issue_invoice(c, org, currency, month, now))? {
            out.push(s);
        }
    }
    db.write(|c| {
        c.execute(
            "INSERT OR IGNORE INTO invoice_runs (month, completed_at) VALUES (?1, ?2)",
            params![month, fmt_ts(&now)],
        )?;
        Ok(())
    })?;
    Ok(out)
}

/// Issues the invoices of every ended month that has usage and no invoice run.
pub fn issue_due_invoices(db: &impl Db, now: Timestamp) -> Result<Vec<DocumentSummary>> {
    let current = month_of(now);
    let months: Vec<Month> = db.read(|c| {
        Ok(c.prepare(
            // Months up to the last invoice run are closed for good (meters
            // never start in them again), so only later ones are looked at.
            "SELECT DISTINCT month FROM usage_intervals
             WHERE month < ?1 AND month > coalesce((SELECT max(month) FROM invoice_runs), -1) ORDER BY month",
        )?
        .query_map([current], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
    })?;
    let mut out = Vec::new();
    for m in months {
        out.extend(issue_monthly_invoices(db, m, now)?);
    }
    Ok(out)
}

/// The usage invoice of one organization for one month; `None` when it was
/// issued before.
pub fn issue_invoice(
    conn: &Connection,
    org: OrganizationId,
    currency: Currency,
    month: Month,
    now: Timestamp,
) -> Result<Option<DocumentSummary>> {
    let key = format!("invoice:{org}:{}:{}", currency.code(), month_name(month));
    if conn
        .query_row(
            "SELECT 1 FROM documents WHERE idem_key = ?1",
            [&key],
            |_| Ok(()),
        )
        .optional()?
        .is_some()
    {
        return Ok(None);
    }
    let settings = BillingSettings::load(conn)?;
    let cust = customer(conn, org)?;
    let treatment = treatment(conn, &cust, &settings)?;
    let mut lines = Vec::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT m.server_id, m.item, m.label, i.first_hour, i.last_hour, i.hours, i.capped_hours, i.hourly_micros, i.monthly_micros, i.amount_micros
             FROM billing_meters m JOIN usage_intervals i ON i.meter_id = m.id
             WHERE m.organization_id = ?1 AND m.currency = ?2 AND i.month = ?3
             ORDER BY m.label, m.item, m.slot, i.first_hour",
        )?;
        let mut rows = stmt.query(params![org.to_string(), currency.code(), month])?;
        while let Some(r) = rows.next()? {
            let (first, last, hours, capped, hourly, monthly): (i64, i64, i64, i64, i64, i64) = (
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            );
            let label: String = r.get(2)?;
            let from = hour_start(first);
            let to = hour_start(last + 1);
            let cap = if capped > 0 {
                format!(
                    ", capped at the monthly price {}",
                    Money::new(micros_to_minor_rounded(monthly, currency), currency)
                )
            } else {
                String::new()
            };
            lines.push(LineDraft {
                description: format!(
                    "{label}: {} – {}, {hours} h × {}/h{cap}",
                    from.format("%Y-%m-%d %H:%M"),
                    to.format("%Y-%m-%d %H:%M"),
                    Rate::new(hourly, currency)
                ),
                server_id: Some(r.get(0)?),
                item: Some(r.get(1)?),
                quantity_hours: Some(hours),
                unit_rate_micros: Some(hourly),
                amount_micros: r.get(9)?,
                capped: capped > 0,
            });
        }
    }
    let usage_micros: i64 = lines.iter().map(|l| l.amount_micros).sum();
    let per_minor = MICROS_PER_UNIT / 10i64.pow(currency.exponent());
    let subtotal: i64 = lines
        .iter()
        .map(|l| micros_to_minor_rounded(l.amount_micros, currency))
        .sum();
    let label = treatment.label();
    let tax_minor: i64 = tax::totals(lines.iter().map(|l| {
        (
            label.as_str(),
            treatment.rate_ppm(),
            micros_to_minor_rounded(l.amount_micros, currency),
        )
    }))
    .iter()
    .map(|t| t.tax_minor)
    .sum();
    let rounding = subtotal * per_minor - usage_micros;
    let tax_micros = tax_minor * per_minor;
    let id = uuid::Uuid::new_v4().to_string();
    let txn_id = if rounding != 0 || tax_micros != 0 {
        let t = NewTxn {
            idem_key: key.clone(),
            kind: TxnKind::Invoice,
            organization: Some(org),
            currency,
            at: now,
            month: Some(month),
            memo: format!("Invoice for {}: rounding and tax", month_name(month)),
            actor: "system:billing".into(),
            document_id: Some(id.clone()),
            entries: vec![
                Entry {
                    account: AccountRef::wallet(org),
                    amount_micros: -(rounding + tax_micros),
                },
                Entry {
                    account: AccountRef::house(AccountKind::Rounding),
                    amount_micros: rounding,
                },
                Entry {
                    account: AccountRef::house(AccountKind::TaxPayable),
                    amount_micros: tax_micros,
                },
            ],
        };
        Some(post(conn, &t)?.txn_id())
    } else {
        None
    };
    let s = write_and_issue(
        conn,
        &settings,
        &id,
        DocumentKind::Invoice,
        &key,
        org,
        currency,
        Some(month),
        &cust,
        &treatment,
        &lines,
        Some(usage_micros),
        None,
        None,
        None,
        txn_id,
        now,
    )?;
    debug_assert_eq!(s.subtotal_minor, subtotal);
    debug_assert_eq!(s.tax_minor, tax_minor);
    Ok(Some(s))
}

/// Cancels an issued invoice in full with a credit note that mirrors it; the
/// invoice's total goes back to the wallet. The invoice itself is unchanged.
pub fn void_invoice(
    conn: &Connection,
    invoice_id: &str,
    reason: &str,
    now: Timestamp,
    actor: &str,
) -> Result<DocumentSummary> {
    let inv = get_document(conn, invoice_id)?;
    if inv.summary.kind != DocumentKind::Invoice || inv.summary.number.is_none() {
        return Err(BillingError::NotAnIssuedInvoice {
            id: invoice_id.to_string(),
        });
    }
    let credited: i64 = conn.query_row(
        "SELECT coalesce(sum(total_minor), 0) FROM documents WHERE credits_document_id = ?1 AND status = 'issued'",
        [invoice_id],
        |r| r.get(0),
    )?;
    if credited != 0 {
        return Err(BillingError::AlreadyCredited {
            number: inv.summary.number.unwrap_or_default(),
        });
    }
    let lines: Vec<(String, i64)> = inv
        .lines
        .iter()
        .map(|l| (format!("Void: {}", l.description), -l.amount_minor))
        .collect();
    issue_credit_note(
        conn,
        &NewCreditNote {
            organization_id: inv
                .summary
                .organization_id
                .parse()
                .map_err(|_| BillingError::Invariant("organization id".into()))?,
            currency: inv.summary.currency,
            credits_document_id: Some(invoice_id.to_string()),
            lines,
            reason: reason.to_string(),
            key: format!("void:{invoice_id}"),
        },
        now,
        actor,
    )
}

/// A correction: negative line amounts (minor units) credited to the wallet,
/// with the tax treatment of the customer today (or of the credited document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCreditNote {
    pub organization_id: OrganizationId,
    pub currency: Currency,
    pub credits_document_id: Option<String>,
    /// (description, amount in minor units, negative).
    pub lines: Vec<(String, i64)>,
    pub reason: String,
    /// Idempotency key chosen by the caller (e.g. a UUID made when the form opened).
    pub key: String,
}

/// Issues a credit note and credits the wallet with its total.
pub fn issue_credit_note(
    conn: &Connection,
    n: &NewCreditNote,
    now: Timestamp,
    actor: &str,
) -> Result<DocumentSummary> {
    if n.reason.trim().is_empty() {
        return Err(BillingError::MissingReason {
            what: "a credit note",
        });
    }
    if n.lines.is_empty() || n.lines.iter().any(|(_, a)| *a >= 0) {
        return Err(BillingError::CreditNoteLines);
    }
    // Tax is at most the subtotal, so when twice the total fits in micros,
    // every line, the tax and the postings below fit too.
    n.lines
        .iter()
        .try_fold(0i64, |sum, (_, a)| sum.checked_add(*a))
        .and_then(|sum| sum.checked_mul(2 * MICROS_PER_UNIT))
        .ok_or(BillingError::AmountTooLarge)?;
    let key = format!("credit_note:{}", n.key);
    if let Some(id) = conn
        .query_row(
            "SELECT id FROM documents WHERE idem_key = ?1",
            [&key],
            |r| r.get::<_, String>(0),
        )
        .optional()?
    {
        return get_summary(conn, &id);
    }
    let settings = BillingSettings::load(conn)?;
    let cust = customer(conn, n.organization_id)?;
    let treatment = match &n.credits_document_id {
        Some(doc) => {
            let d = get_document(conn, doc)?;
            if d.summary.organization_id != n.organization_id.to_string() {
                return Err(BillingError::OtherOrganization);
            }
            match (d.tax_note.is_some(), d.lines.first()) {
                (true, _) => TaxTreatment::ReverseCharge,
                (false, Some(l)) if l.tax_rate_ppm > 0 => TaxTreatment::Standard {
                    name: l.tax_name.clone(),
                    rate_ppm: l.tax_rate_ppm,
                },
                _ => TaxTreatment::NotTaxed,
            }
        }
        None => treatment(conn, &cust, &settings)?,
    };
    let per_minor = MICROS_PER_UNIT / 10i64.pow(n.currency.exponent());
    let lines: Vec<LineDraft> = n
        .lines
        .iter()
        .map(|(d, a)| LineDraft {
            description: d.clone(),
            server_id: None,
            item: None,
            quantity_hours: None,
            unit_rate_micros: None,
            amount_micros: a * per_minor,
            capped: false,
        })
        .collect();
    let label = treatment.label();
    let subtotal: i64 = n.lines.iter().map(|l| l.1).sum();
    let tax_minor: i64 = tax::totals(
        n.lines
            .iter()
            .map(|l| (label.as_str(), treatment.rate_ppm(), l.1)),
    )
    .iter()
    .map(|t| t.tax_minor)
    .sum();
    let id = uuid::Uuid::new_v4().to_string();
    let txn = post(
        conn,
        &NewTxn {
            idem_key: key.clone(),
            kind: TxnKind::CreditNote,
            organization: Some(n.organization_id),
            currency: n.currency,
            at: now,
            month: None,
            memo: format!("Credit note: {}", n.reason),
            actor: actor.to_string(),
            document_id: Some(id.clone()),
            entries: vec![
                Entry {
                    account: AccountRef::wallet(n.organization_id),
                    amount_micros: -(subtotal + tax_minor) * per_minor,
                },
                Entry {
                    account: AccountRef::house(AccountKind::Revenue),
                    amount_micros: subtotal * per_minor,
                },
                Entry {
                    account: AccountRef::house(AccountKind::TaxPayable),
                    amount_micros: tax_minor * per_minor,
                },
            ],
        },
    )?;
    let s = write_and_issue(
        conn,
        &settings,
        &id,
        DocumentKind::CreditNote,
        &key,
        n.organization_id,
        n.currency,
        None,
        &cust,
        &treatment,
        &lines,
        None,
        n.credits_document_id.as_deref(),
        None,
        Some(&n.reason),
        Some(txn.txn_id()),
        now,
    )?;
    append(
        conn,
        &NewActivity {
            at: now,
            actor,
            action: "credit_note.recorded",
            subject_kind: "document",
            subject_id: Some(id.clone()),
            organization_id: Some(n.organization_id.to_string()),
            summary: format!(
                "Credit note {} for {}: {}",
                s.number.as_deref().unwrap_or("?"),
                Money::new(s.total_minor, n.currency),
                n.reason
            ),
        },
    )?;
    Ok(s)
}

const SUMMARY: &str = "SELECT id, kind, number, organization_id, currency, month, subtotal_minor, tax_minor, total_minor, issued_at, credits_document_id FROM documents";

fn summary_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SummaryRaw> {
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

type SummaryRaw = (
    String,
    String,
    Option<String>,
    String,
    String,
    Option<i64>,
    i64,
    i64,
    i64,
    Option<String>,
    Option<String>,
);

fn decode_summary(raw: SummaryRaw) -> Result<DocumentSummary> {
    let (id, kind, number, org, currency, month, subtotal, tax, total, issued, credits) = raw;
    Ok(DocumentSummary {
        kind: DocumentKind::parse(&kind)
            .ok_or_else(|| BillingError::Invariant(format!("document kind {kind:?}")))?,
        id,
        number,
        organization_id: org,
        currency: Currency::parse(&currency).map_err(|e| BillingError::Invariant(e.to_string()))?,
        month,
        subtotal_minor: subtotal,
        tax_minor: tax,
        total_minor: total,
        issued_at: issued.as_deref().map(parse_ts).transpose()?,
        credits_document_id: credits,
    })
}

pub fn get_summary(conn: &Connection, id: &str) -> Result<DocumentSummary> {
    let raw = conn
        .prepare_cached(&format!("{SUMMARY} WHERE id = ?1"))?
        .query_row([id], summary_row)
        .optional()?
        .ok_or_else(|| BillingError::NotFound {
            what: "document",
            id: id.to_string(),
        })?;
    decode_summary(raw)
}

/// Filters for [`list_documents`]; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentFilter {
    pub organization_id: Option<OrganizationId>,
    pub kind: Option<DocumentKind>,
    pub month: Option<Month>,
}

/// Documents, newest first.
pub fn list_documents(
    conn: &Connection,
    f: &DocumentFilter,
    limit: i64,
) -> Result<Vec<DocumentSummary>> {
    let mut stmt = conn.prepare(&format!(
        "{SUMMARY} WHERE (?1 IS NULL OR organization_id = ?1) AND (?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR month = ?3)
         ORDER BY created_at DESC, number DESC LIMIT ?4"
    ))?;
    let rows = stmt
        .query_map(
            params![
                f.organization_id.map(|o| o.to_string()),
                f.kind.map(|k| k.as_str()),
                f.month,
                limit
            ],
            summary_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(decode_summary).collect()
}

/// The orders the documents list offers, each served by an index on (key, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DocumentSort {
    #[default]
    Created,
    Total,
    Customer,
}

/// A documents list: filters, search and order.
#[derive(Debug, Clone, Default)]
pub struct DocumentQuery {
    pub filter: DocumentFilter,
    pub sort: DocumentSort,
    pub desc: bool,
    /// A prefix of the number or of the customer's name (any case).
    pub search: Option<String>,
}

/// One page of documents with the customer's name as issued
/// ([`cs_store::page`]).
pub fn page_documents(
    conn: &Connection,
    q: &DocumentQuery,
    from: &PageFrom,
    limit: u32,
) -> Result<Page<(DocumentSummary, String)>> {
    let columns = SUMMARY
        .trim_start_matches("SELECT ")
        .trim_end_matches(" FROM documents");
    let columns = format!("{columns}, customer_name");
    let mut k = Keyset {
        from: "documents",
        count_from: "documents",
        columns: &columns,
        id: "id",
        sort: match q.sort {
            DocumentSort::Created => "created_at",
            DocumentSort::Total => "total_minor",
            DocumentSort::Customer => "customer_name COLLATE NOCASE",
        },
        desc: q.desc,
        filters: Vec::new(),
        params: Vec::new(),
    };
    let f = &q.filter;
    if let Some(o) = f.organization_id {
        k.filter("organization_id = ?", [Value::Text(o.to_string())]);
    }
    if let Some(kind) = f.kind {
        k.filter("kind = ?", [Value::Text(kind.as_str().into())]);
    }
    if let Some(m) = f.month {
        k.filter("month = ?", [Value::Integer(m)]);
    }
    if let Some(s) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let [lo, hi] = Keyset::prefix_bounds(s);
        k.filter(
            "(number COLLATE NOCASE >= ? AND number COLLATE NOCASE < ?) OR (customer_name COLLATE NOCASE >= ? AND customer_name COLLATE NOCASE < ?)",
            [lo.clone(), hi.clone(), lo, hi],
        );
    }
    let page = k.read(conn, from, limit, |r| {
        Ok((summary_row(r)?, r.get::<_, String>(11)?))
    })?;
    let rows = page
        .rows
        .into_iter()
        .map(|(raw, name)| Ok((decode_summary(raw)?, name)))
        .collect::<Result<Vec<_>>>()?;
    Ok(Page {
        rows,
        next: page.next,
        prev: page.prev,
        total: page.total,
    })
}

/// A document with its lines and tax totals.
pub fn get_document(conn: &Connection, id: &str) -> Result<Document> {
    let summary = get_summary(conn, id)?;
    let (customer_name, customer_country, customer_tax_id, tax_note, reference, reason, usage_micros) = conn.query_row(
        "SELECT customer_name, customer_country, customer_tax_id, tax_note, reference, reason, usage_micros FROM documents WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
    )?;
    let lines = conn
        .prepare_cached(
            "SELECT line_no, description, server_id, item, quantity_hours, unit_rate_micros, amount_micros, amount_minor, capped, tax_name, tax_rate_ppm
             FROM document_lines WHERE document_id = ?1 ORDER BY line_no",
        )?
        .query_map([id], |r| {
            Ok(DocumentLine {
                line_no: r.get(0)?,
                description: r.get(1)?,
                server_id: r.get(2)?,
                item: r.get(3)?,
                quantity_hours: r.get(4)?,
                unit_rate_micros: r.get(5)?,
                amount_micros: r.get(6)?,
                amount_minor: r.get(7)?,
                capped: r.get(8)?,
                tax_name: r.get(9)?,
                tax_rate_ppm: r.get(10)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let tax_totals = conn
        .prepare_cached("SELECT name, rate_ppm, net_minor, tax_minor FROM document_tax_totals WHERE document_id = ?1 ORDER BY rate_ppm, name")?
        .query_map([id], |r| Ok(TaxTotal { name: r.get(0)?, rate_ppm: r.get(1)?, net_minor: r.get(2)?, tax_minor: r.get(3)? }))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Document {
        summary,
        customer_name,
        customer_country,
        customer_tax_id,
        tax_note,
        reference,
        reason,
        usage_micros,
        lines,
        tax_totals,
    })
}

/// Every tax rate, by country and region.
pub fn list_tax_rates(conn: &Connection) -> Result<Vec<(String, String, String, i64)>> {
    let mut stmt = conn.prepare(
        "SELECT country, region, name, rate_ppm FROM tax_rates ORDER BY country, region",
    )?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// A credit note that credits document `id`, if any.
pub fn credited_by(conn: &Connection, id: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT id FROM documents WHERE credits_document_id = ?1 LIMIT 1",
            [id],
            |r| r.get(0),
        )
        .optional()?)
}
