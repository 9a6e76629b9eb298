//! Reading a report's figures from Sentry: four one-page list calls (new
//! issues in the period, new ones in the period before, issues seen in the
//! period most frequent first, and those of them now resolved), plus the
//! activity log for what people did from Slack. A call that fails leaves
//! its section out and says so; nothing fails the whole report.

use crate::context::Context;
use crate::reports::figures::{read_active, read_new, Count, Figures, Triaged};
use crate::reports::schedule::Cadence;
use crate::sentry::IssueQuery;
use crate::store::{ActivityKind, ReportRow};

/// `24h` or `7d`, as Sentry's relative time filters write them.
fn span(cadence: Cadence, times: i64) -> String {
    match cadence {
        Cadence::Daily => format!("{}h", 24 * times),
        Cadence::Weekly(_) => format!("{}d", 7 * times),
    }
}

fn with_terms(base: &str, terms: &str) -> String {
    let base = base.trim();
    if base.is_empty() {
        terms.to_string()
    } else {
        format!("{base} {terms}")
    }
}

/// The figures of `report` for the period ending now.
pub(crate) async fn gather(ctx: &Context, report: &ReportRow, cadence: Cadence) -> Figures {
    let (org, base) = (&report.org_slug, report.query.as_str());
    let one = span(cadence, 1);
    let two = span(cadence, 2);
    let list = |terms: String, sort: &'static str| {
        let mut query = IssueQuery::by_activity(
            &report.project_slug,
            &report.project_id,
            &with_terms(base, &terms),
            100,
            None,
        );
        query.sort = sort.to_string();
        async move { ctx.issues.list_pages(org, &query, 1).await }
    };
    let (new, before, active, resolved) = tokio::join!(
        list(format!("firstSeen:-{one}"), "new"),
        list(format!("firstSeen:-{two} firstSeen:+{one}"), "new"),
        list(format!("lastSeen:-{one}"), "freq"),
        list(format!("is:resolved lastSeen:-{one}"), "date"),
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
        ),
        Err(e) => left_out.push(failed("new issues", &e)),
    }
    match before {
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
            read_active(&mut figures, &listed.items, cadence == Cadence::Daily);
            for issue in &listed.items {
                if let Some(short) = &issue.short_id {
                    names.insert(issue.id.clone(), short.clone());
                }
            }
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
            for issue in &listed.items {
                if let Some(short) = &issue.short_id {
                    names.insert(issue.id.clone(), short.clone());
                }
            }
        }
        Err(e) => left_out.push(failed("resolved issues", &e)),
    }
    figures.left_out = left_out;
    figures.triaged = triaged(ctx, report, cadence, &names).await;
    figures
}

fn figures_left_out(section: &str) -> String {
    format!("{section} (Sentry did not answer)")
}

/// Resolves and archives made from Slack on the project's org in the period.
async fn triaged(
    ctx: &Context,
    report: &ReportRow,
    cadence: Cadence,
    names: &std::collections::HashMap<String, String>,
) -> Vec<Triaged> {
    let since = crate::store::now_ms() - cadence.period().num_milliseconds();
    let activity = match ctx.store.recent_activity(2_000).await {
        Ok(activity) => activity,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the activity log for a report");
            return Vec::new();
        }
    };
    let prefix_of = format!("{}/", report.org_slug);
    activity
        .into_iter()
        .filter(|a| a.kind == ActivityKind::Action && a.at_ms >= since)
        .filter(|a| a.outcome.starts_with("ok") || a.outcome.starts_with("accepted"))
        .filter_map(|a| {
            let (what, target) = a.subject.split_once(' ')?;
            let verb = match what {
                "resolve" | "resolve_next" | "resolve_in" => "resolved",
                "archive" | "archive_forever" | "archive_escalating" | "ignore" => "archived",
                _ => return None,
            };
            let id = target.strip_prefix(&prefix_of)?;
            let issue = names.get(id).cloned()?;
            Some(Triaged {
                user: a.user_id,
                verb,
                issue,
            })
        })
        .collect()
}
