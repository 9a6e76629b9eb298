//! Everything a message carries back to us when someone clicks: which
//! control it was ([`ActionId`], the only code that writes or reads an
//! `action_id`), button and menu values (`verb:org:issue_id`), re-run state
//! for "Next page", "Share" and digest expansion, and block ids
//! (`d|org|project|issue`, `r<row>|<page>`). Encoding and decoding are pure
//! and live together, so what a message writes and what the click handler
//! reads cannot drift apart, and ids of messages posted long ago still
//! decode. A leaf: it depends on nothing in the crate but Slack's limits.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::slack::limits::MAX_BUTTON_VALUE;

/// Where a control sits: on an issue card (its block id names org,
/// project and issue) or on a row of an issue list (its block id names the
/// page, so the control names its issue).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// An issue card.
    Card,
    /// A list row showing `issue_id`.
    Row {
        /// Numeric issue id.
        issue_id: String,
    },
}

/// Which control of one of our messages was used. Action ids are unique
/// within a message, so a row's controls carry their issue; a row's menus
/// that load options also carry the org.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionId {
    /// "Next page" (value: [`Rerun`]).
    NextPage,
    /// "Share in channel" (value: [`Rerun`]).
    Share,
    /// "Show" on digest row `n` (value: [`Rerun`]).
    Expand(usize),
    /// Suggested command `n` (value: [`Rerun`]); it replaces the answer.
    Run(usize),
    /// The main Resolve / Unresolve button (value: [`IssueAction`]).
    Verb(Place),
    /// The archive menu (option values: [`IssueAction`]).
    Archive(Place),
    /// The overflow menu (option values: [`IssueAction`]).
    More(Place),
    /// A compact list row's one menu, for the issue it names (option
    /// values: [`IssueAction`] or [`show_value`]).
    RowMenu(String),
    /// "Resolve in…", options loaded when it opens. A row's names its org.
    ResolveIn(Menu),
    /// "Assign…", options loaded as people type. A row's names its org.
    Assign(Menu),
    /// "Open in Sentry": a link, nothing to do.
    Open(Place),
    /// The approval link of `/sentry link`: nothing to do.
    LinkApproval,
}

/// Where a menu that loads its options sits: a card (whose block id names
/// the issue) or a row, which names its own org and issue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Menu {
    /// On an issue card.
    Card,
    /// On a list row.
    Row {
        /// Org slug.
        org: String,
        /// Numeric issue id.
        issue_id: String,
    },
}

/// Action id prefix of a list row's "Resolve in…" menu: `row_resolve_in:org:issue`.
const ROW_RESOLVE_IN: &str = "row_resolve_in:";

/// Action id prefix of a list row's assignee menu: `row_assign:org:issue`.
const ROW_ASSIGN: &str = "row_assign:";

impl ActionId {
    /// The `action_id` to write.
    pub fn encode(&self) -> String {
        let row = |prefix: &str, place: &Place, card: &str| match place {
            Place::Card => card.to_string(),
            Place::Row { issue_id } => format!("{prefix}{issue_id}"),
        };
        match self {
            ActionId::NextPage => "issues_next".into(),
            ActionId::Share => "share".into(),
            ActionId::Expand(n) => format!("expand:{n}"),
            ActionId::Run(n) => format!("run:{n}"),
            ActionId::Verb(place) => row("row_action:", place, "issue_action"),
            ActionId::Archive(place) => row("row_archive:", place, "issue_archive"),
            ActionId::More(place) => row("row_more:", place, "issue_more"),
            ActionId::RowMenu(issue_id) => format!("row_menu:{issue_id}"),
            ActionId::Open(place) => row("open_in_sentry:", place, "open_in_sentry"),
            ActionId::ResolveIn(Menu::Card) => "issue_resolve_in".into(),
            ActionId::ResolveIn(Menu::Row { org, issue_id }) => {
                format!("{ROW_RESOLVE_IN}{org}:{issue_id}")
            }
            ActionId::Assign(Menu::Card) => "assign".into(),
            ActionId::Assign(Menu::Row { org, issue_id }) => {
                format!("{ROW_ASSIGN}{org}:{issue_id}")
            }
            ActionId::LinkApproval => "link_approve".into(),
        }
    }

    /// Reads an `action_id`, including those of messages drawn by earlier
    /// versions (`issue_select`, `issue_menu:…`, a bare `expand`). A forged
    /// or unknown id reads as `None`.
    pub fn decode(action_id: &str) -> Option<ActionId> {
        // The verb and its issue ride in the value, so a row control's own
        // suffix is only a name and is read as written.
        let row_issue = |rest: &str| {
            Some(Place::Row {
                issue_id: rest.to_string(),
            })
        };
        let row_menu = |rest: &str| {
            let (org, issue_id) = rest.split_once(':')?;
            let valid = crate::config::is_slug(org) && is_issue_id(issue_id);
            valid.then(|| Menu::Row {
                org: org.to_string(),
                issue_id: issue_id.to_string(),
            })
        };
        // The index only keeps ids unique; the value says what to run.
        let index = |rest: &str| Some(rest.parse::<usize>().unwrap_or_default());
        if let Some(rest) = action_id.strip_prefix("expand") {
            return Some(ActionId::Expand(
                rest.trim_start_matches(':').parse().unwrap_or_default(),
            ));
        }
        Some(match action_id {
            "issues_next" => ActionId::NextPage,
            "share" => ActionId::Share,
            "issue_action" | "issue_select" => ActionId::Verb(Place::Card),
            "issue_archive" => ActionId::Archive(Place::Card),
            "issue_more" => ActionId::More(Place::Card),
            "open_in_sentry" => ActionId::Open(Place::Card),
            "issue_resolve_in" => ActionId::ResolveIn(Menu::Card),
            "assign" => ActionId::Assign(Menu::Card),
            "link_approve" => ActionId::LinkApproval,
            id => {
                let (prefix, rest) = id.split_once(':')?;
                match prefix {
                    "run" => ActionId::Run(index(rest)?),
                    // `issue_menu:` is the row menu of lists drawn before
                    // rows had their own controls.
                    "row_action" | "issue_menu" => ActionId::Verb(row_issue(rest)?),
                    "row_archive" => ActionId::Archive(row_issue(rest)?),
                    "row_more" => ActionId::More(row_issue(rest)?),
                    "row_menu" => ActionId::RowMenu(is_issue_id(rest).then(|| rest.to_string())?),
                    "open_in_sentry" => ActionId::Open(row_issue(rest)?),
                    "row_resolve_in" => ActionId::ResolveIn(row_menu(rest)?),
                    "row_assign" => ActionId::Assign(row_menu(rest)?),
                    _ => return None,
                }
            }
        })
    }

    /// Whether this control assigns issues, for servers without assignment.
    pub fn is_assignment(&self) -> bool {
        matches!(self, ActionId::Assign(_))
    }
}

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

/// The value of "Show the card" in a row's menu: `show:org:issue`.
pub fn show_value(org: &str, issue_id: &str) -> String {
    format!("show:{org}:{issue_id}")
}

/// (org, issue id) from a "Show the card" value, validated like block ids.
pub fn parse_show(value: &str) -> Option<(String, String)> {
    let (org, issue_id) = value.strip_prefix("show:")?.split_once(':')?;
    let valid = crate::config::is_slug(org) && is_issue_id(issue_id);
    valid.then(|| (org.to_string(), issue_id.to_string()))
}

/// The value of "Mute here" (`mute`) or "Unmute here" on a card in a
/// channel: `mute_here:org:issue` or `unmute_here:org:issue`.
pub fn here_value(mute: bool, org: &str, issue_id: &str) -> String {
    let verb = if mute { "mute_here" } else { "unmute_here" };
    format!("{verb}:{org}:{issue_id}")
}

/// (mute, org, issue id) from a [`here_value`], validated like block ids.
pub fn parse_here(value: &str) -> Option<(bool, String, String)> {
    let (mute, rest) = match value.split_once(':')? {
        ("mute_here", rest) => (true, rest),
        ("unmute_here", rest) => (false, rest),
        _ => return None,
    };
    let (org, issue_id) = rest.split_once(':')?;
    let valid = crate::config::is_slug(org) && is_issue_id(issue_id);
    valid.then(|| (mute, org.to_string(), issue_id.to_string()))
}

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
    fn action_ids_round_trip_and_old_ones_still_decode() {
        let row = || Place::Row {
            issue_id: "4509123456".into(),
        };
        let menu = || Menu::Row {
            org: "acme".into(),
            issue_id: "4509123456".into(),
        };
        let all = [
            ActionId::NextPage,
            ActionId::Share,
            ActionId::Expand(3),
            ActionId::Run(1),
            ActionId::Verb(Place::Card),
            ActionId::Verb(row()),
            ActionId::Archive(Place::Card),
            ActionId::Archive(row()),
            ActionId::More(Place::Card),
            ActionId::More(row()),
            ActionId::RowMenu("4509123456".into()),
            ActionId::Open(Place::Card),
            ActionId::Open(row()),
            ActionId::ResolveIn(Menu::Card),
            ActionId::ResolveIn(menu()),
            ActionId::Assign(Menu::Card),
            ActionId::Assign(menu()),
            ActionId::LinkApproval,
        ];
        for id in all {
            assert_eq!(ActionId::decode(&id.encode()), Some(id.clone()), "{id:?}");
            assert!(id.encode().chars().count() <= crate::slack::limits::MAX_ACTION_ID);
        }
        // Ids written by earlier versions, in messages still in channels.
        assert_eq!(
            ActionId::decode("issue_select"),
            Some(ActionId::Verb(Place::Card))
        );
        assert_eq!(
            ActionId::decode("issue_menu:42"),
            Some(ActionId::Verb(Place::Row {
                issue_id: "42".into()
            }))
        );
        assert_eq!(ActionId::decode("expand"), Some(ActionId::Expand(0)));
        // Forged menus name no org or issue to act on.
        for forged in [
            "row_assign:ac me:1",
            "row_assign:acme",
            "row_resolve_in:acme:4 2",
            "boom",
            "row_boom:1",
        ] {
            assert_eq!(ActionId::decode(forged), None, "{forged}");
        }
    }

    #[test]
    fn here_values_round_trip_and_forged_ones_name_nothing() {
        for mute in [true, false] {
            let value = here_value(mute, "acme", "4509123456");
            assert_eq!(
                parse_here(&value),
                Some((mute, "acme".into(), "4509123456".into()))
            );
            assert_eq!(IssueAction::parse(&value), None, "never a Sentry change");
        }
        for forged in [
            "mute_here:ac me:1",
            "mute_here:acme:4 2",
            "mute_here:acme",
            "resolve:acme:1",
        ] {
            assert_eq!(parse_here(forged), None, "{forged}");
        }
    }

    #[test]
    fn show_values_round_trip_and_forged_ones_name_nothing() {
        let value = show_value("acme", "4509123456");
        assert_eq!(
            parse_show(&value),
            Some(("acme".into(), "4509123456".into()))
        );
        assert!(value.chars().count() <= 150);
        for forged in [
            "show:ac me:1",
            "show:acme:4 2",
            "show:acme",
            "resolve:acme:1",
        ] {
            assert_eq!(parse_show(forged), None, "{forged}");
        }
        assert_eq!(IssueAction::parse(&value), None);
    }

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
