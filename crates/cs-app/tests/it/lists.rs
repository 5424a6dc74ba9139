//! The paginated lists (servers, customers, documents): keyset pages that
//! never skip or repeat a row while rows come and go between two fetches,
//! a stable order on equal keys, search, filters and totals.

use std::collections::HashSet;

use cs_app::dto::*;

use crate::TestApp;

/// Every page of the servers list for `input`, calling `between` after each
/// page (with the page number) before fetching the next.
async fn all_server_pages<F, Fut>(
    t: &TestApp,
    input: ServerListInput,
    mut between: F,
) -> Vec<ServerPage>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut pages: Vec<ServerPage> = Vec::new();
    loop {
        let page = t
            .app
            .list_servers_page(ServerListInput {
                after: pages.last().and_then(|p| p.next.clone()),
                ..input.clone()
            })
            .unwrap();
        assert!(page.rows.len() <= input.limit.unwrap_or(50) as usize);
        let done = page.next.is_none();
        pages.push(page);
        if done {
            return pages;
        }
        between(pages.len()).await;
    }
}

fn ids(pages: &[ServerPage]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p.rows.iter().map(|s| s.id.clone()))
        .collect()
}

#[tokio::test]
async fn servers_pages_skip_and_repeat_nothing_while_servers_are_created_and_deleted() {
    let t = TestApp::new();
    let org = t.customer("Acme", "ops@acme.test");
    let plan = t.plan("Small").await;
    // The clock stands still: every server has the same creation time, so
    // the order rests on the tie-breaker alone.
    let mut before = Vec::new();
    for i in 0..23 {
        let s = t
            .app
            .create_server(
                t.server_input(&org, &plan, &format!("web-{i:02}")),
                Default::default(),
            )
            .await
            .unwrap();
        before.push(s.id);
    }
    let input = ServerListInput {
        limit: Some(5),
        desc: true,
        ..Default::default()
    };
    let first = t.app.list_servers_page(input.clone()).unwrap();
    assert_eq!(first.total, 23);

    // Between pages: a new server, and a server not read yet deleted.
    let mut deleted_unseen = Vec::<String>::new();
    let mut seen = HashSet::<String>::new();
    let mut pages: Vec<ServerPage> = Vec::new();
    loop {
        let page = t
            .app
            .list_servers_page(ServerListInput {
                after: pages.last().and_then(|p| p.next.clone()),
                ..input.clone()
            })
            .unwrap();
        seen.extend(page.rows.iter().map(|s| s.id.clone()));
        let done = page.next.is_none();
        pages.push(page);
        if done {
            break;
        }
        t.app
            .create_server(
                t.server_input(&org, &plan, &format!("new-{}", pages.len())),
                Default::default(),
            )
            .await
            .unwrap();
        let unseen = before
            .iter()
            .rev()
            .find(|id| !seen.contains(*id) && !deleted_unseen.contains(*id))
            .cloned();
        if let Some(id) = unseen {
            t.app.delete_server(&id).await.unwrap();
            // The provider takes a few steps to delete it.
            for _ in 0..5 {
                t.tick().await;
            }
            deleted_unseen.push(id);
        }
    }
    let got = ids(&pages);
    let unique: HashSet<_> = got.iter().cloned().collect();
    assert_eq!(unique.len(), got.len(), "a server appeared twice: {got:?}");
    for id in &before {
        let deleted = deleted_unseen.contains(id);
        assert_eq!(
            unique.contains(id),
            !deleted,
            "server {id} (deleted before its page: {deleted}) was skipped or shown deleted"
        );
    }
    // The rows come in one order: creation time, then id, both descending.
    let all = t
        .app
        .list_servers_page(ServerListInput {
            limit: Some(100),
            state: ServerStateFilter::All,
            desc: true,
            ..Default::default()
        })
        .unwrap();
    let mut sorted = all.rows.clone();
    sorted.sort_by(|a, b| (&b.created_at, &b.id).cmp(&(&a.created_at, &a.id)));
    assert_eq!(
        all.rows.iter().map(|s| &s.id).collect::<Vec<_>>(),
        sorted.iter().map(|s| &s.id).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn servers_with_equal_keys_keep_one_order_across_pages_and_filters_and_search_narrow_them() {
    let t = TestApp::new();
    let acme = t.customer("Acme", "ops@acme.test");
    let beta = t.customer("Beta", "ops@beta.test");
    let plan = t.plan("Small").await;
    let mut labels = Vec::new();
    for i in 0..12 {
        let org = if i % 3 == 0 { &beta } else { &acme };
        let label = if i % 2 == 0 {
            format!("Web-{i:02}")
        } else {
            format!("db-{i:02}")
        };
        t.app
            .create_server(t.server_input(org, &plan, &label), Default::default())
            .await
            .unwrap();
        labels.push(label);
    }
    // All share one status: sorting by status is all ties, twice the same.
    let by_status = |limit| {
        let t = &t;
        async move {
            ids(&all_server_pages(
                t,
                ServerListInput {
                    limit: Some(limit),
                    sort: ServerSortKey::Status,
                    ..Default::default()
                },
                |_| async {},
            )
            .await)
        }
    };
    let a = by_status(5).await;
    let b = by_status(7).await;
    assert_eq!(a.len(), 12);
    assert_eq!(
        a, b,
        "equal keys must keep one order whatever the page size"
    );

    // By label, any case.
    let pages = all_server_pages(
        &t,
        ServerListInput {
            limit: Some(4),
            sort: ServerSortKey::Label,
            ..Default::default()
        },
        |_| async {},
    )
    .await;
    let got: Vec<String> = pages
        .iter()
        .flat_map(|p| p.rows.iter().map(|s| s.label.clone()))
        .collect();
    let mut want = labels.clone();
    want.sort_by_key(|l| l.to_lowercase());
    assert_eq!(got, want);

    // Search: a label prefix, any case; the total counts the matches.
    let web = t
        .app
        .list_servers_page(ServerListInput {
            search: Some("  web".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(web.total, 6);
    assert!(web.rows.iter().all(|s| s.label.starts_with("Web-")));

    // Filter: one customer's servers.
    let of_beta = t
        .app
        .list_servers_page(ServerListInput {
            organization_id: Some(beta.id.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(of_beta.total, 4);
    assert!(of_beta.rows.iter().all(|s| s.organization_name == "Beta"));

    // Deleted servers leave the live list and make the deleted one.
    let gone = web.rows[0].id.clone();
    t.app.delete_server(&gone).await.unwrap();
    for _ in 0..5 {
        t.tick().await;
    }
    let live = t.app.list_servers_page(ServerListInput::default()).unwrap();
    assert_eq!(live.total, 11);
    assert!(live.rows.iter().all(|s| s.id != gone));
    let deleted = t
        .app
        .list_servers_page(ServerListInput {
            state: ServerStateFilter::Deleted,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        deleted
            .rows
            .iter()
            .map(|s| s.id.clone())
            .collect::<Vec<_>>(),
        vec![gone]
    );
    // A plan's servers.
    let of_plan = t
        .app
        .list_servers_page(ServerListInput {
            plan_id: Some(plan.id.clone()),
            state: ServerStateFilter::All,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(of_plan.total, 12);
}

#[test]
fn customers_pages_search_sort_and_insertions_between_pages() {
    let t = TestApp::new();
    for i in 0..17 {
        t.customer(
            &format!("Customer {i:02}"),
            &format!("c{i:02}@example.test"),
        );
    }
    let page = |after: Option<String>, search: Option<&str>, desc: bool| {
        t.app
            .list_organizations_page(OrganizationListInput {
                after,
                limit: Some(5),
                search: search.map(str::to_string),
                desc,
                ..Default::default()
            })
            .unwrap()
    };
    let mut names = Vec::new();
    let mut next = None;
    let mut round: u32 = 0;
    loop {
        let p = page(next, None, false);
        assert_eq!(p.total, 17 + 2 * round);
        names.extend(p.rows.iter().map(|o| o.name.clone()));
        next = p.next;
        if next.is_none() {
            break;
        }
        // One customer sorts before the page read (not shown: it came
        // after we passed), one after it (shown once its page comes).
        round += 1;
        t.customer(&format!("Aaa {round}"), &format!("aaa{round}@example.test"));
        t.customer(&format!("Zzz {round}"), &format!("zzz{round}@example.test"));
    }
    let unique: HashSet<_> = names.iter().collect();
    assert_eq!(
        unique.len(),
        names.len(),
        "a customer appeared twice: {names:?}"
    );
    for i in 0..17 {
        assert!(
            names.contains(&format!("Customer {i:02}")),
            "Customer {i:02} skipped"
        );
    }
    for r in 1..=round {
        assert!(
            names.contains(&format!("Zzz {r}")),
            "Zzz {r} was added ahead of the reader and must be read"
        );
        assert!(!names.contains(&format!("Aaa {r}")));
    }
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted);

    // Search by name prefix in any case, or by the contact's email.
    let p = page(None, Some("customer 1"), false);
    assert_eq!(p.total, 7);
    assert_eq!(p.rows[0].name, "Customer 10");
    let p = page(None, Some("ZZZ"), true);
    assert_eq!(p.total, round);
    let p = page(None, Some("c03@"), false);
    assert_eq!(
        p.rows.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(),
        vec!["Customer 03"]
    );
    // Descending: the last name first.
    let p = page(None, None, true);
    assert!(p.rows[0].name.starts_with("Zzz"));
}

#[tokio::test]
async fn documents_pages_search_filter_and_totals() {
    let t = TestApp::new();
    let acme = t.customer("Acme", "ops@acme.test");
    let beta = t.customer("Beta Corp", "ops@beta.test");
    for i in 0..9 {
        let org = if i % 3 == 0 { &beta } else { &acme };
        t.app
            .record_payment(PaymentInput {
                organization_id: org.id.clone(),
                amount: format!("{}.00", 10 + i),
                method: "bank_transfer".into(),
                reference: format!("BANK-{i}"),
                note: None,
            })
            .await
            .unwrap();
    }
    let list = |input: DocumentListInput| t.app.list_documents_page(input).unwrap();
    let all = list(DocumentListInput {
        limit: Some(100),
        ..Default::default()
    });
    assert_eq!(all.total, 9);
    assert!(all.rows.iter().all(|d| d.kind == "receipt"));

    // Pages of 2 by total, largest first: every document once, in order.
    let mut got = Vec::new();
    let mut after = None;
    loop {
        let p = list(DocumentListInput {
            after,
            limit: Some(2),
            sort: DocumentSortKey::Total,
            desc: true,
            ..Default::default()
        });
        got.extend(p.rows.iter().map(|d| d.total.amount.clone()));
        after = p.next;
        if after.is_none() {
            break;
        }
    }
    let want: Vec<String> = (10..19).rev().map(|n| format!("{n}.00")).collect();
    assert_eq!(got, want);

    // Filter by customer; search by customer name or number prefix.
    let of_beta = list(DocumentListInput {
        organization_id: Some(beta.id.clone()),
        ..Default::default()
    });
    assert_eq!(of_beta.total, 3);
    let beta_search = list(DocumentListInput {
        search: Some("beta".into()),
        ..Default::default()
    });
    assert_eq!(beta_search.total, 3);
    assert!(beta_search
        .rows
        .iter()
        .all(|d| d.organization_name == "Beta Corp"));
    let number = all.rows[4]
        .number
        .clone()
        .expect("receipts are issued with a number");
    let by_number = list(DocumentListInput {
        search: Some(number.to_lowercase()),
        ..Default::default()
    });
    assert_eq!(
        by_number
            .rows
            .iter()
            .map(|d| d.number.clone())
            .collect::<Vec<_>>(),
        vec![Some(number)]
    );
    let receipts = list(DocumentListInput {
        kind: Some("invoice".into()),
        ..Default::default()
    });
    assert_eq!(receipts.total, 0);
}

#[test]
fn a_page_size_above_100_or_a_made_up_cursor_is_refused_naming_the_field() {
    let t = TestApp::new();
    let field = |e: cs_app::AppError| {
        e.to_dto()
            .fields
            .into_iter()
            .map(|f| f.field)
            .collect::<Vec<_>>()
    };
    let e = t
        .app
        .list_servers_page(ServerListInput {
            limit: Some(101),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(field(e), vec!["limit"]);
    let e = t
        .app
        .list_organizations_page(OrganizationListInput {
            after: Some("page 2".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(field(e), vec!["after"]);
}

#[test]
fn activity_pages_newest_first_by_kind_and_back_up_again() {
    let t = TestApp::new();
    for i in 0..12 {
        t.customer(
            &format!("Customer {i:02}"),
            &format!("c{i:02}@example.test"),
        );
    }
    let list = |input: ActivityListInput| t.app.list_activity_page(input).unwrap();
    let all = list(ActivityListInput {
        kind: ActivityKindFilter::Organization,
        limit: Some(100),
        ..Default::default()
    });
    assert_eq!(all.total, 12);
    assert!(
        all.rows[0].summary.contains("Customer 11"),
        "{:?}",
        all.rows[0]
    );
    let mut pages = vec![list(ActivityListInput {
        kind: ActivityKindFilter::Organization,
        limit: Some(5),
        ..Default::default()
    })];
    while let Some(next) = pages.last().unwrap().next.clone() {
        // A new entry between two reads comes before the reader: not shown.
        t.customer(
            &format!("Late {}", pages.len()),
            &format!("late{}@example.test", pages.len()),
        );
        pages.push(list(ActivityListInput {
            kind: ActivityKindFilter::Organization,
            limit: Some(5),
            after: Some(next),
            ..Default::default()
        }));
    }
    let seqs: Vec<&str> = pages
        .iter()
        .flat_map(|p| p.rows.iter().map(|a| a.seq.as_str()))
        .collect();
    assert_eq!(
        seqs,
        all.rows.iter().map(|a| a.seq.as_str()).collect::<Vec<_>>()
    );
    // Back up from the last page: the page before it again.
    let back = list(ActivityListInput {
        kind: ActivityKindFilter::Organization,
        limit: Some(5),
        before: pages.last().unwrap().prev.clone(),
        ..Default::default()
    });
    assert_eq!(
        back.rows.iter().map(|a| &a.seq).collect::<Vec<_>>(),
        pages[pages.len() - 2]
            .rows
            .iter()
            .map(|a| &a.seq)
            .collect::<Vec<_>>()
    );
    let servers = list(ActivityListInput {
        kind: ActivityKindFilter::Server,
        ..Default::default()
    });
    assert_eq!(servers.total, 0);
}

#[tokio::test]
async fn a_wallets_transactions_page_newest_first_and_skip_nothing_while_payments_arrive() {
    let t = TestApp::new();
    let acme = t.customer("Acme", "ops@acme.example");
    let beta = t.customer("Beta", "ops@beta.example");
    let pay = |org: &OrganizationDto, amount: String, reference: String| {
        let input = PaymentInput {
            organization_id: org.id.clone(),
            amount,
            method: "bank_transfer".into(),
            reference,
            note: None,
        };
        let app = &t.app;
        async move { app.record_payment(input).await.unwrap() }
    };
    for i in 0..12 {
        pay(&acme, format!("{}.00", 10 + i), format!("ACME-{i}")).await;
    }
    pay(&beta, "5.00".into(), "BETA-0".into()).await;
    let list = |after: Option<String>, before: Option<String>, limit: u32| {
        t.app
            .list_wallet_entries(WalletEntryListInput {
                organization_id: acme.id.clone(),
                after,
                before,
                limit: Some(limit),
            })
            .unwrap()
    };
    let all = list(None, None, 100);
    assert_eq!(all.total, 12, "Beta's payment is not Acme's");
    assert_eq!(all.rows[0].amount.amount, "21.00", "newest first");
    assert_eq!(all.rows[11].amount.amount, "10.00");
    let mut pages = vec![list(None, None, 5)];
    let mut late = 0;
    while let Some(next) = pages.last().unwrap().next.clone() {
        // A payment between two reads is newer than the reader: not shown.
        late += 1;
        pay(&acme, "1.00".into(), format!("LATE-{late}")).await;
        pages.push(list(Some(next), None, 5));
    }
    let ids: Vec<&str> = pages
        .iter()
        .flat_map(|p| p.rows.iter().map(|e| e.txn_id.as_str()))
        .collect();
    assert_eq!(
        ids,
        all.rows
            .iter()
            .map(|e| e.txn_id.as_str())
            .collect::<Vec<_>>()
    );
    assert_eq!(pages.last().unwrap().total, 12 + late);
    let back = list(None, pages.last().unwrap().prev.clone(), 5);
    assert_eq!(
        back.rows.iter().map(|e| &e.txn_id).collect::<Vec<_>>(),
        pages[pages.len() - 2]
            .rows
            .iter()
            .map(|e| &e.txn_id)
            .collect::<Vec<_>>()
    );
    let e = t
        .app
        .list_wallet_entries(WalletEntryListInput {
            organization_id: acme.id.clone(),
            limit: Some(101),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.to_dto().fields[0].field, "limit");
}

#[test]
fn the_recent_activity_feed_returns_at_most_100_entries() {
    let t = TestApp::new();
    for i in 0..105 {
        t.customer(&format!("Feed {i:03}"), &format!("feed{i:03}@example.test"));
    }
    let feed = t.app.list_activity(1000, None).unwrap();
    assert_eq!(feed.len(), 100);
    assert!(feed[0].summary.contains("Feed 104"), "{:?}", feed[0]);
}
