//! Providers in the façade: the Linode and DigitalOcean accounts a reseller
//! connects ([`linode`], [`digitalocean`]: each with its token in the
//! keyring, its label, API root ([`api_root`]) and what its token check
//! learned), the providers' catalogues cached in SQLite ([`catalogue`]), and
//! the SQL of the tables they own ([`store`]: `provider_accounts`,
//! `provider_catalogue`, `provider_catalogue_refresh`,
//! `provider_event_cursor`). This module answers, for any kind, which
//! account a server or a form uses and what the provider offers
//! ([`capabilities`]).

pub(crate) mod api_root;
pub(crate) mod catalogue;
pub(crate) mod digitalocean;
pub(crate) mod dto;
pub(crate) mod linode;
pub(crate) mod store;

use std::sync::Arc;

use cs_core::{ProviderKind, Server};
use cs_provider::{Capabilities, Provider, ReverseDns};

use crate::dto::{ProviderCapabilitiesDto, ProviderNoteDto};
use crate::{App, AppError, AppResult};

/// What a provider of `kind` offers (no account needed: it is a property of
/// the cloud).
pub(crate) fn capabilities(kind: ProviderKind) -> Capabilities {
    match kind {
        ProviderKind::Sandbox | ProviderKind::Linode => Capabilities::default(),
        ProviderKind::DigitalOcean => cs_digitalocean::capabilities(),
    }
}

pub(crate) fn capabilities_dto(c: &Capabilities) -> ProviderCapabilitiesDto {
    ProviderCapabilitiesDto {
        stackscripts: c.stackscripts,
        rescue: c.rescue,
        set_root_password: c.set_root_password,
        rebuild_sets_credentials: c.rebuild_sets_credentials,
        resize_running: c.resize_running,
        rdns_per_address: c.reverse_dns == ReverseDns::PerAddress,
        extra_ipv4_max: c.extra_ipv4_max,
        firewall_drop_rules: c.firewall_drop_rules,
        firewall_rule_labels: c.firewall_rule_labels,
        transfer: c.transfer,
        disk_io_stats: c.disk_io_stats,
        disk_usage_stats: c.disk_usage_stats,
        notes: c
            .notes
            .iter()
            .map(|n| ProviderNoteDto {
                topic: serde_json::to_value(n.topic)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                text: n.text.clone(),
            })
            .collect(),
    }
}

/// The catalogue and event-cursor key of an account of `kind`.
pub(crate) fn account_key(kind: ProviderKind, account: &str) -> String {
    match kind {
        ProviderKind::DigitalOcean => digitalocean::account_key(account),
        _ => linode::account_key(account),
    }
}

impl App {
    /// The loaded accounts of `kind` (none for the Sandbox): (id, provider).
    pub(crate) fn accounts_loaded(&self, kind: ProviderKind) -> Vec<(String, Arc<dyn Provider>)> {
        match kind {
            ProviderKind::Sandbox => vec![],
            ProviderKind::Linode => self
                .linode_accounts_loaded()
                .into_iter()
                .map(|(id, p)| (id, p as Arc<dyn Provider>))
                .collect(),
            ProviderKind::DigitalOcean => self
                .digitalocean_accounts_loaded()
                .into_iter()
                .map(|(id, p)| (id, p as Arc<dyn Provider>))
                .collect(),
        }
    }

    /// The provider of one account of `kind`.
    pub(crate) fn account_provider(
        &self,
        kind: ProviderKind,
        account: &str,
    ) -> AppResult<Arc<dyn Provider>> {
        match kind {
            ProviderKind::Sandbox => self.provider(kind),
            ProviderKind::Linode => Ok(self.linode_provider(account)?),
            ProviderKind::DigitalOcean => Ok(self.digitalocean_provider(account)?),
        }
    }

    /// The account used where no server says which (the plan form, the
    /// catalogue offered to plans): the oldest connected one of `kind`.
    pub(crate) fn default_account(&self, kind: ProviderKind) -> AppResult<String> {
        match kind {
            ProviderKind::Linode => self.default_linode_account(),
            ProviderKind::DigitalOcean => self
                .digitalocean_account_ids()?
                .into_iter()
                .find(|(_, _, loaded)| *loaded)
                .map(|(id, _, _)| id)
                .ok_or_else(digitalocean::not_connected),
            ProviderKind::Sandbox => Err(AppError::Internal(
                "the Sandbox has no accounts".to_string(),
            )),
        }
    }

    /// The account a new server of `kind` goes on: the one chosen, or the
    /// only one. `Err` names the field.
    pub(crate) fn choose_account(
        &self,
        kind: ProviderKind,
        chosen: Option<&str>,
    ) -> Result<String, (String, String)> {
        if kind != ProviderKind::DigitalOcean {
            return self.choose_linode_account(chosen);
        }
        let rows = self
            .digitalocean_account_ids()
            .map_err(|e| ("accountId".to_string(), e.to_string()))?;
        let loaded: Vec<&String> = rows.iter().filter(|a| a.2).map(|a| &a.0).collect();
        match chosen.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => match rows.iter().find(|a| a.0 == c) {
                Some(a) if a.2 => Ok(a.0.clone()),
                Some(a) => Err(("accountId".into(), format!("DigitalOcean account “{}” is not connected (its token is missing): replace its token in Settings → Providers or choose another account", a.1))),
                None => Err(("accountId".into(), format!("There is no DigitalOcean account {c:?}: refresh and choose one from the list"))),
            },
            None => match loaded.len() {
                0 => Err(("planId".into(), "DigitalOcean is not connected: add a DigitalOcean account in Settings → Providers, or choose another plan".into())),
                1 => Ok(loaded[0].clone()),
                _ => Err(("accountId".into(), "Choose the DigitalOcean account this server goes on".into())),
            },
        }
    }

    /// The provider a server lives on: the Sandbox, or its account.
    pub(crate) fn provider_of(&self, s: &Server) -> AppResult<Arc<dyn Provider>> {
        if s.provider == ProviderKind::Sandbox {
            return self.provider(ProviderKind::Sandbox);
        }
        let account = self
            .store
            .read(|c| Ok::<_, AppError>(cs_store::servers::account_of(c, s.id)?))?;
        match account {
            Some(a) => self.account_provider(s.provider, &a),
            None => Err(AppError::Unavailable(format!(
                "Server {} is not on any {} account",
                s.label,
                s.provider.display_name()
            ))),
        }
    }
}

/// The label typed for a provider account: trimmed, none when empty, at most
/// 64 characters.
pub(crate) fn account_label(label: Option<&str>) -> crate::AppResult<Option<String>> {
    let label = label.map(str::trim).filter(|l| !l.is_empty());
    if label.is_some_and(|l| l.chars().count() > 64) {
        return Err(crate::AppError::validation(
            "label",
            "Keep the account label to 64 characters",
        ));
    }
    Ok(label.map(str::to_string))
}
