//! `POST /slack/interactions`: decodes the form and hands the payload to
//! [`interactions`](crate::surface::interactions). Always acknowledged at once.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::slack::payload::parse_form;
use crate::surface::http::HttpState;
use crate::surface::interactions::answer;

/// Acknowledges an interaction and starts its work.
pub async fn handle(State(state): State<Arc<HttpState>>, body: Bytes) -> Response {
    let payload = match parse_form(&body) {
        Ok(payload) => payload,
        Err(e) => {
            tracing::warn!(error = %e, "malformed interaction payload");
            return (StatusCode::BAD_REQUEST, "malformed interaction payload").into_response();
        }
    };
    match answer(&state.requests, payload).await {
        Some(body) => Json(body).into_response(),
        None => StatusCode::OK.into_response(),
    }
}
