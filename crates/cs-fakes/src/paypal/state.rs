//! The fake's state and its HTTP handlers.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use serde_json::{json, Value};

use super::webhooks::{SignedDelivery, Signer};
use super::FakePayPalConfig;

/// A fault for the next API request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status (500, 503 …) without doing anything.
    ErrorBeforeEffect(u16),
    /// Answer 429 with `Retry-After: <seconds>` without doing anything.
    RateLimited { retry_after_s: u64 },
    /// Do the work (and store the idempotent answer), then answer 500 as if the response
    /// had been lost on the way back.
    LoseResponseAfterEffect,
}

/// One request the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub request_id: Option<String>,
}

pub(super) struct Shared {
    pub base_url: String,
    pub config: FakePayPalConfig,
    pub signer: Signer,
    pub inner: Mutex<Inner>,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OrderState {
    Created,
    Approved,
    Completed,
}

impl OrderState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Created => "CREATED",
            Self::Approved => "APPROVED",
            Self::Completed => "COMPLETED",
        }
    }
}

struct OrderRec {
    id: String,
    state: OrderState,
    currency: String,
    minor: i64,
    reference_id: String,
    custom_id: Option<String>,
    invoice_id: Option<String>,
    description: Option<String>,
    create_time: String,
    update_time: String,
    capture_id: Option<String>,
}

struct CaptureRec {
    id: String,
    order_id: String,
    currency: String,
    minor: i64,
    refunded_minor: i64,
    custom_id: Option<String>,
    invoice_id: Option<String>,
    create_time: String,
    update_time: String,
}

struct RefundRec {
    id: String,
    capture_id: String,
    currency: String,
    minor: i64,
    invoice_id: Option<String>,
    note_to_payer: Option<String>,
    create_time: String,
}

#[derive(Default)]
pub(super) struct Inner {
    pub tokens: HashMap<String, Instant>,
    pub tokens_issued: u64,
    pub requests: Vec<LoggedRequest>,
    pub faults: VecDeque<Fault>,
    pub events: Vec<Value>,
    pub transmissions: HashMap<String, SignedDelivery>,
    pub cert_fetches: u64,
    pub orders: HashMap<String, OrderRecBox>,
    pub captures: HashMap<String, CaptureRecBox>,
    pub refunds: HashMap<String, RefundRecBox>,
    /// (endpoint path, PayPal-Request-Id) → the stored answer.
    idempotency: HashMap<(String, String), (u16, Value)>,
}

// Newtypes let `Inner` be visible to the parent module while the records stay private.
pub(super) struct OrderRecBox(OrderRec);
pub(super) struct CaptureRecBox(CaptureRec);
pub(super) struct RefundRecBox(RefundRec);

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// PayPal-looking ids: 17 upper-case alphanumerics.
fn paypal_id() -> String {
    uuid::Uuid::new_v4().simple().to_string().to_uppercase()[..17].to_owned()
}

/// PayPal's REST currencies and their decimals on the wire, as PayPal's currency-code
/// reference lists them (developer.paypal.com/reference/currency-codes): HUF, JPY and TWD
/// take no decimals. The fake accepts exactly these; the client decides separately which of
/// them our product may use.
const CURRENCIES: &[(&str, u32)] = &[
    ("AUD", 2),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 0),
    ("ILS", 2),
    ("INR", 2),
    ("JPY", 0),
    ("MXN", 2),
    ("MYR", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("PHP", 2),
    ("PLN", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TWD", 0),
    ("USD", 2),
];

fn decimals(currency: &str) -> Option<u32> {
    CURRENCIES
        .iter()
        .find(|(c, _)| *c == currency)
        .map(|(_, d)| *d)
}

fn format_minor(currency: &str, minor: i64) -> String {
    let d = decimals(currency).unwrap_or(2);
    if d == 0 {
        return minor.to_string();
    }
    let scale = 10u64.pow(d);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:0w$}", abs / scale, abs % scale, w = d as usize)
}

fn money(currency: &str, minor: i64) -> Value {
    json!({ "currency_code": currency, "value": format_minor(currency, minor) })
}

/// Which API validates the amount: the issues and their wording differ between the Orders
/// and the Payments documents, and Prism holds the fake to each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    Orders,
    Payments,
}

/// Parses a `money` object the way PayPal validates it. Err is (HTTP status, issue, field).
/// An unsupported currency is `INVALID_CURRENCY_CODE`; a decimal point in a currency
/// without decimals is `DECIMAL_PRECISION` for Orders and `DECIMALS_NOT_SUPPORTED` for
/// Payments, as each document lists; too many decimals is `DECIMAL_PRECISION`.
fn parse_money(
    v: Option<&Value>,
    field: &str,
    api: Api,
) -> Result<(String, i64), (u16, &'static str, String)> {
    let v = v.ok_or((400, "MISSING_REQUIRED_PARAMETER", field.to_owned()))?;
    let currency = v.get("currency_code").and_then(Value::as_str).ok_or((
        400,
        "MISSING_REQUIRED_PARAMETER",
        format!("{field}/currency_code"),
    ))?;
    let value = v.get("value").and_then(Value::as_str).ok_or((
        400,
        "MISSING_REQUIRED_PARAMETER",
        format!("{field}/value"),
    ))?;
    let (int, frac) = value.split_once('.').unwrap_or((value, ""));
    let syntax = (400, "INVALID_PARAMETER_SYNTAX", format!("{field}/value"));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || (value.contains('.') && frac.is_empty())
        || int.len() > 15
    {
        return Err(syntax);
    }
    let Some(d) = decimals(currency) else {
        return Err((
            422,
            "INVALID_CURRENCY_CODE",
            format!("{field}/currency_code"),
        ));
    };
    if d == 0 && value.contains('.') {
        let issue = match api {
            Api::Orders => "DECIMAL_PRECISION",
            Api::Payments => "DECIMALS_NOT_SUPPORTED",
        };
        return Err((422, issue, format!("{field}/value")));
    }
    if frac.len() > d as usize {
        return Err((422, "DECIMAL_PRECISION", format!("{field}/value")));
    }
    let mut minor: i64 = int.parse::<i64>().unwrap_or(0);
    for i in 0..d as usize {
        minor = minor * 10 + frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
    }
    Ok((currency.to_owned(), minor))
}

pub(super) mod handlers {
    use std::sync::Arc;

    use axum::body::Bytes;
    use axum::extract::{Path, Query, Request, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::middleware::Next;
    use axum::response::{Html, IntoResponse, Response};
    use axum::Json;
    use base64::Engine as _;

    use super::*;

    type St = State<Arc<Shared>>;

    pub async fn log_request(State(s): St, req: Request, next: Next) -> Response {
        let request_id = req
            .headers()
            .get("paypal-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        s.lock().requests.push(LoggedRequest {
            method: req.method().to_string(),
            path: req.uri().path().to_owned(),
            request_id,
        });
        next.run(req).await
    }

    fn json_response(status: u16, body: Value) -> Response {
        (
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            Json(body),
        )
            .into_response()
    }

    fn debug_id() -> String {
        uuid::Uuid::new_v4().simple().to_string()[..13].to_owned()
    }

    fn error_body(status: u16, issue: &str, field: Option<&str>, description: &str) -> Value {
        let (name, message) = match status {
            400 => ("INVALID_REQUEST", "Request is not well-formed, syntactically incorrect, or violates schema."),
            404 => ("RESOURCE_NOT_FOUND", "The specified resource does not exist."),
            _ => (
                "UNPROCESSABLE_ENTITY",
                "The requested action could not be performed, semantically incorrect, or failed business validation.",
            ),
        };
        let mut detail = json!({ "issue": issue, "description": description });
        if let Some(f) = field {
            detail["field"] = json!(f);
            detail["location"] = json!(if f.starts_with('/') { "body" } else { "path" });
        }
        json!({
            "name": name,
            "message": message,
            "debug_id": debug_id(),
            "details": [detail],
            "links": [{
                "href": format!("https://developer.paypal.com/docs/api/orders/v2/#error-{issue}"),
                "rel": "information_link",
                "method": "GET",
            }],
        })
    }

    fn not_found(field: &str, value: &str) -> (u16, Value) {
        let mut body = error_body(
            404,
            "INVALID_RESOURCE_ID",
            Some(field),
            "Specified resource ID does not exist. Please check the resource ID and try again.",
        );
        body["details"][0]["value"] = json!(value);
        (404, body)
    }

    /// Bearer check: PayPal's 401 body on failure.
    // The error is the response itself, returned straight from the handler.
    #[allow(clippy::result_large_err)]
    fn authorize(s: &Shared, headers: &HeaderMap) -> Result<(), Response> {
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let valid = token.is_some_and(|t| {
            s.lock()
                .tokens
                .get(t)
                .is_some_and(|exp| Instant::now() < *exp)
        });
        if valid {
            Ok(())
        } else {
            Err(json_response(
                401,
                json!({
                    "name": "AUTHENTICATION_FAILURE",
                    "message": "Authentication failed due to invalid authentication credentials or a missing Authorization header.",
                    "links": [{
                        "href": "https://developer.paypal.com/docs/api/overview/#error",
                        "rel": "information_link"
                    }]
                }),
            ))
        }
    }

    /// Applies a pending fault that acts before any effect.
    fn fault_before(s: &Shared) -> Option<Response> {
        let mut inner = s.lock();
        match inner.faults.front().cloned() {
            Some(Fault::ErrorBeforeEffect(status)) => {
                inner.faults.pop_front();
                Some(json_response(
                    status,
                    json!({ "name": "INTERNAL_SERVER_ERROR", "message": "An internal server error occurred.", "debug_id": debug_id() }),
                ))
            }
            Some(Fault::RateLimited { retry_after_s }) => {
                inner.faults.pop_front();
                let mut r = json_response(
                    429,
                    json!({ "name": "RATE_LIMIT_REACHED", "message": "Too many requests. Blocked due to rate limiting.", "debug_id": debug_id() }),
                );
                r.headers_mut().insert(
                    "retry-after",
                    retry_after_s.to_string().parse().expect("digits"),
                );
                Some(r)
            }
            _ => None,
        }
    }

    /// Runs a POST effect at most once per (endpoint, PayPal-Request-Id).
    fn idempotent(
        s: &Shared,
        path: String,
        headers: &HeaderMap,
        effect: impl FnOnce(&mut Inner) -> (u16, Value),
    ) -> Response {
        if let Some(r) = fault_before(s) {
            return r;
        }
        let request_id = headers
            .get("paypal-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut inner = s.lock();
        let (status, body) = match request_id
            .as_ref()
            .and_then(|id| inner.idempotency.get(&(path.clone(), id.clone())))
        {
            Some(stored) => stored.clone(),
            None => {
                let answer = effect(&mut inner);
                if let Some(id) = request_id {
                    if answer.0 < 500 {
                        inner.idempotency.insert((path, id), answer.clone());
                    }
                }
                answer
            }
        };
        if inner.faults.front() == Some(&Fault::LoseResponseAfterEffect) {
            inner.faults.pop_front();
            return json_response(
                500,
                json!({ "name": "INTERNAL_SERVER_ERROR", "message": "An internal server error occurred.", "debug_id": debug_id() }),
            );
        }
        json_response(status, body)
    }

    pub async fn token(State(s): St, headers: HeaderMap, body: Bytes) -> Response {
        let expected = format!("{}:{}", s.config.client_id, s.config.client_secret);
        let given = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            });
        if given.as_deref() != Some(expected.as_bytes()) {
            return json_response(
                401,
                json!({ "error": "invalid_client", "error_description": "Client Authentication failed" }),
            );
        }
        let form = String::from_utf8_lossy(&body);
        if !form
            .split('&')
            .any(|kv| kv == "grant_type=client_credentials")
        {
            return json_response(
                400,
                json!({ "error": "unsupported_grant_type", "error_description": "Grant Type is NULL" }),
            );
        }
        let token = format!("A21AA{}", uuid::Uuid::new_v4().simple());
        let ttl = s.config.token_ttl;
        let mut inner = s.lock();
        inner.tokens.insert(token.clone(), Instant::now() + ttl);
        inner.tokens_issued += 1;
        json_response(
            200,
            json!({
                "scope": "https://uri.paypal.com/services/payments/refund https://uri.paypal.com/services/payments/payment/authcapture",
                "access_token": token,
                "token_type": "Bearer",
                "app_id": "APP-80W284485P519543T",
                "expires_in": ttl.as_secs(),
                "nonce": format!("{}{}", now_rfc3339(), uuid::Uuid::new_v4().simple()),
            }),
        )
    }

    fn order_json(base: &str, inner: &Inner, o: &OrderRec) -> Value {
        let self_href = format!("{base}/v2/checkout/orders/{}", o.id);
        let mut links = vec![json!({ "href": self_href, "rel": "self", "method": "GET" })];
        if o.state == OrderState::Created {
            links.push(json!({ "href": format!("{base}/checkoutnow?token={}", o.id), "rel": "approve", "method": "GET" }));
        }
        if o.state != OrderState::Completed {
            links.push(json!({ "href": self_href, "rel": "update", "method": "PATCH" }));
            links.push(json!({ "href": format!("{self_href}/capture"), "rel": "capture", "method": "POST" }));
        }
        let mut unit = json!({
            "reference_id": o.reference_id,
            "amount": money(&o.currency, o.minor),
            "payee": { "email_address": "merchant@example.com", "merchant_id": "C7CYMKZDG8D6E" },
        });
        for (k, v) in [
            ("custom_id", &o.custom_id),
            ("invoice_id", &o.invoice_id),
            ("description", &o.description),
        ] {
            if let Some(v) = v {
                unit[k] = json!(v);
            }
        }
        if let Some(c) = o.capture_id.as_ref().and_then(|id| inner.captures.get(id)) {
            unit["payments"] = json!({ "captures": [capture_json(base, &c.0)] });
        }
        let mut order = json!({
            "id": o.id,
            "intent": "CAPTURE",
            "status": o.state.as_str(),
            "purchase_units": [unit],
            "create_time": o.create_time,
            "update_time": o.update_time,
            "links": links,
        });
        if o.state != OrderState::Created {
            let payer = json!({
                "name": { "given_name": "John", "surname": "Doe" },
                "email_address": "customer@example.com",
                "payer_id": "QYR5Z8XDVJNXQ",
                "address": { "country_code": "US" },
            });
            order["payer"] = payer;
            order["payment_source"] = json!({ "paypal": {
                "email_address": "customer@example.com",
                "account_id": "QYR5Z8XDVJNXQ",
                "account_status": "VERIFIED",
                "name": { "given_name": "John", "surname": "Doe" },
                "address": { "country_code": "US" },
            }});
        }
        order
    }

    fn capture_status(c: &CaptureRec) -> &'static str {
        if c.refunded_minor == 0 {
            "COMPLETED"
        } else if c.refunded_minor < c.minor {
            "PARTIALLY_REFUNDED"
        } else {
            "REFUNDED"
        }
    }

    fn capture_json(base: &str, c: &CaptureRec) -> Value {
        // PayPal's fee is a percentage plus a fixed part; integers only.
        let fixed = if decimals(&c.currency) == Some(0) {
            0
        } else {
            49
        };
        let fee = ((c.minor * 349 + 5_000) / 10_000 + fixed).min(c.minor);
        let mut capture = json!({
            "id": c.id,
            "status": capture_status(c),
            "amount": money(&c.currency, c.minor),
            "final_capture": true,
            "seller_protection": { "status": "ELIGIBLE", "dispute_categories": ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"] },
            "seller_receivable_breakdown": {
                "gross_amount": money(&c.currency, c.minor),
                "paypal_fee": money(&c.currency, fee),
                "net_amount": money(&c.currency, c.minor - fee),
            },
            "links": [
                { "href": format!("{base}/v2/payments/captures/{}", c.id), "rel": "self", "method": "GET" },
                { "href": format!("{base}/v2/payments/captures/{}/refund", c.id), "rel": "refund", "method": "POST" },
                { "href": format!("{base}/v2/checkout/orders/{}", c.order_id), "rel": "up", "method": "GET" },
            ],
            "create_time": c.create_time,
            "update_time": c.update_time,
        });
        for (k, v) in [("custom_id", &c.custom_id), ("invoice_id", &c.invoice_id)] {
            if let Some(v) = v {
                capture[k] = json!(v);
            }
        }
        capture
    }

    fn refund_json(base: &str, r: &RefundRec, total_refunded: i64) -> Value {
        let mut refund = json!({
            "id": r.id,
            "status": "COMPLETED",
            "amount": money(&r.currency, r.minor),
            "seller_payable_breakdown": {
                "gross_amount": money(&r.currency, r.minor),
                "paypal_fee": money(&r.currency, 0),
                "net_amount": money(&r.currency, r.minor),
                "total_refunded_amount": money(&r.currency, total_refunded),
            },
            "links": [
                { "href": format!("{base}/v2/payments/refunds/{}", r.id), "rel": "self", "method": "GET" },
                { "href": format!("{base}/v2/payments/captures/{}", r.capture_id), "rel": "up", "method": "GET" },
            ],
            "create_time": r.create_time,
            "update_time": r.create_time,
        });
        for (k, v) in [
            ("invoice_id", &r.invoice_id),
            ("note_to_payer", &r.note_to_payer),
        ] {
            if let Some(v) = v {
                refund[k] = json!(v);
            }
        }
        refund
    }

    fn push_event(
        base: &str,
        inner: &mut Inner,
        event_type: &str,
        resource_type: &str,
        summary: String,
        resource: Value,
    ) {
        let id = format!("WH-{}-{}", paypal_id(), paypal_id());
        inner.events.push(json!({
            "id": id,
            "event_version": "1.0",
            "create_time": now_rfc3339(),
            "resource_type": resource_type,
            "resource_version": "2.0",
            "event_type": event_type,
            "summary": summary,
            "resource": resource,
            "links": [
                { "href": format!("{base}/v1/notifications/webhooks-events/{id}"), "rel": "self", "method": "GET" },
                { "href": format!("{base}/v1/notifications/webhooks-events/{id}/resend"), "rel": "resend", "method": "POST" },
            ],
        }));
    }

    /// An error answer with the description the API's document gives the issue (Prism
    /// compares it with the document's enum).
    fn bad_body(status: u16, issue: &str, field: &str, api: Api) -> (u16, Value) {
        let description = match (issue, api) {
            ("MISSING_REQUIRED_PARAMETER", _) => "A required field / parameter is missing.",
            ("INVALID_PARAMETER_SYNTAX", _) => {
                "The value of a field does not conform to the expected format."
            }
            ("DECIMAL_PRECISION", _) => {
                "If the currency supports decimals, only two decimal place precision is supported."
            }
            ("DECIMALS_NOT_SUPPORTED", _) => "Currency does not support decimals. Please refer to https://developer.paypal.com/docs/api/reference/currency-codes/ for more information.",
            ("INVALID_CURRENCY_CODE", Api::Orders) => "Currency code is invalid or is not currently supported. Please refer https://developer.paypal.com/api/rest/reference/currency-codes/ for list of supported currency codes.",
            ("INVALID_CURRENCY_CODE", Api::Payments) => "Currency code is invalid or is not currently supported. Please refer https://developer.paypal.com/docs/api/reference/currency-codes/ for list of supported currency codes.",
            ("CANNOT_BE_ZERO_OR_NEGATIVE", _) => {
                "Must be greater than zero. If the currency supports decimals, only two decimal place precision is supported."
            }
            _ => "The value of a field is invalid.",
        };
        (status, error_body(status, issue, Some(field), description))
    }

    pub async fn create_order(State(s): St, headers: HeaderMap, body: Bytes) -> Response {
        if let Err(r) = authorize(&s, &headers) {
            return r;
        }
        let base = s.base_url.clone();
        idempotent(&s, "/v2/checkout/orders".into(), &headers, |inner| {
            let Ok(req) = serde_json::from_slice::<Value>(&body) else {
                return bad_body(400, "MALFORMED_REQUEST_JSON", "/", Api::Orders);
            };
            match req.get("intent").and_then(Value::as_str) {
                Some("CAPTURE") => {}
                Some(_) => return bad_body(400, "INVALID_PARAMETER_VALUE", "/intent", Api::Orders),
                None => return bad_body(400, "MISSING_REQUIRED_PARAMETER", "/intent", Api::Orders),
            }
            let Some(unit) = req
                .get("purchase_units")
                .and_then(Value::as_array)
                .and_then(|u| u.first())
            else {
                return bad_body(
                    400,
                    "MISSING_REQUIRED_PARAMETER",
                    "/purchase_units",
                    Api::Orders,
                );
            };
            let (currency, minor) = match parse_money(
                unit.get("amount"),
                "/purchase_units/@reference_id=='default'/amount",
                Api::Orders,
            ) {
                Ok(m) => m,
                Err((status, issue, field)) => return bad_body(status, issue, &field, Api::Orders),
            };
            if minor <= 0 {
                return bad_body(
                    422,
                    "CANNOT_BE_ZERO_OR_NEGATIVE",
                    "/purchase_units/@reference_id=='default'/amount/value",
                    Api::Orders,
                );
            }
            let text = |k: &str| unit.get(k).and_then(Value::as_str).map(str::to_owned);
            let now = now_rfc3339();
            let order = OrderRec {
                id: paypal_id(),
                state: OrderState::Created,
                currency,
                minor,
                reference_id: text("reference_id").unwrap_or_else(|| "default".into()),
                custom_id: text("custom_id"),
                invoice_id: text("invoice_id"),
                description: text("description"),
                create_time: now.clone(),
                update_time: now,
                capture_id: None,
            };
            let body = order_json(&base, inner, &order);
            inner.orders.insert(order.id.clone(), OrderRecBox(order));
            (201, body)
        })
    }

    pub async fn get_order(State(s): St, headers: HeaderMap, Path(id): Path<String>) -> Response {
        if let Err(r) = authorize(&s, &headers) {
            return r;
        }
        if let Some(r) = fault_before(&s) {
            return r;
        }
        let inner = s.lock();
        match inner.orders.get(&id) {
            Some(o) => json_response(200, order_json(&s.base_url, &inner, &o.0)),
            None => {
                let (status, body) = not_found("order_id", &id);
                json_response(status, body)
            }
        }
    }

    #[derive(serde::Deserialize)]
    pub struct ApproveQuery {
        token: String,
    }

    /// The payer's click on the approval page.
    pub async fn approve(State(s): St, Query(q): Query<ApproveQuery>) -> Response {
        let base = s.base_url.clone();
        let mut inner = s.lock();
        let Some(state) = inner.orders.get(&q.token).map(|o| o.0.state) else {
            return (
                StatusCode::NOT_FOUND,
                Html("<h1>This order does not exist</h1>"),
            )
                .into_response();
        };
        match state {
            OrderState::Created => {
                let order = inner.orders.get_mut(&q.token).expect("checked above");
                order.0.state = OrderState::Approved;
                order.0.update_time = now_rfc3339();
                let o = inner.orders.get(&q.token).expect("checked above");
                let resource = order_json(&base, &inner, &o.0);
                let summary = "An order has been approved by buyer".to_owned();
                push_event(
                    &base,
                    &mut inner,
                    "CHECKOUT.ORDER.APPROVED",
                    "checkout-order",
                    summary,
                    resource,
                );
                Html("<h1>Payment approved</h1><p>You can return to the merchant.</p>")
                    .into_response()
            }
            OrderState::Approved => Html("<h1>Payment approved</h1>").into_response(),
            OrderState::Completed => (
                StatusCode::CONFLICT,
                Html("<h1>This order is already completed</h1>"),
            )
                .into_response(),
        }
    }

    pub async fn capture_order(
        State(s): St,
        headers: HeaderMap,
        Path(id): Path<String>,
    ) -> Response {
        if let Err(r) = authorize(&s, &headers) {
            return r;
        }
        let base = s.base_url.clone();
        idempotent(
            &s,
            format!("/v2/checkout/orders/{id}/capture"),
            &headers,
            |inner| {
                let Some(order) = inner.orders.get(&id).map(|o| o.0.state) else {
                    return not_found("order_id", &id);
                };
                match order {
                    OrderState::Created => {
                        return (422, error_body(422, "ORDER_NOT_APPROVED", None,
                        "Payer has not yet approved the Order for payment. Please redirect the payer to the 'rel':'approve' url returned as part of the HATEOAS links within the Create Order call or provide a valid `payment_source` in the request."));
                    }
                    OrderState::Completed => {
                        return (422, error_body(422, "ORDER_ALREADY_CAPTURED", None,
                        "Order already captured.If 'intent=CAPTURE' only one capture per order is allowed."));
                    }
                    OrderState::Approved => {}
                }
                let now = now_rfc3339();
                let o = &mut inner.orders.get_mut(&id).expect("checked above").0;
                let capture = CaptureRec {
                    id: paypal_id(),
                    order_id: o.id.clone(),
                    currency: o.currency.clone(),
                    minor: o.minor,
                    refunded_minor: 0,
                    custom_id: o.custom_id.clone(),
                    invoice_id: o.invoice_id.clone(),
                    create_time: now.clone(),
                    update_time: now.clone(),
                };
                o.state = OrderState::Completed;
                o.update_time = now;
                o.capture_id = Some(capture.id.clone());
                let mut resource = capture_json(&base, &capture);
                resource["supplementary_data"] = json!({ "related_ids": { "order_id": id } });
                let summary = format!(
                    "Payment completed for {} {}",
                    format_minor(&capture.currency, capture.minor),
                    capture.currency
                );
                inner
                    .captures
                    .insert(capture.id.clone(), CaptureRecBox(capture));
                push_event(
                    &base,
                    inner,
                    "PAYMENT.CAPTURE.COMPLETED",
                    "capture",
                    summary,
                    resource,
                );
                let o = inner.orders.get(&id).expect("checked above");
                (201, order_json(&base, inner, &o.0))
            },
        )
    }

    pub async fn get_capture(State(s): St, headers: HeaderMap, Path(id): Path<String>) -> Response {
        if let Err(r) = authorize(&s, &headers) {
            return r;
        }
        if let Some(r) = fault_before(&s) {
            return r;
        }
        let inner = s.lock();
        match inner.captures.get(&id) {
            Some(c) => json_response(200, capture_json(&s.base_url, &c.0)),
            None => {
                let (status, body) = not_found("capture_id", &id);
                json_response(status, body)
            }
        }
    }

    pub async fn refund_capture(
        State(s): St,
        headers: HeaderMap,
        Path(id): Path<String>,
        body: Bytes,
    ) -> Response {
        if let Err(r) = authorize(&s, &headers) {
            return r;
        }
        let base = s.base_url.clone();
        idempotent(
            &s,
            format!("/v2/payments/captures/{id}/refund"),
            &headers,
            |inner| {
                let req: Value = if body.is_empty() {
                    json!({})
                } else {
                    match serde_json::from_slice(&body) {
                        Ok(v) => v,
                        Err(_) => {
                            return bad_body(400, "MALFORMED_REQUEST_JSON", "/", Api::Payments)
                        }
                    }
                };
                let Some(capture) = inner
                    .captures
                    .get(&id)
                    .map(|c| (c.0.currency.clone(), c.0.minor - c.0.refunded_minor))
                else {
                    return not_found("capture_id", &id);
                };
                let (currency, remaining) = capture;
                if remaining == 0 {
                    return (
                        422,
                        error_body(
                            422,
                            "CAPTURE_FULLY_REFUNDED",
                            None,
                            "The capture has already been fully refunded",
                        ),
                    );
                }
                let minor = match req.get("amount") {
                    None => remaining,
                    Some(a) => match parse_money(Some(a), "/amount", Api::Payments) {
                        Err((status, issue, field)) => {
                            return bad_body(status, issue, &field, Api::Payments)
                        }
                        Ok((cur, _)) if cur != currency => {
                            return (
                                422,
                                error_body(
                                    422,
                                    "REFUND_CAPTURE_CURRENCY_MISMATCH",
                                    None,
                                    "Refund must be in the same currency as the capture",
                                ),
                            );
                        }
                        Ok((_, m)) if m <= 0 => {
                            return bad_body(
                                422,
                                "CANNOT_BE_ZERO_OR_NEGATIVE",
                                "/amount/value",
                                Api::Payments,
                            )
                        }
                        Ok((_, m)) if m > remaining => {
                            return (422, error_body(422, "REFUND_AMOUNT_EXCEEDED", None,
                            "The refund amount must be less than or equal to the capture amount that has not yet been refunded."));
                        }
                        Ok((_, m)) => m,
                    },
                };
                let text = |k: &str| req.get(k).and_then(Value::as_str).map(str::to_owned);
                let now = now_rfc3339();
                let refund = RefundRec {
                    id: paypal_id(),
                    capture_id: id.clone(),
                    currency,
                    minor,
                    invoice_id: text("invoice_id"),
                    note_to_payer: text("note_to_payer"),
                    create_time: now.clone(),
                };
                let c = &mut inner.captures.get_mut(&id).expect("checked above").0;
                c.refunded_minor += minor;
                c.update_time = now;
                let total = c.refunded_minor;
                let body = refund_json(&base, &refund, total);
                let summary = format!(
                    "A {} {} capture payment was refunded",
                    format_minor(&refund.currency, minor),
                    refund.currency
                );
                inner
                    .refunds
                    .insert(refund.id.clone(), RefundRecBox(refund));
                push_event(
                    &base,
                    inner,
                    "PAYMENT.CAPTURE.REFUNDED",
                    "refund",
                    summary,
                    body.clone(),
                );
                (201, body)
            },
        )
    }

    pub async fn get_refund(State(s): St, headers: HeaderMap, Path(id): Path<String>) -> Response {
        if let Err(r) = authorize(&s, &headers) {
            return r;
        }
        if let Some(r) = fault_before(&s) {
            return r;
        }
        let inner = s.lock();
        match inner.refunds.get(&id) {
            Some(r) => {
                let total = inner
                    .captures
                    .get(&r.0.capture_id)
                    .map_or(r.0.minor, |c| c.0.refunded_minor);
                json_response(200, refund_json(&s.base_url, &r.0, total))
            }
            None => {
                let (status, body) = not_found("refund_id", &id);
                json_response(status, body)
            }
        }
    }

    /// PayPal's answer depends on the delivery it really sent: everything must match what
    /// was signed, including the event itself.
    pub async fn verify_webhook_signature(
        State(s): St,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        if let Err(r) = authorize(&s, &headers) {
            return r;
        }
        let Ok(req) = serde_json::from_slice::<Value>(&body) else {
            let (st, b) = bad_body(400, "MALFORMED_REQUEST_JSON", "/", Api::Payments);
            return json_response(st, b);
        };
        let field = |k: &str| req.get(k).and_then(Value::as_str);
        for required in [
            "auth_algo",
            "cert_url",
            "transmission_id",
            "transmission_sig",
            "transmission_time",
            "webhook_id",
        ] {
            if field(required).is_none() {
                return json_response(
                    400,
                    json!({
                        "name": "VALIDATION_ERROR",
                        "message": "Invalid request - see details",
                        "debug_id": debug_id(),
                        "details": [{ "field": required, "location": "body", "issue": "MISSING_REQUIRED_PARAMETER" }],
                    }),
                );
            }
        }
        let inner = s.lock();
        let genuine = field("transmission_id")
            .and_then(|id| inner.transmissions.get(id))
            .is_some_and(|sent| {
                let event: Option<Value> = serde_json::from_slice(&sent.body).ok();
                field("webhook_id") == Some(s.config.webhook_id.as_str())
                    && field("transmission_sig") == Some(sent.transmission_sig.as_str())
                    && field("transmission_time") == Some(sent.transmission_time.as_str())
                    && field("cert_url") == Some(sent.cert_url.as_str())
                    && field("auth_algo") == Some(sent.auth_algo.as_str())
                    && event.is_some()
                    && req.get("webhook_event") == event.as_ref()
            });
        json_response(
            200,
            json!({ "verification_status": if genuine { "SUCCESS" } else { "FAILURE" } }),
        )
    }

    pub async fn cert(State(s): St, Path(name): Path<String>) -> Response {
        if s.signer.cert_url.ends_with(&format!("/{name}")) {
            s.lock().cert_fetches += 1;
            (
                StatusCode::OK,
                [("content-type", "application/x-pem-file")],
                s.signer.cert_pem.clone(),
            )
                .into_response()
        } else {
            (StatusCode::NOT_FOUND, "no such certificate").into_response()
        }
    }
}
