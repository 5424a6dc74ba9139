//! One method per DigitalOcean operation ContainerStacks uses.

use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::client::{decode, Call, DigitalOceanClient};
use crate::error::DigitalOceanError;
use crate::model::*;

type Result<T> = std::result::Result<T, DigitalOceanError>;

/// Path segments we interpolate are ids, slugs, fingerprints and IP addresses; encode the
/// few characters that would break a path anyway.
fn pct(s: &str) -> String {
    s.replace('%', "%25")
        .replace('/', "%2F")
        .replace('?', "%3F")
        .replace('#', "%23")
}

#[derive(Deserialize)]
struct AccountEnvelope {
    account: Account,
}
#[derive(Deserialize)]
struct DropletEnvelope {
    droplet: Droplet,
}
#[derive(Deserialize)]
struct ActionEnvelope {
    action: Action,
}
#[derive(Deserialize)]
struct ImageEnvelope {
    image: Image,
}
#[derive(Deserialize)]
struct SshKeyEnvelope {
    ssh_key: SshKey,
}
#[derive(Deserialize)]
struct SnapshotEnvelope {
    snapshot: Snapshot,
}
#[derive(Deserialize)]
struct ReservedIpEnvelope {
    reserved_ip: ReservedIp,
}
#[derive(Deserialize)]
struct FirewallEnvelope {
    firewall: Firewall,
}

/// The answer to a Droplet create: the Droplet (status `new`) and its create action.
#[derive(Debug, Clone)]
pub struct CreatedDroplet {
    pub droplet: Droplet,
    /// `None` when the Droplet was recovered by lookup after a lost answer.
    pub action_id: Option<u64>,
}

/// What `check_write_access` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteAccess {
    /// The token may create Droplets.
    Granted,
    /// DigitalOcean refused with 403: a read-only token (or a custom one without
    /// `droplet:create`).
    ReadOnly,
}

impl DigitalOceanClient {
    // ------------------------------------------------------------ account

    /// `GET /v2/account`: status, email, limits.
    pub async fn account(&self) -> Result<Account> {
        let e: AccountEnvelope = self
            .json(Call::get("/account", "account", "account:read"))
            .await?;
        Ok(e.account)
    }

    /// Whether the token may write. DigitalOcean has no endpoint that lists a token's
    /// scopes, so this sends a Droplet create that cannot succeed (a size that does not
    /// exist): DigitalOcean checks the token's scopes first and answers 403 to a read-only
    /// token, and refuses the size (422) for one that may create. Nothing is created
    /// either way, and the request is valid under the API specification.
    pub async fn check_write_access(&self) -> Result<WriteAccess> {
        let probe = json!({
            "name": "containerstacks-token-check",
            "size": "containerstacks-token-check",
            "image": "containerstacks-token-check",
        });
        let call = Call::write(
            Method::POST,
            "/droplets",
            Some(probe),
            "write check",
            "droplet:create",
        )
        .not_repeatable();
        match self.execute(&call).await {
            Err(DigitalOceanError::Forbidden { .. }) => Ok(WriteAccess::ReadOnly),
            Err(DigitalOceanError::Validation { .. }) => Ok(WriteAccess::Granted),
            Err(other) => Err(other),
            Ok(answer) => {
                // Should DigitalOcean ever accept it, remove what it made rather than leave
                // a stray Droplet on the account.
                if let Ok(e) = decode::<DropletEnvelope>(&answer.body, "write check") {
                    tracing::warn!(
                        id = e.droplet.id,
                        "the token check created a Droplet; deleting it"
                    );
                    self.delete_droplet(e.droplet.id).await?;
                }
                Ok(WriteAccess::Granted)
            }
        }
    }

    // ------------------------------------------------------------ catalogue

    pub async fn list_regions(&self) -> Result<Vec<Region>> {
        self.list_all("/regions", &[], "regions", "regions", "regions:read")
            .await
    }

    /// Sizes with their monthly and hourly prices and the regions offering them.
    pub async fn list_sizes(&self) -> Result<Vec<Size>> {
        self.list_all("/sizes", &[], "sizes", "sizes", "sizes:read")
            .await
    }

    pub async fn list_images(&self, which: ImageList) -> Result<Vec<Image>> {
        let query: Vec<(&'static str, String)> = match which {
            ImageList::Distribution => vec![("type", "distribution".into())],
            ImageList::Application => vec![("type", "application".into())],
            ImageList::Private => vec![("private", "true".into())],
            ImageList::All => vec![],
        };
        self.list_all("/images", &query, "images", "images", "image:read")
            .await
    }

    /// An image by numeric id or slug.
    pub async fn get_image(&self, id_or_slug: &str) -> Result<Image> {
        let e: ImageEnvelope = self
            .json(Call::get(
                format!("/images/{}", pct(id_or_slug)),
                format!("image {id_or_slug}"),
                "image:read",
            ))
            .await?;
        Ok(e.image)
    }

    // ------------------------------------------------------------ SSH keys

    /// The account's keys (DigitalOcean allows only 10 of these lists a minute).
    pub async fn list_ssh_keys(&self) -> Result<Vec<SshKey>> {
        self.list_all("/account/keys", &[], "ssh_keys", "SSH keys", "ssh_key:read")
            .await
    }

    /// A key by id or fingerprint.
    pub async fn get_ssh_key(&self, id_or_fingerprint: &str) -> Result<SshKey> {
        let e: SshKeyEnvelope = self
            .json(Call::get(
                format!("/account/keys/{}", pct(id_or_fingerprint)),
                format!("SSH key {id_or_fingerprint}"),
                "ssh_key:read",
            ))
            .await?;
        Ok(e.ssh_key)
    }

    pub async fn create_ssh_key(&self, name: &str, public_key: &str) -> Result<SshKey> {
        let e: SshKeyEnvelope = self
            .json(
                Call::write(
                    Method::POST,
                    "/account/keys",
                    Some(json!({ "name": name, "public_key": public_key.trim() })),
                    format!("SSH key {name}"),
                    "ssh_key:create",
                )
                .not_repeatable(),
            )
            .await?;
        Ok(e.ssh_key)
    }

    pub async fn delete_ssh_key(&self, id_or_fingerprint: &str) -> Result<()> {
        self.no_content(Call::write(
            Method::DELETE,
            format!("/account/keys/{}", pct(id_or_fingerprint)),
            None,
            format!("SSH key {id_or_fingerprint}"),
            "ssh_key:delete",
        ))
        .await
    }

    /// The account's key for `public_key`, added if it is not there yet. Droplets are
    /// created with keys of the account (by fingerprint), not with key text. Looked up by
    /// fingerprint (one request), so the list endpoint's tight limit is never touched.
    pub async fn ensure_ssh_key(&self, public_key: &str) -> Result<SshKey> {
        let fingerprint = ssh_fingerprint(public_key).ok_or_else(|| DigitalOceanError::Validation {
            id: "invalid_ssh_key".into(),
            message: "the SSH key is not an OpenSSH public key (ssh-ed25519, ssh-rsa or ecdsa-sha2-…): paste the contents of the .pub file".into(),
            request_id: None,
        })?;
        match self.get_ssh_key(&fingerprint).await {
            Ok(k) => return Ok(k),
            Err(DigitalOceanError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        let comment = public_key.split_whitespace().nth(2).unwrap_or("");
        let name = if comment.is_empty() {
            format!("containerstacks {}", &fingerprint[..11])
        } else {
            format!("containerstacks {comment}")
        };
        match self.create_ssh_key(&name, public_key).await {
            Ok(k) => Ok(k),
            // Added meanwhile (by another process), or added with an answer that was lost:
            // then it is there by its fingerprint. If it is not, the refusal stands.
            Err(
                e @ (DigitalOceanError::Validation { .. }
                | DigitalOceanError::Server { .. }
                | DigitalOceanError::Timeout
                | DigitalOceanError::Transport(_)),
            ) => match self.get_ssh_key(&fingerprint).await {
                Ok(k) => Ok(k),
                Err(DigitalOceanError::NotFound { .. }) => Err(e),
                Err(other) => Err(other),
            },
            Err(e) => Err(e),
        }
    }

    // ------------------------------------------------------------ droplets

    /// Every Droplet, page by page (`per_page` up to 200): 5,000 Droplets cost 25 requests.
    pub async fn list_droplets(&self) -> Result<Vec<Droplet>> {
        self.list_all("/droplets", &[], "droplets", "Droplets", "droplet:read")
            .await
    }

    /// One page of Droplets (1-based), for callers that stream.
    pub async fn list_droplets_page(&self, page: u32) -> Result<Page<Droplet>> {
        self.list_page(
            "/droplets",
            &[],
            "droplets",
            page,
            "Droplets",
            "droplet:read",
        )
        .await
    }

    /// Droplets carrying `tag`.
    pub async fn list_droplets_by_tag(&self, tag: &str) -> Result<Vec<Droplet>> {
        self.list_all(
            "/droplets",
            &[("tag_name", tag.to_owned())],
            "droplets",
            "Droplets",
            "droplet:read",
        )
        .await
    }

    /// Droplets named `name` (DigitalOcean compares without case and allows duplicates).
    pub async fn list_droplets_by_name(&self, name: &str) -> Result<Vec<Droplet>> {
        self.list_all(
            "/droplets",
            &[("name", name.to_owned())],
            "droplets",
            "Droplets",
            "droplet:read",
        )
        .await
    }

    /// The Droplet named `name` that carries every tag in `tags` (the newest, should there
    /// be several).
    pub async fn find_droplet(&self, name: &str, tags: &[String]) -> Result<Option<Droplet>> {
        let found = self.list_droplets_by_name(name).await?;
        Ok(found
            .into_iter()
            .filter(|d| {
                d.name.eq_ignore_ascii_case(name) && tags.iter().all(|t| d.tags.contains(t))
            })
            .max_by_key(|d| d.id))
    }

    pub async fn get_droplet(&self, id: u64) -> Result<Droplet> {
        let e: DropletEnvelope = self
            .json(Call::get(
                format!("/droplets/{id}"),
                format!("Droplet {id}"),
                "droplet:read",
            ))
            .await?;
        Ok(e.droplet)
    }

    /// Creates a Droplet, exactly once.
    ///
    /// Refusals DigitalOcean certainly did not apply (429, refused connections) are
    /// retried. After an ambiguous failure (timeout, dropped connection, 5xx) the Droplet
    /// may exist: DigitalOcean allows duplicate names, so sending the create again could
    /// make two. The client first waits a backoff (a new Droplet takes a moment to be
    /// listed), then looks it up by its name and tags ([`DigitalOceanClient::find_droplet`]);
    /// only if it is not there is the create sent again. Callers give each Droplet a
    /// unique name and a unique tag.
    pub async fn create_droplet(&self, req: &CreateDroplet) -> Result<CreatedDroplet> {
        let body = serde_json::to_value(req)
            .map_err(|e| DigitalOceanError::Decode(format!("create request: {e}")))?;
        let call = Call::write(
            Method::POST,
            "/droplets",
            Some(body),
            format!("Droplet {}", req.name),
            "droplet:create",
        )
        .not_repeatable();
        let policy = self.inner.retry;
        let mut attempt = 1;
        loop {
            let failure = match self.send_once(&call).await {
                Ok(answer) => {
                    #[derive(Deserialize)]
                    struct Created {
                        droplet: Droplet,
                        #[serde(default)]
                        links: CreatedLinks,
                    }
                    #[derive(Default, Deserialize)]
                    struct CreatedLinks {
                        #[serde(default)]
                        actions: Vec<ActionLink>,
                    }
                    #[derive(Deserialize)]
                    struct ActionLink {
                        id: u64,
                    }
                    let c: Created = decode(&answer.body, "created Droplet")?;
                    return Ok(CreatedDroplet {
                        droplet: c.droplet,
                        action_id: c.links.actions.first().map(|a| a.id),
                    });
                }
                Err(f) => f,
            };
            if !failure.error.is_retryable() || attempt >= policy.max_attempts {
                return Err(failure.error);
            }
            let wait = self.wait_after(&failure.error, attempt)?;
            tokio::time::sleep(wait).await;
            if failure.ambiguous {
                tracing::info!(name = %req.name, error = %failure.error, "create answer lost; looking the Droplet up by name and tag before retrying");
                if let Some(existing) = self.find_droplet(&req.name, &req.tags).await? {
                    return Ok(CreatedDroplet {
                        droplet: existing,
                        action_id: None,
                    });
                }
            }
            attempt += 1;
        }
    }

    /// Deletes a Droplet. Repeated after an ambiguous failure; a 404 after such a failure
    /// means the first attempt did it.
    pub async fn delete_droplet(&self, id: u64) -> Result<()> {
        let call = Call::write(
            Method::DELETE,
            format!("/droplets/{id}"),
            None,
            format!("Droplet {id}"),
            "droplet:delete",
        );
        let policy = self.inner.retry;
        let mut had_ambiguous = false;
        let mut attempt = 1;
        loop {
            match self.send_once(&call).await {
                Ok(_) => return Ok(()),
                Err(f)
                    if had_ambiguous && matches!(f.error, DigitalOceanError::NotFound { .. }) =>
                {
                    return Ok(())
                }
                Err(f) => {
                    if !f.error.is_retryable() || attempt >= policy.max_attempts {
                        return Err(f.error);
                    }
                    had_ambiguous |= f.ambiguous;
                    tokio::time::sleep(self.wait_after(&f.error, attempt)?).await;
                    attempt += 1;
                }
            }
        }
    }

    /// Backups of a Droplet (automatic, kept by DigitalOcean's schedule).
    pub async fn list_droplet_backups(&self, id: u64) -> Result<Vec<DropletImageRecord>> {
        self.list_all(
            &format!("/droplets/{id}/backups"),
            &[],
            "backups",
            &format!("backups of Droplet {id}"),
            "droplet:read",
        )
        .await
    }

    /// Snapshots taken of a Droplet.
    pub async fn list_droplet_snapshots(&self, id: u64) -> Result<Vec<DropletImageRecord>> {
        self.list_all(
            &format!("/droplets/{id}/snapshots"),
            &[],
            "snapshots",
            &format!("snapshots of Droplet {id}"),
            "droplet:read",
        )
        .await
    }

    // ------------------------------------------------------------ actions

    /// Starts a Droplet action and returns it (`in-progress`). Not repeated after an
    /// ambiguous failure (a second reboot or snapshot is not harmless); a Droplet busy with
    /// another action is retried.
    pub async fn droplet_action(&self, id: u64, action: &DropletAction) -> Result<Action> {
        let e: ActionEnvelope = self
            .json(
                Call::write(
                    Method::POST,
                    format!("/droplets/{id}/actions"),
                    Some(action.body()),
                    format!("Droplet {id}"),
                    action.scope(),
                )
                .not_repeatable(),
            )
            .await?;
        Ok(e.action)
    }

    pub async fn power_on(&self, id: u64) -> Result<Action> {
        self.droplet_action(id, &DropletAction::PowerOn).await
    }

    pub async fn power_off(&self, id: u64) -> Result<Action> {
        self.droplet_action(id, &DropletAction::PowerOff).await
    }

    pub async fn shutdown(&self, id: u64) -> Result<Action> {
        self.droplet_action(id, &DropletAction::Shutdown).await
    }

    pub async fn reboot(&self, id: u64) -> Result<Action> {
        self.droplet_action(id, &DropletAction::Reboot).await
    }

    /// Resizes a powered-off Droplet; with `disk` the disk grows too (permanently).
    pub async fn resize(&self, id: u64, size: &str, disk: bool) -> Result<Action> {
        self.droplet_action(
            id,
            &DropletAction::Resize {
                size: size.to_owned(),
                disk,
            },
        )
        .await
    }

    pub async fn rebuild(&self, id: u64, image: ImageRef) -> Result<Action> {
        self.droplet_action(id, &DropletAction::Rebuild { image })
            .await
    }

    /// DigitalOcean emails a new root password to the account owner.
    pub async fn password_reset(&self, id: u64) -> Result<Action> {
        self.droplet_action(id, &DropletAction::PasswordReset).await
    }

    pub async fn enable_backups(&self, id: u64, policy: Option<BackupPolicy>) -> Result<Action> {
        self.droplet_action(id, &DropletAction::EnableBackups { policy })
            .await
    }

    /// DigitalOcean deletes the Droplet's backups.
    pub async fn disable_backups(&self, id: u64) -> Result<Action> {
        self.droplet_action(id, &DropletAction::DisableBackups)
            .await
    }

    pub async fn snapshot(&self, id: u64, name: &str) -> Result<Action> {
        self.droplet_action(
            id,
            &DropletAction::Snapshot {
                name: name.to_owned(),
            },
        )
        .await
    }

    /// Restores one of the Droplet's own backups over it.
    pub async fn restore(&self, id: u64, backup_id: u64) -> Result<Action> {
        self.droplet_action(id, &DropletAction::Restore { image: backup_id })
            .await
    }

    /// Renames the Droplet, which is also how its reverse DNS changes.
    pub async fn rename(&self, id: u64, name: &str) -> Result<Action> {
        self.droplet_action(
            id,
            &DropletAction::Rename {
                name: name.to_owned(),
            },
        )
        .await
    }

    /// `GET /v2/actions/{id}`.
    pub async fn get_action(&self, id: u64) -> Result<Action> {
        let e: ActionEnvelope = self
            .json(Call::get(
                format!("/actions/{id}"),
                format!("action {id}"),
                "actions:read",
            ))
            .await?;
        Ok(e.action)
    }

    /// One page of the account's actions, newest first (the account's event feed).
    pub async fn list_actions_page(&self, page: u32) -> Result<Page<Action>> {
        self.list_page("/actions", &[], "actions", page, "actions", "actions:read")
            .await
    }

    /// Actions newer than `after` (an action id), newest first: pages are read until one
    /// reaches `after`, so a poller that keeps up reads one page.
    pub async fn list_actions_after(&self, after: u64) -> Result<Vec<Action>> {
        let mut out = Vec::new();
        let mut page = 1;
        loop {
            let p = self.list_actions_page(page).await?;
            let reached = p.items.iter().any(|a| a.id <= after);
            out.extend(p.items.into_iter().filter(|a| a.id > after));
            match p.next {
                Some(next) if !reached && next > page => page = next,
                _ => return Ok(out),
            }
        }
    }

    /// One page of a Droplet's actions, newest first.
    pub async fn list_droplet_actions_page(&self, id: u64, page: u32) -> Result<Page<Action>> {
        self.list_page(
            &format!("/droplets/{id}/actions"),
            &[],
            "actions",
            page,
            &format!("actions of Droplet {id}"),
            "droplet:read",
        )
        .await
    }

    /// Polls an action until it completes: `Ok` when `completed`,
    /// [`DigitalOceanError::ActionErrored`] when it errored, and
    /// [`DigitalOceanError::ActionTimedOut`] when it is still in progress after `timeout`.
    /// `progress` sees every answer (to show the action's state while it runs).
    pub async fn follow_action(
        &self,
        id: u64,
        poll: Duration,
        timeout: Duration,
        mut progress: impl FnMut(&Action),
    ) -> Result<Action> {
        let started = tokio::time::Instant::now();
        loop {
            let a = self.get_action(id).await?;
            progress(&a);
            match a.status {
                ActionStatus::Completed => return Ok(a),
                ActionStatus::Errored => {
                    return Err(DigitalOceanError::ActionErrored {
                        action_id: a.id,
                        kind: a.kind,
                    })
                }
                _ if started.elapsed() >= timeout => {
                    return Err(DigitalOceanError::ActionTimedOut {
                        action_id: a.id,
                        kind: a.kind,
                        waited: started.elapsed(),
                    })
                }
                _ => tokio::time::sleep(poll).await,
            }
        }
    }

    // ------------------------------------------------------------ snapshots

    /// The account's Droplet snapshots.
    pub async fn list_snapshots(&self) -> Result<Vec<Snapshot>> {
        self.list_all(
            "/snapshots",
            &[("resource_type", "droplet".into())],
            "snapshots",
            "snapshots",
            "snapshot:read",
        )
        .await
    }

    pub async fn get_snapshot(&self, id: &str) -> Result<Snapshot> {
        let e: SnapshotEnvelope = self
            .json(Call::get(
                format!("/snapshots/{}", pct(id)),
                format!("snapshot {id}"),
                "snapshot:read",
            ))
            .await?;
        Ok(e.snapshot)
    }

    pub async fn delete_snapshot(&self, id: &str) -> Result<()> {
        self.no_content(Call::write(
            Method::DELETE,
            format!("/snapshots/{}", pct(id)),
            None,
            format!("snapshot {id}"),
            "snapshot:delete",
        ))
        .await
    }

    // ------------------------------------------------------------ reserved IPs

    pub async fn list_reserved_ips(&self) -> Result<Vec<ReservedIp>> {
        self.list_all(
            "/reserved_ips",
            &[],
            "reserved_ips",
            "reserved IPs",
            "reserved_ip:read",
        )
        .await
    }

    pub async fn get_reserved_ip(&self, ip: &str) -> Result<ReservedIp> {
        let e: ReservedIpEnvelope = self
            .json(Call::get(
                format!("/reserved_ips/{}", pct(ip)),
                format!("reserved IP {ip}"),
                "reserved_ip:read",
            ))
            .await?;
        Ok(e.reserved_ip)
    }

    /// Creates a reserved IP, assigned to a Droplet or reserved to a region. Never makes
    /// two: after an ambiguous failure of an assignment, the Droplet's reserved IP is
    /// looked up before anything is sent again (a Droplet has at most one).
    pub async fn create_reserved_ip(&self, to: &NewReservedIp) -> Result<ReservedIp> {
        let (body, what) = match to {
            NewReservedIp::Droplet(id) => (json!({ "droplet_id": id }), format!("Droplet {id}")),
            NewReservedIp::Region(r) => (json!({ "region": r }), format!("region {r}")),
        };
        let call = Call::write(
            Method::POST,
            "/reserved_ips",
            Some(body),
            what,
            "reserved_ip:create",
        )
        .not_repeatable();
        let policy = self.inner.retry;
        let mut attempt = 1;
        loop {
            let failure = match self.send_once(&call).await {
                Ok(answer) => {
                    let e: ReservedIpEnvelope = decode(&answer.body, "reserved IP")?;
                    return Ok(e.reserved_ip);
                }
                Err(f) => f,
            };
            let recoverable = !failure.ambiguous || matches!(to, NewReservedIp::Droplet(_));
            if !failure.error.is_retryable() || !recoverable || attempt >= policy.max_attempts {
                return Err(failure.error);
            }
            tokio::time::sleep(self.wait_after(&failure.error, attempt)?).await;
            if let (true, NewReservedIp::Droplet(id)) = (failure.ambiguous, to) {
                let mine = self
                    .list_reserved_ips()
                    .await?
                    .into_iter()
                    .find(|r| r.droplet.as_ref().is_some_and(|d| d.id == *id));
                if let Some(r) = mine {
                    return Ok(r);
                }
            }
            attempt += 1;
        }
    }

    pub async fn delete_reserved_ip(&self, ip: &str) -> Result<()> {
        self.no_content(Call::write(
            Method::DELETE,
            format!("/reserved_ips/{}", pct(ip)),
            None,
            format!("reserved IP {ip}"),
            "reserved_ip:delete",
        ))
        .await
    }

    pub async fn assign_reserved_ip(&self, ip: &str, droplet: u64) -> Result<Action> {
        self.reserved_ip_action(ip, json!({ "type": "assign", "droplet_id": droplet }))
            .await
    }

    pub async fn unassign_reserved_ip(&self, ip: &str) -> Result<Action> {
        self.reserved_ip_action(ip, json!({ "type": "unassign" }))
            .await
    }

    async fn reserved_ip_action(&self, ip: &str, body: serde_json::Value) -> Result<Action> {
        let e: ActionEnvelope = self
            .json(
                Call::write(
                    Method::POST,
                    format!("/reserved_ips/{}/actions", pct(ip)),
                    Some(body),
                    format!("reserved IP {ip}"),
                    "reserved_ip:update",
                )
                .not_repeatable(),
            )
            .await?;
        Ok(e.action)
    }

    // ------------------------------------------------------------ firewalls

    pub async fn list_firewalls(&self) -> Result<Vec<Firewall>> {
        self.list_all("/firewalls", &[], "firewalls", "firewalls", "firewall:read")
            .await
    }

    pub async fn get_firewall(&self, id: &str) -> Result<Firewall> {
        let e: FirewallEnvelope = self
            .json(Call::get(
                format!("/firewalls/{}", pct(id)),
                format!("firewall {id}"),
                "firewall:read",
            ))
            .await?;
        Ok(e.firewall)
    }

    /// Creates a firewall. Not repeated after an ambiguous failure (names are not unique).
    pub async fn create_firewall(&self, req: &FirewallRequest) -> Result<Firewall> {
        let body =
            serde_json::to_value(req).map_err(|e| DigitalOceanError::Decode(e.to_string()))?;
        let e: FirewallEnvelope = self
            .json(
                Call::write(
                    Method::POST,
                    "/firewalls",
                    Some(body),
                    format!("firewall {}", req.name),
                    "firewall:create",
                )
                .not_repeatable(),
            )
            .await?;
        Ok(e.firewall)
    }

    /// Replaces a firewall's name, rules, Droplets and tags (a full update).
    pub async fn update_firewall(&self, id: &str, req: &FirewallRequest) -> Result<Firewall> {
        let body =
            serde_json::to_value(req).map_err(|e| DigitalOceanError::Decode(e.to_string()))?;
        let e: FirewallEnvelope = self
            .json(Call::write(
                Method::PUT,
                format!("/firewalls/{}", pct(id)),
                Some(body),
                format!("firewall {id}"),
                "firewall:update",
            ))
            .await?;
        Ok(e.firewall)
    }

    pub async fn delete_firewall(&self, id: &str) -> Result<()> {
        self.no_content(Call::write(
            Method::DELETE,
            format!("/firewalls/{}", pct(id)),
            None,
            format!("firewall {id}"),
            "firewall:delete",
        ))
        .await
    }

    /// Adds Droplets to a firewall (adding one that is there already changes nothing).
    pub async fn add_droplets_to_firewall(&self, id: &str, droplets: &[u64]) -> Result<()> {
        self.no_content(Call::write(
            Method::POST,
            format!("/firewalls/{}/droplets", pct(id)),
            Some(json!({ "droplet_ids": droplets })),
            format!("firewall {id}"),
            "firewall:update",
        ))
        .await
    }

    pub async fn remove_droplets_from_firewall(&self, id: &str, droplets: &[u64]) -> Result<()> {
        self.no_content(Call::write(
            Method::DELETE,
            format!("/firewalls/{}/droplets", pct(id)),
            Some(json!({ "droplet_ids": droplets })),
            format!("firewall {id}"),
            "firewall:update",
        ))
        .await
    }

    // ------------------------------------------------------------ monitoring

    async fn metric(
        &self,
        name: &str,
        droplet: u64,
        extra: &[(&'static str, String)],
        start: i64,
        end: i64,
    ) -> Result<Vec<MetricSeries>> {
        let mut call = Call::get(
            format!("/monitoring/metrics/droplet/{name}"),
            format!("{name} metrics of Droplet {droplet}"),
            "monitoring:read",
        )
        .query("host_id", droplet.to_string());
        call.query.extend(extra.iter().cloned());
        let call = call
            .query("start", start.to_string())
            .query("end", end.to_string());
        let e: MetricsEnvelope = self.json(call).await?;
        Ok(e.data.result)
    }

    /// CPU time per mode (`idle`, `user`, `system` …), cumulative seconds over all vCPUs,
    /// between `start` and `end` (UNIX seconds). Needs the monitoring agent.
    pub async fn droplet_cpu(
        &self,
        droplet: u64,
        start: i64,
        end: i64,
    ) -> Result<Vec<MetricSeries>> {
        self.metric("cpu", droplet, &[], start, end).await
    }

    /// Bandwidth in megabits per second.
    pub async fn droplet_bandwidth(
        &self,
        droplet: u64,
        interface: Interface,
        direction: Direction,
        start: i64,
        end: i64,
    ) -> Result<Vec<MetricSeries>> {
        let interface = match interface {
            Interface::Public => "public",
            Interface::Private => "private",
        };
        let direction = match direction {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        };
        self.metric(
            "bandwidth",
            droplet,
            &[
                ("interface", interface.into()),
                ("direction", direction.into()),
            ],
            start,
            end,
        )
        .await
    }

    /// Free bytes per filesystem.
    pub async fn droplet_filesystem_free(
        &self,
        droplet: u64,
        start: i64,
        end: i64,
    ) -> Result<Vec<MetricSeries>> {
        self.metric("filesystem_free", droplet, &[], start, end)
            .await
    }

    /// Size in bytes per filesystem.
    pub async fn droplet_filesystem_size(
        &self,
        droplet: u64,
        start: i64,
        end: i64,
    ) -> Result<Vec<MetricSeries>> {
        self.metric("filesystem_size", droplet, &[], start, end)
            .await
    }
}

/// An OpenSSH public key's MD5 fingerprint as DigitalOcean shows and accepts it
/// (`3b:16:e4:…`); `None` when the text is not a public key.
pub fn ssh_fingerprint(public_key: &str) -> Option<String> {
    use base64::Engine as _;
    use md5::Digest as _;
    let mut parts = public_key.split_whitespace();
    let kind = parts.next()?;
    let blob = base64::engine::general_purpose::STANDARD
        .decode(parts.next()?)
        .ok()?;
    // The blob starts with the key type as an SSH string.
    let len = u32::from_be_bytes(blob.get(0..4)?.try_into().ok()?) as usize;
    if blob.get(4..4 + len)? != kind.as_bytes() {
        return None;
    }
    let digest = md5::Md5::digest(&blob);
    Some(
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_match_ssh_keygen() {
        // `ssh-keygen -E md5 -lf` prints MD5:65:48:c1:a7:bc:8d:4f:1e:70:0e:1a:f3:dc:ca:de:d1.
        let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKuXeriMhlBY56y3WYvd8NtMqNrGDAkHY5RFSgfMnApq test@cs";
        assert_eq!(
            ssh_fingerprint(key).as_deref(),
            Some("65:48:c1:a7:bc:8d:4f:1e:70:0e:1a:f3:dc:ca:de:d1")
        );
        assert_eq!(ssh_fingerprint(key), ssh_fingerprint(&format!("  {key}  ")));
        assert_eq!(
            ssh_fingerprint(
                "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIKuXeriMhlBY56y3WYvd8NtMqNrGDAkHY5RFSgfMnApq"
            ),
            None,
            "the type must match the blob"
        );
        assert_eq!(ssh_fingerprint("not a key"), None);
    }
}
