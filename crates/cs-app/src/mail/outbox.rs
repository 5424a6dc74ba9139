//! The Outbox screen, queueing a mail and the worker that sends the queue
//! (the queue itself, its SQL and its retry policy are `cs_mail::outbox`).

use std::sync::Arc;

use cs_core::Timestamp;
use cs_mail::{
    Attachment, Mailer, OutboxCursor, OutboxEntry, OutboxFilter, OutboxSummary, OutboxWorker,
    Rendered, SqliteOutbox, TemplateKind, Templates, Vars, ATTACHMENT_RETENTION_DAYS,
};

/// Mails per page of the Outbox screen, by default and at most.
const OUTBOX_PAGE: u32 = 50;
const OUTBOX_PAGE_MAX: u32 = cs_store::page::MAX_LIMIT;
use cs_store::fmt_ts;

use crate::Subject;
use crate::{App, AppError, AppResult, Write};

use super::templates::*;
use super::*;

impl App {
    /// The Outbox screen, a page at a time, newest first: `all`, `pending`
    /// (queued or sending), `sent` or `failed`; `cursor` is the previous
    /// page's `nextCursor`, `limit` at most 100 (50 when not given).
    pub async fn list_outbox(
        &self,
        filter: &str,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> AppResult<OutboxListDto> {
        let filter = match filter.trim() {
            "" | "all" => OutboxFilter::All,
            "pending" | "queued" => OutboxFilter::Pending,
            "sent" => OutboxFilter::Sent,
            "failed" => OutboxFilter::Failed,
            other => {
                return Err(AppError::validation(
                    "filter",
                    format!("{other:?} is not an outbox filter: use all, pending, sent or failed"),
                ))
            }
        };
        let after = match cursor.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => Some(OutboxCursor::parse(c).ok_or_else(|| {
                AppError::validation(
                    "cursor",
                    "This page of the outbox is not known: reload the list from the start",
                )
            })?),
        };
        let limit = limit.unwrap_or(OUTBOX_PAGE).clamp(1, OUTBOX_PAGE_MAX) as usize;
        let page = SqliteOutbox::new(self.store.clone())
            .list_page(filter, after, limit)
            .await
            .map_err(store_err)?;
        Ok(OutboxListDto {
            configured: self.smtp_config()?.is_some(),
            items: page.items.into_iter().map(outbox_item).collect(),
            next_cursor: page.next.map(|c| c.to_string()),
        })
    }

    pub async fn get_outbox_message(&self, id: &str) -> AppResult<OutboxMessageDto> {
        let outbox = SqliteOutbox::new(self.store.clone());
        let missing = || {
            AppError::NotFound(format!(
                "There is no mail {id} in the outbox: refresh the list"
            ))
        };
        let entry = outbox
            .get(id.trim())
            .await
            .map_err(store_err)?
            .ok_or_else(missing)?;
        let item = outbox
            .summary(&entry.id)
            .await
            .map_err(store_err)?
            .map(outbox_item)
            .ok_or_else(missing)?;
        Ok(OutboxMessageDto {
            item,
            from: entry.email.from,
            reply_to: entry.email.reply_to,
            message_id: entry.email.message_id,
            text: entry.email.text,
            html: entry.email.html,
            attachments: entry
                .email
                .attachments
                .into_iter()
                .map(|a| a.filename)
                .collect(),
        })
    }

    /// "Retry" on a failed mail: queued again now, with a fresh attempt budget.
    pub async fn retry_mail(&self, id: &str) -> AppResult<OutboxItemDto> {
        let id = id.trim().to_string();
        let outbox = SqliteOutbox::new(self.store.clone());
        let retried = outbox.retry_failed(&id, self.now()).await.map_err(|e| {
            if e.0.contains("no outbox row") {
                AppError::NotFound(format!(
                    "There is no mail {id} in the outbox: refresh the list"
                ))
            } else {
                store_err(e)
            }
        })?;
        if !retried {
            return Err(AppError::Conflict("This mail is not failed any more (it was retried or sent already): refresh the list".into()));
        }
        let now = self.now();
        self.write(|tx| {
            tx.record(
                now,
                "email.retried",
                Subject::mail(&id),
                format!("Queued mail {id} again after it failed"),
            )
        })?;
        self.wake_mail_worker();
        outbox
            .summary(&id)
            .await
            .map_err(store_err)?
            .map(outbox_item)
            .ok_or_else(|| AppError::NotFound(format!("There is no mail {id} in the outbox")))
    }

    /// Removes the attachments' bytes of mail delivered more than
    /// `ATTACHMENT_RETENTION_DAYS` ago, at most once an hour (each worker
    /// round asks). Returns how many mails were pruned.
    pub(super) async fn prune_mail_attachments(&self) -> AppResult<usize> {
        let now = self.now();
        {
            let mut last = self
                .mail
                .pruned_at
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|l| now - l < chrono::Duration::hours(1) && l <= now) {
                return Ok(0);
            }
            *last = Some(now);
        }
        let before = now - chrono::Duration::days(ATTACHMENT_RETENTION_DAYS);
        let n = SqliteOutbox::new(self.store.clone())
            .prune_attachments(before, now)
            .await
            .map_err(store_err)?;
        if n > 0 {
            tracing::info!(
                mails = n,
                days = ATTACHMENT_RETENTION_DAYS,
                "removed the attachments of mail delivered before the retention period"
            );
        }
        Ok(n)
    }

    /// Renders `kind` for one recipient and queues it in the caller's transaction.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn queue_mail(
        &self,
        tx: &mut Write<'_>,
        now: Timestamp,
        kind: TemplateKind,
        name: &str,
        address: &str,
        vars: Vars,
        attachments: Vec<Attachment>,
    ) -> AppResult<()> {
        let s = load_settings(tx)?;
        let brand = branding(tx, &s)?;
        let (templates, _) = load_templates(tx)?;
        let rendered: Rendered = match templates.render(kind, &brand, &vars) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(template = %kind, error = %e, "an email template failed to render; sending the default text");
                match Templates::default().render(kind, &brand, &vars) {
                    Ok(r) => r,
                    Err(e) => {
                        return Err(AppError::Internal(format!(
                            "the default {kind} email does not render: {e}"
                        )))
                    }
                }
            }
        };
        let mut email = cs_mail::compose(
            &s.sender(),
            vec![mailbox(name, address)],
            s.reply_to(),
            rendered,
        );
        email.attachments = attachments;
        let entry = OutboxEntry::new(email, now).with_kind(kind);
        cs_mail::enqueue_in(tx, &entry)?;
        tx.mail_queued();
        Ok(())
    }

    /// One round of the outbox worker at the app's clock: sends what is due.
    /// Returns `None` when email is not set up (mail keeps waiting).
    pub async fn send_due_mail(&self) -> AppResult<Option<cs_mail::RoundReport>> {
        self.prune_mail_attachments().await?;
        let Some((config, s)) = self.smtp_config()? else {
            return Ok(None);
        };
        // Mail queued before a sender was set up gets it now.
        let sender = s.sender();
        let reply_to = s.reply_to();
        let outbox = SqliteOutbox::new(self.store.clone());
        outbox
            .fill_sender(&sender, reply_to.as_deref())
            .await
            .map_err(store_err)?;
        let mailer = match Mailer::new(&config) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "email settings cannot be used; mail waits in the outbox");
                return Ok(None);
            }
        };
        let policy = self
            .mail
            .policy
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let worker = OutboxWorker::new(Arc::new(outbox), mailer, policy);
        let report = worker.run_once(self.now()).await.map_err(store_err)?;
        self.note_relay_state(&s.host, &report)?;
        Ok(Some(report))
    }

    /// Records when the relay stops accepting mail (a round that sent
    /// nothing and has mail to retry) and when mail goes out again: one
    /// entry per change, so a relay down for hours is reported once.
    fn note_relay_state(&self, host: &str, r: &cs_mail::RoundReport) -> AppResult<()> {
        use std::sync::atomic::Ordering;
        let down = r.sent == 0 && r.retried > 0;
        let up = r.sent > 0;
        if !(down || up) || self.mail.relay_down.load(Ordering::SeqCst) == down {
            return Ok(());
        }
        let now = self.now();
        self.write(|tx| {
            if down {
                tx.record_as(
                    "system:mail",
                    now,
                    "mail.relay_down",
                    Subject::settings(Some("email")),
                    format!("The mail relay {host} is not accepting mail: {} mail(s) wait in the outbox and are retried", r.retried),
                )
            } else {
                tx.record_as(
                    "system:mail",
                    now,
                    "mail.relay_up",
                    Subject::settings(Some("email")),
                    format!("The mail relay {host} accepts mail again"),
                )
            }
        })?;
        self.mail.relay_down.store(down, Ordering::SeqCst);
        Ok(())
    }

    pub(super) async fn wait_for_mail_work(&self) {
        let interval = self
            .mail
            .policy
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .poll_interval;
        tokio::select! {
            _ = self.mail.wake.notified() => {}
            _ = tokio::time::sleep(interval) => {}
        }
    }
}

pub(super) fn outbox_item(s: OutboxSummary) -> OutboxItemDto {
    OutboxItemDto {
        id: s.id,
        template: s.kind.map(|k| k.key().to_string()),
        to: s.to,
        subject: s.subject,
        state: s.state.as_str().to_string(),
        attempts: s.attempts,
        next_attempt_at: fmt_ts(&s.next_attempt_at),
        relay_response: s.relay_response,
        last_error: s.last_error,
        possibly_duplicated: s.possibly_duplicated,
        created_at: fmt_ts(&s.created_at),
        sent_at: s.sent_at.as_ref().map(fmt_ts),
        attachment_count: s.attachment_count,
        attachments_pruned_at: s.attachments_pruned_at.as_ref().map(fmt_ts),
    }
}

pub(super) fn store_err(e: cs_mail::StoreError) -> AppError {
    AppError::Internal(e.to_string())
}

/// The outbox worker: sends due mail whenever something is queued and every
/// few seconds (retries with backoff); when email is not set up, mail waits.
pub async fn run_worker(app: Arc<App>) {
    let mut warned = false;
    loop {
        let round = app.send_due_mail().await;
        app.loop_round_done(crate::BackgroundLoop::Mail);
        match round {
            Ok(Some(r)) => {
                warned = false;
                if r.sent + r.retried + r.failed + r.unrecorded > 0 {
                    tracing::info!(
                        sent = r.sent,
                        retried = r.retried,
                        failed = r.failed,
                        "mail outbox round"
                    );
                }
                // A full batch: more may be due right away.
                if r.sent + r.retried + r.failed
                    >= app
                        .mail
                        .policy
                        .read()
                        .unwrap_or_else(|e| e.into_inner())
                        .batch
                {
                    continue;
                }
            }
            Ok(None) => {
                if !warned {
                    tracing::info!("email is not set up: mail waits in the outbox");
                    warned = true;
                }
            }
            Err(e) => tracing::error!(error = %e, "mail outbox round failed"),
        }
        app.wait_for_mail_work().await;
    }
}
