//! Reconciliation: keeping local server state true to the provider's.
//!
//! [`App::reconcile_once`] polls the provider for every server in a
//! transitional status and records where it went; every few rounds it also
//! compares all live servers with the provider's instance list, so a server
//! deleted or changed in the provider's own console is noticed.
//! [`App::poll_events`] reads the provider's account event feed after the last
//! event handled (the cursor is kept in `provider_event_cursor`), so a server
//! deleted, resized or rebuilt in the provider's own console is looked at
//! within seconds; billing follows (a deletion closes the meters, a resize
//! moves the server to the plan selling the new type from the next hour,
//! backups turned on or off start or stop their add-on meter).
//! [`run`] runs it forever on the tokio runtime; both shells use it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use cs_core::{ProviderKind, Server, ServerStatus};
use cs_provider::{Instance, InstanceStatus, ProviderError};
use cs_store::servers;

use crate::providers::store;
use crate::servers::{local_status, publish_server};
use crate::Subject;

use crate::{App, AppError, AppResult};

/// A server recorded locally but never matched with a provider instance (the
/// app stopped between recording it and hearing back) is looked up by label
/// after this long.
const ORPHAN_AFTER: chrono::Duration = chrono::Duration::seconds(60);

/// A connected provider account: its id and its client.
type Account = (String, Arc<dyn cs_provider::Provider>);

/// Servers read at a time by the full pass.
const FULL_PASS_PAGE: usize = 500;

impl App {
    /// One reconciliation pass over transitional servers; with `full`, over
    /// every live server. Each Linode or DigitalOcean account is asked only
    /// about its own servers. Returns how many servers changed.
    pub async fn reconcile_once(&self, full: bool) -> AppResult<usize> {
        if full {
            return self.reconcile_all().await;
        }
        let list = self
            .store
            .read(|c| Ok::<_, AppError>(servers::list_transitional(c)?))?;
        if list.is_empty() {
            return Ok(0);
        }
        let accounts = self
            .store
            .read(|c| Ok::<_, AppError>(servers::accounts(c)?))?;
        // (provider, the servers it holds): the Sandbox, then each account.
        let mut groups: Vec<(Arc<dyn cs_provider::Provider>, Vec<&Server>)> = Vec::new();
        let sandbox: Vec<&Server> = list
            .iter()
            .filter(|s| s.provider == ProviderKind::Sandbox && s.deleted_at.is_none())
            .collect();
        if !sandbox.is_empty() {
            groups.push((self.provider(ProviderKind::Sandbox)?, sandbox));
        }
        for kind in [ProviderKind::Linode, ProviderKind::DigitalOcean] {
            for (id, provider) in self.accounts_loaded(kind) {
                let mine: Vec<&Server> = list
                    .iter()
                    .filter(|s| {
                        s.provider == kind
                            && s.deleted_at.is_none()
                            && accounts.get(&s.id).map(String::as_str) == Some(id.as_str())
                    })
                    .collect();
                if !mine.is_empty() {
                    groups.push((provider, mine));
                }
            }
        }
        let mut changed = 0;
        for (provider, mine) in groups {
            for s in mine {
                let observed = match &s.provider_id {
                    Some(pid) => match provider.get_instance(pid).await {
                        Ok(i) => Ok(Some(i)),
                        Err(ProviderError::NotFound(_)) => Ok(None),
                        Err(e) => Err(e),
                    },
                    None => match self.orphan(&*provider, s).await {
                        Some(found) => found,
                        None => continue,
                    },
                };
                changed += self.observed(s, observed)?;
            }
        }
        Ok(changed)
    }

    /// The full pass: each provider's instance list, asked once, against the
    /// live servers it holds, read [`FULL_PASS_PAGE`] at a time (in id
    /// order), so neither the pass nor the window's reads meanwhile hold the
    /// whole table.
    async fn reconcile_all(&self) -> AppResult<usize> {
        // The Sandbox, then each connected account (its id and client).
        let mut sources: Vec<(ProviderKind, Option<Account>)> = vec![(ProviderKind::Sandbox, None)];
        for kind in [ProviderKind::Linode, ProviderKind::DigitalOcean] {
            for account in self.accounts_loaded(kind) {
                sources.push((kind, Some(account)));
            }
        }
        let mut changed = 0;
        for (kind, account) in sources {
            // Asked when the first page shows the provider holds a server.
            let mut listed: Option<(Arc<dyn cs_provider::Provider>, HashMap<String, Instance>)> =
                None;
            let mut pages = LivePages::new(kind, account.as_ref().map(|(id, _)| id.as_str()));
            while let Some(page) = pages.next(self)? {
                if listed.is_none() {
                    let provider = match &account {
                        Some((_, p)) => p.clone(),
                        None => self.provider(kind)?,
                    };
                    let all = provider.list_instances().await?;
                    let by_id = all.into_iter().map(|i| (i.id.clone(), i)).collect();
                    listed = Some((provider, by_id));
                }
                let Some((provider, instances)) = listed.as_mut() else {
                    break;
                };
                for s in &page {
                    let observed = match &s.provider_id {
                        // Each instance belongs to one server (the store's
                        // unique index), so it is taken out, not copied.
                        Some(pid) => Ok(instances.remove(pid)),
                        None => match self.orphan(&**provider, s).await {
                            Some(found) => found,
                            None => continue,
                        },
                    };
                    changed += self.observed(s, observed)?;
                }
            }
        }
        crate::memory::give_back();
        Ok(changed)
    }

    /// A server recorded but never matched with an instance is looked up by
    /// its label once it is [`ORPHAN_AFTER`] old; before that, `None`.
    async fn orphan(
        &self,
        provider: &dyn cs_provider::Provider,
        s: &Server,
    ) -> Option<Result<Option<Instance>, ProviderError>> {
        if self.now() - s.created_at > ORPHAN_AFTER {
            Some(provider.find_instance_by_label(&s.label).await)
        } else {
            None
        }
    }

    /// Records what the provider said of `s`: 1 when the server changed,
    /// 0 when it did not or the provider could not say for now.
    fn observed(
        &self,
        s: &Server,
        observed: Result<Option<Instance>, ProviderError>,
    ) -> AppResult<usize> {
        let observed = match observed {
            Ok(o) => o,
            Err(e) if e.is_transient() => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        Ok(usize::from(self.apply_observation(s, observed)?))
    }

    /// Reads `kind`'s account event feeds (every connected account's, each
    /// after its own cursor: Linode's events, DigitalOcean's actions).
    /// Returns how many servers changed.
    pub async fn poll_events(&self, kind: ProviderKind) -> AppResult<usize> {
        match kind {
            ProviderKind::Sandbox => Ok(0),
            ProviderKind::Linode | ProviderKind::DigitalOcean => {
                let mut changed = 0;
                let mut first_error = None;
                for (id, _) in self.accounts_loaded(kind) {
                    match self.poll_account_events(kind, &id).await {
                        Ok(n) => changed += n,
                        Err(e) => {
                            first_error.get_or_insert(e);
                        }
                    }
                }
                match first_error {
                    Some(e) => Err(e),
                    None => Ok(changed),
                }
            }
        }
    }

    /// Reads one account's event feed after the last event handled, and
    /// looks at every server of that account an event names (deleted,
    /// resized, rebuilt … in the provider's own console). The first call only
    /// notes where the feed is. Returns how many servers changed.
    pub async fn poll_account_events(&self, kind: ProviderKind, account: &str) -> AppResult<usize> {
        let provider = self.account_provider(kind, account)?;
        let p = crate::providers::account_key(kind, account);
        let cursor = self.store.read(|c| store::event_cursor(c, &p))?;
        let save = |id: u64| {
            let now = self.now();
            self.write(|tx| {
                store::save_event_cursor(tx, &p, i64::try_from(id).unwrap_or(i64::MAX), now)
            })
        };
        let Some(after) = cursor else {
            // Start at the newest event: the past is already in the instance
            // list, which the full pass compares. One page, newest first.
            let newest = match kind {
                ProviderKind::DigitalOcean => self
                    .digitalocean_provider(account)?
                    .client()
                    .list_actions_page(1)
                    .await
                    .map_err(cs_digitalocean::map_error)?
                    .items
                    .iter()
                    .map(|a| a.id)
                    .max(),
                _ => self
                    .linode_provider(account)?
                    .client()
                    .list_events_page(1, None)
                    .await
                    .map_err(cs_linode::map_error)?
                    .data
                    .iter()
                    .map(|e| e.id)
                    .max(),
            };
            save(newest.unwrap_or(0))?;
            return Ok(0);
        };
        let events = match provider
            .events(Some(u64::try_from(after).unwrap_or(0)))
            .await
        {
            Ok(e) => e,
            Err(e) if e.is_transient() => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        let Some(last) = events.iter().map(|e| e.id).max() else {
            return Ok(0);
        };
        let live = self.store.read(|c| Ok::<_, AppError>(servers::list(c)?))?;
        let accounts = self
            .store
            .read(|c| Ok::<_, AppError>(servers::accounts(c)?))?;
        let mut seen = std::collections::BTreeSet::new();
        let mut changed = 0;
        for e in &events {
            let Some(entity) = &e.entity_id else { continue };
            let Some(s) = live.iter().find(|s| {
                s.provider == kind
                    && s.deleted_at.is_none()
                    && s.provider_id.as_deref() == Some(entity.as_str())
                    && accounts.get(&s.id).map(String::as_str) == Some(account)
            }) else {
                continue;
            };
            match e.action.as_str() {
                "backups_enable" => self.follow_backups(s, true)?,
                "backups_cancel" => self.follow_backups(s, false)?,
                _ => {}
            }
            if seen.insert(s.id) && self.observe_server(s.id).await? {
                changed += 1;
            }
        }
        save(last)?;
        Ok(changed)
    }

    /// Backups turned on or off at the provider: billing follows (once; the
    /// app's own enable/cancel has already done it).
    fn follow_backups(&self, s: &Server, enabled: bool) -> AppResult<()> {
        let now = self.now();
        let actor = format!("provider:{}", s.provider.as_str());
        self.write(|tx| {
            let live = cs_billing::meters::live_addon(tx, s.id, cs_billing::prices::Item::Backups, 0)?
                .is_some();
            if enabled && !live {
                let billed = match cs_billing::prices::price_at(tx, s.plan_id, &s.region, cs_billing::prices::Item::Backups, now) {
                    Ok(_) => {
                        cs_billing::meters::enable_addon(tx, s.id, cs_billing::prices::Item::Backups, 0, now, &actor)?;
                        "they are billed from now on".to_string()
                    }
                    Err(e @ (cs_billing::BillingError::NoPrice { .. } | cs_billing::BillingError::ProviderCurrency { .. })) => format!("they are NOT billed: {e}"),
                    Err(e) => return Err(e.into()),
                };
                tx.record_as(&actor, now, "server.backups_enabled", Subject::server(s), format!("Backups of server {} were enabled at the provider: {billed}", s.label))?;
            } else if !enabled && live {
                cs_billing::meters::disable_addon(tx, s.id, cs_billing::prices::Item::Backups, 0, now, &actor)?;
                tx.record_as(&actor, now, "server.backups_cancelled", Subject::server(s), format!("Backups of server {} were cancelled at the provider: billing for them stops", s.label))?;
            }
            Ok(())
        })
    }

    /// Asks the provider about one server now and records what it says;
    /// true when something changed (and the UI was told).
    pub(crate) async fn observe_server(&self, id: cs_core::ServerId) -> AppResult<bool> {
        let Some(s) = self
            .store
            .read(|c| Ok::<_, AppError>(servers::get(c, id)?))?
        else {
            return Ok(false);
        };
        let (Some(pid), None) = (s.provider_id.clone(), s.deleted_at) else {
            return Ok(false);
        };
        let provider = self.provider_of(&s)?;
        let observed = match provider.get_instance(&pid).await {
            Ok(i) => Some(i),
            Err(ProviderError::NotFound(_)) => None,
            Err(e) if e.is_transient() => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        self.apply_observation(&s, observed)
    }

    /// Records what the provider says about `s`; true when something changed.
    fn apply_observation(
        &self,
        s: &Server,
        observed: Option<cs_provider::Instance>,
    ) -> AppResult<bool> {
        let now = self.now();
        let mut next = s.clone();
        let summary;
        match observed {
            None => {
                next.status = ServerStatus::Deleted;
                next.deleted_at = Some(now);
                summary = if s.status == ServerStatus::Deleting {
                    format!("Server {} was deleted", s.label)
                } else if s.provider_id.is_none() {
                    next.status = ServerStatus::Failed;
                    format!(
                        "Server {} was never created at the provider: it is closed as failed",
                        s.label
                    )
                } else {
                    format!("Server {} no longer exists at the provider (deleted outside the app): billing stops", s.label)
                };
            }
            Some(i) => {
                next.provider_id = Some(i.id.clone());
                next.ipv4 = i.ipv4.first().cloned().or(next.ipv4);
                next.ipv6 = i.ipv6.clone().or(next.ipv6);
                // While a resize runs the instance may still report its old
                // type (DigitalOcean's size changes when the action ends):
                // only a settled type tells a resize made elsewhere.
                if i.status != InstanceStatus::Resizing {
                    next.provider_type = i.instance_type.clone();
                }
                // Our own suspension is an offline server we keep calling suspended.
                next.status = match (s.status, i.status) {
                    (
                        ServerStatus::Suspended,
                        InstanceStatus::Offline
                        | InstanceStatus::ShuttingDown
                        | InstanceStatus::Stopped,
                    ) => ServerStatus::Suspended,
                    _ => local_status(i.status),
                };
                summary = match next.status {
                    ServerStatus::Deleting if s.status != ServerStatus::Deleting => format!("Server {} is being deleted at the provider (not from this app): billing stops once it is gone", s.label),
                    ServerStatus::Running if s.status != ServerStatus::Running => format!("Server {} is running", s.label),
                    ServerStatus::Offline if s.status != ServerStatus::Offline => format!("Server {} is off", s.label),
                    ServerStatus::Failed if s.status != ServerStatus::Failed => format!("The provider failed to build server {}", s.label),
                    _ if s.provider_type != next.provider_type => format!("Server {} was resized to {} at the provider", s.label, next.provider_type),
                    _ => String::new(),
                };
            }
        }
        if next == *s {
            return Ok(false);
        }
        next.updated_at = now;
        let actor = format!("provider:{}", s.provider.as_str());
        // Resized at the provider (not from this app, which moves the plan
        // with the type): bill the plan that sells the new type in this
        // region from the next hour, or say that none does.
        let resized_to = (next.deleted_at.is_none() && next.provider_type != s.provider_type)
            .then(|| next.provider_type.clone());
        let mut resize_note = String::new();
        let mut new_plan = None;
        if let Some(t) = &resized_to {
            let candidates = self
                .store
                .read(|c| Ok::<_, AppError>(cs_store::plans::list(c)?))?;
            let mut fitting: Vec<&cs_core::Plan> = candidates
                .iter()
                .filter(|p| {
                    p.provider == s.provider
                        && &p.provider_type == t
                        && p.regions.contains(&s.region)
                })
                .collect();
            fitting.sort_by_key(|p| !p.active);
            match fitting.first() {
                Some(p) => {
                    // The new plan must price every add-on the server has,
                    // or the server stays billed on its old plan.
                    let priced = self.store.read(|c| {
                        match cs_billing::meters::resize_prices(c, s.id, p.id, now) {
                            Ok(_) | Err(cs_billing::BillingError::NotMetered { .. }) => Ok(None),
                            Err(cs_billing::BillingError::NoPrice { item, .. }) => Ok(Some(item)),
                            Err(e) => Err(AppError::from(e)),
                        }
                    })?;
                    match priced {
                        None => {
                            next.plan_id = p.id;
                            new_plan = Some(p.id);
                            resize_note = format!(": billed on plan {} from the next hour", p.name);
                        }
                        Some(item) => resize_note = format!(": plan {} sells {t} but has no {} price, so it is still billed on its old plan; add that price to {} or resize it back", p.name, item.as_str(), p.name),
                    }
                }
                None => resize_note = format!(": no plan sells {t} in {}, so it is still billed on its old plan; create a plan for {t} or resize it back", s.region),
            }
        }
        // A resize made in the console often changes the status too (it is
        // left off): the entry says both, and where billing went.
        let summary = match &resized_to {
            Some(_) if summary.contains("was resized") => format!("{summary}{resize_note}"),
            Some(t) if !summary.is_empty() => {
                format!("{summary}; it was resized to {t} at the provider{resize_note}")
            }
            _ => summary,
        };
        let dto = self.write(|tx| {
            // Re-read inside the transaction: a user action may have won.
            let current = servers::get(tx, s.id)?;
            if current.as_ref() != Some(s) {
                return Ok(None);
            }
            servers::update(tx, &next)?;
            if let Some(plan) = new_plan {
                match cs_billing::meters::record_resize(tx, next.id, plan, now, &actor) {
                    // Not billed yet: the next billing run opens the meter on the new plan.
                    Ok(()) | Err(cs_billing::BillingError::NotMetered { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if let Some(deleted) = next.deleted_at {
                // The meters stop now (the billing run's sync would too).
                cs_billing::meters::close_server(tx, next.id, deleted)?;
            }
            publish_server(tx, now, &next)?;
            if !summary.is_empty() {
                let action = format!("server.{}", next.status.as_str());
                tx.record_as(
                    &actor,
                    now,
                    &action,
                    Subject::server(&next),
                    summary.clone(),
                )?;
            }
            Ok(Some(self.emit_server(tx, &next)?))
        })?;
        Ok(dto.is_some())
    }

    /// The Sandbox forgets its instances when the process ends; re-create the
    /// live ones the store knows so they keep working after a restart.
    /// Returns how many were adopted. Only `App::adopt_sandbox_servers`
    /// calls it (once).
    pub(crate) fn adopt_sandbox_servers_now(&self) -> AppResult<usize> {
        let highest = self.store.read(|c| {
            Ok::<_, AppError>(servers::max_numeric_provider_id(c, ProviderKind::Sandbox)?)
        })?;
        if let Some(h) = highest {
            self.sandbox.skip_ids_through(h);
        }
        let mut adopted = 0;
        let mut pages = LivePages::new(ProviderKind::Sandbox, None);
        while let Some(page) = pages.next(self)? {
            for s in &page {
                let Some(pid) = &s.provider_id else { continue };
                let status = match s.status {
                    ServerStatus::Provisioning => InstanceStatus::Provisioning,
                    ServerStatus::Booting => InstanceStatus::Booting,
                    ServerStatus::Running => InstanceStatus::Running,
                    ServerStatus::Rebooting => InstanceStatus::Rebooting,
                    ServerStatus::ShuttingDown => InstanceStatus::ShuttingDown,
                    ServerStatus::Offline | ServerStatus::Suspended => InstanceStatus::Offline,
                    ServerStatus::Deleting => InstanceStatus::Deleting,
                    ServerStatus::Failed => InstanceStatus::Failed,
                    ServerStatus::Deleted => continue,
                };
                self.sandbox.adopt(Instance {
                    id: pid.clone(),
                    label: s.label.clone(),
                    region: s.region.clone(),
                    instance_type: s.provider_type.clone(),
                    image: s.image.clone(),
                    status,
                    ipv4: s.ipv4.iter().cloned().collect(),
                    ipv6: None,
                    backups_enabled: false,
                    tags: vec![],
                    created: s.created_at,
                });
                adopted += 1;
            }
        }
        crate::memory::give_back();
        Ok(adopted)
    }
}

/// The live servers of one provider account (`None`: the Sandbox's), read
/// [`FULL_PASS_PAGE`] at a time in id order.
struct LivePages<'a> {
    kind: ProviderKind,
    account: Option<&'a str>,
    after: Option<cs_core::ServerId>,
    done: bool,
}

impl<'a> LivePages<'a> {
    fn new(kind: ProviderKind, account: Option<&'a str>) -> Self {
        LivePages {
            kind,
            account,
            after: None,
            done: false,
        }
    }

    /// The next page, or `None` once every server has been read.
    fn next(&mut self, app: &App) -> AppResult<Option<Vec<Server>>> {
        if self.done {
            return Ok(None);
        }
        let page = app.store.read(|c| {
            Ok::<_, AppError>(servers::live_page(
                c,
                self.kind,
                self.account,
                self.after,
                FULL_PASS_PAGE,
            )?)
        })?;
        self.done = page.len() < FULL_PASS_PAGE;
        self.after = page.last().map(|s| s.id);
        Ok((!page.is_empty()).then_some(page))
    }
}

/// Runs reconciliation every `interval` (a full pass every 30 rounds)
/// forever; the shell spawns it on its runtime. Errors are logged and the
/// pass is retried next round.
pub async fn run(app: Arc<App>, interval: Duration) {
    // First the Sandbox servers of an earlier run (it reads every server:
    // off the async workers, which answer the window meanwhile).
    let a = app.clone();
    match tokio::task::spawn_blocking(move || a.adopt_sandbox_servers()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "adopting the Sandbox servers failed; the first use of the Sandbox tries again")
        }
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => return,
    }
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut round: u64 = 0;
    loop {
        ticker.tick().await;
        let full = round.is_multiple_of(30);
        round += 1;
        if let Err(e) = app.reconcile_once(full).await {
            tracing::warn!(error = %e, "reconciliation failed; retrying next round");
        }
        // The account event feed every third round (a paginated GET: Linode
        // allows 200 a minute, DigitalOcean 250), the catalogue once a day.
        if round % 3 == 1 {
            for kind in [ProviderKind::Linode, ProviderKind::DigitalOcean] {
                if let Err(e) = app.poll_events(kind).await {
                    tracing::warn!(error = %e, provider = kind.as_str(), "reading the provider's events failed; retrying next round");
                }
            }
        }
        if round % 60 == 1 {
            if let Err(e) = app.refresh_stale_catalogues().await {
                tracing::warn!(error = %e, "refreshing a provider catalogue failed; retrying later");
            }
        }
        app.loop_round_done(crate::BackgroundLoop::Reconciler);
    }
}
