//! The billing scheduler: every minute (and at start, catching up the hours
//! missed while the app was closed) it runs the engine (`cs_billing::run_due`)
//! as the façade's unit of work, records the run (`runs`), and carries out the
//! engine's dunning decisions at the provider, then tells the engine how it
//! went.

use std::sync::Arc;
use std::time::Duration;

use cs_billing::dunning::{self, Outcome as DecisionOutcome};
use cs_core::dunning::DunningAction;
use cs_core::ServerId;
use cs_provider::ProviderError;
use cs_store::{fmt_ts, servers};

use super::runs::{self, BillingRun, Outcome};
use crate::dto::*;
use crate::{App, AppError, AppResult};

/// Missed hours from which a run counts as a catch-up and reports progress.
const CATCH_UP_MIN_HOURS: i64 = 24;
/// About how many progress reports a catch-up makes.
const CATCH_UP_STEPS: i64 = 20;

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
        let outcome = match result {
            Ok(report) => Outcome::Billed {
                through_hour: report.through_hour,
                hours_billed: report.billed.hours_billed + catching_up.map_or(0, |c| c.2),
                invoices_issued: report.invoices.len() as u32,
                decisions: report.decisions.len() as u32,
            },
            Err(e) => Outcome::Failed {
                error: e.to_string(),
            },
        };
        let run = BillingRun { at: now, outcome };
        self.write(|tx| runs::record(tx, &run))?;
        let run = runs::dto(&run);
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
        use cs_core::metering::last_complete_hour;
        let last = match self.store.read(runs::last_good).ok().flatten()?.outcome {
            Outcome::Billed { through_hour, .. } => through_hour,
            Outcome::Failed { .. } => return None,
        };
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
                DecisionOutcome::Done
            } else {
                DecisionOutcome::Failed {
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
        app.loop_round_done(crate::BackgroundLoop::Billing);
    }
}
