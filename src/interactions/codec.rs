//! Everything a message carries back to us when someone clicks: button and
//! menu values (`verb:org:issue_id`), re-run state for "Next page", "Share"
//! and digest expansion, and block ids (`d|org|project|issue`, `r<row>|<page>`).
//! Encoding and decoding are pure and live together, so what the renderer
//! writes and what the click handler reads cannot drift apart. A leaf: it
//! depends on nothing in the crate but Slack's limits.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::render::limits::MAX_BUTTON_VALUE;

/// What a click asks Sentry to do to an issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssueVerb {
    /// Resolve now.
    Resolve,
    /// Resolve in the next release.
    ResolveNextRelease,
    /// Resolve in the current release.
    ResolveCurrentRelease,
    /// Back to unresolved.
    Unresolve,
    /// Archive until it escalates.
    ArchiveUntilEscalating,
    /// Archive for an hour.
    Archive1h,
    /// Archive for a day.
    Archive24h,
    /// Archive for a week.
    Archive1w,
    /// Archive until 100 more events.
    Archive100Events,
    /// Archive forever.
    ArchiveForever,
    /// Assign to the person who clicked.
    AssignToMe,
    /// Remove the assignee.
    Unassign,
}

impl IssueVerb {
    /// Every verb.
    pub const ALL: [IssueVerb; 12] = [
        IssueVerb::Resolve,
        IssueVerb::ResolveNextRelease,
        IssueVerb::ResolveCurrentRelease,
        IssueVerb::Unresolve,
        IssueVerb::ArchiveUntilEscalating,
        IssueVerb::Archive1h,
        IssueVerb::Archive24h,
        IssueVerb::Archive1w,
        IssueVerb::Archive100Events,
        IssueVerb::ArchiveForever,
        IssueVerb::AssignToMe,
        IssueVerb::Unassign,
    ];

    /// The archive choices, in the order Sentry's own menu lists them.
    pub const ARCHIVE: [IssueVerb; 6] = [
        IssueVerb::ArchiveUntilEscalating,
        IssueVerb::Archive1h,
        IssueVerb::Archive24h,
        IssueVerb::Archive1w,
        IssueVerb::Archive100Events,
        IssueVerb::ArchiveForever,
    ];

    /// Stable code in values.
    pub fn code(self) -> &'static str {
        match self {
            IssueVerb::Resolve => "resolve",
            IssueVerb::ResolveNextRelease => "resolve_next",
            IssueVerb::ResolveCurrentRelease => "resolve_current",
            IssueVerb::Unresolve => "unresolve",
            IssueVerb::ArchiveUntilEscalating => "archive_escalating",
            IssueVerb::Archive1h => "archive_1h",
            IssueVerb::Archive24h => "archive_24h",
            IssueVerb::Archive1w => "archive_1w",
            IssueVerb::Archive100Events => "archive_100",
            IssueVerb::ArchiveForever => "archive_forever",
            IssueVerb::AssignToMe => "assign_me",
            IssueVerb::Unassign => "unassign",
        }
    }

    /// Menu label.
    pub fn label(self) -> &'static str {
        match self {
            IssueVerb::Resolve => "Resolve",
            IssueVerb::ResolveNextRelease => "Resolve in next release",
            IssueVerb::ResolveCurrentRelease => "Resolve in current release",
            IssueVerb::Unresolve => "Unresolve",
            IssueVerb::ArchiveUntilEscalating => "Archive until escalating",
            IssueVerb::Archive1h => "Archive for 1 hour",
            IssueVerb::Archive24h => "Archive for 24 hours",
            IssueVerb::Archive1w => "Archive for 1 week",
            IssueVerb::Archive100Events => "Archive until 100 more events",
            IssueVerb::ArchiveForever => "Archive forever",
            IssueVerb::AssignToMe => "Assign to me",
            IssueVerb::Unassign => "Unassign",
        }
    }
}

/// A verb aimed at one issue of one org.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssueAction {
    /// What to do.
    pub verb: IssueVerb,
    /// Org slug.
    pub org: String,
    /// Numeric issue id.
    pub issue_id: String,
}

impl IssueAction {
    /// A new action.
    pub fn new(verb: IssueVerb, org: &str, issue_id: &str) -> Self {
        Self {
            verb,
            org: org.to_string(),
            issue_id: issue_id.to_string(),
        }
    }

    /// Reads a value written by `to_string`.
    pub fn parse(value: &str) -> Option<Self> {
        let mut parts = value.splitn(3, ':');
        let code = parts.next()?;
        let org = parts.next()?;
        let issue_id = parts.next()?;
        let verb = IssueVerb::ALL.into_iter().find(|v| v.code() == code)?;
        let valid = crate::config::is_slug(org) && is_issue_id(issue_id);
        valid.then(|| IssueAction::new(verb, org, issue_id))
    }
}

impl fmt::Display for IssueAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.verb.code(), self.org, self.issue_id)
    }
}

/// A command to run again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rerun {
    /// The text after `/sentry`.
    #[serde(rename = "t")]
    pub text: String,
    /// Sentry cursor of the page to show.
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// 1-based page number, for display.
    #[serde(rename = "p", default = "first_page")]
    pub page: u32,
}

fn first_page() -> u32 {
    1
}

impl Rerun {
    /// The button value, or `None` when it would exceed Slack's limit.
    pub fn encode(&self) -> Option<String> {
        serde_json::to_string(self)
            .ok()
            .filter(|v| v.chars().count() <= MAX_BUTTON_VALUE)
    }

    /// Reads a button value.
    pub fn decode(value: &str) -> Option<Self> {
        serde_json::from_str(value).ok()
    }
}

/// Block id of list row `index`; carries the page to re-render after an
/// action when it fits Slack's 255-character limit.
pub fn row_block_id(index: usize, this_page: Option<&Rerun>) -> String {
    let plain = format!("r{index}");
    match this_page.and_then(Rerun::encode) {
        Some(page) if plain.len() + 1 + page.chars().count() <= MAX_BLOCK_ID => {
            format!("{plain}|{page}")
        }
        _ => plain,
    }
}

/// The page a row's block id carries, if any.
pub fn page_from_block_id(block_id: &str) -> Option<Rerun> {
    let (_, page) = block_id.split_once('|')?;
    Rerun::decode(page)
}

/// Action id prefix of a list row's "Resolve in…" menu: `row_resolve_in:org:issue`.
pub const ROW_RESOLVE_IN: &str = "row_resolve_in:";

/// The assignee menu's first option's value: the person who picks it.
pub const ASSIGN_TO_ME: &str = "me";

/// The value of a release option in "Resolve in…": `rel:org:issue:version`;
/// `None` when it would pass Slack's 150-character limit on option values.
pub fn resolve_in_value(org: &str, issue_id: &str, version: &str) -> Option<String> {
    let value = format!("rel:{org}:{issue_id}:{version}");
    (value.chars().count() <= 150).then_some(value)
}

/// (org, issue id, version) from a release option's value, validated like
/// block ids; versions may themselves contain `:`.
pub fn parse_resolve_in(value: &str) -> Option<(String, String, String)> {
    let (org, rest) = value.strip_prefix("rel:")?.split_once(':')?;
    let (issue_id, version) = rest.split_once(':')?;
    let valid = crate::config::is_slug(org) && is_issue_id(issue_id) && !version.trim().is_empty();
    valid.then(|| (org.to_string(), issue_id.to_string(), version.to_string()))
}

/// The org and issue a row's "Resolve in…" menu names in its action id.
pub fn row_resolve_in_target(action_id: &str) -> Option<(String, String)> {
    let rest = action_id.strip_prefix(ROW_RESOLVE_IN)?;
    row_assign_target(&format!("{ROW_ASSIGN}{rest}"))
}

/// Action id prefix of a list row's assignee menu: `row_assign:org:issue`.
/// A row's block id names its page, so the menu names its org and issue.
pub const ROW_ASSIGN: &str = "row_assign:";

/// The org and issue a row's assignee menu names in its action id,
/// validated like block ids so a forged one names nothing we would act on.
pub fn row_assign_target(action_id: &str) -> Option<(String, String)> {
    let (org, issue_id) = action_id.strip_prefix(ROW_ASSIGN)?.split_once(':')?;
    let valid = crate::config::is_slug(org) && is_issue_id(issue_id);
    valid.then(|| (org.to_string(), issue_id.to_string()))
}

/// Block id of a detail message's actions: `d|org|project|issue`.
pub fn detail_block_id(org: &str, project: &str, issue_id: &str) -> String {
    format!("d|{org}|{project}|{issue_id}")
}

/// (org, project, issue id) from a detail block id; validated like button
/// values, so a forged block id names no org or issue we would act on.
pub fn from_detail_block_id(block_id: &str) -> Option<(String, String, String)> {
    let mut parts = block_id.split('|');
    (parts.next()? == "d").then_some(())?;
    let org = parts.next()?;
    let project = parts.next()?;
    let issue = parts.next()?;
    let valid = parts.next().is_none()
        && crate::config::is_slug(org)
        && (project.is_empty() || crate::config::is_slug(project))
        && is_issue_id(issue);
    valid.then(|| (org.to_string(), project.to_string(), issue.to_string()))
}

fn is_issue_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Slack's limit on `block_id`.
const MAX_BLOCK_ID: usize = 255;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_garbage_is_rejected() {
        for verb in IssueVerb::ALL {
            let action = IssueAction::new(verb, "acme", "4509123456");
            assert_eq!(IssueAction::parse(&action.to_string()), Some(action));
        }
        for bad in [
            "",
            "resolve",
            "resolve:acme",
            "explode:acme:1",
            "resolve:ac me:1",
            "resolve:acme:1:2",
        ] {
            assert_eq!(IssueAction::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn round_trips_and_respects_the_value_limit() {
        let rerun = Rerun {
            text: "issues acme/api level:error \"quoted\"".into(),
            cursor: Some("1764374400000:10:0".into()),
            page: 2,
        };
        assert_eq!(Rerun::decode(&rerun.encode().unwrap()), Some(rerun));
        let long = Rerun {
            text: "x".repeat(2100),
            cursor: None,
            page: 1,
        };
        assert_eq!(long.encode(), None);
        assert_eq!(Rerun::decode("nope"), None);
    }

    #[test]
    fn block_ids_carry_the_page_and_the_issue() {
        let page = Rerun {
            text: "issues acme/api level:error".into(),
            cursor: Some("0:10:0".into()),
            page: 2,
        };
        let id = row_block_id(3, Some(&page));
        assert!(id.starts_with("r3|"));
        assert_eq!(page_from_block_id(&id), Some(page));
        let long = Rerun {
            text: "x".repeat(300),
            cursor: None,
            page: 1,
        };
        assert_eq!(row_block_id(0, Some(&long)), "r0");
        assert_eq!(page_from_block_id("r0"), None);
        assert_eq!(
            from_detail_block_id(&detail_block_id("acme", "api", "42")),
            Some(("acme".into(), "api".into(), "42".into()))
        );
        assert_eq!(from_detail_block_id("r1|x"), None);
        // Forged block ids name nothing to act on.
        for forged in [
            "d|ac me|api|42",
            "d|acme|api|42|extra",
            "d|acme|api|4 2",
            "d|acme|api|",
            "d||api|42",
        ] {
            assert_eq!(from_detail_block_id(forged), None, "{forged}");
        }
    }
}
