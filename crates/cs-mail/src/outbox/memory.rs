//! The reference implementation of [`OutboxStore`], in memory, for tests.

use std::sync::Mutex;

use chrono::{DateTime, Utc};

use super::{MailEvent, MailStatus, OutboxEntry, OutboxStore, StoreError};

/// An in-memory [`OutboxStore`].
#[derive(Debug, Default)]
pub struct MemoryOutboxStore {
    rows: Mutex<Vec<OutboxEntry>>,
}

impl MemoryOutboxStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A snapshot of all rows.
    pub fn entries(&self) -> Vec<OutboxEntry> {
        self.lock().clone()
    }

    pub fn get(&self, id: &str) -> Option<OutboxEntry> {
        self.lock().iter().find(|r| r.id == id).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<OutboxEntry>> {
        self.rows.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies `event` to the row; a row the event does not apply to (a
    /// lease taken over by another claim) is left alone.
    fn settle(
        &self,
        id: &str,
        event: MailEvent,
        f: impl FnOnce(&mut OutboxEntry),
    ) -> Result<(), StoreError> {
        let mut rows = self.lock();
        match rows.iter_mut().find(|r| r.id == id) {
            Some(r) => {
                if let Ok(next) = r.state.apply(event) {
                    r.state = next;
                    r.lease_until = None;
                    f(r);
                }
                Ok(())
            }
            None => Err(StoreError(format!("no outbox row {id}"))),
        }
    }
}

#[async_trait::async_trait]
impl OutboxStore for MemoryOutboxStore {
    async fn enqueue(&self, entry: OutboxEntry) -> Result<(), StoreError> {
        let mut rows = self.lock();
        if rows.iter().any(|r| r.id == entry.id) {
            return Err(StoreError(format!(
                "outbox row {} already exists",
                entry.id
            )));
        }
        rows.push(entry);
        Ok(())
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut rows = self.lock();
        let mut claimed = Vec::new();
        let mut due: Vec<&mut OutboxEntry> = rows
            .iter_mut()
            .filter(|r| match r.state {
                MailStatus::Queued => r.next_attempt_at <= now,
                MailStatus::Sending => r.lease_until.is_some_and(|l| l < now),
                MailStatus::Sent | MailStatus::Failed => false,
            })
            .collect();
        due.sort_by_key(|r| (r.next_attempt_at, r.created_at));
        for r in due.into_iter().take(limit) {
            if r.state == MailStatus::Sending {
                r.possibly_duplicated = true;
            }
            r.state = MailStatus::Sending;
            r.lease_until = Some(lease_until);
            r.attempts += 1;
            claimed.push(r.clone());
        }
        Ok(claimed)
    }

    async fn mark_sent(
        &self,
        id: &str,
        relay_response: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.settle(id, MailEvent::Accepted, |r| {
            r.relay_response = Some(relay_response.to_owned());
            r.sent_at = Some(at);
        })
    }

    async fn mark_retry(
        &self,
        id: &str,
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.settle(id, MailEvent::RetryLater, |r| {
            r.last_error = Some(error.to_owned());
            r.next_attempt_at = next_attempt_at;
        })
    }

    async fn mark_failed(&self, id: &str, error: &str) -> Result<(), StoreError> {
        self.settle(id, MailEvent::GiveUp, |r| {
            r.last_error = Some(error.to_owned());
        })
    }
}
