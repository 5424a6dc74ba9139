//! Runs the fake PayPal for demos and the desktop end-to-end test.
//!
//! Usage: `fake-paypal [--port N]`. Prints one JSON line on stdout with what
//! the app needs (`baseUrl`, `clientId`, `clientSecret`, `webhookId`), then
//! serves until Ctrl-C or SIGTERM. Point Settings → Payments → API base URL
//! at `baseUrl`. To play the payer, GET an order's approval URL (the link the
//! app shows, `<baseUrl>/checkoutnow?token=<order id>`): the order becomes
//! APPROVED and the app captures it on its next check.

use std::io::Write;
use std::net::SocketAddr;

use cs_fakes::paypal::{FakePayPal, FakePayPalConfig};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut port = 0u16;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => port = args.next().and_then(|v| v.parse().ok()).unwrap_or(0),
            other => {
                eprintln!("unknown argument `{other}`: use --port N");
                std::process::exit(2);
            }
        }
    }
    let fake = FakePayPal::start_on(
        FakePayPalConfig::default(),
        SocketAddr::from(([127, 0, 0, 1], port)),
    )
    .await?;
    let line = serde_json::json!({
        "baseUrl": fake.base_url(),
        "clientId": fake.client_id(),
        "clientSecret": fake.client_secret(),
        "webhookId": fake.webhook_id(),
    });
    let mut out = std::io::stdout();
    writeln!(out, "{line}")?;
    out.flush()?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = term.recv() => {}
    }
    drop(fake);
    Ok(())
}
