//! Command DTOs: the wire types between the façade and its shells (the
//! desktop UI through Tauri commands, the daemon's CLI). They are built from
//! domain values at the boundary and never stored. TypeScript bindings are
//! generated from them (`ui/src/bindings.ts`), so renaming a field here is a
//! change to the UI's contract.
//!
//! Each area keeps its DTOs in its own `dto.rs`; this module holds the shared
//! ones (money, the dashboard, the activity log, errors) and re-exports the
//! rest, so `cs_app::dto::*` is the whole contract.
//!
//! Money crosses as decimal strings with the minor-unit integer beside it, so
//! no side ever holds money in a float.

use serde::{Deserialize, Serialize};
use specta::Type;

pub use crate::backup::dto::*;
pub use crate::billing::dto::*;
pub use crate::customers::dto::*;
pub use crate::documents::dto::*;
pub use crate::health::LoopHealthDto;
pub use crate::mail::dto::*;
pub use crate::notify::{NotificationDto, NotificationSettingsDto};
pub use crate::payments::dto::*;
pub use crate::plans::dto::*;
pub use crate::portal::dto::*;
pub use crate::providers::dto::*;
pub use crate::servers::dto::*;

#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MoneyDto {
    /// Integer minor units, as a string (JavaScript numbers are floats).
    pub minor: String,
    pub currency: String,
    /// Plain decimal in major units, e.g. "12.50".
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RateDto {
    /// Integer micro-units of the major unit, as a string.
    pub micros: String,
    pub currency: String,
    /// Plain decimal in major units with the precision it needs, e.g. "0.0075".
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub database_path: String,
    pub log_dir: String,
    pub currency: String,
    pub providers: Vec<ProviderInfo>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ProviderInfo {
    pub kind: String,
    pub name: String,
    pub connected: bool,
    pub detail: String,
    /// What this provider offers, so screens hide what it lacks.
    pub capabilities: ProviderCapabilitiesDto,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct StatusCount {
    pub status: String,
    pub count: u32,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    pub organizations: u32,
    pub plans: u32,
    pub live_servers: u32,
    pub servers_by_status: Vec<StatusCount>,
    /// What the live servers bring in per month at their plans' prices.
    pub monthly_revenue: MoneyDto,
    pub recent_activity: Vec<ActivityDto>,
}

/// What the Activity screen's entries are about.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKindFilter {
    #[default]
    All,
    Server,
    Organization,
    Plan,
    Other,
}

/// A page of the Activity screen, newest first.
#[derive(Debug, Clone, Default, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ActivityListInput {
    /// The `next` of the page above; absent for the first.
    #[serde(default)]
    pub after: Option<String>,
    /// The `prev` of the page below, to read back up the list.
    #[serde(default)]
    pub before: Option<String>,
    /// 1 to 100 rows (50 when absent).
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub kind: ActivityKindFilter,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ActivityPage {
    pub rows: Vec<ActivityDto>,
    /// The `after` of the next page; `None` at the end.
    pub next: Option<String>,
    /// The `before` of the page above; `None` at the start.
    pub prev: Option<String>,
    /// How many entries are of this kind.
    pub total: u32,
}

#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ActivityDto {
    pub seq: String,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject_kind: String,
    pub subject_id: Option<String>,
    pub organization_id: Option<String>,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SettingsDto {
    pub currency: String,
    /// Whether the currency can no longer be changed.
    pub currency_locked: bool,
    /// Why it is locked, e.g. "payments were recorded".
    pub currency_locked_because: Option<String>,
    pub reseller_name: String,
}

#[derive(Debug, Clone, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SettingsInput {
    pub currency: String,
    pub reseller_name: String,
}

/// What kind of failure an error is: the closed set the UI branches on (a
/// TypeScript union in the bindings). Add a code only when a screen needs to
/// tell it apart.
#[derive(Debug, Clone, Copy, Serialize, Type, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Bad input: nothing was written; `fields` says where.
    Validation,
    NotFound,
    /// Valid, but the current state forbids it.
    Conflict,
    /// The provider refused.
    Provider,
    /// Something outside is missing or not answering (setup, network): try again later.
    Unavailable,
    /// Our fault: logged.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Validation => "validation",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Provider => "provider",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error every command returns: a code the UI branches on, a message for
/// people, and per-field messages for forms.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDto {
    pub code: ErrorCode,
    pub message: String,
    pub fields: Vec<FieldErrorDto>,
}

#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FieldErrorDto {
    pub field: String,
    pub message: String,
}

#[cfg(test)]
mod secret_redaction {
    use super::*;

    const SECRET: &str = "s3cr3t-Hunter2-do-not-log";

    /// Every DTO that carries a secret, with the secret set: none may show it
    /// in its `Debug` output (which is what tracing and panics print).
    fn every_dto_with_a_secret() -> Vec<(&'static str, String)> {
        let s = || SECRET.to_string();
        vec![
            (
                "EmailSettingsInput",
                format!(
                    "{:?}",
                    EmailSettingsInput {
                        host: "smtp.example.com".into(),
                        port: 587,
                        security: "starttls".into(),
                        username: "billing".into(),
                        password: Some(s()),
                        from_name: "Billing".into(),
                        from_address: "billing@example.com".into(),
                        reply_to: String::new(),
                        brand_color: "#2563eb".into(),
                        logo_url: String::new(),
                        website: String::new(),
                        portal_url: String::new(),
                    }
                ),
            ),
            (
                "PayPalSettingsInput",
                format!(
                    "{:?}",
                    PayPalSettingsInput {
                        client_id: "client".into(),
                        secret: Some(s()),
                        environment: "sandbox".into(),
                        ..Default::default()
                    }
                ),
            ),
            (
                "AddLinodeAccountInput",
                format!(
                    "{:?}",
                    AddLinodeAccountInput {
                        token: s(),
                        label: None,
                        base_url: None,
                    }
                ),
            ),
            (
                "AddDigitalOceanAccountInput",
                format!(
                    "{:?}",
                    AddDigitalOceanAccountInput {
                        token: s(),
                        label: None,
                        base_url: None,
                    }
                ),
            ),
            (
                "ServerInput",
                format!(
                    "{:?}",
                    ServerInput {
                        root_password: Some(s()),
                        ssh_key: Some(s()),
                        ..Default::default()
                    }
                ),
            ),
            (
                "RebuildInput",
                format!(
                    "{:?}",
                    RebuildInput {
                        image: "linode/debian12".into(),
                        root_password: Some(s()),
                        ssh_key: None,
                    }
                ),
            ),
            (
                // A pairing code buys a sync token: a secret until used.
                "PortalPairInput",
                format!(
                    "{:?}",
                    PortalPairInput {
                        url: "https://portal.example.com".into(),
                        code: s(),
                    }
                ),
            ),
        ]
    }

    #[test]
    fn no_debug_output_shows_a_secret() {
        for (name, debug) in every_dto_with_a_secret() {
            assert!(!debug.contains(SECRET), "{name} shows its secret: {debug}");
            assert!(debug.starts_with(name), "{debug}");
        }
    }

    /// The list above is complete: every DTO field named like a secret
    /// belongs to a struct in it, so a new one cannot be forgotten.
    #[test]
    fn the_list_names_every_dto_with_a_secret() {
        let listed: Vec<&str> = every_dto_with_a_secret().iter().map(|d| d.0).collect();
        let sources = [
            include_str!("dto.rs"),
            include_str!("billing/dto.rs"),
            include_str!("customers/dto.rs"),
            include_str!("documents/dto.rs"),
            include_str!("mail/dto.rs"),
            include_str!("payments/dto.rs"),
            include_str!("plans/dto.rs"),
            include_str!("portal/dto.rs"),
            include_str!("providers/dto.rs"),
            include_str!("servers/dto.rs"),
        ];
        let mut current = "";
        for line in sources.iter().flat_map(|s| s.lines()) {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("pub struct ") {
                current = rest.split([' ', '{', '(', '<']).next().unwrap_or("");
            } else if let Some(field) = line.strip_prefix("pub ") {
                let (name, ty) = field.split_once(':').unwrap_or((field, ""));
                let secret = ty.contains("String")
                    && ["password", "secret", "token"]
                        .iter()
                        .any(|w| name == *w || name.ends_with(&format!("_{w}")));
                if secret {
                    assert!(
                        listed.contains(&current),
                        "{current}.{name} looks like a secret: redact its Debug and add it to every_dto_with_a_secret"
                    );
                }
            }
        }
    }
}
