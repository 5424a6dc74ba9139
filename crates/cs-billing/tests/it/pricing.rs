//! Prices per region, add-ons, and their invoice lines.

use cs_billing::prices::{add_price_rule, price_at, set_provider_price, Item, NewPriceRule};
use cs_core::pricing::{PriceRule, UnitPrice};
use cs_core::Currency;

use crate::support::{ts, Env};

#[test]
fn a_region_specific_price_wins_and_markups_follow_the_regional_provider_price() {
    let env = Env::new();
    let plan = env.plan("Standard", "g6-standard-1", "0.015", "10.00");
    let at = ts(2026, 1, 1, 0, 0);
    let price = |region: &str, when| {
        env.store
            .read(|c| price_at(c, plan, region, Item::Server, when))
            .unwrap()
            .unit
    };
    // No rule yet: the plan's own fixed price.
    assert_eq!(
        price("eu-central", at),
        UnitPrice {
            hourly_micros: 15_000,
            monthly_micros: 10_000_000
        }
    );
    env.store
        .write(|tx| {
            let p = |h, m| UnitPrice {
                hourly_micros: h,
                monthly_micros: m,
            };
            set_provider_price(
                tx,
                "linode",
                "g6-standard-1",
                Item::Server,
                None,
                Currency::USD,
                p(10_000, 6_000_000),
                at,
            )?;
            set_provider_price(
                tx,
                "linode",
                "g6-standard-1",
                Item::Server,
                Some("eu-central"),
                Currency::USD,
                p(12_000, 7_000_000),
                at,
            )?;
            let rule = |region: Option<&str>, rule, from| NewPriceRule {
                plan_id: plan,
                item: Item::Server,
                region: region.map(str::to_string),
                rule,
                effective_from: from,
            };
            add_price_rule(
                tx,
                &rule(None, PriceRule::Markup { markup_bp: 2_500 }, at),
                at,
                "staff:alice",
            )?;
            add_price_rule(
                tx,
                &rule(
                    Some("eu-central"),
                    PriceRule::Fixed {
                        hourly_micros: 20_000,
                        monthly_micros: 9_990_000,
                    },
                    ts(2026, 2, 1, 0, 0),
                ),
                at,
                "staff:alice",
            )
        })
        .unwrap();
    assert_eq!(
        price("us-east", at),
        UnitPrice {
            hourly_micros: 12_500,
            monthly_micros: 7_500_000
        }
    );
    assert_eq!(
        price("eu-central", at),
        UnitPrice {
            hourly_micros: 15_000,
            monthly_micros: 8_750_000
        }
    );
    assert_eq!(
        price("eu-central", ts(2026, 2, 1, 0, 0)),
        UnitPrice {
            hourly_micros: 20_000,
            monthly_micros: 9_990_000
        }
    );
    assert_eq!(
        price("us-east", ts(2026, 2, 1, 0, 0)),
        UnitPrice {
            hourly_micros: 12_500,
            monthly_micros: 7_500_000
        }
    );
    // Versions are rows: a rule cannot be edited in place.
    let edit = env.store.write(|tx| {
        tx.execute("UPDATE price_rules SET markup_bp = 1", [])
            .map_err(cs_store::StoreError::from)
    });
    assert!(edit.unwrap_err().to_string().contains("versioned"));
}

/// Backups for ten days and an extra IPv4 from the 15th, beside a server
/// that reaches its cap: one invoice line each.
#[test]
fn add_ons_are_metered_and_invoiced_on_their_own_lines() {
    let env = Env::new();
    let org = env.org("Addons", "US", None);
    let plan = env.plan("Standard", "g6-standard-1", "0.015", "10.00");
    let at = ts(2026, 1, 1, 0, 0);
    env.store
        .write(|tx| {
            for (item, h, m) in [
                (Item::Backups, 3_000, 2_000_000),
                (Item::Ipv4, 5_000, 3_000_000),
            ] {
                let r = NewPriceRule {
                    plan_id: plan,
                    item,
                    region: None,
                    rule: PriceRule::Fixed {
                        hourly_micros: h,
                        monthly_micros: m,
                    },
                    effective_from: at,
                };
                add_price_rule(tx, &r, at, "staff:alice")?;
            }
            Ok::<_, cs_billing::BillingError>(())
        })
        .unwrap();
    let server = env.server(org, plan, "web", ts(2026, 3, 1, 0, 0));
    let addon = |f: &dyn Fn(&rusqlite::Connection) -> cs_billing::Result<()>| {
        env.store.write(|tx| f(tx)).unwrap()
    };
    addon(&|tx| {
        cs_billing::meters::enable_addon(
            tx,
            server,
            Item::Backups,
            0,
            ts(2026, 3, 10, 8, 20),
            "staff:alice",
        )
        .map(|_| ())
    });
    env.run(ts(2026, 3, 12, 0, 0));
    addon(&|tx| {
        cs_billing::meters::enable_addon(
            tx,
            server,
            Item::Ipv4,
            0,
            ts(2026, 3, 15, 0, 0),
            "staff:alice",
        )
        .map(|_| ())
    });
    addon(&|tx| {
        cs_billing::meters::disable_addon(
            tx,
            server,
            Item::Backups,
            0,
            ts(2026, 3, 20, 8, 0),
            "staff:alice",
        )
    });
    env.run(ts(2026, 4, 1, 0, 5));
    let inv = env.invoices(org).remove(0);
    let lines: Vec<(String, Option<i64>, i64, bool)> = inv
        .lines
        .iter()
        .map(|l| {
            (
                l.item.clone().unwrap(),
                l.quantity_hours,
                l.amount_minor,
                l.capped,
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            ("server".into(), Some(744), 1_000, true),
            ("backups".into(), Some(240), 72, false),
            ("ipv4".into(), Some(408), 204, false)
        ]
    );
    assert!(
        inv.lines[2].description.starts_with(
            "web extra IPv4 #1: 2026-03-15 00:00 – 2026-04-01 00:00, 408 h × 0.005 USD/h"
        ),
        "{}",
        inv.lines[2].description
    );
    assert_eq!(inv.summary.total_minor, 1_276);
    env.verify();
}
