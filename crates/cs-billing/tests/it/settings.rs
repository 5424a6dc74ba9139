//! Settings and prices are bounded where they are saved, and a value that
//! slipped in before (an old database) never makes the engine panic.

use cs_billing::prices::{self, Item, NewPriceRule};
use cs_billing::{BillingError, BillingSettings};
use cs_core::pricing::PriceRule;

use crate::support::{ts, Env};

fn save(env: &Env, f: impl FnOnce(&mut BillingSettings)) -> Result<(), BillingError> {
    env.store.write(|tx| {
        let mut s = BillingSettings::load(tx)?;
        f(&mut s);
        s.save(tx)
    })
}

fn setting_key(r: Result<(), BillingError>) -> (String, String) {
    match r {
        Err(BillingError::Setting { key, hint, .. }) => (key, hint),
        other => panic!("expected a refused setting, got {other:?}"),
    }
}

#[test]
fn number_formats_that_can_render_the_same_number_are_refused() {
    let env = Env::new();
    let (key, hint) = setting_key(save(&env, |s| {
        s.receipt_number_format = s.invoice_number_format.clone();
    }));
    assert_eq!(key, "billing.number_format.receipt");
    assert!(hint.contains("invoice"), "{hint}");
    assert!(hint.contains("INV-{YYYY}-{SEQ:6}"), "{hint}");
    // Not the same text, the same numbers: 2026 + 0001 reads as 20 26 …
    let (key, hint) = setting_key(save(&env, |s| {
        s.invoice_number_format = "{YYYY}{SEQ:4}".into();
        s.credit_note_number_format = "{YY}{MM}{SEQ:4}".into();
    }));
    assert_eq!(key, "billing.number_format.credit_note");
    assert!(hint.contains("e.g."), "{hint}");
    // Distinct formats are kept.
    save(&env, |s| {
        s.invoice_number_format = "F{YY}{MM}-{SEQ:4}".into();
        s.receipt_number_format = "R{YY}{MM}-{SEQ:4}".into();
    })
    .unwrap();
}

#[test]
fn unbounded_settings_are_refused_with_the_setting_named() {
    let env = Env::new();
    for (f, expect) in [
        (
            Box::new(|s: &mut BillingSettings| s.grace_hours = i64::from(u32::MAX))
                as Box<dyn FnOnce(&mut BillingSettings)>,
            "billing.grace_hours",
        ),
        (
            Box::new(|s: &mut BillingSettings| s.terminate_after_days = 100_000),
            "billing.terminate_after_days",
        ),
        (
            Box::new(|s: &mut BillingSettings| s.termination_warning_days = vec![7, 400]),
            "billing.termination_warning_days",
        ),
        (
            Box::new(|s: &mut BillingSettings| s.termination_warning_days = vec![0]),
            "billing.termination_warning_days",
        ),
        (
            Box::new(|s: &mut BillingSettings| s.low_balance_threshold_minor = i64::MAX),
            "billing.low_balance_threshold_minor",
        ),
        (
            Box::new(|s: &mut BillingSettings| {
                s.suspend_at_minor = i64::MIN;
            }),
            "billing.suspend_at_minor",
        ),
    ] {
        let (key, _) = setting_key(save(&env, f));
        assert_eq!(key, expect);
    }
}

#[test]
fn a_huge_grace_period_from_an_old_database_never_panics_the_run() {
    let env = Env::new();
    let org = env.org("Acme", "US", None);
    let plan = env.plan("Small", "sb-small", "0.0075", "5.00");
    let server = env.server(org, plan, "a", ts(2026, 1, 10, 0, 0));
    // Written past validation, as a database from before the bound holds it.
    env.store
        .write(|tx| {
            cs_store::settings::set(tx, "billing.grace_hours", "4294967295")?;
            cs_store::settings::set(tx, "billing.terminate_after_days", "9223372036854775807")?;
            Ok::<_, BillingError>(())
        })
        .unwrap();
    env.run(ts(2026, 1, 20, 0, 5));
    env.run(ts(2026, 2, 20, 0, 5));
    assert_eq!(env.server_status(server), "running");
    env.verify();
}

#[test]
fn a_fixed_price_beyond_the_bound_is_refused_not_overflowed() {
    let env = Env::new();
    let plan = env.plan("Small", "sb-small", "0.0075", "5.00");
    let add = |hourly_micros: i64, monthly_micros: i64| {
        env.store.write(|tx| {
            prices::add_price_rule(
                tx,
                &NewPriceRule {
                    plan_id: plan,
                    item: Item::Server,
                    region: None,
                    rule: PriceRule::Fixed {
                        hourly_micros,
                        monthly_micros,
                    },
                    effective_from: ts(2026, 1, 1, 0, 0),
                },
                ts(2026, 1, 1, 0, 0),
                "staff:alice",
            )
        })
    };
    // 90 000 000 000 000 a month, in micros, does not even fit an i64: the
    // largest that does is refused as well.
    for (h, m) in [(10_000, i64::MAX), (i64::MAX, 5_000_000)] {
        assert!(
            matches!(add(h, m), Err(BillingError::AmountTooLarge)),
            "{h} {m}"
        );
    }
    add(10_000, 5_000_000).unwrap();
}
