//! The providers' catalogues, cached in SQLite (`migrations/0008`, SQL in
//! [`super::store`]).
//!
//! Regions, instance types with their per-region prices, images with their
//! capabilities and StackScripts are imported from the provider by
//! [`App::refresh_catalogue`] (on demand, and every [`MAX_AGE`] from the
//! reconciler) and read from the store everywhere else, so a page view costs
//! no provider call. The Sandbox catalogue lives in the process and is read
//! live. A refresh also records each type's list prices (per region) with
//! `cs_billing::prices::set_provider_price`, which price rules mark up.

use crate::map;
use chrono::Duration;
use cs_billing::prices::{set_provider_price, Item};
use cs_core::pricing::UnitPrice;
use cs_core::{Currency, Money, ProviderKind, Rate};
use cs_provider::{Image, InstanceType, Price, Region, StackScript};
use cs_store::parse_ts;

use super::store;
use crate::dto::*;
use crate::Subject;
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
    ProviderKind::parse(provider.trim()).ok_or_else(|| {
        AppError::validation(
            "provider",
            format!("{provider:?} is not a provider: choose Sandbox, Linode or DigitalOcean"),
        )
    })
}

/// `sandbox`, `linode`, `digitalocean`, or `<kind>:<account id>` (one account).
pub(crate) fn split_provider(provider: &str) -> AppResult<(ProviderKind, Option<String>)> {
    match provider.trim().split_once(':') {
        Some((k, a)) if !a.trim().is_empty() => {
            let kind = parse_provider(k)?;
            if kind == ProviderKind::Sandbox {
                return Err(AppError::validation(
                    "provider",
                    format!("{provider:?}: the Sandbox has no accounts"),
                ));
            }
            Ok((kind, Some(a.trim().to_string())))
        }
        _ => Ok((parse_provider(provider)?, None)),
    }
}

/// A provider price as billing keeps it (micro-units a month and an hour).
fn unit(p: Price, currency: Currency) -> UnitPrice {
    let per_minor = cs_core::money::MICROS_PER_UNIT / 10i64.pow(currency.exponent());
    UnitPrice {
        hourly_micros: p.hourly_micros,
        monthly_micros: p.monthly_minor * per_minor,
    }
}

/// Where a catalogue is kept: `sandbox`, or `<kind>:<account id>` (each
/// Linode or DigitalOcean account has its own).
fn catalogue_key(kind: ProviderKind, account: Option<&str>) -> String {
    match (kind, account) {
        (ProviderKind::Sandbox, _) | (_, None) => kind.as_str().to_string(),
        (_, Some(a)) => crate::providers::account_key(kind, a),
    }
}

pub(crate) fn price_dto(region: &str, p: Price, currency: Currency) -> RegionPriceDto {
    RegionPriceDto {
        region: region.to_string(),
        monthly: map::money(Money::new(p.monthly_minor, currency)),
        hourly: map::rate(Rate::new(p.hourly_micros, currency)),
    }
}

pub(crate) fn type_dto(t: &InstanceType) -> AppResult<InstanceTypeDto> {
    let currency = Currency::parse(&t.currency)?;
    Ok(InstanceTypeDto {
        id: t.id.clone(),
        label: t.label.clone(),
        vcpus: t.vcpus,
        memory_mb: t.memory_mb,
        disk_gb: t.disk_mb / 1024,
        transfer_gb: t.transfer_gb,
        monthly: map::money(Money::new(t.price.monthly_minor, currency)),
        hourly: map::rate(Rate::new(t.price.hourly_micros, currency)),
        region_prices: t
            .region_prices
            .iter()
            .map(|rp| price_dto(&rp.region, rp.price, currency))
            .collect(),
        regions: t.regions.clone(),
    })
}

impl App {
    /// The catalogue of `kind`: the Sandbox's live one, a cloud's from its
    /// oldest connected account (imported first if it never was). Plans are
    /// built on it.
    pub(crate) async fn catalogue(&self, kind: ProviderKind) -> AppResult<Catalogue> {
        if kind == ProviderKind::Sandbox {
            let p = self.sandbox_catalogue();
            return Ok(Catalogue {
                regions: p.regions().await?,
                types: p.instance_types().await?,
                images: p.images().await?,
                stackscripts: p.stackscripts().await?,
                refreshed_at: None,
            });
        }
        // A catalogue is only offered while an account is connected.
        let account = self.default_account(kind)?;
        self.account_catalogue(kind, &account).await
    }

    /// The cached catalogue of one account of `kind` (imported first if it
    /// never was).
    pub(crate) async fn account_catalogue(
        &self,
        kind: ProviderKind,
        account: &str,
    ) -> AppResult<Catalogue> {
        if let Some(c) = self.cached_by_key(&catalogue_key(kind, Some(account)))? {
            return Ok(c);
        }
        self.import_catalogue(kind, Some(account)).await
    }

    /// The cached catalogue (a cloud's: its oldest connected account's),
    /// `None` when it was never imported.
    pub(crate) fn cached_catalogue(&self, kind: ProviderKind) -> AppResult<Option<Catalogue>> {
        match kind {
            ProviderKind::Sandbox => self.cached_by_key(kind.as_str()),
            _ => match self.default_account(kind) {
                Ok(a) => self.cached_by_key(&catalogue_key(kind, Some(&a))),
                Err(_) => Ok(None),
            },
        }
    }

    /// The catalogue of the account a server lives on (the Sandbox's for
    /// the Sandbox).
    pub(crate) async fn server_catalogue(&self, s: &cs_core::Server) -> AppResult<Catalogue> {
        if s.provider == ProviderKind::Sandbox {
            return self.catalogue(s.provider).await;
        }
        let account = self
            .store
            .read(|c| Ok::<_, AppError>(cs_store::servers::account_of(c, s.id)?))?;
        match account {
            Some(a) => self.account_catalogue(s.provider, &a).await,
            None => self.catalogue(s.provider).await,
        }
    }

    /// The kind of a live account (`refresh_account_catalogue` serves both clouds).
    fn account_kind(&self, account: &str) -> AppResult<ProviderKind> {
        let row = self
            .store
            .read(|c| store::account(c, account))?
            .ok_or_else(|| {
                AppError::NotFound(format!(
                    "There is no provider account {account:?}: refresh Settings → Providers"
                ))
            })?;
        ProviderKind::parse(&row.provider).ok_or_else(|| {
            AppError::Internal(format!("account {account} has provider {}", row.provider))
        })
    }

    fn cached_by_key(&self, p: &str) -> AppResult<Option<Catalogue>> {
        self.store.read(|c| {
            let Some(at) = store::refresh_state(c, p)?.refreshed_at else {
                return Ok(None);
            };
            Ok(Some(Catalogue {
                regions: store::catalogue_items(c, p, "region")?,
                types: store::catalogue_items(c, p, "type")?,
                images: store::catalogue_items(c, p, "image")?,
                stackscripts: store::catalogue_items(c, p, "stackscript")?,
                refreshed_at: Some(parse_ts(&at)?),
            }))
        })
    }

    /// A provider's catalogue as the plan and new-server forms show it:
    /// regions, instance types with per-region prices, images, StackScripts.
    /// `<kind>:<account id>` asks for one account's.
    pub async fn provider_catalogue(&self, provider: &str) -> AppResult<CatalogueDto> {
        // `<kind>:<account id>` asks for one account's catalogue (the new-server form).
        let (kind, account) = split_provider(provider)?;
        let c = match &account {
            Some(a) => self.account_catalogue(kind, a).await?,
            None => self.catalogue(kind).await?,
        };
        Ok(CatalogueDto {
            provider: kind.as_str().to_string(),
            regions: c
                .regions
                .into_iter()
                .map(|r| RegionDto {
                    id: r.id,
                    label: r.label,
                    country: r.country,
                    available: r.available,
                })
                .collect(),
            types: c.types.iter().filter_map(|t| type_dto(t).ok()).collect(),
            images: c
                .images
                .into_iter()
                .filter(|i| !i.deprecated)
                .map(|i| ImageDto {
                    id: i.id,
                    label: i.label,
                    vendor: i.vendor,
                    cloud_init: i.cloud_init,
                })
                .collect(),
            stackscripts: c
                .stackscripts
                .into_iter()
                .map(|s| StackScriptDto {
                    id: s.id,
                    label: s.label,
                    description: s.description,
                    images: s.images,
                })
                .collect(),
            refreshed_at: c.refreshed_at.map(|t| cs_store::fmt_ts(&t)),
        })
    }

    /// Imports `provider`'s catalogue now; for a cloud, every connected
    /// account's. Returns the state of the one plans are built on.
    pub async fn refresh_catalogue(&self, provider: &str) -> AppResult<CatalogueStatusDto> {
        let kind = parse_provider(provider)?;
        match kind {
            ProviderKind::Sandbox => {
                self.import_catalogue(kind, None).await?;
            }
            ProviderKind::Linode | ProviderKind::DigitalOcean => {
                let default = self.default_account(kind)?;
                let mut first_error = None;
                for (id, _) in self.accounts_loaded(kind) {
                    if let Err(e) = self.import_catalogue(kind, Some(&id)).await {
                        first_error.get_or_insert(e);
                    }
                }
                if let Some(e) = first_error {
                    return Err(e);
                }
                return self.catalogue_status_of(&catalogue_key(kind, Some(&default)));
            }
        }
        self.catalogue_status(provider)
    }

    /// "Refresh catalogue" of one Linode or DigitalOcean account.
    pub async fn refresh_account_catalogue(&self, account: &str) -> AppResult<CatalogueStatusDto> {
        let account = account.trim();
        let kind = self.account_kind(account)?;
        self.account_provider(kind, account)?;
        self.import_catalogue(kind, Some(account)).await?;
        self.catalogue_status_of(&catalogue_key(kind, Some(account)))
    }

    /// When `provider`'s catalogue was refreshed and what it holds (a cloud:
    /// its oldest connected account's).
    pub fn catalogue_status(&self, provider: &str) -> AppResult<CatalogueStatusDto> {
        let kind = parse_provider(provider)?;
        let key = match kind {
            ProviderKind::Sandbox => kind.as_str().to_string(),
            _ => match self.default_account(kind) {
                Ok(a) => catalogue_key(kind, Some(&a)),
                Err(_) => kind.as_str().to_string(),
            },
        };
        self.catalogue_status_of(&key)
    }

    pub(crate) fn catalogue_status_of(&self, p: &str) -> AppResult<CatalogueStatusDto> {
        self.store.read(|c| {
            let count = |k: &str| -> AppResult<u32> {
                Ok(crate::map::count(store::catalogue_count(c, p, k)?))
            };
            let store::RefreshState {
                refreshed_at,
                attempted_at,
                last_error,
            } = store::refresh_state(c, p)?;
            Ok(CatalogueStatusDto {
                provider: p.split(':').next().unwrap_or(p).to_string(),
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
    async fn import_catalogue(
        &self,
        kind: ProviderKind,
        account: Option<&str>,
    ) -> AppResult<Catalogue> {
        let provider: std::sync::Arc<dyn cs_provider::Provider> = match account {
            Some(a) => self.account_provider(kind, a)?,
            None => self.provider(kind)?,
        };
        let fetched = async {
            let regions = provider.regions().await?;
            let types = provider.instance_types().await?;
            let images = provider.images().await?;
            let stackscripts = provider.stackscripts().await?;
            Ok::<_, cs_provider::ProviderError>((regions, types, images, stackscripts))
        }
        .await;
        let now = self.now();
        let key = catalogue_key(kind, account);
        let key = key.as_str();
        // List prices are the provider's, whichever account read them.
        let p = kind.as_str();
        let (regions, types, images, stackscripts) = match fetched {
            Ok(f) => f,
            Err(e) => {
                let msg = e.to_string();
                self.write(|tx| store::refresh_failed(tx, key, now, &msg))?;
                return Err(e.into());
            }
        };
        let account_label = match account {
            Some(a) => self
                .store
                .read(|c| store::account(c, a))?
                .map(|r| format!(" (account {})", r.label))
                .unwrap_or_default(),
            None => String::new(),
        };
        let summary = format!(
            "Refreshed the {} catalogue{account_label}: {} regions, {} types, {} images, {} StackScripts",
            kind.display_name(),
            regions.len(),
            types.len(),
            images.len(),
            stackscripts.len()
        );
        self.write(|tx| {
            store::clear_catalogue(tx, key)?;
            store::put_catalogue_items(tx, key, "region", &regions, |r| &r.id)?;
            store::put_catalogue_items(tx, key, "type", &types, |t| &t.id)?;
            store::put_catalogue_items(tx, key, "image", &images, |i| &i.id)?;
            store::put_catalogue_items(tx, key, "stackscript", &stackscripts, |s| &s.id)?;
            for t in &types {
                let Ok(currency) = Currency::parse(&t.currency) else {
                    continue;
                };
                let set = |region: Option<&str>, item: Item, price: Price| {
                    set_provider_price(
                        tx,
                        p,
                        &t.id,
                        item,
                        region,
                        currency,
                        unit(price, currency),
                        now,
                    )
                };
                set(None, Item::Server, t.price)?;
                for rp in &t.region_prices {
                    set(Some(&rp.region), Item::Server, rp.price)?;
                }
                if t.backups_price.hourly_micros > 0 || t.backups_price.monthly_minor > 0 {
                    set(None, Item::Backups, t.backups_price)?;
                }
            }
            store::refreshed(tx, key, now)?;
            tx.record(
                now,
                "catalogue.refreshed",
                Subject::provider(key),
                summary.clone(),
            )
        })?;
        Ok(Catalogue {
            regions,
            types,
            images,
            stackscripts,
            refreshed_at: Some(now),
        })
    }

    /// Refreshes every connected Linode and DigitalOcean account's catalogue
    /// that is older than `MAX_AGE` (or was never imported). Returns how many
    /// were refreshed; one account failing does not stop the others.
    pub async fn refresh_stale_catalogues(&self) -> AppResult<usize> {
        let mut n = 0;
        let mut first_error = None;
        let accounts = [ProviderKind::Linode, ProviderKind::DigitalOcean]
            .into_iter()
            .flat_map(|k| {
                self.accounts_loaded(k)
                    .into_iter()
                    .map(move |(id, _)| (k, id))
            });
        for (kind, id) in accounts.collect::<Vec<_>>() {
            let key = catalogue_key(kind, Some(&id));
            let attempted = self
                .store
                .read(|c| store::refresh_state(c, &key))?
                .attempted_at;
            let due = match attempted {
                None => true,
                // Counted from the last attempt, so a failing provider is not
                // asked again every round.
                Some(a) => self.now() - parse_ts(&a)? >= MAX_AGE,
            };
            if due {
                match self.import_catalogue(kind, Some(&id)).await {
                    Ok(_) => n += 1,
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(n),
        }
    }
}
