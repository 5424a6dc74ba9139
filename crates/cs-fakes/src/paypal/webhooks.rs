//! Webhook signing and delivery, the way PayPal does it.
//!
//! Each fake has its own RSA-2048 key and a self-signed certificate served on its own
//! loopback address under `/v1/notifications/certs/`. A delivery signs
//! `transmission_id|transmission_time|webhook_id|crc32(body)` with RSA-SHA256
//! (`SHA256withRSA`), base64, in the `PAYPAL-TRANSMISSION-SIG` header.

use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use base64::Engine as _;

/// One signed delivery: the body and the `PAYPAL-*` headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedDelivery {
    pub body: Vec<u8>,
    pub transmission_id: String,
    pub transmission_time: String,
    pub transmission_sig: String,
    pub cert_url: String,
    pub auth_algo: String,
}

impl SignedDelivery {
    /// The headers as PayPal sends them.
    pub fn headers(&self) -> [(&'static str, &str); 5] {
        [
            ("PAYPAL-TRANSMISSION-ID", &self.transmission_id),
            ("PAYPAL-TRANSMISSION-TIME", &self.transmission_time),
            ("PAYPAL-TRANSMISSION-SIG", &self.transmission_sig),
            ("PAYPAL-CERT-URL", &self.cert_url),
            ("PAYPAL-AUTH-ALGO", &self.auth_algo),
        ]
    }
}

pub(super) struct Signer {
    key: RsaKeyPair,
    pub cert_pem: String,
    pub cert_url: String,
}

impl Signer {
    pub fn generate(base_url: &str) -> Result<Self, String> {
        let rcgen_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)
            .map_err(|e| format!("cannot generate the webhook signing key: {e}"))?;
        let mut params =
            rcgen::CertificateParams::new(vec!["messageverificationcerts.paypal.test".to_owned()])
                .map_err(|e| e.to_string())?;
        params.distinguished_name.push(
            rcgen::DnType::CommonName,
            "messageverificationcerts.paypal.test",
        );
        params.distinguished_name.push(
            rcgen::DnType::OrganizationName,
            "Fake PayPal for ContainerStacks tests",
        );
        let cert = params
            .self_signed(&rcgen_key)
            .map_err(|e| format!("cannot sign the webhook certificate: {e}"))?;
        let key = RsaKeyPair::from_pkcs8(&rcgen_key.serialize_der())
            .map_err(|e| format!("cannot load the webhook signing key: {e}"))?;
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let cert_url = format!(
            "{base_url}/v1/notifications/certs/CERT-360caa42-fca2a594-{}",
            &suffix[..8]
        );
        Ok(Self {
            key,
            cert_pem: cert.pem(),
            cert_url,
        })
    }

    pub fn sign(&self, webhook_id: &str, body: Vec<u8>) -> SignedDelivery {
        let transmission_id = uuid::Uuid::new_v4().to_string();
        let transmission_time =
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let message = format!(
            "{transmission_id}|{transmission_time}|{webhook_id}|{}",
            crc32fast::hash(&body)
        );
        let mut signature = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message.as_bytes(),
                &mut signature,
            )
            .expect("RSA signing with a valid key does not fail");
        SignedDelivery {
            body,
            transmission_id,
            transmission_time,
            transmission_sig: base64::engine::general_purpose::STANDARD.encode(signature),
            cert_url: self.cert_url.clone(),
            auth_algo: "SHA256withRSA".to_owned(),
        }
    }
}

/// POSTs a delivery and returns the receiver's status.
pub(super) async fn post_delivery(
    target_url: &str,
    delivery: &SignedDelivery,
) -> Result<u16, String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let mut req = client
        .post(target_url)
        .header("Content-Type", "application/json")
        .header("User-Agent", "PayPal/AUHD-214.0-52392296");
    for (name, value) in delivery.headers() {
        req = req.header(name, value);
    }
    let resp = req
        .body(delivery.body.clone())
        .send()
        .await
        .map_err(|e| format!("webhook delivery to {target_url} failed: {e}"))?;
    Ok(resp.status().as_u16())
}

/// A deterministic Fisher–Yates shuffle (SplitMix64), so a failing order can be replayed
/// from its seed.
pub fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..items.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}
