//! The app's Home tab for one person: the issues assigned to them in each
//! linked org (each row with its menu: resolve, archive, show), their DM
//! settings, the channels they subscribed and whether alerts reach them;
//! for admins also the linked orgs' health, paused channels and why, and
//! the last day's failed deliveries. Within Slack's 100 blocks. Pure.

use slack_morphism::prelude::*;

use crate::issues::card::Controls;
use crate::issues::list::menu_row;
use crate::orgs::grants::{GrantKind, Health, LinkedOrg};
use crate::sentry::models::Issue;
use crate::slack::action::row_block_id;
use crate::slack::escape::{escape_mrkdwn, inline_code, truncate_plain};
use crate::slack::limits;
use crate::slack::message::{context, header, section};
use crate::slack::refusal::ChannelRefusal;
use crate::store::{ChannelPause, NotifySettings, SubscriptionRow};

/// Blocks a Home tab may hold.
pub(crate) const HOME_BLOCKS: usize = 100;
/// Subscriptions and paused channels listed before "and N more".
const LINES: usize = 15;

/// The issues assigned to the person in one org.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct OrgAssigned {
    /// Org slug.
    pub org: String,
    /// The issues read, most recently seen first.
    pub issues: Vec<Issue>,
    /// How many match in all, when the server counts (else those read).
    pub total: usize,
    /// The server did not count, and there are more than `total`.
    pub at_least: bool,
    /// Where Sentry lists all of them.
    pub search_url: String,
    /// What the org's server can act on.
    pub controls: Controls,
    /// Why the issues could not be read, when they could not.
    pub problem: Option<String>,
}

/// What an admin sees besides their own.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AdminHome {
    /// The linked orgs.
    pub orgs: Vec<LinkedOrg>,
    /// Channels Slack refuses.
    pub pauses: Vec<ChannelPause>,
    /// Per channel, alerts given up on in the last day and why.
    pub failed: Vec<(String, String, i64)>,
}

/// Everything on one person's Home tab.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Home {
    /// The issues assigned to them, per org; empty when no org is linked.
    pub assigned: Vec<OrgAssigned>,
    /// Why their Sentry identity is unknown, when it is.
    pub identity_problem: Option<String>,
    /// Their DM settings.
    pub notify: NotifySettings,
    /// The subscriptions they made, with their channel's pause.
    pub subscriptions: Vec<(SubscriptionRow, Option<ChannelPause>)>,
    /// Set for workspace admins.
    pub admin: Option<AdminHome>,
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

fn channel(id: &str) -> String {
    format!("<#{}>", escape_mrkdwn(id))
}

/// Why Slack refuses `pause`'s channel, in words.
fn pause_words(pause: &ChannelPause) -> String {
    let here = channel(&pause.channel_id);
    match ChannelRefusal::from_code(&pause.reason) {
        Some(why) => format!("{}. {}", why.what(&here), why.fix(&here)),
        None => format!("Slack answers {}", inline_code(&pause.reason, 80)),
    }
}

/// Sections after the assigned issues, built first so the issues get the room left.
fn rest(home: &Home) -> Vec<SlackBlock> {
    let mut blocks = vec![
        SlackDividerBlock::new().into(),
        section(&format!(
            "*Your DMs*\nAn issue assigned to you: *{}* · one of yours comes back or escalates: *{}*. \
             Change them with `/sentry notify assigned on|off` or `/sentry notify regressions on|off`.",
            on_off(home.notify.assigned),
            on_off(home.notify.regressions)
        )),
    ];
    let subs = if home.subscriptions.is_empty() {
        "You have not subscribed a channel. `/sentry subscribe <project>` in a channel sends it alerts.".to_string()
    } else {
        let mut lines: Vec<String> = home
            .subscriptions
            .iter()
            .take(LINES)
            .map(|(sub, pause)| {
                let what = format!(
                    "{} *{}/{}* {}",
                    channel(&sub.channel_id),
                    escape_mrkdwn(&sub.org_slug),
                    escape_mrkdwn(&sub.project_slug),
                    inline_code(&sub.query, 100)
                );
                match pause {
                    Some(pause) => {
                        format!(":red_circle: {what}: alerts wait, {}", pause_words(pause))
                    }
                    None => format!(":large_green_circle: {what}"),
                }
            })
            .collect();
        if home.subscriptions.len() > LINES {
            lines.push(format!("and {} more", home.subscriptions.len() - LINES));
        }
        lines.join("\n")
    };
    blocks.push(section(&cut(&format!("*Channels you subscribed*\n{subs}"))));
    if let Some(admin) = &home.admin {
        blocks.push(SlackDividerBlock::new().into());
        blocks.push(header("Workspace (admins)"));
        blocks.extend(admin_blocks(admin));
    }
    blocks
}

fn admin_blocks(admin: &AdminHome) -> Vec<SlackBlock> {
    let orgs = if admin.orgs.is_empty() {
        "No Sentry org is linked: `/sentry link` connects one.".to_string()
    } else {
        admin
            .orgs
            .iter()
            .map(|o| {
                let name = escape_mrkdwn(&o.org);
                match (o.health, o.kind) {
                    (Health::Ok, _) => format!(":large_green_circle: *{name}* working"),
                    (Health::NeedsRelink, GrantKind::TapAuth) => format!(
                        ":red_circle: *{name}* no longer works: `/sentry link` connects it again"
                    ),
                    (Health::NeedsRelink, GrantKind::Static) => format!(
                        ":red_circle: *{name}*: Sentry rejects `SENTRY_AUTH_TOKEN`; replace it on the server"
                    ),
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let paused = if admin.pauses.is_empty() {
        ":large_green_circle: Slack takes posts in every subscribed channel.".to_string()
    } else {
        let mut lines: Vec<String> = admin
            .pauses
            .iter()
            .take(LINES)
            .map(|p| format!(":red_circle: {}", pause_words(p)))
            .collect();
        if admin.pauses.len() > LINES {
            lines.push(format!("and {} more", admin.pauses.len() - LINES));
        }
        lines.join("\n")
    };
    let failed = if admin.failed.is_empty() {
        ":large_green_circle: No alert was given up on in the last day.".to_string()
    } else {
        let mut lines: Vec<String> = admin
            .failed
            .iter()
            .take(LINES)
            .map(|(c, reason, n)| {
                let reason = crate::slack::refusal::stored_code(reason);
                format!(
                    ":red_circle: {} · {n} × {} · `/sentry doctor retry` there sends them again",
                    channel(c),
                    inline_code(reason, 80)
                )
            })
            .collect();
        if admin.failed.len() > LINES {
            lines.push(format!("and {} more channels", admin.failed.len() - LINES));
        }
        lines.join("\n")
    };
    vec![
        section(&cut(&format!("*Linked orgs*\n{orgs}"))),
        section(&cut(&format!("*Paused channels*\n{paused}"))),
        section(&cut(&format!("*Failed deliveries, last day*\n{failed}"))),
    ]
}

/// The Home tab's blocks for `home`.
pub(crate) fn blocks(home: &Home) -> Vec<SlackBlock> {
    let tail = rest(home);
    let mut blocks = vec![header("Your Sentry")];
    let mut issues_blocks = Vec::new();
    if let Some(problem) = &home.identity_problem {
        issues_blocks.push(section(&format!("*Assigned to you*\n{problem}")));
    } else if home.assigned.is_empty() {
        issues_blocks.push(section(
            "*Assigned to you*\nNo Sentry org is linked yet: a workspace admin can run `/sentry link`.",
        ));
    } else {
        let total: usize = home.assigned.iter().map(|o| o.total).sum();
        let plus = if home.assigned.iter().any(|o| o.at_least) {
            "+"
        } else {
            ""
        };
        issues_blocks.push(section(&format!(
            "*Assigned to you* · {total}{plus} unresolved {}",
            if total == 1 && plus.is_empty() {
                "issue"
            } else {
                "issues"
            }
        )));
        // Each org keeps room for its heading and its "and N more".
        let room =
            HOME_BLOCKS.saturating_sub(blocks.len() + tail.len() + 1 + 2 * home.assigned.len());
        let mut rows_left = room;
        let mut index = 0;
        for org in &home.assigned {
            let name = escape_mrkdwn(&org.org);
            if let Some(problem) = &org.problem {
                issues_blocks.push(context(&[&format!("*{name}*: {problem}")]));
                continue;
            }
            issues_blocks.push(context(&[&format!(
                "*{name}* · {}{} assigned to you",
                org.total,
                if org.at_least { "+" } else { "" }
            )]));
            let shown = org.issues.len().min(rows_left);
            for issue in org.issues.iter().take(shown) {
                issues_blocks.push(menu_row(
                    &org.org,
                    issue,
                    org.controls,
                    row_block_id(index, None),
                ));
                index += 1;
            }
            rows_left -= shown;
            let url = org.search_url.replace('|', "%7C").replace('>', "%3E");
            if org.total > shown {
                issues_blocks.push(context(&[&format!(
                    "and {}{} more: <{url}|see them all in Sentry>",
                    org.total - shown,
                    if org.at_least { "+" } else { "" }
                )]));
            } else if org.at_least {
                issues_blocks.push(context(&[&format!(
                    "and more: <{url}|see them all in Sentry>"
                )]));
            } else if org.issues.is_empty() {
                issues_blocks.push(context(&[":tada: Nothing assigned to you here."]));
            }
        }
    }
    blocks.extend(issues_blocks);
    blocks.extend(tail);
    blocks.truncate(HOME_BLOCKS);
    blocks
}

fn cut(text: &str) -> String {
    truncate_plain(text, limits::MAX_SECTION_TEXT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home(issues: usize) -> Home {
        Home {
            assigned: vec![OrgAssigned {
                org: "acme".into(),
                issues: (0..issues.min(100))
                    .map(|i| Issue::bare(format!("{i}"), format!("Boom {i}")))
                    .collect(),
                total: issues,
                at_least: false,
                search_url: "https://sentry.io/organizations/acme/issues/?query=assigned%3Aa%40x"
                    .into(),
                controls: Controls::ALL,
                problem: None,
            }],
            identity_problem: None,
            notify: NotifySettings::default(),
            subscriptions: Vec::new(),
            admin: None,
        }
    }

    #[test]
    fn two_hundred_assigned_issues_fit_with_a_count_and_a_link_for_the_rest() {
        let blocks = blocks(&home(200));
        assert!(blocks.len() <= HOME_BLOCKS, "{}", blocks.len());
        let json = serde_json::to_string(&blocks).unwrap();
        assert!(json.contains("200 unresolved issues"));
        let rows = json.matches("\"block_id\":\"r").count();
        assert!(rows > 50, "{rows} rows shown");
        assert!(
            json.contains(&format!(
                "and {} more: <https://sentry.io/organizations/acme/issues/",
                200 - rows
            )),
            "{json}"
        );
    }

    #[test]
    fn admins_see_paused_channels_and_why() {
        let mut home = home(1);
        home.admin = Some(AdminHome {
            orgs: Vec::new(),
            pauses: vec![ChannelPause {
                channel_id: "C0PAY".into(),
                reason: "not_in_channel".into(),
                paused_at_ms: 0,
                retry_at_ms: 0,
                tries: 0,
            }],
            failed: vec![(
                "C0X".into(),
                "Slack refused the call: msg_too_long".into(),
                2,
            )],
        });
        let json = serde_json::to_string(&blocks(&home)).unwrap();
        assert!(json.contains("Paused channels"));
        assert!(
            json.contains("the bot is not a member of <#C0PAY>"),
            "{json}"
        );
        assert!(json.contains("2 × `msg_too_long`"), "{json}");
        assert!(!serde_json::to_string(&blocks(&self::home(1)))
            .unwrap()
            .contains("Paused channels"));
    }
}
