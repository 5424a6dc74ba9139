//! The SQL of the payments area: `payments`, `payment_refunds`,
//! `payment_events` and `paypal_webhook_events` (migration 0007).
//!
//! Statuses are `cs_core::payment`'s: every status change is one UPDATE
//! guarded on the statuses its event applies to
//! ([`PaymentStatus::sources`], [`RefundStatus::sources`]), and says whether
//! it moved the row. A payment names its organization by id; its name comes
//! from `cs_store::orgs`.

use std::collections::HashMap;

use cs_core::payment::{PaymentEvent, PaymentStatus, RefundEvent, RefundStatus};
use cs_core::{Currency, OrganizationId, Timestamp};
use cs_store::page::{From as PageFrom, Keyset, Page};
use cs_store::rusqlite::types::Value;
use cs_store::rusqlite::{params, Connection, OptionalExtension, Row, ToSql};
use cs_store::{fmt_ts, parse_ts};

use crate::{AppError, AppResult};

/// A payment as the area works with it.
#[derive(Debug, Clone)]
pub(crate) struct PaymentRow {
    pub id: String,
    pub organization_id: String,
    pub organization_name: String,
    pub currency: Currency,
    pub amount_minor: i64,
    pub captured_minor: Option<i64>,
    pub refunded_minor: i64,
    /// Reserved by refunds asked of PayPal and not settled yet.
    pub pending_refunds_minor: i64,
    pub status: PaymentStatus,
    pub environment: String,
    pub create_request_id: String,
    pub capture_request_id: String,
    pub order_id: Option<String>,
    pub approve_url: Option<String>,
    pub capture_id: Option<String>,
    pub receipt_id: Option<String>,
    pub failure: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub completed_at: Option<String>,
}

/// A payment link about to be asked of PayPal.
pub(crate) struct NewPaymentRow<'a> {
    pub id: &'a str,
    pub organization_id: OrganizationId,
    pub currency: Currency,
    pub amount_minor: i64,
    pub environment: &'a str,
    pub create_request_id: &'a str,
    pub capture_request_id: &'a str,
    pub at: Timestamp,
    pub by: &'a str,
}

/// A refund of a payment's capture.
#[derive(Debug, Clone)]
pub(crate) struct RefundRow {
    pub id: String,
    pub amount_minor: i64,
    pub reason: String,
    pub status: RefundStatus,
    pub request_id: String,
    pub paypal_refund_id: Option<String>,
    pub credit_note_id: Option<String>,
    pub failure: Option<String>,
    pub created_at: String,
    pub completed_at: Option<String>,
}

/// A refund about to be asked of PayPal (or one PayPal made itself).
pub(crate) struct NewRefundRow<'a> {
    pub id: &'a str,
    pub payment_id: &'a str,
    pub amount_minor: i64,
    pub reason: &'a str,
    pub request_id: &'a str,
    pub paypal_refund_id: Option<&'a str>,
    pub at: Timestamp,
    pub by: &'a str,
}

/// `'created', 'approved'`: statuses as SQL literals, from the lifecycle.
fn list<S: Copy>(statuses: &[S], name: impl Fn(S) -> &'static str) -> String {
    statuses
        .iter()
        .map(|s| format!("'{}'", name(*s)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn pending_refund() -> &'static str {
    RefundStatus::Pending.as_str()
}

fn payment_columns() -> String {
    format!(
        "p.id, p.organization_id, p.currency, p.amount_minor, p.captured_minor, p.refunded_minor,
         (SELECT coalesce(sum(r.amount_minor), 0) FROM payment_refunds r WHERE r.payment_id = p.id AND r.status = '{}'),
         p.status, p.environment, p.create_request_id, p.capture_request_id, p.order_id, p.approve_url, p.capture_id, p.receipt_id,
         p.failure, p.created_at, p.updated_at, p.completed_at",
        pending_refund()
    )
}

fn payment_row(r: &Row<'_>) -> cs_store::rusqlite::Result<PaymentRow> {
    let currency: String = r.get(2)?;
    let status: String = r.get(7)?;
    Ok(PaymentRow {
        id: r.get(0)?,
        organization_id: r.get(1)?,
        organization_name: String::new(),
        currency: Currency::parse(&currency).unwrap_or(Currency::USD),
        amount_minor: r.get(3)?,
        captured_minor: r.get(4)?,
        refunded_minor: r.get(5)?,
        pending_refunds_minor: r.get(6)?,
        status: PaymentStatus::parse(&status).unwrap_or(PaymentStatus::Failed),
        environment: r.get(8)?,
        create_request_id: r.get(9)?,
        capture_request_id: r.get(10)?,
        order_id: r.get(11)?,
        approve_url: r.get(12)?,
        capture_id: r.get(13)?,
        receipt_id: r.get(14)?,
        failure: r.get(15)?,
        created_at: r.get(16)?,
        updated_at: r.get(17)?,
        completed_at: r.get(18)?,
    })
}

/// The payments matching `filter` (SQL over `p`), with their organization's name.
fn select(c: &Connection, filter: &str, args: &[&dyn ToSql]) -> AppResult<Vec<PaymentRow>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {} FROM payments p WHERE {filter}",
        payment_columns()
    ))?;
    let mut rows = stmt
        .query_map(args, payment_row)?
        .collect::<Result<Vec<_>, _>>()?;
    // The names of these rows' customers only, not of every customer.
    let names: HashMap<OrganizationId, String> = cs_store::orgs::names_of(
        c,
        rows.iter().filter_map(|p| p.organization_id.parse().ok()),
    )?;
    for p in &mut rows {
        p.organization_name = p
            .organization_id
            .parse()
            .ok()
            .and_then(|o| names.get(&o).cloned())
            .unwrap_or_default();
    }
    Ok(rows)
}

pub(crate) fn insert(c: &Connection, p: &NewPaymentRow<'_>) -> AppResult<()> {
    c.execute(
        "INSERT INTO payments (id, organization_id, currency, amount_minor, status, environment, create_request_id, capture_request_id, created_at, created_by, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?9)",
        params![p.id, p.organization_id.to_string(), p.currency.code(), p.amount_minor, PaymentStatus::Created.as_str(), p.environment, p.create_request_id, p.capture_request_id, fmt_ts(&p.at), p.by],
    )?;
    Ok(())
}

/// Whether any PayPal payment was ever started.
pub(crate) fn any_payment(c: &Connection) -> AppResult<bool> {
    Ok(c.query_row("SELECT EXISTS (SELECT 1 FROM payments)", [], |r| r.get(0))?)
}

pub(crate) fn load(c: &Connection, id: &str) -> AppResult<PaymentRow> {
    select(c, "p.id = ?1", &[&id])?.pop().ok_or_else(|| {
        AppError::NotFound(format!(
            "There is no payment {id}: refresh the payments list"
        ))
    })
}

pub(crate) fn find_by_order(c: &Connection, order_id: &str) -> AppResult<Option<PaymentRow>> {
    Ok(select(c, "p.order_id = ?1", &[&order_id])?.pop())
}

pub(crate) fn find_by_capture(c: &Connection, capture_id: &str) -> AppResult<Option<PaymentRow>> {
    Ok(select(c, "p.capture_id = ?1", &[&capture_id])?.pop())
}

/// One page of payments, newest first, optionally in one status or of one
/// organization (`cs_store::page`).
pub(crate) fn page_payments(
    c: &Connection,
    status: Option<PaymentStatus>,
    organization: Option<&str>,
    from: &PageFrom,
    limit: u32,
) -> AppResult<Page<PaymentRow>> {
    let columns = payment_columns();
    let mut k = Keyset {
        from: "payments p",
        count_from: "payments p",
        columns: &columns,
        id: "p.id",
        sort: "p.created_at",
        desc: true,
        filters: Vec::new(),
        params: Vec::new(),
    };
    if let Some(s) = status {
        k.filter("p.status = ?", [Value::Text(s.as_str().into())]);
    }
    if let Some(o) = organization {
        k.filter("p.organization_id = ?", [Value::Text(o.into())]);
    }
    let mut page = k.read(c, from, limit, |r| Ok(payment_row(r)?))?;
    let names: HashMap<OrganizationId, String> = cs_store::orgs::names_of(
        c,
        page.rows
            .iter()
            .filter_map(|p| p.organization_id.parse().ok()),
    )?;
    for p in &mut page.rows {
        p.organization_name = p
            .organization_id
            .parse()
            .ok()
            .and_then(|o| names.get(&o).cloned())
            .unwrap_or_default();
    }
    Ok(page)
}

/// PayPal made the order: its id and the link the payer approves at.
pub(crate) fn order_created(
    c: &Connection,
    id: &str,
    order_id: &str,
    approve_url: Option<&str>,
    at: Timestamp,
) -> AppResult<()> {
    c.execute(
        "UPDATE payments SET order_id = ?2, approve_url = ?3, failure = NULL, updated_at = ?4 WHERE id = ?1 AND order_id IS NULL",
        params![id, order_id, approve_url, fmt_ts(&at)],
    )?;
    Ok(())
}

/// Why the last step did not work (the payment keeps its status).
pub(crate) fn note_failure(
    c: &Connection,
    id: &str,
    failure: &str,
    at: Timestamp,
) -> AppResult<()> {
    c.execute(
        "UPDATE payments SET failure = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, failure, fmt_ts(&at)],
    )?;
    Ok(())
}

/// When PayPal was last asked about the payment (the poller's pace).
pub(crate) fn checked(c: &Connection, id: &str, at: Timestamp) -> AppResult<()> {
    c.execute(
        "UPDATE payments SET last_checked_at = ?2 WHERE id = ?1",
        params![id, fmt_ts(&at)],
    )?;
    Ok(())
}

/// Moves a payment by `event` if its status allows it; `set` is the rest of
/// the SET clause (parameters from ?3). True when the row moved.
fn advance(
    c: &Connection,
    id: &str,
    event: PaymentEvent,
    at: Timestamp,
    set: &str,
    args: &[&dyn ToSql],
) -> AppResult<bool> {
    let sources = PaymentStatus::sources(event);
    let to = sources[0]
        .apply(event)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let set = if set.is_empty() {
        String::new()
    } else {
        format!(", {set}")
    };
    let sql = format!(
        "UPDATE payments SET status = '{}', updated_at = ?2{set} WHERE id = ?1 AND status IN ({})",
        to.as_str(),
        list(sources, PaymentStatus::as_str)
    );
    let at = fmt_ts(&at);
    let mut all: Vec<&dyn ToSql> = vec![&id, &at];
    all.extend_from_slice(args);
    Ok(c.prepare_cached(&sql)?.execute(all.as_slice())? == 1)
}

/// The payer approved the order.
pub(crate) fn approve(c: &Connection, id: &str, at: Timestamp) -> AppResult<bool> {
    advance(c, id, PaymentEvent::Approve, at, "", &[])
}

/// PayPal holds the capture as pending.
pub(crate) fn hold_capture(
    c: &Connection,
    id: &str,
    capture_id: &str,
    at: Timestamp,
) -> AppResult<bool> {
    advance(
        c,
        id,
        PaymentEvent::HoldCapture,
        at,
        "capture_id = ?3",
        &[&capture_id],
    )
}

/// Voided, declined or refused: nothing was charged. `capture_id` names a
/// declined capture.
pub(crate) fn fail(
    c: &Connection,
    id: &str,
    failure: &str,
    capture_id: Option<&str>,
    at: Timestamp,
) -> AppResult<bool> {
    advance(
        c,
        id,
        PaymentEvent::Fail,
        at,
        "failure = ?3, capture_id = coalesce(?4, capture_id)",
        &[&failure, &capture_id],
    )
}

/// The capture completed and the wallet was credited (receipt `receipt_id`).
pub(crate) fn complete(
    c: &Connection,
    id: &str,
    capture_id: &str,
    captured_minor: i64,
    receipt_id: &str,
    at: Timestamp,
) -> AppResult<bool> {
    advance(
        c,
        id,
        PaymentEvent::Complete,
        at,
        "capture_id = ?3, captured_minor = ?4, receipt_id = ?5, failure = NULL, completed_at = ?2",
        &[&capture_id, &captured_minor, &receipt_id],
    )
}

/// Money went back: `refunded_minor` in all so far.
pub(crate) fn refunded(
    c: &Connection,
    id: &str,
    refunded_minor: i64,
    fully: bool,
    at: Timestamp,
) -> AppResult<bool> {
    advance(
        c,
        id,
        PaymentEvent::Refund { fully },
        at,
        "refunded_minor = ?3",
        &[&refunded_minor],
    )
}

/// Payments the poller looks at: open ones, and those with a refund in
/// flight: (id, created at, last checked at), oldest first.
pub(crate) fn waiting_for_paypal(
    c: &Connection,
) -> AppResult<Vec<(String, Timestamp, Option<Timestamp>)>> {
    let open: Vec<PaymentStatus> = PaymentStatus::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .collect();
    let mut stmt = c.prepare_cached(&format!(
        "SELECT p.id, p.created_at, p.last_checked_at FROM payments p
         WHERE p.status IN ({})
            OR EXISTS (SELECT 1 FROM payment_refunds r WHERE r.payment_id = p.id AND r.status = '{}')
         ORDER BY p.created_at",
        list(&open, PaymentStatus::as_str),
        pending_refund()
    ))?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(id, created, checked)| {
            Ok((
                id,
                parse_ts(&created)?,
                checked.as_deref().map(parse_ts).transpose()?,
            ))
        })
        .collect()
}

// ------------------------------------------------------------ history

/// One line of a payment's history.
pub(crate) fn add_event(
    c: &Connection,
    payment_id: &str,
    at: Timestamp,
    kind: &str,
    detail: &str,
) -> AppResult<()> {
    c.execute(
        "INSERT INTO payment_events (payment_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4)",
        params![payment_id, fmt_ts(&at), kind, detail],
    )?;
    Ok(())
}

/// A payment's history, oldest first: (at, kind, detail).
pub(crate) fn events(c: &Connection, payment_id: &str) -> AppResult<Vec<(String, String, String)>> {
    let mut stmt = c.prepare_cached(
        "SELECT at, kind, detail FROM payment_events WHERE payment_id = ?1 ORDER BY id",
    )?;
    let rows = stmt
        .query_map([payment_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

// ------------------------------------------------------------ refunds

const REFUND_COLUMNS: &str = "id, amount_minor, reason, status, request_id, paypal_refund_id, credit_note_id, failure, created_at, completed_at";

fn refund_row(r: &Row<'_>) -> cs_store::rusqlite::Result<RefundRow> {
    let status: String = r.get(3)?;
    Ok(RefundRow {
        id: r.get(0)?,
        amount_minor: r.get(1)?,
        reason: r.get(2)?,
        status: RefundStatus::parse(&status).unwrap_or(RefundStatus::Failed),
        request_id: r.get(4)?,
        paypal_refund_id: r.get(5)?,
        credit_note_id: r.get(6)?,
        failure: r.get(7)?,
        created_at: r.get(8)?,
        completed_at: r.get(9)?,
    })
}

/// A refund row, pending, written before PayPal is asked.
pub(crate) fn insert_refund(c: &Connection, r: &NewRefundRow<'_>) -> AppResult<()> {
    c.execute(
        "INSERT INTO payment_refunds (id, payment_id, amount_minor, reason, status, request_id, paypal_refund_id, created_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![r.id, r.payment_id, r.amount_minor, r.reason, RefundStatus::Pending.as_str(), r.request_id, r.paypal_refund_id, fmt_ts(&r.at), r.by],
    )?;
    Ok(())
}

pub(crate) fn refund(c: &Connection, id: &str) -> AppResult<RefundRow> {
    c.query_row(
        &format!("SELECT {REFUND_COLUMNS} FROM payment_refunds WHERE id = ?1"),
        [id],
        refund_row,
    )
    .optional()?
    .ok_or_else(|| AppError::NotFound(format!("There is no refund {id}: refresh the payment")))
}

pub(crate) fn refund_by_paypal_id(
    c: &Connection,
    paypal_refund_id: &str,
) -> AppResult<Option<RefundRow>> {
    Ok(c.query_row(
        &format!("SELECT {REFUND_COLUMNS} FROM payment_refunds WHERE paypal_refund_id = ?1"),
        [paypal_refund_id],
        refund_row,
    )
    .optional()?)
}

/// A payment's refunds, oldest first.
pub(crate) fn refunds_of(c: &Connection, payment_id: &str) -> AppResult<Vec<RefundRow>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {REFUND_COLUMNS} FROM payment_refunds WHERE payment_id = ?1 ORDER BY created_at, id"
    ))?;
    let rows = stmt
        .query_map([payment_id], refund_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// PayPal answered with its refund id; the refund stays pending.
pub(crate) fn refund_sent(c: &Connection, id: &str, paypal_refund_id: &str) -> AppResult<()> {
    c.execute(
        "UPDATE payment_refunds SET paypal_refund_id = ?2 WHERE id = ?1",
        params![id, paypal_refund_id],
    )?;
    Ok(())
}

/// Settles a refund by `event` if it is still pending; `set` is the rest of
/// the SET clause (parameters from ?2). True when the row moved.
fn settle_refund(
    c: &Connection,
    id: &str,
    event: RefundEvent,
    set: &str,
    args: &[&dyn ToSql],
) -> AppResult<bool> {
    let sources = RefundStatus::sources(event);
    let to = sources[0]
        .apply(event)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let sql = format!(
        "UPDATE payment_refunds SET status = '{}', {set} WHERE id = ?1 AND status IN ({})",
        to.as_str(),
        list(sources, RefundStatus::as_str)
    );
    let mut all: Vec<&dyn ToSql> = vec![&id];
    all.extend_from_slice(args);
    Ok(c.prepare_cached(&sql)?.execute(all.as_slice())? == 1)
}

/// PayPal refused the refund: nothing went back.
pub(crate) fn fail_refund(c: &Connection, id: &str, failure: &str) -> AppResult<bool> {
    settle_refund(c, id, RefundEvent::Fail, "failure = ?2", &[&failure])
}

/// PayPal refunded `amount_minor`: the credit note is `credit_note_id`.
pub(crate) fn complete_refund(
    c: &Connection,
    id: &str,
    paypal_refund_id: &str,
    amount_minor: i64,
    credit_note_id: &str,
    at: Timestamp,
) -> AppResult<bool> {
    settle_refund(
        c,
        id,
        RefundEvent::Complete,
        "paypal_refund_id = ?2, amount_minor = ?3, credit_note_id = ?4, failure = NULL, completed_at = ?5",
        &[&paypal_refund_id, &amount_minor, &credit_note_id, &fmt_ts(&at)],
    )
}

// ------------------------------------------------------------ webhooks

/// Whether a webhook event was applied before (PayPal delivers at least once).
pub(crate) fn webhook_seen(c: &Connection, event_id: &str) -> AppResult<bool> {
    Ok(c.query_row(
        "SELECT 1 FROM paypal_webhook_events WHERE event_id = ?1",
        [event_id],
        |_| Ok(()),
    )
    .optional()?
    .is_some())
}

/// A webhook event applied (or ignored) now.
pub(crate) fn record_webhook(
    c: &Connection,
    event_id: &str,
    event_type: &str,
    payment_id: Option<&str>,
    at: Timestamp,
) -> AppResult<()> {
    c.execute(
        "INSERT OR IGNORE INTO paypal_webhook_events (event_id, event_type, payment_id, received_at) VALUES (?1, ?2, ?3, ?4)",
        params![event_id, event_type, payment_id, fmt_ts(&at)],
    )?;
    Ok(())
}
