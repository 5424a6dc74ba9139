//! The embedded back end: one SQLite file in WAL mode, one writer connection
//! (SQLite serializes writers anyway; `BEGIN IMMEDIATE` makes the wait
//! explicit instead of failing on upgrade) and a pool of readers that run
//! beside it on snapshots.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::broadcast;

use super::migrate::{self, Migration};
use super::pool::Pool;
use super::{DbError, Dialect, Notice, Row, Tx, Value};

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        name: "0001_init.sql",
        sql: include_str!("../../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        name: "0002_intents.sql",
        sql: include_str!("../../migrations/sqlite/0002_intents.sql"),
    },
];

pub struct Sqlite {
    writer: Mutex<Connection>,
    readers: Pool<Connection>,
    notices: broadcast::Sender<Notice>,
}

fn connect(path: &Path, flags: OpenFlags) -> Result<Connection, DbError> {
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

impl Sqlite {
    pub fn open(
        path: &Path,
        readers: usize,
        notices: broadcast::Sender<Notice>,
    ) -> Result<Sqlite, DbError> {
        if let Some(dir) = path.parent() {
            create_private_dir(dir)?;
        }
        let mut writer = connect(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        restrict_file(path)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        writer.pragma_update(None, "synchronous", "NORMAL")?;
        {
            let tx = writer.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let mut t = SqliteTx {
                conn: &tx,
                notices: Vec::new(),
            };
            migrate::apply(&mut t, MIGRATIONS)?;
            tx.commit()?;
        }
        let path = path.to_path_buf();
        Ok(Sqlite {
            writer: Mutex::new(writer),
            readers: Pool::new(
                readers,
                Box::new(move || {
                    connect(
                        &path,
                        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )
                }),
            ),
            notices,
        })
    }

    /// Writes a consistent copy of the database to `to` (`VACUUM INTO`),
    /// while readers go on.
    pub fn backup(&self, to: &Path) -> Result<(), DbError> {
        let conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        conn.execute("VACUUM INTO ?1", [to.to_string_lossy()])?;
        restrict_file(to)
    }

    pub fn transaction<T, E: From<DbError>>(
        &self,
        write: bool,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        if write {
            let mut conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
            let (value, notices) = run(&mut conn, rusqlite::TransactionBehavior::Immediate, f)?;
            drop(conn);
            for n in notices {
                // Nobody listening is fine: no browser has a page open.
                let _ = self.notices.send(n);
            }
            Ok(value)
        } else {
            let mut pooled = self.readers.get()?;
            let (value, _) = run(pooled.conn(), rusqlite::TransactionBehavior::Deferred, f)?;
            Ok(value)
        }
    }
}

fn run<T, E: From<DbError>>(
    conn: &mut Connection,
    behavior: rusqlite::TransactionBehavior,
    f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
) -> Result<(T, Vec<Notice>), E> {
    let tx = conn
        .transaction_with_behavior(behavior)
        .map_err(DbError::from)?;
    let mut t = SqliteTx {
        conn: &tx,
        notices: Vec::new(),
    };
    let value = f(&mut t)?;
    let notices = t.notices;
    tx.commit().map_err(DbError::from)?;
    Ok((value, notices))
}

struct SqliteTx<'c> {
    conn: &'c Connection,
    notices: Vec<Notice>,
}

impl SqliteTx<'_> {
    fn prepare(
        &self,
        sql: &str,
        params: &[Value],
    ) -> Result<rusqlite::CachedStatement<'_>, DbError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        for (i, p) in params.iter().enumerate() {
            let name = format!("${}", i + 1);
            // A parameter the statement does not use is a bug in the caller.
            let Some(index) = stmt.parameter_index(&name)? else {
                return Err(DbError::Other(format!("{name} is not used by: {sql}")));
            };
            match p {
                Value::Null => stmt.raw_bind_parameter(index, rusqlite::types::Null)?,
                Value::Int(v) => stmt.raw_bind_parameter(index, v)?,
                Value::Text(v) => stmt.raw_bind_parameter(index, v)?,
                Value::Bytes(v) => stmt.raw_bind_parameter(index, v)?,
            }
        }
        Ok(stmt)
    }
}

fn unique(e: rusqlite::Error) -> DbError {
    match &e {
        rusqlite::Error::SqliteFailure(f, msg)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            DbError::Unique(msg.clone().unwrap_or_default())
        }
        _ => DbError::Sqlite(e),
    }
}

impl Tx for SqliteTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let mut stmt = self.prepare(sql, params)?;
        let n = stmt.raw_execute().map_err(unique)?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let mut stmt = self.prepare(sql, params)?;
        let columns = stmt.column_count();
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(unique)? {
            let mut row = Vec::with_capacity(columns);
            for i in 0..columns {
                row.push(match r.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Real(v) => {
                        return Err(DbError::Decode(format!("column {i} holds a real: {v}")))
                    }
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
                });
            }
            out.push(Row(row));
        }
        Ok(out)
    }

    fn notify(&mut self, notice: Notice) -> Result<(), DbError> {
        self.notices.push(notice);
        Ok(())
    }
}

/// The data folder holds customers' data: only its owner may enter it.
fn create_private_dir(dir: &Path) -> Result<(), DbError> {
    if dir.as_os_str().is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| DbError::Other(format!("cannot create {}: {e}", dir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| DbError::Other(format!("cannot restrict {}: {e}", dir.display())))?;
    }
    Ok(())
}

fn restrict_file(path: &Path) -> Result<(), DbError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| DbError::Other(format!("cannot restrict {}: {e}", path.display())))?;
    }
    Ok(())
}
