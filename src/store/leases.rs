//! Leases that divide poll work between replicas, and claims that let only
//! one replica post a given alert. Both are single conditional statements,
//! atomic on SQLite and PostgreSQL alike.

use sqlx::Row;

use super::alerts::{bind_key, key_clause};
use super::{now_ms, AlertRow, Store, StoreError};

/// What happened when a replica asked for a lease.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lease {
    /// This replica holds it (and held it before).
    Renewed,
    /// This replica holds it now; `from` held it before (None: nobody).
    Acquired {
        /// The previous holder, when it had expired.
        from: Option<String>,
    },
    /// Another replica holds it.
    HeldElsewhere,
}

impl Store {
    /// Takes or renews the lease on `group_key` for `ttl_ms`, unless another
    /// replica holds an unexpired one.
    pub async fn try_lease(
        &self,
        group_key: &str,
        holder: &str,
        ttl_ms: i64,
    ) -> Result<Lease, StoreError> {
        let now = now_ms();
        let previous: Option<String> =
            sqlx::query("SELECT holder FROM poll_leases WHERE group_key = $1")
                .bind(group_key)
                .fetch_optional(self.pool())
                .await?
                .map(|row| row.try_get("holder"))
                .transpose()?;
        let done = sqlx::query(
            "INSERT INTO poll_leases (group_key, holder, expires_at_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (group_key) DO UPDATE SET holder = excluded.holder, expires_at_ms = excluded.expires_at_ms \
             WHERE poll_leases.expires_at_ms < $4 OR poll_leases.holder = excluded.holder",
        )
        .bind(group_key)
        .bind(holder)
        .bind(now + ttl_ms)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(match (done.rows_affected(), previous) {
            (0, _) => Lease::HeldElsewhere,
            (_, Some(before)) if before == holder => Lease::Renewed,
            (_, before) => Lease::Acquired { from: before },
        })
    }

    /// Lets `holder`'s lease on `group_key` run out `linger_ms` from now,
    /// so another replica may take it then.
    pub async fn release_lease(
        &self,
        group_key: &str,
        holder: &str,
        linger_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE poll_leases SET expires_at_ms = $1 WHERE group_key = $2 AND holder = $3",
        )
        .bind(now_ms() + linger_ms)
        .bind(group_key)
        .bind(holder)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Claims a pending alert for `holder` for `ttl_ms`; true when this
    /// replica may post it. Claims of replicas that died expire.
    pub async fn claim_alert(
        &self,
        alert: &AlertRow,
        holder: &str,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let sql = format!(
            "UPDATE alerts SET claimed_by = $1, claimed_until_ms = $2 \
             WHERE {} AND state = 'pending' \
             AND (claimed_until_ms IS NULL OR claimed_until_ms < $3 OR claimed_by = $1)",
            key_clause(4)
        );
        let query = sqlx::query(&sql).bind(holder).bind(now + ttl_ms).bind(now);
        let done = bind_key(query, alert).execute(self.pool()).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Gives a claim back so any replica may retry the alert at once.
    pub async fn release_alert(&self, alert: &AlertRow) -> Result<(), StoreError> {
        let sql = format!(
            "UPDATE alerts SET claimed_by = NULL, claimed_until_ms = NULL WHERE {}",
            key_clause(1)
        );
        bind_key(sqlx::query(&sql), alert)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
