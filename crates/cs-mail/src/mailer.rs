//! SMTP configuration, the message model and delivery through lettre.

use std::fmt;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use lettre::message::header::ContentType;
use lettre::message::{Attachment as LettreAttachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use crate::error::MailError;

/// A password. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS, which is required (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    ImplicitTls,
    /// No encryption: only allowed for a relay on the loopback interface.
    None,
}

/// Where and how to send mail.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<Password>,
    /// An extra certificate (PEM) to trust, for a relay with a private CA or a test sink.
    pub extra_root_pem: Option<String>,
    pub timeout: Duration,
}

impl SmtpConfig {
    pub fn new(host: impl Into<String>, port: u16, security: Security) -> Self {
        Self {
            host: host.into(),
            port,
            security,
            username: None,
            password: None,
            extra_root_pem: None,
            timeout: Duration::from_secs(30),
        }
    }

    pub fn with_login(mut self, username: impl Into<String>, password: Password) -> Self {
        self.username = Some(username.into());
        self.password = Some(password);
        self
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A file attached to a message.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    #[serde(with = "base64_bytes")]
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl Attachment {
    pub fn pdf(filename: impl Into<String>, bytes: Vec<u8>) -> Self {
        Self {
            filename: filename.into(),
            content_type: "application/pdf".into(),
            bytes,
        }
    }
}

mod base64_bytes {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(serde::de::Error::custom)
    }
}

/// A message ready to send: addresses as `Name <addr@host>` or `addr@host` strings, both
/// bodies already rendered. Serializable, so an outbox row can hold it.
///
/// The `message_id` and `date` are fixed when the message is made, so every attempt to
/// send it produces the same message and a resend is recognisable as a duplicate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub from: String,
    pub to: Vec<String>,
    pub reply_to: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<Attachment>,
    /// Without angle brackets, e.g. `0190…@mail.example.com`.
    pub message_id: String,
    /// Unix seconds of the `Date:` header.
    pub date_unix: i64,
}

impl Email {
    /// A message with a fresh Message-ID on the sender's domain, dated now.
    pub fn new(from: impl Into<String>, to: Vec<String>, subject: impl Into<String>) -> Self {
        let from = from.into();
        let domain = from
            .rsplit_once('@')
            .map(|(_, d)| d.trim_end_matches('>').to_owned())
            .unwrap_or_else(|| "localhost".into());
        Self {
            message_id: format!("{}@{domain}", uuid::Uuid::now_v7()),
            from,
            to,
            reply_to: None,
            subject: subject.into(),
            text: String::new(),
            html: String::new(),
            attachments: Vec::new(),
            date_unix: chrono::Utc::now().timestamp(),
        }
    }

    /// Builds the MIME message: multipart/mixed (when there are attachments) around a
    /// multipart/alternative of the plain-text and HTML bodies.
    pub fn to_message(&self) -> Result<Message, MailError> {
        let parse = |s: &str| {
            s.parse::<Mailbox>().map_err(|e| MailError::InvalidAddress {
                address: s.to_owned(),
                reason: e.to_string(),
            })
        };
        if self.to.is_empty() {
            return Err(MailError::InvalidAddress {
                address: String::new(),
                reason: "no recipient".into(),
            });
        }
        let mut builder = Message::builder()
            .from(parse(&self.from)?)
            .subject(self.subject.clone())
            .message_id(Some(format!("<{}>", self.message_id)))
            .date(
                SystemTime::UNIX_EPOCH
                    + Duration::from_secs(u64::try_from(self.date_unix).unwrap_or(0)),
            );
        for to in &self.to {
            builder = builder.to(parse(to)?);
        }
        if let Some(r) = &self.reply_to {
            builder = builder.reply_to(parse(r)?);
        }
        let alternative = MultiPart::alternative()
            .singlepart(SinglePart::plain(self.text.clone()))
            .singlepart(SinglePart::html(self.html.clone()));
        let body = if self.attachments.is_empty() {
            alternative
        } else {
            let mut mixed = MultiPart::mixed().multipart(alternative);
            for a in &self.attachments {
                let content_type = ContentType::parse(&a.content_type).map_err(|e| {
                    MailError::Build(format!(
                        "attachment {} has an invalid content type {:?}: {e}",
                        a.filename, a.content_type
                    ))
                })?;
                mixed = mixed.singlepart(
                    LettreAttachment::new(a.filename.clone()).body(a.bytes.clone(), content_type),
                );
            }
            mixed
        };
        builder
            .multipart(body)
            .map_err(|e| MailError::Build(e.to_string()))
    }
}

/// What the relay said when it took the message (`250 2.0.0 Ok: queued as …`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayAcceptance {
    pub code: u16,
    pub message: String,
}

impl RelayAcceptance {
    /// The relay's queue id when it announced one (`queued as X`).
    pub fn queue_id(&self) -> Option<&str> {
        self.message
            .split("queued as ")
            .nth(1)
            .map(|s| s.split_whitespace().next().unwrap_or(s))
    }
}

impl fmt::Display for RelayAcceptance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.message)
    }
}

/// Sends mail over SMTP. Cheap to clone (the connection pool is shared). Create and drop
/// it inside a Tokio runtime: the pool runs on it.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    host: String,
    port: u16,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("host", &self.host)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    pub fn new(config: &SmtpConfig) -> Result<Self, MailError> {
        if config.host.is_empty() {
            return Err(MailError::Config(
                "the SMTP host is empty: enter your relay's host name in Settings → Email".into(),
            ));
        }
        let tls_parameters = || -> Result<TlsParameters, MailError> {
            let mut b = TlsParameters::builder(config.host.clone());
            if let Some(pem) = &config.extra_root_pem {
                let cert = Certificate::from_pem(pem.as_bytes()).map_err(|e| {
                    MailError::Config(format!("the extra root certificate is not valid PEM ({e})"))
                })?;
                b = b.add_root_certificate(cert);
            }
            b.build_rustls()
                .map_err(|e| MailError::Config(format!("TLS setup failed ({e})")))
        };
        let tls = match config.security {
            Security::StartTls => Tls::Required(tls_parameters()?),
            Security::ImplicitTls => Tls::Wrapper(tls_parameters()?),
            Security::None if is_loopback(&config.host) => Tls::None,
            Security::None => {
                return Err(MailError::Config(format!(
                    "refusing to send mail unencrypted to {}: choose STARTTLS or TLS (no encryption is only for a relay on this computer)",
                    config.host
                )))
            }
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.clone())
                .port(config.port)
                .tls(tls)
                .timeout(Some(config.timeout));
        match (&config.username, &config.password) {
            (Some(user), Some(pass)) => {
                builder = builder
                    .credentials(Credentials::new(user.clone(), pass.0.clone()))
                    .authentication(vec![Mechanism::Plain, Mechanism::Login]);
            }
            (None, None) => {}
            _ => {
                return Err(MailError::Config(
                    "SMTP user and password must be given together".into(),
                ))
            }
        }
        Ok(Self {
            transport: builder.build(),
            host: config.host.clone(),
            port: config.port,
        })
    }

    /// Sends one message and returns the relay's acceptance.
    pub async fn send(&self, email: &Email) -> Result<RelayAcceptance, MailError> {
        let message = email.to_message()?;
        let response = self
            .transport
            .send(message)
            .await
            .map_err(|e| MailError::from_smtp(e, &self.host, self.port))?;
        Ok(RelayAcceptance {
            code: u16::from(response.code()),
            message: response.message().collect::<Vec<_>>().join(" "),
        })
    }

    /// Connects, negotiates TLS and logs in, without sending anything.
    pub async fn check_connection(&self) -> Result<(), MailError> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(MailError::Connection {
                host: self.host.clone(),
                port: self.port,
                message: "the relay did not answer NOOP".into(),
            }),
            Err(e) => Err(MailError::from_smtp(e, &self.host, self.port)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_redacted() {
        let c = SmtpConfig::new("smtp.example.com", 587, Security::StartTls)
            .with_login("u", Password::new("hunter2"));
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn unencrypted_is_only_for_loopback() {
        assert!(Mailer::new(&SmtpConfig::new("127.0.0.1", 2525, Security::None)).is_ok());
        assert!(Mailer::new(&SmtpConfig::new("localhost", 2525, Security::None)).is_ok());
        let err =
            Mailer::new(&SmtpConfig::new("mail.smtp2go.com", 2525, Security::None)).unwrap_err();
        assert!(
            err.to_string()
                .contains("refusing to send mail unencrypted"),
            "{err}"
        );
    }

    #[test]
    fn queue_id_is_read_from_the_answer() {
        let a = RelayAcceptance {
            code: 250,
            message: "2.0.0 Ok: queued as 4F2A9C".into(),
        };
        assert_eq!(a.queue_id(), Some("4F2A9C"));
    }
}
