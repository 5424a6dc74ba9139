//! Creating a server from a plan, in three steps: check everything before
//! writing anything; record the server (status `provisioning`, no provider
//! id) and commit; then ask the provider. A crash between the last two
//! leaves a row the reconciler matches by its unique label instead of an
//! instance we do not know about, and a create is never retried blindly.

use std::sync::Arc;

use cs_core::server::{validate_label, validate_root_password, validate_ssh_key};
use cs_core::{
    OrganizationId, Plan, ProviderKind, Server, ServerId, ServerStatus, ValidationErrors,
};
use cs_provider::{CreateInstance, Instance, Provider, ProviderError, Secret};
use cs_store::{orgs, plans, servers};

use crate::customers::parse_org_id;
use crate::dto::*;
use crate::plans::parse_plan_id;
use crate::servers::{local_status, provider_field, publish_server};
use crate::{new_uuid, App, AppError, AppResult, Subject};

/// A create that passed every check.
struct Checked {
    organization: OrganizationId,
    organization_name: String,
    plan: Plan,
    /// The Linode or DigitalOcean account it goes on (`None` on the Sandbox).
    account: Option<String>,
    /// What the provider is asked for; the tag naming the server is added
    /// once its id exists.
    request: CreateInstance,
}

/// Trimmed, `None` when empty.
fn given(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
}

fn label_taken_error(label: &str) -> String {
    format!("A server labelled {label:?} already exists: labels are unique")
}

impl App {
    /// Creates a server from a plan, with the options the form offers: a
    /// StackScript and its data, cloud-init user data (only for images that
    /// read it), a firewall, the Linode account.
    pub async fn create_server(
        &self,
        input: ServerInput,
        options: CreateOptionsInput,
    ) -> AppResult<ServerDto> {
        let checked = self.check_create(input, options).await?;
        let mut server = self.record_new_server(&checked)?;
        let provider: Arc<dyn Provider> = match &checked.account {
            Some(a) => self.account_provider(checked.plan.provider, a)?,
            None => self.provider(checked.plan.provider)?,
        };
        let mut request = checked.request;
        request.tags = vec![format!("cs-{}", server.id)];
        match create_once(provider.as_ref(), &request).await {
            Ok(instance) => {
                let now = self.now();
                server.provider_id = Some(instance.id.clone());
                server.status = local_status(instance.status);
                server.ipv4 = instance.ipv4.first().cloned();
                server.ipv6 = instance.ipv6.clone();
                server.updated_at = now;
                let recorded = self.write(|tx| {
                    servers::update(tx, &server)?;
                    publish_server(tx, now, &server)?;
                    self.emit_server(tx, &server)
                });
                match recorded {
                    Ok(dto) => Ok(dto),
                    Err(e) => Err(self
                        .undo_unrecorded_create(
                            &mut server,
                            &checked.plan,
                            provider.as_ref(),
                            &instance,
                            e,
                        )
                        .await),
                }
            }
            Err(err) => Err(self.close_failed_create(&mut server, &checked.plan, err)?),
        }
    }

    /// Step 1: every check, before anything is written.
    async fn check_create(
        &self,
        input: ServerInput,
        options: CreateOptionsInput,
    ) -> AppResult<Checked> {
        let mut e = ValidationErrors::new();
        let label = validate_label(&mut e, &input.label);
        let password = given(input.root_password.as_deref());
        let ssh_key = given(input.ssh_key.as_deref());
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
        let (org, plan, taken) = self.store.read(|c| {
            let org = match org_id {
                Some(id) => orgs::get(c, id)?,
                None => None,
            };
            let plan = match plan_id {
                Some(id) => plans::get(c, id)?,
                None => None,
            };
            Ok::<_, AppError>((org, plan, servers::label_taken(c, &label)?))
        })?;
        if org.is_none() {
            e.add("organizationId", "Choose the customer this server is for");
        }
        let request = CreateInstance {
            label: label.clone(),
            region: input.region.trim().to_string(),
            instance_type: String::new(),
            image: input.image.trim().to_string(),
            root_password: password.map(Secret::new),
            authorized_keys: ssh_key.into_iter().collect(),
            stackscript_id: given(options.stackscript_id.as_deref()),
            stackscript_data: vec![],
            user_data: options
                .user_data
                .as_deref()
                .filter(|x| !x.trim().is_empty())
                .map(str::to_string),
            firewall_id: given(options.firewall_id.as_deref()),
            tags: vec![],
            backups_enabled: false,
        };
        let mut request = check_options(&mut e, request, &options);
        let mut account = None;
        match &plan {
            None => e.add("planId", "Choose a plan"),
            Some(p) if !p.active => e.add(
                "planId",
                format!("Plan {} is retired: choose another plan", p.name),
            ),
            Some(p) => {
                request.instance_type = p.provider_type.clone();
                account = self
                    .check_against_provider(&mut e, p, options.account_id.as_deref(), &request)
                    .await?;
            }
        }
        if taken {
            e.add("label", label_taken_error(&label));
        }
        if !e.is_empty() {
            return Err(AppError::Validation(e));
        }
        let (org, plan) = (org.expect("checked above"), plan.expect("checked above"));
        Ok(Checked {
            organization: org.organization.id,
            organization_name: org.organization.name,
            plan,
            account,
            request,
        })
    }

    /// The checks that need the plan's provider: region, image, StackScript,
    /// cloud-init and firewall against its catalogue, and the Linode account
    /// (returned). An account that cannot be chosen ends the checks.
    async fn check_against_provider(
        &self,
        e: &mut ValidationErrors,
        p: &Plan,
        account_id: Option<&str>,
        r: &CreateInstance,
    ) -> AppResult<Option<String>> {
        let (region, image) = (&r.region, &r.image);
        if region.is_empty() {
            e.add("region", "Choose a region");
        } else if !p.regions.contains(region) {
            e.add(
                "region",
                format!(
                    "Plan {} is not offered in {region:?}: choose one of {}",
                    p.name,
                    p.regions.join(", ")
                ),
            );
        }
        // A cloud server goes on the account chosen (or the only one).
        let mut account = None;
        let catalogue = match p.provider {
            ProviderKind::Linode | ProviderKind::DigitalOcean => {
                match self.choose_account(p.provider, account_id) {
                    Ok(a) => {
                        let c = self.account_catalogue(p.provider, &a).await?;
                        account = Some(a);
                        c
                    }
                    Err((field, message)) => {
                        e.add(&field, message);
                        return Err(AppError::Validation(std::mem::take(e)));
                    }
                }
            }
            ProviderKind::Sandbox => self.catalogue(p.provider).await?,
        };
        let provider_name = p.provider.display_name();
        let found = catalogue
            .images
            .iter()
            .find(|i| &i.id == image && !i.deprecated);
        if image.is_empty() {
            e.add("image", "Choose an image");
        } else if found.is_none() {
            e.add(
                "image",
                format!("{provider_name} has no image called {image:?}: choose one from the list"),
            );
        }
        if let Some(sid) = &r.stackscript_id {
            match catalogue.stackscripts.iter().find(|x| &x.id == sid) {
                None => e.add("stackscriptId", format!("{provider_name} has no StackScript {sid:?} enabled: refresh the catalogue or choose another")),
                Some(x) if !image.is_empty() && !x.images.is_empty() && !x.images.iter().any(|i| i == image || i == "any/all") => {
                    e.add("stackscriptId", format!("StackScript {} does not deploy {image}: choose one of {}", x.label, x.images.join(", ")))
                }
                Some(_) => {}
            }
        }
        if r.user_data.is_some() {
            if let Some(i) = found.filter(|i| !i.cloud_init) {
                e.add("userData", format!("{} does not read cloud-init user data: choose an image marked cloud-init, or leave the user data empty", i.label));
            }
        }
        if let Some(fid) = &r.firewall_id {
            let firewalls = match &account {
                Some(a) => self.account_provider(p.provider, a)?.firewalls().await?,
                None => self.provider(p.provider)?.firewalls().await?,
            };
            if !firewalls.iter().any(|f| &f.id == fid) {
                e.add("firewallId", format!("There is no firewall {fid:?} on this {provider_name} account: refresh and choose another"));
            }
        }
        Ok(account)
    }

    /// Step 2: the server is recorded, and committed, before the provider is
    /// asked for it.
    fn record_new_server(&self, c: &Checked) -> AppResult<Server> {
        let now = self.now();
        let r = &c.request;
        let server = Server {
            id: ServerId(new_uuid()),
            organization_id: c.organization,
            plan_id: c.plan.id,
            label: r.label.clone(),
            provider: c.plan.provider,
            provider_id: None,
            provider_type: c.plan.provider_type.clone(),
            region: r.region.clone(),
            image: r.image.clone(),
            status: ServerStatus::Provisioning,
            ipv4: None,
            ipv6: None,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        };
        self.write(|tx| {
            if servers::label_taken(tx, &r.label)? {
                return Err(AppError::validation("label", label_taken_error(&r.label)));
            }
            servers::insert(tx, &server)?;
            if let Some(a) = &c.account {
                servers::set_account(tx, server.id, Some(a))?;
            }
            publish_server(tx, now, &server)?;
            tx.record(
                now,
                "server.created",
                Subject::server(&server),
                format!(
                    "Created server {} ({}, {}) for {}",
                    r.label, c.plan.name, r.region, c.organization_name
                ),
            )
        })?;
        Ok(server)
    }

    /// The provider made the instance but its id could not be recorded: the
    /// instance is deleted again (nobody knows or bills it) and the server is
    /// closed as failed, so nothing is left half-made. Returns the error.
    async fn undo_unrecorded_create(
        &self,
        server: &mut Server,
        plan: &Plan,
        provider: &dyn Provider,
        instance: &Instance,
        err: AppError,
    ) -> AppError {
        tracing::error!(server = %server.id, provider_id = %instance.id, error = %err, "the new server's provider id could not be recorded; deleting the instance again");
        let undo = match provider.delete(&instance.id).await {
            Ok(()) | Err(ProviderError::NotFound(_)) => ProviderError::Unavailable(format!(
                "its id {} could not be recorded ({err}), so it was deleted again",
                instance.id
            )),
            Err(e) => {
                tracing::error!(provider_id = %instance.id, error = %e, "deleting the unrecorded instance failed");
                ProviderError::Unavailable(format!(
                    "its id {} could not be recorded ({err}) and deleting it failed ({e}): delete it in the provider's console",
                    instance.id
                ))
            }
        };
        server.provider_id = None;
        server.status = ServerStatus::Provisioning;
        if let Err(e) = self.close_failed_create(server, plan, undo) {
            tracing::error!(server = %server.id, error = %e, "closing the failed create failed");
        }
        AppError::Internal(format!(
            "Server {} could not be recorded after {} created it, so it was deleted again ({err}): try again",
            server.label,
            plan.provider.display_name()
        ))
    }

    /// The provider refused or could not be reached: the server exists
    /// nowhere, so it is closed as failed with the reason, and its label is
    /// free again. Returns the error for the caller.
    fn close_failed_create(
        &self,
        server: &mut Server,
        plan: &Plan,
        err: ProviderError,
    ) -> AppResult<AppError> {
        let now = self.now();
        server.status = ServerStatus::Failed;
        server.updated_at = now;
        server.deleted_at = Some(now);
        self.write(|tx| {
            servers::update(tx, server)?;
            publish_server(tx, now, server)?;
            tx.record_as(
                &format!("provider:{}", plan.provider.as_str()),
                now,
                "server.create_failed",
                Subject::server(server),
                format!(
                    "{} could not create server {}: {err}",
                    plan.provider.display_name(),
                    server.label
                ),
            )?;
            self.emit_server(tx, server)
        })?;
        Ok(match err {
            ProviderError::Validation { field, message } => AppError::validation(
                provider_field(&field),
                format!("{}: {message}", plan.provider.display_name()),
            ),
            other => AppError::Provider(other),
        })
    }
}

/// The options the form offers that need no provider: user data's size and
/// the StackScript's fields.
fn check_options(
    e: &mut ValidationErrors,
    mut r: CreateInstance,
    options: &CreateOptionsInput,
) -> CreateInstance {
    if let Some(u) = &r.user_data {
        // Linode takes at most 64 KiB once base64-encoded.
        if u.len() > 48 * 1024 {
            e.add(
                "userData",
                format!("User data is {} KiB: keep it under 48 KiB", u.len() / 1024),
            );
        }
    }
    for f in &options.stackscript_data {
        let name = f.name.trim();
        if name.is_empty() {
            e.add("stackscriptData", "Every StackScript field needs a name");
        } else if r.stackscript_id.is_none() {
            e.add(
                "stackscriptData",
                "StackScript fields need a StackScript: choose one or remove the fields",
            );
        } else {
            r.stackscript_data.push((name.to_string(), f.value.clone()));
        }
    }
    r
}

/// Step 3: one create at the provider. It is never retried blindly: after an
/// ambiguous failure the instance is looked up by its unique label.
async fn create_once(p: &dyn Provider, r: &CreateInstance) -> Result<Instance, ProviderError> {
    match p.create_instance(r).await {
        Ok(i) => Ok(i),
        Err(err) if err.is_transient() => match p.find_instance_by_label(&r.label).await {
            Ok(Some(i)) => Ok(i),
            _ => Err(err),
        },
        Err(err) => Err(err),
    }
}
