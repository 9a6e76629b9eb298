//! How long the command being answered may wait for a turn at Sentry.
//!
//! Calls to one org take turns (a few in flight at once). A person's
//! command that only reads carries a deadline for those waits: past it, the
//! call gives up with [`SentryError::TooSlow`](super::SentryError::TooSlow)
//! instead of waiting behind a backlog for minutes. A call already in flight
//! is never cut off, so no answer Sentry is about to give is thrown away.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;

tokio::task_local! {
    static BUDGET: Budget;
}

struct Budget {
    deadline: Instant,
    waited: Duration,
    gave_up: AtomicBool,
}

/// Runs `work` with at most `wait` for turns at Sentry; also says whether
/// some call gave up waiting.
pub async fn within<F: Future>(wait: Duration, work: F) -> (F::Output, bool) {
    let budget = Budget {
        // A wait too long to add is no deadline at all.
        deadline: Instant::now()
            .checked_add(wait)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400 * 365)),
        waited: wait,
        gave_up: AtomicBool::new(false),
    };
    BUDGET
        .scope(budget, async move {
            let output = work.await;
            let gave_up = BUDGET.with(|b| b.gave_up.load(Ordering::Relaxed));
            (output, gave_up)
        })
        .await
}

/// The current command's deadline, when it has one.
pub(crate) fn deadline() -> Option<Instant> {
    BUDGET.try_with(|b| b.deadline).ok()
}

/// Whether waiting `wait` from now would pass the current deadline.
pub(crate) fn would_pass_deadline(wait: Duration) -> bool {
    deadline().is_some_and(|d| Instant::now() + wait > d)
}

/// Whether the current command's deadline has passed (never, without one).
pub fn deadline_passed() -> bool {
    would_pass_deadline(Duration::ZERO)
}

/// Records that a call gave up and returns how long the command was allowed.
pub fn give_up() -> Duration {
    BUDGET
        .try_with(|b| {
            b.gave_up.store(true, Ordering::Relaxed);
            b.waited
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_budget_is_seen_only_inside_its_scope() {
        assert!(deadline().is_none());
        assert!(!would_pass_deadline(Duration::from_secs(3600)));
        let ((), gave_up) = within(Duration::from_millis(50), async {
            assert!(deadline().is_some());
            assert!(!would_pass_deadline(Duration::ZERO));
            assert!(would_pass_deadline(Duration::from_secs(1)));
        })
        .await;
        assert!(!gave_up);
        let (waited, gave_up) = within(Duration::from_secs(25), async { give_up() }).await;
        assert!(gave_up);
        assert_eq!(waited, Duration::from_secs(25));
    }
}
