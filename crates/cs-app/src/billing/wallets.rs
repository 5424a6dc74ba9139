//! Wallets in the façade: the list and a customer's wallet with its
//! statement and documents, manual payments and adjustments (each followed by
//! the dunning decisions it caused), and the Billing overview.

use cs_billing::documents::{self, DocumentFilter};
use cs_billing::ledger;
use cs_billing::settings::BillingSettings;
use cs_billing::wallet::{self, NewAdjustment, NewPayment, PaymentMethod};
use cs_core::money::micros_to_minor_rounded;
use cs_core::Money;
use cs_store::fmt_ts;

use super::runs;
use crate::customers::parse_org_id;
use crate::dto::*;
use crate::{map, App, AppError, AppResult};

fn wallet_dto(w: &wallet::WalletView) -> WalletDto {
    WalletDto {
        organization_id: w.organization_id.clone(),
        organization_name: w.organization_name.clone(),
        balance: map::money(Money::new(w.balance_minor, w.currency)),
        low_balance_threshold: map::money(Money::new(w.low_balance_threshold_minor, w.currency)),
        state: w.state.clone(),
        state_since: w.state_since.as_ref().map(fmt_ts),
    }
}
impl App {
    pub fn list_wallets(&self) -> AppResult<Vec<WalletDto>> {
        self.store
            .read(|c| Ok(wallet::list_wallets(c)?.iter().map(wallet_dto).collect()))
    }

    pub fn get_wallet(&self, organization_id: &str) -> AppResult<WalletDetail> {
        let org = parse_org_id(organization_id)?;
        self.store.read(|c| {
            let w = wallet::wallet(c, org)?;
            let docs = documents::list_documents(
                c,
                &DocumentFilter {
                    organization_id: Some(org),
                    kind: None,
                    month: None,
                },
                200,
            )?;
            Ok(WalletDetail {
                wallet: wallet_dto(&w),
                documents: self.document_dtos(c, docs)?,
            })
        })
    }

    /// One page of a customer's wallet transactions, newest first.
    pub fn list_wallet_entries(&self, input: WalletEntryListInput) -> AppResult<WalletEntryPage> {
        let org = parse_org_id(&input.organization_id)?;
        let from = crate::list::from(input.after.as_deref(), input.before.as_deref())?;
        let limit = crate::list::limit(input.limit)?;
        self.store.read(|c| {
            let w = wallet::wallet(c, org)?;
            let page = wallet::wallet_entries_page(c, org, w.currency, &from, limit)?;
            Ok(WalletEntryPage {
                rows: page
                    .rows
                    .into_iter()
                    .map(|e| WalletEntryDto {
                        txn_id: e.txn_id.to_string(),
                        at: fmt_ts(&e.at),
                        kind: e.kind,
                        memo: e.memo,
                        amount: map::money(Money::new(
                            micros_to_minor_rounded(e.amount_micros, w.currency),
                            w.currency,
                        )),
                        document_id: e.document_id,
                    })
                    .collect(),
                next: page.next.map(|n| n.encode()),
                prev: page.prev.map(|n| n.encode()),
                total: map::count(page.total),
            })
        })
    }

    pub async fn record_payment(&self, input: PaymentInput) -> AppResult<WalletDetail> {
        let currency = self.currency()?;
        let mut e = cs_core::ValidationErrors::new();
        let org = parse_org_id(&input.organization_id).ok();
        if org.is_none() {
            e.add("organizationId", "Choose the customer who paid");
        }
        let amount = match Money::parse(&input.amount, currency) {
            Ok(m) if m.minor <= 0 => {
                e.add("amount", "A payment must be more than zero");
                None
            }
            Ok(m) if m.minor > 1_000_000 * 10i64.pow(currency.exponent()) => {
                e.add("amount", "That is more than 1,000,000: check the amount");
                None
            }
            Ok(m) => Some(m),
            Err(err) => {
                e.add("amount", format!("Amount: {err}"));
                None
            }
        };
        let method = match input.method.as_str() {
            "bank_transfer" => Some(PaymentMethod::BankTransfer),
            "cash" => Some(PaymentMethod::Cash),
            "other" => Some(PaymentMethod::Other),
            other => {
                e.add(
                    "method",
                    format!(
                        "{other:?} is not a payment method: choose bank transfer, cash or other"
                    ),
                );
                None
            }
        };
        let reference = cs_core::validate::required_text(
            &mut e,
            "reference",
            "Reference",
            &input.reference,
            100,
        );
        let note = cs_core::validate::optional_note(
            &mut e,
            "note",
            "Note",
            input.note.as_deref().unwrap_or(""),
            cs_core::validate::MAX_NOTE_CHARS,
        );
        let (org, amount, method) = match (org, amount, method) {
            (Some(o), Some(a), Some(m)) if e.is_empty() => (o, a, m),
            _ => return Err(AppError::Validation(e)),
        };
        let now = self.now();
        let actor = self.actor.clone();
        self.write(|tx| {
            let recorded = wallet::record_payment(tx, &NewPayment { organization_id: org, amount, method, reference: reference.clone(), note: note.clone() }, now, &actor)?;
            if recorded.already_recorded {
                return Err(AppError::Conflict(format!("A {} payment with reference {reference:?} is already recorded: nothing was added", method.display())));
            }
            Ok(())
        })?;
        self.carry_out_decisions().await?;
        self.get_wallet(&org.to_string())
    }

    pub async fn record_adjustment(&self, input: AdjustmentInput) -> AppResult<WalletDetail> {
        let currency = self.currency()?;
        let mut e = cs_core::ValidationErrors::new();
        let org = parse_org_id(&input.organization_id).ok();
        if org.is_none() {
            e.add("organizationId", "Choose the customer");
        }
        let amount = match Money::parse(&input.amount, currency) {
            Ok(m) if m.minor == 0 => {
                e.add("amount", "An adjustment of zero changes nothing");
                None
            }
            Ok(m) if m.minor.abs() > 1_000_000 * 10i64.pow(currency.exponent()) => {
                e.add("amount", "That is more than 1,000,000: check the amount");
                None
            }
            Ok(m) => Some(m),
            Err(err) => {
                e.add("amount", format!("Amount: {err}"));
                None
            }
        };
        let reason =
            cs_core::validate::required_text(&mut e, "reason", "Reason", &input.reason, 200);
        let key = input.key.trim().to_string();
        if key.is_empty() {
            e.add("key", "The form is missing its idempotency key: reopen it");
        }
        let (org, amount) = match (org, amount) {
            (Some(o), Some(a)) if e.is_empty() => (o, a),
            _ => return Err(AppError::Validation(e)),
        };
        let now = self.now();
        let actor = self.actor.clone();
        self.write(|tx| {
            Ok(wallet::record_adjustment(
                tx,
                &NewAdjustment {
                    organization_id: org,
                    amount,
                    reason: reason.clone(),
                    key: key.clone(),
                },
                now,
                &actor,
            )?)
        })?;
        self.carry_out_decisions().await?;
        self.get_wallet(&org.to_string())
    }

    pub fn billing_overview(&self) -> AppResult<BillingOverview> {
        let now = self.now();
        self.store.read(|c| {
            let s = BillingSettings::load(c)?;
            let summary = wallet::wallet_summary(c)?;
            let month_start = cs_core::metering::month_start(cs_core::metering::month_of(now));
            let revenue_micros = ledger::revenue_since(c, s.currency, month_start)?;
            let upcoming = summary
                .in_grace
                .iter()
                .map(|w| UpcomingSuspension {
                    wallet: wallet_dto(w),
                    suspend_at: w
                        .state_since
                        .map(|t| fmt_ts(&cs_core::dunning::grace_end(t, s.grace_hours)))
                        .unwrap_or_default(),
                })
                .collect::<Vec<_>>();
            let last_run = runs::last_good(c)?.as_ref().map(runs::dto);
            let failed = runs::failed(c)?.iter().map(runs::dto).collect();
            Ok(BillingOverview {
                revenue_this_month: map::money(Money::new(
                    micros_to_minor_rounded(revenue_micros, s.currency),
                    s.currency,
                )),
                wallets_total: map::money(Money::new(summary.total_minor, s.currency)),
                customers_low: map::count(summary.low),
                customers_in_grace: upcoming.len() as u32,
                customers_suspended: map::count(summary.suspended),
                upcoming_suspensions: upcoming,
                last_run,
                failed_runs: failed,
            })
        })
    }
}
