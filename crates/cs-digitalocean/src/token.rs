//! The personal access token, kept out of every `Debug`, `Display`, error and log line.

use std::fmt;

/// A DigitalOcean personal access token (`dop_v1_…`) or OAuth token (`doo_v1_…`).
///
/// The value is only read when the client builds the `Authorization` header, which is
/// marked sensitive so that HTTP-level logging does not print it either.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken(String);

impl ApiToken {
    /// Wraps a token. Leading and trailing whitespace (a common paste accident) is removed.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into().trim().to_owned())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The raw secret. Only for building the `Authorization` header or storing in the keyring.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// The kind of token its documented prefix says it is, for messages.
    pub fn kind(&self) -> &'static str {
        if self.0.starts_with("dop_v1_") {
            "personal access token"
        } else if self.0.starts_with("doo_v1_") {
            "OAuth token"
        } else if self.0.starts_with("dor_v1_") {
            "OAuth refresh token"
        } else {
            "token"
        }
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(<redacted>)")
    }
}

impl fmt::Display for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_secret() {
        let t = ApiToken::new("  dop_v1_abcdef0123456789  ");
        assert_eq!(format!("{t:?}"), "ApiToken(<redacted>)");
        assert_eq!(format!("{t}"), "<redacted>");
        assert_eq!(t.expose_secret(), "dop_v1_abcdef0123456789");
        assert_eq!(t.kind(), "personal access token");
        assert_eq!(ApiToken::new("dor_v1_x").kind(), "OAuth refresh token");
    }
}
