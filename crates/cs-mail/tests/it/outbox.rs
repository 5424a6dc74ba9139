use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use cs_mail::{
    MailStatus, MemoryOutboxStore, OutboxEntry, OutboxPolicy, OutboxStore, OutboxWorker, StoreError,
};
use mail_parser::MessageParser;

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

fn message_ids(sink: &cs_fakes::smtp::SmtpSink) -> Vec<String> {
    sink.messages()
        .iter()
        .map(|m| {
            MessageParser::default()
                .parse(&m.data)
                .unwrap()
                .message_id()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn mail_queued_while_the_relay_is_down_arrives_exactly_once_when_it_is_back() {
    let mut sink = sink().await;
    let store = Arc::new(MemoryOutboxStore::new());
    let worker = OutboxWorker::new(Arc::clone(&store), mailer(&sink), policy());
    sink.stop().await;

    let t0 = Utc::now();
    for i in 0..5 {
        store
            .enqueue(OutboxEntry::new(
                welcome(&format!("customer{i}@example.com")),
                t0,
            ))
            .await
            .unwrap();
    }
    let down = worker.run_once(t0).await.unwrap();
    assert_eq!(down.retried, 5, "{down:?}");
    let down = worker.run_once(secs(t0, 1)).await.unwrap();
    assert_eq!(down.retried, 5, "still down at the first retry: {down:?}");
    assert!(store
        .entries()
        .iter()
        .all(|e| e.state == MailStatus::Queued && e.attempts == 2 && e.last_error.is_some()));

    sink.restart().await.unwrap();
    let early = worker.run_once(secs(t0, 2)).await.unwrap();
    assert_eq!(
        early.sent, 0,
        "backoff: the second retry is due 2 s after the second failure"
    );
    let back = worker.run_once(secs(t0, 3)).await.unwrap();
    assert_eq!(back.sent, 5, "{back:?}");
    for later in [10, 100, 10_000] {
        assert_eq!(
            worker.run_once(secs(t0, later)).await.unwrap(),
            Default::default()
        );
    }

    let rows = store.entries();
    assert!(rows
        .iter()
        .all(|e| e.state == MailStatus::Sent && !e.possibly_duplicated));
    for row in &rows {
        let queued_as = row.relay_response.as_deref().unwrap();
        assert!(
            queued_as.starts_with("250 ") && queued_as.contains("queued as SINK"),
            "{queued_as}"
        );
    }
    let received = message_ids(&sink);
    assert_eq!(received.len(), 5, "exactly once each");
    let expected: HashSet<_> = rows.iter().map(|r| r.email.message_id.clone()).collect();
    assert_eq!(received.into_iter().collect::<HashSet<_>>(), expected);
}

/// A store whose first `mark_sent` fails, as if the process died right after the relay's 250.
struct CrashOnFirstMarkSent {
    inner: MemoryOutboxStore,
    crashed: AtomicBool,
}

#[async_trait::async_trait]
impl OutboxStore for CrashOnFirstMarkSent {
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
    async fn mark_sent(
        &self,
        id: &str,
        relay_response: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if !self.crashed.swap(true, Ordering::SeqCst) {
            return Err(StoreError("disk I/O error".into()));
        }
        self.inner.mark_sent(id, relay_response, at).await
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
async fn a_crash_after_acceptance_resends_once_with_the_same_message_id() {
    let sink = sink().await;
    let store = Arc::new(CrashOnFirstMarkSent {
        inner: MemoryOutboxStore::new(),
        crashed: AtomicBool::new(false),
    });
    let worker = OutboxWorker::new(Arc::clone(&store), mailer(&sink), policy());
    let t0 = Utc::now();
    let entry = OutboxEntry::new(welcome("ada@example.com"), t0);
    let id = entry.id.clone();
    store.enqueue(entry).await.unwrap();

    let first = worker.run_once(t0).await.unwrap();
    assert_eq!(first.unrecorded, 1);
    assert_eq!(store.inner.get(&id).unwrap().state, MailStatus::Sending);
    assert_eq!(
        worker.run_once(secs(t0, 30)).await.unwrap(),
        Default::default(),
        "the lease holds"
    );

    let after_lease = worker.run_once(secs(t0, 61)).await.unwrap();
    assert_eq!(after_lease.sent, 1);
    let row = store.inner.get(&id).unwrap();
    assert_eq!(row.state, MailStatus::Sent);
    assert!(row.possibly_duplicated);
    let ids = message_ids(&sink);
    assert_eq!(
        ids,
        vec![row.email.message_id.clone(); 2],
        "the duplicate is recognisable by its Message-ID"
    );
}

#[tokio::test]
async fn a_wrong_password_keeps_mail_queued_until_fixed() {
    let sink = sink().await;
    let store = Arc::new(MemoryOutboxStore::new());
    let bad = cs_mail::Mailer::new(&crate::support::config_for(
        &sink,
        cs_mail::Security::StartTls,
        "wrong",
    ))
    .unwrap();
    let worker = OutboxWorker::new(Arc::clone(&store), bad, policy());
    let t0 = Utc::now();
    store
        .enqueue(OutboxEntry::new(welcome("ada@example.com"), t0))
        .await
        .unwrap();
    assert_eq!(worker.run_once(t0).await.unwrap().retried, 1);
    let row = &store.entries()[0];
    assert_eq!(row.state, MailStatus::Queued);
    assert!(
        row.last_error.as_deref().unwrap().contains("535"),
        "{:?}",
        row.last_error
    );

    let fixed = OutboxWorker::new(Arc::clone(&store), mailer(&sink), policy());
    assert_eq!(fixed.run_once(secs(t0, 1)).await.unwrap().sent, 1);
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test]
async fn the_background_worker_sends_and_stops() {
    let sink = sink().await;
    let store = Arc::new(MemoryOutboxStore::new());
    let worker = Arc::new(OutboxWorker::new(
        Arc::clone(&store),
        mailer(&sink),
        policy(),
    ));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn({
        let worker = Arc::clone(&worker);
        async move { worker.run(stopped).await }
    });
    store
        .enqueue(OutboxEntry::new(welcome("ada@example.com"), Utc::now()))
        .await
        .unwrap();
    for _ in 0..100 {
        if sink.messages().len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(sink.messages().len(), 1);
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
}
