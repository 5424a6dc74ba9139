//! Every route of the portal, in one table.
//!
//! The router is built from [`routes`], and the isolation tests walk the same
//! table, so a route cannot exist without being checked: each declares who
//! may call it ([`Access`]).

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, MethodRouter};
use axum::Router;

use crate::{sync, Portal};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (sign-in pages, branding, static files).
    Public,
    /// A desktop with its tenant's sync token.
    Desktop,
    /// A signed-in customer (both factors), scoped to their organization.
    Customer,
}

/// One route: method, path (axum syntax) and who may call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

type Handler = MethodRouter<Arc<Portal>>;

/// The table the router and the isolation tests are built from.
pub fn routes() -> Vec<(Route, Handler)> {
    let r = |method, path, access| Route {
        method,
        path,
        access,
    };
    vec![
        (r("POST", "/sync/v1/pair", Access::Public), post(sync::pair)),
        (
            r("POST", "/sync/v1/push", Access::Desktop),
            // Read a push up to one byte over the limit, so that the handler
            // refuses it with a JSON answer rather than the connection closing.
            post(sync::push).layer(DefaultBodyLimit::max(cs_sync::protocol::MAX_PUSH_BYTES + 1)),
        ),
        (
            r("GET", "/sync/v1/status", Access::Desktop),
            get(sync::status),
        ),
        (r("GET", "/healthz", Access::Public), get(|| async { "ok" })),
    ]
}

pub fn router(portal: Arc<Portal>) -> Router {
    let mut router = Router::new();
    for (route, handler) in routes() {
        router = router.route(route.path, handler);
    }
    router.with_state(portal)
}
