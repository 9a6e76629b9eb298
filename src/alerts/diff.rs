//! What one poll means for one subscription: which issues are new, which
//! came back, and what to remember. Pure.

use std::collections::HashMap;

use crate::slack::time::parse_rfc3339_ms;

/// Issues first seen this long before a subscription still count as new:
/// the baseline taken when subscribing holds the older ones, and Sentry's
/// clock may run behind the bot's.
pub(crate) const CLOCK_GRACE_MS: i64 = 60_000;
use crate::sentry::models::Issue;
use crate::store::SubscriptionRow;

/// An alert a poll calls for.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Planned {
    /// A new issue, posted on its own.
    New(Issue),
    /// A resolved or archived issue that is unresolved again.
    Regressed(Issue),
    /// An open issue Sentry now marks as escalating (its events spiked).
    Escalated(Issue),
    /// More new issues than the subscription's digest limit, posted as one.
    Digest(Vec<Issue>),
    /// An older issue that newly matches a query routing a team's issues
    /// here (`assigned:#backend`): it was assigned to the team.
    Routed(Issue),
}

/// The outcome of diffing one page of issues against what a subscription saw.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Plan {
    /// Issue id → status to remember.
    pub seen: Vec<(String, String)>,
    /// Alerts to post.
    pub alerts: Vec<Planned>,
    /// Known issues that turned this poll: (issue id, what they turned
    /// into, `regressed` or [`ESCALATING`]). First sightings are not turns.
    pub turned: Vec<(String, String)>,
}

/// Something a poll saw that an issue's assignee should hear about.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ForAssignee {
    /// A new issue that arrived assigned (an auto-assignment rule).
    ArrivedAssigned(Issue),
    /// An assigned issue that came back.
    CameBack(Issue),
    /// An assigned issue Sentry marked as escalating (its events spiked,
    /// or it came back from "archived until escalating").
    Escalated(Issue),
    /// An issue whose assignee changed (or who was unassigned).
    Reassigned(Issue),
}

/// What in `plan` (diffed from `page`) an assignee should hear about,
/// whether or not the subscription alerts regressions.
pub(crate) fn for_assignees(plan: &Plan, page: &[Issue]) -> Vec<ForAssignee> {
    let assigned = |id: &str| {
        page.iter()
            .find(|i| i.id == id && i.assigned_to.is_some())
            .cloned()
    };
    let mut found: Vec<ForAssignee> = plan
        .turned
        .iter()
        .filter_map(|(id, status)| match status.as_str() {
            "regressed" => assigned(id).map(ForAssignee::CameBack),
            ESCALATING => assigned(id).map(ForAssignee::Escalated),
            _ => None,
        })
        .collect();
    for planned in &plan.alerts {
        let issues = match planned {
            Planned::New(issue) => std::slice::from_ref(issue),
            Planned::Digest(issues) => issues.as_slice(),
            Planned::Regressed(_) | Planned::Escalated(_) | Planned::Routed(_) => &[],
        };
        found.extend(
            issues
                .iter()
                .filter(|i| i.assigned_to.is_some())
                .cloned()
                .map(ForAssignee::ArrivedAssigned),
        );
    }
    found
}

/// Remembered while Sentry says an open issue is escalating, so its
/// assignee hears of each escalation once.
const ESCALATING: &str = "escalating";

/// Status as remembered: Sentry's status, or `regressed` once alerted as
/// such, or [`ESCALATING`].
fn status_of(issue: &Issue) -> &str {
    issue.status.as_deref().unwrap_or("unresolved")
}

/// What to remember of an issue seen for the first time (or in a
/// subscribe baseline): an issue already escalating or regressed is
/// remembered as such, so its spike or comeback is not news later.
pub(crate) fn first_remembered(issue: &Issue) -> &str {
    let status = status_of(issue);
    match issue.substatus.as_deref() {
        _ if is_closed(status) => status,
        Some(ESCALATING) => ESCALATING,
        Some("regressed") => "regressed",
        _ => status,
    }
}

/// Whether a remembered status is resolved or archived.
pub(crate) fn is_closed(status: &str) -> bool {
    matches!(status, "resolved" | "ignored" | "muted")
}

/// Diffs `page` (newest activity first) against `seen` for `sub`.
pub(crate) fn diff(sub: &SubscriptionRow, seen: &HashMap<String, String>, page: &[Issue]) -> Plan {
    let mut plan = Plan::default();
    let mut new_issues = Vec::new();
    // Every issue that matched when subscribing is in the baseline, so an
    // older one that appears now was assigned to the team since.
    // (A baseline cut short at the read bound would make that a guess.)
    let routed = sub.baseline_complete && crate::sentry::search::route(&sub.query).is_some();
    for issue in page {
        let status = status_of(issue);
        let regressed_now = issue.substatus.as_deref() == Some("regressed");
        let escalating_now = !is_closed(status) && issue.substatus.as_deref() == Some(ESCALATING);
        match seen.get(&issue.id).map(String::as_str) {
            None => {
                // Issues that existed before the subscription are its baseline.
                let first_seen_ms = issue.first_seen.as_deref().and_then(parse_rfc3339_ms);
                let is_new =
                    first_seen_ms.is_none_or(|ms| ms >= sub.created_at_ms - CLOCK_GRACE_MS);
                if is_new && !is_closed(status) {
                    new_issues.push(issue.clone());
                } else if routed && !is_closed(status) {
                    plan.alerts.push(Planned::Routed(issue.clone()));
                }
                plan.seen
                    .push((issue.id.clone(), first_remembered(issue).to_string()));
            }
            Some(before) if is_closed(before) && !is_closed(status) => {
                if sub.regressions {
                    plan.alerts.push(Planned::Regressed(issue.clone()));
                }
                // Back from "archived until escalating": its assignee hears
                // that it escalates, once.
                let remembered = if escalating_now {
                    ESCALATING
                } else {
                    "regressed"
                };
                plan.seen.push((issue.id.clone(), remembered.to_string()));
                plan.turned.push((issue.id.clone(), remembered.to_string()));
            }
            Some("unresolved" | ESCALATING) if regressed_now => {
                // Resolved and back between two polls, seen only by its
                // substatus; remembered either way, so its assignee hears of it.
                if sub.regressions {
                    plan.alerts.push(Planned::Regressed(issue.clone()));
                }
                plan.seen.push((issue.id.clone(), "regressed".to_string()));
                plan.turned
                    .push((issue.id.clone(), "regressed".to_string()));
            }
            Some(before) if escalating_now && before != ESCALATING => {
                // An open issue whose events spiked: the channel hears of
                // it as of a regression (in the alert's thread, shown in
                // the channel), and so does its assignee.
                if sub.regressions {
                    plan.alerts.push(Planned::Escalated(issue.clone()));
                }
                plan.seen.push((issue.id.clone(), ESCALATING.to_string()));
                plan.turned.push((issue.id.clone(), ESCALATING.to_string()));
            }
            Some(before) => {
                let keep = match before {
                    ESCALATING if escalating_now => before,
                    "regressed" if !is_closed(status) => before,
                    _ => status,
                };
                if keep != before {
                    plan.seen.push((issue.id.clone(), keep.to_string()));
                }
            }
        }
    }
    let limit = usize::try_from(sub.digest).unwrap_or(usize::MAX);
    if new_issues.len() > limit {
        plan.alerts.push(Planned::Digest(new_issues));
    } else {
        // Oldest first, so the channel reads in the order they happened.
        plan.alerts
            .extend(new_issues.into_iter().rev().map(Planned::New));
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sub(created_at_ms: i64) -> SubscriptionRow {
        SubscriptionRow {
            id: "s1".into(),
            team_id: "T".into(),
            channel_id: "C".into(),
            org_slug: "acme".into(),
            project_slug: "api".into(),
            project_id: "1".into(),
            query: "is:unresolved".into(),
            regressions: true,
            digest: 3,
            threads: crate::store::ThreadPolicy::Thread,
            created_by: "U".into(),
            created_at_ms,
            relink_notified: false,
            baseline_complete: true,
            mention: crate::store::MentionPolicy::Assignee,
        }
    }

    fn issue(id: &str, first_seen: &str, status: &str, substatus: Option<&str>) -> Issue {
        serde_json::from_value(json!({
            "id": id, "title": format!("issue {id}"), "firstSeen": first_seen, "status": status, "substatus": substatus
        }))
        .unwrap()
    }

    const CREATED: i64 = 1_764_374_400_000; // 2025-11-29T00:00:00Z

    #[test]
    fn baseline_issues_are_remembered_not_posted() {
        let page = [
            issue("2", "2025-11-29T00:05:00Z", "unresolved", Some("new")),
            issue("1", "2025-11-20T00:00:00Z", "unresolved", Some("ongoing")),
        ];
        let plan = diff(&sub(CREATED), &HashMap::new(), &page);
        assert_eq!(plan.alerts, [Planned::New(page[0].clone())]);
        assert_eq!(plan.seen.len(), 2);
    }

    #[test]
    fn a_team_query_posts_older_issues_that_join_it_only_after_a_complete_baseline() {
        let older = [issue("1", "2025-11-20T00:00:00Z", "unresolved", None)];
        let team = SubscriptionRow {
            query: "assigned:#backend".into(),
            ..sub(CREATED)
        };
        let plan = diff(&team, &HashMap::new(), &older);
        assert_eq!(plan.alerts, [Planned::Routed(older[0].clone())]);
        let cut_short = SubscriptionRow {
            baseline_complete: false,
            ..team
        };
        let plan = diff(&cut_short, &HashMap::new(), &older);
        assert!(plan.alerts.is_empty(), "{:?}", plan.alerts);
        assert_eq!(plan.seen.len(), 1, "remembered as baseline");
    }

    #[test]
    fn known_issues_are_not_posted_again() {
        let page = [issue("2", "2025-11-29T00:05:00Z", "unresolved", None)];
        let seen = HashMap::from([("2".to_string(), "unresolved".to_string())]);
        let plan = diff(&sub(CREATED), &seen, &page);
        assert!(plan.alerts.is_empty());
        assert!(plan.seen.is_empty(), "nothing changed, nothing to write");
    }

    #[test]
    fn regressions_are_alerted_once() {
        let back = issue("2", "2025-11-29T00:05:00Z", "unresolved", Some("regressed"));
        let seen = HashMap::from([("2".to_string(), "resolved".to_string())]);
        let plan = diff(&sub(CREATED), &seen, std::slice::from_ref(&back));
        assert_eq!(plan.alerts, [Planned::Regressed(back.clone())]);
        assert_eq!(plan.seen, [("2".to_string(), "regressed".to_string())]);
        // Next poll: remembered as regressed, nothing more.
        let seen = HashMap::from([("2".to_string(), "regressed".to_string())]);
        assert!(diff(&sub(CREATED), &seen, std::slice::from_ref(&back))
            .alerts
            .is_empty());
        // Resolved and back between polls, visible only in the substatus.
        let seen = HashMap::from([("2".to_string(), "unresolved".to_string())]);
        assert_eq!(
            diff(&sub(CREATED), &seen, std::slice::from_ref(&back))
                .alerts
                .len(),
            1
        );
        // Opted out.
        let mut quiet = sub(CREATED);
        quiet.regressions = false;
        let seen = HashMap::from([("2".to_string(), "resolved".to_string())]);
        assert!(diff(&quiet, &seen, &[back]).alerts.is_empty());
    }

    #[test]
    fn more_new_issues_than_the_limit_become_one_digest_oldest_last() {
        let page: Vec<Issue> = (0..5)
            .map(|i| {
                issue(
                    &format!("{}", 10 - i),
                    "2025-11-29T01:00:00Z",
                    "unresolved",
                    None,
                )
            })
            .collect();
        let plan = diff(&sub(CREATED), &HashMap::new(), &page);
        assert_eq!(plan.alerts.len(), 1);
        let Planned::Digest(issues) = &plan.alerts[0] else {
            panic!("digest expected")
        };
        assert_eq!(issues.len(), 5);
        // At the limit, one message each, oldest first.
        let plan = diff(&sub(CREATED), &HashMap::new(), &page[..3]);
        let ids: Vec<&str> = plan
            .alerts
            .iter()
            .map(|a| match a {
                Planned::New(i) => i.id.as_str(),
                _ => "?",
            })
            .collect();
        assert_eq!(ids, ["8", "9", "10"]);
    }

    #[test]
    fn assignees_hear_of_new_assigned_issues_and_comebacks_even_without_regression_alerts() {
        let assigned = |id: &str, status: &str| -> Issue {
            serde_json::from_value(serde_json::json!({
                "id": id, "title": "x", "status": status,
                "assignedTo": { "type": "user", "id": "7" }
            }))
            .unwrap()
        };
        let unassigned: Issue =
            serde_json::from_value(serde_json::json!({ "id": "3", "title": "x" })).unwrap();
        let page = vec![
            assigned("1", "unresolved"),
            assigned("2", "unresolved"),
            unassigned,
        ];
        let plan = Plan {
            seen: vec![
                ("2".into(), "regressed".into()),
                ("3".into(), "unresolved".into()),
            ],
            alerts: vec![Planned::New(page[0].clone()), Planned::New(page[2].clone())],
            turned: vec![("2".into(), "regressed".into())],
        };
        assert_eq!(
            for_assignees(&plan, &page),
            [
                ForAssignee::CameBack(page[1].clone()),
                ForAssignee::ArrivedAssigned(page[0].clone()),
            ]
        );
    }

    #[test]
    fn an_escalation_is_remembered_once_per_spike_and_told_to_the_assignee() {
        let with = |substatus: &str, status: &str| -> Issue {
            serde_json::from_value(json!({
                "id": "4", "title": "x", "firstSeen": "2025-11-20T00:00:00Z",
                "status": status, "substatus": substatus,
                "assignedTo": { "type": "user", "id": "7" }
            }))
            .unwrap()
        };
        let seen = |status: &str| HashMap::from([("4".to_string(), status.to_string())]);
        let spiking = with("escalating", "unresolved");
        // An open issue that escalates: remembered, one escalation alert
        // for the channel, its assignee told.
        let plan = diff(
            &sub(CREATED),
            &seen("unresolved"),
            std::slice::from_ref(&spiking),
        );
        assert_eq!(plan.alerts, [Planned::Escalated(spiking.clone())]);
        // Without regression alerts the channel hears of it neither.
        let quiet = SubscriptionRow {
            regressions: false,
            ..sub(CREATED)
        };
        let unalerted = diff(&quiet, &seen("unresolved"), std::slice::from_ref(&spiking));
        assert!(unalerted.alerts.is_empty());
        assert_eq!(unalerted.turned, plan.turned);
        assert_eq!(plan.seen, [("4".to_string(), "escalating".to_string())]);
        assert_eq!(
            for_assignees(&plan, std::slice::from_ref(&spiking)),
            [ForAssignee::Escalated(spiking.clone())]
        );
        // Still escalating next poll: nothing new.
        let again = diff(
            &sub(CREATED),
            &seen("escalating"),
            std::slice::from_ref(&spiking),
        );
        assert!(again.seen.is_empty() && again.alerts.is_empty());
        // It calms down, and a later spike is told again.
        let calm = with("ongoing", "unresolved");
        let plan = diff(
            &sub(CREATED),
            &seen("escalating"),
            std::slice::from_ref(&calm),
        );
        assert_eq!(plan.seen, [("4".to_string(), "unresolved".to_string())]);
        // A regressed issue that escalates is told too.
        let plan = diff(
            &sub(CREATED),
            &seen("regressed"),
            std::slice::from_ref(&spiking),
        );
        assert_eq!(plan.seen, [("4".to_string(), "escalating".to_string())]);
        // Back from "archived until escalating": the channel's regression
        // alert, and one escalation for the assignee, not also a comeback.
        let plan = diff(
            &sub(CREATED),
            &seen("ignored"),
            std::slice::from_ref(&spiking),
        );
        assert_eq!(plan.alerts, [Planned::Regressed(spiking.clone())]);
        assert_eq!(
            for_assignees(&plan, std::slice::from_ref(&spiking)),
            [ForAssignee::Escalated(spiking.clone())]
        );
        let next = diff(
            &sub(CREATED),
            &seen("escalating"),
            std::slice::from_ref(&spiking),
        );
        assert!(next.seen.is_empty() && next.alerts.is_empty());
        // Escalating, then resolved and back between polls: a regression.
        let back = with("regressed", "unresolved");
        let plan = diff(
            &sub(CREATED),
            &seen("escalating"),
            std::slice::from_ref(&back),
        );
        assert_eq!(plan.alerts, [Planned::Regressed(back.clone())]);
        assert_eq!(plan.seen, [("4".to_string(), "regressed".to_string())]);
        // Already escalating when first seen (a baseline): remembered so,
        // and its spike is not news at the next poll.
        let baseline = diff(
            &sub(CREATED),
            &HashMap::new(),
            std::slice::from_ref(&spiking),
        );
        assert_eq!(baseline.seen, [("4".to_string(), "escalating".to_string())]);
        assert!(for_assignees(&baseline, std::slice::from_ref(&spiking)).is_empty());
        // An archived issue that Sentry still calls escalating is closed.
        let archived = with("escalating", "ignored");
        let plan = diff(
            &sub(CREATED),
            &seen("ignored"),
            std::slice::from_ref(&archived),
        );
        assert!(plan.seen.is_empty());
    }
}
