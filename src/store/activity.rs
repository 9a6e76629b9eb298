//! The activity log: who asked what, and how it went.

use sqlx::Row;

use super::{Store, StoreError};

/// What kind of request an activity row records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActivityKind {
    /// A slash command.
    Command,
    /// A button or menu that changed an issue.
    Action,
}

impl ActivityKind {
    fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Command => "command",
            ActivityKind::Action => "action",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "command" => Some(ActivityKind::Command),
            "action" => Some(ActivityKind::Action),
            _ => None,
        }
    }
}

/// One recorded request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activity {
    /// When, in Unix milliseconds.
    pub at_ms: i64,
    /// Slack workspace.
    pub team_id: String,
    /// Slack user who asked.
    pub user_id: String,
    /// Channel it was asked in.
    pub channel_id: String,
    /// Kind of request.
    pub kind: ActivityKind,
    /// What was asked, such as the subcommand.
    pub subject: String,
    /// How it ended, such as `answered` or `usage_error`.
    pub outcome: String,
}

impl Store {
    /// Appends one activity row.
    pub async fn record_activity(&self, activity: &Activity) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO activity (at_ms, team_id, user_id, channel_id, kind, subject, outcome) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(activity.at_ms)
        .bind(&activity.team_id)
        .bind(&activity.user_id)
        .bind(&activity.channel_id)
        .bind(activity.kind.as_str())
        .bind(&activity.subject)
        .bind(&activity.outcome)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The newest `limit` activity rows, newest first.
    pub async fn recent_activity(&self, limit: i64) -> Result<Vec<Activity>, StoreError> {
        let rows = sqlx::query(
            "SELECT at_ms, team_id, user_id, channel_id, kind, subject, outcome \
             FROM activity ORDER BY at_ms DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("kind")?;
                Ok(Activity {
                    at_ms: row.try_get("at_ms")?,
                    team_id: row.try_get("team_id")?,
                    user_id: row.try_get("user_id")?,
                    channel_id: row.try_get("channel_id")?,
                    kind: ActivityKind::parse(&kind).ok_or_else(|| {
                        sqlx::Error::Decode(format!("unknown activity kind `{kind}`").into())
                    })?,
                    subject: row.try_get("subject")?,
                    outcome: row.try_get("outcome")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::Query)
    }
}
