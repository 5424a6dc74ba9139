//! The hosted back end: PostgreSQL, shared by any number of portal processes.
//! Live updates cross processes with `LISTEN/NOTIFY`: a notice is sent inside
//! the transaction that made the change (so it is delivered only if that
//! commits), and each process keeps one connection listening.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use postgres::types::{IsNull, ToSql, Type};
use postgres::{Client, GenericClient, NoTls, Statement};
use tokio::sync::broadcast;

use super::migrate::{self, Migration};
use super::pool::Pool;
use super::{DbError, Dialect, Notice, Row, Tx, Value};

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        name: "0001_init.sql",
        sql: include_str!("../../migrations/postgres/0001_init.sql"),
    },
    Migration {
        name: "0002_intents.sql",
        sql: include_str!("../../migrations/postgres/0002_intents.sql"),
    },
];

const CHANNEL: &str = "cs_portal";

pub struct Postgres {
    pool: Pool<PgConn>,
    /// Ends the listener thread when the database is dropped.
    stop: Arc<AtomicBool>,
}

/// A connection with the statements it prepared, so each statement is parsed
/// once per connection rather than once per use.
struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl Postgres {
    pub fn open(
        url: &str,
        connections: usize,
        notices: broadcast::Sender<Notice>,
    ) -> Result<Postgres, DbError> {
        let mut first = Client::connect(url, NoTls)?;
        {
            let mut tx = first.transaction()?;
            let mut statements = HashMap::new();
            let mut t = PgTx {
                tx: &mut tx,
                statements: &mut statements,
            };
            migrate::apply(&mut t, MIGRATIONS)?;
            tx.commit()?;
        }
        let stop = Arc::new(AtomicBool::new(false));
        spawn_listener(url.to_string(), notices, stop.clone())?;
        let url = url.to_string();
        let pool = Pool::new(
            connections,
            Box::new(move || {
                Ok(PgConn {
                    client: Client::connect(&url, NoTls)?,
                    statements: HashMap::new(),
                })
            }),
        );
        drop(first);
        Ok(Postgres { pool, stop })
    }

    /// Runs `f` in a transaction; a read runs its statements straight on a
    /// connection instead. Under PostgreSQL's default isolation (read
    /// committed) each statement sees its own snapshot either way, so the
    /// `BEGIN` and `COMMIT` of a read would only cost two round trips.
    pub fn transaction<T, E: From<DbError>>(
        &self,
        write: bool,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut pooled = self.pool.get()?;
        if pooled.conn().client.is_closed() {
            pooled.discard();
            pooled = self.pool.get()?;
        }
        let PgConn { client, statements } = pooled.conn();
        if !write {
            return f(&mut PgTx {
                tx: client,
                statements,
            });
        }
        let mut tx = client.transaction().map_err(DbError::from)?;
        let value = f(&mut PgTx {
            tx: &mut tx,
            statements,
        })?;
        tx.commit().map_err(DbError::from)?;
        Ok(value)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // The driver closes a connection by blocking on its own runtime,
        // which Tokio forbids on its worker threads: close them on a thread
        // of their own.
        let idle = self.pool.drain();
        if !idle.is_empty() {
            let _ = std::thread::Builder::new()
                .name("portal-pg-close".into())
                .spawn(move || drop(idle));
        }
    }
}

/// Listens on the notice channel until the database is dropped, reconnecting
/// after a failure, and forwards each notice to this process's subscribers
/// (its open event streams). Returns once the first `LISTEN` is in place, so
/// no notice committed after [`Postgres::open`] returns is missed.
fn spawn_listener(
    url: String,
    notices: broadcast::Sender<Notice>,
    stop: Arc<AtomicBool>,
) -> Result<(), DbError> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
    std::thread::Builder::new()
        .name("portal-pg-listen".into())
        .spawn(move || {
            let mut ready = Some(ready_tx);
            while !stop.load(Ordering::Relaxed) {
                let result = (|| -> Result<(), DbError> {
                    let mut client = Client::connect(&url, NoTls)?;
                    client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
                    if let Some(r) = ready.take() {
                        let _ = r.send(Ok(()));
                    }
                    let mut n = client.notifications();
                    let mut it = n.timeout_iter(Duration::from_millis(500));
                    while !stop.load(Ordering::Relaxed) {
                        if let Some(note) =
                            postgres::fallible_iterator::FallibleIterator::next(&mut it)?
                        {
                            if let Some(notice) = Notice::decode(note.payload()) {
                                let _ = notices.send(notice);
                            }
                        }
                    }
                    Ok(())
                })();
                if let Err(e) = result {
                    if let Some(r) = ready.take() {
                        let _ = r.send(Err(e.to_string()));
                        return;
                    }
                    tracing::warn!(error = %e, "the PostgreSQL listener stopped; reconnecting");
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        })
        .map_err(|e| DbError::Other(format!("cannot start the PostgreSQL listener: {e}")))?;
    match ready_rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(DbError::Other(format!("cannot listen for notices: {e}"))),
        Err(_) => Err(DbError::Other(
            "the PostgreSQL listener did not start within 30 s".into(),
        )),
    }
}

/// Statements on a transaction, or straight on the connection for reads.
struct PgTx<'a, C: GenericClient> {
    tx: &'a mut C,
    statements: &'a mut HashMap<String, Statement>,
}

impl<C: GenericClient> PgTx<'_, C> {
    fn statement(&mut self, sql: &str) -> Result<Statement, DbError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.prepare(sql).map_err(map_err)?;
        self.statements.insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

fn map_err(e: postgres::Error) -> DbError {
    if e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) {
        return DbError::Unique(e.to_string());
    }
    DbError::Postgres(e)
}

impl<C: GenericClient> Tx for PgTx<'_, C> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let stmt = self.statement(sql)?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        self.tx.execute(&stmt, &refs).map_err(map_err)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let stmt = self.statement(sql)?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        let rows = self.tx.query(&stmt, &refs).map_err(map_err)?;
        rows.iter().map(decode_row).collect()
    }

    fn notify(&mut self, notice: Notice) -> Result<(), DbError> {
        self.execute(
            "SELECT pg_notify($1, $2)",
            &[Value::from(CHANNEL), Value::from(notice.encode())],
        )?;
        Ok(())
    }
}

fn decode_row(row: &postgres::Row) -> Result<Row, DbError> {
    let mut out = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let ty = column.type_();
        let value = if *ty == Type::INT8 {
            row.try_get::<_, Option<i64>>(i)?.map(Value::Int)
        } else if *ty == Type::INT4 {
            row.try_get::<_, Option<i32>>(i)?
                .map(|v| Value::Int(v.into()))
        } else if *ty == Type::INT2 {
            row.try_get::<_, Option<i16>>(i)?
                .map(|v| Value::Int(v.into()))
        } else if *ty == Type::BOOL {
            row.try_get::<_, Option<bool>>(i)?
                .map(|v| Value::Int(v.into()))
        } else if *ty == Type::BYTEA {
            row.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Bytes)
        } else if *ty == Type::TEXT
            || *ty == Type::VARCHAR
            || *ty == Type::NAME
            || *ty == Type::BPCHAR
        {
            row.try_get::<_, Option<String>>(i)?.map(Value::Text)
        } else if *ty == Type::VOID {
            None
        } else {
            return Err(DbError::Decode(format!(
                "column {} has type {ty}, which the portal does not read",
                column.name()
            )));
        };
        out.push(value.unwrap_or(Value::Null));
    }
    Ok(Row(out))
}

/// Binds our values to whatever integer, text or byte type PostgreSQL
/// inferred for the parameter.
impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => {
                if *ty == Type::INT4 {
                    i32::try_from(*v)?.to_sql(ty, out)
                } else if *ty == Type::INT2 {
                    i16::try_from(*v)?.to_sql(ty, out)
                } else if *ty == Type::BOOL {
                    (*v != 0).to_sql(ty, out)
                } else {
                    v.to_sql(ty, out)
                }
            }
            Value::Text(v) => v.to_sql(ty, out),
            Value::Bytes(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        [
            Type::INT8,
            Type::INT4,
            Type::INT2,
            Type::BOOL,
            Type::TEXT,
            Type::VARCHAR,
            Type::BPCHAR,
            Type::NAME,
            Type::BYTEA,
            Type::UNKNOWN,
        ]
        .contains(ty)
    }

    postgres::types::to_sql_checked!();
}
