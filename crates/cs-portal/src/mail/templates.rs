//! The portal's mails, in plain text and HTML, in the reseller's name and
//! accent colour. Every name and address in them — the customer's, the
//! organization's, the reseller's — is data: escaped in HTML, never markup.

use chrono::{DateTime, Utc};

use crate::api::Brand;

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

/// Text for a one-line place (a subject, a line of the text body).
fn line(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// One paragraph: plain text, escaped in the HTML part.
struct Mail<'a> {
    brand: &'a Brand,
    subject: String,
    greeting: String,
    paragraphs: Vec<String>,
    button: Option<(&'a str, &'a str)>,
    after: Vec<String>,
}

impl Mail<'_> {
    fn render(self) -> Rendered {
        let b = self.brand;
        let mut text = format!("{}\n\n", line(&self.greeting));
        for p in &self.paragraphs {
            text.push_str(&line(p));
            text.push_str("\n\n");
        }
        if let Some((label, link)) = self.button {
            text.push_str(&format!("{}: {link}\n\n", line(label)));
        }
        for p in &self.after {
            text.push_str(&line(p));
            text.push_str("\n\n");
        }
        text.push_str(&format!("— {}\n", line(&b.name)));
        if let Some(e) = &b.email {
            text.push_str(&format!("{}\n", line(e)));
        }

        // The accent was checked to be #rrggbb when the brand was loaded.
        let accent = &b.accent;
        let mut html = format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n\
             <body style=\"margin:0;padding:24px;background:#f4f4f5;font-family:Helvetica,Arial,sans-serif;color:#18181b\">\n\
             <table role=\"presentation\" width=\"100%\" style=\"max-width:560px;margin:0 auto;background:#ffffff;border-top:4px solid {accent};border-radius:6px\"><tr><td style=\"padding:24px\">\n\
             <p style=\"font-size:18px;font-weight:bold;color:{accent};margin:0 0 16px\">{}</p>\n\
             <p>{}</p>\n",
            esc(&self.subject),
            esc(&b.name),
            esc(&self.greeting)
        );
        for p in &self.paragraphs {
            html.push_str(&format!("<p>{}</p>\n", esc(p)));
        }
        if let Some((label, link)) = self.button {
            html.push_str(&format!(
                "<p style=\"margin:24px 0\"><a href=\"{}\" style=\"background:{accent};color:#ffffff;padding:12px 20px;border-radius:4px;text-decoration:none;display:inline-block\">{}</a></p>\n\
                 <p style=\"font-size:12px;color:#52525b\">{}</p>\n",
                esc(link),
                esc(label),
                esc(&format!("If the button does not work, open this address: {link}"))
            ));
        }
        for p in &self.after {
            html.push_str(&format!(
                "<p style=\"font-size:13px;color:#52525b\">{}</p>\n",
                esc(p)
            ));
        }
        html.push_str(&format!(
            "<p style=\"font-size:13px;color:#52525b;margin-top:24px\">— {}{}</p>\n</td></tr></table>\n</body></html>\n",
            esc(&b.name),
            b.email
                .as_deref()
                .map(|e| format!("<br>{}", esc(e)))
                .unwrap_or_default()
        ));
        Rendered {
            subject: line(&self.subject),
            text,
            html,
        }
    }
}

fn hello(name: &str) -> String {
    if name.trim().is_empty() {
        "Hello,".into()
    } else {
        format!("Hello {},", name.trim())
    }
}

/// The invitation to a contact: accept and choose a password.
pub fn invitation(
    brand: &Brand,
    name: &str,
    organization: &str,
    invited_by: &str,
    link: &str,
    expires_at: DateTime<Utc>,
) -> Rendered {
    let org = if organization.trim().is_empty() {
        String::new()
    } else {
        format!(" for {}", organization.trim())
    };
    Mail {
        brand,
        subject: format!("{} invites you to its customer portal", brand.name),
        greeting: hello(name),
        paragraphs: vec![
            format!(
                "{} invited you to the customer portal of {}{org}: your servers, invoices and wallet in one place.",
                invited_by.trim(),
                brand.name
            ),
            format!(
                "Accept the invitation and choose a password. The link works once, until {}.",
                when(expires_at)
            ),
        ],
        button: Some(("Accept the invitation", link)),
        after: vec!["If you did not expect this invitation, ignore this mail: nothing happens without you.".into()],
    }
    .render()
}

/// A password reset link.
pub fn password_reset(
    brand: &Brand,
    name: &str,
    link: &str,
    expires_at: DateTime<Utc>,
) -> Rendered {
    Mail {
        brand,
        subject: format!("Reset your password for {}", brand.name),
        greeting: hello(name),
        paragraphs: vec![format!(
            "Someone asked to reset the password of your account on the customer portal of {}. Choose a new password with the link below; it works once, until {}. Every device signed in to your account will be signed out.",
            brand.name,
            when(expires_at)
        )],
        button: Some(("Choose a new password", link)),
        after: vec!["If you did not ask for this, ignore this mail: your password stays as it is.".into()],
    }
    .render()
}

/// The link that confirms a new email address (sent to the new address).
pub fn email_confirm(
    brand: &Brand,
    name: &str,
    new_email: &str,
    link: &str,
    expires_at: DateTime<Utc>,
) -> Rendered {
    Mail {
        brand,
        subject: format!("Confirm your new email address for {}", brand.name),
        greeting: hello(name),
        paragraphs: vec![format!(
            "You asked to sign in to the customer portal of {} with {} from now on. Confirm the change with the link below; it works once, until {}.",
            brand.name,
            new_email.trim(),
            when(expires_at)
        )],
        button: Some(("Confirm the new address", link)),
        after: vec!["If you did not ask for this, ignore this mail: nothing changes.".into()],
    }
    .render()
}

/// The notice to the old address that a change was asked for.
pub fn email_notice(brand: &Brand, name: &str, new_email: &str) -> Rendered {
    Mail {
        brand,
        subject: format!("Your email address for {} is about to change", brand.name),
        greeting: hello(name),
        paragraphs: vec![
            format!(
                "Someone signed in to your account on the customer portal of {} asked to change its email address to {}. The change happens only when the link sent to that address is opened.",
                brand.name,
                new_email.trim()
            ),
            "If this was not you, change your password now and tell us.".into(),
        ],
        button: None,
        after: Vec::new(),
    }
    .render()
}

/// To a new address that another account uses already (nothing changes).
pub fn email_taken(brand: &Brand, new_email: &str) -> Rendered {
    Mail {
        brand,
        subject: format!("Your email address for {}", brand.name),
        greeting: "Hello,".into(),
        paragraphs: vec![format!(
            "Someone asked to sign in to the customer portal of {} with {}, but another account signs in with this address already, so nothing was changed.",
            brand.name,
            new_email.trim()
        )],
        button: None,
        after: vec!["If this was you, sign in with that account, or ask us to remove it.".into()],
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn brand(name: &str) -> Brand {
        Brand {
            slug: "acme".into(),
            name: name.into(),
            accent: "#0a7cff".into(),
            logo: None,
            email: Some("help@acme.example".into()),
            website: None,
        }
    }

    #[test]
    fn names_are_text_in_html_never_markup() {
        let expires = Utc.with_ymd_and_hms(2026, 12, 14, 9, 0, 0).unwrap();
        let m = invitation(
            &brand("Acme <b>Cloud</b>"),
            "Ada <script>alert(1)</script>",
            "O'Brien & \"Sons\"",
            "Zoe <img src=x onerror=alert(1)>",
            "https://portal.example/acme/accept-invitation#tok\"en",
            expires,
        );
        for bad in ["<script>", "<img", "<b>", "tok\"en"] {
            assert!(!m.html.contains(bad), "{bad} in {}", m.html);
        }
        assert!(m.html.contains("Ada &lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(m.html.contains("O&#39;Brien &amp; &quot;Sons&quot;"));
        assert!(m.html.contains("border-top:4px solid #0a7cff"));
        // The text part is the same words, unescaped.
        assert!(m.text.contains("Hello Ada <script>alert(1)</script>,"));
        assert!(m.text.contains("until 2026-12-14 09:00 UTC"));
        assert_eq!(
            m.subject,
            "Acme <b>Cloud</b> invites you to its customer portal"
        );
    }

    #[test]
    fn subjects_are_one_line() {
        let m = email_notice(
            &brand("Acme\r\nBcc: x@evil.example"),
            "Ada",
            "new@example.com",
        );
        assert!(
            !m.subject.contains('\n') && !m.subject.contains('\r'),
            "{}",
            m.subject
        );
    }
}
