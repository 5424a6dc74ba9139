//! Power actions on a customer's server, and deleting it: requests the
//! reseller's desktop carries out ([`crate::storage::intents`]).
//!
//! The portal checks a request against what it holds (the caller's role,
//! from the session; the server, in the caller's organization; its state)
//! and records it; it never acts on the server itself. The desktop checks
//! the request again when it applies it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use cs_sync::intent::{DeleteServerV1, Intent, PowerActionV1, PowerV1};
use cs_sync::record::{Kind, Record, ServerStatusV1, ServerV1};
use serde::{Deserialize, Serialize};

use super::Brand;
use crate::auth::Caller;
use crate::db::Tx;
use crate::http::{self, ApiError, ApiJson};
use crate::storage::intents::{self, Asker, State as IntentState, Stored};
use crate::storage::projection::{self, Scope};
use crate::storage::{audit, limits, tenants};
use crate::Portal;

/// Requests per account and quarter-hour.
pub const PER_ACCOUNT: i64 = 30;
const WINDOW: chrono::Duration = chrono::Duration::minutes(15);

/// `Action` of API.md.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionBody {
    pub id: String,
    /// `boot`, `reboot`, `shutdown` or `delete`.
    pub action: &'static str,
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub requested_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
}

pub fn action_body(s: Stored) -> Option<ActionBody> {
    let action = match s.envelope.decode() {
        Ok(Intent::Power(p)) => p.action.as_str(),
        Ok(Intent::Delete(_)) => "delete",
        Err(_) => return None,
    };
    Some(ActionBody {
        id: s.envelope.id.to_string(),
        action,
        state: s.state.as_str(),
        reason: s.reason,
        requested_at: s.envelope.at,
        requested_by: s.requested_by,
        decided_at: s.decided_at,
    })
}

/// `desktop` of `ServerDetail`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DesktopBody {
    pub online: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<DateTime<Utc>>,
    pub hold_minutes: u32,
}

pub fn desktop(tx: &mut dyn Tx, tenant: &str, now: DateTime<Utc>) -> Result<DesktopBody, ApiError> {
    let last_seen = intents::desktop_last_seen(tx, tenant)?;
    Ok(DesktopBody {
        online: intents::is_online(last_seen, now),
        last_seen_at: last_seen,
        hold_minutes: intents::hold_minutes(tx, tenant)?,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    pub action: String,
}

/// Why `action` cannot be asked of a server in `status`, if it cannot.
fn refusal(label: &str, status: ServerStatusV1, action: PowerActionV1) -> Option<String> {
    use ServerStatusV1 as S;
    let busy = |doing: &str| {
        Some(format!(
            "{label} is {doing} now: wait until it has finished."
        ))
    };
    match (status, action) {
        (S::Suspended, _) => Some(format!(
            "{label} is suspended because the wallet ran out: top it up to use the server again."
        )),
        (S::Provisioning, _) => busy("being set up"),
        (S::Booting, _) => busy("booting"),
        (S::Rebooting, _) => busy("rebooting"),
        (S::ShuttingDown, _) => busy("shutting down"),
        (S::Deleting | S::Deleted, _) => Some(format!("{label} is being deleted.")),
        (S::Failed, _) => Some(format!(
            "{label} failed at the provider: contact your provider."
        )),
        (S::Running, PowerActionV1::Boot) => Some(format!("{label} is running already.")),
        (S::Offline, PowerActionV1::Reboot | PowerActionV1::Shutdown) => {
            Some(format!("{label} is shut down: boot it instead."))
        }
        (S::Running, _) | (S::Offline, PowerActionV1::Boot) => None,
    }
}

/// `POST /api/v1/servers/{id}/actions` `{ action }` → 202 `Action`.
pub async fn request(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ActionRequest>,
) -> Result<Response, ApiError> {
    let action = PowerActionV1::parse(&body.action)
        .ok_or_else(|| ApiError::field("action", "choose boot, reboot or shutdown"))?;
    accept(
        &portal,
        caller,
        id,
        "server_action_requested",
        move |server, id| {
            if let Some(why) = refusal(&server.label, server.status, action) {
                return Err(ApiError::conflict(why));
            }
            Ok(Intent::Power(PowerV1 {
                server: id.to_string(),
                action,
            }))
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteRequest {
    /// The server's label, typed by the customer to confirm.
    pub label: String,
}

/// `POST /api/v1/servers/{id}/delete` `{ label }` → 202 `Action`: the label
/// typed must be the server's.
pub async fn delete(
    State(portal): State<Arc<Portal>>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DeleteRequest>,
) -> Result<Response, ApiError> {
    accept(
        &portal,
        caller,
        id,
        "server_delete_requested",
        move |server, id| {
            if body.label.trim() != server.label {
                return Err(ApiError::field(
                    "label",
                    format!("type the server's name, {}, to confirm", server.label),
                ));
            }
            if matches!(
                server.status,
                ServerStatusV1::Deleting | ServerStatusV1::Deleted
            ) {
                return Err(ApiError::conflict(format!(
                    "{} is being deleted already.",
                    server.label
                )));
            }
            Ok(Intent::Delete(DeleteServerV1 {
                server: id.to_string(),
            }))
        },
    )
    .await
}

/// Checks a request about the caller's server `id` and records it: the
/// server in the caller's organization, `make`'s own checks, no other
/// request of it waiting, a desktop there to carry it out (or a hold).
async fn accept(
    portal: &Portal,
    caller: Caller,
    id: String,
    audit_action: &'static str,
    make: impl FnOnce(&ServerV1, &str) -> Result<Intent, ApiError> + Send + 'static,
) -> Result<Response, ApiError> {
    let now = portal.now();
    let stored = portal
        .db
        .run(true, move |tx| {
            let s = &caller.session;
            let key = format!("actions:account:{}", s.account_id);
            if !limits::hit(tx, &key, WINDOW, PER_ACCOUNT, now)? {
                return Err(ApiError::rate_limited(limits::retry_after(WINDOW, now)));
            }
            let scope = Scope::Organization {
                tenant: &s.tenant_id,
                org: &s.org,
            };
            let server: ServerV1 = match projection::get(tx, scope, Kind::Server, &id)? {
                Some(e) => match projection::decode(&e)? {
                    Record::Server(v) if v.deleted_at.is_none() => v,
                    _ => return Err(ApiError::not_found("server")),
                },
                None => return Err(ApiError::not_found("server")),
            };
            let intent = make(&server, &id)?;
            if intents::waiting_for_server(tx, &s.tenant_id, &s.org, &id, now)? {
                return Err(ApiError::conflict(format!(
                    "An action on {} is waiting to be carried out: wait for it to finish.",
                    server.label
                )));
            }
            let online = intents::is_online(intents::desktop_last_seen(tx, &s.tenant_id)?, now);
            if !online && intents::hold_minutes(tx, &s.tenant_id)? == 0 {
                let tenant = tenants::by_id(tx, &s.tenant_id)?
                    .ok_or(crate::storage::StorageError::NotFound)?;
                let brand = Brand::load(tx, &tenant)?;
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "desktop_offline",
                    format!(
                        "{}'s system is offline, so actions are not accepted right now. Try again later.",
                        brand.name
                    ),
                ));
            }
            let stored = intents::create(
                tx,
                &Asker {
                    tenant: &s.tenant_id,
                    org: &s.org,
                    account: &s.account_id,
                    contact: &s.contact,
                    name: &s.name,
                },
                &intent,
                now,
            )?;
            audit::record(
                tx,
                audit::Entry {
                    tenant_id: &s.tenant_id,
                    account_id: Some(&s.account_id),
                    action: audit_action,
                    detail: &format!("{} {} ({})", intent.kind().as_str(), server.label, id),
                    ip: &caller.client.ip,
                },
                now,
            )?;
            Ok(stored)
        })
        .await?;
    debug_assert_eq!(stored.state, IntentState::Requested);
    let body = action_body(stored).ok_or_else(ApiError::internal)?;
    Ok(http::json(StatusCode::ACCEPTED, &body))
}
