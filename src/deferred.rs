//! A bound on answers in progress: work acknowledged now and answered later
//! through `response_url`. Past the bound a request is told at once that the
//! bot is busy, instead of queueing behind a slow Sentry until its
//! `response_url` has expired and memory has grown without limit.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Answers that may be in progress at once, per replica.
pub const MAX_IN_PROGRESS: usize = 500;
/// At most one warning per this long while requests are turned away; the
/// `answers_shed_total` counter has the full count.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// Slots for answers in progress.
#[derive(Clone, Debug)]
pub struct DeferredWork {
    slots: Arc<Semaphore>,
    limit: usize,
    started: Instant,
    /// Milliseconds after `started` of the last warning, plus one (0: never).
    last_warning_ms: Arc<AtomicU64>,
}

impl Default for DeferredWork {
    fn default() -> Self {
        Self::new(MAX_IN_PROGRESS)
    }
}

impl DeferredWork {
    /// Room for `limit` answers in progress.
    pub fn new(limit: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(limit)),
            limit,
            started: Instant::now(),
            last_warning_ms: Arc::default(),
        }
    }

    /// A slot held until the answer is sent, or `None` when all are taken.
    pub fn admit(&self) -> Option<OwnedSemaphorePermit> {
        let slot = self.slots.clone().try_acquire_owned().ok();
        if slot.is_none() {
            metrics::counter!(crate::meters::ANSWERS_SHED).increment(1);
            self.warn_now_and_then();
        }
        slot
    }

    fn warn_now_and_then(&self) {
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX) + 1;
        let last = self.last_warning_ms.load(Ordering::Relaxed);
        let due = last == 0 || now.saturating_sub(last) >= WARN_EVERY.as_millis() as u64;
        if due
            && self
                .last_warning_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                limit = self.limit,
                "too many answers in progress; new requests are asked to retry (see answers_shed_total)"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_up_to_the_limit_and_again_once_a_slot_is_freed() {
        let work = DeferredWork::new(2);
        let first = work.admit();
        let second = work.admit();
        assert!(first.is_some() && second.is_some());
        assert!(work.admit().is_none());
        drop(first);
        assert!(work.admit().is_some());
    }
}
