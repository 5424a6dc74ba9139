//! The portal area's DTOs (Settings → Portal, "Invite to portal").

use serde::{Deserialize, Serialize};
use specta::Type;

/// What Settings → Portal shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PortalStatusDto {
    pub paired: bool,
    pub url: Option<String>,
    pub tenant: Option<String>,
    pub tenant_name: Option<String>,
    /// Where the reseller's customers sign in.
    pub customer_url: Option<String>,
    /// The last push was answered and nothing failed since.
    pub connected: bool,
    /// The portal refused in a way a person must act on (see `last_error`).
    pub stopped: bool,
    /// Records the portal does not hold yet.
    pub waiting: u32,
    pub last_push_at: Option<String>,
    /// How long the oldest waiting record has waited.
    pub lag_seconds: Option<u32>,
    pub last_error: Option<String>,
    pub paired_at: Option<String>,
    /// How long customers' requests wait at the portal while this desktop is
    /// offline, in minutes; 0 refuses them while it is.
    pub intent_hold_minutes: u32,
}

/// Pairing: the portal's address and the one-time code its operator printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PortalPairInput {
    pub url: String,
    pub code: String,
}

impl std::fmt::Debug for PortalPairInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalPairInput")
            .field("url", &self.url)
            .field("code", &"<redacted>")
            .finish()
    }
}

/// An invitation sent to a customer's contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PortalInvitationDto {
    pub id: String,
    pub email: String,
    pub portal_url: String,
}
