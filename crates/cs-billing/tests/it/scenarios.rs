//! Billing scenarios walked hour by hour with exact expected figures.

use chrono::Duration;
use cs_billing::dunning::{complete_decision, Outcome};
use cs_billing::prices::{
    add_price_rule, apply_price_changes, pending_price_changes, set_provider_price, Item,
    NewPriceRule,
};
use cs_core::dunning::DunningAction;
use cs_core::metering::month_index;
use cs_core::pricing::{PriceRule, UnitPrice};
use cs_core::{Clock, Currency, FixedClock, OrganizationId, ServerId, Timestamp};

use crate::support::{ts, Env};

/// Created 10:30 on 31 January, resized on 3 February, suspended for a day
/// for an empty wallet, released by a payment, deleted on 20 February.
#[test]
fn a_server_lifetime_across_two_months() {
    let env = Env::new();
    env.settings(|s| {
        s.seller_country = "DE".into();
        s.low_balance_threshold_minor = 50;
        s.suspend_at_minor = 0;
        s.grace_hours = 24;
    });
    env.store
        .write(|tx| cs_billing::documents::set_tax_rate(tx, "DE", None, "USt 19%", 190_000))
        .unwrap();
    let org = env.org("Acme GmbH", "DE", None);
    let small = env.plan("Nano", "g6-nanode-1", "0.0075", "5.00");
    let large = env.plan("Standard", "g6-standard-1", "0.015", "10.00");

    let created = ts(2026, 1, 31, 10, 30);
    let server = env.server(org, small, "web-1", created);
    let first = env.pay(org, "1.00", "BT-0001", created);
    assert_eq!(first.receipt.number.as_deref(), Some("RCT-2026-000001"));

    // The scheduler's clock: a run five minutes past every hour.
    let clock = FixedClock::new(ts(2026, 1, 31, 11, 5));
    let end = ts(2026, 3, 1, 1, 5);
    let mut decisions = Vec::new();
    let mut low_balance_at: Option<Timestamp> = None;
    while clock.now() <= end {
        let now = clock.now();
        if now == ts(2026, 2, 3, 9, 5) {
            // The resize happens at 09:15; this hour's run comes first.
            env.run(now);
            env.store
                .write(|tx| {
                    cs_billing::meters::record_resize(
                        tx,
                        server,
                        large,
                        ts(2026, 2, 3, 9, 15),
                        "staff:alice",
                    )
                })
                .unwrap();
            clock.advance(Duration::hours(1));
            continue;
        }
        if now == ts(2026, 2, 6, 15, 5) {
            env.run(now);
            let paid = env.pay(org, "20.00", "BT-0002", ts(2026, 2, 6, 15, 10));
            assert_eq!(paid.balance.minor, 1_928, "-0.72 before the payment");
            for d in paid.decisions {
                assert_eq!(d.action, DunningAction::Unsuspend);
                assert_eq!(d.server_ids, vec![server]);
                env.store
                    .write(|tx| {
                        complete_decision(
                            tx,
                            d.id,
                            Outcome::Done,
                            ts(2026, 2, 6, 15, 12),
                            "system:provider",
                        )
                    })
                    .unwrap();
                decisions.push((d.action, d.decided_at));
            }
            assert_eq!(env.server_status(server), "offline");
            clock.advance(Duration::hours(1));
            continue;
        }
        if now == ts(2026, 2, 20, 17, 5) {
            env.delete(server, ts(2026, 2, 20, 16, 45));
        }
        let report = env.run(now);
        for d in report.decisions {
            env.store
                .write(|tx| complete_decision(tx, d.id, Outcome::Done, now, "system:provider"))
                .unwrap();
            decisions.push((d.action, d.decided_at));
        }
        if low_balance_at.is_none() {
            let notices = env
                .store
                .read(|c| {
                    cs_store::sync_outbox::since(
                        c,
                        0,
                        &[cs_store::sync_outbox::SyncKind::BillingNotice],
                    )
                })
                .unwrap();
            if notices
                .iter()
                .any(|n| n.payload.to_string().contains("low_balance"))
            {
                low_balance_at = Some(now);
            }
        }
        if now == ts(2026, 2, 5, 16, 5) {
            assert_eq!(env.server_status(server), "suspended");
        }
        clock.advance(Duration::hours(1));
    }

    // 0.50 is reached after 49 hours of February at 0.0075 (870 000 − 367 500 µ).
    assert_eq!(low_balance_at, Some(ts(2026, 2, 3, 1, 5)));
    // The wallet is empty after hour 14:00 of 4 February: grace starts at the
    // 15:05 run, suspension 24 hours later; the payment releases the server.
    assert_eq!(
        decisions,
        vec![
            (DunningAction::Suspend, ts(2026, 2, 5, 15, 5)),
            (DunningAction::Unsuspend, ts(2026, 2, 6, 15, 10))
        ]
    );

    let invoices = env.invoices(org);
    assert_eq!(invoices.len(), 2);
    let jan = &invoices[0];
    assert_eq!(jan.summary.number.as_deref(), Some("INV-2026-000001"));
    assert_eq!(jan.summary.month, Some(month_index(2026, 1)));
    assert_eq!(jan.lines.len(), 1);
    assert_eq!(
        (
            jan.lines[0].quantity_hours,
            jan.lines[0].amount_micros,
            jan.lines[0].amount_minor
        ),
        (Some(14), 105_000, 11)
    );
    assert_eq!(
        (
            jan.summary.subtotal_minor,
            jan.summary.tax_minor,
            jan.summary.total_minor
        ),
        (11, 2, 13)
    );
    assert_eq!(jan.usage_micros, Some(105_000));

    let feb = &invoices[1];
    assert_eq!(feb.summary.number.as_deref(), Some("INV-2026-000002"));
    type Line = (Option<i64>, Option<i64>, i64, i64, bool);
    let lines: Vec<Line> = feb
        .lines
        .iter()
        .map(|l| {
            (
                l.quantity_hours,
                l.unit_rate_micros,
                l.amount_micros,
                l.amount_minor,
                l.capped,
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            (Some(58), Some(7_500), 435_000, 44, false),
            (Some(415), Some(15_000), 6_225_000, 623, false)
        ]
    );
    assert_eq!(
        (
            feb.summary.subtotal_minor,
            feb.summary.tax_minor,
            feb.summary.total_minor
        ),
        (667, 127, 794)
    );
    assert_eq!(feb.tax_totals.len(), 1);
    assert_eq!(
        (
            feb.tax_totals[0].rate_ppm,
            feb.tax_totals[0].net_minor,
            feb.tax_totals[0].tax_minor
        ),
        (190_000, 667, 127)
    );
    assert!(
        feb.lines[0].description.contains("58 h × 0.0075 USD/h"),
        "{}",
        feb.lines[0].description
    );

    // 1.00 + 20.00 − 0.13 − 7.94, to the micro-unit: no rounding drift.
    assert_eq!(env.balance_micros(org), 12_930_000);
    let r = env.verify();
    assert_eq!(r.hours_billed, 14 + 58 + 415);
    // Nothing left to bill once deleted.
    assert_eq!(env.run(ts(2026, 3, 5, 0, 0)).billed.hours_billed, 0);
}

/// 744 hours of March at 0.0105 would be 7.812: the cap of 7.00 applies.
/// April is cut short by a deletion exactly on the hour.
#[test]
fn the_monthly_cap_applies_in_a_long_month() {
    let env = Env::new();
    let org = env.org("Capped Ltd", "US", None);
    let plan = env.plan("Small", "g6-small", "0.0105", "7.00");
    let server = env.server(org, plan, "db-1", ts(2026, 3, 1, 0, 0));
    env.run(ts(2026, 3, 15, 0, 0));
    env.run(ts(2026, 4, 1, 0, 5));
    env.delete(server, ts(2026, 4, 10, 0, 0));
    env.run(ts(2026, 5, 1, 0, 5));
    let inv = env.invoices(org);
    assert_eq!(inv.len(), 2);
    let l = &inv[0].lines[0];
    assert_eq!(
        (l.quantity_hours, l.amount_micros, l.amount_minor, l.capped),
        (Some(744), 7_000_000, 700, true)
    );
    assert!(
        l.description
            .contains("capped at the monthly price 7.00 USD"),
        "{}",
        l.description
    );
    let l = &inv[1].lines[0];
    assert_eq!(
        (l.quantity_hours, l.amount_micros, l.amount_minor, l.capped),
        (Some(216), 2_268_000, 227, false)
    );
    let capped: i64 = env
        .store
        .read(|c| {
            Ok::<_, cs_store::StoreError>(c.query_row(
                "SELECT capped_hours FROM usage_intervals ORDER BY month LIMIT 1",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    // 666 full hours, one cut to 7 000 µ, then 77 free hours.
    assert_eq!(capped, 78);
    assert_eq!(env.balance_micros(org), -(7_000_000 + 2_270_000));
    env.verify();
}

/// Three Nano servers of a new organization, created on 5 January at 08:00
/// and billed by a run every hour until 10 January 12:05 (124 hours each),
/// and the clock of those runs.
fn three_servers_billed_to_10_january(
    env: &Env,
    name: &str,
) -> (OrganizationId, Vec<ServerId>, FixedClock) {
    let org = env.org(name, "US", None);
    let plan = env.plan("Nano", "g6-nanode-1", "0.0075", "5.00");
    let servers: Vec<_> = (0..3)
        .map(|i| env.server(org, plan, &format!("s{i}"), ts(2026, 1, 5, 8, 0)))
        .collect();
    let clock = FixedClock::new(ts(2026, 1, 5, 9, 5));
    while clock.now() <= ts(2026, 1, 10, 12, 5) {
        env.run(clock.now());
        clock.advance(Duration::hours(1));
    }
    assert_eq!(env.verify().hours_billed, 3 * 124);
    (org, servers, clock)
}

/// The app was closed for 9 days: the next run bills every missed hour once,
/// reporting progress, and a second run finds nothing to do.
#[test]
fn catch_up_after_nine_days_closed() {
    let env = Env::new();
    let (org, servers, clock) = three_servers_billed_to_10_january(&env, "Sleepy Inc");
    // Closed for nine days.
    clock.set(ts(2026, 1, 19, 12, 20));
    let mut progress = Vec::new();
    let report = cs_billing::run_due(&env.store, clock.now(), &mut |p| progress.push(p)).unwrap();
    assert_eq!(report.billed.hours_billed, 3 * 9 * 24);
    assert_eq!(progress.len(), 1);
    assert_eq!((progress[0].meters_done, progress[0].meters_total), (3, 3));
    assert_eq!(progress[0].through, ts(2026, 1, 19, 12, 0));
    // Jan 5 08:00 to Jan 19 11:00 inclusive.
    assert_eq!(env.verify().hours_billed, 3 * 340);
    assert_eq!(env.balance_micros(org), -3 * 340 * 7_500);
    let again = env.run(ts(2026, 1, 19, 12, 40));
    assert_eq!(again.billed.hours_billed, 0);
    assert_eq!(servers.len(), 3);
}

/// The app was closed for over a month: the servers' last intervals are
/// older than the month before the run's (the run finds their watermarks one
/// by one, not in its windowed read), and every missed hour is billed once,
/// with each month's cap.
#[test]
fn catch_up_after_two_months_closed() {
    let env = Env::new();
    let (org, _, _) = three_servers_billed_to_10_january(&env, "Hibernating Ltd");
    // Closed from 10 January to 20 March.
    let report = env.run(ts(2026, 3, 20, 12, 20));
    // January 5 08:00 to 31 23:00 is 640 hours, February 672, March 1 00:00
    // to 20 11:00 468: 1 780 in all, 124 of them billed before.
    assert_eq!(report.billed.hours_billed, 3 * (1_780 - 124));
    assert_eq!(env.verify().hours_billed, 3 * 1_780);
    // January 640 × 0.0075 = 4.80; February capped at 5.00; March 3.51.
    assert_eq!(
        env.balance_micros(org),
        -3 * (4_800_000 + 5_000_000 + 3_510_000)
    );
    assert_eq!(env.run(ts(2026, 3, 20, 12, 40)).billed.hours_billed, 0);
    env.verify();
}

/// A markup price changes mid-month: new servers get it at once, the running
/// one keeps its price until the reseller applies the change.
#[test]
fn a_price_change_mid_month() {
    let env = Env::new();
    let org = env.org("Markup SA", "US", None);
    let plan = env.plan("Nano", "g6-nanode-1", "0.0075", "5.00");
    env.store
        .write(|tx| {
            set_provider_price(
                tx,
                "linode",
                "g6-nanode-1",
                Item::Server,
                None,
                Currency::USD,
                UnitPrice {
                    hourly_micros: 7_500,
                    monthly_micros: 5_000_000,
                },
                ts(2026, 1, 1, 0, 0),
            )?;
            add_price_rule(
                tx,
                &NewPriceRule {
                    plan_id: plan,
                    item: Item::Server,
                    region: None,
                    rule: PriceRule::Markup { markup_bp: 2_000 },
                    effective_from: ts(2026, 1, 1, 0, 0),
                },
                ts(2026, 1, 1, 0, 0),
                "staff:alice",
            )
        })
        .unwrap();
    let a = env.server(org, plan, "a", ts(2026, 3, 1, 0, 0));
    env.run(ts(2026, 3, 15, 11, 0));
    env.store
        .write(|tx| {
            add_price_rule(
                tx,
                &NewPriceRule {
                    plan_id: plan,
                    item: Item::Server,
                    region: None,
                    rule: PriceRule::Markup { markup_bp: 5_000 },
                    effective_from: ts(2026, 3, 15, 12, 0),
                },
                ts(2026, 3, 15, 11, 0),
                "staff:alice",
            )
        })
        .unwrap();
    let b = env.server(org, plan, "b", ts(2026, 3, 20, 0, 0));
    env.run(ts(2026, 3, 25, 6, 0));
    let pending = env
        .store
        .read(|c| pending_price_changes(c, ts(2026, 3, 25, 6, 30)))
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].server_id, a);
    assert_eq!(
        pending[0].billed,
        UnitPrice {
            hourly_micros: 9_000,
            monthly_micros: 6_000_000
        }
    );
    assert_eq!(
        pending[0].current,
        UnitPrice {
            hourly_micros: 11_250,
            monthly_micros: 7_500_000
        }
    );
    let applied = env
        .store
        .write(|tx| apply_price_changes(tx, ts(2026, 3, 25, 6, 30), "staff:alice"))
        .unwrap();
    assert_eq!(applied.len(), 1);
    env.run(ts(2026, 4, 1, 0, 5));
    let inv = &env.invoices(org)[0];
    let lines: Vec<(String, Option<i64>, Option<i64>, i64)> = inv
        .lines
        .iter()
        .map(|l| {
            (
                l.server_id.clone().unwrap(),
                l.quantity_hours,
                l.unit_rate_micros,
                l.amount_minor,
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            (a.to_string(), Some(583), Some(9_000), 525),
            (a.to_string(), Some(161), Some(11_250), 181),
            (b.to_string(), Some(288), Some(11_250), 324),
        ]
    );
    assert_eq!(inv.summary.total_minor, 1_030);
    env.verify();
}

/// Two connections (two processes) run the same catch-up at the same time:
/// every hour is charged once.
#[test]
fn two_processes_never_double_charge() {
    let env = Env::new();
    let org = env.org("Twins", "US", None);
    let plan = env.plan("Nano", "g6-nanode-1", "0.0075", "5.00");
    for i in 0..40 {
        env.server(org, plan, &format!("t{i}"), ts(2026, 1, 1, 0, 0));
    }
    let second = cs_billing::SecondConnection::open(&env.path()).unwrap();
    let now = ts(2026, 2, 10, 0, 30);
    std::thread::scope(|s| {
        let a = s.spawn(|| cs_billing::run_due(&env.store, now, &mut |_| {}).unwrap());
        let b = s.spawn(|| cs_billing::run_due(&second, now, &mut |_| {}).unwrap());
        let (a, b) = (a.join().unwrap(), b.join().unwrap());
        assert_eq!(
            a.billed.hours_billed + b.billed.hours_billed,
            40 * (31 + 9) * 24
        );
        assert_eq!(
            a.invoices.len() + b.invoices.len(),
            1,
            "January's invoice is issued once"
        );
    });
    let r = env.verify();
    assert_eq!(r.hours_billed, 40 * 40 * 24);
    // January is capped? 744 h × 0.0075 = 5.58 > 5.00: yes, 5.00 each.
    let inv = &env.invoices(org)[0];
    assert_eq!(inv.summary.subtotal_minor, 40 * 500);
    assert_eq!(
        env.balance_micros(org),
        -(40 * 5_000_000 + 40 * 9 * 24 * 7_500)
    );
}

/// Servers the app inserted or deleted without telling billing are picked up
/// from the servers table; a server that failed to provision is not billed.
#[test]
fn meters_follow_the_servers_table() {
    let env = Env::new();
    let org = env.org("Quiet", "US", None);
    let plan = env.plan("Nano", "g6-nanode-1", "0.0075", "5.00");
    let s = env.server_with(
        org,
        plan,
        "quiet-1",
        ts(2026, 1, 1, 10, 30),
        cs_core::ServerStatus::Running,
        false,
    );
    env.server_with(
        org,
        plan,
        "broken",
        ts(2026, 1, 1, 10, 30),
        cs_core::ServerStatus::Failed,
        false,
    );
    let r = env.run(ts(2026, 1, 1, 12, 0));
    assert_eq!((r.meters_opened, r.billed.hours_billed), (1, 2));
    env.store
        .write(|tx| {
            cs_store::servers::mark_deleted(tx, s, ts(2026, 1, 2, 0, 15))
                .map_err(cs_store::StoreError::from)
        })
        .unwrap();
    let r = env.run(ts(2026, 1, 3, 0, 0));
    assert_eq!((r.meters_closed, r.billed.hours_billed), (1, 13));
    assert_eq!(env.verify().hours_billed, 15);
    assert_eq!(env.run(ts(2026, 1, 4, 0, 0)).billed.hours_billed, 0);
    // Recorded before creation, then the provider fails to build it: as the
    // app does, status failed and deleted_at set. Nothing is charged.
    let f = env.server_with(
        org,
        plan,
        "never-built",
        ts(2026, 1, 4, 0, 10),
        cs_core::ServerStatus::Provisioning,
        false,
    );
    assert_eq!(
        env.run(ts(2026, 1, 4, 0, 30)).meters_opened,
        1,
        "provisioning servers are metered"
    );
    env.store
        .write(|tx| {
            let mut s = cs_store::servers::get(tx, f)?.expect("the server exists");
            let at = ts(2026, 1, 4, 0, 12);
            s.status = cs_core::ServerStatus::Failed;
            s.deleted_at = Some(at);
            s.updated_at = at;
            cs_store::servers::update(tx, &s).map_err(cs_store::StoreError::from)
        })
        .unwrap();
    let r = env.run(ts(2026, 1, 4, 3, 0));
    assert_eq!(
        (r.meters_opened, r.meters_closed, r.billed.hours_billed),
        (0, 1, 0)
    );
    assert_eq!(env.verify().hours_billed, 15);
}

/// The run prices hours with the copy of each meter's latest price kept on
/// its row (migration 0011). A resize recorded twice for the same next hour
/// (the second replaces the first) must leave the copy at the second, and
/// the hour billed before it keeps the old rate (the run reads every price
/// when the latest starts after the hour it bills).
#[test]
fn a_resize_replaced_before_its_hour_bills_the_last_plan() {
    use cs_core::metering::hour_of;
    let env = Env::new();
    let org = env.org("Copy GmbH", "US", None);
    let small = env.plan("Nano", "g6-nanode-1", "0.0075", "5.00");
    let large = env.plan("Standard", "g6-standard-1", "0.015", "10.00");
    let xl = env.plan("Standard 2", "g6-standard-2", "0.03", "20.00");
    let server = env.server(org, small, "copy-1", ts(2026, 5, 1, 0, 0));
    env.run(ts(2026, 5, 1, 2, 5));
    env.store
        .write(|tx| {
            cs_billing::meters::record_resize(
                tx,
                server,
                large,
                ts(2026, 5, 1, 2, 20),
                "staff:alice",
            )
        })
        .unwrap();
    env.store
        .write(|tx| {
            cs_billing::meters::record_resize(tx, server, xl, ts(2026, 5, 1, 2, 40), "staff:alice")
        })
        .unwrap();
    let copy = |env: &Env| -> (i64, i64, i64) {
        env.store
            .read(|c| {
                Ok::<_, cs_store::StoreError>(c.query_row(
                    "SELECT price_from_hour, hourly_micros, monthly_micros FROM billing_meters WHERE server_id = ?1",
                    [server.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?)
            })
            .unwrap()
    };
    assert_eq!(
        copy(&env),
        (hour_of(ts(2026, 5, 1, 3, 0)), 30_000, 20_000_000)
    );
    env.verify();
    // Hours 2 (small) and 3..=5 (xl) in one run.
    env.run(ts(2026, 5, 1, 6, 5));
    let intervals: Vec<(i64, i64, i64, i64)> = env
        .store
        .read(|c| {
            let mut s = c.prepare("SELECT price_from_hour, hourly_micros, hours, amount_micros FROM usage_intervals ORDER BY price_from_hour")?;
            let rows = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok::<_, cs_store::StoreError>(rows)
        })
        .unwrap();
    assert_eq!(
        intervals,
        vec![
            (hour_of(ts(2026, 5, 1, 0, 0)), 7_500, 3, 22_500),
            (hour_of(ts(2026, 5, 1, 3, 0)), 30_000, 3, 90_000)
        ]
    );
    assert_eq!(env.balance_micros(org), -112_500);
    env.verify();
}
