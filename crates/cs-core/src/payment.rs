//! The lifecycles of a PayPal top-up and of its refunds.
//!
//! ```text
//!   created ──payer approves──► approved ──capture──► completed
//!      │  └──────── capture ───────────────────────►     │
//!      │                           │                      ├─partial refund─► partially_refunded ─┐
//!      └──── voided / declined / refused ──┴──► failed    └─full refund────► refunded ◄───────────┘
//!   (a capture PayPal completes after all moves failed to completed)
//! ```
//!
//! A refund is `pending` from the moment it is asked for (its amount is
//! reserved) until PayPal completes or refuses it; PayPal's word wins, so a
//! refund it completes after refusing it is completed. The store (the app's
//! payments area) guards every update on the statuses
//! [`PaymentStatus::sources`] / [`RefundStatus::sources`] allow.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// The link exists; the payer has not approved yet.
    Created,
    /// The payer approved (or PayPal holds the capture as pending).
    Approved,
    /// Captured and credited to the wallet.
    Completed,
    PartiallyRefunded,
    Refunded,
    /// Voided, declined or refused: nothing was charged.
    Failed,
}

/// What moves a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentEvent {
    /// The payer approved the order.
    Approve,
    /// PayPal holds the capture as pending.
    HoldCapture,
    /// The capture completed: the wallet is credited.
    Complete,
    /// PayPal voided the order, declined the capture or refused the order.
    Fail,
    /// Money went back; `fully` when nothing captured is left.
    Refund { fully: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a payment that is {} cannot be {}", from.as_str().replace('_', " "), event.as_str())]
pub struct PaymentTransitionError {
    pub from: PaymentStatus,
    pub event: PaymentEvent,
}

impl PaymentEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentEvent::Approve => "approved",
            PaymentEvent::HoldCapture => "held for capture",
            PaymentEvent::Complete => "completed",
            PaymentEvent::Fail => "failed",
            PaymentEvent::Refund { .. } => "refunded",
        }
    }
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 6] = [
        PaymentStatus::Created,
        PaymentStatus::Approved,
        PaymentStatus::Completed,
        PaymentStatus::PartiallyRefunded,
        PaymentStatus::Refunded,
        PaymentStatus::Failed,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Created => "created",
            PaymentStatus::Approved => "approved",
            PaymentStatus::Completed => "completed",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<PaymentStatus> {
        PaymentStatus::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The statuses `event` applies to.
    pub fn sources(event: PaymentEvent) -> &'static [PaymentStatus] {
        use PaymentStatus::*;
        match event {
            PaymentEvent::Approve => &[Created],
            PaymentEvent::HoldCapture | PaymentEvent::Fail => &[Created, Approved],
            // PayPal's word wins: a capture that completes after we gave up
            // on the order still brought the money in.
            PaymentEvent::Complete => &[Created, Approved, Failed],
            PaymentEvent::Refund { .. } => &[Completed, PartiallyRefunded],
        }
    }

    /// The status `event` moves a payment in this status to.
    pub fn apply(self, event: PaymentEvent) -> Result<PaymentStatus, PaymentTransitionError> {
        if !PaymentStatus::sources(event).contains(&self) {
            return Err(PaymentTransitionError { from: self, event });
        }
        Ok(match event {
            PaymentEvent::Approve | PaymentEvent::HoldCapture => PaymentStatus::Approved,
            PaymentEvent::Complete => PaymentStatus::Completed,
            PaymentEvent::Fail => PaymentStatus::Failed,
            PaymentEvent::Refund { fully: true } => PaymentStatus::Refunded,
            PaymentEvent::Refund { fully: false } => PaymentStatus::PartiallyRefunded,
        })
    }

    /// Waiting for the payer or for PayPal (the poller checks it).
    pub fn is_open(self) -> bool {
        matches!(self, PaymentStatus::Created | PaymentStatus::Approved)
    }

    /// Money came in and some of it may go back.
    pub fn is_refundable(self) -> bool {
        PaymentStatus::sources(PaymentEvent::Refund { fully: false }).contains(&self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// Asked of PayPal (or about to be); its amount is reserved.
    Pending,
    /// PayPal refunded it: the credit note is issued.
    Completed,
    /// PayPal refused it: nothing went back.
    Failed,
}

/// What moves a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefundEvent {
    Complete,
    Fail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a refund that is {} cannot be {}", from.as_str(), match event { RefundEvent::Complete => "completed", RefundEvent::Fail => "failed" })]
pub struct RefundTransitionError {
    pub from: RefundStatus,
    pub event: RefundEvent,
}

impl RefundStatus {
    pub const ALL: [RefundStatus; 3] = [
        RefundStatus::Pending,
        RefundStatus::Completed,
        RefundStatus::Failed,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Completed => "completed",
            RefundStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<RefundStatus> {
        RefundStatus::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The statuses `event` applies to. PayPal's word wins: a refund it
    /// reports completed is completed, even one it had reported failed.
    pub fn sources(event: RefundEvent) -> &'static [RefundStatus] {
        match event {
            RefundEvent::Complete => &[RefundStatus::Pending, RefundStatus::Failed],
            RefundEvent::Fail => &[RefundStatus::Pending],
        }
    }

    pub fn apply(self, event: RefundEvent) -> Result<RefundStatus, RefundTransitionError> {
        if !RefundStatus::sources(event).contains(&self) {
            return Err(RefundTransitionError { from: self, event });
        }
        Ok(match event {
            RefundEvent::Complete => RefundStatus::Completed,
            RefundEvent::Fail => RefundStatus::Failed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payment_moves_only_along_the_arrows() {
        use PaymentEvent::*;
        use PaymentStatus::*;
        assert_eq!(Created.apply(Approve), Ok(Approved));
        assert_eq!(Created.apply(Complete), Ok(Completed));
        assert_eq!(Failed.apply(Complete), Ok(Completed), "PayPal's word wins");
        assert_eq!(Approved.apply(HoldCapture), Ok(Approved));
        assert_eq!(Approved.apply(Fail), Ok(Failed));
        assert_eq!(
            Completed.apply(Refund { fully: false }),
            Ok(PartiallyRefunded)
        );
        assert_eq!(
            PartiallyRefunded.apply(Refund { fully: true }),
            Ok(Refunded)
        );
        for (from, event) in [
            (Approved, Approve),
            (Completed, Complete),
            (Completed, Fail),
            (Refunded, Refund { fully: true }),
            (Created, Refund { fully: false }),
        ] {
            assert_eq!(
                from.apply(event),
                Err(PaymentTransitionError { from, event }),
                "{from:?} {event:?}"
            );
        }
        assert!(Completed.is_refundable() && !Refunded.is_refundable());
        assert!(Approved.is_open() && !Failed.is_open());
        for s in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn a_refund_is_settled_once() {
        assert_eq!(
            RefundStatus::Pending.apply(RefundEvent::Complete),
            Ok(RefundStatus::Completed)
        );
        assert!(RefundStatus::Completed.apply(RefundEvent::Fail).is_err());
        assert!(RefundStatus::Completed
            .apply(RefundEvent::Complete)
            .is_err());
        assert!(RefundStatus::Failed.apply(RefundEvent::Fail).is_err());
    }
}
