//! `/sentry people`: list an org's members and how each is matched to
//! Slack; `map` and `unmap` (workspace admins) for people whose emails
//! differ. `/sentry notify`: a person's own DM settings, and whether the
//! bot can reach them at all.

use std::collections::HashMap;

use crate::commands::command::{NotifyChange, NotifyTopic, PeopleChange};
use crate::context::{Context, Invocation};
use crate::orgs::failures;
use crate::orgs::people::matching::{identities, match_member};
use crate::people::messages::{self, PersonLine, Reach};
use crate::slack::escape::escape_mrkdwn;
use crate::slack::reference::{SlackGroupRef, SlackUserRef};
use crate::slack::Message;
use crate::store::NotifySwitch;

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
        PeopleChange::Team { org, team, group } => {
            if let Err(refused) = ctx.require_admin(&who.user_id, "map teams").await {
                return refused;
            }
            map_team(ctx, who, org.as_deref(), team, group.as_ref()).await
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

/// How long finding the person among each org's members may take.
const REACH_WAIT: std::time::Duration = std::time::Duration::from_secs(4);

/// Runs `/sentry notify …`: shows, or changes, the person's DM settings.
pub(crate) async fn notify(ctx: &Context, who: &Invocation, change: NotifyChange) -> Message {
    let settings = match change {
        NotifyChange::Show => ctx.store.notify_settings(&who.user_id).await,
        NotifyChange::Set { topic, on } => {
            let switch = match topic {
                NotifyTopic::Assigned => NotifySwitch::Assigned,
                NotifyTopic::Regressions => NotifySwitch::Regressions,
            };
            ctx.store.set_notify(&who.user_id, switch, on).await
        }
    };
    let settings = match settings {
        Ok(settings) => settings,
        Err(e) => return store_failed(&e),
    };
    let reach = tokio::time::timeout(REACH_WAIT, reach(ctx, &who.user_id))
        .await
        .unwrap_or_default();
    let changed = match change {
        NotifyChange::Show => None,
        NotifyChange::Set { topic, on } => Some((topic, on)),
    };
    messages::notify_settings(&settings, changed, &reach)
}

/// Who `slack_user` is in each linked org, as DMs would find them: by a
/// hand-made map or by their Slack email.
async fn reach(ctx: &Context, slack_user: &str) -> Vec<(String, Reach)> {
    let Ok(orgs) = ctx.issues.linked_orgs().await else {
        return Vec::new();
    };
    let maps = ctx.store.people_maps().await.unwrap_or_default();
    let email = ctx.slack.user_email(slack_user).await.ok().flatten();
    let mine: HashMap<String, String> = email
        .iter()
        .map(|e| (e.trim().to_lowercase(), slack_user.to_string()))
        .collect();
    let mut found = Vec::new();
    for linked in orgs {
        let members = match ctx.issues.org_members(&linked.org, false).await {
            Ok(members) => members,
            Err(_) => {
                found.push((linked.org, Reach::Unknown));
                continue;
            }
        };
        let me = members.iter().find_map(|m| {
            let matched = match_member(m, &maps, &mine);
            (matched.slack_user() == Some(slack_user)).then_some((m, matched))
        });
        let reach = match me {
            Some((member, matched)) => Reach::Known {
                name: member.display_name().unwrap_or("(no name)").to_string(),
                mapped: matches!(matched, crate::orgs::people::matching::Match::Mapped { .. }),
            },
            None => Reach::Unmatched {
                email: email.clone(),
            },
        };
        found.push((linked.org, reach));
    }
    found
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
    let teams = match ctx.store.team_groups(&org).await {
        Ok(teams) => teams,
        Err(e) => return store_failed(&e),
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
    messages::people(&org, &lines, &teams, complete)
}

/// Maps a Sentry team to a Slack user group, or forgets the map.
async fn map_team(
    ctx: &Context,
    who: &Invocation,
    org: Option<&str>,
    team: &str,
    group: Option<&SlackGroupRef>,
) -> Message {
    let org = match (org, ctx.issues.linked_orgs().await) {
        (_, Err(e)) => return failures::grant_error(&e),
        (Some(org), Ok(linked)) if linked.iter().any(|o| o.org == org) => org.to_string(),
        (Some(org), Ok(_)) => {
            return failures::grant_error(&crate::orgs::grants::GrantError::NotLinked {
                org: org.to_string(),
            })
        }
        (None, Ok(linked)) => match linked.as_slice() {
            [only] => only.org.clone(),
            [] => {
                return Message::mrkdwn(
                    "No Sentry org is linked yet. A workspace admin can run `/sentry link` to connect one.",
                )
            }
            _ => {
                return Message::mrkdwn(format!(
                    ":twisted_rightwards_arrows: Several orgs are linked; name the team as `org/{}`.",
                    escape_mrkdwn(team)
                ))
            }
        },
    };
    let Some(group) = group else {
        return match ctx.store.unmap_team(&org, team).await {
            Ok(existed) => messages::team_unmapped(&org, team, existed),
            Err(e) => store_failed(&e),
        };
    };
    let group_id = match group {
        SlackGroupRef::Id(id) => id.clone(),
        SlackGroupRef::Handle(handle) => match find_group(ctx, handle).await {
            Ok(id) => id,
            Err(message) => return message,
        },
    };
    match ctx
        .store
        .map_team(&org, team, &group_id, &who.user_id)
        .await
    {
        Ok(()) => messages::team_mapped(&org, team, &group_id),
        Err(e) => store_failed(&e),
    }
}

/// The id of the user group whose handle is `handle`.
async fn find_group(ctx: &Context, handle: &str) -> Result<String, Message> {
    let groups = ctx.slack.user_groups().await.map_err(|e| {
        tracing::warn!(error = %e, "usergroups.list failed");
        Message::mrkdwn(format!(
            ":warning: The bot could not list this workspace's user groups (Slack said: {}). It needs the \
             `usergroups:read` scope (reinstall the app to grant it); meanwhile, pick the group from \
             Slack's list as you type, so its id comes along.",
            escape_mrkdwn(&e.to_string())
        ))
    })?;
    groups
        .into_iter()
        .find(|(_, h)| h.eq_ignore_ascii_case(handle))
        .map(|(id, _)| id)
        .ok_or_else(|| {
            Message::mrkdwn(format!(
                ":mag: No user group here is @{}. Check the handle, or pick it from Slack's list as you type.",
                escape_mrkdwn(handle)
            ))
        })
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
