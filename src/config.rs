//! The referral program's settings. Built once by the binary from the environment (or by a
//! test by hand); every field has a default so a site runs with nothing set.
use crate::web::rate_limit::RateLimit;
use crate::writer::WriterOptions;
use ipnet::IpNet;
use std::net::IpAddr;
use std::time::Duration;
use url::Url;

/// Which of a user's claimed hits wins the attribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AttributionModel {
    /// The most recent hit (django-hype's implicit behaviour).
    #[default]
    LastClick,
    /// The earliest hit inside the window.
    FirstClick,
}

impl std::str::FromStr for AttributionModel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "last-click" | "last" => Ok(Self::LastClick),
            "first-click" | "first" => Ok(Self::FirstClick),
            other => Err(format!(
                "unknown attribution model {other:?}: use last-click or first-click"
            )),
        }
    }
}

#[derive(Debug, Clone)]
pub struct HypeConfig {
    /// The site's public origin, used for full links and to decide on `Secure` cookies.
    pub public_url: Url,
    /// The visitor cookie's name.
    pub cookie_name: String,
    /// How long a hit counts towards attribution, and the visitor cookie's Max-Age.
    pub attribution_window_days: u32,
    pub attribution_model: AttributionModel,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Where `/ref` sends a visitor whose `next` is missing or unsafe.
    pub default_redirect: String,
    /// Points credited for a confirmed referral.
    pub reward_points: i64,
    /// How long `/ref` trusts its in-memory copy of a link (0 = always ask the database).
    pub link_cache_ttl: Duration,
    /// Per-IP limit on `/ref`; `None` (the default) is no limit.
    pub ref_rate_limit: Option<RateLimit>,
    /// Queueing and batching of hit writes.
    pub writer: WriterOptions,
}

impl Default for HypeConfig {
    fn default() -> Self {
        Self {
            public_url: Url::parse("http://127.0.0.1:3000").expect("a valid literal URL"),
            cookie_name: "hype_rk".into(),
            attribution_window_days: 365,
            attribution_model: AttributionModel::LastClick,
            trusted_proxies: Vec::new(),
            default_redirect: "/".into(),
            reward_points: 100,
            link_cache_ttl: Duration::from_secs(2),
            ref_rate_limit: None,
            writer: WriterOptions::default(),
        }
    }
}

impl HypeConfig {
    /// Cookies get `Secure` when the site is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    pub fn attribution_window(&self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.attribution_window_days))
    }

    pub fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }

    /// The full shareable URL of a link.
    pub fn link_url(&self, identifier: &str) -> String {
        format!(
            "{}/ref/{identifier}",
            self.public_url.as_str().trim_end_matches('/')
        )
    }
}
