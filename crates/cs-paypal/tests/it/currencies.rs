//! Every currency cs-core accepts, against the client's amount rules and, for those PayPal
//! takes, through the fake over HTTP: what we send is what PayPal captures.

use cs_core::{Currency, Money};
use cs_paypal::{
    currency_support, AmountError, CreateOrder, CurrencySupport, Operation, PayPalAmount,
    RefundRequest, RequestId,
};

use crate::support::{approve, start};

/// (code, PayPal's decimals or None when PayPal does not take it, in-country restriction).
/// A currency added to cs-core fails `every_currency_we_accept_is_classified` until it is
/// classified here against PayPal's currency-code reference.
const EXPECTED: &[(&str, Option<u32>, Option<&str>)] = &[
    ("AUD", Some(2), None),
    ("BGN", None, None),
    ("BRL", Some(2), Some("Brazil")),
    ("CAD", Some(2), None),
    ("CHF", Some(2), None),
    ("CLP", None, None),
    ("CZK", Some(2), None),
    ("DKK", Some(2), None),
    ("EUR", Some(2), None),
    ("GBP", Some(2), None),
    ("HKD", Some(2), None),
    ("HUF", Some(0), None),
    ("INR", None, None),
    ("ISK", None, None),
    ("JPY", Some(0), None),
    ("KRW", None, None),
    ("MXN", Some(2), None),
    ("NOK", Some(2), None),
    ("NZD", Some(2), None),
    ("PLN", Some(2), None),
    ("RON", None, None),
    ("SEK", Some(2), None),
    ("SGD", Some(2), None),
    ("USD", Some(2), None),
    ("ZAR", None, None),
];

/// Every code `Currency::parse` accepts, found by asking it about all three-letter codes.
fn currencies_we_accept() -> Vec<Currency> {
    let letters = b'A'..=b'Z';
    let mut out = Vec::new();
    for a in letters.clone() {
        for b in letters.clone() {
            for c in letters.clone() {
                let code = String::from_utf8(vec![a, b, c]).unwrap();
                if let Ok(currency) = Currency::parse(&code) {
                    out.push(currency);
                }
            }
        }
    }
    out
}

#[test]
fn every_currency_we_accept_is_classified() {
    let ours: Vec<String> = currencies_we_accept()
        .iter()
        .map(|c| c.code().to_owned())
        .collect();
    let expected: Vec<String> = EXPECTED.iter().map(|(c, _, _)| (*c).to_owned()).collect();
    assert_eq!(ours, expected, "cs-core's currencies and this table differ");
    for (code, decimals, country) in EXPECTED {
        let currency = Currency::parse(code).unwrap();
        let want = match (decimals, country) {
            (None, _) => CurrencySupport::Unsupported,
            (Some(d), None) => CurrencySupport::Supported { decimals: *d },
            (Some(d), Some(country)) => CurrencySupport::InCountryOnly {
                decimals: *d,
                country,
            },
        };
        assert_eq!(currency_support(currency), want, "{code}");
        assert_eq!(currency_support(currency).is_usable(), decimals.is_some());
    }
}

#[tokio::test]
async fn every_currency_we_accept_crosses_to_paypal_exactly_or_is_refused() {
    let (fake, client) = start().await;
    for (code, decimals, _) in EXPECTED {
        let currency = Currency::parse(code).unwrap();
        let ours = currency.exponent();
        let Some(decimals) = *decimals else {
            for amount in [
                Money::parse("10", currency).unwrap(),
                Money::new(1, currency),
            ] {
                for (result, operation) in [
                    (PayPalAmount::for_order(amount), Operation::Payment),
                    (PayPalAmount::for_refund(amount), Operation::Refund),
                ] {
                    assert_eq!(
                        result,
                        Err(AmountError::CurrencyNotSupported {
                            currency,
                            operation
                        }),
                        "{code}"
                    );
                }
            }
            continue;
        };
        // The finest step PayPal can carry, in our minor units, on top of 1234 major units.
        let step = 10i64.pow(ours.saturating_sub(decimals));
        let amount = Money::new(1234 * 10i64.pow(ours) + step, currency);
        let sent = PayPalAmount::for_order(amount).unwrap();
        let expected_value = match decimals {
            0 => "1235",
            2 => "1234.01",
            d => panic!("{code}: no PayPal currency has {d} decimals"),
        };
        assert_eq!(sent.value(), expected_value, "{code}");
        assert_eq!(sent.to_money().unwrap(), amount, "{code}");

        if ours > decimals {
            let finer = Money::new(amount.minor + 1, currency);
            assert!(
                matches!(
                    PayPalAmount::for_order(finer),
                    Err(AmountError::FinerThanPayPal { .. })
                ),
                "{code}: {finer} must be refused"
            );
            assert!(PayPalAmount::for_refund(finer).is_err(), "{code}");
        }

        // Through the fake: created, captured and refunded in exactly this amount.
        let order = client
            .create_order(&CreateOrder::new(sent), &RequestId::new())
            .await
            .unwrap_or_else(|e| panic!("{code}: {e}"));
        approve(&order).await;
        let done = client
            .capture_order(&order.id, &RequestId::new())
            .await
            .unwrap();
        let capture = done.captures().next().unwrap();
        assert_eq!(
            capture.amount.as_ref().unwrap().value,
            expected_value,
            "{code}"
        );
        assert_eq!(capture.amount().unwrap(), Some(amount), "{code}");
        let refund = client
            .refund_capture(
                &capture.id,
                &RefundRequest::partial(PayPalAmount::for_refund(amount).unwrap()),
                &RequestId::new(),
            )
            .await
            .unwrap();
        assert_eq!(refund.amount().unwrap(), Some(amount), "{code}");
    }
    assert_eq!(
        fake.capture_count(),
        EXPECTED.iter().filter(|(_, d, _)| d.is_some()).count()
    );
}
