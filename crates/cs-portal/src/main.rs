//! `containerstacks-portal`: serves the customer portal, and manages its
//! tenants from the command line.
//!
//! ```text
//! containerstacks-portal [--data DIR | --database-url URL] [--listen ADDR] [--public-url URL]
//! containerstacks-portal [--data DIR | --database-url URL] tenant add SLUG NAME
//! containerstacks-portal [--data DIR | --database-url URL] tenant list
//! containerstacks-portal [--data DIR | --database-url URL] tenant pair-code SLUG
//! containerstacks-portal [--data DIR | --database-url URL] tenant revoke SLUG
//! ```
//!
//! With nothing configured it keeps one reseller's portal in
//! `./portal-data/portal.db` and, on first start, creates that reseller's
//! tenant and prints a pairing code for the desktop.

use std::sync::Arc;

use anyhow::{bail, Context};
use cs_portal::storage::tenants;
use cs_portal::{Config, Database, Portal};

struct Args {
    database: Database,
    listen: String,
    public_url: Option<String>,
    command: Vec<String>,
}

fn usage() -> &'static str {
    "usage: containerstacks-portal [--data DIR | --database-url URL] [--listen ADDR] [--public-url URL] [tenant add SLUG NAME | tenant list | tenant pair-code SLUG | tenant revoke SLUG]"
}

fn parse_args() -> anyhow::Result<Args> {
    let mut data = None;
    let mut url = std::env::var("CS_PORTAL_DATABASE_URL").ok();
    let mut listen = std::env::var("CS_PORTAL_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let mut public_url = std::env::var("CS_PORTAL_PUBLIC_URL").ok();
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
    let portal = Portal::open(Config {
        database: args.database.clone(),
        connections: 8,
        public_url,
        clock: Arc::new(SystemClock),
    })
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

struct SystemClock;

impl cs_core::Clock for SystemClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
    }
}
