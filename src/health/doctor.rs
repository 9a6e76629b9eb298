//! `/sentry doctor [retry [channel]]`, and the bot being added to a
//! channel: reads what is known about a channel's alerts (its pause, what
//! Slack says of it, its subscriptions' last poll, webhook and post, its
//! waiting and failed alerts, its orgs) and answers with
//! [`report`](crate::health::report); a retry makes a paused channel due
//! now and puts the last day's failed alerts back in the outbox.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use crate::context::{Context, Invocation};
use crate::health::report::{self, ChannelCheck, Membership, OrgCheck, SubscriptionCheck};
use crate::orgs::grants::LinkedOrg;
use crate::slack::refusal::ChannelRefusal;
use crate::slack::Message;
use crate::store::{now_ms, StoreError};

/// How far back failed alerts are shown and retried.
const FAILED_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);
/// Channels a DM's overview checks at most.
const OVERVIEW_CHANNELS: usize = 40;

fn failed_since(now: i64) -> i64 {
    now - i64::try_from(FAILED_WINDOW.as_millis()).unwrap_or(i64::MAX)
}

/// Whether `channel` is a DM with the bot (its checks cover every channel).
fn is_dm(channel: &str) -> bool {
    channel.starts_with('D')
}

/// `/sentry doctor`: this channel in full, or from a DM every subscribed
/// channel (an admin) or those the person subscribed.
pub(crate) async fn doctor(ctx: &Context, who: &Invocation) -> Message {
    let orgs = linked(ctx).await;
    if is_dm(&who.channel_id) {
        return overview(ctx, who, &orgs).await;
    }
    match check(ctx, &who.channel_id, &orgs, true).await {
        Ok(check) => report::channel(&check, None),
        Err(e) => unreadable(&e),
    }
}

/// `/sentry doctor retry [channel]` (*Retry now*): retries `channel` (this
/// one when none is named) now, then checks it.
pub(crate) async fn retry(ctx: &Context, who: &Invocation, channel: Option<&str>) -> Message {
    let channel = channel.unwrap_or(&who.channel_id).to_string();
    if is_dm(&channel) {
        return Message::mrkdwn(
            "Run `/sentry doctor retry` in the channel to retry, or press *Retry now* on its line of `/sentry doctor`.",
        );
    }
    if channel != who.channel_id && !may_see(ctx, &who.user_id, &channel).await {
        return Message::mrkdwn(
            ":lock: Only someone who subscribed that channel, or a workspace admin, can retry it from here; \
             run `/sentry doctor retry` in the channel itself.",
        );
    }
    let now = now_ms();
    let paused = ctx.store.retry_channel_now(&channel).await;
    let failed = ctx.store.retry_failed_in(&channel, failed_since(now)).await;
    let note = match (paused, failed) {
        (Ok(paused), Ok(failed)) => {
            tracing::info!(%channel, paused, failed, by = %who.user_id, "delivery retried by hand");
            ctx.wake_delivery.notify_one();
            retried_note(paused, failed)
        }
        (Err(e), _) | (_, Err(e)) => return unreadable(&e),
    };
    // The retry's first post takes a moment; the check shows the state before it.
    let orgs = linked(ctx).await;
    match check(ctx, &channel, &orgs, true).await {
        Ok(check) => report::channel(&check, Some(&note)),
        Err(e) => unreadable(&e),
    }
}

/// What a retry did, in words.
fn retried_note(paused: bool, failed: u64) -> String {
    let mut done = Vec::new();
    if paused {
        done.push("retrying the paused channel now".to_string());
    }
    match failed {
        0 => {}
        1 => done.push("1 failed alert sent again".to_string()),
        n => done.push(format!("{n} failed alerts sent again")),
    }
    if done.is_empty() {
        ":repeat: Nothing to retry: no pause and no failed alert in the last day.".to_string()
    } else {
        format!(
            ":repeat: Retry: {}. If Slack still refuses, the reason below stays red.",
            done.join("; ")
        )
    }
}

/// The bot was added to `channel` (`member_joined_channel` for the bot's
/// own user): a pause for not being a member ends, any other is retried now.
pub(crate) async fn joined(ctx: &Context, channel: &str, user: &str) {
    let bot = match ctx.bot_user_id().await {
        Some(bot) => bot,
        None => return,
    };
    if user != bot {
        return;
    }
    let pause = match ctx.store.channel_pause(channel).await {
        Ok(Some(pause)) => pause,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the channel's pause");
            return;
        }
    };
    // With alerts waiting, a retry now posts them (those over a day old
    // folded into a catch-up) and its first post ends the pause; with none,
    // the cause of a `not_in_channel` pause is simply gone.
    let waiting = ctx
        .store
        .channel_deliveries(channel, now_ms())
        .await
        .map_or(1, |d| d.pending);
    let not_in_channel =
        ChannelRefusal::from_code(&pause.reason) == Some(ChannelRefusal::NotInChannel);
    let done = if waiting == 0 && not_in_channel {
        ctx.store.resume_channel(channel).await
    } else {
        ctx.store.retry_channel_now(channel).await
    };
    match done {
        Ok(_) => {
            tracing::info!(%channel, "the bot was added to the channel; its waiting alerts go out");
            ctx.wake_delivery.notify_one();
        }
        Err(e) => tracing::warn!(error = %e, "cannot resume the channel"),
    }
}

/// The channel was unarchived (`channel_unarchive`): a paused channel is retried now.
pub(crate) async fn unarchived(ctx: &Context, channel: &str) {
    match ctx.store.retry_channel_now(channel).await {
        Ok(true) => {
            tracing::info!(%channel, "the channel was unarchived; retrying its alerts");
            ctx.wake_delivery.notify_one();
        }
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "cannot retry the channel"),
    }
}

/// The linked orgs; none when they cannot be read (each then shows as unlinked).
async fn linked(ctx: &Context) -> Vec<LinkedOrg> {
    ctx.issues.linked_orgs().await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cannot read the linked orgs for the doctor");
        Vec::new()
    })
}

/// Everything known about `channel`'s alerts.
async fn check(
    ctx: &Context,
    channel: &str,
    orgs: &[LinkedOrg],
    ask_slack: bool,
) -> Result<ChannelCheck, StoreError> {
    let now = now_ms();
    let membership = if ask_slack {
        match ctx.slack.channel_state(channel).await {
            Ok(state) => Membership::Known(state),
            Err(e) => Membership::Unknown(crate::slack::refusal::reason_label(&e)),
        }
    } else {
        Membership::NotChecked
    };
    let pause = ctx.store.channel_pause(channel).await?;
    let subs = ctx.store.channel_subscriptions(channel).await?;
    let timeline = ctx.store.channel_timeline(channel).await?;
    let deliveries = ctx
        .store
        .channel_deliveries(channel, failed_since(now))
        .await?;
    let webhooks: HashMap<String, i64> = ctx.store.webhook_arrivals().await?;
    let used: BTreeSet<&str> = subs.iter().map(|s| s.org_slug.as_str()).collect();
    let orgs = used
        .into_iter()
        .map(|org| OrgCheck {
            org: org.to_string(),
            linked: orgs
                .iter()
                .find(|o| o.org == org)
                .map(|o| (o.kind, o.health)),
            webhook_ms: webhooks.get(org).copied(),
        })
        .collect();
    let subs = subs
        .into_iter()
        .map(|sub| {
            let (polled_ms, posted_ms) = timeline.get(&sub.id).copied().unwrap_or_default();
            SubscriptionCheck {
                sub,
                polled_ms,
                posted_ms,
            }
        })
        .collect();
    Ok(ChannelCheck {
        channel: channel.to_string(),
        membership,
        pause,
        subs,
        orgs,
        deliveries,
    })
}

/// Whether `user` may see another channel's deliveries: an admin, or
/// someone who subscribed it (private channels' subscriptions stay private).
async fn may_see(ctx: &Context, user: &str, channel: &str) -> bool {
    if ctx.is_admin(user).await {
        return true;
    }
    ctx.store
        .channel_subscriptions(channel)
        .await
        .is_ok_and(|subs| subs.iter().any(|s| s.created_by == user))
}

/// Every subscribed channel (and every paused one) for an admin, those the
/// person subscribed for anyone else, a line each.
async fn overview(ctx: &Context, who: &Invocation, orgs: &[LinkedOrg]) -> Message {
    let admin = ctx.is_admin(&who.user_id).await;
    let mut channels: BTreeSet<String> = match ctx.store.subscriptions().await {
        Ok(subs) => subs
            .into_iter()
            .filter(|s| admin || s.created_by == who.user_id)
            .map(|s| s.channel_id)
            .collect(),
        Err(e) => return unreadable(&e),
    };
    if admin {
        if let Ok(pauses) = ctx.store.channel_pauses().await {
            channels.extend(pauses.into_iter().map(|p| p.channel_id));
        }
    }
    let checks = futures_util::future::join_all(
        channels
            .iter()
            .take(OVERVIEW_CHANNELS)
            .map(|channel| check(ctx, channel, orgs, false)),
    )
    .await;
    let mut checks: Vec<ChannelCheck> = checks.into_iter().filter_map(Result::ok).collect();
    // The broken ones first.
    checks.sort_by_key(|c| std::cmp::Reverse(c.worst()));
    report::overview(&checks)
}

fn unreadable(e: &StoreError) -> Message {
    tracing::warn!(error = %e, "the doctor cannot read the store");
    Message::mrkdwn(
        ":warning: The bot cannot read its own records right now; try again in a minute.",
    )
}
