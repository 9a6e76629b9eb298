//! Socket Mode: with `SLACK_APP_TOKEN` set, Slack delivers commands,
//! interactions and events over a WebSocket the bot opens, so it runs
//! without a public URL (a laptop, behind a firewall). The same handlers
//! answer as over HTTP.

use std::sync::Arc;

use slack_morphism::prelude::*;
use tokio_util::sync::CancellationToken;

use crate::config::Secret;
use crate::slack::payload::InteractionPayload;
use crate::slack::web::Connector;
use crate::slack::Visibility;
use crate::surface::http::HttpState;
use crate::surface::inbound::{self, SlashCommandForm};
use crate::surface::{events_api, interactions};

type Client = Arc<SlackClient<Connector>>;

/// What the command callback returns to acknowledge a deferred command with
/// no payload at all: slack-morphism attaches any reply it is given, and
/// an empty one may show as a blank message.
#[derive(Debug)]
struct AckWithoutMessage;

impl std::fmt::Display for AckWithoutMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("acknowledged; the answer follows through response_url")
    }
}

impl std::error::Error for AckWithoutMessage {}

/// A bare ack for [`AckWithoutMessage`]; any other callback error is logged
/// and left unacknowledged, so Slack retries it (the library's default).
fn on_error(
    error: Box<dyn std::error::Error + Send + Sync>,
    _client: Client,
    _states: SlackClientEventsUserState,
) -> axum::http::StatusCode {
    if error.downcast_ref::<AckWithoutMessage>().is_some() {
        return axum::http::StatusCode::OK;
    }
    tracing::warn!(error = %error, "Socket Mode callback failed");
    axum::http::StatusCode::BAD_REQUEST
}

async fn app_state(states: &SlackClientEventsUserState) -> Option<HttpState> {
    states.read().await.get_user_state::<HttpState>().cloned()
}

/// Converts one slack-morphism model into the bot's own lenient one by
/// their shared JSON shape, so both transports feed the same handlers.
fn reshape<T: serde::de::DeserializeOwned>(value: &impl serde::Serialize) -> Option<T> {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
}

async fn on_command(
    event: SlackCommandEvent,
    _client: Client,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackCommandEventResponse> {
    let state = app_state(&states).await.ok_or("no application state")?;
    let form: SlashCommandForm = reshape(&event).ok_or("unreadable command")?;
    let Some(reply) = inbound::answer(&state.requests, form)? else {
        // Deferred: a bare ack (see `on_error`); the answer follows.
        return Err(Box::new(AckWithoutMessage));
    };
    let reply = reply.into_reply();
    let content = SlackMessageContent::new()
        .with_text(reply.text)
        .with_blocks(reply.blocks);
    let kind = match reply.visibility {
        Visibility::Ephemeral => SlackMessageResponseType::Ephemeral,
        Visibility::InChannel => SlackMessageResponseType::InChannel,
    };
    Ok(SlackCommandEventResponse::new(content).with_response_type(kind))
}

async fn on_interaction(
    event: SlackInteractionEvent,
    _client: Client,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackInteractionResponse> {
    let state = app_state(&states).await.ok_or("no application state")?;
    let payload: InteractionPayload = reshape(&event).ok_or("unreadable interaction")?;
    // Only option loads answer with a body; everything else is a bare ack.
    Ok(match interactions::answer(&state.requests, payload).await {
        Some(options) => {
            SlackInteractionResponse::BlockSuggestion(serde_json::from_value(options)?)
        }
        None => SlackInteractionResponse::Empty,
    })
}

async fn on_event(
    event: SlackPushEventCallback,
    _client: Client,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    let state = app_state(&states).await.ok_or("no application state")?;
    let mut value = serde_json::to_value(&event)?;
    value["type"] = serde_json::json!("event_callback");
    let envelope: events_api::EventEnvelope = serde_json::from_value(value)?;
    events_api::dispatch(&state.requests, &state.recent_events, envelope);
    Ok(())
}

/// Connects over Socket Mode and serves until `stop` is cancelled.
pub(crate) async fn run(state: HttpState, app_token: Secret, stop: CancellationToken) {
    let client = state.requests.slack.client();
    let callbacks = SlackSocketModeListenerCallbacks::new()
        .with_command_events(on_command)
        .with_interaction_events(on_interaction)
        .with_push_events(on_event);
    let environment = Arc::new(
        SlackClientEventsListenerEnvironment::new(client)
            .with_user_state(state.clone())
            .with_error_handler(on_error),
    );
    let listener = SlackClientSocketModeListener::new(
        &SlackClientSocketModeConfig::new(),
        environment,
        callbacks,
    );
    let token = SlackApiToken::new(app_token.expose().to_string().into());
    if let Err(e) = listener.listen_for(&token).await {
        tracing::error!(error = %e, "Socket Mode connection failed: check SLACK_APP_TOKEN (xapp-, connections:write)");
        return;
    }
    listener.start().await;
    tracing::info!("connected to Slack over Socket Mode");
    stop.cancelled().await;
    listener.shutdown().await;
}
