//! Personal notifications: each person's settings, the assignee last
//! observed for each issue, and each person's notices and DMs in the
//! outbox (kinds `personal` and `dm`, under the subscription id
//! [`person_outbox`]). A DM gathers notices the way a digest gathers a
//! storm: claimed under one token, drawn, and marked `digested` with the
//! DM's `ts` (see `record_digest`).

use sqlx::Row;

use crate::store::alerts::insert_alert;
use crate::store::digests::OpenDigest;
use crate::store::{now_ms, AlertRow, Claim, Store, StoreError};

/// Whether a person wants each kind of DM; both are on by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotifySettings {
    /// An issue was assigned to them.
    pub assigned: bool,
    /// An issue assigned to them came back.
    pub regressions: bool,
}

impl Default for NotifySettings {
    fn default() -> Self {
        Self {
            assigned: true,
            regressions: true,
        }
    }
}

/// One of [`NotifySettings`]' switches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifySwitch {
    /// `assigned`.
    Assigned,
    /// `regressions`.
    Regressions,
}

/// The outbox's subscription id for `slack_user_id`'s personal messages.
pub fn person_outbox(slack_user_id: &str) -> String {
    format!("person:{slack_user_id}")
}

impl Store {
    /// `slack_user_id`'s settings (the defaults until they change one).
    pub async fn notify_settings(&self, slack_user_id: &str) -> Result<NotifySettings, StoreError> {
        let row = sqlx::query(
            "SELECT assigned, regressions FROM notify_settings WHERE slack_user_id = $1",
        )
        .bind(slack_user_id)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(NotifySettings::default());
        };
        Ok(NotifySettings {
            assigned: row.try_get::<i64, _>("assigned")? != 0,
            regressions: row.try_get::<i64, _>("regressions")? != 0,
        })
    }

    /// Turns one of `slack_user_id`'s switches on or off; returns the settings now.
    pub async fn set_notify(
        &self,
        slack_user_id: &str,
        switch: NotifySwitch,
        on: bool,
    ) -> Result<NotifySettings, StoreError> {
        // One statement that sets only the chosen switch, so two quick
        // changes of different switches both hold.
        let (column, assigned, regressions) = match switch {
            NotifySwitch::Assigned => ("assigned", i64::from(on), 1),
            NotifySwitch::Regressions => ("regressions", 1, i64::from(on)),
        };
        sqlx::query(&format!(
            "INSERT INTO notify_settings (slack_user_id, assigned, regressions, updated_at_ms) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (slack_user_id) DO UPDATE SET \
             {column} = excluded.{column}, updated_at_ms = excluded.updated_at_ms"
        ))
        .bind(slack_user_id)
        .bind(assigned)
        .bind(regressions)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        let settings = self.notify_settings(slack_user_id).await?;
        Ok(settings)
    }

    /// Records that `org`'s issue is now assigned to `assignee` (an actor
    /// like `user:42`, or empty); returns whether that is a change from what
    /// was last observed. Atomic across replicas: of several that observe
    /// the same assignment, one sees it change, and only that one plans the
    /// assignee's DM.
    pub async fn observe_assignee(
        &self,
        org: &str,
        issue_id: &str,
        assignee: &str,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO issue_assignees (org_slug, issue_id, assignee, changed_at_ms) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (org_slug, issue_id) DO NOTHING",
        )
        .bind(org)
        .bind(issue_id)
        .bind(assignee)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let changed = if inserted > 0 {
            true
        } else {
            sqlx::query(
                "UPDATE issue_assignees SET assignee = $1, changed_at_ms = $2 \
                 WHERE org_slug = $3 AND issue_id = $4 AND assignee <> $1",
            )
            .bind(assignee)
            .bind(now)
            .bind(org)
            .bind(issue_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                > 0
        };
        tx.commit().await?;
        Ok(changed)
    }

    /// Plans a personal notice unless one with its key is recorded; true
    /// when planned.
    pub async fn plan_personal(&self, notice: &AlertRow) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        let inserted = insert_alert(&mut tx, notice).await?;
        tx.commit().await?;
        Ok(inserted > 0)
    }

    /// The person's latest DM, when it was first posted since `since_ms`
    /// (later notices fold into it).
    pub async fn open_dm(
        &self,
        outbox: &str,
        since_ms: i64,
    ) -> Result<Option<OpenDigest>, StoreError> {
        // The window runs from the DM's first post, not its last redraw.
        self.latest_gathered(outbox, "dm", "posted_at_ms", since_ms)
            .await
    }

    /// Claims, under one token, the person's pending notices that no other
    /// replica holds, oldest first.
    pub async fn claim_personal(
        &self,
        outbox: &str,
        holder: &str,
        ttl_ms: i64,
    ) -> Result<(Claim, Vec<AlertRow>), StoreError> {
        self.claim_pending(outbox, "kind = 'personal'", &[], holder, ttl_ms)
            .await
    }
}
