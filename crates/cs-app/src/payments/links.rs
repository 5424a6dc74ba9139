//! Payment links: a PayPal order for a top-up of a customer's wallet, made
//! with request ids stored before PayPal is called, optionally mailed to the
//! customer's contact; the payments list and a payment's detail.

use cs_core::payment::PaymentStatus;
use cs_core::{Money, Timestamp};
use cs_mail::{TemplateKind, Var, Vars};
use cs_paypal::{CreateOrder, PayPalAmount, RequestId};
use cs_store::rusqlite::Connection;
use cs_store::settings;

use super::{amount_of, payment_dto, paypal_error, store, PayPalRuntime};
use crate::customers::parse_org_id;
use crate::dto::*;
use crate::{map, App, AppError, AppResult, Subject, Write};

/// The customer's contact (name, email), from the organization's record.
fn contact(c: &Connection, org: &str) -> AppResult<Option<(String, String)>> {
    let Ok(org) = org.parse() else {
        return Ok(None);
    };
    Ok(cs_store::orgs::contact(c, org)?.map(|u| (u.name, u.email)))
}

impl App {
    /// Makes a PayPal order for a top-up of the customer's wallet and returns
    /// the link the customer pays at.
    pub async fn create_payment_link(&self, input: PaymentLinkInput) -> AppResult<PaymentDetail> {
        let currency = self.currency()?;
        if let (false, Some(why)) = super::currency_note(currency) {
            return Err(AppError::Conflict(why));
        }
        let mut e = cs_core::ValidationErrors::new();
        let org = parse_org_id(&input.organization_id).ok();
        if org.is_none() {
            e.add("organizationId", "Choose the customer who pays");
        }
        let amount = match Money::parse(&input.amount, currency) {
            Ok(m) if m.minor <= 0 => {
                e.add("amount", "A top-up must be more than zero");
                None
            }
            Ok(m) if m.minor > 10_000 * 10i64.pow(currency.exponent()) => {
                e.add(
                    "amount",
                    format!(
                        "A payment link is for at most 10,000 {currency}: split larger top-ups"
                    ),
                );
                None
            }
            Ok(m) => Some(m),
            Err(err) => {
                e.add("amount", format!("Amount: {err}"));
                None
            }
        };
        let (org, amount) = match (org, amount) {
            (Some(o), Some(a)) if e.is_empty() => (o, a),
            _ => return Err(AppError::Validation(e)),
        };
        let rt = self.paypal()?;
        let wire = amount_of(amount)?;
        let id = crate::new_uuid().to_string();
        let now = self.now();
        let actor = self.actor.clone();
        self.write(|tx| {
            let name = cs_store::orgs::get_organization(tx, org)?
                .ok_or_else(|| AppError::NotFound(format!("There is no customer with id {org}: refresh the list")))?
                .name;
            if input.send_email {
                self.mail_sender(tx)?;
                contact(tx, &org.to_string())?.ok_or_else(|| AppError::Conflict(format!("{name} has no contact email: add one on the customer page, or copy the link instead")))?;
            }
            store::insert(
                tx,
                &store::NewPaymentRow {
                    id: &id,
                    organization_id: org,
                    currency,
                    amount_minor: amount.minor,
                    environment: &rt.label,
                    create_request_id: RequestId::new().as_str(),
                    capture_request_id: RequestId::new().as_str(),
                    at: now,
                    by: &actor,
                },
            )?;
            store::add_event(tx, &id, now, "created", &format!("Payment link for {amount} created by {actor}"))?;
            tx.record(now, "payment.link_created", Subject::payment(&id, &org.to_string()), format!("Created a PayPal payment link of {amount} for {name}"))?;
            Ok(())
        })?;
        self.create_order_for(&rt, &id, &wire).await?;
        if input.send_email {
            self.send_payment_link(&id)?;
        }
        self.get_payment(&id)
    }

    /// Asks PayPal for the order of a payment row (again, with the same
    /// request id, when an earlier attempt got no answer).
    pub(super) async fn create_order_for(
        &self,
        rt: &PayPalRuntime,
        id: &str,
        wire: &PayPalAmount,
    ) -> AppResult<()> {
        let (request_id, brand) = self.store.read(|c| {
            let p = store::load(c, id)?;
            Ok::<_, AppError>((
                p.create_request_id,
                settings::get(c, "reseller.name")?.unwrap_or_else(|| "My Cloud".into()),
            ))
        })?;
        let mut order = CreateOrder::new(*wire);
        order.custom_id = Some(id.to_string());
        order.description = Some(format!("Top-up of your {brand} balance"));
        order.brand_name = Some(brand.chars().take(127).collect());
        let result = rt
            .client
            .create_order(
                &order,
                &RequestId::parse(request_id).map_err(|e| AppError::Internal(e.to_string()))?,
            )
            .await;
        let now = self.now();
        match result {
            Ok(o) => {
                let url = o.approve_url().map(str::to_string);
                self.write(|tx| {
                    store::order_created(tx, id, &o.id, url.as_deref(), now)?;
                    store::add_event(
                        tx,
                        id,
                        now,
                        "order_created",
                        &format!(
                            "PayPal order {} created; waiting for the customer to approve it",
                            o.id
                        ),
                    )
                })?;
                Ok(())
            }
            Err(e) if e.is_retryable() => {
                let message = format!("PayPal did not answer ({e}). The link is saved and asked for again automatically with the same request id, so no second order is made");
                self.write(|tx| {
                    store::note_failure(tx, id, &message, now)?;
                    store::add_event(tx, id, now, "retrying", &message)
                })?;
                Err(AppError::Unavailable(message))
            }
            Err(e) => {
                let message = format!("{e}");
                self.write(|tx| {
                    store::fail(tx, id, &message, None, now)?;
                    store::add_event(tx, id, now, "failed", &message)
                })?;
                Err(paypal_error(e))
            }
        }
    }

    /// Queues the payment link to the customer's contact by email.
    pub fn send_payment_link(&self, id: &str) -> AppResult<PaymentDetail> {
        let now = self.now();
        self.write(|tx| {
            let p = store::load(tx, id)?;
            let url = match (&p.approve_url, p.status) {
                (Some(u), PaymentStatus::Created) => u.clone(),
                (None, PaymentStatus::Created) => return Err(AppError::Conflict("PayPal has not made the order yet: wait a moment (or press Check now), then send it".into())),
                (_, status) => return Err(AppError::Conflict(format!("This payment is {}: there is nothing left to pay", status.as_str().replace('_', " ")))),
            };
            self.mail_sender(tx)?;
            let (name, email) = contact(tx, &p.organization_id)?.ok_or_else(|| AppError::Conflict(format!("{} has no contact email: add one on the customer page, or copy the link", p.organization_name)))?;
            let amount = Money::new(p.amount_minor, p.currency);
            let mut vars = Vars::new();
            vars.insert("customer_name".into(), Var::from(name.clone()));
            vars.insert("amount".into(), Var::from(amount.to_string()));
            vars.insert("pay_url".into(), Var::from(url));
            self.queue_mail(tx, now, TemplateKind::PaymentLink, &name, &email, vars, vec![])?;
            store::add_event(tx, id, now, "emailed", &format!("Link emailed to {email}"))?;
            tx.record(now, "payment.link_sent", Subject::payment(id, &p.organization_id.to_string()), format!("Emailed the payment link of {amount} to {email}"))
        })?;
        self.get_payment(id)
    }

    /// Customer mail needs a sender (Settings → Email) before a link is sent.
    fn mail_sender(&self, c: &Connection) -> AppResult<()> {
        if crate::mail::sender_configured(c)? {
            Ok(())
        } else {
            Err(AppError::Unavailable("Email is not set up: add the sender address in Settings → Email, then send again (or copy the link)".into()))
        }
    }

    /// Queues an automatic mail when email is set up; never blocks the money.
    pub(super) fn queue_mail_if_possible(
        &self,
        tx: &mut Write<'_>,
        payment_id: &str,
        org: &str,
        kind: TemplateKind,
        vars: impl FnOnce(&str) -> Vars,
        now: Timestamp,
    ) -> AppResult<()> {
        let Some((name, email)) = contact(tx, org)? else {
            return Ok(());
        };
        match self.mail_sender(tx) {
            Ok(_) => {
                self.queue_mail(tx, now, kind, &name, &email, vars(&name), vec![])?;
                store::add_event(
                    tx,
                    payment_id,
                    now,
                    "emailed",
                    &format!("“{}” mail queued to {email}", kind.key().replace('_', " ")),
                )
            }
            Err(_) => store::add_event(
                tx,
                payment_id,
                now,
                "not_emailed",
                &format!(
                    "No “{}” mail sent: Email is not set up (Settings → Email)",
                    kind.key().replace('_', " ")
                ),
            ),
        }
    }

    /// One page of the payments list, newest first.
    pub fn list_payments(&self, filter: PaymentFilterInput) -> AppResult<PaymentPage> {
        let from = crate::list::from(filter.after.as_deref(), filter.before.as_deref())?;
        let limit = crate::list::limit(filter.limit)?;
        let status = filter
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                PaymentStatus::parse(s).ok_or_else(|| {
                    AppError::validation("status", format!("{s:?} is not a payment status"))
                })
            })
            .transpose()?;
        let org = filter
            .organization_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(parse_org_id)
            .transpose()?
            .map(|o| o.to_string());
        self.store.read(|c| {
            let page = store::page_payments(c, status, org.as_deref(), &from, limit)?;
            Ok(PaymentPage {
                rows: page.rows.iter().map(payment_dto).collect(),
                next: page.next.map(|n| n.encode()),
                prev: page.prev.map(|n| n.encode()),
                total: crate::map::count(page.total),
            })
        })
    }

    pub fn get_payment(&self, id: &str) -> AppResult<PaymentDetail> {
        self.store.read(|c| {
            let p = store::load(c, id)?;
            let refunds = store::refunds_of(c, id)?
                .into_iter()
                .map(|r| PaymentRefundDto {
                    id: r.id,
                    amount: map::money(Money::new(r.amount_minor, p.currency)),
                    reason: r.reason,
                    status: r.status.as_str().to_string(),
                    paypal_refund_id: r.paypal_refund_id,
                    credit_note_id: r.credit_note_id,
                    failure: r.failure,
                    created_at: r.created_at,
                    completed_at: r.completed_at,
                })
                .collect();
            let history = store::events(c, id)?
                .into_iter()
                .map(|(at, kind, detail)| PaymentEventDto { at, kind, detail })
                .collect();
            let contact_email = contact(c, &p.organization_id)?.map(|(_, e)| e);
            Ok(PaymentDetail {
                payment: payment_dto(&p),
                refunds,
                history,
                contact_email,
            })
        })
    }
}
