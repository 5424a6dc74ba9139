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
use cs_core::{Currency, Money, OrganizationId, PlanId, ServerId, Timestamp};
use cs_store::{fmt_ts, parse_ts, Store};
use rusqlite::{params, Connection, OptionalExtension};

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
    conn.execute(
        "INSERT INTO servers (id, organization_id, plan_id, label, provider, provider_id, provider_type, region, image, status, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'sandbox', NULL, 'sb', 'eu', 'debian', 'running', ?5, ?5)",
        params![id.to_string(), org.to_string(), plan.to_string(), format!("crash-{n}"), fmt_ts(&at)],
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
        conn.execute(
            "INSERT INTO organizations (id, name, name_key, country, tax_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            params![org_id(i).to_string(), format!("Org {i}"), format!("org {i}"), country, tax_id, fmt_ts(&start)],
        )?;
    }
    for (i, (hourly, monthly)) in [(7_500i64, 500i64), (36_100, 2_400)]
        .into_iter()
        .enumerate()
    {
        conn.execute(
            "INSERT INTO plans (id, name, name_key, provider, provider_type, currency, monthly_minor, hourly_micros, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'sandbox', 'sb', 'USD', ?4, ?5, ?6, ?6)",
            params![plan_id(i as u128).to_string(), format!("Plan {i}"), format!("plan {i}"), monthly, hourly, fmt_ts(&start)],
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

fn live_server(conn: &Connection, r: u64) -> Result<Option<ServerId>, BillingError> {
    let n: i64 = conn.query_row(
        "SELECT count(*) FROM servers WHERE deleted_at IS NULL",
        [],
        |x| x.get(0),
    )?;
    if n == 0 {
        return Ok(None);
    }
    let id: Option<String> = conn
        .query_row(
            "SELECT id FROM servers WHERE deleted_at IS NULL ORDER BY id LIMIT 1 OFFSET ?1",
            [r as i64 % n],
            |x| x.get(0),
        )
        .optional()?;
    Ok(id.and_then(|s| s.parse().ok()))
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
