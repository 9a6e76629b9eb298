//! Report schedules (`reports`) and the claim that lets one replica post
//! each due run.

use sqlx::Row;

use crate::store::{Store, StoreError};

/// A channel's scheduled report on one project, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportRow {
    /// Random id.
    pub id: String,
    /// Slack workspace.
    pub team_id: String,
    /// Slack channel.
    pub channel_id: String,
    /// Org slug.
    pub org_slug: String,
    /// Project slug.
    pub project_slug: String,
    /// Project id.
    pub project_id: String,
    /// Sentry search terms every section adds to its own (may be empty).
    pub query: String,
    /// `daily` or `weekly:mon`.
    pub cadence: String,
    /// Local time of day, `HH:MM`.
    pub at_time: String,
    /// IANA time zone.
    pub tz: String,
    /// Who scheduled it.
    pub created_by: String,
    /// When, Unix milliseconds.
    pub created_at_ms: i64,
    /// The latest due time handled, Unix milliseconds.
    pub last_due_ms: i64,
}

const COLUMNS: &str =
    "id, team_id, channel_id, org_slug, project_slug, project_id, query, cadence, \
                       at_time, tz, created_by, created_at_ms, last_due_ms";

fn from_row(row: &sqlx::any::AnyRow) -> Result<ReportRow, sqlx::Error> {
    Ok(ReportRow {
        id: row.try_get("id")?,
        team_id: row.try_get("team_id")?,
        channel_id: row.try_get("channel_id")?,
        org_slug: row.try_get("org_slug")?,
        project_slug: row.try_get("project_slug")?,
        project_id: row.try_get("project_id")?,
        query: row.try_get("query")?,
        cadence: row.try_get("cadence")?,
        at_time: row.try_get("at_time")?,
        tz: row.try_get("tz")?,
        created_by: row.try_get("created_by")?,
        created_at_ms: row.try_get("created_at_ms")?,
        last_due_ms: row.try_get("last_due_ms")?,
    })
}

impl Store {
    /// Schedules `report`, replacing the channel's schedule for the same
    /// project (which keeps its id); returns the row as stored.
    pub async fn put_report(&self, report: &ReportRow) -> Result<ReportRow, StoreError> {
        self.run(
            sqlx::query(&format!(
                "INSERT INTO reports ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 ON CONFLICT (channel_id, org_slug, project_slug) DO UPDATE SET \
                 project_id = excluded.project_id, query = excluded.query, cadence = excluded.cadence, \
                 at_time = excluded.at_time, tz = excluded.tz, created_by = excluded.created_by, \
                 created_at_ms = excluded.created_at_ms, last_due_ms = excluded.last_due_ms"
            ))
            .bind(&report.id)
            .bind(&report.team_id)
            .bind(&report.channel_id)
            .bind(&report.org_slug)
            .bind(&report.project_slug)
            .bind(&report.project_id)
            .bind(&report.query)
            .bind(&report.cadence)
            .bind(&report.at_time)
            .bind(&report.tz)
            .bind(&report.created_by)
            .bind(report.created_at_ms)
            .bind(report.last_due_ms),
        )
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM reports WHERE channel_id = $1 AND org_slug = $2 AND project_slug = $3"
        ))
        .bind(&report.channel_id)
        .bind(&report.org_slug)
        .bind(&report.project_slug)
        .fetch_one(self.pool())
        .await?;
        Ok(from_row(&row)?)
    }

    /// Removes the channel's report on `org/project`; false when there was none.
    pub async fn delete_report(
        &self,
        channel_id: &str,
        org: &str,
        project: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM reports WHERE channel_id = $1 AND org_slug = $2 AND project_slug = $3",
        )
        .bind(channel_id)
        .bind(org)
        .bind(project)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The channel's reports, by org and project.
    pub async fn channel_reports(&self, channel_id: &str) -> Result<Vec<ReportRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM reports WHERE channel_id = $1 ORDER BY org_slug, project_slug"
        ))
        .bind(channel_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// Every report.
    pub async fn reports(&self) -> Result<Vec<ReportRow>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM reports ORDER BY id"))
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// Claims the run of `report_id` due at `due_ms` for `holder`, for
    /// `ttl_ms`: false when that run was handled, or another replica holds it.
    pub async fn claim_report(
        &self,
        report_id: &str,
        due_ms: i64,
        holder: &str,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        let now = self.now_sql();
        let done = sqlx::query(&format!(
            "UPDATE reports SET claimed_by = $1, claimed_until_ms = {now} + $2 \
             WHERE id = $3 AND last_due_ms < $4 \
             AND (claimed_until_ms IS NULL OR claimed_until_ms < {now} OR claimed_by = $1)"
        ))
        .bind(holder)
        .bind(ttl_ms)
        .bind(report_id)
        .bind(due_ms)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records the run due at `due_ms` as handled (posted as `ts`, or
    /// given up when `None`), and lets the claim go.
    pub async fn finish_report(
        &self,
        report_id: &str,
        due_ms: i64,
        ts: Option<&str>,
    ) -> Result<(), StoreError> {
        self.run(
            sqlx::query(
                "UPDATE reports SET last_due_ms = $1, last_ts = COALESCE($2, last_ts), \
                 claimed_by = NULL, claimed_until_ms = NULL WHERE id = $3 AND last_due_ms < $1",
            )
            .bind(due_ms)
            .bind(ts)
            .bind(report_id),
        )
        .await
    }

    /// Lets a claim go without handling the run (it is tried again).
    pub async fn release_report(&self, report_id: &str, holder: &str) -> Result<(), StoreError> {
        self.run(
            sqlx::query(
                "UPDATE reports SET claimed_by = NULL, claimed_until_ms = NULL WHERE id = $1 AND claimed_by = $2",
            )
            .bind(report_id)
            .bind(holder),
        )
        .await
    }
}
