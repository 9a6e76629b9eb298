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

    /// A sum over a page's issues: at least that much when the page was
    /// cut short.
    pub fn subset_of(n: u64, cut_short: bool) -> Self {
        if cut_short {
            Count::AtLeast(n)
        } else {
            Count::Exactly(n)
        }
    }

    /// How many of a page's issues are something: at least that many when
    /// the page was cut short.
    pub fn subset(n: usize, cut_short: bool) -> Self {
        Count::subset_of(n as u64, cut_short)
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
    /// What the events are counted over.
    pub period: Period,
    /// Events of the issues seen in the period, per hour or day (`None`
    /// when the server sends no counts for it).
    pub timeline: Option<Timeline>,
    /// Their events in the period: the timeline's sum.
    pub events: Option<Count>,
    /// Their events in the period before, where the counts reach back so
    /// far (a weekly report's 14 daily buckets).
    pub events_before: Option<Count>,
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

/// How long each bucket of a report's counts is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Step {
    /// Hourly: Sentry's `24h` stats (a daily report).
    #[default]
    Hour,
    /// Daily: Sentry's `14d` stats (a weekly report).
    Day,
}

impl Step {
    /// The key of an issue's `stats` that holds these buckets, and the
    /// period asked for in the list call.
    pub fn stats_key(self) -> &'static str {
        match self {
            Step::Hour => "24h",
            Step::Day => "14d",
        }
    }

    /// A bucket's length in seconds.
    pub fn seconds(self) -> i64 {
        match self {
            Step::Hour => 3_600,
            Step::Day => 86_400,
        }
    }
}

/// The period a report covers and the one before it, in unix seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Period {
    /// Bucket size.
    pub step: Step,
    /// Start of the period before.
    pub before: i64,
    /// Start of the period.
    pub start: i64,
    /// End of the period.
    pub end: i64,
}

/// Events per bucket, oldest first: `(bucket start, events)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeline {
    /// Bucket size.
    pub step: Step,
    /// The buckets.
    pub buckets: Vec<(i64, u64)>,
}

/// The issue's buckets of `step` (`[[unix, count], …]`), or `None` when
/// the server sent none.
pub fn buckets(issue: &Issue, step: Step) -> Option<Vec<(i64, u64)>> {
    let listed = issue.stats.as_ref()?.get(step.stats_key())?.as_array()?;
    Some(
        listed
            .iter()
            .filter_map(|b| Some((b.get(0)?.as_i64()?, b.get(1)?.as_u64()?)))
            .collect(),
    )
}

/// Whether a bucket starting at `at` belongs to `[from, to)`: its start
/// does, so each bucket is counted in one period, and a report made now
/// counts the hour (or day) under way.
fn within(at: i64, from: i64, to: i64) -> bool {
    at >= from && at < to
}

/// The issue's buckets within the period, oldest first.
pub fn in_period(issue: &Issue, period: &Period) -> Vec<(i64, u64)> {
    buckets(issue, period.step)
        .unwrap_or_default()
        .into_iter()
        .filter(|(at, _)| within(*at, period.start, period.end))
        .collect()
}

/// The issue's events in the period.
pub fn events_in(issue: &Issue, period: &Period) -> u64 {
    in_period(issue, period).iter().map(|b| b.1).sum()
}

fn substatus_is(issue: &Issue, word: &str) -> bool {
    issue.substatus.as_deref() == Some(word)
}

/// Reads the sections of the issues seen in `period` (`active`, as
/// listed) into `figures`: the top issues by their events in the period
/// (the server's order where it sends no counts), the timeline, and what
/// needs attention. `cut_short`: the page did not hold every issue, so
/// what is counted on it is a lower bound.
pub fn read_active(figures: &mut Figures, active: &[Issue], cut_short: bool, period: Period) {
    figures.period = period;
    let mut top: Vec<Issue> = active.to_vec();
    top.sort_by_key(|i| std::cmp::Reverse(events_in(i, &period)));
    figures.top = top.into_iter().take(TOP_ROWS).collect();
    figures.timeline = timeline(active, &period);
    figures.events = figures
        .timeline
        .as_ref()
        .map(|t| Count::subset_of(t.buckets.iter().map(|b| b.1).sum(), cut_short));
    figures.events_before = events_before(active, &period).map(|n| Count::subset_of(n, cut_short));
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

/// The summed buckets of the period, one per hour or day even where no
/// issue had events; `None` when no issue carries counts of that size.
fn timeline(active: &[Issue], period: &Period) -> Option<Timeline> {
    let mut sums = std::collections::BTreeMap::new();
    let mut counted = active.is_empty();
    for issue in active {
        if buckets(issue, period.step).is_some() {
            counted = true;
        }
        for (at, n) in in_period(issue, period) {
            *sums.entry(at).or_insert(0u64) += n;
        }
    }
    if !counted {
        return None;
    }
    // Empty buckets are drawn too, aligned like the server's: the chart's
    // x axis is the whole period.
    let step = period.step.seconds();
    let offset = sums.keys().next().map_or(0, |at| at.rem_euclid(step));
    let mut at = period.start + (offset - period.start).rem_euclid(step);
    let mut buckets = Vec::new();
    while within(at, period.start, period.end) {
        buckets.push((at, sums.get(&at).copied().unwrap_or(0)));
        at += step;
    }
    Some(Timeline {
        step: period.step,
        buckets,
    })
}

/// Events in the period before, when the buckets reach back to its start.
fn events_before(active: &[Issue], period: &Period) -> Option<u64> {
    let mut reaches = false;
    let mut sum = 0;
    for issue in active {
        let Some(listed) = buckets(issue, period.step) else {
            continue;
        };
        // The first bucket of the period before is there.
        let step = period.step.seconds();
        if listed
            .first()
            .is_some_and(|(at, _)| *at < period.before + step)
        {
            reaches = true;
        }
        sum += listed
            .iter()
            .filter(|(at, _)| within(*at, period.before, period.start))
            .map(|b| b.1)
            .sum::<u64>();
    }
    reaches.then_some(sum)
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

    /// Hourly buckets from the period's start.
    fn hourly(counts: &[u64]) -> serde_json::Value {
        json!({ "24h": counts.iter().enumerate().map(|(i, c)| json!([DAY.start + i as i64 * 3600, c])).collect::<Vec<_>>() })
    }

    const DAY: Period = Period {
        step: Step::Hour,
        before: 1_764_288_000 - 86_400,
        start: 1_764_288_000,
        end: 1_764_288_000 + 86_400,
    };

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
        read_active(&mut figures, &active, false, DAY);
        let order: Vec<&str> = figures.top.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(order, ["2", "3", "1"]);
        assert_eq!(figures.events, Some(Count::Exactly(60)));
        // A bar per hour of the day, empty ones too.
        let timeline = figures.timeline.clone().expect("timeline");
        assert_eq!(timeline.buckets.len(), 24);
        assert_eq!(timeline.buckets[0], (DAY.start, 58));
        assert_eq!(timeline.buckets[1], (DAY.start + 3600, 2));
        assert_eq!(figures.events_before, None);
        assert_eq!(figures.regressed, Some(Count::Exactly(1)));
        assert_eq!(figures.escalating.1, Count::Exactly(1));
        // Counted on a page that was cut short: a lower bound.
        read_active(&mut figures, &active, true, DAY);
        assert_eq!(figures.regressed.map(Count::words), Some("1+".to_string()));
        assert_eq!(
            figures.oldest_unassigned.map(|i| i.id),
            Some("3".to_string())
        );
    }

    #[test]
    fn a_week_reads_daily_buckets_and_the_week_before_from_fourteen_days() {
        let week = Period {
            step: Step::Day,
            before: DAY.start - 13 * 86_400,
            start: DAY.start - 6 * 86_400,
            end: DAY.start + 86_400,
        };
        // Sentry's 14d: one bucket a day, oldest first, the last one today.
        let daily = |counts: [u64; 14]| {
            json!({ "14d": counts.iter().enumerate()
                .map(|(d, c)| json!([week.before + d as i64 * 86_400, c])).collect::<Vec<_>>() })
        };
        let active = [
            issue(
                "1",
                json!({ "stats": daily([1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2]) }),
            ),
            issue(
                "2",
                json!({ "stats": daily([0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 9]) }),
            ),
        ];
        let mut figures = Figures::default();
        read_active(&mut figures, &active, false, week);
        let timeline = figures.timeline.clone().expect("timeline");
        assert_eq!(timeline.step, Step::Day);
        assert_eq!(timeline.buckets.len(), 7);
        assert_eq!(timeline.buckets[6], (DAY.start, 11));
        assert_eq!(figures.events, Some(Count::Exactly(23)));
        assert_eq!(figures.events_before, Some(Count::Exactly(10)));
        // Hourly counts only (a day's worth): no week, no chart.
        let hourly_only = [issue("3", json!({ "stats": hourly(&[4]) }))];
        read_active(&mut figures, &hourly_only, false, week);
        assert_eq!(figures.timeline, None);
        assert_eq!(figures.events, None);
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
