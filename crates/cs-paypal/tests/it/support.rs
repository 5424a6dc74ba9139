use std::time::Duration;

use cs_core::{Currency, Money};
use cs_fakes::paypal::{FakePayPal, FakePayPalConfig};
use cs_paypal::{
    CreateOrder, Environment, Order, PayPalAmount, PayPalClient, PayPalConfig, RequestId,
    RetryPolicy,
};

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
    }
}

pub fn client_for(base_url: &str, client_id: &str, secret: &str) -> PayPalClient {
    let mut config = PayPalConfig::new(Environment::Custom(base_url.to_owned()), client_id, secret);
    config.retry = fast_retry();
    config.timeout = Duration::from_secs(10);
    PayPalClient::new(config).expect("valid config")
}

pub async fn start() -> (FakePayPal, PayPalClient) {
    start_with(FakePayPalConfig::default()).await
}

pub async fn start_with(config: FakePayPalConfig) -> (FakePayPal, PayPalClient) {
    let fake = FakePayPal::start_with(config)
        .await
        .expect("fake PayPal starts");
    let client = client_for(fake.base_url(), fake.client_id(), fake.client_secret());
    (fake, client)
}

/// `minor` US cents, ready to send.
pub fn usd(minor: i64) -> PayPalAmount {
    PayPalAmount::for_order(usd_money(minor)).unwrap()
}

/// `minor` US cents as our money, to compare with what the client reads.
pub fn usd_money(minor: i64) -> Money {
    Money::new(minor, Currency::USD)
}

/// Plays the payer: a GET on the approval link.
pub async fn approve(order: &Order) {
    let url = order
        .approve_url()
        .expect("a CREATED order has an approve link");
    let resp = reqwest::get(url).await.expect("approval page answers");
    assert!(
        resp.status().is_success(),
        "approval failed: {}",
        resp.status()
    );
}

/// create → approve → capture; returns the completed order.
pub async fn paid_order(client: &PayPalClient, minor: i64) -> Order {
    let mut req = CreateOrder::new(usd(minor));
    req.reference_id = Some("topup-1".into());
    req.custom_id = Some("org-42".into());
    let order = client
        .create_order(&req, &RequestId::new())
        .await
        .expect("create order");
    approve(&order).await;
    client
        .capture_order(&order.id, &RequestId::new())
        .await
        .expect("capture")
}
