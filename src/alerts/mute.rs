//! `/sentry mute`, `/sentry unmute` and `/sentry quiet`: a channel holds a
//! subscription's alerts back for a while, or every night, and hears them
//! as one catch-up message after ([`catch_up`](crate::alerts::catch_up)).
//! Times are read in the person's Slack time zone and shown back in words
//! and as a Slack date, which each reader sees in their own zone.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::commands::command::{HushTarget, QuietChange};
use crate::context::{Context, Invocation};
use crate::orgs::failures;
use crate::orgs::grants::GrantError;
use crate::quiet::hush::Hush;
use crate::quiet::schedule::QuietHours;
use crate::quiet::when::{length_in_words, MuteFor};
use crate::slack::escape::{escape_mrkdwn, inline_code};
use crate::slack::Message;
use crate::store::{now_ms, SubscriptionRow};

/// `/sentry mute <[org/]project | all> <duration | until TIME>`.
pub(crate) async fn mute(
    ctx: &Context,
    who: &Invocation,
    target: &HushTarget,
    length: &MuteFor,
) -> Message {
    let subs = match targeted(ctx, who, target).await {
        Ok(subs) => subs,
        Err(message) => return message,
    };
    let tz = ctx.person_tz(&who.user_id).await;
    let now = Utc::now();
    let end = match length.end(now, tz) {
        Ok(end) => end,
        Err(e) => return Message::mrkdwn(format!(":warning: A mute needs {e}.")),
    };
    let (from_ms, until_ms) = (now.timestamp_millis(), end.timestamp_millis());
    for sub in &subs {
        if let Err(e) = ctx
            .store
            .set_mute(&sub.id, from_ms, until_ms, &who.user_id)
            .await
        {
            return failures::grant_error(&GrantError::Store(e));
        }
        tracing::info!(subscription = %sub.id, channel = %sub.channel_id, until_ms, "muted");
    }
    let length = (end - now).to_std().unwrap_or_default();
    muted(&subs, target, length, end, tz)
}

/// The answer to a mute of `subs` for `length`, until `end`. Pure.
pub(crate) fn muted(
    subs: &[SubscriptionRow],
    target: &HushTarget,
    length: std::time::Duration,
    end: DateTime<Utc>,
    tz: Tz,
) -> Message {
    Message::mrkdwn(format!(
        ":no_bell: Muted {} for {}, until {}. Alerts are held meanwhile and arrive as one catch-up message when the mute ends; `/sentry unmute {}` ends it sooner.",
        names(subs),
        length_in_words(length),
        slack_date(end, tz),
        target_word(target)
    ))
}

/// `/sentry unmute <[org/]project | all>`.
pub(crate) async fn unmute(ctx: &Context, who: &Invocation, target: &HushTarget) -> Message {
    let subs = match targeted(ctx, who, target).await {
        Ok(subs) => subs,
        Err(message) => return message,
    };
    let now = now_ms();
    let mut ended = Vec::new();
    for sub in &subs {
        match ctx.store.end_mute(&sub.id, now).await {
            Ok(true) => ended.push(sub.clone()),
            Ok(false) => {}
            Err(e) => return failures::grant_error(&GrantError::Store(e)),
        }
    }
    if ended.is_empty() {
        return Message::mrkdwn(format!(
            ":information_source: {} {} not muted, so nothing changed.",
            names(&subs),
            if subs.len() == 1 { "is" } else { "are" }
        ));
    }
    tracing::info!(channel = %who.channel_id, subscriptions = ended.len(), "unmuted");
    Message::mrkdwn(format!(
        ":bell: Unmuted {}. What was held arrives in one catch-up message within a few seconds{}.",
        names(&ended),
        quiet_caveat(ctx, &ended, now).await
    ))
}

/// Quiet hours still in force after an unmute keep alerts held.
async fn quiet_caveat(ctx: &Context, subs: &[SubscriptionRow], now: i64) -> String {
    for sub in subs {
        if let Ok(hush) = ctx.store.hush(&sub.id).await {
            if hush.quiet_at(now) {
                return ", once quiet hours end".to_string();
            }
        }
    }
    String::new()
}

/// Whether a mute is in force on any of `subs`.
async fn still_muted(ctx: &Context, subs: &[SubscriptionRow]) -> bool {
    let now = now_ms();
    for sub in subs {
        if let Ok(hush) = ctx.store.hush(&sub.id).await {
            if hush.mute_at(now).is_some() {
                return true;
            }
        }
    }
    false
}

/// `/sentry quiet …`.
pub(crate) async fn quiet(
    ctx: &Context,
    who: &Invocation,
    target: &HushTarget,
    change: &QuietChange,
) -> Message {
    let subs = match targeted(ctx, who, target).await {
        Ok(subs) => subs,
        Err(message) => return message,
    };
    let (hours, urgent) = match change {
        QuietChange::Off => (None, None),
        QuietChange::Set { window, urgent } => {
            let tz = ctx.person_tz(&who.user_id).await;
            let words: Vec<&str> = window.iter().map(String::as_str).collect();
            match QuietHours::parse(&words, tz) {
                Ok(hours) => (Some(hours), urgent.as_deref()),
                Err(e) => return Message::mrkdwn(format!(":warning: Quiet hours need {e}.")),
            }
        }
    };
    for sub in &subs {
        if let Err(e) = ctx.store.set_quiet(&sub.id, hours.as_ref(), urgent).await {
            return failures::grant_error(&GrantError::Store(e));
        }
    }
    tracing::info!(channel = %who.channel_id, subscriptions = subs.len(), quiet = ?hours.map(|h| h.to_column()), "quiet hours set");
    let Some(hours) = hours else {
        let after = if still_muted(ctx, &subs).await {
            "when the mute ends"
        } else {
            "within a few seconds"
        };
        return Message::mrkdwn(format!(
            ":sunny: No quiet hours for {} any more. Alerts held by them arrive in one catch-up message {after}.",
            names(&subs)
        ));
    };
    let through = urgent
        .map(|q| {
            format!(
                " Alerts matching {} come through at once.",
                inline_code(q, 200)
            )
        })
        .unwrap_or_default();
    let now = Utc::now();
    let state = match hours.ends_after(now) {
        Some(end) => format!(" Quiet now, until {}.", slack_date(end, hours.tz)),
        None => String::new(),
    };
    Message::mrkdwn(format!(
        ":crescent_moon: Quiet hours for {}: {}. Alerts in them are held and arrive as one catch-up message when they end.{through}{state}",
        names(&subs),
        escape_mrkdwn(&hours.to_string())
    ))
}

/// The channel's subscriptions the target names; a message when there are
/// none, several match a bare project, or the person may not change them.
async fn targeted(
    ctx: &Context,
    who: &Invocation,
    target: &HushTarget,
) -> Result<Vec<SubscriptionRow>, Message> {
    let subs = ctx
        .store
        .channel_subscriptions(&who.channel_id)
        .await
        .map_err(|e| failures::grant_error(&GrantError::Store(e)))?;
    let chosen: Vec<SubscriptionRow> = match target {
        HushTarget::All => subs,
        HushTarget::Project(project) => subs
            .into_iter()
            .filter(|s| {
                s.project_slug == project.project
                    && project.org.as_ref().is_none_or(|o| *o == s.org_slug)
            })
            .collect(),
    };
    match (target, chosen.as_slice()) {
        (HushTarget::All, []) => {
            return Err(Message::mrkdwn(
                "This channel has no subscriptions to quiet. `/sentry subscribe &lt;project&gt;` adds one.",
            ))
        }
        (HushTarget::Project(project), []) => {
            return Err(Message::mrkdwn(format!(
                "This channel is not subscribed to `{}`. `/sentry subscriptions` lists its subscriptions.",
                escape_mrkdwn(&project.to_string())
            )))
        }
        (HushTarget::Project(project), several) if several.len() > 1 => {
            return Err(Message::mrkdwn(format!(
                "Several subscriptions here are for `{}`: name one as `org/{}`.",
                escape_mrkdwn(&project.project),
                escape_mrkdwn(&project.project)
            )))
        }
        _ => {}
    }
    let mut orgs: Vec<&str> = chosen.iter().map(|s| s.org_slug.as_str()).collect();
    orgs.sort_unstable();
    orgs.dedup();
    for org in orgs {
        if let Err(refused) = ctx.access().authorize(org, &who.user_id).await {
            return Err(failures::refusal(&refused));
        }
    }
    Ok(chosen)
}

/// `*acme/api*`, or `*acme/api* and *acme/web*`, or `3 subscriptions`.
fn names(subs: &[SubscriptionRow]) -> String {
    let named: Vec<String> = subs
        .iter()
        .map(|s| {
            format!(
                "*{}*",
                escape_mrkdwn(&format!("{}/{}", s.org_slug, s.project_slug))
            )
        })
        .collect();
    match named.as_slice() {
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        _ => format!("this channel's {} subscriptions", named.len()),
    }
}

fn target_word(target: &HushTarget) -> String {
    match target {
        HushTarget::All => "all".to_string(),
        HushTarget::Project(project) => escape_mrkdwn(&project.to_string()),
    }
}

/// A Slack date token (each reader sees it in their own zone), falling
/// back to the time in `tz`.
pub(crate) fn slack_date(at: DateTime<Utc>, tz: Tz) -> String {
    let fallback = at.with_timezone(&tz).format("%a %-d %b %H:%M %Z");
    format!(
        "<!date^{}^{{date_short_pretty}} at {{time}}|{fallback}>",
        at.timestamp()
    )
}

/// A subscription's mute and quiet hours in words for `/sentry
/// subscriptions`, or `None` when it has neither. Pure.
pub(crate) fn hush_line(hush: &Hush, now_ms: i64) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(mute) = hush.mute_at(now_ms) {
        let until = DateTime::from_timestamp_millis(mute.until_ms).unwrap_or_default();
        parts.push(format!(
            ":no_bell: muted by <@{}> until {}",
            escape_mrkdwn(&mute.by),
            slack_date(until, Tz::UTC)
        ));
    }
    if let Some(quiet) = &hush.quiet {
        let mut line = format!(
            ":crescent_moon: quiet {}",
            escape_mrkdwn(&quiet.to_string())
        );
        if let Some(urgent) = &hush.urgent {
            line.push_str(&format!(", except {}", inline_code(urgent, 200)));
        }
        if hush.quiet_at(now_ms) {
            line.push_str(" (quiet now)");
        }
        parts.push(line);
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quiet::hush::Mute;

    #[test]
    fn the_listing_says_who_muted_until_when_and_the_quiet_hours() {
        let hours = QuietHours::parse(&["22:00-07:00", "Europe/Berlin", "weekdays"], Tz::UTC)
            .expect("hours");
        let hush = Hush {
            mute: Some(Mute {
                from_ms: 0,
                until_ms: 1_767_225_600_000,
                by: "U0ANN".into(),
            }),
            quiet: Some(hours),
            urgent: Some("level:fatal".into()),
        };
        let line = hush_line(&hush, 1_000).expect("a line");
        assert!(
            line.contains("muted by <@U0ANN> until <!date^1767225600^"),
            "{line}"
        );
        assert!(
            line.contains("quiet 22:00–07:00 Europe/Berlin, weekdays, except `level:fatal`"),
            "{line}"
        );
        // Once the mute is over only the quiet hours are listed.
        let later = hush_line(&hush, 1_767_225_600_000).expect("a line");
        assert!(!later.contains("muted"), "{later}");
        assert_eq!(hush_line(&Hush::default(), 0), None);
    }

    #[test]
    fn a_slack_date_falls_back_to_the_muters_zone() {
        let at = DateTime::from_timestamp(1_764_867_600, 0).expect("time"); // 2025-12-04 17:00 UTC
        assert_eq!(
            slack_date(at, chrono_tz::America::Los_Angeles),
            "<!date^1764867600^{date_short_pretty} at {time}|Thu 4 Dec 09:00 PST>"
        );
    }
}
