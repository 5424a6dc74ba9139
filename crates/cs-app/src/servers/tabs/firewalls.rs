//! The Firewall tab. Detaching a firewall is not in the `Provider` trait:
//! it uses `cs-linode` directly for Linode servers and says "not available
//! on the Sandbox" elsewhere.

use std::sync::Arc;

use cs_core::{ProviderKind, ValidationErrors};
use cs_provider::{Provider, ProviderError};

use crate::dto::*;
use crate::{App, AppError, AppResult};

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

/// A rule's protocol as Linode takes it: TCP, UDP, ICMP, IPENCAP, ALL (any
/// case), or an IP protocol number from 0 to 255 (`50` for ESP). Returns the
/// value to send and whether the protocol has ports (TCP and UDP, by name or
/// as 6 and 17).
fn parse_protocol(p: &str) -> Option<(String, bool)> {
    let p = p.trim().to_ascii_uppercase();
    if let Ok(n) = p.parse::<u8>() {
        return Some((n.to_string(), n == 6 || n == 17));
    }
    match p.as_str() {
        "TCP" | "UDP" => Some((p, true)),
        "ICMP" | "IPENCAP" | "ALL" => Some((p, false)),
        _ => None,
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
                let (protocol, has_ports) = match parse_protocol(&r.protocol) {
                    Some(p) => p,
                    None => {
                        e.add(&f("protocol"), format!("{:?} is not a protocol: choose TCP, UDP, ICMP, IPENCAP, ALL or an IP protocol number from 0 to 255", r.protocol.trim()));
                        (r.protocol.trim().to_string(), true)
                    }
                };
                let ports: String = r.ports.chars().filter(|c| !c.is_whitespace()).collect();
                if !has_ports && !ports.is_empty() {
                    e.add(&f("ports"), format!("{protocol} has no ports: only TCP and UDP rules name ports; leave this empty"));
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
                let label = cs_core::validate::optional_text(&mut e, &f("label"), "A rule label", &r.label, 32)
                    .unwrap_or_default();
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
    pub async fn server_firewalls(&self, id: &str) -> AppResult<ServerFirewallsDto> {
        let (s, p, pid) = self.instance_of(id).await?;
        let all = p.firewalls().await?;
        let (attached, available): (Vec<_>, Vec<_>) =
            all.iter().partition(|f| f.instance_ids.contains(&pid));
        Ok(ServerFirewallsDto {
            attached: attached.into_iter().map(firewall_dto).collect(),
            available: available.into_iter().map(firewall_dto).collect(),
            can_detach: s.provider != ProviderKind::Sandbox,
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

    /// The account's firewalls, for the new-server form (`<kind>:<account
    /// id>` for one account).
    pub async fn provider_firewalls(&self, provider: &str) -> AppResult<Vec<FirewallDto>> {
        let (kind, account) = crate::providers::catalogue::split_provider(provider)?;
        let p: Arc<dyn Provider> = match &account {
            Some(a) => self.account_provider(kind, a)?,
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

    /// Linode and DigitalOcean: the provider trait has no detach (the Sandbox
    /// cannot), so each cloud's client is used directly.
    pub async fn detach_server_firewall(
        &self,
        id: &str,
        firewall_id: &str,
    ) -> AppResult<ServerFirewallsDto> {
        let (s, _, pid) = self.instance_of(id).await?;
        match s.provider {
            ProviderKind::Sandbox => {
                return Err(AppError::Conflict(
                    "Detaching a firewall is not available on the Sandbox".into(),
                ))
            }
            ProviderKind::DigitalOcean => {
                let account = self
                    .store
                    .read(|c| Ok::<_, AppError>(cs_store::servers::account_of(c, s.id)?))?
                    .ok_or_else(|| {
                        AppError::Unavailable(format!(
                            "Server {} is not on any DigitalOcean account",
                            s.label
                        ))
                    })?;
                let droplet: u64 = pid.parse().map_err(|_| {
                    AppError::Internal(format!("Droplet id {pid:?} is not a number"))
                })?;
                let provider = self.digitalocean_provider(&account)?;
                let client = provider.client();
                // DigitalOcean answers removing a Droplet that is not in the
                // firewall with success: check first, as for Linode.
                let fw = client
                    .get_firewall(firewall_id.trim())
                    .await
                    .map_err(cs_digitalocean::map_error)?;
                if !fw.droplet_ids.contains(&droplet) {
                    return Err(AppError::Conflict(format!(
                        "Firewall {} is not attached to server {}",
                        fw.name, s.label
                    )));
                }
                client
                    .remove_droplets_from_firewall(firewall_id.trim(), &[droplet])
                    .await
                    .map_err(cs_digitalocean::map_error)?;
                self.log_server(
                    &s,
                    "server.firewall_detached",
                    format!("Detached firewall {firewall_id} from server {}", s.label),
                )?;
                return self.server_firewalls(id).await;
            }
            ProviderKind::Linode => {}
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
}

#[cfg(test)]
mod tests {
    use crate::dto::{FirewallRuleDto, FirewallRulesDto};

    fn rules(protocol: &str, ports: &str) -> FirewallRulesDto {
        FirewallRulesDto {
            inbound_policy: "DROP".into(),
            outbound_policy: "ACCEPT".into(),
            inbound: vec![FirewallRuleDto {
                label: "r".into(),
                action: "ACCEPT".into(),
                protocol: protocol.into(),
                ports: ports.into(),
                addresses: vec!["0.0.0.0/0".into()],
            }],
            outbound: vec![],
        }
    }

    fn fields(protocol: &str, ports: &str) -> Vec<String> {
        match super::valid_rules(&rules(protocol, ports)) {
            Ok(_) => vec![],
            Err(crate::AppError::Validation(e)) => e.0.into_iter().map(|x| x.field).collect(),
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn every_protocol_linode_takes_is_accepted_with_ports_only_for_tcp_and_udp() {
        for (protocol, ports) in [
            ("TCP", "22"),
            ("udp", "53"),
            ("ICMP", ""),
            ("IPENCAP", ""),
            ("ALL", ""),
            ("all", ""),
            ("0", ""),
            ("50", ""),
            ("255", ""),
            ("6", "443"),
            ("17", "53"),
        ] {
            assert_eq!(
                fields(protocol, ports),
                Vec::<String>::new(),
                "{protocol} {ports}"
            );
        }
        let sent = super::valid_rules(&rules(" ipencap ", "")).unwrap();
        assert_eq!(sent.inbound[0].protocol, "IPENCAP");
        for (protocol, ports, field) in [
            ("256", "", "inbound.0.protocol"),
            ("-1", "", "inbound.0.protocol"),
            ("GRE", "", "inbound.0.protocol"),
            ("", "", "inbound.0.protocol"),
            ("ALL", "22", "inbound.0.ports"),
            ("IPENCAP", "22", "inbound.0.ports"),
            ("50", "22", "inbound.0.ports"),
            ("ICMP", "1", "inbound.0.ports"),
        ] {
            assert_eq!(fields(protocol, ports), [field], "{protocol} {ports}");
        }
    }

    /// A rule shows the protocol the provider sent, whatever it is.
    #[test]
    fn rules_show_the_providers_own_protocol() {
        for p in ["ALL", "50", "IPENCAP", "SOMETHING-NEW"] {
            let r = cs_provider::FirewallRule {
                label: String::new(),
                action: "ACCEPT".into(),
                protocol: p.into(),
                ports: String::new(),
                addresses: vec!["0.0.0.0/0".into()],
            };
            assert_eq!(super::rule_dto(&r).protocol, p);
        }
    }

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
