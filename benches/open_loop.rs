//! Answers under an open-loop load, the way a workspace sends commands.
//!
//! `cargo bench --bench open_loop` starts the real `sentry-slack-bot serve`
//! binary (SQLite, one org linked by a static token) against the fake Slack
//! and a fake Sentry answering every call after 200 ms, then after 2 s. At
//! 20, 100 and 400 commands per second for 30 s it sends signed
//! `/sentry issues api <distinct query>` commands on a fixed schedule,
//! whatever the service does (open loop), each with its own `response_url`.
//! Per level it reports admitted and shed requests separately, the ack p99,
//! how many admitted requests were answered with the list and their answer
//! latency (ack → the answer reaching `response_url`) p50 / p99, how many
//! were told Sentry was too slow after `ANSWER_TIMEOUT`, how many had no
//! reply 30 s after sending stopped, and peak RSS. A fresh service per level.
//!
//! First it measures what one answer waiting on Sentry costs in memory, the
//! figure the default bound on answers in progress is derived from: 2,000
//! commands against a Sentry that takes 120 s, with the bound raised so all
//! are admitted, and the service's RSS before and after. Then an incident:
//! 200 identical list commands within one second, counting Sentry list
//! calls and answers (`OPEN_LOOP_QUICK=1` stops there).
//! Bounded: 30 s of sending plus at most 30 s of waiting per level.

#[path = "../tests/it/support/mod.rs"]
mod support;

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use common::{mib, ms, percentile, status_kib};
use support::app::{spawn_app_with, TestApp};
use support::signer;

const RATES: [u64; 3] = [20, 100, 400];
const LATENCIES: [Duration; 2] = [Duration::from_millis(200), Duration::from_secs(2)];
const SENDING: Duration = Duration::from_secs(30);
const WAITING: Duration = Duration::from_secs(30);

/// One request's fate.
struct Sent {
    response_id: String,
    acked_at: SystemTime,
    ack: Duration,
    shed: bool,
}

async fn linked_app() -> TestApp {
    linked_app_with(Vec::new()).await
}

async fn linked_app_with(extra: Vec<(&'static str, String)>) -> TestApp {
    let mut env = vec![
        ("SENTRY_AUTH_TOKEN", "tok-acme".to_string()),
        ("SENTRY_ORG", "acme".to_string()),
        ("POLL_INTERVAL", "60s".to_string()),
        ("RUST_LOG", "warn,sentry_slack_bot::app=info".to_string()),
    ];
    env.extend(extra);
    let app = spawn_app_with(env).await;
    app.sentry.add_org("acme", &["api"]);
    app.sentry
        .add_token("tok-acme", "acme", support::ALL_SCOPES);
    for i in 0..20 {
        app.sentry.add_issue(
            "acme",
            "api",
            serde_json::json!({ "title": format!("Problem {i}") }),
        );
    }
    app.wait_for_log("listening").await;
    app
}

async fn send(
    client: reqwest::Client,
    base: String,
    url: String,
    id: String,
    n: u64,
) -> Option<Sent> {
    // Distinct queries: identical lists within seconds would share one Sentry call.
    let body = TestApp::command_form(&format!("issues api release:v{n}"), &url);
    let request = signer::signed_form(&client, &format!("{base}/slack/commands"), body);
    let started = Instant::now();
    let response = request.send().await.ok()?;
    let ack = started.elapsed();
    let text = response.text().await.ok()?;
    Some(Sent {
        response_id: id,
        acked_at: SystemTime::now(),
        ack,
        shed: text.contains("Too many requests are waiting"),
    })
}

/// Sends `count` commands at `rate` per second; how many were admitted.
async fn send_at_rate(app: &TestApp, count: u64, rate: u64) -> usize {
    let base = format!("http://{}", app.addr);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(512)
        .build()
        .expect("client");
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    let mut tasks = Vec::new();
    for n in 0..count {
        ticker.tick().await;
        let (url, id) = app.slack.response_url();
        tasks.push(tokio::spawn(send(client.clone(), base.clone(), url, id, n)));
    }
    let mut admitted = 0;
    for task in tasks {
        if let Ok(Some(sent)) = task.await {
            admitted += usize::from(!sent.shed);
        }
    }
    admitted
}

/// RSS growth per admitted answer while every answer waits on Sentry.
async fn memory_per_waiting_answer() {
    const WAITING_ANSWERS: u64 = 2_000;
    let app = linked_app_with(vec![("MAX_ANSWERS_IN_PROGRESS", "10000".to_string())]).await;
    app.sentry.set_latency(Duration::from_secs(120));
    // Warm-up: pools, caches and the allocator's arenas exist before the baseline.
    send_at_rate(&app, 50, 100).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = status_kib(app.pid(), "VmRSS");
    let admitted = send_at_rate(&app, WAITING_ANSWERS, 200).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = status_kib(app.pid(), "VmRSS");
    let per_answer = (after.saturating_sub(before) as f64 * 1024.0) / admitted.max(1) as f64;
    println!(
        "Memory of one answer waiting on Sentry: {admitted} admitted answers waiting, RSS {} → {}: \
         {:.1} KiB each. Default bound: {} MiB / that = {} answers in progress (the service's \
         figure is {} KiB).\n",
        mib(before),
        mib(after),
        per_answer / 1024.0,
        sentry_slack_bot::deferred::MEMORY_BUDGET_BYTES / (1024 * 1024),
        (sentry_slack_bot::deferred::MEMORY_BUDGET_BYTES as f64 / per_answer) as u64,
        sentry_slack_bot::deferred::BYTES_PER_WAITING_ANSWER / 1024,
    );
}

/// The first minutes of an incident: 200 people run the same
/// `/sentry issues api` within one second against a 200 ms Sentry.
async fn incident() {
    const PEOPLE: u64 = 200;
    let app = linked_app().await;
    app.sentry.set_latency(Duration::from_millis(200));
    let lists_before = list_calls(&app);
    let base = format!("http://{}", app.addr);
    let client = reqwest::Client::new();
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / PEOPLE as f64));
    let mut tasks = Vec::new();
    for _ in 0..PEOPLE {
        ticker.tick().await;
        let (url, id) = app.slack.response_url();
        let body = TestApp::command_form("issues api", &url);
        let request = signer::signed_form(&client, &format!("{base}/slack/commands"), body);
        tasks.push(tokio::spawn(async move {
            let response = request.send().await.ok()?;
            let acked_at = SystemTime::now();
            response.status().is_success().then_some((id, acked_at))
        }));
    }
    let mut acked = Vec::new();
    for task in tasks {
        if let Ok(Some(sent)) = task.await {
            acked.push(sent);
        }
    }
    let deadline = Instant::now() + WAITING;
    let answers = loop {
        let calls = app.slack.calls();
        let answers: Vec<Duration> = acked
            .iter()
            .filter_map(|(id, acked_at)| {
                calls
                    .iter()
                    .find(|c| c.response_id.as_deref() == Some(id.as_str()))
                    .map(|c| c.at.duration_since(*acked_at).unwrap_or_default())
            })
            .collect();
        if answers.len() == acked.len() || Instant::now() > deadline {
            break answers;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut sorted = answers.clone();
    sorted.sort();
    println!(
        "Incident: {PEOPLE} identical `/sentry issues api` within 1 s, Sentry at 200 ms: \
         {} acked, {} answered, {} Sentry list calls, answer p50 {} / p99 {}.\n",
        acked.len(),
        answers.len(),
        list_calls(&app) - lists_before,
        ms(percentile(&sorted, 0.5)),
        ms(percentile(&sorted, 0.99)),
    );
}

/// Issue list calls the fake Sentry has answered.
fn list_calls(app: &TestApp) -> usize {
    app.sentry
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/issues/"))
        .count()
}

async fn level(latency: Duration, rate: u64) {
    let app = linked_app().await;
    app.sentry.set_latency(latency);
    let base = format!("http://{}", app.addr);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(512)
        .build()
        .expect("client");
    let total = rate * SENDING.as_secs();
    let urls: Vec<(String, String)> = (0..total).map(|_| app.slack.response_url()).collect();
    let results = Arc::new(Mutex::new(Vec::new()));
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::new();
    for (n, (url, id)) in urls.into_iter().enumerate() {
        ticker.tick().await;
        let (client, base, results) = (client.clone(), base.clone(), results.clone());
        tasks.push(tokio::spawn(async move {
            if let Some(sent) = send(client, base, url, id, n as u64).await {
                results.lock().unwrap().push(sent);
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let sent: Vec<Sent> = std::mem::take(&mut *results.lock().unwrap());
    let admitted: Vec<&Sent> = sent.iter().filter(|s| !s.shed).collect();
    // Wait for the admitted answers, up to WAITING after sending stopped.
    let deadline = Instant::now() + WAITING;
    // Each admitted request's answer: how long after its ack, and whether
    // it was the list or "Sentry did not answer … within 25 s".
    let answered_at = |app: &TestApp| {
        let calls = app.slack.calls();
        admitted
            .iter()
            .filter_map(|s| {
                calls
                    .iter()
                    .find(|c| c.response_id.as_deref() == Some(s.response_id.as_str()))
                    .map(|c| {
                        (
                            c.at.duration_since(s.acked_at).unwrap_or_default(),
                            c.body.to_string().contains("Sentry did not answer"),
                        )
                    })
            })
            .collect::<Vec<(Duration, bool)>>()
    };
    let mut replies = answered_at(&app);
    while replies.len() < admitted.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        replies = answered_at(&app);
    }
    let mut answers: Vec<Duration> = replies
        .iter()
        .filter(|(_, too_slow)| !too_slow)
        .map(|(at, _)| *at)
        .collect();
    let too_slow = replies.len() - answers.len();
    let mut acks: Vec<Duration> = sent.iter().map(|s| s.ack).collect();
    acks.sort();
    answers.sort();
    println!(
        "| {} | {rate}/s | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        ms(latency),
        sent.len(),
        admitted.len(),
        sent.len() - admitted.len(),
        ms(percentile(&acks, 0.99)),
        answers.len(),
        ms(percentile(&answers, 0.5)),
        ms(percentile(&answers, 0.99)),
        too_slow,
        admitted.len() - replies.len(),
        mib(status_kib(app.pid(), "VmHWM")),
    );
}

#[tokio::main]
async fn main() {
    memory_per_waiting_answer().await;
    incident().await;
    // `OPEN_LOOP_QUICK=1`: the two figures above, without the levels.
    if std::env::var_os("OPEN_LOOP_QUICK").is_some() {
        return;
    }
    println!(
        "Open loop: `/sentry issues api <distinct query>` at a fixed rate for {} s, one org, fresh service per level.\n",
        SENDING.as_secs()
    );
    println!("| Sentry latency | offered | sent | admitted | shed (told busy) | ack p99 | answered with the list | answer p50 | answer p99 | told Sentry was slow (after ANSWER_TIMEOUT) | admitted, no reply {} s after sending stopped | peak RSS |", WAITING.as_secs());
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for latency in LATENCIES {
        for rate in RATES {
            level(latency, rate).await;
        }
    }
}
