//! Sentry API models, deserialized leniently: only `id` and `title` of an
//! issue are required, every other field may be missing or `null`, unknown
//! fields are ignored, and numbers that Sentry sends as strings (`count`)
//! are accepted either way. Compatible servers omit much of this.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// An organization the token can see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// Numeric id, as a string.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// URL slug.
    pub slug: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
}

/// A project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// Numeric id, as a string.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// URL slug.
    pub slug: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Platform, like `python`.
    #[serde(default)]
    pub platform: Option<String>,
}

/// Who an issue is assigned to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignee {
    /// `user` or `team`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The user or team id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email, for users.
    #[serde(default)]
    pub email: Option<String>,
}

/// An issue (a group of events).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issue {
    /// Numeric id, as a string.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// Title, untrusted text from the crashing program.
    pub title: String,
    /// Short ID like `API-3F`.
    #[serde(default)]
    pub short_id: Option<String>,
    /// Where it happened, untrusted.
    #[serde(default)]
    pub culprit: Option<String>,
    /// Link to the issue in Sentry.
    #[serde(default)]
    pub permalink: Option<String>,
    /// `fatal`, `error`, `warning`, `info`, `debug`.
    #[serde(default)]
    pub level: Option<String>,
    /// `unresolved`, `resolved`, `ignored`, …
    #[serde(default)]
    pub status: Option<String>,
    /// `new`, `regressed`, `escalating`, `ongoing`, `archived_*`.
    #[serde(default)]
    pub substatus: Option<String>,
    /// Until when or in what it stays resolved or archived, as the server
    /// keeps it (`statusDetails`, or `status_details` on some servers).
    #[serde(
        default,
        alias = "status_details",
        skip_serializing_if = "Option::is_none"
    )]
    pub status_details: Option<StatusDetails>,
    /// RFC 3339 timestamp of the first event.
    #[serde(default)]
    pub first_seen: Option<String>,
    /// RFC 3339 timestamp of the latest event.
    #[serde(default)]
    pub last_seen: Option<String>,
    /// Events (Sentry sends a string).
    #[serde(default, deserialize_with = "opt_u64_lenient")]
    pub count: Option<u64>,
    /// Users affected.
    #[serde(default, deserialize_with = "opt_u64_lenient")]
    pub user_count: Option<u64>,
    /// The issue's project.
    #[serde(default)]
    pub project: Option<IssueProject>,
    /// Assignee, if any.
    #[serde(default)]
    pub assigned_to: Option<Assignee>,
    /// Type-specific details (exception type and value, …).
    #[serde(default)]
    pub metadata: Option<Value>,
    /// Event counts per period, like `{"24h": [[unix, count], …]}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<Value>,
    /// Suggested owners (ownership rules, code owners, suspect commits),
    /// sent when a list asks for `expand=owners`; compatible servers omit it.
    #[serde(
        default,
        deserialize_with = "lenient_owners",
        skip_serializing_if = "Option::is_none"
    )]
    pub owners: Option<Vec<SuggestedOwner>>,
}

/// One suggested owner of an issue, as Sentry lists them under `owners`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuggestedOwner {
    /// Why: `ownershipRule`, `codeowners` or `suspectCommit`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The actor: `user:<id>` or `team:<id>`.
    #[serde(default)]
    pub owner: String,
}

/// Suggested owners, each entry read on its own: an entry in a shape this
/// version does not know is left out rather than failing the whole list.
fn lenient_owners<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<SuggestedOwner>>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(entries) => Some(
            entries
                .into_iter()
                .filter_map(|e| serde_json::from_value(e).ok())
                .collect(),
        ),
        _ => None,
    })
}

/// Who a suggested owner is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnerActor {
    /// A Sentry user, by user id.
    User(String),
    /// A Sentry team, by team id.
    Team(String),
}

impl SuggestedOwner {
    /// The owner's actor, when `owner` is a well-formed `user:`/`team:` id.
    pub fn actor(&self) -> Option<OwnerActor> {
        let (kind, id) = self.owner.split_once(':')?;
        let id = id.trim();
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        match kind.trim() {
            "user" => Some(OwnerActor::User(id.to_string())),
            "team" => Some(OwnerActor::Team(id.to_string())),
            _ => None,
        }
    }
}

/// The conditions of a resolved or archived issue, as the server reports
/// them; each field in Sentry's camelCase or in snake_case.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusDetails {
    /// Archived until this time, RFC 3339.
    #[serde(default, alias = "ignore_until")]
    pub ignore_until: Option<String>,
    /// Archived for this many minutes (what a request sends; some servers echo it).
    #[serde(
        default,
        alias = "ignore_duration",
        deserialize_with = "opt_u64_lenient"
    )]
    pub ignore_duration: Option<u64>,
    /// Archived until this many more events.
    #[serde(default, alias = "ignore_count", deserialize_with = "opt_u64_lenient")]
    pub ignore_count: Option<u64>,
    /// Resolved in the next release.
    #[serde(default, alias = "in_next_release")]
    pub in_next_release: Option<bool>,
    /// Resolved in this release.
    #[serde(default, alias = "in_release")]
    pub in_release: Option<String>,
}

/// The project summary embedded in an issue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueProject {
    /// Numeric id, as a string.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// Slug.
    #[serde(default)]
    pub slug: Option<String>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
}

/// An event of an issue, reduced to what a message shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "EventWire")]
pub struct Event {
    /// Event id (`eventID`, or `event_id` on some compatible servers).
    #[serde(rename = "eventID")]
    pub event_id: Option<String>,
    /// `id`, the same id on sentry.io; some servers send only this.
    pub id: Option<String>,
    /// When it happened, RFC 3339 (`dateCreated` or `date_created`).
    pub date_created: Option<String>,
    /// Who it happened to: `id`, `email`, `username`, `ip_address`, as sent.
    pub user: Option<Value>,
    /// Message, when the event has one.
    pub message: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Tags as `{key, value}` pairs.
    pub tags: Vec<Tag>,
    /// Interfaces such as the exception.
    pub entries: Vec<Value>,
}

/// An event as servers spell it: sentry.io in camelCase, some compatible
/// servers in snake_case. Each spelling is its own field, because one field
/// with an alias would refuse a body that carries both.
#[derive(Deserialize)]
struct EventWire {
    #[serde(default, rename = "eventID")]
    event_id: Option<String>,
    #[serde(default, rename = "event_id")]
    event_id_snake: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default, rename = "dateCreated")]
    date_created: Option<String>,
    #[serde(default, rename = "date_created")]
    date_created_snake: Option<String>,
    #[serde(default)]
    user: Option<Value>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    tags: Vec<Tag>,
    #[serde(default)]
    entries: Vec<Value>,
}

impl From<EventWire> for Event {
    fn from(wire: EventWire) -> Self {
        Self {
            event_id: wire.event_id.or(wire.event_id_snake),
            id: wire.id,
            date_created: wire.date_created.or(wire.date_created_snake),
            user: wire.user,
            message: wire.message,
            title: wire.title,
            tags: wire.tags,
            entries: wire.entries,
        }
    }
}

/// A release of a project, as `/organizations/{org}/releases/` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    /// The version string, untrusted.
    pub version: String,
    /// A shorter form Sentry derives, like `1.4.2 (abcdef)`.
    #[serde(default)]
    pub short_version: Option<String>,
    /// When it was created, RFC 3339.
    #[serde(default)]
    pub date_created: Option<String>,
    /// When it was released, RFC 3339.
    #[serde(default)]
    pub date_released: Option<String>,
    /// Issues first seen in it.
    #[serde(default, deserialize_with = "opt_u64_lenient")]
    pub new_groups: Option<u64>,
    /// Commits associated with it.
    #[serde(default, deserialize_with = "opt_u64_lenient")]
    pub commit_count: Option<u64>,
    /// Deploys recorded for it.
    #[serde(default, deserialize_with = "opt_u64_lenient")]
    pub deploy_count: Option<u64>,
    /// Its latest deploy.
    #[serde(default)]
    pub last_deploy: Option<Deploy>,
}

/// A deploy of a release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deploy {
    /// Environment, like `production`.
    #[serde(default)]
    pub environment: Option<String>,
    /// When it finished, RFC 3339.
    #[serde(default)]
    pub date_finished: Option<String>,
}

/// An event tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// Key, like `release` or `environment`.
    pub key: String,
    /// Value.
    #[serde(default)]
    pub value: Option<String>,
}

/// An org member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Member id (not the user id).
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The user behind the membership; its id is what assignment needs.
    #[serde(default)]
    pub user: Option<MemberUser>,
    /// An invitation not accepted yet.
    #[serde(default)]
    pub pending: bool,
    /// An invitation that expired.
    #[serde(default)]
    pub expired: bool,
}

impl Member {
    /// Whether this is someone who joined: a user, not an open invitation.
    pub fn has_joined(&self) -> bool {
        self.user.is_some() && !self.pending && !self.expired
    }

    /// Whether the member's email (or their user's) is `email`, ignoring case.
    pub fn has_email(&self, email: &str) -> bool {
        let matches =
            |e: &Option<String>| e.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email));
        matches(&self.email) || self.user.as_ref().is_some_and(|u| matches(&u.email))
    }

    /// The name to show for the member: name, then username, then email,
    /// skipping blank ones (some servers send `""`).
    pub fn display_name(&self) -> Option<&str> {
        let user = self.user.as_ref();
        [
            self.name.as_deref(),
            user.and_then(|u| u.name.as_deref()),
            user.and_then(|u| u.username.as_deref()),
            self.email.as_deref(),
            user.and_then(|u| u.email.as_deref()),
        ]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|name| !name.is_empty())
    }

    /// The member's email, from the membership or its user.
    pub fn email(&self) -> Option<&str> {
        [
            self.email.as_deref(),
            self.user.as_ref().and_then(|u| u.email.as_deref()),
        ]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|email| !email.is_empty())
    }
}

/// The user of a membership.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberUser {
    /// User id.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Username, often the email on self-hosted servers.
    #[serde(default)]
    pub username: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
}

/// A team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// Team id.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// Slug.
    pub slug: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
}

impl Issue {
    /// An issue with nothing but its id and title, every other fact unknown.
    pub fn bare(id: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            short_id: None,
            culprit: None,
            permalink: None,
            level: None,
            status: None,
            substatus: None,
            status_details: None,
            first_seen: None,
            last_seen: None,
            count: None,
            user_count: None,
            project: None,
            assigned_to: None,
            metadata: None,
            stats: None,
            owners: None,
        }
    }

    /// The first suggested owner Sentry lists (its order puts the most
    /// specific reason first), when there is a well-formed one.
    pub fn suggested_owner(&self) -> Option<OwnerActor> {
        self.owners.as_ref()?.iter().find_map(SuggestedOwner::actor)
    }

    /// The assignee as Sentry names actors in updates: `user:<id>` or `team:<id>`.
    pub fn assignee_actor(&self) -> Option<String> {
        let a = self.assigned_to.as_ref()?;
        let id = a.id.as_ref()?;
        Some(format!("{}:{id}", a.kind.as_deref().unwrap_or("user")))
    }

    /// The project slug, when the server sent it.
    pub fn project_slug(&self) -> Option<&str> {
        self.project.as_ref().and_then(|p| p.slug.as_deref())
    }
}

impl Event {
    /// The event id, from `eventID` or `id`.
    pub fn id(&self) -> Option<&str> {
        self.event_id.as_deref().or(self.id.as_deref())
    }

    /// The value of tag `key`.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|t| t.key == key)
            .and_then(|t| t.value.as_deref())
    }
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected a string or number, got {other}"
        ))),
    }
}

pub(crate) fn opt_string_or_number<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

fn opt_u64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(Value::Number(n)) => n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_member_with_a_blank_name_is_shown_by_username_or_email() {
        let member: Member = serde_json::from_value(json!({
            "id": "1", "name": "", "email": "ann@example.com",
            "user": { "id": "7", "name": " ", "username": "ann" }
        }))
        .unwrap();
        assert_eq!(member.display_name(), Some("ann"));
        let bare: Member = serde_json::from_value(json!({
            "id": "1", "name": "", "email": "ann@example.com", "user": { "id": "7" }
        }))
        .unwrap();
        assert_eq!(bare.display_name(), Some("ann@example.com"));
        assert_eq!(bare.email(), Some("ann@example.com"));
    }

    #[test]
    fn events_read_in_either_spelling_and_round_trip() {
        let camel: Event = serde_json::from_value(json!({
            "eventID": "a1", "id": "a1", "dateCreated": "2026-11-29T00:00:00Z"
        }))
        .unwrap();
        let snake: Event = serde_json::from_value(json!({
            "event_id": "a1", "date_created": "2026-11-29T00:00:00Z"
        }))
        .unwrap();
        for event in [&camel, &snake] {
            assert_eq!(event.id(), Some("a1"));
            assert_eq!(event.date_created.as_deref(), Some("2026-11-29T00:00:00Z"));
        }
        // Both spellings at once are not a duplicate field.
        let both: Event = serde_json::from_value(json!({
            "eventID": "a1", "event_id": "b2", "dateCreated": "x", "date_created": "y"
        }))
        .unwrap();
        assert_eq!(
            (both.id(), both.date_created.as_deref()),
            (Some("a1"), Some("x"))
        );
        let again: Event = serde_json::from_str(&serde_json::to_string(&snake).unwrap()).unwrap();
        assert_eq!(again, snake);
    }

    #[test]
    fn full_sentry_issue() {
        let issue: Issue = serde_json::from_value(json!({
            "id": "4509123456", "shortId": "API-3F", "title": "ZeroDivisionError: division by zero",
            "culprit": "app.views in divide", "permalink": "https://acme.sentry.io/issues/4509123456/",
            "level": "error", "status": "unresolved", "substatus": "new",
            "firstSeen": "2026-11-28T10:00:00Z", "lastSeen": "2026-11-29T00:00:00.123Z",
            "count": "1234", "userCount": 56,
            "project": { "id": "42", "slug": "api", "name": "API" },
            "assignedTo": { "type": "user", "id": "7", "name": "Alice", "email": "alice@acme.test" },
            "metadata": { "type": "ZeroDivisionError", "value": "division by zero" },
            "isBookmarked": false, "annotations": []
        }))
        .unwrap();
        assert_eq!(issue.count, Some(1234));
        assert_eq!(issue.user_count, Some(56));
        assert_eq!(issue.project_slug(), Some("api"));
        assert_eq!(issue.assigned_to.unwrap().id.as_deref(), Some("7"));
    }

    #[test]
    fn minimal_and_odd_issues_from_compatible_servers() {
        let issue: Issue = serde_json::from_value(json!({ "id": 17, "title": "boom" })).unwrap();
        assert_eq!(issue.id, "17");
        assert_eq!(issue.count, None);
        let issue: Issue = serde_json::from_value(json!({
            "id": "1", "title": "t", "culprit": null, "count": 12, "userCount": "3",
            "assignedTo": null, "project": null, "substatus": null
        }))
        .unwrap();
        assert_eq!(issue.count, Some(12));
        assert_eq!(issue.user_count, Some(3));
        assert!(serde_json::from_value::<Issue>(json!({ "id": "1" })).is_err());
    }

    #[test]
    fn an_event_with_both_id_fields_decodes() {
        let event: Event = serde_json::from_value(serde_json::json!({
            "id": "9fac2ceed9344f2bbfdd1fdacb0ed9b1",
            "eventID": "9fac2ceed9344f2bbfdd1fdacb0ed9b1",
            "dateCreated": "2026-11-29T08:57:00Z",
            "user": { "email": "a@b.c" }
        }))
        .expect("sentry.io sends both");
        assert_eq!(event.id(), Some("9fac2ceed9344f2bbfdd1fdacb0ed9b1"));
        let only_id: Event = serde_json::from_value(serde_json::json!({ "id": "abc" })).unwrap();
        assert_eq!(only_id.id(), Some("abc"));
    }

    #[test]
    fn releases_decode_with_missing_fields() {
        let release: Release = serde_json::from_value(serde_json::json!({
            "version": "api@1.4.2", "newGroups": 3, "lastDeploy": { "environment": "production" }
        }))
        .unwrap();
        assert_eq!(release.version, "api@1.4.2");
        assert_eq!(release.new_groups, Some(3));
        assert_eq!(
            release.last_deploy.and_then(|d| d.environment).as_deref(),
            Some("production")
        );
    }

    #[test]
    fn suggested_owners_are_read_in_sentrys_order_and_bad_ones_are_skipped() {
        let issue: Issue = serde_json::from_value(serde_json::json!({
            "id": 1, "title": "t",
            "owners": [
                { "type": "suspectCommit", "owner": "user:<!channel>", "date_added": "2026-12-01T00:00:00Z" },
                { "type": "codeowners", "owner": null },
                "user:1",
                { "type": "ownershipRule", "owner": "team:42" },
                { "type": "codeowners", "owner": "user:7" }
            ]
        }))
        .unwrap();
        assert_eq!(issue.suggested_owner(), Some(OwnerActor::Team("42".into())));
        let none: Issue =
            serde_json::from_value(serde_json::json!({ "id": 1, "title": "t", "owners": null }))
                .unwrap();
        assert_eq!(none.suggested_owner(), None);
        let odd = SuggestedOwner {
            kind: None,
            owner: "group:1".into(),
        };
        assert_eq!(odd.actor(), None);
    }
}
