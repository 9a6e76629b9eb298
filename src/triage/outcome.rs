//! What a change did, read from the issue as the server reports it after
//! the change, not from what was asked: a server may accept "archive for
//! 1 hour" and keep no expiry, or "resolve in the next release" and
//! resolve now. Pure: the words never claim a detail the server did not
//! confirm.

use crate::issues::issue_text::assignee;
use crate::sentry::models::{Issue, StatusDetails};
use crate::slack::action::IssueVerb;
use crate::triage::change::{done_phrase, Change};

/// A change as the server kept it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The issue stands as asked: "Archived for 1 hour".
    Kept {
        /// The past-tense phrase, with only confirmed details.
        phrase: String,
    },
    /// The status changed, but a detail asked for was dropped.
    Partly {
        /// What the server confirmed: "Archived".
        phrase: String,
        /// What it dropped, in words: "this server keeps no expiry".
        caveat: &'static str,
    },
    /// The server accepted the request, but the issue could not be read
    /// back (or says nothing of it), so nothing more is claimed.
    Unconfirmed {
        /// What was asked, like "Resolve".
        asked: String,
    },
    /// The server accepted the request but the issue does not show it.
    NotShown {
        /// What was asked, like "Resolve".
        asked: String,
        /// What the issue shows instead, like "unresolved".
        shows: String,
    },
}

impl Outcome {
    /// The phrase for notes and status lines: what the issue now is.
    pub(crate) fn phrase(&self) -> Option<&str> {
        match self {
            Outcome::Kept { phrase } | Outcome::Partly { phrase, .. } => Some(phrase),
            Outcome::NotShown { .. } | Outcome::Unconfirmed { .. } => None,
        }
    }

    /// What was asked, when the server did not confirm it.
    pub(crate) fn asked(&self) -> Option<&str> {
        match self {
            Outcome::NotShown { asked, .. } | Outcome::Unconfirmed { asked } => Some(asked),
            Outcome::Kept { .. } | Outcome::Partly { .. } => None,
        }
    }
}

/// The outcome when the issue could not be read back after `change`.
pub(crate) fn unconfirmed(change: &Change) -> Outcome {
    Outcome::Unconfirmed {
        asked: asked(change),
    }
}

/// The outcome of `change`, from the issue read back after it.
pub(crate) fn outcome(change: &Change, after: &Issue) -> Outcome {
    // An issue read back without a status says nothing of the change.
    let Some(status) = after.status.as_deref() else {
        return unconfirmed(change);
    };
    let details = after.status_details.clone().unwrap_or_default();
    let kept = |phrase: String| Outcome::Kept { phrase };
    let partly = |phrase: &str, caveat| Outcome::Partly {
        phrase: phrase.to_string(),
        caveat,
    };
    let not_shown = |shows: String| Outcome::NotShown {
        asked: asked(change),
        shows,
    };
    let resolved = status == "resolved";
    let archived = matches!(status, "ignored" | "muted" | "archived");
    match change {
        Change::Verb(IssueVerb::Resolve) if resolved => kept("Resolved".into()),
        Change::Verb(IssueVerb::ResolveNextRelease) if resolved => {
            if details.in_next_release == Some(true) {
                kept(done_phrase(change))
            } else {
                partly(
                    "Resolved",
                    "this server resolved it now, not in the next release",
                )
            }
        }
        Change::Verb(IssueVerb::ResolveCurrentRelease) | Change::ResolveIn { .. } if resolved => {
            match details.in_release.as_deref().filter(|r| !r.is_empty()) {
                Some("latest") => kept("Resolved in the current release".into()),
                Some(release) => kept(format!("Resolved in {release}")),
                None => partly("Resolved", "this server resolved it now, not in a release"),
            }
        }
        Change::Verb(IssueVerb::Unresolve) if status == "unresolved" => kept("Unresolved".into()),
        Change::Verb(IssueVerb::ArchiveForever) if archived => kept(done_phrase(change)),
        Change::Verb(IssueVerb::ArchiveUntilEscalating) if archived => {
            if after.substatus.as_deref() == Some("archived_until_escalating") {
                kept(done_phrase(change))
            } else {
                partly("Archived", "this server does not say until when")
            }
        }
        Change::Verb(IssueVerb::Archive1h | IssueVerb::Archive24h | IssueVerb::Archive1w)
            if archived =>
        {
            if has_expiry(&details) {
                kept(done_phrase(change))
            } else {
                partly("Archived", "this server keeps no expiry")
            }
        }
        Change::Verb(IssueVerb::Archive100Events) if archived => match details.ignore_count {
            Some(count) if count > 0 => kept(format!(
                "Archived until {} more events",
                crate::issues::card::thousands(count)
            )),
            _ => partly("Archived", "this server keeps no event count"),
        },
        Change::Verb(IssueVerb::Unassign) if after.assigned_to.is_none() => {
            kept("Unassigned".into())
        }
        Change::AssignTo { actor, .. } if after.assignee_actor().as_deref() == Some(actor) => {
            kept(done_phrase(change))
        }
        // Resolved to a person before anything is sent, so nothing to check against.
        Change::Verb(IssueVerb::AssignToMe) => unconfirmed(change),
        Change::Verb(IssueVerb::Unassign) | Change::AssignTo { .. } => {
            not_shown(match assignee(after) {
                Some(name) => format!("assigned to {name}"),
                None => "unassigned".into(),
            })
        }
        _ => not_shown(shown_status(status).into()),
    }
}

fn has_expiry(details: &StatusDetails) -> bool {
    details
        .ignore_until
        .as_deref()
        .is_some_and(|u| !u.is_empty())
        || details.ignore_duration.is_some_and(|d| d > 0)
}

/// What was asked, as the menu said it.
fn asked(change: &Change) -> String {
    match change {
        Change::Verb(verb) => verb.label().to_string(),
        Change::AssignTo { name, .. } => format!("Assign to {name}"),
        Change::ResolveIn { version } => format!("Resolve in {version}"),
    }
}

fn shown_status(status: &str) -> &str {
    match status {
        "ignored" | "muted" => "archived",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::triage::change::tests::issue;
    use serde_json::json;

    fn verb(v: IssueVerb) -> Change {
        Change::Verb(v)
    }

    #[test]
    fn details_the_server_kept_are_said_and_dropped_ones_are_not() {
        let until = issue(
            json!({ "status": "ignored", "substatus": "archived_until_condition_met",
            "statusDetails": { "ignoreUntil": "2026-12-03T13:00:00Z" } }),
        );
        assert_eq!(
            outcome(&verb(IssueVerb::Archive1h), &until),
            Outcome::Kept {
                phrase: "Archived for 1 hour".into()
            }
        );
        // A compatible server: archived, with no statusDetails at all.
        let bare = issue(json!({ "status": "ignored" }));
        for v in [
            IssueVerb::Archive1h,
            IssueVerb::Archive24h,
            IssueVerb::Archive1w,
        ] {
            assert_eq!(
                outcome(&verb(v), &bare),
                Outcome::Partly {
                    phrase: "Archived".into(),
                    caveat: "this server keeps no expiry"
                },
                "{v:?}"
            );
        }
        assert_eq!(
            outcome(&verb(IssueVerb::Archive100Events), &bare).phrase(),
            Some("Archived")
        );
        let counted =
            issue(json!({ "status": "ignored", "status_details": { "ignore_count": 100 } }));
        assert_eq!(
            outcome(&verb(IssueVerb::Archive100Events), &counted).phrase(),
            Some("Archived until 100 more events")
        );
        assert_eq!(
            outcome(&verb(IssueVerb::ArchiveUntilEscalating), &bare),
            Outcome::Partly {
                phrase: "Archived".into(),
                caveat: "this server does not say until when"
            }
        );
        assert_eq!(
            outcome(&verb(IssueVerb::ArchiveForever), &bare).phrase(),
            Some("Archived forever")
        );
    }

    #[test]
    fn releases_are_named_only_when_the_server_keeps_them() {
        let next =
            issue(json!({ "status": "resolved", "statusDetails": { "inNextRelease": true } }));
        assert_eq!(
            outcome(&verb(IssueVerb::ResolveNextRelease), &next).phrase(),
            Some("Resolved in the next release")
        );
        let now = issue(json!({ "status": "resolved", "statusDetails": {} }));
        assert_eq!(
            outcome(&verb(IssueVerb::ResolveNextRelease), &now),
            Outcome::Partly {
                phrase: "Resolved".into(),
                caveat: "this server resolved it now, not in the next release"
            }
        );
        let release =
            issue(json!({ "status": "resolved", "statusDetails": { "inRelease": "api@1.4.2" } }));
        assert_eq!(
            outcome(&verb(IssueVerb::ResolveCurrentRelease), &release).phrase(),
            Some("Resolved in api@1.4.2")
        );
        let chosen = Change::ResolveIn {
            version: "api@1.4.2".into(),
        };
        assert_eq!(
            outcome(&chosen, &now).phrase(),
            Some("Resolved"),
            "no release kept, none named"
        );
    }

    #[test]
    fn a_change_the_issue_does_not_show_says_what_it_shows() {
        let open = issue(json!({ "status": "unresolved" }));
        assert_eq!(
            outcome(&verb(IssueVerb::Resolve), &open),
            Outcome::NotShown {
                asked: "Resolve".into(),
                shows: "unresolved".into()
            }
        );
        assert_eq!(
            outcome(
                &verb(IssueVerb::Unresolve),
                &issue(json!({ "status": "ignored" }))
            ),
            Outcome::NotShown {
                asked: "Unresolve".into(),
                shows: "archived".into()
            }
        );
        let assign = Change::AssignTo {
            actor: "user:42".into(),
            name: "Alice".into(),
        };
        assert_eq!(
            outcome(&assign, &open),
            Outcome::NotShown {
                asked: "Assign to Alice".into(),
                shows: "unassigned".into()
            }
        );
        let assigned = issue(
            json!({ "status": "unresolved", "assignedTo": { "type": "user", "id": "42", "name": "Alice" } }),
        );
        assert_eq!(
            outcome(&assign, &assigned).phrase(),
            Some("Assigned to Alice")
        );
        assert_eq!(
            outcome(
                &verb(IssueVerb::Resolve),
                &issue(json!({ "status": "resolved" }))
            )
            .phrase(),
            Some("Resolved")
        );
        // Other states are not "unresolved", and no status claims nothing.
        let reprocessing = issue(json!({ "status": "reprocessing" }));
        assert_eq!(
            outcome(&verb(IssueVerb::Unresolve), &reprocessing).asked(),
            Some("Unresolve")
        );
        assert_eq!(
            outcome(&verb(IssueVerb::Resolve), &issue(json!({}))),
            Outcome::Unconfirmed {
                asked: "Resolve".into()
            }
        );
    }
}
