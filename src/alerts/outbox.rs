//! The outbox: one channel's pending alerts are claimed, rendered, posted
//! and marked, in order, at most one message per second per channel across
//! replicas. New-issue alerts that pile up for a subscription are gathered
//! into one digest (see [`storm`](crate::alerts::storm)). The
//! [`worker`](crate::alerts::worker) decides when a channel is drained.

use std::collections::HashSet;
use std::time::Duration;

use crate::alerts::alert::{Alert, Digest};
use crate::alerts::catch_up::{self, Decision};
use crate::alerts::context::{millis, Context, CHANNEL_GAP};
use crate::alerts::delivery::{
    after_slack_failure, is_permanent, record_with_retries, render_guarded, wait_until_due, Step,
    CLAIM_TTL, MAX_ATTEMPTS,
};
use crate::alerts::pause::{self, Gate};
use crate::alerts::personal;
use crate::alerts::storm::{self, Gathering};
use crate::issues::card::Controls;
use crate::slack::refusal::{self, Refusal};
use crate::slack::SlackError;
use crate::store::{
    now_ms, AlertKind, AlertRow, AlertState, Lease, MentionPolicy, OpenDigest, Snapshot,
    SubscriptionRow,
};

/// Longest `Retry-After` waited for inside one delivery.
const MAX_SLACK_WAIT: Duration = Duration::from_secs(10);
/// Pending alerts of a channel read per step.
const BATCH: i64 = 500;

/// How draining a channel ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ChannelRun {
    /// Alerts are left pending that should wait this long before the
    /// next try (a failure, a Slack rate limit).
    pub rest: Option<Duration>,
    /// Another replica delivers to the channel now.
    pub held_elsewhere: bool,
}

impl ChannelRun {
    fn rest_at_least(&mut self, rest: Duration) {
        self.rest = Some(self.rest.map_or(rest, |r| r.max(rest)));
    }
}

/// An outbox row's key.
type Key = (String, String, AlertKind, String);

fn key(row: &AlertRow) -> Key {
    (
        row.subscription_id.clone(),
        row.issue_id.clone(),
        row.kind.clone(),
        row.dedup_key.clone(),
    )
}

/// Posts a channel's pending alerts in order until none is left (or only
/// those that must wait). One replica at a time delivers to a channel (a
/// lease renewed before each message), so the one-a-second pace holds
/// across replicas; the lease lingers one gap after the last message.
pub(crate) async fn drain_channel(ctx: &Context, channel: &str) -> ChannelRun {
    let lease_key = format!("deliver\u{1f}{channel}");
    let replica = &ctx.state.replica;
    let mut run = ChannelRun::default();
    let mut leased = false;
    // Alerts tried this run and left pending wait for a later run.
    let mut waiting: HashSet<Key> = HashSet::new();
    // A paused channel is tried when its retry is due; a post that lands ends the pause.
    let mut retrying = match pause::gate(ctx, channel).await {
        Ok(Gate::Open) => false,
        Ok(Gate::Retry) => true,
        Ok(Gate::Resting(rest)) => {
            // Looked at again soon: a retry made due now (an invite, *Retry
            // now*, on any replica) is only in the store.
            run.rest_at_least(rest.min(pause::RECHECK));
            return run;
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot read whether the channel is paused");
            run.rest_at_least(CHANNEL_GAP);
            return run;
        }
    };
    loop {
        if ctx.stop_posting.is_cancelled() {
            // Stopping: the post in flight has finished; the rest wait for a replica.
            break;
        }
        let pending = match ctx.store.pending_alerts_in(channel, BATCH).await {
            Ok(pending) => pending,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read pending alerts");
                run.rest_at_least(CHANNEL_GAP);
                break;
            }
        };
        let pending: Vec<AlertRow> = pending
            .into_iter()
            .filter(|a| !waiting.contains(&key(a)))
            .collect();
        let Some(head) = pending.first() else {
            break;
        };
        match ctx
            .store
            .try_lease(&lease_key, replica, millis(CLAIM_TTL))
            .await
        {
            Ok(Lease::HeldElsewhere) => {
                run.held_elsewhere = true;
                break;
            }
            Ok(_) => leased = true,
            Err(e) => {
                tracing::warn!(error = %e, "cannot take the channel's delivery lease");
                run.rest_at_least(CHANNEL_GAP);
                break;
            }
        }
        // A muted subscription, or one in quiet hours, holds the alert back.
        let decision = match catch_up::decide(ctx, head).await {
            Ok(decision) => decision,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the subscription's quiet settings");
                run.rest_at_least(CHANNEL_GAP);
                waiting.insert(key(head));
                continue;
            }
        };
        if decision == Decision::Held {
            continue;
        }
        let storm = match (&head.kind, decision) {
            (AlertKind::Personal, _) | (_, Decision::PostAlone) => None,
            _ => storm_of(ctx, head, &pending).await,
        };
        let (taken, step) = match storm {
            None if head.kind == AlertKind::Personal => {
                let taken: Vec<Key> = pending
                    .iter()
                    .filter(|a| a.kind == AlertKind::Personal)
                    .map(key)
                    .collect();
                (taken, personal::deliver(ctx, head).await)
            }
            Some((sub, gathering, open, news)) => {
                let taken: Vec<Key> = news.iter().map(key).collect();
                (
                    taken,
                    deliver_gathered(ctx, &sub, gathering, open, news).await,
                )
            }
            None => (vec![key(head)], deliver_one(ctx, head).await),
        };
        match step {
            Step::LeftPending { rest } => {
                run.rest_at_least(rest);
                waiting.extend(taken);
            }
            Step::ChannelPaused { rest } => {
                run.rest_at_least(rest.min(pause::RECHECK));
                break;
            }
            Step::Posted if retrying => {
                pause::landed(ctx, channel).await;
                retrying = false;
            }
            Step::Posted | Step::Done => {}
        }
    }
    if leased {
        if let Err(e) = ctx
            .store
            .release_lease(&lease_key, replica, millis(CHANNEL_GAP))
            .await
        {
            tracing::warn!(error = %e, "cannot release the channel's delivery lease");
        }
    }
    run
}

/// When `head` is a new-issue alert whose subscription is in a storm: the
/// subscription, what to do, its open digest and its pending new-issue
/// alerts (oldest first).
async fn storm_of(
    ctx: &Context,
    head: &AlertRow,
    pending: &[AlertRow],
) -> Option<(
    SubscriptionRow,
    Gathering,
    Option<OpenDigest>,
    Vec<AlertRow>,
)> {
    if head.kind != AlertKind::New {
        return None;
    }
    let sub = match ctx.store.subscription(&head.subscription_id).await {
        Ok(Some(sub)) => sub,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the alert's subscription; posting it alone");
            return None;
        }
    };
    let news: Vec<AlertRow> = pending
        .iter()
        .filter(|a| a.subscription_id == sub.id && a.kind == AlertKind::New)
        .cloned()
        .collect();
    let now = now_ms();
    let open = ctx
        .store
        .open_digest(&sub.id, now - millis(storm::open_for(ctx.gather)))
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot read the subscription's open digest");
            None
        });
    let alone = ctx
        .store
        .posted_alone_since(&sub.id, now - millis(ctx.gather))
        .await
        .unwrap_or(0);
    let gathering = storm::gathering(
        news.len(),
        usize::try_from(alone).unwrap_or(0),
        sub.digest,
        open.is_some(),
    );
    (gathering != Gathering::Alone).then_some((sub, gathering, open, news))
}

/// Gathers the subscription's pending new-issue alerts into one digest:
/// a new one, or the open one updated in place (at most once per
/// gathering window, so the storm's next alerts gather meanwhile).
async fn deliver_gathered(
    ctx: &Context,
    sub: &SubscriptionRow,
    gathering: Gathering,
    open: Option<OpenDigest>,
    news: Vec<AlertRow>,
) -> Step {
    let open = open.filter(|_| gathering == Gathering::IntoOpenDigest);
    if let Some(digest) = &open {
        if wait_until_due(ctx, digest.drawn_at_ms + millis(ctx.gather)).await {
            // Read again: the storm went on while this waited.
            return Step::Done;
        }
    }
    let grown_from = open
        .as_ref()
        .and_then(|d| match Alert::decode(&d.row.kind, &d.row.payload) {
            Ok(Alert::Digest(digest)) => Some(digest),
            _ => None,
        });
    // A digest whose payload cannot be read is not grown: a new one starts.
    let open = open.filter(|_| grown_from.is_some());
    let ids: Vec<&str> = news.iter().map(|a| a.issue_id.as_str()).collect();
    let (claim, claimed) = match ctx
        .store
        .claim_new_alerts(&sub.id, &ids, &ctx.state.replica, millis(CLAIM_TTL))
        .await
    {
        Ok(claimed) => claimed,
        Err(e) => {
            tracing::warn!(error = %e, "cannot claim the gathered alerts");
            return Step::LeftPending { rest: CHANNEL_GAP };
        }
    };
    if claimed.is_empty() {
        // Another replica holds them.
        return Step::LeftPending { rest: CHANNEL_GAP };
    }
    let issues: Vec<_> = claimed
        .iter()
        .filter_map(|row| match Alert::decode(&row.kind, &row.payload) {
            Ok(Alert::New { issue } | Alert::Routed { issue, .. }) => Some(issue),
            _ => None,
        })
        .collect();
    // An alert whose payload cannot be read is still counted: it was planned.
    let unlisted = claimed.len() - issues.len();
    let mut digest = storm::grown(grown_from, issues, &sub.project_slug, sub.digest);
    digest.total += unlisted;
    let first = claimed[0].issue_id.clone();
    let row = match &open {
        Some(existing) => AlertRow {
            payload: Alert::Digest(digest.clone()).payload(),
            ..existing.row.clone()
        },
        None => gathered_row(sub, &first, &digest),
    };
    // A digest has no assignment controls to leave out.
    let message = Alert::Digest(digest.clone()).render(&sub.org_slug, None, Controls::ALL, None);
    ctx.state.pacer.wait_turn(&sub.channel_id).await;
    let drawn = match open.as_ref().and_then(|d| d.row.ts.clone()) {
        Some(ts) => ctx
            .slack
            .update_message(&sub.channel_id, &ts, &message)
            .await
            .map(|()| (ts, false)),
        None => ctx
            .slack
            .post_message(&sub.channel_id, &message, None, false)
            .await
            .map(|ts| (ts, true)),
    };
    let (ts, is_new) = match drawn {
        Ok(drawn) => drawn,
        Err(e) => {
            return match (e, &open) {
                (e, Some(existing)) if is_permanent(&e) => {
                    let _ = ctx.store.release_claimed(&sub.id, &claim).await;
                    // The digest is gone (deleted, or no longer editable):
                    // close it, and the next step starts another.
                    tracing::warn!(channel = %sub.channel_id, error = %e, "cannot update the storm's digest; starting a new one");
                    match ctx.store.close_digest(&existing.row).await {
                        Ok(()) => Step::Done,
                        Err(_) => Step::LeftPending { rest: CHANNEL_GAP },
                    }
                }
                (e, _) => {
                    after_slack_failure(ctx, &sub.id, &sub.channel_id, &claimed, &claim, e).await
                }
            };
        }
    };
    let marked = record_with_retries(|| ctx.store.record_digest(&row, is_new, &ts, &claim)).await;
    match marked {
        Some(marked) => {
            tracing::info!(
                channel = %sub.channel_id,
                gathered = claimed.len(),
                total = digest.total,
                %ts,
                updated = !is_new,
                "storm gathered into a digest"
            );
            let drawn = if is_new { "new" } else { "updated" };
            if is_new {
                metrics::counter!(crate::meters::ALERTS_POSTED, "kind" => "digest").increment(1);
            }
            metrics::counter!(crate::meters::ALERTS_GATHERED, "digest" => drawn).increment(marked);
            if marked < claimed.len() as u64 {
                tracing::error!(channel = %sub.channel_id, claimed = claimed.len(), marked, "some gathered alerts were taken over while drawn; they may show twice");
            }
        }
        None => {
            tracing::error!(channel = %sub.channel_id, "digest drawn but not recorded; its alerts may be drawn once more");
        }
    }
    Step::Posted
}

/// A new digest's outbox row for a storm whose first alert is `first`.
fn gathered_row(sub: &SubscriptionRow, first: &str, digest: &Digest) -> AlertRow {
    AlertRow {
        subscription_id: sub.id.clone(),
        issue_id: first.to_string(),
        kind: AlertKind::Digest,
        dedup_key: format!("gathered:{first}"),
        channel_id: sub.channel_id.clone(),
        org_slug: sub.org_slug.clone(),
        payload: Alert::Digest(digest.clone()).payload(),
        state: AlertState::Posted,
        thread_ts: None,
        ts: None,
        status_snapshot: Snapshot::default(),
        attempts: 1,
        created_at_ms: now_ms(),
        posted_at_ms: None,
    }
}

/// Claims, renders, posts and marks one alert.
async fn deliver_one(ctx: &Context, row: &AlertRow) -> Step {
    // Only the replica that claims an alert posts it.
    let claim = match ctx
        .store
        .claim_alert(row, &ctx.state.replica, millis(CLAIM_TTL))
        .await
    {
        Ok(Some(claim)) => claim,
        Ok(None) => return Step::LeftPending { rest: CHANNEL_GAP },
        Err(e) => {
            tracing::warn!(error = %e, "cannot claim the alert");
            return Step::LeftPending { rest: CHANNEL_GAP };
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
            return Step::Done;
        }
    };
    // A follow-up about an issue this channel muted ("Mute here") is
    // recorded, not posted.
    if let Alert::Regressed { issue, .. } | Alert::Escalated { issue, .. } = &alert {
        match ctx
            .store
            .muted_here(&row.channel_id, &row.org_slug, &issue.id)
            .await
        {
            Ok(Some(_)) => {
                tracing::info!(channel = %row.channel_id, issue = %issue.id, "regression not posted: muted in this channel");
                if let Err(e) = ctx.store.mark_muted(row, &claim).await {
                    tracing::warn!(error = %e, "cannot record the muted alert; retrying later");
                    let _ = ctx.store.release_alert(row, &claim).await;
                    return Step::LeftPending { rest: CHANNEL_GAP };
                }
                return Step::Done;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the channel's mutes; retrying later");
                let _ = ctx.store.release_alert(row, &claim).await;
                return Step::LeftPending { rest: CHANNEL_GAP };
            }
        }
    }
    // The latest event adds the triage facts; the alert goes out without it
    // when it cannot be had within the event's own short wait.
    let event = match alert.issue() {
        Some(issue) => {
            let fresh = matches!(alert, Alert::Regressed { .. } | Alert::Escalated { .. });
            ctx.issues
                .event_for_alert(&row.org_slug, &issue.id, fresh)
                .await
        }
        None => None,
    };
    // The assignee (or a suggested owner) is mentioned when the bot knows
    // who they are in Slack, as the subscription asks.
    let mention = match alert.issue() {
        // An unassigned issue from a webhook may still have suggested owners.
        Some(issue)
            if issue.assigned_to.is_some()
                || issue.owners.is_none()
                || issue.suggested_owner().is_some() =>
        {
            let policy = ctx
                .store
                .subscription(&row.subscription_id)
                .await
                .ok()
                .flatten()
                .map(|sub| sub.mention)
                .unwrap_or(MentionPolicy::None);
            ctx.mention(&row.org_slug, issue, policy).await
        }
        _ => None,
    };
    let rendered = render_guarded(|| {
        let controls = Controls::for_server(&ctx.issues.gaps(&row.org_slug));
        alert.render(
            &row.org_slug,
            event.as_deref(),
            controls,
            mention.as_deref(),
        )
    });
    let mut message = match rendered {
        Ok(message) => message,
        Err(panic) => {
            metrics::counter!(crate::meters::POLLER_PANICS, "task" => "render").increment(1);
            tracing::error!(kind = %row.kind, issue = %row.issue_id, %panic, "rendering the alert panicked; giving up on it");
            let _ = ctx
                .store
                .mark_failed(row, &claim, "rendering failed", true)
                .await;
            return Step::Done;
        }
    };
    // A regression replies in the original alert's thread when there is one.
    let thread = match &alert {
        Alert::Regressed { threads: true, .. } | Alert::Escalated { threads: true, .. } => ctx
            .store
            .alert_ts(&row.subscription_id, &row.issue_id, &AlertKind::New)
            .await
            .ok()
            .flatten(),
        _ => None,
    };
    let kind = alert.kind().to_string();
    let pacer = &ctx.state.pacer;
    let mut rate_limited = 0;
    // Whether `message` is the plain-text stand-in for a refused one.
    let mut plain = false;
    loop {
        pacer.wait_turn(&row.channel_id).await;
        // The claim must outlive the post: extend it before every attempt.
        match ctx.store.extend_claim(row, &claim, millis(CLAIM_TTL)).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(channel = %row.channel_id, issue = %row.issue_id, "claim lost before posting; leaving the alert to its new holder");
                return Step::LeftPending { rest: CHANNEL_GAP };
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot extend the alert's claim; retrying later");
                return Step::LeftPending { rest: CHANNEL_GAP };
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
                metrics::counter!(crate::meters::ALERTS_POSTED, "kind" => kind.clone())
                    .increment(1);
                match record_with_retries(|| ctx.store.mark_posted(row, &claim, &ts)).await {
                    Some(true) => {}
                    Some(false) => {
                        tracing::error!(channel = %row.channel_id, issue = %row.issue_id, "alert posted after its claim was taken over; it may show twice")
                    }
                    None => {
                        tracing::error!(channel = %row.channel_id, issue = %row.issue_id, "alert posted but not recorded; it may be posted once more")
                    }
                }
                return Step::Posted;
            }
            Err(SlackError::RateLimited { retry_after_secs }) => {
                let wait = Duration::from_secs(retry_after_secs.max(1));
                pacer.hold(&row.channel_id, wait);
                rate_limited += 1;
                // Long waits go back to the outbox rather than hold the
                // channel; so does any wait once shutdown can wait no longer.
                if wait > MAX_SLACK_WAIT || rate_limited > 3 || ctx.stop_posting.is_cancelled() {
                    tracing::warn!(channel = %row.channel_id, wait_s = wait.as_secs(), "Slack rate limit; retrying later");
                    let _ = ctx.store.release_alert(row, &claim).await;
                    return Step::LeftPending { rest: wait };
                }
                tracing::warn!(channel = %row.channel_id, wait_s = wait.as_secs(), "Slack rate limit; waiting");
            }
            Err(e) => {
                match refusal::refusal(&e) {
                    Some(Refusal::Channel(why)) => {
                        let _ = ctx.store.release_alert(row, &claim).await;
                        let code = refusal::reason_label(&e);
                        tracing::warn!(channel = %row.channel_id, kind, reason = %code, "Slack refuses the channel; the alert waits");
                        let rest = pause::refused(ctx, &row.channel_id, why, &code).await;
                        return Step::ChannelPaused { rest };
                    }
                    // The alert's own message is refused: once, as text alone.
                    Some(Refusal::Message) if !plain => {
                        let code = refusal::reason_label(&e);
                        metrics::counter!(crate::meters::SLACK_REFUSALS, "reason" => code.clone())
                            .increment(1);
                        tracing::warn!(channel = %row.channel_id, kind, reason = %code, "Slack refused the alert's message; posting it as plain text");
                        message = alert.plain(&row.org_slug);
                        plain = true;
                        continue;
                    }
                    _ => {}
                }
                let permanent = is_permanent(&e) || row.attempts + 1 >= MAX_ATTEMPTS;
                metrics::counter!(crate::meters::ALERTS_FAILED, "permanent" => permanent.to_string()).increment(1);
                tracing::error!(channel = %row.channel_id, kind, error = %e, permanent, "alert not posted");
                let _ = ctx
                    .store
                    .mark_failed(row, &claim, &e.to_string(), permanent)
                    .await;
                return if permanent {
                    Step::Done
                } else {
                    Step::LeftPending { rest: ctx.interval }
                };
            }
        }
    }
}
