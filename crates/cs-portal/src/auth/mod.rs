//! Who a browser request comes from, checked before any handler runs.
//!
//! [`guard`] wraps every route with the [`Access`] the route table declares:
//! it finds the session from the `cs_session` cookie (only the token's
//! SHA-256 is looked up), refuses a session at the wrong stage or a role the
//! route's [`Area`] does not admit, runs the CSRF checks of a state-changing
//! request, and hands the handler a [`Caller`]. The caller's tenant and
//! organization come from the session (and the contact record it belongs
//! to), never from the request: a handler has no other way to learn them.

pub mod password;
pub mod totp;

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cs_sync::record::ContactRole;

use crate::http::{self, ApiError, Client};
use crate::routes::{Access, Area};
use crate::storage::sessions::{self, Live, Stage};
use crate::Portal;

/// The signed-in (or half signed-in) caller of a route.
#[derive(Debug, Clone)]
pub struct Caller {
    pub session: Live,
    pub client: Client,
}

impl Caller {
    /// Whether the caller's role admits `area`.
    pub fn may(&self, area: Area) -> bool {
        area.admits(self.session.role)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            // A handler asked for a caller on a route declared without a
            // session: a bug in the route table.
            tracing::error!(path = %parts.uri.path(), "a handler needs a session its route does not declare");
            ApiError::internal()
        })
    }
}

impl Area {
    pub fn admits(self, role: ContactRole) -> bool {
        match self {
            Area::Account => true,
            Area::Servers => matches!(role, ContactRole::Admin | ContactRole::Member),
            Area::Billing => matches!(role, ContactRole::Admin | ContactRole::Billing),
        }
    }
}

/// The session the request's cookie names, if it is live.
pub async fn session_of(
    portal: &Portal,
    headers: &axum::http::HeaderMap,
) -> Result<Option<Live>, ApiError> {
    let Some(token) = http::cookie(headers, http::SESSION_COOKIE) else {
        return Ok(None);
    };
    let now = portal.now();
    let live = portal
        .db
        .run(false, move |tx| sessions::lookup(tx, &token, now))
        .await?;
    if let Some(s) = &live {
        if s.last_seen_at + sessions::TOUCH_EVERY <= now {
            let id = s.id.clone();
            portal
                .db
                .run(true, move |tx| sessions::touch(tx, &id, now))
                .await?;
        }
    }
    Ok(live)
}

/// Checks a request against its route's [`Access`] (see the module doc).
pub async fn guard(portal: Arc<Portal>, access: Access, req: Request, next: Next) -> Response {
    match check(&portal, access, req).await {
        Ok(req) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn check(portal: &Portal, access: Access, req: Request) -> Result<Request, ApiError> {
    let (mut parts, body) = req.into_parts();
    let writes = http::is_state_changing(&parts.method);
    match access {
        Access::Public | Access::Pairing | Access::Desktop => {}
        Access::Visitor | Access::Token(_) => {
            if writes {
                http::check_browser_write(portal, &parts.headers)?;
                // Double submit: the page read the cookie and sent it back
                // in a header, which another site's page cannot do.
                let cookie = http::cookie(&parts.headers, http::CSRF_COOKIE);
                if cookie.is_none() || cookie.as_deref() != csrf_header(&parts) {
                    return Err(ApiError::csrf());
                }
            }
        }
        Access::Session | Access::Customer(_) => {
            let session = session_of(portal, &parts.headers)
                .await?
                .ok_or_else(ApiError::signed_out)?;
            if let Access::Customer(area) = access {
                if session.stage != Stage::SignedIn {
                    return Err(ApiError::second_factor());
                }
                if !area.admits(session.role) {
                    return Err(ApiError::forbidden());
                }
            }
            if writes {
                http::check_browser_write(portal, &parts.headers)?;
                if csrf_header(&parts) != Some(session.csrf.as_str()) {
                    return Err(ApiError::csrf());
                }
            }
            let client = Client::from_parts(&parts, portal.behind_proxy);
            parts.extensions.insert(Caller { session, client });
        }
    }
    Ok(Request::from_parts(parts, body))
}

fn csrf_header(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
}
