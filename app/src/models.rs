//! Wire types: what server functions return. Built from entities on the server; never the
//! entities themselves, never a secret.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: i32,
    pub username: String,
    pub is_admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkView {
    pub id: i32,
    pub identifier: String,
    pub label: String,
    /// The full shareable URL.
    pub url: String,
    pub disabled: bool,
    /// Disabled by an admin: its owner can't enable it.
    pub disabled_by_admin: bool,
    pub hits: i64,
    pub visitors: i64,
    pub signups: i64,
    pub confirmed: i64,
    /// `YYYY-MM-DD`, UTC.
    pub created: String,
}

/// The hits browser's URL query: filters and page position, all as typed in the URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HitQuery {
    pub link: Option<String>,
    pub referrer: Option<String>,
    pub hit_user: Option<String>,
    /// `anonymous` or `authenticated`.
    pub auth: Option<String>,
    /// `yes` or `no`.
    pub claimed: Option<String>,
    /// `yes` or `no`.
    pub confirmed: Option<String>,
    /// `YYYY-MM-DD`.
    pub from: Option<String>,
    pub to: Option<String>,
    pub q: Option<String>,
    /// Page position: older than this cursor…
    pub before: Option<String>,
    /// …or newer than this one…
    pub after: Option<String>,
    /// …or the last page.
    pub last: Option<String>,
}

impl HitQuery {
    /// Builds it from URL parameters (`name → value`).
    pub fn from_pairs(get: impl Fn(&str) -> Option<String>) -> Self {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        Self {
            link: get("link"),
            referrer: get("referrer"),
            hit_user: get("hit_user"),
            auth: get("auth"),
            claimed: get("claimed"),
            confirmed: get("confirmed"),
            from: get("from"),
            to: get("to"),
            q: get("q"),
            before: get("before"),
            after: get("after"),
            last: get("last"),
        }
    }

    /// The URL query string (without `?`) for these filters, with another page position.
    pub fn to_query_string(&self, page: Option<(&str, &str)>) -> String {
        let filters = [
            ("link", &self.link),
            ("referrer", &self.referrer),
            ("hit_user", &self.hit_user),
            ("auth", &self.auth),
            ("claimed", &self.claimed),
            ("confirmed", &self.confirmed),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
        ];
        let mut parts: Vec<String> = filters
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", encode(v))))
            .collect();
        if let Some((k, v)) = page {
            parts.push(format!("{k}={}", encode(v)));
        }
        parts.join("&")
    }

    /// The same filters, first page.
    pub fn first_page(&self) -> Self {
        Self {
            before: None,
            after: None,
            last: None,
            ..self.clone()
        }
    }
}

/// Bytes a query value keeps as they are (RFC 3986's unreserved characters).
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `value` percent-encoded for a URL query.
pub fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, QUERY_VALUE).to_string()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HitView {
    pub id: String,
    /// `YYYY-MM-DD HH:MM:SS` UTC.
    pub at: String,
    pub identifier: String,
    pub referrer: Option<String>,
    pub hit_user: Option<String>,
    pub authenticated: bool,
    pub visitor: Option<String>,
    pub ip: String,
    pub user_agent: String,
    pub referer: String,
    pub next: String,
    pub confirmed: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HitPageView {
    pub rows: Vec<HitView>,
    pub older: Option<String>,
    pub newer: Option<String>,
    /// Cursor of the newest row shown (for counting what arrived since).
    pub newest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverviewView {
    pub users: u64,
    pub links: u64,
    pub hits_today: u64,
    pub hits_7d: u64,
    pub hits_30d: u64,
    pub unique_visitors: i64,
    pub referred_signups: u64,
    pub pending: u64,
    pub confirmed: u64,
    /// Referred sign-ups per unique visitor, in percent.
    pub conversion_percent: f64,
    /// (`YYYY-MM-DD`, hits), oldest first, 30 days.
    pub daily: Vec<(String, i64)>,
    pub top_referrers: Vec<(String, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralView {
    pub id: i32,
    pub referred: String,
    pub referrer: String,
    pub identifier: String,
    pub hit: Option<String>,
    pub hit_at: Option<String>,
    pub status: String,
    pub flags: Vec<String>,
    pub created: String,
    pub decided: Option<String>,
    pub decided_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminLinkView {
    pub id: i32,
    pub identifier: String,
    pub label: String,
    pub owner: Option<String>,
    pub disabled: bool,
    pub created: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUserView {
    pub id: i32,
    pub username: String,
    pub email: Option<String>,
    pub is_admin: bool,
    pub balance: i64,
    pub joined: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntryView {
    pub id: i32,
    pub amount: i64,
    pub reason: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerView {
    pub username: String,
    pub balance: i64,
    pub entries: Vec<LedgerEntryView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub id: i32,
    pub actor: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardsView {
    pub balance: i64,
    pub entries: Vec<LedgerEntryView>,
    pub pending: Vec<ReferralView>,
    pub confirmed: Vec<ReferralView>,
}
