//! The migration runner.
//!
//! Every `.sql` file of `migrations/` is embedded at build time (see
//! `build.rs`). At open, pending migrations are applied in one IMMEDIATE
//! transaction and recorded in `schema_migrations` with a SHA-256 of their
//! text. Two situations are refused before anything is written:
//! - an applied migration whose text changed (migrations are append-only);
//! - a database that has a migration this binary does not know (it was
//!   written by a newer version; touching it could damage it).

use rusqlite::{params, Connection, TransactionBehavior};
use sha2::{Digest, Sha256};

use crate::{Result, StoreError};

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// A migration as the runner sees it.
#[derive(Debug, Clone)]
pub struct Migration<'a> {
    pub version: u32,
    pub name: &'a str,
    pub sql: &'a str,
}

pub fn embedded() -> Vec<Migration<'static>> {
    MIGRATIONS
        .iter()
        .map(|(version, name, sql)| Migration {
            version: *version,
            name,
            sql,
        })
        .collect()
}

pub fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

/// Applies the embedded migrations.
pub fn apply(conn: &mut Connection) -> Result<()> {
    apply_list(conn, &embedded())
}

/// Applies `migrations` (sorted by version); exposed for tests of the runner.
pub fn apply_list(conn: &mut Connection, migrations: &[Migration<'_>]) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            checksum   TEXT NOT NULL,
            applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        ) STRICT;",
    )?;
    let applied = applied(&tx)?;
    let known = migrations.last().map(|m| m.version).unwrap_or(0);
    compare(&applied, migrations)?;
    for m in migrations
        .iter()
        .filter(|m| !applied.iter().any(|(v, _, _)| *v == m.version))
    {
        tx.execute_batch(m.sql)
            .map_err(|source| StoreError::MigrationFailed {
                name: m.name.to_string(),
                source,
            })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (?1, ?2, ?3)",
            params![m.version, m.name, checksum(m.sql)],
        )?;
        tracing::info!(migration = m.name, "migration applied");
    }
    tx.pragma_update(None, "user_version", known)?;
    tx.commit()?;
    Ok(())
}

/// What a database's migration record says against this binary's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Migrations the database has (each known here, with the same checksum).
    pub applied: u32,
    /// Migrations this binary would still apply at open.
    pub pending: u32,
}

/// Checks a database's migration record against the embedded migrations
/// without changing anything (a backup before it is counted or restored):
/// refused as [`apply`] would refuse it (edited, or written by a newer
/// version), or when it has no record at all.
pub fn check(conn: &Connection) -> Result<Applied> {
    let has_table: bool = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
        [],
        |r| r.get::<_, i64>(0).map(|n| n > 0),
    )?;
    if !has_table {
        return Err(StoreError::Corrupt(
            "it has no migration record, so it is not a ContainerStacks database".into(),
        ));
    }
    let applied = applied(conn)?;
    let migrations = embedded();
    compare(&applied, &migrations)?;
    let n = u32::try_from(applied.len()).unwrap_or(u32::MAX);
    Ok(Applied {
        applied: n,
        pending: u32::try_from(migrations.len())
            .unwrap_or(u32::MAX)
            .saturating_sub(n),
    })
}

fn applied(conn: &Connection) -> Result<Vec<(u32, String, String)>> {
    let mut stmt =
        conn.prepare("SELECT version, name, checksum FROM schema_migrations ORDER BY version")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Refuses an applied migration this binary does not know (a newer
/// database) or whose text changed since.
fn compare(applied: &[(u32, String, String)], migrations: &[Migration<'_>]) -> Result<()> {
    let known = migrations.last().map(|m| m.version).unwrap_or(0);
    for (version, name, sum) in applied {
        match migrations.iter().find(|m| m.version == *version) {
            None => {
                return Err(StoreError::DatabaseTooNew {
                    version: *version,
                    name: name.clone(),
                    known,
                })
            }
            Some(m) if checksum(m.sql) != *sum => {
                return Err(StoreError::MigrationEdited {
                    name: m.name.to_string(),
                })
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(conn: &Connection) -> Vec<String> {
        let mut s = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn embedded_migrations_apply_and_reapply_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("m.db")).unwrap();
        apply(&mut conn).unwrap();
        apply(&mut conn).unwrap();
        let t = tables(&conn);
        for name in [
            "organizations",
            "plans",
            "servers",
            "activity",
            "sync_outbox",
            "schema_migrations",
        ] {
            assert!(t.contains(&name.to_string()), "{name} missing from {t:?}");
        }
    }

    #[test]
    fn an_edited_migration_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("m.db")).unwrap();
        let v1 = [Migration {
            version: 1,
            name: "0001_a",
            sql: "CREATE TABLE a (x INTEGER);",
        }];
        apply_list(&mut conn, &v1).unwrap();
        let edited = [Migration {
            version: 1,
            name: "0001_a",
            sql: "CREATE TABLE a (x TEXT);",
        }];
        let err = apply_list(&mut conn, &edited).unwrap_err();
        assert!(matches!(err, StoreError::MigrationEdited { .. }));
        assert!(err
            .to_string()
            .contains("0001_a was changed after it was applied"));
    }

    #[test]
    fn a_newer_database_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("m.db")).unwrap();
        let newer = [
            Migration {
                version: 1,
                name: "0001_a",
                sql: "CREATE TABLE a (x INTEGER);",
            },
            Migration {
                version: 2,
                name: "0002_b",
                sql: "CREATE TABLE b (x INTEGER);",
            },
        ];
        apply_list(&mut conn, &newer).unwrap();
        let before = tables(&conn);
        let older = [
            newer[0].clone(),
            Migration {
                version: 3,
                name: "0003_c",
                sql: "CREATE TABLE c (x INTEGER);",
            },
        ];
        // The older binary knows 1 and 3 but not 2: refused, and 3 not applied.
        let err = apply_list(&mut conn, &older).unwrap_err();
        assert!(
            matches!(err, StoreError::DatabaseTooNew { version: 2, .. }),
            "{err}"
        );
        assert_eq!(tables(&conn), before);
    }

    #[test]
    fn a_failing_migration_applies_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("m.db")).unwrap();
        let list = [
            Migration {
                version: 1,
                name: "0001_a",
                sql: "CREATE TABLE a (x INTEGER);",
            },
            Migration {
                version: 2,
                name: "0002_bad",
                sql: "CREATE TABLE oops (;",
            },
        ];
        let err = apply_list(&mut conn, &list).unwrap_err();
        assert!(matches!(err, StoreError::MigrationFailed { .. }));
        assert!(!tables(&conn).contains(&"a".to_string()));
    }
    #[test]
    fn digitalocean_widens_plans_and_accounts_and_keeps_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("m.db")).unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        let all = embedded();
        let before: Vec<_> = all.iter().filter(|m| m.version < 22).cloned().collect();
        apply_list(&mut conn, &before).unwrap();
        conn.execute_batch(
            "INSERT INTO organizations (id, name, name_key, country, created_at, updated_at) VALUES ('o1', 'Acme', 'acme', 'NO', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
             INSERT INTO plans (id, name, name_key, provider, provider_type, currency, monthly_minor, hourly_micros, active, created_at, updated_at)
               VALUES ('p1', 'Nano', 'nano', 'linode', 'g6-nanode-1', 'USD', 700, 10500, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
             INSERT INTO plan_regions (plan_id, region) VALUES ('p1', 'eu-central'), ('p1', 'us-east');
             INSERT INTO provider_accounts (id, provider, label, username, connected_at) VALUES ('acc-1', 'linode', 'EU', 'reseller', '2026-01-01T00:00:00Z');
             INSERT INTO servers (id, organization_id, plan_id, label, provider, provider_id, provider_type, region, image, status, created_at, updated_at, account_id)
               VALUES ('s1', 'o1', 'p1', 'web-1', 'linode', '42', 'g6-nanode-1', 'eu-central', 'linode/debian12', 'running', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'acc-1');",
        )
        .unwrap();
        apply(&mut conn).unwrap();
        let regions: i64 = conn
            .query_row(
                "SELECT count(*) FROM plan_regions WHERE plan_id = 'p1'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(regions, 2, "the plan keeps its regions");
        let account: String = conn
            .query_row("SELECT account_id FROM servers WHERE id = 's1'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(account, "acc-1");
        let violations: i64 = conn
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(violations, 0);
        conn.execute_batch(
            "INSERT INTO plans (id, name, name_key, provider, provider_type, currency, monthly_minor, hourly_micros, active, created_at, updated_at)
               VALUES ('p2', 'Droplet', 'droplet', 'digitalocean', 's-1vcpu-1gb', 'USD', 900, 13400, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
             INSERT INTO provider_accounts (id, provider, label, email, account_uuid, account_status, droplet_limit, connected_at)
               VALUES ('acc-2', 'digitalocean', 'DO', 'a@example.com', 'u-1', 'active', 25, '2026-01-01T00:00:00Z');",
        )
        .unwrap();
        assert!(conn
            .execute("INSERT INTO provider_accounts (id, provider, label, connected_at) VALUES ('acc-3', 'aws', 'x', 'now')", [])
            .is_err());
        // Plans still cascade their regions.
        conn.execute("DELETE FROM plans WHERE id = 'p2'", [])
            .unwrap();
    }
}
