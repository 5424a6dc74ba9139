//! `cargo xtask gen-store --out FILE`: a store the size of an established
//! reseller, for the desktop benchmark (`bench desktop`) and large-store
//! tests.
//!
//! Everything is written through the store's migrations and the owners'
//! own functions (`cs_store::{orgs, plans, servers}`, the billing engine's
//! `run_due` and `record_payment`), so the result is a store the app opens
//! like any other: the billing invariants of `cs_billing::verify` hold,
//! document numbers have no gap, and billing is caught up to the hour the
//! generator finished (the app's first billing run has nothing to catch up).
//!
//! The default size: 10,000 customers, 30,000 running Sandbox servers (three
//! each), at least 100,000 documents (monthly invoices and the receipts of
//! top-ups, as frequent as it takes) and a year of ledger entries. A tenth of the customers
//! joined evenly over the year; the others in the last 45 days (a growing
//! reseller, and it keeps the daily usage postings, one per customer and
//! day, to what a minute allows). Names come from word lists with a number,
//! so every search finds some and not all. Dunning thresholds are set low
//! enough that nobody is suspended: the servers stay running.
//!
//! Sizes are parameters (`--customers`, `--servers-per-customer`,
//! `--documents`), and the whole thing is deterministic apart from ids.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use chrono::{Datelike, Duration, TimeZone, Utc};
use cs_core::{Currency, Money, ProviderKind, Rate, ServerStatus, Timestamp};
use cs_store::Store;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    pub out: PathBuf,
    pub customers: u64,
    pub servers_per_customer: u64,
    /// At least this many documents (invoices and receipts).
    pub documents: u64,
    /// The moment the store is caught up to (billing, payments).
    pub now: Timestamp,
}

impl Spec {
    pub fn large(out: PathBuf) -> Spec {
        Spec {
            out,
            customers: 10_000,
            servers_per_customer: 3,
            documents: 100_000,
            now: Utc::now(),
        }
    }
}

/// What was written, for the caller to print.
#[derive(Debug)]
pub struct Generated {
    pub customers: u64,
    pub servers: u64,
    pub documents: i64,
    pub ledger_txns: i64,
    pub seconds: f64,
    pub bytes: u64,
}

const ADJECTIVES: &[&str] = &[
    "Nordic", "Blue", "Rapid", "Silent", "Golden", "Urban", "Bright", "Iron", "Cedar", "Polar",
    "Swift", "Crimson", "Quiet", "Atlas", "Lunar", "Copper", "Green", "Harbor", "Summit",
    "Prairie",
];
const NOUNS: &[&str] = &[
    "Harbor", "Pixel", "Falcon", "Forge", "Orchard", "Beacon", "Meadow", "Anchor", "Comet",
    "Willow", "Signal", "Canyon", "Lantern", "Maple", "Vertex", "River", "Granite", "Ember",
    "Kite", "Delta",
];
const KINDS: &[&str] = &[
    "Hosting",
    "Studio",
    "Labs",
    "Media",
    "Systems",
    "Logistics",
    "Health",
    "Foods",
    "Travel",
    "Consulting",
];
const ROLES: &[&str] = &["web", "db", "cache", "mail", "app", "ci"];
const TYPES: &[(&str, &str, i64, i64)] = &[
    // (plan name, Sandbox type, monthly minor, hourly micros)
    ("Starter", "sb-small", 1_500, 22_500),
    ("Business", "sb-medium", 3_000, 45_000),
    ("Power", "sb-large", 6_000, 90_000),
];
const REGIONS: &[&str] = &["eu-west", "ap-south"];

fn org_id(i: u64) -> cs_core::OrganizationId {
    cs_core::OrganizationId(uuid::Uuid::from_u128(0x5700_0000_0000_0000 + u128::from(i)))
}

fn plan_id(i: usize) -> cs_core::PlanId {
    cs_core::PlanId(uuid::Uuid::from_u128(0x5710_0000 + i as u128))
}

fn server_id(i: u64) -> cs_core::ServerId {
    cs_core::ServerId(uuid::Uuid::from_u128(0x5720_0000_0000_0000 + u128::from(i)))
}

/// Customer `i`'s name: unique (the number), searchable by its words.
pub fn customer_name(i: u64) -> String {
    let n = i as usize;
    format!(
        "{} {} {} {:05}",
        ADJECTIVES[n % ADJECTIVES.len()],
        NOUNS[(n / ADJECTIVES.len()) % NOUNS.len()],
        KINDS[(n / 7) % KINDS.len()],
        i
    )
}

/// When customer `i` of `n` joined, as days before `now`: a tenth spread
/// over the year, the others over the last 45 days.
fn joined_days_ago(i: u64, n: u64) -> i64 {
    // A fixed permutation, so old and new customers interleave by number.
    let k = (i.wrapping_mul(7919)) % n.max(1);
    let old = n / 10;
    if k < old {
        365 - (k * 320 / old.max(1)) as i64
    } else {
        1 + ((k - old) * 44 / (n - old).max(1)) as i64
    }
}

fn first_of_next_month(t: Timestamp) -> Timestamp {
    let (y, m) = if t.month() == 12 {
        (t.year() + 1, 1)
    } else {
        (t.year(), t.month() + 1)
    };
    Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single().unwrap_or(t)
}

/// Writes the store at `spec.out` (which must not exist).
#[allow(clippy::float_arithmetic)] // the progress line's seconds, never money
pub fn generate(spec: &Spec, progress: &mut dyn FnMut(&str)) -> Result<Generated> {
    if spec.out.exists() {
        bail!(
            "{} exists: choose a new file or delete it first",
            spec.out.display()
        );
    }
    if let Some(dir) = spec.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        cs_store::create_private_dir_all(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    let started = Instant::now();
    let now = spec.now;
    let year_ago = now - Duration::days(365);
    let store = Store::open(&spec.out)?;
    let n = spec.customers;
    // The store grows to hundreds of megabytes: a page cache to match keeps
    // the owners' lookups (wallets, counters, customers) out of read(2).
    store.read(|c| -> Result<()> {
        c.execute_batch("PRAGMA cache_size = -262144")?;
        Ok(())
    })?;
    store.write(|tx| -> Result<()> {
        let mut s = cs_billing::BillingSettings::load(tx)?;
        s.currency = Currency::USD;
        // Nobody is suspended: the servers stay running (-1,000,000 USD,
        // the lowest the settings allow).
        s.low_balance_threshold_minor = -100_000_000;
        s.suspend_at_minor = -100_000_000;
        s.save(tx)?;
        for (i, (name, ty, monthly, hourly)) in TYPES.iter().enumerate() {
            cs_store::plans::insert(
                tx,
                &cs_core::Plan {
                    id: plan_id(i),
                    name: (*name).into(),
                    provider: ProviderKind::Sandbox,
                    provider_type: (*ty).into(),
                    regions: REGIONS.iter().map(|r| r.to_string()).collect(),
                    monthly: Money::new(*monthly, Currency::USD),
                    hourly: Rate::new(*hourly, Currency::USD),
                    active: true,
                    created_at: year_ago - Duration::days(1),
                    updated_at: year_ago - Duration::days(1),
                },
            )?;
        }
        Ok(())
    })?;
    // Who joined when, by month: customers (and their servers) are written
    // in the month they joined, just before that month is billed.
    let mut joins: Vec<(Timestamp, u64)> = (0..n)
        .map(|i| {
            let at =
                now - Duration::days(joined_days_ago(i, n)) - Duration::minutes((i % 600) as i64);
            (at.max(year_ago), i)
        })
        .collect();
    joins.sort();
    let per = spec.servers_per_customer;
    // Receipts fill what the monthly invoices leave of the documents asked
    // for: about one invoice per customer-month, the rest top-ups spread
    // over the customer-days.
    let customer_days: i64 = joins
        .iter()
        .map(|(at, _)| (now - *at).num_days().max(1))
        .sum();
    let invoices_guess: i64 = joins
        .iter()
        .map(|(at, _)| i64::from(months_between(*at, now)))
        .sum();
    let receipts_wanted = (spec.documents as i64 - invoices_guess).max(n as i64);
    // Days between two top-ups of a customer.
    let top_up_every = (customer_days / receipts_wanted.max(1)).max(1);
    let mut next_join = 0usize;
    let mut period_start = year_ago;
    let mut payment_no: u64 = 0;
    loop {
        let period_end = first_of_next_month(period_start).min(now);
        // Customers who joined in this period, with their servers.
        let from = next_join;
        while next_join < joins.len() && joins[next_join].0 < period_end {
            next_join += 1;
        }
        let joined = &joins[from..next_join];
        store.write(|tx| -> Result<()> {
            for &(at, i) in joined {
                insert_customer(tx, i, at, per)?;
            }
            // Top-ups of everyone who has joined, every `top_up_every` days,
            // in date order.
            let mut pays: Vec<(Timestamp, u64)> = vec![];
            for &(joined_at, i) in &joins[..next_join] {
                let mut t = joined_at + Duration::hours(1);
                // The first payment an hour after joining, then every
                // `top_up_every` days, offset per customer.
                if t < period_start {
                    let every = top_up_every * 86_400;
                    let since = (period_start - t).num_seconds();
                    t += Duration::seconds((since + every - 1) / every * every);
                }
                while t < period_end {
                    pays.push((t, i));
                    t += Duration::days(top_up_every);
                }
            }
            pays.sort();
            for (at, i) in pays {
                payment_no += 1;
                // Enough to cover the servers for the days until the next
                // top-up, rounded to whole dollars.
                let cover = (per as i64) * 3_000 * top_up_every / 30 + 1_000;
                cs_billing::wallet::record_payment(
                    tx,
                    &cs_billing::wallet::NewPayment {
                        organization_id: org_id(i),
                        amount: Money::new(cover / 100 * 100, Currency::USD),
                        method: cs_billing::wallet::PaymentMethod::BankTransfer,
                        reference: format!("GEN-{payment_no:07}"),
                        note: None,
                    },
                    at,
                    "staff:generator",
                )?;
            }
            Ok(())
        })?;
        // Bill the period (and issue the month before's invoices when due).
        let billed_at = if period_end >= now {
            now
        } else {
            period_end + Duration::minutes(5)
        };
        cs_billing::run_due(&store, billed_at, &mut |_| {})?;
        progress(&format!(
            "through {}: {} customers, {:.1} s",
            period_end.format("%Y-%m-%d"),
            next_join,
            started.elapsed().as_secs_f64()
        ));
        if period_end >= now {
            break;
        }
        period_start = period_end;
    }
    // Fails on any broken invariant (an unbalanced transaction, a document
    // that does not match the ledger).
    store.read(cs_billing::verify::verify)?;
    let path = store.path().to_path_buf();
    drop(store);
    // What the app writes beside each change and a store written without it
    // lacks: the portal's sync records. Filled here as the app would at its
    // first start (one long transaction), so that start measures the app.
    let app = cs_app::App::open(cs_app::AppConfig {
        database_path: path.clone(),
        log_dir: std::env::temp_dir(),
        clock: std::sync::Arc::new(cs_app::SystemClock),
        events: std::sync::Arc::new(cs_app::NoEvents),
        secrets: std::sync::Arc::new(cs_secrets::MemorySecrets::default()),
        sandbox_timing: Default::default(),
        actor: "staff:generator".into(),
    })?;
    app.portal_backfill()?;
    progress(&format!(
        "portal records filled, {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    drop(app);
    let store = Store::open(&path)?;
    let counts =
        store.read(|c| -> Result<Vec<(&str, i64)>> { Ok(cs_billing::bench::row_counts(c)?) })?;
    let count = |t: &str| counts.iter().find(|(k, _)| *k == t).map_or(0, |(_, v)| *v);
    let documents = count("documents");
    let ledger_txns = count("ledger_txns");
    drop(store);
    Ok(Generated {
        customers: n,
        servers: n * per,
        documents,
        ledger_txns,
        seconds: started.elapsed().as_secs_f64(),
        bytes: file_size(&path),
    })
}

fn months_between(from: Timestamp, to: Timestamp) -> u32 {
    let a = from.year() * 12 + from.month0() as i32;
    let b = to.year() * 12 + to.month0() as i32;
    u32::try_from(b - a).unwrap_or(0)
}

fn file_size(path: &Path) -> u64 {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    [path.to_path_buf(), wal]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

fn insert_customer(
    tx: &cs_store::rusqlite::Connection,
    i: u64,
    at: Timestamp,
    per: u64,
) -> Result<()> {
    let org = cs_core::Organization {
        id: org_id(i),
        name: customer_name(i),
        country: "US".into(),
        tax_id: None,
        created_at: at,
        updated_at: at,
    };
    let contact = cs_core::User {
        id: cs_core::UserId(uuid::Uuid::from_u128(0x5730_0000_0000_0000 + u128::from(i))),
        organization_id: Some(org.id),
        name: format!("Contact {i:05}"),
        email: format!("billing{i}@customer{i}.example"),
        role: cs_core::Role::OrgAdmin,
        created_at: at,
    };
    cs_store::orgs::insert(tx, &org, &contact)?;
    for k in 0..per {
        let s = i * per + k;
        let plan = (s % TYPES.len() as u64) as usize;
        cs_store::servers::insert(
            tx,
            &cs_core::Server {
                id: server_id(s),
                organization_id: org.id,
                plan_id: plan_id(plan),
                label: format!("{}-{:06}", ROLES[(s % ROLES.len() as u64) as usize], s),
                provider: ProviderKind::Sandbox,
                // Past the ids the Sandbox hands out first (1000…).
                provider_id: Some((100_000 + s).to_string()),
                provider_type: TYPES[plan].1.into(),
                region: REGIONS[(s % 2) as usize].into(),
                image: "sandbox/debian12".into(),
                status: ServerStatus::Running,
                ipv4: Some(format!(
                    "10.{}.{}.{}",
                    (s >> 16) & 255,
                    (s >> 8) & 255,
                    s & 255
                )),
                ipv6: None,
                created_at: at,
                updated_at: at,
                deleted_at: None,
            },
        )?;
    }
    Ok(())
}

/// `cargo xtask gen-store --out FILE [--customers N] [--servers-per-customer N] [--documents N]`.
#[allow(clippy::float_arithmetic)] // sizes and seconds, never money
pub fn main(args: &[String]) -> Result<()> {
    let mut out = None;
    let mut spec = Spec::large(PathBuf::new());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .with_context(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--customers" => spec.customers = value("--customers")?.parse().context("--customers takes a number")?,
            "--servers-per-customer" => {
                spec.servers_per_customer = value("--servers-per-customer")?
                    .parse()
                    .context("--servers-per-customer takes a number")?
            }
            "--documents" => spec.documents = value("--documents")?.parse().context("--documents takes a number")?,
            other => bail!("unknown option {other}: usage: cargo xtask gen-store --out FILE [--customers N] [--servers-per-customer N] [--documents N]"),
        }
    }
    spec.out = out.context("--out FILE is required: where to write the store (a new file)")?;
    let g = generate(&spec, &mut |line| eprintln!("gen-store: {line}"))?;
    println!(
        "wrote {}: {} customers, {} running Sandbox servers, {} documents, {} ledger transactions, {:.1} MB in {:.1} s",
        spec.out.display(),
        g.customers,
        g.servers,
        g.documents,
        g.ledger_txns,
        g.bytes as f64 / 1_048_576.0,
        g.seconds
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small store from the same code: what the app would open, with the
    /// billing invariants holding, billing caught up, documents asked for.
    #[test]
    fn a_generated_store_is_one_the_app_can_open() {
        let dir = tempfile::tempdir().unwrap();
        let spec = Spec {
            out: dir.path().join("containerstacks.db"),
            customers: 40,
            servers_per_customer: 3,
            documents: 400,
            now: Utc.with_ymd_and_hms(2026, 12, 7, 18, 30, 0).unwrap(),
        };
        let g = generate(&spec, &mut |_| {}).unwrap();
        assert_eq!(g.customers, 40);
        assert_eq!(g.servers, 120);
        assert!(g.documents >= 400, "{} documents", g.documents);
        let store = Store::open(&spec.out).unwrap();
        store.read(cs_billing::verify::verify).unwrap();
        store
            .read(|c| -> Result<()> {
                let live = cs_store::servers::count_by_status(c)?;
                assert_eq!(live, vec![(ServerStatus::Running, 120)]);
                assert_eq!(cs_store::orgs::count(c)?, 40);
                // Billing is caught up: nothing is left for the app's first run.
                let through = cs_core::metering::last_complete_hour(spec.now);
                assert_eq!(cs_billing::verify::unbilled_meters(c, through)?, 0);
                Ok(())
            })
            .unwrap();
        // A second run refuses to overwrite it.
        assert!(generate(&spec, &mut |_| {}).is_err());
    }
}
