//! Starting a fake and a client pointed at it.

use std::time::Duration;

use cs_digitalocean::{ApiToken, ClientConfig, DigitalOceanClient, Limit, RateLimits, RetryPolicy};
use cs_fakes::digitalocean::{FakeConfig, FakeDigitalOcean, FakeLimit, FULL_ACCESS};

pub struct Harness {
    pub fake: FakeDigitalOcean,
    pub token: String,
    pub client: DigitalOceanClient,
}

/// An ed25519 public key made for these tests (`ssh-keygen -E md5 -lf` prints
/// MD5:65:48:c1:a7:bc:8d:4f:1e:70:0e:1a:f3:dc:ca:de:d1).
pub const SSH_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKuXeriMhlBY56y3WYvd8NtMqNrGDAkHY5RFSgfMnApq test@cs";
pub const SSH_FINGERPRINT: &str = "65:48:c1:a7:bc:8d:4f:1e:70:0e:1a:f3:dc:ca:de:d1";

pub const POLL: Duration = Duration::from_millis(15);
pub const WAIT: Duration = Duration::from_secs(10);

/// Client settings for tests: short backoff, generous pacing, short timeout.
pub fn test_config(api_url: &str, token: &str) -> ClientConfig {
    let mut c = ClientConfig::new(ApiToken::new(token)).with_base_url(api_url);
    c.timeout = Duration::from_secs(10);
    c.retry = RetryPolicy {
        max_attempts: 6,
        base_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(5),
    };
    c.rate_limits = RateLimits {
        hourly: Limit::new(100_000, Duration::from_secs(3600)),
        burst: Limit::new(100_000, Duration::from_secs(60)),
    };
    c
}

/// Fast actions and generous limits.
pub fn fast_config() -> FakeConfig {
    let mut cfg = FakeConfig::fast();
    cfg.step = Duration::from_millis(30);
    cfg.hourly_limit = FakeLimit {
        capacity: 100_000,
        window: Duration::from_secs(3600),
    };
    cfg.burst_limit = FakeLimit {
        capacity: 100_000,
        window: Duration::from_secs(60),
    };
    cfg.ssh_key_list_limit = cfg.burst_limit;
    cfg.droplet_limit = 100;
    cfg
}

pub async fn start() -> Harness {
    start_with(fast_config()).await
}

pub async fn start_with(cfg: FakeConfig) -> Harness {
    let fake = FakeDigitalOcean::start(cfg)
        .await
        .expect("fake DigitalOcean starts");
    let token = fake.create_token(FULL_ACCESS);
    let client =
        DigitalOceanClient::new(test_config(&fake.api_url(), &token)).expect("client builds");
    Harness {
        fake,
        token,
        client,
    }
}

pub fn client_with(h: &Harness, f: impl FnOnce(&mut ClientConfig)) -> DigitalOceanClient {
    let mut c = test_config(&h.fake.api_url(), &h.token);
    f(&mut c);
    DigitalOceanClient::new(c).expect("client builds")
}

/// Asserts that no rendering of an error leaks the token, and that it ends without a period.
pub fn assert_no_secret(e: &cs_digitalocean::DigitalOceanError, token: &str) {
    assert!(
        !e.to_string().contains(token),
        "token leaked in Display: {e}"
    );
    assert!(
        !format!("{e:?}").contains(token),
        "token leaked in Debug: {e:?}"
    );
    assert!(
        !e.to_string().ends_with('.'),
        "messages end without a period: {e}"
    );
}
