//! The Lifecycle tab: resize (billing moves to the new plan's prices, or
//! the resize is refused), rebuild, rescue and root-password reset.

use cs_billing::meters;
use cs_core::server::{validate_root_password, validate_ssh_key};
use cs_core::{Server, ServerStatus, ValidationErrors};
use cs_provider::{ProviderError, Rebuild, Secret};
use cs_store::{plans, servers};

use crate::dto::*;
use crate::plans::parse_plan_id;
use crate::servers::publish_server;
use crate::Subject;
use crate::{App, AppError, AppResult};

impl App {
    /// Moves a server to another plan of the same provider: the provider
    /// resizes it, and billing uses the new plan from the next hour.
    pub async fn resize_server(&self, id: &str, plan_id: &str) -> AppResult<ServerDto> {
        let (s, p, pid) = self.instance_of(id).await?;
        Self::settled(&s, "resize it")?;
        let plan = self
            .store
            .read(|c| Ok::<_, AppError>(plans::get(c, parse_plan_id(plan_id)?)?))?
            .ok_or_else(|| AppError::validation("planId", "Choose a plan"))?;
        if plan.id == s.plan_id {
            return Err(AppError::validation(
                "planId",
                format!("Server {} is already on plan {}", s.label, plan.name),
            ));
        }
        if plan.provider != s.provider || !plan.active || !plan.regions.contains(&s.region) {
            return Err(AppError::validation(
                "planId",
                format!(
                    "Plan {} is not an active {} plan offered in {}: choose another",
                    plan.name,
                    s.provider.display_name(),
                    s.region
                ),
            ));
        }
        // Every meter of the server must have a price on the new plan before
        // the provider is asked: a resize is billed whole or not at all.
        let now = self.now();
        self.store.read(|c| {
            match meters::resize_prices(c, s.id, plan.id, now) {
                // Not billed yet (no billing run since it was created): the
                // next run opens its meter on the new plan.
                Ok(_) | Err(cs_billing::BillingError::NotMetered { .. }) => Ok(()),
                Err(cs_billing::BillingError::NoPrice { plan: name, item }) => {
                    Err(AppError::validation(
                        "planId",
                        format!(
                            "Plan {name} has no {} price and server {} has {}: add a {} price to plan {name}, or switch it off on the server, then resize",
                            item.as_str(),
                            s.label,
                            item.display().to_lowercase(),
                            item.as_str()
                        ),
                    ))
                }
                Err(e) => Err(e.into()),
            }
        })?;
        if plan.provider_type != s.provider_type
            && !crate::providers::capabilities(s.provider).resize_running
            && s.status != ServerStatus::Offline
        {
            return Err(AppError::Conflict(format!(
                "{} resizes a server only while it is off: shut server {} down, then resize it",
                s.provider.display_name(),
                s.label
            )));
        }
        if plan.provider_type != s.provider_type {
            p.resize(&pid, &plan.provider_type)
                .await
                .map_err(|e| match e {
                    ProviderError::Validation { message, .. } => AppError::validation(
                        "planId",
                        format!("{}: {message}", s.provider.display_name()),
                    ),
                    other => other.into(),
                })?;
        }
        let now = self.now();
        let next = Server {
            plan_id: plan.id,
            provider_type: plan.provider_type.clone(),
            status: ServerStatus::Booting,
            updated_at: now,
            ..s.clone()
        };
        let dto = self.write(|tx| {
            servers::update(tx, &next)?;
            match meters::record_resize(tx, s.id, plan.id, now, &self.actor) {
                // Not billed yet: the next run opens its meter on the new plan.
                Ok(()) | Err(cs_billing::BillingError::NotMetered { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            publish_server(tx, now, &next)?;
            tx.record(
                now,
                "server.resized",
                Subject::server(&next),
                format!(
                    "Resizing server {} to plan {} ({})",
                    s.label, plan.name, plan.provider_type
                ),
            )?;
            self.emit_server(tx, &next)
        })?;
        Ok(dto)
    }

    /// Reinstalls the server from an image (its disks are wiped).
    pub async fn rebuild_server(&self, id: &str, input: RebuildInput) -> AppResult<ServerDto> {
        let (s, p, pid) = self.instance_of(id).await?;
        Self::settled(&s, "rebuild it")?;
        let mut e = ValidationErrors::new();
        let password = input
            .root_password
            .as_deref()
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string);
        let key = input
            .ssh_key
            .as_deref()
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string);
        let sets_credentials = crate::providers::capabilities(s.provider).rebuild_sets_credentials;
        match (&password, &key) {
            (Some(_), _) | (_, Some(_)) if !sets_credentials => e.add(
                if password.is_some() { "rootPassword" } else { "sshKey" },
                format!(
                    "{} keeps the server's SSH keys on a rebuild and takes no new root password: leave both empty",
                    s.provider.display_name()
                ),
            ),
            (None, None) if !sets_credentials => {}
            (None, None) => e.add(
                "rootPassword",
                "Set a root password or paste an SSH key, or both",
            ),
            _ => {
                if let Some(pw) = &password {
                    validate_root_password(&mut e, pw);
                }
                if let Some(k) = &key {
                    validate_ssh_key(&mut e, k);
                }
            }
        }
        let mut e = crate::customers::camel_fields(e);
        let image = input.image.trim().to_string();
        let images = self.server_catalogue(&s).await?.images;
        if !images.iter().any(|i| i.id == image && !i.deprecated) {
            e.add(
                "image",
                format!(
                    "{} has no image called {image:?}: choose one from the list",
                    s.provider.display_name()
                ),
            );
        }
        if !e.is_empty() {
            return Err(AppError::Validation(e));
        }
        p.rebuild(
            &pid,
            &Rebuild {
                image: image.clone(),
                root_password: password.map(Secret::new),
                authorized_keys: key.into_iter().collect(),
            },
        )
        .await?;
        let now = self.now();
        let next = Server {
            image: image.clone(),
            status: ServerStatus::Provisioning,
            updated_at: now,
            ..s.clone()
        };
        let dto = self.write(|tx| {
            servers::update(tx, &next)?;
            publish_server(tx, now, &next)?;
            tx.record(
                now,
                "server.rebuilt",
                Subject::server(&next),
                format!("Rebuilding server {} from {image}", s.label),
            )?;
            self.emit_server(tx, &next)
        })?;
        Ok(dto)
    }

    /// Reboots into the provider's rescue system.
    pub async fn rescue_server(&self, id: &str) -> AppResult<ServerDto> {
        let (s, p, pid) = self.instance_of(id).await?;
        Self::settled(&s, "boot it into rescue mode")?;
        p.rescue(&pid).await?;
        self.set_status(
            &s,
            ServerStatus::Rebooting,
            "server.rescue",
            format!("Rebooting server {} into rescue mode", s.label),
        )
    }

    /// Sets a new root password (the server must be off). Never stored.
    pub async fn reset_server_root_password(&self, id: &str, password: &str) -> AppResult<()> {
        let mut e = ValidationErrors::new();
        validate_root_password(&mut e, password.trim());
        crate::customers::camel_fields(e)
            .into_result(())
            .map_err(AppError::Validation)?;
        let (s, p, pid) = self.instance_of(id).await?;
        if s.status != ServerStatus::Offline {
            return Err(AppError::Conflict(format!("Shut server {} down first: the provider resets the root password only while it is off", s.label)));
        }
        p.reset_root_password(&pid, &Secret::new(password.trim()))
            .await?;
        self.log_server(
            &s,
            "server.password_reset",
            format!("Reset the root password of server {}", s.label),
        )
    }
}
