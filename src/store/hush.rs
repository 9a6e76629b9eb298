//! Quiet settings per subscription (`subscription_hush`), and the alerts
//! they hold back: an alert that must wait is moved from `pending` to
//! `held`, so the outbox stops reading it, and once nothing holds its
//! subscription the held alerts become one catch-up message in a single
//! transaction that only one replica can win.

use std::collections::HashMap;

use sqlx::Row;

use crate::quiet::hush::{Hush, Mute};
use crate::quiet::schedule::QuietHours;
use crate::store::alerts::{alert_from_row, bind_key, insert_alert, key_clause, ALERT_COLUMNS};
use crate::store::{now_ms, AlertRow, AlertState, Store, StoreError};

const HUSH_COLUMNS: &str =
    "subscription_id, muted_from_ms, muted_until_ms, muted_by, quiet, urgent";

fn hush_from_row(row: &sqlx::any::AnyRow) -> Result<(String, Hush), sqlx::Error> {
    let from: Option<i64> = row.try_get("muted_from_ms")?;
    let until: Option<i64> = row.try_get("muted_until_ms")?;
    let by: Option<String> = row.try_get("muted_by")?;
    let quiet: Option<String> = row.try_get("quiet")?;
    let mute = match (from, until) {
        (Some(from_ms), Some(until_ms)) => Some(Mute {
            from_ms,
            until_ms,
            by: by.unwrap_or_default(),
        }),
        _ => None,
    };
    Ok((
        row.try_get("subscription_id")?,
        Hush {
            mute,
            quiet: quiet.as_deref().and_then(QuietHours::from_column),
            urgent: row
                .try_get::<Option<String>, _>("urgent")?
                .filter(|u| !u.is_empty()),
        },
    ))
}

impl Store {
    /// The quiet settings of `subscription_id` (none set: the default).
    pub async fn hush(&self, subscription_id: &str) -> Result<Hush, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {HUSH_COLUMNS} FROM subscription_hush WHERE subscription_id = $1"
        ))
        .bind(subscription_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row
            .as_ref()
            .map(hush_from_row)
            .transpose()?
            .map(|(_, hush)| hush)
            .unwrap_or_default())
    }

    /// The quiet settings of every subscription that has any.
    pub async fn hushes(&self) -> Result<HashMap<String, Hush>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {HUSH_COLUMNS} FROM subscription_hush"))
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(hush_from_row).collect::<Result<_, _>>()?)
    }

    /// Mutes `subscription_id` from `from_ms` until `until_ms`; a mute in
    /// force keeps its start (the catch-up covers all of it).
    pub async fn set_mute(
        &self,
        subscription_id: &str,
        from_ms: i64,
        until_ms: i64,
        by: &str,
    ) -> Result<(), StoreError> {
        self.run(
            sqlx::query(
                "INSERT INTO subscription_hush (subscription_id, muted_from_ms, muted_until_ms, muted_by, updated_at_ms) \
                 VALUES ($1, $2, $3, $4, $2) ON CONFLICT (subscription_id) DO UPDATE SET \
                 muted_from_ms = CASE WHEN subscription_hush.muted_until_ms > excluded.muted_from_ms \
                     THEN subscription_hush.muted_from_ms ELSE excluded.muted_from_ms END, \
                 muted_until_ms = excluded.muted_until_ms, muted_by = excluded.muted_by, \
                 updated_at_ms = excluded.updated_at_ms",
            )
            .bind(subscription_id)
            .bind(from_ms)
            .bind(until_ms)
            .bind(by),
        )
        .await
    }

    /// Ends `subscription_id`'s mute at `at_ms`, if one is in force then;
    /// returns whether one was.
    pub async fn end_mute(&self, subscription_id: &str, at_ms: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE subscription_hush SET muted_until_ms = $1, updated_at_ms = $1 \
             WHERE subscription_id = $2 AND muted_until_ms > $1 AND muted_from_ms <= $1",
        )
        .bind(at_ms)
        .bind(subscription_id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Sets (or with `None` clears) quiet hours and their urgent query.
    pub async fn set_quiet(
        &self,
        subscription_id: &str,
        quiet: Option<&QuietHours>,
        urgent: Option<&str>,
    ) -> Result<(), StoreError> {
        self.run(
            sqlx::query(
                "INSERT INTO subscription_hush (subscription_id, quiet, urgent, updated_at_ms) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (subscription_id) DO UPDATE SET \
                 quiet = excluded.quiet, urgent = excluded.urgent, updated_at_ms = excluded.updated_at_ms",
            )
            .bind(subscription_id)
            .bind(quiet.map(QuietHours::to_column))
            .bind(urgent)
            .bind(now_ms()),
        )
        .await
    }

    /// Moves one pending alert to `held`; false when it was no longer
    /// pending or another delivery holds a claim on it (it may be mid-post).
    pub async fn hold_alert(&self, alert: &AlertRow) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE alerts SET state = 'held', claimed_by = NULL, claimed_until_ms = NULL \
             WHERE {} AND state = 'pending' \
             AND (claimed_until_ms IS NULL OR claimed_until_ms < {})",
            key_clause(1),
            self.now_sql()
        );
        let done = bind_key(sqlx::query(&sql), alert)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The channel's pending alerts planned before `before_ms` that a
    /// catch-up can stand for (new issues, regressions, bursts), oldest first.
    pub async fn stale_pending_in(
        &self,
        channel_id: &str,
        before_ms: i64,
    ) -> Result<Vec<AlertRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE channel_id = $1 AND state = 'pending' \
             AND created_at_ms < $2 AND (kind IN ('new', 'regressed') \
             OR (kind = 'digest' AND dedup_key NOT LIKE 'catchup:%')) \
             ORDER BY created_at_ms, issue_id"
        ))
        .bind(channel_id)
        .bind(before_ms)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(alert_from_row).collect::<Result<_, _>>()?)
    }

    /// Subscriptions with held alerts.
    pub async fn held_subscriptions(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT subscription_id FROM alerts WHERE state = 'held' ORDER BY subscription_id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get("subscription_id"))
            .collect::<Result<_, _>>()?)
    }

    /// A subscription's held alerts, oldest first.
    pub async fn held_alerts(&self, subscription_id: &str) -> Result<Vec<AlertRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE subscription_id = $1 AND state = 'held' \
             ORDER BY created_at_ms, issue_id"
        ))
        .bind(subscription_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(alert_from_row).collect::<Result<_, _>>()?)
    }

    /// In one transaction: marks `held` (still in state `from`: held, or
    /// pending in a paused channel) as gathered into `catch_up`, and queues
    /// `catch_up` (pending) to be posted. Returns false, changing nothing,
    /// when any of them has left `from` (another replica caught them up
    /// first) or is claimed for a post.
    pub async fn queue_catch_up(
        &self,
        from: AlertState,
        held: &[AlertRow],
        catch_up: &AlertRow,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        let sql = format!(
            "UPDATE alerts SET state = 'digested', posted_at_ms = $5 WHERE {} AND state = $6 \
             AND (claimed_until_ms IS NULL OR claimed_until_ms < $5)",
            key_clause(1)
        );
        let now = now_ms();
        for alert in held {
            let done = bind_key(sqlx::query(&sql), alert)
                .bind(now)
                .bind(from.as_str())
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
        }
        if insert_alert(&mut tx, catch_up).await? == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Secret;
    use crate::store::{AlertKind, AlertRow, AlertState, Snapshot, Store};

    fn row(issue: &str, kind: AlertKind, dedup: &str, state: AlertState) -> AlertRow {
        AlertRow {
            subscription_id: "sub".into(),
            issue_id: issue.into(),
            kind,
            dedup_key: dedup.into(),
            channel_id: "C1".into(),
            org_slug: "acme".into(),
            payload: "{}".into(),
            state,
            thread_ts: None,
            ts: None,
            status_snapshot: Snapshot::default(),
            attempts: 0,
            created_at_ms: 1,
            posted_at_ms: None,
        }
    }

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("hush.db").display());
        let store = Store::open(&Secret::new(url)).await.unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn a_second_mute_keeps_the_first_start_and_unmuting_ends_it_once() {
        let (_dir, store) = store().await;
        store.set_mute("sub", 1_000, 61_000, "U1").await.unwrap();
        store.set_mute("sub", 30_000, 120_000, "U2").await.unwrap();
        let mute = store.hush("sub").await.unwrap().mute.unwrap();
        assert_eq!(
            (mute.from_ms, mute.until_ms, mute.by.as_str()),
            (1_000, 120_000, "U2")
        );
        assert!(store.end_mute("sub", 50_000).await.unwrap());
        assert!(
            !store.end_mute("sub", 60_000).await.unwrap(),
            "already over"
        );
        // A mute after the last one ended starts afresh.
        store.set_mute("sub", 200_000, 260_000, "U1").await.unwrap();
        assert_eq!(
            store.hush("sub").await.unwrap().mute.unwrap().from_ms,
            200_000
        );
        assert!(store.hush("other").await.unwrap().mute.is_none());
    }

    #[tokio::test]
    async fn held_alerts_are_caught_up_once_and_are_never_pending_meanwhile() {
        let (_dir, store) = store().await;
        let alerts = [
            row("1", AlertKind::New, "", AlertState::Pending),
            row("2", AlertKind::Regressed, "r:1", AlertState::Pending),
        ];
        store.record_tick("sub", &[], &alerts).await.unwrap();
        for alert in &alerts {
            assert!(store.hold_alert(alert).await.unwrap());
        }
        assert!(store.pending_alerts(10).await.unwrap().is_empty());
        assert_eq!(store.held_subscriptions().await.unwrap(), ["sub"]);
        let held = store.held_alerts("sub").await.unwrap();
        assert_eq!(held.len(), 2);
        let catch_up = row("1", AlertKind::Digest, "catchup:1", AlertState::Pending);
        assert!(store
            .queue_catch_up(AlertState::Held, &held, &catch_up)
            .await
            .unwrap());
        assert!(
            !store
                .queue_catch_up(AlertState::Held, &held, &catch_up)
                .await
                .unwrap(),
            "a second replica queues nothing"
        );
        let pending = store.pending_alerts(10).await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].dedup_key, "catchup:1");
        assert!(store.held_subscriptions().await.unwrap().is_empty());
    }
}
