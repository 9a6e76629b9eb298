//! Events and interactions endpoints, and the health probes.

use crate::support::app::spawn_app;
use serde_json::{json, Value};

#[tokio::test]
async fn events_answer_slacks_url_verification_challenge() {
    let app = spawn_app().await;
    let body = json!({
        "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification"
    })
    .to_string();
    let response = app
        .post_signed("/slack/events", "application/json", body)
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(
        answer["challenge"],
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );

    let callback = json!({
        "type": "event_callback",
        "team_id": "T0ACME",
        "event_id": "Ev0PV52K21",
        "event": { "type": "link_shared", "channel": "C0ALERTS", "links": [] }
    })
    .to_string();
    let response = app
        .post_signed("/slack/events", "application/json", callback)
        .await;
    assert_eq!(response.status().as_u16(), 200);

    let response = app
        .post_signed("/slack/events", "application/json", "{not json".into())
        .await;
    assert_eq!(response.status().as_u16(), 400);
}

#[tokio::test]
async fn interactions_are_acknowledged_and_option_loads_get_a_list() {
    let app = spawn_app().await;
    let payload = json!({
        "type": "block_actions",
        "user": { "id": "U0ALICE" },
        "team": { "id": "T0ACME" },
        "actions": [{ "action_id": "resolve", "value": "acme:123" }],
        "response_url": "http://127.0.0.1:9/unused"
    });
    let response = app.interact(&payload).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.text().await.unwrap(), "");

    let suggestion = json!({ "type": "block_suggestion", "action_id": "assign", "value": "ali" });
    let body = serde_urlencoded::to_string([("payload", suggestion.to_string())]).unwrap();
    let response = app
        .post_signed(
            "/slack/interactions",
            "application/x-www-form-urlencoded",
            body,
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let options: Value = response.json().await.unwrap();
    assert_eq!(options, json!({ "options": [] }));

    let response = app
        .post_signed(
            "/slack/interactions",
            "application/x-www-form-urlencoded",
            "payload=%7Bbroken".into(),
        )
        .await;
    assert_eq!(response.status().as_u16(), 400);
}

#[tokio::test]
async fn health_and_readiness() {
    let mut app = spawn_app().await;
    let health = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 200);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["store"], "ok");
    assert!(
        app.database_path.exists(),
        "the SQLite file is created on first start"
    );

    // The bot token is checked against Slack at start, over plain http to the fake.
    app.wait_for_log("connected to Slack").await;
    assert!(app.slack.calls().iter().any(|c| c.method == "auth.test"));

    let status = app.terminate();
    assert!(
        status.success(),
        "SIGTERM stops the service cleanly: {status:?}"
    );
    assert!(app.logs().contains("\"stopped\""));
}

both_modes!(
    sentry_links_of_linked_orgs_are_unfurled_with_buttons,
    links_of_linked_orgs_are_unfurled
);
async fn links_of_linked_orgs_are_unfurled(mode: crate::support::fake_sentry::Mode) {
    let app = crate::support::alerts::acme_in(mode, Vec::new()).await;
    let id = app
        .sentry
        .add_issue("acme", "api", json!({ "title": "Unfurl me <!here>" }));
    let linked = format!("https://acme.sentry.io/issues/{id}/");
    let other = "https://globex.sentry.io/issues/77/".to_string();
    let event = json!({
        "type": "event_callback",
        "team_id": "T0ACME",
        "event_id": "Ev1",
        "event": {
            "type": "link_shared", "channel": "C0ALERTS", "user": "U0ALICE", "message_ts": "1700000000.000200",
            "links": [{ "domain": "acme.sentry.io", "url": linked }, { "domain": "globex.sentry.io", "url": other }]
        }
    });
    let response = app
        .post_signed("/slack/events", "application/json", event.to_string())
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let calls = app
        .slack
        .wait_for(std::time::Duration::from_secs(10), "chat.unfurl", |calls| {
            calls.iter().any(|c| c.method == "chat.unfurl")
        })
        .await;
    let unfurl = calls.iter().find(|c| c.method == "chat.unfurl").unwrap();
    assert_eq!(unfurl.status, 200);
    assert_eq!(unfurl.body["channel"], "C0ALERTS");
    assert_eq!(unfurl.body["ts"], "1700000000.000200");
    let unfurls = unfurl.body["unfurls"].as_object().unwrap();
    assert_eq!(unfurls.len(), 1, "the unlinked org's URL is left alone");
    let blocks = unfurls[&linked]["blocks"].to_string();
    assert!(blocks.contains("Unfurl me &lt;!here&gt;"), "{blocks}");
    assert!(blocks.contains(&format!("resolve:acme:{id}")));
    assert!(!app
        .sentry
        .requests()
        .iter()
        .any(|r| r.path.contains("globex")));

    // Slack delivers the same event again (a retry): it is acked, not redone.
    let sentry_calls = app.sentry.requests().len();
    let response = app
        .post_signed("/slack/events", "application/json", event.to_string())
        .await;
    assert_eq!(response.status().as_u16(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let unfurls = app
        .slack
        .calls()
        .iter()
        .filter(|c| c.method == "chat.unfurl")
        .count();
    assert_eq!(unfurls, 1, "one unfurl per event id");
    assert_eq!(app.sentry.requests().len(), sentry_calls);
    assert!(app.logs().contains("event already handled"));
}
