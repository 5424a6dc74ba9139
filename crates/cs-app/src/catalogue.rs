//! The providers' catalogues, cached in SQLite (`migrations/0008`).
//!
//! Regions, instance types with their per-region prices, images with their
//! capabilities and StackScripts are imported from the provider by
//! [`App::refresh_catalogue`] (on demand, and every [`MAX_AGE`] from the
//! reconciler) and read from the store everywhere else, so a page view costs
//! no provider call. The Sandbox catalogue lives in the process and is read
//! live. A refresh also records each type's list prices (per region) with
//! `cs_billing::prices::set_provider_price`, which price rules mark up.

use chrono::Duration;
use cs_billing::prices::{set_provider_price, Item};
use cs_core::pricing::UnitPrice;
use cs_core::{Currency, ProviderKind};
use cs_provider::{Image, InstanceType, Price, Region, StackScript};
use cs_store::rusqlite::{params, Connection, OptionalExtension};
use cs_store::{fmt_ts, parse_ts};
use serde::de::DeserializeOwned;

use crate::dto::CatalogueStatusDto;
use crate::{App, AppError, AppResult};

/// A cached catalogue older than this is refreshed by the reconciler.
pub const MAX_AGE: Duration = Duration::hours(24);

/// One provider's catalogue.
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalogue {
    pub regions: Vec<Region>,
    pub types: Vec<InstanceType>,
    pub images: Vec<Image>,
    pub stackscripts: Vec<StackScript>,
    pub refreshed_at: Option<cs_core::Timestamp>,
}

pub(crate) fn parse_provider(provider: &str) -> AppResult<ProviderKind> {
    ProviderKind::parse(provider.trim()).ok_or_else(|| AppError::validation("provider", format!("{provider:?} is not a provider: choose Sandbox or Linode")))
}

fn items<T: DeserializeOwned>(c: &Connection, provider: &str, kind: &str) -> AppResult<Vec<T>> {
    let mut stmt = c.prepare_cached("SELECT data FROM provider_catalogue WHERE provider = ?1 AND kind = ?2 ORDER BY position")?;
    let rows: Vec<String> = stmt.query_map(params![provider, kind], |r| r.get(0))?.collect::<Result<_, _>>()?;
    rows.iter()
        .map(|d| serde_json::from_str(d).map_err(|e| AppError::Internal(format!("the cached {provider} {kind} catalogue is unreadable ({e}): refresh the catalogue"))))
        .collect()
}

fn put<T: serde::Serialize>(tx: &Connection, provider: &str, kind: &str, list: &[T], id: impl Fn(&T) -> &str) -> AppResult<()> {
    let mut stmt = tx.prepare_cached("INSERT INTO provider_catalogue (provider, kind, id, position, data) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for (i, item) in list.iter().enumerate() {
        let data = serde_json::to_string(item).map_err(|e| AppError::Internal(e.to_string()))?;
        stmt.execute(params![provider, kind, id(item), i as i64, data])?;
    }
    Ok(())
}

/// A provider price as billing keeps it (micro-units a month and an hour).
fn unit(p: Price, currency: Currency) -> UnitPrice {
    let per_minor = cs_core::money::MICROS_PER_UNIT / 10i64.pow(currency.exponent());
    UnitPrice { hourly_micros: p.hourly_micros, monthly_micros: p.monthly_minor * per_minor }
}

impl App {
    /// The catalogue of `kind`: the Sandbox's live one, a provider's cached
    /// one (imported first if it never was).
    pub(crate) async fn catalogue(&self, kind: ProviderKind) -> AppResult<Catalogue> {
        if kind == ProviderKind::Sandbox {
            let p = self.provider(kind)?;
            return Ok(Catalogue { regions: p.regions().await?, types: p.instance_types().await?, images: p.images().await?, stackscripts: p.stackscripts().await?, refreshed_at: None });
        }
        // A catalogue is only offered while the account is connected.
        self.provider(kind)?;
        if let Some(c) = self.cached_catalogue(kind)? {
            return Ok(c);
        }
        self.import_catalogue(kind).await
    }

    /// The cached catalogue, `None` when it was never imported.
    pub(crate) fn cached_catalogue(&self, kind: ProviderKind) -> AppResult<Option<Catalogue>> {
        let p = kind.as_str();
        self.store.read(|c| {
            let refreshed: Option<Option<String>> = c.query_row("SELECT refreshed_at FROM provider_catalogue_refresh WHERE provider = ?1", [p], |r| r.get(0)).optional()?;
            let Some(Some(at)) = refreshed else { return Ok(None) };
            Ok(Some(Catalogue {
                regions: items(c, p, "region")?,
                types: items(c, p, "type")?,
                images: items(c, p, "image")?,
                stackscripts: items(c, p, "stackscript")?,
                refreshed_at: Some(parse_ts(&at)?),
            }))
        })
    }

    /// Imports `provider`'s catalogue now ("Refresh catalogue").
    pub async fn refresh_catalogue(&self, provider: &str) -> AppResult<CatalogueStatusDto> {
        let kind = parse_provider(provider)?;
        self.import_catalogue(kind).await?;
        self.catalogue_status(provider)
    }

    /// When `provider`'s catalogue was refreshed and what it holds.
    pub fn catalogue_status(&self, provider: &str) -> AppResult<CatalogueStatusDto> {
        let kind = parse_provider(provider)?;
        let p = kind.as_str();
        self.store.read(|c| {
            let row: Option<(Option<String>, String, Option<String>)> =
                c.query_row("SELECT refreshed_at, attempted_at, last_error FROM provider_catalogue_refresh WHERE provider = ?1", [p], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional()?;
            let count = |k: &str| -> AppResult<u32> {
                let n: i64 = c.query_row("SELECT count(*) FROM provider_catalogue WHERE provider = ?1 AND kind = ?2", params![p, k], |r| r.get(0))?;
                Ok(crate::map::count(n))
            };
            let (refreshed_at, attempted_at, last_error) = match row {
                Some((r, a, e)) => (r, Some(a), e),
                None => (None, None, None),
            };
            Ok(CatalogueStatusDto {
                provider: p.to_string(),
                refreshed_at,
                attempted_at,
                last_error,
                regions: count("region")?,
                types: count("type")?,
                images: count("image")?,
                stackscripts: count("stackscript")?,
            })
        })
    }

    /// Fetches the whole catalogue and replaces the cached one in one
    /// transaction, with the provider's list prices. A failed fetch keeps the
    /// previous catalogue and records the error.
    async fn import_catalogue(&self, kind: ProviderKind) -> AppResult<Catalogue> {
        let provider = self.provider(kind)?;
        let fetched = async {
            let regions = provider.regions().await?;
            let types = provider.instance_types().await?;
            let images = provider.images().await?;
            let stackscripts = provider.stackscripts().await?;
            Ok::<_, cs_provider::ProviderError>((regions, types, images, stackscripts))
        }
        .await;
        let now = self.now();
        let p = kind.as_str();
        let (regions, types, images, stackscripts) = match fetched {
            Ok(f) => f,
            Err(e) => {
                let msg = e.to_string();
                self.store.write(|tx| {
                    tx.execute(
                        "INSERT INTO provider_catalogue_refresh (provider, refreshed_at, attempted_at, last_error) VALUES (?1, NULL, ?2, ?3)
                         ON CONFLICT (provider) DO UPDATE SET attempted_at = excluded.attempted_at, last_error = excluded.last_error",
                        params![p, fmt_ts(&now), msg],
                    )?;
                    Ok::<_, AppError>(())
                })?;
                return Err(e.into());
            }
        };
        let summary = format!(
            "Refreshed the {} catalogue: {} regions, {} types, {} images, {} StackScripts",
            kind.display_name(),
            regions.len(),
            types.len(),
            images.len(),
            stackscripts.len()
        );
        self.write(|tx| {
            tx.execute("DELETE FROM provider_catalogue WHERE provider = ?1", [p])?;
            put(tx, p, "region", &regions, |r| &r.id)?;
            put(tx, p, "type", &types, |t| &t.id)?;
            put(tx, p, "image", &images, |i| &i.id)?;
            put(tx, p, "stackscript", &stackscripts, |s| &s.id)?;
            for t in &types {
                let Ok(currency) = Currency::parse(&t.currency) else { continue };
                let set = |region: Option<&str>, item: Item, price: Price| set_provider_price(tx, p, &t.id, item, region, currency, unit(price, currency), now);
                set(None, Item::Server, t.price)?;
                for rp in &t.region_prices {
                    set(Some(&rp.region), Item::Server, rp.price)?;
                }
                if t.backups_price.hourly_micros > 0 || t.backups_price.monthly_minor > 0 {
                    set(None, Item::Backups, t.backups_price)?;
                }
            }
            tx.execute(
                "INSERT INTO provider_catalogue_refresh (provider, refreshed_at, attempted_at, last_error) VALUES (?1, ?2, ?2, NULL)
                 ON CONFLICT (provider) DO UPDATE SET refreshed_at = excluded.refreshed_at, attempted_at = excluded.attempted_at, last_error = NULL",
                params![p, fmt_ts(&now)],
            )?;
            self.record(tx, now, "catalogue.refreshed", "provider", Some(p.to_string()), None, summary.clone())
        })?;
        Ok(Catalogue { regions, types, images, stackscripts, refreshed_at: Some(now) })
    }

    /// Refreshes every connected provider's catalogue that is older than
    /// [`MAX_AGE`] (or was never imported). Returns how many were refreshed.
    pub async fn refresh_stale_catalogues(&self) -> AppResult<usize> {
        let mut n = 0;
        for kind in [ProviderKind::Linode] {
            if self.provider(kind).is_err() {
                continue;
            }
            let attempted: Option<String> = self.store.read(|c| {
                Ok::<_, AppError>(c.query_row("SELECT attempted_at FROM provider_catalogue_refresh WHERE provider = ?1", [kind.as_str()], |r| r.get(0)).optional()?)
            })?;
            let due = match attempted {
                None => true,
                // Counted from the last attempt, so a failing provider is not
                // asked again every round.
                Some(a) => self.now() - parse_ts(&a)? >= MAX_AGE,
            };
            if due {
                self.import_catalogue(kind).await?;
                n += 1;
            }
        }
        Ok(n)
    }
}
