//! The embedded typeface: DejaVu Sans (regular and bold) from the `dejavu` crate.
//!
//! DejaVu's licence (Bitstream Vera terms, DejaVu changes public domain) allows embedding;
//! it covers Latin, Greek and Cyrillic, which is what customer names need. Each face is
//! parsed once per process ([`Face::regular`], [`Face::bold`]); each document then embeds a
//! subset holding only the glyphs it uses. printpdf 0.12 without its `text_layout` feature
//! embeds the whole 740 KB font, so the subsetting is done here with allsorts (the same
//! subsetter printpdf uses with that feature) and printpdf is handed a ready-made subset.

#![allow(clippy::float_arithmetic)] // text widths in points, not money

use std::collections::BTreeMap;
use std::sync::OnceLock;

use printpdf::{FontMetrics, FontType, ParsedFont, PdfFontMetricsStub};
use sha2::{Digest, Sha256};

use crate::InvoiceError;

mod sfnt;

/// A parsed face: glyph lookup and advance widths for layout, the bytes for subsetting.
pub struct Face {
    name: &'static str,
    bytes: &'static [u8],
    cmap: BTreeMap<u32, u16>,
    /// Advance width of each glyph id in font units.
    advances: Vec<u16>,
    units_per_em: u16,
    metrics: FontMetrics,
    pdf_metrics: PdfFontMetricsStub,
}

static REGULAR: OnceLock<Result<Face, String>> = OnceLock::new();
static BOLD: OnceLock<Result<Face, String>> = OnceLock::new();

impl Face {
    /// DejaVu Sans, parsed on first use.
    pub fn regular() -> Result<&'static Face, InvoiceError> {
        REGULAR
            .get_or_init(|| Face::parse("DejaVuSans", dejavu::sans::regular()))
            .as_ref()
            .map_err(|e| InvoiceError::Font(e.clone()))
    }

    /// DejaVu Sans Bold, parsed on first use.
    pub fn bold() -> Result<&'static Face, InvoiceError> {
        BOLD.get_or_init(|| Face::parse("DejaVuSans-Bold", dejavu::sans::bold()))
            .as_ref()
            .map_err(|e| InvoiceError::Font(e.clone()))
    }

    fn parse(name: &'static str, bytes: &'static [u8]) -> Result<Face, String> {
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut warnings)
            .ok_or_else(|| format!("{name} could not be parsed: {warnings:?}"))?;
        let glyphs = parsed
            .glyph_widths
            .keys()
            .next_back()
            .map_or(0, |g| usize::from(*g) + 1);
        let mut advances = vec![0_u16; glyphs];
        for (gid, w) in &parsed.glyph_widths {
            advances[usize::from(*gid)] = *w;
        }
        Ok(Face {
            name,
            bytes,
            cmap: parsed.codepoint_to_glyph,
            advances,
            units_per_em: parsed.units_per_em,
            metrics: parsed.font_metrics,
            pdf_metrics: parsed.pdf_font_metrics,
        })
    }

    fn glyph(&self, c: char) -> u16 {
        self.cmap.get(&u32::from(c)).copied().unwrap_or(0)
    }

    /// Width of `text` set at `size` points, without kerning (the PDF applies none either).
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let units: u32 = text
            .chars()
            .map(|c| {
                u32::from(
                    self.advances
                        .get(usize::from(self.glyph(c)))
                        .copied()
                        .unwrap_or(0),
                )
            })
            .sum();
        units as f32 * size / f32::from(self.units_per_em)
    }

    /// A font program holding only the glyphs for `chars`, as a printpdf font whose
    /// character map points at the renumbered glyphs. The subset tag is derived from the
    /// glyph set, so the same text always gives the same bytes.
    pub fn subset(
        &self,
        chars: impl IntoIterator<Item = char>,
    ) -> Result<ParsedFont, InvoiceError> {
        use allsorts::binary::read::ReadScope;
        use allsorts::font_data::FontData;
        use allsorts::subset::{subset, CmapTarget, SubsetProfile};
        use allsorts::tag;

        let mut by_glyph: BTreeMap<u16, Vec<char>> = BTreeMap::new();
        for c in chars {
            let gid = self.glyph(c);
            if gid != 0 {
                let entry = by_glyph.entry(gid).or_default();
                if !entry.contains(&c) {
                    entry.push(c);
                }
            }
        }
        // allsorts renumbers glyph ids[i] to i; .notdef must come first.
        let ids: Vec<u16> = std::iter::once(0).chain(by_glyph.keys().copied()).collect();
        let font = ReadScope::new(self.bytes)
            .read::<FontData<'_>>()
            .map_err(|e| InvoiceError::Font(format!("{}: {e}", self.name)))?;
        let provider = font
            .table_provider(0)
            .map_err(|e| InvoiceError::Font(format!("{}: {e}", self.name)))?;
        // Outlines and metrics only: PDF viewers need no hinting programs and no OS/2 for
        // an embedded CID font. The `name` table stays (trimmed), since it carries the
        // copyright and licence notice the font's licence asks every copy to keep.
        let profile = SubsetProfile::Custom(vec![
            tag::CMAP,
            tag::HEAD,
            tag::HHEA,
            tag::HMTX,
            tag::MAXP,
            tag::POST,
            tag::NAME,
        ]);
        let program = subset(&provider, &ids, &profile, CmapTarget::Unicode)
            .map_err(|e| InvoiceError::Font(format!("subsetting {}: {e}", self.name)))?;
        let program = sfnt::trim_name_table(&program).ok_or_else(|| {
            InvoiceError::Font(format!("subset of {} is not a valid sfnt", self.name))
        })?;

        let mut codepoint_to_glyph = BTreeMap::new();
        let mut glyph_widths = BTreeMap::new();
        glyph_widths.insert(0, self.advances.first().copied().unwrap_or(0));
        for (new_gid, (old_gid, chars)) in by_glyph.iter().enumerate() {
            let new_gid = u16::try_from(new_gid + 1)
                .map_err(|_| InvoiceError::Font("too many glyphs".into()))?;
            for c in chars {
                codepoint_to_glyph.insert(u32::from(*c), new_gid);
            }
            glyph_widths.insert(
                new_gid,
                self.advances
                    .get(usize::from(*old_gid))
                    .copied()
                    .unwrap_or(0),
            );
        }

        let digest = Sha256::digest(
            ids.iter()
                .flat_map(|g| g.to_be_bytes())
                .collect::<Vec<u8>>(),
        );
        let tag: String = digest
            .iter()
            .take(6)
            .map(|b| char::from(b'A' + b % 26))
            .collect();

        Ok(ParsedFont {
            original_bytes: program,
            font_index: 0,
            font_name: Some(format!("{tag}+{}", self.name)),
            codepoint_to_glyph,
            glyph_widths,
            units_per_em: self.units_per_em,
            font_metrics: self.metrics.clone(),
            font_type: FontType::TrueType,
            pdf_font_metrics: self.pdf_metrics.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faces_cover_latin_greek_and_cyrillic() {
        let face = Face::regular().unwrap();
        for c in "Zoë Ødegård Αθηνά Παπαδοπούλου Ёлкин Пётр €".chars()
        {
            assert!(c == ' ' || face.glyph(c) != 0, "no glyph for {c}");
        }
        assert!(face.width("MMMM", 10.0) > face.width("iiii", 10.0));
    }

    #[test]
    fn subset_is_small_and_deterministic() {
        let face = Face::bold().unwrap();
        let a = face.subset("Invoice 123".chars()).unwrap();
        let b = face.subset("Invoice 123".chars()).unwrap();
        assert_eq!(a.original_bytes, b.original_bytes);
        assert!(
            a.original_bytes.len() < 20_000,
            "subset is {} bytes",
            a.original_bytes.len()
        );
        assert_eq!(a.codepoint_to_glyph.len(), 11); // space included
        assert!(a.font_name.unwrap().ends_with("+DejaVuSans-Bold"));
    }
}
