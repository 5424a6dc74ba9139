//! Runs the fake Linode for demos: prints its API URL and a full-access demo token.
//!
//! Usage: `fake-linode [--port N] [--step-ms N] [--username NAME]` (the demo token's user). Control routes are under `/__control`
//! (see `cs_fakes::linode` docs). Stops on Ctrl-C.

use std::net::SocketAddr;
use std::time::Duration;

use cs_fakes::linode::{FakeConfig, FakeLinode};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut port = 0u16;
    let mut step_ms = 3000u64;
    let mut username = "reseller".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => port = args.next().and_then(|v| v.parse().ok()).unwrap_or(0),
            "--step-ms" => step_ms = args.next().and_then(|v| v.parse().ok()).unwrap_or(3000),
            "--username" => username = args.next().filter(|u| !u.is_empty()).unwrap_or(username),
            other => {
                eprintln!(
                    "unknown argument `{other}`: use --port N, --step-ms N and --username NAME"
                );
                std::process::exit(2);
            }
        }
    }
    let config = FakeConfig {
        step: Duration::from_millis(step_ms),
        ..FakeConfig::default()
    };
    let fake = FakeLinode::start_on(config, SocketAddr::from(([127, 0, 0, 1], port))).await?;
    let token = fake.create_token_for(&username, &["*"], None);
    println!("fake Linode API: {}", fake.api_url());
    println!("demo token: {token}");
    tokio::signal::ctrl_c().await?;
    fake.shutdown().await;
    Ok(())
}
