//! Reading a report's figures from Sentry: four one-page list calls (new
//! issues in the period, new ones in the period before, issues seen in the
//! period most frequent first, and those of them now resolved), plus the
//! activity log for what people did from Slack. A call that fails leaves
//! its section out and says so; nothing fails the whole report.

use crate::context::Context;
use crate::reports::figures::{read_active, read_new, Count, Figures, Period, Step, Triaged};
use crate::reports::schedule::Cadence;
use crate::sentry::IssueQuery;
use chrono::{DateTime, Utc};

use crate::store::{Activity, ActivityKind, ReportRow};

/// A time as Sentry's search reads it in `firstSeen:>=…` (UTC).
fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// The report's own terms with `terms` after them; a query with `OR` is
/// put in parentheses, so the period applies to all of it.
fn with_terms(base: &str, terms: &str) -> String {
    let base = base.trim();
    if base.is_empty() {
        terms.to_string()
    } else if base.split_whitespace().any(|w| w == "OR") {
        format!("({base}) {terms}")
    } else {
        format!("{base} {terms}")
    }
}

/// The figures of `report` for the period ending at `end` (a late run
/// still reports on the period it was due for).
pub(crate) async fn gather(
    ctx: &Context,
    report: &ReportRow,
    cadence: Cadence,
    end: DateTime<Utc>,
) -> Figures {
    let (org, base) = (&report.org_slug, report.query.as_str());
    let start = end - cadence.period();
    let before = start - cadence.period();
    let (end_s, start_s, before_s) = (stamp(end), stamp(start), stamp(before));
    // Hourly counts chart a day; daily ones (Sentry's 14 days) a week and
    // the week before it.
    let period = Period {
        step: match cadence {
            Cadence::Daily => Step::Hour,
            Cadence::Weekly(_) => Step::Day,
        },
        before: before.timestamp(),
        start: start.timestamp(),
        end: end.timestamp(),
    };
    let list = |terms: String, sort: &'static str, step: Step| {
        let mut query = IssueQuery::by_activity(
            &report.project_slug,
            &report.project_id,
            &with_terms(base, &terms),
            100,
            None,
        );
        query.sort = sort.to_string();
        query.stats_period = step.stats_key().to_string();
        async move { ctx.issues.list_pages(org, &query, 1).await }
    };
    let (new, previous, active, resolved) = tokio::join!(
        list(
            format!("firstSeen:>={start_s} firstSeen:<{end_s}"),
            "new",
            Step::Hour
        ),
        list(
            format!("firstSeen:>={before_s} firstSeen:<{start_s}"),
            "new",
            Step::Hour
        ),
        list(format!("lastSeen:>={start_s}"), "freq", period.step),
        list(
            format!("is:resolved lastSeen:>={start_s}"),
            "date",
            Step::Hour
        ),
    );
    let mut figures = Figures::default();
    let failed = |section: &str, error: &dyn std::fmt::Display| {
        tracing::info!(org = %org, project = %report.project_slug, section, error = %error, "report section left out");
        figures_left_out(section)
    };
    let mut left_out = Vec::new();
    match new {
        Ok(listed) => read_new(
            &mut figures,
            &listed.items,
            Count::of(listed.items.len(), listed.cut_short, listed.total),
            listed.cut_short,
        ),
        Err(e) => left_out.push(failed("new issues", &e)),
    }
    match previous {
        Ok(listed) => {
            figures.new_before = Some(Count::of(
                listed.items.len(),
                listed.cut_short,
                listed.total,
            ))
        }
        Err(e) => left_out.push(failed("the period before", &e)),
    }
    let mut names = std::collections::HashMap::new();
    match active {
        Ok(listed) => {
            read_active(&mut figures, &listed.items, listed.cut_short, period);
            names.extend(short_ids(&listed.items));
        }
        Err(e) => left_out.push(failed("top issues", &e)),
    }
    match resolved {
        Ok(listed) => {
            figures.resolved = Some(Count::of(
                listed.items.len(),
                listed.cut_short,
                listed.total,
            ));
            names.extend(short_ids(&listed.items));
        }
        Err(e) => left_out.push(failed("resolved issues", &e)),
    }
    figures.left_out = left_out;
    figures.triaged = match ctx
        .store
        .actions_between(start.timestamp_millis(), end.timestamp_millis())
        .await
    {
        Ok(activity) => triaged(&activity, &report.org_slug, &names),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the activity log for a report");
            Vec::new()
        }
    };
    figures
}

/// Issue id → short ID, for naming what people did from Slack.
fn short_ids(
    issues: &[crate::sentry::models::Issue],
) -> impl Iterator<Item = (String, String)> + '_ {
    issues
        .iter()
        .filter_map(|i| Some((i.id.clone(), i.short_id.clone()?)))
}

fn figures_left_out(section: &str) -> String {
    format!("{section} (Sentry did not answer)")
}

/// Resolves and archives made from Slack on `org`, oldest first, named by
/// short ID where the report read the issue. Pure.
pub(crate) fn triaged(
    activity: &[Activity],
    org: &str,
    names: &std::collections::HashMap<String, String>,
) -> Vec<Triaged> {
    let prefix_of = format!("{org}/");
    activity
        .iter()
        .filter(|a| a.kind == ActivityKind::Action)
        .filter(|a| a.outcome.starts_with("ok") || a.outcome.starts_with("accepted"))
        .filter_map(|a| {
            // `resolve org/id`, `archive_24h org/id`, `resolve_in 1.2 org/id`.
            let what = a.subject.split_whitespace().next()?;
            let target = a.subject.split_whitespace().last()?;
            let verb = match what {
                "resolve" | "resolve_next" | "resolve_current" | "resolve_in" => "resolved",
                w if w.starts_with("archive_") => "archived",
                _ => return None,
            };
            let id = target.strip_prefix(&prefix_of)?;
            Some(Triaged {
                user: a.user_id.clone(),
                verb,
                issue: names.get(id).cloned().unwrap_or_else(|| id.to_string()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Activity;

    fn action(subject: &str, outcome: &str) -> Activity {
        Activity {
            at_ms: 1,
            team_id: "T1".into(),
            user_id: "U1".into(),
            channel_id: "C1".into(),
            kind: ActivityKind::Action,
            subject: subject.into(),
            outcome: outcome.into(),
        }
    }

    #[test]
    fn every_resolve_and_archive_from_slack_is_counted_once() {
        let names = std::collections::HashMap::from([("7".to_string(), "API-7".to_string())]);
        let activity = [
            action("resolve acme/7", "ok"),
            action("archive_24h acme/8", "accepted, not read back"),
            action("resolve_in 1.2.3 acme/9", "ok"),
            action("resolve_current acme/10", "ok"),
            action("assign_me acme/7", "ok"),
            action("resolve acme/11", "failed: 500"),
            action("resolve other/12", "ok"),
        ];
        let done: Vec<(String, &str)> = triaged(&activity, "acme", &names)
            .into_iter()
            .map(|t| (t.issue, t.verb))
            .collect();
        assert_eq!(
            done,
            [
                ("API-7".to_string(), "resolved"),
                ("8".to_string(), "archived"),
                ("9".to_string(), "resolved"),
                ("10".to_string(), "resolved"),
            ]
        );
        assert_eq!(
            with_terms("level:error OR level:fatal", "lastSeen:>=x"),
            "(level:error OR level:fatal) lastSeen:>=x"
        );
        assert_eq!(with_terms("", "lastSeen:>=x"), "lastSeen:>=x");
    }
}
