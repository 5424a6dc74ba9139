//! Settings → Payments: the PayPal REST app's client id, environment, API
//! base URL and webhook id in `settings`, its secret in the OS keyring only.

use std::sync::Arc;

use cs_paypal::{
    CertPolicy, Environment, PayPalClient, PayPalConfig, PayPalError, WebhookVerifier,
};
use cs_secrets::SecretValue;
use cs_store::rusqlite::Connection;
use cs_store::settings;

use super::PayPalRuntime;
use crate::dto::*;
use crate::{App, AppError, AppResult, Subject};

const CLIENT_ID_KEY: &str = "paypal.client_id";
const ENVIRONMENT_KEY: &str = "paypal.environment";
const BASE_URL_KEY: &str = "paypal.base_url";
const WEBHOOK_ID_KEY: &str = "paypal.webhook_id";
struct StoredSettings {
    client_id: String,
    environment: String,
    base_url: Option<String>,
    webhook_id: Option<String>,
}

fn stored_settings(c: &Connection) -> AppResult<Option<StoredSettings>> {
    let Some(client_id) = settings::get(c, CLIENT_ID_KEY)? else {
        return Ok(None);
    };
    Ok(Some(StoredSettings {
        client_id,
        environment: settings::get(c, ENVIRONMENT_KEY)?.unwrap_or_else(|| "sandbox".into()),
        base_url: settings::get(c, BASE_URL_KEY)?,
        webhook_id: settings::get(c, WEBHOOK_ID_KEY)?,
    }))
}

fn environment_of(environment: &str, base_url: Option<&str>) -> Environment {
    match (base_url, environment) {
        (Some(u), _) => Environment::Custom(u.to_string()),
        (None, "live") => Environment::Live,
        _ => Environment::Sandbox,
    }
}

fn build_runtime(s: &StoredSettings, secret: &str) -> AppResult<PayPalRuntime> {
    let environment = environment_of(&s.environment, s.base_url.as_deref());
    let client = PayPalClient::new(PayPalConfig::new(
        environment.clone(),
        s.client_id.clone(),
        secret.to_string(),
    ))
    .map_err(|e| AppError::validation("baseUrl", e.to_string()))?;
    let verifier = match &s.webhook_id {
        Some(id) => {
            let mut policy = CertPolicy::default();
            if let Some(u) = &s.base_url {
                // The override is where the app talks to PayPal: a test double
                // serves its certificate there.
                policy = policy
                    .with_test_origin(u)
                    .map_err(|e| AppError::validation("baseUrl", e.to_string()))?;
            }
            Some(WebhookVerifier::new(id.clone(), policy))
        }
        None => None,
    };
    let label = match &environment {
        Environment::Custom(u) => u.clone(),
        Environment::Live => "live".into(),
        Environment::Sandbox => "sandbox".into(),
    };
    Ok(PayPalRuntime {
        client,
        verifier,
        label,
    })
}

fn validate_settings(
    input: &PayPalSettingsInput,
    has_stored_secret: bool,
) -> AppResult<(StoredSettings, Option<String>)> {
    let mut e = cs_core::ValidationErrors::new();
    let client_id = input.client_id.trim().to_string();
    if client_id.is_empty() {
        e.add("clientId", "Paste the client id of your PayPal REST app (developer.paypal.com → Apps & Credentials)");
    } else if client_id.len() > 200 || client_id.chars().any(char::is_whitespace) {
        e.add(
            "clientId",
            "A PayPal client id is one word of letters, digits, - and _",
        );
    }
    let secret = input
        .secret
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    if secret.is_none() && !has_stored_secret {
        e.add("secret", "Paste the secret of your PayPal REST app");
    }
    if secret
        .as_deref()
        .is_some_and(|s| s.len() > 500 || s.chars().any(char::is_whitespace))
    {
        e.add(
            "secret",
            "A PayPal secret is one word without spaces: paste it again",
        );
    }
    let environment = input.environment.trim().to_ascii_lowercase();
    if !matches!(environment.as_str(), "sandbox" | "live") {
        e.add(
            "environment",
            "Choose sandbox (test money) or live (real money)",
        );
    }
    let base_url = input
        .base_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('/').to_string());
    if let Some(u) = &base_url {
        match url_parts(u) {
            Some(("https", _)) => {}
            Some(("http", host)) if host == "127.0.0.1" || host == "localhost" || host == "[::1]" => {}
            Some(("http", _)) => e.add("baseUrl", "Plain http is only allowed on this computer (127.0.0.1 or localhost): use an https:// URL"),
            _ => e.add("baseUrl", "Write a URL like https://api-m.sandbox.paypal.com, or leave it empty"),
        }
    }
    let webhook_id = input
        .webhook_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    if webhook_id
        .as_deref()
        .is_some_and(|w| w.len() > 64 || !w.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        e.add("webhookId", "A webhook id is letters and digits, e.g. 1JE4291016473214C (developer dashboard → your app → Webhooks)");
    }
    if !e.is_empty() {
        return Err(AppError::Validation(e));
    }
    Ok((
        StoredSettings {
            client_id,
            environment,
            base_url,
            webhook_id,
        },
        secret,
    ))
}

/// (scheme, host) of a simple absolute URL.
fn url_parts(u: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = u.split_once("://")?;
    let host_port = rest.split('/').next()?;
    if host_port.is_empty() || host_port.contains('@') || rest.contains(char::is_whitespace) {
        return None;
    }
    let host = if host_port.starts_with('[') {
        host_port.split_inclusive(']').next()?
    } else {
        host_port
            .rsplit_once(':')
            .map(|(h, _)| h)
            .unwrap_or(host_port)
    };
    Some((scheme, host))
}

/// Whether PayPal is set up in this database (its secret then belongs to it).
pub(crate) fn paypal_set_up(c: &Connection) -> AppResult<bool> {
    Ok(settings::get(c, CLIENT_ID_KEY)?.is_some())
}

impl App {
    /// Loads the PayPal account saved by an earlier run, without calling PayPal.
    pub(crate) fn load_paypal(&self) -> AppResult<()> {
        let Some(s) = self.store.read(stored_settings)? else {
            return Ok(());
        };
        let secret = match self.secrets.get(&self.secret_keys.paypal_secret()) {
            Ok(Some(s)) => s,
            Ok(None) => return Ok(()),
            Err(e) => {
                tracing::warn!(error = %e, "the PayPal secret could not be read from the keyring");
                return Ok(());
            }
        };
        match build_runtime(&s, secret.expose()) {
            Ok(rt) => *self.paypal.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(rt)),
            Err(e) => tracing::warn!(error = %e, "the saved PayPal settings are not usable"),
        }
        Ok(())
    }

    pub fn paypal_settings(&self) -> AppResult<PayPalSettingsDto> {
        let currency = self.currency()?;
        let (currency_supported, currency_note) = super::currency_note(currency);
        let stored = self.store.read(stored_settings)?;
        let has_secret = self
            .secrets
            .get(&self.secret_keys.paypal_secret())
            .ok()
            .flatten()
            .is_some();
        Ok(match stored {
            Some(s) => PayPalSettingsDto {
                configured: has_secret,
                effective_base_url: environment_of(&s.environment, s.base_url.as_deref())
                    .base_url()
                    .to_string(),
                client_id: s.client_id,
                has_secret,
                environment: s.environment,
                base_url: s.base_url,
                webhook_id: s.webhook_id,
                currency: currency.code().to_string(),
                currency_supported,
                currency_note,
            },
            None => PayPalSettingsDto {
                configured: false,
                client_id: String::new(),
                has_secret,
                environment: "sandbox".into(),
                base_url: None,
                webhook_id: None,
                effective_base_url: Environment::Sandbox.base_url().to_string(),
                currency: currency.code().to_string(),
                currency_supported,
                currency_note,
            },
        })
    }

    /// Saves the PayPal settings; the secret goes to the OS keyring only.
    /// Nothing is sent to PayPal: "Test connection" does that.
    pub fn save_paypal_settings(&self, input: PayPalSettingsInput) -> AppResult<PayPalSettingsDto> {
        let has_stored = self
            .secrets
            .get(&self.secret_keys.paypal_secret())?
            .is_some();
        let (s, secret) = validate_settings(&input, has_stored)?;
        let secret_value = match &secret {
            Some(v) => v.clone(),
            None => self
                .secrets
                .get(&self.secret_keys.paypal_secret())?
                .map(|v| v.expose().to_string())
                .unwrap_or_default(),
        };
        let runtime = build_runtime(&s, &secret_value)?;
        if let Some(v) = &secret {
            self.secrets.set(
                &self.secret_keys.paypal_secret(),
                &SecretValue::new(v.clone()),
            )?;
        }
        let now = self.now();
        self.write(|tx| {
            settings::set(tx, CLIENT_ID_KEY, &s.client_id)?;
            settings::set(tx, ENVIRONMENT_KEY, &s.environment)?;
            for (key, value) in [(BASE_URL_KEY, &s.base_url), (WEBHOOK_ID_KEY, &s.webhook_id)] {
                match value {
                    Some(v) => settings::set(tx, key, v)?,
                    None => settings::remove(tx, key)?,
                }
            }
            tx.record(
                now,
                "paypal.settings_updated",
                Subject::settings(Some("paypal")),
                format!(
                    "Updated the PayPal settings ({}{})",
                    runtime.label,
                    if secret.is_some() { ", new secret" } else { "" }
                ),
            )
        })?;
        *self.paypal.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(runtime));
        self.paypal_settings()
    }

    /// Gets an access token with the saved settings.
    pub async fn test_paypal_connection(&self) -> AppResult<PayPalConnectionTest> {
        let rt = self.paypal()?;
        match rt.client.check_credentials().await {
            Ok(()) => Ok(PayPalConnectionTest { message: format!("Connected: PayPal ({}) accepted the client id and secret", rt.label), base_url: rt.client.base_url().to_string() }),
            Err(PayPalError::AuthFailed { .. }) => Err(AppError::validation(
                "secret",
                format!("PayPal ({}) refused this client id and secret: check both, and that sandbox/live matches the app they come from", rt.label),
            )),
            Err(e) => Err(AppError::Unavailable(format!("{e}"))),
        }
    }
}
