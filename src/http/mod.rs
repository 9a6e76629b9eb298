//! Inbound HTTP: Slack's signed webhooks and the health endpoints.

pub mod commands;
pub mod events;
pub mod health;
pub mod interaction_payload;
pub mod interactions;
pub mod verify;

use axum::routing::{get, post};
use axum::{middleware, Router};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::app::AppState;

/// The service's routes. Every `/slack/*` route is behind signature verification.
pub fn router(state: AppState) -> Router {
    let verifier = state.verifier.clone();
    Router::new()
        .route("/slack/commands", post(commands::handle))
        .route("/slack/interactions", post(interactions::handle))
        .route("/slack/events", post(events::handle))
        .route_layer(middleware::from_fn_with_state(
            verifier,
            verify::verify_slack,
        ))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .layer(middleware::from_fn(health::track))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}
