//! The personal access token, kept out of every `Debug`, `Display`, error and log line.

use std::fmt;

/// A Linode personal access token (or OAuth access token).
///
/// The value is only ever read by the client when it builds the `Authorization` header,
/// which is marked sensitive so that HTTP-level logging does not print it either.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken(String);

impl ApiToken {
    /// Wraps a token. Leading and trailing whitespace (a common paste accident) is removed.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into().trim().to_owned())
    }

    /// Whether the token is empty (nothing was pasted).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The raw secret. Only for building the `Authorization` header or storing in the keyring.
    pub fn expose_secret(&self) -> &str {
        &self.0
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
        let t = ApiToken::new("  abcdef0123456789  ");
        assert_eq!(format!("{t:?}"), "ApiToken(<redacted>)");
        assert_eq!(format!("{t}"), "<redacted>");
        assert_eq!(t.expose_secret(), "abcdef0123456789");
        assert!(!format!("{:?}", Some(&t)).contains("abcdef"));
    }
}
