//! The hosted portal: Settings → Portal (pairing, status) and "Invite to portal".

use cs_app::dto::*;
use tauri::State;

use super::{fail, CmdResult};
use crate::Shared;

#[tauri::command]
#[specta::specta]
pub async fn get_portal_status(app: State<'_, Shared>) -> CmdResult<PortalStatusDto> {
    app.portal_status().map_err(fail)
}

/// Pairs with a portal: its address and the one-time code it printed; the
/// sync token goes to the OS keyring.
#[tauri::command]
#[specta::specta]
pub async fn pair_portal(
    app: State<'_, Shared>,
    input: PortalPairInput,
) -> CmdResult<PortalStatusDto> {
    app.pair_portal(input).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn unpair_portal(app: State<'_, Shared>) -> CmdResult<PortalStatusDto> {
    app.unpair_portal().map_err(fail)
}

/// Pushes now (and resumes a sync that stopped on a refusal).
#[tauri::command]
#[specta::specta]
pub async fn sync_portal_now(app: State<'_, Shared>) -> CmdResult<PortalStatusDto> {
    app.sync_portal_now().map_err(fail)
}

/// Mails a customer's contact an invitation to the portal.
#[tauri::command]
#[specta::specta]
pub async fn invite_to_portal(
    app: State<'_, Shared>,
    organization_id: String,
) -> CmdResult<PortalInvitationDto> {
    app.invite_to_portal(&organization_id).map_err(fail)
}

/// How long customers' requests wait at the portal while this desktop is
/// offline (minutes; 0 refuses them while it is).
#[tauri::command]
#[specta::specta]
pub async fn set_portal_intent_hold(
    app: State<'_, Shared>,
    minutes: u32,
) -> CmdResult<PortalStatusDto> {
    app.set_portal_intent_hold(minutes).map_err(fail)
}
