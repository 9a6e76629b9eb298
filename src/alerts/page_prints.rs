//! Quiet groups: most ticks list the same page as the tick before. Diffing
//! a page against what the subscriptions have seen is idempotent once its
//! outcome is recorded, so when a group's first page and subscriptions are
//! exactly as they were at its last complete poll, and this replica has
//! held the group's lease since, the diff (and the query it needs) would
//! plan nothing, and status sync, which compares the same issues with what
//! their alerts show, would redraw nothing: the poll skips both.
//!
//! A webhook of the group's org since the page was remembered also forces
//! the full path, since it may have changed what was seen or shown. A
//! changed page — a new issue, a status, a substatus, an assignee — always
//! takes the full path.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use crate::alerts::group::Group;
use crate::sentry::models::Issue;

/// The last fully recorded page of each group this replica polls.
#[derive(Debug, Default)]
pub(crate) struct PagePrints {
    /// Group → (print, Unix ms when remembered).
    by_group: Mutex<HashMap<String, (u64, i64)>>,
}

impl PagePrints {
    /// Whether `group`'s page has the same print as at its last complete
    /// poll, and no webhook of its org arrived since (`webhook_arrival`,
    /// Unix ms): a webhook may have changed what was seen or shown.
    pub(crate) fn unchanged(
        &self,
        group_key: &str,
        print: u64,
        webhook_arrival: Option<i64>,
    ) -> bool {
        self.lock().get(group_key).is_some_and(|(known, at)| {
            *known == print && webhook_arrival.is_none_or(|arrival| arrival < *at)
        })
    }

    /// Remembers a page whose diff was recorded in full.
    pub(crate) fn remember(&self, group_key: String, print: u64) {
        self.lock()
            .insert(group_key, (print, crate::store::now_ms()));
    }

    /// Forgets a group, so its next poll diffs in full.
    pub(crate) fn forget(&self, group_key: &str) {
        self.lock().remove(group_key);
    }

    /// Drops groups that no longer exist.
    pub(crate) fn keep_only(&self, group_keys: impl IntoIterator<Item = String>) {
        let keep: std::collections::HashSet<String> = group_keys.into_iter().collect();
        self.lock().retain(|key, _| keep.contains(key));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u64, i64)>> {
        self.by_group.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A print of everything a diff of `page` for `group`, and a status sync
/// of its posted alerts, read: each subscription's settings and each
/// issue's id, status, substatus, first-seen time and assignee. Pure.
pub(crate) fn print(group: &Group, page: &[Issue]) -> u64 {
    let mut hasher = DefaultHasher::new();
    for sub in &group.subs {
        (
            &sub.id,
            sub.created_at_ms,
            sub.regressions,
            sub.digest,
            sub.relink_notified,
        )
            .hash(&mut hasher);
    }
    // In order of id: a busy project's page reorders by activity on every
    // tick, and neither the diff nor status sync depends on the order.
    let mut facts: Vec<_> = page
        .iter()
        .map(|issue| {
            (
                &issue.id,
                &issue.status,
                &issue.substatus,
                &issue.first_seen,
                crate::alerts::messages::snapshot(issue),
            )
        })
        .collect();
    facts.sort_unstable();
    facts.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::schedule::tests::sub;

    fn group() -> Group {
        crate::alerts::group::group(vec![sub("1", "acme", "api", "is:unresolved")]).remove(0)
    }

    fn issue(id: &str, status: &str) -> Issue {
        serde_json::from_value(serde_json::json!({
            "id": id, "title": "t", "status": status, "firstSeen": "2026-11-29T00:00:00Z"
        }))
        .expect("issue")
    }

    #[test]
    fn any_fact_a_diff_reads_changes_the_print() {
        let g = group();
        let page = vec![issue("1", "unresolved"), issue("2", "unresolved")];
        let base = print(&g, &page);
        assert_eq!(base, print(&g, &page.clone()), "stable");
        let resolved = vec![issue("1", "resolved"), issue("2", "unresolved")];
        assert_ne!(base, print(&g, &resolved), "a status");
        let more = vec![issue("3", "unresolved"), issue("1", "unresolved")];
        assert_ne!(base, print(&g, &more), "a new issue");
        let reordered = vec![issue("2", "unresolved"), issue("1", "unresolved")];
        assert_eq!(base, print(&g, &reordered), "activity reorders pages");
        let mut regressed = page.clone();
        regressed[0].substatus = Some("regressed".into());
        assert_ne!(base, print(&g, &regressed), "a substatus");
        let mut joined = g.clone();
        let mut second = joined.subs[0].clone();
        second.id = "s2".into();
        joined.subs.push(second);
        assert_ne!(base, print(&joined, &page), "a new subscription");
    }

    #[test]
    fn a_remembered_print_matches_until_forgotten() {
        let prints = PagePrints::default();
        assert!(!prints.unchanged("g", 7, None));
        prints.remember("g".into(), 7);
        assert!(prints.unchanged("g", 7, None));
        assert!(!prints.unchanged("g", 8, None));
        assert!(prints.unchanged("g", 7, Some(0)), "a webhook long before");
        let later = crate::store::now_ms() + 1;
        assert!(!prints.unchanged("g", 7, Some(later)), "a webhook since");
        prints.forget("g");
        assert!(!prints.unchanged("g", 7, None));
        prints.remember("g".into(), 7);
        prints.remember("gone".into(), 9);
        prints.keep_only(["g".to_string()]);
        assert!(prints.unchanged("g", 7, None) && !prints.unchanged("gone", 9, None));
    }
}
