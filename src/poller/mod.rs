//! The alert poller. Every `POLL_INTERVAL` a tick runs three jobs, each in
//! its own file:
//!
//! - [`schedule`]: groups subscriptions by (org, project, query), skips orgs
//!   that are backing off, and takes each group's lease so one replica polls
//!   it; [`plan`] then lists the group once, diffs the page against what each
//!   subscription has seen, and writes the planned [`alert::Alert`]s to the
//!   outbox in the same transaction;
//! - [`sync`]: redraws posted alerts whose issue changed in Sentry;
//! - [`outbox`]: claims pending alerts, renders and posts them, and marks
//!   them posted, at most one message per second per channel.
//!
//! Delivery is at-least-once with one documented window: a crash after
//! Slack accepted a post and before it is marked posted re-posts that one
//! alert after restart. Nothing else is posted twice, because an alert is
//! planned once (unique per subscription, issue, kind and dedup key) and
//! marked posted right after Slack answers.

pub mod alert;
pub mod diff;
pub mod outbox;
pub mod pacer;
pub mod plan;
pub mod schedule;
pub mod sync;

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use tokio_util::sync::CancellationToken;

use crate::issues::IssueService;
use crate::slack::web::SlackWeb;
use crate::store::Store;
use pacer::Pacer;
use schedule::Backoffs;

/// At most one message per this long per channel.
const CHANNEL_GAP: Duration = Duration::from_secs(1);

/// What the poller works with. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Context {
    /// Sentry, through the org's grant.
    pub issues: Arc<IssueService>,
    /// Subscriptions, seen issues, the outbox, leases.
    pub store: Store,
    /// Where alerts are posted.
    pub slack: SlackWeb,
    /// `POLL_INTERVAL`.
    pub interval: Duration,
    /// State kept across ticks.
    pub state: Arc<PollerState>,
}

/// Poller state shared across ticks.
#[derive(Debug)]
pub struct PollerState {
    /// One message per second per channel.
    pub pacer: Pacer,
    /// This replica's name in leases and claims.
    pub replica: String,
    /// Orgs whose polls failed, and until when they wait.
    backoffs: Backoffs,
}

impl Default for PollerState {
    fn default() -> Self {
        let host = std::env::var("FLY_MACHINE_ID")
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_else(|_| "replica".into());
        Self {
            pacer: Pacer::new(CHANNEL_GAP),
            replica: format!("{host}-{:08x}", rand::random::<u32>()),
            backoffs: Backoffs::default(),
        }
    }
}

/// Milliseconds of `d`, saturating.
pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Polls until `shutdown` is cancelled.
pub async fn run(ctx: Context, shutdown: CancellationToken) {
    tracing::info!(
        interval_ms = u64::try_from(ctx.interval.as_millis()).unwrap_or(u64::MAX),
        replica = %ctx.state.replica,
        "poller started"
    );
    loop {
        // A tick runs to the end, so no post is cut off between Slack and its record.
        tick(&ctx).await;
        tokio::select! {
            () = tokio::time::sleep(ctx.interval) => {}
            () = shutdown.cancelled() => break,
        }
    }
    tracing::info!("poller stopped");
}

/// One poll of every group, then delivery.
pub async fn tick(ctx: &Context) {
    let started = std::time::Instant::now();
    let groups = match schedule::due_groups(ctx).await {
        Some(groups) => groups,
        None => return,
    };
    let group_count = groups.len();
    // Read once per tick, not once per group: the window may hold many alerts.
    let posted = &sync::posted_alerts_by_subscription(ctx).await;
    join_all(groups.into_iter().map(|group| async move {
        if let Some(page) = plan::poll_group(ctx, &group).await {
            sync::sync_group(ctx, &group, posted, &page).await;
        }
    }))
    .await;
    outbox::deliver(ctx).await;
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

pub use outbox::deliver;
