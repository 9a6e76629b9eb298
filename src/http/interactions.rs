//! `POST /slack/interactions`: buttons, menus and option loads. Always
//! acknowledged at once with an empty 200; the work runs in a spawned task
//! that answers through the interaction's `response_url`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use tracing::Instrument;

use crate::actions::issue::IssueAction;
use crate::actions::rerun::Rerun;
use crate::app::AppState;
use crate::commands::issue_actions::{self, ActionRequest, Requested, Surface};
use crate::commands::parse::parse;
use crate::commands::run::{execute_view, Invocation};
use crate::commands::sentry::View;
use crate::render::issues::{from_detail_block_id, page_from_block_id};
use crate::render::Message;
use crate::slack::{Reply, Visibility};

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
    /// Channel of the message.
    pub channel: Option<IdOnly>,
    /// The actions taken.
    pub actions: Vec<Action>,
    /// `action_id` of an option load.
    pub action_id: Option<String>,
    /// Where answers go.
    pub response_url: Option<String>,
    /// `block_id` of an option load.
    pub block_id: Option<String>,
    /// What was typed into an option load.
    pub value: Option<String>,
    /// The message the action came from.
    pub container: Option<Container>,
}

/// Where an interaction happened.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Container {
    /// True for messages only the clicker sees.
    pub is_ephemeral: bool,
    /// The message's `ts`.
    pub message_ts: Option<String>,
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
    /// The block the element is in.
    pub block_id: String,
    /// A button's value.
    pub value: Option<String>,
    /// A menu's chosen option.
    pub selected_option: Option<SelectedOption>,
}

/// The option picked in a menu.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SelectedOption {
    /// The option's value.
    pub value: String,
    /// The option's label.
    pub text: Option<OptionText>,
}

/// An option's label.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OptionText {
    /// The label.
    pub text: String,
}

impl Action {
    /// The button value or the chosen option's value.
    pub fn chosen_value(&self) -> Option<&str> {
        self.value
            .as_deref()
            .or(self.selected_option.as_ref().map(|o| o.value.as_str()))
    }
}

/// What a click asks for.
enum Intent {
    /// Show another page (replaces the message).
    Page(Rerun),
    /// Post the same answer to the channel.
    Share(Rerun),
    /// Show one issue of a digest to the clicker.
    Expand(Rerun),
    /// Change an issue in Sentry.
    IssueAction(ActionRequest),
    /// A link button or something the bot need not act on.
    Nothing,
}

fn intent(action: &Action, shared: bool, message_ts: Option<&str>) -> Intent {
    let detail = || Surface::Detail {
        shared,
        message_ts: message_ts.filter(|_| shared).map(str::to_string),
    };
    let rerun = || action.chosen_value().and_then(Rerun::decode);
    let verb = |surface: Surface| {
        action
            .chosen_value()
            .and_then(IssueAction::parse)
            .map_or(Intent::Nothing, |a| {
                Intent::IssueAction(ActionRequest {
                    org: a.org,
                    issue_id: a.issue_id,
                    requested: Requested::Verb(a.verb),
                    surface,
                })
            })
    };
    match action.action_id.as_str() {
        "issues_next" => rerun().map_or(Intent::Nothing, Intent::Page),
        "share" => rerun().map_or(Intent::Nothing, Intent::Share),
        "issue_action" | "issue_select" => verb(detail()),
        id if id.starts_with("expand") => rerun().map_or(Intent::Nothing, Intent::Expand),
        id if id.starts_with("issue_menu:") => verb(Surface::ListRow {
            page: page_from_block_id(&action.block_id),
        }),
        "assign" => {
            let picked = action.selected_option.as_ref();
            let target = from_detail_block_id(&action.block_id);
            match (picked, target) {
                (Some(option), Some((org, _, issue_id)))
                    if option.value.starts_with("user:") || option.value.starts_with("team:") =>
                {
                    Intent::IssueAction(ActionRequest {
                        org,
                        issue_id,
                        requested: Requested::Assign {
                            actor: option.value.clone(),
                            name: option
                                .text
                                .as_ref()
                                .map_or(option.value.clone(), |t| t.text.clone()),
                        },
                        surface: detail(),
                    })
                }
                _ => Intent::Nothing,
            }
        }
        _ => Intent::Nothing,
    }
}

/// Acknowledges an interaction and starts its work.
pub async fn handle(State(state): State<AppState>, body: Bytes) -> Response {
    let form: InteractionForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let payload: InteractionPayload = match serde_json::from_str(&form.payload) {
        Ok(payload) => payload,
        Err(e) => {
            tracing::warn!(error = %e, "malformed interaction payload");
            return (StatusCode::BAD_REQUEST, "malformed interaction payload").into_response();
        }
    };
    match answer(&state, payload).await {
        Some(body) => Json(body).into_response(),
        None => StatusCode::OK.into_response(),
    }
}

/// The immediate answer to an interaction (an option list, or nothing),
/// whichever way it arrived; the work is spawned.
pub async fn answer(state: &AppState, payload: InteractionPayload) -> Option<serde_json::Value> {
    let who = Invocation {
        team_id: payload
            .team
            .as_ref()
            .map(|t| t.id.clone())
            .unwrap_or_default(),
        user_id: payload
            .user
            .as_ref()
            .map(|u| u.id.clone())
            .unwrap_or_default(),
        channel_id: payload
            .channel
            .as_ref()
            .map(|c| c.id.clone())
            .unwrap_or_default(),
        response_url: payload.response_url.clone().unwrap_or_default(),
    };
    let span = tracing::info_span!("interaction", kind = %payload.kind, team = %who.team_id, user = %who.user_id);
    let actions: Vec<&str> = payload
        .actions
        .iter()
        .map(|a| a.action_id.as_str())
        .collect();
    span.in_scope(|| tracing::info!(actions = ?actions, "interaction received"));
    match payload.kind.as_str() {
        // Option loads must answer with a list, even an empty one.
        "block_suggestion" => return Some(suggestions(state, &payload).instrument(span).await),
        "block_actions" => {}
        _ => return None,
    }
    let action = payload.actions.first()?;
    let shared = payload.container.as_ref().is_some_and(|c| !c.is_ephemeral);
    let message_ts = payload
        .container
        .as_ref()
        .and_then(|c| c.message_ts.as_deref());
    let intent = intent(action, shared, message_ts);
    if matches!(intent, Intent::Nothing) || who.response_url.is_empty() {
        return None;
    }
    let task_state = state.clone();
    let task = async move {
        let reply = run_intent(&task_state, intent, &who).await;
        if let Err(e) = task_state.responder.send(&who.response_url, &reply).await {
            tracing::error!(error = %e, "could not deliver the interaction's answer");
        }
    };
    state.tasks.spawn(task.instrument(span));
    None
}

async fn run_intent(state: &AppState, intent: Intent, who: &Invocation) -> Reply {
    match intent {
        Intent::Page(rerun) => match parse(&rerun.text) {
            Ok(command) => {
                let view = View {
                    cursor: rerun.cursor,
                    page: rerun.page,
                    ..View::default()
                };
                let mut reply = execute_view(state, &command, who, &view).await;
                reply.replace_original = true;
                reply
            }
            Err(_) => Reply::ephemeral(Message::mrkdwn(
                "That button is out of date; run the command again.",
            )),
        },
        Intent::Share(rerun) => match parse(&rerun.text) {
            Ok(command) => {
                let view = View {
                    cursor: rerun.cursor,
                    page: rerun.page,
                    shared_by: Some(who.user_id.clone()),
                    ..View::default()
                };
                let mut reply = execute_view(state, &command, who, &view).await;
                reply.visibility = Visibility::InChannel;
                reply
            }
            Err(_) => Reply::ephemeral(Message::mrkdwn(
                "That button is out of date; run the command again.",
            )),
        },
        Intent::Expand(rerun) => match parse(&rerun.text) {
            Ok(command) => execute_view(state, &command, who, &View::default()).await,
            Err(_) => Reply::ephemeral(Message::mrkdwn(
                "That button is out of date; run the command again.",
            )),
        },
        Intent::IssueAction(request) => issue_actions::apply(state, who, &request).await,
        Intent::Nothing => Reply::ephemeral(Message::mrkdwn("Nothing to do.")),
    }
}

/// Answers an option load: the assignee menu searches Sentry as people type.
async fn suggestions(state: &AppState, payload: &InteractionPayload) -> serde_json::Value {
    let target = payload.block_id.as_deref().and_then(from_detail_block_id);
    let options = match (payload.action_id.as_deref(), target) {
        (Some("assign"), Some((org, _, _))) => {
            let query = payload.value.as_deref().unwrap_or_default();
            issue_actions::assignee_options(state, &org, query).await
        }
        _ => Vec::new(),
    };
    let options: Vec<serde_json::Value> = options
        .into_iter()
        .map(|(text, value)| json!({ "text": { "type": "plain_text", "text": text }, "value": value }))
        .collect();
    json!({ "options": options })
}
