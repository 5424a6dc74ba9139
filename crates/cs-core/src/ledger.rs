//! Double-entry rules: a ledger transaction is a set of entries, one per
//! account, whose amounts sum to exactly zero. Amounts are signed integers in
//! micro-units of the major unit (the [`crate::Rate`] scale), so hourly usage
//! accrues without rounding; documents round once, to minor units.
//!
//! Sign convention: an account's balance is the sum of its entries, seen from
//! the holder. A customer wallet with a positive balance holds the customer's
//! money; usage moves money from the wallet (negative) to revenue (positive); a
//! payment moves it from payment clearing (negative: money on its way in) to
//! the wallet. This module validates; the billing engine stores.

use serde::{Deserialize, Serialize};

/// What an account is for. Customer accounts carry an organization; the
/// reseller's own accounts do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// A customer's prepaid wallet (one per organization and currency).
    Wallet,
    /// Usage earned by the reseller.
    Revenue,
    /// Tax collected on invoices, owed to the tax authority.
    TaxPayable,
    /// Money received (bank transfer, cash, PayPal) on its way to a wallet, or
    /// refunded out of one.
    PaymentClearing,
    /// Manual corrections by staff, with a reason.
    Adjustments,
    /// The difference between micro-unit usage and invoice lines rounded to
    /// minor units.
    Rounding,
}

impl AccountKind {
    pub const ALL: [AccountKind; 6] = [
        AccountKind::Wallet,
        AccountKind::Revenue,
        AccountKind::TaxPayable,
        AccountKind::PaymentClearing,
        AccountKind::Adjustments,
        AccountKind::Rounding,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            AccountKind::Wallet => "wallet",
            AccountKind::Revenue => "revenue",
            AccountKind::TaxPayable => "tax_payable",
            AccountKind::PaymentClearing => "payment_clearing",
            AccountKind::Adjustments => "adjustments",
            AccountKind::Rounding => "rounding",
        }
    }

    pub fn parse(s: &str) -> Option<AccountKind> {
        AccountKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One line of a ledger transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<A> {
    pub account: A,
    pub amount_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("a ledger transaction needs at least two entries")]
    TooFewEntries,
    #[error("ledger entries sum to {0} micro-units, not zero: this is a bug in the billing engine; nothing was written")]
    Unbalanced(i128),
    #[error("an account appears twice in one ledger transaction: merge the amounts")]
    DuplicateAccount,
}

/// Checks the double-entry rule for `entries` (zero entries are allowed, but
/// the total must be exactly zero).
pub fn check_balanced<A: PartialEq>(entries: &[Entry<A>]) -> Result<(), LedgerError> {
    if entries.len() < 2 {
        return Err(LedgerError::TooFewEntries);
    }
    for (i, e) in entries.iter().enumerate() {
        if entries[..i].iter().any(|o| o.account == e.account) {
            return Err(LedgerError::DuplicateAccount);
        }
    }
    let total: i128 = entries.iter().map(|e| i128::from(e.amount_micros)).sum();
    if total != 0 {
        return Err(LedgerError::Unbalanced(total));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn balanced_transactions_pass_and_others_fail() {
        let ok = [
            Entry {
                account: 1,
                amount_micros: -5,
            },
            Entry {
                account: 2,
                amount_micros: 5,
            },
        ];
        assert_eq!(check_balanced(&ok), Ok(()));
        let bad = [
            Entry {
                account: 1,
                amount_micros: -5,
            },
            Entry {
                account: 2,
                amount_micros: 4,
            },
        ];
        assert_eq!(check_balanced(&bad), Err(LedgerError::Unbalanced(-1)));
        assert_eq!(check_balanced(&ok[..1]), Err(LedgerError::TooFewEntries));
        let dup = [
            Entry {
                account: 1,
                amount_micros: -5,
            },
            Entry {
                account: 1,
                amount_micros: 5,
            },
        ];
        assert_eq!(check_balanced(&dup), Err(LedgerError::DuplicateAccount));
    }

    proptest! {
        #[test]
        fn a_transfer_always_balances(a in i64::MIN / 2..i64::MAX / 2) {
            let t = [Entry { account: "wallet", amount_micros: a }, Entry { account: "revenue", amount_micros: -a }];
            prop_assert!(check_balanced(&t).is_ok());
        }
    }
}
