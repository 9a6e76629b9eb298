//! Who is who between Sentry and Slack, decided purely: a Sentry member's
//! identities (emails and username), a hand-made map, or a Slack profile
//! with the same email. The lookups themselves live in [`Directory`](super::Directory).

use std::collections::HashMap;

use crate::sentry::models::Member;
use crate::store::PersonMap;

/// How a Sentry member was matched to a Slack user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Match {
    /// An admin mapped them by hand.
    Mapped {
        /// Slack user id.
        slack_user_id: String,
    },
    /// Their Slack profile email is one of the member's emails.
    Email {
        /// Slack user id.
        slack_user_id: String,
    },
    /// No Slack user is known for them.
    None,
}

impl Match {
    /// The Slack user, when there is one.
    pub(crate) fn slack_user(&self) -> Option<&str> {
        match self {
            Match::Mapped { slack_user_id } | Match::Email { slack_user_id } => Some(slack_user_id),
            Match::None => None,
        }
    }
}

/// A member's identities, lowercased and without blanks: emails of the
/// membership and its user, and the username.
pub(crate) fn identities(member: &Member) -> Vec<String> {
    let user = member.user.as_ref();
    let mut found: Vec<String> = [
        member.email.as_deref(),
        user.and_then(|u| u.email.as_deref()),
        user.and_then(|u| u.username.as_deref()),
    ]
    .into_iter()
    .flatten()
    .map(|i| i.trim().to_lowercase())
    .filter(|i| !i.is_empty())
    .collect();
    found.dedup();
    found
}

/// The hand-made map for any of `identities`.
pub(crate) fn mapped<'a>(identities: &[String], maps: &'a [PersonMap]) -> Option<&'a PersonMap> {
    maps.iter()
        .find(|m| identities.contains(&m.sentry_identity))
}

/// How `member` is matched, given the hand-made `maps` and the workspace's
/// Slack users by lowercased email. A map wins over an email.
pub(crate) fn match_member(
    member: &Member,
    maps: &[PersonMap],
    slack_by_email: &HashMap<String, String>,
) -> Match {
    let ids = identities(member);
    if let Some(map) = mapped(&ids, maps) {
        return Match::Mapped {
            slack_user_id: map.slack_user_id.clone(),
        };
    }
    ids.iter()
        .find_map(|i| slack_by_email.get(i))
        .map_or(Match::None, |id| Match::Email {
            slack_user_id: id.clone(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(value: serde_json::Value) -> Member {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn identities_are_every_email_and_the_username_lowercased() {
        let m = member(serde_json::json!({
            "id": "m1", "email": "Ann@Acme.test",
            "user": { "id": "7", "email": "ann@acme.test", "username": "ann.lee" }
        }));
        assert_eq!(identities(&m), ["ann@acme.test", "ann.lee"]);
        let blank = member(serde_json::json!({ "id": "m2", "email": " ", "user": { "id": "8" } }));
        assert!(identities(&blank).is_empty());
        let maps = [PersonMap {
            slack_user_id: "U1".into(),
            sentry_identity: "ann.lee".into(),
            mapped_by: "U0ADMIN".into(),
        }];
        assert_eq!(
            mapped(&identities(&m), &maps).map(|p| p.slack_user_id.as_str()),
            Some("U1")
        );
        assert_eq!(mapped(&identities(&blank), &maps), None);

        // A map wins over a Slack profile with the same email.
        let by_email: HashMap<String, String> =
            [("ann@acme.test".to_string(), "U2".to_string())].into();
        assert_eq!(
            match_member(&m, &maps, &by_email),
            Match::Mapped {
                slack_user_id: "U1".into()
            }
        );
        assert_eq!(
            match_member(&m, &[], &by_email),
            Match::Email {
                slack_user_id: "U2".into()
            }
        );
        assert_eq!(match_member(&blank, &maps, &by_email), Match::None);
    }
}
