//! Status sync: posted alerts follow their issue. When an issue's status or
//! assignee changes in Sentry, its alerts are redrawn with `chat.update`
//! and, with threads on, a reply says what changed.
//!
//! Issues on this tick's list cost no call. An issue gone from the list is
//! read while its alerts still show it open, because leaving the list
//! usually means it was resolved or archived; once they show it closed it
//! is not read again, since reopening puts it back on the list.

use std::time::Duration;

use crate::alerts::context::Context;
use crate::alerts::diff::ForAssignee;
use crate::alerts::group::Group;
use crate::alerts::messages;
use crate::issues::card::Controls;
use crate::orgs::issue_service::is_not_found;
use crate::sentry::models::Issue;
use crate::store::{now_ms, AlertRow, AlertState, Snapshot, SubscriptionRow, ThreadPolicy};

/// Alerts whose issue changes in Sentry within this window get updated.
const SYNC_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);
/// Issues re-read per group per tick for status sync.
const SYNC_PER_TICK: usize = 50;

/// Updates the group's alerts whose issue changed since they were posted;
/// `listed` is the page this tick listed for the group. Returns whether
/// every alert was checked (false when a read failed or was left for the
/// next tick), so a quiet next tick knows it may skip the group.
pub(crate) async fn sync_group(ctx: &Context, group: &Group, listed: &[Issue]) -> bool {
    let since = now_ms() - i64::try_from(SYNC_WINDOW.as_millis()).unwrap_or(i64::MAX);
    let sub_ids: Vec<&str> = group.subs.iter().map(|s| s.id.as_str()).collect();
    let posted = match ctx.store.posted_alerts_of(&sub_ids, since).await {
        Ok(posted) => posted,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read posted alerts");
            return false;
        }
    };
    // An alert still waiting to be posted shows the issue as it was when
    // planned: the group is synced again once it is posted.
    let mut complete = !posted.iter().any(|a| a.state == AlertState::Pending);
    let alerts: Vec<&AlertRow> = posted
        .iter()
        .filter(|a| a.state == AlertState::Posted)
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
                .any(|a| a.issue_id == issue_id && a.status_snapshot.is_open());
            if !shown_open {
                continue;
            }
            // Off the page and shown open: a quiet page would not show its
            // next change, so the next tick checks it again.
            complete = false;
            if reads >= SYNC_PER_TICK {
                complete = false;
                continue;
            }
            reads += 1;
            match ctx.issues.get(&group.org, issue_id).await {
                Ok(issue) => issue,
                Err(e) if is_not_found(&e) => {
                    // Deleted or merged: remember it, so it is not read every tick.
                    for alert in alerts.iter().filter(|a| a.issue_id == issue_id) {
                        let _ = ctx.store.set_snapshot(alert, &Snapshot::deleted()).await;
                    }
                    continue;
                }
                Err(e) => {
                    tracing::debug!(issue = issue_id, error = %e, "status sync skipped");
                    complete = false;
                    continue;
                }
            }
        };
        for alert in alerts.iter().filter(|a| a.issue_id == issue_id) {
            if let Some(sub) = group.subs.iter().find(|s| s.id == alert.subscription_id) {
                if !redraw_if_changed(ctx, &group.org, sub, alert, &issue, None, true).await {
                    complete = false;
                }
            }
        }
    }
    complete
}

/// Redraws one alert when its issue no longer looks as the alert shows it;
/// `actor` is who changed it in Sentry, when a webhook said. With
/// `record_seen`, the issue's status is also remembered for the
/// subscription (a webhook leaves that to its own diff, which knows about
/// regressions). Returns false when the alert was left for a later look
/// (a click holds it).
pub(crate) async fn redraw_if_changed(
    ctx: &Context,
    org: &str,
    sub: &SubscriptionRow,
    alert: &AlertRow,
    issue: &Issue,
    actor: Option<&str>,
    record_seen: bool,
) -> bool {
    let after = messages::snapshot(issue);
    let Some(phrase) = messages::change_phrase(&alert.status_snapshot, &after) else {
        return true;
    };
    let phrase = messages::by_actor(&phrase, actor);
    // A click changing the issue from this alert holds it until it has
    // recorded the change: the change is the click's to show.
    if clicked_now(ctx, alert).await {
        return false;
    }
    // A poll that sees a new assignee tells them (a webhook's change is
    // recorded by the webhook, which knows who made it).
    if record_seen && alert.status_snapshot.assignee != after.assignee {
        crate::alerts::personal::spawn_plan_for_assignees(
            ctx,
            org,
            vec![ForAssignee::Reassigned(issue.clone())],
        );
    }
    let Some(ts) = &alert.ts else {
        return true;
    };
    let pacer = &ctx.state.pacer;
    pacer.wait_turn(&alert.channel_id).await;
    // A click on the alert may have changed the issue, and recorded what the
    // alert now shows, after this alert row was read: check again.
    if clicked_now(ctx, alert).await {
        return false;
    }
    match ctx.store.snapshot_for_message(&alert.channel_id, ts).await {
        Ok(Some(now)) if messages::change_phrase(&now, &after).is_none() => {
            tracing::debug!(issue = %issue.id, "change already shown by a click; not announced");
            return true;
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot re-read the alert's state"),
    }
    tracing::info!(issue = %issue.id, channel = %alert.channel_id, change = %phrase, "issue changed in Sentry");
    // The redraw keeps the facts the alert was posted with (cached).
    let event = ctx.issues.event_for_alert(org, &issue.id, false).await;
    let controls = Controls::for_server(&ctx.issues.gaps(org));
    let mention = ctx.mention(org, issue, sub.mention).await;
    // A channel that muted the issue still sees its card redrawn, but
    // hears nothing more about it.
    let muted_here = match ctx
        .store
        .muted_here(&alert.channel_id, org, &issue.id)
        .await
    {
        Ok(muted) => muted.is_some(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the channel's mutes");
            false
        }
    };
    let redrawn = messages::synced(
        org,
        issue,
        &phrase,
        event.as_deref(),
        controls,
        mention.as_deref(),
        muted_here,
    );
    // The reads above take time: a click may have begun, or ended, since.
    if clicked_now(ctx, alert).await {
        return false;
    }
    match ctx
        .store
        .replace_snapshot(alert, &alert.status_snapshot, &after)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            tracing::debug!(issue = %issue.id, "the alert's state changed meanwhile; left for the next look");
            return false;
        }
        Err(e) => tracing::warn!(error = %e, "cannot record the alert's new state"),
    }
    if let Err(e) = ctx
        .slack
        .update_message(&alert.channel_id, ts, &redrawn)
        .await
    {
        tracing::warn!(error = %e, "could not update the alert");
    }
    // Closed → open is what the diff alerts as a regression (when the
    // channel wants them), so its Regressed card is the announcement;
    // "Unresolved in Sentry" in the thread would say it twice.
    let announced_as_regression =
        sub.regressions && !alert.status_snapshot.is_open() && after.is_open();
    if sub.threads.threads() && !announced_as_regression && !muted_here {
        pacer.wait_turn(&alert.channel_id).await;
        let reply = messages::sync_reply(issue, &phrase, mention.as_deref());
        if let Err(e) = ctx
            .slack
            .post_message(
                &alert.channel_id,
                &reply,
                Some(ts),
                sub.threads == ThreadPolicy::Broadcast,
            )
            .await
        {
            tracing::warn!(error = %e, "could not reply in the alert's thread");
        }
    }
    if !record_seen {
        return true;
    }
    // Sync remembers closings, which the list may never show; what an
    // open issue is (new, regressed, escalating) is the diff's to say, and
    // writing the bare status would erase it.
    let status = issue.status.clone().unwrap_or_else(|| "unresolved".into());
    if !crate::alerts::diff::is_closed(&status) {
        return true;
    }
    let _ = ctx
        .store
        .record_tick(&sub.id, &[(issue.id.clone(), status)], &[])
        .await;
    true
}

/// Whether a click holds `alert`'s message now (a store error counts as
/// not held: the snapshot re-check still guards the common case).
async fn clicked_now(ctx: &Context, alert: &AlertRow) -> bool {
    let Some(ts) = &alert.ts else {
        return false;
    };
    match ctx.store.message_held(&alert.channel_id, ts).await {
        Ok(held) => {
            if held {
                tracing::debug!(issue = %alert.issue_id, "alert held by a click; left for the next look");
            }
            held
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the alert's holds");
            false
        }
    }
}
