//! `cargo xtask bench desktop`: ContainerStacks against a hello-world Tauri
//! app (the floor, `xtask/floor-app/`, the same Tauri version and release
//! profile), started the same way under Xvfb: first paint and PSS on an empty
//! and on a large store (`gen-store`), and on the large store the time from a
//! click to the first page of Customers, Servers and Documents and of a search
//! on each. `xtask/bench/desktop.mjs` measures and prints; this builds, makes
//! the stores and starts Xvfb. Not part of `cargo xtask test`: it takes two
//! release builds (the app's through `cargo xtask deb`, for the package's
//! size). The figures are recorded in crates/cs-app/BENCH.md.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::{build_ui, cargo, gen_store, run};

pub fn bench(root: &Path, args: &[String]) -> Result<()> {
    let quick = args.iter().any(|a| a == "--quick");
    build_ui(root)?;
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    // The release app as it ships: built by the Tauri CLI into its .deb,
    // whose size the benchmark reports beside the binary's.
    crate::deb::deb(root, &[])?;
    let deb = std::fs::read_dir(target.join("release").join("bundle").join("deb"))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
        .context("the .deb the Tauri CLI built is missing")?;
    run(Command::new(cargo())
        .args([
            "build",
            "--release",
            "--manifest-path",
            "xtask/floor-app/Cargo.toml",
        ])
        .env("CARGO_TARGET_DIR", &target))?;
    let app = target.join("release").join("containerstacks");
    let floor = target.join("release").join("floor-app");
    let dir = tempfile::tempdir()?;
    let empty = dir.path().join("empty");
    let large = dir.path().join("large");
    cs_store::create_private_dir_all(&empty)?;
    let mut spec = gen_store::Spec::large(large.join("containerstacks.db"));
    if quick {
        // A tenth of the size, to try the benchmark itself.
        spec.customers /= 10;
        spec.documents /= 10;
    }
    let g = gen_store::generate(&spec, &mut |line| eprintln!("gen-store: {line}"))?;
    eprintln!(
        "large store: {} customers, {} servers, {} documents, {} ledger transactions in {:.0} s",
        g.customers, g.servers, g.documents, g.ledger_txns, g.seconds
    );
    run(Command::new("xvfb-run")
        .args([
            "--auto-servernum",
            "--server-args=-screen 0 1440x900x24",
            "node",
            "xtask/bench/desktop.mjs",
        ])
        .env("CS_BENCH_APP", &app)
        .env("CS_BENCH_DEB", &deb)
        .env("CS_BENCH_FLOOR", &floor)
        .env("CS_BENCH_EMPTY_DIR", &empty)
        .env("CS_BENCH_LARGE_DIR", &large)
        .current_dir(root))
    .context("the desktop benchmark failed")
}
