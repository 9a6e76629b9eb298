//! Leases that divide poll work between replicas, and claims that let only
//! one replica post a given alert. Both are single conditional statements,
//! atomic on SQLite and PostgreSQL alike, and both read time from the
//! database's clock, so replicas whose clocks disagree still agree on who
//! holds what.
//!
//! A claim is fenced: it carries a token unique to that claim, and marking
//! the alert posted, failed or released only works with the token of the
//! claim in force. A replica whose claim expired (and was taken over)
//! cannot overwrite what the new holder did.

use std::collections::HashSet;

use sqlx::Row;

use crate::store::alerts::{bind_key, key_clause};
use crate::store::{AlertRow, AlertState, Backend, Store, StoreError};

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

/// A replica's claim on one alert: the fencing token stored with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub(super) token: String,
}

impl Claim {
    pub(super) fn new(holder: &str) -> Self {
        Self {
            token: format!("{holder}#{:016x}", rand::random::<u64>()),
        }
    }
}

/// A `LIKE` pattern matching every claim token of `holder`.
pub(super) fn own_claims(holder: &str) -> String {
    let escaped = holder
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("{escaped}#%")
}

impl Store {
    /// Milliseconds since the epoch by the database's clock, as SQL.
    pub(super) fn now_sql(&self) -> &'static str {
        match self.backend() {
            Backend::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS BIGINT)",
            Backend::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
        }
    }

    /// Takes or renews the lease on `group_key` for `ttl_ms`, unless another
    /// replica holds an unexpired one.
    pub async fn try_lease(
        &self,
        group_key: &str,
        holder: &str,
        ttl_ms: i64,
    ) -> Result<Lease, StoreError> {
        let now = self.now_sql();
        // The steady case, one statement: this replica renews its own lease.
        let renew = format!(
            "UPDATE poll_leases SET expires_at_ms = {now} + $1 WHERE group_key = $2 AND holder = $3"
        );
        let renewed = sqlx::query(&renew)
            .bind(ttl_ms)
            .bind(group_key)
            .bind(holder)
            .execute(self.pool())
            .await?;
        if renewed.rows_affected() > 0 {
            return Ok(Lease::Renewed);
        }
        let previous: Option<String> =
            sqlx::query("SELECT holder FROM poll_leases WHERE group_key = $1")
                .bind(group_key)
                .fetch_optional(self.pool())
                .await?
                .map(|row| row.try_get("holder"))
                .transpose()?;
        let sql = format!(
            "INSERT INTO poll_leases (group_key, holder, expires_at_ms) VALUES ($1, $2, {now} + $3) \
             ON CONFLICT (group_key) DO UPDATE SET holder = excluded.holder, expires_at_ms = excluded.expires_at_ms \
             WHERE poll_leases.expires_at_ms < {now} OR poll_leases.holder = excluded.holder"
        );
        let done = sqlx::query(&sql)
            .bind(group_key)
            .bind(holder)
            .bind(ttl_ms)
            .execute(self.pool())
            .await?;
        Ok(match (done.rows_affected(), previous) {
            (0, _) => Lease::HeldElsewhere,
            (_, Some(before)) if before == holder => Lease::Renewed,
            (_, before) => Lease::Acquired { from: before },
        })
    }

    /// Renews, in a few statements, every lease among `group_keys` that
    /// `holder` holds; returns the keys renewed. A steady tick renews all
    /// its groups this way instead of writing once per group, which on
    /// SQLite also spares every other connection a flushed page cache.
    pub async fn renew_leases(
        &self,
        group_keys: &[String],
        holder: &str,
        ttl_ms: i64,
    ) -> Result<HashSet<String>, StoreError> {
        const KEYS_PER_STATEMENT: usize = 500;
        let now = self.now_sql();
        let mut renewed = HashSet::new();
        for keys in group_keys.chunks(KEYS_PER_STATEMENT) {
            let sql = format!(
                "UPDATE poll_leases SET expires_at_ms = {now} + $1 \
                 WHERE holder = $2 AND group_key IN ({}) RETURNING group_key",
                crate::store::alerts::placeholders(3, keys.len())
            );
            let mut query = sqlx::query(&sql).bind(ttl_ms).bind(holder);
            for key in keys {
                query = query.bind(key);
            }
            for row in query.fetch_all(self.pool()).await? {
                renewed.insert(row.try_get("group_key")?);
            }
        }
        Ok(renewed)
    }

    /// Lets `holder`'s lease on `group_key` run out `linger_ms` from now,
    /// so another replica may take it then.
    pub async fn release_lease(
        &self,
        group_key: &str,
        holder: &str,
        linger_ms: i64,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "UPDATE poll_leases SET expires_at_ms = {} + $1 WHERE group_key = $2 AND holder = $3",
            self.now_sql()
        );
        self.run(
            sqlx::query(&sql)
                .bind(linger_ms)
                .bind(group_key)
                .bind(holder),
        )
        .await
    }

    /// Claims a pending alert for `holder` for `ttl_ms`; the claim when this
    /// replica may post it. A holder may claim again (a fresh token); claims
    /// of replicas that died expire.
    pub async fn claim_alert(
        &self,
        alert: &AlertRow,
        holder: &str,
        ttl_ms: i64,
    ) -> Result<Option<Claim>, StoreError> {
        let claim = Claim::new(holder);
        let now = self.now_sql();
        let sql = format!(
            "UPDATE alerts SET claimed_by = $1, claimed_until_ms = {now} + $2 \
             WHERE {} AND state = 'pending' \
             AND (claimed_until_ms IS NULL OR claimed_until_ms < {now} OR claimed_by LIKE $3 ESCAPE '\\')",
            key_clause(4)
        );
        let query = sqlx::query(&sql)
            .bind(&claim.token)
            .bind(ttl_ms)
            .bind(own_claims(holder));
        let done = bind_key(query, alert).execute(self.pool()).await?;
        Ok((done.rows_affected() > 0).then_some(claim))
    }

    /// Extends `claim` by `ttl_ms` from now; false when it is no longer in force.
    pub async fn extend_claim(
        &self,
        alert: &AlertRow,
        claim: &Claim,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE alerts SET claimed_until_ms = {} + $1 WHERE {} AND claimed_by = $6 AND state = 'pending'",
            self.now_sql(),
            key_clause(2)
        );
        let done = bind_key(sqlx::query(&sql).bind(ttl_ms), alert)
            .bind(&claim.token)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Gives `claim` back so any replica may retry the alert at once.
    pub async fn release_alert(&self, alert: &AlertRow, claim: &Claim) -> Result<(), StoreError> {
        let sql = format!(
            "UPDATE alerts SET claimed_by = NULL, claimed_until_ms = NULL WHERE {} AND claimed_by = $5",
            key_clause(1)
        );
        self.run(bind_key(sqlx::query(&sql), alert).bind(&claim.token))
            .await
    }

    /// Marks an alert posted with its Slack `ts`, if `claim` is still in
    /// force; false when another replica took the alert over meanwhile.
    pub async fn mark_posted(
        &self,
        alert: &AlertRow,
        claim: &Claim,
        ts: &str,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE alerts SET state = 'posted', ts = $1, posted_at_ms = $2, attempts = attempts + 1, \
             error = NULL, claimed_by = NULL, claimed_until_ms = NULL WHERE {} AND claimed_by = $7",
            key_clause(3)
        );
        let query = sqlx::query(&sql).bind(ts).bind(crate::store::now_ms());
        let done = bind_key(query, alert)
            .bind(&claim.token)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Marks an alert not posted because its channel muted the issue, if
    /// `claim` is still in force.
    pub async fn mark_muted(&self, alert: &AlertRow, claim: &Claim) -> Result<(), StoreError> {
        let sql = format!(
            "UPDATE alerts SET state = 'muted', error = NULL, claimed_by = NULL, \
             claimed_until_ms = NULL WHERE {} AND claimed_by = $5",
            key_clause(1)
        );
        self.run(bind_key(sqlx::query(&sql), alert).bind(&claim.token))
            .await
    }

    /// Records a failed attempt under `claim`; `permanent` stops further attempts.
    pub async fn mark_failed(
        &self,
        alert: &AlertRow,
        claim: &Claim,
        error: &str,
        permanent: bool,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "UPDATE alerts SET state = $1, error = $2, attempts = attempts + 1, claimed_by = NULL, \
             claimed_until_ms = NULL WHERE {} AND claimed_by = $7",
            key_clause(3)
        );
        let state = if permanent {
            AlertState::Failed
        } else {
            AlertState::Pending
        };
        self.run(
            bind_key(sqlx::query(&sql).bind(state.as_str()).bind(error), alert).bind(&claim.token),
        )
        .await
    }
}
