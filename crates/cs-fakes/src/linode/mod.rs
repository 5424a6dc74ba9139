//! A stateful fake of the Linode API v4, served over real HTTP under `/v4`.
//!
//! [`FakeLinode::start`] binds `127.0.0.1:0` and returns a handle with the base URL, a
//! control surface (tokens with scopes, a user and an expiry — listed, first 16 characters
//! only, by `GET /profile/tokens` — fault switches, forward DNS records, seeding, the
//! request log) and `shutdown`. Instances move through Linode's real status sequences
//! (provisioning → booting → running, shutting_down → offline, rebooting, deleting) driven
//! by the wall clock at a configurable speed, and every action leaves an account event.
//! Backups and snapshots, IPs with rDNS validation, firewalls with rules and devices, stats
//! series and transfer are kept per account. Lists are paginated and filtered (`X-Filter`)
//! like Linode; errors use `{"errors":[{"reason","field"}]}`; every answer carries the
//! documented `X-RateLimit-Limit`, `-Remaining` and `-Reset` headers, and per-token rate
//! limits answer 429 with `Retry-After`. Faults ("Linode busy.", 5xx, 429 with or without
//! `Retry-After`, latency, connections dropped before or after a request is applied) can be
//! switched on by count or by seeded probability.
//!
//! It is not Linode: there are no disks, configs, volumes, VPCs or NodeBalancers, the
//! catalogue is our own small invented one, and nothing is ever really provisioned.

mod catalogue;
mod filter;
mod http;
mod render;
mod state;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};

use state::State;

/// A per-token limit: `capacity` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FakeLimit {
    pub capacity: u32,
    pub window: Duration,
}

/// How the fake behaves.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// Time each status of a sequence lasts (provisioning, booting, shutting_down …).
    pub step: Duration,
    /// Rate limits per class, per token (documented values by default).
    pub create_limit: FakeLimit,
    pub stats_limit: FakeLimit,
    pub paginated_limit: FakeLimit,
    pub other_limit: FakeLimit,
    /// Seed for probabilistic faults.
    pub seed: u64,
    /// Extra public IPv4 addresses per instance before Linode asks for a justification.
    pub max_public_ipv4: usize,
    /// Linode sends timestamps without a zone (`2024-01-01T00:00:00`). The official spec
    /// declares RFC 3339 `date-time`, which requires one; set this to send `…Z` instead,
    /// for spec validators.
    pub zoned_timestamps: bool,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            step: Duration::from_secs(3),
            create_limit: FakeLimit {
                capacity: 20,
                window: Duration::from_secs(15),
            },
            stats_limit: FakeLimit {
                capacity: 50,
                window: Duration::from_secs(60),
            },
            paginated_limit: FakeLimit {
                capacity: 200,
                window: Duration::from_secs(60),
            },
            other_limit: FakeLimit {
                capacity: 1600,
                window: Duration::from_secs(60),
            },
            seed: 7,
            max_public_ipv4: 2,
            zoned_timestamps: false,
        }
    }
}

impl FakeConfig {
    /// Fast transitions and generous limits, for tests.
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
    /// `400 {"errors":[{"reason":"Linode busy."}]}` before anything is applied.
    Busy,
    /// A 5xx with Linode's error body, before anything is applied.
    ServerError(u16),
    /// `429 Too many requests` with this `Retry-After` (seconds).
    RateLimited { retry_after_secs: u64 },
    /// `429 Too many requests` without `Retry-After`, as Linode often answers. With
    /// `reset_secs: None` only `X-RateLimit-Limit` is sent (like every recorded real 429);
    /// with `Some(n)` also `X-RateLimit-Remaining: 0` and `X-RateLimit-Reset` `n` seconds
    /// from now (epoch seconds, rounded up).
    RateLimitedWithoutRetryAfter { reset_secs: Option<u64> },
    /// The connection is closed before the request is applied.
    DropBeforeApply,
    /// The request is applied, then the connection is closed without an answer.
    DropAfterApply,
    /// The answer is delayed.
    Latency(Duration),
}

/// When a fault fires: on requests matching `method` (any if `None`) and `path`
/// (exact, or a prefix when it ends with `*`), for the next `count` matches and/or
/// with a probability of `permille`/1000 (seeded).
#[derive(Debug, Clone)]
pub struct FaultRule {
    pub kind: FaultKind,
    pub method: Option<String>,
    pub path: String,
    pub count: Option<u32>,
    pub permille: u32,
}

impl FaultRule {
    /// A fault on `METHOD path` (path relative to `/v4`, e.g. `/linode/instances`).
    pub fn new(kind: FaultKind, method: &str, path: &str) -> Self {
        FaultRule {
            kind,
            method: Some(method.to_ascii_uppercase()),
            path: path.to_owned(),
            count: None,
            permille: 0,
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
    /// Path relative to `/v4`, without the query.
    pub path: String,
    pub query: Option<String>,
    /// Status answered, or `None` when the connection was dropped.
    pub status: Option<u16>,
    /// When the fake received it.
    pub at: Instant,
}

pub(crate) struct Shared {
    pub state: Mutex<State>,
    pub(crate) faults: Mutex<Vec<FaultRule>>,
    rng: Mutex<StdRng>,
    pub(crate) log: Mutex<Vec<RecordedRequest>>,
    windows: Mutex<HashMap<(String, http::Class), VecDeque<Instant>>>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic in a handler must not wedge the whole fake.
    m.lock().unwrap_or_else(|p| p.into_inner())
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

    /// Sliding-window check; returns `(limit, remaining, reset_in)` or the wait on refusal.
    pub(crate) fn take_rate(
        &self,
        token: &str,
        class: http::Class,
    ) -> Result<(u32, u32, Duration), (u32, Duration)> {
        let limit = {
            let s = lock(&self.state);
            match class {
                http::Class::Create => s.config.create_limit,
                http::Class::Stats => s.config.stats_limit,
                http::Class::Paginated => s.config.paginated_limit,
                http::Class::Other => s.config.other_limit,
            }
        };
        let mut windows = lock(&self.windows);
        let q = windows.entry((token.to_owned(), class)).or_default();
        let now = Instant::now();
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= limit.window)
        {
            q.pop_front();
        }
        if q.len() as u32 >= limit.capacity {
            let wait = q.front().map_or(limit.window, |t| {
                limit.window.saturating_sub(now.duration_since(*t))
            });
            return Err((limit.capacity, wait));
        }
        q.push_back(now);
        let reset = q.front().map_or(limit.window, |t| {
            limit.window.saturating_sub(now.duration_since(*t))
        });
        Ok((limit.capacity, limit.capacity - q.len() as u32, reset))
    }
}

/// A running fake. Dropping it does not stop the server; call [`FakeLinode::shutdown`].
pub struct FakeLinode {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeLinode {
    /// Starts the fake on `127.0.0.1:0`.
    pub async fn start(config: FakeConfig) -> std::io::Result<FakeLinode> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts the fake on a given address (the demo binary uses a fixed port).
    pub async fn start_on(config: FakeConfig, addr: SocketAddr) -> std::io::Result<FakeLinode> {
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
        let task = tokio::spawn(serve(listener, router, stop_rx));
        Ok(FakeLinode {
            addr,
            shared,
            stop,
            task,
        })
    }

    /// `http://127.0.0.1:PORT` (the server root; the API is under `/v4`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/v4`, what a client takes as its base URL.
    pub fn api_url(&self) -> String {
        format!("http://{}/v4", self.addr)
    }

    /// Creates a token with the given scopes (`*`, or e.g. `linodes:read_write`), returning it.
    pub fn create_token(&self, scopes: &[&str]) -> String {
        self.create_token_for("reseller", scopes, None)
    }

    /// Creates a token of user `username` with the given scopes, expiring at `expiry`
    /// (`None`: never), returning it. `GET /profile/tokens` lists it with its first 16
    /// characters.
    pub fn create_token_for(
        &self,
        username: &str,
        scopes: &[&str],
        expiry: Option<chrono::DateTime<chrono::Utc>>,
    ) -> String {
        let token = random_token(&self.shared);
        let mut s = lock(&self.shared.state);
        let rec = s.new_token(
            username,
            scopes.iter().map(|s| (*s).to_owned()).collect(),
            expiry,
        );
        s.tokens.insert(token.clone(), rec);
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

    /// Publishes a forward DNS record, so rDNS for `address` may be set to `name`.
    pub fn add_forward_dns(&self, name: &str, address: &str) {
        lock(&self.shared.state)
            .forward_dns
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push(address.to_owned());
    }

    /// Adds `n` running instances directly (no requests, no rate limits), for scale tests.
    pub fn seed_instances(&self, n: usize, region: &str, type_id: &str) -> Vec<u64> {
        let mut s = self.shared.state();
        (0..n)
            .map(|k| {
                let body = serde_json::json!({ "region": region, "type": type_id, "label": format!("seed-{k}-{}", s.next_id + 1), "booted": false });
                let id = s.create_instance(&body, "seeder").expect("seed instance is valid");
                if let Some(i) = s.instances.get_mut(&id) {
                    i.pending.clear();
                    i.status = "running";
                }
                id
            })
            .collect()
    }

    /// Runs the nightly backup job (one automatic backup per instance with backups on).
    pub fn run_nightly_backups(&self) -> usize {
        self.shared.state().nightly_backups()
    }

    /// Number of instances that exist (any status but gone).
    pub fn instance_count(&self) -> usize {
        self.shared.state().instances.len()
    }

    /// Labels of existing instances.
    pub fn instance_labels(&self) -> Vec<String> {
        self.shared
            .state()
            .instances
            .values()
            .map(|i| i.label.clone())
            .collect()
    }

    /// Status of an instance as the fake sees it now.
    pub fn instance_status(&self, id: u64) -> Option<String> {
        self.shared
            .state()
            .instances
            .get(&id)
            .map(|i| i.status.to_owned())
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log).clone()
    }

    /// Requests received for `METHOD path` (path relative to `/v4`).
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
#[derive(Clone)]
pub(crate) struct ConnKill(pub Arc<Notify>);

pub(crate) async fn serve(
    listener: TcpListener,
    router: axum::Router,
    mut stop: watch::Receiver<bool>,
) {
    use hyper_util::rt::TokioIo;
    use tower::Service as _;
    loop {
        let (stream, _) = tokio::select! {
            r = listener.accept() => match r { Ok(s) => s, Err(_) => continue },
            _ = stop.changed() => return,
        };
        let router = router.clone();
        let mut stop_conn = stop.clone();
        tokio::spawn(async move {
            let kill = Arc::new(Notify::new());
            let kill_for_svc = kill.clone();
            let svc = hyper::service::service_fn(
                move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnKill(kill_for_svc.clone()));
                    let mut router = router.clone();
                    async move { router.call(req.map(axum::body::Body::new)).await }
                },
            );
            let conn = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc);
            tokio::select! {
                _ = conn => {}
                _ = kill.notified() => {}
                _ = stop_conn.changed() => {}
            }
        });
    }
}

pub(crate) fn random_token(shared: &Shared) -> String {
    let mut rng = lock(&shared.rng);
    (0..64)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn raw(addr: &str, request: String) -> String {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(request.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out).await;
        String::from_utf8_lossy(&out).into_owned()
    }

    #[tokio::test]
    async fn control_api_tokens_and_dropped_connections() {
        let fake = FakeLinode::start(FakeConfig::fast()).await.unwrap();
        let addr = fake.base_url().trim_start_matches("http://").to_owned();
        let body = r#"{"scopes":["linodes:read_only"]}"#;
        let resp = raw(&addr, format!("POST /__control/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())).await;
        let json_start = resp.find('{').unwrap();
        let token: serde_json::Value = serde_json::from_str(&resp[json_start..]).unwrap();
        let token = token["token"].as_str().unwrap().to_owned();

        let resp = raw(&addr, format!("GET /v4/profile HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n")).await;
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
        assert!(
            resp.to_ascii_lowercase()
                .contains("x-oauth-scopes: linodes:read_only"),
            "{resp}"
        );
        assert!(
            resp.to_ascii_lowercase()
                .contains("x-ratelimit-limit: 1600"),
            "{resp}"
        );

        let resp = raw(&addr, format!("POST /v4/linode/instances HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}")).await;
        assert!(resp.starts_with("HTTP/1.1 403"), "{resp}");
        assert!(resp.contains("linodes:read_write"), "{resp}");

        fake.add_fault(FaultRule::new(FaultKind::DropBeforeApply, "GET", "/profile").times(1));
        let resp = raw(&addr, format!("GET /v4/profile HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n")).await;
        assert_eq!(resp, "", "the connection is closed without an answer");
        let log = fake.requests();
        assert_eq!(log.last().map(|r| r.status), Some(None));
        fake.shutdown().await;
    }
}
