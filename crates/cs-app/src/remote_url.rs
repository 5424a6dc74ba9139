//! The one rule for an address the app sends a secret to (a Linode API root
//! with its token, a customer portal with its sync token): parsed, never
//! compared as a string; no user name, password, query or fragment; `https`
//! anywhere, plain `http` only to this computer (an exact loopback host:
//! `localhost`, `127.0.0.0/8`, `[::1]`). Each caller words the refusal for
//! its own form.

use url::Url;

/// Why an address is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not a URL at all (the parser's reason).
    NotUrl(String),
    Credentials,
    QueryOrFragment,
    /// `http://` to another computer: the secret would travel unencrypted.
    PlainHttpElsewhere,
    /// Another scheme, or no host.
    NotWeb,
}

/// Checks `input` (trimmed by the caller) against the rule.
pub(crate) fn check(input: &str) -> Result<Url, Refusal> {
    let url = Url::parse(input).map_err(|e| Refusal::NotUrl(e.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refusal::Credentials);
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Refusal::QueryOrFragment);
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(Refusal::PlainHttpElsewhere),
        _ => Err(Refusal::NotWeb),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
