//! SeaORM entities, one module per table (module name = table name). Plain data: behaviour
//! lives in `services`.
pub mod account_tokens;
pub mod api_keys;
pub mod audit_log;
pub mod conversions;
pub mod deliveries;
pub mod outbox_events;
pub mod referral_hits;
pub mod referral_links;
pub mod referrals;
pub mod reward_ledger;
pub mod settings;
pub mod users;
pub mod webhook_endpoints;
