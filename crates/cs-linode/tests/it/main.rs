//! Integration tests of the Linode client against the stateful fake, over real HTTP.

mod errors;
mod fidelity;
mod firewalls;
mod ops;
mod provider;
mod recorded;
mod scale;
mod storm;
mod support;
