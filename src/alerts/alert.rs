//! What an alert is: a kind with its own typed payload, stored as the
//! `kind` and `dedup_key` columns and a JSON payload. Pure.

use serde::{Deserialize, Serialize};

use crate::alerts::held::Held;
use crate::alerts::messages::{self, Beyond};
use crate::issues::card::{Controls, Phase};
use crate::sentry::models::{Event, Issue};
use crate::slack::Message;
use crate::store::AlertKind;

/// One message the poller will post.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Alert {
    /// A new issue.
    New {
        /// The issue as listed.
        issue: Issue,
    },
    /// An older issue newly routed to the channel by a team query
    /// (`assigned:#backend`); stored as a `new` alert.
    Routed {
        /// The issue as listed.
        issue: Issue,
        /// What the card says instead of "New", like "Assigned to #backend".
        label: String,
    },
    /// A resolved or archived issue that came back.
    Regressed {
        /// The issue as listed.
        issue: Issue,
        /// Reply in the original alert's thread.
        threads: bool,
    },
    /// An open issue Sentry marks as escalating; stored as a `regressed`
    /// alert with a flag, so a replica that does not know it posts it as a
    /// regression.
    Escalated {
        /// The issue as listed.
        issue: Issue,
        /// Reply in the original alert's thread.
        threads: bool,
    },
    /// More new issues in one poll than the subscription's digest limit.
    Digest(Digest),
    /// The org's grant stopped working; someone must link it again.
    RelinkNotice {
        /// The subscription's project.
        project: String,
    },
}

/// A digest's payload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Digest {
    /// The issues shown (at most [`messages::DIGEST_ROWS`]).
    pub issues: Vec<Issue>,
    /// How many new issues there were.
    pub total: usize,
    /// Project slug.
    pub project: String,
    /// The subscription's digest limit.
    #[serde(default = "default_limit")]
    pub limit: u32,
    /// Issues matching past the pages the poll read.
    #[serde(default)]
    pub beyond: Beyond,
    /// Set when the digest catches up on alerts a mute or quiet hours held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<Held>,
}

fn default_limit() -> u32 {
    5
}

/// Why a stored alert cannot be read back.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AlertDecodeError {
    /// The `kind` column holds a word this version does not know.
    #[error("unknown alert kind `{0}`")]
    UnknownKind(String),
    /// The payload does not match its kind.
    #[error("alert payload unreadable: {0}")]
    Payload(#[from] serde_json::Error),
}

#[derive(Serialize, Deserialize)]
struct IssuePayload {
    issue: Issue,
    #[serde(default = "yes", skip_serializing_if = "Option::is_none")]
    threads: Option<bool>,
    /// Set on routed alerts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    /// Set on escalation alerts (stored as `regressed`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    escalated: bool,
}

fn yes() -> Option<bool> {
    Some(true)
}

#[derive(Serialize, Deserialize)]
struct NoticePayload {
    #[serde(default)]
    project: String,
}

impl Alert {
    /// The stored kind.
    pub(crate) fn kind(&self) -> AlertKind {
        match self {
            Alert::New { .. } | Alert::Routed { .. } => AlertKind::New,
            Alert::Regressed { .. } | Alert::Escalated { .. } => AlertKind::Regressed,
            Alert::Digest(_) => AlertKind::Digest,
            Alert::RelinkNotice { .. } => AlertKind::Notice,
        }
    }

    /// The payload as stored.
    pub(crate) fn payload(&self) -> String {
        let value = match self {
            Alert::New { issue } => serde_json::to_value(IssuePayload {
                issue: issue.clone(),
                threads: None,
                label: None,
                escalated: false,
            }),
            Alert::Routed { issue, label } => serde_json::to_value(IssuePayload {
                issue: issue.clone(),
                threads: None,
                label: Some(label.clone()),
                escalated: false,
            }),
            Alert::Regressed { issue, threads } => serde_json::to_value(IssuePayload {
                issue: issue.clone(),
                threads: Some(*threads),
                label: None,
                escalated: false,
            }),
            Alert::Escalated { issue, threads } => serde_json::to_value(IssuePayload {
                issue: issue.clone(),
                threads: Some(*threads),
                label: None,
                escalated: true,
            }),
            Alert::Digest(digest) => serde_json::to_value(digest),
            Alert::RelinkNotice { project } => serde_json::to_value(NoticePayload {
                project: project.clone(),
            }),
        };
        value.map(|v| v.to_string()).unwrap_or_default()
    }

    /// Reads a stored alert back.
    pub(crate) fn decode(kind: &AlertKind, payload: &str) -> Result<Self, AlertDecodeError> {
        Ok(match kind {
            AlertKind::New => {
                let stored: IssuePayload = serde_json::from_str(payload)?;
                match stored.label {
                    Some(label) => Alert::Routed {
                        issue: stored.issue,
                        label,
                    },
                    None => Alert::New {
                        issue: stored.issue,
                    },
                }
            }
            AlertKind::Regressed => {
                let stored: IssuePayload = serde_json::from_str(payload)?;
                let threads = stored.threads.unwrap_or(true);
                if stored.escalated {
                    Alert::Escalated {
                        issue: stored.issue,
                        threads,
                    }
                } else {
                    Alert::Regressed {
                        issue: stored.issue,
                        threads,
                    }
                }
            }
            AlertKind::Digest => Alert::Digest(serde_json::from_str(payload)?),
            AlertKind::Notice => Alert::RelinkNotice {
                project: serde_json::from_str::<NoticePayload>(payload)?.project,
            },
            // Personal notices and DMs are drawn by `alerts::personal`.
            AlertKind::Personal | AlertKind::Dm => {
                return Err(AlertDecodeError::UnknownKind(kind.to_string()))
            }
            AlertKind::Other(word) => return Err(AlertDecodeError::UnknownKind(word.clone())),
        })
    }

    /// The issue a single-issue alert is about; `None` for digests and notices.
    pub(crate) fn issue(&self) -> Option<&Issue> {
        match self {
            Alert::New { issue }
            | Alert::Routed { issue, .. }
            | Alert::Regressed { issue, .. }
            | Alert::Escalated { issue, .. } => Some(issue),
            Alert::Digest(_) | Alert::RelinkNotice { .. } => None,
        }
    }

    /// The alert as text alone, for when Slack refuses its message.
    pub(crate) fn plain(&self, org: &str) -> Message {
        let issue_alert = |what: &str, issue: &Issue| messages::plain_issue_alert(org, what, issue);
        match self {
            Alert::New { issue } | Alert::Routed { issue, .. } => issue_alert("New issue", issue),
            Alert::Regressed { issue, .. } => issue_alert("Regressed", issue),
            Alert::Escalated { issue, .. } => issue_alert("Escalating", issue),
            Alert::Digest(digest) => messages::plain_digest(org, &digest.project, digest.total),
            Alert::RelinkNotice { project } => messages::plain(format!(
                ":warning: The Sentry org of {}/{} must be linked again: a workspace admin can run `/sentry link`.",
                crate::slack::escape::escape_mrkdwn(org),
                crate::slack::escape::escape_mrkdwn(project)
            )),
        }
    }

    /// The message to post, with the issue's latest `event` when there is one.
    /// `controls` are what the org's server can act on; `mention` is the
    /// assignee as a Slack mention, when known.
    pub(crate) fn render(
        &self,
        org: &str,
        event: Option<&Event>,
        controls: Controls,
        mention: Option<&str>,
    ) -> Message {
        match self {
            Alert::New { issue } => {
                messages::alert_card(org, issue, event, controls, mention, Phase::New)
            }
            Alert::Routed { issue, label } => {
                messages::routed_card(org, issue, event, controls, mention, label)
            }
            Alert::Regressed { issue, .. } => {
                messages::alert_card(org, issue, event, controls, mention, Phase::Regressed)
            }
            Alert::Escalated { issue, .. } => {
                messages::alert_card(org, issue, event, controls, mention, Phase::Escalating)
            }
            Alert::Digest(Digest {
                held: Some(held),
                project,
                ..
            }) => messages::catch_up(org, project, held),
            Alert::Digest(digest) => messages::digest_counted(
                org,
                &digest.project,
                &digest.issues,
                digest.total,
                digest.beyond,
                digest.limit,
            ),
            Alert::RelinkNotice { project } => messages::relink_notice(org, project),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(id: &str) -> Issue {
        serde_json::from_value(serde_json::json!({ "id": id, "title": format!("Boom {id}") }))
            .expect("issue")
    }

    #[test]
    fn every_kind_round_trips_through_its_stored_form() {
        let alerts = [
            Alert::New { issue: issue("1") },
            Alert::Routed {
                issue: issue("5"),
                label: "Assigned to #backend".into(),
            },
            Alert::Regressed {
                issue: issue("2"),
                threads: false,
            },
            Alert::Escalated {
                issue: issue("6"),
                threads: true,
            },
            Alert::Digest(Digest {
                issues: vec![issue("3"), issue("4")],
                total: 12,
                project: "api".into(),
                limit: 5,
                beyond: Beyond::Count(3),
                held: None,
            }),
            Alert::RelinkNotice {
                project: "api".into(),
            },
        ];
        for alert in alerts {
            let decoded = Alert::decode(&alert.kind(), &alert.payload()).expect("decodes");
            assert_eq!(decoded, alert);
        }
    }

    #[test]
    fn payloads_written_before_typed_kinds_still_read() {
        let regressed = Alert::decode(
            &AlertKind::from("regressed".to_string()),
            r#"{"issue":{"id":"9","title":"x"}}"#,
        )
        .unwrap();
        assert!(matches!(regressed, Alert::Regressed { threads: true, .. }));
        let digest = Alert::decode(
            &AlertKind::from("digest".to_string()),
            r#"{"issues":[],"total":3,"project":"api","limit":2}"#,
        )
        .unwrap();
        assert!(matches!(
            digest,
            Alert::Digest(Digest {
                total: 3,
                limit: 2,
                ..
            })
        ));
        assert!(matches!(
            Alert::decode(&AlertKind::from("notice".to_string()), r#"{"project":"web"}"#).unwrap(),
            Alert::RelinkNotice { project } if project == "web"
        ));
    }

    #[test]
    fn unknown_kinds_and_damaged_payloads_are_errors_not_panics() {
        assert!(matches!(
            Alert::decode(&AlertKind::from("explode".to_string()), "{}"),
            Err(AlertDecodeError::UnknownKind(_))
        ));
        assert!(matches!(
            Alert::decode(&AlertKind::from("new".to_string()), "{not json"),
            Err(AlertDecodeError::Payload(_))
        ));
        assert!(matches!(
            Alert::decode(&AlertKind::from("new".to_string()), r#"{"issues":[]}"#),
            Err(AlertDecodeError::Payload(_))
        ));
    }
}
