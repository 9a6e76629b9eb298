//! The activity log: who asked what, and how it went.

use sqlx::Row;

use crate::store::{Backend, Store, StoreError};

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

/// Rows per `INSERT`: one statement per 100 rows instead of one per row
/// (700 parameters, well under SQLite's and PostgreSQL's limits).
const ROWS_PER_INSERT: usize = 100;

/// `INSERT … VALUES ($1, …, $7), ($8, …)` for `rows` rows. SQLite gets
/// anonymous `?`s: it looks numbered parameters up by a linear scan, which
/// made a 700-parameter statement cost more than the rows it wrote.
fn insert_statement(rows: usize, backend: Backend) -> String {
    const COLUMNS: usize = 7;
    let mut sql = String::from(
        "INSERT INTO activity (at_ms, team_id, user_id, channel_id, kind, subject, outcome) VALUES ",
    );
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..COLUMNS {
            if column > 0 {
                sql.push_str(", ");
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => sql.push_str(&format!("${}", row * COLUMNS + column + 1)),
            }
        }
        sql.push(')');
    }
    sql
}

/// `rows` split into chunks of 100, then 10, then 1: three statement shapes
/// in the connection's statement cache instead of one per batch size.
fn statement_sized_chunks<T>(mut rows: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        let size = [ROWS_PER_INSERT, 10, 1]
            .into_iter()
            .find(|size| rows.len() >= *size)?;
        let (chunk, rest) = rows.split_at(size);
        rows = rest;
        Some(chunk)
    })
}

impl Store {
    /// Appends one activity row.
    pub async fn record_activity(&self, activity: &Activity) -> Result<(), StoreError> {
        self.record_activities(std::slice::from_ref(activity)).await
    }

    /// Appends `activities` in one transaction: all or none.
    pub async fn record_activities(&self, activities: &[Activity]) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        for rows in statement_sized_chunks(activities) {
            let sql = insert_statement(rows.len(), self.backend());
            let mut insert = sqlx::query(&sql);
            for activity in rows {
                insert = insert
                    .bind(activity.at_ms)
                    .bind(&activity.team_id)
                    .bind(&activity.user_id)
                    .bind(&activity.channel_id)
                    .bind(activity.kind.as_str())
                    .bind(&activity.subject)
                    .bind(&activity.outcome);
            }
            insert.execute(&mut *tx).await?;
        }
        tx.commit().await?;
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
        activity_rows(&rows)
    }

    /// Clicks (actions) recorded from `from_ms` to before `until_ms`, oldest
    /// first, at most 10,000.
    pub async fn actions_between(
        &self,
        from_ms: i64,
        until_ms: i64,
    ) -> Result<Vec<Activity>, StoreError> {
        let rows = sqlx::query(
            "SELECT at_ms, team_id, user_id, channel_id, kind, subject, outcome \
             FROM activity WHERE kind = 'action' AND at_ms >= $1 AND at_ms < $2 \
             ORDER BY at_ms LIMIT 10000",
        )
        .bind(from_ms)
        .bind(until_ms)
        .fetch_all(self.pool())
        .await?;
        activity_rows(&rows)
    }
}

fn activity_rows(rows: &[sqlx::any::AnyRow]) -> Result<Vec<Activity>, StoreError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_split_into_three_statement_shapes() {
        let rows: Vec<u32> = (0..234).collect();
        let sizes: Vec<usize> = statement_sized_chunks(&rows).map(<[u32]>::len).collect();
        assert_eq!(sizes, [100, 100, 10, 10, 10, 1, 1, 1, 1]);
        let flat: Vec<u32> = statement_sized_chunks(&rows).flatten().copied().collect();
        assert_eq!(flat, rows);
        assert_eq!(statement_sized_chunks::<u32>(&[]).count(), 0);
    }

    #[test]
    fn insert_statement_numbers_every_parameter_once() {
        assert_eq!(
            insert_statement(2, Backend::Postgres),
            "INSERT INTO activity (at_ms, team_id, user_id, channel_id, kind, subject, outcome) VALUES \
             ($1, $2, $3, $4, $5, $6, $7), ($8, $9, $10, $11, $12, $13, $14)"
        );
        assert!(insert_statement(ROWS_PER_INSERT, Backend::Postgres).ends_with("$700)"));
        assert!(insert_statement(2, Backend::Sqlite)
            .ends_with("VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)"));
    }
}
