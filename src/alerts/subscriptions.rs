//! `/sentry subscribe`, `/sentry unsubscribe` and `/sentry subscriptions`.

use crate::alerts::messages::{self, Baseline};
use crate::commands::parse::{ProjectRef, SubscribeOptions};
use crate::context::Context;
use crate::context::Invocation;
use crate::issues::answers::resolve_target;
use crate::orgs::failures;
use crate::orgs::grants::GrantError;
use crate::orgs::issue_service::MAX_PAGES_PER_READ;
use crate::sentry::client::MAX_PAGE;
use crate::sentry::IssueQuery;
use crate::slack::escape::escape_mrkdwn;
use crate::slack::Message;
use crate::slack::SlackError;
use crate::store::{now_ms, SubscriptionRow};

fn random_id() -> String {
    format!("sub_{:016x}", rand::random::<u64>())
}

/// `subscribe` for `project` with the same query and options, as typed.
fn subscribe_text(project: &str, query: Option<&str>, options: &SubscribeOptions) -> String {
    let mut text = format!("subscribe {project}");
    if let Some(query) = query {
        text.push(' ');
        text.push_str(query);
    }
    let defaults = SubscribeOptions::default();
    if !options.regressions {
        text.push_str(" --no-regressions");
    }
    if options.digest != defaults.digest {
        text.push_str(&format!(" --digest {}", options.digest));
    }
    if options.threads != defaults.threads {
        text.push_str(" --threads ");
        text.push_str(options.threads.option_value());
    }
    if options.mention != defaults.mention {
        text.push_str(" --mention ");
        text.push_str(options.mention.option_value());
    }
    text
}

/// `/sentry subscribe <[org/]project> [query] [options]`.
pub(crate) async fn subscribe(
    ctx: &Context,
    who: &Invocation,
    target: &ProjectRef,
    query: Option<&str>,
    options: &SubscribeOptions,
) -> Message {
    let redo = |candidate: &str| subscribe_text(candidate, query, options);
    let (org, project, project_id, query) = match resolve_target(ctx, target, query, &redo).await {
        Ok(found) => (found.org, found.project, found.project_id, found.query),
        Err(message) => return message,
    };
    if let Err(refused) = ctx.access().authorize(&org, &who.user_id).await {
        return failures::refusal(&refused);
    }
    // Taken before the baseline, so nothing falls between the two.
    let created_at_ms = now_ms();
    // The issues that exist now are the baseline: they are never posted.
    let request = IssueQuery::by_activity(&project, &project_id, &query, MAX_PAGE, None);
    let listed = match ctx
        .issues
        .list_pages(&org, &request, MAX_PAGES_PER_READ)
        .await
    {
        Ok(listed) => listed,
        Err(e) => return failures::list_error(&query, &e),
    };
    let read = listed.items.len() as u64;
    let baseline_count = match (listed.cut_short, listed.total) {
        (false, _) => Baseline::Exactly(read),
        (true, Some(total)) => Baseline::Exactly(total.max(read)),
        (true, None) => Baseline::AtLeast(read),
    };
    let sub = SubscriptionRow {
        id: random_id(),
        team_id: who.team_id.clone(),
        channel_id: who.channel_id.clone(),
        org_slug: org,
        project_slug: project,
        project_id,
        query,
        regressions: options.regressions,
        digest: options.digest,
        threads: options.threads,
        mention: options.mention,
        created_by: who.user_id.clone(),
        created_at_ms,
        relink_notified: false,
        baseline_complete: !listed.cut_short,
    };
    let baseline = listed.items;
    // Posting the notice proves the bot can post here before anything is stored.
    if let Err(e) = ctx
        .slack
        .post_message(
            &who.channel_id,
            &messages::subscribed_notice(&sub),
            None,
            false,
        )
        .await
    {
        tracing::info!(channel = %who.channel_id, error = %e, "cannot post in the channel");
        return cannot_post(&e);
    }
    let (stored, updated) = match ctx.store.put_subscription(&sub).await {
        Ok(result) => result,
        Err(e) => return failures::grant_error(&GrantError::Store(e)),
    };
    let seen: Vec<(String, String)> = baseline
        .iter()
        .map(|i| {
            (
                i.id.clone(),
                crate::alerts::diff::first_remembered(i).to_string(),
            )
        })
        .collect();
    if let Err(e) = ctx.store.record_tick(&stored.id, &seen, &[]).await {
        return failures::grant_error(&GrantError::Store(e));
    }
    tracing::info!(subscription = %stored.id, channel = %stored.channel_id, org = %stored.org_slug,
        project = %stored.project_slug, query = %stored.query, updated, "subscribed");
    messages::subscribed(&stored, updated, baseline_count)
}

fn cannot_post(error: &SlackError) -> Message {
    let detail = match error {
        SlackError::Api(code) if code == "not_in_channel" => {
            "the bot is not a member of this channel. Invite it with `/invite @Sentry` (or give the app the `chat:write.public` scope) and subscribe again."
                .to_string()
        }
        SlackError::Api(code) if code == "channel_not_found" => {
            "Slack says this channel cannot be found by the bot; for a private channel, invite the bot with `/invite @Sentry` first."
                .to_string()
        }
        SlackError::Api(code) if code == "is_archived" => "this channel is archived.".to_string(),
        other => format!("Slack refused the post ({}).", escape_mrkdwn(&other.to_string())),
    };
    Message::mrkdwn(format!(":no_entry: I can't post alerts here: {detail}"))
}

/// `/sentry unsubscribe <[org/]project>`.
pub(crate) async fn unsubscribe(ctx: &Context, who: &Invocation, target: &ProjectRef) -> Message {
    let subs = match ctx.store.channel_subscriptions(&who.channel_id).await {
        Ok(subs) => subs,
        Err(e) => return failures::grant_error(&GrantError::Store(e)),
    };
    let matching: Vec<&SubscriptionRow> = subs
        .iter()
        .filter(|s| {
            s.project_slug == target.project && target.org.as_ref().is_none_or(|o| *o == s.org_slug)
        })
        .collect();
    match matching.as_slice() {
        [] => Message::mrkdwn(format!(
            "This channel is not subscribed to `{}`. `/sentry subscriptions` lists its subscriptions.",
            escape_mrkdwn(&target.to_string())
        )),
        [sub] => match ctx.access().authorize(&sub.org_slug, &who.user_id).await {
            Err(refused) => failures::refusal(&refused),
            Ok(_) => match ctx.store.delete_subscription(&sub.channel_id, &sub.org_slug, &sub.project_slug).await {
            Ok(_) => {
                tracing::info!(subscription = %sub.id, "unsubscribed");
                Message::mrkdwn(format!(
                    ":no_bell: Unsubscribed this channel from *{}*.",
                    escape_mrkdwn(&format!("{}/{}", sub.org_slug, sub.project_slug))
                ))
            }
            Err(e) => failures::grant_error(&GrantError::Store(e)),
            },
        },
        several => Message::mrkdwn(format!(
            "Several subscriptions here are for `{}`: name one of {}.",
            escape_mrkdwn(&target.project),
            several
                .iter()
                .map(|s| format!("`{}`", escape_mrkdwn(&format!("{}/{}", s.org_slug, s.project_slug))))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// `/sentry subscriptions`.
pub(crate) async fn list(ctx: &Context, who: &Invocation) -> Message {
    let subs = match ctx.store.channel_subscriptions(&who.channel_id).await {
        Ok(subs) => subs,
        Err(e) => return failures::grant_error(&GrantError::Store(e)),
    };
    let hushes = match ctx.store.hushes().await {
        Ok(hushes) => hushes,
        Err(e) => return failures::grant_error(&GrantError::Store(e)),
    };
    let now = now_ms();
    let quiet = subs
        .iter()
        .filter_map(|sub| {
            let line = crate::alerts::mute::hush_line(hushes.get(&sub.id)?, now)?;
            Some((sub.id.clone(), line))
        })
        .collect();
    messages::subscriptions(&subs, &quiet)
}
