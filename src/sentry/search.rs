//! Whether a Sentry search query admits an issue, decided from the issue
//! alone where that is possible (webhooks carry the issue, not the
//! query's verdict). Pure.
//!
//! Only terms whose meaning the issue payload fully carries are judged
//! here; any other term (environment, release, free text, dates, …) makes
//! the answer [`Verdict::Unknown`], and the issue is left to the poller,
//! whose list call runs the query on Sentry's side. So a webhook never
//! posts an issue the subscription's query excludes.

use crate::sentry::models::Issue;

/// The outcome for one query and one issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Every term holds.
    Admits,
    /// Some term fails.
    Excludes,
    /// A term cannot be judged from the payload.
    Unknown,
}

/// Judges `query` against `issue`.
pub(crate) fn judge(query: &str, issue: &Issue) -> Verdict {
    let mut verdict = Verdict::Admits;
    for term in query.split_whitespace() {
        let (negated, term) = match term.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, term),
        };
        let Some(holds) = term_holds(term, issue) else {
            return Verdict::Unknown;
        };
        if holds == negated {
            verdict = Verdict::Excludes;
        }
    }
    verdict
}

/// Whether every term of `query` can be judged from an issue payload, so
/// webhooks alone serve its subscriptions (the poller is then a backstop).
pub(crate) fn judgeable(query: &str) -> bool {
    let probe = Issue::bare("", "");
    judge(query, &probe) != Verdict::Unknown
}

/// A query that routes a team's issues to a channel: `assigned:#team`, or
/// `assigned_or_suggested:#team` (also the team's suggested owners).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Route {
    /// The team's slug.
    pub team: String,
    /// Suggested owners count too.
    pub or_suggested: bool,
}

/// The team `query` routes by, when one of its terms selects issues by
/// assignment to a team.
pub(crate) fn route(query: &str) -> Option<Route> {
    query.split_whitespace().find_map(|term| {
        let (key, value) = term.split_once(':')?;
        let or_suggested = match key {
            "assigned" => false,
            "assigned_or_suggested" => true,
            _ => return None,
        };
        let team = value.strip_prefix('#')?;
        let valid = !team.is_empty()
            && team
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        valid.then(|| Route {
            team: team.to_string(),
            or_suggested,
        })
    })
}

fn term_holds(term: &str, issue: &Issue) -> Option<bool> {
    let (key, value) = term.split_once(':')?;
    let status = issue.status.as_deref().unwrap_or("unresolved");
    match (key, value) {
        ("is", "unresolved") => Some(status == "unresolved"),
        ("is", "resolved") => Some(status == "resolved"),
        ("is", "ignored" | "archived") => Some(status == "ignored"),
        ("is", "unassigned") => Some(issue.assigned_to.is_none()),
        ("is", "assigned") => Some(issue.assigned_to.is_some()),
        ("level", level) if !level.is_empty() && level.chars().all(|c| c.is_ascii_alphabetic()) => {
            Some(issue.level.as_deref() == Some(level))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(extra: serde_json::Value) -> Issue {
        let mut base =
            serde_json::json!({"id": "1", "title": "t", "status": "unresolved", "level": "error"});
        for (k, v) in extra.as_object().expect("object") {
            base[k] = v.clone();
        }
        serde_json::from_value(base).expect("issue")
    }

    #[test]
    fn terms_the_payload_carries_are_judged() {
        let error = issue(serde_json::json!({}));
        assert_eq!(judge("", &error), Verdict::Admits);
        assert_eq!(judge("is:unresolved", &error), Verdict::Admits);
        assert_eq!(judge("is:unresolved level:error", &error), Verdict::Admits);
        assert_eq!(
            judge("is:unresolved level:fatal", &error),
            Verdict::Excludes
        );
        assert_eq!(judge("!level:error", &error), Verdict::Excludes);
        assert_eq!(judge("is:assigned", &error), Verdict::Excludes);
        assert_eq!(judge("is:unassigned", &error), Verdict::Admits);
        let assigned =
            issue(serde_json::json!({"assignedTo": {"type": "user", "id": "9", "name": "Ann"}}));
        assert_eq!(judge("is:assigned", &assigned), Verdict::Admits);
        let resolved = issue(serde_json::json!({"status": "resolved"}));
        assert_eq!(judge("is:unresolved", &resolved), Verdict::Excludes);
    }

    #[test]
    fn queries_of_known_terms_are_judgeable() {
        assert!(judgeable(""));
        assert!(judgeable("is:unresolved level:error !is:assigned"));
        assert!(!judgeable("is:unresolved environment:production"));
    }

    #[test]
    fn anything_else_is_left_to_the_poller() {
        let error = issue(serde_json::json!({}));
        for query in [
            "is:unresolved environment:production",
            "level:error release:1.2.3",
            "TypeError",
            "level:[error,fatal]",
            "firstSeen:-1h",
        ] {
            assert_eq!(judge(query, &error), Verdict::Unknown, "{query}");
        }
    }

    #[test]
    fn team_routes_are_read_from_assignment_terms() {
        assert_eq!(
            route("is:unresolved assigned:#backend"),
            Some(Route {
                team: "backend".into(),
                or_suggested: false
            })
        );
        assert_eq!(
            route("assigned_or_suggested:#web-team level:error"),
            Some(Route {
                team: "web-team".into(),
                or_suggested: true
            })
        );
        for not_a_route in [
            "assigned:me",
            "assigned:#",
            "is:assigned",
            "assigned:#a<b",
            "",
        ] {
            assert_eq!(route(not_a_route), None, "{not_a_route}");
        }
    }
}
