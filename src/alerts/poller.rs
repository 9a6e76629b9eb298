//! The poll loop: every `POLL_INTERVAL` a tick schedules due groups, plans
//! their alerts, syncs posted ones and wakes the delivery worker; shutdown
//! lets the current tick and the outbox finish.

use std::future::Future;
use std::time::Duration;

use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

use super::context::{millis, Context};
use super::group::Group;
use super::{backstop, plan, schedule, sync};

/// Groups polled at once: enough to overlap Sentry's latency, few enough
/// that the store's pool (4 connections on SQLite) never times a group out.
const GROUPS_AT_ONCE: usize = 16;
/// How often rows past `RETENTION` are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Rows deleted per statement when pruning.
const PRUNE_BATCH: i64 = 500;

/// Polls until `shutdown` is cancelled.
pub async fn run(ctx: Context, shutdown: CancellationToken) {
    tracing::info!(
        interval_ms = u64::try_from(ctx.interval.as_millis()).unwrap_or(u64::MAX),
        replica = %ctx.state.replica,
        "poller started"
    );
    loop {
        // A tick runs to the end, so no post is cut off between Slack and its record.
        supervised("tick", tick(ctx.clone())).await;
        supervised("prune", prune_if_due(ctx.clone())).await;
        tokio::select! {
            () = tokio::time::sleep(ctx.interval) => {}
            () = shutdown.cancelled() => break,
        }
    }
    tracing::info!("poller stopped");
}

/// Runs `work` as its own task, so a panic in it is logged, counted and
/// survived: the poller goes on with the next tick instead of stopping
/// alerts silently. Returns whether it completed.
pub async fn supervised(
    task: &'static str,
    work: impl Future<Output = ()> + Send + 'static,
) -> bool {
    match tokio::spawn(work).await {
        Ok(()) => true,
        Err(e) if e.is_panic() => {
            metrics::counter!(crate::meters::POLLER_PANICS, "task" => task).increment(1);
            let panic = e.into_panic();
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            tracing::error!(task, %message, "poller task panicked; carrying on with the next tick");
            false
        }
        Err(e) => {
            tracing::warn!(task, error = %e, "poller task was cancelled");
            false
        }
    }
}

/// Deletes alerts and activity past `RETENTION`, at most once per [`PRUNE_EVERY`].
/// How often a replica records when its subscriptions were polled.
const POLL_MARK_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Records when the subscriptions of the groups this tick polled were
/// polled (for `/sentry doctor`): at once for a subscription this replica
/// has not recorded yet, otherwise at most once a [`POLL_MARK_EVERY`].
async fn mark_polled(ctx: &Context, subs: Vec<String>) {
    if subs.is_empty() {
        return;
    }
    {
        let Ok(mut mark) = ctx.state.poll_marks.lock() else {
            return;
        };
        let now = tokio::time::Instant::now();
        let fresh = subs.iter().any(|s| !mark.recorded.contains(s));
        let due = mark
            .at
            .is_none_or(|at| now.duration_since(at) >= POLL_MARK_EVERY);
        if !fresh && !due {
            return;
        }
        mark.at = Some(now);
        mark.recorded.extend(subs.iter().cloned());
    }
    if let Err(e) = ctx.store.mark_polled(&subs, crate::store::now_ms()).await {
        tracing::debug!(error = %e, "cannot record when subscriptions were polled");
    }
}

async fn prune_if_due(ctx: Context) {
    {
        let mut last = ctx
            .state
            .last_prune
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|at| at.elapsed() < PRUNE_EVERY) {
            return;
        }
        *last = Some(tokio::time::Instant::now());
    }
    let before = crate::store::now_ms() - millis(ctx.retention);
    match ctx.store.prune(before, PRUNE_BATCH).await {
        Ok(0) => {}
        Ok(deleted) => {
            metrics::counter!(crate::meters::PRUNED_ROWS).increment(deleted);
            tracing::info!(
                deleted,
                retention_s = ctx.retention.as_secs(),
                "pruned rows past retention"
            );
        }
        Err(e) => tracing::warn!(error = %e, "cannot prune rows past retention"),
    }
}

/// One poll of every group; then the delivery worker is woken.
pub async fn tick(ctx: Context) {
    let ctx = &ctx;
    let started = std::time::Instant::now();
    let groups = match schedule::due_groups(ctx).await {
        Some(groups) => groups,
        None => return,
    };
    ctx.state
        .page_prints
        .keep_only(groups.iter().map(Group::lease_key));
    // Orgs whose webhooks are live are polled at the backstop pace.
    let arrivals = match ctx.store.webhook_arrivals().await {
        Ok(arrivals) => Some(arrivals),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read webhook arrivals; polling every org in full");
            None
        }
    };
    let live = arrivals
        .as_ref()
        .map(|a| backstop::live_orgs(a, crate::store::now_ms()))
        .unwrap_or_default();
    let groups: Vec<Group> = groups
        .into_iter()
        .filter(|g| ctx.state.backstop.due(g, &live, ctx.interval))
        .collect();
    let group_count = groups.len();
    // Unknown arrivals: no page counts as quiet this tick.
    let renewed = &match arrivals {
        Some(arrivals) => schedule::renew_held(ctx, &groups, arrivals).await,
        None => schedule::Renewed::none(),
    };
    let polled_subs = &std::sync::Mutex::new(Vec::new());
    futures_util::stream::iter(groups)
        .for_each_concurrent(GROUPS_AT_ONCE, |group| async move {
            let Some(polled) = plan::poll_group(ctx, &group, renewed).await else {
                return;
            };
            if let Ok(mut subs) = polled_subs.lock() {
                subs.extend(group.subs.iter().map(|s| s.id.clone()));
            }
            // A quiet page shows every issue as the last complete sync saw it.
            if !polled.quiet && !sync::sync_group(ctx, &group, &polled.items).await {
                ctx.state.page_prints.forget(&group.lease_key());
            }
        })
        .await;
    ctx.state.wake_delivery();
    let polled_subs = polled_subs
        .lock()
        .map(|mut subs| std::mem::take(&mut *subs))
        .unwrap_or_default();
    mark_polled(ctx, polled_subs).await;
    metrics::histogram!(crate::meters::POLL_TICK_SECONDS).record(started.elapsed().as_secs_f64());
    if let Ok(waiting) = ctx.store.pending_count().await {
        metrics::gauge!(crate::meters::OUTBOUND_QUEUE).set(waiting as f64);
    }
    tracing::debug!(
        groups = group_count,
        elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(0),
        "tick done"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn a_panicking_tick_is_survived_and_the_next_one_runs() {
        let ticks = Arc::new(AtomicUsize::new(0));
        for round in 0..3 {
            let counter = ticks.clone();
            let completed = supervised("tick", async move {
                if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                    panic!("one bad payload");
                }
            })
            .await;
            assert_eq!(completed, round > 0, "only the first tick panicked");
        }
        assert_eq!(ticks.load(Ordering::SeqCst), 3, "the poller kept ticking");
    }
}
