//! How fast a Sentry webhook becomes a Slack alert, and what webhooks save
//! in Sentry calls.
//!
//! `cargo bench --bench webhook_latency` starts the real `serve` binary
//! (SQLite) with `acme` linked by a static token and a webhook secret,
//! subscribes one channel to each of 100 projects, then sends one signed
//! `issue.created` webhook per project, 50 ms apart. Each alert goes to its
//! own channel, so the one-message-a-second channel pacing never applies:
//! the figure is receipt → `chat.postMessage` as the fake Slack saw it.
//! Then it counts the Sentry list calls of 20 s of polling, and of 20 s
//! with webhooks live (the backstop pace), at `POLL_INTERVAL=2s`.
//! Last, the storm: 200 signed `created` deliveries within two seconds for
//! one subscription, with the fake Sentry back at sentry.io's real limits
//! (40 a second per endpoint, 25 concurrent): time to the first message and
//! to a settled channel, messages and updates posted, Sentry calls made.
//! Bounded: under a thousand requests, loopback only.

#[path = "../tests/it/support/mod.rs"]
mod support;

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::{ms, percentile};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use support::alerts::{send_storm, storm_bodies, storm_tally, STORM};
use support::app::{spawn_app_with, TestApp};
use support::message_text as text;

const PROJECTS: usize = 100;
const SECRET: &str = "bench-webhook-secret";
const WINDOW: Duration = Duration::from_secs(20);

fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn list_calls_since(app: &TestApp, since: SystemTime) -> usize {
    app.sentry
        .requests()
        .iter()
        .filter(|r| r.at >= since && r.method == "GET" && r.path.ends_with("/issues/"))
        .count()
}

async fn webhook(app: &TestApp, resource: &str, request_id: &str, body: Vec<u8>) {
    let status = app
        .http
        .post(app.url("/sentry/webhooks/acme"))
        .header("sentry-hook-resource", resource)
        .header("sentry-hook-signature", sign(&body))
        .header("request-id", request_id)
        .body(body)
        .send()
        .await
        .expect("webhook")
        .status();
    assert_eq!(status.as_u16(), 200);
}

#[tokio::main]
async fn main() {
    let app = spawn_app_with(vec![
        ("SENTRY_AUTH_TOKEN", "tok-acme".into()),
        ("SENTRY_ORG", "acme".into()),
        ("SENTRY_WEBHOOK_SECRET", SECRET.into()),
        ("POLL_INTERVAL", "2s".into()),
        ("RUST_LOG", "warn,sentry_slack_bot::app=info".into()),
    ])
    .await;
    let slugs: Vec<String> = (0..PROJECTS).map(|p| format!("p{p}")).collect();
    let mut refs: Vec<&str> = slugs.iter().map(String::as_str).collect();
    refs.push("storm");
    app.sentry.add_org("acme", &refs);
    app.sentry
        .add_token("tok-acme", "acme", support::ALL_SCOPES);
    app.sentry.set_rate_limit(1_000_000);
    for (p, slug) in slugs.iter().enumerate() {
        let (_, id) = app
            .command_in(&format!("C{p}"), &format!("subscribe {slug}"))
            .await;
        app.slack.wait_for_responses(&id, 1).await;
    }

    let (_, id) = app.command_in("CSTORM", "subscribe storm").await;
    app.slack.wait_for_responses(&id, 1).await;

    // Sentry calls while polling only.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let polling_from = SystemTime::now();
    tokio::time::sleep(WINDOW).await;
    let polling_calls = list_calls_since(&app, polling_from);

    // One webhook per project; each alert lands in its own channel.
    let mut sent = Vec::new();
    for (p, slug) in slugs.iter().enumerate() {
        let now = jiff::Timestamp::now().to_string();
        let title = format!("Pushed-{p:03}-end");
        let id = app.sentry.add_issue(
            "acme",
            slug,
            json!({ "title": title, "firstSeen": now, "lastSeen": now }),
        );
        let body = serde_json::to_vec(&json!({
            "action": "created",
            "data": { "issue": app.sentry.issue(&id).expect("issue") },
            "actor": { "type": "application", "name": "Sentry" },
        }))
        .expect("json");
        let at = SystemTime::now();
        webhook(&app, "issue", &format!("req-{p}"), body).await;
        sent.push((format!("C{p}"), title, at));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut latencies = Vec::new();
    for (channel, title, at) in &sent {
        let posted = loop {
            let found = app
                .slack
                .calls()
                .into_iter()
                .find(|c| {
                    c.method == "chat.postMessage"
                        && c.body["channel"] == channel.as_str()
                        && text(&c.body).contains(title.as_str())
                })
                .map(|c| c.at);
            match found {
                Some(posted) => break posted,
                None if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await
                }
                None => panic!("{title} was never posted"),
            }
        };
        latencies.push(posted.duration_since(*at).unwrap_or_default());
    }
    latencies.sort();

    // Sentry calls with webhooks live: keep them arriving through the window.
    let live_from = SystemTime::now();
    let pings = WINDOW.as_secs();
    for n in 0..pings {
        webhook(&app, "installation", &format!("ping-{n}"), b"{}".to_vec()).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let live_calls = list_calls_since(&app, live_from);
    let per_hour_at_60s = |calls: usize| calls as f64 * 3600.0 / WINDOW.as_secs_f64() * 2.0 / 60.0;

    let storm = storm_case(&app).await;

    println!(
        "Webhook receipt → chat.postMessage, {PROJECTS} webhooks 50 ms apart, one channel each:\n"
    );
    println!("| webhooks | p50 | p99 | max |");
    println!("|---:|---:|---:|---:|");
    println!(
        "| {} | {} | {} | {} |",
        latencies.len(),
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies[latencies.len() - 1]),
    );
    println!("\nSentry list calls for {PROJECTS} groups, {} s windows at POLL_INTERVAL=2s, and per hour scaled to the default 60 s:\n", WINDOW.as_secs());
    println!("| mode | calls in the window | per hour at 60 s |");
    println!("|---|---:|---:|");
    println!(
        "| polling | {polling_calls} | {:.0} |",
        per_hour_at_60s(polling_calls)
    );
    println!(
        "| webhooks live (backstop) | {live_calls} | {:.0} |",
        per_hour_at_60s(live_calls)
    );
    println!("\nA storm: {STORM} signed `created` deliveries within 2 s for one subscription (`--digest 5`), fake Sentry at sentry.io's limits:\n");
    println!("| first message | settled | messages | updates in place | posted alone | counted in digests | Sentry calls | of them 429 |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {} | {} | {} | {} | {} | {} | {} |",
        ms(storm.first),
        ms(storm.settled),
        storm.messages,
        storm.updates,
        storm.alone,
        storm.counted,
        storm.sentry_calls,
        storm.refused,
    );
}

/// What the storm case measured.
struct Storm {
    first: Duration,
    settled: Duration,
    messages: usize,
    updates: usize,
    alone: usize,
    counted: usize,
    sentry_calls: usize,
    refused: usize,
}

/// Sends the storm to the `storm` project's channel and waits until every
/// issue is posted alone or counted (at most 60 s), then 5 s more.
async fn storm_case(app: &TestApp) -> Storm {
    app.sentry
        .set_rate_limit(support::fake_sentry::SENTRY_IO_LIMIT);
    let bodies = storm_bodies(&app.sentry, "storm");
    let started = SystemTime::now();
    send_storm(SECRET, &bodies, |_| app.url("/sentry/webhooks/acme")).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let settled = loop {
        let tally = storm_tally(&app.slack, "CSTORM");
        if tally.alone.len() + tally.counted >= STORM {
            break started.elapsed().unwrap_or_default();
        }
        assert!(
            Instant::now() < deadline,
            "the storm never settled: {tally:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    tokio::time::sleep(Duration::from_secs(5)).await;
    let tally = storm_tally(&app.slack, "CSTORM");
    assert_eq!(tally.alone.len() + tally.counted, STORM, "{tally:?}");
    let calls = app.slack.calls();
    let in_channel =
        |c: &&support::fake_slack::Call| c.body["channel"] == "CSTORM" && c.at >= started;
    let first = calls
        .iter()
        .filter(in_channel)
        .find(|c| c.method == "chat.postMessage")
        .map(|c| c.at.duration_since(started).unwrap_or_default())
        .expect("a message");
    let updates = calls
        .iter()
        .filter(in_channel)
        .filter(|c| c.method == "chat.update" && c.status == 200)
        .count();
    let requests: Vec<_> = app
        .sentry
        .requests()
        .into_iter()
        .filter(|r| r.at >= started)
        .collect();
    Storm {
        first,
        settled,
        messages: tally.messages,
        updates,
        alone: tally.alone.len(),
        counted: tally.counted,
        sentry_calls: requests.len(),
        refused: requests.iter().filter(|r| r.status == 429).count(),
    }
}
