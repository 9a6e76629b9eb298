//! What delivering from the outbox shares, for channel alerts
//! ([`outbox`](crate::alerts::outbox)) and personal DMs
//! ([`personal`](crate::alerts::personal)): how a step ends, how long a
//! claim lasts, which Slack errors are final, recording a post through a
//! blip of the store, and rendering that cannot take delivery down.

use std::time::Duration;

use crate::alerts::context::Context;
use crate::slack::refusal::{refusal, Refusal};
use crate::slack::Message;
use crate::slack::SlackError;
use crate::store::AlertRow;

/// Delivery attempts before an alert is given up on.
pub(crate) const MAX_ATTEMPTS: i64 = 10;
/// How long a replica may hold a delivery claim; a post (with its retries)
/// must finish well inside it.
pub(crate) const CLAIM_TTL: Duration = Duration::from_secs(20);
/// Attempts at recording a post Slack accepted, so a blip of the store
/// does not post it again.
const RECORD_ATTEMPTS: u32 = 4;

/// How one delivery step ended.
pub(crate) enum Step {
    /// The alerts it took are no longer pending (none was posted).
    Done,
    /// The alerts it took were posted: Slack takes posts in the channel.
    Posted,
    /// They stay pending; try them again after `rest`.
    LeftPending { rest: Duration },
    /// Slack refuses the channel for good: they stay pending, and the
    /// channel is paused for `rest` (see [`pause`](crate::alerts::pause)).
    ChannelPaused { rest: Duration },
}

/// Waits until `due_ms` (or shutdown) when that is still ahead; returns
/// whether it waited. A gathered message is redrawn at most so often, and
/// after a wait its step reads the outbox again.
pub(crate) async fn wait_until_due(ctx: &Context, due_ms: i64) -> bool {
    let wait = Duration::from_millis(u64::try_from(due_ms - crate::store::now_ms()).unwrap_or(0));
    if wait.is_zero() {
        return false;
    }
    tokio::select! {
        () = tokio::time::sleep(wait) => {}
        () = ctx.stop_posting.cancelled() => {}
    }
    true
}

/// Gathered alerts (of the outbox `subscription_id`, for `channel`) Slack
/// would not take: held for a Slack rate limit, kept while the channel is
/// paused for a channel refusal, retried later for an outage, given up for
/// any other refusal.
pub(crate) async fn after_slack_failure(
    ctx: &Context,
    subscription_id: &str,
    channel: &str,
    claimed: &[AlertRow],
    claim: &crate::store::Claim,
    error: SlackError,
) -> Step {
    if let SlackError::RateLimited { retry_after_secs } = error {
        let wait = Duration::from_secs(retry_after_secs.max(1));
        ctx.state.pacer.hold(channel, wait);
        let _ = ctx.store.release_claimed(subscription_id, claim).await;
        tracing::warn!(%channel, wait_s = wait.as_secs(), "Slack rate limit; the gathered message waits");
        return Step::LeftPending { rest: wait };
    }
    if let Some(Refusal::Channel(why)) = refusal(&error) {
        let _ = ctx.store.release_claimed(subscription_id, claim).await;
        let code = crate::slack::refusal::reason_label(&error);
        let rest = crate::alerts::pause::refused(ctx, channel, why, &code).await;
        return Step::ChannelPaused { rest };
    }
    let attempts = claimed.iter().map(|a| a.attempts).max().unwrap_or(0);
    let permanent = is_permanent(&error) || attempts + 1 >= MAX_ATTEMPTS;
    metrics::counter!(crate::meters::ALERTS_FAILED, "permanent" => permanent.to_string())
        .increment(1);
    tracing::error!(%channel, error = %error, permanent, alerts = claimed.len(), "gathered message not posted");
    let _ = ctx
        .store
        .fail_claimed(
            subscription_id,
            claim,
            &error.to_string(),
            permanent,
            MAX_ATTEMPTS,
        )
        .await;
    Step::LeftPending { rest: ctx.interval }
}

/// Runs `record` until it works, a few times with short pauses: Slack has
/// the message, and a record lost to a blip of the store would post it again.
pub(crate) async fn record_with_retries<T, F, Fut>(mut record: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::store::StoreError>>,
{
    let mut pause = Duration::from_millis(100);
    for attempt in 1..=RECORD_ATTEMPTS {
        match record().await {
            Ok(value) => return Some(value),
            Err(e) if attempt < RECORD_ATTEMPTS => {
                tracing::warn!(error = %e, attempt, "cannot record the post yet; retrying");
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            Err(e) => tracing::error!(error = %e, "cannot record the post"),
        }
    }
    None
}

/// Slack errors that retrying cannot fix.
pub(crate) fn is_permanent(error: &SlackError) -> bool {
    matches!(error, SlackError::Api(_))
        || matches!(error, SlackError::Status { status, .. } if *status < 500 && *status != 429)
}

/// Renders `alert` for `org`; a panic while rendering (a payload no
/// renderer expected) is caught and reported, so one bad alert cannot stop
/// delivery for everyone.
pub(crate) fn render_guarded(render: impl FnOnce() -> Message) -> Result<Message, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(render)).map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renderer_that_panics_is_an_error_not_a_crash() {
        let poisoned = render_guarded(|| panic!("poisoned payload"));
        assert_eq!(poisoned.unwrap_err(), "poisoned payload");
        let fine = render_guarded(|| Message::mrkdwn("ok")).unwrap();
        assert_eq!(fine.text, "ok");
    }

    #[tokio::test(start_paused = true)]
    async fn a_record_is_retried_through_a_blip_and_given_up_after_a_few() {
        let mut calls = 0;
        let recorded = record_with_retries(|| {
            calls += 1;
            let outcome = if calls < 3 {
                Err(crate::store::StoreError::Query(sqlx::Error::PoolTimedOut))
            } else {
                Ok(calls)
            };
            async move { outcome }
        })
        .await;
        assert_eq!(recorded, Some(3));
        let mut calls = 0;
        let never: Option<()> = record_with_retries(|| {
            calls += 1;
            async { Err(crate::store::StoreError::Query(sqlx::Error::PoolTimedOut)) }
        })
        .await;
        assert_eq!((never, calls), (None, RECORD_ATTEMPTS));
    }
}
