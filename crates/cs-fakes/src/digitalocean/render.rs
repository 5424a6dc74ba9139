//! JSON in DigitalOcean's shapes: objects, error bodies and paginated collections.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::{json, Value};

use super::catalogue;
use super::state::{Action, Droplet, Firewall, ReservedIp, SshKey, State, UserImage};

/// `{"droplets": [...], "links": {"pages": {...}}, "meta": {"total": N}}` for one page.
/// `per_page` defaults to 20 and is capped at 200; links point at `base` (the server the
/// client called) with the collection's other query parameters kept.
pub(crate) fn page(
    key: &str,
    items: Vec<Value>,
    q: &HashMap<String, String>,
    base: &str,
    path: &str,
) -> Value {
    page_with(key, items, |v| v, q, base, path)
}

/// [`page`] that renders only the items of the page asked for (a page of 200 Droplets
/// out of 5,000 renders 200).
pub(crate) fn page_with<T>(
    key: &str,
    items: Vec<T>,
    render: impl Fn(T) -> Value,
    q: &HashMap<String, String>,
    base: &str,
    path: &str,
) -> Value {
    let per_page = q
        .get("per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(20)
        .min(200);
    let page = q
        .get("page")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(1);
    let total = items.len();
    let last = total.div_ceil(per_page).max(1);
    let data: Vec<Value> = items
        .into_iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(render)
        .collect();
    let mut extra: Vec<(&String, &String)> = q
        .iter()
        .filter(|(k, _)| k.as_str() != "page" && k.as_str() != "per_page")
        .collect();
    extra.sort();
    let link = |p: usize| {
        let mut url = format!("{base}/v2{path}?page={p}&per_page={per_page}");
        for (k, v) in &extra {
            url.push('&');
            url.push_str(k);
            url.push('=');
            url.push_str(v);
        }
        url
    };
    let mut pages = serde_json::Map::new();
    if page > 1 {
        pages.insert("first".into(), json!(link(1)));
        pages.insert("prev".into(), json!(link((page - 1).min(last))));
    }
    if page < last {
        pages.insert("last".into(), json!(link(last)));
        pages.insert("next".into(), json!(link(page + 1)));
    }
    let links = if pages.is_empty() {
        json!({})
    } else {
        json!({ "pages": pages })
    };
    json!({ key: data, "links": links, "meta": { "total": total } })
}

pub(crate) fn error(id: &str, message: &str, request_id: &str) -> Value {
    json!({ "id": id, "message": message, "request_id": request_id })
}

pub(crate) fn account(s: &State) -> Value {
    json!({
        "droplet_limit": s.config.droplet_limit,
        "floating_ip_limit": s.config.reserved_ip_limit,
        "email": s.config.email,
        "name": "Reseller",
        "uuid": s.account_uuid,
        "email_verified": true,
        "status": s.account_status.0,
        "status_message": s.account_status.1,
        "team": { "uuid": "5df3e3004a17e242b7c20ca6c9fc25b701a47ece", "name": "Reseller team" },
    })
}

fn region_object(slug: &str) -> Value {
    catalogue::region(slug).map_or(Value::Null, catalogue::region_json)
}

pub(crate) fn droplet(s: &State, d: &Droplet) -> Value {
    let created = State::ts(&s.started);
    let image = match catalogue::image(&d.image) {
        Some(i) => catalogue::image_json(i, &created),
        None => d
            .image
            .parse::<u64>()
            .ok()
            .and_then(|id| s.images.get(&id))
            .map_or_else(|| json!({}), image),
    };
    let size = catalogue::size(&d.size).map_or(Value::Null, catalogue::size_json);
    let mut v4 = Vec::new();
    if let Some(ip) = d.public_v4 {
        let base = u32::from(ip) & 0xffff_ff00;
        v4.push(json!({
            "ip_address": ip.to_string(),
            "netmask": "255.255.255.0",
            "gateway": std::net::Ipv4Addr::from(base + 1).to_string(),
            "type": "public",
        }));
    }
    if let Some(ip) = d.private_v4 {
        v4.push(json!({
            "ip_address": ip.to_string(),
            "netmask": "255.255.240.0",
            "gateway": "10.116.0.1",
            "type": "private",
        }));
    }
    let v6: Vec<Value> = d
        .v6
        .iter()
        .map(|a| json!({ "ip_address": a, "netmask": 64, "gateway": "2001:db8:d0::1", "type": "public" }))
        .collect();
    let mut features = vec!["private_networking"];
    if d.backups.is_some() {
        features.push("backups");
    }
    if d.ipv6 {
        features.push("ipv6");
    }
    if d.monitoring {
        features.push("monitoring");
    }
    let mut backup_ids: Vec<u64> = Vec::new();
    let mut snapshot_ids: Vec<u64> = Vec::new();
    for i in s.images.values().filter(|i| i.droplet_id == d.id) {
        if i.kind == "backup" {
            backup_ids.push(i.id);
        } else {
            snapshot_ids.push(i.id);
        }
    }
    let window = d.backups.as_ref().map(|_| {
        let start = chrono::Utc::now()
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc());
        let start = start.unwrap_or_else(chrono::Utc::now) + chrono::Duration::days(1);
        json!({
            "start": State::ts(&start),
            "end": State::ts(&(start + chrono::Duration::hours(4))),
        })
    });
    json!({
        "id": d.id,
        "name": d.name,
        "memory": d.memory_mb,
        "vcpus": d.vcpus,
        "disk": d.disk_gb,
        "disk_info": [{ "type": "local", "size": { "amount": d.disk_gb, "unit": "gib" } }],
        "locked": false,
        "status": d.status,
        "kernel": null,
        "created_at": State::ts(&d.created),
        "features": features,
        "backup_ids": backup_ids,
        "next_backup_window": window,
        "snapshot_ids": snapshot_ids,
        "image": image,
        "volume_ids": [],
        "size": size,
        "size_slug": d.size,
        "networks": { "v4": v4, "v6": v6 },
        "region": region_object(d.region),
        "tags": d.tags,
        "vpc_uuid": d.vpc_uuid,
    })
}

pub(crate) fn action(a: &Action) -> Value {
    json!({
        "id": a.id,
        "status": a.status,
        "type": a.kind,
        "started_at": State::ts(&a.started_at),
        "completed_at": a.completed_at.as_ref().map(State::ts),
        "resource_id": a.resource_id,
        "resource_type": a.resource_type,
        "region": a.region.map_or(Value::Null, region_object),
        "region_slug": a.region,
    })
}

pub(crate) fn action_link(base: &str, id: u64, rel: &str) -> Value {
    json!({ "id": id, "rel": rel, "href": format!("{base}/v2/actions/{id}") })
}

/// A backup or snapshot as a Droplet's `backups` / `snapshots` and `/v2/images` list it.
pub(crate) fn image(i: &UserImage) -> Value {
    json!({
        "id": i.id,
        "name": i.name,
        "distribution": i.distribution,
        "slug": null,
        "public": false,
        "regions": [i.region],
        "created_at": State::ts(&i.created),
        "min_disk_size": i.min_disk_gb,
        "size_gigabytes": catalogue::number("1.42"),
        "type": i.kind,
        "description": "",
        "tags": [],
        "status": "available",
        "error_message": "",
    })
}

/// A snapshot as `/v2/snapshots` lists it (string ids).
pub(crate) fn snapshot(i: &UserImage) -> Value {
    json!({
        "id": i.id.to_string(),
        "name": i.name,
        "created_at": State::ts(&i.created),
        "regions": [i.region],
        "min_disk_size": i.min_disk_gb,
        "size_gigabytes": catalogue::number("1.42"),
        "resource_id": i.droplet_id.to_string(),
        "resource_type": "droplet",
        "tags": [],
    })
}

pub(crate) fn ssh_key(k: &SshKey) -> Value {
    json!({ "id": k.id, "fingerprint": k.fingerprint, "public_key": k.public_key, "name": k.name })
}

pub(crate) fn reserved_ip(s: &State, r: &ReservedIp) -> Value {
    let locked = s
        .actions
        .values()
        .any(|a| a.in_progress() && a.resource_id == Some(u64::from(u32::from(r.ip))));
    json!({
        "ip": r.ip.to_string(),
        "region": region_object(r.region),
        "droplet": r.droplet.and_then(|d| s.droplets.get(&d)).map(|d| droplet(s, d)),
        "locked": locked,
        "project_id": r.project_id,
    })
}

pub(crate) fn firewall(f: &Firewall) -> Value {
    let waiting = f.settled_at > Instant::now();
    let pending: Vec<Value> = if waiting {
        f.droplet_ids
            .iter()
            .map(|d| json!({ "droplet_id": d, "removing": false, "status": "waiting" }))
            .collect()
    } else {
        vec![]
    };
    json!({
        "id": f.id,
        "status": if waiting { "waiting" } else { "succeeded" },
        "created_at": State::ts(&f.created),
        "pending_changes": pending,
        "name": f.name,
        "droplet_ids": f.droplet_ids,
        "tags": f.tags,
        "inbound_rules": f.inbound,
        "outbound_rules": f.outbound,
    })
}
