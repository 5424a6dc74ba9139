//! Linode accounts: a reseller connects one or more, each with a personal
//! access token (checked against the API, scopes and expiry shown, kept in the
//! OS keyring under `SecretKeys::linode_token` (`crate::secrets`) — never in SQLite or logs).
//! Each account has a label, its API root, its own catalogue and its own
//! event cursor (`migrations/0009_provider_accounts.sql`); every server
//! records the account it lives on, and every provider call about it goes to
//! that account.

use std::sync::Arc;

use chrono::Duration;
use cs_core::Server;
use cs_linode::{ApiToken, ClientConfig, LinodeClient, LinodeError, LinodeProvider};
use cs_secrets::SecretValue;
use cs_store::{fmt_ts, parse_ts};

use super::api_root;
use super::store::{self, TokenCheck};
use crate::dto::{AddLinodeAccountInput, LinodeAccountDto, ProviderInfo};
use crate::Subject;
use crate::{App, AppError, AppResult};

/// The environment variable that points the app at another Linode API root
/// (the fake Linode in end-to-end tests and demos) when none is given.
pub const BASE_URL_ENV: &str = "CS_LINODE_BASE_URL";

/// A token expiring within this is warned about.
pub const EXPIRY_WARNING: Duration = Duration::days(14);

/// The catalogue and event-cursor key of an account (`linode:<id>`).
pub(crate) fn account_key(account_id: &str) -> String {
    format!("linode:{account_id}")
}

/// What a token check learned: the account summary and what the token list
/// says about the token in use.
async fn token_check<'a>(
    client: &LinodeClient,
    summary: &'a cs_linode::AccountSummary,
    at: cs_core::Timestamp,
) -> TokenCheck<'a> {
    let (expiry_known, expiry, expiry_note) = token_expiry(client).await;
    TokenCheck {
        username: &summary.username,
        email: summary.email.as_deref(),
        restricted: summary.restricted,
        scopes: &summary.scopes,
        expiry_known,
        expiry,
        expiry_note,
        at,
    }
}

/// What the token list says about the token in use: (known, expiry, note).
async fn token_expiry(client: &LinodeClient) -> (bool, Option<String>, Option<String>) {
    match client.current_token().await {
        Ok(Some(t)) => (true, t.expiry.map(|e| fmt_ts(&e)), None),
        Ok(None) => (false, None, Some("This token is not in the account's list of personal access tokens (an OAuth token?), so its expiry is unknown".into())),
        Err(LinodeError::ForbiddenScope { .. }) => (false, None, Some("The token may not read the token list: add the account:read_only scope to see its expiry".into())),
        Err(e) => (false, None, Some(format!("The token's expiry could not be read: {e}"))),
    }
}

/// The API root an account with `stored` talks to now (its own, else the
/// `CS_LINODE_BASE_URL` override, else Linode's), checked.
fn effective_root(stored: Option<&str>) -> AppResult<Option<String>> {
    api_root::LINODE
        .effective_now(stored)
        .map_err(|m| AppError::validation("baseUrl", m))
}

async fn connect(
    base_url: Option<String>,
    token: &str,
) -> AppResult<(LinodeProvider, cs_linode::AccountSummary)> {
    LinodeProvider::connect(base_url, ApiToken::new(token.to_string()))
        .await
        .map_err(|e| match e {
            cs_provider::ProviderError::Auth(m) => AppError::validation("token", m),
            cs_provider::ProviderError::Validation { message, .. } => {
                AppError::validation("baseUrl", message)
            }
            other => AppError::Provider(other),
        })
}

fn trimmed_token(token: &str) -> AppResult<&str> {
    let token = token.trim();
    if token.is_empty() {
        return Err(AppError::validation(
            "token",
            "Paste a Linode personal access token (Linode Cloud Manager → My Profile → API Tokens)",
        ));
    }
    Ok(token)
}

impl App {
    /// Checks `token` against Linode (or the API root given, e.g. the fake
    /// Linode), then keeps it in the keyring and adds the account, with its
    /// catalogue imported at once.
    pub async fn add_linode_account(
        &self,
        input: AddLinodeAccountInput,
    ) -> AppResult<LinodeAccountDto> {
        let token = trimmed_token(&input.token)?;
        // What the account stores: the root typed, never the environment's.
        let base_url = api_root::LINODE
            .stored_root(input.base_url.as_deref())
            .map_err(|m| AppError::validation("baseUrl", m))?;
        let root = effective_root(base_url.as_deref())?;
        let wanted_label = super::account_label(input.label.as_deref())?;
        let (provider, summary) = connect(root, token).await?;
        let now = self.now();
        let check = token_check(provider.client(), &summary, now).await;
        let existing = self.store.read(store::live_accounts)?;
        if let Some(same) = existing.iter().find(|a| {
            a.username.as_deref() == Some(summary.username.as_str()) && a.base_url == base_url
        }) {
            return Err(AppError::validation(
                "token",
                format!("This token belongs to Linode user {}, already connected as account “{}”: use Replace token there instead", summary.username, same.label),
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
                let base = summary.username.clone();
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
            &self.secret_keys.linode_token(&id),
            &SecretValue::new(token),
        )?;
        let written = self.write(|tx| {
            store::insert_account(tx, &id, &label, base_url.as_deref(), &check)?;
            // Linode servers left without an account (the single account of
            // before 0009 was disconnected while they lived) belong to the
            // first account connected again.
            if existing.is_empty() {
                cs_store::servers::adopt_unassigned_linode(tx, &id)?;
            }
            tx.record(
                now,
                "provider.account_added",
                Subject::provider(&id),
                format!(
                    "Connected Linode account {label} (user {})",
                    summary.username
                ),
            )
        });
        if let Err(e) = written {
            // Nothing points at the secret: do not leave it behind.
            let _ = self.secrets.delete(&self.secret_keys.linode_token(&id));
            return Err(e);
        }
        self.linode
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone(), Arc::new(provider));
        // Import the catalogue now, so plans can be built at once. A failure
        // is kept with the catalogue's state (shown in Settings → Providers)
        // and retried by the reconciler; the account stays connected.
        if let Err(e) = self.refresh_account_catalogue(&id).await {
            tracing::warn!(error = %e, account = %id, "importing the Linode catalogue after connecting failed");
        }
        self.linode_account(&id)
    }

    /// Every connected Linode account, oldest first.
    pub fn linode_accounts(&self) -> AppResult<Vec<LinodeAccountDto>> {
        let rows = self.store.read(store::live_accounts)?;
        rows.iter().map(|a| self.account_dto(a)).collect()
    }

    pub fn linode_account(&self, id: &str) -> AppResult<LinodeAccountDto> {
        let row = self
            .store
            .read(|c| store::account_of(c, id.trim(), "linode"))?
            .ok_or_else(|| no_account(id))?;
        self.account_dto(&row)
    }

    /// Checks the account's token again ("Test"): it still works, its scopes
    /// and its expiry. The account is updated with what Linode says.
    pub async fn test_linode_account(&self, id: &str) -> AppResult<LinodeAccountDto> {
        let row = self
            .store
            .read(|c| store::account_of(c, id.trim(), "linode"))?
            .ok_or_else(|| no_account(id))?;
        let token = self.secrets.get(&self.secret_keys.linode_token(&row.id))?.ok_or_else(|| {
            AppError::Unavailable(format!("The token of account “{}” is missing from the keyring: use Replace token to paste it again", row.label))
        })?;
        let (provider, summary) = match connect(
            effective_root(row.base_url.as_deref())?,
            token.expose(),
        )
        .await
        {
            Ok(p) => p,
            Err(AppError::Validation(_)) => {
                return Err(AppError::validation("token", format!("Linode refused the token of account “{}” (expired, revoked or missing scopes): paste a new one with Replace token; the account and its servers stay", row.label)));
            }
            Err(e) => return Err(e),
        };
        self.save_check(
            &row,
            &provider,
            &summary,
            "provider.account_tested",
            format!("Tested Linode account {}: the token works", row.label),
        )
        .await?;
        self.linode
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(row.id.clone(), Arc::new(provider));
        self.linode_account(&row.id)
    }

    /// Puts a new token on an existing account (the old one expired or was
    /// revoked): the account, its servers and its catalogue stay. The token
    /// must belong to the same Linode user, since the servers live there.
    pub async fn replace_linode_token(&self, id: &str, token: &str) -> AppResult<LinodeAccountDto> {
        let token = trimmed_token(token)?;
        let row = self
            .store
            .read(|c| store::account_of(c, id.trim(), "linode"))?
            .ok_or_else(|| no_account(id))?;
        let (provider, summary) = connect(effective_root(row.base_url.as_deref())?, token).await?;
        if let Some(user) = &row.username {
            if user != &summary.username {
                return Err(AppError::validation(
                    "token",
                    format!("This token belongs to Linode user {}, but account “{}” is user {user}, where its servers live: paste a token of {user}, or add the other user as a new account", summary.username, row.label),
                ));
            }
        }
        self.secrets.set(
            &self.secret_keys.linode_token(&row.id),
            &SecretValue::new(token),
        )?;
        self.save_check(
            &row,
            &provider,
            &summary,
            "provider.token_replaced",
            format!("Replaced the token of Linode account {}", row.label),
        )
        .await?;
        self.linode
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(row.id.clone(), Arc::new(provider));
        self.linode_account(&row.id)
    }

    async fn save_check(
        &self,
        row: &store::AccountRow,
        provider: &LinodeProvider,
        summary: &cs_linode::AccountSummary,
        action: &str,
        text: String,
    ) -> AppResult<()> {
        let now = self.now();
        let check = token_check(provider.client(), summary, now).await;
        self.write(|tx| {
            store::save_token_check(tx, &row.id, &check)?;
            tx.record(now, action, Subject::provider(&row.id), text)
        })
    }

    /// Removes an account and its token from the keyring. Refused while
    /// servers live on it.
    pub fn remove_linode_account(&self, id: &str) -> AppResult<Vec<LinodeAccountDto>> {
        let row = self
            .store
            .read(|c| store::account_of(c, id.trim(), "linode"))?
            .ok_or_else(|| no_account(id))?;
        let servers = self
            .store
            .read(|c| Ok::<_, AppError>(cs_store::servers::count_live_on_account(c, &row.id)?))?;
        if servers > 0 {
            return Err(AppError::Conflict(format!(
                "Account “{}” still has {servers} server{} on it: delete {} first (or keep the account); removing it would leave them unmanaged and unbilled",
                row.label,
                if servers == 1 { "" } else { "s" },
                if servers == 1 { "it" } else { "them" }
            )));
        }
        let now = self.now();
        let key = account_key(&row.id);
        self.write(|tx| {
            if cs_store::servers::count_live_on_account(tx, &row.id)? > 0 {
                return Err(AppError::Conflict(format!(
                    "A server was just created on account “{}”: it cannot be removed now",
                    row.label
                )));
            }
            store::remove_account(tx, &row.id, &key, now)?;
            tx.record(
                now,
                "provider.account_removed",
                Subject::provider(&row.id),
                format!("Removed Linode account {} and its token", row.label),
            )
        })?;
        self.linode
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&row.id);
        // After the account is gone from the store, so a refused removal never
        // loses a token that is still in use.
        if let Err(e) = self.secrets.delete(&self.secret_keys.linode_token(&row.id)) {
            return Err(AppError::Unavailable(format!(
                "Account “{}” was removed, but its token could not be deleted from the system keyring ({e}): delete the entry {} with your keyring tool",
                row.label,
                self.secret_keys.linode_token(&row.id)
            )));
        }
        self.linode_accounts()
    }

    /// Loads the accounts saved by an earlier run, without calling Linode.
    /// The token of the single account of before 0009 is moved, once, from
    /// `linode/token` to the account's own key.
    pub(crate) fn load_linode(&self) -> AppResult<()> {
        let rows = self.store.read(store::live_accounts)?;
        for row in rows {
            let key = self.secret_keys.linode_token(&row.id);
            if row.legacy_token {
                match self.secrets.get(crate::secrets::legacy::LINODE_TOKEN) {
                    Ok(Some(old)) => {
                        self.secrets.set(&key, &old)?;
                        self.secrets.delete(crate::secrets::legacy::LINODE_TOKEN)?;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        // No keyring now: try again at the next start.
                        tracing::warn!(error = %e, "the Linode token of before multi-account support could not be read from the keyring");
                        continue;
                    }
                }
                self.write(|tx| store::clear_legacy_token(tx, &row.id))?;
            }
            let token = match self.secrets.get(&key) {
                Ok(Some(t)) => t,
                Ok(None) => {
                    tracing::warn!(account = %row.id, "the token of a Linode account is missing from the keyring");
                    continue;
                }
                Err(e) => {
                    // No keyring (a headless box without a Secret Service): the
                    // app still works on the Sandbox; say why Linode is missing.
                    tracing::warn!(error = %e, "a Linode token could not be read from the keyring");
                    continue;
                }
            };
            let root = match effective_root(row.base_url.as_deref()) {
                Ok(r) => r,
                Err(e) => {
                    // Never send the token to a root the check refuses.
                    tracing::warn!(account = %row.id, error = %e, "a Linode account's API root is refused; the account stays disconnected");
                    continue;
                }
            };
            let mut config = ClientConfig::new(ApiToken::new(token.expose().to_string()));
            if let Some(u) = &root {
                config = config.with_base_url(u.clone());
            }
            let client =
                LinodeClient::new(config).map_err(|e| AppError::Unavailable(e.to_string()))?;
            self.linode
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(row.id.clone(), Arc::new(LinodeProvider::new(client)));
        }
        Ok(())
    }

    fn account_dto(&self, a: &store::AccountRow) -> AppResult<LinodeAccountDto> {
        let connected = self
            .linode
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&a.id);
        let servers = self
            .store
            .read(|c| Ok::<_, AppError>(cs_store::servers::count_live_on_account(c, &a.id)?))?;
        let now = self.now();
        let expiry = a.token_expiry.as_deref().and_then(|e| parse_ts(e).ok());
        let (expired, warning) = match expiry {
            Some(e) if e <= now => (true, Some(format!("The token of “{}” expired on {}: Linode refuses it. Create a new token in Linode Cloud Manager (My Profile → API Tokens) and paste it with Replace token; the account and its servers stay.", a.label, e.format("%Y-%m-%d")))),
            Some(e) if e - now <= EXPIRY_WARNING => {
                // Whole days left, rounded up: a token made "for 5 days" says 5.
                let secs = (e - now).num_seconds();
                let days = (secs + 86_399) / 86_400;
                let when = if secs < 86_400 { "within a day".to_string() } else { format!("in {days} days") };
                (false, Some(format!("The token of “{}” expires {when} ({}): create a new token in Linode Cloud Manager (My Profile → API Tokens) and paste it with Replace token before then.", a.label, e.format("%Y-%m-%d"))))
            }
            _ => (false, None),
        };
        Ok(LinodeAccountDto {
            id: a.id.clone(),
            label: a.label.clone(),
            connected,
            username: a.username.clone(),
            email: a.email.clone(),
            restricted: a.restricted,
            scopes: a.scopes.clone(),
            base_url: a.base_url.clone(),
            api_root_warning: match effective_root(a.base_url.as_deref()) {
                Ok(root) => api_root::LINODE.warning(root.as_deref()),
                Err(e) => Some(e.to_string()),
            },
            connected_at: Some(a.connected_at.clone()),
            token_expiry: a.token_expiry.clone(),
            token_expiry_known: a.token_expiry_known,
            token_expiry_note: a.token_expiry_note.clone(),
            token_checked_at: a.token_checked_at.clone(),
            token_expired: expired,
            token_warning: warning,
            servers: crate::map::count(servers),
            catalogue: self.catalogue_status_of(&account_key(&a.id))?,
        })
    }

    pub(crate) fn linode_info(&self) -> AppResult<ProviderInfo> {
        let rows = self.store.read(store::live_accounts)?;
        let loaded = self.linode.read().unwrap_or_else(|e| e.into_inner()).len();
        Ok(ProviderInfo {
            kind: "linode".into(),
            name: "Linode".into(),
            connected: loaded > 0,
            capabilities: super::capabilities_dto(&cs_provider::Capabilities::default()),
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

    /// The account used where no server says which (the plan form, the
    /// catalogue offered to plans): the oldest connected one.
    pub(crate) fn default_linode_account(&self) -> AppResult<String> {
        let rows = self.store.read(store::live_accounts)?;
        let loaded = self.linode.read().unwrap_or_else(|e| e.into_inner());
        rows.into_iter()
            .map(|a| a.id)
            .find(|id| loaded.contains_key(id))
            .ok_or_else(not_connected)
    }

    /// The provider of one Linode account.
    pub(crate) fn linode_provider(&self, account_id: &str) -> AppResult<Arc<LinodeProvider>> {
        if let Some(p) = self
            .linode
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(account_id)
            .cloned()
        {
            return Ok(p);
        }
        let label = self.store.read(|c| store::account_label(c, account_id))?;
        Err(match label {
            Some(l) => AppError::Unavailable(format!("Linode account “{l}” is not connected (its token is missing from the keyring or it was removed): use Replace token in Settings → Providers")),
            None => not_connected(),
        })
    }

    /// The Linode provider of the account `s` lives on.
    pub(crate) fn linode_of(&self, s: &Server) -> AppResult<Arc<LinodeProvider>> {
        let account = self
            .store
            .read(|c| Ok::<_, AppError>(cs_store::servers::account_of(c, s.id)?))?;
        match account {
            Some(a) => self.linode_provider(&a),
            None => Err(AppError::Unavailable(format!(
                "Server {} is not on any Linode account",
                s.label
            ))),
        }
    }

    /// The account a new Linode server goes on: the one chosen, or the only
    /// one. `Err` names the field.
    pub(crate) fn choose_linode_account(
        &self,
        chosen: Option<&str>,
    ) -> Result<String, (String, String)> {
        let rows = self
            .store
            .read(store::live_accounts)
            .map_err(|e| ("accountId".to_string(), e.to_string()))?;
        let loaded: Vec<String> = {
            let map = self.linode.read().unwrap_or_else(|e| e.into_inner());
            rows.iter()
                .filter(|a| map.contains_key(&a.id))
                .map(|a| a.id.clone())
                .collect()
        };
        match chosen.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => match rows.iter().find(|a| a.id == c) {
                Some(a) if loaded.contains(&a.id) => Ok(a.id.clone()),
                Some(a) => Err(("accountId".into(), format!("Linode account “{}” is not connected (its token is missing): replace its token in Settings → Providers or choose another account", a.label))),
                None => Err(("accountId".into(), format!("There is no Linode account {c:?}: refresh and choose one from the list"))),
            },
            None => match loaded.len() {
                0 => Err(("planId".into(), "Linode is not connected: add a Linode account in Settings → Providers, or choose a Sandbox plan".into())),
                1 => Ok(loaded[0].clone()),
                _ => Err(("accountId".into(), "Choose the Linode account this server goes on".into())),
            },
        }
    }

    /// Every loaded account: (id, provider).
    pub(crate) fn linode_accounts_loaded(&self) -> Vec<(String, Arc<LinodeProvider>)> {
        self.linode
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

fn no_account(id: &str) -> AppError {
    AppError::NotFound(format!(
        "There is no Linode account {id:?}: refresh Settings → Providers"
    ))
}

fn not_connected() -> AppError {
    AppError::Unavailable("Linode is not connected: add a Linode account in Settings → Providers, or use the Sandbox provider".into())
}
