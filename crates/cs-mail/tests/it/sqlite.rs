//! The outbox scenarios of `outbox.rs`, on the SQLite store with a real database file.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use cs_mail::{
    enqueue_in, Attachment, MailStatus, OutboxEntry, OutboxFilter, OutboxPolicy, OutboxStore,
    OutboxWorker, SqliteOutbox, StoreError, TemplateKind,
};
use cs_store::activity::{self, NewActivity};
use cs_store::Store;
use mail_parser::{MessageParser, MimeHeaders};

use crate::support::{mailer, sink, welcome};

fn policy() -> OutboxPolicy {
    OutboxPolicy {
        max_attempts: 5,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(8),
        lease: Duration::from_secs(60),
        batch: 50,
        poll_interval: Duration::from_millis(50),
    }
}

fn secs(t: DateTime<Utc>, s: i64) -> DateTime<Utc> {
    t + chrono::Duration::seconds(s)
}

fn open(path: &Path) -> SqliteOutbox {
    SqliteOutbox::new(Arc::new(Store::open(path).expect("the database opens")))
}

/// A fresh database file per test; the folder is removed when the guard drops.
fn database() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cs.db");
    (dir, path)
}

/// How many times the sink received each Message-ID.
fn received(sink: &cs_fakes::smtp::SmtpSink) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for m in sink.messages() {
        let parsed = MessageParser::default().parse(&m.data).unwrap();
        *counts
            .entry(parsed.message_id().unwrap().to_owned())
            .or_default() += 1;
    }
    counts
}

fn invoice(to: &str) -> cs_mail::Email {
    let mut email = welcome(to);
    email.subject = "Invoice INV-2025-0042 from Acme Cloud".into();
    email.attachments.push(Attachment::pdf(
        "INV-2025-0042.pdf",
        b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec(),
    ));
    email
}

/// Queues `entry` the way the façade does: in the transaction of the event that causes it.
fn queue_with_event(store: &Store, kind: TemplateKind, entry: &OutboxEntry) {
    store
        .write(|tx| {
            activity::append(
                tx,
                &NewActivity {
                    at: entry.created_at,
                    actor: "staff:test",
                    action: "invoice.issued",
                    subject_kind: "invoice",
                    subject_id: Some("INV-2025-0042".into()),
                    organization_id: None,
                    summary: "Issued invoice INV-2025-0042".into(),
                },
            )?;
            enqueue_in(tx, &entry.clone().with_kind(kind))
        })
        .unwrap();
}

#[tokio::test]
async fn mail_queued_while_the_relay_is_down_arrives_exactly_once_when_it_is_back() {
    let (_dir, path) = database();
    let mut sink = sink().await;
    let outbox = Arc::new(open(&path));
    let worker = OutboxWorker::new(Arc::clone(&outbox), mailer(&sink), policy());
    sink.stop().await;

    let t0 = Utc::now();
    for i in 0..5 {
        let entry = OutboxEntry::new(welcome(&format!("customer{i}@example.com")), t0);
        queue_with_event(outbox.store(), TemplateKind::Welcome, &entry);
    }
    assert_eq!(worker.run_once(t0).await.unwrap().retried, 5);
    assert_eq!(worker.run_once(secs(t0, 1)).await.unwrap().retried, 5);
    let pending = outbox.list(OutboxFilter::Pending, 100).await.unwrap();
    assert_eq!(pending.len(), 5);
    assert!(pending.iter().all(|e| e.state == MailStatus::Queued
        && e.attempts == 2
        && e.kind == Some(TemplateKind::Welcome)
        && e.last_error
            .as_deref()
            .is_some_and(|m| m.contains("could not talk to the SMTP relay"))));

    sink.restart().await.unwrap();
    assert_eq!(
        worker.run_once(secs(t0, 2)).await.unwrap().sent,
        0,
        "backoff"
    );
    assert_eq!(worker.run_once(secs(t0, 3)).await.unwrap().sent, 5);
    for later in [10, 100, 10_000] {
        assert_eq!(
            worker.run_once(secs(t0, later)).await.unwrap(),
            Default::default()
        );
    }

    let sent = outbox.list(OutboxFilter::Sent, 100).await.unwrap();
    assert_eq!(sent.len(), 5);
    for row in &sent {
        assert!(!row.possibly_duplicated);
        assert!(row.sent_at.is_some());
        let answer = row.relay_response.as_deref().unwrap();
        assert!(
            answer.starts_with("250 ") && answer.contains("queued as SINK"),
            "{answer}"
        );
    }
    let counts = received(&sink);
    assert_eq!(counts.len(), 5);
    assert!(
        counts.values().all(|n| *n == 1),
        "exactly once each: {counts:?}"
    );
    assert!(sent.iter().all(|r| counts.contains_key(&r.message_id)));
}

/// The SQLite outbox, whose first `mark_sent` never happens: the process "dies"
/// between the relay's 250 and the recording of it.
struct DiesBeforeRecording {
    inner: SqliteOutbox,
}

#[async_trait::async_trait]
impl OutboxStore for DiesBeforeRecording {
    async fn enqueue(&self, entry: OutboxEntry) -> Result<(), StoreError> {
        self.inner.enqueue(entry).await
    }
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.inner.claim_due(now, lease_until, limit).await
    }
    async fn mark_sent(&self, _: &str, _: &str, _: DateTime<Utc>) -> Result<(), StoreError> {
        Err(StoreError("the process died".into()))
    }
    async fn mark_retry(
        &self,
        id: &str,
        error: &str,
        next: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.inner.mark_retry(id, error, next).await
    }
    async fn mark_failed(&self, id: &str, error: &str) -> Result<(), StoreError> {
        self.inner.mark_failed(id, error).await
    }
}

#[tokio::test]
async fn a_crash_after_acceptance_resends_once_after_reopening_with_the_same_message_id() {
    let (_dir, path) = database();
    let sink = sink().await;
    let t0 = Utc::now();
    let entry = OutboxEntry::new(invoice("ada@example.com"), t0);
    let id = entry.id.clone();
    {
        let dying = Arc::new(DiesBeforeRecording { inner: open(&path) });
        queue_with_event(dying.inner.store(), TemplateKind::InvoiceIssued, &entry);
        let worker = OutboxWorker::new(Arc::clone(&dying), mailer(&sink), policy());
        assert_eq!(worker.run_once(t0).await.unwrap().unrecorded, 1);
        // The process ends here: the worker, the store and its lock are gone.
    }
    assert_eq!(received(&sink).len(), 1);

    let outbox = Arc::new(open(&path));
    let row = outbox.get(&id).await.unwrap().unwrap();
    assert_eq!(
        (row.state, row.attempts),
        (MailStatus::Sending, 1),
        "the claim survived the crash"
    );
    let worker = OutboxWorker::new(Arc::clone(&outbox), mailer(&sink), policy());
    assert_eq!(
        worker.run_once(secs(t0, 30)).await.unwrap(),
        Default::default(),
        "the lease holds"
    );
    assert_eq!(worker.run_once(secs(t0, 61)).await.unwrap().sent, 1);
    for later in [62, 200, 10_000] {
        assert_eq!(
            worker.run_once(secs(t0, later)).await.unwrap(),
            Default::default(),
            "at most once more"
        );
    }

    let row = outbox.get(&id).await.unwrap().unwrap();
    assert_eq!((row.state, row.attempts), (MailStatus::Sent, 2));
    assert!(row.possibly_duplicated);
    assert_eq!(
        row.email, entry.email,
        "the stored message is the one queued"
    );
    let summary = &outbox.list(OutboxFilter::Sent, 10).await.unwrap()[0];
    assert!(summary.possibly_duplicated && summary.attachment_count == 1);

    let messages = sink.messages();
    assert_eq!(messages.len(), 2);
    let parsed: Vec<_> = messages
        .iter()
        .map(|m| MessageParser::default().parse(&m.data).unwrap())
        .collect();
    for p in &parsed {
        assert_eq!(
            p.message_id(),
            Some(entry.email.message_id.as_str()),
            "recognisable as a duplicate"
        );
        assert_eq!(
            p.date().map(|d| d.to_timestamp()),
            Some(entry.email.date_unix)
        );
        assert_eq!(p.subject(), Some("Invoice INV-2025-0042 from Acme Cloud"));
        let pdf = p.attachment(0).expect("the invoice is attached to both");
        assert_eq!(pdf.attachment_name(), Some("INV-2025-0042.pdf"));
        assert_eq!(pdf.contents(), entry.email.attachments[0].bytes.as_slice());
    }
    assert_eq!(parsed[0].body_text(0), parsed[1].body_text(0));
    assert_eq!(parsed[0].body_html(0), parsed[1].body_html(0));
}

#[tokio::test]
async fn mail_queued_in_a_transaction_that_rolls_back_is_never_sent() {
    let (_dir, path) = database();
    let sink = sink().await;
    let outbox = Arc::new(open(&path));
    let t0 = Utc::now();
    let entry = OutboxEntry::new(invoice("ada@example.com"), t0);
    let result: Result<(), cs_store::StoreError> = outbox.store().write(|tx| {
        enqueue_in(tx, &entry.clone().with_kind(TemplateKind::InvoiceIssued))?;
        Err(cs_store::StoreError::Corrupt(
            "finalizing the invoice failed".into(),
        ))
    });
    assert!(result.is_err());

    let worker = OutboxWorker::new(Arc::clone(&outbox), mailer(&sink), policy());
    assert_eq!(
        worker.run_once(secs(t0, 1)).await.unwrap(),
        Default::default()
    );
    assert!(outbox
        .list(OutboxFilter::All, 100)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(outbox.get(&entry.id).await.unwrap(), None);
    assert!(sink.messages().is_empty());

    // The same mail with a committed event goes out.
    queue_with_event(outbox.store(), TemplateKind::InvoiceIssued, &entry);
    assert_eq!(worker.run_once(secs(t0, 2)).await.unwrap().sent, 1);
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_one_database_never_send_a_row_twice() {
    let (_dir, path) = database();
    let sink = sink().await;
    let outbox = open(&path);
    let t0 = Utc::now();
    let mut expected = Vec::new();
    for i in 0..24 {
        let entry = OutboxEntry::new(welcome(&format!("customer{i}@example.com")), t0);
        expected.push(entry.email.message_id.clone());
        queue_with_event(outbox.store(), TemplateKind::Welcome, &entry);
    }
    let small_batches = OutboxPolicy {
        batch: 3,
        ..policy()
    };
    let workers: Vec<_> = (0..2)
        .map(|_| {
            Arc::new(OutboxWorker::new(
                Arc::new(outbox.clone()),
                mailer(&sink),
                small_batches.clone(),
            ))
        })
        .collect();
    let tasks: Vec<_> = workers
        .iter()
        .map(|w| {
            let w = Arc::clone(w);
            tokio::spawn(async move {
                let mut sent = 0;
                for round in 0..40 {
                    let r = w.run_once(secs(t0, round)).await.unwrap();
                    assert_eq!((r.retried, r.failed, r.unrecorded), (0, 0, 0), "{r:?}");
                    sent += r.sent;
                }
                sent
            })
        })
        .collect();
    let mut per_worker = Vec::new();
    for t in tasks {
        per_worker.push(t.await.unwrap());
    }
    assert_eq!(per_worker.iter().sum::<usize>(), 24, "{per_worker:?}");

    let counts = received(&sink);
    assert_eq!(counts.len(), 24);
    assert!(
        counts.values().all(|n| *n == 1),
        "a message was sent twice: {counts:?}"
    );
    assert!(expected.iter().all(|m| counts.contains_key(m)));
    let rows = outbox.list(OutboxFilter::All, 100).await.unwrap();
    assert!(rows
        .iter()
        .all(|r| r.state == MailStatus::Sent && r.attempts == 1 && !r.possibly_duplicated));
}

#[tokio::test]
async fn a_failed_mail_shows_why_and_is_sent_after_retry() {
    let (_dir, path) = database();
    let mut sink = sink().await;
    let outbox = Arc::new(open(&path));
    let once = OutboxPolicy {
        max_attempts: 1,
        ..policy()
    };
    let worker = OutboxWorker::new(Arc::clone(&outbox), mailer(&sink), once);
    sink.stop().await;
    let t0 = Utc::now();
    let entry = OutboxEntry::new(welcome("ada@example.com"), t0);
    queue_with_event(outbox.store(), TemplateKind::Welcome, &entry);
    assert_eq!(worker.run_once(t0).await.unwrap().failed, 1);

    let failed = outbox.list(OutboxFilter::Failed, 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert!(failed[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("could not talk to the SMTP relay"));
    assert!(outbox
        .list(OutboxFilter::Pending, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        worker.run_once(secs(t0, 3_600)).await.unwrap(),
        Default::default(),
        "failed stays failed"
    );

    sink.restart().await.unwrap();
    assert!(outbox.retry_failed(&entry.id, secs(t0, 10)).await.unwrap());
    assert!(
        !outbox.retry_failed(&entry.id, secs(t0, 10)).await.unwrap(),
        "a second click changes nothing"
    );
    assert!(outbox
        .retry_failed("no-such-mail", secs(t0, 10))
        .await
        .is_err());
    assert_eq!(worker.run_once(secs(t0, 10)).await.unwrap().sent, 1);
    let row = outbox.get(&entry.id).await.unwrap().unwrap();
    assert_eq!((row.state, row.attempts), (MailStatus::Sent, 1));
    assert_eq!(received(&sink).len(), 1);
}

#[tokio::test]
async fn a_wrong_password_keeps_mail_queued_until_fixed() {
    let (_dir, path) = database();
    let sink = sink().await;
    let outbox = Arc::new(open(&path));
    let bad = cs_mail::Mailer::new(&crate::support::config_for(
        &sink,
        cs_mail::Security::StartTls,
        "wrong",
    ))
    .unwrap();
    let t0 = Utc::now();
    outbox
        .enqueue(OutboxEntry::new(welcome("ada@example.com"), t0))
        .await
        .unwrap();
    assert_eq!(
        OutboxWorker::new(Arc::clone(&outbox), bad, policy())
            .run_once(t0)
            .await
            .unwrap()
            .retried,
        1
    );
    let row = &outbox.list(OutboxFilter::Pending, 10).await.unwrap()[0];
    assert_eq!((row.state, row.kind), (MailStatus::Queued, None));
    assert!(
        row.last_error.as_deref().unwrap().contains("535"),
        "{:?}",
        row.last_error
    );

    let fixed = OutboxWorker::new(Arc::clone(&outbox), mailer(&sink), policy());
    assert_eq!(fixed.run_once(secs(t0, 1)).await.unwrap().sent, 1);
    assert_eq!(sink.messages().len(), 1);
    // The password is not stored anywhere in the database.
    let bytes = std::fs::read(&path).unwrap();
    let wal = std::fs::read(path.with_extension("db-wal")).unwrap_or_default();
    for haystack in [&bytes, &wal] {
        assert!(!haystack
            .windows(b"relay-password".len())
            .any(|w| w == b"relay-password"));
    }
}

#[tokio::test]
async fn sent_attachments_are_pruned_after_the_retention_period_and_their_names_stay() {
    let (_dir, path) = database();
    let sink = sink().await;
    let outbox = Arc::new(open(&path));
    let worker = OutboxWorker::new(Arc::clone(&outbox), mailer(&sink), policy());
    // Whole milliseconds, as the store keeps times.
    let t0 = cs_store::parse_ts(&cs_store::fmt_ts(&Utc::now())).unwrap();
    let sent = OutboxEntry::new(invoice("a@example.com"), t0);
    queue_with_event(outbox.store(), TemplateKind::InvoiceIssued, &sent);
    assert_eq!(worker.run_once(t0).await.unwrap().sent, 1);
    // Queued later and never delivered (the relay is gone): kept whole.
    let mut sink = sink;
    sink.stop().await;
    let waiting = OutboxEntry::new(invoice("b@example.com"), secs(t0, 1));
    queue_with_event(outbox.store(), TemplateKind::InvoiceIssued, &waiting);
    let _ = worker.run_once(secs(t0, 1)).await.unwrap();

    let days = |d: i64| t0 + chrono::Duration::days(d);
    assert_eq!(
        outbox
            .prune_attachments(days(29) - chrono::Duration::days(30), days(29))
            .await
            .unwrap(),
        0,
        "within the retention period"
    );
    assert_eq!(
        outbox
            .prune_attachments(days(31) - chrono::Duration::days(30), days(31))
            .await
            .unwrap(),
        1
    );
    let pruned = outbox.get(&sent.id).await.unwrap().unwrap();
    assert_eq!(pruned.email.attachments.len(), 1);
    assert_eq!(pruned.email.attachments[0].filename, "INV-2025-0042.pdf");
    assert!(
        pruned.email.attachments[0].bytes.is_empty(),
        "the bytes are gone"
    );
    let summary = outbox.summary(&sent.id).await.unwrap().unwrap();
    assert_eq!(summary.attachment_count, 1);
    assert_eq!(summary.attachments_pruned_at, Some(days(31)));
    let kept = outbox.get(&waiting.id).await.unwrap().unwrap();
    assert!(
        !kept.email.attachments[0].bytes.is_empty(),
        "undelivered mail keeps its PDF"
    );
    assert_eq!(
        outbox
            .summary(&waiting.id)
            .await
            .unwrap()
            .unwrap()
            .attachments_pruned_at,
        None
    );
    // Idempotent.
    assert_eq!(
        outbox.prune_attachments(days(40), days(70)).await.unwrap(),
        0
    );
}

#[tokio::test]
async fn the_outbox_is_read_a_page_at_a_time_newest_first() {
    let (_dir, path) = database();
    let outbox = open(&path);
    let t0 = Utc::now();
    let mut ids = vec![];
    for i in 0..7 {
        // Two mails share a creation time: the id breaks the tie.
        let at = secs(t0, i.min(5));
        let entry = OutboxEntry::new(welcome(&format!("c{i}@example.com")), at);
        queue_with_event(outbox.store(), TemplateKind::Welcome, &entry);
        ids.push(entry.id);
    }
    let mut seen = vec![];
    let mut cursor: Option<cs_mail::outbox::sqlite::OutboxCursor> = None;
    let mut pages = 0;
    loop {
        let page = outbox
            .list_page(OutboxFilter::All, cursor.clone(), 3)
            .await
            .unwrap();
        assert!(page.items.len() <= 3);
        seen.extend(page.items.iter().map(|s| s.id.clone()));
        pages += 1;
        match page.next {
            Some(c) => {
                // The cursor survives a trip through the UI as text.
                cursor =
                    Some(cs_mail::outbox::sqlite::OutboxCursor::parse(&c.to_string()).unwrap());
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let mut expected = seen.clone();
    expected.sort();
    expected.dedup();
    assert_eq!(expected.len(), 7, "every mail once: {seen:?}");
    let all = outbox.list(OutboxFilter::All, 100).await.unwrap();
    assert_eq!(
        all.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        seen,
        "the same order as the full list"
    );
    assert!(cs_mail::outbox::sqlite::OutboxCursor::parse("garbage").is_none());
    assert_eq!(outbox.summary(&ids[3]).await.unwrap().unwrap().id, ids[3]);
    assert!(outbox.summary("no-such-mail").await.unwrap().is_none());
}
