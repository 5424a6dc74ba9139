//! The outbox on the desktop's SQLite store (`cs_store::mail_outbox`, table
//! `mail_outbox`).
//!
//! Two ways in:
//! - [`enqueue_in`] inside the façade's own [`Store::write`] transaction, so a
//!   mail exists exactly when the event that causes it does (an invoice
//!   finalized, a password reset requested…);
//! - [`SqliteOutbox`], the [`OutboxStore`] the [`crate::OutboxWorker`] runs on,
//!   plus what the Outbox screen needs ([`SqliteOutbox::list`],
//!   [`SqliteOutbox::retry_failed`], [`SqliteOutbox::get`]).
//!
//! Each operation is its own short IMMEDIATE transaction, run on Tokio's
//! blocking pool so a slow disk never stalls the runtime. Only what is sent is
//! stored; the SMTP password never reaches the database.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cs_store::mail_outbox::{
    self, Change, MailAttachment, MailFilter, MailRow, MailStatus, MailSummary,
};
use cs_store::rusqlite::Connection;
use cs_store::{Store, StoreError as DbError};
use serde::Serialize;

use crate::mailer::{Attachment, Email};
use crate::outbox::{OutboxEntry, OutboxState, OutboxStore, StoreError};
use crate::templates::TemplateKind;

/// Queues `entry` with the caller's transaction (`store.write(|tx| …)`): if that
/// transaction rolls back, nothing is queued. `kind` is the template the mail
/// was rendered from, shown on the Outbox screen. An id or Message-ID already
/// queued is refused.
pub fn enqueue_in(
    conn: &Connection,
    kind: Option<TemplateKind>,
    entry: &OutboxEntry,
) -> Result<(), DbError> {
    mail_outbox::enqueue_in(conn, &to_row(kind, entry))
}

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
    pub state: OutboxState,
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
        let id = id.to_owned();
        let (change, id) = self
            .blocking(move |s| {
                s.write(|tx| mail_outbox::retry_failed(tx, &id, now))
                    .map(|c| (c, id))
            })
            .await?;
        match change {
            Change::Done => Ok(true),
            Change::Skipped { .. } => Ok(false),
            Change::NotFound => Err(no_such_row(&id)),
        }
    }

    /// The newest `limit` mails matching `filter`, newest first.
    pub async fn list(
        &self,
        filter: OutboxFilter,
        limit: usize,
    ) -> Result<Vec<OutboxSummary>, StoreError> {
        let filter = match filter {
            OutboxFilter::All => MailFilter::All,
            OutboxFilter::Pending => MailFilter::Pending,
            OutboxFilter::Sent => MailFilter::Sent,
            OutboxFilter::Failed => MailFilter::Failed,
        };
        let rows = self
            .blocking(move |s| s.read(|c| mail_outbox::list(c, filter, limit)))
            .await?;
        Ok(rows.into_iter().map(summary).collect())
    }

    /// One mail in full, attachments included.
    pub async fn get(&self, id: &str) -> Result<Option<OutboxEntry>, StoreError> {
        let id = id.to_owned();
        let row = self
            .blocking(move |s| s.read(|c| mail_outbox::get(c, &id)))
            .await?;
        Ok(row.map(from_row))
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
            Change::Done | Change::Skipped { .. } => Ok(()),
            Change::NotFound => Err(no_such_row(id)),
        }
    }
}

#[async_trait::async_trait]
impl OutboxStore for SqliteOutbox {
    async fn enqueue(&self, entry: OutboxEntry) -> Result<(), StoreError> {
        self.blocking(move |s| s.write(|tx| enqueue_in(tx, None, &entry)))
            .await
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows = self
            .blocking(move |s| s.write(|tx| mail_outbox::claim_due(tx, now, lease_until, limit)))
            .await?;
        Ok(rows.into_iter().map(from_row).collect())
    }

    async fn mark_sent(
        &self,
        id: &str,
        relay_response: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let relay_response = relay_response.to_owned();
        self.mark(id, move |tx, id| {
            mail_outbox::mark_sent(tx, id, &relay_response, at)
        })
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
            mail_outbox::mark_retry(tx, id, &error, next_attempt_at)
        })
        .await
    }

    async fn mark_failed(&self, id: &str, error: &str) -> Result<(), StoreError> {
        let error = error.to_owned();
        self.mark(id, move |tx, id| mail_outbox::mark_failed(tx, id, &error))
            .await
    }
}

fn no_such_row(id: &str) -> StoreError {
    StoreError(format!("no outbox row {id}"))
}

fn status(state: OutboxState) -> MailStatus {
    match state {
        OutboxState::Queued => MailStatus::Queued,
        OutboxState::Sending => MailStatus::Sending,
        OutboxState::Sent => MailStatus::Sent,
        OutboxState::Failed => MailStatus::Failed,
    }
}

fn state(status: MailStatus) -> OutboxState {
    match status {
        MailStatus::Queued => OutboxState::Queued,
        MailStatus::Sending => OutboxState::Sending,
        MailStatus::Sent => OutboxState::Sent,
        MailStatus::Failed => OutboxState::Failed,
    }
}

fn kind_of(key: Option<&str>) -> Option<TemplateKind> {
    key.and_then(|k| TemplateKind::ALL.into_iter().find(|t| t.key() == k))
}

fn to_row(kind: Option<TemplateKind>, entry: &OutboxEntry) -> MailRow {
    let e = &entry.email;
    MailRow {
        id: entry.id.clone(),
        kind: kind.map(|k| k.key().to_owned()),
        from: e.from.clone(),
        to: e.to.clone(),
        reply_to: e.reply_to.clone(),
        subject: e.subject.clone(),
        text: e.text.clone(),
        html: e.html.clone(),
        attachments: e
            .attachments
            .iter()
            .map(|a| MailAttachment {
                filename: a.filename.clone(),
                content_type: a.content_type.clone(),
                bytes: a.bytes.clone(),
            })
            .collect(),
        message_id: e.message_id.clone(),
        date_unix: e.date_unix,
        status: status(entry.state),
        attempts: entry.attempts,
        next_attempt_at: entry.next_attempt_at,
        lease_until: entry.lease_until,
        relay_response: entry.relay_response.clone(),
        last_error: entry.last_error.clone(),
        possibly_duplicated: entry.possibly_duplicated,
        created_at: entry.created_at,
        sent_at: entry.sent_at,
    }
}

fn from_row(r: MailRow) -> OutboxEntry {
    OutboxEntry {
        id: r.id,
        email: Email {
            from: r.from,
            to: r.to,
            reply_to: r.reply_to,
            subject: r.subject,
            text: r.text,
            html: r.html,
            attachments: r
                .attachments
                .into_iter()
                .map(|a| Attachment {
                    filename: a.filename,
                    content_type: a.content_type,
                    bytes: a.bytes,
                })
                .collect(),
            message_id: r.message_id,
            date_unix: r.date_unix,
        },
        state: state(r.status),
        attempts: r.attempts,
        next_attempt_at: r.next_attempt_at,
        lease_until: r.lease_until,
        relay_response: r.relay_response,
        last_error: r.last_error,
        possibly_duplicated: r.possibly_duplicated,
        created_at: r.created_at,
        sent_at: r.sent_at,
    }
}

fn summary(s: MailSummary) -> OutboxSummary {
    OutboxSummary {
        kind: kind_of(s.kind.as_deref()),
        state: state(s.status),
        id: s.id,
        to: s.to,
        subject: s.subject,
        message_id: s.message_id,
        attempts: s.attempts,
        next_attempt_at: s.next_attempt_at,
        relay_response: s.relay_response,
        last_error: s.last_error,
        possibly_duplicated: s.possibly_duplicated,
        created_at: s.created_at,
        sent_at: s.sent_at,
        attachment_count: s.attachment_count,
    }
}
