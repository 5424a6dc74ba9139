//! The template editor: the defaults of `cs-mail` with the reseller's saved
//! edits on top (`mail_templates`, in `store.rs`), checked before they are
//! saved, and previewed with sample values.

use cs_core::Money;
use cs_mail::{TemplateKind, TemplateSource, Templates, Var, Vars};
use cs_store::rusqlite::Connection;

use crate::Subject;
use crate::{App, AppError, AppResult};

use super::*;

impl App {
    pub fn list_mail_templates(&self) -> AppResult<Vec<MailTemplateDto>> {
        let (t, customized) = self.store.read(load_templates)?;
        Ok(TemplateKind::ALL
            .into_iter()
            .map(|k| template_dto(&t, k, customized.contains(&k)))
            .collect())
    }

    /// Saves an edited template after checking it; a template with an error
    /// is refused with the part, line and column, and nothing is saved.
    pub fn save_mail_template(
        &self,
        kind: &str,
        input: MailTemplateInput,
    ) -> AppResult<MailTemplateDto> {
        let kind = parse_kind(kind)?;
        let source = check_source(kind, input)?;
        let now = self.now();
        let actor = self.actor.clone();
        self.write(|tx| {
            store::save_template(tx, kind, &source, now, &actor)?;
            tx.record(
                now,
                "email.template_saved",
                Subject::mail_template(kind.key()),
                format!("Edited the {} email template", template_name(kind)),
            )
        })?;
        let (t, customized) = self.store.read(load_templates)?;
        Ok(template_dto(&t, kind, customized.contains(&kind)))
    }

    pub fn reset_mail_template(&self, kind: &str) -> AppResult<MailTemplateDto> {
        let kind = parse_kind(kind)?;
        let now = self.now();
        self.write(|tx| {
            store::reset_template(tx, kind)?;
            tx.record(
                now,
                "email.template_reset",
                Subject::mail_template(kind.key()),
                format!(
                    "Reset the {} email template to its default",
                    template_name(kind)
                ),
            )
        })?;
        Ok(template_dto(&Templates::default(), kind, false))
    }

    /// Renders an unsaved template with sample data and the current branding.
    pub fn preview_mail_template(
        &self,
        kind: &str,
        input: MailTemplateInput,
    ) -> AppResult<MailPreviewDto> {
        let kind = parse_kind(kind)?;
        let source = check_source(kind, input)?;
        let currency = self.currency()?;
        let (brand, portal) = self.store.read(|c| {
            let s = load_settings(c)?;
            Ok::<_, AppError>((branding(c, &s)?, s.portal()))
        })?;
        let mut t = Templates::default();
        t.set(kind, source).map_err(template_error)?;
        let r = t
            .render(kind, &brand, &sample_vars(kind, &portal, currency))
            .map_err(template_error)?;
        Ok(MailPreviewDto {
            subject: r.subject,
            text: r.text,
            html: r.html,
        })
    }
}

pub(super) fn template_name(kind: TemplateKind) -> &'static str {
    match kind {
        TemplateKind::Welcome => "Welcome",
        TemplateKind::PasswordReset => "Password reset",
        TemplateKind::InvoiceIssued => "Invoice issued",
        TemplateKind::PaymentReceived => "Payment received",
        TemplateKind::Refund => "Refund",
        TemplateKind::LowBalance => "Low balance",
        TemplateKind::SuspensionWarning => "Suspension warning",
        TemplateKind::Suspended => "Suspended",
        TemplateKind::Terminated => "Terminated",
        TemplateKind::TicketReply => "Ticket reply",
        TemplateKind::PaymentLink => "Payment link",
    }
}

pub(super) fn parse_kind(kind: &str) -> AppResult<TemplateKind> {
    TemplateKind::ALL
        .into_iter()
        .find(|k| k.key() == kind.trim())
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "There is no email template {kind:?}: refresh the list"
            ))
        })
}

/// The reseller's templates: the defaults with the saved edits on top. An
/// edit that no longer checks (a variable removed by an upgrade) is ignored
/// with a warning, so mail always goes out.
pub(super) fn load_templates(c: &Connection) -> AppResult<(Templates, Vec<TemplateKind>)> {
    let mut t = Templates::default();
    let mut customized = vec![];
    for (kind, source) in store::saved_templates(c)? {
        match t.set(kind, source) {
            Ok(()) => customized.push(kind),
            Err(e) => {
                tracing::warn!(template = %kind, error = %e, "a saved email template no longer checks; the default is used")
            }
        }
    }
    Ok((t, customized))
}

pub(super) fn template_error(e: cs_mail::TemplateError) -> AppError {
    let field = match e.part {
        cs_mail::Part::Subject => "subject",
        cs_mail::Part::Text => "text",
        cs_mail::Part::Html => "html",
    };
    AppError::validation(
        field,
        format!("{e}: fix it and save again (nothing was saved)"),
    )
}

/// Sample values for the preview, one per variable the template may use.
pub(super) fn sample_vars(kind: TemplateKind, portal: &str, currency: cs_core::Currency) -> Vars {
    let portal = if portal.is_empty() {
        "https://portal.example.com"
    } else {
        portal
    };
    let money = |minor| Money::new(minor, currency).to_string();
    kind.variables()
        .iter()
        .map(|v| {
            let value = match *v {
                "customer_name" => text("Zoë Ødegård"),
                "portal_url" => text(portal),
                "reset_url" => text(format!("{portal}/reset/3f9c2a")),
                "expires_in_minutes" => text("30"),
                "invoice_number" => text("INV-2026-0042"),
                "amount" => text(money(4_250)),
                "due_date" => text("1 March 2026"),
                "invoice_url" => text(format!("{portal}/invoices/INV-2026-0042")),
                "payment_method" => text("bank transfer"),
                "new_balance" => text(money(12_000)),
                "reason" => text("duplicate payment"),
                "balance" => text(money(350)),
                "threshold" => text(money(1_000)),
                "top_up_url" => text(format!("{portal}/billing")),
                "suspend_on" => text("3 March 2026"),
                "terminated_on" => text("2 April 2026"),
                "ticket_number" => text("1042"),
                "ticket_subject" => text("Cannot reach my server"),
                "reply_author" => text("Support team"),
                "reply_body" => text("We restarted the network service; please try again."),
                "ticket_url" => text(format!("{portal}/tickets/1042")),
                other if other.ends_with("_list") => Var::List(vec!["web-1".into(), "db-1".into()]),
                other => text(format!("sample {other}")),
            };
            ((*v).to_string(), value)
        })
        .collect()
}

pub(super) fn check_source(
    kind: TemplateKind,
    input: MailTemplateInput,
) -> AppResult<TemplateSource> {
    let mut e = cs_core::ValidationErrors::new();
    if input.subject.trim().is_empty() {
        e.add("subject", "The subject cannot be empty");
    } else if input.subject.contains(['\n', '\r']) {
        e.add("subject", "The subject is one line: remove the line breaks");
    }
    for (field, v) in [
        ("subject", &input.subject),
        ("text", &input.text),
        ("html", &input.html),
    ] {
        if v.len() > 100_000 {
            e.add(field, "This part is longer than 100,000 characters");
        } else if v.chars().any(|c| {
            cs_core::validate::is_invisible_or_control(c) && !matches!(c, '\n' | '\r' | '\t')
        }) {
            e.add(
                field,
                "This part contains a control or invisible character (such as a zero-width space or a direction override): retype it as plain text",
            );
        }
    }
    if input.text.trim().is_empty() {
        e.add(
            "text",
            "The plain-text body cannot be empty: some mail programs show only it",
        );
    }
    if !e.is_empty() {
        return Err(AppError::Validation(e));
    }
    let source = TemplateSource {
        subject: input.subject,
        text: input.text,
        html: input.html,
    };
    Templates::check(kind, &source).map_err(template_error)?;
    Ok(source)
}

pub(super) fn template_dto(t: &Templates, kind: TemplateKind, customized: bool) -> MailTemplateDto {
    let s = t.source(kind);
    MailTemplateDto {
        kind: kind.key().into(),
        name: template_name(kind).into(),
        subject: s.subject.clone(),
        text: s.text.clone(),
        html: s.html.clone(),
        variables: kind.variables().iter().map(|v| (*v).to_string()).collect(),
        customized,
        attaches_pdf: kind.attaches_pdf(),
    }
}
