//! The Network tab: IP addresses (an extra IPv4 is billed as an add-on) and
//! reverse DNS.

use cs_billing::meters;
use cs_billing::prices::{price_at, Item};
use cs_provider::ProviderError;

use crate::dto::*;
use crate::Subject;
use crate::{App, AppError, AppResult};

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

impl App {
    pub async fn server_network(&self, id: &str) -> AppResult<ServerNetworkDto> {
        let (s, p, pid) = self.instance_of(id).await?;
        let addresses = p.ips(&pid).await?.into_iter().map(ip_dto).collect();
        let t = if crate::providers::capabilities(s.provider).transfer {
            Some(p.transfer(&pid).await?)
        } else {
            None
        };
        Ok(ServerNetworkDto {
            addresses,
            transfer_used_gb: t.map(|t| crate::servers::gb(t.used_bytes)),
            transfer_quota_gb: t.map(|t| t.quota_gb),
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
}
