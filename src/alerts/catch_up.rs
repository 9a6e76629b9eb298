//! Holding alerts back and catching up after. The outbox asks
//! [`Holds::decide`] before it posts a new-issue or regression alert: while
//! its subscription is muted, or in quiet hours (an alert matching the
//! urgent query aside), the alert moves to `held` and the outbox forgets
//! it. [`run`] looks every few seconds for subscriptions with held alerts
//! that nothing holds any more, and turns each one's held alerts into one
//! catch-up message, queued like any alert: the turn happens in one
//! transaction, so across replicas exactly one catch-up is queued, and the
//! outbox posts it once.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::future::join_all;
use tokio_util::sync::CancellationToken;

use crate::alerts::alert::{Alert, Digest};
use crate::alerts::context::Context;
use crate::alerts::held::{Held, HeldIssue, HeldWhy};
use crate::alerts::messages::{Beyond, CATCH_UP_ROWS};
use crate::quiet::hush::{Hush, Why};
use crate::sentry::search::{self, Verdict};
use crate::store::{
    now_ms, AlertKind, AlertRow, AlertState, Snapshot, StoreError, SubscriptionRow,
};

/// How often held alerts are checked at most.
const CHECK_EVERY: Duration = Duration::from_secs(5);

/// What the outbox does with one alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Post it as usual.
    Post,
    /// Post it alone (not gathered into a digest): it comes through quiet
    /// hours as urgent, and the rest of its subscription's alerts wait.
    PostAlone,
    /// It was moved to `held`.
    Held,
}

/// The quiet settings a drain has read, one read per subscription.
#[derive(Default)]
pub(crate) struct Holds {
    read: HashMap<String, Hush>,
}

impl Holds {
    /// Whether `row` is posted now or held back.
    pub(crate) async fn decide(
        &mut self,
        ctx: &Context,
        row: &AlertRow,
    ) -> Result<Decision, StoreError> {
        if !matches!(row.kind, AlertKind::New | AlertKind::Regressed) {
            return Ok(Decision::Post);
        }
        let hush = match self.read.get(&row.subscription_id) {
            Some(hush) => hush.clone(),
            None => {
                let hush = ctx.store.hush(&row.subscription_id).await?;
                self.read.insert(row.subscription_id.clone(), hush.clone());
                hush
            }
        };
        let now = now_ms();
        if !hush.holding(now) {
            return Ok(Decision::Post);
        }
        let urgent = hush.urgent.as_deref().is_some_and(|query| {
            Alert::decode(&row.kind, &row.payload)
                .ok()
                .and_then(|alert| alert.issue().cloned())
                .is_some_and(|issue| search::judge(query, &issue) == Verdict::Admits)
        });
        match hush.holds(now, urgent) {
            None => Ok(Decision::PostAlone),
            Some(why) => {
                ctx.store.hold_alert(row).await?;
                tracing::info!(channel = %row.channel_id, issue = %row.issue_id, kind = %row.kind,
                    why = ?why, "alert held");
                metrics::counter!(crate::meters::ALERTS_HELD).increment(1);
                Ok(Decision::Held)
            }
        }
    }
}

/// Catches up held alerts whose hold has ended, until `stop`.
pub(crate) async fn run(ctx: Context, stop: CancellationToken) {
    let every = CHECK_EVERY.min(ctx.interval);
    loop {
        if let Err(e) = catch_up_due(&ctx).await {
            tracing::warn!(error = %e, "cannot catch up held alerts; trying again shortly");
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = stop.cancelled() => break,
        }
    }
}

/// Queues a catch-up for every subscription whose held alerts nothing
/// holds any more; returns how many were queued.
pub(crate) async fn catch_up_due(ctx: &Context) -> Result<usize, StoreError> {
    let mut queued = 0;
    for sub_id in ctx.store.held_subscriptions().await? {
        let hush = ctx.store.hush(&sub_id).await?;
        let now = now_ms();
        if hush.holding(now) {
            continue;
        }
        let Some(sub) = ctx.store.subscription(&sub_id).await? else {
            continue;
        };
        let held = ctx.store.held_alerts(&sub_id).await?;
        if held.is_empty() {
            continue;
        }
        let mut summary = summarise(&hush, &held, now);
        read_statuses(ctx, &sub.org_slug, &mut summary.shown).await;
        let row = catch_up_row(&sub, &held, summary);
        if ctx.store.queue_catch_up(&held, &row).await? {
            tracing::info!(channel = %sub.channel_id, subscription = %sub.id, held = held.len(),
                "held alerts caught up in one message");
            metrics::counter!(crate::meters::ALERTS_GATHERED, "digest" => "catch_up")
                .increment(held.len() as u64);
            queued += 1;
            ctx.state.wake_delivery();
        }
    }
    Ok(queued)
}

/// The catch-up of `held` (oldest first), as the hold ended at `now`. Pure.
pub(crate) fn summarise(hush: &Hush, held: &[AlertRow], now: i64) -> Held {
    let first_held = held.iter().map(|a| a.created_at_ms).min().unwrap_or(now);
    let why = hush.reason_since(first_held);
    let from_ms = match (why, &hush.mute) {
        (Why::Muted, Some(mute)) => mute.from_ms.min(first_held),
        _ => first_held,
    };
    let until_ms = match (why, &hush.mute) {
        (Why::Muted, Some(mute)) => mute.until_ms.min(now),
        _ => now,
    };
    let mut summary = Held {
        why: match why {
            Why::Muted => HeldWhy::Muted,
            Why::QuietHours => HeldWhy::QuietHours,
        },
        from_ms,
        until_ms,
        new: 0,
        regressions: 0,
        escalations: 0,
        shown: Vec::new(),
    };
    for row in held {
        let alert = Alert::decode(&row.kind, &row.payload).ok();
        let escalated = matches!(alert, Some(Alert::Escalated { .. }));
        let regressed = row.kind == AlertKind::Regressed && !escalated;
        if escalated {
            summary.escalations += 1;
        } else if regressed {
            summary.regressions += 1;
        } else {
            summary.new += 1;
        }
        let issue = alert.and_then(|alert| alert.issue().cloned());
        if let Some(issue) = issue.filter(|_| summary.shown.len() < CATCH_UP_ROWS) {
            summary.shown.push(HeldIssue {
                issue,
                regressed,
                escalated,
                now: None,
            });
        }
    }
    summary
}

/// Reads the listed issues' statuses now, so the catch-up can say which
/// were resolved meanwhile; an issue that cannot be read says nothing.
async fn read_statuses(ctx: &Context, org: &str, shown: &mut [HeldIssue]) {
    let reads = shown.iter().map(|item| ctx.issues.get(org, &item.issue.id));
    let answers = join_all(reads).await;
    for (item, answer) in shown.iter_mut().zip(answers) {
        match answer {
            Ok(issue) => item.now = issue.status,
            Err(e) => {
                tracing::debug!(issue = %item.issue.id, error = %e, "status for the catch-up unread")
            }
        }
    }
}

/// The catch-up's outbox row: a digest (so replicas that know no catch-ups
/// still post it), pending, keyed by the first held alert.
fn catch_up_row(sub: &SubscriptionRow, held: &[AlertRow], summary: Held) -> AlertRow {
    let first = held.first();
    let first_id = first.map(|a| a.issue_id.clone()).unwrap_or_default();
    let first_at = first.map(|a| a.created_at_ms).unwrap_or_default();
    let digest = Digest {
        issues: summary.shown.iter().map(|s| s.issue.clone()).collect(),
        total: held.len(),
        project: sub.project_slug.clone(),
        limit: sub.digest,
        beyond: Beyond::Nothing,
        held: Some(summary),
    };
    AlertRow {
        subscription_id: sub.id.clone(),
        issue_id: first_id,
        kind: AlertKind::Digest,
        dedup_key: format!("{CATCH_UP_KEY}{first_at}"),
        channel_id: sub.channel_id.clone(),
        org_slug: sub.org_slug.clone(),
        payload: Alert::Digest(digest).payload(),
        state: AlertState::Pending,
        thread_ts: None,
        ts: None,
        status_snapshot: Snapshot::default(),
        attempts: 0,
        created_at_ms: now_ms(),
        posted_at_ms: None,
    }
}

/// The dedup key prefix of catch-up digests, which storms never grow.
pub(crate) const CATCH_UP_KEY: &str = "catchup:";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quiet::hush::Mute;
    use crate::sentry::models::Issue;

    fn held_row(id: &str, kind: AlertKind, at: i64) -> AlertRow {
        let issue = Issue::bare(id, format!("Boom {id}"));
        let alert = match kind {
            AlertKind::Regressed => Alert::Regressed {
                issue,
                threads: true,
            },
            _ => Alert::New { issue },
        };
        AlertRow {
            subscription_id: "sub".into(),
            issue_id: id.into(),
            kind,
            dedup_key: String::new(),
            channel_id: "C1".into(),
            org_slug: "acme".into(),
            payload: alert.payload(),
            state: AlertState::Held,
            thread_ts: None,
            ts: None,
            status_snapshot: Snapshot::default(),
            attempts: 0,
            created_at_ms: at,
            posted_at_ms: None,
        }
    }

    #[test]
    fn a_catch_up_counts_every_held_alert_and_lists_the_first() {
        let hush = Hush {
            mute: Some(Mute {
                from_ms: 1_000,
                until_ms: 7_201_000,
                by: "U1".into(),
            }),
            ..Hush::default()
        };
        let mut held: Vec<AlertRow> = (0..14)
            .map(|i| held_row(&format!("{i}"), AlertKind::New, 2_000 + i))
            .collect();
        held.push(held_row("r1", AlertKind::Regressed, 5_000));
        held.push(held_row("r2", AlertKind::Regressed, 6_000));
        let summary = summarise(&hush, &held, 7_300_000);
        assert_eq!((summary.new, summary.regressions), (14, 2));
        assert_eq!(summary.why, HeldWhy::Muted);
        assert_eq!(summary.length(), Duration::from_secs(7_200));
        assert_eq!(summary.shown.len(), CATCH_UP_ROWS);
        let message = crate::alerts::messages::catch_up("acme", "api", &summary);
        assert_eq!(
            message.text,
            "While muted (2 h): 14 new issues, 2 regressions in acme/api"
        );
    }

    #[test]
    fn without_a_mute_the_hold_was_quiet_hours_from_the_first_held_alert() {
        let held = [held_row("1", AlertKind::New, 1_000)];
        let summary = summarise(&Hush::default(), &held, 3_601_000);
        assert_eq!(summary.why, HeldWhy::QuietHours);
        assert_eq!(summary.length(), Duration::from_secs(3_600));
        assert_eq!(summary.new, 1);
    }
}
