//! The typefaces: DejaVu Sans (regular and bold, embedded in the binary) and fallback faces
//! read from Debian's Noto fonts at run time for the scripts DejaVu lacks.
//!
//! DejaVu's licence (Bitstream Vera terms, DejaVu changes public domain) allows embedding;
//! it covers Latin, Greek and Cyrillic. Names in other scripts are set in Noto (SIL Open
//! Font License, embedding allowed): Arabic, Hebrew, Devanagari and the other Indic
//! scripts, Thai, Georgian, Armenian, Ethiopic, Khmer, Sinhala from `fonts-noto-core`,
//! Chinese, Japanese and Korean from `fonts-noto-cjk` (CFF outlines in a collection). They
//! are read from `/usr/share/fonts` the first time a document needs them, never embedded
//! in the binary (the CJK collection alone is 20 MB), and the .deb depends on both
//! packages. A character no installed face covers prints as DejaVu's missing-glyph box
//! and is reported ([`crate::render_pdf_report`]), never dropped silently.
//!
//! Each face is parsed once per process; each document then embeds a subset holding only
//! the glyphs it uses (allsorts subsets both TrueType and CFF), so the same text always
//! gives the same bytes on the same installation.

#![allow(clippy::float_arithmetic)] // text widths in points, not money

use std::collections::BTreeMap;
use std::sync::OnceLock;

use printpdf::ParsedFont;
use sha2::{Digest, Sha256};

use crate::InvoiceError;

mod sfnt;

/// Where Debian installs fonts.
const FONT_DIR: &str = "/usr/share/fonts";

/// A parsed face: glyph lookup, advances and shaping for layout, the bytes for subsetting.
pub struct Face {
    name: &'static str,
    bytes: &'static [u8],
    index: u32,
    shaper: rustybuzz::Face<'static>,
    units_per_em: u16,
}

static REGULAR: OnceLock<Result<Face, String>> = OnceLock::new();
static BOLD: OnceLock<Result<Face, String>> = OnceLock::new();

/// DejaVu Sans and Sans Bold, deflated by build.rs (half the size in the binary).
const DEJAVU_REGULAR_DEFLATED: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/DejaVuSans.ttf.deflate"));
const DEJAVU_BOLD_DEFLATED: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/DejaVuSans-Bold.ttf.deflate"));

/// A DejaVu face's TTF bytes, inflated and kept for the process's life: only
/// called from [`REGULAR`] and [`BOLD`], so once per face (faces borrow the
/// bytes for `'static`).
fn inflate_dejavu(deflated: &[u8]) -> Result<&'static [u8], String> {
    let mut ttf = Vec::with_capacity(deflated.len() * 2);
    std::io::Read::read_to_end(&mut flate2::read::DeflateDecoder::new(deflated), &mut ttf)
        .map_err(|e| format!("the embedded DejaVu font could not be inflated: {e}"))?;
    Ok(ttf.leak())
}

/// One fallback family: the characters it is asked for, its files and its package.
struct Fallback {
    script: &'static str,
    ranges: &'static [(u32, u32)],
    /// (PostScript name, path under [`FONT_DIR`], face index in a collection).
    regular: (&'static str, &'static str, u32),
    bold: (&'static str, &'static str, u32),
    package: &'static str,
}

const fn noto(
    script: &'static str,
    ranges: &'static [(u32, u32)],
    regular: &'static str,
    bold: &'static str,
) -> Fallback {
    Fallback {
        script,
        ranges,
        regular: (regular, "", 0),
        bold: (bold, "", 0),
        package: "fonts-noto-core",
    }
}

/// The fallback families in the order they are tried. A TrueType file's path is derived
/// from its name (`truetype/noto/<name>.ttf`); the CJK collection names its own.
const FALLBACKS: &[Fallback] = &[
    noto(
        "Arabic",
        &[
            (0x0600, 0x06FF),
            (0x0750, 0x077F),
            (0x08A0, 0x08FF),
            (0xFB50, 0xFDFF),
            (0xFE70, 0xFEFF),
        ],
        "NotoSansArabic-Regular",
        "NotoSansArabic-Bold",
    ),
    noto(
        "Hebrew",
        &[(0x0590, 0x05FF), (0xFB1D, 0xFB4F)],
        "NotoSansHebrew-Regular",
        "NotoSansHebrew-Bold",
    ),
    noto(
        "Devanagari",
        &[(0x0900, 0x097F), (0xA8E0, 0xA8FF), (0x1CD0, 0x1CFF)],
        "NotoSansDevanagari-Regular",
        "NotoSansDevanagari-Bold",
    ),
    noto(
        "Bengali",
        &[(0x0980, 0x09FF)],
        "NotoSansBengali-Regular",
        "NotoSansBengali-Bold",
    ),
    noto(
        "Gurmukhi",
        &[(0x0A00, 0x0A7F)],
        "NotoSansGurmukhi-Regular",
        "NotoSansGurmukhi-Bold",
    ),
    noto(
        "Gujarati",
        &[(0x0A80, 0x0AFF)],
        "NotoSansGujarati-Regular",
        "NotoSansGujarati-Bold",
    ),
    noto(
        "Tamil",
        &[(0x0B80, 0x0BFF)],
        "NotoSansTamil-Regular",
        "NotoSansTamil-Bold",
    ),
    noto(
        "Telugu",
        &[(0x0C00, 0x0C7F)],
        "NotoSansTelugu-Regular",
        "NotoSansTelugu-Bold",
    ),
    noto(
        "Kannada",
        &[(0x0C80, 0x0CFF)],
        "NotoSansKannada-Regular",
        "NotoSansKannada-Bold",
    ),
    noto(
        "Malayalam",
        &[(0x0D00, 0x0D7F)],
        "NotoSansMalayalam-Regular",
        "NotoSansMalayalam-Bold",
    ),
    noto(
        "Sinhala",
        &[(0x0D80, 0x0DFF)],
        "NotoSansSinhala-Regular",
        "NotoSansSinhala-Bold",
    ),
    noto(
        "Thai",
        &[(0x0E00, 0x0E7F)],
        "NotoSansThai-Regular",
        "NotoSansThai-Bold",
    ),
    noto(
        "Georgian",
        &[(0x10A0, 0x10FF), (0x2D00, 0x2D2F)],
        "NotoSansGeorgian-Regular",
        "NotoSansGeorgian-Bold",
    ),
    noto(
        "Armenian",
        &[(0x0530, 0x058F)],
        "NotoSansArmenian-Regular",
        "NotoSansArmenian-Bold",
    ),
    noto(
        "Ethiopic",
        &[(0x1200, 0x139F), (0x2D80, 0x2DDF)],
        "NotoSansEthiopic-Regular",
        "NotoSansEthiopic-Bold",
    ),
    noto(
        "Khmer",
        &[(0x1780, 0x17FF), (0x19E0, 0x19FF)],
        "NotoSansKhmer-Regular",
        "NotoSansKhmer-Bold",
    ),
    Fallback {
        script: "Chinese, Japanese and Korean",
        ranges: &[
            (0x1100, 0x11FF),
            (0x2E80, 0x2FDF),
            (0x2FF0, 0x31FF),
            (0x3200, 0x33FF),
            (0x3400, 0x4DBF),
            (0x4E00, 0x9FFF),
            (0xA960, 0xA97F),
            (0xAC00, 0xD7FF),
            (0xF900, 0xFAFF),
            (0xFE30, 0xFE4F),
            (0xFF00, 0xFFEF),
            (0x20000, 0x3134F),
        ],
        // Face 2 of the collection is Simplified Chinese; it holds the kana and hangul too.
        regular: (
            "NotoSansCJKsc-Regular",
            "opentype/noto/NotoSansCJK-Regular.ttc",
            2,
        ),
        bold: (
            "NotoSansCJKsc-Bold",
            "opentype/noto/NotoSansCJK-Bold.ttc",
            2,
        ),
        package: "fonts-noto-cjk",
    },
    // Latin, Greek and Cyrillic letters DejaVu lacks, and Noto Sans' other symbols.
    Fallback {
        script: "extended Latin, Greek and Cyrillic",
        ranges: &[(0x0000, 0x10FFFF)],
        regular: ("NotoSans-Regular", "", 0),
        bold: ("NotoSans-Bold", "", 0),
        package: "fonts-noto-core",
    },
];

static FALLBACK_FACES: [[OnceLock<Option<Face>>; 2]; FALLBACKS.len()] =
    [const { [OnceLock::new(), OnceLock::new()] }; FALLBACKS.len()];

/// Which face a piece of text is set in. Ordered, so fonts get stable resource names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FontRef {
    DejaVu { bold: bool },
    Fallback { family: usize, bold: bool },
}

impl FontRef {
    pub fn face(self) -> Result<&'static Face, InvoiceError> {
        match self {
            FontRef::DejaVu { bold: false } => Face::regular(),
            FontRef::DejaVu { bold: true } => Face::bold(),
            FontRef::Fallback { family, bold } => fallback_face(family, bold)
                .ok_or_else(|| InvoiceError::Font(format!("fallback face {family} vanished"))),
        }
    }
}

/// The fallback face of `family`, loading it on first use; the regular face stands in for
/// a missing bold one. `None` when the font package is not installed.
fn fallback_face(family: usize, bold: bool) -> Option<&'static Face> {
    let f = FALLBACKS.get(family)?;
    let load = |(name, path, index): (&'static str, &'static str, u32)| {
        let path = if path.is_empty() {
            format!("{FONT_DIR}/truetype/noto/{name}.ttf")
        } else {
            format!("{FONT_DIR}/{path}")
        };
        let bytes = std::fs::read(&path).ok()?;
        // Faces live for the whole process (like DejaVu's static bytes); leaking the file
        // once gives the shaper the 'static borrow it needs.
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        Face::parse(name, bytes, index).ok()
    };
    let slots = &FALLBACK_FACES[family];
    if bold {
        let b = slots[1].get_or_init(|| load(f.bold)).as_ref();
        if b.is_some() {
            return b;
        }
    }
    slots[0].get_or_init(|| load(f.regular)).as_ref()
}

/// The script names and Debian packages of characters no face covers, for warnings.
pub fn missing_font_hint(c: char) -> (&'static str, &'static str) {
    let cp = u32::from(c);
    FALLBACKS
        .iter()
        .find(|f| f.ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&cp)))
        .map_or(("this script", "fonts-noto-core"), |f| {
            (f.script, f.package)
        })
}

/// The face to set `c` in: DejaVu when it has the glyph (except Arabic and Hebrew, which
/// Noto draws with proper joining and marks), otherwise the first installed fallback
/// family for its range that does. `None` when nothing installed covers it.
pub fn pick(c: char, bold: bool) -> Option<FontRef> {
    let cp = u32::from(c);
    let dejavu = FontRef::DejaVu { bold };
    let rtl_script = (0x0590..=0x08FF).contains(&cp) || (0xFB1D..=0xFEFF).contains(&cp);
    if !rtl_script && dejavu.face().ok()?.glyph(c) != 0 {
        return Some(dejavu);
    }
    for (family, f) in FALLBACKS.iter().enumerate() {
        if !f.ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&cp)) {
            continue;
        }
        if let Some(face) = fallback_face(family, bold) {
            if face.glyph(c) != 0 {
                return Some(FontRef::Fallback { family, bold });
            }
        }
    }
    (dejavu.face().ok()?.glyph(c) != 0).then_some(dejavu)
}

impl Face {
    /// DejaVu Sans, parsed on first use.
    pub fn regular() -> Result<&'static Face, InvoiceError> {
        REGULAR
            .get_or_init(|| Face::parse("DejaVuSans", inflate_dejavu(DEJAVU_REGULAR_DEFLATED)?, 0))
            .as_ref()
            .map_err(|e| InvoiceError::Font(e.clone()))
    }

    /// DejaVu Sans Bold, parsed on first use.
    pub fn bold() -> Result<&'static Face, InvoiceError> {
        BOLD.get_or_init(|| {
            Face::parse("DejaVuSans-Bold", inflate_dejavu(DEJAVU_BOLD_DEFLATED)?, 0)
        })
        .as_ref()
        .map_err(|e| InvoiceError::Font(e.clone()))
    }

    fn parse(name: &'static str, bytes: &'static [u8], index: u32) -> Result<Face, String> {
        let shaper = rustybuzz::Face::from_slice(bytes, index)
            .ok_or_else(|| format!("{name} could not be parsed"))?;
        let units_per_em = u16::try_from(shaper.units_per_em())
            .map_err(|_| format!("{name} has an invalid units-per-em"))?;
        Ok(Face {
            name,
            bytes,
            index,
            shaper,
            units_per_em,
        })
    }

    pub fn glyph(&self, c: char) -> u16 {
        self.shaper.glyph_index(c).map_or(0, |g| g.0)
    }

    /// Advance width of a glyph in font units.
    pub fn advance(&self, gid: u16) -> u16 {
        self.shaper
            .glyph_hor_advance(rustybuzz::ttf_parser::GlyphId(gid))
            .unwrap_or(0)
    }

    pub fn units_per_em(&self) -> u16 {
        self.units_per_em
    }

    pub fn shaper(&self) -> &rustybuzz::Face<'static> {
        &self.shaper
    }

    /// Width of `text` set at `size` points glyph by glyph, without shaping or kerning.
    #[cfg(test)]
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let units: u32 = text
            .chars()
            .map(|c| u32::from(self.advance(self.glyph(c))))
            .sum();
        units as f32 * size / f32::from(self.units_per_em)
    }

    /// A font program holding only `glyphs` (original glyph id → the text it stands for),
    /// as a printpdf font, and the map from original to subset glyph ids. The subset tag is
    /// derived from the face and the glyph set, so the same glyphs always give the same
    /// bytes.
    pub fn subset(
        &self,
        glyphs: &BTreeMap<u16, String>,
    ) -> Result<(ParsedFont, BTreeMap<u16, u16>), InvoiceError> {
        use allsorts::binary::read::ReadScope;
        use allsorts::font_data::FontData;
        use allsorts::subset::{subset, CmapTarget, SubsetProfile};
        use allsorts::tag;

        // allsorts renumbers glyph ids[i] to i; .notdef must come first.
        let ids: Vec<u16> = std::iter::once(0)
            .chain(glyphs.keys().copied().filter(|g| *g != 0))
            .collect();
        let font = ReadScope::new(self.bytes)
            .read::<FontData<'_>>()
            .map_err(|e| InvoiceError::Font(format!("{}: {e}", self.name)))?;
        let provider = font
            .table_provider(self.index as usize)
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
        let mut warnings = Vec::new();
        let mut parsed = ParsedFont::from_bytes(&program, 0, &mut warnings).ok_or_else(|| {
            InvoiceError::Font(format!(
                "the subset of {} does not parse: {warnings:?}",
                self.name
            ))
        })?;
        let remap: BTreeMap<u16, u16> = ids
            .iter()
            .enumerate()
            .filter_map(|(new, old)| Some((*old, u16::try_from(new).ok()?)))
            .collect();

        let mut digest = Sha256::new();
        digest.update(self.name.as_bytes());
        for g in &ids {
            digest.update(g.to_be_bytes());
        }
        let tag: String = digest
            .finalize()
            .iter()
            .take(6)
            .map(|b| char::from(b'A' + b % 26))
            .collect();
        parsed.font_name = Some(format!("{tag}+{}", self.name));
        Ok((parsed, remap))
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
        let glyphs: BTreeMap<u16, String> = "Invoice 123"
            .chars()
            .map(|c| (face.glyph(c), c.to_string()))
            .collect();
        let (a, map) = face.subset(&glyphs).unwrap();
        let (b, _) = face.subset(&glyphs).unwrap();
        assert_eq!(a.original_bytes, b.original_bytes);
        assert!(
            a.original_bytes.len() < 20_000,
            "subset is {} bytes",
            a.original_bytes.len()
        );
        assert_eq!(map.len(), 12, ".notdef and 11 glyphs (space included)");
        assert!(a.font_name.unwrap().ends_with("+DejaVuSans-Bold"));
    }

    #[test]
    fn other_scripts_fall_back_to_the_installed_noto_faces() {
        for (c, family) in [
            ('王', "NotoSansCJKsc-Regular"),
            ('ش', "NotoSansArabic-Regular"),
            ('ע', "NotoSansHebrew-Regular"),
            ('क', "NotoSansDevanagari-Regular"),
        ] {
            let font = pick(c, false).unwrap_or_else(|| {
                let (script, package) = missing_font_hint(c);
                panic!("no face for {c} ({script}): install the Debian package {package}")
            });
            assert_eq!(font.face().unwrap().name, family, "{c}");
        }
        assert_eq!(pick('A', true), Some(FontRef::DejaVu { bold: true }));
    }

    #[test]
    fn a_cff_collection_face_subsets() {
        let font = pick('王', false).expect("fonts-noto-cjk is installed");
        let face = font.face().unwrap();
        let glyphs: BTreeMap<u16, String> = "王小明有限公司"
            .chars()
            .map(|c| (face.glyph(c), c.to_string()))
            .collect();
        let (subset, map) = face.subset(&glyphs).unwrap();
        assert!(subset.original_bytes.starts_with(b"OTTO"));
        assert!(
            subset.original_bytes.len() < 60_000,
            "{} bytes",
            subset.original_bytes.len()
        );
        assert_eq!(map.len(), 8);
    }
}
