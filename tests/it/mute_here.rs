//! "Mute here": one channel stops hearing follow-ups about one issue
//! (regressions, thread replies) while its card keeps being redrawn;
//! other channels keep theirs, and Sentry is never told.

use std::time::Duration;

use crate::support::alerts::{acme_in, alert_ts, alerts_about, now_iso, subscribe, wait_until};
use crate::support::app::TestApp;
use crate::support::fake_sentry::Mode;
use crate::support::message_text as text;
use serde_json::{json, Value};

/// Picks `value` in the ⋯ menu of `channel`'s alert card `ts` about `id`.
async fn pick_more(app: &TestApp, channel: &str, ts: &str, id: &str, value: &str) -> Value {
    let (url, rid) = app.slack.response_url();
    let payload = json!({
        "type": "block_actions",
        "user": { "id": "U0ALICE" }, "team": { "id": "T0ACME" }, "channel": { "id": channel },
        "container": { "type": "message", "is_ephemeral": false, "message_ts": ts, "channel_id": channel },
        "response_url": url,
        "actions": [{ "action_id": "issue_more", "block_id": format!("d|acme|api|{id}"), "type": "overflow",
            "selected_option": { "text": { "type": "plain_text", "text": "Mute here" }, "value": value } }]
    });
    assert_eq!(app.interact(&payload).await.status().as_u16(), 200);
    app.slack.wait_for_responses(&rid, 1).await.remove(0)
}

both_modes!(
    mute_here_stops_one_channels_follow_ups_and_sentry_hears_nothing,
    mute_here
);
async fn mute_here(mode: Mode) {
    let app = acme_in(mode, Vec::new()).await;
    subscribe(&app, "C1", "api").await;
    subscribe(&app, "C2", "api").await;
    let id = app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Noisy problem", "firstSeen": now_iso(), "lastSeen": now_iso() }),
    );
    wait_until("both alerts", Duration::from_secs(10), || {
        ["C1", "C2"]
            .iter()
            .all(|c| alerts_about(&app, c, "Noisy problem").len() == 1)
    })
    .await;
    let alert = alerts_about(&app, "C1", "Noisy problem").remove(0);
    assert!(
        alert["blocks"]
            .to_string()
            .contains(&format!("mute_here:acme:{id}")),
        "the card offers Mute here: {}",
        alert["blocks"]
    );
    let (c1, c2) = (
        alert_ts(&app, "C1", &id).await,
        alert_ts(&app, "C2", &id).await,
    );

    let reply = pick_more(&app, "C1", &c1, &id, &format!("mute_here:acme:{id}")).await;
    assert_eq!(reply["replace_original"], true);
    assert_eq!(reply["response_type"], "in_channel");
    let shown = text(&reply);
    assert!(shown.contains(":no_bell: muted here"), "{shown}");
    assert!(shown.contains("Muted here by <@U0ALICE>"), "{shown}");
    assert!(
        reply["blocks"]
            .to_string()
            .contains(&format!("unmute_here:acme:{id}")),
        "the card offers Unmute here: {}",
        reply["blocks"]
    );
    let changes_sent = || {
        app.sentry
            .requests()
            .iter()
            .filter(|r| r.method == "PUT" || r.method == "POST")
            .count()
    };
    assert_eq!(changes_sent(), 0, "Sentry is not told");

    // Resolved in Sentry: both cards are redrawn, only C2 hears of it.
    app.sentry
        .update_issue(&id, json!({ "status": "resolved", "substatus": null }));
    let redrawn = |channel: &str| {
        app.slack.calls().into_iter().find(|c| {
            c.method == "chat.update"
                && c.body["channel"] == channel
                && text(&c.body).contains("Resolved in Sentry")
        })
    };
    wait_until(
        "both redraws and C2's reply",
        Duration::from_secs(10),
        || {
            redrawn("C1").is_some()
                && redrawn("C2").is_some()
                && app.slack.posts_in("C2").iter().any(|p| {
                    p["thread_ts"] == c2.as_str() && text(p).contains("Resolved in Sentry")
                })
        },
    )
    .await;
    let c1_card = redrawn("C1").map(|c| c.body).unwrap_or_default();
    assert!(text(&c1_card).contains(":no_bell: muted here"), "{c1_card}");
    // Back again: C2 gets its regression, C1 nothing at all.
    app.sentry.update_issue(
        &id,
        json!({ "status": "unresolved", "substatus": "regressed", "lastSeen": now_iso() }),
    );
    wait_until("C2's regression", Duration::from_secs(10), || {
        !alerts_about(&app, "C2", "*Regressed*").is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(alerts_about(&app, "C1", "*Regressed*").is_empty());
    let c1_replies: Vec<Value> = app
        .slack
        .posts_in("C1")
        .into_iter()
        .filter(|p| p["thread_ts"] == c1.as_str())
        .collect();
    assert!(c1_replies.is_empty(), "{c1_replies:?}");
    let mut conn = app.database().await;
    let muted: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM alerts WHERE channel_id = 'C1' AND kind = 'regressed' AND state = 'muted'",
    )
    .fetch_one(&mut conn)
    .await
    .expect("count");
    assert_eq!(muted, 1, "the regression is recorded as muted, once");

    // Unmute: the card offers Mute here again, and Sentry still heard nothing.
    let reply = pick_more(&app, "C1", &c1, &id, &format!("unmute_here:acme:{id}")).await;
    assert!(
        text(&reply).contains("Unmuted here by <@U0ALICE>"),
        "{}",
        text(&reply)
    );
    assert!(reply["blocks"]
        .to_string()
        .contains(&format!("\"mute_here:acme:{id}\"")));
    assert_eq!(changes_sent(), 0);
}
