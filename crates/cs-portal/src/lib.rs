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
//! ([`storage::projection`]). Pushed records also have [`effects`]: an
//! invitation mails its link, a removed contact closes its account.
//!
//! Customers (API.md is the contract):
//!
//! - [`routes`]: every route in one table, each declaring who may call it
//!   ([`routes::Access`]); [`auth::guard`] enforces the declaration before the
//!   handler runs (session from the cookie, stage, role, CSRF) and hands the
//!   handler an [`auth::Caller`] — the only place a tenant and organization
//!   come from;
//! - [`auth`]: argon2id passwords, TOTP; [`storage::accounts`],
//!   [`storage::sessions`], [`storage::tokens`]: accounts, server-side
//!   sessions and single-use mailed links, stored as hashes;
//! - [`api`]: the handlers (sign-in and links, the account, the customer's
//!   servers, documents rendered with `cs-invoice`, wallet, live updates);
//! - [`mail`]: the portal's own relay, its templates and the worker that
//!   sends [`storage::mail_queue`]; [`http`]: errors, bodies, cookies,
//!   security headers; [`web`]: the embedded web UI.
//!
//! It deliberately holds no cloud provider credentials, and no state a
//! customer acts on: part 1 shows; the desktop decides.

pub mod api;
pub mod auth;
pub mod db;
pub mod effects;
pub mod http;
pub mod mail;
pub mod routes;
pub mod storage;
pub mod sync;
pub mod testing;
pub mod web;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use cs_core::Clock;

pub use routes::{router, Access, Route};

/// The real clock (tests use `cs_core::FixedClock`).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
    }
}

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
    /// The portal runs behind a load balancer that appends the client's
    /// address to `X-Forwarded-For` (rate limits and the audit log use it).
    pub behind_proxy: bool,
    /// Where mail goes out; without it mail waits in the queue.
    pub mail: Option<mail::MailSettings>,
    /// How often an open event stream checks its session and sends a
    /// keep-alive comment.
    pub events_tick: std::time::Duration,
}

impl Config {
    /// A configuration with no mail relay, not behind a proxy.
    pub fn new(database: Database, public_url: impl Into<String>, clock: Arc<dyn Clock>) -> Config {
        Config {
            database,
            connections: 8,
            public_url: public_url.into(),
            clock,
            behind_proxy: false,
            mail: None,
            events_tick: std::time::Duration::from_secs(20),
        }
    }
}

/// The shared state of every request.
pub struct Portal {
    pub db: db::Db,
    pub clock: Arc<dyn Clock>,
    pub public_url: String,
    pub effects: Box<dyn storage::projection::Effects>,
    pub behind_proxy: bool,
    pub mail: Option<mail::MailSettings>,
    pub events_tick: std::time::Duration,
    /// The domain of queued mails' Message-IDs (the sender's).
    pub mail_domain: String,
    /// Wakes the mail worker after a transaction queued mail.
    pub mail_wake: tokio::sync::Notify,
    /// Password hashes run a few at a time (each takes 19 MiB and a core).
    hashing: tokio::sync::Semaphore,
    /// Password verifications done (tests compare the work of an unknown
    /// email with that of a wrong password).
    pub password_checks: AtomicU64,
}

impl Portal {
    /// Opens the database (applying its migrations).
    pub fn open(config: Config) -> anyhow::Result<Arc<Portal>> {
        let db = match &config.database {
            Database::Sqlite(path) => db::Db::open_sqlite(path, config.connections)?,
            Database::Postgres(url) => db::Db::open_postgres(url, config.connections)?,
        };
        let public_url = config.public_url.trim_end_matches('/').to_string();
        let domain = config
            .mail
            .as_ref()
            .map(|m| m.domain())
            .unwrap_or_else(|| host_of(&public_url).to_string());
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Arc::new(Portal {
            db,
            clock: config.clock,
            effects: Box::new(effects::RecordEffects {
                public_url: public_url.clone(),
                mail_domain: domain.clone(),
            }),
            mail_domain: domain,
            public_url,
            behind_proxy: config.behind_proxy,
            mail: config.mail,
            events_tick: config.events_tick,
            mail_wake: tokio::sync::Notify::new(),
            hashing: tokio::sync::Semaphore::new(cores),
            password_checks: AtomicU64::new(0),
        }))
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Whether customers reach the portal over https.
    pub fn https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// Cookies are `Secure` unless the portal is plain http on loopback
    /// (a browser would not send them back over http otherwise).
    pub fn secure_cookies(&self) -> bool {
        if self.https() {
            return true;
        }
        let host = host_of(&self.public_url);
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        !loopback
    }

    /// The portal's origin (`https://portal.example.com`), as browsers send
    /// it in `Origin`.
    pub fn origin(&self) -> &str {
        let rest = self
            .public_url
            .split_once("://")
            .map_or(self.public_url.as_str(), |(_, r)| r);
        let end = rest.find('/').map_or(self.public_url.len(), |i| {
            self.public_url.len() - rest.len() + i
        });
        &self.public_url[..end]
    }

    /// Checks a password against a stored argon2id hash, or against a dummy
    /// hash when there is no account (the same work either way), off the
    /// async threads and a few at a time.
    pub async fn check_password(&self, password: String, stored: Option<String>) -> bool {
        let Ok(_permit) = self.hashing.acquire().await else {
            return false;
        };
        self.password_checks.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || auth::password::verify(&password, stored.as_deref()))
            .await
            .unwrap_or(false)
    }

    /// Hashes a new password (argon2id), off the async threads.
    pub async fn hash_password(&self, password: String) -> Result<String, http::ApiError> {
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|_| http::ApiError::internal())?;
        tokio::task::spawn_blocking(move || auth::password::hash(&password))
            .await
            .map_err(|_| http::ApiError::internal())
    }
}

/// The host of a URL (`portal.example.com` of `https://portal.example.com:8443/x`).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    if authority.starts_with('[') {
        return authority
            .split_once(']')
            .map_or(authority, |(h, _)| h)
            .trim_start_matches('[');
    }
    authority.split(':').next().unwrap_or(authority)
}

/// Serves the portal on `listener` until the process ends, with its mail
/// worker when a relay is configured.
pub async fn serve(portal: Arc<Portal>, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    let worker = mail::spawn_worker(portal.clone())?;
    let _stop_worker = AbortOnDrop(worker);
    let _stop_housekeeping = AbortOnDrop(Some(spawn_housekeeping(portal.clone())));
    let app = router(portal);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}

/// Deletes what no longer matters, hourly ([`storage::housekeeping`]).
fn spawn_housekeeping(portal: Arc<Portal>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            let now = portal.now();
            match portal
                .db
                .run(true, move |tx| storage::housekeeping::run(tx, now))
                .await
            {
                Ok(removed) => tracing::debug!(?removed, "housekeeping"),
                Err(e) => {
                    tracing::warn!(error = %e, "housekeeping failed; it runs again in an hour")
                }
            }
        }
    })
}

/// Stops a background task when the server stops.
struct AbortOnDrop(Option<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(t) = &self.0 {
            t.abort();
        }
    }
}
