//! Compresses the two DejaVu faces the PDFs embed (1.4 MB as TTF) with
//! deflate for the binary; `font::dejavu_bytes` inflates each once, on first
//! use. The bytes a document embeds are the same as from the TTF itself.
use std::io::Write;

fn main() {
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for (name, bytes) in [
        ("DejaVuSans.ttf.deflate", dejavu::sans::regular()),
        ("DejaVuSans-Bold.ttf.deflate", dejavu::sans::bold()),
    ] {
        let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(bytes).expect("deflate into memory");
        std::fs::write(out.join(name), z.finish().expect("deflate into memory"))
            .expect("write to OUT_DIR");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
