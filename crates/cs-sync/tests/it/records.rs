//! Every record's JSON is pinned: a change that breaks these snapshots is a
//! change of the wire format and needs a new version of the kind.

use chrono::{NaiveDate, TimeZone, Utc};
use cs_sync::record::*;
use expect_test::{expect, Expect};

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 10, 30, 0).unwrap()
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

const ORG: &str = "0193a0c0-0000-7000-8000-000000000001";

/// Encodes `record` in an envelope, checks the JSON, and that it decodes back.
fn check(record: Record, id: &str, org: Option<&str>, expected: Expect) {
    let envelope = Envelope::new(7, at(), id, org.map(str::to_string), &record);
    let json = serde_json::to_string_pretty(&envelope).unwrap();
    expected.assert_eq(&json);
    let back: Envelope = serde_json::from_str(&json).unwrap();
    assert_eq!(back, envelope);
    assert_eq!(back.decode().unwrap(), Some(record));
}

#[test]
fn branding() {
    check(
        Record::Branding(BrandingV1 {
            name: "Example Cloud".into(),
            accent: "#0f766e".into(),
            logo: Some("ab".repeat(32)),
            email: Some("billing@example.com".into()),
            website: None,
            currency: "EUR".into(),
        }),
        "branding",
        None,
        expect![[r##"
            {
              "seq": 7,
              "at": "2026-12-07T10:30:00Z",
              "kind": "branding",
              "v": 1,
              "id": "branding",
              "body": {
                "accent": "#0f766e",
                "currency": "EUR",
                "email": "billing@example.com",
                "logo": "abababababababababababababababababababababababababababababababab",
                "name": "Example Cloud",
                "website": null
              }
            }"##]],
    );
}

#[test]
fn logo_is_keyed_by_its_hash() {
    let logo = LogoV1 {
        png: b"\x89PNG".to_vec(),
    };
    let id = logo.sha256_hex();
    check(
        Record::Logo(logo.clone()),
        &id,
        None,
        expect![[r#"
            {
              "seq": 7,
              "at": "2026-12-07T10:30:00Z",
              "kind": "logo",
              "v": 1,
              "id": "0f4636c78f65d3639ece5a064b5ae753e3408614a14fb18ab4d7540d2c248543",
              "body": {
                "png": "iVBORw=="
              }
            }"#]],
    );
    let wrong = Envelope::new(1, at(), "00", None, &Record::Logo(logo));
    assert!(matches!(wrong.decode(), Err(DecodeError::Malformed { .. })));
}

#[test]
fn organization_contact_invitation() {
    check(
        Record::Organization(OrganizationV1 {
            name: "王小明有限公司 Ltd".into(),
            country: "TW".into(),
            tax_id: None,
            created_at: at(),
        }),
        ORG,
        Some(ORG),
        expect![[r#"
            {
              "seq": 7,
              "at": "2026-12-07T10:30:00Z",
              "kind": "organization",
              "v": 1,
              "id": "0193a0c0-0000-7000-8000-000000000001",
              "org": "0193a0c0-0000-7000-8000-000000000001",
              "body": {
                "country": "TW",
                "created_at": "2026-12-07T10:30:00Z",
                "name": "王小明有限公司 Ltd",
                "tax_id": null
              }
            }"#]],
    );
    check(
        Record::Contact(ContactV1 {
            name: "Ada Lovelace".into(),
            email: "ada@example.com".into(),
            role: ContactRole::Admin,
        }),
        "u1",
        Some(ORG),
        expect![[r#"
            {
              "seq": 7,
              "at": "2026-12-07T10:30:00Z",
              "kind": "contact",
              "v": 1,
              "id": "u1",
              "org": "0193a0c0-0000-7000-8000-000000000001",
              "body": {
                "email": "ada@example.com",
                "name": "Ada Lovelace",
                "role": "admin"
              }
            }"#]],
    );
    check(
        Record::Invitation(InvitationV1 {
            contact: "u1".into(),
            invited_by: "Example Cloud".into(),
            invited_at: at(),
        }),
        "i1",
        Some(ORG),
        expect![[r#"
            {
              "seq": 7,
              "at": "2026-12-07T10:30:00Z",
              "kind": "invitation",
              "v": 1,
              "id": "i1",
              "org": "0193a0c0-0000-7000-8000-000000000001",
              "body": {
                "contact": "u1",
                "invited_at": "2026-12-07T10:30:00Z",
                "invited_by": "Example Cloud"
              }
            }"#]],
    );
}

#[test]
fn plan_and_server() {
    check(
        Record::Plan(PlanV1 {
            name: "Nano".into(),
            active: true,
            regions: vec![PlanRegionV1 {
                region: "eu-central".into(),
                monthly_minor: 500,
                hourly_micros: 7_500,
            }],
        }),
        "p1",
        None,
        expect![[r#"
            {
              "seq": 7,
              "at": "2026-12-07T10:30:00Z",
              "kind": "plan",
              "v": 1,
              "id": "p1",
              "body": {
                "active": true,
                "name": "Nano",
                "regions": [
                  {
                    "hourly_micros": 7500,
                    "monthly_minor": 500,
                    "region": "eu-central"
                  }
                ]
              }
            }"#]],
    );
    check(
        Record::Server(ServerV1 {
            label: "web-1".into(),
            plan: "p1".into(),
            plan_name: "Nano".into(),
            region: "eu-central".into(),
            image: "debian-12".into(),
            status: ServerStatusV1::ShuttingDown,
            ipv4: Some("192.0.2.10".into()),
            ipv6: None,
            created_at: at(),
            deleted_at: None,
        }),
        "s1",
        Some(ORG),
        expect![[r#"
            {
              "seq": 7,
              "at": "2026-12-07T10:30:00Z",
              "kind": "server",
              "v": 1,
              "id": "s1",
              "org": "0193a0c0-0000-7000-8000-000000000001",
              "body": {
                "created_at": "2026-12-07T10:30:00Z",
                "deleted_at": null,
                "image": "debian-12",
                "ipv4": "192.0.2.10",
                "ipv6": null,
                "label": "web-1",
                "plan": "p1",
                "plan_name": "Nano",
                "region": "eu-central",
                "status": "shutting_down"
              }
            }"#]],
    );
}

#[test]
fn wallet_and_transaction() {
    check(
        Record::Wallet(WalletV1 {
            currency: "EUR".into(),
            balance_minor: -1250,
            low_balance_threshold_minor: 500,
            state: WalletStateV1::Grace,
            state_since: Some(at()),
            terminates_at: None,
            as_of: at(),
        }),
        ORG,
        Some(ORG),
        expect![[r#"
            {
              "seq": 7,
              "at": "2026-12-07T10:30:00Z",
              "kind": "wallet",
              "v": 1,
              "id": "0193a0c0-0000-7000-8000-000000000001",
              "org": "0193a0c0-0000-7000-8000-000000000001",
              "body": {
                "as_of": "2026-12-07T10:30:00Z",
                "balance_minor": -1250,
                "currency": "EUR",
                "low_balance_threshold_minor": 500,
                "state": "grace",
                "state_since": "2026-12-07T10:30:00Z",
                "terminates_at": null
              }
            }"#]],
    );
    check(
        Record::WalletTransaction(WalletTransactionV1 {
            at: at(),
            kind: WalletTransactionKindV1::Payment,
            memo: "PayPal top-up".into(),
            currency: "EUR".into(),
            amount_minor: 10_000,
            document: Some("d1".into()),
        }),
        "t1",
        Some(ORG),
        expect![[r#"
            {
              "seq": 7,
              "at": "2026-12-07T10:30:00Z",
              "kind": "wallet_transaction",
              "v": 1,
              "id": "t1",
              "org": "0193a0c0-0000-7000-8000-000000000001",
              "body": {
                "amount_minor": 10000,
                "at": "2026-12-07T10:30:00Z",
                "currency": "EUR",
                "document": "d1",
                "kind": "payment",
                "memo": "PayPal top-up"
              }
            }"#]],
    );
}

pub fn sample_document() -> DocumentV1 {
    let address = AddressV1 {
        lines: vec!["Hauptstraße 1".into()],
        postal_code: "10115".into(),
        city: "Berlin".into(),
        region: None,
        country: "DE".into(),
    };
    DocumentV1 {
        kind: DocumentKindV1::Invoice,
        number: "INV-2026-000042".into(),
        issue_date: day(1),
        due_date: None,
        period: Some(PeriodV1 {
            start: day(1),
            end: day(30),
        }),
        currency: "EUR".into(),
        seller: SellerV1 {
            name: "Example Cloud GmbH".into(),
            address: address.clone(),
            tax_id: Some("DE136695976".into()),
            registration_id: None,
            email: Some("billing@example.com".into()),
            phone: None,
            website: None,
            footer_note: None,
            endpoint: Some(EndpointV1 {
                scheme: "9930".into(),
                id: "DE136695976".into(),
            }),
            logo: None,
            accent: "#0f766e".into(),
            bank_account: None,
        },
        buyer: BuyerV1 {
            organization: "Acme".into(),
            contact: Some("Ada Lovelace".into()),
            address,
            tax_id: None,
            endpoint: None,
            reference: ORG.into(),
        },
        lines: vec![LineV1 {
            description: "web-1 (Nano)".into(),
            period: Some(PeriodV1 {
                start: day(1),
                end: day(30),
            }),
            hours_milli: 720_000,
            unit_rate_micro: 7_500,
            amount_minor: 500,
            capped: true,
            tax_category: TaxCategoryV1::Standard,
            tax_rate_bp: 1900,
        }],
        tax_breakdown: vec![TaxBreakdownV1 {
            category: TaxCategoryV1::Standard,
            rate_bp: 1900,
            taxable_minor: 500,
            tax_minor: 95,
        }],
        totals: TotalsV1 {
            net_minor: 500,
            tax_minor: 95,
            gross_minor: 595,
            paid_minor: 595,
            due_minor: 0,
        },
        reverse_charge: false,
        reverse_charge_wording: None,
        payment_status: PaymentStatusV1::Paid {
            on: day(1),
            method: "wallet".into(),
        },
        notes: vec![],
        payment_instructions: None,
        corrects: None,
        voided_by: None,
    }
}

#[test]
fn document() {
    check(
        Record::Document(Box::new(sample_document())),
        "d1",
        Some(ORG),
        expect![[r##"
            {
              "seq": 7,
              "at": "2026-12-07T10:30:00Z",
              "kind": "document",
              "v": 1,
              "id": "d1",
              "org": "0193a0c0-0000-7000-8000-000000000001",
              "body": {
                "buyer": {
                  "address": {
                    "city": "Berlin",
                    "country": "DE",
                    "lines": [
                      "Hauptstraße 1"
                    ],
                    "postal_code": "10115",
                    "region": null
                  },
                  "contact": "Ada Lovelace",
                  "endpoint": null,
                  "organization": "Acme",
                  "reference": "0193a0c0-0000-7000-8000-000000000001",
                  "tax_id": null
                },
                "corrects": null,
                "currency": "EUR",
                "due_date": null,
                "issue_date": "2026-11-01",
                "kind": "invoice",
                "lines": [
                  {
                    "amount_minor": 500,
                    "capped": true,
                    "description": "web-1 (Nano)",
                    "hours_milli": 720000,
                    "period": {
                      "end": "2026-11-30",
                      "start": "2026-11-01"
                    },
                    "tax_category": "standard",
                    "tax_rate_bp": 1900,
                    "unit_rate_micro": 7500
                  }
                ],
                "notes": [],
                "number": "INV-2026-000042",
                "payment_instructions": null,
                "payment_status": {
                  "method": "wallet",
                  "on": "2026-11-01",
                  "status": "paid"
                },
                "period": {
                  "end": "2026-11-30",
                  "start": "2026-11-01"
                },
                "reverse_charge": false,
                "reverse_charge_wording": null,
                "seller": {
                  "accent": "#0f766e",
                  "address": {
                    "city": "Berlin",
                    "country": "DE",
                    "lines": [
                      "Hauptstraße 1"
                    ],
                    "postal_code": "10115",
                    "region": null
                  },
                  "bank_account": null,
                  "email": "billing@example.com",
                  "endpoint": {
                    "id": "DE136695976",
                    "scheme": "9930"
                  },
                  "footer_note": null,
                  "logo": null,
                  "name": "Example Cloud GmbH",
                  "phone": null,
                  "registration_id": null,
                  "tax_id": "DE136695976",
                  "website": null
                },
                "tax_breakdown": [
                  {
                    "category": "standard",
                    "rate_bp": 1900,
                    "tax_minor": 95,
                    "taxable_minor": 500
                  }
                ],
                "totals": {
                  "due_minor": 0,
                  "gross_minor": 595,
                  "net_minor": 500,
                  "paid_minor": 595,
                  "tax_minor": 95
                },
                "voided_by": null
              }
            }"##]],
    );
}

#[test]
fn tombstones_have_no_body() {
    let t = Envelope::tombstone(9, at(), Kind::Server, "s1", Some(ORG.into()));
    expect![[r#"{"seq":9,"at":"2026-12-07T10:30:00Z","kind":"server","v":1,"id":"s1","org":"0193a0c0-0000-7000-8000-000000000001","body":null}"#]]
        .assert_eq(&serde_json::to_string(&t).unwrap());
    assert_eq!(t.decode().unwrap(), None);
}

#[test]
fn a_newer_version_or_unknown_kind_is_an_error_naming_it() {
    let mut e = Envelope::new(
        12,
        at(),
        "s1",
        Some(ORG.into()),
        &Record::Organization(OrganizationV1 {
            name: "A".into(),
            country: "DE".into(),
            tax_id: None,
            created_at: at(),
        }),
    );
    e.v = 2;
    let err = e.decode().unwrap_err();
    expect!["record 12 (organization) has version 2, and this side reads versions 1 to 1: upgrade this side"]
        .assert_eq(&err.to_string());
    e.v = 1;
    e.kind = "ticket".into();
    expect![[
        r#"record 12 has kind "ticket", which this portal does not know: upgrade the portal"#
    ]]
    .assert_eq(&e.decode().unwrap_err().to_string());
}

#[test]
fn unknown_fields_and_missing_org_are_malformed() {
    let mut e = Envelope::new(
        3,
        at(),
        ORG,
        Some(ORG.into()),
        &Record::Organization(OrganizationV1 {
            name: "A".into(),
            country: "DE".into(),
            tax_id: None,
            created_at: at(),
        }),
    );
    e.body.as_mut().unwrap()["vip"] = serde_json::json!(true);
    assert!(
        matches!(e.decode(), Err(DecodeError::Malformed { seq: 3, .. })),
        "{:?}",
        e.decode()
    );
    let mut e = Envelope::tombstone(4, at(), Kind::Server, "s1", None);
    assert!(matches!(e.decode(), Err(DecodeError::Malformed { .. })));
    e.org = Some(ORG.into());
    assert_eq!(e.decode(), Ok(None));
}

#[test]
fn policy_and_intent_result() {
    check(
        Record::Policy(PolicyV1 {
            intent_hold_minutes: 60,
        }),
        "policy",
        None,
        expect![[r#"
            {
              "seq": 7,
              "at": "2026-12-07T10:30:00Z",
              "kind": "policy",
              "v": 1,
              "id": "policy",
              "body": {
                "intent_hold_minutes": 60
              }
            }"#]],
    );
    check(
        Record::IntentResult(IntentResultV1 {
            outcome: IntentOutcomeV1::Refused,
            reason: Some("web-1 is suspended".into()),
            decided_at: at(),
        }),
        "0193a0c0-0000-7000-8000-0000000000aa",
        Some(ORG),
        expect![[r#"
            {
              "seq": 7,
              "at": "2026-12-07T10:30:00Z",
              "kind": "intent_result",
              "v": 1,
              "id": "0193a0c0-0000-7000-8000-0000000000aa",
              "org": "0193a0c0-0000-7000-8000-000000000001",
              "body": {
                "decided_at": "2026-12-07T10:30:00Z",
                "outcome": "refused",
                "reason": "web-1 is suspended"
              }
            }"#]],
    );
}

#[test]
fn roles_and_permissions() {
    let table: Vec<(ContactRole, [bool; 3])> = [
        ContactRole::Admin,
        ContactRole::Member,
        ContactRole::Billing,
    ]
    .into_iter()
    .map(|r| {
        (
            r,
            [
                r.may(Permission::Servers),
                r.may(Permission::Billing),
                r.may(Permission::Members),
            ],
        )
    })
    .collect();
    assert_eq!(
        table,
        vec![
            (ContactRole::Admin, [true, true, true]),
            (ContactRole::Member, [true, false, false]),
            (ContactRole::Billing, [false, true, false]),
        ]
    );
}
