//! Sentry integration-platform webhooks: an internal integration in the
//! org POSTs issue events, signed with its client secret, to
//! `/sentry/webhooks/{org}`. A new or regressed issue goes into the same
//! outbox as the poller's alerts (one row per subscription, issue, kind and
//! dedup key), so an issue seen by both is posted once; a status change
//! redraws the alerts already posted. The poller stays as the backstop.

pub(crate) mod payload;
pub(crate) mod signature;

use std::collections::HashMap;
use std::time::Duration;

use crate::alerts::diff::{diff, for_assignees, ForAssignee};
use crate::alerts::messages::Beyond;
use crate::alerts::plan::planned_rows;
use crate::orgs::webhook_secrets::Secrets;
use crate::people::notify::Assigner;
use crate::sentry::search::{self, Verdict};
use crate::store::{now_ms, StoreError};
use payload::{Action, IssueEvent};

/// Bodies larger than this are refused with 413.
pub(crate) const MAX_BODY: usize = 1 << 20;
/// Posted alerts a status webhook may redraw.
const REDRAW_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);

/// What the receiver needs.
#[derive(Clone, Debug)]
pub struct Context {
    /// The poller's context: store, Sentry, Slack, pacing and the outbox.
    pub alerts: crate::alerts::context::Context,
    /// Client secrets by org.
    pub secrets: Secrets,
}

/// The headers Sentry signs and names a delivery with.
#[derive(Clone, Debug, Default)]
pub(crate) struct Delivery {
    /// `Sentry-Hook-Resource`.
    pub resource: Option<String>,
    /// `Sentry-Hook-Signature`.
    pub signature: Option<String>,
    /// `Request-ID`.
    pub request_id: Option<String>,
}

/// How a delivery was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// An issue event acted on.
    Acted,
    /// A `Request-ID` already acted on.
    Replayed,
    /// A resource or action the bot does not use.
    Ignored,
}

/// Why a delivery was refused; each maps to one status code.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refusal {
    /// No secret for the org, or a missing or wrong signature (401).
    #[error("signature missing or invalid")]
    Unauthorized,
    /// A signed body that is not an issue event (400).
    #[error("{0}")]
    BadBody(#[from] payload::BadBody),
    /// The store failed; Sentry retries (500).
    #[error("cannot record the webhook: {0}")]
    Store(#[from] StoreError),
}

/// Verifies, deduplicates and acts on one delivery for `org`.
pub(crate) async fn receive(
    ctx: &Context,
    org: &str,
    delivery: &Delivery,
    body: &[u8],
) -> Result<Outcome, Refusal> {
    let store = &ctx.alerts.store;
    // Unsigned deliveries are refused before anything is read.
    if delivery.signature.as_deref().is_none_or(str::is_empty) {
        return Err(Refusal::Unauthorized);
    }
    let secret = ctx.secrets.for_org(store, org).await?;
    let signed = match (&secret, &delivery.signature) {
        (Some(secret), Some(signature)) => signature::verify(secret.expose(), body, signature),
        _ => false,
    };
    if !signed {
        return Err(Refusal::Unauthorized);
    }
    store.webhook_arrived(org).await?;
    if delivery.resource.as_deref() != Some("issue") {
        return Ok(Outcome::Ignored);
    }
    let event = payload::decode(body)?;
    if event.action == Action::Other {
        return Ok(Outcome::Ignored);
    }
    let request_id = delivery.request_id.as_deref().filter(|id| !id.is_empty());
    if let Some(id) = request_id {
        if !store.claim_webhook(id, org).await? {
            return Ok(Outcome::Replayed);
        }
    }
    match apply(ctx, org, &event).await {
        Ok(()) => {
            // Again after its writes: a poll that remembered a quiet page
            // before them must not trust it (see `poller::quiet`).
            store.webhook_arrived(org).await?;
            Ok(Outcome::Acted)
        }
        Err(e) => {
            // Give the Request-ID back, so Sentry's retry is acted on.
            if let Some(id) = request_id {
                let _ = store.release_webhook(id).await;
            }
            Err(e.into())
        }
    }
}

/// Plans alerts for the subscriptions the issue concerns, redraws posted
/// alerts whose issue changed, and wakes the delivery worker.
async fn apply(ctx: &Context, org: &str, event: &IssueEvent) -> Result<(), StoreError> {
    let alerts = &ctx.alerts;
    let store = &alerts.store;
    let issue = &event.issue;
    let project_id = issue.project.as_ref().and_then(|p| p.id.as_deref());
    let subs = store
        .subscriptions_of_project(org, project_id, issue.project_slug())
        .await?;
    // Finding people in Slack takes time: the assignee's DM is planned off
    // the request path, whether or not a channel follows the project.
    if event.action == Action::Assigned {
        let (ctx, org, event) = (ctx.clone(), org.to_string(), event.clone());
        tokio::spawn(async move { assignment_seen(&ctx.alerts, &org, &event).await });
    }
    if subs.is_empty() {
        return Ok(());
    }
    let sub_ids: Vec<&str> = subs.iter().map(|s| s.id.as_str()).collect();
    let seen = store.seen_of(&sub_ids, &[issue.id.as_str()]).await?;
    let closed = matches!(
        issue.status.as_deref(),
        Some("resolved" | "ignored" | "muted")
    );
    let nothing_seen = HashMap::new();
    let mut planned = 0;
    let mut seen_for_assignees = Vec::new();
    for sub in &subs {
        let seen = seen.get(&sub.id).unwrap_or(&nothing_seen);
        // An open issue is planned only where the query surely admits it;
        // a closed one only updates what subscriptions that saw it remember.
        let relevant = if closed {
            seen.contains_key(&issue.id)
        } else {
            search::judge(&sub.query, issue) == Verdict::Admits
        };
        if !relevant {
            continue;
        }
        let plan = diff(sub, seen, std::slice::from_ref(issue));
        if plan.seen.is_empty() && plan.alerts.is_empty() {
            continue;
        }
        let for_assignees = for_assignees(&plan, std::slice::from_ref(issue));
        let rows = planned_rows(sub, plan.alerts, Beyond::Nothing);
        planned += store.record_tick(&sub.id, &plan.seen, &rows).await?;
        // An `assigned` event's assignee is told by `assignment_seen`, with its actor.
        seen_for_assignees.extend(for_assignees.into_iter().filter(|seen| {
            event.action != Action::Assigned
                || matches!(seen, ForAssignee::CameBack(_) | ForAssignee::Escalated(_))
        }));
    }
    if planned > 0 {
        tracing::info!(org, issue = %issue.id, planned, "alerts planned from a webhook");
        alerts.state.wake_delivery();
    }
    if !seen_for_assignees.is_empty() {
        let (alerts, org) = (alerts.clone(), org.to_string());
        tokio::spawn(async move {
            crate::alerts::personal::plan_for_assignees(&alerts, &org, seen_for_assignees).await
        });
    }
    if matches!(
        event.action,
        Action::Resolved | Action::Archived | Action::Unresolved | Action::Assigned
    ) {
        // Redraws wait their channel's turn (one message a second): off the request path.
        let (ctx, org, event) = (ctx.clone(), org.to_string(), event.clone());
        tokio::spawn(async move {
            if let Err(e) = redraw(&ctx, &org, &event, &subs).await {
                tracing::warn!(org, error = %e, "cannot redraw alerts after a webhook");
            }
        });
    }
    Ok(())
}

/// Records the assignment an `assigned` or `unassigned` webhook reports,
/// and plans the assignee's DM when it is new to the bot.
async fn assignment_seen(alerts: &crate::alerts::context::Context, org: &str, event: &IssueEvent) {
    let actor = event.actor.as_ref();
    let by = match actor.and_then(|a| a.kind.as_deref()) {
        Some("user") => Assigner::Sentry {
            user_id: actor.and_then(|a| a.id.as_deref()),
            name: actor.and_then(|a| a.name.as_deref()),
        },
        _ => Assigner::Unknown,
    };
    match alerts
        .notifier()
        .assignment_seen(org, &event.issue, by)
        .await
    {
        Ok(true) => alerts.state.wake_delivery(),
        Ok(false) => {}
        Err(e) => tracing::warn!(org, error = %e, "cannot plan the assignee's DM"),
    }
}

/// Redraws the posted alerts of the event's issue that no longer show it as it is.
async fn redraw(
    ctx: &Context,
    org: &str,
    event: &IssueEvent,
    subs: &[crate::store::SubscriptionRow],
) -> Result<(), StoreError> {
    let since = now_ms() - i64::try_from(REDRAW_WINDOW.as_millis()).unwrap_or(i64::MAX);
    let sub_ids: Vec<&str> = subs.iter().map(|s| s.id.as_str()).collect();
    let posted = ctx.alerts.store.posted_alerts_of(&sub_ids, since).await?;
    let actor = event.actor.as_ref().and_then(|a| a.name.as_deref());
    let shown = posted
        .iter()
        .filter(|a| a.issue_id == event.issue.id && a.state == crate::store::AlertState::Posted);
    for alert in shown {
        if let Some(sub) = subs.iter().find(|s| s.id == alert.subscription_id) {
            crate::alerts::sync::redraw_if_changed(
                &ctx.alerts,
                org,
                sub,
                alert,
                &event.issue,
                actor,
                false,
            )
            .await;
        }
    }
    Ok(())
}
