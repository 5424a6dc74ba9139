use super::*;
use crate::ledger::check_balanced;

fn eur() -> Currency {
    Currency::parse("EUR").unwrap()
}

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

const ORG: &str = "org-a";
use BookAccount::*;

fn txn(
    id: i64,
    kind: BookTxnKind,
    date: NaiveDate,
    month: Option<&str>,
    memo: &str,
    doc: Option<&str>,
    entries: &[(BookAccount, i64)],
) -> BookTxn {
    BookTxn {
        id,
        kind,
        date,
        organization_id: ORG.into(),
        currency: eur(),
        month: month.map(String::from),
        memo: memo.into(),
        document_id: doc.map(String::from),
        entries: entries
            .iter()
            .map(|(a, m)| BookEntry {
                account: *a,
                micros: *m,
            })
            .collect(),
    }
}

#[allow(clippy::too_many_arguments)]
fn doc(
    id: &str,
    number: &str,
    kind: DocumentKind,
    date: NaiveDate,
    month: Option<&str>,
    net: i64,
    tax: i64,
    txn: Option<i64>,
) -> BookDocument {
    BookDocument {
        id: id.into(),
        number: number.into(),
        kind,
        organization_id: ORG.into(),
        currency: eur(),
        issue_date: date,
        month: month.map(String::from),
        net_minor: net,
        tax_minor: tax,
        total_minor: net + tax,
        ledger_txn_id: txn,
    }
}

/// January: two servers of 0.5425 EUR each (lines 0.54 + 0.54), 25 % tax, invoiced on
/// 1 February. February: 0.30 of usage so far, a 20.00 top-up, a 5.00 refund, a 2.50
/// goodwill adjustment and a correcting credit note of 1.00 + 0.25 tax.
fn books() -> (Vec<BookTxn>, Vec<BookDocument>) {
    let txns = vec![
        txn(
            1,
            BookTxnKind::Usage,
            day(1, 30),
            Some("2026-01"),
            "Usage 2026-01-30",
            None,
            &[(CustomerWallet, -542_500), (Revenue, 542_500)],
        ),
        txn(
            2,
            BookTxnKind::Usage,
            day(1, 31),
            Some("2026-01"),
            "Usage 2026-01-31",
            None,
            &[(CustomerWallet, -542_500), (Revenue, 542_500)],
        ),
        // rounding 1.08 - 1.085 = -0.005; tax 0.27
        txn(
            3,
            BookTxnKind::Invoice,
            day(2, 1),
            Some("2026-01"),
            "Invoice for 2026-01: rounding and tax",
            Some("inv-1"),
            &[
                (CustomerWallet, -265_000),
                (Rounding, -5_000),
                (TaxPayable, 270_000),
            ],
        ),
        txn(
            4,
            BookTxnKind::Usage,
            day(2, 1),
            Some("2026-02"),
            "Usage 2026-02-01",
            None,
            &[(CustomerWallet, -300_000), (Revenue, 300_000)],
        ),
        txn(
            5,
            BookTxnKind::Payment,
            day(2, 3),
            None,
            "Payment by bank transfer, ref BANK-1",
            Some("rct-1"),
            &[(CustomerWallet, 20_000_000), (PaymentClearing, -20_000_000)],
        ),
        txn(
            6,
            BookTxnKind::Refund,
            day(2, 10),
            None,
            "Refund by PayPal, ref R-1: overpaid",
            Some("cn-1"),
            &[(CustomerWallet, -5_000_000), (PaymentClearing, 5_000_000)],
        ),
        txn(
            7,
            BookTxnKind::Adjustment,
            day(2, 12),
            None,
            "Adjustment: goodwill for the outage",
            None,
            &[(CustomerWallet, 2_500_000), (Adjustments, -2_500_000)],
        ),
        txn(
            8,
            BookTxnKind::CreditNote,
            day(2, 15),
            None,
            "Credit note: double-billed IP",
            Some("cn-2"),
            &[
                (CustomerWallet, 1_250_000),
                (Revenue, -1_000_000),
                (TaxPayable, -250_000),
            ],
        ),
    ];
    let docs = vec![
        doc(
            "inv-1",
            "INV-2026-000001",
            DocumentKind::Invoice,
            day(2, 1),
            Some("2026-01"),
            108,
            27,
            Some(3),
        ),
        doc(
            "rct-1",
            "RCT-2026-000001",
            DocumentKind::Receipt,
            day(2, 3),
            None,
            2000,
            0,
            Some(5),
        ),
        doc(
            "cn-1",
            "CN-2026-000001",
            DocumentKind::CreditNote,
            day(2, 10),
            None,
            -500,
            0,
            Some(6),
        ),
        doc(
            "cn-2",
            "CN-2026-000002",
            DocumentKind::CreditNote,
            day(2, 15),
            None,
            -100,
            -25,
            Some(8),
        ),
    ];
    (txns, docs)
}

fn run(txns: &[BookTxn], docs: &[BookDocument], period: Period, invoiced: &[&str]) -> BooksReport {
    let orgs: BTreeMap<String, String> = [(ORG.to_string(), "Zoë Ødegård".to_string())].into();
    let months: BTreeSet<String> = invoiced.iter().map(|m| m.to_string()).collect();
    reconcile(
        &Books {
            period,
            transactions: txns,
            documents: docs,
            organizations: &orgs,
            invoiced_months: &months,
        },
        &Accounts::default(),
    )
}

fn february() -> Period {
    Period {
        start: day(2, 1),
        end: day(2, 28),
    }
}

/// (transaction, account, debit, credit) of every row.
fn rows(r: &BooksReport) -> Vec<(String, String, i64, i64)> {
    r.journal
        .iter()
        .map(|e| {
            (
                e.transaction_id.clone(),
                e.account.clone(),
                e.debit_minor,
                e.credit_minor,
            )
        })
        .collect()
}

#[test]
fn rounding_matches_the_engines_rule() {
    let c = eur();
    assert_eq!(micros_to_minor_rounded(5_000, c), 1);
    assert_eq!(micros_to_minor_rounded(4_999, c), 0);
    assert_eq!(micros_to_minor_rounded(-5_000, c), -1);
    assert_eq!(micros_to_minor_rounded(1_085_000, c), 109);
    let jpy = Currency::parse("JPY").unwrap();
    assert_eq!(jpy.micros_per_minor(), 1_000_000);
    assert_eq!(micros_to_minor_rounded(1_500_000, jpy), 2);
    assert_eq!(format::micros_plain(16_740_000, c), "16.74");
    assert_eq!(format::micros_plain(16_742_500, c), "16.7425");
    assert_eq!(format::micros_plain(-5_000, c), "-0.005");
    assert_eq!(format::micros_plain(0, c), "0.00");
    assert_eq!(format::micros_plain(1_500_000, jpy), "1.5");
    assert_eq!(format::micros_plain(2_000_000, jpy), "2");
}

#[test]
fn a_month_exports_a_balanced_journal_from_the_ledger_that_reconciles() {
    let (txns, docs) = books();
    let r = run(&txns, &docs, february(), &["2026-01"]);
    assert_eq!(r.mismatches, vec![], "everything matches");
    assert!(r.is_reconciled());
    assert_eq!(
        r.transactions, 6,
        "February's six ledger transactions; January's usage is context"
    );
    assert_eq!(r.documents_checked, 4);
    check_balanced(&r.journal).unwrap();
    let a = Accounts::default();
    let s = |x: &str| x.to_string();
    assert_eq!(
        rows(&r),
        vec![
            // The invoice's rounding row completes January's usage rounded cumulatively
            // (0.54 + 0.55 = 1.09) to its rounded lines (1.08), then the tax.
            (s("3"), a.customer_wallets.clone(), 26, 0),
            (s("3"), a.rounding.clone(), 1, 0),
            (s("3"), a.tax_payable.clone(), 0, 27),
            (s("4"), a.customer_wallets.clone(), 30, 0),
            (s("4"), a.revenue.clone(), 0, 30),
            (s("5"), a.customer_wallets.clone(), 0, 2000),
            (s("5"), a.payment_clearing.clone(), 2000, 0),
            (s("6"), a.customer_wallets.clone(), 500, 0),
            (s("6"), a.payment_clearing.clone(), 0, 500),
            (s("7"), a.customer_wallets.clone(), 0, 250),
            (s("7"), a.adjustments.clone(), 250, 0),
            (s("8"), a.customer_wallets.clone(), 0, 125),
            (s("8"), a.revenue.clone(), 100, 0),
            (s("8"), a.tax_payable.clone(), 25, 0),
        ]
    );
    // Documents and descriptions: usage relates to its month's invoice (none yet for
    // February), top-ups to receipts, refunds and corrections to credit notes, the
    // adjustment keeps its reason.
    let doc_of = |tx: &str| {
        r.journal
            .iter()
            .find(|e| e.transaction_id == tx)
            .unwrap()
            .document
            .clone()
    };
    assert_eq!(doc_of("3").as_deref(), Some("INV-2026-000001"));
    assert_eq!(doc_of("4"), None);
    assert_eq!(doc_of("5").as_deref(), Some("RCT-2026-000001"));
    assert_eq!(doc_of("6").as_deref(), Some("CN-2026-000001"));
    assert_eq!(doc_of("7"), None);
    assert_eq!(doc_of("8").as_deref(), Some("CN-2026-000002"));
    let adj = r.journal.iter().find(|e| e.transaction_id == "7").unwrap();
    assert_eq!(
        (
            adj.kind.as_str(),
            adj.organization.as_str(),
            adj.description.as_str()
        ),
        (
            "adjustment",
            "Zoë Ødegård",
            "Adjustment: goodwill for the outage"
        )
    );

    let csv = reconciliation_csv(&r);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines,
        vec![
            "organization,organization_id,currency,what,documents,documents_total,ledger_transactions,ledger_total,difference,note",
            "Zoë Ødegård,org-a,EUR,invoices,1,1.35,3,1.35,0.00,",
            "Zoë Ødegård,org-a,EUR,receipts,1,20.00,1,20.00,0.00,",
            "Zoë Ødegård,org-a,EUR,credit_notes,1,-1.25,1,-1.25,0.00,",
            "Zoë Ødegård,org-a,EUR,refunds,1,-5.00,1,-5.00,0.00,",
            "Zoë Ødegård,org-a,EUR,adjustments,,,1,2.50,,no document: each adjustment's reason is in journal.csv",
            "Zoë Ødegård,org-a,EUR,usage,,,1,0.30,,2026-02 not invoiced yet (invoices are issued on the 1st of the next month)",
        ]
    );
}

#[test]
fn the_usage_month_adds_up_to_the_invoice_whatever_the_period_cut() {
    let (txns, docs) = books();
    // January alone: its usage rows, invoiced by an invoice issued after the period.
    let jan = run(
        &txns,
        &docs,
        Period {
            start: day(1, 1),
            end: day(1, 31),
        },
        &["2026-01"],
    );
    assert_eq!(jan.mismatches, vec![]);
    assert_eq!(
        rows(&jan)
            .iter()
            .filter(|r| r.1.starts_with("2300"))
            .map(|r| r.2)
            .collect::<Vec<_>>(),
        vec![54, 55]
    );
    let usage = jan.rows.iter().find(|r| r.what == "usage").unwrap();
    assert_eq!(
        (usage.ledger_micros, usage.note.as_str()),
        (1_085_000, "2026-01 invoiced by INV-2026-000001")
    );
    assert!(jan
        .journal
        .iter()
        .all(|e| e.document.as_deref() == Some("INV-2026-000001")));
    // January and February together: usage + the invoice's posting = the invoice total.
    let both = run(
        &txns,
        &docs,
        Period {
            start: day(1, 1),
            end: day(2, 28),
        },
        &["2026-01"],
    );
    assert_eq!(both.mismatches, vec![]);
    let charged: i64 = both
        .journal
        .iter()
        .filter(|e| {
            ["1", "2", "3"].contains(&e.transaction_id.as_str()) && e.account.starts_with("2300")
        })
        .map(|e| e.debit_minor - e.credit_minor)
        .sum();
    assert_eq!(charged, 135);
}

#[test]
fn a_stray_payment_is_refused_naming_the_organization_the_transaction_and_the_difference() {
    let (mut txns, docs) = books();
    txns.push(txn(
        9,
        BookTxnKind::Payment,
        day(2, 20),
        None,
        "Payment by cash, ref STRAY",
        None,
        &[(CustomerWallet, 5_000_000), (PaymentClearing, -5_000_000)],
    ));
    let r = run(&txns, &docs, february(), &["2026-01"]);
    assert_eq!(r.mismatches.len(), 1, "{:?}", r.mismatches);
    let m = &r.mismatches[0];
    assert_eq!(
        (m.transaction, m.difference_micros, m.document.clone()),
        (Some(9), 5_000_000, None)
    );
    assert_eq!(
        m.message,
        "Zoë Ødegård: ledger transaction 9 of 2026-02-20 (\"Payment by cash, ref STRAY\", 5.00 EUR on the wallet) has no receipt: every payment must come with a receipt (difference 5.00 EUR)"
    );
    let receipts = r.rows.iter().find(|r| r.what == "receipts").unwrap();
    assert_eq!(
        (
            receipts.transactions,
            receipts.ledger_micros,
            receipts.difference_micros
        ),
        (2, 25_000_000, Some(5_000_000))
    );
    assert!(reconciliation_csv(&r).contains("receipts,1,20.00,2,25.00,5.00,"));
}

#[test]
fn stray_usage_in_an_invoiced_month_names_the_invoice_even_from_outside_the_period() {
    let (mut txns, docs) = books();
    txns.push(txn(
        9,
        BookTxnKind::Usage,
        day(1, 15),
        Some("2026-01"),
        "Usage 2026-01-15",
        None,
        &[(CustomerWallet, -100_000), (Revenue, 100_000)],
    ));
    for period in [
        february(),
        Period {
            start: day(1, 1),
            end: day(1, 31),
        },
    ] {
        let r = run(&txns, &docs, period, &["2026-01"]);
        assert_eq!(r.mismatches.len(), 1, "{:?}", r.mismatches);
        assert_eq!(
            r.mismatches[0].message,
            "Zoë Ødegård: invoice INV-2026-000001 bills 1.35 EUR but the ledger charged the wallet 1.45 EUR for the usage of 2026-01 and the invoice's rounding and tax (difference 0.10 EUR)"
        );
        assert_eq!(r.mismatches[0].document.as_deref(), Some("INV-2026-000001"));
    }
}

#[test]
fn documents_that_disagree_with_their_posting_or_usage_never_invoiced_are_named() {
    let (txns, mut docs) = books();
    docs[1].net_minor = 2100; // the receipt says 21.00, the payment was 20.00
    docs[1].total_minor = 2100;
    docs[3].tax_minor = -20; // the credit note's tax differs from what was reversed
    docs[3].total_minor = -120;
    let r = run(&txns, &docs, february(), &["2026-01"]);
    let msgs: Vec<&str> = r.mismatches.iter().map(|m| m.message.as_str()).collect();
    assert_eq!(
        msgs,
        vec![
            "Zoë Ødegård: credit note CN-2026-000002 (-1.20 EUR) does not match ledger transaction 8, which moved -1.25 EUR (difference -0.05 EUR)",
            "Zoë Ødegård: receipt RCT-2026-000001 (21.00 EUR) does not match ledger transaction 5, which moved 20.00 EUR (difference -1.00 EUR)",
        ]
    );

    // A receipt whose payment is dated outside the period.
    let (mut txns2, docs2) = books();
    txns2[4].date = day(1, 31);
    let r = run(&txns2, &docs2, february(), &["2026-01"]);
    assert_eq!(r.mismatches.len(), 1, "{:?}", r.mismatches);
    assert_eq!(r.mismatches[0].message, "Zoë Ødegård: receipt RCT-2026-000001 (20.00 EUR) is written with ledger transaction 5, dated 2026-01-31, outside the period");

    // January's invoice missing although January was invoiced.
    let (txns, docs) = books();
    let docs: Vec<BookDocument> = docs
        .into_iter()
        .filter(|d| d.kind != DocumentKind::Invoice)
        .collect();
    let r = run(
        &txns,
        &docs,
        Period {
            start: day(1, 1),
            end: day(1, 31),
        },
        &["2026-01"],
    );
    assert_eq!(r.mismatches.len(), 1);
    assert!(r.mismatches[0].message.starts_with("Zoë Ødegård: the ledger charged 1.085 EUR of usage in 2026-01 (transaction 1 and others of that month) but no invoice was issued for it"), "{}", r.mismatches[0].message);
    // Not yet invoiced: reported, not refused.
    let r = run(
        &txns,
        &docs,
        Period {
            start: day(1, 1),
            end: day(1, 31),
        },
        &[],
    );
    assert_eq!(r.mismatches, vec![]);
}

/// Many random months as the engine books them: usage accrued day by day in
/// micro-units, cut differently from the invoice lines, each line rounded once,
/// tax on the rounded lines, the invoice posting the rounding and the tax. Every
/// month reconciles, every journal balances, and the wallet rows of the usage and
/// the invoice posting add up to the invoice total to the cent, wherever the
/// period cuts the month.
#[test]
fn random_months_reconcile_and_add_up_to_their_invoice() {
    let mut seed: u64 = 0x5eed_cafe;
    let mut rnd = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let per = eur().micros_per_minor();
    for case in 0..400 {
        let lines: Vec<i64> = (0..1 + rnd(5)).map(|_| rnd(4_000_000) as i64).collect();
        let usage_total: i64 = lines.iter().sum();
        // The same usage accrued over random days (not aligned with the lines).
        let days = 1 + rnd(28) as u32;
        let mut left = usage_total;
        let mut txns = Vec::new();
        for d in 1..=days {
            let part = if d == days {
                left
            } else {
                (rnd(left.max(1) as u64 + 1) as i64).min(left)
            };
            left -= part;
            if part > 0 {
                txns.push(txn(
                    i64::from(d),
                    BookTxnKind::Usage,
                    day(1, d),
                    Some("2026-01"),
                    "Usage",
                    None,
                    &[(CustomerWallet, -part), (Revenue, part)],
                ));
            }
        }
        let subtotal: i64 = lines
            .iter()
            .map(|l| micros_to_minor_rounded(*l, eur()))
            .sum();
        let rate_bp = [0, 600, 2500][rnd(3) as usize];
        let tax = (subtotal * rate_bp + 5_000) / 10_000;
        let rounding = subtotal * per - usage_total;
        let mut entries = vec![(CustomerWallet, -(rounding + tax * per))];
        if rounding != 0 {
            entries.push((Rounding, rounding));
        }
        if tax != 0 {
            entries.push((TaxPayable, tax * per));
        }
        let posted = rounding != 0 || tax != 0;
        if posted {
            txns.push(txn(
                100,
                BookTxnKind::Invoice,
                day(2, 1),
                Some("2026-01"),
                "Invoice",
                Some("inv"),
                &entries,
            ));
        }
        let docs = vec![doc(
            "inv",
            "INV-1",
            DocumentKind::Invoice,
            day(2, 1),
            Some("2026-01"),
            subtotal,
            tax,
            posted.then_some(100),
        )];
        let cut = 1 + rnd(28) as u32;
        let whole = run(
            &txns,
            &docs,
            Period {
                start: day(1, 1),
                end: day(2, 28),
            },
            &["2026-01"],
        );
        assert_eq!(whole.mismatches, vec![], "case {case}");
        check_balanced(&whole.journal).unwrap();
        let wallet_rows = |r: &BooksReport| -> i64 {
            r.journal
                .iter()
                .filter(|e| e.account.starts_with("2300"))
                .map(|e| e.debit_minor - e.credit_minor)
                .sum()
        };
        assert_eq!(
            wallet_rows(&whole),
            subtotal + tax,
            "case {case}: usage rows + invoice rows = invoice total"
        );
        // Cut anywhere: the two parts add up to the same, and each reconciles.
        let a = run(
            &txns,
            &docs,
            Period {
                start: day(1, 1),
                end: day(1, cut),
            },
            &["2026-01"],
        );
        let b = run(
            &txns,
            &docs,
            Period {
                start: day(1, cut + 1),
                end: day(2, 28),
            },
            &["2026-01"],
        );
        assert!(
            a.mismatches.is_empty() && b.mismatches.is_empty(),
            "case {case}"
        );
        check_balanced(&a.journal).unwrap();
        check_balanced(&b.journal).unwrap();
        assert_eq!(
            wallet_rows(&a) + wallet_rows(&b),
            subtotal + tax,
            "case {case}, cut after day {cut}"
        );
    }
}
