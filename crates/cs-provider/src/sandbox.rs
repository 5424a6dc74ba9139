//! The Sandbox provider: a simulated cloud inside the app.
//!
//! It keeps instances in memory and moves them through Linode's real status
//! sequences (provisioning → booting → running; shutting_down → offline;
//! rebooting → running; deleting → gone) on a schedule measured with the
//! injected [`Clock`], so the UI shows live transitions with a real clock and
//! tests step through them with a fixed one. Every action is recorded as a
//! provider event, stats are plausible and deterministic per instance, and
//! [`Sandbox::inject`] makes the next call of an operation fail, which is how
//! tests exercise the app's error paths.
//!
//! Its state lives as long as the process: the app persists what matters
//! (servers, their provider ids) and on restart the sandbox re-adopts them
//! with [`Sandbox::adopt`].

// Its stats are measurements, simulated with floats; no money is computed here.
#![allow(clippy::float_arithmetic)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::Duration;
use cs_core::{Clock, ProviderKind, Timestamp};

use crate::*;

/// How long each simulated operation takes.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub provision: Duration,
    pub boot: Duration,
    pub shutdown: Duration,
    pub reboot: Duration,
    pub delete: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            provision: Duration::seconds(4),
            boot: Duration::seconds(3),
            shutdown: Duration::seconds(3),
            reboot: Duration::seconds(4),
            delete: Duration::seconds(2),
        }
    }
}

impl Timing {
    /// Every step takes `d`: tests use a few hundred milliseconds.
    pub fn uniform(d: Duration) -> Timing {
        Timing {
            provision: d,
            boot: d,
            shutdown: d,
            reboot: d,
            delete: d,
        }
    }
}

/// A failure the next call of an operation returns. Operations are named as
/// the trait methods: `create_instance`, `boot`, `reboot`, …
#[derive(Debug, Clone)]
pub enum Fault {
    /// The next call of `op` fails with `error` and changes nothing.
    Fail {
        op: &'static str,
        error: ProviderError,
    },
    /// The next instance created ends in `failed` instead of booting.
    FailProvisioning,
    /// The next call of `op` panics (a bug somewhere below the app), for
    /// tests of the app's supervision of its background loops.
    Panic { op: &'static str },
}

struct SandboxInstance {
    instance: Instance,
    /// Status changes still to come, in time order; the last one finishes the
    /// operation (`None` status = the instance is gone).
    schedule: VecDeque<(Timestamp, Option<InstanceStatus>)>,
    /// The event to finish when the schedule runs out.
    action: Option<&'static str>,
    backups: Vec<Backup>,
    // Its addresses are `instance.ipv4`, each described by `ipv4_record`
    // (reverse DNS in `State::rdns`): nothing more is kept per address, as
    // a large Sandbox holds tens of thousands of instances.
    firewall: Option<String>,
}

#[derive(Default)]
struct State {
    /// Boxed: a B-tree node then holds pointers, not half-empty slots of
    /// whole instances.
    instances: BTreeMap<String, Box<SandboxInstance>>,
    firewalls: BTreeMap<String, Firewall>,
    events: Vec<ProviderEvent>,
    faults: VecDeque<Fault>,
    next_id: u64,
    next_event: u64,
    next_ip: u32,
    rdns: HashMap<String, String>,
}

/// The simulated provider. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Sandbox {
    clock: Arc<dyn Clock>,
    timing: Timing,
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("timing", &self.timing)
            .finish()
    }
}

const CURRENCY: &str = "USD";

fn price(monthly_minor: i64, hourly_micros: i64) -> Price {
    Price {
        monthly_minor,
        hourly_micros,
    }
}

impl Sandbox {
    pub fn new(clock: Arc<dyn Clock>, timing: Timing) -> Sandbox {
        let state = State {
            next_id: 1000,
            next_event: 1,
            next_ip: 10,
            ..State::default()
        };
        Sandbox {
            clock,
            timing,
            state: Arc::new(Mutex::new(state)),
        }
    }

    /// Queues a fault; each fault fires once.
    pub fn inject(&self, fault: Fault) {
        self.lock().faults.push_back(fault);
    }

    /// Hands out no id at or below `highest` from now on: the app seeds the
    /// Sandbox past every id it ever recorded (deleted servers included), as
    /// the Sandbox forgets its history when the process ends.
    pub fn skip_ids_through(&self, highest: u64) {
        let mut st = self.lock();
        st.next_id = st.next_id.max(highest.saturating_add(1));
    }

    /// Re-creates an instance the app knows from an earlier run (the sandbox
    /// forgets everything when the process ends). Transitional states settle
    /// to where they were heading. Of `instance`, its id, label, region, type,
    /// image, status, first IPv4 address and creation time are kept.
    pub fn adopt(&self, instance: Instance) {
        let mut st = self.lock();
        let status = match instance.status {
            InstanceStatus::Provisioning | InstanceStatus::Booting | InstanceStatus::Rebooting => {
                InstanceStatus::Running
            }
            InstanceStatus::ShuttingDown => InstanceStatus::Offline,
            InstanceStatus::Deleting => return,
            s => s,
        };
        let ipv4 = instance.ipv4.first().cloned();
        let id = instance.id.clone();
        if let Ok(n) = id.parse::<u64>() {
            st.next_id = st.next_id.max(n + 1);
        }
        st.instances.insert(
            id,
            Box::new(SandboxInstance {
                instance: Instance {
                    status,
                    ipv4: ipv4.into_iter().collect(),
                    ipv6: None,
                    backups_enabled: false,
                    tags: vec![],
                    ..instance
                },
                schedule: VecDeque::new(),
                action: None,
                backups: vec![],
                firewall: None,
            }),
        );
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies every scheduled status change that is due, and the injected
    /// fault for `op` if one is queued.
    fn enter(&self, op: &'static str) -> ProviderResult<std::sync::MutexGuard<'_, State>> {
        let now = self.clock.now();
        let mut st = self.lock();
        if let Some(pos) = st
            .faults
            .iter()
            .position(|f| matches!(f, Fault::Panic { op: o } if *o == op))
        {
            st.faults.remove(pos);
            drop(st);
            panic!("injected panic in the Sandbox's {op}");
        }
        settle(&mut st, now);
        if let Some(pos) = st
            .faults
            .iter()
            .position(|f| matches!(f, Fault::Fail { op: o, .. } if *o == op))
        {
            if let Some(Fault::Fail { error, .. }) = st.faults.remove(pos) {
                return Err(error);
            }
        }
        Ok(st)
    }

    fn regions_list() -> Vec<Region> {
        let r = |id: &str, label: &str, country: &str, available: bool| Region {
            id: id.into(),
            label: label.into(),
            country: country.into(),
            available,
        };
        vec![
            r("eu-west", "London, GB", "gb", true),
            r("eu-central", "Frankfurt, DE", "de", true),
            r("us-east", "Newark, NJ", "us", true),
            r("ap-south", "Singapore, SG", "sg", true),
            r("sa-east", "São Paulo, BR", "br", false),
        ]
    }

    fn types_list() -> Vec<InstanceType> {
        // Singapore costs 20% more, as region-specific prices do at Linode.
        let t = |id: &str, label: &str, vcpus, memory_mb, disk_mb, transfer_gb, m: i64, h: i64| {
            InstanceType {
                id: id.into(),
                label: label.into(),
                vcpus,
                memory_mb,
                disk_mb,
                transfer_gb,
                currency: CURRENCY.into(),
                price: price(m, h),
                region_prices: vec![RegionPrice {
                    region: "ap-south".into(),
                    price: price(m * 6 / 5, h * 6 / 5),
                }],
                backups_price: price(m / 5, h / 5),
                regions: None,
            }
        };
        vec![
            t(
                "sb-nano",
                "Sandbox Nano 1 GB",
                1,
                1024,
                25_600,
                1000,
                500,
                7_500,
            ),
            t(
                "sb-small",
                "Sandbox Small 2 GB",
                1,
                2048,
                51_200,
                2000,
                1200,
                18_000,
            ),
            t(
                "sb-medium",
                "Sandbox Medium 4 GB",
                2,
                4096,
                81_920,
                4000,
                2400,
                36_000,
            ),
            t(
                "sb-large",
                "Sandbox Large 8 GB",
                4,
                8192,
                163_840,
                5000,
                4800,
                72_000,
            ),
        ]
    }

    fn images_list() -> Vec<Image> {
        let i = |id: &str, label: &str, vendor: &str, cloud_init: bool| Image {
            id: id.into(),
            label: label.into(),
            vendor: vendor.into(),
            cloud_init,
            deprecated: false,
        };
        vec![
            i("sandbox/debian12", "Debian 12", "Debian", true),
            i("sandbox/ubuntu24.04", "Ubuntu 24.04 LTS", "Ubuntu", true),
            i("sandbox/almalinux9", "AlmaLinux 9", "AlmaLinux", true),
            i("sandbox/alpine3.20", "Alpine 3.20", "Alpine", false),
        ]
    }
}

fn ipv4_record(address: &str) -> IpAddress {
    IpAddress {
        address: address.to_string(),
        kind: "ipv4".into(),
        public: true,
        rdns: None,
        gateway: Some("203.0.113.1".into()),
        prefix: 24,
    }
}

fn push_event(st: &mut State, action: &str, entity: Option<&str>, status: &str, at: Timestamp) {
    let id = st.next_event;
    st.next_event += 1;
    st.events.push(ProviderEvent {
        id,
        action: action.to_string(),
        entity_id: entity.map(str::to_string),
        status: status.to_string(),
        created: at,
    });
}

fn settle(st: &mut State, now: Timestamp) {
    let mut finished: Vec<(String, Option<&'static str>, Timestamp, bool)> = vec![];
    for (id, si) in st.instances.iter_mut() {
        while let Some((at, status)) = si.schedule.front().copied() {
            if at > now {
                break;
            }
            si.schedule.pop_front();
            match status {
                Some(s) => si.instance.status = s,
                None => {
                    finished.push((id.clone(), si.action.take(), at, true));
                    break;
                }
            }
            if si.schedule.is_empty() {
                let failed = si.instance.status == InstanceStatus::Failed;
                finished.push((id.clone(), si.action.take(), at, failed));
            }
        }
    }
    for (id, action, at, gone_or_failed) in finished {
        let gone = st.instances.get(&id).is_some_and(|si| {
            si.schedule.is_empty() && si.instance.status == InstanceStatus::Deleting
        });
        if gone {
            st.instances.remove(&id);
        }
        if let Some(action) = action {
            let status = if gone_or_failed && !gone {
                "failed"
            } else {
                "finished"
            };
            push_event(st, action, Some(&id), status, at);
        }
    }
}

impl SandboxInstance {
    fn plan(&mut self, now: Timestamp, action: &'static str, steps: &[(Duration, InstanceStatus)]) {
        self.schedule.clear();
        let mut at = now;
        for (d, s) in steps {
            at += *d;
            self.schedule.push_back((at, Some(*s)));
        }
        self.action = Some(action);
    }
}

fn not_found(id: &str) -> ProviderError {
    ProviderError::NotFound(format!("instance {id}"))
}

/// A deterministic pseudo-random number in [0, 1) from a seed (FNV + xorshift).
#[allow(clippy::float_arithmetic)] // synthetic graphs, never money
fn noise(seed: &str, n: i64) -> f64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in seed.bytes().chain(n.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51afd7ed558ccd);
    h ^= h >> 33;
    (h >> 11) as f64 / (1u64 << 53) as f64
}

impl Sandbox {
    pub fn kind(&self) -> ProviderKind {
        ProviderKind::Sandbox
    }
}

#[async_trait]
impl Provider for Sandbox {
    async fn regions(&self) -> ProviderResult<Vec<Region>> {
        drop(self.enter("regions")?);
        Ok(Self::regions_list())
    }

    async fn instance_types(&self) -> ProviderResult<Vec<InstanceType>> {
        drop(self.enter("instance_types")?);
        Ok(Self::types_list())
    }

    async fn images(&self) -> ProviderResult<Vec<Image>> {
        drop(self.enter("images")?);
        Ok(Self::images_list())
    }

    async fn stackscripts(&self) -> ProviderResult<Vec<StackScript>> {
        drop(self.enter("stackscripts")?);
        Ok(vec![StackScript {
            id: "1".into(),
            label: "LAMP stack".into(),
            description: "Apache, MariaDB and PHP with a firewall that opens 80 and 443".into(),
            images: vec!["sandbox/debian12".into(), "sandbox/ubuntu24.04".into()],
        }])
    }

    async fn create_instance(&self, req: &CreateInstance) -> ProviderResult<Instance> {
        let now = self.clock.now();
        let mut st = self.enter("create_instance")?;
        let region = Self::regions_list()
            .into_iter()
            .find(|r| r.id == req.region);
        match region {
            None => {
                return Err(ProviderError::Validation {
                    field: "region".into(),
                    message: format!("region {} does not exist", req.region),
                })
            }
            Some(r) if !r.available => {
                return Err(ProviderError::Validation {
                    field: "region".into(),
                    message: format!(
                        "{} has no capacity for new servers right now: choose another region",
                        r.label
                    ),
                })
            }
            _ => {}
        }
        if !Self::types_list().iter().any(|t| t.id == req.instance_type) {
            return Err(ProviderError::Validation {
                field: "type".into(),
                message: format!("type {} does not exist", req.instance_type),
            });
        }
        if !Self::images_list().iter().any(|i| i.id == req.image) {
            return Err(ProviderError::Validation {
                field: "image".into(),
                message: format!("image {} does not exist", req.image),
            });
        }
        if req.root_password.is_none() && req.authorized_keys.is_empty() {
            return Err(ProviderError::Validation {
                field: "root_pass".into(),
                message: "a root password or an SSH key is required".into(),
            });
        }
        if let Some(p) = &req.root_password {
            check_root_pass(p)?;
        }
        if st.instances.values().any(|i| i.instance.label == req.label) {
            return Err(ProviderError::Validation {
                field: "label".into(),
                message: format!("label {} must be unique among your Linodes", req.label),
            });
        }
        let fail = st
            .faults
            .iter()
            .position(|f| matches!(f, Fault::FailProvisioning))
            .map(|p| st.faults.remove(p))
            .is_some();
        let id = st.next_id.to_string();
        st.next_id += 1;
        let n = st.next_ip;
        st.next_ip += 1;
        let ipv4 = format!("203.0.113.{}", n % 250 + 2);
        let instance = Instance {
            id: id.clone(),
            label: req.label.clone(),
            region: req.region.clone(),
            instance_type: req.instance_type.clone(),
            image: req.image.clone(),
            status: InstanceStatus::Provisioning,
            ipv4: vec![ipv4.clone()],
            ipv6: Some(format!("2001:db8::{n:x}/128")),
            backups_enabled: req.backups_enabled,
            tags: req.tags.clone(),
            created: now,
        };
        let mut si = SandboxInstance {
            instance: instance.clone(),
            schedule: VecDeque::new(),
            action: None,
            backups: vec![],
            firewall: req.firewall_id.clone(),
        };
        let t = self.timing;
        if fail {
            si.plan(
                now,
                "linode_create",
                &[(t.provision, InstanceStatus::Failed)],
            );
        } else {
            si.plan(
                now,
                "linode_create",
                &[
                    (t.provision, InstanceStatus::Booting),
                    (t.boot, InstanceStatus::Running),
                ],
            );
        }
        st.instances.insert(id.clone(), Box::new(si));
        push_event(&mut st, "linode_create", Some(&id), "started", now);
        Ok(instance)
    }

    async fn find_instance_by_label(&self, label: &str) -> ProviderResult<Option<Instance>> {
        let st = self.enter("find_instance_by_label")?;
        Ok(st
            .instances
            .values()
            .find(|i| i.instance.label == label)
            .map(|i| i.instance.clone()))
    }

    async fn get_instance(&self, id: &str) -> ProviderResult<Instance> {
        let st = self.enter("get_instance")?;
        st.instances
            .get(id)
            .map(|i| i.instance.clone())
            .ok_or_else(|| not_found(id))
    }

    async fn list_instances(&self) -> ProviderResult<Vec<Instance>> {
        let st = self.enter("list_instances")?;
        Ok(st.instances.values().map(|i| i.instance.clone()).collect())
    }

    async fn boot(&self, id: &str) -> ProviderResult<()> {
        self.power(id, "boot", "linode_boot", &[InstanceStatus::Offline], |t| {
            vec![
                (Duration::zero(), InstanceStatus::Booting),
                (t.boot, InstanceStatus::Running),
            ]
        })
    }

    async fn shutdown(&self, id: &str) -> ProviderResult<()> {
        self.power(
            id,
            "shutdown",
            "linode_shutdown",
            &[InstanceStatus::Running],
            |t| {
                vec![
                    (Duration::zero(), InstanceStatus::ShuttingDown),
                    (t.shutdown, InstanceStatus::Offline),
                ]
            },
        )
    }

    async fn reboot(&self, id: &str) -> ProviderResult<()> {
        self.power(
            id,
            "reboot",
            "linode_reboot",
            &[InstanceStatus::Running, InstanceStatus::Offline],
            |t| {
                vec![
                    (Duration::zero(), InstanceStatus::Rebooting),
                    (t.reboot, InstanceStatus::Running),
                ]
            },
        )
    }

    async fn delete(&self, id: &str) -> ProviderResult<()> {
        let now = self.clock.now();
        let mut st = self.enter("delete")?;
        let delay = self.timing.delete;
        let si = st.instances.get_mut(id).ok_or_else(|| not_found(id))?;
        si.instance.status = InstanceStatus::Deleting;
        si.schedule.clear();
        si.schedule.push_back((now + delay, None));
        si.action = Some("linode_delete");
        push_event(&mut st, "linode_delete", Some(id), "started", now);
        Ok(())
    }

    async fn resize(&self, id: &str, instance_type: &str) -> ProviderResult<()> {
        if !Self::types_list().iter().any(|t| t.id == instance_type) {
            return Err(ProviderError::Validation {
                field: "type".into(),
                message: format!("type {instance_type} does not exist"),
            });
        }
        let t = self.timing;
        self.power(
            id,
            "resize",
            "linode_resize",
            &[InstanceStatus::Running, InstanceStatus::Offline],
            |_| {
                vec![
                    (Duration::zero(), InstanceStatus::Resizing),
                    (t.shutdown + t.boot, InstanceStatus::Booting),
                    (t.boot, InstanceStatus::Running),
                ]
            },
        )?;
        let mut st = self.lock();
        if let Some(si) = st.instances.get_mut(id) {
            si.instance.instance_type = instance_type.to_string();
        }
        Ok(())
    }

    async fn rebuild(&self, id: &str, request: &Rebuild) -> ProviderResult<()> {
        if !Self::images_list().iter().any(|i| i.id == request.image) {
            return Err(ProviderError::Validation {
                field: "image".into(),
                message: format!("image {} does not exist", request.image),
            });
        }
        let t = self.timing;
        self.power(
            id,
            "rebuild",
            "linode_rebuild",
            &[InstanceStatus::Running, InstanceStatus::Offline],
            |_| {
                vec![
                    (Duration::zero(), InstanceStatus::Rebuilding),
                    (t.provision, InstanceStatus::Booting),
                    (t.boot, InstanceStatus::Running),
                ]
            },
        )?;
        let mut st = self.lock();
        if let Some(si) = st.instances.get_mut(id) {
            si.instance.image = request.image.clone();
        }
        Ok(())
    }

    async fn rescue(&self, id: &str) -> ProviderResult<()> {
        self.power(
            id,
            "rescue",
            "linode_reboot",
            &[InstanceStatus::Running, InstanceStatus::Offline],
            |t| {
                vec![
                    (Duration::zero(), InstanceStatus::Rebooting),
                    (t.reboot, InstanceStatus::Running),
                ]
            },
        )
    }

    async fn reset_root_password(&self, id: &str, password: &Secret) -> ProviderResult<()> {
        let now = self.clock.now();
        let mut st = self.enter("reset_root_password")?;
        check_root_pass(password)?;
        let si = st.instances.get(id).ok_or_else(|| not_found(id))?;
        if si.instance.status != InstanceStatus::Offline {
            return Err(ProviderError::Validation {
                field: "status".into(),
                message: "shut the server down before resetting its root password".into(),
            });
        }
        push_event(&mut st, "password_reset", Some(id), "finished", now);
        Ok(())
    }

    async fn enable_backups(&self, id: &str) -> ProviderResult<()> {
        let now = self.clock.now();
        let mut st = self.enter("enable_backups")?;
        st.instances
            .get_mut(id)
            .ok_or_else(|| not_found(id))?
            .instance
            .backups_enabled = true;
        push_event(&mut st, "backups_enable", Some(id), "finished", now);
        Ok(())
    }

    async fn cancel_backups(&self, id: &str) -> ProviderResult<()> {
        let now = self.clock.now();
        let mut st = self.enter("cancel_backups")?;
        let si = st.instances.get_mut(id).ok_or_else(|| not_found(id))?;
        si.instance.backups_enabled = false;
        si.backups.retain(|b| b.kind == "snapshot");
        push_event(&mut st, "backups_cancel", Some(id), "finished", now);
        Ok(())
    }

    async fn list_backups(&self, id: &str) -> ProviderResult<Vec<Backup>> {
        let st = self.enter("list_backups")?;
        Ok(st
            .instances
            .get(id)
            .ok_or_else(|| not_found(id))?
            .backups
            .clone())
    }

    async fn take_snapshot(&self, id: &str, label: &str) -> ProviderResult<Backup> {
        let now = self.clock.now();
        let mut st = self.enter("take_snapshot")?;
        let next = st.next_id;
        st.next_id += 1;
        let si = st.instances.get_mut(id).ok_or_else(|| not_found(id))?;
        if !si.instance.backups_enabled {
            return Err(ProviderError::Validation {
                field: "backups".into(),
                message: "enable backups for this server before taking a snapshot".into(),
            });
        }
        let backup = Backup {
            id: next.to_string(),
            label: Some(label.to_string()),
            kind: "snapshot".into(),
            status: "successful".into(),
            created: now,
        };
        si.backups.retain(|b| b.kind != "snapshot");
        si.backups.push(backup.clone());
        push_event(&mut st, "linode_snapshot", Some(id), "finished", now);
        Ok(backup)
    }

    async fn restore_backup(
        &self,
        id: &str,
        backup_id: &str,
        target_instance: &str,
    ) -> ProviderResult<()> {
        let now = self.clock.now();
        let mut st = self.enter("restore_backup")?;
        let found = st
            .instances
            .get(id)
            .ok_or_else(|| not_found(id))?
            .backups
            .iter()
            .any(|b| b.id == backup_id);
        if !found {
            return Err(ProviderError::NotFound(format!("backup {backup_id}")));
        }
        if !st.instances.contains_key(target_instance) {
            return Err(not_found(target_instance));
        }
        push_event(
            &mut st,
            "backups_restore",
            Some(target_instance),
            "finished",
            now,
        );
        Ok(())
    }

    async fn ips(&self, id: &str) -> ProviderResult<Vec<IpAddress>> {
        let st = self.enter("ips")?;
        let si = st.instances.get(id).ok_or_else(|| not_found(id))?;
        Ok(si
            .instance
            .ipv4
            .iter()
            .map(|a| IpAddress {
                rdns: st.rdns.get(a).cloned(),
                ..ipv4_record(a)
            })
            .collect())
    }

    async fn allocate_ipv4(&self, id: &str) -> ProviderResult<IpAddress> {
        let now = self.clock.now();
        let mut st = self.enter("allocate_ipv4")?;
        let n = st.next_ip;
        st.next_ip += 1;
        let si = st.instances.get_mut(id).ok_or_else(|| not_found(id))?;
        let ip = ipv4_record(&format!("203.0.113.{}", n % 250 + 2));
        si.instance.ipv4.push(ip.address.clone());
        push_event(&mut st, "ipaddress_update", Some(id), "finished", now);
        Ok(ip)
    }

    async fn set_reverse_dns(
        &self,
        address: &str,
        rdns: Option<&str>,
    ) -> ProviderResult<IpAddress> {
        let mut st = self.enter("set_reverse_dns")?;
        let ip = st
            .instances
            .values()
            .flat_map(|i| i.instance.ipv4.iter())
            .find(|a| *a == address)
            .map(|a| ipv4_record(a))
            .ok_or_else(|| ProviderError::NotFound(format!("address {address}")))?;
        match rdns {
            Some(name) => {
                let ok = name.len() <= 253
                    && name.contains('.')
                    && name.split('.').all(|l| {
                        !l.is_empty()
                            && l.len() <= 63
                            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    });
                if !ok {
                    return Err(ProviderError::Validation {
                        field: "rdns".into(),
                        message: format!("{name} is not a hostname"),
                    });
                }
                st.rdns.insert(address.to_string(), name.to_string());
            }
            None => {
                st.rdns.remove(address);
            }
        }
        Ok(IpAddress {
            rdns: rdns.map(str::to_string),
            ..ip
        })
    }

    async fn firewalls(&self) -> ProviderResult<Vec<Firewall>> {
        let st = self.enter("firewalls")?;
        Ok(st.firewalls.values().cloned().collect())
    }

    async fn create_firewall(&self, request: &NewFirewall) -> ProviderResult<Firewall> {
        let mut st = self.enter("create_firewall")?;
        if st.firewalls.values().any(|f| f.label == request.label) {
            return Err(ProviderError::Validation {
                field: "label".into(),
                message: format!("a firewall named {} already exists", request.label),
            });
        }
        let id = st.next_id.to_string();
        st.next_id += 1;
        let fw = Firewall {
            id: id.clone(),
            label: request.label.clone(),
            rules: request.rules.clone(),
            instance_ids: vec![],
        };
        st.firewalls.insert(id, fw.clone());
        Ok(fw)
    }

    async fn set_firewall_rules(
        &self,
        firewall_id: &str,
        rules: &FirewallRules,
    ) -> ProviderResult<Firewall> {
        let mut st = self.enter("set_firewall_rules")?;
        let fw = st
            .firewalls
            .get_mut(firewall_id)
            .ok_or_else(|| ProviderError::NotFound(format!("firewall {firewall_id}")))?;
        fw.rules = rules.clone();
        Ok(fw.clone())
    }

    async fn attach_firewall(&self, firewall_id: &str, instance_id: &str) -> ProviderResult<()> {
        let mut st = self.enter("attach_firewall")?;
        if !st.instances.contains_key(instance_id) {
            return Err(not_found(instance_id));
        }
        let fw = st
            .firewalls
            .get_mut(firewall_id)
            .ok_or_else(|| ProviderError::NotFound(format!("firewall {firewall_id}")))?;
        if !fw.instance_ids.iter().any(|i| i == instance_id) {
            fw.instance_ids.push(instance_id.to_string());
        }
        if let Some(si) = st.instances.get_mut(instance_id) {
            si.firewall = Some(firewall_id.to_string());
        }
        Ok(())
    }

    #[allow(clippy::float_arithmetic)] // synthetic graphs, never money
    async fn stats(&self, id: &str) -> ProviderResult<Stats> {
        let now = self.clock.now();
        let st = self.enter("stats")?;
        let si = st.instances.get(id).ok_or_else(|| not_found(id))?;
        let created = si.instance.created;
        let vcpus = Self::types_list()
            .iter()
            .find(|t| t.id == si.instance.instance_type)
            .map(|t| t.vcpus)
            .unwrap_or(1);
        let base = 5.0 + noise(id, -1) * 25.0;
        let mut stats = Stats {
            cpu_percent: vec![],
            network_in_bits_per_s: vec![],
            network_out_bits_per_s: vec![],
            disk_io_blocks_per_s: vec![],
            disk_used_percent: vec![],
        };
        // A day of five-minute samples, as Linode's /stats returns, each
        // sample a pure function of (instance, time slot).
        let slot_now = now.timestamp() / 300;
        for slot in (slot_now - 287)..=slot_now {
            let Some(at) = chrono::DateTime::from_timestamp(slot * 300, 0) else {
                continue;
            };
            let alive = at >= created;
            let hour = (slot % 288) as f64 / 288.0 * std::f64::consts::TAU;
            let wave = (hour.sin() + 1.0) / 2.0;
            let cpu = if alive {
                (base * (0.6 + wave) + noise(id, slot) * 10.0).min(100.0 * f64::from(vcpus))
            } else {
                0.0
            };
            let net_in = if alive {
                20_000.0 + wave * 400_000.0 + noise(id, slot + 1) * 150_000.0
            } else {
                0.0
            };
            let net_out = if alive {
                40_000.0 + wave * 900_000.0 + noise(id, slot + 2) * 300_000.0
            } else {
                0.0
            };
            let io = if alive {
                2.0 + wave * 30.0 + noise(id, slot + 3) * 20.0
            } else {
                0.0
            };
            stats.cpu_percent.push(Sample {
                at,
                value: (cpu * 100.0).round() / 100.0,
            });
            stats.network_in_bits_per_s.push(Sample {
                at,
                value: net_in.round(),
            });
            stats.network_out_bits_per_s.push(Sample {
                at,
                value: net_out.round(),
            });
            stats.disk_io_blocks_per_s.push(Sample {
                at,
                value: (io * 100.0).round() / 100.0,
            });
        }
        Ok(stats)
    }

    async fn transfer(&self, id: &str) -> ProviderResult<Transfer> {
        let now = self.clock.now();
        let st = self.enter("transfer")?;
        let si = st.instances.get(id).ok_or_else(|| not_found(id))?;
        let quota_gb = Self::types_list()
            .iter()
            .find(|t| t.id == si.instance.instance_type)
            .map(|t| t.transfer_gb)
            .unwrap_or(1000);
        // About 40 MB an hour of life: plausible for a small web server.
        let hours = (now - si.instance.created).num_hours().max(0) as u64;
        Ok(Transfer {
            used_bytes: hours * 40_000_000,
            quota_gb,
        })
    }

    async fn events(&self, after: Option<u64>) -> ProviderResult<Vec<ProviderEvent>> {
        let st = self.enter("events")?;
        Ok(st
            .events
            .iter()
            .filter(|e| after.is_none_or(|a| e.id > a))
            .cloned()
            .collect())
    }
}

impl Sandbox {
    fn power(
        &self,
        id: &str,
        op: &'static str,
        action: &'static str,
        from: &[InstanceStatus],
        steps: impl FnOnce(Timing) -> Vec<(Duration, InstanceStatus)>,
    ) -> ProviderResult<()> {
        let now = self.clock.now();
        let mut st = self.enter(op)?;
        let si = st.instances.get_mut(id).ok_or_else(|| not_found(id))?;
        if !si.schedule.is_empty() {
            return Err(ProviderError::Busy);
        }
        if !from.contains(&si.instance.status) {
            return Err(ProviderError::Validation {
                field: "status".into(),
                message: format!(
                    "cannot {op} an instance that is {}",
                    si.instance.status.as_str()
                ),
            });
        }
        let steps = steps(self.timing);
        // A zero-delay first step applies at once, as the provider answers.
        let mut rest: &[(Duration, InstanceStatus)] = &steps;
        if let Some((d, s)) = steps.first() {
            if d.is_zero() {
                si.instance.status = *s;
                rest = &steps[1..];
            }
        }
        si.plan(now, action, rest);
        push_event(&mut st, action, Some(id), "started", now);
        Ok(())
    }
}

/// Linode's length rule for root passwords, in characters (not bytes): an
/// 11-letter password in Norwegian or Greek is 11 characters, whatever its
/// UTF-8 length.
fn check_root_pass(password: &Secret) -> ProviderResult<()> {
    if !(11..=128).contains(&password.expose().chars().count()) {
        return Err(ProviderError::Validation {
            field: "root_pass".into(),
            message: "root password must be 11–128 characters".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use cs_core::FixedClock;

    fn setup() -> (Arc<FixedClock>, Sandbox) {
        let clock = Arc::new(FixedClock::new(
            chrono::Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap(),
        ));
        let sb = Sandbox::new(clock.clone(), Timing::uniform(Duration::seconds(2)));
        (clock, sb)
    }

    fn request(label: &str) -> CreateInstance {
        CreateInstance {
            label: label.into(),
            region: "eu-west".into(),
            instance_type: "sb-small".into(),
            image: "sandbox/debian12".into(),
            root_password: Some(Secret::new("Correct-Horse-9")),
            authorized_keys: vec![],
            stackscript_id: None,
            stackscript_data: vec![],
            user_data: None,
            firewall_id: None,
            tags: vec![],
            backups_enabled: false,
        }
    }

    #[tokio::test]
    async fn root_passwords_are_counted_in_characters() {
        let (clock, sb) = setup();
        let mut short = request("web-1");
        // Six characters, twelve bytes.
        short.root_password = Some(Secret::new("ÆØÅæøå"));
        assert!(matches!(
            sb.create_instance(&short).await,
            Err(ProviderError::Validation { .. })
        ));
        let mut ok = request("web-1");
        ok.root_password = Some(Secret::new("Ærøskøbing1"));
        let i = sb.create_instance(&ok).await.unwrap();
        clock.advance(Duration::seconds(4));
        sb.shutdown(&i.id).await.unwrap();
        clock.advance(Duration::seconds(2));
        sb.reset_root_password(&i.id, &Secret::new("Ærøskøbing1"))
            .await
            .unwrap();
        assert!(sb
            .reset_root_password(&i.id, &Secret::new("ÆØÅæøå"))
            .await
            .is_err());
    }

    #[tokio::test]
    async fn an_instance_walks_the_real_status_sequence() {
        let (clock, sb) = setup();
        let i = sb.create_instance(&request("web-1")).await.unwrap();
        assert_eq!(i.status, InstanceStatus::Provisioning);
        clock.advance(Duration::seconds(2));
        assert_eq!(
            sb.get_instance(&i.id).await.unwrap().status,
            InstanceStatus::Booting
        );
        clock.advance(Duration::seconds(2));
        assert_eq!(
            sb.get_instance(&i.id).await.unwrap().status,
            InstanceStatus::Running
        );
        sb.shutdown(&i.id).await.unwrap();
        assert_eq!(
            sb.get_instance(&i.id).await.unwrap().status,
            InstanceStatus::ShuttingDown
        );
        assert_eq!(sb.boot(&i.id).await.unwrap_err(), ProviderError::Busy);
        clock.advance(Duration::seconds(2));
        assert_eq!(
            sb.get_instance(&i.id).await.unwrap().status,
            InstanceStatus::Offline
        );
        sb.delete(&i.id).await.unwrap();
        clock.advance(Duration::seconds(2));
        assert!(matches!(
            sb.get_instance(&i.id).await,
            Err(ProviderError::NotFound(_))
        ));
        let actions: Vec<(String, String)> = sb
            .events(None)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.action, e.status))
            .collect();
        assert_eq!(
            actions,
            [
                ("linode_create", "started"),
                ("linode_create", "finished"),
                ("linode_shutdown", "started"),
                ("linode_shutdown", "finished"),
                ("linode_delete", "started"),
                ("linode_delete", "finished")
            ]
            .map(|(a, s)| (a.to_string(), s.to_string()))
        );
    }

    #[tokio::test]
    async fn injected_faults_fire_once() {
        let (clock, sb) = setup();
        sb.inject(Fault::Fail {
            op: "create_instance",
            error: ProviderError::Unavailable("maintenance".into()),
        });
        assert!(sb.create_instance(&request("web-1")).await.is_err());
        assert!(sb.list_instances().await.unwrap().is_empty());
        sb.inject(Fault::FailProvisioning);
        let i = sb.create_instance(&request("web-1")).await.unwrap();
        clock.advance(Duration::seconds(5));
        assert_eq!(
            sb.get_instance(&i.id).await.unwrap().status,
            InstanceStatus::Failed
        );
        assert_eq!(
            sb.events(None).await.unwrap().last().unwrap().status,
            "failed"
        );
    }

    #[tokio::test]
    async fn labels_are_unique_and_found_after_an_ambiguous_create() {
        let (_clock, sb) = setup();
        sb.create_instance(&request("web-1")).await.unwrap();
        let err = sb.create_instance(&request("web-1")).await.unwrap_err();
        assert!(matches!(err, ProviderError::Validation { ref field, .. } if field == "label"));
        assert!(sb.find_instance_by_label("web-1").await.unwrap().is_some());
        assert!(sb.find_instance_by_label("web-2").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn catalogue_and_validation() {
        let (_clock, sb) = setup();
        let types = sb.instance_types().await.unwrap();
        let small = types.iter().find(|t| t.id == "sb-small").unwrap();
        assert_eq!(small.price_in("eu-west").monthly_minor, 1200);
        assert_eq!(small.price_in("ap-south").monthly_minor, 1440);
        let mut bad = request("web-1");
        bad.region = "sa-east".into();
        assert!(matches!(
            sb.create_instance(&bad).await,
            Err(ProviderError::Validation { .. })
        ));
    }

    #[tokio::test]
    async fn stats_are_plausible_and_deterministic() {
        let (clock, sb) = setup();
        let i = sb.create_instance(&request("web-1")).await.unwrap();
        clock.advance(Duration::hours(30));
        let a = sb.stats(&i.id).await.unwrap();
        let b = sb.stats(&i.id).await.unwrap();
        assert_eq!(a, b);
        assert_eq!(a.cpu_percent.len(), 288);
        assert!(a
            .cpu_percent
            .iter()
            .all(|s| (0.0..=100.0).contains(&s.value)));
        assert!(a.network_out_bits_per_s.iter().any(|s| s.value > 0.0));
    }

    #[tokio::test]
    async fn backups_ips_and_firewalls() {
        let (_clock, sb) = setup();
        let i = sb.create_instance(&request("web-1")).await.unwrap();
        assert!(sb.take_snapshot(&i.id, "before-upgrade").await.is_err());
        sb.enable_backups(&i.id).await.unwrap();
        let snap = sb.take_snapshot(&i.id, "before-upgrade").await.unwrap();
        assert_eq!(sb.list_backups(&i.id).await.unwrap(), vec![snap.clone()]);
        sb.restore_backup(&i.id, &snap.id, &i.id).await.unwrap();
        let ip = sb.allocate_ipv4(&i.id).await.unwrap();
        assert_eq!(sb.ips(&i.id).await.unwrap().len(), 2);
        assert!(sb
            .set_reverse_dns(&ip.address, Some("not a host"))
            .await
            .is_err());
        sb.set_reverse_dns(&ip.address, Some("web-1.example.com"))
            .await
            .unwrap();
        assert!(sb
            .ips(&i.id)
            .await
            .unwrap()
            .iter()
            .any(|x| x.rdns.as_deref() == Some("web-1.example.com")));
        let rules = FirewallRules {
            inbound_policy: "DROP".into(),
            outbound_policy: "ACCEPT".into(),
            inbound: vec![],
            outbound: vec![],
        };
        let fw = sb
            .create_firewall(&NewFirewall {
                label: "web".into(),
                rules: rules.clone(),
            })
            .await
            .unwrap();
        sb.attach_firewall(&fw.id, &i.id).await.unwrap();
        assert_eq!(
            sb.firewalls().await.unwrap()[0].instance_ids,
            vec![i.id.clone()]
        );
    }
}
