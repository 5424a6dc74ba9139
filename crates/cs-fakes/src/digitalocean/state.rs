//! The fake's account state and the actions that change it over time.
//!
//! Every change to a Droplet (and to a reserved IP's assignment) is an [`Action`] with an
//! [`Effect`]: it is `in-progress` until its time comes, then its effect is applied and it
//! is `completed`, or it is `errored` and nothing changes. A Droplet status only moves when
//! an action completes, as on DigitalOcean, whose Droplet statuses (`new`, `active`, `off`)
//! say nothing about what is in flight.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::catalogue;
use super::FakeConfig;

/// An error answer: HTTP status, DigitalOcean's error `id` and message.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: u16,
    pub id: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, id: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            id,
            message: message.into(),
        }
    }
    pub fn not_found() -> Self {
        ApiError::new(
            404,
            "not_found",
            "The resource you were accessing could not be found.",
        )
    }
    pub fn unprocessable(message: impl Into<String>) -> Self {
        ApiError::new(422, "unprocessable_entity", message)
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(400, "bad_request", message)
    }
    pub fn pending_event() -> Self {
        ApiError::unprocessable("Droplet already has a pending event.")
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// A token and what it may do.
#[derive(Debug, Clone)]
pub(crate) struct TokenRec {
    /// Legacy `read` / `write`, or custom `resource:verb` scopes.
    pub scopes: Vec<String>,
}

impl TokenRec {
    /// Whether the token holds `scope` (e.g. `droplet:create`). The legacy `read` scope
    /// grants every `*:read`, `write` every other verb.
    pub fn allows(&self, scope: &str) -> bool {
        let verb = scope.rsplit(':').next().unwrap_or("");
        self.scopes.iter().any(|s| {
            s == scope || (s == "read" && verb == "read") || (s == "write" && verb != "read")
        })
    }
}

/// What happens when an action completes.
#[derive(Debug, Clone)]
pub(crate) enum Effect {
    /// The Droplet becomes `active` with its addresses.
    Create,
    Status(&'static str),
    Resize {
        size: String,
        disk: bool,
    },
    Rebuild {
        image: String,
    },
    EnableBackups {
        plan: String,
    },
    DisableBackups,
    Snapshot {
        name: String,
    },
    Restore,
    Rename {
        name: String,
    },
    /// Reboots, power cycles and password resets change nothing the API shows.
    Nothing,
    Assign {
        ip: Ipv4Addr,
        droplet: u64,
    },
    Unassign {
        ip: Ipv4Addr,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Action {
    pub id: u64,
    pub kind: String,
    pub status: &'static str,
    pub started_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub resource_id: Option<u64>,
    pub resource_type: &'static str,
    pub region: Option<&'static str>,
    pub due: Instant,
    pub effect: Effect,
    pub fails: bool,
}

impl Action {
    pub fn in_progress(&self) -> bool {
        self.status == "in-progress"
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Droplet {
    pub id: u64,
    pub name: String,
    pub region: &'static str,
    pub size: String,
    pub memory_mb: u64,
    pub vcpus: u32,
    pub disk_gb: u64,
    /// Catalogue image slug, or a user image id (snapshot, backup) as text.
    pub image: String,
    pub status: &'static str,
    pub created: DateTime<Utc>,
    pub tags: Vec<String>,
    pub backups: Option<String>,
    pub ipv6: bool,
    pub monitoring: bool,
    pub public_v4: Option<Ipv4Addr>,
    pub private_v4: Option<Ipv4Addr>,
    pub v6: Option<String>,
    pub vpc_uuid: String,
    pub user_data: Option<String>,
    pub ssh_keys: Vec<u64>,
}

/// A backup or snapshot image of a Droplet.
#[derive(Debug, Clone)]
pub(crate) struct UserImage {
    pub id: u64,
    pub name: String,
    /// `backup` or `snapshot`.
    pub kind: &'static str,
    pub droplet_id: u64,
    pub region: &'static str,
    pub distribution: &'static str,
    pub min_disk_gb: u64,
    pub created: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(crate) struct SshKey {
    pub id: u64,
    pub name: String,
    pub public_key: String,
    pub fingerprint: String,
}

#[derive(Debug, Clone)]
pub(crate) struct ReservedIp {
    pub ip: Ipv4Addr,
    pub region: &'static str,
    pub droplet: Option<u64>,
    pub project_id: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Firewall {
    pub id: String,
    pub name: String,
    pub created: DateTime<Utc>,
    pub inbound: Vec<Value>,
    pub outbound: Vec<Value>,
    pub droplet_ids: Vec<u64>,
    pub tags: Vec<String>,
    /// Changes are `waiting` until then.
    pub settled_at: Instant,
}

/// A firewall create or update request, validated.
struct FirewallBody {
    name: String,
    inbound: Vec<Value>,
    outbound: Vec<Value>,
    droplet_ids: Vec<u64>,
    tags: Vec<String>,
}

pub(crate) struct State {
    pub config: FakeConfig,
    pub tokens: HashMap<String, TokenRec>,
    pub account_status: (String, String),
    pub droplets: BTreeMap<u64, Droplet>,
    pub actions: BTreeMap<u64, Action>,
    pub images: BTreeMap<u64, UserImage>,
    pub ssh_keys: BTreeMap<u64, SshKey>,
    pub reserved_ips: BTreeMap<Ipv4Addr, ReservedIp>,
    /// In creation order.
    pub firewalls: Vec<Firewall>,
    pub fail_next: Vec<String>,
    pub next_droplet: u64,
    pub next_action: u64,
    pub next_image: u64,
    pub next_key: u64,
    pub next_ip: u32,
    pub next_reserved: u32,
    pub started: DateTime<Utc>,
    pub account_uuid: String,
}

impl State {
    pub fn new(config: FakeConfig) -> Self {
        State {
            config,
            tokens: HashMap::new(),
            account_status: ("active".to_owned(), " ".to_owned()),
            droplets: BTreeMap::new(),
            actions: BTreeMap::new(),
            images: BTreeMap::new(),
            ssh_keys: BTreeMap::new(),
            reserved_ips: BTreeMap::new(),
            firewalls: Vec::new(),
            fail_next: Vec::new(),
            next_droplet: 300_000_000,
            next_action: 1_900_000_000,
            next_image: 150_000_000,
            next_key: 41_000_000,
            next_ip: 0,
            next_reserved: 0,
            started: Utc::now(),
            account_uuid: "b6fr89dbf6d9156cace5f3c78dc9851d957381ef".to_owned(),
        }
    }

    pub fn ts(t: &DateTime<Utc>) -> String {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }

    fn step(&self) -> Duration {
        self.config.step
    }

    // ------------------------------------------------------------ time

    /// Completes every action whose time has come, oldest first.
    pub fn tick(&mut self, now: Instant) {
        let due: Vec<u64> = self
            .actions
            .values()
            .filter(|a| a.in_progress() && a.due <= now)
            .map(|a| a.id)
            .collect();
        for id in due {
            let Some(a) = self.actions.get(&id).cloned() else {
                continue;
            };
            let ok = !a.fails && self.apply(&a);
            if let Some(a) = self.actions.get_mut(&id) {
                a.status = if ok { "completed" } else { "errored" };
                a.completed_at = Some(Utc::now());
            }
        }
    }

    /// Applies an action's effect; false when its resource is gone.
    fn apply(&mut self, a: &Action) -> bool {
        match &a.effect {
            Effect::Assign { ip, droplet } => {
                if !self.droplets.contains_key(droplet) {
                    return false;
                }
                match self.reserved_ips.get_mut(ip) {
                    Some(r) => {
                        r.droplet = Some(*droplet);
                        true
                    }
                    None => false,
                }
            }
            Effect::Unassign { ip } => match self.reserved_ips.get_mut(ip) {
                Some(r) => {
                    r.droplet = None;
                    true
                }
                None => false,
            },
            effect => {
                let Some(id) = a.resource_id else {
                    return false;
                };
                if !self.droplets.contains_key(&id) {
                    return false;
                }
                match effect.clone() {
                    Effect::Create => {
                        let v4 = self.allocate_public();
                        let private = self.allocate_private();
                        let d = self.droplets.get_mut(&id).expect("checked");
                        d.status = "active";
                        d.public_v4 = Some(v4);
                        d.private_v4 = Some(private);
                        if d.ipv6 {
                            d.v6 = Some(format!("2001:db8:d0::{:x}", id % 0xffff));
                        }
                    }
                    Effect::Status(s) => {
                        self.droplets.get_mut(&id).expect("checked").status = s;
                    }
                    Effect::Resize { size, disk } => {
                        let Some(sz) = catalogue::size(&size) else {
                            return false;
                        };
                        let d = self.droplets.get_mut(&id).expect("checked");
                        d.size = size;
                        d.memory_mb = sz.memory_mb;
                        d.vcpus = sz.vcpus;
                        if disk {
                            d.disk_gb = sz.disk_gb;
                        }
                    }
                    Effect::Rebuild { image } => {
                        self.droplets.get_mut(&id).expect("checked").image = image;
                    }
                    Effect::EnableBackups { plan } => {
                        self.droplets.get_mut(&id).expect("checked").backups = Some(plan);
                    }
                    Effect::DisableBackups => {
                        self.droplets.get_mut(&id).expect("checked").backups = None;
                        // Turning backups off deletes the Droplet's backups.
                        self.images
                            .retain(|_, i| !(i.droplet_id == id && i.kind == "backup"));
                    }
                    Effect::Snapshot { name } => {
                        let d = self.droplets.get(&id).expect("checked").clone();
                        let image = self.user_image(&d, &name, "snapshot");
                        self.images.insert(image.id, image);
                    }
                    Effect::Rename { name } => {
                        self.droplets.get_mut(&id).expect("checked").name = name;
                    }
                    Effect::Restore | Effect::Nothing => {}
                    Effect::Assign { .. } | Effect::Unassign { .. } => unreachable!(),
                }
                true
            }
        }
    }

    // ------------------------------------------------------------ ids and addresses

    fn allocate_public(&mut self) -> Ipv4Addr {
        // Documentation ranges, then the shared address space: never someone's address.
        let n = self.next_ip;
        self.next_ip += 1;
        let block = (n / 250) as usize;
        let doc = [
            Ipv4Addr::new(203, 0, 113, 0),
            Ipv4Addr::new(198, 51, 100, 0),
        ];
        if block < doc.len() {
            Ipv4Addr::from(u32::from(doc[block]) + 2 + n % 250)
        } else {
            Ipv4Addr::from(u32::from(Ipv4Addr::new(100, 64, 0, 0)) + n)
        }
    }

    fn allocate_private(&mut self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 116, 0, 2)) + self.next_ip)
    }

    fn allocate_reserved(&mut self) -> Ipv4Addr {
        let n = self.next_reserved;
        self.next_reserved += 1;
        Ipv4Addr::from(u32::from(Ipv4Addr::new(192, 0, 2, 10)) + n)
    }

    pub fn uuid_like(seed: u64, n: u64) -> String {
        let hex = format!(
            "{:016x}{:016x}",
            seed,
            n.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        );
        format!(
            "{}-{}-4{}-8{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            &hex[17..20],
            &hex[20..32]
        )
    }

    fn vpc_of(region: &str) -> String {
        let n = region.bytes().fold(7u64, |h, b| h * 31 + u64::from(b));
        Self::uuid_like(0x7ec0_0000, n)
    }

    // ------------------------------------------------------------ actions

    fn busy(&self, droplet: u64) -> bool {
        self.actions.values().any(|a| {
            a.in_progress() && a.resource_type == "droplet" && a.resource_id == Some(droplet)
        })
    }

    /// Starts an action that completes after `steps` steps.
    #[allow(clippy::too_many_arguments)]
    fn start_action(
        &mut self,
        kind: &str,
        resource_type: &'static str,
        resource_id: Option<u64>,
        region: Option<&'static str>,
        steps: u32,
        effect: Effect,
    ) -> u64 {
        self.next_action += 1;
        let id = self.next_action;
        let fails = match self.fail_next.iter().position(|k| k == kind) {
            Some(i) => {
                self.fail_next.remove(i);
                true
            }
            None => false,
        };
        self.actions.insert(
            id,
            Action {
                id,
                kind: kind.to_owned(),
                status: "in-progress",
                started_at: Utc::now(),
                completed_at: None,
                resource_id,
                resource_type,
                region,
                due: Instant::now() + self.step() * steps,
                effect,
                fails,
            },
        );
        id
    }

    /// An action that is over as soon as it starts (console changes, destroy).
    fn finished_action(
        &mut self,
        kind: &str,
        resource_id: u64,
        region: Option<&'static str>,
    ) -> u64 {
        self.next_action += 1;
        let id = self.next_action;
        let now = Utc::now();
        self.actions.insert(
            id,
            Action {
                id,
                kind: kind.to_owned(),
                status: "completed",
                started_at: now,
                completed_at: Some(now),
                resource_id: Some(resource_id),
                resource_type: "droplet",
                region,
                due: Instant::now(),
                effect: Effect::Nothing,
                fails: false,
            },
        );
        id
    }

    pub fn action(&self, id: u64) -> ApiResult<&Action> {
        self.actions.get(&id).ok_or_else(ApiError::not_found)
    }

    // ------------------------------------------------------------ droplets

    pub fn droplet(&self, id: u64) -> ApiResult<&Droplet> {
        self.droplets.get(&id).ok_or_else(ApiError::not_found)
    }

    /// `POST /v2/droplets`; returns the Droplet id and its create action.
    pub fn create_droplet(&mut self, body: &Value) -> ApiResult<(u64, u64)> {
        let obj = body
            .as_object()
            .ok_or_else(|| ApiError::bad_request("the request body must be a JSON object"))?;
        if obj.contains_key("names") {
            return Err(ApiError::unprocessable(
                "this fake creates one Droplet per request: send `name`",
            ));
        }
        let name = obj
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::unprocessable("Name is required"))?;
        validate_name(name)?;
        let size_slug = obj.get("size").and_then(Value::as_str).unwrap_or("");
        let size = catalogue::size(size_slug).ok_or_else(|| {
            ApiError::unprocessable("You specified an invalid size for Droplet creation.")
        })?;
        let image_key = match obj.get("image") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let (image, image_min_disk) = self.resolve_image(&image_key).ok_or_else(|| {
            ApiError::unprocessable("You specified an invalid image for Droplet creation.")
        })?;
        let region_slug = obj.get("region").and_then(Value::as_str).unwrap_or("nyc3");
        let region = catalogue::region(region_slug).ok_or_else(|| {
            ApiError::unprocessable("You specified an invalid region for Droplet creation.")
        })?;
        if !region.available {
            return Err(ApiError::unprocessable(format!(
                "Region {} is not available for new Droplets; choose another region",
                region.slug
            )));
        }
        if !size.regions().contains(&region.slug) {
            return Err(ApiError::unprocessable(format!(
                "Size {} is not available in {}",
                size.slug, region.slug
            )));
        }
        if image_min_disk > size.disk_gb {
            return Err(ApiError::unprocessable(
                "The image is too large for the size you selected.",
            ));
        }
        let ssh_keys = match obj.get("ssh_keys") {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(keys)) => {
                let mut ids = Vec::new();
                for k in keys {
                    let found = match k {
                        Value::Number(n) => n
                            .as_u64()
                            .and_then(|id| self.ssh_keys.get(&id))
                            .map(|k| k.id),
                        Value::String(s) => self
                            .ssh_keys
                            .values()
                            .find(|k| &k.fingerprint == s || k.id.to_string() == *s)
                            .map(|k| k.id),
                        _ => None,
                    };
                    ids.push(found.ok_or_else(|| {
                        ApiError::unprocessable(format!(
                            "SSH key {k} was not found on your account"
                        ))
                    })?);
                }
                ids
            }
            Some(_) => return Err(ApiError::bad_request("ssh_keys must be an array")),
        };
        let tags = string_array(obj.get("tags"), "tags")?;
        for t in &tags {
            validate_tag(t)?;
        }
        let user_data = match obj.get("user_data") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.len() <= 64 * 1024 => Some(s.clone()),
            Some(Value::String(_)) => {
                return Err(ApiError::unprocessable("user_data must not exceed 64 KiB"))
            }
            Some(_) => return Err(ApiError::bad_request("user_data must be a string")),
        };
        let backups = match obj.get("backups").and_then(Value::as_bool) {
            Some(true) => Some(backup_plan(obj.get("backup_policy"))?),
            _ => None,
        };
        if self.droplets.len() as u32 >= self.config.droplet_limit {
            return Err(ApiError::unprocessable(
                "creating this/these droplet(s) will exceed your droplet limit",
            ));
        }
        self.next_droplet += 1;
        let id = self.next_droplet;
        let vpc_uuid = match obj.get("vpc_uuid").and_then(Value::as_str) {
            Some(v) if v == Self::vpc_of(region.slug) => v.to_owned(),
            Some(_) => {
                return Err(ApiError::unprocessable(
                    "The VPC does not exist in this region",
                ))
            }
            None => Self::vpc_of(region.slug),
        };
        self.droplets.insert(
            id,
            Droplet {
                id,
                name: name.to_owned(),
                region: region.slug,
                size: size.slug.to_owned(),
                memory_mb: size.memory_mb,
                vcpus: size.vcpus,
                disk_gb: size.disk_gb,
                image,
                status: "new",
                created: Utc::now(),
                tags,
                backups,
                ipv6: obj.get("ipv6").and_then(Value::as_bool).unwrap_or(false),
                monitoring: obj
                    .get("monitoring")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                public_v4: None,
                private_v4: None,
                v6: None,
                vpc_uuid,
                user_data,
                ssh_keys,
            },
        );
        let action = self.start_action(
            "create",
            "droplet",
            Some(id),
            Some(region.slug),
            2,
            Effect::Create,
        );
        Ok((id, action))
    }

    /// The image to build from: a catalogue image, or a snapshot/backup of this account.
    fn resolve_image(&self, key: &str) -> Option<(String, u64)> {
        if let Some(i) = catalogue::image(key) {
            return Some((i.slug.to_owned(), i.min_disk_gb));
        }
        let id: u64 = key.parse().ok()?;
        self.images
            .get(&id)
            .map(|i| (i.id.to_string(), i.min_disk_gb))
    }

    /// An active Droplet made without a request (seeding).
    pub fn seed_droplet(&mut self, name: &str, region: &str, size: &str) -> ApiResult<u64> {
        let body = serde_json::json!({ "name": name, "region": region, "size": size, "image": "ubuntu-24-04-x64", "monitoring": true });
        let limit = self.config.droplet_limit;
        self.config.droplet_limit = u32::MAX;
        let made = self.create_droplet(&body);
        self.config.droplet_limit = limit;
        let (id, action) = made?;
        let a = self.actions.get(&action).cloned().expect("just made");
        self.apply(&a);
        // Seeded Droplets have no history: their create action is forgotten.
        self.actions.remove(&action);
        Ok(id)
    }

    /// `DELETE /v2/droplets/{id}`: gone at once, with a `destroy` action.
    pub fn destroy(&mut self, id: u64) -> ApiResult<()> {
        let d = self.droplets.remove(&id).ok_or_else(ApiError::not_found)?;
        for a in self.actions.values_mut().filter(|a| {
            a.in_progress() && a.resource_type == "droplet" && a.resource_id == Some(id)
        }) {
            a.status = "errored";
            a.completed_at = Some(Utc::now());
        }
        self.images
            .retain(|_, i| !(i.droplet_id == id && i.kind == "backup"));
        for r in self.reserved_ips.values_mut() {
            if r.droplet == Some(id) {
                r.droplet = None;
            }
        }
        for fw in &mut self.firewalls {
            fw.droplet_ids.retain(|d| *d != id);
        }
        self.finished_action("destroy", id, Some(d.region));
        Ok(())
    }

    /// `POST /v2/droplets/{id}/actions`.
    pub fn droplet_action(&mut self, id: u64, body: &Value) -> ApiResult<u64> {
        let d = self.droplet(id)?.clone();
        let kind = body
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::unprocessable("type is required"))?;
        if self.busy(id) {
            return Err(ApiError::pending_event());
        }
        if d.status == "new" {
            return Err(ApiError::unprocessable(
                "Droplet is still being created; wait until it is active",
            ));
        }
        let on = d.status == "active";
        let (steps, effect) = match kind {
            "power_on" => {
                if on {
                    return Err(ApiError::unprocessable("Droplet is already powered on."));
                }
                (1, Effect::Status("active"))
            }
            "power_off" => {
                if !on {
                    return Err(ApiError::unprocessable("Droplet is already powered off."));
                }
                (1, Effect::Status("off"))
            }
            "shutdown" => {
                if !on {
                    return Err(ApiError::unprocessable("Droplet is already powered off."));
                }
                (2, Effect::Status("off"))
            }
            "reboot" => {
                if !on {
                    return Err(ApiError::unprocessable(
                        "Droplet is currently off. Power it on instead.",
                    ));
                }
                (2, Effect::Nothing)
            }
            "power_cycle" => (2, Effect::Status("active")),
            "password_reset" => (2, Effect::Status("active")),
            "resize" => {
                if on {
                    return Err(ApiError::unprocessable(
                        "Droplet is currently on. Please power it off to run this event.",
                    ));
                }
                let slug = body.get("size").and_then(Value::as_str).unwrap_or("");
                let size = catalogue::size(slug)
                    .ok_or_else(|| ApiError::unprocessable("You specified an invalid size."))?;
                if !size.regions().contains(&d.region) {
                    return Err(ApiError::unprocessable(format!(
                        "Size {slug} is not available in {}",
                        d.region
                    )));
                }
                if size.slug == d.size {
                    return Err(ApiError::unprocessable(
                        "The Droplet already has this size.",
                    ));
                }
                let disk = body.get("disk").and_then(Value::as_bool).unwrap_or(false);
                if size.disk_gb < d.disk_gb {
                    return Err(ApiError::unprocessable(
                        "This size's disk is smaller than the Droplet's disk; a Droplet's disk cannot shrink.",
                    ));
                }
                (
                    3,
                    Effect::Resize {
                        size: slug.to_owned(),
                        disk,
                    },
                )
            }
            "rebuild" => {
                let key = match body.get("image") {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => String::new(),
                };
                let (image, min_disk) = self
                    .resolve_image(&key)
                    .ok_or_else(|| ApiError::unprocessable("You specified an invalid image."))?;
                if min_disk > d.disk_gb {
                    return Err(ApiError::unprocessable(
                        "The image is too large for the Droplet's disk.",
                    ));
                }
                (3, Effect::Rebuild { image })
            }
            "enable_backups" => {
                if d.backups.is_some() {
                    return Err(ApiError::unprocessable("Backups are already enabled."));
                }
                (
                    1,
                    Effect::EnableBackups {
                        plan: backup_plan(body.get("backup_policy"))?,
                    },
                )
            }
            "disable_backups" => {
                if d.backups.is_none() {
                    return Err(ApiError::unprocessable("Backups are not enabled."));
                }
                (1, Effect::DisableBackups)
            }
            "snapshot" => {
                let name = body
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("{}-{}", d.name, Utc::now().timestamp_millis()));
                (3, Effect::Snapshot { name })
            }
            "restore" => {
                let image = body.get("image").and_then(Value::as_u64).unwrap_or(0);
                match self.images.get(&image) {
                    Some(i) if i.droplet_id == id && i.kind == "backup" => {}
                    _ => {
                        return Err(ApiError::unprocessable(
                            "The image is not a backup of this Droplet.",
                        ))
                    }
                }
                (3, Effect::Restore)
            }
            "rename" => {
                let name = body.get("name").and_then(Value::as_str).unwrap_or("");
                validate_name(name)?;
                (
                    1,
                    Effect::Rename {
                        name: name.to_owned(),
                    },
                )
            }
            "enable_ipv6" | "change_kernel" | "change_backup_policy" => {
                return Err(ApiError::unprocessable(format!(
                    "{kind} is not supported by this fake"
                )))
            }
            _ => {
                return Err(ApiError::unprocessable(format!(
                    "{kind} is not a Droplet action"
                )))
            }
        };
        Ok(self.start_action(kind, "droplet", Some(id), Some(d.region), steps, effect))
    }

    pub fn console_resize(&mut self, id: u64, size: &str) -> bool {
        let Some(sz) = catalogue::size(size) else {
            return false;
        };
        let Some(d) = self.droplets.get_mut(&id) else {
            return false;
        };
        d.status = "off";
        d.size = size.to_owned();
        d.memory_mb = sz.memory_mb;
        d.vcpus = sz.vcpus;
        let region = d.region;
        self.finished_action("power_off", id, Some(region));
        self.finished_action("resize", id, Some(region));
        true
    }

    pub fn console_backups(&mut self, id: u64, enabled: bool) -> bool {
        let Some(d) = self.droplets.get_mut(&id) else {
            return false;
        };
        d.backups = enabled.then(|| "weekly".to_owned());
        let region = d.region;
        if !enabled {
            self.images
                .retain(|_, i| !(i.droplet_id == id && i.kind == "backup"));
        }
        let kind = if enabled {
            "enable_backups"
        } else {
            "disable_backups"
        };
        self.finished_action(kind, id, Some(region));
        true
    }

    fn user_image(&mut self, d: &Droplet, name: &str, kind: &'static str) -> UserImage {
        self.next_image += 1;
        UserImage {
            id: self.next_image,
            name: name.to_owned(),
            kind,
            droplet_id: d.id,
            region: d.region,
            distribution: catalogue::image(&d.image).map_or("Unknown", |i| i.distribution),
            min_disk_gb: d.disk_gb,
            created: Utc::now(),
        }
    }

    /// One backup per Droplet with backups on; a weekly plan keeps four, daily seven.
    pub fn nightly_backups(&mut self) -> usize {
        let with: Vec<Droplet> = self
            .droplets
            .values()
            .filter(|d| d.backups.is_some())
            .cloned()
            .collect();
        for d in &with {
            let name = format!("{} {}", d.name, Utc::now().format("%Y-%m-%d"));
            let image = self.user_image(d, &name, "backup");
            self.images.insert(image.id, image);
            let keep = if d.backups.as_deref() == Some("daily") {
                7
            } else {
                4
            };
            let mut mine: Vec<u64> = self
                .images
                .values()
                .filter(|i| i.droplet_id == d.id && i.kind == "backup")
                .map(|i| i.id)
                .collect();
            while mine.len() > keep {
                let oldest = mine.remove(0);
                self.images.remove(&oldest);
            }
        }
        with.len()
    }

    // ------------------------------------------------------------ SSH keys

    pub fn add_ssh_key(&mut self, body: &Value) -> ApiResult<u64> {
        let name = body
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| ApiError::unprocessable("Name can't be blank"))?;
        let public_key = body
            .get("public_key")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::unprocessable("Public key can't be blank"))?;
        let fingerprint = fingerprint(public_key)
            .ok_or_else(|| ApiError::unprocessable("Key invalid, type not supported"))?;
        if self.ssh_keys.values().any(|k| k.fingerprint == fingerprint) {
            return Err(ApiError::unprocessable(
                "SSH Key is already in use on your account",
            ));
        }
        self.next_key += 1;
        let id = self.next_key;
        self.ssh_keys.insert(
            id,
            SshKey {
                id,
                name: name.to_owned(),
                public_key: public_key.trim().to_owned(),
                fingerprint,
            },
        );
        Ok(id)
    }

    /// A key by id or fingerprint.
    pub fn ssh_key(&self, key: &str) -> ApiResult<&SshKey> {
        self.ssh_keys
            .values()
            .find(|k| k.id.to_string() == key || k.fingerprint == key)
            .ok_or_else(ApiError::not_found)
    }

    // ------------------------------------------------------------ reserved IPs

    /// `POST /v2/reserved_ips`: assigned to a Droplet (with an assign action) or reserved
    /// to a region.
    pub fn create_reserved_ip(&mut self, body: &Value) -> ApiResult<(Ipv4Addr, Option<u64>)> {
        if self.reserved_ips.len() as u32 >= self.config.reserved_ip_limit {
            return Err(ApiError::unprocessable(
                "You have reached the reserved IP limit of your account.",
            ));
        }
        if let Some(droplet) = body.get("droplet_id") {
            let id = droplet
                .as_u64()
                .ok_or_else(|| ApiError::bad_request("droplet_id must be an integer"))?;
            let region = self.check_assignable(id)?;
            let ip = self.allocate_reserved();
            self.reserved_ips.insert(
                ip,
                ReservedIp {
                    ip,
                    region,
                    droplet: Some(id),
                    project_id: Self::uuid_like(0x9e0, 1),
                },
            );
            let action = self.start_action(
                "assign_ip",
                "reserved_ip",
                Some(u64::from(u32::from(ip))),
                Some(region),
                1,
                Effect::Assign { ip, droplet: id },
            );
            return Ok((ip, Some(action)));
        }
        let slug = body
            .get("region")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::unprocessable("droplet_id or region is required"))?;
        let region = catalogue::region(slug)
            .ok_or_else(|| ApiError::unprocessable("You specified an invalid region."))?;
        let ip = self.allocate_reserved();
        self.reserved_ips.insert(
            ip,
            ReservedIp {
                ip,
                region: region.slug,
                droplet: None,
                project_id: Self::uuid_like(0x9e0, 1),
            },
        );
        Ok((ip, None))
    }

    /// The region of a Droplet a reserved IP may be assigned to.
    fn check_assignable(&self, droplet: u64) -> ApiResult<&'static str> {
        let d = self
            .droplets
            .get(&droplet)
            .ok_or_else(|| ApiError::unprocessable(format!("Droplet {droplet} does not exist")))?;
        if d.status == "new" {
            return Err(ApiError::unprocessable(
                "The Droplet is still being created; try again when it is active",
            ));
        }
        if self
            .reserved_ips
            .values()
            .any(|r| r.droplet == Some(droplet))
            || self.actions.values().any(|a| {
                a.in_progress()
                    && matches!(a.effect, Effect::Assign { droplet: d, .. } if d == droplet)
            })
        {
            return Err(ApiError::unprocessable(
                "The Droplet already has a reserved IP assigned.",
            ));
        }
        Ok(d.region)
    }

    pub fn reserved_ip(&self, ip: &str) -> ApiResult<&ReservedIp> {
        let ip: Ipv4Addr = ip.parse().map_err(|_| ApiError::not_found())?;
        self.reserved_ips.get(&ip).ok_or_else(ApiError::not_found)
    }

    pub fn reserved_ip_action(&mut self, ip: &str, body: &Value) -> ApiResult<u64> {
        let r = self.reserved_ip(ip)?.clone();
        if self
            .actions
            .values()
            .any(|a| a.in_progress() && a.resource_id == Some(u64::from(u32::from(r.ip))))
        {
            return Err(ApiError::unprocessable(
                "The reserved IP already has a pending event.",
            ));
        }
        match body.get("type").and_then(Value::as_str) {
            Some("assign") => {
                let droplet = body
                    .get("droplet_id")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| ApiError::unprocessable("droplet_id is required"))?;
                let region = self.check_assignable(droplet)?;
                if region != r.region {
                    return Err(ApiError::unprocessable(
                        "The reserved IP and the Droplet must be in the same region.",
                    ));
                }
                Ok(self.start_action(
                    "assign_ip",
                    "reserved_ip",
                    Some(u64::from(u32::from(r.ip))),
                    Some(r.region),
                    1,
                    Effect::Assign { ip: r.ip, droplet },
                ))
            }
            Some("unassign") => {
                if r.droplet.is_none() {
                    return Err(ApiError::unprocessable(
                        "The reserved IP is not assigned to a Droplet.",
                    ));
                }
                Ok(self.start_action(
                    "unassign_ip",
                    "reserved_ip",
                    Some(u64::from(u32::from(r.ip))),
                    Some(r.region),
                    1,
                    Effect::Unassign { ip: r.ip },
                ))
            }
            _ => Err(ApiError::unprocessable("type must be assign or unassign")),
        }
    }

    // ------------------------------------------------------------ firewalls

    pub fn firewall(&self, id: &str) -> ApiResult<&Firewall> {
        self.firewalls
            .iter()
            .find(|f| f.id == id)
            .ok_or_else(ApiError::not_found)
    }

    /// Validates a create or update body.
    fn firewall_body(&self, body: &Value) -> ApiResult<FirewallBody> {
        let name = body
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::unprocessable("name is required"))?;
        let valid_name = name.len() >= 2
            && name.len() <= 255
            && name.starts_with(|c: char| c.is_ascii_alphanumeric())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if !valid_name {
            return Err(ApiError::unprocessable(
                "name must begin with a letter or digit and hold only letters, digits, dots and dashes",
            ));
        }
        if body.get("inbound_rules").is_none() && body.get("outbound_rules").is_none() {
            return Err(ApiError::unprocessable(
                "a firewall needs inbound_rules or outbound_rules",
            ));
        }
        let inbound = rules(body.get("inbound_rules"), "sources")?;
        let outbound = rules(body.get("outbound_rules"), "destinations")?;
        let droplet_ids = self.droplet_ids(body.get("droplet_ids"))?;
        let tags = string_array(body.get("tags"), "tags")?;
        Ok(FirewallBody {
            name: name.to_owned(),
            inbound,
            outbound,
            droplet_ids,
            tags,
        })
    }

    pub fn droplet_ids(&self, v: Option<&Value>) -> ApiResult<Vec<u64>> {
        let mut out = Vec::new();
        match v {
            None | Some(Value::Null) => {}
            Some(Value::Array(a)) => {
                for x in a {
                    let id = x
                        .as_u64()
                        .ok_or_else(|| ApiError::bad_request("droplet_ids must be integers"))?;
                    if !self.droplets.contains_key(&id) {
                        return Err(ApiError::unprocessable(format!(
                            "Droplet {id} does not exist"
                        )));
                    }
                    if !out.contains(&id) {
                        out.push(id);
                    }
                }
            }
            Some(_) => return Err(ApiError::bad_request("droplet_ids must be an array")),
        }
        Ok(out)
    }

    pub fn create_firewall(&mut self, body: &Value) -> ApiResult<String> {
        let FirewallBody {
            name,
            inbound,
            outbound,
            droplet_ids,
            tags,
        } = self.firewall_body(body)?;
        let n = self.firewalls.len() as u64 + 1;
        let id = Self::uuid_like(0xf1e_0000 + n, n);
        self.firewalls.push(Firewall {
            id: id.clone(),
            name,
            created: Utc::now(),
            inbound,
            outbound,
            droplet_ids,
            tags,
            settled_at: Instant::now() + self.step(),
        });
        Ok(id)
    }

    pub fn update_firewall(&mut self, id: &str, body: &Value) -> ApiResult<()> {
        self.firewall(id)?;
        let FirewallBody {
            name,
            inbound,
            outbound,
            droplet_ids,
            tags,
        } = self.firewall_body(body)?;
        let settle = Instant::now() + self.step();
        let fw = self
            .firewalls
            .iter_mut()
            .find(|f| f.id == id)
            .expect("checked");
        fw.name = name;
        fw.inbound = inbound;
        fw.outbound = outbound;
        fw.droplet_ids = droplet_ids;
        fw.tags = tags;
        fw.settled_at = settle;
        Ok(())
    }

    pub fn firewall_droplets(&mut self, id: &str, body: &Value, add: bool) -> ApiResult<()> {
        self.firewall(id)?;
        let ids = match body.get("droplet_ids") {
            Some(v @ Value::Array(_)) => self.droplet_ids(Some(v))?,
            _ => return Err(ApiError::bad_request("droplet_ids is required")),
        };
        let settle = Instant::now() + self.step();
        let fw = self
            .firewalls
            .iter_mut()
            .find(|f| f.id == id)
            .expect("checked");
        for d in ids {
            if add && !fw.droplet_ids.contains(&d) {
                fw.droplet_ids.push(d);
            }
            if !add {
                fw.droplet_ids.retain(|x| *x != d);
            }
        }
        fw.settled_at = settle;
        Ok(())
    }

    pub fn delete_firewall(&mut self, id: &str) -> ApiResult<()> {
        self.firewall(id)?;
        self.firewalls.retain(|f| f.id != id);
        Ok(())
    }
}

/// `plan` of a backup policy (weekly when no policy is given: this fake follows the
/// plan DigitalOcean bills at 20 % unless told otherwise).
fn backup_plan(policy: Option<&Value>) -> ApiResult<String> {
    match policy.and_then(|p| p.get("plan")) {
        None => Ok("weekly".to_owned()),
        Some(Value::String(p)) if p == "weekly" || p == "daily" => Ok(p.clone()),
        Some(other) => Err(ApiError::unprocessable(format!(
            "backup plan {other} is not daily or weekly"
        ))),
    }
}

fn string_array(v: Option<&Value>, field: &str) -> ApiResult<Vec<String>> {
    match v {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| ApiError::bad_request(format!("{field} must be strings")))
            })
            .collect(),
        Some(_) => Err(ApiError::bad_request(format!("{field} must be an array"))),
    }
}

/// A Droplet name: the specification's pattern (letters, digits, dots and dashes, ending
/// with a letter or digit), and a host name's first character.
pub(crate) fn validate_name(name: &str) -> ApiResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(ApiError::unprocessable(
            "Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)",
        ))
    }
}

fn validate_tag(tag: &str) -> ApiResult<()> {
    let ok = !tag.is_empty()
        && tag.len() <= 255
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::unprocessable(format!(
            "tag {tag:?} may only hold letters, digits, '_', '-' and ':'"
        )))
    }
}

/// Validates and normalises firewall rules (`sources` for inbound, `destinations` for
/// outbound); ICMP rules get ports "0", as DigitalOcean returns them.
fn rules(v: Option<&Value>, target: &str) -> ApiResult<Vec<Value>> {
    let list = match v {
        None | Some(Value::Null) => return Ok(vec![]),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(ApiError::bad_request("rules must be an array")),
    };
    let mut out = Vec::new();
    for r in list {
        let protocol = r.get("protocol").and_then(Value::as_str).unwrap_or("");
        if !matches!(protocol, "tcp" | "udp" | "icmp") {
            return Err(ApiError::unprocessable(format!(
                "protocol {protocol:?} is not tcp, udp or icmp"
            )));
        }
        let ports = if protocol == "icmp" {
            "0".to_owned()
        } else {
            let p = r.get("ports").and_then(Value::as_str).unwrap_or("");
            if !valid_ports(p) {
                return Err(ApiError::unprocessable(format!(
                    "ports {p:?} must be \"0\" (all), a port or a range such as 8000-9000"
                )));
            }
            p.to_owned()
        };
        let t = r.get(target).cloned().unwrap_or(Value::Null);
        let addresses = string_array(t.get("addresses"), "addresses")?;
        for a in &addresses {
            if !valid_cidr(a) {
                return Err(ApiError::unprocessable(format!(
                    "{a:?} is not an IP address or CIDR"
                )));
            }
        }
        let droplet_ids: Vec<u64> = t
            .get("droplet_ids")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default();
        let tags = string_array(t.get("tags"), "tags")?;
        if addresses.is_empty() && droplet_ids.is_empty() && tags.is_empty() {
            return Err(ApiError::unprocessable(format!(
                "every rule needs {target}: addresses, droplet_ids or tags"
            )));
        }
        let mut tv = serde_json::Map::new();
        if !addresses.is_empty() {
            tv.insert("addresses".into(), serde_json::json!(addresses));
        }
        if !droplet_ids.is_empty() {
            tv.insert("droplet_ids".into(), serde_json::json!(droplet_ids));
        }
        if !tags.is_empty() {
            tv.insert("tags".into(), serde_json::json!(tags));
        }
        out.push(
            serde_json::json!({ "protocol": protocol, "ports": ports, target: Value::Object(tv) }),
        );
    }
    Ok(out)
}

fn valid_ports(p: &str) -> bool {
    let port = |s: &str| s.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n));
    p == "0"
        || port(p)
        || p.split_once('-').is_some_and(|(a, b)| {
            port(a) && port(b) && a.parse::<u32>().ok() < b.parse::<u32>().ok()
        })
}

fn valid_cidr(a: &str) -> bool {
    let (ip, prefix) = match a.split_once('/') {
        Some((ip, p)) => (ip, Some(p)),
        None => (a, None),
    };
    match ip.parse::<std::net::IpAddr>() {
        Ok(addr) => {
            let max = if addr.is_ipv4() { 32 } else { 128 };
            prefix.is_none_or(|p| p.parse::<u32>().is_ok_and(|n| n <= max))
        }
        Err(_) => false,
    }
}

/// An OpenSSH public key's MD5 fingerprint, as DigitalOcean shows it (`aa:bb:…`).
pub(crate) fn fingerprint(public_key: &str) -> Option<String> {
    use base64::Engine as _;
    use md5::Digest as _;
    let mut parts = public_key.split_whitespace();
    let kind = parts.next()?;
    if !matches!(
        kind,
        "ssh-ed25519"
            | "ssh-rsa"
            | "ecdsa-sha2-nistp256"
            | "ecdsa-sha2-nistp384"
            | "ecdsa-sha2-nistp521"
    ) {
        return None;
    }
    let blob = base64::engine::general_purpose::STANDARD
        .decode(parts.next()?)
        .ok()?;
    // The blob starts with the key type as an SSH string.
    let len = u32::from_be_bytes(blob.get(0..4)?.try_into().ok()?) as usize;
    if blob.get(4..4 + len)? != kind.as_bytes() {
        return None;
    }
    let digest = md5::Md5::digest(&blob);
    Some(
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn state(step_ms: u64) -> State {
        let mut cfg = FakeConfig::fast();
        cfg.step = Duration::from_millis(step_ms);
        State::new(cfg)
    }

    #[test]
    fn a_create_is_new_until_its_action_completes() {
        let mut s = state(10);
        let (id, action) = s
            .create_droplet(&json!({"name":"web-1","size":"s-1vcpu-1gb","image":"ubuntu-24-04-x64","region":"nyc3"}))
            .unwrap();
        assert_eq!(s.droplets[&id].status, "new");
        assert!(s.droplets[&id].public_v4.is_none());
        assert!(matches!(
            s.droplet_action(id, &json!({"type":"reboot"})),
            Err(e) if e.status == 422
        ));
        s.tick(Instant::now() + Duration::from_millis(25));
        assert_eq!(s.droplets[&id].status, "active");
        assert!(s.droplets[&id].public_v4.is_some());
        assert_eq!(s.actions[&action].status, "completed");
    }

    #[test]
    fn one_pending_action_at_a_time_and_resize_needs_power_off() {
        let mut s = state(10);
        let id = s.seed_droplet("a", "nyc3", "s-1vcpu-1gb").unwrap();
        let err = s
            .droplet_action(id, &json!({"type":"resize","size":"s-2vcpu-4gb"}))
            .unwrap_err();
        assert!(err.message.contains("power it off"), "{}", err.message);
        s.droplet_action(id, &json!({"type":"power_off"})).unwrap();
        let busy = s
            .droplet_action(id, &json!({"type":"power_on"}))
            .unwrap_err();
        assert_eq!(busy.message, "Droplet already has a pending event.");
        s.tick(Instant::now() + Duration::from_millis(15));
        assert_eq!(s.droplets[&id].status, "off");
        s.droplet_action(
            id,
            &json!({"type":"resize","size":"s-2vcpu-4gb","disk":true}),
        )
        .unwrap();
        s.tick(Instant::now() + Duration::from_millis(40));
        assert_eq!(s.droplets[&id].size, "s-2vcpu-4gb");
        assert_eq!(s.droplets[&id].disk_gb, 80);
        assert_eq!(s.droplets[&id].status, "off", "a resize leaves it off");
    }

    #[test]
    fn a_failed_action_changes_nothing() {
        let mut s = state(10);
        let id = s.seed_droplet("a", "nyc3", "s-1vcpu-1gb").unwrap();
        s.fail_next.push("power_off".into());
        let a = s.droplet_action(id, &json!({"type":"power_off"})).unwrap();
        s.tick(Instant::now() + Duration::from_millis(15));
        assert_eq!(s.actions[&a].status, "errored");
        assert_eq!(s.droplets[&id].status, "active");
    }

    #[test]
    fn names_tags_and_scopes() {
        assert!(validate_name("web-1.example.com").is_ok());
        assert!(validate_name("a").is_ok());
        assert!(validate_name("-web").is_err());
        assert!(validate_name("web_1").is_err());
        assert!(validate_name("web-").is_err());
        assert!(validate_tag("cs-0193a2b4-aaaa").is_ok());
        assert!(validate_tag("env:prod").is_ok());
        assert!(validate_tag("bad tag").is_err());
        let ro = TokenRec {
            scopes: vec!["read".into()],
        };
        assert!(ro.allows("droplet:read") && !ro.allows("droplet:create"));
        let full = TokenRec {
            scopes: vec!["read".into(), "write".into()],
        };
        assert!(full.allows("droplet:create") && full.allows("droplet:admin"));
        let custom = TokenRec {
            scopes: vec!["droplet:read".into(), "droplet:create".into()],
        };
        assert!(custom.allows("droplet:create") && !custom.allows("droplet:delete"));
    }

    #[test]
    fn fingerprints_are_md5_of_the_key_blob() {
        // The blob of an ed25519 key: "ssh-ed25519" and 32 key bytes.
        let mut blob = Vec::new();
        blob.extend_from_slice(&11u32.to_be_bytes());
        blob.extend_from_slice(b"ssh-ed25519");
        blob.extend_from_slice(&32u32.to_be_bytes());
        blob.extend_from_slice(&[7u8; 32]);
        use base64::Engine as _;
        let key = format!(
            "ssh-ed25519 {} me@example",
            base64::engine::general_purpose::STANDARD.encode(&blob)
        );
        let fp = fingerprint(&key).unwrap();
        assert_eq!(fp.len(), 47);
        assert_eq!(fp.matches(':').count(), 15);
        assert_eq!(fingerprint("ssh-ed25519 !!!"), None);
        assert_eq!(fingerprint("ssh-rsa AAAA"), None);
    }
}
