//! Documents: immutability, numbering, tax, credit notes.

use cs_billing::documents::{issue_credit_note, void_invoice, NewCreditNote};
use cs_billing::BillingError;
use cs_core::Currency;

use crate::support::{ts, Env};

fn one_invoice(
    env: &Env,
    country: &str,
    tax_id: Option<&str>,
) -> (cs_core::OrganizationId, cs_billing::documents::Document) {
    let org = env.org(&format!("Org {country}"), country, tax_id);
    let plan = env.plan(&format!("Plan {country}"), "g6-nanode-1", "0.0075", "5.00");
    env.server(org, plan, &format!("srv-{country}"), ts(2026, 1, 10, 0, 0));
    env.run(ts(2026, 2, 1, 0, 5));
    (org, env.invoices(org).remove(0))
}

#[test]
fn issued_documents_cannot_change() {
    let env = Env::new();
    let (_, inv) = one_invoice(&env, "US", None);
    let id = inv.summary.id.clone();
    for sql in [
        "UPDATE documents SET total_minor = 1 WHERE id = ?1",
        "UPDATE documents SET status = 'draft' WHERE id = ?1",
        "DELETE FROM documents WHERE id = ?1",
        "UPDATE document_lines SET amount_minor = 1 WHERE document_id = ?1",
        "DELETE FROM document_lines WHERE document_id = ?1",
        "INSERT INTO document_lines (document_id, line_no, description, amount_micros, amount_minor, tax_name, tax_rate_ppm) VALUES (?1, 99, 'x', 0, 0, 'x', 0)",
        "UPDATE document_tax_totals SET tax_minor = 5 WHERE document_id = ?1",
        "DELETE FROM ledger_entries WHERE ?1 IS NOT NULL AND txn_id = (SELECT min(txn_id) FROM ledger_entries)",
        "UPDATE ledger_txns SET memo = 'x' WHERE ?1 IS NOT NULL",
    ] {
        let err = env.store.write(|tx| tx.execute(sql, [&id]).map_err(cs_store::StoreError::from)).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("immutable") || text.contains("append-only"), "{sql}: {text}");
    }
    let after = env
        .invoices(inv.summary.organization_id.parse().unwrap())
        .remove(0);
    assert_eq!(after, inv);
}

#[test]
fn numbers_are_gapless_per_series_and_follow_the_format() {
    let env = Env::new();
    env.settings(|s| s.invoice_number_format = "F{YY}{MM}-{SEQ:4}".into());
    let org = env.org("A", "US", None);
    let org2 = env.org("B", "US", None);
    let plan = env.plan("Nano", "g6-nanode-1", "0.0075", "5.00");
    env.server(org, plan, "a", ts(2026, 1, 10, 0, 0));
    env.server(org2, plan, "b", ts(2026, 1, 10, 0, 0));
    env.run(ts(2026, 2, 1, 0, 5));
    env.run(ts(2026, 3, 1, 0, 5));
    let mut numbers: Vec<String> = [org, org2]
        .iter()
        .flat_map(|o| env.invoices(*o))
        .map(|d| d.summary.number.unwrap())
        .collect();
    numbers.sort();
    assert_eq!(
        numbers,
        vec!["F2602-0001", "F2602-0002", "F2603-0001", "F2603-0002"]
    );
    let bad = env.store.write(|tx| {
        let mut s = cs_billing::BillingSettings::load(tx)?;
        s.invoice_number_format = "INV-{YYYY}".into();
        s.save(tx)
    });
    assert!(matches!(bad, Err(BillingError::Setting { .. })), "{bad:?}");
    env.verify();
}

#[test]
fn eu_business_customers_abroad_are_reverse_charged() {
    let env = Env::new();
    env.settings(|s| s.seller_country = "DE".into());
    env.store
        .write(|tx| {
            cs_billing::documents::set_tax_rate(tx, "DE", None, "USt 19%", 190_000)?;
            cs_billing::documents::set_tax_rate(tx, "FR", None, "TVA 20%", 200_000)
        })
        .unwrap();
    // One server from 10 January: 22 days × 24 h × 0.0075 = 3.96, for a
    // French business (reverse charge) and a German one (19 %), both invoiced
    // by the same run.
    let fr = env.org("Org FR", "FR", Some("FR40303265045"));
    let de = env.org("Org DE", "DE", Some("DE123456789"));
    let plan = env.plan("Nano", "g6-nanode-1", "0.0075", "5.00");
    env.server(fr, plan, "fr-1", ts(2026, 1, 10, 0, 0));
    env.server(de, plan, "de-1", ts(2026, 1, 10, 0, 0));
    env.run(ts(2026, 2, 1, 0, 5));
    let b2b = env.invoices(fr).remove(0);
    assert_eq!(
        (b2b.summary.subtotal_minor, b2b.summary.tax_minor),
        (396, 0)
    );
    assert_eq!(
        b2b.tax_note.as_deref(),
        Some(cs_core::tax::REVERSE_CHARGE_NOTE)
    );
    assert_eq!(b2b.tax_totals[0].name, "Reverse charge");
    let domestic = env.invoices(de).remove(0);
    assert_eq!(
        (
            domestic.summary.subtotal_minor,
            domestic.summary.tax_minor,
            domestic.summary.total_minor
        ),
        (396, 75, 471)
    );
    assert_eq!(domestic.tax_totals[0].name, "USt 19%");
    env.verify();
}

/// Billing never reopens an invoiced month: a server recorded after its
/// month was invoiced is billed from the first month not invoiced yet.
#[test]
fn a_late_server_does_not_reopen_an_invoiced_month() {
    let env = Env::new();
    let (_, _) = one_invoice(&env, "US", None);
    let late = env.org("Late", "US", None);
    let plan = env.plan("Nano2", "g6-nanode-1", "0.0075", "5.00");
    env.server(late, plan, "late-1", ts(2026, 1, 20, 0, 0));
    env.run(ts(2026, 3, 1, 0, 5));
    let inv = env.invoices(late);
    assert_eq!(inv.len(), 1);
    assert_eq!(
        inv[0].summary.month,
        Some(cs_core::metering::month_index(2026, 2))
    );
    assert_eq!(inv[0].lines[0].quantity_hours, Some(28 * 24));
    env.verify();
}

#[test]
fn an_invoice_is_voided_by_a_credit_note() {
    let env = Env::new();
    let (org, inv) = one_invoice(&env, "US", None);
    let before = env
        .store
        .read(cs_billing::verify::document_digests)
        .unwrap();
    let balance = env.balance_micros(org);
    let cn = env
        .store
        .write(|tx| {
            void_invoice(
                tx,
                &inv.summary.id,
                "server never worked",
                ts(2026, 2, 2, 9, 0),
                "staff:bob",
            )
        })
        .unwrap();
    assert_eq!(cn.number.as_deref(), Some("CN-2026-000001"));
    assert_eq!(cn.total_minor, -inv.summary.total_minor);
    assert_eq!(
        cn.credits_document_id.as_deref(),
        Some(inv.summary.id.as_str())
    );
    assert_eq!(env.balance_micros(org), balance + 396 * 10_000);
    let after = env
        .store
        .read(cs_billing::verify::document_digests)
        .unwrap();
    assert!(
        before.iter().all(|(id, d)| after.get(id) == Some(d)),
        "issued documents unchanged"
    );
    let again = env.store.write(|tx| {
        void_invoice(
            tx,
            &inv.summary.id,
            "twice",
            ts(2026, 2, 2, 9, 0),
            "staff:bob",
        )
    });
    assert!(matches!(again, Err(BillingError::AlreadyCredited { .. })));
    let partial = env.store.write(|tx| {
        issue_credit_note(
            tx,
            &NewCreditNote {
                organization_id: org,
                currency: Currency::USD,
                credits_document_id: None,
                lines: vec![("Goodwill for the outage".into(), -150)],
                reason: "outage on 3 February".into(),
                key: "k-1".into(),
            },
            ts(2026, 2, 3, 9, 0),
            "staff:bob",
        )
    });
    assert_eq!(partial.unwrap().number.as_deref(), Some("CN-2026-000002"));
    env.verify();
}

#[test]
fn invoicing_an_unbilled_month_is_refused() {
    let env = Env::new();
    let org = env.org("Early", "US", None);
    let plan = env.plan("Nano", "g6-nanode-1", "0.0075", "5.00");
    env.server(org, plan, "e", ts(2026, 1, 10, 0, 0));
    env.run(ts(2026, 1, 20, 0, 0));
    let jan = cs_core::metering::month_index(2026, 1);
    let err = cs_billing::documents::issue_monthly_invoices(&env.store, jan, ts(2026, 2, 1, 0, 5))
        .unwrap_err();
    assert!(
        matches!(err, BillingError::NotBilledYet { pending: 1, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("run billing"), "{err}");
}
