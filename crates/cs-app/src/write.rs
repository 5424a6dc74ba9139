//! The one write path: a unit of work over one SQLite transaction.
//!
//! [`App::write`] runs a closure with a [`Write`]. It derefs to the
//! transaction's connection (every store function takes `&Connection`), and
//! carries what the change means beyond its rows:
//!
//! - [`Write::record`]: an activity-log entry, written now and shown to the
//!   UI once the transaction committed (a rolled-back entry is never seen);
//! - [`Write::publish`]: a change notice of customer-facing state, written
//!   now (`cs_store::sync_outbox::publish`, the one writer of that table);
//!   before commit the portal's typed records of the entities the notices
//!   name are written (`App::publish_portal_records`) and the sync worker is
//!   woken after commit;
//! - [`Write::emit`]: a UI event, sent once the transaction committed.
//!
//! Before it commits, the mails of the customer-facing records the
//! transaction published — by the façade or by the billing engine inside it
//! (documents issued, dunning notices) — are queued in the same transaction
//! (`App::mail_for_events`), so a mail exists exactly when its event does;
//! the outbox worker is woken after the commit. The billing engine's own
//! transactions go through the same unit of work (`mail::MailingDb`).

use std::ops::Deref;

use cs_core::{OrganizationId, PlanId, Server, Timestamp};
use cs_store::activity::{self, Activity, NewActivity};
use cs_store::rusqlite::Connection;
use cs_store::sync_outbox::{self, SyncKind};
use cs_store::StoreError;
use serde::Serialize;

use crate::dto::ServerDto;
use crate::{map, App, AppError, AppResult};

/// What a committed transaction tells the UI.
#[derive(Debug, Clone)]
pub(crate) enum AppEvent {
    ServerChanged(ServerDto),
}

/// Who or what an activity entry is about.
#[derive(Debug, Clone)]
pub(crate) struct Subject {
    kind: &'static str,
    id: Option<String>,
    organization: Option<String>,
}

impl Subject {
    pub fn new(kind: &'static str, id: Option<String>, organization: Option<String>) -> Subject {
        Subject {
            kind,
            id,
            organization,
        }
    }

    pub fn server(s: &Server) -> Subject {
        Subject::new(
            "server",
            Some(s.id.to_string()),
            Some(s.organization_id.to_string()),
        )
    }

    pub fn organization(id: OrganizationId) -> Subject {
        Subject::new("organization", Some(id.to_string()), Some(id.to_string()))
    }

    pub fn plan(id: Option<PlanId>) -> Subject {
        Subject::new("plan", id.map(|p| p.to_string()), None)
    }

    /// A payment of an organization (`payments` area).
    pub fn payment(id: &str, organization: &str) -> Subject {
        Subject::new(
            "payment",
            Some(id.to_string()),
            Some(organization.to_string()),
        )
    }

    /// A provider account or catalogue (`linode:<account id>`, `sandbox`).
    pub fn provider(id: &str) -> Subject {
        Subject::new("provider", Some(id.to_string()), None)
    }

    /// A mail of the mail outbox.
    pub fn mail(id: &str) -> Subject {
        Subject::new("mail", Some(id.to_string()), None)
    }

    pub fn mail_template(key: &str) -> Subject {
        Subject::new("mail_template", Some(key.to_string()), None)
    }

    /// The app's settings (`part` names a section, e.g. `paypal`).
    pub fn settings(part: Option<&str>) -> Subject {
        Subject::new("settings", part.map(str::to_string), None)
    }
}

/// What the unit of work does once the transaction committed.
#[derive(Default)]
pub(crate) struct Effects {
    activity: Vec<Activity>,
    events: Vec<AppEvent>,
    mail_queued: bool,
    portal_published: bool,
    /// The desktop notifications of the entries written (`notify.rs`).
    notifications: Vec<crate::dto::NotificationDto>,
}

/// One unit of work: the open transaction and what it records, publishes
/// and emits. See the module documentation.
pub(crate) struct Write<'a> {
    conn: &'a Connection,
    app: &'a App,
    effects: &'a mut Effects,
}

impl Deref for Write<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Write<'_> {
    /// Appends an activity entry as the session's actor.
    pub fn record(
        &mut self,
        at: Timestamp,
        action: &str,
        subject: Subject,
        summary: impl Into<String>,
    ) -> AppResult<()> {
        let actor = self.app.actor.clone();
        self.record_as(&actor, at, action, subject, summary)
    }

    /// Appends an activity entry as `actor` (`system:…`, `provider:…`).
    pub fn record_as(
        &mut self,
        actor: &str,
        at: Timestamp,
        action: &str,
        subject: Subject,
        summary: impl Into<String>,
    ) -> AppResult<()> {
        let row = activity::append(
            self.conn,
            &NewActivity {
                at,
                actor,
                action,
                subject_kind: subject.kind,
                subject_id: subject.id,
                organization_id: subject.organization,
                summary: summary.into(),
            },
        )?;
        self.effects.activity.push(row);
        Ok(())
    }

    /// Writes a portal sync record: the new customer-facing state of
    /// `entity_id`.
    pub fn publish<T: Serialize>(
        &mut self,
        at: Timestamp,
        organization: Option<OrganizationId>,
        kind: SyncKind,
        entity_id: &str,
        payload: &T,
    ) -> AppResult<()> {
        sync_outbox::publish(self.conn, at, organization, kind, entity_id, payload)?;
        Ok(())
    }

    /// Sends `event` to the UI once the transaction committed.
    pub fn emit(&mut self, event: AppEvent) {
        self.effects.events.push(event);
    }

    /// Notes that portal records were written: the sync worker is woken
    /// after commit.
    pub fn portal_published(&mut self) {
        self.effects.portal_published = true;
    }

    /// Notes that a mail was queued: the outbox worker is woken after commit.
    pub fn mail_queued(&mut self) {
        self.effects.mail_queued = true;
    }
}

impl App {
    /// Runs `f` as one unit of work (see the module documentation).
    pub(crate) fn write<T>(&self, f: impl FnOnce(&mut Write<'_>) -> AppResult<T>) -> AppResult<T> {
        self.unit_of_work(f, |e| e)
    }

    /// [`App::write`] for callers with an error type of their own (the
    /// billing engine's transactions); `map` turns the façade's errors
    /// (queueing the mails) into it.
    pub(crate) fn unit_of_work<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut Write<'_>) -> Result<T, E>,
        map: impl Fn(AppError) -> E,
    ) -> Result<T, E> {
        let mut effects = Effects::default();
        let result = self.store.write(|tx| {
            let mut w = Write {
                conn: tx,
                app: self,
                effects: &mut effects,
            };
            let mark = sync_outbox::last_seq(tx)?;
            let activity_mark = crate::notify::activity_mark(tx)?;
            let value = f(&mut w)?;
            self.mail_for_events(&mut w, mark).map_err(&map)?;
            if self.publish_portal_records(&mut w, mark).map_err(&map)? {
                w.portal_published();
            }
            w.effects.notifications = crate::notify::for_new_activity(tx, activity_mark)?;
            Ok(value)
        });
        if result.is_ok() {
            self.after_commit(effects);
        }
        result
    }

    fn after_commit(&self, effects: Effects) {
        if effects.mail_queued {
            self.wake_mail_worker();
        }
        if effects.portal_published {
            self.wake_portal_worker();
        }
        for a in effects.activity {
            self.events.activity_recorded(&map::activity(a));
        }
        for e in effects.events {
            match e {
                AppEvent::ServerChanged(dto) => self.events.server_changed(&dto),
            }
        }
        for n in effects.notifications {
            self.events.notify(&n);
        }
    }
}
