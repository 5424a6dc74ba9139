//! PayPal top-ups through the façade, against the stateful fake PayPal over
//! real HTTP on loopback: a payment link, the customer's approval (a GET on
//! the approval URL, as the payer's click), capture and crediting exactly
//! once whatever arrives first (poll, capture response, webhook), forged
//! webhooks, refunds, a restart between capture and crediting, unsuspension.

use std::sync::Arc;

use cs_app::dto::*;
use cs_app::{App, AppConfig, WebhookOutcome};
use cs_core::Clock as _;
use cs_fakes::paypal::{FakePayPal, Fault, SignedDelivery};
use cs_paypal::{Environment, PayPalAmount, PayPalClient, PayPalConfig, RefundRequest, RequestId};
use cs_provider::sandbox::Timing;
use cs_secrets::{MemorySecrets, SecretStore};

use crate::{Recorder, TestApp};

/// A TestApp whose keyring survives a restart (as the OS keyring does).
struct PayApp {
    t: TestApp,
    secrets: Arc<MemorySecrets>,
}

fn open_with(
    dir: &tempfile::TempDir,
    t_clock: Arc<cs_core::FixedClock>,
    secrets: Arc<MemorySecrets>,
) -> (App, Arc<Recorder>) {
    let events = Arc::new(Recorder::default());
    let app = App::open(AppConfig {
        database_path: dir.path().join("cs.db"),
        log_dir: dir.path().join("logs"),
        clock: t_clock,
        events: events.clone(),
        secrets,
        sandbox_timing: Timing::uniform(crate::step()),
        actor: "staff:owner".into(),
    })
    .unwrap();
    (app, events)
}

impl PayApp {
    fn new() -> PayApp {
        let base = TestApp::new();
        let TestApp {
            app, clock, dir, ..
        } = base;
        drop(app);
        let secrets = Arc::new(MemorySecrets::default());
        let (app, events) = open_with(&dir, clock.clone(), secrets.clone());
        PayApp {
            t: TestApp {
                app,
                secrets: secrets.clone(),
                clock,
                events,
                dir,
            },
            secrets,
        }
    }

    fn restart(self) -> PayApp {
        let PayApp { t, secrets } = self;
        let TestApp {
            app, clock, dir, ..
        } = t;
        drop(app);
        let (app, events) = open_with(&dir, clock.clone(), secrets.clone());
        PayApp {
            t: TestApp {
                app,
                secrets: secrets.clone(),
                clock,
                events,
                dir,
            },
            secrets,
        }
    }

    fn app(&self) -> &App {
        &self.t.app
    }

    fn connect(&self, fake: &FakePayPal) {
        self.app()
            .save_paypal_settings(PayPalSettingsInput {
                client_id: fake.client_id().into(),
                secret: Some(fake.client_secret().into()),
                environment: "sandbox".into(),
                base_url: Some(fake.base_url().into()),
                webhook_id: Some(fake.webhook_id().into()),
            })
            .unwrap();
    }

    /// Lets customer mail be queued (the sender is set in Settings → Email).
    fn set_mail_sender(&self) {
        let conn = crate::rusqlite_conn(&self.t.dir);
        cs_store::settings::set(&conn, "mail.from_name", "My Cloud").unwrap();
        cs_store::settings::set(&conn, "mail.from_address", "billing@mycloud.example").unwrap();
    }

    async fn link(&self, org: &OrganizationDto, amount: &str) -> PaymentDetail {
        self.app()
            .create_payment_link(PaymentLinkInput {
                organization_id: org.id.clone(),
                amount: amount.into(),
                send_email: false,
            })
            .await
            .unwrap()
    }

    fn balance(&self, org: &OrganizationDto) -> String {
        self.app()
            .get_wallet(&org.id)
            .unwrap()
            .wallet
            .balance
            .amount
    }

    fn receipts(&self, org: &OrganizationDto) -> usize {
        self.app()
            .get_wallet(&org.id)
            .unwrap()
            .documents
            .iter()
            .filter(|d| d.kind == "receipt")
            .count()
    }

    fn mail_count(&self, kind: &str) -> i64 {
        let conn = crate::rusqlite_conn(&self.t.dir);
        cs_mail::outbox::sqlite::list(&conn, cs_mail::OutboxFilter::All, usize::MAX)
            .unwrap()
            .iter()
            .filter(|m| m.kind.map(|k| k.key()) == Some(kind))
            .count() as i64
    }
}

/// The payer's click on the approval page.
async fn approve(p: &PaymentDetail) {
    let url = p.payment.approve_url.clone().expect("an approval URL");
    let resp = reqwest::get(&url).await.unwrap();
    assert!(
        resp.status().is_success(),
        "approval answered {}",
        resp.status()
    );
}

fn headers_of(d: &SignedDelivery) -> Vec<(String, String)> {
    d.headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn events_of(fake: &FakePayPal, event_type: &str) -> Vec<serde_json::Value> {
    fake.events()
        .into_iter()
        .filter(|e| e["event_type"] == event_type)
        .collect()
}

/// A capture PayPal made whose response never reached the app: the effect
/// happens, then every attempt of the client fails.
fn lose_the_next_capture_response(fake: &FakePayPal) {
    fake.inject(Fault::LoseResponseAfterEffect);
    for _ in 0..3 {
        fake.inject(Fault::ErrorBeforeEffect(503));
    }
}

#[tokio::test]
async fn settings_keep_the_secret_in_the_keyring_and_test_the_connection() {
    let fake = FakePayPal::start().await.unwrap();
    let p = PayApp::new();
    assert!(!p.app().paypal_settings().unwrap().configured);
    let err = p.app().test_paypal_connection().await.unwrap_err();
    assert_eq!(err.code(), "unavailable");
    assert!(err.to_string().contains("Settings → Payments"), "{err}");

    let bad = p
        .app()
        .save_paypal_settings(PayPalSettingsInput {
            client_id: " ".into(),
            secret: None,
            environment: "prod".into(),
            base_url: Some("ftp://x".into()),
            webhook_id: Some("no spaces!".into()),
        })
        .unwrap_err()
        .to_dto();
    let mut fields: Vec<&str> = bad.fields.iter().map(|f| f.field.as_str()).collect();
    fields.sort();
    assert_eq!(
        fields,
        ["baseUrl", "clientId", "environment", "secret", "webhookId"]
    );

    // Wrong secret: saved, but the test says PayPal refused it.
    p.app()
        .save_paypal_settings(PayPalSettingsInput {
            client_id: fake.client_id().into(),
            secret: Some("WrongSecret123".into()),
            environment: "sandbox".into(),
            base_url: Some(fake.base_url().into()),
            webhook_id: None,
        })
        .unwrap();
    let err = p.app().test_paypal_connection().await.unwrap_err().to_dto();
    assert_eq!(err.code, "validation");
    assert_eq!(err.fields[0].field, "secret");
    assert!(
        err.message.contains("refused this client id and secret"),
        "{}",
        err.message
    );
    assert!(!err.message.contains("WrongSecret123"));

    p.connect(&fake);
    let s = p.app().paypal_settings().unwrap();
    assert!(s.configured && s.has_secret);
    assert_eq!(s.effective_base_url, fake.base_url());
    let ok = p.app().test_paypal_connection().await.unwrap();
    assert!(ok.message.starts_with("Connected"), "{}", ok.message);

    // A blank secret keeps the stored one.
    p.app()
        .save_paypal_settings(PayPalSettingsInput {
            client_id: fake.client_id().into(),
            secret: Some("".into()),
            environment: "sandbox".into(),
            base_url: Some(fake.base_url().into()),
            webhook_id: Some(fake.webhook_id().into()),
        })
        .unwrap();
    assert_eq!(
        p.secrets
            .get(&p.app().secret_keys().paypal_secret())
            .unwrap()
            .unwrap()
            .expose(),
        fake.client_secret()
    );
    p.app().test_paypal_connection().await.unwrap();

    // Never in SQLite (database, WAL) or the activity log.
    let p = p.restart();
    for file in ["cs.db", "cs.db-wal"] {
        if let Ok(bytes) = std::fs::read(p.t.dir.path().join(file)) {
            assert!(
                !bytes
                    .windows(fake.client_secret().len())
                    .any(|w| w == fake.client_secret().as_bytes()),
                "the secret is in {file}"
            );
            assert!(
                !bytes.windows(14).any(|w| w == b"WrongSecret123"),
                "the wrong secret is in {file}"
            );
        }
    }
    p.app()
        .test_paypal_connection()
        .await
        .expect("loaded from the keyring at start");
}

#[tokio::test]
async fn a_link_approved_by_the_customer_is_captured_and_credited_once_by_the_poller() {
    let fake = FakePayPal::start().await.unwrap();
    let p = PayApp::new();
    p.connect(&fake);
    p.set_mail_sender();
    let org = p.t.customer("Acme Hosting", "ops@acme.example");

    let bad = p
        .app()
        .create_payment_link(PaymentLinkInput {
            organization_id: org.id.clone(),
            amount: "0".into(),
            send_email: false,
        })
        .await
        .unwrap_err()
        .to_dto();
    assert_eq!(bad.fields[0].field, "amount");
    let bad = p
        .app()
        .create_payment_link(PaymentLinkInput {
            organization_id: org.id.clone(),
            amount: "12.345".into(),
            send_email: false,
        })
        .await
        .unwrap_err()
        .to_dto();
    assert_eq!(bad.fields[0].field, "amount");
    assert_eq!(fake.order_count(), 0, "nothing reached PayPal");

    let link = p
        .app()
        .create_payment_link(PaymentLinkInput {
            organization_id: org.id.clone(),
            amount: "50.00".into(),
            send_email: true,
        })
        .await
        .unwrap();
    assert_eq!(link.payment.status, "created");
    assert_eq!(link.payment.amount.amount, "50.00");
    assert!(link.payment.order_id.is_some());
    assert!(link
        .payment
        .approve_url
        .as_deref()
        .unwrap()
        .starts_with(fake.base_url()));
    assert_eq!(
        p.mail_count("payment_link"),
        1,
        "the link was queued by email"
    );
    assert_eq!(link.contact_email.as_deref(), Some("ops@acme.example"));

    // Not approved yet: a poll changes nothing.
    assert_eq!(p.app().poll_payments().await.unwrap(), 1);
    assert_eq!(
        p.app()
            .get_payment(&link.payment.id)
            .unwrap()
            .payment
            .status,
        "created"
    );
    assert_eq!(p.balance(&org), "0.00");

    approve(&link).await;
    p.app().poll_payments().await.unwrap();
    let done = p.app().get_payment(&link.payment.id).unwrap();
    assert_eq!(done.payment.status, "completed");
    assert!(done.payment.capture_id.is_some());
    assert!(done.payment.receipt_id.is_some());
    assert_eq!(p.balance(&org), "50.00");
    assert_eq!(p.receipts(&org), 1);
    assert_eq!(p.mail_count("payment_received"), 1);
    let kinds: Vec<&str> = done.history.iter().map(|h| h.kind.as_str()).collect();
    assert!(
        kinds.contains(&"approved") && kinds.contains(&"completed"),
        "{kinds:?}"
    );

    // Checking again, polling again: nothing more.
    p.app().check_payment(&link.payment.id).await.unwrap();
    p.app().poll_payments().await.unwrap();
    assert_eq!(p.balance(&org), "50.00");
    assert_eq!(fake.capture_count(), 1);

    let list = p
        .app()
        .list_payments(PaymentFilterInput {
            status: Some("completed".into()),
            organization_id: Some(org.id.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(list.rows.len(), 1);
    assert_eq!(list.total, 1);
    assert!(p
        .app()
        .list_payments(PaymentFilterInput {
            status: Some("refunded".into()),
            ..Default::default()
        })
        .unwrap()
        .rows
        .is_empty());
    assert_eq!(
        p.app()
            .list_payments(PaymentFilterInput {
                status: Some("bogus".into()),
                ..Default::default()
            })
            .unwrap_err()
            .code(),
        "validation"
    );

    // Sending the link of a completed payment is refused.
    assert_eq!(
        p.app()
            .send_payment_link(&link.payment.id)
            .unwrap_err()
            .code(),
        "conflict"
    );
}

#[tokio::test]
async fn a_webhook_delivered_25_times_and_out_of_order_credits_once() {
    let fake = FakePayPal::start().await.unwrap();
    let p = PayApp::new();
    p.connect(&fake);
    let org = p.t.customer("Acme Hosting", "ops@acme.example");
    let link = p.link(&org, "40.00").await;
    approve(&link).await;
    // The capture happens but its response is lost: only the webhook tells.
    lose_the_next_capture_response(&fake);
    assert!(p.app().check_payment(&link.payment.id).await.is_err());
    assert_eq!(fake.capture_count(), 1);
    assert_eq!(p.balance(&org), "0.00");

    // Every event 25 times, each delivery freshly signed, shuffled: the
    // capture event comes before the approval in some orders.
    let mut plan = vec![];
    for e in fake.events() {
        for _ in 0..25 {
            plan.push(e.clone());
        }
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for i in (1..plan.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        plan.swap(i, (seed % (i as u64 + 1)) as usize);
    }
    // Make sure one order has the capture first.
    let first_capture = plan
        .iter()
        .position(|e| e["event_type"] == "PAYMENT.CAPTURE.COMPLETED")
        .unwrap();
    plan.swap(0, first_capture);
    let mut applied = 0;
    let mut duplicates = 0;
    for e in &plan {
        let d = fake.sign_event_at(e, p.t.clock.now());
        match p
            .app()
            .handle_paypal_webhook(&headers_of(&d), &d.body)
            .await
            .unwrap()
        {
            WebhookOutcome::Applied { .. } => applied += 1,
            WebhookOutcome::Duplicate => duplicates += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(applied + duplicates, plan.len());
    assert_eq!(fake.events().len(), 2, "approved, capture completed");
    assert_eq!(applied, 2, "each event applied once");
    assert_eq!(duplicates, 48, "every later delivery is a duplicate");
    let paid = p.app().get_payment(&link.payment.id).unwrap();
    assert_eq!(paid.payment.status, "completed");
    assert_eq!(p.balance(&org), "40.00");
    assert_eq!(p.receipts(&org), 1);
    assert_eq!(fake.capture_count(), 1);
    assert!(
        paid.history.iter().any(
            |h| h.kind == "completed" && h.detail.contains("webhook PAYMENT.CAPTURE.COMPLETED")
        ),
        "{:?}",
        paid.history
    );
    // Polling afterwards changes nothing either.
    p.app().check_payment(&link.payment.id).await.unwrap();
    assert_eq!(p.balance(&org), "40.00");
}

#[tokio::test]
async fn forged_or_tampered_webhooks_are_refused_and_credit_nothing() {
    let fake = FakePayPal::start().await.unwrap();
    let p = PayApp::new();
    p.connect(&fake);
    let org = p.t.customer("Acme Hosting", "ops@acme.example");
    let link = p.link(&org, "30.00").await;
    approve(&link).await;
    lose_the_next_capture_response(&fake);
    let _ = p.app().check_payment(&link.payment.id).await;
    let capture = events_of(&fake, "PAYMENT.CAPTURE.COMPLETED").remove(0);
    let genuine = fake.sign_event_at(&capture, p.t.clock.now());

    // The amount raised after signing.
    let mut tampered_event = capture.clone();
    tampered_event["resource"]["amount"]["value"] = "3000.00".into();
    let tampered_body = serde_json::to_vec(&tampered_event).unwrap();
    let err = p
        .app()
        .handle_paypal_webhook(&headers_of(&genuine), &tampered_body)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "validation");
    assert!(err.to_string().contains("refused"), "{err}");

    // A signature made up by someone else.
    let mut forged = headers_of(&genuine);
    for (k, v) in forged.iter_mut() {
        if k == "PAYPAL-TRANSMISSION-SIG" {
            *v = base64_of(&[7u8; 256]);
        }
    }
    assert_eq!(
        p.app()
            .handle_paypal_webhook(&forged, &genuine.body)
            .await
            .unwrap_err()
            .code(),
        "validation"
    );

    // A certificate from a host that is not PayPal's.
    let mut elsewhere = headers_of(&genuine);
    for (k, v) in elsewhere.iter_mut() {
        if k == "PAYPAL-CERT-URL" {
            *v = "https://evil.example/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270"
                .into();
        }
    }
    let err = p
        .app()
        .handle_paypal_webhook(&elsewhere, &genuine.body)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("not allow-listed") || err.to_string().contains("refused"),
        "{err}"
    );

    // Missing headers.
    assert_eq!(
        p.app()
            .handle_paypal_webhook(&[], &genuine.body)
            .await
            .unwrap_err()
            .code(),
        "validation"
    );

    assert_eq!(p.balance(&org), "0.00", "nothing was credited");
    assert_eq!(p.receipts(&org), 0);
    assert_eq!(
        p.t.table_count("paypal_webhook_events"),
        0,
        "refused deliveries are not remembered as seen"
    );

    // The genuine delivery still works afterwards.
    assert!(matches!(
        p.app()
            .handle_paypal_webhook(&headers_of(&genuine), &genuine.body)
            .await
            .unwrap(),
        WebhookOutcome::Applied { .. }
    ));
    assert_eq!(p.balance(&org), "30.00");

    // Replays of that delivery are refused by the verifier, before the event-id check:
    // at once (seen), and 6 minutes later (outside the transmission window).
    for later in [0, 6] {
        p.t.clock.advance(chrono::Duration::minutes(later));
        let err = p
            .app()
            .handle_paypal_webhook(&headers_of(&genuine), &genuine.body)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "validation", "{err}");
        let words = if later == 0 {
            "replay"
        } else {
            "outside the 5-minute window"
        };
        assert!(err.to_string().contains(words), "{err}");
    }
    // PayPal's own retry (a fresh transmission of the same event) is a duplicate.
    let retry = fake.sign_event_at(&capture, p.t.clock.now());
    assert_eq!(
        p.app()
            .handle_paypal_webhook(&headers_of(&retry), &retry.body)
            .await
            .unwrap(),
        WebhookOutcome::Duplicate
    );
    assert_eq!(p.balance(&org), "30.00");
}

fn base64_of(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[tokio::test]
async fn capture_response_and_webhooks_racing_credit_once() {
    let fake = FakePayPal::start().await.unwrap();
    let p = PayApp::new();
    p.connect(&fake);
    let org = p.t.customer("Acme Hosting", "ops@acme.example");

    // 1. The approval webhook and "Check now" both capture at once.
    let link = p.link(&org, "25.00").await;
    approve(&link).await;
    let approved = fake.sign_event_at(
        &events_of(&fake, "CHECKOUT.ORDER.APPROVED").remove(0),
        p.t.clock.now(),
    );
    let h = headers_of(&approved);
    let (a, b, c) = tokio::join!(
        p.app().check_payment(&link.payment.id),
        p.app().handle_paypal_webhook(&h, &approved.body),
        p.app().check_payment(&link.payment.id),
    );
    a.unwrap();
    b.unwrap();
    c.unwrap();
    assert_eq!(
        fake.capture_count(),
        1,
        "one capture: the request id was reused"
    );
    assert_eq!(p.balance(&org), "25.00");

    // 2. The capture's webhook and a poll that finds it completed, at once.
    let link = p.link(&org, "10.00").await;
    approve(&link).await;
    lose_the_next_capture_response(&fake);
    let _ = p.app().check_payment(&link.payment.id).await;
    let capture = events_of(&fake, "PAYMENT.CAPTURE.COMPLETED").pop().unwrap();
    let d1 = fake.sign_event_at(&capture, p.t.clock.now());
    let d2 = fake.sign_event_at(&capture, p.t.clock.now());
    let (h1, h2) = (headers_of(&d1), headers_of(&d2));
    let (a, b, c) = tokio::join!(
        p.app().handle_paypal_webhook(&h1, &d1.body),
        p.app().check_payment(&link.payment.id),
        p.app().handle_paypal_webhook(&h2, &d2.body),
    );
    a.unwrap();
    b.unwrap();
    c.unwrap();
    assert_eq!(fake.capture_count(), 2);
    assert_eq!(p.balance(&org), "35.00");
    assert_eq!(p.receipts(&org), 2);
}

#[tokio::test]
async fn a_restart_between_capture_and_crediting_still_credits_once() {
    let fake = FakePayPal::start().await.unwrap();
    let p = PayApp::new();
    p.connect(&fake);
    let org = p.t.customer("Acme Hosting", "ops@acme.example");
    let link = p.link(&org, "20.00").await;
    approve(&link).await;
    lose_the_next_capture_response(&fake);
    assert!(
        p.app().check_payment(&link.payment.id).await.is_err(),
        "the capture's answer never came"
    );
    assert_eq!(fake.capture_count(), 1);
    assert_eq!(p.balance(&org), "0.00");

    let p = p.restart();
    p.app().poll_payments().await.unwrap();
    assert_eq!(
        p.app()
            .get_payment(&link.payment.id)
            .unwrap()
            .payment
            .status,
        "completed"
    );
    assert_eq!(p.balance(&org), "20.00");
    let p = p.restart();
    p.app().check_payment(&link.payment.id).await.unwrap();
    let capture = events_of(&fake, "PAYMENT.CAPTURE.COMPLETED").remove(0);
    let d = fake.sign_event_at(&capture, p.t.clock.now());
    p.app()
        .handle_paypal_webhook(&headers_of(&d), &d.body)
        .await
        .unwrap();
    assert_eq!(p.balance(&org), "20.00");
    assert_eq!(p.receipts(&org), 1);
    assert_eq!(fake.capture_count(), 1);

    // The create call's answer lost too: the retry reuses the request id.
    fake.inject(Fault::LoseResponseAfterEffect);
    for _ in 0..3 {
        fake.inject(Fault::ErrorBeforeEffect(503));
    }
    let orders_before = fake.order_count();
    let err = p
        .app()
        .create_payment_link(PaymentLinkInput {
            organization_id: org.id.clone(),
            amount: "5.00".into(),
            send_email: false,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unavailable");
    assert!(err.to_string().contains("same request id"), "{err}");
    let p = p.restart();
    p.app().poll_payments().await.unwrap();
    assert_eq!(fake.order_count(), orders_before + 1, "one order, not two");
    let waiting = p
        .app()
        .list_payments(PaymentFilterInput {
            status: Some("created".into()),
            ..Default::default()
        })
        .unwrap()
        .rows;
    assert_eq!(waiting.len(), 1);
    assert!(waiting[0].approve_url.is_some());
}

#[tokio::test]
async fn refunds_make_credit_notes_and_more_than_what_is_left_is_refused() {
    let fake = FakePayPal::start().await.unwrap();
    let p = PayApp::new();
    p.connect(&fake);
    p.set_mail_sender();
    let org = p.t.customer("Acme Hosting", "ops@acme.example");
    let link = p.link(&org, "50.00").await;
    approve(&link).await;
    let paid = p.app().check_payment(&link.payment.id).await.unwrap();
    assert_eq!(paid.payment.status, "completed");
    let id = paid.payment.id.clone();

    let bad = p
        .app()
        .refund_payment(RefundInput {
            payment_id: id.clone(),
            amount: Some("-1".into()),
            reason: "".into(),
        })
        .await
        .unwrap_err()
        .to_dto();
    let mut fields: Vec<&str> = bad.fields.iter().map(|f| f.field.as_str()).collect();
    fields.sort();
    assert_eq!(fields, ["amount", "reason"]);

    let r = p
        .app()
        .refund_payment(RefundInput {
            payment_id: id.clone(),
            amount: Some("30.00".into()),
            reason: "Server cancelled".into(),
        })
        .await
        .unwrap();
    assert_eq!(r.payment.status, "partially_refunded");
    assert_eq!(r.payment.refunded.amount, "30.00");
    assert_eq!(r.payment.refundable.amount, "20.00");
    assert_eq!(r.refunds[0].status, "completed");
    let note_id = r.refunds[0].credit_note_id.clone().expect("a credit note");
    let note = p.app().get_document(&note_id).unwrap();
    assert_eq!(note.summary.kind, "credit_note");
    assert_eq!(
        note.summary.credits_document_id, paid.payment.receipt_id,
        "the credit note corrects the payment's receipt"
    );
    let (_, pdf) = p
        .app()
        .document_pdf(&note_id)
        .expect("the credit note prints");
    assert!(pdf.starts_with(b"%PDF"));
    assert_eq!(p.balance(&org), "20.00");
    assert_eq!(p.mail_count("refund"), 1);

    // More than what is left: refused by us, nothing sent to PayPal.
    let refunds_before = fake.refund_count();
    let err = p
        .app()
        .refund_payment(RefundInput {
            payment_id: id.clone(),
            amount: Some("25.00".into()),
            reason: "Too much".into(),
        })
        .await
        .unwrap_err()
        .to_dto();
    assert_eq!(err.code, "validation");
    assert_eq!(err.fields[0].field, "amount");
    assert!(err.message.contains("At most 20.00"), "{}", err.message);
    assert_eq!(fake.refund_count(), refunds_before);

    // Someone refunds 15 in PayPal itself; we still think 20 is left, and
    // PayPal refuses our 20 with a clear message.
    let direct = PayPalClient::new(PayPalConfig::new(
        Environment::Custom(fake.base_url().into()),
        fake.client_id(),
        fake.client_secret(),
    ))
    .unwrap();
    let capture_id = r.payment.capture_id.clone().unwrap();
    direct
        .refund_capture(
            &capture_id,
            &RefundRequest::partial(
                PayPalAmount::for_refund(cs_core::Money::new(1500, cs_core::Currency::USD))
                    .unwrap(),
            ),
            &RequestId::new(),
        )
        .await
        .unwrap();
    let err = p
        .app()
        .refund_payment(RefundInput {
            payment_id: id.clone(),
            amount: Some("20.00".into()),
            reason: "The rest".into(),
        })
        .await
        .unwrap_err()
        .to_dto();
    assert_eq!(err.code, "validation");
    assert!(
        err.message.contains("PayPal refused the refund"),
        "{}",
        err.message
    );
    let d = p.app().get_payment(&id).unwrap();
    assert_eq!(d.refunds.iter().filter(|r| r.status == "failed").count(), 1);
    assert_eq!(p.balance(&org), "20.00", "a refused refund debits nothing");

    // PayPal's webhook about the refund made in PayPal records it, once.
    let refunded = events_of(&fake, "PAYMENT.CAPTURE.REFUNDED");
    for e in refunded.iter().chain(refunded.iter()) {
        let dl = fake.sign_event_at(e, p.t.clock.now());
        p.app()
            .handle_paypal_webhook(&headers_of(&dl), &dl.body)
            .await
            .unwrap();
    }
    let d = p.app().get_payment(&id).unwrap();
    assert_eq!(d.payment.refunded.amount, "45.00");
    assert_eq!(d.payment.refundable.amount, "5.00");
    assert_eq!(p.balance(&org), "5.00");

    // Everything left (no amount): fully refunded.
    let r = p
        .app()
        .refund_payment(RefundInput {
            payment_id: id.clone(),
            amount: None,
            reason: "Closing the account".into(),
        })
        .await
        .unwrap();
    assert_eq!(r.payment.status, "refunded");
    assert_eq!(p.balance(&org), "0.00");
    let err = p
        .app()
        .refund_payment(RefundInput {
            payment_id: id.clone(),
            amount: None,
            reason: "Again".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "conflict");
    let notes = p
        .app()
        .get_wallet(&org.id)
        .unwrap()
        .documents
        .iter()
        .filter(|d| d.kind == "credit_note")
        .count();
    assert_eq!(notes, 3);
}

#[tokio::test]
async fn a_paypal_payment_releases_a_suspended_customer() {
    let fake = FakePayPal::start().await.unwrap();
    let p = PayApp::new();
    p.connect(&fake);
    let t = &p.t;
    let org = t.customer("Acme Hosting", "ops@acme.example");
    let plan = t.plan("Starter").await;
    let s = t
        .app
        .create_server(t.server_input(&org, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    t.tick().await;
    t.tick().await;
    t.clock.advance(chrono::Duration::hours(2));
    t.app.run_billing().await.unwrap();
    t.clock.advance(chrono::Duration::hours(73));
    t.app.run_billing().await.unwrap();
    assert_eq!(t.app.get_wallet(&org.id).unwrap().wallet.state, "suspended");
    assert_eq!(t.app.get_server(&s.id).unwrap().server.status, "suspended");
    t.tick().await; // powered off at the provider

    let link = p.link(&org, "20.00").await;
    approve(&link).await;
    p.app().check_payment(&link.payment.id).await.unwrap();
    assert_eq!(t.app.get_wallet(&org.id).unwrap().wallet.state, "good");
    t.tick().await;
    t.tick().await;
    assert_eq!(
        t.app.get_server(&s.id).unwrap().server.status,
        "running",
        "released and booted again"
    );
}

#[tokio::test]
async fn without_paypal_set_up_links_are_refused_clearly() {
    let p = PayApp::new();
    let org = p.t.customer("Acme Hosting", "ops@acme.example");
    let err = p
        .app()
        .create_payment_link(PaymentLinkInput {
            organization_id: org.id.clone(),
            amount: "5.00".into(),
            send_email: false,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unavailable");
    assert!(err.to_string().contains("Settings → Payments"));
    assert_eq!(p.t.table_count("payments"), 0);
    assert_eq!(p.app().poll_payments().await.unwrap(), 0);
}

#[tokio::test]
async fn send_by_email_needs_email_set_up() {
    let fake = FakePayPal::start().await.unwrap();
    let p = PayApp::new();
    p.connect(&fake);
    let org = p.t.customer("Acme Hosting", "ops@acme.example");
    let err = p
        .app()
        .create_payment_link(PaymentLinkInput {
            organization_id: org.id.clone(),
            amount: "5.00".into(),
            send_email: true,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unavailable");
    assert!(err.to_string().contains("Settings → Email"), "{err}");
    assert_eq!(fake.order_count(), 0, "refused before PayPal was asked");
    let link = p.link(&org, "5.00").await;
    assert!(p
        .app()
        .send_payment_link(&link.payment.id)
        .unwrap_err()
        .to_string()
        .contains("Settings → Email"));
    p.set_mail_sender();
    let d = p.app().send_payment_link(&link.payment.id).unwrap();
    assert!(d.history.iter().any(|h| h.kind == "emailed"));
    assert_eq!(p.mail_count("payment_link"), 1);
}

/// Issue 11 item 1: a 100.00 HUF link was captured by PayPal as 10000 HUF.
#[tokio::test]
async fn a_huf_link_charges_what_it_says() {
    let fake = FakePayPal::start().await.unwrap();
    let p = PayApp::new();
    p.app()
        .update_settings(SettingsInput {
            currency: "HUF".into(),
            reseller_name: "Budapest Cloud".into(),
        })
        .unwrap();
    p.connect(&fake);
    let org = p.t.customer("Acme Kft", "ops@acme.example");
    let err = p
        .app()
        .create_payment_link(PaymentLinkInput {
            organization_id: org.id.clone(),
            amount: "100.50".into(),
            send_email: false,
        })
        .await
        .unwrap_err()
        .to_dto();
    assert_eq!(err.fields[0].field, "amount");
    assert!(
        err.fields[0]
            .message
            .contains("PayPal takes HUF only in steps of 1.00 HUF"),
        "{err:?}"
    );
    assert_eq!(p.t.table_count("payments"), 0, "nothing was recorded");
    assert_eq!(fake.order_count(), 0, "nothing reached PayPal");

    let link = p.link(&org, "100.00").await;
    approve(&link).await;
    let done = p.app().check_payment(&link.payment.id).await.unwrap();
    assert_eq!(done.payment.status, "completed");
    assert_eq!(done.payment.captured.unwrap().amount, "100.00");
    assert_eq!(p.balance(&org), "100.00");
    let capture = events_of(&fake, "PAYMENT.CAPTURE.COMPLETED").remove(0);
    assert_eq!(
        capture["resource"]["amount"],
        serde_json::json!({ "currency_code": "HUF", "value": "100" }),
        "PayPal charged 100 HUF, not 10000"
    );
}

/// Settings → Payments says plainly when PayPal does not take the reseller's
/// currency, and a payment link is refused with that message, not an
/// obscure error from PayPal.
#[tokio::test]
async fn a_currency_paypal_does_not_support_is_named_and_links_are_refused() {
    let t = TestApp::new();
    assert!(t.app.paypal_settings().unwrap().currency_supported);
    t.app
        .update_settings(SettingsInput {
            currency: "RON".into(),
            reseller_name: "Nordlys Cloud".into(),
        })
        .unwrap();
    let s = t.app.paypal_settings().unwrap();
    assert_eq!(s.currency, "RON");
    assert!(!s.currency_supported);
    let note = s.currency_note.unwrap();
    assert!(note.contains("PayPal does not support RON"), "{note}");
    let org = t.customer("Acme", "ops@acme.example");
    let err = t
        .app
        .create_payment_link(PaymentLinkInput {
            organization_id: org.id.clone(),
            amount: "10.00".into(),
            send_email: false,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "conflict");
    assert_eq!(err.to_string(), note);
    assert_eq!(t.table_count("payments"), 0);
    // A currency held by one country's accounts only is usable, with a warning.
    let t = TestApp::new();
    t.app
        .update_settings(SettingsInput {
            currency: "BRL".into(),
            reseller_name: "Nordlys Cloud".into(),
        })
        .unwrap();
    let s = t.app.paypal_settings().unwrap();
    assert!(s.currency_supported);
    assert!(s.currency_note.unwrap().contains("Brazil"));
}

#[tokio::test]
async fn a_paypal_payment_notifies_once_though_it_is_checked_twice() {
    let fake = FakePayPal::start().await.unwrap();
    let p = PayApp::new();
    p.connect(&fake);
    let org = p.t.customer("Acme Hosting", "ops@acme.example");
    let link = p.link(&org, "20.00").await;
    approve(&link).await;
    p.app().check_payment(&link.payment.id).await.unwrap();
    p.app().check_payment(&link.payment.id).await.unwrap();
    assert_eq!(p.balance(&org), "20.00");
    let shown: Vec<NotificationDto> = p.t.events.notifications.lock().unwrap().clone();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].kind, "payment_received");
    assert_eq!(shown[0].title, "Payment received");
    assert!(
        shown[0].body.starts_with("Acme Hosting paid ") && shown[0].body.contains("20.00"),
        "{shown:?}"
    );
}
