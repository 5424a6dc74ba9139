//! The API root a provider account talks to, and so where its token is sent.
//! The cloud's own (Linode's `https://api.linode.com/v4`, DigitalOcean's
//! `https://api.digitalocean.com/v2`) unless the reseller gives another: any
//! `https://` root (shown with a permanent warning on the account), or plain
//! `http://` on this computer only (an exact loopback host: `localhost`,
//! `127.0.0.0/8`, `[::1]`), for the fakes. The URL is parsed, never compared
//! as a string: `http://localhost@evil.example` and
//! `http://localhost.evil.example` are other hosts.
//!
//! `CS_LINODE_BASE_URL` / `CS_DIGITALOCEAN_BASE_URL` (tests, demos) apply at
//! run time to accounts that have no root of their own; they are never stored
//! on an account.

use crate::remote_url::{self, Refusal};

/// A cloud whose accounts have an API root.
#[derive(Debug, Clone, Copy)]
pub struct ApiCloud {
    /// The cloud's name in messages.
    pub name: &'static str,
    /// Its own API root.
    pub root: &'static str,
    /// The environment variable that overrides the root at run time.
    pub env: &'static str,
}

/// Linode's API.
pub const LINODE: ApiCloud = ApiCloud {
    name: "Linode",
    root: cs_linode::DEFAULT_BASE_URL,
    env: super::linode::BASE_URL_ENV,
};

/// DigitalOcean's API.
pub const DIGITALOCEAN: ApiCloud = ApiCloud {
    name: "DigitalOcean",
    root: cs_digitalocean::DEFAULT_BASE_URL,
    env: super::digitalocean::BASE_URL_ENV,
};

impl ApiCloud {
    /// Checks an API root (`crate::remote_url`'s rule). `Err` says why it is
    /// refused and what to do.
    pub fn check(&self, root: &str) -> Result<String, String> {
        let root = root.trim();
        let (name, own) = (self.name, self.root);
        match remote_url::check(root) {
            Ok(_) => Ok(root.trim_end_matches('/').to_string()),
            Err(Refusal::NotUrl(e)) => Err(format!(
                "{root:?} is not an API address ({e}): use https://… (or http:// on this computer, for the fake {name})"
            )),
            Err(Refusal::Credentials) => Err(format!(
                "{root:?} carries a user name or password: give the API root alone, like {own}"
            )),
            Err(Refusal::QueryOrFragment) => Err(format!(
                "{root:?} has a query or fragment: give the API root alone, like {own}"
            )),
            Err(Refusal::PlainHttpElsewhere) => Err(format!(
                "{root:?} is plain http to another computer, which would send the token unencrypted: use https://, or http:// only on this computer (localhost, 127.0.0.1, [::1])"
            )),
            Err(Refusal::NotWeb) => Err(format!(
                "{root:?} is not an API address: use https://… (or http:// on this computer, for the fake {name})"
            )),
        }
    }

    /// Whether `root` is the cloud's own API root.
    pub fn is_own(&self, root: &str) -> bool {
        root.trim_end_matches('/') == self.root.trim_end_matches('/')
    }

    /// What an account stores: the root the reseller typed (checked), `None`
    /// for the cloud's own. The environment override is not stored.
    pub fn stored_root(&self, input: Option<&str>) -> Result<Option<String>, String> {
        match input.map(str::trim).filter(|u| !u.is_empty()) {
            None => Ok(None),
            Some(u) => {
                let u = self.check(u)?;
                Ok((!self.is_own(&u)).then_some(u))
            }
        }
    }

    /// The root an account talks to now: its own, else the environment
    /// override (`env`, checked like a typed root), else the cloud's (`None`).
    pub fn effective(
        &self,
        stored: Option<&str>,
        env: Option<&str>,
    ) -> Result<Option<String>, String> {
        match stored.map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => self.check(u).map(Some),
            None => match env.map(str::trim).filter(|u| !u.is_empty()) {
                Some(u) => self
                    .check(u)
                    .map(Some)
                    .map_err(|e| format!("{} is set but refused: {e}", self.env)),
                None => Ok(None),
            },
        }
    }

    /// The root an account with `stored` talks to now, with the environment
    /// read.
    pub fn effective_now(&self, stored: Option<&str>) -> Result<Option<String>, String> {
        let env = std::env::var(self.env).ok();
        self.effective(stored, env.as_deref())
    }

    /// The permanent warning of an account whose token goes to `root`.
    pub fn warning(&self, root: Option<&str>) -> Option<String> {
        let root = root.filter(|r| !self.is_own(r))?;
        Some(format!(
            "Custom API root: this account talks to {root}, not to {} ({}), and its token is sent there. Remove the account and add it again without an API root to use {}'s",
            self.name, self.root, self.name
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(root: &str) -> Result<String, String> {
        LINODE.check(root)
    }
    fn stored_root(input: Option<&str>) -> Result<Option<String>, String> {
        LINODE.stored_root(input)
    }
    fn effective(stored: Option<&str>, env: Option<&str>) -> Result<Option<String>, String> {
        LINODE.effective(stored, env)
    }
    fn warning(root: Option<&str>) -> Option<String> {
        LINODE.warning(root)
    }

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
        assert_eq!(stored_root(None).unwrap(), None);
        assert_eq!(stored_root(Some("  ")).unwrap(), None);
        assert_eq!(
            stored_root(Some("https://api.linode.com/v4/")).unwrap(),
            None
        );
        assert_eq!(
            stored_root(Some("http://localhost:1/v4"))
                .unwrap()
                .as_deref(),
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

    #[test]
    fn digitalocean_roots_follow_the_same_rule() {
        assert_eq!(
            DIGITALOCEAN
                .stored_root(Some("https://api.digitalocean.com/v2/"))
                .unwrap(),
            None
        );
        assert!(DIGITALOCEAN
            .check("http://localhost@evil.example/v2")
            .is_err());
        assert!(DIGITALOCEAN.check("http://10.0.0.1/v2").is_err());
        let w = DIGITALOCEAN
            .warning(Some("http://127.0.0.1:4010/v2"))
            .unwrap();
        assert!(w.contains("not to DigitalOcean"), "{w}");
        let e = DIGITALOCEAN.effective(None, Some("ftp://x")).unwrap_err();
        assert!(
            e.starts_with("CS_DIGITALOCEAN_BASE_URL is set but refused"),
            "{e}"
        );
    }
}
