//! The Linode account: connecting it with a personal access token (checked
//! against the API, scopes shown, token kept in the OS keyring — never in
//! SQLite or logs), loading it at start, disconnecting it.

use std::sync::Arc;

use cs_linode::{ApiToken, ClientConfig, LinodeClient, LinodeProvider};
use cs_secrets::SecretValue;
use cs_store::settings;

use crate::dto::{LinodeAccountDto, ProviderInfo};
use crate::{App, AppError, AppResult};

const TOKEN_KEY: &str = "linode/token";
const BASE_URL_KEY: &str = "linode.base_url";
const ACCOUNT_KEY: &str = "linode.account";
/// What the token check learned (username, email, scopes), as JSON: shown in
/// Settings → Providers. Nothing secret.
const ACCOUNT_DETAIL_KEY: &str = "linode.account_detail";

/// The environment variable that points the app at another Linode API root
/// (the fake Linode in end-to-end tests and demos) when none is given.
pub const BASE_URL_ENV: &str = "CS_LINODE_BASE_URL";

impl App {
    /// Checks `token` against Linode (or `base_url`, e.g. the fake Linode),
    /// then keeps it in the keyring and uses the account from now on.
    pub async fn connect_linode(&self, token: &str, base_url: Option<String>) -> AppResult<ProviderInfo> {
        let token = token.trim();
        if token.is_empty() {
            return Err(AppError::validation("token", "Paste a Linode personal access token (Linode Cloud Manager → My Profile → API Tokens)"));
        }
        let base_url = base_url.map(|u| u.trim().to_string()).filter(|u| !u.is_empty()).or_else(|| std::env::var(BASE_URL_ENV).ok().filter(|u| !u.trim().is_empty()));
        if let Some(u) = &base_url {
            if !(u.starts_with("https://") || u.starts_with("http://127.") || u.starts_with("http://localhost") || u.starts_with("http://[::1]")) {
                return Err(AppError::validation("baseUrl", format!("{u:?} is not an API address: use https://… (or http:// on this computer, for the fake Linode)")));
            }
        }
        let (provider, summary) = LinodeProvider::connect(base_url.clone(), ApiToken::new(token.to_string())).await.map_err(|e| match e {
            cs_provider::ProviderError::Auth(m) => AppError::validation("token", m),
            cs_provider::ProviderError::Validation { message, .. } => AppError::validation("baseUrl", message),
            other => AppError::Provider(other),
        })?;
        self.secrets.set(TOKEN_KEY, &SecretValue::new(token))?;
        let now = self.now();
        let account = format!("{} ({} scopes)", summary.username, if summary.full_access { "all".to_string() } else { summary.scopes.len().to_string() });
        self.write(|tx| {
            settings::set(tx, ACCOUNT_KEY, &account)?;
            let detail = serde_json::json!({
                "username": summary.username, "email": summary.email, "restricted": summary.restricted,
                "scopes": summary.scopes, "connected_at": cs_store::fmt_ts(&now),
            });
            settings::set(tx, ACCOUNT_DETAIL_KEY, &detail.to_string())?;
            match &base_url {
                Some(u) => settings::set(tx, BASE_URL_KEY, u)?,
                None => {
                    tx.execute("DELETE FROM settings WHERE key = ?1", [BASE_URL_KEY])?;
                }
            }
            self.record(tx, now, "provider.connected", "provider", Some("linode".into()), None, format!("Connected Linode account {}", summary.username))
        })?;
        *self.linode.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(provider));
        // Import the catalogue now, so plans can be built at once. A failure
        // is kept with the catalogue's state (shown in Settings → Providers)
        // and retried by the reconciler; the account stays connected.
        if let Err(e) = self.refresh_catalogue("linode").await {
            tracing::warn!(error = %e, "importing the Linode catalogue after connecting failed");
        }
        self.linode_info()
    }

    /// Forgets the account and removes its token from the keyring.
    pub fn disconnect_linode(&self) -> AppResult<ProviderInfo> {
        self.secrets.delete(TOKEN_KEY)?;
        let now = self.now();
        self.write(|tx| {
            tx.execute("DELETE FROM settings WHERE key IN (?1, ?2, ?3)", [ACCOUNT_KEY, BASE_URL_KEY, ACCOUNT_DETAIL_KEY])?;
            self.record(tx, now, "provider.disconnected", "provider", Some("linode".into()), None, "Disconnected the Linode account".into())
        })?;
        *self.linode.write().unwrap_or_else(|e| e.into_inner()) = None;
        self.linode_info()
    }

    /// Loads the account saved by an earlier run, without calling Linode.
    pub(crate) fn load_linode(&self) -> AppResult<()> {
        let token = match self.secrets.get(TOKEN_KEY) {
            Ok(Some(t)) => t,
            Ok(None) => return Ok(()),
            Err(e) => {
                // No keyring (a headless box without a Secret Service): the
                // app still works on the Sandbox; say why Linode is missing.
                tracing::warn!(error = %e, "the Linode token could not be read from the keyring");
                return Ok(());
            }
        };
        let base_url = self.store.read(|c| Ok::<_, AppError>(settings::get(c, BASE_URL_KEY)?))?;
        let mut config = ClientConfig::new(ApiToken::new(token.expose().to_string()));
        if let Some(u) = base_url {
            config = config.with_base_url(u);
        }
        let client = LinodeClient::new(config).map_err(|e| AppError::Unavailable(e.to_string()))?;
        *self.linode.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(LinodeProvider::new(client)));
        Ok(())
    }

    /// The connected account for Settings → Providers: who, which scopes,
    /// which API, and the cached catalogue's state.
    pub fn linode_account(&self) -> AppResult<LinodeAccountDto> {
        let connected = self.linode.read().unwrap_or_else(|e| e.into_inner()).is_some();
        let (detail, base_url) = self.store.read(|c| Ok::<_, AppError>((settings::get(c, ACCOUNT_DETAIL_KEY)?, settings::get(c, BASE_URL_KEY)?)))?;
        let d: serde_json::Value = detail.and_then(|d| serde_json::from_str(&d).ok()).unwrap_or_default();
        let text = |k: &str| d.get(k).and_then(|v| v.as_str()).map(str::to_string);
        Ok(LinodeAccountDto {
            connected,
            username: text("username"),
            email: text("email"),
            restricted: d.get("restricted").and_then(|v| v.as_bool()).unwrap_or(false),
            scopes: d.get("scopes").and_then(|v| v.as_array()).map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()).unwrap_or_default(),
            base_url: if connected { base_url } else { None },
            connected_at: text("connected_at"),
            catalogue: self.catalogue_status("linode")?,
        })
    }

    pub(crate) fn linode_info(&self) -> AppResult<ProviderInfo> {
        let connected = self.linode.read().unwrap_or_else(|e| e.into_inner()).is_some();
        let account = self.store.read(|c| Ok::<_, AppError>(settings::get(c, ACCOUNT_KEY)?))?;
        Ok(ProviderInfo {
            kind: "linode".into(),
            name: "Linode".into(),
            connected,
            detail: match (connected, account) {
                (true, Some(a)) => format!("Connected as {a}"),
                (true, None) => "Connected".into(),
                (false, _) => "Not connected".into(),
            },
        })
    }
}
