//! The lifecycle of a mail in the outbox.
//!
//! ```text
//!  queued ──claim──► sending ──relay accepted──► sent
//!    ▲                 │  └──refused for good / attempts used up──► failed
//!    └──retry later────┘                                             │
//!    └────────────────── requeue ("Retry" on the Outbox screen) ─────┘
//!  sending whose lease ran out (the worker died) ──claim──► sending
//! ```
//!
//! The store (crate cs-mail) guards every update on the statuses
//! [`MailStatus::sources`] allows, so a mail changes only along these arrows.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailStatus {
    /// Waiting for its next attempt.
    Queued,
    /// Claimed by a worker until its lease ends.
    Sending,
    /// The relay accepted it (its answer is kept).
    Sent,
    /// Given up (the error or refusal is kept).
    Failed,
}

/// What moves a mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailEvent {
    /// A worker takes a due mail (or one whose lease ran out).
    Claim,
    /// The relay accepted it.
    Accepted,
    /// A passing failure: try again later.
    RetryLater,
    /// A refusal for good, or the last attempt failed.
    GiveUp,
    /// Staff asked to send a failed mail again.
    Requeue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a mail that is {} cannot be {}", from.as_str(), event.as_str())]
pub struct MailTransitionError {
    pub from: MailStatus,
    pub event: MailEvent,
}

impl MailEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            MailEvent::Claim => "claimed",
            MailEvent::Accepted => "marked sent",
            MailEvent::RetryLater => "retried later",
            MailEvent::GiveUp => "given up",
            MailEvent::Requeue => "queued again",
        }
    }
}

impl MailStatus {
    pub const ALL: [MailStatus; 4] = [
        MailStatus::Queued,
        MailStatus::Sending,
        MailStatus::Sent,
        MailStatus::Failed,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Queued => "queued",
            MailStatus::Sending => "sending",
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<MailStatus> {
        MailStatus::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The statuses `event` applies to.
    pub fn sources(event: MailEvent) -> &'static [MailStatus] {
        use MailStatus::*;
        match event {
            // A sending mail is claimed again only once its lease ran out;
            // the store checks the lease.
            MailEvent::Claim => &[Queued, Sending],
            MailEvent::Accepted | MailEvent::RetryLater | MailEvent::GiveUp => &[Sending],
            MailEvent::Requeue => &[Failed],
        }
    }

    /// The status `event` moves a mail in this status to.
    pub fn apply(self, event: MailEvent) -> Result<MailStatus, MailTransitionError> {
        if !MailStatus::sources(event).contains(&self) {
            return Err(MailTransitionError { from: self, event });
        }
        Ok(match event {
            MailEvent::Claim => MailStatus::Sending,
            MailEvent::Accepted => MailStatus::Sent,
            MailEvent::RetryLater | MailEvent::Requeue => MailStatus::Queued,
            MailEvent::GiveUp => MailStatus::Failed,
        })
    }

    /// Still to be sent (the Outbox screen's "pending").
    pub fn is_pending(self) -> bool {
        matches!(self, MailStatus::Queued | MailStatus::Sending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mail_moves_only_along_the_arrows() {
        use MailEvent::*;
        use MailStatus::*;
        assert_eq!(Queued.apply(Claim), Ok(Sending));
        assert_eq!(Sending.apply(Claim), Ok(Sending), "an expired lease");
        assert_eq!(Sending.apply(Accepted), Ok(Sent));
        assert_eq!(Sending.apply(RetryLater), Ok(Queued));
        assert_eq!(Sending.apply(GiveUp), Ok(Failed));
        assert_eq!(Failed.apply(Requeue), Ok(Queued));
        for (from, event) in [
            (Sent, Claim),
            (Sent, GiveUp),
            (Queued, Accepted),
            (Sent, Requeue),
            (Queued, Requeue),
        ] {
            assert_eq!(
                from.apply(event),
                Err(MailTransitionError { from, event }),
                "{from:?} {event:?}"
            );
        }
        for s in MailStatus::ALL {
            assert_eq!(MailStatus::parse(s.as_str()), Some(s));
        }
    }
}
