//! Wallets: payments, idempotency, adjustments, audit, termination.

use cs_billing::dunning::{complete_decision, pending_decisions, Outcome};
use cs_billing::wallet::{record_adjustment, NewAdjustment};
use cs_billing::BillingError;
use cs_core::dunning::DunningAction;
use cs_core::{Currency, Money};
use cs_store::sync_outbox::{self, SyncKind};

use crate::support::{ts, Env};

/// The Billing overview's SQL aggregates say what adding up every wallet says.
fn assert_summary_adds_up(env: &Env) {
    let (all, summary) = env
        .store
        .read(|c| {
            Ok::<_, BillingError>((
                cs_billing::wallet::list_wallets(c)?,
                cs_billing::wallet::wallet_summary(c)?,
            ))
        })
        .unwrap();
    let count = |f: &dyn Fn(&cs_billing::wallet::WalletView) -> bool| {
        all.iter().filter(|w| f(w)).count() as i64
    };
    assert_eq!(
        summary.total_minor,
        all.iter().map(|w| w.balance_minor).sum::<i64>()
    );
    assert_eq!(
        summary.low,
        count(&|w| w.state == "good" && w.balance_minor <= w.low_balance_threshold_minor)
    );
    assert_eq!(summary.suspended, count(&|w| w.state == "suspended"));
    assert_eq!(
        summary.in_grace,
        all.iter()
            .filter(|w| w.state == "grace")
            .cloned()
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_payment_is_recorded_once_and_a_reused_reference_is_refused() {
    let env = Env::new();
    let org = env.org("Payer", "US", None);
    let first = env.pay(org, "25.00", "BT-77", ts(2026, 1, 1, 9, 0));
    assert!(!first.already_recorded);
    let again = env.pay(org, "25.00", "BT-77", ts(2026, 1, 1, 9, 5));
    assert!(again.already_recorded);
    assert_eq!(again.receipt, first.receipt);
    assert_eq!(env.balance_micros(org), 25_000_000);
    let other = env.store.write(|tx| {
        cs_billing::wallet::record_payment(
            tx,
            &cs_billing::wallet::NewPayment {
                organization_id: org,
                amount: Money::parse("30.00", Currency::USD).unwrap(),
                method: cs_billing::wallet::PaymentMethod::BankTransfer,
                reference: "BT-77".into(),
                note: None,
            },
            ts(2026, 1, 1, 9, 10),
            "staff:alice",
        )
    });
    assert!(
        matches!(other, Err(BillingError::IdempotencyConflict { .. })),
        "{other:?}"
    );
    assert_eq!(env.balance_micros(org), 25_000_000);
    let log: Vec<String> = env
        .store
        .read(|c| cs_store::activity::recent(c, 10, Some(&org.to_string())))
        .unwrap()
        .into_iter()
        .map(|a| format!("{} {}", a.actor, a.action))
        .collect();
    assert!(
        log.contains(&"staff:alice payment.recorded".to_string()),
        "{log:?}"
    );
    assert_eq!(
        log.iter()
            .filter(|l| l.ends_with("payment.recorded"))
            .count(),
        1
    );
    env.verify();
}

#[test]
fn adjustments_need_a_reason_and_are_audited() {
    let env = Env::new();
    let org = env.org("Adjusted", "US", None);
    let adj = |amount: &str, reason: &str, key: &str| {
        env.store.write(|tx| {
            record_adjustment(
                tx,
                &NewAdjustment {
                    organization_id: org,
                    amount: Money::parse(amount, Currency::USD).unwrap(),
                    reason: reason.into(),
                    key: key.into(),
                },
                ts(2026, 1, 2, 0, 0),
                "staff:bob",
            )
        })
    };
    assert!(matches!(
        adj("5.00", " ", "a"),
        Err(BillingError::MissingReason { .. })
    ));
    adj("5.00", "welcome credit", "a").unwrap();
    adj("-1.25", "manual fee", "b").unwrap();
    assert!(adj("5.00", "welcome credit", "a").unwrap().already_recorded);
    assert!(matches!(
        adj("6.00", "welcome credit", "a"),
        Err(BillingError::IdempotencyConflict { .. })
    ));
    assert_eq!(env.balance_micros(org), 3_750_000);
    let summaries: Vec<String> = env
        .store
        .read(|c| cs_store::activity::recent(c, 10, Some(&org.to_string())))
        .unwrap()
        .into_iter()
        .map(|a| a.summary)
        .collect();
    assert!(
        summaries
            .iter()
            .any(|s| s.contains("by -1.25 USD: manual fee")),
        "{summaries:?}"
    );
    let w = env
        .store
        .read(|c| cs_billing::wallet::wallet(c, org))
        .unwrap();
    assert_eq!((w.balance_minor, w.state.as_str()), (375, "good"));
    // One wallet reads as the list shows it, for a customer with movements
    // and for one without any.
    let quiet = env.org("Quiet", "US", None);
    let all = env.store.read(cs_billing::wallet::list_wallets).unwrap();
    for id in [org, quiet] {
        let one = env
            .store
            .read(|c| cs_billing::wallet::wallet(c, id))
            .unwrap();
        assert_eq!(
            Some(&one),
            all.iter().find(|w| w.organization_id == id.to_string())
        );
    }
    assert_summary_adds_up(&env);
    let entries = env
        .store
        .read(|c| cs_billing::wallet::wallet_entries(c, org, Currency::USD, 10, None))
        .unwrap();
    assert_eq!(
        entries.iter().map(|e| e.amount_micros).collect::<Vec<_>>(),
        vec![-1_250_000, 5_000_000]
    );
}

#[test]
fn unpaid_servers_are_terminated_after_warnings() {
    let env = Env::new();
    env.settings(|s| {
        s.grace_hours = 0;
        s.terminate_after_days = 3;
        s.termination_warning_days = vec![2, 1];
        s.low_balance_threshold_minor = 0;
    });
    let org = env.org("Deadbeat", "US", None);
    let plan = env.plan("Nano", "g6-nanode-1", "0.0075", "5.00");
    let server = env.server(org, plan, "d", ts(2026, 1, 1, 0, 0));
    let first = env.run(ts(2026, 1, 1, 1, 0));
    assert_summary_adds_up(&env);
    assert_eq!(first.decisions.len(), 1);
    assert_eq!(first.decisions[0].action, DunningAction::Suspend);
    env.store
        .write(|tx| {
            complete_decision(
                tx,
                first.decisions[0].id,
                Outcome::Done,
                ts(2026, 1, 1, 1, 1),
                "system:provider",
            )
        })
        .unwrap();
    assert_summary_adds_up(&env);
    let mut t = ts(2026, 1, 1, 2, 0);
    let mut terminate = None;
    while t <= ts(2026, 1, 5, 0, 0) {
        for d in env.run(t).decisions {
            assert_eq!(d.action, DunningAction::Terminate);
            assert_eq!(d.decided_at, ts(2026, 1, 4, 1, 0));
            assert_eq!(env.store.read(pending_decisions).unwrap().len(), 1);
            // The app deletes the server at the provider, then reports back.
            env.store
                .write(|tx| {
                    complete_decision(
                        tx,
                        d.id,
                        Outcome::Done,
                        ts(2026, 1, 4, 1, 30),
                        "system:provider",
                    )
                })
                .unwrap();
            terminate = Some(d);
        }
        t += chrono::Duration::hours(1);
    }
    terminate.expect("terminated after 3 days");
    assert!(env.store.read(pending_decisions).unwrap().is_empty());
    assert_eq!(env.server_status(server), "deleted");
    let kinds: Vec<String> = env
        .store
        .read(|c| sync_outbox::since(c, 0, &[SyncKind::BillingNotice]))
        .unwrap()
        .into_iter()
        .map(|r| r.payload["notice"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        kinds,
        vec![
            "grace_started",
            "suspended",
            "termination_warning",
            "termination_warning",
            "terminated"
        ]
    );
    // Billing stopped with the hour of termination (01:00 on 4 January).
    env.run(ts(2026, 1, 10, 0, 0));
    assert_eq!(env.verify().hours_billed, 3 * 24 + 2);
    assert_eq!(env.balance_micros(org), -74 * 7_500);
    // -0.555 rounds half away from zero; a customer without movement is low at 0.
    env.org("Newcomer", "US", None);
    assert_summary_adds_up(&env);
    let summary = env.store.read(cs_billing::wallet::wallet_summary).unwrap();
    assert_eq!((summary.total_minor, summary.low), (-56, 1));
}

#[test]
fn a_refund_leaves_the_wallet_with_a_credit_note_once() {
    let env = Env::new();
    let org = env.org("Refunded", "US", None);
    let paid = env.pay(org, "40.00", "PP-CAPTURE-1", ts(2026, 1, 1, 9, 0));
    let refund = |reference: &str| {
        env.store.write(|tx| {
            cs_billing::wallet::refund(
                tx,
                &cs_billing::wallet::NewRefund {
                    organization_id: org,
                    amount: Money::parse("15.00", Currency::USD).unwrap(),
                    method: cs_billing::wallet::PaymentMethod::Paypal,
                    reference: reference.into(),
                    reason: "customer left".into(),
                    receipt_id: paid.receipt.id.clone(),
                },
                ts(2026, 1, 5, 9, 0),
                "staff:alice",
            )
        })
    };
    let cn = refund("PP-REFUND-1").unwrap();
    assert_eq!(
        (cn.number.as_deref(), cn.total_minor),
        (Some("CN-2026-000001"), -1_500)
    );
    assert_eq!(
        refund("PP-REFUND-1").unwrap(),
        cn,
        "a retried refund is recorded once"
    );
    assert_eq!(env.balance_micros(org), 25_000_000);
    env.verify();
}

/// The billing run guesses whether an organization's usage transaction of a
/// day is open already, to pick which statement to try first. A wrong guess
/// (an organization split across chunks, a capped hour that posted nothing)
/// costs a statement, never a second transaction or a lost amount.
#[test]
fn usage_is_posted_to_one_transaction_per_day_whatever_the_guess() {
    let env = Env::new();
    let org = env.org("Guesser", "US", None);
    let other = env.org("Bystander", "US", None);
    let day = ts(2026, 3, 9, 0, 0).timestamp() / 86_400;
    env.store
        .write(|tx| {
            let mut poster = cs_billing::ledger::UsagePoster::default();
            // A wallet preloaded, one not (opened on first use).
            poster.preload_wallets(tx, &org.to_string(), &org.to_string())?;
            for (micros, guess) in [(7_500, false), (7_500, false), (2_500, true), (0, true)] {
                poster.accrue_usage(tx, org, Currency::USD, day, micros, guess)?;
            }
            poster.accrue_usage(tx, other, Currency::USD, day, 1_000, true)?;
            poster.accrue_usage(tx, org, Currency::USD, day + 1, 500, true)?;
            Ok::<_, BillingError>(())
        })
        .unwrap();
    let (txns, entries): (i64, i64) = env
        .store
        .read(|c| {
            Ok::<_, cs_store::StoreError>(c.query_row(
                "SELECT count(DISTINCT t.id), count(*) FROM ledger_txns t JOIN ledger_entries e ON e.txn_id = t.id WHERE t.kind = 'usage'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .unwrap();
    assert_eq!(
        (txns, entries),
        (3, 6),
        "one transaction per organization and day, each with a wallet and a revenue entry"
    );
    assert_eq!(env.balance_micros(org), -(7_500 + 7_500 + 2_500 + 500));
    assert_eq!(env.balance_micros(other), -1_000);
    // Balanced, every one (no intervals back these amounts, so `verify`,
    // which compares the two, is not the check here).
    let unbalanced: i64 = env
        .store
        .read(|c| {
            Ok::<_, cs_store::StoreError>(c.query_row(
                "SELECT count(*) FROM (SELECT txn_id FROM ledger_entries GROUP BY txn_id HAVING sum(amount_micros) != 0)",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(unbalanced, 0);
}
