//! Bad input gets a clear message on the right field and writes nothing.

use cs_app::dto::*;

use crate::TestApp;

fn fields(err: &cs_app::AppError) -> Vec<String> {
    err.to_dto().fields.into_iter().map(|f| f.field).collect()
}

#[tokio::test]
async fn bad_customers_write_nothing() {
    let t = TestApp::new();
    let before = (
        t.table_count("organizations"),
        t.table_count("activity"),
        t.table_count("sync_outbox"),
    );
    let err = t
        .app
        .create_organization(OrganizationInput {
            name: " ".into(),
            contact_name: "".into(),
            contact_email: "not-an-email".into(),
            country: "XX".into(),
            tax_id: None,
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.code(), "validation");
    assert_eq!(
        fields(&err),
        ["name", "contactName", "contactEmail", "country"]
    );
    t.customer("Acme Hosting", "ops@acme.example");
    let dup = t
        .app
        .create_organization(OrganizationInput {
            name: "ACME hosting".into(),
            contact_name: "B".into(),
            contact_email: "OPS@acme.example".into(),
            country: "DE".into(),
            tax_id: None,
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(fields(&dup), ["name", "contactEmail"]);
    assert!(dup.to_dto().fields[0].message.contains("already exists"));
    assert_eq!(
        (
            t.table_count("organizations"),
            t.table_count("activity"),
            t.table_count("sync_outbox")
        ),
        (before.0 + 1, before.1 + 1, before.2 + 1)
    );
}

#[tokio::test]
async fn bad_plans_write_nothing() {
    let t = TestApp::new();
    let good = PlanInput {
        name: "Starter".into(),
        provider: "sandbox".into(),
        provider_type: "sb-small".into(),
        regions: vec!["eu-west".into()],
        monthly_price: "15.00".into(),
        hourly_price: "0.0225".into(),
    };
    let cases: Vec<(PlanInput, &str, &str)> = vec![
        (
            PlanInput {
                name: "".into(),
                ..good.clone()
            },
            "name",
            "required",
        ),
        (
            PlanInput {
                monthly_price: "-5".into(),
                ..good.clone()
            },
            "monthlyPrice",
            "negative",
        ),
        (
            PlanInput {
                monthly_price: "5000000".into(),
                ..good.clone()
            },
            "monthlyPrice",
            "extra zero",
        ),
        (
            PlanInput {
                monthly_price: "12,50".into(),
                ..good.clone()
            },
            "monthlyPrice",
            "not an amount",
        ),
        (
            PlanInput {
                hourly_price: "abc".into(),
                ..good.clone()
            },
            "hourlyPrice",
            "not an amount",
        ),
        (
            PlanInput {
                regions: vec!["mars-1".into()],
                ..good.clone()
            },
            "regions",
            "no region called",
        ),
        (
            PlanInput {
                regions: vec!["sa-east".into()],
                ..good.clone()
            },
            "regions",
            "not accepting new servers",
        ),
        (
            PlanInput {
                provider_type: "g6-dedicated-64".into(),
                ..good.clone()
            },
            "providerType",
            "does not sell",
        ),
        (
            PlanInput {
                provider: "aws".into(),
                ..good.clone()
            },
            "provider",
            "not a provider",
        ),
    ];
    for (input, field, needle) in cases {
        let err = t.app.create_plan(input.clone()).await.unwrap_err();
        let dto = err.to_dto();
        let hit = dto
            .fields
            .iter()
            .find(|f| f.field == field)
            .unwrap_or_else(|| panic!("{input:?}: {dto:?}"));
        assert!(hit.message.contains(needle), "{}: {}", field, hit.message);
    }
    assert_eq!(t.table_count("plans"), 0);
    t.app.create_plan(good.clone()).await.unwrap();
    let dup = t.app.create_plan(good).await.unwrap_err();
    assert_eq!(fields(&dup), ["name"]);
    assert_eq!(t.table_count("plans"), 1);
}

#[tokio::test]
async fn bad_servers_write_nothing() {
    let t = TestApp::new();
    let org = t.customer("Acme Hosting", "ops@acme.example");
    let plan = t.plan("Starter").await;
    let good = t.server_input(&org, &plan, "web-1");
    let cases: Vec<(ServerInput, &str)> = vec![
        (
            ServerInput {
                label: "a".into(),
                ..good.clone()
            },
            "label",
        ),
        (
            ServerInput {
                label: "web 1".into(),
                ..good.clone()
            },
            "label",
        ),
        (
            ServerInput {
                region: "us-east".into(),
                ..good.clone()
            },
            "region",
        ),
        (
            ServerInput {
                image: "windows-95".into(),
                ..good.clone()
            },
            "image",
        ),
        (
            ServerInput {
                root_password: Some("weak".into()),
                ..good.clone()
            },
            "rootPassword",
        ),
        (
            ServerInput {
                root_password: None,
                ssh_key: None,
                ..good.clone()
            },
            "rootPassword",
        ),
        (
            ServerInput {
                root_password: None,
                ssh_key: Some("ssh-rsa nope".into()),
                ..good.clone()
            },
            "sshKey",
        ),
        (
            ServerInput {
                organization_id: "nope".into(),
                ..good.clone()
            },
            "organizationId",
        ),
        (
            ServerInput {
                plan_id: uuid_like(),
                ..good.clone()
            },
            "planId",
        ),
    ];
    for (input, field) in cases {
        let err = t
            .app
            .create_server(input.clone(), Default::default())
            .await
            .unwrap_err();
        assert!(
            fields(&err).contains(&field.to_string()),
            "{input:?}: {:?}",
            err.to_dto()
        );
    }
    assert_eq!(t.table_count("servers"), 0);
    t.app
        .create_server(good.clone(), Default::default())
        .await
        .unwrap();
    let dup = t
        .app
        .create_server(good, Default::default())
        .await
        .unwrap_err();
    assert_eq!(fields(&dup), ["label"]);
    assert_eq!(t.table_count("servers"), 1);
}

fn uuid_like() -> String {
    "00000000-0000-4000-8000-000000000000".into()
}

#[tokio::test]
async fn the_currency_locks_once_plans_exist() {
    let t = TestApp::new();
    let s = t
        .app
        .update_settings(SettingsInput {
            currency: "eur".into(),
            reseller_name: "Nordlys Cloud".into(),
        })
        .unwrap();
    assert_eq!(s.currency, "EUR");
    assert!(!s.currency_locked);
    let err = t
        .app
        .update_settings(SettingsInput {
            currency: "XYZ".into(),
            reseller_name: "Nordlys Cloud".into(),
        })
        .unwrap_err();
    assert_eq!(fields(&err), ["currency"]);
    // Sandbox prices are in USD: a EUR reseller cannot sell them at face value.
    let err = t
        .app
        .create_plan(PlanInput {
            name: "Starter".into(),
            provider: "sandbox".into(),
            provider_type: "sb-small".into(),
            regions: vec!["eu-west".into()],
            monthly_price: "15".into(),
            hourly_price: "0.02".into(),
        })
        .await
        .unwrap_err();
    assert!(err
        .to_dto()
        .fields
        .iter()
        .any(|f| f.message.contains("prices this type in USD")));
    t.app
        .update_settings(SettingsInput {
            currency: "USD".into(),
            reseller_name: "Nordlys Cloud".into(),
        })
        .unwrap();
    t.plan("Starter").await;
    let err = t
        .app
        .update_settings(SettingsInput {
            currency: "EUR".into(),
            reseller_name: "Nordlys Cloud".into(),
        })
        .unwrap_err();
    assert!(err.to_string().contains("plans exist"), "{err}");
}

fn settings_input(t: &crate::TestApp) -> BillingSettingsDto {
    t.app.billing_settings().unwrap()
}

/// Issue 11, item 2: two kinds of document with formats that can render the
/// same number made every invoice run fail.
#[tokio::test]
async fn number_formats_that_can_clash_are_refused() {
    let t = TestApp::new();
    let mut s = settings_input(&t);
    s.receipt_number_format = s.invoice_number_format.clone();
    let err = t.app.update_billing_settings(s).unwrap_err();
    assert_eq!(fields(&err), ["receiptNumberFormat"]);
    let message = &err.to_dto().fields[0].message;
    assert!(
        message.contains("same number as the invoice format"),
        "{message}"
    );
    let mut s = settings_input(&t);
    s.credit_note_number_format = "{YY}{MM}{SEQ:4}".into();
    s.invoice_number_format = "{YYYY}{SEQ:4}".into();
    let err = t.app.update_billing_settings(s).unwrap_err();
    assert_eq!(fields(&err), ["creditNoteNumberFormat"]);
    assert_eq!(
        t.app.billing_settings().unwrap().receipt_number_format,
        "RCT-{YYYY}-{SEQ:6}"
    );
}

/// Issue 11, item 3, both reproductions: a grace period of 4294967295 hours
/// (the scheduler panicked on a date overflow) and a fixed price of
/// 90000000000000 a month (overflowed when multiplied).
#[tokio::test]
async fn unbounded_settings_and_prices_are_refused_by_field() {
    let t = TestApp::new();
    let mut s = settings_input(&t);
    s.grace_hours = u32::MAX;
    let err = t.app.update_billing_settings(s).unwrap_err();
    assert_eq!(fields(&err), ["graceHours"]);
    let mut s = settings_input(&t);
    s.terminate_after_days = u32::MAX;
    s.termination_warning_days = vec![u32::MAX];
    assert_eq!(
        fields(&t.app.update_billing_settings(s).unwrap_err()),
        ["terminateAfterDays"]
    );
    let mut s = settings_input(&t);
    s.suspend_at = "-90000000000000".into();
    assert_eq!(
        fields(&t.app.update_billing_settings(s).unwrap_err()),
        ["suspendAt"]
    );
    let org = t.customer("Acme", "ops@acme.example");
    let plan = t.plan("Starter").await;
    t.app
        .create_server(t.server_input(&org, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    t.tick().await;
    t.app.run_billing().await.unwrap();
    for (hourly, monthly) in [("0.05", "90000000000000"), ("90000000000000", "30")] {
        let err = t
            .app
            .add_price_version(
                &plan.id,
                PriceVersionInput {
                    item: "server".into(),
                    region: None,
                    mode: "fixed".into(),
                    markup_percent: None,
                    hourly_price: Some(hourly.into()),
                    monthly_price: Some(monthly.into()),
                    effective_from: None,
                },
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), "validation");
        let f = &err.to_dto().fields[0];
        assert!(f.message.contains("check for an extra zero"), "{f:?}");
    }
}

/// Issue 11, item 4: a 100.00 USD wallet showed 0.00 EUR after a switch.
#[tokio::test]
async fn the_currency_locks_once_money_is_recorded() {
    let t = TestApp::new();
    let org = t.customer("Acme", "ops@acme.example");
    assert!(!t.app.settings().unwrap().currency_locked);
    t.app
        .record_payment(PaymentInput {
            organization_id: org.id.clone(),
            amount: "100.00".into(),
            method: "bank_transfer".into(),
            reference: "BANK-1".into(),
            note: None,
        })
        .await
        .unwrap();
    let s = t.app.settings().unwrap();
    assert!(s.currency_locked);
    assert_eq!(
        s.currency_locked_because.as_deref(),
        Some("wallet entries were recorded")
    );
    let err = t
        .app
        .update_settings(SettingsInput {
            currency: "EUR".into(),
            reseller_name: "Nordlys Cloud".into(),
        })
        .unwrap_err();
    assert_eq!(fields(&err), ["currency"]);
    assert!(err.to_string().contains("keep USD"), "{err}");
    assert_eq!(t.app.settings().unwrap().currency, "USD");
    // The name alone can still change.
    t.app
        .update_settings(SettingsInput {
            currency: "usd".into(),
            reseller_name: "Nordlys Cloud".into(),
        })
        .unwrap();
}

fn org_input(name: &str, email: &str) -> OrganizationInput {
    OrganizationInput {
        name: name.into(),
        contact_name: "Zoë".into(),
        contact_email: email.into(),
        country: "NO".into(),
        tax_id: None,
        ..Default::default()
    }
}

/// Issue 11, item 13: invisible characters in names, unbounded notes, and
/// addresses the mailer cannot send to.
#[tokio::test]
async fn names_notes_and_addresses_are_checked_by_the_shared_rule() {
    let t = TestApp::new();
    let org = t.customer("Acme", "ops@acme.example");
    for name in ["Acme\u{200b}", "Acme\u{202e}", "Ac\u{2028}me", "Acme\u{7}"] {
        let err = t
            .app
            .create_organization(org_input(name, "b@acme.example"))
            .unwrap_err();
        assert_eq!(fields(&err), ["name"], "{name:?}");
    }
    for email in [
        "a..b@acme.example",
        ".ops@acme.example",
        "zo(e)@acme.example",
    ] {
        let err = t
            .app
            .create_organization(org_input("Beta", email))
            .unwrap_err();
        assert_eq!(fields(&err), ["contactEmail"], "{email:?}");
        assert!(
            err.to_dto().fields[0].message.contains("cannot be sent to"),
            "{err}"
        );
    }
    let payment = |note: String| PaymentInput {
        organization_id: org.id.clone(),
        amount: "10.00".into(),
        method: "cash".into(),
        reference: "R-1".into(),
        note: Some(note),
    };
    for note in [
        "x".repeat(1_000_000),
        "paid\u{0}".into(),
        "\u{202e}diap".into(),
    ] {
        let err = t.app.record_payment(payment(note)).await.unwrap_err();
        assert_eq!(fields(&err), ["note"]);
    }
    assert_eq!(t.table_count("documents"), 0);
    t.app
        .record_payment(payment("Paid at the desk\nthank you".into()))
        .await
        .unwrap();
    let err = t
        .app
        .update_email_settings(EmailSettingsInput {
            host: "smtp.example.com".into(),
            port: 587,
            security: "starttls".into(),
            username: String::new(),
            password: None,
            from_name: "Billing\u{200b}".into(),
            from_address: "billing..team@example.com".into(),
            reply_to: "help@@example.com".into(),
            brand_color: String::new(),
            logo_url: String::new(),
            website: String::new(),
            portal_url: String::new(),
        })
        .unwrap_err();
    assert_eq!(fields(&err), ["fromName", "fromAddress", "replyTo"]);
}
