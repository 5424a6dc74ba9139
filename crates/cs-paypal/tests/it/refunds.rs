use cs_paypal::{CaptureStatus, PayPalError, RefundRequest, RefundStatus, RequestId};

use crate::support::{paid_order, start, usd, usd_money};

#[tokio::test]
async fn partial_then_full_refund() {
    let (fake, client) = start().await;
    let order = paid_order(&client, 1_000).await;
    let capture_id = order.captures().next().unwrap().id.clone();

    let partial = client
        .refund_capture(
            &capture_id,
            &RefundRequest::partial(usd(250)),
            &RequestId::new(),
        )
        .await
        .unwrap();
    assert_eq!(partial.status, RefundStatus::Completed);
    assert_eq!(partial.amount().unwrap(), Some(usd_money(250)));
    assert_eq!(partial.capture_id(), Some(capture_id.as_str()));
    assert_eq!(
        client.get_capture(&capture_id).await.unwrap().status,
        CaptureStatus::PartiallyRefunded
    );

    let rest = client
        .refund_capture(&capture_id, &RefundRequest::full(), &RequestId::new())
        .await
        .unwrap();
    assert_eq!(
        rest.amount().unwrap(),
        Some(usd_money(750)),
        "a full refund refunds what is left"
    );
    assert_eq!(
        client.get_capture(&capture_id).await.unwrap().status,
        CaptureStatus::Refunded
    );
    assert_eq!(
        client.get_refund(&rest.id).await.unwrap().amount().unwrap(),
        Some(usd_money(750))
    );

    let again = client
        .refund_capture(&capture_id, &RefundRequest::full(), &RequestId::new())
        .await
        .unwrap_err();
    assert!(
        matches!(again, PayPalError::Unprocessable { .. }),
        "{again:?}"
    );
    assert_eq!(again.issue(), Some("CAPTURE_FULLY_REFUNDED"));
    assert_eq!(fake.refund_count(), 2);
}

#[tokio::test]
async fn over_refund_is_refused_like_paypal() {
    let (fake, client) = start().await;
    let order = paid_order(&client, 1_000).await;
    let capture_id = order.captures().next().unwrap().id.clone();
    client
        .refund_capture(
            &capture_id,
            &RefundRequest::partial(usd(600)),
            &RequestId::new(),
        )
        .await
        .unwrap();

    let err = client
        .refund_capture(
            &capture_id,
            &RefundRequest::partial(usd(401)),
            &RequestId::new(),
        )
        .await
        .unwrap_err();
    match &err {
        PayPalError::Unprocessable { api } => {
            assert_eq!(api.name, "UNPROCESSABLE_ENTITY");
            assert_eq!(api.issue(), Some("REFUND_AMOUNT_EXCEEDED"));
            assert!(api.debug_id.is_some());
        }
        other => panic!("expected 422, got {other:?}"),
    }
    assert!(err.to_string().contains("REFUND_AMOUNT_EXCEEDED"), "{err}");
    assert_eq!(fake.refund_count(), 1);
    assert_eq!(
        client.get_capture(&capture_id).await.unwrap().status,
        CaptureStatus::PartiallyRefunded
    );

    let exact = client
        .refund_capture(
            &capture_id,
            &RefundRequest::partial(usd(400)),
            &RequestId::new(),
        )
        .await
        .unwrap();
    assert_eq!(exact.amount().unwrap(), Some(usd_money(400)));

    let wrong_currency =
        cs_paypal::PayPalAmount::for_refund(cs_core::Money::new(1, cs_core::Currency::EUR))
            .unwrap();
    let fresh = paid_order(&client, 300).await;
    let fresh_capture = fresh.captures().next().unwrap().id.clone();
    let err = client
        .refund_capture(
            &fresh_capture,
            &RefundRequest::partial(wrong_currency),
            &RequestId::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.issue(), Some("REFUND_CAPTURE_CURRENCY_MISMATCH"));
}

#[tokio::test]
async fn a_replayed_refund_request_refunds_once() {
    let (fake, client) = start().await;
    let order = paid_order(&client, 1_000).await;
    let capture_id = order.captures().next().unwrap().id.clone();
    let id = RequestId::new();
    let first = client
        .refund_capture(&capture_id, &RefundRequest::partial(usd(300)), &id)
        .await
        .unwrap();
    let second = client
        .refund_capture(&capture_id, &RefundRequest::partial(usd(300)), &id)
        .await
        .unwrap();
    assert_eq!(first.id, second.id);
    assert_eq!(fake.refund_count(), 1);
    assert_eq!(
        client.get_capture(&capture_id).await.unwrap().status,
        CaptureStatus::PartiallyRefunded
    );
}
