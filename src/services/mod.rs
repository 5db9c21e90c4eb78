//! The referral core's operations, as free functions taking the connection first.
//! Multi-step writes take a transaction from their caller or open one themselves.
pub mod hits;
pub mod links;
pub mod referrals;
pub mod settings;
pub mod stats;
pub mod users;

/// The current time, truncated to microseconds so it round-trips identically through
/// SQLite's text and PostgreSQL's `timestamptz`.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::{DurationRound, TimeDelta};
    let now = chrono::Utc::now();
    now.duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(now)
}
