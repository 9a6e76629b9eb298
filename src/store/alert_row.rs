//! One message in the outbox, as stored: its kind, where it is in delivery,
//! and what it showed of the issue when last drawn.

use std::fmt;

/// What an alert is; the `kind` column.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, strum::EnumString, strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
pub enum AlertKind {
    /// A new issue.
    New,
    /// An issue that came back.
    Regressed,
    /// Several new issues in one message.
    Digest,
    /// A notice to the channel, like "the org needs re-linking".
    Notice,
    /// Something one person should hear about (an issue assigned to them,
    /// or one of theirs that came back); always drawn into a [`Dm`](Self::Dm).
    Personal,
    /// A direct message to one person, gathering their personal notices.
    Dm,
    /// A word this version does not know, written by a newer one: its alert
    /// fails alone instead of failing every read of the outbox.
    #[strum(default)]
    Other(String),
}

/// Where an alert is in delivery; the `state` column.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, strum::EnumString, strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
pub enum AlertState {
    /// Waiting to be posted.
    Pending,
    /// Posted; `ts` names the message.
    Posted,
    /// Counted in a digest instead of posted alone.
    Digested,
    /// Given up on.
    Failed,
    /// Not posted: the channel muted its issue ("Mute here").
    Muted,
    /// Waiting for its subscription's mute or quiet hours to end, then
    /// gathered into the catch-up message.
    Held,
    /// A word this version does not know.
    #[strum(default)]
    Other(String),
}

macro_rules! column_words {
    ($($word:ident),*) => {$(
        impl $word {
            /// The column's value.
            pub fn as_str(&self) -> &str {
                match self {
                    Self::Other(word) => word,
                    known => known.into(),
                }
            }
        }

        impl From<String> for $word {
            fn from(word: String) -> Self {
                word.parse().unwrap_or(Self::Other(word))
            }
        }

        impl fmt::Display for $word {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}

column_words!(AlertKind, AlertState);

/// An issue's status and assignee as an alert last drew them, so status
/// sync can tell what changed in Sentry since; the `status_snapshot`
/// column, stored as `status|assignee`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Snapshot {
    /// `unresolved`, `resolved`, `ignored`, …; `deleted` once the issue is gone.
    pub status: String,
    /// The assignee actor, like `user:42` or `team:5`; empty when unassigned.
    pub assignee: String,
}

impl Snapshot {
    /// The snapshot of an issue with `status` and `assignee`.
    pub fn new(status: impl Into<String>, assignee: impl Into<String>) -> Self {
        Self {
            status: status.into(),
            assignee: assignee.into(),
        }
    }

    /// The snapshot of an alert whose issue no longer exists in Sentry.
    pub fn deleted() -> Self {
        Self::new("deleted", "")
    }

    /// Whether the issue was unresolved.
    pub fn is_open(&self) -> bool {
        self.status == "unresolved"
    }

    /// The column's value.
    pub fn to_column(&self) -> String {
        format!("{}|{}", self.status, self.assignee)
    }
}

impl From<String> for Snapshot {
    fn from(column: String) -> Self {
        match column.split_once('|') {
            Some((status, assignee)) => Self::new(status, assignee),
            None => Self::new(column, ""),
        }
    }
}

/// One message in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AlertRow {
    /// Subscription it is for.
    pub subscription_id: String,
    /// Issue id (for digests, the first issue's id).
    pub issue_id: String,
    /// What it is.
    #[sqlx(try_from = "String")]
    pub kind: AlertKind,
    /// What makes this kind's alert unique for the issue: a regression's
    /// lastSeen, a digest's first issue, a notice's reason; empty for `new`.
    pub dedup_key: String,
    /// Channel to post in.
    pub channel_id: String,
    /// Org slug.
    pub org_slug: String,
    /// What to render, JSON.
    pub payload: String,
    /// Where it is in delivery.
    #[sqlx(try_from = "String")]
    pub state: AlertState,
    /// Thread to reply in.
    pub thread_ts: Option<String>,
    /// Slack `ts` once posted.
    pub ts: Option<String>,
    /// What it showed of the issue when last drawn, for status sync.
    #[sqlx(try_from = "String")]
    pub status_snapshot: Snapshot,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// When it was planned, Unix milliseconds.
    pub created_at_ms: i64,
    /// When it was posted, Unix milliseconds.
    pub posted_at_ms: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_words_read_back_and_unknown_ones_are_kept() {
        for kind in [
            AlertKind::New,
            AlertKind::Regressed,
            AlertKind::Digest,
            AlertKind::Notice,
        ] {
            assert_eq!(AlertKind::from(kind.as_str().to_string()), kind);
        }
        assert_eq!(AlertKind::New.as_str(), "new");
        assert_eq!(AlertState::Digested.as_str(), "digested");
        assert_eq!(
            AlertKind::from("explode".to_string()),
            AlertKind::Other("explode".into())
        );
        assert_eq!(AlertState::from("held".to_string()).as_str(), "held");
    }

    #[test]
    fn snapshots_round_trip_through_their_column() {
        let assigned = Snapshot::new("unresolved", "user:1");
        assert_eq!(assigned.to_column(), "unresolved|user:1");
        assert_eq!(Snapshot::from(assigned.to_column()), assigned);
        assert!(assigned.is_open());
        assert!(!Snapshot::from("resolved|".to_string()).is_open());
        assert!(!Snapshot::from("ignored|team:2".to_string()).is_open());
        assert!(!Snapshot::deleted().is_open());
        assert_eq!(Snapshot::deleted().to_column(), "deleted|");
        // Rows written before snapshots carried an assignee.
        assert_eq!(Snapshot::from(String::new()), Snapshot::new("", ""));
    }
}
