//! The mails of business events, queued in the transaction of the event.
//!
//! Every customer-facing event is recorded as a portal sync record
//! (`cs_store::sync_outbox`) by the code that makes it (cs-billing issues a
//! document, dunning queues a notice). The unit of work ([`crate::Write`],
//! also around the billing run's transactions through [`MailingDb`]) notes
//! the last sync sequence number before the work and, before committing,
//! turns every new record into a rendered mail in the mail outbox
//! ([`App::mail_for_events`]): the mail exists exactly when the event does.
//! The welcome mail is queued by `create_organization` itself. When email is
//! not set up yet, mail is queued anyway (with no sender, filled in when it
//! is set up) and waits.

use cs_billing::documents;
use cs_core::dunning::Notice;
use cs_core::DocumentKind;
use cs_core::{Money, OrganizationId, Timestamp};
use cs_mail::{Attachment, TemplateKind, Var, Vars};
use cs_store::rusqlite::Connection;
use cs_store::sync_outbox::{self, SyncKind};

use crate::{App, AppError, AppResult, Write};

use super::*;

/// The billing engine's transactions: each one is a unit of work of the
/// façade ([`App::unit_of_work`]), so the mails of the documents and notices
/// it publishes are queued inside it.
pub(crate) struct MailingDb<'a>(pub &'a App);

impl cs_billing::Db for MailingDb<'_> {
    fn write<T>(
        &self,
        f: impl FnOnce(&Connection) -> cs_billing::Result<T>,
    ) -> cs_billing::Result<T> {
        self.0.unit_of_work(
            |w| f(w),
            |e| cs_billing::BillingError::Caller(format!("queueing the mails of this change: {e}")),
        )
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> cs_billing::Result<T>,
    ) -> cs_billing::Result<T> {
        self.0.store.read(|c| f(c))
    }
}

/// The labels of an organization's servers (live ones, or all).
fn server_labels(
    c: &Connection,
    org: OrganizationId,
    include_deleted: bool,
) -> AppResult<Vec<String>> {
    let mut labels: Vec<String> = cs_store::servers::list_for_org(c, org)?
        .into_iter()
        .filter(|s| include_deleted || s.deleted_at.is_none())
        .map(|s| s.label)
        .collect();
    labels.sort();
    Ok(labels)
}

fn safe_file_name(s: &str) -> String {
    let name: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "document".into()
    } else {
        name
    }
}

impl App {
    /// Queues the welcome mail for a new customer's contact.
    pub(crate) fn queue_welcome(
        &self,
        tx: &mut Write<'_>,
        now: Timestamp,
        name: &str,
        email: &str,
    ) -> AppResult<()> {
        let portal = load_settings(tx)?.portal();
        let vars = Vars::from([
            ("customer_name".to_string(), text(name)),
            ("portal_url".to_string(), text(portal)),
        ]);
        self.queue_mail(tx, now, TemplateKind::Welcome, name, email, vars, vec![])
    }

    /// Turns the events written after `mark` in this transaction into mails.
    pub(crate) fn mail_for_events(&self, tx: &mut Write<'_>, mark: i64) -> AppResult<usize> {
        let events = sync_outbox::since(tx, mark, &[SyncKind::Document, SyncKind::BillingNotice])?;
        let mut queued = 0;
        for e in events {
            let Some(org) = e
                .organization_id
                .as_deref()
                .and_then(|o| o.parse::<OrganizationId>().ok())
            else {
                continue;
            };
            let Some(record) = cs_store::orgs::get(tx, org)? else {
                continue;
            };
            let portal = load_settings(tx)?.portal();
            let (name, to) = (record.contact.name, record.contact.email);
            let mut vars = Vars::from([("customer_name".to_string(), text(name.clone()))]);
            let mail = match e.kind {
                SyncKind::Document => {
                    self.document_mail(tx, org, &e.entity_id, &portal, &mut vars)?
                }
                SyncKind::BillingNotice => self
                    .notice_mail(tx, org, e.payload, e.at, &portal, &mut vars)?
                    .map(|template| (template, vec![])),
                _ => None,
            };
            let Some((template, attachments)) = mail else {
                continue;
            };
            self.queue_mail(tx, e.at, template, &name, &to, vars, attachments)?;
            queued += 1;
        }
        Ok(queued)
    }

    /// The mail of an issued document, with its PDF: an invoice or a receipt
    /// (a credit note has no mail of its own yet).
    fn document_mail(
        &self,
        tx: &Connection,
        org: OrganizationId,
        id: &str,
        portal: &str,
        vars: &mut Vars,
    ) -> AppResult<Option<(TemplateKind, Vec<Attachment>)>> {
        let doc = documents::get_document(tx, id)?;
        let currency = doc.summary.currency;
        let number = doc.summary.number.clone().unwrap_or_default();
        let total = Money::new(doc.summary.total_minor, currency).to_string();
        let issued = doc.summary.issued_at.as_ref().map(day).unwrap_or_default();
        let template = match doc.summary.kind {
            DocumentKind::Invoice => {
                vars.insert("invoice_number".into(), text(number.clone()));
                vars.insert("amount".into(), text(total));
                vars.insert("due_date".into(), text(issued));
                vars.insert(
                    "invoice_url".into(),
                    text(format!("{portal}/invoices/{id}")),
                );
                TemplateKind::InvoiceIssued
            }
            DocumentKind::Receipt => {
                let method = doc
                    .lines
                    .first()
                    .and_then(|l| {
                        l.description
                            .split_once(" by ")
                            .map(|(_, r)| r.split(',').next().unwrap_or(r).trim().to_string())
                    })
                    .unwrap_or_else(|| "payment".into());
                let balance = cs_billing::wallet::wallet_balance(tx, org, currency)?;
                vars.insert("amount".into(), text(total));
                vars.insert("payment_method".into(), text(method));
                vars.insert("new_balance".into(), text(balance.to_string()));
                TemplateKind::PaymentReceived
            }
            DocumentKind::CreditNote => return Ok(None),
        };
        let pdf = self.document_pdf_in(tx, &doc)?;
        let name = format!("{}.pdf", safe_file_name(&number));
        Ok(Some((template, vec![Attachment::pdf(name, pdf)])))
    }

    /// The mail of a dunning notice, if it has one.
    fn notice_mail(
        &self,
        tx: &Connection,
        org: OrganizationId,
        payload: serde_json::Value,
        at: Timestamp,
        portal: &str,
        vars: &mut Vars,
    ) -> AppResult<Option<TemplateKind>> {
        let Ok(notice) = serde_json::from_value::<Notice>(payload) else {
            return Ok(None);
        };
        let currency = self.currency_in(tx)?;
        let money = |m: i64| text(Money::new(m, currency).to_string());
        let top_up = text(format!("{portal}/billing"));
        Ok(Some(match notice {
            Notice::LowBalance {
                balance_minor,
                threshold_minor,
            } => {
                vars.insert("balance".into(), money(balance_minor));
                vars.insert("threshold".into(), money(threshold_minor));
                vars.insert("top_up_url".into(), top_up);
                TemplateKind::LowBalance
            }
            Notice::GraceStarted {
                balance_minor,
                suspend_at,
            } => {
                vars.insert("balance".into(), money(balance_minor));
                vars.insert("suspend_on".into(), text(day(&suspend_at)));
                vars.insert("top_up_url".into(), top_up);
                TemplateKind::SuspensionWarning
            }
            Notice::Suspended { .. } => {
                let servers = server_labels(tx, org, false)?;
                vars.insert("server_list".into(), Var::List(servers));
                vars.insert("top_up_url".into(), top_up);
                TemplateKind::Suspended
            }
            Notice::Terminated { .. } => {
                let servers = server_labels(tx, org, true)?;
                vars.insert("server_list".into(), Var::List(servers));
                vars.insert("terminated_on".into(), text(day(&at)));
                TemplateKind::Terminated
            }
            // No template of their own (yet): the portal shows them.
            Notice::TerminationWarning { .. } | Notice::Restored { .. } => return Ok(None),
        }))
    }

    fn currency_in(&self, c: &Connection) -> AppResult<cs_core::Currency> {
        Ok(cs_billing::BillingSettings::load(c)?.currency)
    }

    /// The PDF of a document issued in this transaction, with the seller
    /// details it was issued with.
    fn document_pdf_in(&self, c: &Connection, doc: &documents::Document) -> AppResult<Vec<u8>> {
        let printable = self.printable_in(c, &doc.summary.id)?;
        cs_invoice::render_pdf(&printable).map_err(|e| {
            AppError::Internal(format!("rendering the PDF of {}: {e}", doc.summary.id))
        })
    }
}
