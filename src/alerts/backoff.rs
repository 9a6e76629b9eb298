//! Orgs whose polls failed wait on their own schedule, longer after every
//! failure, so one broken org never slows the others.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Longest wait of a failing org.
const MAX_BACKOFF: Duration = Duration::from_secs(600);

/// Failing orgs, each waiting longer after every failure.
#[derive(Debug, Default)]
pub(crate) struct Backoffs {
    orgs: Mutex<HashMap<String, (u32, tokio::time::Instant)>>,
}

impl Backoffs {
    /// Whether `org` is still waiting after a failure.
    pub(crate) fn backing_off(&self, org: &str) -> bool {
        let orgs = self.orgs.lock().unwrap_or_else(|e| e.into_inner());
        orgs.get(org)
            .is_some_and(|(_, until)| *until > tokio::time::Instant::now())
    }

    /// Records a failure: the org waits `interval · 2^failures`, at most ten minutes.
    pub(crate) fn failed(&self, org: &str, interval: Duration) {
        let mut orgs = self.orgs.lock().unwrap_or_else(|e| e.into_inner());
        let failures = orgs.get(org).map_or(0, |(f, _)| *f) + 1;
        let wait = interval
            .saturating_mul(2u32.saturating_pow(failures.min(6)))
            .min(MAX_BACKOFF);
        orgs.insert(
            org.to_string(),
            (failures, tokio::time::Instant::now() + wait),
        );
    }

    /// Records a success: the org polls on the normal schedule again.
    pub(crate) fn succeeded(&self, org: &str) {
        self.orgs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(org);
    }
}
