//! Webhook signing and delivery, the way PayPal does it.
//!
//! Each fake has its own certificate chain, like PayPal's: a root CA, an intermediate CA and
//! an RSA-2048 signing certificate issued to `messageverificationcerts.sandbox.paypal.com`
//! (a TLS server certificate). It serves the file (signing certificate first, then the
//! intermediate, then its root, which PayPal leaves out but a test double must provide) on
//! its own loopback address under `/v1/notifications/certs/`. A delivery signs
//! `transmission_id|transmission_time|webhook_id|crc32(body)` with RSA-SHA256
//! (`SHA256withRSA`), base64, in the `PAYPAL-TRANSMISSION-SIG` header.
//! [`WebhookCert`] makes the chain broken in the ways a verifier must refuse.

use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// The name PayPal's sandbox signing certificate is issued to.
pub const SIGNING_NAME: &str = "messageverificationcerts.sandbox.paypal.com";

/// Which certificate chain the fake signs with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WebhookCert {
    /// A well-formed chain, valid from 2000 to 2100.
    #[default]
    Valid,
    /// The signing certificate expired on 2001-01-01.
    Expired,
    /// The root in the file did not issue the intermediate.
    UnknownIssuer,
    /// The signing certificate is issued to another name.
    WrongName,
}

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

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params.distinguished_name.push(
        DnType::OrganizationName,
        "Fake PayPal for ContainerStacks tests",
    );
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = rcgen::date_time_ymd(2000, 1, 1);
    params.not_after = rcgen::date_time_ymd(2100, 1, 1);
    params
}

fn ec_key() -> Result<KeyPair, String> {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| format!("cannot generate a CA key: {e}"))
}

impl Signer {
    pub fn generate(base_url: &str, kind: WebhookCert) -> Result<Self, String> {
        let err = |e: rcgen::Error| format!("cannot make the webhook certificate chain: {e}");
        let root_key = ec_key()?;
        let root_params = ca_params("Fake PayPal Root CA");
        let root_cert = root_params.self_signed(&root_key).map_err(err)?;
        let root = Issuer::new(root_params, root_key);

        let intermediate_key = ec_key()?;
        let intermediate_params = ca_params("Fake PayPal Webhook CA");
        let intermediate_cert = intermediate_params
            .signed_by(&intermediate_key, &root)
            .map_err(err)?;
        let intermediate = Issuer::new(intermediate_params, intermediate_key);

        let leaf_key = KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)
            .map_err(|e| format!("cannot generate the webhook signing key: {e}"))?;
        let name = match kind {
            WebhookCert::WrongName => "messageverificationcerts.paypal.example",
            _ => SIGNING_NAME,
        };
        let mut leaf_params = CertificateParams::new(vec![name.to_owned()]).map_err(err)?;
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, name);
        leaf_params.distinguished_name.push(
            DnType::OrganizationName,
            "Fake PayPal for ContainerStacks tests",
        );
        leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf_params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        leaf_params.not_after = match kind {
            WebhookCert::Expired => rcgen::date_time_ymd(2001, 1, 1),
            _ => rcgen::date_time_ymd(2100, 1, 1),
        };
        let leaf_cert = leaf_params
            .signed_by(&leaf_key, &intermediate)
            .map_err(err)?;

        let served_root = match kind {
            WebhookCert::UnknownIssuer => {
                let other_key = ec_key()?;
                ca_params("Fake PayPal Root CA")
                    .self_signed(&other_key)
                    .map_err(err)?
            }
            _ => root_cert,
        };
        let key = RsaKeyPair::from_pkcs8(&leaf_key.serialize_der())
            .map_err(|e| format!("cannot load the webhook signing key: {e}"))?;
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let cert_url = format!(
            "{base_url}/v1/notifications/certs/CERT-360caa42-fca2a594-{}",
            &suffix[..8]
        );
        Ok(Self {
            key,
            cert_pem: format!(
                "{}{}{}",
                leaf_cert.pem(),
                intermediate_cert.pem(),
                served_root.pem()
            ),
            cert_url,
        })
    }

    /// Signs `body` as a delivery transmitted at `at`.
    pub fn sign(&self, webhook_id: &str, body: Vec<u8>, at: DateTime<Utc>) -> SignedDelivery {
        let transmission_id = uuid::Uuid::new_v4().to_string();
        let transmission_time = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
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
