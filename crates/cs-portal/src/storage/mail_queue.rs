//! The mail queue: every mail the portal sends is a row written in the
//! transaction that causes it (an invitation record applied, a reset asked
//! for), fully rendered, with its Message-ID fixed. The worker
//! ([`crate::mail`]) claims due rows with a lease, so that two portal
//! processes never send the same row at once, and records the relay's answer.

use chrono::{DateTime, Duration, Utc};

use super::{new_id, Result};
use crate::db::{Dialect, Row, Tx};
use crate::params;

/// A mail to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    /// `invitation`, `password_reset`, `email_confirm`, `email_notice` …
    pub kind: &'static str,
    /// The From display name: the reseller's.
    pub sender_name: String,
    pub reply_to: Option<String>,
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// A single-use token the bodies carry, removed from them once the relay
    /// has the mail.
    pub secret: Option<String>,
}

/// A claimed row, to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    pub id: String,
    pub tenant_id: String,
    pub kind: String,
    pub sender_name: String,
    pub reply_to: Option<String>,
    pub recipient: String,
    pub message_id: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub created_at: DateTime<Utc>,
    pub attempts: i64,
    /// This claim's lease: the row is this worker's until then.
    pub lease_until: DateTime<Utc>,
}

/// Queues a mail; returns its id. `domain` is the sender's, for the
/// Message-ID.
pub fn enqueue(
    tx: &mut dyn Tx,
    tenant_id: &str,
    mail: &NewMail,
    domain: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let id = new_id();
    tx.execute(
        "INSERT INTO mail_queue (id, tenant_id, kind, sender_name, reply_to, recipient, message_id,
             subject, text_body, html_body, created_at, next_at, secret)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)",
        params![
            &id,
            tenant_id,
            mail.kind,
            &mail.sender_name,
            mail.reply_to.clone(),
            &mail.recipient,
            format!("{id}@{domain}"),
            &mail.subject,
            &mail.text,
            &mail.html,
            now,
            mail.secret.clone()
        ],
    )?;
    Ok(id)
}

const COLUMNS: &str = "id, tenant_id, kind, sender_name, reply_to, recipient, message_id, \
     subject, text_body, html_body, created_at, attempts, lease_until";

fn queued(r: &Row) -> Result<Queued> {
    Ok(Queued {
        id: r.text(0)?,
        tenant_id: r.text(1)?,
        kind: r.text(2)?,
        sender_name: r.text(3)?,
        reply_to: r.opt_text(4)?,
        recipient: r.text(5)?,
        message_id: r.text(6)?,
        subject: r.text(7)?,
        text: r.text(8)?,
        html: r.text(9)?,
        created_at: r.time(10)?,
        attempts: r.int(11)?,
        lease_until: r.time(12)?,
    })
}

/// Claims up to `limit` due rows for `lease`. A row whose earlier lease ran
/// out without an answer recorded may have reached the relay: it is sent
/// again and flagged `possibly_duplicated`.
pub fn claim(
    tx: &mut dyn Tx,
    now: DateTime<Utc>,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Queued>> {
    // On PostgreSQL two processes claim at once: SKIP LOCKED hands them
    // different rows, and the conditions repeated outside the subquery are
    // checked again on a row another claim changed meanwhile.
    let lock = if tx.dialect() == Dialect::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let rows = tx.query(
        &format!(
            "UPDATE mail_queue SET
                 possibly_duplicated = CASE WHEN lease_until IS NULL THEN possibly_duplicated ELSE 1 END,
                 lease_until = $2, attempts = attempts + 1
             WHERE id IN (
                 SELECT id FROM mail_queue
                 WHERE sent_at IS NULL AND failed_at IS NULL AND next_at <= $1
                   AND (lease_until IS NULL OR lease_until <= $1)
                 ORDER BY next_at, id LIMIT $3{lock})
               AND sent_at IS NULL AND failed_at IS NULL
               AND (lease_until IS NULL OR lease_until <= $1)
             RETURNING {COLUMNS}"
        ),
        params![now, now + lease, limit],
    )?;
    let mut out: Vec<Queued> = rows.iter().map(queued).collect::<Result<_>>()?;
    out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(out)
}

/// The bodies without the single-use token, once it is no longer needed
/// in the queue.
const SCRUB: &str = "subject = CASE WHEN secret IS NULL THEN subject ELSE replace(subject, secret, '[link removed]') END,
     text_body = CASE WHEN secret IS NULL THEN text_body ELSE replace(text_body, secret, '[link removed]') END,
     html_body = CASE WHEN secret IS NULL THEN html_body ELSE replace(html_body, secret, '[link removed]') END,
     secret = NULL";

/// The relay took the mail.
pub fn mark_sent(tx: &mut dyn Tx, id: &str, answer: &str, now: DateTime<Utc>) -> Result<()> {
    tx.execute(
        &format!(
            "UPDATE mail_queue SET sent_at = $2, relay_answer = $3, lease_until = NULL, last_error = NULL, {SCRUB}
             WHERE id = $1 AND sent_at IS NULL"
        ),
        params![id, now, answer],
    )?;
    Ok(())
}

/// The relay could not take it now: try again at `next_at`. Only the
/// holder of the lease may say so.
pub fn mark_retry(
    tx: &mut dyn Tx,
    id: &str,
    lease_until: DateTime<Utc>,
    error: &str,
    next_at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "UPDATE mail_queue SET next_at = $3, last_error = $4, lease_until = NULL
         WHERE id = $1 AND lease_until = $2 AND sent_at IS NULL",
        params![id, lease_until, next_at, error],
    )?;
    Ok(())
}

/// The relay refused it for good (or it was tried too often): it stays in
/// the queue with the reason, and is not sent.
pub fn mark_failed(
    tx: &mut dyn Tx,
    id: &str,
    lease_until: DateTime<Utc>,
    error: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        &format!(
            "UPDATE mail_queue SET failed_at = $3, last_error = $4, lease_until = NULL, {SCRUB}
             WHERE id = $1 AND lease_until = $2 AND sent_at IS NULL"
        ),
        params![id, lease_until, now, error],
    )?;
    Ok(())
}

/// A row as the operator (and the tests) see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub text: String,
    pub attempts: i64,
    pub sent: bool,
    pub failed: bool,
    pub last_error: Option<String>,
    pub possibly_duplicated: bool,
    pub next_at: DateTime<Utc>,
}

/// Every row of a tenant, oldest first.
pub fn list(tx: &mut dyn Tx, tenant_id: &str) -> Result<Vec<Status>> {
    tx.query(
        "SELECT id, kind, recipient, text_body, attempts, sent_at, failed_at, last_error,
                possibly_duplicated, next_at
         FROM mail_queue WHERE tenant_id = $1 ORDER BY created_at, id",
        params![tenant_id],
    )?
    .iter()
    .map(|r| {
        Ok(Status {
            id: r.text(0)?,
            kind: r.text(1)?,
            recipient: r.text(2)?,
            text: r.text(3)?,
            attempts: r.int(4)?,
            sent: r.opt_int(5)?.is_some(),
            failed: r.opt_int(6)?.is_some(),
            last_error: r.opt_text(7)?,
            possibly_duplicated: r.bool(8)?,
            next_at: r.time(9)?,
        })
    })
    .collect()
}
