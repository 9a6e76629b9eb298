//! What a personal DM says: why the person hears about the first issue,
//! its card with the usual controls, and the notices folded in since, one
//! line each. Pure.

use crate::issues::card::{issue_card, Card, Controls, Phase};
use crate::issues::issue_text::{level_emoji, link};
use crate::people::messages::fill;
use crate::people::notice::{By, Dm, Notice, Reason};
use crate::slack::escape::{escape_mrkdwn, truncate_plain, untrusted};
use crate::slack::limits;
use crate::slack::message::{context, section, Message};

/// Sections the folded lines may take.
const FOLD_SECTIONS: usize = 4;
/// Longest title on a folded line.
const LINE_TITLE: usize = 120;

/// `dm` as a message; `controls` gives what each org's server can act on.
pub(crate) fn dm(dm: &Dm, controls: impl Fn(&str) -> Controls) -> Message {
    let Some(first) = dm.notices.first() else {
        return Message::mrkdwn("Nothing to tell you right now.");
    };
    let mut blocks = vec![section(&headline(first))];
    let card = issue_card(&Card {
        controls: controls(&first.org),
        phase: match first.reason {
            Reason::Regressed => Some(Phase::Regressed),
            Reason::Escalated => Some(Phase::Escalating),
            Reason::Assigned => None,
        },
        ..Card::new(&first.org, &first.issue)
    });
    blocks.extend(card.blocks);
    let rest = &dm.notices[1..];
    let more = dm.total.saturating_sub(1);
    if more > 0 {
        blocks.push(section(&format!("*{}*", folded_summary(rest, more))));
        let lines: Vec<String> = rest.iter().map(line).collect();
        let (texts, shown) = fill(&lines, FOLD_SECTIONS, limits::MAX_SECTION_TEXT);
        blocks.extend(texts.iter().map(|t| section(t)));
        let unlisted = more - shown;
        if unlisted > 0 {
            blocks.push(context(&[&format!(
                "and {unlisted} more since this message was first sent"
            )]));
        }
    }
    blocks.push(context(&[
        "You get these because issues are assigned to you in Sentry. `/sentry notify` shows \
         your settings; `/sentry notify assigned off` stops assignment DMs, \
         `/sentry notify regressions off` those about comebacks and escalations.",
    ]));
    blocks.truncate(limits::MAX_BLOCKS);
    Message {
        text: fallback(first, more),
        blocks,
    }
}

fn name(notice: &Notice) -> String {
    escape_mrkdwn(notice.issue.short_id.as_deref().unwrap_or(&notice.issue.id))
}

fn by_whom(by: Option<&By>) -> String {
    match by {
        Some(By::Slack(user)) if user.chars().all(|c| c.is_ascii_alphanumeric()) => {
            format!(" by <@{user}>")
        }
        Some(By::Sentry(name)) if !name.trim().is_empty() => {
            format!(" by {} in Sentry", untrusted(name, 80))
        }
        _ => String::new(),
    }
}

fn headline(notice: &Notice) -> String {
    let issue = link(
        notice.issue.permalink.as_deref(),
        &format!("*{}*", name(notice)),
    );
    match notice.reason {
        Reason::Assigned => format!(
            ":bust_in_silhouette: {issue} was assigned to you{}.",
            by_whom(notice.by.as_ref())
        ),
        Reason::Regressed => format!(":repeat: {issue}, assigned to you, came back."),
        Reason::Escalated => format!(
            ":chart_with_upwards_trend: {issue}, assigned to you, is escalating: \
             its events are well above its usual level."
        ),
    }
}

/// "and 3 more issues were assigned to you", or the mix when some came
/// back or are escalating.
fn folded_summary(kept: &[Notice], more: usize) -> String {
    let count = |reason: Reason| kept.iter().filter(|n| n.reason == reason).count();
    let (assigned, came_back, escalating) = (
        count(Reason::Assigned),
        count(Reason::Regressed),
        count(Reason::Escalated),
    );
    let issues = if more == 1 {
        "issue was"
    } else {
        "issues were"
    };
    match (assigned, came_back, escalating) {
        (_, 0, 0) => format!("And {more} more {issues} assigned to you"),
        (0, _, 0) => format!("And {more} more of your issues came back"),
        (0, 0, _) => format!("And {more} more of your issues escalated"),
        // The split is shown only when it adds up to what is counted.
        _ if assigned + came_back + escalating == more => {
            let parts: Vec<String> = [
                (assigned, "assigned to you"),
                (came_back, "of yours came back"),
                (escalating, "of yours escalated"),
            ]
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
            format!("And {more} more: {}", parts.join(", "))
        }
        _ => format!("And {more} more issues were assigned to you, came back or escalated"),
    }
}

fn line(notice: &Notice) -> String {
    let why = match notice.reason {
        Reason::Assigned => format!("assigned{}", by_whom(notice.by.as_ref())),
        Reason::Regressed => "came back".to_string(),
        Reason::Escalated => "escalating".to_string(),
    };
    format!(
        "{} {} {} — {why}",
        level_emoji(notice.issue.level.as_deref()),
        link(
            notice.issue.permalink.as_deref(),
            &format!("*{}*", name(notice))
        ),
        untrusted(&notice.issue.title, LINE_TITLE),
    )
}

fn fallback(first: &Notice, more: usize) -> String {
    let short = name(first);
    let what = match first.reason {
        Reason::Assigned => format!("{short} was assigned to you"),
        Reason::Regressed => format!("{short}, assigned to you, came back"),
        Reason::Escalated => format!("{short}, assigned to you, is escalating"),
    };
    let text = match more {
        0 => format!("{what}: {}", untrusted(&first.issue.title, LINE_TITLE)),
        1 => format!("{what}, and 1 more issue"),
        n => format!("{what}, and {n} more issues"),
    };
    truncate_plain(&text, limits::MAX_FALLBACK_TEXT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::notice::Dm;

    fn notice(id: &str, reason: Reason, by: Option<By>) -> Notice {
        Notice {
            org: "acme".into(),
            issue: serde_json::from_value(serde_json::json!({
                "id": id, "shortId": format!("API-{id}"), "title": "<!channel> boom",
                "permalink": format!("https://acme.sentry.io/issues/{id}/"), "level": "error"
            }))
            .expect("issue"),
            reason,
            by,
        }
    }

    #[test]
    fn one_notice_is_a_headline_and_the_card() {
        let one = Dm::grown(
            None,
            vec![notice("1", Reason::Assigned, Some(By::Slack("U2".into())))],
        );
        let message = dm(&one, |_| Controls::ALL);
        let json = serde_json::to_string(&message.blocks).unwrap();
        assert!(json.contains("was assigned to you by <@U2>"), "{json}");
        assert!(
            json.contains("resolve"),
            "the card keeps its controls: {json}"
        );
        assert!(!json.contains("<!channel>"), "titles are escaped: {json}");
        assert!(
            message.text.starts_with("API-1 was assigned to you: "),
            "{}",
            message.text
        );
        assert!(!message.text.contains("<!channel>"), "{}", message.text);
    }

    #[test]
    fn later_notices_fold_into_lines_under_the_card() {
        let mut notices = vec![notice("1", Reason::Assigned, None)];
        notices.extend((2..=4).map(|i| {
            notice(
                &i.to_string(),
                Reason::Assigned,
                Some(By::Sentry("Jane".into())),
            )
        }));
        let three_more = dm(&Dm::grown(None, notices.clone()), |_| Controls::ALL);
        let json = serde_json::to_string(&three_more.blocks).unwrap();
        assert!(
            json.contains("And 3 more issues were assigned to you"),
            "{json}"
        );
        assert!(json.contains("API-4"), "{json}");
        assert!(json.contains("assigned by Jane in Sentry"), "{json}");
        assert_eq!(
            three_more.text,
            "API-1 was assigned to you, and 3 more issues"
        );
        notices.push(notice("5", Reason::Regressed, None));
        let mixed = dm(&Dm::grown(None, notices.clone()), |_| Controls::ALL);
        let json = serde_json::to_string(&mixed.blocks).unwrap();
        assert!(
            json.contains("And 4 more: 3 assigned to you, 1 of yours came back"),
            "{json}"
        );
        notices.push(notice("6", Reason::Escalated, None));
        let escalated = dm(&Dm::grown(None, notices), |_| Controls::ALL);
        let json = serde_json::to_string(&escalated.blocks).unwrap();
        assert!(
            json.contains(
                "And 5 more: 3 assigned to you, 1 of yours came back, 1 of yours escalated"
            ),
            "{json}"
        );
        assert!(json.contains("API-6"), "{json}");
        assert!(json.contains("— escalating"), "{json}");
    }

    #[test]
    fn an_escalation_leads_with_why_it_matters() {
        let one = Dm::grown(None, vec![notice("9", Reason::Escalated, None)]);
        let message = dm(&one, |_| Controls::ALL);
        let json = serde_json::to_string(&message.blocks).unwrap();
        assert!(json.contains(", assigned to you, is escalating"), "{json}");
        assert!(
            message
                .text
                .starts_with("API-9, assigned to you, is escalating: "),
            "{}",
            message.text
        );
    }

    #[test]
    fn many_notices_stay_within_block_kit_and_count_the_rest() {
        let notices = (1..=200)
            .map(|i| notice(&i.to_string(), Reason::Assigned, None))
            .collect();
        let message = dm(&Dm::grown(None, notices), |_| Controls::ALL);
        assert!(message.blocks.len() <= limits::MAX_BLOCKS);
        let json = serde_json::to_string(&message.blocks).unwrap();
        assert!(
            json.contains("And 199 more issues were assigned to you"),
            "{json}"
        );
        assert!(json.contains("since this message was first sent"), "{json}");
    }
}
