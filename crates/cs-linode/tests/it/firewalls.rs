//! Firewall rules with protocols beyond the spec's four, as Linode really sends them.
//!
//! The official spec lists `TCP`, `UDP`, `ICMP` and `IPENCAP`, but Linode accepts and
//! answers `ALL` and IP protocol numbers such as `50` (ESP) or `6` (TCP, with ports): see
//! linodego's recording `TestFirewallRules_ExtendedProtocols` (the source named in
//! `specs/linode/recorded/SOURCE.txt`). One such rule must not make the whole list
//! unreadable; every value is kept and shown as Linode sent it.

use cs_linode::*;
use cs_provider::Provider;
use serde_json::json;

use crate::support;

/// The request body of the real recording, sent as-is (as Cloud Manager or another tool
/// would create it), so this test does not depend on the client's own request types.
pub fn extended_rules() -> serde_json::Value {
    json!({
        "inbound_policy": "DROP",
        "outbound_policy": "ACCEPT",
        "inbound": [
            { "action": "ACCEPT", "label": "fwrule-all", "protocol": "ALL",
              "addresses": { "ipv4": ["0.0.0.0/0"] } },
            { "action": "ACCEPT", "label": "fwrule-numeric", "protocol": "50",
              "addresses": { "ipv4": ["0.0.0.0/0"] } },
            { "action": "ACCEPT", "label": "fwrule-tcp-numeric", "protocol": "6", "ports": "443",
              "addresses": { "ipv4": ["0.0.0.0/0"] } }
        ],
        "outbound": []
    })
}

#[tokio::test]
async fn rules_with_all_and_protocol_numbers_are_accepted_listed_and_shown_as_sent() {
    let h = support::start().await;
    // A plain firewall next to it: the extended one must not hide it.
    let resp = reqwest::Client::new()
        .post(format!("{}/networking/firewalls", h.fake.api_url()))
        .bearer_auth(&h.token)
        .json(&json!({ "label": "plain-web", "rules": {
            "inbound_policy": "DROP", "outbound_policy": "ACCEPT",
            "inbound": [{ "action": "ACCEPT", "protocol": "TCP", "ports": "443",
                          "addresses": { "ipv4": ["0.0.0.0/0"] } }],
            "outbound": [] } }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let resp = reqwest::Client::new()
        .post(format!("{}/networking/firewalls", h.fake.api_url()))
        .bearer_auth(&h.token)
        .json(&json!({ "label": "fw-extended", "rules": extended_rules(), "tags": ["testing"] }))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(status, 200, "the fake accepts what Linode accepts: {body}");

    let listed = h
        .client
        .list_firewalls()
        .await
        .expect("a list with ALL and numeric protocols decodes");
    assert_eq!(listed.len(), 2, "no firewall is lost");
    let fw = listed.iter().find(|f| f.label == "fw-extended").unwrap();
    let protocols: Vec<&str> = fw
        .rules
        .as_ref()
        .unwrap()
        .inbound
        .iter()
        .map(|r| r.protocol.as_str())
        .collect();
    assert_eq!(protocols, ["ALL", "50", "6"]);

    let rules = h.client.get_firewall_rules(fw.id).await.expect("rules");
    assert_eq!(rules.inbound[2].ports.as_deref(), Some("443"));
    // Written back unchanged (e.g. after editing another rule), Linode gets the same values.
    let again = h
        .client
        .set_firewall_rules(fw.id, &rules)
        .await
        .expect("the rules round-trip");
    assert_eq!(again.inbound, rules.inbound);

    // Through the provider trait (what the app shows), the protocols stay as sent.
    let p = LinodeProvider::new(h.client.clone());
    let shown = p.firewalls().await.expect("provider lists firewalls");
    let ext = shown.iter().find(|f| f.label == "fw-extended").unwrap();
    let protocols: Vec<&str> = ext
        .rules
        .inbound
        .iter()
        .map(|r| r.protocol.as_str())
        .collect();
    assert_eq!(protocols, ["ALL", "50", "6"]);
    // And the provider writes them back as they are.
    p.set_firewall_rules(&ext.id, &ext.rules)
        .await
        .expect("provider writes ALL and numbers back");
    h.fake.shutdown().await;
}

#[tokio::test]
async fn the_fake_refuses_protocols_linode_does_not_know() {
    let h = support::start().await;
    for (protocol, ports) in [("GRE-ISH", None), ("256", None), ("50", Some("443"))] {
        let mut rule = json!({ "action": "ACCEPT", "protocol": protocol,
                               "addresses": { "ipv4": ["0.0.0.0/0"] } });
        if let Some(p) = ports {
            rule["ports"] = json!(p);
        }
        let resp = reqwest::Client::new()
            .post(format!("{}/networking/firewalls", h.fake.api_url()))
            .bearer_auth(&h.token)
            .json(&json!({ "label": "fw-bad", "rules": {
                "inbound_policy": "DROP", "outbound_policy": "ACCEPT",
                "inbound": [rule], "outbound": [] } }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{protocol} {ports:?}");
        let body: serde_json::Value = resp.json().await.unwrap();
        let field = body["errors"][0]["field"].as_str().unwrap_or_default();
        let want = if ports.is_some() { "ports" } else { "protocol" };
        assert!(field.ends_with(want), "{protocol}: {body}");
    }
    h.fake.shutdown().await;
}
