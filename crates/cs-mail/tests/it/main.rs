//! cs-mail against a real SMTP server on loopback (the `cs-fakes` SMTP sink).

mod delivery;
mod outbox;
mod sqlite;
mod support;
