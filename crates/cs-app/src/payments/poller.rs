//! The PayPal poller: moves on the payments waiting for PayPal (young links
//! every round, older ones less often), in the window and the daemon.

use std::sync::Arc;
use std::time::Duration;

use super::store;
use crate::{App, AppResult};

impl App {
    /// One round of the poller: moves on the payments waiting for PayPal.
    /// Young links are checked every round, older ones less often.
    pub async fn poll_payments(&self) -> AppResult<usize> {
        if self
            .paypal
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
        {
            return Ok(0);
        }
        let now = self.now();
        let due: Vec<String> = self
            .store
            .read(store::waiting_for_paypal)?
            .into_iter()
            .filter(|(_, created, checked)| {
                let age = now - *created;
                let since = checked.map(|c| now - c);
                let every = if age < chrono::Duration::minutes(15) {
                    chrono::Duration::zero()
                } else if age < chrono::Duration::hours(24) {
                    chrono::Duration::minutes(1)
                } else if age < chrono::Duration::days(30) {
                    chrono::Duration::minutes(30)
                } else {
                    return false;
                };
                since.is_none_or(|s| s >= every)
            })
            .map(|(id, _, _)| id)
            .collect();
        let mut n = 0;
        for id in due {
            match self.advance_payment(&id).await {
                Ok(()) => n += 1,
                Err(e) => {
                    tracing::info!(payment = %id, error = %e, "PayPal payment check failed; will retry")
                }
            }
        }
        Ok(n)
    }
}

/// Checks payments waiting for PayPal every `every` (desktop and daemon).
pub async fn run(app: Arc<App>, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(e) = app.poll_payments().await {
            tracing::error!(error = %e, "the PayPal poller failed");
        }
        app.loop_round_done(crate::BackgroundLoop::PayPal);
    }
}
