//! The SQL of the mail area: the reseller's edits of the email templates
//! (`mail_templates`, migration 0006). A template without a row is sent
//! with its built-in text. (The mail outbox's tables are cs-mail's.)

use cs_core::Timestamp;
use cs_mail::{TemplateKind, TemplateSource};
use cs_store::fmt_ts;
use cs_store::rusqlite::{params, Connection};

use crate::AppResult;

/// Every saved edit: (template key, its source). Keys this version does not
/// know are left out.
pub(crate) fn saved_templates(c: &Connection) -> AppResult<Vec<(TemplateKind, TemplateSource)>> {
    let mut stmt =
        c.prepare_cached("SELECT kind, subject, body_text, body_html FROM mail_templates")?;
    let rows: Vec<(String, String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(kind, subject, text, html)| {
            let kind = TemplateKind::ALL.into_iter().find(|k| k.key() == kind)?;
            Some((
                kind,
                TemplateSource {
                    subject,
                    text,
                    html,
                },
            ))
        })
        .collect())
}

/// Saves an edit of a template (checked by the caller).
pub(crate) fn save_template(
    c: &Connection,
    kind: TemplateKind,
    source: &TemplateSource,
    at: Timestamp,
    by: &str,
) -> AppResult<()> {
    c.execute(
        "INSERT INTO mail_templates (kind, subject, body_text, body_html, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (kind) DO UPDATE SET subject = excluded.subject, body_text = excluded.body_text, body_html = excluded.body_html, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        params![kind.key(), source.subject, source.text, source.html, fmt_ts(&at), by],
    )?;
    Ok(())
}

/// Forgets an edit: the template's default applies again.
pub(crate) fn reset_template(c: &Connection, kind: TemplateKind) -> AppResult<()> {
    c.execute("DELETE FROM mail_templates WHERE kind = ?1", [kind.key()])?;
    Ok(())
}
