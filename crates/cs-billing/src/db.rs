//! Where the engine runs its transactions.
//!
//! Everything the engine writes goes through [`Db::write`], one IMMEDIATE
//! SQLite transaction per call: the write lock is taken before the first read,
//! so two writers (two threads, or two processes on one database file) are
//! serialised and each re-reads the watermarks the other one committed. The
//! app passes its [`cs_store::Store`]; tests and tools can open a
//! [`SecondConnection`] on the same file to play a second process.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{BillingError, Result};

pub trait Db {
    /// Runs `f` in one IMMEDIATE transaction, committed when it returns Ok.
    fn write<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T>;
    /// Runs `f` on a consistent read snapshot.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T>;
}

impl Db for cs_store::Store {
    fn write<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        cs_store::Store::write(self, |tx| f(tx))
    }
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        cs_store::Store::read(self, |c| f(c))
    }
}

/// A plain connection to a store's database file, without the process lock:
/// the stand-in for a second process in tests and tools. Migrations must have
/// been applied by a [`cs_store::Store`] first.
pub struct SecondConnection(Mutex<Connection>);

impl SecondConnection {
    pub fn open(path: &Path) -> Result<SecondConnection> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(SecondConnection(Mutex::new(conn)))
    }
}

impl Db for SecondConnection {
    fn write<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let mut conn = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit().map_err(BillingError::from)?;
        Ok(value)
    }
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let mut conn = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let value = f(&tx)?;
        tx.finish()?;
        Ok(value)
    }
}
