//! An app with one statically linked org and a short poll interval (for
//! any test that needs a linked org), and helpers for tests of
//! subscriptions and the poller that wait for alerts in the fake Slack.

use std::time::Duration;

use serde_json::{json, Value};

use super::app::{spawn_app_in, Env, TestApp};
use super::fake_sentry::Mode;
use super::message_text as text;

/// The service with org `acme` (projects `api` and `web`) linked by a
/// static token and a 300 ms poll interval.
pub async fn acme() -> TestApp {
    acme_with(Vec::new()).await
}

/// [`acme`] with `extra` environment variables added.
pub async fn acme_with(extra: Env) -> TestApp {
    acme_in(Mode::SentryIo, extra).await
}

/// [`acme_with`] against a fake Sentry playing `mode`.
pub async fn acme_in(mode: Mode, extra: Env) -> TestApp {
    let mut env: Env = vec![
        ("SENTRY_AUTH_TOKEN", "tok-acme".into()),
        ("SENTRY_ORG", "acme".into()),
        ("POLL_INTERVAL", "300ms".into()),
    ];
    env.extend(extra);
    let app = spawn_app_in(mode, env).await;
    app.sentry.add_org("acme", &["api", "web"]);
    app.sentry.add_token("tok-acme", "acme", super::ALL_SCOPES);
    app.wait_for_log("connected to Slack").await;
    app
}

/// Now as Sentry writes timestamps.
pub fn now_iso() -> String {
    jiff::Timestamp::now().to_string()
}

/// Runs `/sentry subscribe <args>` in `channel`; returns the answer's text.
pub async fn subscribe(app: &TestApp, channel: &str, args: &str) -> String {
    let (response, id) = app.command_in(channel, &format!("subscribe {args}")).await;
    assert_eq!(response.status().as_u16(), 200);
    text(&app.slack.wait_for_responses(&id, 1).await[0])
}

/// Alerts (not the subscribe notice) in `channel` whose text mentions `needle`.
pub fn alerts_about(app: &TestApp, channel: &str, needle: &str) -> Vec<Value> {
    app.slack
        .posts_in(channel)
        .into_iter()
        .filter(|p| text(p).contains(needle) && !text(p).contains(":bell:"))
        .collect()
}

/// The `ts` of `channel`'s alert about issue `id`, as the service stored it.
#[allow(dead_code)]
pub async fn alert_ts(app: &TestApp, channel: &str, id: &str) -> String {
    let mut conn = app.database().await;
    sqlx::query_scalar(
        "SELECT ts FROM alerts WHERE kind = 'new' AND issue_id = ? AND channel_id = ?",
    )
    .bind(id)
    .bind(channel)
    .fetch_one(&mut conn)
    .await
    .expect("the alert's ts")
}

/// Polls `check` every 50 ms; fails the test after `timeout`.
pub async fn wait_until(what: &str, timeout: Duration, check: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + timeout;
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How a storm of issues titled `Storm-NNN-end` reached a channel.
#[derive(Debug, Default)]
#[allow(dead_code)]
pub struct StormTally {
    /// Top-level messages in the channel, the subscribe notice left out.
    pub messages: usize,
    /// Issues (numbers) posted on their own, in order.
    pub alone: Vec<usize>,
    /// Issues counted by the digests, from their "N new issues" headings.
    pub counted: usize,
    /// Issues (numbers) listed in the digests.
    pub listed: Vec<usize>,
}

/// The storm issue numbers in `text`.
fn storm_numbers(text: &str) -> Vec<usize> {
    text.match_indices("Storm-")
        .filter_map(|(at, _)| {
            let rest = &text[at + 6..];
            rest.get(..3)
                .filter(|_| rest.get(3..7) == Some("-end"))
                .and_then(|n| n.parse().ok())
        })
        .collect()
}

/// Reads the channel as it looks now (digests as last updated).
#[allow(dead_code)]
pub fn storm_tally(slack: &super::fake_slack::FakeSlack, channel: &str) -> StormTally {
    let mut tally = StormTally::default();
    for message in slack.messages_in(channel) {
        let shown = text(&message);
        if shown.contains(":bell:") {
            continue;
        }
        tally.messages += 1;
        let fallback = message["text"].as_str().unwrap_or_default();
        match fallback.split_once(" new issues in ") {
            Some((count, _)) => {
                tally.counted += count.trim().parse::<usize>().expect("a digest's count");
                let mut numbers = storm_numbers(&shown);
                numbers.dedup();
                tally.listed.extend(numbers);
            }
            None => {
                let mut numbers = storm_numbers(&shown);
                numbers.dedup();
                assert_eq!(numbers.len(), 1, "one issue per alert: {shown}");
                tally.alone.extend(numbers);
            }
        }
    }
    tally
}

/// [`STORM`] issues of `acme/project` titled `Storm-NNN-end`, new now,
/// and their `created` webhook bodies.
#[allow(dead_code)]
pub fn storm_bodies(sentry: &super::fake_sentry::FakeSentry, project: &str) -> Vec<Vec<u8>> {
    let now = now_iso();
    let ids = sentry.add_issues(
        "acme",
        project,
        (0..STORM)
            .map(|i| json!({ "title": format!("Storm-{i:03}-end"), "firstSeen": now, "lastSeen": now }))
            .collect(),
    );
    ids.iter()
        .map(|id| {
            serde_json::to_vec(&json!({
                "action": "created",
                "installation": { "uuid": "0d1f3c2e-7a4b-4c2e-9d1f-3c2e7a4b4c2e" },
                "data": { "issue": sentry.issue(id).expect("issue") },
                "actor": { "type": "application", "id": "sentry", "name": "Sentry" },
            }))
            .expect("json")
        })
        .collect()
}

/// Issues in a storm.
pub const STORM: usize = 200;

/// Sends the storm, signed with `secret`, within two seconds, 10 deliveries every 100 ms, the
/// `n`th to `url(n)`; returns when the last was answered.
#[allow(dead_code)]
pub async fn send_storm(secret: &str, bodies: &[Vec<u8>], url: impl Fn(usize) -> String) {
    let http = reqwest::Client::new();
    let started = tokio::time::Instant::now();
    for (round, chunk) in bodies.chunks(10).enumerate() {
        let sends = chunk.iter().enumerate().map(|(i, body)| {
            let n = round * 10 + i;
            http.post(url(n))
                .header("content-type", "application/json")
                .header("sentry-hook-resource", "issue")
                .header("sentry-hook-timestamp", "1764400000")
                .header("request-id", format!("storm-{n}"))
                .header("sentry-hook-signature", hook_signature(secret, body))
                .body(body.clone())
                .send()
        });
        for answer in futures_util::future::join_all(sends).await {
            assert_eq!(answer.expect("delivery").status().as_u16(), 200);
        }
        tokio::time::sleep_until(started + Duration::from_millis(100) * (round as u32 + 1)).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the storm took {:?}: not a storm",
        started.elapsed()
    );
}

/// Sentry's `Sentry-Hook-Signature` of `body` under `secret`.
#[allow(dead_code)]
pub fn hook_signature(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}
