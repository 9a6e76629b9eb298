//! `/sentry issues`, `/sentry issue` and `/sentry projects`: Sentry reads,
//! rendered for Slack.

use crate::commands::parse::{parse, Command, ProjectRef};
use crate::commands::resolve::{resolve, Resolution};
use crate::context::Context;
use crate::issues::card::{issue_card, Card, Controls};
use crate::issues::events::{events_page, releases as render_releases, EventsPage, RELEASES_SHOWN};
use crate::issues::list::{
    issue_page, projects as render_projects, Expanded, IssuePage, PAGE_SIZE,
};
use crate::orgs::failures;
use crate::orgs::grants::{GrantError, LinkedOrg};
use crate::orgs::issue_service::is_not_found;
use crate::sentry::issue_ref::IssueRef;
use crate::sentry::models::Issue;
use crate::sentry::IssueQuery;
use crate::slack::action::Rerun;
use crate::slack::escape::escape_mrkdwn;
use crate::slack::message::context;
use crate::slack::Message;

/// The query used when none is given.
pub(crate) const DEFAULT_QUERY: &str = "is:unresolved";

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
    /// Read Sentry afresh, not a list another person just asked for (a
    /// redraw after a change).
    pub fresh: bool,
    /// The list row to draw as its full card: the issue's numeric id.
    pub expanded: Option<String>,
    /// On an alert in a channel: whether the channel muted the issue.
    pub here: Option<bool>,
}

fn no_orgs() -> Message {
    Message::mrkdwn(
        "No Sentry org is linked yet. A workspace admin can run `/sentry link` to connect one.",
    )
}

async fn linked(ctx: &Context) -> Result<Vec<LinkedOrg>, Message> {
    let orgs = ctx
        .issues
        .linked_orgs()
        .await
        .map_err(|e| failures::grant_error(&e))?;
    if orgs.is_empty() {
        return Err(no_orgs());
    }
    Ok(orgs)
}

/// The project lists of `orgs`; orgs that fail are left out unless all fail.
async fn catalog(
    ctx: &Context,
    orgs: &[String],
    refresh: bool,
) -> Result<Vec<(String, Vec<String>, Vec<String>)>, Message> {
    let mut lists = Vec::new();
    let mut first_error: Option<GrantError> = None;
    for org in orgs {
        match ctx.issues.projects(org, refresh).await {
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
        (true, Some(e)) => Err(failures::grant_error(&e)),
        _ => Ok(lists),
    }
}

/// The command to offer for a candidate `org/project`, when the one typed
/// named no single project.
pub(crate) type Redo<'a> = &'a (dyn Fn(&str) -> String + Sync);

/// Finds which linked org has `target`; returns (org, project slug, project
/// id), or an answer whose buttons run `redo` for the likely projects.
pub(crate) async fn resolve_project(
    ctx: &Context,
    target: &ProjectRef,
    redo: Redo<'_>,
) -> Result<(String, String, String), Message> {
    let orgs: Vec<String> = linked(ctx).await?.into_iter().map(|o| o.org).collect();
    if let Some(org) = &target.org {
        if !orgs.contains(org) {
            return Err(failures::grant_error(&GrantError::NotLinked {
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
        lists = catalog(ctx, &scope, refresh).await?;
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
        Resolution::Ambiguous { candidates } => Err(with_fixes(
            Message::mrkdwn(format!(
                ":twisted_rightwards_arrows: Several linked orgs have a project `{}`. Name one: {}.",
                escape_mrkdwn(&target.project),
                candidates
                    .iter()
                    .map(|c| format!("`{}`", escape_mrkdwn(c)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            &candidates,
            redo,
        )),
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
            Err(with_fixes(Message::mrkdwn(text), &suggestions, redo))
        }
    }
}

/// `message` with a button per candidate project that runs the command again.
fn with_fixes(mut message: Message, candidates: &[String], redo: Redo<'_>) -> Message {
    let commands: Vec<String> = candidates.iter().map(|c| redo(c)).collect();
    message
        .blocks
        .extend(crate::slack::message::fix_buttons(&commands));
    message
}

/// A project named in a command, found in a linked org, and the search
/// query to run on it.
pub(crate) struct Target {
    /// Org slug.
    pub org: String,
    /// Project slug.
    pub project: String,
    /// Project id.
    pub project_id: String,
    /// The query as given, or [`DEFAULT_QUERY`].
    pub query: String,
}

/// Resolves `target` and settles the query, or says why not.
pub(crate) async fn resolve_target(
    ctx: &Context,
    target: &ProjectRef,
    query: Option<&str>,
    redo: Redo<'_>,
) -> Result<Target, Message> {
    let (org, project, project_id) = resolve_project(ctx, target, redo).await?;
    Ok(Target {
        org,
        project,
        project_id,
        query: query.unwrap_or(DEFAULT_QUERY).to_string(),
    })
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
pub(crate) async fn issues(
    ctx: &Context,
    target: &ProjectRef,
    query: Option<&str>,
    view: &View,
) -> Message {
    let redo = |candidate: &str| match query {
        Some(q) => format!("issues {candidate} {q}"),
        None => format!("issues {candidate}"),
    };
    let (org, project, project_id, query) = match resolve_target(ctx, target, query, &redo).await {
        Ok(found) => (found.org, found.project, found.project_id, found.query),
        Err(message) => return message,
    };
    let request = IssueQuery::by_activity(
        &project,
        &project_id,
        &query,
        PAGE_SIZE,
        view.cursor.clone(),
    );
    let page = match ctx.issues.list_shared(&org, &request, view.fresh).await {
        Ok(page) => page,
        Err(e) => return failures::list_error(&query, &e),
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
    // The card of a row someone asked to see adds its latest event's facts.
    let expanded = view
        .expanded
        .as_deref()
        .filter(|id| page.items.iter().any(|i| i.id == *id));
    let mut status_line = view.status_line.clone();
    if let (Some(id), None) = (&view.expanded, expanded) {
        status_line.get_or_insert(format!(
            ":information_source: Issue {} is no longer on this page; `/sentry issue {}` shows it.",
            escape_mrkdwn(id),
            escape_mrkdwn(id)
        ));
    }
    let event = match expanded {
        Some(id) => ctx
            .issues
            .latest_event(&org, id)
            .await
            .map_err(|e| tracing::info!(error = %e, "latest event unavailable"))
            .ok(),
        None => None,
    };
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
            status_line,
            controls: Controls::for_server(&ctx.issues.gaps(&org)),
            expanded: expanded.map(|issue_id| Expanded {
                issue_id,
                event: event.as_ref(),
            }),
        }),
        view,
    )
}

/// Looks an issue up in the org that has it: the org a URL names, else
/// each linked org in turn.
async fn find_issue(ctx: &Context, reference: &IssueRef) -> Result<(String, Issue), Message> {
    let orgs: Vec<String> = match reference.org() {
        Some(org) => vec![org.to_string()],
        None => linked(ctx).await?.into_iter().map(|o| o.org).collect(),
    };
    let mut first_error: Option<GrantError> = None;
    for org in &orgs {
        match ctx.issues.find(org, reference).await {
            Ok(issue) => return Ok((org.clone(), issue)),
            Err(e) if is_not_found(&e) => continue,
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error {
        return Err(failures::grant_error(&e));
    }
    let places: Vec<String> = orgs
        .iter()
        .map(|o| format!("*{}*", escape_mrkdwn(o)))
        .collect();
    Err(Message::mrkdwn(format!(
        ":mag: No issue `{}` in {}. Check the ID, or paste the issue's URL from Sentry.",
        escape_mrkdwn(reference.name()),
        places.join(", ")
    )))
}

/// `/sentry events <ref> [n]`: the issue's most recent events.
pub(crate) async fn events(
    ctx: &Context,
    reference: &IssueRef,
    count: u32,
    view: &View,
) -> Message {
    let (org, issue) = match find_issue(ctx, reference).await {
        Ok(found) => found,
        Err(message) => return message,
    };
    let page = match ctx
        .issues
        .events(&org, &issue.id, count, view.cursor.as_deref())
        .await
    {
        Ok(page) => page,
        Err(e) => return failures::grant_error(&e),
    };
    // Re-runs name the issue by org and id, so a page never lands on another org's issue.
    let text = format!(
        "events https://sentry.io/organizations/{org}/issues/{}/ {count}",
        issue.id
    );
    let page_number = view.page.max(1);
    let shared = view.shared_by.is_some();
    let next = page
        .next_cursor
        .as_ref()
        .filter(|_| !shared && page.items.len() >= count as usize)
        .map(|cursor| Rerun {
            text: text.clone(),
            cursor: Some(cursor.clone()),
            page: page_number + 1,
        });
    let share = (!shared && !view.in_channel).then(|| Rerun {
        text,
        cursor: view.cursor.clone(),
        page: page_number,
    });
    let events: Vec<_> = page.items.into_iter().take(count as usize).collect();
    with_sharer(
        events_page(&EventsPage {
            issue: &issue,
            events: &events,
            page: page_number,
            next,
            share,
        }),
        view,
    )
}

/// `/sentry releases <[org/]project>`: the project's recent releases.
pub(crate) async fn releases(ctx: &Context, target: &ProjectRef) -> Message {
    let redo = |candidate: &str| format!("releases {candidate}");
    let (org, project, project_id) = match resolve_project(ctx, target, &redo).await {
        Ok(found) => found,
        Err(message) => return message,
    };
    match ctx
        .issues
        .releases(&org, &project_id, RELEASES_SHOWN + 1)
        .await
    {
        Ok(listed) => render_releases(&org, &project, &project_id, ctx.issues.web_base(), &listed),
        Err(e) => failures::grant_error(&e),
    }
}

/// `/sentry issue <ref>`.
pub(crate) async fn issue(ctx: &Context, reference: &IssueRef, view: &View) -> Message {
    match find_issue(ctx, reference).await {
        Ok((org, issue)) => show_issue(ctx, &org, &issue, view).await,
        Err(message) => message,
    }
}

/// A list row's issue as its full card: the row's page drawn again with
/// that row expanded, or, when the row does not say its page, the card alone.
pub(crate) async fn show_row(
    ctx: &Context,
    org: &str,
    issue_id: &str,
    page: Option<&Rerun>,
) -> Message {
    if let Some(page) = page {
        // The page is drawn only when it is of the org the value names.
        let list = match parse(&page.text) {
            Ok(Command::Issues { project, query }) if project.org.as_deref() == Some(org) => {
                Some((project, query))
            }
            _ => None,
        };
        if let Some((project, query)) = list {
            let view = View {
                cursor: page.cursor.clone(),
                page: page.page,
                expanded: Some(issue_id.to_string()),
                ..View::default()
            };
            return issues(ctx, &project, query.as_deref(), &view).await;
        }
    }
    issue_in_org(ctx, org, issue_id, &View::default()).await
}

/// One issue of one org in detail, as redrawn after a click.
pub(crate) async fn issue_in_org(ctx: &Context, org: &str, id: &str, view: &View) -> Message {
    match ctx.issues.get(org, id).await {
        Ok(issue) => show_issue(ctx, org, &issue, view).await,
        Err(e) if is_not_found(&e) => Message::mrkdwn(format!(
            ":mag: Issue {} no longer exists in Sentry (it was deleted or merged).",
            escape_mrkdwn(id)
        )),
        Err(e) => failures::grant_error(&e),
    }
}

/// One issue in detail, as read: the card with its latest event.
pub(crate) async fn show_issue(ctx: &Context, org: &str, issue: &Issue, view: &View) -> Message {
    // The latest event adds detail; the issue is still worth showing without it.
    let event = ctx
        .issues
        .latest_event(org, &issue.id)
        .await
        .map_err(|e| tracing::info!(error = %e, "latest event unavailable"))
        .ok();
    let share = (view.shared_by.is_none() && !view.in_channel).then(|| Rerun {
        text: format!("issue {}", issue.short_id.as_deref().unwrap_or(&issue.id)),
        cursor: None,
        page: 1,
    });
    let card = Card {
        event: event.as_ref(),
        note: view.status_line.as_deref(),
        share,
        controls: Controls::for_server(&ctx.issues.gaps(org)),
        here: view.here,
        ..Card::new(org, issue)
    };
    with_sharer(issue_card(&card), view)
}

/// `/sentry projects [org]`.
pub(crate) async fn projects(ctx: &Context, org: Option<&str>) -> Message {
    let orgs: Vec<String> = match linked(ctx).await {
        Ok(orgs) => orgs.into_iter().map(|o| o.org).collect(),
        Err(message) => return message,
    };
    let scope: Vec<String> = match org {
        Some(org) if orgs.iter().any(|o| o == org) => vec![org.to_string()],
        Some(org) => {
            return failures::grant_error(&GrantError::NotLinked {
                org: org.to_string(),
            })
        }
        None => orgs,
    };
    match catalog(ctx, &scope, true).await {
        Ok(lists) => render_projects(
            &lists
                .into_iter()
                .map(|(o, s, _)| (o, s))
                .collect::<Vec<_>>(),
        ),
        Err(message) => message,
    }
}
