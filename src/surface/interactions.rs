//! Clicks and option loads on our messages. [`payload`] reads what Slack
//! sends, [`crate::slack::action`] decodes what our messages carry, [`click`] changes the
//! issue in Sentry and redraws, [`change`] holds the exact Sentry bodies.
//! Every interaction is acknowledged at once; the work runs in a spawned
//! task that answers through the interaction's `response_url`.

use serde_json::json;
use tracing::Instrument;

use crate::commands::parse::parse;
use crate::context::Context;
use crate::context::Invocation;
use crate::issues::answers::{show_row, View};
use crate::slack::action::{from_detail_block_id, ActionId, Menu};
use crate::slack::limits::MAX_BUTTON_VALUE;
use crate::slack::payload::{intent, Intent, InteractionPayload};
use crate::slack::Message;
use crate::slack::{Reply, Visibility};
use crate::surface::dispatch::execute_view;
use crate::triage::{click, options};

/// The immediate answer to an interaction (an option list, or nothing),
/// whichever way it arrived; the work is spawned.
pub(crate) async fn answer(
    ctx: &Context,
    payload: InteractionPayload,
) -> Option<serde_json::Value> {
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
        channel_name: payload.channel.as_ref().and_then(|c| c.name.clone()),
        response_url: payload.response_url.clone().unwrap_or_default(),
    };
    let span = tracing::info_span!("interaction", kind = %payload.kind, team = %who.team_id, user = %who.user_id);
    let actions: Vec<&str> = payload
        .actions
        .iter()
        .map(|a| a.action_id.as_str())
        .collect();
    span.in_scope(|| tracing::debug!(actions = ?actions, "interaction received"));
    match payload.kind.as_str() {
        // Option loads must answer with a list, even an empty one.
        "block_suggestion" => return Some(suggestions(ctx, &payload).instrument(span).await),
        "block_actions" => {}
        _ => return None,
    }
    let action = payload.actions.first()?;
    // Our values are at most Slack's 2,000 characters; a longer one is forged.
    if action
        .chosen_value()
        .is_some_and(|v| v.chars().count() > MAX_BUTTON_VALUE)
    {
        span.in_scope(|| tracing::warn!("interaction value over the limit; refused"));
        let refusal = Reply::ephemeral(Message::mrkdwn(
            ":no_entry: That button did not come from the bot, so nothing was done.",
        ));
        let task_ctx = ctx.clone();
        let response_url = who.response_url.clone();
        if !response_url.is_empty() {
            ctx.tasks.spawn(async move {
                if let Err(e) = task_ctx.responder.send(&response_url, &refusal).await {
                    tracing::warn!(error = %e, "could not refuse the forged click");
                }
            });
        }
        return None;
    }
    let shared = payload.container.as_ref().is_some_and(|c| !c.is_ephemeral);
    let message_ts = payload
        .container
        .as_ref()
        .and_then(|c| c.message_ts.as_deref());
    let intent = intent(action, shared, message_ts);
    if matches!(intent, Intent::Nothing) {
        return None;
    }
    // The Home tab has no response_url: act, then draw the tab again.
    let on_home = payload.container.as_ref().is_some_and(|c| c.kind == "view");
    if on_home && who.response_url.is_empty() {
        let slot = ctx.deferred.admit()?;
        let task_ctx = ctx.clone();
        let task = async move {
            let _slot = slot;
            act_from_home(&task_ctx, intent, &who).await;
        };
        ctx.tasks.spawn(task.instrument(span));
        return None;
    }
    if who.response_url.is_empty() {
        return None;
    }
    let task_ctx = ctx.clone();
    let Some(slot) = ctx.deferred.admit() else {
        // Telling the clicker costs one post and no Sentry call.
        let busy = async move {
            let reply = Reply::ephemeral(crate::orgs::failures::busy());
            if let Err(e) = task_ctx.responder.send(&who.response_url, &reply).await {
                tracing::warn!(error = %e, "could not say the bot is busy");
            }
        };
        ctx.tasks.spawn(busy.instrument(span));
        return None;
    };
    let task = async move {
        let _slot = slot;
        let reply = run_intent(&task_ctx, intent, &who).await;
        if let Err(e) = task_ctx.responder.send(&who.response_url, &reply).await {
            tracing::error!(error = %e, "could not deliver the interaction's answer");
        }
    };
    ctx.tasks.spawn(task.instrument(span));
    None
}

/// A choice on the Home tab: the change is made (its answer is the redrawn
/// tab), a card asked for arrives as a DM, and the tab is drawn again.
async fn act_from_home(ctx: &Context, intent: Intent, who: &Invocation) {
    match intent {
        Intent::IssueAction(request) => {
            let reply = click::apply(ctx, who, &request).await;
            tracing::info!(said = %reply.text, "acted from the home tab");
        }
        Intent::ShowCard { org, issue_id, .. } => {
            let card = show_row(ctx, &org, &issue_id, None).await;
            if let Err(e) = ctx.slack.post_dm(&who.user_id, &card).await {
                tracing::warn!(error = %e, "cannot send the card from the home tab");
            }
        }
        _ => {}
    }
    crate::home::refresh::refresh(ctx, &who.user_id).await;
}

async fn run_intent(ctx: &Context, intent: Intent, who: &Invocation) -> Reply {
    match intent {
        Intent::Page(rerun) => match parse(&rerun.text) {
            Ok(command) => {
                let view = View {
                    cursor: rerun.cursor,
                    page: rerun.page,
                    ..View::default()
                };
                let mut reply = execute_view(ctx, &command, who, &view).await;
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
                let mut reply = execute_view(ctx, &command, who, &view).await;
                reply.visibility = Visibility::InChannel;
                reply
            }
            Err(_) => Reply::ephemeral(Message::mrkdwn(
                "That button is out of date; run the command again.",
            )),
        },
        Intent::Expand(rerun) => match parse(&rerun.text) {
            Ok(command) => execute_view(ctx, &command, who, &View::default()).await,
            Err(_) => Reply::ephemeral(Message::mrkdwn(
                "That button is out of date; run the command again.",
            )),
        },
        Intent::IssueAction(request) => click::apply(ctx, who, &request).await,
        // A list in the channel stays as everyone sees it: the card goes
        // to the clicker alone.
        Intent::ShowCard {
            org,
            issue_id,
            shared: true,
            ..
        } => Reply::ephemeral(show_row(ctx, &org, &issue_id, None).await),
        Intent::ShowCard {
            org,
            issue_id,
            page,
            shared: false,
        } => {
            let mut reply = Reply::ephemeral(show_row(ctx, &org, &issue_id, page.as_ref()).await);
            reply.replace_original = true;
            reply
        }
        Intent::MuteHere {
            org,
            issue_id,
            mute,
        } => crate::triage::here::apply(ctx, who, &org, &issue_id, mute).await,
        Intent::Nothing => Reply::ephemeral(Message::mrkdwn("Nothing to do.")),
    }
}

async fn assignees(
    ctx: &Context,
    payload: &InteractionPayload,
    org: &str,
) -> Vec<(String, String)> {
    let query = payload.value.as_deref().unwrap_or_default();
    options::assignee_options(ctx, org, query).await
}

/// Answers an option load: the assignee menu searches Sentry as people
/// type; "Resolve in…" lists the issue's project's recent releases.
async fn suggestions(ctx: &Context, payload: &InteractionPayload) -> serde_json::Value {
    let on_card = || {
        payload
            .block_id
            .as_deref()
            .and_then(from_detail_block_id)
            .map(|(org, _, issue)| (org, issue))
    };
    let menu = payload.action_id.as_deref().and_then(ActionId::decode);
    let options = match menu {
        Some(ActionId::Assign(Menu::Card)) => match on_card() {
            Some((org, _)) => assignees(ctx, payload, &org).await,
            None => Vec::new(),
        },
        Some(ActionId::Assign(Menu::Row { org, .. })) => assignees(ctx, payload, &org).await,
        Some(ActionId::ResolveIn(Menu::Card)) => match on_card() {
            Some((org, issue)) => options::release_options(ctx, &org, &issue).await,
            None => Vec::new(),
        },
        Some(ActionId::ResolveIn(Menu::Row { org, issue_id })) => {
            options::release_options(ctx, &org, &issue_id).await
        }
        _ => Vec::new(),
    };
    let options: Vec<serde_json::Value> = options
        .into_iter()
        .map(|(text, value)| json!({ "text": { "type": "plain_text", "text": text }, "value": value }))
        .collect();
    json!({ "options": options })
}
