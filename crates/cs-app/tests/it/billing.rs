//! Billing through the façade: the scheduler charges the hours a server
//! exists, a payment produces a receipt with a real PDF, and an unpaid
//! balance suspends the server at the provider until a payment releases it.

use chrono::Duration;
use cs_app::dto::*;

use crate::TestApp;

async fn running_server(t: &TestApp) -> (OrganizationDto, ServerDto) {
    let org = t.customer("Acme Hosting", "ops@acme.example");
    let plan = t.plan("Starter").await;
    let s = t
        .app
        .create_server(t.server_input(&org, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    t.tick().await;
    t.tick().await;
    assert_eq!(t.app.get_server(&s.id).unwrap().server.status, "running");
    (org, s)
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
async fn hours_are_charged_and_payments_make_receipts_with_pdfs() {
    let t = TestApp::new();
    let (org, _s) = running_server(&t).await;
    // Created 10:30; at 13:05 the hours 10, 11 and 12 are over: 3 × 0.0225.
    t.clock.advance(Duration::minutes(155) - crate::step() * 2);
    let run = t.app.run_billing().await.unwrap();
    assert_eq!(run.error, None);
    assert_eq!(run.hours_billed, "3");
    let overview = t.app.billing_overview().unwrap();
    assert_eq!(
        overview
            .last_run
            .expect("the run is on record")
            .hours_billed,
        "3"
    );
    let again = t.app.run_billing().await.unwrap();
    assert_eq!(again.hours_billed, "0", "an hour is never billed twice");
    let w = t.app.get_wallet(&org.id).unwrap();
    assert_eq!(w.wallet.balance.amount, "-0.07");

    let bad = t
        .app
        .record_payment(payment(&org, "-5", ""))
        .await
        .unwrap_err()
        .to_dto();
    let fields: Vec<&str> = bad.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["amount", "reference"]);

    let w = t
        .app
        .record_payment(payment(&org, "50.00", "BANK-2026-0001"))
        .await
        .unwrap();
    assert_eq!(w.wallet.balance.amount, "49.93");
    let dup = t
        .app
        .record_payment(payment(&org, "50.00", "BANK-2026-0001"))
        .await
        .unwrap_err();
    assert_eq!(dup.code(), "conflict");
    assert_eq!(
        t.app.get_wallet(&org.id).unwrap().wallet.balance.amount,
        "49.93",
        "a repeated reference records once"
    );

    let receipt = w
        .documents
        .iter()
        .find(|d| d.kind == "receipt")
        .expect("a receipt");
    assert!(receipt.number.as_deref().unwrap().starts_with("RCT-2026-"));
    let (number, pdf) = t.app.document_pdf(&receipt.id).unwrap();
    assert_eq!(Some(number), receipt.number.clone());
    assert!(pdf.starts_with(b"%PDF-"));
    if let Ok(out) = std::env::var("CS_PDF_OUT") {
        std::fs::write(out, &pdf).unwrap();
    }
    let detail = t.app.get_document(&receipt.id).unwrap();
    assert_eq!(detail.customer_name, "Acme Hosting");
}

#[tokio::test]
async fn an_unpaid_balance_suspends_the_server_and_a_payment_releases_it() {
    let t = TestApp::new();
    let (org, s) = running_server(&t).await;
    // Grace starts once the balance is below the limit; 72 h later, suspension.
    t.clock.advance(Duration::hours(2));
    t.app.run_billing().await.unwrap();
    assert_eq!(t.app.get_wallet(&org.id).unwrap().wallet.state, "grace");
    assert_eq!(
        t.app.billing_overview().unwrap().upcoming_suspensions.len(),
        1
    );
    t.clock.advance(Duration::hours(73));
    t.app.run_billing().await.unwrap();
    assert_eq!(t.app.get_wallet(&org.id).unwrap().wallet.state, "suspended");
    assert_eq!(t.app.get_server(&s.id).unwrap().server.status, "suspended");
    t.tick().await;
    use cs_provider::Provider;
    let at_provider = t
        .app
        .sandbox()
        .get_instance(s.provider_id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(
        at_provider.status,
        cs_provider::InstanceStatus::Offline,
        "powered off at the provider"
    );
    assert_eq!(
        t.app.get_server(&s.id).unwrap().server.status,
        "suspended",
        "the reconciler keeps our suspension"
    );

    t.app
        .record_payment(payment(&org, "20.00", "CASH-7"))
        .await
        .unwrap();
    assert_eq!(t.app.get_wallet(&org.id).unwrap().wallet.state, "good");
    t.tick().await;
    t.tick().await;
    assert_eq!(
        t.app.get_server(&s.id).unwrap().server.status,
        "running",
        "released and booted again"
    );
}
