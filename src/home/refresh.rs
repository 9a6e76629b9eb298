//! Drawing a person's Home tab when they open it (`app_home_opened`) or
//! act on it: read who they are in Sentry, the issues assigned to them,
//! their settings and subscriptions (and for admins the workspace's
//! delivery health), then `views.publish`. A person who opens the tab
//! again within [`REOPEN_PAUSE`] gets the view already there, and each
//! refresh spends a bounded number of Sentry calls: per org (at most
//! [`HOME_ORGS`]) the cached project list and one issue search in each
//! of at most [`HOME_PROJECTS`] projects.

use std::time::Duration;

use futures_util::future::join_all;

use crate::context::Context;
use crate::home::view::{self, AdminHome, Home, OrgAssigned};
use crate::issues::card::Controls;
use crate::orgs::grants::LinkedOrg;
use crate::sentry::client::IssueQuery;
use crate::sentry::models::Issue;
use crate::slack::escape::percent_encode;
use crate::store::now_ms;

/// Orgs whose assigned issues are read.
pub(crate) const HOME_ORGS: usize = 3;
/// Projects per org searched for assigned issues.
pub(crate) const HOME_PROJECTS: usize = 5;
/// Issues read per project.
const PER_PROJECT: u32 = 50;
/// Opening the tab again within this long keeps the view Slack has.
pub(crate) const REOPEN_PAUSE: Duration = Duration::from_secs(30);
/// How far back failed deliveries are shown to admins.
const FAILED_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// `app_home_opened` on the Home tab: refresh unless it was just drawn.
pub(crate) async fn opened(ctx: &Context, user: &str) {
    if ctx.home_drawn.get(user).is_some() {
        tracing::debug!(%user, "home tab drawn moments ago; kept");
        return;
    }
    refresh(ctx, user).await;
}

/// Draws and publishes `user`'s Home tab now.
pub(crate) async fn refresh(ctx: &Context, user: &str) {
    ctx.home_drawn.insert(user.to_string(), ());
    let home = gather(ctx, user).await;
    let blocks = view::blocks(&home);
    match ctx.slack.publish_home(user, blocks).await {
        Ok(()) => tracing::info!(%user, "home tab drawn"),
        Err(e) => {
            ctx.home_drawn.invalidate(user);
            tracing::warn!(%user, error = %e, "cannot draw the home tab");
        }
    }
}

/// Everything on `user`'s Home tab.
async fn gather(ctx: &Context, user: &str) -> Home {
    let orgs = ctx.issues.linked_orgs().await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cannot read the linked orgs for the home tab");
        Vec::new()
    });
    let (identity, identity_problem) = match sentry_identity(ctx, user).await {
        Ok(identity) => (Some(identity), None),
        Err(problem) => (None, Some(problem)),
    };
    let assigned = match &identity {
        Some(identity) => {
            join_all(
                orgs.iter()
                    .take(HOME_ORGS)
                    .map(|org| assigned_in(ctx, &org.org, identity)),
            )
            .await
        }
        None => Vec::new(),
    };
    let notify = ctx.store.notify_settings(user).await.unwrap_or_default();
    let pauses = ctx.store.channel_pauses().await.unwrap_or_default();
    let subscriptions = ctx
        .store
        .subscriptions()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.created_by == user)
        .map(|s| {
            let pause = pauses
                .iter()
                .find(|p| p.channel_id == s.channel_id)
                .cloned();
            (s, pause)
        })
        .collect();
    let admin = if ctx.is_admin(user).await {
        Some(admin_home(ctx, orgs, pauses).await)
    } else {
        None
    };
    Home {
        assigned,
        identity_problem,
        notify,
        subscriptions,
        admin,
    }
}

/// Whom `user` is in Sentry: their hand-made map, else their Slack email.
async fn sentry_identity(ctx: &Context, user: &str) -> Result<String, String> {
    if let Ok(maps) = ctx.store.people_maps().await {
        if let Some(map) = maps.into_iter().find(|m| m.slack_user_id == user) {
            return Ok(map.sentry_identity);
        }
    }
    match ctx.slack.user_email(user).await {
        Ok(Some(email)) => Ok(email.to_lowercase()),
        Ok(None) => Err(
            "Slack does not share your email, so the bot cannot tell who you are in Sentry; \
             an admin can map you with `/sentry people map @you <sentry email>`."
                .to_string(),
        ),
        Err(e) => {
            tracing::info!(error = %e, "users.info failed for the home tab");
            Err("Slack did not answer who you are; open the tab again in a moment.".to_string())
        }
    }
}

/// The unresolved issues assigned to `identity` in `org`.
async fn assigned_in(ctx: &Context, org: &str, identity: &str) -> OrgAssigned {
    let query = format!("is:unresolved assigned:{identity}");
    let search_url = format!(
        "{}/organizations/{}/issues/?query={}",
        ctx.issues.web_base().trim_end_matches('/'),
        percent_encode(org),
        percent_encode(&query)
    );
    let controls = Controls::for_server(&ctx.issues.gaps(org));
    let projects = match ctx.issues.projects(org, false).await {
        Ok(projects) => projects,
        Err(e) => {
            return OrgAssigned {
                org: org.to_string(),
                issues: Vec::new(),
                total: 0,
                at_least: false,
                search_url,
                controls,
                problem: Some(crate::orgs::failures::grant_error(&e).text),
            }
        }
    };
    let searched: Vec<_> = projects.iter().take(HOME_PROJECTS).collect();
    let queries: Vec<IssueQuery> = searched
        .iter()
        .map(|p| IssueQuery {
            project_slug: p.slug.clone(),
            project_id: Some(p.id.clone()),
            query: query.clone(),
            sort: "date".into(),
            limit: PER_PROJECT,
            cursor: None,
            stats_period: "24h".into(),
        })
        .collect();
    let pages = join_all(queries.iter().map(|q| ctx.issues.list(org, q))).await;
    let mut issues: Vec<Issue> = Vec::new();
    let mut total = 0;
    let mut at_least = false;
    let mut failures = 0;
    for page in pages {
        match page {
            Ok(page) => {
                let mine: Vec<Issue> = page
                    .items
                    .into_iter()
                    .filter(|i| is_theirs(i, identity))
                    .collect();
                // Without a count, a next page means there are more.
                at_least |= page.total.is_none() && page.next_cursor.is_some();
                let counted = page
                    .total
                    .map_or(mine.len(), |t| usize::try_from(t).unwrap_or(usize::MAX));
                total += counted.max(mine.len());
                issues.extend(mine);
            }
            Err(e) => {
                failures += 1;
                tracing::info!(org, error = %e, "assigned issues unread in one project");
            }
        }
    }
    issues.sort_by(|a, b| b.last_seen.cmp(&a.last_seen));
    let problem = (failures > 0 && issues.is_empty())
        .then(|| "Sentry did not answer; open the tab again in a moment.".to_string());
    if projects.len() > HOME_PROJECTS {
        tracing::debug!(
            org,
            projects = projects.len(),
            "home tab searches the first projects only"
        );
    }
    OrgAssigned {
        org: org.to_string(),
        issues,
        total,
        at_least,
        search_url,
        controls,
        problem,
    }
}

/// Whether `issue`, found by searching for `identity`'s issues, is theirs:
/// a server that leaves `assignedTo` out of its answers is trusted, one
/// that names someone else is not.
fn is_theirs(issue: &Issue, identity: &str) -> bool {
    match &issue.assigned_to {
        None => true,
        Some(a) => [a.email.as_deref(), a.name.as_deref(), a.id.as_deref()]
            .into_iter()
            .flatten()
            .any(|who| who.eq_ignore_ascii_case(identity)),
    }
}

async fn admin_home(
    ctx: &Context,
    orgs: Vec<LinkedOrg>,
    pauses: Vec<crate::store::ChannelPause>,
) -> AdminHome {
    let since = now_ms() - FAILED_WINDOW_MS;
    let failed = ctx
        .store
        .failed_by_channel(since)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot read failed deliveries for the home tab");
            Vec::new()
        });
    AdminHome {
        orgs,
        pauses,
        failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sentry::models::Assignee;

    #[test]
    fn an_issue_is_theirs_unless_the_server_names_someone_else() {
        let mut issue = Issue::bare("1", "Boom".to_string());
        assert!(
            is_theirs(&issue, "ann@acme.io"),
            "the server left the assignee out"
        );
        let person = |email: &str| Assignee {
            kind: Some("user".into()),
            id: Some("7".into()),
            name: None,
            email: Some(email.into()),
        };
        issue.assigned_to = Some(person("Ann@Acme.io"));
        assert!(is_theirs(&issue, "ann@acme.io"));
        issue.assigned_to = Some(person("bob@acme.io"));
        assert!(!is_theirs(&issue, "ann@acme.io"));
    }
}
