//! Prometheus metrics: the recorder, the `/metrics` text, and the names of
//! every series, in one place.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Requests by route and status.
pub(crate) const HTTP_REQUESTS: &str = "http_requests_total";
/// Time to answer Slack (commands, interactions, events), seconds.
pub(crate) const ACK_SECONDS: &str = "slack_ack_seconds";
/// Sentry calls by endpoint and outcome.
pub(crate) const SENTRY_CALLS: &str = "sentry_calls_total";
/// Last `X-Sentry-Rate-Limit-Remaining` per org.
pub(crate) const SENTRY_REMAINING: &str = "sentry_rate_limit_remaining";
/// Alerts posted by kind.
pub(crate) const ALERTS_POSTED: &str = "alerts_posted_total";
/// Counter: alerts gathered into one message instead of posted alone: a
/// storm's digest, new or updated in place, or a catch-up after a hold.
pub(crate) const ALERTS_GATHERED: &str = "alerts_gathered_total";
/// Counter: alerts held back by a mute or quiet hours (each is later
/// counted once more in `alerts_gathered_total{digest="catch_up"}`).
pub(crate) const ALERTS_HELD: &str = "alerts_held_total";
/// Alerts that could not be posted, by whether retrying can help.
pub(crate) const ALERTS_FAILED: &str = "alerts_failed_total";
/// Counter: posts Slack refused for good, by Slack's error code
/// (`not_in_channel`, `is_archived`, `invalid_blocks`, …).
pub(crate) const SLACK_REFUSALS: &str = "slack_refusals_total";
/// Duration of one poll tick, seconds.
pub(crate) const POLL_TICK_SECONDS: &str = "poll_tick_seconds";
/// Alerts waiting to be posted.
pub(crate) const OUTBOUND_QUEUE: &str = "outbound_queue_depth";
/// Counter: requests told the bot is busy because too many answers were in progress.
pub(crate) const ANSWERS_SHED: &str = "answers_shed_total";
/// Counter: poller work that panicked and was recovered from, by task.
pub(crate) const POLLER_PANICS: &str = "poller_panics_total";
/// Counter: alert and activity rows deleted past `RETENTION`.
pub(crate) const PRUNED_ROWS: &str = "pruned_rows_total";
/// Counter: Sentry webhook deliveries, by outcome (acted, replayed,
/// ignored, unauthorized, malformed, failed).
pub(crate) const SENTRY_WEBHOOKS: &str = "sentry_webhooks_total";
/// Counter: latest-event lookups for alerts and unfurls, by outcome
/// (fetched, none, budget_low, failed, timed_out).
pub(crate) const ALERT_EVENTS: &str = "alert_events_total";
/// Counter: commands that only read and gave up some wait for a turn at
/// Sentry after `ANSWER_TIMEOUT`, by subcommand.
pub(crate) const ANSWERS_TIMED_OUT: &str = "answers_timed_out_total";
/// Counter: activity-log rows by outcome (written, failed after retries,
/// dropped because the writer's queue was full).
pub(crate) const ACTIVITY_ROWS: &str = "activity_rows_total";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder once; later calls reuse it.
pub(crate) fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(ACK_SECONDS.into()),
                    &[
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 3.0,
                    ],
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(POLL_TICK_SECONDS.into()),
                        &[0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0],
                    )
                });
            match builder.and_then(|b| b.install_recorder()) {
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .clone()
}

/// Records a Slack answer's latency.
pub(crate) fn ack(route: &str, elapsed: Duration) {
    metrics::histogram!(ACK_SECONDS, "route" => route.to_string()).record(elapsed.as_secs_f64());
}
