//! `POST /slack/commands`: decodes the form and hands it to
//! [`commands::inbound`](crate::surface::inbound).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::slack::ImmediateReply;
use crate::surface::http::HttpState;
use crate::surface::inbound::{answer, SlashCommandForm};

/// Answers a slash command within Slack's deadline.
pub async fn handle(State(state): State<Arc<HttpState>>, body: Bytes) -> Response {
    let form: SlashCommandForm = match serde_urlencoded::from_bytes(&body) {
        Ok(form) => form,
        Err(e) => {
            tracing::warn!(error = %e, "malformed slash command form");
            return (StatusCode::BAD_REQUEST, "malformed slash command form").into_response();
        }
    };
    match answer(&state.requests, form) {
        Ok(Some(ImmediateReply::Fresh(reply))) => Json(reply).into_response(),
        Ok(Some(ImmediateReply::Prepared(prepared))) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            prepared.json.clone(),
        )
            .into_response(),
        // Deferred: an empty 200, the answer follows through response_url.
        Ok(None) => StatusCode::OK.into_response(),
        Err(problem) => (StatusCode::BAD_REQUEST, problem).into_response(),
    }
}
