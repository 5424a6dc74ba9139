//! A throwaway PostgreSQL cluster for tests and benchmarks: Debian's
//! `postgresql` package, started on a free loopback port in a temporary
//! folder, and removed when dropped.
//!
//! `initdb` and `postgres` refuse to run as root, so as root they run as the
//! `postgres` user. The server's output goes to a log file, never to the
//! caller's pipes, and a watchdog stops it if the process that started it
//! dies without dropping the cluster: a test run never leaves a server behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// A running throwaway cluster.
pub struct Cluster {
    dir: tempfile::TempDir,
    port: u16,
    watchdog: std::process::Child,
}

/// Where Debian installs the server's programs.
pub fn bin_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("CS_POSTGRES_BIN") {
        return Some(PathBuf::from(dir));
    }
    let base = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<PathBuf> = std::fs::read_dir(base)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("postgres").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs `program` as the `postgres` user when we are root.
fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Cluster {
    /// Creates and starts a cluster; fails with what to install when
    /// PostgreSQL is missing.
    pub fn start() -> anyhow::Result<Cluster> {
        let bin = bin_dir().context(
            "PostgreSQL is not installed: `apt-get install postgresql` (cargo xtask setup does it)",
        )?;
        let dir = tempfile::Builder::new().prefix("cs-portal-pg-").tempdir()?;
        let data = dir.path().join("data");
        std::fs::create_dir(&data)?;
        if is_root() {
            let owner = |what: &str| -> anyhow::Result<u32> {
                let out = Command::new("id").args([what, "postgres"]).output()?;
                Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
            };
            let (uid, gid) = (owner("-u")?, owner("-g")?);
            for p in [dir.path(), data.as_path()] {
                std::os::unix::fs::chown(p, Some(uid), Some(gid))?;
            }
        }
        let log = dir.path().join("server.log");
        let status = as_server_user(&bin.join("initdb"))
            .args(["-D"])
            .arg(&data)
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .context("cannot run initdb")?;
        if !status.success() {
            bail!("initdb failed in {}", data.display());
        }
        let port = free_port()?;
        // The watchdog starts the server and stops it when our process is
        // gone (or when `drop` kills the watchdog's group).
        let script = format!(
            "{server} -D '{data}' -p {port} -k '{dir}' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 >'{log}' 2>&1 &\n\
             pg=$!\n\
             stop() {{ {pg_ctl} -D '{data}' -m fast -w stop >/dev/null 2>&1; wait $pg; rm -rf '{dir}'; exit 0; }}\n\
             trap stop TERM INT\n\
             while kill -0 {parent} 2>/dev/null && kill -0 $pg 2>/dev/null; do sleep 0.5; done\n\
             stop\n",
            server = if is_root() {
                format!("runuser -u postgres -- '{}'", bin.join("postgres").display())
            } else {
                format!("'{}'", bin.join("postgres").display())
            },
            pg_ctl = if is_root() {
                format!("runuser -u postgres -- '{}'", bin.join("pg_ctl").display())
            } else {
                format!("'{}'", bin.join("pg_ctl").display())
            },
            data = data.display(),
            dir = dir.path().display(),
            log = log.display(),
            parent = std::process::id(),
        );
        let watchdog = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start the PostgreSQL watchdog")?;
        let cluster = Cluster {
            dir,
            port,
            watchdog,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if postgres::Client::connect(&cluster.url("postgres"), postgres::NoTls).is_ok() {
                break;
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                bail!("PostgreSQL did not start within 30 s:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(cluster)
    }

    /// The URL of database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// A new empty database; returns its URL.
    pub fn create_database(&self) -> anyhow::Result<String> {
        static NEXT: AtomicU32 = AtomicU32::new(1);
        let name = format!(
            "portal_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut client = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)?;
        client.batch_execute(&format!("CREATE DATABASE {name}"))?;
        Ok(self.url(&name))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // SIGTERM to the watchdog: it stops the server with a fast shutdown
        // and waits for it.
        let _ = Command::new("kill")
            .arg(self.watchdog.id().to_string())
            .status();
        let _ = self.watchdog.wait();
    }
}
