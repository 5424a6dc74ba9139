//! `cargo xtask bench sync [--quick]`: the desktop's first full sync with a
//! portal, and the latency from a committed change to the portal holding it.
//!
//! The desktop's store gets 10,000 customers (each with its contact), 50,000
//! servers and 100,000 documents (ten receipts per customer, with their
//! ledger movements), written through the store's and the billing engine's
//! own functions; `--quick` is a tenth of that. The portal is the real
//! `containerstacks-portal` binary (release build) on an embedded SQLite
//! file, a separate process, so each side's peak memory is its own.
//!
//! Printed: how long filling the outbox takes (pairing builds every record),
//! the full sync (records/s, MB/s of record JSON), each side's peak resident
//! memory, and, with the sync worker running, the latency of 200 changes
//! from commit to the portal holding them (`GET /sync/v1/status`): p50, p99,
//! max.

// Figures for people: floats are fine here, no money is computed.
#![allow(clippy::float_arithmetic, clippy::cast_precision_loss)]

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use cs_app::dto::*;
use cs_app::{App, AppConfig, EventSink};
use cs_core::{Currency, Money, Timestamp};
use cs_secrets::{MemorySecrets, SecretStore};
use cs_sync::protocol::StatusResponse;

struct NoEvents;
impl EventSink for NoEvents {
    fn server_changed(&self, _: &ServerDto) {}
    fn activity_recorded(&self, _: &ActivityDto) {}
}

fn org_id(i: u64) -> cs_core::OrganizationId {
    cs_core::OrganizationId(uuid::Uuid::from_u128(0x0a00_0000_0000 + u128::from(i)))
}

fn populate(
    path: &Path,
    orgs: u64,
    servers: u64,
    receipts_each: u64,
    at: Timestamp,
) -> anyhow::Result<()> {
    let store = cs_store::Store::open(path)?;
    let plan = cs_core::PlanId(uuid::Uuid::from_u128(0xb0b0));
    store.write(|tx| -> anyhow::Result<()> {
        cs_store::plans::insert(
            tx,
            &cs_core::Plan {
                id: plan,
                name: "Nano".into(),
                provider: cs_core::ProviderKind::Sandbox,
                provider_type: "sb-small".into(),
                regions: vec!["eu-west".into()],
                monthly: Money::new(500, Currency::USD),
                hourly: cs_core::Rate::new(7500, Currency::USD),
                active: true,
                created_at: at,
                updated_at: at,
            },
        )?;
        for i in 0..orgs {
            let org = cs_core::Organization {
                id: org_id(i),
                name: format!("Customer {i} Ltd"),
                country: "US".into(),
                tax_id: None,
                created_at: at,
                updated_at: at,
            };
            let contact = cs_core::User {
                id: cs_core::UserId(uuid::Uuid::from_u128(0x0d00_0000_0000 + u128::from(i))),
                organization_id: Some(org.id),
                name: format!("Contact {i}"),
                email: format!("billing{i}@bench.example"),
                role: cs_core::Role::OrgAdmin,
                created_at: at,
            };
            cs_store::orgs::insert(tx, &org, &contact)?;
        }
        for i in 0..servers {
            cs_store::servers::insert(
                tx,
                &cs_core::Server {
                    id: cs_core::ServerId(uuid::Uuid::from_u128(0x0c00_0000_0000 + u128::from(i))),
                    organization_id: org_id(i % orgs),
                    plan_id: plan,
                    label: format!("srv-{i}"),
                    provider: cs_core::ProviderKind::Sandbox,
                    provider_id: Some(format!("{}", 100_000 + i)),
                    provider_type: "sb-small".into(),
                    region: "eu-west".into(),
                    image: "sandbox/debian12".into(),
                    status: cs_core::ServerStatus::Running,
                    ipv4: Some(format!(
                        "10.{}.{}.{}",
                        i / 65536 % 256,
                        i / 256 % 256,
                        i % 256
                    )),
                    ipv6: None,
                    created_at: at,
                    updated_at: at,
                    deleted_at: None,
                },
            )?;
        }
        Ok(())
    })?;
    // Receipts: one per payment, in batches of a thousand per transaction.
    let payments: Vec<(u64, u64)> = (0..receipts_each)
        .flat_map(|r| (0..orgs).map(move |o| (o, r)))
        .collect();
    for chunk in payments.chunks(1000) {
        store.write(|tx| -> anyhow::Result<()> {
            for (o, r) in chunk {
                let p = cs_billing::wallet::NewPayment {
                    organization_id: org_id(*o),
                    amount: Money::new(2_000, Currency::USD),
                    method: cs_billing::wallet::PaymentMethod::BankTransfer,
                    reference: format!("{o}-{r}"),
                    note: None,
                };
                cs_billing::wallet::record_payment(tx, &p, at, "bench")?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// Peak resident memory of a process, in MiB (Linux).
fn peak_mib(pid: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn portal_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    // target/server/examples/bench_sync → target/server/containerstacks-portal
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("containerstacks-portal"))
        .ok_or_else(|| anyhow::anyhow!("no target folder"))?;
    anyhow::ensure!(
        bin.exists(),
        "{} is missing: cargo build --release -p cs-portal --bin containerstacks-portal",
        bin.display()
    );
    Ok(bin)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let quick = std::env::args().any(|a| a == "--quick");
    let (orgs, servers, receipts_each) = if quick {
        (1_000, 5_000, 10)
    } else {
        (10_000, 50_000, 10)
    };
    let dir = tempfile::tempdir()?;
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();

    println!(
        "data set: {orgs} customers, {servers} servers, {} documents",
        orgs * receipts_each
    );
    let t = Instant::now();
    let db = dir.path().join("desktop.db");
    populate(&db, orgs, servers, receipts_each, at)?;
    println!("  written in {:.1} s", t.elapsed().as_secs_f64());

    // The portal: the real binary on an embedded SQLite file.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let mut portal = Command::new(portal_binary()?)
        .args(["--data"])
        .arg(dir.path().join("portal"))
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--public-url",
            &url,
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let portal_pid = portal.id().to_string();
    let mut code = None;
    let mut lines = std::io::BufReader::new(portal.stdout.take().expect("piped")).lines();
    while let Some(line) = lines.next().transpose()? {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
            if let Some(c) = v.get("pairingCode").and_then(|c| c.as_str()) {
                code = Some(c.to_string());
            }
            if v.get("listening").is_some() {
                break;
            }
        }
    }
    let code = code.ok_or_else(|| anyhow::anyhow!("the portal printed no pairing code"))?;
    std::thread::spawn(move || for _ in lines {});

    let secrets = Arc::new(MemorySecrets::default());
    let app = Arc::new(App::open(AppConfig {
        database_path: db,
        log_dir: dir.path().join("logs"),
        clock: Arc::new(cs_core::FixedClock::new(at)),
        events: Arc::new(NoEvents),
        secrets: secrets.clone(),
        sandbox_timing: cs_provider::sandbox::Timing::uniform(chrono::Duration::seconds(1)),
        actor: "staff:bench".into(),
    })?);

    // Pairing builds every record into the outbox.
    let t = Instant::now();
    let status = app
        .pair_portal(PortalPairInput {
            url: url.clone(),
            code,
        })
        .await?;
    let fill = t.elapsed();
    let records = status.waiting;
    println!(
        "outbox filled at pairing: {records} records in {:.1} s ({:.0} records/s)",
        fill.as_secs_f64(),
        f64::from(records) / fill.as_secs_f64()
    );

    let t = Instant::now();
    let status = app.sync_portal_until_idle().await?;
    let sync = t.elapsed();
    anyhow::ensure!(
        status.waiting == 0 && status.last_error.is_none(),
        "the sync did not finish: {status:?}"
    );
    let bytes = std::fs::metadata(dir.path().join("desktop.db"))?.len();
    let (_, json_bytes) = app.portal_outbox_size()?;
    println!(
        "first full sync: {records} records in {:.1} s: {:.0} records/s, {:.1} MB/s of record JSON ({:.1} MB; desktop database {:.0} MB)",
        sync.as_secs_f64(),
        f64::from(records) / sync.as_secs_f64(),
        json_bytes as f64 / 1e6 / sync.as_secs_f64(),
        json_bytes as f64 / 1e6,
        bytes as f64 / 1e6
    );
    println!(
        "peak memory: desktop {:.0} MiB, portal {:.0} MiB",
        peak_mib("self").unwrap_or(f64::NAN),
        peak_mib(&portal_pid).unwrap_or(f64::NAN)
    );

    // Latency: the worker runs as in the app; each change is timed from its
    // commit to the portal holding it.
    let worker = tokio::spawn(cs_app::run_portal_sync(app.clone()));
    let token = secrets
        .get(&app.secret_keys().portal_token())?
        .ok_or_else(|| anyhow::anyhow!("no token"))?;
    let http = reqwest::Client::new();
    let held = || async {
        let s: StatusResponse = http
            .get(format!("{url}/sync/v1/status"))
            .bearer_auth(token.expose())
            .send()
            .await?
            .json()
            .await?;
        anyhow::Ok(s.held_through)
    };
    let mut samples = vec![];
    let base = held().await?;
    let mut expect = base;
    for i in 0..200u64 {
        let o = org_id(i % orgs);
        let t = Instant::now();
        app.update_organization(
            &o.to_string(),
            OrganizationInput {
                name: format!("Customer {} Ltd (renamed {i})", i % orgs),
                contact_name: format!("Contact {}", i % orgs),
                contact_email: format!("billing{}@bench.example", i % orgs),
                country: "US".into(),
                tax_id: None,
                ..Default::default()
            },
        )?;
        // The rename re-sequences the organization (its contact is unchanged).
        expect += 1;
        loop {
            let h = held().await?;
            if h >= expect {
                expect = h;
                break;
            }
            anyhow::ensure!(
                t.elapsed() < Duration::from_secs(30),
                "change {i} did not arrive in 30 s"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        samples.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    worker.abort();
    samples.sort();
    let p = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    println!(
        "commit → portal holds it (200 changes, worker running): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (goal: p99 ≤ 1000 ms)",
        p(0.5).as_secs_f64() * 1e3,
        p(0.99).as_secs_f64() * 1e3,
        samples.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    let _ = portal.kill();
    let _ = portal.wait();
    Ok(())
}
