//! The delivery worker: one per process. Webhooks and ticks only wake it
//! ([`PollerState::wake_delivery`](crate::alerts::context::PollerState::wake_delivery)); it
//! drains pending alerts channel by channel, with one drain (so at most one
//! post) in flight per channel. Nothing in the process competes for an
//! alert's claim; across replicas the channel lease and the claims' fencing
//! decide.

use std::collections::{HashMap, HashSet};

use futures_util::FutureExt;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::alerts::context::{Context, CHANNEL_GAP};
use crate::alerts::outbox::{self, ChannelRun};

/// Channels read per scan of the outbox.
const CHANNELS_PER_SCAN: i64 = 1_000;
/// Channels drained at once: each posts at most once a second, so this is
/// also the process's messages per second, and it keeps the store's pool
/// (4 connections on SQLite) from queueing every drain's reads.
const DRAINS_AT_ONCE: usize = 32;

/// Drains channels whenever woken, until `finish` is cancelled and nothing
/// more can be posted now (what must wait is left for after a restart).
pub(crate) async fn run(ctx: Context, finish: CancellationToken) {
    let mut drains: JoinSet<(String, Option<ChannelRun>)> = JoinSet::new();
    let mut draining: HashSet<String> = HashSet::new();
    // Channels whose alerts must wait (a failure, a rate limit, another
    // replica delivering) before they are tried again.
    let mut resting: HashMap<String, Instant> = HashMap::new();
    loop {
        let now = Instant::now();
        resting.retain(|_, until| *until > now);
        let mut retry_scan = None;
        match ctx.store.pending_channels(CHANNELS_PER_SCAN).await {
            Ok(channels) => {
                for channel in channels {
                    if drains.len() >= DRAINS_AT_ONCE {
                        // The rest wait for a drain to finish, then a new scan.
                        break;
                    }
                    if resting.contains_key(&channel) || !draining.insert(channel.clone()) {
                        continue;
                    }
                    let ctx = ctx.clone();
                    drains.spawn(async move {
                        // A panic is caught here, so the channel is known and freed.
                        let run =
                            std::panic::AssertUnwindSafe(outbox::drain_channel(&ctx, &channel))
                                .catch_unwind()
                                .await
                                .ok();
                        (channel, run)
                    });
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the outbox; trying again shortly");
                retry_scan = Some(now + CHANNEL_GAP);
            }
        }
        if finish.is_cancelled() && drains.is_empty() {
            break;
        }
        let next_try = resting
            .values()
            .min()
            .copied()
            .into_iter()
            .chain(retry_scan)
            .min();
        tokio::select! {
            () = ctx.state.wake.notified() => {}
            Some(done) = drains.join_next(), if !drains.is_empty() => {
                let Ok((channel, run)) = done else { continue };
                draining.remove(&channel);
                match run {
                    Some(run) => {
                        let rest = run.rest.or(run.held_elsewhere.then_some(CHANNEL_GAP));
                        if let Some(rest) = rest {
                            resting.insert(channel, Instant::now() + rest);
                        }
                    }
                    None => {
                        metrics::counter!(crate::meters::POLLER_PANICS, "task" => "delivery").increment(1);
                        tracing::error!(%channel, "delivering to the channel panicked; trying again after the poll interval");
                        resting.insert(channel, Instant::now() + ctx.interval.max(CHANNEL_GAP));
                    }
                }
            }
            () = sleep_until(next_try), if next_try.is_some() => {}
            () = finish.cancelled(), if !finish.is_cancelled() => {}
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
