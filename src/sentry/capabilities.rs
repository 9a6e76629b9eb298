//! What each org's Sentry server supports, learned from fallbacks. Sentry-
//! compatible servers and older self-hosted Sentry serve much of `/api/0/`
//! with gaps; the client tries the documented path first, and when the
//! server answers "no such endpoint" (404/405/501, HTML where JSON was
//! expected) it tries the other documented path and remembers which one
//! works, so a fallback costs one extra call per endpoint per org, once.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// One thing a server may lack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Gap {
    /// `GET /organizations/{org}/issues/` is missing: use `/projects/{org}/{project}/issues/`.
    OrgIssueList,
    /// `GET /organizations/{org}/issues/{id}/` is missing: use `/issues/{id}/`.
    OrgIssue,
    /// `PUT /organizations/{org}/issues/{id}/` is missing: use `/issues/{id}/`.
    OrgIssueUpdate,
    /// The org-scoped latest event is missing: use `/issues/{id}/events/latest/`.
    OrgLatestEvent,
    /// The org-scoped event list is missing: use `/issues/{id}/events/`.
    OrgIssueEvents,
    /// `sort=date` is rejected: list without `sort` (last seen first).
    SortByDate,
    /// No short-ID lookup: search the project's issues instead.
    ShortIdLookup,
    /// Assignment is not supported.
    Assignment,
    /// Notes are sent as `{"data": {"text": …}}`, not the documented `{"text": …}`.
    NoteDataBody,
    /// Notes are refused in either shape: changes from Slack leave none.
    Notes,
}

impl Gap {
    /// Every gap, in report order.
    pub const ALL: [Gap; 10] = [
        Gap::OrgIssueList,
        Gap::OrgIssue,
        Gap::OrgIssueUpdate,
        Gap::OrgLatestEvent,
        Gap::OrgIssueEvents,
        Gap::SortByDate,
        Gap::ShortIdLookup,
        Gap::Assignment,
        Gap::NoteDataBody,
        Gap::Notes,
    ];

    /// How `/sentry orgs` and `check` say it.
    pub fn describe(self) -> &'static str {
        match self {
            Gap::OrgIssueList => "project issue lists only",
            Gap::OrgIssue => "issues read by id only",
            Gap::OrgIssueUpdate => "issues changed by id only",
            Gap::OrgLatestEvent => "latest events by issue id only",
            Gap::OrgIssueEvents => "event lists by issue id only",
            Gap::SortByDate => "no sort=date (lists are last-seen first)",
            Gap::ShortIdLookup => "no short-ID lookup",
            Gap::Assignment => "no assignment",
            Gap::NoteDataBody => "notes sent as data.text",
            Gap::Notes => "no notes from Slack",
        }
    }

    /// Whether the gap is a server answering a documented call in another
    /// way (a path, a sort, a body shape), which marks it as a server that
    /// strays from the docs; features it lacks do not.
    pub fn is_routing_deviation(self) -> bool {
        !matches!(self, Gap::Assignment | Gap::Notes)
    }

    /// Whether the gap is a feature people miss, not just another path.
    pub fn is_missing_feature(self) -> bool {
        matches!(self, Gap::ShortIdLookup | Gap::Assignment | Gap::Notes)
    }
}

/// The gaps learned per org since this process started.
#[derive(Debug, Default)]
pub struct Capabilities {
    gaps: Mutex<HashMap<String, Vec<Gap>>>,
    probed: Mutex<HashSet<String>>,
}

impl Capabilities {
    /// Whether `org`'s server is known to lack `gap`.
    pub fn lacks(&self, org: &str, gap: Gap) -> bool {
        self.gaps
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(org)
            .is_some_and(|g| g.contains(&gap))
    }

    /// Remembers that `org`'s server lacks `gap`; true the first time.
    pub fn learn(&self, org: &str, gap: Gap) -> bool {
        let mut gaps = self.gaps.lock().unwrap_or_else(|e| e.into_inner());
        let known = gaps.entry(org.to_string()).or_default();
        if known.contains(&gap) {
            return false;
        }
        known.push(gap);
        known.sort();
        true
    }

    /// Whether `org`'s server has been probed to the end in this process.
    pub fn probed(&self, org: &str) -> bool {
        self.probed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(org)
    }

    /// Remembers that a probe of `org`'s server finished, so it is not
    /// probed again; a probe that failed leaves it to the next look.
    pub fn mark_probed(&self, org: &str) {
        self.probed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(org.to_string());
    }

    /// What `org`'s server is known to lack, in report order.
    pub fn gaps(&self, org: &str) -> Vec<Gap> {
        self.gaps
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(org)
            .cloned()
            .unwrap_or_default()
    }
}

/// One line on what a server supports, or `None` when nothing is missing.
pub(crate) fn summary(gaps: &[Gap]) -> Option<String> {
    if gaps.is_empty() {
        return None;
    }
    let words: Vec<&str> = gaps.iter().map(|g| g.describe()).collect();
    Some(format!("compatible server: {}", words.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_learned_once_per_org_and_reported_in_order() {
        let caps = Capabilities::default();
        assert!(!caps.lacks("acme", Gap::Assignment));
        assert!(caps.learn("acme", Gap::Assignment));
        assert!(!caps.learn("acme", Gap::Assignment));
        assert!(caps.learn("acme", Gap::ShortIdLookup));
        assert!(caps.lacks("acme", Gap::Assignment));
        assert!(!caps.lacks("globex", Gap::Assignment));
        assert_eq!(
            summary(&caps.gaps("acme")).as_deref(),
            Some("compatible server: no short-ID lookup, no assignment")
        );
        assert_eq!(summary(&caps.gaps("globex")), None);
        assert!(!caps.probed("acme"));
        caps.mark_probed("acme");
        assert!(caps.probed("acme") && !caps.probed("globex"));
        assert!(Gap::SortByDate.is_routing_deviation() && Gap::NoteDataBody.is_routing_deviation());
        assert!(!Gap::Assignment.is_routing_deviation() && !Gap::Notes.is_routing_deviation());
    }
}
