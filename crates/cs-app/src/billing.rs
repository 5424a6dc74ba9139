//! Billing in the façade: the hourly scheduler, carrying out dunning decisions
//! at the provider, wallets, payments, documents and their PDFs.
//!
//! The engine (`cs-billing`) decides and records; this module is where its
//! decisions meet the providers and the UI.

use std::sync::Arc;
use std::time::Duration;

use cs_billing::documents::{self, DocumentFilter, DocumentKind};
use cs_billing::dunning::{self, Outcome};
use cs_billing::settings::BillingSettings;
use cs_billing::wallet::{self, NewAdjustment, NewPayment, PaymentMethod};
use cs_billing::BillingError;
use cs_core::dunning::DunningAction;
use cs_core::money::micros_to_minor_rounded;
use cs_core::{Currency, Money, Rate, ServerId};
use cs_provider::ProviderError;
use cs_store::{fmt_ts, servers, settings};

use crate::dto::*;
use crate::orgs::parse_org_id;
use crate::Subject;
use crate::{map, App, AppError, AppResult};

const LAST_RUN_KEY: &str = "app.billing.last_run";
const FAILED_RUNS_KEY: &str = "app.billing.failed_runs";
/// Missed hours from which a run counts as a catch-up and reports progress.
const CATCH_UP_MIN_HOURS: i64 = 24;
/// About how many progress reports a catch-up makes.
const CATCH_UP_STEPS: i64 = 20;

impl From<BillingError> for AppError {
    fn from(e: BillingError) -> Self {
        match e {
            BillingError::NotFound { what, id } => AppError::NotFound(format!("There is no {what} {id}: refresh the list")),
            e @ (BillingError::NotMetered { .. }
            | BillingError::NoPrice { .. }
            | BillingError::ProviderCurrency { .. }
            | BillingError::AlreadyBilled { .. }
            | BillingError::NotAnAddOn
            | BillingError::NegativeMarkup { .. }
            | BillingError::NonPositiveFixedPrice
            | BillingError::MissingReference
            | BillingError::NonPositivePayment
            | BillingError::ZeroAdjustment
            | BillingError::AmountTooLarge
            | BillingError::MissingReason { .. }
            | BillingError::IncompleteRefund
            | BillingError::InvalidTaxRate
            | BillingError::NotADraft { .. }
            | BillingError::MonthNotOver { .. }
            | BillingError::NotAnIssuedInvoice { .. }
            | BillingError::AlreadyCredited { .. }
            | BillingError::CreditNoteLines
            | BillingError::OtherOrganization) => AppError::Conflict(e.to_string()),
            BillingError::IdempotencyConflict { key, what } => {
                AppError::Conflict(format!("{what} {key} was already recorded with different details: check the existing entry, or use a new reference"))
            }
            BillingError::Setting { key, value, hint } => AppError::validation(setting_field(&key), format!("{value:?} is not valid here: {hint}")),
            BillingError::NotBilledYet { month, pending } => AppError::Conflict(format!("{month} cannot be invoiced yet: {pending} hour(s) are not billed; wait for the billing run")),
            other => AppError::Internal(other.to_string()),
        }
    }
}

fn setting_field(key: &str) -> &'static str {
    match key {
        "billing.seller_country" => "sellerCountry",
        "billing.low_balance_threshold_minor" => "lowBalanceThreshold",
        "billing.suspend_at_minor" => "suspendAt",
        "billing.grace_hours" => "graceHours",
        "billing.terminate_after_days" => "terminateAfterDays",
        "billing.termination_warning_days" => "terminationWarningDays",
        "billing.number_format.invoice" => "invoiceNumberFormat",
        "billing.number_format.receipt" => "receiptNumberFormat",
        "billing.number_format.credit_note" => "creditNoteNumberFormat",
        _ => "form",
    }
}

fn month_label(m: i64) -> String {
    format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
}

fn parse_month(s: &str) -> Option<i64> {
    let (y, m) = s.trim().split_once('-')?;
    let (y, m): (i64, i64) = (y.parse().ok()?, m.parse().ok()?);
    (1..=12).contains(&m).then_some(y * 12 + m - 1)
}

fn percent(ppm: i64) -> String {
    let whole = ppm / 10_000;
    let frac = (ppm % 10_000).abs();
    if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{}", format!("{frac:04}").trim_end_matches('0'))
    }
}

fn parse_percent(field: &str, s: &str) -> AppResult<i64> {
    let r = Rate::parse(s, Currency::USD).map_err(|_| {
        AppError::validation(
            field,
            format!("{s:?} is not a percentage: write e.g. 21 or 7.7"),
        )
    })?;
    // Rate keeps six decimals; a percentage in ppm needs four.
    if r.micros < 0 || r.micros > 100_000_000 || r.micros % 100 != 0 {
        return Err(AppError::validation(
            field,
            "A tax rate is between 0 and 100 percent, with at most four decimals",
        ));
    }
    Ok(r.micros / 100)
}

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
    /// Bills every hour that is over and not billed yet (catching up after
    /// the app was closed), issues last month's invoices when due, and carries
    /// out dunning decisions. Safe to call at any time from any process.
    pub async fn run_billing(&self) -> AppResult<BillingRunDto> {
        let now = self.now();
        let catching_up = self.catch_up(now);
        let result = cs_billing::run::run_due(&crate::mail::MailingDb(self), now, &mut |p| {
            if p.meters_total > 1000 {
                tracing::info!(
                    done = p.meters_done,
                    total = p.meters_total,
                    "billing meters"
                );
            }
        });
        let run = match result {
            Ok(report) => BillingRunDto {
                at: fmt_ts(&now),
                through: fmt_ts(&cs_core::metering::hour_start(report.through_hour)),
                hours_billed: (report.billed.hours_billed + catching_up.map_or(0, |c| c.2))
                    .to_string(),
                invoices_issued: report.invoices.len() as u32,
                decisions: report.decisions.len() as u32,
                error: None,
            },
            Err(e) => BillingRunDto {
                at: fmt_ts(&now),
                through: String::new(),
                hours_billed: "0".into(),
                invoices_issued: 0,
                decisions: 0,
                error: Some(e.to_string()),
            },
        };
        let json = serde_json::to_string(&run).map_err(|e| AppError::Internal(e.to_string()))?;
        self.write(|tx| {
            if run.error.is_some() {
                let mut failed: Vec<serde_json::Value> = settings::get(tx, FAILED_RUNS_KEY)?
                    .and_then(|s| serde_json::from_str(&s).ok())
                    .unwrap_or_default();
                failed.insert(0, serde_json::from_str(&json).unwrap_or_default());
                failed.truncate(20);
                settings::set(
                    tx,
                    FAILED_RUNS_KEY,
                    &serde_json::Value::Array(failed).to_string(),
                )?;
            } else {
                settings::set(tx, LAST_RUN_KEY, &json)?;
            }
            Ok::<_, AppError>(())
        })?;
        if let Some(e) = &run.error {
            tracing::error!(error = %e, "billing run failed; it will be retried");
        }
        if let Some((last, total, _)) = catching_up {
            // Done either way: a failure shows with the failed runs.
            let done = if run.error.is_none() { total } else { 0 };
            self.report_catch_up(last, done, total, true);
        }
        self.carry_out_decisions().await?;
        Ok(run)
    }

    /// When hours were missed since the last run (the app was closed), bills
    /// them in steps of a day or more before the regular run, reporting
    /// "hours done / hours missed" after each step to the event sink and the
    /// log. Each step is an ordinary exactly-once billing run through an
    /// earlier hour, so stopping half-way loses and repeats nothing. Failures
    /// are left to the regular run, which reports them.
    fn catch_up(&self, now: cs_core::Timestamp) -> Option<(i64, i64, u64)> {
        use cs_core::metering::{hour_of, last_complete_hour};
        let last = self
            .store
            .read(|c| Ok::<_, AppError>(settings::get(c, LAST_RUN_KEY)?))
            .ok()
            .flatten()
            .and_then(|j| serde_json::from_str::<serde_json::Value>(&j).ok())
            .and_then(|v| v.get("through")?.as_str().map(str::to_string))
            .and_then(|t| cs_store::parse_ts(&t).ok())
            .map(hour_of)?;
        let target = last_complete_hour(now);
        let total = target - last;
        if total < CATCH_UP_MIN_HOURS {
            return None;
        }
        let step = (total / CATCH_UP_STEPS).max(24);
        self.report_catch_up(last, 0, total, false);
        let mut h = last;
        let mut hours = 0;
        while h + step < target {
            h += step;
            match cs_billing::bill_through(&crate::mail::MailingDb(self), h, &mut |_| {}) {
                Ok(r) => hours += r.hours_billed,
                Err(e) => {
                    tracing::warn!(error = %e, "catch-up step failed; the regular run will retry");
                    break;
                }
            }
            self.report_catch_up(last, h - last, total, false);
        }
        Some((last, total, hours))
    }

    fn report_catch_up(&self, last: i64, done: i64, total: i64, finished: bool) {
        let p = BillingProgressDto {
            hours_done: u32::try_from(done).unwrap_or(u32::MAX),
            hours_total: u32::try_from(total).unwrap_or(u32::MAX),
            through: fmt_ts(&cs_core::metering::hour_start(last + done + 1)),
            done: finished,
        };
        tracing::info!(
            hours_done = p.hours_done,
            hours_total = p.hours_total,
            "catching up billing: {} / {} hours",
            p.hours_done,
            p.hours_total
        );
        self.events.billing_progress(&p);
    }

    /// Powers servers off, on or away at the provider for every pending
    /// dunning decision, then tells the engine how it went.
    pub async fn carry_out_decisions(&self) -> AppResult<usize> {
        let pending = self
            .store
            .read(|c| Ok::<_, AppError>(dunning::pending_decisions(c)?))?;
        let mut done = 0;
        for d in pending {
            let mut failures = vec![];
            for sid in &d.server_ids {
                if let Err(e) = self.dunning_action(*sid, d.action).await {
                    failures.push(format!("{sid}: {e}"));
                }
            }
            let outcome = if failures.is_empty() {
                Outcome::Done
            } else {
                Outcome::Failed {
                    note: failures.join("; "),
                }
            };
            let now = self.now();
            self.write(|tx| {
                dunning::complete_decision(tx, d.id, outcome, now, "system:billing")?;
                // The UI shows the servers as the decision left them.
                for sid in &d.server_ids {
                    if let Some(s) = servers::get(tx, *sid)? {
                        self.emit_server(tx, &s)?;
                    }
                }
                Ok(())
            })?;
            for sid in &d.server_ids {
                // Record where the provider took the server (booting after a
                // release, say).
                self.observe_server(*sid).await?;
            }
            done += 1;
        }
        Ok(done)
    }

    async fn dunning_action(&self, id: ServerId, action: DunningAction) -> AppResult<()> {
        let Some(server) = self
            .store
            .read(|c| Ok::<_, AppError>(servers::get(c, id)?))?
        else {
            return Ok(());
        };
        let Some(pid) = server.provider_id.clone() else {
            return Ok(());
        };
        let provider = self.provider_of(&server)?;
        let result = match action {
            DunningAction::Suspend => match provider.get_instance(&pid).await?.status {
                cs_provider::InstanceStatus::Offline | cs_provider::InstanceStatus::Stopped => {
                    Ok(())
                }
                _ => provider.shutdown(&pid).await,
            },
            DunningAction::Unsuspend => provider.boot(&pid).await,
            DunningAction::Terminate => provider.delete(&pid).await,
        };
        match result {
            Ok(()) | Err(ProviderError::NotFound(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    pub fn list_wallets(&self) -> AppResult<Vec<WalletDto>> {
        self.store
            .read(|c| Ok(wallet::list_wallets(c)?.iter().map(wallet_dto).collect()))
    }

    pub fn get_wallet(&self, organization_id: &str) -> AppResult<WalletDetail> {
        let org = parse_org_id(organization_id)?;
        self.store.read(|c| {
            let w = wallet::wallet(c, org)?;
            let entries = wallet::wallet_entries(c, org, w.currency, 200, None)?;
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
                entries: entries
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
                documents: self.document_dtos(c, docs)?,
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
        let note = input
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string);
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

    pub fn list_documents(
        &self,
        filter: DocumentFilterInput,
    ) -> AppResult<Vec<DocumentSummaryDto>> {
        let org = filter
            .organization_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(parse_org_id)
            .transpose()?;
        let kind = match filter.kind.as_deref().filter(|s| !s.is_empty()) {
            Some(k) => Some(DocumentKind::parse(k).ok_or_else(|| {
                AppError::validation("kind", format!("{k:?} is not a document kind"))
            })?),
            None => None,
        };
        let month = match filter.period.as_deref().filter(|s| !s.is_empty()) {
            Some(p) => Some(parse_month(p).ok_or_else(|| {
                AppError::validation("period", format!("{p:?} is not a month: write YYYY-MM"))
            })?),
            None => None,
        };
        self.store.read(|c| {
            let docs = documents::list_documents(
                c,
                &DocumentFilter {
                    organization_id: org,
                    kind,
                    month,
                },
                1000,
            )?;
            self.document_dtos(c, docs)
        })
    }

    fn document_dtos(
        &self,
        c: &cs_store::rusqlite::Connection,
        docs: Vec<documents::DocumentSummary>,
    ) -> AppResult<Vec<DocumentSummaryDto>> {
        let orgs = cs_store::orgs::list(c)?;
        let credit_notes: Vec<(String, String)> = {
            let mut stmt = c.prepare("SELECT credits_document_id, id FROM documents WHERE credits_document_id IS NOT NULL")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            rows
        };
        Ok(docs
            .into_iter()
            .map(|d| {
                let name = orgs
                    .iter()
                    .find(|o| o.organization.id.to_string() == d.organization_id)
                    .map(|o| o.organization.name.clone())
                    .unwrap_or_default();
                let voided_by = credit_notes
                    .iter()
                    .find(|(of, _)| *of == d.id)
                    .map(|(_, id)| id.clone());
                summary_dto(d, name, voided_by)
            })
            .collect())
    }

    pub fn get_document(&self, id: &str) -> AppResult<DocumentDetail> {
        self.store.read(|c| {
            let d = documents::get_document(c, id)?;
            let name = d.customer_name.clone();
            let currency = d.summary.currency;
            let voided_by: Option<String> = c
                .query_row(
                    "SELECT id FROM documents WHERE credits_document_id = ?1 LIMIT 1",
                    [id],
                    |r| r.get(0),
                )
                .ok();
            Ok(DocumentDetail {
                summary: summary_dto(d.summary.clone(), name, voided_by),
                customer_name: d.customer_name,
                customer_country: d.customer_country,
                customer_tax_id: d.customer_tax_id,
                tax_note: d.tax_note,
                reference: d.reference,
                reason: d.reason,
                lines: d
                    .lines
                    .iter()
                    .map(|l| DocumentLineDto {
                        description: l.description.clone(),
                        hours: l.quantity_hours.map(|h| h.to_string()),
                        rate: l
                            .unit_rate_micros
                            .map(|r| map::rate(Rate::new(r, currency))),
                        amount: map::money(Money::new(l.amount_minor, currency)),
                        capped: l.capped,
                        tax_name: l.tax_name.clone(),
                    })
                    .collect(),
                tax_totals: d
                    .tax_totals
                    .iter()
                    .map(|t| TaxTotalDto {
                        name: t.name.clone(),
                        rate_percent: percent(t.rate_ppm),
                        net: map::money(Money::new(t.net_minor, currency)),
                        tax: map::money(Money::new(t.tax_minor, currency)),
                    })
                    .collect(),
            })
        })
    }

    /// Voids an issued invoice by issuing a credit note for all of it.
    pub fn void_invoice(&self, id: &str, reason: &str) -> AppResult<DocumentSummaryDto> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::validation(
                "reason",
                "Say why the invoice is voided: it is printed on the credit note",
            ));
        }
        let now = self.now();
        let actor = self.actor.clone();
        let credit = self.write(|tx| Ok(documents::void_invoice(tx, id, reason, now, &actor)?))?;
        self.store
            .read(|c| Ok(self.document_dtos(c, vec![credit])?.remove(0)))
    }

    /// The document as a PDF, with the seller it was issued with.
    pub fn document_pdf(&self, id: &str) -> AppResult<(String, Vec<u8>)> {
        let printable = self.printable_document(id)?;
        let number = printable.number.clone();
        let bytes = cs_invoice::render_pdf(&printable)
            .map_err(|e| AppError::Internal(format!("rendering {number}: {e}")))?;
        Ok((number, bytes))
    }

    /// Writes the document's PDF to the user's Downloads folder.
    pub fn save_document_pdf(&self, id: &str) -> AppResult<SavedFile> {
        let (number, bytes) = self.document_pdf(id)?;
        crate::documents::save_in(&crate::documents::downloads_dir()?, &number, "pdf", &bytes)
    }

    pub fn billing_overview(&self) -> AppResult<BillingOverview> {
        let now = self.now();
        self.store.read(|c| {
            let s = BillingSettings::load(c)?;
            let wallets = wallet::list_wallets(c)?;
            let month_start = fmt_ts(&cs_core::metering::month_start(cs_core::metering::month_of(now)));
            let revenue_micros: i64 = c.query_row(
                "SELECT coalesce(-sum(e.amount_micros), 0) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id JOIN ledger_txns t ON t.id = e.txn_id
                 WHERE a.kind = 'revenue' AND a.currency = ?1 AND t.at >= ?2",
                [s.currency.code(), month_start.as_str()],
                |r| r.get(0),
            ).unwrap_or(0);
            let total: i64 = wallets.iter().map(|w| w.balance_minor).sum();
            let low = wallets.iter().filter(|w| w.state == "good" && w.balance_minor <= w.low_balance_threshold_minor).count();
            let upcoming = wallets
                .iter()
                .filter(|w| w.state == "grace")
                .map(|w| UpcomingSuspension {
                    wallet: wallet_dto(w),
                    suspend_at: w.state_since.map(|t| fmt_ts(&(t + chrono::Duration::hours(s.grace_hours)))).unwrap_or_default(),
                })
                .collect::<Vec<_>>();
            let last_run = settings::get(c, LAST_RUN_KEY)?.and_then(|j| serde_json::from_str::<serde_json::Value>(&j).ok()).and_then(run_from_json);
            let failed = settings::get(c, FAILED_RUNS_KEY)?
                .and_then(|j| serde_json::from_str::<Vec<serde_json::Value>>(&j).ok())
                .unwrap_or_default()
                .into_iter()
                .filter_map(run_from_json)
                .collect();
            Ok(BillingOverview {
                revenue_this_month: map::money(Money::new(micros_to_minor_rounded(revenue_micros, s.currency), s.currency)),
                wallets_total: map::money(Money::new(total, s.currency)),
                customers_low: low as u32,
                customers_in_grace: upcoming.len() as u32,
                customers_suspended: wallets.iter().filter(|w| w.state == "suspended").count() as u32,
                upcoming_suspensions: upcoming,
                last_run,
                failed_runs: failed,
            })
        })
    }

    pub fn billing_settings(&self) -> AppResult<BillingSettingsDto> {
        self.store.read(|c| {
            let s = BillingSettings::load(c)?;
            let m = |minor| Money::new(minor, s.currency).to_decimal_string();
            Ok(BillingSettingsDto {
                seller_country: s.seller_country.clone(),
                low_balance_threshold: m(s.low_balance_threshold_minor),
                suspend_at: m(s.suspend_at_minor),
                grace_hours: s.grace_hours.clamp(0, u32::MAX as i64) as u32,
                terminate_after_days: s.terminate_after_days.clamp(0, u32::MAX as i64) as u32,
                termination_warning_days: s
                    .termination_warning_days
                    .iter()
                    .map(|d| (*d).clamp(0, u32::MAX as i64) as u32)
                    .collect(),
                invoice_number_format: s.invoice_number_format.clone(),
                receipt_number_format: s.receipt_number_format.clone(),
                credit_note_number_format: s.credit_note_number_format.clone(),
                auto_invoice: s.auto_invoice,
                tax_rates: documents::list_tax_rates(c)?
                    .into_iter()
                    .map(|(country, region, name, ppm)| TaxRateDto {
                        country,
                        region,
                        name,
                        rate_percent: percent(ppm),
                    })
                    .collect(),
            })
        })
    }

    pub fn update_billing_settings(
        &self,
        input: BillingSettingsDto,
    ) -> AppResult<BillingSettingsDto> {
        let currency = self.currency()?;
        let mut e = cs_core::ValidationErrors::new();
        let mut money = |field: &str, v: &str| match Money::parse(v, currency) {
            Ok(m) => m.minor,
            Err(err) => {
                e.add(field, format!("{err}"));
                0
            }
        };
        let low = money("lowBalanceThreshold", &input.low_balance_threshold);
        let suspend_at = money("suspendAt", &input.suspend_at);
        let country = input.seller_country.trim().to_ascii_uppercase();
        if !cs_core::org::is_country_code(&country) {
            e.add(
                "sellerCountry",
                format!("{:?} is not an ISO 3166 country code", input.seller_country),
            );
        }
        if low < suspend_at {
            e.add(
                "lowBalanceThreshold",
                "The low-balance warning must come at or before the suspension limit",
            );
        }
        let mut rates = vec![];
        for (i, r) in input.tax_rates.iter().enumerate() {
            let c = r.country.trim().to_ascii_uppercase();
            if !cs_core::org::is_country_code(&c) {
                e.add(
                    &format!("taxRates.{i}.country"),
                    format!("{:?} is not a country code", r.country),
                );
                continue;
            }
            match parse_percent(&format!("taxRates.{i}.ratePercent"), &r.rate_percent) {
                Ok(ppm) => rates.push((
                    c,
                    r.region.trim().to_string(),
                    r.name.trim().to_string(),
                    ppm,
                )),
                Err(AppError::Validation(v)) => e.0.extend(v.0),
                Err(other) => return Err(other),
            }
        }
        if !e.is_empty() {
            return Err(AppError::Validation(e));
        }
        let now = self.now();
        self.write(|tx| {
            let mut s = BillingSettings::load(tx)?;
            s.seller_country = country.clone();
            s.low_balance_threshold_minor = low;
            s.suspend_at_minor = suspend_at;
            s.grace_hours = i64::from(input.grace_hours);
            s.terminate_after_days = i64::from(input.terminate_after_days);
            s.termination_warning_days = input
                .termination_warning_days
                .iter()
                .map(|d| i64::from(*d))
                .collect();
            s.invoice_number_format = input.invoice_number_format.trim().to_string();
            s.receipt_number_format = input.receipt_number_format.trim().to_string();
            s.credit_note_number_format = input.credit_note_number_format.trim().to_string();
            s.auto_invoice = input.auto_invoice;
            s.validate()?;
            s.save(tx)?;
            for (c, region, name, ppm) in &rates {
                documents::set_tax_rate(
                    tx,
                    c,
                    (!region.is_empty()).then_some(region.as_str()),
                    if name.is_empty() { "VAT" } else { name },
                    *ppm,
                )?;
            }
            tx.record(
                now,
                "billing.settings_updated",
                Subject::settings(None),
                format!(
                    "Updated billing settings: grace {} h, termination after {} days",
                    s.grace_hours, s.terminate_after_days
                ),
            )
        })?;
        self.billing_settings()
    }
}

fn run_from_json(v: serde_json::Value) -> Option<BillingRunDto> {
    Some(BillingRunDto {
        at: v.get("at")?.as_str()?.to_string(),
        through: v.get("through")?.as_str()?.to_string(),
        hours_billed: v.get("hoursBilled")?.as_str()?.to_string(),
        invoices_issued: v.get("invoicesIssued")?.as_u64()? as u32,
        decisions: v.get("decisions")?.as_u64()? as u32,
        error: v.get("error").and_then(|e| e.as_str()).map(str::to_string),
    })
}

fn summary_dto(
    d: documents::DocumentSummary,
    organization_name: String,
    voided_by: Option<String>,
) -> DocumentSummaryDto {
    let c = d.currency;
    DocumentSummaryDto {
        id: d.id,
        kind: d.kind.as_str().to_string(),
        number: d.number,
        organization_id: d.organization_id,
        organization_name,
        period: d.month.map(month_label),
        subtotal: map::money(Money::new(d.subtotal_minor, c)),
        tax: map::money(Money::new(d.tax_minor, c)),
        total: map::money(Money::new(d.total_minor, c)),
        issued_at: d.issued_at.as_ref().map(fmt_ts),
        credits_document_id: d.credits_document_id,
        voided_by,
    }
}

/// Runs billing at start (catch-up) and then every minute; each run bills
/// only hours that are over and not billed, so a minute's tick is cheap and
/// the hour boundary is never more than a minute late.
pub async fn run(app: Arc<App>, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(e) = app.run_billing().await {
            tracing::error!(error = %e, "billing run could not be recorded");
        }
    }
}
