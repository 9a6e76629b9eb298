//! `POST /slack/interactions`: buttons, menus and option loads. Always
//! acknowledged at once; Slack shows an error if it waits over 3 s.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct InteractionForm {
    payload: String,
}

/// The parts of an interaction payload the bot reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InteractionPayload {
    /// `block_actions`, `block_suggestion`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// Who interacted.
    pub user: Option<IdOnly>,
    /// Workspace.
    pub team: Option<IdOnly>,
    /// The actions taken.
    pub actions: Vec<Action>,
    /// `action_id` of an option load.
    pub action_id: Option<String>,
}

/// An object of which only the `id` matters.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IdOnly {
    /// Slack ID.
    pub id: String,
}

/// One action of a `block_actions` payload.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Action {
    /// The element's `action_id`.
    pub action_id: String,
}

/// Acknowledges an interaction.
pub async fn handle(body: Bytes) -> Response {
    let form: InteractionForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let payload: InteractionPayload = match serde_json::from_str(&form.payload) {
        Ok(payload) => payload,
        Err(e) => {
            tracing::warn!(error = %e, "malformed interaction payload");
            return (StatusCode::BAD_REQUEST, "malformed interaction payload").into_response();
        }
    };
    let actions: Vec<&str> = payload
        .actions
        .iter()
        .map(|a| a.action_id.as_str())
        .collect();
    tracing::info!(
        kind = %payload.kind,
        team = payload.team.as_ref().map_or("", |t| t.id.as_str()),
        user = payload.user.as_ref().map_or("", |u| u.id.as_str()),
        actions = ?actions,
        "interaction received"
    );
    match payload.kind.as_str() {
        // Option loads must answer with a list, even an empty one.
        "block_suggestion" => Json(json!({ "options": [] })).into_response(),
        _ => StatusCode::OK.into_response(),
    }
}
