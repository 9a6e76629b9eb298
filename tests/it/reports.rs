//! `/sentry report`: a project's health in the channel, now or on a
//! schedule, posted once per due time across restarts and replicas.

use std::time::Duration;

use chrono::{Timelike, Utc};
use serde_json::{json, Value};

use crate::support::alerts::{acme, acme_in, acme_with, wait_until};
use crate::support::app::{Cluster, TestApp};
use crate::support::fake_sentry::{hourly_stats, FakeSentry, Mode};
use crate::support::message_text as text;

fn hours_ago(hours: i64) -> String {
    (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(hours)).to_string()
}

async fn run(app: &TestApp, channel: &str, command: &str) -> String {
    let (response, rid) = app.command_in(channel, command).await;
    assert_eq!(response.status().as_u16(), 200);
    text(&app.slack.wait_for_responses(&rid, 1).await[0])
}

fn reports_in(posts: &[Value]) -> Vec<String> {
    posts
        .iter()
        .map(text)
        .filter(|t| t.contains("report for acme/api"))
        .collect()
}

/// Events of the issues seen in the last 24 hours of [`seed`].
const EVENTS_TODAY: u64 = 40 + 7 + 3 + 5 + 900 + 12;

/// Known issues: 3 new today (2 unassigned), 2 new the day before, a
/// regression, one resolved today, and one quiet for days; each with its
/// events per hour over the last day.
fn seed(sentry: &FakeSentry) {
    let assigned = json!({ "type": "user", "id": "200001", "name": "Ann Lee" });
    for (title, first, last, extra) in [
        (
            "Fresh one",
            1,
            0,
            json!({ "count": "40", "stats": hourly_stats(&[10, 30]) }),
        ),
        (
            "Fresh two",
            2,
            0,
            json!({ "count": "7", "stats": hourly_stats(&[7]) }),
        ),
        (
            "Fresh owned",
            3,
            1,
            json!({ "count": "3", "assignedTo": assigned, "stats": hourly_stats(&[3, 0]) }),
        ),
        (
            "Yesterday one",
            30,
            2,
            json!({ "count": "5", "stats": hourly_stats(&[5, 0, 0]) }),
        ),
        (
            "Yesterday two",
            40,
            28,
            json!({ "count": "2", "stats": hourly_stats(&[]) }),
        ),
        (
            "Back again",
            240,
            0,
            json!({ "count": "900", "substatus": "regressed",
                    "stats": hourly_stats(&[300, 300, 300]) }),
        ),
        (
            "Fixed today",
            120,
            3,
            json!({ "count": "12", "status": "resolved", "stats": hourly_stats(&[12, 0, 0, 0]) }),
        ),
        (
            "Long quiet",
            400,
            72,
            json!({ "count": "1", "stats": hourly_stats(&[]) }),
        ),
    ] {
        let mut issue =
            json!({ "title": title, "firstSeen": hours_ago(first), "lastSeen": hours_ago(last) });
        for (k, v) in extra.as_object().expect("object") {
            issue[k] = v.clone();
        }
        sentry.add_issue("acme", "api", issue);
    }
}

both_modes!(a_report_now_counts_the_seeded_issues, report_now);

async fn report_now(mode: Mode) {
    let app = acme_in(mode, Vec::new()).await;
    seed(&app.sentry);
    let answer = run(&app, "C1", "report api now").await;
    assert!(
        answer.contains("Posted a report on *acme/api* here"),
        "{answer}"
    );
    let posts = app.slack.posts_in("C1");
    let reports = reports_in(&posts);
    assert_eq!(reports.len(), 1, "{posts:#?}");
    let shown = &reports[0];
    assert!(shown.contains("*Daily report for acme/api*"), "{shown}");
    assert!(
        shown.contains("*New* 3 (+1 from 2 the day before)"),
        "{shown}"
    );
    assert!(shown.contains("*Resolved now* 1"), "{shown}");
    assert!(
        shown.contains("Fresh one") && !shown.contains("Long quiet"),
        "{shown}"
    );
    if mode == Mode::SentryIo {
        assert!(shown.contains("*Regressed* 1"), "{shown}");
        assert!(shown.contains("*New and unassigned* (2)"), "{shown}");
        assert!(
            shown.contains(&format!("*Events* {EVENTS_TODAY} in 24 h")),
            "{shown}"
        );
        assert!(shown.contains("900 events in 24 h"), "{shown}");
        // No public URL: the chart is uploaded to the channel, a PNG with
        // its words.
        let files = app.slack.files_in("C1");
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(&files[0].bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(
            files[0].title.as_deref(),
            Some("acme/api · events per hour (America/Los_Angeles)")
        );
        let alt = files[0].alt.clone().unwrap_or_default();
        assert!(alt.contains(&format!("{EVENTS_TODAY} in all")), "{alt}");
        // Most events first: the regression leads the top issues.
        let top = shown.find("*Top issues*").expect("top issues");
        assert!(
            shown[top..].find("Back again") < shown[top..].find("Fresh one"),
            "{shown}"
        );
    } else {
        // This server shows no substatus, assignee or hourly counts: the
        // report says what it can and claims no more.
        assert!(
            shown.contains("*Regressed* not sent by this server"),
            "{shown}"
        );
        assert!(
            shown.contains("*Events* not sent by this server"),
            "{shown}"
        );
        assert!(shown.contains("900 events in all"), "{shown}");
        // No counts, no chart.
        assert!(app.slack.files_in("C1").is_empty());
    }
    // Four list calls, whatever the server.
    let lists = app
        .sentry
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/issues/") && r.method == "GET" && r.status == 200)
        .count();
    assert!(
        (4..=6).contains(&lists),
        "{lists} list calls for one report"
    );
}

both_modes!(a_weekly_report_counts_the_week_in_days, weekly_report);

async fn weekly_report(mode: Mode) {
    let app = acme_in(mode, Vec::new()).await;
    seed(&app.sentry);
    run(&app, "C1", "report api weekly friday at 08:00 UTC").await;
    run(&app, "C1", "report api now").await;
    let reports = reports_in(&app.slack.posts_in("C1"));
    assert_eq!(reports.len(), 1);
    let shown = &reports[0];
    assert!(shown.contains("*Weekly report for acme/api*"), "{shown}");
    // The issues seen this week are listed with daily counts.
    let asked = app
        .sentry
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/issues/"))
        .filter(|r| r.param("query").is_some_and(|q| q.starts_with("lastSeen:")))
        .map(|r| {
            r.param("groupStatsPeriod")
                .or(r.param("statsPeriod"))
                .map(str::to_string)
        })
        .collect::<Vec<_>>();
    assert!(asked.contains(&Some("14d".to_string())), "{asked:?}");
    if mode == Mode::SentryIo {
        // All of it this week, nothing the week before.
        assert!(
            shown.contains(&format!("*Events* {EVENTS_TODAY} this week ")),
            "{shown}"
        );
        assert!(
            shown.contains(&format!("(+{EVENTS_TODAY} from 0 the week before)")),
            "{shown}"
        );
        let files = app.slack.files_in("C1");
        assert_eq!(files.len(), 1);
        assert_eq!(
            files[0].title.as_deref(),
            Some("acme/api · events per day (UTC)")
        );
    } else {
        assert!(
            shown.contains("*Events* not sent by this server"),
            "{shown}"
        );
        assert!(app.slack.files_in("C1").is_empty());
    }
}

/// A port nothing listens on now, for a service whose `PUBLIC_URL` must be
/// known before it starts.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The image block's URL in a report post.
fn image_url(post: &Value) -> Option<String> {
    post["blocks"]
        .as_array()?
        .iter()
        .find(|b| b["type"] == "image")
        .and_then(|b| b["image_url"].as_str())
        .map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_public_url_the_chart_is_an_image_slack_fetches_and_tokens_are_not_guessable() {
    let port = free_port();
    let app = acme_with(vec![
        ("BIND", format!("127.0.0.1:{port}")),
        ("PUBLIC_URL", format!("http://127.0.0.1:{port}")),
    ])
    .await;
    seed(&app.sentry);
    run(&app, "C1", "report api now").await;
    let posts = app.slack.posts_in("C1");
    let report = posts
        .iter()
        .find(|p| text(p).contains("report for acme/api"))
        .expect("the report");
    let url = image_url(report).expect("an image block");
    assert!(
        url.starts_with(&format!("http://127.0.0.1:{port}/charts/")),
        "{url}"
    );
    let chart = reqwest::get(&url).await.expect("fetched");
    assert_eq!(chart.status().as_u16(), 200);
    assert_eq!(chart.headers()["content-type"], "image/png");
    let png = chart.bytes().await.expect("bytes");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // Shown in the message, so not uploaded too; its trend is the image.
    assert!(app.slack.files_in("C1").is_empty());
    assert!(
        !text(report).contains(&format!("{EVENTS_TODAY} in 24 h ")),
        "{}",
        text(report)
    );
    // Any other token is not found, the same as a malformed one.
    let token = url
        .rsplit('/')
        .next()
        .expect("file")
        .trim_end_matches(".png");
    let flipped = if token.starts_with('0') { "1" } else { "0" };
    for path in [
        format!("/charts/{flipped}{}.png", &token[1..]),
        "/charts/nothing.png".to_string(),
        format!("/charts/{token}"),
    ] {
        let answer = reqwest::get(app.url(&path)).await.expect("answered");
        assert_eq!(answer.status().as_u16(), 404, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chart_slack_cannot_fetch_is_uploaded_and_a_missing_scope_costs_only_the_chart() {
    // Slack cannot reach this address: it refuses the image block.
    let app = acme_with(vec![("PUBLIC_URL", "https://bot.example.com".into())]).await;
    seed(&app.sentry);
    run(&app, "C1", "report api now").await;
    let reports: Vec<Value> = app
        .slack
        .messages_in("C1")
        .into_iter()
        .filter(|p| text(p).contains("report for acme/api"))
        .collect();
    assert_eq!(reports.len(), 1, "posted once, without the image");
    // Tried with the image first: Slack refused that post.
    let tried: Vec<Option<String>> = app
        .slack
        .calls()
        .iter()
        .filter(|c| c.method == "chat.postMessage" && c.body["channel"] == "C1")
        .map(|c| image_url(&c.body))
        .collect();
    assert_eq!(tried.len(), 2, "{tried:?}");
    assert!(tried[0]
        .as_deref()
        .is_some_and(|u| u.starts_with("https://bot.example.com/charts/")));
    assert_eq!(image_url(&reports[0]), None);
    assert_eq!(
        app.slack.files_in("C1").len(),
        1,
        "the chart uploaded instead"
    );
    // Without `files:write` the report is still posted, with its trend.
    app.slack.deny_scope("files:write");
    let answer = run(&app, "C2", "report api now").await;
    assert!(answer.contains("Posted a report"), "{answer}");
    let shown = reports_in(&app.slack.messages_in("C2"));
    assert_eq!(shown.len(), 1);
    assert!(app.slack.files_in("C2").is_empty());
    app.wait_for_log("files:write").await;
}

/// `HH:MM` of the next full minute, at least 20 s ahead.
async fn next_minute() -> String {
    let mut now = Utc::now();
    if now.second() > 40 {
        tokio::time::sleep(Duration::from_secs(u64::from(61 - now.second()))).await;
        now = Utc::now();
    }
    let next = now.with_second(0).expect("minute") + chrono::Duration::minutes(1);
    next.format("%H:%M").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_report_is_posted_once_at_its_time_and_not_again_after_a_restart() {
    let mut app = acme().await;
    seed(&app.sentry);
    let at = next_minute().await;
    let answer = run(&app, "C1", &format!("report api daily at {at} UTC")).await;
    assert!(
        answer.contains(&format!(
            "A report on *acme/api* here daily at {at} UTC; the next on <!date^"
        )),
        "{answer}"
    );
    let listed = run(&app, "C1", "reports").await;
    assert!(
        listed.contains(&format!("*acme/api* · daily at {at} UTC · next <!date^")),
        "{listed}"
    );
    assert!(
        reports_in(&app.slack.posts_in("C1")).is_empty(),
        "not before its time"
    );
    wait_until("the report", Duration::from_secs(90), || {
        reports_in(&app.slack.posts_in("C1")).len() == 1
    })
    .await;
    app.restart().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        reports_in(&app.slack.posts_in("C1")).len(),
        1,
        "posted once"
    );
    let off = run(&app, "C1", "report api off").await;
    assert!(off.contains("No more reports on *acme/api* here"), "{off}");
}

#[tokio::test]
async fn two_replicas_on_postgres_post_a_due_report_once() {
    let Some(schema) = crate::support::postgres::fresh_schema("reports").await else {
        return;
    };
    let cluster = Cluster::start_acme(2, &schema.url, Vec::new()).await;
    seed(&cluster.sentry);
    let at = next_minute().await;
    let rid = cluster
        .command(1, "C1", &format!("report api daily at {at} UTC"))
        .await;
    cluster.slack.wait_for_responses(&rid, 1).await;
    wait_until("the report", Duration::from_secs(90), || {
        !reports_in(&cluster.slack.posts_in("C1")).is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(reports_in(&cluster.slack.posts_in("C1")).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_report_commands_get_usage_help() {
    let app = acme().await;
    for (command, says) in [
        ("report", "a project"),
        ("report api", "`daily`, `weekly`, `now` or `off`"),
        ("report api hourly", "does not take `hourly`"),
        ("report api daily at noonish", "instead of `noonish`"),
        ("report api daily friday", "`friday` is out of place"),
        ("report api weekly at 9:00 pm", "`pm` is out of place"),
        ("report api now please", "does not take `please`"),
    ] {
        let (response, _) = app.command_in("C1", command).await;
        let body: Value = response.json().await.expect("usage help");
        assert!(text(&body).contains(says), "{command}: {}", text(&body));
    }
    assert!(run(&app, "C1", "reports")
        .await
        .contains("no scheduled reports"));
}
