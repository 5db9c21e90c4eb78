//! The binary's configuration, read once from the environment (and an optional `.env`).
//! Every value has a default; tests build a `Config` by hand.
use anyhow::{bail, Context};
use hype::{AttributionModel, HypeConfig};
use std::net::SocketAddr;

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub addr: SocketAddr,
    /// Signs the visitor cookie; generated and stored in the database when unset.
    pub secret_key: Option<String>,
    /// Log every SQL statement (noisy; off by default).
    pub log_sql: bool,
    /// Where cargo-leptos put the built site (`target/site`).
    pub site_root: String,
    pub hype: HypeConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://hype.db?mode=rwc".into(),
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            secret_key: None,
            log_sql: false,
            site_root: "target/site".into(),
            hype: HypeConfig::default(),
        }
    }
}

impl Config {
    /// Reads the environment. Errors name the variable and what it expects.
    pub fn from_env() -> anyhow::Result<Self> {
        let _ = dotenv_file();
        let mut config = Self::default();
        if let Some(v) = var("DATABASE_URL") {
            config.database_url = v;
        }
        if let Some(v) = var("HYPE_ADDR") {
            config.addr = v.parse().with_context(|| {
                format!("HYPE_ADDR={v:?} is not an address like 127.0.0.1:3000")
            })?;
        }
        config.secret_key = var("HYPE_SECRET_KEY");
        if let Some(v) = var("HYPE_LOG_SQL") {
            config.log_sql = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = var("LEPTOS_SITE_ROOT") {
            config.site_root = v;
        }
        let hype = &mut config.hype;
        if let Some(v) = var("HYPE_PUBLIC_URL") {
            hype.public_url = url::Url::parse(&v).with_context(|| {
                format!("HYPE_PUBLIC_URL={v:?} is not a URL like https://example.com")
            })?;
            if !matches!(hype.public_url.scheme(), "http" | "https") {
                bail!("HYPE_PUBLIC_URL must be an http:// or https:// URL");
            }
        } else {
            hype.public_url = url::Url::parse(&format!("http://{}", config.addr))
                .context("HYPE_ADDR does not make a URL")?;
        }
        if let Some(v) = var("HYPE_COOKIE_NAME") {
            if !hype::web::visitor::valid_cookie_name(&v) {
                bail!("HYPE_COOKIE_NAME={v:?} is not a valid cookie name");
            }
            hype.cookie_name = v;
        }
        if let Some(v) = var("HYPE_ATTRIBUTION_WINDOW_DAYS") {
            hype.attribution_window_days = v
                .parse()
                .ok()
                .filter(|d| (1..=3650).contains(d))
                .with_context(|| {
                    format!("HYPE_ATTRIBUTION_WINDOW_DAYS={v:?}: a number of days from 1 to 3650")
                })?;
        }
        if let Some(v) = var("HYPE_ATTRIBUTION_MODEL") {
            hype.attribution_model = v
                .parse::<AttributionModel>()
                .map_err(anyhow::Error::msg)
                .context("HYPE_ATTRIBUTION_MODEL")?;
        }
        if let Some(v) = var("HYPE_TRUSTED_PROXIES") {
            hype.trusted_proxies = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<ipnet::IpNet>()
                        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                        .with_context(|| {
                            format!(
                                "HYPE_TRUSTED_PROXIES: {s:?} is not an IP address or CIDR range"
                            )
                        })
                })
                .collect::<anyhow::Result<_>>()?;
        }
        if let Some(v) = var("HYPE_DEFAULT_REDIRECT") {
            if hype::web::safe_redirect::safe_next(&v).as_deref() != Some(v.as_str()) {
                bail!("HYPE_DEFAULT_REDIRECT={v:?} must be a plain same-site path such as /");
            }
            hype.default_redirect = v;
        }
        if let Some(v) = var("HYPE_REWARD_POINTS") {
            hype.reward_points = v.parse().ok().filter(|p| *p >= 0).with_context(|| {
                format!("HYPE_REWARD_POINTS={v:?}: a whole number of points, 0 or more")
            })?;
        }
        if let Some(v) = var("HYPE_LINK_CACHE_SECONDS") {
            let seconds: u64 = v.parse().ok().filter(|s| *s <= 3600).with_context(|| {
                format!("HYPE_LINK_CACHE_SECONDS={v:?}: seconds from 0 (off) to 3600")
            })?;
            hype.link_cache_ttl = std::time::Duration::from_secs(seconds);
        }
        if let Some(v) = var("HYPE_REF_RATE_LIMIT") {
            if !matches!(v.as_str(), "off" | "0") {
                hype.ref_rate_limit = Some(
                    v.parse()
                        .map_err(anyhow::Error::msg)
                        .context("HYPE_REF_RATE_LIMIT")?,
                );
            }
        }
        if let Some(v) = var("HYPE_HIT_QUEUE") {
            hype.writer.queue = v
                .parse()
                .ok()
                .filter(|n| (1..=1_000_000).contains(n))
                .with_context(|| format!("HYPE_HIT_QUEUE={v:?}: from 1 to 1000000 hits"))?;
        }
        if let Some(v) = var("HYPE_HIT_BATCH") {
            hype.writer.batch = v
                .parse()
                .ok()
                .filter(|n| (1..=hype::services::hits::MAX_BATCH).contains(n))
                .with_context(|| {
                    format!(
                        "HYPE_HIT_BATCH={v:?}: from 1 to {} hits",
                        hype::services::hits::MAX_BATCH
                    )
                })?;
        }
        if let Some(v) = var("HYPE_HIT_LINGER_MS") {
            let ms: u64 = v
                .parse()
                .ok()
                .filter(|n| (0..=100).contains(n))
                .with_context(|| format!("HYPE_HIT_LINGER_MS={v:?}: from 0 to 100 milliseconds"))?;
            hype.writer.linger = std::time::Duration::from_millis(ms);
        }
        Ok(config)
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Loads `KEY=value` lines from `./.env` into the environment, without overriding what is set.
fn dotenv_file() -> std::io::Result<()> {
    let text = std::fs::read_to_string(".env")?;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            let key = key.trim();
            if std::env::var_os(key).is_none() {
                let value = value.trim().trim_matches('"');
                std::env::set_var(key, value);
            }
        }
    }
    Ok(())
}
