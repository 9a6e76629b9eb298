//! Personal DMs from the outbox: a person's pending notices are claimed
//! together and drawn into one DM. Within [`FOLD_WINDOW`] of a DM's first
//! post, later notices are folded into it and it is updated in place, so a
//! person gets at most one DM per window however many issues are assigned
//! to them. The person's user id is the outbox's channel (one drain, one
//! lease, one message a second per person); the DM's own row records the
//! `D…` channel Slack answers with, which updates need.

use std::time::Duration;

use crate::alerts::context::{millis, Context, CHANNEL_GAP};
use crate::alerts::delivery::{
    after_slack_failure, is_permanent, record_with_retries, render_guarded, wait_until_due, Step,
    CLAIM_TTL,
};
use crate::alerts::diff::ForAssignee;
use crate::issues::card::Controls;
use crate::people::dm;
use crate::people::notice::{Dm, Notice, Reason, FOLD_WINDOW};
use crate::people::notify::Assigner;
use crate::store::{now_ms, AlertKind, AlertRow, AlertState, Snapshot};

/// A DM is redrawn at most this often while notices keep arriving; the
/// ones in between fold into the next redraw.
const REDRAW_GAP: Duration = Duration::from_secs(2);

/// Draws the pending notices of `head`'s person into their DM: a new one,
/// or the open one updated in place.
pub(super) async fn deliver(ctx: &Context, head: &AlertRow) -> Step {
    let outbox = head.subscription_id.as_str();
    let person = head.channel_id.as_str();
    let open = match ctx
        .store
        .open_dm(outbox, now_ms() - millis(FOLD_WINDOW))
        .await
    {
        Ok(open) => open,
        Err(e) => {
            // Not knowing whether a DM is open could post a second one.
            tracing::warn!(error = %e, "cannot read the person's open DM");
            return Step::LeftPending { rest: CHANNEL_GAP };
        }
    };
    if let Some(open) = &open {
        if wait_until_due(ctx, open.drawn_at_ms + millis(REDRAW_GAP)).await {
            // Read again: more may have arrived meanwhile.
            return Step::Done;
        }
    }
    // A DM whose payload cannot be read is not grown: a new one starts.
    let previous = open.as_ref().and_then(|o| Dm::decode(&o.row.payload).ok());
    let open = open.filter(|_| previous.is_some());
    let (claim, claimed) = match ctx
        .store
        .claim_personal(outbox, &ctx.state.replica, millis(CLAIM_TTL))
        .await
    {
        Ok(claimed) => claimed,
        Err(e) => {
            tracing::warn!(error = %e, "cannot claim the person's notices");
            return Step::LeftPending { rest: CHANNEL_GAP };
        }
    };
    let Some(first) = claimed.first() else {
        // Another replica holds them.
        return Step::LeftPending { rest: CHANNEL_GAP };
    };
    let notices: Vec<Notice> = claimed
        .iter()
        .filter_map(|row| Notice::decode(&row.payload).ok())
        .collect();
    if notices.is_empty() {
        tracing::error!("personal notices unreadable; giving up on them");
        let _ = ctx
            .store
            .fail_claimed(outbox, &claim, "unreadable payload", true, 1)
            .await;
        return Step::Done;
    }
    let dm = Dm::grown(previous, notices);
    let rendered =
        render_guarded(|| dm::dm(&dm, |org| Controls::for_server(&ctx.issues.gaps(org))));
    let message = match rendered {
        Ok(message) => message,
        Err(panic) => {
            tracing::error!(%panic, "rendering a DM panicked; giving up on its notices");
            let _ = ctx
                .store
                .fail_claimed(outbox, &claim, "rendering failed", true, 1)
                .await;
            return Step::Done;
        }
    };
    ctx.state.pacer.wait_turn(person).await;
    let drawn = match open.as_ref().and_then(|o| Some((o, o.row.ts.clone()?))) {
        Some((open, ts)) => ctx
            .slack
            .update_message(&open.row.channel_id, &ts, &message)
            .await
            .map(|()| (open.row.channel_id.clone(), ts, false)),
        None => ctx
            .slack
            .post_dm(person, &message)
            .await
            .map(|(channel, ts)| (channel, ts, true)),
    };
    let (channel, ts, is_new) = match drawn {
        Ok(drawn) => drawn,
        Err(e) => {
            return match &open {
                Some(existing) if is_permanent(&e) => {
                    let _ = ctx.store.release_claimed(outbox, &claim).await;
                    // The DM is gone or no longer editable: the next step starts another.
                    tracing::warn!(error = %e, "cannot update the person's DM; starting a new one");
                    match ctx.store.close_digest(&existing.row).await {
                        Ok(()) => Step::Done,
                        Err(_) => Step::LeftPending { rest: CHANNEL_GAP },
                    }
                }
                _ => after_slack_failure(ctx, outbox, person, &claimed, &claim, e).await,
            };
        }
    };
    let row = match &open {
        Some(existing) => AlertRow {
            payload: dm.payload(),
            ..existing.row.clone()
        },
        None => AlertRow {
            subscription_id: outbox.to_string(),
            issue_id: first.issue_id.clone(),
            kind: AlertKind::Dm,
            dedup_key: format!("dm:{}", first.dedup_key),
            // Slack names the DM channel; without it, the user id still reaches them.
            channel_id: if channel.is_empty() {
                person.to_string()
            } else {
                channel
            },
            org_slug: first.org_slug.clone(),
            payload: dm.payload(),
            state: AlertState::Posted,
            thread_ts: None,
            ts: None,
            status_snapshot: Snapshot::default(),
            attempts: 1,
            created_at_ms: now_ms(),
            posted_at_ms: None,
        },
    };
    match record_with_retries(|| ctx.store.record_digest(&row, is_new, &ts, &claim)).await {
        Some(marked) => {
            tracing::info!(
                notices = claimed.len(),
                total = dm.total,
                updated = !is_new,
                "personal DM drawn"
            );
            if is_new {
                metrics::counter!(crate::meters::ALERTS_POSTED, "kind" => "dm").increment(1);
            }
            if marked < claimed.len() as u64 {
                tracing::error!(
                    claimed = claimed.len(),
                    marked,
                    "some notices were taken over while drawn; they may show twice"
                );
            }
        }
        None => tracing::error!("DM drawn but not recorded; its notices may be drawn once more"),
    }
    Step::Done
}

/// Plans, off the caller's path (finding people in Slack takes time), the
/// DMs a poll of `org` saw reason for.
pub(crate) fn spawn_plan_for_assignees(ctx: &Context, org: &str, seen: Vec<ForAssignee>) {
    if seen.is_empty() {
        return;
    }
    let (ctx, org) = (ctx.clone(), org.to_string());
    tokio::spawn(async move { plan_for_assignees(&ctx, &org, seen).await });
}

/// Plans the DMs a poll or webhook of `org` saw reason for, and wakes
/// delivery when it planned any.
pub(crate) async fn plan_for_assignees(ctx: &Context, org: &str, seen: Vec<ForAssignee>) {
    let notifier = ctx.notifier();
    let mut planned = false;
    for item in seen {
        let done = match &item {
            ForAssignee::ArrivedAssigned(issue) | ForAssignee::Reassigned(issue) => {
                notifier
                    .assignment_seen(org, issue, Assigner::Unknown)
                    .await
            }
            ForAssignee::CameBack(issue) => {
                notifier.comeback_seen(org, issue, Reason::Regressed).await
            }
            ForAssignee::Escalated(issue) => {
                notifier.comeback_seen(org, issue, Reason::Escalated).await
            }
        };
        match done {
            Ok(yes) => planned |= yes,
            Err(e) => tracing::warn!(org, error = %e, "cannot plan a personal DM"),
        }
    }
    if planned {
        ctx.state.wake_delivery();
    }
}
