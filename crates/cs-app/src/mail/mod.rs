//! Email in the façade: Settings → Email (the SMTP password lives in the OS
//! keyring under `smtp/password`, never in SQLite, logs or errors), "Send test
//! mail", the outbox worker that sends the SQLite outbox, the Outbox screen,
//! the template editor (overrides in `mail_templates`, defaults in `cs-mail`),
//! and the mails that business events cause.
//!
//! # Mail in the same transaction as its event
//!
//! Every customer-facing event is already recorded as a portal sync record
//! (`cs_store::sync_outbox`) by the code that makes it (cs-billing issues a
//! document, dunning queues a notice). The unit of work ([`crate::Write`],
//! also around the billing run's transactions through [`MailingDb`]) notes
//! the last sync sequence number before the work and, before committing,
//! turns every new record into a rendered mail in the mail outbox
//! ([`App::mail_for_events`]): the mail exists exactly when the event does. The welcome mail is queued by `create_organization`
//! itself. When email is not set up yet, mail is queued anyway (with no
//! sender, filled in when it is set up) and waits.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use cs_billing::documents;
use cs_core::dunning::Notice;
use cs_core::DocumentKind;
use cs_core::{Money, OrganizationId, Timestamp};
use cs_mail::{
    Attachment, Branding, Email, Mailer, OutboxEntry, OutboxFilter, OutboxPolicy, OutboxSummary,
    OutboxWorker, Password, Rendered, Security, SmtpConfig, SqliteOutbox, TemplateKind,
    TemplateSource, Templates, Var, Vars,
};
use cs_secrets::SecretValue;
use cs_store::rusqlite::Connection;
use cs_store::sync_outbox::{self, SyncKind};
use cs_store::{fmt_ts, settings};

use crate::dto::*;

pub(crate) mod dto;
mod store;
use crate::Subject;
use crate::{App, AppError, AppResult, Write};

/// The keyring entry of the SMTP password.
pub const PASSWORD_KEY: &str = "smtp/password";

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

fn template_name(kind: TemplateKind) -> &'static str {
    match kind {
        TemplateKind::Welcome => "Welcome",
        TemplateKind::PasswordReset => "Password reset",
        TemplateKind::InvoiceIssued => "Invoice issued",
        TemplateKind::PaymentReceived => "Payment received",
        TemplateKind::Refund => "Refund",
        TemplateKind::LowBalance => "Low balance",
        TemplateKind::SuspensionWarning => "Suspension warning",
        TemplateKind::Suspended => "Suspended",
        TemplateKind::Terminated => "Terminated",
        TemplateKind::TicketReply => "Ticket reply",
        TemplateKind::PaymentLink => "Payment link",
    }
}

fn parse_kind(kind: &str) -> AppResult<TemplateKind> {
    TemplateKind::ALL
        .into_iter()
        .find(|k| k.key() == kind.trim())
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "There is no email template {kind:?}: refresh the list"
            ))
        })
}

/// The reseller's templates: the defaults with the saved edits on top. An
/// edit that no longer checks (a variable removed by an upgrade) is ignored
/// with a warning, so mail always goes out.
fn load_templates(c: &Connection) -> AppResult<(Templates, Vec<TemplateKind>)> {
    let mut t = Templates::default();
    let mut customized = vec![];
    for (kind, source) in store::saved_templates(c)? {
        match t.set(kind, source) {
            Ok(()) => customized.push(kind),
            Err(e) => {
                tracing::warn!(template = %kind, error = %e, "a saved email template no longer checks; the default is used")
            }
        }
    }
    Ok((t, customized))
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

fn template_error(e: cs_mail::TemplateError) -> AppError {
    let field = match e.part {
        cs_mail::Part::Subject => "subject",
        cs_mail::Part::Text => "text",
        cs_mail::Part::Html => "html",
    };
    AppError::validation(
        field,
        format!("{e}: fix it and save again (nothing was saved)"),
    )
}

fn text(v: impl Into<String>) -> Var {
    Var::Text(v.into())
}

fn day(t: &Timestamp) -> String {
    t.format("%-d %B %Y").to_string()
}

/// Sample values for the preview, one per variable the template may use.
fn sample_vars(kind: TemplateKind, portal: &str, currency: cs_core::Currency) -> Vars {
    let portal = if portal.is_empty() {
        "https://portal.example.com"
    } else {
        portal
    };
    let money = |minor| Money::new(minor, currency).to_string();
    kind.variables()
        .iter()
        .map(|v| {
            let value = match *v {
                "customer_name" => text("Zoë Ødegård"),
                "portal_url" => text(portal),
                "reset_url" => text(format!("{portal}/reset/3f9c2a")),
                "expires_in_minutes" => text("30"),
                "invoice_number" => text("INV-2026-0042"),
                "amount" => text(money(4_250)),
                "due_date" => text("1 March 2026"),
                "invoice_url" => text(format!("{portal}/invoices/INV-2026-0042")),
                "payment_method" => text("bank transfer"),
                "new_balance" => text(money(12_000)),
                "reason" => text("duplicate payment"),
                "balance" => text(money(350)),
                "threshold" => text(money(1_000)),
                "top_up_url" => text(format!("{portal}/billing")),
                "suspend_on" => text("3 March 2026"),
                "terminated_on" => text("2 April 2026"),
                "ticket_number" => text("1042"),
                "ticket_subject" => text("Cannot reach my server"),
                "reply_author" => text("Support team"),
                "reply_body" => text("We restarted the network service; please try again."),
                "ticket_url" => text(format!("{portal}/tickets/1042")),
                other if other.ends_with("_list") => Var::List(vec!["web-1".into(), "db-1".into()]),
                other => text(format!("sample {other}")),
            };
            ((*v).to_string(), value)
        })
        .collect()
}

fn outbox_item(s: OutboxSummary) -> OutboxItemDto {
    OutboxItemDto {
        id: s.id,
        template: s.kind.map(|k| k.key().to_string()),
        to: s.to,
        subject: s.subject,
        state: s.state.as_str().to_string(),
        attempts: s.attempts,
        next_attempt_at: fmt_ts(&s.next_attempt_at),
        relay_response: s.relay_response,
        last_error: s.last_error,
        possibly_duplicated: s.possibly_duplicated,
        created_at: fmt_ts(&s.created_at),
        sent_at: s.sent_at.as_ref().map(fmt_ts),
        attachment_count: s.attachment_count,
    }
}

fn store_err(e: cs_mail::StoreError) -> AppError {
    AppError::Internal(e.to_string())
}

/// The billing engine's transactions: each one is a unit of work of the
/// façade ([`App::unit_of_work`]), so the mails of the documents and notices
/// it publishes are queued inside it.
pub(crate) struct MailingDb<'a>(pub &'a App);

impl cs_billing::Db for MailingDb<'_> {
    fn write<T>(
        &self,
        f: impl FnOnce(&Connection) -> cs_billing::Result<T>,
    ) -> cs_billing::Result<T> {
        self.0.unit_of_work(
            |w| f(w),
            |e| cs_billing::BillingError::Caller(format!("queueing the mails of this change: {e}")),
        )
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> cs_billing::Result<T>,
    ) -> cs_billing::Result<T> {
        self.0.store.read(|c| f(c))
    }
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
        match self.secrets.get(PASSWORD_KEY) {
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
        let username = input.username.trim().to_string();
        if username.len() > 256 {
            e.add("username", "The user name is longer than 256 characters");
        }
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
        let from_name = input.from_name.trim().to_string();
        if from_name.chars().count() > 100 || from_name.contains(['\r', '\n', '<', '>']) {
            e.add(
                "fromName",
                "The sender name is at most 100 characters, on one line, without < or >",
            );
        }
        let from_address = input.from_address.trim().to_string();
        if from_address.is_empty() {
            e.add(
                "fromAddress",
                "Enter the address your mail comes from, e.g. billing@yourcloud.com",
            );
        } else if !cs_core::validate::is_plausible_email(&from_address) {
            e.add(
                "fromAddress",
                format!("{from_address:?} is not an email address"),
            );
        }
        let reply_to = input.reply_to.trim().to_string();
        if !reply_to.is_empty() && !cs_core::validate::is_plausible_email(&reply_to) {
            e.add(
                "replyTo",
                format!("{reply_to:?} is not an email address: correct it or leave it empty"),
            );
        }
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
            Some(p) if !p.is_empty() => self
                .secrets
                .set(PASSWORD_KEY, &SecretValue::new(p.clone()))?,
            Some(_) => self.secrets.delete(PASSWORD_KEY)?,
            None if username.is_empty() => self.secrets.delete(PASSWORD_KEY)?,
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
        let to = to.trim().to_string();
        if !cs_core::validate::is_plausible_email(&to) {
            return Err(AppError::validation(
                "testTo",
                "Enter the address to send the test mail to",
            ));
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

    /// The Outbox screen: `all`, `pending` (queued or sending), `sent` or `failed`.
    pub async fn list_outbox(&self, filter: &str) -> AppResult<OutboxListDto> {
        let filter = match filter.trim() {
            "" | "all" => OutboxFilter::All,
            "pending" | "queued" => OutboxFilter::Pending,
            "sent" => OutboxFilter::Sent,
            "failed" => OutboxFilter::Failed,
            other => {
                return Err(AppError::validation(
                    "filter",
                    format!("{other:?} is not an outbox filter: use all, pending, sent or failed"),
                ))
            }
        };
        let items = SqliteOutbox::new(self.store.clone())
            .list(filter, 500)
            .await
            .map_err(store_err)?;
        Ok(OutboxListDto {
            configured: self.smtp_config()?.is_some(),
            items: items.into_iter().map(outbox_item).collect(),
        })
    }

    pub async fn get_outbox_message(&self, id: &str) -> AppResult<OutboxMessageDto> {
        let outbox = SqliteOutbox::new(self.store.clone());
        let entry = outbox
            .get(id.trim())
            .await
            .map_err(store_err)?
            .ok_or_else(|| {
                AppError::NotFound(format!(
                    "There is no mail {id} in the outbox: refresh the list"
                ))
            })?;
        let item = outbox
            .list(OutboxFilter::All, usize::MAX >> 1)
            .await
            .map_err(store_err)?
            .into_iter()
            .find(|s| s.id == entry.id)
            .map(outbox_item)
            .ok_or_else(|| {
                AppError::NotFound(format!(
                    "There is no mail {id} in the outbox: refresh the list"
                ))
            })?;
        Ok(OutboxMessageDto {
            item,
            from: entry.email.from,
            reply_to: entry.email.reply_to,
            message_id: entry.email.message_id,
            text: entry.email.text,
            html: entry.email.html,
            attachments: entry
                .email
                .attachments
                .into_iter()
                .map(|a| a.filename)
                .collect(),
        })
    }

    /// "Retry" on a failed mail: queued again now, with a fresh attempt budget.
    pub async fn retry_mail(&self, id: &str) -> AppResult<OutboxItemDto> {
        let id = id.trim().to_string();
        let outbox = SqliteOutbox::new(self.store.clone());
        let retried = outbox.retry_failed(&id, self.now()).await.map_err(|e| {
            if e.0.contains("no outbox row") {
                AppError::NotFound(format!(
                    "There is no mail {id} in the outbox: refresh the list"
                ))
            } else {
                store_err(e)
            }
        })?;
        if !retried {
            return Err(AppError::Conflict("This mail is not failed any more (it was retried or sent already): refresh the list".into()));
        }
        let now = self.now();
        self.write(|tx| {
            tx.record(
                now,
                "email.retried",
                Subject::mail(&id),
                format!("Queued mail {id} again after it failed"),
            )
        })?;
        self.wake_mail_worker();
        let all = outbox
            .list(OutboxFilter::All, 500)
            .await
            .map_err(store_err)?;
        all.into_iter()
            .find(|s| s.id == id)
            .map(outbox_item)
            .ok_or_else(|| AppError::NotFound(format!("There is no mail {id} in the outbox")))
    }

    pub fn list_mail_templates(&self) -> AppResult<Vec<MailTemplateDto>> {
        let (t, customized) = self.store.read(load_templates)?;
        Ok(TemplateKind::ALL
            .into_iter()
            .map(|k| template_dto(&t, k, customized.contains(&k)))
            .collect())
    }

    /// Saves an edited template after checking it; a template with an error
    /// is refused with the part, line and column, and nothing is saved.
    pub fn save_mail_template(
        &self,
        kind: &str,
        input: MailTemplateInput,
    ) -> AppResult<MailTemplateDto> {
        let kind = parse_kind(kind)?;
        let source = check_source(kind, input)?;
        let now = self.now();
        let actor = self.actor.clone();
        self.write(|tx| {
            store::save_template(tx, kind, &source, now, &actor)?;
            tx.record(
                now,
                "email.template_saved",
                Subject::mail_template(kind.key()),
                format!("Edited the {} email template", template_name(kind)),
            )
        })?;
        let (t, customized) = self.store.read(load_templates)?;
        Ok(template_dto(&t, kind, customized.contains(&kind)))
    }

    pub fn reset_mail_template(&self, kind: &str) -> AppResult<MailTemplateDto> {
        let kind = parse_kind(kind)?;
        let now = self.now();
        self.write(|tx| {
            store::reset_template(tx, kind)?;
            tx.record(
                now,
                "email.template_reset",
                Subject::mail_template(kind.key()),
                format!(
                    "Reset the {} email template to its default",
                    template_name(kind)
                ),
            )
        })?;
        Ok(template_dto(&Templates::default(), kind, false))
    }

    /// Renders an unsaved template with sample data and the current branding.
    pub fn preview_mail_template(
        &self,
        kind: &str,
        input: MailTemplateInput,
    ) -> AppResult<MailPreviewDto> {
        let kind = parse_kind(kind)?;
        let source = check_source(kind, input)?;
        let currency = self.currency()?;
        let (brand, portal) = self.store.read(|c| {
            let s = load_settings(c)?;
            Ok::<_, AppError>((branding(c, &s)?, s.portal()))
        })?;
        let mut t = Templates::default();
        t.set(kind, source).map_err(template_error)?;
        let r = t
            .render(kind, &brand, &sample_vars(kind, &portal, currency))
            .map_err(template_error)?;
        Ok(MailPreviewDto {
            subject: r.subject,
            text: r.text,
            html: r.html,
        })
    }

    /// Renders `kind` for one recipient and queues it in the caller's transaction.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn queue_mail(
        &self,
        tx: &mut Write<'_>,
        now: Timestamp,
        kind: TemplateKind,
        name: &str,
        address: &str,
        vars: Vars,
        attachments: Vec<Attachment>,
    ) -> AppResult<()> {
        let s = load_settings(tx)?;
        let brand = branding(tx, &s)?;
        let (templates, _) = load_templates(tx)?;
        let rendered: Rendered = match templates.render(kind, &brand, &vars) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(template = %kind, error = %e, "an email template failed to render; sending the default text");
                match Templates::default().render(kind, &brand, &vars) {
                    Ok(r) => r,
                    Err(e) => {
                        return Err(AppError::Internal(format!(
                            "the default {kind} email does not render: {e}"
                        )))
                    }
                }
            }
        };
        let mut email = cs_mail::compose(
            &s.sender(),
            vec![mailbox(name, address)],
            s.reply_to(),
            rendered,
        );
        email.attachments = attachments;
        let entry = OutboxEntry::new(email, now).with_kind(kind);
        cs_mail::enqueue_in(tx, &entry)?;
        tx.mail_queued();
        Ok(())
    }

    /// Queues the welcome mail for a new customer's contact.
    pub(crate) fn queue_welcome(
        &self,
        tx: &mut Write<'_>,
        now: Timestamp,
        name: &str,
        email: &str,
    ) -> AppResult<()> {
        let portal = load_settings(tx)?.portal();
        let vars = Vars::from([
            ("customer_name".to_string(), text(name)),
            ("portal_url".to_string(), text(portal)),
        ]);
        self.queue_mail(tx, now, TemplateKind::Welcome, name, email, vars, vec![])
    }

    /// Turns the events written after `mark` in this transaction into mails.
    pub(crate) fn mail_for_events(&self, tx: &mut Write<'_>, mark: i64) -> AppResult<usize> {
        let events = sync_outbox::since(tx, mark, &[SyncKind::Document, SyncKind::BillingNotice])?;
        let mut queued = 0;
        for e in events {
            let (org, kind, entity, payload) = (e.organization_id, e.kind, e.entity_id, e.payload);
            let Some(org) = org
                .as_deref()
                .and_then(|o| o.parse::<OrganizationId>().ok())
            else {
                continue;
            };
            let Some(record) = cs_store::orgs::get(tx, org)? else {
                continue;
            };
            let now = e.at;
            let s = load_settings(tx)?;
            let portal = s.portal();
            let name = record.contact.name.clone();
            let to = record.contact.email.clone();
            let mut vars = Vars::from([("customer_name".to_string(), text(name.clone()))]);
            let top_up = text(format!("{portal}/billing"));
            let kind = match kind {
                SyncKind::Document => {
                    let doc = documents::get_document(tx, &entity)?;
                    let currency = doc.summary.currency;
                    let number = doc.summary.number.clone().unwrap_or_default();
                    let total = Money::new(doc.summary.total_minor, currency).to_string();
                    let issued = doc.summary.issued_at.as_ref().map(day).unwrap_or_default();
                    let template = match doc.summary.kind {
                        DocumentKind::Invoice => {
                            vars.insert("invoice_number".into(), text(number.clone()));
                            vars.insert("amount".into(), text(total));
                            vars.insert("due_date".into(), text(issued));
                            vars.insert(
                                "invoice_url".into(),
                                text(format!("{portal}/invoices/{entity}")),
                            );
                            TemplateKind::InvoiceIssued
                        }
                        DocumentKind::Receipt => {
                            let method = doc
                                .lines
                                .first()
                                .and_then(|l| {
                                    l.description.split_once(" by ").map(|(_, r)| {
                                        r.split(',').next().unwrap_or(r).trim().to_string()
                                    })
                                })
                                .unwrap_or_else(|| "payment".into());
                            let balance = cs_billing::wallet::wallet_balance(tx, org, currency)?;
                            vars.insert("amount".into(), text(total));
                            vars.insert("payment_method".into(), text(method));
                            vars.insert("new_balance".into(), text(balance.to_string()));
                            TemplateKind::PaymentReceived
                        }
                        DocumentKind::CreditNote => continue,
                    };
                    let pdf = self.document_pdf_in(tx, &doc)?;
                    self.queue_mail(
                        tx,
                        now,
                        template,
                        &name,
                        &to,
                        vars,
                        vec![Attachment::pdf(
                            format!("{}.pdf", safe_file_name(&number)),
                            pdf,
                        )],
                    )?;
                    queued += 1;
                    continue;
                }
                SyncKind::BillingNotice => {
                    let Ok(notice) = serde_json::from_value::<Notice>(payload) else {
                        continue;
                    };
                    let currency = self.currency_in(tx)?;
                    let money = |m: i64| Money::new(m, currency).to_string();
                    match notice {
                        Notice::LowBalance {
                            balance_minor,
                            threshold_minor,
                        } => {
                            vars.insert("balance".into(), text(money(balance_minor)));
                            vars.insert("threshold".into(), text(money(threshold_minor)));
                            vars.insert("top_up_url".into(), top_up);
                            TemplateKind::LowBalance
                        }
                        Notice::GraceStarted {
                            balance_minor,
                            suspend_at,
                        } => {
                            vars.insert("balance".into(), text(money(balance_minor)));
                            vars.insert("suspend_on".into(), text(day(&suspend_at)));
                            vars.insert("top_up_url".into(), top_up);
                            TemplateKind::SuspensionWarning
                        }
                        Notice::Suspended { .. } => {
                            vars.insert(
                                "server_list".into(),
                                Var::List(server_labels(tx, org, false)?),
                            );
                            vars.insert("top_up_url".into(), top_up);
                            TemplateKind::Suspended
                        }
                        Notice::Terminated { .. } => {
                            vars.insert(
                                "server_list".into(),
                                Var::List(server_labels(tx, org, true)?),
                            );
                            vars.insert("terminated_on".into(), text(day(&now)));
                            TemplateKind::Terminated
                        }
                        // No template of their own (yet): the portal shows them.
                        Notice::TerminationWarning { .. } | Notice::Restored { .. } => continue,
                    }
                }
                _ => continue,
            };
            self.queue_mail(tx, now, kind, &name, &to, vars, vec![])?;
            queued += 1;
        }
        Ok(queued)
    }

    fn currency_in(&self, c: &Connection) -> AppResult<cs_core::Currency> {
        Ok(cs_billing::BillingSettings::load(c)?.currency)
    }

    /// The PDF of a document issued in this transaction, with the seller
    /// details it was issued with.
    fn document_pdf_in(&self, c: &Connection, doc: &documents::Document) -> AppResult<Vec<u8>> {
        let printable = self.printable_in(c, &doc.summary.id)?;
        cs_invoice::render_pdf(&printable).map_err(|e| {
            AppError::Internal(format!("rendering the PDF of {}: {e}", doc.summary.id))
        })
    }

    /// One round of the outbox worker at the app's clock: sends what is due.
    /// Returns `None` when email is not set up (mail keeps waiting).
    pub async fn send_due_mail(&self) -> AppResult<Option<cs_mail::RoundReport>> {
        let Some((config, s)) = self.smtp_config()? else {
            return Ok(None);
        };
        // Mail queued before a sender was set up gets it now.
        let sender = s.sender();
        let reply_to = s.reply_to();
        let outbox = SqliteOutbox::new(self.store.clone());
        outbox
            .fill_sender(&sender, reply_to.as_deref())
            .await
            .map_err(store_err)?;
        let mailer = match Mailer::new(&config) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "email settings cannot be used; mail waits in the outbox");
                return Ok(None);
            }
        };
        let policy = self
            .mail
            .policy
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let worker = OutboxWorker::new(Arc::new(outbox), mailer, policy);
        let report = worker.run_once(self.now()).await.map_err(store_err)?;
        Ok(Some(report))
    }

    async fn wait_for_mail_work(&self) {
        let interval = self
            .mail
            .policy
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .poll_interval;
        tokio::select! {
            _ = self.mail.wake.notified() => {}
            _ = tokio::time::sleep(interval) => {}
        }
    }
}

/// The outbox worker: sends due mail whenever something is queued and every
/// few seconds (retries with backoff); when email is not set up, mail waits.
pub async fn run_worker(app: Arc<App>) {
    let mut warned = false;
    loop {
        match app.send_due_mail().await {
            Ok(Some(r)) => {
                warned = false;
                if r.sent + r.retried + r.failed + r.unrecorded > 0 {
                    tracing::info!(
                        sent = r.sent,
                        retried = r.retried,
                        failed = r.failed,
                        "mail outbox round"
                    );
                }
                // A full batch: more may be due right away.
                if r.sent + r.retried + r.failed
                    >= app
                        .mail
                        .policy
                        .read()
                        .unwrap_or_else(|e| e.into_inner())
                        .batch
                {
                    continue;
                }
            }
            Ok(None) => {
                if !warned {
                    tracing::info!("email is not set up: mail waits in the outbox");
                    warned = true;
                }
            }
            Err(e) => tracing::error!(error = %e, "mail outbox round failed"),
        }
        app.wait_for_mail_work().await;
    }
}

fn check_source(kind: TemplateKind, input: MailTemplateInput) -> AppResult<TemplateSource> {
    let mut e = cs_core::ValidationErrors::new();
    if input.subject.trim().is_empty() {
        e.add("subject", "The subject cannot be empty");
    }
    for (field, v) in [
        ("subject", &input.subject),
        ("text", &input.text),
        ("html", &input.html),
    ] {
        if v.len() > 100_000 {
            e.add(field, "This part is longer than 100,000 characters");
        }
    }
    if input.text.trim().is_empty() {
        e.add(
            "text",
            "The plain-text body cannot be empty: some mail programs show only it",
        );
    }
    if !e.is_empty() {
        return Err(AppError::Validation(e));
    }
    let source = TemplateSource {
        subject: input.subject,
        text: input.text,
        html: input.html,
    };
    Templates::check(kind, &source).map_err(template_error)?;
    Ok(source)
}

fn template_dto(t: &Templates, kind: TemplateKind, customized: bool) -> MailTemplateDto {
    let s = t.source(kind);
    MailTemplateDto {
        kind: kind.key().into(),
        name: template_name(kind).into(),
        subject: s.subject.clone(),
        text: s.text.clone(),
        html: s.html.clone(),
        variables: kind.variables().iter().map(|v| (*v).to_string()).collect(),
        customized,
        attaches_pdf: kind.attaches_pdf(),
    }
}

/// The labels of an organization's servers (live ones, or all).
fn server_labels(
    c: &Connection,
    org: OrganizationId,
    include_deleted: bool,
) -> AppResult<Vec<String>> {
    let mut labels: Vec<String> = cs_store::servers::list_for_org(c, org)?
        .into_iter()
        .filter(|s| include_deleted || s.deleted_at.is_none())
        .map(|s| s.label)
        .collect();
    labels.sort();
    Ok(labels)
}

fn safe_file_name(s: &str) -> String {
    let name: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "document".into()
    } else {
        name
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
