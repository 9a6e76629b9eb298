//! Socket Mode: with SLACK_APP_TOKEN set, slash commands, clicks and events
//! delivered over a (fake) Socket Mode WebSocket are acknowledged and
//! handled as over HTTP; deferred work still answers through `response_url`.

use std::time::Duration;

use crate::support::alerts::acme_with;
use crate::support::app::{spawn_app_with, TestApp};
use crate::support::fake_slack::APP_TOKEN;
use serde_json::{json, Value};

/// Waits until `app` holds its Socket Mode connection.
async fn wait_for_socket(app: &TestApp) {
    app.wait_for_log("connected to Slack over Socket Mode")
        .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while app.slack.socket_connections() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "no Socket Mode connection; logs:\n{}",
            app.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_for_acks(app: &TestApp, count: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while app.slack.socket_acks().len() < count {
        assert!(
            std::time::Instant::now() < deadline,
            "no ack; logs:\n{}",
            app.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.slack.socket_acks()
}

#[tokio::test]
async fn a_slash_command_over_socket_mode_is_acknowledged_with_the_answer() {
    let app = spawn_app_with(vec![("SLACK_APP_TOKEN", APP_TOKEN.into())]).await;
    wait_for_socket(&app).await;

    let (response_url, response_id) = app.slack.response_url();
    let command = |envelope_id: &str, text: &str| {
        json!({
            "envelope_id": envelope_id,
            "type": "slash_commands",
            "accepts_response_payload": true,
            "payload": {
                "token": "unused", "team_id": "T0ACME", "team_domain": "acme", "channel_id": "C0ALERTS",
                "channel_name": "alerts", "user_id": "U0ALICE", "user_name": "alice", "command": "/sentry",
                "text": text, "api_app_id": "A0BOT", "is_enterprise_install": "false",
                "response_url": response_url, "trigger_id": "1.2.3"
            }
        })
    };
    app.slack.socket_send(command("env-help", "help"));
    app.slack.socket_send(command("env-orgs", "orgs"));

    let acks = wait_for_acks(&app, 2).await;
    let ack = |id: &str| -> Value {
        acks.iter()
            .find(|a| a["envelope_id"] == id)
            .cloned()
            .expect("acked")
    };
    let help = ack("env-help");
    assert_eq!(help["payload"]["response_type"], "ephemeral");
    assert_eq!(
        help["payload"]["blocks"][0]["text"]["text"],
        "Sentry for Slack"
    );
    // A deferred command is acknowledged without a message of its own.
    let orgs = ack("env-orgs");
    assert_eq!(orgs["envelope_id"], "env-orgs");
    assert!(orgs.get("payload").is_none(), "a bare ack: {orgs}");

    // The deferred answer still goes through the response_url.
    let answers = app.slack.wait_for_responses(&response_id, 1).await;
    assert!(answers[0]["text"]
        .as_str()
        .unwrap()
        .contains("No Sentry org is linked yet"));
}

#[tokio::test]
async fn a_click_and_a_link_over_socket_mode_act_on_sentry_and_unfurl() {
    let app = acme_with(vec![("SLACK_APP_TOKEN", APP_TOKEN.into())]).await;
    wait_for_socket(&app).await;
    let id = app
        .sentry
        .add_issue("acme", "api", json!({ "title": "Socket problem" }));

    let (response_url, response_id) = app.slack.response_url();
    app.slack.socket_send(json!({
        "envelope_id": "env-click",
        "type": "interactive",
        "accepts_response_payload": false,
        "payload": {
            "type": "block_actions",
            "token": "unused",
            "api_app_id": "A0BOT",
            "trigger_id": "1.2.3",
            "team": { "id": "T0ACME", "domain": "acme" },
            "user": { "id": "U0ALICE", "username": "alice", "name": "alice", "team_id": "T0ACME" },
            "channel": { "id": "C0ALERTS", "name": "alerts" },
            "container": { "type": "message", "message_ts": "1700000000.000100", "channel_id": "C0ALERTS", "is_ephemeral": false },
            "response_url": response_url,
            "actions": [{
                "type": "button", "action_id": "issue_action", "block_id": format!("d|acme|api|{id}"),
                "value": format!("resolve:acme:{id}"), "action_ts": "1700000001.000200",
                "text": { "type": "plain_text", "text": "Resolve" }
            }]
        }
    }));
    let link = format!("https://acme.sentry.io/issues/{id}/");
    app.slack.socket_send(json!({
        "envelope_id": "env-link",
        "type": "events_api",
        "accepts_response_payload": false,
        "payload": {
            "type": "event_callback", "token": "unused", "team_id": "T0ACME", "api_app_id": "A0BOT",
            "event_id": "Ev2", "event_time": 1_700_000_000,
            "event": {
                "type": "link_shared", "channel": "C0ALERTS", "user": "U0ALICE",
                "message_ts": "1700000000.000300", "event_ts": "1700000000.000300",
                "links": [{ "domain": "acme.sentry.io", "url": link }]
            }
        }
    }));
    let acks = wait_for_acks(&app, 2).await;
    for envelope in ["env-click", "env-link"] {
        assert!(
            acks.iter().any(|a| a["envelope_id"] == envelope),
            "{envelope} acked: {acks:?}"
        );
    }

    // The click resolved the issue and redrew the message.
    let answers = app.slack.wait_for_responses(&response_id, 1).await;
    assert!(
        crate::support::message_text(&answers[0]).contains("Resolved by <@U0ALICE>"),
        "{}",
        answers[0]
    );
    assert_eq!(app.sentry.issue(&id).unwrap()["status"], "resolved");

    // The link was unfurled.
    let calls = app
        .slack
        .wait_for(Duration::from_secs(10), "chat.unfurl", |calls| {
            calls.iter().any(|c| c.method == "chat.unfurl")
        })
        .await;
    let unfurl = calls.iter().find(|c| c.method == "chat.unfurl").unwrap();
    assert_eq!(unfurl.status, 200);
    assert!(unfurl.body["unfurls"][&link]["blocks"]
        .to_string()
        .contains("Socket problem"));
}
