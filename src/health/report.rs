//! `/sentry doctor`'s answer: one line per fact, each with a green, amber
//! or red mark, in words that say what to do; and the one-line-per-channel
//! overview a DM gets. Pure.

use crate::commands::command::retry_command;
use crate::orgs::grants::{GrantKind, Health};
use crate::slack::escape::{escape_mrkdwn, inline_code};
use crate::slack::limits;
use crate::slack::message::{command_button, context, section, Message};
use crate::slack::refusal::ChannelRefusal;
use crate::slack::time::slack_date_ms;
use crate::slack::web::ChannelState;
use crate::store::{ChannelDeliveries, ChannelPause, SubscriptionRow};

/// How a line of the check reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Mark {
    /// Works.
    Green,
    /// Works, but something may need a look.
    Amber,
    /// Broken: alerts do not arrive.
    Red,
}

impl Mark {
    fn emoji(self) -> &'static str {
        match self {
            Mark::Green => ":large_green_circle:",
            Mark::Amber => ":large_orange_circle:",
            Mark::Red => ":red_circle:",
        }
    }
}

/// What Slack answered about the channel itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Membership {
    /// `conversations.info` answered.
    Known(ChannelState),
    /// It did not (a scope the app was installed without, an outage): the
    /// error code.
    Unknown(String),
    /// Not asked (an overview of many channels spares Slack's rate limit).
    NotChecked,
}

/// One subscription as the check sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SubscriptionCheck {
    /// The subscription.
    pub sub: SubscriptionRow,
    /// When its group was last polled, Unix ms.
    pub polled_ms: Option<i64>,
    /// When its last alert was posted, Unix ms.
    pub posted_ms: Option<i64>,
}

/// An org the channel's subscriptions use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OrgCheck {
    /// Org slug.
    pub org: String,
    /// How it is connected; `None` when it is no longer linked.
    pub linked: Option<(GrantKind, Health)>,
    /// When its last webhook arrived, Unix ms.
    pub webhook_ms: Option<i64>,
}

/// Everything known about one channel's alerts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChannelCheck {
    /// The channel.
    pub channel: String,
    /// What Slack says of it.
    pub membership: Membership,
    /// Its pause, when Slack refuses it.
    pub pause: Option<ChannelPause>,
    /// Its subscriptions.
    pub subs: Vec<SubscriptionCheck>,
    /// The orgs they use.
    pub orgs: Vec<OrgCheck>,
    /// Its alerts waiting or given up on in the last day.
    pub deliveries: ChannelDeliveries,
}

/// Subscriptions listed one line each; the rest are counted.
const SUB_LINES: usize = 20;

fn when(at_ms: Option<i64>, never: &str) -> String {
    at_ms
        .and_then(|at| slack_date_ms(at, "{date_short_pretty} at {time}"))
        .unwrap_or_else(|| never.to_string())
}

fn line(mark: Mark, text: &str) -> String {
    format!("{} {text}", mark.emoji())
}

impl ChannelCheck {
    /// Whether Slack takes posts here, as a marked line.
    fn posting(&self) -> (Mark, String) {
        let here = format!("<#{}>", escape_mrkdwn(&self.channel));
        if let Some(pause) = &self.pause {
            let why = ChannelRefusal::from_code(&pause.reason);
            let what = why.map_or_else(
                || format!("Slack answers `{}`", escape_mrkdwn(&pause.reason)),
                |w| w.what(&here),
            );
            let since = when(Some(pause.paused_at_ms), "");
            let fix = why.map(|w| w.fix(&here)).unwrap_or_default();
            let now = match &self.membership {
                Membership::Known(state)
                    if state.is_member && why == Some(ChannelRefusal::NotInChannel) =>
                {
                    " The bot is a member now: press *Retry now*, or wait for the next try."
                        .to_string()
                }
                _ => String::new(),
            };
            return (
                Mark::Red,
                format!("*Slack refuses alerts here* since {since}: {what}. {fix}{now}"),
            );
        }
        match &self.membership {
            Membership::Known(state) if state.is_archived => (
                Mark::Red,
                format!(
                    "*{here} is archived*: no alert can be posted. {}",
                    ChannelRefusal::Archived.fix(&here)
                ),
            ),
            Membership::Known(state) if !state.is_member && state.is_private => (
                Mark::Red,
                format!(
                    "*The bot is not a member of this private channel*, so its alerts will be refused. {}",
                    ChannelRefusal::NotInChannel.fix(&here)
                ),
            ),
            Membership::Known(state) if !state.is_member && !state.is_im => (
                Mark::Green,
                "The bot can post here (a public channel: it posts without joining).".to_string(),
            ),
            Membership::Known(_) => (Mark::Green, "The bot can post here.".to_string()),
            Membership::NotChecked => (Mark::Green, "No post here has been refused.".to_string()),
            // Slack hides a private channel from an app that is not in it.
            Membership::Unknown(code) if code == "channel_not_found" => (
                Mark::Red,
                format!(
                    "*The bot cannot see this channel*: it is private and the bot is not a member, so alerts here will be refused. {}",
                    ChannelRefusal::NotInChannel.fix(&here)
                ),
            ),
            Membership::Unknown(code) => (
                Mark::Green,
                format!(
                    "No post here has been refused. (Slack did not say whether the bot is a member: `{}`; \
                     reinstalling the app with `channels:read` and `groups:read` lets it check.)",
                    escape_mrkdwn(code)
                ),
            ),
        }
    }

    /// One marked line per subscription.
    fn subscription_lines(&self) -> Vec<(Mark, String)> {
        if self.subs.is_empty() {
            return vec![(
                Mark::Amber,
                "*No subscriptions here*: `/sentry subscribe <project>` sends this channel its alerts."
                    .to_string(),
            )];
        }
        self.subs
            .iter()
            .map(|s| {
                let org = self.orgs.iter().find(|o| o.org == s.sub.org_slug);
                let broken = org.is_none_or(|o| !matches!(o.linked, Some((_, Health::Ok))));
                let never_polled =
                    s.polled_ms.is_none() && org.is_none_or(|o| o.webhook_ms.is_none());
                let mark = if broken {
                    Mark::Red
                } else if never_polled {
                    Mark::Amber
                } else {
                    Mark::Green
                };
                let query = if s.sub.query.is_empty() {
                    String::new()
                } else {
                    format!(" {}", inline_code(&s.sub.query, 200))
                };
                let webhook = org
                    .and_then(|o| o.webhook_ms)
                    .map(|at| format!(" · last webhook {}", when(Some(at), "")))
                    .unwrap_or_else(|| " · no webhooks (polled)".to_string());
                (
                    mark,
                    format!(
                        "*{}/{}*{query}: last poll {}{webhook} · last alert posted {}",
                        escape_mrkdwn(&s.sub.org_slug),
                        escape_mrkdwn(&s.sub.project_slug),
                        when(s.polled_ms, "not yet"),
                        when(s.posted_ms, "none yet"),
                    ),
                )
            })
            .collect()
    }

    /// The alerts waiting and given up on, as marked lines.
    fn delivery_lines(&self) -> Vec<(Mark, String)> {
        let d = &self.deliveries;
        let mut lines = Vec::new();
        let waiting = match (d.pending, &self.pause) {
            (0, _) => (Mark::Green, "No alert is waiting to be posted.".to_string()),
            (n, Some(_)) => (
                Mark::Red,
                format!(
                    "*{n} {} waiting* until Slack takes posts here; they arrive once it does (those older than a day as one catch-up).",
                    if n == 1 { "alert is" } else { "alerts are" }
                ),
            ),
            (n, None) => (
                Mark::Green,
                format!(
                    "{n} {} being posted (one a second per channel).",
                    if n == 1 { "alert is" } else { "alerts are" }
                ),
            ),
        };
        lines.push(waiting);
        if d.held > 0 {
            lines.push((
                Mark::Amber,
                format!(
                    "{} held back by a mute or quiet hours; they arrive as one catch-up when it ends.",
                    if d.held == 1 {
                        "1 alert is".to_string()
                    } else {
                        format!("{} alerts are", d.held)
                    }
                ),
            ));
        }
        let failed: i64 = d.failed.iter().map(|(_, n)| n).sum();
        if failed > 0 {
            let reasons: Vec<String> = d
                .failed
                .iter()
                .take(3)
                .map(|(reason, n)| {
                    let reason = crate::slack::refusal::stored_code(reason);
                    let reason = if reason.is_empty() { "unknown" } else { reason };
                    format!("{} ({n})", inline_code(reason, 100))
                })
                .collect();
            lines.push((
                Mark::Red,
                format!(
                    "*{failed} {} given up on in the last day*: {}. *Retry now* sends them again.",
                    if failed == 1 {
                        "alert was"
                    } else {
                        "alerts were"
                    },
                    reasons.join(", ")
                ),
            ));
        }
        lines
    }

    /// One marked line per org.
    fn org_lines(&self) -> Vec<(Mark, String)> {
        self.orgs
            .iter()
            .map(|o| {
                let name = escape_mrkdwn(&o.org);
                match o.linked {
                    Some((_, Health::Ok)) => (Mark::Green, format!("*{name}* is linked and working.")),
                    Some((GrantKind::TapAuth, Health::NeedsRelink)) => (
                        Mark::Red,
                        format!("*{name}* no longer works: a workspace admin can run `/sentry link` to connect it again."),
                    ),
                    Some((GrantKind::Static, Health::NeedsRelink)) => (
                        Mark::Red,
                        format!("*{name}*: Sentry rejects the token; replace `SENTRY_AUTH_TOKEN` on the server."),
                    ),
                    None => (
                        Mark::Red,
                        format!("*{name}* is not linked any more: a workspace admin can run `/sentry link`."),
                    ),
                }
            })
            .collect()
    }

    /// The worst mark of the check.
    pub(crate) fn worst(&self) -> Mark {
        std::iter::once(self.posting())
            .chain(self.subscription_lines())
            .chain(self.delivery_lines())
            .chain(self.org_lines())
            .map(|(mark, _)| mark)
            .max()
            .unwrap_or(Mark::Green)
    }

    /// Whether *Retry now* has something to do.
    fn retryable(&self) -> bool {
        self.pause.is_some() || self.deliveries.failed.iter().any(|(_, n)| *n > 0)
    }
}

/// The doctor's answer for one channel (`note` leads when set: what a retry just did).
pub(crate) fn channel(check: &ChannelCheck, note: Option<&str>) -> Message {
    let here = format!("<#{}>", escape_mrkdwn(&check.channel));
    let worst = check.worst();
    let verdict = match worst {
        Mark::Green => "alerts arrive here",
        Mark::Amber => "alerts arrive here, with something to look at",
        Mark::Red => "alerts do not all arrive here",
    };
    let mut blocks = vec![section(&format!(
        "{} *Sentry doctor for {here}*: {verdict}.",
        worst.emoji()
    ))];
    if let Some(note) = note {
        blocks.push(context(&[note]));
    }
    let (mark, posting) = check.posting();
    blocks.push(section(&format!("*Posting*\n{}", line(mark, &posting))));
    let subs = check.subscription_lines();
    let mut shown: Vec<String> = subs
        .iter()
        .take(SUB_LINES)
        .map(|(m, t)| line(*m, t))
        .collect();
    if subs.len() > SUB_LINES {
        shown.push(format!("and {} more", subs.len() - SUB_LINES));
    }
    blocks.push(section(&cut(&format!(
        "*Subscriptions*\n{}",
        shown.join("\n")
    ))));
    let deliveries: Vec<String> = check
        .delivery_lines()
        .iter()
        .map(|(m, t)| line(*m, t))
        .collect();
    blocks.push(section(&format!("*Deliveries*\n{}", deliveries.join("\n"))));
    let orgs: Vec<String> = check.org_lines().iter().map(|(m, t)| line(*m, t)).collect();
    if !orgs.is_empty() {
        blocks.push(section(&cut(&format!("*Sentry*\n{}", orgs.join("\n")))));
    }
    if check.retryable() {
        blocks.extend(command_button(
            "Retry now",
            0,
            &retry_command(&check.channel),
        ));
    }
    Message {
        text: format!("Sentry doctor for {here}: {verdict}."),
        blocks,
    }
}

/// The doctor's answer in a DM: one line per subscribed channel.
pub(crate) fn overview(checks: &[ChannelCheck]) -> Message {
    if checks.is_empty() {
        return Message::mrkdwn(
            "No channel to check: you have not subscribed one (admins see every channel). \
             `/sentry subscribe <project>` in a channel sends it alerts.",
        );
    }
    let red = checks.iter().filter(|c| c.worst() == Mark::Red).count();
    let title = format!(
        "*Sentry doctor*: {} subscribed {}, {}.",
        checks.len(),
        if checks.len() == 1 {
            "channel"
        } else {
            "channels"
        },
        match red {
            0 => "alerts arrive in all of them".to_string(),
            1 => "1 needs a fix".to_string(),
            n => format!("{n} need a fix"),
        }
    );
    let mut blocks = vec![section(&title)];
    let mut buttons = 0;
    // Room for the title, each channel's line and button, and a count of the rest.
    let room = (limits::MAX_BLOCKS - 2) / 2;
    for check in checks.iter().take(room) {
        let worst = check.worst();
        let here = format!("<#{}>", escape_mrkdwn(&check.channel));
        let (_, posting) = check.posting();
        let summary = if worst == Mark::Green {
            format!(
                "{} {} · last alert posted {}",
                check.subs.len(),
                if check.subs.len() == 1 {
                    "subscription"
                } else {
                    "subscriptions"
                },
                when(
                    check.subs.iter().filter_map(|s| s.posted_ms).max(),
                    "none yet"
                ),
            )
        } else {
            first_marked(check, worst).unwrap_or(posting)
        };
        blocks.push(section(&cut(&format!(
            "{} {here}: {summary}",
            worst.emoji()
        ))));
        if check.retryable() {
            blocks.extend(command_button(
                "Retry now",
                buttons,
                &retry_command(&check.channel),
            ));
            buttons += 1;
        }
    }
    if checks.len() > room {
        blocks.push(context(&[&format!(
            "and {} more; `/sentry doctor` in a channel checks it in full",
            checks.len() - room
        )]));
    }
    blocks.truncate(limits::MAX_BLOCKS);
    Message {
        text: title.replace('*', ""),
        blocks,
    }
}

/// The first line of a check marked `mark`, for the overview.
fn first_marked(check: &ChannelCheck, mark: Mark) -> Option<String> {
    std::iter::once(check.posting())
        .chain(check.delivery_lines())
        .chain(check.org_lines())
        .chain(check.subscription_lines())
        .find(|(m, _)| *m == mark)
        .map(|(_, t)| t)
}

/// A section's text within Slack's limit.
fn cut(text: &str) -> String {
    crate::slack::escape::truncate_plain(text, limits::MAX_SECTION_TEXT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check() -> ChannelCheck {
        ChannelCheck {
            channel: "C1".into(),
            membership: Membership::Known(ChannelState {
                is_member: true,
                ..ChannelState::default()
            }),
            pause: None,
            subs: Vec::new(),
            orgs: Vec::new(),
            deliveries: ChannelDeliveries::default(),
        }
    }

    fn said(message: &Message) -> String {
        serde_json::to_string(&message.blocks).unwrap()
    }

    #[test]
    fn a_channel_without_subscriptions_is_amber_and_offers_nothing_to_retry() {
        let check = check();
        assert_eq!(check.worst(), Mark::Amber);
        let message = channel(&check, None);
        assert!(said(&message).contains("No subscriptions here"));
        assert!(!said(&message).contains("Retry now"));
    }

    #[test]
    fn a_pause_is_red_with_its_fix_and_a_retry_and_a_member_bot_is_said() {
        let mut check = check();
        check.pause = Some(ChannelPause {
            channel_id: "C1".into(),
            reason: "not_in_channel".into(),
            paused_at_ms: 1_764_406_800_000,
            retry_at_ms: 0,
            tries: 2,
        });
        check.deliveries.pending = 2;
        assert_eq!(check.worst(), Mark::Red);
        let text = said(&channel(&check, Some("note")));
        assert!(text.contains("Slack refuses alerts here"), "{text}");
        assert!(text.contains("/invite @Sentry"), "{text}");
        assert!(text.contains("The bot is a member now"), "{text}");
        assert!(text.contains("*2 alerts are waiting*"), "{text}");
        assert!(text.contains("Retry now"), "{text}");
    }

    #[test]
    fn what_slack_says_of_the_channel_marks_posting() {
        let mut check = check();
        let posting = |c: &ChannelCheck| c.posting().0;
        check.membership = Membership::Known(ChannelState {
            is_archived: true,
            is_member: true,
            ..ChannelState::default()
        });
        assert_eq!(posting(&check), Mark::Red);
        check.membership = Membership::Known(ChannelState {
            is_private: true,
            ..ChannelState::default()
        });
        assert_eq!(posting(&check), Mark::Red);
        check.membership = Membership::Known(ChannelState::default());
        assert_eq!(
            posting(&check),
            Mark::Green,
            "public: posts without joining"
        );
        check.membership = Membership::Unknown("channel_not_found".into());
        assert_eq!(posting(&check), Mark::Red);
        check.membership = Membership::Unknown("missing_scope".into());
        assert_eq!(posting(&check), Mark::Green);
    }

    #[test]
    fn failed_alerts_and_a_broken_org_are_red_with_slacks_code() {
        let mut check = check();
        check.deliveries.failed = vec![("Slack refused the call: msg_too_long".into(), 3)];
        check.orgs = vec![OrgCheck {
            org: "acme".into(),
            linked: Some((GrantKind::TapAuth, Health::NeedsRelink)),
            webhook_ms: None,
        }];
        let text = said(&channel(&check, None));
        assert!(
            text.contains("*3 alerts were given up on in the last day*: `msg_too_long` (3)"),
            "{text}"
        );
        assert!(text.contains("`/sentry link`"), "{text}");
        assert!(text.contains("Retry now"));
    }

    #[test]
    fn the_overview_counts_what_needs_a_fix_and_stays_within_block_kit() {
        let mut broken = check();
        broken.deliveries.failed = vec![("x".into(), 1)];
        let many: Vec<ChannelCheck> = (0..80)
            .map(|i| ChannelCheck {
                channel: format!("C{i}"),
                ..broken.clone()
            })
            .collect();
        let message = overview(&many);
        assert!(message
            .text
            .contains("80 subscribed channels, 80 need a fix"));
        assert!(message.blocks.len() <= limits::MAX_BLOCKS);
        assert!(said(&message).contains("and 56 more"), "{}", said(&message));
        assert!(overview(&[]).text.contains("No channel to check"));
    }
}
