//! Starting a fake and a client pointed at it.

use std::time::Duration;

use cs_fakes::linode::{FakeConfig, FakeLinode};
use cs_linode::{ApiToken, ClientConfig, Limit, LinodeClient, RateLimits, RetryPolicy};

pub struct Harness {
    pub fake: FakeLinode,
    pub token: String,
    pub client: LinodeClient,
}

/// Client settings for tests: short backoff, generous pacing, short timeout.
pub fn test_config(api_url: &str, token: &str) -> ClientConfig {
    let mut c = ClientConfig::new(ApiToken::new(token)).with_base_url(api_url);
    c.timeout = Duration::from_secs(10);
    c.retry = RetryPolicy {
        max_attempts: 6,
        base_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
        rate_limit_backoff: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(5),
    };
    c.rate_limits = RateLimits {
        create_instance: Limit::new(100, Duration::from_millis(100)),
        stats: Limit::new(100, Duration::from_millis(100)),
        paginated_get: Limit::new(1000, Duration::from_millis(100)),
        other: Limit::new(1000, Duration::from_millis(100)),
    };
    c
}

/// Fake with fast status changes and generous limits, a full-access token and a client.
pub async fn start() -> Harness {
    start_with(fast_config()).await
}

pub fn fast_config() -> FakeConfig {
    let mut cfg = FakeConfig::fast();
    cfg.step = Duration::from_millis(30);
    let generous = cs_fakes::linode::FakeLimit {
        capacity: 100_000,
        window: Duration::from_secs(60),
    };
    cfg.create_limit = generous;
    cfg.stats_limit = generous;
    cfg.paginated_limit = generous;
    cfg.other_limit = generous;
    cfg
}

pub async fn start_with(cfg: FakeConfig) -> Harness {
    let fake = FakeLinode::start(cfg).await.expect("fake Linode starts");
    let token = fake.create_token(&["*"]);
    let client = LinodeClient::new(test_config(&fake.api_url(), &token)).expect("client builds");
    Harness {
        fake,
        token,
        client,
    }
}

pub fn client_with(h: &Harness, f: impl FnOnce(&mut ClientConfig)) -> LinodeClient {
    let mut c = test_config(&h.fake.api_url(), &h.token);
    f(&mut c);
    LinodeClient::new(c).expect("client builds")
}

/// Asserts that no rendering of an error leaks the token.
pub fn assert_no_secret(e: &cs_linode::LinodeError, token: &str) {
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
