//! DTOs of the mail area (re-exported by `crate::dto`): email: Settings → Email, the test mail, the Outbox screen and the template editor.

use serde::{Deserialize, Serialize};
use specta::Type;

/// Settings → Email. The password is never sent back: `password_set` says
/// whether the keyring holds one.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EmailSettingsDto {
    /// Whether mail can be sent: host and sender address are set (and, with a
    /// user name, a password is in the keyring). Otherwise mail waits in the outbox.
    pub configured: bool,
    pub host: String,
    pub port: u16,
    /// `starttls`, `tls` or `none` (none only for a relay on this computer).
    pub security: String,
    pub username: String,
    pub password_set: bool,
    pub from_name: String,
    pub from_address: String,
    pub reply_to: String,
    /// Branding of every email: `#rrggbb`, and optional https:// URLs.
    pub brand_color: String,
    pub logo_url: String,
    pub website: String,
    /// Where customers sign in and top up (links in the emails).
    pub portal_url: String,
}

#[derive(Clone, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct EmailSettingsInput {
    pub host: String,
    pub port: u16,
    pub security: String,
    pub username: String,
    /// `None` keeps the stored password; an empty string removes it.
    pub password: Option<String>,
    pub from_name: String,
    pub from_address: String,
    pub reply_to: String,
    pub brand_color: String,
    pub logo_url: String,
    pub website: String,
    pub portal_url: String,
}

/// The password never reaches a log: only whether one was given.
impl std::fmt::Debug for EmailSettingsInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailSettingsInput")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from_name", &self.from_name)
            .field("from_address", &self.from_address)
            .field("reply_to", &self.reply_to)
            .field("brand_color", &self.brand_color)
            .field("logo_url", &self.logo_url)
            .field("website", &self.website)
            .field("portal_url", &self.portal_url)
            .finish()
    }
}

/// What the relay answered to "Send test mail".
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TestMailResult {
    pub to: String,
    pub relay_answer: String,
}

/// One mail on the Outbox screen.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct OutboxItemDto {
    pub id: String,
    /// The template it was made from (`welcome`, `invoice_issued` …); none for a test mail.
    pub template: Option<String>,
    pub to: Vec<String>,
    pub subject: String,
    /// `queued`, `sending`, `sent` or `failed`.
    pub state: String,
    pub attempts: u32,
    pub next_attempt_at: String,
    /// The relay's acceptance once sent.
    pub relay_response: Option<String>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub possibly_duplicated: bool,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub attachment_count: u32,
    /// When the attachments' bytes were removed, 30 days after delivery
    /// (their names stay).
    pub attachments_pruned_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct OutboxListDto {
    /// False: email is not set up and mail waits in the outbox.
    pub configured: bool,
    pub items: Vec<OutboxItemDto>,
    /// Pass back to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// One mail in full, for the message viewer.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct OutboxMessageDto {
    pub item: OutboxItemDto,
    pub from: String,
    pub reply_to: Option<String>,
    pub message_id: String,
    pub text: String,
    /// The complete HTML document: show it only in a sandboxed frame.
    pub html: String,
    pub attachments: Vec<String>,
}

/// An email template as the editor shows it.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MailTemplateDto {
    /// `welcome`, `invoice_issued` …
    pub kind: String,
    pub name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The variables it may use besides `brand` (name, logo_url, primary_color,
    /// support_email, website); names ending in `_list` are lists.
    pub variables: Vec<String>,
    /// Edited by the reseller (false: the built-in text).
    pub customized: bool,
    pub attaches_pdf: bool,
}

#[derive(Debug, Clone, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct MailTemplateInput {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A template rendered with sample data.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MailPreviewDto {
    pub subject: String,
    pub text: String,
    pub html: String,
}
