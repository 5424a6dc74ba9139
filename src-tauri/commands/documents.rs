//! Documents: list, detail, PDF and UBL files, branding, the period export.

use cs_app::dto::*;
use cs_app::AppError;
use tauri::State;

use super::{fail, CmdResult};
use crate::Shared;

#[tauri::command]
#[specta::specta]
pub async fn list_documents(
    app: State<'_, Shared>,
    input: DocumentListInput,
) -> CmdResult<DocumentPage> {
    app.list_documents_page(input).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn get_document(app: State<'_, Shared>, id: String) -> CmdResult<DocumentDetail> {
    app.get_document(&id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn void_invoice(
    app: State<'_, Shared>,
    id: String,
    reason: String,
) -> CmdResult<DocumentSummaryDto> {
    app.void_invoice(&id, &reason).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn save_document_pdf(app: State<'_, Shared>, id: String) -> CmdResult<SavedFile> {
    app.save_document_pdf(&id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn get_branding(app: State<'_, Shared>) -> CmdResult<BrandingDto> {
    app.branding().map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn update_branding(
    app: State<'_, Shared>,
    input: BrandingInput,
) -> CmdResult<BrandingDto> {
    app.update_branding(input).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn upload_logo(app: State<'_, Shared>, input: LogoUploadInput) -> CmdResult<LogoDto> {
    app.upload_logo(input).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn preview_branding(app: State<'_, Shared>, input: BrandingInput) -> CmdResult<PdfDto> {
    app.preview_branding(input).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn document_pdf_data(app: State<'_, Shared>, id: String) -> CmdResult<PdfDto> {
    app.document_pdf_dto(&id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn save_document_ubl(app: State<'_, Shared>, id: String) -> CmdResult<SavedFile> {
    app.save_document_ubl(&id).map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn plan_export(
    app: State<'_, Shared>,
    from: String,
    to: String,
    folder: String,
) -> CmdResult<ExportPlanDto> {
    app.plan_export(&from, &to, &folder).map_err(fail)
}

/// Runs the export on a blocking thread, pushing `ExportProgress` events.
#[tauri::command]
#[specta::specta]
pub async fn export_documents(
    handle: tauri::AppHandle,
    app: State<'_, Shared>,
    input: ExportInput,
) -> CmdResult<ExportResultDto> {
    use tauri_specta::Event;
    let app = app.inner().clone();
    tauri::async_runtime::spawn_blocking(move || {
        app.export_documents(input, &|p| {
            let _ = crate::events::ExportProgress { progress: p }.emit(&handle);
        })
    })
    .await
    .map_err(|e| {
        fail(AppError::Internal(format!(
            "the export stopped unexpectedly: {e}"
        )))
    })?
    .map_err(fail)
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_export(app: State<'_, Shared>) -> CmdResult<bool> {
    Ok(app.cancel_export())
}

/// The native folder chooser; null when the user closes it.
#[tauri::command]
#[specta::specta]
pub async fn pick_folder(handle: tauri::AppHandle, title: String) -> CmdResult<Option<String>> {
    use tauri_plugin_dialog::DialogExt;
    let picked = tauri::async_runtime::spawn_blocking(move || {
        handle
            .dialog()
            .file()
            .set_title(title)
            .blocking_pick_folder()
    })
    .await
    .map_err(|e| {
        fail(AppError::Internal(format!(
            "the folder chooser failed: {e}"
        )))
    })?;
    match picked {
        None => Ok(None),
        Some(p) => p
            .into_path()
            .map(|p| Some(p.display().to_string()))
            .map_err(|e| {
                fail(AppError::Unavailable(format!(
                    "That location is not a local folder ({e}): choose a folder on this computer"
                )))
            }),
    }
}
