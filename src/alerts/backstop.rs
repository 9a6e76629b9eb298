//! While an org's Sentry webhooks keep arriving, polling is only the
//! backstop for it: a group whose query webhooks can judge is polled every
//! [`BACKSTOP_FACTOR`] intervals instead of every interval. Groups whose
//! query webhooks leave to the poller (environment, release, free text, …)
//! keep the normal pace, and so does every group of an org whose webhooks
//! stopped for [`LIVE_FOR`].

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use crate::alerts::group::Group;
use crate::sentry::search::judgeable;

/// Webhooks count as live this long after the last one arrived.
pub(crate) const LIVE_FOR: Duration = Duration::from_secs(5 * 60);
/// A backstop poll comes every this many intervals.
pub(crate) const BACKSTOP_FACTOR: u32 = 10;

/// Orgs whose webhooks arrived within [`LIVE_FOR`] of `now_ms`. Pure.
pub(crate) fn live_orgs(arrivals: &HashMap<String, i64>, now_ms: i64) -> HashSet<String> {
    let live_ms = i64::try_from(LIVE_FOR.as_millis()).unwrap_or(i64::MAX);
    arrivals
        .iter()
        .filter(|(_, at)| now_ms - **at <= live_ms)
        .map(|(org, _)| org.clone())
        .collect()
}

/// When this replica last polled each group.
#[derive(Debug, Default)]
pub(crate) struct Backstop {
    polled: Mutex<HashMap<String, tokio::time::Instant>>,
}

impl Backstop {
    /// Whether `group` is due this tick, given the orgs with live webhooks.
    pub(crate) fn due(&self, group: &Group, live: &HashSet<String>, interval: Duration) -> bool {
        if !live.contains(&group.org) || !judgeable(&group.query) {
            return true;
        }
        let polled = self.polled.lock().unwrap_or_else(|e| e.into_inner());
        polled.get(&group.lease_key()).is_none_or(|at| {
            // A little early rather than a whole interval late.
            at.elapsed() + interval / 2 >= interval.saturating_mul(BACKSTOP_FACTOR)
        })
    }

    /// Records a completed poll of the group.
    pub(crate) fn polled(&self, group_key: String) {
        self.polled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(group_key, tokio::time::Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::schedule::tests::sub;

    fn group(org: &str, query: &str) -> Group {
        super::super::group::group(vec![sub("s", org, "api", query)]).remove(0)
    }

    #[test]
    fn orgs_are_live_for_five_minutes_after_a_webhook() {
        let arrivals = HashMap::from([("acme".to_string(), 1_000_000), ("old".to_string(), 0)]);
        let live = live_orgs(&arrivals, 1_000_000 + 60_000);
        assert!(live.contains("acme") && !live.contains("old"));
    }

    #[tokio::test(start_paused = true)]
    async fn live_orgs_are_polled_at_the_backstop_pace_unless_webhooks_cannot_judge_the_query() {
        let backstop = Backstop::default();
        let interval = Duration::from_secs(60);
        let live = HashSet::from(["acme".to_string()]);
        let pushed = group("acme", "is:unresolved level:error");
        assert!(backstop.due(&pushed, &live, interval), "never polled yet");
        backstop.polled(pushed.lease_key());
        assert!(!backstop.due(&pushed, &live, interval));
        let by_environment = group("acme", "is:unresolved environment:production");
        backstop.polled(by_environment.lease_key());
        assert!(
            backstop.due(&by_environment, &live, interval),
            "left to the poller"
        );
        assert!(
            backstop.due(&pushed, &HashSet::new(), interval),
            "webhooks stopped"
        );
        tokio::time::advance(interval * 10).await;
        assert!(backstop.due(&pushed, &live, interval), "the backstop poll");
    }
}
