//! Every route of the portal, in one table.
//!
//! The router is built from [`routes`], and the isolation tests walk the same
//! table, so a route cannot exist without being checked. Each route declares
//! who may call it ([`Access`]), and the router wraps its handler in
//! [`crate::auth::guard`], which enforces the declaration: a handler behind
//! [`Access::Customer`] only runs for a signed-in session whose role admits
//! the route's [`Area`], and learns its caller only from that session.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::Next;
use axum::routing::{delete, get, post, MethodRouter};
use axum::Router;

use crate::api::{account, actions, branding, customer, session};
use crate::storage::tokens::Purpose;
use crate::{auth, http, sync, web, Portal};
use cs_sync::record::Kind;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: health, the web UI's files, a tenant's branding and logo.
    Public,
    /// A desktop with a one-time pairing code (in the body).
    Pairing,
    /// A desktop with its tenant's sync token.
    Desktop,
    /// A browser before signing in: a state-changing request carries the
    /// double-submit CSRF token (`cs_csrf` cookie = `X-CSRF-Token` header).
    Visitor,
    /// A browser with a single-use link from a mail (the token in the path
    /// or the body); CSRF as for [`Access::Visitor`].
    Token(Purpose),
    /// A session at either stage: its own state, the second factor,
    /// signing out.
    Session,
    /// A signed-in customer (both factors) whose role admits the area.
    Customer(Area),
}

/// What part of the portal a route belongs to, for roles
/// ([`cs_sync::record::ContactRole`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Every role: the account itself, the dashboard (which shows each role
    /// its part), live updates.
    Account,
    /// Servers: admin and member.
    Servers,
    /// Documents and the wallet: admin and billing.
    Billing,
}

/// One route: method, path (axum syntax) and who may call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    /// For a hot list behind [`Access::Customer`]: the guard reads the
    /// caller's records of this kind in the same statement as the session
    /// (one round trip instead of two) and hands them to the handler as
    /// [`auth::Prefetched`], once the session has passed every check.
    pub prefetch: Option<Kind>,
}

type Handler = MethodRouter<Arc<Portal>>;

/// The table the router and the isolation tests are built from.
pub fn routes() -> Vec<(Route, Handler)> {
    use Access::*;
    let r = |method, path, access| Route {
        method,
        path,
        access,
        prefetch: None,
    };
    let acct = Customer(Area::Account);
    let servers = Customer(Area::Servers);
    let billing = Customer(Area::Billing);
    vec![
        // The desktop's sync API.
        (r("POST", "/sync/v1/pair", Pairing), post(sync::pair)),
        (
            r("POST", "/sync/v1/push", Desktop),
            // Read a push up to one byte over the limit, so that the handler
            // refuses it with a JSON answer rather than the connection closing.
            post(sync::push).layer(DefaultBodyLimit::max(cs_sync::protocol::MAX_PUSH_BYTES + 1)),
        ),
        (r("GET", "/sync/v1/status", Desktop), get(sync::status)),
        (r("GET", "/sync/v1/intents", Desktop), get(sync::intents)),
        (r("GET", "/healthz", Public), get(|| async { "ok" })),
        // Before signing in.
        (
            r("GET", "/api/v1/t/{tenant}/branding", Public),
            get(branding::branding),
        ),
        (
            r("GET", "/api/v1/t/{tenant}/logo/{sha256}", Public),
            get(branding::logo),
        ),
        (
            r("POST", "/api/v1/t/{tenant}/sign-in", Visitor),
            post(session::sign_in),
        ),
        (
            r("POST", "/api/v1/t/{tenant}/password-reset", Visitor),
            post(session::request_password_reset),
        ),
        (
            r(
                "GET",
                "/api/v1/invitations/{token}",
                Token(Purpose::Invitation),
            ),
            get(session::invitation),
        ),
        (
            r(
                "POST",
                "/api/v1/invitations/accept",
                Token(Purpose::Invitation),
            ),
            post(session::accept_invitation),
        ),
        (
            r(
                "POST",
                "/api/v1/password-reset/confirm",
                Token(Purpose::PasswordReset),
            ),
            post(session::confirm_password_reset),
        ),
        (
            r(
                "POST",
                "/api/v1/email-change/confirm",
                Token(Purpose::EmailChange),
            ),
            post(session::confirm_email_change),
        ),
        // A session at either stage.
        (r("GET", "/api/v1/session", Session), get(session::current)),
        (
            r("POST", "/api/v1/sign-in/second-factor", Session),
            post(session::second_factor),
        ),
        (
            r("POST", "/api/v1/sign-out", Session),
            post(session::sign_out),
        ),
        // The account.
        (r("GET", "/api/v1/sessions", acct), get(account::sessions)),
        (
            r("DELETE", "/api/v1/sessions/{id}", acct),
            delete(account::revoke_session),
        ),
        (
            r("POST", "/api/v1/account/password", acct),
            post(account::change_password),
        ),
        (
            r("POST", "/api/v1/account/email", acct),
            post(account::change_email),
        ),
        (
            r("POST", "/api/v1/account/two-factor/setup", acct),
            post(account::two_factor_setup),
        ),
        (
            r("GET", "/api/v1/account/two-factor/qr.svg", acct),
            get(account::two_factor_qr),
        ),
        (
            r("POST", "/api/v1/account/two-factor/enable", acct),
            post(account::two_factor_enable),
        ),
        (
            r("POST", "/api/v1/account/two-factor/disable", acct),
            post(account::two_factor_disable),
        ),
        (
            r("POST", "/api/v1/account/recovery-codes", acct),
            post(account::recovery_codes),
        ),
        // What the customer sees.
        (
            r("GET", "/api/v1/dashboard", acct),
            get(customer::dashboard),
        ),
        (r("GET", "/api/v1/events", acct), get(customer::events)),
        (
            Route {
                prefetch: Some(Kind::Server),
                ..r("GET", "/api/v1/servers", servers)
            },
            get(customer::servers),
        ),
        (
            r("GET", "/api/v1/servers/{id}", servers),
            get(customer::server),
        ),
        (
            r("POST", "/api/v1/servers/{id}/actions", servers),
            post(actions::request),
        ),
        (
            r("POST", "/api/v1/servers/{id}/delete", servers),
            post(actions::delete),
        ),
        (
            r("GET", "/api/v1/documents", billing),
            get(customer::documents),
        ),
        (
            r("GET", "/api/v1/documents/{id}", billing),
            get(customer::document),
        ),
        (
            r("GET", "/api/v1/documents/{id}/pdf", billing),
            get(customer::document_pdf),
        ),
        (
            r("GET", "/api/v1/documents/{id}/ubl", billing),
            get(customer::document_ubl),
        ),
        (r("GET", "/api/v1/wallet", billing), get(customer::wallet)),
        (
            r("GET", "/api/v1/wallet/transactions", billing),
            get(customer::wallet_transactions),
        ),
        // The web UI.
        (r("GET", "/", Public), get(web::root)),
        (r("GET", "/assets/{*path}", Public), get(web::asset)),
        (r("GET", "/{tenant}", Public), get(web::page)),
        (r("GET", "/{tenant}/", Public), get(web::page)),
        (r("GET", "/{tenant}/{*rest}", Public), get(web::page)),
    ]
}

pub fn router(portal: Arc<Portal>) -> Router {
    let mut router = Router::new();
    for (route, handler) in routes() {
        let p = portal.clone();
        let guarded = handler.route_layer(axum::middleware::from_fn(
            move |req: Request, next: Next| {
                let p = p.clone();
                async move { auth::guard(p, route, req, next).await }
            },
        ));
        router = router.route(route.path, guarded);
    }
    router
        .fallback(web::not_found)
        .layer(axum::middleware::from_fn_with_state(
            portal.clone(),
            http::security_headers,
        ))
        .with_state(portal)
}
