use cs_fakes::smtp::{SmtpSink, SmtpSinkConfig};
use cs_mail::{compose, Attachment, MailError, Mailer, Security, TemplateKind, Templates};
use mail_parser::{MessageParser, MimeHeaders};

use crate::support::{brand, config_for, mailer, sink, vars, welcome};

#[tokio::test]
async fn invoice_arrives_with_both_bodies_the_pdf_and_the_headers() {
    let sink = sink().await;
    let rendered = Templates::default()
        .render(
            TemplateKind::InvoiceIssued,
            &brand(),
            &vars(&[
                ("customer_name", "Ada <Lovelace>"),
                ("invoice_number", "INV-2025-0042"),
                ("amount", "USD 120.50"),
                ("due_date", "2025-07-15"),
                ("invoice_url", "https://portal.acme.example/invoices/42"),
            ]),
        )
        .unwrap();
    let mut email = compose(
        "Acme Cloud <billing@acme.example>",
        vec![
            "Ada Lovelace <ada@example.com>".into(),
            "books@example.com".into(),
        ],
        Some("Acme Billing <billing-replies@acme.example>".into()),
        rendered,
    );
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    email
        .attachments
        .push(Attachment::pdf("INV-2025-0042.pdf", pdf.clone()));

    let acceptance = mailer(&sink).send(&email).await.expect("the relay accepts");
    assert_eq!(acceptance.code, 250);

    let received = sink.messages();
    assert_eq!(received.len(), 1);
    let m = &received[0];
    assert_eq!(acceptance.queue_id(), Some(m.queue_id.as_str()));
    assert!(m.tls, "sent after STARTTLS");
    assert_eq!(m.authenticated_as.as_deref(), Some("relay-user"));
    assert_eq!(m.mail_from, "billing@acme.example");
    assert_eq!(m.rcpt_to, ["ada@example.com", "books@example.com"]);

    let parsed = MessageParser::default()
        .parse(&m.data)
        .expect("a parseable message");
    assert_eq!(
        parsed.subject(),
        Some("Invoice INV-2025-0042 from Acme Cloud")
    );
    assert_eq!(parsed.message_id(), Some(email.message_id.as_str()));
    assert!(parsed.date().is_some());
    let reply_to = parsed
        .reply_to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap();
    assert_eq!(reply_to, "billing-replies@acme.example");
    let to: Vec<_> = parsed
        .to()
        .unwrap()
        .iter()
        .filter_map(|a| a.address())
        .collect();
    assert_eq!(to, ["ada@example.com", "books@example.com"]);

    let text = parsed.body_text(0).unwrap();
    assert!(
        text.contains("Ada <Lovelace>") && text.contains("USD 120.50"),
        "{text}"
    );
    let html = parsed.body_html(0).unwrap();
    assert!(
        html.contains("Ada &lt;Lovelace&gt;") && html.contains("#0a7cff"),
        "{html}"
    );

    let attachment = parsed.attachment(0).expect("one attachment");
    assert_eq!(attachment.attachment_name(), Some("INV-2025-0042.pdf"));
    assert_eq!(
        attachment
            .content_type()
            .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or(""))),
        Some("application/pdf".into())
    );
    assert_eq!(attachment.contents(), pdf.as_slice());
}

#[tokio::test]
async fn a_wrong_password_is_a_clear_auth_error() {
    let sink = sink().await;
    let mailer = Mailer::new(&config_for(
        &sink,
        Security::StartTls,
        "not-the-password-XYZ",
    ))
    .unwrap();
    let err = mailer.send(&welcome("ada@example.com")).await.unwrap_err();
    match &err {
        MailError::AuthRejected { code, .. } => assert_eq!(*code, 535),
        other => panic!("expected AuthRejected, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("refused the user name or password") && text.contains("Settings → Email"),
        "{text}"
    );
    assert!(
        !text.contains("not-the-password-XYZ")
            && !format!("{err:?}").contains("not-the-password-XYZ")
    );
    assert_eq!(sink.auth_failures(), 1);
    assert!(sink.messages().is_empty());
    assert!(mailer.check_connection().await.is_err());
}

#[tokio::test]
async fn implicit_tls_works_too() {
    let sink = SmtpSink::start(SmtpSinkConfig {
        implicit_tls: true,
        ..SmtpSinkConfig::default()
    })
    .await
    .unwrap();
    let mailer = Mailer::new(&config_for(&sink, Security::ImplicitTls, "relay-password")).unwrap();
    mailer.check_connection().await.unwrap();
    mailer.send(&welcome("ada@example.com")).await.unwrap();
    let received = sink.messages();
    assert_eq!(received.len(), 1);
    assert!(received[0].tls);
}

#[tokio::test]
async fn an_unreachable_relay_is_a_connection_error() {
    let mut sink = sink().await;
    let mailer = mailer(&sink);
    sink.stop().await;
    let err = mailer.send(&welcome("ada@example.com")).await.unwrap_err();
    assert!(matches!(err, MailError::Connection { .. }), "{err:?}");
    assert!(err.is_retryable());
}
