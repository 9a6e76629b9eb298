//! A verified slash command, from whichever transport: answered at once
//! when no I/O is needed, otherwise acknowledged and finished in a spawned
//! task that answers through `response_url`.

use serde::Deserialize;
use tracing::Instrument;

use crate::commands::Subcommand;
use crate::context::Context;
use crate::context::Invocation;
use crate::orgs::failures;
use crate::sentry::turns;
use crate::slack::{ImmediateReply, Reply};
use crate::store::{now_ms, Activity, ActivityKind};
use crate::surface::dispatch::{self, Outcome, Plan};

/// The fields of Slack's slash-command form that the bot uses.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SlashCommandForm {
    /// The command, like `/sentry`.
    pub command: String,
    /// What was typed after it.
    pub text: String,
    /// Workspace.
    pub team_id: String,
    /// Who typed it.
    pub user_id: String,
    /// Where.
    pub channel_id: String,
    /// The channel's name.
    pub channel_name: Option<String>,
    /// Where deferred answers go.
    pub response_url: Option<String>,
}

/// The immediate answer to a command, whichever way it arrived; work that
/// calls out is spawned and answers through `response_url`, and is
/// acknowledged with no message at all (`Ok(None)`), so each command leaves
/// exactly one answer rather than a "working on it" note above it.
pub(crate) fn answer(
    ctx: &Context,
    form: SlashCommandForm,
) -> Result<Option<ImmediateReply>, &'static str> {
    let span = tracing::info_span!(
        "slash_command",
        team = %form.team_id,
        user = %form.user_id,
        channel = %form.channel_id,
        command = %form.command,
        subcommand = tracing::field::Empty,
    );
    let _entered = span.enter();
    match dispatch::plan(&form.text) {
        Plan::Answer {
            reply,
            outcome,
            subcommand,
        } => {
            span.record("subcommand", subcommand.map_or("unknown", Subcommand::name));
            tracing::info!(outcome = outcome.as_str(), "answered at once");
            record(ctx, &form, subcommand, outcome);
            Ok(Some(reply))
        }
        Plan::Defer { command } => {
            let subcommand = command.subcommand();
            span.record("subcommand", subcommand.name());
            let Some(response_url) = form.response_url.clone().filter(|u| !u.is_empty()) else {
                tracing::warn!("deferred command without a response_url");
                return Err("response_url is required");
            };
            // Under overload nothing is written, not even the activity log.
            let Some(slot) = ctx.deferred.admit() else {
                return Ok(Some(ImmediateReply::Fresh(Reply::ephemeral(
                    failures::busy(),
                ))));
            };
            let who = Invocation {
                team_id: form.team_id.clone(),
                user_id: form.user_id.clone(),
                channel_id: form.channel_id.clone(),
                channel_name: form.channel_name.clone(),
                response_url: response_url.clone(),
            };
            let task_ctx = ctx.clone();
            let task = async move {
                let _slot = slot;
                let (reply, timed_out) = answer_in_time(&task_ctx, &command, &who).await;
                let outcome = match task_ctx.responder.send(&response_url, &reply).await {
                    Ok(()) if timed_out => Outcome::TimedOut,
                    Ok(()) => Outcome::Answered,
                    Err(e) => {
                        tracing::error!(error = %e, "could not deliver the answer to response_url");
                        Outcome::DeliveryFailed
                    }
                };
                tracing::info!(outcome = outcome.as_str(), "deferred command finished");
                record(&task_ctx, &form, Some(subcommand), outcome);
            };
            ctx.tasks.spawn(task.instrument(span.clone()));
            Ok(None)
        }
    }
}

/// Runs `command`. One that only reads waits at most the answer timeout
/// for turns at Sentry (a call in flight is never cut off): past it, the
/// command answers that Sentry is slow instead of waiting minutes behind a
/// backlog. Commands that write, or wait for a person (link), run to the
/// end. The flag says whether some wait was given up.
async fn answer_in_time(
    ctx: &Context,
    command: &crate::commands::parse::Command,
    who: &Invocation,
) -> (Reply, bool) {
    // One heap copy of the command's (large) future: passed by value through
    // `within`, an unboxed one was stored twice per waiting answer, which
    // the open-loop bench showed as 89 KiB per answer instead of 32.
    let work = Box::pin(dispatch::execute(ctx, command, who));
    if !command.only_reads() {
        return (work.await, false);
    }
    let (reply, gave_up) = turns::within(ctx.answer_timeout, work).await;
    if gave_up {
        let subcommand = command.subcommand().name();
        metrics::counter!(crate::meters::ANSWERS_TIMED_OUT, "subcommand" => subcommand)
            .increment(1);
    }
    (reply, gave_up)
}

/// Queues a row for the activity log; the request never waits for it.
fn record(
    ctx: &Context,
    form: &SlashCommandForm,
    subcommand: Option<Subcommand>,
    outcome: Outcome,
) {
    let activity = Activity {
        at_ms: now_ms(),
        team_id: form.team_id.clone(),
        user_id: form.user_id.clone(),
        channel_id: form.channel_id.clone(),
        kind: ActivityKind::Command,
        subject: subcommand.map_or("unknown", Subcommand::name).to_string(),
        outcome: outcome.as_str().to_string(),
    };
    ctx.activity.record(activity);
}
