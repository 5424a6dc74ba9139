//! Customers' requests from the portal (`cs_sync::intent`), carried out here:
//! the desktop is the one place where servers and money change.
//!
//! The worker ([`run`]) fetches the intents waiting at the portal (a long
//! poll: the portal answers as soon as one arrives) and applies each one:
//!
//! 1. In one transaction: if the id is known, stop (an intent fetched again,
//!    or after a crash, is never applied twice). Otherwise check it against
//!    this store now — the contact still belongs to the organization with a
//!    role that may do it, the server is the organization's, its state allows
//!    the action — and record it as `applying` with an activity entry naming
//!    the contact; or record it as refused, with the reason in words, and
//!    publish that answer.
//! 2. Carry it out at the provider, through the same use case the reseller's
//!    button calls.
//! 3. In one transaction: mark it applied (or refused, when the provider
//!    refused) and publish the answer (`IntentResultV1`) with the server's new
//!    state.
//!
//! An intent found `applying` at start was interrupted between 1 and 3: it
//! is answered as refused, saying it may not have run, and never repeated.

use std::sync::Arc;
use std::time::Duration;

use cs_core::{PowerAction, Role};
use cs_store::rusqlite::Connection;
use cs_store::{orgs, servers};
use cs_sync::intent::{Intent, IntentEnvelope, IntentsResponse, PowerActionV1};
use cs_sync::record::{ContactRole, IntentOutcomeV1, IntentResultV1, Kind, Permission, Record};

use super::store::{self, IntentRow, IntentState};
use crate::customers::parse_org_id;
use crate::servers::parse_server_id;
use crate::{App, AppResult, Subject};

/// How long one fetch waits at the portal for an intent to arrive.
const WAIT_SECS: u64 = cs_sync::intent::MAX_WAIT_SECS;

/// What the check of step 1 decided.
enum Claim {
    /// Known already: nothing to do.
    Known,
    /// Refused (recorded and answered).
    Refused,
    /// Recorded as `applying`: carry it out.
    Apply {
        server: String,
        action: PowerAction,
        label: String,
        /// Who the activity log names: the customer's contact.
        actor: String,
    },
}

fn verb(a: PowerAction) -> &'static str {
    match a {
        PowerAction::Boot => "boot",
        PowerAction::Reboot => "reboot",
        PowerAction::Shutdown => "shut down",
        PowerAction::Suspend => "suspend",
        PowerAction::Delete => "delete",
    }
}

/// The server and the reseller's action an intent asks for.
fn asked(intent: &Intent) -> (&str, PowerAction) {
    match intent {
        Intent::Power(p) => (
            &p.server,
            match p.action {
                PowerActionV1::Boot => PowerAction::Boot,
                PowerActionV1::Reboot => PowerAction::Reboot,
                PowerActionV1::Shutdown => PowerAction::Shutdown,
            },
        ),
        Intent::Delete(d) => (&d.server, PowerAction::Delete),
    }
}

fn contact_role(role: Role) -> Option<ContactRole> {
    match role {
        Role::OrgAdmin => Some(ContactRole::Admin),
        Role::OrgMember => Some(ContactRole::Member),
        Role::Owner | Role::Staff => None,
    }
}

impl App {
    /// Applies intents fetched from the portal, each at most once; returns
    /// how many were new.
    pub async fn apply_portal_intents(&self, intents: &[IntentEnvelope]) -> AppResult<usize> {
        let mut new = 0;
        for e in intents {
            if self.apply_portal_intent(e).await? {
                new += 1;
            }
        }
        if new > 0 {
            self.wake_portal_worker();
        }
        Ok(new)
    }

    async fn apply_portal_intent(&self, e: &IntentEnvelope) -> AppResult<bool> {
        let now = self.now();
        let claim = self.write(|w| {
            let id = e.id.to_string();
            if store::intent_known(w, &id)? {
                return Ok(Claim::Known);
            }
            let row = IntentRow {
                id: &id,
                organization: &e.org,
                contact: &e.by,
                kind: &e.kind,
                server: None,
            };
            let refuse = |w: &mut crate::Write<'_>, row: IntentRow<'_>, reason: String| {
                store::intent_received(w, &row, IntentState::Refused, Some(&reason), now)?;
                publish_result(w, &row, IntentOutcomeV1::Refused, Some(reason.clone()), now)?;
                w.portal_published();
                w.record_as(
                    "system:portal",
                    now,
                    "portal.intent_refused",
                    Subject::new(
                        "server",
                        row.server.map(str::to_string),
                        Some(row.organization.to_string()),
                    ),
                    format!("Refused a customer's request from the portal: {reason}"),
                )?;
                Ok::<_, crate::AppError>(Claim::Refused)
            };
            let intent = match e.decode() {
                Ok(i) => i,
                Err(err) => return refuse(w, row, err.to_string()),
            };
            let (server_id, action) = asked(&intent);
            let row = IntentRow {
                server: Some(server_id),
                ..row
            };
            match check(w, e, server_id, action)? {
                Err(reason) => refuse(w, row, reason),
                Ok((server, contact_name)) => {
                    store::intent_received(w, &row, IntentState::Applying, None, now)?;
                    let actor = format!("portal:{contact_name}");
                    w.record_as(
                        &actor,
                        now,
                        if action == PowerAction::Delete {
                            "portal.delete_requested"
                        } else {
                            "portal.power_requested"
                        },
                        Subject::server(&server),
                        format!(
                            "{contact_name} asked on the portal to {} {}",
                            verb(action),
                            server.label
                        ),
                    )?;
                    Ok(Claim::Apply {
                        server: server.id.to_string(),
                        action,
                        label: server.label,
                        actor,
                    })
                }
            }
        })?;
        let Claim::Apply {
            server,
            action,
            label,
            actor,
        } = claim
        else {
            return Ok(matches!(claim, Claim::Refused));
        };
        let failure = self
            .power_as(&actor, &server, action)
            .await
            .err()
            .map(|e| e.to_string());
        let now = self.now();
        let id = e.id.to_string();
        let (state, reason) = match &failure {
            None => (IntentState::Applied, None),
            Some(err) => {
                tracing::warn!(intent = %id, error = %err, "a portal request failed at the provider");
                (
                    IntentState::Refused,
                    Some(format!(
                        "The cloud provider did not carry out this request for {label}, so nothing changed. Try again later, or contact your provider."
                    )),
                )
            }
        };
        self.write(|w| {
            store::intent_decided(w, &id, state, reason.as_deref(), now)?;
            let row = IntentRow {
                id: &id,
                organization: &e.org,
                contact: &e.by,
                kind: &e.kind,
                server: Some(&server),
            };
            let outcome = if state == IntentState::Applied {
                IntentOutcomeV1::Applied
            } else {
                IntentOutcomeV1::Refused
            };
            publish_result(w, &row, outcome, reason.clone(), now)?;
            w.portal_published();
            if let Some(err) = &failure {
                w.record_as(
                    "system:portal",
                    now,
                    "portal.intent_failed",
                    Subject::new("server", Some(server.clone()), Some(e.org.clone())),
                    format!("A customer's request to {label} failed at the provider: {err}"),
                )?;
            }
            Ok(())
        })?;
        Ok(true)
    }

    /// Answers the intents the app stopped while carrying out: refused,
    /// saying they may not have run (they are never repeated).
    pub(crate) fn settle_interrupted_intents(&self) -> AppResult<usize> {
        let now = self.now();
        self.write(|w| {
            let stuck = store::intents_applying(w)?;
            for (id, org) in &stuck {
                let reason = "The provider's system stopped while carrying this out, so it may not have run: check the server's state and ask again if needed.";
                store::intent_decided(w, id, IntentState::Refused, Some(reason), now)?;
                publish_result(
                    w,
                    &IntentRow {
                        id,
                        organization: org,
                        contact: "",
                        kind: "",
                        server: None,
                    },
                    IntentOutcomeV1::Refused,
                    Some(reason.to_string()),
                    now,
                )?;
                w.portal_published();
            }
            Ok(stuck.len())
        })
    }

    /// The id, state and reason of every intent received (tests).
    pub fn portal_intents(&self) -> AppResult<Vec<(String, String, Option<String>)>> {
        self.store.read(store::intents_all)
    }

    /// One fetch of the intents waiting at the portal (waiting up to
    /// `wait_secs` for one to arrive), applied. `None` when not paired or the
    /// sync is stopped.
    pub async fn fetch_portal_intents(&self, wait_secs: u64) -> AppResult<Option<usize>> {
        let Some((link, token)) = self.portal_credentials()? else {
            return Ok(None);
        };
        let resp = self
            .portal
            .http()
            .get(format!("{}/sync/v1/intents?wait={wait_secs}", link.url))
            .bearer_auth(token.expose())
            .send()
            .await
            .map_err(|e| {
                crate::AppError::Unavailable(format!("The portal cannot be reached: {e}"))
            })?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| {
            crate::AppError::Unavailable(format!("The portal's answer broke off: {e}"))
        })?;
        if !status.is_success() {
            return Err(crate::AppError::Unavailable(format!(
                "The portal refused to hand over customers' requests ({status}): {}",
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            )));
        }
        let answer: IntentsResponse = serde_json::from_slice(&body).map_err(|e| {
            crate::AppError::Unavailable(format!(
                "The portal's list of requests is unreadable: {e}"
            ))
        })?;
        Ok(Some(self.apply_portal_intents(&answer.intents).await?))
    }
}

/// Step 1's check of an action on a server: the server and the contact's
/// name, or the reason it is refused.
fn check(
    c: &Connection,
    e: &IntentEnvelope,
    server: &str,
    action: PowerAction,
) -> AppResult<Result<(cs_core::Server, String), String>> {
    let Ok(org) = parse_org_id(&e.org) else {
        return Ok(Err(
            "This request names no customer of this provider.".into()
        ));
    };
    let contact = orgs::contact(c, org)?;
    let Some(contact) = contact.filter(|u| u.id.to_string() == e.by) else {
        return Ok(Err(
            "Your account is no longer a contact of this organization.".into(),
        ));
    };
    if !contact_role(contact.role).is_some_and(|r| r.may(Permission::Servers)) {
        return Ok(Err("Your role does not allow acting on servers.".into()));
    }
    let found = match parse_server_id(server) {
        Ok(id) => servers::get(c, id)?,
        Err(_) => None,
    };
    let Some(s) = found.filter(|s| s.organization_id == org && s.deleted_at.is_none()) else {
        return Ok(Err("This server does not exist (any more).".into()));
    };
    if s.status == cs_core::ServerStatus::Suspended && action != PowerAction::Delete {
        return Ok(Err(format!(
            "{} is suspended because the wallet ran out: top it up to use the server again.",
            s.label
        )));
    }
    if s.status.begin(action).is_err() {
        return Ok(Err(format!(
            "{} cannot {} while it is {}.",
            s.label,
            verb(action),
            s.status.as_str().replace('_', " ")
        )));
    }
    Ok(Ok((s, contact.name)))
}

fn publish_result(
    c: &Connection,
    row: &IntentRow<'_>,
    outcome: IntentOutcomeV1,
    reason: Option<String>,
    at: cs_core::Timestamp,
) -> AppResult<()> {
    store::put(
        c,
        Kind::IntentResult,
        row.id,
        Some(row.organization),
        at,
        Some(&Record::IntentResult(IntentResultV1 {
            outcome,
            reason,
            decided_at: at,
        })),
    )?;
    Ok(())
}

/// The intents worker: a long fetch at a time while paired; backs off (up
/// to 30 s, so requests waiting there are picked up soon after it is back)
/// while the portal cannot be reached.
pub async fn run(app: Arc<App>) {
    if let Err(e) = app.settle_interrupted_intents() {
        tracing::error!(error = %e, "interrupted portal requests could not be answered");
    }
    let mut backoff = Duration::from_secs(1);
    loop {
        match app.fetch_portal_intents(WAIT_SECS).await {
            Ok(Some(_)) => backoff = Duration::from_secs(1),
            Ok(None) => {
                // Not paired: look again after a pairing or a while.
                let _ = tokio::time::timeout(
                    Duration::from_secs(30),
                    app.portal.intents_wake.notified(),
                )
                .await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "fetching customers' requests from the portal failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
    }
}
