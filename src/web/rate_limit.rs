//! A per-IP limit on `/ref`, off unless configured (`HYPE_REF_RATE_LIMIT=rate[/burst]`, visits
//! per second): `governor`'s keyed limiter (GCRA, one cell per key in a concurrent map). An
//! IPv6 client is keyed by its /64, the block a single subscriber usually holds, so a client
//! cannot escape the limit by rotating through its own addresses.
use crate::config::RateLimit;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::Quota;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Above this many remembered addresses, the ones whose cells have fully refilled are dropped.
const MAX_KEYS: usize = 100_000;
/// How often (in visits) the number of remembered addresses is looked at: counting them takes
/// every shard's lock, too much to do on each visit.
const PRUNE_EVERY: u32 = 1024;

type Keyed<C> = governor::RateLimiter<
    IpAddr,
    DefaultKeyedStateStore<IpAddr>,
    C,
    NoOpMiddleware<<C as Clock>::Instant>,
>;

#[derive(Debug, Clone)]
pub struct RateLimiter<C: Clock = DefaultClock> {
    inner: Arc<Shared<C>>,
}

#[derive(Debug)]
struct Shared<C: Clock> {
    keyed: Keyed<C>,
    visits: AtomicU32,
    max_keys: usize,
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        Self::with_clock(limit, DefaultClock::default(), MAX_KEYS)
    }
}

impl<C: Clock> RateLimiter<C> {
    fn with_clock(limit: RateLimit, clock: C, max_keys: usize) -> Self {
        let keyed =
            governor::RateLimiter::new(quota(limit), DefaultKeyedStateStore::default(), clock);
        Self {
            inner: Arc::new(Shared {
                keyed,
                visits: AtomicU32::new(0),
                max_keys,
            }),
        }
    }

    /// Counts one visit from `ip`; false when its allowance is spent.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let shared = &*self.inner;
        if shared
            .visits
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(PRUNE_EVERY)
            && shared.keyed.len() > shared.max_keys
        {
            shared.keyed.retain_recent();
        }
        shared.keyed.check_key(&key(ip)).is_ok()
    }
}

/// One visit every `1 / per_second` seconds, with up to `burst` at once.
fn quota(limit: RateLimit) -> Quota {
    let period = Duration::from_secs_f64(1.0 / limit.per_second).max(Duration::from_nanos(1));
    // `RateLimit` guarantees a burst of at least one.
    let burst = NonZeroU32::new(limit.burst.floor().min(f64::from(u32::MAX)) as u32)
        .unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period)
        .unwrap_or_else(|| unreachable!("the period is at least a nanosecond"))
        .allow_burst(burst)
}

/// IPv4 addresses (including IPv4-mapped IPv6 ones) as they are; IPv6 ones by their /64.
pub(crate) fn key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !(u128::from(u64::MAX));
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    fn limiter(limit: &str) -> (RateLimiter<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        (
            RateLimiter::with_clock(limit.parse().unwrap(), clock.clone(), MAX_KEYS),
            clock,
        )
    }

    #[test]
    fn idle_addresses_are_forgotten_past_the_cap() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock("10/10".parse().unwrap(), clock.clone(), 100);
        let address = |n: u32| IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + n));
        for n in 0..PRUNE_EVERY {
            assert!(limiter.allow(address(n)));
        }
        assert_eq!(limiter.inner.keyed.len(), PRUNE_EVERY as usize);
        // Once their allowance has refilled, the next check drops them.
        clock.advance(Duration::from_secs(2));
        assert!(limiter.allow(address(0)));
        assert!(
            limiter.inner.keyed.len() <= 1,
            "{} remembered",
            limiter.inner.keyed.len()
        );
    }

    #[test]
    fn one_address_is_limited_and_others_are_not() {
        let (limiter, clock) = limiter("2/3");
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let allowed = (0..10).filter(|_| limiter.allow(a)).count();
        assert_eq!(allowed, 3, "the burst, then nothing");
        assert!(limiter.allow(b), "another address has its own allowance");
        // Half a second gives back one visit at 2 per second.
        clock.advance(Duration::from_millis(500));
        assert!(limiter.allow(a));
        assert!(!limiter.allow(a));
    }

    #[test]
    fn an_ipv6_client_is_limited_by_its_64_block() {
        let (limiter, _clock) = limiter("1/2");
        let first: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same_block: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let next_block: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(limiter.allow(first));
        assert!(limiter.allow(same_block));
        assert!(
            !limiter.allow(first),
            "a third address of the same /64 finds the allowance spent"
        );
        assert!(limiter.allow(next_block), "the next /64 is someone else");
    }

    #[test]
    fn an_ipv4_mapped_address_is_the_ipv4_client() {
        let (limiter, _clock) = limiter("1/1");
        assert!(limiter.allow("192.0.2.7".parse().unwrap()));
        assert!(!limiter.allow("::ffff:192.0.2.7".parse().unwrap()));
    }

    #[test]
    fn limits_parse_or_say_what_they_expect() {
        assert_eq!(
            "20/100".parse::<RateLimit>().unwrap(),
            RateLimit {
                per_second: 20.0,
                burst: 100.0
            }
        );
        assert_eq!("5".parse::<RateLimit>().unwrap().burst, 5.0);
        for bad in ["", "0", "-1", "x", "5/0", "5/y"] {
            assert!(bad
                .parse::<RateLimit>()
                .unwrap_err()
                .contains("visits per second"));
        }
    }
}
