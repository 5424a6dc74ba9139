//! Plans and the provider catalogue they are built on.

use cs_core::plan::ValidPlan;
use cs_core::{Currency, NewPlan, Plan, PlanId, ProviderKind, ValidationErrors};
use cs_provider::InstanceType;
use cs_store::plans;
use cs_store::sync_outbox::SyncKind;

use crate::dto::*;
use crate::providers::catalogue::price_dto;

mod addons;
pub(crate) mod dto;
mod pricing;
use crate::customers::camel_fields;
use crate::Subject;
use crate::{map, new_uuid, App, AppError, AppResult};

pub(crate) fn parse_plan_id(id: &str) -> AppResult<PlanId> {
    id.trim().parse().map_err(|_| plan_not_found(id))
}

fn plan_not_found(id: impl std::fmt::Display) -> AppError {
    AppError::NotFound(format!("There is no plan with id {id}: refresh the list"))
}

/// The customer-facing view of a plan that the portal receives.
fn sync_payload(plan: &Plan) -> serde_json::Value {
    serde_json::json!({
        "id": plan.id, "name": plan.name, "regions": plan.regions, "monthly": plan.monthly, "hourly": plan.hourly, "active": plan.active,
    })
}

impl App {
    pub async fn list_plans(&self) -> AppResult<Vec<PlanDto>> {
        let plans = self.store.read(|c| Ok::<_, AppError>(plans::list(c)?))?;
        let live = self
            .store
            .read(|c| Ok::<_, AppError>(cs_store::servers::count_live_by_plan(c)?))?;
        // The sandbox catalogue is always at hand; a provider that is not
        // connected simply shows no provider price.
        let sandbox_types = self
            .sandbox_catalogue()
            .instance_types()
            .await
            .unwrap_or_default();
        // The clouds' types from the cached catalogues: no provider call here.
        let linode_types = self
            .cached_catalogue(ProviderKind::Linode)?
            .map(|c| c.types)
            .unwrap_or_default();
        let digitalocean_types = self
            .cached_catalogue(ProviderKind::DigitalOcean)?
            .map(|c| c.types)
            .unwrap_or_default();
        Ok(plans
            .iter()
            .map(|p| {
                let t = match p.provider {
                    ProviderKind::Sandbox => sandbox_types.iter().find(|t| t.id == p.provider_type),
                    ProviderKind::Linode => linode_types.iter().find(|t| t.id == p.provider_type),
                    ProviderKind::DigitalOcean => {
                        digitalocean_types.iter().find(|t| t.id == p.provider_type)
                    }
                };
                let n = live.get(&p.id).copied().unwrap_or(0);
                plan_dto(p, t, n)
            })
            .collect())
    }

    pub async fn create_plan(&self, input: PlanInput) -> AppResult<PlanDto> {
        let (valid, t) = self.validate_plan(&input).await?;
        let now = self.now();
        let plan = Plan {
            id: PlanId(new_uuid()),
            name: valid.name,
            provider: valid.provider,
            provider_type: valid.provider_type,
            regions: valid.regions,
            monthly: valid.monthly,
            hourly: valid.hourly,
            active: true,
            created_at: now,
            updated_at: now,
        };
        self.write(|tx| {
            if plans::name_taken(tx, &plan.name, None)? {
                return Err(AppError::validation(
                    "name",
                    format!(
                        "A plan named {:?} already exists: choose another name",
                        plan.name
                    ),
                ));
            }
            plans::insert(tx, &plan)?;
            tx.publish(
                now,
                None,
                SyncKind::Plan,
                &plan.id.to_string(),
                &sync_payload(&plan),
            )?;
            tx.record(
                now,
                "plan.created",
                Subject::plan(Some(plan.id)),
                format!(
                    "Created plan {} ({} {}) at {} a month, {} an hour",
                    plan.name,
                    plan.provider.display_name(),
                    plan.provider_type,
                    plan.monthly,
                    plan.hourly
                ),
            )
        })?;
        Ok(plan_dto(&plan, t.as_ref(), 0))
    }

    pub async fn update_plan(&self, id: &str, input: PlanInput) -> AppResult<PlanDto> {
        let id = parse_plan_id(id)?;
        let (valid, t) = self.validate_plan(&input).await?;
        let now = self.now();
        self.write(|tx| {
            let current = plans::get(tx, id)?.ok_or_else(|| plan_not_found(id))?;
            if plans::name_taken(tx, &valid.name, Some(id))? {
                return Err(AppError::validation("name", format!("A plan named {:?} already exists: choose another name", valid.name)));
            }
            let live = cs_store::servers::count_live_by_plan(tx)?.get(&id).copied().unwrap_or(0);
            if live > 0 && (valid.provider != current.provider || valid.provider_type != current.provider_type) {
                return Err(AppError::validation("providerType", format!("{live} live server(s) use this plan: its provider and type cannot change; create a new plan instead")));
            }
            let plan = Plan { name: valid.name.clone(), provider: valid.provider, provider_type: valid.provider_type.clone(), regions: valid.regions.clone(), monthly: valid.monthly, hourly: valid.hourly, updated_at: now, ..current };
            plans::update(tx, &plan)?;
            tx.publish(now, None, SyncKind::Plan, &plan.id.to_string(), &sync_payload(&plan))?;
            tx.record(now, "plan.updated", Subject::plan(Some(plan.id)), format!("Updated plan {}: {} a month, {} an hour", plan.name, plan.monthly, plan.hourly))?;
            Ok(plan_dto(&plan, t.as_ref(), live))
        })
    }

    /// Catalogue-free checks in the core, then the type and regions against
    /// the provider's catalogue.
    async fn validate_plan(
        &self,
        input: &PlanInput,
    ) -> AppResult<(ValidPlan, Option<InstanceType>)> {
        let currency = self.currency()?;
        let new = NewPlan {
            name: input.name.clone(),
            provider: input.provider.clone(),
            provider_type: input.provider_type.clone(),
            regions: input.regions.clone(),
            monthly_price: input.monthly_price.clone(),
            hourly_price: input.hourly_price.clone(),
        };
        let valid = new.validate(currency).map_err(camel_fields);
        // Check the catalogue even when other fields failed, so every problem
        // is reported at once.
        let kind = ProviderKind::parse(input.provider.trim());
        let mut e = match &valid {
            Ok(_) => ValidationErrors::new(),
            Err(e) => e.clone(),
        };
        let mut found_type = None;
        if let Some(kind) = kind {
            self.provider(kind)
                .map_err(|err| AppError::validation("provider", err.to_string()))?;
            let crate::providers::catalogue::Catalogue { types, regions, .. } =
                self.catalogue(kind).await?;
            let type_id = input.provider_type.trim();
            if !type_id.is_empty() {
                match types.iter().find(|t| t.id == type_id) {
                    Some(t) => found_type = Some(t.clone()),
                    None => e.add(
                        "providerType",
                        format!(
                            "{} does not sell a type called {type_id:?}: choose one from the list",
                            kind.display_name()
                        ),
                    ),
                }
            }
            for r in input
                .regions
                .iter()
                .map(|r| r.trim())
                .filter(|r| !r.is_empty())
            {
                match regions.iter().find(|x| x.id == r) {
                    None => e.add(
                        "regions",
                        format!("{} has no region called {r:?}", kind.display_name()),
                    ),
                    Some(x) if !x.available => e.add(
                        "regions",
                        format!(
                            "{} ({}) is not accepting new servers at the moment",
                            x.label, x.id
                        ),
                    ),
                    Some(_) => {}
                }
            }
            // A type sold in some regions only (DigitalOcean's sizes) cannot
            // be planned elsewhere: the provider would refuse every server.
            if let Some(t) = &found_type {
                let missing: Vec<String> = input
                    .regions
                    .iter()
                    .map(|r| r.trim())
                    .filter(|r| !r.is_empty() && !t.offered_in(r))
                    .map(|r| match regions.iter().find(|x| x.id == r) {
                        Some(x) => format!("{} ({r})", x.label),
                        None => r.to_string(),
                    })
                    .collect();
                if !missing.is_empty() {
                    let offered = t.regions.as_deref().unwrap_or_default();
                    let hint = if offered.is_empty() {
                        format!(
                            "{} offers it in no region now: choose another type",
                            kind.display_name()
                        )
                    } else {
                        format!("choose among {}", offered.join(", "))
                    };
                    e.add(
                        "regions",
                        format!(
                            "{} does not offer {} in {}: {hint}",
                            kind.display_name(),
                            t.id,
                            missing.join(", ")
                        ),
                    );
                }
            }
            if let Some(t) = &found_type {
                if valid.is_ok() && t.currency != currency.code() {
                    e.add(
                        "monthlyPrice",
                        format!(
                            "{} prices this type in {}, but your prices are in {currency}",
                            kind.display_name(),
                            t.currency
                        ),
                    );
                }
            }
        }
        match valid {
            Ok(v) if e.is_empty() => Ok((v, found_type)),
            _ => Err(AppError::Validation(e)),
        }
    }
}

fn plan_dto(p: &Plan, t: Option<&InstanceType>, live: i64) -> PlanDto {
    let provider_prices = match t.and_then(|t| Currency::parse(&t.currency).ok().map(|c| (t, c))) {
        Some((t, c)) => p
            .regions
            .iter()
            .map(|r| price_dto(r, t.price_in(r), c))
            .collect(),
        None => vec![],
    };
    PlanDto {
        id: p.id.to_string(),
        name: p.name.clone(),
        provider: p.provider.as_str().to_string(),
        provider_type: p.provider_type.clone(),
        provider_type_label: t.map(|t| t.label.clone()),
        regions: p.regions.clone(),
        monthly: map::money(p.monthly),
        hourly: map::rate(p.hourly),
        provider_prices,
        active: p.active,
        live_servers: map::count(live),
        created_at: cs_store::fmt_ts(&p.created_at),
    }
}
