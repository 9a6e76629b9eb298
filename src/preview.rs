//! Every kind of message the bot sends, drawn from built-in sample data, so
//! a person can look at them without a workspace (`sentry-slack-bot
//! preview`) and the snapshot tests can pin them. Pure.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::alerts::messages::{self as alerts, Baseline};
use crate::commands::help;
use crate::commands::parse::{parse, Subcommand};
use crate::commands::usage::usage_error;
use crate::issues::card::{issue_card, Card, Controls};
use crate::issues::events::{events_page, releases, EventsPage};
use crate::issues::list::{issue_page, Expanded, IssuePage};
use crate::links::messages as grants;
use crate::links::webhook_messages::{self, SecretSource, Setup};
use crate::orgs::grants::{GrantKind, Health, LinkedOrg};
use crate::orgs::webhook_secrets::Endpoint;
use crate::sentry::models::{Event, Issue, Release};
use crate::slack::action::Rerun;
use crate::slack::escape::percent_encode;
use crate::slack::Message;
use crate::store::{MentionPolicy, SubscriptionRow, ThreadPolicy};

/// "Now" in the samples, so previews and snapshots do not drift.
const SAMPLE_NOW_MS: i64 = 1_764_406_800_000;

/// The day the sample report covers: the sample issues' hourly counts.
const SAMPLE_REPORT_PERIOD: crate::reports::figures::Period = crate::reports::figures::Period {
    step: crate::reports::figures::Step::Hour,
    before: 1_764_288_000 - 86_400,
    start: 1_764_288_000,
    end: 1_764_288_000 + 86_400,
};

/// The message kinds, by the name `preview` takes.
pub const KINDS: [&str; 39] = [
    "alert",
    "alert-mention",
    "alert-owner",
    "alert-team",
    "regression",
    "escalating",
    "resolved",
    "muted-here",
    "digest",
    "storm",
    "catch-up",
    "issue",
    "list",
    "list-shown",
    "unfurl",
    "events",
    "releases",
    "help",
    "usage",
    "busy",
    "too-slow",
    "orgs",
    "subscribed",
    "subscribe-notice",
    "subscriptions",
    "muted",
    "report",
    "webhooks",
    "version",
    "people",
    "dm",
    "dm-folded",
    "dm-escalating",
    "notify",
    "channel-paused",
    "plain-alert",
    "doctor",
    "doctor-dm",
    "home",
];

/// The sample message of `kind`, or `None` for a name not in [`KINDS`].
pub fn sample(kind: &str) -> Option<Message> {
    let issue = sample_issue();
    let event = sample_event();
    Some(match kind {
        "alert" => alerts::new_issue("acme", &issue, Some(&event), Controls::ALL),
        "alert-mention" => alerts::alert_card(
            "acme",
            &issue,
            Some(&event),
            Controls::ALL,
            Some("<@U0ANN>"),
            crate::issues::card::Phase::New,
        ),
        "alert-owner" => {
            let unassigned = Issue {
                assigned_to: None,
                ..issue.clone()
            };
            alerts::alert_card(
                "acme",
                &unassigned,
                Some(&event),
                Controls::ALL,
                Some("<!subteam^S0BACKEND>"),
                crate::issues::card::Phase::New,
            )
        }
        "alert-team" => {
            let to_team = Issue {
                assigned_to: Some(crate::sentry::models::Assignee {
                    kind: Some("team".into()),
                    id: Some("5".into()),
                    name: Some("backend".into()),
                    email: None,
                }),
                ..issue.clone()
            };
            alerts::routed_card(
                "acme",
                &to_team,
                Some(&event),
                Controls::ALL,
                Some("<!subteam^S0BACK1>"),
                "Assigned to #backend",
            )
        }
        "regression" => {
            let regressed = Issue {
                substatus: Some("regressed".into()),
                ..issue
            };
            alerts::regressed("acme", &regressed, Some(&event), Controls::ALL)
        }
        // Posted in the alert's thread and shown in the channel.
        "escalating" => {
            let spiking = Issue {
                substatus: Some("escalating".into()),
                ..issue
            };
            crate::alerts::messages::alert_card(
                "acme",
                &spiking,
                Some(&event),
                Controls::ALL,
                Some("<@U0ANN>"),
                crate::issues::card::Phase::Escalating,
            )
        }
        "resolved" => {
            let resolved = Issue {
                status: Some("resolved".into()),
                substatus: None,
                ..issue
            };
            alerts::synced(
                "acme",
                &resolved,
                "Resolved by Ann Lee in Sentry",
                Some(&event),
                Controls::ALL,
                None,
                false,
            )
        }
        "muted-here" => {
            let line = crate::triage::here::said(true, "U0ALICE");
            issue_card(&Card {
                event: Some(&event),
                note: Some(&line),
                here: Some(true),
                ..Card::new("acme", &issue)
            })
        }
        "digest" => alerts::digest("acme", "api", &sample_issues(7), 5),
        // A webhook storm gathered into one digest: the first rows listed, 200 counted.
        "storm" => alerts::digest_counted(
            "acme",
            "api",
            &sample_issues(crate::alerts::storm::STORM_ROWS),
            200,
            alerts::Beyond::Nothing,
            5,
        ),
        // The message after a two-hour mute: counted, the first rows listed.
        "catch-up" => {
            let issues = sample_issues(14);
            let mut shown: Vec<crate::alerts::held::HeldIssue> = issues
                .iter()
                .take(crate::alerts::messages::CATCH_UP_ROWS)
                .map(|issue| crate::alerts::held::HeldIssue {
                    issue: issue.clone(),
                    regressed: false,
                    escalated: false,
                    now: Some("unresolved".into()),
                })
                .collect();
            shown[1].regressed = true;
            shown[2].now = Some("resolved".into());
            crate::alerts::messages::catch_up(
                "acme",
                "api",
                &crate::alerts::held::Held {
                    why: crate::alerts::held::HeldWhy::Muted,
                    from_ms: SAMPLE_NOW_MS - 7_200_000,
                    until_ms: SAMPLE_NOW_MS,
                    new: 13,
                    regressions: 1,
                    escalations: 0,
                    shown,
                },
            )
        }
        "issue" => issue_card(&Card {
            event: Some(&event),
            share: Some(Rerun {
                text: "issue API-3F".into(),
                cursor: None,
                page: 1,
            }),
            ..Card::new("acme", &issue)
        }),
        "dm" | "dm-folded" | "dm-escalating" => {
            use crate::people::notice::{By, Dm, Notice, Reason};
            let notice = |issue: &Issue, reason, by| Notice {
                org: "acme".into(),
                issue: issue.clone(),
                reason,
                by,
            };
            let mut notices = vec![match kind {
                "dm-escalating" => notice(
                    &Issue {
                        substatus: Some("escalating".into()),
                        ..issue.clone()
                    },
                    Reason::Escalated,
                    None,
                ),
                _ => notice(&issue, Reason::Assigned, Some(By::Slack("U0ALICE".into()))),
            }];
            if kind == "dm-folded" {
                let others = sample_issues(6);
                notices.extend(
                    others[1..4]
                        .iter()
                        .map(|i| notice(i, Reason::Assigned, Some(By::Sentry("Jane Doe".into())))),
                );
                notices.push(notice(&others[4], Reason::Regressed, None));
                notices.push(notice(&others[5], Reason::Escalated, None));
            }
            crate::people::dm::dm(&Dm::grown(None, notices), |_| Controls::ALL)
        }
        "notify" => {
            use crate::people::messages::{notify_settings, Reach};
            let settings = crate::store::NotifySettings {
                assigned: true,
                regressions: false,
            };
            notify_settings(
                &settings,
                Some((crate::commands::command::NotifyTopic::Regressions, false)),
                &[
                    (
                        "acme".into(),
                        Reach::Known {
                            name: "Ann Lee".into(),
                            mapped: false,
                        },
                    ),
                    (
                        "acme-eu".into(),
                        Reach::Unmatched {
                            email: Some("ann@acme.example".into()),
                        },
                    ),
                ],
            )
        }
        "people" => {
            use crate::orgs::people::matching::Match;
            use crate::people::messages::{people, PersonLine};
            let line = |name: &str, email: &str, matched| PersonLine {
                name: name.into(),
                email: Some(email.into()),
                matched,
            };
            people(
                "acme",
                &[
                    line(
                        "Ann Lee",
                        "ann@acme.example",
                        Match::Email {
                            slack_user_id: "U0ANN".into(),
                        },
                    ),
                    line(
                        "Bo Park",
                        "bo@acme.example",
                        Match::Mapped {
                            slack_user_id: "U0BO".into(),
                        },
                    ),
                    line("Cy Dunn", "cy@contractor.example", Match::None),
                ],
                &[("backend".into(), "S0BACKEND".into())],
                true,
            )
        }
        "list" | "list-shown" => {
            let issues = sample_issues(4);
            let shown = issues.get(1).map(|i| i.id.clone()).unwrap_or_default();
            let rerun = Rerun {
                text: "issues api".into(),
                cursor: Some("1764374400000:0:1".into()),
                page: 2,
            };
            issue_page(&IssuePage {
                org: "acme",
                project: "api",
                query: "is:unresolved",
                issues: &issues,
                page: 1,
                next: Some(rerun.clone()),
                share: Some(rerun.clone()),
                this_page: Some(rerun),
                status_line: None,
                controls: Controls::ALL,
                expanded: (kind == "list-shown").then_some(Expanded {
                    issue_id: &shown,
                    event: Some(&event),
                }),
            })
        }
        "unfurl" => issue_card(&Card {
            event: Some(&event),
            ..Card::new("acme", &issue)
        }),
        "events" => {
            let events: Vec<Event> = (0..5).map(sample_event_at).collect();
            events_page(&EventsPage {
                issue: &issue,
                events: &events,
                page: 1,
                next: Some(Rerun {
                    text: "events API-3F".into(),
                    cursor: Some("1764374400000:5:0".into()),
                    page: 2,
                }),
                share: Some(Rerun {
                    text: "events API-3F".into(),
                    cursor: None,
                    page: 1,
                }),
            })
        }
        "releases" => releases("acme", "api", "1", "https://sentry.io", &sample_releases()),
        "help" => help::overview(),
        "busy" => crate::orgs::failures::busy(),
        "too-slow" => crate::orgs::failures::sentry_too_slow(std::time::Duration::from_secs(25)),
        "usage" => match parse("isues api") {
            Err(error) => usage_error("isues api", &error),
            Ok(_) => help::topic(Subcommand::Issues),
        },
        "orgs" => grants::orgs(
            &[
                (
                    LinkedOrg {
                        org: "acme".into(),
                        kind: GrantKind::TapAuth,
                        scopes: vec![
                            "org:read".into(),
                            "project:read".into(),
                            "event:write".into(),
                        ],
                        health: Health::Ok,
                        linked_by: Some("U0ADMIN".into()),
                        linked_at_ms: Some(SAMPLE_NOW_MS - 2 * 86_400_000),
                        token_fetched_at_ms: Some(SAMPLE_NOW_MS - 3 * 3_600_000),
                    },
                    Vec::new(),
                ),
                (LinkedOrg::configured("globex"), Vec::new()),
            ],
            &HashMap::from([("acme".to_string(), 12)]),
            SAMPLE_NOW_MS,
        ),
        "subscribed" => alerts::subscribed(
            &sample_subscription("api", "is:unresolved"),
            false,
            Baseline::Exactly(12),
        ),
        "subscribe-notice" => {
            alerts::subscribed_notice(&sample_subscription("api", "is:unresolved"))
        }
        "subscriptions" => {
            let hush = crate::quiet::hush::Hush {
                mute: Some(crate::quiet::hush::Mute {
                    from_ms: SAMPLE_NOW_MS - 600_000,
                    until_ms: SAMPLE_NOW_MS + 7_200_000,
                    by: "U0ALICE".into(),
                }),
                quiet: crate::quiet::schedule::QuietHours::from_column(
                    "22:00-08:00 Europe/Berlin weekdays",
                ),
                urgent: Some("level:fatal".into()),
            };
            let quiet = crate::alerts::mute::hush_line(&hush, SAMPLE_NOW_MS)
                .map(|line| ("sub-web".to_string(), line))
                .into_iter()
                .collect();
            alerts::subscriptions(
                &[
                    sample_subscription("api", "is:unresolved level:error"),
                    sample_subscription("web", "is:unresolved"),
                ],
                &quiet,
            )
        }
        // A daily report of a busy day, its chart served from PUBLIC_URL.
        "report" => {
            let (heading, figures) = sample_report();
            let alt = figures
                .timeline
                .as_ref()
                .map(|t| crate::reports::chart::alt_text(t, chrono_tz::UTC))
                .unwrap_or_default();
            let chart = url::Url::parse(&format!(
                "https://sentry-slack-bot.fly.dev/charts/{}.png",
                "5e".repeat(32)
            ))
            .ok()
            .map(|url| crate::reports::message::ChartImage { url, alt });
            crate::reports::message::report(&heading, &figures, chart.as_ref())
        }
        "muted" => crate::alerts::mute::muted(
            &[sample_subscription("api", "is:unresolved")],
            &crate::commands::command::HushTarget::Project(crate::commands::command::ProjectRef {
                org: None,
                project: "api".into(),
            }),
            std::time::Duration::from_secs(7_200),
            chrono::DateTime::from_timestamp_millis(SAMPLE_NOW_MS + 7_200_000).unwrap_or_default(),
            chrono_tz::America::Los_Angeles,
        ),
        "webhooks" => webhook_messages::setup(&Setup {
            org: "acme".into(),
            endpoint: Endpoint::Url("https://sentry-bot.fly.dev/sentry/webhooks/acme".into()),
            secret: SecretSource::Missing,
            last_delivery_seconds_ago: None,
        }),
        "version" => crate::version::message(
            &crate::version::Build {
                version: "1.4.2",
                commit: "3f9c2a7d41be",
            },
            crate::store::Backend::Postgres,
        ),
        "channel-paused" | "doctor" | "doctor-dm" => return health_sample(kind),
        "home" => home_sample(),
        "plain-alert" => crate::alerts::alert::Alert::New { issue }.plain("acme"),
        _ => return None,
    })
}

/// An admin's Home tab: three issues assigned to them of 12, one
/// subscription in a channel the bot was removed from.
fn home_sample() -> Message {
    use crate::home::view::{self, AdminHome, Home, OrgAssigned};
    use crate::store::ChannelPause;
    let pause = ChannelPause {
        channel_id: "C0PAYMENTS".into(),
        reason: "not_in_channel".into(),
        paused_at_ms: SAMPLE_NOW_MS - 3_600_000,
        retry_at_ms: SAMPLE_NOW_MS + 120_000,
        tries: 3,
    };
    let home = Home {
        assigned: vec![OrgAssigned {
            org: "acme".into(),
            issues: sample_issues(3),
            total: 12,
            at_least: false,
            search_url: "https://sentry.io/organizations/acme/issues/?query=is%3Aunresolved%20assigned%3Aadmin%40acme.test".into(),
            controls: Controls::ALL,
            problem: None,
        }],
        identity_problem: None,
        notify: crate::store::NotifySettings::default(),
        subscriptions: vec![
            (sample_subscription("api", "is:unresolved level:error"), None),
            (
                SubscriptionRow {
                    channel_id: "C0PAYMENTS".into(),
                    ..sample_subscription("web", "is:unresolved")
                },
                Some(pause.clone()),
            ),
        ],
        admin: Some(AdminHome {
            orgs: vec![LinkedOrg::configured("acme")],
            pauses: vec![pause],
            failed: vec![("C0OPS".into(), "Slack refused the call: msg_too_long".into(), 2)],
        }),
    };
    let blocks = view::blocks(&home);
    Message {
        text: "Home tab".into(),
        blocks,
    }
}

/// The delivery-health samples: a channel the bot was removed from, as the
/// subscriber's DM, `/sentry doctor` there, and the doctor in a DM.
fn health_sample(kind: &str) -> Option<Message> {
    use crate::health::report::{self, ChannelCheck, Membership, OrgCheck, SubscriptionCheck};
    use crate::slack::refusal::ChannelRefusal;
    use crate::store::{ChannelDeliveries, ChannelPause};
    let paused = ChannelCheck {
        channel: "C0PAYMENTS".into(),
        membership: Membership::Unknown("channel_not_found".into()),
        pause: Some(ChannelPause {
            channel_id: "C0PAYMENTS".into(),
            reason: "not_in_channel".into(),
            paused_at_ms: SAMPLE_NOW_MS - 3_600_000,
            retry_at_ms: SAMPLE_NOW_MS + 120_000,
            tries: 3,
        }),
        subs: vec![
            SubscriptionCheck {
                sub: SubscriptionRow {
                    channel_id: "C0PAYMENTS".into(),
                    ..sample_subscription("api", "is:unresolved level:error")
                },
                polled_ms: Some(SAMPLE_NOW_MS - 40_000),
                posted_ms: Some(SAMPLE_NOW_MS - 2 * 86_400_000),
            },
            SubscriptionCheck {
                sub: SubscriptionRow {
                    channel_id: "C0PAYMENTS".into(),
                    ..sample_subscription("web", "is:unresolved")
                },
                polled_ms: Some(SAMPLE_NOW_MS - 40_000),
                posted_ms: None,
            },
        ],
        orgs: vec![OrgCheck {
            org: "acme".into(),
            linked: Some((GrantKind::TapAuth, Health::Ok)),
            webhook_ms: Some(SAMPLE_NOW_MS - 300_000),
        }],
        deliveries: ChannelDeliveries {
            pending: 4,
            held: 0,
            failed: vec![("Slack refused the call: msg_too_long".into(), 1)],
        },
    };
    Some(match kind {
        "channel-paused" => crate::alerts::pause_message::paused(
            "C0PAYMENTS",
            ChannelRefusal::NotInChannel,
            &["acme/api".to_string(), "acme/web".to_string()],
            4,
        ),
        "doctor" => report::channel(&paused, None),
        "doctor-dm" => {
            let fine = ChannelCheck {
                channel: "C0ALERTS".into(),
                membership: Membership::NotChecked,
                pause: None,
                subs: vec![SubscriptionCheck {
                    sub: sample_subscription("api", "is:unresolved"),
                    polled_ms: Some(SAMPLE_NOW_MS - 20_000),
                    posted_ms: Some(SAMPLE_NOW_MS - 900_000),
                }],
                deliveries: ChannelDeliveries::default(),
                ..paused.clone()
            };
            let quiet = ChannelCheck {
                channel: "C0WEB".into(),
                deliveries: ChannelDeliveries {
                    held: 6,
                    ..ChannelDeliveries::default()
                },
                ..fine.clone()
            };
            report::overview(&[paused, quiet, fine])
        }
        _ => return None,
    })
}

/// `{"blocks": […]}`, the payload Block Kit Builder and Slack take; a
/// message of text alone is `{"text": …}`.
pub fn payload(message: &Message) -> Value {
    if message.blocks.is_empty() {
        return json!({ "text": message.text });
    }
    json!({ "blocks": message.blocks })
}

/// A link that opens `message` in Slack's Block Kit Builder.
pub fn builder_url(message: &Message) -> String {
    let body = payload(message).to_string();
    format!(
        "https://app.slack.com/block-kit-builder/#{}",
        percent_encode(&body)
    )
}

/// Hourly counts that climb in the last hours, like an issue taking off.
fn rising_stats() -> Value {
    let counts = [
        0, 0, 1, 0, 0, 2, 1, 0, 0, 0, 3, 1, 0, 2, 4, 3, 5, 8, 6, 12, 18, 25, 31, 42,
    ];
    let buckets: Vec<Value> = counts
        .iter()
        .enumerate()
        .map(|(h, c)| json!([1_764_288_000 + h as u64 * 3600, c]))
        .collect();
    json!({ "24h": buckets })
}

fn sample_issue() -> Issue {
    serde_json::from_value(json!({
        "id": "4509123456",
        "shortId": "API-3F",
        "title": "KeyError: 'cart_id'",
        "culprit": "app.cart in total",
        "permalink": "https://acme.sentry.io/issues/4509123456/",
        "level": "error",
        "status": "unresolved",
        "substatus": "new",
        "firstSeen": "2026-11-28T09:05:00Z",
        "lastSeen": "2026-11-29T08:57:00Z",
        "count": "1234",
        "userCount": 56,
        "project": { "id": "1", "slug": "api" },
        "assignedTo": { "type": "user", "id": "7", "name": "Ann Lee" },
        "metadata": { "type": "KeyError", "value": "'cart_id'" },
        "stats": rising_stats(),
    }))
    .unwrap_or_else(|_| Issue::bare("4509123456", "KeyError: 'cart_id'"))
}

/// The sample report: its heading and figures.
fn sample_report() -> (
    crate::reports::message::Heading,
    crate::reports::figures::Figures,
) {
    let issues = sample_issues(6);
    let mut figures = crate::reports::figures::Figures {
        new: Some(crate::reports::figures::Count::Exactly(12)),
        new_before: Some(crate::reports::figures::Count::Exactly(9)),
        resolved: Some(crate::reports::figures::Count::Exactly(7)),
        regressed: Some(crate::reports::figures::Count::Exactly(2)),
        top: issues[..5].to_vec(),
        unassigned_new: (
            issues[1..3].to_vec(),
            crate::reports::figures::Count::Exactly(4),
        ),
        escalating: (
            issues[3..4].to_vec(),
            crate::reports::figures::Count::Exactly(1),
        ),
        oldest_unassigned: Some(issues[5].clone()),
        triaged: vec![
            crate::reports::figures::Triaged {
                user: "U0ALICE".into(),
                verb: "resolved",
                issue: "API-3F".into(),
            },
            crate::reports::figures::Triaged {
                user: "U0BOB".into(),
                verb: "archived",
                issue: "API-41".into(),
            },
        ],
        left_out: Vec::new(),
        ..Default::default()
    };
    // The chart and the events from the issues' hourly counts.
    let mut read = crate::reports::figures::Figures::default();
    crate::reports::figures::read_active(&mut read, &issues, false, SAMPLE_REPORT_PERIOD);
    figures.period = read.period;
    figures.timeline = read.timeline;
    figures.events = read.events;
    let heading = crate::reports::message::Heading {
        org: "acme".into(),
        project: "api".into(),
        cadence: crate::reports::schedule::Cadence::Daily,
        end: chrono::DateTime::from_timestamp(SAMPLE_REPORT_PERIOD.end, 0).unwrap_or_default(),
        late_minutes: None,
    };
    (heading, figures)
}

/// The sample report's chart as PNG bytes (`preview --chart FILE`).
pub fn sample_report_chart() -> Result<Vec<u8>, crate::reports::chart::ChartError> {
    let (_, figures) = sample_report();
    let timeline = figures.timeline.unwrap_or_default();
    crate::reports::chart::draw(
        &timeline,
        "acme/api · events per hour (UTC)",
        chrono_tz::UTC,
    )
}

fn sample_issues(n: usize) -> Vec<Issue> {
    let titles = [
        ("KeyError: 'cart_id'", "error"),
        ("TimeoutError: upstream payments took 30 s", "error"),
        ("Deprecated call to legacy_price()", "warning"),
        ("OperationalError: too many connections", "fatal"),
        ("TypeError: undefined is not a function", "error"),
        ("Slow DB query in /checkout", "info"),
        ("ValueError: bad coupon code", "error"),
    ];
    titles
        .iter()
        .cycle()
        .take(n)
        .enumerate()
        .map(|(i, (title, level))| Issue {
            id: format!("45091234{:02}", 56 + i),
            title: title.to_string(),
            short_id: Some(format!("API-{:X}", 0x3F + i)),
            level: Some(level.to_string()),
            count: Some(1234 / (i as u64 + 1)),
            user_count: Some(56 / (i as u64 + 1)),
            permalink: Some(format!(
                "https://acme.sentry.io/issues/45091234{:02}/",
                56 + i
            )),
            assigned_to: None,
            ..sample_issue()
        })
        .collect()
}

fn sample_event() -> Event {
    serde_json::from_value(json!({
        "eventID": "9fac2ceed9344f2bbfdd1fdacb0ed9b1",
        "tags": [
            { "key": "environment", "value": "production" },
            { "key": "release", "value": "api@1.4.2" },
            { "key": "handled", "value": "no" }
        ],
        "entries": [{ "type": "exception", "data": { "values": [{
            "type": "KeyError", "value": "'cart_id'",
            "mechanism": { "type": "generic", "handled": false },
            "stacktrace": { "frames": [
                { "filename": "app/views.py", "function": "checkout", "lineNo": 31, "inApp": true },
                { "filename": "app/cart.py", "function": "total", "lineNo": 88, "inApp": true },
                { "filename": "django/core/handlers.py", "function": "get_response", "lineNo": 5, "inApp": false }
            ] }
        }] } }]
    }))
    .unwrap_or(Event {
        event_id: None,
        id: None,
        date_created: None,
        user: None,
        message: None,
        title: None,
        tags: Vec::new(),
        entries: Vec::new(),
    })
}

/// The sample event `k` minutes earlier, alternating environment and release,
/// its crash moving from `app/cart.py` to `app/legacy.py` after two.
fn sample_event_at(k: u64) -> Event {
    let mut event = sample_event();
    event.event_id = Some(format!("{:032x}", 0x9fac_2cee_u64 + k));
    event.date_created = Some(format!("2026-11-29T08:{:02}:00Z", 57 - k));
    event.user = Some(json!({ "email": format!("shopper{k}@example.com") }));
    event.tags = vec![
        crate::sentry::models::Tag {
            key: "environment".into(),
            value: Some(if k % 2 == 0 { "production" } else { "staging" }.into()),
        },
        crate::sentry::models::Tag {
            key: "release".into(),
            value: Some(format!("api@1.4.{}", 2 - k.min(2))),
        },
    ];
    let frames = event
        .entries
        .get_mut(0)
        .and_then(|e| e["data"]["values"][0]["stacktrace"]["frames"].as_array_mut());
    if let (true, Some(frame)) = (k >= 2, frames.and_then(|f| f.get_mut(1))) {
        frame["filename"] = json!("app/legacy.py");
    }
    event
}

fn sample_releases() -> Vec<Release> {
    serde_json::from_value(json!([
        { "version": "api@1.4.2", "dateReleased": "2026-11-29T09:00:00Z", "newGroups": 3, "commitCount": 12,
          "deployCount": 2, "lastDeploy": { "environment": "production", "dateFinished": "2026-11-29T09:10:00Z" } },
        { "version": "api@1.4.1", "dateReleased": "2026-11-27T15:00:00Z", "newGroups": 1, "commitCount": 4,
          "lastDeploy": { "environment": "production", "dateFinished": "2026-11-27T15:20:00Z" } },
        { "version": "api@1.4.0", "dateCreated": "2026-11-25T10:00:00Z", "newGroups": 0 }
    ]))
    .unwrap_or_default()
}

fn sample_subscription(project: &str, query: &str) -> SubscriptionRow {
    SubscriptionRow {
        id: format!("sub-{project}"),
        team_id: "T0ACME".into(),
        channel_id: "C0ALERTS".into(),
        org_slug: "acme".into(),
        project_slug: project.into(),
        project_id: "1".into(),
        query: query.into(),
        regressions: true,
        digest: 5,
        threads: ThreadPolicy::Thread,
        created_by: "U0ADMIN".into(),
        created_at_ms: 1_764_374_400_000,
        relink_notified: false,
        baseline_complete: true,
        mention: MentionPolicy::Assignee,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_sample_and_unknown_ones_do_not() {
        for kind in KINDS {
            let message = sample(kind).unwrap_or_else(|| panic!("{kind}"));
            // The plain-text stand-in for a refused alert has no blocks by design.
            assert!(
                !message.blocks.is_empty() || kind == "plain-alert",
                "{kind}"
            );
        }
        assert!(sample("nope").is_none());
    }

    #[test]
    fn the_builder_link_carries_the_blocks_encoded() {
        let message = Message::mrkdwn("a <b> & c");
        let url = builder_url(&message);
        assert!(url.starts_with("https://app.slack.com/block-kit-builder/#%7B%22blocks%22%3A%5B"));
        assert!(!url[40..].contains(' '));
        assert!(!url[40..].contains('&'));
        assert_eq!(percent_encode("a b/é"), "a%20b%2F%C3%A9");
    }
}
