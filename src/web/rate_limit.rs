//! A per-IP limit on `/ref`: a token bucket per client address, off unless configured
//! (`HYPE_REF_RATE_LIMIT=rate[/burst]`, visits per second). Buckets live in 64 shards, each
//! behind its own short lock, so visitors from different addresses rarely wait on each other.
use crate::config::RateLimit;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

const SHARDS: usize = 64;
/// A shard holding more addresses than this drops the full (idle) buckets.
const MAX_PER_SHARD: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

#[derive(Debug, Clone)]
pub struct RateLimiter {
    limit: RateLimit,
    hasher: std::collections::hash_map::RandomState,
    shards: Arc<Vec<Mutex<HashMap<IpAddr, Bucket>>>>,
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            hasher: Default::default(),
            shards: Arc::new((0..SHARDS).map(|_| Mutex::default()).collect()),
        }
    }

    /// Takes one visit from `ip`'s bucket; false when it is empty.
    pub fn allow(&self, ip: IpAddr) -> bool {
        self.allow_at(ip, Instant::now())
    }

    fn allow_at(&self, ip: IpAddr, now: Instant) -> bool {
        let shard = &self.shards[(self.hasher.hash_one(ip) as usize) % SHARDS];
        let Ok(mut buckets) = shard.lock() else {
            return true;
        };
        if buckets.len() >= MAX_PER_SHARD && !buckets.contains_key(&ip) {
            let limit = self.limit;
            buckets.retain(|_, b| refill(b, limit, now) < limit.burst);
        }
        let limit = self.limit;
        let bucket = buckets.entry(ip).or_insert(Bucket {
            tokens: limit.burst,
            updated: now,
        });
        bucket.tokens = refill(bucket, limit, now);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

fn refill(bucket: &Bucket, limit: RateLimit, now: Instant) -> f64 {
    let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
    (bucket.tokens + elapsed * limit.per_second).min(limit.burst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn one_address_is_limited_and_others_are_not() {
        let limiter = RateLimiter::new("2/3".parse().unwrap());
        let start = Instant::now();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let allowed = (0..10).filter(|_| limiter.allow_at(a, start)).count();
        assert_eq!(allowed, 3, "the burst, then nothing");
        assert!(
            limiter.allow_at(b, start),
            "another address has its own bucket"
        );
        // Half a second refills one visit at 2 per second.
        assert!(limiter.allow_at(a, start + Duration::from_millis(500)));
        assert!(!limiter.allow_at(a, start + Duration::from_millis(500)));
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
