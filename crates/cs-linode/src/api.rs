//! One method per Linode operation ContainerStacks uses.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::client::{decode, Call, LinodeClient};
use crate::error::LinodeError;
use crate::model::*;
use crate::ratelimit::LimitClass;

/// Builds an `X-Filter` value matching one field exactly, e.g. `{"label":"web-1"}`.
pub fn filter_eq(field: &str, value: &str) -> String {
    json!({ field: value }).to_string()
}

fn pct(s: &str) -> String {
    // Path segments we interpolate are ids, slugs and IP addresses; only `/` and `:`-free
    // characters are expected, but encode the few that would break a path anyway.
    s.replace('%', "%25")
        .replace('/', "%2F")
        .replace('?', "%3F")
        .replace('#', "%23")
}

impl LinodeClient {
    // ------------------------------------------------------------ profile

    /// `GET /profile`, with the token's scopes taken from the `X-OAuth-Scopes` header.
    pub async fn profile(&self) -> Result<Profile, LinodeError> {
        let call = Call::get("/profile", "profile");
        let answer = self.execute(&call).await?;
        let mut profile: Profile = decode(&answer.body, "profile")?;
        let scopes = answer
            .headers
            .get("X-OAuth-Scopes")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        profile.scopes = TokenScopes::parse(scopes);
        Ok(profile)
    }

    /// Checks that the token works and has every scope in `needed`; the error names the
    /// scopes to add.
    pub async fn check_token(&self, needed: &[(&str, Access)]) -> Result<Profile, LinodeError> {
        let profile = self.profile().await?;
        let missing = profile.scopes.missing(needed);
        if missing.is_empty() {
            Ok(profile)
        } else {
            Err(LinodeError::ForbiddenScope {
                required_scopes: Some(missing.join(" ")),
                reason: "the token lacks scopes ContainerStacks needs".into(),
            })
        }
    }

    /// `GET /profile/tokens`: the user's Personal Access Tokens (all pages), each with its
    /// expiry and only the first 16 characters of the secret. Needs `account:read_only`.
    pub async fn list_tokens(&self) -> Result<Vec<PersonalAccessToken>, LinodeError> {
        self.list_all("/profile/tokens", None, "profile tokens")
            .await
    }

    /// The listed entry of the token this client uses, recognised by its first characters;
    /// `None` when the list does not hold it (e.g. an OAuth token, not a personal one).
    pub async fn current_token(&self) -> Result<Option<PersonalAccessToken>, LinodeError> {
        let secret = self.token_secret();
        Ok(self
            .list_tokens()
            .await?
            .into_iter()
            .find(|t| t.is_prefix_of(secret)))
    }

    // ------------------------------------------------------------ catalogue

    pub async fn list_regions(&self) -> Result<Vec<Region>, LinodeError> {
        self.list_all("/regions", None, "regions").await
    }

    /// Plans, with `price` and per-region `region_prices`.
    pub async fn list_types(&self) -> Result<Vec<LinodeType>, LinodeError> {
        self.list_all("/linode/types", None, "types").await
    }

    pub async fn get_type(&self, id: &str) -> Result<LinodeType, LinodeError> {
        self.json(Call::get(
            format!("/linode/types/{}", pct(id)),
            format!("plan {id}"),
        ))
        .await
    }

    pub async fn list_images(&self) -> Result<Vec<Image>, LinodeError> {
        self.list_all("/images", None, "images").await
    }

    pub async fn get_image(&self, id: &str) -> Result<Image, LinodeError> {
        self.json(Call::get(
            format!("/images/{}", pct(id)),
            format!("image {id}"),
        ))
        .await
    }

    /// StackScripts; pass a filter such as `{"mine":true}` to narrow the (large) public list.
    pub async fn list_stackscripts(
        &self,
        filter: Option<String>,
    ) -> Result<Vec<StackScript>, LinodeError> {
        self.list_all("/linode/stackscripts", filter, "StackScripts")
            .await
    }

    pub async fn get_stackscript(&self, id: u64) -> Result<StackScript, LinodeError> {
        self.json(Call::get(
            format!("/linode/stackscripts/{id}"),
            format!("StackScript {id}"),
        ))
        .await
    }

    // ------------------------------------------------------------ instances

    /// All instances (every page), optionally narrowed by an `X-Filter` JSON.
    pub async fn list_instances(
        &self,
        filter: Option<String>,
    ) -> Result<Vec<Instance>, LinodeError> {
        self.list_all("/linode/instances", filter, "instances")
            .await
    }

    /// One page of instances (1-based), for callers that stream.
    pub async fn list_instances_page(
        &self,
        page: u32,
        filter: Option<String>,
    ) -> Result<Page<Instance>, LinodeError> {
        self.list_page("/linode/instances", filter, page, "instances")
            .await
    }

    pub async fn get_instance(&self, id: u64) -> Result<Instance, LinodeError> {
        self.json(Call::get(
            format!("/linode/instances/{id}"),
            format!("Linode {id}"),
        ))
        .await
    }

    /// The instance with this exact label, if any.
    pub async fn find_instance_by_label(
        &self,
        label: &str,
    ) -> Result<Option<Instance>, LinodeError> {
        let found = self.list_instances(Some(filter_eq("label", label))).await?;
        Ok(found.into_iter().find(|i| i.label == label))
    }

    /// Creates an instance, exactly once.
    ///
    /// Rejections Linode certainly did not apply (429, `Linode busy.`, refused connections)
    /// are retried. After an ambiguous failure (timeout, dropped connection, 5xx) the
    /// instance is first looked up by its unique label; only if it does not exist is the
    /// create sent again. If a retry is refused because the label is taken, the existing
    /// instance with that label and region is returned.
    pub async fn create_instance(&self, req: &CreateInstance) -> Result<Instance, LinodeError> {
        let body = serde_json::to_value(req)
            .map_err(|e| LinodeError::Decode(format!("create request: {e}")))?;
        let call = Call::write(
            Method::POST,
            "/linode/instances",
            Some(body),
            format!("instance {}", req.label),
        )
        .class(LimitClass::CreateInstance)
        .not_repeatable();
        let policy = self.inner.retry;
        let mut had_ambiguous_failure = false;
        let mut attempt = 1;
        loop {
            let failure = match self.send_once(&call).await {
                Ok(answer) => return decode(&answer.body, "created instance"),
                Err(f) => f,
            };
            if had_ambiguous_failure {
                if let LinodeError::Validation {
                    field: Some(field), ..
                } = &failure.error
                {
                    if field == "label" {
                        if let Some(existing) = self.adopt_existing(req).await? {
                            return Ok(existing);
                        }
                    }
                }
            }
            if !failure.error.is_retryable() {
                return Err(self.final_error(failure, attempt));
            }
            if failure.ambiguous {
                had_ambiguous_failure = true;
                tracing::info!(label = %req.label, error = %failure.error, "create answer lost; looking the instance up by label before retrying");
                if let Some(existing) = self.adopt_existing(req).await? {
                    return Ok(existing);
                }
            }
            if attempt >= policy.max_attempts {
                return Err(self.final_error(failure, attempt));
            }
            let wait = self.wait_after(&call, &failure, attempt)?;
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn adopt_existing(&self, req: &CreateInstance) -> Result<Option<Instance>, LinodeError> {
        match self.find_instance_by_label(&req.label).await? {
            Some(i) if i.region == req.region => Ok(Some(i)),
            Some(i) => Err(LinodeError::Validation {
                field: Some("label".into()),
                reason: format!(
                    "an instance labelled `{}` already exists in {}; choose another label",
                    i.label, i.region
                ),
            }),
            None => Ok(None),
        }
    }

    pub async fn update_instance(
        &self,
        id: u64,
        update: &UpdateInstance,
    ) -> Result<Instance, LinodeError> {
        let body = serde_json::to_value(update).map_err(|e| LinodeError::Decode(e.to_string()))?;
        self.json(Call::write(
            Method::PUT,
            format!("/linode/instances/{id}"),
            Some(body),
            format!("Linode {id}"),
        ))
        .await
    }

    pub async fn boot_instance(&self, id: u64) -> Result<(), LinodeError> {
        self.action(id, "boot", None).await
    }

    pub async fn shutdown_instance(&self, id: u64) -> Result<(), LinodeError> {
        self.action(id, "shutdown", None).await
    }

    pub async fn reboot_instance(&self, id: u64) -> Result<(), LinodeError> {
        self.action(id, "reboot", None).await
    }

    /// Resizes to another plan. Linode powers the instance off and back on for a cold resize.
    pub async fn resize_instance(
        &self,
        id: u64,
        type_id: &str,
        migration: MigrationType,
    ) -> Result<(), LinodeError> {
        let body =
            json!({ "type": type_id, "migration_type": migration, "allow_auto_disk_resize": true });
        self.action(id, "resize", Some(body)).await
    }

    /// Reinstalls from an image; everything on the disks is lost.
    pub async fn rebuild_instance(
        &self,
        id: u64,
        req: &RebuildInstance,
    ) -> Result<Instance, LinodeError> {
        let body = serde_json::to_value(req).map_err(|e| LinodeError::Decode(e.to_string()))?;
        self.json(Call::write(
            Method::POST,
            format!("/linode/instances/{id}/rebuild"),
            Some(body),
            format!("Linode {id}"),
        ))
        .await
    }

    /// Boots into the Rescue environment (Finnix) with the instance's disks attached.
    pub async fn rescue_instance(&self, id: u64) -> Result<(), LinodeError> {
        self.action(id, "rescue", None).await
    }

    /// Resets the root password; the instance must be powered off.
    pub async fn reset_root_password(&self, id: u64, root_pass: &str) -> Result<(), LinodeError> {
        self.action(id, "password", Some(json!({ "root_pass": root_pass })))
            .await
    }

    pub async fn delete_instance(&self, id: u64) -> Result<(), LinodeError> {
        self.no_content(Call::write(
            Method::DELETE,
            format!("/linode/instances/{id}"),
            None,
            format!("Linode {id}"),
        ))
        .await
    }

    async fn action(
        &self,
        id: u64,
        action: &str,
        body: Option<serde_json::Value>,
    ) -> Result<(), LinodeError> {
        self.no_content(Call::write(
            Method::POST,
            format!("/linode/instances/{id}/{action}"),
            body,
            format!("Linode {id}"),
        ))
        .await
    }

    /// Polls until the instance reaches `want` (or `timeout` passes), returning its last state.
    pub async fn wait_for_status(
        &self,
        id: u64,
        want: &InstanceStatus,
        poll: Duration,
        timeout: Duration,
    ) -> Result<Instance, LinodeError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let i = self.get_instance(id).await?;
            if &i.status == want || tokio::time::Instant::now() >= deadline {
                return Ok(i);
            }
            tokio::time::sleep(poll).await;
        }
    }

    // ------------------------------------------------------------ backups

    pub async fn enable_backups(&self, id: u64) -> Result<(), LinodeError> {
        self.action(id, "backups/enable", None).await
    }

    pub async fn cancel_backups(&self, id: u64) -> Result<(), LinodeError> {
        self.action(id, "backups/cancel", None).await
    }

    pub async fn list_backups(&self, id: u64) -> Result<Backups, LinodeError> {
        self.json(Call::get(
            format!("/linode/instances/{id}/backups"),
            format!("backups of Linode {id}"),
        ))
        .await
    }

    pub async fn get_backup(&self, id: u64, backup_id: u64) -> Result<Backup, LinodeError> {
        self.json(Call::get(
            format!("/linode/instances/{id}/backups/{backup_id}"),
            format!("backup {backup_id}"),
        ))
        .await
    }

    /// Takes a manual snapshot (replaces the previous one). Not retried after an ambiguous failure.
    pub async fn take_snapshot(&self, id: u64, label: &str) -> Result<Backup, LinodeError> {
        self.json(
            Call::write(
                Method::POST,
                format!("/linode/instances/{id}/backups"),
                Some(json!({ "label": label })),
                format!("Linode {id}"),
            )
            .not_repeatable(),
        )
        .await
    }

    /// Restores a backup onto `target_id` (may be the same instance), overwriting its disks if asked.
    pub async fn restore_backup(
        &self,
        id: u64,
        backup_id: u64,
        target_id: u64,
        overwrite: bool,
    ) -> Result<(), LinodeError> {
        self.no_content(Call::write(
            Method::POST,
            format!("/linode/instances/{id}/backups/{backup_id}/restore"),
            Some(json!({ "linode_id": target_id, "overwrite": overwrite })),
            format!("backup {backup_id}"),
        ))
        .await
    }

    // ------------------------------------------------------------ IPs

    pub async fn list_instance_ips(&self, id: u64) -> Result<InstanceIps, LinodeError> {
        self.json(Call::get(
            format!("/linode/instances/{id}/ips"),
            format!("IPs of Linode {id}"),
        ))
        .await
    }

    /// Allocates an extra public IPv4. Not retried after an ambiguous failure (it would allocate two).
    pub async fn allocate_ipv4(&self, id: u64) -> Result<IpAddress, LinodeError> {
        self.json(
            Call::write(
                Method::POST,
                format!("/linode/instances/{id}/ips"),
                Some(json!({ "type": "ipv4", "public": true })),
                format!("Linode {id}"),
            )
            .not_repeatable(),
        )
        .await
    }

    /// Sets (or with `None`, resets) reverse DNS. Linode requires the name to resolve to the
    /// address first; that refusal is returned as [`LinodeError::RdnsNeedsForwardDns`].
    pub async fn update_rdns(
        &self,
        id: u64,
        address: &str,
        rdns: Option<&str>,
    ) -> Result<IpAddress, LinodeError> {
        let call = Call::write(
            Method::PUT,
            format!("/linode/instances/{id}/ips/{}", pct(address)),
            Some(json!({ "rdns": rdns })),
            format!("address {address}"),
        );
        match self.json(call).await {
            Err(LinodeError::Validation {
                field: Some(field), ..
            }) if field == "rdns" => Err(LinodeError::RdnsNeedsForwardDns {
                address: address.to_owned(),
                rdns: rdns.unwrap_or_default().to_owned(),
            }),
            other => other,
        }
    }

    // ------------------------------------------------------------ firewalls

    pub async fn list_firewalls(&self) -> Result<Vec<Firewall>, LinodeError> {
        self.list_all("/networking/firewalls", None, "firewalls")
            .await
    }

    pub async fn get_firewall(&self, id: u64) -> Result<Firewall, LinodeError> {
        self.json(Call::get(
            format!("/networking/firewalls/{id}"),
            format!("firewall {id}"),
        ))
        .await
    }

    /// Creates a firewall. Not retried after an ambiguous failure; labels are unique, so a
    /// caller can look it up with [`LinodeClient::list_firewalls`].
    pub async fn create_firewall(&self, req: &CreateFirewall) -> Result<Firewall, LinodeError> {
        let body = serde_json::to_value(req).map_err(|e| LinodeError::Decode(e.to_string()))?;
        self.json(
            Call::write(
                Method::POST,
                "/networking/firewalls",
                Some(body),
                format!("firewall {}", req.label),
            )
            .not_repeatable(),
        )
        .await
    }

    pub async fn update_firewall(
        &self,
        id: u64,
        update: &UpdateFirewall,
    ) -> Result<Firewall, LinodeError> {
        let body = serde_json::to_value(update).map_err(|e| LinodeError::Decode(e.to_string()))?;
        self.json(Call::write(
            Method::PUT,
            format!("/networking/firewalls/{id}"),
            Some(body),
            format!("firewall {id}"),
        ))
        .await
    }

    pub async fn delete_firewall(&self, id: u64) -> Result<(), LinodeError> {
        self.no_content(Call::write(
            Method::DELETE,
            format!("/networking/firewalls/{id}"),
            None,
            format!("firewall {id}"),
        ))
        .await
    }

    pub async fn get_firewall_rules(&self, id: u64) -> Result<FirewallRules, LinodeError> {
        self.json(Call::get(
            format!("/networking/firewalls/{id}/rules"),
            format!("firewall {id}"),
        ))
        .await
    }

    /// Replaces all rules of a firewall.
    pub async fn set_firewall_rules(
        &self,
        id: u64,
        rules: &FirewallRules,
    ) -> Result<FirewallRules, LinodeError> {
        let body = serde_json::to_value(rules).map_err(|e| LinodeError::Decode(e.to_string()))?;
        self.json(Call::write(
            Method::PUT,
            format!("/networking/firewalls/{id}/rules"),
            Some(body),
            format!("firewall {id}"),
        ))
        .await
    }

    pub async fn list_firewall_devices(&self, id: u64) -> Result<Vec<FirewallDevice>, LinodeError> {
        self.list_all(
            &format!("/networking/firewalls/{id}/devices"),
            None,
            &format!("devices of firewall {id}"),
        )
        .await
    }

    /// Attaches a Linode to a firewall.
    pub async fn add_firewall_device(
        &self,
        id: u64,
        linode_id: u64,
    ) -> Result<FirewallDevice, LinodeError> {
        self.json(Call::write(
            Method::POST,
            format!("/networking/firewalls/{id}/devices"),
            Some(json!({ "id": linode_id, "type": "linode" })),
            format!("firewall {id}"),
        ))
        .await
    }

    pub async fn remove_firewall_device(&self, id: u64, device_id: u64) -> Result<(), LinodeError> {
        self.no_content(Call::write(
            Method::DELETE,
            format!("/networking/firewalls/{id}/devices/{device_id}"),
            None,
            format!("device {device_id} of firewall {id}"),
        ))
        .await
    }

    /// Firewalls attached to an instance.
    pub async fn list_instance_firewalls(&self, id: u64) -> Result<Vec<Firewall>, LinodeError> {
        self.list_all(
            &format!("/linode/instances/{id}/firewalls"),
            None,
            &format!("firewalls of Linode {id}"),
        )
        .await
    }

    // ------------------------------------------------------------ stats, transfer, events

    /// The last 24 h of CPU, network and disk I/O (rate class: 50/min).
    pub async fn instance_stats(&self, id: u64) -> Result<InstanceStats, LinodeError> {
        let env: StatsEnvelope = self
            .json(
                Call::get(
                    format!("/linode/instances/{id}/stats"),
                    format!("stats of Linode {id}"),
                )
                .class(LimitClass::Stats),
            )
            .await?;
        Ok(env.into_stats())
    }

    /// This month's network transfer of an instance, in bytes.
    pub async fn instance_transfer(&self, id: u64) -> Result<InstanceTransfer, LinodeError> {
        self.json(Call::get(
            format!("/linode/instances/{id}/transfer"),
            format!("transfer of Linode {id}"),
        ))
        .await
    }

    /// This month's pooled account transfer, in GB.
    pub async fn account_transfer(&self) -> Result<AccountTransfer, LinodeError> {
        self.json(Call::get("/account/transfer", "account transfer"))
            .await
    }

    /// Account events, newest first. Use a filter such as
    /// `{"created":{"+gte":"2024-01-01T00:00:00"}}` to fetch only what is new.
    pub async fn list_events(&self, filter: Option<String>) -> Result<Vec<Event>, LinodeError> {
        self.list_all("/account/events", filter, "events").await
    }

    /// One page of events (1-based): polling usually needs only the first.
    pub async fn list_events_page(
        &self,
        page: u32,
        filter: Option<String>,
    ) -> Result<Page<Event>, LinodeError> {
        self.list_page("/account/events", filter, page, "events")
            .await
    }

    pub async fn get_event(&self, id: u64) -> Result<Event, LinodeError> {
        self.json(Call::get(
            format!("/account/events/{id}"),
            format!("event {id}"),
        ))
        .await
    }
}
