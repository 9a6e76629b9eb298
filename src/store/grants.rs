//! Rows of the `grants` table: which TapAuth grant serves which org.

use sqlx::Row;

use crate::store::{now_ms, Store, StoreError};

/// A stored grant; `sealed_secret` is in the form `grants::seal` wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantRow {
    /// The org the grant covers.
    pub org_slug: String,
    /// TapAuth grant id.
    pub grant_id: String,
    /// The grant secret, sealed.
    pub sealed_secret: String,
    /// `v1` or `legacy`.
    pub api: String,
    /// Scopes granted, space-separated.
    pub scopes: String,
    /// `ok` or `needs_relink`.
    pub health: String,
    /// Slack user who linked it.
    pub linked_by: String,
    /// When, Unix milliseconds.
    pub linked_at_ms: i64,
}

const COLUMNS: &str =
    "org_slug, grant_id, grant_secret, api, scopes, health, linked_by, linked_at_ms";

fn from_row(row: &sqlx::any::AnyRow) -> Result<GrantRow, sqlx::Error> {
    Ok(GrantRow {
        org_slug: row.try_get("org_slug")?,
        grant_id: row.try_get("grant_id")?,
        sealed_secret: row.try_get("grant_secret")?,
        api: row.try_get("api")?,
        scopes: row.try_get("scopes")?,
        health: row.try_get("health")?,
        linked_by: row.try_get("linked_by")?,
        linked_at_ms: row.try_get("linked_at_ms")?,
    })
}

impl Store {
    /// Inserts or replaces the org's grant in one statement, so there is
    /// never a moment without one.
    pub async fn put_grant(&self, grant: &GrantRow) -> Result<(), StoreError> {
        self.run(sqlx::query(&format!(
            "INSERT INTO grants ({COLUMNS}, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (org_slug) DO UPDATE SET grant_id = excluded.grant_id, \
             grant_secret = excluded.grant_secret, api = excluded.api, scopes = excluded.scopes, \
             health = excluded.health, linked_by = excluded.linked_by, \
             linked_at_ms = excluded.linked_at_ms, updated_at_ms = excluded.updated_at_ms"
        ))
        .bind(&grant.org_slug)
        .bind(&grant.grant_id)
        .bind(&grant.sealed_secret)
        .bind(&grant.api)
        .bind(&grant.scopes)
        .bind(&grant.health)
        .bind(&grant.linked_by)
        .bind(grant.linked_at_ms)
        .bind(now_ms())
        )
        .await
    }

    /// The org's grant, if linked.
    pub async fn grant(&self, org_slug: &str) -> Result<Option<GrantRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM grants WHERE org_slug = $1"))
            .bind(org_slug)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// Every stored grant, by org slug.
    pub async fn grants(&self) -> Result<Vec<GrantRow>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM grants ORDER BY org_slug"))
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// Sets the org's grant health; returns whether a grant was there.
    pub async fn set_grant_health(&self, org_slug: &str, health: &str) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE grants SET health = $1, updated_at_ms = $2 WHERE org_slug = $3")
                .bind(health)
                .bind(now_ms())
                .bind(org_slug)
                .execute(self.pool())
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Forgets the org's grant; returns whether there was one.
    pub async fn delete_grant(&self, org_slug: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM grants WHERE org_slug = $1")
            .bind(org_slug)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
