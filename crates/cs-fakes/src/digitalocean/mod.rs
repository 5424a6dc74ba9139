//! A stateful fake of the DigitalOcean API v2, served over real HTTP under `/v2`.
//!
//! [`FakeDigitalOcean::start`] binds `127.0.0.1:0` and returns a handle with the base URL and
//! a control surface: tokens with DigitalOcean's scopes (legacy `read` / `write`, or custom
//! `droplet:create` … scopes), the account's status and limits, fault switches, out-of-band
//! changes "made in DigitalOcean's console", seeding, the nightly backup job and the request
//! log. Droplets move through DigitalOcean's statuses (`new` → `active`, `off`) only through
//! actions, as the real API does: every change is an action that stays `in-progress` for a
//! configurable time and then ends `completed` (or `errored`, when a test asks for it), and a
//! Droplet with a pending action refuses another with DigitalOcean's 422. Backups, snapshots,
//! SSH keys, reserved IPs (with their assign/unassign actions), cloud firewalls and the
//! monitoring series (CPU counters, bandwidth, filesystem) are kept per account. Lists are
//! paginated with `links.pages` and `meta.total` (20 a page by default, at most 200); errors
//! use `{"id","message","request_id"}`; every answer carries `ratelimit-limit`,
//! `ratelimit-remaining` and `ratelimit-reset`, and the per-token hourly and per-minute
//! limits answer 429 (the burst one with `retry-after`). Faults (5xx before or after the
//! request is applied, 429, latency, connections dropped before or after applying) are
//! switched on by count or by seeded probability.
//!
//! It is not DigitalOcean: there are no volumes, VPC objects, projects, load balancers or
//! Kubernetes, the catalogue is a small invented one in DigitalOcean's shape, one request
//! creates one Droplet, and nothing is ever really provisioned.

mod catalogue;
mod http;
mod metrics;
mod render;
mod state;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::net::TcpListener;
use tokio::sync::watch;

use state::State;

/// `capacity` requests per `window`, per token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FakeLimit {
    pub capacity: u32,
    pub window: Duration,
}

/// How the fake behaves.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// How long an action stays `in-progress` (a create takes two of these).
    pub step: Duration,
    /// The hourly budget of a token (5,000 an hour); `ratelimit-limit` reports it.
    pub hourly_limit: FakeLimit,
    /// The burst limit (250 a minute); exceeding it answers 429 with `retry-after`.
    pub burst_limit: FakeLimit,
    /// `GET /v2/account/keys` has its own limit (10 per 60 s).
    pub ssh_key_list_limit: FakeLimit,
    /// Droplets the account may have (`droplet_limit` of `GET /v2/account`).
    pub droplet_limit: u32,
    /// Reserved IPs the account may have (`floating_ip_limit`).
    pub reserved_ip_limit: u32,
    pub email: String,
    /// Seed for probabilistic faults and tokens.
    pub seed: u64,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            step: Duration::from_secs(3),
            hourly_limit: FakeLimit {
                capacity: 5000,
                window: Duration::from_secs(3600),
            },
            burst_limit: FakeLimit {
                capacity: 250,
                window: Duration::from_secs(60),
            },
            ssh_key_list_limit: FakeLimit {
                capacity: 10,
                window: Duration::from_secs(60),
            },
            droplet_limit: 25,
            reserved_ip_limit: 3,
            email: "reseller@example.com".to_owned(),
            seed: 11,
        }
    }
}

impl FakeConfig {
    /// Fast actions, for tests.
    pub fn fast() -> Self {
        FakeConfig {
            step: Duration::from_millis(40),
            ..FakeConfig::default()
        }
    }
}

/// What an injected fault does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// A 5xx with DigitalOcean's error body, before anything is applied.
    ServerError(u16),
    /// The request is applied, then answered with this 5xx (a gateway that lost the
    /// backend's answer): the caller cannot tell it from [`FaultKind::ServerError`].
    ServerErrorAfterApply(u16),
    /// 429 before anything is applied: with `retry-after` (the burst limit) or without
    /// (the hourly budget, whose `ratelimit-reset` says when to come back).
    RateLimited { retry_after_secs: Option<u64> },
    /// The connection is closed before the request is applied.
    DropBeforeApply,
    /// The request is applied, then the connection is closed without an answer.
    DropAfterApply,
    /// The answer is delayed.
    Latency(Duration),
}

/// When a fault fires: on requests matching `method` (any if `None`) and `path`
/// (relative to `/v2`; exact, or a prefix when it ends with `*`), for the next `count`
/// matches and/or with a probability of `permille`/1000 (seeded).
#[derive(Debug, Clone)]
pub struct FaultRule {
    pub kind: FaultKind,
    pub method: Option<String>,
    pub path: String,
    pub count: Option<u32>,
    pub permille: u32,
}

impl FaultRule {
    /// A fault on `METHOD path` (path relative to `/v2`, e.g. `/droplets`).
    pub fn new(kind: FaultKind, method: &str, path: &str) -> Self {
        FaultRule {
            kind,
            method: Some(method.to_ascii_uppercase()),
            path: path.to_owned(),
            count: None,
            permille: 0,
        }
    }
    /// A fault on every method of `path`.
    pub fn any_method(kind: FaultKind, path: &str) -> Self {
        FaultRule {
            method: None,
            ..FaultRule::new(kind, "GET", path)
        }
    }
    /// Fires on the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.count = Some(n);
        self
    }
    /// Fires with probability `permille`/1000 (after any counted firings are used up).
    pub fn probability_permille(mut self, permille: u32) -> Self {
        self.permille = permille.min(1000);
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        let m = self.method.as_deref().is_none_or(|m| m == method);
        let p = match self.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => path == self.path,
        };
        m && p
    }
}

/// One request the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path relative to `/v2`, without the query.
    pub path: String,
    pub query: Option<String>,
    /// Status answered, or `None` when the connection was dropped.
    pub status: Option<u16>,
}

/// The per-token windows the fake counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Window {
    Hour,
    Burst,
    SshKeyList,
}

/// What the rate limiter decided for one request.
pub(crate) enum RateDecision {
    /// Allowed: `(limit, remaining, reset epoch seconds)` for the headers.
    Allowed(u32, u32, u64),
    /// Refused: the headers, and `retry-after` when it was the burst limit.
    Refused {
        limit: u32,
        reset_epoch: u64,
        retry_after: Option<u64>,
    },
}

pub(crate) struct Shared {
    pub state: Mutex<State>,
    pub(crate) faults: Mutex<Vec<FaultRule>>,
    rng: Mutex<StdRng>,
    pub(crate) log: Mutex<Vec<RecordedRequest>>,
    windows: Mutex<HashMap<(String, Window), VecDeque<Instant>>>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic in a handler must not wedge the whole fake.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn epoch_in(wait: Duration) -> u64 {
    chrono::Utc::now().timestamp().max(0) as u64 + wait.as_millis().div_ceil(1000) as u64
}

impl Shared {
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        let mut s = lock(&self.state);
        s.tick(Instant::now());
        s
    }

    /// The faults that fire for this request (counts are consumed).
    pub(crate) fn draw_faults(&self, method: &str, path: &str) -> Vec<FaultKind> {
        let mut rules = lock(&self.faults);
        let mut rng = lock(&self.rng);
        let mut fired = Vec::new();
        for rule in rules.iter_mut().filter(|r| r.matches(method, path)) {
            let fire = match rule.count {
                Some(n) if n > 0 => {
                    rule.count = Some(n - 1);
                    true
                }
                _ => rule.permille > 0 && rng.random_range(0..1000) < rule.permille,
            };
            if fire {
                fired.push(rule.kind.clone());
            }
        }
        fired
    }

    pub(crate) fn record(&self, req: RecordedRequest) -> usize {
        let mut log = lock(&self.log);
        log.push(req);
        log.len() - 1
    }

    pub(crate) fn set_status(&self, index: usize, status: Option<u16>) {
        if let Some(r) = lock(&self.log).get_mut(index) {
            r.status = status;
        }
    }

    /// DigitalOcean's accounting: each request counts against the hourly budget for one
    /// hour after it was made (so `ratelimit-reset` is when the oldest one expires), and
    /// against the burst limit for one minute. A refused request counts against neither.
    pub(crate) fn take_rate(&self, token: &str, ssh_key_list: bool) -> RateDecision {
        let (hour, burst, keys) = {
            let s = lock(&self.state);
            (
                s.config.hourly_limit,
                s.config.burst_limit,
                s.config.ssh_key_list_limit,
            )
        };
        let now = Instant::now();
        let mut windows = lock(&self.windows);
        let mut prune = |w: Window, limit: FakeLimit| -> (usize, Duration) {
            let q = windows.entry((token.to_owned(), w)).or_default();
            while q
                .front()
                .is_some_and(|t| now.duration_since(*t) >= limit.window)
            {
                q.pop_front();
            }
            let until_oldest_expires = q.front().map_or(limit.window, |t| {
                limit.window.saturating_sub(now.duration_since(*t))
            });
            (q.len(), until_oldest_expires)
        };
        let (used_h, reset_h) = prune(Window::Hour, hour);
        let (used_b, reset_b) = prune(Window::Burst, burst);
        let (used_k, reset_k) = if ssh_key_list {
            prune(Window::SshKeyList, keys)
        } else {
            (0, Duration::ZERO)
        };
        if used_h as u32 >= hour.capacity {
            return RateDecision::Refused {
                limit: hour.capacity,
                reset_epoch: epoch_in(reset_h),
                retry_after: None,
            };
        }
        if used_b as u32 >= burst.capacity {
            return RateDecision::Refused {
                limit: hour.capacity,
                reset_epoch: epoch_in(reset_h),
                retry_after: Some(reset_b.as_millis().div_ceil(1000).max(1) as u64),
            };
        }
        if ssh_key_list && used_k as u32 >= keys.capacity {
            return RateDecision::Refused {
                limit: hour.capacity,
                reset_epoch: epoch_in(reset_h),
                retry_after: Some(reset_k.as_millis().div_ceil(1000).max(1) as u64),
            };
        }
        let mut windows_to_use = vec![Window::Hour, Window::Burst];
        if ssh_key_list {
            windows_to_use.push(Window::SshKeyList);
        }
        for w in windows_to_use {
            windows
                .entry((token.to_owned(), w))
                .or_default()
                .push_back(now);
        }
        let oldest = windows
            .get(&(token.to_owned(), Window::Hour))
            .and_then(|q| q.front().copied())
            .unwrap_or(now);
        let reset = hour.window.saturating_sub(now.duration_since(oldest));
        RateDecision::Allowed(
            hour.capacity,
            hour.capacity - used_h as u32 - 1,
            epoch_in(reset),
        )
    }
}

/// A running fake. Dropping it does not stop the server; call [`FakeDigitalOcean::shutdown`].
pub struct FakeDigitalOcean {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

/// The scopes of a full-access personal access token (DigitalOcean's "Full Access").
pub const FULL_ACCESS: &[&str] = &["read", "write"];
/// The scope of a read-only token.
pub const READ_ONLY: &[&str] = &["read"];

impl FakeDigitalOcean {
    /// Starts the fake on `127.0.0.1:0`.
    pub async fn start(config: FakeConfig) -> std::io::Result<FakeDigitalOcean> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts the fake on a given address (the demo binary may use a fixed port).
    pub async fn start_on(
        config: FakeConfig,
        addr: SocketAddr,
    ) -> std::io::Result<FakeDigitalOcean> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let seed = config.seed;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new(config)),
            faults: Mutex::new(Vec::new()),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            log: Mutex::new(Vec::new()),
            windows: Mutex::new(HashMap::new()),
        });
        let router = http::router(shared.clone());
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(crate::linode::serve(listener, router, stop_rx));
        Ok(FakeDigitalOcean {
            addr,
            shared,
            stop,
            task,
        })
    }

    /// `http://127.0.0.1:PORT` (the server root; the API is under `/v2`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/v2`, what a client takes as its base URL.
    pub fn api_url(&self) -> String {
        format!("http://{}/v2", self.addr)
    }

    /// Creates a personal access token with the given scopes and returns it. Use
    /// [`FULL_ACCESS`], [`READ_ONLY`], or custom scopes such as `droplet:read`.
    pub fn create_token(&self, scopes: &[&str]) -> String {
        let token = random_token(&self.shared);
        lock(&self.shared.state).tokens.insert(
            token.clone(),
            state::TokenRec {
                scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            },
        );
        token
    }

    /// Revokes a token (later requests with it answer 401).
    pub fn revoke_token(&self, token: &str) {
        lock(&self.shared.state).tokens.remove(token);
    }

    pub fn add_fault(&self, rule: FaultRule) {
        lock(&self.shared.faults).push(rule);
    }

    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// The next action of this type (`power_on`, `snapshot`, `create` …) ends `errored`
    /// and changes nothing.
    pub fn fail_next_action(&self, kind: &str) {
        lock(&self.shared.state).fail_next.push(kind.to_owned());
    }

    /// Lets every action in progress reach its end now (fast-forward, for tests that
    /// count requests rather than wait).
    pub fn finish_pending_actions(&self) {
        let mut s = lock(&self.shared.state);
        let now = Instant::now();
        for a in s.actions.values_mut().filter(|a| a.in_progress()) {
            a.due = now;
        }
        s.tick(now);
    }

    /// Sets the account's status (`active`, `warning`, `locked`) and its message.
    pub fn set_account_status(&self, status: &str, message: &str) {
        let mut s = lock(&self.shared.state);
        s.account_status = (status.to_owned(), message.to_owned());
    }

    /// Adds `n` active Droplets directly (no requests, no limits), for scale tests.
    pub fn seed_droplets(&self, n: usize, region: &str, size: &str) -> Vec<u64> {
        let mut s = self.shared.state();
        (0..n)
            .map(|k| {
                let name = format!("seed-{k}");
                s.seed_droplet(&name, region, size)
                    .expect("seeded Droplets use the fake's catalogue")
            })
            .collect()
    }

    /// Runs the nightly backup job: one backup image per Droplet with backups enabled.
    pub fn run_nightly_backups(&self) -> usize {
        self.shared.state().nightly_backups()
    }

    /// Deletes a Droplet as DigitalOcean's console would (with its `destroy` action).
    pub fn console_delete(&self, id: u64) -> bool {
        self.shared.state().destroy(id).is_ok()
    }

    /// Resizes a Droplet (CPU and RAM only) as the console would: it is powered off,
    /// resized at once, and left off.
    pub fn console_resize(&self, id: u64, size: &str) -> bool {
        self.shared.state().console_resize(id, size)
    }

    /// Turns backups on or off as the console would (an action that completes at once).
    pub fn console_backups(&self, id: u64, enabled: bool) -> bool {
        self.shared.state().console_backups(id, enabled)
    }

    /// Makes a Droplet look `age` older (its creation time and so its monitoring history),
    /// so tests can read a day of graphs from a Droplet made a moment ago.
    pub fn backdate_droplet(&self, id: u64, age: Duration) -> bool {
        let mut s = self.shared.state();
        match (s.droplets.get_mut(&id), chrono::Duration::from_std(age)) {
            (Some(d), Ok(age)) => {
                d.created -= age;
                true
            }
            _ => false,
        }
    }

    /// Number of Droplets that exist.
    pub fn droplet_count(&self) -> usize {
        self.shared.state().droplets.len()
    }

    /// Names of existing Droplets (duplicates included: DigitalOcean allows them).
    pub fn droplet_names(&self) -> Vec<String> {
        self.shared
            .state()
            .droplets
            .values()
            .map(|d| d.name.clone())
            .collect()
    }

    /// Status (`new`, `active`, `off`) of a Droplet as the fake sees it now.
    pub fn droplet_status(&self, id: u64) -> Option<String> {
        self.shared
            .state()
            .droplets
            .get(&id)
            .map(|d| d.status.to_owned())
    }

    /// Size slug of a Droplet.
    pub fn droplet_size(&self, id: u64) -> Option<String> {
        self.shared
            .state()
            .droplets
            .get(&id)
            .map(|d| d.size.to_owned())
    }

    /// The cloud-init user data a Droplet was created with (what its metadata service
    /// would hand to cloud-init).
    pub fn droplet_user_data(&self, id: u64) -> Option<String> {
        self.shared
            .state()
            .droplets
            .get(&id)
            .and_then(|d| d.user_data.clone())
    }

    /// Fingerprints of the SSH keys a Droplet was created with.
    pub fn droplet_ssh_keys(&self, id: u64) -> Vec<String> {
        let s = self.shared.state();
        s.droplets.get(&id).map_or_else(Vec::new, |d| {
            d.ssh_keys
                .iter()
                .filter_map(|k| s.ssh_keys.get(k))
                .map(|k| k.fingerprint.clone())
                .collect()
        })
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log).clone()
    }

    /// Requests received for `METHOD path` (path relative to `/v2`).
    pub fn request_count(&self, method: &str, path: &str) -> usize {
        lock(&self.shared.log)
            .iter()
            .filter(|r| r.method == method && r.path == path)
            .count()
    }

    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }

    /// Stops accepting connections and closes open ones.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Signals a connection task to close its socket without answering.
pub(crate) use crate::linode::ConnKill;

/// A token in DigitalOcean's personal-access-token format (`dop_v1_` and 64 hex digits).
pub(crate) fn random_token(shared: &Shared) -> String {
    let mut rng = lock(&shared.rng);
    let hex: String = (0..64)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect();
    format!("dop_v1_{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    async fn get(url: &str, token: &str) -> (u16, reqwest::header::HeaderMap, Value) {
        let r = reqwest::Client::new()
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, headers, r.json().await.unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn wire_shapes_scopes_pages_and_rate_headers() {
        let mut cfg = FakeConfig::fast();
        cfg.burst_limit = FakeLimit {
            capacity: 6,
            window: Duration::from_secs(60),
        };
        let fake = FakeDigitalOcean::start(cfg).await.unwrap();
        fake.seed_droplets(45, "nyc3", "s-1vcpu-1gb");
        let full = fake.create_token(FULL_ACCESS);
        let api = fake.api_url();

        let (status, headers, body) =
            get(&format!("{api}/droplets?per_page=20&page=2"), &full).await;
        assert_eq!(status, 200);
        assert_eq!(body["meta"]["total"], 45);
        assert_eq!(body["droplets"].as_array().unwrap().len(), 20);
        let pages = &body["links"]["pages"];
        for k in ["first", "prev", "next", "last"] {
            assert!(
                pages[k].as_str().unwrap().contains("/v2/droplets?page="),
                "{pages}"
            );
        }
        assert!(pages["last"].as_str().unwrap().contains("page=3"));
        assert_eq!(headers["ratelimit-limit"], "5000");
        assert_eq!(headers["ratelimit-remaining"], "4999");
        assert!(
            headers["ratelimit-reset"]
                .to_str()
                .unwrap()
                .parse::<u64>()
                .unwrap()
                > 1_600_000_000
        );

        let (status, _, body) = get(&format!("{api}/droplets"), "dop_v1_nope").await;
        assert_eq!(status, 401);
        assert_eq!(body["id"], "unauthorized");
        assert!(body["request_id"].as_str().is_some_and(|r| r.len() == 36));

        let ro = fake.create_token(READ_ONLY);
        let resp = reqwest::Client::new()
            .post(format!("{api}/droplets"))
            .bearer_auth(&ro)
            .json(&serde_json::json!({"name":"x","size":"s-1vcpu-1gb","image":"debian-12-x64"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 403);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["id"], "forbidden");
        assert_eq!(fake.droplet_count(), 45);

        // The burst limit: six requests a minute for `full` in this test.
        let mut last = (0, reqwest::header::HeaderMap::new(), Value::Null);
        for _ in 0..6 {
            last = get(&format!("{api}/account"), &full).await;
        }
        assert_eq!(last.0, 429);
        assert_eq!(last.2["id"], "too_many_requests");
        assert!(last.1.contains_key("retry-after"));
        assert_eq!(last.1["ratelimit-remaining"], "0");
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn the_control_routes_drive_the_fake_for_demos_and_end_to_end_tests() {
        let fake = FakeDigitalOcean::start(FakeConfig::fast()).await.unwrap();
        let http = reqwest::Client::new();
        let control = |path: &str| format!("{}/__control/{path}", fake.base_url());
        let post =
            |path: &str, body: serde_json::Value| http.post(control(path)).json(&body).send();
        let token: Value = post("tokens", serde_json::json!({"scopes": ["read"]}))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = token["token"].as_str().unwrap().to_owned();
        assert!(token.starts_with("dop_v1_"));
        let (status, _, _) = get(&format!("{}/account", fake.api_url()), &token).await;
        assert_eq!(status, 200);

        let ids = fake.seed_droplets(2, "nyc3", "s-1vcpu-1gb");
        let r = post(
            "console",
            serde_json::json!({"droplet_id": ids[0], "action": "resize", "size": "s-2vcpu-4gb"}),
        )
        .await
        .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(fake.droplet_size(ids[0]).as_deref(), Some("s-2vcpu-4gb"));
        assert_eq!(fake.droplet_status(ids[0]).as_deref(), Some("off"));
        post(
            "console",
            serde_json::json!({"droplet_id": ids[1], "action": "delete"}),
        )
        .await
        .unwrap();
        assert_eq!(fake.droplet_count(), 1);
        let r = post(
            "console",
            serde_json::json!({"droplet_id": 1, "action": "delete"}),
        )
        .await
        .unwrap();
        assert_eq!(r.status().as_u16(), 404);

        post("faults", serde_json::json!({"kind": "server_error", "status": 503, "path": "/account", "count": 1})).await.unwrap();
        let (status, _, body) = get(&format!("{}/account", fake.api_url()), &token).await;
        assert_eq!((status, body["id"].as_str()), (503, Some("server_error")));
        let bad = post("faults", serde_json::json!({"kind": "meteor"}))
            .await
            .unwrap();
        assert_eq!(bad.status().as_u16(), 400);
        post(
            "account",
            serde_json::json!({"status": "locked", "message": "Overdue."}),
        )
        .await
        .unwrap();
        let (_, _, body) = get(&format!("{}/account", fake.api_url()), &token).await;
        assert_eq!(body["account"]["status"], "locked");
        post("fail-action", serde_json::json!({"type": "power_on"}))
            .await
            .unwrap();
        assert_eq!(
            lock(&fake.shared.state).fail_next,
            vec!["power_on".to_owned()]
        );
        let n: Value = post("backups/nightly", serde_json::json!({}))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(n["backups"], 0);
        let log: Value = http
            .get(control("requests"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            log["requests"].as_array().unwrap().len(),
            3,
            "the API calls, not the control ones"
        );
        fake.shutdown().await;
    }
}
