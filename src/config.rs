//! The referral program's settings. Built once by the binary from the environment (or by a
//! test by hand); every field has a default so a site runs with nothing set.
use ipnet::IpNet;
use std::net::IpAddr;
use std::time::Duration;
use url::Url;

/// How the writer queues and batches.
#[derive(Debug, Clone, Copy)]
pub struct WriterOptions {
    /// Hits that may wait for the writer; more are refused with 503.
    pub queue: usize,
    /// At most this many hits per transaction (at most `services::hits::MAX_BATCH`).
    pub batch: usize,
    /// A batch not committed within this time is answered 503.
    pub commit_timeout: Duration,
    /// How long the writer may wait for the visitors its last commit answered to come back
    /// before committing fewer hits than that commit held (zero: never wait).
    pub linger: Duration,
    /// A connection of the writer's own that has stored nothing for this long goes back to
    /// its pool, which tests it, before the next batch (see `crate::writer::OwnConnection`).
    pub idle: Duration,
}

impl Default for WriterOptions {
    fn default() -> Self {
        Self {
            queue: 4096,
            batch: 512,
            commit_timeout: Duration::from_secs(2),
            linger: Duration::from_millis(1),
            idle: Duration::from_secs(30),
        }
    }
}

/// Visits per second allowed from one address, with bursts up to `burst`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: f64,
}

impl std::str::FromStr for RateLimit {
    type Err = String;

    /// `"20"` (burst = rate) or `"20/100"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let message = || format!("{s:?}: visits per second, optionally /burst, as in 20 or 20/100");
        let (rate, burst) = match s.split_once('/') {
            Some((rate, burst)) => (rate.trim(), Some(burst.trim())),
            None => (s.trim(), None),
        };
        let per_second: f64 = rate.parse().map_err(|_| message())?;
        let burst: f64 = match burst {
            Some(b) => b.parse().map_err(|_| message())?,
            None => per_second,
        };
        if !(per_second.is_finite() && per_second > 0.0 && burst.is_finite() && burst >= 1.0) {
            return Err(message());
        }
        Ok(Self { per_second, burst })
    }
}

/// At most `count` events per `period` for one key (an account, an address): the log-in and
/// sign-up throttles. `None` where a setting is `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    pub count: u32,
    pub period: Duration,
}

impl std::str::FromStr for Allowance {
    type Err = String;

    /// `"10/15m"`: a count, a slash, and a period in seconds (`s`), minutes (`m`), hours (`h`)
    /// or days (`d`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let message = || format!("{s:?}: a count per period, as in 10/15m, 50/1h or 5/30s");
        let (count, period) = s.trim().split_once('/').ok_or_else(message)?;
        let count: u32 = count.trim().parse().map_err(|_| message())?;
        let period = period.trim();
        let split = period
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(message)?;
        let (amount, unit) = period.split_at(split);
        let amount: u64 = if amount.is_empty() {
            1
        } else {
            amount.parse().map_err(|_| message())?
        };
        let unit = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(message()),
        };
        let seconds = amount.checked_mul(unit).ok_or_else(message)?;
        if count == 0 || seconds == 0 || seconds > 30 * 86_400 {
            return Err(message());
        }
        Ok(Self {
            count,
            period: Duration::from_secs(seconds),
        })
    }
}

/// A host of the product that `/ref` may redirect to: `shop.example.com` (https only, the
/// default port), `https://shop.example.com:8443`, or `http://localhost:8080` (http allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectHost {
    pub host: String,
    pub port: Option<u16>,
    /// The entry said `http://`: plain http is allowed too.
    pub http: bool,
}

impl RedirectHost {
    /// The entry as an operator would write it: `https://host`, `http://host:port`.
    pub fn origin(&self) -> String {
        let scheme = if self.http { "http" } else { "https" };
        match self.port {
            Some(port) => format!("{scheme}://{}:{port}", self.host),
            None => format!("{scheme}://{}", self.host),
        }
    }

    /// Whether `url` is on this host, by a scheme the entry allows. No user or password.
    pub fn allows(&self, url: &Url) -> bool {
        let scheme_ok = match url.scheme() {
            "https" => true,
            "http" => self.http,
            _ => false,
        };
        scheme_ok
            && url.username().is_empty()
            && url.password().is_none()
            && url.host_str() == Some(self.host.as_str())
            && url.port() == self.port
    }
}

impl std::str::FromStr for RedirectHost {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let entry = s.trim();
        let message = || {
            format!(
                "{entry:?}: a host name such as shop.example.com, or http://host:port to allow \
                 plain http"
            )
        };
        let (http, rest) = if let Some(rest) = entry.strip_prefix("http://") {
            (true, rest)
        } else {
            (false, entry.strip_prefix("https://").unwrap_or(entry))
        };
        if rest.is_empty() || rest.contains(['/', '?', '#', '@', '*']) {
            return Err(message());
        }
        let url = Url::parse(&format!("https://{rest}/")).map_err(|_| message())?;
        let host = url.host_str().ok_or_else(message)?.to_owned();
        Ok(Self {
            host,
            port: url.port(),
            http,
        })
    }
}

/// Limits on log-ins and sign-ups (see `web::login_guard`).
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    /// Password hashes (sign-up, log-in, password change) running at once; more wait briefly,
    /// then get 503.
    pub concurrent_hashes: usize,
    /// Failed log-ins per account.
    pub failures_per_account: Option<Allowance>,
    /// Failed log-ins per client address (IPv6 by its /64).
    pub failures_per_address: Option<Allowance>,
    /// Sign-ups per client address.
    pub signups_per_address: Option<Allowance>,
}

impl Default for LoginLimits {
    fn default() -> Self {
        let allowance = |count, minutes: u64| {
            Some(Allowance {
                count,
                period: Duration::from_secs(minutes * 60),
            })
        };
        Self {
            concurrent_hashes: default_hashes(),
            failures_per_account: allowance(10, 15),
            failures_per_address: allowance(50, 15),
            signups_per_address: allowance(20, 60),
        }
    }
}

/// What a conversion reported through the API does to the referee's referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AutoConfirm {
    /// It is recorded only; an admin decides.
    #[default]
    Off,
    /// The first conversion confirms a pending, unflagged referral.
    Conversion,
}

impl std::str::FromStr for AutoConfirm {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "off" => Ok(Self::Off),
            "conversion" => Ok(Self::Conversion),
            other => Err(format!("{other:?}: use off or conversion")),
        }
    }
}

/// Half the cores, at least one: the other half keeps serving `/ref` during a log-in flood.
pub fn default_hashes() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get() / 2)
        .unwrap_or(1)
        .max(1)
}

/// Which of a user's claimed hits wins the attribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AttributionModel {
    /// The most recent hit (django-hype's implicit behaviour).
    #[default]
    LastClick,
    /// The earliest hit inside the window.
    FirstClick,
}

impl AttributionModel {
    /// As stored on a referral: `last_click` or `first_click`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LastClick => "last_click",
            Self::FirstClick => "first_click",
        }
    }
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
    /// Points credited to the referred user too when their referral is confirmed (0: none).
    pub referee_reward_points: i64,
    /// How long `/ref` trusts its in-memory copy of a link (0 = always ask the database).
    pub link_cache_ttl: Duration,
    /// Per-IP limit on `/ref`; `None` (the default) is no limit.
    pub ref_rate_limit: Option<RateLimit>,
    /// Queueing and batching of hit writes.
    pub writer: WriterOptions,
    /// Let webhooks go to loopback, private and link-local addresses (off: refused).
    pub webhook_allow_private: bool,
    pub login: LoginLimits,
    /// Whether a conversion confirms the referral (`HYPE_AUTO_CONFIRM`).
    pub auto_confirm: AutoConfirm,
    /// Hosts of the product that `/ref` may send visitors to (`HYPE_ALLOWED_REDIRECT_HOSTS`);
    /// empty: same-site paths only.
    pub allowed_redirect_hosts: Vec<RedirectHost>,
    /// Requests each API key may make (`HYPE_API_REQUESTS_PER_KEY`); `None`: no limit.
    pub api_requests_per_key: Option<Allowance>,
    /// Origins whose pages may call `/api/v1` from a browser (`HYPE_API_CORS_ORIGINS`);
    /// empty: no CORS headers at all.
    pub api_cors_origins: Vec<String>,
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
            referee_reward_points: 0,
            link_cache_ttl: Duration::from_secs(2),
            ref_rate_limit: None,
            writer: WriterOptions::default(),
            webhook_allow_private: false,
            login: LoginLimits::default(),
            auto_confirm: AutoConfirm::Off,
            allowed_redirect_hosts: Vec::new(),
            api_requests_per_key: Some(Allowance {
                count: 6000,
                period: Duration::from_secs(60),
            }),
            api_cors_origins: Vec::new(),
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

    /// The allowed redirect hosts as an operator wrote them (`https://shop.example.com`).
    pub fn redirect_origins(&self) -> Vec<String> {
        self.allowed_redirect_hosts
            .iter()
            .map(RedirectHost::origin)
            .collect()
    }

    /// `raw` as a URL `/ref` may send visitors to: absolute, on an allowed host.
    pub fn allowed_external(&self, raw: &str) -> Option<Url> {
        if self.allowed_redirect_hosts.is_empty() {
            return None;
        }
        let url = Url::parse(raw.trim()).ok()?;
        self.allowed_redirect_hosts
            .iter()
            .any(|host| host.allows(&url))
            .then_some(url)
    }

    /// The full shareable URL of a link.
    pub fn link_url(&self, identifier: &str) -> String {
        format!(
            "{}/ref/{identifier}",
            self.public_url.as_str().trim_end_matches('/')
        )
    }
}
