//! The binary's configuration: one typed set of settings, each a flag and an environment
//! variable with its default and its allowed range (`hype-server serve --help` lists them).
//! `main` loads `.env` before anything runs; tests build a `Config` by hand.
use clap::builder::FalseyValueParser;
use hype::config::{Allowance, LoginLimits, RateLimit, WriterOptions};
use hype::{AttributionModel, HypeConfig};
use std::net::SocketAddr;
use std::time::Duration;

/// The least a `HYPE_SECRET_KEY` holds: an HMAC-SHA256 key shorter than its hash is weaker.
pub const MIN_SECRET_KEY_BYTES: usize = 32;

/// Every setting, as `clap` reads it from flags and the environment (flags win).
#[derive(clap::Args, Clone)]
#[command(next_help_heading = "Settings (flags or environment variables)")]
pub struct Settings {
    /// The database: sqlite://path?mode=rwc or postgres://user:pass@host/db.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = "sqlite://hype.db?mode=rwc",
        hide_env_values = true
    )]
    database_url: String,
    /// Address to listen on (0.0.0.0:3000 for all interfaces).
    #[arg(long = "addr", global = true, env = "HYPE_ADDR", default_value = "127.0.0.1:3000",
          value_parser = named("HYPE_ADDR", "an address like 127.0.0.1:3000", |s| s.parse::<SocketAddr>().ok()))]
    addr: SocketAddr,
    /// The site's public origin: full links are built from it, and https:// makes cookies
    /// Secure and sends HSTS [default: http:// + the listening address].
    #[arg(long, global = true, env = "HYPE_PUBLIC_URL", value_parser = public_url)]
    public_url: Option<url::Url>,
    /// Signs the visitor cookie; at least 32 bytes, the same on every instance [default:
    /// generated once and kept in the database].
    #[arg(long, global = true, env = "HYPE_SECRET_KEY", hide_env_values = true, value_parser = secret_key)]
    secret_key: Option<Secret>,
    /// The visitor cookie's name.
    #[arg(long, global = true, env = "HYPE_COOKIE_NAME", default_value = "hype_rk",
          value_parser = named("HYPE_COOKIE_NAME", "a valid cookie name", |s| {
              hype::web::visitor::valid_cookie_name(s).then(|| s.to_owned())
          }))]
    cookie_name: String,
    /// Hits older than this many days don't count (1 to 3650); also the visitor cookie's
    /// lifetime.
    #[arg(long, global = true, env = "HYPE_ATTRIBUTION_WINDOW_DAYS", default_value = "365",
          value_parser = in_range("HYPE_ATTRIBUTION_WINDOW_DAYS", 1, 3650, "days"))]
    attribution_window_days: u64,
    /// Which claimed hit wins: last-click or first-click.
    #[arg(long, global = true, env = "HYPE_ATTRIBUTION_MODEL", default_value = "last-click",
          value_parser = named("HYPE_ATTRIBUTION_MODEL", "last-click or first-click", |s| s.parse::<AttributionModel>().ok()))]
    attribution_model: AttributionModel,
    /// Comma-separated IPs or CIDR ranges whose X-Forwarded-For is believed (e.g. 10.0.0.0/8)
    /// [default: none].
    #[arg(long, global = true, env = "HYPE_TRUSTED_PROXIES", value_delimiter = ',',
          value_parser = named("HYPE_TRUSTED_PROXIES", "IP addresses or CIDR ranges, comma-separated", trusted_proxy))]
    trusted_proxies: Vec<ipnet::IpNet>,
    /// Where /ref sends visitors without a safe `next`: a plain same-site path.
    #[arg(long, global = true, env = "HYPE_DEFAULT_REDIRECT", default_value = "/",
          value_parser = named("HYPE_DEFAULT_REDIRECT", "a plain same-site path such as /", |s| {
              (hype::web::safe_redirect::safe_next(s).as_deref() == Some(s)).then(|| s.to_owned())
          }))]
    default_redirect: String,
    /// Points per confirmed referral (0 or more).
    #[arg(long, global = true, env = "HYPE_REWARD_POINTS", default_value = "100",
          value_parser = in_range("HYPE_REWARD_POINTS", 0, i64::MAX as u64, "points"))]
    reward_points: u64,
    /// Points for the referred user too when their referral is confirmed (0, the default: none).
    #[arg(long, global = true, env = "HYPE_REFEREE_REWARD_POINTS", default_value = "0",
          value_parser = in_range("HYPE_REFEREE_REWARD_POINTS", 0, i64::MAX as u64, "points"))]
    referee_reward_points: u64,
    /// How long /ref trusts its in-memory copy of a link, 0 (ask the database every time) to
    /// 3600 seconds.
    #[arg(long, global = true, env = "HYPE_LINK_CACHE_SECONDS", default_value = "2",
          value_parser = in_range("HYPE_LINK_CACHE_SECONDS", 0, 3600, "seconds"))]
    link_cache_seconds: u64,
    /// Per-IP limit on /ref: visits per second and an optional burst (`20` or `20/100`); over
    /// it answers 429. `off` or 0: no limit.
    #[arg(long, global = true, env = "HYPE_REF_RATE_LIMIT", default_value = "off", value_parser = rate_limit)]
    ref_rate_limit: RateLimitSetting,
    /// Visits that may wait for the hit writer (1 to 1000000); more are answered 503 at once.
    #[arg(long, global = true, env = "HYPE_HIT_QUEUE", default_value = "4096",
          value_parser = in_range("HYPE_HIT_QUEUE", 1, 1_000_000, "hits"))]
    hit_queue: u64,
    /// Most hits stored in one transaction (1 to 1000).
    #[arg(long, global = true, env = "HYPE_HIT_BATCH", default_value = "512",
          value_parser = in_range("HYPE_HIT_BATCH", 1, hype::services::hits::MAX_BATCH as u64, "hits"))]
    hit_batch: u64,
    /// How long the hit writer may wait for the visitors its last commit answered to come
    /// back, 0 (never) to 100 milliseconds.
    #[arg(long, global = true, env = "HYPE_HIT_LINGER_MS", default_value = "1",
          value_parser = in_range("HYPE_HIT_LINGER_MS", 0, 100, "milliseconds"))]
    hit_linger_ms: u64,
    /// Let webhooks go to loopback, private and link-local addresses (1, true, yes); by
    /// default such targets are refused, checked on the address resolved at send time.
    #[arg(long, global = true, env = "HYPE_WEBHOOK_ALLOW_PRIVATE", value_parser = FalseyValueParser::new())]
    webhook_allow_private: bool,
    /// Password hashes (sign-up, log-in, password change) run at once, 1 to 64; more wait up
    /// to 2 s, then get 503 with Retry-After. Each takes about 19 MiB and a core [default:
    /// half the cores, at least 1].
    #[arg(long, global = true, env = "HYPE_PASSWORD_HASHES",
          value_parser = in_range("HYPE_PASSWORD_HASHES", 1, 64, "hashes"))]
    password_hashes: Option<u64>,
    /// Failed log-ins allowed per account (`10/15m`: 10 per 15 minutes); more get 429.
    /// `off`: no limit.
    #[arg(long, global = true, env = "HYPE_LOGIN_FAILURES_PER_ACCOUNT", default_value = "10/15m",
          value_parser = allowance("HYPE_LOGIN_FAILURES_PER_ACCOUNT"))]
    login_failures_per_account: AllowanceSetting,
    /// Failed log-ins allowed per client address (IPv6 by its /64); more get 429. `off`: no
    /// limit.
    #[arg(long, global = true, env = "HYPE_LOGIN_FAILURES_PER_ADDRESS", default_value = "50/15m",
          value_parser = allowance("HYPE_LOGIN_FAILURES_PER_ADDRESS"))]
    login_failures_per_address: AllowanceSetting,
    /// Sign-ups allowed per client address; more get 429. `off`: no limit.
    #[arg(long, global = true, env = "HYPE_SIGNUPS_PER_ADDRESS", default_value = "20/1h",
          value_parser = allowance("HYPE_SIGNUPS_PER_ADDRESS"))]
    signups_per_address: AllowanceSetting,
    /// What a conversion reported through the API does: `off` (recorded; an admin decides) or
    /// `conversion` (the first confirms a pending, unflagged referral).
    #[arg(long, global = true, env = "HYPE_AUTO_CONFIRM", default_value = "off",
          value_parser = named("HYPE_AUTO_CONFIRM", "off or conversion", |s| s.parse::<hype::config::AutoConfirm>().ok()))]
    auto_confirm: hype::config::AutoConfirm,
    /// Hosts of the product that links may send visitors to, comma-separated exact names
    /// (https only; `http://host:port` allows plain http). `/ref` then adds `hype_click`.
    #[arg(long, global = true, env = "HYPE_ALLOWED_REDIRECT_HOSTS", value_delimiter = ',',
          value_parser = named("HYPE_ALLOWED_REDIRECT_HOSTS", "host names such as shop.example.com, comma-separated",
              |s| s.parse::<hype::config::RedirectHost>().ok()))]
    allowed_redirect_hosts: Vec<hype::config::RedirectHost>,
    /// Requests allowed per API key (`6000/1m`); more get 429 with Retry-After. `off`: no
    /// limit.
    #[arg(long, global = true, env = "HYPE_API_REQUESTS_PER_KEY", default_value = "6000/1m",
          value_parser = allowance("HYPE_API_REQUESTS_PER_KEY"))]
    api_requests_per_key: AllowanceSetting,
    /// Origins whose web pages may call /api/v1 (CORS), comma-separated, as in
    /// https://app.example.com [default: none, no CORS headers].
    #[arg(long, global = true, env = "HYPE_API_CORS_ORIGINS", value_delimiter = ',',
          value_parser = named("HYPE_API_CORS_ORIGINS", "origins such as https://app.example.com, comma-separated", cors_origin))]
    api_cors_origins: Vec<String>,
    /// The SMTP server mail goes through: smtp://host:port (plain), smtp://host?tls=required
    /// (STARTTLS), smtps://user:pass@host (TLS) [default: none; mails are logged, not sent].
    #[arg(long, global = true, env = "HYPE_SMTP_URL", hide_env_values = true, value_parser = smtp_url)]
    smtp_url: Option<Secret>,
    /// The sender of hype's mails, as in `hype <noreply@example.com>` [default: noreply at
    /// HYPE_PUBLIC_URL's host].
    #[arg(long, global = true, env = "HYPE_MAIL_FROM",
          value_parser = named("HYPE_MAIL_FROM", "an address such as hype <noreply@example.com>", |s| {
              s.parse::<lettre::message::Mailbox>().ok().map(|_| s.to_owned())
          }))]
    mail_from: Option<String>,
    /// Log every SQL statement (1, true, yes).
    #[arg(long, global = true, env = "HYPE_LOG_SQL", value_parser = FalseyValueParser::new())]
    log_sql: bool,
    /// Where the built site (CSS, JS, wasm) is served from.
    #[arg(
        long,
        global = true,
        env = "LEPTOS_SITE_ROOT",
        default_value = "target/site"
    )]
    site_root: String,
    /// The built site's file names (cargo-leptos sets it).
    #[arg(
        long,
        global = true,
        env = "LEPTOS_OUTPUT_NAME",
        default_value = "hype"
    )]
    output_name: String,
    /// The built site's folder under the site root.
    #[arg(
        long,
        global = true,
        env = "LEPTOS_SITE_PKG_DIR",
        default_value = "pkg"
    )]
    site_pkg_dir: String,
    /// `DEV` adds Leptos' live-reload script (cargo leptos watch); anything else is production.
    #[arg(long, global = true, env = "LEPTOS_ENV", default_value = "PROD")]
    leptos_env: String,
}

/// A secret value: shown as `***` by `Debug`, so it never reaches a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// A throttle's allowance, or none (`off`).
#[derive(Debug, Clone, Copy)]
struct AllowanceSetting(Option<Allowance>);

/// `HYPE_REF_RATE_LIMIT`: a limit, or none.
#[derive(Debug, Clone, Copy)]
struct RateLimitSetting(Option<RateLimit>);

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub addr: SocketAddr,
    /// Signs the visitor cookie; generated and stored in the database when unset.
    pub secret_key: Option<Secret>,
    /// Where mail goes (`None`: logged instead).
    pub smtp_url: Option<Secret>,
    /// The sender of hype's mails.
    pub mail_from: String,
    /// Log every SQL statement (noisy; off by default).
    pub log_sql: bool,
    /// Where cargo-leptos put the built site (`target/site`).
    pub site_root: String,
    /// The built site's file names (`hype.js`, `hype.wasm`, …) and their folder.
    pub output_name: String,
    pub site_pkg_dir: String,
    /// Leptos' development mode (live reload).
    pub leptos_dev: bool,
    pub hype: HypeConfig,
}

/// The password inside `database_url` and the secret key are left out.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &crate::redact(&self.database_url))
            .field("addr", &self.addr)
            .field("secret_key", &self.secret_key)
            .field(
                "smtp_url",
                &self
                    .smtp_url
                    .as_ref()
                    .map(|url| crate::redact(url.expose())),
            )
            .field("mail_from", &self.mail_from)
            .field("log_sql", &self.log_sql)
            .field("site_root", &self.site_root)
            .field("output_name", &self.output_name)
            .field("site_pkg_dir", &self.site_pkg_dir)
            .field("leptos_dev", &self.leptos_dev)
            .field("hype", &self.hype)
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://hype.db?mode=rwc".into(),
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            secret_key: None,
            smtp_url: None,
            mail_from: "hype <noreply@localhost>".into(),
            log_sql: false,
            site_root: "target/site".into(),
            output_name: "hype".into(),
            site_pkg_dir: "pkg".into(),
            leptos_dev: false,
            hype: HypeConfig::default(),
        }
    }
}

impl Config {
    /// The configuration the settings describe.
    pub fn from_settings(settings: Settings) -> anyhow::Result<Self> {
        let public_url = match settings.public_url {
            Some(url) => url,
            None => url::Url::parse(&format!("http://{}", settings.addr))
                .map_err(|e| anyhow::anyhow!("HYPE_ADDR does not make a URL: {e}"))?,
        };
        let mail_from = settings
            .mail_from
            .unwrap_or_else(|| default_sender(&public_url));
        Ok(Self {
            database_url: settings.database_url,
            addr: settings.addr,
            secret_key: settings.secret_key,
            smtp_url: settings.smtp_url,
            mail_from,
            log_sql: settings.log_sql,
            site_root: settings.site_root,
            output_name: settings.output_name,
            site_pkg_dir: settings.site_pkg_dir,
            leptos_dev: settings.leptos_env.eq_ignore_ascii_case("dev"),
            hype: HypeConfig {
                public_url,
                cookie_name: settings.cookie_name,
                attribution_window_days: u32::try_from(settings.attribution_window_days)?,
                attribution_model: settings.attribution_model,
                trusted_proxies: settings.trusted_proxies,
                default_redirect: settings.default_redirect,
                reward_points: i64::try_from(settings.reward_points)?,
                referee_reward_points: i64::try_from(settings.referee_reward_points)?,
                link_cache_ttl: Duration::from_secs(settings.link_cache_seconds),
                ref_rate_limit: settings.ref_rate_limit.0,
                writer: WriterOptions {
                    queue: usize::try_from(settings.hit_queue)?,
                    batch: usize::try_from(settings.hit_batch)?,
                    linger: Duration::from_millis(settings.hit_linger_ms),
                    ..WriterOptions::default()
                },
                webhook_allow_private: settings.webhook_allow_private,
                auto_confirm: settings.auto_confirm,
                allowed_redirect_hosts: settings.allowed_redirect_hosts,
                api_requests_per_key: settings.api_requests_per_key.0,
                api_cors_origins: settings.api_cors_origins,
                login: LoginLimits {
                    concurrent_hashes: match settings.password_hashes {
                        Some(n) => usize::try_from(n)?,
                        None => hype::config::default_hashes(),
                    },
                    failures_per_account: settings.login_failures_per_account.0,
                    failures_per_address: settings.login_failures_per_address.0,
                    signups_per_address: settings.signups_per_address.0,
                },
            },
        })
    }
}

/// A parser for a whole number from `low` to `high`, whose message names the variable.
fn in_range(
    name: &'static str,
    low: u64,
    high: u64,
    unit: &'static str,
) -> impl Fn(&str) -> Result<u64, String> + Clone + Send + Sync + 'static {
    move |s: &str| {
        s.trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (low..=high).contains(n))
            .ok_or_else(|| {
                if high == i64::MAX as u64 {
                    format!("{name}={s:?}: a whole number of {unit}, {low} or more")
                } else {
                    format!("{name}={s:?}: from {low} to {high} {unit}")
                }
            })
    }
}

/// A parser from `parse`, whose message names the variable and what it takes.
fn named<T: Clone + Send + Sync + 'static>(
    name: &'static str,
    expected: &'static str,
    parse: impl Fn(&str) -> Option<T> + Clone + Send + Sync + 'static,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static {
    move |s: &str| parse(s.trim()).ok_or_else(|| format!("{name}={s:?}: expected {expected}"))
}

fn public_url(s: &str) -> Result<url::Url, String> {
    url::Url::parse(s.trim())
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https"))
        .ok_or_else(|| format!("HYPE_PUBLIC_URL={s:?}: expected a URL like https://example.com"))
}

fn smtp_url(s: &str) -> Result<Secret, String> {
    match url::Url::parse(s.trim()) {
        Ok(url) if matches!(url.scheme(), "smtp" | "smtps") && url.host_str().is_some() => {
            Ok(Secret(s.trim().to_owned()))
        }
        _ => Err(format!(
            "HYPE_SMTP_URL={:?}: expected smtp://host:port, smtp://host?tls=required or \
             smtps://user:pass@host",
            crate::redact(s)
        )),
    }
}

/// `hype <noreply@host>` for a public URL whose host is a domain name, else at localhost.
fn default_sender(public_url: &url::Url) -> String {
    match public_url.host() {
        Some(url::Host::Domain(domain)) => format!("hype <noreply@{domain}>"),
        _ => "hype <noreply@localhost>".to_owned(),
    }
}

fn secret_key(s: &str) -> Result<Secret, String> {
    if s.len() < MIN_SECRET_KEY_BYTES {
        return Err(format!(
            "HYPE_SECRET_KEY has {} bytes: it needs at least {MIN_SECRET_KEY_BYTES} \
             (for example the output of `openssl rand -hex 32`)",
            s.len()
        ));
    }
    Ok(Secret(s.to_owned()))
}

/// An origin: a scheme, a host and a port, nothing else (`https://app.example.com`).
fn cors_origin(s: &str) -> Option<String> {
    let url = url::Url::parse(s.trim()).ok()?;
    let origin = url.origin().ascii_serialization();
    (matches!(url.scheme(), "http" | "https") && origin == s.trim().trim_end_matches('/'))
        .then_some(origin)
}

fn trusted_proxy(s: &str) -> Option<ipnet::IpNet> {
    s.parse::<ipnet::IpNet>()
        .ok()
        .or_else(|| s.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
}

fn allowance(
    name: &'static str,
) -> impl Fn(&str) -> Result<AllowanceSetting, String> + Clone + Send + Sync + 'static {
    move |s: &str| match s.trim() {
        "off" | "0" => Ok(AllowanceSetting(None)),
        other => other
            .parse::<Allowance>()
            .map(|a| AllowanceSetting(Some(a)))
            .map_err(|e| format!("{name}={s:?}: {e}")),
    }
}

fn rate_limit(s: &str) -> Result<RateLimitSetting, String> {
    match s.trim() {
        "off" | "0" | "" => Ok(RateLimitSetting(None)),
        other => other
            .parse::<RateLimit>()
            .map(|limit| RateLimitSetting(Some(limit)))
            .map_err(|e| format!("HYPE_REF_RATE_LIMIT={s:?}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Args {
        #[command(flatten)]
        settings: Settings,
    }

    fn parse(args: &[&str]) -> Result<Config, String> {
        let args = Args::try_parse_from(std::iter::once("hype-server").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        Config::from_settings(args.settings).map_err(|e| e.to_string())
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let config = parse(&[
            "--database-url",
            "postgres://hype:hunter2-password@db.internal/hype",
            "--secret-key",
            "a-very-long-secret-key-of-forty-bytes-xx",
            "--smtp-url",
            "smtps://mailer:smtp-hunter3@mail.internal",
        ])
        .unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2-password"), "{shown}");
        assert!(!shown.contains("a-very-long-secret"), "{shown}");
        assert!(!shown.contains("smtp-hunter3"), "{shown}");
        assert!(shown.contains("mail.internal"), "{shown}");
        assert!(shown.contains("db.internal"), "{shown}");
    }

    #[test]
    fn a_short_secret_key_is_refused_with_its_length() {
        let error = parse(&["--secret-key", "short"]).unwrap_err();
        assert!(error.contains("HYPE_SECRET_KEY has 5 bytes"), "{error}");
        assert!(error.contains("at least 32"), "{error}");
        assert!(parse(&["--secret-key", &"k".repeat(32)]).is_ok());
    }

    #[test]
    fn defaults_match_the_defaults_of_the_core() {
        let config = parse(&[]).unwrap();
        let core = HypeConfig::default();
        assert_eq!(config.hype.public_url, core.public_url);
        assert_eq!(config.hype.cookie_name, core.cookie_name);
        assert_eq!(
            config.hype.attribution_window_days,
            core.attribution_window_days
        );
        assert_eq!(config.hype.reward_points, core.reward_points);
        assert_eq!(
            config.hype.referee_reward_points,
            core.referee_reward_points
        );
        assert_eq!(config.hype.link_cache_ttl, core.link_cache_ttl);
        assert!(config.hype.ref_rate_limit.is_none());
        assert_eq!(config.hype.writer.queue, core.writer.queue);
        assert_eq!(config.hype.writer.batch, core.writer.batch);
        assert_eq!(config.hype.writer.linger, core.writer.linger);
        assert_eq!(config.database_url, Config::default().database_url);
        assert!(!config.log_sql && !config.leptos_dev);
        assert_eq!(
            config.hype.login.concurrent_hashes,
            core.login.concurrent_hashes
        );
        assert_eq!(
            config.hype.login.failures_per_account,
            core.login.failures_per_account
        );
        assert_eq!(
            config.hype.login.failures_per_address,
            core.login.failures_per_address
        );
        assert_eq!(
            config.hype.login.signups_per_address,
            core.login.signups_per_address
        );
    }

    #[test]
    fn mail_settings_are_checked_and_the_sender_follows_the_public_host() {
        let config = parse(&["--public-url=https://refer.example.com"]).unwrap();
        assert_eq!(config.mail_from, "hype <noreply@refer.example.com>");
        assert!(config.smtp_url.is_none());
        let error = parse(&["--smtp-url=mail.example.com:25"]).unwrap_err();
        assert!(error.contains("HYPE_SMTP_URL"), "{error}");
        let error = parse(&["--mail-from=nobody"]).unwrap_err();
        assert!(error.contains("HYPE_MAIL_FROM"), "{error}");
        assert_eq!(parse(&[]).unwrap().mail_from, "hype <noreply@localhost>");
    }

    #[test]
    fn throttles_take_a_count_per_period_or_off() {
        let config = parse(&[
            "--login-failures-per-account=off",
            "--signups-per-address=3/1d",
        ])
        .unwrap();
        assert!(config.hype.login.failures_per_account.is_none());
        assert_eq!(config.hype.login.signups_per_address.unwrap().count, 3);
        let error = parse(&["--login-failures-per-address=lots"]).unwrap_err();
        assert!(error.contains("HYPE_LOGIN_FAILURES_PER_ADDRESS"), "{error}");
        assert!(error.contains("10/15m"), "{error}");
    }

    #[test]
    fn every_setting_is_a_flag_too() {
        let config = parse(&[
            "--addr=0.0.0.0:8080",
            "--public-url=https://refer.example.com",
            "--trusted-proxies=10.0.0.0/8,192.0.2.1",
            "--attribution-model=first-click",
            "--ref-rate-limit=20/100",
            "--hit-batch=64",
            "--log-sql",
        ])
        .unwrap();
        assert_eq!(config.addr.port(), 8080);
        assert!(config.hype.secure_cookies());
        assert_eq!(config.hype.trusted_proxies.len(), 2);
        assert_eq!(config.hype.attribution_model, AttributionModel::FirstClick);
        assert!(config.hype.ref_rate_limit.is_some());
        assert_eq!(config.hype.writer.batch, 64);
        assert!(config.log_sql);
    }
}
