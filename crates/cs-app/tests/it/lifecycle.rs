use cs_app::dto::ServerAction;

use crate::TestApp;

#[tokio::test]
async fn a_server_lives_its_whole_life_and_survives_a_restart() {
    let t = TestApp::new();
    let org = t.customer("Acme Hosting", "ops@acme.example");
    let plan = t.plan("Starter").await;
    assert_eq!(
        plan.provider_prices.len(),
        2,
        "the provider's own price is shown per region"
    );
    assert_eq!(
        plan.provider_prices
            .iter()
            .find(|p| p.region == "ap-south")
            .unwrap()
            .monthly
            .amount,
        "14.40"
    );

    let s = t
        .app
        .create_server(t.server_input(&org, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    assert_eq!(s.status, "provisioning");
    assert!(s.provider_id.is_some());
    assert!(s.ipv4.is_some());

    t.tick().await;
    assert_eq!(t.app.get_server(&s.id).unwrap().server.status, "booting");
    t.tick().await;
    assert_eq!(t.app.get_server(&s.id).unwrap().server.status, "running");
    // The UI was told about each step without asking.
    let pushed: Vec<String> = t
        .events
        .servers
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.status.clone())
        .collect();
    assert_eq!(pushed, ["provisioning", "booting", "running"]);

    let r = t
        .app
        .server_action(&s.id, ServerAction::Reboot)
        .await
        .unwrap();
    assert_eq!(r.status, "rebooting");
    let err = t
        .app
        .server_action(&s.id, ServerAction::Reboot)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "conflict");
    assert!(
        err.to_string()
            .contains("wait until its current operation finishes"),
        "{err}"
    );
    t.tick().await;
    assert_eq!(t.app.get_server(&s.id).unwrap().server.status, "running");

    t.app
        .server_action(&s.id, ServerAction::Shutdown)
        .await
        .unwrap();
    t.tick().await;
    assert_eq!(t.app.get_server(&s.id).unwrap().server.status, "offline");
    let err = t
        .app
        .server_action(&s.id, ServerAction::Reboot)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("boot it instead"), "{err}");
    t.app
        .server_action(&s.id, ServerAction::Boot)
        .await
        .unwrap();
    t.tick().await;
    assert_eq!(t.app.get_server(&s.id).unwrap().server.status, "running");

    let stats = t.app.server_stats(&s.id).await.unwrap();
    assert_eq!(stats.cpu_percent.len(), 288);

    // Restart: everything is still there and the sandbox still knows the server.
    let t = t.restart();
    let detail = t.app.get_server(&s.id).unwrap();
    assert_eq!(detail.server.status, "running");
    assert_eq!(t.app.list_organizations().unwrap().len(), 1);
    assert_eq!(t.app.list_plans().await.unwrap().len(), 1);
    t.app
        .server_action(&s.id, ServerAction::Reboot)
        .await
        .unwrap();
    t.tick().await;

    let d = t.app.delete_server(&s.id).await.unwrap();
    assert_eq!(d.status, "deleting");
    t.tick().await;
    let gone = t.app.get_server(&s.id).unwrap().server;
    assert_eq!(gone.status, "deleted");
    assert!(gone.deleted_at.is_some());
    assert!(
        t.app.delete_server(&s.id).await.is_err(),
        "deleting twice is refused"
    );

    // The activity log tells the story, newest first.
    let actions: Vec<String> = t
        .app
        .list_activity(100, Some(s.id.clone()))
        .unwrap()
        .into_iter()
        .rev()
        .map(|a| a.action)
        .collect();
    assert_eq!(
        actions,
        [
            "server.created",
            "server.running",
            "server.rebooted",
            "server.running",
            "server.shut_down",
            "server.offline",
            "server.booted",
            "server.running",
            "server.rebooted",
            "server.running",
            "server.deleted",
            "server.deleted"
        ]
    );
    let dash = t.app.dashboard().unwrap();
    assert_eq!(
        (dash.organizations, dash.plans, dash.live_servers),
        (1, 1, 0)
    );
}

#[tokio::test]
async fn every_customer_facing_change_has_its_outbox_record() {
    let t = TestApp::new();
    let org = t.customer("Acme Hosting", "ops@acme.example");
    let plan = t.plan("Starter").await;
    assert_eq!(t.table_count("sync_outbox"), 2);
    let s = t
        .app
        .create_server(t.server_input(&org, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    assert_eq!(
        t.table_count("sync_outbox"),
        4,
        "recorded, then matched with the instance"
    );
    t.tick().await;
    t.tick().await;
    t.app
        .server_action(&s.id, ServerAction::Shutdown)
        .await
        .unwrap();
    assert_eq!(t.table_count("sync_outbox"), 7);
    // No secret reached the database.
    let conn = cs_store::rusqlite::Connection::open(t.dir.path().join("cs.db")).unwrap();
    let dump: Vec<String> = cs_store::sync_outbox::pending(&conn, 100)
        .unwrap()
        .into_iter()
        .map(|r| r.payload.to_string())
        .collect();
    assert!(!dump.concat().contains("Correct-Horse-9"));
    let bytes = std::fs::read(t.dir.path().join("cs.db")).unwrap();
    assert!(!bytes.windows(15).any(|w| w == b"Correct-Horse-9"));
}

#[tokio::test]
async fn a_server_deleted_outside_the_app_is_noticed() {
    let t = TestApp::new();
    let org = t.customer("Acme Hosting", "ops@acme.example");
    let plan = t.plan("Starter").await;
    let s = t
        .app
        .create_server(t.server_input(&org, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    t.tick().await;
    t.tick().await;
    use cs_provider::Provider;
    t.app
        .sandbox()
        .delete(s.provider_id.as_deref().unwrap())
        .await
        .unwrap();
    t.clock.advance(crate::step());
    t.app.reconcile_once(true).await.unwrap();
    let after = t.app.get_server(&s.id).unwrap();
    assert_eq!(after.server.status, "deleted");
    assert!(
        after.activity[0]
            .summary
            .contains("deleted outside the app"),
        "{:?}",
        after.activity[0]
    );
}

#[tokio::test]
async fn a_provider_failure_is_reported_and_frees_the_label() {
    let t = TestApp::new();
    let org = t.customer("Acme Hosting", "ops@acme.example");
    let plan = t.plan("Starter").await;
    t.app.sandbox().inject(cs_provider::sandbox::Fault::Fail {
        op: "create_instance",
        error: cs_provider::ProviderError::Validation {
            field: "region".into(),
            message: "London is full".into(),
        },
    });
    let err = t
        .app
        .create_server(t.server_input(&org, &plan, "web-1"), Default::default())
        .await
        .unwrap_err();
    let dto = err.to_dto();
    assert_eq!(dto.code, "validation");
    assert_eq!(dto.fields[0].field, "region");
    assert!(dto.message.contains("London is full"));
    // The label is free again and the failure is in the log.
    t.app
        .create_server(t.server_input(&org, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    assert!(t
        .app
        .list_activity(10, None)
        .unwrap()
        .iter()
        .any(|a| a.action == "server.create_failed"));
}

#[tokio::test]
async fn a_second_process_on_the_same_database_is_refused() {
    let t = TestApp::new();
    // A second App on the same file (as a second process would open it):
    // refused with a clear error; the lock is the OS's, per open file.
    let err = cs_app::App::open(cs_app::AppConfig {
        database_path: t.dir.path().join("cs.db"),
        log_dir: t.dir.path().join("logs"),
        clock: t.clock.clone(),
        events: std::sync::Arc::new(cs_app::NoEvents),
        secrets: std::sync::Arc::new(cs_secrets::MemorySecrets::default()),
        sandbox_timing: Default::default(),
        actor: "staff:owner".into(),
    })
    .unwrap_err();
    assert_eq!(err.code(), "conflict");
    assert!(
        err.to_string()
            .contains("in use by another ContainerStacks process"),
        "{err}"
    );
}

/// Creates a server and ticks until the provider says it runs.
async fn running_server(
    t: &TestApp,
    org: &cs_app::dto::OrganizationDto,
    plan: &cs_app::dto::PlanDto,
    label: &str,
) -> cs_app::dto::ServerDto {
    let s = t
        .app
        .create_server(t.server_input(org, plan, label), Default::default())
        .await
        .unwrap();
    for _ in 0..3 {
        t.tick().await;
    }
    s
}

#[tokio::test]
async fn the_sandbox_never_reuses_a_deleted_servers_id_after_a_restart() {
    let t = TestApp::new();
    let org = t.customer("Acme Hosting", "ops@acme.example");
    let plan = t.plan("Starter").await;
    running_server(&t, &org, &plan, "web-1").await;
    let newer = running_server(&t, &org, &plan, "web-2").await;
    t.app.delete_server(&newer.id).await.unwrap();
    t.tick().await;
    assert_eq!(
        t.app.get_server(&newer.id).unwrap().server.status,
        "deleted"
    );

    // The Sandbox forgets everything when the app closes and re-adopts only
    // the live servers: the deleted server's id must still not come back.
    let t = t.restart();
    let s = t
        .app
        .create_server(t.server_input(&org, &plan, "web-3"), Default::default())
        .await
        .expect("a new server after a restart is created");
    let provider_ids: Vec<Option<String>> = t
        .app
        .list_servers()
        .unwrap()
        .into_iter()
        .map(|s| s.provider_id)
        .collect();
    let mine = t.app.get_server(&s.id).unwrap().server.provider_id;
    assert!(mine.is_some());
    assert_eq!(
        provider_ids.iter().filter(|p| **p == mine).count(),
        1,
        "{provider_ids:?}"
    );
}

#[tokio::test]
async fn a_create_whose_provider_id_cannot_be_recorded_leaves_nothing_half_made() {
    let t = TestApp::new();
    let org = t.customer("Acme Hosting", "ops@acme.example");
    let plan = t.plan("Starter").await;
    let a = running_server(&t, &org, &plan, "web-1").await;
    let a_pid: u64 = t
        .app
        .get_server(&a.id)
        .unwrap()
        .server
        .provider_id
        .unwrap()
        .parse()
        .unwrap();
    let b = running_server(&t, &org, &plan, "web-2").await;
    t.app.delete_server(&b.id).await.unwrap();
    t.tick().await;
    // owner-exempt(servers): stages a clash the code can no longer produce:
    // the deleted row claims the id the Sandbox hands out next.
    let clash = (a_pid + 2).to_string();
    crate::rusqlite_conn(&t.dir)
        .execute(
            "UPDATE servers SET provider_id = ?1 WHERE id = ?2",
            [clash.as_str(), b.id.as_str()],
        )
        .unwrap();

    let err = t
        .app
        .create_server(t.server_input(&org, &plan, "web-3"), Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "internal", "{err}");
    // The instance made at the provider is deleted again, the row is closed
    // as failed and the label is free.
    t.clock.advance(crate::step() * 2);
    assert!(matches!(
        cs_provider::Provider::get_instance(t.app.sandbox(), &clash).await,
        Err(cs_provider::ProviderError::NotFound(_))
    ));
    let failed = t
        .app
        .list_servers()
        .unwrap()
        .into_iter()
        .filter(|s| s.label == "web-3")
        .collect::<Vec<_>>();
    assert!(failed.iter().all(|s| s.status == "failed"), "{failed:?}");
    t.app
        .create_server(t.server_input(&org, &plan, "web-3"), Default::default())
        .await
        .expect("the label is free again");
}

/// Three running Sandbox servers, then a restart: what `App::open` finds.
async fn running_servers_then_restart() -> (
    TestApp,
    Vec<cs_app::dto::ServerDto>,
    cs_app::dto::OrganizationDto,
    cs_app::dto::PlanDto,
) {
    let t = TestApp::new();
    let org = t.customer("Acme Hosting", "ops@acme.example");
    let plan = t.plan("Starter").await;
    let mut servers = vec![];
    for label in ["web-1", "web-2", "db-1"] {
        servers.push(
            t.app
                .create_server(t.server_input(&org, &plan, label), Default::default())
                .await
                .unwrap(),
        );
    }
    t.tick().await;
    t.tick().await;
    for s in &servers {
        assert_eq!(t.app.get_server(&s.id).unwrap().server.status, "running");
    }
    (t.restart(), servers, org, plan)
}

#[tokio::test]
async fn opening_the_store_leaves_the_sandbox_adoption_to_the_background() {
    use cs_provider::Provider;
    let (t, servers, _, _) = running_servers_then_restart().await;
    // App::open read no server: the window paints before any work that
    // grows with the store.
    assert!(!t.app.sandbox_servers_adopted());
    let pid = servers[0].provider_id.clone().unwrap();
    assert!(
        t.app.sandbox().get_instance(&pid).await.is_err(),
        "the Sandbox does not know the server before the adoption"
    );
    // The reconciler loop, which the shells start once the window has
    // painted, adopts them first, off the async workers.
    let crate::TestApp {
        app, clock, dir, ..
    } = t;
    let app = std::sync::Arc::new(app);
    let reconciler = tokio::spawn(cs_app::run_reconciler(
        app.clone(),
        std::time::Duration::from_millis(20),
    ));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !app.sandbox_servers_adopted() {
        assert!(
            std::time::Instant::now() < deadline,
            "the background adoption never finished"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    for s in &servers {
        let i = app
            .sandbox()
            .get_instance(s.provider_id.as_deref().unwrap())
            .await
            .unwrap();
        assert_eq!(i.label, s.label);
        assert_eq!(i.status, cs_provider::InstanceStatus::Running);
    }
    // Reconciliation after the adoption leaves the servers running.
    clock.advance(crate::step());
    app.reconcile_once(true).await.unwrap();
    for s in &servers {
        assert_eq!(app.get_server(&s.id).unwrap().server.status, "running");
    }
    reconciler.abort();
    drop(dir);
}

#[tokio::test]
async fn an_action_before_the_background_adoption_adopts_first() {
    let (t, servers, org, plan) = running_servers_then_restart().await;
    assert!(!t.app.sandbox_servers_adopted());
    // The user reboots a server before the background adoption ran: the
    // Sandbox is given its servers first, so the reboot finds it.
    let r = t
        .app
        .server_action(&servers[1].id, ServerAction::Reboot)
        .await
        .unwrap();
    assert_eq!(r.status, "rebooting");
    assert!(t.app.sandbox_servers_adopted());
    t.tick().await;
    assert_eq!(
        t.app.get_server(&servers[1].id).unwrap().server.status,
        "running"
    );
    // A new server gets an id past every recorded one.
    let fresh = t
        .app
        .create_server(t.server_input(&org, &plan, "web-3"), Default::default())
        .await
        .unwrap();
    assert!(servers.iter().all(|s| s.provider_id != fresh.provider_id));
}
