//! Subscriptions, what each has seen, and the alert outbox.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use sqlx::{FromRow, Row};

use crate::store::{now_ms, AlertKind, AlertRow, Snapshot, Store, StoreError};

/// A channel's subscription to one project's issues.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionRow {
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
    /// Sentry search query.
    pub query: String,
    /// Alert regressions.
    pub regressions: bool,
    /// New issues per tick above which a digest is posted.
    pub digest: u32,
    /// Where follow-ups go.
    pub threads: ThreadPolicy,
    /// Whom alerts mention.
    pub mention: MentionPolicy,
    /// Who subscribed.
    pub created_by: String,
    /// When, Unix milliseconds.
    pub created_at_ms: i64,
    /// The channel was told the org needs re-linking.
    pub relink_notified: bool,
    /// The baseline taken when subscribing held every matching issue.
    pub baseline_complete: bool,
}

/// Whom a subscription's alerts mention in Slack (column `mention`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MentionPolicy {
    /// Names people, mentions nobody (`--mention none`).
    None,
    /// The assignee, when the bot knows them in Slack (the default).
    #[default]
    Assignee,
    /// The assignee, or without one Sentry's suggested owner.
    Owners,
}

impl MentionPolicy {
    /// The stored value.
    pub fn as_i64(self) -> i64 {
        match self {
            Self::None => 0,
            Self::Assignee => 1,
            Self::Owners => 2,
        }
    }

    /// The policy stored as `value`; an unknown value mentions the assignee.
    pub fn from_i64(value: i64) -> Self {
        match value {
            0 => Self::None,
            2 => Self::Owners,
            _ => Self::Assignee,
        }
    }

    /// The `--mention` value that asks for it.
    pub fn option_value(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Assignee => "assignee",
            Self::Owners => "owners",
        }
    }
}

/// Where a subscription's follow-ups go (column `threads`): regressions
/// and what changed in Sentry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ThreadPolicy {
    /// No follow-ups; a regression is a new message in the channel
    /// (`--threads off`, or `--no-threads`).
    Off,
    /// In the alert's thread; regressions are also shown in the channel
    /// (the default).
    #[default]
    Thread,
    /// In the alert's thread, every follow-up also shown in the channel.
    Broadcast,
}

impl ThreadPolicy {
    /// The stored value.
    pub fn as_i64(self) -> i64 {
        match self {
            Self::Off => 0,
            Self::Thread => 1,
            Self::Broadcast => 2,
        }
    }

    /// The policy stored as `value`; an unknown value threads.
    pub fn from_i64(value: i64) -> Self {
        match value {
            0 => Self::Off,
            2 => Self::Broadcast,
            _ => Self::Thread,
        }
    }

    /// Whether follow-ups go in the alert's thread at all.
    pub fn threads(self) -> bool {
        self != Self::Off
    }

    /// The `--threads` value that asks for it.
    pub fn option_value(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Thread => "thread",
            Self::Broadcast => "broadcast",
        }
    }
}

pub(super) const SUB_COLUMNS: &str =
    "id, team_id, channel_id, org_slug, project_slug, project_id, query, regressions, \
                           digest, threads, created_by, created_at_ms, relink_notified, mention, baseline_complete";
pub(super) const ALERT_COLUMNS: &str =
    "subscription_id, issue_id, kind, dedup_key, channel_id, org_slug, payload, state, thread_ts, ts, \
                             status_snapshot, attempts, created_at_ms, posted_at_ms";

/// `WHERE` clause naming one alert by its key, with parameters numbered
/// from `first`; bind with [`bind_key`].
pub(super) fn key_clause(first: usize) -> String {
    format!(
        "subscription_id = ${} AND issue_id = ${} AND kind = ${} AND dedup_key = ${}",
        first,
        first + 1,
        first + 2,
        first + 3
    )
}

/// Binds an alert's key in [`key_clause`] order.
pub(super) fn bind_key<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    alert: &'q AlertRow,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(&alert.subscription_id)
        .bind(&alert.issue_id)
        .bind(alert.kind.as_str())
        .bind(&alert.dedup_key)
}

pub(super) fn sub_from_row(row: &sqlx::any::AnyRow) -> Result<SubscriptionRow, sqlx::Error> {
    Ok(SubscriptionRow {
        id: row.try_get("id")?,
        team_id: row.try_get("team_id")?,
        channel_id: row.try_get("channel_id")?,
        org_slug: row.try_get("org_slug")?,
        project_slug: row.try_get("project_slug")?,
        project_id: row.try_get("project_id")?,
        query: row.try_get("query")?,
        regressions: row.try_get::<i64, _>("regressions")? != 0,
        digest: u32::try_from(row.try_get::<i64, _>("digest")?).unwrap_or(5),
        threads: ThreadPolicy::from_i64(row.try_get::<i64, _>("threads")?),
        created_by: row.try_get("created_by")?,
        created_at_ms: row.try_get("created_at_ms")?,
        relink_notified: row.try_get::<i64, _>("relink_notified")? != 0,
        mention: MentionPolicy::from_i64(row.try_get::<i64, _>("mention")?),
        baseline_complete: row.try_get::<i64, _>("baseline_complete")? != 0,
    })
}

pub(super) fn alert_from_row(row: &sqlx::any::AnyRow) -> Result<AlertRow, sqlx::Error> {
    AlertRow::from_row(row)
}

impl Store {
    /// Creates the subscription, or updates the query and options of the
    /// channel's existing one for the project. Returns the stored row and
    /// whether it existed.
    pub async fn put_subscription(
        &self,
        sub: &SubscriptionRow,
    ) -> Result<(SubscriptionRow, bool), StoreError> {
        let existing = sqlx::query(&format!(
            "SELECT {SUB_COLUMNS} FROM subscriptions WHERE channel_id = $1 AND org_slug = $2 AND project_slug = $3"
        ))
        .bind(&sub.channel_id)
        .bind(&sub.org_slug)
        .bind(&sub.project_slug)
        .fetch_optional(self.pool())
        .await?;
        if let Some(row) = existing {
            let old = sub_from_row(&row)?;
            sqlx::query("UPDATE subscriptions SET query = $1, regressions = $2, digest = $3, threads = $4, mention = $5, baseline_complete = $6 WHERE id = $7")
                .bind(&sub.query)
                .bind(i64::from(sub.regressions))
                .bind(i64::from(sub.digest))
                .bind(sub.threads.as_i64())
                .bind(sub.mention.as_i64())
                .bind(i64::from(sub.baseline_complete))
                .bind(&old.id)
                .execute(self.pool())
                .await?;
            let updated = SubscriptionRow {
                id: old.id.clone(),
                created_at_ms: old.created_at_ms,
                created_by: old.created_by.clone(),
                ..sub.clone()
            };
            return Ok((updated, true));
        }
        sqlx::query(&format!(
            "INSERT INTO subscriptions ({SUB_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        ))
        .bind(&sub.id)
        .bind(&sub.team_id)
        .bind(&sub.channel_id)
        .bind(&sub.org_slug)
        .bind(&sub.project_slug)
        .bind(&sub.project_id)
        .bind(&sub.query)
        .bind(i64::from(sub.regressions))
        .bind(i64::from(sub.digest))
        .bind(sub.threads.as_i64())
        .bind(&sub.created_by)
        .bind(sub.created_at_ms)
        .bind(i64::from(sub.relink_notified))
        .bind(sub.mention.as_i64())
        .bind(i64::from(sub.baseline_complete))
        .execute(self.pool())
        .await?;
        Ok((sub.clone(), false))
    }

    /// Removes the channel's subscription to `org/project` and its state.
    pub async fn delete_subscription(
        &self,
        channel_id: &str,
        org: &str,
        project: &str,
    ) -> Result<bool, StoreError> {
        let id: Option<String> =
            sqlx::query("SELECT id FROM subscriptions WHERE channel_id = $1 AND org_slug = $2 AND project_slug = $3")
                .bind(channel_id)
                .bind(org)
                .bind(project)
                .fetch_optional(self.pool())
                .await?
                .map(|row| row.try_get("id"))
                .transpose()?;
        let Some(id) = id else {
            return Ok(false);
        };
        let mut tx = self.pool().begin().await?;
        for table in ["alerts", "seen_issues", "subscription_hush"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE subscription_id = $1"))
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM subscriptions WHERE id = $1")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The channel's subscriptions.
    pub async fn channel_subscriptions(
        &self,
        channel_id: &str,
    ) -> Result<Vec<SubscriptionRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SUB_COLUMNS} FROM subscriptions WHERE channel_id = $1 ORDER BY org_slug, project_slug"
        ))
        .bind(channel_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(sub_from_row).collect::<Result<_, _>>()?)
    }

    /// Every subscription.
    pub async fn subscriptions(&self) -> Result<Vec<SubscriptionRow>, StoreError> {
        let sql = format!("SELECT {SUB_COLUMNS} FROM subscriptions ORDER BY id");
        // Converted row by row: every tick reads every subscription, and
        // holding all the raw rows at once would double the tick's peak.
        let mut rows = sqlx::query(&sql).fetch(self.pool());
        let mut subs = Vec::new();
        while let Some(row) = rows.try_next().await? {
            subs.push(sub_from_row(&row)?);
        }
        Ok(subs)
    }

    /// The subscriptions of one project of `org_slug`, by id or slug (a
    /// webhook's issue may carry either).
    pub async fn subscriptions_of_project(
        &self,
        org_slug: &str,
        project_id: Option<&str>,
        project_slug: Option<&str>,
    ) -> Result<Vec<SubscriptionRow>, StoreError> {
        // The id when the payload has one (slugs can be renamed and reused).
        let (column, value) = match (project_id, project_slug) {
            (Some(id), _) if !id.is_empty() => ("project_id", id),
            (_, Some(slug)) if !slug.is_empty() => ("project_slug", slug),
            _ => return Ok(Vec::new()),
        };
        let rows = sqlx::query(&format!(
            "SELECT {SUB_COLUMNS} FROM subscriptions WHERE org_slug = $1 AND {column} = $2 ORDER BY id"
        ))
        .bind(org_slug)
        .bind(value)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(sub_from_row).collect::<Result<_, _>>()?)
    }

    /// Records whether the channel was told its org needs re-linking.
    pub async fn set_relink_notified(
        &self,
        subscription_id: &str,
        notified: bool,
    ) -> Result<(), StoreError> {
        self.run(
            sqlx::query("UPDATE subscriptions SET relink_notified = $1 WHERE id = $2")
                .bind(i64::from(notified))
                .bind(subscription_id),
        )
        .await
    }

    /// What each of `subscription_ids` remembers of `issue_ids` (issue →
    /// status), by subscription: one query for a poll group, reading only
    /// the issues on the page being diffed however many were seen before.
    pub async fn seen_of(
        &self,
        subscription_ids: &[&str],
        issue_ids: &[&str],
    ) -> Result<HashMap<String, HashMap<String, String>>, StoreError> {
        if subscription_ids.is_empty() || issue_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT subscription_id, issue_id, status FROM seen_issues \
             WHERE subscription_id IN ({}) AND issue_id IN ({})",
            placeholders(1, subscription_ids.len()),
            placeholders(subscription_ids.len() + 1, issue_ids.len())
        );
        let mut query = sqlx::query(&sql);
        for id in subscription_ids.iter().chain(issue_ids) {
            query = query.bind(*id);
        }
        let mut seen: HashMap<String, HashMap<String, String>> = HashMap::new();
        for row in query.fetch_all(self.pool()).await? {
            let subscription: String = row.try_get("subscription_id")?;
            seen.entry(subscription)
                .or_default()
                .insert(row.try_get("issue_id")?, row.try_get("status")?);
        }
        Ok(seen)
    }

    /// Stores what a tick saw and the alerts it planned, in one transaction.
    /// An alert that is already recorded is left as it is.
    pub async fn record_tick(
        &self,
        subscription_id: &str,
        seen: &[(String, String)],
        alerts: &[AlertRow],
    ) -> Result<usize, StoreError> {
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        for (issue_id, status) in seen {
            sqlx::query(
                "INSERT INTO seen_issues (subscription_id, issue_id, status, updated_at_ms) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (subscription_id, issue_id) DO UPDATE SET status = excluded.status, \
                 updated_at_ms = excluded.updated_at_ms",
            )
            .bind(subscription_id)
            .bind(issue_id)
            .bind(status)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let mut inserted = 0;
        for alert in alerts {
            inserted += insert_alert(&mut tx, alert).await?;
        }
        tx.commit().await?;
        Ok(inserted)
    }

    /// Alerts waiting to be posted, oldest first.
    pub async fn pending_alerts(&self, limit: i64) -> Result<Vec<AlertRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE state = 'pending' ORDER BY created_at_ms, issue_id LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(alert_from_row).collect::<Result<_, _>>()?)
    }

    /// How many alerts wait to be posted.
    pub async fn pending_count(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM alerts WHERE state = 'pending'")
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Every alert of a subscription.
    pub async fn alerts_for(&self, subscription_id: &str) -> Result<Vec<AlertRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE subscription_id = $1 ORDER BY created_at_ms, kind"
        ))
        .bind(subscription_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(alert_from_row).collect::<Result<_, _>>()?)
    }

    /// New-issue alerts of `subscription_ids` posted since `since_ms` and
    /// watched by status sync, and those still pending, without their
    /// payloads (a redraw needs only the keys, the message and the snapshot).
    pub async fn posted_alerts_of(
        &self,
        subscription_ids: &[&str],
        since_ms: i64,
    ) -> Result<Vec<AlertRow>, StoreError> {
        if subscription_ids.is_empty() {
            return Ok(Vec::new());
        }
        let columns = ALERT_COLUMNS.replace("payload,", "'' AS payload,");
        let sql = format!(
            // The expressions keep SQLite's planner on the primary key (a
            // few rows per group) instead of an index on kind, state or
            // time, which would walk every posted alert for each group.
            "SELECT {columns} FROM alerts WHERE subscription_id IN ({}) \
             AND kind || '' = 'new' \
             AND (state || '' = 'pending' OR (state || '' = 'posted' AND posted_at_ms + 0 >= $1)) \
             ORDER BY posted_at_ms",
            placeholders(2, subscription_ids.len())
        );
        let mut query = sqlx::query(&sql).bind(since_ms);
        for id in subscription_ids {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(self.pool()).await?;
        Ok(rows.iter().map(alert_from_row).collect::<Result<_, _>>()?)
    }

    /// The Slack `ts` of a posted alert.
    pub async fn alert_ts(
        &self,
        subscription_id: &str,
        issue_id: &str,
        kind: &AlertKind,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT ts FROM alerts WHERE subscription_id = $1 AND issue_id = $2 AND kind = $3 AND state = 'posted'",
        )
        .bind(subscription_id)
        .bind(issue_id)
        .bind(kind.as_str())
        .fetch_optional(self.pool())
        .await?;
        Ok(row
            .map(|r| r.try_get::<Option<String>, _>("ts"))
            .transpose()?
            .flatten())
    }

    /// Records what the alert posted as `ts` in `channel` now shows, after
    /// someone changed the issue from its buttons.
    pub async fn set_snapshot_for_message(
        &self,
        channel_id: &str,
        ts: &str,
        snapshot: &Snapshot,
    ) -> Result<(), StoreError> {
        self.run(
            sqlx::query("UPDATE alerts SET status_snapshot = $1 WHERE channel_id = $2 AND ts = $3")
                .bind(snapshot.to_column())
                .bind(channel_id)
                .bind(ts),
        )
        .await
    }

    /// What the alert posted as `ts` in `channel_id` shows now, if it exists.
    pub async fn snapshot_for_message(
        &self,
        channel_id: &str,
        ts: &str,
    ) -> Result<Option<Snapshot>, StoreError> {
        let row =
            sqlx::query("SELECT status_snapshot FROM alerts WHERE channel_id = $1 AND ts = $2")
                .bind(channel_id)
                .bind(ts)
                .fetch_optional(self.pool())
                .await?;
        Ok(row
            .map(|r| r.try_get::<String, _>("status_snapshot"))
            .transpose()?
            .map(Snapshot::from))
    }

    /// Stores that an alert now shows `after`, if it still shows `before`
    /// (nothing, such as a click, recorded another state meanwhile);
    /// returns whether it did.
    pub async fn replace_snapshot(
        &self,
        alert: &AlertRow,
        before: &Snapshot,
        after: &Snapshot,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE alerts SET status_snapshot = $1 WHERE {} AND status_snapshot = $6",
            key_clause(2)
        );
        let done = bind_key(sqlx::query(&sql).bind(after.to_column()), alert)
            .bind(before.to_column())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Stores what an alert now shows.
    pub async fn set_snapshot(
        &self,
        alert: &AlertRow,
        snapshot: &Snapshot,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "UPDATE alerts SET status_snapshot = $1 WHERE {}",
            key_clause(2)
        );
        self.run(bind_key(
            sqlx::query(&sql).bind(snapshot.to_column()),
            alert,
        ))
        .await
    }
}

impl Store {
    /// Deletes alerts (other than pending and held ones) and activity rows created
    /// before `before_ms`, at most `batch` rows per statement so a large
    /// backlog never holds the database for long. What each subscription
    /// has seen is kept, so nothing pruned is ever posted again. Returns the
    /// rows deleted.
    pub async fn prune(&self, before_ms: i64, batch: i64) -> Result<u64, StoreError> {
        let statements = [
            "DELETE FROM alerts WHERE (subscription_id, issue_id, kind, dedup_key) IN \
             (SELECT subscription_id, issue_id, kind, dedup_key FROM alerts \
              WHERE state NOT IN ('pending', 'held') AND created_at_ms < $1 LIMIT $2)",
            "DELETE FROM activity WHERE at_ms IN \
             (SELECT at_ms FROM activity WHERE at_ms < $1 ORDER BY at_ms LIMIT $2)",
            "DELETE FROM webhook_requests WHERE request_id IN \
             (SELECT request_id FROM webhook_requests WHERE received_at_ms < $1 LIMIT $2)",
            "DELETE FROM issue_assignees WHERE (org_slug, issue_id) IN \
             (SELECT org_slug, issue_id FROM issue_assignees WHERE changed_at_ms < $1 LIMIT $2)",
        ];
        let mut deleted = 0;
        for sql in statements {
            loop {
                let done = sqlx::query(sql)
                    .bind(before_ms)
                    .bind(batch)
                    .execute(self.pool())
                    .await?;
                deleted += done.rows_affected();
                if done.rows_affected() == 0 {
                    break;
                }
            }
        }
        Ok(deleted)
    }
}

/// Inserts `alert` unless one with its key is recorded; returns the rows inserted.
pub(super) async fn insert_alert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    alert: &AlertRow,
) -> Result<usize, StoreError> {
    let done = sqlx::query(&format!(
        "INSERT INTO alerts ({ALERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (subscription_id, issue_id, kind, dedup_key) DO NOTHING"
    ))
    .bind(&alert.subscription_id)
    .bind(&alert.issue_id)
    .bind(alert.kind.as_str())
    .bind(&alert.dedup_key)
    .bind(&alert.channel_id)
    .bind(&alert.org_slug)
    .bind(&alert.payload)
    .bind(alert.state.as_str())
    .bind(&alert.thread_ts)
    .bind(&alert.ts)
    .bind(alert.status_snapshot.to_column())
    .bind(alert.attempts)
    .bind(alert.created_at_ms)
    .bind(alert.posted_at_ms)
    .execute(&mut **tx)
    .await?;
    Ok(usize::try_from(done.rows_affected()).unwrap_or(0))
}

/// `$first, …, $(first + count - 1)`: numbered parameters for an `IN` list.
pub(super) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
