//! Liveness and readiness.

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::surface::http::HttpState;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The store answers; 503 with the reason otherwise.
pub async fn readyz(State(state): State<Arc<HttpState>>) -> (StatusCode, Json<Value>) {
    match state.requests.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "store": "ok" })),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "store": e.to_string() })),
            )
        }
    }
}

/// Prometheus text format.
pub async fn metrics(State(state): State<Arc<HttpState>>) -> Response {
    match &state.metrics {
        Some(handle) => (
            [("content-type", "text/plain; version=0.0.4")],
            handle.render(),
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder not installed",
        )
            .into_response(),
    }
}

/// An answer to Slack slower than this is logged: Slack gives up at 3 s.
const SLOW_ACK: std::time::Duration = std::time::Duration::from_secs(1);

/// Slow answers are logged once per 10 s, so an overloaded service does
/// not add a log line to every request.
static SLOW_ACK_WARNINGS: crate::throttle::Throttle =
    crate::throttle::Throttle::new(std::time::Duration::from_secs(10));

/// Counts requests by route and status, and times answers to Slack.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(crate::meters::HTTP_REQUESTS, "route" => route.clone(), "status" => status)
        .increment(1);
    if route.starts_with("/slack/") {
        let elapsed = started.elapsed();
        crate::meters::ack(&route, elapsed);
        if elapsed >= SLOW_ACK && SLOW_ACK_WARNINGS.due() {
            tracing::warn!(
                %route,
                elapsed_ms = elapsed.as_millis() as u64,
                "slow answer to Slack (at most one line per 10 s; slack_ack_seconds counts them all)"
            );
        }
    }
    response
}
