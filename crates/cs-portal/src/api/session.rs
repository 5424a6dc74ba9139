//! Signing in and out, the second factor, and the links mailed to customers
//! (invitations, password resets, email confirmations).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use cs_sync::record::ContactRole;
use serde::{Deserialize, Serialize};

use super::{clear_limit, limit, organization_name, rates, tenant_by_slug, Brand, Limit};
use crate::auth::{password, totp, Caller};
use crate::db::Tx;
use crate::http::{self, ApiError, ApiJson, Client};
use crate::mail::{self, templates};
use crate::storage::sessions::{self, Live, Stage};
use crate::storage::tokens::{self, Issue, Purpose};
use crate::storage::{accounts, audit, tenants, StorageError};
use crate::Portal;

/// `Session` of API.md. Until the second factor is given it says nothing
/// of the account (a password alone does not show whose it is, nor where).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionBody {
    pub stage: &'static str,
    pub csrf_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<Named>,
    pub tenant: TenantBody,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountBody {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: ContactRole,
    pub two_factor: bool,
}

#[derive(Debug, Serialize)]
pub struct Named {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct TenantBody {
    pub slug: String,
    pub name: String,
}

fn session_body(tx: &mut dyn Tx, s: &Live) -> Result<SessionBody, StorageError> {
    let brand = Brand::load_by_id(tx, &s.tenant_id)?;
    let signed_in = s.stage == Stage::SignedIn;
    Ok(SessionBody {
        stage: s.stage.as_str(),
        csrf_token: s.csrf.clone(),
        account: signed_in.then(|| AccountBody {
            id: s.account_id.clone(),
            name: s.name.clone(),
            email: s.email.clone(),
            role: s.role,
            two_factor: s.two_factor,
        }),
        organization: if signed_in {
            Some(Named {
                id: s.org.clone(),
                name: organization_name(tx, &s.tenant_id, &s.org)?,
            })
        } else {
            None
        },
        tenant: TenantBody {
            slug: s.tenant_slug.clone(),
            name: brand.name,
        },
    })
}

/// The answer of a route that starts (or renews) a session: its `Session`
/// and the cookie with its new token.
async fn signed_in(
    portal: &Portal,
    token: String,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let now = portal.now();
    let t = token.clone();
    let body = portal
        .db
        .run(false, move |tx| {
            let Some(live) = sessions::lookup(tx, &t, now)? else {
                return Ok(None);
            };
            session_body(tx, &live).map(Some)
        })
        .await?
        .ok_or_else(ApiError::signed_out)?;
    let mut response = http::json(status, &body);
    response.headers_mut().append(
        header::SET_COOKIE,
        http::set_cookie(portal, http::SESSION_COOKIE, Some(&token), true),
    );
    Ok(response)
}

fn audit_entry<'a>(
    tenant_id: &'a str,
    account_id: Option<&'a str>,
    action: &'a str,
    detail: &'a str,
    client: &'a Client,
) -> audit::Entry<'a> {
    audit::Entry {
        tenant_id,
        account_id,
        action,
        detail,
        ip: &client.ip,
    }
}

/// Whether the account's contact is on the portal (an account whose contact
/// is missing cannot be used, see [`sessions::lookup`]).
fn contact_present(tx: &mut dyn Tx, a: &accounts::Account) -> Result<bool, StorageError> {
    Ok(accounts::contact(tx, &a.tenant_id, &a.contact)?.is_some())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub email: String,
    pub password: String,
}

/// The longest password anyone is made to hash (the rules allow 200
/// characters; 4 bytes each at most).
const MAX_PASSWORD_BYTES: usize = 800;

fn check_lengths(email: Option<&str>, password: &str, field: &str) -> Result<(), ApiError> {
    if email.is_some_and(|e| e.len() > 254) {
        return Err(ApiError::field("email", "use at most 254 characters"));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::field(field, "use at most 200 characters"));
    }
    Ok(())
}

/// `POST /api/v1/t/{tenant}/sign-in`. An unknown email costs the same
/// password check as a wrong password and gets the same answer.
pub async fn sign_in(
    State(portal): State<Arc<Portal>>,
    Path(slug): Path<String>,
    client: Client,
    ApiJson(body): ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    check_lengths(Some(&body.email), &body.password, "password")?;
    let tenant = tenant_by_slug(&portal, slug).await?;
    let account_key = format!(
        "sign-in:account:{}:{}",
        tenant.id,
        accounts::email_key(&body.email)
    );
    limit(
        &portal,
        vec![
            Limit::new(
                format!("sign-in:address:{}", client.ip),
                rates::WINDOW,
                rates::SIGN_IN_PER_ADDRESS,
            ),
            Limit::new(
                account_key.clone(),
                rates::WINDOW,
                rates::SIGN_IN_PER_ACCOUNT,
            ),
        ],
    )
    .await?;
    let (tenant_id, email) = (tenant.id.clone(), body.email.clone());
    let account = portal
        .db
        .run(false, move |tx| accounts::by_email(tx, &tenant_id, &email))
        .await?;
    let right = portal
        .check_password(
            body.password,
            account.as_ref().map(|a| a.password_hash.clone()),
        )
        .await;
    let now = portal.now();
    let c = client.clone();
    let tenant_id = tenant.id.clone();
    let token = portal
        .db
        .run(true, move |tx| {
            let usable = match &account {
                Some(a) if right => contact_present(tx, a)?,
                _ => false,
            };
            let Some(a) = account.filter(|_| usable) else {
                audit::record(
                    tx,
                    audit_entry(
                        &tenant_id,
                        None,
                        "sign_in_failed",
                        "wrong email or password",
                        &c,
                    ),
                    now,
                )?;
                return Ok(None);
            };
            let stage = if a.totp_enabled {
                Stage::SecondFactor
            } else {
                Stage::SignedIn
            };
            let (_, token) =
                sessions::create(tx, &a.tenant_id, &a.id, stage, &c.ip, &c.user_agent, now)?;
            audit::record(
                tx,
                audit_entry(&a.tenant_id, Some(&a.id), "sign_in", stage.as_str(), &c),
                now,
            )?;
            Ok::<_, StorageError>(Some(token))
        })
        .await?;
    let Some(token) = token else {
        return Err(ApiError::invalid_credentials());
    };
    clear_limit(&portal, account_key).await?;
    signed_in(&portal, token, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecondFactor {
    pub code: Option<String>,
    pub recovery_code: Option<String>,
}

/// `POST /api/v1/sign-in/second-factor`: a TOTP code (of a step not used
/// before) or an unused recovery code moves the session to `signed_in`.
pub async fn second_factor(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
    ApiJson(body): ApiJson<SecondFactor>,
) -> Result<Response, ApiError> {
    if caller.session.stage == Stage::SignedIn {
        return Err(ApiError::conflict("this session is signed in already"));
    }
    let code = match (body.code, body.recovery_code) {
        (Some(c), None) if c.len() <= 64 => Code::Totp(c),
        (None, Some(r)) if r.len() <= 64 => Code::Recovery(r),
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "send either code or recoveryCode, not both",
            ))
        }
        (None, None) => {
            return Err(ApiError::field(
                "code",
                "enter the code from your authenticator app",
            ))
        }
        _ => return Err(ApiError::invalid_code()),
    };
    let s = caller.session.clone();
    limit(
        &portal,
        vec![
            Limit::new(
                format!("code:account:{}", s.account_id),
                rates::WINDOW,
                rates::CODES_PER_ACCOUNT,
            ),
            Limit::new(
                format!("code:address:{}", caller.client.ip),
                rates::WINDOW,
                rates::CODES_PER_ADDRESS,
            ),
        ],
    )
    .await?;
    let now = portal.now();
    let client = caller.client.clone();
    let token = portal
        .db
        .run(true, move |tx| {
            let Some(account) = accounts::by_id(tx, &s.account_id)? else {
                return Ok(None);
            };
            let (ok, action) = match &code {
                Code::Totp(c) => {
                    let step = account.totp_secret.as_deref().and_then(|secret| {
                        totp::matching_step(secret, c, totp::step_at(now.timestamp()))
                    });
                    let taken = match step {
                        Some(step) => accounts::take_totp_step(tx, &account.id, step)?,
                        None => false,
                    };
                    (taken, "second_factor")
                }
                Code::Recovery(r) => (
                    account.totp_enabled && accounts::use_recovery_code(tx, &account.id, r, now)?,
                    "recovery_code_used",
                ),
            };
            if !ok {
                audit::record(
                    tx,
                    audit_entry(
                        &s.tenant_id,
                        Some(&s.account_id),
                        "second_factor_failed",
                        "",
                        &client,
                    ),
                    now,
                )?;
                return Ok(None);
            }
            let token = sessions::promote(tx, &s.id, now)?;
            audit::record(
                tx,
                audit_entry(&s.tenant_id, Some(&s.account_id), action, "", &client),
                now,
            )?;
            Ok::<_, StorageError>(Some(token))
        })
        .await?
        .ok_or_else(ApiError::invalid_code)?;
    signed_in(&portal, token, StatusCode::OK).await
}

enum Code {
    Totp(String),
    Recovery(String),
}

/// `GET /api/v1/session`.
pub async fn current(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let s = caller.session;
    let body = portal.db.run(false, move |tx| session_body(tx, &s)).await?;
    Ok(http::json(StatusCode::OK, &body))
}

/// `POST /api/v1/sign-out`.
pub async fn sign_out(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let now = portal.now();
    let s = caller.session.clone();
    let client = caller.client.clone();
    portal
        .db
        .run(true, move |tx| {
            sessions::revoke(tx, &s.account_id, &s.id, now)?;
            audit::record(
                tx,
                audit_entry(&s.tenant_id, Some(&s.account_id), "sign_out", "", &client),
                now,
            )
        })
        .await?;
    let mut response = http::empty(StatusCode::NO_CONTENT);
    response.headers_mut().append(
        header::SET_COOKIE,
        http::set_cookie(&portal, http::SESSION_COOKIE, None, true),
    );
    Ok(response)
}

/// Counts a use of a mailed link against the client's address.
async fn limit_token_use(portal: &Portal, client: &Client) -> Result<(), ApiError> {
    limit(
        portal,
        vec![Limit::new(
            format!("token:address:{}", client.ip),
            rates::WINDOW,
            rates::TOKENS_PER_ADDRESS,
        )],
    )
    .await
}

/// What an invitation link shows before it is accepted.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationBody {
    pub tenant: String,
    pub tenant_name: String,
    pub email: String,
    pub name: String,
    pub organization: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// The invitation behind a token with its contact (and the contact's
/// organization now), if both are still good.
fn invitation_of(
    tx: &mut dyn Tx,
    t: &tokens::Token,
) -> Result<Option<(tenants::Tenant, String, cs_sync::record::ContactV1)>, StorageError> {
    let Some(contact) = t.contact.as_deref() else {
        return Ok(None);
    };
    let Some((org, c)) = accounts::contact(tx, &t.tenant_id, contact)? else {
        return Ok(None);
    };
    let tenant = tenants::by_id(tx, &t.tenant_id)?.ok_or(StorageError::NotFound)?;
    Ok(Some((tenant, org, c)))
}

/// `GET /api/v1/invitations/{token}`.
pub async fn invitation(
    State(portal): State<Arc<Portal>>,
    Path(token): Path<String>,
    client: Client,
) -> Result<Response, ApiError> {
    limit_token_use(&portal, &client).await?;
    let now = portal.now();
    let body = portal
        .db
        .run(false, move |tx| {
            let Some(t) = tokens::peek(tx, Purpose::Invitation, &token, now)? else {
                return Ok(None);
            };
            let Some((tenant, org, contact)) = invitation_of(tx, &t)? else {
                return Ok(None);
            };
            let brand = Brand::load(tx, &tenant)?;
            let organization = organization_name(tx, &tenant.id, &org)?;
            Ok::<_, StorageError>(Some(InvitationBody {
                tenant: tenant.slug,
                tenant_name: brand.name,
                email: t.email,
                name: contact.name,
                organization,
                expires_at: t.expires_at,
            }))
        })
        .await?
        .ok_or_else(ApiError::expired)?;
    Ok(http::json(StatusCode::OK, &body))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenAndPassword {
    pub token: String,
    pub password: String,
}

/// `POST /api/v1/invitations/accept`: the account is created (or, for an
/// invitation sent again, its password set) and signed in.
pub async fn accept_invitation(
    State(portal): State<Arc<Portal>>,
    client: Client,
    ApiJson(body): ApiJson<TokenAndPassword>,
) -> Result<Response, ApiError> {
    check_lengths(None, &body.password, "password")?;
    limit_token_use(&portal, &client).await?;
    let now = portal.now();
    let token = body.token.clone();
    let email = portal
        .db
        .run(false, move |tx| {
            let Some(t) = tokens::peek(tx, Purpose::Invitation, &token, now)? else {
                return Ok(None);
            };
            Ok::<_, StorageError>(invitation_of(tx, &t)?.map(|_| t.email))
        })
        .await?
        .ok_or_else(ApiError::expired)?;
    password::check_new(&body.password, &email).map_err(|m| ApiError::field("password", m))?;
    let hash = portal.hash_password(body.password).await?;
    let session = portal
        .db
        .run(true, move |tx| {
            let Some(t) = tokens::take(tx, Purpose::Invitation, &body.token, now)? else {
                return Ok(None);
            };
            let Some((_, org, contact)) = invitation_of(tx, &t)? else {
                return Ok(None);
            };
            let contact_id = t.contact.clone().unwrap_or_default();
            let existed = accounts::by_contact(tx, &t.tenant_id, &contact_id)?.is_some();
            let a = accounts::accept_invitation(
                tx,
                &t.tenant_id,
                &contact_id,
                &org,
                &contact.name,
                &t.email,
                &hash,
                now,
            )?;
            if existed {
                sessions::revoke_all(tx, &a.id, None, now)?;
            }
            let stage = if a.totp_enabled {
                Stage::SecondFactor
            } else {
                Stage::SignedIn
            };
            let (_, token) = sessions::create(
                tx,
                &a.tenant_id,
                &a.id,
                stage,
                &client.ip,
                &client.user_agent,
                now,
            )?;
            let detail = if existed {
                "password set again"
            } else {
                "account created"
            };
            audit::record(
                tx,
                audit_entry(
                    &a.tenant_id,
                    Some(&a.id),
                    "invitation_accepted",
                    detail,
                    &client,
                ),
                now,
            )?;
            Ok::<_, StorageError>(Some(token))
        })
        .await?
        .ok_or_else(ApiError::expired)?;
    signed_in(&portal, session, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailOnly {
    pub email: String,
}

/// `POST /api/v1/t/{tenant}/password-reset`: always 202; a link goes out
/// only to an account's address.
pub async fn request_password_reset(
    State(portal): State<Arc<Portal>>,
    Path(slug): Path<String>,
    client: Client,
    ApiJson(body): ApiJson<EmailOnly>,
) -> Result<Response, ApiError> {
    accounts::check_email(&body.email).map_err(|m| ApiError::field("email", m))?;
    let tenant = tenant_by_slug(&portal, slug).await?;
    limit(
        &portal,
        vec![
            Limit::new(
                format!("reset:address:{}", client.ip),
                rates::RESET_WINDOW,
                rates::RESETS_PER_ADDRESS,
            ),
            Limit::new(
                format!(
                    "reset:account:{}:{}",
                    tenant.id,
                    accounts::email_key(&body.email)
                ),
                rates::RESET_WINDOW,
                rates::RESETS_PER_ACCOUNT,
            ),
        ],
    )
    .await?;
    let now = portal.now();
    let p = portal.clone();
    portal
        .db
        .run(true, move |tx| {
            let Some(a) = accounts::by_email(tx, &tenant.id, &body.email)? else {
                return Ok(());
            };
            if !contact_present(tx, &a)? {
                return Ok(());
            }
            let token = tokens::issue(
                tx,
                Issue {
                    purpose: Purpose::PasswordReset,
                    tenant_id: &tenant.id,
                    account_id: Some(&a.id),
                    contact: Some(&a.contact),
                    org: Some(&a.org),
                    email: &a.email,
                    source: None,
                },
                now,
            )?
            .ok_or(StorageError::Conflict(
                "a reset link could not be made".into(),
            ))?;
            let brand = Brand::load(tx, &tenant)?;
            let link = format!("{}/{}/reset-password#{token}", p.public_url, tenant.slug);
            let rendered = templates::password_reset(
                &brand,
                &a.name,
                &link,
                now + Purpose::PasswordReset.lifetime(),
            );
            mail::queue(
                tx,
                &tenant.id,
                &brand,
                "password_reset",
                &a.email,
                rendered,
                Some(&token),
                &p.mail_domain,
                now,
            )?;
            audit::record(
                tx,
                audit_entry(
                    &tenant.id,
                    Some(&a.id),
                    "password_reset_requested",
                    "",
                    &client,
                ),
                now,
            )?;
            Ok::<_, StorageError>(())
        })
        .await?;
    portal.mail_wake.notify_one();
    Ok(http::empty(StatusCode::ACCEPTED))
}

/// `POST /api/v1/password-reset/confirm`: the new password, and every
/// session of the account ends.
pub async fn confirm_password_reset(
    State(portal): State<Arc<Portal>>,
    client: Client,
    ApiJson(body): ApiJson<TokenAndPassword>,
) -> Result<Response, ApiError> {
    check_lengths(None, &body.password, "password")?;
    limit_token_use(&portal, &client).await?;
    let now = portal.now();
    let token = body.token.clone();
    let account = portal
        .db
        .run(false, move |tx| {
            let Some(t) = tokens::peek(tx, Purpose::PasswordReset, &token, now)? else {
                return Ok(None);
            };
            let Some(id) = t.account_id else {
                return Ok(None);
            };
            Ok::<_, StorageError>(accounts::by_id(tx, &id)?.filter(|a| a.disabled_at.is_none()))
        })
        .await?
        .ok_or_else(ApiError::expired)?;
    password::check_new(&body.password, &account.email)
        .map_err(|m| ApiError::field("password", m))?;
    let hash = portal.hash_password(body.password).await?;
    let done = portal
        .db
        .run(true, move |tx| {
            let Some(t) = tokens::take(tx, Purpose::PasswordReset, &body.token, now)? else {
                return Ok(false);
            };
            if t.account_id.as_deref() != Some(account.id.as_str()) {
                return Ok(false);
            }
            accounts::set_password(tx, &account.id, &hash)?;
            sessions::revoke_all(tx, &account.id, None, now)?;
            tokens::invalidate_purpose(tx, &account.id, Purpose::PasswordReset, now)?;
            audit::record(
                tx,
                audit_entry(
                    &account.tenant_id,
                    Some(&account.id),
                    "password_reset",
                    "every session revoked",
                    &client,
                ),
                now,
            )?;
            Ok::<_, StorageError>(true)
        })
        .await?;
    if !done {
        return Err(ApiError::expired());
    }
    Ok(http::empty(StatusCode::NO_CONTENT))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenOnly {
    pub token: String,
}

/// `POST /api/v1/email-change/confirm`: the account signs in with the new
/// address from now on.
pub async fn confirm_email_change(
    State(portal): State<Arc<Portal>>,
    client: Client,
    ApiJson(body): ApiJson<TokenOnly>,
) -> Result<Response, ApiError> {
    limit_token_use(&portal, &client).await?;
    let now = portal.now();
    let done = portal
        .db
        .run(true, move |tx| {
            let Some(t) = tokens::take(tx, Purpose::EmailChange, &body.token, now)? else {
                return Ok(false);
            };
            let Some(a) = t
                .account_id
                .as_deref()
                .map(|id| accounts::by_id(tx, id))
                .transpose()?
                .flatten()
            else {
                return Ok(false);
            };
            if a.disabled_at.is_some() {
                return Ok(false);
            }
            accounts::set_email(tx, &a.id, &t.email)?;
            let detail = format!("from {} to {}", a.email, t.email);
            audit::record(
                tx,
                audit_entry(&a.tenant_id, Some(&a.id), "email_changed", &detail, &client),
                now,
            )?;
            Ok::<_, StorageError>(true)
        })
        .await?;
    if !done {
        return Err(ApiError::expired());
    }
    Ok(http::empty(StatusCode::NO_CONTENT))
}
