//! Holding alerts back and catching up after. The outbox asks [`decide`]
//! before it posts a new-issue, regression or escalation alert (or a
//! burst's digest): while its subscription is muted, or in quiet hours (an alert matching the
//! urgent query aside), the alert moves to `held` and the outbox forgets
//! it. [`run`] looks every few seconds for subscriptions with held alerts
//! that nothing holds any more, and turns each one's held alerts into one
//! catch-up message, queued like any alert: the turn happens in one
//! transaction, so across replicas exactly one catch-up is queued, and the
//! outbox posts it once.

use std::time::Duration;

use futures_util::future::join_all;
use tokio_util::sync::CancellationToken;

use crate::alerts::alert::{Alert, Digest};
use crate::alerts::context::Context;
use crate::alerts::held::{Held, HeldIssue, HeldWhy};
use crate::alerts::messages::{Beyond, CATCH_UP_ROWS};
use crate::alerts::plan::outbox_row;
use chrono::DateTime;

use crate::quiet::hush::Hush;
use crate::sentry::search::{self, Verdict};
use crate::store::{now_ms, AlertKind, AlertRow, Snapshot, StoreError, SubscriptionRow};

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

/// Whether `row` is posted now or held back. The settings are read for
/// every alert (one key lookup), so a mute typed during a storm takes
/// effect at the storm's next message.
pub(crate) async fn decide(ctx: &Context, row: &AlertRow) -> Result<Decision, StoreError> {
    let holdable = match row.kind {
        AlertKind::New | AlertKind::Regressed => true,
        // A burst planned as one digest is held like its alerts.
        AlertKind::Digest => !row.dedup_key.starts_with(CATCH_UP_KEY),
        _ => false,
    };
    if !holdable {
        return Ok(Decision::Post);
    }
    let hush = ctx.store.hush(&row.subscription_id).await?;
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
            if ctx.store.hold_alert(row).await? {
                tracing::info!(channel = %row.channel_id, issue = %row.issue_id, kind = %row.kind,
                        why = ?why, "alert held back");
                metrics::counter!(crate::meters::ALERTS_HELD).increment(1);
            }
            Ok(Decision::Held)
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
        // One subscription's trouble leaves the others to be caught up.
        match catch_up_one(ctx, &sub_id).await {
            Ok(true) => queued += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(subscription = %sub_id, error = %e, "cannot catch up held alerts")
            }
        }
    }
    Ok(queued)
}

/// Queues the catch-up of one subscription when nothing holds it.
async fn catch_up_one(ctx: &Context, sub_id: &str) -> Result<bool, StoreError> {
    let hush = ctx.store.hush(sub_id).await?;
    let now = now_ms();
    if hush.holding(now) {
        return Ok(false);
    }
    let Some(sub) = ctx.store.subscription(sub_id).await? else {
        return Ok(false);
    };
    let held = ctx.store.held_alerts(sub_id).await?;
    if held.is_empty() {
        return Ok(false);
    }
    let mut summary = summarise(&hush, &held, now);
    read_statuses(ctx, &sub.org_slug, &mut summary.shown).await;
    let row = catch_up_row(&sub, &held, summary, now);
    if !ctx
        .store
        .queue_catch_up(crate::store::AlertState::Held, &held, &row)
        .await?
    {
        tracing::debug!(subscription = %sub.id, "held alerts caught up elsewhere");
        return Ok(false);
    }
    tracing::info!(channel = %sub.channel_id, subscription = %sub.id, held = held.len(),
        "held alerts caught up in one message");
    metrics::counter!(crate::meters::ALERTS_GATHERED, "digest" => "catch_up")
        .increment(held.len() as u64);
    ctx.state.wake_delivery();
    Ok(true)
}

/// The catch-up of `held` (oldest first), as the hold ended at `now`. Pure.
pub(crate) fn summarise(hush: &Hush, held: &[AlertRow], now: i64) -> Held {
    let first_held = held.iter().map(|a| a.created_at_ms).min().unwrap_or(now);
    let mute = hush.mute.as_ref().filter(|m| {
        held.iter()
            .any(|r| m.from_ms <= r.created_at_ms && r.created_at_ms < m.until_ms)
    });
    let quiet = held.iter().any(|r| hush.quiet_at(r.created_at_ms));
    let (why, from_ms, until_ms) = match (mute, quiet) {
        (Some(m), false) => (
            HeldWhy::Muted,
            m.from_ms.min(first_held),
            m.until_ms.min(now),
        ),
        (Some(m), true) => (HeldWhy::MutedAndQuiet, m.from_ms.min(first_held), now),
        (None, _) => {
            let window_start = hush
                .quiet
                .as_ref()
                .zip(DateTime::from_timestamp_millis(first_held))
                .and_then(|(q, at)| q.started_before(at))
                .map_or(first_held, |start| start.timestamp_millis());
            (HeldWhy::QuietHours, window_start, now)
        }
    };
    counted(
        Held {
            why,
            from_ms,
            until_ms,
            new: 0,
            regressions: 0,
            escalations: 0,
            shown: Vec::new(),
        },
        held,
    )
}

/// The catch-up of alerts that waited while Slack refused their channel,
/// from `from_ms` (the pause's start, or the first alert) until `now`. Pure.
pub(crate) fn undeliverable(waited: &[AlertRow], from_ms: i64, now: i64) -> Held {
    let first = waited.iter().map(|a| a.created_at_ms).min().unwrap_or(now);
    counted(
        Held {
            why: HeldWhy::Undeliverable,
            from_ms: from_ms.min(first),
            until_ms: now,
            new: 0,
            regressions: 0,
            escalations: 0,
            shown: Vec::new(),
        },
        waited,
    )
}

/// `summary` with every alert of `held` counted and the first listed.
fn counted(mut summary: Held, held: &[AlertRow]) -> Held {
    for row in held {
        let alert = Alert::decode(&row.kind, &row.payload).ok();
        let (issues, regressed, escalated) = match alert {
            Some(Alert::Digest(digest)) => {
                // A burst held as one digest: every issue it counted.
                summary.new += digest.total;
                (digest.issues, false, false)
            }
            Some(Alert::Escalated { issue, .. }) => {
                summary.escalations += 1;
                (vec![issue], false, true)
            }
            Some(Alert::Regressed { issue, .. }) => {
                summary.regressions += 1;
                (vec![issue], true, false)
            }
            Some(alert) => {
                summary.new += 1;
                (alert.issue().cloned().into_iter().collect(), false, false)
            }
            // Unreadable, but planned: counted.
            None => {
                summary.new += 1;
                (Vec::new(), false, false)
            }
        };
        for issue in issues {
            if summary.shown.len() < CATCH_UP_ROWS {
                summary.shown.push(HeldIssue {
                    issue,
                    regressed,
                    escalated,
                    now: None,
                });
            }
        }
    }
    summary
}

/// Reads the listed issues' statuses now, so the catch-up can say which
/// were resolved meanwhile; an issue that cannot be read says nothing.
pub(crate) async fn read_statuses(ctx: &Context, org: &str, shown: &mut [HeldIssue]) {
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
/// still post it), pending, keyed by when it was made.
pub(crate) fn catch_up_row(
    sub: &SubscriptionRow,
    held: &[AlertRow],
    summary: Held,
    now: i64,
) -> AlertRow {
    let first_id = held.first().map(|a| a.issue_id.clone()).unwrap_or_default();
    let digest = Digest {
        issues: summary.shown.iter().map(|s| s.issue.clone()).collect(),
        total: summary.new + summary.regressions + summary.escalations,
        project: sub.project_slug.clone(),
        limit: sub.digest,
        beyond: Beyond::Nothing,
        held: Some(summary),
    };
    AlertRow {
        dedup_key: format!("{CATCH_UP_KEY}{now}"),
        ..outbox_row(sub, &first_id, &Alert::Digest(digest), Snapshot::default())
    }
}

/// The dedup key prefix of catch-up digests, which storms never grow.
pub(crate) const CATCH_UP_KEY: &str = "catchup:";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quiet::hush::Mute;
    use crate::sentry::models::Issue;
    use crate::store::AlertState;

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
    fn a_held_burst_digest_counts_every_issue_and_overlapping_holds_say_both() {
        let digest = Digest {
            issues: vec![Issue::bare("7", "Burst 7"), Issue::bare("8", "Burst 8")],
            total: 9,
            project: "api".into(),
            limit: 5,
            beyond: Beyond::Nothing,
            held: None,
        };
        let mut burst = held_row("7", AlertKind::Digest, 2_000);
        burst.payload = Alert::Digest(digest).payload();
        let regression = held_row("r", AlertKind::Regressed, 3_000);
        let hush = Hush {
            mute: Some(Mute {
                from_ms: 1_000,
                until_ms: 10_000,
                by: "U1".into(),
            }),
            // Quiet all day, every day, around the mute.
            quiet: crate::quiet::schedule::QuietHours::from_column("00:00-24:00 UTC daily"),
            urgent: None,
        };
        let summary = summarise(&hush, &[burst, regression], 20_000);
        assert_eq!((summary.new, summary.regressions), (9, 1));
        assert_eq!(summary.shown.len(), 3);
        assert_eq!(summary.why, HeldWhy::MutedAndQuiet);
        assert_eq!((summary.from_ms, summary.until_ms), (1_000, 20_000));
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
