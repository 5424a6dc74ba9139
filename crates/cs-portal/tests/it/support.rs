//! Databases and running portals for the tests.

use std::sync::{Arc, OnceLock};

use chrono::{TimeZone, Utc};
use cs_core::FixedClock;
use cs_portal::db::Db;
use cs_portal::mail::MailSettings;
use cs_portal::testing::Cluster;
use cs_portal::{Config, Database, Portal};

/// One cluster for the whole test binary; its watchdog stops it when the
/// binary exits.
pub fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| Cluster::start().expect("a throwaway PostgreSQL cluster"))
}

/// A fresh database of each kind, named for messages.
pub fn databases() -> Vec<(&'static str, Database, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Database::Sqlite(dir.path().join("data").join("portal.db"));
    let pg = Database::Postgres(cluster().create_database().unwrap());
    vec![("sqlite", sqlite, Some(dir)), ("postgres", pg, None)]
}

/// [`databases`] from async code (the PostgreSQL client blocks).
pub async fn databases_async() -> Vec<(&'static str, Database, Option<tempfile::TempDir>)> {
    tokio::task::spawn_blocking(databases).await.unwrap()
}

/// A fresh PostgreSQL database, from async code.
pub async fn postgres_async() -> Database {
    tokio::task::spawn_blocking(|| Database::Postgres(cluster().create_database().unwrap()))
        .await
        .unwrap()
}

pub fn open(database: &Database) -> Db {
    match database {
        Database::Sqlite(path) => Db::open_sqlite(path, 4).unwrap(),
        Database::Postgres(url) => Db::open_postgres(url, 8).unwrap(),
    }
}

pub fn start_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap()
}

/// A portal serving on a free loopback port.
pub struct Running {
    pub portal: Arc<Portal>,
    pub clock: Arc<FixedClock>,
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn serve(database: &Database) -> Running {
    serve_with(database, None).await
}

/// A portal serving on a free loopback port, sending mail through `mail`.
pub async fn serve_with(database: &Database, mail: Option<MailSettings>) -> Running {
    serve_config(database, move |c| c.mail = mail).await
}

/// A portal serving on a free loopback port, its configuration changed by
/// `change` (the public URL is the server's own unless `change` sets one).
pub async fn serve_config(
    database: &Database,
    change: impl FnOnce(&mut Config) + Send + 'static,
) -> Running {
    let clock = Arc::new(FixedClock::new(start_time()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let database = database.clone();
    let c = clock.clone();
    let u = url.clone();
    let portal = tokio::task::spawn_blocking(move || {
        let mut config = Config::new(database, u, c);
        config.events_tick = std::time::Duration::from_millis(300);
        change(&mut config);
        Portal::open(config).unwrap()
    })
    .await
    .unwrap();
    let p = portal.clone();
    let task = tokio::spawn(async move {
        cs_portal::serve(p, listener).await.unwrap();
    });
    Running {
        portal,
        clock,
        url,
        task,
    }
}
