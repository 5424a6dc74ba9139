//! A portal with a paired desktop, a mail sink and browsers: the pieces of
//! the end-to-end tests. The desktop pushes records over the real sync API;
//! browsers keep cookies and send the CSRF token as the web UI does.

use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{Duration, NaiveDate};
use cs_fakes::smtp::{SmtpSink, SmtpSinkConfig};
use cs_mail::{Password, Security, SmtpConfig};
use cs_portal::mail::MailSettings;
use cs_portal::Database;
use cs_sync::protocol::{PairRequest, PairResponse, PushRequest, PushResponse, PROTOCOL_VERSION};
use cs_sync::record::*;
use reqwest::cookie::{CookieStore, Jar};
use serde_json::Value;
use uuid::Uuid;

use crate::support::{serve_with, start_time, Running};

pub const PASSWORD: &str = "correct horse battery staple";

/// A portal, one paired tenant and (optionally) the SMTP sink its mail goes to.
pub struct World {
    pub portal: Arc<Running>,
    pub tenant_id: String,
    pub sink: Option<Arc<SmtpSink>>,
    token: String,
    stream: Uuid,
    seq: Mutex<u64>,
    http: reqwest::Client,
}

/// Mail settings pointing at `sink` (STARTTLS with its certificate, AUTH).
pub fn mail_settings(sink: &SmtpSink) -> MailSettings {
    let cfg = sink.config();
    let mut smtp = SmtpConfig::new("localhost", sink.port(), Security::StartTls)
        .with_login(cfg.username.clone(), Password::new(cfg.password.clone()));
    smtp.extra_root_pem = Some(sink.cert_pem().to_string());
    smtp.timeout = StdDuration::from_secs(10);
    let mut s = MailSettings::new(smtp, "portal@portal.example");
    s.poll = StdDuration::from_millis(100);
    s
}

impl World {
    /// A portal on `database` with a tenant `slug`, paired; with a mail sink
    /// when `mail`.
    pub async fn new(database: &Database, slug: &str, mail: bool) -> World {
        let sink = if mail {
            Some(SmtpSink::start(SmtpSinkConfig::default()).await.unwrap())
        } else {
            None
        };
        let portal = serve_with(database, sink.as_ref().map(mail_settings)).await;
        World::pair(Arc::new(portal), slug, sink.map(Arc::new)).await
    }

    /// Another tenant, paired with the same portal.
    pub async fn another(&self, slug: &str) -> World {
        World::pair(self.portal.clone(), slug, self.sink.clone()).await
    }

    pub async fn pair(portal: Arc<Running>, slug: &str, sink: Option<Arc<SmtpSink>>) -> World {
        let now = portal.portal.now();
        let s = slug.to_string();
        let (tenant_id, code) = portal
            .portal
            .db
            .run(true, move |tx| {
                let t = cs_portal::storage::tenants::create(tx, &s, &format!("{s} cloud"), now)?;
                let code = cs_portal::storage::tenants::new_pairing_code(tx, &t.id, now)?;
                Ok::<_, cs_portal::storage::StorageError>((t.id, code))
            })
            .await
            .unwrap();
        let http = reqwest::Client::new();
        let paired: PairResponse = http
            .post(format!("{}/sync/v1/pair", portal.url))
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
        World {
            portal,
            tenant_id,
            sink,
            token: paired.token,
            stream: Uuid::now_v7(),
            seq: Mutex::new(0),
            http,
        }
    }

    pub fn url(&self) -> &str {
        &self.portal.url
    }

    pub fn sync_token(&self) -> &str {
        &self.token
    }

    /// Pushes records (entity id, organization, body; `None` = tombstone
    /// of that kind) as the desktop does.
    pub async fn push(&self, records: Vec<Rec>) {
        let (after, envelopes) = {
            let mut seq = self.seq.lock().unwrap();
            let after = *seq;
            let at = self.portal.portal.now();
            let envelopes: Vec<Envelope> = records
                .into_iter()
                .map(|r| {
                    *seq += 1;
                    match r.body {
                        Some(body) => Envelope::new(*seq, at, r.id, r.org, &body),
                        None => Envelope::tombstone(*seq, at, r.kind, r.id, r.org),
                    }
                })
                .collect();
            (after, envelopes)
        };
        let last = envelopes.last().map_or(after, |e| e.seq);
        let r = self
            .http
            .post(format!("{}/sync/v1/push", self.url()))
            .bearer_auth(&self.token)
            .json(&PushRequest {
                protocol: PROTOCOL_VERSION,
                stream: self.stream,
                after,
                last,
                records: envelopes,
            })
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "push: {}", r.text().await.unwrap());
        let answer: PushResponse = r.json().await.unwrap();
        assert_eq!(answer.held_through, last);
    }

    pub fn browser(&self) -> Browser {
        Browser::new(self.url())
    }

    /// Advances the portal's clock.
    pub fn advance(&self, by: Duration) {
        self.portal.clock.advance(by);
    }

    /// The messages the sink received for `to`.
    pub fn mails_to(&self, to: &str) -> Vec<Mail> {
        self.sink
            .as_ref()
            .expect("a world with mail")
            .messages()
            .into_iter()
            .filter(|m| m.rcpt_to.iter().any(|r| r.eq_ignore_ascii_case(to)))
            .map(|m| Mail::parse(&m.data))
            .collect()
    }

    /// Waits for the `n`-th mail to `to` (1-based) and returns it.
    pub async fn wait_mail(&self, to: &str, n: usize) -> Mail {
        for _ in 0..200 {
            let mails = self.mails_to(to);
            if mails.len() >= n {
                return mails[n - 1].clone();
            }
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
        panic!("no mail number {n} to {to} within 10 s");
    }

    /// Sets up an organization with a contact of `role` and an account that
    /// accepted its invitation (through the API), signed in in a browser.
    pub async fn customer(&self, org: &str, contact: &str, role: ContactRole) -> Browser {
        let email = format!("{contact}@{org}.example");
        self.push(vec![
            organization(org, &format!("{org} Ltd")),
            self::contact(org, contact, &format!("{contact} Person"), &email, role),
            invitation(
                org,
                &format!("inv-{contact}"),
                contact,
                self.portal.portal.now(),
            ),
        ])
        .await;
        let token = self.invitation_token(&email).await;
        let mut b = self.browser();
        let r = b
            .post(
                "/api/v1/invitations/accept",
                serde_json::json!({ "token": token, "password": PASSWORD }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        b.csrf = Some(r.json["csrfToken"].as_str().unwrap().to_string());
        b
    }

    /// The token of the newest invitation mailed to `email`.
    pub async fn invitation_token(&self, email: &str) -> String {
        let n = self.mails_to(email).len().max(1);
        let m = self.wait_mail(email, n).await;
        m.link("accept-invitation#")
    }
}

/// A record to push.
pub struct Rec {
    pub kind: Kind,
    pub id: String,
    pub org: Option<String>,
    pub body: Option<Record>,
}

pub fn rec(id: &str, org: Option<&str>, body: Record) -> Rec {
    Rec {
        kind: body.kind(),
        id: id.into(),
        org: org.map(str::to_string),
        body: Some(body),
    }
}

pub fn tombstone(kind: Kind, id: &str, org: Option<&str>) -> Rec {
    Rec {
        kind,
        id: id.into(),
        org: org.map(str::to_string),
        body: None,
    }
}

pub fn organization(org: &str, name: &str) -> Rec {
    rec(
        org,
        Some(org),
        Record::Organization(OrganizationV1 {
            name: name.into(),
            country: "DE".into(),
            tax_id: None,
            created_at: start_time(),
        }),
    )
}

pub fn contact(org: &str, id: &str, name: &str, email: &str, role: ContactRole) -> Rec {
    rec(
        id,
        Some(org),
        Record::Contact(ContactV1 {
            name: name.into(),
            email: email.into(),
            role,
        }),
    )
}

pub fn invitation(org: &str, id: &str, contact: &str, at: chrono::DateTime<chrono::Utc>) -> Rec {
    rec(
        id,
        Some(org),
        Record::Invitation(InvitationV1 {
            contact: contact.into(),
            invited_by: "Zoe Reseller".into(),
            invited_at: at,
        }),
    )
}

pub fn branding(name: &str, accent: &str, logo: Option<&str>) -> Rec {
    rec(
        "branding",
        None,
        Record::Branding(BrandingV1 {
            name: name.into(),
            accent: accent.into(),
            logo: logo.map(str::to_string),
            email: Some("help@reseller.example".into()),
            website: Some("https://reseller.example".into()),
            currency: "EUR".into(),
        }),
    )
}

pub fn server(org: &str, id: &str, label: &str, status: ServerStatusV1) -> Rec {
    rec(
        id,
        Some(org),
        Record::Server(ServerV1 {
            label: label.into(),
            plan: "plan-1".into(),
            plan_name: "Nano 1 GB".into(),
            region: "eu-central".into(),
            image: "debian-12".into(),
            status,
            ipv4: Some("192.0.2.10".into()),
            ipv6: None,
            created_at: start_time(),
            deleted_at: None,
        }),
    )
}

pub fn wallet(org: &str, balance_minor: i64) -> Rec {
    rec(
        org,
        Some(org),
        Record::Wallet(WalletV1 {
            currency: "EUR".into(),
            balance_minor,
            low_balance_threshold_minor: 500,
            state: WalletStateV1::Good,
            state_since: None,
            terminates_at: None,
            as_of: start_time(),
        }),
    )
}

pub fn transaction(org: &str, id: &str, minutes: i64, memo: &str, amount_minor: i64) -> Rec {
    rec(
        id,
        Some(org),
        Record::WalletTransaction(WalletTransactionV1 {
            at: start_time() + Duration::minutes(minutes),
            kind: if amount_minor >= 0 {
                WalletTransactionKindV1::Payment
            } else {
                WalletTransactionKindV1::Usage
            },
            memo: memo.into(),
            currency: "EUR".into(),
            amount_minor,
            document: None,
        }),
    )
}

/// A small RGB PNG of one colour.
pub fn png(rgb: [u8; 3]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut e = png::Encoder::new(&mut out, 8, 4);
        e.set_color(png::ColorType::Rgb);
        e.set_depth(png::BitDepth::Eight);
        let mut w = e.write_header().unwrap();
        let data: Vec<u8> = std::iter::repeat_n(rgb, 32).flatten().collect();
        w.write_image_data(&data).unwrap();
    }
    out
}

/// A logo record; returns it with its id (the SHA-256 of the PNG).
pub fn logo(png: Vec<u8>) -> (Rec, String) {
    let l = LogoV1 { png };
    let id = l.sha256_hex();
    (rec(&id, None, Record::Logo(l)), id)
}

/// A receipt that adds up.
pub fn receipt(org: &str, id: &str, number: &str, day: u32, amount_minor: i64) -> Rec {
    let mut r = invoice(org, id, number, day, "Receipt buyer", amount_minor, None);
    if let Some(Record::Document(d)) = &mut r.body {
        d.kind = DocumentKindV1::Receipt;
        d.lines[0].tax_category = TaxCategoryV1::OutsideScope;
        d.lines[0].tax_rate_bp = 0;
        d.tax_breakdown = vec![TaxBreakdownV1 {
            category: TaxCategoryV1::OutsideScope,
            rate_bp: 0,
            taxable_minor: amount_minor,
            tax_minor: 0,
        }];
        d.totals = TotalsV1 {
            net_minor: amount_minor,
            tax_minor: 0,
            gross_minor: amount_minor,
            paid_minor: amount_minor,
            due_minor: 0,
        };
    }
    r
}

fn address(line: &str) -> AddressV1 {
    AddressV1 {
        lines: vec![line.into()],
        postal_code: "10115".into(),
        city: "Berlin".into(),
        region: None,
        country: "DE".into(),
    }
}

/// An invoice that adds up: one line of `net_minor` at 19 % VAT.
pub fn invoice(
    org: &str,
    id: &str,
    number: &str,
    day: u32,
    buyer: &str,
    net_minor: i64,
    logo: Option<&str>,
) -> Rec {
    let tax = net_minor * 19 / 100;
    let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
    rec(
        id,
        Some(org),
        Record::Document(Box::new(DocumentV1 {
            kind: DocumentKindV1::Invoice,
            number: number.into(),
            issue_date: d(day),
            due_date: Some(d(day)),
            period: Some(PeriodV1 {
                start: d(1),
                end: d(day),
            }),
            currency: "EUR".into(),
            seller: SellerV1 {
                name: "Reseller GmbH".into(),
                address: address("Sellerstr. 1"),
                tax_id: Some("DE136695976".into()),
                registration_id: None,
                email: Some("billing@reseller.example".into()),
                phone: Some("+49 30 1234567".into()),
                website: None,
                footer_note: None,
                endpoint: Some(EndpointV1 {
                    scheme: "9930".into(),
                    id: "DE136695976".into(),
                }),
                logo: logo.map(str::to_string),
                accent: "#0a7cff".into(),
                bank_account: Some(BankAccountV1 {
                    iban: "DE89 3704 0044 0532 0130 00".into(),
                    bic: None,
                    holder: "Reseller GmbH".into(),
                }),
            },
            buyer: BuyerV1 {
                organization: buyer.into(),
                contact: None,
                address: address("Buyerweg 2"),
                tax_id: None,
                endpoint: Some(EndpointV1 {
                    scheme: "0088".into(),
                    id: "5790000435968".into(),
                }),
                reference: org.into(),
            },
            lines: vec![LineV1 {
                description: format!("Server web-1 for {buyer}"),
                period: None,
                hours_milli: 720_000,
                unit_rate_micro: net_minor * 10_000 / 720,
                amount_minor: net_minor,
                capped: true,
                tax_category: TaxCategoryV1::Standard,
                tax_rate_bp: 1900,
            }],
            tax_breakdown: vec![TaxBreakdownV1 {
                category: TaxCategoryV1::Standard,
                rate_bp: 1900,
                taxable_minor: net_minor,
                tax_minor: tax,
            }],
            totals: TotalsV1 {
                net_minor,
                tax_minor: tax,
                gross_minor: net_minor + tax,
                paid_minor: net_minor + tax,
                due_minor: 0,
            },
            reverse_charge: false,
            reverse_charge_wording: None,
            payment_status: PaymentStatusV1::Paid {
                on: d(day),
                method: "wallet".into(),
            },
            notes: vec![],
            payment_instructions: None,
            corrects: None,
            voided_by: None,
        })),
    )
}

/// A received mail, parsed.
#[derive(Debug, Clone)]
pub struct Mail {
    pub subject: String,
    pub from: String,
    pub text: String,
    pub html: String,
    pub message_id: String,
}

impl Mail {
    pub fn parse_public(data: &[u8]) -> Mail {
        Mail::parse(data)
    }

    fn parse(data: &[u8]) -> Mail {
        let m = mail_parser::MessageParser::default().parse(data).unwrap();
        let from = m
            .from()
            .and_then(|f| f.first())
            .map(|a| {
                format!(
                    "{} <{}>",
                    a.name().unwrap_or_default(),
                    a.address().unwrap_or_default()
                )
            })
            .unwrap_or_default();
        Mail {
            subject: m.subject().unwrap_or_default().to_string(),
            from,
            text: m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
            html: m.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
            message_id: m.message_id().unwrap_or_default().to_string(),
        }
    }

    /// The token after `marker` in the text body's link.
    pub fn link(&self, marker: &str) -> String {
        let start = self
            .text
            .find(marker)
            .unwrap_or_else(|| panic!("no {marker} in {}", self.text))
            + marker.len();
        self.text[start..]
            .split(|c: char| c.is_whitespace())
            .next()
            .unwrap()
            .to_string()
    }
}

/// A browser: cookies, and the CSRF token the page would send.
pub struct Browser {
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
    pub base: String,
    /// The session's CSRF token, once signed in.
    pub csrf: Option<String>,
}

/// An answer, read.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

pub async fn answer(r: reqwest::Response) -> Answer {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        text,
        json,
    }
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        let jar = Arc::new(Jar::default());
        Browser {
            client: reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar,
            base: base.to_string(),
            csrf: None,
        }
    }

    /// A cookie the browser holds.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = self.base.parse().unwrap();
        let all = self.jar.cookies(&url)?;
        all.to_str()
            .ok()?
            .split(';')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }

    pub async fn get(&self, path: &str) -> Answer {
        answer(
            self.client
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// The token a page would send: the session's, else the double-submit
    /// cookie's (fetched with the branding first if the browser has none).
    async fn token(&self) -> Option<String> {
        if let Some(t) = &self.csrf {
            return Some(t.clone());
        }
        if self.cookie("cs_csrf").is_none() {
            let _ = self.get("/healthz").await;
            let _ = self.client.get(format!("{}/any/", self.base)).send().await;
        }
        self.cookie("cs_csrf")
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        let token = self.token().await;
        let mut r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(t) = token {
            r = r.header("x-csrf-token", t);
        }
        answer(r.send().await.unwrap()).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        let token = self.token().await;
        let mut r = self
            .client
            .delete(format!("{}{path}", self.base))
            .header("content-type", "application/json");
        if let Some(t) = token {
            r = r.header("x-csrf-token", t);
        }
        answer(r.send().await.unwrap()).await
    }

    /// Signs in; keeps the session's CSRF token.
    pub async fn sign_in(&mut self, slug: &str, email: &str, password: &str) -> Answer {
        self.csrf = None;
        let a = self
            .post(
                &format!("/api/v1/t/{slug}/sign-in"),
                serde_json::json!({ "email": email, "password": password }),
            )
            .await;
        if a.status == 200 {
            self.csrf = a.json["csrfToken"].as_str().map(str::to_string);
        }
        a
    }

    /// Sends the second factor; keeps the new CSRF token.
    pub async fn second_factor(&mut self, body: Value) -> Answer {
        let a = self.post("/api/v1/sign-in/second-factor", body).await;
        if a.status == 200 {
            self.csrf = a.json["csrfToken"].as_str().map(str::to_string);
        }
        a
    }
}
