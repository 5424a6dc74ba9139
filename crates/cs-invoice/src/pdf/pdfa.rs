//! Finishing touches towards PDF/A-3b, applied to the object graph printpdf built.
//!
//! What is done: PDF 1.7 header with a binary comment; document info (title, author,
//! subject, keywords, creator, producer, dates) and an XMP packet that says the same things
//! and claims `pdfaid:part 3, conformance B`; an sRGB output intent whose ICC profile is
//! built here (so no profile file with its own licence is shipped); every font embedded (a
//! subset) with ToUnicode maps; no encryption, no JavaScript; a file ID hashed from the
//! content. What is not verified here: a full PDF/A validation (veraPDF is not part of the
//! test tools), and the logo's alpha channel becomes an /SMask, i.e. transparency, which
//! PDF/A-3 allows only with care.
//!
//! Determinism: printpdf picks random trailer IDs and XMP instance ids; this module replaces
//! them, and dates come from the document's issue date, never from the clock.

#![allow(clippy::float_arithmetic)]

use std::io::Write;

use lopdf::{Dictionary, Object, Stream, StringFormat};
use sha2::{Digest, Sha256};

use crate::format;
use crate::model::Document;
use crate::InvoiceError;

/// zlib level for content, font and metadata streams. 6 is within a few per cent of 9 in
/// size for these streams at a fraction of the time (measured in BENCH.md).
const COMPRESSION_LEVEL: u32 = 6;
const PRODUCER: &str = "ContainerStacks cs-invoice (printpdf 0.12)";
const ID_PLACEHOLDER: &[u8; 16] = b"cs-invoice-id-00";

pub(super) fn finish(mut pdf: lopdf::Document, doc: &Document) -> Result<Vec<u8>, InvoiceError> {
    let err = |e: lopdf::Error| InvoiceError::Pdf(e.to_string());
    pdf.version = "1.7".to_string();

    let title = doc.title();
    let author = doc.seller.name.clone();
    let subject = format!(
        "{} {} for {}",
        doc.kind.title(),
        doc.number,
        doc.buyer.organization
    );
    let keywords = format!(
        "{}, {}, {}",
        doc.number,
        doc.kind.title(),
        doc.buyer.organization
    );
    let date = doc.issue_date.format("%Y%m%d").to_string();
    let pdf_date = format!("D:{date}000000Z");
    let xmp_date = format!("{}T00:00:00Z", format::date(doc.issue_date));

    let info = Dictionary::from_iter(vec![
        ("Title", text_string(&title)),
        ("Author", text_string(&author)),
        ("Subject", text_string(&subject)),
        ("Keywords", text_string(&keywords)),
        ("Creator", text_string("ContainerStacks")),
        ("Producer", text_string(PRODUCER)),
        (
            "CreationDate",
            Object::String(pdf_date.clone().into_bytes(), StringFormat::Literal),
        ),
        (
            "ModDate",
            Object::String(pdf_date.into_bytes(), StringFormat::Literal),
        ),
    ]);
    // printpdf wrote its own info dictionary with epoch dates; replace it.
    if let Ok(old) = pdf.trailer.get(b"Info").and_then(Object::as_reference) {
        pdf.objects.remove(&old);
    }
    let info_id = pdf.add_object(info);
    pdf.trailer.set("Info", Object::Reference(info_id));

    // The document id in the XMP packet is derived from the number and seller, which
    // together identify a finalized document forever.
    let doc_uuid = uuid_like(&Sha256::digest(format!(
        "{}\u{0}{}",
        doc.seller.name, doc.number
    )));
    let xmp = xmp_packet(&title, &author, &subject, &keywords, &xmp_date, &doc_uuid);
    let mut xmp_stream = Stream::new(
        Dictionary::from_iter(vec![
            ("Type", Object::Name(b"Metadata".to_vec())),
            ("Subtype", Object::Name(b"XML".to_vec())),
        ]),
        xmp.into_bytes(),
    );
    // PDF/A wants the metadata readable without decoding.
    xmp_stream.allows_compression = false;
    let metadata_id = pdf.add_object(xmp_stream);

    let icc = Stream::new(
        Dictionary::from_iter(vec![("N", Object::Integer(3))]),
        srgb_icc_profile(),
    );
    let icc_id = pdf.add_object(icc);
    let intent = Dictionary::from_iter(vec![
        ("Type", Object::Name(b"OutputIntent".to_vec())),
        ("S", Object::Name(b"GTS_PDFA1".to_vec())),
        (
            "OutputConditionIdentifier",
            Object::string_literal("sRGB IEC61966-2.1"),
        ),
        (
            "RegistryName",
            Object::string_literal("http://www.color.org"),
        ),
        ("Info", Object::string_literal("sRGB IEC61966-2.1")),
        ("DestOutputProfile", Object::Reference(icc_id)),
    ]);

    let root_id = pdf
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(err)?;
    let catalog = pdf
        .get_object_mut(root_id)
        .and_then(Object::as_dict_mut)
        .map_err(err)?;
    catalog.set("Metadata", Object::Reference(metadata_id));
    catalog.set(
        "OutputIntents",
        Object::Array(vec![Object::Dictionary(intent)]),
    );
    catalog.set("Lang", Object::string_literal("en"));
    catalog.set("PageMode", Object::Name(b"UseNone".to_vec()));

    compress_streams(&mut pdf)?;

    let placeholder = Object::String(ID_PLACEHOLDER.to_vec(), StringFormat::Hexadecimal);
    pdf.trailer
        .set("ID", Object::Array(vec![placeholder.clone(), placeholder]));
    let mut bytes = Vec::with_capacity(64 * 1024);
    pdf.save_to(&mut bytes)?;

    // The file ID is the hash of the file written with a placeholder ID: identical
    // documents get identical IDs, different ones different IDs, and patching in a value of
    // the same length leaves every xref offset valid.
    let digest = Sha256::digest(&bytes);
    let hex_placeholder: String = ID_PLACEHOLDER.iter().map(|b| format!("{b:02X}")).collect();
    let hex_id: String = digest.iter().take(16).map(|b| format!("{b:02X}")).collect();
    let needle = hex_placeholder.as_bytes();
    let mut i = bytes.len().saturating_sub(4096);
    let mut patched = 0;
    while i + needle.len() <= bytes.len() {
        if &bytes[i..i + needle.len()] == needle {
            bytes[i..i + needle.len()].copy_from_slice(hex_id.as_bytes());
            patched += 1;
            i += needle.len();
        } else {
            i += 1;
        }
    }
    if patched != 2 {
        return Err(InvoiceError::Pdf(format!(
            "file ID placeholder found {patched} times, expected 2"
        )));
    }
    Ok(bytes)
}

fn compress_streams(pdf: &mut lopdf::Document) -> Result<(), InvoiceError> {
    for object in pdf.objects.values_mut() {
        if let Object::Stream(stream) = object {
            if !stream.allows_compression || stream.dict.get(b"Filter").is_ok() {
                continue;
            }
            let mut enc = flate2::write::ZlibEncoder::new(
                Vec::with_capacity(stream.content.len() / 2),
                flate2::Compression::new(COMPRESSION_LEVEL),
            );
            enc.write_all(&stream.content)?;
            let compressed = enc.finish()?;
            if compressed.len() < stream.content.len() {
                stream
                    .dict
                    .set("Filter", Object::Name(b"FlateDecode".to_vec()));
                stream.set_content(compressed);
            }
        }
    }
    Ok(())
}

/// A PDF text string: PDFDocEncoding-compatible ASCII as is, anything else UTF-16BE with BOM.
fn text_string(s: &str) -> Object {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        Object::String(s.as_bytes().to_vec(), StringFormat::Literal)
    } else {
        let mut bytes = vec![0xFE, 0xFF];
        for unit in s.encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        Object::String(bytes, StringFormat::Hexadecimal)
    }
}

fn uuid_like(d: &[u8]) -> String {
    let h: String = d.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn xmp_packet(
    title: &str,
    author: &str,
    subject: &str,
    keywords: &str,
    date: &str,
    uuid: &str,
) -> String {
    let (title, author, subject, keywords) = (
        xml_escape(title),
        xml_escape(author),
        xml_escape(subject),
        xml_escape(keywords),
    );
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n\
<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
<rdf:Description rdf:about=\"\" xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\n\
<pdfaid:part>3</pdfaid:part>\n<pdfaid:conformance>B</pdfaid:conformance>\n\
</rdf:Description>\n\
<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n\
<dc:format>application/pdf</dc:format>\n\
<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{title}</rdf:li></rdf:Alt></dc:title>\n\
<dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>\n\
<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{subject}</rdf:li></rdf:Alt></dc:description>\n\
</rdf:Description>\n\
<rdf:Description rdf:about=\"\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n\
<pdf:Producer>{PRODUCER}</pdf:Producer>\n<pdf:Keywords>{keywords}</pdf:Keywords>\n\
</rdf:Description>\n\
<rdf:Description rdf:about=\"\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\">\n\
<xmp:CreatorTool>ContainerStacks</xmp:CreatorTool>\n\
<xmp:CreateDate>{date}</xmp:CreateDate>\n<xmp:ModifyDate>{date}</xmp:ModifyDate>\n\
<xmp:MetadataDate>{date}</xmp:MetadataDate>\n\
</rdf:Description>\n\
<rdf:Description rdf:about=\"\" xmlns:xmpMM=\"http://ns.adobe.com/xap/1.0/mm/\">\n\
<xmpMM:DocumentID>uuid:{uuid}</xmpMM:DocumentID>\n<xmpMM:InstanceID>uuid:{uuid}</xmpMM:InstanceID>\n\
</rdf:Description>\n\
</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"r\"?>"
    )
}

/// A minimal ICC v2 display profile for sRGB: D50-adapted sRGB primaries and the sRGB tone
/// curve sampled at 256 points. Built from the published constants rather than shipped as
/// a file, so the crate carries no profile under a separate licence.
fn srgb_icc_profile() -> Vec<u8> {
    fn s15(v: f64) -> [u8; 4] {
        ((v * 65536.0).round() as i32).to_be_bytes()
    }
    fn xyz(x: f64, y: f64, z: f64) -> Vec<u8> {
        let mut t = b"XYZ \0\0\0\0".to_vec();
        t.extend(s15(x));
        t.extend(s15(y));
        t.extend(s15(z));
        t
    }
    let desc = {
        let text = b"sRGB IEC61966-2.1 (cs-invoice)\0";
        let mut t = b"desc\0\0\0\0".to_vec();
        t.extend((text.len() as u32).to_be_bytes());
        t.extend_from_slice(text);
        t.extend([0_u8; 8]); // Unicode language code and count
        t.extend([0_u8; 3]); // ScriptCode code and count
        t.extend([0_u8; 67]);
        t
    };
    let cprt = {
        let mut t = b"text\0\0\0\0".to_vec();
        t.extend_from_slice(b"No copyright, use freely\0");
        t
    };
    let curve = {
        let mut t = b"curv\0\0\0\0".to_vec();
        t.extend(256_u32.to_be_bytes());
        for i in 0..256 {
            let v = f64::from(i) / 255.0;
            let lin = if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            };
            t.extend(((lin * 65535.0).round() as u16).to_be_bytes());
        }
        t
    };
    let tags: Vec<(&[u8; 4], Vec<u8>)> = vec![
        (b"desc", desc),
        (b"cprt", cprt),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)),
        (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", curve.clone()),
        (b"gTRC", curve.clone()),
        (b"bTRC", curve),
    ];
    let table_len = 4 + 12 * tags.len();
    let mut data = Vec::new();
    let mut table = Vec::new();
    table.extend((tags.len() as u32).to_be_bytes());
    for (sig, body) in &tags {
        while !(128 + table_len + data.len()).is_multiple_of(4) {
            data.push(0);
        }
        let offset = 128 + table_len + data.len();
        table.extend_from_slice(*sig);
        table.extend((offset as u32).to_be_bytes());
        table.extend((body.len() as u32).to_be_bytes());
        data.extend_from_slice(body);
    }
    while data.len() % 4 != 0 {
        data.push(0);
    }
    let size = 128 + table.len() + data.len();
    let mut header = Vec::with_capacity(128);
    header.extend((size as u32).to_be_bytes());
    header.extend([0_u8; 4]); // preferred CMM
    header.extend([0x02, 0x10, 0x00, 0x00]); // version 2.1
    header.extend_from_slice(b"mntrRGB XYZ ");
    for v in [2025_u16, 1, 1, 0, 0, 0] {
        header.extend(v.to_be_bytes());
    }
    header.extend_from_slice(b"acsp");
    header.extend([0_u8; 4 + 4 + 4 + 4 + 8 + 4]); // platform, flags, manufacturer, model, attributes, intent
    header.extend(s15(0.9642));
    header.extend(s15(1.0));
    header.extend(s15(0.8249));
    header.extend([0_u8; 4]); // creator
    header.resize(128, 0);
    let mut profile = header;
    profile.extend(table);
    profile.extend(data);
    profile
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icc_profile_is_well_formed() {
        let p = srgb_icc_profile();
        assert_eq!(
            u32::from_be_bytes([p[0], p[1], p[2], p[3]]) as usize,
            p.len()
        );
        assert_eq!(&p[36..40], b"acsp");
        assert_eq!(&p[12..24], b"mntrRGB XYZ ");
        assert_eq!(p.len() % 4, 0);
    }

    #[test]
    fn text_strings_use_utf16_for_non_ascii() {
        assert_eq!(
            text_string("Ab"),
            Object::String(b"Ab".to_vec(), StringFormat::Literal)
        );
        match text_string("Zoë") {
            Object::String(b, StringFormat::Hexadecimal) => assert_eq!(&b[..2], &[0xFE, 0xFF]),
            other => panic!("unexpected {other:?}"),
        }
    }
}
