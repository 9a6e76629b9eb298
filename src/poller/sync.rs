//! Status sync: posted alerts follow their issue. When an issue's status or
//! assignee changes in Sentry, its alerts are redrawn with `chat.update`
//! and, with threads on, a reply says what changed.
//!
//! Issues on this tick's list cost no call. An issue gone from the list is
//! read while its alerts still show it open, because leaving the list
//! usually means it was resolved or archived; once they show it closed it
//! is not read again, since reopening puts it back on the list.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use super::schedule::Group;
use super::Context;
use crate::issues::is_not_found;
use crate::render::alerts;
use crate::render::capabilities::for_server;
use crate::sentry::models::Issue;
use crate::store::{now_ms, AlertRow, SubscriptionRow};

/// Alerts whose issue changes in Sentry within this window get updated.
const SYNC_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);
/// Issues re-read per group per tick for status sync.
const SYNC_PER_TICK: usize = 50;

/// Alerts posted within the status-sync window, by subscription.
pub async fn posted_alerts_by_subscription(ctx: &Context) -> HashMap<String, Vec<AlertRow>> {
    let since = now_ms() - i64::try_from(SYNC_WINDOW.as_millis()).unwrap_or(i64::MAX);
    let mut by_subscription: HashMap<String, Vec<AlertRow>> = HashMap::new();
    match ctx.store.recent_posted_alerts(since).await {
        Ok(alerts) => {
            for alert in alerts {
                by_subscription
                    .entry(alert.subscription_id.clone())
                    .or_default()
                    .push(alert);
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot read posted alerts"),
    }
    by_subscription
}

/// Updates the group's alerts whose issue changed since they were posted;
/// `listed` is the page this tick listed for the group.
pub async fn sync_group(
    ctx: &Context,
    group: &Group,
    posted: &HashMap<String, Vec<AlertRow>>,
    listed: &[Issue],
) {
    let alerts: Vec<&AlertRow> = group
        .subs
        .iter()
        .filter_map(|s| posted.get(&s.id))
        .flatten()
        .collect();
    let mut issue_ids: Vec<&str> = alerts.iter().map(|a| a.issue_id.as_str()).collect();
    issue_ids.sort_unstable();
    issue_ids.dedup();
    let mut reads = 0;
    for issue_id in issue_ids.into_iter().rev() {
        let issue = if let Some(issue) = listed.iter().find(|i| i.id == issue_id) {
            issue.clone()
        } else {
            let shown_open = alerts
                .iter()
                .any(|a| a.issue_id == issue_id && alerts::snapshot_is_open(&a.status_snapshot));
            if !shown_open || reads >= SYNC_PER_TICK {
                continue;
            }
            reads += 1;
            match ctx.issues.get(&group.org, issue_id).await {
                Ok(issue) => issue,
                Err(e) if is_not_found(&e) => {
                    // Deleted or merged: remember it, so it is not read every tick.
                    for alert in alerts.iter().filter(|a| a.issue_id == issue_id) {
                        let _ = ctx.store.set_snapshot(alert, alerts::DELETED).await;
                    }
                    continue;
                }
                Err(e) => {
                    tracing::debug!(issue = issue_id, error = %e, "status sync skipped");
                    continue;
                }
            }
        };
        for alert in alerts.iter().filter(|a| a.issue_id == issue_id) {
            if let Some(sub) = group.subs.iter().find(|s| s.id == alert.subscription_id) {
                redraw_if_changed(ctx, &group.org, sub, alert, &issue).await;
            }
        }
    }
}

/// Redraws one alert when its issue no longer looks as the alert shows it.
async fn redraw_if_changed(
    ctx: &Context,
    org: &str,
    sub: &SubscriptionRow,
    alert: &AlertRow,
    issue: &Issue,
) {
    let after = alerts::snapshot(issue);
    let Some(phrase) = alerts::change_phrase(&alert.status_snapshot, &after) else {
        return;
    };
    let Some(ts) = &alert.ts else {
        return;
    };
    let pacer = &ctx.state.pacer;
    tracing::info!(issue = %issue.id, channel = %alert.channel_id, change = %phrase, "issue changed in Sentry");
    pacer.wait_turn(&alert.channel_id).await;
    let redrawn = for_server(
        alerts::synced(org, issue, &phrase, SystemTime::now()),
        &ctx.issues.gaps(org),
    );
    if let Err(e) = ctx
        .slack
        .update_message(&alert.channel_id, ts, &redrawn)
        .await
    {
        tracing::warn!(error = %e, "could not update the alert");
    }
    if sub.threads {
        pacer.wait_turn(&alert.channel_id).await;
        let reply = alerts::sync_reply(issue, &phrase);
        if let Err(e) = ctx
            .slack
            .post_message(&alert.channel_id, &reply, Some(ts), false)
            .await
        {
            tracing::warn!(error = %e, "could not reply in the alert's thread");
        }
    }
    let _ = ctx.store.set_snapshot(alert, &after).await;
    let status = issue.status.clone().unwrap_or_else(|| "unresolved".into());
    let _ = ctx
        .store
        .record_tick(&sub.id, &[(issue.id.clone(), status)], &[])
        .await;
}
