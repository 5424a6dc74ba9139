//! Wire JSON of the fake's objects, field for field as the official spec documents them
//! (no extra fields: the spec forbids additional properties, and Prism checks that).

use chrono::Utc;
use serde_json::{json, Value};

use super::catalogue;
use super::state::{ApiError, ApiResult, BackupRec, Event, Firewall, Instance, State, TokenRec};

pub(crate) fn instance(s: &State, i: &Instance) -> Value {
    let plan = catalogue::plan(&i.type_id);
    let last_ok = i.automatic.iter().map(|b| b.created).max();
    let mut backups = json!({
        "enabled": i.backups_enabled,
        "available": !i.automatic.is_empty(),
        "schedule": { "day": "Scheduling", "window": "Scheduling" },
    });
    if let Some(t) = last_ok {
        backups["last_successful"] = json!(s.ts(&t));
    }
    json!({
        "id": i.id,
        "label": i.label,
        "region": i.region,
        "type": i.type_id,
        "image": i.image,
        "status": i.status,
        "ipv4": i.ips.iter().map(|ip| ip.address.to_string()).collect::<Vec<_>>(),
        "ipv6": i.ipv6,
        "tags": i.tags,
        "group": "",
        "hypervisor": "kvm",
        "watchdog_enabled": true,
        "has_user_data": i.has_user_data,
        "host_uuid": i.host_uuid,
        "capabilities": [],
        "lke_cluster_id": null,
        "placement_group": null,
        "specs": {
            "disk": plan.map_or(0, |p| p.disk_mb),
            "memory": plan.map_or(0, |p| p.memory_mb),
            "vcpus": plan.map_or(0, |p| p.vcpus),
            "gpus": 0,
            "transfer": plan.map_or(0, |p| p.transfer_gb),
        },
        "alerts": { "cpu": 90 * plan.map_or(1, |p| p.vcpus), "io": 10000, "network_in": 10, "network_out": 10, "transfer_quota": 80 },
        "backups": backups,
        "created": s.ts(&i.created),
        "updated": s.ts(&i.updated),
    })
}

pub(crate) fn event(s: &State, e: &Event) -> Value {
    let mut v = json!({
        "id": e.id,
        "action": e.action,
        "created": s.ts(&e.created),
        "status": e.status,
        "percent_complete": e.percent,
        "read": false,
        "seen": false,
        "username": e.username,
        "message": null,
        "time_remaining": null,
        "duration": e.duration_ms.map_or(0, |ms| ms / 1000),
    });
    if let Some((id, label, kind)) = &e.entity {
        let url = match *kind {
            "linode" => format!("/v4/linode/instances/{id}"),
            "firewall" => format!("/v4/networking/firewalls/{id}"),
            _ => String::new(),
        };
        v["entity"] = json!({ "id": id, "label": label, "type": kind, "url": url });
    }
    v
}

fn ip_rdns_default(addr: &str) -> String {
    format!("{}.ip.linodeusercontent.com", addr.replace('.', "-"))
}

pub(crate) fn ipv4(i: &Instance, ip: &super::state::Ip) -> Value {
    let a = ip.address.to_string();
    let octets = ip.address.octets();
    if ip.public {
        json!({
            "address": a,
            "gateway": format!("{}.{}.{}.1", octets[0], octets[1], octets[2]),
            "subnet_mask": "255.255.255.0",
            "prefix": 24,
            "type": "ipv4",
            "public": true,
            "rdns": ip.rdns.clone().unwrap_or_else(|| ip_rdns_default(&a)),
            "linode_id": i.id,
            "region": i.region,
        })
    } else {
        json!({
            "address": a,
            "subnet_mask": "255.255.128.0",
            "prefix": 17,
            "type": "ipv4",
            "public": false,
            "linode_id": i.id,
            "region": i.region,
        })
    }
}

pub(crate) fn instance_ips(i: &Instance) -> Value {
    let public: Vec<Value> = i
        .ips
        .iter()
        .filter(|ip| ip.public)
        .map(|ip| ipv4(i, ip))
        .collect();
    let private: Vec<Value> = i
        .ips
        .iter()
        .filter(|ip| !ip.public)
        .map(|ip| ipv4(i, ip))
        .collect();
    let slaac = i.ipv6.trim_end_matches("/128");
    json!({
        "ipv4": { "public": public, "private": private, "shared": [], "reserved": [], "vpc": [] },
        "ipv6": {
            "slaac": { "address": slaac, "gateway": "fe80::1", "prefix": 64, "type": "ipv6", "public": true, "subnet_mask": "ffff:ffff:ffff:ffff::", "linode_id": i.id, "region": i.region },
            "link_local": { "address": format!("fe80::{:x}", i.id & 0xffff), "gateway": "fe80::1", "prefix": 64, "type": "ipv6", "public": false, "subnet_mask": "ffff:ffff:ffff:ffff::", "linode_id": i.id, "region": i.region },
            "global": [],
        },
    })
}

pub(crate) fn backup(s: &State, b: &BackupRec) -> Value {
    let mut v = json!({
        "id": b.id,
        "label": b.label,
        "type": b.kind,
        "status": b.status,
        "available": b.status == "successful",
        "created": s.ts(&b.created),
        "updated": s.ts(&b.finished.unwrap_or(b.created)),
        "configs": ["My Debian Profile"],
        "disks": [{ "label": "Debian Disk", "size": 25088, "filesystem": "ext4" }, { "label": "Swap Image", "size": 512, "filesystem": "swap" }],
    });
    if let Some(f) = b.finished {
        v["finished"] = json!(s.ts(&f));
    }
    v
}

pub(crate) fn backups(s: &State, i: &Instance) -> Value {
    let mut snapshot = json!({});
    if let Some(c) = &i.snapshot_current {
        snapshot["current"] = backup(s, c);
    }
    if let Some(p) = &i.snapshot_in_progress {
        snapshot["in_progress"] = backup(s, p);
    }
    json!({ "automatic": i.automatic.iter().map(|b| backup(s, b)).collect::<Vec<_>>(), "snapshot": snapshot })
}

pub(crate) fn rules(fw: &Firewall) -> Value {
    let mut r = fw.rules.clone();
    r["version"] = json!(fw.version);
    r["fingerprint"] = json!(format!("{:08x}", fingerprint(&fw.rules.to_string())));
    r
}

fn fingerprint(s: &str) -> u32 {
    // FNV-1a: stable across runs, enough to tell rule sets apart.
    s.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

pub(crate) fn firewall(s: &State, fw: &Firewall) -> Value {
    json!({
        "id": fw.id,
        "label": fw.label,
        "status": fw.status,
        "rules": rules(fw),
        "tags": fw.tags,
        "created": s.ts(&fw.created),
        "updated": s.ts(&fw.updated),
    })
}

pub(crate) fn device(s: &State, dev: &(u64, u64, chrono::DateTime<Utc>)) -> Value {
    let label = s
        .instances
        .get(&dev.1)
        .map(|i| i.label.clone())
        .unwrap_or_default();
    json!({
        "id": dev.0,
        "created": s.ts(&dev.2),
        "updated": s.ts(&dev.2),
        "entity": { "id": dev.1, "label": label, "type": "linode" },
    })
}

pub(crate) fn profile(token: &TokenRec) -> Value {
    json!({
        "username": token.username,
        "email": format!("{}@example.com", token.username),
        "uid": 4242,
        "restricted": false,
        "timezone": "UTC",
        "two_factor_auth": false,
        "email_notifications": true,
        "ip_whitelist_enabled": false,
        "lish_auth_method": "keys_only",
        "authentication_type": "password",
        "authorized_keys": null,
        "verified_phone_number": null,
    })
}

/// `[ms, value]` with the value written from thousandths as a decimal number.
fn sample(at_ms: i64, milli: u64) -> Value {
    let text = format!("{}.{:03}", milli / 1000, milli % 1000);
    json!([
        at_ms,
        serde_json::from_str::<Value>(&text).expect("a decimal is a JSON number")
    ])
}

/// 24 h of 5-minute samples, deterministic per instance and time slot.
pub(crate) fn stats(i: &Instance) -> ApiResult<Value> {
    if i.status == "provisioning" {
        return Err(ApiError::new(400, "Stats are unavailable at this time."));
    }
    let now = Utc::now();
    let slot = now.timestamp() / 300;
    let series = |salt: u64, modulo: u64| -> Vec<Value> {
        (0..288i64)
            .map(|k| {
                let s = slot - 287 + k;
                let x = (s as u64)
                    .wrapping_mul(2_654_435_761)
                    .wrapping_add(i.id.wrapping_mul(40_503))
                    .wrapping_add(salt.wrapping_mul(97));
                sample(s * 300 * 1000, x % modulo)
            })
            .collect()
    };
    Ok(json!({
        "title": format!("linode.com - {} (linode{}) - day (5 min avg)", i.label, i.id),
        "cpu": series(1, 40_000),
        "io": { "io": series(2, 5_000), "swap": series(3, 100) },
        "netv4": { "in": series(4, 4_000_000), "out": series(5, 8_000_000), "private_in": series(6, 10_000), "private_out": series(7, 10_000) },
        "netv6": { "in": series(8, 400_000), "out": series(9, 800_000), "private_in": series(10, 100), "private_out": series(11, 100) },
    }))
}

pub(crate) fn transfer(i: &Instance) -> Value {
    let quota_gb = catalogue::plan(&i.type_id).map_or(0, |p| p.transfer_gb);
    let age_s = (Utc::now() - i.created).num_seconds().max(0) as u64;
    json!({ "used": age_s * 12_345 + i.id, "quota": quota_gb, "billable": 0 })
}

pub(crate) fn account_transfer(s: &State) -> Value {
    let mut regions: std::collections::BTreeMap<&str, (u64, u64)> =
        std::collections::BTreeMap::new();
    for i in s.instances.values() {
        let e = regions.entry(i.region.as_str()).or_default();
        e.0 += 1;
        e.1 += catalogue::plan(&i.type_id).map_or(0, |p| p.transfer_gb);
    }
    let region_transfers: Vec<Value> = regions
        .iter()
        .map(|(id, (n, quota))| json!({ "id": id, "used": n, "quota": quota, "billable": 0 }))
        .collect();
    let used: u64 = regions.values().map(|(n, _)| n).sum();
    let quota: u64 = regions.values().map(|(_, q)| q).sum();
    json!({ "used": used, "quota": quota, "billable": 0, "region_transfers": region_transfers })
}

/// One `GET /profile/tokens` entry: never the whole secret, only its first 16 characters.
pub fn token(s: &State, secret: &str, t: &TokenRec) -> Value {
    json!({
        "id": t.id,
        "label": t.label,
        "scopes": t.scopes.join(" "),
        "token": secret.chars().take(16).collect::<String>(),
        "created": s.ts(&t.created),
        "expiry": t.expiry.as_ref().map(|e| s.ts(e)),
    })
}
