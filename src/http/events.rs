//! `POST /slack/events`: the Events API, including the `url_verification`
//! handshake Slack performs when the request URL is saved.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::app::AppState;
use crate::commands::unfurl::unfurl;

/// An Events API envelope, as much as the bot reads.
#[derive(Debug, Deserialize)]
pub struct EventEnvelope {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    challenge: Option<String>,
    #[serde(default)]
    event_id: Option<String>,
    #[serde(default)]
    event: Option<InnerEvent>,
}

#[derive(Debug, Deserialize)]
struct InnerEvent {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    message_ts: String,
    #[serde(default)]
    links: Vec<SharedLink>,
}

#[derive(Debug, Deserialize)]
struct SharedLink {
    #[serde(default)]
    url: String,
}

/// Answers the handshake and acknowledges events; unfurls run afterwards.
pub async fn handle(State(state): State<AppState>, body: Bytes) -> Response {
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
    dispatch(&state, envelope);
    StatusCode::OK.into_response()
}

/// Starts the work an event calls for, whichever way it arrived.
pub fn dispatch(state: &AppState, envelope: EventEnvelope) {
    if envelope.kind != "event_callback" {
        tracing::info!(kind = %envelope.kind, "ignored event envelope");
        return;
    }
    let event_id = envelope.event_id.as_deref().unwrap_or("");
    tracing::info!(
        event_id,
        event = envelope.event.as_ref().map_or("", |e| e.kind.as_str()),
        "event received"
    );
    if !event_id.is_empty() && !state.recent_events.first_time(event_id) {
        tracing::info!(event_id, "event already handled; Slack delivered it again");
        return;
    }
    if let Some(event) = envelope.event.filter(|e| e.kind == "link_shared") {
        let urls: Vec<String> = event.links.into_iter().map(|l| l.url).collect();
        // A skipped unfurl leaves the plain link, which is harmless.
        let Some(slot) = state.deferred.admit() else {
            return;
        };
        let task_state = state.clone();
        state.tasks.spawn(async move {
            let _slot = slot;
            unfurl(&task_state, &event.channel, &event.message_ts, &urls).await;
        });
    }
}
