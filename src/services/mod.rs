//! The referral core's operations, as free functions taking the connection first.
//! Multi-step writes take a transaction from their caller or open one themselves.
pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod conversions;
pub mod external_users;
pub mod hit_browser;
pub mod hits;
pub mod leaderboard;
pub mod ledger;
pub mod link_counts;
pub mod link_report;
pub mod links;
pub mod overview;
pub mod passwords;
pub mod receipts;
pub mod referee;
pub mod referrals;
pub mod running_totals;
pub mod settings;
pub mod users;
pub mod what_if;

/// Lower-case hexadecimal: the form of every stored digest and generated secret.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of `text`, in [`hex`].
pub fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(text.as_bytes()))
}

/// What a referrer is shown instead of the username of someone they referred who asked to be
/// hidden from them (`users.hidden_from_referrer`).
pub const HIDDEN_REFEREE: &str = "a friend";

/// The name a referrer is shown for someone they referred: `username`, or [`HIDDEN_REFEREE`].
pub fn referee_shown_as(username: &str, hidden: bool) -> &str {
    if hidden {
        HIDDEN_REFEREE
    } else {
        username
    }
}

/// The current time, truncated to microseconds so it round-trips identically through
/// SQLite's text and PostgreSQL's `timestamptz`.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::{DurationRound, TimeDelta};
    let now = chrono::Utc::now();
    now.duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(now)
}

/// `%text%` for a case-insensitive LIKE, with `%`, `_` and `\` in `text` matched literally.
pub(crate) fn like_pattern(text: &str) -> crate::error::Result<String> {
    if text.contains('\0') {
        // PostgreSQL refuses NUL in text outright, and no stored text holds one.
        return Err(crate::Error::invalid(
            "Search text can't contain a NUL character.",
        ));
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    Ok(out)
}

/// `lower(expr) LIKE pattern ESCAPE '\'`, the same on SQLite and PostgreSQL.
pub(crate) fn ilike(
    expr: sea_orm::sea_query::Expr,
    pattern: &str,
) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Func, LikeExpr};
    sea_orm::sea_query::Expr::expr(Func::lower(expr)).like(LikeExpr::new(pattern).escape('\\'))
}
