//! Issues as Block Kit: a page of a project's issues, and one issue in detail.

use slack_morphism::prelude::*;

use crate::issues::card::counted;
use crate::issues::card::{actions, Controls, Place};
use crate::issues::issue_text::{assignee, is_open, level_emoji, link};
use crate::sentry::models::Issue;
use crate::slack::action::{row_block_id, ActionId, Rerun};
use crate::slack::escape::{
    escape_mrkdwn, escape_truncated, inline_code, truncate_plain, untrusted,
};
use crate::slack::limits;
use crate::slack::message::{context, section, Message};
use crate::slack::time::slack_date;

/// Issues shown per page.
pub const PAGE_SIZE: u32 = 10;
/// Characters of a title in a list row.
const ROW_TITLE: usize = 200;

fn short_id(issue: &Issue) -> String {
    escape_mrkdwn(issue.short_id.as_deref().unwrap_or(&issue.id))
}

/// The one-line stats under a title.
fn stats(issue: &Issue) -> String {
    let mut parts = Vec::new();
    if let Some(count) = issue.count {
        parts.push(counted(count, "event", "events"));
    }
    if let Some(users) = issue.user_count {
        parts.push(counted(users, "user", "users"));
    }
    // A date token, not "3m ago": a shared list stays true as it ages.
    if let Some(seen) = issue
        .last_seen
        .as_deref()
        .and_then(|t| slack_date(t, "{ago}"))
    {
        parts.push(format!("last seen {seen}"));
    }
    if let Some(who) = assignee(issue) {
        parts.push(format!("assigned to {}", untrusted(&who, 80)));
    }
    if !is_open(issue) {
        parts.push(format!(
            "_{}_",
            escape_mrkdwn(issue.status.as_deref().unwrap_or(""))
        ));
    }
    parts.join(" · ")
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
    /// The controls the org's server can act on.
    pub controls: Controls,
}

/// A page of issues, each row with the card's actions, "Next page" and "Share".
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
    // Header, status line and footer actions leave room for the rows, each
    // a line of text and its actions.
    for (index, issue) in view
        .issues
        .iter()
        .take((limits::MAX_BLOCKS - 3) / 2)
        .enumerate()
    {
        let title = untrusted(&issue.title, ROW_TITLE);
        let id = link(
            issue.permalink.as_deref(),
            &format!("*{}*", short_id(issue)),
        );
        let text = format!(
            "{} {id} {title}\n{}",
            level_emoji(issue.level.as_deref()),
            stats(issue)
        );
        blocks.push(section(&text));
        blocks.push(
            SlackActionsBlock::new(actions(view.org, issue, None, Place::Row, view.controls))
                .with_block_id(row_block_id(index, view.this_page.as_ref()).into())
                .into(),
        );
        fallback.push_str(&format!(
            "\n{} {}",
            short_id(issue),
            untrusted(&issue.title, 100)
        ));
    }
    blocks.extend(pager(view.next.as_ref(), view.share.as_ref()));
    Message {
        text: truncate_plain(&fallback, limits::MAX_FALLBACK_TEXT),
        blocks,
    }
}

/// "Next page" and "Share in channel" under a paged answer, when either applies.
pub fn pager(next: Option<&Rerun>, share: Option<&Rerun>) -> Option<SlackBlock> {
    let button = |label: &str, action: ActionId, rerun: Option<&Rerun>| {
        rerun.and_then(Rerun::encode).map(|value| {
            SlackBlockButtonElement::new(pt!(label))
                .with_action_id(action.encode().into())
                .with_value(value)
                .into()
        })
    };
    let buttons: Vec<SlackActionBlockElement> = [
        button("Next page", ActionId::NextPage, next),
        button("Share in channel", ActionId::Share, share),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!buttons.is_empty()).then(|| SlackActionsBlock::new(buttons).into())
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
    use crate::sentry::capabilities::Gap;
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
            controls: Controls::ALL,
        }
    }

    #[test]
    fn a_row_has_emoji_link_title_counts_time_assignee_and_the_card_actions() {
        let issues = vec![issue(
            json!({ "assignedTo": { "type": "user", "id": "7", "name": "Alice" } }),
        )];
        let page = issue_page(&first_page("is:unresolved", &issues));
        let row = &blocks_json(&page)[1];
        let actions = &blocks_json(&page)[2];
        assert_eq!(
            row["text"]["text"],
            ":red_circle: <https://acme.sentry.io/issues/4509123456/|*API-3F*> ZeroDivisionError\n1,234 events · 56 users · last seen <!date^1764374220^{ago}|2025-11-28 23:57 UTC> · assigned to Alice"
        );
        assert_eq!(actions["type"], "actions");
        assert_eq!(actions["block_id"], "r0");
        let ids: Vec<&str> = actions["elements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action_id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            [
                "row_action:4509123456",
                "row_resolve_in:acme:4509123456",
                "row_archive:4509123456",
                "row_assign:acme:4509123456",
                "open_in_sentry:4509123456",
                "row_more:4509123456"
            ]
        );
        assert_eq!(actions["elements"][0]["value"], "resolve:acme:4509123456");
        assert_eq!(
            actions["elements"][3]["initial_option"]["text"]["text"],
            "Alice"
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
        let detail =
            crate::issues::card::issue_card(&crate::issues::card::Card::new("acme", &issues[0]));
        for message in [page, detail] {
            let json = serde_json::to_string(&message.blocks).unwrap();
            assert!(!json.contains("<!channel>") && !json.contains("<@U123>"));
            assert!(!message.text.contains("<!channel>") && !message.text.contains("<@U123>"));
            assert!(message.blocks.len() <= limits::MAX_BLOCKS);
            for block in blocks_json(&message).as_array().unwrap() {
                let text = block["text"]["text"].as_str().unwrap_or("");
                let max = limits::MAX_SECTION_TEXT;
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
    fn a_server_without_assignment_gets_cards_and_rows_without_assignment_controls() {
        let assigned = json!({ "assignedTo": { "type": "user", "id": "7", "name": "Ann" } });
        let issues = [issue(assigned.clone())];
        let detail = issue(assigned);
        let lacking = Controls::for_server(&[Gap::Assignment]);
        let render = |controls: Controls| {
            let card = crate::issues::card::issue_card(&crate::issues::card::Card {
                controls,
                ..crate::issues::card::Card::new("acme", &detail)
            });
            let page = issue_page(&IssuePage {
                controls,
                ..first_page("is:unresolved", &issues)
            });
            [card, page].map(|m| serde_json::to_string(&m.blocks).unwrap())
        };
        for json in render(Controls::for_server(&[Gap::SortByDate])) {
            assert!(json.contains("unassign:acme:4509123456"), "{json}");
            assert!(
                json.contains("\"placeholder\":{\"type\":\"plain_text\",\"text\":\"Assign…\""),
                "{json}"
            );
        }
        for json in render(lacking) {
            assert!(!json.contains("unassign:"), "{json}");
            assert!(!json.contains("Assign…"), "{json}");
            assert!(
                json.contains("resolve:acme:4509123456"),
                "other actions stay: {json}"
            );
        }
    }

    #[test]
    fn empty_pages_echo_the_query() {
        let page = issue_page(&first_page("level:fatal", &[]));
        assert!(page
            .text
            .contains("No issues in *acme/api* match `level:fatal`"));
    }
}
