//! Email for ContainerStacks: branded, editable templates ([`Templates`], rendered with a
//! sandboxed minijinja: values are data, HTML is auto-escaped), messages with plain-text
//! and HTML alternatives and PDF attachments ([`Email`]), delivery over SMTP with lettre
//! ([`Mailer`], configured by [`SmtpConfig`]: STARTTLS, implicit TLS, or no encryption for a
//! loopback relay only; the password is redacted in `Debug` and never in errors), and the
//! durable mail outbox ([`outbox`]: the tables' SQL, the retry policy, the worker).
//!
//! # The outbox guarantee
//!
//! Mail is queued as an [`OutboxEntry`] in the same database transaction as the event that
//! causes it, fully rendered, with its Message-ID and Date fixed. A worker claims due rows
//! with a lease (`queued → sending`), sends, and records the relay's answer in the same
//! write that marks the row `sent` (or `queued` again with exponential backoff, or
//! `failed` on a permanent refusal or after `max_attempts`). So:
//!
//! - **Never lost**: a row leaves `queued`/`sending` only when the relay has accepted it
//!   (answer stored) or refused it for good (answer stored).
//! - **Not sent twice by us**: a row is sent only by the worker holding its lease, and a
//!   `sent` row is never claimed again.
//! - **The one window**: SMTP has no idempotency key, so if the process dies after the
//!   relay's `250` and before `mark_sent` commits (milliseconds), we cannot know whether
//!   the relay has the message. When the lease expires the row is sent again and flagged
//!   `possibly_duplicated`. We choose at-least-once over at-most-once because a lost
//!   invoice or password reset is worse than a duplicate, and the duplicate carries the
//!   same Message-ID, so it is recognisable (many mailbox providers collapse it).
//!
//! The mail outbox tables (`mail_outbox`, `mail_outbox_attachments`) are this crate's:
//! their SQL lives in [`outbox::sqlite`] only. [`OutboxStore`] is the worker's queue, five
//! atomic operations documented on the trait; [`SqliteOutbox`] implements them on the
//! desktop's store and [`enqueue_in`] queues a mail inside the caller's transaction;
//! [`MemoryOutboxStore`] is the reference implementation. Amounts arrive in template
//! variables already formatted.

mod error;
mod mailer;
pub mod outbox;
mod templates;

pub use error::MailError;
pub use mailer::{Attachment, Email, Mailer, Password, RelayAcceptance, Security, SmtpConfig};
pub use outbox::{
    enqueue_in, MailStatus, MemoryOutboxStore, OutboxCursor, OutboxEntry, OutboxFilter, OutboxPage,
    OutboxPolicy, OutboxStore, OutboxSummary, OutboxWorker, RoundReport, SqliteOutbox, StoreError,
    ATTACHMENT_RETENTION_DAYS,
};
pub use templates::{
    Branding, BrandingError, Part, Rendered, TemplateError, TemplateKind, TemplateSource,
    Templates, Var, Vars,
};

/// Whether the mailer can send to `address`, by lettre's own parsers (the
/// bare address, and the mailbox the message builder reads): the rule every
/// address is checked against at input (`cs_core::validate::AddressParser`),
/// so a stored address never fails in the outbox for its form.
pub fn check_address(address: &str) -> Result<(), String> {
    address
        .parse::<lettre::Address>()
        .map_err(|e| e.to_string())?;
    address
        .parse::<lettre::message::Mailbox>()
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Builds an [`Email`] from a rendered template.
pub fn compose(from: &str, to: Vec<String>, reply_to: Option<String>, rendered: Rendered) -> Email {
    let mut email = Email::new(from, to, rendered.subject);
    email.reply_to = reply_to;
    email.text = rendered.text;
    email.html = rendered.html;
    email
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_are_checked_by_the_mailers_parser() {
        for good in [
            "zoe@example.com",
            "a.b+c@sub.example.co",
            "ops@xn--bcher-kva.example",
        ] {
            assert_eq!(super::check_address(good), Ok(()), "{good}");
        }
        // Each passes a dotted-domain plausibility check, yet lettre cannot
        // send to it.
        for bad in [
            "a..b@example.com",
            ".zoe@example.com",
            "zoe.@example.com",
            "zo(e)@example.com",
            "zo\"e@example.com",
        ] {
            assert!(cs_core::validate::is_plausible_email(bad), "{bad}");
            assert!(super::check_address(bad).is_err(), "{bad}");
        }
        assert!(super::check_address("<zoe@example.com>").is_err());
    }
}
