//! The fake's account state and its clock-driven simulation of instance status changes.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::catalogue;
use super::FakeConfig;

/// An error answer: HTTP status plus Linode's `{"errors":[…]}` entries.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: u16,
    pub errors: Vec<(String, Option<String>)>,
}

impl ApiError {
    pub fn new(status: u16, reason: &str) -> Self {
        ApiError {
            status,
            errors: vec![(reason.to_owned(), None)],
        }
    }
    pub fn field(status: u16, field: &str, reason: &str) -> Self {
        ApiError {
            status,
            errors: vec![(reason.to_owned(), Some(field.to_owned()))],
        }
    }
    pub fn not_found() -> Self {
        ApiError::new(404, "Not found")
    }
    pub fn busy() -> Self {
        ApiError::new(400, "Linode busy.")
    }
    pub fn body(&self) -> Value {
        let errors: Vec<Value> = self
            .errors
            .iter()
            .map(|(reason, field)| match field {
                Some(f) => json!({ "reason": reason, "field": f }),
                None => json!({ "reason": reason }),
            })
            .collect();
        json!({ "errors": errors })
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

#[derive(Debug, Clone)]
pub(crate) struct Transition {
    pub at: Instant,
    pub status: &'static str,
    /// Event to mark finished when this transition happens.
    pub finishes_event: Option<u64>,
    pub delete: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Ip {
    pub address: Ipv4Addr,
    pub public: bool,
    pub rdns: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct BackupRec {
    pub id: u64,
    pub label: Option<String>,
    pub kind: &'static str,
    pub status: &'static str,
    pub created: DateTime<Utc>,
    pub finished: Option<DateTime<Utc>>,
    pub ready_at: Option<Instant>,
}

#[derive(Debug, Clone)]
pub(crate) struct Instance {
    pub id: u64,
    pub label: String,
    pub region: String,
    pub type_id: String,
    pub image: Option<String>,
    pub status: &'static str,
    pub tags: Vec<String>,
    pub ips: Vec<Ip>,
    pub ipv6: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub has_user_data: bool,
    pub backups_enabled: bool,
    pub automatic: Vec<BackupRec>,
    pub snapshot_current: Option<BackupRec>,
    pub snapshot_in_progress: Option<BackupRec>,
    pub pending: VecDeque<Transition>,
    pub host_uuid: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub id: u64,
    pub action: &'static str,
    pub entity: Option<(u64, String, &'static str)>,
    pub status: &'static str,
    pub percent: u32,
    pub created: DateTime<Utc>,
    pub started_at: Instant,
    pub duration_ms: Option<u64>,
    pub username: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Firewall {
    pub id: u64,
    pub label: String,
    pub status: String,
    pub rules: Value,
    pub version: u64,
    pub tags: Vec<String>,
    pub devices: Vec<(u64, u64, DateTime<Utc>)>, // (device id, linode id, created)
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// A token and what it may do.
#[derive(Debug, Clone)]
pub(crate) struct TokenRec {
    /// `*` or `area:level` entries.
    pub scopes: Vec<String>,
    pub username: String,
    /// What `GET /profile/tokens` lists: an id, a label, when it was made and when it
    /// expires (`None`: never).
    pub id: u64,
    pub label: String,
    pub created: DateTime<Utc>,
    pub expiry: Option<DateTime<Utc>>,
}

impl TokenRec {
    pub fn header(&self) -> String {
        self.scopes.join(" ")
    }
    pub fn allows(&self, area: &str, write: bool) -> bool {
        self.scopes.iter().any(|s| {
            if s == "*" {
                return true;
            }
            let (a, level) = s.split_once(':').unwrap_or((s.as_str(), "read_write"));
            a == area && (!write || level == "read_write")
        })
    }
}

pub(crate) struct State {
    pub config: FakeConfig,
    pub tokens: HashMap<String, TokenRec>,
    pub instances: BTreeMap<u64, Instance>,
    pub events: Vec<Event>,
    pub firewalls: BTreeMap<u64, Firewall>,
    /// name → addresses it resolves to, for the rDNS forward check.
    pub forward_dns: HashMap<String, Vec<String>>,
    pub next_id: u64,
    pub next_ip: u32,
    pub started: DateTime<Utc>,
}

impl State {
    pub fn new(config: FakeConfig) -> Self {
        State {
            config,
            tokens: HashMap::new(),
            instances: BTreeMap::new(),
            events: Vec::new(),
            firewalls: BTreeMap::new(),
            forward_dns: HashMap::new(),
            next_id: 1000,
            next_ip: 0,
            started: Utc::now(),
        }
    }

    pub fn ts(&self, t: &DateTime<Utc>) -> String {
        if self.config.zoned_timestamps {
            t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
        } else {
            t.format("%Y-%m-%dT%H:%M:%S").to_string()
        }
    }

    /// A token record with the next token id (labels like Cloud Manager's: `token-N`).
    pub fn new_token(
        &mut self,
        username: &str,
        scopes: Vec<String>,
        expiry: Option<DateTime<Utc>>,
    ) -> TokenRec {
        let id = self.tokens.values().map(|t| t.id).max().unwrap_or(0) + 1;
        TokenRec {
            scopes,
            username: username.to_owned(),
            id,
            label: format!("token-{id}"),
            created: Utc::now(),
            expiry,
        }
    }

    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn step(&self) -> Duration {
        self.config.step
    }

    pub fn allocate_ip(&mut self, public: bool) -> Ipv4Addr {
        let n = self.next_ip;
        self.next_ip += 1;
        if !public {
            return Ipv4Addr::from(u32::from(Ipv4Addr::new(192, 168, 128, 0)) + 1 + n);
        }
        // Documentation ranges first, then the shared address space, so the fake never
        // hands out an address that belongs to someone.
        let doc = [
            Ipv4Addr::new(203, 0, 113, 0),
            Ipv4Addr::new(198, 51, 100, 0),
            Ipv4Addr::new(192, 0, 2, 0),
        ];
        let block = (n / 250) as usize;
        if block < doc.len() {
            Ipv4Addr::from(u32::from(doc[block]) + 2 + n % 250)
        } else {
            Ipv4Addr::from(u32::from(Ipv4Addr::new(100, 64, 0, 0)) + n)
        }
    }

    /// Applies every status change whose time has come.
    pub fn tick(&mut self, now: Instant) {
        let mut finished = Vec::new();
        let mut deleted = Vec::new();
        for inst in self.instances.values_mut() {
            while inst.pending.front().is_some_and(|t| t.at <= now) {
                let t = inst.pending.pop_front().expect("checked above");
                inst.status = t.status;
                inst.updated = Utc::now();
                if let Some(e) = t.finishes_event {
                    finished.push(e);
                }
                if t.delete {
                    deleted.push(inst.id);
                }
            }
            if let Some(snap) = &inst.snapshot_in_progress {
                if snap.ready_at.is_some_and(|r| r <= now) {
                    let mut done = inst.snapshot_in_progress.take().expect("checked");
                    done.status = "successful";
                    done.finished = Some(Utc::now());
                    done.ready_at = None;
                    inst.snapshot_current = Some(done);
                }
            }
        }
        for id in deleted {
            self.instances.remove(&id);
            for fw in self.firewalls.values_mut() {
                fw.devices.retain(|(_, linode, _)| *linode != id);
            }
        }
        for e in self.events.iter_mut().filter(|e| finished.contains(&e.id)) {
            e.status = "finished";
            e.percent = 100;
            e.duration_ms = Some(now.saturating_duration_since(e.started_at).as_millis() as u64);
        }
    }

    pub fn event(
        &mut self,
        action: &'static str,
        entity: Option<(u64, String, &'static str)>,
        username: &str,
        in_progress: bool,
    ) -> u64 {
        let id = self.id();
        self.events.push(Event {
            id,
            action,
            entity,
            status: if in_progress {
                "started"
            } else {
                "notification"
            },
            percent: if in_progress { 0 } else { 100 },
            created: Utc::now(),
            started_at: Instant::now(),
            duration_ms: None,
            username: username.to_owned(),
        });
        id
    }

    /// Schedules `steps` status changes, one `step` apart, finishing `event` at the last.
    fn schedule(
        &mut self,
        id: u64,
        steps: &[&'static str],
        event: Option<u64>,
        delete_at_end: bool,
    ) {
        let step = self.step();
        let now = Instant::now();
        if let Some(inst) = self.instances.get_mut(&id) {
            inst.pending.clear();
            let n = steps.len();
            if let Some(first) = steps.first() {
                inst.status = first;
            }
            for (i, s) in steps.iter().enumerate().skip(1) {
                inst.pending.push_back(Transition {
                    at: now + step * (i as u32),
                    status: s,
                    finishes_event: if i + 1 == n { event } else { None },
                    delete: false,
                });
            }
            if delete_at_end {
                inst.pending.push_back(Transition {
                    at: now + step * (n as u32),
                    status: "deleting",
                    finishes_event: event,
                    delete: true,
                });
            } else if n == 1 {
                if let Some(e) = event {
                    self.events
                        .iter_mut()
                        .filter(|ev| ev.id == e)
                        .for_each(|ev| {
                            ev.status = "finished";
                            ev.percent = 100;
                        });
                }
            }
        }
    }

    pub fn instance(&self, id: u64) -> ApiResult<&Instance> {
        self.instances.get(&id).ok_or_else(ApiError::not_found)
    }

    fn settled(&self, id: u64) -> ApiResult<&Instance> {
        let inst = self.instance(id)?;
        if !inst.pending.is_empty() || inst.status == "deleting" {
            return Err(ApiError::busy());
        }
        Ok(inst)
    }

    // ------------------------------------------------------------ instance lifecycle

    pub fn create_instance(&mut self, body: &Value, username: &str) -> ApiResult<u64> {
        let obj = body
            .as_object()
            .ok_or_else(|| ApiError::new(400, "Request body must be a JSON object"))?;
        let region = obj
            .get("region")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::field(400, "region", "region is required"))?;
        if catalogue::region(region).is_none() {
            return Err(ApiError::field(400, "region", "region is not valid"));
        }
        let type_id = obj
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::field(400, "type", "type is required"))?;
        if catalogue::plan(type_id).is_none() {
            return Err(ApiError::field(
                400,
                "type",
                "A valid plan type by that ID was not found",
            ));
        }
        let id = self.id();
        let label = match obj.get("label").and_then(Value::as_str) {
            Some(l) => l.to_owned(),
            None => format!("linode{id}"),
        };
        validate_label(&label)?;
        if self.instances.values().any(|i| i.label == label) {
            return Err(ApiError::field(
                400,
                "label",
                "Label must be unique among your linodes",
            ));
        }
        let image = obj.get("image").and_then(Value::as_str);
        if let Some(image) = image {
            if catalogue::image(image).is_none() {
                return Err(ApiError::field(400, "image", "Image is not valid"));
            }
            let has_pass = obj.get("root_pass").and_then(Value::as_str).is_some();
            let has_keys = obj
                .get("authorized_keys")
                .and_then(Value::as_array)
                .is_some_and(|k| !k.is_empty());
            if !has_pass && !has_keys {
                return Err(ApiError::new(
                    400,
                    "Must provide valid root_pass, authorized_keys, or authorized_users",
                ));
            }
        }
        if let Some(pass) = obj.get("root_pass").and_then(Value::as_str) {
            validate_root_pass(pass)?;
        }
        if let Some(ss) = obj.get("stackscript_id").and_then(Value::as_u64) {
            let def = catalogue::stackscript(ss)
                .ok_or_else(|| ApiError::field(400, "stackscript_id", "StackScript not found"))?;
            let data = obj.get("stackscript_data").and_then(Value::as_object);
            for (name, _, _, default) in def.fields {
                let given = data
                    .and_then(|d| d.get(*name))
                    .and_then(Value::as_str)
                    .is_some_and(|v| !v.is_empty());
                if !given && default.is_none() {
                    return Err(ApiError::field(
                        400,
                        &format!("stackscript_data.{name}"),
                        &format!("{name} is required"),
                    ));
                }
            }
            if image.is_some_and(|i| !def.images.contains(&i)) {
                return Err(ApiError::field(
                    400,
                    "image",
                    "Image is not compatible with this StackScript",
                ));
            }
        }
        let has_user_data = match obj.get("metadata").and_then(|m| m.get("user_data")) {
            Some(Value::String(ud)) => {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD
                    .decode(ud)
                    .map_err(|_| {
                        ApiError::field(
                            400,
                            "metadata.user_data",
                            "user_data must be base64-encoded",
                        )
                    })?;
                true
            }
            Some(_) => {
                return Err(ApiError::field(
                    400,
                    "metadata.user_data",
                    "user_data must be a string",
                ))
            }
            None => false,
        };
        if let Some(fw) = obj.get("firewall_id").and_then(Value::as_u64) {
            if !self.firewalls.contains_key(&fw) {
                return Err(ApiError::field(400, "firewall_id", "Firewall not found"));
            }
        }
        let tags = string_list(obj.get("tags"));
        let address = self.allocate_ip(true);
        let now = Utc::now();
        let booted = obj.get("booted").and_then(Value::as_bool).unwrap_or(true) && image.is_some();
        let inst = Instance {
            id,
            label: label.clone(),
            region: region.to_owned(),
            type_id: type_id.to_owned(),
            image: image.map(str::to_owned),
            status: "provisioning",
            tags,
            ips: vec![Ip {
                address,
                public: true,
                rdns: None,
            }],
            ipv6: format!("2001:db8:{:x}::{:x}/128", id >> 16, id & 0xffff),
            created: now,
            updated: now,
            has_user_data,
            backups_enabled: obj
                .get("backups_enabled")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            automatic: Vec::new(),
            snapshot_current: None,
            snapshot_in_progress: None,
            pending: VecDeque::new(),
            host_uuid: uuid_like(id),
        };
        self.instances.insert(id, inst);
        if let Some(fw) = obj.get("firewall_id").and_then(Value::as_u64) {
            let dev = self.id();
            if let Some(f) = self.firewalls.get_mut(&fw) {
                f.devices.push((dev, id, now));
            }
        }
        let ev = self.event("linode_create", Some((id, label, "linode")), username, true);
        let steps: &[&'static str] = if booted {
            &["provisioning", "booting", "running"]
        } else {
            &["provisioning", "offline"]
        };
        self.schedule(id, steps, Some(ev), false);
        Ok(id)
    }

    pub fn power(&mut self, id: u64, action: &str, username: &str) -> ApiResult<()> {
        let inst = self.settled(id)?;
        let label = inst.label.clone();
        let status = inst.status;
        let (event_action, steps): (&'static str, &[&'static str]) = match action {
            "boot" if status == "running" => return Ok(()),
            "boot" => ("linode_boot", &["booting", "running"]),
            "shutdown" if status == "offline" => return Ok(()),
            "shutdown" => ("linode_shutdown", &["shutting_down", "offline"]),
            "reboot" => ("linode_reboot", &["rebooting", "running"]),
            "rescue" => ("linode_reboot", &["rebooting", "running"]),
            _ => return Err(ApiError::not_found()),
        };
        let ev = self.event(event_action, Some((id, label, "linode")), username, true);
        self.schedule(id, steps, Some(ev), false);
        Ok(())
    }

    pub fn resize(&mut self, id: u64, body: &Value, username: &str) -> ApiResult<()> {
        let inst = self.settled(id)?;
        let type_id = body
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::field(400, "type", "type is required"))?;
        let plan = catalogue::plan(type_id).ok_or_else(|| {
            ApiError::field(400, "type", "A valid plan type by that ID was not found")
        })?;
        if plan.id == inst.type_id {
            return Err(ApiError::field(
                400,
                "type",
                "Linode is already running this service plan.",
            ));
        }
        let was_running = inst.status == "running";
        let label = inst.label.clone();
        let ev = self.event("linode_resize", Some((id, label, "linode")), username, true);
        if let Some(i) = self.instances.get_mut(&id) {
            i.type_id = plan.id.to_owned();
        }
        let steps: &[&'static str] = if was_running {
            &["shutting_down", "migrating", "booting", "running"]
        } else {
            &["migrating", "offline"]
        };
        self.schedule(id, steps, Some(ev), false);
        Ok(())
    }

    pub fn rebuild(&mut self, id: u64, body: &Value, username: &str) -> ApiResult<()> {
        self.settled(id)?;
        let image = body
            .get("image")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::field(400, "image", "image is required"))?;
        if catalogue::image(image).is_none() {
            return Err(ApiError::field(400, "image", "Image is not valid"));
        }
        let pass = body
            .get("root_pass")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::field(400, "root_pass", "root_pass is required"))?;
        validate_root_pass(pass)?;
        let inst = self
            .instances
            .get_mut(&id)
            .ok_or_else(ApiError::not_found)?;
        inst.image = Some(image.to_owned());
        if body.get("metadata").is_some() {
            inst.has_user_data = true;
        }
        let label = inst.label.clone();
        let ev = self.event(
            "linode_rebuild",
            Some((id, label, "linode")),
            username,
            true,
        );
        self.schedule(id, &["rebuilding", "booting", "running"], Some(ev), false);
        Ok(())
    }

    pub fn reset_password(&mut self, id: u64, body: &Value, username: &str) -> ApiResult<()> {
        let inst = self.settled(id)?;
        if inst.status != "offline" {
            return Err(ApiError::new(
                400,
                "Linode must be shut down before resetting the root password",
            ));
        }
        let label = inst.label.clone();
        let pass = body
            .get("root_pass")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::field(400, "root_pass", "root_pass is required"))?;
        validate_root_pass(pass)?;
        self.event(
            "password_reset",
            Some((id, label, "linode")),
            username,
            false,
        );
        Ok(())
    }

    pub fn delete_instance(&mut self, id: u64, username: &str) -> ApiResult<()> {
        let inst = self.instance(id)?;
        if inst.status == "deleting" {
            return Ok(());
        }
        let label = inst.label.clone();
        let ev = self.event("linode_delete", Some((id, label, "linode")), username, true);
        self.schedule(id, &["deleting"], Some(ev), true);
        Ok(())
    }

    // ------------------------------------------------------------ backups

    pub fn enable_backups(&mut self, id: u64, username: &str) -> ApiResult<()> {
        let inst = self
            .instances
            .get_mut(&id)
            .ok_or_else(ApiError::not_found)?;
        if !inst.backups_enabled {
            inst.backups_enabled = true;
            let label = inst.label.clone();
            self.event(
                "backups_enable",
                Some((id, label, "linode")),
                username,
                false,
            );
        }
        Ok(())
    }

    pub fn cancel_backups(&mut self, id: u64, username: &str) -> ApiResult<()> {
        let inst = self
            .instances
            .get_mut(&id)
            .ok_or_else(ApiError::not_found)?;
        if !inst.backups_enabled {
            return Err(ApiError::new(
                400,
                "Backups are not enabled for this Linode",
            ));
        }
        inst.backups_enabled = false;
        inst.automatic.clear();
        inst.snapshot_current = None;
        inst.snapshot_in_progress = None;
        let label = inst.label.clone();
        self.event(
            "backups_cancel",
            Some((id, label, "linode")),
            username,
            false,
        );
        Ok(())
    }

    pub fn snapshot(&mut self, id: u64, label: &str, username: &str) -> ApiResult<u64> {
        if label.is_empty() || label.len() > 255 {
            return Err(ApiError::field(
                400,
                "label",
                "Length must be 1-255 characters",
            ));
        }
        let step = self.step();
        let bid = self.id();
        let inst = self
            .instances
            .get_mut(&id)
            .ok_or_else(ApiError::not_found)?;
        if !inst.backups_enabled {
            return Err(ApiError::new(
                400,
                "Backups are not enabled for this Linode",
            ));
        }
        if inst.snapshot_in_progress.is_some() {
            return Err(ApiError::new(400, "A snapshot is already in progress"));
        }
        inst.snapshot_in_progress = Some(BackupRec {
            id: bid,
            label: Some(label.to_owned()),
            kind: "snapshot",
            status: "pending",
            created: Utc::now(),
            finished: None,
            ready_at: Some(Instant::now() + step),
        });
        let il = inst.label.clone();
        self.event("linode_snapshot", Some((id, il, "linode")), username, false);
        Ok(bid)
    }

    pub fn find_backup(&self, id: u64, backup_id: u64) -> ApiResult<&BackupRec> {
        let inst = self.instance(id)?;
        inst.automatic
            .iter()
            .chain(inst.snapshot_current.iter())
            .chain(inst.snapshot_in_progress.iter())
            .find(|b| b.id == backup_id)
            .ok_or_else(ApiError::not_found)
    }

    pub fn restore(
        &mut self,
        id: u64,
        backup_id: u64,
        body: &Value,
        username: &str,
    ) -> ApiResult<()> {
        let b = self.find_backup(id, backup_id)?;
        if b.status != "successful" {
            return Err(ApiError::new(400, "Backup is not available yet"));
        }
        let target = body
            .get("linode_id")
            .and_then(Value::as_u64)
            .ok_or_else(|| ApiError::field(400, "linode_id", "linode_id is required"))?;
        let t = self
            .instances
            .get(&target)
            .ok_or_else(|| ApiError::field(400, "linode_id", "Linode not found"))?;
        if t.region != self.instance(id)?.region {
            return Err(ApiError::field(
                400,
                "linode_id",
                "Target Linode must be in the same region",
            ));
        }
        self.settled(target)?;
        let label = t.label.clone();
        let ev = self.event(
            "backups_restore",
            Some((target, label, "linode")),
            username,
            true,
        );
        self.schedule(target, &["restoring", "offline"], Some(ev), false);
        Ok(())
    }

    /// Runs the nightly backup job: one successful automatic backup per enabled instance.
    pub fn nightly_backups(&mut self) -> usize {
        let ids: Vec<u64> = self
            .instances
            .values()
            .filter(|i| i.backups_enabled)
            .map(|i| i.id)
            .collect();
        for id in &ids {
            let bid = self.id();
            let now = Utc::now();
            if let Some(i) = self.instances.get_mut(id) {
                i.automatic.push(BackupRec {
                    id: bid,
                    label: None,
                    kind: "auto",
                    status: "successful",
                    created: now,
                    finished: Some(now),
                    ready_at: None,
                });
            }
        }
        ids.len()
    }

    // ------------------------------------------------------------ IPs

    pub fn add_ip(&mut self, id: u64, body: &Value, username: &str) -> ApiResult<Ipv4Addr> {
        if body.get("type").and_then(Value::as_str) != Some("ipv4") {
            return Err(ApiError::field(
                400,
                "type",
                "Only addresses of type ipv4 are currently supported.",
            ));
        }
        let public = body
            .get("public")
            .and_then(Value::as_bool)
            .ok_or_else(|| ApiError::field(400, "public", "public is required"))?;
        self.instance(id)?;
        if public
            && self.instance(id)?.ips.iter().filter(|i| i.public).count()
                >= self.config.max_public_ipv4
        {
            return Err(ApiError::new(400, "Additional IPv4 addresses require technical justification. Please contact support describing your requirement."));
        }
        let addr = self.allocate_ip(public);
        let inst = self
            .instances
            .get_mut(&id)
            .ok_or_else(ApiError::not_found)?;
        inst.ips.push(Ip {
            address: addr,
            public,
            rdns: None,
        });
        let label = inst.label.clone();
        self.event("linode_addip", Some((id, label, "linode")), username, false);
        Ok(addr)
    }

    pub fn set_rdns(
        &mut self,
        id: u64,
        address: &str,
        body: &Value,
        username: &str,
    ) -> ApiResult<()> {
        let rdns = match body.get("rdns") {
            Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.trim_end_matches('.').to_ascii_lowercase()),
            _ => return Err(ApiError::field(400, "rdns", "rdns is required")),
        };
        let inst = self.instance(id)?;
        let ip = inst
            .ips
            .iter()
            .find(|i| i.address.to_string() == address)
            .ok_or_else(ApiError::not_found)?;
        if let Some(name) = &rdns {
            if !valid_domain(name) {
                return Err(ApiError::field(400, "rdns", "Domain is not valid."));
            }
            let resolves = self
                .forward_dns
                .get(name)
                .is_some_and(|addrs| addrs.iter().any(|a| a == address));
            if !resolves || !ip.public {
                return Err(ApiError::field(400, "rdns", "Domain is not valid."));
            }
        }
        let label = inst.label.clone();
        let inst = self
            .instances
            .get_mut(&id)
            .ok_or_else(ApiError::not_found)?;
        if let Some(ip) = inst
            .ips
            .iter_mut()
            .find(|i| i.address.to_string() == address)
        {
            ip.rdns = rdns;
        }
        self.event(
            "ipaddress_update",
            Some((id, label, "linode")),
            username,
            false,
        );
        Ok(())
    }

    // ------------------------------------------------------------ firewalls

    pub fn create_firewall(&mut self, body: &Value, username: &str) -> ApiResult<u64> {
        let label = body
            .get("label")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::field(400, "label", "label is required"))?;
        if label.len() < 3 || label.len() > 32 {
            return Err(ApiError::field(
                400,
                "label",
                "Length must be 3-32 characters",
            ));
        }
        validate_label(label)?;
        if self.firewalls.values().any(|f| f.label == label) {
            return Err(ApiError::field(
                400,
                "label",
                "Label must be unique among your Firewalls",
            ));
        }
        let rules = body
            .get("rules")
            .cloned()
            .ok_or_else(|| ApiError::field(400, "rules", "rules is required"))?;
        let rules = validate_rules(&rules)?;
        let id = self.id();
        let now = Utc::now();
        let mut devices = Vec::new();
        for linode in body
            .pointer("/devices/linodes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let lid = linode
                .as_u64()
                .ok_or_else(|| ApiError::field(400, "devices.linodes", "must be Linode ids"))?;
            self.instance(lid).map_err(|_| {
                ApiError::field(400, "devices.linodes", &format!("Linode {lid} not found"))
            })?;
            let dev = self.id();
            devices.push((dev, lid, now));
        }
        self.firewalls.insert(
            id,
            Firewall {
                id,
                label: label.to_owned(),
                status: "enabled".into(),
                rules,
                version: 1,
                tags: string_list(body.get("tags")),
                devices,
                created: now,
                updated: now,
            },
        );
        self.event(
            "firewall_create",
            Some((id, label.to_owned(), "firewall")),
            username,
            false,
        );
        Ok(id)
    }

    pub fn firewall(&self, id: u64) -> ApiResult<&Firewall> {
        self.firewalls.get(&id).ok_or_else(ApiError::not_found)
    }

    pub fn update_firewall(&mut self, id: u64, body: &Value, username: &str) -> ApiResult<()> {
        let label = body.get("label").and_then(Value::as_str).map(str::to_owned);
        if let Some(l) = &label {
            validate_label(l)?;
            if self.firewalls.values().any(|f| &f.label == l && f.id != id) {
                return Err(ApiError::field(
                    400,
                    "label",
                    "Label must be unique among your Firewalls",
                ));
            }
        }
        let status = match body.get("status").and_then(Value::as_str) {
            None => None,
            Some(s @ ("enabled" | "disabled")) => Some(s.to_owned()),
            Some(_) => {
                return Err(ApiError::field(
                    400,
                    "status",
                    "Must be one of enabled, disabled",
                ))
            }
        };
        let fw = self
            .firewalls
            .get_mut(&id)
            .ok_or_else(ApiError::not_found)?;
        if let Some(l) = label {
            fw.label = l;
        }
        if let Some(s) = status {
            fw.status = s;
        }
        if body.get("tags").is_some() {
            fw.tags = string_list(body.get("tags"));
        }
        fw.updated = Utc::now();
        let l = fw.label.clone();
        self.event(
            "firewall_update",
            Some((id, l, "firewall")),
            username,
            false,
        );
        Ok(())
    }

    pub fn set_rules(&mut self, id: u64, body: &Value, username: &str) -> ApiResult<()> {
        let rules = validate_rules(body)?;
        let fw = self
            .firewalls
            .get_mut(&id)
            .ok_or_else(ApiError::not_found)?;
        fw.rules = rules;
        fw.version += 1;
        fw.updated = Utc::now();
        let l = fw.label.clone();
        self.event(
            "firewall_update",
            Some((id, l, "firewall")),
            username,
            false,
        );
        Ok(())
    }

    pub fn add_device(&mut self, id: u64, body: &Value, username: &str) -> ApiResult<u64> {
        if body.get("type").and_then(Value::as_str) != Some("linode") {
            return Err(ApiError::field(
                400,
                "type",
                "Must be one of linode, nodebalancer",
            ));
        }
        let lid = body
            .get("id")
            .and_then(Value::as_u64)
            .ok_or_else(|| ApiError::field(400, "id", "id is required"))?;
        self.instance(lid)
            .map_err(|_| ApiError::field(400, "id", "Linode not found"))?;
        let dev = self.id();
        let fw = self
            .firewalls
            .get_mut(&id)
            .ok_or_else(ApiError::not_found)?;
        if fw.devices.iter().any(|(_, l, _)| *l == lid) {
            return Err(ApiError::field(
                400,
                "id",
                "This Linode is already assigned to this Firewall",
            ));
        }
        fw.devices.push((dev, lid, Utc::now()));
        let l = fw.label.clone();
        self.event(
            "firewall_device_add",
            Some((id, l, "firewall")),
            username,
            false,
        );
        Ok(dev)
    }

    pub fn remove_device(&mut self, id: u64, device: u64, username: &str) -> ApiResult<()> {
        let fw = self
            .firewalls
            .get_mut(&id)
            .ok_or_else(ApiError::not_found)?;
        let before = fw.devices.len();
        fw.devices.retain(|(d, _, _)| *d != device);
        if fw.devices.len() == before {
            return Err(ApiError::not_found());
        }
        let l = fw.label.clone();
        self.event(
            "firewall_device_remove",
            Some((id, l, "firewall")),
            username,
            false,
        );
        Ok(())
    }

    pub fn delete_firewall(&mut self, id: u64, username: &str) -> ApiResult<()> {
        let fw = self.firewalls.remove(&id).ok_or_else(ApiError::not_found)?;
        self.event(
            "firewall_delete",
            Some((id, fw.label, "firewall")),
            username,
            false,
        );
        Ok(())
    }
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn uuid_like(id: u64) -> String {
    format!("3f1c2a9e-8b7d-4c6e-9a5b-{:012x}", id)
}

/// Linode's label rule: 3–64 characters, starts with a letter, ASCII letters, digits, `-`,
/// `_`, `.`, and no doubled separators.
pub(crate) fn validate_label(label: &str) -> ApiResult<()> {
    let ok_len = (3..=64).contains(&label.len());
    let starts = label
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic());
    let chars = label
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let doubled = label.contains("--") || label.contains("__") || label.contains("..");
    if !ok_len {
        return Err(ApiError::field(
            400,
            "label",
            "Length must be 3-64 characters",
        ));
    }
    if !starts || !chars || doubled {
        return Err(ApiError::field(
            400,
            "label",
            "Must only use ASCII letters, numbers, and underscores",
        ));
    }
    Ok(())
}

/// Linode's rule for root passwords, and no stricter: 11 to 128 characters (Linode's
/// documentation and its own Terraform provider; the v4.189.0 spec still says 7-128) and a
/// strength score Linode computes internally without publishing the threshold. There is
/// no character-class rule. The fake refuses only what Linode's documentation names as
/// weak (repeats like `aaa`, sequences like `abcd`, keyboard patterns like `qwerty`) when
/// that is the whole password, which any strength score rejects.
fn validate_root_pass(pass: &str) -> ApiResult<()> {
    if !(11..=128).contains(&pass.chars().count()) {
        return Err(ApiError::field(
            400,
            "root_pass",
            "Length must be 11-128 characters",
        ));
    }
    if only_a_pattern(pass) {
        return Err(ApiError::field(
            400,
            "root_pass",
            "Password does not meet strength requirement.",
        ));
    }
    Ok(())
}

/// The whole password is a group of at most three characters repeated, or a run along
/// the alphabet, the digits or a keyboard's letter rows (either way, wrapping round).
fn only_a_pattern(pass: &str) -> bool {
    let chars: Vec<char> = pass.to_lowercase().chars().collect();
    let repeated = (1..=3).any(|unit| chars.iter().enumerate().all(|(i, c)| *c == chars[i % unit]));
    let text: String = chars.iter().collect();
    let along = |row: &str| {
        let ring = row.repeat(chars.len() / row.len() + 2);
        let back: String = ring.chars().rev().collect();
        ring.contains(&text) || back.contains(&text)
    };
    repeated
        || [
            "abcdefghijklmnopqrstuvwxyz",
            "0123456789",
            "qwertyuiopasdfghjklzxcvbnm",
        ]
        .into_iter()
        .any(along)
}

fn valid_domain(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    labels.len() >= 2
        && name.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn validate_rules(rules: &Value) -> ApiResult<Value> {
    let obj = rules
        .as_object()
        .ok_or_else(|| ApiError::field(400, "rules", "rules must be an object"))?;
    let mut out = serde_json::Map::new();
    for policy in ["inbound_policy", "outbound_policy"] {
        let p = obj
            .get(policy)
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::field(400, policy, &format!("{policy} is required")))?;
        if p != "ACCEPT" && p != "DROP" {
            return Err(ApiError::field(400, policy, "Must be one of ACCEPT, DROP"));
        }
        out.insert(policy.to_owned(), json!(p));
    }
    for dir in ["inbound", "outbound"] {
        let mut list = Vec::new();
        for (i, r) in obj
            .get(dir)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let field = |f: &str| format!("{dir}[{i}].{f}");
            let action = r.get("action").and_then(Value::as_str).unwrap_or_default();
            if action != "ACCEPT" && action != "DROP" {
                return Err(ApiError::field(
                    400,
                    &field("action"),
                    "Must be one of ACCEPT, DROP",
                ));
            }
            let protocol = r
                .get("protocol")
                .and_then(Value::as_str)
                .unwrap_or_default();
            // The spec lists four names; Linode also takes `ALL` and IP protocol numbers
            // (recorded: "ALL", "50", and "6" with ports), so the fake does too.
            let number = protocol
                .parse::<u8>()
                .is_ok_and(|n| n.to_string() == protocol);
            if !["TCP", "UDP", "ICMP", "IPENCAP", "ALL"].contains(&protocol) && !number {
                return Err(ApiError::field(
                    400,
                    &field("protocol"),
                    "Must be one of TCP, UDP, ICMP, IPENCAP, ALL, or an IP protocol number (0-255)",
                ));
            }
            // Ports belong to TCP and UDP, by name or by number (6, 17).
            let has_ports = ["TCP", "UDP", "6", "17"].contains(&protocol);
            let ports = r.get("ports").and_then(Value::as_str);
            if let Some(p) = ports {
                let valid = p.split(',').all(|part| {
                    let part = part.trim();
                    let mut it = part.splitn(2, '-');
                    let ok = |s: Option<&str>| {
                        s.and_then(|s| s.trim().parse::<u16>().ok())
                            .is_some_and(|n| n > 0)
                    };
                    let a = it.next();
                    match it.next() {
                        Some(b) => ok(a) && ok(Some(b)),
                        None => ok(a),
                    }
                });
                if !valid || !has_ports {
                    return Err(ApiError::field(
                        400,
                        &field("ports"),
                        "Ports must be a comma-separated list of ports or ranges",
                    ));
                }
            }
            let mut rule = json!({ "action": action, "protocol": protocol, "addresses": r.get("addresses").cloned().unwrap_or(json!({})) });
            if let Some(p) = ports {
                rule["ports"] = json!(p);
            }
            for opt in ["label", "description"] {
                if let Some(v) = r.get(opt).and_then(Value::as_str) {
                    rule[opt] = json!(v);
                }
            }
            list.push(rule);
        }
        out.insert(dir.to_owned(), Value::Array(list));
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(step_ms: u64) -> State {
        State::new(FakeConfig {
            step: Duration::from_millis(step_ms),
            ..FakeConfig::default()
        })
    }

    fn create(s: &mut State, label: &str) -> u64 {
        let body = json!({ "region": "us-east", "type": "g6-nanode-1", "label": label, "image": "linode/debian12", "root_pass": "Unit-Pass-123" });
        s.create_instance(&body, "u").expect("valid create")
    }

    #[test]
    fn create_walks_provisioning_booting_running_and_finishes_its_event() {
        let mut s = state(1000);
        let id = create(&mut s, "unit-1");
        let t0 = Instant::now();
        assert_eq!(s.instance(id).unwrap().status, "provisioning");
        s.tick(t0 + Duration::from_millis(1001));
        assert_eq!(s.instance(id).unwrap().status, "booting");
        assert_eq!(s.events[0].status, "started");
        s.tick(t0 + Duration::from_millis(2001));
        assert_eq!(s.instance(id).unwrap().status, "running");
        assert_eq!(
            (s.events[0].action, s.events[0].status, s.events[0].percent),
            ("linode_create", "finished", 100)
        );
    }

    #[test]
    fn actions_while_busy_answer_linode_busy() {
        let mut s = state(1000);
        let id = create(&mut s, "unit-2");
        let err = s.power(id, "shutdown", "u").unwrap_err();
        assert_eq!(
            err.body(),
            json!({ "errors": [{ "reason": "Linode busy." }] })
        );
    }

    #[test]
    fn labels_are_validated_and_unique() {
        let mut s = state(10);
        create(&mut s, "unit-3");
        let dup = json!({ "region": "us-east", "type": "g6-nanode-1", "label": "unit-3" });
        assert_eq!(
            s.create_instance(&dup, "u").unwrap_err().errors[0]
                .1
                .as_deref(),
            Some("label")
        );
        assert!(validate_label("ab").is_err());
        assert!(validate_label("web--1").is_err());
        assert!(validate_label("1web").is_err());
        assert!(validate_label("web_1.example").is_ok());
    }

    #[test]
    fn rdns_needs_a_forward_record() {
        let mut s = state(10);
        let id = create(&mut s, "unit-4");
        let addr = s.instance(id).unwrap().ips[0].address.to_string();
        let err = s
            .set_rdns(id, &addr, &json!({ "rdns": "host.example.com" }), "u")
            .unwrap_err();
        assert_eq!(
            err.errors[0],
            ("Domain is not valid.".to_owned(), Some("rdns".to_owned()))
        );
        s.forward_dns
            .insert("host.example.com".into(), vec![addr.clone()]);
        s.set_rdns(id, &addr, &json!({ "rdns": "host.example.com" }), "u")
            .unwrap();
        assert_eq!(
            s.instance(id).unwrap().ips[0].rdns.as_deref(),
            Some("host.example.com")
        );
    }

    #[test]
    fn root_passwords_are_refused_only_for_length_and_plain_patterns() {
        for ok in [
            "kqzvwmtrhxb",
            "Unit-Pass-123",
            "correct horse battery",
            "abcdefghijk1",
            "aaaaaaaaaab",
            "12345678901x",
        ] {
            assert!(validate_root_pass(ok).is_ok(), "{ok}");
        }
        let long_ok = "x".repeat(64) + &"y".repeat(64);
        assert!(validate_root_pass(&long_ok).is_ok());
        for bad in [
            "short-pw",
            "1111111111111",
            "xyzabcdefgh",
            "ZYXWVUTSRQP",
            "0123456789012",
            "mnbvcxzlkjhg",
            "ab1ab1ab1ab1",
        ] {
            let err = validate_root_pass(bad).unwrap_err();
            assert_eq!(err.errors[0].1.as_deref(), Some("root_pass"), "{bad}");
        }
        assert!(validate_root_pass(&"x".repeat(129)).is_err());
    }

    #[test]
    fn public_addresses_come_from_documentation_ranges() {
        let mut s = state(10);
        let first = s.allocate_ip(true);
        assert_eq!(first, Ipv4Addr::new(203, 0, 113, 2));
        for _ in 0..800 {
            s.allocate_ip(true);
        }
        assert_eq!(s.allocate_ip(true).octets()[0..2], [100, 64]);
    }
}
