//! How every outbound client (Sentry, TapAuth, `response_url`) calls out:
//! one HTTP client shape (our User-Agent, connect and total timeouts) and
//! one retry policy, jittered exponential delays bounded in retries and in
//! total waiting time, whose schedule comes from `backon`.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// How long a connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// An HTTP client with our User-Agent whose requests give up after `timeout`.
pub(crate) fn http_client(timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(crate::USER_AGENT)
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(timeout)
}

/// How a client retries transient failures.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RetryPolicy {
    /// Nominal delay before the first retry.
    pub first_delay: Duration,
    /// Longest nominal single delay.
    pub max_delay: Duration,
    /// Retries after the first attempt.
    pub max_retries: usize,
    /// Give up rather than wait past this much time in all.
    pub max_total: Duration,
}

impl RetryPolicy {
    /// The delays before each retry, ending when a bound is reached. Each
    /// delay is a random point in `[d/2, d]` where `d` doubles from
    /// `first_delay` up to `max_delay`, so replicas that fail together do
    /// not retry together.
    pub(crate) fn schedule(&self) -> impl Iterator<Item = Duration> {
        // backon's jitter adds up to one delay on top, so start from half.
        ExponentialBuilder::default()
            .with_min_delay(self.first_delay / 2)
            .with_max_delay(self.max_delay / 2)
            .with_max_times(self.max_retries)
            .with_total_delay(Some(self.max_total))
            .with_jitter()
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        first_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(1),
        max_retries: 3,
        max_total: Duration::from_secs(3),
    };

    #[test]
    fn delays_grow_with_jitter_and_stay_capped() {
        let long = RetryPolicy {
            max_retries: 30,
            max_total: Duration::from_secs(3600),
            ..POLICY
        };
        for _ in 0..100 {
            let delays: Vec<Duration> = long.schedule().collect();
            let first = delays[0];
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = delays[2];
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            let late = delays[29];
            assert!(late >= Duration::from_millis(500) && late <= Duration::from_secs(1));
        }
    }

    #[test]
    fn attempts_and_total_time_are_bounded() {
        for _ in 0..100 {
            assert!(POLICY.schedule().count() <= 3);
        }
        let tight = RetryPolicy {
            max_retries: 100,
            max_total: Duration::from_millis(2900),
            ..POLICY
        };
        for _ in 0..100 {
            let total: Duration = tight.schedule().sum();
            assert!(total <= Duration::from_millis(2900));
        }
    }
}
