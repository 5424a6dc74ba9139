//! `cargo xtask bench portal`: "my servers" for random customers at 64
//! concurrent connections, on SQLite and on PostgreSQL, against a floor
//! measured in the same run.
//!
//! The data set: 10,000 customers (an organization, an admin contact with a
//! portal account, a wallet), 50,000 servers and 100,000 documents, pushed
//! through the real projection (`projection::apply_push`). Then two servers
//! run in this process on the same `Portal` (same database, same pool):
//!
//! - the portal's own router, where `GET /api/v1/servers` goes through the
//!   session check (cookie → session → contact → organization) and the route
//!   guard;
//! - the floor: one bare handler that reads the same rows with the same
//!   function from the same pool, the organization taken from the path,
//!   without any session check.
//!
//! `wrk` (Debian's package) loads each with 64 connections, each request for
//! a random customer, alternating floor and portal runs; the figures are
//! requests per second and p99 latency, and the ratio portal / floor.
//!
//! Options: `--quick` (a tenth of the data, 5 s runs), `--only sqlite|postgres`.

// Figures for people: floats are fine here, no money is computed.
#![allow(clippy::float_arithmetic)]

use std::io::Write as _;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::Json;
use chrono::{NaiveDate, Utc};
use cs_portal::storage::projection::{self, NoEffects, Scope};
use cs_portal::storage::sessions::{self, Stage};
use cs_portal::storage::{accounts, tenants};
use cs_portal::{Config, Database, Portal};
use cs_sync::protocol::batch;
use cs_sync::record::*;
use rand::seq::IndexedRandom;
use rand::SeedableRng;
use uuid::Uuid;

struct Size {
    customers: usize,
    servers_each: usize,
    documents_each: usize,
    sessions: usize,
    seconds: u32,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let size = if quick {
        Size {
            customers: 1_000,
            servers_each: 5,
            documents_each: 10,
            sessions: 500,
            seconds: 5,
        }
    } else {
        Size {
            customers: 10_000,
            servers_each: 5,
            documents_each: 10,
            sessions: 2_000,
            seconds: 15,
        }
    };
    which_wrk()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut rows = Vec::new();
    let dir = tempfile::tempdir()?;
    let cluster;
    let mut backends = Vec::new();
    if only.as_deref() != Some("postgres") {
        backends.push(("SQLite", Database::Sqlite(dir.path().join("portal.db"))));
    }
    if only.as_deref() != Some("sqlite") {
        cluster = cs_portal::testing::Cluster::start()?;
        backends.push(("PostgreSQL", Database::Postgres(cluster.create_database()?)));
    }
    for (name, database) in backends {
        eprintln!("== {name}");
        let portal = Portal::open(Config {
            connections: 16,
            ..Config::new(
                database,
                "http://127.0.0.1",
                Arc::new(cs_portal::SystemClock),
            )
        })?;
        let started = Instant::now();
        let (tenant, orgs, cookies) = generate(&portal, &size)?;
        eprintln!(
            "   data: {} customers, {} servers, {} documents in {:.1} s",
            size.customers,
            size.customers * size.servers_each,
            size.customers * size.documents_each,
            started.elapsed().as_secs_f64()
        );
        let figures = runtime.block_on(measure(
            portal,
            tenant,
            &orgs,
            &cookies,
            size.seconds,
            dir.path(),
        ))?;
        rows.push((name, figures));
    }
    println!();
    println!("| backend | floor req/s | portal req/s | ratio | floor p99 | portal p99 |");
    println!("|---|---|---|---|---|---|");
    for (name, f) in rows {
        println!(
            "| {name} | {:.0} | {:.0} | **{:.2}** | {} | {} |",
            f.floor.rps,
            f.portal.rps,
            f.portal.rps / f.floor.rps,
            f.floor.p99,
            f.portal.p99
        );
    }
    Ok(())
}

fn which_wrk() -> anyhow::Result<()> {
    if Command::new("wrk").arg("--version").output().is_ok() {
        return Ok(());
    }
    bail!("the benchmark uses wrk: `apt-get install wrk` (cargo xtask bench portal installs it as root)")
}

/// Pushes the data set through the projection in batches, then opens a
/// portal account and a signed-in session for some customers.
fn generate(portal: &Portal, size: &Size) -> anyhow::Result<(String, Vec<String>, Vec<String>)> {
    let now = Utc::now();
    let db = &portal.db;
    let tenant = db
        .transaction(true, |tx| tenants::create(tx, "bench", "Bench Cloud", now))?
        .id;
    let stream = Uuid::now_v7();
    let mut seq = 0u64;
    let mut after = 0u64;
    let mut pending: Vec<Envelope> = Vec::new();
    let flush = |pending: &mut Vec<Envelope>, after: &mut u64| -> anyhow::Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let push = batch(stream, *after, std::mem::take(pending));
        let answer = db.transaction(true, |tx| {
            projection::apply_push(tx, &tenant, &push, now, &NoEffects)
        })?;
        *after = answer.held_through;
        Ok(())
    };
    let mut orgs = Vec::with_capacity(size.customers);
    for c in 0..size.customers {
        let org = Uuid::now_v7().to_string();
        let mut add = |id: String, record: Record| {
            seq += 1;
            let org = if record.kind().is_scoped() {
                Some(org.clone())
            } else {
                None
            };
            pending.push(Envelope::new(seq, now, id, org, &record));
        };
        add(
            org.clone(),
            Record::Organization(OrganizationV1 {
                name: format!("Customer {c:05} GmbH"),
                country: "DE".into(),
                tax_id: None,
                created_at: now,
            }),
        );
        add(
            format!("{org}-admin"),
            Record::Contact(ContactV1 {
                name: format!("Admin {c:05}"),
                email: format!("admin{c:05}@example.com"),
                role: ContactRole::Admin,
            }),
        );
        add(
            org.clone(),
            Record::Wallet(WalletV1 {
                currency: "EUR".into(),
                balance_minor: 12_345,
                low_balance_threshold_minor: 500,
                state: WalletStateV1::Good,
                state_since: None,
                terminates_at: None,
                as_of: now,
            }),
        );
        for s in 0..size.servers_each {
            add(
                Uuid::now_v7().to_string(),
                Record::Server(ServerV1 {
                    label: format!("c{c:05}-web-{s}"),
                    plan: "plan-nano".into(),
                    plan_name: "Nano 1 GB".into(),
                    region: "eu-central".into(),
                    image: "linode/debian12".into(),
                    status: ServerStatusV1::Running,
                    ipv4: Some(format!("192.0.2.{}", s + 10)),
                    ipv6: Some("2001:db8::1".into()),
                    created_at: now,
                    deleted_at: None,
                }),
            );
        }
        for d in 0..size.documents_each {
            add(
                Uuid::now_v7().to_string(),
                Record::Document(Box::new(document(c, d))),
            );
        }
        orgs.push(org);
        if pending.len() >= cs_sync::protocol::MAX_BATCH_RECORDS - 20 {
            flush(&mut pending, &mut after)?;
        }
    }
    flush(&mut pending, &mut after)?;
    // One password hash for everyone: the benchmark does not sign in.
    let hash = cs_portal::auth::password::hash("bench-password-1234");
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let chosen: Vec<&String> = orgs.choose_multiple(&mut rng, size.sessions).collect();
    let mut cookies = Vec::with_capacity(chosen.len());
    for chunk in chosen.chunks(500) {
        let tokens = db.transaction(true, |tx| {
            let mut out = Vec::new();
            for org in chunk {
                let contact = format!("{org}-admin");
                let account = accounts::accept_invitation(
                    tx,
                    &tenant,
                    &contact,
                    org,
                    "Admin",
                    &format!("{contact}@example.com"),
                    &hash,
                    now,
                )?;
                let (_, token) = sessions::create(
                    tx,
                    &tenant,
                    &account.id,
                    Stage::SignedIn,
                    "127.0.0.1",
                    "wrk",
                    now,
                )?;
                out.push(token);
            }
            Ok::<_, cs_portal::storage::StorageError>(out)
        })?;
        cookies.extend(tokens);
    }
    if db.dialect() == cs_portal::db::Dialect::Postgres {
        // What autovacuum does within a minute of a bulk load: without table
        // statistics, the planner of a freshly loaded table walks a whole
        // tenant's records for one customer's.
        db.transaction(false, |tx| tx.execute("ANALYZE", cs_portal::params![]))?;
    }
    Ok((tenant, orgs, cookies))
}

fn document(customer: usize, n: usize) -> DocumentV1 {
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, (n % 12) as u32 + 1, d).expect("a date");
    let address = AddressV1 {
        lines: vec!["Hauptstraße 1".into()],
        postal_code: "10115".into(),
        city: "Berlin".into(),
        region: None,
        country: "DE".into(),
    };
    DocumentV1 {
        kind: DocumentKindV1::Invoice,
        number: format!("INV-2026-{:06}", customer * 12 + n),
        issue_date: day(1),
        due_date: None,
        period: Some(PeriodV1 {
            start: day(1),
            end: day(28),
        }),
        currency: "EUR".into(),
        seller: SellerV1 {
            name: "Bench Cloud GmbH".into(),
            address: address.clone(),
            tax_id: Some("DE136695976".into()),
            registration_id: None,
            email: Some("billing@bench.example".into()),
            phone: None,
            website: None,
            footer_note: None,
            endpoint: Some(EndpointV1 {
                scheme: "9930".into(),
                id: "DE136695976".into(),
            }),
            logo: None,
            accent: "#0f766e".into(),
            bank_account: None,
        },
        buyer: BuyerV1 {
            organization: format!("Customer {customer:05} GmbH"),
            contact: None,
            address,
            tax_id: None,
            endpoint: None,
            reference: format!("C{customer:05}"),
        },
        lines: (0..5)
            .map(|s| LineV1 {
                description: format!("c{customer:05}-web-{s} (Nano 1 GB)"),
                period: None,
                hours_milli: 672_000,
                unit_rate_micro: 7_500,
                amount_minor: 504,
                capped: false,
                tax_category: TaxCategoryV1::Standard,
                tax_rate_bp: 1900,
            })
            .collect(),
        tax_breakdown: vec![TaxBreakdownV1 {
            category: TaxCategoryV1::Standard,
            rate_bp: 1900,
            taxable_minor: 2520,
            tax_minor: 479,
        }],
        totals: TotalsV1 {
            net_minor: 2520,
            tax_minor: 479,
            gross_minor: 2999,
            paid_minor: 2999,
            due_minor: 0,
        },
        reverse_charge: false,
        reverse_charge_wording: None,
        payment_status: PaymentStatusV1::Paid {
            on: day(1),
            method: "wallet".into(),
        },
        notes: vec![],
        payment_instructions: None,
        corrects: None,
        voided_by: None,
    }
}

struct Run {
    rps: f64,
    p99: String,
}

struct Figures {
    floor: Run,
    portal: Run,
}

/// The floor: the same rows, read by the same function from the same pool,
/// with the organization from the path and no session.
async fn floor_servers(
    State((portal, tenant)): State<(Arc<Portal>, String)>,
    Path(org): Path<String>,
) -> Result<Json<Vec<cs_portal::api::customer::ServerBody>>, String> {
    portal
        .db
        .run(false, move |tx| {
            cs_portal::api::customer::server_list(
                tx,
                Scope::Organization {
                    tenant: &tenant,
                    org: &org,
                },
            )
        })
        .await
        .map(Json)
        .map_err(|e| e.to_string())
}

async fn measure(
    portal: Arc<Portal>,
    tenant: String,
    orgs: &[String],
    cookies: &[String],
    seconds: u32,
    dir: &std::path::Path,
) -> anyhow::Result<Figures> {
    let real = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let real_url = format!("http://{}", real.local_addr()?);
    let p = portal.clone();
    let real_task = tokio::spawn(async move { cs_portal::serve(p, real).await });
    let floor = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let floor_url = format!("http://{}", floor.local_addr()?);
    let app = axum::Router::new()
        .route("/floor/servers/{org}", get(floor_servers))
        .with_state((portal.clone(), tenant));
    let floor_task = tokio::spawn(async move { axum::serve(floor, app).await });

    // The same customers for both: the floor asks by organization, the
    // portal by the session of that organization's admin.
    let cookie_file = dir.join("cookies.txt");
    let org_file = dir.join("orgs.txt");
    std::fs::write(&cookie_file, cookies.join("\n"))?;
    std::fs::write(&org_file, orgs.join("\n"))?;
    let script = dir.join("bench.lua");
    let mut f = std::fs::File::create(&script)?;
    write!(
        f,
        r#"
local list = {{}}
for line in io.lines(os.getenv("CS_BENCH_LIST")) do list[#list + 1] = line end
local mode = os.getenv("CS_BENCH_MODE")
math.randomseed(os.time() + tonumber(tostring({{}}):sub(8), 16))
request = function()
  local v = list[math.random(#list)]
  if mode == "portal" then
    return wrk.format("GET", "/api/v1/servers", {{ ["Cookie"] = "cs_session=" .. v }})
  end
  return wrk.format("GET", "/floor/servers/" .. v)
end
response = function(status)
  if status ~= 200 then error("status " .. status) end
end
"#
    )?;
    // Check both answer alike before loading them.
    let http = reqwest::Client::new();
    let check = http
        .get(format!("{real_url}/api/v1/servers"))
        .header("Cookie", format!("cs_session={}", cookies[0]))
        .send()
        .await?;
    if check.status() != 200 {
        bail!(
            "the portal refused the benchmark's session: {}",
            check.status()
        );
    }
    let mut floors = Vec::new();
    let mut portals = Vec::new();
    for round in 0..2 {
        for (mode, url, list) in [
            ("floor", &floor_url, &org_file),
            ("portal", &real_url, &cookie_file),
        ] {
            let run = wrk(url, &script, list, mode, seconds).await?;
            eprintln!(
                "   round {round} {mode}: {:.0} req/s, p99 {}",
                run.rps, run.p99
            );
            if mode == "floor" {
                floors.push(run)
            } else {
                portals.push(run)
            }
        }
    }
    real_task.abort();
    floor_task.abort();
    let best = |runs: Vec<Run>| {
        runs.into_iter()
            .max_by(|a, b| a.rps.total_cmp(&b.rps))
            .expect("two runs")
    };
    Ok(Figures {
        floor: best(floors),
        portal: best(portals),
    })
}

async fn wrk(
    url: &str,
    script: &std::path::Path,
    list: &std::path::Path,
    mode: &str,
    seconds: u32,
) -> anyhow::Result<Run> {
    let mut command = Command::new("wrk");
    command
        .args(["-t2", "-c64", &format!("-d{seconds}s"), "--latency", "-s"])
        .arg(script)
        .arg(url)
        .env("CS_BENCH_LIST", list)
        .env("CS_BENCH_MODE", mode);
    let out = tokio::task::spawn_blocking(move || command.output())
        .await?
        .context("cannot run wrk")?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || text.contains("Non-2xx") {
        bail!(
            "wrk failed:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let rps = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .context("wrk printed no Requests/sec")?;
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(|v| v.trim().to_string())
        .context("wrk printed no 99th percentile")?;
    Ok(Run { rps, p99 })
}
