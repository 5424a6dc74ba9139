//! DigitalOcean accounts, beside Linode's: a reseller connects one or more,
//! each with a personal access token checked against the API (the account's
//! status, email and Droplet limit; a read-only token or a locked account is
//! refused with the reason) and kept in the OS keyring under
//! `SecretKeys::digitalocean_token` (`crate::secrets`) — never in SQLite or
//! logs. Like a Linode account, each has a label, its API root (the same
//! `remote_url` rule), its own catalogue (`digitalocean:<id>`) and its own
//! event cursor (DigitalOcean's actions); every server records the account
//! it lives on.

use std::sync::Arc;

use cs_digitalocean::{ApiToken, ClientConfig, DigitalOceanClient, DigitalOceanProvider};
use cs_provider::NoteTopic;
use cs_secrets::SecretValue;

use super::api_root::DIGITALOCEAN;
use super::store::{self, DigitalOceanCheck};
use crate::dto::{AddDigitalOceanAccountInput, DigitalOceanAccountDto, ProviderInfo};
use crate::Subject;
use crate::{App, AppError, AppResult};

/// The environment variable that points the app at another DigitalOcean API
/// root (the fake DigitalOcean in end-to-end tests and demos) when none is given.
pub const BASE_URL_ENV: &str = "CS_DIGITALOCEAN_BASE_URL";

const PROVIDER: &str = "digitalocean";

/// The catalogue and event-cursor key of an account (`digitalocean:<id>`).
pub(crate) fn account_key(account_id: &str) -> String {
    format!("digitalocean:{account_id}")
}

fn effective_root(stored: Option<&str>) -> AppResult<Option<String>> {
    DIGITALOCEAN
        .effective_now(stored)
        .map_err(|m| AppError::validation("baseUrl", m))
}

async fn connect(
    base_url: Option<String>,
    token: &str,
) -> AppResult<(DigitalOceanProvider, cs_digitalocean::AccountSummary)> {
    DigitalOceanProvider::connect(base_url, ApiToken::new(token))
        .await
        .map_err(|e| match e {
            cs_provider::ProviderError::Auth(m) => AppError::validation("token", capitalised(&m)),
            cs_provider::ProviderError::Validation { message, .. } => {
                AppError::validation("baseUrl", message)
            }
            other => AppError::Provider(other),
        })
}

/// DigitalOcean's client words its errors as clauses; the form shows sentences.
fn capitalised(m: &str) -> String {
    let mut c = m.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn trimmed_token(token: &str) -> AppResult<&str> {
    let token = token.trim();
    if token.is_empty() {
        return Err(AppError::validation(
            "token",
            "Paste a DigitalOcean personal access token (DigitalOcean control panel → API → Tokens → Generate New Token, with Full Access)",
        ));
    }
    Ok(token)
}

fn check_of(
    summary: &cs_digitalocean::AccountSummary,
    at: cs_core::Timestamp,
) -> DigitalOceanCheck<'_> {
    DigitalOceanCheck {
        uuid: &summary.uuid,
        email: &summary.email,
        team: summary.team.as_deref(),
        status: &summary.status,
        status_note: Some(summary.status_message.as_str()).filter(|m| !m.is_empty()),
        droplet_limit: summary.droplet_limit,
        at,
    }
}

impl App {
    /// Checks `token` against DigitalOcean (or the API root given, e.g. the
    /// fake DigitalOcean), then keeps it in the keyring and adds the account,
    /// with its catalogue imported at once.
    pub async fn add_digitalocean_account(
        &self,
        input: AddDigitalOceanAccountInput,
    ) -> AppResult<DigitalOceanAccountDto> {
        let token = trimmed_token(&input.token)?;
        let base_url = DIGITALOCEAN
            .stored_root(input.base_url.as_deref())
            .map_err(|m| AppError::validation("baseUrl", m))?;
        let root = effective_root(base_url.as_deref())?;
        let wanted_label = super::account_label(input.label.as_deref())?;
        let (provider, summary) = connect(root, token).await?;
        let now = self.now();
        let existing = self.store.read(|c| store::live_accounts_of(c, PROVIDER))?;
        if let Some(same) = existing.iter().find(|a| {
            a.account_uuid.as_deref() == Some(summary.uuid.as_str()) && a.base_url == base_url
        }) {
            return Err(AppError::validation(
                "token",
                format!("This token belongs to DigitalOcean account {}, already connected as “{}”: use Replace token there instead", summary.email, same.label),
            ));
        }
        let label = match wanted_label {
            Some(l) => {
                if existing.iter().any(|a| a.label == l) {
                    return Err(AppError::validation(
                        "label",
                        format!("An account is already labelled {l:?}: choose another label"),
                    ));
                }
                l
            }
            None => {
                let base = summary
                    .team
                    .clone()
                    .unwrap_or_else(|| summary.email.clone());
                let mut label = base.clone();
                let mut n = 2;
                while existing.iter().any(|a| a.label == label) {
                    label = format!("{base} ({n})");
                    n += 1;
                }
                label
            }
        };
        let id = format!("acc-{}", &crate::new_uuid().simple().to_string()[..16]);
        self.secrets.set(
            &self.secret_keys.digitalocean_token(&id),
            &SecretValue::new(token),
        )?;
        let check = check_of(&summary, now);
        let written = self.write(|tx| {
            store::insert_digitalocean_account(tx, &id, &label, base_url.as_deref(), &check)?;
            tx.record(
                now,
                "provider.account_added",
                Subject::provider(&id),
                format!(
                    "Connected DigitalOcean account {label} ({}, up to {} Droplets)",
                    summary.email, summary.droplet_limit
                ),
            )
        });
        if let Err(e) = written {
            let _ = self
                .secrets
                .delete(&self.secret_keys.digitalocean_token(&id));
            return Err(e);
        }
        self.digitalocean
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone(), Arc::new(provider));
        if let Err(e) = self.refresh_account_catalogue(&id).await {
            tracing::warn!(error = %e, account = %id, "importing the DigitalOcean catalogue after connecting failed");
        }
        self.digitalocean_account(&id)
    }

    /// Every connected DigitalOcean account, oldest first.
    pub fn digitalocean_accounts(&self) -> AppResult<Vec<DigitalOceanAccountDto>> {
        let rows = self.store.read(|c| store::live_accounts_of(c, PROVIDER))?;
        rows.iter().map(|a| self.digitalocean_dto(a)).collect()
    }

    pub fn digitalocean_account(&self, id: &str) -> AppResult<DigitalOceanAccountDto> {
        let row = self.digitalocean_row(id)?;
        self.digitalocean_dto(&row)
    }

    fn digitalocean_row(&self, id: &str) -> AppResult<store::AccountRow> {
        self.store
            .read(|c| store::account_of(c, id.trim(), PROVIDER))?
            .ok_or_else(|| no_account(id))
    }

    /// Checks the account's token again ("Test"); the account is updated with
    /// what DigitalOcean says.
    pub async fn test_digitalocean_account(&self, id: &str) -> AppResult<DigitalOceanAccountDto> {
        let row = self.digitalocean_row(id)?;
        let token = self.secrets.get(&self.secret_keys.digitalocean_token(&row.id))?.ok_or_else(|| {
            AppError::Unavailable(format!("The token of account “{}” is missing from the keyring: use Replace token to paste it again", row.label))
        })?;
        let (provider, summary) = match connect(
            effective_root(row.base_url.as_deref())?,
            token.expose(),
        )
        .await
        {
            Ok(p) => p,
            Err(AppError::Validation(v)) => {
                let why = v.0.first().map(|f| f.message.clone()).unwrap_or_default();
                return Err(AppError::validation("token", format!("DigitalOcean refused the token of account “{}” ({why}): paste a new one with Replace token; the account and its servers stay", row.label)));
            }
            Err(e) => return Err(e),
        };
        self.save_digitalocean_check(
            &row,
            &summary,
            "provider.account_tested",
            format!("Tested DigitalOcean account {}: the token works", row.label),
        )?;
        self.digitalocean
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(row.id.clone(), Arc::new(provider));
        self.digitalocean_account(&row.id)
    }

    /// Puts a new token on an existing account; it must belong to the same
    /// DigitalOcean account, where the servers live.
    pub async fn replace_digitalocean_token(
        &self,
        id: &str,
        token: &str,
    ) -> AppResult<DigitalOceanAccountDto> {
        let token = trimmed_token(token)?;
        let row = self.digitalocean_row(id)?;
        let (provider, summary) = connect(effective_root(row.base_url.as_deref())?, token).await?;
        if let Some(uuid) = &row.account_uuid {
            if uuid != &summary.uuid {
                return Err(AppError::validation(
                    "token",
                    format!("This token belongs to DigitalOcean account {}, but “{}” is another account, where its servers live: paste a token of that account, or add this one as a new account", summary.email, row.label),
                ));
            }
        }
        self.secrets.set(
            &self.secret_keys.digitalocean_token(&row.id),
            &SecretValue::new(token),
        )?;
        self.save_digitalocean_check(
            &row,
            &summary,
            "provider.token_replaced",
            format!("Replaced the token of DigitalOcean account {}", row.label),
        )?;
        self.digitalocean
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(row.id.clone(), Arc::new(provider));
        self.digitalocean_account(&row.id)
    }

    fn save_digitalocean_check(
        &self,
        row: &store::AccountRow,
        summary: &cs_digitalocean::AccountSummary,
        action: &str,
        text: String,
    ) -> AppResult<()> {
        let now = self.now();
        let check = check_of(summary, now);
        self.write(|tx| {
            store::save_digitalocean_check(tx, &row.id, &check)?;
            tx.record(now, action, Subject::provider(&row.id), text)
        })
    }

    /// Removes an account and its token from the keyring. Refused while
    /// servers live on it.
    pub fn remove_digitalocean_account(&self, id: &str) -> AppResult<Vec<DigitalOceanAccountDto>> {
        let row = self.digitalocean_row(id)?;
        let busy = |n: i64| {
            AppError::Conflict(format!(
                "Account “{}” still has {n} server{} on it: delete {} first (or keep the account); removing it would leave them unmanaged and unbilled",
                row.label,
                if n == 1 { "" } else { "s" },
                if n == 1 { "it" } else { "them" }
            ))
        };
        let servers = self
            .store
            .read(|c| Ok::<_, AppError>(cs_store::servers::count_live_on_account(c, &row.id)?))?;
        if servers > 0 {
            return Err(busy(servers));
        }
        let now = self.now();
        let key = account_key(&row.id);
        self.write(|tx| {
            let n = cs_store::servers::count_live_on_account(tx, &row.id)?;
            if n > 0 {
                return Err(busy(n));
            }
            store::remove_account(tx, &row.id, &key, now)?;
            tx.record(
                now,
                "provider.account_removed",
                Subject::provider(&row.id),
                format!("Removed DigitalOcean account {} and its token", row.label),
            )
        })?;
        self.digitalocean
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&row.id);
        let secret = self.secret_keys.digitalocean_token(&row.id);
        if let Err(e) = self.secrets.delete(&secret) {
            return Err(AppError::Unavailable(format!(
                "Account “{}” was removed, but its token could not be deleted from the system keyring ({e}): delete the entry {secret} with your keyring tool",
                row.label
            )));
        }
        self.digitalocean_accounts()
    }

    /// Loads the accounts saved by an earlier run, without calling DigitalOcean.
    pub(crate) fn load_digitalocean(&self) -> AppResult<()> {
        let rows = self.store.read(|c| store::live_accounts_of(c, PROVIDER))?;
        for row in rows {
            let token = match self
                .secrets
                .get(&self.secret_keys.digitalocean_token(&row.id))
            {
                Ok(Some(t)) => t,
                Ok(None) => {
                    tracing::warn!(account = %row.id, "the token of a DigitalOcean account is missing from the keyring");
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "a DigitalOcean token could not be read from the keyring");
                    continue;
                }
            };
            let root = match effective_root(row.base_url.as_deref()) {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(account = %row.id, error = %e, "a DigitalOcean account's API root is refused; the account stays disconnected");
                    continue;
                }
            };
            let mut config = ClientConfig::new(ApiToken::new(token.expose()));
            if let Some(u) = &root {
                config = config.with_base_url(u.clone());
            }
            let client = DigitalOceanClient::new(config)
                .map_err(|e| AppError::Unavailable(e.to_string()))?;
            self.digitalocean
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(row.id.clone(), Arc::new(DigitalOceanProvider::new(client)));
        }
        Ok(())
    }

    fn digitalocean_dto(&self, a: &store::AccountRow) -> AppResult<DigitalOceanAccountDto> {
        let connected = self
            .digitalocean
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&a.id);
        let servers = self
            .store
            .read(|c| Ok::<_, AppError>(cs_store::servers::count_live_on_account(c, &a.id)?))?;
        let caps = cs_digitalocean::capabilities();
        Ok(DigitalOceanAccountDto {
            id: a.id.clone(),
            label: a.label.clone(),
            connected,
            email: a.email.clone(),
            team: a.username.clone(),
            status: a.account_status.clone(),
            status_note: a.account_status_note.clone(),
            droplet_limit: a.droplet_limit.map(crate::map::count),
            base_url: a.base_url.clone(),
            api_root_warning: match effective_root(a.base_url.as_deref()) {
                Ok(root) => DIGITALOCEAN.warning(root.as_deref()),
                Err(e) => Some(e.to_string()),
            },
            connected_at: a.connected_at.clone(),
            token_checked_at: a.token_checked_at.clone(),
            servers: crate::map::count(servers),
            catalogue: self.catalogue_status_of(&account_key(&a.id))?,
            notes: caps
                .notes_on(NoteTopic::Account)
                .chain(caps.notes_on(NoteTopic::Catalogue))
                .map(str::to_string)
                .collect(),
        })
    }

    pub(crate) fn digitalocean_info(&self) -> AppResult<ProviderInfo> {
        let rows = self.store.read(|c| store::live_accounts_of(c, PROVIDER))?;
        let loaded = self
            .digitalocean
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .len();
        Ok(ProviderInfo {
            kind: PROVIDER.into(),
            name: "DigitalOcean".into(),
            connected: loaded > 0,
            capabilities: super::capabilities_dto(&cs_digitalocean::capabilities()),
            detail: match rows.len() {
                0 => "Not connected".into(),
                1 => format!("Connected as {}", rows[0].label),
                n => format!(
                    "{n} accounts: {}",
                    rows.iter()
                        .map(|a| a.label.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
        })
    }

    /// The provider of one DigitalOcean account.
    pub(crate) fn digitalocean_provider(
        &self,
        account_id: &str,
    ) -> AppResult<Arc<DigitalOceanProvider>> {
        if let Some(p) = self
            .digitalocean
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(account_id)
            .cloned()
        {
            return Ok(p);
        }
        let label = self.store.read(|c| store::account_label(c, account_id))?;
        Err(match label {
            Some(l) => AppError::Unavailable(format!("DigitalOcean account “{l}” is not connected (its token is missing from the keyring or it was removed): use Replace token in Settings → Providers")),
            None => not_connected(),
        })
    }

    /// Every loaded account: (id, provider), in account id order.
    pub(crate) fn digitalocean_accounts_loaded(&self) -> Vec<(String, Arc<DigitalOceanProvider>)> {
        self.digitalocean
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The ids of the live DigitalOcean accounts, oldest first, and which are loaded.
    pub(crate) fn digitalocean_account_ids(&self) -> AppResult<Vec<(String, String, bool)>> {
        let rows = self.store.read(|c| store::live_accounts_of(c, PROVIDER))?;
        let loaded = self.digitalocean.read().unwrap_or_else(|e| e.into_inner());
        Ok(rows
            .into_iter()
            .map(|a| {
                let l = loaded.contains_key(&a.id);
                (a.id, a.label, l)
            })
            .collect())
    }
}

fn no_account(id: &str) -> AppError {
    AppError::NotFound(format!(
        "There is no DigitalOcean account {id:?}: refresh Settings → Providers"
    ))
}

pub(crate) fn not_connected() -> AppError {
    AppError::Unavailable("DigitalOcean is not connected: add a DigitalOcean account in Settings → Providers, or use another provider".into())
}
