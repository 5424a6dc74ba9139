//! PayPal top-ups: settings (the secret in the OS keyring), payment links,
//! crediting a capture exactly once, refunds, webhooks and the poller.
//!
//! # Exactly once
//!
//! A payment row (`payments`, migration 0007) is written with its two
//! `PayPal-Request-Id`s (create, capture) *before* PayPal is called, so every
//! retry — after a timeout, by the poller, after a restart — reuses them and
//! PayPal creates one order and captures it once. Crediting the wallet goes
//! through [`App::apply_capture`] only, whichever of the capture response, a
//! poll or a webhook delivery brings the capture first: it records the payment
//! in the ledger under the idempotency key `payment:paypal:<capture id>`
//! (`cs_billing::wallet::record_payment`) in the same transaction as the
//! payment row's update, its receipt, its history line and the "payment
//! received" mail. A second arrival finds the key and changes nothing.
//! Refunds work the same way: a refund row with its request id first, then
//! PayPal, then one transaction with the credit note keyed by the PayPal
//! refund id.
//!
//! Webhooks are verified offline (CRC32 + RSA-SHA256 with the certificate
//! fetched from PayPal's allow-listed hosts; the configured base-URL override
//! is the one extra origin trusted, for the fake PayPal) and applied through
//! the same path, so duplicates and out-of-order deliveries change nothing.

use std::sync::Arc;
use std::time::Duration;

use cs_billing::wallet::{self, NewPayment, NewRefund, PaymentMethod};
use cs_core::{Currency, Money, Timestamp};
use cs_mail::{TemplateKind, Var, Vars};
use cs_paypal::{
    Amount, CaptureStatus, CertPolicy, CreateOrder, Environment, EventKind, Order, OrderStatus,
    PayPalClient, PayPalConfig, PayPalError, RefundRequest, RefundStatus, RequestId,
    WebhookHeaders, WebhookVerifier,
};
use cs_secrets::SecretValue;
use cs_store::rusqlite::{params, Connection, OptionalExtension};
use cs_store::{fmt_ts, settings};

use crate::dto::*;
use crate::orgs::parse_org_id;
use crate::{map, App, AppError, AppResult, Subject, Write};

const SECRET_KEY: &str = "paypal/secret";
const CLIENT_ID_KEY: &str = "paypal.client_id";
const ENVIRONMENT_KEY: &str = "paypal.environment";
const BASE_URL_KEY: &str = "paypal.base_url";
const WEBHOOK_ID_KEY: &str = "paypal.webhook_id";
/// The sender of customer mail (`Name <address>`), set in Settings → Email.

/// The PayPal account in use, rebuilt whenever the settings change.
pub(crate) struct PayPalRuntime {
    client: PayPalClient,
    verifier: Option<WebhookVerifier>,
    /// `sandbox`, `live` or the custom base URL: stored on each payment.
    label: String,
}

/// What became of one webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// Verified and applied to this payment.
    Applied { payment_id: String },
    /// Verified, but this event was applied before (PayPal delivers at least once).
    Duplicate,
    /// Verified, but not about one of our payments or not an event we act on.
    Ignored { reason: String },
}

struct StoredSettings {
    client_id: String,
    environment: String,
    base_url: Option<String>,
    webhook_id: Option<String>,
}

#[derive(Debug, Clone)]
struct PaymentRow {
    id: String,
    organization_id: String,
    organization_name: String,
    currency: Currency,
    amount_minor: i64,
    captured_minor: Option<i64>,
    refunded_minor: i64,
    pending_refunds_minor: i64,
    status: String,
    environment: String,
    create_request_id: String,
    capture_request_id: String,
    order_id: Option<String>,
    approve_url: Option<String>,
    capture_id: Option<String>,
    receipt_id: Option<String>,
    failure: Option<String>,
    created_at: String,
    updated_at: String,
    completed_at: Option<String>,
}

const PAYMENT_COLUMNS: &str = "p.id, p.organization_id, o.name, p.currency, p.amount_minor, p.captured_minor, p.refunded_minor,
    (SELECT coalesce(sum(r.amount_minor), 0) FROM payment_refunds r WHERE r.payment_id = p.id AND r.status = 'pending'),
    p.status, p.environment, p.create_request_id, p.capture_request_id, p.order_id, p.approve_url, p.capture_id, p.receipt_id,
    p.failure, p.created_at, p.updated_at, p.completed_at";

fn payment_from_row(r: &cs_store::rusqlite::Row<'_>) -> cs_store::rusqlite::Result<PaymentRow> {
    let currency: String = r.get(3)?;
    Ok(PaymentRow {
        id: r.get(0)?,
        organization_id: r.get(1)?,
        organization_name: r.get(2)?,
        currency: Currency::parse(&currency).unwrap_or(Currency::USD),
        amount_minor: r.get(4)?,
        captured_minor: r.get(5)?,
        refunded_minor: r.get(6)?,
        pending_refunds_minor: r.get(7)?,
        status: r.get(8)?,
        environment: r.get(9)?,
        create_request_id: r.get(10)?,
        capture_request_id: r.get(11)?,
        order_id: r.get(12)?,
        approve_url: r.get(13)?,
        capture_id: r.get(14)?,
        receipt_id: r.get(15)?,
        failure: r.get(16)?,
        created_at: r.get(17)?,
        updated_at: r.get(18)?,
        completed_at: r.get(19)?,
    })
}

fn load_payment(c: &Connection, id: &str) -> AppResult<PaymentRow> {
    c.query_row(&format!("SELECT {PAYMENT_COLUMNS} FROM payments p JOIN organizations o ON o.id = p.organization_id WHERE p.id = ?1"), [id], payment_from_row)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("There is no payment {id}: refresh the payments list")))
}

fn payment_by(c: &Connection, column: &str, value: &str) -> AppResult<Option<PaymentRow>> {
    Ok(c.query_row(&format!("SELECT {PAYMENT_COLUMNS} FROM payments p JOIN organizations o ON o.id = p.organization_id WHERE p.{column} = ?1"), [value], payment_from_row).optional()?)
}

fn payment_dto(p: &PaymentRow) -> PaymentDto {
    let m = |minor| map::money(Money::new(minor, p.currency));
    let captured = p.captured_minor.unwrap_or(0);
    let refundable = if matches!(p.status.as_str(), "completed" | "partially_refunded") {
        (captured - p.refunded_minor - p.pending_refunds_minor).max(0)
    } else {
        0
    };
    PaymentDto {
        id: p.id.clone(),
        organization_id: p.organization_id.clone(),
        organization_name: p.organization_name.clone(),
        status: p.status.clone(),
        amount: m(p.amount_minor),
        captured: p.captured_minor.map(m),
        refunded: m(p.refunded_minor),
        refundable: m(refundable),
        order_id: p.order_id.clone(),
        capture_id: p.capture_id.clone(),
        approve_url: p.approve_url.clone(),
        receipt_id: p.receipt_id.clone(),
        failure: p.failure.clone(),
        environment: p.environment.clone(),
        created_at: p.created_at.clone(),
        updated_at: p.updated_at.clone(),
        completed_at: p.completed_at.clone(),
    }
}

fn history(
    c: &Connection,
    payment_id: &str,
    at: Timestamp,
    kind: &str,
    detail: &str,
) -> AppResult<()> {
    c.execute(
        "INSERT INTO payment_events (payment_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4)",
        params![payment_id, fmt_ts(&at), kind, detail],
    )?;
    Ok(())
}

fn amount_of(m: Money) -> AppResult<Amount> {
    Amount::new(m.currency.code(), m.minor)
        .map_err(|e| AppError::validation("amount", e.to_string()))
}

/// A PayPal failure, in the words staff need.
fn paypal_error(e: PayPalError) -> AppError {
    match e {
        PayPalError::AuthFailed { .. } => AppError::Unavailable(format!("{e}")),
        e if e.is_retryable() => AppError::Unavailable(format!("{e}")),
        e => AppError::Conflict(format!("{e}")),
    }
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

/// The customer's contact (name, email).
fn contact(c: &Connection, org: &str) -> AppResult<Option<(String, String)>> {
    Ok(c.query_row(
        "SELECT name, email FROM users WHERE organization_id = ?1 ORDER BY created_at, id LIMIT 1",
        [org],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?)
}

impl App {
    fn paypal(&self) -> AppResult<Arc<PayPalRuntime>> {
        self.paypal
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| AppError::Unavailable("PayPal is not set up: add the REST app's client id and secret in Settings → Payments".into()))
    }

    /// Loads the PayPal account saved by an earlier run, without calling PayPal.
    pub(crate) fn load_paypal(&self) -> AppResult<()> {
        let Some(s) = self.store.read(stored_settings)? else {
            return Ok(());
        };
        let secret = match self.secrets.get(SECRET_KEY) {
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
        let stored = self.store.read(stored_settings)?;
        let has_secret = self.secrets.get(SECRET_KEY).ok().flatten().is_some();
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
            },
            None => PayPalSettingsDto {
                configured: false,
                client_id: String::new(),
                has_secret,
                environment: "sandbox".into(),
                base_url: None,
                webhook_id: None,
                effective_base_url: Environment::Sandbox.base_url().to_string(),
            },
        })
    }

    /// Saves the PayPal settings; the secret goes to the OS keyring only.
    /// Nothing is sent to PayPal: "Test connection" does that.
    pub fn save_paypal_settings(&self, input: PayPalSettingsInput) -> AppResult<PayPalSettingsDto> {
        let has_stored = self.secrets.get(SECRET_KEY)?.is_some();
        let (s, secret) = validate_settings(&input, has_stored)?;
        let secret_value = match &secret {
            Some(v) => v.clone(),
            None => self
                .secrets
                .get(SECRET_KEY)?
                .map(|v| v.expose().to_string())
                .unwrap_or_default(),
        };
        let runtime = build_runtime(&s, &secret_value)?;
        if let Some(v) = &secret {
            self.secrets.set(SECRET_KEY, &SecretValue::new(v.clone()))?;
        }
        let now = self.now();
        self.write(|tx| {
            settings::set(tx, CLIENT_ID_KEY, &s.client_id)?;
            settings::set(tx, ENVIRONMENT_KEY, &s.environment)?;
            for (key, value) in [(BASE_URL_KEY, &s.base_url), (WEBHOOK_ID_KEY, &s.webhook_id)] {
                match value {
                    Some(v) => settings::set(tx, key, v)?,
                    None => {
                        tx.execute("DELETE FROM settings WHERE key = ?1", [key])?;
                    }
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

    /// Makes a PayPal order for a top-up of the customer's wallet and returns
    /// the link the customer pays at.
    pub async fn create_payment_link(&self, input: PaymentLinkInput) -> AppResult<PaymentDetail> {
        let currency = self.currency()?;
        let mut e = cs_core::ValidationErrors::new();
        let org = parse_org_id(&input.organization_id).ok();
        if org.is_none() {
            e.add("organizationId", "Choose the customer who pays");
        }
        let amount = match Money::parse(&input.amount, currency) {
            Ok(m) if m.minor <= 0 => {
                e.add("amount", "A top-up must be more than zero");
                None
            }
            Ok(m) if m.minor > 10_000 * 10i64.pow(currency.exponent()) => {
                e.add(
                    "amount",
                    format!(
                        "A payment link is for at most 10,000 {currency}: split larger top-ups"
                    ),
                );
                None
            }
            Ok(m) => Some(m),
            Err(err) => {
                e.add("amount", format!("Amount: {err}"));
                None
            }
        };
        let (org, amount) = match (org, amount) {
            (Some(o), Some(a)) if e.is_empty() => (o, a),
            _ => return Err(AppError::Validation(e)),
        };
        let rt = self.paypal()?;
        let wire = amount_of(amount)?;
        let id = crate::new_uuid().to_string();
        let now = self.now();
        let actor = self.actor.clone();
        self.write(|tx| {
            let name: String = tx
                .query_row("SELECT name FROM organizations WHERE id = ?1", [org.to_string()], |r| r.get(0))
                .optional()?
                .ok_or_else(|| AppError::NotFound(format!("There is no customer with id {org}: refresh the list")))?;
            if input.send_email {
                self.mail_sender(tx)?;
                contact(tx, &org.to_string())?.ok_or_else(|| AppError::Conflict(format!("{name} has no contact email: add one on the customer page, or copy the link instead")))?;
            }
            tx.execute(
                "INSERT INTO payments (id, organization_id, currency, amount_minor, status, environment, create_request_id, capture_request_id, created_at, created_by, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'created', ?5, ?6, ?7, ?8, ?9, ?8)",
                params![id, org.to_string(), currency.code(), amount.minor, rt.label, RequestId::new().as_str(), RequestId::new().as_str(), fmt_ts(&now), actor],
            )?;
            history(tx, &id, now, "created", &format!("Payment link for {amount} created by {actor}"))?;
            tx.record(now, "payment.link_created", Subject::payment(&id, &org.to_string()), format!("Created a PayPal payment link of {amount} for {name}"))?;
            Ok(())
        })?;
        self.create_order_for(&rt, &id, &wire).await?;
        if input.send_email {
            self.send_payment_link(&id)?;
        }
        self.get_payment(&id)
    }

    /// Asks PayPal for the order of a payment row (again, with the same
    /// request id, when an earlier attempt got no answer).
    async fn create_order_for(&self, rt: &PayPalRuntime, id: &str, wire: &Amount) -> AppResult<()> {
        let (request_id, brand) = self.store.read(|c| {
            let p = load_payment(c, id)?;
            Ok::<_, AppError>((
                p.create_request_id,
                settings::get(c, "reseller.name")?.unwrap_or_else(|| "My Cloud".into()),
            ))
        })?;
        let mut order = CreateOrder::new(wire.clone());
        order.custom_id = Some(id.to_string());
        order.description = Some(format!("Top-up of your {brand} balance"));
        order.brand_name = Some(brand.chars().take(127).collect());
        let result = rt
            .client
            .create_order(
                &order,
                &RequestId::parse(request_id).map_err(|e| AppError::Internal(e.to_string()))?,
            )
            .await;
        let now = self.now();
        match result {
            Ok(o) => {
                let url = o.approve_url().map(str::to_string);
                self.write(|tx| {
                    tx.execute(
                        "UPDATE payments SET order_id = ?2, approve_url = ?3, failure = NULL, updated_at = ?4 WHERE id = ?1 AND order_id IS NULL",
                        params![id, o.id, url, fmt_ts(&now)],
                    )?;
                    history(tx, id, now, "order_created", &format!("PayPal order {} created; waiting for the customer to approve it", o.id))
                })?;
                Ok(())
            }
            Err(e) if e.is_retryable() => {
                let message = format!("PayPal did not answer ({e}). The link is saved and asked for again automatically with the same request id, so no second order is made");
                self.write(|tx| {
                    tx.execute(
                        "UPDATE payments SET failure = ?2, updated_at = ?3 WHERE id = ?1",
                        params![id, message, fmt_ts(&now)],
                    )?;
                    history(tx, id, now, "retrying", &message)
                })?;
                Err(AppError::Unavailable(message))
            }
            Err(e) => {
                let message = format!("{e}");
                self.write(|tx| {
                    tx.execute("UPDATE payments SET status = 'failed', failure = ?2, updated_at = ?3 WHERE id = ?1", params![id, message, fmt_ts(&now)])?;
                    history(tx, id, now, "failed", &message)
                })?;
                Err(paypal_error(e))
            }
        }
    }

    /// Queues the payment link to the customer's contact by email.
    pub fn send_payment_link(&self, id: &str) -> AppResult<PaymentDetail> {
        let now = self.now();
        self.write(|tx| {
            let p = load_payment(tx, id)?;
            let url = match (&p.approve_url, p.status.as_str()) {
                (Some(u), "created") => u.clone(),
                (None, "created") => return Err(AppError::Conflict("PayPal has not made the order yet: wait a moment (or press Check now), then send it".into())),
                (_, status) => return Err(AppError::Conflict(format!("This payment is {}: there is nothing left to pay", status.replace('_', " ")))),
            };
            self.mail_sender(tx)?;
            let (name, email) = contact(tx, &p.organization_id)?.ok_or_else(|| AppError::Conflict(format!("{} has no contact email: add one on the customer page, or copy the link", p.organization_name)))?;
            let amount = Money::new(p.amount_minor, p.currency);
            let mut vars = Vars::new();
            vars.insert("customer_name".into(), Var::from(name.clone()));
            vars.insert("amount".into(), Var::from(amount.to_string()));
            vars.insert("pay_url".into(), Var::from(url));
            self.queue_mail(tx, now, TemplateKind::PaymentLink, &name, &email, vars, vec![])?;
            history(tx, id, now, "emailed", &format!("Link emailed to {email}"))?;
            tx.record(now, "payment.link_sent", Subject::payment(id, &p.organization_id.to_string()), format!("Emailed the payment link of {amount} to {email}"))
        })?;
        self.get_payment(id)
    }

    /// Customer mail needs a sender (Settings → Email) before a link is sent.
    fn mail_sender(&self, c: &Connection) -> AppResult<()> {
        if crate::mail::sender_configured(c)? {
            Ok(())
        } else {
            Err(AppError::Unavailable("Email is not set up: add the sender address in Settings → Email, then send again (or copy the link)".into()))
        }
    }

    /// Queues an automatic mail when email is set up; never blocks the money.
    fn queue_mail_if_possible(
        &self,
        tx: &mut Write<'_>,
        payment_id: &str,
        org: &str,
        kind: TemplateKind,
        vars: impl FnOnce(&str) -> Vars,
        now: Timestamp,
    ) -> AppResult<()> {
        let Some((name, email)) = contact(tx, org)? else {
            return Ok(());
        };
        match self.mail_sender(tx) {
            Ok(_) => {
                self.queue_mail(tx, now, kind, &name, &email, vars(&name), vec![])?;
                history(
                    tx,
                    payment_id,
                    now,
                    "emailed",
                    &format!("“{}” mail queued to {email}", kind.key().replace('_', " ")),
                )
            }
            Err(_) => history(
                tx,
                payment_id,
                now,
                "not_emailed",
                &format!(
                    "No “{}” mail sent: Email is not set up (Settings → Email)",
                    kind.key().replace('_', " ")
                ),
            ),
        }
    }

    pub fn list_payments(&self, filter: PaymentFilterInput) -> AppResult<Vec<PaymentDto>> {
        let status = filter
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        if let Some(s) = &status {
            if !matches!(
                s.as_str(),
                "created" | "approved" | "completed" | "partially_refunded" | "refunded" | "failed"
            ) {
                return Err(AppError::validation(
                    "status",
                    format!("{s:?} is not a payment status"),
                ));
            }
        }
        let org = filter
            .organization_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(parse_org_id)
            .transpose()?
            .map(|o| o.to_string());
        self.store.read(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments p JOIN organizations o ON o.id = p.organization_id
                 WHERE (?1 IS NULL OR p.status = ?1) AND (?2 IS NULL OR p.organization_id = ?2) ORDER BY p.created_at DESC, p.id LIMIT 1000"
            ))?;
            let rows = stmt.query_map(params![status, org], payment_from_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows.iter().map(payment_dto).collect())
        })
    }

    pub fn get_payment(&self, id: &str) -> AppResult<PaymentDetail> {
        self.store.read(|c| {
            let p = load_payment(c, id)?;
            let mut stmt = c.prepare(
                "SELECT id, amount_minor, reason, status, paypal_refund_id, credit_note_id, failure, created_at, completed_at FROM payment_refunds WHERE payment_id = ?1 ORDER BY created_at, id",
            )?;
            let refunds = stmt
                .query_map([id], |r| {
                    Ok(PaymentRefundDto {
                        id: r.get(0)?,
                        amount: map::money(Money::new(r.get(1)?, p.currency)),
                        reason: r.get(2)?,
                        status: r.get(3)?,
                        paypal_refund_id: r.get(4)?,
                        credit_note_id: r.get(5)?,
                        failure: r.get(6)?,
                        created_at: r.get(7)?,
                        completed_at: r.get(8)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let mut stmt = c.prepare("SELECT at, kind, detail FROM payment_events WHERE payment_id = ?1 ORDER BY id")?;
            let history = stmt.query_map([id], |r| Ok(PaymentEventDto { at: r.get(0)?, kind: r.get(1)?, detail: r.get(2)? }))?.collect::<Result<Vec<_>, _>>()?;
            let contact_email = contact(c, &p.organization_id)?.map(|(_, e)| e);
            Ok(PaymentDetail { payment: payment_dto(&p), refunds, history, contact_email })
        })
    }

    /// "Check now": asks PayPal where the payment is and moves it on
    /// (capturing an approved order, crediting a completed capture, finishing
    /// refunds in flight).
    pub async fn check_payment(&self, id: &str) -> AppResult<PaymentDetail> {
        self.advance_payment(id).await?;
        self.get_payment(id)
    }

    async fn advance_payment(&self, id: &str) -> AppResult<()> {
        let rt = self.paypal()?;
        let p = self.store.read(|c| load_payment(c, id))?;
        let now = self.now();
        self.write(|tx| {
            tx.execute(
                "UPDATE payments SET last_checked_at = ?2 WHERE id = ?1",
                params![id, fmt_ts(&now)],
            )?;
            Ok::<_, AppError>(())
        })?;
        match p.status.as_str() {
            "created" | "approved" => {
                let order_id = match &p.order_id {
                    Some(o) => o.clone(),
                    None => {
                        self.create_order_for(
                            &rt,
                            id,
                            &amount_of(Money::new(p.amount_minor, p.currency))?,
                        )
                        .await?;
                        match self.store.read(|c| load_payment(c, id))?.order_id {
                            Some(o) => o,
                            None => return Ok(()),
                        }
                    }
                };
                if let Some(capture_id) = &p.capture_id {
                    // A capture PayPal reported as pending.
                    let c = rt
                        .client
                        .get_capture(capture_id)
                        .await
                        .map_err(paypal_error)?;
                    let amount = c.amount().map_err(|e| AppError::Internal(e.to_string()))?;
                    return self
                        .apply_capture(id, &c.id, amount, c.status, "a check")
                        .await
                        .map(|_| ());
                }
                let order = rt.client.get_order(&order_id).await.map_err(paypal_error)?;
                self.apply_order(&rt, &p, order, "a check").await
            }
            "completed" | "partially_refunded" => self.retry_pending_refunds(&rt, id).await,
            _ => Ok(()),
        }
    }

    /// Acts on the order's state at PayPal.
    async fn apply_order(
        &self,
        rt: &PayPalRuntime,
        p: &PaymentRow,
        order: Order,
        source: &str,
    ) -> AppResult<()> {
        let now = self.now();
        match order.status {
            OrderStatus::Approved => {
                self.mark_approved(&p.id, source)?;
                let request_id = RequestId::parse(p.capture_request_id.clone()).map_err(|e| AppError::Internal(e.to_string()))?;
                let captured = match rt.client.capture_order(&order.id, &request_id).await {
                    Ok(o) => o,
                    Err(e) if e.issue() == Some("ORDER_ALREADY_CAPTURED") => rt.client.get_order(&order.id).await.map_err(paypal_error)?,
                    Err(e) => {
                        let message = format!("Capture failed: {e}");
                        self.write(|tx| {
                            tx.execute("UPDATE payments SET failure = ?2, updated_at = ?3 WHERE id = ?1", params![p.id, message, fmt_ts(&now)])?;
                            history(tx, &p.id, now, "capture_failed", &message)
                        })?;
                        return Err(paypal_error(e));
                    }
                };
                self.apply_order_captures(&p.id, &captured, source).await
            }
            OrderStatus::Completed => self.apply_order_captures(&p.id, &order, source).await,
            OrderStatus::Voided => {
                self.write(|tx| {
                    let n = tx.execute(
                        "UPDATE payments SET status = 'failed', failure = 'PayPal voided the order: make a new link', updated_at = ?2 WHERE id = ?1 AND status IN ('created', 'approved')",
                        params![p.id, fmt_ts(&now)],
                    )?;
                    if n > 0 {
                        history(tx, &p.id, now, "failed", "PayPal voided the order")?;
                    }
                    Ok(())
                })
            }
            _ => Ok(()),
        }
    }

    async fn apply_order_captures(&self, id: &str, order: &Order, source: &str) -> AppResult<()> {
        let Some(c) = order.captures().next() else {
            return Err(AppError::Unavailable(format!(
                "PayPal reports order {} as {:?} without a capture: check again later",
                order.id, order.status
            )));
        };
        let amount = c.amount().map_err(|e| AppError::Internal(e.to_string()))?;
        self.apply_capture(id, &c.id, amount, c.status, source)
            .await
            .map(|_| ())
    }

    fn mark_approved(&self, id: &str, source: &str) -> AppResult<()> {
        let now = self.now();
        self.write(|tx| {
            let n = tx.execute("UPDATE payments SET status = 'approved', updated_at = ?2 WHERE id = ?1 AND status = 'created'", params![id, fmt_ts(&now)])?;
            if n > 0 {
                history(tx, id, now, "approved", &format!("The customer approved the payment (seen by {source})"))?;
            }
            Ok(())
        })
    }

    /// The one way a capture reaches the wallet. Returns whether this call
    /// credited it (false: it was credited before, or is not complete).
    pub(crate) async fn apply_capture(
        &self,
        id: &str,
        capture_id: &str,
        amount: Option<Amount>,
        status: CaptureStatus,
        source: &str,
    ) -> AppResult<bool> {
        let now = self.now();
        let actor = format!("system:paypal ({source})");
        let credited = self.write(|tx| {
            let p = load_payment(tx, id)?;
            if let Some(existing) = &p.capture_id {
                if existing != capture_id {
                    tracing::error!(payment = id, existing, capture_id, "a second capture for one payment");
                    history(tx, id, now, "unexpected_capture", &format!("PayPal reported another capture {capture_id}; the payment keeps {existing}: check in PayPal"))?;
                    return Ok(false);
                }
            }
            match status {
                // Captured (and maybe refunded in PayPal since): the money came in.
                CaptureStatus::Completed | CaptureStatus::PartiallyRefunded | CaptureStatus::Refunded => {}
                CaptureStatus::Pending => {
                    if p.capture_id.is_none() {
                        tx.execute(
                            "UPDATE payments SET capture_id = ?2, status = 'approved', updated_at = ?3 WHERE id = ?1 AND status IN ('created', 'approved')",
                            params![id, capture_id, fmt_ts(&now)],
                        )?;
                        history(tx, id, now, "capture_pending", &format!("PayPal holds capture {capture_id} as pending; the wallet is credited when it completes"))?;
                    }
                    return Ok(false);
                }
                CaptureStatus::Declined | CaptureStatus::Failed => {
                    let n = tx.execute(
                        "UPDATE payments SET capture_id = ?2, status = 'failed', failure = 'PayPal declined the capture: the customer was not charged', updated_at = ?3 WHERE id = ?1 AND status IN ('created', 'approved')",
                        params![id, capture_id, fmt_ts(&now)],
                    )?;
                    if n > 0 {
                        history(tx, id, now, "failed", &format!("PayPal declined capture {capture_id}"))?;
                    }
                    return Ok(false);
                }
                _ => return Ok(false),
            }
            let amount = amount.clone().ok_or_else(|| AppError::Internal(format!("capture {capture_id} has no amount")))?;
            if amount.currency_code != p.currency.code() || amount.minor <= 0 {
                history(tx, id, now, "unexpected_capture", &format!("Capture {capture_id} is {} {}, not in {}: not credited, check in PayPal", amount.to_value(), amount.currency_code, p.currency))?;
                return Ok(false);
            }
            let money = Money::new(amount.minor, p.currency);
            let org = parse_org_id(&p.organization_id)?;
            let recorded = wallet::record_payment(
                tx,
                &NewPayment {
                    organization_id: org,
                    amount: money,
                    method: PaymentMethod::Paypal,
                    reference: capture_id.to_string(),
                    note: Some(format!("PayPal order {}", p.order_id.as_deref().unwrap_or("?"))),
                },
                now,
                &actor,
            )?;
            if recorded.already_recorded {
                return Ok(false);
            }
            tx.execute(
                "UPDATE payments SET status = 'completed', capture_id = ?2, captured_minor = ?3, receipt_id = ?4, failure = NULL, completed_at = ?5, updated_at = ?5 WHERE id = ?1",
                params![id, capture_id, amount.minor, recorded.receipt.id, fmt_ts(&now)],
            )?;
            history(tx, id, now, "completed", &format!("Captured {money} (capture {capture_id}, seen by {source}); wallet credited, receipt {}", recorded.receipt.number.as_deref().unwrap_or("issued")))?;
            tx.record_as(&actor, now, "payment.completed", Subject::payment(id, &p.organization_id.to_string()), format!("PayPal payment of {money} from {} credited; balance {}", p.organization_name, recorded.balance))?;
            // Issuing the receipt queued the "payment received" mail, with the
            // receipt attached, in this transaction (see `mail.rs`).
            Ok(true)
        })?;
        if credited {
            self.carry_out_decisions().await?;
        }
        Ok(credited)
    }

    /// Refunds a completed payment, fully (no amount) or partly.
    pub async fn refund_payment(&self, input: RefundInput) -> AppResult<PaymentDetail> {
        let reason = input.reason.trim().to_string();
        let mut e = cs_core::ValidationErrors::new();
        if reason.is_empty() {
            e.add(
                "reason",
                "Say why the money goes back: it is printed on the credit note",
            );
        } else if reason.chars().count() > 200 {
            e.add("reason", "Keep the reason under 200 characters");
        }
        let p = self
            .store
            .read(|c| load_payment(c, input.payment_id.trim()))?;
        let requested = match input
            .amount
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(a) => match Money::parse(a, p.currency) {
                Ok(m) if m.minor <= 0 => {
                    e.add("amount", "A refund must be more than zero");
                    None
                }
                Ok(m) => Some(m),
                Err(err) => {
                    e.add("amount", format!("Amount: {err}"));
                    None
                }
            },
        };
        if !e.is_empty() {
            return Err(AppError::Validation(e));
        }
        let rt = self.paypal()?;
        let now = self.now();
        let actor = self.actor.clone();
        let refund_id = crate::new_uuid().to_string();
        let request_id = RequestId::new();
        let (capture_id, amount) = self.write(|tx| {
            let p = load_payment(tx, &p.id)?;
            if !matches!(p.status.as_str(), "completed" | "partially_refunded") {
                return Err(AppError::Conflict(format!("Only a completed payment can be refunded; this one is {}", p.status.replace('_', " "))));
            }
            let captured = Money::new(p.captured_minor.unwrap_or(0), p.currency);
            let left = captured.minor - p.refunded_minor - p.pending_refunds_minor;
            let amount = requested.unwrap_or(Money::new(left, p.currency));
            if left <= 0 {
                return Err(AppError::Conflict(format!("Nothing is left to refund: {} of {captured} is refunded or being refunded", Money::new(captured.minor - left, p.currency))));
            }
            if amount.minor > left {
                return Err(AppError::validation(
                    "amount",
                    format!("At most {} can be refunded: {} of the {captured} paid is refunded or being refunded already", Money::new(left, p.currency), Money::new(captured.minor - left, p.currency)),
                ));
            }
            tx.execute(
                "INSERT INTO payment_refunds (id, payment_id, amount_minor, reason, status, request_id, created_at, created_by) VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7)",
                params![refund_id, p.id, amount.minor, reason, request_id.as_str(), fmt_ts(&now), actor],
            )?;
            history(tx, &p.id, now, "refund_requested", &format!("Refund of {amount} asked of PayPal by {actor}: {reason}"))?;
            Ok((p.capture_id.clone().unwrap_or_default(), amount))
        })?;
        self.send_refund(&rt, &p.id, &refund_id, &capture_id, amount, &request_id)
            .await?;
        self.get_payment(&p.id)
    }

    async fn send_refund(
        &self,
        rt: &PayPalRuntime,
        payment_id: &str,
        refund_id: &str,
        capture_id: &str,
        amount: Money,
        request_id: &RequestId,
    ) -> AppResult<()> {
        let reason: String = self.store.read(|c| {
            Ok::<_, AppError>(c.query_row(
                "SELECT reason FROM payment_refunds WHERE id = ?1",
                [refund_id],
                |r| r.get(0),
            )?)
        })?;
        let mut req = RefundRequest::partial(amount_of(amount)?);
        req.note_to_payer = Some(reason.chars().take(255).collect());
        let now = self.now();
        match rt.client.refund_capture(capture_id, &req, request_id).await {
            Ok(r) if matches!(r.status, RefundStatus::Completed) => {
                let refunded = r
                    .amount()
                    .ok()
                    .flatten()
                    .map(|a| a.minor)
                    .unwrap_or(amount.minor);
                self.complete_refund(
                    payment_id,
                    refund_id,
                    &r.id,
                    refunded,
                    "the refund response",
                )
                .await
            }
            Ok(r) if matches!(r.status, RefundStatus::Cancelled | RefundStatus::Failed) => {
                let message = format!(
                    "PayPal did not refund ({:?}): the customer got nothing back",
                    r.status
                );
                self.fail_refund(payment_id, refund_id, &message, now)?;
                Err(AppError::Conflict(message))
            }
            Ok(r) => {
                // Pending at PayPal: keep it reserved; the poller finishes it.
                self.write(|tx| {
                    tx.execute(
                        "UPDATE payment_refunds SET paypal_refund_id = ?2 WHERE id = ?1",
                        params![refund_id, r.id],
                    )?;
                    history(
                        tx,
                        payment_id,
                        now,
                        "refund_pending",
                        &format!("PayPal holds refund {} as pending", r.id),
                    )
                })
            }
            Err(e)
                if matches!(
                    e.issue(),
                    Some("REFUND_AMOUNT_EXCEEDED" | "CAPTURE_FULLY_REFUNDED")
                ) =>
            {
                let message = format!("PayPal refused the refund of {amount}: it is more than what is left on the capture ({e})");
                self.fail_refund(payment_id, refund_id, &message, now)?;
                Err(AppError::validation("amount", message))
            }
            Err(e) if e.is_retryable() => {
                let message = format!("PayPal did not answer ({e}). The refund is saved and asked for again with the same request id, so it happens once");
                self.write(|tx| history(tx, payment_id, now, "retrying", &message))?;
                Err(AppError::Unavailable(message))
            }
            Err(e) => {
                let message = format!("{e}");
                self.fail_refund(payment_id, refund_id, &message, now)?;
                Err(paypal_error(e))
            }
        }
    }

    fn fail_refund(
        &self,
        payment_id: &str,
        refund_id: &str,
        message: &str,
        now: Timestamp,
    ) -> AppResult<()> {
        self.write(|tx| {
            tx.execute("UPDATE payment_refunds SET status = 'failed', failure = ?2 WHERE id = ?1 AND status = 'pending'", params![refund_id, message])?;
            history(tx, payment_id, now, "refund_failed", message)
        })
    }

    /// Records a refund PayPal completed: credit note and wallet debit keyed
    /// by the PayPal refund id, once.
    async fn complete_refund(
        &self,
        payment_id: &str,
        refund_id: &str,
        paypal_refund_id: &str,
        amount_minor: i64,
        source: &str,
    ) -> AppResult<()> {
        let now = self.now();
        let actor = format!("system:paypal ({source})");
        self.write(|tx| {
            let status: String = tx.query_row("SELECT status FROM payment_refunds WHERE id = ?1", [refund_id], |r| r.get(0))?;
            if status == "completed" {
                return Ok(());
            }
            let p = load_payment(tx, payment_id)?;
            let amount = Money::new(amount_minor, p.currency);
            let reason: String = tx.query_row("SELECT reason FROM payment_refunds WHERE id = ?1", [refund_id], |r| r.get(0))?;
            let org = parse_org_id(&p.organization_id)?;
            let receipt_id = p.receipt_id.clone().ok_or_else(|| AppError::Conflict(format!("Payment {payment_id} has no receipt yet: it must be completed before it is refunded")))?;
            let note = wallet::refund(tx, &NewRefund { organization_id: org, amount, method: PaymentMethod::Paypal, reference: paypal_refund_id.to_string(), reason: reason.clone(), receipt_id }, now, &actor)?;
            tx.execute(
                "UPDATE payment_refunds SET status = 'completed', paypal_refund_id = ?2, amount_minor = ?3, credit_note_id = ?4, failure = NULL, completed_at = ?5 WHERE id = ?1",
                params![refund_id, paypal_refund_id, amount_minor, note.id, fmt_ts(&now)],
            )?;
            let refunded = p.refunded_minor + amount_minor;
            let captured = p.captured_minor.unwrap_or(0);
            let status = if refunded >= captured { "refunded" } else { "partially_refunded" };
            tx.execute("UPDATE payments SET refunded_minor = ?2, status = ?3, updated_at = ?4 WHERE id = ?1", params![payment_id, refunded.min(captured), status, fmt_ts(&now)])?;
            let balance = wallet::wallet_balance(tx, org, p.currency)?;
            history(tx, payment_id, now, "refunded", &format!("Refunded {amount} (PayPal refund {paypal_refund_id}); credit note {}", note.number.as_deref().unwrap_or("issued")))?;
            tx.record_as(&actor, now, "payment.refunded", Subject::payment(payment_id, &p.organization_id.to_string()), format!("Refunded {amount} of a PayPal payment to {}: {reason}; balance {balance}", p.organization_name))?;
            self.queue_mail_if_possible(
                tx,
                payment_id,
                &p.organization_id,
                TemplateKind::Refund,
                |name| {
                    let mut v = Vars::new();
                    v.insert("customer_name".into(), Var::from(name.to_string()));
                    v.insert("amount".into(), Var::from(amount.to_string()));
                    v.insert("reason".into(), Var::from(reason.clone()));
                    v.insert("new_balance".into(), Var::from(balance.to_string()));
                    v
                },
                now,
            )
        })
    }

    async fn retry_pending_refunds(&self, rt: &PayPalRuntime, payment_id: &str) -> AppResult<()> {
        let pending: Vec<(String, i64, String, Option<String>)> = self.store.read(|c| {
            let mut stmt = c.prepare("SELECT id, amount_minor, request_id, paypal_refund_id FROM payment_refunds WHERE payment_id = ?1 AND status = 'pending' ORDER BY created_at")?;
            let rows = stmt.query_map([payment_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<Vec<_>, _>>()?;
            Ok::<_, AppError>(rows)
        })?;
        let p = self.store.read(|c| load_payment(c, payment_id))?;
        for (refund_id, minor, request_id, paypal_id) in pending {
            match paypal_id {
                Some(pid) => {
                    let r = rt.client.get_refund(&pid).await.map_err(paypal_error)?;
                    match r.status {
                        RefundStatus::Completed => {
                            self.complete_refund(
                                payment_id,
                                &refund_id,
                                &r.id,
                                r.amount().ok().flatten().map(|a| a.minor).unwrap_or(minor),
                                "a check",
                            )
                            .await?
                        }
                        RefundStatus::Cancelled | RefundStatus::Failed => self.fail_refund(
                            payment_id,
                            &refund_id,
                            &format!("PayPal did not refund ({:?})", r.status),
                            self.now(),
                        )?,
                        _ => {}
                    }
                }
                None => {
                    let rid = RequestId::parse(request_id)
                        .map_err(|e| AppError::Internal(e.to_string()))?;
                    self.send_refund(
                        rt,
                        payment_id,
                        &refund_id,
                        p.capture_id.as_deref().unwrap_or_default(),
                        Money::new(minor, p.currency),
                        &rid,
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// Verifies one PayPal webhook delivery (offline: CRC32 of the raw body
    /// and RSA-SHA256 with the certificate from an allow-listed PayPal host)
    /// and applies it through the same exactly-once path as the poller.
    /// `headers` are the request's headers (any case); `raw_body` the exact bytes.
    /// A forged delivery is refused (`validation` error, answer 400) and changes nothing.
    pub async fn handle_paypal_webhook(
        &self,
        headers: &[(String, String)],
        raw_body: &[u8],
    ) -> AppResult<WebhookOutcome> {
        let rt = self.paypal()?;
        let verifier = rt.verifier.as_ref().ok_or_else(|| {
            AppError::Unavailable(
                "PayPal webhooks are not set up: add the webhook id in Settings → Payments".into(),
            )
        })?;
        let h = WebhookHeaders::from_lookup(|name| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        })
        .map_err(|e| {
            AppError::validation("webhook", format!("Not a PayPal webhook delivery: {e}"))
        })?;
        let event = verifier.verify(&h, raw_body).await.map_err(|e| {
            tracing::warn!(error = %e, "a PayPal webhook delivery was refused");
            AppError::validation("webhook", format!("The webhook delivery was refused: {e}"))
        })?;
        let seen = self.store.read(|c| {
            Ok::<_, AppError>(
                c.query_row(
                    "SELECT 1 FROM paypal_webhook_events WHERE event_id = ?1",
                    [&event.id],
                    |_| Ok(()),
                )
                .optional()?,
            )
        })?;
        if seen.is_some() {
            return Ok(WebhookOutcome::Duplicate);
        }
        let source = format!("webhook {}", event.event_type);
        let payment = match event.order_id() {
            Some(o) => self.store.read(|c| payment_by(c, "order_id", o))?,
            None => match event.capture_id() {
                Some(c) => self.store.read(|conn| payment_by(conn, "capture_id", c))?,
                None => None,
            },
        };
        let outcome = match (event.kind(), payment) {
            (_, None) => WebhookOutcome::Ignored {
                reason: format!("{} is not about a payment made here", event.event_type),
            },
            (EventKind::OrderApproved | EventKind::OrderCompleted, Some(p)) => {
                if matches!(p.status.as_str(), "created" | "approved") {
                    let order = rt
                        .client
                        .get_order(p.order_id.as_deref().unwrap_or_default())
                        .await
                        .map_err(paypal_error)?;
                    self.apply_order(&rt, &p, order, &source).await?;
                }
                WebhookOutcome::Applied { payment_id: p.id }
            }
            (
                EventKind::CaptureCompleted | EventKind::CapturePending | EventKind::CaptureDenied,
                Some(p),
            ) => {
                let status = match event.kind() {
                    EventKind::CaptureCompleted => CaptureStatus::Completed,
                    EventKind::CapturePending => CaptureStatus::Pending,
                    _ => CaptureStatus::Declined,
                };
                let capture_id = event.capture_id().unwrap_or_default().to_string();
                let amount = event
                    .amount()
                    .transpose()
                    .map_err(|e| AppError::validation("webhook", e.to_string()))?;
                if !capture_id.is_empty() {
                    self.apply_capture(&p.id, &capture_id, amount, status, &source)
                        .await?;
                }
                WebhookOutcome::Applied { payment_id: p.id }
            }
            (EventKind::CaptureRefunded | EventKind::CaptureReversed, Some(p)) => {
                let paypal_refund_id = event.refund_id().unwrap_or_default().to_string();
                let amount = event
                    .amount()
                    .transpose()
                    .map_err(|e| AppError::validation("webhook", e.to_string()))?;
                self.apply_refund_event(&p, &paypal_refund_id, amount, &source)
                    .await?;
                WebhookOutcome::Applied { payment_id: p.id }
            }
            (_, Some(p)) => WebhookOutcome::Ignored {
                reason: format!("{} needs no action (payment {})", event.event_type, p.id),
            },
        };
        let now = self.now();
        let payment_id = match &outcome {
            WebhookOutcome::Applied { payment_id } => Some(payment_id.clone()),
            _ => None,
        };
        self.write(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO paypal_webhook_events (event_id, event_type, payment_id, received_at) VALUES (?1, ?2, ?3, ?4)",
                params![event.id, event.event_type, payment_id, fmt_ts(&now)],
            )?;
            Ok::<_, AppError>(())
        })?;
        Ok(outcome)
    }

    /// A refund PayPal tells us about: ours (finish it) or one made in PayPal
    /// itself (record it the same way).
    async fn apply_refund_event(
        &self,
        p: &PaymentRow,
        paypal_refund_id: &str,
        amount: Option<Amount>,
        source: &str,
    ) -> AppResult<()> {
        if paypal_refund_id.is_empty() {
            return Ok(());
        }
        let known: Option<(String, String)> = self.store.read(|c| {
            Ok::<_, AppError>(
                c.query_row(
                    "SELECT id, status FROM payment_refunds WHERE paypal_refund_id = ?1",
                    [paypal_refund_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?,
            )
        })?;
        let minor = amount.as_ref().map(|a| a.minor).unwrap_or(0);
        match known {
            Some((_, status)) if status == "completed" => Ok(()),
            Some((rid, _)) => {
                self.complete_refund(
                    &p.id,
                    &rid,
                    paypal_refund_id,
                    if minor > 0 {
                        minor
                    } else {
                        p.captured_minor.unwrap_or(0)
                    },
                    source,
                )
                .await
            }
            None => {
                let pending: i64 = self.store.read(|c| Ok::<_, AppError>(c.query_row("SELECT count(*) FROM payment_refunds WHERE payment_id = ?1 AND status = 'pending' AND paypal_refund_id IS NULL", [&p.id], |r| r.get(0))?))?;
                if pending > 0 {
                    // Our own refund whose answer has not arrived: PayPal
                    // redelivers, and by then the refund row knows its id.
                    return Err(AppError::Unavailable("A refund of this payment is still being recorded: deliver the event again later".into()));
                }
                if minor <= 0
                    || amount
                        .as_ref()
                        .is_some_and(|a| a.currency_code != p.currency.code())
                {
                    return Ok(());
                }
                let refund_id = crate::new_uuid().to_string();
                let now = self.now();
                self.write(|tx| {
                    tx.execute(
                        "INSERT INTO payment_refunds (id, payment_id, amount_minor, reason, status, request_id, paypal_refund_id, created_at, created_by) VALUES (?1, ?2, ?3, 'Refunded in PayPal', 'pending', ?4, ?5, ?6, 'system:paypal')",
                        params![refund_id, p.id, minor, format!("external-{paypal_refund_id}"), paypal_refund_id, fmt_ts(&now)],
                    )?;
                    Ok::<_, AppError>(())
                })?;
                self.complete_refund(&p.id, &refund_id, paypal_refund_id, minor, source)
                    .await
            }
        }
    }

    /// One round of the poller: moves on the payments waiting for PayPal.
    /// Young links are checked every round, older ones less often.
    pub async fn poll_payments(&self) -> AppResult<usize> {
        if self
            .paypal
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
        {
            return Ok(0);
        }
        let now = self.now();
        let due: Vec<String> = self.store.read(|c| {
            let mut stmt = c.prepare(
                "SELECT p.id, p.created_at, p.last_checked_at FROM payments p
                 WHERE p.status IN ('created', 'approved')
                    OR EXISTS (SELECT 1 FROM payment_refunds r WHERE r.payment_id = p.id AND r.status = 'pending')
                 ORDER BY p.created_at",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?)))?.collect::<Result<Vec<_>, _>>()?;
            Ok::<_, AppError>(rows)
        })?
        .into_iter()
        .filter(|(_, created, checked)| {
            let created = cs_store::parse_ts(created).unwrap_or(now);
            let age = now - created;
            let since = checked.as_deref().and_then(|c| cs_store::parse_ts(c).ok()).map(|c| now - c);
            let every = if age < chrono::Duration::minutes(15) {
                chrono::Duration::zero()
            } else if age < chrono::Duration::hours(24) {
                chrono::Duration::minutes(1)
            } else if age < chrono::Duration::days(30) {
                chrono::Duration::minutes(30)
            } else {
                return false;
            };
            since.is_none_or(|s| s >= every)
        })
        .map(|(id, _, _)| id)
        .collect();
        let mut n = 0;
        for id in due {
            match self.advance_payment(&id).await {
                Ok(()) => n += 1,
                Err(e) => {
                    tracing::info!(payment = %id, error = %e, "PayPal payment check failed; will retry")
                }
            }
        }
        Ok(n)
    }
}

/// Checks payments waiting for PayPal every `every` (desktop and daemon).
pub async fn run(app: Arc<App>, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(e) = app.poll_payments().await {
            tracing::error!(error = %e, "the PayPal poller failed");
        }
    }
}
