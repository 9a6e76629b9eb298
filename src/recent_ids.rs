//! Ids seen recently, so an event Slack delivers again (it retries when an
//! ack is slow or lost) is acted on once per replica.

use std::time::Duration;

use moka::policy::EvictionPolicy;
use moka::sync::Cache;

/// Slack retries an event three times within about an hour of the first try.
const REMEMBER_FOR: Duration = Duration::from_secs(3600);
/// Bounds memory when events arrive faster than they are forgotten.
const MAX_REMEMBERED: u64 = 50_000;

/// A bounded, time-limited set of ids. Past its capacity the least recently
/// seen ids are forgotten first (LRU, not moka's default admission policy,
/// which may refuse to remember a new id at all).
#[derive(Clone, Debug)]
pub struct RecentIds {
    seen: Cache<String, ()>,
}

impl Default for RecentIds {
    fn default() -> Self {
        Self::new(REMEMBER_FOR, MAX_REMEMBERED)
    }
}

impl RecentIds {
    /// Remembers ids for `ttl`, at most `capacity` of them.
    pub fn new(ttl: Duration, capacity: u64) -> Self {
        Self {
            seen: Cache::builder()
                .time_to_live(ttl)
                .max_capacity(capacity)
                .eviction_policy(EvictionPolicy::lru())
                .build(),
        }
    }

    /// True the first time `id` is offered within the window; of two
    /// deliveries racing on one id, exactly one is first.
    pub fn first_time(&self, id: &str) -> bool {
        // `or_insert_with` coalesces racing calls on a missing key into one
        // evaluation, so exactly one of them sees a fresh entry;
        // `or_insert` makes no such promise.
        self.seen
            .entry(id.to_string())
            .or_insert_with(|| ())
            .is_fresh()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_counts_once_until_it_is_forgotten() {
        let recent = RecentIds::new(Duration::from_millis(200), 100);
        assert!(recent.first_time("Ev1"));
        assert!(!recent.first_time("Ev1"));
        assert!(recent.first_time("Ev2"));
        std::thread::sleep(Duration::from_millis(400));
        assert!(recent.first_time("Ev1"), "forgotten after the window");
    }

    #[test]
    fn memory_stays_bounded_and_the_newest_ids_are_kept() {
        let recent = RecentIds::new(REMEMBER_FOR, 100);
        for i in 0..1_000 {
            assert!(recent.first_time(&format!("Ev{i}")));
        }
        recent.seen.run_pending_tasks();
        assert!(
            recent.seen.entry_count() <= 100,
            "{}",
            recent.seen.entry_count()
        );
        assert!(!recent.first_time("Ev999"), "the newest is remembered");
    }

    #[test]
    fn racing_deliveries_of_one_id_act_once() {
        let recent = RecentIds::default();
        let firsts: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| recent.first_time("EvRace")))
                .collect();
            handles
                .into_iter()
                .map(|h| usize::from(h.join().unwrap_or(false)))
                .sum()
        });
        assert_eq!(firsts, 1);
    }
}
