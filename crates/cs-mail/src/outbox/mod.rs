//! The mail outbox: one module for the mail that waits to be sent.
//!
//! - the lifecycle of a mail is `cs_core::mail::MailStatus` (queued →
//!   sending → sent / failed, with its allowed transitions);
//! - [`OutboxEntry`] is one mail with everything needed to send it again;
//! - [`sqlite`] holds the SQL of the tables `mail_outbox` and
//!   `mail_outbox_attachments` (migration 0003): [`enqueue_in`] queues a mail
//!   in the caller's transaction, and [`SqliteOutbox`] is the queue the
//!   worker and the Outbox screen use;
//! - [`OutboxStore`] is the worker's queue interface, [`MemoryOutboxStore`]
//!   its reference implementation for tests;
//! - [`OutboxPolicy`] is the retry policy and [`OutboxWorker`] the worker.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
pub use cs_core::mail::{MailEvent, MailStatus};
use serde::{Deserialize, Serialize};

use crate::error::MailError;
use crate::mailer::{Email, Mailer};
use crate::templates::TemplateKind;

mod memory;
pub mod sqlite;

pub use memory::MemoryOutboxStore;
pub use sqlite::{
    enqueue_in, OutboxCursor, OutboxFilter, OutboxPage, OutboxSummary, SqliteOutbox,
    ATTACHMENT_RETENTION_DAYS,
};

/// One outbox row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Row id (UUID v7), chosen by the caller in the transaction that queues the mail.
    pub id: String,
    /// The template it was rendered from (shown on the Outbox screen); `None`
    /// for a message not made from a template, or from one this version does
    /// not know.
    pub kind: Option<TemplateKind>,
    /// The fully rendered message; its Message-ID and Date never change.
    pub email: Email,
    pub state: MailStatus,
    /// Sending attempts started so far.
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub lease_until: Option<DateTime<Utc>>,
    /// The relay's acceptance (`250 2.0.0 Ok: queued as …`) once sent.
    pub relay_response: Option<String>,
    pub last_error: Option<String>,
    /// Set when a lease expired mid-send: the relay may already have this message, so
    /// this delivery may be a duplicate (same Message-ID).
    pub possibly_duplicated: bool,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl OutboxEntry {
    pub fn new(email: Email, now: DateTime<Utc>) -> Self {
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            kind: None,
            email,
            state: MailStatus::Queued,
            attempts: 0,
            next_attempt_at: now,
            lease_until: None,
            relay_response: None,
            last_error: None,
            possibly_duplicated: false,
            created_at: now,
            sent_at: None,
        }
    }

    /// The entry, marked as rendered from `kind`.
    pub fn with_kind(mut self, kind: TemplateKind) -> Self {
        self.kind = Some(kind);
        self
    }
}

/// The storage failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the mail outbox storage failed: {0}")]
pub struct StoreError(pub String);

/// Where outbox rows live. The desktop implements it on SQLite; [`MemoryOutboxStore`] is
/// the reference implementation for tests.
///
/// Every method is one atomic write. `mark_*` apply only to a row that is still
/// `sending` (a row whose lease was taken over by another claim is left alone).
#[async_trait::async_trait]
pub trait OutboxStore: Send + Sync {
    /// Inserts a `queued` row. The app normally inserts in the same transaction as the
    /// event that causes the mail instead of calling this.
    async fn enqueue(&self, entry: OutboxEntry) -> Result<(), StoreError>;

    /// Atomically claims up to `limit` rows, oldest first, that are `queued` with
    /// `next_attempt_at <= now`, or `sending` with `lease_until < now` (a worker died);
    /// sets them `sending`, `lease_until`, `attempts += 1`, and `possibly_duplicated`
    /// for the expired-lease ones. Returns the rows as updated.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError>;

    /// `sending` → `sent`, storing the relay's answer and the time.
    async fn mark_sent(
        &self,
        id: &str,
        relay_response: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// `sending` → `queued` for another attempt at `next_attempt_at`.
    async fn mark_retry(
        &self,
        id: &str,
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// `sending` → `failed`, storing the error or the relay's refusal.
    async fn mark_failed(&self, id: &str, error: &str) -> Result<(), StoreError>;
}

/// How the worker retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxPolicy {
    /// Attempts before a retryable failure becomes `failed`.
    pub max_attempts: u32,
    /// Delay after the first failure, doubled after each further one.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// How long a claim lasts. Must exceed the SMTP timeout by a wide margin.
    pub lease: Duration,
    /// Rows claimed per round.
    pub batch: usize,
    /// Pause between rounds of [`OutboxWorker::run`].
    pub poll_interval: Duration,
}

impl Default for OutboxPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 12,
            base_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(3_600),
            lease: Duration::from_secs(600),
            batch: 20,
            poll_interval: Duration::from_secs(5),
        }
    }
}

impl OutboxPolicy {
    /// Delay before the next attempt after `attempts` failed ones.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(20));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    /// The relay accepted but the store could not record it: these will be sent again
    /// after their lease expires (same Message-ID).
    pub unrecorded: usize,
}

/// Sends due outbox rows through a [`Mailer`].
pub struct OutboxWorker<S: OutboxStore + ?Sized> {
    store: Arc<S>,
    mailer: Mailer,
    policy: OutboxPolicy,
}

impl<S: OutboxStore + ?Sized> OutboxWorker<S> {
    pub fn new(store: Arc<S>, mailer: Mailer, policy: OutboxPolicy) -> Self {
        Self {
            store,
            mailer,
            policy,
        }
    }

    /// One round at time `now` (the caller's clock, also the time recorded
    /// as sent): claim due rows, send each, record the outcome.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<RoundReport, StoreError> {
        let lease_until =
            now + chrono::Duration::from_std(self.policy.lease).unwrap_or(chrono::Duration::MAX);
        let claimed = self
            .store
            .claim_due(now, lease_until, self.policy.batch)
            .await?;
        let mut report = RoundReport::default();
        for entry in claimed {
            if entry.possibly_duplicated {
                tracing::warn!(id = %entry.id, message_id = %entry.email.message_id, "mail outbox: resending a message whose previous attempt was interrupted; the recipient may get it twice with the same Message-ID");
            }
            match self.mailer.send(&entry.email).await {
                Ok(acceptance) => {
                    match self
                        .store
                        .mark_sent(&entry.id, &acceptance.to_string(), now)
                        .await
                    {
                        Ok(()) => report.sent += 1,
                        Err(e) => {
                            tracing::error!(id = %entry.id, "mail outbox: relay accepted ({acceptance}) but recording failed: {e}");
                            report.unrecorded += 1;
                        }
                    }
                }
                Err(e) => self.record_failure(&entry, &e, now, &mut report).await?,
            }
        }
        Ok(report)
    }

    async fn record_failure(
        &self,
        entry: &OutboxEntry,
        e: &MailError,
        now: DateTime<Utc>,
        report: &mut RoundReport,
    ) -> Result<(), StoreError> {
        if e.is_retryable() && entry.attempts < self.policy.max_attempts {
            let delay = self.policy.backoff(entry.attempts);
            let at = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
            tracing::info!(id = %entry.id, attempts = entry.attempts, "mail outbox: {e}; retrying at {at}");
            self.store.mark_retry(&entry.id, &e.to_string(), at).await?;
            report.retried += 1;
        } else {
            tracing::warn!(id = %entry.id, attempts = entry.attempts, "mail outbox: giving up: {e}");
            self.store.mark_failed(&entry.id, &e.to_string()).await?;
            report.failed += 1;
        }
        Ok(())
    }

    /// Runs rounds until `stop` becomes true.
    pub async fn run(&self, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            if let Err(e) = self.run_once(Utc::now()).await {
                tracing::error!("mail outbox round failed: {e}");
            }
            tokio::select! {
                _ = tokio::time::sleep(self.policy.poll_interval) => {}
                _ = stop.changed() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email::new("shop@acme.example", vec!["c@example.com".into()], "hi")
    }

    #[tokio::test]
    async fn claims_are_exclusive_and_expired_leases_are_reclaimed_as_possible_duplicates() {
        let store = MemoryOutboxStore::new();
        let t0 = Utc::now();
        store.enqueue(OutboxEntry::new(email(), t0)).await.unwrap();
        let lease = t0 + chrono::Duration::seconds(60);
        let first = store.claim_due(t0, lease, 10).await.unwrap();
        assert_eq!(first.len(), 1);
        assert!(
            store.claim_due(t0, lease, 10).await.unwrap().is_empty(),
            "leased rows are not claimed twice"
        );
        let later = t0 + chrono::Duration::seconds(61);
        let again = store
            .claim_due(later, later + chrono::Duration::seconds(60), 10)
            .await
            .unwrap();
        assert_eq!(again.len(), 1);
        assert!(again[0].possibly_duplicated);
        assert_eq!(again[0].attempts, 2);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = OutboxPolicy {
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(5),
            ..OutboxPolicy::default()
        };
        assert_eq!(p.backoff(1), Duration::from_secs(1));
        assert_eq!(p.backoff(2), Duration::from_secs(2));
        assert_eq!(p.backoff(3), Duration::from_secs(4));
        assert_eq!(p.backoff(4), Duration::from_secs(5));
    }
}
