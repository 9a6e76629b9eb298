//! Subscriptions and the poller against the running service, the fake Sentry
//! and the fake Slack, with a short POLL_INTERVAL.

use crate::support::message_text as text;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::support::alerts::{
    acme, acme_in, alert_ts, alerts_about, now_iso, subscribe, wait_until,
};
use crate::support::fake_sentry::{Fault, Mode};
use serde_json::{json, Value};

both_modes!(
    new_issues_are_posted_once_per_subscribed_channel_and_survive_a_restart,
    new_issues_are_posted_once_and_survive_a_restart
);
async fn new_issues_are_posted_once_and_survive_a_restart(mode: Mode) {
    let mut app = acme_in(mode, Vec::new()).await;
    app.sentry
        .add_issue("acme", "api", json!({ "title": "Old problem" }));
    let answer = subscribe(&app, "C1", "api").await;
    assert!(
        answer.contains("Subscribed this channel to *acme/api* matching `is:unresolved`"),
        "{answer}"
    );
    assert!(
        answer.contains("1 existing issues will not be posted"),
        "{answer}"
    );
    subscribe(&app, "C2", "acme/api").await;
    subscribe(&app, "C3", "web").await;
    assert!(
        !app.slack.posts_in("C1").is_empty(),
        "the subscribe notice is posted in the channel"
    );

    let id = app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Fresh problem", "firstSeen": now_iso(), "lastSeen": now_iso() }),
    );
    wait_until("alerts in C1 and C2", Duration::from_secs(10), || {
        alerts_about(&app, "C1", "Fresh problem").len() == 1
            && alerts_about(&app, "C2", "Fresh problem").len() == 1
    })
    .await;
    let alert = &alerts_about(&app, "C1", "Fresh problem")[0];
    let shown = text(alert);
    assert!(shown.contains(":red_circle: *New*"), "{shown}");
    assert!(shown.contains("acme/api"), "{shown}");
    // The triage facts come from the latest event, read once for both
    // channels, though the fake Sentry keeps sentry.io's real limits (40 a
    // second per endpoint, so `Remaining` is never above 39).
    for fact in [
        "env *production*",
        "release `api@1.2.3`",
        ":warning: unhandled",
        ":round_pushpin: `app/handlers.py:42 in handle`",
    ] {
        assert!(shown.contains(fact), "{fact}: {shown}");
    }
    let event_reads = app
        .sentry
        .requests()
        .iter()
        .filter(|r| r.path.ends_with(&format!("/issues/{id}/events/latest/")) && r.method == "GET")
        .count();
    let expected = if mode == Mode::Compatible { 2 } else { 1 };
    assert_eq!(
        event_reads, expected,
        "one read (and the compatible server's fallback)"
    );
    let actions = alert["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "actions")
        .unwrap();
    assert_eq!(actions["block_id"], format!("d|acme|api|{id}"));
    assert_eq!(
        actions["elements"][0]["value"],
        format!("resolve:acme:{id}")
    );
    assert!(
        alerts_about(&app, "C1", "Old problem").is_empty(),
        "the baseline is not posted"
    );
    assert!(
        alerts_about(&app, "C3", "Fresh problem").is_empty(),
        "other projects' channels get nothing"
    );

    // A crash and restart posts nothing again.
    app.restart().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(alerts_about(&app, "C1", "Fresh problem").len(), 1);
    assert_eq!(alerts_about(&app, "C2", "Fresh problem").len(), 1);

    // Unsubscribing stops alerts for that channel only.
    let (_, rid) = app.command_in("C2", "unsubscribe api").await;
    assert!(text(&app.slack.wait_for_responses(&rid, 1).await[0])
        .contains("Unsubscribed this channel from *acme/api*"));
    app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Later problem", "firstSeen": now_iso(), "lastSeen": now_iso() }),
    );
    // A replica killed in the middle of delivering to C1 holds that channel's
    // delivery lease until it expires (20 s), so allow for that.
    wait_until("alert in C1", Duration::from_secs(30), || {
        alerts_about(&app, "C1", "Later problem").len() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(alerts_about(&app, "C2", "Later problem").is_empty());
}

both_modes!(
    resolving_and_reopening_gives_a_sync_reply_then_one_regression_in_the_thread,
    resolving_and_reopening
);
async fn resolving_and_reopening(mode: Mode) {
    let app = acme_in(mode, Vec::new()).await;
    subscribe(&app, "C1", "api").await;
    let id = app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Flaky problem", "firstSeen": now_iso(), "lastSeen": now_iso() }),
    );
    wait_until("the alert", Duration::from_secs(10), || {
        alerts_about(&app, "C1", "Flaky problem").len() == 1
    })
    .await;
    let detail_reads = || {
        app.sentry
            .requests()
            .iter()
            .filter(|r| r.path.ends_with(&format!("/issues/{id}/")))
            .count()
    };
    // While the issue is on the poll's list, watching it costs no extra call.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(detail_reads(), 0, "listed issues are synced from the list");
    // Resolved in Sentry: the alert is updated and the thread says so.
    app.sentry
        .update_issue(&id, json!({ "status": "resolved", "substatus": null }));
    wait_until("the status sync", Duration::from_secs(10), || {
        app.slack
            .calls()
            .iter()
            .any(|c| c.method == "chat.update" && text(&c.body).contains("Resolved in Sentry"))
    })
    .await;
    let update = app
        .slack
        .calls()
        .into_iter()
        .find(|c| c.method == "chat.update")
        .unwrap()
        .body;
    let original_ts = update["ts"].as_str().unwrap().to_string();
    wait_until("the thread reply", Duration::from_secs(10), || {
        app.slack.posts_in("C1").iter().any(|p| {
            p["thread_ts"] == original_ts.as_str() && text(p).contains("Resolved in Sentry")
        })
    })
    .await;
    // The default thread policy keeps status follow-ups in the thread.
    assert!(app
        .slack
        .posts_in("C1")
        .iter()
        .filter(|p| text(p).contains("Resolved in Sentry"))
        .all(|p| p["reply_broadcast"] != true));
    // Once the alert shows it resolved, it is not read again every tick.
    let reads_after_sync = detail_reads();
    assert!(reads_after_sync >= 1);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        detail_reads(),
        reads_after_sync,
        "no reads while it stays resolved"
    );

    // Back again: one regression, in the thread and shown in the channel.
    app.sentry.update_issue(
        &id,
        json!({ "status": "unresolved", "substatus": "regressed", "lastSeen": now_iso() }),
    );
    wait_until("the regression", Duration::from_secs(10), || {
        !alerts_about(&app, "C1", "*Regressed*").is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let regressions = alerts_about(&app, "C1", "*Regressed*");
    assert_eq!(regressions.len(), 1, "exactly one regression alert");
    assert_eq!(regressions[0]["thread_ts"], original_ts.as_str());
    assert_eq!(regressions[0]["reply_broadcast"], true);
    // Announced once: no "Unresolved in Sentry" note beside the card.
    let unresolved_notes = app
        .slack
        .posts_in("C1")
        .into_iter()
        .filter(|p| text(p).contains("Unresolved in Sentry"))
        .count();
    assert_eq!(unresolved_notes, 0, "{:?}", app.slack.posts_in("C1"));
}

#[tokio::test]
async fn a_deleted_issue_is_read_once_by_status_sync_not_every_tick() {
    let app = acme().await;
    subscribe(&app, "C1", "api").await;
    let id = app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Doomed problem", "firstSeen": now_iso(), "lastSeen": now_iso() }),
    );
    wait_until("the alert", Duration::from_secs(10), || {
        alerts_about(&app, "C1", "Doomed problem").len() == 1
    })
    .await;
    app.sentry.delete_issue(&id);
    let detail_reads = || {
        app.sentry
            .requests()
            .iter()
            .filter(|r| r.path.ends_with(&format!("/issues/{id}/")))
            .count()
    };
    wait_until(
        "the read that finds it gone",
        Duration::from_secs(10),
        || detail_reads() >= 1,
    )
    .await;
    // One read: the org path, then the legacy path on its 404.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let reads = detail_reads();
    assert!(reads <= 2, "{reads}");
    // Several more ticks.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(detail_reads(), reads, "a 404 is remembered");
    assert_eq!(alerts_about(&app, "C1", "Doomed problem").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_whose_event_budget_is_spent_is_posted_without_facts_and_redrawn_with_them() {
    let app = acme().await;
    subscribe(&app, "C1", "api").await;
    // The latest-event endpoint's window is truly spent: every call is 429.
    let latest = [
        "GET organizations/{}/issues/{}/events/latest",
        "GET issues/{}/events/latest",
    ];
    for endpoint in latest {
        app.sentry.set_endpoint_limit(endpoint, 0);
    }
    let id = app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Busy org problem", "firstSeen": now_iso(), "lastSeen": now_iso() }),
    );
    wait_until("the alert", Duration::from_secs(10), || {
        !alerts_about(&app, "C1", "Busy org problem").is_empty()
    })
    .await;
    let shown = text(&alerts_about(&app, "C1", "Busy org problem")[0]);
    assert!(shown.contains(":red_circle: *New*"), "{shown}");
    assert!(!shown.contains("env *production*"), "{shown}");
    let refused = app
        .sentry
        .requests()
        .iter()
        .filter(|r| r.path.contains("/events/latest/") && r.status == 429)
        .count();
    assert!(refused >= 1, "the event was asked for and refused");
    // The next window has room again; the next redraw picks the facts up.
    for endpoint in latest {
        app.sentry.set_endpoint_limit(endpoint, 40);
    }
    app.sentry
        .update_issue(&id, json!({ "status": "resolved" }));
    let calls = app
        .slack
        .wait_for(Duration::from_secs(10), "the redraw", |calls| {
            calls
                .iter()
                .any(|c| c.method == "chat.update" && text(&c.body).contains("Busy org problem"))
        })
        .await;
    let redrawn = calls
        .iter()
        .find(|c| c.method == "chat.update" && text(&c.body).contains("Busy org problem"))
        .map(|c| text(&c.body))
        .unwrap_or_default();
    assert!(redrawn.contains("env *production*"), "{redrawn}");
    assert!(redrawn.contains(":warning: unhandled"), "{redrawn}");
}

#[tokio::test]
async fn a_burst_of_new_issues_becomes_one_digest() {
    let app = acme().await;
    subscribe(&app, "C1", "api").await;
    for i in 0..12 {
        app.sentry.add_issue(
            "acme",
            "api",
            json!({ "title": format!("Storm {i}"), "firstSeen": now_iso(), "lastSeen": now_iso() }),
        );
    }
    wait_until("the digest", Duration::from_secs(10), || {
        !alerts_about(&app, "C1", "12 new issues in acme/api").is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let posts: Vec<Value> = app
        .slack
        .posts_in("C1")
        .into_iter()
        .filter(|p| !text(p).contains(":bell:"))
        .collect();
    assert_eq!(posts.len(), 1, "one digest, not twelve messages");
    let digest = text(&posts[0]);
    for i in 0..12 {
        assert!(digest.contains(&format!("Storm {i}")), "{digest}");
    }
    let show = posts[0]["blocks"][1]["accessory"].clone();
    assert_eq!(show["text"]["text"], "Show");
}

#[tokio::test]
async fn a_slack_429_delays_the_alert_until_retry_after() {
    let app = acme().await;
    subscribe(&app, "C1", "api").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    app.slack.rate_limit_next(1, 2);
    app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Patient problem", "firstSeen": now_iso(), "lastSeen": now_iso() }),
    );
    wait_until("the alert", Duration::from_secs(15), || {
        alerts_about(&app, "C1", "Patient problem").len() == 1
    })
    .await;
    let calls = app.slack.calls();
    let limited = calls
        .iter()
        .find(|c| c.status == 429)
        .expect("a 429 was answered");
    let posted = calls
        .iter()
        .find(|c| {
            c.method == "chat.postMessage"
                && c.status == 200
                && text(&c.body).contains("Patient problem")
        })
        .unwrap();
    assert!(
        posted.at.duration_since(limited.at).unwrap() >= Duration::from_secs(2),
        "waited for Retry-After"
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        alerts_about(&app, "C1", "Patient problem").len(),
        1,
        "posted once"
    );
}

#[tokio::test]
async fn a_sentry_429_pauses_polling_until_the_reset() {
    let app = acme().await;
    subscribe(&app, "C1", "api").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    app.sentry.push_faults([Fault::RateLimited {
        reset_in: Duration::from_secs(2),
    }]);
    app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Throttled problem", "firstSeen": now_iso(), "lastSeen": now_iso() }),
    );
    wait_until("the alert", Duration::from_secs(15), || {
        alerts_about(&app, "C1", "Throttled problem").len() == 1
    })
    .await;
    let requests = app.sentry.requests();
    let limited = requests
        .iter()
        .position(|r| r.status == 429)
        .expect("a 429");
    let reset_secs = (requests[limited].at + Duration::from_secs(2))
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        .ceil() as u64;
    let reset = UNIX_EPOCH + Duration::from_secs(reset_secs);
    assert!(
        requests[limited + 1..].iter().all(|r| r.at >= reset),
        "no Sentry call before the reset"
    );
}

#[tokio::test]
async fn fifty_channels_on_one_project_cost_one_sentry_call_per_tick() {
    let app = acme().await;
    for i in 0..50 {
        subscribe(&app, &format!("C{i:02}"), "api level:error").await;
    }
    let before = app.sentry.requests().len();
    let started = SystemTime::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let window = started.elapsed().unwrap();
    let lists = app.sentry.requests()[before..]
        .iter()
        .filter(|r| r.path.ends_with("/issues/"))
        .count();
    let ticks = (window.as_millis() / 300) as usize + 2;
    assert!(
        lists >= 1 && lists <= ticks,
        "{lists} list calls in {window:?} (at most {ticks} ticks)"
    );

    app.sentry.add_issue("acme", "api", json!({ "title": "Everywhere", "level": "error", "firstSeen": now_iso(), "lastSeen": now_iso() }));
    wait_until("fifty alerts", Duration::from_secs(20), || {
        (0..50).all(|i| alerts_about(&app, &format!("C{i:02}"), "Everywhere").len() == 1)
    })
    .await;
}

#[tokio::test]
async fn subscriptions_are_listed_and_channels_the_bot_cannot_post_in_are_refused() {
    let app = acme().await;
    let answer = subscribe(
        &app,
        "C1",
        "api level:error !has:assignee --digest 10 --no-threads",
    )
    .await;
    assert!(
        answer.contains("matching `level:error !has:assignee`"),
        "{answer}"
    );
    assert!(answer.contains("digest above 10"));
    let (_, id) = app.command_in("C1", "subscriptions").await;
    let list = text(&app.slack.wait_for_responses(&id, 1).await[0]);
    assert!(
        list.contains("*acme/api* · `level:error !has:assignee`"),
        "{list}"
    );
    assert!(
        list.contains(
            "regressions on · digest above 10 · follow-ups off, regressions as new messages"
        ),
        "{list}"
    );

    app.slack.refuse_channel("CPRIVATE", "not_in_channel");
    let answer = subscribe(&app, "CPRIVATE", "api").await;
    assert!(
        answer.contains("I can't post alerts here: the bot is not a member of this channel"),
        "{answer}"
    );
    let (_, id) = app.command_in("CPRIVATE", "subscriptions").await;
    assert!(text(&app.slack.wait_for_responses(&id, 1).await[0])
        .contains("This channel has no subscriptions"));
}

#[tokio::test]
async fn a_grant_that_keeps_failing_gets_one_notice_not_one_per_tick() {
    let app = acme().await;
    subscribe(&app, "C1", "api").await;
    app.sentry.revoke_token("tok-acme");
    wait_until("the notice", Duration::from_secs(10), || {
        !alerts_about(&app, "C1", "Alerts for *acme/api* are paused").is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        alerts_about(&app, "C1", "are paused").len(),
        1,
        "one notice, not one per tick"
    );
    // The failing org is polled less often while it fails.
    let polls = app
        .sentry
        .requests()
        .iter()
        .filter(|r| r.status == 401)
        .count();
    assert!(
        polls <= 4,
        "{polls} polls with a revoked token in ~2 s at a 300 ms interval"
    );
}

#[tokio::test]
async fn buttons_on_an_alert_redraw_it_in_the_channel_without_a_second_sync_notice() {
    let app = acme().await;
    subscribe(&app, "C1", "api").await;
    let id = app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Clickable problem", "firstSeen": now_iso(), "lastSeen": now_iso() }),
    );
    wait_until("the alert", Duration::from_secs(10), || {
        alerts_about(&app, "C1", "Clickable problem").len() == 1
    })
    .await;
    let ts = alert_ts(&app, "C1", &id).await;
    // Sentry makes the change at once but answers it slowly, so polls (every
    // 300 ms) see the issue resolved before the click knows it was accepted.
    app.sentry.set_slow_writes(Duration::from_millis(1500));
    let (url, rid) = app.slack.response_url();
    let payload = json!({
        "type": "block_actions",
        "user": { "id": "U0ALICE" }, "team": { "id": "T0ACME" }, "channel": { "id": "C1" },
        "container": { "type": "message", "is_ephemeral": false, "message_ts": ts, "channel_id": "C1" },
        "response_url": url,
        "actions": [{ "action_id": "issue_action", "block_id": format!("d|acme|api|{id}"), "type": "button", "value": format!("resolve:acme:{id}") }]
    });
    let response = app.interact(&payload).await;
    assert_eq!(response.status().as_u16(), 200);
    let reply = app.slack.wait_for_responses(&rid, 1).await.remove(0);
    assert_eq!(reply["replace_original"], true);
    assert_eq!(reply["response_type"], "in_channel");
    assert!(text(&reply).contains("Resolved by <@U0ALICE> just now"));
    assert!(!text(&reply).contains("Share in channel"));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let updates = app
        .slack
        .calls()
        .into_iter()
        .filter(|c| c.method == "chat.update")
        .count();
    assert_eq!(
        updates, 0,
        "a change made from Slack is not reported again as a change in Sentry"
    );
}

#[tokio::test]
async fn sigterm_posts_queued_alerts_before_exiting() {
    let mut app = acme().await;
    subscribe(&app, "C1", "api").await;
    for i in 0..4 {
        app.sentry.add_issue("acme", "api", json!({ "title": format!("Queued {i}"), "firstSeen": now_iso(), "lastSeen": now_iso() }));
    }
    // Four alerts for one channel take about four seconds at one per second.
    app.wait_for_log("alerts planned").await;
    let status = tokio::task::spawn_blocking(move || {
        let status = app.terminate();
        (status, app)
    })
    .await
    .unwrap();
    let (status, app) = status;
    assert!(status.success(), "{status:?}");
    for i in 0..4 {
        assert_eq!(
            alerts_about(&app, "C1", &format!("Queued {i}")).len(),
            1,
            "Queued {i} was posted before exit"
        );
    }
}

both_modes!(
    the_thread_policy_decides_where_follow_ups_and_regressions_go,
    thread_policies
);
async fn thread_policies(mode: Mode) {
    let app = acme_in(mode, Vec::new()).await;
    let broadcast = subscribe(&app, "C1", "api --threads broadcast").await;
    assert!(broadcast.contains("Subscribed"), "{broadcast}");
    let off = subscribe(&app, "C2", "api --no-threads").await;
    assert!(off.contains("Subscribed"), "{off}");
    let (_, rid) = app.command_in("C1", "subscriptions").await;
    let listed = text(&app.slack.wait_for_responses(&rid, 1).await[0]);
    assert!(
        listed.contains("follow-ups in threads and the channel"),
        "{listed}"
    );
    let (_, rid) = app.command_in("C2", "subscriptions").await;
    let listed = text(&app.slack.wait_for_responses(&rid, 1).await[0]);
    assert!(listed.contains("follow-ups off"), "{listed}");

    let id = app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Policy problem", "firstSeen": now_iso(), "lastSeen": now_iso() }),
    );
    wait_until("both alerts", Duration::from_secs(10), || {
        ["C1", "C2"]
            .iter()
            .all(|c| alerts_about(&app, c, "Policy problem").len() == 1)
    })
    .await;
    app.sentry
        .update_issue(&id, json!({ "status": "resolved", "substatus": null }));
    // Each channel's card is redrawn in place: its ts is the alert's.
    let redrawn_ts = |channel: &str| {
        app.slack
            .calls()
            .iter()
            .find(|c| {
                c.method == "chat.update"
                    && c.body["channel"] == channel
                    && text(&c.body).contains("Resolved in Sentry")
            })
            .and_then(|c| c.body["ts"].as_str().map(str::to_string))
    };
    wait_until("both redraws", Duration::from_secs(10), || {
        redrawn_ts("C1").is_some() && redrawn_ts("C2").is_some()
    })
    .await;
    let (c1_ts, c2_ts) = (
        redrawn_ts("C1").unwrap_or_default(),
        redrawn_ts("C2").unwrap_or_default(),
    );
    wait_until("the broadcast reply", Duration::from_secs(10), || {
        app.slack
            .posts_in("C1")
            .iter()
            .any(|p| p["thread_ts"] == c1_ts.as_str() && text(p).contains("Resolved in Sentry"))
    })
    .await;
    let reply = app
        .slack
        .posts_in("C1")
        .into_iter()
        .find(|p| text(p).contains("Resolved in Sentry"))
        .expect("reply");
    assert_eq!(
        reply["reply_broadcast"], true,
        "broadcast shows it in the channel"
    );
    // Off: the card is redrawn, but nothing is posted about it.
    assert!(app
        .slack
        .posts_in("C2")
        .iter()
        .all(|p| !text(p).contains("Resolved in Sentry")));

    app.sentry.update_issue(
        &id,
        json!({ "status": "unresolved", "substatus": "regressed", "lastSeen": now_iso() }),
    );
    wait_until("both regressions", Duration::from_secs(10), || {
        ["C1", "C2"]
            .iter()
            .all(|c| !alerts_about(&app, c, "*Regressed*").is_empty())
    })
    .await;
    let in_thread = &alerts_about(&app, "C1", "*Regressed*")[0];
    assert_eq!(in_thread["thread_ts"], c1_ts.as_str());
    assert_eq!(in_thread["reply_broadcast"], true);
    let new_message = &alerts_about(&app, "C2", "*Regressed*")[0];
    assert!(new_message["thread_ts"].is_null(), "{new_message}");
    assert_ne!(new_message["ts"], c2_ts.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escalating_issue_is_told_in_its_thread_and_shown_in_the_channel_once() {
    let app = acme().await;
    subscribe(&app, "C1", "api").await;
    let id = app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Spiky problem", "firstSeen": now_iso(), "lastSeen": now_iso(), "substatus": "new" }),
    );
    wait_until("the alert", Duration::from_secs(10), || {
        alerts_about(&app, "C1", "Spiky problem").len() == 1
    })
    .await;
    let alert_ts = alert_ts(&app, "C1", &id).await;
    // An ordinary follow-up stays in the thread (the default policy).
    app.sentry.update_issue(
        &id,
        json!({ "assignedTo": { "type": "user", "id": "9", "name": "Jane Doe" } }),
    );
    wait_until("the assignment reply", Duration::from_secs(10), || {
        app.slack
            .posts_in("C1")
            .iter()
            .any(|p| p["thread_ts"] == alert_ts.as_str() && text(p).contains("Assigned"))
    })
    .await;
    let follow_up = app
        .slack
        .posts_in("C1")
        .into_iter()
        .find(|p| p["thread_ts"] == alert_ts.as_str() && text(p).contains("Assigned"))
        .expect("reply");
    assert_ne!(follow_up["reply_broadcast"], true, "{follow_up}");
    // Its events spike: an Escalating card in the thread, shown in the channel.
    app.sentry.update_issue(
        &id,
        json!({ "substatus": "escalating", "lastSeen": now_iso() }),
    );
    wait_until("the escalation", Duration::from_secs(10), || {
        !alerts_about(&app, "C1", "*Escalating*").is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let told = alerts_about(&app, "C1", "*Escalating*");
    assert_eq!(told.len(), 1, "one escalation per spike, not one per poll");
    assert_eq!(told[0]["thread_ts"], alert_ts.as_str());
    assert_eq!(told[0]["reply_broadcast"], true);
}
