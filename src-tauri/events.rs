//! Backend events pushed to the UI, typed for the generated bindings.

use cs_app::dto::{
    ActivityDto, BillingProgressDto, ExportProgressDto, LoopHealthDto, NotificationDto, ServerDto,
};
use cs_app::EventSink;
use serde::Serialize;
use specta::Type;
use tauri::AppHandle;
use tauri_specta::Event;

/// A server changed (status, addresses, deletion).
#[derive(Debug, Clone, Serialize, Type, Event)]
pub struct ServerChanged {
    pub server: ServerDto,
}

/// An activity-log entry was recorded.
#[derive(Debug, Clone, Serialize, Type, Event)]
pub struct ActivityRecorded {
    pub activity: ActivityDto,
}

/// Progress of the running period export: `done` of `total` documents.
#[derive(Debug, Clone, Serialize, Type, Event)]
pub struct ExportProgress {
    pub progress: ExportProgressDto,
}

/// A long billing catch-up made progress.
#[derive(Debug, Clone, Serialize, Type, Event)]
pub struct BillingProgress {
    pub progress: BillingProgressDto,
}

/// A background loop panicked (and restarts), or runs again.
#[derive(Debug, Clone, Serialize, Type, Event)]
pub struct LoopHealthChanged {
    pub health: LoopHealthDto,
}

/// Forwards the façade's events to the webview.
pub struct TauriEvents(pub AppHandle);

impl EventSink for TauriEvents {
    fn server_changed(&self, server: &ServerDto) {
        if let Err(e) = (ServerChanged {
            server: server.clone(),
        })
        .emit(&self.0)
        {
            tracing::warn!(error = %e, "could not push a server event to the UI");
        }
    }

    fn activity_recorded(&self, activity: &ActivityDto) {
        if let Err(e) = (ActivityRecorded {
            activity: activity.clone(),
        })
        .emit(&self.0)
        {
            tracing::warn!(error = %e, "could not push an activity event to the UI");
        }
    }

    fn billing_progress(&self, progress: &BillingProgressDto) {
        if let Err(e) = (BillingProgress {
            progress: progress.clone(),
        })
        .emit(&self.0)
        {
            tracing::warn!(error = %e, "could not push billing progress to the UI");
        }
    }

    fn loop_health_changed(&self, health: &LoopHealthDto) {
        if let Err(e) = (LoopHealthChanged {
            health: health.clone(),
        })
        .emit(&self.0)
        {
            tracing::warn!(error = %e, "could not push a background loop's health to the UI");
        }
    }

    /// Shows what the reseller must act on as a desktop notification (the
    /// façade decided it deserves one and that it is switched on).
    fn notify(&self, notification: &NotificationDto) {
        crate::notify::show(&notification.title, &notification.body, &notification.kind);
    }
}
