//! How long the command being answered may wait for a turn at Sentry.
//!
//! Calls to one org take turns (a few in flight at once). A person's
//! command that only reads carries a deadline for those waits: past it, the
//! call gives up with [`SentryError::TooSlow`](crate::sentry::SentryError::TooSlow)
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
    /// The work can do without Sentry's answer (alert facts, option
    /// lists): it leaves the end of a rate-limit window to other calls.
    optional: bool,
}

/// Runs `work` with at most `wait` for turns at Sentry; also says whether
/// some call gave up waiting.
pub async fn within<F: Future>(wait: Duration, work: F) -> (F::Output, bool) {
    scoped(wait, false, work).await
}

/// Runs `work`, which can do without Sentry's answers, with at most `wait`
/// for turns (never past an enclosing deadline): its calls leave the last
/// share of each rate-limit window to others and wait for the next window
/// only while that fits in `wait`.
pub async fn optional<F: Future>(wait: Duration, work: F) -> F::Output {
    scoped(wait, true, work).await.0
}

async fn scoped<F: Future>(wait: Duration, optional: bool, work: F) -> (F::Output, bool) {
    // A wait too long to add is no deadline at all.
    let own = Instant::now()
        .checked_add(wait)
        .unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400 * 365));
    let budget = Budget {
        deadline: deadline().map_or(own, |outer| outer.min(own)),
        waited: wait,
        gave_up: AtomicBool::new(false),
        optional: optional || is_optional(),
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

/// Whether the current work can do without Sentry's answers.
pub(crate) fn is_optional() -> bool {
    BUDGET.try_with(|b| b.optional).unwrap_or(false)
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

    #[tokio::test]
    async fn optional_work_is_marked_and_never_outlives_its_enclosing_deadline() {
        assert!(!is_optional());
        let ((), _) = within(Duration::from_millis(100), async {
            let outer = deadline().unwrap();
            optional(Duration::from_secs(3), async {
                assert!(is_optional());
                assert_eq!(deadline(), Some(outer), "the tighter deadline holds");
            })
            .await;
            assert!(!is_optional(), "only inside its own scope");
        })
        .await;
        optional(Duration::from_secs(3), async {
            assert!(!would_pass_deadline(Duration::from_secs(2)));
            assert!(would_pass_deadline(Duration::from_secs(4)));
        })
        .await;
    }
}
