//! The server tabs beyond power actions: `backups.rs` (backups and
//! snapshots), `network.rs` (IP addresses and reverse DNS), `firewalls.rs`,
//! and `lifecycle.rs` (resize / rebuild / rescue / root-password reset).
//!
//! Every operation goes through the `cs_provider::Provider` trait, which
//! the Sandbox, Linode and DigitalOcean implement, so the tabs work on each;
//! what a provider lacks its capabilities say (`ServerDetail::capabilities`),
//! and the UI hides it. The one exception is detaching a firewall, which the
//! trait does not have: it uses `cs-linode` or `cs-digitalocean` directly and
//! says "not available on the Sandbox" there (see ARCHITECTURE.md). Billing follows the add-ons
//! (backups, extra IPv4) and resizes through `cs_billing::meters`.

use std::sync::Arc;

use cs_core::{Server, ServerStatus};
use cs_provider::Provider;
use cs_store::servers;

use crate::dto::*;
use crate::servers::{parse_server_id, publish_server};
use crate::Subject;
use crate::{App, AppError, AppResult};

mod backups;
mod firewalls;
mod lifecycle;
mod network;

impl App {
    /// A live server with its provider instance: what every tab needs.
    async fn instance_of(&self, id: &str) -> AppResult<(Server, Arc<dyn Provider>, String)> {
        let sid = parse_server_id(id)?;
        let s = self
            .store
            .read(|c| Ok::<_, AppError>(servers::get(c, sid)?))?
            .ok_or_else(|| {
                AppError::NotFound(format!("Server {id} no longer exists: refresh the list"))
            })?;
        if s.deleted_at.is_some() {
            return Err(AppError::Conflict(format!(
                "Server {} was deleted",
                s.label
            )));
        }
        let pid = s.provider_id.clone().ok_or_else(|| {
            AppError::Conflict(format!(
                "Server {} has no instance at the provider yet: try again once it is built",
                s.label
            ))
        })?;
        let provider = self.provider_of(&s)?;
        Ok((s, provider, pid))
    }

    fn log_server(&self, s: &Server, action: &str, summary: String) -> AppResult<()> {
        let now = self.now();
        self.write(|tx| tx.record(now, action, Subject::server(s), summary))
    }

    fn settled(s: &Server, what: &str) -> AppResult<()> {
        if matches!(s.status, ServerStatus::Running | ServerStatus::Offline) {
            Ok(())
        } else {
            Err(AppError::Conflict(format!(
                "Server {} is {}: {what} once it is running or off",
                s.label,
                s.status.as_str()
            )))
        }
    }

    /// Writes a status the provider has just been asked for, with its activity.
    fn set_status(
        &self,
        s: &Server,
        status: ServerStatus,
        action: &str,
        summary: String,
    ) -> AppResult<ServerDto> {
        let now = self.now();
        let next = Server {
            status,
            updated_at: now,
            ..s.clone()
        };
        let dto = self.write(|tx| {
            servers::update(tx, &next)?;
            publish_server(tx, now, &next)?;
            tx.record(now, action, Subject::server(&next), summary)?;
            self.emit_server(tx, &next)
        })?;
        Ok(dto)
    }
}
