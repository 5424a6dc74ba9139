//! The API root a Linode account talks to, and so where its token is sent.
//! Linode's own (`https://api.linode.com/v4`) unless the reseller gives
//! another: any `https://` root (shown with a permanent warning on the
//! account), or plain `http://` on this computer only (an exact loopback
//! host: `localhost`, `127.0.0.0/8`, `[::1]`), for the fake Linode. The URL
//! is parsed, never compared as a string: `http://localhost@evil.example`
//! and `http://localhost.evil.example` are other hosts.
//!
//! `CS_LINODE_BASE_URL` (tests, demos) applies at run time to accounts that
//! have no root of their own; it is never stored on an account.

use crate::remote_url::{self, Refusal};

/// Linode's API root.
pub const LINODE_API_ROOT: &str = cs_linode::DEFAULT_BASE_URL;

/// Checks an API root (`crate::remote_url`'s rule). `Err` says why it is
/// refused and what to do.
pub fn check(root: &str) -> Result<String, String> {
    let root = root.trim();
    match remote_url::check(root) {
        Ok(_) => Ok(root.trim_end_matches('/').to_string()),
        Err(Refusal::NotUrl(e)) => Err(format!(
            "{root:?} is not an API address ({e}): use https://… (or http:// on this computer, for the fake Linode)"
        )),
        Err(Refusal::Credentials) => Err(format!(
            "{root:?} carries a user name or password: give the API root alone, like {LINODE_API_ROOT}"
        )),
        Err(Refusal::QueryOrFragment) => Err(format!(
            "{root:?} has a query or fragment: give the API root alone, like {LINODE_API_ROOT}"
        )),
        Err(Refusal::PlainHttpElsewhere) => Err(format!(
            "{root:?} is plain http to another computer, which would send the token unencrypted: use https://, or http:// only on this computer (localhost, 127.0.0.1, [::1])"
        )),
        Err(Refusal::NotWeb) => Err(format!(
            "{root:?} is not an API address: use https://… (or http:// on this computer, for the fake Linode)"
        )),
    }
}

/// Whether `root` is Linode's own API root.
pub fn is_linode(root: &str) -> bool {
    root.trim_end_matches('/') == LINODE_API_ROOT.trim_end_matches('/')
}

/// What an account stores: the root the reseller typed (checked), `None` for
/// Linode's own. The environment override is not stored.
pub fn to_store(input: Option<&str>) -> Result<Option<String>, String> {
    match input.map(str::trim).filter(|u| !u.is_empty()) {
        None => Ok(None),
        Some(u) => {
            let u = check(u)?;
            Ok((!is_linode(&u)).then_some(u))
        }
    }
}

/// The root an account talks to now: its own, else the environment override
/// (`env`, checked like a typed root), else Linode's (`None`).
pub fn effective(stored: Option<&str>, env: Option<&str>) -> Result<Option<String>, String> {
    match stored.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => check(u).map(Some),
        None => match env.map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => check(u)
                .map(Some)
                .map_err(|e| format!("{} is set but refused: {e}", super::linode::BASE_URL_ENV)),
            None => Ok(None),
        },
    }
}

/// The permanent warning of an account whose token goes to `root`.
pub fn warning(root: Option<&str>) -> Option<String> {
    let root = root.filter(|r| !is_linode(r))?;
    Some(format!(
        "Custom API root: this account talks to {root}, not to Linode ({LINODE_API_ROOT}), and its token is sent there. Remove the account and add it again without an API root to use Linode's"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_loopback_hosts_may_use_plain_http() {
        for ok in [
            "http://localhost:8080/v4",
            "http://LOCALHOST/v4",
            "http://127.0.0.1:4010/v4",
            "http://127.8.9.10/v4",
            "http://[::1]:9000/v4",
            "https://api.linode.com/v4",
            "https://linode.proxy.example/v4/",
        ] {
            assert!(check(ok).is_ok(), "{ok} is allowed");
        }
        for bad in [
            "http://localhost@evil.example/v4",
            "http://localhost.evil.example/v4",
            "http://127.0.0.1.evil.example/v4",
            "http://[::1]@evil.example/v4",
            "http://evil.example/v4",
            "http://10.0.0.1/v4",
            "https://user:pw@api.example/v4",
            "https://api.example/v4?x=1",
            "ftp://localhost/v4",
            "localhost:8080",
            "file:///etc/passwd",
            "",
        ] {
            assert!(check(bad).is_err(), "{bad} is refused");
        }
        assert_eq!(
            check("http://127.0.0.1:4010/v4/").unwrap(),
            "http://127.0.0.1:4010/v4"
        );
    }

    #[test]
    fn the_environment_override_applies_at_run_time_and_is_never_stored() {
        assert_eq!(to_store(None).unwrap(), None);
        assert_eq!(to_store(Some("  ")).unwrap(), None);
        assert_eq!(to_store(Some("https://api.linode.com/v4/")).unwrap(), None);
        assert_eq!(
            to_store(Some("http://localhost:1/v4")).unwrap().as_deref(),
            Some("http://localhost:1/v4")
        );
        let env = Some("http://127.0.0.1:4010/v4");
        assert_eq!(effective(None, env).unwrap().as_deref(), env);
        assert_eq!(
            effective(Some("http://localhost:1/v4"), env)
                .unwrap()
                .as_deref(),
            Some("http://localhost:1/v4")
        );
        assert!(effective(None, Some("http://localhost@evil.example/v4")).is_err());
        // A root stored before the check existed is checked again when used.
        assert!(effective(Some("http://localhost.evil.example/v4"), None).is_err());
        assert_eq!(effective(None, None).unwrap(), None);
    }

    #[test]
    fn a_custom_root_is_warned_about() {
        assert!(warning(None).is_none());
        assert!(warning(Some("https://api.linode.com/v4")).is_none());
        let w = warning(Some("http://127.0.0.1:4010/v4")).unwrap();
        assert!(
            w.starts_with("Custom API root") && w.contains("127.0.0.1:4010"),
            "{w}"
        );
    }
}
