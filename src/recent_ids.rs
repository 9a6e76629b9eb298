//! Ids seen recently, so an event Slack delivers again (it retries when an
//! ack is slow or lost) is acted on once per replica.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Slack retries an event three times within about an hour of the first try.
const REMEMBER_FOR: Duration = Duration::from_secs(3600);
/// Bounds memory when events arrive faster than they are forgotten.
const MAX_REMEMBERED: usize = 50_000;

/// A bounded, time-limited set of ids.
#[derive(Debug, Default)]
pub struct RecentIds {
    seen: Mutex<Remembered>,
}

#[derive(Debug, Default)]
struct Remembered {
    ids: HashSet<String>,
    order: VecDeque<(Instant, String)>,
}

impl RecentIds {
    /// True the first time `id` is offered within the window.
    pub fn first_time(&self, id: &str) -> bool {
        self.first_time_at(id, Instant::now())
    }

    fn first_time_at(&self, id: &str, now: Instant) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        while let Some((at, _)) = seen.order.front() {
            let expired = now.saturating_duration_since(*at) >= REMEMBER_FOR;
            if !expired && seen.order.len() < MAX_REMEMBERED {
                break;
            }
            if let Some((_, old)) = seen.order.pop_front() {
                seen.ids.remove(&old);
            }
        }
        if !seen.ids.insert(id.to_string()) {
            return false;
        }
        seen.order.push_back((now, id.to_string()));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_counts_once_until_it_is_forgotten() {
        let recent = RecentIds::default();
        let start = Instant::now();
        assert!(recent.first_time_at("Ev1", start));
        assert!(!recent.first_time_at("Ev1", start + Duration::from_secs(60)));
        assert!(recent.first_time_at("Ev2", start + Duration::from_secs(60)));
        assert!(recent.first_time_at("Ev1", start + REMEMBER_FOR));
    }

    #[test]
    fn memory_stays_bounded() {
        let recent = RecentIds::default();
        let now = Instant::now();
        for i in 0..MAX_REMEMBERED + 10 {
            assert!(recent.first_time_at(&format!("Ev{i}"), now));
        }
        let seen = recent.seen.lock().unwrap();
        assert_eq!(seen.ids.len(), MAX_REMEMBERED);
        assert_eq!(seen.order.len(), MAX_REMEMBERED);
    }
}
