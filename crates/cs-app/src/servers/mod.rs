//! Servers: create from a plan, power actions, delete, stats.
//!
//! A create is recorded locally first (status `provisioning`, no provider id)
//! and committed before the provider is called, so a crash in between leaves a
//! row the reconciler can match by its unique label instead of an instance we
//! do not know about.

use cs_core::server::{validate_label, validate_root_password, validate_ssh_key};
use cs_core::{
    PowerAction, ProviderKind, Server, ServerId, ServerStatus, Timestamp, ValidationErrors,
};
use cs_provider::{CreateInstance, InstanceStatus, Provider, ProviderError, Secret};
use cs_store::sync_outbox::SyncKind;
use cs_store::{orgs, plans, servers};
use serde_json::json;

use crate::dto::*;

pub(crate) mod dto;
pub(crate) mod reconcile;
mod tabs;
use crate::customers::parse_org_id;
use crate::plans::parse_plan_id;
use crate::{map, new_uuid, App, AppError, AppEvent, AppResult, Subject, Write};

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
                server: self.server_dto(c, &s)?,
                activity: cs_store::activity::recent(c, 50, Some(&id.to_string()))?
                    .into_iter()
                    .map(map::activity)
                    .collect(),
            })
        })
    }

    /// Creates a server from a plan, with the options the form offers: a
    /// StackScript and its data, cloud-init user data (only for images that
    /// read it), a firewall, the Linode account.
    pub async fn create_server(
        &self,
        input: ServerInput,
        options: CreateOptionsInput,
    ) -> AppResult<ServerDto> {
        // 1. Validate everything before writing anything.
        let mut e = ValidationErrors::new();
        let label = validate_label(&mut e, &input.label);
        let password = input
            .root_password
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string);
        let ssh_key = input
            .ssh_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_string);
        match (&password, &ssh_key) {
            (None, None) => e.add(
                "rootPassword",
                "Set a root password or paste an SSH key, or both",
            ),
            _ => {
                if let Some(p) = &password {
                    validate_root_password(&mut e, p);
                }
                if let Some(k) = &ssh_key {
                    validate_ssh_key(&mut e, k);
                }
            }
        }
        let mut e = crate::customers::camel_fields(e);
        let org_id = parse_org_id(&input.organization_id).ok();
        let plan_id = parse_plan_id(&input.plan_id).ok();
        let (org, plan) = self.store.read(|c| {
            let org = match org_id {
                Some(id) => orgs::get(c, id)?,
                None => None,
            };
            let plan = match plan_id {
                Some(id) => plans::get(c, id)?,
                None => None,
            };
            Ok::<_, AppError>((org, plan))
        })?;
        if org.is_none() {
            e.add("organizationId", "Choose the customer this server is for");
        }
        let region = input.region.trim().to_string();
        let image = input.image.trim().to_string();
        let stackscript_id = options
            .stackscript_id
            .as_deref()
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string);
        let user_data = options
            .user_data
            .as_deref()
            .filter(|x| !x.trim().is_empty())
            .map(str::to_string);
        let firewall_id = options
            .firewall_id
            .as_deref()
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string);
        if let Some(u) = &user_data {
            // Linode takes at most 64 KiB once base64-encoded.
            if u.len() > 48 * 1024 {
                e.add(
                    "userData",
                    format!("User data is {} KiB: keep it under 48 KiB", u.len() / 1024),
                );
            }
        }
        let mut stackscript_data = Vec::new();
        for f in &options.stackscript_data {
            let name = f.name.trim();
            if name.is_empty() {
                e.add("stackscriptData", "Every StackScript field needs a name");
            } else if stackscript_id.is_none() {
                e.add(
                    "stackscriptData",
                    "StackScript fields need a StackScript: choose one or remove the fields",
                );
            } else {
                stackscript_data.push((name.to_string(), f.value.clone()));
            }
        }
        // A Linode server goes on the account chosen (or the only one).
        let mut account: Option<String> = None;
        match &plan {
            None => e.add("planId", "Choose a plan"),
            Some(p) if !p.active => e.add(
                "planId",
                format!("Plan {} is retired: choose another plan", p.name),
            ),
            Some(p) => {
                if region.is_empty() {
                    e.add("region", "Choose a region");
                } else if !p.regions.contains(&region) {
                    e.add(
                        "region",
                        format!(
                            "Plan {} is not offered in {region:?}: choose one of {}",
                            p.name,
                            p.regions.join(", ")
                        ),
                    );
                }
                let catalogue = match p.provider {
                    ProviderKind::Linode => {
                        match self.choose_linode_account(options.account_id.as_deref()) {
                            Ok(a) => {
                                let c = self.account_catalogue(&a).await?;
                                account = Some(a);
                                c
                            }
                            Err((field, message)) => {
                                e.add(&field, message);
                                return Err(AppError::Validation(e));
                            }
                        }
                    }
                    ProviderKind::Sandbox => self.catalogue(p.provider).await?,
                };
                let found = catalogue
                    .images
                    .iter()
                    .find(|i| i.id == image && !i.deprecated);
                if image.is_empty() {
                    e.add("image", "Choose an image");
                } else if found.is_none() {
                    e.add(
                        "image",
                        format!(
                            "{} has no image called {image:?}: choose one from the list",
                            p.provider.display_name()
                        ),
                    );
                }
                if let Some(sid) = &stackscript_id {
                    match catalogue.stackscripts.iter().find(|x| &x.id == sid) {
                        None => e.add("stackscriptId", format!("{} has no StackScript {sid:?} enabled: refresh the catalogue or choose another", p.provider.display_name())),
                        Some(x) if !image.is_empty() && !x.images.is_empty() && !x.images.iter().any(|i| i == &image || i == "any/all") => {
                            e.add("stackscriptId", format!("StackScript {} does not deploy {image}: choose one of {}", x.label, x.images.join(", ")))
                        }
                        Some(_) => {}
                    }
                }
                if user_data.is_some() {
                    if let Some(i) = found.filter(|i| !i.cloud_init) {
                        e.add("userData", format!("{} does not read cloud-init user data: choose an image marked cloud-init, or leave the user data empty", i.label));
                    }
                }
                if let Some(fid) = &firewall_id {
                    let firewalls = match &account {
                        Some(a) => self.linode_provider(a)?.firewalls().await?,
                        None => self.provider(p.provider)?.firewalls().await?,
                    };
                    if !firewalls.iter().any(|f| &f.id == fid) {
                        e.add("firewallId", format!("There is no firewall {fid:?} on this {} account: refresh and choose another", p.provider.display_name()));
                    }
                }
            }
        }
        let taken = self
            .store
            .read(|c| Ok::<_, AppError>(servers::label_taken(c, &label)?))?;
        if taken {
            e.add(
                "label",
                format!("A server labelled {label:?} already exists: labels are unique"),
            );
        }
        if !e.is_empty() {
            return Err(AppError::Validation(e));
        }
        let (org, plan) = (org.expect("checked above"), plan.expect("checked above"));

        // 2. Record the server before asking the provider for it.
        let now = self.now();
        let mut server = Server {
            id: ServerId(new_uuid()),
            organization_id: org.organization.id,
            plan_id: plan.id,
            label: label.clone(),
            provider: plan.provider,
            provider_id: None,
            provider_type: plan.provider_type.clone(),
            region: region.clone(),
            image: image.clone(),
            status: ServerStatus::Provisioning,
            ipv4: None,
            ipv6: None,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        };
        self.write(|tx| {
            if servers::label_taken(tx, &label)? {
                return Err(AppError::validation(
                    "label",
                    format!("A server labelled {label:?} already exists: labels are unique"),
                ));
            }
            servers::insert(tx, &server)?;
            if let Some(a) = &account {
                servers::set_account(tx, server.id, Some(a))?;
            }
            publish_server(tx, now, &server)?;
            tx.record(
                now,
                "server.created",
                Subject::server(&server),
                format!(
                    "Created server {label} ({}, {region}) for {}",
                    plan.name, org.organization.name
                ),
            )
        })?;

        // 3. Ask the provider. A create is never retried blindly: after an
        // ambiguous failure, look for the instance by its unique label.
        let provider: std::sync::Arc<dyn cs_provider::Provider> = match &account {
            Some(a) => self.linode_provider(a)?,
            None => self.provider(plan.provider)?,
        };
        let request = CreateInstance {
            label: label.clone(),
            region,
            instance_type: plan.provider_type.clone(),
            image,
            root_password: password.map(Secret::new),
            authorized_keys: ssh_key.into_iter().collect(),
            stackscript_id,
            stackscript_data,
            user_data,
            firewall_id,
            tags: vec![format!("cs-{}", server.id)],
            backups_enabled: false,
        };
        let created = match provider.create_instance(&request).await {
            Ok(i) => Ok(i),
            Err(err) if err.is_transient() => match provider.find_instance_by_label(&label).await {
                Ok(Some(i)) => Ok(i),
                _ => Err(err),
            },
            Err(err) => Err(err),
        };
        let now = self.now();
        match created {
            Ok(instance) => {
                server.provider_id = Some(instance.id.clone());
                server.status = local_status(instance.status);
                server.ipv4 = instance.ipv4.first().cloned();
                server.ipv6 = instance.ipv6.clone();
                server.updated_at = now;
                let dto = self.write(|tx| {
                    servers::update(tx, &server)?;
                    publish_server(tx, now, &server)?;
                    self.emit_server(tx, &server)
                })?;
                Ok(dto)
            }
            Err(err) => {
                // The provider refused or could not be reached: the server
                // exists nowhere, so it is closed as failed with the reason,
                // and its label is free again.
                server.status = ServerStatus::Failed;
                server.updated_at = now;
                server.deleted_at = Some(now);
                self.write(|tx| {
                    servers::update(tx, &server)?;
                    publish_server(tx, now, &server)?;
                    tx.record_as(
                        &format!("provider:{}", plan.provider.as_str()),
                        now,
                        "server.create_failed",
                        Subject::server(&server),
                        format!(
                            "{} could not create server {label}: {err}",
                            plan.provider.display_name()
                        ),
                    )?;
                    self.emit_server(tx, &server)
                })?;
                Err(match err {
                    ProviderError::Validation { field, message } => AppError::validation(
                        provider_field(&field),
                        format!("{}: {message}", plan.provider.display_name()),
                    ),
                    other => AppError::Provider(other),
                })
            }
        }
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

    async fn power(&self, id: &str, action: PowerAction) -> AppResult<ServerDto> {
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
            tx.record(
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
        let transfer = provider.transfer(&pid).await?;
        let points = |v: &[cs_provider::Sample]| {
            v.iter()
                .map(|s| MetricPoint {
                    t: u32::try_from(s.at.timestamp()).unwrap_or(0),
                    v: s.value,
                })
                .collect()
        };
        // Bytes → GB with two decimals, in integers.
        let centi_gb = transfer.used_bytes / 10_000_000;
        Ok(ServerStatsDto {
            cpu_percent: points(&stats.cpu_percent),
            network_in_bits_per_s: points(&stats.network_in_bits_per_s),
            network_out_bits_per_s: points(&stats.network_out_bits_per_s),
            disk_io_blocks_per_s: points(&stats.disk_io_blocks_per_s),
            transfer_used_gb: format!("{}.{:02}", centi_gb / 100, centi_gb % 100),
            transfer_quota_gb: transfer.quota_gb,
        })
    }
}

/// The UI's name for a field the provider complained about.
fn provider_field(field: &str) -> &'static str {
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
