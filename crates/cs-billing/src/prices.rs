//! Prices: what the provider charges, what the reseller charges, and which
//! price a running server is billed at.
//!
//! Provider list prices are recorded per type, item and region
//! ([`set_provider_price`]). The reseller's [`PriceRule`]s are versioned rows
//! with an effective time ([`add_price_rule`]); a region-specific rule wins
//! over the plan-wide one, and a plan with no rule for its server item is
//! billed at its own fixed `hourly_micros` / `monthly_minor`. A meter keeps the
//! price it was opened with; [`apply_price_changes`] moves running meters to
//! the current prices from the next hour on, and [`pending_price_changes`]
//! shows what that would do.

use cs_core::metering::{next_hour_after, Hour};
use cs_core::money::MICROS_PER_UNIT;
use cs_core::pricing::{resolve, PriceRule, UnitPrice};
use cs_core::{Currency, PlanId, ServerId, Timestamp};
use cs_store::activity::{append, NewActivity};
use cs_store::fmt_ts;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::{BillingError, Result};

/// What is sold: the server itself or one of its add-ons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Item {
    Server,
    Backups,
    Ipv4,
}

impl Item {
    pub fn as_str(&self) -> &'static str {
        match self {
            Item::Server => "server",
            Item::Backups => "backups",
            Item::Ipv4 => "ipv4",
        }
    }
    pub fn parse(s: &str) -> Option<Item> {
        [Item::Server, Item::Backups, Item::Ipv4]
            .into_iter()
            .find(|i| i.as_str() == s)
    }
    pub fn display(&self) -> &'static str {
        match self {
            Item::Server => "Server",
            Item::Backups => "Backups",
            Item::Ipv4 => "Extra IPv4",
        }
    }
}

/// The price that applies to a plan's item in a region at some time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedPrice {
    pub plan_id: PlanId,
    pub unit: UnitPrice,
    pub currency: Currency,
    pub rule_id: Option<i64>,
}

/// Records the provider's list price (from its catalogue). `region` `None`
/// is the price of every region without its own.
#[allow(clippy::too_many_arguments)]
pub fn set_provider_price(
    conn: &Connection,
    provider: &str,
    provider_type: &str,
    item: Item,
    region: Option<&str>,
    currency: Currency,
    price: UnitPrice,
    now: Timestamp,
) -> Result<()> {
    conn.execute(
        "INSERT INTO provider_prices (provider, provider_type, item, region, currency, hourly_micros, monthly_micros, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (provider, provider_type, item, region) DO UPDATE SET currency = excluded.currency,
            hourly_micros = excluded.hourly_micros, monthly_micros = excluded.monthly_micros, updated_at = excluded.updated_at",
        params![provider, provider_type, item.as_str(), region.unwrap_or(""), currency.code(), price.hourly_micros, price.monthly_micros, fmt_ts(&now)],
    )?;
    Ok(())
}

/// A new version of a plan's price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPriceRule {
    pub plan_id: PlanId,
    pub item: Item,
    /// `None`: every region of the plan without a rule of its own.
    pub region: Option<String>,
    pub rule: PriceRule,
    pub effective_from: Timestamp,
}

/// Adds a price version; servers created from `effective_from` on get it,
/// running servers once [`apply_price_changes`] is run.
pub fn add_price_rule(
    conn: &Connection,
    r: &NewPriceRule,
    now: Timestamp,
    actor: &str,
) -> Result<i64> {
    let (mode, bp, hourly, monthly) = match r.rule {
        PriceRule::Markup { markup_bp } => {
            if markup_bp <= -10_000 {
                return Err(BillingError::NegativeMarkup { markup_bp });
            }
            ("markup", Some(markup_bp), None, None)
        }
        PriceRule::Fixed {
            hourly_micros,
            monthly_micros,
        } => {
            if hourly_micros <= 0 || monthly_micros <= 0 {
                return Err(BillingError::NonPositiveFixedPrice);
            }
            // The plan form's bound: anything above is a typo, and keeps
            // every product of a price and hours far from overflowing.
            let max = cs_core::plan::MAX_MONTHLY_MAJOR * MICROS_PER_UNIT;
            if hourly_micros > max || monthly_micros > max {
                return Err(BillingError::AmountTooLarge);
            }
            ("fixed", None, Some(hourly_micros), Some(monthly_micros))
        }
    };
    let plan_name = cs_store::plans::get_price(conn, r.plan_id)?
        .ok_or_else(|| BillingError::NotFound {
            what: "plan",
            id: r.plan_id.to_string(),
        })?
        .name;
    conn.execute(
        "INSERT INTO price_rules (plan_id, item, region, mode, markup_bp, hourly_micros, monthly_micros, effective_from, created_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![r.plan_id.to_string(), r.item.as_str(), r.region.as_deref().unwrap_or(""), mode, bp, hourly, monthly, fmt_ts(&r.effective_from), fmt_ts(&now), actor],
    )?;
    let id = conn.last_insert_rowid();
    let what = match r.rule {
        PriceRule::Markup { markup_bp } => format!(
            "markup {}.{:02} %",
            markup_bp / 100,
            (markup_bp % 100).abs()
        ),
        PriceRule::Fixed {
            hourly_micros,
            monthly_micros,
        } => format!("fixed {hourly_micros} micros/h, {monthly_micros} micros/month"),
    };
    append(
        conn,
        &NewActivity {
            at: now,
            actor,
            action: "price.changed",
            subject_kind: "plan",
            subject_id: Some(r.plan_id.to_string()),
            organization_id: None,
            summary: format!(
                "New {} price for plan {plan_name}{}: {what}, effective {}",
                r.item.as_str(),
                r.region
                    .as_deref()
                    .map(|x| format!(" in {x}"))
                    .unwrap_or_default(),
                fmt_ts(&r.effective_from)
            ),
        },
    )?;
    Ok(id)
}

/// The price of `item` of `plan` in `region` at time `at`.
pub fn price_at(
    conn: &Connection,
    plan: PlanId,
    region: &str,
    item: Item,
    at: Timestamp,
) -> Result<ResolvedPrice> {
    let cs_store::plans::PlanPrice {
        name,
        provider,
        provider_type,
        monthly,
        hourly,
        ..
    } = cs_store::plans::get_price(conn, plan)?.ok_or_else(|| BillingError::NotFound {
        what: "plan",
        id: plan.to_string(),
    })?;
    let (currency, monthly_minor, hourly_micros) = (monthly.currency, monthly.minor, hourly.micros);
    let provider = provider.as_str();
    type RuleRow = (i64, String, Option<i64>, Option<i64>, Option<i64>);
    let rule: Option<RuleRow> = conn
        .prepare_cached(
            "SELECT id, mode, markup_bp, hourly_micros, monthly_micros FROM price_rules
             WHERE plan_id = ?1 AND item = ?2 AND region IN (?3, '') AND effective_from <= ?4
             ORDER BY region = '' ASC, effective_from DESC, id DESC LIMIT 1",
        )?
        .query_row(
            params![plan.to_string(), item.as_str(), region, fmt_ts(&at)],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let Some((rule_id, mode, bp, hourly, monthly)) = rule else {
        if item == Item::Server {
            let per_minor = MICROS_PER_UNIT / 10i64.pow(currency.exponent());
            return Ok(ResolvedPrice {
                plan_id: plan,
                unit: UnitPrice {
                    hourly_micros,
                    monthly_micros: monthly_minor
                        .checked_mul(per_minor)
                        .ok_or(BillingError::AmountTooLarge)?,
                },
                currency,
                rule_id: None,
            });
        }
        return Err(BillingError::NoPrice { plan: name, item });
    };
    let rule = if mode == "markup" {
        PriceRule::Markup {
            markup_bp: bp.unwrap_or(0),
        }
    } else {
        PriceRule::Fixed {
            hourly_micros: hourly.unwrap_or(0),
            monthly_micros: monthly.unwrap_or(0),
        }
    };
    let provider_unit = match provider_price(conn, provider, &provider_type, item, region)? {
        Some((c, p)) if c == currency.code() => Some(p),
        Some((c, _)) => {
            return Err(BillingError::ProviderCurrency {
                provider_type,
                provider_currency: c,
                plan: name,
                plan_currency: currency.code().to_string(),
            })
        }
        None => None,
    };
    let unit = resolve(rule, provider_unit, currency)?;
    Ok(ResolvedPrice {
        plan_id: plan,
        unit,
        currency,
        rule_id: Some(rule_id),
    })
}

/// The provider's list price of `item` for `provider_type` in `region` (its
/// own price, else the one of every region), with its currency code.
pub fn provider_price(
    conn: &Connection,
    provider: &str,
    provider_type: &str,
    item: Item,
    region: &str,
) -> Result<Option<(String, UnitPrice)>> {
    Ok(conn
        .prepare_cached(
            "SELECT currency, hourly_micros, monthly_micros FROM provider_prices
             WHERE provider = ?1 AND provider_type IN (?2, '') AND item = ?3 AND region IN (?4, '')
             ORDER BY provider_type = '' ASC, region = '' ASC LIMIT 1",
        )?
        .query_row(
            params![provider, provider_type, item.as_str(), region],
            |r| {
                Ok((
                    r.get(0)?,
                    UnitPrice {
                        hourly_micros: r.get(1)?,
                        monthly_micros: r.get(2)?,
                    },
                ))
            },
        )
        .optional()?)
}

/// One version of a plan's price, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRuleRow {
    pub id: i64,
    pub item: Item,
    /// `None`: every region without a rule of its own.
    pub region: Option<String>,
    pub rule: PriceRule,
    pub effective_from: Timestamp,
    pub created_at: Timestamp,
    pub created_by: String,
}

/// Every price version of a plan, newest first.
pub fn list_price_rules(conn: &Connection, plan: PlanId) -> Result<Vec<PriceRuleRow>> {
    type Raw = (
        i64,
        String,
        String,
        String,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        String,
        String,
        String,
    );
    let rows: Vec<Raw> = conn
        .prepare_cached(
            "SELECT id, item, region, mode, markup_bp, hourly_micros, monthly_micros, effective_from, created_at, created_by
             FROM price_rules WHERE plan_id = ?1 ORDER BY effective_from DESC, id DESC",
        )?
        .query_map([plan.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|(id, item, region, mode, bp, h, m, from, created, by)| {
            Ok(PriceRuleRow {
                id,
                item: Item::parse(&item).ok_or_else(|| {
                    BillingError::Invariant(format!("price rule {id} has item {item:?}"))
                })?,
                region: (!region.is_empty()).then_some(region),
                rule: if mode == "markup" {
                    PriceRule::Markup {
                        markup_bp: bp.unwrap_or(0),
                    }
                } else {
                    PriceRule::Fixed {
                        hourly_micros: h.unwrap_or(0),
                        monthly_micros: m.unwrap_or(0),
                    }
                },
                effective_from: cs_store::parse_ts(&from)?,
                created_at: cs_store::parse_ts(&created)?,
                created_by: by,
            })
        })
        .collect()
}

/// A running meter whose billed price differs from the current price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceChange {
    pub meter_id: i64,
    pub server_id: ServerId,
    /// The plan the meter is billed on.
    pub plan_id: PlanId,
    pub label: String,
    pub item: Item,
    pub billed: UnitPrice,
    pub current: UnitPrice,
    pub from_hour: Hour,
}

/// What [`apply_price_changes`] would change at `now`.
pub fn pending_price_changes(conn: &Connection, now: Timestamp) -> Result<Vec<PriceChange>> {
    let mut stmt = conn.prepare(
        "SELECT m.id, m.server_id, m.label, m.item, p.plan_id, p.hourly_micros, p.monthly_micros
         FROM billing_meters m
         JOIN meter_prices p ON p.meter_id = m.id AND p.from_hour = (SELECT max(from_hour) FROM meter_prices WHERE meter_id = m.id)
         WHERE m.end_hour IS NULL ORDER BY m.id",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    // Each server's region, looked up once (a server has a few meters).
    let mut regions: std::collections::HashMap<String, Option<String>> =
        std::collections::HashMap::new();
    let mut out = Vec::new();
    for (meter_id, server, label, item, plan, h, m) in rows {
        if !regions.contains_key(&server) {
            let id: ServerId = server.parse().map_err(|_| {
                BillingError::Invariant(format!("meter {meter_id} has a bad server id"))
            })?;
            let region = cs_store::servers::get_brief(conn, id)?.map(|s| s.region);
            regions.insert(server.clone(), region);
        }
        // A meter of a server gone from the table has nothing to move.
        let Some(region) = regions[&server].clone() else {
            continue;
        };
        let item = Item::parse(&item).ok_or_else(|| {
            BillingError::Invariant(format!("meter {meter_id} has item {item:?}"))
        })?;
        let plan: PlanId = plan
            .parse()
            .map_err(|_| BillingError::Invariant(format!("meter {meter_id} has a bad plan id")))?;
        let current = price_at(conn, plan, &region, item, now)?.unit;
        let billed = UnitPrice {
            hourly_micros: h,
            monthly_micros: m,
        };
        if current != billed {
            out.push(PriceChange {
                meter_id,
                server_id: server.parse().map_err(|_| {
                    BillingError::Invariant(format!("meter {meter_id} has a bad server id"))
                })?,
                plan_id: plan,
                label,
                item,
                billed,
                current,
                from_hour: next_hour_after(now),
            });
        }
    }
    Ok(out)
}

/// Moves every running meter to the current price from the next hour on.
pub fn apply_price_changes(
    conn: &Connection,
    now: Timestamp,
    actor: &str,
) -> Result<Vec<PriceChange>> {
    apply_price_changes_for(conn, now, actor, None)
}

/// [`apply_price_changes`] for the meters billed on one plan (`None`: all).
pub fn apply_price_changes_for(
    conn: &Connection,
    now: Timestamp,
    actor: &str,
    plan: Option<PlanId>,
) -> Result<Vec<PriceChange>> {
    let mut changes = pending_price_changes(conn, now)?;
    changes.retain(|c| plan.is_none_or(|p| p == c.plan_id));
    for c in &changes {
        let (plan, rule): (String, Option<i64>) = conn.query_row(
            "SELECT plan_id, price_rule_id FROM meter_prices WHERE meter_id = ?1 ORDER BY from_hour DESC LIMIT 1",
            [c.meter_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        set_meter_price(conn, c.meter_id, c.from_hour, c.current, &plan, rule)?;
        append(
            conn,
            &NewActivity {
                at: now,
                actor,
                action: "price.applied",
                subject_kind: "server",
                subject_id: Some(c.server_id.to_string()),
                organization_id: None,
                summary: format!(
                    "{} {} now billed {} micros/h (cap {} micros/month) instead of {} micros/h from {}",
                    c.label,
                    c.item.as_str(),
                    c.current.hourly_micros,
                    c.current.monthly_micros,
                    c.billed.hourly_micros,
                    fmt_ts(&cs_core::metering::hour_start(c.from_hour))
                ),
            },
        )?;
    }
    Ok(changes)
}

/// Sets a meter's price from `from_hour` on (replacing a change planned for
/// the same hour, which cannot have been billed yet).
pub(crate) fn set_meter_price(
    conn: &Connection,
    meter_id: i64,
    from_hour: Hour,
    unit: UnitPrice,
    plan: &str,
    rule: Option<i64>,
) -> Result<()> {
    let billed_through: Option<i64> = conn.query_row(
        "SELECT max(last_hour) FROM usage_intervals WHERE meter_id = ?1",
        [meter_id],
        |r| r.get(0),
    )?;
    if billed_through.is_some_and(|b| b >= from_hour) {
        return Err(BillingError::AlreadyBilled { meter: meter_id });
    }
    conn.execute(
        "INSERT INTO meter_prices (meter_id, from_hour, hourly_micros, monthly_micros, plan_id, price_rule_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (meter_id, from_hour) DO UPDATE SET hourly_micros = excluded.hourly_micros, monthly_micros = excluded.monthly_micros,
            plan_id = excluded.plan_id, price_rule_id = excluded.price_rule_id",
        params![meter_id, from_hour, unit.hourly_micros, unit.monthly_micros, plan, rule],
    )?;
    Ok(())
}
