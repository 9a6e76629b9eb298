//! No silent failures: a channel Slack refuses keeps its alerts and tells
//! the people who subscribed it once, `/sentry doctor` says why in red, the
//! bot being invited delivers the waiting alert exactly once; a message
//! Slack refuses goes out as plain text; several replicas send one DM.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::action_element;
use crate::support::alerts::{acme_in, alerts_about, now_iso, subscribe, wait_until};
use crate::support::app::{Cluster, TestApp};
use crate::support::fake_sentry::Mode;
use crate::support::message_text as text;

/// DMs to `user` about a channel that refuses alerts.
fn refusal_dms(slack: &crate::support::fake_slack::FakeSlack, user: &str) -> Vec<Value> {
    slack
        .dms_to(user)
        .into_iter()
        .filter(|m| text(m).contains("are not reaching"))
        .collect()
}

/// `/sentry <command>` by Alice in `channel`; the answer's text.
async fn run(app: &TestApp, channel: &str, command: &str) -> (Value, String) {
    let (response, id) = app.command_in(channel, command).await;
    assert_eq!(response.status().as_u16(), 200);
    let answer = app.slack.wait_for_responses(&id, 1).await.remove(0);
    let said = text(&answer);
    (answer, said)
}

/// A signed Events API callback carrying `event`.
async fn send_event(app: &TestApp, id: &str, event: Value) {
    let body = json!({
        "type": "event_callback", "team_id": "T0ACME", "event_id": id, "event": event
    })
    .to_string();
    let response = app
        .post_signed("/slack/events", "application/json", body)
        .await;
    assert_eq!(response.status().as_u16(), 200);
}

async fn pauses(app: &TestApp) -> Vec<(String, String)> {
    let mut db = app.database().await;
    sqlx::query_as("SELECT channel_id, reason FROM channel_pauses ORDER BY channel_id")
        .fetch_all(&mut db)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_the_bot_is_not_in_holds_its_alert_tells_once_and_delivers_it_when_invited() {
    for mode in [Mode::SentryIo, Mode::Compatible] {
        let app = acme_in(mode, vec![("ADMIN_SLACK_USERS", "U0ADMIN".into())]).await;
        assert!(subscribe(&app, "CPAY", "api")
            .await
            .contains("Subscribed this channel"));
        // The baseline poll, then the bot is removed from the private channel.
        tokio::time::sleep(Duration::from_millis(800)).await;
        app.slack.refuse_channel("CPAY", "not_in_channel");
        app.sentry.add_issue(
            "acme",
            "api",
            json!({ "title": "Payment crash", "firstSeen": now_iso(), "lastSeen": now_iso() }),
        );
        wait_until("the subscriber's DM", Duration::from_secs(15), || {
            refusal_dms(&app.slack, "U0ALICE").len() == 1
        })
        .await;
        let dm = refusal_dms(&app.slack, "U0ALICE").remove(0);
        let said = text(&dm);
        assert!(said.contains("<#CPAY>"), "{mode:?}: {said}");
        assert!(said.contains("the bot is not a member"), "{said}");
        assert!(said.contains("`/invite @Sentry`"), "{said}");
        assert!(said.contains("1 alert is waiting"), "{said}");
        assert!(action_element(&dm, "run:0").is_some(), "a Retry now button");
        // Retries keep being refused (backing off from one second): still one DM each.
        tokio::time::sleep(Duration::from_millis(3500)).await;
        assert_eq!(refusal_dms(&app.slack, "U0ALICE").len(), 1, "{mode:?}");
        assert_eq!(refusal_dms(&app.slack, "U0ADMIN").len(), 1, "{mode:?}");
        assert!(alerts_about(&app, "CPAY", "Payment crash").is_empty());
        assert_eq!(
            pauses(&app).await,
            [("CPAY".to_string(), "not_in_channel".to_string())]
        );
        let refused_posts = app
            .slack
            .calls()
            .iter()
            .filter(|c| c.method == "chat.postMessage" && c.body["channel"] == "CPAY")
            .count();
        assert!(
            (2..=5).contains(&refused_posts),
            "{mode:?}: {refused_posts} tries in ~4 s: retried, with backoff"
        );

        let (doctor, said) = run(&app, "CPAY", "doctor").await;
        assert!(
            said.contains(":red_circle: *Slack refuses alerts here*"),
            "{said}"
        );
        assert!(
            said.contains("the bot is not a member of <#CPAY>"),
            "{said}"
        );
        assert!(said.contains("*1 alert is waiting*"), "{said}");
        assert!(
            said.contains("*acme/api* `is:unresolved`: last poll <!date^"),
            "{said}"
        );
        assert!(said.contains("*acme* is linked and working"), "{said}");
        assert!(action_element(&doctor, "run:0").is_some(), "{said}");
        let metrics = app.metrics().await;
        assert!(
            metrics.contains("slack_refusals_total{reason=\"not_in_channel\"}"),
            "{metrics}"
        );

        // Someone invites the bot: Slack takes posts, and the event arrives.
        app.slack.admit_channel("CPAY");
        send_event(
            &app,
            "Ev0JOIN1",
            json!({ "type": "member_joined_channel", "user": "U0BOT", "channel": "CPAY",
                    "channel_type": "G", "team": "T0ACME", "inviter": "U0ALICE" }),
        )
        .await;
        wait_until("the held alert", Duration::from_secs(10), || {
            alerts_about(&app, "CPAY", "Payment crash").len() == 1
        })
        .await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            alerts_about(&app, "CPAY", "Payment crash").len(),
            1,
            "{mode:?}: exactly once"
        );
        assert!(
            pauses(&app).await.is_empty(),
            "the subscription is active again"
        );
        let (_, said) = run(&app, "CPAY", "doctor").await;
        assert!(
            said.contains(":large_green_circle: The bot can post here."),
            "{said}"
        );
        assert!(said.contains("No alert is waiting"), "{said}");
        assert!(!said.contains(":red_circle:"), "{said}");

        // New alerts flow as usual.
        app.sentry.add_issue(
            "acme",
            "api",
            json!({ "title": "After the invite", "firstSeen": now_iso(), "lastSeen": now_iso() }),
        );
        wait_until("the next alert", Duration::from_secs(10), || {
            alerts_about(&app, "CPAY", "After the invite").len() == 1
        })
        .await;
        assert_eq!(refusal_dms(&app.slack, "U0ALICE").len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_now_after_unarchiving_delivers_and_a_dm_doctor_lists_every_channel() {
    let app = acme_in(Mode::SentryIo, Vec::new()).await;
    subscribe(&app, "CARCH", "api").await;
    subscribe(&app, "CFINE", "api").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    app.slack.refuse_channel("CARCH", "is_archived");
    app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Archived crash", "firstSeen": now_iso(), "lastSeen": now_iso() }),
    );
    wait_until("the DM", Duration::from_secs(15), || {
        refusal_dms(&app.slack, "U0ALICE").len() == 1
    })
    .await;
    let dm = refusal_dms(&app.slack, "U0ALICE").remove(0);
    assert!(text(&dm).contains("<#CARCH> is archived"), "{}", text(&dm));
    wait_until(
        "the alert in the other channel",
        Duration::from_secs(10),
        || alerts_about(&app, "CFINE", "Archived crash").len() == 1,
    )
    .await;

    // From a DM, the doctor lists every subscribed channel, the broken first.
    let (_, said) = run(&app, "D0ALICE", "doctor").await;
    assert!(
        said.contains("2 subscribed channels, 1 needs a fix"),
        "{said}"
    );
    let broken = said.find("<#CARCH>").expect("CARCH listed");
    let fine = said.find("<#CFINE>").expect("CFINE listed");
    assert!(broken < fine, "{said}");
    assert!(said.contains("is archived"), "{said}");

    // Someone else can neither see nor retry that channel from elsewhere.
    app.slack
        .add_user(crate::support::fake_slack::user_with_email(
            "U0BOB",
            "bob",
            "bob@acme.test",
        ));
    let (response, id) = app.command_as("U0BOB", "doctor retry CARCH").await;
    assert_eq!(response.status().as_u16(), 200);
    let refused = text(&app.slack.wait_for_responses(&id, 1).await[0]);
    assert!(
        refused.contains("Only someone who subscribed that channel"),
        "{refused}"
    );
    assert!(!refused.contains("archived"), "{refused}");

    // Retry now in the DM tries at once, even while the channel is still archived.
    let tries = || {
        app.slack
            .calls()
            .iter()
            .filter(|c| c.method == "chat.postMessage" && c.body["channel"] == "CARCH")
            .count()
    };
    let before = tries();
    let button = action_element(&dm, "run:0").unwrap().clone();
    let answer = app
        .click(json!({ "action_id": "run:0", "block_id": "b", "value": button["value"] }))
        .await;
    let said = text(&answer);
    assert!(said.contains("retrying the paused channel now"), "{said}");
    assert!(said.contains("<#CARCH> is archived"), "{said}");
    wait_until("the retry", Duration::from_secs(3), || tries() > before).await;
    assert!(alerts_about(&app, "CARCH", "Archived crash").is_empty());

    // Unarchived: Slack says so, and the waiting alert goes out at once.
    app.slack.admit_channel("CARCH");
    send_event(
        &app,
        "Ev0UNARCH",
        json!({ "type": "channel_unarchive", "channel": "CARCH", "user": "U0ALICE" }),
    )
    .await;
    wait_until("the held alert", Duration::from_secs(5), || {
        alerts_about(&app, "CARCH", "Archived crash").len() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(alerts_about(&app, "CARCH", "Archived crash").len(), 1);
    assert!(pauses(&app).await.is_empty());
    assert_eq!(refusal_dms(&app.slack, "U0ALICE").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_slack_refuses_is_posted_once_as_plain_text() {
    for mode in [Mode::SentryIo, Mode::Compatible] {
        let app = acme_in(mode, Vec::new()).await;
        subscribe(&app, "CTEXT", "api").await;
        tokio::time::sleep(Duration::from_millis(800)).await;
        app.slack.refuse_blocks_in("CTEXT", "invalid_blocks");
        app.sentry.add_issue(
            "acme",
            "api",
            json!({ "title": "<!channel> Unrenderable & odd", "level": "fatal",
                    "firstSeen": now_iso(), "lastSeen": now_iso(), "count": "42", "userCount": 7 }),
        );
        wait_until("the plain alert", Duration::from_secs(10), || {
            alerts_about(&app, "CTEXT", "Unrenderable").len() == 1
        })
        .await;
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let posted = alerts_about(&app, "CTEXT", "Unrenderable");
        assert_eq!(posted.len(), 1, "{mode:?}: once");
        let plain = &posted[0];
        assert!(plain["blocks"].is_null(), "text alone: {plain}");
        let said = plain["text"].as_str().unwrap();
        assert!(said.contains(":skull: New issue in acme/api"), "{said}");
        assert!(
            said.contains("&lt;!channel&gt; Unrenderable &amp; odd"),
            "{said}"
        );
        assert!(said.contains("|API-"), "a link to the issue: {said}");
        assert!(said.contains("fatal · 42 events · 7 users"), "{said}");
        assert!(!said.contains("<!channel>"));
        let metrics = app.metrics().await;
        assert!(
            metrics.contains("slack_refusals_total{reason=\"invalid_blocks\"}"),
            "{metrics}"
        );
        let mut db = app.database().await;
        let states: Vec<(String,)> =
            sqlx::query_as("SELECT state FROM alerts WHERE channel_id = 'CTEXT' AND kind = 'new'")
                .fetch_all(&mut db)
                .await
                .unwrap();
        assert_eq!(states, [("posted".to_string(),)], "{mode:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_postgres_send_one_dm_for_a_refused_channel() {
    let Some(schema) = crate::support::postgres::fresh_schema("health").await else {
        return;
    };
    let cluster = Cluster::start_acme(2, &schema.url, Vec::new()).await;
    let rid = cluster.command(0, "CPAY", "subscribe api").await;
    cluster.slack.wait_for_responses(&rid, 1).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    cluster.slack.refuse_channel("CPAY", "not_in_channel");
    cluster.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Cluster crash", "firstSeen": now_iso(), "lastSeen": now_iso() }),
    );
    wait_until("the DM", Duration::from_secs(20), || {
        refusal_dms(&cluster.slack, "U0ALICE").len() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(refusal_dms(&cluster.slack, "U0ALICE").len(), 1, "one DM");
    cluster.slack.admit_channel("CPAY");
    // Without the event: a later retry (backing off from a second) delivers.
    let posted = || {
        cluster
            .slack
            .posts_in("CPAY")
            .iter()
            .filter(|p| text(p).contains("Cluster crash"))
            .count()
    };
    wait_until("the held alert", Duration::from_secs(30), || posted() == 1).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(posted(), 1, "exactly once");
    schema.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_that_waited_over_a_day_arrive_as_one_catch_up() {
    let app = acme_in(Mode::SentryIo, Vec::new()).await;
    subscribe(&app, "CSTALE", "api").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    app.slack.refuse_channel("CSTALE", "not_in_channel");
    for title in ["Stale one", "Stale two"] {
        app.sentry.add_issue(
            "acme",
            "api",
            json!({ "title": title, "firstSeen": now_iso(), "lastSeen": now_iso() }),
        );
    }
    wait_until(
        "both alerts refused and waiting",
        Duration::from_secs(15),
        || refusal_dms(&app.slack, "U0ALICE").len() == 1,
    )
    .await;
    let mut db = app.database().await;
    for _ in 0..50 {
        let (waiting,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM alerts WHERE channel_id = 'CSTALE' AND state = 'pending'",
        )
        .fetch_one(&mut db)
        .await
        .unwrap();
        if waiting == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // As if the channel had refused them for two days.
    sqlx::query(
        "UPDATE alerts SET created_at_ms = created_at_ms - 172800000 \
         WHERE channel_id = 'CSTALE' AND state = 'pending'",
    )
    .execute(&mut db)
    .await
    .unwrap();
    app.slack.admit_channel("CSTALE");
    send_event(
        &app,
        "Ev0JOINSTALE",
        json!({ "type": "member_joined_channel", "user": "U0BOT", "channel": "CSTALE" }),
    )
    .await;
    let posted = || -> Vec<Value> {
        app.slack
            .posts_in("CSTALE")
            .into_iter()
            .filter(|p| !text(p).contains(":bell:"))
            .collect()
    };
    wait_until("the catch-up", Duration::from_secs(10), || {
        !posted().is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let posts = posted();
    assert_eq!(posts.len(), 1, "one message for both: {posts:?}");
    let said = text(&posts[0]);
    assert!(said.contains("While Slack refused posts here"), "{said}");
    assert!(said.contains("2 new issues in acme/api"), "{said}");
    assert!(
        said.contains("Stale one") && said.contains("Stale two"),
        "{said}"
    );
    assert!(pauses(&app).await.is_empty());
}
