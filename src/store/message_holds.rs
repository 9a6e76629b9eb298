//! Holds on one posted message while a click changes its issue in Sentry.
//!
//! Between Sentry accepting a change and the click recording what the
//! message now shows, a poll or webhook on any replica would see the change
//! and announce it as made in Sentry. A hold closes that window: status
//! sync leaves a held message for its next look. Each click holds its own
//! row (in the lease table, keyed by message and a token), so two clicks on
//! one message do not release each other's hold, and a replica that dies
//! mid-click leaves a hold that simply expires.

use sqlx::Row;

use crate::store::{Store, StoreError};

/// One click's hold on a message; give it back with [`Store::release_message`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageHold {
    key: String,
}

/// The lease key prefix of every hold on `channel_id`/`ts`. Channel ids and
/// message timestamps hold neither `%` nor `_`, so the prefix is a safe
/// `LIKE` pattern.
fn prefix(channel_id: &str, ts: &str) -> String {
    format!("message:{channel_id}:{ts}:")
}

impl Store {
    /// Holds the message `ts` in `channel_id` for at most `ttl_ms`.
    pub async fn hold_message(
        &self,
        channel_id: &str,
        ts: &str,
        ttl_ms: i64,
    ) -> Result<MessageHold, StoreError> {
        let key = format!("{}{:016x}", prefix(channel_id, ts), rand::random::<u64>());
        let now = self.now_sql();
        // Holds of clicks on replicas that died are cleared here, not on reads.
        let clear =
            format!("DELETE FROM poll_leases WHERE group_key LIKE $1 AND expires_at_ms < {now}");
        self.run(sqlx::query(&clear).bind(format!("{}%", prefix(channel_id, ts))))
            .await?;
        let sql = format!(
            "INSERT INTO poll_leases (group_key, holder, expires_at_ms) VALUES ($1, 'click', {now} + $2)"
        );
        self.run(sqlx::query(&sql).bind(&key).bind(ttl_ms)).await?;
        Ok(MessageHold { key })
    }

    /// Gives a hold back; the message is synced as usual from then on.
    pub async fn release_message(&self, hold: &MessageHold) -> Result<(), StoreError> {
        self.run(sqlx::query("DELETE FROM poll_leases WHERE group_key = $1").bind(&hold.key))
            .await
    }

    /// Whether a click holds the message `ts` in `channel_id` now (a read:
    /// sync asks this often, and must not take SQLite's write lock).
    pub async fn message_held(&self, channel_id: &str, ts: &str) -> Result<bool, StoreError> {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM poll_leases WHERE group_key LIKE $1 AND expires_at_ms >= {}",
            self.now_sql()
        );
        let held = sqlx::query(&sql)
            .bind(format!("{}%", prefix(channel_id, ts)))
            .fetch_one(self.pool())
            .await?
            .try_get::<i64, _>("n")?;
        Ok(held > 0)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Secret;
    use crate::store::Store;

    #[tokio::test]
    async fn holds_are_per_click_and_expire() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("holds.db").display());
        let store = Store::open(&Secret::new(url)).await.unwrap();
        assert!(!store.message_held("C1", "1.2").await.unwrap());
        let first = store.hold_message("C1", "1.2", 60_000).await.unwrap();
        let second = store.hold_message("C1", "1.2", 60_000).await.unwrap();
        assert!(store.message_held("C1", "1.2").await.unwrap());
        assert!(!store.message_held("C1", "1.3").await.unwrap());
        store.release_message(&first).await.unwrap();
        assert!(
            store.message_held("C1", "1.2").await.unwrap(),
            "the second click still holds it"
        );
        store.release_message(&second).await.unwrap();
        assert!(!store.message_held("C1", "1.2").await.unwrap());
        let _lapsed = store.hold_message("C1", "1.2", -1).await.unwrap();
        assert!(
            !store.message_held("C1", "1.2").await.unwrap(),
            "an expired hold holds nothing"
        );
    }
}
