//! Per-IP rate limits on survey pages and posts: a token bucket per client address.
//!
//! Limits are generous (see `[server]` in the configuration) because mobile operators put many
//! phones behind one address; they are there to slow down someone walking through tokens, not
//! participants. The clock is passed in, so the bucket arithmetic is tested without waiting.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Above this many tracked addresses, buckets that have refilled are forgotten, so that a flood
/// of addresses cannot grow the map without bound.
const PRUNE_ABOVE: usize = 100_000;

/// Token buckets for one kind of request, keyed by client IP.
#[derive(Debug)]
pub struct Limiter {
    per_minute: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Limiter {
    /// A limiter allowing `per_minute` requests per address per minute, in bursts of as many.
    pub fn new(per_minute: u32) -> Limiter {
        Limiter {
            per_minute: f64::from(per_minute.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `ip`'s bucket at `now`; `false` when the bucket is empty.
    pub fn allow(&self, ip: IpAddr, now: Instant) -> bool {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() > PRUNE_ABOVE {
            let full = self.per_minute;
            let rate = full / 60.0;
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate < full
            });
        }
        let bucket = buckets.entry(ip).or_insert(Bucket {
            tokens: self.per_minute,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_minute / 60.0).min(self.per_minute);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_bucket_empties_and_refills_per_address() {
        let limiter = Limiter::new(3);
        let start = Instant::now();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!((0..3).all(|_| limiter.allow(a, start)));
        assert!(!limiter.allow(a, start));
        assert!(
            limiter.allow(b, start),
            "another address has its own bucket"
        );
        // Three per minute: one token back after 20 seconds.
        assert!(limiter.allow(a, start + Duration::from_secs(20)));
        assert!(!limiter.allow(a, start + Duration::from_secs(21)));
    }
}
