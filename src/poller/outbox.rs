//! The outbox: pending alerts are claimed, rendered, posted and marked,
//! channels in parallel and each channel in order, at most one message per
//! second per channel across replicas.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::future::join_all;

use super::alert::{Alert, AlertKind};
use super::{millis, Context, CHANNEL_GAP};
use crate::render::capabilities::for_server;
use crate::render::Message;
use crate::slack::SlackError;
use crate::store::{AlertRow, Lease};

/// Delivery attempts before an alert is given up on.
const MAX_ATTEMPTS: i64 = 10;
/// Longest `Retry-After` waited for inside one delivery.
const MAX_SLACK_WAIT: Duration = Duration::from_secs(10);
/// How long a replica may hold a delivery claim; a post (with its retries)
/// must finish well inside it.
const CLAIM_TTL: Duration = Duration::from_secs(20);
/// Pending alerts read per delivery round.
const BATCH: i64 = 500;

/// Posts pending alerts: channels in parallel, each channel in order.
pub async fn deliver(ctx: &Context) {
    let pending = match ctx.store.pending_alerts(BATCH).await {
        Ok(pending) => pending,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read pending alerts");
            return;
        }
    };
    let mut by_channel: BTreeMap<String, Vec<AlertRow>> = BTreeMap::new();
    for alert in pending {
        by_channel
            .entry(alert.channel_id.clone())
            .or_default()
            .push(alert);
    }
    join_all(
        by_channel
            .into_iter()
            .map(|(channel, alerts)| deliver_to_channel(ctx, channel, alerts)),
    )
    .await;
}

/// Posts one channel's alerts in order. One replica at a time delivers to a
/// channel (a lease renewed before each post), so the one-a-second pace
/// holds across replicas; the lease lingers one gap after the last post.
async fn deliver_to_channel(ctx: &Context, channel: String, alerts: Vec<AlertRow>) {
    let lease_key = format!("deliver\u{1f}{channel}");
    let replica = &ctx.state.replica;
    let mut delivered = false;
    for alert in alerts {
        if ctx.stop_posting.is_cancelled() {
            // Stopping: the post in flight has finished; the rest wait for a replica.
            break;
        }
        match ctx
            .store
            .try_lease(&lease_key, replica, millis(CLAIM_TTL))
            .await
        {
            Ok(Lease::HeldElsewhere) => break,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "cannot take the channel's delivery lease");
                break;
            }
        }
        delivered = true;
        deliver_one(ctx, &alert).await;
    }
    if delivered {
        if let Err(e) = ctx
            .store
            .release_lease(&lease_key, replica, millis(CHANNEL_GAP))
            .await
        {
            tracing::warn!(error = %e, "cannot release the channel's delivery lease");
        }
    }
}

/// Slack errors that retrying cannot fix.
fn is_permanent(error: &SlackError) -> bool {
    matches!(error, SlackError::Api(_))
        || matches!(error, SlackError::Status { status, .. } if *status < 500 && *status != 429)
}

/// Renders `alert` for `org`; a panic while rendering (a payload no
/// renderer expected) is caught and reported, so one bad alert cannot stop
/// delivery for everyone.
pub fn render_guarded(render: impl FnOnce() -> Message) -> Result<Message, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(render)).map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into())
    })
}

/// Claims, renders, posts and marks one alert.
async fn deliver_one(ctx: &Context, row: &AlertRow) {
    // Only the replica that claims an alert posts it.
    let claim = match ctx
        .store
        .claim_alert(row, &ctx.state.replica, millis(CLAIM_TTL))
        .await
    {
        Ok(Some(claim)) => claim,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot claim the alert");
            return;
        }
    };
    let alert = match Alert::decode(&row.kind, &row.payload) {
        Ok(alert) => alert,
        Err(e) => {
            tracing::error!(kind = %row.kind, error = %e, "alert payload unreadable; giving up on it");
            let _ = ctx
                .store
                .mark_failed(row, &claim, "unreadable payload", true)
                .await;
            return;
        }
    };
    // The latest event adds the triage facts; the alert goes out without it
    // when it cannot be had quickly or the org's rate budget is low.
    let event = match alert.issue() {
        Some(issue) => {
            let fresh = matches!(alert, Alert::Regressed { .. });
            ctx.issues
                .event_for_alert(&row.org_slug, &issue.id, fresh)
                .await
        }
        None => None,
    };
    let rendered = render_guarded(|| {
        for_server(
            alert.render(&row.org_slug, event.as_deref()),
            &ctx.issues.gaps(&row.org_slug),
        )
    });
    let message = match rendered {
        Ok(message) => message,
        Err(panic) => {
            metrics::counter!(crate::meters::POLLER_PANICS, "task" => "render").increment(1);
            tracing::error!(kind = %row.kind, issue = %row.issue_id, %panic, "rendering the alert panicked; giving up on it");
            let _ = ctx
                .store
                .mark_failed(row, &claim, "rendering failed", true)
                .await;
            return;
        }
    };
    // A regression replies in the original alert's thread when there is one.
    let thread = match &alert {
        Alert::Regressed { threads: true, .. } => ctx
            .store
            .alert_ts(&row.subscription_id, &row.issue_id, AlertKind::New.as_str())
            .await
            .ok()
            .flatten(),
        _ => None,
    };
    let kind = alert.kind().as_str();
    let pacer = &ctx.state.pacer;
    let mut rate_limited = 0;
    loop {
        pacer.wait_turn(&row.channel_id).await;
        // The claim must outlive the post: extend it before every attempt.
        match ctx.store.extend_claim(row, &claim, millis(CLAIM_TTL)).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(channel = %row.channel_id, issue = %row.issue_id, "claim lost before posting; leaving the alert to its new holder");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot extend the alert's claim; retrying on a later tick");
                return;
            }
        }
        match ctx
            .slack
            .post_message(
                &row.channel_id,
                &message,
                thread.as_deref(),
                thread.is_some(),
            )
            .await
        {
            Ok(ts) => {
                tracing::info!(channel = %row.channel_id, kind, issue = %row.issue_id, %ts, "alert posted");
                metrics::counter!(crate::meters::ALERTS_POSTED, "kind" => kind).increment(1);
                match ctx.store.mark_posted(row, &claim, &ts).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::error!(channel = %row.channel_id, issue = %row.issue_id, "alert posted after its claim was taken over; it may show twice")
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "alert posted but not recorded; it may be posted once more")
                    }
                }
                return;
            }
            Err(SlackError::RateLimited { retry_after_secs }) => {
                let wait = Duration::from_secs(retry_after_secs.max(1));
                pacer.hold(&row.channel_id, wait);
                rate_limited += 1;
                // Long waits go back to the outbox rather than hold a delivery
                // slot; so does any wait once shutdown can wait no longer.
                if wait > MAX_SLACK_WAIT || rate_limited > 3 || ctx.stop_posting.is_cancelled() {
                    tracing::warn!(channel = %row.channel_id, wait_s = wait.as_secs(), "Slack rate limit; retrying on a later tick");
                    let _ = ctx.store.release_alert(row, &claim).await;
                    return;
                }
                tracing::warn!(channel = %row.channel_id, wait_s = wait.as_secs(), "Slack rate limit; waiting");
            }
            Err(e) => {
                let permanent = is_permanent(&e) || row.attempts + 1 >= MAX_ATTEMPTS;
                metrics::counter!(crate::meters::ALERTS_FAILED, "permanent" => permanent.to_string()).increment(1);
                tracing::error!(channel = %row.channel_id, kind, error = %e, permanent, "alert not posted");
                let _ = ctx
                    .store
                    .mark_failed(row, &claim, &e.to_string(), permanent)
                    .await;
                return;
            }
        }
    }
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
}
