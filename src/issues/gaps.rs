//! Messages for servers that lack a feature: controls that would only fail
//! are left out. Pure.

use serde_json::Value;

use crate::sentry::capabilities::Gap;
use crate::slack::action::{ActionId, IssueVerb};
use crate::slack::Message;

/// `message` as the org's server can act on it, given what it lacks.
pub fn for_server(message: Message, gaps: &[Gap]) -> Message {
    if gaps.contains(&Gap::Assignment) {
        without_assignment(message)
    } else {
        message
    }
}

/// `message` without its assignment controls: the assignee menu and the
/// "Assign to me" / "Unassign" options, for a server without assignment.
pub fn without_assignment(message: Message) -> Message {
    let Ok(Value::Array(mut blocks)) = serde_json::to_value(&message.blocks) else {
        return message;
    };
    // `get_mut`, not indexing: indexing a JSON object inserts missing keys,
    // and a section with a stray `accessory` is a block Slack refuses.
    for block in &mut blocks {
        if let Some(accessory) = block.get_mut("accessory") {
            strip_assignment(accessory);
        }
        if let Some(elements) = block.get_mut("elements").and_then(Value::as_array_mut) {
            elements.retain(|e| {
                let id = e.get("action_id").and_then(Value::as_str).unwrap_or("");
                !ActionId::decode(id).is_some_and(|a| a.is_assignment())
            });
            elements.iter_mut().for_each(strip_assignment);
            // A menu left with no options is one Slack refuses.
            elements.retain(|e| {
                e.get("options")
                    .and_then(Value::as_array)
                    .is_none_or(|options| !options.is_empty())
            });
        }
    }
    match serde_json::from_value(Value::Array(blocks)) {
        Ok(blocks) => Message { blocks, ..message },
        Err(_) => message,
    }
}

/// Drops assignment options from a menu element.
fn strip_assignment(element: &mut Value) {
    let Some(options) = element.get_mut("options").and_then(Value::as_array_mut) else {
        return;
    };
    let assignment = [IssueVerb::AssignToMe.code(), IssueVerb::Unassign.code()];
    options.retain(|option| {
        let code = option["value"]
            .as_str()
            .and_then(|v| v.split(':').next())
            .unwrap_or("");
        !assignment.contains(&code)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::issues::card::{issue_card, Card};
    use crate::issues::list::{issue_page, IssuePage};
    use crate::sentry::models::Issue;

    fn issue() -> Issue {
        serde_json::from_value(serde_json::json!({
            "id": "42", "shortId": "API-1", "title": "Boom", "status": "unresolved",
            "permalink": "https://acme.sentry.io/issues/42/", "project": { "id": "1", "slug": "api" },
            "assignedTo": { "type": "user", "id": "7", "name": "Ann" }
        }))
        .unwrap()
    }

    #[test]
    fn detail_and_rows_lose_only_their_assignment_controls() {
        let assigned = issue();
        let detail = issue_card(&Card::new("acme", &assigned));
        let issues = [issue()];
        let page = issue_page(&IssuePage {
            org: "acme",
            project: "api",
            query: "is:unresolved",
            issues: &issues,
            page: 1,
            next: None,
            share: None,
            this_page: None,
            status_line: None,
        });
        let detail_json = serde_json::to_string(&detail.blocks).unwrap();
        assert!(detail_json.contains("\"action_id\":\"assign\""));
        for message in [detail, page] {
            let before = serde_json::to_string(&message.blocks).unwrap();
            assert!(before.contains("unassign:acme:42"));
            let stripped = without_assignment(message);
            let after = serde_json::to_string(&stripped.blocks).unwrap();
            assert!(!after.contains("assign_me:"), "{after}");
            assert!(!after.contains("unassign:"), "{after}");
            assert!(!after.contains("\"action_id\":\"assign\""), "{after}");
            assert!(
                after.contains("resolve:acme:42"),
                "other actions stay: {after}"
            );
            assert!(!after.contains("null"), "no keys invented: {after}");
            // Every block is still one Slack knows, not raw JSON.
            for block in &stripped.blocks {
                assert!(
                    !matches!(block, slack_morphism::prelude::SlackBlock::Unknown(_)),
                    "{block:?}"
                );
            }
        }
    }
}
