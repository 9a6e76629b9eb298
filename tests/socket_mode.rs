//! Socket Mode: with SLACK_APP_TOKEN set, a slash command delivered over a
//! (fake) Socket Mode WebSocket is acknowledged with the same answer as
//! over HTTP, and deferred work still answers through `response_url`.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::app::spawn_app_with;
use support::fake_slack::APP_TOKEN;

#[tokio::test]
async fn a_slash_command_over_socket_mode_is_acknowledged_with_the_answer() {
    let app = spawn_app_with(vec![("SLACK_APP_TOKEN", APP_TOKEN.into())]).await;
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

    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while app.slack.socket_acks().len() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "no ack; logs:\n{}",
            app.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let acks = app.slack.socket_acks();
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
    let orgs = ack("env-orgs");
    assert!(
        orgs["payload"]["text"]
            .as_str()
            .unwrap()
            .contains("Working on `/sentry orgs`"),
        "{orgs}"
    );

    // The deferred answer still goes through the response_url.
    let answers = app.slack.wait_for_responses(&response_id, 1).await;
    assert!(answers[0]["text"]
        .as_str()
        .unwrap()
        .contains("No Sentry org is linked yet"));
}
