//! The hosted portal, desktop side: Settings → Portal (pairing), the portal's
//! outbox and the worker that pushes it.
//!
//! **The outbox** (`portal_outbox`, `store.rs`) holds the latest cs-sync
//! record of every customer-facing entity, one row per entity; a change gives
//! the row the next sequence number, so the record it replaces is dropped
//! and a push from 0 is a full snapshot. Records are written in the
//! transaction of the change: the unit of work (`App::write`, and the billing
//! engine's transactions through the same path) turns the change notices its
//! transaction wrote into `cs_store::sync_outbox` into typed records here
//! before it commits ([`App::publish_portal_records`]). Wallets are the one
//! derived state: their balance moves with every billed hour, so the worker
//! reads them before a push once fewer than a batch of records wait, and
//! writes the ones that changed.
//!
//! **The worker** ([`run`]) pushes the records above what the portal holds,
//! at most 500 at a time in sequence order, whenever a transaction commits
//! and every 30 s (an empty push then asks what the portal holds: a portal
//! restored from an old backup is refilled). `cs_sync::protocol::next_after`
//! decides what any answer means; a refusal a person must act on (a revoked
//! token, a newer record version than the portal reads) stops the sync and
//! Settings → Portal says why.
//!
//! The sync token lives in the OS keyring (`SecretKeys::portal_token`),
//! never in SQLite.

pub(crate) mod dto;
pub(crate) mod intents;
pub(crate) mod records;
pub(crate) mod store;

use std::sync::Arc;
use std::time::Duration;

use cs_core::{PlanId, ServerId, Timestamp};
use cs_secrets::SecretValue;
use cs_store::rusqlite::Connection;
use cs_store::sync_outbox::{self, SyncKind};
use cs_sync::protocol::{
    self, ErrorBody, Next, PairRequest, PairResponse, PushResponse, MAX_BATCH_RECORDS,
};
use cs_sync::record::{InvitationV1, Kind, Record};

use crate::customers::parse_org_id;
use crate::remote_url::{self, Refusal};
use crate::{App, AppError, AppResult, Subject, Write};

pub(crate) use dto::*;
use records::Item;

/// How often an idle worker asks the portal what it holds.
const IDLE_CHECK: Duration = Duration::from_secs(30);

/// The wake-up of the sync worker.
#[derive(Default)]
pub(crate) struct PortalRuntime {
    wake: tokio::sync::Notify,
    /// Wakes the intents worker (after pairing).
    intents_wake: tokio::sync::Notify,
    http: std::sync::OnceLock<reqwest::Client>,
}

impl PortalRuntime {
    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .connect_timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default()
        })
    }
}

/// Writes `items` into the outbox; returns how many changed.
fn put_all(c: &Connection, at: Timestamp, items: Vec<Item>) -> AppResult<usize> {
    let mut changed = 0;
    for (kind, id, org, record) in items {
        if store::put(c, kind, &id, org.as_deref(), at, record.as_ref())? {
            changed += 1;
        }
    }
    Ok(changed)
}

/// Checks a portal URL (`crate::remote_url`'s rule: the sync token goes
/// there).
pub(crate) fn parse_portal_url(input: &str) -> Result<String, String> {
    let t = input.trim().trim_end_matches('/');
    if t.is_empty() {
        return Err("Enter the portal's address, e.g. https://portal.example.com".into());
    }
    match remote_url::check(t) {
        Ok(url) => Ok(url.as_str().trim_end_matches('/').to_string()),
        Err(Refusal::NotUrl(e)) => Err(format!(
            "Not a web address ({e}): enter e.g. https://portal.example.com"
        )),
        Err(Refusal::Credentials) => {
            Err("The address must not contain a user name or password".into())
        }
        Err(Refusal::QueryOrFragment) => {
            Err("The address must not contain a query or fragment".into())
        }
        Err(Refusal::PlainHttpElsewhere) => {
            Err("The portal must use https (plain http is allowed only on this machine)".into())
        }
        Err(Refusal::NotWeb) => Err(format!("{t}: is not a web address; use https://")),
    }
}

impl App {
    /// Turns the change notices a transaction wrote after `mark` into the
    /// portal records of the entities they name (the unit of work calls it
    /// before commit).
    pub(crate) fn publish_portal_records(&self, w: &mut Write<'_>, mark: i64) -> AppResult<bool> {
        let notices = sync_outbox::since(w, mark, &SyncKind::ALL)?;
        if notices.is_empty() {
            return Ok(false);
        }
        let at = self.now();
        let mut items: Vec<Item> = vec![];
        let mut seen = std::collections::HashSet::new();
        for n in notices {
            if !seen.insert((n.kind, n.entity_id.clone())) {
                continue;
            }
            match n.kind {
                SyncKind::Organization => {
                    if let Ok(id) = parse_org_id(&n.entity_id) {
                        items.extend(records::organization(w, id)?);
                    }
                }
                SyncKind::Plan => {
                    if let Ok(id) = n.entity_id.parse::<uuid::Uuid>() {
                        items.push(records::plan(w, PlanId(id))?);
                    }
                }
                SyncKind::Server | SyncKind::ServerBillingStatus => {
                    if let Ok(id) = n.entity_id.parse::<uuid::Uuid>() {
                        items.extend(records::server(w, ServerId(id))?);
                    }
                }
                SyncKind::Document => items.extend(records::document(self, w, &n.entity_id)?),
                // Dunning notices move the wallet's state, which the worker
                // publishes with the balance.
                SyncKind::BillingNotice => {}
            }
        }
        Ok(put_all(w, at, items)? > 0)
    }

    /// The whole customer-facing state, written into the outbox (what is
    /// already there unchanged stays as it is). Runs when the outbox is
    /// empty: at start or at pairing on a database from before the portal.
    pub(crate) fn portal_snapshot(&self, c: &Connection) -> AppResult<usize> {
        let at = self.now();
        let mut n = put_all(c, at, records::branding(c)?)?;
        n += put_all(c, at, vec![records::policy(c)?])?;
        for o in cs_store::orgs::list_organizations(c)? {
            n += put_all(c, at, records::organization(c, o.id)?)?;
            n += put_all(c, at, records::wallet_movements(c, o.id)?)?;
        }
        for p in cs_store::plans::list(c)? {
            n += put_all(c, at, vec![records::plan(c, p.id)?])?;
        }
        for s in cs_store::servers::list(c)? {
            n += put_all(c, at, records::server(c, s.id)?.into_iter().collect())?;
        }
        let filter = cs_billing::documents::DocumentFilter::default();
        for d in cs_billing::documents::list_documents(c, &filter, i64::MAX)? {
            n += put_all(c, at, records::document(self, c, &d.id)?)?;
        }
        n += put_all(c, at, records::wallets(c, at)?)?;
        Ok(n)
    }

    /// Fills an empty outbox from the store (databases from before the portal,
    /// and stores written without the façade, as `cargo xtask gen-store`'s,
    /// which calls it so the app's first start does not).
    pub fn portal_backfill(&self) -> AppResult<()> {
        let needed = self.store.read(|c| {
            Ok::<_, AppError>(store::newest_seq(c)? == 0 && cs_store::orgs::count(c)? > 0)
        })?;
        if needed {
            let n = self.store.write(|c| self.portal_snapshot(c))?;
            tracing::info!(records = n, "portal outbox filled from the store");
        }
        Ok(())
    }

    /// Settings → Portal: how long customers' requests wait at the portal
    /// while this desktop is offline (0: refused while it is; at most a week).
    pub fn set_portal_intent_hold(&self, minutes: u32) -> AppResult<PortalStatusDto> {
        const WEEK: u32 = 7 * 24 * 60;
        if minutes > WEEK {
            return Err(AppError::validation(
                "intentHoldMinutes",
                format!("Hold requests for at most a week ({WEEK} minutes), or 0 to refuse them while this desktop is offline"),
            ));
        }
        let now = self.now();
        self.write(|w| {
            cs_store::settings::set(w, records::INTENT_HOLD_KEY, &minutes.to_string())?;
            if put_all(w, now, vec![records::policy(w)?])? > 0 {
                w.portal_published();
            }
            w.record(
                now,
                "portal.hold_changed",
                Subject::new("settings", None, None),
                if minutes == 0 {
                    "Customers' requests are refused while this desktop is offline".to_string()
                } else {
                    format!("Customers' requests wait up to {minutes} minutes while this desktop is offline")
                },
            )
        })?;
        self.portal_status()
    }

    /// Re-publishes the branding (after Settings → Branding or the reseller
    /// name changed).
    pub(crate) fn publish_portal_branding(&self, w: &mut Write<'_>) -> AppResult<()> {
        if put_all(w, self.now(), records::branding(w)?)? > 0 {
            w.portal_published();
        }
        Ok(())
    }

    /// Wallets whose balance or state moved since they were last written,
    /// with their newest movements.
    fn publish_wallets(&self) -> AppResult<usize> {
        let at = self.now();
        self.store.write(|c| {
            let mut changed = 0;
            for (kind, id, org, record) in records::wallets(c, at)? {
                // `as_of` alone changing is no change.
                let same = match (&record, store::wallet(c, &id)?) {
                    (Some(Record::Wallet(new)), Some(old)) => {
                        let mut new = new.clone();
                        new.as_of = old.as_of;
                        new == old
                    }
                    _ => false,
                };
                if same {
                    continue;
                }
                store::put(c, kind, &id, org.as_deref(), at, record.as_ref())?;
                if let Ok(org) = parse_org_id(&id) {
                    put_all(c, at, records::wallet_movements(c, org)?)?;
                }
                changed += 1;
            }
            Ok(changed)
        })
    }

    /// After the store was restored from a backup: the restored outbox's
    /// sequence may be below what the portal holds, or pass it with other
    /// records, so continuing the old stream could skip records the portal
    /// lacks. A new stream from 0 makes the portal replace what it holds
    /// with the restored state (`cs_sync::protocol::plan_push` resets on a
    /// new stream).
    pub(crate) fn restart_portal_stream(c: &Connection) -> AppResult<()> {
        if store::link(c)?.is_some() {
            store::restart_stream(c, crate::new_uuid())?;
        }
        Ok(())
    }

    pub(crate) fn wake_portal_worker(&self) {
        self.portal.wake.notify_one();
        self.portal.intents_wake.notify_one();
    }

    /// The portal outbox's records and the bytes of their JSON (diagnostics
    /// and the sync benchmark).
    pub fn portal_outbox_size(&self) -> AppResult<(u64, u64)> {
        self.store.read(store::size)
    }

    /// Settings → Portal.
    pub fn portal_status(&self) -> AppResult<PortalStatusDto> {
        let now = self.now();
        self.store.read(|c| {
            let link = store::link(c)?;
            let newest = store::newest_seq(c)?;
            Ok(match link {
                None => PortalStatusDto {
                    paired: false,
                    url: None,
                    tenant: None,
                    tenant_name: None,
                    customer_url: None,
                    connected: false,
                    stopped: false,
                    waiting: u32::try_from(store::count_after(c, 0)?).unwrap_or(u32::MAX),
                    last_push_at: None,
                    lag_seconds: None,
                    last_error: None,
                    paired_at: None,
                    intent_hold_minutes: records::intent_hold_minutes(c)?,
                },
                Some(l) => {
                    let waiting = store::count_after(c, l.held_through)?;
                    let oldest_waiting = store::after(c, l.held_through, 1)?.into_iter().next();
                    PortalStatusDto {
                        paired: true,
                        customer_url: Some(format!("{}/{}/", l.url, l.tenant)),
                        url: Some(l.url),
                        tenant: Some(l.tenant),
                        tenant_name: Some(l.tenant_name),
                        connected: l.last_push_at.is_some() && l.last_error.is_none(),
                        stopped: l.stopped,
                        waiting: u32::try_from(waiting).unwrap_or(u32::MAX),
                        last_push_at: l.last_push_at.map(|t| t.to_rfc3339()),
                        lag_seconds: oldest_waiting.filter(|_| l.held_through < newest).map(|e| {
                            u32::try_from((now - e.at).num_seconds().max(0)).unwrap_or(u32::MAX)
                        }),
                        last_error: l.last_error,
                        paired_at: Some(l.paired_at.to_rfc3339()),
                        intent_hold_minutes: records::intent_hold_minutes(c)?,
                    }
                }
            })
        })
    }

    /// Pairs this desktop with a portal: the one-time code the portal's
    /// operator printed buys a sync token (kept in the keyring), and
    /// everything customer-facing is pushed from the start.
    pub async fn pair_portal(&self, input: PortalPairInput) -> AppResult<PortalStatusDto> {
        let mut errors = cs_core::ValidationErrors::default();
        let url = parse_portal_url(&input.url)
            .map_err(|e| errors.add("url", e))
            .ok();
        let code = input.code.trim().to_string();
        if code.is_empty() {
            errors.add("code", "Enter the pairing code the portal printed");
        } else if code.len() > 200 || code.chars().any(char::is_control) {
            errors.add(
                "code",
                "This is not a pairing code: copy it exactly as the portal printed it",
            );
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let url = url.unwrap_or_default();
        let desktop_name = self.store.read(|c| {
            Ok::<_, AppError>(
                cs_store::settings::get(c, crate::RESELLER_NAME_KEY)?
                    .unwrap_or_else(|| "ContainerStacks".into()),
            )
        })?;
        let request = PairRequest {
            code,
            desktop_name,
            desktop_version: env!("CARGO_PKG_VERSION").to_string(),
        };
        let resp = self
            .portal
            .http()
            .post(format!("{url}/sync/v1/pair"))
            .json(&request)
            .send()
            .await
            .map_err(|e| {
                AppError::validation(
                    "url",
                    format!(
                        "The portal at {url} cannot be reached: {}",
                        reqwest_reason(&e)
                    ),
                )
            })?;
        let status = resp.status();
        let body = resp.bytes().await.unwrap_or_default();
        if !status.is_success() {
            return Err(match serde_json::from_slice::<ErrorBody>(&body) {
                Ok(e) if e.code == protocol::ErrorCode::PairingCode => {
                    AppError::validation("code", e.message)
                }
                Ok(e) => AppError::validation("url", format!("The portal refused: {}", e.message)),
                Err(_) => AppError::validation(
                    "url",
                    format!("{url} answered {status}, not as a ContainerStacks portal: check the address"),
                ),
            });
        }
        let paired: PairResponse = serde_json::from_slice(&body).map_err(|_| {
            AppError::validation(
                "url",
                format!("{url} did not answer as a ContainerStacks portal"),
            )
        })?;
        self.secrets.set(
            &self.secret_keys().portal_token(),
            &SecretValue::new(paired.token.clone()),
        )?;
        let now = self.now();
        self.write(|w| {
            store::set_link(
                w,
                &store::Link {
                    url: url.clone(),
                    tenant: paired.tenant.clone(),
                    tenant_name: paired.tenant_name.clone(),
                    stream: crate::new_uuid(),
                    held_through: 0,
                    paired_at: now,
                    last_push_at: None,
                    last_error: None,
                    stopped: false,
                },
            )?;
            // The outbox is kept whether or not a portal is paired; it is
            // empty only on a database from before the portal.
            if store::newest_seq(w)? == 0 {
                self.portal_snapshot(w)?;
            } else {
                // Branding is a setting, not a change notice: written here
                // for a reseller who never saved Settings → Branding.
                self.publish_portal_branding(w)?;
            }
            w.record(
                now,
                "portal.paired",
                Subject::settings(Some("portal")),
                format!("Paired with the portal at {url} as {}", paired.tenant_name),
            )
        })?;
        tracing::info!(portal = %url, tenant = %paired.tenant, "paired with a portal");
        self.wake_portal_worker();
        self.portal_status()
    }

    /// Forgets the portal: the token leaves the keyring; the portal keeps
    /// what it has until its operator removes the tenant.
    pub fn unpair_portal(&self) -> AppResult<PortalStatusDto> {
        let now = self.now();
        self.write(|w| {
            let Some(l) = store::link(w)? else {
                return Err(AppError::Conflict(
                    "This desktop is not paired with a portal".into(),
                ));
            };
            store::clear_link(w)?;
            w.record(
                now,
                "portal.unpaired",
                Subject::settings(Some("portal")),
                format!("Unpaired from the portal at {}", l.url),
            )
        })?;
        self.secrets.delete(&self.secret_keys().portal_token())?;
        self.portal_status()
    }

    /// Resumes a sync that stopped on a refusal (after the reason was dealt
    /// with) and pushes now.
    pub fn sync_portal_now(&self) -> AppResult<PortalStatusDto> {
        self.store.write(|c| {
            if store::link(c)?.is_none() {
                return Err(AppError::Conflict(
                    "This desktop is not paired with a portal: pair it in Settings → Portal".into(),
                ));
            }
            store::resume(c)
        })?;
        self.wake_portal_worker();
        self.portal_status()
    }

    /// "Invite to portal" on a customer: the portal mails the contact a
    /// link to set a password.
    pub fn invite_to_portal(&self, organization_id: &str) -> AppResult<PortalInvitationDto> {
        let org = parse_org_id(organization_id)?;
        let now = self.now();
        let invitation = crate::new_uuid().to_string();
        let result = self.write(|w| {
            let Some(link) = store::link(w)? else {
                return Err(AppError::Conflict(
                    "Pair this desktop with a portal first, in Settings → Portal".into(),
                ));
            };
            let r = cs_store::orgs::get(w, org)?
                .ok_or_else(|| AppError::NotFound(format!("customer {org}")))?;
            let invited_by = cs_store::settings::get(w, crate::RESELLER_NAME_KEY)?
                .unwrap_or_else(|| link.tenant_name.clone());
            // The contact first, so the portal knows whom the invitation is for.
            put_all(w, now, records::organization(w, org)?)?;
            store::put(
                w,
                Kind::Invitation,
                &invitation,
                Some(&org.to_string()),
                now,
                Some(&Record::Invitation(InvitationV1 {
                    contact: r.contact.id.to_string(),
                    invited_by,
                    invited_at: now,
                })),
            )?;
            w.record(
                now,
                "portal.invited",
                Subject::organization(org),
                format!(
                    "Invited {} <{}> to the portal",
                    r.contact.name, r.contact.email
                ),
            )?;
            Ok(PortalInvitationDto {
                id: invitation.clone(),
                email: r.contact.email.clone(),
                portal_url: format!("{}/{}/", link.url, link.tenant),
            })
        })?;
        self.wake_portal_worker();
        Ok(result)
    }

    /// Pushes until the portal holds everything or a push fails (what the
    /// worker does when woken); the status says how it ended.
    pub async fn sync_portal_until_idle(&self) -> AppResult<PortalStatusDto> {
        for _ in 0..10_000 {
            match self.portal_round().await? {
                Round::More => continue,
                Round::Idle | Round::Backoff => break,
            }
        }
        self.portal_status()
    }

    /// One push, or nothing to do.
    /// The paired portal and the sync token to call it with; `None` when not
    /// paired, the sync is stopped, or the token is missing from the keyring
    /// (which stops the sync, saying so).
    pub(crate) fn portal_credentials(&self) -> AppResult<Option<(store::Link, SecretValue)>> {
        let Some(link) = self.store.read(store::link)? else {
            return Ok(None);
        };
        if link.stopped {
            return Ok(None);
        }
        let Some(token) = self.secrets.get(&self.secret_keys().portal_token())? else {
            self.store.write(|c| {
                store::failed(
                    c,
                    "The portal's sync token is missing from the keyring: pair again in Settings → Portal",
                    true,
                )
            })?;
            return Ok(None);
        };
        Ok(Some((link, token)))
    }

    async fn portal_round(&self) -> AppResult<Round> {
        let Some((link, token)) = self.portal_credentials()? else {
            return Ok(Round::Idle);
        };
        // Wallets are read when the portal is nearly caught up, not before
        // every batch of a long catch-up.
        if self
            .store
            .read(|c| store::count_after(c, link.held_through))?
            < MAX_BATCH_RECORDS as u64
        {
            self.publish_wallets()?;
        }
        let (records, newest) = self.store.read(|c| {
            Ok::<_, AppError>((
                store::after(c, link.held_through, MAX_BATCH_RECORDS)?,
                store::newest_seq(c)?,
            ))
        })?;
        let sent = protocol::batch(link.stream, link.held_through, records);
        let answer = self
            .portal
            .http()
            .post(format!("{}/sync/v1/push", link.url))
            .bearer_auth(token.expose())
            .json(&sent)
            .send()
            .await;
        let now = self.now();
        let answer: Result<PushResponse, ErrorBody> = match answer {
            Err(e) => Err(ErrorBody::new(
                protocol::ErrorCode::Internal,
                format!("The portal cannot be reached: {}", reqwest_reason(&e)),
            )),
            Ok(resp) => {
                let status = resp.status();
                let body = resp.bytes().await.unwrap_or_default();
                if status.is_success() {
                    serde_json::from_slice(&body).map_err(|e| {
                        ErrorBody::new(
                            protocol::ErrorCode::Internal,
                            format!("The portal's answer is unreadable: {e}"),
                        )
                    })
                } else {
                    Err(serde_json::from_slice(&body).unwrap_or_else(|_| {
                        ErrorBody::new(
                            if status.as_u16() == 401 {
                                protocol::ErrorCode::Unauthorized
                            } else {
                                protocol::ErrorCode::Internal
                            },
                            format!("The portal answered {status}"),
                        )
                    }))
                }
            }
        };
        let next = protocol::next_after(&sent, newest, answer.as_ref());
        match next {
            Next::Continue { after } => {
                self.store
                    .write(|c| store::pushed(c, link.stream, after, now))?;
                if after >= newest {
                    Ok(Round::Idle)
                } else if after == link.held_through && !sent.records.is_empty() {
                    // Records were sent and the portal holds no more than
                    // before: wait rather than spin.
                    Ok(Round::Backoff)
                } else {
                    // More waiting, or the portal went back (a gap, a
                    // restored portal): send from what it holds.
                    Ok(Round::More)
                }
            }
            Next::NewStream => {
                tracing::warn!(
                    "the portal holds more than this desktop wrote: starting a new stream"
                );
                self.store
                    .write(|c| store::pushed(c, crate::new_uuid(), 0, now))?;
                Ok(Round::More)
            }
            Next::Stop(e) => {
                tracing::error!(code = ?e.code, message = %e.message, "the portal stopped the sync");
                let message = match e.code {
                    protocol::ErrorCode::Unauthorized => format!(
                        "The portal no longer accepts this desktop's token ({}): pair again in Settings → Portal",
                        e.message
                    ),
                    _ => e.message.clone(),
                };
                self.store.write(|c| store::failed(c, &message, true))?;
                Ok(Round::Idle)
            }
            Next::Retry => {
                let message = answer.err().map(|e| e.message).unwrap_or_default();
                tracing::warn!(message = %message, "portal push failed; retrying");
                self.store.write(|c| store::failed(c, &message, false))?;
                Ok(Round::Backoff)
            }
        }
    }
}

fn reqwest_reason(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "it did not answer in time".into()
    } else if e.is_connect() {
        "the connection was refused or the host is unknown".into()
    } else {
        let mut s = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(inner) = src {
            s = format!("{s}: {inner}");
            src = inner.source();
        }
        s
    }
}

enum Round {
    More,
    Idle,
    Backoff,
}

/// The sync workers: pushes whenever a transaction published records and
/// every 30 s, backing off (up to 5 min) while the portal cannot be reached;
/// beside it, the worker that fetches and applies customers' requests
/// ([`intents::run`]).
pub async fn run(app: Arc<App>) {
    tokio::join!(push_loop(app.clone()), intents::run(app));
}

async fn push_loop(app: Arc<App>) {
    if let Err(e) = app.portal_backfill() {
        tracing::error!(error = %e, "the portal outbox could not be filled");
    }
    let mut backoff = Duration::from_secs(1);
    loop {
        match app.portal_round().await {
            Ok(Round::More) => {
                backoff = Duration::from_secs(1);
                continue;
            }
            Ok(Round::Idle) => {
                backoff = Duration::from_secs(1);
                let _ = tokio::time::timeout(IDLE_CHECK, app.portal.wake.notified()).await;
            }
            Ok(Round::Backoff) => {
                let _ = tokio::time::timeout(backoff, app.portal.wake.notified()).await;
                backoff = (backoff * 2).min(Duration::from_secs(300));
            }
            Err(e) => {
                tracing::error!(error = %e, "portal sync round failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(300));
            }
        }
    }
}
