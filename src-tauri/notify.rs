//! Desktop notifications: one `Notify` call to the freedesktop notification
//! service on the session bus (GNOME Shell, KDE Plasma, dunst, mako…), over
//! libdbus, which the keyring already uses. A notification that cannot be
//! shown (no service, no session bus) is logged and nothing else happens: the
//! same news is in the app's activity log.

use std::time::Duration;

/// Shows `title` and `body` as a notification from the app, from a thread
/// of its own so that no caller waits on the bus.
pub fn show(title: &str, body: &str, kind: &str) {
    let (title, body, kind) = (title.to_owned(), body.to_owned(), kind.to_owned());
    let spawned = std::thread::Builder::new()
        .name("notify".into())
        .spawn(move || {
            if let Err(e) = send(&title, &body) {
                tracing::warn!(error = %e, kind = %kind, "could not show a desktop notification");
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the notification thread");
    }
}

#[cfg(target_os = "linux")]
fn send(title: &str, body: &str) -> Result<u32, dbus::Error> {
    use dbus::arg::{PropMap, Variant};
    let bus = dbus::blocking::Connection::new_session()?;
    let service = bus.with_proxy(
        "org.freedesktop.Notifications",
        "/org/freedesktop/Notifications",
        Duration::from_secs(5),
    );
    let mut hints = PropMap::new();
    // Lets the desktop group it under the app and use the app's icon.
    hints.insert(
        "desktop-entry".into(),
        Variant(Box::new("ContainerStacks".to_owned())),
    );
    let (id,): (u32,) = service.method_call(
        "org.freedesktop.Notifications",
        "Notify",
        (
            "ContainerStacks", // app_name
            0u32,              // replaces_id: a new notification
            "containerstacks", // app_icon: the icon the package installs
            title,
            body,
            Vec::<&str>::new(), // actions
            hints,
            -1i32, // expire_timeout: the server's default
        ),
    )?;
    Ok(id)
}

#[cfg(not(target_os = "linux"))]
fn send(_title: &str, _body: &str) -> Result<u32, String> {
    Err("desktop notifications are only built for Linux".into())
}
