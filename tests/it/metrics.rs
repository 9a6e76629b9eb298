//! `GET /metrics` exposes the named series after traffic.

use std::time::Duration;

use crate::support::app::spawn_app_with;
use serde_json::json;

#[tokio::test]
async fn metrics_expose_requests_acks_sentry_calls_alerts_and_ticks() {
    let app = spawn_app_with(vec![
        ("SENTRY_AUTH_TOKEN", "tok-acme".into()),
        ("SENTRY_ORG", "acme".into()),
        ("POLL_INTERVAL", "200ms".into()),
    ])
    .await;
    app.sentry.add_org("acme", &["api"]);
    app.sentry.add_token(
        "tok-acme",
        "acme",
        &["org:read", "project:read", "event:write"],
    );
    let (_, id) = app.command("subscribe api").await;
    app.slack.wait_for_responses(&id, 1).await;
    let now = jiff::Timestamp::now().to_string();
    app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Counted", "firstSeen": now, "lastSeen": now }),
    );
    app.wait_for_log("alert posted").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let unsigned = app
        .post_with(
            "/slack/commands",
            "application/x-www-form-urlencoded",
            "text=help".into(),
            None,
            None,
        )
        .await;
    assert_eq!(unsigned.status().as_u16(), 401);

    let response = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = response.text().await.unwrap();
    for series in [
        "http_requests_total{route=\"/slack/commands\",status=\"200\"}",
        "http_requests_total{route=\"/slack/commands\",status=\"401\"}",
        "slack_ack_seconds_bucket{route=\"/slack/commands\",le=\"0.05\"}",
        "sentry_calls_total{endpoint=\"org issues\",outcome=\"ok\"}",
        "sentry_rate_limit_remaining{org=\"acme\"}",
        "alerts_posted_total{kind=\"new\"} 1",
        "poll_tick_seconds_bucket",
        "outbound_queue_depth 0",
    ] {
        assert!(text.contains(series), "missing {series} in:\n{text}");
    }
}
