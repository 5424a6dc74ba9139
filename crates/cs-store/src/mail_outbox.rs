//! The mail outbox (`mail_outbox` and `mail_outbox_attachments`, migration
//! 0003): fully rendered messages waiting to be sent, sent, or given up on.
//!
//! [`enqueue_in`] is called by the façade inside the transaction of the event
//! that causes the mail, so the mail exists exactly when the event does. The
//! worker's operations ([`claim_due`], [`mark_sent`], [`mark_retry`],
//! [`mark_failed`]) are each meant to run in their own short IMMEDIATE
//! transaction ([`crate::Store::write`]); the state machine and its guarantees
//! are documented in the `cs-mail` crate, whose `SqliteOutbox` wraps these
//! functions. This module stores no secret: only what is sent.

use cs_core::Timestamp;
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::{fmt_ts, parse_ts, Result, StoreError};

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailStatus {
    Queued,
    Sending,
    Sent,
    Failed,
}

impl MailStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "queued" => Self::Queued,
            "sending" => Self::Sending,
            "sent" => Self::Sent,
            "failed" => Self::Failed,
            other => return Err(StoreError::Corrupt(format!("mail outbox status {other:?}"))),
        })
    }
}

/// One attached file, exactly as sent.
#[derive(Clone, PartialEq, Eq)]
pub struct MailAttachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for MailAttachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailAttachment")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// One outbox row with everything needed to send the message again,
/// byte-for-byte the same apart from transport encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRow {
    pub id: String,
    /// Template key (`invoice_issued` …), `None` for a message not made from a template.
    pub kind: Option<String>,
    pub from: String,
    pub to: Vec<String>,
    pub reply_to: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<MailAttachment>,
    /// Without angle brackets.
    pub message_id: String,
    pub date_unix: i64,
    pub status: MailStatus,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub lease_until: Option<Timestamp>,
    pub relay_response: Option<String>,
    pub last_error: Option<String>,
    pub possibly_duplicated: bool,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

/// What a state change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Done,
    /// The row is not in the state the change applies to; it was left alone.
    Skipped {
        status: MailStatus,
    },
    NotFound,
}

/// Which rows the Outbox screen shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MailFilter {
    #[default]
    All,
    /// Waiting or being sent (`queued` and `sending`).
    Pending,
    Sent,
    Failed,
}

/// A row as the Outbox screen lists it: no bodies, no attachment bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSummary {
    pub id: String,
    pub kind: Option<String>,
    pub to: Vec<String>,
    pub subject: String,
    pub message_id: String,
    pub status: MailStatus,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub relay_response: Option<String>,
    pub last_error: Option<String>,
    pub possibly_duplicated: bool,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub attachment_count: u32,
}

/// Inserts `row` as given (normally `queued`, `attempts` 0) with its
/// attachments. Call it with the transaction of the event that causes the mail.
/// An id or Message-ID already in the outbox is refused (a UNIQUE violation,
/// see [`crate::is_unique_violation`]).
pub fn enqueue_in(conn: &Connection, row: &MailRow) -> Result<()> {
    let to = serde_json::to_string(&row.to)
        .map_err(|e| StoreError::Corrupt(format!("mail recipients: {e}")))?;
    conn.execute(
        "INSERT INTO mail_outbox (id, kind, from_addr, to_addrs, reply_to, subject, body_text, body_html, message_id, date_unix,
                                  status, attempts, next_attempt_at, lease_until, relay_response, last_error, possibly_duplicated, created_at, sent_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
        params![
            row.id,
            row.kind,
            row.from,
            to,
            row.reply_to,
            row.subject,
            row.text,
            row.html,
            row.message_id,
            row.date_unix,
            row.status.as_str(),
            row.attempts,
            fmt_ts(&row.next_attempt_at),
            row.lease_until.as_ref().map(fmt_ts),
            row.relay_response,
            row.last_error,
            row.possibly_duplicated,
            fmt_ts(&row.created_at),
            row.sent_at.as_ref().map(fmt_ts),
        ],
    )?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO mail_outbox_attachments (mail_id, position, filename, content_type, bytes) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (position, a) in row.attachments.iter().enumerate() {
        insert.execute(params![
            row.id,
            position as i64,
            a.filename,
            a.content_type,
            a.bytes
        ])?;
    }
    Ok(())
}

/// Claims up to `limit` due rows, oldest first: `queued` ones whose
/// `next_attempt_at <= now`, and `sending` ones whose `lease_until < now` (their
/// worker died; they are flagged `possibly_duplicated`). Each becomes `sending`
/// until `lease_until` with one more attempt. Returns the rows as updated.
///
/// The claim is one UPDATE statement, so two workers never claim the same row;
/// run it in an IMMEDIATE transaction so the rows read back are the ones claimed.
pub fn claim_due(
    conn: &Connection,
    now: Timestamp,
    lease_until: Timestamp,
    limit: usize,
) -> Result<Vec<MailRow>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let ids: Vec<String> = {
        // Right-hand sides see the row before the update, so `status = 'sending'`
        // below is the old status: the row was leased and the lease ran out.
        let mut stmt = conn.prepare_cached(
            "UPDATE mail_outbox
             SET possibly_duplicated = (possibly_duplicated OR status = 'sending'),
                 status = 'sending', lease_until = ?2, attempts = attempts + 1
             WHERE id IN (SELECT id FROM mail_outbox
                          WHERE (status = 'queued' AND next_attempt_at <= ?1) OR (status = 'sending' AND lease_until < ?1)
                          ORDER BY next_attempt_at, created_at, id LIMIT ?3)
             RETURNING id",
        )?;
        let rows = stmt.query_map(params![fmt_ts(&now), fmt_ts(&lease_until), limit], |r| {
            r.get(0)
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut claimed = Vec::with_capacity(ids.len());
    for id in &ids {
        claimed.push(
            get(conn, id)?
                .ok_or_else(|| StoreError::Corrupt(format!("claimed mail {id} vanished")))?,
        );
    }
    claimed.sort_by(|a, b| {
        (a.next_attempt_at, a.created_at, &a.id).cmp(&(b.next_attempt_at, b.created_at, &b.id))
    });
    Ok(claimed)
}

/// `sending` → `sent`, recording the relay's answer and when.
pub fn mark_sent(
    conn: &Connection,
    id: &str,
    relay_response: &str,
    at: Timestamp,
) -> Result<Change> {
    change(
        conn,
        id,
        "UPDATE mail_outbox SET status = 'sent', relay_response = ?2, sent_at = ?3, lease_until = NULL
         WHERE id = ?1 AND status = 'sending'",
        params![id, relay_response, fmt_ts(&at)],
    )
}

/// `sending` → `queued` for another attempt at `next_attempt_at`.
pub fn mark_retry(
    conn: &Connection,
    id: &str,
    error: &str,
    next_attempt_at: Timestamp,
) -> Result<Change> {
    change(
        conn,
        id,
        "UPDATE mail_outbox SET status = 'queued', last_error = ?2, next_attempt_at = ?3, lease_until = NULL
         WHERE id = ?1 AND status = 'sending'",
        params![id, error, fmt_ts(&next_attempt_at)],
    )
}

/// `sending` → `failed`, recording the error or the relay's refusal.
pub fn mark_failed(conn: &Connection, id: &str, error: &str) -> Result<Change> {
    change(
        conn,
        id,
        "UPDATE mail_outbox SET status = 'failed', last_error = ?2, lease_until = NULL
         WHERE id = ?1 AND status = 'sending'",
        params![id, error],
    )
}

/// `failed` → `queued`, due at `now`, with a fresh attempt budget (the UI's
/// "Retry"). The last error is kept until the next attempt replaces it.
pub fn retry_failed(conn: &Connection, id: &str, now: Timestamp) -> Result<Change> {
    change(
        conn,
        id,
        "UPDATE mail_outbox SET status = 'queued', attempts = 0, next_attempt_at = ?2, lease_until = NULL
         WHERE id = ?1 AND status = 'failed'",
        params![id, fmt_ts(&now)],
    )
}

fn change(conn: &Connection, id: &str, sql: &str, params: impl rusqlite::Params) -> Result<Change> {
    if conn.prepare_cached(sql)?.execute(params)? == 1 {
        return Ok(Change::Done);
    }
    let status: Option<String> = conn
        .query_row("SELECT status FROM mail_outbox WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    match status {
        Some(s) => Ok(Change::Skipped {
            status: MailStatus::parse(&s)?,
        }),
        None => Ok(Change::NotFound),
    }
}

const COLUMNS: &str = "id, kind, from_addr, to_addrs, reply_to, subject, body_text, body_html, message_id, date_unix,
                       status, attempts, next_attempt_at, lease_until, relay_response, last_error, possibly_duplicated, created_at, sent_at";

/// The row with its attachments.
pub fn get(conn: &Connection, id: &str) -> Result<Option<MailRow>> {
    let raw = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM mail_outbox WHERE id = ?1"))?
        .query_row([id], RawRow::read)
        .optional()?;
    let Some(raw) = raw else { return Ok(None) };
    let attachments = {
        let mut stmt = conn.prepare_cached("SELECT filename, content_type, bytes FROM mail_outbox_attachments WHERE mail_id = ?1 ORDER BY position")?;
        let rows = stmt.query_map([id], |r| {
            Ok(MailAttachment {
                filename: r.get(0)?,
                content_type: r.get(1)?,
                bytes: r.get(2)?,
            })
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    raw.into_row(attachments).map(Some)
}

/// The newest `limit` rows matching `filter`, newest first.
pub fn list(conn: &Connection, filter: MailFilter, limit: usize) -> Result<Vec<MailSummary>> {
    let condition = match filter {
        MailFilter::All => "1",
        MailFilter::Pending => "status IN ('queued', 'sending')",
        MailFilter::Sent => "status = 'sent'",
        MailFilter::Failed => "status = 'failed'",
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, kind, to_addrs, subject, message_id, status, attempts, next_attempt_at, relay_response, last_error,
                possibly_duplicated, created_at, sent_at,
                (SELECT count(*) FROM mail_outbox_attachments a WHERE a.mail_id = m.id)
         FROM mail_outbox m WHERE {condition} ORDER BY created_at DESC, id DESC LIMIT ?1"
    ))?;
    let rows = stmt
        .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok(RawSummary {
                id: r.get(0)?,
                kind: r.get(1)?,
                to: r.get(2)?,
                subject: r.get(3)?,
                message_id: r.get(4)?,
                status: r.get(5)?,
                attempts: r.get(6)?,
                next_attempt_at: r.get(7)?,
                relay_response: r.get(8)?,
                last_error: r.get(9)?,
                possibly_duplicated: r.get(10)?,
                created_at: r.get(11)?,
                sent_at: r.get(12)?,
                attachment_count: r.get(13)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|r| {
            Ok(MailSummary {
                to: parse_to(&r.to)?,
                status: MailStatus::parse(&r.status)?,
                next_attempt_at: parse_ts(&r.next_attempt_at)?,
                created_at: parse_ts(&r.created_at)?,
                sent_at: r.sent_at.as_deref().map(parse_ts).transpose()?,
                id: r.id,
                kind: r.kind,
                subject: r.subject,
                message_id: r.message_id,
                attempts: r.attempts,
                relay_response: r.relay_response,
                last_error: r.last_error,
                possibly_duplicated: r.possibly_duplicated,
                attachment_count: r.attachment_count,
            })
        })
        .collect()
}

struct RawSummary {
    id: String,
    kind: Option<String>,
    to: String,
    subject: String,
    message_id: String,
    status: String,
    attempts: u32,
    next_attempt_at: String,
    relay_response: Option<String>,
    last_error: Option<String>,
    possibly_duplicated: bool,
    created_at: String,
    sent_at: Option<String>,
    attachment_count: u32,
}

fn parse_to(json: &str) -> Result<Vec<String>> {
    serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt(format!("mail recipients {json:?}: {e}")))
}

/// A row as read, before its text columns are parsed.
struct RawRow {
    id: String,
    kind: Option<String>,
    from: String,
    to: String,
    reply_to: Option<String>,
    subject: String,
    text: String,
    html: String,
    message_id: String,
    date_unix: i64,
    status: String,
    attempts: u32,
    next_attempt_at: String,
    lease_until: Option<String>,
    relay_response: Option<String>,
    last_error: Option<String>,
    possibly_duplicated: bool,
    created_at: String,
    sent_at: Option<String>,
}

impl RawRow {
    fn read(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            kind: r.get(1)?,
            from: r.get(2)?,
            to: r.get(3)?,
            reply_to: r.get(4)?,
            subject: r.get(5)?,
            text: r.get(6)?,
            html: r.get(7)?,
            message_id: r.get(8)?,
            date_unix: r.get(9)?,
            status: r.get(10)?,
            attempts: r.get(11)?,
            next_attempt_at: r.get(12)?,
            lease_until: r.get(13)?,
            relay_response: r.get(14)?,
            last_error: r.get(15)?,
            possibly_duplicated: r.get(16)?,
            created_at: r.get(17)?,
            sent_at: r.get(18)?,
        })
    }

    fn into_row(self, attachments: Vec<MailAttachment>) -> Result<MailRow> {
        Ok(MailRow {
            to: parse_to(&self.to)?,
            status: MailStatus::parse(&self.status)?,
            next_attempt_at: parse_ts(&self.next_attempt_at)?,
            lease_until: self.lease_until.as_deref().map(parse_ts).transpose()?,
            created_at: parse_ts(&self.created_at)?,
            sent_at: self.sent_at.as_deref().map(parse_ts).transpose()?,
            id: self.id,
            kind: self.kind,
            from: self.from,
            reply_to: self.reply_to,
            subject: self.subject,
            text: self.text,
            html: self.html,
            attachments,
            message_id: self.message_id,
            date_unix: self.date_unix,
            attempts: self.attempts,
            relay_response: self.relay_response,
            last_error: self.last_error,
            possibly_duplicated: self.possibly_duplicated,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::{Arc, Barrier};

    use chrono::{Duration, TimeZone, Utc};
    use rusqlite::TransactionBehavior;

    use super::*;
    use crate::Store;

    fn t(s: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap() + Duration::seconds(s)
    }

    fn mail(n: u32, at: Timestamp) -> MailRow {
        MailRow {
            id: format!("mail-{n:03}"),
            kind: Some("invoice_issued".into()),
            from: "Acme Cloud <billing@acme.example>".into(),
            to: vec!["Ada <ada@example.com>".into(), "books@example.com".into()],
            reply_to: Some("help@acme.example".into()),
            subject: format!("Invoice INV-{n}"),
            text: "Hello Ada".into(),
            html: "<p>Hello Ada</p>".into(),
            attachments: vec![
                MailAttachment {
                    filename: format!("INV-{n}.pdf"),
                    content_type: "application/pdf".into(),
                    bytes: vec![0, 1, 2, 255, n as u8],
                },
                MailAttachment {
                    filename: "terms.txt".into(),
                    content_type: "text/plain".into(),
                    bytes: b"terms".to_vec(),
                },
            ],
            message_id: format!("{n}@acme.example"),
            date_unix: at.timestamp(),
            status: MailStatus::Queued,
            attempts: 0,
            next_attempt_at: at,
            lease_until: None,
            relay_response: None,
            last_error: None,
            possibly_duplicated: false,
            created_at: at,
            sent_at: None,
        }
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("cs.db")).unwrap();
        (dir, store)
    }

    fn write<T>(store: &Store, f: impl FnOnce(&Connection) -> Result<T>) -> T {
        store.write(|tx| f(tx)).unwrap()
    }

    #[test]
    fn a_queued_mail_reads_back_identically_with_its_attachments_in_order() {
        let (_dir, store) = store();
        let m = mail(1, t(0));
        write(&store, |c| enqueue_in(c, &m));
        let back = store.read(|c| get(c, &m.id)).unwrap().unwrap();
        assert_eq!(back, m);
        assert_eq!(store.read(|c| get(c, "nope")).unwrap(), None);
    }

    #[test]
    fn a_rolled_back_transaction_queues_nothing() {
        let (_dir, store) = store();
        let r: Result<()> = store.write(|tx| {
            enqueue_in(tx, &mail(1, t(0)))?;
            Err(StoreError::Corrupt(
                "the event that caused the mail failed".into(),
            ))
        });
        assert!(r.is_err());
        assert!(store
            .read(|c| list(c, MailFilter::All, 10))
            .unwrap()
            .is_empty());
        let attachments: i64 = store
            .read(|c| {
                Ok::<_, StoreError>(c.query_row(
                    "SELECT count(*) FROM mail_outbox_attachments",
                    [],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert_eq!(attachments, 0);
        assert!(write(&store, |c| claim_due(c, t(100), t(160), 10)).is_empty());
    }

    #[test]
    fn a_second_row_with_the_same_id_or_message_id_is_refused() {
        let (_dir, store) = store();
        write(&store, |c| enqueue_in(c, &mail(1, t(0))));
        let same_id = MailRow {
            message_id: "other@acme.example".into(),
            ..mail(1, t(0))
        };
        let same_message = MailRow {
            id: "other".into(),
            ..mail(1, t(0))
        };
        for row in [same_id, same_message] {
            let err = store.write(|c| enqueue_in(c, &row)).unwrap_err();
            assert!(
                matches!(&err, StoreError::Sqlite(e) if crate::is_unique_violation(e)),
                "{err}"
            );
        }
    }

    #[test]
    fn claims_follow_the_state_machine() {
        let (_dir, store) = store();
        write(&store, |c| {
            enqueue_in(c, &mail(1, t(0)))?;
            enqueue_in(c, &mail(2, t(5)))
        });
        let first = write(&store, |c| claim_due(c, t(1), t(61), 10));
        assert_eq!(
            first.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["mail-001"],
            "mail-002 is not due yet"
        );
        assert_eq!(
            (first[0].status, first[0].attempts, first[0].lease_until),
            (MailStatus::Sending, 1, Some(t(61)))
        );
        assert!(!first[0].possibly_duplicated);

        let second = write(&store, |c| claim_due(c, t(10), t(70), 10));
        assert_eq!(
            second.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["mail-002"],
            "a leased row is not claimed again"
        );

        // mail-002's worker fails and retries later; mail-001's worker dies.
        assert_eq!(
            write(&store, |c| mark_retry(
                c,
                "mail-002",
                "421 try later",
                t(200)
            )),
            Change::Done
        );
        assert!(
            write(&store, |c| claim_due(c, t(61), t(121), 10)).is_empty(),
            "the lease runs until t(61) inclusive"
        );
        let reclaimed = write(&store, |c| claim_due(c, t(62), t(122), 10));
        assert_eq!(reclaimed.len(), 1);
        assert_eq!(
            (
                reclaimed[0].id.as_str(),
                reclaimed[0].attempts,
                reclaimed[0].possibly_duplicated
            ),
            ("mail-001", 2, true)
        );

        assert_eq!(
            write(&store, |c| mark_sent(
                c,
                "mail-001",
                "250 2.0.0 Ok: queued as X1",
                t(63)
            )),
            Change::Done
        );
        assert_eq!(
            write(&store, |c| mark_failed(c, "mail-001", "late worker")),
            Change::Skipped {
                status: MailStatus::Sent
            },
            "a sent row is never changed again"
        );
        assert_eq!(
            write(&store, |c| mark_sent(c, "nope", "250", t(63))),
            Change::NotFound
        );
        let sent = store.read(|c| get(c, "mail-001")).unwrap().unwrap();
        assert_eq!(
            (sent.status, sent.sent_at, sent.lease_until),
            (MailStatus::Sent, Some(t(63)), None)
        );
        assert_eq!(
            sent.relay_response.as_deref(),
            Some("250 2.0.0 Ok: queued as X1")
        );
        assert!(write(&store, |c| claim_due(c, t(100_000), t(100_060), 10))
            .iter()
            .all(|r| r.id == "mail-002"));
    }

    #[test]
    fn a_failed_mail_can_be_retried_from_the_ui_and_the_lists_show_each_state() {
        let (_dir, store) = store();
        write(&store, |c| {
            for n in 1..=3 {
                enqueue_in(c, &mail(n, t(i64::from(n))))?;
            }
            Ok(())
        });
        write(&store, |c| claim_due(c, t(10), t(70), 10));
        write(&store, |c| mark_sent(c, "mail-001", "250 ok", t(11)));
        write(&store, |c| {
            mark_failed(c, "mail-002", "550 5.1.1 no such user")
        });
        write(&store, |c| mark_retry(c, "mail-003", "421 later", t(40)));

        let ids = |f| {
            store
                .read(|c| list(c, f, 10))
                .unwrap()
                .into_iter()
                .map(|s| s.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(MailFilter::All),
            ["mail-003", "mail-002", "mail-001"],
            "newest first"
        );
        assert_eq!(ids(MailFilter::Pending), ["mail-003"]);
        assert_eq!(ids(MailFilter::Sent), ["mail-001"]);
        assert_eq!(ids(MailFilter::Failed), ["mail-002"]);
        assert_eq!(
            store.read(|c| list(c, MailFilter::All, 1)).unwrap().len(),
            1
        );
        let failed = &store.read(|c| list(c, MailFilter::Failed, 10)).unwrap()[0];
        assert_eq!(failed.last_error.as_deref(), Some("550 5.1.1 no such user"));
        assert_eq!((failed.attachment_count, failed.to.len()), (2, 2));
        let sent = &store.read(|c| list(c, MailFilter::Sent, 10)).unwrap()[0];
        assert_eq!(
            (sent.relay_response.as_deref(), sent.sent_at),
            (Some("250 ok"), Some(t(11)))
        );

        assert_eq!(
            write(&store, |c| retry_failed(c, "mail-001", t(20))),
            Change::Skipped {
                status: MailStatus::Sent
            }
        );
        assert_eq!(
            write(&store, |c| retry_failed(c, "nope", t(20))),
            Change::NotFound
        );
        assert_eq!(
            write(&store, |c| retry_failed(c, "mail-002", t(20))),
            Change::Done
        );
        let again = write(&store, |c| claim_due(c, t(20), t(80), 10));
        assert_eq!(
            again
                .iter()
                .map(|r| (r.id.as_str(), r.attempts))
                .collect::<Vec<_>>(),
            [("mail-002", 1)],
            "a fresh attempt budget"
        );
    }

    /// Two connections to one file (as two processes would have), claiming at
    /// the same time: every row is claimed exactly once.
    #[test]
    fn concurrent_claims_on_two_connections_never_overlap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cs.db");
        let mut setup = Connection::open(&path).unwrap();
        setup.pragma_update(None, "journal_mode", "WAL").unwrap();
        crate::migrate::apply(&mut setup).unwrap();
        let tx = setup.transaction().unwrap();
        for n in 0..60 {
            enqueue_in(&tx, &mail(n, t(i64::from(n)))).unwrap();
        }
        tx.commit().unwrap();

        let barrier = Arc::new(Barrier::new(2));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let (path, barrier) = (path.clone(), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    let mut conn = Connection::open(&path).unwrap();
                    conn.busy_timeout(std::time::Duration::from_secs(10))
                        .unwrap();
                    barrier.wait();
                    let mut mine = Vec::new();
                    loop {
                        let tx = conn
                            .transaction_with_behavior(TransactionBehavior::Immediate)
                            .unwrap();
                        let claimed = claim_due(&tx, t(1_000), t(1_060), 3).unwrap();
                        tx.commit().unwrap();
                        if claimed.is_empty() {
                            return mine;
                        }
                        mine.extend(claimed.into_iter().map(|r| r.id));
                    }
                })
            })
            .collect();
        let results: Vec<Vec<String>> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        let all: Vec<&String> = results.iter().flatten().collect();
        let distinct: HashSet<&String> = all.iter().copied().collect();
        assert_eq!(all.len(), 60, "{results:?}");
        assert_eq!(distinct.len(), 60, "a row was claimed twice: {results:?}");
    }

    #[test]
    fn the_schema_refuses_impossible_states() {
        let (_dir, store) = store();
        let sending_without_lease = MailRow {
            status: MailStatus::Sending,
            ..mail(1, t(0))
        };
        let sent_without_answer = MailRow {
            status: MailStatus::Sent,
            sent_at: Some(t(0)),
            ..mail(2, t(0))
        };
        for row in [sending_without_lease, sent_without_answer] {
            assert!(
                store.write(|c| enqueue_in(c, &row)).is_err(),
                "{:?} accepted",
                row.status
            );
        }
    }
}
