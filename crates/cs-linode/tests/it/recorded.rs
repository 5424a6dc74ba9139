//! The client decodes every recorded real answer of the endpoints it uses.
//!
//! The recordings live in the shared folder (`$CS_SHARED_DIR`, or `../../../shared` from
//! this crate); they are read in place and never copied into the repository.

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use cs_linode::*;
use serde::de::DeserializeOwned;

pub fn shared_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("CS_SHARED_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    dir.is_dir().then_some(dir)
}

fn decode<T: DeserializeOwned>(dir: &std::path::Path, name: &str) -> T {
    let path = dir.join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name} does not decode: {e}"))
}

#[test]
fn recorded_answers_decode() {
    let Some(shared) = shared_dir() else {
        println!("SKIPPED recorded_answers_decode: shared folder not found (set CS_SHARED_DIR to the folder holding specs/linode/recorded)");
        return;
    };
    let dir = shared.join("specs/linode/recorded/unit");
    if !dir.is_dir() {
        println!(
            "SKIPPED recorded_answers_decode: {} is absent",
            dir.display()
        );
        return;
    }

    let p: Profile = decode(&dir, "profile_get.json");
    assert_eq!(p.username, "exampleUser");

    let regions: Page<Region> = decode(&dir, "regions_list.json");
    assert_eq!(regions.data[0].id, "us-east");
    let _: Region = decode(&dir, "region_get.json");

    let types: Page<LinodeType> = decode(&dir, "linode_types_list.json");
    assert_eq!(
        types.data[0].price.hourly,
        Micros(7_500),
        "0.0075 USD/h kept exactly"
    );
    assert_eq!(types.data[0].price.monthly, Micros(5_000_000));
    let t: LinodeType = decode(&dir, "linode_type_get.json");
    assert!(!t.id.is_empty());

    let images: Page<Image> = decode(&dir, "images_list.json");
    assert_eq!(
        images.data[0].created,
        Some(Utc.with_ymd_and_hms(2021, 8, 14, 22, 44, 2).unwrap()),
        "zone-less timestamps are UTC"
    );
    let _: Image = decode(&dir, "image_get.json");

    let scripts: Page<StackScript> = decode(&dir, "stackscripts_list.json");
    assert_eq!(scripts.results, 2);
    let _: StackScript = decode(&dir, "stackscript_get.json");

    let list: Page<Instance> = decode(&dir, "linodes_list.json");
    assert!(!list.data.is_empty());
    for name in [
        "instance_get.json",
        "instance_create.json",
        "instance_update.json",
        "instance_rebuild.json",
    ] {
        let i: Instance = decode(&dir, name);
        assert!(i.id > 0, "{name}");
    }
    let i: Instance = decode(&dir, "instance_get.json");
    assert_eq!(
        i.backups.last_successful,
        Some(Utc.with_ymd_and_hms(2018, 1, 1, 0, 1, 1).unwrap())
    );

    let b: Backups = decode(&dir, "instance_backups_get.json");
    assert_eq!(b.automatic.len(), 2);
    assert!(b.snapshot.current.is_some() && b.snapshot.in_progress.is_none());
    for name in [
        "instance_snapshot_get.json",
        "instance_snapshot_create.json",
    ] {
        let _: Backup = decode(&dir, name);
    }

    let ips: InstanceIps = decode(&dir, "instance_ip_list.json");
    assert_eq!(ips.ipv4.public[0].rdns.as_deref(), Some("example.com"));
    for name in [
        "instance_ip_add.json",
        "instance_ip_get.json",
        "instance_ip_update.json",
        "network_ip_address_get.json",
    ] {
        let ip: IpAddress = decode(&dir, name);
        assert!(!ip.address.is_empty(), "{name}");
    }

    let fws: Page<Firewall> = decode(&dir, "firewall_list.json");
    assert!(!fws.data.is_empty());
    for name in [
        "firewall_get.json",
        "firewall_create.json",
        "firewall_update.json",
    ] {
        let _: Firewall = decode(&dir, name);
    }
    let _: Page<Firewall> = decode(&dir, "instance_firewall_list.json");
    for name in ["firewall_rule_get.json", "firewall_rule_update.json"] {
        let r: FirewallRules = decode(&dir, name);
        assert_eq!(r.inbound_policy, Some(FirewallAction::Drop), "{name}");
    }
    let devices: Page<FirewallDevice> = decode(&dir, "firewall_device_list.json");
    assert_eq!(devices.data.len(), 2);
    for name in ["firewall_device_get.json", "firewall_device_create.json"] {
        let _: FirewallDevice = decode(&dir, name);
    }

    let stats: StatsEnvelope = decode(&dir, "instance_stats_get.json");
    let stats = stats.into_stats();
    assert_eq!(
        stats.cpu[0],
        Sample {
            at_ms: 1_521_483_600_000,
            value_milli: 420
        }
    );
    assert!(stats.title.is_some());

    let events: Page<Event> = decode(&dir, "account_events_list.json");
    assert_eq!(events.data[0].action, "ticket_create");
    assert_eq!(
        events.data[0]
            .secondary_entity
            .as_ref()
            .and_then(|e| e.id.clone()),
        Some(EntityId::Text("linode/debian9".into()))
    );
    let _: Event = decode(&dir, "account_events_get.json");

    let at: AccountTransfer = decode(&dir, "account_transfer_get.json");
    assert_eq!(at.region_transfers[0].id, "us-east");
}

#[test]
fn recorded_errors_map_to_their_classes() {
    // Error bodies from ANALYSIS.txt (real API answers), decoded the way the client does.
    let cases: &[(u16, &str, &str)] = &[
        (400, r#"{"errors": [{"reason": "Linode busy."}]}"#, "Busy"),
        (
            429,
            r#"{"errors": [{"reason": "Too many requests"}]}"#,
            "RateLimited",
        ),
        (
            401,
            r#"{"errors": [{"reason": "Invalid Token"}]}"#,
            "InvalidToken",
        ),
        (404, r#"{"errors": [{"reason": "Not found"}]}"#, "NotFound"),
        (
            400,
            r#"{"errors": [{"reason": "region is not valid", "field": "region"}]}"#,
            "Validation",
        ),
        (
            503,
            r#"{"errors": [{"reason": "Cluster API Endpoints are not yet available. Please try again later."}]}"#,
            "Server",
        ),
    ];
    for (status, body, want) in cases {
        let got = format!("{:?}", LinodeError::from_api(*status, body.as_bytes()));
        assert!(got.starts_with(want), "{status} {body} gave {got}");
    }
}
