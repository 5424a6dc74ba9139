//! The portal's two databases behind one small SQL interface.
//!
//! [`Db`] is either an embedded SQLite file (one reseller, the default) or a
//! PostgreSQL server (many resellers, several portal processes). Both run the
//! same SQL, written once in [`crate::storage`]: `$1`-style parameters (SQLite
//! reads them as named parameters), integers as `BIGINT`, times as Unix
//! milliseconds, JSON as text. Where the dialects differ the storage asks
//! [`Tx::dialect`]. Each database has its own migrations
//! (`migrations/sqlite`, `migrations/postgres`).
//!
//! Both drivers are synchronous; [`Db::run`] moves a transaction onto
//! Tokio's blocking pool. Live updates leave through [`Tx::notify`]: inside
//! the transaction on PostgreSQL (`pg_notify`, delivered to every portal
//! process on commit), and after the commit on SQLite (one process).

mod migrate;
mod pool;
pub mod postgres;
pub mod sqlite;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use tokio::sync::broadcast;

pub use migrate::Migration;

/// A value bound to or read from a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}
impl From<u64> for Value {
    fn from(v: u64) -> Value {
        // Sequence numbers and counters stay far below 2^63.
        Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Int(i64::from(v))
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Value {
        Value::Bytes(v)
    }
}
impl From<DateTime<Utc>> for Value {
    fn from(v: DateTime<Utc>) -> Value {
        Value::Int(v.timestamp_millis())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// Builds a parameter list: `params![tenant, kind, 3_i64]`.
#[macro_export]
macro_rules! params {
    ($($v:expr),* $(,)?) => { &[$($crate::db::Value::from($v)),*][..] };
}

/// One row of a result, read by column index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(pub Vec<Value>);

impl Row {
    fn get(&self, i: usize) -> Result<&Value, DbError> {
        self.0
            .get(i)
            .ok_or_else(|| DbError::Decode(format!("no column {i}")))
    }

    pub fn int(&self, i: usize) -> Result<i64, DbError> {
        match self.get(i)? {
            Value::Int(v) => Ok(*v),
            other => Err(DbError::Decode(format!(
                "column {i}: expected an integer, got {other:?}"
            ))),
        }
    }

    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, DbError> {
        match self.get(i)? {
            Value::Null => Ok(None),
            _ => self.int(i).map(Some),
        }
    }

    pub fn text(&self, i: usize) -> Result<String, DbError> {
        match self.get(i)? {
            Value::Text(v) => Ok(v.clone()),
            other => Err(DbError::Decode(format!(
                "column {i}: expected text, got {other:?}"
            ))),
        }
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>, DbError> {
        match self.get(i)? {
            Value::Null => Ok(None),
            _ => self.text(i).map(Some),
        }
    }

    pub fn bytes(&self, i: usize) -> Result<Vec<u8>, DbError> {
        match self.get(i)? {
            Value::Bytes(v) => Ok(v.clone()),
            other => Err(DbError::Decode(format!(
                "column {i}: expected bytes, got {other:?}"
            ))),
        }
    }

    pub fn opt_bytes(&self, i: usize) -> Result<Option<Vec<u8>>, DbError> {
        match self.get(i)? {
            Value::Null => Ok(None),
            _ => self.bytes(i).map(Some),
        }
    }

    pub fn time(&self, i: usize) -> Result<DateTime<Utc>, DbError> {
        millis(self.int(i)?)
    }

    pub fn opt_time(&self, i: usize) -> Result<Option<DateTime<Utc>>, DbError> {
        self.opt_int(i)?.map(millis).transpose()
    }

    pub fn bool(&self, i: usize) -> Result<bool, DbError> {
        Ok(self.int(i)? != 0)
    }
}

fn millis(ms: i64) -> Result<DateTime<Utc>, DbError> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| DbError::Decode(format!("{ms} is not a time")))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database: {0}")]
    Postgres(#[from] ::postgres::Error),
    #[error("database: a unique constraint failed: {0}")]
    Unique(String),
    #[error("database: unexpected value: {0}")]
    Decode(String),
    #[error("database migrations: {0}")]
    Migration(String),
    #[error("database: {0}")]
    Other(String),
}

/// A notice that something a customer sees changed: the tenant, and the
/// organization when the change belongs to one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub tenant: String,
    pub org: Option<String>,
    pub what: String,
}

impl Notice {
    fn encode(&self) -> String {
        format!(
            "{}|{}|{}",
            self.tenant,
            self.org.as_deref().unwrap_or(""),
            self.what
        )
    }

    fn decode(s: &str) -> Option<Notice> {
        let mut parts = s.splitn(3, '|');
        let tenant = parts.next()?.to_string();
        let org = parts.next()?;
        let what = parts.next()?.to_string();
        Some(Notice {
            tenant,
            org: (!org.is_empty()).then(|| org.to_string()),
            what,
        })
    }
}

/// One transaction. Statements use `$1`, `$2` … parameters.
pub trait Tx {
    fn dialect(&self) -> Dialect;
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError>;
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError>;
    /// Announces a change to every portal process once this transaction commits.
    fn notify(&mut self, notice: Notice) -> Result<(), DbError>;

    fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, DbError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Row, DbError> {
        self.query_opt(sql, params)?
            .ok_or_else(|| DbError::Decode("the query returned no row".into()))
    }
}

/// The portal's database.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

enum Backend {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

struct Inner {
    backend: Backend,
    notices: broadcast::Sender<Notice>,
}

impl Db {
    /// Opens (creating) the SQLite file and applies its migrations.
    pub fn open_sqlite(path: &std::path::Path, readers: usize) -> Result<Db, DbError> {
        let (notices, _) = broadcast::channel(1024);
        let backend = sqlite::Sqlite::open(path, readers, notices.clone())?;
        Ok(Db {
            inner: Arc::new(Inner {
                backend: Backend::Sqlite(backend),
                notices,
            }),
        })
    }

    /// Connects to PostgreSQL, applies its migrations and listens for the
    /// other portal processes' notices.
    pub fn open_postgres(url: &str, connections: usize) -> Result<Db, DbError> {
        let (notices, _) = broadcast::channel(1024);
        let backend = postgres::Postgres::open(url, connections, notices.clone())?;
        Ok(Db {
            inner: Arc::new(Inner {
                backend: Backend::Postgres(backend),
                notices,
            }),
        })
    }

    pub fn dialect(&self) -> Dialect {
        match self.inner.backend {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs `f` in one transaction, on the calling thread (blocking): it
    /// commits when `f` returns `Ok` and rolls back otherwise. `write`
    /// transactions are serialized on SQLite; read ones run beside them on
    /// their own connections.
    pub fn transaction<T, E: From<DbError>>(
        &self,
        write: bool,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        match &self.inner.backend {
            Backend::Sqlite(b) => b.transaction(write, f),
            Backend::Postgres(b) => b.transaction(write, f),
        }
    }

    /// Runs `f` in one transaction on Tokio's blocking pool.
    pub async fn run<T, E>(
        &self,
        write: bool,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.transaction(write, f))
            .await
            .unwrap_or_else(|e| Err(E::from(DbError::Other(format!("task failed: {e}")))))
    }

    /// Writes a consistent copy of an SQLite database to `to` (a new file).
    /// PostgreSQL is backed up with its own tools (`pg_dump`).
    pub fn backup_sqlite(&self, to: &std::path::Path) -> Result<(), DbError> {
        match &self.inner.backend {
            Backend::Sqlite(b) => b.backup(to),
            Backend::Postgres(_) => Err(DbError::Other(
                "back up a PostgreSQL portal with pg_dump".into(),
            )),
        }
    }

    /// Live notices of committed changes (from every portal process on
    /// PostgreSQL).
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.inner.notices.subscribe()
    }
}
