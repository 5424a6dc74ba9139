//! Embeds the portal's web UI (`ui/dist-portal/`, built by `npm run
//! build:portal` in `ui/`) into the binary. Without it the portal serves one
//! page that says how to build the UI, so a Rust-only build still works.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    println!("cargo:rerun-if-env-changed=CS_PORTAL_UI_DIR");
    let ui = manifest.join("../../ui");
    let dist = std::env::var_os("CS_PORTAL_UI_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| ui.join("dist-portal"));
    let mut files = Vec::new();
    if dist.join("index.html").is_file() {
        println!("cargo:rerun-if-changed={}", dist.display());
        collect(&dist, &dist, &mut files);
    } else if ui.is_dir() {
        // Cargo treats a missing path as always changed (a rebuild on every
        // build), and watching `ui/` would scan node_modules each time: make
        // the (git-ignored) output folder exist, empty, and watch it, so the
        // UI's build is noticed when it fills it.
        let _ = std::fs::create_dir_all(&dist);
        println!("cargo:rerun-if-changed={}", dist.display());
    }
    files.sort();
    let mut out = String::new();
    out.push_str("/// The web UI's files: (path under the UI root, bytes).\n");
    out.push_str("pub static FILES: &[(&str, &[u8])] = &[\n");
    for (rel, abs) in &files {
        writeln!(
            out,
            "    ({rel:?}, include_bytes!({:?})),",
            abs.display().to_string()
        )
        .expect("writing to a String");
    }
    out.push_str("];\n");
    writeln!(
        out,
        "/// Whether the UI was built when the portal was.\npub const BUILT: bool = {};",
        !files.is_empty()
    )
    .expect("writing to a String");
    let target = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("ui_files.rs");
    // Rewrite only on change, so that nothing downstream rebuilds for nothing.
    if std::fs::read_to_string(&target).ok().as_deref() != Some(out.as_str()) {
        std::fs::write(&target, out).expect("OUT_DIR is writable");
    }
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(rel) = path.strip_prefix(root) {
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push((rel, path.canonicalize().unwrap_or(path)));
        }
    }
}
