//! The mail queue and its worker against the project's SMTP sink (real SMTP
//! on loopback): a relay that is down, a worker that died holding a lease,
//! a mail the relay can never take, and two portal processes sharing one
//! queue on PostgreSQL.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use cs_fakes::smtp::{SmtpSink, SmtpSinkConfig};
use cs_portal::storage::mail_queue;
use cs_sync::record::ContactRole;

use crate::support::{databases_async, postgres_async, serve_with};
use crate::world::*;

async fn rows(w: &World) -> Vec<mail_queue::Status> {
    let t = w.tenant_id.clone();
    w.portal
        .portal
        .db
        .run(false, move |tx| mail_queue::list(tx, &t))
        .await
        .unwrap()
}

/// Waits until `done` holds for the queue.
async fn until(
    w: &World,
    what: &str,
    done: impl Fn(&[mail_queue::Status]) -> bool,
) -> Vec<mail_queue::Status> {
    for _ in 0..200 {
        let r = rows(w).await;
        if done(&r) {
            return r;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    panic!("the queue did not get to {what}: {:?}", rows(w).await);
}

fn invite(org: &str, contact: &str, email: &str, now: chrono::DateTime<chrono::Utc>) -> Vec<Rec> {
    vec![
        organization(org, "Org"),
        self::contact(org, contact, contact, email, ContactRole::Admin),
        invitation(org, &format!("inv-{contact}"), contact, now),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_waits_while_the_relay_is_down_and_goes_out_once_when_it_is_back() {
    for (name, database, _dir) in databases_async().await {
        let mut sink = SmtpSink::start(SmtpSinkConfig::default()).await.unwrap();
        let portal = Arc::new(serve_with(&database, Some(mail_settings(&sink))).await);
        let w = World::pair(portal, "acme", None).await;
        sink.stop().await;
        let now = w.portal.portal.now();
        w.push(invite("org-a", "ada", "ada@example.com", now)).await;
        let r = until(&w, "a failed try", |r| {
            r.len() == 1 && r[0].attempts >= 1 && r[0].last_error.is_some()
        })
        .await;
        assert!(!r[0].sent && !r[0].failed, "{name}: {:?}", r[0]);
        assert!(
            r[0].last_error
                .as_deref()
                .unwrap()
                .contains("could not talk to the SMTP relay"),
            "{name}: {:?}",
            r[0]
        );
        assert_eq!(
            r[0].next_at,
            now + Duration::seconds(30),
            "{name}: retried after 30 s"
        );
        // Still down at the next try: the wait doubles.
        w.advance(Duration::seconds(30));
        let first = r[0].next_at;
        let r = until(&w, "a second try", |r| {
            r[0].attempts == 2 && r[0].next_at != first
        })
        .await;
        assert_eq!(
            r[0].next_at,
            w.portal.portal.now() + Duration::seconds(60),
            "{name}"
        );

        sink.restart().await.unwrap();
        w.advance(Duration::seconds(60));
        let r = until(&w, "sent", |r| r[0].sent).await;
        assert_eq!(r[0].attempts, 3, "{name}");
        assert!(!r[0].possibly_duplicated, "{name}");
        tokio::time::sleep(StdDuration::from_millis(300)).await;
        let got: Vec<_> = sink
            .messages()
            .into_iter()
            .filter(|m| m.rcpt_to.contains(&"ada@example.com".to_string()))
            .collect();
        assert_eq!(got.len(), 1, "{name}: sent once");
        assert!(
            got[0].tls && got[0].authenticated_as.as_deref() == Some("relay-user"),
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_whose_worker_died_is_sent_again_and_flagged() {
    for (name, database, _dir) in databases_async().await {
        let sink = SmtpSink::start(SmtpSinkConfig::default()).await.unwrap();
        // No worker yet: a process claims the row and dies before sending.
        let portal = Arc::new(crate::support::serve(&database).await);
        let w = World::pair(portal, "acme", None).await;
        let now = w.portal.portal.now();
        w.push(invite("org-a", "ada", "ada@example.com", now)).await;
        let claimed = w
            .portal
            .portal
            .db
            .run(true, move |tx| {
                mail_queue::claim(tx, now, Duration::minutes(5), 10)
            })
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1, "{name}");
        // A portal with a worker starts on the same database.
        let db2 = database.clone();
        let second = serve_with(&db2, Some(mail_settings(&sink))).await;
        second.clock.set(now + Duration::minutes(1));
        tokio::time::sleep(StdDuration::from_millis(500)).await;
        assert!(sink.messages().is_empty(), "{name}: the lease holds");
        second.clock.set(now + Duration::minutes(5));
        let r = until(&w, "sent", |r| r[0].sent).await;
        assert!(
            r[0].possibly_duplicated,
            "{name}: it may have reached the relay before"
        );
        let m = Mail::parse_public(&sink.messages()[0].data);
        assert!(
            m.message_id.starts_with(&r[0].id),
            "{name}: the Message-ID is the row's: {}",
            m.message_id
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_the_relay_can_never_take_fails_with_the_reason_and_loses_its_link() {
    for (name, database, _dir) in databases_async().await {
        let w = World::new(&database, "acme", true).await;
        let now = w.portal.portal.now();
        w.push(invite("org-a", "ada", "not an address", now)).await;
        let r = until(&w, "failed", |r| r.len() == 1 && r[0].failed).await;
        assert!(
            r[0].last_error
                .as_deref()
                .unwrap()
                .contains("is not a valid email address"),
            "{name}: {:?}",
            r[0]
        );
        assert!(
            r[0].text.contains("[link removed]"),
            "{name}: {}",
            r[0].text
        );
        w.advance(Duration::hours(2));
        tokio::time::sleep(StdDuration::from_millis(300)).await;
        assert_eq!(rows(&w).await[0].attempts, 1, "{name}: not tried again");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_portal_processes_send_each_mail_once() {
    let database = postgres_async().await;
    let sink = SmtpSink::start(SmtpSinkConfig::default()).await.unwrap();
    // Two processes with workers, and mail queued while both run.
    let a = Arc::new(serve_with(&database, Some(mail_settings(&sink))).await);
    let b = serve_with(&database, Some(mail_settings(&sink))).await;
    let w = World::pair(a, "acme", None).await;
    let now = w.portal.portal.now();
    b.clock.set(now);
    let mut records = vec![organization("org-a", "Org")];
    for i in 0..30 {
        let c = format!("c{i:02}");
        records.push(contact(
            "org-a",
            &c,
            &c,
            &format!("{c}@example.com"),
            ContactRole::Member,
        ));
        records.push(invitation("org-a", &format!("inv-{c}"), &c, now));
    }
    w.push(records).await;
    b.portal.mail_wake.notify_one();
    until(&w, "all sent", |r| {
        r.len() == 30 && r.iter().all(|m| m.sent)
    })
    .await;
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    let got = sink.messages();
    let recipients: BTreeSet<_> = got.iter().flat_map(|m| m.rcpt_to.clone()).collect();
    assert_eq!((got.len(), recipients.len()), (30, 30), "each mail once");
}
