//! `/sentry report`: a project's health in the channel, now or on a
//! schedule, posted once per due time across restarts and replicas.

use std::time::Duration;

use chrono::{Timelike, Utc};
use serde_json::{json, Value};

use crate::support::alerts::{acme, acme_in, wait_until};
use crate::support::app::{Cluster, TestApp};
use crate::support::fake_sentry::{FakeSentry, Mode};
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

/// Known issues: 3 new today (2 unassigned), 2 new the day before, a
/// regression, one resolved today, and one quiet for days.
fn seed(sentry: &FakeSentry) {
    let assigned = json!({ "type": "user", "id": "200001", "name": "Ann Lee" });
    for (title, first, last, extra) in [
        ("Fresh one", 1, 0, json!({ "count": "40" })),
        ("Fresh two", 2, 0, json!({ "count": "7" })),
        (
            "Fresh owned",
            3,
            1,
            json!({ "count": "3", "assignedTo": assigned }),
        ),
        ("Yesterday one", 30, 2, json!({ "count": "5" })),
        ("Yesterday two", 40, 28, json!({ "count": "2" })),
        (
            "Back again",
            240,
            0,
            json!({ "count": "900", "substatus": "regressed" }),
        ),
        (
            "Fixed today",
            120,
            3,
            json!({ "count": "12", "status": "resolved" }),
        ),
        ("Long quiet", 400, 72, json!({ "count": "1" })),
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
        assert!(shown.contains("events in 24 h"), "{shown}");
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
