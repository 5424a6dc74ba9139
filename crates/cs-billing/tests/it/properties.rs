//! Property tests: random sequences of server events, payments and clock
//! jumps keep every invariant.

use chrono::Duration;
use cs_core::{Currency, Money, ServerId};
use proptest::prelude::*;

use crate::support::{ts, Env};

#[derive(Debug, Clone)]
enum Event {
    Create { plan: usize },
    Delete { pick: usize },
    Resize { pick: usize, plan: usize },
    Pay { cents: i64 },
    Adjust { cents: i64 },
    Backups { pick: usize },
    Jump { minutes: i64 },
    Run,
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        3 => (0usize..2).prop_map(|plan| Event::Create { plan }),
        1 => any::<usize>().prop_map(|pick| Event::Delete { pick }),
        1 => (any::<usize>(), 0usize..2).prop_map(|(pick, plan)| Event::Resize { pick, plan }),
        2 => (1i64..5_000).prop_map(|cents| Event::Pay { cents }),
        1 => (-500i64..500).prop_map(|cents| Event::Adjust { cents }),
        1 => any::<usize>().prop_map(|pick| Event::Backups { pick }),
        4 => (1i64..(24 * 60 * 12)).prop_map(|minutes| Event::Jump { minutes }),
        3 => Just(Event::Run),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_over_random_histories(events in prop::collection::vec(event(), 1..40)) {
        let env = Env::new();
        env.settings(|s| { s.grace_hours = 6; s.terminate_after_days = 2; });
        env.store.write(|tx| cs_billing::documents::set_tax_rate(tx, "US", None, "Sales tax 7.25%", 72_500)).unwrap();
        let org = env.org("Prop", "US", None);
        let plans = [env.plan("P0", "g6-nanode-1", "0.0075", "5.00"), env.plan("P1", "g6-standard-1", "0.0361", "24.00")];
        env.store.write(|tx| cs_billing::prices::add_price_rule(tx, &cs_billing::prices::NewPriceRule {
            plan_id: plans[1], item: cs_billing::prices::Item::Backups, region: None,
            rule: cs_core::pricing::PriceRule::Fixed { hourly_micros: 3_333, monthly_micros: 2_000_000 }, effective_from: ts(2026, 1, 1, 0, 0) },
            ts(2026, 1, 1, 0, 0), "staff:p")).unwrap();
        let mut now = ts(2026, 1, 28, 7, 13);
        let mut live: Vec<ServerId> = Vec::new();
        let mut n = 0;
        let mut digests = env.store.read(cs_billing::verify::document_digests).unwrap();
        for e in events {
            n += 1;
            match e {
                Event::Create { plan } => live.push(env.server(org, plans[plan], &format!("p{n}"), now)),
                Event::Delete { pick } if !live.is_empty() => { let s = live.remove(pick % live.len()); env.delete(s, now); }
                Event::Resize { pick, plan } if !live.is_empty() => {
                    let s = live[pick % live.len()];
                    // Refused (and nothing written) when the new plan cannot
                    // price an add-on the server has.
                    match env.store.write(|tx| cs_billing::meters::record_resize(tx, s, plans[plan], now, "staff:p")) {
                        Ok(()) | Err(cs_billing::BillingError::NoPrice { .. }) => {}
                        Err(e) => prop_assert!(false, "resize failed: {}", e),
                    }
                }
                Event::Backups { pick } if !live.is_empty() => {
                    let s = live[pick % live.len()];
                    // Plan P0 has no backups price: refused, and nothing changes.
                    let _ = env.store.write(|tx| cs_billing::meters::enable_addon(tx, s, cs_billing::prices::Item::Backups, 0, now, "staff:p"));
                }
                Event::Pay { cents } => { env.pay(org, &Money::new(cents, Currency::USD).to_decimal_string(), &format!("R{n}"), now); }
                Event::Adjust { cents } if cents != 0 => {
                    env.store.write(|tx| cs_billing::wallet::record_adjustment(tx, &cs_billing::wallet::NewAdjustment {
                        organization_id: org, amount: Money::new(cents, Currency::USD), reason: "prop".into(), key: format!("A{n}") }, now, "staff:p")).unwrap();
                }
                Event::Jump { minutes } => now += Duration::minutes(minutes),
                Event::Run => {
                    for d in env.run(now).decisions {
                        env.store.write(|tx| cs_billing::dunning::complete_decision(tx, d.id, cs_billing::dunning::Outcome::Done, now, "system:p")).unwrap();
                        if d.action == cs_core::dunning::DunningAction::Terminate {
                            live.retain(|s| !d.server_ids.contains(s));
                        }
                    }
                }
                _ => {}
            }
            let report = env.store.read(cs_billing::verify::verify);
            prop_assert!(report.is_ok(), "{:?}", report);
            let after = env.store.read(cs_billing::verify::document_digests).unwrap();
            for (id, d) in &digests {
                prop_assert_eq!(after.get(id), Some(d), "issued document {} changed", id);
            }
            digests = after;
        }
        // Close the books: everything billed through the end of next month and invoiced.
        let end = cs_core::metering::month_start(cs_core::metering::month_of(now) + 2) + Duration::minutes(5);
        env.run(end);
        let r = env.store.read(cs_billing::verify::verify).unwrap();
        // Every live server billed through the last complete hour: count hours independently.
        let expected: i64 = env.store.read(|c| {
            let mut s = c.prepare("SELECT start_hour, end_hour FROM billing_meters")?;
            let last = cs_core::metering::last_complete_hour(end);
            let v = s.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?)))?
                .map(|x| x.map(|(a, b)| (b.unwrap_or(last).min(last) - a + 1).max(0)))
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            Ok::<_, cs_store::StoreError>(v.iter().sum())
        }).unwrap();
        prop_assert_eq!(r.hours_billed, expected);
    }
}
