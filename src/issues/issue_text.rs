//! How one issue reads in a line of mrkdwn: its level as an emoji, a safe
//! link, its assignee, whether it is open. Pure; shared by the card, list
//! rows, digests and event pages.

use crate::sentry::models::Issue;
use crate::store::Snapshot;

/// The status and assignee of an issue, as alerts remember it.
pub(crate) fn snapshot(issue: &Issue) -> Snapshot {
    Snapshot::new(
        issue.status.as_deref().unwrap_or("unresolved"),
        issue.assignee_actor().unwrap_or_default(),
    )
}

/// Emoji for a Sentry level.
pub(crate) fn level_emoji(level: Option<&str>) -> &'static str {
    match level {
        Some("fatal") => ":skull:",
        Some("error") => ":red_circle:",
        Some("warning") => ":large_orange_circle:",
        Some("info") => ":large_blue_circle:",
        Some("debug") => ":white_circle:",
        _ => ":black_circle:",
    }
}

/// `<url|label>` when the URL is a plain http(s) link, else the label alone.
/// `label` must already be escaped.
pub(crate) fn link(url: Option<&str>, label: &str) -> String {
    match url.and_then(|u| url::Url::parse(u).ok()) {
        Some(u) if matches!(u.scheme(), "http" | "https") => {
            let href = u
                .as_str()
                .replace('|', "%7C")
                .replace('>', "%3E")
                .replace('<', "%3C");
            format!("<{href}|{label}>")
        }
        _ => label.to_string(),
    }
}

/// Who the issue is assigned to: a name, an email, or `#team`.
pub(crate) fn assignee(issue: &Issue) -> Option<String> {
    let a = issue.assigned_to.as_ref()?;
    let name = a
        .name
        .as_deref()
        .or(a.email.as_deref())
        .or(a.id.as_deref())?;
    Some(match a.kind.as_deref() {
        Some("team") => format!("#{name}"),
        _ => name.to_string(),
    })
}

/// Whether the issue is open (unresolved), as opposed to resolved or archived.
pub(crate) fn is_open(issue: &Issue) -> bool {
    matches!(issue.status.as_deref(), None | Some("unresolved"))
}
