//! Branded, editable email templates rendered with minijinja.
//!
//! Safety model: templates are written by the reseller, values come from customers. Values
//! are passed only as data (never concatenated into template source), the HTML part is
//! auto-escaped, the engine has no loader (no file access) and a fuel limit stops runaway
//! loops. A template is checked when it is saved: it must parse, use only its declared
//! variables, and render with sample data; the error names the part, line and column.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::{Deserialize, Serialize};

/// The emails the product sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateKind {
    Welcome,
    PasswordReset,
    InvoiceIssued,
    PaymentReceived,
    Refund,
    LowBalance,
    SuspensionWarning,
    Suspended,
    Terminated,
    TicketReply,
    /// A PayPal top-up link sent by staff.
    PaymentLink,
}

impl TemplateKind {
    pub const ALL: [TemplateKind; 11] = [
        Self::Welcome,
        Self::PasswordReset,
        Self::InvoiceIssued,
        Self::PaymentReceived,
        Self::Refund,
        Self::LowBalance,
        Self::SuspensionWarning,
        Self::Suspended,
        Self::Terminated,
        Self::TicketReply,
        Self::PaymentLink,
    ];

    /// Stable key for storage (`welcome`, `invoice_issued` …).
    pub fn key(self) -> &'static str {
        match self {
            Self::Welcome => "welcome",
            Self::PasswordReset => "password_reset",
            Self::InvoiceIssued => "invoice_issued",
            Self::PaymentReceived => "payment_received",
            Self::Refund => "refund",
            Self::LowBalance => "low_balance",
            Self::SuspensionWarning => "suspension_warning",
            Self::Suspended => "suspended",
            Self::Terminated => "terminated",
            Self::TicketReply => "ticket_reply",
            Self::PaymentLink => "payment_link",
        }
    }

    /// The variables this template may use, besides `brand` (name, logo_url,
    /// primary_color, support_email, website). Amounts and dates are passed already
    /// formatted as text. Names ending in `_list` are lists of text.
    pub fn variables(self) -> &'static [&'static str] {
        match self {
            Self::Welcome => &["customer_name", "portal_url"],
            Self::PasswordReset => &["customer_name", "reset_url", "expires_in_minutes"],
            Self::InvoiceIssued => &[
                "customer_name",
                "invoice_number",
                "amount",
                "due_date",
                "invoice_url",
            ],
            Self::PaymentReceived => &["customer_name", "amount", "payment_method", "new_balance"],
            Self::Refund => &["customer_name", "amount", "reason", "new_balance"],
            Self::LowBalance => &["customer_name", "balance", "threshold", "top_up_url"],
            Self::SuspensionWarning => &["customer_name", "balance", "suspend_on", "top_up_url"],
            Self::Suspended => &["customer_name", "server_list", "top_up_url"],
            Self::Terminated => &["customer_name", "server_list", "terminated_on"],
            Self::TicketReply => &[
                "customer_name",
                "ticket_number",
                "ticket_subject",
                "reply_author",
                "reply_body",
                "ticket_url",
            ],
            Self::PaymentLink => &["customer_name", "amount", "pay_url"],
        }
    }

    /// Whether the app attaches the document PDF to this email.
    pub fn attaches_pdf(self) -> bool {
        matches!(self, Self::InvoiceIssued)
    }

    pub fn default_source(self) -> TemplateSource {
        let (subject, text, html) = match self {
            Self::Welcome => (
                "Welcome to {{ brand.name }}",
                "Hello {{ customer_name }},\n\nyour {{ brand.name }} account is ready. Sign in at {{ portal_url }}.\n",
                "<p>Hello {{ customer_name }},</p><p>your {{ brand.name }} account is ready.</p><p><a href=\"{{ portal_url }}\">Sign in</a></p>",
            ),
            Self::PasswordReset => (
                "Reset your {{ brand.name }} password",
                "Hello {{ customer_name }},\n\nreset your password within {{ expires_in_minutes }} minutes: {{ reset_url }}\nIf you did not ask for this, ignore this email.\n",
                "<p>Hello {{ customer_name }},</p><p><a href=\"{{ reset_url }}\">Reset your password</a> within {{ expires_in_minutes }} minutes.</p><p>If you did not ask for this, ignore this email.</p>",
            ),
            Self::InvoiceIssued => (
                "Invoice {{ invoice_number }} from {{ brand.name }}",
                "Hello {{ customer_name }},\n\ninvoice {{ invoice_number }} for {{ amount }} is attached, due {{ due_date }}.\nView it online: {{ invoice_url }}\n",
                "<p>Hello {{ customer_name }},</p><p>invoice <strong>{{ invoice_number }}</strong> for <strong>{{ amount }}</strong> is attached, due {{ due_date }}.</p><p><a href=\"{{ invoice_url }}\">View it online</a></p>",
            ),
            Self::PaymentReceived => (
                "Payment received: {{ amount }}",
                "Hello {{ customer_name }},\n\nwe received {{ amount }} by {{ payment_method }}. Your balance is now {{ new_balance }}.\n",
                "<p>Hello {{ customer_name }},</p><p>we received <strong>{{ amount }}</strong> by {{ payment_method }}. Your balance is now {{ new_balance }}.</p>",
            ),
            Self::Refund => (
                "Refund of {{ amount }}",
                "Hello {{ customer_name }},\n\nwe refunded {{ amount }} ({{ reason }}). Your balance is now {{ new_balance }}.\n",
                "<p>Hello {{ customer_name }},</p><p>we refunded <strong>{{ amount }}</strong> ({{ reason }}). Your balance is now {{ new_balance }}.</p>",
            ),
            Self::LowBalance => (
                "Your {{ brand.name }} balance is low",
                "Hello {{ customer_name }},\n\nyour balance is {{ balance }}, below {{ threshold }}. Top up at {{ top_up_url }} to keep your servers running.\n",
                "<p>Hello {{ customer_name }},</p><p>your balance is <strong>{{ balance }}</strong>, below {{ threshold }}.</p><p><a href=\"{{ top_up_url }}\">Top up</a> to keep your servers running.</p>",
            ),
            Self::SuspensionWarning => (
                "Your servers will be suspended on {{ suspend_on }}",
                "Hello {{ customer_name }},\n\nyour balance is {{ balance }}. Unless you top up at {{ top_up_url }}, your servers will be suspended on {{ suspend_on }}.\n",
                "<p>Hello {{ customer_name }},</p><p>your balance is <strong>{{ balance }}</strong>. Unless you <a href=\"{{ top_up_url }}\">top up</a>, your servers will be suspended on {{ suspend_on }}.</p>",
            ),
            Self::Suspended => (
                "Your servers are suspended",
                "Hello {{ customer_name }},\n\nthese servers are powered off until you top up at {{ top_up_url }}:\n{% for s in server_list %}- {{ s }}\n{% endfor %}",
                "<p>Hello {{ customer_name }},</p><p>these servers are powered off until you <a href=\"{{ top_up_url }}\">top up</a>:</p><ul>{% for s in server_list %}<li>{{ s }}</li>{% endfor %}</ul>",
            ),
            Self::Terminated => (
                "Your servers were deleted",
                "Hello {{ customer_name }},\n\nthese servers were deleted on {{ terminated_on }}:\n{% for s in server_list %}- {{ s }}\n{% endfor %}",
                "<p>Hello {{ customer_name }},</p><p>these servers were deleted on {{ terminated_on }}:</p><ul>{% for s in server_list %}<li>{{ s }}</li>{% endfor %}</ul>",
            ),
            Self::TicketReply => (
                "[#{{ ticket_number }}] {{ ticket_subject }}",
                "Hello {{ customer_name }},\n\n{{ reply_author }} replied to your ticket:\n\n{{ reply_body }}\n\nAnswer at {{ ticket_url }}\n",
                "<p>Hello {{ customer_name }},</p><p>{{ reply_author }} replied to your ticket:</p><blockquote style=\"white-space:pre-wrap\">{{ reply_body }}</blockquote><p><a href=\"{{ ticket_url }}\">Answer</a></p>",
            ),
            Self::PaymentLink => (
                "Top up your {{ brand.name }} balance: {{ amount }}",
                "Hello {{ customer_name }},\n\nto add {{ amount }} to your {{ brand.name }} balance, pay with PayPal here:\n{{ pay_url }}\n\nYour balance is credited as soon as the payment is complete.\n",
                "<p>Hello {{ customer_name }},</p><p>to add <strong>{{ amount }}</strong> to your {{ brand.name }} balance, pay with PayPal:</p><p><a href=\"{{ pay_url }}\" style=\"display:inline-block;padding:10px 18px;border-radius:4px;background:{{ brand.primary_color }};color:#ffffff;text-decoration:none\">Pay {{ amount }} with PayPal</a></p><p>Your balance is credited as soon as the payment is complete.</p>",
            ),
        };
        TemplateSource {
            subject: subject.into(),
            text: text.into(),
            html: html.into(),
        }
    }
}

impl fmt::Display for TemplateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The editable parts of one template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSource {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Which part of a template an error is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Subject,
    Text,
    Html,
}

impl Part {
    fn file(self) -> &'static str {
        match self {
            Self::Subject => "subject.txt",
            Self::Text => "body.txt",
            Self::Html => "body.html",
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Subject => "subject",
            Self::Text => "plain-text body",
            Self::Html => "HTML body",
        })
    }
}

/// A template that cannot be saved or rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {kind} email's {part} has an error{}: {message}", location(*line, *column))]
pub struct TemplateError {
    pub kind: TemplateKind,
    pub part: Part,
    /// 1-based.
    pub line: Option<usize>,
    /// 1-based, in characters.
    pub column: Option<usize>,
    pub message: String,
}

fn location(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        (Some(l), None) => format!(" at line {l}"),
        _ => String::new(),
    }
}

/// Branding applied to every email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branding {
    pub name: String,
    /// An `https://` URL of the logo image.
    pub logo_url: Option<String>,
    /// `#rrggbb`.
    pub primary_color: String,
    pub support_email: String,
    pub website: Option<String>,
}

/// Why branding was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrandingError {
    #[error("colour {0:?} is not of the form #rrggbb")]
    Color(String),
    #[error("logo and website URLs must start with https:// and hold no quotes, spaces, & or angle brackets (got {0:?})")]
    Url(String),
}

impl Branding {
    pub fn validate(&self) -> Result<(), BrandingError> {
        let c = &self.primary_color;
        if !(c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())) {
            return Err(BrandingError::Color(c.clone()));
        }
        for url in [&self.logo_url, &self.website].into_iter().flatten() {
            if !url.starts_with("https://") || url.contains(['"', '\'', '<', '>', ' ', '&']) {
                return Err(BrandingError::Url(url.clone()));
            }
        }
        Ok(())
    }

    /// The `brand` variable. URLs and the colour were validated, so they are inserted
    /// as they are (escaping would turn `/` into `&#x2f;`); the name is escaped like data.
    fn value(&self) -> minijinja::Value {
        let safe = |v: &Option<String>| {
            v.clone()
                .map(minijinja::Value::from_safe_string)
                .unwrap_or(minijinja::Value::from(()))
        };
        let mut m = BTreeMap::new();
        m.insert("name", minijinja::Value::from(self.name.clone()));
        m.insert("logo_url", safe(&self.logo_url));
        m.insert(
            "primary_color",
            minijinja::Value::from_safe_string(self.primary_color.clone()),
        );
        m.insert(
            "support_email",
            minijinja::Value::from(self.support_email.clone()),
        );
        m.insert("website", safe(&self.website));
        minijinja::Value::from(m)
    }
}

/// A variable's value: customer data, passed to the template as data only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Var {
    Text(String),
    List(Vec<String>),
}

impl From<&str> for Var {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}

impl From<String> for Var {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}

impl From<Vec<String>> for Var {
    fn from(v: Vec<String>) -> Self {
        Self::List(v)
    }
}

/// Variables for one rendering.
pub type Vars = BTreeMap<String, Var>;

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    /// The complete HTML document, branded layout included.
    pub html: String,
}

const LAYOUT: &str = r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="margin:0;padding:0;background:#f4f5f7;font-family:Helvetica,Arial,sans-serif;color:#1f2328">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:600px;background:#ffffff;border-radius:6px;border-top:6px solid {{ brand.primary_color }}">
<tr><td style="padding:24px 32px 0 32px">{% if brand.logo_url %}<img src="{{ brand.logo_url }}" alt="{{ brand.name }}" height="40">{% else %}<span style="font-size:20px;font-weight:bold;color:{{ brand.primary_color }}">{{ brand.name }}</span>{% endif %}</td></tr>
<tr><td style="padding:16px 32px 24px 32px;font-size:15px;line-height:1.5">{{ content }}</td></tr>
<tr><td style="padding:16px 32px;font-size:12px;color:#6a737d;border-top:1px solid #e1e4e8">{{ brand.name }}{% if brand.website %} · <a href="{{ brand.website }}" style="color:{{ brand.primary_color }}">{{ brand.website }}</a>{% endif %} · <a href="mailto:{{ brand.support_email }}" style="color:{{ brand.primary_color }}">{{ brand.support_email }}</a></td></tr>
</table></td></tr></table></body></html>
"#;

/// Names the engine provides that templates may use without declaring them.
const ENGINE_GLOBALS: [&str; 5] = ["range", "dict", "namespace", "loop", "debug"];

/// The reseller's template set: defaults, with any saved edits on top.
#[derive(Debug, Clone)]
pub struct Templates {
    sources: HashMap<TemplateKind, TemplateSource>,
}

impl Default for Templates {
    fn default() -> Self {
        Self {
            sources: TemplateKind::ALL
                .iter()
                .map(|k| (*k, k.default_source()))
                .collect(),
        }
    }
}

impl Templates {
    pub fn source(&self, kind: TemplateKind) -> &TemplateSource {
        &self.sources[&kind]
    }

    /// Replaces a template after checking it (see [`Templates::check`]).
    pub fn set(&mut self, kind: TemplateKind, source: TemplateSource) -> Result<(), TemplateError> {
        Self::check(kind, &source)?;
        self.sources.insert(kind, source);
        Ok(())
    }

    /// Restores the built-in text of one template.
    pub fn reset(&mut self, kind: TemplateKind) {
        self.sources.insert(kind, kind.default_source());
    }

    /// Checks a template before it is saved: it parses, uses only declared variables
    /// (and `brand`), and renders with sample values.
    pub fn check(kind: TemplateKind, source: &TemplateSource) -> Result<(), TemplateError> {
        let env = environment(kind, source)?;
        for part in [Part::Subject, Part::Text, Part::Html] {
            let template = env
                .get_template(part.file())
                .map_err(|e| error(kind, part, source, &e))?;
            let mut unknown: Vec<String> = template
                .undeclared_variables(false)
                .into_iter()
                .filter(|v| {
                    v != "brand"
                        && !kind.variables().contains(&v.as_str())
                        && !ENGINE_GLOBALS.contains(&v.as_str())
                })
                .collect();
            if !unknown.is_empty() {
                unknown.sort();
                return Err(TemplateError {
                    kind,
                    part,
                    line: None,
                    column: None,
                    message: format!(
                        "unknown variable {}; this email can use: brand, {}",
                        unknown.join(", "),
                        kind.variables().join(", ")
                    ),
                });
            }
        }
        let sample: Vars = kind
            .variables()
            .iter()
            .map(|v| {
                let value = if v.ends_with("_list") {
                    Var::List(vec!["sample".into()])
                } else {
                    Var::Text("sample".into())
                };
                ((*v).to_owned(), value)
            })
            .collect();
        let brand = Branding {
            name: "Sample".into(),
            logo_url: None,
            primary_color: "#336699".into(),
            support_email: "support@example.com".into(),
            website: None,
        };
        render_with(&env, kind, source, &brand, &sample).map(|_| ())
    }

    /// Renders one email. Every declared variable must be given.
    pub fn render(
        &self,
        kind: TemplateKind,
        brand: &Branding,
        vars: &Vars,
    ) -> Result<Rendered, TemplateError> {
        if let Err(e) = brand.validate() {
            return Err(TemplateError {
                kind,
                part: Part::Html,
                line: None,
                column: None,
                message: e.to_string(),
            });
        }
        if let Some(missing) = kind.variables().iter().find(|v| !vars.contains_key(**v)) {
            return Err(TemplateError {
                kind,
                part: Part::Text,
                line: None,
                column: None,
                message: format!("the variable {missing} was not given (a bug in the caller)"),
            });
        }
        let source = self.source(kind);
        let env = environment(kind, source)?;
        render_with(&env, kind, source, brand, vars)
    }
}

fn environment(
    kind: TemplateKind,
    source: &TemplateSource,
) -> Result<Environment<'static>, TemplateError> {
    let mut env = Environment::new();
    env.set_debug(true);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Reseller-edited templates must not hang the mail worker.
    env.set_fuel(Some(200_000));
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    for (part, text) in [
        (Part::Subject, &source.subject),
        (Part::Text, &source.text),
        (Part::Html, &source.html),
    ] {
        env.add_template_owned(part.file(), text.clone())
            .map_err(|e| error(kind, part, source, &e))?;
    }
    env.add_template("layout.html", LAYOUT)
        .expect("the built-in layout parses");
    Ok(env)
}

fn render_with(
    env: &Environment<'_>,
    kind: TemplateKind,
    source: &TemplateSource,
    brand: &Branding,
    vars: &Vars,
) -> Result<Rendered, TemplateError> {
    let mut ctx: BTreeMap<String, minijinja::Value> = vars
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Var::Text(t) => minijinja::Value::from(t.clone()),
                Var::List(items) => minijinja::Value::from(
                    items
                        .iter()
                        .cloned()
                        .map(minijinja::Value::from)
                        .collect::<Vec<_>>(),
                ),
            };
            (k.clone(), value)
        })
        .collect();
    ctx.insert("brand".into(), brand.value());
    let ctx = minijinja::Value::from(ctx);
    let render = |part: Part| {
        env.get_template(part.file())
            .and_then(|t| t.render(ctx.clone()))
            .map_err(|e| error(kind, part, source, &e))
    };
    // A subject is one header line: no line breaks, whatever the data holds.
    let subject = render(Part::Subject)?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let text = render(Part::Text)?;
    let content = render(Part::Html)?;
    let layout_ctx = minijinja::context! {
        brand => brand.value(),
        subject => subject.clone(),
        content => minijinja::Value::from_safe_string(content),
    };
    let html = env
        .get_template("layout.html")
        .and_then(|t| t.render(layout_ctx))
        .map_err(|e| error(kind, Part::Html, source, &e))?;
    Ok(Rendered {
        subject,
        text,
        html,
    })
}

fn error(
    kind: TemplateKind,
    part: Part,
    source: &TemplateSource,
    e: &minijinja::Error,
) -> TemplateError {
    let text = match part {
        Part::Subject => &source.subject,
        Part::Text => &source.text,
        Part::Html => &source.html,
    };
    let line = e.line();
    let column = e.range().and_then(|r| {
        let start = r.start.min(text.len());
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        text.get(line_start..start).map(|s| s.chars().count() + 1)
    });
    let mut message = e
        .detail()
        .map(str::to_owned)
        .unwrap_or_else(|| e.kind().to_string());
    if message.is_empty() {
        message = e.to_string();
    }
    TemplateError {
        kind,
        part,
        line,
        column,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brand() -> Branding {
        Branding {
            name: "Acme Cloud".into(),
            logo_url: Some("https://acme.example/logo.png".into()),
            primary_color: "#0a7cff".into(),
            support_email: "help@acme.example".into(),
            website: Some("https://acme.example".into()),
        }
    }

    fn sample_vars(kind: TemplateKind) -> Vars {
        kind.variables()
            .iter()
            .map(|v| {
                let value = if v.ends_with("_list") {
                    Var::List(vec!["web-1".into(), "db-1".into()])
                } else {
                    Var::Text(format!("<{v}>"))
                };
                ((*v).to_owned(), value)
            })
            .collect()
    }

    #[test]
    fn every_default_template_checks_and_renders_branded() {
        let t = Templates::default();
        for kind in TemplateKind::ALL {
            Templates::check(kind, t.source(kind)).unwrap();
            let r = t.render(kind, &brand(), &sample_vars(kind)).unwrap();
            assert!(!r.subject.is_empty(), "{kind}");
            assert!(
                r.html.contains("#0a7cff") && r.html.contains("https://acme.example/logo.png"),
                "{kind}"
            );
            assert!(
                r.html.contains("&lt;customer_name&gt;"),
                "{kind}: html escapes data"
            );
            assert!(
                r.text.contains("<customer_name>"),
                "{kind}: text keeps data as is"
            );
        }
    }

    #[test]
    fn customer_data_never_runs_as_template_code() {
        let t = Templates::default();
        let mut vars = sample_vars(TemplateKind::TicketReply);
        let evil = "{{ brand.support_email }}{% for x in range(99999999) %}x{% endfor %}<script>alert(1)</script>";
        vars.insert("reply_body".into(), evil.into());
        vars.insert(
            "ticket_subject".into(),
            "line\r\nBcc: victim@example.com".into(),
        );
        let r = t
            .render(TemplateKind::TicketReply, &brand(), &vars)
            .unwrap();
        assert!(
            r.text.contains(evil),
            "the text part shows the data literally"
        );
        assert!(r.html.contains("{{ brand.support_email }}{% for x in range(99999999) %}x{% endfor %}&lt;script&gt;"), "{}", r.html);
        assert!(!r.html.contains("<script>"));
        assert!(
            !r.subject.contains('\n') && !r.subject.contains('\r'),
            "{:?}",
            r.subject
        );
    }

    #[test]
    fn a_bad_template_is_refused_with_line_and_column() {
        let mut t = Templates::default();
        let mut s = TemplateKind::Welcome.default_source();
        s.html = "<p>Hello</p>\n<p>{{ customer_name </p>".into();
        let err = t.set(TemplateKind::Welcome, s).unwrap_err();
        assert_eq!(err.part, Part::Html);
        assert_eq!(err.line, Some(2));
        assert!(err.column.is_some(), "{err:?}");
        assert!(err.to_string().contains("line 2"), "{err}");
        assert_eq!(
            t.source(TemplateKind::Welcome),
            &TemplateKind::Welcome.default_source(),
            "not saved"
        );

        let mut s = TemplateKind::Welcome.default_source();
        s.text = "Hi {{ custmer_name }}".into();
        let err = t.set(TemplateKind::Welcome, s).unwrap_err();
        assert_eq!(err.part, Part::Text);
        assert!(
            err.message.contains("custmer_name") && err.message.contains("portal_url"),
            "{err}"
        );

        let mut s = TemplateKind::Welcome.default_source();
        s.subject = "{{ customer_name | no_such_filter }}".into();
        let err = t.set(TemplateKind::Welcome, s).unwrap_err();
        assert_eq!(err.part, Part::Subject);
        assert_eq!(err.line, Some(1));

        let mut s = TemplateKind::Welcome.default_source();
        s.text =
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
                .into();
        assert!(
            t.set(TemplateKind::Welcome, s).is_err(),
            "runaway loops run out of fuel"
        );

        let mut s = TemplateKind::Welcome.default_source();
        s.subject = "Hello {{ customer_name|upper }} from {{ brand.name }}".into();
        t.set(TemplateKind::Welcome, s).unwrap();
        let r = t
            .render(
                TemplateKind::Welcome,
                &brand(),
                &sample_vars(TemplateKind::Welcome),
            )
            .unwrap();
        assert_eq!(r.subject, "Hello <CUSTOMER_NAME> from Acme Cloud");
    }

    #[test]
    fn bad_branding_is_refused() {
        let mut b = brand();
        b.primary_color = "red;background:url(x)".into();
        assert!(b.validate().is_err());
        let mut b = brand();
        b.logo_url = Some("javascript:alert(1)".into());
        assert!(b.validate().is_err());
    }
}
