//! Plans personal notices into the outbox: an issue assigned to someone
//! (seen from a click, a Sentry webhook, a poll or an auto-assignment),
//! and an issue of theirs that came back. Delivery, and folding a window's
//! notices into one DM, is the outbox's (`alerts::personal`).
//!
//! An assignment is announced once however many places see it: the store
//! keeps the assignee last observed for each issue, and only the observer
//! that changes it plans the notice. A click records its change as soon as
//! Sentry accepts it, before Sentry's own webhook about it can arrive.

use std::time::Duration;

use crate::orgs::people::{Directory, Services};
use crate::people::notice::{By, Notice, Reason};
use crate::sentry::models::Issue;
use crate::store::{now_ms, person_outbox, AlertKind, AlertRow, AlertState, Snapshot, StoreError};

/// How long finding the person in Slack may take before the notice is
/// given up (a DM that cannot be addressed cannot be sent).
const FIND_WAIT: Duration = Duration::from_secs(4);

/// Who changed an assignment, as far as the observer knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Assigner<'a> {
    /// A Slack user, from a card's controls.
    Slack(&'a str),
    /// A Sentry user (webhook `actor`): their user id and name, when given.
    Sentry {
        /// Sentry user id.
        user_id: Option<&'a str>,
        /// Display name, untrusted.
        name: Option<&'a str>,
    },
    /// Nobody said (a poll saw the change).
    Unknown,
}

/// What planning needs: the services to find people and the outbox.
#[derive(Clone, Copy)]
pub(crate) struct Notifier<'a> {
    /// Sentry members, the store, Slack users.
    pub services: Services<'a>,
    /// Who is who, cached.
    pub directory: &'a Directory,
}

/// The actor an issue is assigned to (`user:42`, `team:5`), or empty.
pub(crate) fn assignee_actor(issue: &Issue) -> String {
    issue
        .assigned_to
        .as_ref()
        .and_then(|a| {
            let id = a.id.as_deref().filter(|id| !id.is_empty())?;
            Some(format!("{}:{id}", a.kind.as_deref().unwrap_or("user")))
        })
        .unwrap_or_default()
}

impl Notifier<'_> {
    /// Records that `org`'s `issue` is now assigned as it shows and, when
    /// that is a change, plans the assignee's DM ([`Self::assignment_changed`]).
    /// Returns whether a DM was planned.
    pub(crate) async fn assignment_seen(
        &self,
        org: &str,
        issue: &Issue,
        by: Assigner<'_>,
    ) -> Result<bool, StoreError> {
        let actor = assignee_actor(issue);
        let changed = self
            .services
            .store
            .observe_assignee(org, &issue.id, &actor)
            .await?;
        if !changed {
            return Ok(false);
        }
        self.assignment_changed(org, issue, by).await
    }

    /// Plans a DM to the assignee of `issue`, whose assignment this caller
    /// saw change (it won [`Store::observe_assignee`](crate::store::Store::observe_assignee)),
    /// when they are a person the bot knows in Slack, did not assign it
    /// themselves, and want these. Returns whether a DM was planned.
    pub(crate) async fn assignment_changed(
        &self,
        org: &str,
        issue: &Issue,
        by: Assigner<'_>,
    ) -> Result<bool, StoreError> {
        let Some(person) = self.person_for(org, issue).await else {
            return Ok(false);
        };
        if assigned_themselves(issue, &person, by)
            || !self.services.store.notify_settings(&person).await?.assigned
        {
            return Ok(false);
        }
        let by = match by {
            Assigner::Slack(user) => Some(By::Slack(user.to_string())),
            Assigner::Sentry { name, .. } => name.map(|n| By::Sentry(n.to_string())),
            Assigner::Unknown => None,
        };
        let notice = Notice {
            org: org.to_string(),
            issue: issue.clone(),
            reason: Reason::Assigned,
            by,
        };
        let actor = assignee_actor(issue);
        let row = notice_row(&person, &notice, format!("assigned:{actor}:{}", now_ms()));
        let planned = self.services.store.plan_personal(&row).await?;
        if planned {
            tracing::info!(org, issue = %issue.id, "assignment DM planned");
        }
        Ok(planned)
    }

    /// Plans a DM to the assignee of `issue`, which came back or is
    /// escalating (`reason`; `lastSeen` tells one from the next), when they
    /// want these. Several channels' sight of it are one DM.
    pub(crate) async fn comeback_seen(
        &self,
        org: &str,
        issue: &Issue,
        reason: Reason,
    ) -> Result<bool, StoreError> {
        let Some(person) = self.person_for(org, issue).await else {
            return Ok(false);
        };
        if !self
            .services
            .store
            .notify_settings(&person)
            .await?
            .regressions
        {
            return Ok(false);
        }
        let notice = Notice {
            org: org.to_string(),
            issue: issue.clone(),
            reason,
            by: None,
        };
        // A comeback is told once per `lastSeen`; an escalation, whose
        // `lastSeen` moves every second and is seen at different moments by
        // each subscription and replica, once per issue per UTC day.
        let key = match reason {
            Reason::Escalated => format!("escalated:{}", now_ms() / 86_400_000),
            Reason::Regressed | Reason::Assigned => {
                format!("regressed:{}", issue.last_seen.clone().unwrap_or_default())
            }
        };
        let kind = key.split(':').next().unwrap_or_default().to_string();
        let row = notice_row(&person, &notice, key);
        let planned = self.services.store.plan_personal(&row).await?;
        if planned {
            tracing::info!(org, issue = %issue.id, kind, "comeback DM planned");
        }
        Ok(planned)
    }

    async fn person_for(&self, org: &str, issue: &Issue) -> Option<String> {
        issue.assigned_to.as_ref()?;
        let found = self
            .directory
            .assignee_slack_user(self.services, org, issue);
        tokio::time::timeout(FIND_WAIT, found)
            .await
            .unwrap_or_else(|_| {
                tracing::info!(issue = %issue.id, "finding the assignee in Slack took too long; no DM");
                None
            })
    }
}

/// Whether the assignee made the assignment themselves.
fn assigned_themselves(issue: &Issue, person: &str, by: Assigner<'_>) -> bool {
    match by {
        Assigner::Slack(user) => user == person,
        Assigner::Sentry {
            user_id: Some(user_id),
            ..
        } => issue
            .assigned_to
            .as_ref()
            .and_then(|a| a.id.as_deref())
            .is_some_and(|id| id == user_id),
        Assigner::Sentry { user_id: None, .. } | Assigner::Unknown => false,
    }
}

/// A personal notice's outbox row: drained like a channel, the person's
/// user id standing for the DM channel until Slack names it.
fn notice_row(person: &str, notice: &Notice, dedup_key: String) -> AlertRow {
    AlertRow {
        subscription_id: person_outbox(person),
        issue_id: notice.issue.id.clone(),
        kind: AlertKind::Personal,
        dedup_key,
        channel_id: person.to_string(),
        org_slug: notice.org.clone(),
        payload: notice.payload(),
        state: AlertState::Pending,
        thread_ts: None,
        ts: None,
        status_snapshot: Snapshot::default(),
        attempts: 0,
        created_at_ms: now_ms(),
        posted_at_ms: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assigned(kind: &str, id: &str) -> Issue {
        serde_json::from_value(serde_json::json!({
            "id": "1", "title": "Boom", "assignedTo": { "type": kind, "id": id, "name": "Ann" }
        }))
        .expect("issue")
    }

    #[test]
    fn actors_name_the_kind_and_id() {
        assert_eq!(assignee_actor(&assigned("user", "42")), "user:42");
        assert_eq!(assignee_actor(&assigned("team", "5")), "team:5");
        let unassigned: Issue =
            serde_json::from_value(serde_json::json!({ "id": "1", "title": "x" })).unwrap();
        assert_eq!(assignee_actor(&unassigned), "");
    }

    #[test]
    fn assigning_yourself_is_recognised_from_slack_and_from_sentry() {
        let issue = assigned("user", "42");
        assert!(assigned_themselves(&issue, "U1", Assigner::Slack("U1")));
        assert!(!assigned_themselves(&issue, "U1", Assigner::Slack("U2")));
        let by_sentry = |id| Assigner::Sentry {
            user_id: Some(id),
            name: None,
        };
        assert!(assigned_themselves(&issue, "U1", by_sentry("42")));
        assert!(!assigned_themselves(&issue, "U1", by_sentry("7")));
        assert!(!assigned_themselves(&issue, "U1", Assigner::Unknown));
    }
}
