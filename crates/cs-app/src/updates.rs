//! What the façade knows of updates: where to look for them (Settings →
//! About: a reseller's own mirror, or the project's address built into the
//! app) and whether to look at start, and the copies of the database kept
//! before an update's migrations (`cs_store::backup::keep_before_migrating`),
//! which are the way back to the earlier version. Checking, downloading,
//! verifying and installing are the desktop shell's (`tauri-plugin-updater`).

use cs_store::settings;
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::remote_url::{self, Refusal};
use crate::{App, AppError, AppResult, Subject};

const ENDPOINT: &str = "updates.endpoint";
const CHECK_AT_START: &str = "updates.check_at_start";

/// Settings → About: where updates come from, and whether to look at start.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UpdateSettingsDto {
    /// The update manifest's address; empty for the one built into the app.
    /// `{{current_version}}`, `{{target}}` and `{{arch}}` are filled in.
    pub endpoint: String,
    pub check_at_start: bool,
}

/// A copy of the database kept before an update migrated it.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CopyBeforeUpdateDto {
    pub path: String,
    /// The migrations the database had then (what the earlier version knows).
    pub schema: u32,
    /// When it was taken (UTC, RFC 3339).
    pub taken_at: String,
    pub size: String,
}

impl App {
    pub fn updater_settings(&self) -> AppResult<UpdateSettingsDto> {
        self.store.read(read_settings)
    }

    /// Saves where updates come from: an `https` address (plain `http` only
    /// to this computer), or empty for the built-in one.
    pub fn set_updater_settings(&self, input: UpdateSettingsDto) -> AppResult<UpdateSettingsDto> {
        let endpoint = input.endpoint.trim().to_string();
        if !endpoint.is_empty() {
            check_endpoint(&endpoint)?;
        }
        let now = self.now();
        self.write(|tx| {
            let before = read_settings(tx)?;
            let after = UpdateSettingsDto {
                endpoint: endpoint.clone(),
                check_at_start: input.check_at_start,
            };
            if before == after {
                return Ok(after);
            }
            settings::set(tx, ENDPOINT, &after.endpoint)?;
            settings::set(
                tx,
                CHECK_AT_START,
                if after.check_at_start { "on" } else { "off" },
            )?;
            let from = if after.endpoint.is_empty() {
                "the built-in address".to_string()
            } else {
                after.endpoint.clone()
            };
            tx.record(
                now,
                "settings.updates_updated",
                Subject::settings(Some("updates")),
                format!(
                    "Updates from {from}, {} at start",
                    if after.check_at_start {
                        "checked"
                    } else {
                        "not checked"
                    }
                ),
            )?;
            Ok(after)
        })
    }

    /// The copies of this database kept before updates migrated it, newest
    /// first.
    pub fn copies_before_update(&self) -> Vec<CopyBeforeUpdateDto> {
        cs_store::backup::copies_before_update(self.store.path())
            .into_iter()
            .map(|c| CopyBeforeUpdateDto {
                path: c.path.display().to_string(),
                schema: c.schema,
                taken_at: taken_at(&c.taken),
                size: crate::backup::human_size(c.bytes),
            })
            .collect()
    }
}

fn read_settings(c: &cs_store::rusqlite::Connection) -> AppResult<UpdateSettingsDto> {
    Ok(UpdateSettingsDto {
        endpoint: settings::get(c, ENDPOINT)?.unwrap_or_default(),
        check_at_start: settings::get(c, CHECK_AT_START)?.as_deref() != Some("off"),
    })
}

/// `YYYYMMDDTHHMMSSZ` as RFC 3339 (left as it is when it is not that).
fn taken_at(compact: &str) -> String {
    chrono::NaiveDateTime::parse_from_str(compact, "%Y%m%dT%H%M%SZ")
        .map(|t| {
            t.and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        })
        .unwrap_or_else(|_| compact.to_string())
}

fn check_endpoint(endpoint: &str) -> AppResult<()> {
    // The placeholders are not URL syntax; check the address around them.
    let plain = endpoint
        .replace("{{current_version}}", "v")
        .replace("{{target}}", "t")
        .replace("{{arch}}", "a")
        .replace("{{bundle_type}}", "b");
    let why = match remote_url::check(&plain) {
        Ok(_) => return Ok(()),
        Err(Refusal::NotUrl(e)) => format!("This is not a web address ({e})"),
        Err(Refusal::Credentials) => "Leave the user name and password out of the address".into(),
        Err(Refusal::QueryOrFragment) => "Leave ?… and #… out of the address".into(),
        Err(Refusal::PlainHttpElsewhere) => {
            "Use https:// (plain http:// only to this computer): an update must not travel unencrypted".into()
        }
        Err(Refusal::NotWeb) => "Use an https:// address".into(),
    };
    Err(AppError::validation("endpoint", why))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_checked_around_their_placeholders() {
        assert!(check_endpoint(
            "https://mirror.example/cs/{{target}}/{{arch}}/{{current_version}}"
        )
        .is_ok());
        assert!(check_endpoint("http://127.0.0.1:8080/latest.json").is_ok());
        for bad in [
            "mirror.example/latest.json",
            "http://mirror.example/latest.json",
            "ftp://mirror.example/latest.json",
            "https://user:pw@mirror.example/latest.json",
        ] {
            let e = check_endpoint(bad).unwrap_err();
            assert!(matches!(e, AppError::Validation(_)), "{bad}: {e:?}");
        }
    }

    #[test]
    fn compact_times_read_as_rfc3339() {
        assert_eq!(taken_at("20261207T183000Z"), "2026-12-07T18:30:00Z");
        assert_eq!(taken_at("garbage"), "garbage");
    }
}
