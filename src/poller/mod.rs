//! The alert poller: every `POLL_INTERVAL` it lists each (org, project,
//! query) group's issues once, diffs them against what each subscription
//! has seen, stores the planned alerts in the outbox in the same transaction,
//! then posts pending alerts, at most one per second per channel.
//!
//! Delivery is at-least-once with one documented window: a crash after
//! Slack accepted a post and before it is marked posted re-posts that one
//! alert after restart. Nothing else is posted twice, because an alert is
//! planned once (unique per subscription, issue and kind) and marked posted
//! right after Slack answers.

pub mod diff;
pub mod pacer;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use futures_util::future::join_all;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::app::AppState;
use crate::grants::GrantError;
use crate::render::alerts;
use crate::render::Message;
use crate::sentry::client::MAX_PAGE;
use crate::sentry::models::Issue;
use crate::sentry::{IssueQuery, SentryError};
use crate::slack::SlackError;
use crate::store::{now_ms, AlertRow, Lease, SubscriptionRow};
use diff::{diff, Planned};
use pacer::Pacer;

/// Alerts whose issue changes in Sentry within this window get updated.
const SYNC_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);
/// Issues re-read per group per tick for status sync.
const SYNC_PER_TICK: usize = 50;
/// Delivery attempts before an alert is given up on.
const MAX_ATTEMPTS: i64 = 10;
/// Longest `Retry-After` waited for inside one delivery.
const MAX_SLACK_WAIT: Duration = Duration::from_secs(10);

/// How long a replica may hold a delivery claim; a post (with its retries)
/// must finish well inside it.
const CLAIM_TTL: Duration = Duration::from_secs(20);
/// At most one message per this long per channel.
const CHANNEL_GAP: Duration = Duration::from_secs(1);

/// Poller state shared across ticks.
#[derive(Debug)]
pub struct PollerState {
    /// One message per second per channel.
    pub pacer: Pacer,
    /// This replica's name in leases and claims.
    pub replica: String,
    backoff: Mutex<HashMap<String, (u32, tokio::time::Instant)>>,
}

impl Default for PollerState {
    fn default() -> Self {
        let host = std::env::var("FLY_MACHINE_ID")
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_else(|_| "replica".into());
        Self {
            pacer: Pacer::new(CHANNEL_GAP),
            replica: format!("{host}-{:08x}", rand::random::<u32>()),
            backoff: Mutex::new(HashMap::new()),
        }
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl PollerState {
    fn backing_off(&self, org: &str) -> bool {
        let backoff = self.backoff.lock().unwrap_or_else(|e| e.into_inner());
        backoff
            .get(org)
            .is_some_and(|(_, until)| *until > tokio::time::Instant::now())
    }

    /// Failing orgs wait longer each time, on their own schedule.
    fn failed(&self, org: &str, interval: Duration) {
        let mut backoff = self.backoff.lock().unwrap_or_else(|e| e.into_inner());
        let failures = backoff.get(org).map_or(0, |(f, _)| *f) + 1;
        let wait = interval
            .saturating_mul(2u32.saturating_pow(failures.min(6)))
            .min(Duration::from_secs(600));
        backoff.insert(
            org.to_string(),
            (failures, tokio::time::Instant::now() + wait),
        );
    }

    fn succeeded(&self, org: &str) {
        self.backoff
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(org);
    }
}

/// Polls until `shutdown` is cancelled.
pub async fn run(state: AppState, shutdown: CancellationToken) {
    let interval = state.config.poll_interval;
    tracing::info!(
        interval_ms = u64::try_from(interval.as_millis()).unwrap_or(u64::MAX),
        replica = %state.poller.replica,
        "poller started"
    );
    loop {
        // A tick runs to the end, so no post is cut off between Slack and its record.
        tick(&state).await;
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = shutdown.cancelled() => break,
        }
    }
    tracing::info!("poller stopped");
}

type GroupKey = (String, String, String, String);

/// One poll of every group, then delivery.
pub async fn tick(state: &AppState) {
    let started = std::time::Instant::now();
    let subs = match state.store.subscriptions().await {
        Ok(subs) => subs,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read subscriptions");
            return;
        }
    };
    let mut groups: BTreeMap<GroupKey, Vec<SubscriptionRow>> = BTreeMap::new();
    for sub in subs {
        let key = (
            sub.org_slug.clone(),
            sub.project_slug.clone(),
            sub.project_id.clone(),
            sub.query.clone(),
        );
        groups.entry(key).or_default().push(sub);
    }
    let group_count = groups.len();
    // Read once per tick, not once per group: the window may hold many alerts.
    let posted = posted_alerts_by_subscription(state).await;
    join_all(
        groups
            .into_iter()
            .map(|(key, subs)| poll_group(state, key, subs, &posted)),
    )
    .await;
    deliver(state).await;
    metrics::histogram!(crate::meters::POLL_TICK_SECONDS).record(started.elapsed().as_secs_f64());
    if let Ok(waiting) = state.store.pending_count().await {
        metrics::gauge!(crate::meters::OUTBOUND_QUEUE).set(waiting as f64);
    }
    tracing::debug!(
        groups = group_count,
        elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(0),
        "tick done"
    );
}

fn alert_row(
    sub: &SubscriptionRow,
    issue_id: &str,
    kind: String,
    payload: Value,
    snapshot: String,
) -> AlertRow {
    AlertRow {
        subscription_id: sub.id.clone(),
        issue_id: issue_id.to_string(),
        kind,
        channel_id: sub.channel_id.clone(),
        org_slug: sub.org_slug.clone(),
        payload: payload.to_string(),
        state: "pending".into(),
        thread_ts: None,
        ts: None,
        status_snapshot: snapshot,
        attempts: 0,
        created_at_ms: now_ms(),
        posted_at_ms: None,
    }
}

fn planned_rows(sub: &SubscriptionRow, planned: Vec<Planned>) -> Vec<AlertRow> {
    planned
        .into_iter()
        .map(|p| match p {
            Planned::New(issue) => {
                let payload = json!({ "issue": issue });
                alert_row(sub, &issue.id, "new".into(), payload, alerts::snapshot(&issue))
            }
            Planned::Regressed(issue) => {
                let kind = format!("regressed:{}", issue.last_seen.clone().unwrap_or_else(|| now_ms().to_string()));
                let payload = json!({ "issue": issue, "threads": sub.threads });
                alert_row(sub, &issue.id, kind, payload, alerts::snapshot(&issue))
            }
            Planned::Digest(issues) => {
                let first = issues.first().map(|i| i.id.clone()).unwrap_or_default();
                let shown: Vec<&Issue> = issues.iter().take(alerts::DIGEST_ROWS).collect();
                let payload = json!({ "issues": shown, "total": issues.len(), "project": sub.project_slug, "limit": sub.digest });
                alert_row(sub, &first, format!("digest:{first}"), payload, String::new())
            }
        })
        .collect()
}

/// Alerts posted within the status-sync window, by subscription.
async fn posted_alerts_by_subscription(state: &AppState) -> HashMap<String, Vec<AlertRow>> {
    let since = now_ms() - i64::try_from(SYNC_WINDOW.as_millis()).unwrap_or(i64::MAX);
    let mut by_subscription: HashMap<String, Vec<AlertRow>> = HashMap::new();
    match state.store.recent_posted_alerts(since).await {
        Ok(alerts) => {
            for alert in alerts {
                by_subscription
                    .entry(alert.subscription_id.clone())
                    .or_default()
                    .push(alert);
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot read posted alerts"),
    }
    by_subscription
}

async fn poll_group(
    state: &AppState,
    key: GroupKey,
    subs: Vec<SubscriptionRow>,
    posted: &HashMap<String, Vec<AlertRow>>,
) {
    let (org, project_slug, project_id, query) = key;
    if state.poller.backing_off(&org) {
        return;
    }
    // One replica polls a group at a time; a dead replica's lease expires.
    let group_key = format!("{org}\u{1f}{project_slug}\u{1f}{project_id}\u{1f}{query}");
    let ttl = state.config.poll_interval.mul_f32(1.5);
    match state
        .store
        .try_lease(&group_key, &state.poller.replica, millis(ttl))
        .await
    {
        Ok(Lease::HeldElsewhere) => return,
        Ok(Lease::Acquired {
            from: Some(previous),
        }) => {
            tracing::info!(org = %org, project = %project_slug, %previous, "took over an expired poll lease");
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "cannot take the poll lease");
            return;
        }
    }
    let request = IssueQuery::by_activity(&project_slug, &project_id, &query, MAX_PAGE, None);
    let result = state.grants.list_issues(&org, &request).await;
    let page = match result {
        Ok(page) => page,
        Err(e) => {
            tracing::warn!(org = %org, project = %project_slug, error = %e, "poll failed; backing off this org");
            state.poller.failed(&org, state.config.poll_interval);
            if matches!(
                e,
                GrantError::NeedsRelink { .. }
                    | GrantError::StaticTokenRejected { .. }
                    | GrantError::NotLinked { .. }
            ) {
                notify_relink(state, &subs).await;
            }
            return;
        }
    };
    state.poller.succeeded(&org);
    let sub_ids: Vec<&str> = subs.iter().map(|s| s.id.as_str()).collect();
    let issue_ids: Vec<&str> = page.items.iter().map(|i| i.id.as_str()).collect();
    let seen_by_sub = match state.store.seen_of(&sub_ids, &issue_ids).await {
        Ok(seen) => seen,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read what the subscriptions have seen");
            return;
        }
    };
    let nothing_seen = HashMap::new();
    for sub in &subs {
        if sub.relink_notified {
            let _ = state.store.set_relink_notified(&sub.id, false).await;
        }
        let seen = seen_by_sub.get(&sub.id).unwrap_or(&nothing_seen);
        let plan = diff(sub, seen, &page.items);
        if plan.seen.is_empty() && plan.alerts.is_empty() {
            continue;
        }
        let rows = planned_rows(sub, plan.alerts);
        match state.store.record_tick(&sub.id, &plan.seen, &rows).await {
            Ok(planned) if planned > 0 => {
                tracing::info!(subscription = %sub.id, channel = %sub.channel_id, planned, "alerts planned");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot record the poll"),
        }
    }
    let alerts: Vec<&AlertRow> = subs
        .iter()
        .filter_map(|s| posted.get(&s.id))
        .flatten()
        .collect();
    sync_statuses(state, &org, &subs, &alerts, &page.items).await;
}

/// Tells each subscribed channel once that the org must be linked again.
async fn notify_relink(state: &AppState, subs: &[SubscriptionRow]) {
    for sub in subs.iter().filter(|s| !s.relink_notified) {
        let row = alert_row(
            sub,
            "-",
            format!("notice:relink:{}", now_ms()),
            json!({ "project": sub.project_slug }),
            String::new(),
        );
        if state.store.record_tick(&sub.id, &[], &[row]).await.is_ok() {
            let _ = state.store.set_relink_notified(&sub.id, true).await;
        }
    }
}

/// Updates alerts whose issue changed in Sentry since they were posted.
/// Issues on this tick's list (`listed`) cost no call. An issue gone from
/// the list is read while its alerts still show it open, because leaving
/// the list usually means it was resolved or archived; once they show it
/// closed it is not read again, since reopening puts it back on the list.
async fn sync_statuses(
    state: &AppState,
    org: &str,
    subs: &[SubscriptionRow],
    alerts: &[&AlertRow],
    listed: &[Issue],
) {
    let mut issue_ids: Vec<&str> = alerts.iter().map(|a| a.issue_id.as_str()).collect();
    issue_ids.sort_unstable();
    issue_ids.dedup();
    let mut reads = 0;
    for issue_id in issue_ids.into_iter().rev() {
        let issue = if let Some(issue) = listed.iter().find(|i| i.id == issue_id) {
            issue.clone()
        } else {
            let shown_open = alerts
                .iter()
                .any(|a| a.issue_id == issue_id && alerts::snapshot_is_open(&a.status_snapshot));
            if !shown_open || reads >= SYNC_PER_TICK {
                continue;
            }
            reads += 1;
            match state.grants.issue(org, issue_id).await {
                Ok(issue) => issue,
                Err(GrantError::Sentry(SentryError::NotFound { .. })) => {
                    // Deleted or merged: remember it, so it is not read every tick.
                    for alert in alerts.iter().filter(|a| a.issue_id == issue_id) {
                        let _ = state.store.set_snapshot(alert, alerts::DELETED).await;
                    }
                    continue;
                }
                Err(e) => {
                    tracing::debug!(issue = issue_id, error = %e, "status sync skipped");
                    continue;
                }
            }
        };
        let after = alerts::snapshot(&issue);
        for alert in alerts.iter().filter(|a| a.issue_id == issue_id) {
            let Some(phrase) = alerts::change_phrase(&alert.status_snapshot, &after) else {
                continue;
            };
            let (Some(ts), Some(sub)) = (
                &alert.ts,
                subs.iter().find(|s| s.id == alert.subscription_id),
            ) else {
                continue;
            };
            tracing::info!(issue = issue_id, channel = %alert.channel_id, change = %phrase, "issue changed in Sentry");
            state.poller.pacer.wait_turn(&alert.channel_id).await;
            let redrawn = alerts::synced(org, &issue, &phrase, SystemTime::now());
            if let Err(e) = state
                .slack
                .update_message(&alert.channel_id, ts, &redrawn)
                .await
            {
                tracing::warn!(error = %e, "could not update the alert");
            }
            if sub.threads {
                state.poller.pacer.wait_turn(&alert.channel_id).await;
                let reply = alerts::sync_reply(&issue, &phrase);
                if let Err(e) = state
                    .slack
                    .post_message(&alert.channel_id, &reply, Some(ts), false)
                    .await
                {
                    tracing::warn!(error = %e, "could not reply in the alert's thread");
                }
            }
            let _ = state.store.set_snapshot(alert, &after).await;
            let status = issue.status.clone().unwrap_or_else(|| "unresolved".into());
            let _ = state
                .store
                .record_tick(&sub.id, &[(issue.id.clone(), status)], &[])
                .await;
        }
    }
}

/// Posts pending alerts: channels in parallel, each channel in order.
pub async fn deliver(state: &AppState) {
    let pending = match state.store.pending_alerts(500).await {
        Ok(pending) => pending,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read pending alerts");
            return;
        }
    };
    let mut by_channel: BTreeMap<String, Vec<AlertRow>> = BTreeMap::new();
    for alert in pending {
        by_channel
            .entry(alert.channel_id.clone())
            .or_default()
            .push(alert);
    }
    join_all(
        by_channel
            .into_iter()
            .map(|(channel, alerts)| deliver_to_channel(state, channel, alerts)),
    )
    .await;
}

/// Posts one channel's alerts in order. One replica at a time delivers to a
/// channel (a lease renewed before each post), so the one-a-second pace
/// holds across replicas; the lease lingers one gap after the last post.
async fn deliver_to_channel(state: &AppState, channel: String, alerts: Vec<AlertRow>) {
    let lease_key = format!("deliver\u{1f}{channel}");
    let replica = &state.poller.replica;
    let mut delivered = false;
    for alert in alerts {
        match state
            .store
            .try_lease(&lease_key, replica, millis(CLAIM_TTL))
            .await
        {
            Ok(Lease::HeldElsewhere) => break,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "cannot take the channel's delivery lease");
                break;
            }
        }
        delivered = true;
        deliver_one(state, &alert).await;
    }
    if delivered {
        if let Err(e) = state
            .store
            .release_lease(&lease_key, replica, millis(CHANNEL_GAP))
            .await
        {
            tracing::warn!(error = %e, "cannot release the channel's delivery lease");
        }
    }
}

fn render(alert: &AlertRow) -> Option<Message> {
    let payload: Value = serde_json::from_str(&alert.payload).ok()?;
    let now = SystemTime::now();
    let kind = alert.kind.split(':').next().unwrap_or_default();
    Some(match kind {
        "new" => alerts::new_issue(
            &alert.org_slug,
            &serde_json::from_value(payload["issue"].clone()).ok()?,
            now,
        ),
        "regressed" => alerts::regressed(
            &alert.org_slug,
            &serde_json::from_value(payload["issue"].clone()).ok()?,
            now,
        ),
        "digest" => {
            let issues: Vec<Issue> = serde_json::from_value(payload["issues"].clone()).ok()?;
            let limit = payload["limit"]
                .as_u64()
                .and_then(|l| u32::try_from(l).ok())
                .unwrap_or(5);
            let project = payload["project"].as_str().unwrap_or_default();
            let mut message = alerts::digest(&alert.org_slug, project, &issues, limit);
            let total = payload["total"].as_u64().unwrap_or(issues.len() as u64);
            message.text = format!("{total} new issues in {}/{project}", alert.org_slug);
            message
        }
        "notice" => alerts::relink_notice(
            &alert.org_slug,
            payload["project"].as_str().unwrap_or_default(),
        ),
        _ => return None,
    })
}

/// Slack errors that retrying cannot fix.
fn is_permanent(error: &SlackError) -> bool {
    matches!(error, SlackError::Api(_))
        || matches!(error, SlackError::Status { status, .. } if *status < 500 && *status != 429)
}

async fn deliver_one(state: &AppState, alert: &AlertRow) {
    // Only the replica that claims an alert posts it.
    match state
        .store
        .claim_alert(alert, &state.poller.replica, millis(CLAIM_TTL))
        .await
    {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot claim the alert");
            return;
        }
    }
    let Some(message) = render(alert) else {
        tracing::error!(kind = %alert.kind, "alert payload unreadable; giving up on it");
        let _ = state
            .store
            .mark_failed(alert, "unreadable payload", true)
            .await;
        return;
    };
    // A regression replies in the original alert's thread when there is one.
    let thread = if alert.kind.starts_with("regressed") {
        let payload: Value = serde_json::from_str(&alert.payload).unwrap_or_default();
        let threads = payload["threads"].as_bool().unwrap_or(true);
        match state
            .store
            .alert_ts(&alert.subscription_id, &alert.issue_id, "new")
            .await
        {
            Ok(Some(ts)) if threads => Some(ts),
            _ => None,
        }
    } else {
        None
    };
    let mut rate_limited = 0;
    loop {
        state.poller.pacer.wait_turn(&alert.channel_id).await;
        match state
            .slack
            .post_message(
                &alert.channel_id,
                &message,
                thread.as_deref(),
                thread.is_some(),
            )
            .await
        {
            Ok(ts) => {
                tracing::info!(channel = %alert.channel_id, kind = %alert.kind, issue = %alert.issue_id, %ts, "alert posted");
                let kind = alert.kind.split(':').next().unwrap_or_default().to_string();
                metrics::counter!(crate::meters::ALERTS_POSTED, "kind" => kind).increment(1);
                if let Err(e) = state.store.mark_posted(alert, &ts).await {
                    tracing::error!(error = %e, "alert posted but not recorded; it may be posted once more after a restart");
                }
                return;
            }
            Err(SlackError::RateLimited { retry_after_secs }) => {
                let wait = Duration::from_secs(retry_after_secs.max(1));
                state.poller.pacer.hold(&alert.channel_id, wait);
                rate_limited += 1;
                // Long waits go back to the outbox so the claim never outlives its post.
                if wait > MAX_SLACK_WAIT || rate_limited > 3 {
                    tracing::warn!(channel = %alert.channel_id, wait_s = wait.as_secs(), "Slack rate limit; retrying on a later tick");
                    let _ = state.store.release_alert(alert).await;
                    return;
                }
                tracing::warn!(channel = %alert.channel_id, wait_s = wait.as_secs(), "Slack rate limit; waiting");
            }
            Err(e) => {
                let permanent = is_permanent(&e) || alert.attempts + 1 >= MAX_ATTEMPTS;
                metrics::counter!(crate::meters::ALERTS_FAILED, "permanent" => permanent.to_string()).increment(1);
                tracing::error!(channel = %alert.channel_id, kind = %alert.kind, error = %e, permanent, "alert not posted");
                let _ = state
                    .store
                    .mark_failed(alert, &e.to_string(), permanent)
                    .await;
                return;
            }
        }
    }
}
