//! The signed-in customer's own account: sessions, password, email address,
//! two-factor authentication and recovery codes. Every change needs the
//! password again (and, to turn two-factor off, a code too).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::{limit, rates, Brand, Limit};
use crate::auth::{password, totp, Caller};
use crate::http::{self, ApiError, ApiJson};
use crate::mail::{self, templates};
use crate::storage::accounts::{self, Account};
use crate::storage::tokens::{self, Issue, Purpose};
use crate::storage::{audit, sessions, StorageError};
use crate::Portal;

fn entry<'a>(caller: &'a Caller, action: &'a str, detail: &'a str) -> audit::Entry<'a> {
    audit::Entry {
        tenant_id: &caller.session.tenant_id,
        account_id: Some(&caller.session.account_id),
        action,
        detail,
        ip: &caller.client.ip,
    }
}

/// The caller's account, after checking `password` (rate-limited per
/// account); a wrong password is an error on `field`.
async fn with_password(
    portal: &Portal,
    caller: &Caller,
    password: String,
    field: &str,
) -> Result<Account, ApiError> {
    if password.len() > 800 {
        return Err(ApiError::field(field, "the password is wrong"));
    }
    limit(
        portal,
        vec![Limit::new(
            format!("password:account:{}", caller.session.account_id),
            rates::WINDOW,
            rates::PASSWORD_CHECKS_PER_ACCOUNT,
        )],
    )
    .await?;
    let account = load(portal, caller).await?;
    if !portal
        .check_password(password, Some(account.password_hash.clone()))
        .await
    {
        return Err(ApiError::field(field, "the password is wrong"));
    }
    Ok(account)
}

async fn load(portal: &Portal, caller: &Caller) -> Result<Account, ApiError> {
    let id = caller.session.account_id.clone();
    portal
        .db
        .run(false, move |tx| accounts::by_id(tx, &id))
        .await?
        .ok_or_else(ApiError::signed_out)
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionItem {
    pub id: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_seen_at: chrono::DateTime<chrono::Utc>,
    pub ip: String,
    pub user_agent: String,
    pub current: bool,
}

/// `GET /api/v1/sessions`.
pub async fn sessions(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let now = portal.now();
    let account = caller.session.account_id.clone();
    let list = portal
        .db
        .run(false, move |tx| sessions::list(tx, &account, now))
        .await?;
    let items: Vec<SessionItem> = list
        .into_iter()
        .map(|s| SessionItem {
            current: s.id == caller.session.id,
            id: s.id,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            ip: s.ip,
            user_agent: s.user_agent,
        })
        .collect();
    Ok(http::json(StatusCode::OK, &items))
}

/// `DELETE /api/v1/sessions/{id}`: only the caller's own sessions.
pub async fn revoke_session(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let now = portal.now();
    let c = caller.clone();
    let target = id.clone();
    let revoked = portal
        .db
        .run(true, move |tx| {
            let done = sessions::revoke(tx, &c.session.account_id, &target, now)?;
            if done {
                audit::record(tx, entry(&c, "session_revoked", &target), now)?;
            }
            Ok::<_, StorageError>(done)
        })
        .await?;
    if !revoked {
        return Err(ApiError::not_found("session"));
    }
    let mut response = http::empty(StatusCode::NO_CONTENT);
    if id == caller.session.id {
        response.headers_mut().append(
            header::SET_COOKIE,
            http::set_cookie(&portal, http::SESSION_COOKIE, None, true),
        );
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// `POST /api/v1/account/password`: every other session ends.
pub async fn change_password(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<Response, ApiError> {
    if body.new_password.len() > 800 {
        return Err(ApiError::field("newPassword", "use at most 200 characters"));
    }
    let account = with_password(&portal, &caller, body.current_password, "currentPassword").await?;
    password::check_new(&body.new_password, &account.email)
        .map_err(|m| ApiError::field("newPassword", m))?;
    let hash = portal.hash_password(body.new_password).await?;
    let now = portal.now();
    portal
        .db
        .run(true, move |tx| {
            accounts::set_password(tx, &account.id, &hash)?;
            let n = sessions::revoke_all(tx, &account.id, Some(&caller.session.id), now)?;
            tokens::invalidate_purpose(tx, &account.id, Purpose::PasswordReset, now)?;
            audit::record(
                tx,
                entry(
                    &caller,
                    "password_changed",
                    &format!("{n} other session(s) revoked"),
                ),
                now,
            )
        })
        .await?;
    Ok(http::empty(StatusCode::NO_CONTENT))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EmailChange {
    pub new_email: String,
    pub password: String,
}

/// `POST /api/v1/account/email`: a confirmation link to the new address, a
/// notice to the old. The answer is the same whether or not another
/// account uses the new address (that address is told so instead).
pub async fn change_email(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
    ApiJson(body): ApiJson<EmailChange>,
) -> Result<Response, ApiError> {
    accounts::check_email(&body.new_email).map_err(|m| ApiError::field("newEmail", m))?;
    if accounts::email_key(&body.new_email) == accounts::email_key(&caller.session.email) {
        return Err(ApiError::field("newEmail", "this is your address already"));
    }
    let account = with_password(&portal, &caller, body.password, "password").await?;
    let now = portal.now();
    let p = portal.clone();
    let new_email = body.new_email.trim().to_string();
    portal
        .db
        .run(true, move |tx| {
            let brand = Brand::load_by_id(tx, &account.tenant_id)?;
            if accounts::email_in_use(tx, &account.tenant_id, &new_email)? {
                let rendered = templates::email_taken(&brand, &new_email);
                mail::queue(
                    tx,
                    &account.tenant_id,
                    &brand,
                    "email_taken",
                    &new_email,
                    rendered,
                    None,
                    &p.mail_domain,
                    now,
                )?;
            } else {
                let token = tokens::issue(
                    tx,
                    Issue {
                        purpose: Purpose::EmailChange,
                        tenant_id: &account.tenant_id,
                        account_id: Some(&account.id),
                        contact: Some(&account.contact),
                        org: Some(&account.org),
                        email: &new_email,
                        source: None,
                    },
                    now,
                )?
                .ok_or(StorageError::Conflict(
                    "a confirmation link could not be made".into(),
                ))?;
                let link = format!("{}/{}/confirm-email#{token}", p.public_url, brand.slug);
                let rendered = templates::email_confirm(
                    &brand,
                    &caller.session.name,
                    &new_email,
                    &link,
                    now + Purpose::EmailChange.lifetime(),
                );
                mail::queue(
                    tx,
                    &account.tenant_id,
                    &brand,
                    "email_confirm",
                    &new_email,
                    rendered,
                    Some(&token),
                    &p.mail_domain,
                    now,
                )?;
            }
            let rendered = templates::email_notice(&brand, &caller.session.name, &new_email);
            mail::queue(
                tx,
                &account.tenant_id,
                &brand,
                "email_notice",
                &account.email,
                rendered,
                None,
                &p.mail_domain,
                now,
            )?;
            audit::record(
                tx,
                entry(
                    &caller,
                    "email_change_requested",
                    &format!("to {new_email}"),
                ),
                now,
            )
        })
        .await?;
    portal.mail_wake.notify_one();
    Ok(http::empty(StatusCode::ACCEPTED))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TwoFactorSetup {
    /// Base-32, for typing into an app.
    pub secret: String,
    pub otpauth_uri: String,
}

/// `POST /api/v1/account/two-factor/setup`: a new secret, not on until a
/// code from it enables it.
pub async fn two_factor_setup(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
) -> Result<Response, ApiError> {
    if caller.session.two_factor {
        return Err(ApiError::conflict(
            "two-factor authentication is on already: turn it off first to set up another app",
        ));
    }
    let secret = totp::new_secret();
    let now = portal.now();
    let c = caller.clone();
    let s = secret.clone();
    let brand = portal
        .db
        .run(true, move |tx| {
            accounts::set_totp_pending(tx, &c.session.account_id, &s)?;
            audit::record(tx, entry(&c, "two_factor_setup", ""), now)?;
            Brand::load_by_id(tx, &c.session.tenant_id)
        })
        .await?;
    let body = TwoFactorSetup {
        secret: totp::base32(&secret),
        otpauth_uri: totp::uri(&secret, &brand.name, &caller.session.email),
    };
    Ok(http::json(StatusCode::OK, &body))
}

/// `GET /api/v1/account/two-factor/qr.svg`: the pending secret's URI as a
/// QR code, served from the portal itself (the CSP allows nothing else).
pub async fn two_factor_qr(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let account = load(&portal, &caller).await?;
    let Some(secret) = account.totp_pending else {
        return Err(ApiError::not_found("two-factor setup: start one first"));
    };
    let tenant = caller.session.tenant_id.clone();
    let brand = portal
        .db
        .run(false, move |tx| Brand::load_by_id(tx, &tenant))
        .await?;
    let svg = totp::qr_svg(&totp::uri(&secret, &brand.name, &account.email));
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        svg,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeOnly {
    pub code: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

async fn limit_codes(portal: &Portal, caller: &Caller) -> Result<(), ApiError> {
    limit(
        portal,
        vec![Limit::new(
            format!("code:account:{}", caller.session.account_id),
            rates::WINDOW,
            rates::CODES_PER_ACCOUNT,
        )],
    )
    .await
}

/// `POST /api/v1/account/two-factor/enable`: a code from the pending secret
/// turns it on; the answer holds the ten recovery codes, shown once.
pub async fn two_factor_enable(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
    ApiJson(body): ApiJson<CodeOnly>,
) -> Result<Response, ApiError> {
    limit_codes(&portal, &caller).await?;
    let account = load(&portal, &caller).await?;
    let Some(secret) = account.totp_pending.clone() else {
        return Err(ApiError::conflict("start the two-factor setup first"));
    };
    let now = portal.now();
    let step = totp::matching_step(&secret, &body.code, totp::step_at(now.timestamp()))
        .ok_or_else(ApiError::invalid_code)?;
    let codes = portal
        .db
        .run(true, move |tx| {
            if !accounts::enable_totp(tx, &account.id, &secret, step, now)? {
                return Ok(None);
            }
            let codes = accounts::new_recovery_codes(tx, &account.id)?;
            audit::record(tx, entry(&caller, "two_factor_enabled", ""), now)?;
            Ok::<_, StorageError>(Some(codes))
        })
        .await?
        .ok_or_else(|| ApiError::conflict("the setup changed meanwhile: scan the new QR code"))?;
    Ok(http::json(
        StatusCode::OK,
        &RecoveryCodes {
            recovery_codes: codes,
        },
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordAndCode {
    pub password: String,
    pub code: String,
}

/// `POST /api/v1/account/two-factor/disable`: the password and a current
/// code (of a step not used before).
pub async fn two_factor_disable(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
    ApiJson(body): ApiJson<PasswordAndCode>,
) -> Result<Response, ApiError> {
    if !caller.session.two_factor {
        return Err(ApiError::conflict(
            "two-factor authentication is off already",
        ));
    }
    let account = with_password(&portal, &caller, body.password, "password").await?;
    limit_codes(&portal, &caller).await?;
    let now = portal.now();
    let step = account
        .totp_secret
        .as_deref()
        .and_then(|s| totp::matching_step(s, &body.code, totp::step_at(now.timestamp())))
        .ok_or_else(ApiError::invalid_code)?;
    let done = portal
        .db
        .run(true, move |tx| {
            if !accounts::take_totp_step(tx, &account.id, step)? {
                return Ok(false);
            }
            accounts::disable_totp(tx, &account.id)?;
            audit::record(tx, entry(&caller, "two_factor_disabled", ""), now)?;
            Ok::<_, StorageError>(true)
        })
        .await?;
    if !done {
        return Err(ApiError::invalid_code());
    }
    Ok(http::empty(StatusCode::NO_CONTENT))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordOnly {
    pub password: String,
}

/// `POST /api/v1/account/recovery-codes`: ten new codes; the old ones stop
/// working.
pub async fn recovery_codes(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
    ApiJson(body): ApiJson<PasswordOnly>,
) -> Result<Response, ApiError> {
    if !caller.session.two_factor {
        return Err(ApiError::conflict(
            "recovery codes come with two-factor authentication: turn it on first",
        ));
    }
    let account = with_password(&portal, &caller, body.password, "password").await?;
    let now = portal.now();
    let codes = portal
        .db
        .run(true, move |tx| {
            let codes = accounts::new_recovery_codes(tx, &account.id)?;
            audit::record(tx, entry(&caller, "recovery_codes_regenerated", ""), now)?;
            Ok::<_, StorageError>(codes)
        })
        .await?;
    Ok(http::json(
        StatusCode::OK,
        &RecoveryCodes {
            recovery_codes: codes,
        },
    ))
}
