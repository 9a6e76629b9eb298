//! What `/sentry people` says. Pure.

use crate::orgs::people::matching::Match;
use crate::slack::escape::{escape_mrkdwn, untrusted};
use crate::slack::limits;
use crate::slack::message::{context, section, Message};

/// A Sentry member as the people list shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PersonLine {
    /// Name, username or email, untrusted.
    pub name: String,
    /// Their email, when Sentry gives one.
    pub email: Option<String>,
    /// How they are matched to Slack.
    pub matched: Match,
}

/// Lines per section: well under Slack's 3,000 characters each.
const LINES_PER_SECTION: usize = 15;
/// Sections of lines: the rest of a message's 50 blocks is left alone.
const MAX_SECTIONS: usize = 8;

/// An org's members and how each is matched; the unmatched first, since
/// they are the ones an admin can do something about.
pub(crate) fn people(org: &str, lines: &[PersonLine]) -> Message {
    let org = escape_mrkdwn(org);
    let count = |f: fn(&Match) -> bool| lines.iter().filter(|l| f(&l.matched)).count();
    let by_email = count(|m| matches!(m, Match::Email { .. }));
    let mapped = count(|m| matches!(m, Match::Mapped { .. }));
    let unmatched = count(|m| matches!(m, Match::None));
    let summary = format!(
        "*People of {org}* — {} members: {by_email} matched by email, {mapped} mapped, {unmatched} not found in Slack",
        lines.len()
    );
    if lines.is_empty() {
        return Message::mrkdwn(format!(
            "*People of {org}* — Sentry lists no members who have joined."
        ));
    }
    let mut ordered: Vec<&PersonLine> = lines.iter().collect();
    ordered.sort_by_key(|l| (!matches!(l.matched, Match::None), l.name.to_lowercase()));
    let rendered: Vec<String> = ordered.iter().map(|l| line(l)).collect();
    let mut blocks = vec![section(&summary)];
    for chunk in rendered.chunks(LINES_PER_SECTION).take(MAX_SECTIONS) {
        blocks.push(section(&chunk.join("\n")));
    }
    let shown = LINES_PER_SECTION * MAX_SECTIONS;
    if rendered.len() > shown {
        blocks.push(context(&[&format!("and {} more", rendered.len() - shown)]));
    }
    if unmatched > 0 {
        blocks.push(context(&[
            "Alerts name unmatched people instead of mentioning them. A workspace admin can map one: \
             `/sentry people map @slack-user &lt;their Sentry email or username&gt;`.",
        ]));
    }
    Message {
        text: format!(
            "People of {org}: {by_email} matched by email, {mapped} mapped, {unmatched} not found in Slack."
        ),
        blocks: blocks.into_iter().take(limits::MAX_BLOCKS).collect(),
    }
}

fn line(person: &PersonLine) -> String {
    let mut who = format!("*{}*", untrusted(&person.name, 80));
    if let Some(email) = person.email.as_deref().filter(|e| *e != person.name) {
        who.push_str(&format!(" ({})", untrusted(email, 120)));
    }
    match &person.matched {
        Match::Email { slack_user_id } => {
            format!("• {who} — <@{}> by email", escape_mrkdwn(slack_user_id))
        }
        Match::Mapped { slack_user_id } => {
            format!("• {who} — <@{}>, mapped", escape_mrkdwn(slack_user_id))
        }
        Match::None => format!("• :grey_question: {who} — not found in Slack"),
    }
}

/// The answer to a map: who is now who.
pub(crate) fn mapped(slack_user_id: &str, identity: &str, known: bool) -> Message {
    let mut text = format!(
        ":white_check_mark: <@{}> is *{}* in Sentry now: alerts for issues assigned to them mention them.",
        escape_mrkdwn(slack_user_id),
        untrusted(identity, 120)
    );
    if !known {
        text.push_str(
            " No member of a linked org has that email or username yet; the map applies once one does.",
        );
    }
    Message::mrkdwn(text)
}

/// The answer to an unmap.
pub(crate) fn unmapped(slack_user_id: &str, existed: bool) -> Message {
    let user = escape_mrkdwn(slack_user_id);
    Message::mrkdwn(if existed {
        format!(":wastebasket: <@{user}> is no longer mapped; they are matched by email again.")
    } else {
        format!(":information_source: <@{user}> had no map, so nothing changed.")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str, matched: Match) -> PersonLine {
        PersonLine {
            name: name.into(),
            email: Some(format!("{}@acme.test", name.to_lowercase())),
            matched,
        }
    }

    #[test]
    fn the_unmatched_come_first_and_counts_add_up() {
        let lines = [
            person(
                "Bob",
                Match::Email {
                    slack_user_id: "U2".into(),
                },
            ),
            person("Ann", Match::None),
            person(
                "Cy",
                Match::Mapped {
                    slack_user_id: "U3".into(),
                },
            ),
        ];
        let message = people("acme", &lines);
        let json = serde_json::to_value(&message.blocks).unwrap();
        assert_eq!(
            json[0]["text"]["text"],
            "*People of acme* — 3 members: 1 matched by email, 1 mapped, 1 not found in Slack"
        );
        let body = json[1]["text"]["text"].as_str().unwrap();
        let rows: Vec<&str> = body.lines().collect();
        assert_eq!(
            rows[0],
            "• :grey_question: *Ann* (ann@acme.test) — not found in Slack"
        );
        assert_eq!(rows[1], "• *Bob* (bob@acme.test) — <@U2> by email");
        assert_eq!(rows[2], "• *Cy* (cy@acme.test) — <@U3>, mapped");
        assert!(json.to_string().contains("/sentry people map"));
    }

    #[test]
    fn hostile_names_do_not_ping_and_long_lists_keep_limits() {
        let lines: Vec<PersonLine> = (0..500)
            .map(|i| person(&format!("<!channel> {i}"), Match::None))
            .collect();
        let message = people("acme", &lines);
        let json = serde_json::to_string(&message.blocks).unwrap();
        assert!(!json.contains("<!channel>"));
        assert!(message.blocks.len() <= limits::MAX_BLOCKS);
        for block in serde_json::to_value(&message.blocks)
            .unwrap()
            .as_array()
            .unwrap()
        {
            let text = block["text"]["text"].as_str().unwrap_or_default();
            assert!(text.chars().count() <= limits::MAX_SECTION_TEXT);
        }
    }
}
