//! Channel alert messages: a new issue, a regression, a digest, follow-ups,
//! and the subscription answers.

use serde::{Deserialize, Serialize};

use crate::alerts::held::{Held, HeldWhy};
use crate::issues::card::{issue_card, Card, Controls, Phase};
use crate::sentry::models::{Event, Issue};
use crate::slack::escape::{escape_mrkdwn, inline_code, untrusted};
use crate::slack::limits;
use crate::slack::message::{context, section, Message};
use crate::store::{MentionPolicy, Snapshot, SubscriptionRow, ThreadPolicy};

/// Issues listed in one digest message.
pub const DIGEST_ROWS: usize = 40;

fn target(org: &str, project: &str) -> String {
    escape_mrkdwn(&format!("{org}/{project}"))
}

/// A new issue: its card with the actions.
pub fn new_issue(org: &str, issue: &Issue, event: Option<&Event>, controls: Controls) -> Message {
    alert_card(org, issue, event, controls, None, Phase::New)
}

/// A regression, posted in the original alert's thread or the channel.
pub fn regressed(org: &str, issue: &Issue, event: Option<&Event>, controls: Controls) -> Message {
    alert_card(org, issue, event, controls, None, Phase::Regressed)
}

/// An alert's card for `phase`, its assignee `mention`ed (`<@U…>`) when known.
pub fn alert_card(
    org: &str,
    issue: &Issue,
    event: Option<&Event>,
    controls: Controls,
    mention: Option<&str>,
    phase: Phase,
) -> Message {
    issue_card(&Card {
        event,
        controls,
        phase: Some(phase),
        mention,
        // Posted in a channel: ⋯ offers "Mute here" (a muted issue's
        // follow-ups are not posted at all).
        here: Some(false),
        ..Card::new(org, issue)
    })
}

/// An alert's card for an older issue routed here by a team query, its
/// standing line led by `label` ("Assigned to #backend") instead of "New".
pub fn routed_card(
    org: &str,
    issue: &Issue,
    event: Option<&Event>,
    controls: Controls,
    mention: Option<&str>,
    label: &str,
) -> Message {
    issue_card(&Card {
        event,
        controls,
        phase: Some(Phase::New),
        label: Some(label),
        mention,
        here: Some(false),
        ..Card::new(org, issue)
    })
}

/// What a routed alert says: "Assigned to #backend" when the issue shows
/// the team as its assignee (or the query asked for assignment only),
/// "Suggested for #backend" when only ownership can have put it here.
pub(crate) fn routed_label(route: Option<&crate::sentry::search::Route>, issue: &Issue) -> String {
    let Some(route) = route else {
        return "Newly matching".to_string();
    };
    let team = escape_mrkdwn(&route.team);
    let assigned_to_team = issue.assigned_to.as_ref().is_some_and(|a| {
        a.kind.as_deref() == Some("team")
            && a.name.as_deref().map(|n| n.trim_start_matches('#')) == Some(route.team.as_str())
    });
    if route.or_suggested && !assigned_to_team {
        format!("Suggested for #{team}")
    } else {
        format!("Assigned to #{team}")
    }
}

/// Issues matching a subscription beyond the pages one poll reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Beyond {
    /// Every page was read.
    #[default]
    Nothing,
    /// This many more issues match (from `X-Hits`).
    Count(u64),
    /// More pages exist; the server does not say how many issues.
    Unknown,
}

/// Many new issues at once, as one message with a button to expand each.
pub fn digest(org: &str, project: &str, issues: &[Issue], limit: u32) -> Message {
    digest_counted(org, project, issues, issues.len(), Beyond::Nothing, limit)
}

/// A digest of `total` new issues of which `shown` are listed, and what
/// lies beyond the pages read: every issue is either listed or counted.
pub fn digest_counted(
    org: &str,
    project: &str,
    shown: &[Issue],
    total: usize,
    beyond: Beyond,
    limit: u32,
) -> Message {
    let issues = &shown[..shown.len().min(total)];
    let past_bound = match beyond {
        Beyond::Nothing => String::new(),
        Beyond::Count(n) => format!(", and {n} more matching issues past the pages read"),
        Beyond::Unknown => ", and more matching issues past the pages read".to_string(),
    };
    let title = format!(
        ":package: *{total} new issues in {}*{past_bound} — more than this channel's digest limit of {limit}, so here they are in one message.",
        target(org, project)
    );
    let mut blocks = vec![section(&title)];
    for (i, issue) in issues.iter().take(DIGEST_ROWS).enumerate() {
        blocks.push(crate::issues::row::issue_row(i, issue, None));
    }
    let listed = issues.len().min(DIGEST_ROWS);
    if total > listed || beyond != Beyond::Nothing {
        let unlisted = total - listed;
        let more = match beyond {
            Beyond::Nothing => format!("and {unlisted} more"),
            Beyond::Count(n) => format!(
                "and {} more ({unlisted} new, {n} past the pages read)",
                unlisted as u64 + n
            ),
            Beyond::Unknown => format!("and {unlisted} more, plus those past the pages read"),
        };
        blocks.truncate(limits::MAX_BLOCKS - 1);
        blocks.push(context(&[&format!(
            "{more}: `/sentry issues {}` lists them",
            target(org, project)
        )]));
    }
    blocks.truncate(limits::MAX_BLOCKS);
    Message {
        text: format!("{total} new issues in {}", target(org, project)),
        blocks,
    }
}

/// Rows a catch-up message lists; the rest are counted.
pub const CATCH_UP_ROWS: usize = 10;

/// An issue alert as text alone, no blocks (`what` leads: "New issue"):
/// what is posted when Slack refuses the alert's own message as too long
/// or invalid, so the alert is not lost to its rendering. Title (escaped,
/// shortened), link, level and counts.
pub(crate) fn plain_issue_alert(org: &str, what: &str, issue: &Issue) -> Message {
    let short_id = escape_mrkdwn(issue.short_id.as_deref().unwrap_or(&issue.id));
    let link = crate::issues::issue_text::link(issue.permalink.as_deref(), &short_id);
    let mut facts = vec![issue
        .level
        .clone()
        .unwrap_or_else(|| "unknown level".into())];
    if let Some(events) = issue.count {
        facts.push(format!("{} events", crate::issues::card::thousands(events)));
    }
    if let Some(users) = issue.user_count {
        facts.push(format!("{} users", crate::issues::card::thousands(users)));
    }
    let project = issue
        .project
        .as_ref()
        .and_then(|p| p.slug.clone())
        .unwrap_or_default();
    let text = format!(
        "{} {what} in {}: {link} {}\n{}",
        crate::issues::issue_text::level_emoji(issue.level.as_deref()),
        target(org, &project),
        untrusted(&issue.title, PLAIN_TITLE_CHARS),
        escape_mrkdwn(&facts.join(" · "))
    );
    plain(text)
}

/// A digest as text alone: how many new issues, where.
pub(crate) fn plain_digest(org: &str, project: &str, total: usize) -> Message {
    plain(format!(
        ":rotating_light: {total} new issues in {}",
        target(org, project)
    ))
}

/// A message of fallback text and no blocks.
pub(crate) fn plain(text: String) -> Message {
    Message {
        text,
        blocks: Vec::new(),
    }
}

/// Characters of a title a plain-text alert keeps.
const PLAIN_TITLE_CHARS: usize = 300;

/// The one message that follows a mute or quiet hours: what arrived
/// meanwhile, counted, with the first issues listed (`closed` are those
/// resolved or archived since).
pub(crate) fn catch_up(org: &str, project: &str, held: &Held) -> Message {
    let shown = &held.shown;
    let mut counts = Vec::new();
    if held.new > 0 {
        counts.push(plural(held.new, "new issue", "new issues"));
    }
    if held.regressions > 0 {
        counts.push(plural(held.regressions, "regression", "regressions"));
    }
    if held.escalations > 0 {
        counts.push(plural(held.escalations, "escalation", "escalations"));
    }
    let counted = if counts.is_empty() {
        "nothing new".to_string()
    } else {
        counts.join(", ")
    };
    let length = crate::quiet::when::length_in_words(held.length());
    let when = match held.why {
        HeldWhy::Muted => format!("While muted ({length})"),
        HeldWhy::QuietHours => format!("During quiet hours ({length})"),
        HeldWhy::MutedAndQuiet => format!("While muted and in quiet hours ({length})"),
        HeldWhy::Undeliverable => format!("While Slack refused posts here ({length})"),
    };
    let title = format!(
        ":inbox_tray: *{when}: {counted} in {}*",
        target(org, project)
    );
    let mut blocks = vec![section(&title)];
    for (i, item) in shown.iter().take(CATCH_UP_ROWS).enumerate() {
        let mut notes = Vec::new();
        if item.regressed {
            notes.push("regressed");
        }
        if item.escalated {
            notes.push("escalating");
        }
        match item.now.as_deref() {
            Some("resolved") => notes.push("_resolved meanwhile_"),
            Some("ignored" | "archived") => notes.push("_archived meanwhile_"),
            _ => {}
        }
        let note = notes.join(", ");
        blocks.push(crate::issues::row::issue_row(
            i,
            &item.issue,
            (!note.is_empty()).then_some(note.as_str()),
        ));
    }
    let total = held.new + held.regressions + held.escalations;
    let listed = shown.len().min(CATCH_UP_ROWS);
    if total > listed {
        blocks.truncate(limits::MAX_BLOCKS - 1);
        blocks.push(context(&[&format!(
            "and {} more held meanwhile; `/sentry issues {}` shows the project's open issues",
            total - listed,
            target(org, project)
        )]));
    }
    blocks.truncate(limits::MAX_BLOCKS);
    Message {
        text: format!("{when}: {counted} in {}", target(org, project)),
        blocks,
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// What changed in Sentry since the alert, in words, or `None`.
pub fn change_phrase(before: &Snapshot, after: &Snapshot) -> Option<String> {
    if before.status != after.status {
        return Some(
            match after.status.as_str() {
                "resolved" => "Resolved in Sentry",
                "ignored" | "muted" => "Archived in Sentry",
                "unresolved" => "Unresolved in Sentry",
                _ => "Status changed in Sentry",
            }
            .to_string(),
        );
    }
    if before.assignee != after.assignee {
        return Some(if after.assignee.is_empty() {
            "Unassigned in Sentry".to_string()
        } else {
            "Assigned in Sentry".to_string()
        });
    }
    None
}

/// A change phrase that names who acted: "Resolved by Ann in Sentry".
/// The name is untrusted; it is escaped where the phrase is rendered. Pure.
pub fn by_actor(phrase: &str, actor: Option<&str>) -> String {
    match actor.map(str::trim).filter(|a| !a.is_empty()) {
        Some(name) => {
            let name: String = name.chars().take(80).collect();
            match phrase.strip_suffix(" in Sentry") {
                Some(what) => format!("{what} by {name} in Sentry"),
                None => format!("{phrase} (by {name})"),
            }
        }
        None => phrase.to_string(),
    }
}

pub(crate) use crate::issues::issue_text::snapshot;

/// The alert redrawn after a change made in Sentry.
pub fn synced(
    org: &str,
    issue: &Issue,
    phrase: &str,
    event: Option<&Event>,
    controls: Controls,
    mention: Option<&str>,
    muted_here: bool,
) -> Message {
    let line = format!(":arrows_counterclockwise: {}", untrusted(phrase, 200));
    issue_card(&Card {
        event,
        controls,
        note: Some(&line),
        mention,
        here: Some(muted_here),
        ..Card::new(org, issue)
    })
}

/// The thread reply that says what changed, mentioning the assignee when
/// `mention` is known (a reply in the thread notifies them).
pub fn sync_reply(issue: &Issue, phrase: &str, mention: Option<&str>) -> Message {
    let named = issue
        .assigned_to
        .as_ref()
        .and_then(|a| a.name.clone().or(a.email.clone()))
        .map(|n| untrusted(&n, 80));
    let assignee = match (mention, named) {
        (Some(mention), Some(_)) => format!(" ({mention})"),
        (_, Some(name)) => format!(" ({name})"),
        (_, None) => String::new(),
    };
    Message::mrkdwn(format!(
        ":arrows_counterclockwise: {}{assignee}.",
        untrusted(phrase, 200)
    ))
}

/// The one message a channel gets when its org's grant stops working.
pub fn relink_notice(org: &str, project: &str) -> Message {
    Message::mrkdwn(format!(
        ":red_circle: Alerts for *{}* are paused: the connection to *{}* no longer works. \
         A workspace admin can run `/sentry link` to connect it again; alerts resume by themselves.",
        target(org, project),
        escape_mrkdwn(org)
    ))
}

/// Posted in the channel when it subscribes.
pub fn subscribed_notice(sub: &SubscriptionRow) -> Message {
    Message::mrkdwn(format!(
        ":bell: <@{}> subscribed this channel to new issues in *{}* matching {}.",
        escape_mrkdwn(&sub.created_by),
        target(&sub.org_slug, &sub.project_slug),
        inline_code(&sub.query, 300)
    ))
}

fn options(sub: &SubscriptionRow) -> String {
    let mut line = format!(
        "regressions {} · digest above {} · follow-ups {}",
        if sub.regressions { "on" } else { "off" },
        sub.digest,
        match sub.threads {
            ThreadPolicy::Thread => "in threads, regressions also in the channel",
            ThreadPolicy::Broadcast => "in threads and the channel",
            ThreadPolicy::Off => "off, regressions as new messages",
        }
    );
    match sub.mention {
        MentionPolicy::None => line.push_str(" · assignees named, not mentioned"),
        MentionPolicy::Owners => {
            line.push_str(" · mentions the assignee, else the suggested owner")
        }
        MentionPolicy::Assignee => {}
    }
    line
}

/// How many issues existed when a channel subscribed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Baseline {
    /// Exactly this many.
    Exactly(u64),
    /// At least this many (the server did not say how many lie past the pages read).
    AtLeast(u64),
}

impl std::fmt::Display for Baseline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Baseline::Exactly(n) => write!(f, "{n}"),
            Baseline::AtLeast(n) => write!(f, "{n}+"),
        }
    }
}

/// The answer to `/sentry subscribe`.
pub fn subscribed(sub: &SubscriptionRow, updated: bool, baseline: Baseline) -> Message {
    let what = if updated {
        "Updated the subscription to"
    } else {
        "Subscribed this channel to"
    };
    Message::mrkdwn(format!(
        ":white_check_mark: {what} *{}* matching {} ({}). {baseline} existing issues will not be posted; new and regressed ones will.",
        target(&sub.org_slug, &sub.project_slug),
        inline_code(&sub.query, 300),
        options(sub)
    ))
}

/// The answer to `/sentry subscriptions`.
/// `quiet` holds each subscription's mute and quiet hours in words, by id.
pub fn subscriptions(
    subs: &[SubscriptionRow],
    quiet: &std::collections::HashMap<String, String>,
) -> Message {
    if subs.is_empty() {
        return Message::mrkdwn(
            "This channel has no subscriptions. `/sentry subscribe &lt;project&gt;` adds one.",
        );
    }
    let mut blocks = vec![section(&format!(
        "*This channel's subscriptions ({})*",
        subs.len()
    ))];
    for sub in subs.iter().take(limits::MAX_BLOCKS - 1) {
        let mut text = format!(
            "*{}* · {}\n{}",
            target(&sub.org_slug, &sub.project_slug),
            inline_code(&sub.query, 500),
            options(sub)
        );
        if let Some(line) = quiet.get(&sub.id) {
            text.push('\n');
            text.push_str(line);
        }
        blocks.push(section(&text));
    }
    Message {
        text: format!("{} subscriptions", subs.len()),
        blocks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_names_who_made_it() {
        assert_eq!(
            by_actor("Resolved in Sentry", Some("Ann Lee")),
            "Resolved by Ann Lee in Sentry"
        );
        assert_eq!(
            by_actor("Resolved in Sentry", Some("  ")),
            "Resolved in Sentry"
        );
        assert_eq!(by_actor("Resolved in Sentry", None), "Resolved in Sentry");
        let long = "x".repeat(500);
        assert!(by_actor("Archived in Sentry", Some(&long)).len() < 120);
    }
    use serde_json::json;

    #[test]
    fn digests_stay_within_limits_and_offer_a_button_per_issue() {
        let issues: Vec<Issue> = (0..60)
            .map(|i| {
                serde_json::from_value(json!({ "id": i.to_string(), "title": "<!here> boom" }))
                    .unwrap()
            })
            .collect();
        let message = digest("acme", "api", &issues, 5);
        assert!(message.blocks.len() <= limits::MAX_BLOCKS);
        let json = serde_json::to_string(&message.blocks).unwrap();
        assert!(!json.contains("<!here>"));
        assert!(json.contains("expand:39"));
        assert!(json.contains("and 20 more"));
    }

    #[test]
    fn a_digest_counts_what_it_does_not_list() {
        let issues: Vec<Issue> = (0..40)
            .map(|i| {
                serde_json::from_value(json!({ "id": i.to_string(), "title": "boom" })).unwrap()
            })
            .collect();
        let message = digest_counted("acme", "api", &issues, 1000, Beyond::Count(50), 5);
        let json = serde_json::to_string(&message.blocks).unwrap();
        assert!(
            json.contains(
                "*1000 new issues in acme/api*, and 50 more matching issues past the pages read"
            ),
            "{json}"
        );
        assert!(
            json.contains("and 1010 more (960 new, 50 past the pages read)"),
            "{json}"
        );
        assert_eq!(message.text, "1000 new issues in acme/api");
        let unknown = digest_counted("acme", "api", &issues, 1000, Beyond::Unknown, 5);
        let json = serde_json::to_string(&unknown.blocks).unwrap();
        assert!(
            json.contains("and 960 more, plus those past the pages read"),
            "{json}"
        );
    }

    #[test]
    fn changes_are_named() {
        assert_eq!(
            change_phrase(&snap("unresolved|"), &snap("resolved|")).as_deref(),
            Some("Resolved in Sentry")
        );
        assert_eq!(
            change_phrase(&snap("unresolved|"), &snap("ignored|")).as_deref(),
            Some("Archived in Sentry")
        );
        assert_eq!(
            change_phrase(&snap("unresolved|"), &snap("unresolved|user:1")).as_deref(),
            Some("Assigned in Sentry")
        );
        assert_eq!(
            change_phrase(&snap("unresolved|user:1"), &snap("unresolved|user:1")),
            None
        );
    }

    #[test]
    fn an_issue_without_a_status_is_remembered_as_open_and_unassigned() {
        let open: Issue = serde_json::from_value(json!({ "id": "1", "title": "t" })).unwrap();
        assert_eq!(snapshot(&open), Snapshot::new("unresolved", ""));
        assert!(snapshot(&open).is_open());
    }

    fn snap(column: &str) -> Snapshot {
        Snapshot::from(column.to_string())
    }

    #[test]
    fn routed_alerts_say_whether_the_team_was_assigned_or_only_suggested() {
        use crate::sentry::search::route;
        let to_team: Issue = serde_json::from_value(serde_json::json!({
            "id": "1", "title": "x", "assignedTo": { "type": "team", "id": "5", "name": "backend" }
        }))
        .unwrap();
        let owned_only: Issue =
            serde_json::from_value(serde_json::json!({ "id": "2", "title": "x" })).unwrap();
        let assigned = route("assigned:#backend");
        let suggested = route("assigned_or_suggested:#backend");
        assert_eq!(
            routed_label(assigned.as_ref(), &to_team),
            "Assigned to #backend"
        );
        assert_eq!(
            routed_label(suggested.as_ref(), &to_team),
            "Assigned to #backend"
        );
        assert_eq!(
            routed_label(suggested.as_ref(), &owned_only),
            "Suggested for #backend"
        );
        assert_eq!(routed_label(None, &owned_only), "Newly matching");
    }
}
