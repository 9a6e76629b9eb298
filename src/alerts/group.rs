//! Subscriptions grouped by (org, project, query), so each group costs one
//! Sentry call however many channels share it. Pure.

use std::collections::BTreeMap;

use crate::store::SubscriptionRow;

/// One (org, project, query) and the subscriptions that share it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Group {
    /// Org slug.
    pub org: String,
    /// Project slug.
    pub project_slug: String,
    /// Project id.
    pub project_id: String,
    /// Sentry search query.
    pub query: String,
    /// Every subscription of the group.
    pub subs: Vec<SubscriptionRow>,
}

impl Group {
    /// The group's lease key.
    pub(crate) fn lease_key(&self) -> String {
        format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}",
            self.org, self.project_slug, self.project_id, self.query
        )
    }
}

/// Groups subscriptions by (org, project, query), in a stable order. Pure.
pub(crate) fn group(subs: Vec<SubscriptionRow>) -> Vec<Group> {
    let mut groups: BTreeMap<(String, String, String, String), Vec<SubscriptionRow>> =
        BTreeMap::new();
    for sub in subs {
        let key = (
            sub.org_slug.clone(),
            sub.project_slug.clone(),
            sub.project_id.clone(),
            sub.query.clone(),
        );
        groups.entry(key).or_default().push(sub);
    }
    groups
        .into_iter()
        .map(|((org, project_slug, project_id, query), subs)| Group {
            org,
            project_slug,
            project_id,
            query,
            subs,
        })
        .collect()
}
