//! Rendering figures: `cargo bench -p cs-invoice --bench render`.
//!
//! Prints (1) the one-off font parse, (2) per-document time and size over 1,000 one-page
//! invoices on one thread, with the time split by phase and the bytes split by object kind,
//! (3) 10,000 month-end invoices on a two-thread pool. Set `CS_INVOICE_BENCH_N` to scale
//! the month-end run down for a quick look.

#![allow(clippy::float_arithmetic)]

#[path = "../tests/it/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use cs_invoice::{Document, DocumentKind, TaxCategory};

fn one_page_invoice(i: usize) -> Document {
    let names = [
        "Zoë Ødegård AS",
        "Αθηνά Παπαδοπούλου",
        "Ёлкин Пётр ООО",
        "Acme Hosting GmbH",
    ];
    let countries = ["NO", "GR", "DE", "DE"];
    fixtures::document(
        DocumentKind::Invoice,
        &format!("INV-2025-{:06}", i + 1),
        fixtures::buyer(names[i % 4], Some("Accounts payable"), countries[i % 4]),
        fixtures::usage_lines(3 + i % 5, TaxCategory::Standard, 1900),
        false,
        i.is_multiple_of(2),
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let t = Instant::now();
    cs_invoice::prepare_fonts().expect("fonts");
    println!("font parse (once per process): {:.1} ms", ms(t.elapsed()));

    // Warm caches and the allocator.
    for i in 0..20 {
        cs_invoice::render_pdf(&one_page_invoice(i)).unwrap();
    }

    let docs: Vec<Document> = (0..1000).map(one_page_invoice).collect();
    let mut times = Vec::with_capacity(docs.len());
    let mut sizes = Vec::with_capacity(docs.len());
    let mut phases: BTreeMap<&'static str, Duration> = BTreeMap::new();
    let mut order: Vec<&'static str> = Vec::new();
    let all = Instant::now();
    for d in &docs {
        let start = Instant::now();
        let mut last = start;
        let bytes = cs_invoice::render_pdf_phased(d, &mut |name| {
            let now = Instant::now();
            *phases.entry(name).or_default() += now - last;
            if !order.contains(&name) {
                order.push(name);
            }
            last = now;
        })
        .unwrap();
        times.push(start.elapsed());
        sizes.push(bytes.len());
    }
    let total = all.elapsed();
    times.sort();
    let n = docs.len();
    println!("\n1,000 one-page invoices, 1 thread, fonts subset per document");
    println!("  total        {:.0} ms", ms(total));
    println!(
        "  per document mean {:.2} ms, median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        ms(total) / n as f64,
        ms(times[n / 2]),
        ms(times[n * 95 / 100]),
        ms(times[n - 1])
    );
    println!(
        "  size         mean {:.1} KB, min {:.1} KB, max {:.1} KB",
        sizes.iter().sum::<usize>() as f64 / n as f64 / 1024.0,
        *sizes.iter().min().unwrap() as f64 / 1024.0,
        *sizes.iter().max().unwrap() as f64 / 1024.0
    );
    println!("  time by phase (mean per document):");
    for name in order {
        println!("    {:<34} {:.3} ms", name, ms(phases[name]) / n as f64);
    }

    // Where the bytes of one document go.
    let bytes = cs_invoice::render_pdf(&docs[0]).unwrap();
    let pdf = lopdf::Document::load_mem(&bytes).expect("reload");
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    for obj in pdf.objects.values() {
        if let lopdf::Object::Stream(s) = obj {
            let kind = if s.dict.get(b"Length1").is_ok() {
                "font programs (2 subsets)"
            } else if s.dict.get(b"Subtype").ok().and_then(|o| o.as_name().ok()) == Some(b"Image") {
                "logo image + alpha mask"
            } else if s.dict.get(b"Type").ok().and_then(|o| o.as_name().ok()) == Some(b"Metadata") {
                "XMP metadata"
            } else if s.dict.get(b"N").is_ok() {
                "sRGB ICC profile"
            } else if s.content.len() < 1500 && s.dict.len() <= 2 {
                "ToUnicode maps / small streams"
            } else {
                "page content"
            };
            *by_kind.entry(kind.to_string()).or_default() += s.content.len();
        }
    }
    let streams: usize = by_kind.values().sum();
    by_kind.insert("dictionaries, xref, trailer".into(), bytes.len() - streams);
    println!("  bytes of invoice 1 ({} B):", bytes.len());
    for (k, v) in by_kind {
        println!("    {:<34} {:>6} B", k, v);
    }

    // Month-end: many invoices on a two-thread pool.
    let count: usize = std::env::var("CS_INVOICE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let month_end: Vec<Document> = (0..count).map(one_page_invoice).collect();
    let start = Instant::now();
    let mut produced = 0usize;
    let mut total_bytes = 0usize;
    for chunk in month_end.chunks(500) {
        for r in cs_invoice::render_pdf_many(chunk, 2) {
            total_bytes += r.unwrap().len();
            produced += 1;
        }
    }
    let elapsed = start.elapsed();
    println!("\n{produced} month-end invoices on 2 threads: {:.1} s ({:.0} invoices/s, {:.1} MB written)",
        elapsed.as_secs_f64(), produced as f64 / elapsed.as_secs_f64(), total_bytes as f64 / 1_048_576.0);
}
