//! Which groups a tick polls: subscriptions grouped by (org, project,
//! query) so each group costs one Sentry call however many channels share
//! it; orgs that failed wait on their own schedule; and a lease per group
//! so one replica polls it at a time (a dead replica's lease expires).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crate::alerts::context::{millis, Context};
use crate::alerts::group::{group, Group};
use crate::store::Lease;

/// Every group, or `None` when subscriptions cannot be read.
pub(crate) async fn due_groups(ctx: &Context) -> Option<Vec<Group>> {
    match ctx.store.subscriptions().await {
        Ok(subs) => Some(group(subs)),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read subscriptions");
            None
        }
    }
}

/// The leases this replica renewed at the start of a tick, all at once.
#[derive(Debug)]
pub(crate) struct Renewed {
    keys: HashSet<String>,
    at: tokio::time::Instant,
    /// When each org's webhooks last arrived (Unix ms), read with the leases.
    webhook_arrivals: HashMap<String, i64>,
}

impl Renewed {
    /// Nothing renewed: every group asks for its own lease.
    pub(crate) fn none() -> Self {
        Self {
            keys: HashSet::new(),
            at: tokio::time::Instant::now(),
            webhook_arrivals: HashMap::new(),
        }
    }

    /// When `org`'s webhooks last arrived, Unix ms.
    pub(crate) fn webhook_arrival(&self, org: &str) -> Option<i64> {
        self.webhook_arrivals.get(org).copied()
    }

    /// Whether `group`'s lease was renewed recently enough to poll on it:
    /// within half an interval, so a long tick asks again for late groups.
    fn covers(&self, group: &Group, interval: Duration) -> bool {
        self.at.elapsed() < interval / 2 && self.keys.contains(&group.lease_key())
    }
}

/// Renews, in a few statements, the leases this replica already holds on
/// `groups`; a group not renewed here takes its own turn in [`take_turn`].
/// `webhook_arrivals` (org → Unix ms) travels with it to the quiet check.
pub(crate) async fn renew_held(
    ctx: &Context,
    groups: &[Group],
    webhook_arrivals: HashMap<String, i64>,
) -> Renewed {
    // A backing-off org's leases run out, so another replica may poll it.
    let keys: Vec<String> = groups
        .iter()
        .filter(|g| !ctx.state.backoffs.backing_off(&g.org))
        .map(Group::lease_key)
        .collect();
    let at = tokio::time::Instant::now();
    match ctx
        .store
        .renew_leases(&keys, &ctx.state.replica, millis(lease_ttl(ctx)))
        .await
    {
        Ok(keys) => Renewed {
            keys,
            at,
            webhook_arrivals,
        },
        Err(e) => {
            tracing::warn!(error = %e, "cannot renew poll leases; asking group by group");
            Renewed {
                webhook_arrivals,
                ..Renewed::none()
            }
        }
    }
}

fn lease_ttl(ctx: &Context) -> Duration {
    ctx.interval.mul_f32(1.5)
}

/// Whether this replica holds a group's lease since its last poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Turn {
    /// It held the lease before, so nothing but this replica's polls (and
    /// webhooks, which only add to what was seen) touched the group since.
    Continued,
    /// It has just taken the lease; another replica may have polled since.
    Fresh,
}

/// This replica's turn at `group`, or `None` when its org is backing off
/// or another replica holds the lease.
pub(crate) async fn take_turn(ctx: &Context, group: &Group, renewed: &Renewed) -> Option<Turn> {
    if ctx.state.backoffs.backing_off(&group.org) {
        return None;
    }
    if renewed.covers(group, ctx.interval) {
        return Some(Turn::Continued);
    }
    let ttl = lease_ttl(ctx);
    match ctx
        .store
        .try_lease(&group.lease_key(), &ctx.state.replica, millis(ttl))
        .await
    {
        Ok(Lease::HeldElsewhere) => None,
        Ok(Lease::Acquired {
            from: Some(previous),
        }) => {
            tracing::info!(org = %group.org, project = %group.project_slug, %previous, "took over an expired poll lease");
            Some(Turn::Fresh)
        }
        Ok(Lease::Acquired { from: None }) => Some(Turn::Fresh),
        Ok(Lease::Renewed) => Some(Turn::Continued),
        Err(e) => {
            tracing::warn!(error = %e, "cannot take the poll lease");
            None
        }
    }
}

/// Renews the group's lease after a long read; false when another replica
/// took it over meanwhile (then this replica writes nothing for it).
pub(crate) async fn still_ours(ctx: &Context, group: &Group) -> bool {
    let ttl = lease_ttl(ctx);
    matches!(
        ctx.store
            .try_lease(&group.lease_key(), &ctx.state.replica, millis(ttl))
            .await,
        Ok(Lease::Renewed)
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::alerts::backoff::Backoffs;
    use crate::store::{MentionPolicy, SubscriptionRow, ThreadPolicy};

    /// A subscription of channel `C<id>`, for the poller's tests.
    pub(crate) fn sub(id: &str, org: &str, project: &str, query: &str) -> SubscriptionRow {
        SubscriptionRow {
            id: id.into(),
            team_id: "T".into(),
            channel_id: format!("C{id}"),
            org_slug: org.into(),
            project_slug: project.into(),
            project_id: format!("{project}-id"),
            query: query.into(),
            regressions: true,
            digest: 5,
            threads: ThreadPolicy::Thread,
            created_by: "U".into(),
            created_at_ms: 0,
            relink_notified: false,
            baseline_complete: true,
            mention: MentionPolicy::Assignee,
        }
    }

    #[test]
    fn subscriptions_that_share_org_project_and_query_share_a_group() {
        let groups = group(vec![
            sub("1", "acme", "api", "is:unresolved"),
            sub("2", "acme", "api", "is:unresolved"),
            sub("3", "acme", "api", "level:error"),
            sub("4", "beta", "api", "is:unresolved"),
        ]);
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[0].subs.len(), 2);
        assert_ne!(groups[0].lease_key(), groups[1].lease_key());
    }

    #[tokio::test(start_paused = true)]
    async fn failing_orgs_wait_longer_each_time_and_recover() {
        let backoffs = Backoffs::default();
        let interval = Duration::from_secs(1);
        backoffs.failed("acme", interval);
        assert!(backoffs.backing_off("acme"));
        assert!(!backoffs.backing_off("beta"));
        tokio::time::advance(Duration::from_millis(2100)).await;
        assert!(!backoffs.backing_off("acme"));
        backoffs.failed("acme", interval);
        tokio::time::advance(Duration::from_millis(2100)).await;
        assert!(backoffs.backing_off("acme"), "the second failure waits 4 s");
        backoffs.succeeded("acme");
        assert!(!backoffs.backing_off("acme"));
    }
}
