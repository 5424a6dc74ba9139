//! Runs the SMTP sink for demos and the desktop end-to-end test: a real SMTP
//! server on loopback with AUTH (and STARTTLS offered), that relays nothing and
//! writes every accepted message to a folder as `<pid>-<n>-<queue id>.json`
//! (`queue_id`, `mail_from`, `rcpt_to`, `authenticated_as`, `tls`, `data`).
//!
//! Usage: `fake-smtp --dir PATH [--port N] [--user U] [--password P] [--tls-auth]`.
//! Without `--tls-auth`, AUTH is accepted on an unencrypted connection too (for
//! an app set to "no encryption" on 127.0.0.1). Prints `listening on
//! 127.0.0.1:PORT` once ready. Stops on Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use cs_fakes::smtp::{SmtpSink, SmtpSinkConfig};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut port = 0u16;
    let mut dir: Option<PathBuf> = None;
    let mut config = SmtpSinkConfig {
        require_tls_for_auth: false,
        ..SmtpSinkConfig::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => port = args.next().and_then(|v| v.parse().ok()).unwrap_or(0),
            "--dir" => dir = args.next().map(PathBuf::from),
            "--user" => config.username = args.next().unwrap_or_default(),
            "--password" => config.password = args.next().unwrap_or_default(),
            "--tls-auth" => config.require_tls_for_auth = true,
            other => {
                eprintln!("unknown argument `{other}`: use --dir PATH, --port N, --user U, --password P, --tls-auth");
                std::process::exit(2);
            }
        }
    }
    let Some(dir) = dir else {
        eprintln!("fake-smtp needs --dir PATH: the folder the accepted messages are written to");
        std::process::exit(2);
    };
    std::fs::create_dir_all(&dir)?;
    let sink = SmtpSink::start_on(config, SocketAddr::from(([127, 0, 0, 1], port))).await?;
    println!("listening on {}", sink.addr());
    let mut written = 0usize;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        for m in sink.messages().into_iter().skip(written) {
            written += 1;
            let json = serde_json::json!({
                "queue_id": m.queue_id,
                "mail_from": m.mail_from,
                "rcpt_to": m.rcpt_to,
                "authenticated_as": m.authenticated_as,
                "tls": m.tls,
                "data": String::from_utf8_lossy(&m.data),
            });
            // Written under a temporary name and renamed, so a reader never sees half a file.
            // The pid keeps the names of a restarted sink apart from the earlier run's.
            let name = format!("{}-{written:04}-{}.json", std::process::id(), m.queue_id);
            let tmp = dir.join(format!(".{name}.tmp"));
            std::fs::write(&tmp, json.to_string())?;
            std::fs::rename(&tmp, dir.join(name))?;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
        }
    }
    Ok(())
}
