//! Posts reports when they fall due: each replica looks every few seconds,
//! and the one that claims a due run (in the store, fenced by the run's due
//! time) reads Sentry and posts it; the run is then recorded as handled, so
//! a restart or a second replica does not post it again. A run missed while
//! the bot was down is posted once when it is back, if at most 6 hours late.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::context::Context;
use crate::reports::commands::schedule_of;
use crate::reports::gather::gather;
use crate::reports::message::Heading;
use crate::reports::post::post;
use crate::slack::SlackError;
use crate::store::ReportRow;

/// How late a run may be posted.
const MAX_LATE: chrono::Duration = chrono::Duration::hours(6);
/// Lateness worth saying.
const LATE_ENOUGH: chrono::Duration = chrono::Duration::minutes(2);
/// How long a claim on a run lasts; renewed before the post, since the
/// reads may take long against a slow Sentry.
const CLAIM_MS: i64 = 300_000;
/// Slack errors worth another try.
const TRANSIENT: [&str; 4] = [
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
];

/// Looks for due reports every `every` until `stop`.
pub(crate) async fn run(ctx: Context, replica: String, every: Duration, stop: CancellationToken) {
    loop {
        match ctx.store.reports().await {
            Ok(reports) => {
                for row in reports {
                    run_if_due(&ctx, &replica, &row, Utc::now()).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the report schedules"),
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = stop.cancelled() => break,
        }
    }
}

/// Posts `row`'s run due before `now`, if it is owed and this replica claims it.
async fn run_if_due(ctx: &Context, replica: &str, row: &ReportRow, now: DateTime<Utc>) {
    let Some(schedule) = schedule_of(row) else {
        return;
    };
    let due = schedule.last_due(now);
    let due_ms = due.timestamp_millis();
    if due_ms <= row.last_due_ms {
        return;
    }
    if now - due > MAX_LATE {
        tracing::warn!(report = %row.id, due = %due, "report too late to post; waiting for the next one");
        let _ = ctx.store.finish_report(&row.id, due_ms, None).await;
        return;
    }
    match ctx
        .store
        .claim_report(&row.id, due_ms, replica, CLAIM_MS)
        .await
    {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot claim the report's run");
            return;
        }
    }
    let figures = gather(ctx, row, schedule.cadence, due).await;
    let late = now - due;
    let heading = Heading {
        org: row.org_slug.clone(),
        project: row.project_slug.clone(),
        cadence: schedule.cadence,
        end: due,
        late_minutes: (late > LATE_ENOUGH).then(|| late.num_minutes()),
    };
    // Still this replica's run? (A claim that ran out may have been taken.)
    match ctx
        .store
        .claim_report(&row.id, due_ms, replica, CLAIM_MS)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(report = %row.id, "report's claim was taken over while it was read; leaving it");
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot renew the report's claim");
            return;
        }
    }
    let tz = schedule.tz;
    match post(ctx, &row.channel_id, &heading, &figures, tz).await {
        Ok(ts) => {
            tracing::info!(report = %row.id, channel = %row.channel_id, %ts, "report posted");
            if let Err(e) = ctx.store.finish_report(&row.id, due_ms, Some(&ts)).await {
                tracing::error!(report = %row.id, error = %e, "report posted but not recorded; it may be posted again");
            }
        }
        Err(SlackError::Unreachable(e)) => {
            // Slack may have posted before the answer was lost: recorded as
            // handled rather than risk a second report.
            tracing::warn!(report = %row.id, error = %e, "Slack did not answer the report's post; not posting it again");
            let _ = ctx.store.finish_report(&row.id, due_ms, None).await;
        }
        Err(SlackError::Api(code)) if !TRANSIENT.contains(&code.as_str()) => {
            // Slack refuses the channel for good (archived, not a member):
            // this run is given up; the next is tried.
            tracing::warn!(report = %row.id, channel = %row.channel_id, %code, "Slack refused the report");
            let _ = ctx.store.finish_report(&row.id, due_ms, None).await;
        }
        Err(e) => {
            tracing::warn!(report = %row.id, error = %e, "report not posted; trying again shortly");
            let _ = ctx.store.release_report(&row.id, replica).await;
        }
    }
}
