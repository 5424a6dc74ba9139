use cs_fakes::paypal::Fault;
use cs_paypal::{CaptureStatus, CreateOrder, OrderStatus, PayPalError, RequestId};

use crate::support::{approve, start, usd};

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
    assert_eq!(capture.amount().unwrap(), Some(usd(1_999)));
    assert_eq!(capture.invoice_id.as_deref(), Some("INV-2025-0007"));

    let fetched = client.get_capture(&capture.id).await.unwrap();
    assert_eq!(fetched.amount().unwrap(), Some(usd(1_999)));
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
