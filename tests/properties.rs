//! Properties that hold for any input: the parsers never panic, escaping
//! never lets a mention or link through, and rendering keeps Block Kit limits.

use std::time::{Duration, UNIX_EPOCH};

use proptest::prelude::*;
use sentry_slack_bot::commands::parse::parse;
use sentry_slack_bot::render::escape::{escape_mrkdwn, escape_truncated};
use sentry_slack_bot::render::issues::{issue_detail, issue_page, IssuePage};
use sentry_slack_bot::sentry::models::Issue;
use sentry_slack_bot::sentry::pagination::{next_cursor, parse_link_header};
use serde_json::{json, Value};

fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        ".*",
        "[<>&@!#|*_`\"' a-z]{0,200}",
        Just("<!channel> <@U123> <#C1|x> <!here|here> &amp; &lt;".to_string()),
        "(<!|<@|<#)[a-z0-9|]{0,20}>?( [a-z]{0,8}){0,6}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_command_parser_never_panics(text in ".{0,300}") {
        let _ = parse(&text);
    }

    #[test]
    fn the_link_header_parser_never_panics(header in ".{0,300}") {
        let _ = parse_link_header(&header);
        let _ = next_cursor(&header);
    }

    #[test]
    fn escaped_text_has_no_control_characters(text in hostile(), max in 1usize..400) {
        let escaped = escape_mrkdwn(&text);
        prop_assert!(!escaped.contains('<') && !escaped.contains('>'));
        let cut = escape_truncated(&text, max);
        prop_assert!(cut.chars().count() <= max);
        prop_assert!(!cut.contains('<') && !cut.contains('>'));
    }

    #[test]
    fn rendered_issues_never_carry_mentions_and_keep_limits(
        titles in proptest::collection::vec(hostile(), 1..60),
        culprit in hostile(),
        query in hostile(),
    ) {
        let issues: Vec<Issue> = titles
            .iter()
            .enumerate()
            .map(|(i, t)| serde_json::from_value(json!({ "id": i.to_string(), "title": t, "culprit": culprit, "level": "error" })).unwrap())
            .collect();
        let now = UNIX_EPOCH + Duration::from_secs(1_764_374_400);
        let page = issue_page(&IssuePage {
            org: "acme", project: "api", query: &query, issues: &issues, page: 1,
            next: None, share: None, this_page: None, status_line: None, now,
        });
        let detail = issue_detail("acme", &issues[0], None, None, None, now);
        for message in [page, detail] {
            prop_assert!(message.blocks.len() <= 50);
            prop_assert!(!message.text.is_empty());
            let all = format!("{} {}", message.text, serde_json::to_string(&message.blocks).unwrap());
            for needle in ["<!", "<@", "<#"] {
                // Only the bot's own links to Sentry may use `<`.
                prop_assert!(!all.contains(needle), "{needle} in output");
            }
            let blocks: Value = serde_json::to_value(&message.blocks).unwrap();
            for block in blocks.as_array().unwrap() {
                let limit = if block["type"] == "header" { 150 } else { 3000 };
                prop_assert!(block["text"]["text"].as_str().map_or(0, |t| t.chars().count()) <= limit);
            }
        }
    }
}
