//! PayPal webhooks: each delivery is verified offline by
//! `cs_paypal::WebhookVerifier` (signature, certificate chain, ±5-minute
//! transmission window, replays) at the app's clock and
//! applied through the same exactly-once paths as the poller; an event
//! applied before is a duplicate.

use cs_paypal::{CaptureStatus, EventKind, WebhookHeaders};

use super::{paypal_error, store, WebhookOutcome};
use crate::{App, AppError, AppResult};

impl App {
    /// Verifies one PayPal webhook delivery (offline, see `cs_paypal::webhook`)
    /// and applies it through the same exactly-once path as the poller.
    /// `headers` are the request's headers (any case); `raw_body` the exact bytes.
    /// A forged delivery is refused (`validation` error, answer 400) and changes nothing.
    pub async fn handle_paypal_webhook(
        &self,
        headers: &[(String, String)],
        raw_body: &[u8],
    ) -> AppResult<WebhookOutcome> {
        let rt = self.paypal()?;
        let verifier = rt.verifier.as_ref().ok_or_else(|| {
            AppError::Unavailable(
                "PayPal webhooks are not set up: add the webhook id in Settings → Payments".into(),
            )
        })?;
        let h = WebhookHeaders::from_lookup(|name| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        })
        .map_err(|e| {
            AppError::validation("webhook", format!("Not a PayPal webhook delivery: {e}"))
        })?;
        let event = verifier
            .verify(&h, raw_body, self.now())
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "a PayPal webhook delivery was refused");
                AppError::validation("webhook", format!("The webhook delivery was refused: {e}"))
            })?;
        if self.store.read(|c| store::webhook_seen(c, &event.id))? {
            return Ok(WebhookOutcome::Duplicate);
        }
        let source = format!("webhook {}", event.event_type);
        let payment = match event.order_id() {
            Some(o) => self.store.read(|c| store::find_by_order(c, o))?,
            None => match event.capture_id() {
                Some(c) => self.store.read(|conn| store::find_by_capture(conn, c))?,
                None => None,
            },
        };
        let outcome = match (event.kind(), payment) {
            (_, None) => WebhookOutcome::Ignored {
                reason: format!("{} is not about a payment made here", event.event_type),
            },
            (EventKind::OrderApproved | EventKind::OrderCompleted, Some(p)) => {
                if p.status.is_open() {
                    let order = rt
                        .client
                        .get_order(p.order_id.as_deref().unwrap_or_default())
                        .await
                        .map_err(paypal_error)?;
                    self.apply_order(&rt, &p, order, &source).await?;
                }
                WebhookOutcome::Applied { payment_id: p.id }
            }
            (
                EventKind::CaptureCompleted | EventKind::CapturePending | EventKind::CaptureDenied,
                Some(p),
            ) => {
                let status = match event.kind() {
                    EventKind::CaptureCompleted => CaptureStatus::Completed,
                    EventKind::CapturePending => CaptureStatus::Pending,
                    _ => CaptureStatus::Declined,
                };
                let capture_id = event.capture_id().unwrap_or_default().to_string();
                let amount = event
                    .amount()
                    .transpose()
                    .map_err(|e| AppError::validation("webhook", e.to_string()))?;
                if !capture_id.is_empty() {
                    self.apply_capture(&p.id, &capture_id, amount, status, &source)
                        .await?;
                }
                WebhookOutcome::Applied { payment_id: p.id }
            }
            (EventKind::CaptureRefunded | EventKind::CaptureReversed, Some(p)) => {
                let paypal_refund_id = event.refund_id().unwrap_or_default().to_string();
                let amount = event
                    .amount()
                    .transpose()
                    .map_err(|e| AppError::validation("webhook", e.to_string()))?;
                self.apply_refund_event(&p, &paypal_refund_id, amount, &source)
                    .await?;
                WebhookOutcome::Applied { payment_id: p.id }
            }
            (_, Some(p)) => WebhookOutcome::Ignored {
                reason: format!("{} needs no action (payment {})", event.event_type, p.id),
            },
        };
        let now = self.now();
        let payment_id = match &outcome {
            WebhookOutcome::Applied { payment_id } => Some(payment_id.clone()),
            _ => None,
        };
        self.write(|tx| {
            store::record_webhook(tx, &event.id, &event.event_type, payment_id.as_deref(), now)
        })?;
        Ok(outcome)
    }
}
