//! Properties that hold for any input: the parsers never panic, escaping
//! never lets a mention or link through, and rendering keeps Block Kit limits.

use proptest::prelude::*;
use sentry_slack_bot::commands::parse::parse;
use sentry_slack_bot::config::is_slug;
use sentry_slack_bot::issues::card::{issue_card, Card, Controls};
use sentry_slack_bot::issues::list::{issue_page, Expanded, IssuePage};
use sentry_slack_bot::sentry::models::{Event, Issue};
use sentry_slack_bot::sentry::pagination::{next_cursor, parse_link_header};
use sentry_slack_bot::slack::action::{
    parse_here, parse_resolve_in, IssueAction, IssueVerb, Rerun,
};
use sentry_slack_bot::slack::escape::{escape_mrkdwn, escape_truncated};
use sentry_slack_bot::slack::payload::Requested;
use sentry_slack_bot::slack::payload::{intent, parse_form, Intent};
use serde_json::{json, Value};

fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        ".*",
        "[<>&@!#|*_`\"' a-z]{0,200}",
        Just("<!channel> <@U123> <#C1|x> <!here|here> &amp; &lt;".to_string()),
        "(<!|<@|<#)[a-z0-9|]{0,20}>?( [a-z]{0,8}){0,6}",
    ]
}

/// Button and menu values: well-formed ones the bot writes, near misses and noise.
fn action_value() -> impl Strategy<Value = String> {
    let verb = proptest::sample::select(IssueVerb::ALL.to_vec());
    prop_oneof![
        (verb, "[a-z0-9-]{0,12}", "[0-9A-Za-z]{0,12}")
            .prop_map(|(v, org, id)| format!("{}:{org}:{id}", v.code())),
        (".{0,40}", proptest::option::of("[0-9:]{0,20}"), 0u32..5).prop_map(
            |(text, cursor, page)| { Rerun { text, cursor, page }.encode().unwrap_or_default() }
        ),
        "(user|team):[a-z0-9]{0,8}",
        Just("me".to_string()),
        "rel:[a-z0-9-]{0,12}:[0-9A-Za-z]{0,12}:.{0,40}",
        "show:[a-z0-9- ]{0,12}:[0-9A-Za-z ]{0,12}",
        "(un)?mute_here:[a-z0-9- ]{0,12}:[0-9A-Za-z ]{0,12}",
        "[a-z]{0,8}:[a-z0-9<>@!:]{0,16}",
        ".{0,120}",
    ]
}

fn action_id() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("issue_action".to_string()),
        Just("issue_select".to_string()),
        Just("issues_next".to_string()),
        Just("share".to_string()),
        Just("assign".to_string()),
        Just("issue_resolve_in".to_string()),
        Just("issue_more".to_string()),
        "row_(action|archive|more|menu):[0-9]{1,12}",
        "row_(assign|resolve_in):[a-z0-9-]{0,12}:[0-9A-Za-z]{0,12}",
        "expand(:[0-9]{1,2})?",
        "issue_menu:[0-9a-z|]{0,12}",
        ".{0,24}",
    ]
}

/// A `/slack/interactions` body carrying one action.
fn click_body(action: &Value, shared: bool) -> String {
    let payload = json!({
        "type": "block_actions",
        "user": { "id": "U0ALICE" }, "team": { "id": "T0ACME" }, "channel": { "id": "C1" },
        "response_url": "http://127.0.0.1:9/response",
        "container": { "type": "message", "is_ephemeral": !shared, "message_ts": "1.2" },
        "actions": [action],
    });
    serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_interaction_body_parser_never_panics(body in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_form(&body);
    }

    #[test]
    fn any_payload_text_parses_or_is_refused(payload in ".{0,300}", cut in 0usize..400) {
        let body = serde_urlencoded::to_string([("payload", &payload)]).unwrap();
        let _ = parse_form(body.as_bytes());
        let valid = click_body(&json!({ "action_id": "share", "value": payload }), true);
        let damaged = &valid.as_bytes()[..cut.min(valid.len())];
        let _ = parse_form(damaged);
    }

    #[test]
    fn a_click_asks_only_for_what_its_value_says(
        action_id in action_id(),
        value in action_value(),
        block_id in ".{0,60}",
        as_menu in any::<bool>(),
        shared in any::<bool>(),
    ) {
        let action = if as_menu {
            json!({ "action_id": action_id, "block_id": block_id,
                    "selected_option": { "value": value, "text": { "type": "plain_text", "text": "Pick" } } })
        } else {
            json!({ "action_id": action_id, "block_id": block_id, "value": value })
        };
        let payload = parse_form(click_body(&action, shared).as_bytes()).unwrap();
        prop_assert_eq!(payload.actions.len(), 1);
        match intent(&payload.actions[0], shared, Some("1.2")) {
            Intent::IssueAction(request) => {
                prop_assert!(is_slug(&request.org), "org {:?}", request.org);
                prop_assert!(!request.issue_id.is_empty() && request.issue_id.chars().all(|c| c.is_ascii_alphanumeric()));
                match request.requested {
                    // "Assign to me" picked in an assignee menu carries no verb code.
                    Requested::Verb(IssueVerb::AssignToMe) if value == "me" => {
                        prop_assert!(as_menu);
                    }
                    Requested::Verb(verb) => {
                        let parsed = IssueAction::parse(&value).unwrap();
                        prop_assert_eq!(parsed, IssueAction::new(verb, &request.org, &request.issue_id));
                    }
                    Requested::ResolveIn { version } => {
                        prop_assert!(action_id == "issue_resolve_in" || action_id.starts_with("row_resolve_in:"));
                        let parsed = parse_resolve_in(&value).map(|(_, _, v)| v);
                        prop_assert_eq!(parsed, Some(version));
                    }
                    Requested::Assign { actor, .. } => {
                        prop_assert!(as_menu && (action_id == "assign" || action_id.starts_with("row_assign:")));
                        prop_assert_eq!(&actor, &value);
                        prop_assert!(actor.starts_with("user:") || actor.starts_with("team:"));
                    }
                }
            }
            Intent::Page(rerun) | Intent::Share(rerun) | Intent::Expand(rerun) => {
                prop_assert_eq!(Some(rerun), Rerun::decode(&value));
            }
            Intent::ShowCard { org, issue_id, .. } => {
                prop_assert!(action_id.starts_with("row_menu:"));
                prop_assert!(is_slug(&org), "org {:?}", org);
                prop_assert!(!issue_id.is_empty() && issue_id.chars().all(|c| c.is_ascii_alphanumeric()));
                prop_assert_eq!(value, format!("show:{org}:{issue_id}"));
            }
            Intent::MuteHere { org, issue_id, mute } => {
                // Only from ⋯ on a card the channel sees, and never a Sentry change.
                prop_assert_eq!(action_id.as_str(), "issue_more");
                prop_assert!(shared);
                prop_assert_eq!(parse_here(&value), Some((mute, org, issue_id)));
                prop_assert_eq!(IssueAction::parse(&value), None);
            }
            Intent::Nothing => {}
        }
    }

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
        let page = issue_page(&IssuePage {
            org: "acme", project: "api", query: &query, issues: &issues, page: 1,
            next: None, share: None, this_page: None, status_line: None, controls: Controls::ALL,
            expanded: Some(Expanded { issue_id: "0", event: None }),
        });
        // Every fact an event can carry is hostile too.
        let event: Event = serde_json::from_value(json!({
            "tags": [{"key": "environment", "value": culprit}, {"key": "release", "value": titles[0]}],
            "entries": [{"type": "exception", "data": {"values": [{
                "type": culprit, "value": query,
                "stacktrace": {"frames": [{"filename": titles[0], "function": culprit, "lineNo": 1, "inApp": true}]}
            }]}}]
        })).unwrap();
        let detail = issue_card(&Card { event: Some(&event), ..Card::new("acme", &issues[0]) });
        for message in [page, detail] {
            prop_assert!(message.blocks.len() <= 50);
            prop_assert!(!message.text.is_empty());
            let all = format!("{} {}", message.text, serde_json::to_string(&message.blocks).unwrap());
            for needle in ["<!", "<@", "<#"] {
                // Only the bot's own links to Sentry and date tokens may use `<`.
                let stray = all.match_indices(needle).any(|(i, _)| !all[i..].starts_with("<!date^"));
                prop_assert!(!stray, "{needle} in output");
            }
            let blocks: Value = serde_json::to_value(&message.blocks).unwrap();
            for block in blocks.as_array().unwrap() {
                let limit = if block["type"] == "header" { 150 } else { 3000 };
                prop_assert!(block["text"]["text"].as_str().map_or(0, |t| t.chars().count()) <= limit);
            }
        }
    }
}
