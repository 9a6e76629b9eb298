//! Actions on one Sentry issue, as carried in a button or menu value:
//! `verb:org:issue_id`. Org slugs and issue ids never contain `:`.

use std::fmt;

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
        let valid = crate::config::is_slug(org)
            && !issue_id.is_empty()
            && issue_id.chars().all(|c| c.is_ascii_alphanumeric());
        valid.then(|| IssueAction::new(verb, org, issue_id))
    }
}

impl fmt::Display for IssueAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.verb.code(), self.org, self.issue_id)
    }
}

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
}
