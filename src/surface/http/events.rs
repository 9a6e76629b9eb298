//! `POST /slack/events`: the Events API, including the `url_verification`
//! handshake Slack performs when the request URL is saved.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::surface::events_api::{dispatch, EventEnvelope};
use crate::surface::http::HttpState;

/// Answers the handshake and acknowledges events; unfurls run afterwards.
pub async fn handle(State(state): State<Arc<HttpState>>, body: Bytes) -> Response {
    let envelope: EventEnvelope = match serde_json::from_slice(&body) {
        Ok(envelope) => envelope,
        Err(e) => {
            tracing::warn!(error = %e, "malformed event payload");
            return (StatusCode::BAD_REQUEST, "malformed event payload").into_response();
        }
    };
    if envelope.kind == "url_verification" {
        return match envelope.challenge {
            Some(challenge) => Json(json!({ "challenge": challenge })).into_response(),
            None => (
                StatusCode::BAD_REQUEST,
                "url_verification without a challenge",
            )
                .into_response(),
        };
    }
    dispatch(&state.requests, &state.recent_events, envelope);
    StatusCode::OK.into_response()
}
