//! The mail outbox in the desktop's SQLite store: the SQL of `mail_outbox`
//! and `mail_outbox_attachments` (migration 0003). Nothing secret is stored:
//! only what is sent.
//!
//! Two ways in:
//! - [`enqueue_in`] inside the caller's transaction, so a mail exists exactly
//!   when the event that causes it does (an invoice issued, a password reset
//!   requested…);
//! - [`SqliteOutbox`], the [`OutboxStore`] the [`OutboxWorker`] runs on, plus
//!   what the Outbox screen needs ([`SqliteOutbox::list`],
//!   [`SqliteOutbox::retry_failed`], [`SqliteOutbox::get`],
//!   [`SqliteOutbox::fill_sender`]).
//!
//! Every status change is one UPDATE guarded on the statuses the lifecycle
//! allows ([`MailStatus::sources`]), each in its own short IMMEDIATE
//! transaction run on Tokio's blocking pool, so a slow disk never stalls the
//! runtime and two workers never claim the same row.
//!
//! [`OutboxWorker`]: super::OutboxWorker

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cs_store::rusqlite::{self, params, Connection, OptionalExtension, Row};
use cs_store::{fmt_ts, parse_ts, Store, StoreError as DbError};
use serde::Serialize;

use super::{MailEvent, MailStatus, OutboxEntry, OutboxStore, StoreError};
use crate::mailer::{Attachment, Email};
use crate::templates::TemplateKind;

/// Which mail the Outbox screen shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxFilter {
    #[default]
    All,
    /// Waiting for its next attempt or being sent.
    Pending,
    Sent,
    Failed,
}

/// One line of the Outbox screen: no bodies, no attachment bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxSummary {
    pub id: String,
    /// The template it was rendered from, when known to this version.
    pub kind: Option<TemplateKind>,
    pub to: Vec<String>,
    pub subject: String,
    pub message_id: String,
    pub state: MailStatus,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    /// The relay's acceptance (`250 2.0.0 Ok: queued as …`) once sent.
    pub relay_response: Option<String>,
    /// Why the last attempt failed (the relay's refusal or the connection error).
    pub last_error: Option<String>,
    pub possibly_duplicated: bool,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub attachment_count: u32,
    /// When the attachments' bytes were removed after the retention period
    /// (their names stay).
    pub attachments_pruned_at: Option<DateTime<Utc>>,
}

/// How long a sent mail keeps its attachments' bytes (invoice PDFs …).
pub const ATTACHMENT_RETENTION_DAYS: i64 = 30;

/// Where the next page of the Outbox screen starts: after the mail created
/// at `created_at` with `id` (newest first). Text for the UI: `<time>/<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxCursor {
    created_at: String,
    id: String,
}

impl OutboxCursor {
    fn after(s: &OutboxSummary) -> Self {
        Self {
            created_at: fmt_ts(&s.created_at),
            id: s.id.clone(),
        }
    }

    /// `None` when `text` is not a cursor this module gave out.
    pub fn parse(text: &str) -> Option<Self> {
        let (at, id) = text.split_once('/')?;
        parse_ts(at).ok()?;
        (!id.is_empty()).then(|| Self {
            created_at: at.to_string(),
            id: id.to_string(),
        })
    }
}

impl std::fmt::Display for OutboxCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.created_at, self.id)
    }
}

/// One page of the Outbox screen, and where the next starts (`None`: the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxPage {
    pub items: Vec<OutboxSummary>,
    pub next: Option<OutboxCursor>,
}

/// What a guarded status change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Done,
    /// The row is not in a status the change applies to; it was left alone.
    Skipped,
    NotFound,
}

/// `'queued', 'sending'`: the statuses as SQL literals, from the lifecycle.
fn status_list(statuses: &[MailStatus]) -> String {
    statuses
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Queues `entry` with the caller's transaction (`store.write(|tx| …)`): if
/// that transaction rolls back, nothing is queued. An id or Message-ID already
/// queued is refused (a UNIQUE violation, see [`cs_store::is_unique_violation`]).
pub fn enqueue_in(conn: &Connection, entry: &OutboxEntry) -> Result<(), DbError> {
    let e = &entry.email;
    let to = serde_json::to_string(&e.to)
        .map_err(|err| DbError::Corrupt(format!("mail recipients: {err}")))?;
    conn.prepare_cached(
        "INSERT INTO mail_outbox (id, kind, from_addr, to_addrs, reply_to, subject, body_text, body_html, message_id, date_unix,
                                  status, attempts, next_attempt_at, lease_until, relay_response, last_error, possibly_duplicated, created_at, sent_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
    )?
    .execute(params![
        entry.id,
        entry.kind.map(|k| k.key()),
        e.from,
        to,
        e.reply_to,
        e.subject,
        e.text,
        e.html,
        e.message_id,
        e.date_unix,
        entry.state.as_str(),
        entry.attempts,
        fmt_ts(&entry.next_attempt_at),
        entry.lease_until.as_ref().map(fmt_ts),
        entry.relay_response,
        entry.last_error,
        entry.possibly_duplicated,
        fmt_ts(&entry.created_at),
        entry.sent_at.as_ref().map(fmt_ts),
    ])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO mail_outbox_attachments (mail_id, position, filename, content_type, bytes) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (position, a) in e.attachments.iter().enumerate() {
        insert.execute(params![
            entry.id,
            position as i64,
            a.filename,
            a.content_type,
            a.bytes
        ])?;
    }
    Ok(())
}

/// Claims up to `limit` due rows, oldest first: `queued` ones whose
/// `next_attempt_at <= now`, and `sending` ones whose `lease_until < now` (their
/// worker died; they are flagged `possibly_duplicated`). Each becomes `sending`
/// until `lease_until` with one more attempt. Returns the rows as updated.
///
/// The claim is one UPDATE statement, so two workers never claim the same row;
/// run it in an IMMEDIATE transaction so the rows read back are the ones claimed.
fn claim_due(
    conn: &Connection,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<OutboxEntry>, DbError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let (queued, sending) = (MailStatus::Queued.as_str(), MailStatus::Sending.as_str());
    debug_assert_eq!(
        MailStatus::sources(MailEvent::Claim),
        [MailStatus::Queued, MailStatus::Sending]
    );
    let ids: Vec<String> = {
        // Right-hand sides see the row before the update, so `status = 'sending'`
        // below is the old status: the row was leased and the lease ran out.
        let mut stmt = conn.prepare_cached(&format!(
            "UPDATE mail_outbox
             SET possibly_duplicated = (possibly_duplicated OR status = '{sending}'),
                 status = '{sending}', lease_until = ?2, attempts = attempts + 1
             WHERE id IN (SELECT id FROM mail_outbox
                          WHERE (status = '{queued}' AND next_attempt_at <= ?1) OR (status = '{sending}' AND lease_until < ?1)
                          ORDER BY next_attempt_at, created_at, id LIMIT ?3)
             RETURNING id"
        ))?;
        let rows = stmt.query_map(params![fmt_ts(&now), fmt_ts(&lease_until), limit], |r| {
            r.get(0)
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut claimed = Vec::with_capacity(ids.len());
    for id in &ids {
        claimed.push(
            get(conn, id)?
                .ok_or_else(|| DbError::Corrupt(format!("claimed mail {id} vanished")))?,
        );
    }
    claimed.sort_by(|a, b| {
        (a.next_attempt_at, a.created_at, &a.id).cmp(&(b.next_attempt_at, b.created_at, &b.id))
    });
    Ok(claimed)
}

/// Moves a row by `event`: `set` is the rest of the SET clause (parameters
/// from ?2), applied only if the row is in a status the event applies to.
fn change(
    conn: &Connection,
    id: &str,
    event: MailEvent,
    set: &str,
    params: &[&dyn rusqlite::ToSql],
) -> Result<Change, DbError> {
    let to = MailStatus::sources(event)[0]
        .apply(event)
        .map_err(|e| DbError::Corrupt(e.to_string()))?;
    let sql = format!(
        "UPDATE mail_outbox SET status = '{}', {set} WHERE id = ?1 AND status IN ({})",
        to.as_str(),
        status_list(MailStatus::sources(event))
    );
    let mut all: Vec<&dyn rusqlite::ToSql> = vec![&id];
    all.extend_from_slice(params);
    if conn.prepare_cached(&sql)?.execute(all.as_slice())? == 1 {
        return Ok(Change::Done);
    }
    let exists = conn
        .query_row("SELECT 1 FROM mail_outbox WHERE id = ?1", [id], |_| Ok(()))
        .optional()?
        .is_some();
    Ok(if exists {
        Change::Skipped
    } else {
        Change::NotFound
    })
}

/// `sending` → `sent`, recording the relay's answer and when.
fn mark_sent(
    conn: &Connection,
    id: &str,
    relay_response: &str,
    at: DateTime<Utc>,
) -> Result<Change, DbError> {
    change(
        conn,
        id,
        MailEvent::Accepted,
        "relay_response = ?2, sent_at = ?3, lease_until = NULL",
        &[&relay_response, &fmt_ts(&at)],
    )
}

/// `sending` → `queued` for another attempt at `next_attempt_at`.
fn mark_retry(
    conn: &Connection,
    id: &str,
    error: &str,
    next_attempt_at: DateTime<Utc>,
) -> Result<Change, DbError> {
    change(
        conn,
        id,
        MailEvent::RetryLater,
        "last_error = ?2, next_attempt_at = ?3, lease_until = NULL",
        &[&error, &fmt_ts(&next_attempt_at)],
    )
}

/// `sending` → `failed`, recording the error or the relay's refusal.
fn mark_failed(conn: &Connection, id: &str, error: &str) -> Result<Change, DbError> {
    change(
        conn,
        id,
        MailEvent::GiveUp,
        "last_error = ?2, lease_until = NULL",
        &[&error],
    )
}

/// `failed` → `queued`, due at `now`, with a fresh attempt budget (the UI's
/// "Retry"). The last error is kept until the next attempt replaces it.
fn retry_failed(conn: &Connection, id: &str, now: DateTime<Utc>) -> Result<Change, DbError> {
    change(
        conn,
        id,
        MailEvent::Requeue,
        "attempts = 0, next_attempt_at = ?2, lease_until = NULL",
        &[&fmt_ts(&now)],
    )
}

/// Gives the mails queued before a sender was set up (their sender is empty)
/// the sender and reply-to address, unless a worker holds them or the relay
/// has them already.
fn fill_sender(conn: &Connection, sender: &str, reply_to: Option<&str>) -> Result<(), DbError> {
    let waiting = status_list(&[MailStatus::Queued, MailStatus::Failed]);
    conn.execute(
        &format!(
            "UPDATE mail_outbox SET from_addr = ?1 WHERE from_addr = '' AND status IN ({waiting})"
        ),
        [sender],
    )?;
    if let Some(r) = reply_to {
        conn.execute(
            &format!("UPDATE mail_outbox SET reply_to = ?1 WHERE reply_to IS NULL AND from_addr = ?2 AND status IN ({waiting}) AND attempts = 0"),
            params![r, sender],
        )?;
    }
    Ok(())
}

const COLUMNS: &str = "id, kind, from_addr, to_addrs, reply_to, subject, body_text, body_html, message_id, date_unix,
                       status, attempts, next_attempt_at, lease_until, relay_response, last_error, possibly_duplicated, created_at, sent_at";

/// The row with its attachments.
pub fn get(conn: &Connection, id: &str) -> Result<Option<OutboxEntry>, DbError> {
    let raw = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM mail_outbox WHERE id = ?1"))?
        .query_row([id], RawRow::read)
        .optional()?;
    let Some(raw) = raw else { return Ok(None) };
    let attachments = {
        let mut stmt = conn.prepare_cached("SELECT filename, content_type, bytes FROM mail_outbox_attachments WHERE mail_id = ?1 ORDER BY position")?;
        let rows = stmt.query_map([id], |r| {
            Ok(Attachment {
                filename: r.get(0)?,
                content_type: r.get(1)?,
                bytes: r.get(2)?,
            })
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    raw.into_entry(attachments).map(Some)
}

/// The newest `limit` rows matching `filter`, newest first.
pub fn list(
    conn: &Connection,
    filter: OutboxFilter,
    limit: usize,
) -> Result<Vec<OutboxSummary>, DbError> {
    Ok(list_page(conn, filter, None, limit)?.items)
}

/// Up to `limit` rows matching `filter` after `after` (from the newest when
/// `None`), newest first, and the cursor of the next page.
pub fn list_page(
    conn: &Connection,
    filter: OutboxFilter,
    after: Option<&OutboxCursor>,
    limit: usize,
) -> Result<OutboxPage, DbError> {
    let statuses: Vec<MailStatus> = MailStatus::ALL
        .into_iter()
        .filter(|s| match filter {
            OutboxFilter::All => true,
            OutboxFilter::Pending => s.is_pending(),
            OutboxFilter::Sent => *s == MailStatus::Sent,
            OutboxFilter::Failed => *s == MailStatus::Failed,
        })
        .collect();
    let limit = limit.max(1);
    let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
    let (at, id) = after
        .map(|c| (c.created_at.as_str(), c.id.as_str()))
        .unwrap_or(("", ""));
    let mut items = summaries(
        conn,
        &format!(
            "status IN ({}) AND (?2 = '' OR created_at < ?2 OR (created_at = ?2 AND id < ?3))
             ORDER BY created_at DESC, id DESC LIMIT ?1",
            status_list(&statuses)
        ),
        params![fetch, at, id],
    )?;
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(OutboxCursor::after)
    } else {
        None
    };
    Ok(OutboxPage { items, next })
}

/// One row of the Outbox screen.
pub fn summary(conn: &Connection, id: &str) -> Result<Option<OutboxSummary>, DbError> {
    Ok(summaries(conn, "id = ?1", params![id])?.into_iter().next())
}

fn summaries(
    conn: &Connection,
    condition: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<OutboxSummary>, DbError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, kind, to_addrs, subject, message_id, status, attempts, next_attempt_at, relay_response, last_error,
                possibly_duplicated, created_at, sent_at,
                (SELECT count(*) FROM mail_outbox_attachments a WHERE a.mail_id = m.id),
                attachments_pruned_at
         FROM mail_outbox m WHERE {condition}"
    ))?;
    let rows = stmt
        .query_map(params, |r| {
            Ok(RawSummary {
                id: r.get(0)?,
                kind: r.get(1)?,
                to: r.get(2)?,
                subject: r.get(3)?,
                message_id: r.get(4)?,
                status: r.get(5)?,
                attempts: r.get(6)?,
                next_attempt_at: r.get(7)?,
                relay_response: r.get(8)?,
                last_error: r.get(9)?,
                possibly_duplicated: r.get(10)?,
                created_at: r.get(11)?,
                sent_at: r.get(12)?,
                attachment_count: r.get(13)?,
                attachments_pruned_at: r.get(14)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|r| {
            Ok(OutboxSummary {
                to: parse_to(&r.to)?,
                state: parse_status(&r.status)?,
                next_attempt_at: parse_ts(&r.next_attempt_at)?,
                created_at: parse_ts(&r.created_at)?,
                sent_at: r.sent_at.as_deref().map(parse_ts).transpose()?,
                attachments_pruned_at: r
                    .attachments_pruned_at
                    .as_deref()
                    .map(parse_ts)
                    .transpose()?,
                kind: kind_of(r.kind.as_deref()),
                id: r.id,
                subject: r.subject,
                message_id: r.message_id,
                attempts: r.attempts,
                relay_response: r.relay_response,
                last_error: r.last_error,
                possibly_duplicated: r.possibly_duplicated,
                attachment_count: r.attachment_count,
            })
        })
        .collect()
}

/// Empties the attachments' bytes of mail sent before `sent_before` (names
/// and count stay), stamping the mail with `now`. Returns how many mails.
pub fn prune_attachments(
    conn: &Connection,
    sent_before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    let sent = status_list(&[MailStatus::Sent]);
    let due = format!(
        "SELECT id FROM mail_outbox WHERE status IN ({sent}) AND attachments_pruned_at IS NULL AND sent_at < ?1"
    );
    conn.execute(
        &format!("UPDATE mail_outbox_attachments SET bytes = X'' WHERE mail_id IN ({due})"),
        [fmt_ts(&sent_before)],
    )?;
    let n = conn.execute(
        &format!(
            "UPDATE mail_outbox SET attachments_pruned_at = ?2 WHERE id IN ({due})
               AND EXISTS (SELECT 1 FROM mail_outbox_attachments a WHERE a.mail_id = mail_outbox.id)"
        ),
        params![fmt_ts(&sent_before), fmt_ts(&now)],
    )?;
    Ok(n)
}

struct RawSummary {
    id: String,
    kind: Option<String>,
    to: String,
    subject: String,
    message_id: String,
    status: String,
    attempts: u32,
    next_attempt_at: String,
    relay_response: Option<String>,
    last_error: Option<String>,
    possibly_duplicated: bool,
    created_at: String,
    sent_at: Option<String>,
    attachment_count: u32,
    attachments_pruned_at: Option<String>,
}

fn parse_to(json: &str) -> Result<Vec<String>, DbError> {
    serde_json::from_str(json)
        .map_err(|e| DbError::Corrupt(format!("mail recipients {json:?}: {e}")))
}

fn parse_status(s: &str) -> Result<MailStatus, DbError> {
    MailStatus::parse(s).ok_or_else(|| DbError::Corrupt(format!("mail outbox status {s:?}")))
}

fn kind_of(key: Option<&str>) -> Option<TemplateKind> {
    key.and_then(|k| TemplateKind::ALL.into_iter().find(|t| t.key() == k))
}

/// A row as read, before its text columns are parsed.
struct RawRow {
    id: String,
    kind: Option<String>,
    from: String,
    to: String,
    reply_to: Option<String>,
    subject: String,
    text: String,
    html: String,
    message_id: String,
    date_unix: i64,
    status: String,
    attempts: u32,
    next_attempt_at: String,
    lease_until: Option<String>,
    relay_response: Option<String>,
    last_error: Option<String>,
    possibly_duplicated: bool,
    created_at: String,
    sent_at: Option<String>,
}

impl RawRow {
    fn read(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            kind: r.get(1)?,
            from: r.get(2)?,
            to: r.get(3)?,
            reply_to: r.get(4)?,
            subject: r.get(5)?,
            text: r.get(6)?,
            html: r.get(7)?,
            message_id: r.get(8)?,
            date_unix: r.get(9)?,
            status: r.get(10)?,
            attempts: r.get(11)?,
            next_attempt_at: r.get(12)?,
            lease_until: r.get(13)?,
            relay_response: r.get(14)?,
            last_error: r.get(15)?,
            possibly_duplicated: r.get(16)?,
            created_at: r.get(17)?,
            sent_at: r.get(18)?,
        })
    }

    fn into_entry(self, attachments: Vec<Attachment>) -> Result<OutboxEntry, DbError> {
        Ok(OutboxEntry {
            kind: kind_of(self.kind.as_deref()),
            email: Email {
                from: self.from,
                to: parse_to(&self.to)?,
                reply_to: self.reply_to,
                subject: self.subject,
                text: self.text,
                html: self.html,
                attachments,
                message_id: self.message_id,
                date_unix: self.date_unix,
            },
            state: parse_status(&self.status)?,
            next_attempt_at: parse_ts(&self.next_attempt_at)?,
            lease_until: self.lease_until.as_deref().map(parse_ts).transpose()?,
            created_at: parse_ts(&self.created_at)?,
            sent_at: self.sent_at.as_deref().map(parse_ts).transpose()?,
            id: self.id,
            attempts: self.attempts,
            relay_response: self.relay_response,
            last_error: self.last_error,
            possibly_duplicated: self.possibly_duplicated,
        })
    }
}

/// The mail outbox on a [`Store`]. Cheap to clone; clones share the store.
#[derive(Debug, Clone)]
pub struct SqliteOutbox {
    store: Arc<Store>,
}

impl SqliteOutbox {
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The UI's "Retry" on a failed mail: it is queued again, due now, with a
    /// fresh attempt budget. Returns false when the mail is not `failed` (already
    /// retried, or sent), an error when there is no such mail.
    pub async fn retry_failed(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let owned = id.to_owned();
        let change = self
            .blocking(move |s| s.write(|tx| retry_failed(tx, &owned, now)))
            .await?;
        match change {
            Change::Done => Ok(true),
            Change::Skipped => Ok(false),
            Change::NotFound => Err(no_such_row(id)),
        }
    }

    /// The newest `limit` mails matching `filter`, newest first.
    pub async fn list(
        &self,
        filter: OutboxFilter,
        limit: usize,
    ) -> Result<Vec<OutboxSummary>, StoreError> {
        self.blocking(move |s| s.read(|c| list(c, filter, limit)))
            .await
    }

    /// A page of mails matching `filter`, newest first, after `after`.
    pub async fn list_page(
        &self,
        filter: OutboxFilter,
        after: Option<OutboxCursor>,
        limit: usize,
    ) -> Result<OutboxPage, StoreError> {
        self.blocking(move |s| s.read(|c| list_page(c, filter, after.as_ref(), limit)))
            .await
    }

    /// One line of the Outbox screen.
    pub async fn summary(&self, id: &str) -> Result<Option<OutboxSummary>, StoreError> {
        let id = id.to_owned();
        self.blocking(move |s| s.read(|c| summary(c, &id))).await
    }

    /// Empties the attachments of mail sent before `sent_before`; returns how
    /// many mails (see [`prune_attachments`]).
    pub async fn prune_attachments(
        &self,
        sent_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.blocking(move |s| s.write(|tx| prune_attachments(tx, sent_before, now)))
            .await
    }

    /// One mail in full, attachments included.
    pub async fn get(&self, id: &str) -> Result<Option<OutboxEntry>, StoreError> {
        let id = id.to_owned();
        self.blocking(move |s| s.read(|c| get(c, &id))).await
    }

    /// Mail queued before a sender was set up gets `sender` (and
    /// `reply_to`) now.
    pub async fn fill_sender(
        &self,
        sender: &str,
        reply_to: Option<&str>,
    ) -> Result<(), StoreError> {
        let (sender, reply_to) = (sender.to_owned(), reply_to.map(str::to_owned));
        self.blocking(move |s| s.write(|tx| fill_sender(tx, &sender, reply_to.as_deref())))
            .await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, DbError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| StoreError(format!("the database task stopped ({e})")))?
            .map_err(|e| StoreError(e.to_string()))
    }

    async fn mark(
        &self,
        id: &str,
        f: impl FnOnce(&Connection, &str) -> Result<Change, DbError> + Send + 'static,
    ) -> Result<(), StoreError> {
        let owned = id.to_owned();
        match self.blocking(move |s| s.write(|tx| f(tx, &owned))).await? {
            // A row that is no longer `sending` was settled by someone else: leave it.
            Change::Done | Change::Skipped => Ok(()),
            Change::NotFound => Err(no_such_row(id)),
        }
    }
}

#[async_trait::async_trait]
impl OutboxStore for SqliteOutbox {
    async fn enqueue(&self, entry: OutboxEntry) -> Result<(), StoreError> {
        self.blocking(move |s| s.write(|tx| enqueue_in(tx, &entry)))
            .await
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.blocking(move |s| s.write(|tx| claim_due(tx, now, lease_until, limit)))
            .await
    }

    async fn mark_sent(
        &self,
        id: &str,
        relay_response: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let relay_response = relay_response.to_owned();
        self.mark(id, move |tx, id| mark_sent(tx, id, &relay_response, at))
            .await
    }

    async fn mark_retry(
        &self,
        id: &str,
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let error = error.to_owned();
        self.mark(id, move |tx, id| {
            mark_retry(tx, id, &error, next_attempt_at)
        })
        .await
    }

    async fn mark_failed(&self, id: &str, error: &str) -> Result<(), StoreError> {
        let error = error.to_owned();
        self.mark(id, move |tx, id| mark_failed(tx, id, &error))
            .await
    }
}

fn no_such_row(id: &str) -> StoreError {
    StoreError(format!("no outbox row {id}"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::{Arc, Barrier};

    use chrono::{Duration, TimeZone};
    use cs_store::rusqlite::TransactionBehavior;

    use super::*;

    type Timestamp = DateTime<Utc>;
    type Result<T, E = DbError> = std::result::Result<T, E>;

    fn t(s: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap() + Duration::seconds(s)
    }

    fn mail(n: u32, at: Timestamp) -> OutboxEntry {
        OutboxEntry {
            id: format!("mail-{n:03}"),
            kind: Some(TemplateKind::InvoiceIssued),
            email: Email {
                from: "Acme Cloud <billing@acme.example>".into(),
                to: vec!["Ada <ada@example.com>".into(), "books@example.com".into()],
                reply_to: Some("help@acme.example".into()),
                subject: format!("Invoice INV-{n}"),
                text: "Hello Ada".into(),
                html: "<p>Hello Ada</p>".into(),
                attachments: vec![
                    Attachment {
                        filename: format!("INV-{n}.pdf"),
                        content_type: "application/pdf".into(),
                        bytes: vec![0, 1, 2, 255, n as u8],
                    },
                    Attachment {
                        filename: "terms.txt".into(),
                        content_type: "text/plain".into(),
                        bytes: b"terms".to_vec(),
                    },
                ],
                message_id: format!("{n}@acme.example"),
                date_unix: at.timestamp(),
            },
            state: MailStatus::Queued,
            attempts: 0,
            next_attempt_at: at,
            lease_until: None,
            relay_response: None,
            last_error: None,
            possibly_duplicated: false,
            created_at: at,
            sent_at: None,
        }
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("cs.db")).unwrap();
        (dir, store)
    }

    fn write<T>(store: &Store, f: impl FnOnce(&Connection) -> Result<T>) -> T {
        store.write(|tx| f(tx)).unwrap()
    }

    #[test]
    fn a_queued_mail_reads_back_identically_with_its_attachments_in_order() {
        let (_dir, store) = store();
        let m = mail(1, t(0));
        write(&store, |c| enqueue_in(c, &m));
        let back = store.read(|c| get(c, &m.id)).unwrap().unwrap();
        assert_eq!(back, m);
        assert_eq!(store.read(|c| get(c, "nope")).unwrap(), None);
    }

    #[test]
    fn a_rolled_back_transaction_queues_nothing() {
        let (_dir, store) = store();
        let r: Result<()> = store.write(|tx| {
            enqueue_in(tx, &mail(1, t(0)))?;
            Err(DbError::Corrupt(
                "the event that caused the mail failed".into(),
            ))
        });
        assert!(r.is_err());
        assert!(store
            .read(|c| list(c, OutboxFilter::All, 10))
            .unwrap()
            .is_empty());
        let attachments: i64 = store
            .read(|c| {
                Ok::<_, DbError>(c.query_row(
                    "SELECT count(*) FROM mail_outbox_attachments",
                    [],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert_eq!(attachments, 0);
        assert!(write(&store, |c| claim_due(c, t(100), t(160), 10)).is_empty());
    }

    #[test]
    fn a_second_row_with_the_same_id_or_message_id_is_refused() {
        let (_dir, store) = store();
        write(&store, |c| enqueue_in(c, &mail(1, t(0))));
        let mut same_id = mail(1, t(0));
        same_id.email.message_id = "other@acme.example".into();
        let same_message = OutboxEntry {
            id: "other".into(),
            ..mail(1, t(0))
        };
        for row in [same_id, same_message] {
            let err = store.write(|c| enqueue_in(c, &row)).unwrap_err();
            assert!(
                matches!(&err, DbError::Sqlite(e) if cs_store::is_unique_violation(e)),
                "{err}"
            );
        }
    }

    #[test]
    fn claims_follow_the_state_machine() {
        let (_dir, store) = store();
        write(&store, |c| {
            enqueue_in(c, &mail(1, t(0)))?;
            enqueue_in(c, &mail(2, t(5)))
        });
        let first = write(&store, |c| claim_due(c, t(1), t(61), 10));
        assert_eq!(
            first.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["mail-001"],
            "mail-002 is not due yet"
        );
        assert_eq!(
            (first[0].state, first[0].attempts, first[0].lease_until),
            (MailStatus::Sending, 1, Some(t(61)))
        );
        assert!(!first[0].possibly_duplicated);

        let second = write(&store, |c| claim_due(c, t(10), t(70), 10));
        assert_eq!(
            second.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["mail-002"],
            "a leased row is not claimed again"
        );

        // mail-002's worker fails and retries later; mail-001's worker dies.
        assert_eq!(
            write(&store, |c| mark_retry(
                c,
                "mail-002",
                "421 try later",
                t(200)
            )),
            Change::Done
        );
        assert!(
            write(&store, |c| claim_due(c, t(61), t(121), 10)).is_empty(),
            "the lease runs until t(61) inclusive"
        );
        let reclaimed = write(&store, |c| claim_due(c, t(62), t(122), 10));
        assert_eq!(reclaimed.len(), 1);
        assert_eq!(
            (
                reclaimed[0].id.as_str(),
                reclaimed[0].attempts,
                reclaimed[0].possibly_duplicated
            ),
            ("mail-001", 2, true)
        );

        assert_eq!(
            write(&store, |c| mark_sent(
                c,
                "mail-001",
                "250 2.0.0 Ok: queued as X1",
                t(63)
            )),
            Change::Done
        );
        assert_eq!(
            write(&store, |c| mark_failed(c, "mail-001", "late worker")),
            Change::Skipped,
            "a sent row is never changed again"
        );
        assert_eq!(
            write(&store, |c| mark_sent(c, "nope", "250", t(63))),
            Change::NotFound
        );
        let sent = store.read(|c| get(c, "mail-001")).unwrap().unwrap();
        assert_eq!(
            (sent.state, sent.sent_at, sent.lease_until),
            (MailStatus::Sent, Some(t(63)), None)
        );
        assert_eq!(
            sent.relay_response.as_deref(),
            Some("250 2.0.0 Ok: queued as X1")
        );
        assert!(write(&store, |c| claim_due(c, t(100_000), t(100_060), 10))
            .iter()
            .all(|r| r.id == "mail-002"));
    }

    #[test]
    fn a_failed_mail_can_be_retried_from_the_ui_and_the_lists_show_each_state() {
        let (_dir, store) = store();
        write(&store, |c| {
            for n in 1..=3 {
                enqueue_in(c, &mail(n, t(i64::from(n))))?;
            }
            Ok(())
        });
        write(&store, |c| claim_due(c, t(10), t(70), 10));
        write(&store, |c| mark_sent(c, "mail-001", "250 ok", t(11)));
        write(&store, |c| {
            mark_failed(c, "mail-002", "550 5.1.1 no such user")
        });
        write(&store, |c| mark_retry(c, "mail-003", "421 later", t(40)));

        let ids = |f| {
            store
                .read(|c| list(c, f, 10))
                .unwrap()
                .into_iter()
                .map(|s| s.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(OutboxFilter::All),
            ["mail-003", "mail-002", "mail-001"],
            "newest first"
        );
        assert_eq!(ids(OutboxFilter::Pending), ["mail-003"]);
        assert_eq!(ids(OutboxFilter::Sent), ["mail-001"]);
        assert_eq!(ids(OutboxFilter::Failed), ["mail-002"]);
        assert_eq!(
            store.read(|c| list(c, OutboxFilter::All, 1)).unwrap().len(),
            1
        );
        let failed = &store.read(|c| list(c, OutboxFilter::Failed, 10)).unwrap()[0];
        assert_eq!(failed.last_error.as_deref(), Some("550 5.1.1 no such user"));
        assert_eq!((failed.attachment_count, failed.to.len()), (2, 2));
        let sent = &store.read(|c| list(c, OutboxFilter::Sent, 10)).unwrap()[0];
        assert_eq!(
            (sent.relay_response.as_deref(), sent.sent_at),
            (Some("250 ok"), Some(t(11)))
        );

        assert_eq!(
            write(&store, |c| retry_failed(c, "mail-001", t(20))),
            Change::Skipped
        );
        assert_eq!(
            write(&store, |c| retry_failed(c, "nope", t(20))),
            Change::NotFound
        );
        assert_eq!(
            write(&store, |c| retry_failed(c, "mail-002", t(20))),
            Change::Done
        );
        let again = write(&store, |c| claim_due(c, t(20), t(80), 10));
        assert_eq!(
            again
                .iter()
                .map(|r| (r.id.as_str(), r.attempts))
                .collect::<Vec<_>>(),
            [("mail-002", 1)],
            "a fresh attempt budget"
        );
    }

    /// Two connections to one file (as two processes would have), claiming at
    /// the same time: every row is claimed exactly once.
    #[test]
    fn concurrent_claims_on_two_connections_never_overlap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cs.db");
        let mut setup = Connection::open(&path).unwrap();
        setup.pragma_update(None, "journal_mode", "WAL").unwrap();
        cs_store::migrate::apply(&mut setup).unwrap();
        let tx = setup.transaction().unwrap();
        for n in 0..60 {
            enqueue_in(&tx, &mail(n, t(i64::from(n)))).unwrap();
        }
        tx.commit().unwrap();

        let barrier = Arc::new(Barrier::new(2));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let (path, barrier) = (path.clone(), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    let mut conn = Connection::open(&path).unwrap();
                    conn.busy_timeout(std::time::Duration::from_secs(10))
                        .unwrap();
                    barrier.wait();
                    let mut mine = Vec::new();
                    loop {
                        let tx = conn
                            .transaction_with_behavior(TransactionBehavior::Immediate)
                            .unwrap();
                        let claimed = claim_due(&tx, t(1_000), t(1_060), 3).unwrap();
                        tx.commit().unwrap();
                        if claimed.is_empty() {
                            return mine;
                        }
                        mine.extend(claimed.into_iter().map(|r| r.id));
                    }
                })
            })
            .collect();
        let results: Vec<Vec<String>> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        let all: Vec<&String> = results.iter().flatten().collect();
        let distinct: HashSet<&String> = all.iter().copied().collect();
        assert_eq!(all.len(), 60, "{results:?}");
        assert_eq!(distinct.len(), 60, "a row was claimed twice: {results:?}");
    }

    #[test]
    fn the_schema_refuses_impossible_states() {
        let (_dir, store) = store();
        let sending_without_lease = OutboxEntry {
            state: MailStatus::Sending,
            ..mail(1, t(0))
        };
        let sent_without_answer = OutboxEntry {
            state: MailStatus::Sent,
            sent_at: Some(t(0)),
            ..mail(2, t(0))
        };
        for row in [sending_without_lease, sent_without_answer] {
            assert!(
                store.write(|c| enqueue_in(c, &row)).is_err(),
                "{:?} accepted",
                row.state
            );
        }
    }
}
