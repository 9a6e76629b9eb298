//! An issue's recent events and a project's releases: the two questions
//! that otherwise send a person to Sentry's web UI ("what do the last few
//! occurrences look like?", "which release is this project on?"). Pure.

use crate::commands::command::MAX_EVENTS;
use crate::issues::card::thousands;
use crate::issues::facts;
use crate::issues::issue_text::link;
use crate::issues::list::pager;
use crate::sentry::models::{Event, Issue, Release};
use crate::slack::action::Rerun;
use crate::slack::escape::{
    escape_mrkdwn, escape_truncated, inline_code, percent_encode, truncate_plain, untrusted,
};
use crate::slack::limits;
use crate::slack::message::{context, section, Message};
use crate::slack::time::slack_date;

/// Releases listed.
pub(crate) const RELEASES_SHOWN: u32 = 10;

/// A page of an issue's events.
pub(crate) struct EventsPage<'a> {
    /// The issue.
    pub issue: &'a Issue,
    /// Its events on this page, newest first.
    pub events: &'a [Event],
    /// 1-based page number.
    pub page: u32,
    /// What "Next page" re-runs, when there is one.
    pub next: Option<Rerun>,
    /// What "Share in channel" re-runs, on private answers.
    pub share: Option<Rerun>,
}

/// The issue's events, one compact row each. Pure.
pub(crate) fn events_page(view: &EventsPage<'_>) -> Message {
    let issue = view.issue;
    let name = escape_mrkdwn(issue.short_id.as_deref().unwrap_or(&issue.id));
    let heading = format!(
        "*Recent events of {}* · {} · page {}",
        link(issue.permalink.as_deref(), &name),
        untrusted(&issue.title, 150),
        view.page.max(1)
    );
    if view.events.is_empty() {
        let text = if view.page > 1 {
            format!("No more events of {name}.")
        } else {
            format!("No events recorded for {name}.")
        };
        return Message::mrkdwn(text);
    }
    let frames: Vec<Option<String>> = view.events.iter().map(facts::crash_frame).collect();
    // The crash frame is worth a line only when it moves between events.
    let frames_differ = frames.windows(2).any(|w| w[0] != w[1]);
    let mut blocks = vec![section(&heading)];
    let mut fallback = format!("Recent events of {name}:");
    for (event, frame) in view.events.iter().zip(&frames).take(MAX_EVENTS as usize) {
        let mut text = event_line(issue, event);
        if let (true, Some(frame)) = (frames_differ, frame) {
            text.push_str(&format!("\n:round_pushpin: {}", inline_code(frame, 200)));
        }
        blocks.push(section(&text));
        fallback.push_str(&format!(
            "\n{}",
            escape_truncated(event.date_created.as_deref().unwrap_or("event"), 40)
        ));
    }
    blocks.extend(pager(view.next.as_ref(), view.share.as_ref()));
    blocks.truncate(limits::MAX_BLOCKS);
    Message {
        text: truncate_plain(&fallback, limits::MAX_FALLBACK_TEXT),
        blocks,
    }
}

/// When · environment · release · user · link to the event.
fn event_line(issue: &Issue, event: &Event) -> String {
    let mut parts = Vec::new();
    let when = event
        .date_created
        .as_deref()
        .and_then(|t| slack_date(t, "{date_short_pretty} at {time}"))
        .unwrap_or_else(|| "unknown time".to_string());
    parts.push(when);
    if let Some(env) = event.tag("environment") {
        parts.push(format!("env *{}*", untrusted(env, 60)));
    }
    if let Some(release) = event.tag("release") {
        parts.push(format!("release {}", inline_code(release, 80)));
    }
    if let Some(user) = user_label(event) {
        parts.push(format!("user {}", inline_code(&user, 60)));
    }
    let safe_id = event
        .id()
        .filter(|id| (1..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric()));
    let permalink = issue.permalink.as_deref().filter(|p| p.len() <= 500);
    if let (Some(permalink), Some(id)) = (permalink, safe_id) {
        let url = format!("{}/events/{id}/", permalink.trim_end_matches('/'));
        parts.push(link(Some(&url), "event"));
    }
    parts.join(" · ")
}

/// The user as Sentry shows it: email, username, id, or IP address.
fn user_label(event: &Event) -> Option<String> {
    let user = event.user.as_ref()?;
    ["email", "username", "id", "ip_address"]
        .iter()
        .find_map(|key| match &user[*key] {
            serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
}

/// A project's releases, newest first. Pure.
pub(crate) fn releases(
    org: &str,
    project: &str,
    project_id: &str,
    web_base: &str,
    releases: &[Release],
) -> Message {
    let target = escape_mrkdwn(&format!("{org}/{project}"));
    if releases.is_empty() {
        return Message::mrkdwn(format!(
            "No releases recorded for *{target}*. Releases appear once your build creates them \
             (`sentry-cli releases new`, or a Sentry SDK `release` option)."
        ));
    }
    let mut blocks = vec![section(&format!("*Releases of {target}* · newest first"))];
    let mut fallback = format!("Releases of {target}:");
    for release in releases.iter().take(RELEASES_SHOWN as usize) {
        let shown = release.short_version.as_deref().unwrap_or(&release.version);
        let url = format!(
            "{}/organizations/{}/releases/{}/?project={}",
            web_base.trim_end_matches('/'),
            org,
            percent_encode(&release.version),
            percent_encode(project_id)
        );
        let mut parts = vec![format!("*{}*", link(Some(&url), &untrusted(shown, 80)))];
        let when = release
            .date_released
            .as_deref()
            .map(|t| ("released", t))
            .or(release.date_created.as_deref().map(|t| ("created", t)));
        if let Some((word, date)) =
            when.and_then(|(w, t)| slack_date(t, "{date_short_pretty}").map(|d| (w, d)))
        {
            parts.push(format!("{word} {date}"));
        }
        if let Some(n) = release.new_groups {
            parts.push(format!(
                "{} new {}",
                thousands(n),
                if n == 1 { "issue" } else { "issues" }
            ));
        }
        if let Some(n) = release.commit_count.filter(|n| *n > 0) {
            parts.push(format!(
                "{} {}",
                thousands(n),
                if n == 1 { "commit" } else { "commits" }
            ));
        }
        if let Some(deploy) = &release.last_deploy {
            let env = deploy
                .environment
                .as_deref()
                .map(|e| format!(" to *{}*", untrusted(e, 60)))
                .unwrap_or_default();
            let date = deploy
                .date_finished
                .as_deref()
                .and_then(|t| slack_date(t, "{date_short_pretty}"))
                .map(|d| format!(" {d}"))
                .unwrap_or_default();
            let count = release
                .deploy_count
                .filter(|n| *n > 1)
                .map(|n| format!(" ({n} deploys)"))
                .unwrap_or_default();
            parts.push(format!("deployed{env}{date}{count}"));
        }
        blocks.push(section(&parts.join(" · ")));
        fallback.push_str(&format!(" {};", truncate_plain(shown, 80)));
    }
    if releases.len() > RELEASES_SHOWN as usize {
        blocks.push(context(&["Older releases are in Sentry."]));
    }
    Message {
        text: escape_mrkdwn(&truncate_plain(&fallback, limits::MAX_FALLBACK_TEXT)),
        blocks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn issue() -> Issue {
        serde_json::from_value(json!({
            "id": "42", "shortId": "API-3F", "title": "KeyError: 'cart_id'",
            "permalink": "https://acme.sentry.io/issues/42/"
        }))
        .unwrap()
    }

    fn event(extra: Value) -> Event {
        let mut base = json!({
            "id": "9fac", "eventID": "9fac", "dateCreated": "2026-11-29T08:57:00Z",
            "tags": [{ "key": "environment", "value": "production" }, { "key": "release", "value": "api@1.2.3" }],
            "user": { "email": "ann@example.com", "ip_address": "10.0.0.1" }
        });
        for (k, v) in extra.as_object().unwrap() {
            base[k] = v.clone();
        }
        serde_json::from_value(base).unwrap()
    }

    fn page<'a>(issue: &'a Issue, events: &'a [Event]) -> EventsPage<'a> {
        EventsPage {
            issue,
            events,
            page: 1,
            next: None,
            share: None,
        }
    }

    #[test]
    fn an_event_row_has_time_environment_release_user_and_link() {
        let i = issue();
        let events = [event(json!({}))];
        let message = events_page(&page(&i, &events));
        let row = serde_json::to_value(&message.blocks).unwrap()[1]["text"]["text"].clone();
        assert_eq!(
            row,
            "<!date^1795942620^{date_short_pretty} at {time}|2026-11-29 08:57 UTC> · env *production* \
             · release `api@1.2.3` · user `ann@example.com` · <https://acme.sentry.io/issues/42/events/9fac/|event>"
        );
    }

    #[test]
    fn the_crash_frame_shows_only_when_it_moves() {
        let frame = |file: &str| {
            json!({ "entries": [{ "type": "exception", "data": { "values": [{ "type": "E",
                "stacktrace": { "frames": [{ "filename": file, "lineNo": 1, "function": "f", "inApp": true }] } }] } }] })
        };
        let i = issue();
        let same = [event(frame("a.py")), event(frame("a.py"))];
        let json = serde_json::to_string(&events_page(&page(&i, &same)).blocks).unwrap();
        assert!(!json.contains("a.py"), "{json}");
        let moved = [event(frame("a.py")), event(frame("b.py"))];
        let json = serde_json::to_string(&events_page(&page(&i, &moved)).blocks).unwrap();
        assert!(json.contains(":round_pushpin: `a.py:1 in f`"), "{json}");
        assert!(json.contains("`b.py:1 in f`"), "{json}");
    }

    #[test]
    fn hostile_event_fields_are_escaped_and_within_limits() {
        let agent = "Mozilla/5.0 ".repeat(1_000);
        let hostile = json!({
            "eventID": "<!channel>",
            "dateCreated": "<!channel>",
            "tags": [{ "key": "environment", "value": "<!channel> *prod*" }, { "key": "release", "value": "`<@U1>`" }],
            "user": { "email": format!("<!here>{agent}") }
        });
        let i = issue();
        let events: Vec<Event> = (0..25).map(|_| event(hostile.clone())).collect();
        let message = events_page(&page(&i, &events));
        let json = serde_json::to_string(&message.blocks).unwrap();
        for needle in ["<!channel>", "<!here>", "<@U1>"] {
            assert!(!json.contains(needle), "{needle}");
            assert!(
                !message.text.contains(needle),
                "{needle} in the notification text"
            );
        }
        assert!(!json.contains("events/<"), "a hostile id gets no link");
        assert!(message.blocks.len() <= limits::MAX_BLOCKS);
        for block in serde_json::to_value(&message.blocks)
            .unwrap()
            .as_array()
            .unwrap()
        {
            let text = block["text"]["text"].as_str().unwrap_or("");
            assert!(text.chars().count() <= limits::MAX_SECTION_TEXT);
        }
        assert_eq!(message.blocks.len(), 1 + MAX_EVENTS as usize);
    }

    #[test]
    fn releases_show_version_date_new_issues_commits_and_deploys() {
        let listed: Vec<Release> = serde_json::from_value(json!([
            { "version": "api@1.4.2+build/7", "dateReleased": "2026-11-28T12:00:00Z", "newGroups": 3,
              "commitCount": 12, "deployCount": 2,
              "lastDeploy": { "environment": "production", "dateFinished": "2026-11-28T13:00:00Z" } },
            { "version": "<!channel>", "newGroups": 0 }
        ]))
        .unwrap();
        let message = releases("acme", "api", "1001", "https://sentry.io", &listed);
        let json = serde_json::to_string(&message.blocks).unwrap();
        assert!(json.contains(
            "<https://sentry.io/organizations/acme/releases/api%401.4.2%2Bbuild%2F7/?project=1001|api@1.4.2+build/7>"
        ), "{json}");
        assert!(
            json.contains("3 new issues · 12 commits · deployed to *production*"),
            "{json}"
        );
        assert!(json.contains("(2 deploys)"), "{json}");
        assert!(!json.contains("<!channel>"), "{json}");
        let none = releases("acme", "api", "1001", "https://sentry.io", &[]);
        assert!(none.text.contains("No releases recorded for *acme/api*"));
    }
}
