//! Per-IP rate limits on survey pages and posts: a token bucket per client address.
//!
//! Limits are generous (see `[server]` in the configuration) because mobile operators put many
//! phones behind one address; they are there to slow down someone walking through tokens, not
//! participants. The clock is passed in, so the bucket arithmetic is tested without waiting.
//!
//! Whose bucket a request takes from is decided by [`client_ip`]: the connection's peer
//! address, unless that peer is one of the configured reverse proxies (`[server]
//! trusted_proxies`), in which case the client address the proxies recorded in
//! `X-Forwarded-For`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use ipnet::IpNet;

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

/// The address a request is counted against. `peer` is the connection's remote address;
/// `forwarded_for` the `X-Forwarded-For` values in the order received. The header is read only
/// when `peer` is a trusted proxy: then its entries are walked from the right (each proxy
/// appends the address it received the request from), past the trusted proxies, to the first
/// address that is not one; that is the client. An entry that is not an address stops the walk
/// at the proxy that wrote it, so a forged or garbled header never picks someone else's bucket.
pub fn client_ip<'h>(
    peer: Option<IpAddr>,
    forwarded_for: impl IntoIterator<Item = &'h str>,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let entries: Vec<&str> = forwarded_for
        .into_iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for entry in entries.iter().rev() {
        let Some(ip) = parse_forwarded(entry) else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    Some(client)
}

/// One `X-Forwarded-For` entry: `203.0.113.7`, `2001:db8::1`, or with a port
/// (`203.0.113.7:5123`, `[2001:db8::1]:5123`), as some proxies write them.
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse() {
        return Some(ip);
    }
    if let Ok(socket) = entry.parse::<std::net::SocketAddr>() {
        return Some(socket.ip());
    }
    entry
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|inner| inner.parse().ok())
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

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn the_forwarded_client_counts_only_behind_a_trusted_proxy() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        // No proxy configured: the header is anyone's to forge and is ignored.
        assert_eq!(
            client_ip(ip("203.0.113.9"), ["198.51.100.1"], &[]),
            ip("203.0.113.9")
        );
        // A peer that is not a trusted proxy: ignored too.
        assert_eq!(
            client_ip(ip("203.0.113.9"), ["198.51.100.1"], &trusted),
            ip("203.0.113.9")
        );
        // Behind the proxy: the address it recorded.
        assert_eq!(
            client_ip(ip("10.0.0.2"), ["198.51.100.1"], &trusted),
            ip("198.51.100.1")
        );
        // A client that sends its own header: the proxy appends the real address, which is
        // the rightmost untrusted one.
        assert_eq!(
            client_ip(ip("10.0.0.2"), ["1.1.1.1, 198.51.100.1"], &trusted),
            ip("198.51.100.1")
        );
        // Two proxies, in one header or two; IPv6 and ports as some proxies write them.
        assert_eq!(
            client_ip(ip("::1"), ["[2001:db8::7]:5123", "10.1.2.3"], &trusted),
            ip("2001:db8::7")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), ["198.51.100.1:443, 10.9.9.9"], &trusted),
            ip("198.51.100.1")
        );
        // Garbage stops at the proxy that wrote it; no header means the proxy itself.
        assert_eq!(
            client_ip(ip("10.0.0.2"), ["198.51.100.1, unknown"], &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), Vec::<&str>::new(), &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(client_ip(None, ["198.51.100.1"], &trusted), None);
    }
}
