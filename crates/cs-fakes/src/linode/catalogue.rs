//! The fake's catalogue: a handful of regions, plans, images and StackScripts written for
//! the fake (plausible, not copied from Linode), including region-specific prices.

use serde_json::{json, Value};

pub(crate) struct Region {
    pub id: &'static str,
    pub label: &'static str,
    pub country: &'static str,
}

pub(crate) const REGIONS: &[Region] = &[
    Region {
        id: "us-east",
        label: "Newark, NJ",
        country: "us",
    },
    Region {
        id: "us-west",
        label: "Fremont, CA",
        country: "us",
    },
    Region {
        id: "eu-central",
        label: "Frankfurt, DE",
        country: "de",
    },
    Region {
        id: "ap-south",
        label: "Singapore, SG",
        country: "sg",
    },
    Region {
        id: "id-cgk",
        label: "Jakarta, ID",
        country: "id",
    },
    Region {
        id: "br-gru",
        label: "Sao Paulo, BR",
        country: "br",
    },
];

pub(crate) struct Plan {
    pub id: &'static str,
    pub label: &'static str,
    pub class: &'static str,
    pub vcpus: u32,
    pub memory_mb: u64,
    pub disk_mb: u64,
    pub transfer_gb: u64,
    pub network_out_mbps: u64,
    /// Hourly and monthly price as decimal text (sent as JSON numbers).
    pub hourly: &'static str,
    pub monthly: &'static str,
    pub backup_hourly: &'static str,
    pub backup_monthly: &'static str,
}

pub(crate) const PLANS: &[Plan] = &[
    Plan {
        id: "g6-nanode-1",
        label: "Nanode 1GB",
        class: "nanode",
        vcpus: 1,
        memory_mb: 1024,
        disk_mb: 25600,
        transfer_gb: 1000,
        network_out_mbps: 1000,
        hourly: "0.0075",
        monthly: "5",
        backup_hourly: "0.003",
        backup_monthly: "2",
    },
    Plan {
        id: "g6-standard-1",
        label: "Linode 2GB",
        class: "standard",
        vcpus: 1,
        memory_mb: 2048,
        disk_mb: 51200,
        transfer_gb: 2000,
        network_out_mbps: 2000,
        hourly: "0.018",
        monthly: "12",
        backup_hourly: "0.004",
        backup_monthly: "2.5",
    },
    Plan {
        id: "g6-standard-2",
        label: "Linode 4GB",
        class: "standard",
        vcpus: 2,
        memory_mb: 4096,
        disk_mb: 81920,
        transfer_gb: 4000,
        network_out_mbps: 4000,
        hourly: "0.036",
        monthly: "24",
        backup_hourly: "0.008",
        backup_monthly: "5",
    },
    Plan {
        id: "g6-standard-4",
        label: "Linode 8GB",
        class: "standard",
        vcpus: 4,
        memory_mb: 8192,
        disk_mb: 163840,
        transfer_gb: 5000,
        network_out_mbps: 5000,
        hourly: "0.072",
        monthly: "48",
        backup_hourly: "0.015",
        backup_monthly: "10",
    },
    Plan {
        id: "g6-dedicated-2",
        label: "Dedicated 4GB",
        class: "dedicated",
        vcpus: 2,
        memory_mb: 4096,
        disk_mb: 81920,
        transfer_gb: 4000,
        network_out_mbps: 4000,
        hourly: "0.054",
        monthly: "36",
        backup_hourly: "0.008",
        backup_monthly: "5",
    },
];

/// `(plan, hourly, monthly)` prices of one region.
type RegionPriceList = &'static [(&'static str, &'static str, &'static str)];

/// Regions where prices differ from the base price, written out per plan.
pub(crate) const PRICED_REGIONS: &[(&str, RegionPriceList)] = &[
    (
        "id-cgk",
        &[
            ("g6-nanode-1", "0.009", "6"),
            ("g6-standard-1", "0.021", "14.4"),
            ("g6-standard-2", "0.043", "28.8"),
            ("g6-standard-4", "0.086", "57.6"),
            ("g6-dedicated-2", "0.065", "43.2"),
        ],
    ),
    (
        "br-gru",
        &[
            ("g6-nanode-1", "0.0105", "7"),
            ("g6-standard-1", "0.025", "16.8"),
            ("g6-standard-2", "0.05", "33.6"),
            ("g6-standard-4", "0.1", "67.2"),
            ("g6-dedicated-2", "0.076", "50.4"),
        ],
    ),
];

fn num(text: &str) -> Value {
    // Prices are written as decimal text and sent as JSON numbers, like Linode does.
    serde_json::from_str(text).expect("catalogue prices are valid JSON numbers")
}

pub(crate) fn plan(id: &str) -> Option<&'static Plan> {
    PLANS.iter().find(|p| p.id == id)
}

pub(crate) fn region(id: &str) -> Option<&'static Region> {
    REGIONS.iter().find(|r| r.id == id)
}

pub(crate) fn region_json(r: &Region) -> Value {
    json!({
        "id": r.id,
        "label": r.label,
        "country": r.country,
        "capabilities": ["Linodes", "Backups", "Cloud Firewall", "Metadata", "Block Storage"],
        "status": "ok",
        "resolvers": { "ipv4": "192.0.2.53,192.0.2.54", "ipv6": "2001:db8::53" },
    })
}

pub(crate) fn plan_json(p: &Plan) -> Value {
    let mut region_prices = Vec::new();
    let mut backup_region_prices = Vec::new();
    for (region, prices) in PRICED_REGIONS {
        if let Some((_, h, m)) = prices.iter().find(|(id, _, _)| *id == p.id) {
            region_prices.push(json!({ "id": region, "hourly": num(h), "monthly": num(m) }));
            backup_region_prices.push(json!({ "id": region, "hourly": num(p.backup_hourly), "monthly": num(p.backup_monthly) }));
        }
    }
    json!({
        "id": p.id,
        "label": p.label,
        "class": p.class,
        "vcpus": p.vcpus,
        "memory": p.memory_mb,
        "disk": p.disk_mb,
        "transfer": p.transfer_gb,
        "network_out": p.network_out_mbps,
        "gpus": 0,
        "price": { "hourly": num(p.hourly), "monthly": num(p.monthly) },
        "region_prices": region_prices,
        "addons": { "backups": {
            "price": { "hourly": num(p.backup_hourly), "monthly": num(p.backup_monthly) },
            "region_prices": backup_region_prices,
        } },
        "successor": null,
    })
}

pub(crate) struct ImageDef {
    pub id: &'static str,
    pub label: &'static str,
    pub vendor: &'static str,
    pub size_mb: u64,
    pub deprecated: bool,
}

pub(crate) const IMAGES: &[ImageDef] = &[
    ImageDef {
        id: "linode/debian12",
        label: "Debian 12",
        vendor: "Debian",
        size_mb: 1300,
        deprecated: false,
    },
    ImageDef {
        id: "linode/ubuntu24.04",
        label: "Ubuntu 24.04 LTS",
        vendor: "Ubuntu",
        size_mb: 2500,
        deprecated: false,
    },
    ImageDef {
        id: "linode/ubuntu22.04",
        label: "Ubuntu 22.04 LTS",
        vendor: "Ubuntu",
        size_mb: 2300,
        deprecated: false,
    },
    ImageDef {
        id: "linode/almalinux9",
        label: "AlmaLinux 9",
        vendor: "AlmaLinux",
        size_mb: 1800,
        deprecated: false,
    },
    ImageDef {
        id: "linode/centos7",
        label: "CentOS 7",
        vendor: "CentOS",
        size_mb: 1500,
        deprecated: true,
    },
];

pub(crate) fn image(id: &str) -> Option<&'static ImageDef> {
    IMAGES.iter().find(|i| i.id == id)
}

pub(crate) fn image_json(i: &ImageDef, created: &str) -> Value {
    json!({
        "id": i.id,
        "label": i.label,
        "description": null,
        "vendor": i.vendor,
        "is_public": true,
        "deprecated": i.deprecated,
        "size": i.size_mb,
        "total_size": i.size_mb,
        "status": "available",
        "type": "manual",
        "created_by": "linode",
        "capabilities": ["cloud-init"],
        "created": created,
        "updated": created,
        "eol": null,
        "expiry": null,
        "tags": [],
        "regions": [],
    })
}

pub(crate) struct StackScriptDef {
    pub id: u64,
    pub label: &'static str,
    pub description: &'static str,
    pub images: &'static [&'static str],
    pub script: &'static str,
    /// (name, label, example, default)
    pub fields: &'static [(
        &'static str,
        &'static str,
        &'static str,
        Option<&'static str>,
    )],
}

pub(crate) const STACKSCRIPTS: &[StackScriptDef] = &[
    StackScriptDef {
        id: 10_001,
        label: "web-server",
        description: "Installs nginx and serves a welcome page",
        images: &["linode/debian12", "linode/ubuntu24.04"],
        script: "#!/bin/bash\n# <UDF name=\"hostname\" label=\"Hostname\" example=\"web1\" />\n# <UDF name=\"site_title\" label=\"Site title\" example=\"Hello\" default=\"Welcome\" />\napt-get update && apt-get install -y nginx\n",
        fields: &[("hostname", "Hostname", "web1", None), ("site_title", "Site title", "Hello", Some("Welcome"))],
    },
    StackScriptDef {
        id: 10_002,
        label: "docker-host",
        description: "Installs Docker Engine",
        images: &["linode/debian12", "linode/ubuntu22.04", "linode/ubuntu24.04"],
        script: "#!/bin/bash\n# <UDF name=\"admin_user\" label=\"Admin user\" example=\"deploy\" />\ncurl -fsSL https://get.docker.com | sh\n",
        fields: &[("admin_user", "Admin user", "deploy", None)],
    },
];

pub(crate) fn stackscript(id: u64) -> Option<&'static StackScriptDef> {
    STACKSCRIPTS.iter().find(|s| s.id == id)
}

pub(crate) fn stackscript_json(s: &StackScriptDef, created: &str) -> Value {
    let fields: Vec<Value> = s
        .fields
        .iter()
        .map(|(name, label, example, default)| {
            let mut f = json!({ "name": name, "label": label, "example": example });
            if let Some(d) = default {
                f["default"] = json!(d);
            }
            f
        })
        .collect();
    json!({
        "id": s.id,
        "label": s.label,
        // The reseller's own scripts: what the app offers (`{"mine":true}`).
        "username": "reseller",
        "user_gravatar_id": "a445b305abda30ebc766bc7fda037c37",
        "description": s.description,
        "images": s.images,
        "is_public": true,
        "mine": true,
        "rev_note": "initial",
        "script": s.script,
        "user_defined_fields": fields,
        "deployments_total": 12,
        "deployments_active": 3,
        "created": created,
        "updated": created,
    })
}
