//! Prices through the façade: the price table per region, versions, pending
//! changes applied to running servers from the next hour (exact charges
//! before and after), add-ons switched on a server and invoiced on their own
//! lines, and the progress of a long billing catch-up.

use chrono::Duration;
use cs_app::dto::*;

use crate::TestApp;

fn markup(item: &str, region: Option<&str>, percent: &str) -> PriceVersionInput {
    PriceVersionInput {
        item: item.into(),
        region: region.map(str::to_string),
        mode: "markup".into(),
        markup_percent: Some(percent.into()),
        hourly_price: None,
        monthly_price: None,
        effective_from: None,
    }
}

fn fixed(item: &str, hourly: &str, monthly: &str) -> PriceVersionInput {
    PriceVersionInput {
        item: item.into(),
        region: None,
        mode: "fixed".into(),
        markup_percent: None,
        hourly_price: Some(hourly.into()),
        monthly_price: Some(monthly.into()),
        effective_from: None,
    }
}

fn row<'a>(p: &'a PlanPricingDto, item: &str, region: &str) -> &'a RegionPricingDto {
    p.items
        .iter()
        .find(|i| i.item == item)
        .unwrap()
        .regions
        .iter()
        .find(|r| r.region == region)
        .unwrap()
}

fn price(u: &Option<UnitPriceDto>) -> (String, String) {
    let u = u.as_ref().expect("a price");
    (u.hourly.amount.clone(), u.monthly.amount.clone())
}

fn pair(h: &str, m: &str) -> (String, String) {
    (h.to_string(), m.to_string())
}

fn fields(e: cs_app::AppError) -> Vec<String> {
    e.to_dto().fields.into_iter().map(|f| f.field).collect()
}

#[tokio::test]
async fn the_price_table_shows_provider_rule_and_customer_price_per_region() {
    let t = TestApp::new();
    let plan = t.plan("Starter").await;
    let p = t.app.plan_pricing(&plan.id).await.unwrap();
    // Sandbox sb-small: 12.00 / 0.018 in London, 20 % more in Singapore.
    assert_eq!(
        price(&row(&p, "server", "eu-west").provider_price),
        pair("0.018", "12.00")
    );
    assert_eq!(
        price(&row(&p, "server", "ap-south").provider_price),
        pair("0.0216", "14.40")
    );
    assert_eq!(row(&p, "server", "eu-west").rule_scope, "plan");
    assert_eq!(
        price(&row(&p, "server", "eu-west").customer_price),
        pair("0.0225", "15.00"),
        "no rule: the plan's own price"
    );
    assert_eq!(
        price(&row(&p, "backups", "eu-west").provider_price),
        pair("0.0036", "2.40")
    );
    assert!(row(&p, "backups", "eu-west").customer_price.is_none());
    assert!(row(&p, "backups", "eu-west")
        .problem
        .as_deref()
        .unwrap()
        .contains("no backups price"));
    assert!(
        !p.items
            .iter()
            .find(|i| i.item == "ipv4")
            .unwrap()
            .provider_priced
    );

    // +25 % everywhere, +50 % in Singapore.
    t.app
        .add_price_version(&plan.id, markup("server", None, "25"))
        .await
        .unwrap();
    let p = t
        .app
        .add_price_version(&plan.id, markup("server", Some("ap-south"), "50"))
        .await
        .unwrap();
    let eu = row(&p, "server", "eu-west");
    assert_eq!(
        (
            eu.rule_scope.as_str(),
            eu.rule.as_ref().unwrap().markup_percent.as_deref()
        ),
        ("default", Some("25"))
    );
    assert_eq!(price(&eu.customer_price), pair("0.0225", "15.00"));
    let sg = row(&p, "server", "ap-south");
    assert_eq!(
        (
            sg.rule_scope.as_str(),
            sg.rule.as_ref().unwrap().markup_percent.as_deref()
        ),
        ("region", Some("50"))
    );
    assert_eq!(price(&sg.customer_price), pair("0.0324", "21.60"));
    let p = t
        .app
        .add_price_version(&plan.id, markup("backups", None, "100"))
        .await
        .unwrap();
    assert_eq!(
        price(&row(&p, "backups", "ap-south").customer_price),
        pair("0.0072", "4.80")
    );

    // A version scheduled for later shows as such and changes nothing now.
    let later = (cs_core::Clock::now(&*t.clock) + Duration::days(2)).to_rfc3339();
    let p = t
        .app
        .add_price_version(
            &plan.id,
            PriceVersionInput {
                effective_from: Some(later),
                ..fixed("server", "0.03", "20.00")
            },
        )
        .await
        .unwrap();
    let statuses: Vec<(&str, &str)> = p
        .versions
        .iter()
        .map(|v| (v.rule.mode.as_str(), v.status.as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("fixed", "scheduled"),
            ("markup", "active"),
            ("markup", "active"),
            ("markup", "active")
        ]
    );
    assert_eq!(
        price(&row(&p, "server", "eu-west").customer_price),
        pair("0.0225", "15.00")
    );
    t.clock.advance(Duration::days(2));
    let p = t.app.plan_pricing(&plan.id).await.unwrap();
    assert_eq!(
        price(&row(&p, "server", "eu-west").customer_price),
        pair("0.03", "20.00")
    );
    assert_eq!(
        price(&row(&p, "server", "ap-south").customer_price),
        pair("0.0324", "21.60"),
        "the region's own rule still wins"
    );
    assert_eq!(
        p.versions
            .iter()
            .filter(|v| v.status == "superseded")
            .count(),
        1
    );

    // Bad input names its field and writes nothing.
    let before = t.table_count("price_rules");
    assert_eq!(
        fields(
            t.app
                .add_price_version(&plan.id, markup("server", None, "1000.5"))
                .await
                .unwrap_err()
        ),
        ["markupPercent"]
    );
    assert_eq!(
        fields(
            t.app
                .add_price_version(&plan.id, markup("server", None, "-100"))
                .await
                .unwrap_err()
        ),
        ["markupPercent"]
    );
    assert_eq!(
        fields(
            t.app
                .add_price_version(&plan.id, fixed("server", "0", "0.00"))
                .await
                .unwrap_err()
        ),
        ["hourlyPrice", "monthlyPrice"]
    );
    assert_eq!(
        fields(
            t.app
                .add_price_version(&plan.id, markup("server", Some("us-east"), "10"))
                .await
                .unwrap_err()
        ),
        ["region"]
    );
    assert_eq!(
        fields(
            t.app
                .add_price_version(&plan.id, markup("ipv4", None, "10"))
                .await
                .unwrap_err()
        ),
        ["mode"]
    );
    let past = (cs_core::Clock::now(&*t.clock) - Duration::hours(1)).to_rfc3339();
    assert_eq!(
        fields(
            t.app
                .add_price_version(
                    &plan.id,
                    PriceVersionInput {
                        effective_from: Some(past),
                        ..markup("server", None, "10")
                    }
                )
                .await
                .unwrap_err()
        ),
        ["effectiveFrom"]
    );
    assert_eq!(t.table_count("price_rules"), before);
}

#[tokio::test]
async fn a_new_price_reaches_running_servers_only_when_applied_from_the_next_hour() {
    let t = TestApp::new();
    let org = t.customer("Acme Hosting", "ops@acme.example");
    let plan = t.plan("Starter").await;
    t.app
        .record_payment(PaymentInput {
            organization_id: org.id.clone(),
            amount: "100.00".into(),
            method: "cash".into(),
            reference: "C-1".into(),
            note: None,
        })
        .await
        .unwrap();
    t.app
        .add_price_version(&plan.id, fixed("server", "0.05", "30.00"))
        .await
        .unwrap();
    // Created 31 January 10:30.
    let s = t
        .app
        .create_server(t.server_input(&org, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    t.tick().await;
    t.tick().await;
    let balance = |t: &TestApp| t.app.get_wallet(&org.id).unwrap().wallet.balance.amount;
    // 12:05: hours 10 and 11 at 0.05.
    t.clock.advance(Duration::minutes(95) - crate::step() * 2);
    assert_eq!(t.app.run_billing().await.unwrap().hours_billed, "2");
    assert_eq!(balance(&t), "99.90");
    assert_eq!(t.app.pending_price_changes(None).unwrap().servers, 0);

    // A new price now: the running server keeps 0.05 until it is applied.
    let p = t
        .app
        .add_price_version(&plan.id, fixed("server", "0.10", "60.00"))
        .await
        .unwrap();
    assert_eq!(p.pending.servers, 1);
    let pending = t.app.pending_price_changes(Some(plan.id.clone())).unwrap();
    assert_eq!(pending.servers, 1);
    let c = &pending.changes[0];
    assert_eq!(
        (
            c.server_label.as_str(),
            c.organization_name.as_str(),
            c.item.as_str()
        ),
        ("web-1", "Acme Hosting", "server")
    );
    assert_eq!(
        (
            c.billed.hourly.amount.as_str(),
            c.current.hourly.amount.as_str()
        ),
        ("0.05", "0.10")
    );
    assert_eq!(c.from, "2026-01-31T13:00:00.000Z");
    // 13:05: hour 12 still at 0.05.
    t.clock.advance(Duration::hours(1));
    t.app.run_billing().await.unwrap();
    assert_eq!(balance(&t), "99.85");
    let applied = t.app.apply_price_changes(Some(plan.id.clone())).unwrap();
    assert_eq!(
        (applied.servers, applied.changes, applied.from.as_str()),
        (1, 1, "2026-01-31T14:00:00.000Z")
    );
    assert_eq!(t.app.pending_price_changes(None).unwrap().servers, 0);
    assert_eq!(
        t.app.apply_price_changes(None).unwrap_err().code(),
        "conflict",
        "nothing left to apply"
    );
    // 15:05: hour 13 at 0.05 (started before the change), hour 14 at 0.10.
    t.clock.advance(Duration::hours(2));
    assert_eq!(t.app.run_billing().await.unwrap().hours_billed, "2");
    assert_eq!(balance(&t), "99.70");
    let log = t.app.list_activity(50, None).unwrap();
    assert!(log.iter().any(|a| a.action == "plan.prices_applied"
        && a.summary
            .contains("1 running server(s) of plan Starter from 2026-01-31T14:00:00.000Z")));
    assert!(log
        .iter()
        .any(|a| a.action == "price.applied" && a.subject_id.as_deref() == Some(s.id.as_str())));
}

#[tokio::test]
async fn add_ons_switch_at_the_provider_and_bill_on_their_own_invoice_lines() {
    let t = TestApp::new();
    let org = t.customer("Acme Hosting", "ops@acme.example");
    let plan = t.plan("Starter").await;
    t.app
        .record_payment(PaymentInput {
            organization_id: org.id.clone(),
            amount: "100.00".into(),
            method: "cash".into(),
            reference: "C-1".into(),
            note: None,
        })
        .await
        .unwrap();
    t.app
        .add_price_version(&plan.id, fixed("server", "0.05", "30.00"))
        .await
        .unwrap();
    let s = t
        .app
        .create_server(t.server_input(&org, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    t.tick().await;
    t.tick().await;
    let s = t.app.get_server(&s.id).unwrap().server;

    // No price for backups yet: refused, nothing at the provider.
    let addons = t.app.server_addons(&s.id).unwrap();
    assert_eq!(
        addons
            .iter()
            .map(|a| (a.item.as_str(), a.enabled, a.at_provider))
            .collect::<Vec<_>>(),
        [("backups", false, true), ("ipv4", false, false)]
    );
    assert!(addons[1].note.contains("Billing only"));
    let err = t
        .app
        .set_server_addon(&s.id, "backups", true)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no backups price"), "{err}");
    use cs_provider::Provider;
    let pid = s.provider_id.clone().unwrap();
    assert!(
        !t.app
            .sandbox()
            .get_instance(&pid)
            .await
            .unwrap()
            .backups_enabled
    );

    t.app
        .add_price_version(&plan.id, fixed("backups", "0.01", "5.00"))
        .await
        .unwrap();
    t.app
        .add_price_version(&plan.id, fixed("ipv4", "0.005", "2.00"))
        .await
        .unwrap();
    // 10:30: both on, billed from 11:00.
    let addons = t
        .app
        .set_server_addon(&s.id, "backups", true)
        .await
        .unwrap();
    assert_eq!(
        (addons[0].enabled, addons[0].billed_from.as_deref()),
        (true, Some("2026-01-31T11:00:00.000Z"))
    );
    assert!(
        t.app
            .sandbox()
            .get_instance(&pid)
            .await
            .unwrap()
            .backups_enabled,
        "enabled at the provider"
    );
    t.app.set_server_addon(&s.id, "ipv4", true).await.unwrap();
    assert_eq!(
        t.app
            .set_server_addon(&s.id, "ipv4", true)
            .await
            .unwrap_err()
            .code(),
        "conflict"
    );
    // 20:10: the IPv4 off (hour 20 had started: billed).
    t.clock.advance(Duration::minutes(580));
    let addons = t.app.set_server_addon(&s.id, "ipv4", false).await.unwrap();
    assert!(!addons[1].enabled);
    // 1 February 01:05: January is over and invoiced.
    t.clock.advance(Duration::minutes(295));
    t.app.run_billing().await.unwrap();
    let docs = t
        .app
        .list_documents(DocumentFilterInput {
            organization_id: Some(org.id.clone()),
            kind: Some("invoice".into()),
            period: Some("2026-01".into()),
        })
        .unwrap();
    assert_eq!(docs.len(), 1);
    let inv = t.app.get_document(&docs[0].id).unwrap();
    let lines: Vec<(String, Option<String>, String)> = inv
        .lines
        .iter()
        .map(|l| {
            (
                l.description.clone(),
                l.hours.clone(),
                l.amount.amount.clone(),
            )
        })
        .collect();
    // Server 10:00–23:59 = 14 h × 0.05; backups 11–23 = 13 h × 0.01; IPv4 11–20 = 10 h × 0.005.
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines.iter().any(|(d, h, a)| d.contains("web-1")
            && !d.contains("backups")
            && !d.contains("IPv4")
            && h.as_deref() == Some("14")
            && a == "0.70"),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|(d, h, a)| d.contains("backups") && h.as_deref() == Some("13") && a == "0.13"),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|(d, h, a)| d.contains("IPv4") && h.as_deref() == Some("10") && a == "0.05"),
        "{lines:?}"
    );
    assert_eq!(inv.summary.subtotal.amount, "0.88");

    // Backups off: cancelled at the provider too.
    t.app
        .set_server_addon(&s.id, "backups", false)
        .await
        .unwrap();
    assert!(
        !t.app
            .sandbox()
            .get_instance(&pid)
            .await
            .unwrap()
            .backups_enabled
    );
}

/// A resize to a plan that cannot price an add-on the server has is refused
/// before the provider is asked, and nothing changes: the server stays on its
/// plan and type, and every meter keeps its price (it once committed with the
/// server meter on the new price and the add-on's on the old one).
#[tokio::test]
async fn a_resize_to_a_plan_without_a_price_for_an_add_on_is_refused_and_changes_nothing() {
    let t = TestApp::new();
    let org = t.customer("Acme Hosting", "ops@acme.example");
    let plan = t.plan("Starter").await;
    let bigger = t
        .app
        .create_plan(PlanInput {
            name: "Bigger".into(),
            provider: "sandbox".into(),
            provider_type: "sb-medium".into(),
            regions: vec!["eu-west".into(), "ap-south".into()],
            monthly_price: "30.00".into(),
            hourly_price: "0.045".into(),
        })
        .await
        .unwrap();
    t.app
        .add_price_version(&plan.id, fixed("backups", "0.01", "5.00"))
        .await
        .unwrap();
    let s = t
        .app
        .create_server(t.server_input(&org, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    t.tick().await;
    t.tick().await;
    // 12:05: billed through 11:00, so the server's meter is open.
    t.clock.advance(Duration::minutes(95) - crate::step() * 2);
    t.app.run_billing().await.unwrap();
    t.app
        .set_server_addon(&s.id, "backups", true)
        .await
        .unwrap();
    let prices_before = t.table_count("meter_prices");

    let err = t.app.resize_server(&s.id, &bigger.id).await.unwrap_err();
    assert_eq!(err.code(), "validation", "{err}");
    let dto = err.to_dto();
    assert_eq!(
        dto.fields
            .iter()
            .map(|f| f.field.as_str())
            .collect::<Vec<_>>(),
        ["planId"]
    );
    let message = dto.message;
    assert!(
        message.contains("Bigger") && message.contains("backups"),
        "{message}"
    );

    let after = t.app.get_server(&s.id).unwrap().server;
    assert_eq!(
        (
            after.plan_id.as_str(),
            after.provider_type.as_str(),
            after.status.as_str()
        ),
        (plan.id.as_str(), "sb-small", "running")
    );
    use cs_provider::Provider;
    let instance = t
        .app
        .sandbox()
        .get_instance(after.provider_id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(
        instance.instance_type, "sb-small",
        "the provider was not asked"
    );
    assert_eq!(
        t.table_count("meter_prices"),
        prices_before,
        "no meter got a new price"
    );
    assert!(!t
        .app
        .list_activity(50, Some(s.id.clone()))
        .unwrap()
        .iter()
        .any(|a| a.action == "server.resized" || a.action == "billing.resized"));
}

#[tokio::test]
async fn a_long_catch_up_reports_its_progress_in_hours() {
    let t = TestApp::new();
    let org = t.customer("Acme Hosting", "ops@acme.example");
    let plan = t.plan("Starter").await;
    t.app
        .record_payment(PaymentInput {
            organization_id: org.id.clone(),
            amount: "100.00".into(),
            method: "cash".into(),
            reference: "C-1".into(),
            note: None,
        })
        .await
        .unwrap();
    t.app
        .add_price_version(&plan.id, fixed("server", "0.05", "30.00"))
        .await
        .unwrap();
    t.app
        .create_server(t.server_input(&org, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    t.tick().await;
    t.tick().await;
    t.clock.advance(Duration::minutes(95) - crate::step() * 2);
    assert_eq!(t.app.run_billing().await.unwrap().hours_billed, "2");
    assert!(
        t.events.progress.lock().unwrap().is_empty(),
        "a normal run is no catch-up"
    );
    // Closed for nine days.
    t.clock.advance(Duration::days(9));
    let run = t.app.run_billing().await.unwrap();
    assert_eq!(run.error, None);
    assert_eq!(
        run.hours_billed, "216",
        "every missed hour once, the steps included"
    );
    let progress = t.events.progress.lock().unwrap().clone();
    let done: Vec<u32> = progress.iter().map(|p| p.hours_done).collect();
    assert_eq!(done, [0, 24, 48, 72, 96, 120, 144, 168, 192, 216]);
    assert!(progress.iter().all(|p| p.hours_total == 216));
    assert_eq!(progress.iter().filter(|p| p.done).count(), 1);
    assert!(progress.last().unwrap().done);
    assert_eq!(progress[1].through, "2026-02-01T12:00:00.000Z");
    // 218 hours at 0.05.
    assert_eq!(
        t.app.get_wallet(&org.id).unwrap().wallet.balance.amount,
        "89.10"
    );
    assert_eq!(t.app.run_billing().await.unwrap().hours_billed, "0");
}
