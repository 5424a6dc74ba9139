//! Reseller prices in the façade: a plan's price table (the provider's
//! price, the rule and the customer's price per region), price versions, and
//! the changes waiting for running servers and applying them.
//!
//! The engine (`cs_billing::prices`, `cs_billing::meters`) keeps the versions
//! and meters; this module reads the provider's catalogue into the engine's
//! `provider_prices` (a markup needs it) and validates input.

use chrono::{DateTime, Duration, Utc};
use cs_billing::meters;
use cs_billing::prices::{self, Item, NewPriceRule};
use cs_core::metering::{hour_start, next_hour_after};
use cs_core::pricing::{PriceRule, UnitPrice};
use cs_core::{Currency, Money, Plan, PlanId, Rate, ServerId, Timestamp, ValidationErrors};
use cs_store::rusqlite::Connection;
use cs_store::{fmt_ts, plans, servers};

use crate::dto::*;
use crate::plans::parse_plan_id;
use crate::Subject;
use crate::{map, App, AppError, AppResult};

/// Markups are between -99.99 % and +1000 % (basis points).
pub const MIN_MARKUP_BP: i64 = -9_999;
pub const MAX_MARKUP_BP: i64 = 100_000;
/// A price version may start at most this far ahead.
const MAX_SCHEDULE_DAYS: i64 = 730;
/// An effective time this little in the past counts as "now" (the form was
/// filled a moment ago).
const NOW_SLACK_SECONDS: i64 = 300;

const ITEMS: [Item; 3] = [Item::Server, Item::Backups, Item::Ipv4];

pub(super) fn unit_dto(u: UnitPrice, c: Currency) -> UnitPriceDto {
    UnitPriceDto {
        hourly: map::rate(Rate::new(u.hourly_micros, c)),
        monthly: map::money(Money::new(u.monthly_micros / c.micros_per_minor(), c)),
    }
}

/// Basis points as a percent string: 2500 → "25", -1050 → "-10.5".
pub(crate) fn bp_percent(bp: i64) -> String {
    let sign = if bp < 0 { "-" } else { "" };
    let (whole, frac) = (bp.abs() / 100, bp.abs() % 100);
    if frac == 0 {
        format!("{sign}{whole}")
    } else {
        format!(
            "{sign}{whole}.{}",
            format!("{frac:02}").trim_end_matches('0')
        )
    }
}

fn rule_dto(r: PriceRule, c: Currency) -> PriceRuleDto {
    match r {
        PriceRule::Markup { markup_bp } => PriceRuleDto {
            mode: "markup".into(),
            markup_percent: Some(bp_percent(markup_bp)),
            price: None,
        },
        PriceRule::Fixed {
            hourly_micros,
            monthly_micros,
        } => PriceRuleDto {
            mode: "fixed".into(),
            markup_percent: None,
            price: Some(unit_dto(
                UnitPrice {
                    hourly_micros,
                    monthly_micros,
                },
                c,
            )),
        },
    }
}

pub(super) fn parse_item(field: &str, s: &str) -> AppResult<Item> {
    Item::parse(s.trim()).ok_or_else(|| {
        AppError::validation(
            field,
            format!("{s:?} is not something sold: choose server, backups or ipv4"),
        )
    })
}

/// A markup percent ("25", "-10.5") in basis points, within the bounds.
pub(crate) fn parse_markup(s: &str) -> Result<i64, String> {
    let r = Rate::parse(s.trim(), Currency::USD)
        .map_err(|_| format!("{s:?} is not a percentage: write e.g. 25 or 12.5"))?;
    // Rate keeps six decimals; basis points are hundredths of a percent.
    if r.micros % 10_000 != 0 {
        return Err("A markup has at most two decimals, e.g. 12.75".into());
    }
    let bp = r.micros / 10_000;
    if !(MIN_MARKUP_BP..=MAX_MARKUP_BP).contains(&bp) {
        return Err(format!(
            "A markup is between {} % and {} %",
            bp_percent(MIN_MARKUP_BP),
            bp_percent(MAX_MARKUP_BP)
        ));
    }
    Ok(bp)
}

impl App {
    /// Records the provider's current list prices of a plan's type (server in
    /// every region, backups) so that markups have something to apply to.
    async fn sync_provider_prices(&self, plan: &Plan) -> AppResult<()> {
        let provider = self.provider(plan.provider)?;
        let types = provider.instance_types().await?;
        let Some(t) = types.iter().find(|t| t.id == plan.provider_type) else {
            return Err(AppError::Conflict(format!(
                "{} no longer sells {}: its prices cannot be read; use fixed prices or move the plan to another type",
                plan.provider.display_name(),
                plan.provider_type
            )));
        };
        let currency = Currency::parse(&t.currency)?;
        let unit = |p: cs_provider::Price| UnitPrice {
            hourly_micros: p.hourly_micros,
            monthly_micros: p.monthly_minor * currency.micros_per_minor(),
        };
        let now = self.now();
        let provider_name = plan.provider.as_str();
        self.write(|tx| {
            prices::set_provider_price(
                tx,
                provider_name,
                &t.id,
                Item::Server,
                None,
                currency,
                unit(t.price),
                now,
            )?;
            for rp in &t.region_prices {
                prices::set_provider_price(
                    tx,
                    provider_name,
                    &t.id,
                    Item::Server,
                    Some(&rp.region),
                    currency,
                    unit(rp.price),
                    now,
                )?;
            }
            prices::set_provider_price(
                tx,
                provider_name,
                &t.id,
                Item::Backups,
                None,
                currency,
                unit(t.backups_price),
                now,
            )?;
            Ok::<_, AppError>(())
        })
    }

    /// Opens the meters of servers created since the last billing run (the
    /// run does it too), so a server created a moment ago shows with its
    /// billed price and its pending change right away.
    fn sync_meters(&self) -> AppResult<()> {
        self.write(|tx| Ok(meters::sync_meters(tx).map(|_| ())?))
    }

    fn load_plan(&self, id: &str) -> AppResult<Plan> {
        let id = parse_plan_id(id)?;
        self.store
            .read(|c| Ok::<_, AppError>(plans::get(c, id)?))?
            .ok_or_else(|| {
                AppError::NotFound(format!("There is no plan with id {id}: refresh the list"))
            })
    }

    /// The plan's price table: per item and region, the provider's price, the
    /// rule in force and the customer's price; the version history; and the
    /// running servers whose billed price differs from the current one.
    pub async fn plan_pricing(&self, plan_id: &str) -> AppResult<PlanPricingDto> {
        let plan = self.load_plan(plan_id)?;
        let provider_note = match self.sync_provider_prices(&plan).await {
            Ok(()) => None,
            Err(e) => Some(format!(
                "Provider prices could not be refreshed ({}); showing the last ones read, if any.",
                e.to_dto().message
            )),
        };
        self.pricing_table(&plan, provider_note)
    }

    fn pricing_table(
        &self,
        plan: &Plan,
        provider_note: Option<String>,
    ) -> AppResult<PlanPricingDto> {
        self.sync_meters()?;
        let currency = plan.monthly.currency;
        let now = self.now();
        self.store.read(|c| {
            let rules = prices::list_price_rules(c, plan.id)?;
            let mut items = vec![];
            for item in ITEMS {
                let mut regions = vec![];
                let mut provider_priced = false;
                for region in &plan.regions {
                    let provider_price = match prices::provider_price(
                        c,
                        plan.provider.as_str(),
                        &plan.provider_type,
                        item,
                        region,
                    )? {
                        Some((code, p)) => {
                            provider_priced = true;
                            Currency::parse(&code).ok().map(|pc| unit_dto(p, pc))
                        }
                        None => None,
                    };
                    let (rule_scope, rule, customer_price, problem) =
                        match prices::price_at(c, plan.id, region, item, now) {
                            Ok(p) => {
                                let r = p.rule_id.and_then(|id| rules.iter().find(|r| r.id == id));
                                let scope = match r {
                                    Some(r) if r.region.is_some() => "region",
                                    Some(_) => "default",
                                    None => "plan",
                                };
                                (
                                    scope.to_string(),
                                    r.map(|r| rule_dto(r.rule, currency)),
                                    Some(unit_dto(p.unit, currency)),
                                    None,
                                )
                            }
                            Err(e) => (
                                "none".to_string(),
                                None,
                                None,
                                Some(AppError::from(e).to_dto().message),
                            ),
                        };
                    regions.push(RegionPricingDto {
                        region: region.clone(),
                        provider_price,
                        rule_scope,
                        rule,
                        customer_price,
                        problem,
                    });
                }
                items.push(ItemPricingDto {
                    item: item.as_str().into(),
                    label: item.display().into(),
                    provider_priced,
                    regions,
                });
            }
            let versions = rules
                .iter()
                .map(|r| {
                    let status = if r.effective_from > now {
                        "scheduled"
                    } else {
                        // In force in its scope: the latest of the same item
                        // and region that has started.
                        let current = rules
                            .iter()
                            .filter(|o| {
                                o.item == r.item && o.region == r.region && o.effective_from <= now
                            })
                            .max_by_key(|o| (o.effective_from, o.id));
                        if current.map(|o| o.id) == Some(r.id) {
                            "active"
                        } else {
                            "superseded"
                        }
                    };
                    PriceVersionDto {
                        id: r.id.to_string(),
                        item: r.item.as_str().into(),
                        region: r.region.clone(),
                        rule: rule_dto(r.rule, currency),
                        effective_from: fmt_ts(&r.effective_from),
                        created_at: fmt_ts(&r.created_at),
                        created_by: r.created_by.clone(),
                        status: status.into(),
                    }
                })
                .collect();
            let pending = pending_dto(
                c,
                prices::pending_price_changes(c, now)?
                    .into_iter()
                    .filter(|p| p.plan_id == plan.id)
                    .collect(),
                currency,
            )?;
            Ok(PlanPricingDto {
                plan_id: plan.id.to_string(),
                plan_name: plan.name.clone(),
                provider: plan.provider.as_str().into(),
                provider_type: plan.provider_type.clone(),
                currency: currency.code().into(),
                provider_note,
                items,
                versions,
                pending,
            })
        })
    }

    /// Adds a price version of a plan's item, for every region or one,
    /// effective now or later. New servers get it from its effective time;
    /// running servers keep their price until the change is applied.
    pub async fn add_price_version(
        &self,
        plan_id: &str,
        input: PriceVersionInput,
    ) -> AppResult<PlanPricingDto> {
        let plan = self.load_plan(plan_id)?;
        let currency = plan.monthly.currency;
        let now = self.now();
        let mut e = ValidationErrors::new();
        let item = match parse_item("item", &input.item) {
            Ok(i) => Some(i),
            Err(AppError::Validation(v)) => {
                e.0.extend(v.0);
                None
            }
            Err(other) => return Err(other),
        };
        let region = input
            .region
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string);
        if let Some(r) = &region {
            if !plan.regions.contains(r) {
                e.add(
                    "region",
                    format!(
                        "Plan {} is not sold in {r:?}: choose one of its regions, or all regions",
                        plan.name
                    ),
                );
            }
        }
        let rule = parse_rule(&mut e, &input, currency);
        let effective_from = parse_effective_from(&mut e, input.effective_from.as_deref(), now);
        if !e.is_empty() {
            return Err(AppError::Validation(e));
        }
        let (Some(item), Some(rule), Some(effective_from)) = (item, rule, effective_from) else {
            return Err(AppError::Internal(
                "validated price input is incomplete".into(),
            ));
        };
        let provider_note = match rule {
            PriceRule::Markup { .. } => {
                self.check_markup_base(&plan, item, region.as_ref()).await?
            }
            PriceRule::Fixed { .. } => None,
        };
        let actor = self.actor.clone();
        let new = NewPriceRule {
            plan_id: plan.id,
            item,
            region: region.clone(),
            rule,
            effective_from,
        };
        self.write(|tx| {
            prices::add_price_rule(tx, &new, now, &actor)?;
            // The new price must be computable wherever it applies, or the
            // billing run would fail on the next server: check inside the
            // transaction, so a bad rule is never kept.
            for r in plan
                .regions
                .iter()
                .filter(|r| region.as_ref().is_none_or(|x| x == *r))
            {
                prices::price_at(tx, plan.id, r, item, effective_from)?;
            }
            let what = rule_text(rule, currency);
            tx.record(
                now,
                "plan.price_version_added",
                Subject::plan(Some(plan.id)),
                format!(
                    "New {} price for plan {} in {}: {what}, effective {}",
                    item.display().to_lowercase(),
                    plan.name,
                    region.as_deref().unwrap_or("all regions"),
                    fmt_ts(&effective_from)
                ),
            )
        })?;
        self.pricing_table(&plan, provider_note)
    }

    /// A markup is only as good as the provider price under it: reads the
    /// catalogue now, and refuses if a region would have none. Returns why the
    /// catalogue could not be read, if it could not.
    async fn check_markup_base(
        &self,
        plan: &Plan,
        item: Item,
        region: Option<&String>,
    ) -> AppResult<Option<String>> {
        let currency = plan.monthly.currency;
        if item == Item::Ipv4 {
            return Err(AppError::validation(
                "mode",
                "The provider's catalogue has no price for an extra IPv4 address, so a markup has nothing to apply to: set a fixed price",
            ));
        }
        let provider_note = self
            .sync_provider_prices(plan)
            .await
            .err()
            .map(|err| err.to_dto().message);
        let regions: Vec<&String> = match region {
            Some(r) => vec![r],
            None => plan.regions.iter().collect(),
        };
        let missing = self.store.read(|c| {
            let mut missing = vec![];
            for r in regions {
                match prices::provider_price(
                    c,
                    plan.provider.as_str(),
                    &plan.provider_type,
                    item,
                    r,
                )? {
                    Some((code, _)) if code == currency.code() => {}
                    Some((code, _)) => missing.push(format!(
                        "{r} (priced in {code}, your prices are in {currency})"
                    )),
                    None => missing.push(r.clone()),
                }
            }
            Ok::<_, AppError>(missing)
        })?;
        if !missing.is_empty() {
            let why = provider_note
                .clone()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            return Err(AppError::validation(
                "mode",
                format!("No usable provider price for {} in {}{why}: set a fixed price, or connect the provider and try again", item.display().to_lowercase(), missing.join(", ")),
            ));
        }
        Ok(provider_note)
    }

    /// Running servers (and add-ons) whose billed price differs from the
    /// current price of their plan; `plan_id` narrows to one plan.
    pub fn pending_price_changes(
        &self,
        plan_id: Option<String>,
    ) -> AppResult<PendingPriceChangesDto> {
        let plan = plan_id
            .as_deref()
            .filter(|p| !p.is_empty())
            .map(parse_plan_id)
            .transpose()?;
        self.sync_meters()?;
        let currency = self.currency()?;
        let now = self.now();
        self.store.read(|c| {
            let changes = prices::pending_price_changes(c, now)?
                .into_iter()
                .filter(|p| plan.is_none_or(|x| x == p.plan_id))
                .collect();
            pending_dto(c, changes, currency)
        })
    }

    /// Moves running servers (of one plan, or all) to the current prices from
    /// the next hour on; hours already billed keep their price.
    pub fn apply_price_changes(
        &self,
        plan_id: Option<String>,
    ) -> AppResult<AppliedPriceChangesDto> {
        let plan: Option<PlanId> = plan_id
            .as_deref()
            .filter(|p| !p.is_empty())
            .map(parse_plan_id)
            .transpose()?;
        let now = self.now();
        let actor = self.actor.clone();
        let from = hour_start(next_hour_after(now));
        self.write(|tx| {
            meters::sync_meters(tx)?;
            let applied = prices::apply_price_changes_for(tx, now, &actor, plan)?;
            if applied.is_empty() {
                return Err(AppError::Conflict(
                    "No running server has a pending price change: nothing was applied".into(),
                ));
            }
            let mut servers: Vec<ServerId> = applied.iter().map(|c| c.server_id).collect();
            servers.sort();
            servers.dedup();
            let scope = match plan {
                Some(p) => plans::get(tx, p)?
                    .map(|p| format!(" of plan {}", p.name))
                    .unwrap_or_default(),
                None => String::new(),
            };
            tx.record(
                now,
                "plan.prices_applied",
                Subject::plan(plan),
                format!(
                    "Applied new prices to {} running server(s){scope} from {}",
                    servers.len(),
                    fmt_ts(&from)
                ),
            )?;
            Ok(AppliedPriceChangesDto {
                servers: map::count(servers.len() as i64),
                changes: map::count(applied.len() as i64),
                from: fmt_ts(&from),
            })
        })
    }
}

fn pending_dto(
    c: &Connection,
    changes: Vec<prices::PriceChange>,
    currency: Currency,
) -> AppResult<PendingPriceChangesDto> {
    let names = cs_store::orgs::names(c)?;
    let mut out = vec![];
    let mut servers: Vec<ServerId> = vec![];
    for ch in changes {
        let (label, org, plan) = match servers::get(c, ch.server_id)? {
            Some(s) => (
                s.label,
                names.get(&s.organization_id).cloned().unwrap_or_default(),
                plans::get_price(c, ch.plan_id)?
                    .map(|p| p.name)
                    .unwrap_or_default(),
            ),
            None => (ch.label.clone(), String::new(), String::new()),
        };
        servers.push(ch.server_id);
        out.push(PendingPriceChangeDto {
            server_id: ch.server_id.to_string(),
            server_label: label,
            organization_name: org,
            plan_id: ch.plan_id.to_string(),
            plan_name: plan,
            item: ch.item.as_str().into(),
            billed: unit_dto(ch.billed, currency),
            current: unit_dto(ch.current, currency),
            from: fmt_ts(&hour_start(ch.from_hour)),
        });
    }
    servers.sort();
    servers.dedup();
    Ok(PendingPriceChangesDto {
        servers: map::count(servers.len() as i64),
        changes: out,
    })
}

/// The rule of a price version as typed: a markup in percent, or a fixed
/// hourly and monthly price (both above zero).
fn parse_rule(
    e: &mut ValidationErrors,
    input: &PriceVersionInput,
    currency: Currency,
) -> Option<PriceRule> {
    match input.mode.trim() {
        "markup" => match parse_markup(input.markup_percent.as_deref().unwrap_or("")) {
            Ok(bp) => Some(PriceRule::Markup { markup_bp: bp }),
            Err(m) => {
                e.add("markupPercent", m);
                None
            }
        },
        "fixed" => {
            // The plan form's bounds: at most MAX_MONTHLY_MAJOR a month, and
            // an hour never above the month. They keep every product of a
            // price and hours far from overflowing.
            let max_major = cs_core::plan::MAX_MONTHLY_MAJOR;
            let hourly =
                match Rate::parse(input.hourly_price.as_deref().unwrap_or("").trim(), currency) {
                    Ok(r) if r.micros <= 0 => {
                        e.add("hourlyPrice", "A fixed hourly price must be more than zero");
                        None
                    }
                    Ok(r) if r.micros > max_major * cs_core::money::MICROS_PER_UNIT => {
                        e.add(
                            "hourlyPrice",
                            format!(
                            "Hourly price is above {max_major} {currency}: check for an extra zero"
                        ),
                        );
                        None
                    }
                    Ok(r) => Some(r.micros),
                    Err(err) => {
                        e.add("hourlyPrice", format!("Hourly price: {err}"));
                        None
                    }
                };
            let monthly = match Money::parse(
                input.monthly_price.as_deref().unwrap_or("").trim(),
                currency,
            ) {
                Ok(m) if m.minor <= 0 => {
                    e.add(
                        "monthlyPrice",
                        "A fixed monthly price must be more than zero",
                    );
                    None
                }
                Ok(m) => match m
                    .minor
                    .checked_mul(currency.micros_per_minor())
                    .filter(|micros| *micros <= max_major * cs_core::money::MICROS_PER_UNIT)
                {
                    Some(micros) => Some(micros),
                    None => {
                        e.add("monthlyPrice", format!("Monthly price is above {max_major} {currency}: check for an extra zero"));
                        None
                    }
                },
                Err(err) => {
                    e.add("monthlyPrice", format!("Monthly price: {err}"));
                    None
                }
            };
            match (hourly, monthly) {
                (Some(h), Some(m)) if h > m => {
                    e.add(
                        "hourlyPrice",
                        "Hourly price is higher than the monthly price: check both figures",
                    );
                    None
                }
                (Some(h), Some(m)) => Some(PriceRule::Fixed {
                    hourly_micros: h,
                    monthly_micros: m,
                }),
                _ => None,
            }
        }
        other => {
            e.add(
                "mode",
                format!("{other:?} is not a pricing mode: choose markup or fixed"),
            );
            None
        }
    }
}

/// When a price version takes effect: now when not given, else a time from
/// now (a few minutes' slack) up to two years ahead.
fn parse_effective_from(
    e: &mut ValidationErrors,
    effective_from: Option<&str>,
    now: Timestamp,
) -> Option<Timestamp> {
    match effective_from.map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(now),
        Some(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => {
                let t = t.with_timezone(&Utc);
                if t < now - Duration::seconds(NOW_SLACK_SECONDS) {
                    e.add("effectiveFrom", "The effective time is in the past: choose now or a later time (prices never change retroactively)");
                    None
                } else if t > now + Duration::days(MAX_SCHEDULE_DAYS) {
                    e.add(
                        "effectiveFrom",
                        "A price can be scheduled at most two years ahead",
                    );
                    None
                } else {
                    Some(t.max(now))
                }
            }
            Err(_) => {
                e.add("effectiveFrom", format!("{s:?} is not a date and time"));
                None
            }
        },
    }
}

/// A rule as the activity log says it.
fn rule_text(rule: PriceRule, currency: Currency) -> String {
    match rule {
        PriceRule::Markup { markup_bp } => format!("markup {} %", bp_percent(markup_bp)),
        PriceRule::Fixed {
            hourly_micros,
            monthly_micros,
        } => {
            format!(
                "{} an hour, {} a month",
                Rate::new(hourly_micros, currency),
                Money::new(monthly_micros / currency.micros_per_minor(), currency)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markups_parse_within_bounds_with_two_decimals() {
        assert_eq!(parse_markup("25"), Ok(2_500));
        assert_eq!(parse_markup(" 12.75 "), Ok(1_275));
        assert_eq!(parse_markup("-10.5"), Ok(-1_050));
        assert_eq!(parse_markup("1000"), Ok(100_000));
        assert!(parse_markup("1000.01").unwrap_err().contains("between"));
        assert!(parse_markup("-100").unwrap_err().contains("between"));
        assert!(parse_markup("1.005").unwrap_err().contains("two decimals"));
        assert!(parse_markup("abc")
            .unwrap_err()
            .contains("not a percentage"));
        assert_eq!(bp_percent(-1_050), "-10.5");
        assert_eq!(bp_percent(2_500), "25");
        assert_eq!(bp_percent(1_275), "12.75");
    }
}
