//! The `containerstacks-portal` binary: its mail settings from flags and
//! the environment (the password never on the command line, never in its
//! output), an invitation pushed to it mailed through the relay.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration as StdDuration;

use cs_fakes::smtp::{SmtpSink, SmtpSinkConfig};
use cs_sync::protocol::{PairRequest, PairResponse, PushRequest, PROTOCOL_VERSION};
use cs_sync::record::*;
use uuid::Uuid;

use crate::support::start_time;
use crate::world::{contact, invitation, organization, Rec};

const BIN: &str = env!("CARGO_BIN_EXE_containerstacks-portal");

/// Kills the portal when the test ends, however it ends.
struct Portal(Child);

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_smtp_password_is_refused_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["--data"])
        .arg(dir.path())
        .args([
            "--smtp-host",
            "localhost",
            "--mail-from",
            "p@example.com",
            "--smtp-user",
            "u",
            "--smtp-password",
            "hunter2",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not taken on the command line"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    let out = Command::new(BIN)
        .args(["--data"])
        .arg(dir.path())
        .args([
            "--smtp-host",
            "localhost",
            "--mail-from",
            "p@example.com",
            "--smtp-user",
            "u",
        ])
        .env_remove("CS_PORTAL_SMTP_PASSWORD")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("needs a password"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_mails_an_invitation_through_its_relay() {
    let sink = SmtpSink::start(SmtpSinkConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("sink.pem");
    std::fs::write(&ca, sink.cert_pem()).unwrap();
    let secret = dir.path().join("smtp-password");
    std::fs::write(&secret, format!("{}\n", sink.config().password)).unwrap();
    let mut child = Command::new(BIN)
        .arg("--data")
        .arg(dir.path().join("portal"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--smtp-host",
            "localhost",
            "--smtp-port",
        ])
        .arg(sink.port().to_string())
        .args([
            "--smtp-user",
            &sink.config().username,
            "--mail-from",
            "portal@portal.example",
        ])
        .arg("--smtp-password-file")
        .arg(&secret)
        .arg("--smtp-ca-file")
        .arg(&ca)
        .env("RUST_LOG", "debug")
        .env_remove("CS_PORTAL_SMTP_PASSWORD")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let _portal = Portal(child);
    // The log lines, as they come (the worker logs "mail sent" just after the
    // relay accepted the mail, so the test waits for that line).
    let (log_tx, log_rx) = std::sync::mpsc::channel::<String>();
    let logs = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = log_tx.send(line.clone());
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let mut lines = BufReader::new(stdout).lines();
    let first: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    let second: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    let code = first["pairingCode"].as_str().unwrap().to_string();
    let url = second["listening"].as_str().unwrap().to_string();

    let http = reqwest::Client::new();
    let paired: PairResponse = http
        .post(format!("{url}/sync/v1/pair"))
        .json(&PairRequest {
            code,
            desktop_name: "desktop".into(),
            desktop_version: "0.1.0".into(),
        })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let records: Vec<Rec> = vec![
        organization("org-a", "Org A"),
        contact("org-a", "ada", "Ada", "ada@example.com", ContactRole::Admin),
        invitation("org-a", "inv-1", "ada", chrono::Utc::now()),
    ];
    let envelopes: Vec<Envelope> = records
        .into_iter()
        .enumerate()
        .map(|(i, r)| Envelope::new(i as u64 + 1, start_time(), r.id, r.org, &r.body.unwrap()))
        .collect();
    let r = http
        .post(format!("{url}/sync/v1/push"))
        .bearer_auth(&paired.token)
        .json(&PushRequest {
            protocol: PROTOCOL_VERSION,
            stream: Uuid::now_v7(),
            after: 0,
            last: 3,
            records: envelopes,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut got = Vec::new();
    for _ in 0..200 {
        got = sink.messages();
        if !got.is_empty() {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    assert_eq!(got.len(), 1, "the invitation went out");
    assert!(got[0].tls && got[0].authenticated_as.as_deref() == Some("relay-user"));
    let text = String::from_utf8_lossy(&got[0].data);
    assert!(text.contains("accept-invitation"), "{text}");
    let deadline = std::time::Instant::now() + StdDuration::from_secs(20);
    while let Ok(line) =
        log_rx.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
    {
        if line.contains("mail sent") {
            break;
        }
    }
    drop(_portal);
    let logs = logs.join().unwrap();
    assert!(
        !logs.contains(&sink.config().password),
        "the password is never logged"
    );
    use base64::Engine;
    let plain = base64::engine::general_purpose::STANDARD.encode(format!(
        "\0{}\0{}",
        sink.config().username,
        sink.config().password
    ));
    assert!(!logs.contains(&plain), "nor its AUTH PLAIN form");
    assert!(logs.contains("mail sent"), "{logs}");
}
