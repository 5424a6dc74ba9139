//! The portal's mail: its own relay settings ([`MailSettings`]), the mails it
//! writes ([`templates`]), and the worker that sends the queue
//! ([`crate::storage::mail_queue`]) with `cs_mail::Mailer`.
//!
//! # What is guaranteed
//!
//! A mail is a queue row written in the transaction that causes it. The
//! worker claims due rows with a lease (several portal processes never
//! hold the same row), sends, and records the relay's answer: sent,
//! retried later with exponential backoff (a relay that is down, a
//! temporary refusal, a rejected login), or failed for good with the
//! reason (a permanent refusal, or [`RetryPolicy::max_attempts`] tries).
//! So a mail is never lost, and is sent once per row — except in the one
//! window SMTP leaves open: if the process dies after the relay's `250`
//! and before the answer is recorded, the lease runs out and the row is
//! sent again, flagged `possibly_duplicated`, with the same Message-ID
//! (as the desktop's outbox does, see `cs_mail`).
//!
//! A mail carrying a single-use link holds its token only until the relay
//! has it: the token is then cut from the stored bodies.

pub mod templates;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use cs_mail::{Email, Mailer, SmtpConfig};

use crate::api::Brand;
use crate::db::Tx;
use crate::storage::mail_queue::{self, NewMail, Queued};
use crate::storage::{Result, StorageError};
use crate::Portal;
use templates::Rendered;

/// How a failed send is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failure; it doubles each time…
    pub base: Duration,
    /// …up to this.
    pub max: Duration,
    /// After this many tries a mail is failed with the last error.
    pub max_attempts: i64,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        // About three days of trying with an hour between tries at the end:
        // longer than most relay outages, shorter than an invitation lives.
        RetryPolicy {
            base: Duration::seconds(30),
            max: Duration::hours(1),
            max_attempts: 80,
        }
    }
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failed try.
    pub fn delay(&self, attempts: i64) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let ms = self
            .base
            .num_milliseconds()
            .saturating_mul(1i64 << doublings);
        Duration::milliseconds(ms.min(self.max.num_milliseconds()))
    }
}

/// The portal's relay and sender.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub smtp: SmtpConfig,
    /// The From address, e.g. `portal@example.com`; the display name is
    /// each reseller's.
    pub from: String,
    /// How often the worker looks for due mail when nothing woke it.
    pub poll: StdDuration,
    pub retry: RetryPolicy,
    /// How long a claimed row is the worker's (longer than a send can take).
    pub lease: Duration,
}

impl MailSettings {
    pub fn new(smtp: SmtpConfig, from: impl Into<String>) -> MailSettings {
        MailSettings {
            smtp,
            from: from.into(),
            poll: StdDuration::from_secs(5),
            retry: RetryPolicy::default(),
            lease: Duration::minutes(5),
        }
    }

    /// The sender's domain (for Message-IDs).
    pub fn domain(&self) -> String {
        self.from
            .rsplit_once('@')
            .map(|(_, d)| d.trim_end_matches('>').to_string())
            .unwrap_or_else(|| "localhost".into())
    }
}

/// Queues a rendered mail in the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub fn queue(
    tx: &mut dyn Tx,
    tenant_id: &str,
    brand: &Brand,
    kind: &'static str,
    recipient: &str,
    rendered: Rendered,
    secret: Option<&str>,
    domain: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    mail_queue::enqueue(
        tx,
        tenant_id,
        &NewMail {
            kind,
            sender_name: brand.name.clone(),
            reply_to: brand.email.clone(),
            recipient: recipient.trim().to_string(),
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            secret: secret.map(str::to_string),
        },
        domain,
        now,
    )
}

/// A display name that survives inside `"…"` in a header.
fn display_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | '<' | '>'))
        .collect::<String>()
        .trim()
        .to_string()
}

/// The message of a queue row, the same at every try.
pub fn compose(from: &str, m: &Queued) -> Email {
    let name = display_name(&m.sender_name);
    let sender = if name.is_empty() {
        from.to_string()
    } else {
        format!("\"{name}\" <{from}>")
    };
    let mut email = Email::new(sender, vec![m.recipient.clone()], m.subject.clone());
    email.reply_to = m.reply_to.clone().filter(|r| !r.trim().is_empty());
    email.text = m.text.clone();
    email.html = m.html.clone();
    email.message_id = m.message_id.clone();
    email.date_unix = m.created_at.timestamp();
    email
}

/// Starts the worker when a relay is configured.
pub fn spawn_worker(portal: Arc<Portal>) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let Some(settings) = portal.mail.clone() else {
        tracing::warn!("no SMTP relay is configured: invitations and password resets wait in the mail queue until one is");
        return Ok(None);
    };
    let mailer = Mailer::new(&settings.smtp)
        .map_err(|e| anyhow::anyhow!("the portal's SMTP settings are not usable: {e}"))?;
    Ok(Some(tokio::spawn(async move {
        loop {
            match round(&portal, &settings, &mailer).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the mail queue could not be read; trying again")
                }
            }
            tokio::select! {
                _ = portal.mail_wake.notified() => {}
                _ = tokio::time::sleep(settings.poll) => {}
            }
        }
    })))
}

/// Claims the due mail and sends it; returns how many rows it handled.
pub async fn round(portal: &Portal, settings: &MailSettings, mailer: &Mailer) -> Result<usize> {
    let now = portal.now();
    let lease = settings.lease;
    let due = portal
        .db
        .run(true, move |tx| mail_queue::claim(tx, now, lease, 10))
        .await?;
    let n = due.len();
    for m in due {
        let email = compose(&settings.from, &m);
        let result = mailer.send(&email).await;
        let now = portal.now();
        let (id, lease_until, attempts) = (m.id.clone(), m.lease_until, m.attempts);
        let retry = settings.retry;
        let kind = m.kind.clone();
        portal
            .db
            .run(true, move |tx| {
                match result {
                    Ok(answer) => {
                        mail_queue::mark_sent(tx, &id, &answer.to_string(), now)?;
                        tracing::info!(mail = %id, kind, "mail sent");
                    }
                    Err(e) if e.is_retryable() && attempts < retry.max_attempts => {
                        let next = now + retry.delay(attempts);
                        tracing::warn!(mail = %id, kind, error = %e, next = %next, "mail not sent; it is retried");
                        mail_queue::mark_retry(tx, &id, lease_until, &e.to_string(), next)?;
                    }
                    Err(e) => {
                        tracing::error!(mail = %id, kind, error = %e, "mail failed for good");
                        mail_queue::mark_failed(tx, &id, lease_until, &e.to_string(), now)?;
                    }
                }
                Ok::<_, StorageError>(())
            })
            .await?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy::default();
        let secs: Vec<i64> = (1..=9).map(|a| p.delay(a).num_seconds()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(p.delay(1000).num_seconds(), 3600);
    }

    #[test]
    fn display_names_cannot_break_the_header() {
        assert_eq!(display_name("Acme \"Cloud\" <x@y>\r\n"), "Acme Cloud x@y");
    }
}
