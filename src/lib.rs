//! hype: the referral core. Entities, services (users, links, hits, referrals, ledger, the
//! dashboard's reads), the outbox (events and their signed webhook deliveries and mails), the
//! safe-redirect rules, the `/ref` handler and the tower layers (`?ref=` redirect, claim).
//! It knows nothing of Leptos: any axum app can mount it.
pub mod bots;
pub mod config;
pub mod db;
pub mod demo;
pub mod entities;
pub mod error;
pub mod mail;
pub mod outbox;
pub mod services;
pub mod types;
pub mod web;
pub mod writer;

#[cfg(test)]
mod test_support;

pub use config::{AttributionModel, HypeConfig};
pub use error::{Error, Result};
pub use web::HypeState;
