//! Channels Slack refuses posts to (`channel_pauses`), and what
//! `/sentry doctor` reads about a channel's deliveries: when its
//! subscriptions were last polled, when their last alert was posted, and
//! the alerts still waiting or given up on.

use std::collections::HashMap;

use sqlx::Row;

use crate::store::alerts::placeholders;
use crate::store::{Store, StoreError};

/// A channel whose posts Slack refuses for good, until a post lands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelPause {
    /// The channel.
    pub channel_id: String,
    /// Slack's error code (`not_in_channel`, `is_archived`, …).
    pub reason: String,
    /// When Slack first refused, Unix milliseconds.
    pub paused_at_ms: i64,
    /// When delivery is tried again; 0: at once.
    pub retry_at_ms: i64,
    /// Retries refused since the pause began.
    pub tries: i64,
}

/// Alerts of one channel by state, for `/sentry doctor`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelDeliveries {
    /// Waiting to be posted.
    pub pending: i64,
    /// Held back by a mute or quiet hours.
    pub held: i64,
    /// Given up on since the cut-off, by Slack's error.
    pub failed: Vec<(String, i64)>,
}

const PAUSE_COLUMNS: &str = "channel_id, reason, paused_at_ms, retry_at_ms, tries";

fn pause_from_row(row: &sqlx::any::AnyRow) -> Result<ChannelPause, sqlx::Error> {
    Ok(ChannelPause {
        channel_id: row.try_get("channel_id")?,
        reason: row.try_get("reason")?,
        paused_at_ms: row.try_get("paused_at_ms")?,
        retry_at_ms: row.try_get("retry_at_ms")?,
        tries: row.try_get("tries")?,
    })
}

impl Store {
    /// Pauses `channel_id` for `reason` until `retry_at_ms`; returns true
    /// when this starts the pause (the one replica that should tell
    /// people), false when it was paused already (a retry refused again:
    /// the reason, the retry time and the count of tries move on).
    pub async fn pause_channel(
        &self,
        channel_id: &str,
        reason: &str,
        now_ms: i64,
        retry_at_ms: i64,
    ) -> Result<bool, StoreError> {
        let started = sqlx::query(&format!(
            "INSERT INTO channel_pauses ({PAUSE_COLUMNS}) VALUES ($1, $2, $3, $4, 0) \
             ON CONFLICT (channel_id) DO NOTHING"
        ))
        .bind(channel_id)
        .bind(reason)
        .bind(now_ms)
        .bind(retry_at_ms)
        .execute(self.pool())
        .await?;
        if started.rows_affected() > 0 {
            return Ok(true);
        }
        self.run(
            sqlx::query(
                "UPDATE channel_pauses SET reason = $1, retry_at_ms = $2, tries = tries + 1 \
                 WHERE channel_id = $3",
            )
            .bind(reason)
            .bind(retry_at_ms)
            .bind(channel_id),
        )
        .await?;
        Ok(false)
    }

    /// The channel's pause, if Slack refuses it.
    pub async fn channel_pause(
        &self,
        channel_id: &str,
    ) -> Result<Option<ChannelPause>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {PAUSE_COLUMNS} FROM channel_pauses WHERE channel_id = $1"
        ))
        .bind(channel_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(pause_from_row).transpose()?)
    }

    /// Every paused channel, longest paused first.
    pub async fn channel_pauses(&self) -> Result<Vec<ChannelPause>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {PAUSE_COLUMNS} FROM channel_pauses ORDER BY paused_at_ms, channel_id"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(pause_from_row).collect::<Result<_, _>>()?)
    }

    /// Ends the channel's pause (a post landed); true when it was paused.
    pub async fn resume_channel(&self, channel_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM channel_pauses WHERE channel_id = $1")
            .bind(channel_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Makes a paused channel due for a retry now (the bot was invited,
    /// someone pressed *Retry now*); true when it was paused.
    pub async fn retry_channel_now(&self, channel_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE channel_pauses SET retry_at_ms = 0 WHERE channel_id = $1")
            .bind(channel_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Puts the channel's alerts given up on since `since_ms` back in the
    /// outbox, with their attempts reset; returns how many.
    pub async fn retry_failed_in(
        &self,
        channel_id: &str,
        since_ms: i64,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE alerts SET state = 'pending', attempts = 0, claimed_by = NULL, \
             claimed_until_ms = NULL WHERE channel_id = $1 AND state = 'failed' \
             AND created_at_ms >= $2",
        )
        .bind(channel_id)
        .bind(since_ms)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// Records that the groups of `subscription_ids` were polled at `at_ms`.
    pub async fn mark_polled(
        &self,
        subscription_ids: &[String],
        at_ms: i64,
    ) -> Result<(), StoreError> {
        // Bounded statements: SQLite takes at most 32,766 parameters.
        for chunk in subscription_ids.chunks(500) {
            let sql = format!(
                "UPDATE subscriptions SET last_polled_ms = $1 WHERE id IN ({})",
                placeholders(2, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(at_ms);
            for id in chunk {
                query = query.bind(id);
            }
            self.run(query).await?;
        }
        Ok(())
    }

    /// Per subscription of `channel_id`: when its group was last polled and
    /// when its last alert was posted, Unix milliseconds.
    pub async fn channel_timeline(
        &self,
        channel_id: &str,
    ) -> Result<HashMap<String, (Option<i64>, Option<i64>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id AS id, s.last_polled_ms AS polled, \
             (SELECT MAX(a.posted_at_ms) FROM alerts a WHERE a.subscription_id = s.id \
              AND a.state IN ('posted', 'digested')) AS posted \
             FROM subscriptions s WHERE s.channel_id = $1",
        )
        .bind(channel_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("id")?,
                    (r.try_get("polled")?, r.try_get("posted")?),
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// The channel's waiting alerts, and those given up on since `since_ms`
    /// by their error.
    pub async fn channel_deliveries(
        &self,
        channel_id: &str,
        since_ms: i64,
    ) -> Result<ChannelDeliveries, StoreError> {
        let counts = sqlx::query(
            "SELECT state, COUNT(*) AS n FROM alerts WHERE channel_id = $1 \
             AND state IN ('pending', 'held') GROUP BY state",
        )
        .bind(channel_id)
        .fetch_all(self.pool())
        .await?;
        let mut deliveries = ChannelDeliveries::default();
        for row in &counts {
            let state: String = row.try_get("state")?;
            let n: i64 = row.try_get("n")?;
            match state.as_str() {
                "pending" => deliveries.pending = n,
                _ => deliveries.held = n,
            }
        }
        let failed = sqlx::query(
            "SELECT COALESCE(error, '') AS error, COUNT(*) AS n FROM alerts WHERE channel_id = $1 \
             AND state = 'failed' AND created_at_ms >= $2 GROUP BY COALESCE(error, '') \
             ORDER BY COUNT(*) DESC",
        )
        .bind(channel_id)
        .bind(since_ms)
        .fetch_all(self.pool())
        .await?;
        deliveries.failed = failed
            .iter()
            .map(|r| Ok((r.try_get("error")?, r.try_get("n")?)))
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(deliveries)
    }

    /// Alerts given up on since `since_ms`, as (channel, error, count),
    /// the most first.
    pub async fn failed_by_channel(
        &self,
        since_ms: i64,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT channel_id, COALESCE(error, '') AS error, COUNT(*) AS n FROM alerts \
             WHERE state = 'failed' AND created_at_ms >= $1 \
             GROUP BY channel_id, COALESCE(error, '') ORDER BY COUNT(*) DESC, channel_id LIMIT 100",
        )
        .bind(since_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("channel_id")?,
                    r.try_get("error")?,
                    r.try_get("n")?,
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Secret;
    use crate::store::Store;

    #[tokio::test]
    async fn a_pause_starts_once_counts_its_retries_and_ends_when_resumed() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("pauses.db").display());
        let store = Store::open(&Secret::new(url)).await.unwrap();
        assert!(store
            .pause_channel("C1", "not_in_channel", 1_000, 61_000)
            .await
            .unwrap());
        assert!(
            !store
                .pause_channel("C1", "is_archived", 61_000, 181_000)
                .await
                .unwrap(),
            "a second refusal continues the pause"
        );
        let pause = store.channel_pause("C1").await.unwrap().unwrap();
        assert_eq!(
            (
                pause.reason.as_str(),
                pause.paused_at_ms,
                pause.retry_at_ms,
                pause.tries
            ),
            ("is_archived", 1_000, 181_000, 1)
        );
        assert!(store.retry_channel_now("C1").await.unwrap());
        assert_eq!(
            store
                .channel_pause("C1")
                .await
                .unwrap()
                .unwrap()
                .retry_at_ms,
            0
        );
        assert!(!store.retry_channel_now("C2").await.unwrap());
        assert_eq!(store.channel_pauses().await.unwrap().len(), 1);
        assert!(store.resume_channel("C1").await.unwrap());
        assert!(!store.resume_channel("C1").await.unwrap());
        assert!(store.channel_pause("C1").await.unwrap().is_none());
        assert!(
            store
                .pause_channel("C1", "not_in_channel", 200_000, 260_000)
                .await
                .unwrap(),
            "a pause after a resume is a new one"
        );
    }
}
