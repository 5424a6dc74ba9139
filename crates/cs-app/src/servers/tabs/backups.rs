//! The Backups tab: the provider's backup service (billed as an add-on
//! through `cs_billing::meters`), snapshots and restores.

use cs_billing::meters;
use cs_billing::prices::{price_at, Item};
use cs_core::ServerStatus;
use cs_provider::ProviderError;
use cs_store::fmt_ts;

use crate::dto::*;
use crate::Subject;
use crate::{App, AppError, AppResult};

fn backup_dto(b: cs_provider::Backup) -> BackupDto {
    BackupDto {
        id: b.id,
        label: b.label,
        kind: b.kind,
        status: b.status,
        created: fmt_ts(&b.created),
    }
}

impl App {
    pub async fn server_backups(&self, id: &str) -> AppResult<ServerBackupsDto> {
        let (_, p, pid) = self.instance_of(id).await?;
        let instance = p.get_instance(&pid).await?;
        let backups = if instance.backups_enabled {
            p.list_backups(&pid).await?
        } else {
            vec![]
        };
        let mut backups: Vec<BackupDto> = backups.into_iter().map(backup_dto).collect();
        backups.sort_by(|a, b| b.created.cmp(&a.created));
        Ok(ServerBackupsDto {
            enabled: instance.backups_enabled,
            backups,
        })
    }

    /// Turns on the provider's backups and bills them as an add-on from now
    /// on. Refused before anything happens when the plan has no backups price.
    pub async fn enable_server_backups(&self, id: &str) -> AppResult<ServerBackupsDto> {
        let (s, p, pid) = self.instance_of(id).await?;
        let now = self.now();
        self.store.read(|c| {
            price_at(c, s.plan_id, &s.region, Item::Backups, now)
                .map(|_| ())
                .map_err(|e| match e {
                    e @ (cs_billing::BillingError::NoPrice { .. }
                    | cs_billing::BillingError::ProviderCurrency { .. }) => {
                        AppError::Conflict(format!("Backups cannot be billed yet: {e}"))
                    }
                    other => other.into(),
                })
        })?;
        p.enable_backups(&pid).await?;
        self.write(|tx| {
            meters::enable_addon(tx, s.id, Item::Backups, 0, now, &self.actor)?;
            tx.record(
                now,
                "server.backups_enabled",
                Subject::server(&s),
                format!("Enabled backups of server {}", s.label),
            )
        })?;
        self.server_backups(id).await
    }

    /// Cancels the provider's backups (they are deleted there) and stops
    /// billing them after the current hour.
    pub async fn cancel_server_backups(&self, id: &str) -> AppResult<ServerBackupsDto> {
        let (s, p, pid) = self.instance_of(id).await?;
        p.cancel_backups(&pid).await?;
        let now = self.now();
        self.write(|tx| {
            match meters::disable_addon(tx, s.id, Item::Backups, 0, now, &self.actor) {
                Ok(()) | Err(cs_billing::BillingError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            tx.record(
                now,
                "server.backups_cancelled",
                Subject::server(&s),
                format!(
                    "Cancelled backups of server {} (its backups are deleted at the provider)",
                    s.label
                ),
            )
        })?;
        self.server_backups(id).await
    }

    pub async fn take_server_snapshot(&self, id: &str, label: &str) -> AppResult<BackupDto> {
        let label = label.trim();
        if label.is_empty()
            || label.chars().count() > 255
            || label
                .chars()
                .any(cs_core::validate::is_invisible_or_control)
        {
            return Err(AppError::validation(
                "label",
                "Name the snapshot: 1 to 255 characters on one line, without invisible characters",
            ));
        }
        let (s, p, pid) = self.instance_of(id).await?;
        let b = p.take_snapshot(&pid, label).await.map_err(|e| match e {
            ProviderError::Validation { message, .. }
                if message
                    .to_ascii_lowercase()
                    .contains("backups are not enabled") =>
            {
                AppError::Conflict(format!(
                    "Enable backups of {} first: the provider keeps snapshots with its backups",
                    s.label
                ))
            }
            other => other.into(),
        })?;
        self.log_server(
            &s,
            "server.snapshot_taken",
            format!("Took snapshot {label} of server {}", s.label),
        )?;
        Ok(backup_dto(b))
    }

    /// Restores a backup over this server (its disks are replaced).
    pub async fn restore_server_backup(&self, id: &str, backup_id: &str) -> AppResult<ServerDto> {
        let (s, p, pid) = self.instance_of(id).await?;
        p.restore_backup(&pid, backup_id.trim(), &pid).await?;
        self.set_status(
            &s,
            ServerStatus::Provisioning,
            "server.restoring",
            format!("Restoring backup {backup_id} over server {}", s.label),
        )
    }
}
