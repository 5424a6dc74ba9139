//! Refunds of a PayPal capture: a refund row with its request id first
//! (its amount reserved), then PayPal, then one transaction with the credit
//! note and the wallet debit keyed by the PayPal refund id; refunds PayPal
//! reports (ours, or made in PayPal itself) go the same way.

use cs_billing::wallet::{self, NewRefund, PaymentMethod};
use cs_core::payment::RefundStatus as RefundState;
use cs_core::{Money, Timestamp};
use cs_mail::{TemplateKind, Var, Vars};
use cs_paypal::{PayPalAmount, RefundRequest, RefundStatus, RequestId};

use super::{paypal_error, store, PayPalRuntime};
use crate::customers::parse_org_id;
use crate::dto::*;
use crate::{App, AppError, AppResult, Subject};

impl App {
    /// Refunds a completed payment, fully (no amount) or partly.
    pub async fn refund_payment(&self, input: RefundInput) -> AppResult<PaymentDetail> {
        let mut e = cs_core::ValidationErrors::new();
        if input.reason.trim().is_empty() {
            e.add(
                "reason",
                "Say why the money goes back: it is printed on the credit note",
            );
        }
        let reason = cs_core::validate::optional_text(
            &mut e,
            "reason",
            "The reason",
            &input.reason,
            cs_core::validate::MAX_LABEL_CHARS,
        )
        .unwrap_or_default();
        let p = self
            .store
            .read(|c| store::load(c, input.payment_id.trim()))?;
        let requested = match input
            .amount
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(a) => match Money::parse(a, p.currency) {
                Ok(m) if m.minor <= 0 => {
                    e.add("amount", "A refund must be more than zero");
                    None
                }
                // 10.50 HUF cannot go through PayPal: refuse it before the refund row exists.
                Ok(m) => match PayPalAmount::for_refund(m) {
                    Ok(_) => Some(m),
                    Err(err) => {
                        e.add("amount", err.to_string());
                        None
                    }
                },
                Err(err) => {
                    e.add("amount", format!("Amount: {err}"));
                    None
                }
            },
        };
        if !e.is_empty() {
            return Err(AppError::Validation(e));
        }
        let rt = self.paypal()?;
        let now = self.now();
        let actor = self.actor.clone();
        let refund_id = crate::new_uuid().to_string();
        let request_id = RequestId::new();
        let (capture_id, amount) = self.write(|tx| {
            let p = store::load(tx, &p.id)?;
            if !p.status.is_refundable() {
                return Err(AppError::Conflict(format!("Only a completed payment can be refunded; this one is {}", p.status.as_str().replace('_', " "))));
            }
            let captured = Money::new(p.captured_minor.unwrap_or(0), p.currency);
            let left = captured.minor - p.refunded_minor - p.pending_refunds_minor;
            let amount = requested.unwrap_or(Money::new(left, p.currency));
            if left <= 0 {
                return Err(AppError::Conflict(format!("Nothing is left to refund: {} of {captured} is refunded or being refunded", Money::new(captured.minor - left, p.currency))));
            }
            if amount.minor > left {
                return Err(AppError::validation(
                    "amount",
                    format!("At most {} can be refunded: {} of the {captured} paid is refunded or being refunded already", Money::new(left, p.currency), Money::new(captured.minor - left, p.currency)),
                ));
            }
            store::insert_refund(
                tx,
                &store::NewRefundRow {
                    id: &refund_id,
                    payment_id: &p.id,
                    amount_minor: amount.minor,
                    reason: &reason,
                    request_id: request_id.as_str(),
                    paypal_refund_id: None,
                    at: now,
                    by: &actor,
                },
            )?;
            store::add_event(tx, &p.id, now, "refund_requested", &format!("Refund of {amount} asked of PayPal by {actor}: {reason}"))?;
            Ok((p.capture_id.clone().unwrap_or_default(), amount))
        })?;
        self.send_refund(&rt, &p.id, &refund_id, &capture_id, amount, &request_id)
            .await?;
        self.get_payment(&p.id)
    }

    async fn send_refund(
        &self,
        rt: &PayPalRuntime,
        payment_id: &str,
        refund_id: &str,
        capture_id: &str,
        amount: Money,
        request_id: &RequestId,
    ) -> AppResult<()> {
        let reason = self.store.read(|c| store::refund(c, refund_id))?.reason;
        let mut req = RefundRequest::partial(
            PayPalAmount::for_refund(amount)
                .map_err(|e| AppError::validation("amount", e.to_string()))?,
        );
        req.note_to_payer = Some(reason.chars().take(255).collect());
        let now = self.now();
        match rt.client.refund_capture(capture_id, &req, request_id).await {
            Ok(r) if matches!(r.status, RefundStatus::Completed) => {
                let refunded = r
                    .amount()
                    .ok()
                    .flatten()
                    .map(|a| a.minor)
                    .unwrap_or(amount.minor);
                self.complete_refund(
                    payment_id,
                    refund_id,
                    &r.id,
                    refunded,
                    "the refund response",
                )
                .await
            }
            Ok(r) if matches!(r.status, RefundStatus::Cancelled | RefundStatus::Failed) => {
                let message = format!(
                    "PayPal did not refund ({:?}): the customer got nothing back",
                    r.status
                );
                self.fail_refund(payment_id, refund_id, &message, now)?;
                Err(AppError::Conflict(message))
            }
            Ok(r) => {
                // Pending at PayPal: keep it reserved; the poller finishes it.
                self.write(|tx| {
                    store::refund_sent(tx, refund_id, &r.id)?;
                    store::add_event(
                        tx,
                        payment_id,
                        now,
                        "refund_pending",
                        &format!("PayPal holds refund {} as pending", r.id),
                    )
                })
            }
            Err(e)
                if matches!(
                    e.issue(),
                    Some("REFUND_AMOUNT_EXCEEDED" | "CAPTURE_FULLY_REFUNDED")
                ) =>
            {
                let message = format!("PayPal refused the refund of {amount}: it is more than what is left on the capture ({e})");
                self.fail_refund(payment_id, refund_id, &message, now)?;
                Err(AppError::validation("amount", message))
            }
            Err(e) if e.is_retryable() => {
                let message = format!("PayPal did not answer ({e}). The refund is saved and asked for again with the same request id, so it happens once");
                self.write(|tx| store::add_event(tx, payment_id, now, "retrying", &message))?;
                Err(AppError::Unavailable(message))
            }
            Err(e) => {
                let message = format!("{e}");
                self.fail_refund(payment_id, refund_id, &message, now)?;
                Err(paypal_error(e))
            }
        }
    }

    fn fail_refund(
        &self,
        payment_id: &str,
        refund_id: &str,
        message: &str,
        now: Timestamp,
    ) -> AppResult<()> {
        self.write(|tx| {
            store::fail_refund(tx, refund_id, message)?;
            store::add_event(tx, payment_id, now, "refund_failed", message)
        })
    }

    /// Records a refund PayPal completed: credit note and wallet debit keyed
    /// by the PayPal refund id, once.
    async fn complete_refund(
        &self,
        payment_id: &str,
        refund_id: &str,
        paypal_refund_id: &str,
        amount_minor: i64,
        source: &str,
    ) -> AppResult<()> {
        let now = self.now();
        let actor = format!("system:paypal ({source})");
        self.write(|tx| {
            let refund = store::refund(tx, refund_id)?;
            if refund.status == RefundState::Completed {
                return Ok(());
            }
            let p = store::load(tx, payment_id)?;
            let amount = Money::new(amount_minor, p.currency);
            let reason = refund.reason;
            let org = parse_org_id(&p.organization_id)?;
            let receipt_id = p.receipt_id.clone().ok_or_else(|| AppError::Conflict(format!("Payment {payment_id} has no receipt yet: it must be completed before it is refunded")))?;
            let note = wallet::refund(tx, &NewRefund { organization_id: org, amount, method: PaymentMethod::Paypal, reference: paypal_refund_id.to_string(), reason: reason.clone(), receipt_id }, now, &actor)?;
            store::complete_refund(tx, refund_id, paypal_refund_id, amount_minor, &note.id, now)?;
            let refunded = p.refunded_minor + amount_minor;
            let captured = p.captured_minor.unwrap_or(0);
            // A payment refunded in full already stays so (a refund made in
            // PayPal itself after ours): the money movement is in the ledger.
            store::refunded(tx, payment_id, refunded.min(captured), refunded >= captured, now)?;
            let balance = wallet::wallet_balance(tx, org, p.currency)?;
            store::add_event(tx, payment_id, now, "refunded", &format!("Refunded {amount} (PayPal refund {paypal_refund_id}); credit note {}", note.number.as_deref().unwrap_or("issued")))?;
            tx.record_as(&actor, now, "payment.refunded", Subject::payment(payment_id, &p.organization_id.to_string()), format!("Refunded {amount} of a PayPal payment to {}: {reason}; balance {balance}", p.organization_name))?;
            self.queue_mail_if_possible(
                tx,
                payment_id,
                &p.organization_id,
                TemplateKind::Refund,
                |name| {
                    let mut v = Vars::new();
                    v.insert("customer_name".into(), Var::from(name.to_string()));
                    v.insert("amount".into(), Var::from(amount.to_string()));
                    v.insert("reason".into(), Var::from(reason.clone()));
                    v.insert("new_balance".into(), Var::from(balance.to_string()));
                    v
                },
                now,
            )
        })
    }

    pub(super) async fn retry_pending_refunds(
        &self,
        rt: &PayPalRuntime,
        payment_id: &str,
    ) -> AppResult<()> {
        let pending: Vec<(String, i64, String, Option<String>)> = self
            .store
            .read(|c| store::refunds_of(c, payment_id))?
            .into_iter()
            .filter(|r| r.status == RefundState::Pending)
            .map(|r| (r.id, r.amount_minor, r.request_id, r.paypal_refund_id))
            .collect();
        let p = self.store.read(|c| store::load(c, payment_id))?;
        for (refund_id, minor, request_id, paypal_id) in pending {
            match paypal_id {
                Some(pid) => {
                    let r = rt.client.get_refund(&pid).await.map_err(paypal_error)?;
                    match r.status {
                        RefundStatus::Completed => {
                            self.complete_refund(
                                payment_id,
                                &refund_id,
                                &r.id,
                                r.amount().ok().flatten().map(|a| a.minor).unwrap_or(minor),
                                "a check",
                            )
                            .await?
                        }
                        RefundStatus::Cancelled | RefundStatus::Failed => self.fail_refund(
                            payment_id,
                            &refund_id,
                            &format!("PayPal did not refund ({:?})", r.status),
                            self.now(),
                        )?,
                        _ => {}
                    }
                }
                None => {
                    let rid = RequestId::parse(request_id)
                        .map_err(|e| AppError::Internal(e.to_string()))?;
                    self.send_refund(
                        rt,
                        payment_id,
                        &refund_id,
                        p.capture_id.as_deref().unwrap_or_default(),
                        Money::new(minor, p.currency),
                        &rid,
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// A refund PayPal tells us about: ours (finish it) or one made in PayPal
    /// itself (record it the same way).
    pub(super) async fn apply_refund_event(
        &self,
        p: &store::PaymentRow,
        paypal_refund_id: &str,
        amount: Option<Money>,
        source: &str,
    ) -> AppResult<()> {
        if paypal_refund_id.is_empty() {
            return Ok(());
        }
        let known = self
            .store
            .read(|c| store::refund_by_paypal_id(c, paypal_refund_id))?
            .map(|r| (r.id, r.status));
        let minor = amount.as_ref().map(|a| a.minor).unwrap_or(0);
        match known {
            Some((_, RefundState::Completed)) => Ok(()),
            Some((rid, _)) => {
                self.complete_refund(
                    &p.id,
                    &rid,
                    paypal_refund_id,
                    if minor > 0 {
                        minor
                    } else {
                        p.captured_minor.unwrap_or(0)
                    },
                    source,
                )
                .await
            }
            None => {
                let unanswered = self
                    .store
                    .read(|c| store::refunds_of(c, &p.id))?
                    .iter()
                    .any(|r| r.status == RefundState::Pending && r.paypal_refund_id.is_none());
                if unanswered {
                    // Our own refund whose answer has not arrived: PayPal
                    // redelivers, and by then the refund row knows its id.
                    return Err(AppError::Unavailable("A refund of this payment is still being recorded: deliver the event again later".into()));
                }
                if minor <= 0 || amount.as_ref().is_some_and(|a| a.currency != p.currency) {
                    return Ok(());
                }
                let refund_id = crate::new_uuid().to_string();
                let now = self.now();
                self.write(|tx| {
                    store::insert_refund(
                        tx,
                        &store::NewRefundRow {
                            id: &refund_id,
                            payment_id: &p.id,
                            amount_minor: minor,
                            reason: "Refunded in PayPal",
                            request_id: &format!("external-{paypal_refund_id}"),
                            paypal_refund_id: Some(paypal_refund_id),
                            at: now,
                            by: "system:paypal",
                        },
                    )
                })?;
                self.complete_refund(&p.id, &refund_id, paypal_refund_id, minor, source)
                    .await
            }
        }
    }
}
