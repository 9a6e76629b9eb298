//! `/sentry issues`, `/sentry issue` and `/sentry projects`: Sentry reads,
//! rendered for Slack.

use std::time::SystemTime;

use crate::actions::rerun::Rerun;
use crate::app::AppState;
use crate::commands::parse::{IssueRef, ProjectRef};
use crate::commands::resolve::{resolve, Resolution};
use crate::grants::{GrantError, LinkedOrg};
use crate::render::escape::escape_mrkdwn;
use crate::render::issues::{
    issue_detail, issue_page, projects as render_projects, IssuePage, PAGE_SIZE,
};
use crate::render::message::context;
use crate::render::{errors, Message};
use crate::sentry::models::Issue;
use crate::sentry::{IssueQuery, SentryError};

/// The query used when none is given.
pub const DEFAULT_QUERY: &str = "is:unresolved";

/// How an answer is shown: which page, and whether it is a shared copy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    /// Sentry cursor of the page to show.
    pub cursor: Option<String>,
    /// 1-based page number (0 means 1).
    pub page: u32,
    /// Set when someone shares the answer in the channel.
    pub shared_by: Option<String>,
    /// What just happened, shown at the top (already mrkdwn).
    pub status_line: Option<String>,
    /// The answer is drawn in a channel message, so there is nothing to share.
    pub in_channel: bool,
}

fn no_orgs() -> Message {
    Message::mrkdwn(
        "No Sentry org is linked yet. A workspace admin can run `/sentry link` to connect one.",
    )
}

async fn linked(state: &AppState) -> Result<Vec<LinkedOrg>, Message> {
    let orgs = state
        .grants
        .linked_orgs()
        .await
        .map_err(|e| errors::grant_error(&e))?;
    if orgs.is_empty() {
        return Err(no_orgs());
    }
    Ok(orgs)
}

/// The project lists of `orgs`; orgs that fail are left out unless all fail.
async fn catalog(
    state: &AppState,
    orgs: &[String],
    refresh: bool,
) -> Result<Vec<(String, Vec<String>, Vec<String>)>, Message> {
    let mut lists = Vec::new();
    let mut first_error: Option<GrantError> = None;
    for org in orgs {
        match state.catalog.projects(&state.grants, org, refresh).await {
            Ok(projects) => {
                let slugs = projects.iter().map(|p| p.slug.clone()).collect();
                let ids = projects.iter().map(|p| p.id.clone()).collect();
                lists.push((org.clone(), slugs, ids));
            }
            Err(e) => {
                tracing::warn!(org, error = %e, "could not list projects");
                first_error.get_or_insert(e);
            }
        }
    }
    match (lists.is_empty(), first_error) {
        (true, Some(e)) => Err(errors::grant_error(&e)),
        _ => Ok(lists),
    }
}

/// Finds which linked org has `target`; returns (org, project slug, project id).
pub(crate) async fn resolve_project(
    state: &AppState,
    target: &ProjectRef,
) -> Result<(String, String, String), Message> {
    let orgs: Vec<String> = linked(state).await?.into_iter().map(|o| o.org).collect();
    if let Some(org) = &target.org {
        if !orgs.contains(org) {
            return Err(errors::grant_error(&GrantError::NotLinked {
                org: org.clone(),
            }));
        }
    }
    let scope: Vec<String> = match &target.org {
        Some(org) => vec![org.clone()],
        None => orgs,
    };
    let mut resolution = Resolution::NotFound {
        suggestions: Vec::new(),
    };
    let mut lists = Vec::new();
    // Cached lists first; on a miss, fetch them again in case the project is new.
    for refresh in [false, true] {
        lists = catalog(state, &scope, refresh).await?;
        let pairs: Vec<(String, Vec<String>)> = lists
            .iter()
            .map(|(o, s, _)| (o.clone(), s.clone()))
            .collect();
        resolution = resolve(target, &pairs);
        if !matches!(resolution, Resolution::NotFound { .. }) {
            break;
        }
    }
    match resolution {
        Resolution::Found { org, project } => {
            let id = lists
                .iter()
                .find(|(o, _, _)| *o == org)
                .and_then(|(_, slugs, ids)| {
                    slugs
                        .iter()
                        .position(|s| *s == project)
                        .and_then(|i| ids.get(i))
                })
                .cloned()
                .unwrap_or_default();
            Ok((org, project, id))
        }
        Resolution::Ambiguous { candidates } => Err(Message::mrkdwn(format!(
            ":twisted_rightwards_arrows: Several linked orgs have a project `{}`. Name one: {}.",
            escape_mrkdwn(&target.project),
            candidates
                .iter()
                .map(|c| format!("`{}`", escape_mrkdwn(c)))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        Resolution::NotFound { suggestions } => {
            let place = match &target.org {
                Some(org) => format!("*{}*", escape_mrkdwn(org)),
                None => "any linked org".to_string(),
            };
            let mut text = format!(
                ":mag: No project `{}` in {place}.",
                escape_mrkdwn(&target.project)
            );
            if !suggestions.is_empty() {
                let list: Vec<String> = suggestions
                    .iter()
                    .map(|s| format!("`{}`", escape_mrkdwn(s)))
                    .collect();
                text.push_str(&format!(" Did you mean {}?", list.join(" or ")));
            }
            text.push_str(" `/sentry projects` lists them.");
            Err(Message::mrkdwn(text))
        }
    }
}

/// Adds "Shared by" to a shared copy.
fn with_sharer(mut message: Message, view: &View) -> Message {
    if let Some(user) = &view.shared_by {
        message
            .blocks
            .push(context(&[&format!("Shared by <@{}>", escape_mrkdwn(user))]));
    }
    message
}

/// `/sentry issues <[org/]project> [query]`.
pub async fn issues(
    state: &AppState,
    target: &ProjectRef,
    query: Option<&str>,
    view: &View,
) -> Message {
    let (org, project, project_id) = match resolve_project(state, target).await {
        Ok(found) => found,
        Err(message) => return message,
    };
    let query = query.unwrap_or(DEFAULT_QUERY).to_string();
    let request = IssueQuery::by_activity(
        &project,
        &project_id,
        &query,
        PAGE_SIZE,
        view.cursor.clone(),
    );
    let page = match state.grants.list_issues(&org, &request).await {
        Ok(page) => page,
        Err(e) => return errors::list_error(&query, &e),
    };
    let text = format!("issues {org}/{project} {query}");
    let page_number = view.page.max(1);
    let shared = view.shared_by.is_some();
    let next = page
        .next_cursor
        .as_ref()
        .filter(|_| !shared)
        .map(|cursor| Rerun {
            text: text.clone(),
            cursor: Some(cursor.clone()),
            page: page_number + 1,
        });
    let this_page = Rerun {
        text,
        cursor: view.cursor.clone(),
        page: page_number,
    };
    let share = (!shared).then(|| this_page.clone());
    with_sharer(
        issue_page(&IssuePage {
            org: &org,
            project: &project,
            query: &query,
            issues: &page.items,
            page: page_number,
            next,
            share,
            this_page: Some(this_page),
            status_line: view.status_line.clone(),
            now: SystemTime::now(),
        }),
        view,
    )
}

/// Looks an issue up in the org that has it.
async fn find_issue(state: &AppState, reference: &IssueRef) -> Result<(String, Issue), Message> {
    let orgs: Vec<String> = match reference {
        IssueRef::Url { org: Some(org), .. } => vec![org.clone()],
        _ => linked(state).await?.into_iter().map(|o| o.org).collect(),
    };
    let mut first_error: Option<GrantError> = None;
    for org in &orgs {
        let sentry = &state.sentry;
        let result = state
            .grants
            .with_token(org, |token| async move {
                match reference {
                    IssueRef::ShortId(short) => sentry.issue_by_short_id(org, &token, short).await,
                    IssueRef::Id(id) | IssueRef::Url { id, .. } => {
                        sentry.issue(org, &token, id).await
                    }
                }
            })
            .await;
        match result {
            Ok(issue) => return Ok((org.clone(), issue)),
            Err(GrantError::Sentry(SentryError::NotFound { .. })) => continue,
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error {
        return Err(errors::grant_error(&e));
    }
    let name = match reference {
        IssueRef::ShortId(s) | IssueRef::Id(s) | IssueRef::Url { id: s, .. } => s.clone(),
    };
    let places: Vec<String> = orgs
        .iter()
        .map(|o| format!("*{}*", escape_mrkdwn(o)))
        .collect();
    Err(Message::mrkdwn(format!(
        ":mag: No issue `{}` in {}. Check the ID, or paste the issue's URL from Sentry.",
        escape_mrkdwn(&name),
        places.join(", ")
    )))
}

/// `/sentry issue <ref>`.
pub async fn issue(state: &AppState, reference: &IssueRef, view: &View) -> Message {
    let (org, issue) = match find_issue(state, reference).await {
        Ok(found) => found,
        Err(message) => return message,
    };
    let (sentry, id) = (&state.sentry, &issue.id);
    // The latest event adds detail; the issue is still worth showing without it.
    let event = state
        .grants
        .with_token(&org, |token| {
            let org = org.as_str();
            async move { sentry.latest_event(org, &token, id).await }
        })
        .await
        .map_err(|e| tracing::info!(error = %e, "latest event unavailable"))
        .ok();
    let share = (view.shared_by.is_none() && !view.in_channel).then(|| Rerun {
        text: format!("issue {}", issue.short_id.as_deref().unwrap_or(&issue.id)),
        cursor: None,
        page: 1,
    });
    with_sharer(
        issue_detail(
            &org,
            &issue,
            event.as_ref(),
            share,
            view.status_line.as_deref(),
            SystemTime::now(),
        ),
        view,
    )
}

/// `/sentry projects [org]`.
pub async fn projects(state: &AppState, org: Option<&str>) -> Message {
    let orgs: Vec<String> = match linked(state).await {
        Ok(orgs) => orgs.into_iter().map(|o| o.org).collect(),
        Err(message) => return message,
    };
    let scope: Vec<String> = match org {
        Some(org) if orgs.iter().any(|o| o == org) => vec![org.to_string()],
        Some(org) => {
            return errors::grant_error(&GrantError::NotLinked {
                org: org.to_string(),
            })
        }
        None => orgs,
    };
    match catalog(state, &scope, true).await {
        Ok(lists) => render_projects(
            &lists
                .into_iter()
                .map(|(o, s, _)| (o, s))
                .collect::<Vec<_>>(),
        ),
        Err(message) => message,
    }
}
