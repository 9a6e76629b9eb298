//! The outbox as the delivery worker reads it: pending alerts channel by
//! channel, and storms gathered into one digest per subscription that is
//! updated in place. Every gathered alert is claimed, drawn and marked
//! `digested` under one claim token, so it is counted in exactly one digest
//! and never posted on its own.

use sqlx::Row;

use crate::store::alerts::{
    alert_from_row, insert_alert, placeholders, sub_from_row, ALERT_COLUMNS, SUB_COLUMNS,
};
use crate::store::{now_ms, AlertRow, AlertState, Claim, Store, StoreError, SubscriptionRow};

/// A digest of a subscription that a storm may still grow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenDigest {
    /// The digest's row (posted, with its `ts`).
    pub row: AlertRow,
    /// When it was last drawn (posted or updated), Unix milliseconds.
    pub drawn_at_ms: i64,
}

impl Store {
    /// Channels with alerts waiting to be posted, at most `limit`.
    pub async fn pending_channels(&self, limit: i64) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT channel_id, MIN(created_at_ms) AS since FROM alerts WHERE state = 'pending' \
             GROUP BY channel_id ORDER BY since LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get("channel_id"))
            .collect::<Result<_, _>>()?)
    }

    /// One channel's alerts waiting to be posted, oldest first.
    pub async fn pending_alerts_in(
        &self,
        channel_id: &str,
        limit: i64,
    ) -> Result<Vec<AlertRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE state = 'pending' AND channel_id = $1 \
             ORDER BY created_at_ms, issue_id LIMIT $2"
        ))
        .bind(channel_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(alert_from_row).collect::<Result<_, _>>()?)
    }

    /// One subscription, if it still exists.
    pub async fn subscription(&self, id: &str) -> Result<Option<SubscriptionRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SUB_COLUMNS} FROM subscriptions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(sub_from_row).transpose()?)
    }

    /// New-issue alerts of the subscription posted on their own since `since_ms`.
    pub async fn posted_alone_since(
        &self,
        subscription_id: &str,
        since_ms: i64,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM alerts WHERE subscription_id = $1 AND kind = 'new' \
             AND state = 'posted' AND posted_at_ms >= $2",
        )
        .bind(subscription_id)
        .bind(since_ms)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("n")?)
    }

    /// The subscription's latest posted digest, when it was drawn since
    /// `since_ms`; a catch-up after a mute is never one a storm grows.
    pub async fn open_digest(
        &self,
        subscription_id: &str,
        since_ms: i64,
    ) -> Result<Option<OpenDigest>, StoreError> {
        self.latest_gathered(
            subscription_id,
            "digest",
            "COALESCE(updated_at_ms, posted_at_ms)",
            since_ms,
        )
        .await
    }

    /// The latest posted message of `kind` (a digest, a DM) of the
    /// subscription whose `since_column` (an SQL expression of this module's
    /// own) is at least `since_ms`.
    pub(super) async fn latest_gathered(
        &self,
        subscription_id: &str,
        kind: &str,
        since_column: &str,
        since_ms: i64,
    ) -> Result<Option<OpenDigest>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ALERT_COLUMNS}, COALESCE(updated_at_ms, posted_at_ms) AS drawn_at_ms FROM alerts \
             WHERE subscription_id = $1 AND kind = $2 AND state = 'posted' AND ts IS NOT NULL \
             AND dedup_key NOT LIKE 'catchup:%' \
             AND {since_column} >= $3 ORDER BY {since_column} DESC LIMIT 1"
        ))
        .bind(subscription_id)
        .bind(kind)
        .bind(since_ms)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(OpenDigest {
            row: alert_from_row(&row)?,
            drawn_at_ms: row.try_get("drawn_at_ms")?,
        }))
    }

    /// Claims, under one token, the pending new-issue alerts of the
    /// subscription among `issue_ids` that no other replica holds; returns
    /// the claim and the alerts it covers.
    pub async fn claim_new_alerts(
        &self,
        subscription_id: &str,
        issue_ids: &[&str],
        holder: &str,
        ttl_ms: i64,
    ) -> Result<(Claim, Vec<AlertRow>), StoreError> {
        if issue_ids.is_empty() {
            return Ok((Claim::new(holder), Vec::new()));
        }
        let which = format!(
            "kind = 'new' AND dedup_key = '' AND issue_id IN ({})",
            placeholders(5, issue_ids.len())
        );
        self.claim_pending(subscription_id, &which, issue_ids, holder, ttl_ms)
            .await
    }

    /// Claims, under one token, the subscription's pending alerts that
    /// match `which` (SQL of this store's own, its parameters numbered from
    /// `$5` and bound from `binds`) and that no other replica holds; returns
    /// the claim and the alerts, oldest first.
    pub(super) async fn claim_pending(
        &self,
        subscription_id: &str,
        which: &str,
        binds: &[&str],
        holder: &str,
        ttl_ms: i64,
    ) -> Result<(Claim, Vec<AlertRow>), StoreError> {
        let claim = Claim::new(holder);
        let now = self.now_sql();
        let sql = format!(
            "UPDATE alerts SET claimed_by = $1, claimed_until_ms = {now} + $2 \
             WHERE subscription_id = $3 AND {which} AND state = 'pending' \
             AND (claimed_until_ms IS NULL OR claimed_until_ms < {now} OR claimed_by LIKE $4 ESCAPE '\\') \
             RETURNING {ALERT_COLUMNS}"
        );
        let mut query = sqlx::query(&sql)
            .bind(&claim.token)
            .bind(ttl_ms)
            .bind(subscription_id)
            .bind(crate::store::leases::own_claims(holder));
        for value in binds {
            query = query.bind(*value);
        }
        let mut claimed = query
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(alert_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by(|a, b| (a.created_at_ms, &a.issue_id).cmp(&(b.created_at_ms, &b.issue_id)));
        Ok((claim, claimed))
    }

    /// Lets other deliveries take the alerts of `claim` again.
    pub async fn release_claimed(
        &self,
        subscription_id: &str,
        claim: &Claim,
    ) -> Result<(), StoreError> {
        self.run(
            sqlx::query(
                "UPDATE alerts SET claimed_by = NULL, claimed_until_ms = NULL \
             WHERE subscription_id = $1 AND claimed_by = $2",
            )
            .bind(subscription_id)
            .bind(&claim.token),
        )
        .await
    }

    /// Records, in one transaction, a digest drawn as `ts` with the alerts
    /// of `claim` counted in it: the digest row is inserted (`posted`) or
    /// its payload replaced, and those alerts are marked `digested`.
    /// Returns how many alerts were marked; fewer than claimed means the
    /// claim ran out and another replica took some over.
    pub async fn record_digest(
        &self,
        digest: &AlertRow,
        is_new: bool,
        ts: &str,
        claim: &Claim,
    ) -> Result<u64, StoreError> {
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        if is_new {
            let posted = AlertRow {
                state: AlertState::Posted,
                ts: Some(ts.to_string()),
                posted_at_ms: Some(now),
                attempts: 1,
                ..digest.clone()
            };
            insert_alert(&mut tx, &posted).await?;
        } else {
            sqlx::query(&format!(
                "UPDATE alerts SET payload = $1, updated_at_ms = $2 WHERE {}",
                crate::store::alerts::key_clause(3)
            ))
            .bind(&digest.payload)
            .bind(now)
            .bind(&digest.subscription_id)
            .bind(&digest.issue_id)
            .bind(digest.kind.as_str())
            .bind(&digest.dedup_key)
            .execute(&mut *tx)
            .await?;
        }
        let done = sqlx::query(
            "UPDATE alerts SET state = 'digested', ts = $1, posted_at_ms = $2, attempts = attempts + 1, \
             error = NULL, claimed_by = NULL, claimed_until_ms = NULL \
             WHERE subscription_id = $3 AND claimed_by = $4 AND state = 'pending'",
        )
        .bind(ts)
        .bind(now)
        .bind(&digest.subscription_id)
        .bind(&claim.token)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Records a failed attempt at the alerts of `claim`; they are given
    /// up (`failed`) when `permanent` or at `max_attempts`, else wait.
    pub async fn fail_claimed(
        &self,
        subscription_id: &str,
        claim: &Claim,
        error: &str,
        permanent: bool,
        max_attempts: i64,
    ) -> Result<(), StoreError> {
        self.run(sqlx::query(
            "UPDATE alerts SET state = CASE WHEN $1 = 1 OR attempts + 1 >= $2 THEN 'failed' ELSE 'pending' END, \
             error = $3, attempts = attempts + 1, claimed_by = NULL, claimed_until_ms = NULL \
             WHERE subscription_id = $4 AND claimed_by = $5",
        )
        .bind(i64::from(permanent))
        .bind(max_attempts)
        .bind(error)
        .bind(subscription_id)
        .bind(&claim.token)
        )
        .await
    }

    /// Stops `digest` taking in more of its storm (its message is gone).
    pub async fn close_digest(&self, digest: &AlertRow) -> Result<(), StoreError> {
        let sql = format!(
            "UPDATE alerts SET updated_at_ms = 0, posted_at_ms = 0 WHERE {}",
            crate::store::alerts::key_clause(1)
        );
        self.run(crate::store::alerts::bind_key(sqlx::query(&sql), digest))
            .await
    }
}
