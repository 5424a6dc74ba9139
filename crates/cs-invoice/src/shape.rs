//! Turning one line of text into positioned glyphs: font fallback, Unicode bidi and
//! shaping.
//!
//! Text in Latin, Greek and Cyrillic that DejaVu covers takes the fast path: one glyph per
//! character, DejaVu's advances, nothing reordered (the common case, and what every
//! invoice's numbers and labels are). Anything else goes through the full path: the
//! Unicode bidirectional algorithm (`unicode-bidi`) splits the line into runs in visual
//! order, each run is split where the face changes ([`crate::font::pick`]), and each piece
//! is shaped by rustybuzz (HarfBuzz's algorithm) so Arabic letters take their contextual
//! forms, marks sit on their bases and Indic clusters reorder. Right-to-left pieces come
//! out of the shaper in visual order, ready to be drawn left to right.

#![allow(clippy::float_arithmetic)] // glyph positions in points, not money

use std::collections::BTreeMap;

use unicode_bidi::BidiInfo;

use crate::font::{pick, FontRef};
use crate::InvoiceError;

/// One glyph, positioned relative to the pen (points). `advance` moves the pen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Glyph {
    pub gid: u16,
    pub advance: f32,
    pub dx: f32,
    pub dy: f32,
}

/// Consecutive glyphs of one face, drawn left to right from `x`.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub font: FontRef,
    /// Start of the segment from the start of the line, in points.
    pub x: f32,
    pub glyphs: Vec<Glyph>,
    /// The text the glyphs stand for, in logical (reading) order.
    pub text: String,
    /// Glyph → the text it stands for, for the PDF's ToUnicode map.
    pub unicode: Vec<(u16, String)>,
    /// True when glyphs and characters are not one to one in reading order (shaped or
    /// right-to-left): the PDF then carries the text itself (`/ActualText`) so copying and
    /// searching give the words as written.
    pub complex: bool,
}

/// A shaped line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ShapedLine {
    pub width: f32,
    pub segments: Vec<Segment>,
    /// Characters no installed face covers (drawn as the missing-glyph box).
    pub missing: Vec<char>,
}

/// True for characters whose script needs shaping or is written right to left, and for
/// the bidi control characters.
fn needs_full_path(c: char) -> bool {
    let cp = u32::from(c);
    (0x0590..=0x08FF).contains(&cp)
        || (0x0900..=0x0DFF).contains(&cp)
        || (0x0E00..=0x0EFF).contains(&cp)
        || (0x1000..=0x109F).contains(&cp)
        || (0x1780..=0x17FF).contains(&cp)
        || (0x1CD0..=0x1CFF).contains(&cp)
        || (0xA8E0..=0xA8FF).contains(&cp)
        || (0xFB1D..=0xFEFF).contains(&cp)
        || matches!(cp, 0x200C..=0x200F | 0x202A..=0x202E | 0x2066..=0x2069)
}

/// Characters that belong to no script of their own: they stay in the face of the text
/// around them, so a space between two Arabic words does not switch fonts.
fn is_common(c: char) -> bool {
    c.is_whitespace() || c.is_ascii_punctuation() || c.is_ascii_digit() || "–—·•«»“”„‘’".contains(c)
}

/// Shapes `text` (one line, no line breaks) at `size` points.
pub fn shape(text: &str, size: f32, bold: bool) -> Result<ShapedLine, InvoiceError> {
    let dejavu = FontRef::DejaVu { bold };
    let face = dejavu.face()?;
    if text
        .chars()
        .all(|c| !needs_full_path(c) && (face.glyph(c) != 0 || c.is_control()))
    {
        let scale = size / f32::from(face.units_per_em());
        let mut glyphs = Vec::with_capacity(text.len());
        let mut unicode = Vec::with_capacity(text.len());
        for c in text.chars().filter(|c| !c.is_control()) {
            let gid = face.glyph(c);
            glyphs.push(Glyph {
                gid,
                advance: f32::from(face.advance(gid)) * scale,
                dx: 0.0,
                dy: 0.0,
            });
            unicode.push((gid, c.to_string()));
        }
        let width = glyphs.iter().map(|g| g.advance).sum();
        let segments = if glyphs.is_empty() {
            Vec::new()
        } else {
            vec![Segment {
                font: dejavu,
                x: 0.0,
                glyphs,
                text: text.to_string(),
                unicode,
                complex: false,
            }]
        };
        return Ok(ShapedLine {
            width,
            segments,
            missing: Vec::new(),
        });
    }
    shape_full(text, size, bold)
}

fn shape_full(text: &str, size: f32, bold: bool) -> Result<ShapedLine, InvoiceError> {
    let mut line = ShapedLine::default();
    let bidi = BidiInfo::new(text, None);
    let mut pen = 0.0_f32;
    for para in &bidi.paragraphs {
        let (levels, runs) = bidi.visual_runs(para, para.range.clone());
        for run in runs {
            let rtl = levels[run.start].is_rtl();
            // Split the run (logical order) where the face changes.
            let mut pieces: Vec<(Option<FontRef>, usize, usize)> = Vec::new();
            for (i, c) in text[run.clone()].char_indices() {
                let at = run.start + i;
                let font = match pieces.last() {
                    Some((Some(prev), _, _)) if is_common(c) && prev.face()?.glyph(c) != 0 => {
                        Some(*prev)
                    }
                    _ => pick(c, bold),
                };
                if font.is_none() {
                    line.missing.push(c);
                }
                match pieces.last_mut() {
                    Some((f, _, end)) if *f == font => *end = at + c.len_utf8(),
                    _ => pieces.push((font, at, at + c.len_utf8())),
                }
            }
            if rtl {
                pieces.reverse();
            }
            for (font, start, end) in pieces {
                let piece = &text[start..end];
                let seg = match font {
                    Some(font) => shape_piece(font, piece, size, rtl)?,
                    None => notdef_piece(bold, piece, size)?,
                };
                let width: f32 = seg.glyphs.iter().map(|g| g.advance).sum();
                line.segments.push(Segment { x: pen, ..seg });
                pen += width;
            }
        }
    }
    line.width = pen;
    Ok(line)
}

/// Characters nothing covers: DejaVu's missing-glyph box, one per character, so the gap is
/// visible on the page.
fn notdef_piece(bold: bool, piece: &str, size: f32) -> Result<Segment, InvoiceError> {
    let font = FontRef::DejaVu { bold };
    let face = font.face()?;
    let advance = f32::from(face.advance(0)) * size / f32::from(face.units_per_em());
    let glyphs = piece
        .chars()
        .map(|_| Glyph {
            gid: 0,
            advance,
            dx: 0.0,
            dy: 0.0,
        })
        .collect();
    Ok(Segment {
        font,
        x: 0.0,
        glyphs,
        text: piece.to_string(),
        unicode: vec![(0, "\u{fffd}".to_string())],
        complex: true,
    })
}

fn shape_piece(font: FontRef, piece: &str, size: f32, rtl: bool) -> Result<Segment, InvoiceError> {
    let face = font.face()?;
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(piece);
    buffer.guess_segment_properties();
    buffer.set_direction(if rtl {
        rustybuzz::Direction::RightToLeft
    } else {
        rustybuzz::Direction::LeftToRight
    });
    let out = rustybuzz::shape(face.shaper(), &[], buffer);
    let scale = size / f32::from(face.units_per_em());
    let infos = out.glyph_infos();
    let positions = out.glyph_positions();

    // Clusters are byte offsets into `piece`; each cluster's text runs to the next
    // cluster start in logical order.
    let mut starts: Vec<usize> = infos.iter().map(|i| i.cluster as usize).collect();
    starts.sort_unstable();
    starts.dedup();
    let cluster_text = |start: usize| -> &str {
        let end = starts
            .iter()
            .find(|s| **s > start)
            .copied()
            .unwrap_or(piece.len());
        piece.get(start..end).unwrap_or("")
    };
    let mut glyphs = Vec::with_capacity(infos.len());
    let mut per_cluster: BTreeMap<usize, Vec<u16>> = BTreeMap::new();
    for (info, pos) in infos.iter().zip(positions) {
        let gid = u16::try_from(info.glyph_id).unwrap_or(0);
        glyphs.push(Glyph {
            gid,
            advance: pos.x_advance as f32 * scale,
            dx: pos.x_offset as f32 * scale,
            dy: pos.y_offset as f32 * scale,
        });
        per_cluster
            .entry(info.cluster as usize)
            .or_default()
            .push(gid);
    }
    // ToUnicode is one string per glyph: a one-glyph cluster maps to its text, the first
    // glyph of a bigger cluster to the whole cluster, the others to nothing. /ActualText
    // carries the exact text of the whole piece anyway.
    let mut unicode = Vec::new();
    let mut one_to_one = true;
    for (start, gids) in &per_cluster {
        let t = cluster_text(*start);
        if gids.len() != 1 || t.chars().count() != 1 {
            one_to_one = false;
        }
        for (i, gid) in gids.iter().enumerate() {
            unicode.push((*gid, if i == 0 { t.to_string() } else { String::new() }));
        }
    }
    Ok(Segment {
        font,
        x: 0.0,
        glyphs,
        text: piece.to_string(),
        unicode,
        // Right-to-left glyphs stay without /ActualText: readers (poppler, pdf.js) put
        // visually ordered right-to-left glyphs back into reading order themselves, and
        // would reverse a logical /ActualText a second time.
        complex: !one_to_one && !rtl,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_takes_the_fast_path_with_dejavu_advances() {
        let l = shape("Invoice 42", 10.0, false).unwrap();
        assert_eq!(l.segments.len(), 1);
        assert!(!l.segments[0].complex);
        let face = crate::font::Face::regular().unwrap();
        assert!((l.width - face.width("Invoice 42", 10.0)).abs() < 1e-3);
    }

    #[test]
    fn arabic_is_shaped_into_contextual_forms_right_to_left() {
        // سلام: four letters that join; the shaped glyphs are not the isolated forms.
        let l = shape("سلام", 10.0, false).unwrap();
        assert!(l.missing.is_empty());
        let seg = &l.segments[0];
        // Right to left: no /ActualText, readers reorder the glyphs themselves.
        assert!(!seg.complex);
        let face = seg.font.face().unwrap();
        let isolated: Vec<u16> = "سلام".chars().map(|c| face.glyph(c)).collect();
        let drawn: Vec<u16> = seg.glyphs.iter().map(|g| g.gid).collect();
        assert_ne!(drawn, isolated);
        // Visual order: the first letter (seen) is drawn rightmost, i.e. last.
        let rightmost = seg.glyphs.last().unwrap().gid;
        let text = seg.unicode.iter().find(|(g, _)| *g == rightmost).unwrap();
        assert_eq!(text.1, "س");
    }

    #[test]
    fn mixed_direction_lines_order_runs_visually() {
        let l = shape("ACME שלום Ltd", 10.0, false).unwrap();
        let texts: Vec<&str> = l.segments.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts.first(), Some(&"ACME "));
        assert_eq!(texts.last(), Some(&" Ltd"));
        assert!(texts.iter().any(|t| t.contains("שלום")));
        let xs: Vec<f32> = l.segments.iter().map(|s| s.x).collect();
        assert!(xs.windows(2).all(|w| w[0] < w[1]), "{xs:?}");
    }

    #[test]
    fn uncovered_characters_are_reported_and_drawn_as_boxes() {
        // Egyptian hieroglyphs are in no face we load.
        let l = shape("Hi \u{13000}", 10.0, false).unwrap();
        assert_eq!(l.missing, vec!['\u{13000}']);
        assert!(l
            .segments
            .iter()
            .any(|s| s.glyphs.iter().any(|g| g.gid == 0)));
    }
}
