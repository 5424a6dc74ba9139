use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use cs_fakes::paypal::{FakePayPal, FakePayPalConfig, SignedDelivery, WebhookCert};
use cs_paypal::{
    CertPolicy, EventKind, RefundRequest, RequestId, WebhookError, WebhookEvent, WebhookHeaders,
    WebhookVerifier,
};

use chrono::{DateTime, TimeZone, Utc};

use crate::support::{paid_order, start, start_with, usd, usd_money};

/// What the application's webhook endpoint does: verify, then deduplicate on the event id.
struct Receiver {
    verifier: WebhookVerifier,
    arrivals: Mutex<Vec<WebhookEvent>>,
    applied: Mutex<HashSet<String>>,
    rejections: Mutex<Vec<String>>,
}

async fn receive(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let parsed =
        WebhookHeaders::from_lookup(|name| headers.get(name).and_then(|v| v.to_str().ok()));
    let verified = match parsed {
        Ok(h) => r.verifier.verify(&h, &body, Utc::now()).await,
        Err(e) => Err(e),
    };
    match verified {
        Ok(event) => {
            r.applied.lock().unwrap().insert(event.id.clone());
            r.arrivals.lock().unwrap().push(event);
            StatusCode::OK
        }
        Err(e) => {
            r.rejections.lock().unwrap().push(e.to_string());
            StatusCode::BAD_REQUEST
        }
    }
}

async fn start_receiver(fake: &FakePayPal) -> (String, Arc<Receiver>) {
    let policy = CertPolicy::default()
        .with_test_origin(fake.base_url())
        .unwrap();
    let receiver = Arc::new(Receiver {
        verifier: WebhookVerifier::new(fake.webhook_id(), policy),
        arrivals: Mutex::default(),
        applied: Mutex::default(),
        rejections: Mutex::default(),
    });
    let app = axum::Router::new()
        .route("/webhooks/paypal", axum::routing::post(receive))
        .with_state(Arc::clone(&receiver));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/paypal", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, receiver)
}

fn headers_of(d: &SignedDelivery) -> WebhookHeaders {
    WebhookHeaders {
        transmission_id: d.transmission_id.clone(),
        transmission_time: d.transmission_time.clone(),
        transmission_sig: d.transmission_sig.clone(),
        cert_url: d.cert_url.clone(),
        auth_algo: d.auth_algo.clone(),
    }
}

#[tokio::test]
async fn duplicated_and_reordered_deliveries_all_verify_and_dedup_on_event_id() {
    let (fake, client) = start().await;
    let order = paid_order(&client, 4_200).await;
    let capture_id = order.captures().next().unwrap().id.clone();
    client
        .refund_capture(
            &capture_id,
            &RefundRequest::partial(usd(1_000)),
            &RequestId::new(),
        )
        .await
        .unwrap();
    let events = fake.events();
    let types: Vec<_> = events
        .iter()
        .map(|e| e["event_type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        types,
        [
            "CHECKOUT.ORDER.APPROVED",
            "PAYMENT.CAPTURE.COMPLETED",
            "PAYMENT.CAPTURE.REFUNDED"
        ]
    );

    let (url, receiver) = start_receiver(&fake).await;
    // Newest first: the refund arrives before the capture it refunds.
    let mut reversed = events.clone();
    reversed.reverse();
    let mut statuses = fake
        .deliver_shuffled(&url, &reversed[..1], 1, 0)
        .await
        .unwrap();
    statuses.extend(fake.deliver_shuffled(&url, &events, 25, 7).await.unwrap());
    assert_eq!(statuses.len(), 76);
    assert!(
        statuses.iter().all(|s| *s == 200),
        "{:?}",
        receiver.rejections.lock().unwrap()
    );

    let arrivals = receiver.arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 76, "every delivery verified");
    assert_eq!(arrivals[0].kind(), EventKind::CaptureRefunded);
    let produced: Vec<_> = events
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    let positions: Vec<usize> = arrivals
        .iter()
        .map(|e| produced.iter().position(|p| *p == e.id).unwrap())
        .collect();
    assert!(
        positions.windows(2).filter(|w| w[0] > w[1]).count() > 10,
        "shuffled: {positions:?}"
    );
    for (i, id) in produced.iter().enumerate() {
        let copies = arrivals.iter().filter(|e| &e.id == id).count();
        assert_eq!(copies, if i == 2 { 26 } else { 25 }, "{id}");
    }
    let applied = receiver.applied.lock().unwrap().clone();
    assert_eq!(
        applied,
        produced.iter().cloned().collect::<HashSet<_>>(),
        "3 distinct events, whatever the order"
    );

    // The certificate is downloaded once and then served from the cache.
    assert_eq!(receiver.verifier.cert_fetches(), 1);
    assert_eq!(fake.cert_fetches(), 1);

    // What the crediting logic needs is on the event.
    let capture = arrivals
        .iter()
        .find(|e| e.kind() == EventKind::CaptureCompleted)
        .unwrap();
    assert_eq!(capture.capture_id(), Some(capture_id.as_str()));
    assert_eq!(capture.order_id(), Some(order.id.as_str()));
    assert_eq!(capture.amount().unwrap().unwrap(), usd_money(4_200));
    let refund = arrivals
        .iter()
        .find(|e| e.kind() == EventKind::CaptureRefunded)
        .unwrap();
    assert_eq!(refund.capture_id(), Some(capture_id.as_str()));
    assert!(refund.refund_id().is_some());
    assert_eq!(refund.amount().unwrap().unwrap(), usd_money(1_000));
    let approved = arrivals
        .iter()
        .find(|e| e.kind() == EventKind::OrderApproved)
        .unwrap();
    assert_eq!(approved.order_id(), Some(order.id.as_str()));
}

#[tokio::test]
async fn tampered_body_and_forged_signature_are_rejected() {
    let (fake, client) = start().await;
    paid_order(&client, 1_000).await;
    let event = fake.events().pop().unwrap();
    let policy = CertPolicy::default()
        .with_test_origin(fake.base_url())
        .unwrap();
    let verifier = WebhookVerifier::new(fake.webhook_id(), policy);

    let genuine = fake.sign_event(&event);
    let verified = verifier
        .verify(&headers_of(&genuine), &genuine.body, Utc::now())
        .await
        .unwrap();
    assert_eq!(verified.id, event["id"].as_str().unwrap());

    // Tampered: the amount changed after signing.
    let tampered_body =
        String::from_utf8(genuine.body.clone())
            .unwrap()
            .replacen("\"10.00\"", "\"99.00\"", 1);
    assert_ne!(tampered_body.as_bytes(), genuine.body.as_slice());
    let err = verifier
        .verify(&headers_of(&genuine), tampered_body.as_bytes(), Utc::now())
        .await
        .unwrap_err();
    assert!(matches!(err, WebhookError::SignatureMismatch), "{err:?}");

    // Forged: signed with another key, pointing at the genuine certificate.
    let attacker = FakePayPal::start().await.unwrap();
    let forged = attacker.sign_body(genuine.body.clone());
    let mut headers = headers_of(&forged);
    headers.cert_url = fake.cert_url();
    let err = verifier
        .verify(&headers, &forged.body, Utc::now())
        .await
        .unwrap_err();
    assert!(matches!(err, WebhookError::SignatureMismatch), "{err:?}");

    // A genuine signature moved to another webhook id does not verify either.
    let other = WebhookVerifier::new(
        "9XX00000000000000",
        CertPolicy::default()
            .with_test_origin(fake.base_url())
            .unwrap(),
    );
    let err = other
        .verify(&headers_of(&genuine), &genuine.body, Utc::now())
        .await
        .unwrap_err();
    assert!(matches!(err, WebhookError::SignatureMismatch), "{err:?}");

    // Garbage signature and wrong algorithm.
    let mut headers = headers_of(&genuine);
    headers.transmission_sig = "not base64 !!".into();
    assert!(matches!(
        verifier.verify(&headers, &genuine.body, Utc::now()).await,
        Err(WebhookError::BadSignatureEncoding)
    ));
    let mut headers = headers_of(&genuine);
    headers.auth_algo = "SHA1withRSA".into();
    assert!(matches!(
        verifier.verify(&headers, &genuine.body, Utc::now()).await,
        Err(WebhookError::UnsupportedAlgorithm(_))
    ));
}

#[tokio::test]
async fn certificates_from_hosts_not_allow_listed_are_never_fetched() {
    let (fake, client) = start().await;
    paid_order(&client, 1_000).await;
    let event = fake.events().pop().unwrap();
    let verifier = WebhookVerifier::new(
        fake.webhook_id(),
        CertPolicy::default()
            .with_test_origin(fake.base_url())
            .unwrap(),
    );

    // An attacker signs with its own key and serves its own certificate on loopback.
    let attacker = FakePayPal::start().await.unwrap();
    let forged = attacker.sign_event(&event);
    let err = verifier
        .verify(&headers_of(&forged), &forged.body, Utc::now())
        .await
        .unwrap_err();
    assert!(
        matches!(err, WebhookError::CertUrlNotAllowed { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("not on a PayPal host"), "{err}");
    assert_eq!(
        attacker.cert_fetches(),
        0,
        "nothing was downloaded from the attacker"
    );

    for url in [
        "https://evil.example/v1/notifications/certs/CERT-1",
        "http://api.paypal.com/v1/notifications/certs/CERT-1",
        "https://api.paypal.com.evil.example/v1/notifications/certs/CERT-1",
    ] {
        let mut headers = headers_of(&forged);
        headers.cert_url = url.into();
        let err = verifier
            .verify(&headers, &forged.body, Utc::now())
            .await
            .unwrap_err();
        assert!(
            matches!(err, WebhookError::CertUrlNotAllowed { .. }),
            "{url}: {err:?}"
        );
    }
    assert_eq!(verifier.cert_fetches(), 0);
}

#[tokio::test]
async fn verify_webhook_signature_api_agrees() {
    let (fake, client) = start().await;
    paid_order(&client, 1_000).await;
    let event = fake.events().pop().unwrap();
    let genuine = fake.sign_event(&event);
    assert!(client
        .verify_webhook_signature(&headers_of(&genuine), fake.webhook_id(), &genuine.body)
        .await
        .unwrap());

    let tampered = String::from_utf8(genuine.body.clone()).unwrap().replacen(
        "PAYMENT.CAPTURE.COMPLETED",
        "PAYMENT.CAPTURE.DENIED",
        1,
    );
    assert!(!client
        .verify_webhook_signature(
            &headers_of(&genuine),
            fake.webhook_id(),
            tampered.as_bytes()
        )
        .await
        .unwrap());
    assert!(!client
        .verify_webhook_signature(&headers_of(&genuine), "9XX00000000000000", &genuine.body)
        .await
        .unwrap());
}

#[tokio::test]
async fn missing_headers_are_named() {
    let err = WebhookHeaders::from_lookup(|name| (name != WebhookHeaders::CERT_URL).then_some("x"))
        .unwrap_err();
    assert!(
        matches!(err, WebhookError::MissingHeader("paypal-cert-url")),
        "{err:?}"
    );
}

/// A fixed receiving time, far from the real clock: the verifier uses only the time it is
/// given, for the transmission window and for the certificate's dates.
fn receiving_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2031, 3, 14, 9, 26, 53).unwrap()
}

/// A fake with the given chain, one completed payment, and a verifier for it.
async fn setup(cert: WebhookCert) -> (FakePayPal, serde_json::Value, WebhookVerifier) {
    let (fake, client) = start_with(FakePayPalConfig {
        webhook_cert: cert,
        ..FakePayPalConfig::default()
    })
    .await;
    paid_order(&client, 1_000).await;
    let event = fake.events().pop().unwrap();
    let verifier = WebhookVerifier::new(
        fake.webhook_id(),
        CertPolicy::default()
            .with_test_origin(fake.base_url())
            .unwrap(),
    );
    (fake, event, verifier)
}

/// Issue 11 item 15: every way a delivery can be false is refused, each with its own error,
/// and a genuine one is accepted.
#[tokio::test]
async fn each_false_delivery_is_refused_with_its_own_error() {
    let now = receiving_time();
    let minutes = chrono::Duration::minutes;
    let seconds = chrono::Duration::seconds;
    let (fake, event, verifier) = setup(WebhookCert::Valid).await;

    // Genuine, sent now, and at the edges of the ±5-minute window.
    for at in [now, now - minutes(5), now + minutes(5), now - seconds(299)] {
        let d = fake.sign_event_at(&event, at);
        let got = verifier.verify(&headers_of(&d), &d.body, now).await;
        assert_eq!(
            got.unwrap().id,
            event["id"].as_str().unwrap(),
            "sent at {at}"
        );
    }

    let mut refusals: Vec<(&str, String)> = Vec::new();
    let mut refused = |case: &'static str, err: WebhookError| {
        refusals.push((
            case,
            format!("{err:?}")
                .split(['(', ' '])
                .next()
                .unwrap()
                .to_owned(),
        ));
        err
    };

    // Forged: signed with another key, naming the genuine certificate.
    let attacker = FakePayPal::start().await.unwrap();
    let forged = attacker.sign_body_at(fake.sign_event_at(&event, now).body, now);
    let mut h = headers_of(&forged);
    h.cert_url = fake.cert_url();
    let err = refused(
        "forged signature",
        verifier.verify(&h, &forged.body, now).await.unwrap_err(),
    );
    assert!(matches!(err, WebhookError::SignatureMismatch), "{err:?}");

    // Wrong certificate host: nothing is fetched from it.
    let d = fake.sign_event_at(&event, now);
    let mut h = headers_of(&d);
    h.cert_url = "https://api.paypal.com.evil.example/v1/notifications/certs/CERT-1".into();
    let err = refused(
        "wrong cert host",
        verifier.verify(&h, &d.body, now).await.unwrap_err(),
    );
    assert!(
        matches!(err, WebhookError::CertUrlNotAllowed { .. }),
        "{err:?}"
    );

    // Stale and future transmission times (a replay of an old delivery is stale).
    let d = fake.sign_event_at(&event, now - minutes(5) - seconds(1));
    let err = refused(
        "stale",
        verifier
            .verify(&headers_of(&d), &d.body, now)
            .await
            .unwrap_err(),
    );
    assert!(
        matches!(err, WebhookError::TransmissionTooOld { age_s: 301, .. }),
        "{err:?}"
    );
    let d = fake.sign_event_at(&event, now + minutes(6));
    let err = refused(
        "future",
        verifier
            .verify(&headers_of(&d), &d.body, now)
            .await
            .unwrap_err(),
    );
    assert!(
        matches!(err, WebhookError::TransmissionInFuture { ahead_s: 360, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("check this computer's clock"),
        "{err}"
    );
    let mut h = headers_of(&d);
    h.transmission_time = "yesterday".into();
    let err = refused(
        "unreadable time",
        verifier.verify(&h, &d.body, now).await.unwrap_err(),
    );
    assert!(
        matches!(err, WebhookError::BadTransmissionTime(_)),
        "{err:?}"
    );

    // Replay inside the window: the same transmission a second time.
    let d = fake.sign_event_at(&event, now - minutes(1));
    verifier
        .verify(&headers_of(&d), &d.body, now)
        .await
        .unwrap();
    let err = refused(
        "replay",
        verifier
            .verify(&headers_of(&d), &d.body, now + minutes(2))
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, WebhookError::Replayed(_)), "{err:?}");
    // The same replay later than the window is refused by its time.
    let err = verifier
        .verify(&headers_of(&d), &d.body, now + minutes(5))
        .await
        .unwrap_err();
    assert!(
        matches!(err, WebhookError::TransmissionTooOld { .. }),
        "{err:?}"
    );

    // Broken chains, each from a fake that signs with it.
    for (cert, case) in [
        (WebhookCert::Expired, "expired chain"),
        (WebhookCert::UnknownIssuer, "untrusted chain"),
        (WebhookCert::WrongName, "wrong certificate name"),
    ] {
        let (fake, event, verifier) = setup(cert).await;
        let d = fake.sign_event_at(&event, now);
        let err = refused(
            case,
            verifier
                .verify(&headers_of(&d), &d.body, now)
                .await
                .unwrap_err(),
        );
        let expected = match cert {
            WebhookCert::Expired => matches!(err, WebhookError::CertExpired),
            WebhookCert::UnknownIssuer => matches!(err, WebhookError::CertUntrusted(_)),
            _ => matches!(err, WebhookError::CertWrongName),
        };
        assert!(expected, "{case}: {err:?}");
    }

    let mut kinds: Vec<&String> = refusals.iter().map(|(_, k)| k).collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(
        kinds.len(),
        refusals.len(),
        "one error per case: {refusals:?}"
    );
}

/// The verifier's certificate dates follow the time it is given: a chain valid until 2100
/// is refused at a delivery in 2101, however the real clock reads.
#[tokio::test]
async fn certificate_dates_are_checked_at_the_callers_time() {
    let (fake, event, verifier) = setup(WebhookCert::Valid).await;
    let later = Utc.with_ymd_and_hms(2101, 1, 1, 0, 0, 0).unwrap();
    let d = fake.sign_event_at(&event, later);
    let err = verifier
        .verify(&headers_of(&d), &d.body, later)
        .await
        .unwrap_err();
    assert!(matches!(err, WebhookError::CertExpired), "{err:?}");
}
