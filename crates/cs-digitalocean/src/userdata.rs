//! Cloud-init user data that sets the root password.
//!
//! DigitalOcean's create request has no root password: without SSH keys it emails a
//! generated one to the account owner. A password the customer chose is set by cloud-init
//! on first boot, from user data. When the caller has user data of its own, both go in a
//! MIME multipart document, which cloud-init reads part by part; the password part comes
//! last so that a `chpasswd` in the caller's cloud-config cannot undo it.

/// DigitalOcean's limit on user data.
pub const MAX_USER_DATA_BYTES: usize = 64 * 1024;

/// Why user data could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserDataError {
    #[error("the root password contains a control character (a line break or tab): type it again without one")]
    PasswordControlCharacter,
    #[error("the user data and root password together are {0} bytes, more than DigitalOcean's 64 KiB: shorten the user data")]
    TooLarge(usize),
}

/// The cloud-config that sets root's password (not expiring) and allows SSH password
/// logins. The password is a YAML double-quoted string.
pub fn root_password_cloud_config(password: &str) -> Result<String, UserDataError> {
    if password.chars().any(char::is_control) {
        return Err(UserDataError::PasswordControlCharacter);
    }
    let quoted = password.replace('\\', "\\\\").replace('"', "\\\"");
    Ok(format!(
        "#cloud-config\nchpasswd:\n  expire: false\n  users:\n    - name: root\n      password: \"{quoted}\"\n      type: text\nssh_pwauth: true\n"
    ))
}

/// The MIME type cloud-init gives a part, from its first line.
fn part_type(data: &str) -> &'static str {
    let first = data.lines().next().unwrap_or("").trim_end();
    if first.starts_with("#cloud-config") {
        "text/cloud-config"
    } else if first.starts_with("#!") {
        "text/x-shellscript"
    } else if first.starts_with("#cloud-boothook") {
        "text/cloud-boothook"
    } else if first.starts_with("#include") {
        "text/x-include-url"
    } else {
        "text/plain"
    }
}

/// The user data to send: the caller's, the root password's, or both as MIME multipart.
pub fn build(
    user_data: Option<&str>,
    root_password: Option<&str>,
) -> Result<Option<String>, UserDataError> {
    let user_data = user_data.filter(|u| !u.trim().is_empty());
    let out = match (user_data, root_password) {
        (None, None) => return Ok(None),
        (Some(u), None) => u.to_owned(),
        (None, Some(p)) => root_password_cloud_config(p)?,
        (Some(u), Some(p)) => {
            let password = root_password_cloud_config(p)?;
            let mut n = 0u32;
            let boundary = loop {
                let b = format!("==ContainerStacks-{n}==");
                if !u.contains(&b) {
                    break b;
                }
                n += 1;
            };
            let part = |content_type: &str, body: &str| {
                format!(
                    "--{boundary}\nContent-Type: {content_type}; charset=\"utf-8\"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 8bit\n\n{body}{}",
                    if body.ends_with('\n') { "" } else { "\n" }
                )
            };
            format!(
                "Content-Type: multipart/mixed; boundary=\"{boundary}\"\nMIME-Version: 1.0\n\n{}{}--{boundary}--\n",
                part(part_type(u), u),
                part("text/cloud-config", &password),
            )
        }
    };
    if out.len() > MAX_USER_DATA_BYTES {
        return Err(UserDataError::TooLarge(out.len()));
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_quoted_and_comes_last() {
        let c = root_password_cloud_config(r#"Pa"ss\word"#).unwrap();
        assert!(c.contains(r#"password: "Pa\"ss\\word""#), "{c}");
        assert!(c.starts_with("#cloud-config\n"));
        assert_eq!(
            root_password_cloud_config("a\nb"),
            Err(UserDataError::PasswordControlCharacter)
        );

        assert_eq!(build(None, None), Ok(None));
        assert_eq!(
            build(Some("#!/bin/sh\necho hi\n"), None).unwrap().unwrap(),
            "#!/bin/sh\necho hi\n"
        );
        let both = build(Some("#!/bin/sh\necho hi"), Some("Root-Pass-1"))
            .unwrap()
            .unwrap();
        assert!(
            both.starts_with("Content-Type: multipart/mixed; boundary=\"==ContainerStacks-0==\"")
        );
        let script = both.find("text/x-shellscript").unwrap();
        let password = both.find("text/cloud-config").unwrap();
        assert!(script < password, "the password part is last:\n{both}");
        assert!(both.trim_end().ends_with("--==ContainerStacks-0==--"));
        let tricky = build(Some("#cloud-config\n# ==ContainerStacks-0==\n"), Some("x"))
            .unwrap()
            .unwrap();
        assert!(tricky.contains("boundary=\"==ContainerStacks-1==\""));
        let big = "#!/bin/sh\n".to_owned() + &"x".repeat(MAX_USER_DATA_BYTES);
        assert!(matches!(
            build(Some(&big), None),
            Err(UserDataError::TooLarge(_))
        ));
    }
}
