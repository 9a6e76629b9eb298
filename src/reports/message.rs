//! The report message: the period's figures beside the period before, the
//! top issues with their trend, what needs an owner, and what people did
//! from Slack. Pure; within Block Kit's limits whatever the figures.

use chrono::{DateTime, Utc};

use crate::issues::card::thousands;
use crate::issues::facts::sparkline;
use crate::issues::row::issue_row;
use crate::reports::figures::{buckets, in_period, Count, Figures, Period, Step};
use crate::reports::schedule::Cadence;
use crate::sentry::models::Issue;
use crate::slack::escape::{escape_mrkdwn, truncate_plain};
use crate::slack::limits;
use crate::slack::message::{context, section, Message};
use slack_morphism::prelude::{SlackBlock, SlackImageBlock, SlackImageUrlOrFile};

/// What the report is of and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heading {
    /// Org slug.
    pub org: String,
    /// Project slug.
    pub project: String,
    /// Daily or weekly.
    pub cadence: Cadence,
    /// The end of the period.
    pub end: DateTime<Utc>,
    /// How late it is posted, when the bot was down at its time.
    pub late_minutes: Option<i64>,
}

fn count_word(count: Option<Count>) -> String {
    count.map_or_else(|| "?".to_string(), Count::words)
}

/// `in 24 h` or `this week`: what an issue's events are counted over.
fn period_words(period: &Period) -> &'static str {
    match period.step {
        Step::Hour => "in 24 h",
        Step::Day => "this week",
    }
}

/// `12 events in 24 h ▃█`, or the issue's events in all when the server
/// sends no counts per bucket.
fn events_note(issue: &Issue, period: &Period) -> String {
    if buckets(issue, period.step).is_some() {
        let counts: Vec<u64> = in_period(issue, period).iter().map(|b| b.1).collect();
        let trend = if counts.is_empty() {
            String::new()
        } else {
            format!(" {}", sparkline(&counts))
        };
        return format!(
            "{} events {}{trend}",
            thousands(counts.iter().sum()),
            period_words(period)
        );
    }
    issue
        .count
        .map(|count| format!("{} events in all", thousands(count)))
        .unwrap_or_default()
}

/// `*Events* 1,234 this week ▂▅█ (+200 from 1,034 the week before)`; the
/// sparkline only where no chart image is shown.
fn events_line(figures: &Figures, before: &str, trend: bool) -> String {
    let Some(events) = figures.events else {
        return "*Events* not sent by this server".to_string();
    };
    let mut line = format!(
        "*Events* {} {}",
        events.words(),
        period_words(&figures.period)
    );
    // The chart in one line, for clients and notifications without images.
    if let Some(timeline) = figures
        .timeline
        .as_ref()
        .filter(|t| trend && !t.buckets.is_empty())
    {
        let counts: Vec<u64> = timeline.buckets.iter().map(|b| b.1).collect();
        line.push_str(&format!(" {}", sparkline(&counts)));
    }
    if let Some(then) = figures.events_before {
        if let Some(change) = events.change_from(then) {
            line.push_str(&format!(" ({change} from {} {before})", then.words()));
        }
    }
    line
}

/// The chart, as Slack fetches it for an image block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartImage {
    /// Where Slack fetches the PNG.
    pub url: url::Url,
    /// The chart in words.
    pub alt: String,
}

fn image(chart: &ChartImage) -> SlackBlock {
    SlackImageBlock::new(
        SlackImageUrlOrFile::ImageUrl {
            image_url: chart.url.clone(),
        },
        truncate_plain(&chart.alt, limits::MAX_ALT_TEXT),
    )
    .into()
}

/// The report message, with the chart below the figures when there is
/// one to show.
pub fn report(heading: &Heading, figures: &Figures, chart: Option<&ChartImage>) -> Message {
    let (title, before) = match heading.cadence {
        Cadence::Daily => ("Daily report", "the day before"),
        Cadence::Weekly(_) => ("Weekly report", "the week before"),
    };
    let target = escape_mrkdwn(&format!("{}/{}", heading.org, heading.project));
    let date = format!(
        "<!date^{}^{{date_short_pretty}}|{}>",
        heading.end.timestamp(),
        heading.end.format("%Y-%m-%d")
    );
    let mut blocks = vec![section(&format!(
        ":bar_chart: *{title} for {target}* · {date}"
    ))];
    if let Some(late) = heading.late_minutes {
        blocks.push(context(&[&format!(
            ":hourglass: Posted {} late: the bot was not running at its time.",
            crate::quiet::when::length_in_words(std::time::Duration::from_secs(
                u64::try_from(late * 60).unwrap_or(0)
            ))
        )]));
    }
    let mut new = format!("*New* {}", count_word(figures.new));
    if let (Some(now), Some(then)) = (figures.new, figures.new_before) {
        match now.change_from(then) {
            Some(change) => new.push_str(&format!(" ({change} from {} {before})", then.words())),
            None => new.push_str(&format!(" ({} {before})", then.words())),
        }
    }
    let events = events_line(figures, before, chart.is_none());
    let parts = [
        new,
        match figures.regressed {
            Some(n) => format!("*Regressed* {}", n.words()),
            None => "*Regressed* not sent by this server".to_string(),
        },
        format!("*Resolved now* {}", count_word(figures.resolved)),
        events,
    ];
    blocks.push(section(&parts.join(" · ")));
    if let Some(chart) = chart {
        blocks.push(image(chart));
    }
    let mut index = 0;
    let mut list = |blocks: &mut Vec<_>,
                    heading: String,
                    issues: &[Issue],
                    note: &dyn Fn(&Issue) -> String| {
        if issues.is_empty() {
            return;
        }
        blocks.push(section(&heading));
        for issue in issues {
            let note = note(issue);
            blocks.push(issue_row(
                index,
                issue,
                (!note.is_empty()).then_some(note.as_str()),
            ));
            index += 1;
        }
    };
    let events_note = |issue: &Issue| events_note(issue, &figures.period);
    list(
        &mut blocks,
        "*Top issues*".to_string(),
        &figures.top,
        &events_note,
    );
    let (unassigned, n_unassigned) = &figures.unassigned_new;
    list(
        &mut blocks,
        format!("*New and unassigned* ({})", n_unassigned.words()),
        unassigned,
        &|_| "nobody assigned".to_string(),
    );
    let (escalating, n_escalating) = &figures.escalating;
    list(
        &mut blocks,
        format!("*Escalating* ({})", n_escalating.words()),
        escalating,
        &events_note,
    );
    if let Some(oldest) = &figures.oldest_unassigned {
        let since = oldest
            .first_seen
            .as_deref()
            .and_then(|t| crate::slack::time::slack_date(t, "{date_short_pretty}"))
            .unwrap_or_else(|| "long ago".into());
        list(
            &mut blocks,
            "*Oldest unassigned*".to_string(),
            std::slice::from_ref(oldest),
            &|_| format!("first seen {since}"),
        );
    }
    if !figures.triaged.is_empty() {
        let done: Vec<String> = figures
            .triaged
            .iter()
            .take(10)
            .map(|t| {
                format!(
                    "<@{}> {} {}",
                    escape_mrkdwn(&t.user),
                    t.verb,
                    escape_mrkdwn(&t.issue)
                )
            })
            .collect();
        let more = figures.triaged.len().saturating_sub(done.len());
        let mut line = format!("From Slack: {}", done.join(" · "));
        if more > 0 {
            line.push_str(&format!(" · and {more} more"));
        }
        blocks.push(context(&[&line]));
    }
    if !figures.left_out.is_empty() {
        blocks.push(context(&[&format!(
            "Left out: {}.",
            escape_mrkdwn(&figures.left_out.join(", "))
        )]));
    }
    blocks.truncate(limits::MAX_BLOCKS);
    Message {
        text: format!(
            "{title} for {}/{}: {} new, {} resolved",
            heading.org,
            heading.project,
            count_word(figures.new),
            count_word(figures.resolved)
        ),
        blocks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::figures::Triaged;

    fn issue(id: &str) -> Issue {
        serde_json::from_value(serde_json::json!({
            "id": id, "title": "<!channel> boom", "shortId": format!("API-{id}"),
            "stats": { "24h": [[0, 3], [1, 9]] }
        }))
        .expect("issue")
    }

    #[test]
    fn a_full_report_stays_within_limits_and_pings_nobody() {
        let many: Vec<Issue> = (0..60).map(|i| issue(&i.to_string())).collect();
        let figures = Figures {
            new: Some(Count::Exactly(12)),
            new_before: Some(Count::Exactly(9)),
            resolved: Some(Count::AtLeast(100)),
            regressed: Some(Count::Exactly(2)),
            period: Period {
                step: Step::Hour,
                before: -86_400,
                start: 0,
                end: 86_400,
            },
            events: Some(Count::Exactly(12_345)),
            top: many[..5].to_vec(),
            unassigned_new: (many[..3].to_vec(), Count::Exactly(40)),
            escalating: (many[..3].to_vec(), Count::Exactly(3)),
            oldest_unassigned: Some(many[0].clone()),
            triaged: (0..30)
                .map(|i| Triaged {
                    user: "U1".into(),
                    verb: "resolved",
                    issue: format!("API-{i}"),
                })
                .collect(),
            left_out: vec!["resolved issues (Sentry did not answer)".into()],
            ..Default::default()
        };
        let heading = Heading {
            org: "acme".into(),
            project: "api".into(),
            cadence: Cadence::Daily,
            end: DateTime::from_timestamp(1_764_835_200, 0).expect("time"),
            late_minutes: Some(90),
        };
        let chart = ChartImage {
            url: "https://bot.example/charts/ab.png".parse().expect("url"),
            alt: "Events per hour: 12,345 in all.".into(),
        };
        let message = report(&heading, &figures, Some(&chart));
        assert!(message.blocks.len() <= limits::MAX_BLOCKS);
        let json = serde_json::to_string(&message.blocks).expect("json");
        assert!(!json.contains("<!channel>"));
        assert!(
            json.contains("*New* 12 (+3 from 9 the day before)"),
            "{json}"
        );
        assert!(json.contains("*Resolved now* 100+"));
        assert!(json.contains("12 events in 24 h ▃█"), "{json}");
        assert!(json.contains("*Events* 12,345 in 24 h"), "{json}");
        assert!(
            json.contains(r#""image_url":"https://bot.example/charts/ab.png""#),
            "{json}"
        );
        assert!(json.contains("and 20 more"));
        assert!(json.contains("Posted 1 h 30 min late"));
        assert_eq!(
            message.text,
            "Daily report for acme/api: 12 new, 100+ resolved"
        );
    }

    #[test]
    fn a_weekly_report_compares_events_with_the_week_before_and_draws_a_trend_without_a_chart() {
        let week = Period {
            step: Step::Day,
            before: 0,
            start: 7 * 86_400,
            end: 14 * 86_400,
        };
        let figures = Figures {
            period: week,
            timeline: Some(crate::reports::figures::Timeline {
                step: Step::Day,
                buckets: (7..14).map(|d| (d * 86_400, d as u64)).collect(),
            }),
            events: Some(Count::Exactly(1_200)),
            events_before: Some(Count::Exactly(1_000)),
            ..Default::default()
        };
        let heading = Heading {
            org: "acme".into(),
            project: "api".into(),
            cadence: Cadence::Weekly(chrono::Weekday::Mon),
            end: DateTime::from_timestamp(14 * 86_400, 0).expect("time"),
            late_minutes: None,
        };
        let json = serde_json::to_string(&report(&heading, &figures, None).blocks).expect("json");
        assert!(
            json.contains("*Events* 1,200 this week ▅▅▆▆▇▇█ (+200 from 1,000 the week before)"),
            "{json}"
        );
        assert!(!json.contains("image"), "{json}");
    }
}
