//! The server screens beyond power actions: backups and snapshots, IP
//! addresses and reverse DNS, firewalls, and resize / rebuild / rescue /
//! root-password reset.
//!
//! Every operation goes through the `cs_provider::Provider` trait, which
//! both the Sandbox and Linode implement, so the tabs work on either. The one
//! exception is detaching a firewall, which the trait does not have: it uses
//! `cs-linode` directly for Linode servers and says "not available on the
//! Sandbox" elsewhere (see ARCHITECTURE.md). Billing follows the add-ons
//! (backups, extra IPv4) and resizes through `cs_billing::meters`.

use std::sync::Arc;

use cs_billing::meters;
use cs_billing::prices::{price_at, Item};
use cs_core::server::{validate_root_password, validate_ssh_key};
use cs_core::{ProviderKind, Server, ServerStatus, ValidationErrors};
use cs_provider::{Provider, ProviderError, Rebuild, Secret};
use cs_store::{fmt_ts, plans, servers};

use crate::dto::*;
use crate::plans::parse_plan_id;
use crate::servers::{parse_server_id, publish_server};
use crate::Subject;
use crate::{App, AppError, AppResult};

fn backup_dto(b: cs_provider::Backup) -> BackupDto {
    BackupDto {
        id: b.id,
        label: b.label,
        kind: b.kind,
        status: b.status,
        created: fmt_ts(&b.created),
    }
}

fn ip_dto(ip: cs_provider::IpAddress) -> IpAddressDto {
    IpAddressDto {
        address: ip.address,
        kind: ip.kind,
        public: ip.public,
        rdns: ip.rdns,
        gateway: ip.gateway,
        prefix: ip.prefix,
    }
}

fn rule_dto(r: &cs_provider::FirewallRule) -> FirewallRuleDto {
    FirewallRuleDto {
        label: r.label.clone(),
        action: r.action.clone(),
        protocol: r.protocol.clone(),
        ports: r.ports.clone(),
        addresses: r.addresses.clone(),
    }
}

fn rules_dto(r: &cs_provider::FirewallRules) -> FirewallRulesDto {
    FirewallRulesDto {
        inbound_policy: r.inbound_policy.clone(),
        outbound_policy: r.outbound_policy.clone(),
        inbound: r.inbound.iter().map(rule_dto).collect(),
        outbound: r.outbound.iter().map(rule_dto).collect(),
    }
}

fn firewall_dto(f: &cs_provider::Firewall) -> FirewallDto {
    FirewallDto {
        id: f.id.clone(),
        label: f.label.clone(),
        rules: rules_dto(&f.rules),
        instance_count: u32::try_from(f.instance_ids.len()).unwrap_or(u32::MAX),
    }
}

/// Checks rules field by field (`inbound.0.ports` …) and converts them.
fn valid_rules(input: &FirewallRulesDto) -> AppResult<cs_provider::FirewallRules> {
    let mut e = ValidationErrors::new();
    let policy = |e: &mut ValidationErrors, field: &str, p: &str| {
        let p = p.trim().to_ascii_uppercase();
        if p != "ACCEPT" && p != "DROP" {
            e.add(field, "Choose ACCEPT or DROP");
        }
        p
    };
    let inbound_policy = policy(&mut e, "inboundPolicy", &input.inbound_policy);
    let outbound_policy = policy(&mut e, "outboundPolicy", &input.outbound_policy);
    let mut convert = |dir: &str, list: &[FirewallRuleDto]| -> Vec<cs_provider::FirewallRule> {
        list.iter()
            .enumerate()
            .map(|(i, r)| {
                let f = |name: &str| format!("{dir}.{i}.{name}");
                let action = r.action.trim().to_ascii_uppercase();
                if action != "ACCEPT" && action != "DROP" {
                    e.add(&f("action"), "Choose ACCEPT or DROP");
                }
                let protocol = r.protocol.trim().to_ascii_uppercase();
                if !["TCP", "UDP", "ICMP"].contains(&protocol.as_str()) {
                    e.add(&f("protocol"), "Choose TCP, UDP or ICMP");
                }
                let ports: String = r.ports.chars().filter(|c| !c.is_whitespace()).collect();
                if protocol == "ICMP" && !ports.is_empty() {
                    e.add(&f("ports"), "ICMP has no ports: leave this empty");
                }
                let ports_ok = ports.is_empty()
                    || ports.split(',').all(|part| {
                        let mut ends = part.splitn(2, '-').map(|p| p.parse::<u16>().ok().filter(|n| *n > 0));
                        match (ends.next().flatten(), ends.next()) {
                            (Some(_), None) => true,
                            (Some(a), Some(Some(b))) => a < b,
                            _ => false,
                        }
                    });
                if !ports_ok {
                    e.add(&f("ports"), format!("{:?} is not a port list: use e.g. 22, 80,443 or 1024-65535 (1–65535)", r.ports));
                }
                let addresses: Vec<String> = r.addresses.iter().map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect();
                if addresses.is_empty() {
                    e.add(&f("addresses"), "Add at least one address or network, e.g. 0.0.0.0/0 for everyone");
                }
                for a in &addresses {
                    let ip = a.split('/').next().unwrap_or("");
                    let prefix_ok = a.split('/').nth(1).is_none_or(|p| p.parse::<u8>().is_ok_and(|n| n <= if ip.contains(':') { 128 } else { 32 }));
                    if ip.parse::<std::net::IpAddr>().is_err() || !prefix_ok {
                        e.add(&f("addresses"), format!("{a:?} is not an address or network: use e.g. 203.0.113.7, 203.0.113.0/24 or ::/0"));
                    }
                }
                let label = r.label.trim().to_string();
                if label.len() > 32 {
                    e.add(&f("label"), "Keep rule labels to 32 characters");
                }
                cs_provider::FirewallRule { label, action, protocol, ports, addresses }
            })
            .collect()
    };
    let inbound = convert("inbound", &input.inbound);
    let outbound = convert("outbound", &input.outbound);
    e.into_result(cs_provider::FirewallRules {
        inbound_policy,
        outbound_policy,
        inbound,
        outbound,
    })
    .map_err(AppError::Validation)
}

/// The form's name for a field Linode complained about (`rules.inbound[0].ports`
/// → `inbound.0.ports`).
fn firewall_field(field: &str) -> String {
    let f = field.strip_prefix("rules.").unwrap_or(field);
    let f = f.replace('[', ".").replace(']', "");
    match f.as_str() {
        "inbound_policy" => "inboundPolicy".into(),
        "outbound_policy" => "outboundPolicy".into(),
        "" => "label".into(),
        _ => f,
    }
}

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

    // ------------------------------------------------------------ backups

    pub async fn server_backups(&self, id: &str) -> AppResult<ServerBackupsDto> {
        let (_, p, pid) = self.instance_of(id).await?;
        let instance = p.get_instance(&pid).await?;
        let backups = if instance.backups_enabled {
            p.list_backups(&pid).await?
        } else {
            vec![]
        };
        let mut backups: Vec<BackupDto> = backups.into_iter().map(backup_dto).collect();
        backups.sort_by(|a, b| b.created.cmp(&a.created));
        Ok(ServerBackupsDto {
            enabled: instance.backups_enabled,
            backups,
        })
    }

    /// Turns on the provider's backups and bills them as an add-on from now
    /// on. Refused before anything happens when the plan has no backups price.
    pub async fn enable_server_backups(&self, id: &str) -> AppResult<ServerBackupsDto> {
        let (s, p, pid) = self.instance_of(id).await?;
        let now = self.now();
        self.store.read(|c| {
            price_at(c, s.plan_id, &s.region, Item::Backups, now)
                .map(|_| ())
                .map_err(|e| match e {
                    e @ (cs_billing::BillingError::NoPrice { .. }
                    | cs_billing::BillingError::ProviderCurrency { .. }) => {
                        AppError::Conflict(format!("Backups cannot be billed yet: {e}"))
                    }
                    other => other.into(),
                })
        })?;
        p.enable_backups(&pid).await?;
        self.write(|tx| {
            meters::enable_addon(tx, s.id, Item::Backups, 0, now, &self.actor)?;
            tx.record(
                now,
                "server.backups_enabled",
                Subject::server(&s),
                format!("Enabled backups of server {}", s.label),
            )
        })?;
        self.server_backups(id).await
    }

    /// Cancels the provider's backups (they are deleted there) and stops
    /// billing them after the current hour.
    pub async fn cancel_server_backups(&self, id: &str) -> AppResult<ServerBackupsDto> {
        let (s, p, pid) = self.instance_of(id).await?;
        p.cancel_backups(&pid).await?;
        let now = self.now();
        self.write(|tx| {
            match meters::disable_addon(tx, s.id, Item::Backups, 0, now, &self.actor) {
                Ok(()) | Err(cs_billing::BillingError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            tx.record(
                now,
                "server.backups_cancelled",
                Subject::server(&s),
                format!(
                    "Cancelled backups of server {} (its backups are deleted at the provider)",
                    s.label
                ),
            )
        })?;
        self.server_backups(id).await
    }

    pub async fn take_server_snapshot(&self, id: &str, label: &str) -> AppResult<BackupDto> {
        let label = label.trim();
        if label.is_empty() || label.len() > 255 {
            return Err(AppError::validation(
                "label",
                "Name the snapshot (1 to 255 characters)",
            ));
        }
        let (s, p, pid) = self.instance_of(id).await?;
        let b = p.take_snapshot(&pid, label).await.map_err(|e| match e {
            ProviderError::Validation { message, .. }
                if message
                    .to_ascii_lowercase()
                    .contains("backups are not enabled") =>
            {
                AppError::Conflict(format!(
                    "Enable backups of {} first: the provider keeps snapshots with its backups",
                    s.label
                ))
            }
            other => other.into(),
        })?;
        self.log_server(
            &s,
            "server.snapshot_taken",
            format!("Took snapshot {label} of server {}", s.label),
        )?;
        Ok(backup_dto(b))
    }

    /// Restores a backup over this server (its disks are replaced).
    pub async fn restore_server_backup(&self, id: &str, backup_id: &str) -> AppResult<ServerDto> {
        let (s, p, pid) = self.instance_of(id).await?;
        p.restore_backup(&pid, backup_id.trim(), &pid).await?;
        self.set_status(
            &s,
            ServerStatus::Provisioning,
            "server.restoring",
            format!("Restoring backup {backup_id} over server {}", s.label),
        )
    }

    // ------------------------------------------------------------ network

    pub async fn server_network(&self, id: &str) -> AppResult<ServerNetworkDto> {
        let (_, p, pid) = self.instance_of(id).await?;
        let addresses = p.ips(&pid).await?.into_iter().map(ip_dto).collect();
        let t = p.transfer(&pid).await?;
        let centi_gb = t.used_bytes / 10_000_000;
        Ok(ServerNetworkDto {
            addresses,
            transfer_used_gb: format!("{}.{:02}", centi_gb / 100, centi_gb % 100),
            transfer_quota_gb: t.quota_gb,
        })
    }

    /// Adds a public IPv4 address and bills it as an add-on.
    pub async fn add_server_ipv4(&self, id: &str) -> AppResult<ServerNetworkDto> {
        let (s, p, pid) = self.instance_of(id).await?;
        let now = self.now();
        let extra = p
            .ips(&pid)
            .await?
            .iter()
            .filter(|i| i.kind == "ipv4" && i.public)
            .count()
            .saturating_sub(1) as i64;
        self.store.read(|c| {
            price_at(c, s.plan_id, &s.region, Item::Ipv4, now)
                .map(|_| ())
                .map_err(|e| match e {
                    e @ (cs_billing::BillingError::NoPrice { .. }
                    | cs_billing::BillingError::ProviderCurrency { .. }) => AppError::Conflict(
                        format!("An extra IPv4 address cannot be billed yet: {e}"),
                    ),
                    other => other.into(),
                })
        })?;
        let ip = p.allocate_ipv4(&pid).await.map_err(|e| match e {
            ProviderError::Validation { message, .. } => AppError::Conflict(format!(
                "The provider will not add another IPv4 address: {message}"
            )),
            other => other.into(),
        })?;
        self.write(|tx| {
            meters::enable_addon(tx, s.id, Item::Ipv4, extra, now, &self.actor)?;
            tx.record(
                now,
                "server.ipv4_added",
                Subject::server(&s),
                format!("Added IPv4 address {} to server {}", ip.address, s.label),
            )
        })?;
        self.server_network(id).await
    }

    /// Sets (or, with `None`/empty, resets) the reverse DNS of one of this
    /// server's addresses. Linode checks forward DNS first; its refusal is
    /// turned into what to do.
    pub async fn set_server_rdns(
        &self,
        id: &str,
        address: &str,
        rdns: Option<String>,
    ) -> AppResult<IpAddressDto> {
        let address = address.trim();
        let rdns = rdns
            .map(|r| r.trim().trim_end_matches('.').to_ascii_lowercase())
            .filter(|r| !r.is_empty());
        if let Some(r) = &rdns {
            let ok = r.len() <= 253
                && r.contains('.')
                && r.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && !l.starts_with('-')
                        && !l.ends_with('-')
                        && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if !ok {
                return Err(AppError::validation(
                    "rdns",
                    format!("{r:?} is not a host name: use a name like mail.example.com"),
                ));
            }
        }
        let (s, p, pid) = self.instance_of(id).await?;
        let owns = p
            .ips(&pid)
            .await?
            .iter()
            .any(|i| i.address == address || i.address.split('/').next() == Some(address));
        if !owns {
            return Err(AppError::validation(
                "address",
                format!(
                    "{address} is not an address of server {}: refresh the addresses",
                    s.label
                ),
            ));
        }
        let ip = p
            .set_reverse_dns(address, rdns.as_deref())
            .await
            .map_err(|e| match (&e, &rdns) {
                (ProviderError::Validation { field, .. }, Some(name)) if field == "rdns" => {
                    let record = if address.contains(':') { "AAAA" } else { "A" };
                    AppError::validation(
                        "rdns",
                        format!(
                            "Set the {record} record for {name} to {address} first, then try again"
                        ),
                    )
                }
                _ => e.into(),
            })?;
        let what = match &rdns {
            Some(r) => format!("Set reverse DNS of {address} ({}) to {r}", s.label),
            None => format!("Reset reverse DNS of {address} ({})", s.label),
        };
        self.log_server(&s, "server.rdns_set", what)?;
        Ok(ip_dto(ip))
    }

    // ------------------------------------------------------------ firewalls

    pub async fn server_firewalls(&self, id: &str) -> AppResult<ServerFirewallsDto> {
        let (s, p, pid) = self.instance_of(id).await?;
        let all = p.firewalls().await?;
        let (attached, available): (Vec<_>, Vec<_>) =
            all.iter().partition(|f| f.instance_ids.contains(&pid));
        Ok(ServerFirewallsDto {
            attached: attached.into_iter().map(firewall_dto).collect(),
            available: available.into_iter().map(firewall_dto).collect(),
            can_detach: s.provider == ProviderKind::Linode,
        })
    }

    pub async fn attach_server_firewall(
        &self,
        id: &str,
        firewall_id: &str,
    ) -> AppResult<ServerFirewallsDto> {
        let (s, p, pid) = self.instance_of(id).await?;
        p.attach_firewall(firewall_id.trim(), &pid).await?;
        self.log_server(
            &s,
            "server.firewall_attached",
            format!("Attached firewall {firewall_id} to server {}", s.label),
        )?;
        self.server_firewalls(id).await
    }

    /// The account's firewalls, for the new-server form (`linode:<account
    /// id>` for one Linode account).
    pub async fn provider_firewalls(&self, provider: &str) -> AppResult<Vec<FirewallDto>> {
        let (kind, account) = crate::providers::catalogue::split_provider(provider)?;
        let p: Arc<dyn Provider> = match &account {
            Some(a) => self.linode_provider(a)?,
            None => self.provider(kind)?,
        };
        Ok(p.firewalls().await?.iter().map(firewall_dto).collect())
    }

    /// Creates a firewall on the account `id` lives on (label, default
    /// policies, rules) and, with `attach`, attaches it to the server at
    /// once. Field errors name `label`, `inboundPolicy`, `inbound.0.ports` …
    pub async fn create_server_firewall(
        &self,
        id: &str,
        input: NewFirewallInput,
    ) -> AppResult<ServerFirewallsDto> {
        let mut e = ValidationErrors::new();
        let label = input.label.trim().to_string();
        if label.len() < 3 || label.len() > 32 {
            e.add("label", "Use 3 to 32 characters");
        } else if !label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            e.add("label", "Use letters, digits, - _ and . only");
        } else if !label
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            || !label
                .chars()
                .last()
                .is_some_and(|c| c.is_ascii_alphanumeric())
        {
            e.add("label", "Start and end with a letter or a digit");
        }
        let rules = match valid_rules(&input.rules) {
            Ok(r) => Some(r),
            Err(AppError::Validation(v)) => {
                for ve in v.0 {
                    e.add(&ve.field, ve.message);
                }
                None
            }
            Err(other) => return Err(other),
        };
        let (s, p, pid) = self.instance_of(id).await?;
        if e.is_empty() {
            let existing = p.firewalls().await?;
            if existing.iter().any(|f| f.label == label) {
                e.add("label", format!("This account already has a firewall labelled {label:?}: labels are unique per account"));
            }
        }
        if !e.is_empty() {
            return Err(AppError::Validation(e));
        }
        let rules = rules.expect("checked above");
        let fw = p
            .create_firewall(&cs_provider::NewFirewall {
                label: label.clone(),
                rules,
            })
            .await
            .map_err(|err| match err {
                ProviderError::Validation { field, message } => {
                    AppError::validation(&firewall_field(&field), message)
                }
                other => AppError::Provider(other),
            })?;
        self.log_server(
            &s,
            "firewall.created",
            format!(
                "Created firewall {} ({} in, {} out) on the account of server {}",
                fw.label,
                fw.rules.inbound.len(),
                fw.rules.outbound.len(),
                s.label
            ),
        )?;
        if input.attach {
            p.attach_firewall(&fw.id, &pid).await?;
            self.log_server(
                &s,
                "server.firewall_attached",
                format!("Attached firewall {} to server {}", fw.label, s.label),
            )?;
        }
        self.server_firewalls(id).await
    }

    /// Linode only: the provider trait has no detach (the Sandbox cannot).
    pub async fn detach_server_firewall(
        &self,
        id: &str,
        firewall_id: &str,
    ) -> AppResult<ServerFirewallsDto> {
        let (s, _, pid) = self.instance_of(id).await?;
        if s.provider != ProviderKind::Linode {
            return Err(AppError::Conflict(
                "Detaching a firewall is not available on the Sandbox".into(),
            ));
        }
        let linode = self.linode_of(&s)?;
        let client = linode.client();
        let fw: u64 = firewall_id.trim().parse().map_err(|_| {
            AppError::NotFound(format!(
                "There is no firewall {firewall_id:?}: refresh the list"
            ))
        })?;
        let instance: u64 = pid
            .parse()
            .map_err(|_| AppError::Internal(format!("Linode id {pid:?} is not a number")))?;
        let devices = client
            .list_firewall_devices(fw)
            .await
            .map_err(cs_linode::map_error)?;
        let device = devices
            .iter()
            .find(|d| d.entity.id == instance && d.entity.kind == "linode")
            .ok_or_else(|| {
                AppError::Conflict(format!(
                    "Firewall {firewall_id} is not attached to server {}",
                    s.label
                ))
            })?;
        client
            .remove_firewall_device(fw, device.id)
            .await
            .map_err(cs_linode::map_error)?;
        self.log_server(
            &s,
            "server.firewall_detached",
            format!("Detached firewall {firewall_id} from server {}", s.label),
        )?;
        self.server_firewalls(id).await
    }

    /// Replaces a firewall's rules (every server it protects gets them).
    pub async fn set_firewall_rules(
        &self,
        id: &str,
        firewall_id: &str,
        rules: FirewallRulesDto,
    ) -> AppResult<FirewallDto> {
        let rules = valid_rules(&rules)?;
        let (s, p, _) = self.instance_of(id).await?;
        let fw = p.set_firewall_rules(firewall_id.trim(), &rules).await?;
        self.log_server(
            &s,
            "firewall.rules_updated",
            format!(
                "Updated the rules of firewall {} ({} in, {} out)",
                fw.label,
                rules.inbound.len(),
                rules.outbound.len()
            ),
        )?;
        Ok(firewall_dto(&fw))
    }

    // ------------------------------------------------------------ lifecycle

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
        match (&password, &key) {
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
        let images = self.catalogue(s.provider).await?.images;
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

#[cfg(test)]
mod tests {
    #[test]
    fn linode_firewall_fields_become_the_forms_fields() {
        assert_eq!(super::firewall_field("label"), "label");
        assert_eq!(
            super::firewall_field("rules.inbound[0].ports"),
            "inbound.0.ports"
        );
        assert_eq!(
            super::firewall_field("inbound[2].addresses"),
            "inbound.2.addresses"
        );
        assert_eq!(
            super::firewall_field("rules.inbound_policy"),
            "inboundPolicy"
        );
        assert_eq!(super::firewall_field(""), "label");
    }
}
