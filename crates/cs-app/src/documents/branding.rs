//! The reseller's branding (Settings → Branding): the seller block, logo and
//! accent colour printed on every document, and the invoice preview.
//!
//! Issued documents keep the seller they were issued with: a trigger of
//! `migrations/0005_branding.sql` copies the branding in force into
//! `document_sellers` in the transaction that issues a document, and
//! [`seller_of`] prints from that copy. Saving the branding therefore only
//! changes documents issued afterwards. The tables' SQL is the documents
//! area's [`store`](super::store). It also holds what a Peppol e-invoice needs
//! of the seller (participant identifier, registration number, post code and
//! city, bank account); the screen lists what is still missing
//! ([`cs_invoice::seller_gaps`]).

use base64::Engine as _;
use chrono::NaiveDate;
use cs_core::ValidationErrors;
use cs_invoice as inv;
use cs_store::rusqlite::Connection;
use sha2::{Digest, Sha256};

use super::store;
pub(crate) use super::store::{in_force, logo_png, seller_of, SellerRow};
use crate::dto::{BrandingDto, BrandingInput, LogoDto, LogoUploadInput, PdfDto};
use crate::Subject;
use crate::{App, AppError, AppResult};

/// Largest logo file accepted.
pub const LOGO_MAX_BYTES: usize = 1024 * 1024;
/// Smallest and largest logo side in pixels.
pub const LOGO_MIN_SIDE: u32 = 16;
pub const LOGO_MAX_SIDE: u32 = 2000;
const DEFAULT_ACCENT: &str = "#2563eb";

fn logo_dto(c: &Connection, sha: &str) -> AppResult<Option<LogoDto>> {
    Ok(store::logo(c, sha)?.map(|(png, width, height)| LogoDto {
        id: sha.to_string(),
        width,
        height,
        bytes: u32::try_from(png.len()).unwrap_or(u32::MAX),
        data_url: format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&png)
        ),
    }))
}

/// `#rgb` / `#rrggbb` (any case) to `[r, g, b]`.
pub fn parse_accent(s: &str) -> Option<[u8; 3]> {
    let hex = s.trim().strip_prefix('#')?;
    let hex: String = match hex.len() {
        3 => hex.chars().flat_map(|c| [c, c]).collect(),
        6 => hex.to_string(),
        _ => return None,
    };
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([byte(0)?, byte(2)?, byte(4)?])
}

/// The seller block of the printable document.
pub(crate) fn to_seller(row: &SellerRow, logo: Option<Vec<u8>>) -> inv::Seller {
    let lines: Vec<String> = row
        .address_lines
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let electronic_address = match (&row.peppol_scheme, &row.peppol_id) {
        (Some(scheme), Some(value)) => Some(inv::ElectronicAddress {
            scheme: scheme.clone(),
            value: value.clone(),
        }),
        _ => None,
    };
    let bank_account = row.bank_iban.as_ref().map(|iban| inv::BankAccount {
        iban: iban.clone(),
        bic: row.bank_bic.clone(),
        holder: row
            .bank_holder
            .clone()
            .unwrap_or_else(|| row.legal_name.clone()),
    });
    inv::Seller {
        name: row.legal_name.clone(),
        address: inv::Address {
            lines,
            postal_code: text(&row.postal_code),
            city: text(&row.city),
            region: None,
            country: row.country.clone(),
        },
        tax_id: row.tax_id.clone(),
        registration_id: row.registration_id.clone(),
        email: row.email.clone(),
        phone: row.phone.clone(),
        website: row.website.clone(),
        footer_note: row.footer_note.clone(),
        electronic_address,
        logo_png: logo,
        accent_rgb: parse_accent(&row.accent).unwrap_or([37, 99, 235]),
        bank_account,
    }
}

/// What the seller lacks for valid e-invoices, as sentences for the Branding screen.
pub(crate) fn seller_gap_messages(row: &SellerRow) -> Vec<String> {
    inv::seller_gaps(&to_seller(row, None))
        .into_iter()
        .map(|g| g.message)
        .collect()
}

/// True when `s` holds a control or invisible format character (line breaks
/// excepted where a field has lines).
pub(crate) fn has_hidden_chars(s: &str) -> bool {
    s.chars().any(|c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2028}' | '\u{2029}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
    })
}

/// Checks a post code: letters, digits, spaces and dashes, at most 16.
pub(crate) fn check_postal_code(e: &mut ValidationErrors, field: &str, s: &str) -> Option<String> {
    let t = opt(s)?;
    if t.chars().count() > 16
        || !t
            .chars()
            .all(|c| c.is_alphanumeric() || c == ' ' || c == '-')
    {
        e.add(
            field,
            format!("{t:?} is not a post code: use letters, digits, spaces and dashes, at most 16"),
        );
    }
    Some(t)
}

/// Checks a city name: one line of at most 60 characters.
pub(crate) fn check_city(e: &mut ValidationErrors, field: &str, s: &str) -> Option<String> {
    let t = opt(s)?;
    if t.chars().count() > 60 || t.contains('\n') || has_hidden_chars(&t) {
        e.add(
            field,
            "The city is one line of at most 60 characters without control characters",
        );
    }
    Some(t)
}

/// Checks a Peppol participant identifier written `scheme:id`; returns (scheme, id).
pub(crate) fn check_peppol_id(
    e: &mut ValidationErrors,
    field: &str,
    s: &str,
) -> (Option<String>, Option<String>) {
    let Some(t) = opt(s) else {
        return (None, None);
    };
    match cs_core::validate::check_participant_id("", &t) {
        Ok(p) => (Some(p.scheme), Some(p.value)),
        Err(why) => {
            e.add(field, why);
            (None, None)
        }
    }
}

/// An IBAN without spaces, upper case, if its form and ISO 7064 check digits hold.
fn check_iban(s: &str) -> Result<String, String> {
    let iban: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let form = (15..=34).contains(&iban.len())
        && iban.chars().all(|c| c.is_ascii_alphanumeric())
        && iban[..2].chars().all(|c| c.is_ascii_uppercase())
        && iban[2..4].chars().all(|c| c.is_ascii_digit());
    if !form {
        return Err(format!(
            "{:?} is not an IBAN: write the country code, the check digits and the account, e.g. NO93 8601 1117 947",
            s.trim()
        ));
    }
    let rearranged = format!("{}{}", &iban[4..], &iban[..4]);
    let mut rem: u32 = 0;
    for c in rearranged.chars() {
        let v = c.to_digit(36).unwrap_or(0);
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    if rem != 1 {
        return Err(format!(
            "{:?} is not a valid IBAN: its check digits do not match; copy it from a bank statement",
            s.trim()
        ));
    }
    Ok(iban)
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn text(o: &Option<String>) -> String {
    o.clone().unwrap_or_default()
}

/// Validates the form; returns the row to store (logo not yet checked).
fn validate(input: &BrandingInput) -> Result<SellerRow, ValidationErrors> {
    let mut e = ValidationErrors::new();
    let legal_name =
        cs_core::validate::required_text(&mut e, "legalName", "Legal name", &input.legal_name, 120);
    let address_lines: Vec<&str> = input
        .address_lines
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if address_lines.len() > 4 {
        e.add(
            "addressLines",
            "Use at most 4 address lines (street, postal code and city, region)",
        );
    } else if address_lines.iter().any(|l| l.chars().count() > 80) {
        e.add(
            "addressLines",
            "An address line is longer than 80 characters: split it",
        );
    }
    let country = input.country.trim().to_ascii_uppercase();
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
        e.add(
            "country",
            format!(
                "{:?} is not an ISO 3166 country code: write two letters such as DE or NO",
                input.country
            ),
        );
    }
    let tax_id = match opt(&input.tax_id) {
        Some(t) if t.chars().count() > 40 => {
            e.add("taxId", "A VAT identifier has at most 40 characters");
            None
        }
        // Checked against the country only when the country itself is valid.
        Some(t) => match cs_core::validate::check_vat_id(
            &t,
            cs_core::org::is_country_code(&country).then_some(country.as_str()),
        ) {
            Ok(v) => Some(v.as_string()),
            Err(why) => {
                e.add("taxId", why);
                None
            }
        },
        None => None,
    };
    let postal_code = check_postal_code(&mut e, "postalCode", &input.postal_code);
    let city = check_city(&mut e, "city", &input.city);
    let registration_id = opt(&input.registration_id);
    if let Some(r) = &registration_id {
        if r.chars().count() > 40 || has_hidden_chars(r) || r.contains('\n') {
            e.add(
                "registrationId",
                "The registration number is one line of at most 40 characters",
            );
        }
    }
    let (peppol_scheme, peppol_id) = check_peppol_id(&mut e, "peppolId", &input.peppol_id);
    let bank_iban = match opt(&input.bank_iban) {
        Some(i) => match check_iban(&i) {
            Ok(i) => Some(i),
            Err(why) => {
                e.add("bankIban", why);
                None
            }
        },
        None => None,
    };
    let bank_bic = opt(&input.bank_bic).map(|b| b.replace(' ', "").to_ascii_uppercase());
    if let Some(b) = &bank_bic {
        let ok = (b.len() == 8 || b.len() == 11)
            && b.chars().all(|c| c.is_ascii_alphanumeric())
            && b[..6].chars().all(|c| c.is_ascii_alphabetic());
        if !ok {
            e.add(
                "bankBic",
                format!("{b:?} is not a BIC: it has 8 or 11 letters and digits, e.g. DNBANOKKXXX"),
            );
        }
        if bank_iban.is_none() && opt(&input.bank_iban).is_none() {
            e.add(
                "bankIban",
                "Give the IBAN the BIC belongs to, or leave the BIC empty",
            );
        }
    }
    let bank_holder = opt(&input.bank_holder);
    if let Some(h) = &bank_holder {
        if h.chars().count() > 70 || has_hidden_chars(h) || h.contains('\n') {
            e.add(
                "bankHolder",
                "The account holder is one line of at most 70 characters",
            );
        }
    }
    // Printed on documents and shown on the portal: the address the mailer
    // would accept, by its own parser.
    let email = cs_core::validate::optional_email(
        &mut e,
        "email",
        "Email",
        &input.email,
        cs_mail::check_address,
    );
    let phone = opt(&input.phone);
    if let Some(p) = &phone {
        let ok = p.chars().count() <= 30
            && p.chars()
                .all(|c| c.is_ascii_digit() || " +-()./".contains(c))
            && p.chars().any(|c| c.is_ascii_digit());
        if !ok {
            e.add("phone", "Write the phone number with digits, spaces and + - ( ) . / only, at most 30 characters");
        }
    }
    let website = opt(&input.website);
    if let Some(w) = &website {
        if w.chars().count() > 80 || w.contains(char::is_whitespace) || !w.contains('.') {
            e.add(
                "website",
                format!("{w:?} is not a web address such as www.example.com"),
            );
        }
    }
    let accent = match parse_accent(&input.accent) {
        Some([r, g, b]) => format!("#{r:02x}{g:02x}{b:02x}"),
        None => {
            e.add(
                "accent",
                format!(
                    "{:?} is not a colour: write it as #rrggbb, e.g. #2563eb",
                    input.accent
                ),
            );
            String::new()
        }
    };
    let payment_instructions = opt(&input.payment_instructions);
    if payment_instructions
        .as_ref()
        .is_some_and(|p| p.chars().count() > 600)
    {
        e.add(
            "paymentInstructions",
            "Payment instructions have at most 600 characters",
        );
    }
    let footer_note = opt(&input.footer_note);
    if let Some(f) = &footer_note {
        if f.chars().count() > 90 {
            e.add(
                "footerNote",
                "The footer note is one line of at most 90 characters",
            );
        } else if f.contains('\n') {
            e.add(
                "footerNote",
                "The footer note is one line: remove the line breaks",
            );
        }
    }
    e.into_result(SellerRow {
        legal_name,
        address_lines: address_lines.join("\n"),
        country,
        tax_id,
        email,
        phone,
        website,
        accent,
        payment_instructions,
        footer_note,
        logo_sha256: input.logo_id.clone().filter(|s| !s.is_empty()),
        postal_code,
        city,
        registration_id,
        peppol_scheme,
        peppol_id,
        bank_iban,
        bank_bic,
        bank_holder,
    })
}

/// A logo checked and normalized to an 8-bit PNG.
#[derive(Debug)]
pub struct CheckedLogo {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

fn logo_error(msg: impl Into<String>) -> AppError {
    AppError::validation("logo", msg)
}

fn check_side(width: u32, height: u32) -> AppResult<()> {
    if width < LOGO_MIN_SIDE || height < LOGO_MIN_SIDE {
        return Err(logo_error(format!("The logo is {width} × {height} pixels: use at least {LOGO_MIN_SIDE} × {LOGO_MIN_SIDE} so it prints sharply")));
    }
    if width > LOGO_MAX_SIDE || height > LOGO_MAX_SIDE {
        return Err(logo_error(format!("The logo is {width} × {height} pixels: scale it down to at most {LOGO_MAX_SIDE} pixels a side")));
    }
    Ok(())
}

/// Checks an uploaded file by its bytes (not its name): PNG or JPEG, at most
/// [`LOGO_MAX_BYTES`], sides within limits, fully decodable. Returns it as a
/// normalized 8-bit RGB(A) or grey PNG, which the PDF embeds.
pub fn check_logo(bytes: &[u8]) -> AppResult<CheckedLogo> {
    if bytes.is_empty() {
        return Err(logo_error("The file is empty: choose a PNG or JPEG image"));
    }
    if bytes.len() > LOGO_MAX_BYTES {
        return Err(logo_error(format!(
            "The file is {} KB: a logo may be at most {} KB; export it smaller",
            bytes.len().div_ceil(1024),
            LOGO_MAX_BYTES / 1024
        )));
    }
    let (width, height, color, pixels) = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = decoder.read_info().map_err(|e| {
            logo_error(format!(
                "The PNG cannot be read ({e}): save it again from an image editor"
            ))
        })?;
        let info = reader.info();
        check_side(info.width, info.height)?;
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| logo_error("The PNG is too large"))?;
        let mut buf = vec![0; size];
        let frame = reader.next_frame(&mut buf).map_err(|e| {
            logo_error(format!(
                "The PNG is damaged ({e}): save it again from an image editor"
            ))
        })?;
        buf.truncate(frame.buffer_size());
        (frame.width, frame.height, frame.color_type, buf)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        let mut decoder = jpeg_decoder::Decoder::new(std::io::Cursor::new(bytes));
        decoder.read_info().map_err(|e| {
            logo_error(format!(
                "The JPEG cannot be read ({e}): save it again from an image editor"
            ))
        })?;
        let info = decoder
            .info()
            .ok_or_else(|| logo_error("The JPEG has no image header"))?;
        check_side(u32::from(info.width), u32::from(info.height))?;
        let px = decoder.decode().map_err(|e| {
            logo_error(format!(
                "The JPEG is damaged ({e}): save it again from an image editor"
            ))
        })?;
        let (color, px) =
            match info.pixel_format {
                jpeg_decoder::PixelFormat::L8 => (png::ColorType::Grayscale, px),
                jpeg_decoder::PixelFormat::RGB24 => (png::ColorType::Rgb, px),
                jpeg_decoder::PixelFormat::CMYK32 => (
                    png::ColorType::Rgb,
                    px.chunks_exact(4)
                        .flat_map(|p| {
                            // Adobe CMYK JPEGs store inverted values: the channel is already 255 − ink.
                            let k = u16::from(p[3]);
                            [p[0], p[1], p[2]]
                                .map(|c| u8::try_from(u16::from(c) * k / 255).unwrap_or(255))
                        })
                        .collect(),
                ),
                jpeg_decoder::PixelFormat::L16 => return Err(logo_error(
                    "16-bit grey JPEGs are not supported: save the logo as an 8-bit JPEG or PNG",
                )),
            };
        (u32::from(info.width), u32::from(info.height), color, px)
    } else if bytes.starts_with(b"GIF8")
        || bytes.starts_with(b"RIFF")
        || bytes.starts_with(b"<svg")
        || bytes.starts_with(b"<?xml")
    {
        return Err(logo_error(
            "Only PNG and JPEG logos are accepted: export the logo as PNG",
        ));
    } else {
        return Err(logo_error("This file is not a PNG or JPEG image (its content says so, whatever its name): choose a .png or .jpg file"));
    };
    check_side(width, height)?;
    let mut png_bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png_bytes, width, height);
        enc.set_color(color);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::High);
        let mut w = enc
            .write_header()
            .map_err(|e| AppError::Internal(format!("encoding the logo: {e}")))?;
        w.write_image_data(&pixels)
            .map_err(|e| AppError::Internal(format!("encoding the logo: {e}")))?;
    }
    Ok(CheckedLogo {
        png: png_bytes,
        width,
        height,
    })
}

/// A sample invoice for the preview: two usage lines, tax, the given seller.
fn sample_invoice(
    seller: inv::Seller,
    payment_instructions: Option<String>,
    currency: &str,
) -> AppResult<inv::Document> {
    let day = |d| {
        NaiveDate::from_ymd_opt(2026, 1, d).ok_or_else(|| AppError::Internal("sample date".into()))
    };
    let currency = cs_core::Currency::parse(currency).unwrap_or(cs_core::Currency::EUR);
    let period = inv::Period {
        start: day(1)?,
        end: day(31)?,
    };
    let line = |description: &str, hours: i64, rate: i64, amount: i64| inv::Line {
        description: description.into(),
        period: Some(period),
        hours_milli: hours * 1000,
        unit_rate_micro: rate,
        amount_minor: amount,
        capped: false,
        tax_category: inv::TaxCategory::Standard,
        tax_rate_bp: 1900,
    };
    let lines = vec![
        line("Server web-1 (Starter, eu-west)", 744, 22_500, 1674),
        line("Server db-1 (Business, eu-west)", 400, 45_000, 1800),
    ];
    let net: i64 = lines.iter().map(|l| l.amount_minor).sum();
    let tax = 660; // 19 % of 34.74, rounded
    Ok(inv::Document {
        kind: cs_core::DocumentKind::Invoice,
        number: "INV-2026-000001".into(),
        issue_date: day(31)?,
        due_date: Some(day(31)?),
        period: Some(period),
        seller,
        buyer: inv::Buyer {
            organization: "Zoë Ødegård Consulting".into(),
            contact: Some("Zoë Ødegård".into()),
            address: inv::Address {
                lines: vec!["Storgata 5".into()],
                postal_code: "0155".into(),
                city: "Oslo".into(),
                region: None,
                country: "NO".into(),
            },
            tax_id: None,
            electronic_address: None,
            reference: "sample".into(),
        },
        lines,
        tax_breakdown: vec![inv::TaxBreakdown {
            category: inv::TaxCategory::Standard,
            rate_bp: 1900,
            taxable_minor: net,
            tax_minor: tax,
        }],
        totals: inv::Totals {
            net_minor: net,
            tax_minor: tax,
            gross_minor: net + tax,
            paid_minor: net + tax,
            due_minor: 0,
        },
        currency,
        reverse_charge: false,
        reverse_charge_wording: None,
        payment_status: inv::PaymentStatus::Paid {
            on: day(31)?,
            method: "wallet".into(),
        },
        notes: vec!["Sample invoice: this is how your documents will look.".into()],
        payment_instructions,
        corrects: None,
    })
}

fn row_to_input(r: &SellerRow) -> BrandingInput {
    BrandingInput {
        legal_name: r.legal_name.clone(),
        address_lines: r.address_lines.clone(),
        country: r.country.clone(),
        tax_id: text(&r.tax_id),
        email: text(&r.email),
        phone: text(&r.phone),
        website: text(&r.website),
        accent: r.accent.clone(),
        payment_instructions: text(&r.payment_instructions),
        footer_note: text(&r.footer_note),
        logo_id: r.logo_sha256.clone(),
        postal_code: text(&r.postal_code),
        city: text(&r.city),
        registration_id: text(&r.registration_id),
        peppol_id: match (&r.peppol_scheme, &r.peppol_id) {
            (Some(s), Some(v)) => format!("{s}:{v}"),
            _ => String::new(),
        },
        bank_iban: text(&r.bank_iban),
        bank_bic: text(&r.bank_bic),
        bank_holder: text(&r.bank_holder),
    }
}

impl App {
    /// The branding in force (defaults until the card is saved once).
    pub fn branding(&self) -> AppResult<BrandingDto> {
        self.store.read(|c| {
            let row = in_force(c)?;
            let saved = store::branding_saved(c)?;
            let logo = match &row.logo_sha256 {
                Some(sha) => logo_dto(c, sha)?,
                None => None,
            };
            let mut branding = row_to_input(&row);
            if branding.accent.is_empty() {
                branding.accent = DEFAULT_ACCENT.into();
            }
            Ok(BrandingDto {
                branding,
                logo,
                saved,
                e_invoice_gaps: seller_gap_messages(&row),
            })
        })
    }

    /// Checks an uploaded logo and keeps it (content-addressed) so the form
    /// can preview and save it. Unused uploads are removed on the next save.
    pub fn upload_logo(&self, input: LogoUploadInput) -> AppResult<LogoDto> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(input.data_base64.trim())
            .map_err(|_| {
                logo_error(format!(
                    "{} could not be read: choose the file again",
                    input.file_name
                ))
            })?;
        let logo = check_logo(&bytes)?;
        let sha = hex_sha256(&logo.png);
        let now = self.now();
        self.write(|tx| store::keep_logo(tx, &sha, &logo.png, logo.width, logo.height, now))?;
        self.store
            .read(|c| logo_dto(c, &sha))?
            .ok_or_else(|| AppError::Internal("the logo was not stored".into()))
    }

    /// Validates and saves the branding; documents issued from now on carry it.
    pub fn update_branding(&self, input: BrandingInput) -> AppResult<BrandingDto> {
        let row = validate(&input)?;
        let now = self.now();
        self.write(|tx| {
            if let Some(sha) = &row.logo_sha256 {
                if !store::logo_known(tx, sha)? {
                    return Err(logo_error("That logo is no longer stored: upload it again"));
                }
            }
            store::save_branding(tx, &row, now)?;
            // Uploads that were never saved, or were replaced, and that no document printed.
            store::prune_logos(tx)?;
            self.publish_portal_branding(tx)?;
            let logo = if row.logo_sha256.is_some() {
                "with a logo"
            } else {
                "without a logo"
            };
            tx.record(
                now,
                "branding.updated",
                Subject::settings(None),
                format!(
                    "Updated the branding: {} ({}), {logo}",
                    row.legal_name, row.country
                ),
            )
        })?;
        self.branding()
    }

    /// A sample invoice rendered with the given (possibly unsaved) branding.
    pub fn preview_branding(&self, input: BrandingInput) -> AppResult<PdfDto> {
        let row = validate(&input)?;
        let (logo, currency) = self.store.read(|c| {
            let logo =
                match &row.logo_sha256 {
                    Some(sha) => Some(logo_png(c, sha)?.ok_or_else(|| {
                        logo_error("That logo is no longer stored: upload it again")
                    })?),
                    None => None,
                };
            let currency = cs_billing::settings::BillingSettings::load(c)
                .map(|s| s.currency.code().to_string())
                .unwrap_or_else(|_| "EUR".into());
            Ok::<_, AppError>((logo, currency))
        })?;
        let doc = sample_invoice(
            to_seller(&row, logo),
            row.payment_instructions.clone(),
            &currency,
        )?;
        let pdf = inv::render_pdf(&doc)
            .map_err(|e| AppError::Internal(format!("rendering the preview: {e}")))?;
        Ok(PdfDto {
            file_name: "preview.pdf".into(),
            pdf_base64: base64::engine::general_purpose::STANDARD.encode(pdf),
        })
    }
}

pub(crate) fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_parse_short_and_long_forms() {
        assert_eq!(parse_accent("#2563EB"), Some([0x25, 0x63, 0xeb]));
        assert_eq!(parse_accent("#abc"), Some([0xaa, 0xbb, 0xcc]));
        assert_eq!(parse_accent("2563eb"), None);
        assert_eq!(parse_accent("#2563eg"), None);
        assert_eq!(parse_accent("#2563e"), None);
    }
}
