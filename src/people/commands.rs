//! `/sentry people`: list an org's members and how each is matched to
//! Slack; `map` and `unmap` (workspace admins) for people whose emails differ.

use std::collections::HashMap;

use crate::commands::command::PeopleChange;
use crate::context::{Context, Invocation};
use crate::orgs::failures;
use crate::orgs::people::matching::{identities, match_member};
use crate::people::messages::{self, PersonLine};
use crate::slack::escape::escape_mrkdwn;
use crate::slack::reference::SlackUserRef;
use crate::slack::Message;

/// Runs `/sentry people …`.
pub(crate) async fn people(ctx: &Context, who: &Invocation, change: &PeopleChange) -> Message {
    match change {
        PeopleChange::List { org } => list(ctx, who, org.as_deref()).await,
        PeopleChange::Map { user, identity } => {
            if let Err(refused) = ctx.require_admin(&who.user_id, "map people").await {
                return refused;
            }
            let slack_user_id = match find_slack_user(ctx, user).await {
                Ok(id) => id,
                Err(message) => return message,
            };
            let known = is_known_identity(ctx, identity).await;
            match ctx
                .store
                .map_person(&slack_user_id, identity, &who.user_id)
                .await
            {
                Ok(()) => {
                    tracing::info!(slack_user = %slack_user_id, "person mapped");
                    messages::mapped(&slack_user_id, identity, known)
                }
                Err(e) => store_failed(&e),
            }
        }
        PeopleChange::Unmap { user } => {
            if let Err(refused) = ctx.require_admin(&who.user_id, "unmap people").await {
                return refused;
            }
            let slack_user_id = match find_slack_user(ctx, user).await {
                Ok(id) => id,
                Err(message) => return message,
            };
            match ctx.store.unmap_person(&slack_user_id).await {
                Ok(existed) => messages::unmapped(&slack_user_id, existed),
                Err(e) => store_failed(&e),
            }
        }
    }
}

fn store_failed(e: &crate::store::StoreError) -> Message {
    tracing::error!(error = %e, "people maps: store failed");
    Message::mrkdwn(
        ":warning: The bot could not save that (its database failed). Try again in a moment.",
    )
}

/// The org's members who joined, each with how they are matched.
async fn list(ctx: &Context, who: &Invocation, org: Option<&str>) -> Message {
    let linked = match ctx.issues.linked_orgs().await {
        Ok(orgs) => orgs,
        Err(e) => return failures::grant_error(&e),
    };
    let org = match (org, linked.as_slice()) {
        (_, []) => return Message::mrkdwn(
            "No Sentry org is linked yet. A workspace admin can run `/sentry link` to connect one.",
        ),
        (Some(org), _) if linked.iter().any(|o| o.org == org) => org.to_string(),
        (Some(org), _) => {
            return failures::grant_error(&crate::orgs::grants::GrantError::NotLinked {
                org: org.to_string(),
            })
        }
        (None, [only]) => only.org.clone(),
        (None, several) => {
            let names: Vec<String> = several
                .iter()
                .map(|o| format!("`/sentry people {}`", escape_mrkdwn(&o.org)))
                .collect();
            return Message::mrkdwn(format!(
                ":twisted_rightwards_arrows: Several orgs are linked; name one: {}.",
                names.join(", ")
            ));
        }
    };
    // Names and emails of the org's members are for those who may act in it.
    if let Err(refused) = ctx.access().authorize(&org, &who.user_id).await {
        return failures::refusal(&refused);
    }
    let refresh = ctx.issues.may_refresh_members(&org);
    let members = match ctx.issues.org_members(&org, refresh).await {
        Ok(members) => members,
        Err(e) => return failures::grant_error(&e),
    };
    let maps = match ctx.store.people_maps().await {
        Ok(maps) => maps,
        Err(e) => return store_failed(&e),
    };
    // One pass over the workspace instead of a lookup per member.
    let (slack_by_email, complete): (HashMap<String, String>, bool) = match ctx.slack.people().await
    {
        Ok(read) => (
            read.people
                .into_iter()
                .filter_map(|p| p.email.map(|e| (e.trim().to_lowercase(), p.id)))
                .collect(),
            read.complete,
        ),
        Err(e) => {
            tracing::warn!(error = %e, "users.list failed");
            return Message::mrkdwn(format!(
                ":warning: The bot could not list this workspace's people (Slack said: {}). It needs the `users:read` and `users:read.email` scopes.",
                escape_mrkdwn(&e.to_string())
            ));
        }
    };
    let lines: Vec<PersonLine> = members
        .iter()
        .filter(|m| m.has_joined())
        .map(|m| PersonLine {
            name: m.display_name().unwrap_or("(no name)").to_string(),
            email: m.email().map(str::to_string),
            matched: match_member(m, &maps, &slack_by_email),
        })
        .collect();
    messages::people(&org, &lines, complete)
}

/// The Slack user a command names: an id as given, or a handle or display
/// name looked up among the workspace's people.
async fn find_slack_user(ctx: &Context, user: &SlackUserRef) -> Result<String, Message> {
    let handle = match user {
        SlackUserRef::Id(id) => return Ok(id.clone()),
        SlackUserRef::Handle(handle) => handle,
    };
    let people = ctx.slack.people().await.map_err(|e| {
        tracing::warn!(error = %e, "users.list failed");
        Message::mrkdwn(format!(
            ":warning: The bot could not look up @{} in Slack (Slack said: {}).",
            escape_mrkdwn(handle),
            escape_mrkdwn(&e.to_string())
        ))
    })?;
    let complete = people.complete;
    let found: Vec<_> = people
        .people
        .into_iter()
        .filter(|p| {
            p.handle.eq_ignore_ascii_case(handle) || p.display_name.eq_ignore_ascii_case(handle)
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(one.id.clone()),
        [] if !complete => Err(Message::mrkdwn(format!(
            ":mag: The bot read the first {} people of this workspace and @{} is not among them. Name them by their Slack member ID (in their profile, under ⋯ › Copy member ID) instead.",
            crate::slack::web::MAX_PEOPLE_READ,
            escape_mrkdwn(handle)
        ))),
        [] => Err(Message::mrkdwn(format!(
            ":mag: No one in this workspace is @{}. Check the name, or pick them from Slack's list as you type.",
            escape_mrkdwn(handle)
        ))),
        _ => Err(Message::mrkdwn(format!(
            ":twisted_rightwards_arrows: Several people here go by @{}; pick the one you mean from Slack's list as you type.",
            escape_mrkdwn(handle)
        ))),
    }
}

/// Whether any member of a linked org has `identity` as an email or username.
async fn is_known_identity(ctx: &Context, identity: &str) -> bool {
    let Ok(orgs) = ctx.issues.linked_orgs().await else {
        return false;
    };
    for org in orgs {
        if let Ok(members) = ctx.issues.org_members(&org.org, false).await {
            if members
                .iter()
                .any(|m| identities(m).iter().any(|i| i == identity))
            {
                return true;
            }
        }
    }
    false
}
