//! Migrations: each database has its own, applied in order inside one
//! transaction and recorded with their SHA-256. An applied migration whose
//! text changed, or a database migrated by a newer portal, is refused before
//! anything is written.

use sha2::{Digest, Sha256};

use super::{DbError, Dialect, Tx, Value};

pub struct Migration {
    pub name: &'static str,
    pub sql: &'static str,
}

pub fn apply(tx: &mut dyn Tx, migrations: &[Migration]) -> Result<(), DbError> {
    if tx.dialect() == Dialect::Postgres {
        // Several portal processes may start at once: one migrates, the
        // others wait and then find nothing to do.
        tx.query("SELECT pg_advisory_xact_lock(727100)", &[])?;
    }
    tx.execute(
        "CREATE TABLE IF NOT EXISTS portal_migrations (
            name TEXT PRIMARY KEY,
            sha256 TEXT NOT NULL,
            applied_at BIGINT NOT NULL
        )",
        &[],
    )?;
    let applied = tx.query(
        "SELECT name, sha256 FROM portal_migrations ORDER BY name",
        &[],
    )?;
    for row in &applied {
        let name = row.text(0)?;
        let Some(m) = migrations.iter().find(|m| m.name == name) else {
            return Err(DbError::Migration(format!(
                "the database was migrated by a newer portal ({name}): run that version"
            )));
        };
        if row.text(1)? != checksum(m.sql) {
            return Err(DbError::Migration(format!(
                "migration {name} was edited after it was applied: restore its original text"
            )));
        }
    }
    for m in migrations.iter().skip(applied.len()) {
        for statement in statements(m.sql) {
            tx.execute(statement, &[])?;
        }
        tx.execute(
            "INSERT INTO portal_migrations (name, sha256, applied_at) VALUES ($1, $2, $3)",
            &[
                Value::from(m.name),
                Value::from(checksum(m.sql)),
                Value::from(chrono::Utc::now()),
            ],
        )?;
    }
    Ok(())
}

fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

/// Splits a migration into statements at semicolons that end a line (our
/// migrations hold no procedural code).
fn statements(sql: &str) -> impl Iterator<Item = &str> {
    sql.split(";\n").map(str::trim).filter(|s| {
        !s.lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with("--"))
    })
}
