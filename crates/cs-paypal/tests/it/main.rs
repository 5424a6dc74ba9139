//! Integration tests of the PayPal client against the stateful fake over real HTTP.

mod currencies;
mod fidelity;
mod orders;
mod refunds;
mod support;
mod token;
mod webhooks;
