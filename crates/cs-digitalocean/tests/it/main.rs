//! Integration tests of the DigitalOcean client and provider against the stateful fake,
//! over real HTTP.

mod errors;
mod fidelity;
mod ops;
mod provider;
mod scale;
mod storm;
mod support;
