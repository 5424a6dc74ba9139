//! Running the external checkers (poppler-utils, qpdf, unzip). They must be installed:
//! a missing tool fails the test with the package to install, it never skips.

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cs-invoice")
        .join(name);
    std::fs::create_dir_all(&dir).expect("create test output dir");
    dir
}

pub fn run(tool: &str, package: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("`{tool}` could not be run ({e}): install the Debian package `{package}` (CI must install it)")
    });
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `pdftotext -layout` of the whole file.
pub fn pdftotext(pdf: &Path) -> String {
    let (ok, text, err) = run(
        "pdftotext",
        "poppler-utils",
        &["-layout", pdf.to_str().unwrap(), "-"],
    );
    assert!(ok, "pdftotext failed: {err}");
    text
}

pub fn page_count(pdf: &Path) -> usize {
    let (ok, info, err) = run("pdfinfo", "poppler-utils", &[pdf.to_str().unwrap()]);
    assert!(ok, "pdfinfo failed: {err}");
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("pdfinfo prints Pages:")
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write test file");
    p
}

/// `pdftotext -raw`: text in content-stream order, so wrapped cells stay together.
pub fn pdftotext_raw(pdf: &Path) -> String {
    let (ok, text, err) = run(
        "pdftotext",
        "poppler-utils",
        &["-raw", pdf.to_str().unwrap(), "-"],
    );
    assert!(ok, "pdftotext failed: {err}");
    text
}
