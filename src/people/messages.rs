//! What `/sentry people` says. Pure.

use crate::commands::command::NotifyTopic;
use crate::orgs::people::matching::Match;
use crate::slack::escape::{escape_mrkdwn, untrusted};
use crate::slack::limits;
use crate::slack::message::{context, section, Message};
use crate::store::NotifySettings;

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

/// Sections of lines: the rest of a message's 50 blocks is left alone.
const MAX_SECTIONS: usize = 8;

/// An org's members and how each is matched; the unmatched first, since
/// they are the ones an admin can do something about. `teams` are the
/// org's teams mapped to Slack user groups: (team slug, group id).
pub(crate) fn people(
    org: &str,
    lines: &[PersonLine],
    teams: &[(String, String)],
    complete: bool,
) -> Message {
    let org = escape_mrkdwn(org);
    let count = |f: fn(&Match) -> bool| lines.iter().filter(|l| f(&l.matched)).count();
    let by_email = count(|m| matches!(m, Match::Email { .. }));
    let mapped = count(|m| matches!(m, Match::Mapped { .. }));
    let unmatched = count(|m| matches!(m, Match::None));
    let summary = format!(
        "*People of {org}* — {} members: {by_email} matched by email, {mapped} mapped, {unmatched} not found in Slack",
        lines.len()
    );
    let teams_line = team_line(teams);
    if lines.is_empty() {
        return Message::mrkdwn(format!(
            "*People of {org}* — Sentry lists no members who have joined.\n{teams_line}"
        ));
    }
    let mut ordered: Vec<&PersonLine> = lines.iter().collect();
    ordered.sort_by_key(|l| (!matches!(l.matched, Match::None), l.name.to_lowercase()));
    let rendered: Vec<String> = ordered.iter().map(|l| line(l)).collect();
    let mut blocks = vec![section(&summary)];
    let (texts, shown) = fill(&rendered, MAX_SECTIONS, limits::MAX_SECTION_TEXT);
    blocks.extend(texts.iter().map(|t| section(t)));
    if rendered.len() > shown {
        blocks.push(context(&[&format!("and {} more", rendered.len() - shown)]));
    }
    blocks.push(section(&teams_line));
    if !complete {
        blocks.push(context(&[
            "This workspace has more people than the bot reads at once, so some may show as not found.",
        ]));
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

/// The teams whose alerts mention a user group, or how to map one.
fn team_line(teams: &[(String, String)]) -> String {
    let mapped: Vec<String> = teams
        .iter()
        .filter(|(_, group)| !group.is_empty() && group.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(|(team, group)| format!("#{} → <!subteam^{group}>", untrusted(team, 60)))
        .collect();
    if mapped.is_empty() {
        return "*Teams*: none is mapped to a Slack user group, so team assignees are named. \
                An admin can map one: `/sentry people team &lt;team&gt; @user-group`."
            .to_string();
    }
    let listed = truncate_list(&mapped, limits::MAX_SECTION_TEXT - 40);
    format!("*Teams mentioned as user groups*: {listed}")
}

/// `items` joined with commas, cut to `max` characters with a count of the rest.
fn truncate_list(items: &[String], max: usize) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        let sep = if out.is_empty() { "" } else { ", " };
        if out.len() + sep.len() + item.len() > max {
            return format!("{out} and {} more", items.len() - i);
        }
        out.push_str(sep);
        out.push_str(item);
    }
    out
}

/// Whether DMs can reach a person from one org.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Reach {
    /// The bot knows which member they are.
    Known {
        /// The member's name, untrusted.
        name: String,
        /// By a hand-made map (else by email).
        mapped: bool,
    },
    /// No member of the org matches them.
    Unmatched {
        /// Their Slack email, when Slack shares it.
        email: Option<String>,
    },
    /// The org's members could not be read just now.
    Unknown,
}

/// `/sentry notify`: the person's settings, what just changed, and
/// whether each linked org's issues can reach them.
pub(crate) fn notify_settings(
    settings: &NotifySettings,
    changed: Option<(NotifyTopic, bool)>,
    reach: &[(String, Reach)],
) -> Message {
    let word = |on: bool| if on { "*on*" } else { "*off*" };
    let flip = |on: bool| if on { "off" } else { "on" };
    let mut lines = Vec::new();
    if let Some((topic, on)) = changed {
        let what = match topic {
            NotifyTopic::Assigned => "DMs for issues assigned to you",
            NotifyTopic::Regressions => "DMs for your issues that come back",
        };
        lines.push(format!(
            ":white_check_mark: {what} are now {}.",
            if on { "on" } else { "off" }
        ));
    }
    lines.push(":bell: *Your DMs from Sentry*".to_string());
    lines.push(format!(
        "• An issue is assigned to you: {} — `/sentry notify assigned {}`",
        word(settings.assigned),
        flip(settings.assigned)
    ));
    lines.push(format!(
        "• An issue assigned to you comes back or escalates: {} — `/sentry notify regressions {}`",
        word(settings.regressions),
        flip(settings.regressions)
    ));
    let mut blocks = vec![section(&lines.join("\n"))];
    let mut who = Vec::new();
    let mut unmatched = false;
    for (org, reach) in reach {
        let org = escape_mrkdwn(org);
        who.push(match reach {
            Reach::Known { name, mapped } => format!(
                ":large_green_circle: In *{org}* you are *{}* ({}).",
                untrusted(name, 80),
                if *mapped { "mapped by an admin" } else { "by your email" }
            ),
            Reach::Unmatched { email } => {
                unmatched = true;
                match email {
                    Some(email) => format!(
                        ":red_circle: In *{org}* no member has your Slack email ({}), so issues there cannot reach you.",
                        escape_mrkdwn(email)
                    ),
                    None => format!(
                        ":red_circle: In *{org}* the bot cannot find you: Slack does not share your email with it."
                    ),
                }
            }
            Reach::Unknown => format!(":white_circle: *{org}*: its members could not be read just now."),
        });
    }
    if !who.is_empty() {
        let (texts, _) = fill(&who, MAX_SECTIONS, limits::MAX_SECTION_TEXT);
        blocks.extend(texts.iter().map(|t| section(t)));
    }
    if unmatched {
        blocks.push(context(&[
            "If your Sentry email differs from Slack's, ask a workspace admin to map you: \
             `/sentry people map @you &lt;your Sentry email or username&gt;`. Until then you get \
             no DMs from that org, and alerts name you instead of mentioning you.",
        ]));
    }
    Message {
        text: format!(
            "Your DMs from Sentry: assigned {}, regressions {}",
            if settings.assigned { "on" } else { "off" },
            if settings.regressions { "on" } else { "off" }
        ),
        blocks,
    }
}

/// `lines` joined into at most `sections` texts of at most `max` characters
/// each, and how many lines they hold.
pub(crate) fn fill(lines: &[String], sections: usize, max: usize) -> (Vec<String>, usize) {
    let mut texts: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut shown = 0;
    for line in lines {
        let needed =
            current.chars().count() + usize::from(!current.is_empty()) + line.chars().count();
        if needed > max && !current.is_empty() {
            texts.push(std::mem::take(&mut current));
        }
        if texts.len() == sections {
            break;
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(line);
        shown += 1;
    }
    if !current.is_empty() && texts.len() < sections {
        texts.push(current);
    }
    (texts, shown)
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

/// A team mapped to a user group.
pub(crate) fn team_mapped(org: &str, team: &str, group_id: &str) -> Message {
    Message::mrkdwn(format!(
        ":white_check_mark: Alerts for *{}* issues assigned to the team *#{}* now mention <!subteam^{}>.",
        escape_mrkdwn(org),
        escape_mrkdwn(team),
        escape_mrkdwn(group_id)
    ))
}

/// A team's map forgotten, or there was none.
pub(crate) fn team_unmapped(org: &str, team: &str, existed: bool) -> Message {
    let (org, team) = (escape_mrkdwn(org), escape_mrkdwn(team));
    Message::mrkdwn(if existed {
        format!(":wastebasket: Alerts for *{org}* issues assigned to *#{team}* name the team again, without a mention.")
    } else {
        format!(":information_source: *#{team}* of *{org}* had no user group, so nothing changed.")
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
        let teams = [("backend".to_string(), "S0BACK1".to_string())];
        let message = people("acme", &lines, &teams, true);
        let json = serde_json::to_value(&message.blocks).unwrap();
        assert!(
            json.to_string()
                .contains("*Teams mentioned as user groups*: #backend → <!subteam^S0BACK1>"),
            "{json}"
        );
        let unmapped = people("acme", &lines, &[], true);
        assert!(serde_json::to_string(&unmapped.blocks)
            .unwrap()
            .contains("/sentry people team"));
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
        // Names and emails at the lengths a line shows (80 and 120).
        let lines: Vec<PersonLine> = (0..500)
            .map(|i| PersonLine {
                name: format!("<!channel> {i} {}", "n".repeat(80)),
                email: Some(format!("{}{i}@acme.test", "e".repeat(120))),
                matched: Match::None,
            })
            .collect();
        let teams: Vec<(String, String)> = (0..400)
            .map(|i| (format!("team-{i}-{}", "t".repeat(40)), format!("S{i:08}")))
            .collect();
        let message = people("acme", &lines, &teams, false);
        let json = serde_json::to_string(&message.blocks).unwrap();
        assert!(!json.contains("<!channel>"));
        assert!(message.blocks.len() <= limits::MAX_BLOCKS);
        let blocks = serde_json::to_value(&message.blocks).unwrap();
        let mut lines_shown = 0;
        for block in blocks.as_array().unwrap() {
            let text = block["text"]["text"].as_str().unwrap_or_default();
            assert!(
                text.chars().count() <= limits::MAX_SECTION_TEXT,
                "{}",
                text.chars().count()
            );
            lines_shown += text.matches("• ").count();
        }
        assert!(lines_shown > 20, "{lines_shown}");
        // What is left out is counted, and a partial read is said.
        let all = blocks.to_string();
        assert!(
            all.contains(&format!("and {} more", 500 - lines_shown)),
            "{lines_shown}"
        );
        assert!(all.contains("more people than the bot reads at once"));
    }
}
