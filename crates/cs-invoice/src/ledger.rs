//! The journal the accountant receives: double-entry ledger lines, and their CSV.
//!
//! **Input model for the billing engine.** Feed one [`LedgerEntry`] per posting of the
//! double-entry ledger, in the order they were booked. Entries sharing a `transaction_id`
//! form one transaction and must balance (Σ debit = Σ credit) per currency; the export
//! refuses an unbalanced journal. Amounts are non-negative minor units with exactly one of
//! debit and credit set. `account` is the reseller's account code or name
//! ("1200 Accounts receivable"); the export does not interpret it. The app builds these
//! rows from the billing engine's ledger with [`crate::reconcile`]; for an engine with no
//! ledger of its own, [`document_ledger_entries`] derives the standard postings from a
//! document.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::format;
use crate::model::{Currency, Document, DocumentKind};
use crate::InvoiceError;

/// One posting. See the module documentation for the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Groups the postings of one transaction (the billing engine's idempotency key works).
    pub transaction_id: String,
    pub date: NaiveDate,
    /// What the transaction records: `usage`, `payment`, `invoice`, `credit_note`, …
    pub kind: String,
    /// The customer the transaction belongs to (empty for the reseller's own postings).
    pub organization: String,
    /// Number of the document the posting belongs to, if any.
    pub document: Option<String>,
    pub account: String,
    pub description: String,
    pub debit_minor: i64,
    pub credit_minor: i64,
    pub currency: Currency,
}

/// Account names used by [`document_ledger_entries`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accounts {
    pub receivable: String,
    pub revenue: String,
    pub tax_payable: String,
    /// Money received but not yet allocated: wallet top-ups are liabilities until spent.
    pub customer_wallets: String,
    /// Where received payments land (PayPal balance, bank).
    pub payment_clearing: String,
    /// Manual corrections of wallets by staff (goodwill credits, debits), with a reason.
    pub adjustments: String,
    /// The difference between usage accrued in micro-units and the invoice lines rounded
    /// to the minor unit.
    pub rounding: String,
}

impl Default for Accounts {
    fn default() -> Self {
        Accounts {
            receivable: "1200 Accounts receivable".into(),
            revenue: "4000 Cloud services revenue".into(),
            tax_payable: "2400 VAT payable".into(),
            customer_wallets: "2300 Customer wallets".into(),
            payment_clearing: "1050 Payment clearing".into(),
            adjustments: "4900 Wallet adjustments".into(),
            rounding: "4090 Rounding differences".into(),
        }
    }
}

/// The standard postings of a document:
/// - invoice: debit receivable (gross), credit revenue (net), credit tax payable (tax);
///   the paid part is then settled from the customer's wallet (debit wallets, credit
///   receivable);
/// - credit note: the reverse of an invoice, the refunded part paid out of clearing;
/// - receipt: debit payment clearing, credit customer wallets (a top-up is a liability).
pub fn document_ledger_entries(doc: &Document, accounts: &Accounts) -> Vec<LedgerEntry> {
    let entry = |account: &str, debit: i64, credit: i64, description: &str| LedgerEntry {
        transaction_id: doc.number.clone(),
        date: doc.issue_date,
        kind: match doc.kind {
            DocumentKind::Invoice => "invoice",
            DocumentKind::Receipt => "receipt",
            DocumentKind::CreditNote => "credit_note",
        }
        .to_string(),
        organization: doc.buyer.organization.clone(),
        document: Some(doc.number.clone()),
        account: account.to_string(),
        description: description.to_string(),
        debit_minor: debit,
        credit_minor: credit,
        currency: doc.currency,
    };
    let t = doc.totals;
    let who = &doc.buyer.organization;
    let mut out = Vec::new();
    match doc.kind {
        DocumentKind::Invoice => {
            out.push(entry(&accounts.receivable, t.gross_minor, 0, who));
            out.push(entry(&accounts.revenue, 0, t.net_minor, who));
            if t.tax_minor != 0 {
                out.push(entry(&accounts.tax_payable, 0, t.tax_minor, who));
            }
            if t.paid_minor != 0 {
                out.push(entry(
                    &accounts.customer_wallets,
                    t.paid_minor,
                    0,
                    "Settled from wallet",
                ));
                out.push(entry(
                    &accounts.receivable,
                    0,
                    t.paid_minor,
                    "Settled from wallet",
                ));
            }
        }
        DocumentKind::CreditNote => {
            out.push(entry(&accounts.revenue, t.net_minor, 0, who));
            if t.tax_minor != 0 {
                out.push(entry(&accounts.tax_payable, t.tax_minor, 0, who));
            }
            out.push(entry(&accounts.receivable, 0, t.gross_minor, who));
            if t.paid_minor != 0 {
                out.push(entry(&accounts.receivable, t.paid_minor, 0, "Refunded"));
                out.push(entry(
                    &accounts.payment_clearing,
                    0,
                    t.paid_minor,
                    "Refunded",
                ));
            }
        }
        DocumentKind::Receipt => {
            out.push(entry(&accounts.payment_clearing, t.gross_minor, 0, who));
            out.push(entry(&accounts.customer_wallets, 0, t.gross_minor, who));
        }
    }
    out
}

/// Checks every transaction balances per currency and every entry is one-sided and
/// non-negative.
pub fn check_balanced(entries: &[LedgerEntry]) -> Result<(), InvoiceError> {
    let mut sums: BTreeMap<(&str, Currency), i64> = BTreeMap::new();
    for e in entries {
        if e.debit_minor < 0 || e.credit_minor < 0 || (e.debit_minor != 0 && e.credit_minor != 0) {
            return Err(InvoiceError::Unbalanced(format!(
                "entry of transaction {} on {} must have a non-negative debit or credit, not both",
                e.transaction_id, e.account
            )));
        }
        *sums
            .entry((e.transaction_id.as_str(), e.currency))
            .or_default() += e.debit_minor - e.credit_minor;
    }
    if let Some(((tx, cur), diff)) = sums.into_iter().find(|(_, d)| *d != 0) {
        return Err(InvoiceError::Unbalanced(format!(
            "transaction {tx} is off by {} {cur}",
            format::amount_plain(diff, cur)
        )));
    }
    Ok(())
}

/// The journal as CSV:
/// `date,transaction,kind,organization,document,account,description,debit,credit,currency`,
/// one row per entry, in the given order. Fails if the journal does not balance.
pub fn journal_csv(entries: &[LedgerEntry]) -> Result<String, InvoiceError> {
    check_balanced(entries)?;
    let mut out = String::from(
        "date,transaction,kind,organization,document,account,description,debit,credit,currency\r\n",
    );
    for e in entries {
        let debit = if e.debit_minor != 0 {
            format::amount_plain(e.debit_minor, e.currency)
        } else {
            String::new()
        };
        let credit = if e.credit_minor != 0 {
            format::amount_plain(e.credit_minor, e.currency)
        } else {
            String::new()
        };
        csv_row(
            &mut out,
            &[
                &format::date(e.date),
                &e.transaction_id,
                &e.kind,
                &e.organization,
                e.document.as_deref().unwrap_or(""),
                &e.account,
                &e.description,
                &debit,
                &credit,
                e.currency.code(),
            ],
        );
    }
    Ok(out)
}

/// Appends one RFC 4180 row. Fields that a spreadsheet would run as a formula are
/// prefixed with an apostrophe (CSV injection, see [`formula_risk`]).
pub(crate) fn csv_row(out: &mut String, fields: &[&str]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let f = if formula_risk(f) {
            format!("'{f}")
        } else {
            (*f).to_string()
        };
        if f.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&f);
        }
    }
    out.push_str("\r\n");
}

/// True when a spreadsheet could read `field` as a formula: it starts (possibly after
/// spaces, tabs or line breaks) with `=`, `+`, `-`, `@` or their full-width forms, or with
/// a tab or CR, and it is not a plain decimal number. OWASP's CSV injection guidance: a
/// minus followed by digits is still a formula when anything but a number follows
/// (`-1+1+cmd|' /C calc'!A0`), so only a whole plain number passes.
fn formula_risk(field: &str) -> bool {
    if is_plain_decimal(field) {
        return false;
    }
    if field.starts_with(['\t', '\r']) {
        return true;
    }
    field
        .trim_start_matches([' ', '\t', '\r', '\n'])
        .starts_with([
            '=', '+', '-', '@', '\u{ff1d}', '\u{ff0b}', '\u{ff0d}', '\u{ff20}',
        ])
}

/// `-12.50`, `3`, `0.5`: an optional minus, digits, optionally a dot and digits.
fn is_plain_decimal(field: &str) -> bool {
    let digits = field.strip_prefix('-').unwrap_or(field);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_neutralises_formulas() {
        let mut s = String::new();
        csv_row(
            &mut s,
            &["a,b", "say \"hi\"", "=SUM(A1)", "-12.50", "plain"],
        );
        assert_eq!(s, "\"a,b\",\"say \"\"hi\"\"\",'=SUM(A1),-12.50,plain\r\n");
    }

    fn cell(field: &str) -> String {
        let mut s = String::new();
        csv_row(&mut s, &[field]);
        s.trim_end_matches("\r\n").to_string()
    }

    #[test]
    fn a_formula_behind_a_leading_minus_or_plus_is_neutralised() {
        // OWASP CSV injection: a spreadsheet runs a field starting with = + - @ (also after
        // a tab, a CR or spaces) as a formula, a minus followed by digits and an operator too.
        for payload in [
            "-1+1+cmd|' /C calc'!A0",
            "+1+1+cmd|' /C calc'!A0",
            "-2-HYPERLINK(\"http://evil.example\")",
            "-1e3",
            "-12.50+1",
            "@SUM(1+1)*cmd|' /C calc'!A0",
            "\t=1+1",
            "\r=1+1",
            " =1+1",
            "\u{ff1d}1+1",
            "-",
            "+",
        ] {
            let out = cell(payload);
            let unquoted = out
                .strip_prefix('"')
                .and_then(|o| o.strip_suffix('"'))
                .map_or(out.clone(), |o| o.replace("\"\"", "\""));
            assert!(
                unquoted.starts_with('\''),
                "{payload:?} reached the CSV as {out:?}"
            );
        }
    }

    #[test]
    fn plain_numbers_and_ordinary_text_stay_as_they_are() {
        for plain in [
            "-12.50",
            "12.50",
            "0",
            "-3",
            "2025-04-01",
            "Acme GmbH",
            "ORG-0042",
            "",
        ] {
            assert_eq!(cell(plain), plain);
        }
    }
}
