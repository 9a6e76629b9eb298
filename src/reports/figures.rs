//! What a report says, as data, and how it is read from the pages Sentry
//! answered. Pure: [`gather`](crate::reports::gather) makes the calls.

use crate::sentry::models::Issue;

/// Issues the report lists per section at most.
pub const TOP_ROWS: usize = 5;
/// Rows of the smaller sections.
pub const SECTION_ROWS: usize = 3;

/// A count read off one page: exact, or at least (the page was cut short
/// and the server did not say how many match).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Count {
    /// Exactly this many.
    Exactly(u64),
    /// At least this many.
    AtLeast(u64),
}

impl Default for Count {
    fn default() -> Self {
        Count::Exactly(0)
    }
}

impl Count {
    /// The count of a page of `items` that `cut_short` (with `total` when
    /// the server said).
    pub fn of(items: usize, cut_short: bool, total: Option<u64>) -> Self {
        match (cut_short, total) {
            (false, _) => Count::Exactly(items as u64),
            (true, Some(total)) => Count::Exactly(total),
            (true, None) => Count::AtLeast(items as u64),
        }
    }

    /// How many of a page's issues are something: at least that many when
    /// the page was cut short.
    pub fn subset(n: usize, cut_short: bool) -> Self {
        if cut_short {
            Count::AtLeast(n as u64)
        } else {
            Count::Exactly(n as u64)
        }
    }

    /// `12`, or `100+`.
    pub fn words(self) -> String {
        match self {
            Count::Exactly(n) => crate::issues::card::thousands(n),
            Count::AtLeast(n) => format!("{}+", crate::issues::card::thousands(n)),
        }
    }

    fn value(self) -> u64 {
        match self {
            Count::Exactly(n) | Count::AtLeast(n) => n,
        }
    }

    /// `+3`, `−2`, `±0`, when both are exact.
    pub fn change_from(self, before: Count) -> Option<String> {
        match (self, before) {
            (Count::Exactly(now), Count::Exactly(then)) => Some(match now.cmp(&then) {
                std::cmp::Ordering::Greater => format!("+{}", now - then),
                std::cmp::Ordering::Less => format!("−{}", then - now),
                std::cmp::Ordering::Equal => "±0".to_string(),
            }),
            _ => None,
        }
        .filter(|_| self.value() > 0 || before.value() > 0)
    }
}

/// One resolve or archive someone made from Slack in the period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Triaged {
    /// The Slack user.
    pub user: String,
    /// `resolved` or `archived`.
    pub verb: &'static str,
    /// The issue's short ID when the report read it, else its id.
    pub issue: String,
}

/// Everything a report shows. A section whose call failed is `None` and
/// named in `left_out`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    /// New issues in the period.
    pub new: Option<Count>,
    /// New issues in the period before.
    pub new_before: Option<Count>,
    /// Issues seen in the period that are resolved now.
    pub resolved: Option<Count>,
    /// Issues seen in the period that Sentry marks as regressed (`None`
    /// when the server sends no substatus).
    pub regressed: Option<Count>,
    /// Events in the last 24 hours of the issues seen in the period.
    pub events_24h: Option<u64>,
    /// Issues seen in the period, most events first (at most [`TOP_ROWS`]).
    pub top: Vec<Issue>,
    /// New issues nobody is assigned, and how many.
    pub unassigned_new: (Vec<Issue>, Count),
    /// Escalating issues, and how many.
    pub escalating: (Vec<Issue>, Count),
    /// The unresolved, unassigned issue seen in the period that is oldest.
    pub oldest_unassigned: Option<Issue>,
    /// What people resolved or archived from Slack.
    pub triaged: Vec<Triaged>,
    /// Sections that could not be read, in words.
    pub left_out: Vec<String>,
}

/// The issue's events in the last 24 hours (its hourly buckets).
pub fn events_24h(issue: &Issue) -> u64 {
    issue
        .stats
        .as_ref()
        .and_then(|s| s["24h"].as_array())
        .map(|buckets| {
            buckets
                .iter()
                .filter_map(|b| b.get(1).and_then(serde_json::Value::as_u64))
                .sum()
        })
        .unwrap_or(0)
}

fn substatus_is(issue: &Issue, word: &str) -> bool {
    issue.substatus.as_deref() == Some(word)
}

/// Reads the sections of the issues seen in the period (`active`, as
/// listed) into `figures`; `by_day` ranks the top issues by the last 24
/// hours' events (a daily report) rather than by the server's order.
/// `cut_short`: the page did not hold every issue, so what is counted on
/// it is a lower bound.
pub fn read_active(figures: &mut Figures, active: &[Issue], cut_short: bool, by_day: bool) {
    let mut top: Vec<Issue> = active.to_vec();
    if by_day {
        top.sort_by_key(|i| std::cmp::Reverse(events_24h(i)));
    }
    figures.top = top.into_iter().take(TOP_ROWS).collect();
    // A server that sends no hourly counts says nothing about events.
    figures.events_24h = active
        .iter()
        .any(|i| i.stats.is_some())
        .then(|| active.iter().map(events_24h).sum());
    let sends_substatus = active.is_empty() || active.iter().any(|i| i.substatus.is_some());
    figures.regressed = sends_substatus.then(|| {
        Count::subset(
            active
                .iter()
                .filter(|i| substatus_is(i, "regressed"))
                .count(),
            cut_short,
        )
    });
    let escalating: Vec<Issue> = active
        .iter()
        .filter(|i| i.status.as_deref() != Some("resolved") && substatus_is(i, "escalating"))
        .cloned()
        .collect();
    let count = Count::subset(escalating.len(), cut_short);
    figures.escalating = (escalating.into_iter().take(SECTION_ROWS).collect(), count);
    figures.oldest_unassigned = active
        .iter()
        .filter(|i| i.status.as_deref().unwrap_or("unresolved") == "unresolved")
        .filter(|i| i.assigned_to.is_none())
        .filter(|i| i.first_seen.is_some())
        .min_by(|a, b| a.first_seen.cmp(&b.first_seen))
        .cloned();
}

/// Reads the new issues of the period into `figures`.
pub fn read_new(figures: &mut Figures, new: &[Issue], count: Count, cut_short: bool) {
    figures.new = Some(count);
    let unassigned: Vec<Issue> = new
        .iter()
        .filter(|i| i.assigned_to.is_none())
        .cloned()
        .collect();
    let n = Count::subset(unassigned.len(), cut_short);
    figures.unassigned_new = (unassigned.into_iter().take(SECTION_ROWS).collect(), n);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn issue(id: &str, extra: serde_json::Value) -> Issue {
        let mut base = json!({ "id": id, "title": format!("Boom {id}"), "status": "unresolved" });
        for (k, v) in extra.as_object().expect("object") {
            base[k] = v.clone();
        }
        serde_json::from_value(base).expect("issue")
    }

    fn hourly(counts: &[u64]) -> serde_json::Value {
        json!({ "24h": counts.iter().enumerate().map(|(i, c)| json!([i, c])).collect::<Vec<_>>() })
    }

    #[test]
    fn the_active_page_gives_the_top_issues_regressions_and_escalations() {
        let active = [
            issue(
                "1",
                json!({ "stats": hourly(&[1, 2]), "firstSeen": "2026-01-01T00:00:00Z" }),
            ),
            issue(
                "2",
                json!({ "stats": hourly(&[50]), "substatus": "escalating",
                               "assignedTo": { "type": "user", "id": "9" } }),
            ),
            issue(
                "3",
                json!({ "stats": hourly(&[7]), "substatus": "regressed",
                               "firstSeen": "2025-06-01T00:00:00Z" }),
            ),
        ];
        let mut figures = Figures::default();
        read_active(&mut figures, &active, false, true);
        let order: Vec<&str> = figures.top.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(order, ["2", "3", "1"]);
        assert_eq!(figures.events_24h, Some(60));
        assert_eq!(figures.regressed, Some(Count::Exactly(1)));
        assert_eq!(figures.escalating.1, Count::Exactly(1));
        // Counted on a page that was cut short: a lower bound.
        read_active(&mut figures, &active, true, true);
        assert_eq!(figures.regressed.map(Count::words), Some("1+".to_string()));
        assert_eq!(
            figures.oldest_unassigned.map(|i| i.id),
            Some("3".to_string())
        );
    }

    #[test]
    fn counts_say_when_they_are_a_lower_bound_and_how_they_changed() {
        assert_eq!(Count::of(12, false, None), Count::Exactly(12));
        assert_eq!(Count::of(100, true, Some(340)), Count::Exactly(340));
        assert_eq!(Count::of(100, true, None).words(), "100+");
        assert_eq!(
            Count::Exactly(12).change_from(Count::Exactly(9)),
            Some("+3".into())
        );
        assert_eq!(
            Count::Exactly(2).change_from(Count::Exactly(5)),
            Some("−3".into())
        );
        assert_eq!(Count::Exactly(0).change_from(Count::Exactly(0)), None);
        assert_eq!(Count::AtLeast(100).change_from(Count::Exactly(5)), None);
    }
}
