//! Online copies of the store and their checks.
//!
//! [`copy_into`] writes a consistent snapshot of a live database with
//! `VACUUM INTO` on a connection of its own: it reads one snapshot in one
//! read transaction, so the store's own connection keeps writing meanwhile
//! (WAL) and the copy never mixes two moments. A file copy of a live WAL
//! database would (the file alone lacks what the `-wal` still holds).
//! [`check`] verifies a copy without changing it: SQLite's
//! `PRAGMA integrity_check`, then the migration record against this binary's
//! (as [`crate::migrate::apply`] would judge it at open).
//!
//! Where copies go, what they are named and when they are made is the
//! façade's business (`cs_app`'s `backup` area).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::migrate::{self, Applied};
use crate::StoreError;

/// Why a file is not a usable copy of the store.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("it is not a SQLite database (damaged, cut short or another kind of file)")]
    NotADatabase,
    #[error("SQLite's integrity check found damage ({0})")]
    Damaged(String),
    #[error("{0}")]
    Migrations(StoreError),
    #[error("it cannot be read: {0}")]
    Unreadable(String),
}

/// What [`check`] found in a good copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    pub migrations: Applied,
}

/// Writes a snapshot of the database at `db` into `dest`, which must not
/// exist or be empty (it is created owner-only). The copy uses the rollback
/// journal, so it is one self-contained file, synced to disk before this
/// returns.
pub fn copy_into(db: &Path, dest: &Path) -> Result<(), StoreError> {
    crate::create_private_file(dest).map_err(|source| StoreError::Open {
        path: dest.to_path_buf(),
        source,
    })?;
    {
        let conn = Connection::open_with_flags(
            db,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        // `VACUUM INTO` only reads this database (`query_only` would refuse
        // it all the same: it counts the copy as a write).
        let dest = dest.to_str().ok_or_else(|| {
            StoreError::Corrupt(format!("{} is not a UTF-8 path", dest.display()))
        })?;
        conn.execute("VACUUM INTO ?1", [dest])?;
    }
    {
        let copy = Connection::open(dest)?;
        let mode: String = copy.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
        debug_assert_eq!(mode, "delete");
    }
    let f = std::fs::File::open(dest).map_err(|source| StoreError::Open {
        path: dest.to_path_buf(),
        source,
    })?;
    f.sync_all().map_err(|source| StoreError::Open {
        path: dest.to_path_buf(),
        source,
    })?;
    Ok(())
}

/// Opens a copy read-only (it is never changed by reading it).
pub fn open_read_only(path: &Path) -> Result<Connection, CheckError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(classify)?;
    Ok(conn)
}

/// Checks the copy at `path`: readable as SQLite, intact by
/// `PRAGMA integrity_check`, and with a migration record this binary can
/// open (none edited, none newer).
pub fn check(path: &Path) -> Result<Checked, CheckError> {
    let conn = open_read_only(path)?;
    let problems: Vec<String> = {
        let mut stmt = conn
            .prepare("PRAGMA integrity_check(20)")
            .map_err(classify)?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(classify)?;
        rows.collect::<rusqlite::Result<_>>().map_err(classify)?
    };
    if problems != ["ok"] {
        return Err(CheckError::Damaged(problems.join("; ")));
    }
    let migrations = migrate::check(&conn).map_err(|e| match e {
        StoreError::Sqlite(e) => classify(e),
        e => CheckError::Migrations(e),
    })?;
    Ok(Checked { migrations })
}

fn classify(e: rusqlite::Error) -> CheckError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => CheckError::NotADatabase,
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => CheckError::Damaged(e.to_string()),
        _ => CheckError::Unreadable(e.to_string()),
    }
}

/// The folder, beside the database, of the copies taken before migrations
/// changed it ([`keep_before_migrating`]).
pub fn before_update_dir(db: &Path) -> PathBuf {
    db.parent()
        .unwrap_or_else(|| Path::new("."))
        .join("before-update")
}

/// Before this binary's migrations change a database that an earlier
/// ContainerStacks wrote (it has migrations, and this binary has more),
/// keeps a copy of it as it was: an earlier version refuses a database a
/// newer one migrated, so this copy is the way back after an update. It is
/// written with `VACUUM INTO` to a partial name and renamed when complete,
/// into [`before_update_dir`] as `<file stem>-schema-<n>-<time>.sqlite`
/// (`n` the migrations it has). A new database, or one already up to date,
/// gets no copy; one this binary refuses is left to [`crate::migrate`].
pub(crate) fn keep_before_migrating(conn: &Connection, db: &Path) -> Result<(), StoreError> {
    let applied = match crate::migrate::check(conn) {
        Ok(a) if a.applied > 0 && a.pending > 0 => a.applied,
        _ => return Ok(()),
    };
    let dir = before_update_dir(db);
    crate::create_private_dir_all(&dir).map_err(|source| StoreError::Open {
        path: dir.clone(),
        source,
    })?;
    let stem = db
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "containerstacks".into());
    let at = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let name = format!("{stem}-schema-{applied}-{at}.sqlite");
    let dest = dir.join(&name);
    let partial = dir.join(format!("{name}.partial"));
    let _ = std::fs::remove_file(&partial);
    conn.execute("VACUUM INTO ?1", [partial.to_string_lossy()])?;
    std::fs::rename(&partial, &dest).map_err(|source| StoreError::Open {
        path: dest.clone(),
        source,
    })?;
    tracing::info!(copy = %dest.display(), schema = applied, "kept a copy of the database before migrating it");
    Ok(())
}

/// A copy taken before an update's migrations, as listed by
/// [`copies_before_update`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyBeforeUpdate {
    pub path: PathBuf,
    /// The migrations the database had then.
    pub schema: u32,
    /// When it was taken, as in its name (UTC, `YYYYMMDDTHHMMSSZ`).
    pub taken: String,
    pub bytes: u64,
}

/// The copies of `db` taken before updates migrated it, newest first.
pub fn copies_before_update(db: &Path) -> Vec<CopyBeforeUpdate> {
    let stem = db
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "containerstacks".into());
    let prefix = format!("{stem}-schema-");
    let Ok(entries) = std::fs::read_dir(before_update_dir(db)) else {
        return Vec::new();
    };
    let mut found: Vec<CopyBeforeUpdate> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let rest = name.strip_prefix(&prefix)?.strip_suffix(".sqlite")?;
            let (schema, taken) = rest.split_once('-')?;
            Some(CopyBeforeUpdate {
                schema: schema.parse().ok()?,
                taken: taken.to_string(),
                bytes: e.metadata().ok()?.len(),
                path: e.path(),
            })
        })
        .collect();
    found.sort_by(|a, b| b.taken.cmp(&a.taken));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    fn filled(dir: &Path) -> Store {
        let store = Store::open(&dir.join("cs.db")).unwrap();
        store
            .write(|tx| {
                tx.execute_batch(
                    "CREATE TABLE t (x TEXT);
                     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
                     INSERT INTO t SELECT hex(randomblob(100)) FROM n;",
                )?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        store
    }

    #[test]
    fn a_copy_of_a_live_database_is_whole_and_checks_good() {
        let dir = tempfile::tempdir().unwrap();
        let store = filled(dir.path());
        let dest = dir.path().join("copy.db");
        copy_into(store.path(), &dest).unwrap();
        // The store keeps working on its own connection.
        store
            .write(|tx| {
                tx.execute("INSERT INTO t VALUES ('after')", [])?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let checked = check(&dest).unwrap();
        assert_eq!(checked.migrations.pending, 0);
        let c = open_read_only(&dest).unwrap();
        let n: i64 = c
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2000, "the snapshot, not what came after");
        assert!(!dir.path().join("copy.db-wal").exists());
    }

    #[test]
    fn damaged_foreign_and_cut_short_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = filled(dir.path());
        let good = dir.path().join("good.db");
        copy_into(store.path(), &good).unwrap();
        let bytes = std::fs::read(&good).unwrap();

        let garbage = dir.path().join("garbage.db");
        std::fs::write(
            &garbage,
            b"this is not a database at all, just some text".repeat(100),
        )
        .unwrap();
        assert!(
            matches!(check(&garbage), Err(CheckError::NotADatabase)),
            "{:?}",
            check(&garbage)
        );

        let cut = dir.path().join("cut.db");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        assert!(check(&cut).is_err(), "a file cut in half");

        let scribbled = dir.path().join("scribbled.db");
        let mut b = bytes.clone();
        for x in &mut b[bytes.len() / 2..bytes.len() / 2 + 8192] {
            *x = 0x5a;
        }
        std::fs::write(&scribbled, &b).unwrap();
        assert!(
            matches!(check(&scribbled), Err(CheckError::Damaged(_))),
            "{:?}",
            check(&scribbled)
        );

        let foreign = dir.path().join("foreign.db");
        Connection::open(&foreign)
            .unwrap()
            .execute_batch("CREATE TABLE x (y)")
            .unwrap();
        let e = check(&foreign).unwrap_err();
        assert!(
            e.to_string().contains("not a ContainerStacks database"),
            "{e}"
        );
    }

    #[test]
    fn a_replaced_store_keeps_the_file_of_before_aside() {
        let dir = tempfile::tempdir().unwrap();
        let store = filled(dir.path());
        let copy = dir.path().join("copy.db");
        copy_into(store.path(), &copy).unwrap();
        store
            .write(|tx| {
                tx.execute("DELETE FROM t", [])?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let aside = dir.path().join("cs.db.before-restore");
        store.replace_with(&copy, &aside).unwrap();
        let count = |c: &Connection| -> i64 {
            c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(store.read(|c| Ok::<_, StoreError>(count(c))).unwrap(), 2000);
        assert_eq!(count(&open_read_only(&aside).unwrap()), 0);
        assert!(!copy.exists());

        // A replacement that cannot be opened leaves the store as it was.
        let bad = dir.path().join("bad.db");
        std::fs::write(&bad, b"not a database".repeat(1000)).unwrap();
        let aside2 = dir.path().join("cs.db.before-restore-2");
        assert!(store.replace_with(&bad, &aside2).is_err());
        assert_eq!(store.read(|c| Ok::<_, StoreError>(count(c))).unwrap(), 2000);
    }

    #[test]
    fn a_copy_is_kept_before_an_update_migrates_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cs.db");
        let all = migrate::embedded();
        {
            let mut conn = Connection::open(&db).unwrap();
            migrate::apply_list(&mut conn, &all[..1]).unwrap();
            conn.execute_batch("CREATE TABLE kept (x TEXT); INSERT INTO kept VALUES ('before');")
                .unwrap();
        }
        drop(Store::open(&db).unwrap());
        let copies = copies_before_update(&db);
        assert_eq!(copies.len(), 1, "{copies:?}");
        assert_eq!(copies[0].schema, 1);
        let copy = Connection::open(&copies[0].path).unwrap();
        let n: i64 = copy
            .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1, "the copy is the database as it was");
        let x: String = copy
            .query_row("SELECT x FROM kept", [], |r| r.get(0))
            .unwrap();
        assert_eq!(x, "before");
        assert!(!before_update_dir(&db).read_dir().unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".partial")));

        // Up to date now, and a new database: no more copies.
        drop(Store::open(&db).unwrap());
        drop(Store::open(&dir.path().join("new.db")).unwrap());
        assert_eq!(copies_before_update(&db).len(), 1);
        assert!(copies_before_update(&dir.path().join("new.db")).is_empty());
    }
}
