//! Orders v2 and Payments v2 resources as PayPal sends them.
//!
//! Only the fields the application uses are typed; everything is decoded leniently
//! (unknown fields ignored, unknown statuses kept as `Unknown`) so a PayPal addition never
//! breaks a payment in flight.

use cs_core::Money;
use serde::{Deserialize, Serialize};

use crate::amount::{AmountError, PayPalAmount, WireMoney};

/// What to create: one purchase unit, captured on approval (`intent = CAPTURE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOrder {
    pub amount: PayPalAmount,
    /// Our own id for the purchase unit (e.g. the top-up id); echoed in captures.
    pub reference_id: Option<String>,
    /// Free reconciliation id, visible in PayPal reports (max 127 chars).
    pub custom_id: Option<String>,
    /// Invoice number; PayPal refuses a second payment for the same invoice id.
    pub invoice_id: Option<String>,
    pub description: Option<String>,
    /// The reseller's name shown on PayPal's approval page.
    pub brand_name: Option<String>,
    pub return_url: Option<String>,
    pub cancel_url: Option<String>,
}

impl CreateOrder {
    pub fn new(amount: PayPalAmount) -> Self {
        Self {
            amount,
            reference_id: None,
            custom_id: None,
            invoice_id: None,
            description: None,
            brand_name: None,
            return_url: None,
            cancel_url: None,
        }
    }

    pub(crate) fn to_wire(&self) -> serde_json::Value {
        let mut unit = serde_json::json!({ "amount": self.amount.to_wire() });
        let obj = unit.as_object_mut().expect("object literal");
        for (key, value) in [
            ("reference_id", &self.reference_id),
            ("custom_id", &self.custom_id),
            ("invoice_id", &self.invoice_id),
            ("description", &self.description),
        ] {
            if let Some(v) = value {
                obj.insert(key.into(), v.clone().into());
            }
        }
        let mut context = serde_json::Map::new();
        context.insert("shipping_preference".into(), "NO_SHIPPING".into());
        context.insert("user_action".into(), "PAY_NOW".into());
        for (key, value) in [
            ("brand_name", &self.brand_name),
            ("return_url", &self.return_url),
            ("cancel_url", &self.cancel_url),
        ] {
            if let Some(v) = value {
                context.insert(key.into(), v.clone().into());
            }
        }
        serde_json::json!({
            "intent": "CAPTURE",
            "purchase_units": [unit],
            "application_context": context,
        })
    }
}

/// A HATEOAS link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub href: String,
    pub rel: String,
    #[serde(default)]
    pub method: Option<String>,
}

fn link<'a>(links: &'a [Link], rel: &str) -> Option<&'a str> {
    links.iter().find(|l| l.rel == rel).map(|l| l.href.as_str())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    Created,
    Saved,
    Approved,
    Voided,
    Completed,
    PayerActionRequired,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CaptureStatus {
    Completed,
    Declined,
    PartiallyRefunded,
    Pending,
    Refunded,
    Failed,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RefundStatus {
    Cancelled,
    Failed,
    Pending,
    Completed,
    #[serde(other)]
    Unknown,
}

/// An Orders v2 order.
#[derive(Debug, Clone, Deserialize)]
pub struct Order {
    pub id: String,
    pub status: OrderStatus,
    #[serde(default)]
    pub intent: Option<String>,
    #[serde(default)]
    pub purchase_units: Vec<PurchaseUnit>,
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub payer: Option<serde_json::Value>,
    #[serde(default)]
    pub create_time: Option<String>,
    #[serde(default)]
    pub update_time: Option<String>,
}

impl Order {
    /// Where to send the payer to approve the order (`rel = approve`, or `payer-action`
    /// for orders created with a payment source).
    pub fn approve_url(&self) -> Option<&str> {
        link(&self.links, "approve").or_else(|| link(&self.links, "payer-action"))
    }

    /// All captures of all purchase units.
    pub fn captures(&self) -> impl Iterator<Item = &Capture> {
        self.purchase_units
            .iter()
            .filter_map(|u| u.payments.as_ref())
            .flat_map(|p| p.captures.iter())
    }
}

/// One purchase unit of an order. `amount` is PayPal's raw money object; read it as our
/// [`Money`] with [`PurchaseUnit::amount`].
#[derive(Debug, Clone, Deserialize)]
pub struct PurchaseUnit {
    #[serde(default)]
    pub reference_id: Option<String>,
    #[serde(default)]
    pub amount: Option<WireMoney>,
    #[serde(default)]
    pub custom_id: Option<String>,
    #[serde(default)]
    pub invoice_id: Option<String>,
    #[serde(default)]
    pub payments: Option<Payments>,
}

impl PurchaseUnit {
    pub fn amount(&self) -> Result<Option<Money>, AmountError> {
        self.amount.as_ref().map(WireMoney::to_money).transpose()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Payments {
    #[serde(default)]
    pub captures: Vec<Capture>,
    #[serde(default)]
    pub refunds: Vec<Refund>,
}

/// A captured payment: the money movement the wallet is credited from.
#[derive(Debug, Clone, Deserialize)]
pub struct Capture {
    pub id: String,
    pub status: CaptureStatus,
    #[serde(default)]
    pub amount: Option<WireMoney>,
    #[serde(default)]
    pub final_capture: Option<bool>,
    #[serde(default)]
    pub custom_id: Option<String>,
    #[serde(default)]
    pub invoice_id: Option<String>,
    #[serde(default)]
    pub seller_receivable_breakdown: Option<serde_json::Value>,
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub create_time: Option<String>,
    #[serde(default)]
    pub update_time: Option<String>,
}

impl Capture {
    /// The captured amount in our minor units (100 HUF on PayPal's wire is 100.00 HUF).
    pub fn amount(&self) -> Result<Option<Money>, AmountError> {
        self.amount.as_ref().map(WireMoney::to_money).transpose()
    }
}

/// A refund of a capture.
#[derive(Debug, Clone, Deserialize)]
pub struct Refund {
    pub id: String,
    pub status: RefundStatus,
    #[serde(default)]
    pub amount: Option<WireMoney>,
    #[serde(default)]
    pub note_to_payer: Option<String>,
    #[serde(default)]
    pub invoice_id: Option<String>,
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub create_time: Option<String>,
}

impl Refund {
    /// The refunded amount in our minor units.
    pub fn amount(&self) -> Result<Option<Money>, AmountError> {
        self.amount.as_ref().map(WireMoney::to_money).transpose()
    }

    /// The refunded capture's id, from the `up` link.
    pub fn capture_id(&self) -> Option<&str> {
        link(&self.links, "up").and_then(|href| href.trim_end_matches('/').rsplit('/').next())
    }
}

/// What to refund: the whole remaining amount, or part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// `None` refunds everything not yet refunded.
    pub amount: Option<PayPalAmount>,
    pub invoice_id: Option<String>,
    pub note_to_payer: Option<String>,
}

impl RefundRequest {
    pub fn full() -> Self {
        Self {
            amount: None,
            invoice_id: None,
            note_to_payer: None,
        }
    }

    pub fn partial(amount: PayPalAmount) -> Self {
        Self {
            amount: Some(amount),
            invoice_id: None,
            note_to_payer: None,
        }
    }

    pub(crate) fn to_wire(&self) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        if let Some(a) = &self.amount {
            body.insert(
                "amount".into(),
                serde_json::to_value(a.to_wire()).expect("money serializes"),
            );
        }
        if let Some(v) = &self.invoice_id {
            body.insert("invoice_id".into(), v.clone().into());
        }
        if let Some(v) = &self.note_to_payer {
            body.insert("note_to_payer".into(), v.clone().into());
        }
        serde_json::Value::Object(body)
    }
}
