//! Part of `cargo xtask bench sync`: customers' requests from the portal to
//! the provider.
//!
//! A desktop app (Sandbox provider, injected clock) paired with the real
//! portal (the cs-portal library on an embedded SQLite file, served on a
//! loopback port), the desktop's sync workers running as in the app. A
//! customer signed in to the portal (a session made in its database; the
//! request itself is the real `POST /api/v1/servers/{id}/actions` with its
//! cookie and CSRF token) asks for reboots.
//!
//! Printed:
//! - **click to provider**: for 200 reboots, the time from sending the
//!   request to the Sandbox having been asked (the desktop's server record
//!   turns `rebooting` right after the provider call returns): p50, p99,
//!   max, against the floor of the request alone (the portal's answer).
//!   Goal: p99 ≤ 2 s.
//! - **queued while offline**: 1,000 reboots of 1,000 servers asked while
//!   the desktop's workers are stopped; the time from starting them to the
//!   portal holding every answer. Goal: ≤ 10 s.

// Figures for people: floats are fine here, no money is computed.
#![allow(clippy::float_arithmetic, clippy::cast_precision_loss)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use cs_app::dto::*;
use cs_app::{App, AppConfig, EventSink};
use cs_portal::storage::sessions::{self, Stage};
use cs_portal::storage::{accounts, intents, projection, tenants, StorageError};
use cs_portal::{Config, Database, Portal};
use cs_secrets::MemorySecrets;
use cs_sync::record::{Kind, Record};

struct NoEvents;
impl EventSink for NoEvents {
    fn server_changed(&self, _: &ServerDto) {}
    fn activity_recorded(&self, _: &ActivityDto) {}
}

const CLICKS: usize = 200;
const QUEUED: usize = 1_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A signed-in customer's requests.
struct Customer {
    http: reqwest::Client,
    url: String,
    cookie: String,
    csrf: String,
}

impl Customer {
    async fn reboot(&self, server: &str) -> anyhow::Result<()> {
        let r = self
            .http
            .post(format!("{}/api/v1/servers/{server}/actions", self.url))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header("content-type", "application/json")
            .body(r#"{"action":"reboot"}"#)
            .send()
            .await?;
        anyhow::ensure!(
            r.status() == 202,
            "the portal answered {}: {}",
            r.status(),
            r.text().await?
        );
        Ok(())
    }
}

/// One customer asks far more often here than the portal allows an account
/// (30 a quarter-hour): the counters are emptied before each request, outside
/// the time measured.
async fn forget_limits(portal: &Portal) -> anyhow::Result<()> {
    portal
        .db
        .run(true, |tx| tx.execute("DELETE FROM rate_limits", &[]))
        .await?;
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let clock = Arc::new(cs_core::FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
    ));
    let app = Arc::new(App::open(AppConfig {
        database_path: dir.path().join("desktop.db"),
        log_dir: dir.path().join("logs"),
        clock: clock.clone(),
        events: Arc::new(NoEvents),
        secrets: Arc::new(MemorySecrets::default()),
        sandbox_timing: cs_provider::sandbox::Timing::uniform(chrono::Duration::seconds(1)),
        actor: "staff:bench".into(),
    })?);

    // One customer with the servers the two measurements need, running.
    let org = app.create_organization(OrganizationInput {
        name: "Bench Hosting".into(),
        contact_name: "Ada Bench".into(),
        contact_email: "ada@bench.example".into(),
        country: "DE".into(),
        tax_id: None,
        ..Default::default()
    })?;
    let plan = app
        .create_plan(PlanInput {
            name: "Nano".into(),
            provider: "sandbox".into(),
            provider_type: "sb-small".into(),
            regions: vec!["eu-west".into()],
            monthly_price: "5.00".into(),
            hourly_price: "0.0075".into(),
        })
        .await?;
    let t = Instant::now();
    let mut servers = Vec::with_capacity(QUEUED);
    for i in 0..QUEUED {
        let s = app
            .create_server(
                ServerInput {
                    organization_id: org.id.clone(),
                    plan_id: plan.id.clone(),
                    label: format!("web-{i:04}"),
                    region: "eu-west".into(),
                    image: "sandbox/debian12".into(),
                    root_password: Some("Correct-Horse-9".into()),
                    ssh_key: None,
                },
                Default::default(),
            )
            .await?;
        servers.push(s.id);
    }
    let settle = |app: Arc<App>, clock: Arc<cs_core::FixedClock>| async move {
        for _ in 0..6 {
            clock.advance(chrono::Duration::seconds(2));
            app.reconcile_once(false).await?;
        }
        anyhow::Ok(())
    };
    settle(app.clone(), clock.clone()).await?;
    println!(
        "desktop: {QUEUED} Sandbox servers created and running in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // The portal, paired.
    let portal_dir = dir.path().join("portal");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let (db, u) = (Database::Sqlite(portal_dir.join("portal.db")), url.clone());
    let portal = tokio::task::spawn_blocking(move || {
        Portal::open(Config::new(db, u, Arc::new(cs_portal::SystemClock)))
    })
    .await??;
    let now = portal.now();
    let tenant = portal
        .db
        .run(true, move |tx| {
            Ok::<_, StorageError>(tenants::create(tx, "bench", "Bench Cloud", now)?.id)
        })
        .await?;
    let code = {
        let t = tenant.clone();
        portal
            .db
            .run(true, move |tx| tenants::new_pairing_code(tx, &t, now))
            .await?
    };
    let served = portal.clone();
    let server_task = tokio::spawn(async move { cs_portal::serve(served, listener).await });
    app.pair_portal(PortalPairInput {
        url: url.clone(),
        code,
    })
    .await?;
    app.sync_portal_until_idle().await?;

    // The customer's account and a signed-in session, made in the portal's
    // database as accepting the invitation would.
    let customer = {
        let t = tenant.clone();
        let (cookie, csrf) = portal
            .db
            .run(true, move |tx| {
                let (contact, c) = projection::all(tx, &t)?
                    .into_iter()
                    .find_map(|e| match e.decode() {
                        Ok(Some(Record::Contact(c))) if e.kind == Kind::Contact.as_str() => {
                            Some((e.id.clone(), (e.org.clone().unwrap_or_default(), c)))
                        }
                        _ => None,
                    })
                    .ok_or(StorageError::NotFound)?;
                let a = accounts::accept_invitation(
                    tx, &t, &contact, &c.0, &c.1.name, &c.1.email, "unused", now,
                )?;
                let (_, token) =
                    sessions::create(tx, &t, &a.id, Stage::SignedIn, "127.0.0.1", "bench", now)?;
                let csrf = tx
                    .query_one(
                        "SELECT csrf FROM sessions WHERE account_id = $1",
                        cs_portal::params![&a.id],
                    )?
                    .text(0)?;
                Ok::<_, StorageError>((format!("cs_session={token}"), csrf))
            })
            .await?;
        Customer {
            http: reqwest::Client::new(),
            url: url.clone(),
            cookie,
            csrf,
        }
    };

    // 1. Click to provider, both sides online.
    let workers = tokio::spawn(cs_app::run_portal_sync(app.clone()));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut floor = Vec::with_capacity(CLICKS);
    let mut latency = Vec::with_capacity(CLICKS);
    for (i, id) in servers.iter().take(CLICKS).enumerate() {
        forget_limits(&portal).await?;
        let t = Instant::now();
        customer.reboot(id).await?;
        floor.push(t.elapsed());
        loop {
            if app.get_server(id)?.server.status == "rebooting" {
                break;
            }
            anyhow::ensure!(
                t.elapsed() < Duration::from_secs(30),
                "request {i} never reached the provider"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        latency.push(t.elapsed());
    }
    floor.sort();
    latency.sort();
    let p99 = percentile(&latency, 0.99);
    println!();
    println!("click to provider ({CLICKS} reboots, both sides online):");
    println!(
        "  floor (the portal's answer alone): p50 {:.1} ms, p99 {:.1} ms",
        ms(percentile(&floor, 0.5)),
        ms(percentile(&floor, 0.99))
    );
    println!(
        "  request to provider: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (goal p99 <= 2000 ms: {})",
        ms(percentile(&latency, 0.5)),
        ms(p99),
        ms(*latency.last().unwrap()),
        if p99 <= Duration::from_secs(2) {
            "met"
        } else {
            "NOT met"
        }
    );

    // Let those reboots finish and their answers reach the portal.
    settle(app.clone(), clock.clone()).await?;
    app.sync_portal_until_idle().await?;

    // 2. Queued while the desktop was away.
    workers.abort();
    let _ = workers.await;
    for id in &servers {
        forget_limits(&portal).await?;
        customer.reboot(id).await?;
    }
    let t_tenant = tenant.clone();
    let answered = move |portal: Arc<Portal>| {
        let t = t_tenant.clone();
        async move {
            let all = portal.db.run(false, move |tx| intents::all(tx, &t)).await?;
            let waiting = all
                .iter()
                .filter(|(_, s, _)| *s == intents::State::Requested)
                .count();
            let refused = all
                .iter()
                .filter(|(_, s, _)| *s == intents::State::Refused)
                .count();
            anyhow::Ok((waiting, refused))
        }
    };
    anyhow::ensure!(answered(portal.clone()).await?.0 == QUEUED);
    let t = Instant::now();
    let workers = tokio::spawn(cs_app::run_portal_sync(app.clone()));
    loop {
        let (waiting, refused) = answered(portal.clone()).await?;
        if waiting == 0 {
            let took = t.elapsed();
            println!();
            println!(
                "queued while offline: {QUEUED} requests applied and answered {:.2} s after the desktop's workers started ({refused} refused; goal <= 10 s: {})",
                took.as_secs_f64(),
                if took <= Duration::from_secs(10) { "met" } else { "NOT met" }
            );
            break;
        }
        anyhow::ensure!(
            t.elapsed() < Duration::from_secs(300),
            "{waiting} requests still wait after 5 minutes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    workers.abort();
    server_task.abort();
    Ok(())
}
