//! The hosted customer portal: where a reseller's customers sign in, and
//! where the reseller's desktop pushes the state they see.
//!
//! One binary (`containerstacks-portal`) serves two audiences over HTTP
//! (axum): desktops, on the sync API ([`sync`], `/sync/v1/…`, a bearer
//! token per tenant), and customers' browsers, on the customer API and the
//! web UI. It holds no state of its own in memory that a second process would
//! miss: sessions, rate-limit counters and mail live in the database
//! ([`db`]: an embedded SQLite file for one reseller, or PostgreSQL for many
//! resellers and several processes), and live updates cross processes through
//! the database ([`db::Db::subscribe`]).
//!
//! The desktop stays the source of truth: the portal never changes a server
//! or moves money; it shows the projection of what the desktop pushed
//! ([`storage::projection`]).
//!
//! It deliberately holds no cloud provider credentials.

pub mod db;
pub mod routes;
pub mod storage;
pub mod sync;
pub mod testing;

use std::net::SocketAddr;
use std::sync::Arc;

use cs_core::Clock;

pub use routes::{router, Access, Route};

/// Where the portal keeps its data.
#[derive(Clone)]
pub enum Database {
    /// An embedded SQLite file (created with its folder, both private).
    Sqlite(std::path::PathBuf),
    /// A PostgreSQL URL, e.g. `postgres://portal@db/portal`.
    Postgres(String),
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(p) => write!(f, "SQLite {}", p.display()),
            // A URL may carry a password.
            Database::Postgres(_) => f.write_str("PostgreSQL"),
        }
    }
}

/// What the portal needs to start.
pub struct Config {
    pub database: Database,
    /// Connections to PostgreSQL, or readers beside the writer on SQLite.
    pub connections: usize,
    /// The address customers reach, e.g. `https://portal.example.com`: links
    /// in mails use it, and cookies are `Secure` unless it is plain http on
    /// loopback.
    pub public_url: String,
    pub clock: Arc<dyn Clock>,
}

/// The shared state of every request.
pub struct Portal {
    pub db: db::Db,
    pub clock: Arc<dyn Clock>,
    pub public_url: String,
    pub effects: Box<dyn storage::projection::Effects>,
}

impl Portal {
    /// Opens the database (applying its migrations).
    pub fn open(config: Config) -> anyhow::Result<Arc<Portal>> {
        let db = match &config.database {
            Database::Sqlite(path) => db::Db::open_sqlite(path, config.connections)?,
            Database::Postgres(url) => db::Db::open_postgres(url, config.connections)?,
        };
        Ok(Arc::new(Portal {
            db,
            clock: config.clock,
            public_url: config.public_url.trim_end_matches('/').to_string(),
            effects: Box::new(storage::projection::NoEffects),
        }))
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

/// Serves the portal on `listener` until the process ends.
pub async fn serve(portal: Arc<Portal>, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    let app = router(portal);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}
