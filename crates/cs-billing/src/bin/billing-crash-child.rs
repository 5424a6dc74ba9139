//! The crash-test child: bills many hours of many servers in a loop on the
//! database given as its argument, until killed. Each step applies a few
//! random events (new servers, deletions, resizes, payments, adjustments) and
//! advances a simulated clock — in one transaction, with the step counter, so
//! a step happens exactly once whatever the kill — then runs billing in small
//! chunks. `cargo xtask crash-test` kills it with SIGKILL at random moments
//! and checks every invariant after each kill.
//!
//! Usage: `billing-crash-child <db-file>`

use std::process::ExitCode;

use chrono::{Duration, TimeZone, Utc};
use cs_billing::dunning::{complete_decision, pending_decisions, Outcome};
use cs_billing::prices::{add_price_rule, Item, NewPriceRule};
use cs_billing::wallet::{
    record_adjustment, record_payment, NewAdjustment, NewPayment, PaymentMethod,
};
use cs_billing::{BillingError, BillingSettings};
use cs_core::pricing::PriceRule;
use cs_core::{
    Currency, Money, Organization, OrganizationId, Plan, PlanId, ProviderKind, Rate, Role, Server,
    ServerId, ServerStatus, Timestamp, User, UserId,
};
use cs_store::{fmt_ts, parse_ts, Store};
use rusqlite::Connection;

const ORGS: u128 = 20;
const FIRST_SERVERS: u64 = 200;

/// A tiny deterministic generator: the events of step `n` are the same on
/// every attempt, so a step that was rolled back is replayed identically.
struct Lcg(u64);

impl Lcg {
    fn new(seed: u64) -> Lcg {
        Lcg(seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407)
            | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn org_id(i: u128) -> OrganizationId {
    OrganizationId(uuid::Uuid::from_u128(0x0a00_0000_0000_0000 + i))
}

fn plan_id(i: u128) -> PlanId {
    PlanId(uuid::Uuid::from_u128(0x0b00_0000_0000_0000 + i))
}

fn insert_server(
    conn: &Connection,
    n: u64,
    org: OrganizationId,
    plan: PlanId,
    at: Timestamp,
) -> Result<(), BillingError> {
    let id = ServerId(uuid::Uuid::from_u128(0x0c00_0000_0000_0000 + u128::from(n)));
    cs_store::servers::insert(
        conn,
        &Server {
            id,
            organization_id: org,
            plan_id: plan,
            label: format!("crash-{n}"),
            provider: ProviderKind::Sandbox,
            provider_id: None,
            provider_type: "sb".into(),
            region: "eu".into(),
            image: "debian".into(),
            status: ServerStatus::Running,
            ipv4: None,
            ipv6: None,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        },
    )?;
    cs_billing::meters::open_server(conn, id, at)?;
    Ok(())
}

fn setup(conn: &Connection) -> Result<(), BillingError> {
    if cs_store::settings::get(conn, "crashsim.step")?.is_some() {
        return Ok(());
    }
    let start = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let mut s = BillingSettings::load(conn)?;
    s.grace_hours = 12;
    s.terminate_after_days = 5;
    s.low_balance_threshold_minor = 500;
    s.save(conn)?;
    cs_billing::documents::set_tax_rate(conn, "DE", None, "USt 19%", 190_000)?;
    for i in 0..ORGS {
        let country = ["DE", "FR", "US"][(i % 3) as usize];
        let tax_id = if i % 4 == 1 {
            Some(format!("{country}{i:09}"))
        } else {
            None
        };
        let org = Organization {
            id: org_id(i),
            name: format!("Org {i}"),
            country: country.into(),
            tax_id,
            created_at: start,
            updated_at: start,
        };
        let contact = User {
            id: UserId(uuid::Uuid::from_u128(0x0d00_0000_0000_0000 + i)),
            organization_id: Some(org.id),
            name: format!("Contact {i}"),
            email: format!("billing{i}@crash.example"),
            role: Role::OrgAdmin,
            created_at: start,
        };
        cs_store::orgs::insert(conn, &org, &contact)?;
    }
    for (i, (hourly, monthly)) in [(7_500i64, 500i64), (36_100, 2_400)]
        .into_iter()
        .enumerate()
    {
        cs_store::plans::insert(
            conn,
            &Plan {
                id: plan_id(i as u128),
                name: format!("Plan {i}"),
                provider: ProviderKind::Sandbox,
                provider_type: "sb".into(),
                regions: vec![],
                monthly: Money::new(monthly, Currency::USD),
                hourly: Rate::new(hourly, Currency::USD),
                active: true,
                created_at: start,
                updated_at: start,
            },
        )?;
    }
    add_price_rule(
        conn,
        &NewPriceRule {
            plan_id: plan_id(1),
            item: Item::Backups,
            region: None,
            rule: PriceRule::Fixed {
                hourly_micros: 7_220,
                monthly_micros: 4_800_000,
            },
            effective_from: start,
        },
        start,
        "system:crash",
    )?;
    for n in 0..FIRST_SERVERS {
        insert_server(
            conn,
            n,
            org_id(u128::from(n) % ORGS),
            plan_id(u128::from(n % 2)),
            start,
        )?;
    }
    cs_store::settings::set(conn, "crashsim.now", &fmt_ts(&start))?;
    cs_store::settings::set(conn, "crashsim.step", "0")?;
    Ok(())
}

/// The live server at position `r` (modulo their number) in id order.
fn live_server(conn: &Connection, r: u64) -> Result<Option<ServerId>, BillingError> {
    let mut live: Vec<ServerId> = cs_store::servers::list(conn)?
        .into_iter()
        .filter(|s| s.deleted_at.is_none())
        .map(|s| s.id)
        .collect();
    if live.is_empty() {
        return Ok(None);
    }
    live.sort_by_key(|id| id.to_string());
    Ok(Some(live[(r % live.len() as u64) as usize]))
}

/// Applies step `step` and moves the simulated clock, in the caller's transaction.
fn apply_step(conn: &Connection, step: u64, now: Timestamp) -> Result<Timestamp, BillingError> {
    let mut rng = Lcg::new(step);
    let now = now + Duration::minutes(60 + rng.below(36 * 60) as i64);
    let actor = "system:crash";
    if rng.below(10) < 3 {
        insert_server(
            conn,
            FIRST_SERVERS + step,
            org_id(u128::from(rng.below(ORGS as u64))),
            plan_id(u128::from(rng.below(2))),
            now,
        )?;
    }
    if rng.below(10) < 2 {
        if let Some(s) = live_server(conn, rng.next())? {
            cs_store::servers::mark_deleted(conn, s, now)?;
            cs_billing::meters::close_server(conn, s, now)?;
        }
    }
    if rng.below(10) < 2 {
        if let Some(s) = live_server(conn, rng.next())? {
            match cs_billing::meters::record_resize(
                conn,
                s,
                plan_id(u128::from(rng.below(2))),
                now,
                actor,
            ) {
                // Plan 0 cannot price backups: refused, nothing written.
                Ok(())
                | Err(
                    BillingError::NoPrice { .. }
                    | BillingError::NotMetered { .. }
                    | BillingError::AlreadyBilled { .. },
                ) => {}
                Err(e) => return Err(e),
            }
        }
    }
    if rng.below(10) < 1 {
        if let Some(s) = live_server(conn, rng.next())? {
            match cs_billing::meters::enable_addon(conn, s, Item::Backups, 0, now, actor) {
                Ok(_) | Err(BillingError::NoPrice { .. }) => {}
                Err(e) => return Err(e),
            }
        }
    }
    if rng.below(10) < 4 {
        let p = NewPayment {
            organization_id: org_id(u128::from(rng.below(ORGS as u64))),
            amount: Money::new(100 + rng.below(6_000) as i64, Currency::USD),
            method: PaymentMethod::BankTransfer,
            reference: format!("P{step}"),
            note: None,
        };
        record_payment(conn, &p, now, actor)?;
    }
    if rng.below(10) < 1 {
        let a = NewAdjustment {
            organization_id: org_id(u128::from(rng.below(ORGS as u64))),
            amount: Money::new(rng.below(2_000) as i64 - 1_000, Currency::USD),
            reason: "crash test".into(),
            key: format!("A{step}"),
        };
        if a.amount.minor != 0 {
            record_adjustment(conn, &a, now, actor)?;
        }
    }
    cs_store::settings::set(conn, "crashsim.now", &fmt_ts(&now))?;
    cs_store::settings::set(conn, "crashsim.step", &(step + 1).to_string())?;
    Ok(now)
}

fn run(path: &str) -> Result<(), BillingError> {
    let store = Store::open(std::path::Path::new(path))?;
    store.write(|tx| setup(tx))?;
    loop {
        let now = store.write(|conn| {
            let step: u64 = cs_store::settings::get(conn, "crashsim.step")?
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let now =
                parse_ts(&cs_store::settings::get(conn, "crashsim.now")?.unwrap_or_default())?;
            apply_step(conn, step, now)
        })?;
        cs_billing::run_due_chunked(&store, now, 37, &mut |_| {})?;
        let pending = store.read(pending_decisions)?;
        for d in pending {
            store.write(|c| complete_decision(c, d.id, Outcome::Done, now, "system:crash"))?;
        }
    }
}

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: billing-crash-child <db-file>");
        return ExitCode::from(2);
    };
    match run(&path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("billing-crash-child: {e}");
            ExitCode::FAILURE
        }
    }
}
