//! Wire types: what server functions return. Built from entities on the server; never the
//! entities themselves, never a secret.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: i32,
    pub username: String,
    pub is_admin: bool,
}

/// The signed-in user's own account, as `/account` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub username: String,
    pub email: Option<String>,
    pub email_confirmed: bool,
    pub is_admin: bool,
    pub notify_joins: bool,
    pub notify_credits: bool,
    pub notify_digest: bool,
    /// How the user joined, when someone referred them.
    pub referral: Option<MyReferralView>,
}

/// The referred user's view of their own referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyReferralView {
    /// Its receipt is at `/referrals/{id}`.
    pub id: i32,
    /// Whether the referrer sees "a friend" instead of the user's username.
    pub hidden: bool,
    /// The referrer's username (`None`: their account was deleted).
    pub referrer: Option<String>,
    /// `YYYY-MM-DD`.
    pub joined: String,
    /// `pending`, `confirmed`, `rejected` or `declined`.
    pub status: String,
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
    /// Where the link sends visitors without a `next` (a page of the product).
    pub destination: Option<String>,
}

/// One page of *My links*.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkListView {
    /// Newest first.
    pub links: Vec<LinkView>,
    /// 1-based.
    pub page: u64,
    /// At least 1.
    pub pages: u64,
    /// All the user's links.
    pub total: u64,
}

/// `/links/{identifier}`: one link, what it did over a period, and its settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkDetailView {
    pub link: LinkView,
    /// Points the referrals it won earned (credits less reversals).
    pub points: i64,
    /// The period in days (30 or 90).
    pub period: u32,
    /// (`YYYY-MM-DD`, visits, sign-ups) for every day of the period, oldest first.
    pub days: Vec<(String, i64, i64)>,
    /// Referer hosts over the period, most visits first.
    pub referers: Vec<(String, i64)>,
    /// Where destinations may point (empty: links have none here).
    pub destination_hosts: Vec<String>,
    /// The viewer owns it (and may edit it); else an admin is looking.
    pub own: bool,
}

/// `/leaderboard`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderboardView {
    /// Off: an admin turned the page off.
    pub enabled: bool,
    /// This month's confirmations (else all time).
    pub month: bool,
    /// (rank, display name, confirmed referrals, the viewer's own row), best first.
    pub entries: Vec<(u64, String, i64, bool)>,
    /// The viewer's rank and count, whether they are shown or not.
    pub mine: Option<(u64, i64)>,
    pub signed_in: bool,
    pub is_admin: bool,
    /// The name the viewer appears under (`None`: not shown).
    pub my_name: Option<String>,
}

/// Declares [`HitQuery`] from one list of its URL keys, each a field of the same name, so that
/// every reader and writer of the query walks the same list.
macro_rules! hit_query {
    ($($(#[$doc:meta])* $key:ident),+ $(,)?) => {
        /// The hits browser's URL query: filters and page position, all as typed in the URL.
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        pub struct HitQuery {
            $($(#[$doc])* pub $key: Option<String>,)+
        }

        impl HitQuery {
            /// Every key with its value, in URL order.
            pub fn fields(&self) -> Vec<(&'static str, &Option<String>)> {
                vec![$((stringify!($key), &self.$key)),+]
            }

            fn fields_mut(&mut self) -> Vec<(&'static str, &mut Option<String>)> {
                vec![$((stringify!($key), &mut self.$key)),+]
            }
        }
    };
}

hit_query!(
    link,
    referrer,
    hit_user,
    /// `anonymous` or `authenticated`.
    auth,
    /// `yes` or `no`.
    claimed,
    /// `yes` or `no`.
    confirmed,
    /// `hide` or `only`: bots' hits (preview fetchers, crawlers).
    bots,
    /// `YYYY-MM-DD`.
    from,
    to,
    q,
    /// Page position: older than this cursor…
    before,
    /// …or newer than this one…
    after,
    /// …or the last page.
    last,
);

/// The keys that place a page rather than filter.
const PAGE_KEYS: [&str; 3] = ["before", "after", "last"];

impl HitQuery {
    /// Builds it from URL parameters (`name → value`); blank values are left out.
    pub fn from_pairs(get: impl Fn(&str) -> Option<String>) -> Self {
        let mut query = Self::default();
        for (key, value) in query.fields_mut() {
            *value = get(key).filter(|v| !v.trim().is_empty());
        }
        query
    }

    /// The value of URL key `key`.
    pub fn get(&self, key: &str) -> Option<String> {
        self.fields()
            .into_iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.clone())
    }

    /// The URL query string (without `?`) for these filters, with another page position.
    pub fn to_query_string(&self, page: Option<(&str, &str)>) -> String {
        let mut parts: Vec<String> = self
            .fields()
            .into_iter()
            .filter(|(k, _)| !PAGE_KEYS.contains(k))
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
    /// Made by a link-preview fetcher or a crawler: counted nowhere.
    pub is_bot: bool,
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
    /// "2 (latest: purchase)", or empty without conversions.
    pub conversions: String,
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
    /// The referral it credits or reverses: its receipt is at `/referrals/{id}`.
    pub referral: Option<i32>,
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
    /// Referrals their referred users declined.
    pub declined: Vec<ReferralView>,
}

#[cfg(feature = "ssr")]
impl From<hype::services::referrals::ReferralRow> for ReferralView {
    fn from(r: hype::services::referrals::ReferralRow) -> Self {
        ReferralView {
            id: r.id,
            referred: r.referred.unwrap_or_else(|| "(deleted)".into()),
            referrer: r.referrer.unwrap_or_else(|| "(deleted)".into()),
            identifier: r.identifier.unwrap_or_default(),
            hit: r.referral_hit_id.map(|h| h.to_string()),
            hit_at: r.hit_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
            status: r.status.as_str().to_owned(),
            flags: r
                .flags
                .split(',')
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect(),
            created: r.created_at.format("%Y-%m-%d %H:%M").to_string(),
            decided: r.decided_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
            decided_by: r.decided_by,
            conversions: match (r.conversions, r.last_conversion) {
                (0, _) => String::new(),
                (n, Some(event)) => format!("{n} (latest: {event})"),
                (n, None) => n.to_string(),
            },
        }
    }
}

/// `/admin/webhooks`: the event types an endpoint can ask for, and the endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhooksView {
    pub event_types: Vec<String>,
    pub endpoints: Vec<WebhookView>,
}

/// A webhook endpoint on `/admin/webhooks` (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookView {
    pub id: i32,
    pub url: String,
    /// The events it gets, as shown: "every event" or a list.
    pub events: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub deliveries: Vec<DeliveryView>,
}

/// One delivery of an event to an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: i64,
    pub event: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub status: Option<i32>,
    pub attempts: i32,
    pub next_attempt: Option<String>,
    pub result: String,
    pub created: String,
}

/// `/admin/api-keys`: the scopes there are and every key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeysView {
    pub scopes: Vec<String>,
    pub keys: Vec<ApiKeyView>,
    /// A key just created by a plain form, shown on this load only.
    pub new_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: i32,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// A referral's receipt, as `/referrals/{id}` shows it to an admin, its referrer or the
/// person referred (see `hype::services::receipts`). Times are UTC, `YYYY-MM-DD HH:MM`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptView {
    pub id: i32,
    /// `admin`, `referrer` or `referee`.
    pub viewer: String,
    /// `pending`, `confirmed`, `rejected` or `declined`.
    pub status: String,
    pub joined: String,
    pub decided: Option<String>,
    /// The referrer's username, or "a deleted account".
    pub referrer: String,
    /// The referred user's username, or "a friend".
    pub referred: String,
    pub rule: String,
    pub why: String,
    pub journey: Vec<VisitView>,
    pub more_visits: u64,
    /// Each flag and what raised it.
    pub flags: Vec<(String, String)>,
    pub decisions: Vec<DecisionView>,
    /// When, and the event the product reported.
    pub conversions: Vec<(String, String)>,
    pub ledger: Vec<ReceiptLedgerView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitView {
    pub at: String,
    pub link: String,
    /// The referring site, or "direct".
    pub from: String,
    pub won: bool,
    /// `window`, `before the window` or `after joining`.
    pub standing: String,
    /// Shown to admins and the person referred only.
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionView {
    pub at: String,
    pub what: String,
    pub by: String,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptLedgerView {
    pub at: String,
    pub who: String,
    pub amount: i64,
    pub reason: String,
}

/// `/admin/what-if`: the rule in force, and a replay under another when one was asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatIfView {
    /// `last-click` or `first-click`.
    pub current_model: String,
    pub current_days: u32,
    pub result: Option<WhatIfResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatIfResult {
    pub model: String,
    pub days: u32,
    pub replayed: u64,
    pub admin_picked: u64,
    pub hits_read: u64,
    pub changed: u64,
    pub changed_confirmed: u64,
    pub points_moved: i64,
    pub took_ms: u64,
    /// The first 200 changes, newest referral first.
    pub changes: Vec<WhatIfChangeView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatIfChangeView {
    pub referral_id: i32,
    pub referred: String,
    pub status: String,
    pub referrer: String,
    /// `None`: nobody would have referred them.
    pub would_be: Option<String>,
    pub points: i64,
}
