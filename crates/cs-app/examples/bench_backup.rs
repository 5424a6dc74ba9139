//! `cargo run -p cs-app --example bench_backup [-- --mb N]`: a backup and a
//! restore of a large store (1 GB by default), and how long the app takes to
//! answer while the backup runs.
//!
//! The store gets 500 customers through the façade, then activity entries
//! (the largest table of a long-lived store) through `cs_store::activity`
//! until the file reaches the size asked for. Then, with the app open, a
//! thread runs "Back up now" while the main thread keeps calling the
//! dashboard (a read) and saving the backup settings (a write), as the UI
//! would; the latencies of those calls are printed. Then the backup is
//! restored, timed the same way.

// Figures for people: floats are fine here, no money is computed.
#![allow(clippy::float_arithmetic, clippy::cast_precision_loss)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cs_app::dto::*;
use cs_app::{App, AppConfig};
use cs_secrets::MemorySecrets;

fn open(path: &Path) -> anyhow::Result<App> {
    Ok(App::open(AppConfig {
        database_path: path.to_path_buf(),
        log_dir: path.with_file_name("logs"),
        clock: Arc::new(cs_app::SystemClock),
        events: Arc::new(cs_app::NoEvents),
        secrets: Arc::new(MemorySecrets::default()),
        sandbox_timing: cs_provider::sandbox::Timing::default(),
        actor: "staff:bench".into(),
    })?)
}

fn fill(path: &Path, target: u64) -> anyhow::Result<()> {
    {
        let app = open(path)?;
        for i in 0..500 {
            app.create_organization(OrganizationInput {
                name: format!("Customer {i:04}"),
                contact_name: "Ops".into(),
                contact_email: format!("ops{i}@example.com"),
                country: "NO".into(),
                ..Default::default()
            })?;
        }
    }
    let store = cs_store::Store::open(path)?;
    let summary = "Server web-1 of Customer 0001 rebooted by the reseller after a kernel update; the provider reported it running again 41 s later. ".repeat(4);
    let at = chrono::Utc::now();
    let started = Instant::now();
    loop {
        let size = std::fs::metadata(path)?.len();
        if size >= target {
            break;
        }
        store.write(|tx| -> anyhow::Result<()> {
            for i in 0..20_000 {
                cs_store::activity::append(
                    tx,
                    &cs_store::activity::NewActivity {
                        at,
                        actor: "staff:bench",
                        action: "server.rebooted",
                        subject_kind: "server",
                        subject_id: Some(format!("{i:08}")),
                        organization_id: None,
                        summary: summary.clone(),
                    },
                )?;
            }
            Ok(())
        })?;
        // Fold the WAL into the file so its size says how far we are.
        store.read(|c| -> anyhow::Result<()> {
            c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            Ok(())
        })?;
    }
    println!(
        "filled {} in {:.1} s",
        human(std::fs::metadata(path)?.len()),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn human(bytes: u64) -> String {
    format!("{:.2} GB", bytes as f64 / 1e9)
}

/// Calls the app as the UI would until `done`, and returns the latencies.
fn probe(app: &App, done: &std::sync::atomic::AtomicBool) -> (Vec<Duration>, Vec<Duration>) {
    let (mut reads, mut writes) = (vec![], vec![]);
    let settings = app.backup_settings().unwrap();
    while !done.load(std::sync::atomic::Ordering::SeqCst) {
        let t = Instant::now();
        let _ = app.dashboard();
        reads.push(t.elapsed());
        let t = Instant::now();
        let _ = app.update_backup_settings(BackupSettingsInput {
            folder: settings.folder.clone(),
            every_hours: settings.every_hours,
        });
        writes.push(t.elapsed());
        std::thread::sleep(Duration::from_millis(20));
    }
    (reads, writes)
}

fn report(what: &str, mut d: Vec<Duration>) {
    d.sort();
    let ms = |x: Duration| x.as_secs_f64() * 1000.0;
    if d.is_empty() {
        println!("  {what}: no calls");
        return;
    }
    let p = |q: f64| d[((d.len() as f64 - 1.0) * q) as usize];
    println!(
        "  {what}: {} calls, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        d.len(),
        ms(p(0.5)),
        ms(p(0.99)),
        ms(*d.last().unwrap())
    );
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let mb: u64 = args
        .iter()
        .position(|a| a == "--mb")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("data").join("containerstacks.db");
    fill(&db, mb * 1_000_000)?;

    let app = Arc::new(open(&db)?);
    app.update_backup_settings(BackupSettingsInput {
        folder: Some(dir.path().join("backups").display().to_string()),
        every_hours: 0,
    })?;

    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (a, d) = (app.clone(), done.clone());
    let started = Instant::now();
    let backup = std::thread::spawn(move || {
        let r = a.backup_now();
        d.store(true, std::sync::atomic::Ordering::SeqCst);
        r
    });
    let (reads, writes) = probe(&app, &done);
    let b = backup.join().expect("the backup thread")?;
    println!(
        "backup: {} ({} bytes) written and checked in {:.1} s",
        b.size,
        b.size_bytes,
        started.elapsed().as_secs_f64()
    );
    report("dashboard during the backup", reads);
    report("save settings during the backup", writes);

    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (a, d) = (app.clone(), done.clone());
    let file = b.file.clone();
    let started = Instant::now();
    let restore = std::thread::spawn(move || {
        let r = a.restore_backup(&file);
        d.store(true, std::sync::atomic::Ordering::SeqCst);
        r
    });
    let (reads, writes) = probe(&app, &done);
    let r = restore.join().expect("the restore thread")?;
    println!(
        "restore: {} customers back in {:.1} s (the file of before kept as {})",
        r.contents.customers,
        started.elapsed().as_secs_f64(),
        r.aside_path
    );
    report("dashboard during the restore", reads);
    report("save settings during the restore", writes);
    Ok(())
}
