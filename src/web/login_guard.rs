//! Throttles on log-ins and sign-ups: failed log-ins per account and per client address, and
//! sign-ups per address. Each is a fixed window per key: after `count` events within `period`
//! of the window's first, the key is refused until the window ends, and the caller is told
//! when that is (`Retry-After`). Counts live in this process: behind a load balancer each
//! instance keeps its own, so a client spread over `n` instances gets at most `n` times the
//! allowance.
use crate::config::{Allowance, LoginLimits};
use crate::error::Error;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Above this many keys, windows that have ended are dropped before a new key is added.
const MAX_KEYS: usize = 100_000;

#[derive(Debug)]
pub struct Throttle {
    allowance: Allowance,
    windows: Mutex<HashMap<String, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    count: u32,
    ends: Instant,
}

impl Throttle {
    pub fn new(allowance: Allowance) -> Self {
        Self {
            allowance,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// How long `key` must wait, when it has used up its allowance.
    pub fn wait(&self, key: &str, now: Instant) -> Option<Duration> {
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let window = windows.get(key)?;
        (window.ends > now && window.count >= self.allowance.count).then(|| window.ends - now)
    }

    /// Counts one event for `key`.
    pub fn record(&self, key: &str, now: Instant) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= MAX_KEYS && !windows.contains_key(key) {
            windows.retain(|_, w| w.ends > now);
        }
        let window = windows.entry(key.to_owned()).or_insert(Window {
            count: 0,
            ends: now + self.allowance.period,
        });
        if window.ends <= now {
            *window = Window {
                count: 0,
                ends: now + self.allowance.period,
            };
        }
        window.count = window.count.saturating_add(1);
    }

    /// Forgets `key` (an account that logged in successfully starts afresh).
    pub fn clear(&self, key: &str) {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

/// The three throttles, each `None` when its setting is `off`.
#[derive(Debug, Default)]
pub struct LoginGuard {
    accounts: Option<Throttle>,
    addresses: Option<Throttle>,
    signups: Option<Throttle>,
}

impl LoginGuard {
    pub fn new(limits: &LoginLimits) -> Self {
        Self {
            accounts: limits.failures_per_account.map(Throttle::new),
            addresses: limits.failures_per_address.map(Throttle::new),
            signups: limits.signups_per_address.map(Throttle::new),
        }
    }

    /// Before a log-in's password check: `Throttled` when the account or the address has
    /// failed too often lately.
    pub fn check_login(&self, username: &str, ip: Option<IpAddr>) -> Result<(), Error> {
        let now = Instant::now();
        let account = self
            .accounts
            .as_ref()
            .and_then(|t| t.wait(&account_key(username), now));
        let address = self
            .addresses
            .as_ref()
            .zip(ip)
            .and_then(|(t, ip)| t.wait(&address_key(ip), now));
        match account.max(address) {
            Some(wait) => Err(Error::Throttled {
                message: "Too many failed log-ins. Please wait a while and try again.".into(),
                retry_after: seconds(wait),
            }),
            None => Ok(()),
        }
    }

    /// After a failed log-in.
    pub fn login_failed(&self, username: &str, ip: Option<IpAddr>) {
        let now = Instant::now();
        if let Some(t) = &self.accounts {
            t.record(&account_key(username), now);
        }
        if let (Some(t), Some(ip)) = (&self.addresses, ip) {
            t.record(&address_key(ip), now);
        }
    }

    /// After a successful log-in: the account's failures are forgotten (the address's are not:
    /// one good password must not reopen a guessing run over other accounts).
    pub fn login_succeeded(&self, username: &str) {
        if let Some(t) = &self.accounts {
            t.clear(&account_key(username));
        }
    }

    /// Before a sign-up's password hash: `Throttled` when the address has signed up too often
    /// lately; otherwise the attempt is counted.
    pub fn check_signup(&self, ip: Option<IpAddr>) -> Result<(), Error> {
        let (Some(t), Some(ip)) = (&self.signups, ip) else {
            return Ok(());
        };
        let now = Instant::now();
        let key = address_key(ip);
        if let Some(wait) = t.wait(&key, now) {
            return Err(Error::Throttled {
                message: "Too many sign-ups from your network. Please try again later.".into(),
                retry_after: seconds(wait),
            });
        }
        t.record(&key, now);
        Ok(())
    }
}

fn account_key(username: &str) -> String {
    username.trim().to_lowercase()
}

fn address_key(ip: IpAddr) -> String {
    super::rate_limit::key(ip).to_string()
}

/// Whole seconds, rounded up, at least one.
fn seconds(wait: Duration) -> u32 {
    u32::try_from(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
        .unwrap_or(u32::MAX)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowance(s: &str) -> Allowance {
        s.parse().unwrap()
    }

    #[test]
    fn allowances_read_a_count_per_period() {
        assert_eq!(
            allowance("10/15m"),
            Allowance {
                count: 10,
                period: Duration::from_secs(900)
            }
        );
        assert_eq!(allowance("5/h").period, Duration::from_secs(3600));
        assert_eq!(allowance(" 3 / 30s ").count, 3);
        for bad in [
            "", "10", "0/1m", "10/0m", "10/15", "10/15w", "x/1m", "5/40d",
        ] {
            assert!(bad.parse::<Allowance>().is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn a_key_is_refused_after_its_allowance_until_the_window_ends() {
        let throttle = Throttle::new(allowance("3/60s"));
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(throttle.wait("bob", start), None);
            throttle.record("bob", start);
        }
        let wait = throttle
            .wait("bob", start + Duration::from_secs(20))
            .unwrap();
        assert_eq!(wait, Duration::from_secs(40));
        assert_eq!(throttle.wait("alice", start), None, "other keys are free");
        let later = start + Duration::from_secs(60);
        assert_eq!(throttle.wait("bob", later), None, "the window ended");
        throttle.record("bob", later);
        assert_eq!(throttle.wait("bob", later), None, "a fresh window");
    }

    #[test]
    fn failed_log_ins_throttle_the_account_and_the_network() {
        let guard = LoginGuard::new(&LoginLimits {
            failures_per_account: Some(allowance("2/1m")),
            failures_per_address: Some(allowance("3/1m")),
            ..LoginLimits::default()
        });
        let home: IpAddr = "2001:db8:1:2::10".parse().unwrap();
        let same_net: IpAddr = "2001:db8:1:2::99".parse().unwrap();
        guard.login_failed("Bob", Some(home));
        guard.login_failed("bob", Some(home));
        let Err(Error::Throttled { retry_after, .. }) = guard.check_login("BOB", None) else {
            panic!("the account was not throttled");
        };
        assert!((59..=60).contains(&retry_after), "{retry_after}");
        assert!(guard.check_login("carol", Some(home)).is_ok());
        guard.login_failed("carol", Some(same_net));
        assert!(
            guard.check_login("dave", Some(home)).is_err(),
            "three failures from one /64 throttle the network"
        );
        guard.login_succeeded("carol");
        assert!(guard.check_login("carol", None).is_ok());
    }

    #[test]
    fn sign_ups_are_counted_per_address() {
        let guard = LoginGuard::new(&LoginLimits {
            signups_per_address: Some(allowance("2/1h")),
            ..LoginLimits::default()
        });
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        assert!(guard.check_signup(Some(ip)).is_ok());
        assert!(guard.check_signup(Some(ip)).is_ok());
        assert!(matches!(
            guard.check_signup(Some(ip)),
            Err(Error::Throttled { .. })
        ));
        assert!(guard
            .check_signup(Some("192.0.2.8".parse().unwrap()))
            .is_ok());
        assert!(guard.check_signup(None).is_ok(), "no address, no count");
    }
}
