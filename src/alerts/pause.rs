//! Channels Slack refuses posts to for good (`not_in_channel`,
//! `is_archived`, …). The refused alert stays pending and the channel is
//! paused: the outbox leaves it alone until its retry is due (backing off
//! from the poll interval to [`RETRY_CAP`]), or until someone fixes the
//! cause (the bot is invited: `member_joined_channel`; *Retry now*). The
//! first refusal of a pause sends one DM to the people who subscribed the
//! channel and to the workspace's admins, saying what happened and what
//! fixes it. When a retry is due, alerts that waited over a day are folded
//! into one catch-up per subscription; the first post that lands ends the
//! pause.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::alerts::catch_up;
use crate::alerts::context::{millis, Context};
use crate::alerts::pause_message;
use crate::slack::refusal::ChannelRefusal;
use crate::store::{now_ms, AlertRow, StoreError};

/// Longest wait between retries of a paused channel.
pub(crate) const RETRY_CAP: Duration = Duration::from_secs(15 * 60);
/// How often a paused channel's pause is read again, so a retry made due
/// now on any replica is acted on within this long.
pub(crate) const RECHECK: Duration = Duration::from_secs(5);
/// Alerts that waited longer than this arrive as one catch-up.
pub(crate) const STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// Whether the outbox may post to a channel now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Not paused.
    Open,
    /// Paused; the next retry is this far off.
    Resting(Duration),
    /// Paused, and a retry is due: post, and a landed post ends the pause.
    Retry,
}

/// How long the retry after `tries` refused ones waits: the poll interval,
/// doubling, at most [`RETRY_CAP`]. Pure.
pub(crate) fn retry_after(interval: Duration, tries: i64) -> Duration {
    let doublings = u32::try_from(tries.clamp(0, 16)).unwrap_or(16);
    interval
        .max(Duration::from_secs(1))
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(RETRY_CAP)
}

/// Reads whether `channel` is paused and, when its retry is due, folds
/// its stale alerts into catch-ups first.
pub(crate) async fn gate(ctx: &Context, channel: &str) -> Result<Gate, StoreError> {
    let Some(pause) = ctx.store.channel_pause(channel).await? else {
        return Ok(Gate::Open);
    };
    let now = now_ms();
    if pause.retry_at_ms > now {
        let wait = u64::try_from(pause.retry_at_ms - now).unwrap_or(0);
        return Ok(Gate::Resting(Duration::from_millis(wait)));
    }
    fold_stale(ctx, channel, pause.paused_at_ms, now).await?;
    Ok(Gate::Retry)
}

/// Slack refused a post to `channel` with `code` for good: pauses the
/// channel and, when this starts the pause, tells the people concerned.
/// Returns how long the channel rests before its retry.
pub(crate) async fn refused(
    ctx: &Context,
    channel: &str,
    why: ChannelRefusal,
    code: &str,
) -> Duration {
    metrics::counter!(crate::meters::SLACK_REFUSALS, "reason" => code.to_string()).increment(1);
    let now = now_ms();
    let tries = match ctx.store.channel_pause(channel).await {
        Ok(Some(pause)) => pause.tries + 1,
        Ok(None) => 0,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the channel's pause");
            0
        }
    };
    let rest = retry_after(ctx.interval, tries);
    match ctx
        .store
        .pause_channel(channel, code, now, now + millis(rest))
        .await
    {
        Ok(true) => {
            tracing::warn!(%channel, reason = code, "Slack refuses posts to the channel; its alerts wait and its subscribers are told");
            tell(ctx, channel, why).await;
        }
        Ok(false) => {
            tracing::info!(%channel, reason = code, tries, retry_in_s = rest.as_secs(), "the channel still refuses posts")
        }
        Err(e) => tracing::warn!(error = %e, "cannot record the channel's pause"),
    }
    rest
}

/// A post landed in `channel` during a retry: its pause ends.
pub(crate) async fn landed(ctx: &Context, channel: &str) {
    match ctx.store.resume_channel(channel).await {
        Ok(true) => {
            tracing::info!(%channel, "Slack takes posts to the channel again; delivery resumed")
        }
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "cannot end the channel's pause"),
    }
}

/// One DM each to the people who subscribed `channel` and to the admins.
async fn tell(ctx: &Context, channel: &str, why: ChannelRefusal) {
    let subs = match ctx.store.channel_subscriptions(channel).await {
        Ok(subs) => subs,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the channel's subscriptions; telling the admins only");
            Vec::new()
        }
    };
    let waiting = ctx
        .store
        .channel_deliveries(channel, 0)
        .await
        .map(|d| d.pending)
        .unwrap_or(0);
    let projects: Vec<String> = subs
        .iter()
        .map(|s| format!("{}/{}", s.org_slug, s.project_slug))
        .collect();
    let mut people: Vec<&str> = subs.iter().map(|s| s.created_by.as_str()).collect();
    people.extend(ctx.admins.iter().map(String::as_str));
    people.retain(|p| !p.is_empty());
    people.sort_unstable();
    people.dedup();
    let message = pause_message::paused(channel, why, &projects, waiting);
    for person in people {
        match ctx.slack.post_dm(person, &message).await {
            Ok(_) => tracing::info!(%channel, %person, "told of the channel's refusal"),
            Err(e) => {
                tracing::warn!(%channel, %person, error = %e, "cannot tell of the channel's refusal")
            }
        }
    }
}

/// Folds `channel`'s alerts pending since before a day ago into one
/// catch-up per subscription, the hold counted from `paused_at_ms`.
async fn fold_stale(
    ctx: &Context,
    channel: &str,
    paused_at_ms: i64,
    now: i64,
) -> Result<(), StoreError> {
    let stale = ctx
        .store
        .stale_pending_in(channel, now - millis(STALE_AFTER))
        .await?;
    let mut by_sub: BTreeMap<String, Vec<AlertRow>> = BTreeMap::new();
    for row in stale {
        by_sub
            .entry(row.subscription_id.clone())
            .or_default()
            .push(row);
    }
    for (sub_id, rows) in by_sub {
        let Some(sub) = ctx.store.subscription(&sub_id).await? else {
            continue;
        };
        let mut summary = catch_up::undeliverable(&rows, paused_at_ms, now);
        catch_up::read_statuses(ctx, &sub.org_slug, &mut summary.shown).await;
        let row = catch_up::catch_up_row(&sub, &rows, summary, now);
        if ctx
            .store
            .queue_catch_up(crate::store::AlertState::Pending, &rows, &row)
            .await?
        {
            tracing::info!(%channel, subscription = %sub_id, alerts = rows.len(), "alerts that waited over a day folded into one catch-up");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_from_the_poll_interval_to_a_cap() {
        let minute = Duration::from_secs(60);
        assert_eq!(retry_after(minute, 0), minute);
        assert_eq!(retry_after(minute, 1), 2 * minute);
        assert_eq!(retry_after(minute, 3), 8 * minute);
        assert_eq!(retry_after(minute, 4), RETRY_CAP);
        assert_eq!(retry_after(minute, 1_000), RETRY_CAP);
        assert_eq!(
            retry_after(Duration::from_millis(200), 0),
            Duration::from_secs(1)
        );
    }
}
