//! The fake's catalogue: a few regions, sizes and images in DigitalOcean's shape (slugs
//! and prices written for the fake, not copied from DigitalOcean). Hourly prices are sent
//! as DigitalOcean sends them, the single-precision value of the published price printed
//! at full length (`0.00892999954521656` for 0.00893), so clients must not trust the
//! digits beyond the published ones.

use serde_json::{json, Value};

pub(crate) struct Region {
    pub slug: &'static str,
    pub name: &'static str,
    pub available: bool,
}

/// Only slugs the specification's `region_slug` enum knows, since images list theirs.
pub(crate) const REGIONS: &[Region] = &[
    Region {
        slug: "nyc1",
        name: "New York 1",
        available: false,
    },
    Region {
        slug: "nyc3",
        name: "New York 3",
        available: true,
    },
    Region {
        slug: "sfo3",
        name: "San Francisco 3",
        available: true,
    },
    Region {
        slug: "ams3",
        name: "Amsterdam 3",
        available: true,
    },
    Region {
        slug: "fra1",
        name: "Frankfurt 1",
        available: true,
    },
    Region {
        slug: "lon1",
        name: "London 1",
        available: true,
    },
    Region {
        slug: "sgp1",
        name: "Singapore 1",
        available: true,
    },
    Region {
        slug: "syd1",
        name: "Sydney 1",
        available: true,
    },
];

pub(crate) struct Size {
    pub slug: &'static str,
    pub description: &'static str,
    pub memory_mb: u64,
    pub vcpus: u32,
    pub disk_gb: u64,
    /// Terabytes, as DigitalOcean sends them.
    pub transfer_tb: &'static str,
    pub monthly: &'static str,
    pub hourly: &'static str,
    pub available: bool,
    /// Regions where it can be created; empty means every available region.
    pub only_in: &'static [&'static str],
}

pub(crate) const SIZES: &[Size] = &[
    Size {
        slug: "s-1vcpu-512mb-10gb",
        description: "Basic",
        memory_mb: 512,
        vcpus: 1,
        disk_gb: 10,
        transfer_tb: "0.5",
        monthly: "4.0",
        hourly: "0.005950000137090683",
        available: true,
        only_in: &["nyc3", "sfo3", "ams3", "fra1"],
    },
    Size {
        slug: "s-1vcpu-1gb",
        description: "Basic",
        memory_mb: 1024,
        vcpus: 1,
        disk_gb: 25,
        transfer_tb: "1.0",
        monthly: "6.0",
        hourly: "0.00892999954521656",
        available: true,
        only_in: &[],
    },
    Size {
        slug: "s-1vcpu-2gb",
        description: "Basic",
        memory_mb: 2048,
        vcpus: 1,
        disk_gb: 50,
        transfer_tb: "2.0",
        monthly: "12.0",
        hourly: "0.01785999909043312",
        available: true,
        only_in: &[],
    },
    Size {
        slug: "s-2vcpu-2gb",
        description: "Basic",
        memory_mb: 2048,
        vcpus: 2,
        disk_gb: 60,
        transfer_tb: "3.0",
        monthly: "18.0",
        hourly: "0.02679000049829483",
        available: true,
        only_in: &[],
    },
    Size {
        slug: "s-2vcpu-4gb",
        description: "Basic",
        memory_mb: 4096,
        vcpus: 2,
        disk_gb: 80,
        transfer_tb: "4.0",
        monthly: "24.0",
        hourly: "0.03570999950170517",
        available: true,
        only_in: &[],
    },
    Size {
        slug: "s-4vcpu-8gb",
        description: "Basic",
        memory_mb: 8192,
        vcpus: 4,
        disk_gb: 160,
        transfer_tb: "5.0",
        monthly: "48.0",
        hourly: "0.07142999768257141",
        available: true,
        only_in: &[],
    },
    Size {
        slug: "g-2vcpu-8gb",
        description: "General Purpose",
        memory_mb: 8192,
        vcpus: 2,
        disk_gb: 25,
        transfer_tb: "4.0",
        monthly: "63.0",
        hourly: "0.09375",
        available: true,
        only_in: &["nyc3", "fra1", "lon1"],
    },
    Size {
        slug: "so-2vcpu-16gb",
        description: "Storage-Optimized",
        memory_mb: 16384,
        vcpus: 2,
        disk_gb: 300,
        transfer_tb: "4.0",
        monthly: "131.0",
        hourly: "0.1949400007724762",
        available: false,
        only_in: &[],
    },
];

pub(crate) fn region(slug: &str) -> Option<&'static Region> {
    REGIONS.iter().find(|r| r.slug == slug)
}

pub(crate) fn size(slug: &str) -> Option<&'static Size> {
    SIZES.iter().find(|s| s.slug == slug)
}

impl Size {
    /// Regions where this size can be created now.
    pub fn regions(&self) -> Vec<&'static str> {
        if !self.available {
            return vec![];
        }
        REGIONS
            .iter()
            .filter(|r| r.available && (self.only_in.is_empty() || self.only_in.contains(&r.slug)))
            .map(|r| r.slug)
            .collect()
    }
}

/// A DigitalOcean image: distribution images have `type: base`, 1-Click application
/// images are public `snapshot`s.
pub(crate) struct Image {
    pub id: u64,
    pub slug: &'static str,
    pub name: &'static str,
    pub distribution: &'static str,
    pub application: bool,
    pub min_disk_gb: u64,
    pub size_gb: &'static str,
    pub description: &'static str,
}

pub(crate) const IMAGES: &[Image] = &[
    Image {
        id: 160_000_101,
        slug: "ubuntu-24-04-x64",
        name: "24.04 (LTS) x64",
        distribution: "Ubuntu",
        application: false,
        min_disk_gb: 7,
        size_gb: "2.36",
        description: "Ubuntu 24.04 (LTS) x64",
    },
    Image {
        id: 160_000_102,
        slug: "ubuntu-22-04-x64",
        name: "22.04 (LTS) x64",
        distribution: "Ubuntu",
        application: false,
        min_disk_gb: 7,
        size_gb: "2.2",
        description: "Ubuntu 22.04 (LTS) x64",
    },
    Image {
        id: 160_000_103,
        slug: "debian-12-x64",
        name: "12 x64",
        distribution: "Debian",
        application: false,
        min_disk_gb: 7,
        size_gb: "1.03",
        description: "Debian 12 x64",
    },
    Image {
        id: 160_000_104,
        slug: "rockylinux-9-x64",
        name: "9 x64",
        distribution: "Rocky Linux",
        application: false,
        min_disk_gb: 10,
        size_gb: "1.57",
        description: "Rocky Linux 9 x64",
    },
    Image {
        id: 160_000_105,
        slug: "fedora-40-x64",
        name: "40 x64",
        distribution: "Fedora",
        application: false,
        min_disk_gb: 10,
        size_gb: "1.32",
        description: "Fedora 40 x64",
    },
    Image {
        id: 160_000_201,
        slug: "wordpress-24-04",
        name: "WordPress 6.6 on Ubuntu 24.04",
        distribution: "Ubuntu",
        application: true,
        min_disk_gb: 25,
        size_gb: "4.12",
        description: "WordPress 1-Click application",
    },
    Image {
        id: 160_000_202,
        slug: "docker-20-04",
        name: "Docker 27 on Ubuntu 22.04",
        distribution: "Ubuntu",
        application: true,
        min_disk_gb: 15,
        size_gb: "3.4",
        description: "Docker 1-Click application",
    },
];

/// A catalogue image by numeric id or slug.
pub(crate) fn image(key: &str) -> Option<&'static Image> {
    IMAGES
        .iter()
        .find(|i| i.slug == key || i.id.to_string() == key)
}

/// Image regions: every region of the catalogue (the spec's enum knows them all).
pub(crate) fn image_regions() -> Vec<&'static str> {
    REGIONS.iter().map(|r| r.slug).collect()
}

/// A JSON number from decimal text, so prices go out with exactly the digits written here.
pub(crate) fn number(text: &str) -> Value {
    serde_json::from_str::<serde_json::Number>(text)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

pub(crate) fn region_json(r: &Region) -> Value {
    let sizes: Vec<&str> = SIZES
        .iter()
        .filter(|s| s.regions().contains(&r.slug))
        .map(|s| s.slug)
        .collect();
    json!({
        "name": r.name,
        "slug": r.slug,
        "features": ["backups", "ipv6", "metadata", "install_agent", "storage", "image_transfer"],
        "available": r.available,
        "sizes": if r.available { sizes } else { vec![] },
    })
}

pub(crate) fn size_json(s: &Size) -> Value {
    json!({
        "slug": s.slug,
        "memory": s.memory_mb,
        "vcpus": s.vcpus,
        "disk": s.disk_gb,
        "transfer": number(s.transfer_tb),
        "price_monthly": number(s.monthly),
        "price_hourly": number(s.hourly),
        "regions": s.regions(),
        "available": s.available,
        "description": s.description,
        "disk_info": [{ "type": "local", "size": { "amount": s.disk_gb, "unit": "gib" } }],
    })
}

pub(crate) fn image_json(i: &Image, created: &str) -> Value {
    json!({
        "id": i.id,
        "name": i.name,
        "distribution": i.distribution,
        "slug": i.slug,
        "public": true,
        "regions": image_regions(),
        "created_at": created,
        "type": if i.application { "snapshot" } else { "base" },
        "min_disk_size": i.min_disk_gb,
        "size_gigabytes": number(i.size_gb),
        "description": i.description,
        "tags": [],
        "status": "available",
        "error_message": "",
    })
}
