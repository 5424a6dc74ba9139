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
    assert!(err.to_string().contains("cannot change once plans exist"));
}
