//! Issues as Block Kit: a page of a project's issues, and one issue in detail.

use std::time::SystemTime;

use slack_morphism::prelude::*;

use crate::interactions::codec::{detail_block_id, row_block_id, IssueAction, IssueVerb, Rerun};
use crate::render::escape::{escape_mrkdwn, escape_truncated, inline_code, truncate_plain};
use crate::render::limits;
use crate::render::message::{context, header, section, Message};
use crate::render::time::relative;
use crate::sentry::models::{Event, Issue};

/// Issues shown per page.
pub const PAGE_SIZE: u32 = 10;
/// Characters of a title in a list row.
const ROW_TITLE: usize = 200;
/// Characters of the latest event's quote.
const QUOTE: usize = 500;

/// Emoji for a Sentry level.
pub fn level_emoji(level: Option<&str>) -> &'static str {
    match level {
        Some("fatal") => ":skull:",
        Some("error") => ":red_circle:",
        Some("warning") => ":large_orange_circle:",
        Some("info") => ":large_blue_circle:",
        Some("debug") => ":white_circle:",
        _ => ":black_circle:",
    }
}

/// `<url|label>` when the URL is a plain http(s) link, else the label alone.
/// `label` must already be escaped.
pub fn link(url: Option<&str>, label: &str) -> String {
    match url.and_then(|u| url::Url::parse(u).ok()) {
        Some(u) if matches!(u.scheme(), "http" | "https") => {
            let href = u
                .as_str()
                .replace('|', "%7C")
                .replace('>', "%3E")
                .replace('<', "%3C");
            format!("<{href}|{label}>")
        }
        _ => label.to_string(),
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn assignee(issue: &Issue) -> Option<String> {
    let a = issue.assigned_to.as_ref()?;
    let name = a
        .name
        .as_deref()
        .or(a.email.as_deref())
        .or(a.id.as_deref())?;
    Some(match a.kind.as_deref() {
        Some("team") => format!("#{name}"),
        _ => name.to_string(),
    })
}

fn short_id(issue: &Issue) -> String {
    escape_mrkdwn(issue.short_id.as_deref().unwrap_or(&issue.id))
}

/// Whether the issue is open (unresolved), as opposed to resolved or archived.
pub fn is_open(issue: &Issue) -> bool {
    matches!(issue.status.as_deref(), None | Some("unresolved"))
}

/// The one-line stats under a title.
fn stats(issue: &Issue, now: SystemTime) -> String {
    let mut parts = Vec::new();
    if let Some(count) = issue.count {
        parts.push(plural(count, "event", "events"));
    }
    if let Some(users) = issue.user_count {
        parts.push(plural(users, "user", "users"));
    }
    if let Some(seen) = issue.last_seen.as_deref().and_then(|t| relative(now, t)) {
        parts.push(format!("last seen {seen}"));
    }
    if let Some(who) = assignee(issue) {
        parts.push(format!("assigned to {}", escape_truncated(&who, 80)));
    }
    if !is_open(issue) {
        parts.push(format!(
            "_{}_",
            escape_mrkdwn(issue.status.as_deref().unwrap_or(""))
        ));
    }
    parts.join(" · ")
}

fn menu_option(action: &IssueAction) -> SlackBlockChoiceItem<SlackBlockPlainTextOnly> {
    SlackBlockChoiceItem::new(pt!(action.verb.label()), action.to_string())
}

/// The overflow menu of a list row: the common actions for the issue's state.
fn row_menu(org: &str, issue: &Issue) -> SlackBlockOverflowElement {
    let verbs: &[IssueVerb] = if is_open(issue) {
        &[
            IssueVerb::Resolve,
            IssueVerb::ResolveNextRelease,
            IssueVerb::ArchiveUntilEscalating,
            IssueVerb::AssignToMe,
            IssueVerb::Unassign,
        ]
    } else {
        &[
            IssueVerb::Unresolve,
            IssueVerb::AssignToMe,
            IssueVerb::Unassign,
        ]
    };
    let options = verbs
        .iter()
        .map(|v| menu_option(&IssueAction::new(*v, org, &issue.id)))
        .collect();
    SlackBlockOverflowElement::new(options)
        .with_action_id(format!("issue_menu:{}", issue.id).into())
}

/// A page of a project's issues.
pub struct IssuePage<'a> {
    /// Org slug.
    pub org: &'a str,
    /// Project slug.
    pub project: &'a str,
    /// The search query used.
    pub query: &'a str,
    /// The issues on this page.
    pub issues: &'a [Issue],
    /// 1-based page number.
    pub page: u32,
    /// What "Next page" re-runs, when there is a next page.
    pub next: Option<Rerun>,
    /// What "Share in channel" re-runs.
    pub share: Option<Rerun>,
    /// What re-renders this page after a row action.
    pub this_page: Option<Rerun>,
    /// A line on what just happened, like "Resolved by @alice just now".
    pub status_line: Option<String>,
    /// The current time, for "last seen".
    pub now: SystemTime,
}

/// A page of issues with a menu on each row, "Next page" and "Share".
pub fn issue_page(view: &IssuePage<'_>) -> Message {
    let target = escape_mrkdwn(&format!("{}/{}", view.org, view.project));
    let query = inline_code(view.query, 300);
    if view.issues.is_empty() {
        let text = if view.page > 1 {
            format!("No more issues in *{target}* match {query}.")
        } else {
            format!(":tada: No issues in *{target}* match {query}.")
        };
        // After a row action emptied the page, still say what just happened.
        return Message::mrkdwn(match &view.status_line {
            Some(line) => format!("{line}\n{text}"),
            None => text,
        });
    }
    let mut blocks = vec![section(&format!(
        "*{target}* · {query} · page {}",
        view.page
    ))];
    if let Some(line) = &view.status_line {
        blocks.push(context(&[line]));
    }
    let mut fallback = format!(
        "Issues in {target} ({}):",
        escape_truncated(view.query, 300)
    );
    // Header, status line, footer actions and context leave room for the rows.
    for (index, issue) in view.issues.iter().take(limits::MAX_BLOCKS - 4).enumerate() {
        let title = escape_truncated(&issue.title, ROW_TITLE);
        let id = link(
            issue.permalink.as_deref(),
            &format!("*{}*", short_id(issue)),
        );
        let text = format!(
            "{} {id} {title}\n{}",
            level_emoji(issue.level.as_deref()),
            stats(issue, view.now)
        );
        blocks.push(
            SlackSectionBlock::new()
                .with_block_id(row_block_id(index, view.this_page.as_ref()).into())
                .with_text(md!(text))
                .with_accessory(row_menu(view.org, issue).into())
                .into(),
        );
        fallback.push_str(&format!(
            "\n{} {}",
            short_id(issue),
            escape_truncated(&issue.title, 100)
        ));
    }
    let mut buttons: Vec<SlackActionBlockElement> = Vec::new();
    if let Some(value) = view.next.as_ref().and_then(Rerun::encode) {
        buttons.push(
            SlackBlockButtonElement::new(pt!("Next page"))
                .with_action_id("issues_next".into())
                .with_value(value)
                .into(),
        );
    }
    if let Some(value) = view.share.as_ref().and_then(Rerun::encode) {
        buttons.push(share_button(value).into());
    }
    if !buttons.is_empty() {
        blocks.push(SlackActionsBlock::new(buttons).into());
    }
    Message {
        text: truncate_plain(&fallback, limits::MAX_FALLBACK_TEXT),
        blocks,
    }
}

fn share_button(value: String) -> SlackBlockButtonElement {
    SlackBlockButtonElement::new(pt!("Share in channel"))
        .with_action_id("share".into())
        .with_value(value)
}

/// The exception value or message of the latest event.
fn event_quote(issue: &Issue, event: Option<&Event>) -> Option<String> {
    let from_entries = event.and_then(|e| {
        e.entries
            .iter()
            .find(|entry| entry["type"] == "exception")
            .and_then(|entry| entry["data"]["values"].as_array())
            .and_then(|values| values.last())
            .map(|v| {
                let kind = v["type"].as_str().unwrap_or_default();
                let value = v["value"].as_str().unwrap_or_default();
                match (kind.is_empty(), value.is_empty()) {
                    (false, false) => format!("{kind}: {value}"),
                    (false, true) => kind.to_string(),
                    _ => value.to_string(),
                }
            })
            .filter(|s| !s.is_empty())
    });
    from_entries
        .or_else(|| {
            event
                .and_then(|e| e.message.clone())
                .filter(|m| !m.is_empty())
        })
        .or_else(|| {
            issue
                .metadata
                .as_ref()
                .and_then(|m| m["value"].as_str())
                .map(str::to_string)
        })
}

/// One issue in detail with its actions; `status_line` says what just happened.
pub fn issue_detail(
    org: &str,
    issue: &Issue,
    event: Option<&Event>,
    share: Option<Rerun>,
    status_line: Option<&str>,
    now: SystemTime,
) -> Message {
    // Slack decodes entities in plain_text too, and the fallback text can ping.
    let mut blocks = vec![header(&escape_truncated(
        &issue.title,
        limits::MAX_HEADER_TEXT,
    ))];
    if let Some(line) = status_line {
        blocks.push(context(&[line]));
    }
    let project = issue.project_slug().unwrap_or("");
    let mut summary = format!(
        "{} {} · {}",
        level_emoji(issue.level.as_deref()),
        link(
            issue.permalink.as_deref(),
            &format!("*{}*", short_id(issue))
        ),
        escape_mrkdwn(&format!("{org}/{project}"))
    );
    if let Some(culprit) = issue.culprit.as_deref().filter(|c| !c.is_empty()) {
        summary.push('\n');
        summary.push_str(&inline_code(culprit, 500));
    }
    blocks.push(section(&summary));

    let mut fields: Vec<String> = Vec::new();
    let status = match (issue.status.as_deref(), issue.substatus.as_deref()) {
        (Some(s), Some(sub)) => format!("{s} ({})", sub.replace('_', " ")),
        (Some(s), None) => s.to_string(),
        (None, _) => "unknown".to_string(),
    };
    fields.push(format!("*Status*\n{}", escape_mrkdwn(&status)));
    if let Some(level) = &issue.level {
        fields.push(format!("*Level*\n{}", escape_mrkdwn(level)));
    }
    if let Some(first) = issue.first_seen.as_deref().and_then(|t| relative(now, t)) {
        fields.push(format!("*First seen*\n{first}"));
    }
    if let Some(last) = issue.last_seen.as_deref().and_then(|t| relative(now, t)) {
        fields.push(format!("*Last seen*\n{last}"));
    }
    if let Some(count) = issue.count {
        fields.push(format!("*Events*\n{count}"));
    }
    if let Some(users) = issue.user_count {
        fields.push(format!("*Users*\n{users}"));
    }
    fields.push(format!(
        "*Assignee*\n{}",
        assignee(issue).map_or("nobody".to_string(), |a| escape_truncated(&a, 200))
    ));
    if let Some(release) = event.and_then(|e| e.tag("release")) {
        fields.push(format!("*Release*\n{}", inline_code(release, 200)));
    }
    if let Some(environment) = event.and_then(|e| e.tag("environment")) {
        fields.push(format!(
            "*Environment*\n{}",
            escape_truncated(environment, 200)
        ));
    }
    fields.truncate(10);
    blocks.push(
        SlackSectionBlock::new()
            .with_fields(fields.into_iter().map(|f| md!(f)).collect())
            .into(),
    );
    if let Some(quote) = event_quote(issue, event) {
        let quoted = escape_truncated(&quote.replace('\n', " "), QUOTE);
        blocks.push(section(&format!("> {quoted}")));
    }
    blocks.push(
        SlackActionsBlock::new(detail_actions(org, issue, share))
            .with_block_id(detail_block_id(org, project, &issue.id).into())
            .into(),
    );
    blocks.push(context(&[&format!(
        "{} · {}",
        escape_mrkdwn(org),
        escape_mrkdwn(issue.short_id.as_deref().unwrap_or(&issue.id))
    )]));
    Message {
        text: format!(
            "{} {} ({})",
            short_id(issue),
            escape_truncated(&issue.title, 300),
            escape_mrkdwn(&status)
        ),
        blocks,
    }
}

/// Buttons under an issue: the main action, a menu of the others, a link.
fn detail_actions(org: &str, issue: &Issue, share: Option<Rerun>) -> Vec<SlackActionBlockElement> {
    let mut elements: Vec<SlackActionBlockElement> = Vec::new();
    // An open issue offers every other verb in the menu; a closed one only
    // reopening (the main button) and assignment.
    let (main, others): (IssueVerb, Vec<IssueVerb>) = if is_open(issue) {
        let others = IssueVerb::ALL
            .into_iter()
            .filter(|v| !matches!(v, IssueVerb::Resolve | IssueVerb::Unresolve))
            .collect();
        (IssueVerb::Resolve, others)
    } else {
        (
            IssueVerb::Unresolve,
            vec![IssueVerb::AssignToMe, IssueVerb::Unassign],
        )
    };
    let main_action = IssueAction::new(main, org, &issue.id);
    elements.push(
        SlackBlockButtonElement::new(pt!(main.label()))
            .with_action_id("issue_action".into())
            .with_value(main_action.to_string())
            .with_style(SlackBlockButtonStyle::Primary)
            .into(),
    );
    let options = others
        .iter()
        .map(|v| menu_option(&IssueAction::new(*v, org, &issue.id)))
        .collect::<Vec<_>>();
    let menu = SlackBlockStaticSelectElement::new()
        .with_action_id("issue_select".into())
        .with_placeholder(pt!("More actions…"))
        .with_options(options);
    elements.push(menu.into());
    elements.push(
        SlackBlockExternalSelectElement::new()
            .with_action_id("assign".into())
            .with_placeholder(pt!("Assign to…"))
            .with_min_query_length(0)
            .into(),
    );
    if let Some(url) = issue
        .permalink
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
    {
        elements.push(
            SlackBlockButtonElement::new(pt!("Open in Sentry"))
                .with_action_id("open_in_sentry".into())
                .with_url(url)
                .into(),
        );
    }
    if let Some(value) = share.as_ref().and_then(Rerun::encode) {
        elements.push(share_button(value).into());
    }
    elements
}

/// Projects of each linked org.
pub fn projects(orgs: &[(String, Vec<String>)]) -> Message {
    if orgs.is_empty() {
        return Message::mrkdwn(
            "No Sentry org is linked yet. A workspace admin can run `/sentry link` to connect one.",
        );
    }
    let mut blocks = Vec::new();
    let mut fallback = String::from("Projects:");
    for (org, slugs) in orgs.iter().take(limits::MAX_BLOCKS) {
        let mut line = format!("*{}* ({})\n", escape_mrkdwn(org), slugs.len());
        let mut shown = 0;
        for slug in slugs {
            let item = format!("`{}` ", escape_mrkdwn(slug));
            if line.chars().count() + item.chars().count() > limits::MAX_SECTION_TEXT - 40 {
                break;
            }
            line.push_str(&item);
            shown += 1;
        }
        if shown < slugs.len() {
            line.push_str(&format!("and {} more", slugs.len() - shown));
        }
        if slugs.is_empty() {
            line.push_str("_no projects_");
        }
        blocks.push(section(line.trim_end()));
        fallback.push_str(&format!(
            " {}: {}.",
            escape_mrkdwn(org),
            escape_mrkdwn(&slugs.join(", "))
        ));
    }
    Message {
        text: truncate_plain(&fallback, limits::MAX_FALLBACK_TEXT),
        blocks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn issue(overrides: Value) -> Issue {
        let mut base = json!({
            "id": "4509123456", "shortId": "API-3F", "title": "ZeroDivisionError",
            "permalink": "https://acme.sentry.io/issues/4509123456/", "level": "error",
            "status": "unresolved", "substatus": "new", "count": "1234", "userCount": 56,
            "lastSeen": "2025-11-28T23:57:00Z", "firstSeen": "2025-11-20T00:00:00Z",
            "project": { "slug": "api" }
        });
        for (k, v) in overrides.as_object().unwrap() {
            base[k] = v.clone();
        }
        serde_json::from_value(base).unwrap()
    }

    fn now() -> SystemTime {
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_764_374_400)
    }

    fn blocks_json(message: &Message) -> Value {
        serde_json::to_value(&message.blocks).unwrap()
    }

    /// The first page of `acme/api` for `query`, with no buttons to carry.
    fn first_page<'a>(query: &'a str, issues: &'a [Issue]) -> IssuePage<'a> {
        IssuePage {
            org: "acme",
            project: "api",
            query,
            issues,
            page: 1,
            next: None,
            share: None,
            this_page: None,
            status_line: None,
            now: now(),
        }
    }

    #[test]
    fn a_row_has_emoji_link_title_counts_time_assignee_and_menu() {
        let issues = vec![issue(
            json!({ "assignedTo": { "type": "user", "name": "Alice" } }),
        )];
        let page = issue_page(&first_page("is:unresolved", &issues));
        let row = &blocks_json(&page)[1];
        assert_eq!(
            row["text"]["text"],
            ":red_circle: <https://acme.sentry.io/issues/4509123456/|*API-3F*> ZeroDivisionError\n1234 events · 56 users · last seen 3m ago · assigned to Alice"
        );
        assert_eq!(row["accessory"]["type"], "overflow");
        assert_eq!(
            row["accessory"]["options"][0]["value"],
            "resolve:acme:4509123456"
        );
        assert!(page.text.contains("API-3F ZeroDivisionError"));
    }

    #[test]
    fn hostile_titles_are_escaped_and_every_limit_holds() {
        let title = format!("<!channel> <@U123> *bold* & {}", "x".repeat(10_000));
        let issues: Vec<Issue> = (0..60)
            .map(|i| issue(json!({ "id": i.to_string(), "title": title, "culprit": title })))
            .collect();
        let next = Rerun {
            text: "issues acme/api".into(),
            cursor: Some("c".into()),
            page: 2,
        };
        let page = issue_page(&IssuePage {
            next: Some(next.clone()),
            share: Some(next.clone()),
            this_page: Some(next),
            status_line: Some(
                "Resolved <!channel>"
                    .replace('<', "&lt;")
                    .replace('>', "&gt;"),
            ),
            ..first_page(&title, &issues)
        });
        let detail = issue_detail("acme", &issues[0], None, None, None, now());
        for message in [page, detail] {
            let json = serde_json::to_string(&message.blocks).unwrap();
            assert!(!json.contains("<!channel>") && !json.contains("<@U123>"));
            assert!(!message.text.contains("<!channel>") && !message.text.contains("<@U123>"));
            assert!(message.blocks.len() <= limits::MAX_BLOCKS);
            for block in blocks_json(&message).as_array().unwrap() {
                let text = block["text"]["text"].as_str().unwrap_or("");
                let max = if block["type"] == "header" {
                    limits::MAX_HEADER_TEXT
                } else {
                    limits::MAX_SECTION_TEXT
                };
                assert!(
                    text.chars().count() <= max,
                    "{} chars",
                    text.chars().count()
                );
                for field in block["fields"].as_array().into_iter().flatten() {
                    assert!(field["text"].as_str().unwrap().chars().count() <= 2000);
                }
            }
            assert!(!message.text.is_empty());
        }
    }

    #[test]
    fn empty_pages_echo_the_query() {
        let page = issue_page(&first_page("level:fatal", &[]));
        assert!(page
            .text
            .contains("No issues in *acme/api* match `level:fatal`"));
    }

    #[test]
    fn detail_shows_state_release_environment_quote_and_actions() {
        let event: Event = serde_json::from_value(json!({
            "tags": [{ "key": "release", "value": "api@1.2.3" }, { "key": "environment", "value": "production" }],
            "entries": [{ "type": "exception", "data": { "values": [{ "type": "ZeroDivisionError", "value": "division by zero" }] } }]
        }))
        .unwrap();
        let detail = issue_detail(
            "acme",
            &issue(json!({ "culprit": "app.views in divide" })),
            Some(&event),
            None,
            None,
            now(),
        );
        let json = serde_json::to_string(&detail.blocks).unwrap();
        for expected in [
            "unresolved (new)",
            "api@1.2.3",
            "production",
            "> ZeroDivisionError: division by zero",
            "`app.views in divide`",
            "\"resolve:acme:4509123456\"",
            "archive_1w:acme:4509123456",
            "Open in Sentry",
        ] {
            assert!(json.contains(expected), "missing {expected}");
        }
        let resolved = issue_detail(
            "acme",
            &issue(json!({ "status": "resolved", "substatus": null })),
            None,
            None,
            Some("Resolved by <@U1> just now"),
            now(),
        );
        let json = serde_json::to_string(&resolved.blocks).unwrap();
        assert!(json.contains("\"unresolve:acme:4509123456\""));
        assert!(json.contains("Resolved by <@U1> just now"));
        assert!(json.contains("\"block_id\":\"d|acme|api|4509123456\""));
        assert!(json.contains("\"external_select\""));
        assert!(!json.contains("\"resolve:acme"));
    }
}
