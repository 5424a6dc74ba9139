//! `containerstacks-portal`: serves the customer portal, and manages its
//! tenants from the command line.
//!
//! ```text
//! containerstacks-portal [--data DIR | --database-url URL] [--listen ADDR] [--public-url URL]
//!                       [--behind-proxy] [--smtp-host HOST --mail-from ADDR [--smtp-port N]
//!                       [--smtp-security starttls|tls|none] [--smtp-user USER]
//!                       [--smtp-password-file FILE] [--smtp-ca-file PEM]]
//! containerstacks-portal [--data DIR | --database-url URL] tenant add SLUG NAME
//! containerstacks-portal [--data DIR | --database-url URL] tenant list
//! containerstacks-portal [--data DIR | --database-url URL] tenant pair-code SLUG
//! containerstacks-portal [--data DIR | --database-url URL] tenant revoke SLUG
//! ```
//!
//! With nothing configured it keeps one reseller's portal in
//! `./portal-data/portal.db` and, on first start, creates that reseller's
//! tenant and prints a pairing code for the desktop.
//!
//! Mail (invitations, password resets) goes through the portal's own SMTP
//! relay. The password is read from `CS_PORTAL_SMTP_PASSWORD` or from the
//! file `--smtp-password-file` names, never from the command line (other
//! users can read a process's arguments), and is never logged. Every flag
//! also reads from an environment variable: `--smtp-host` from
//! `CS_PORTAL_SMTP_HOST` and so on.

use std::sync::Arc;

use anyhow::{bail, Context};
use cs_mail::{Password, Security, SmtpConfig};
use cs_portal::mail::MailSettings;
use cs_portal::storage::tenants;
use cs_portal::{Config, Database, Portal};

struct Args {
    database: Database,
    listen: String,
    public_url: Option<String>,
    behind_proxy: bool,
    mail: Option<MailSettings>,
    command: Vec<String>,
}

fn usage() -> &'static str {
    "usage: containerstacks-portal [--data DIR | --database-url URL] [--listen ADDR] [--public-url URL] [--behind-proxy] [--smtp-host HOST --mail-from ADDR [--smtp-port N] [--smtp-security starttls|tls|none] [--smtp-user USER] [--smtp-password-file FILE] [--smtp-ca-file PEM]] [tenant add SLUG NAME | tenant list | tenant pair-code SLUG | tenant revoke SLUG]"
}

/// The SMTP flags as given.
#[derive(Default)]
struct SmtpFlags {
    host: Option<String>,
    port: Option<String>,
    security: Option<String>,
    user: Option<String>,
    password_file: Option<String>,
    ca_file: Option<String>,
    from: Option<String>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl SmtpFlags {
    fn from_env() -> SmtpFlags {
        SmtpFlags {
            host: env("CS_PORTAL_SMTP_HOST"),
            port: env("CS_PORTAL_SMTP_PORT"),
            security: env("CS_PORTAL_SMTP_SECURITY"),
            user: env("CS_PORTAL_SMTP_USER"),
            password_file: env("CS_PORTAL_SMTP_PASSWORD_FILE"),
            ca_file: env("CS_PORTAL_SMTP_CA_FILE"),
            from: env("CS_PORTAL_MAIL_FROM"),
        }
    }

    fn settings(self) -> anyhow::Result<Option<MailSettings>> {
        let Some(host) = self.host else {
            if self.from.is_some() || self.user.is_some() {
                bail!("--smtp-host is missing: give the relay's host name with the other SMTP settings");
            }
            return Ok(None);
        };
        let security = match self.security.as_deref().unwrap_or("starttls") {
            "starttls" => Security::StartTls,
            "tls" => Security::ImplicitTls,
            "none" => Security::None,
            other => bail!("--smtp-security {other:?}: use starttls, tls or none"),
        };
        let port = match self.port {
            Some(p) => p
                .parse()
                .with_context(|| format!("--smtp-port {p:?} is not a port number"))?,
            None if security == Security::ImplicitTls => 465,
            None => 587,
        };
        let from = self
            .from
            .context("--mail-from is missing: give the address the portal's mail comes from")?;
        if !from.contains('@') {
            bail!("--mail-from {from:?} is not an email address");
        }
        let mut smtp = SmtpConfig::new(host, port, security);
        let password = match (env("CS_PORTAL_SMTP_PASSWORD"), self.password_file) {
            (Some(p), _) => Some(p),
            (None, Some(file)) => Some(
                std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read the SMTP password file {file}"))?
                    .trim_end_matches(['\r', '\n'])
                    .to_string(),
            ),
            (None, None) => None,
        };
        match (self.user, password) {
            (Some(user), Some(password)) => smtp = smtp.with_login(user, Password::new(password)),
            (None, None) => {}
            (Some(_), None) => bail!(
                "--smtp-user needs a password: set CS_PORTAL_SMTP_PASSWORD or --smtp-password-file"
            ),
            (None, Some(_)) => bail!("an SMTP password is set but no --smtp-user"),
        }
        if let Some(file) = self.ca_file {
            smtp.extra_root_pem = Some(
                std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read the certificate file {file}"))?,
            );
        }
        Ok(Some(MailSettings::new(smtp, from)))
    }
}

fn parse_args() -> anyhow::Result<Args> {
    let mut data = None;
    let mut url = std::env::var("CS_PORTAL_DATABASE_URL").ok();
    let mut listen = std::env::var("CS_PORTAL_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let mut public_url = std::env::var("CS_PORTAL_PUBLIC_URL").ok();
    let mut behind_proxy = env("CS_PORTAL_BEHIND_PROXY").is_some_and(|v| v == "1" || v == "true");
    let mut smtp = SmtpFlags::from_env();
    let mut command = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .with_context(|| format!("{name} needs a value\n{}", usage()))
        };
        match a.as_str() {
            "--data" => data = Some(value("--data")?),
            "--database-url" => url = Some(value("--database-url")?),
            "--listen" => listen = value("--listen")?,
            "--public-url" => public_url = Some(value("--public-url")?),
            "--behind-proxy" => behind_proxy = true,
            "--smtp-host" => smtp.host = Some(value("--smtp-host")?),
            "--smtp-port" => smtp.port = Some(value("--smtp-port")?),
            "--smtp-security" => smtp.security = Some(value("--smtp-security")?),
            "--smtp-user" => smtp.user = Some(value("--smtp-user")?),
            "--smtp-password-file" => smtp.password_file = Some(value("--smtp-password-file")?),
            "--smtp-ca-file" => smtp.ca_file = Some(value("--smtp-ca-file")?),
            "--mail-from" => smtp.from = Some(value("--mail-from")?),
            "--smtp-password" => bail!("the SMTP password is not taken on the command line (other users can read it there): set CS_PORTAL_SMTP_PASSWORD or --smtp-password-file"),
            "-h" | "--help" => {
                println!("{}", usage());
                std::process::exit(0);
            }
            s if s.starts_with("--") => bail!("unknown option {s}\n{}", usage()),
            _ => command.push(a),
        }
    }
    let database = match (data, url) {
        (Some(_), Some(_)) => bail!("give either --data or --database-url, not both"),
        (None, Some(url)) => Database::Postgres(url),
        (data, None) => Database::Sqlite(
            std::path::PathBuf::from(data.unwrap_or_else(|| "portal-data".into()))
                .join("portal.db"),
        ),
    };
    Ok(Args {
        database,
        listen,
        public_url,
        behind_proxy,
        mail: smtp.settings()?,
        command,
    })
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = parse_args()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let single_tenant = matches!(args.database, Database::Sqlite(_));
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.listen));
    let mut config = Config::new(
        args.database.clone(),
        public_url,
        Arc::new(cs_portal::SystemClock),
    );
    config.behind_proxy = args.behind_proxy;
    config.mail = args.mail;
    let portal = Portal::open(config)
        .with_context(|| format!("cannot open the portal's database ({:?})", args.database))?;
    let now = portal.now();
    let words: Vec<&str> = args.command.iter().map(String::as_str).collect();
    let db = &portal.db;
    match words.as_slice() {
        [] => {}
        ["tenant", "add", slug, name @ ..] if !name.is_empty() => {
            let (slug, name) = (slug.to_string(), name.join(" "));
            let (tenant, code) = db
                .run(true, move |tx| {
                    let t = tenants::create(tx, &slug, &name, now)?;
                    let code = tenants::new_pairing_code(tx, &t.id, now)?;
                    Ok::<_, cs_portal::storage::StorageError>((t, code))
                })
                .await?;
            print_code(&tenant, &code);
            return Ok(());
        }
        ["tenant", "list"] => {
            let list = db.run(false, tenants::list).await?;
            for t in list {
                let held = t.held.map_or(0, |h| h.through);
                let stopped = t
                    .stopped
                    .map(|e| format!("  STOPPED: {}", e.message))
                    .unwrap_or_default();
                println!(
                    "{}\t{}\tdesktop: {}\theld through {held}\tlast push: {}{stopped}",
                    t.slug,
                    t.name,
                    t.desktop_name.as_deref().unwrap_or("not paired"),
                    t.last_push_at.map_or("never".into(), |a| a.to_rfc3339()),
                );
            }
            return Ok(());
        }
        ["tenant", "pair-code", slug] => {
            let slug = slug.to_string();
            let (tenant, code) = db
                .run(true, move |tx| {
                    let t = tenants::by_slug(tx, &slug)?.ok_or_else(|| {
                        cs_portal::storage::StorageError::Conflict(format!(
                            "no tenant is named {slug:?}"
                        ))
                    })?;
                    let code = tenants::new_pairing_code(tx, &t.id, now)?;
                    Ok::<_, cs_portal::storage::StorageError>((t, code))
                })
                .await?;
            print_code(&tenant, &code);
            return Ok(());
        }
        ["tenant", "revoke", slug] => {
            let slug = slug.to_string();
            let n = db
                .run(true, move |tx| {
                    let t = tenants::by_slug(tx, &slug)?.ok_or_else(|| {
                        cs_portal::storage::StorageError::Conflict(format!(
                            "no tenant is named {slug:?}"
                        ))
                    })?;
                    tenants::revoke_tokens(tx, &t.id, now)
                })
                .await?;
            println!("revoked {n} sync token(s): the desktop must pair again");
            return Ok(());
        }
        _ => bail!("unknown command {:?}\n{}", args.command.join(" "), usage()),
    }
    if single_tenant {
        // One reseller: its tenant exists from the first start, and the
        // operator gets a pairing code until a desktop has paired.
        let first = db
            .run(true, move |tx| {
                let list = tenants::list(tx)?;
                let tenant = match list.into_iter().next() {
                    Some(t) => t,
                    None => tenants::create(tx, "portal", "Customer portal", now)?,
                };
                let code = if tenant.desktop_name.is_none() {
                    Some(tenants::new_pairing_code(tx, &tenant.id, now)?)
                } else {
                    None
                };
                Ok::<_, cs_portal::storage::StorageError>((tenant, code))
            })
            .await?;
        if let (tenant, Some(code)) = first {
            print_code(&tenant, &code);
        }
    }
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    // One JSON line a script (or a test) can read.
    println!(
        "{}",
        serde_json::json!({ "listening": format!("http://{addr}"), "publicUrl": portal.public_url })
    );
    tracing::info!(%addr, "the portal is listening");
    cs_portal::serve(portal, listener).await
}

fn print_code(tenant: &tenants::Tenant, code: &str) {
    println!(
        "{}",
        serde_json::json!({
            "tenant": tenant.slug,
            "pairingCode": code,
            "expiresInHours": tenants::PAIRING_CODE_TTL.num_hours(),
        })
    );
    eprintln!(
        "Pairing code for {} ({}): {code}\nPaste it with this portal's URL in the desktop app, Settings → Portal. It works once, for {} hours.",
        tenant.name,
        tenant.slug,
        tenants::PAIRING_CODE_TTL.num_hours()
    );
}
