//! Desktop notifications: what a reseller must act on.
//!
//! The domain decides *what* deserves a notification: a server failed, a
//! customer suspended for an unpaid balance, a payment received, the mail
//! relay down, a backup failed. The first four come from the activity
//! entries a unit of work commits (`App::unit_of_work` reads the entries it
//! wrote, the billing engine's included, before committing, and hands the
//! notifications to the [`EventSink`] after the commit, so a rolled-back
//! change never notifies and each entry notifies at most once); a failed
//! backup comes from [`EventSink::backup_failed`], which the façade's sink
//! wrapper ([`Notifier`]) turns into a notification.
//!
//! Each kind can be switched off in Settings → Notifications (settings keys
//! `notify.<kind>`, on when absent). A notification holds names (a server's
//! label, a customer's name) and amounts, never secrets or other text a
//! customer wrote.

use std::sync::Arc;

use cs_store::rusqlite::Connection;
use cs_store::{settings, Store};
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::{dto, App, AppResult, EventSink, Subject};

/// What a notification is about; each can be switched off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    ServerFailed,
    CustomerSuspended,
    PaymentReceived,
    MailRelayDown,
    BackupFailed,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 5] = [
        NotificationKind::ServerFailed,
        NotificationKind::CustomerSuspended,
        NotificationKind::PaymentReceived,
        NotificationKind::MailRelayDown,
        NotificationKind::BackupFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::ServerFailed => "server_failed",
            NotificationKind::CustomerSuspended => "customer_suspended",
            NotificationKind::PaymentReceived => "payment_received",
            NotificationKind::MailRelayDown => "mail_relay_down",
            NotificationKind::BackupFailed => "backup_failed",
        }
    }

    fn setting_key(self) -> String {
        format!("notify.{}", self.as_str())
    }
}

/// A desktop notification for the shell to show.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct NotificationDto {
    /// `server_failed`, `customer_suspended`, `payment_received`,
    /// `mail_relay_down` or `backup_failed`.
    pub kind: String,
    pub title: String,
    pub body: String,
}

/// Which notifications are on (Settings → Notifications); all on by default.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct NotificationSettingsDto {
    pub server_failed: bool,
    pub customer_suspended: bool,
    pub payment_received: bool,
    pub mail_relay_down: bool,
    pub backup_failed: bool,
}

impl NotificationSettingsDto {
    fn get(&self, kind: NotificationKind) -> bool {
        match kind {
            NotificationKind::ServerFailed => self.server_failed,
            NotificationKind::CustomerSuspended => self.customer_suspended,
            NotificationKind::PaymentReceived => self.payment_received,
            NotificationKind::MailRelayDown => self.mail_relay_down,
            NotificationKind::BackupFailed => self.backup_failed,
        }
    }
}

/// Whether notifications of `kind` are on (on unless switched off).
fn enabled(c: &Connection, kind: NotificationKind) -> cs_store::rusqlite::Result<bool> {
    Ok(settings::get(c, &kind.setting_key())?.as_deref() != Some("off"))
}

fn read_settings(c: &Connection) -> cs_store::rusqlite::Result<NotificationSettingsDto> {
    Ok(NotificationSettingsDto {
        server_failed: enabled(c, NotificationKind::ServerFailed)?,
        customer_suspended: enabled(c, NotificationKind::CustomerSuspended)?,
        payment_received: enabled(c, NotificationKind::PaymentReceived)?,
        mail_relay_down: enabled(c, NotificationKind::MailRelayDown)?,
        backup_failed: enabled(c, NotificationKind::BackupFailed)?,
    })
}

/// The activity actions that notify.
const ACTIONS: &[&str] = &[
    "server.failed",
    "server.create_failed",
    "dunning.servers_suspended",
    "payment.recorded",
    "mail.relay_down",
];

/// The last activity sequence number, noted before a unit of work.
pub(crate) fn activity_mark(c: &Connection) -> cs_store::Result<i64> {
    cs_store::activity::last_seq(c)
}

/// The notifications of the activity entries written after `mark` in this
/// transaction, those switched off left out.
pub(crate) fn for_new_activity(
    c: &Connection,
    mark: i64,
) -> cs_store::Result<Vec<NotificationDto>> {
    let mut out = vec![];
    for a in cs_store::activity::since(c, mark, ACTIONS)? {
        let Some((kind, title, body)) =
            describe(c, &a.action, a.subject_id, a.organization_id, &a.summary)?
        else {
            continue;
        };
        if enabled(c, kind)? {
            out.push(NotificationDto {
                kind: kind.as_str().into(),
                title: title.into(),
                body,
            });
        }
    }
    Ok(out)
}

fn org_name(c: &Connection, id: Option<&str>) -> cs_store::Result<String> {
    let org = match id.and_then(|id| id.parse().ok()) {
        Some(id) => cs_store::orgs::get(c, id)?,
        None => None,
    };
    Ok(org.map_or_else(|| "A customer".into(), |o| o.organization.name))
}

/// The kind, title and body of one activity entry's notification.
fn describe(
    c: &Connection,
    action: &str,
    subject: Option<String>,
    org: Option<String>,
    summary: &str,
) -> cs_store::Result<Option<(NotificationKind, &'static str, String)>> {
    Ok(Some(match action {
        "server.failed" | "server.create_failed" => {
            let server = match subject.as_deref().and_then(|id| id.parse().ok()) {
                Some(id) => cs_store::servers::get(c, id)?,
                None => None,
            };
            let server = match server {
                Some(s) => {
                    let customer = cs_store::orgs::get(c, s.organization_id)?
                        .map_or_else(|| "a customer".into(), |o| o.organization.name);
                    Some((s.label, customer))
                }
                None => None,
            };
            let body = match server {
                Some((label, customer)) => format!(
                    "Server {label} of {customer} failed: open it in Servers to see why"
                ),
                None => "A server failed: open Servers to see why".into(),
            };
            (NotificationKind::ServerFailed, "Server failed", body)
        }
        "dunning.servers_suspended" => {
            let name = org_name(c, org.as_deref())?;
            (
                NotificationKind::CustomerSuspended,
                "Customer suspended",
                format!("{name}'s servers were suspended for an unpaid balance"),
            )
        }
        "payment.recorded" => {
            let name = org_name(c, org.as_deref())?;
            // "Recorded <amount> by <method> from …": only the amount is
            // taken, the reference is left out.
            let amount = summary
                .strip_prefix("Recorded ")
                .and_then(|s| s.split(" by ").next())
                .filter(|a| !a.is_empty());
            let body = match amount {
                Some(a) => format!("{name} paid {a}"),
                None => format!("{name} paid"),
            };
            (NotificationKind::PaymentReceived, "Payment received", body)
        }
        "mail.relay_down" => (
            NotificationKind::MailRelayDown,
            "Mail relay down",
            "The mail relay is not accepting mail: mail waits in the outbox and is retried; check Settings → Email".into(),
        ),
        _ => return Ok(None),
    }))
}

/// The façade's event sink: forwards everything to the shell's sink and
/// turns a failed backup into a notification when that kind is on.
pub(crate) struct Notifier {
    pub inner: Arc<dyn EventSink>,
    pub store: Arc<Store>,
}

impl EventSink for Notifier {
    fn server_changed(&self, server: &dto::ServerDto) {
        self.inner.server_changed(server);
    }
    fn activity_recorded(&self, activity: &dto::ActivityDto) {
        self.inner.activity_recorded(activity);
    }
    fn billing_progress(&self, progress: &dto::BillingProgressDto) {
        self.inner.billing_progress(progress);
    }
    fn loop_health_changed(&self, health: &dto::LoopHealthDto) {
        self.inner.loop_health_changed(health);
    }
    fn backup_failed(&self, message: &str) {
        self.inner.backup_failed(message);
        let on = self
            .store
            .read(|c| Ok::<_, crate::AppError>(enabled(c, NotificationKind::BackupFailed)?))
            .unwrap_or(true);
        if on {
            self.inner.notify(&NotificationDto {
                kind: NotificationKind::BackupFailed.as_str().into(),
                title: "Backup failed".into(),
                body: format!("{message}; see Settings → Backups"),
            });
        }
    }
    fn notify(&self, notification: &NotificationDto) {
        self.inner.notify(notification);
    }
}

impl App {
    /// Which notifications are on.
    pub fn notification_settings(&self) -> AppResult<NotificationSettingsDto> {
        self.store
            .read(|c| Ok::<_, crate::AppError>(read_settings(c)?))
    }

    /// Switches notifications on or off.
    pub fn update_notification_settings(
        &self,
        input: NotificationSettingsDto,
    ) -> AppResult<NotificationSettingsDto> {
        let now = self.now();
        self.write(|tx| {
            let before = read_settings(tx)?;
            for kind in NotificationKind::ALL {
                let on = input.get(kind);
                settings::set(tx, &kind.setting_key(), if on { "on" } else { "off" })?;
            }
            let changed: Vec<String> = NotificationKind::ALL
                .iter()
                .filter(|k| before.get(**k) != input.get(**k))
                .map(|k| {
                    format!(
                        "{} {}",
                        k.as_str().replace('_', " "),
                        if input.get(*k) { "on" } else { "off" }
                    )
                })
                .collect();
            if !changed.is_empty() {
                tx.record(
                    now,
                    "settings.notifications_updated",
                    Subject::settings(Some("notifications")),
                    format!("Notifications: {}", changed.join(", ")),
                )?;
            }
            Ok(read_settings(tx)?)
        })
    }
}
