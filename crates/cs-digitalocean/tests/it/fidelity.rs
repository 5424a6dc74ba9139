//! Spec fidelity: the whole operation tour runs through Stoplight Prism in proxy mode with
//! `--errors` against DigitalOcean's official OpenAPI specification, so any request the
//! client sends or answer the fake gives that the specification does not allow turns into
//! an error and fails the test. Error answers (401, 403, 404, 422, 429) go through Prism too.
//!
//! The specification is read from the shared folder (`$CS_SHARED_DIR`, or `../shared` from
//! the repository root), never copied into the repository; without it, or without Prism
//! (`npm ci` in `tests/`), the tests say so and skip.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cs_digitalocean::*;
use cs_fakes::digitalocean::{FakeDigitalOcean, FaultKind, FaultRule, FULL_ACCESS, READ_ONLY};

use crate::{ops, support};

struct Prism {
    child: Child,
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prism {
    fn tail(&self) -> String {
        let log = self.log.lock().unwrap();
        let from = log.len().saturating_sub(60);
        log[from..].join("\n")
    }

    fn api(&self) -> String {
        format!("http://127.0.0.1:{}/v2", self.port)
    }

    /// Every line where Prism reports a violation.
    fn violations(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| {
                l.contains("VIOLATIONS") || l.contains("✖  error") || l.contains("Violation:")
            })
            .cloned()
            .collect()
    }
}

pub fn shared_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("CS_SHARED_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    dir.is_dir().then_some(dir)
}

fn prism_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CS_PRISM_BIN") {
        return Some(PathBuf::from(p));
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/node_modules/.bin/prism");
    p.exists().then_some(p)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts Prism proxying to `upstream`; `None` (with a printed reason) when unavailable.
fn start_prism(upstream: &str) -> Option<Prism> {
    let Some(shared) = shared_dir() else {
        println!("SKIPPED prism fidelity: shared folder not found (set CS_SHARED_DIR)");
        return None;
    };
    let spec = shared.join("specs/digitalocean/specification/DigitalOcean-public.v2.yaml");
    if !spec.is_file() {
        println!("SKIPPED prism fidelity: {} is absent", spec.display());
        return None;
    }
    let Some(bin) = prism_bin() else {
        println!("SKIPPED prism fidelity: Prism not installed (run `npm ci` in tests/, or set CS_PRISM_BIN)");
        return None;
    };
    let port = free_port();
    let mut child = Command::new(&bin)
        .args([
            "proxy",
            spec.to_str().unwrap(),
            upstream,
            "--errors",
            "--port",
            &port.to_string(),
            "-h",
            "127.0.0.1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {}: {e}", bin.display()));
    let log = Arc::new(Mutex::new(Vec::new()));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    for stream in [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let log = log.clone();
        let ready = ready_tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if line.contains("Prism is listening") {
                    let _ = ready.send(());
                }
                log.lock().unwrap().push(line);
            }
        });
    }
    let started = Instant::now();
    if ready_rx.recv_timeout(Duration::from_secs(240)).is_err() {
        let tail = log.lock().unwrap().join("\n");
        panic!("Prism did not start within 240 s:\n{tail}");
    }
    println!("Prism ready after {:?}", started.elapsed());
    Some(Prism { child, port, log })
}

fn client(api: &str, token: &str) -> DigitalOceanClient {
    DigitalOceanClient::new(support::test_config(api, token)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_and_the_client_conform_to_the_official_spec() {
    let fake = FakeDigitalOcean::start(support::fast_config())
        .await
        .unwrap();
    let Some(prism) = start_prism(&fake.base_url()) else {
        return;
    };
    let token = fake.create_token(FULL_ACCESS);
    // Prism is validating: a request the specification forbids never reaches the fake.
    let refused = reqwest::Client::new()
        .get(format!("{}/droplets/not-a-number", prism.api()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 422);
    assert!(fake.requests().is_empty());
    // Prism's log is read by another thread: wait for the refusal's line before clearing.
    let logged = Instant::now();
    while !prism
        .violations()
        .iter()
        .any(|l| l.contains("not-a-number"))
    {
        assert!(
            logged.elapsed() < Duration::from_secs(10),
            "Prism did not log the refusal:\n{}",
            prism.tail()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    prism.log.lock().unwrap().clear();
    let through = client(&prism.api(), &token);
    let tour = tokio::spawn({
        let through = through.clone();
        async move {
            // `fake` is moved in and handed back so a panic can still print Prism's log.
            ops::full_tour(&through, &fake).await;
            fake
        }
    });
    let fake = match tour.await {
        Ok(f) => f,
        Err(e) => panic!(
            "the tour through Prism failed: {e}\n--- Prism log (tail) ---\n{}",
            prism.tail()
        ),
    };

    // Error answers conform too.
    let e = client(&prism.api(), "dop_v1_not-a-token")
        .account()
        .await
        .unwrap_err();
    assert!(
        matches!(e, DigitalOceanError::InvalidToken),
        "{e:?}\n{}",
        prism.tail()
    );
    let ro = client(&prism.api(), &fake.create_token(READ_ONLY));
    assert_eq!(
        ro.check_write_access().await.unwrap(),
        WriteAccess::ReadOnly,
        "{}",
        prism.tail()
    );
    let e = through.get_droplet(424_242).await.unwrap_err();
    assert!(
        matches!(e, DigitalOceanError::NotFound { .. }),
        "{e:?}\n{}",
        prism.tail()
    );
    let e = through
        .create_droplet(&CreateDroplet::new(
            "spec-bad",
            "nyc3",
            "s-0vcpu-0gb",
            ImageRef::parse("debian-12-x64"),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(e, DigitalOceanError::Validation { .. }),
        "{e:?}\n{}",
        prism.tail()
    );
    fake.add_fault(
        FaultRule::new(
            FaultKind::RateLimited {
                retry_after_secs: Some(0),
            },
            "GET",
            "/account",
        )
        .times(1),
    );
    through
        .account()
        .await
        .unwrap_or_else(|e| panic!("{e:?}\n{}", prism.tail()));
    let limited = fake
        .requests()
        .iter()
        .filter(|r| r.path == "/account" && r.status == Some(429))
        .count();
    assert_eq!(limited, 1, "the 429 went through Prism and was retried");

    // Pagination links (first, prev, next, last) conform: five Droplets two a page.
    fake.seed_droplets(5, "nyc3", "s-1vcpu-1gb");
    let mut cfg = support::test_config(&prism.api(), &token);
    cfg.page_size = 2;
    let paged = DigitalOceanClient::new(cfg).unwrap();
    assert_eq!(
        paged
            .list_droplets()
            .await
            .unwrap_or_else(|e| panic!("{e:?}\n{}", prism.tail()))
            .len(),
        5
    );
    assert_eq!(
        fake.requests()
            .iter()
            .filter(|r| r.path == "/droplets"
                && r.query
                    .as_deref()
                    .is_some_and(|q| q.ends_with("&per_page=2")))
            .count(),
        3
    );

    let violations = prism.violations();
    assert!(
        violations.is_empty(),
        "Prism reported violations:\n{}",
        violations.join("\n")
    );
    drop(prism);
    fake.shutdown().await;
}
