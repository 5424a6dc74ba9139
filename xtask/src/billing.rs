//! `cargo xtask crash-test N` and `cargo xtask bench billing` for the billing
//! engine (crate cs-billing).
//!
//! The crash test builds `billing-crash-child`, runs it on one database file,
//! kills it with SIGKILL at random moments N times, and after every kill
//! reopens the database and checks every invariant of `cs_billing::verify`
//! plus that no issued document changed. At the end it finishes the billing
//! itself and checks that no hour was skipped.
//!
//! The benchmark prints, in one run: (a) the raw insert rate of usage rows,
//! (b) one hourly run over 100 000 servers and its ratio to (a), (c) a re-run
//! of an hour already billed, (d) a 30-day catch-up for 10 000 servers, and
//! (e) the database size after a simulated year of 10 000 servers. Run it in
//! release mode; the figures are recorded in crates/cs-billing/BENCH.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration as StdDuration, Instant};

use anyhow::{bail, Context};
use chrono::{Duration, TimeZone, Utc};
use cs_billing::verify::{document_digests, unbilled_meters, verify};
use cs_core::metering::last_complete_hour;
use cs_core::Timestamp;
use cs_store::rusqlite;
use cs_store::{fmt_ts, parse_ts, Store};
use rand::Rng;

fn workspace_root() -> anyhow::Result<PathBuf> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .output()
        .context("running cargo locate-project")?;
    let manifest = String::from_utf8(out.stdout)?;
    Ok(PathBuf::from(manifest.trim())
        .parent()
        .context("workspace manifest has no folder")?
        .to_path_buf())
}

/// Builds the crash child with the profile this program was built with and
/// returns its path.
fn build_child() -> anyhow::Result<PathBuf> {
    let root = workspace_root()?;
    let release = !cfg!(debug_assertions);
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(&root).args([
        "build",
        "--quiet",
        "-p",
        "cs-billing",
        "--bin",
        "billing-crash-child",
    ]);
    if release {
        cmd.arg("--release");
    }
    let status = cmd
        .status()
        .context("running cargo build for billing-crash-child")?;
    if !status.success() {
        bail!("building billing-crash-child failed: fix the build error above and run again");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let bin = target
        .join(if release { "release" } else { "debug" })
        .join("billing-crash-child");
    if !bin.exists() {
        bail!("built billing-crash-child but cannot find it at {}: set CARGO_TARGET_DIR to the target folder cargo uses", bin.display());
    }
    Ok(bin)
}

fn sim_now(conn: &rusqlite::Connection) -> anyhow::Result<Option<Timestamp>> {
    let v: Option<String> = cs_store::settings::get(conn, "crashsim.now")?;
    Ok(v.map(|s| parse_ts(&s)).transpose()?)
}

/// Kills the billing child `count` times at random points and checks the
/// invariants after each kill.
pub fn crash_test(count: u32) -> anyhow::Result<()> {
    let child_bin = build_child()?;
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("crash.db");
    let mut rng = rand::rng();
    let mut digests: BTreeMap<String, String> = BTreeMap::new();
    let started = Instant::now();
    println!(
        "crash test: {count} kills of {} on {}",
        child_bin.display(),
        db.display()
    );
    for i in 1..=count {
        let mut child = Command::new(&child_bin)
            .arg(&db)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", child_bin.display()))?;
        let wait = StdDuration::from_millis(rng.random_range(150..2_500));
        std::thread::sleep(wait);
        if let Some(status) = child.try_wait()? {
            let out = child.wait_with_output()?;
            bail!(
                "the child exited by itself ({status}) before kill {i}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        child.kill()?; // SIGKILL on Unix
        child.wait()?;
        let store = Store::open(&db).context("reopening the database after a kill")?;
        let (report, now, after) = store.read(|c| -> anyhow::Result<_> {
            let report = verify(c).map_err(|e| anyhow::anyhow!("after kill {i}: {e}"))?;
            Ok((report, sim_now(c)?, document_digests(c)?))
        })?;
        for (id, d) in &digests {
            if after.get(id) != Some(d) {
                bail!("after kill {i}: issued document {id} changed or disappeared");
            }
        }
        digests = after;
        println!(
            "kill {i:>3} after {:>5} ms: simulated {}, {} meters, {} hours billed, {} transactions, {} documents — invariants hold",
            wait.as_millis(),
            now.map(|t| fmt_ts(&t)).unwrap_or_else(|| "(not set up yet)".into()),
            report.meters,
            report.hours_billed,
            report.transactions,
            report.documents
        );
    }
    // Finish what the last child was doing, as the app does at start-up, and
    // check that every hour up to the simulated now is billed exactly once.
    let store = Store::open(&db)?;
    if let Some(now) = store.read(sim_now)? {
        cs_billing::run_due(&store, now, &mut |_| {})?;
        let (report, unbilled) = store.read(|c| -> anyhow::Result<_> {
            Ok((verify(c)?, unbilled_meters(c, last_complete_hour(now))?))
        })?;
        if unbilled != 0 {
            bail!("{unbilled} meters were not billed through the last complete hour after the final run");
        }
        println!(
            "final run: every meter billed through {}; {} hours billed in total; invariants hold ({:.1} s)",
            fmt_ts(&now),
            report.hours_billed,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn arg(args: &[String], name: &str, default: u64) -> anyhow::Result<u64> {
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .context(format!("{name} needs a number"))?
            .parse()
            .with_context(|| format!("{name} needs a number")),
        None => Ok(default),
    }
}

/// The parts of the benchmark to run: `--only a,b-fresh,b-month,b-next,c,d,e`
/// (comma-separated; default all). `b-*` and `c` need `a` for their ratios
/// and print none without it; `c` runs on the store of `b-month`/`b-next`.
fn parts(args: &[String]) -> anyhow::Result<Vec<String>> {
    const ALL: [&str; 7] = ["a", "b-fresh", "b-month", "b-next", "c", "d", "e"];
    let Some(i) = args.iter().position(|a| a == "--only") else {
        return Ok(ALL.iter().map(|s| s.to_string()).collect());
    };
    let list = args
        .get(i + 1)
        .context("--only needs a list, e.g. --only a,b-month")?;
    let parts: Vec<String> = list
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(bad) = parts.iter().find(|p| !ALL.contains(&p.as_str())) {
        bail!(
            "--only: unknown part {bad:?}; the parts are {}",
            ALL.join(",")
        );
    }
    Ok(parts)
}

fn ts(y: i32, mo: u32, d: u32) -> Timestamp {
    Utc.with_ymd_and_hms(y, mo, d, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

fn plan_id() -> cs_core::PlanId {
    cs_core::PlanId(uuid::Uuid::from_u128(0xb0b0))
}

fn org_id(i: u64) -> String {
    uuid::Uuid::from_u128(0x0a00_0000_0000_0000_0000 + u128::from(i)).to_string()
}

fn org_ids(orgs: u64) -> Vec<String> {
    (0..orgs).map(org_id).collect()
}

fn server_id(i: u64) -> cs_core::ServerId {
    cs_core::ServerId(uuid::Uuid::from_u128(
        0x0c00_0000_0000_0000_0000 + u128::from(i),
    ))
}

/// A database with `orgs` organizations and `servers` servers created at
/// `at`, written through the store's own functions, and their meters
/// (opened by the engine's own sync).
fn populate(path: &Path, servers: u64, orgs: u64, at: Timestamp) -> anyhow::Result<Store> {
    let store = Store::open(path)?;
    store.write(|tx| -> anyhow::Result<()> {
        let mut s = cs_billing::BillingSettings::load(tx)?;
        // Benchmarks measure billing, not dunning: nobody runs out of money
        // (-1,000,000 USD, the lowest threshold the settings allow).
        s.low_balance_threshold_minor = -100_000_000;
        s.suspend_at_minor = -100_000_000;
        s.save(tx)?;
        let usd = cs_core::Currency::USD;
        cs_store::plans::insert(
            tx,
            &cs_core::Plan {
                id: plan_id(),
                name: "Nano".into(),
                provider: cs_core::ProviderKind::Linode,
                provider_type: "g6-nanode-1".into(),
                regions: vec![],
                monthly: cs_core::Money::new(500, usd),
                hourly: cs_core::Rate::new(7500, usd),
                active: true,
                created_at: at,
                updated_at: at,
            },
        )?;
        for i in 0..orgs {
            let org = cs_core::Organization {
                id: org_id(i).parse()?,
                name: format!("org {i}"),
                country: "US".into(),
                tax_id: None,
                created_at: at,
                updated_at: at,
            };
            let contact = cs_core::User {
                id: cs_core::UserId(uuid::Uuid::from_u128(0x0d00_0000_0000 + u128::from(i))),
                organization_id: Some(org.id),
                name: format!("contact {i}"),
                email: format!("billing{i}@bench.example"),
                role: cs_core::Role::OrgAdmin,
                created_at: at,
            };
            cs_store::orgs::insert(tx, &org, &contact)?;
        }
        insert_servers(tx, 0..servers, orgs, at)?;
        Ok(())
    })?;
    store.write(|tx| cs_billing::meters::sync_meters(tx))?;
    Ok(store)
}

fn insert_servers(
    tx: &rusqlite::Connection,
    range: std::ops::Range<u64>,
    orgs: u64,
    at: Timestamp,
) -> anyhow::Result<()> {
    for i in range {
        cs_store::servers::insert(
            tx,
            &cs_core::Server {
                id: server_id(i),
                organization_id: org_id(i % orgs).parse()?,
                plan_id: plan_id(),
                label: format!("srv-{i}"),
                provider: cs_core::ProviderKind::Linode,
                provider_id: None,
                provider_type: "g6-nanode-1".into(),
                region: "eu-central".into(),
                image: "debian".into(),
                status: cs_core::ServerStatus::Running,
                ipv4: None,
                ipv6: None,
                created_at: at,
                updated_at: at,
                deleted_at: None,
            },
        )?;
    }
    Ok(())
}

/// What a timed part cost: wall time, plus two figures that do not move with
/// the machine's load (on Linux): the CPU time of this thread and the bytes
/// this process handed to write(2) (SQLite's WAL and checkpoints).
struct Cost {
    wall: StdDuration,
    cpu: Option<StdDuration>,
    written: Option<u64>,
}

struct Probe {
    at: Instant,
    cpu: Option<StdDuration>,
    written: Option<u64>,
}

fn thread_cpu() -> Option<StdDuration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(StdDuration::from_nanos(
        s.split_whitespace().next()?.parse().ok()?,
    ))
}

fn bytes_written() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/io").ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("wchar:"))
        .and_then(|v| v.trim().parse().ok())
}

impl Probe {
    fn start() -> Probe {
        let (cpu, written) = (thread_cpu(), bytes_written());
        Probe {
            at: Instant::now(),
            cpu,
            written,
        }
    }
    fn stop(self) -> Cost {
        let wall = self.at.elapsed();
        let cpu = thread_cpu().zip(self.cpu).map(|(b, a)| b.saturating_sub(a));
        let written = bytes_written()
            .zip(self.written)
            .map(|(b, a)| b.saturating_sub(a));
        Cost { wall, cpu, written }
    }
}

impl std::fmt::Display for Cost {
    #[allow(clippy::float_arithmetic)] // timings and sizes, never money
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.3} s", self.wall.as_secs_f64())?;
        if let (Some(cpu), Some(w)) = (self.cpu, self.written) {
            write!(
                f,
                " (CPU {:.3} s, {:.1} MB written)",
                cpu.as_secs_f64(),
                w as f64 / 1_048_576.0
            )?;
        }
        Ok(())
    }
}

// Timings and sizes, never money: floats are fine here.
#[allow(clippy::float_arithmetic)]
fn rate(n: u64, d: StdDuration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

/// The database file's size once its write-ahead log is folded in.
fn db_size(path: &Path) -> anyhow::Result<u64> {
    let conn = rusqlite::Connection::open(path)?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    drop(conn);
    Ok(std::fs::metadata(path)?.len())
}

#[allow(clippy::float_arithmetic)] // timings and sizes, never money
/// The billing benchmark; `args` may set `--servers N` (hourly run, default
/// 100 000), `--catchup-servers N` and `--year-servers N` (default 10 000).
pub fn bench(args: &[String]) -> anyhow::Result<()> {
    if cfg!(debug_assertions) {
        println!("warning: this is a debug build; run `cargo run --release -p xtask -- bench billing` for real figures");
    }
    let servers = arg(args, "--servers", 100_000)?;
    let catchup = arg(args, "--catchup-servers", 10_000)?;
    let year = arg(args, "--year-servers", 10_000)?;
    let dir = tempfile::tempdir()?;
    let start = ts(2026, 3, 10);
    println!("billing benchmark: {servers} servers in {} organizations (hourly run); {catchup} (catch-up); {year} (a year)", servers / 10);

    // (a) Raw inserts of the rows an hourly run writes — one usage interval
    // per server, and per organization one usage ledger transaction with its
    // wallet and revenue entries — with prepared statements in one
    // transaction, into the same schema (its indexes and triggers included).
    let orgs_b = (servers / 10).max(1);
    let only = parts(args)?;
    let has = |p: &str| only.iter().any(|o| o == p);
    let raw = if has("a") {
        Some(raw_insert(dir.path(), servers, orgs_b, start)?)
    } else {
        None
    };
    // The floor of the first hour of brand-new servers: the same rows into
    // empty usage tables (cheaper than the main figure, whose intervals join
    // a month of history like those of the first hour of a month).
    let raw_new = if has("a") && has("b-fresh") {
        Some(raw_insert_new(dir.path(), servers, orgs_b, start)?)
    } else {
        None
    };
    let ratio_to = |floor: &Option<Cost>, name: &str, hours: u64, c: &Cost| -> String {
        let Some(a) = floor else { return String::new() };
        let mut out = format!(
            ", ratio to {name} {:.2}",
            rate(hours, c.wall) / rate(servers, a.wall)
        );
        if let (Some(cb), Some(ca)) = (c.cpu, a.cpu) {
            out += &format!(
                " (CPU time ratio {:.2})",
                rate(hours, cb) / rate(servers, ca)
            );
        }
        out
    };
    let ratio = |hours: u64, c: &Cost| ratio_to(&raw, "(a)", hours, c);
    let ratio_new = |hours: u64, c: &Cost| {
        format!(
            "{}{}",
            ratio_to(&raw, "(a)", hours, c),
            ratio_to(&raw_new, "(a) into empty tables", hours, c)
        )
    };

    // (b) One hourly run over every server. Three cases: the very first hour
    // of new servers (a first interval per meter and usage transaction per
    // organization, their wallets opened with their meters); the
    // first hour of a month on servers with history (a new usage interval per
    // meter and a new usage ledger transaction per organization and day); and
    // a later hour, which extends this month's intervals (the common case).
    if has("b-fresh") {
        let store = populate(&dir.path().join("b0.db"), servers, orgs_b, start)?;
        let p = Probe::start();
        let fresh = cs_billing::run_due(&store, start + Duration::minutes(65), &mut |_| {})?;
        print_b(
            "first hour of new servers",
            fresh.billed.hours_billed,
            &p.stop(),
            &ratio_new,
        );
        drop(store);
    }
    if has("b-month") || has("b-next") || has("c") {
        let month_start = ts(2026, 4, 1);
        let store = populate(
            &dir.path().join("b.db"),
            servers,
            orgs_b,
            month_start - Duration::hours(2),
        )?;
        // March's last two hours: wallets exist and every meter has history.
        cs_billing::run_due(&store, month_start + Duration::minutes(5), &mut |_| {})?;
        let p = Probe::start();
        let first = cs_billing::run_due(&store, month_start + Duration::minutes(65), &mut |_| {})?;
        let c = p.stop();
        if has("b-month") {
            print_b(
                "first hour of a month (inserts)",
                first.billed.hours_billed,
                &c,
                &ratio,
            );
        }
        if has("b-next") || has("c") {
            let p = Probe::start();
            let next =
                cs_billing::run_due(&store, month_start + Duration::minutes(125), &mut |_| {})?;
            let c = p.stop();
            if has("b-next") {
                print_b("next hour (updates)", next.billed.hours_billed, &c, &ratio);
            }
        }
        if has("c") {
            // (c) The same hour again: nothing to bill.
            let p = Probe::start();
            let again =
                cs_billing::run_due(&store, month_start + Duration::minutes(130), &mut |_| {})?;
            println!(
                "(c) re-run of a billed hour: {} server-hours billed in {}",
                again.billed.hours_billed,
                p.stop()
            );
        }
        store.read(verify)?;
        drop(store);
    }
    if !has("d") && !has("e") {
        return Ok(());
    }
    if has("d") {
        bench_catch_up(dir.path(), catchup, start)?;
    }
    if has("e") {
        bench_year(dir.path(), year)?;
    }
    Ok(())
}

#[allow(clippy::float_arithmetic)] // timings, never money
fn print_b(name: &str, hours: u64, c: &Cost, ratio: &dyn Fn(u64, &Cost) -> String) {
    println!(
        "(b) hourly run, {name}: {hours} server-hours in {c} = {:.0}/s{}",
        rate(hours, c.wall),
        ratio(hours, c)
    );
}

/// The revenue account and every organization's wallet account, which the
/// engine opened with their first meter (populate's sync): (a) writes to them.
fn ledger_accounts(store: &Store, orgs: u64) -> anyhow::Result<(i64, Vec<i64>)> {
    Ok(store.read(|c| cs_billing::bench::usd_accounts(c, &org_ids(orgs)))?)
}

/// (a): returns the cost of writing the full output of one hourly run.
#[allow(clippy::float_arithmetic)] // timings, never money
fn raw_insert(dir: &Path, servers: u64, orgs_b: u64, start: Timestamp) -> anyhow::Result<Cost> {
    let store_a = populate(&dir.join("a.db"), servers, orgs_b, start)?;
    let (revenue_account, wallet_accounts) = ledger_accounts(&store_a, orgs_b)?;
    let (raw_intervals, raw) = raw_rows(
        &store_a,
        servers,
        orgs_b,
        start,
        revenue_account,
        &wallet_accounts,
    )?;
    println!(
        "(a) raw insert, usage intervals only: {servers} rows in {raw_intervals} = {:.0} rows/s",
        rate(servers, raw_intervals.wall)
    );
    println!(
        "(a) raw insert, the same rows as an hourly run ({servers} intervals + {orgs_b} ledger transactions + {} entries): {raw} = {:.0} server-hours/s",
        2 * orgs_b,
        rate(servers, raw.wall)
    );
    drop(store_a);
    Ok(raw)
}

/// (a) in the shape of the first hour of brand-new servers: the same rows as
/// [`raw_insert`]'s full figure, in one transaction, into usage tables that
/// hold nothing yet.
#[allow(clippy::float_arithmetic)] // timings, never money
fn raw_insert_new(dir: &Path, servers: u64, orgs_b: u64, start: Timestamp) -> anyhow::Result<Cost> {
    let store = populate(&dir.join("a-new.db"), servers, orgs_b, start)?;
    let (revenue_account, wallet_accounts) = ledger_accounts(&store, orgs_b)?;
    let h = cs_core::metering::hour_of(start);
    let m = cs_core::metering::month_of(start);
    let p = Probe::start();
    store.write(|tx| {
        run_rows(
            tx,
            servers,
            orgs_b,
            start,
            (m, h),
            revenue_account,
            &wallet_accounts,
        )
    })?;
    let raw = p.stop();
    println!("(a) raw insert, the same rows into empty usage tables (the first hour of new servers): {raw} = {:.0} server-hours/s", rate(servers, raw.wall));
    Ok(raw)
}

/// The rows one hourly run writes: an interval per server (in `interval`'s
/// month, starting at its hour) and, per organization, a usage transaction
/// with its wallet and revenue entries.
fn run_rows(
    tx: &rusqlite::Transaction<'_>,
    servers: u64,
    orgs: u64,
    start: Timestamp,
    interval: (i64, i64),
    revenue_account: i64,
    wallet_accounts: &[i64],
) -> anyhow::Result<()> {
    Ok(cs_billing::bench::insert_run(
        tx,
        servers as i64,
        &org_ids(orgs),
        start,
        interval,
        revenue_account,
        wallet_accounts,
    )?)
}

/// The timed writes of (a), a function of its own so that profilers can
/// separate them (`valgrind --tool=callgrind --dump-before='*raw_rows*'`).
#[inline(never)]
fn raw_rows(
    store_a: &Store,
    servers: u64,
    orgs_b: u64,
    start: Timestamp,
    revenue_account: i64,
    wallet_accounts: &[i64],
) -> anyhow::Result<(Cost, Cost)> {
    let h = cs_core::metering::hour_of(start);
    let m = cs_core::metering::month_of(start);
    let p = Probe::start();
    store_a.write(|tx| cs_billing::bench::insert_intervals(tx, servers as i64, m, h))?;
    let raw_intervals = p.stop();
    let p = Probe::start();
    store_a.write(|tx| {
        run_rows(
            tx,
            servers,
            orgs_b,
            start,
            (m + 1, h + 800),
            revenue_account,
            wallet_accounts,
        )
    })?;
    Ok((raw_intervals, p.stop()))
}

/// (d): a 30-day catch-up.
#[allow(clippy::float_arithmetic)] // timings, never money
fn bench_catch_up(dir: &Path, catchup: u64, start: Timestamp) -> anyhow::Result<()> {
    // (d) Catch-up: the app was closed for 30 days.
    let store = populate(&dir.join("d.db"), catchup, (catchup / 10).max(1), start)?;
    let t = Instant::now();
    let mut chunks = 0;
    let r = cs_billing::run_due(
        &store,
        start + Duration::days(30) + Duration::minutes(5),
        &mut |_| chunks += 1,
    )?;
    let d = t.elapsed();
    println!(
        "(d) catch-up of 30 days for {catchup} servers: {} server-hours in {:.3} s = {:.0}/s ({chunks} progress reports, {} invoices)",
        r.billed.hours_billed,
        d.as_secs_f64(),
        rate(r.billed.hours_billed, d),
        r.invoices.len()
    );
    store.read(verify)?;
    drop(store);
    Ok(())
}

/// (e): a simulated year, and the database size after it.
#[allow(clippy::float_arithmetic)] // timings and sizes, never money
fn bench_year(dir: &Path, year: u64) -> anyhow::Result<()> {
    // (e) A year: daily runs, 0.1 % of servers replaced every day, a monthly
    // payment per organization, monthly invoices.
    let orgs = (year / 10).max(1);
    let y0 = ts(2026, 1, 1);
    let store = populate(&dir.join("e.db"), year, orgs, y0)?;
    let t = Instant::now();
    let mut next_server = year;
    let mut rng = rand::rng();
    let churn = (year / 1000).max(1);
    for day in 1..=365 {
        let now = y0 + Duration::days(day);
        store.write(|tx| -> anyhow::Result<()> {
            for _ in 0..churn {
                let victim = server_id(rng.random_range(0..next_server));
                cs_store::servers::mark_deleted(tx, victim, now - Duration::hours(3))?;
            }
            insert_servers(
                tx,
                next_server..next_server + churn,
                orgs,
                now - Duration::hours(2),
            )?;
            if now.format("%d").to_string() == "01" {
                for o in 0..orgs {
                    let p = cs_billing::wallet::NewPayment {
                        organization_id: org_id(o).parse()?,
                        amount: cs_core::Money::new(2_000, cs_core::Currency::USD),
                        method: cs_billing::wallet::PaymentMethod::BankTransfer,
                        reference: format!("{o}-{day}"),
                        note: None,
                    };
                    cs_billing::wallet::record_payment(tx, &p, now, "bench")?;
                }
            }
            Ok(())
        })?;
        next_server += churn;
        cs_billing::run_due(&store, now + Duration::minutes(5), &mut |_| {})?;
    }
    let d = t.elapsed();
    let report = store.read(verify)?;
    let counts = store.read(|c| -> anyhow::Result<Vec<(&str, i64)>> {
        let mut out = cs_billing::bench::row_counts(c)?;
        out.push(("activity", cs_store::activity::count(c)?));
        out.push(("sync_outbox", cs_store::sync_outbox::count(c)?));
        Ok(out)
    })?;
    let path = store.path().to_path_buf();
    drop(store);
    let size = db_size(&path)?;
    println!(
        "(e) a simulated year of {year} servers ({} replaced): {} server-hours billed in {:.1} s; database {:.1} MB",
        next_server - year,
        report.hours_billed,
        d.as_secs_f64(),
        size as f64 / 1_048_576.0
    );
    for (t, n) in counts {
        println!("    {t:<16} {n:>10} rows");
    }
    Ok(())
}
