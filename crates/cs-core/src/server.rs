//! Servers and their state machine.
//!
//! A server's status mirrors its provider's (Linode's real sequence is
//! provisioning → booting → running; shutting_down → offline; rebooting;
//! deleting), plus `Suspended` (powered off by us for an unpaid balance),
//! `Failed` (the provider could not build it) and `Deleted` (kept for the
//! activity log and billing history). [`ServerStatus::begin`] says which
//! status a power action moves a server into, or why it can't.

use serde::{Deserialize, Serialize};

use crate::dunning::DunningAction;
use crate::ids::{OrganizationId, PlanId, ServerId};
use crate::plan::ProviderKind;
use crate::validate::ValidationErrors;
use crate::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerStatus {
    Provisioning,
    Booting,
    Running,
    Rebooting,
    ShuttingDown,
    Offline,
    Suspended,
    Deleting,
    Deleted,
    Failed,
}

impl ServerStatus {
    pub const ALL: [ServerStatus; 10] = [
        ServerStatus::Provisioning,
        ServerStatus::Booting,
        ServerStatus::Running,
        ServerStatus::Rebooting,
        ServerStatus::ShuttingDown,
        ServerStatus::Offline,
        ServerStatus::Suspended,
        ServerStatus::Deleting,
        ServerStatus::Deleted,
        ServerStatus::Failed,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            ServerStatus::Provisioning => "provisioning",
            ServerStatus::Booting => "booting",
            ServerStatus::Running => "running",
            ServerStatus::Rebooting => "rebooting",
            ServerStatus::ShuttingDown => "shutting_down",
            ServerStatus::Offline => "offline",
            ServerStatus::Suspended => "suspended",
            ServerStatus::Deleting => "deleting",
            ServerStatus::Deleted => "deleted",
            ServerStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<ServerStatus> {
        ServerStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// A status the provider is still moving the server out of on its own.
    pub fn is_transitional(&self) -> bool {
        matches!(
            self,
            ServerStatus::Provisioning
                | ServerStatus::Booting
                | ServerStatus::Rebooting
                | ServerStatus::ShuttingDown
                | ServerStatus::Deleting
        )
    }

    /// Whether a dunning `action` covers a server in this status: suspend
    /// every live server not already suspended, being deleted or failed;
    /// release the suspended ones; terminate every one not gone.
    pub fn dunning_applies(&self, action: DunningAction) -> bool {
        use ServerStatus::*;
        match action {
            DunningAction::Suspend => !matches!(self, Suspended | Deleting | Deleted | Failed),
            DunningAction::Unsuspend => *self == Suspended,
            DunningAction::Terminate => !matches!(self, Deleted | Failed),
        }
    }

    /// The status a server takes once the app reports a dunning `action`
    /// done at the provider: suspended (powered off for an unpaid balance),
    /// offline (released: the customer boots it) or deleted (terminated).
    /// `None` when the action does not cover this status.
    pub fn after_dunning(&self, action: DunningAction) -> Option<ServerStatus> {
        self.dunning_applies(action).then_some(match action {
            DunningAction::Suspend => ServerStatus::Suspended,
            DunningAction::Unsuspend => ServerStatus::Offline,
            DunningAction::Terminate => ServerStatus::Deleted,
        })
    }

    /// The status a power action moves the server into right away.
    pub fn begin(&self, action: PowerAction) -> Result<ServerStatus, TransitionError> {
        use PowerAction::*;
        use ServerStatus::*;
        let next = match (action, self) {
            (Boot, Offline) => Booting,
            (Reboot, Running) => Rebooting,
            (Shutdown, Running) => ShuttingDown,
            (Suspend, Running | Offline | Booting | Rebooting) => ShuttingDown,
            (Delete, Deleting | Deleted) => {
                return Err(TransitionError {
                    from: *self,
                    action,
                })
            }
            (Delete, _) => Deleting,
            _ => {
                return Err(TransitionError {
                    from: *self,
                    action,
                })
            }
        };
        Ok(next)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerAction {
    Boot,
    Reboot,
    Shutdown,
    Suspend,
    Delete,
}

impl PowerAction {
    pub fn as_str(&self) -> &'static str {
        match self {
            PowerAction::Boot => "boot",
            PowerAction::Reboot => "reboot",
            PowerAction::Shutdown => "shutdown",
            PowerAction::Suspend => "suspend",
            PowerAction::Delete => "delete",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} a server that is {}: {}", action.as_str(), from.as_str().replace('_', " "), hint(*from, *action))]
pub struct TransitionError {
    pub from: ServerStatus,
    pub action: PowerAction,
}

fn hint(from: ServerStatus, action: PowerAction) -> &'static str {
    match (from, action) {
        (ServerStatus::Running, PowerAction::Boot) => "it is already running",
        (ServerStatus::Offline, PowerAction::Shutdown) => "it is already off",
        (ServerStatus::Offline, PowerAction::Reboot) => "boot it instead",
        (ServerStatus::Deleting | ServerStatus::Deleted, _) => "it is being or has been deleted",
        (ServerStatus::Suspended, _) => {
            "it is suspended for an unpaid balance; record a payment to release it"
        }
        (s, _) if s.is_transitional() => "wait until its current operation finishes",
        _ => "refresh and try again",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Server {
    pub id: ServerId,
    pub organization_id: OrganizationId,
    pub plan_id: PlanId,
    pub label: String,
    pub provider: ProviderKind,
    /// The provider's id for the instance, once it was created there.
    pub provider_id: Option<String>,
    pub provider_type: String,
    pub region: String,
    pub image: String,
    pub status: ServerStatus,
    pub ipv4: Option<String>,
    pub ipv6: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
}

/// Checks a server label the way Linode does: 3–64 characters, letters,
/// digits, `-`, `_` and `.`, starting and ending with a letter or digit, and
/// no two separators in a row.
pub fn validate_label(errors: &mut ValidationErrors, label: &str) -> String {
    let l = label.trim().to_string();
    let ok_chars = l
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let ends_ok = l.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && l.chars().last().is_some_and(|c| c.is_ascii_alphanumeric());
    let doubled = ["--", "__", "..", "-_", "_-", ".-", "-.", "._", "_."]
        .iter()
        .any(|d| l.contains(d));
    if l.is_empty() {
        errors.add("label", "Label is required");
    } else if l.len() < 3 || l.len() > 64 {
        errors.add("label", "Label must be 3–64 characters long");
    } else if !ok_chars || !ends_ok || doubled {
        errors.add("label", "Label may use letters, digits, '-', '_' and '.', must start and end with a letter or digit, and may not repeat separators");
    }
    l
}

/// Linode's rule for root passwords, which we apply everywhere and no
/// stricter: 11–128 characters (counted as characters, not bytes). Linode
/// also scores strength without publishing the threshold; what any score
/// refuses, and Linode's documentation names as weak, is refused here too: a
/// password that is only a repeat (`aaaaaaaaaaa`, `ab1ab1ab1ab1`) or a run
/// along the alphabet, the digits or a keyboard row (`abcdefghijk`,
/// `qwertyuiopas`). The fake Linode (`cs-fakes`) applies the same rule.
pub fn validate_root_password(errors: &mut ValidationErrors, password: &str) {
    let n = password.chars().count();
    if !(11..=128).contains(&n) {
        errors.add(
            "root_password",
            "Root password must be 11–128 characters long",
        );
    } else if only_a_pattern(password) {
        errors.add(
            "root_password",
            "Root password is only a repeat or a run of keys (like aaaa, abcd or qwerty): the provider refuses it as too weak; use a generated one",
        );
    }
}

/// The whole password is a group of at most three characters repeated, or a
/// run along the alphabet, the digits or a keyboard's letter rows (either
/// way, wrapping round).
fn only_a_pattern(pass: &str) -> bool {
    let chars: Vec<char> = pass.to_lowercase().chars().collect();
    let repeated = (1..=3).any(|unit| chars.iter().enumerate().all(|(i, c)| *c == chars[i % unit]));
    let text: String = chars.iter().collect();
    let along = |row: &str| {
        let ring = row.repeat(chars.len() / row.len() + 2);
        let back: String = ring.chars().rev().collect();
        ring.contains(&text) || back.contains(&text)
    };
    repeated
        || [
            "abcdefghijklmnopqrstuvwxyz",
            "0123456789",
            "qwertyuiopasdfghjklzxcvbnm",
        ]
        .into_iter()
        .any(along)
}

/// Accepts one OpenSSH public key line.
pub fn validate_ssh_key(errors: &mut ValidationErrors, key: &str) -> String {
    let k = key.trim().to_string();
    let mut parts = k.split_whitespace();
    let kind = parts.next().unwrap_or("");
    let body = parts.next().unwrap_or("");
    let known = [
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
    ];
    let b64 = !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='));
    if k.contains('\n') || !known.contains(&kind) || !b64 || body.len() < 60 {
        errors.add("ssh_key", "SSH key must be one OpenSSH public key line, e.g. \"ssh-ed25519 AAAAC3Nz… you@laptop\"");
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_actions_follow_the_state_machine() {
        assert_eq!(
            ServerStatus::Running.begin(PowerAction::Reboot),
            Ok(ServerStatus::Rebooting)
        );
        assert_eq!(
            ServerStatus::Running.begin(PowerAction::Shutdown),
            Ok(ServerStatus::ShuttingDown)
        );
        assert_eq!(
            ServerStatus::Offline.begin(PowerAction::Boot),
            Ok(ServerStatus::Booting)
        );
        assert_eq!(
            ServerStatus::Provisioning.begin(PowerAction::Delete),
            Ok(ServerStatus::Deleting)
        );
        let err = ServerStatus::Running.begin(PowerAction::Boot).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot boot a server that is running: it is already running"
        );
        assert!(ServerStatus::Deleted.begin(PowerAction::Delete).is_err());
        assert!(ServerStatus::Provisioning
            .begin(PowerAction::Reboot)
            .unwrap_err()
            .to_string()
            .contains("wait until"));
    }

    #[test]
    fn statuses_round_trip() {
        for s in ServerStatus::ALL {
            assert_eq!(ServerStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn labels() {
        for good in ["web-1", "db.prod_2", "abc"] {
            let mut e = ValidationErrors::new();
            validate_label(&mut e, good);
            assert!(e.is_empty(), "{good}");
        }
        for bad in [
            "",
            "ab",
            "-web",
            "web-",
            "we--b",
            "web 1",
            "wéb1",
            &"x".repeat(65),
        ] {
            let mut e = ValidationErrors::new();
            validate_label(&mut e, bad);
            assert!(!e.is_empty(), "{bad}");
        }
    }

    #[test]
    fn passwords_and_keys() {
        // Linode's rule and no stricter: what the fake Linode accepts (its
        // own test's list) is accepted here, whatever the character classes.
        let mut e = ValidationErrors::new();
        for ok in [
            "Correct-Horse-9",
            "alllowercaseletters",
            "kqzvwmtrhxb",
            "correct horse battery",
            "abcdefghijk1",
            "aaaaaaaaaab",
            "12345678901x",
            "Ærøskøbing1", // 11 characters, 14 bytes
        ] {
            validate_root_password(&mut e, ok);
            assert!(e.is_empty(), "{ok}: {e:?}");
        }
        validate_root_password(&mut e, &("x".repeat(64) + &"y".repeat(64)));
        assert!(e.is_empty());
        for bad in [
            "short",
            "short-pw",
            "ÆØÅæøå",
            "1111111111111",
            "xyzabcdefgh",
            "ZYXWVUTSRQP",
            "0123456789012",
            "mnbvcxzlkjhg",
            "ab1ab1ab1ab1",
        ] {
            let mut e = ValidationErrors::new();
            validate_root_password(&mut e, bad);
            assert_eq!(e.0.len(), 1, "{bad}");
        }
        let mut e = ValidationErrors::new();
        validate_root_password(&mut e, &"x".repeat(129));
        assert_eq!(e.0.len(), 1);
        let mut e = ValidationErrors::new();
        validate_ssh_key(&mut e, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJhc2U2NGJvZHlvZmF0ZXN0a2V5Zm9yY29udGFpbmVyc3RhY2tz zoe@laptop");
        assert!(e.is_empty(), "{e:?}");
        validate_ssh_key(&mut e, "not a key");
        assert_eq!(e.0.len(), 1);
    }

    #[test]
    fn dunning_moves_servers_along_their_own_lifecycle() {
        use ServerStatus::*;
        assert_eq!(
            Running.after_dunning(DunningAction::Suspend),
            Some(Suspended)
        );
        assert_eq!(Suspended.after_dunning(DunningAction::Suspend), None);
        assert_eq!(Deleting.after_dunning(DunningAction::Suspend), None);
        assert_eq!(
            Suspended.after_dunning(DunningAction::Unsuspend),
            Some(Offline)
        );
        assert_eq!(Running.after_dunning(DunningAction::Unsuspend), None);
        assert_eq!(
            Suspended.after_dunning(DunningAction::Terminate),
            Some(Deleted)
        );
        assert_eq!(Deleted.after_dunning(DunningAction::Terminate), None);
        assert_eq!(Failed.after_dunning(DunningAction::Terminate), None);
    }
}
