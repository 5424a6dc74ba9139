//! Sample documents shared by the tests and the benchmark.

use chrono::NaiveDate;
use cs_invoice::{
    line_amount_minor, Address, BankAccount, Buyer, CorrectedInvoice, Currency, Document,
    DocumentKind, ElectronicAddress, Line, PaymentStatus, Period, Seller, TaxBreakdown,
    TaxCategory, Totals,
};

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// A 96 × 32 RGBA logo: an accent block with a transparent cut-out.
pub fn logo_png() -> Vec<u8> {
    let (w, h) = (96_u32, 32_u32);
    let mut px = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            let inside = x < 32 || (x >= 40 && (8..24).contains(&y));
            let hole = (8..24).contains(&x) && (8..24).contains(&y);
            if inside && !hole {
                px.extend_from_slice(&[0x1d, 0x5f, 0xa8, 0xff]);
            } else {
                px.extend_from_slice(&[0, 0, 0, 0]);
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().expect("png header");
        writer.write_image_data(&px).expect("png data");
    }
    out
}

pub fn seller(with_logo: bool) -> Seller {
    Seller {
        name: "Nordlys Cloud AS".into(),
        address: Address {
            lines: vec!["Akersgata 1".into()],
            postal_code: "0158".into(),
            city: "Oslo".into(),
            region: None,
            country: "NO".into(),
        },
        tax_id: Some("NO995525828MVA".into()),
        registration_id: Some("995 525 828".into()),
        email: Some("billing@nordlys.example".into()),
        phone: None,
        website: None,
        footer_note: None,
        electronic_address: Some(ElectronicAddress {
            scheme: "0192".into(),
            value: "995525828".into(),
        }),
        logo_png: with_logo.then(logo_png),
        accent_rgb: [0x1d, 0x5f, 0xa8],
        bank_account: Some(BankAccount {
            iban: "NO93 8601 1117 947".into(),
            bic: Some("DNBANOKK".into()),
            holder: "Nordlys Cloud AS".into(),
        }),
    }
}

pub fn buyer(organization: &str, contact: Option<&str>, country: &str) -> Buyer {
    Buyer {
        organization: organization.into(),
        contact: contact.map(Into::into),
        address: Address {
            lines: vec!["Odos Ermou 12".into()],
            postal_code: "10563".into(),
            city: "Athens".into(),
            region: None,
            country: country.into(),
        },
        tax_id: vat_id(country).map(Into::into),
        electronic_address: Some(peppol_id(country)),
        reference: "ORG-0042".into(),
    }
}

/// A valid VAT identifier of a company in `country` (published examples), if it has VAT.
pub fn vat_id(country: &str) -> Option<&'static str> {
    Some(match country {
        "GR" => "EL094259216",
        "DE" => "DE136695976",
        "FR" => "FR40303265045",
        "NO" => "NO988077917MVA",
        "SE" => "SE123456789701",
        "DK" => "DK13585628",
        "BE" => "BE0403019261",
        "NL" => "NL004495445B01",
        "AT" => "ATU13585627",
        _ => return None,
    })
}

/// A valid Peppol participant identifier for a customer in `country`.
pub fn peppol_id(country: &str) -> ElectronicAddress {
    let (scheme, value) = match country {
        "GR" => ("9933", "EL094259216"),
        "DE" => ("9930", "DE136695976"),
        "FR" => ("0002", "303265045"),
        "NO" => ("0192", "988077917"),
        "DK" => ("0184", "DK13585628"),
        "BE" => ("0208", "0403019261"),
        _ => ("0088", "5790000435968"),
    };
    ElectronicAddress {
        scheme: scheme.into(),
        value: value.into(),
    }
}

/// Builds a consistent document from lines: breakdown and totals are computed the way the
/// billing engine would, with per-rate tax rounded half up.
pub fn document(
    kind: DocumentKind,
    number: &str,
    buyer: Buyer,
    lines: Vec<Line>,
    reverse_charge: bool,
    paid: bool,
) -> Document {
    let currency = Currency::parse("EUR").unwrap();
    let mut breakdown: Vec<TaxBreakdown> = Vec::new();
    for l in &lines {
        match breakdown
            .iter_mut()
            .find(|b| b.category == l.tax_category && b.rate_bp == l.tax_rate_bp)
        {
            Some(b) => b.taxable_minor += l.amount_minor,
            None => breakdown.push(TaxBreakdown {
                category: l.tax_category,
                rate_bp: l.tax_rate_bp,
                taxable_minor: l.amount_minor,
                tax_minor: 0,
            }),
        }
    }
    for b in &mut breakdown {
        b.tax_minor = (b.taxable_minor * i64::from(b.rate_bp) + 5_000) / 10_000;
    }
    let net: i64 = lines.iter().map(|l| l.amount_minor).sum();
    let tax: i64 = breakdown.iter().map(|b| b.tax_minor).sum();
    let gross = net + tax;
    let paid_minor = if paid { gross } else { 0 };
    Document {
        kind,
        number: number.into(),
        issue_date: date(2025, 4, 1),
        due_date: (kind == DocumentKind::Invoice).then(|| date(2025, 4, 15)),
        period: Some(Period { start: date(2025, 3, 1), end: date(2025, 3, 31) }),
        seller: seller(true),
        buyer,
        lines,
        tax_breakdown: breakdown,
        totals: Totals { net_minor: net, tax_minor: tax, gross_minor: gross, paid_minor, due_minor: gross - paid_minor },
        currency,
        reverse_charge,
        reverse_charge_wording: reverse_charge.then(|| {
            "Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC).".to_string()
        }),
        payment_status: if paid {
            PaymentStatus::Paid { on: date(2025, 4, 3), method: "PayPal".into() }
        } else {
            PaymentStatus::Unpaid
        },
        notes: vec!["Thank you for your business. Questions about this invoice: billing@nordlys.example".into()],
        payment_instructions: Some("Pay by bank transfer or top up your wallet in the customer portal.".into()),
        corrects: (kind == DocumentKind::CreditNote).then(|| CorrectedInvoice { number: "INV-2025-000041".into(), issue_date: date(2025, 3, 1) }),
    }
}

const PLANS: [(&str, i64, i64); 5] = [
    ("Linode 4 GB (g6-standard-2)", 36_000, 2_400),
    ("Linode 8 GB (g6-standard-4)", 72_000, 4_800),
    ("Dedicated 16 GB (g6-dedicated-8)", 216_000, 14_400),
    ("Backups for Linode 4 GB", 7_500, 500),
    ("Additional IPv4 address", 3_000, 200),
];

/// `n` usage lines: servers and add-ons, some capped at the monthly price.
pub fn usage_lines(n: usize, tax: TaxCategory, rate_bp: u32) -> Vec<Line> {
    let eur = Currency::parse("EUR").unwrap();
    (0..n)
        .map(|i| {
            let (plan, rate_micro, cap_minor) = PLANS[i % PLANS.len()];
            let hours_milli = if i % 3 == 0 {
                744_000
            } else {
                (100 + (i as i64 * 37) % 600) * 1_000
            };
            let uncapped = line_amount_minor(hours_milli, rate_micro, eur);
            let capped = uncapped > cap_minor;
            Line {
                description: format!("{plan} — web-{:03}.frankfurt", i + 1),
                period: Some(Period {
                    start: date(2025, 3, 1),
                    end: date(2025, 3, 31),
                }),
                hours_milli,
                unit_rate_micro: rate_micro,
                amount_minor: if capped { cap_minor } else { uncapped },
                capped,
                tax_category: tax,
                tax_rate_bp: rate_bp,
            }
        })
        .collect()
}

/// The three-script customer: a Greek organization, a Norwegian contact, a Russian line.
pub fn unicode_invoice() -> Document {
    let mut lines = usage_lines(4, TaxCategory::Standard, 2400);
    lines.push(Line {
        description: "Ёлкин Пётр — managed database (Постгрес)".into(),
        period: Some(Period {
            start: date(2025, 3, 1),
            end: date(2025, 3, 31),
        }),
        hours_milli: 744_000,
        unit_rate_micro: 20_000,
        amount_minor: 1_488,
        capped: false,
        tax_category: TaxCategory::Standard,
        tax_rate_bp: 2400,
    });
    document(
        DocumentKind::Invoice,
        "INV-2025-000042",
        buyer("Αθηνά Παπαδοπούλου", Some("Zoë Ødegård"), "GR"),
        lines,
        false,
        false,
    )
}

pub fn long_invoice(lines: usize) -> Document {
    document(
        DocumentKind::Invoice,
        "INV-2025-000120",
        buyer("Αθηνά Παπαδοπούλου Hosting", Some("Zoë Ødegård"), "GR"),
        usage_lines(lines, TaxCategory::Standard, 2400),
        false,
        false,
    )
}

pub fn reverse_charge_invoice() -> Document {
    document(
        DocumentKind::Invoice,
        "INV-2025-000043",
        buyer("Ёлкин Пётр GmbH", None, "DE"),
        usage_lines(3, TaxCategory::ReverseCharge, 0),
        true,
        true,
    )
}

pub fn credit_note() -> Document {
    let mut lines = usage_lines(1, TaxCategory::Standard, 2400);
    lines[0].description = "Refund: downtime credit for web-001.frankfurt".into();
    document(
        DocumentKind::CreditNote,
        "CN-2025-000007",
        buyer("Αθηνά Παπαδοπούλου", None, "GR"),
        lines,
        false,
        true,
    )
}

pub fn receipt() -> Document {
    let line = Line {
        description: "Wallet top-up via PayPal (capture 7XK21345AB)".into(),
        period: None,
        hours_milli: 0,
        unit_rate_micro: 0,
        amount_minor: 10_000,
        capped: false,
        tax_category: TaxCategory::OutsideScope,
        tax_rate_bp: 0,
    };
    let mut doc = document(
        DocumentKind::Receipt,
        "RCP-2025-000311",
        buyer("Zoë Ødegård Consulting", None, "NO"),
        vec![line],
        false,
        true,
    );
    doc.period = None;
    doc.notes = vec!["The amount was credited to your prepaid wallet.".into()];
    doc
}
