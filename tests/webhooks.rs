//! Events and interactions endpoints, and the health probes.

mod support;

use serde_json::{json, Value};
use support::app::spawn_app;

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
    let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
    let response = app
        .post_signed(
            "/slack/interactions",
            "application/x-www-form-urlencoded",
            body,
        )
        .await;
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
