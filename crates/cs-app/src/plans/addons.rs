//! A server's add-ons: switching them on and off. Backups are switched at
//! the provider too; an extra IPv4 address is billing only. The engine
//! (`cs_billing::meters`) keeps the meters from the next full hour.

use cs_billing::meters;
use cs_billing::prices::{self, Item};
use cs_core::metering::{hour_start, next_hour_after};
use cs_store::{fmt_ts, servers};

use super::pricing::{parse_item, unit_dto};
use crate::dto::*;
use crate::servers::parse_server_id;
use crate::Subject;
use crate::{App, AppError, AppResult};

const ADDONS: [Item; 2] = [Item::Backups, Item::Ipv4];

impl App {
    /// A server's add-ons: on or off, and what they cost.
    pub fn server_addons(&self, server_id: &str) -> AppResult<Vec<ServerAddonDto>> {
        let id = parse_server_id(server_id)?;
        let currency = self.currency()?;
        let now = self.now();
        self.store.read(|c| {
            let s = servers::get(c, id)?.ok_or_else(|| {
                AppError::NotFound(format!("Server {id} no longer exists: refresh the list"))
            })?;
            let plan = meters::current_plan(c, id)?.unwrap_or(s.plan_id);
            ADDONS
                .iter()
                .map(|&item| {
                    let (enabled, billed_from, price, problem) =
                        match meters::live_addon(c, id, item, 0)? {
                            Some(live) => (
                                true,
                                Some(fmt_ts(&hour_start(live.start_hour))),
                                Some(unit_dto(live.price, currency)),
                                None,
                            ),
                            None => match prices::price_at(c, plan, &s.region, item, now) {
                                Ok(p) => (false, None, Some(unit_dto(p.unit, currency)), None),
                                Err(e) => (
                                    false,
                                    None,
                                    None,
                                    Some(sentence(AppError::from(e).to_dto().message)),
                                ),
                            },
                        };
                    Ok(ServerAddonDto {
                        item: item.as_str().into(),
                        label: item.display().into(),
                        enabled,
                        billed_from,
                        price,
                        problem,
                        at_provider: item == Item::Backups,
                        note: addon_note(item).into(),
                    })
                })
                .collect()
        })
    }

    /// Switches an add-on of a server on or off. Backups are also enabled or
    /// cancelled at the provider (first: nothing is billed that the provider
    /// did not do); an extra IPv4 is billing only. Billing starts with the
    /// next full hour and stops after the current one.
    pub async fn set_server_addon(
        &self,
        server_id: &str,
        item: &str,
        enabled: bool,
    ) -> AppResult<Vec<ServerAddonDto>> {
        let id = parse_server_id(server_id)?;
        let item = parse_item("item", item)?;
        if item == Item::Server {
            return Err(AppError::validation(
                "item",
                "The server itself is not an add-on: choose backups or ipv4",
            ));
        }
        let now = self.now();
        let s = self
            .store
            .read(|c| Ok::<_, AppError>(servers::get(c, id)?))?
            .ok_or_else(|| {
                AppError::NotFound(format!("Server {id} no longer exists: refresh the list"))
            })?;
        if s.deleted_at.is_some()
            || matches!(
                s.status,
                cs_core::ServerStatus::Deleted
                    | cs_core::ServerStatus::Deleting
                    | cs_core::ServerStatus::Failed
            )
        {
            return Err(AppError::Conflict(format!(
                "Server {} is {}: its add-ons cannot change",
                s.label,
                s.status.as_str()
            )));
        }
        let current = self.server_addons(server_id)?;
        let addon = current
            .iter()
            .find(|a| a.item == item.as_str())
            .ok_or_else(|| AppError::Internal("add-on missing from its list".into()))?;
        if addon.enabled == enabled {
            return Err(AppError::Conflict(format!(
                "{} is already {} for {}: nothing changed",
                item.display(),
                if enabled { "on" } else { "off" },
                s.label
            )));
        }
        if enabled {
            if let Some(p) = &addon.problem {
                return Err(AppError::Conflict(p.clone()));
            }
        }
        let actor = self.actor.clone();
        let provider = if item == Item::Backups {
            let pid = s.provider_id.clone().ok_or_else(|| {
                AppError::Conflict(format!("Server {} is not created at the provider yet: wait until it is running, then switch backups", s.label))
            })?;
            Some((self.provider_of(&s)?, pid))
        } else {
            None
        };
        if let Some((p, pid)) = &provider {
            if enabled {
                p.enable_backups(pid).await?
            } else {
                p.cancel_backups(pid).await?
            }
        }
        let write = self.write(|tx| {
            if enabled {
                // Billed from the next full hour.
                let from = hour_start(next_hour_after(now));
                meters::enable_addon(tx, id, item, 0, from, &actor)?;
            } else {
                meters::disable_addon(tx, id, item, 0, now, &actor)?;
            }
            tx.record(
                now,
                if enabled {
                    "server.addon_enabled"
                } else {
                    "server.addon_disabled"
                },
                Subject::server(&s),
                format!(
                    "{} {} for {}{}",
                    if enabled {
                        "Switched on"
                    } else {
                        "Switched off"
                    },
                    item.display().to_lowercase(),
                    s.label,
                    if provider.is_some() {
                        " (at the provider too)"
                    } else {
                        " (billing only)"
                    }
                ),
            )
        });
        if let Err(err) = write {
            // Put the provider back as it was, so what it does and what we
            // bill agree.
            if let Some((p, pid)) = &provider {
                let undo = if enabled {
                    p.cancel_backups(pid).await
                } else {
                    p.enable_backups(pid).await
                };
                if let Err(u) = undo {
                    tracing::error!(error = %u, server = %id, "could not undo the backups change at the provider after billing refused it");
                }
            }
            return Err(err);
        }
        self.server_addons(server_id)
    }
}

/// A message shown on its own starts with a capital (billing's errors are
/// written to follow a colon).
fn sentence(message: String) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => message,
    }
}

fn addon_note(item: Item) -> &'static str {
    match item {
        Item::Backups => "Switching backups on or off also enables or cancels them at the provider. Billed from the next full hour, capped monthly.",
        Item::Ipv4 => "Billing only: this records and bills an extra IPv4 address; add or remove the address at the provider yourself. Billed from the next full hour, capped monthly.",
        Item::Server => "",
    }
}
