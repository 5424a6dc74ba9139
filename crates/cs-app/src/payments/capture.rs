//! Crediting a capture exactly once: "Check now" and the poller ask PayPal
//! where a payment is and move it on (capturing an approved order with the
//! stored request id); whichever of the capture response, a poll or a
//! webhook delivery brings a completed capture first credits the wallet
//! through [`App::apply_capture`], keyed by the capture id.

use cs_billing::wallet::{self, NewPayment, PaymentMethod};
use cs_core::payment::PaymentStatus;
use cs_core::Money;
use cs_paypal::{CaptureStatus, Order, OrderStatus, RequestId};

use super::{amount_of, paypal_error, store, PayPalRuntime};
use crate::customers::parse_org_id;
use crate::dto::*;
use crate::{App, AppError, AppResult, Subject};

impl App {
    /// "Check now": asks PayPal where the payment is and moves it on
    /// (capturing an approved order, crediting a completed capture, finishing
    /// refunds in flight).
    pub async fn check_payment(&self, id: &str) -> AppResult<PaymentDetail> {
        self.advance_payment(id).await?;
        self.get_payment(id)
    }

    pub(super) async fn advance_payment(&self, id: &str) -> AppResult<()> {
        let rt = self.paypal()?;
        let p = self.store.read(|c| store::load(c, id))?;
        let now = self.now();
        self.write(|tx| store::checked(tx, id, now))?;
        match p.status {
            PaymentStatus::Created | PaymentStatus::Approved => {
                let order_id = match &p.order_id {
                    Some(o) => o.clone(),
                    None => {
                        self.create_order_for(
                            &rt,
                            id,
                            &amount_of(Money::new(p.amount_minor, p.currency))?,
                        )
                        .await?;
                        match self.store.read(|c| store::load(c, id))?.order_id {
                            Some(o) => o,
                            None => return Ok(()),
                        }
                    }
                };
                if let Some(capture_id) = &p.capture_id {
                    // A capture PayPal reported as pending.
                    let c = rt
                        .client
                        .get_capture(capture_id)
                        .await
                        .map_err(paypal_error)?;
                    let amount = c.amount().map_err(|e| AppError::Internal(e.to_string()))?;
                    return self
                        .apply_capture(id, &c.id, amount, c.status, "a check")
                        .await
                        .map(|_| ());
                }
                let order = rt.client.get_order(&order_id).await.map_err(paypal_error)?;
                self.apply_order(&rt, &p, order, "a check").await
            }
            PaymentStatus::Completed | PaymentStatus::PartiallyRefunded => {
                self.retry_pending_refunds(&rt, id).await
            }
            _ => Ok(()),
        }
    }

    /// Acts on the order's state at PayPal.
    pub(super) async fn apply_order(
        &self,
        rt: &PayPalRuntime,
        p: &store::PaymentRow,
        order: Order,
        source: &str,
    ) -> AppResult<()> {
        let now = self.now();
        match order.status {
            OrderStatus::Approved => {
                self.mark_approved(&p.id, source)?;
                let request_id = RequestId::parse(p.capture_request_id.clone())
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                let captured = match rt.client.capture_order(&order.id, &request_id).await {
                    Ok(o) => o,
                    Err(e) if e.issue() == Some("ORDER_ALREADY_CAPTURED") => {
                        rt.client.get_order(&order.id).await.map_err(paypal_error)?
                    }
                    Err(e) => {
                        let message = format!("Capture failed: {e}");
                        self.write(|tx| {
                            store::note_failure(tx, &p.id, &message, now)?;
                            store::add_event(tx, &p.id, now, "capture_failed", &message)
                        })?;
                        return Err(paypal_error(e));
                    }
                };
                self.apply_order_captures(&p.id, &captured, source).await
            }
            OrderStatus::Completed => self.apply_order_captures(&p.id, &order, source).await,
            OrderStatus::Voided => self.write(|tx| {
                if store::fail(
                    tx,
                    &p.id,
                    "PayPal voided the order: make a new link",
                    None,
                    now,
                )? {
                    store::add_event(tx, &p.id, now, "failed", "PayPal voided the order")?;
                }
                Ok(())
            }),
            _ => Ok(()),
        }
    }

    async fn apply_order_captures(&self, id: &str, order: &Order, source: &str) -> AppResult<()> {
        let Some(c) = order.captures().next() else {
            return Err(AppError::Unavailable(format!(
                "PayPal reports order {} as {:?} without a capture: check again later",
                order.id, order.status
            )));
        };
        let amount = c.amount().map_err(|e| AppError::Internal(e.to_string()))?;
        self.apply_capture(id, &c.id, amount, c.status, source)
            .await
            .map(|_| ())
    }

    fn mark_approved(&self, id: &str, source: &str) -> AppResult<()> {
        let now = self.now();
        self.write(|tx| {
            if store::approve(tx, id, now)? {
                store::add_event(
                    tx,
                    id,
                    now,
                    "approved",
                    &format!("The customer approved the payment (seen by {source})"),
                )?;
            }
            Ok(())
        })
    }

    /// The one way a capture reaches the wallet. Returns whether this call
    /// credited it (false: it was credited before, or is not complete).
    pub(crate) async fn apply_capture(
        &self,
        id: &str,
        capture_id: &str,
        amount: Option<Money>,
        status: CaptureStatus,
        source: &str,
    ) -> AppResult<bool> {
        let now = self.now();
        let actor = format!("system:paypal ({source})");
        let credited = self.write(|tx| {
            let p = store::load(tx, id)?;
            if let Some(existing) = &p.capture_id {
                if existing != capture_id {
                    tracing::error!(payment = id, existing, capture_id, "a second capture for one payment");
                    store::add_event(tx, id, now, "unexpected_capture", &format!("PayPal reported another capture {capture_id}; the payment keeps {existing}: check in PayPal"))?;
                    return Ok(false);
                }
            }
            match status {
                // Captured (and maybe refunded in PayPal since): the money came in.
                CaptureStatus::Completed | CaptureStatus::PartiallyRefunded | CaptureStatus::Refunded => {}
                CaptureStatus::Pending => {
                    if p.capture_id.is_none() {
                        store::hold_capture(tx, id, capture_id, now)?;
                        store::add_event(tx, id, now, "capture_pending", &format!("PayPal holds capture {capture_id} as pending; the wallet is credited when it completes"))?;
                    }
                    return Ok(false);
                }
                CaptureStatus::Declined | CaptureStatus::Failed => {
                    if store::fail(tx, id, "PayPal declined the capture: the customer was not charged", Some(capture_id), now)? {
                        store::add_event(tx, id, now, "failed", &format!("PayPal declined capture {capture_id}"))?;
                    }
                    return Ok(false);
                }
                _ => return Ok(false),
            }
            let amount = amount.ok_or_else(|| AppError::Internal(format!("capture {capture_id} has no amount")))?;
            if amount.currency != p.currency || amount.minor <= 0 {
                store::add_event(tx, id, now, "unexpected_capture", &format!("Capture {capture_id} is {amount}, not in {}: not credited, check in PayPal", p.currency))?;
                return Ok(false);
            }
            let money = Money::new(amount.minor, p.currency);
            let org = parse_org_id(&p.organization_id)?;
            let recorded = wallet::record_payment(
                tx,
                &NewPayment {
                    organization_id: org,
                    amount: money,
                    method: PaymentMethod::Paypal,
                    reference: capture_id.to_string(),
                    note: Some(format!("PayPal order {}", p.order_id.as_deref().unwrap_or("?"))),
                },
                now,
                &actor,
            )?;
            if recorded.already_recorded {
                return Ok(false);
            }
            if !store::complete(tx, id, capture_id, amount.minor, &recorded.receipt.id, now)? {
                // Nothing is committed: the wallet is not credited either.
                return Err(AppError::Conflict(format!(
                    "Payment {id} is {}: capture {capture_id} cannot complete it; check the payment in PayPal",
                    p.status.as_str().replace('_', " ")
                )));
            }
            store::add_event(tx, id, now, "completed", &format!("Captured {money} (capture {capture_id}, seen by {source}); wallet credited, receipt {}", recorded.receipt.number.as_deref().unwrap_or("issued")))?;
            tx.record_as(&actor, now, "payment.completed", Subject::payment(id, &p.organization_id.to_string()), format!("PayPal payment of {money} from {} credited; balance {}", p.organization_name, recorded.balance))?;
            // Issuing the receipt queued the "payment received" mail, with the
            // receipt attached, in this transaction (see `mail.rs`).
            Ok(true)
        })?;
        if credited {
            self.carry_out_decisions().await?;
        }
        Ok(credited)
    }
}
