//! The body of an `issue` webhook, as Sentry's integration platform sends it.

use serde::Deserialize;

use crate::sentry::models::Issue;

/// What happened to the issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// A new issue.
    Created,
    /// Resolved.
    Resolved,
    /// Archived (older servers say `ignored`).
    Archived,
    /// Unresolved again: a regression when it was resolved.
    Unresolved,
    /// Assigned or unassigned.
    Assigned,
    /// Anything else: acknowledged, not acted on.
    Other,
}

impl Action {
    fn parse(action: &str) -> Self {
        match action {
            "created" => Self::Created,
            "resolved" => Self::Resolved,
            "archived" | "ignored" => Self::Archived,
            "unresolved" => Self::Unresolved,
            "assigned" | "unassigned" => Self::Assigned,
            _ => Self::Other,
        }
    }
}

/// Who acted in Sentry.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub(crate) struct Actor {
    /// `user` or `application`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The user's id, for `user` actors.
    #[serde(
        default,
        deserialize_with = "crate::sentry::models::opt_string_or_number"
    )]
    pub id: Option<String>,
    /// Display name, untrusted text.
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Deserialize)]
struct Body {
    action: String,
    data: Data,
    #[serde(default)]
    actor: Option<Actor>,
}

#[derive(Deserialize)]
struct Data {
    issue: Issue,
}

/// A decoded `issue` webhook.
#[derive(Clone, Debug)]
pub(crate) struct IssueEvent {
    /// What happened.
    pub action: Action,
    /// The issue as the API returns it, after the change.
    pub issue: Issue,
    /// Who did it, when Sentry says.
    pub actor: Option<Actor>,
}

/// Why a body was refused.
#[derive(Debug, thiserror::Error)]
#[error("not an issue webhook: {0}")]
pub(crate) struct BadBody(#[from] serde_json::Error);

/// Decodes an `issue` webhook body. Pure.
pub(crate) fn decode(body: &[u8]) -> Result<IssueEvent, BadBody> {
    let body: Body = serde_json::from_slice(body)?;
    Ok(IssueEvent {
        action: Action::parse(&body.action),
        issue: body.data.issue,
        actor: body.actor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_and_old_servers_ignored_are_read() {
        let event = decode(
            br#"{"action":"created","installation":{"uuid":"u"},"data":{"issue":{"id":"42","title":"Boom","status":"unresolved"}},"actor":{"type":"application","id":"sentry","name":"Sentry"}}"#,
        )
        .expect("decodes");
        assert_eq!(event.action, Action::Created);
        assert_eq!(event.issue.id, "42");
        assert_eq!(event.actor.and_then(|a| a.name).as_deref(), Some("Sentry"));
        let old = decode(br#"{"action":"ignored","data":{"issue":{"id":7,"title":"x"}}}"#)
            .expect("decodes");
        assert_eq!(old.action, Action::Archived);
        assert_eq!(old.issue.id, "7");
    }

    #[test]
    fn bodies_without_an_issue_are_refused() {
        assert!(decode(b"not json").is_err());
        assert!(decode(br#"{"action":"created","data":{}}"#).is_err());
    }
}
