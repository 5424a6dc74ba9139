//! Email through the façade against a real SMTP server on loopback (the
//! in-process sink of cs-fakes: STARTTLS and AUTH): settings with the password
//! in the keyring, the test mail, mails queued in the same transaction as
//! their events, a relay that is down for a while, templates.

use chrono::Duration;
use cs_app::dto::*;
use cs_app::OutboxPolicy;
use cs_fakes::smtp::{SmtpSink, SmtpSinkConfig};

use crate::TestApp;

fn settings(sink: &SmtpSink, password: Option<&str>) -> EmailSettingsInput {
    EmailSettingsInput {
        host: "localhost".into(),
        port: sink.port(),
        security: "starttls".into(),
        username: sink.config().username.clone(),
        password: password.map(str::to_string),
        from_name: "Acme Cloud Billing".into(),
        from_address: "billing@acme.example".into(),
        reply_to: "help@acme.example".into(),
        brand_color: "#0a7cff".into(),
        logo_url: String::new(),
        website: "https://acme.example".into(),
        portal_url: "https://portal.acme.example".into(),
    }
}

fn quick_retries() -> OutboxPolicy {
    OutboxPolicy {
        base_delay: std::time::Duration::from_secs(10),
        max_delay: std::time::Duration::from_secs(60),
        ..OutboxPolicy::default()
    }
}

pub async fn configured(t: &TestApp, sink: &SmtpSink) {
    t.app
        .trust_smtp_certificate(Some(sink.cert_pem().to_string()));
    t.app.set_mail_policy(quick_retries());
    let pw = sink.config().password.clone();
    let s = t
        .app
        .update_email_settings(settings(sink, Some(&pw)))
        .unwrap();
    assert!(s.configured && s.password_set);
}

fn mail_rows(t: &TestApp, kind: &str) -> i64 {
    let conn = cs_store::rusqlite::Connection::open(t.dir.path().join("cs.db")).unwrap();
    cs_mail::outbox::sqlite::list(&conn, cs_mail::OutboxFilter::All, usize::MAX)
        .unwrap()
        .iter()
        .filter(|m| m.kind.map(|k| k.key()) == Some(kind))
        .count() as i64
}

fn body(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

fn payment(org: &OrganizationDto, amount: &str, reference: &str) -> PaymentInput {
    PaymentInput {
        organization_id: org.id.clone(),
        amount: amount.into(),
        method: "bank_transfer".into(),
        reference: reference.into(),
        note: None,
    }
}

#[tokio::test]
async fn settings_keep_the_password_in_the_keyring_and_a_test_mail_arrives_with_both_bodies() {
    let t = TestApp::new();
    let sink = SmtpSink::start(SmtpSinkConfig::default()).await.unwrap();
    let before = t.app.email_settings().unwrap();
    assert!(!before.configured);

    // Bad input: field errors, nothing stored.
    let mut bad = settings(&sink, Some("x"));
    bad.host = "smtp://mail.example.com:587".into();
    bad.security = "none".into();
    bad.from_address = "not an address".into();
    bad.brand_color = "blue".into();
    let e = t.app.update_email_settings(bad).unwrap_err().to_dto();
    let fields: Vec<_> = e.fields.iter().map(|f| f.field.as_str()).collect();
    assert!(
        fields.contains(&"host")
            && fields.contains(&"fromAddress")
            && fields.contains(&"brandColor"),
        "{fields:?}"
    );
    let mut remote_plain = settings(&sink, Some("x"));
    remote_plain.host = "mail.smtp2go.com".into();
    remote_plain.security = "none".into();
    let e = t
        .app
        .update_email_settings(remote_plain)
        .unwrap_err()
        .to_dto();
    assert_eq!(e.fields[0].field, "security", "{e:?}");
    assert!(!t.app.email_settings().unwrap().configured);

    configured(&t, &sink).await;
    // The password is in the keyring only: not in the database file, not in the DTO.
    let db = std::fs::read(t.dir.path().join("cs.db")).unwrap();
    let wal = std::fs::read(t.dir.path().join("cs.db-wal")).unwrap_or_default();
    let pw = sink.config().password.as_bytes();
    assert!(
        !db.windows(pw.len()).any(|w| w == pw) && !wal.windows(pw.len()).any(|w| w == pw),
        "the SMTP password reached SQLite"
    );
    // Saving again without a password keeps it.
    let s = t.app.update_email_settings(settings(&sink, None)).unwrap();
    assert!(s.password_set);

    let r = t.app.send_test_mail("owner@acme.example").await.unwrap();
    assert!(r.relay_answer.starts_with("250"), "{r:?}");
    let got = sink.messages();
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert!(m.tls && m.authenticated_as.as_deref() == Some("relay-user"));
    assert_eq!(m.rcpt_to, vec!["owner@acme.example".to_string()]);
    let text = body(&m.data);
    assert!(
        text.contains("text/plain") && text.contains("text/html"),
        "both bodies: {text}"
    );
    assert!(
        text.contains("Reply-To: help@acme.example") && text.contains("Message-ID: <"),
        "{text}"
    );
    assert!(r.relay_answer.contains(&m.queue_id));
}

#[tokio::test]
async fn a_wrong_password_says_the_relay_refused_the_login() {
    let t = TestApp::new();
    let sink = SmtpSink::start(SmtpSinkConfig::default()).await.unwrap();
    t.app
        .trust_smtp_certificate(Some(sink.cert_pem().to_string()));
    t.app
        .update_email_settings(settings(&sink, Some("wrong-password")))
        .unwrap();
    let e = t
        .app
        .send_test_mail("owner@acme.example")
        .await
        .unwrap_err()
        .to_dto();
    assert_eq!(e.code, "validation");
    assert_eq!(e.fields[0].field, "password");
    assert!(
        e.message
            .contains("The relay refused the login: check the user name and password"),
        "{}",
        e.message
    );
    assert!(
        !e.message.contains("wrong-password"),
        "the password never appears in an error"
    );
    assert!(sink.messages().is_empty());
    assert_eq!(sink.auth_failures(), 1);

    // Queued mail is not lost on a refused login: it stays queued for a retry.
    t.app.set_mail_policy(quick_retries());
    t.customer("Acme Hosting", "ops@acme.example");
    let r = t.app.send_due_mail().await.unwrap().unwrap();
    assert_eq!((r.sent, r.retried), (0, 1));
    let list = t.app.list_outbox("pending", None, None).await.unwrap();
    assert_eq!(list.items.len(), 1);
    assert!(
        list.items[0]
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("refused the user name or password"),
        "{:?}",
        list.items[0]
    );
}

#[tokio::test]
async fn without_email_settings_mail_waits_in_the_outbox_and_goes_out_once_set_up() {
    let t = TestApp::new();
    t.customer("Acme Hosting", "ops@acme.example");
    assert!(
        t.app.send_due_mail().await.unwrap().is_none(),
        "not set up: nothing is tried"
    );
    let list = t.app.list_outbox("all", None, None).await.unwrap();
    assert!(!list.configured);
    assert_eq!(list.items.len(), 1);
    assert_eq!(list.items[0].state, "queued");
    assert_eq!(list.items[0].template.as_deref(), Some("welcome"));

    let sink = SmtpSink::start(SmtpSinkConfig::default()).await.unwrap();
    configured(&t, &sink).await;
    let r = t.app.send_due_mail().await.unwrap().unwrap();
    assert_eq!(r.sent, 1);
    let got = sink.messages();
    assert_eq!(got.len(), 1);
    let text = body(&got[0].data);
    assert!(
        text.contains("From: \"Acme Cloud Billing\" <billing@acme.example>"),
        "the sender set up later is used: {text}"
    );
    assert_eq!(got[0].rcpt_to, vec!["ops@acme.example".to_string()]);
    let sent = t.app.list_outbox("sent", None, None).await.unwrap();
    assert!(sent.configured);
    assert!(sent.items[0]
        .relay_response
        .as_deref()
        .unwrap()
        .contains(&got[0].queue_id));
}

#[tokio::test]
async fn business_events_queue_their_mail_in_the_same_transaction() {
    let t = TestApp::new();
    // Welcome: with the customer, and not when the customer is refused.
    let org = t.customer("Acme Hosting", "ops@acme.example");
    assert_eq!(mail_rows(&t, "welcome"), 1);
    let dup = t.app.create_organization(OrganizationInput {
        name: "Acme Hosting".into(),
        contact_name: "Someone".into(),
        contact_email: "else@acme.example".into(),
        country: "NO".into(),
        tax_id: None,
        ..Default::default()
    });
    assert!(dup.is_err());
    assert_eq!(
        mail_rows(&t, "welcome"),
        1,
        "a rolled-back customer has no welcome mail"
    );

    // Payment received: with the receipt attached; a refused duplicate mails nothing.
    t.app
        .record_payment(payment(&org, "50.00", "BANK-1"))
        .await
        .unwrap();
    assert_eq!(mail_rows(&t, "payment_received"), 1);
    assert!(t
        .app
        .record_payment(payment(&org, "50.00", "BANK-1"))
        .await
        .is_err());
    assert_eq!(
        mail_rows(&t, "payment_received"),
        1,
        "a refused payment has no receipt mail"
    );
    let list = t.app.list_outbox("all", None, None).await.unwrap();
    let receipt = list
        .items
        .iter()
        .find(|i| i.template.as_deref() == Some("payment_received"))
        .unwrap();
    assert_eq!(receipt.attachment_count, 1);
    let full = t.app.get_outbox_message(&receipt.id).await.unwrap();
    assert!(
        full.attachments[0].ends_with(".pdf"),
        "{:?}",
        full.attachments
    );
    assert!(
        full.text.contains("50.00") && full.text.contains("bank transfer"),
        "{}",
        full.text
    );

    // Dunning: spend the wallet down with a running server until grace,
    // suspension; each notice has its mail, written by the billing run.
    let plan = t.plan("Starter").await;
    let s = t
        .app
        .create_server(t.server_input(&org, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    t.tick().await;
    t.tick().await;
    let adjust = AdjustmentInput {
        organization_id: org.id.clone(),
        amount: "-49.99".into(),
        reason: "test".into(),
        key: "adj-1".into(),
    };
    t.app.record_adjustment(adjust).await.unwrap();
    assert_eq!(
        mail_rows(&t, "low_balance"),
        1,
        "the low balance notice mails in the adjustment's transaction"
    );
    t.clock.advance(Duration::hours(2));
    t.app.run_billing().await.unwrap();
    assert_eq!(t.app.get_wallet(&org.id).unwrap().wallet.state, "grace");
    assert_eq!(mail_rows(&t, "suspension_warning"), 1);
    t.clock.advance(Duration::hours(73));
    t.app.run_billing().await.unwrap();
    assert_eq!(t.app.get_wallet(&org.id).unwrap().wallet.state, "suspended");
    assert_eq!(mail_rows(&t, "suspended"), 1);
    let suspended = t
        .app
        .list_outbox("all", None, None)
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|i| i.template.as_deref() == Some("suspended"))
        .unwrap();
    let full = t.app.get_outbox_message(&suspended.id).await.unwrap();
    assert!(full.text.contains("- web-1"), "{}", full.text);
    let _ = s;
}

#[tokio::test]
async fn an_issued_invoice_is_mailed_with_its_pdf() {
    let t = TestApp::new();
    let org = t.customer("Acme Hosting", "ops@acme.example");
    t.app
        .record_payment(payment(&org, "100.00", "BANK-1"))
        .await
        .unwrap();
    let plan = t.plan("Starter").await;
    t.app
        .create_server(t.server_input(&org, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    t.tick().await;
    t.tick().await;
    // Into the next month: January is invoiced by the billing run.
    t.clock.advance(Duration::days(2));
    t.app.run_billing().await.unwrap();
    let invoices = t
        .app
        .list_documents(DocumentFilterInput {
            organization_id: Some(org.id.clone()),
            kind: Some("invoice".into()),
            period: None,
        })
        .unwrap();
    assert_eq!(invoices.len(), 1, "{invoices:?}");
    assert_eq!(mail_rows(&t, "invoice_issued"), 1);
    let item = t
        .app
        .list_outbox("all", None, None)
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|i| i.template.as_deref() == Some("invoice_issued"))
        .unwrap();
    let full = t.app.get_outbox_message(&item.id).await.unwrap();
    let number = invoices[0].number.clone().unwrap();
    assert!(full.item.subject.contains(&number), "{}", full.item.subject);
    assert_eq!(full.attachments.len(), 1);

    let sink = SmtpSink::start(SmtpSinkConfig::default()).await.unwrap();
    configured(&t, &sink).await;
    t.app.send_due_mail().await.unwrap();
    let got = sink.messages();
    let invoice_mail = got
        .iter()
        .map(|m| body(&m.data))
        .find(|b| b.contains(&number))
        .expect("the invoice mail arrived");
    assert!(
        invoice_mail.contains("application/pdf"),
        "the PDF is attached"
    );
}

#[tokio::test]
async fn with_the_relay_down_for_a_while_every_queued_mail_arrives_exactly_once() {
    let t = TestApp::new();
    let mut sink = SmtpSink::start(SmtpSinkConfig::default()).await.unwrap();
    configured(&t, &sink).await;
    sink.stop().await;
    let orgs: Vec<_> = (1..=4)
        .map(|i| t.customer(&format!("Customer {i}"), &format!("c{i}@example.com")))
        .collect();
    t.app
        .record_payment(payment(&orgs[0], "100.00", "BANK-9"))
        .await
        .unwrap();

    let r = t.app.send_due_mail().await.unwrap().unwrap();
    assert_eq!((r.sent, r.retried), (0, 5));
    let pending = t
        .app
        .list_outbox("pending", None, None)
        .await
        .unwrap()
        .items;
    assert_eq!(pending.len(), 5);
    assert!(
        pending.iter().all(|i| i.attempts == 1
            && i.last_error
                .as_deref()
                .is_some_and(|e| e.contains("could not talk to the SMTP relay"))),
        "{pending:?}"
    );
    // Not due yet: nothing is tried before the backoff ends.
    assert_eq!(
        t.app.send_due_mail().await.unwrap().unwrap(),
        Default::default()
    );
    t.clock.advance(Duration::seconds(11));
    let r = t.app.send_due_mail().await.unwrap().unwrap();
    assert_eq!(r.retried, 5, "still down: retried again, later");

    sink.restart().await.unwrap();
    t.clock.advance(Duration::seconds(21));
    let r = t.app.send_due_mail().await.unwrap().unwrap();
    assert_eq!(r.sent, 5);
    t.clock.advance(Duration::hours(2));
    assert_eq!(
        t.app.send_due_mail().await.unwrap().unwrap(),
        Default::default(),
        "nothing is sent twice"
    );
    let got = sink.messages();
    assert_eq!(got.len(), 5);
    let mut to: Vec<_> = got.iter().flat_map(|m| m.rcpt_to.clone()).collect();
    to.sort();
    assert_eq!(
        to,
        vec![
            "c1@example.com",
            "c1@example.com",
            "c2@example.com",
            "c3@example.com",
            "c4@example.com"
        ]
    );
    assert_eq!(
        t.app
            .list_outbox("sent", None, None)
            .await
            .unwrap()
            .items
            .len(),
        5
    );
}

#[tokio::test]
async fn a_permanently_refused_mail_fails_with_the_relays_answer_and_can_be_retried() {
    let t = TestApp::new();
    let sink = SmtpSink::start(SmtpSinkConfig::default()).await.unwrap();
    configured(&t, &sink).await;
    t.customer("Acme Hosting", "ops@acme.example");
    // Simulate a permanent refusal recorded by the worker.
    // owner-exempt(mail_outbox): puts a mail in the failed state the worker leaves after a permanent refusal, which nothing does on demand
    let conn = cs_store::rusqlite::Connection::open(t.dir.path().join("cs.db")).unwrap();
    conn.execute("UPDATE mail_outbox SET status = 'failed', attempts = 1, last_error = 'the SMTP relay refused the message for good (550 5.1.1 no such user)'", []).unwrap();
    let failed = t.app.list_outbox("failed", None, None).await.unwrap().items;
    assert_eq!(failed.len(), 1);
    assert!(failed[0].last_error.as_deref().unwrap().contains("550"));
    let item = t.app.retry_mail(&failed[0].id).await.unwrap();
    assert_eq!(item.state, "queued");
    let again = t.app.retry_mail(&failed[0].id).await.unwrap_err().to_dto();
    assert_eq!(again.code, "conflict");
    assert_eq!(t.app.send_due_mail().await.unwrap().unwrap().sent, 1);
    assert_eq!(sink.messages().len(), 1);
    assert_eq!(
        t.app
            .retry_mail("no-such-mail")
            .await
            .unwrap_err()
            .to_dto()
            .code,
        "not_found"
    );
}

#[tokio::test]
async fn templates_are_checked_on_save_previewed_reset_and_customer_data_stays_inert() {
    let t = TestApp::new();
    let list = t.app.list_mail_templates().unwrap();
    assert_eq!(
        list.len(),
        11,
        "the ten templates of the issue and the payment link"
    );
    let welcome = list.iter().find(|x| x.kind == "welcome").unwrap().clone();
    assert!(welcome.variables.contains(&"customer_name".to_string()) && !welcome.customized);

    let input = |html: &str| MailTemplateInput {
        subject: welcome.subject.clone(),
        text: welcome.text.clone(),
        html: html.into(),
    };
    let e = t
        .app
        .save_mail_template("welcome", input("<p>Hi</p>\n<p>{{ customer_name </p>"))
        .unwrap_err()
        .to_dto();
    assert_eq!(e.fields[0].field, "html");
    assert!(e.message.contains("line 2, column"), "{}", e.message);
    let e = t
        .app
        .save_mail_template("welcome", input("<p>{{ custmer_name }}</p>"))
        .unwrap_err()
        .to_dto();
    assert!(
        e.message.contains("unknown variable custmer_name"),
        "{}",
        e.message
    );
    assert!(
        !t.app
            .list_mail_templates()
            .unwrap()
            .iter()
            .find(|x| x.kind == "welcome")
            .unwrap()
            .customized,
        "nothing saved"
    );

    let preview = t
        .app
        .preview_mail_template(
            "welcome",
            input("<h1>Welcome aboard, {{ customer_name }}!</h1>"),
        )
        .unwrap();
    assert!(
        preview.html.contains("Welcome aboard, Zoë Ødegård!"),
        "{}",
        preview.html
    );
    let saved = t
        .app
        .save_mail_template(
            "welcome",
            input("<h1>Welcome aboard, {{ customer_name }}!</h1>"),
        )
        .unwrap();
    assert!(saved.customized);

    // A customer whose name is markup and template code: escaped, never run.
    t.app
        .create_organization(OrganizationInput {
            name: "Evil Corp".into(),
            contact_name: "<script>alert(1)</script>{{ brand.support_email }}".into(),
            contact_email: "evil@example.com".into(),
            country: "NO".into(),
            tax_id: None,
            ..Default::default()
        })
        .unwrap();
    let item = t
        .app
        .list_outbox("all", None, None)
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|i| i.template.as_deref() == Some("welcome"))
        .unwrap();
    let full = t.app.get_outbox_message(&item.id).await.unwrap();
    assert!(
        full.html.contains(
            "Welcome aboard, &lt;script&gt;alert(1)&lt;&#x2f;script&gt;{{ brand.support_email }}!"
        ),
        "{}",
        full.html
    );
    assert!(!full.html.contains("<script>"));
    assert!(
        full.text.contains("{{ brand.support_email }}"),
        "data is shown literally in the text part too"
    );

    let reset = t.app.reset_mail_template("welcome").unwrap();
    assert!(!reset.customized);
    assert_eq!(reset.html, welcome.html);
    assert_eq!(
        t.app.reset_mail_template("nope").unwrap_err().to_dto().code,
        "not_found"
    );
}

#[tokio::test]
async fn the_outbox_pages_and_sent_attachments_are_pruned_after_thirty_days() {
    let t = TestApp::new();
    let sink = SmtpSink::start(SmtpSinkConfig::default()).await.unwrap();
    configured(&t, &sink).await;
    let org = t.customer("Acme Hosting", "ops@acme.example");
    for i in 0..4 {
        t.clock.advance(Duration::seconds(1));
        t.app
            .record_payment(payment(&org, "10.00", &format!("BANK-{i}")))
            .await
            .unwrap();
    }
    let r = t.app.send_due_mail().await.unwrap().unwrap();
    assert!(r.sent >= 5, "a welcome mail and four receipts at least");
    let total = r.sent as usize;

    // Two at a time, newest first, each mail once.
    let mut seen = vec![];
    let mut cursor = None;
    loop {
        let page = t
            .app
            .list_outbox("all", cursor.clone(), Some(2))
            .await
            .unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(page.items.into_iter().map(|i| i.id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), total, "{seen:?}");
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), total, "each mail once");
    let e = t
        .app
        .list_outbox("all", Some("nonsense".into()), None)
        .await
        .unwrap_err()
        .to_dto();
    assert_eq!(e.fields[0].field, "cursor", "{e:?}");

    // Thirty days after delivery the receipts' PDFs are removed; the mail
    // says so and keeps the file names.
    let receipt = t
        .app
        .list_outbox("sent", None, None)
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|i| i.attachment_count == 1)
        .unwrap();
    t.clock.advance(Duration::days(29));
    t.app.send_due_mail().await.unwrap();
    let full = t.app.get_outbox_message(&receipt.id).await.unwrap();
    assert!(full.item.attachments_pruned_at.is_none());
    t.clock.advance(Duration::days(2));
    t.app.send_due_mail().await.unwrap();
    let full = t.app.get_outbox_message(&receipt.id).await.unwrap();
    assert!(full.item.attachments_pruned_at.is_some(), "{:?}", full.item);
    assert_eq!(full.attachments.len(), 1);
    assert!(full.attachments[0].ends_with(".pdf"));
}
