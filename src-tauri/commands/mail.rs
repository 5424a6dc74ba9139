//! Email: settings, the test mail, the Outbox screen, templates.

use cs_app::dto::*;
use tauri::State;

use super::{fail, CmdResult};
use crate::Shared;

#[tauri::command]
#[specta::specta]
pub async fn get_email_settings(app: State<'_, Shared>) -> CmdResult<EmailSettingsDto> {
    app.email_settings().map_err(fail)
}

/// Saves Settings → Email; the password goes to the OS keyring (`None` keeps it).
#[tauri::command]
#[specta::specta]
pub async fn update_email_settings(
    app: State<'_, Shared>,
    input: EmailSettingsInput,
) -> CmdResult<EmailSettingsDto> {
    app.update_email_settings(input).map_err(fail)
}

/// Sends a test mail now with the saved settings (not through the outbox).
#[tauri::command]
#[specta::specta]
pub async fn send_test_mail(app: State<'_, Shared>, to: String) -> CmdResult<TestMailResult> {
    app.send_test_mail(&to).await.map_err(fail)
}

/// `filter`: all, pending, sent or failed; `cursor`: the previous page's
/// `nextCursor` (none for the first page); `limit`: mails per page.
#[tauri::command]
#[specta::specta]
pub async fn list_outbox(
    app: State<'_, Shared>,
    filter: String,
    cursor: Option<String>,
    limit: Option<u32>,
) -> CmdResult<OutboxListDto> {
    app.list_outbox(&filter, cursor, limit).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn get_outbox_message(app: State<'_, Shared>, id: String) -> CmdResult<OutboxMessageDto> {
    app.get_outbox_message(&id).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn retry_mail(app: State<'_, Shared>, id: String) -> CmdResult<OutboxItemDto> {
    app.retry_mail(&id).await.map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn list_mail_templates(app: State<'_, Shared>) -> CmdResult<Vec<MailTemplateDto>> {
    app.list_mail_templates().map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn save_mail_template(
    app: State<'_, Shared>,
    kind: String,
    input: MailTemplateInput,
) -> CmdResult<MailTemplateDto> {
    app.save_mail_template(&kind, input).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn reset_mail_template(
    app: State<'_, Shared>,
    kind: String,
) -> CmdResult<MailTemplateDto> {
    app.reset_mail_template(&kind).map_err(fail)
}

/// Renders an unsaved template with sample data (the editor's live preview).
#[tauri::command]
#[specta::specta]
pub async fn preview_mail_template(
    app: State<'_, Shared>,
    kind: String,
    input: MailTemplateInput,
) -> CmdResult<MailPreviewDto> {
    app.preview_mail_template(&kind, input).map_err(fail)
}
