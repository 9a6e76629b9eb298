//! Issues as Block Kit: a page of a project's issues, and one issue in detail.

use slack_morphism::prelude::*;

use crate::issues::card::counted;
use crate::issues::card::{issue_card, row_menu, Card, Controls};
use crate::issues::issue_text::{assignee, is_open, level_emoji, link};
use crate::sentry::models::{Event, Issue};
use crate::slack::action::{row_block_id, ActionId, Rerun};
use crate::slack::escape::{
    escape_mrkdwn, escape_truncated, inline_code, truncate_plain, untrusted,
};
use crate::slack::limits;
use crate::slack::message::{context, section, Message};
use crate::slack::time::slack_date;

/// Issues shown per page.
pub const PAGE_SIZE: u32 = 10;
/// Characters of a title in a list row: short enough that a row reads as
/// one line with its figures.
const ROW_TITLE: usize = 120;
/// Blocks an expanded row's card may take beyond its row.
const CARD_BLOCKS: usize = 6;

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
    /// The row drawn as its full card, with its latest event when known.
    pub expanded: Option<Expanded<'a>>,
}

/// A row shown as its full card ("Show the card" in the row's menu).
#[derive(Clone, Copy, Debug)]
pub struct Expanded<'a> {
    /// Numeric id of the row's issue.
    pub issue_id: &'a str,
    /// Its latest event, for the card's facts.
    pub event: Option<&'a Event>,
}

/// A page of issues, one line and one menu per row (the expanded row as
/// its card with the full bar), then "Next page" and "Share".
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
    // Header, status line, footer and one expanded card leave room for
    // the rows, a block each.
    for (index, issue) in view
        .issues
        .iter()
        .take(limits::MAX_BLOCKS - 3 - CARD_BLOCKS)
        .enumerate()
    {
        let block_id = row_block_id(index, view.this_page.as_ref());
        match view.expanded.filter(|e| e.issue_id == issue.id) {
            Some(expanded) => {
                let card = Card {
                    event: expanded.event,
                    controls: view.controls,
                    row: Some(block_id),
                    ..Card::new(view.org, issue)
                };
                blocks.extend(issue_card(&card).blocks);
            }
            None => blocks.push(row(view, issue, block_id)),
        }
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

/// One issue as one line: level, linked short ID, title and its figures,
/// with the row's one menu.
fn row(view: &IssuePage<'_>, issue: &Issue, block_id: String) -> SlackBlock {
    menu_row(view.org, issue, view.controls, block_id)
}

/// One issue of `org` as a list row with its menu (Show, Resolve, Archive,
/// …, as the server allows), under `block_id` (see [`row_block_id`]).
pub(crate) fn menu_row(
    org: &str,
    issue: &Issue,
    controls: Controls,
    block_id: String,
) -> SlackBlock {
    let title = untrusted(&issue.title, ROW_TITLE);
    let id = link(
        issue.permalink.as_deref(),
        &format!("*{}*", short_id(issue)),
    );
    let mut text = format!("{} {id} {title}", level_emoji(issue.level.as_deref()));
    let figures = stats(issue);
    if !figures.is_empty() {
        text.push_str(" · ");
        text.push_str(&figures);
    }
    SlackSectionBlock::new()
        .with_text(md!(text))
        .with_block_id(block_id.into())
        .with_accessory(row_menu(org, issue, controls).into())
        .into()
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

    /// `key` of each item of the array `items`.
    fn strings<'a>(items: &'a Value, key: &str) -> Vec<&'a str> {
        items
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item[key].as_str().unwrap())
            .collect()
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
            expanded: None,
        }
    }

    #[test]
    fn a_row_is_one_line_with_one_menu() {
        let issues = vec![issue(
            json!({ "assignedTo": { "type": "user", "id": "7", "name": "Alice" } }),
        )];
        let page = issue_page(&first_page("is:unresolved", &issues));
        let row = &blocks_json(&page)[1];
        assert_eq!(
            row["text"]["text"],
            ":red_circle: <https://acme.sentry.io/issues/4509123456/|*API-3F*> ZeroDivisionError · 1,234 events · 56 users · last seen <!date^1764374220^{ago}|2025-11-28 23:57 UTC> · assigned to Alice"
        );
        assert_eq!(row["type"], "section");
        assert_eq!(row["block_id"], "r0");
        let menu = &row["accessory"];
        assert_eq!(menu["type"], "overflow");
        assert_eq!(menu["action_id"], "row_menu:4509123456");
        assert_eq!(
            strings(&menu["options"], "value"),
            [
                "resolve:acme:4509123456",
                "archive_escalating:acme:4509123456",
                "assign_me:acme:4509123456",
                "show:acme:4509123456"
            ]
        );
        assert_eq!(
            blocks_json(&page).as_array().unwrap().len(),
            2,
            "no footer without pages"
        );
        assert!(page.text.contains("API-3F ZeroDivisionError"));
    }

    #[test]
    fn ten_rows_are_ten_blocks_with_one_control_each_and_a_shown_row_is_its_card() {
        let issues: Vec<Issue> = (0..10)
            .map(|i| issue(json!({ "id": (4509123400u64 + i).to_string() })))
            .collect();
        let this = Rerun {
            text: "issues acme/api".into(),
            cursor: None,
            page: 1,
        };
        let page = issue_page(&IssuePage {
            next: Some(this.clone()),
            share: Some(this.clone()),
            this_page: Some(this.clone()),
            ..first_page("is:unresolved", &issues)
        });
        let blocks = blocks_json(&page);
        let blocks = blocks.as_array().unwrap();
        // Header, ten rows, the footer.
        assert_eq!(blocks.len(), 12);
        for row in &blocks[1..11] {
            assert_eq!(row["type"], "section");
            assert_eq!(row["accessory"]["type"], "overflow");
            assert!(!row["text"]["text"].as_str().unwrap().contains('\n'));
        }
        assert_eq!(
            strings(&blocks[11]["elements"], "action_id"),
            ["issues_next", "share"]
        );

        let shown = issue_page(&IssuePage {
            this_page: Some(this.clone()),
            expanded: Some(Expanded {
                issue_id: "4509123403",
                event: None,
            }),
            ..first_page("is:unresolved", &issues)
        });
        let blocks = blocks_json(&shown);
        let bar = blocks
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == "actions")
            .expect("the card's bar");
        // The card's bar sits in the row's place and redraws the list.
        assert_eq!(bar["block_id"], row_block_id(3, Some(&this)));
        assert_eq!(
            strings(&bar["elements"], "action_id"),
            [
                "row_action:4509123403",
                "row_resolve_in:acme:4509123403",
                "row_archive:4509123403",
                "row_assign:acme:4509123403",
                "open_in_sentry:4509123403"
            ]
        );
        let rows = blocks
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["accessory"]["type"] == "overflow")
            .count();
        assert_eq!(rows, 9, "the other rows stay compact");
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
            let shown = issue_page(&IssuePage {
                controls,
                expanded: Some(Expanded {
                    issue_id: "4509123456",
                    event: None,
                }),
                ..first_page("is:unresolved", &issues)
            });
            let row = serde_json::to_string(&page.blocks).unwrap();
            assert_eq!(
                row.contains("assign_me:"),
                controls.assignment,
                "Assign to me only where the server assigns: {row}"
            );
            [card, shown].map(|m| serde_json::to_string(&m.blocks).unwrap())
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
