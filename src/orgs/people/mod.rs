//! Who is who between Sentry and Slack: Slack users by email (cached, since
//! an alert storm would otherwise ask Slack once per alert), the org's
//! Sentry members, and the hand-made maps in the store. How a member is
//! matched is decided purely in [`matching`].

pub(crate) mod matching;

use std::collections::HashMap;
use std::time::Duration;

use moka::sync::Cache;

use crate::orgs::issue_service::IssueService;
use crate::sentry::models::{Issue, Member, OwnerActor};
use crate::slack::escape::untrusted;
use crate::slack::web::SlackWeb;
use crate::store::{PersonMap, Store};
use matching::{identities, match_member, Match};

/// How long a Slack user found (or not found) by email is remembered.
const REMEMBER_FOR: Duration = Duration::from_secs(3600);
/// Bounds the cache in a very large workspace.
const MAX_REMEMBERED: u64 = 20_000;
/// How long one lookup may hold up an alert; past it the person is named.
const LOOKUP_WAIT: Duration = Duration::from_secs(2);
/// How long reading the org's members may hold up an alert.
const MEMBERS_WAIT: Duration = Duration::from_secs(3);
/// After a failed lookup, how long that email is named without asking
/// Slack again, so a Slack outage does not slow every alert of a storm.
const FAILURE_PAUSE: Duration = Duration::from_secs(60);

/// The services a lookup needs.
#[derive(Clone, Copy)]
pub(crate) struct Services<'a> {
    /// Sentry members.
    pub issues: &'a IssueService,
    /// Hand-made maps.
    pub store: &'a Store,
    /// Slack users.
    pub slack: &'a SlackWeb,
}

/// Finds the Slack user behind a Sentry member or assignee (teams are
/// named, not mentioned). Cheap to clone: clones share the cache.
#[derive(Clone, Debug)]
pub struct Directory {
    by_email: moka::future::Cache<String, Option<String>>,
    failed: Cache<String, ()>,
}

impl Default for Directory {
    fn default() -> Self {
        Self {
            by_email: moka::future::Cache::builder()
                .time_to_live(REMEMBER_FOR)
                .max_capacity(MAX_REMEMBERED)
                .build(),
            failed: Cache::builder()
                .time_to_live(FAILURE_PAUSE)
                .max_capacity(MAX_REMEMBERED)
                .build(),
        }
    }
}

impl Directory {
    /// The Slack user whose profile email is `email`. A lookup that fails
    /// or takes longer than [`LOOKUP_WAIT`] names the person instead, and
    /// that email is not looked up again for [`FAILURE_PAUSE`].
    pub(crate) async fn slack_user_by_email(
        &self,
        slack: &SlackWeb,
        email: &str,
    ) -> Option<String> {
        let key = email.trim().to_lowercase();
        if self.failed.contains_key(&key) {
            return None;
        }
        // Callers asking about one email at once share one lookup: an alert
        // and the assignee's DM are drawn side by side.
        let lookup = async {
            match tokio::time::timeout(LOOKUP_WAIT, slack.user_by_email(&key)).await {
                Ok(Ok(found)) => Ok(found),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err("it took too long".to_string()),
            }
        };
        match self.by_email.try_get_with(key.clone(), lookup).await {
            Ok(found) => found,
            Err(e) => {
                tracing::info!(error = %e, "users.lookupByEmail failed; the person is named, not mentioned");
                self.failed.insert(key, ());
                None
            }
        }
    }

    /// How `member` is matched, given the hand-made `maps`: the same rule
    /// as [`match_member`], with Slack asked about each of their emails.
    pub(crate) async fn member_match(
        &self,
        slack: &SlackWeb,
        member: &Member,
        maps: &[PersonMap],
    ) -> Match {
        let by_map = match_member(member, maps, &HashMap::new());
        if by_map != Match::None {
            return by_map;
        }
        let mut found = HashMap::new();
        for email in identities(member).into_iter().filter(|i| i.contains('@')) {
            if let Some(slack_user_id) = self.slack_user_by_email(slack, &email).await {
                found.insert(email, slack_user_id);
                break;
            }
        }
        match_member(member, maps, &found)
    }

    /// The mention of `issue`'s assignee (`<@U…>`), or `None` when no Slack
    /// user is known for them; then the card names them in plain text.
    pub(crate) async fn assignee_mention(
        &self,
        services: Services<'_>,
        org: &str,
        issue: &Issue,
    ) -> Option<String> {
        let assignee = issue.assigned_to.as_ref()?;
        if assignee.kind.as_deref() == Some("team") {
            // A team is mentioned through the user group an admin mapped it to.
            let team = assignee.name.as_deref()?.trim_start_matches('#');
            return group_mention(services, org, team).await;
        }
        self.assignee_slack_user(services, org, issue)
            .await
            .map(|id| format!("<@{id}>"))
    }

    /// Who Sentry suggests owns `issue`, as mrkdwn: a Slack mention of the
    /// person or the team's user group when the bot knows them, otherwise
    /// their name (escaped; suggested owners are named by id alone, so one
    /// the member or team list cannot name is left out).
    pub(crate) async fn owner_mention(
        &self,
        services: Services<'_>,
        org: &str,
        issue: &Issue,
    ) -> Option<String> {
        match issue.suggested_owner()? {
            OwnerActor::Team(team_id) => {
                let teams =
                    within(MEMBERS_WAIT, "teams", org, services.issues.org_teams(org)).await?;
                let team = teams.iter().find(|t| t.id == team_id)?;
                let named = || format!("#{}", untrusted(&team.slug, 60));
                Some(
                    group_mention(services, org, &team.slug)
                        .await
                        .unwrap_or_else(named),
                )
            }
            OwnerActor::User(user_id) => {
                let members = within(
                    MEMBERS_WAIT,
                    "members",
                    org,
                    services.issues.org_members(org, false),
                )
                .await?;
                let member = members
                    .iter()
                    .find(|m| m.user.as_ref().is_some_and(|u| u.id == user_id))?;
                let maps = services
                    .store
                    .people_maps()
                    .await
                    .map_err(|e| tracing::warn!(error = %e, "cannot read people maps"))
                    .unwrap_or_default();
                let found = self.member_match(services.slack, member, &maps).await;
                match well_formed(found.slack_user()) {
                    Some(id) => Some(format!("<@{id}>")),
                    None => {
                        let name = member
                            .name
                            .as_deref()
                            .or(member.email.as_deref())
                            .filter(|n| !n.trim().is_empty())?;
                        Some(untrusted(name, 80))
                    }
                }
            }
        }
    }

    /// The Slack user id of `issue`'s assignee, when they are a person the
    /// bot knows in Slack (a team is nobody in particular).
    pub(crate) async fn assignee_slack_user(
        &self,
        services: Services<'_>,
        org: &str,
        issue: &Issue,
    ) -> Option<String> {
        let assignee = issue.assigned_to.as_ref()?;
        // A team is nobody in particular: it gets no DM.
        if assignee.kind.as_deref() == Some("team") {
            return None;
        }
        let user_id = assignee.id.as_deref()?;
        let maps = services
            .store
            .people_maps()
            .await
            .map_err(|e| tracing::warn!(error = %e, "cannot read people maps"))
            .unwrap_or_default();
        // The member list is usually cached; a slow first read names the
        // person rather than holding the alert up.
        let members = within(
            MEMBERS_WAIT,
            "members",
            org,
            services.issues.org_members(org, false),
        )
        .await;
        let member = members
            .as_deref()
            .and_then(|all| {
                all.iter()
                    .find(|m| m.user.as_ref().is_some_and(|u| u.id == user_id))
            })
            .cloned()
            // The assignee object alone, when the member list cannot be had.
            .or_else(|| {
                assignee.email.as_ref().map(|email| Member {
                    id: String::new(),
                    email: Some(email.clone()),
                    name: None,
                    user: None,
                    pending: false,
                    expired: false,
                })
            })?;
        let found = self.member_match(services.slack, &member, &maps).await;
        well_formed(found.slack_user())
    }
}

/// The user group an admin mapped Sentry team `team` (a slug) to, as a
/// mention (`<!subteam^S…>`).
async fn group_mention(services: Services<'_>, org: &str, team: &str) -> Option<String> {
    let group = services
        .store
        .team_group(org, team)
        .await
        .map_err(|e| tracing::warn!(error = %e, "cannot read team maps"))
        .ok()
        .flatten()?;
    well_formed(Some(&group)).map(|group| format!("<!subteam^{group}>"))
}

/// Only a well-formed Slack id becomes a mention or a DM.
fn well_formed(slack_user: Option<&str>) -> Option<String> {
    slack_user
        .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(str::to_string)
}

/// `load`'s answer within `wait`; a slow or failed read names the person
/// (or leaves them out) rather than holding the alert up.
async fn within<T, E: std::fmt::Display>(
    wait: Duration,
    what: &'static str,
    org: &str,
    load: impl std::future::Future<Output = Result<T, E>>,
) -> Option<T> {
    match tokio::time::timeout(wait, load).await {
        Ok(Ok(found)) => Some(found),
        Ok(Err(e)) => {
            tracing::info!(org, what, error = %e, "unavailable for a mention");
            None
        }
        Err(_) => {
            tracing::info!(org, what, "took too long for a mention");
            None
        }
    }
}
