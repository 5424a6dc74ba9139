//! Rewriting a TrueType file's `name` table.
//!
//! DejaVu's `name` table is 15 KB: every string twice (Macintosh and Windows records) plus
//! the full licence text. The subset keeps only the Windows-Unicode records of the
//! copyright, family, style, unique id, full name, version, PostScript name, licence and
//! licence URL — the notice travels with every embedded copy, once.

/// Name ids kept: copyright, family, subfamily, unique id, full name, version, PostScript
/// name, licence description, licence URL.
const KEPT_NAME_IDS: [u16; 9] = [0, 1, 2, 3, 4, 5, 6, 13, 14];

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0_u32, |sum, c| {
        let mut w = [0_u8; 4];
        w[..c.len()].copy_from_slice(c);
        sum.wrapping_add(u32::from_be_bytes(w))
    })
}

fn trimmed_name(name: &[u8]) -> Option<Vec<u8>> {
    let count = usize::from(u16_at(name, 2)?);
    let storage = usize::from(u16_at(name, 4)?);
    let mut kept: Vec<([u16; 4], &[u8])> = Vec::new();
    for i in 0..count {
        let r = 6 + i * 12;
        let (platform, encoding, language, id) = (
            u16_at(name, r)?,
            u16_at(name, r + 2)?,
            u16_at(name, r + 4)?,
            u16_at(name, r + 6)?,
        );
        let len = usize::from(u16_at(name, r + 8)?);
        let off = storage + usize::from(u16_at(name, r + 10)?);
        if platform == 3 && KEPT_NAME_IDS.contains(&id) {
            kept.push((
                [platform, encoding, language, id],
                name.get(off..off + len)?,
            ));
        }
    }
    let header = 6 + kept.len() * 12;
    let mut out = Vec::new();
    out.extend(0_u16.to_be_bytes());
    out.extend(u16::try_from(kept.len()).ok()?.to_be_bytes());
    out.extend(u16::try_from(header).ok()?.to_be_bytes());
    let mut strings = Vec::new();
    for (ids, s) in &kept {
        for v in ids {
            out.extend(v.to_be_bytes());
        }
        out.extend(u16::try_from(s.len()).ok()?.to_be_bytes());
        out.extend(u16::try_from(strings.len()).ok()?.to_be_bytes());
        strings.extend_from_slice(s);
    }
    out.extend(strings);
    Some(out)
}

/// Returns the font with its `name` table trimmed, the table directory and checksums
/// rebuilt. `None` if the input is not a well-formed sfnt.
pub fn trim_name_table(font: &[u8]) -> Option<Vec<u8>> {
    let version = u32_at(font, 0)?;
    let num = usize::from(u16_at(font, 4)?);
    let mut tables: Vec<([u8; 4], Vec<u8>)> = Vec::with_capacity(num);
    for i in 0..num {
        let r = 12 + i * 16;
        let tag: [u8; 4] = font.get(r..r + 4)?.try_into().ok()?;
        let off = usize::try_from(u32_at(font, r + 8)?).ok()?;
        let len = usize::try_from(u32_at(font, r + 12)?).ok()?;
        let mut data = font.get(off..off + len)?.to_vec();
        if &tag == b"name" {
            data = trimmed_name(&data)?;
        }
        if &tag == b"head" && data.len() >= 12 {
            data[8..12].copy_from_slice(&[0; 4]);
        }
        tables.push((tag, data));
    }
    tables.sort_by_key(|a| a.0);
    let mut search = 1_usize;
    let mut selector = 0_u16;
    while search * 2 <= num {
        search *= 2;
        selector += 1;
    }
    let mut out = Vec::with_capacity(font.len());
    out.extend(version.to_be_bytes());
    out.extend(u16::try_from(num).ok()?.to_be_bytes());
    out.extend(u16::try_from(search * 16).ok()?.to_be_bytes());
    out.extend(selector.to_be_bytes());
    out.extend(u16::try_from(num * 16 - search * 16).ok()?.to_be_bytes());
    let mut offset = 12 + num * 16;
    let mut head_at = None;
    for (tag, data) in &tables {
        out.extend_from_slice(tag);
        out.extend(checksum(data).to_be_bytes());
        out.extend(u32::try_from(offset).ok()?.to_be_bytes());
        out.extend(u32::try_from(data.len()).ok()?.to_be_bytes());
        if tag == b"head" {
            head_at = Some(offset);
        }
        offset += (data.len() + 3) & !3;
    }
    for (_, data) in &tables {
        out.extend_from_slice(data);
        out.resize((out.len() + 3) & !3, 0);
    }
    if let Some(h) = head_at {
        let adjust = 0xB1B0_AFBA_u32.wrapping_sub(checksum(&out));
        out.get_mut(h + 8..h + 12)?
            .copy_from_slice(&adjust.to_be_bytes());
    }
    Some(out)
}
