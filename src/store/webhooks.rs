//! Sentry webhook bookkeeping: Request-IDs already acted on, each org's
//! sealed client secret, and when its webhooks last arrived.

use std::collections::HashMap;

use sqlx::Row;

use crate::store::{now_ms, Store, StoreError};

/// An org's webhook set-up as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WebhookState {
    /// A sealed client secret is stored.
    pub stored_secret: bool,
    /// Slack user who stored it.
    pub set_by: Option<String>,
    /// When, Unix milliseconds.
    pub set_at_ms: Option<i64>,
    /// When a verified webhook last arrived, Unix milliseconds.
    pub last_received_ms: Option<i64>,
}

impl Store {
    /// Claims a webhook's `Request-ID`; false when some replica already did.
    pub async fn claim_webhook(
        &self,
        request_id: &str,
        org_slug: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO webhook_requests (request_id, org_slug, received_at_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (request_id) DO NOTHING",
        )
        .bind(request_id)
        .bind(org_slug)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Gives a claimed `Request-ID` back, so Sentry's retry is acted on.
    pub async fn release_webhook(&self, request_id: &str) -> Result<(), StoreError> {
        self.run(sqlx::query("DELETE FROM webhook_requests WHERE request_id = $1").bind(request_id))
            .await
    }

    /// Records that a verified webhook of `org_slug` arrived now.
    pub async fn webhook_arrived(&self, org_slug: &str) -> Result<(), StoreError> {
        self.run(
            sqlx::query(
                "INSERT INTO webhook_orgs (org_slug, last_received_ms) VALUES ($1, $2) \
             ON CONFLICT (org_slug) DO UPDATE SET last_received_ms = excluded.last_received_ms",
            )
            .bind(org_slug)
            .bind(now_ms()),
        )
        .await
    }

    /// Stores the org's webhook client secret, sealed.
    pub async fn put_webhook_secret(
        &self,
        org_slug: &str,
        sealed_secret: &str,
        set_by: &str,
    ) -> Result<(), StoreError> {
        self.run(sqlx::query(
            "INSERT INTO webhook_orgs (org_slug, sealed_secret, set_by, set_at_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (org_slug) DO UPDATE SET sealed_secret = excluded.sealed_secret, \
             set_by = excluded.set_by, set_at_ms = excluded.set_at_ms",
        )
        .bind(org_slug)
        .bind(sealed_secret)
        .bind(set_by)
        .bind(now_ms())
        )
        .await
    }

    /// Forgets the org's stored secret; true when there was one.
    pub async fn remove_webhook_secret(&self, org_slug: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE webhook_orgs SET sealed_secret = NULL, set_by = NULL, set_at_ms = NULL \
             WHERE org_slug = $1 AND sealed_secret IS NOT NULL",
        )
        .bind(org_slug)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Who stored the org's secret and when, and when its webhooks last
    /// arrived; the secret stays sealed.
    pub async fn webhook_state(&self, org_slug: &str) -> Result<WebhookState, StoreError> {
        let row = sqlx::query(
            "SELECT sealed_secret, set_by, set_at_ms, last_received_ms \
             FROM webhook_orgs WHERE org_slug = $1",
        )
        .bind(org_slug)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(WebhookState::default());
        };
        Ok(WebhookState {
            stored_secret: row.try_get::<Option<String>, _>("sealed_secret")?.is_some(),
            set_by: row.try_get("set_by")?,
            set_at_ms: row.try_get("set_at_ms")?,
            last_received_ms: row.try_get("last_received_ms")?,
        })
    }

    /// The org's sealed webhook secret, when one was stored.
    pub async fn webhook_secret(&self, org_slug: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT sealed_secret FROM webhook_orgs WHERE org_slug = $1")
            .bind(org_slug)
            .fetch_optional(self.pool())
            .await?;
        Ok(row
            .map(|r| r.try_get::<Option<String>, _>("sealed_secret"))
            .transpose()?
            .flatten())
    }

    /// When each org's webhooks last arrived, Unix milliseconds.
    pub async fn webhook_arrivals(&self) -> Result<HashMap<String, i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT org_slug, last_received_ms FROM webhook_orgs WHERE last_received_ms IS NOT NULL",
        )
        .fetch_all(self.pool())
        .await?;
        let mut arrivals = HashMap::new();
        for row in rows {
            arrivals.insert(row.try_get("org_slug")?, row.try_get("last_received_ms")?);
        }
        Ok(arrivals)
    }
}
