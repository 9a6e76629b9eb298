//! The option lists behind the "Resolve in…" and Assign menus, loaded when
//! a menu opens; each within the time Slack waits for them.

use std::time::Duration;

use crate::context::Context;
use crate::slack::action::{resolve_in_value, IssueAction, IssueVerb, ASSIGN_TO_ME};
use crate::slack::escape::truncate_plain;
use crate::slack::limits::MAX_BUTTON_TEXT;

/// How long a menu's options may take before Slack gives up on it.
const SUGGESTION_BUDGET: Duration = Duration::from_millis(2500);

/// "Resolve in…": the next and current release, then the three most recent
/// releases of the issue's project (cached a minute per project); only the
/// first two when the releases cannot be had in time.
pub(crate) async fn release_options(
    ctx: &Context,
    org: &str,
    issue_id: &str,
) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = [
        IssueVerb::ResolveNextRelease,
        IssueVerb::ResolveCurrentRelease,
    ]
    .into_iter()
    .map(|verb| {
        (
            verb.label().to_string(),
            IssueAction::new(verb, org, issue_id).to_string(),
        )
    })
    .collect();
    let recent = async {
        let issue = ctx.issues.get(org, issue_id).await.ok()?;
        let project_id = issue.project.as_ref()?.id.clone()?;
        ctx.issues.recent_releases(org, &project_id).await.ok()
    };
    match tokio::time::timeout(SUGGESTION_BUDGET, recent).await {
        Ok(Some(releases)) => {
            for release in releases.iter().take(3) {
                if let Some(value) = resolve_in_value(org, issue_id, &release.version) {
                    // Sentry's short form tells long build versions apart.
                    let shown = release.short_version.as_deref().unwrap_or(&release.version);
                    let label = format!("Resolve in {shown}");
                    options.push((truncate_plain(&label, MAX_BUTTON_TEXT), value));
                }
            }
        }
        Ok(None) => tracing::info!(org, issue = issue_id, "no recent releases for the menu"),
        Err(_) => tracing::warn!(org, "release lookup timed out"),
    }
    options
}

/// Options for the assignee menu: members matching `query` (searched by
/// Sentry, so orgs of any size work) and matching teams.
pub(crate) async fn assignee_options(
    ctx: &Context,
    org: &str,
    query: &str,
) -> Vec<(String, String)> {
    let query = query.trim();
    let members = ctx
        .issues
        .members(org, (!query.is_empty()).then_some(query));
    let teams = ctx.issues.teams(org);
    let (members, teams) =
        match tokio::time::timeout(SUGGESTION_BUDGET, async { tokio::join!(members, teams) }).await
        {
            Ok(both) => both,
            Err(_) => {
                tracing::warn!(org, "assignee search timed out");
                return Vec::new();
            }
        };
    let needle = query.to_lowercase();
    // "Assign to me" comes first, while nothing or a prefix of it is typed.
    let mut options = Vec::new();
    if "assign to me".starts_with(&needle) || needle == "me" {
        options.push(("Assign to me".to_string(), ASSIGN_TO_ME.to_string()));
    }
    match teams {
        Ok(teams) => {
            for team in teams
                .into_iter()
                .filter(|t| needle.is_empty() || t.slug.to_lowercase().contains(&needle))
            {
                options.push((
                    truncate_plain(&format!("#{}", team.slug), MAX_BUTTON_TEXT),
                    format!("team:{}", team.id),
                ));
            }
        }
        Err(e) => tracing::warn!(error = %e, "team search failed"),
    }
    match members {
        Ok(members) => {
            for member in members {
                let Some(user) = &member.user else { continue };
                let name = member.display_name().unwrap_or(&user.id);
                let label = match member.email() {
                    Some(email) if email != name => format!("{name} ({email})"),
                    _ => name.to_string(),
                };
                options.push((
                    truncate_plain(&label, MAX_BUTTON_TEXT),
                    format!("user:{}", user.id),
                ));
            }
        }
        Err(e) => tracing::warn!(error = %e, "member search failed"),
    }
    options.truncate(100);
    options
}
