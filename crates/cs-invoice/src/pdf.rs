//! The PDF: layout, pagination and serialization of a [`Document`].
//!
//! Layout happens first, into plain draw lists per page, so the page count is known before
//! anything is written and every footer can say "Page 2 / 3". The draw lists then become
//! printpdf ops; the fonts are subset to exactly the characters drawn ([`crate::font`]).
//! printpdf builds the object graph, and [`pdfa`] finishes it: document info and XMP
//! metadata from the document itself, an sRGB output intent, compressed streams, and a file
//! ID that is a hash of the content — so the same document always gives the same bytes.

#![allow(clippy::float_arithmetic)] // page coordinates are floats; money never is

mod pdfa;

use std::collections::{BTreeMap, BTreeSet};

use printpdf::{
    Codepoint, Color, CurTransMat, DictItem, FontId, Line as PdfLine, LinePoint, Op, PaintMode,
    PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, RawImage, RawImageData,
    RawImageFormat, Rect, Rgb, TextItem, TextMatrix, XObject, XObjectId, XObjectTransform,
};

use crate::font::{missing_font_hint, Face, FontRef};
use crate::format;
use crate::model::{Document, DocumentKind, PaymentStatus};
use crate::shape::{shape, ShapedLine};
use crate::InvoiceError;

/// Renders one document to PDF bytes. Same document in, same bytes out (on the same
/// installed fonts). Characters no installed font covers print as a box and are logged as
/// a warning; [`render_pdf_report`] returns them.
pub fn render_pdf(doc: &Document) -> Result<Vec<u8>, InvoiceError> {
    render_pdf_report(doc).map(|r| r.pdf)
}

/// A rendered PDF and what it could not draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedPdf {
    pub pdf: Vec<u8>,
    /// One sentence per script that printed as boxes because no installed font covers it,
    /// naming the characters and the Debian package that would.
    pub warnings: Vec<String>,
}

/// Renders like [`render_pdf`] and also says which characters printed as boxes.
pub fn render_pdf_report(doc: &Document) -> Result<RenderedPdf, InvoiceError> {
    let mut missing = BTreeSet::new();
    let pdf = render(doc, &mut |_| {}, &mut missing)?;
    let mut by_package: BTreeMap<(&str, &str), String> = BTreeMap::new();
    for c in missing {
        by_package.entry(missing_font_hint(c)).or_default().push(c);
    }
    let warnings: Vec<String> = by_package
        .into_iter()
        .map(|((script, package), chars)| {
            format!(
                "{}: no installed font has {script} characters \"{chars}\"; they print as boxes: install the Debian package {package}",
                doc.title()
            )
        })
        .collect();
    for w in &warnings {
        tracing::warn!("{w}");
    }
    Ok(RenderedPdf { pdf, warnings })
}

/// Where the time of one render goes: layout, font subsetting, building the object graph
/// (printpdf), and compression + writing. For the benchmark; `mark` is called after each
/// phase with its name.
#[doc(hidden)]
pub fn render_pdf_phased(
    doc: &Document,
    mark: &mut dyn FnMut(&'static str),
) -> Result<Vec<u8>, InvoiceError> {
    render(doc, mark, &mut BTreeSet::new())
}

fn render(
    doc: &Document,
    mark: &mut dyn FnMut(&'static str),
    missing: &mut BTreeSet<char>,
) -> Result<Vec<u8>, InvoiceError> {
    doc.validate()?;
    Face::regular()?;
    Face::bold()?;
    let pages = Layout::new(doc).run()?;
    for p in &pages {
        for t in &p.texts {
            missing.extend(t.line.missing.iter().copied());
        }
    }
    mark("layout");
    serialize(doc, &pages, mark)
}

/// Parses the embedded fonts now rather than on the first render (about 10 ms once per
/// process). Call it at start-up, off the UI thread.
pub fn prepare_fonts() -> Result<(), InvoiceError> {
    Face::regular()?;
    Face::bold()?;
    Ok(())
}

/// Renders many documents on `threads` worker threads (at least one), keeping the order of
/// `docs` in the result. Meant for month-end runs and exports, off any UI thread.
pub fn render_pdf_many(docs: &[Document], threads: usize) -> Vec<Result<Vec<u8>, InvoiceError>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    let threads = threads.max(1).min(docs.len().max(1));
    let next = AtomicUsize::new(0);
    type Slot = Option<Result<Vec<u8>, InvoiceError>>;
    let results: Mutex<Vec<Slot>> = Mutex::new((0..docs.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(doc) = docs.get(i) else { break };
                let r = render_pdf(doc);
                if let Ok(mut all) = results.lock() {
                    all[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(InvoiceError::Pdf("a render worker panicked".into()))))
        .collect()
}

// A4 in points.
const PAGE_W: f32 = 595.276;
const PAGE_H: f32 = 841.89;
const MARGIN_L: f32 = 48.0;
const MARGIN_R: f32 = 48.0;
const CONTENT_R: f32 = PAGE_W - MARGIN_R;
const CONTENT_W: f32 = CONTENT_R - MARGIN_L;
/// Lowest y the body may reach; the footer lives below.
const BODY_BOTTOM: f32 = 64.0;

const INK: [f32; 3] = [0.11, 0.12, 0.14];
const MUTED: [f32; 3] = [0.38, 0.40, 0.44];
const RULE: [f32; 3] = [0.82, 0.84, 0.87];
const ZEBRA: [f32; 3] = [0.965, 0.969, 0.976];
const WHITE: [f32; 3] = [1.0, 1.0, 1.0];

/// Line table columns: (left x, width). Numbers are right-aligned in their column.
const COL_DESC: (f32, f32) = (MARGIN_L, 214.0);
const COL_PERIOD: (f32, f32) = (MARGIN_L + 214.0, 100.0);
const COL_HOURS: (f32, f32) = (MARGIN_L + 314.0, 52.0);
const COL_RATE: (f32, f32) = (MARGIN_L + 366.0, 58.0);
const COL_AMOUNT: (f32, f32) = (MARGIN_L + 424.0, CONTENT_W - 424.0);
const CELL_PAD: f32 = 6.0;

struct TextRun {
    x: f32,
    y: f32,
    size: f32,
    rgb: [f32; 3],
    line: ShapedLine,
}

enum Shape {
    Fill {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        rgb: [f32; 3],
    },
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
        width: f32,
        rgb: [f32; 3],
    },
    Logo {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
}

#[derive(Default)]
struct PageDraw {
    shapes: Vec<Shape>,
    texts: Vec<TextRun>,
}

struct Layout<'a> {
    doc: &'a Document,
    /// The first font failure; layout goes on and `run` reports it.
    error: Option<InvoiceError>,
    accent: [f32; 3],
    logo_size: Option<(u32, u32)>,
    pages: Vec<PageDraw>,
    /// Top-down cursor on the current page.
    y: f32,
    hours_decimals: u32,
    rate_decimals: u32,
}

impl<'a> Layout<'a> {
    fn new(doc: &'a Document) -> Self {
        let [r, g, b] = doc.seller.accent_rgb;
        Layout {
            doc,
            error: None,
            accent: [
                f32::from(r) / 255.0,
                f32::from(g) / 255.0,
                f32::from(b) / 255.0,
            ],
            logo_size: doc.seller.logo_png.as_deref().and_then(png_size),
            pages: Vec::new(),
            y: PAGE_H,
            hours_decimals: format::hours_decimals(doc.lines.iter().map(|l| l.hours_milli), 2),
            rate_decimals: format::rate_decimals(
                doc.lines.iter().map(|l| l.unit_rate_micro),
                doc.currency,
            ),
        }
    }

    /// The shaped line; a font failure is kept for `run` to report.
    fn shaped(&mut self, text: &str, size: f32, bold: bool) -> ShapedLine {
        match shape(text, size, bold) {
            Ok(line) => line,
            Err(e) => {
                self.error.get_or_insert(e);
                ShapedLine::default()
            }
        }
    }

    /// Width of `text` as it will be drawn.
    fn measure(&self, text: &str, size: f32, bold: bool) -> f32 {
        shape(text, size, bold).map_or(0.0, |l| l.width)
    }

    fn page(&mut self) -> &mut PageDraw {
        if self.pages.is_empty() {
            self.pages.push(PageDraw::default());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, rgb: [f32; 3], text: &str) {
        if text.is_empty() {
            return;
        }
        let line = self.shaped(text, size, bold);
        self.page().texts.push(TextRun {
            x,
            y,
            size,
            rgb,
            line,
        });
    }

    fn text_right(&mut self, right: f32, y: f32, size: f32, bold: bool, rgb: [f32; 3], text: &str) {
        if text.is_empty() {
            return;
        }
        let line = self.shaped(text, size, bold);
        self.page().texts.push(TextRun {
            x: right - line.width,
            y,
            size,
            rgb,
            line,
        });
    }

    fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, rgb: [f32; 3]) {
        self.page().shapes.push(Shape::Fill { x, y, w, h, rgb });
    }

    fn rule(&mut self, x1: f32, x2: f32, y: f32, width: f32, rgb: [f32; 3]) {
        self.page().shapes.push(Shape::Rule {
            x1,
            x2,
            y,
            width,
            rgb,
        });
    }

    /// Greedy word wrap by measured width; words longer than the width are cut.
    fn wrap(&self, text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if self.measure(&candidate, size, bold) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                // The word alone may still be too wide: cut it.
                let mut piece = String::new();
                for c in word.chars() {
                    piece.push(c);
                    if self.measure(&piece, size, bold) > width && piece.chars().count() > 1 {
                        piece.pop();
                        lines.push(std::mem::take(&mut piece));
                        piece.push(c);
                    }
                }
                line = piece;
            }
            lines.push(line);
        }
        lines
    }

    /// The accent colour mixed with white; `strength` 1.0 is the accent itself.
    fn tint(&self, strength: f32) -> [f32; 3] {
        let [r, g, b] = self.accent;
        [
            1.0 - (1.0 - r) * strength,
            1.0 - (1.0 - g) * strength,
            1.0 - (1.0 - b) * strength,
        ]
    }

    fn run(mut self) -> Result<Vec<PageDraw>, InvoiceError> {
        self.first_page_header();
        self.line_table();
        self.summary();
        self.closing_text();
        self.footers();
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.pages),
        }
    }

    fn start_page(&mut self) {
        self.pages.push(PageDraw::default());
        let accent = self.accent;
        self.fill(0.0, PAGE_H - 6.0, PAGE_W, 6.0, accent);
        self.y = PAGE_H - 6.0;
    }

    /// Header of pages 2…n: who, what, and that it continues.
    fn continuation_header(&mut self) {
        self.start_page();
        let doc = self.doc;
        let top = PAGE_H - 36.0;
        self.text(MARGIN_L, top, 10.0, true, INK, &doc.seller.name);
        let what = format!("{} {} (continued)", doc.kind.title(), doc.number);
        self.text_right(CONTENT_R, top, 9.0, false, MUTED, &what);
        self.rule(MARGIN_L, CONTENT_R, top - 10.0, 0.6, RULE);
        self.y = top - 24.0;
    }

    /// Makes room for `h` points, starting a continuation page when the body is full.
    /// Returns true when a new page was started.
    fn ensure(&mut self, h: f32) -> bool {
        if self.y - h < BODY_BOTTOM {
            self.continuation_header();
            true
        } else {
            false
        }
    }

    fn first_page_header(&mut self) {
        self.start_page();
        let doc = self.doc;
        let s = &doc.seller;
        let accent = self.accent;

        // Left: logo, seller name and details.
        let mut left_y = PAGE_H - 40.0;
        if let Some((pw, ph)) = self.logo_size {
            let (max_w, max_h) = (128.0_f32, 48.0_f32);
            let scale = (max_w / pw as f32).min(max_h / ph as f32);
            let (w, h) = (pw as f32 * scale, ph as f32 * scale);
            self.page().shapes.push(Shape::Logo {
                x: MARGIN_L,
                y: left_y - h,
                w,
                h,
            });
            left_y -= h + 16.0;
        } else {
            left_y -= 10.0;
        }
        self.text(MARGIN_L, left_y, 13.0, true, INK, &s.name);
        left_y -= 14.0;
        let mut details: Vec<String> = s.address.lines.clone();
        details.push(city_line(
            &s.address.postal_code,
            &s.address.city,
            s.address.region.as_deref(),
        ));
        details.push(country_name(&s.address.country).to_string());
        details.retain(|d| !d.is_empty());
        if let Some(tax) = &s.tax_id {
            details.push(format!("VAT ID {tax}"));
        }
        if let Some(reg) = &s.registration_id {
            details.push(format!("Reg. no. {reg}"));
        }
        let contact: Vec<&str> = [&s.email, &s.phone, &s.website]
            .into_iter()
            .filter_map(|x| x.as_deref())
            .collect();
        if !contact.is_empty() {
            details.push(contact.join("  ·  "));
        }
        for d in details {
            self.text(MARGIN_L, left_y, 8.5, false, MUTED, &d);
            left_y -= 11.0;
        }

        // Right: title and document facts.
        let label_x = 340.0;
        let mut right_y = PAGE_H - 52.0;
        let title = doc.kind.title().to_uppercase();
        self.text_right(CONTENT_R, right_y, 22.0, true, accent, &title);
        right_y -= 26.0;
        let mut facts: Vec<(&str, String)> = vec![("Number", doc.number.clone())];
        facts.push(("Issue date", format::date(doc.issue_date)));
        if let Some(due) = doc.due_date {
            facts.push(("Due date", format::date(due)));
        }
        if let Some(p) = doc.period {
            facts.push((
                "Period",
                format!("{} – {}", format::date(p.start), format::date(p.end)),
            ));
        }
        facts.push(("Status", status_text(doc)));
        if let Some(c) = &doc.corrects {
            facts.push((
                "Corrects",
                format!("{} ({})", c.number, format::date(c.issue_date)),
            ));
        }
        for (label, value) in facts {
            self.text(label_x, right_y, 8.5, false, MUTED, label);
            self.text_right(CONTENT_R, right_y, 9.0, true, INK, &value);
            right_y -= 13.0;
        }

        // Bill-to block and the amount box, under whichever column ended lower.
        let block_top = left_y.min(right_y) - 16.0;
        self.rule(MARGIN_L, CONTENT_R, block_top + 8.0, 0.6, RULE);
        let b = &doc.buyer;
        let mut y = block_top - 10.0;
        let to_label = match doc.kind {
            DocumentKind::Receipt => "RECEIVED FROM",
            DocumentKind::Invoice => "BILL TO",
            DocumentKind::CreditNote => "CREDIT TO",
        };
        self.text(MARGIN_L, y, 7.5, true, accent, to_label);
        y -= 15.0;
        for line in self.wrap(&b.organization, 11.0, true, 270.0) {
            self.text(MARGIN_L, y, 11.0, true, INK, &line);
            y -= 13.5;
        }
        let mut lines: Vec<String> = Vec::new();
        if let Some(c) = &b.contact {
            lines.push(format!("Attn. {c}"));
        }
        lines.extend(b.address.lines.iter().cloned());
        lines.push(city_line(
            &b.address.postal_code,
            &b.address.city,
            b.address.region.as_deref(),
        ));
        lines.push(country_name(&b.address.country).to_string());
        if let Some(tax) = &b.tax_id {
            lines.push(format!("VAT ID {tax}"));
        }
        lines.push(format!("Customer reference {}", b.reference));
        for l in lines {
            self.text(MARGIN_L, y, 9.0, false, INK, &l);
            y -= 11.5;
        }

        // Amount box on the right.
        let box_x = 340.0;
        let box_w = CONTENT_R - box_x;
        let box_h = 58.0;
        let box_top = block_top - 2.0;
        let tint = self.tint(0.10);
        self.fill(box_x, box_top - box_h, box_w, box_h, tint);
        self.fill(box_x, box_top - box_h, 3.0, box_h, accent);
        let (label, minor) = match doc.kind {
            DocumentKind::Invoice => ("Amount due", doc.totals.due_minor),
            DocumentKind::Receipt => ("Amount received", doc.totals.gross_minor),
            DocumentKind::CreditNote => ("Total credited", doc.totals.gross_minor),
        };
        self.text(box_x + 12.0, box_top - 16.0, 8.5, false, MUTED, label);
        let amount = format!("{} {}", doc.currency, format::amount(minor, doc.currency));
        self.text(box_x + 12.0, box_top - 36.0, 17.0, true, INK, &amount);
        let sub = match (&doc.payment_status, doc.kind, doc.due_date) {
            (PaymentStatus::Paid { .. }, _, _) => status_text(doc),
            (_, DocumentKind::Invoice, Some(due)) => format!("Please pay by {}", format::date(due)),
            _ => status_text(doc),
        };
        self.text(box_x + 12.0, box_top - 50.0, 8.0, false, MUTED, &sub);

        self.y = y.min(box_top - box_h) - 22.0;
    }

    fn table_header(&mut self) {
        let h = 20.0;
        let top = self.y;
        let accent = self.accent;
        self.fill(MARGIN_L, top - h, CONTENT_W, h, accent);
        let ty = top - 13.5;
        let cur = self.doc.currency;
        self.text(COL_DESC.0 + CELL_PAD, ty, 8.0, true, WHITE, "Description");
        self.text(COL_PERIOD.0 + 2.0, ty, 8.0, true, WHITE, "Period");
        self.text_right(
            COL_HOURS.0 + COL_HOURS.1 - CELL_PAD,
            ty,
            8.0,
            true,
            WHITE,
            "Hours",
        );
        self.text_right(
            COL_RATE.0 + COL_RATE.1 - CELL_PAD,
            ty,
            8.0,
            true,
            WHITE,
            "Rate / h",
        );
        let amount = format!("Amount ({cur})");
        self.text_right(
            COL_AMOUNT.0 + COL_AMOUNT.1 - CELL_PAD,
            ty,
            8.0,
            true,
            WHITE,
            &amount,
        );
        self.y = top - h;
    }

    fn line_table(&mut self) {
        let doc = self.doc;
        self.ensure(20.0 + 30.0);
        self.table_header();
        let line_h = 11.5;
        for (i, line) in doc.lines.iter().enumerate() {
            let desc = self.wrap(&line.description, 9.0, false, COL_DESC.1 - 2.0 * CELL_PAD);
            let mut notes: Vec<String> = Vec::new();
            if line.capped {
                notes.push("Capped at the monthly price".to_string());
            }
            if doc.tax_breakdown.len() > 1 {
                notes.push(tax_label(line.tax_category, line.tax_rate_bp));
            }
            let period = line
                .period
                .map(|p| format!("{} – {}", format::date(p.start), format::date(p.end)))
                .unwrap_or_default();
            let text_h = desc.len() as f32 * line_h + notes.len() as f32 * 9.5;
            let row_h = text_h + 8.0;
            if self.ensure(row_h) {
                self.table_header();
            }
            let top = self.y;
            if i % 2 == 1 {
                self.fill(MARGIN_L, top - row_h, CONTENT_W, row_h, ZEBRA);
            }
            let first = top - 13.0;
            let mut y = first;
            for d in &desc {
                self.text(COL_DESC.0 + CELL_PAD, y, 9.0, false, INK, d);
                y -= line_h;
            }
            y += line_h - 9.5;
            for n in &notes {
                self.text(COL_DESC.0 + CELL_PAD, y, 7.5, false, MUTED, n);
                y -= 9.5;
            }
            self.text(COL_PERIOD.0 + 2.0, first, 7.0, false, INK, &period);
            // A line without hours (a top-up, a one-off credit) is a plain amount.
            if line.hours_milli != 0 {
                let hours = format::hours(line.hours_milli, self.hours_decimals);
                self.text_right(
                    COL_HOURS.0 + COL_HOURS.1 - CELL_PAD,
                    first,
                    9.0,
                    false,
                    INK,
                    &hours,
                );
                let rate = format::rate_fixed(line.unit_rate_micro, self.rate_decimals);
                self.text_right(
                    COL_RATE.0 + COL_RATE.1 - CELL_PAD,
                    first,
                    9.0,
                    false,
                    INK,
                    &rate,
                );
            }
            let amount = format::amount(line.amount_minor, doc.currency);
            self.text_right(
                COL_AMOUNT.0 + COL_AMOUNT.1 - CELL_PAD,
                first,
                9.0,
                false,
                INK,
                &amount,
            );
            self.rule(MARGIN_L, CONTENT_R, top - row_h, 0.4, RULE);
            self.y = top - row_h;
        }
        self.y -= 18.0;
    }

    /// Tax summary (left) and totals (right), kept together on one page.
    fn summary(&mut self) {
        let doc = self.doc;
        let cur = doc.currency;
        let tax_rows = doc.tax_breakdown.len() as f32;
        let total_rows = 5.0;
        let needed = (16.0 + 14.0 + tax_rows * 13.0).max(total_rows * 15.0 + 12.0);
        self.ensure(needed);
        let top = self.y;

        // Tax summary.
        let (x0, x1, x2, x3) = (
            MARGIN_L,
            MARGIN_L + 120.0,
            MARGIN_L + 190.0,
            MARGIN_L + 250.0,
        );
        let accent = self.accent;
        self.text(x0, top - 8.0, 7.5, true, accent, "TAX SUMMARY");
        let hy = top - 22.0;
        self.text(x0, hy, 7.5, true, MUTED, "Rate");
        self.text_right(x2, hy, 7.5, true, MUTED, "Taxable");
        self.text_right(x3, hy, 7.5, true, MUTED, "Tax");
        self.rule(x0, x3, hy - 4.0, 0.4, RULE);
        let mut y = hy - 15.0;
        for b in &doc.tax_breakdown {
            let label = tax_label(b.category, b.rate_bp);
            self.text(x0, y, 8.5, false, INK, &label);
            let _ = x1;
            self.text_right(
                x2,
                y,
                8.5,
                false,
                INK,
                &format::amount(b.taxable_minor, cur),
            );
            self.text_right(x3, y, 8.5, false, INK, &format::amount(b.tax_minor, cur));
            y -= 13.0;
        }
        let left_bottom = y;

        // Totals.
        let lx = 340.0;
        let mut ty = top - 8.0;
        let rows: Vec<(String, i64, bool)> = {
            let mut r = vec![
                ("Net total".to_string(), doc.totals.net_minor, false),
                ("Tax".to_string(), doc.totals.tax_minor, false),
                (format!("Total ({cur})"), doc.totals.gross_minor, true),
            ];
            if doc.totals.paid_minor != 0 && doc.kind != DocumentKind::Receipt {
                let paid = match doc.kind {
                    DocumentKind::CreditNote => "Refunded / credited",
                    _ => "Paid",
                };
                r.push((paid.to_string(), -doc.totals.paid_minor, false));
                let due = match doc.kind {
                    DocumentKind::CreditNote => "Remaining credit",
                    _ => "Amount due",
                };
                r.push((due.to_string(), doc.totals.due_minor, true));
            }
            r
        };
        for (label, minor, strong) in rows {
            if strong {
                let tint = self.tint(0.10);
                self.fill(lx - 6.0, ty - 5.0, CONTENT_R - lx + 6.0, 16.0, tint);
            }
            let size = if strong { 10.0 } else { 9.0 };
            self.text(lx, ty, size, strong, INK, &label);
            self.text_right(
                CONTENT_R - 4.0,
                ty,
                size,
                strong,
                INK,
                &format::amount(minor, cur),
            );
            ty -= 17.0;
        }
        self.y = left_bottom.min(ty) - 14.0;
    }

    /// Reverse-charge wording, notes and payment instructions, wrapped and paginated.
    fn closing_text(&mut self) {
        let doc = self.doc;
        let mut blocks: Vec<(&str, String)> = Vec::new();
        if doc.reverse_charge {
            if let Some(w) = &doc.reverse_charge_wording {
                blocks.push(("REVERSE CHARGE", w.clone()));
            }
        }
        if let Some(c) = &doc.corrects {
            blocks.push((
                "CORRECTION",
                format!(
                    "This credit note corrects {} issued on {}.",
                    c.number,
                    format::date(c.issue_date)
                ),
            ));
        }
        let mut payment = Vec::new();
        if let Some(p) = &doc.payment_instructions {
            payment.push(p.clone());
        }
        if let Some(acct) = &doc.seller.bank_account {
            let mut s = format!("Bank transfer to {}, IBAN {}", acct.holder, acct.iban);
            if let Some(bic) = &acct.bic {
                s.push_str(&format!(", BIC {bic}"));
            }
            s.push_str(&format!(", reference {}.", doc.number));
            payment.push(s);
        }
        if !payment.is_empty() && doc.kind == DocumentKind::Invoice {
            blocks.push(("PAYMENT", payment.join("\n")));
        }
        if !doc.notes.is_empty() {
            blocks.push(("NOTES", doc.notes.join("\n")));
        }
        let accent = self.accent;
        for (label, text) in blocks {
            let lines = self.wrap(&text, 8.5, false, CONTENT_W);
            self.ensure(14.0 + 11.0 * lines.len().min(3) as f32);
            self.text(MARGIN_L, self.y - 8.0, 7.5, true, accent, label);
            self.y -= 20.0;
            for l in lines {
                self.ensure(11.0);
                self.text(MARGIN_L, self.y, 8.5, false, INK, &l);
                self.y -= 11.0;
            }
            self.y -= 8.0;
        }
    }

    fn footers(&mut self) {
        let total = self.pages.len();
        let doc = self.doc;
        let mut who = vec![doc.seller.name.clone()];
        if let Some(t) = &doc.seller.tax_id {
            who.push(format!("VAT ID {t}"));
        }
        if let Some(m) = &doc.seller.email {
            who.push(m.clone());
        }
        let who = self.shaped(&who.join("  ·  "), 7.0, false);
        for i in 0..total {
            let page = &mut self.pages[i];
            page.shapes.push(Shape::Rule {
                x1: MARGIN_L,
                x2: CONTENT_R,
                y: 44.0,
                width: 0.5,
                rgb: RULE,
            });
            page.texts.push(TextRun {
                x: MARGIN_L,
                y: 32.0,
                size: 7.0,
                rgb: MUTED,
                line: who.clone(),
            });
            let number = match &doc.seller.footer_note {
                Some(note) => format!("{} {}  ·  {note}", doc.kind.title(), doc.number),
                None => format!("{} {}", doc.kind.title(), doc.number),
            };
            let label = self.shaped(&format!("Page {} / {}", i + 1, total), 7.5, false);
            let number = self.shaped(&number, 7.0, false);
            let page = &mut self.pages[i];
            page.texts.push(TextRun {
                x: MARGIN_L,
                y: 22.0,
                size: 7.0,
                rgb: MUTED,
                line: number,
            });
            page.texts.push(TextRun {
                x: CONTENT_R - label.width,
                y: 32.0,
                size: 7.5,
                rgb: MUTED,
                line: label,
            });
        }
    }
}

/// "VAT 19 %" for taxed categories; the category alone where no rate applies.
fn tax_label(category: crate::TaxCategory, rate_bp: u32) -> String {
    match category {
        crate::TaxCategory::Standard | crate::TaxCategory::ZeroRated => {
            format!("{} {} %", category.label(), format::percent(rate_bp))
        }
        _ => category.label().to_string(),
    }
}

fn status_text(doc: &Document) -> String {
    match (&doc.payment_status, doc.kind) {
        (PaymentStatus::Unpaid, DocumentKind::CreditNote) => "Not yet refunded".to_string(),
        (PaymentStatus::Unpaid, _) => "Unpaid".to_string(),
        (PaymentStatus::PartiallyPaid, _) => "Partially paid".to_string(),
        (PaymentStatus::Paid { on, method }, DocumentKind::CreditNote) => {
            format!("Refunded {} ({method})", format::date(*on))
        }
        (PaymentStatus::Paid { on, method }, _) => format!("Paid {} ({method})", format::date(*on)),
    }
}

fn city_line(postal: &str, city: &str, region: Option<&str>) -> String {
    let mut s = format!("{postal} {city}").trim().to_string();
    if let Some(r) = region {
        s.push_str(", ");
        s.push_str(r);
    }
    s
}

/// English country names for the countries a reseller most often bills; the ISO code
/// otherwise, which is unambiguous anyway.
fn country_name(code: &str) -> &str {
    match code {
        "AT" => "Austria",
        "BE" => "Belgium",
        "BG" => "Bulgaria",
        "CH" => "Switzerland",
        "CY" => "Cyprus",
        "CZ" => "Czechia",
        "DE" => "Germany",
        "DK" => "Denmark",
        "EE" => "Estonia",
        "ES" => "Spain",
        "FI" => "Finland",
        "FR" => "France",
        "GB" => "United Kingdom",
        "GR" => "Greece",
        "HR" => "Croatia",
        "HU" => "Hungary",
        "IE" => "Ireland",
        "IT" => "Italy",
        "LT" => "Lithuania",
        "LU" => "Luxembourg",
        "LV" => "Latvia",
        "MT" => "Malta",
        "NL" => "Netherlands",
        "NO" => "Norway",
        "PL" => "Poland",
        "PT" => "Portugal",
        "RO" => "Romania",
        "RS" => "Serbia",
        "SE" => "Sweden",
        "SI" => "Slovenia",
        "SK" => "Slovakia",
        "UA" => "Ukraine",
        "US" => "United States",
        "CA" => "Canada",
        other => other,
    }
}

fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let reader = decoder.read_info().ok()?;
    let info = reader.info();
    Some((info.width, info.height))
}

/// Decodes the logo to 8-bit pixels printpdf can embed.
fn decode_logo(bytes: &[u8]) -> Result<RawImage, InvoiceError> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder
        .read_info()
        .map_err(|e| InvoiceError::Logo(e.to_string()))?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| InvoiceError::Logo("image too large".into()))?;
    let mut buf = vec![0; size];
    let frame = reader
        .next_frame(&mut buf)
        .map_err(|e| InvoiceError::Logo(e.to_string()))?;
    buf.truncate(frame.buffer_size());
    let format = match frame.color_type {
        png::ColorType::Grayscale => RawImageFormat::R8,
        png::ColorType::GrayscaleAlpha => RawImageFormat::RG8,
        png::ColorType::Rgb => RawImageFormat::RGB8,
        png::ColorType::Rgba => RawImageFormat::RGBA8,
        png::ColorType::Indexed => return Err(InvoiceError::Logo("palette not expanded".into())),
    };
    Ok(RawImage {
        pixels: RawImageData::U8(buf),
        width: frame.width as usize,
        height: frame.height as usize,
        data_format: format,
        tag: Vec::new(),
    })
}

/// A face subset for this document: its resource name, original → subset glyph ids, the
/// text of each original glyph, and its units per em.
struct EmbeddedFont {
    id: FontId,
    remap: BTreeMap<u16, u16>,
    texts: BTreeMap<u16, String>,
    units_per_em: u16,
}

/// `/Span << /ActualText (…) >> BDC`: the reading-order text of shaped or right-to-left
/// glyphs, which is what text extraction and search then see.
fn actual_text(text: &str) -> Op {
    let mut data = vec![0xFE, 0xFF];
    for unit in text.encode_utf16() {
        data.extend(unit.to_be_bytes());
    }
    Op::BeginMarkedContentWithProperties {
        tag: "Span".into(),
        properties: DictItem::Dict {
            map: BTreeMap::from([(
                "ActualText".to_string(),
                DictItem::String {
                    data,
                    literal: false,
                },
            )]),
        },
    }
}

/// The glyphs of one segment: runs of glyphs without their own offset share one text
/// position and correct the PDF's advance (the font's width) to the shaped one; a glyph
/// the shaper moved (an Arabic or Indic mark) gets its own position.
fn draw_segment(
    ops: &mut Vec<Op>,
    t: &TextRun,
    seg: &crate::shape::Segment,
    font: &EmbeddedFont,
) -> Result<(), InvoiceError> {
    let units_per_em = font.units_per_em;
    let face = seg.font.face()?;
    // The width printpdf writes to /W, in thousandths of an em (truncated like printpdf).
    let pdf_width =
        |gid: u16| (f32::from(face.advance(gid)) * 1000.0 / f32::from(units_per_em)).trunc();
    let mut pen = t.x + seg.x;
    let mut run: Vec<Codepoint> = Vec::new();
    let mut run_x = pen;
    let flush = |ops: &mut Vec<Op>, run: &mut Vec<Codepoint>, x: f32, y: f32| {
        if run.is_empty() {
            return;
        }
        ops.push(Op::SetTextMatrix {
            matrix: TextMatrix::Translate(Pt(x), Pt(y)),
        });
        ops.push(Op::ShowText {
            items: vec![TextItem::GlyphIds(std::mem::take(run))],
        });
    };
    // One text per glyph for the whole document, so printpdf's ToUnicode is consistent.
    let text_of = |gid: u16| font.texts.get(&gid).filter(|s| !s.is_empty()).cloned();
    for g in &seg.glyphs {
        let new_gid = font.remap.get(&g.gid).copied().unwrap_or(0);
        let shaped = g.advance * 1000.0 / t.size;
        let correction = if seg.complex {
            let c = pdf_width(g.gid) - shaped;
            if c.abs() >= 0.5 {
                c.round()
            } else {
                0.0
            }
        } else {
            0.0
        };
        if g.dx != 0.0 || g.dy != 0.0 {
            flush(ops, &mut run, run_x, t.y);
            let mut one = vec![Codepoint {
                gid: new_gid,
                offset: 0.0,
                cid: text_of(g.gid),
            }];
            flush(ops, &mut one, pen + g.dx, t.y + g.dy);
            pen += g.advance;
            run_x = pen;
            continue;
        }
        if run.is_empty() {
            run_x = pen;
        }
        run.push(Codepoint {
            gid: new_gid,
            offset: correction,
            cid: text_of(g.gid),
        });
        pen += g.advance;
    }
    flush(ops, &mut run, run_x, t.y);
    Ok(())
}

fn color(rgb: [f32; 3]) -> Color {
    Color::Rgb(Rgb {
        r: rgb[0],
        g: rgb[1],
        b: rgb[2],
        icc_profile: None,
    })
}

fn serialize(
    doc: &Document,
    pages: &[PageDraw],
    mark: &mut dyn FnMut(&'static str),
) -> Result<Vec<u8>, InvoiceError> {
    let mut pdf = PdfDocument::new(&doc.title());
    pdf.metadata.info.conformance =
        printpdf::PdfConformance::Custom(printpdf::CustomPdfConformance {
            requires_xmp_metadata: false,
            requires_icc_profile: false,
            ..Default::default()
        });

    // Every glyph each face draws, with the text it stands for (ToUnicode).
    let mut used: BTreeMap<FontRef, BTreeMap<u16, String>> = BTreeMap::new();
    for p in pages {
        for t in &p.texts {
            for seg in &t.line.segments {
                let glyphs = used.entry(seg.font).or_default();
                for (gid, text) in &seg.unicode {
                    // The first text seen wins, and a single character beats a cluster.
                    let better = glyphs.get(gid).is_none_or(|old| {
                        old.is_empty() || (old.chars().count() > 1 && text.chars().count() == 1)
                    });
                    if better {
                        glyphs.insert(*gid, text.clone());
                    }
                }
                for g in &seg.glyphs {
                    glyphs.entry(g.gid).or_default();
                }
            }
        }
    }
    // Fixed resource names (in FontRef order) keep the output independent of printpdf's
    // random ids; each face is subset to exactly its glyphs.
    let mut fonts: BTreeMap<FontRef, EmbeddedFont> = BTreeMap::new();
    for (i, (font, glyphs)) in used.iter().enumerate() {
        let face = font.face()?;
        let (subset, remap) = face.subset(glyphs)?;
        let id = FontId(format!("F{}", i + 1));
        pdf.resources
            .fonts
            .map
            .insert(id.clone(), printpdf::PdfFont::new(subset));
        fonts.insert(
            *font,
            EmbeddedFont {
                id,
                remap,
                texts: glyphs.clone(),
                units_per_em: face.units_per_em(),
            },
        );
    }
    mark("font subsetting");
    let logo_id = XObjectId("Im1".to_string());
    if let Some(bytes) = &doc.seller.logo_png {
        let image = decode_logo(bytes)?;
        pdf.resources
            .xobjects
            .map
            .insert(logo_id.clone(), XObject::Image(image));
    }

    for p in pages {
        let mut ops = Vec::with_capacity(p.shapes.len() * 3 + p.texts.len() * 3 + 4);
        for s in &p.shapes {
            match *s {
                Shape::Fill { x, y, w, h, rgb } => {
                    ops.push(Op::SetFillColor { col: color(rgb) });
                    ops.push(Op::DrawRectangle {
                        rectangle: Rect {
                            x: Pt(x),
                            y: Pt(y),
                            width: Pt(w),
                            height: Pt(h),
                            mode: Some(PaintMode::Fill),
                            winding_order: None,
                        },
                    });
                }
                Shape::Rule {
                    x1,
                    x2,
                    y,
                    width,
                    rgb,
                } => {
                    ops.push(Op::SetOutlineColor { col: color(rgb) });
                    ops.push(Op::SetOutlineThickness { pt: Pt(width) });
                    ops.push(Op::DrawLine {
                        line: PdfLine {
                            points: vec![
                                LinePoint {
                                    p: Point {
                                        x: Pt(x1),
                                        y: Pt(y),
                                    },
                                    bezier: false,
                                },
                                LinePoint {
                                    p: Point {
                                        x: Pt(x2),
                                        y: Pt(y),
                                    },
                                    bezier: false,
                                },
                            ],
                            is_closed: false,
                        },
                    });
                }
                Shape::Logo { x, y, w, h } => {
                    ops.push(Op::SaveGraphicsState);
                    ops.push(Op::SetTransformationMatrix {
                        matrix: CurTransMat::Raw([w, 0.0, 0.0, h, x, y]),
                    });
                    ops.push(Op::UseXobject {
                        id: logo_id.clone(),
                        transform: XObjectTransform {
                            no_auto_scale: true,
                            ..Default::default()
                        },
                    });
                    ops.push(Op::RestoreGraphicsState);
                }
            }
        }
        ops.push(Op::StartTextSection);
        let mut font_state: Option<(FontRef, u32)> = None;
        let mut fill_state: Option<[u32; 3]> = None;
        for t in &p.texts {
            let fill = t.rgb.map(f32::to_bits);
            if fill_state != Some(fill) {
                ops.push(Op::SetFillColor { col: color(t.rgb) });
                fill_state = Some(fill);
            }
            for seg in &t.line.segments {
                let Some(embedded) = fonts.get(&seg.font) else {
                    continue;
                };
                let key = (seg.font, t.size.to_bits());
                if font_state != Some(key) {
                    ops.push(Op::SetFont {
                        font: PdfFontHandle::External(embedded.id.clone()),
                        size: Pt(t.size),
                    });
                    font_state = Some(key);
                }
                if seg.complex {
                    ops.push(actual_text(&seg.text));
                }
                draw_segment(&mut ops, t, seg, embedded)?;
                if seg.complex {
                    ops.push(Op::EndMarkedContentWithProperties);
                }
            }
        }
        ops.push(Op::EndTextSection);
        pdf.pages
            .push(PdfPage::new(printpdf::Mm(210.0), printpdf::Mm(297.0), ops));
    }

    let opts = PdfSaveOptions {
        optimize: false,
        subset_fonts: false,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let lopdf_doc = pdf.to_lopdf_document(&opts, &mut warnings);
    if let Some(w) = warnings
        .iter()
        .find(|w| w.severity == printpdf::PdfParseErrorSeverity::Error)
    {
        return Err(InvoiceError::Pdf(w.msg.clone()));
    }
    mark("object graph (printpdf)");
    let bytes = pdfa::finish(lopdf_doc, doc)?;
    mark("metadata, compression, writing");
    Ok(bytes)
}
