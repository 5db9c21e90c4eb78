//! The admin dashboard: one module per page.
pub mod api_keys;
pub mod audit;
pub mod hits;
pub mod links;
pub mod overview;
pub mod referrals;
pub mod users;
pub mod webhooks;
pub mod what_if;
