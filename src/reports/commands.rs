//! `/sentry report <project> daily|weekly|now|off` and `/sentry reports`.

use chrono::{NaiveTime, Utc};

use crate::commands::command::{ProjectRef, ReportChange};
use crate::context::{Context, Invocation};
use crate::issues::answers::resolve_target;
use crate::orgs::failures;
use crate::orgs::grants::GrantError;
use crate::reports::gather::gather;
use crate::reports::message::Heading;
use crate::reports::schedule::{Cadence, Schedule};
use crate::slack::escape::escape_mrkdwn;
use crate::slack::Message;
use crate::store::{now_ms, ReportRow};

/// A report's time when none is given.
const DEFAULT_AT: (u32, u32) = (9, 0);

/// A stored report's schedule, or `None` when a column is damaged.
pub(crate) fn schedule_of(row: &ReportRow) -> Option<Schedule> {
    Some(Schedule {
        cadence: Cadence::from_column(&row.cadence)?,
        at: crate::quiet::schedule::parse_time(&row.at_time)?,
        tz: crate::quiet::schedule::parse_tz(&row.tz)?,
    })
}

/// The words after the project that ask for `change`, for "did you mean".
fn change_words(change: &ReportChange) -> String {
    match change {
        ReportChange::Now => "now".into(),
        ReportChange::Off => "off".into(),
        ReportChange::Schedule {
            weekly,
            at,
            tz,
            query,
        } => {
            let mut words = match weekly {
                Some(day) => format!("weekly {}", day.to_string().to_lowercase()),
                None => "daily".into(),
            };
            if let Some(at) = at {
                words.push_str(&format!(" at {}", at.format("%H:%M")));
            }
            if let Some(tz) = tz {
                words.push_str(&format!(" {}", tz.name()));
            }
            if let Some(query) = query {
                words.push(' ');
                words.push_str(query);
            }
            words
        }
    }
}

fn random_id() -> String {
    format!("rep_{:016x}", rand::random::<u64>())
}

/// `/sentry report <[org/]project> …`.
pub(crate) async fn report(
    ctx: &Context,
    who: &Invocation,
    project: &ProjectRef,
    change: &ReportChange,
) -> Message {
    let query = match change {
        ReportChange::Schedule { query, .. } => query.clone().unwrap_or_default(),
        _ => String::new(),
    };
    let redo = |candidate: &str| format!("report {candidate} {}", change_words(change));
    let target = match resolve_target(ctx, project, Some(&query), &redo).await {
        Ok(target) => target,
        Err(message) => return message,
    };
    if let Err(refused) = ctx.access().authorize(&target.org, &who.user_id).await {
        return failures::refusal(&refused);
    }
    let name = escape_mrkdwn(&format!("{}/{}", target.org, target.project));
    let existing = match ctx.store.channel_reports(&who.channel_id).await {
        Ok(reports) => reports
            .into_iter()
            .find(|r| r.org_slug == target.org && r.project_slug == target.project),
        Err(e) => return failures::grant_error(&GrantError::Store(e)),
    };
    match change {
        ReportChange::Off => {
            match ctx
                .store
                .delete_report(&who.channel_id, &target.org, &target.project)
                .await
            {
                Ok(true) => {
                    Message::mrkdwn(format!(":wastebasket: No more reports on *{name}* here."))
                }
                Ok(false) => Message::mrkdwn(format!(
                    "This channel has no report on *{name}*. `/sentry reports` lists its reports."
                )),
                Err(e) => failures::grant_error(&GrantError::Store(e)),
            }
        }
        ReportChange::Now => {
            // An unscheduled report reads its chart in the asker's zone.
            let asker_tz = match &existing {
                Some(_) => chrono_tz::UTC,
                None => ctx.person_tz(&who.user_id).await,
            };
            let row = existing.unwrap_or_else(|| ReportRow {
                id: random_id(),
                team_id: who.team_id.clone(),
                channel_id: who.channel_id.clone(),
                org_slug: target.org.clone(),
                project_slug: target.project.clone(),
                project_id: target.project_id.clone(),
                query: String::new(),
                cadence: Cadence::Daily.to_column(),
                at_time: "09:00".into(),
                tz: asker_tz.name().to_string(),
                created_by: who.user_id.clone(),
                created_at_ms: now_ms(),
                last_due_ms: 0,
            });
            let cadence = Cadence::from_column(&row.cadence).unwrap_or(Cadence::Daily);
            let end = Utc::now();
            let figures = gather(ctx, &row, cadence, end).await;
            let heading = Heading {
                org: row.org_slug.clone(),
                project: row.project_slug.clone(),
                cadence,
                end,
                late_minutes: None,
            };
            let tz = crate::quiet::schedule::parse_tz(&row.tz).unwrap_or(chrono_tz::UTC);
            match crate::reports::post::post(ctx, &who.channel_id, &heading, &figures, tz).await {
                Ok(_) => {
                    tracing::info!(channel = %who.channel_id, org = %row.org_slug, project = %row.project_slug, "report posted on request");
                    Message::mrkdwn(format!(":white_check_mark: Posted a report on *{name}* here."))
                }
                Err(e) => Message::mrkdwn(format!(
                    ":no_entry: I could not post the report here: {}. Invite the bot with `/invite @Sentry` if this channel is private.",
                    escape_mrkdwn(&e.to_string())
                )),
            }
        }
        ReportChange::Schedule { weekly, at, tz, .. } => {
            let tz = match tz {
                Some(tz) => *tz,
                None => ctx.person_tz(&who.user_id).await,
            };
            let schedule = Schedule {
                cadence: weekly.map_or(Cadence::Daily, Cadence::Weekly),
                at: at.unwrap_or_else(|| {
                    NaiveTime::from_hms_opt(DEFAULT_AT.0, DEFAULT_AT.1, 0).unwrap_or_default()
                }),
                tz,
            };
            let now = Utc::now();
            let row = ReportRow {
                id: existing.map_or_else(random_id, |r| r.id),
                team_id: who.team_id.clone(),
                channel_id: who.channel_id.clone(),
                org_slug: target.org.clone(),
                project_slug: target.project.clone(),
                project_id: target.project_id.clone(),
                query: target.query.clone(),
                cadence: schedule.cadence.to_column(),
                at_time: schedule.at.format("%H:%M").to_string(),
                tz: tz.name().to_string(),
                created_by: who.user_id.clone(),
                created_at_ms: now.timestamp_millis(),
                // The run due before now is not owed: the first is the next.
                last_due_ms: schedule.last_due(now).timestamp_millis(),
            };
            if let Err(e) = ctx.store.put_report(&row).await {
                return failures::grant_error(&GrantError::Store(e));
            }
            tracing::info!(report = %row.id, channel = %row.channel_id, schedule = %schedule, "report scheduled");
            let filter = if row.query.is_empty() {
                String::new()
            } else {
                format!(
                    " (issues matching {})",
                    crate::slack::escape::inline_code(&row.query, 200)
                )
            };
            Message::mrkdwn(format!(
                ":calendar: A report on *{name}*{filter} here {}; the next on {}. `/sentry report {} now` posts one now.",
                escape_mrkdwn(&schedule.to_string()),
                next_date(&schedule, now),
                escape_mrkdwn(&project.to_string())
            ))
        }
    }
}

fn next_date(schedule: &Schedule, now: chrono::DateTime<Utc>) -> String {
    let next = schedule.next_due(now);
    format!(
        "<!date^{}^{{date_short_pretty}} at {{time}}|{}>",
        next.timestamp(),
        next.with_timezone(&schedule.tz)
            .format("%a %-d %b %H:%M %Z")
    )
}

/// `/sentry reports`.
pub(crate) async fn list(ctx: &Context, who: &Invocation) -> Message {
    let reports = match ctx.store.channel_reports(&who.channel_id).await {
        Ok(reports) => reports,
        Err(e) => return failures::grant_error(&GrantError::Store(e)),
    };
    if reports.is_empty() {
        return Message::mrkdwn(
            "This channel has no scheduled reports. `/sentry report &lt;project&gt; daily` adds one.",
        );
    }
    let now = Utc::now();
    let lines: Vec<String> = reports
        .iter()
        .map(|r| {
            let name = escape_mrkdwn(&format!("{}/{}", r.org_slug, r.project_slug));
            match schedule_of(r) {
                Some(schedule) => format!(
                    "• *{name}* · {} · next {}",
                    escape_mrkdwn(&schedule.to_string()),
                    next_date(&schedule, now)
                ),
                None => format!("• *{name}* · its schedule cannot be read; schedule it again"),
            }
        })
        .collect();
    Message::mrkdwn(format!(
        "*This channel's reports ({})*\n{}",
        reports.len(),
        lines.join("\n")
    ))
}
