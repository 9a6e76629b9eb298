//! Inbound HTTP: Slack's signed webhooks, report charts and the health
//! endpoints. A transport only: it verifies and decodes, then hands the
//! request to [`commands`](crate::commands), [`interactions`](crate::surface::interactions) or
//! [`events`](crate::surface::events_api).

pub mod charts;
pub mod commands;
pub mod events;
pub mod health;
pub mod interactions;
pub mod sentry_webhooks;
pub mod verify;

use std::sync::Arc;

use slack_morphism::signature_verifier::SlackEventSignatureVerifier;

use axum::routing::{get, post};
use axum::{middleware, Router};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::recent_ids::RecentIds;

/// What the routes need.
#[derive(Clone)]
pub struct HttpState {
    /// Answers commands, clicks and unfurls.
    pub requests: crate::context::Context,
    /// Slack event ids already handled.
    pub recent_events: Arc<RecentIds>,
    /// Verifies inbound Slack requests.
    pub verifier: Arc<SlackEventSignatureVerifier>,
    /// Receives Sentry's signed webhooks.
    pub webhooks: crate::alerts::webhooks::Context,
    /// Prometheus exposition, when the recorder is installed.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
}

/// The service's routes. Every `/slack/*` route is behind signature verification.
pub fn router(state: HttpState) -> Router {
    let verifier = state.verifier.clone();
    Router::new()
        .route("/slack/commands", post(commands::handle))
        .route("/slack/interactions", post(interactions::handle))
        .route("/slack/events", post(events::handle))
        .route_layer(middleware::from_fn_with_state(
            verifier,
            verify::verify_slack,
        ))
        // Signed by Sentry, not Slack: verified in the receiver, per org.
        .route("/sentry/webhooks/{org}", post(sentry_webhooks::handle))
        // Fetched by Slack for a report's image block; the token is the key.
        .route("/charts/{file}", get(charts::chart))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .layer(middleware::from_fn(health::track))
        // One line per request is written by what handled it (the command,
        // the click), with what it meant; a generic line per response
        // doubled the log and its cost. Failures (5xx) are still logged here.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::DEBUG))
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::DEBUG)),
        )
        // Shared, not cloned field by field for every request.
        .with_state(Arc::new(state))
}
