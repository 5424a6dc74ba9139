//! Email in the façade: Settings → Email (the SMTP password lives in the OS
//! keyring under `smtp/password`, never in SQLite, logs or errors) and
//! "Send test mail" here; `templates.rs` the template editor; `outbox.rs` the
//! Outbox screen, queueing and the worker; `events.rs` the mails that
//! business events cause, queued in their transaction.

use std::sync::RwLock;
use std::time::Duration;

use cs_core::Timestamp;
use cs_mail::{Branding, Email, Mailer, OutboxPolicy, Password, Security, SmtpConfig, Var};
use cs_secrets::SecretValue;
use cs_store::rusqlite::Connection;
use cs_store::settings;

use crate::dto::*;

pub(crate) mod dto;
mod events;
mod outbox;
mod store;
mod templates;

use crate::Subject;
use crate::{App, AppError, AppResult};
pub(crate) use events::MailingDb;
pub use outbox::run_worker;

const HOST: &str = "mail.host";
const PORT: &str = "mail.port";
const SECURITY: &str = "mail.security";
const USERNAME: &str = "mail.username";
const FROM_NAME: &str = "mail.from_name";
const FROM_ADDRESS: &str = "mail.from_address";
const REPLY_TO: &str = "mail.reply_to";
const BRAND_COLOR: &str = "mail.brand_color";
const LOGO_URL: &str = "mail.logo_url";
const WEBSITE: &str = "mail.website";
const PORTAL_URL: &str = "mail.portal_url";
const DEFAULT_COLOR: &str = "#2563eb";

/// The façade's mail machinery that is not in the database.
pub(crate) struct MailRuntime {
    wake: tokio::sync::Notify,
    policy: RwLock<OutboxPolicy>,
    extra_root_pem: RwLock<Option<String>>,
    /// When sent mail's attachments were last pruned (at most hourly).
    pruned_at: std::sync::Mutex<Option<cs_core::Timestamp>>,
    /// Whether the last round that tried to send found the relay not
    /// accepting mail (`mail.relay_down` was recorded; `mail.relay_up` is
    /// recorded when mail goes out again).
    pub(super) relay_down: std::sync::atomic::AtomicBool,
}

impl Default for MailRuntime {
    fn default() -> Self {
        Self {
            wake: tokio::sync::Notify::new(),
            policy: RwLock::new(OutboxPolicy {
                poll_interval: Duration::from_secs(5),
                ..OutboxPolicy::default()
            }),
            extra_root_pem: RwLock::new(None),
            pruned_at: std::sync::Mutex::new(None),
            relay_down: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

/// The SMTP settings as stored (everything but the password).
#[derive(Debug, Clone)]
struct MailSettings {
    host: String,
    port: u16,
    security: Security,
    username: String,
    from_name: String,
    from_address: String,
    reply_to: String,
    brand_color: String,
    logo_url: String,
    website: String,
    portal_url: String,
}

fn security_key(s: Security) -> &'static str {
    match s {
        Security::StartTls => "starttls",
        Security::ImplicitTls => "tls",
        Security::None => "none",
    }
}

fn parse_security(s: &str) -> Option<Security> {
    match s {
        "starttls" => Some(Security::StartTls),
        "tls" => Some(Security::ImplicitTls),
        "none" => Some(Security::None),
        _ => None,
    }
}

/// Whether a sender address is set up in Settings → Email.
pub(crate) fn sender_configured(c: &Connection) -> AppResult<bool> {
    Ok(!load_settings(c)?.from_address.is_empty())
}

/// Whether a username for SMTP is set (the password then belongs to this
/// database, for the move of the legacy keyring key).
pub(crate) fn smtp_username_set(c: &Connection) -> AppResult<bool> {
    Ok(settings::get(c, USERNAME)?.is_some_and(|u| !u.is_empty()))
}

fn load_settings(c: &Connection) -> AppResult<MailSettings> {
    let get = |k: &str| -> AppResult<String> { Ok(settings::get(c, k)?.unwrap_or_default()) };
    Ok(MailSettings {
        host: get(HOST)?,
        port: get(PORT)?.parse().unwrap_or(587),
        security: parse_security(&get(SECURITY)?).unwrap_or(Security::StartTls),
        username: get(USERNAME)?,
        from_name: get(FROM_NAME)?,
        from_address: get(FROM_ADDRESS)?,
        reply_to: get(REPLY_TO)?,
        brand_color: settings::get(c, BRAND_COLOR)?.unwrap_or_else(|| DEFAULT_COLOR.into()),
        logo_url: get(LOGO_URL)?,
        website: get(WEBSITE)?,
        portal_url: get(PORTAL_URL)?,
    })
}

impl MailSettings {
    /// `"Name" <addr>`, or empty when no sender is set up yet.
    fn sender(&self) -> String {
        if self.from_address.is_empty() {
            String::new()
        } else {
            mailbox(&self.from_name, &self.from_address)
        }
    }

    fn reply_to(&self) -> Option<String> {
        (!self.reply_to.is_empty()).then(|| self.reply_to.clone())
    }

    fn portal(&self) -> String {
        if !self.portal_url.is_empty() {
            self.portal_url.trim_end_matches('/').to_string()
        } else {
            self.website.trim_end_matches('/').to_string()
        }
    }
}

/// A mailbox with a display name, quoted so any name (commas, quotes, accents) is safe.
fn mailbox(name: &str, address: &str) -> String {
    let name: String = name.chars().filter(|c| !c.is_control()).collect();
    if name.trim().is_empty() {
        address.to_string()
    } else {
        format!(
            "\"{}\" <{address}>",
            name.trim().replace('\\', "\\\\").replace('"', "\\\"")
        )
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn url_ok(u: &str) -> bool {
    u.starts_with("https://")
        && u.len() > "https://".len()
        && !u.contains(['"', '\'', '<', '>', ' ', '&'])
}

fn branding(c: &Connection, s: &MailSettings) -> AppResult<Branding> {
    let name = settings::get(c, "reseller.name")?.unwrap_or_else(|| "My Cloud".into());
    let opt = |v: &str| (!v.is_empty()).then(|| v.to_string());
    let support = if !s.reply_to.is_empty() {
        s.reply_to.clone()
    } else if !s.from_address.is_empty() {
        s.from_address.clone()
    } else {
        "support@example.com".into()
    };
    Ok(Branding {
        name,
        logo_url: opt(&s.logo_url),
        primary_color: s.brand_color.clone(),
        support_email: support,
        website: opt(&s.website),
    })
}

/// A template variable holding text.
fn text(v: impl Into<String>) -> Var {
    Var::Text(v.into())
}

/// A date as mails print it ("3 March 2026").
fn day(t: &Timestamp) -> String {
    t.format("%-d %B %Y").to_string()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl App {
    /// Tells the outbox worker to look now (mail was queued, settings changed).
    pub(crate) fn wake_mail_worker(&self) {
        self.mail.wake.notify_one();
    }

    /// The retry policy of the outbox worker (tests and demos shorten it).
    pub fn set_mail_policy(&self, policy: OutboxPolicy) {
        *self.mail.policy.write().unwrap_or_else(|e| e.into_inner()) = policy;
    }

    /// Trusts one more certificate (PEM) for the SMTP relay, e.g. a relay
    /// with a private CA or a test sink's self-signed certificate.
    pub fn trust_smtp_certificate(&self, pem: Option<String>) {
        *self
            .mail
            .extra_root_pem
            .write()
            .unwrap_or_else(|e| e.into_inner()) = pem;
    }

    fn smtp_password(&self) -> Option<SecretValue> {
        match self.secrets.get(&self.secret_keys.smtp_password()) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "the SMTP password could not be read from the keyring");
                None
            }
        }
    }

    pub fn email_settings(&self) -> AppResult<EmailSettingsDto> {
        let s = self.store.read(load_settings)?;
        let password_set = self.smtp_password().is_some();
        Ok(EmailSettingsDto {
            configured: !s.host.is_empty()
                && !s.from_address.is_empty()
                && (s.username.is_empty() || password_set),
            host: s.host,
            port: s.port,
            security: security_key(s.security).into(),
            username: s.username,
            password_set,
            from_name: s.from_name,
            from_address: s.from_address,
            reply_to: s.reply_to,
            brand_color: s.brand_color,
            logo_url: s.logo_url,
            website: s.website,
            portal_url: s.portal_url,
        })
    }

    pub fn update_email_settings(&self, input: EmailSettingsInput) -> AppResult<EmailSettingsDto> {
        let mut e = cs_core::ValidationErrors::new();
        let host = input.host.trim().to_string();
        if host.is_empty() {
            e.add(
                "host",
                "Enter your relay's host name, e.g. mail.smtp2go.com",
            );
        } else if host.len() > 253
            || host.contains(char::is_whitespace)
            || host.chars().any(cs_core::validate::is_invisible_or_control)
            || host.contains(['/', ':', '@']) && !host.starts_with('[')
        {
            e.add("host", format!("{host:?} is not a host name: write only the name, e.g. mail.smtp2go.com (no smtp://, no port)"));
        }
        if input.port == 0 {
            e.add(
                "port",
                "Enter the relay's port: usually 587 for STARTTLS or 465 for TLS",
            );
        }
        let security = parse_security(input.security.trim());
        match security {
            None => e.add("security", "Choose STARTTLS, TLS or no encryption"),
            Some(Security::None) if !host.is_empty() && !is_loopback(&host) => {
                e.add("security", "No encryption is only allowed for a relay on this computer (localhost or 127.0.0.1): choose STARTTLS (port 587) or TLS (port 465)")
            }
            _ => {}
        }
        let username = cs_core::validate::optional_text(
            &mut e,
            "username",
            "The user name",
            &input.username,
            256,
        )
        .unwrap_or_default();
        let new_password = input.password.clone();
        let has_password = match &new_password {
            Some(p) => !p.is_empty(),
            None => self.smtp_password().is_some(),
        };
        if username.is_empty() && new_password.as_deref().is_some_and(|p| !p.is_empty()) {
            e.add(
                "username",
                "Enter the user name that goes with the password",
            );
        }
        if !username.is_empty() && !has_password {
            e.add("password", "Enter the relay's password for this user name");
        }
        if new_password
            .as_deref()
            .is_some_and(|p| p.len() > 1024 || p.contains(['\r', '\n']))
        {
            e.add(
                "password",
                "The password cannot contain line breaks or be longer than 1024 characters",
            );
        }
        let from_name = cs_core::validate::optional_text(
            &mut e,
            "fromName",
            "The sender name",
            &input.from_name,
            100,
        )
        .unwrap_or_default();
        if from_name.contains(['<', '>', '"']) {
            e.add(
                "fromName",
                "The sender name is at most 100 characters, on one line, without <, > or quotes",
            );
        }
        let from_address = if input.from_address.trim().is_empty() {
            e.add(
                "fromAddress",
                "Enter the address your mail comes from, e.g. billing@yourcloud.com",
            );
            String::new()
        } else {
            cs_core::validate::email(
                &mut e,
                "fromAddress",
                "The sender address",
                &input.from_address,
                cs_mail::check_address,
            )
        };
        let reply_to = cs_core::validate::optional_email(
            &mut e,
            "replyTo",
            "The reply-to address",
            &input.reply_to,
            cs_mail::check_address,
        )
        .unwrap_or_default();
        let brand_color = input.brand_color.trim().to_ascii_lowercase();
        let brand_color = if brand_color.is_empty() {
            DEFAULT_COLOR.to_string()
        } else {
            brand_color
        };
        if !(brand_color.len() == 7
            && brand_color.starts_with('#')
            && brand_color[1..].bytes().all(|b| b.is_ascii_hexdigit()))
        {
            e.add("brandColor", "Write the colour as #rrggbb, e.g. #2563eb");
        }
        let mut url = |field: &str, v: &str| {
            let v = v.trim().to_string();
            if !v.is_empty() && !url_ok(&v) {
                e.add(
                    field,
                    "Write a full https:// address without spaces, quotes or &, or leave it empty",
                );
            }
            v
        };
        let logo_url = url("logoUrl", &input.logo_url);
        let website = url("website", &input.website);
        let portal_url = url("portalUrl", &input.portal_url);
        if !e.is_empty() {
            return Err(AppError::Validation(e));
        }
        let security = security.unwrap_or(Security::StartTls);
        match &new_password {
            Some(p) if !p.is_empty() => self.secrets.set(
                &self.secret_keys.smtp_password(),
                &SecretValue::new(p.clone()),
            )?,
            Some(_) => self.secrets.delete(&self.secret_keys.smtp_password())?,
            None if username.is_empty() => {
                self.secrets.delete(&self.secret_keys.smtp_password())?
            }
            None => {}
        }
        let now = self.now();
        self.write(|tx| {
            for (k, v) in [
                (HOST, host.as_str()),
                (PORT, &input.port.to_string()),
                (SECURITY, security_key(security)),
                (USERNAME, &username),
                (FROM_NAME, &from_name),
                (FROM_ADDRESS, &from_address),
                (REPLY_TO, &reply_to),
                (BRAND_COLOR, &brand_color),
                (LOGO_URL, &logo_url),
                (WEBSITE, &website),
                (PORTAL_URL, &portal_url),
            ] {
                settings::set(tx, k, v)?;
            }
            tx.record(
                now,
                "email.settings_updated",
                Subject::settings(None),
                format!(
                    "Updated email settings: relay {host}:{} ({}), sender {from_address}",
                    input.port,
                    security_key(security)
                ),
            )
        })?;
        self.wake_mail_worker();
        self.email_settings()
    }

    /// The SMTP configuration and the stored settings, or `None` when email is
    /// not set up.
    fn smtp_config(&self) -> AppResult<Option<(SmtpConfig, MailSettings)>> {
        let s = self.store.read(load_settings)?;
        if s.host.is_empty() || s.from_address.is_empty() {
            return Ok(None);
        }
        let mut config = SmtpConfig::new(s.host.clone(), s.port, s.security);
        if !s.username.is_empty() {
            let Some(p) = self.smtp_password() else {
                return Ok(None);
            };
            config = config.with_login(s.username.clone(), Password::new(p.expose()));
        }
        config.extra_root_pem = self
            .mail
            .extra_root_pem
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        Ok(Some((config, s)))
    }

    /// Sends a test mail right now (not through the outbox) with the saved
    /// settings and returns the relay's answer.
    pub async fn send_test_mail(&self, to: &str) -> AppResult<TestMailResult> {
        let mut e = cs_core::ValidationErrors::new();
        let to = cs_core::validate::email(
            &mut e,
            "testTo",
            "The address to send the test mail to",
            to,
            cs_mail::check_address,
        );
        if !e.is_empty() {
            return Err(AppError::Validation(e));
        }
        let (config, s) = self.smtp_config()?.ok_or_else(|| {
            AppError::Unavailable("Email is not set up: fill in the relay, the password and the sender address in Settings → Email and save first".into())
        })?;
        let brand = self.store.read(|c| branding(c, &s))?;
        let mailer =
            Mailer::new(&config).map_err(|e| AppError::validation("security", e.to_string()))?;
        let mut email = Email::new(
            s.sender(),
            vec![to.clone()],
            format!("Test mail from {}", brand.name),
        );
        email.reply_to = s.reply_to();
        email.text = format!("This is a test mail from {} sent through {}:{}.\nIf you can read it, email is set up.\n", brand.name, s.host, s.port);
        email.html = format!(
            "<!DOCTYPE html><html><body style=\"font-family:Helvetica,Arial,sans-serif\"><p style=\"border-top:6px solid {};padding-top:12px\">This is a test mail from <strong>{}</strong>.</p><p>If you can read it, email is set up.</p></body></html>",
            brand.primary_color,
            html_escape(&brand.name)
        );
        let acceptance = mailer.send(&email).await.map_err(|e| match e {
            cs_mail::MailError::AuthRejected { code, message, .. } => {
                AppError::validation("password", format!("The relay refused the login: check the user name and password ({code} {message})"))
            }
            cs_mail::MailError::Permanent { code, message } => AppError::validation("testTo", format!("The relay refused the test mail: {code} {message}")),
            cs_mail::MailError::InvalidAddress { address, reason } => AppError::validation("fromAddress", format!("{address:?} is not a valid address ({reason})")),
            other => AppError::Unavailable(other.to_string()),
        })?;
        let now = self.now();
        let answer = acceptance.to_string();
        self.write(|tx| {
            tx.record(
                now,
                "email.test_sent",
                Subject::settings(None),
                format!("Sent a test mail to {to}: the relay answered {answer}"),
            )
        })?;
        Ok(TestMailResult {
            to,
            relay_answer: answer,
        })
    }
}
