//! Polling one group: list its issues once, diff the page against what
//! each subscription has seen, and write the planned alerts to the outbox
//! in the same transaction as what was seen.

use std::collections::HashMap;

use super::alert::{Alert, Digest};
use super::diff::{diff, Planned};
use super::schedule::{take_turn, Group};
use super::Context;
use crate::grants::GrantError;
use crate::render::alerts;
use crate::sentry::client::MAX_PAGE;
use crate::sentry::models::Issue;
use crate::sentry::IssueQuery;
use crate::store::{now_ms, AlertRow, SubscriptionRow};

/// A planned alert as an outbox row.
pub fn outbox_row(
    sub: &SubscriptionRow,
    issue_id: &str,
    alert: &Alert,
    snapshot: String,
) -> AlertRow {
    let dedup_key = match alert {
        Alert::New { .. } => String::new(),
        Alert::Regressed { issue, .. } => issue
            .last_seen
            .clone()
            .unwrap_or_else(|| now_ms().to_string()),
        Alert::Digest(_) => issue_id.to_string(),
        Alert::RelinkNotice { .. } => format!("relink:{}", now_ms()),
    };
    AlertRow {
        subscription_id: sub.id.clone(),
        issue_id: issue_id.to_string(),
        kind: alert.kind().as_str().to_string(),
        dedup_key,
        channel_id: sub.channel_id.clone(),
        org_slug: sub.org_slug.clone(),
        payload: alert.payload(),
        state: "pending".into(),
        thread_ts: None,
        ts: None,
        status_snapshot: snapshot,
        attempts: 0,
        created_at_ms: now_ms(),
        posted_at_ms: None,
    }
}

/// The outbox rows for what a diff planned. Pure but for the clock.
pub fn planned_rows(sub: &SubscriptionRow, planned: Vec<Planned>) -> Vec<AlertRow> {
    planned
        .into_iter()
        .map(|p| match p {
            Planned::New(issue) => {
                let snapshot = alerts::snapshot(&issue);
                let id = issue.id.clone();
                outbox_row(sub, &id, &Alert::New { issue }, snapshot)
            }
            Planned::Regressed(issue) => {
                let snapshot = alerts::snapshot(&issue);
                let id = issue.id.clone();
                let alert = Alert::Regressed {
                    issue,
                    threads: sub.threads,
                };
                outbox_row(sub, &id, &alert, snapshot)
            }
            Planned::Digest(issues) => {
                let first = issues.first().map(|i| i.id.clone()).unwrap_or_default();
                let total = issues.len();
                let shown: Vec<Issue> = issues.into_iter().take(alerts::DIGEST_ROWS).collect();
                let alert = Alert::Digest(Digest {
                    issues: shown,
                    total,
                    project: sub.project_slug.clone(),
                    limit: sub.digest,
                });
                outbox_row(sub, &first, &alert, String::new())
            }
        })
        .collect()
}

/// Polls `group` when it is this replica's turn; returns the page listed,
/// for status sync, or `None` when the group was not polled.
pub async fn poll_group(ctx: &Context, group: &Group) -> Option<Vec<Issue>> {
    if !take_turn(ctx, group).await {
        return None;
    }
    let org = &group.org;
    let request = IssueQuery::by_activity(
        &group.project_slug,
        &group.project_id,
        &group.query,
        MAX_PAGE,
        None,
    );
    let page = match ctx.issues.list(org, &request).await {
        Ok(page) => page,
        Err(e) => {
            tracing::warn!(org = %org, project = %group.project_slug, error = %e, "poll failed; backing off this org");
            ctx.state.backoffs.failed(org, ctx.interval);
            if matches!(
                e,
                GrantError::NeedsRelink { .. }
                    | GrantError::StaticTokenRejected { .. }
                    | GrantError::NotLinked { .. }
            ) {
                notify_relink(ctx, &group.subs).await;
            }
            return None;
        }
    };
    ctx.state.backoffs.succeeded(org);
    let sub_ids: Vec<&str> = group.subs.iter().map(|s| s.id.as_str()).collect();
    let issue_ids: Vec<&str> = page.items.iter().map(|i| i.id.as_str()).collect();
    let seen_by_sub = match ctx.store.seen_of(&sub_ids, &issue_ids).await {
        Ok(seen) => seen,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read what the subscriptions have seen");
            return None;
        }
    };
    let nothing_seen = HashMap::new();
    for sub in &group.subs {
        if sub.relink_notified {
            let _ = ctx.store.set_relink_notified(&sub.id, false).await;
        }
        let seen = seen_by_sub.get(&sub.id).unwrap_or(&nothing_seen);
        let plan = diff(sub, seen, &page.items);
        if plan.seen.is_empty() && plan.alerts.is_empty() {
            continue;
        }
        let rows = planned_rows(sub, plan.alerts);
        match ctx.store.record_tick(&sub.id, &plan.seen, &rows).await {
            Ok(planned) if planned > 0 => {
                tracing::info!(subscription = %sub.id, channel = %sub.channel_id, planned, "alerts planned");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot record the poll"),
        }
    }
    Some(page.items)
}

/// Tells each subscribed channel once that the org must be linked again.
async fn notify_relink(ctx: &Context, subs: &[SubscriptionRow]) {
    for sub in subs.iter().filter(|s| !s.relink_notified) {
        let notice = Alert::RelinkNotice {
            project: sub.project_slug.clone(),
        };
        let row = outbox_row(sub, "-", &notice, String::new());
        if ctx.store.record_tick(&sub.id, &[], &[row]).await.is_ok() {
            let _ = ctx.store.set_relink_notified(&sub.id, true).await;
        }
    }
}
