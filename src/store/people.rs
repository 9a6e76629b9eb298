//! Manual maps between Slack and Sentry people: a Slack user to a Sentry
//! member's email or username.
//! Identities are stored lowercased, so a map matches however Sentry cases it.

use sqlx::Row;

use crate::store::{now_ms, Store, StoreError};

/// A Slack user mapped by hand to a Sentry identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonMap {
    /// Slack user id.
    pub slack_user_id: String,
    /// The Sentry member's email or username, lowercased.
    pub sentry_identity: String,
    /// The admin who mapped them.
    pub mapped_by: String,
}

impl Store {
    /// Maps `slack_user_id` to `sentry_identity`, replacing any earlier map
    /// of either side.
    pub async fn map_person(
        &self,
        slack_user_id: &str,
        sentry_identity: &str,
        mapped_by: &str,
    ) -> Result<(), StoreError> {
        let identity = sentry_identity.trim().to_lowercase();
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM people_maps WHERE slack_user_id = $1 OR sentry_identity = $2")
            .bind(slack_user_id)
            .bind(&identity)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO people_maps (slack_user_id, sentry_identity, mapped_by, mapped_at_ms) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(slack_user_id)
        .bind(&identity)
        .bind(mapped_by)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes `slack_user_id`'s map; true when there was one.
    pub async fn unmap_person(&self, slack_user_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM people_maps WHERE slack_user_id = $1")
            .bind(slack_user_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Every manual map, by Sentry identity.
    pub async fn people_maps(&self) -> Result<Vec<PersonMap>, StoreError> {
        let rows = sqlx::query(
            "SELECT slack_user_id, sentry_identity, mapped_by FROM people_maps \
             ORDER BY sentry_identity",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PersonMap {
                    slack_user_id: r.try_get(0)?,
                    sentry_identity: r.try_get(1)?,
                    mapped_by: r.try_get(2)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Maps `org`'s team `team_slug` to the Slack user group `group_id`.
    pub async fn map_team(
        &self,
        org: &str,
        team_slug: &str,
        group_id: &str,
        mapped_by: &str,
    ) -> Result<(), StoreError> {
        self.run(
            sqlx::query(
                "INSERT INTO team_groups (org_slug, team_slug, slack_group_id, mapped_by, mapped_at_ms) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_slug, team_slug) DO UPDATE SET \
                 slack_group_id = excluded.slack_group_id, mapped_by = excluded.mapped_by, \
                 mapped_at_ms = excluded.mapped_at_ms",
            )
            .bind(org)
            .bind(team_slug.to_lowercase())
            .bind(group_id)
            .bind(mapped_by)
            .bind(now_ms()),
        )
        .await
    }

    /// Forgets the user group of `org`'s team; true when there was one.
    pub async fn unmap_team(&self, org: &str, team_slug: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM team_groups WHERE org_slug = $1 AND team_slug = $2")
            .bind(org)
            .bind(team_slug.to_lowercase())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Every team of `org` mapped to a Slack user group: (team slug,
    /// group id), by slug.
    pub async fn team_groups(&self, org: &str) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT team_slug, slack_group_id FROM team_groups WHERE org_slug = $1 ORDER BY team_slug",
        )
        .bind(org)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// The Slack user group of `org`'s team, when an admin mapped one.
    pub async fn team_group(
        &self,
        org: &str,
        team_slug: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT slack_group_id FROM team_groups WHERE org_slug = $1 AND team_slug = $2",
        )
        .bind(org)
        .bind(team_slug.to_lowercase())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }
}
