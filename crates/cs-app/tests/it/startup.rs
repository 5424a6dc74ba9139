//! A database that cannot be opened: the window shows `startup_failure_message`
//! in a native dialog (and on stderr) before it exits, so each case must say
//! what went wrong and what to do.

use std::path::Path;
use std::sync::Arc;

use cs_app::{startup_failure_message, App, AppConfig, NoEvents};
use cs_core::FixedClock;
use cs_secrets::MemorySecrets;

fn open(path: &Path) -> cs_app::AppResult<App> {
    App::open(AppConfig {
        database_path: path.to_path_buf(),
        log_dir: path.parent().unwrap().join("logs"),
        clock: Arc::new(FixedClock::new(chrono::Utc::now())),
        events: Arc::new(NoEvents),
        secrets: Arc::new(MemorySecrets::default()),
        sandbox_timing: Default::default(),
        actor: "staff:owner".into(),
    })
}

#[test]
fn a_database_in_use_by_the_daemon_says_to_stop_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cs.db");
    let _first = open(&path).unwrap();
    let err = open(&path).unwrap_err();
    let m = startup_failure_message(&err, &path);
    assert!(
        m.contains("in use by another ContainerStacks process"),
        "{m}"
    );
    assert!(m.contains("stop the daemon"), "{m}");
    assert!(
        m.contains(&dir.path().display().to_string()),
        "names the data folder: {m}"
    );
}

#[test]
fn a_damaged_database_says_so_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cs.db");
    std::fs::write(&path, "this is not a database ".repeat(400)).unwrap();
    let err = open(&path).unwrap_err();
    let m = startup_failure_message(&err, &path);
    assert!(
        m.contains("damaged or is not a ContainerStacks database"),
        "{m}"
    );
    assert!(m.contains("restore it from a backup"), "{m}");
}

#[test]
fn a_database_of_a_newer_version_says_to_install_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cs.db");
    drop(open(&path).unwrap());
    // Names cs-store's migration record to stage a database written by a
    // later version.
    let conn = cs_store::rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, '9999_future', 'x')",
        [],
    )
    .unwrap();
    drop(conn);
    let err = open(&path).unwrap_err();
    let m = startup_failure_message(&err, &path);
    assert!(m.contains("written by a newer ContainerStacks"), "{m}");
}

#[test]
fn a_read_only_data_folder_says_to_make_it_writable() {
    // As root every file is writable: the case cannot be staged.
    if is_root() {
        eprintln!("skipped: running as root, a read-only folder cannot be staged");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("data");
    std::fs::create_dir(&folder).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o500)).unwrap();
    let path = folder.join("cs.db");
    let err = open(&path).unwrap_err();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700)).unwrap();
    let m = startup_failure_message(&err, &path);
    assert!(m.contains("cannot write to its data folder"), "{m}");
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}
