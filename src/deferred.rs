//! A bound on answers in progress: work acknowledged now and answered later
//! through `response_url`. Past the bound a request is told at once that the
//! bot is busy, instead of queueing behind a slow Sentry until its
//! `response_url` has expired and memory has grown without limit.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::throttle::Throttle;

/// What one answer waiting on Sentry costs in memory (its task, command,
/// form, tracing span and place in the org's queue), as measured by
/// `cargo bench --bench open_loop` and recorded in BENCHMARKS.md.
pub const BYTES_PER_WAITING_ANSWER: usize = 32 * 1024;
/// Memory all answers in progress may take together: an eighth of the
/// 256 MB Fly machine in `fly.toml`.
pub const MEMORY_BUDGET_BYTES: usize = 32 * 1024 * 1024;
/// Answers that may be in progress at once, per replica, unless
/// `MAX_ANSWERS_IN_PROGRESS` says otherwise.
pub const DEFAULT_LIMIT: usize = MEMORY_BUDGET_BYTES / BYTES_PER_WAITING_ANSWER;
/// At most one warning per this long while requests are turned away; the
/// `answers_shed_total` counter has the full count.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// Slots for answers in progress.
#[derive(Clone, Debug)]
pub struct DeferredWork {
    slots: Arc<Semaphore>,
    limit: usize,
    warnings: Arc<Throttle>,
}

impl Default for DeferredWork {
    fn default() -> Self {
        Self::new(DEFAULT_LIMIT)
    }
}

impl DeferredWork {
    /// Room for `limit` answers in progress.
    pub fn new(limit: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(limit)),
            limit,
            warnings: Arc::new(Throttle::new(WARN_EVERY)),
        }
    }

    /// A slot held until the answer is sent, or `None` when all are taken.
    pub fn admit(&self) -> Option<OwnedSemaphorePermit> {
        let slot = self.slots.clone().try_acquire_owned().ok();
        if slot.is_none() {
            metrics::counter!(crate::meters::ANSWERS_SHED).increment(1);
            if self.warnings.due() {
                tracing::warn!(
                    limit = self.limit,
                    "too many answers in progress; new requests are asked to retry (see answers_shed_total)"
                );
            }
        }
        slot
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
