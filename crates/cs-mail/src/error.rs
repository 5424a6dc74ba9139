//! Mail errors. None of them ever contains the SMTP password.

/// Why a message could not be built or sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    #[error("email settings are invalid: {0}")]
    Config(String),
    #[error("{address:?} is not a valid email address ({reason}): correct it on the customer or in Settings → Email")]
    InvalidAddress { address: String, reason: String },
    #[error("the message could not be built ({0})")]
    Build(String),
    #[error("the SMTP relay {host} refused the user name or password ({code} {message}): check them in Settings → Email")]
    AuthRejected {
        host: String,
        code: u16,
        message: String,
    },
    #[error("the SMTP relay refused the message for good ({code} {message}): check the recipient address")]
    Permanent { code: u16, message: String },
    #[error(
        "the SMTP relay asked to try later ({code} {message}): it will be retried automatically"
    )]
    Transient { code: u16, message: String },
    #[error("could not talk to the SMTP relay {host}:{port} ({message}): check the host, port and security settings; queued mail is retried")]
    Connection {
        host: String,
        port: u16,
        message: String,
    },
}

impl MailError {
    /// Whether the same message may go through later.
    pub fn is_retryable(&self) -> bool {
        // A refused password is fixed by the reseller; keep the mail queued until then.
        matches!(
            self,
            Self::Transient { .. } | Self::Connection { .. } | Self::AuthRejected { .. }
        )
    }

    pub(crate) fn from_smtp(e: lettre::transport::smtp::Error, host: &str, port: u16) -> Self {
        let text = e.to_string();
        if let Some(code) = e.status() {
            let code = u16::from(code);
            // lettre's text is "permanent error (535): 5.7.8 …": keep the relay's words.
            let message = text
                .split_once("): ")
                .map_or_else(|| text.clone(), |(_, m)| m.to_owned());
            if code == 535 || code == 534 || code == 530 {
                return Self::AuthRejected {
                    host: host.to_owned(),
                    code,
                    message,
                };
            }
            if e.is_permanent() {
                return Self::Permanent { code, message };
            }
            if e.is_transient() {
                return Self::Transient { code, message };
            }
        }
        let mut message = text;
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        Self::Connection {
            host: host.to_owned(),
            port,
            message,
        }
    }
}
