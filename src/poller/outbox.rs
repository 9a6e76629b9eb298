//! The outbox: pending alerts are claimed, rendered, posted and marked,
//! channels in parallel and each channel in order, at most one message per
//! second per channel across replicas.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use futures_util::future::join_all;

use super::alert::{Alert, AlertKind};
use super::{millis, Context, CHANNEL_GAP};
use crate::render::capabilities::for_server;
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

/// Claims, renders, posts and marks one alert.
async fn deliver_one(ctx: &Context, row: &AlertRow) {
    // Only the replica that claims an alert posts it.
    match ctx
        .store
        .claim_alert(row, &ctx.state.replica, millis(CLAIM_TTL))
        .await
    {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot claim the alert");
            return;
        }
    }
    let alert = match Alert::decode(&row.kind, &row.payload) {
        Ok(alert) => alert,
        Err(e) => {
            tracing::error!(kind = %row.kind, error = %e, "alert payload unreadable; giving up on it");
            let _ = ctx.store.mark_failed(row, "unreadable payload", true).await;
            return;
        }
    };
    let message = for_server(
        alert.render(&row.org_slug, SystemTime::now()),
        &ctx.issues.gaps(&row.org_slug),
    );
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
                if let Err(e) = ctx.store.mark_posted(row, &ts).await {
                    tracing::error!(error = %e, "alert posted but not recorded; it may be posted once more after a restart");
                }
                return;
            }
            Err(SlackError::RateLimited { retry_after_secs }) => {
                let wait = Duration::from_secs(retry_after_secs.max(1));
                pacer.hold(&row.channel_id, wait);
                rate_limited += 1;
                // Long waits go back to the outbox so the claim never outlives its post.
                if wait > MAX_SLACK_WAIT || rate_limited > 3 {
                    tracing::warn!(channel = %row.channel_id, wait_s = wait.as_secs(), "Slack rate limit; retrying on a later tick");
                    let _ = ctx.store.release_alert(row).await;
                    return;
                }
                tracing::warn!(channel = %row.channel_id, wait_s = wait.as_secs(), "Slack rate limit; waiting");
            }
            Err(e) => {
                let permanent = is_permanent(&e) || row.attempts + 1 >= MAX_ATTEMPTS;
                metrics::counter!(crate::meters::ALERTS_FAILED, "permanent" => permanent.to_string()).increment(1);
                tracing::error!(channel = %row.channel_id, kind, error = %e, permanent, "alert not posted");
                let _ = ctx.store.mark_failed(row, &e.to_string(), permanent).await;
                return;
            }
        }
    }
}
