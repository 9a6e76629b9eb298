//! The fake Slack behaves like the real Web API where the bot depends on it.

use crate::support::fake_slack::{FakeSlack, RESPONSE_URL_USES};
use serde_json::{json, Value};

const TOKEN: &str = "xoxb-fake";

async fn call(
    slack: &FakeSlack,
    method: &str,
    token: Option<&str>,
    body: Value,
) -> (u16, Option<String>, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/{method}", slack.api_url()))
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (status, retry_after, response.json().await.unwrap())
}

fn section(text: &str) -> Value {
    json!({ "type": "section", "text": { "type": "mrkdwn", "text": text } })
}

#[tokio::test]
async fn rejects_bad_auth_and_messages_past_block_kit_limits() {
    let slack = FakeSlack::start(TOKEN).await;
    let ok = json!({ "channel": "C1", "text": "hi", "blocks": [section("hi")] });
    let (_, _, answer) = call(&slack, "chat.postMessage", None, ok.clone()).await;
    assert_eq!(answer, json!({ "ok": false, "error": "not_authed" }));
    let (_, _, answer) = call(&slack, "chat.postMessage", Some("xoxb-other"), ok.clone()).await;
    assert_eq!(answer["error"], "invalid_auth");
    let (status, _, answer) = call(&slack, "chat.postMessage", Some(TOKEN), ok).await;
    assert_eq!(status, 200);
    assert_eq!(answer["ok"], true);
    assert!(answer["ts"].as_str().unwrap().contains('.'));

    let too_many: Vec<Value> = (0..51).map(|i| section(&i.to_string())).collect();
    let long_header =
        json!({ "type": "header", "text": { "type": "plain_text", "text": "h".repeat(151) } });
    let duplicate_ids = json!({ "type": "actions", "elements": [
        { "type": "button", "action_id": "a", "text": { "type": "plain_text", "text": "x" } },
        { "type": "button", "action_id": "a", "text": { "type": "plain_text", "text": "b".repeat(76) } }
    ]});
    let cases = [
        json!({ "channel": "C1", "text": "x", "blocks": too_many }),
        json!({ "channel": "C1", "text": "x", "blocks": [section(&"s".repeat(3001))] }),
        json!({ "channel": "C1", "text": "x", "blocks": [long_header] }),
        json!({ "channel": "C1", "text": "x", "blocks": [duplicate_ids] }),
    ];
    for case in cases {
        let (_, _, answer) = call(&slack, "chat.postMessage", Some(TOKEN), case.clone()).await;
        assert_eq!(answer["ok"], false, "{case}");
        assert_eq!(answer["error"], "invalid_blocks");
        assert!(answer["errors"][0]
            .as_str()
            .unwrap()
            .contains("json-pointer:/blocks"));
    }
    let (_, _, answer) = call(
        &slack,
        "chat.postMessage",
        Some(TOKEN),
        json!({ "channel": "C1" }),
    )
    .await;
    assert_eq!(answer["error"], "no_text");
    let (_, _, answer) = call(
        &slack,
        "chat.postMessage",
        Some(TOKEN),
        json!({ "text": "x" }),
    )
    .await;
    assert_eq!(answer["error"], "channel_not_found");
}

#[tokio::test]
async fn rate_limits_with_retry_after_and_limits_response_url_uses() {
    let slack = FakeSlack::start(TOKEN).await;
    slack.rate_limit_next(2, 7);
    let message = json!({ "channel": "C1", "text": "hi" });
    for _ in 0..2 {
        let (status, retry_after, answer) =
            call(&slack, "chat.postMessage", Some(TOKEN), message.clone()).await;
        assert_eq!(status, 429);
        assert_eq!(retry_after.as_deref(), Some("7"));
        assert_eq!(answer["error"], "ratelimited");
    }
    let (status, _, _) = call(&slack, "chat.postMessage", Some(TOKEN), message.clone()).await;
    assert_eq!(status, 200);

    let (url, id) = slack.response_url();
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..RESPONSE_URL_USES + 1 {
        statuses.push(
            client
                .post(&url)
                .json(&message)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 404]);
    assert_eq!(slack.responses(&id).len(), RESPONSE_URL_USES);
}
