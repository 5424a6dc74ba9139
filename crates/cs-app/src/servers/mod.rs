//! Servers: the list, power actions, delete, stats; `create.rs` creates a
//! server from a plan, `tabs/` the server tabs, `reconcile.rs` keeps local
//! state true to the providers.

use cs_core::{PowerAction, Server, ServerId, ServerStatus, Timestamp};
use cs_provider::{InstanceStatus, ProviderError};
use cs_store::sync_outbox::SyncKind;
use cs_store::{orgs, plans, servers};
use serde_json::json;

use crate::dto::*;

mod create;
pub(crate) mod dto;
pub(crate) mod reconcile;
mod tabs;
use crate::{map, App, AppError, AppEvent, AppResult, Subject, Write};

pub(crate) fn parse_server_id(id: &str) -> AppResult<ServerId> {
    id.trim().parse().map_err(|_| {
        AppError::NotFound(format!(
            "There is no server with id {id:?}: refresh the list"
        ))
    })
}

fn gone(id: ServerId) -> AppError {
    AppError::NotFound(format!("Server {id} no longer exists: refresh the list"))
}

/// The local status that mirrors a provider status.
pub(crate) fn local_status(s: InstanceStatus) -> ServerStatus {
    match s {
        InstanceStatus::Provisioning | InstanceStatus::Rebuilding | InstanceStatus::Restoring => {
            ServerStatus::Provisioning
        }
        InstanceStatus::Booting | InstanceStatus::Migrating | InstanceStatus::Resizing => {
            ServerStatus::Booting
        }
        InstanceStatus::Running => ServerStatus::Running,
        InstanceStatus::Rebooting => ServerStatus::Rebooting,
        InstanceStatus::ShuttingDown => ServerStatus::ShuttingDown,
        InstanceStatus::Offline | InstanceStatus::Stopped => ServerStatus::Offline,
        InstanceStatus::Deleting => ServerStatus::Deleting,
        InstanceStatus::Failed => ServerStatus::Failed,
    }
}

/// The customer-facing state of a server that the portal receives.
fn sync_payload(s: &Server) -> serde_json::Value {
    json!({
        "id": s.id, "organization_id": s.organization_id, "plan_id": s.plan_id, "label": s.label,
        "region": s.region, "image": s.image, "status": s.status, "ipv4": s.ipv4, "ipv6": s.ipv6,
        "created_at": s.created_at, "deleted_at": s.deleted_at,
    })
}

/// Publishes the customer-facing state of a server to the portal.
pub(crate) fn publish_server(w: &mut Write<'_>, at: Timestamp, s: &Server) -> AppResult<()> {
    w.publish(
        at,
        Some(s.organization_id),
        SyncKind::Server,
        &s.id.to_string(),
        &sync_payload(s),
    )
}

impl App {
    pub fn list_servers(&self) -> AppResult<Vec<ServerDto>> {
        self.store.read(|c| {
            let orgs = orgs::list(c)?;
            let plans = plans::list(c)?;
            let list = servers::list(c)?;
            let accounts = servers::accounts(c)?;
            let labels = crate::providers::store::account_labels(c)?;
            Ok(list
                .iter()
                .filter_map(|s| {
                    let org = orgs
                        .iter()
                        .find(|o| o.organization.id == s.organization_id)?;
                    let plan = plans.iter().find(|p| p.id == s.plan_id)?;
                    let mut dto = map::server(s, &org.organization.name, plan);
                    dto.account_label = accounts.get(&s.id).and_then(|a| labels.get(a)).cloned();
                    Some(dto)
                })
                .collect())
        })
    }

    /// One page of the servers list (filtered, searched and ordered in SQLite).
    pub fn list_servers_page(&self, input: ServerListInput) -> AppResult<ServerPage> {
        let from = crate::list::from(input.after.as_deref(), input.before.as_deref())?;
        let limit = crate::list::limit(input.limit)?;
        let status = match input.status.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => Some(ServerStatus::parse(s).ok_or_else(|| {
                AppError::validation("status", format!("{s:?} is not a server status"))
            })?),
            None => None,
        };
        let organization = input
            .organization_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(crate::customers::parse_org_id)
            .transpose()?;
        let plan = input
            .plan_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(crate::plans::parse_plan_id)
            .transpose()?;
        let q = servers::ServerQuery {
            sort: match input.sort {
                ServerSortKey::Created => servers::ServerSort::Created,
                ServerSortKey::Label => servers::ServerSort::Label,
                ServerSortKey::Status => servers::ServerSort::Status,
                ServerSortKey::Region => servers::ServerSort::Region,
            },
            desc: input.desc,
            search: crate::list::search(input.search),
            state: match input.state {
                ServerStateFilter::Live => servers::ServerState::Live,
                ServerStateFilter::Deleted => servers::ServerState::Deleted,
                ServerStateFilter::All => servers::ServerState::All,
            },
            status,
            organization,
            plan,
        };
        self.store.read(|c| {
            let page = servers::page(c, &q, &from, limit)?;
            let rows = self.server_dtos(c, &page.rows)?;
            Ok(ServerPage {
                rows,
                next: page.next.map(|n| n.encode()),
                prev: page.prev.map(|n| n.encode()),
                total: map::count(page.total),
            })
        })
    }

    /// Servers as the UI shows them, reading only what these rows need.
    pub(crate) fn server_dtos(
        &self,
        c: &cs_store::rusqlite::Connection,
        list: &[Server],
    ) -> AppResult<Vec<ServerDto>> {
        let names = orgs::names_of(c, list.iter().map(|s| s.organization_id))?;
        let plans = plans::list(c)?;
        let mut labels = None;
        let mut out = Vec::with_capacity(list.len());
        for s in list {
            let Some(name) = names.get(&s.organization_id) else {
                continue;
            };
            let Some(plan) = plans.iter().find(|p| p.id == s.plan_id) else {
                continue;
            };
            let mut dto = map::server(s, name, plan);
            if let Some(a) = servers::account_of(c, s.id)? {
                if labels.is_none() {
                    labels = Some(crate::providers::store::account_labels(c)?);
                }
                dto.account_label = labels.as_ref().and_then(|l| l.get(&a)).cloned();
            }
            out.push(dto);
        }
        Ok(out)
    }

    /// One server as the UI shows it.
    pub(crate) fn server_dto(
        &self,
        c: &cs_store::rusqlite::Connection,
        s: &Server,
    ) -> AppResult<ServerDto> {
        let org = orgs::get(c, s.organization_id)?
            .ok_or_else(|| AppError::Internal(format!("server {} has no organization", s.id)))?;
        let plan = plans::get(c, s.plan_id)?
            .ok_or_else(|| AppError::Internal(format!("server {} has no plan", s.id)))?;
        let mut dto = map::server(s, &org.organization.name, &plan);
        dto.account_label = match servers::account_of(c, s.id)? {
            Some(a) => crate::providers::store::account_label(c, &a)?,
            None => None,
        };
        Ok(dto)
    }

    /// [`App::server_dto`], also sent to the UI once the transaction commits.
    pub(crate) fn emit_server(&self, w: &mut Write<'_>, s: &Server) -> AppResult<ServerDto> {
        let dto = self.server_dto(w, s)?;
        w.emit(AppEvent::ServerChanged(dto.clone()));
        Ok(dto)
    }

    pub fn get_server(&self, id: &str) -> AppResult<ServerDetail> {
        let id = parse_server_id(id)?;
        self.store.read(|c| {
            let s = servers::get(c, id)?.ok_or_else(|| gone(id))?;
            Ok(ServerDetail {
                capabilities: crate::providers::capabilities_dto(&crate::providers::capabilities(
                    s.provider,
                )),
                server: self.server_dto(c, &s)?,
                activity: cs_store::activity::recent(c, 50, Some(&id.to_string()))?
                    .into_iter()
                    .map(map::activity)
                    .collect(),
            })
        })
    }

    pub async fn server_action(&self, id: &str, action: ServerAction) -> AppResult<ServerDto> {
        let action = match action {
            ServerAction::Boot => PowerAction::Boot,
            ServerAction::Reboot => PowerAction::Reboot,
            ServerAction::Shutdown => PowerAction::Shutdown,
        };
        self.power(id, action).await
    }

    pub async fn delete_server(&self, id: &str) -> AppResult<ServerDto> {
        self.power(id, PowerAction::Delete).await
    }

    pub(crate) async fn power(&self, id: &str, action: PowerAction) -> AppResult<ServerDto> {
        let actor = self.actor.clone();
        self.power_as(&actor, id, action).await
    }

    /// A power action recorded in the activity log as done by `actor` (a
    /// customer's request from the portal is the customer's, not the
    /// reseller's).
    pub(crate) async fn power_as(
        &self,
        actor: &str,
        id: &str,
        action: PowerAction,
    ) -> AppResult<ServerDto> {
        let id = parse_server_id(id)?;
        let server = self
            .store
            .read(|c| Ok::<_, AppError>(servers::get(c, id)?))?
            .ok_or_else(|| gone(id))?;
        let next = server.status.begin(action)?;
        let provider = self.provider_of(&server)?;
        if let Some(pid) = &server.provider_id {
            let result = match action {
                PowerAction::Boot => provider.boot(pid).await,
                PowerAction::Reboot => provider.reboot(pid).await,
                PowerAction::Shutdown | PowerAction::Suspend => provider.shutdown(pid).await,
                PowerAction::Delete => provider.delete(pid).await,
            };
            match result {
                Ok(()) => {}
                // Already gone at the provider: deleting is done.
                Err(ProviderError::NotFound(_)) if action == PowerAction::Delete => {}
                Err(e) => return Err(e.into()),
            }
        }
        let now = self.now();
        let verb = match action {
            PowerAction::Boot => "booted",
            PowerAction::Reboot => "rebooted",
            PowerAction::Shutdown => "shut_down",
            PowerAction::Suspend => "suspended",
            PowerAction::Delete => "deleted",
        };
        let mut updated = Server {
            status: next,
            updated_at: now,
            ..server.clone()
        };
        // Without a provider instance there is nothing to wait for.
        if action == PowerAction::Delete && server.provider_id.is_none() {
            updated.status = ServerStatus::Deleted;
            updated.deleted_at = Some(now);
        }
        let human = match action {
            PowerAction::Boot => "Booting",
            PowerAction::Reboot => "Rebooting",
            PowerAction::Shutdown => "Shutting down",
            PowerAction::Suspend => "Suspending",
            PowerAction::Delete => "Deleting",
        };
        let dto = self.write(|tx| {
            servers::update(tx, &updated)?;
            publish_server(tx, now, &updated)?;
            tx.record_as(
                actor,
                now,
                &format!("server.{verb}"),
                Subject::server(&updated),
                format!("{human} server {}", updated.label),
            )?;
            self.emit_server(tx, &updated)
        })?;
        Ok(dto)
    }

    pub async fn server_stats(&self, id: &str) -> AppResult<ServerStatsDto> {
        let id = parse_server_id(id)?;
        let server = self
            .store
            .read(|c| Ok::<_, AppError>(servers::get(c, id)?))?
            .ok_or_else(|| gone(id))?;
        let pid = server.provider_id.clone().ok_or_else(|| {
            AppError::Conflict(format!(
                "Server {} has no instance at the provider yet: stats appear once it is created",
                server.label
            ))
        })?;
        if server.deleted_at.is_some() {
            return Err(AppError::Conflict(format!(
                "Server {} was deleted: it has no stats any more",
                server.label
            )));
        }
        let provider = self.provider_of(&server)?;
        let stats = provider.stats(&pid).await?;
        let transfer = if crate::providers::capabilities(server.provider).transfer {
            Some(provider.transfer(&pid).await?)
        } else {
            None
        };
        let points = |v: &[cs_provider::Sample]| {
            v.iter()
                .map(|s| MetricPoint {
                    t: u32::try_from(s.at.timestamp()).unwrap_or(0),
                    v: s.value,
                })
                .collect()
        };
        Ok(ServerStatsDto {
            cpu_percent: points(&stats.cpu_percent),
            network_in_bits_per_s: points(&stats.network_in_bits_per_s),
            network_out_bits_per_s: points(&stats.network_out_bits_per_s),
            disk_io_blocks_per_s: points(&stats.disk_io_blocks_per_s),
            disk_used_percent: points(&stats.disk_used_percent),
            transfer_used_gb: transfer.map(|t| gb(t.used_bytes)),
            transfer_quota_gb: transfer.map(|t| t.quota_gb),
        })
    }
}

/// Bytes as GB with two decimals, in integers.
pub(crate) fn gb(bytes: u64) -> String {
    let centi_gb = bytes / 10_000_000;
    format!("{}.{:02}", centi_gb / 100, centi_gb % 100)
}

/// The UI's name for a field the provider complained about.
pub(super) fn provider_field(field: &str) -> &'static str {
    match field {
        "region" => "region",
        "image" => "image",
        "label" => "label",
        "root_pass" => "rootPassword",
        "authorized_keys" => "sshKey",
        "type" => "planId",
        "stackscript_id" => "stackscriptId",
        "stackscript_data" => "stackscriptData",
        "metadata.user_data" | "user_data" => "userData",
        "firewall_id" => "firewallId",
        _ => "label",
    }
}
