//! Records: the customer-facing state the desktop pushes, one versioned type
//! per kind.
//!
//! An [`Envelope`] is what travels and what both sides store: the sequence
//! number the desktop gave it, the kind and version of its body, the entity it
//! describes and, for entities that belong to a customer, the customer's
//! organization id (the portal scopes every read by it). The body is kept as
//! JSON inside the envelope so that a reader can always read the envelope,
//! even when it cannot read the body: [`Envelope::decode`] then fails with a
//! [`DecodeError`] that names the kind and version, and the sync stops rather
//! than skipping the record.
//!
//! Bodies refuse unknown fields: a writer that adds a field without a new
//! version is a bug that must fail loudly, not lose data quietly.

use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use documents::*;

/// The kinds of record, with their names on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Branding,
    Logo,
    Organization,
    Contact,
    Invitation,
    Plan,
    Server,
    Wallet,
    WalletTransaction,
    Document,
    Policy,
    IntentResult,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::Branding,
        Kind::Logo,
        Kind::Organization,
        Kind::Contact,
        Kind::Invitation,
        Kind::Plan,
        Kind::Server,
        Kind::Wallet,
        Kind::WalletTransaction,
        Kind::Document,
        Kind::Policy,
        Kind::IntentResult,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Branding => "branding",
            Kind::Logo => "logo",
            Kind::Organization => "organization",
            Kind::Contact => "contact",
            Kind::Invitation => "invitation",
            Kind::Plan => "plan",
            Kind::Server => "server",
            Kind::Wallet => "wallet",
            Kind::WalletTransaction => "wallet_transaction",
            Kind::Document => "document",
            Kind::Policy => "policy",
            Kind::IntentResult => "intent_result",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The newest version of this kind's body that this build reads and writes.
    pub fn newest_version(self) -> u32 {
        match self {
            Kind::Branding => BrandingV1::VERSION,
            Kind::Logo => LogoV1::VERSION,
            Kind::Organization => OrganizationV1::VERSION,
            Kind::Contact => ContactV1::VERSION,
            Kind::Invitation => InvitationV1::VERSION,
            Kind::Plan => PlanV1::VERSION,
            Kind::Server => ServerV1::VERSION,
            Kind::Wallet => WalletV1::VERSION,
            Kind::WalletTransaction => WalletTransactionV1::VERSION,
            Kind::Document => DocumentV1::VERSION,
            Kind::Policy => PolicyV1::VERSION,
            Kind::IntentResult => IntentResultV1::VERSION,
        }
    }

    /// Whether records of this kind belong to one customer organization (and
    /// so must carry its id in [`Envelope::org`]).
    pub fn is_scoped(self) -> bool {
        !matches!(
            self,
            Kind::Branding | Kind::Logo | Kind::Plan | Kind::Policy
        )
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record body: its kind and version are part of its type.
pub trait Body: Serialize + DeserializeOwned {
    const KIND: Kind;
    const VERSION: u32;
}

/// A record as it travels: `{"seq":…,"at":…,"kind":…,"v":…,"id":…,"org":…,"body":…}`.
///
/// The encoding of this struct must never change: every desktop and portal
/// release reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The desktop's sequence number: increasing, not necessarily contiguous
    /// (records superseded before they were pushed are dropped).
    pub seq: u64,
    /// When the desktop committed the change.
    pub at: DateTime<Utc>,
    /// A [`Kind`] name; a string so that an unknown kind still reads as an
    /// envelope and can be reported.
    pub kind: String,
    /// The version of `body`.
    pub v: u32,
    /// The entity's id (for a logo: the SHA-256 of its bytes, in hex).
    pub id: String,
    /// The customer organization the entity belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// The entity's state; `null` once the entity is gone (a tombstone).
    pub body: Option<serde_json::Value>,
}

/// The decoded, newest-version body of a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Branding(BrandingV1),
    Logo(LogoV1),
    Organization(OrganizationV1),
    Contact(ContactV1),
    Invitation(InvitationV1),
    Plan(PlanV1),
    Server(ServerV1),
    Wallet(WalletV1),
    WalletTransaction(WalletTransactionV1),
    Document(Box<DocumentV1>),
    Policy(PolicyV1),
    IntentResult(IntentResultV1),
}

impl Record {
    pub fn kind(&self) -> Kind {
        match self {
            Record::Branding(_) => Kind::Branding,
            Record::Logo(_) => Kind::Logo,
            Record::Organization(_) => Kind::Organization,
            Record::Contact(_) => Kind::Contact,
            Record::Invitation(_) => Kind::Invitation,
            Record::Plan(_) => Kind::Plan,
            Record::Server(_) => Kind::Server,
            Record::Wallet(_) => Kind::Wallet,
            Record::WalletTransaction(_) => Kind::WalletTransaction,
            Record::Document(_) => Kind::Document,
            Record::Policy(_) => Kind::Policy,
            Record::IntentResult(_) => Kind::IntentResult,
        }
    }

    /// The body as JSON, with its version.
    pub fn encode(&self) -> (u32, serde_json::Value) {
        fn enc<B: Body>(b: &B) -> (u32, serde_json::Value) {
            // Serializing these plain structs cannot fail: no maps with
            // non-string keys, no foreign Serialize impls.
            (
                B::VERSION,
                serde_json::to_value(b).expect("record bodies serialize"),
            )
        }
        match self {
            Record::Branding(b) => enc(b),
            Record::Logo(b) => enc(b),
            Record::Organization(b) => enc(b),
            Record::Contact(b) => enc(b),
            Record::Invitation(b) => enc(b),
            Record::Plan(b) => enc(b),
            Record::Server(b) => enc(b),
            Record::Wallet(b) => enc(b),
            Record::WalletTransaction(b) => enc(b),
            Record::Document(b) => enc(b.as_ref()),
            Record::Policy(b) => enc(b),
            Record::IntentResult(b) => enc(b),
        }
    }
}

/// Why a record cannot be read. Each stops the tenant's sync with a message
/// shown on both sides; none is ever skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("record {seq} has kind {kind:?}, which this portal does not know: upgrade the portal")]
    UnknownKind { seq: u64, kind: String },
    #[error(
        "record {seq} ({kind}) has version {version}, and this side reads versions 1 to {newest}: upgrade this side"
    )]
    UnsupportedVersion {
        seq: u64,
        kind: Kind,
        version: u32,
        newest: u32,
    },
    #[error("record {seq} ({kind} v{version}) is malformed: {reason}")]
    Malformed {
        seq: u64,
        kind: Kind,
        version: u32,
        reason: String,
    },
}

impl Envelope {
    /// The envelope of `record` about entity `id`.
    pub fn new(
        seq: u64,
        at: DateTime<Utc>,
        id: impl Into<String>,
        org: Option<String>,
        record: &Record,
    ) -> Envelope {
        let (v, body) = record.encode();
        Envelope {
            seq,
            at,
            kind: record.kind().as_str().to_string(),
            v,
            id: id.into(),
            org,
            body: Some(body),
        }
    }

    /// The tombstone of entity `id` of `kind`.
    pub fn tombstone(
        seq: u64,
        at: DateTime<Utc>,
        kind: Kind,
        id: impl Into<String>,
        org: Option<String>,
    ) -> Envelope {
        Envelope {
            seq,
            at,
            kind: kind.as_str().to_string(),
            v: kind.newest_version(),
            id: id.into(),
            org,
            body: None,
        }
    }

    /// Reads the kind (an unknown one is an error, never a skip).
    pub fn kind(&self) -> Result<Kind, DecodeError> {
        Kind::parse(&self.kind).ok_or_else(|| DecodeError::UnknownKind {
            seq: self.seq,
            kind: self.kind.clone(),
        })
    }

    /// Reads the body as the newest version of its kind; `Ok(None)` for a
    /// tombstone. Older versions are read and converted; a newer version than
    /// this build knows is [`DecodeError::UnsupportedVersion`].
    pub fn decode(&self) -> Result<Option<Record>, DecodeError> {
        let kind = self.kind()?;
        let newest = kind.newest_version();
        if self.v == 0 || self.v > newest {
            return Err(DecodeError::UnsupportedVersion {
                seq: self.seq,
                kind,
                version: self.v,
                newest,
            });
        }
        if kind.is_scoped() && self.org.is_none() {
            return Err(self.malformed(kind, "it belongs to a customer but names no organization"));
        }
        let Some(body) = &self.body else {
            return Ok(None);
        };
        // Every kind is at version 1 today; a version 2 adds a match arm
        // here that reads the old struct and converts it.
        let record = match kind {
            Kind::Branding => Record::Branding(self.body_as(kind, body)?),
            Kind::Logo => {
                let logo: LogoV1 = self.body_as(kind, body)?;
                if logo.sha256_hex() != self.id {
                    return Err(self.malformed(kind, "its id is not the SHA-256 of its bytes"));
                }
                Record::Logo(logo)
            }
            Kind::Organization => Record::Organization(self.body_as(kind, body)?),
            Kind::Contact => Record::Contact(self.body_as(kind, body)?),
            Kind::Invitation => Record::Invitation(self.body_as(kind, body)?),
            Kind::Plan => Record::Plan(self.body_as(kind, body)?),
            Kind::Server => Record::Server(self.body_as(kind, body)?),
            Kind::Wallet => Record::Wallet(self.body_as(kind, body)?),
            Kind::WalletTransaction => Record::WalletTransaction(self.body_as(kind, body)?),
            Kind::Document => Record::Document(Box::new(self.body_as(kind, body)?)),
            Kind::Policy => Record::Policy(self.body_as(kind, body)?),
            Kind::IntentResult => Record::IntentResult(self.body_as(kind, body)?),
        };
        Ok(Some(record))
    }

    fn body_as<B: Body>(&self, kind: Kind, body: &serde_json::Value) -> Result<B, DecodeError> {
        B::deserialize(body).map_err(|e| self.malformed(kind, &e.to_string()))
    }

    fn malformed(&self, kind: Kind, reason: &str) -> DecodeError {
        DecodeError::Malformed {
            seq: self.seq,
            kind,
            version: self.v,
            reason: reason.to_string(),
        }
    }
}

macro_rules! body {
    ($ty:ty, $kind:expr, $version:expr) => {
        impl Body for $ty {
            const KIND: Kind = $kind;
            const VERSION: u32 = $version;
        }
    };
}

/// The reseller as customers see it: on every portal page and mail. One
/// entity per tenant, id `branding`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandingV1 {
    /// The name customers know the reseller by.
    pub name: String,
    /// `#rrggbb`.
    pub accent: String,
    /// The logo's id (SHA-256 hex of its PNG), sent as a [`LogoV1`] record.
    pub logo: Option<String>,
    /// Where customers write to (the reseller's billing or support address).
    pub email: Option<String>,
    pub website: Option<String>,
    /// ISO 4217 code of the reseller's currency: wallets, prices and documents.
    pub currency: String,
}
body!(BrandingV1, Kind::Branding, 1);

/// A logo's PNG bytes; the envelope's id is their SHA-256 in hex, so a logo
/// is sent once however many documents print it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogoV1 {
    #[serde(with = "base64_bytes")]
    pub png: Vec<u8>,
}
body!(LogoV1, Kind::Logo, 1);

impl LogoV1 {
    /// The id of this logo: the SHA-256 of its bytes in lower-case hex.
    pub fn sha256_hex(&self) -> String {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&self.png))
    }
}

/// A customer organization. Entity id: the organization id (also its `org`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationV1 {
    pub name: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub tax_id: Option<String>,
    pub created_at: DateTime<Utc>,
}
body!(OrganizationV1, Kind::Organization, 1);

/// What a contact may do on the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactRole {
    /// Everything, including members and billing.
    Admin,
    /// Servers and tickets; no billing.
    Member,
    /// Documents and the wallet; no servers.
    Billing,
}

impl ContactRole {
    /// Whether this role may do `p`. The portal asks when it accepts a
    /// request, the desktop again when it carries the request out.
    pub fn may(self, p: Permission) -> bool {
        match p {
            Permission::Servers => matches!(self, ContactRole::Admin | ContactRole::Member),
            Permission::Billing => matches!(self, ContactRole::Admin | ContactRole::Billing),
            Permission::Members => self == ContactRole::Admin,
        }
    }
}

/// What a role may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See and act on the organization's servers.
    Servers,
    /// See documents and the wallet; pay.
    Billing,
    /// Invite and remove members, change their roles.
    Members,
}

/// A person of a customer organization. Entity id: the desktop's user id.
/// Only a contact can be invited to the portal; removing the contact
/// (a tombstone) closes their portal account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactV1 {
    pub name: String,
    pub email: String,
    pub role: ContactRole,
}
body!(ContactV1, Kind::Contact, 1);

/// The reseller invited a contact to the portal. Entity id: the invitation's
/// id, so inviting again is a new invitation; the portal mails each once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvitationV1 {
    /// The contact's entity id.
    pub contact: String,
    /// Who invited, as shown in the mail ("Ada Lovelace of Example Cloud").
    pub invited_by: String,
    pub invited_at: DateTime<Utc>,
}
body!(InvitationV1, Kind::Invitation, 1);

/// A plan customers can see. Entity id: the plan id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanV1 {
    pub name: String,
    pub active: bool,
    /// One price per region the plan is sold in.
    pub regions: Vec<PlanRegionV1>,
}
body!(PlanV1, Kind::Plan, 1);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanRegionV1 {
    pub region: String,
    pub monthly_minor: i64,
    /// Micro-units of the major unit per hour.
    pub hourly_micros: i64,
}

/// A server's state as customers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerStatusV1 {
    Provisioning,
    Booting,
    Running,
    Rebooting,
    ShuttingDown,
    Offline,
    Suspended,
    Deleting,
    Deleted,
    Failed,
}

/// A customer's server. Entity id: the server id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerV1 {
    pub label: String,
    /// The plan's entity id and its name when this record was written.
    pub plan: String,
    pub plan_name: String,
    pub region: String,
    pub image: String,
    pub status: ServerStatusV1,
    pub ipv4: Option<String>,
    pub ipv6: Option<String>,
    pub created_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}
body!(ServerV1, Kind::Server, 1);

/// Where a wallet stands in dunning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WalletStateV1 {
    /// Above the low-balance threshold.
    Good,
    /// At or under the threshold, not yet in grace.
    Low,
    /// Out of money; servers keep running until the grace period ends.
    Grace,
    /// Servers powered off until the wallet is topped up.
    Suspended,
    /// Servers deleted after too long suspended.
    Terminated,
}

/// A customer's prepaid wallet. Entity id: the organization id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalletV1 {
    pub currency: String,
    /// The balance in minor units as the desktop shows it.
    pub balance_minor: i64,
    pub low_balance_threshold_minor: i64,
    pub state: WalletStateV1,
    pub state_since: Option<DateTime<Utc>>,
    /// When a suspended wallet's servers will be deleted, if it stays unpaid.
    pub terminates_at: Option<DateTime<Utc>>,
    /// The balance is as of this billed hour.
    pub as_of: DateTime<Utc>,
}
body!(WalletV1, Kind::Wallet, 1);

/// What moved a wallet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WalletTransactionKindV1 {
    /// A top-up (PayPal, bank transfer, cash).
    Payment,
    /// Money paid back to the customer.
    Refund,
    /// A correction by the reseller.
    Adjustment,
    /// A day's usage of servers and add-ons.
    Usage,
    /// Tax and rounding posted when the month's invoice was issued.
    Invoice,
    /// A credit note credited to the wallet.
    Credit,
}

/// One movement of a wallet. Entity id: the desktop's ledger transaction id.
/// A day's usage grows through the day: each push of it replaces the last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalletTransactionV1 {
    pub at: DateTime<Utc>,
    pub kind: WalletTransactionKindV1,
    pub memo: String,
    pub currency: String,
    /// Positive credits the wallet, negative debits it; minor units.
    pub amount_minor: i64,
    /// The document (entity id) it belongs to, once issued.
    pub document: Option<String>,
}
body!(WalletTransactionV1, Kind::WalletTransaction, 1);

mod documents {
    use super::*;

    /// An issued document, complete enough for the portal to print the same
    /// PDF and UBL file the desktop prints. Entity id: the document id.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct DocumentV1 {
        pub kind: DocumentKindV1,
        pub number: String,
        pub issue_date: NaiveDate,
        pub due_date: Option<NaiveDate>,
        pub period: Option<PeriodV1>,
        pub currency: String,
        pub seller: SellerV1,
        pub buyer: BuyerV1,
        pub lines: Vec<LineV1>,
        pub tax_breakdown: Vec<TaxBreakdownV1>,
        pub totals: TotalsV1,
        pub reverse_charge: bool,
        pub reverse_charge_wording: Option<String>,
        pub payment_status: PaymentStatusV1,
        pub notes: Vec<String>,
        pub payment_instructions: Option<String>,
        /// For a credit note: the invoice it corrects.
        pub corrects: Option<CorrectedInvoiceV1>,
        /// For an invoice: the number of the credit note that voided it.
        pub voided_by: Option<String>,
    }
    body!(DocumentV1, Kind::Document, 1);

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum DocumentKindV1 {
        Invoice,
        Receipt,
        CreditNote,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct PeriodV1 {
        pub start: NaiveDate,
        pub end: NaiveDate,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct AddressV1 {
        pub lines: Vec<String>,
        pub postal_code: String,
        pub city: String,
        pub region: Option<String>,
        pub country: String,
    }

    /// An electronic address or Peppol participant identifier: scheme and id.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct EndpointV1 {
        pub scheme: String,
        pub id: String,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct BankAccountV1 {
        pub iban: String,
        pub bic: Option<String>,
        pub holder: String,
    }

    /// The seller as printed on the document when it was issued.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct SellerV1 {
        pub name: String,
        pub address: AddressV1,
        pub tax_id: Option<String>,
        pub registration_id: Option<String>,
        pub email: Option<String>,
        pub phone: Option<String>,
        pub website: Option<String>,
        pub footer_note: Option<String>,
        pub endpoint: Option<EndpointV1>,
        /// The logo's id ([`LogoV1`]).
        pub logo: Option<String>,
        /// `#rrggbb`.
        pub accent: String,
        pub bank_account: Option<BankAccountV1>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct BuyerV1 {
        pub organization: String,
        pub contact: Option<String>,
        pub address: AddressV1,
        pub tax_id: Option<String>,
        pub endpoint: Option<EndpointV1>,
        pub reference: String,
    }

    /// UNCL5305 VAT categories used by Peppol.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum TaxCategoryV1 {
        Standard,
        ZeroRated,
        Exempt,
        ReverseCharge,
        Export,
        OutsideScope,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct LineV1 {
        pub description: String,
        pub period: Option<PeriodV1>,
        pub hours_milli: i64,
        pub unit_rate_micro: i64,
        pub amount_minor: i64,
        pub capped: bool,
        pub tax_category: TaxCategoryV1,
        pub tax_rate_bp: u32,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct TaxBreakdownV1 {
        pub category: TaxCategoryV1,
        pub rate_bp: u32,
        pub taxable_minor: i64,
        pub tax_minor: i64,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct TotalsV1 {
        pub net_minor: i64,
        pub tax_minor: i64,
        pub gross_minor: i64,
        pub paid_minor: i64,
        pub due_minor: i64,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case", tag = "status", deny_unknown_fields)]
    pub enum PaymentStatusV1 {
        Unpaid,
        PartiallyPaid,
        Paid { on: NaiveDate, method: String },
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct CorrectedInvoiceV1 {
        pub number: String,
        pub issue_date: NaiveDate,
    }
}

mod base64_bytes {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(serde::de::Error::custom)
    }
}

/// How the portal treats customers' requests (intents) for this reseller.
/// One entity per tenant, id `policy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyV1 {
    /// How long a request waits for an offline desktop before it expires
    /// unapplied; 0: requests are refused while the desktop is offline.
    pub intent_hold_minutes: u32,
}
body!(PolicyV1, Kind::Policy, 1);

/// What the desktop did with an intent ([`crate::intent`]). Entity id: the
/// intent's id; `org` the organization that asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentResultV1 {
    pub outcome: IntentOutcomeV1,
    /// Why it was refused, in words for the customer; `None` when applied.
    pub reason: Option<String>,
    pub decided_at: DateTime<Utc>,
}
body!(IntentResultV1, Kind::IntentResult, 1);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentOutcomeV1 {
    Applied,
    Refused,
}
