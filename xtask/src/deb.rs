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

/// `cargo xtask deb-check [PACKAGE.deb]`: installs the package (by default
/// the newest one `cargo xtask deb` wrote) with apt on a clean Debian 12 —
/// a minimal bookworm made with debootstrap, copied fresh for each check —
/// so that its declared dependencies alone must bring in what it needs,
/// then starts it under Xvfb and waits until its window is up. As root,
/// with the Debian mirror reachable; not part of `cargo xtask test`.
pub fn clean_install_check(root: &Path, args: &[String]) -> Result<()> {
    if !crate::is_root() {
        bail!("the clean-install check makes a Debian chroot: run it as root");
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    let deb = match args.first() {
        Some(p) => PathBuf::from(p),
        None => newest_deb(&target)?,
    };
    let base = target.join("clean-debian-12");
    if !base.join("etc/debian_version").exists() {
        if !crate::have("debootstrap") {
            run(Command::new("apt-get").args(["install", "-y", "-qq", "debootstrap"]))?;
        }
        let partial = target.join("clean-debian-12.partial");
        let _ = std::fs::remove_dir_all(&partial);
        run(Command::new("debootstrap")
            .args(["--variant=minbase", "bookworm"])
            .arg(&partial)
            .arg("http://deb.debian.org/debian"))?;
        std::fs::rename(&partial, &base)?;
    }
    let work = target.join("clean-debian-12.check");
    release_chroot(&work)?;
    run(Command::new("cp").arg("-a").arg(&base).arg(&work))?;
    let result = (|| -> Result<()> {
        // A /proc of its own and a /dev on a tmpfs of its own with just the
        // devices the app and Xvfb use: nothing of this machine's is
        // reachable from inside, whatever happens to the folder later.
        run(Command::new("mount")
            .args(["-t", "proc", "proc"])
            .arg(work.join("proc")))?;
        run(Command::new("mount")
            .args(["-t", "tmpfs", "-o", "mode=755", "tmpfs"])
            .arg(work.join("dev")))?;
        run(Command::new("sh").arg("-c").arg(format!(
            "cd {} && mknod -m 666 null c 1 3 && mknod -m 666 zero c 1 5 && mknod -m 666 full c 1 7 \
             && mknod -m 666 random c 1 8 && mknod -m 666 urandom c 1 9 && mknod -m 666 tty c 5 0 \
             && ln -s /proc/self/fd fd && mkdir -m 1777 shm",
            work.join("dev").display()
        )))?;
        std::fs::copy("/etc/resolv.conf", work.join("etc/resolv.conf"))?;
        std::fs::copy(&deb, work.join("tmp/package.deb"))?;
        let chroot = |script: &str| -> Result<()> {
            run(Command::new("chroot")
                .arg(&work)
                .args(["sh", "-c", script])
                .env("DEBIAN_FRONTEND", "noninteractive"))
        };
        chroot("apt-get update -qq && apt-get install -y -qq /tmp/package.deb xvfb xauth >/tmp/apt.log 2>&1 || { tail -30 /tmp/apt.log; exit 1; }")?;
        chroot("dpkg-query -W -f='installed ${Package} ${Version}\\n' container-stacks")?;
        // Up to a minute for the window; whatever runs is killed after.
        chroot(
            "mkdir -p /tmp/data && CS_DATA_DIR=/tmp/data timeout 60 xvfb-run -a containerstacks >/tmp/app.log 2>&1 & \
             for i in $(seq 60); do grep -qs '\"the window is up\"' /tmp/data/logs/* && break; sleep 1; done; \
             if grep -qs '\"the window is up\"' /tmp/data/logs/*; then echo 'the app started: its window is up'; else tail -30 /tmp/app.log; exit 1; fi",
        )
    })();
    let released = release_chroot(&work);
    result.with_context(|| {
        format!(
            "{} did not install and start on a clean Debian 12",
            deb.display()
        )
    })?;
    released?;
    println!("{} installs and starts on a clean Debian 12", deb.display());
    Ok(())
}

/// Kills what runs inside the chroot at `work`, unmounts what is mounted
/// under it, and only when nothing is left mounted there removes it
/// (without crossing into another file system either way).
fn release_chroot(work: &Path) -> Result<()> {
    if !work.exists() {
        return Ok(());
    }
    let work_str = work.display().to_string();
    for entry in std::fs::read_dir("/proc")?.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        if std::fs::read_link(entry.path().join("root")).is_ok_and(|r| r == work) {
            let _ = Command::new("kill").args(["-KILL", pid]).status();
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let mounted = || -> Result<Vec<String>> {
        Ok(std::fs::read_to_string("/proc/mounts")?
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1))
            .filter(|m| *m == work_str || m.starts_with(&format!("{work_str}/")))
            .map(str::to_string)
            .collect())
    };
    for m in mounted()?.iter().rev() {
        let _ = Command::new("umount").args(["-l", m]).status();
    }
    let left = mounted()?;
    if !left.is_empty() {
        bail!(
            "{} still has mounts ({}): unmount them, then remove it",
            work.display(),
            left.join(", ")
        );
    }
    run(Command::new("rm")
        .args(["-rf", "--one-file-system"])
        .arg(work))
}

fn newest_deb(target: &Path) -> Result<PathBuf> {
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
    for profile in ["release", "debug"] {
        let dir = target.join(profile).join("bundle").join("deb");
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "deb") {
                found.push((e.metadata()?.modified()?, p));
            }
        }
    }
    found.sort();
    found
        .pop()
        .map(|(_, p)| p)
        .context("no .deb found: run `cargo xtask deb` first, or name the package")
}
