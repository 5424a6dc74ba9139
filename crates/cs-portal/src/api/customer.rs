//! What a signed-in customer sees: the dashboard, servers, documents (with
//! their PDF and UBL files), the wallet and live updates. Every read is
//! scoped by the caller's session ([`Caller`]); another organization's
//! entity answers exactly like a missing one.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use base64::Engine;
use chrono::{DateTime, Utc};
use cs_sync::record::{
    DocumentV1, Envelope, Kind, Record, ServerStatusV1, ServerV1, WalletStateV1,
    WalletTransactionKindV1, WalletV1,
};
use futures_util::Stream;
use serde::{Deserialize, Serialize};

use super::actions;
use super::documents::{self, Summary};
use super::Money;
use crate::auth::{Caller, Prefetched};
use crate::db::{Notice, Tx};
use crate::http::{self, ApiError};
use crate::routes::Area;
use crate::storage::projection::{self, Scope};
use crate::storage::{intents, sessions, StorageError};
use crate::Portal;

fn scope(c: &Caller) -> Scope<'_> {
    Scope::Organization {
        tenant: &c.session.tenant_id,
        org: &c.session.org,
    }
}

/// Every record of `kind` in `scope`, in sort order.
fn all_in(
    tx: &mut dyn Tx,
    scope: Scope<'_>,
    kind: Kind,
    newest_first: bool,
) -> Result<Vec<Envelope>, StorageError> {
    const PAGE: u32 = 500;
    let tenant = match scope {
        Scope::Tenant(t) | Scope::Organization { tenant: t, .. } => t,
    };
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = projection::list(tx, scope, kind, newest_first, after.as_deref(), PAGE)?;
        if page.len() < PAGE as usize {
            out.extend(page);
            return Ok(out);
        }
        if let Some(last) = page.last() {
            after = projection::sort_key_of(tx, tenant, kind, &last.id)?;
        }
        out.extend(page);
    }
}

/// `Server` of API.md.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerBody {
    pub id: String,
    pub label: String,
    pub status: ServerStatusV1,
    pub plan: String,
    pub region: String,
    pub image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv4: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn server_body(id: &str, s: ServerV1) -> Option<ServerBody> {
    if s.status == ServerStatusV1::Deleted || s.deleted_at.is_some() {
        return None;
    }
    Some(ServerBody {
        id: id.to_string(),
        label: s.label,
        status: s.status,
        plan: s.plan_name,
        region: s.region,
        image: s.image,
        ipv4: s.ipv4,
        ipv6: s.ipv6,
        created_at: s.created_at,
    })
}

fn servers_of(tx: &mut dyn Tx, c: &Caller) -> Result<Vec<ServerBody>, StorageError> {
    server_list(tx, scope(c))
}

/// The live servers in `scope` as "my servers" answers them (the benchmark's
/// floor reads them through here too, without a session).
pub fn server_list(tx: &mut dyn Tx, scope: Scope<'_>) -> Result<Vec<ServerBody>, StorageError> {
    servers_from(&all_in(tx, scope, Kind::Server, false)?)
}

fn servers_from(records: &[Envelope]) -> Result<Vec<ServerBody>, StorageError> {
    let mut out = Vec::new();
    for e in records {
        if let Record::Server(s) = projection::decode(e)? {
            out.extend(server_body(&e.id, s));
        }
    }
    Ok(out)
}

/// `Wallet` of API.md.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletBody {
    pub balance: Money,
    pub low_balance_threshold: Money,
    pub state: WalletStateV1,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_since: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terminates_at: Option<DateTime<Utc>>,
    pub as_of: DateTime<Utc>,
}

fn wallet_of(tx: &mut dyn Tx, c: &Caller) -> Result<Option<WalletBody>, StorageError> {
    let Some(e) = projection::get(tx, scope(c), Kind::Wallet, &c.session.org)? else {
        return Ok(None);
    };
    let Record::Wallet(w) = projection::decode(&e)? else {
        return Ok(None);
    };
    let WalletV1 {
        currency,
        balance_minor,
        low_balance_threshold_minor,
        state,
        state_since,
        terminates_at,
        as_of,
    } = w;
    Ok(Some(WalletBody {
        balance: Money::new(balance_minor, &currency),
        low_balance_threshold: Money::new(low_balance_threshold_minor, &currency),
        state,
        state_since,
        terminates_at,
        as_of,
    }))
}

#[derive(Debug, Default, Serialize)]
pub struct ServerCounts {
    pub total: usize,
    pub running: usize,
    pub stopped: usize,
    pub other: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    /// For roles that see servers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub servers: Option<ServerCounts>,
    /// For roles that see billing, once the desktop pushed the wallet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wallet: Option<WalletBody>,
    /// The five newest documents (empty for roles that do not see billing).
    pub recent_documents: Vec<Summary>,
}

/// `GET /api/v1/dashboard`: each role sees its part.
pub async fn dashboard(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let body = portal
        .db
        .run(false, move |tx| {
            let servers = if caller.may(Area::Servers) {
                let mut counts = ServerCounts::default();
                for s in servers_of(tx, &caller)? {
                    counts.total += 1;
                    match s.status {
                        ServerStatusV1::Running => counts.running += 1,
                        ServerStatusV1::Offline => counts.stopped += 1,
                        _ => counts.other += 1,
                    }
                }
                Some(counts)
            } else {
                None
            };
            let (wallet, recent_documents) = if caller.may(Area::Billing) {
                let mut recent = Vec::new();
                for e in projection::list(tx, scope(&caller), Kind::Document, true, None, 5)? {
                    if let Record::Document(d) = projection::decode(&e)? {
                        recent.push(documents::summary(&e.id, &d));
                    }
                }
                (wallet_of(tx, &caller)?, recent)
            } else {
                (None, Vec::new())
            };
            Ok::<_, StorageError>(Dashboard {
                servers,
                wallet,
                recent_documents,
            })
        })
        .await?;
    Ok(http::json(StatusCode::OK, &body))
}

/// `GET /api/v1/servers`: the organization's servers by label, without
/// deleted ones.
pub async fn servers(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
    prefetched: Option<Extension<Prefetched>>,
) -> Result<Response, ApiError> {
    let list = match prefetched {
        // Read by the guard with the session (the route declares it).
        Some(Extension(Prefetched(records))) => servers_from(&records)?,
        None => {
            portal
                .db
                .run(false, move |tx| servers_of(tx, &caller))
                .await?
        }
    };
    Ok(http::json(StatusCode::OK, &list))
}

/// `ServerDetail` of API.md: the server, its newest actions and whether the
/// reseller's desktop is there to carry them out.
#[derive(Debug, Serialize)]
pub struct ServerDetail {
    #[serde(flatten)]
    pub server: ServerBody,
    pub actions: Vec<actions::ActionBody>,
    pub desktop: actions::DesktopBody,
}

/// `GET /api/v1/servers/{id}`.
pub async fn server(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let now = portal.now();
    let body = portal
        .db
        .run(false, move |tx| {
            let Some(e) = projection::get(tx, scope(&caller), Kind::Server, &id)? else {
                return Ok(None);
            };
            let Some(server) = (match projection::decode(&e)? {
                Record::Server(s) => server_body(&e.id, s),
                _ => None,
            }) else {
                return Ok(None);
            };
            let s = &caller.session;
            let recent = intents::of_server(tx, &s.tenant_id, &s.org, &id, 10, now)?;
            Ok::<_, ApiError>(Some(ServerDetail {
                server,
                actions: recent
                    .into_iter()
                    .filter_map(actions::action_body)
                    .collect(),
                desktop: actions::desktop(tx, &s.tenant_id, now)?,
            }))
        })
        .await?
        .ok_or_else(|| ApiError::not_found("server"))?;
    Ok(http::json(StatusCode::OK, &body))
}

/// `?before=CURSOR` of a paged list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    pub before: Option<String>,
}

/// A page of a list and the cursor of the next one.
#[derive(Debug, Serialize)]
pub struct Paged<T> {
    pub items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

const PAGE_SIZE: u32 = 50;

/// Reads a cursor (an opaque string made by [`cursor`]).
fn after(page: &Page) -> Result<Option<String>, ApiError> {
    page.before
        .as_deref()
        .filter(|b| !b.is_empty())
        .map(|b| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(b)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| ApiError::field("before", "this is not a cursor this list gave"))
        })
        .transpose()
}

fn cursor(sort_key: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sort_key)
}

/// One page of `kind`, newest first, keyset-paginated by the sort key.
fn page_of<T>(
    tx: &mut dyn Tx,
    c: &Caller,
    kind: Kind,
    after: Option<String>,
    mut item: impl FnMut(&Envelope, Record) -> Option<T>,
) -> Result<Paged<T>, StorageError> {
    let mut list = projection::list(tx, scope(c), kind, true, after.as_deref(), PAGE_SIZE + 1)?;
    let more = list.len() > PAGE_SIZE as usize;
    list.truncate(PAGE_SIZE as usize);
    let next = match (more, list.last()) {
        (true, Some(last)) => {
            projection::sort_key_of(tx, &c.session.tenant_id, kind, &last.id)?.map(|k| cursor(&k))
        }
        _ => None,
    };
    let mut items = Vec::with_capacity(list.len());
    for e in &list {
        items.extend(item(e, projection::decode(e)?));
    }
    Ok(Paged { items, next })
}

/// `GET /api/v1/documents?before=CURSOR`: newest first.
pub async fn documents(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
    Query(page): Query<Page>,
) -> Result<Response, ApiError> {
    let after = after(&page)?;
    let body = portal
        .db
        .run(false, move |tx| {
            page_of(tx, &caller, Kind::Document, after, |e, r| match r {
                Record::Document(d) => Some(documents::summary(&e.id, &d)),
                _ => None,
            })
        })
        .await?;
    Ok(http::json(StatusCode::OK, &body))
}

/// The caller's document `id` and, for printing, its seller's logo.
async fn document_of(
    portal: &Portal,
    caller: Caller,
    id: String,
    with_logo: bool,
) -> Result<(DocumentV1, Option<Vec<u8>>), ApiError> {
    portal
        .db
        .run(false, move |tx| {
            let Some(e) = projection::get(tx, scope(&caller), Kind::Document, &id)? else {
                return Ok(None);
            };
            let Record::Document(d) = projection::decode(&e)? else {
                return Ok(None);
            };
            let logo = match (&d.seller.logo, with_logo) {
                (Some(sha), true) => {
                    match projection::get(
                        tx,
                        Scope::Tenant(&caller.session.tenant_id),
                        Kind::Logo,
                        sha,
                    )? {
                        Some(l) => match projection::decode(&l)? {
                            Record::Logo(l) => Some(l.png),
                            _ => None,
                        },
                        None => None,
                    }
                }
                _ => None,
            };
            Ok::<_, StorageError>(Some((*d, logo)))
        })
        .await?
        .ok_or_else(|| ApiError::not_found("document"))
}

/// `GET /api/v1/documents/{id}`.
pub async fn document(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (d, _) = document_of(&portal, caller, id.clone(), false).await?;
    Ok(http::json(StatusCode::OK, &documents::detail(&id, &d)))
}

fn attachment(content_type: &'static str, name: &str, bytes: Vec<u8>) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

fn unprintable(e: cs_invoice::InvoiceError) -> ApiError {
    if let cs_invoice::InvoiceError::EInvoiceIncomplete { .. } = e {
        // The seller's or the customer's Peppol details are missing: the
        // reseller completes them; the PDF stays available.
        return ApiError::new(
            StatusCode::CONFLICT,
            "e_invoice_incomplete",
            format!("{e}. Download the PDF, or ask your provider to complete their e-invoicing details."),
        );
    }
    tracing::error!(error = %e, "a pushed document cannot be rendered");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        format!("this document cannot be printed: {e}"),
    )
}

/// `GET /api/v1/documents/{id}/pdf`: rendered here from the pushed record,
/// as the desktop renders it.
pub async fn document_pdf(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (d, logo) = document_of(&portal, caller, id, true).await?;
    let name = documents::file_name(&d.number, "pdf");
    let bytes = tokio::task::spawn_blocking(move || {
        cs_invoice::render_pdf(&documents::to_invoice(&d, logo)?)
    })
    .await
    .map_err(|_| ApiError::internal())?
    .map_err(unprintable)?;
    Ok(attachment("application/pdf", &name, bytes))
}

/// `GET /api/v1/documents/{id}/ubl`: the Peppol BIS 3.0 file of an invoice
/// or credit note (a receipt has none: 404).
pub async fn document_ubl(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (d, _) = document_of(&portal, caller, id, false).await?;
    if d.kind == cs_sync::record::DocumentKindV1::Receipt {
        return Err(ApiError::not_found(
            "e-invoice for a receipt (receipts have no UBL form)",
        ));
    }
    let name = documents::file_name(&d.number, "xml");
    let xml = tokio::task::spawn_blocking(move || {
        cs_invoice::to_ubl_xml(&documents::to_invoice(&d, None)?)
    })
    .await
    .map_err(|_| ApiError::internal())?
    .map_err(unprintable)?;
    Ok(attachment("application/xml", &name, xml.into_bytes()))
}

/// `GET /api/v1/wallet`.
pub async fn wallet(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let body = portal
        .db
        .run(false, move |tx| wallet_of(tx, &caller))
        .await?
        .ok_or_else(|| ApiError::not_found("wallet yet: your provider has not published it"))?;
    Ok(http::json(StatusCode::OK, &body))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionBody {
    pub id: String,
    pub at: DateTime<Utc>,
    pub kind: WalletTransactionKindV1,
    pub memo: String,
    pub amount: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
}

/// `GET /api/v1/wallet/transactions?before=CURSOR`: newest first.
pub async fn wallet_transactions(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
    Query(page): Query<Page>,
) -> Result<Response, ApiError> {
    let after = after(&page)?;
    let body = portal
        .db
        .run(false, move |tx| {
            page_of(
                tx,
                &caller,
                Kind::WalletTransaction,
                after,
                |e, r| match r {
                    Record::WalletTransaction(t) => Some(TransactionBody {
                        id: e.id.clone(),
                        at: t.at,
                        kind: t.kind,
                        memo: t.memo,
                        amount: Money::new(t.amount_minor, &t.currency),
                        document: t.document,
                    }),
                    _ => None,
                },
            )
        })
        .await?;
    Ok(http::json(StatusCode::OK, &body))
}

/// What a notice means to the caller's page, if anything: `server`,
/// `document`, `wallet`, `session` (the account's contact or organization
/// changed), `branding`, or `all` (refetch everything).
fn relevant(c: &sessions::Live, n: &Notice) -> Option<&'static str> {
    if n.tenant != c.tenant_id {
        return None;
    }
    match n.org.as_deref() {
        None => match n.what.as_str() {
            "branding" | "logo" => Some("branding"),
            "reset" => Some("all"),
            _ => None,
        },
        Some(org) if org == c.org => match n.what.as_str() {
            "server" if Area::Servers.admits(c.role) => Some("server"),
            "document" if Area::Billing.admits(c.role) => Some("document"),
            "wallet" | "wallet_transaction" if Area::Billing.admits(c.role) => Some("wallet"),
            "organization" | "contact" => Some("session"),
            _ => None,
        },
        Some(_) => None,
    }
}

struct Stream_ {
    portal: Arc<Portal>,
    session: sessions::Live,
    notices: tokio::sync::broadcast::Receiver<Notice>,
    tick: tokio::time::Interval,
}

/// `GET /api/v1/events`: `event: change` with `data: {"what": …}` whenever
/// something the caller sees changed (from any portal process). Every
/// [`Portal::events_tick`] the stream checks its session (it ends when the
/// session does) and sends a keep-alive comment.
pub async fn events(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let mut tick = tokio::time::interval(portal.events_tick);
    tick.reset();
    let state = Stream_ {
        notices: portal.db.subscribe(),
        portal,
        session: caller.session,
        tick,
    };
    let stream = futures_util::stream::unfold(state, |mut st| async move {
        loop {
            tokio::select! {
                n = st.notices.recv() => match n {
                    Ok(n) => {
                        if let Some(what) = relevant(&st.session, &n) {
                            return Some((Ok(change(what)), st));
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        return Some((Ok(change("all")), st));
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                },
                _ = st.tick.tick() => {
                    let live = still_live(&st.portal, &st.session).await?;
                    st.session = live;
                    return Some((Ok(Event::default().comment("keep-alive")), st));
                }
            }
        }
    });
    Sse::new(stream)
}

fn change(what: &str) -> Event {
    Event::default()
        .event("change")
        .data(serde_json::json!({ "what": what }).to_string())
}

/// The session again (revoked, expired or closed: `None`, ending the
/// stream); an open stream counts as use.
async fn still_live(portal: &Portal, s: &sessions::Live) -> Option<sessions::Live> {
    let now = portal.now();
    let id = s.id.clone();
    portal
        .db
        .run(true, move |tx| {
            let live = sessions::by_id(tx, &id, now)?;
            if live.is_some() {
                sessions::touch(tx, &id, now)?;
            }
            Ok::<_, StorageError>(live)
        })
        .await
        .ok()
        .flatten()
}
