//! Buttons and menus that change an issue in Sentry: resolve, archive,
//! unresolve, assign. The click is acknowledged before any of this runs;
//! the outcome replaces the message, or, on failure, goes to the clicker
//! alone and leaves the message as it was.

use crate::commands::parse::{parse, Command};
use crate::context::Context;
use crate::context::Invocation;
use crate::issues::answers::{issues, show_issue, View};
use crate::issues::issue_text::snapshot;
use crate::orgs::access::Actor;
use crate::orgs::failures;
use crate::orgs::grants::GrantError;
use crate::orgs::issue_service::is_not_found;
use crate::orgs::people::Services;
use crate::people::notify::{Assigner, Notifier};
use crate::sentry::models::{Assignee, Issue};
use crate::sentry::SentryError;
use crate::slack::action::IssueVerb;
use crate::slack::escape::escape_mrkdwn;
use crate::slack::payload::{ActionRequest, Requested, Surface};
use crate::slack::Message;
use crate::slack::{Reply, Visibility};
use crate::store::{now_ms, Activity, ActivityKind, MessageHold, Snapshot};
use crate::triage::change::{already, request_body, snapshot_after, Change};
use crate::triage::outcome::{outcome, unconfirmed, Outcome};
use serde_json::Value;

/// How long a click holds its message at most: the change and its
/// read-back, each with its retries at the longest Sentry timeout, fit in
/// it; a longer hold only delays the announcement of someone else's change.
const CLICK_HOLD_MS: i64 = 180_000;

fn failure(message: Message) -> Reply {
    // Ephemeral and not replacing: the message stays as it was.
    Reply::ephemeral(message)
}

fn deleted(issue_id: &str) -> Message {
    Message::mrkdwn(format!(
        ":mag: Issue {} no longer exists in Sentry (it was deleted or merged).",
        escape_mrkdwn(issue_id)
    ))
}

fn explain(error: &GrantError, issue_id: &str) -> Message {
    if is_not_found(error) {
        deleted(issue_id)
    } else {
        failures::grant_error(error)
    }
}

/// The Sentry user behind a Slack user, matched by email.
async fn sentry_user_for(ctx: &Context, org: &str, slack_user: &str) -> Result<Change, Message> {
    let email = match ctx.slack.user_email(slack_user).await {
        Ok(Some(email)) => email,
        Ok(None) => {
            return Err(Message::mrkdwn(
                ":bust_in_silhouette: Slack did not share your email, so the bot cannot find you in Sentry. \
                 Pick yourself in *Assign to…* instead.",
            ))
        }
        Err(e) => {
            tracing::warn!(error = %e, "users.info failed");
            return Err(Message::mrkdwn(
                ":bust_in_silhouette: The bot could not read your Slack profile (it needs `users:read.email`). \
                 Pick yourself in *Assign to…* instead.",
            ));
        }
    };
    let members = ctx
        .issues
        .members(org, Some(&email))
        .await
        .map_err(|e| failures::grant_error(&e))?;
    let member = members.into_iter().find(|m| {
        m.email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(&email))
            || m.user
                .as_ref()
                .and_then(|u| u.email.as_deref())
                .is_some_and(|e| e.eq_ignore_ascii_case(&email))
    });
    match member.and_then(|m| m.user.map(|u| (u, m.name))) {
        Some((user, name)) => Ok(Change::AssignTo {
            actor: format!("user:{}", user.id),
            name: name.or(user.name).unwrap_or(email),
        }),
        None => Err(Message::mrkdwn(format!(
            ":bust_in_silhouette: No member of *{}* in Sentry has your Slack email ({}). Pick yourself in *Assign to…* instead.",
            escape_mrkdwn(org),
            escape_mrkdwn(&email)
        ))),
    }
}

fn record(ctx: &Context, who: &Invocation, request: &ActionRequest, what: &str, outcome: &str) {
    let activity = Activity {
        at_ms: now_ms(),
        team_id: who.team_id.clone(),
        user_id: who.user_id.clone(),
        channel_id: who.channel_id.clone(),
        kind: ActivityKind::Action,
        subject: format!("{what} {}/{}", request.org, request.issue_id),
        outcome: outcome.to_string(),
    };
    tracing::info!(org = %request.org, issue = %request.issue_id, action = what, outcome, "issue action");
    ctx.activity.record(activity);
}

fn action_name(change: &Change) -> String {
    match change {
        Change::Verb(verb) => verb.code().to_string(),
        Change::AssignTo { actor, .. } => format!("assign {actor}"),
        Change::ResolveIn { version } => format!("resolve_in {version}"),
    }
}

/// Applies a click and returns the answer for its `response_url`.
pub(crate) async fn apply(ctx: &Context, who: &Invocation, request: &ActionRequest) -> Reply {
    // A button names an org; only linked ones are acted on, and only for
    // people the policy allows. Nothing reaches Sentry otherwise.
    match ctx.issues.linked_orgs().await {
        Ok(orgs) if orgs.iter().any(|o| o.org == request.org) => {}
        Ok(_) => {
            record(ctx, who, request, "click", "refused: org not linked");
            return failure(Message::mrkdwn(format!(
                ":no_entry: That button is for the Sentry org *{}*, which is not linked here. Nothing was changed.",
                escape_mrkdwn(&request.org)
            )));
        }
        Err(e) => return failure(failures::grant_error(&e)),
    }
    let actor = match ctx.access().authorize(&request.org, &who.user_id).await {
        Ok(actor) => actor,
        Err(refused) => {
            record(ctx, who, request, "click", "refused: policy");
            return failure(failures::refusal(&refused));
        }
    };
    if let Requested::Assign { actor: target, .. } = &request.requested {
        if let Err(message) = assignable(ctx, &request.org, target).await {
            record(ctx, who, request, "assign", "refused: not a member");
            return failure(message);
        }
    }
    let change = match &request.requested {
        Requested::Verb(IssueVerb::AssignToMe) => {
            match sentry_user_for(ctx, &request.org, &who.user_id).await {
                Ok(change) => change,
                Err(message) => return failure(message),
            }
        }
        Requested::Verb(verb) => Change::Verb(*verb),
        Requested::Assign { actor, name } => Change::AssignTo {
            actor: actor.clone(),
            name: name.clone(),
        },
        Requested::ResolveIn { version } => Change::ResolveIn {
            version: version.clone(),
        },
    };
    let what = action_name(&change);
    let issue = match ctx.issues.get(&request.org, &request.issue_id).await {
        Ok(issue) => issue,
        Err(e) => {
            record(ctx, who, request, &what, &format!("failed: {e}"));
            return failure(explain(&e, &request.issue_id));
        }
    };
    let name = escape_mrkdwn(issue.short_id.as_deref().unwrap_or(&issue.id));
    if let Some(why) = already(&issue, &change) {
        record(ctx, who, request, &what, "unchanged");
        return failure(Message::mrkdwn(format!(
            ":information_source: *{name}* {}, so nothing changed.",
            escape_mrkdwn(&why)
        )));
    }
    let alert_ts = match &request.surface {
        Surface::Detail {
            message_ts: Some(ts),
            ..
        } => Some(ts.as_str()),
        _ => None,
    };
    // Held from before Sentry changes until the message's new state is
    // recorded, so no poll or webhook announces this change as Sentry's.
    let hold = match alert_ts {
        Some(ts) => ctx
            .store
            .hold_message(&who.channel_id, ts, CLICK_HOLD_MS)
            .await
            .map_err(|e| tracing::warn!(error = %e, "cannot hold the alert during the change"))
            .ok(),
        None => None,
    };
    let body = request_body(&change);
    let answer = match ctx
        .issues
        .update(&request.org, &request.issue_id, &body)
        .await
    {
        Ok(answer) => answer,
        Err(e) => {
            release(ctx, hold).await;
            record(ctx, who, request, &what, &format!("failed: {e}"));
            return failure(explain(&e, &request.issue_id));
        }
    };
    // The assignment is recorded before Sentry's webhook about it can
    // arrive, so the webhook (whose actor is the bot's token) is no change.
    let assignment_changed = match assigned_actor(&change) {
        Some(actor) => ctx
            .store
            .observe_assignee(&request.org, &request.issue_id, &actor)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "cannot record the assignment");
                false
            }),
        None => false,
    };
    // An alert changed from its own buttons is not reported again as
    // changed in Sentry: its new state is recorded at once (before the
    // read-back and the note), and the poller checks the stored state
    // again before it announces a change (`alerts::sync`).
    let expected = snapshot_after(&issue, &change);
    if let Some(ts) = alert_ts {
        remember_state(ctx, &who.channel_id, ts, &expected).await;
    }
    // The server's own account of the change is the issue read back; when
    // that read fails, the card is drawn from its answer to the change, and
    // the line claims no more than that the change was accepted.
    let read_back = match ctx.issues.get(&request.org, &request.issue_id).await {
        Ok(after) => Some(after),
        Err(e) => {
            tracing::info!(org = %request.org, issue = %request.issue_id, error = %e, "could not read the issue back after the change");
            None
        }
    };
    if let (Some(ts), Some(after)) = (alert_ts, &read_back) {
        let kept = snapshot(after);
        if kept != expected {
            remember_state(ctx, &who.channel_id, ts, &kept).await;
        }
    }
    release(ctx, hold).await;
    let outcome = match &read_back {
        Some(after) => outcome(&change, after),
        None => unconfirmed(&change),
    };
    let after = read_back.unwrap_or_else(|| as_answered(&issue, &answer));
    if let Some(assigned) = assigned_after(&after, &change).filter(|_| assignment_changed) {
        notify_assignee(ctx, who, &request.org, assigned);
    }
    record(ctx, who, request, &what, outcome_word(&outcome));
    if ctx.sentry_notes {
        leave_note(ctx, who, request, &actor, &outcome).await;
    }
    let user = escape_mrkdwn(&who.user_id);
    let said = status_sentence(&outcome, &user, None);
    let said_of = status_sentence(&outcome, &user, Some(&name));
    match &request.surface {
        Surface::Detail { shared, .. } => {
            // A card the channel sees keeps its "Mute here" / "Unmute here".
            // DMs (`D…`) have nothing to mute.
            let in_a_channel = *shared && !who.channel_id.starts_with('D');
            let here = match in_a_channel {
                true => Some(
                    ctx.store
                        .muted_here(&who.channel_id, &request.org, &request.issue_id)
                        .await
                        .map_err(|e| tracing::warn!(error = %e, "cannot read the channel's mutes"))
                        .ok()
                        .flatten()
                        .is_some(),
                ),
                false => None,
            };
            let view = View {
                status_line: Some(said),
                // A message already in the channel has nothing to share.
                in_channel: *shared,
                here,
                ..View::default()
            };
            let message = show_issue(ctx, &request.org, &after, &view).await;
            Reply {
                visibility: if *shared {
                    Visibility::InChannel
                } else {
                    Visibility::Ephemeral
                },
                text: message.text,
                blocks: message.blocks,
                replace_original: true,
            }
        }
        Surface::ListRow { page: Some(page) } => {
            // List rows only ever come from `/sentry issues`; anything else
            // gets the plain confirmation.
            let Ok(Command::Issues { project, query }) = parse(&page.text) else {
                return confirmation(&said_of);
            };
            let view = View {
                cursor: page.cursor.clone(),
                page: page.page,
                status_line: Some(said_of),
                fresh: true,
                ..View::default()
            };
            let mut reply = Reply::ephemeral(issues(ctx, &project, query.as_deref(), &view).await);
            reply.replace_original = true;
            reply
        }
        Surface::ListRow { page: None } => confirmation(&said_of),
    }
}

/// The actor an assignment change asks for (`user:42`, `team:5`; empty
/// to unassign), or `None` for other changes.
fn assigned_actor(change: &Change) -> Option<String> {
    match change {
        Change::AssignTo { actor, .. } => Some(actor.clone()),
        Change::Verb(IssueVerb::Unassign) => Some(String::new()),
        Change::Verb(_) | Change::ResolveIn { .. } => None,
    }
}

/// The issue as an assignment change left it: as read back, or, from a
/// server that does not show assignees, as asked.
fn assigned_after(after: &Issue, change: &Change) -> Option<Issue> {
    match change {
        Change::AssignTo { actor, name } => {
            let mut assigned = after.clone();
            if assigned.assigned_to.is_none() {
                let (kind, id) = actor.split_once(':')?;
                assigned.assigned_to = Some(Assignee {
                    kind: Some(kind.to_string()),
                    id: Some(id.to_string()),
                    name: Some(name.clone()),
                    email: None,
                });
            }
            Some(assigned)
        }
        Change::Verb(IssueVerb::Unassign) => Some(after.clone()),
        Change::Verb(_) | Change::ResolveIn { .. } => None,
    }
}

/// Tells the new assignee by DM, off the click's answer path; the
/// assignment was recorded as soon as Sentry accepted it.
fn notify_assignee(ctx: &Context, who: &Invocation, org: &str, assigned: Issue) {
    let (ctx, clicker, org) = (ctx.clone(), who.user_id.clone(), org.to_string());
    ctx.tasks.clone().spawn(async move {
        let notifier = Notifier {
            services: Services {
                issues: &ctx.issues,
                store: &ctx.store,
                slack: &ctx.slack,
            },
            directory: &ctx.people,
        };
        match notifier
            .assignment_changed(&org, &assigned, Assigner::Slack(&clicker))
            .await
        {
            Ok(true) => ctx.wake_delivery.notify_one(),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "cannot plan the assignee's DM"),
        }
    });
}

/// Gives a click's hold on its message back.
async fn release(ctx: &Context, hold: Option<MessageHold>) {
    if let Some(hold) = hold {
        if let Err(e) = ctx.store.release_message(&hold).await {
            tracing::warn!(error = %e, "cannot release the alert's hold; it expires by itself");
        }
    }
}

async fn remember_state(ctx: &Context, channel: &str, ts: &str, snapshot: &Snapshot) {
    if let Err(e) = ctx
        .store
        .set_snapshot_for_message(channel, ts, snapshot)
        .await
    {
        tracing::warn!(error = %e, "could not record the alert's new state");
    }
}

/// `before` with the fields the server's answer to a change carries
/// (`status`, `substatus`, `statusDetails`, `assignedTo`) laid over it.
fn as_answered(before: &Issue, answer: &Value) -> Issue {
    let (Ok(mut merged), Some(fields)) = (serde_json::to_value(before), answer.as_object()) else {
        return before.clone();
    };
    // What was asked for is not in the answer unless the server kept it.
    merged["statusDetails"] = Value::Null;
    for (key, value) in fields {
        let key = match key.as_str() {
            "status_details" => "statusDetails",
            "assigned_to" => "assignedTo",
            other => other,
        };
        if matches!(key, "status" | "substatus" | "statusDetails" | "assignedTo") {
            merged[key] = value.clone();
        }
    }
    serde_json::from_value(merged).unwrap_or_else(|_| before.clone())
}

fn outcome_word(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Kept { .. } => "ok",
        Outcome::Partly { .. } => "ok: details dropped by the server",
        Outcome::NotShown { .. } => "accepted, not shown",
        Outcome::Unconfirmed { .. } => "accepted, not read back",
    }
}

/// "Archived by <@U1> just now — this server keeps no expiry", after the
/// issue's `name` (escaped) on lists; escaped mrkdwn.
fn status_sentence(outcome: &Outcome, user: &str, name: Option<&str>) -> String {
    let of = name.map(|n| format!("*{n}*: ")).unwrap_or_default();
    match outcome {
        Outcome::Kept { .. } | Outcome::Partly { .. } => {
            let phrase = escape_mrkdwn(outcome.phrase().unwrap_or_default());
            let caveat = match outcome {
                Outcome::Partly { caveat, .. } => format!(" — {}", escape_mrkdwn(caveat)),
                _ => String::new(),
            };
            format!(":white_check_mark: {of}{phrase} by <@{user}> just now{caveat}")
        }
        Outcome::Unconfirmed { asked } => format!(
            ":white_check_mark: {of}Sentry accepted “{}” from <@{user}> just now; the issue could not be read back to confirm it",
            escape_mrkdwn(asked)
        ),
        Outcome::NotShown { asked, shows } => format!(
            ":warning: {of}Sentry accepted “{}” from <@{user}>, but the issue still shows {}",
            escape_mrkdwn(asked),
            escape_mrkdwn(shows)
        ),
    }
}

/// Leaves a note on the issue naming who changed it from Slack, so Sentry's
/// activity shows the person and not only the token's owner. A note that
/// cannot be left is logged; the change stands.
async fn leave_note(
    ctx: &Context,
    who: &Invocation,
    request: &ActionRequest,
    actor: &Actor,
    outcome: &Outcome,
) {
    let place = who
        .channel_name
        .as_deref()
        .filter(|n| !n.is_empty())
        .map_or_else(
            || format!("channel {}", who.channel_id),
            |n| format!("#{n}"),
        );
    let text = match (outcome.phrase(), outcome.asked()) {
        (Some(phrase), _) => format!("{phrase} from Slack by {} in {place}", actor.label()),
        (None, asked) => format!(
            "“{}” asked from Slack by {} in {place}",
            asked.unwrap_or_default(),
            actor.label()
        ),
    };
    match ctx
        .issues
        .add_note(&request.org, &request.issue_id, &text)
        .await
    {
        Ok(()) => {}
        // Learned once and said by `/sentry orgs` and `whoami`.
        Err(GrantError::Sentry(SentryError::Unsupported { .. })) => {
            tracing::debug!(org = %request.org, "this server keeps no notes from Slack");
        }
        Err(e) => {
            tracing::warn!(org = %request.org, issue = %request.issue_id, error = %e, "could not leave the note in Sentry; the change stands");
        }
    }
}

/// Whether `target` (`user:<id>` or `team:<id>`) belongs to `org`.
async fn assignable(ctx: &Context, org: &str, target: &str) -> Result<(), Message> {
    let known = match target.split_once(':') {
        Some(("user", id)) => {
            let mut found = false;
            for refresh in [false, true] {
                if refresh && !ctx.issues.may_refresh_members(org) {
                    break;
                }
                let members = ctx
                    .issues
                    .org_members(org, refresh)
                    .await
                    .map_err(|e| failures::grant_error(&e))?;
                found = members
                    .iter()
                    .any(|m| m.user.as_ref().is_some_and(|u| u.id == id));
                if found {
                    break;
                }
            }
            found
        }
        Some(("team", id)) => ctx
            .issues
            .teams(org)
            .await
            .map_err(|e| failures::grant_error(&e))?
            .iter()
            .any(|t| t.id == id),
        _ => false,
    };
    if known {
        Ok(())
    } else {
        Err(Message::mrkdwn(format!(
            ":no_entry: That assignee is not a member or team of *{}* in Sentry. Nothing was changed.",
            escape_mrkdwn(org)
        )))
    }
}

fn confirmation(said: &str) -> Reply {
    Reply::ephemeral(Message::mrkdwn(format!("{said}.")))
}
