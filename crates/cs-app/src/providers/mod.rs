//! Providers in the façade: the Linode accounts a reseller connects
//! ([`linode`]: each with its token in the keyring, its label, API root and
//! token expiry), the providers' catalogues cached in SQLite
//! ([`catalogue`]), and the SQL of the tables they own ([`store`]:
//! `provider_accounts`, `provider_catalogue`, `provider_catalogue_refresh`,
//! `provider_event_cursor`).

pub(crate) mod api_root;
pub(crate) mod catalogue;
pub(crate) mod dto;
pub(crate) mod linode;
pub(crate) mod store;
