//! `/sentry mute` and `/sentry quiet`: alerts are held, not dropped, and
//! arrive as one catch-up message when the mute or the quiet hours end;
//! a restart keeps a mute, and two replicas post one catch-up.

use std::time::Duration;

use chrono::{Timelike, Utc};
use serde_json::{json, Value};

use crate::support::alerts::{acme, acme_in, alerts_about, now_iso, subscribe, wait_until};
use crate::support::app::{Cluster, TestApp};
use crate::support::fake_sentry::Mode;
use crate::support::message_text as text;

async fn run(app: &TestApp, channel: &str, command: &str) -> String {
    let (response, rid) = app.command_in(channel, command).await;
    assert_eq!(response.status().as_u16(), 200);
    text(&app.slack.wait_for_responses(&rid, 1).await[0])
}

/// A command answered at once, in the HTTP response (usage help).
async fn run_refused(app: &TestApp, channel: &str, command: &str) -> String {
    let (response, _) = app.command_in(channel, command).await;
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.expect("usage help in the response");
    text(&body)
}

fn posts_mentioning(posts: &[Value], needle: &str) -> usize {
    posts.iter().filter(|p| text(p).contains(needle)).count()
}

/// The text of the one post in `posts` that says `needle`.
fn the_post(posts: &[Value], needle: &str) -> String {
    let found: Vec<String> = posts
        .iter()
        .map(text)
        .filter(|t| t.contains(needle))
        .collect();
    assert_eq!(found.len(), 1, "one post saying {needle:?}: {found:#?}");
    found[0].clone()
}

fn held_in_logs(logs: &str) -> usize {
    logs.matches("alert held back").count()
}

both_modes!(
    a_mute_holds_alerts_through_a_restart_and_one_catch_up_counts_them,
    mute_and_catch_up
);

async fn mute_and_catch_up(mode: Mode) {
    let mut app = acme_in(mode, Vec::new()).await;
    subscribe(&app, "C1", "api").await;
    let answer = run(&app, "C1", "mute api 1m").await;
    assert!(
        answer.contains("Muted *acme/api* for 1 min, until <!date^"),
        "{answer}"
    );
    // Shown back in the muter's Slack zone when a client cannot draw the date.
    assert!(answer.contains("PST>"), "{answer}");
    let ids: Vec<String> = (0..3)
        .map(|i| {
            app.sentry.add_issue(
                "acme",
                "api",
                json!({ "title": format!("Held crash {i}"), "firstSeen": now_iso(), "lastSeen": now_iso() }),
            )
        })
        .collect();
    wait_until("three held alerts", Duration::from_secs(15), || {
        held_in_logs(&app.logs()) >= 3
    })
    .await;
    assert_eq!(
        posts_mentioning(&app.slack.posts_in("C1"), "Held crash"),
        0,
        "nothing is posted while muted"
    );
    let listed = run(&app, "C1", "subscriptions").await;
    assert!(
        listed.contains(":no_bell: muted by <@U0ALICE> until <!date^"),
        "{listed}"
    );
    // One is resolved meanwhile; the service restarts during the mute.
    app.sentry
        .update_issue(&ids[1], json!({ "status": "resolved" }));
    app.restart().await;
    wait_until("the catch-up", Duration::from_secs(90), || {
        posts_mentioning(&app.slack.posts_in("C1"), "While muted") == 1
    })
    .await;
    let posts = app.slack.posts_in("C1");
    let shown = the_post(&posts, "While muted");
    assert!(
        shown.contains("While muted (1 min): 3 new issues in acme/api"),
        "{shown}"
    );
    assert_eq!(shown.matches("_resolved meanwhile_").count(), 1, "{shown}");
    assert_eq!(
        posts_mentioning(&posts, "Held crash"),
        1,
        "the held alerts are in the catch-up and nowhere else"
    );
    // After the mute, alerts are posted as usual.
    app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "After the mute", "firstSeen": now_iso(), "lastSeen": now_iso() }),
    );
    wait_until("the next alert", Duration::from_secs(15), || {
        alerts_about(&app, "C1", "After the mute").len() == 1
    })
    .await;
    assert!(text(&alerts_about(&app, "C1", "After the mute")[0]).contains(":red_circle: *New*"));
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        posts_mentioning(&app.slack.posts_in("C1"), "While muted"),
        1,
        "one catch-up, not one per restart or tick"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_hours_hold_alerts_let_urgent_ones_through_and_catch_up_when_they_end() {
    // The window ends at the next full minute; leave the test time before it.
    let mut now = Utc::now();
    if now.second() > 40 {
        tokio::time::sleep(Duration::from_secs(u64::from(61 - now.second()))).await;
        now = Utc::now();
    }
    let end = now.with_second(0).expect("minute") + chrono::Duration::minutes(1);
    let start = end - chrono::Duration::hours(2);
    let window = format!("{}-{}", start.format("%H:%M"), end.format("%H:%M"));
    let app = acme().await;
    subscribe(&app, "C1", "api").await;
    let answer = run(
        &app,
        "C1",
        &format!("quiet api {window} UTC --urgent level:fatal"),
    )
    .await;
    assert!(
        answer.contains(&format!(
            "Quiet hours for *acme/api*: {} UTC, every day",
            window.replace('-', "–")
        )),
        "{answer}"
    );
    assert!(
        answer.contains("Alerts matching `level:fatal` come through at once."),
        "{answer}"
    );
    assert!(answer.contains("Quiet now, until <!date^"), "{answer}");
    for i in 0..2 {
        app.sentry.add_issue(
            "acme",
            "api",
            json!({ "title": format!("Night crash {i}"), "level": "error", "firstSeen": now_iso(), "lastSeen": now_iso() }),
        );
    }
    app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Fatal crash", "level": "fatal", "firstSeen": now_iso(), "lastSeen": now_iso() }),
    );
    wait_until("the urgent alert", Duration::from_secs(15), || {
        alerts_about(&app, "C1", "Fatal crash").len() == 1
    })
    .await;
    wait_until("two held alerts", Duration::from_secs(15), || {
        held_in_logs(&app.logs()) >= 2
    })
    .await;
    assert_eq!(
        posts_mentioning(&app.slack.posts_in("C1"), "Night crash"),
        0
    );
    let listed = run(&app, "C1", "subscriptions").await;
    assert!(listed.contains(":crescent_moon: quiet "), "{listed}");
    assert!(
        listed.contains("except `level:fatal` (quiet now)"),
        "{listed}"
    );
    wait_until("the catch-up", Duration::from_secs(90), || {
        posts_mentioning(&app.slack.posts_in("C1"), "During quiet hours") == 1
    })
    .await;
    let posts = app.slack.posts_in("C1");
    let catch_up = the_post(&posts, "During quiet hours");
    assert!(
        catch_up.contains(": 2 new issues in acme/api"),
        "{}",
        catch_up
    );
    assert_eq!(posts_mentioning(&posts, "Night crash"), 1);
    assert_eq!(
        posts_mentioning(&posts, "Fatal crash"),
        1,
        "the urgent one is not caught up again"
    );
    // Turned off, the channel hears alerts at once again.
    let off = run(&app, "C1", "quiet api off").await;
    assert!(
        off.contains("No quiet hours for *acme/api* any more"),
        "{off}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_mutes_get_usage_help_and_unmuting_nothing_says_so() {
    let app = acme().await;
    subscribe(&app, "C1", "api").await;
    for (command, says) in [
        ("mute api", "how long"),
        ("mute api 10s", "at least a minute"),
        ("mute api 45d", "at most 30 days"),
        ("mute api whenever", "instead of `whenever`"),
        ("mute api 1€", "instead of `1€`"),
        ("quiet api 1€-08:00", "a window like `22:00-08:00`"),
        ("quiet api 22:00", "a window like `22:00-08:00`"),
        (
            "quiet api 22:00-08:00 Mars/Olympus",
            "instead of `Mars/Olympus`",
        ),
        ("quiet api 22:00-08:00 --urgent", "`--urgent` needs"),
    ] {
        let answer = run_refused(&app, "C1", command).await;
        assert!(answer.contains(says), "{command}: {answer}");
    }
    assert!(run(&app, "C1", "mute web 1h")
        .await
        .contains("not subscribed to `web`"));
    assert!(run(&app, "C1", "unmute api")
        .await
        .contains("*acme/api* is not muted, so nothing changed"));
    assert!(run(&app, "C2", "mute all 1h")
        .await
        .contains("no subscriptions to quiet"));
}

#[tokio::test]
async fn two_replicas_on_postgres_post_one_catch_up_after_an_unmute() {
    let Some(schema) = crate::support::postgres::fresh_schema("quiet").await else {
        return;
    };
    let cluster = Cluster::start_acme(2, &schema.url, Vec::new()).await;
    let answer = |rid: String| {
        let slack = cluster.slack.clone();
        async move { text(&slack.wait_for_responses(&rid, 1).await[0]) }
    };
    answer(cluster.command(0, "C1", "subscribe api").await).await;
    let muted = answer(cluster.command(0, "C1", "mute all 1h").await).await;
    assert!(muted.contains("Muted *acme/api* for 1 h"), "{muted}");
    for i in 0..4 {
        cluster.sentry.add_issue(
            "acme",
            "api",
            json!({ "title": format!("Shared held {i}"), "firstSeen": now_iso(), "lastSeen": now_iso() }),
        );
    }
    wait_until("four held alerts", Duration::from_secs(20), || {
        held_in_logs(&cluster.logs(0)) + held_in_logs(&cluster.logs(1)) >= 4
    })
    .await;
    let unmuted = answer(cluster.command(1, "C1", "unmute all").await).await;
    assert!(unmuted.contains("Unmuted *acme/api*"), "{unmuted}");
    wait_until("the catch-up", Duration::from_secs(20), || {
        posts_mentioning(&cluster.slack.posts_in("C1"), "While muted") >= 1
    })
    .await;
    // Both replicas look for held alerts every 300 ms; give a second one time to double it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let posts = cluster.slack.posts_in("C1");
    assert_eq!(posts_mentioning(&posts, "While muted"), 1);
    assert_eq!(posts_mentioning(&posts, "Shared held"), 1);
    let catch_up = the_post(&posts, "While muted");
    assert!(
        catch_up.contains("4 new issues in acme/api"),
        "{}",
        catch_up
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_while_muted_is_held_as_a_whole_and_caught_up_once() {
    let app = acme().await;
    subscribe(&app, "C1", "api").await;
    let muted = run(&app, "C1", "mute api 1h").await;
    assert!(muted.contains("Muted *acme/api* for 1 h"), "{muted}");
    // More than the digest limit (5) in one poll: planned as one digest.
    let burst: Vec<Value> = (0..8)
        .map(|i| json!({ "title": format!("Burst crash {i}"), "firstSeen": now_iso(), "lastSeen": now_iso() }))
        .collect();
    app.sentry.add_issues("acme", "api", burst);
    wait_until("the held burst", Duration::from_secs(15), || {
        held_in_logs(&app.logs()) >= 1
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        posts_mentioning(&app.slack.posts_in("C1"), "Burst crash"),
        0,
        "a storm is what a mute is for"
    );
    let unmuted = run(&app, "C1", "unmute api").await;
    assert!(unmuted.contains("Unmuted *acme/api*"), "{unmuted}");
    wait_until("the catch-up", Duration::from_secs(15), || {
        posts_mentioning(&app.slack.posts_in("C1"), "While muted") == 1
    })
    .await;
    let posts = app.slack.posts_in("C1");
    let catch_up = the_post(&posts, "While muted");
    assert!(
        catch_up.contains("While muted (under a minute): 8 new issues in acme/api"),
        "{}",
        catch_up
    );
    assert_eq!(posts_mentioning(&posts, "Burst crash"), 1);
}
