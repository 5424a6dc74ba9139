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
use cs_sync::record::{ContactRole, Envelope, Kind, Permission};

use crate::http::{self, ApiError, Client};
use crate::routes::{Access, Area, Route};
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
            Area::Servers => role.may(Permission::Servers),
            Area::Billing => role.may(Permission::Billing),
        }
    }
}

/// The caller's records of the route's [`Route::prefetch`] kind, read with
/// the session (in `sort_key` order); only in a request whose session passed
/// every check of the guard.
#[derive(Debug, Clone)]
pub struct Prefetched(pub Vec<Envelope>);

/// The session the request's cookie names, if it is live.
pub async fn session_of(
    portal: &Portal,
    headers: &axum::http::HeaderMap,
) -> Result<Option<Live>, ApiError> {
    Ok(session_and_records(portal, headers, None)
        .await?
        .map(|(live, _)| live))
}

/// [`session_of`], and with `kind`, the session's organization's records of
/// that kind read in the same statement.
async fn session_and_records(
    portal: &Portal,
    headers: &axum::http::HeaderMap,
    kind: Option<Kind>,
) -> Result<Option<(Live, Option<Prefetched>)>, ApiError> {
    let Some(token) = http::cookie(headers, http::SESSION_COOKIE) else {
        return Ok(None);
    };
    let now = portal.now();
    let found = portal
        .db
        .run(false, move |tx| match kind {
            Some(kind) => Ok(sessions::lookup_with_records(tx, &token, kind, now)?
                .map(|(live, records)| (live, Some(Prefetched(records))))),
            None => Ok::<_, crate::storage::StorageError>(
                sessions::lookup(tx, &token, now)?.map(|live| (live, None)),
            ),
        })
        .await?;
    if let Some((s, _)) = &found {
        if s.last_seen_at + sessions::TOUCH_EVERY <= now {
            let id = s.id.clone();
            portal
                .db
                .run(true, move |tx| sessions::touch(tx, &id, now))
                .await?;
        }
    }
    Ok(found)
}

/// Checks a request against its route's [`Access`] (see the module doc).
pub async fn guard(portal: Arc<Portal>, route: Route, req: Request, next: Next) -> Response {
    match check(&portal, route, req).await {
        Ok(req) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn check(portal: &Portal, route: Route, req: Request) -> Result<Request, ApiError> {
    let access = route.access;
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
            // Records are read ahead only for a read by a signed-in customer.
            let prefetch = route
                .prefetch
                .filter(|_| !writes && matches!(access, Access::Customer(_)));
            let (session, prefetched) = session_and_records(portal, &parts.headers, prefetch)
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
            if let Some(p) = prefetched {
                parts.extensions.insert(p);
            }
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
