//! The books behind an accountant's export: the billing engine's double-entry ledger
//! turned into the journal, and reconciled with the documents issued.
//!
//! **Input.** [`Books`] holds the ledger transactions ([`BookTxn`], amounts in micro-units
//! of the major unit, the ledger's sign: positive credits an account, negative debits it)
//! and the issued documents ([`BookDocument`], minor units). The caller passes every
//! transaction dated in the period, plus the *context* the checks need: every usage and
//! invoice posting of each (organization, currency, month) that a usage transaction or an
//! invoice of the period belongs to, and every document those transactions name.
//!
//! **Journal.** One row per ledger entry of every transaction dated in the period, in
//! minor units. Postings of whole minor units print as they are. Usage accrues in
//! micro-units, so it is rounded with the product's one rule (half away from zero)
//! *cumulatively per organization, currency and month*: a day's usage row is the month's
//! usage-to-date after that day, rounded, minus the same before it. The usage rows of a
//! month therefore add up to its usage rounded once, whatever the period cut, and the
//! invoice's rounding row (the rounded invoice lines minus the accrued usage, rounded the
//! same way) brings the month to exactly the invoice total. Every transaction still
//! balances in minor units; a row whose amount rounds to nothing keeps both columns empty.
//! A posting of any other kind that is not whole minor units
//! (none is today) is rounded entry by entry and its largest entry takes the remainder.
//!
//! **Reconciliation** (exact, in micro-units, per document and per transaction):
//! - an invoice's total equals what the customer's wallet was charged for the usage of the
//!   invoiced month (all of the month's usage postings, wherever the period cuts) plus
//!   the invoice's own posting (rounding and tax); its tax equals the tax posted;
//! - a receipt's total equals the wallet credit of its payment;
//! - a correcting credit note's total equals (negated) the wallet credit of its posting
//!   and its tax the tax reversed; a refund's credit note equals the wallet debit of the
//!   refund;
//! - every payment, refund, credit-note and invoice posting of the period belongs to a
//!   document of the right kind, for the same organization and currency, issued in the
//!   period (they are written in one database transaction, at the same instant);
//! - usage of a month whose invoices were all issued belongs to that month's invoice, and
//!   the invoice is checked even when it was issued after the period;
//! - manual adjustments have no document: they are listed with their reason.
//!
//! Usage of a month is invoiced on the 1st of the next, so an export of November holds
//! November's usage (not invoiced yet, or invoiced in December) and October's invoice
//! (whose usage was in October's export): each document is reconciled exactly against
//! the postings it bills, and the period's usage is reported with the invoice it belongs
//! to.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use cs_core::money::micros_to_minor_rounded;

use crate::format;
use crate::ledger::{csv_row, Accounts, LedgerEntry};
use crate::model::{Currency, DocumentKind, Period};

/// The ledger's accounts, as the billing engine keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BookAccount {
    /// A customer's prepaid wallet (a liability of the reseller).
    CustomerWallet,
    Revenue,
    TaxPayable,
    PaymentClearing,
    Adjustments,
    Rounding,
}

/// What a ledger transaction records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BookTxnKind {
    Usage,
    Payment,
    Adjustment,
    Invoice,
    CreditNote,
    Refund,
}

impl BookTxnKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BookTxnKind::Usage => "usage",
            BookTxnKind::Payment => "payment",
            BookTxnKind::Adjustment => "adjustment",
            BookTxnKind::Invoice => "invoice",
            BookTxnKind::CreditNote => "credit_note",
            BookTxnKind::Refund => "refund",
        }
    }
}

/// One entry: positive credits the account, negative debits it (micro-units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookEntry {
    pub account: BookAccount,
    pub micros: i64,
}

/// A ledger transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookTxn {
    pub id: i64,
    pub kind: BookTxnKind,
    /// The UTC day it was posted (a usage transaction: the day of the usage).
    pub date: NaiveDate,
    pub organization_id: String,
    pub currency: Currency,
    /// Usage and invoice postings: the month billed, `YYYY-MM`.
    pub month: Option<String>,
    /// The engine's description (payment reference, adjustment reason …).
    pub memo: String,
    /// The document the engine wrote with it.
    pub document_id: Option<String>,
    pub entries: Vec<BookEntry>,
}

/// An issued document, as far as the books are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookDocument {
    pub id: String,
    pub number: String,
    pub kind: DocumentKind,
    pub organization_id: String,
    pub currency: Currency,
    pub issue_date: NaiveDate,
    /// Invoices: the month billed, `YYYY-MM`.
    pub month: Option<String>,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    /// The ledger transaction written with it.
    pub ledger_txn_id: Option<i64>,
}

/// What [`reconcile`] looks at. See the module documentation.
pub struct Books<'a> {
    pub period: Period,
    pub transactions: &'a [BookTxn],
    pub documents: &'a [BookDocument],
    /// Organization id → name, for the journal and the messages.
    pub organizations: &'a BTreeMap<String, String>,
    /// Months (`YYYY-MM`) whose invoice run is complete: their usage must be invoiced.
    pub invoiced_months: &'a BTreeSet<String>,
}

/// One line of `reconciliation.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconciliationRow {
    pub organization_id: String,
    pub organization: String,
    pub currency: Currency,
    /// `invoices`, `receipts`, `credit_notes`, `refunds`, `adjustments`, `usage`.
    pub what: &'static str,
    /// Documents of the period compared (`None`: the ledger side has no documents).
    pub documents: Option<usize>,
    /// Their total, in the documents' sign (credit notes negative).
    pub documents_minor: Option<i64>,
    pub transactions: usize,
    /// The ledger's amount in the documents' sign, exact.
    pub ledger_micros: i64,
    /// Ledger minus documents (`None` where nothing is compared).
    pub difference_micros: Option<i64>,
    pub note: String,
}

/// A disagreement between a document and the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub organization: String,
    /// The document's number, when there is one.
    pub document: Option<String>,
    /// The ledger transaction, when the mismatch is one.
    pub transaction: Option<i64>,
    pub currency: Currency,
    /// Ledger minus document, micro-units.
    pub difference_micros: i64,
    /// A full sentence naming the organization, the document or transaction and the
    /// difference.
    pub message: String,
}

/// The result: the journal, the reconciliation, and what does not match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BooksReport {
    pub journal: Vec<LedgerEntry>,
    pub rows: Vec<ReconciliationRow>,
    pub mismatches: Vec<Mismatch>,
    /// Ledger transactions dated in the period.
    pub transactions: usize,
    /// Documents of the period checked against the ledger.
    pub documents_checked: usize,
}

impl BooksReport {
    pub fn is_reconciled(&self) -> bool {
        self.mismatches.is_empty()
    }
}

type Stream = (String, Currency, String);

/// The kinds of `reconciliation.csv`, in the order printed.
const WHAT: [&str; 6] = [
    "invoices",
    "receipts",
    "credit_notes",
    "refunds",
    "adjustments",
    "usage",
];

#[derive(Default)]
struct Acc {
    documents: usize,
    documents_minor: i64,
    transactions: usize,
    ledger_micros: i64,
    compared: bool,
    notes: BTreeSet<String>,
}

type Rows = BTreeMap<(String, Currency, usize), Acc>;

fn slot<'m>(rows: &'m mut Rows, org: &str, c: Currency, what: &str) -> &'m mut Acc {
    let i = WHAT.iter().position(|w| *w == what).unwrap_or(0);
    rows.entry((org.to_string(), c, i)).or_default()
}

fn wallet(t: &BookTxn) -> i64 {
    t.entries
        .iter()
        .filter(|e| e.account == BookAccount::CustomerWallet)
        .map(|e| e.micros)
        .sum()
}

fn account_micros(t: &BookTxn, a: BookAccount) -> i64 {
    t.entries
        .iter()
        .filter(|e| e.account == a)
        .map(|e| e.micros)
        .sum()
}

fn kind_name(k: DocumentKind) -> &'static str {
    match k {
        DocumentKind::Invoice => "invoice",
        DocumentKind::Receipt => "receipt",
        DocumentKind::CreditNote => "credit note",
    }
}

/// Builds the journal of the period from the ledger and reconciles it with the documents.
pub fn reconcile(b: &Books<'_>, accounts: &Accounts) -> BooksReport {
    let p = b.period;
    let inside = |d: NaiveDate| d >= p.start && d <= p.end;
    let name = |org: &str| {
        b.organizations
            .get(org)
            .cloned()
            .unwrap_or_else(|| org.to_string())
    };
    let money = |m: i64, c: Currency| format!("{} {}", format::micros_plain(m, c), c.code());

    let docs: HashMap<&str, &BookDocument> =
        b.documents.iter().map(|d| (d.id.as_str(), d)).collect();
    let txns: HashMap<i64, &BookTxn> = b.transactions.iter().map(|t| (t.id, t)).collect();
    // Usage postings per (organization, currency, month), in posting order.
    let mut usage: BTreeMap<Stream, Vec<&BookTxn>> = BTreeMap::new();
    let mut invoice_postings: HashMap<&str, Vec<&BookTxn>> = HashMap::new();
    for t in b.transactions {
        match (t.kind, &t.month) {
            (BookTxnKind::Usage, Some(m)) => usage
                .entry((t.organization_id.clone(), t.currency, m.clone()))
                .or_default()
                .push(t),
            (BookTxnKind::Invoice, _) => {
                if let Some(d) = &t.document_id {
                    invoice_postings.entry(d.as_str()).or_default().push(t);
                }
            }
            _ => {}
        }
    }
    for v in usage.values_mut() {
        v.sort_by_key(|t| (t.date, t.id));
        v.dedup_by_key(|t| t.id);
    }
    let mut invoice_of: BTreeMap<Stream, &BookDocument> = BTreeMap::new();
    for d in b
        .documents
        .iter()
        .filter(|d| d.kind == DocumentKind::Invoice)
    {
        if let Some(m) = &d.month {
            invoice_of.insert((d.organization_id.clone(), d.currency, m.clone()), d);
        }
    }

    // ---- The journal, in minor units.
    let mut in_period: Vec<&BookTxn> = b.transactions.iter().filter(|t| inside(t.date)).collect();
    in_period.sort_by_key(|t| (t.date, t.id));
    in_period.dedup_by_key(|t| t.id);
    let usage_minor = usage_rows_minor(&usage);
    let mut journal = Vec::new();
    for t in &in_period {
        let minor = minor_entries(t, &usage_minor);
        let document = match t.kind {
            BookTxnKind::Usage => t
                .month
                .as_ref()
                .and_then(|m| invoice_of.get(&(t.organization_id.clone(), t.currency, m.clone())))
                .map(|d| d.number.clone()),
            _ => t
                .document_id
                .as_deref()
                .and_then(|id| docs.get(id))
                .map(|d| d.number.clone()),
        };
        // A row whose exact amount rounds to nothing is kept (both columns empty):
        // every ledger transaction appears with its entries.
        for (account, amount) in minor {
            journal.push(LedgerEntry {
                transaction_id: t.id.to_string(),
                date: t.date,
                kind: t.kind.as_str().to_string(),
                organization: name(&t.organization_id),
                document: document.clone(),
                account: account_name(accounts, account).to_string(),
                description: t.memo.clone(),
                debit_minor: if amount < 0 { -amount } else { 0 },
                credit_minor: if amount > 0 { amount } else { 0 },
                currency: t.currency,
            });
        }
    }

    // ---- Reconciliation.
    let mut rows: Rows = BTreeMap::new();
    let mut mismatches = Vec::new();
    let mut claimed: BTreeSet<i64> = BTreeSet::new();
    let mut checked_invoices: BTreeSet<&str> = BTreeSet::new();
    let mut documents_checked = 0;

    // An invoice against the usage of its month and its own posting.
    let check_invoice = |d: &BookDocument,
                         claimed: &mut BTreeSet<i64>,
                         mismatches: &mut Vec<Mismatch>|
     -> (usize, i64) {
        let per = d.currency.micros_per_minor();
        let org = name(&d.organization_id);
        let Some(month) = &d.month else {
            mismatches.push(Mismatch {
                organization: org.clone(),
                document: Some(d.number.clone()),
                transaction: None,
                currency: d.currency,
                difference_micros: -d.total_minor * per,
                message: format!("{org}: invoice {} names no billed month, so it cannot be matched with the usage in the ledger", d.number),
            });
            return (0, 0);
        };
        let stream = (d.organization_id.clone(), d.currency, month.clone());
        let mut n = 0;
        let mut charged = 0;
        for t in usage.get(&stream).into_iter().flatten() {
            claimed.insert(t.id);
            charged -= wallet(t);
            n += 1;
        }
        let mut tax_posted = 0;
        let postings = invoice_postings
            .get(d.id.as_str())
            .cloned()
            .unwrap_or_default();
        for t in &postings {
            claimed.insert(t.id);
            charged -= wallet(t);
            tax_posted += account_micros(t, BookAccount::TaxPayable);
            n += 1;
        }
        if let Some(id) = d.ledger_txn_id {
            if !postings.iter().any(|t| t.id == id) {
                mismatches.push(Mismatch {
                    organization: org.clone(),
                    document: Some(d.number.clone()),
                    transaction: Some(id),
                    currency: d.currency,
                    difference_micros: 0,
                    message: format!("{org}: invoice {} names ledger transaction {id} as its posting, but the ledger has no invoice posting {id} for it", d.number),
                });
            }
        }
        let diff = charged - d.total_minor * per;
        if diff != 0 {
            mismatches.push(Mismatch {
                organization: org.clone(),
                document: Some(d.number.clone()),
                transaction: None,
                currency: d.currency,
                difference_micros: diff,
                message: format!(
                    "{org}: invoice {} bills {} but the ledger charged the wallet {} for the usage of {month} and the invoice's rounding and tax (difference {})",
                    d.number,
                    money(d.total_minor * per, d.currency),
                    money(charged, d.currency),
                    money(diff, d.currency)
                ),
            });
        } else if tax_posted != d.tax_minor * per {
            let diff = tax_posted - d.tax_minor * per;
            mismatches.push(Mismatch {
                organization: org.clone(),
                document: Some(d.number.clone()),
                transaction: None,
                currency: d.currency,
                difference_micros: diff,
                message: format!(
                    "{org}: invoice {} shows {} of tax but the ledger posted {} to tax payable (difference {})",
                    d.number,
                    money(d.tax_minor * per, d.currency),
                    money(tax_posted, d.currency),
                    money(diff, d.currency)
                ),
            });
        }
        (n, charged)
    };

    // Documents of the period.
    let mut period_docs: Vec<&BookDocument> = b
        .documents
        .iter()
        .filter(|d| inside(d.issue_date))
        .collect();
    period_docs.sort_by(|a, b| (a.issue_date, &a.number).cmp(&(b.issue_date, &b.number)));
    period_docs.dedup_by(|a, b| a.id == b.id);
    for d in &period_docs {
        documents_checked += 1;
        let per = d.currency.micros_per_minor();
        let org = name(&d.organization_id);
        let expected = d.total_minor * per;
        if d.kind == DocumentKind::Invoice {
            checked_invoices.insert(d.id.as_str());
            let (n, charged) = check_invoice(d, &mut claimed, &mut mismatches);
            let acc = slot(&mut rows, &d.organization_id, d.currency, "invoices");
            acc.documents += 1;
            acc.documents_minor += d.total_minor;
            acc.transactions += n;
            acc.ledger_micros += charged;
            acc.compared = true;
            continue;
        }
        let txn = d.ledger_txn_id.and_then(|id| txns.get(&id).copied());
        // (Invoices were handled above.) A refund's credit note is the money that
        // left the wallet; a correcting one gives money back to it.
        let (what, ledger) = match (d.kind, txn.map(|t| t.kind)) {
            (DocumentKind::Receipt, _) => ("receipts", txn.map(wallet)),
            (_, Some(BookTxnKind::Refund)) => ("refunds", txn.map(wallet)),
            _ => ("credit_notes", txn.map(|t| -wallet(t))),
        };
        let acc = slot(&mut rows, &d.organization_id, d.currency, what);
        acc.documents += 1;
        acc.documents_minor += d.total_minor;
        acc.compared = true;
        let expected_kind = match d.kind {
            DocumentKind::Receipt => &[BookTxnKind::Payment][..],
            _ => &[BookTxnKind::CreditNote, BookTxnKind::Refund][..],
        };
        let mut fail = |diff: i64, transaction: Option<i64>, why: String| {
            mismatches.push(Mismatch {
                organization: org.clone(),
                document: Some(d.number.clone()),
                transaction,
                currency: d.currency,
                difference_micros: diff,
                message: format!(
                    "{org}: {} {} ({}) {why}",
                    kind_name(d.kind),
                    d.number,
                    money(expected, d.currency)
                ),
            })
        };
        let Some(t) = txn else {
            fail(-expected, d.ledger_txn_id, match d.ledger_txn_id {
                Some(id) => format!("names ledger transaction {id}, which the ledger does not hold (difference {})", money(-expected, d.currency)),
                None => format!("has no ledger transaction (difference {})", money(-expected, d.currency)),
            });
            continue;
        };
        claimed.insert(t.id);
        acc.transactions += 1;
        let ledger = ledger.unwrap_or(0);
        acc.ledger_micros += ledger;
        if !inside(t.date) {
            fail(
                ledger - expected,
                Some(t.id),
                format!(
                    "is written with ledger transaction {}, dated {}, outside the period",
                    t.id, t.date
                ),
            );
            continue;
        }
        if !expected_kind.contains(&t.kind)
            || t.organization_id != d.organization_id
            || t.currency != d.currency
        {
            fail(
                ledger - expected,
                Some(t.id),
                format!(
                    "is written with ledger transaction {}, a {} of {} in {}, not its own",
                    t.id,
                    t.kind.as_str().replace('_', " "),
                    name(&t.organization_id),
                    t.currency.code()
                ),
            );
            continue;
        }
        if ledger != expected {
            fail(
                ledger - expected,
                Some(t.id),
                format!(
                    "does not match ledger transaction {}, which moved {} (difference {})",
                    t.id,
                    money(ledger, d.currency),
                    money(ledger - expected, d.currency)
                ),
            );
        } else if d.kind == DocumentKind::CreditNote && t.kind == BookTxnKind::CreditNote {
            let tax = account_micros(t, BookAccount::TaxPayable);
            if tax != d.tax_minor * per {
                fail(
                    tax - d.tax_minor * per,
                    Some(t.id),
                    format!(
                        "reverses {} of tax but ledger transaction {} reversed {} (difference {})",
                        money(d.tax_minor * per, d.currency),
                        t.id,
                        money(tax, d.currency),
                        money(tax - d.tax_minor * per, d.currency)
                    ),
                );
            }
        }
    }

    // Transactions of the period that no document of the period accounts for.
    for t in &in_period {
        let org = name(&t.organization_id);
        let m = wallet(t);
        match t.kind {
            BookTxnKind::Adjustment => {
                let acc = slot(&mut rows, &t.organization_id, t.currency, "adjustments");
                acc.transactions += 1;
                acc.ledger_micros += m;
                acc.notes
                    .insert("no document: each adjustment's reason is in journal.csv".into());
            }
            BookTxnKind::Usage => {
                let acc = slot(&mut rows, &t.organization_id, t.currency, "usage");
                acc.transactions += 1;
                acc.ledger_micros -= m;
                let Some(month) = &t.month else {
                    mismatches.push(Mismatch {
                        organization: org.clone(),
                        document: None,
                        transaction: Some(t.id),
                        currency: t.currency,
                        difference_micros: -m,
                        message: format!("{org}: usage transaction {} of {} names no month, so no invoice can bill it", t.id, t.date),
                    });
                    continue;
                };
                match invoice_of.get(&(t.organization_id.clone(), t.currency, month.clone())) {
                    Some(d) => {
                        acc.notes
                            .insert(format!("{month} invoiced by {}", d.number));
                        if checked_invoices.insert(d.id.as_str()) {
                            check_invoice(d, &mut claimed, &mut mismatches);
                        }
                    }
                    None if b.invoiced_months.contains(month) => {
                        let total: i64 = usage
                            .get(&(t.organization_id.clone(), t.currency, month.clone()))
                            .into_iter()
                            .flatten()
                            .map(|u| -wallet(u))
                            .sum();
                        let key = format!("never invoiced {month}");
                        if acc.notes.insert(key) {
                            mismatches.push(Mismatch {
                                organization: org.clone(),
                                document: None,
                                transaction: Some(t.id),
                                currency: t.currency,
                                difference_micros: total,
                                message: format!(
                                    "{org}: the ledger charged {} of usage in {month} (transaction {} and others of that month) but no invoice was issued for it, although {month} was invoiced (difference {})",
                                    money(total, t.currency),
                                    t.id,
                                    money(total, t.currency)
                                ),
                            });
                        }
                    }
                    None => {
                        acc.notes.insert(format!("{month} not invoiced yet (invoices are issued on the 1st of the next month)"));
                    }
                }
            }
            BookTxnKind::Payment
            | BookTxnKind::Refund
            | BookTxnKind::CreditNote
            | BookTxnKind::Invoice => {
                if claimed.contains(&t.id) {
                    continue;
                }
                let (what, signed, noun, article) = match t.kind {
                    BookTxnKind::Payment => ("receipts", m, "receipt", "a"),
                    BookTxnKind::Refund => ("refunds", m, "credit note", "a"),
                    BookTxnKind::CreditNote => ("credit_notes", -m, "credit note", "a"),
                    _ => ("invoices", -m, "invoice", "an"),
                };
                let acc = slot(&mut rows, &t.organization_id, t.currency, what);
                acc.transactions += 1;
                acc.ledger_micros += signed;
                acc.compared = true;
                let why = match t.document_id.as_deref().and_then(|id| docs.get(id)) {
                    Some(d) if !inside(d.issue_date) => format!(
                        "belongs to {} {} issued on {}, outside the period",
                        kind_name(d.kind),
                        d.number,
                        d.issue_date
                    ),
                    Some(d) => format!(
                        "belongs to {} {}, which does not name it",
                        kind_name(d.kind),
                        d.number
                    ),
                    None => format!("has no {noun}"),
                };
                mismatches.push(Mismatch {
                    organization: org.clone(),
                    document: None,
                    transaction: Some(t.id),
                    currency: t.currency,
                    difference_micros: signed,
                    message: format!(
                        "{org}: ledger transaction {} of {} (\"{}\", {} on the wallet) {why}: every {} must come with {article} {noun} (difference {})",
                        t.id,
                        t.date,
                        t.memo,
                        money(m, t.currency),
                        t.kind.as_str().replace('_', " "),
                        money(signed, t.currency)
                    ),
                });
            }
        }
    }

    let rows = rows
        .into_iter()
        .map(|((org, currency, i), a)| {
            let what = WHAT[i];
            let documents_row = what != "adjustments" && what != "usage";
            ReconciliationRow {
                organization: name(&org),
                organization_id: org,
                currency,
                what,
                documents: documents_row.then_some(a.documents),
                documents_minor: documents_row.then_some(a.documents_minor),
                transactions: a.transactions,
                ledger_micros: a.ledger_micros,
                difference_micros: (documents_row && a.compared)
                    .then(|| a.ledger_micros - a.documents_minor * currency.micros_per_minor()),
                note: a
                    .notes
                    .into_iter()
                    .filter(|n| !n.starts_with("never invoiced"))
                    .collect::<Vec<_>>()
                    .join("; "),
            }
        })
        .collect();
    mismatches.sort_by(|a, b| {
        (&a.organization, &a.document, a.transaction).cmp(&(
            &b.organization,
            &b.document,
            b.transaction,
        ))
    });
    mismatches.dedup();
    BooksReport {
        journal,
        rows,
        mismatches,
        transactions: in_period.len(),
        documents_checked,
    }
}

fn account_name(a: &Accounts, k: BookAccount) -> &str {
    match k {
        BookAccount::CustomerWallet => &a.customer_wallets,
        BookAccount::Revenue => &a.revenue,
        BookAccount::TaxPayable => &a.tax_payable,
        BookAccount::PaymentClearing => &a.payment_clearing,
        BookAccount::Adjustments => &a.adjustments,
        BookAccount::Rounding => &a.rounding,
    }
}

/// Per usage transaction id: its usage in minor units, rounded cumulatively per month,
/// and per stream the month's usage rounded once.
struct UsageMinor {
    per_txn: HashMap<i64, i64>,
    per_stream_micros: BTreeMap<Stream, i64>,
}

fn usage_rows_minor(usage: &BTreeMap<Stream, Vec<&BookTxn>>) -> UsageMinor {
    let mut per_txn = HashMap::new();
    let mut per_stream_micros = BTreeMap::new();
    for (stream, txns) in usage {
        let mut cum = 0i64;
        for t in txns {
            let charged = -wallet(t);
            let before = micros_to_minor_rounded(cum, stream.1);
            cum += charged;
            per_txn.insert(t.id, micros_to_minor_rounded(cum, stream.1) - before);
        }
        per_stream_micros.insert(stream.clone(), cum);
    }
    UsageMinor {
        per_txn,
        per_stream_micros,
    }
}

/// The entries of a transaction in minor units (ledger sign), balanced.
fn minor_entries(t: &BookTxn, u: &UsageMinor) -> Vec<(BookAccount, i64)> {
    let c = t.currency;
    let shape = |accounts: &[BookAccount]| {
        t.entries.len() == accounts.len() && t.entries.iter().all(|e| accounts.contains(&e.account))
    };
    // Usage: wallet → revenue, cumulative per month.
    if t.kind == BookTxnKind::Usage && shape(&[BookAccount::CustomerWallet, BookAccount::Revenue]) {
        if let Some(d) = u.per_txn.get(&t.id) {
            return vec![
                (BookAccount::CustomerWallet, -d),
                (BookAccount::Revenue, *d),
            ];
        }
    }
    // Invoice: the rounding row completes the month's rounded usage to the invoice lines.
    if t.kind == BookTxnKind::Invoice
        && t.entries.iter().all(|e| {
            matches!(
                e.account,
                BookAccount::CustomerWallet | BookAccount::Rounding | BookAccount::TaxPayable
            )
        })
    {
        if let Some(month) = &t.month {
            let used = u
                .per_stream_micros
                .get(&(t.organization_id.clone(), c, month.clone()))
                .copied()
                .unwrap_or(0);
            let r = account_micros(t, BookAccount::Rounding);
            let tax = account_micros(t, BookAccount::TaxPayable);
            let rounding = micros_to_minor_rounded(used + r, c) - micros_to_minor_rounded(used, c);
            let tax = micros_to_minor_rounded(tax, c);
            let mut out = vec![(BookAccount::CustomerWallet, -(rounding + tax))];
            if t.entries.iter().any(|e| e.account == BookAccount::Rounding) {
                out.push((BookAccount::Rounding, rounding));
            }
            if t.entries
                .iter()
                .any(|e| e.account == BookAccount::TaxPayable)
            {
                out.push((BookAccount::TaxPayable, tax));
            }
            return out;
        }
    }
    // Anything else: entry by entry; the largest entry takes any remainder.
    let mut out: Vec<(BookAccount, i64)> = t
        .entries
        .iter()
        .map(|e| (e.account, micros_to_minor_rounded(e.micros, c)))
        .collect();
    let rest: i64 = out.iter().map(|e| e.1).sum();
    if rest != 0 {
        if let Some(big) = out.iter_mut().max_by_key(|e| e.1.abs()) {
            big.1 -= rest;
        }
    }
    out
}

/// `reconciliation.csv`: per organization, currency and kind, the documents' total, the
/// ledger's, and the difference.
pub fn reconciliation_csv(r: &BooksReport) -> String {
    let mut out = String::from("organization,organization_id,currency,what,documents,documents_total,ledger_transactions,ledger_total,difference,note\r\n");
    for row in &r.rows {
        let c = row.currency;
        csv_row(
            &mut out,
            &[
                &row.organization,
                &row.organization_id,
                c.code(),
                row.what,
                &row.documents.map(|n| n.to_string()).unwrap_or_default(),
                &row.documents_minor
                    .map(|m| format::amount_plain(m, c))
                    .unwrap_or_default(),
                &row.transactions.to_string(),
                &format::micros_plain(row.ledger_micros, c),
                &row.difference_micros
                    .map(|d| format::micros_plain(d, c))
                    .unwrap_or_default(),
                &row.note,
            ],
        );
    }
    out
}

#[cfg(test)]
#[path = "books_tests.rs"]
mod tests;
