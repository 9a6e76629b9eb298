//! Issues muted in one channel ("Mute here"): the channel hears no more
//! follow-ups about them; Sentry is not touched.

use sqlx::Row;

use crate::store::{now_ms, Store, StoreError};

impl Store {
    /// Mutes `org`'s issue `issue_id` in `channel_id`, by `muted_by`.
    /// Muting again keeps the first mute.
    pub async fn mute_here(
        &self,
        channel_id: &str,
        org: &str,
        issue_id: &str,
        muted_by: &str,
    ) -> Result<(), StoreError> {
        self.run(
            sqlx::query(
                "INSERT INTO issue_mutes (channel_id, org_slug, issue_id, muted_by, muted_at_ms) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel_id, org_slug, issue_id) DO NOTHING",
            )
            .bind(channel_id)
            .bind(org)
            .bind(issue_id)
            .bind(muted_by)
            .bind(now_ms()),
        )
        .await
    }

    /// Unmutes the issue in `channel_id`; true when it was muted.
    pub async fn unmute_here(
        &self,
        channel_id: &str,
        org: &str,
        issue_id: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM issue_mutes WHERE channel_id = $1 AND org_slug = $2 AND issue_id = $3",
        )
        .bind(channel_id)
        .bind(org)
        .bind(issue_id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Who muted the issue in `channel_id`, when it is muted there.
    pub async fn muted_here(
        &self,
        channel_id: &str,
        org: &str,
        issue_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT muted_by FROM issue_mutes WHERE channel_id = $1 AND org_slug = $2 AND issue_id = $3",
        )
        .bind(channel_id)
        .bind(org)
        .bind(issue_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }
}
