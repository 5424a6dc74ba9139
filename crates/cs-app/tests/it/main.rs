//! The façade's use cases against a real SQLite file and the Sandbox provider,
//! with an injected clock.

mod backup;
mod billing;
mod digitalocean;
mod documents;
mod lifecycle;
mod linode;
mod linode_accounts;
mod linode_screens;
mod lists;
mod mail;
mod notifications;
mod payments;
mod portal;
mod pricing;
mod secrets;
mod startup;
mod supervision;
mod updates;
mod validation;

use std::sync::{Arc, Mutex};

use chrono::{Duration, TimeZone, Utc};
use cs_app::dto::*;
use cs_app::{App, AppConfig, EventSink};
use cs_core::FixedClock;
use cs_provider::sandbox::Timing;
use cs_secrets::MemorySecrets;

/// Collects pushed events so tests can assert what the UI would have seen.
#[derive(Default)]
pub struct Recorder {
    pub servers: Mutex<Vec<ServerDto>>,
    pub activity: Mutex<Vec<ActivityDto>>,
    pub progress: Mutex<Vec<BillingProgressDto>>,
    pub health: Mutex<Vec<LoopHealthDto>>,
    pub notifications: Mutex<Vec<NotificationDto>>,
}

impl EventSink for Recorder {
    fn server_changed(&self, server: &ServerDto) {
        self.servers.lock().unwrap().push(server.clone());
    }
    fn activity_recorded(&self, activity: &ActivityDto) {
        self.activity.lock().unwrap().push(activity.clone());
    }
    fn billing_progress(&self, progress: &BillingProgressDto) {
        self.progress.lock().unwrap().push(progress.clone());
    }
    fn loop_health_changed(&self, health: &LoopHealthDto) {
        self.health.lock().unwrap().push(health.clone());
    }
    fn notify(&self, notification: &NotificationDto) {
        self.notifications
            .lock()
            .unwrap()
            .push(notification.clone());
    }
}

pub struct TestApp {
    pub app: App,
    /// The app's keyring.
    pub secrets: Arc<MemorySecrets>,
    pub clock: Arc<FixedClock>,
    pub events: Arc<Recorder>,
    pub dir: tempfile::TempDir,
}

pub fn step() -> Duration {
    Duration::seconds(3)
}

impl Default for TestApp {
    fn default() -> TestApp {
        TestApp::new()
    }
}

impl TestApp {
    pub fn new() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(FixedClock::new(
            Utc.with_ymd_and_hms(2026, 1, 31, 10, 30, 0).unwrap(),
        ));
        let events = Arc::new(Recorder::default());
        let secrets = Arc::new(MemorySecrets::default());
        let app = open(&dir, clock.clone(), events.clone(), secrets.clone()).unwrap();
        TestApp {
            app,
            secrets,
            clock,
            events,
            dir,
        }
    }

    /// Closes the app and opens it again on the same database.
    pub fn restart(self) -> TestApp {
        let TestApp {
            app, clock, dir, ..
        } = self;
        drop(app);
        let events = Arc::new(Recorder::default());
        let secrets = Arc::new(MemorySecrets::default());
        let app = open(&dir, clock.clone(), events.clone(), secrets.clone()).unwrap();
        TestApp {
            app,
            secrets,
            clock,
            events,
            dir,
        }
    }

    pub fn customer(&self, name: &str, email: &str) -> OrganizationDto {
        self.app
            .create_organization(OrganizationInput {
                name: name.into(),
                contact_name: "Zoë Ødegård".into(),
                contact_email: email.into(),
                country: "NO".into(),
                tax_id: None,
                ..Default::default()
            })
            .unwrap()
    }

    pub async fn plan(&self, name: &str) -> PlanDto {
        self.app
            .create_plan(PlanInput {
                name: name.into(),
                provider: "sandbox".into(),
                provider_type: "sb-small".into(),
                regions: vec!["eu-west".into(), "ap-south".into()],
                monthly_price: "15.00".into(),
                hourly_price: "0.0225".into(),
            })
            .await
            .unwrap()
    }

    pub fn server_input(&self, org: &OrganizationDto, plan: &PlanDto, label: &str) -> ServerInput {
        ServerInput {
            organization_id: org.id.clone(),
            plan_id: plan.id.clone(),
            label: label.into(),
            region: "eu-west".into(),
            image: "sandbox/debian12".into(),
            root_password: Some("Correct-Horse-9".into()),
            ssh_key: None,
        }
    }

    /// Moves the clock one provider step and reconciles.
    pub async fn tick(&self) {
        self.clock.advance(step());
        self.app.reconcile_once(false).await.unwrap();
    }

    pub fn table_count(&self, table: &str) -> i64 {
        let conn = rusqlite_conn(&self.dir);
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }
}

fn rusqlite_conn(dir: &tempfile::TempDir) -> cs_store::rusqlite::Connection {
    cs_store::rusqlite::Connection::open(dir.path().join("cs.db")).unwrap()
}

pub fn open(
    dir: &tempfile::TempDir,
    clock: Arc<FixedClock>,
    events: Arc<Recorder>,
    secrets: Arc<MemorySecrets>,
) -> cs_app::AppResult<App> {
    App::open(AppConfig {
        database_path: dir.path().join("cs.db"),
        log_dir: dir.path().join("logs"),
        clock,
        events,
        secrets,
        sandbox_timing: Timing::uniform(step()),
        actor: "staff:owner".into(),
    })
}
