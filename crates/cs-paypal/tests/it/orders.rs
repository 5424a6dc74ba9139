use cs_core::{Currency, Money};
use cs_fakes::paypal::Fault;
use cs_paypal::{
    AmountError, CaptureStatus, CreateOrder, Operation, OrderStatus, PayPalAmount, PayPalError,
    RefundRequest, RequestId,
};

use crate::support::{approve, start, usd, usd_money};

#[tokio::test]
async fn create_approve_capture() {
    let (fake, client) = start().await;
    let mut req = CreateOrder::new(usd(1_999));
    req.reference_id = Some("topup-7".into());
    req.invoice_id = Some("INV-2025-0007".into());
    req.brand_name = Some("Acme Cloud".into());
    let created = client.create_order(&req, &RequestId::new()).await.unwrap();
    assert_eq!(created.status, OrderStatus::Created);
    assert_eq!(
        created.purchase_units[0].amount.as_ref().unwrap().value,
        "19.99"
    );
    assert_eq!(
        created.purchase_units[0].reference_id.as_deref(),
        Some("topup-7")
    );

    let early = client
        .capture_order(&created.id, &RequestId::new())
        .await
        .unwrap_err();
    assert!(
        matches!(early, PayPalError::Unprocessable { .. }),
        "{early:?}"
    );
    assert_eq!(early.issue(), Some("ORDER_NOT_APPROVED"));

    approve(&created).await;
    let approved = client.get_order(&created.id).await.unwrap();
    assert_eq!(approved.status, OrderStatus::Approved);
    assert!(approved.approve_url().is_none());

    let completed = client
        .capture_order(&created.id, &RequestId::new())
        .await
        .unwrap();
    assert_eq!(completed.status, OrderStatus::Completed);
    let capture = completed.captures().next().expect("one capture");
    assert_eq!(capture.status, CaptureStatus::Completed);
    assert_eq!(capture.amount().unwrap(), Some(usd_money(1_999)));
    assert_eq!(capture.invoice_id.as_deref(), Some("INV-2025-0007"));

    let fetched = client.get_capture(&capture.id).await.unwrap();
    assert_eq!(fetched.amount().unwrap(), Some(usd_money(1_999)));
    assert_eq!(
        client.get_order(&created.id).await.unwrap().status,
        OrderStatus::Completed
    );

    let twice = client
        .capture_order(&created.id, &RequestId::new())
        .await
        .unwrap_err();
    assert_eq!(twice.issue(), Some("ORDER_ALREADY_CAPTURED"));
    assert_eq!(fake.capture_count(), 1);
}

#[tokio::test]
async fn every_post_carries_a_request_id() {
    let (fake, client) = start().await;
    crate::support::paid_order(&client, 100).await;
    let posts: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert!(posts.len() >= 3, "{posts:?}");
    for p in posts {
        assert!(
            p.request_id.as_deref().is_some_and(|id| !id.is_empty()),
            "{p:?}"
        );
    }
}

#[tokio::test]
async fn same_request_id_replays_without_a_second_order() {
    let (fake, client) = start().await;
    let id = RequestId::new();
    let req = CreateOrder::new(usd(5_000));
    let first = client.create_order(&req, &id).await.unwrap();
    let second = client.create_order(&req, &id).await.unwrap();
    assert_eq!(first.id, second.id);
    assert_eq!(fake.order_count(), 1);
    let third = client.create_order(&req, &RequestId::new()).await.unwrap();
    assert_ne!(third.id, first.id);
    assert_eq!(fake.order_count(), 2);
}

#[tokio::test]
async fn a_lost_capture_response_is_retried_with_the_same_id_and_captures_once() {
    let (fake, client) = start().await;
    let order = client
        .create_order(&CreateOrder::new(usd(2_500)), &RequestId::new())
        .await
        .unwrap();
    approve(&order).await;
    fake.inject(Fault::LoseResponseAfterEffect);
    let request_id = RequestId::new();
    let completed = client
        .capture_order(&order.id, &request_id)
        .await
        .expect("the retry gets the stored answer");
    assert_eq!(completed.status, OrderStatus::Completed);
    assert_eq!(fake.capture_count(), 1);
    let capture_posts: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/capture"))
        .map(|r| r.request_id)
        .collect();
    assert_eq!(capture_posts, vec![Some(request_id.to_string()); 2]);
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried() {
    let (fake, client) = start().await;
    let order = client
        .create_order(&CreateOrder::new(usd(100)), &RequestId::new())
        .await
        .unwrap();
    fake.inject(Fault::RateLimited { retry_after_s: 0 });
    fake.inject(Fault::ErrorBeforeEffect(503));
    let got = client.get_order(&order.id).await.unwrap();
    assert_eq!(got.id, order.id);

    for _ in 0..4 {
        fake.inject(Fault::ErrorBeforeEffect(500));
    }
    let err = client.get_order(&order.id).await.unwrap_err();
    assert!(
        matches!(err, PayPalError::Server { status: 500, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn unknown_ids_are_not_found() {
    let (_fake, client) = start().await;
    let err = client.get_order("5O190127TN364715T").await.unwrap_err();
    assert!(
        matches!(
            err,
            PayPalError::NotFound {
                resource: "order",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.issue(), Some("INVALID_RESOURCE_ID"));
    let err = client.get_refund("1JU08902781691411").await.unwrap_err();
    assert!(
        matches!(
            err,
            PayPalError::NotFound {
                resource: "refund",
                ..
            }
        ),
        "{err:?}"
    );
    let err = client.get_order("../../v1/oauth2/token").await.unwrap_err();
    assert!(matches!(err, PayPalError::Config(_)), "{err:?}");
}

#[tokio::test]
async fn invalid_amounts_are_refused_with_paypal_issues() {
    let (_fake, client) = start().await;
    let err = client
        .create_order(&CreateOrder::new(usd(0)), &RequestId::new())
        .await
        .unwrap_err();
    assert!(matches!(err, PayPalError::Unprocessable { .. }), "{err:?}");
    assert_eq!(err.issue(), Some("CANNOT_BE_ZERO_OR_NEGATIVE"));
}

/// 100.00 HUF (10000 minor units in ISO 4217, which gives HUF two decimals) must reach
/// PayPal as "100", PayPal's HUF having no decimals, and come back as 100.00 HUF.
#[tokio::test]
async fn huf_100_00_is_captured_as_100_huf_not_10000() {
    let (fake, client) = start().await;
    let huf = Currency::parse("HUF").unwrap();
    let hundred = Money::parse("100.00", huf).unwrap();
    assert_eq!(hundred.minor, 10_000);
    let order = client
        .create_order(
            &CreateOrder::new(PayPalAmount::for_order(hundred).unwrap()),
            &RequestId::new(),
        )
        .await
        .unwrap();
    let wire = order.purchase_units[0].amount.as_ref().unwrap();
    assert_eq!(
        (wire.currency_code.as_str(), wire.value.as_str()),
        ("HUF", "100")
    );
    approve(&order).await;
    let done = client
        .capture_order(&order.id, &RequestId::new())
        .await
        .unwrap();
    let capture = done.captures().next().unwrap();
    let wire = capture.amount.as_ref().unwrap();
    assert_eq!(
        (wire.currency_code.as_str(), wire.value.as_str()),
        ("HUF", "100")
    );
    assert_eq!(capture.amount().unwrap(), Some(hundred));
    // The payment-completed event carries the same 100 HUF.
    let event = fake.events().pop().unwrap();
    assert_eq!(event["resource"]["amount"]["value"], "100");

    // A partial refund of 40.00 HUF is sent as "40" and read back as 40.00 HUF.
    let forty = Money::parse("40", huf).unwrap();
    let refund = client
        .refund_capture(
            &capture.id,
            &RefundRequest::partial(PayPalAmount::for_refund(forty).unwrap()),
            &RequestId::new(),
        )
        .await
        .unwrap();
    assert_eq!(refund.amount.as_ref().unwrap().value, "40");
    assert_eq!(refund.amount().unwrap(), Some(forty));
}

/// The fake holds us to PayPal's rule: a decimal point in a HUF amount is refused with the
/// issue PayPal documents for each API, so sending minor units as decimals cannot slip by.
#[tokio::test]
async fn the_fake_refuses_decimals_for_huf_like_paypal() {
    let (fake, client) = start().await;
    let token = client_token(&fake).await;
    let http = reqwest::Client::new();
    let post = |path: String, body: serde_json::Value| {
        http.post(format!("{}{path}", fake.base_url()))
            .bearer_auth(&token)
            .header("PayPal-Request-Id", RequestId::new().as_str())
            .json(&body)
            .send()
    };
    let unit = |currency: &str, value: &str| serde_json::json!({ "intent": "CAPTURE", "purchase_units": [{ "amount": { "currency_code": currency, "value": value } }] });
    for (currency, value, status, issue) in [
        ("HUF", "100.00", 422, "DECIMAL_PRECISION"),
        ("JPY", "5.5", 422, "DECIMAL_PRECISION"),
        ("USD", "1.005", 422, "DECIMAL_PRECISION"),
        ("RON", "10.00", 422, "INVALID_CURRENCY_CODE"),
        ("HUF", "100.", 400, "INVALID_PARAMETER_SYNTAX"),
    ] {
        let resp = post("/v2/checkout/orders".into(), unit(currency, value))
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), status, "{currency} {value}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["details"][0]["issue"], issue, "{currency} {value}");
    }
    let huf = Currency::parse("HUF").unwrap();
    let order = client
        .create_order(
            &CreateOrder::new(PayPalAmount::for_order(Money::parse("100", huf).unwrap()).unwrap()),
            &RequestId::new(),
        )
        .await
        .unwrap();
    approve(&order).await;
    let done = client
        .capture_order(&order.id, &RequestId::new())
        .await
        .unwrap();
    let capture_id = &done.captures().next().unwrap().id;
    let resp = post(
        format!("/v2/payments/captures/{capture_id}/refund"),
        serde_json::json!({ "amount": { "currency_code": "HUF", "value": "10.00" } }),
    )
    .await
    .unwrap();
    assert_eq!(resp.status().as_u16(), 422);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["details"][0]["issue"], "DECIMALS_NOT_SUPPORTED");
}

#[tokio::test]
async fn amounts_paypal_cannot_take_are_refused_before_anything_is_sent() {
    let (fake, _client) = start().await;
    let huf = Currency::parse("HUF").unwrap();
    let err = PayPalAmount::for_order(Money::parse("100.50", huf).unwrap()).unwrap_err();
    assert!(
        matches!(err, AmountError::FinerThanPayPal { .. }),
        "{err:?}"
    );
    assert_eq!(
        PayPalError::from(err.clone()).to_string(),
        "100.50 HUF cannot go through PayPal: PayPal takes HUF only in steps of 1.00 HUF, so use 100.00 HUF or 101.00 HUF"
    );
    let ron = Currency::parse("RON").unwrap();
    let err = PayPalAmount::for_order(Money::parse("10", ron).unwrap()).unwrap_err();
    assert_eq!(
        err,
        AmountError::CurrencyNotSupported {
            currency: ron,
            operation: Operation::Payment
        }
    );
    assert!(
        err.to_string()
            .starts_with("PayPal cannot take payments in RON"),
        "{err}"
    );
    let err = PayPalAmount::for_refund(Money::parse("10", ron).unwrap()).unwrap_err();
    assert!(
        err.to_string().starts_with("PayPal cannot refund in RON"),
        "{err}"
    );
    assert_eq!(fake.order_count(), 0);
}

async fn client_token(fake: &cs_fakes::paypal::FakePayPal) -> String {
    reqwest::Client::new()
        .post(format!("{}/v1/oauth2/token", fake.base_url()))
        .basic_auth(fake.client_id(), Some(fake.client_secret()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}
