//! The application façade: every use case the shells call.
//!
//! [`App`] owns the store, the providers, the clock and the event sink, and
//! exposes one method per use case (create an organization, define a plan,
//! create a server, reboot it …), grouped by area: `customers`, `plans`,
//! `servers`, `billing`, `documents`, `payments`, `mail`, `providers`,
//! `portal`, `backup`. An
//! area holds its use cases, the SQL of the tables it owns (`store.rs`) and
//! its DTOs (re-exported by [`dto`]). The desktop shell (`src-tauri`) and the
//! headless daemon are thin clients of it: all validation happens here (the
//! UI validates too, for comfort, never instead), and every change goes
//! through the one write path, `App::write` (`write.rs`): a unit of work
//! that writes the change, its activity row and its portal sync records in
//! one transaction and sends the UI's events after it commits.
//!
//! It does not know about Tauri, windows or HTTP servers: events leave through
//! the [`EventSink`] trait, which each shell implements.

mod backup;
mod billing;
mod customers;
mod documents;
pub mod dto;
mod error;
mod health;
mod list;
mod mail;
mod map;
pub mod memory;
mod notify;
mod payments;
mod plans;
mod portal;
mod providers;
mod remote_url;
pub mod secrets;
mod servers;
mod startup;
mod updates;
mod write;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cs_core::{Clock, Currency, ProviderKind, Timestamp};
use cs_provider::sandbox::{Sandbox, Timing};
use cs_provider::Provider;
use cs_secrets::SecretStore;
use cs_store::{activity, settings, Store};

pub use backup::run as run_backup_loop;
pub use billing::run as run_billing_scheduler;
pub use cs_mail::OutboxPolicy;
pub use cs_store::create_private_dir_all;
pub use error::{AppError, AppResult};
pub use health::{supervise, BackgroundLoop};
pub use mail::run_worker as run_mail_worker;
pub use payments::{run as run_paypal_poller, WebhookOutcome};
pub use portal::run as run_portal_sync;
pub use providers::linode::EXPIRY_WARNING as LINODE_TOKEN_EXPIRY_WARNING;
pub use secrets::SecretKeys;
pub use servers::reconcile::run as run_reconciler;
pub use startup::{startup_failure_message, STARTUP_FAILURE_TITLE};
pub use updates::{CopyBeforeUpdateDto, UpdateSettingsDto};
pub(crate) use write::{AppEvent, Subject, Write};

/// How the shells learn about changes they did not ask for (a server that
/// finished booting, an activity entry written by the reconciler).
pub trait EventSink: Send + Sync {
    fn server_changed(&self, server: &dto::ServerDto);
    fn activity_recorded(&self, activity: &dto::ActivityDto);
    /// A long billing catch-up made progress (the default ignores it; the
    /// façade logs it as well).
    fn billing_progress(&self, _progress: &dto::BillingProgressDto) {}
    /// A background loop started, panicked (it is restarted with backoff) or
    /// runs again after a restart (the default ignores it; it is logged).
    fn loop_health_changed(&self, _health: &dto::LoopHealthDto) {}
    /// A backup failed (scheduled or not); `message` says why and what to do.
    fn backup_failed(&self, _message: &str) {}
    /// Something the reseller must act on, to show as a desktop
    /// notification (`notify.rs` decides what and filters by the settings;
    /// the default ignores it).
    fn notify(&self, _notification: &dto::NotificationDto) {}
}

/// An [`EventSink`] that drops everything (the daemon has no UI to tell).
#[derive(Debug, Default)]
pub struct NoEvents;

impl EventSink for NoEvents {
    fn server_changed(&self, _: &dto::ServerDto) {}
    fn activity_recorded(&self, _: &dto::ActivityDto) {}
}

/// The real clock, used by the shells.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        chrono::Utc::now()
    }
}

/// Everything the façade needs from the shell that starts it.
pub struct AppConfig {
    /// The SQLite file; created with its folder when missing.
    pub database_path: PathBuf,
    pub log_dir: PathBuf,
    pub clock: Arc<dyn Clock>,
    pub events: Arc<dyn EventSink>,
    pub secrets: Arc<dyn SecretStore>,
    pub sandbox_timing: Timing,
    /// Who the actions of this session are recorded as, e.g. `staff:owner`.
    pub actor: String,
}

/// The application. Shared between the shell's threads behind an `Arc`.
pub struct App {
    /// Shared with the mail outbox worker (`cs_mail::SqliteOutbox`).
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    events: Arc<dyn EventSink>,
    secrets: Arc<dyn SecretStore>,
    /// The keyring keys of this database's secrets.
    secret_keys: SecretKeys,
    sandbox: Sandbox,
    /// Whether the Sandbox holds the servers of the store yet (see
    /// `App::adopt_sandbox_servers`); the lock is held while adopting, so a
    /// use of the Sandbox waits for an adoption under way.
    sandbox_adopted: std::sync::Mutex<bool>,
    /// The connected Linode accounts by account id (their tokens live in the
    /// keyring, under `SecretKeys::linode_token`).
    linode: std::sync::RwLock<std::collections::BTreeMap<String, Arc<cs_linode::LinodeProvider>>>,
    /// The connected DigitalOcean accounts by account id (tokens under
    /// `SecretKeys::digitalocean_token`).
    digitalocean: std::sync::RwLock<
        std::collections::BTreeMap<String, Arc<cs_digitalocean::DigitalOceanProvider>>,
    >,
    /// The PayPal account, if set up (its secret lives in the keyring).
    paypal: std::sync::RwLock<Option<Arc<payments::PayPalRuntime>>>,
    actor: String,
    log_dir: PathBuf,
    /// The SMTP side: retry policy, an extra trusted certificate, the wake-up
    /// of the outbox worker.
    mail: mail::MailRuntime,
    /// The wake-up and HTTP client of the portal sync worker.
    portal: portal::PortalRuntime,
    /// Backups and restores, one at a time (`backup/`).
    backup: backup::BackupRuntime,
    /// The health of the background loops (`health.rs`).
    loops: health::LoopHealth,
    /// The cancel flag of the running period export, if one runs.
    export_cancel: std::sync::Mutex<Option<Arc<std::sync::atomic::AtomicBool>>>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("store", &self.store).finish()
    }
}

const RESELLER_NAME_KEY: &str = "reseller.name";

impl App {
    /// Opens the store (applying migrations) and loads the accounts. It does
    /// nothing proportional to the size of the store, so the window paints
    /// at once: the Sandbox servers of an earlier run are adopted by
    /// [`App::adopt_sandbox_servers`], which the shell runs in the background
    /// and which every use of the Sandbox runs first if it has not yet.
    pub fn open(config: AppConfig) -> AppResult<App> {
        let store = Arc::new(Store::open(&config.database_path)?);
        let sandbox = Sandbox::new(config.clock.clone(), config.sandbox_timing);
        let secret_keys = SecretKeys::new(secrets::database_id(&store)?);
        let events: Arc<dyn EventSink> = Arc::new(notify::Notifier {
            inner: config.events,
            store: store.clone(),
        });
        let app = App {
            store,
            clock: config.clock,
            events,
            secrets: config.secrets,
            secret_keys,
            sandbox,
            sandbox_adopted: std::sync::Mutex::new(false),
            linode: std::sync::RwLock::new(std::collections::BTreeMap::new()),
            digitalocean: std::sync::RwLock::new(std::collections::BTreeMap::new()),
            paypal: std::sync::RwLock::new(None),
            actor: config.actor,
            log_dir: config.log_dir,
            mail: mail::MailRuntime::default(),
            portal: portal::PortalRuntime::default(),
            export_cancel: std::sync::Mutex::new(None),
            loops: health::LoopHealth::default(),
            backup: backup::BackupRuntime::default(),
        };
        app.move_legacy_secrets()?;
        app.load_linode()?;
        app.load_digitalocean()?;
        app.load_paypal()?;
        Ok(app)
    }

    pub fn database_path(&self) -> &Path {
        self.store.path()
    }

    /// The keyring keys of this database's secrets.
    pub fn secret_keys(&self) -> &SecretKeys {
        &self.secret_keys
    }

    /// Moves, once, the secrets of before they were keyed by database to this
    /// database's keys: the SMTP password and the PayPal secret only when
    /// this database uses them (another installation may own them), each
    /// Linode account's token always (account ids are this database's own).
    /// Without a keyring the move waits for the next start.
    fn move_legacy_secrets(&self) -> AppResult<()> {
        let (smtp, paypal, accounts) = self.store.read(|c| {
            Ok::<_, AppError>((
                mail::smtp_username_set(c)?,
                payments::paypal_set_up(c)?,
                providers::store::live_accounts(c)?,
            ))
        })?;
        let k = &self.secret_keys;
        let mut moves = vec![];
        if smtp {
            moves.push((
                secrets::legacy::SMTP_PASSWORD.to_string(),
                k.smtp_password(),
            ));
        }
        if paypal {
            moves.push((
                secrets::legacy::PAYPAL_SECRET.to_string(),
                k.paypal_secret(),
            ));
        }
        for a in accounts {
            moves.push((secrets::legacy::linode_token(&a.id), k.linode_token(&a.id)));
        }
        for (old, new) in moves {
            match secrets::move_secret(self.secrets.as_ref(), &old, &new) {
                Ok(true) => {
                    tracing::info!(from = %old, to = %new, "moved a secret to this database's keyring key")
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(key = %old, error = %e, "a secret could not be moved to this database's keyring key; trying again at the next start")
                }
            }
        }
        Ok(())
    }

    /// The Sandbox provider, for tests that inject faults. A fault
    /// injected before the adoption fires at the first call after it.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// Re-creates in the Sandbox, once, the live servers of an earlier run
    /// (the Sandbox forgets them when the process ends): reads every server
    /// of the store, so the shells run it in the background after the
    /// window is shown. Any use of the Sandbox calls it first, and waits
    /// while it runs on another thread, so nothing asks the Sandbox about a
    /// server it has not adopted yet. Cheap once done.
    pub fn adopt_sandbox_servers(&self) -> AppResult<()> {
        let mut adopted = self
            .sandbox_adopted
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if !*adopted {
            let started = std::time::Instant::now();
            let n = self.adopt_sandbox_servers_now()?;
            tracing::info!(
                servers = n,
                ms = started.elapsed().as_millis() as u64,
                "adopted the Sandbox servers of the store"
            );
            *adopted = true;
        }
        Ok(())
    }

    /// The Sandbox for its catalogue (regions, types, images), which needs
    /// no adopted server: the plans screen does not wait for the adoption.
    fn sandbox_catalogue(&self) -> Arc<dyn Provider> {
        Arc::new(self.sandbox.clone())
    }

    /// Whether the Sandbox servers of the store have been adopted yet.
    pub fn sandbox_servers_adopted(&self) -> bool {
        *self
            .sandbox_adopted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// After a restore: the store's servers are another set, adopted again
    /// at the next use of the Sandbox (or by the caller).
    fn forget_sandbox_adoption(&self) {
        *self
            .sandbox_adopted
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = false;
    }

    fn provider(&self, kind: ProviderKind) -> AppResult<Arc<dyn Provider>> {
        match kind {
            ProviderKind::Sandbox => {
                self.adopt_sandbox_servers()?;
                Ok(Arc::new(self.sandbox.clone()))
            }
            // Where no server says which account: the oldest connected one.
            // Anything about a server goes through `provider_of`.
            ProviderKind::Linode => Ok(self.linode_provider(&self.default_linode_account()?)?),
            ProviderKind::DigitalOcean => {
                Ok(self.digitalocean_provider(&self.default_account(ProviderKind::DigitalOcean)?)?)
            }
        }
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The reseller's currency, kept with the billing settings: wallets,
    /// prices and documents are in it.
    pub(crate) fn currency(&self) -> AppResult<Currency> {
        self.store
            .read(|c| Ok(cs_billing::BillingSettings::load(c)?.currency))
    }

    pub fn info(&self) -> AppResult<dto::AppInfo> {
        Ok(dto::AppInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            database_path: self.store.path().display().to_string(),
            log_dir: self.log_dir.display().to_string(),
            currency: self.currency()?.code().to_string(),
            providers: vec![
                dto::ProviderInfo {
                    kind: "sandbox".into(),
                    name: "Sandbox".into(),
                    connected: true,
                    detail: "Built in: simulated servers, no account needed".into(),
                    capabilities: providers::capabilities_dto(&providers::capabilities(
                        ProviderKind::Sandbox,
                    )),
                },
                self.linode_info()?,
                self.digitalocean_info()?,
            ],
        })
    }

    pub fn dashboard(&self) -> AppResult<dto::Dashboard> {
        let currency = self.currency()?;
        self.store.read(|c| {
            let by_status = cs_store::servers::count_by_status(c)?;
            let live: i64 = by_status.iter().map(|(_, n)| n).sum();
            // Each live server at its plan's monthly price.
            let per_plan = cs_store::servers::count_live_by_plan(c)?;
            let revenue: i64 = cs_store::plans::list(c)?
                .iter()
                .map(|p| p.monthly.minor * per_plan.get(&p.id).copied().unwrap_or(0))
                .sum();
            Ok(dto::Dashboard {
                organizations: map::count(cs_store::orgs::count(c)?),
                plans: map::count(cs_store::plans::count(c)?),
                live_servers: map::count(live),
                servers_by_status: by_status
                    .into_iter()
                    .map(|(s, n)| dto::StatusCount {
                        status: s.as_str().into(),
                        count: map::count(n),
                    })
                    .collect(),
                monthly_revenue: map::money(cs_core::Money::new(revenue, currency)),
                recent_activity: activity::recent(c, 10, None)?
                    .into_iter()
                    .map(map::activity)
                    .collect(),
            })
        })
    }

    /// The newest entries (at most 100), optionally about one subject or
    /// organization.
    pub fn list_activity(
        &self,
        limit: u32,
        subject: Option<String>,
    ) -> AppResult<Vec<dto::ActivityDto>> {
        let limit = i64::from(limit.clamp(1, cs_store::page::MAX_LIMIT));
        self.store.read(|c| {
            Ok(activity::recent(c, limit, subject.as_deref())?
                .into_iter()
                .map(map::activity)
                .collect())
        })
    }

    /// One page of the Activity screen, newest first.
    pub fn list_activity_page(
        &self,
        input: dto::ActivityListInput,
    ) -> AppResult<dto::ActivityPage> {
        use cs_store::activity::ActivityKind;
        let from = list::from(input.after.as_deref(), input.before.as_deref())?;
        let limit = list::limit(input.limit)?;
        let kind = match input.kind {
            dto::ActivityKindFilter::All => ActivityKind::All,
            dto::ActivityKindFilter::Server => ActivityKind::Server,
            dto::ActivityKindFilter::Organization => ActivityKind::Organization,
            dto::ActivityKindFilter::Plan => ActivityKind::Plan,
            dto::ActivityKindFilter::Other => ActivityKind::Other,
        };
        self.store.read(|c| {
            let page = activity::page(c, kind, &from, limit)?;
            Ok(dto::ActivityPage {
                rows: page.rows.into_iter().map(map::activity).collect(),
                next: page.next.map(|n| n.encode()),
                prev: page.prev.map(|n| n.encode()),
                total: map::count(page.total),
            })
        })
    }

    pub fn settings(&self) -> AppResult<dto::SettingsDto> {
        let currency = self.currency()?;
        self.store.read(|c| {
            Ok(dto::SettingsDto {
                currency: currency.code().to_string(),
                currency_locked: currency_lock(c)?.is_some(),
                currency_locked_because: currency_lock(c)?,
                reseller_name: settings::get(c, RESELLER_NAME_KEY)?
                    .unwrap_or_else(|| "My Cloud".to_string()),
            })
        })
    }

    pub fn update_settings(&self, input: dto::SettingsInput) -> AppResult<dto::SettingsDto> {
        let mut errors = cs_core::ValidationErrors::new();
        let name = cs_core::validate::required_text(
            &mut errors,
            "resellerName",
            "Reseller name",
            &input.reseller_name,
            120,
        );
        let currency = match Currency::parse(&input.currency) {
            Ok(c) => Some(c),
            Err(e) => {
                errors.add("currency", e.to_string());
                None
            }
        };
        let currency = errors.into_result(currency)?.unwrap_or(Currency::USD);
        let current = self.currency()?;
        let now = self.now();
        self.write(|tx| {
            if currency != current {
                if let Some(why) = currency_lock(tx)? {
                    return Err(AppError::validation("currency", format!("The currency cannot change: {why}, and prices, wallets and documents are kept in {current}; keep {current}, or start a new database for {currency}")));
                }
            }
            let mut billing = cs_billing::BillingSettings::load(tx)?;
            billing.currency = currency;
            billing.save(tx)?;
            settings::set(tx, RESELLER_NAME_KEY, &name)?;
            self.publish_portal_branding(tx)?;
            tx.record(now, "settings.updated", Subject::settings(None), format!("Updated settings: reseller {name}, currency {currency}"))
        })?;
        self.settings()
    }
}

/// Why the reseller's currency can no longer change, if it cannot: once a
/// plan is priced or any money is recorded (a payment, a wallet entry, a
/// document), switching would silently change what those amounts mean.
fn currency_lock(c: &cs_store::rusqlite::Connection) -> AppResult<Option<String>> {
    let why = if cs_store::plans::count(c)? > 0 {
        "plans exist"
    } else if payments::store::any_payment(c)? {
        "payments were recorded"
    } else if cs_billing::ledger::any_posted(c)? {
        "wallet entries were recorded"
    } else if cs_billing::documents::any_document(c)? {
        "documents exist"
    } else {
        return Ok(None);
    };
    Ok(Some(why.to_string()))
}

/// A fresh UUID for a new entity. Ids come from outside the core (which reads
/// no random source); v4 keeps them unguessable in portal URLs.
fn new_uuid() -> uuid::Uuid {
    uuid::Uuid::new_v4()
}
