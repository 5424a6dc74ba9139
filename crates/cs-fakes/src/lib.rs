//! Stateful stand-ins for Linode, DigitalOcean and PayPal that speak their real wire formats
//!
//! Each fake is a real HTTP server (axum) started on a loopback port by tests and by the
//! demo mode, keeping state like the real service would. They are not mocks: clients talk
//! to them over HTTP exactly as they talk to the real APIs. They never call the real
//! services and hold no real credentials.

pub mod digitalocean;
pub mod linode;
pub mod paypal;
pub mod smtp;
