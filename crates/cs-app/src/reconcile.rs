//! Reconciliation: keeping local server state true to the provider's.
//!
//! [`App::reconcile_once`] polls the provider for every server in a
//! transitional status and records where it went; every few rounds it also
//! compares all live servers with the provider's instance list, so a server
//! deleted or changed in the provider's own console is noticed.
//! [`run`] runs it forever on the tokio runtime; both shells use it.

use std::sync::Arc;
use std::time::Duration;

use cs_core::{ProviderKind, Server, ServerStatus};
use cs_provider::{InstanceStatus, ProviderError};
use cs_store::{outbox, servers};

use crate::servers::{local_status, outbox_payload};
use crate::{App, AppError, AppResult};

/// A server recorded locally but never matched with a provider instance (the
/// app stopped between recording it and hearing back) is looked up by label
/// after this long.
const ORPHAN_AFTER: chrono::Duration = chrono::Duration::seconds(60);

impl App {
    /// One reconciliation pass over transitional servers; with `full`, over
    /// every live server. Returns how many servers changed.
    pub async fn reconcile_once(&self, full: bool) -> AppResult<usize> {
        let list = self.store.read(|c| Ok::<_, AppError>(if full { servers::list(c)? } else { servers::list_transitional(c)? }))?;
        let mut changed = 0;
        for kind in [ProviderKind::Sandbox, ProviderKind::Linode] {
            let mine: Vec<&Server> = list.iter().filter(|s| s.provider == kind && s.deleted_at.is_none()).collect();
            if mine.is_empty() {
                continue;
            }
            let Ok(provider) = self.provider(kind) else { continue };
            let instances = if full { Some(provider.list_instances().await?) } else { None };
            for s in mine {
                let observed = match (&s.provider_id, &instances) {
                    (Some(pid), Some(all)) => Ok(all.iter().find(|i| &i.id == pid).cloned()),
                    (Some(pid), None) => match provider.get_instance(pid).await {
                        Ok(i) => Ok(Some(i)),
                        Err(ProviderError::NotFound(_)) => Ok(None),
                        Err(e) => Err(e),
                    },
                    (None, _) if self.now() - s.created_at > ORPHAN_AFTER => provider.find_instance_by_label(&s.label).await,
                    (None, _) => continue,
                };
                let observed = match observed {
                    Ok(o) => o,
                    Err(e) if e.is_transient() => continue,
                    Err(e) => return Err(e.into()),
                };
                if self.apply_observation(s, observed)? {
                    changed += 1;
                }
            }
        }
        Ok(changed)
    }

    /// Asks the provider about one server now and records what it says;
    /// true when something changed (and the UI was told).
    pub(crate) async fn observe_server(&self, id: cs_core::ServerId) -> AppResult<bool> {
        let Some(s) = self.store.read(|c| Ok::<_, AppError>(servers::get(c, id)?))? else { return Ok(false) };
        let (Some(pid), None) = (s.provider_id.clone(), s.deleted_at) else { return Ok(false) };
        let provider = self.provider(s.provider)?;
        let observed = match provider.get_instance(&pid).await {
            Ok(i) => Some(i),
            Err(ProviderError::NotFound(_)) => None,
            Err(e) if e.is_transient() => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        self.apply_observation(&s, observed)
    }

    /// Records what the provider says about `s`; true when something changed.
    fn apply_observation(&self, s: &Server, observed: Option<cs_provider::Instance>) -> AppResult<bool> {
        let now = self.now();
        let mut next = s.clone();
        let summary;
        match observed {
            None => {
                next.status = ServerStatus::Deleted;
                next.deleted_at = Some(now);
                summary = if s.status == ServerStatus::Deleting {
                    format!("Server {} was deleted", s.label)
                } else if s.provider_id.is_none() {
                    next.status = ServerStatus::Failed;
                    format!("Server {} was never created at the provider: it is closed as failed", s.label)
                } else {
                    format!("Server {} no longer exists at the provider (deleted outside the app): billing stops", s.label)
                };
            }
            Some(i) => {
                next.provider_id = Some(i.id.clone());
                next.ipv4 = i.ipv4.first().cloned().or(next.ipv4);
                next.ipv6 = i.ipv6.clone().or(next.ipv6);
                next.provider_type = i.instance_type.clone();
                // Our own suspension is an offline server we keep calling suspended.
                next.status = match (s.status, i.status) {
                    (ServerStatus::Suspended, InstanceStatus::Offline | InstanceStatus::ShuttingDown | InstanceStatus::Stopped) => ServerStatus::Suspended,
                    _ => local_status(i.status),
                };
                summary = match next.status {
                    ServerStatus::Running if s.status != ServerStatus::Running => format!("Server {} is running", s.label),
                    ServerStatus::Offline if s.status != ServerStatus::Offline => format!("Server {} is off", s.label),
                    ServerStatus::Failed if s.status != ServerStatus::Failed => format!("The provider failed to build server {}", s.label),
                    _ if s.provider_type != i.instance_type => format!("Server {} was resized to {} at the provider", s.label, i.instance_type),
                    _ => String::new(),
                };
            }
        }
        if next == *s {
            return Ok(false);
        }
        next.updated_at = now;
        let actor = format!("provider:{}", s.provider.as_str());
        let dto = self.write(|tx| {
            // Re-read inside the transaction: a user action may have won.
            let current = servers::get(tx, s.id)?;
            if current.as_ref() != Some(s) {
                return Ok(None);
            }
            servers::update(tx, &next)?;
            outbox::push(tx, now, Some(next.organization_id.to_string()), "server", &next.id.to_string(), &outbox_payload(&next))?;
            if !summary.is_empty() {
                let action = format!("server.{}", next.status.as_str());
                self.record_as(tx, &actor, now, &action, "server", Some(next.id.to_string()), Some(next.organization_id.to_string()), summary.clone())?;
            }
            Ok(Some(self.server_dto(tx, &next)?))
        })?;
        match dto {
            Some(dto) => {
                self.events.server_changed(&dto);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The Sandbox forgets its instances when the process ends; re-create the
    /// live ones the store knows so they keep working after a restart.
    pub(crate) fn adopt_sandbox_servers(&self) -> AppResult<()> {
        let list = self.store.read(|c| Ok::<_, AppError>(servers::list(c)?))?;
        for s in list.iter().filter(|s| s.provider == ProviderKind::Sandbox && s.deleted_at.is_none()) {
            if let Some(pid) = &s.provider_id {
                let status = match s.status {
                    ServerStatus::Provisioning => InstanceStatus::Provisioning,
                    ServerStatus::Booting => InstanceStatus::Booting,
                    ServerStatus::Running => InstanceStatus::Running,
                    ServerStatus::Rebooting => InstanceStatus::Rebooting,
                    ServerStatus::ShuttingDown => InstanceStatus::ShuttingDown,
                    ServerStatus::Offline | ServerStatus::Suspended => InstanceStatus::Offline,
                    ServerStatus::Deleting => InstanceStatus::Deleting,
                    ServerStatus::Failed => InstanceStatus::Failed,
                    ServerStatus::Deleted => continue,
                };
                self.sandbox.adopt(pid, &s.label, &s.region, &s.provider_type, &s.image, status, s.ipv4.as_deref(), s.created_at);
            }
        }
        Ok(())
    }
}

/// Runs reconciliation every `interval` (a full pass every 30 rounds)
/// forever; the shell spawns it on its runtime. Errors are logged and the
/// pass is retried next round.
pub async fn run(app: Arc<App>, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut round: u64 = 0;
    loop {
        ticker.tick().await;
        let full = round % 30 == 0;
        round += 1;
        if let Err(e) = app.reconcile_once(full).await {
            tracing::warn!(error = %e, "reconciliation failed; retrying next round");
        }
    }
}
