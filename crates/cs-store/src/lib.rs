//! The desktop app's SQLite store.
//!
//! [`Store::open`] opens (or creates) the database file, takes the process lock
//! beside it (a second ContainerStacks process on the same database is refused
//! with a clear error, never allowed to interleave), sets WAL and foreign keys,
//! and applies the embedded migrations of `migrations/` ([`migrate`]).
//! [`Store::write`] and [`Store::read`] run one transaction each: writes on
//! the store's connection, reads on a second, query-only one, so a list the
//! window asks for never waits behind a background loop's write (WAL lets a
//! reader and the writer run at once).
//! [`backup`] makes online copies (`VACUUM INTO` on a connection of its own)
//! and checks them; [`Store::replace_with`] swaps a checked copy in.
//!
//! Besides the machinery it owns the core tables, one module each, whose
//! functions take a `&Connection` so callers compose them inside one
//! transaction: [`orgs`] (organizations, users), [`plans`] (plans, their
//! regions), [`servers`], [`activity`], [`settings`], and [`sync_outbox`], the
//! portal sync outbox with its one writer, [`sync_outbox::publish`]. Other
//! crates' tables are theirs (see ARCHITECTURE.md, "Who owns which table").
//!
//! It deliberately knows no business rules beyond what the schema enforces;
//! validation and authorization belong to the façade.

pub mod activity;
pub mod backup;
pub mod migrate;
pub mod orgs;
pub mod page;
pub mod plans;
pub mod servers;
pub mod settings;
pub mod sync_outbox;
mod time;

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, Transaction, TransactionBehavior};

pub use rusqlite;
pub use time::{fmt_ts, parse_ts};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database {path} is in use by another ContainerStacks process{pid}: close the other window or stop the daemon, then try again")]
    Locked { path: PathBuf, pid: String },
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("migration {name} was changed after it was applied to this database (checksum differs): migrations are append-only; restore the original file and add a new migration instead")]
    MigrationEdited { name: String },
    #[error("this database was written by a newer ContainerStacks (it has migration {version} \"{name}\", this program knows up to {known}): install that version or newer; the database was left untouched")]
    DatabaseTooNew {
        version: u32,
        name: String,
        known: u32,
    },
    #[error("applying migration {name} failed: {source}")]
    MigrationFailed {
        name: String,
        source: rusqlite::Error,
    },
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// True when the error is a UNIQUE constraint violation, which the façade turns
/// into a "duplicate" message for the field concerned.
pub fn is_unique_violation(err: &rusqlite::Error) -> bool {
    matches!(err, rusqlite::Error::SqliteFailure(e, _) if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The open database, with its process lock.
pub struct Store {
    conn: Mutex<Connection>,
    /// Query-only: [`Store::read`]'s snapshots. Locked after `conn` when
    /// both are held (only [`Store::replace_with`] holds both).
    reader: Mutex<Connection>,
    path: PathBuf,
    _lock: File,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens the database at `path`, creating it and its folder when missing.
    pub fn open(path: &Path) -> Result<Store> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir_all(dir).map_err(open_err)?;
        }
        let lock = take_process_lock(path)?;
        let conn = connect(path)?;
        let reader = connect_reader(path)?;
        tracing::info!(path = %path.display(), "store opened");
        Ok(Store {
            conn: Mutex::new(conn),
            reader: Mutex::new(reader),
            path: path.to_path_buf(),
            _lock: lock,
        })
    }

    /// Replaces the database with `replacement` (a checked copy in the same
    /// folder, see [`backup::check`]) without giving up the process lock:
    /// between two transactions the connection is closed (the WAL is
    /// checkpointed into the file), the current file is renamed to `aside`
    /// (with any `-wal`/`-shm` beside it), `replacement` takes its name and
    /// is opened as [`Store::open`] opens a database (migrations included).
    /// When that fails the current file is put back and reopened, and the
    /// error returned: the store is then as it was.
    pub fn replace_with(&self, replacement: &Path, aside: &Path) -> Result<()> {
        let mut conn = self.lock();
        let mut reader = lock(&self.reader);
        // The reader goes first, so the writer's close checkpoints everything.
        let old_reader = std::mem::replace(&mut *reader, Connection::open_in_memory()?);
        if let Err((old, e)) = old_reader.close() {
            *reader = old;
            return Err(e.into());
        }
        let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
        let old = std::mem::replace(&mut *conn, Connection::open_in_memory()?);
        if let Err((old, e)) = old.close() {
            *conn = old;
            *reader = connect_reader(&self.path)?;
            return Err(e.into());
        }
        let with = |p: &Path, suffix: &str| PathBuf::from(format!("{}{suffix}", p.display()));
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Open { path, source }
        };
        let swap = || -> Result<(Connection, Connection)> {
            std::fs::rename(&self.path, aside).map_err(io(aside))?;
            for suffix in ["-wal", "-shm"] {
                let side = with(&self.path, suffix);
                if side.exists() {
                    std::fs::rename(&side, with(aside, suffix)).map_err(io(&side))?;
                }
            }
            std::fs::rename(replacement, &self.path).map_err(io(&self.path))?;
            let new = connect(&self.path)?;
            Ok((new, connect_reader(&self.path)?))
        };
        match swap() {
            Ok((new, new_reader)) => {
                *conn = new;
                *reader = new_reader;
                tracing::info!(path = %self.path.display(), aside = %aside.display(), "store replaced; the file of before was kept aside");
                Ok(())
            }
            Err(e) => {
                tracing::error!(error = %e, "replacing the store failed; putting the file of before back");
                if aside.exists() {
                    if self.path.exists() {
                        let _ = std::fs::rename(&self.path, with(&self.path, ".failed-restore"));
                    }
                    for suffix in ["-wal", "-shm"] {
                        let _ = std::fs::remove_file(with(&self.path, suffix));
                        let side = with(aside, suffix);
                        if side.exists() {
                            let _ = std::fs::rename(&side, with(&self.path, suffix));
                        }
                    }
                    std::fs::rename(aside, &self.path).map_err(io(&self.path))?;
                }
                *conn = connect(&self.path)?;
                *reader = connect_reader(&self.path)?;
                Err(e)
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` inside one IMMEDIATE transaction; commits when it returns Ok.
    pub fn write<T, E>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let value = f(&tx)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(value)
    }

    /// Runs read-only queries against a consistent snapshot, which holds
    /// every write committed before it began. It does not wait for a write
    /// under way, and it cannot write (the connection is query-only).
    pub fn read<T, E>(
        &self,
        f: impl FnOnce(&Connection) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = lock(&self.reader);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(StoreError::from)?;
        let value = f(&tx)?;
        tx.finish().map_err(StoreError::from)?;
        Ok(value)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        lock(&self.conn)
    }
}

fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding the connection leaves no half transaction
    // behind (it is rolled back on drop), so the guard is safe to reuse.
    conn.lock().unwrap_or_else(|e| e.into_inner())
}

/// The second connection [`Store::read`] uses, on a database [`connect`]
/// has opened and migrated.
fn connect_reader(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "query_only", "ON")?;
    Ok(conn)
}

/// Opens the database file (created 0600 when missing) with the store's
/// settings (WAL, foreign keys) and applies the migrations.
fn connect(path: &Path) -> Result<Connection> {
    let open_err = |source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    };
    // Created 0600 before SQLite opens it: SQLite gives the -wal and -shm
    // files the mode of the database file.
    create_private_file(path).map_err(open_err)?;
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // A database of an earlier version was created readable by everyone.
    for suffix in ["", "-wal", "-shm", ".lock"] {
        make_private(Path::new(&format!("{}{suffix}", path.display()))).map_err(open_err)?;
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    backup::keep_before_migrating(&conn, path)?;
    migrate::apply(&mut conn)?;
    Ok(conn)
}

/// Creates `dir` and its missing parents readable by the owner only (0700
/// on Unix): the data folder holds customer data. An existing folder is left
/// as it is (it may be shared, like a temporary folder).
pub fn create_private_dir_all(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Creates `path` empty, owner-only (0600 on Unix), unless it exists.
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    match o.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Takes group and other permissions off an existing file (0644 becomes
/// 0600 on Unix); a missing one is fine.
fn make_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            // Only group and other bits go: a file made read-only stays so.
            Ok(m) if m.permissions().mode() & 0o077 != 0 => std::fs::set_permissions(
                path,
                std::fs::Permissions::from_mode(m.permissions().mode() & 0o700),
            ),
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// One process per database: an exclusive advisory lock on `<db>.lock`, which
/// the OS releases when the process ends, however it ends. The holder writes
/// its pid there so the refusal can name it.
fn take_process_lock(db: &Path) -> Result<File> {
    let lock_path = PathBuf::from(format!("{}.lock", db.display()));
    let open_err = |source| StoreError::Open {
        path: lock_path.clone(),
        source,
    };
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&lock_path).map_err(open_err)?;
    match file.try_lock() {
        Ok(()) => {
            file.set_len(0).map_err(open_err)?;
            file.rewind().map_err(open_err)?;
            write!(file, "{}", std::process::id()).map_err(open_err)?;
            Ok(file)
        }
        Err(TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = pid.trim();
            let pid = if pid.is_empty() {
                String::new()
            } else {
                format!(" (pid {pid})")
            };
            Err(StoreError::Locked {
                path: db.to_path_buf(),
                pid,
            })
        }
        Err(TryLockError::Error(source)) => Err(open_err(source)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_open_of_the_same_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cs.db");
        let first = Store::open(&path).unwrap();
        let err = Store::open(&path).unwrap_err();
        assert!(matches!(err, StoreError::Locked { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("in use by another ContainerStacks process (pid "),
            "{err}"
        );
        drop(first);
        Store::open(&path).expect("reopens once the first holder is gone");
    }

    #[test]
    fn wal_and_foreign_keys_are_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("cs.db")).unwrap();
        store
            .read(|c| {
                let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
                let fk: i64 = c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
                assert_eq!(mode, "wal");
                assert_eq!(fk, 1);
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }

    /// Reads have a connection of their own: one does not wait for a write
    /// under way, sees only what was committed before it began, and cannot
    /// write.
    #[test]
    fn reads_do_not_wait_for_a_write_under_way() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(Store::open(&dir.path().join("cs.db")).unwrap());
        store
            .write(|tx| {
                tx.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let count = |s: &Store| {
            s.read(|c| {
                Ok::<i64, StoreError>(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?)
            })
            .unwrap()
        };
        let (inside, go_on) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
        let writer = {
            let store = store.clone();
            let (inside, go_on) = (inside.0, go_on.1);
            std::thread::spawn(move || {
                store
                    .write(|tx| {
                        tx.execute("INSERT INTO t VALUES (2)", [])?;
                        inside.send(()).unwrap();
                        go_on.recv().unwrap();
                        Ok::<_, StoreError>(())
                    })
                    .unwrap()
            })
        };
        inside.1.recv().unwrap();
        assert_eq!(
            count(&store),
            1,
            "a read during the write sees what was committed"
        );
        go_on.0.send(()).unwrap();
        writer.join().unwrap();
        assert_eq!(count(&store), 2, "a read after the commit sees it");

        let err = store
            .read(|c| {
                c.execute("INSERT INTO t VALUES (3)", [])?;
                Ok::<_, StoreError>(())
            })
            .unwrap_err();
        assert!(err.to_string().contains("readonly"), "{err}");
        assert_eq!(count(&store), 2);
    }

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    /// The database holds customer data: only its owner may read it.
    #[cfg(unix)]
    #[test]
    fn the_folder_and_files_are_private_to_the_owner() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("data").join("nested");
        let path = folder.join("cs.db");
        let store = Store::open(&path).unwrap();
        store
            .write(|tx| {
                tx.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        assert_eq!(mode(&folder), 0o700, "the data folder");
        assert_eq!(
            mode(&dir.path().join("data")),
            0o700,
            "a parent created with it"
        );
        for f in ["cs.db", "cs.db-wal", "cs.db-shm", "cs.db.lock"] {
            assert_eq!(mode(&folder.join(f)), 0o600, "{f}");
        }
        drop(store);

        // A database of before (created readable by everyone) is tightened.
        use std::os::unix::fs::PermissionsExt;
        for f in ["cs.db", "cs.db.lock"] {
            std::fs::set_permissions(folder.join(f), std::fs::Permissions::from_mode(0o644))
                .unwrap();
        }
        let _store = Store::open(&path).unwrap();
        for f in ["cs.db", "cs.db-wal", "cs.db-shm", "cs.db.lock"] {
            assert_eq!(mode(&folder.join(f)), 0o600, "{f} after a reopen");
        }
    }
}
