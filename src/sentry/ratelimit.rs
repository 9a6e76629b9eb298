//! Sentry's `X-Sentry-Rate-Limit-*` headers, and when a 429 may be retried.
//! What they mean for the next call is [`budget`](crate::sentry::budget)'s job.
//! Self-hosted servers send no headers; then only the concurrency cap applies.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

/// Rate-limit headers of one response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RateLimitHeaders {
    /// Requests allowed per window.
    pub limit: Option<u64>,
    /// Requests left in the window.
    pub remaining: Option<u64>,
    /// When the window resets, Unix seconds.
    pub reset: Option<u64>,
    /// Concurrent requests allowed.
    pub concurrent_limit: Option<u64>,
    /// `Retry-After` seconds, rarely sent by Sentry.
    pub retry_after: Option<u64>,
}

impl RateLimitHeaders {
    /// Reads the headers Sentry sends.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite() && *v >= 0.0)
                .map(|v| v as u64)
        };
        Self {
            limit: number("x-sentry-rate-limit-limit"),
            remaining: number("x-sentry-rate-limit-remaining"),
            reset: number("x-sentry-rate-limit-reset"),
            concurrent_limit: number("x-sentry-rate-limit-concurrentlimit"),
            retry_after: number("retry-after"),
        }
    }

    /// When a 429 with these headers may be retried: `Retry-After`, else
    /// `Reset`, else `fallback` from now.
    pub(crate) fn retry_at(&self, now: SystemTime, fallback: Duration) -> SystemTime {
        if let Some(secs) = self.retry_after {
            return now + Duration::from_secs(secs);
        }
        match self.reset.map(unix_secs) {
            Some(reset) if reset > now => reset,
            _ => now + fallback,
        }
    }
}

fn unix_secs(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn reads_sentry_headers_and_ignores_garbage() {
        let h = RateLimitHeaders::from_headers(&headers(&[
            ("x-sentry-rate-limit-limit", "40"),
            ("x-sentry-rate-limit-remaining", "39"),
            ("x-sentry-rate-limit-reset", "1764374400"),
            ("x-sentry-rate-limit-concurrentlimit", "25"),
            ("x-sentry-rate-limit-concurrentremaining", "24"),
        ]));
        assert_eq!(h.limit, Some(40));
        assert_eq!(h.remaining, Some(39));
        assert_eq!(h.reset, Some(1_764_374_400));
        assert_eq!(h.concurrent_limit, Some(25));
        let h =
            RateLimitHeaders::from_headers(&headers(&[("x-sentry-rate-limit-remaining", "lots")]));
        assert_eq!(h, RateLimitHeaders::default());
    }

    #[test]
    fn retry_time_prefers_retry_after_then_reset_then_fallback() {
        let now = unix_secs(1000);
        let fallback = Duration::from_secs(5);
        let reset = RateLimitHeaders {
            reset: Some(1002),
            ..Default::default()
        };
        assert_eq!(reset.retry_at(now, fallback), unix_secs(1002));
        let both = RateLimitHeaders {
            retry_after: Some(7),
            ..reset
        };
        assert_eq!(both.retry_at(now, fallback), unix_secs(1007));
        let stale = RateLimitHeaders {
            reset: Some(900),
            ..Default::default()
        };
        assert_eq!(stale.retry_at(now, fallback), unix_secs(1005));
    }
}
