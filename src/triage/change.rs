//! What each action sends to Sentry, and whether it would change anything.
//! Pure: request bodies exactly as Sentry documents them.

use serde_json::{json, Value};

use crate::issues::issue_text::snapshot;
use crate::sentry::models::Issue;
use crate::slack::action::IssueVerb;
use crate::store::Snapshot;

/// A change to an issue: a verb, or an assignment to a user or team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// A status or assignment verb.
    Verb(IssueVerb),
    /// Assign to `user:<id>` or `team:<id>`.
    AssignTo {
        /// `user:<id>` or `team:<id>`.
        actor: String,
        /// Display name for the status line.
        name: String,
    },
    /// Resolve in a chosen release.
    ResolveIn {
        /// The release's version.
        version: String,
    },
}

/// The PUT body for a change.
pub(crate) fn request_body(change: &Change) -> Value {
    match change {
        Change::Verb(verb) => match verb {
            IssueVerb::Resolve => json!({ "status": "resolved" }),
            IssueVerb::ResolveNextRelease => {
                json!({ "status": "resolved", "statusDetails": { "inNextRelease": true } })
            }
            IssueVerb::ResolveCurrentRelease => {
                json!({ "status": "resolved", "statusDetails": { "inRelease": "latest" } })
            }
            IssueVerb::Unresolve => json!({ "status": "unresolved" }),
            IssueVerb::ArchiveUntilEscalating => {
                json!({ "status": "ignored", "substatus": "archived_until_escalating" })
            }
            IssueVerb::Archive1h => archive_for(60),
            IssueVerb::Archive24h => archive_for(24 * 60),
            IssueVerb::Archive1w => archive_for(7 * 24 * 60),
            IssueVerb::Archive100Events => json!({
                "status": "ignored",
                "substatus": "archived_until_condition_met",
                "statusDetails": { "ignoreCount": 100 }
            }),
            IssueVerb::ArchiveForever => {
                json!({ "status": "ignored", "substatus": "archived_forever" })
            }
            IssueVerb::Unassign => json!({ "assignedTo": null }),
            // Resolved to a concrete user before a body is built.
            IssueVerb::AssignToMe => json!({}),
        },
        Change::AssignTo { actor, .. } => json!({ "assignedTo": actor }),
        Change::ResolveIn { version } => {
            json!({ "status": "resolved", "statusDetails": { "inRelease": version } })
        }
    }
}

fn archive_for(minutes: u32) -> Value {
    json!({
        "status": "ignored",
        "substatus": "archived_until_condition_met",
        "statusDetails": { "ignoreDuration": minutes }
    })
}

/// Why a change would do nothing, in words, or `None` if it would change the issue.
pub(crate) fn already(issue: &Issue, change: &Change) -> Option<String> {
    let status = issue.status.as_deref().unwrap_or("unresolved");
    let assigned = issue.assignee_actor();
    match change {
        Change::Verb(
            IssueVerb::Resolve | IssueVerb::ResolveNextRelease | IssueVerb::ResolveCurrentRelease,
        ) if status == "resolved" => Some("is already resolved".into()),
        Change::ResolveIn { .. } if status == "resolved" => Some("is already resolved".into()),
        Change::Verb(IssueVerb::Unresolve) if status == "unresolved" => {
            Some("is already unresolved".into())
        }
        Change::Verb(
            IssueVerb::ArchiveUntilEscalating
            | IssueVerb::Archive1h
            | IssueVerb::Archive24h
            | IssueVerb::Archive1w
            | IssueVerb::Archive100Events
            | IssueVerb::ArchiveForever,
        ) if status == "ignored" => Some("is already archived".into()),
        Change::Verb(IssueVerb::Unassign) if assigned.is_none() => {
            Some("is not assigned to anyone".into())
        }
        Change::AssignTo { actor, name } if assigned.as_deref() == Some(actor.as_str()) => {
            Some(format!("is already assigned to {name}"))
        }
        _ => None,
    }
}

/// The past-tense phrase for the status line: "Resolved", "Archived for 1 hour", ….
pub(crate) fn done_phrase(change: &Change) -> String {
    match change {
        Change::Verb(verb) => match verb {
            IssueVerb::Resolve => "Resolved".into(),
            IssueVerb::ResolveNextRelease => "Resolved in the next release".into(),
            IssueVerb::ResolveCurrentRelease => "Resolved in the current release".into(),
            IssueVerb::Unresolve => "Unresolved".into(),
            IssueVerb::ArchiveUntilEscalating => "Archived until escalating".into(),
            IssueVerb::Archive1h => "Archived for 1 hour".into(),
            IssueVerb::Archive24h => "Archived for 24 hours".into(),
            IssueVerb::Archive1w => "Archived for 1 week".into(),
            IssueVerb::Archive100Events => "Archived until 100 more events".into(),
            IssueVerb::ArchiveForever => "Archived forever".into(),
            IssueVerb::AssignToMe => "Assigned".into(),
            IssueVerb::Unassign => "Unassigned".into(),
        },
        Change::AssignTo { name, .. } => format!("Assigned to {name}"),
        Change::ResolveIn { version } => format!("Resolved in {version}"),
    }
}

/// The `status|assignee` an issue will have after `change`, so alerts changed
/// from Slack are not reported again as changed in Sentry.
pub(crate) fn snapshot_after(before: &Issue, change: &Change) -> Snapshot {
    let now = snapshot(before);
    let (status, assignee) = (now.status, now.assignee);
    let (status, assignee) = match change {
        Change::Verb(
            IssueVerb::Resolve | IssueVerb::ResolveNextRelease | IssueVerb::ResolveCurrentRelease,
        ) => ("resolved".to_string(), assignee),
        Change::Verb(IssueVerb::Unresolve) => ("unresolved".to_string(), assignee),
        Change::Verb(IssueVerb::Unassign) => (status, String::new()),
        Change::Verb(IssueVerb::AssignToMe) => (status, assignee),
        Change::Verb(_) => ("ignored".to_string(), assignee),
        Change::AssignTo { actor, .. } => (status, actor.clone()),
        Change::ResolveIn { .. } => ("resolved".to_string(), assignee),
    };
    Snapshot::new(status, assignee)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// An issue with `value`'s fields over a bare id and title.
    pub(in crate::triage) fn issue(value: Value) -> Issue {
        let mut base = json!({ "id": "1", "title": "t" });
        for (k, v) in value.as_object().unwrap() {
            base[k] = v.clone();
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn bodies_match_sentrys_documented_shapes() {
        let cases = [
            (IssueVerb::Resolve, json!({ "status": "resolved" })),
            (
                IssueVerb::ResolveNextRelease,
                json!({ "status": "resolved", "statusDetails": { "inNextRelease": true } }),
            ),
            (
                IssueVerb::ResolveCurrentRelease,
                json!({ "status": "resolved", "statusDetails": { "inRelease": "latest" } }),
            ),
            (IssueVerb::Unresolve, json!({ "status": "unresolved" })),
            (
                IssueVerb::ArchiveUntilEscalating,
                json!({ "status": "ignored", "substatus": "archived_until_escalating" }),
            ),
            (
                IssueVerb::Archive1h,
                json!({ "status": "ignored", "substatus": "archived_until_condition_met", "statusDetails": { "ignoreDuration": 60 } }),
            ),
            (
                IssueVerb::Archive24h,
                json!({ "status": "ignored", "substatus": "archived_until_condition_met", "statusDetails": { "ignoreDuration": 1440 } }),
            ),
            (
                IssueVerb::Archive1w,
                json!({ "status": "ignored", "substatus": "archived_until_condition_met", "statusDetails": { "ignoreDuration": 10080 } }),
            ),
            (
                IssueVerb::Archive100Events,
                json!({ "status": "ignored", "substatus": "archived_until_condition_met", "statusDetails": { "ignoreCount": 100 } }),
            ),
            (
                IssueVerb::ArchiveForever,
                json!({ "status": "ignored", "substatus": "archived_forever" }),
            ),
            (IssueVerb::Unassign, json!({ "assignedTo": null })),
        ];
        for (verb, body) in cases {
            assert_eq!(request_body(&Change::Verb(verb)), body, "{verb:?}");
        }
        let assign = Change::AssignTo {
            actor: "user:42".into(),
            name: "Alice".into(),
        };
        assert_eq!(request_body(&assign), json!({ "assignedTo": "user:42" }));
    }

    #[test]
    fn snapshots_after_a_change() {
        let open =
            issue(json!({ "status": "unresolved", "assignedTo": { "type": "user", "id": "42" } }));
        assert_eq!(
            snapshot_after(&open, &Change::Verb(IssueVerb::Resolve)),
            Snapshot::new("resolved", "user:42")
        );
        assert_eq!(
            snapshot_after(&open, &Change::Verb(IssueVerb::Archive1h)),
            Snapshot::new("ignored", "user:42")
        );
        assert_eq!(
            snapshot_after(&open, &Change::Verb(IssueVerb::Unassign)),
            Snapshot::new("unresolved", "")
        );
        let team = Change::AssignTo {
            actor: "team:5".into(),
            name: "#backend".into(),
        };
        assert_eq!(
            snapshot_after(&open, &team),
            Snapshot::new("unresolved", "team:5")
        );
    }

    #[test]
    fn changes_that_would_do_nothing_are_recognised() {
        let resolved = issue(json!({ "status": "resolved" }));
        assert_eq!(
            already(&resolved, &Change::Verb(IssueVerb::Resolve)).as_deref(),
            Some("is already resolved")
        );
        assert_eq!(
            already(&resolved, &Change::Verb(IssueVerb::Unresolve)),
            None
        );
        let open = issue(
            json!({ "status": "unresolved", "assignedTo": { "type": "user", "id": "42", "name": "Alice" } }),
        );
        assert_eq!(
            already(&open, &Change::Verb(IssueVerb::Unresolve)).as_deref(),
            Some("is already unresolved")
        );
        let same = Change::AssignTo {
            actor: "user:42".into(),
            name: "Alice".into(),
        };
        assert_eq!(
            already(&open, &same).as_deref(),
            Some("is already assigned to Alice")
        );
        assert_eq!(already(&open, &Change::Verb(IssueVerb::Unassign)), None);
        let archived = issue(json!({ "status": "ignored" }));
        assert!(already(&archived, &Change::Verb(IssueVerb::Archive1w)).is_some());
    }

    #[test]
    fn resolving_in_a_chosen_release_sends_its_version() {
        let change = Change::ResolveIn {
            version: "api@1.4.2".into(),
        };
        assert_eq!(
            request_body(&change),
            json!({ "status": "resolved", "statusDetails": { "inRelease": "api@1.4.2" } })
        );
        assert_eq!(done_phrase(&change), "Resolved in api@1.4.2");
        let resolved = issue(json!({ "status": "resolved" }));
        assert_eq!(
            already(&resolved, &change).as_deref(),
            Some("is already resolved")
        );
    }
}
