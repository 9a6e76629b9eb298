//! Jittered exponential backoff, bounded in attempts and in total time.

use std::time::Duration;

use rand::Rng;

/// A retry schedule.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    /// Delay before the first retry.
    pub base: Duration,
    /// Longest single delay.
    pub max_delay: Duration,
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Give up rather than wait past this much time in all.
    pub max_total: Duration,
}

impl Backoff {
    /// The full-jitter delay before retry number `retry` (1 for the first
    /// retry): a random point in `[d/2, d]` where `d = base · 2^(retry-1)`,
    /// capped at `max_delay`, so replicas that fail together do not retry
    /// together.
    pub fn delay(&self, retry: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)));
        let capped = exp.min(self.max_delay);
        let half = capped / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(rand::thread_rng().gen_range(0..=jitter_ms))
    }

    /// Whether another attempt fits: `attempts_made` so far, `waited` so
    /// far, and `next_wait` before the next one.
    pub fn allows(&self, attempts_made: u32, waited: Duration, next_wait: Duration) -> bool {
        attempts_made < self.max_attempts && waited + next_wait <= self.max_total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEDULE: Backoff = Backoff {
        base: Duration::from_millis(100),
        max_delay: Duration::from_secs(1),
        max_attempts: 4,
        max_total: Duration::from_secs(3),
    };

    #[test]
    fn delays_grow_with_jitter_and_stay_capped() {
        for _ in 0..100 {
            let first = SCHEDULE.delay(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = SCHEDULE.delay(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            let late = SCHEDULE.delay(30);
            assert!(late >= Duration::from_millis(500) && late <= Duration::from_secs(1));
        }
    }

    #[test]
    fn attempts_and_total_time_are_bounded() {
        assert!(SCHEDULE.allows(1, Duration::ZERO, Duration::from_millis(100)));
        assert!(!SCHEDULE.allows(4, Duration::ZERO, Duration::ZERO));
        assert!(!SCHEDULE.allows(2, Duration::from_millis(2900), Duration::from_millis(200)));
    }
}
