//! Intents' JSON is pinned like records': a change is a new version.

use chrono::{TimeZone, Utc};
use cs_sync::intent::*;
use expect_test::expect;
use uuid::Uuid;

const ORG: &str = "0193a0c0-0000-7000-8000-000000000001";

fn envelope(intent: &Intent) -> IntentEnvelope {
    IntentEnvelope::new(
        Uuid::parse_str("0193a0c0-0000-7000-8000-0000000000aa").unwrap(),
        Utc.with_ymd_and_hms(2026, 12, 8, 9, 0, 0).unwrap(),
        ORG,
        "0193a0c0-0000-7000-8000-000000000002",
        intent,
    )
}

#[test]
fn power_is_pinned_and_decodes_back() {
    let intent = Intent::Power(PowerV1 {
        server: "s1".into(),
        action: PowerActionV1::Reboot,
    });
    let e = envelope(&intent);
    let json = serde_json::to_string_pretty(&IntentsResponse {
        intents: vec![e.clone()],
    })
    .unwrap();
    expect![[r#"
        {
          "intents": [
            {
              "id": "0193a0c0-0000-7000-8000-0000000000aa",
              "at": "2026-12-08T09:00:00Z",
              "org": "0193a0c0-0000-7000-8000-000000000001",
              "by": "0193a0c0-0000-7000-8000-000000000002",
              "kind": "power",
              "v": 1,
              "body": {
                "action": "reboot",
                "server": "s1"
              }
            }
          ]
        }"#]]
    .assert_eq(&json);
    let back: IntentsResponse = serde_json::from_str(&json).unwrap();
    assert_eq!(back.intents[0], e);
    assert_eq!(back.intents[0].decode().unwrap(), intent);
    assert_eq!(intent.server(), Some("s1"));
}

#[test]
fn what_cannot_be_read_is_refused_with_a_reason() {
    let mut e = envelope(&Intent::Power(PowerV1 {
        server: "s1".into(),
        action: PowerActionV1::Boot,
    }));
    let mut newer = e.clone();
    newer.v = 2;
    expect!["this request (power v2) is newer than the provider's system reads (up to v1): it must be updated"]
        .assert_eq(&newer.decode().unwrap_err().to_string());
    let mut unknown = e.clone();
    unknown.kind = "order".into();
    expect![[r#"this request ("order") is of a kind the provider's system does not know yet: it must be updated"#]]
        .assert_eq(&unknown.decode().unwrap_err().to_string());
    e.body = serde_json::json!({"server": "s1", "action": "explode"});
    assert!(matches!(
        e.decode(),
        Err(IntentDecodeError::Malformed { .. })
    ));
    e.body = serde_json::json!({"server": "s1", "action": "boot", "extra": 1});
    assert!(matches!(
        e.decode(),
        Err(IntentDecodeError::Malformed { .. })
    ));
}

#[test]
fn delete_is_pinned_and_decodes_back() {
    let intent = Intent::Delete(DeleteServerV1 {
        server: "s1".into(),
    });
    let e = envelope(&intent);
    expect![[r#"{"server":"s1"}"#]].assert_eq(&serde_json::to_string(&e.body).unwrap());
    assert_eq!(e.kind, "delete");
    assert_eq!(e.decode().unwrap(), intent);
    assert_eq!(intent.server(), Some("s1"));
}
