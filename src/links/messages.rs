//! Messages about linking orgs: the approval link, the outcome, `/sentry orgs`.

use crate::sentry::capabilities::{summary, Gap};
use slack_morphism::prelude::*;

use crate::orgs::grants::{GrantKind, Health, LinkedOrg, LinkedResult, Unlinked};
use crate::slack::action::ActionId;
use crate::slack::escape::escape_mrkdwn;
use crate::slack::limits;
use crate::slack::message::{context, section, Message};

/// Minutes a person has to approve a link.
pub(crate) const APPROVAL_MINUTES: u64 = 10;

/// The approval link for `/sentry link`.
pub(crate) fn approval(approve_url: &str, scopes: &[String]) -> Message {
    let text = format!(
        ":link: Approve in Sentry and pick the org — the link expires in {APPROVAL_MINUTES} minutes."
    );
    let mut approve = SlackSectionBlock::new().with_text(md!(text.clone()));
    if let Ok(url) = url::Url::parse(approve_url) {
        let button = SlackBlockButtonElement::new(pt!("Approve in Sentry"))
            .with_action_id(ActionId::LinkApproval.encode().into())
            .with_url(url)
            .with_style(SlackBlockButtonStyle::Primary);
        approve = approve.with_accessory(button.into());
    }
    let blocks = vec![
        approve.into(),
        context(&[&format!("Requested scopes: {}", code_list(scopes))]),
    ];
    Message {
        text: format!("{text} {approve_url}"),
        blocks,
    }
}

/// The outcome of an approved link.
pub(crate) fn linked(
    results: &[LinkedResult],
    granted: &[String],
    requested: &[String],
) -> Message {
    let mut lines = Vec::new();
    for result in results {
        let org = escape_mrkdwn(&result.org);
        if result.skipped_static {
            lines.push(format!(
                ":information_source: *{org}* is connected with the server's SENTRY_AUTH_TOKEN, so it was left as it is."
            ));
        } else if result.replaced {
            lines.push(format!(
                ":white_check_mark: Linked org *{org}* (scopes: {}); it replaces the previous connection.",
                code_list(granted)
            ));
        } else {
            lines.push(format!(
                ":white_check_mark: Linked org *{org}* (scopes: {}).",
                code_list(granted)
            ));
        }
    }
    if results.is_empty() {
        lines.push(
            ":warning: The approval worked, but the token does not give access to any org.".into(),
        );
    }
    let missing: Vec<String> = requested
        .iter()
        .filter(|s| !covers(granted, s))
        .cloned()
        .collect();
    if !missing.is_empty() {
        lines.push(format!(
            ":warning: Not granted: {}. {} Run `/sentry link` again and approve every scope.",
            code_list(&missing),
            missing_effect(&missing)
        ));
    }
    Message::mrkdwn(lines.join("\n"))
}

/// Whether `granted` includes `scope` (`write` and `admin` include `read`).
pub(crate) fn covers(granted: &[String], scope: &str) -> bool {
    let Some((resource, access)) = scope.split_once(':') else {
        return granted.iter().any(|g| g == scope);
    };
    granted.iter().any(|g| match g.split_once(':') {
        Some((r, a)) if r == resource => {
            a == access || a == "admin" || (a == "write" && access == "read")
        }
        _ => false,
    })
}

fn missing_effect(missing: &[String]) -> &'static str {
    if missing.iter().any(|s| s.starts_with("event:")) {
        "Buttons that resolve, archive or assign issues will not work."
    } else if missing
        .iter()
        .any(|s| s.starts_with("member:") || s.starts_with("team:"))
    {
        "Assigning issues will not find people or teams."
    } else {
        "Some commands will not work."
    }
}

/// A link that ended without approval.
pub(crate) fn link_failed(status: &str) -> Message {
    let reason = match status {
        "denied" => "The approval was declined",
        "link_expired" | "timeout" => "The approval link expired before it was used",
        "expired" => "The approval expired",
        _ => "The approval was withdrawn",
    };
    Message::mrkdwn(format!(
        ":x: {reason}, so no org was linked. Run `/sentry link` to start again."
    ))
}

/// The answer to `/sentry unlink`.
pub(crate) fn unlinked(org: &str, outcome: Unlinked) -> Message {
    let org = escape_mrkdwn(org);
    Message::mrkdwn(match outcome {
        Unlinked::Removed => format!(
            ":wave: Unlinked *{org}*: the bot has forgotten its connection. Sentry has no way for the bot \
             to revoke it, so also uninstall the integration in *{org}*'s Sentry settings \
             (Settings → Integrations) to invalidate the token."
        ),
        Unlinked::NotLinked => format!(
            "*{org}* is not linked, so there is nothing to unlink. `/sentry orgs` lists the linked orgs."
        ),
        Unlinked::Static => format!(
            "*{org}* is connected with the server's SENTRY_AUTH_TOKEN; remove SENTRY_AUTH_TOKEN and SENTRY_ORG \
             from the server's settings to disconnect it."
        ),
    })
}

/// The answer to `/sentry orgs`.
/// How alerts reach an org: webhooks that arrived `seconds_ago`, or polling.
/// Pure.
pub(crate) fn alert_source(webhook_seconds_ago: Option<i64>) -> String {
    match webhook_seconds_ago {
        Some(s) if s <= 300 => format!(":zap: webhooks: live, last {}", ago(s)),
        Some(s) => format!(":hourglass: polling (webhooks last arrived {})", ago(s)),
        None => ":hourglass: polling".to_string(),
    }
}

pub(crate) fn ago(seconds: i64) -> String {
    match seconds.max(0) {
        s if s < 120 => format!("{s} s ago"),
        s if s < 7200 => format!("{} min ago", s / 60),
        s if s < 172_800 => format!("{} h ago", s / 3600),
        s => format!("{} days ago", s / 86_400),
    }
}

/// `/sentry orgs`: how each linked org is connected, in words, with its
/// scopes, health, server gaps, and how alerts reach it
/// (`webhook_seconds_ago` by org). Environment variable names appear only
/// where an admin has something to set. Pure.
pub(crate) fn orgs(
    orgs: &[(LinkedOrg, Vec<Gap>)],
    webhook_seconds_ago: &std::collections::HashMap<String, i64>,
    now_ms: i64,
) -> Message {
    if orgs.is_empty() {
        return Message::mrkdwn(
            "No Sentry org is linked yet. A workspace admin can run `/sentry link` to connect one.",
        );
    }
    let mut blocks = vec![section(&format!("*Linked Sentry orgs ({})*", orgs.len()))];
    let mut text = String::from("Linked Sentry orgs:");
    let since = |at_ms: Option<i64>| at_ms.map(|at| ago((now_ms - at) / 1000));
    for (org, gaps) in orgs.iter().take(limits::MAX_BLOCKS - 2) {
        let connection = match org.kind {
            GrantKind::Static => "static token from the server's environment".to_string(),
            GrantKind::TapAuth => {
                let mut words = "TapAuth grant".to_string();
                if let Some(by) = &org.linked_by {
                    words.push_str(&format!(", linked by <@{}>", escape_mrkdwn(by)));
                }
                if let Some(when) = since(org.linked_at_ms) {
                    words.push_str(&format!(" {when}"));
                }
                if let Some(when) = since(org.token_fetched_at_ms) {
                    words.push_str(&format!(", token refreshed {when}"));
                }
                words
            }
        };
        let health = match (org.health, org.kind) {
            (Health::Ok, _) => ":large_green_circle: working".to_string(),
            (Health::NeedsRelink, GrantKind::TapAuth) => {
                ":red_circle: no longer works — a workspace admin can run `/sentry link` to connect it again"
                    .to_string()
            }
            (Health::NeedsRelink, GrantKind::Static) => {
                ":red_circle: Sentry rejects the token — replace `SENTRY_AUTH_TOKEN` on the server".to_string()
            }
        };
        let scopes = if org.scopes.is_empty() {
            "whatever the token allows".to_string()
        } else {
            code_list(&org.scopes)
        };
        let name = escape_mrkdwn(&org.org);
        let server = summary(gaps)
            .map(|s| format!("\n:jigsaw: {}", escape_mrkdwn(&s)))
            .unwrap_or_default();
        let source = alert_source(webhook_seconds_ago.get(&org.org).copied());
        blocks.push(section(&format!(
            "*{name}* — {connection}\n{health} · scopes: {scopes}\n{source}{server}"
        )));
        let plain_kind = match org.kind {
            GrantKind::Static => "static token",
            GrantKind::TapAuth => "TapAuth grant",
        };
        text.push_str(&format!(" {} ({plain_kind});", escape_mrkdwn(&org.org)));
    }
    if orgs.len() > limits::MAX_BLOCKS - 2 {
        blocks.push(context(&[&format!(
            "and {} more",
            orgs.len() - (limits::MAX_BLOCKS - 2)
        )]));
    }
    Message { text, blocks }
}

fn code_list(items: &[String]) -> String {
    if items.is_empty() {
        return "none".into();
    }
    items
        .iter()
        .map(|s| format!("`{}`", escape_mrkdwn(s)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn write_covers_read_and_missing_scopes_are_named() {
        let granted = strings(&["org:read", "event:read"]);
        assert!(covers(&granted, "org:read"));
        assert!(!covers(&granted, "event:write"));
        assert!(covers(&strings(&["event:write"]), "event:read"));
        let message = linked(
            &[LinkedResult {
                org: "acme".into(),
                replaced: false,
                skipped_static: false,
            }],
            &granted,
            &strings(&["org:read", "event:write"]),
        );
        assert!(message.text.contains("Linked org *acme*"));
        assert!(message.text.contains("Not granted: `event:write`"));
        assert!(message.text.contains("resolve, archive or assign"));
    }

    #[test]
    fn orgs_list_shows_kind_scopes_and_health_within_limits() {
        let many: Vec<LinkedOrg> = (0..60)
            .map(|i| LinkedOrg {
                org: format!("org{i}"),
                kind: GrantKind::TapAuth,
                scopes: strings(&["org:read"]),
                health: if i == 0 {
                    Health::NeedsRelink
                } else {
                    Health::Ok
                },
                linked_by: Some("U1".into()),
                linked_at_ms: Some(0),
                token_fetched_at_ms: Some(3 * 3600 * 1000),
            })
            .collect();
        let mut many: Vec<(LinkedOrg, Vec<Gap>)> =
            many.into_iter().map(|o| (o, Vec::new())).collect();
        many[1].1 = vec![Gap::ShortIdLookup, Gap::Assignment];
        let arrivals = std::collections::HashMap::from([("org1".to_string(), 12)]);
        let message = orgs(&many, &arrivals, 6 * 3600 * 1000);
        assert!(message.blocks.len() <= limits::MAX_BLOCKS);
        let json = serde_json::to_string(&message.blocks).unwrap();
        assert!(json.contains("no longer works — a workspace admin can run `/sentry link`"));
        assert!(
            json.contains("TapAuth grant, linked by <@U1> 6 h ago, token refreshed 3 h ago"),
            "{json}"
        );
        assert!(
            !json.contains("SENTRY_AUTH_TOKEN"),
            "nothing for an admin to set"
        );
        assert!(json.contains("and 12 more"));
        assert!(json.contains("compatible server: no short-ID lookup, no assignment"));
        assert!(json.contains("webhooks: live, last 12 s ago"), "{json}");
        assert!(json.contains(":hourglass: polling"));
    }

    #[test]
    fn the_alert_source_says_live_or_polling() {
        assert_eq!(alert_source(None), ":hourglass: polling");
        assert_eq!(
            alert_source(Some(12)),
            ":zap: webhooks: live, last 12 s ago"
        );
        assert_eq!(
            alert_source(Some(3 * 3600)),
            ":hourglass: polling (webhooks last arrived 3 h ago)"
        );
    }
}
