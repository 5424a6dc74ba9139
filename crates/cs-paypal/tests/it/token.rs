use std::time::Duration;

use cs_fakes::paypal::FakePayPalConfig;
use cs_paypal::{Environment, PayPalClient, PayPalConfig, PayPalError};

use crate::support::{client_for, start, start_with};

#[tokio::test]
async fn one_token_serves_many_calls() {
    let (fake, client) = start().await;
    let order = crate::support::paid_order(&client, 1_000).await;
    client.get_order(&order.id).await.unwrap();
    client.get_order(&order.id).await.unwrap();
    assert_eq!(fake.tokens_issued(), 1);
}

#[tokio::test]
async fn concurrent_first_calls_share_one_token_fetch() {
    let (fake, client) = start().await;
    let calls = (0..8).map(|_| {
        let c = client.clone();
        async move { c.get_order("NOSUCHORDER").await }
    });
    for r in futures_join(calls).await {
        assert!(matches!(r, Err(PayPalError::NotFound { .. })), "{r:?}");
    }
    assert_eq!(fake.tokens_issued(), 1);
}

async fn futures_join<F: std::future::Future + Send + 'static>(
    fs: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = fs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn token_is_renewed_before_it_expires() {
    let config = FakePayPalConfig {
        token_ttl: Duration::from_secs(2),
        ..FakePayPalConfig::default()
    };
    let (fake, _) = start_with(config).await;
    let mut config = PayPalConfig::new(
        Environment::Custom(fake.base_url().to_owned()),
        fake.client_id(),
        fake.client_secret(),
    );
    config.retry = crate::support::fast_retry();
    config.token_refresh_margin = Duration::from_millis(1_500);
    let client = PayPalClient::new(config).unwrap();
    client.get_order("NOSUCHORDER").await.unwrap_err();
    client.get_order("NOSUCHORDER").await.unwrap_err();
    assert_eq!(fake.tokens_issued(), 1, "still fresh: cached");
    tokio::time::sleep(Duration::from_millis(600)).await;
    client.get_order("NOSUCHORDER").await.unwrap_err();
    assert_eq!(fake.tokens_issued(), 2, "within the margin: renewed");
}

#[tokio::test]
async fn a_revoked_token_is_replaced_once() {
    let (fake, client) = start().await;
    let order = crate::support::paid_order(&client, 500).await;
    fake.revoke_tokens();
    let again = client
        .get_order(&order.id)
        .await
        .expect("renews the token and succeeds");
    assert_eq!(again.id, order.id);
    assert_eq!(fake.tokens_issued(), 2);
}

#[tokio::test]
async fn wrong_secret_is_auth_failed_and_never_echoed() {
    let (fake, _) = start().await;
    let client = client_for(
        fake.base_url(),
        fake.client_id(),
        "wrong-secret-DO-NOT-PRINT",
    );
    let err = client.get_order("ANYORDER").await.unwrap_err();
    assert!(
        matches!(err, PayPalError::AuthFailed { status: 401, .. }),
        "{err:?}"
    );
    let text = format!("{err} {err:?} {client:?}");
    assert!(text.contains("invalid_client"), "{text}");
    assert!(!text.contains("wrong-secret-DO-NOT-PRINT"), "{text}");
    assert_eq!(fake.tokens_issued(), 0);
}

#[tokio::test]
async fn unreachable_paypal_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = client_for(&format!("http://{addr}"), "id", "secret");
    let err = client.get_order("ANYORDER").await.unwrap_err();
    assert!(matches!(err, PayPalError::Transport { .. }), "{err:?}");
    assert!(
        err.to_string().contains("check the internet connection"),
        "{err}"
    );
}
