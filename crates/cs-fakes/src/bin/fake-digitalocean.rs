//! Runs the fake DigitalOcean for demos and the desktop end-to-end tests: prints its API
//! URL and a full-access demo token.
//!
//! Usage: `fake-digitalocean [--port N] [--step-ms N] [--droplet-limit N]`. Control routes
//! are under `/__control` (see `cs_fakes::digitalocean`). Stops on Ctrl-C.

use std::net::SocketAddr;
use std::time::Duration;

use cs_fakes::digitalocean::{FakeConfig, FakeDigitalOcean, FULL_ACCESS};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut config = FakeConfig::default();
    let mut port = 0u16;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next().and_then(|v| v.parse::<u64>().ok());
        match (a.as_str(), value) {
            ("--port", Some(v)) => port = u16::try_from(v).unwrap_or(0),
            ("--step-ms", Some(v)) => config.step = Duration::from_millis(v),
            ("--droplet-limit", Some(v)) => config.droplet_limit = u32::try_from(v).unwrap_or(25),
            (other, _) => {
                eprintln!(
                    "unusable argument `{other}`: use --port N, --step-ms N and --droplet-limit N"
                );
                std::process::exit(2);
            }
        }
    }
    let fake = FakeDigitalOcean::start_on(config, SocketAddr::from(([127, 0, 0, 1], port))).await?;
    let token = fake.create_token(FULL_ACCESS);
    println!("fake DigitalOcean API: {}", fake.api_url());
    println!("demo token: {token}");
    tokio::signal::ctrl_c().await?;
    fake.shutdown().await;
    Ok(())
}
