//! Backups and the restore drill: make data, back up, make more, restore,
//! and check every invariant the billing engine knows plus the document
//! numbering; damaged or foreign backups refused with the store untouched;
//! rotation; a backup cut short by a killed process never listed as good;
//! the portal refilled after a restore.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Duration;
use cs_app::dto::*;
use cs_app::{App, AppConfig, AppError};
use cs_provider::sandbox::Timing;
use cs_sync::record::{Kind, Record};

use crate::TestApp;

pub fn backups_dir(t: &TestApp) -> PathBuf {
    t.dir.path().join("backups")
}

pub fn turn_on(t: &TestApp, every_hours: u32) {
    t.app
        .update_backup_settings(BackupSettingsInput {
            folder: Some(backups_dir(t).display().to_string()),
            every_hours,
        })
        .unwrap();
}

async fn running_server(t: &TestApp, org: &OrganizationDto) -> ServerDto {
    let plan = t.plan("Starter").await;
    let s = t
        .app
        .create_server(t.server_input(org, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    t.tick().await;
    t.tick().await;
    s
}

async fn pay(t: &TestApp, org: &OrganizationDto, amount: &str, reference: &str) -> String {
    let w = t
        .app
        .record_payment(PaymentInput {
            organization_id: org.id.clone(),
            amount: amount.into(),
            method: "bank_transfer".into(),
            reference: reference.into(),
            note: None,
        })
        .await
        .unwrap();
    w.documents
        .iter()
        .filter(|d| d.kind == "receipt")
        .filter_map(|d| d.number.clone())
        .max()
        .expect("a receipt")
}

/// The billing engine's invariants on the live file, read beside the app
/// (WAL lets a second connection read).
fn verify(t: &TestApp) -> cs_billing::verify::InvariantReport {
    let c = cs_store::rusqlite::Connection::open(t.dir.path().join("cs.db")).unwrap();
    cs_billing::verify::verify(&c).expect("the billing invariants hold")
}

fn conflict(e: AppError) -> String {
    match e {
        AppError::Conflict(m) => m,
        e => panic!("expected a refusal, got {e:?}"),
    }
}

#[tokio::test]
async fn the_restore_drill() {
    let t = TestApp::new();
    turn_on(&t, 24);
    // Before: one customer with a running server (from 10:30), three hours
    // billed, one payment.
    let acme = t.customer("Acme Hosting", "ops@acme.example");
    running_server(&t, &acme).await;
    t.clock.advance(Duration::minutes(155) - crate::step() * 2);
    assert_eq!(t.app.run_billing().await.unwrap().hours_billed, "3");
    assert_eq!(pay(&t, &acme, "50.00", "BANK-1").await, "RCT-2026-000001");
    let backup = t.app.backup_now().unwrap();
    assert_eq!(backup.trigger.as_deref(), Some("manual"));

    // After the backup: another customer, a payment, five more hours.
    let fjord = t.customer("Fjord AS", "ops@fjord.example");
    assert_eq!(pay(&t, &fjord, "20.00", "BANK-2").await, "RCT-2026-000002");
    t.clock.advance(Duration::hours(5));
    assert_eq!(t.app.run_billing().await.unwrap().hours_billed, "5");
    let before = verify(&t);
    assert_eq!(before.hours_billed, 8);

    // The list and the preview say what a restore brings back.
    let list = t.app.list_backups().unwrap();
    assert_eq!(list.backups.len(), 1);
    assert_eq!(list.backups[0].file, backup.file);
    assert!(list.failures.is_empty());
    let preview = t.app.preview_restore(&backup.file).unwrap();
    assert_eq!(preview.backup.customers, 1);
    assert_eq!(preview.current.customers, 2);
    assert_eq!(preview.backup.servers, 1);
    assert_eq!(
        preview.backup.last_document_number.as_deref(),
        Some("RCT-2026-000001")
    );
    assert_eq!(
        preview.current.last_document_number.as_deref(),
        Some("RCT-2026-000002")
    );
    assert_eq!(
        preview.backup.last_billed_hour.as_deref(),
        Some("2026-01-31T12:00:00.000Z")
    );
    assert_eq!(
        preview.current.last_billed_hour.as_deref(),
        Some("2026-01-31T17:00:00.000Z")
    );
    assert!(!preview.upgrades);
    assert!(preview.warning.contains(&preview.aside_path));

    let restored = t.app.restore_backup(&backup.file).unwrap();
    assert_eq!(restored.contents, preview.backup);
    assert_eq!(restored.aside_path, preview.aside_path);
    // The file of before is kept, whole.
    let aside = cs_store::rusqlite::Connection::open(&restored.aside_path).unwrap();
    assert_eq!(cs_store::orgs::count(&aside).unwrap(), 2);
    drop(aside);
    let names: Vec<String> = t
        .app
        .list_organizations()
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(names, ["Acme Hosting"]);
    assert!(t
        .app
        .list_activity(5, None)
        .unwrap()
        .iter()
        .any(|a| a.action == "backup.restored" && a.summary.contains(&restored.aside_path)));

    // Billing catches up from the backup's last billed hour (12:00), each
    // hour once: 13:00 to 17:00 again, then nothing.
    assert_eq!(t.app.run_billing().await.unwrap().hours_billed, "5");
    assert_eq!(t.app.run_billing().await.unwrap().hours_billed, "0");
    let after = verify(&t);
    assert_eq!(after.hours_billed, 8, "every hour billed exactly once");
    // Numbering continues from the backup, gapless.
    assert_eq!(pay(&t, &acme, "10.00", "BANK-3").await, "RCT-2026-000002");
    // Into February: January's invoice is issued, numbered from 1, and the
    // wallet paid exactly what it says.
    t.clock.advance(Duration::hours(8));
    let run = t.app.run_billing().await.unwrap();
    assert_eq!(run.error, None);
    assert_eq!(run.invoices_issued, 1);
    let report = verify(&t);
    assert_eq!(report.hours_billed, 8 + 8);
    let invoices: Vec<String> = t
        .app
        .list_documents(DocumentFilterInput {
            kind: Some("invoice".into()),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .filter_map(|d| d.number)
        .collect();
    assert_eq!(invoices, ["INV-2026-000001"]);

    // And the restored store survives a restart of the app.
    let t = t.restart();
    assert_eq!(t.app.list_organizations().unwrap().len(), 1);
    assert_eq!(t.app.run_billing().await.unwrap().hours_billed, "0");
}

#[tokio::test]
async fn damaged_and_foreign_backups_are_refused_and_the_store_is_untouched() {
    let t = TestApp::new();
    turn_on(&t, 0);
    t.customer("Acme Hosting", "ops@acme.example");
    // An hour apart, so rotation keeps all three.
    let good = t.app.backup_now().unwrap();
    t.clock.advance(Duration::hours(1));
    let second = t.app.backup_now().unwrap();
    t.clock.advance(Duration::hours(1));
    let third = t.app.backup_now().unwrap();
    t.customer("Fjord AS", "ops@fjord.example");
    let folder = backups_dir(&t);
    let bytes = std::fs::read(folder.join(&good.file)).unwrap();

    // Scribbled over in the middle.
    let mut scribbled = bytes.clone();
    let mid = bytes.len() / 2;
    for b in &mut scribbled[mid - 4096..mid + 4096] {
        *b = 0x5a;
    }
    std::fs::write(folder.join(&good.file), &scribbled).unwrap();
    // Cut short.
    std::fs::write(folder.join(&second.file), &bytes[..bytes.len() / 3]).unwrap();
    // Not a database at all.
    std::fs::write(
        folder.join(&third.file),
        b"PK\x03\x04 a zip, say".repeat(500),
    )
    .unwrap();

    let db = t.dir.path().join("cs.db");
    for file in [&good.file, &second.file, &third.file] {
        let e = conflict(t.app.preview_restore(file).unwrap_err());
        assert!(
            e.contains("cannot be restored") && e.contains("current data was not touched"),
            "{e}"
        );
        let e = conflict(t.app.restore_backup(file).unwrap_err());
        assert!(
            e.contains(&format!("The backup {file} cannot be restored")),
            "{e}"
        );
    }
    let e = conflict(t.app.restore_backup(&third.file).unwrap_err());
    assert!(e.contains("not a SQLite database"), "{e}");

    // Untouched: the same data, no file set aside, nothing left behind.
    assert_eq!(t.app.list_organizations().unwrap().len(), 2);
    let beside: Vec<String> = std::fs::read_dir(t.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("before-restore") || n.contains("restoring"))
        .collect();
    assert!(beside.is_empty(), "{beside:?}");
    assert!(db.exists());

    // Another database's backup, under this database's name: refused, with
    // how to move a database instead.
    let other = TestApp::new();
    other
        .app
        .update_backup_settings(BackupSettingsInput {
            folder: Some(other.dir.path().join("b").display().to_string()),
            every_hours: 0,
        })
        .unwrap();
    let theirs = other.app.backup_now().unwrap();
    std::fs::copy(
        other.dir.path().join("b").join(&theirs.file),
        folder.join(&good.file),
    )
    .unwrap();
    let e = conflict(t.app.restore_backup(&good.file).unwrap_err());
    assert!(e.contains("another ContainerStacks database"), "{e}");

    // Only names the list gave are opened.
    let e = t.app.restore_backup("../cs.db").unwrap_err();
    assert!(matches!(e, AppError::NotFound(_)), "{e:?}");
    assert_eq!(t.app.list_organizations().unwrap().len(), 2);
}

#[tokio::test]
async fn settings_are_checked_and_a_failed_backup_is_listed_with_its_reason() {
    let t = TestApp::new();
    let e = t
        .app
        .update_backup_settings(BackupSettingsInput {
            folder: None,
            every_hours: 6,
        })
        .unwrap_err()
        .to_dto();
    assert_eq!(e.fields[0].field, "folder");
    let e = t
        .app
        .update_backup_settings(BackupSettingsInput {
            folder: Some("relative/path".into()),
            every_hours: 5,
        })
        .unwrap_err()
        .to_dto();
    let fields: Vec<&str> = e.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["everyHours", "folder"]);
    let e = t
        .app
        .update_backup_settings(BackupSettingsInput {
            folder: Some(t.dir.path().display().to_string()),
            every_hours: 6,
        })
        .unwrap_err()
        .to_dto();
    assert!(e.fields[0].message.contains("data folder"), "{e:?}");
    let e = t.app.backup_now().unwrap_err();
    assert!(e.to_string().contains("Settings → Backups"), "{e}");

    turn_on(&t, 6);
    let s = t.app.backup_settings().unwrap();
    assert_eq!(s.every_hours, 6);
    assert_eq!(s.folder, Some(backups_dir(&t).display().to_string()));
    let listed = t.app.list_backups().unwrap();
    assert_eq!(listed.next_at.as_deref(), Some("2026-01-31T10:30:00.000Z"));

    // The folder turns into a file: the backup fails, says why, and is listed.
    std::fs::remove_dir_all(backups_dir(&t)).unwrap();
    std::fs::write(backups_dir(&t), b"in the way").unwrap();
    let e = t.app.backup_now().unwrap_err();
    let list = t.app.list_backups().unwrap();
    assert!(list.backups.is_empty());
    assert_eq!(list.failures.len(), 1);
    assert_eq!(list.failures[0].error, e.to_string());
    assert_eq!(list.failures[0].trigger, "manual");
    assert!(list.folder_error.is_some());
}

#[tokio::test]
async fn rotation_keeps_the_newest_of_each_hour_and_day() {
    let t = TestApp::new();
    turn_on(&t, 1);
    t.customer("Acme Hosting", "ops@acme.example");
    // Every 30 minutes for three days.
    for _ in 0..(3 * 48) {
        t.app.backup_now().unwrap();
        t.clock.advance(Duration::minutes(30));
    }
    let list = t.app.list_backups().unwrap().backups;
    let on_disk = std::fs::read_dir(backups_dir(&t)).unwrap().count();
    assert_eq!(list.len(), on_disk, "the folder holds only listed backups");
    let times: Vec<chrono::DateTime<chrono::Utc>> =
        list.iter().map(|b| b.taken_at.parse().unwrap()).collect();
    let newest = times[0];
    let last_day = times
        .iter()
        .filter(|at| newest - **at < Duration::hours(24))
        .count();
    assert_eq!(last_day, 24, "one an hour for the last 24 hours");
    // Before that, one a day (the newest of each of the two days before);
    // January's last day is also kept as its month's.
    assert_eq!(list.len(), 24 + 2, "{:?}", times);
}

/// The backup a child process makes and is killed in (see below).
#[test]
fn child_backup_for_the_kill_test() {
    let Ok(db) = std::env::var("CS_BACKUP_CHILD_DB") else {
        return;
    };
    let app = App::open(AppConfig {
        database_path: PathBuf::from(&db),
        log_dir: Path::new(&db).with_file_name("child-logs"),
        clock: Arc::new(cs_app::SystemClock),
        events: Arc::new(cs_app::NoEvents),
        secrets: Arc::new(cs_secrets::MemorySecrets::default()),
        sandbox_timing: Timing::uniform(crate::step()),
        actor: "staff:child".into(),
    })
    .unwrap();
    // Signal readiness, then back up until killed.
    std::fs::write(format!("{db}.child-ready"), b"1").unwrap();
    loop {
        let _ = app.backup_now();
    }
}

#[tokio::test]
async fn a_backup_cut_short_by_kill_9_is_never_listed_as_good() {
    let t = TestApp::new();
    turn_on(&t, 0);
    t.customer("Acme Hosting", "ops@acme.example");
    let db = t.dir.path().join("cs.db");
    let folder = backups_dir(&t);
    // Ballast, so that a backup takes long enough to be caught half-way (a
    // table of the test's own, which no module owns).
    cs_store::rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "CREATE TABLE test_ballast (x BLOB);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000)
             INSERT INTO test_ballast SELECT randomblob(1000) FROM n;",
        )
        .unwrap();
    let TestApp { app, dir, .. } = t;
    drop(app);

    // A child process backs up in a loop and is killed (SIGKILL) while a
    // partial file grows.
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "backup::child_backup_for_the_kill_test",
            "--nocapture",
        ])
        .env("CS_BACKUP_CHILD_DB", &db)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let ready = PathBuf::from(format!("{}.child-ready", db.display()));
    let partial_growing = || {
        std::fs::read_dir(&folder).ok().is_some_and(|mut d| {
            d.any(|e| {
                e.is_ok_and(|e| {
                    e.file_name().to_string_lossy().ends_with(".partial")
                        && e.metadata().is_ok_and(|m| m.len() > 0)
                })
            })
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !(ready.exists() && partial_growing()) {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the child never started a backup");
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let partials = || -> usize {
        std::fs::read_dir(&folder)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
            .count()
    };
    assert_eq!(partials(), 1, "the killed backup left its partial file");

    // Reopened: whatever is listed is whole; the partial never is.
    let t = TestApp {
        dir,
        ..TestApp::new()
    }
    .restart();
    let listed = t.app.list_backups().unwrap().backups;
    for b in &listed {
        assert!(!b.file.ends_with(".partial"));
        cs_store::backup::check(&folder.join(&b.file)).expect("a listed backup is whole");
    }
    // The next backup removes the partial and is listed first.
    let next = t.app.backup_now().unwrap();
    assert_eq!(t.app.list_backups().unwrap().backups[0].file, next.file);
    assert_eq!(partials(), 0);
}

/// After a restore the outbox's sequence can pass what the portal held with
/// other records; the portal must end up holding exactly the restored state
/// plus what came after, not skip records it never had.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_is_refilled_after_a_restore() {
    let t = TestApp::new();
    turn_on(&t, 0);
    t.customer("Acme Hosting", "ops@acme.example");
    let p = crate::portal::portal().await;
    p.pair(&t).await;
    assert_eq!(t.app.sync_portal_until_idle().await.unwrap().waiting, 0);
    let backup = t.app.backup_now().unwrap();

    // The portal gets a customer the restore takes away.
    t.customer("Gone Ltd", "ops@gone.example");
    assert_eq!(t.app.sync_portal_until_idle().await.unwrap().waiting, 0);

    t.app.restore_backup(&backup.file).unwrap();
    // More changes than the portal held beyond the backup, before any push.
    for (name, email) in [
        ("Fjord AS", "ops@fjord.example"),
        ("Bergen Data", "ops@bergen.example"),
        ("Oslo Cloud", "ops@oslo.example"),
    ] {
        t.customer(name, email);
    }
    let status = t.app.sync_portal_until_idle().await.unwrap();
    assert_eq!(status.waiting, 0, "{status:?}");
    assert!(status.last_error.is_none(), "{status:?}");

    let mut on_portal: Vec<String> = p
        .held()
        .await
        .into_iter()
        .filter_map(|(k, _, r)| match (k, r) {
            (Kind::Organization, Some(Record::Organization(o))) => Some(o.name),
            _ => None,
        })
        .collect();
    on_portal.sort();
    let mut on_desktop: Vec<String> = t
        .app
        .list_organizations()
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    on_desktop.sort();
    assert_eq!(on_portal, on_desktop);
    assert!(!on_portal.contains(&"Gone Ltd".to_string()));
}
