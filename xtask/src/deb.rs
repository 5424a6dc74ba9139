//! `cargo xtask deb`: the .deb package with its updater artefacts — the
//! package, its minisign signature (`.deb.sig`) and the update manifest
//! (`latest.json`) a mirror serves — built with the Tauri CLI.
//!
//! ```text
//! cargo xtask deb [--debug] [--version V] [--notes TEXT] [--base-url URL]
//!                 [--out DIR] [--updates-over-http]
//! ```
//!
//! The package is signed with the release key when `TAURI_SIGNING_PRIVATE_KEY`
//! (the key, or a path to it) is set, with `TAURI_SIGNING_PRIVATE_KEY_PASSWORD`
//! when it has one; tauri.conf.json holds its public half, which the app
//! trusts. Without it, a development key is made once under
//! `target/updater-dev-key/` and the package is built to trust that key
//! instead: such a package only ever accepts updates signed with the same
//! development key, never a release. `--updates-over-http` lets the package
//! fetch updates over plain http (the update test's loopback server); a
//! release never sets it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::run;

/// The Tauri CLI, from npm (its Rust build is slow to compile).
pub const TAURI_CLI: &str = "@tauri-apps/cli@2.12";

struct Options {
    debug: bool,
    version: Option<String>,
    notes: String,
    base_url: Option<String>,
    out: Option<PathBuf>,
    updates_over_http: bool,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut o = Options {
        debug: false,
        version: None,
        notes: String::new(),
        base_url: None,
        out: None,
        updates_over_http: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .with_context(|| format!("{a} needs a value"))
        };
        match a.as_str() {
            "--debug" => o.debug = true,
            "--version" => o.version = Some(value()?),
            "--notes" => o.notes = value()?,
            "--base-url" => o.base_url = Some(value()?.trim_end_matches('/').to_string()),
            "--out" => o.out = Some(PathBuf::from(value()?)),
            "--updates-over-http" => o.updates_over_http = true,
            other => bail!("unknown option {other}: cargo xtask deb [--debug] [--version V] [--notes TEXT] [--base-url URL] [--out DIR] [--updates-over-http]"),
        }
    }
    Ok(o)
}

pub fn deb(root: &Path, args: &[String]) -> Result<()> {
    let o = parse(args)?;
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    let conf: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("tauri.conf.json"))?)?;

    // The key that signs, and the public half the package will trust.
    let mut overrides = serde_json::json!({ "build": { "beforeBuildCommand": "" } });
    let (key, password) = match std::env::var("TAURI_SIGNING_PRIVATE_KEY") {
        Ok(key) if !key.trim().is_empty() => {
            eprintln!("signing with the release key (TAURI_SIGNING_PRIVATE_KEY)");
            (
                key,
                std::env::var("TAURI_SIGNING_PRIVATE_KEY_PASSWORD").unwrap_or_default(),
            )
        }
        _ => {
            let (key, public) = dev_key(&target)?;
            eprintln!(
                "TAURI_SIGNING_PRIVATE_KEY is not set: signing with the development key {} — this package trusts only updates signed with it, never a release",
                key.display()
            );
            overrides["plugins"]["updater"]["pubkey"] = public.into();
            (key.display().to_string(), String::new())
        }
    };
    if o.updates_over_http {
        overrides["plugins"]["updater"]["dangerousInsecureTransportProtocol"] = true.into();
    }
    if let Some(v) = &o.version {
        overrides["version"] = v.clone().into();
    }
    let version = match &o.version {
        Some(v) => v.clone(),
        None => workspace_version(root)?,
    };

    let mut cli = Command::new("npx");
    cli.current_dir(root)
        .args(["--yes", TAURI_CLI, "build", "--bundles", "deb", "--ci"])
        .arg("--config")
        .arg(overrides.to_string())
        .env("TAURI_SIGNING_PRIVATE_KEY", &key)
        .env("TAURI_SIGNING_PRIVATE_KEY_PASSWORD", &password);
    if o.debug {
        cli.arg("--debug");
    }
    // Only the app's package: `cargo build --bins` in the workspace would
    // build every member's binaries, with other features for the shared
    // dependencies, and rebuild them instead of reusing `cargo build -p
    // containerstacks`'s.
    cli.args(["--", "--package", "containerstacks"]);
    run(&mut cli)?;

    let profile = if o.debug { "debug" } else { "release" };
    let bundle = target.join(profile).join("bundle").join("deb");
    let product = conf["productName"].as_str().unwrap_or("ContainerStacks");
    let name = format!("{product}_{version}_amd64.deb");
    let deb = bundle.join(&name);
    let sig = bundle.join(format!("{name}.sig"));
    if !deb.exists() || !sig.exists() {
        bail!("the Tauri CLI did not write {} and its .sig", deb.display());
    }
    let out = o.out.unwrap_or_else(|| bundle.clone());
    std::fs::create_dir_all(&out)?;
    if out != bundle {
        std::fs::copy(&deb, out.join(&name))?;
        std::fs::copy(&sig, out.join(format!("{name}.sig")))?;
    }

    // The manifest: the plugin looks for `linux-x86_64-deb` (an installed
    // .deb) first, then `linux-x86_64`.
    let base = match o.base_url {
        Some(b) => b,
        None => conf["plugins"]["updater"]["endpoints"][0]
            .as_str()
            .and_then(|e| e.rsplit_once('/').map(|(dir, _)| dir.to_string()))
            .unwrap_or_default(),
    };
    let signature = std::fs::read_to_string(&sig)?;
    let platform =
        serde_json::json!({ "signature": signature.trim(), "url": format!("{base}/{name}") });
    let manifest = serde_json::json!({
        "version": version,
        "notes": o.notes,
        "pub_date": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "platforms": { "linux-x86_64-deb": platform, "linux-x86_64": platform },
    });
    std::fs::write(
        out.join("latest.json"),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )?;

    let size = std::fs::metadata(out.join(&name))?.len();
    println!(
        "{}: {:.1} MB, signed ({}), manifest {}",
        out.join(&name).display(),
        size as f64 / 1e6,
        sig.file_name().unwrap_or_default().to_string_lossy(),
        out.join("latest.json").display()
    );
    Ok(())
}

/// The development key pair under `target/updater-dev-key/`, made once.
fn dev_key(target: &Path) -> Result<(PathBuf, String)> {
    let dir = target.join("updater-dev-key");
    let key = dir.join("dev.key");
    let public = dir.join("dev.key.pub");
    if !key.exists() || !public.exists() {
        std::fs::create_dir_all(&dir)?;
        run(Command::new("npx")
            .args(["--yes", TAURI_CLI, "signer", "generate", "--ci", "--force"])
            .args(["--password", "", "--write-keys"])
            .arg(&key))?;
    }
    Ok((key, std::fs::read_to_string(&public)?.trim().to_string()))
}

fn workspace_version(root: &Path) -> Result<String> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml"))?;
    let in_workspace_package = manifest
        .split("[workspace.package]")
        .nth(1)
        .context("Cargo.toml has no [workspace.package]")?;
    in_workspace_package
        .lines()
        .find_map(|l| {
            let l = l.trim();
            l.strip_prefix("version").map(|rest| {
                rest.trim_start_matches([' ', '='])
                    .trim_matches('"')
                    .to_string()
            })
        })
        .context("[workspace.package] has no version")
}
