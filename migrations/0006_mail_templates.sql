-- The reseller's edits to the email templates (crate cs-mail has the defaults
-- and checks every edit before it is saved: it must parse, use only the
-- template's declared variables, and render with sample data). A template
-- without a row here is sent with its built-in text; "Reset to default"
-- deletes the row.
CREATE TABLE mail_templates (
    -- The template key ('welcome', 'invoice_issued' …), see cs_mail::TemplateKind.
    kind       TEXT PRIMARY KEY,
    subject    TEXT NOT NULL,
    body_text  TEXT NOT NULL,
    body_html  TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
) STRICT;
