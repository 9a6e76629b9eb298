//! Inbound acks under load, and the service's footprint.
//!
//! `cargo bench --bench inbound_load` starts the real `sentry-slack-bot
//! serve` binary (SQLite, one org linked by a static token) against the fake
//! Slack and a fake Sentry that answers every call after 2 s, then sends
//! signed `/sentry issues api` commands and Resolve clicks, half and half,
//! from 50, 200 and 1,000 concurrent connections. It prints requests/s,
//! p50/p99/max ack latency, acks slower than Slack's 3 s or failed, and the
//! service's RSS; then binary size, idle RSS and cold start to ready.
//! Bounded: a fixed number of requests per level, loopback only.

#[path = "../tests/it/support/mod.rs"]
mod support;

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{mib, ms, percentile, status_kib};
use serde_json::json;
use support::app::{spawn_app_with, TestApp};
use support::signer;

/// Slack gives up on an ack after this long.
const SLACK_DEADLINE: Duration = Duration::from_secs(3);
/// Requests sent at each concurrency level.
const LEVELS: &[(usize, usize)] = &[(50, 4000), (200, 4000), (1000, 5000)];
/// Rounds per level; the table shows each column's median.
const ROUNDS: usize = 3;

struct Target {
    base: String,
    response_urls: Vec<String>,
    issue_id: String,
}

fn command_body(response_url: &str) -> String {
    TestApp::command_form("issues api", response_url)
}

fn click_body(response_url: &str, issue_id: &str) -> String {
    let payload = json!({
        "type": "block_actions",
        "user": { "id": "U0ALICE", "username": "alice", "team_id": "T0ACME" },
        "team": { "id": "T0ACME", "domain": "acme-corp" },
        "channel": { "id": "C0ALERTS", "name": "alerts" },
        "container": { "type": "message", "message_ts": "1700000000.000100", "channel_id": "C0ALERTS", "is_ephemeral": false },
        "response_url": response_url,
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "actions": [{
            "type": "button", "action_id": "issue_action", "block_id": format!("d|acme|api|{issue_id}"),
            "value": format!("resolve:acme:{issue_id}"), "action_ts": "1700000001.000200"
        }]
    });
    serde_urlencoded::to_string([("payload", payload.to_string())]).expect("form")
}

/// One signed request; its ack latency, or `None` when it failed.
async fn send(client: &reqwest::Client, target: &Target, n: usize) -> Option<Duration> {
    let response_url = &target.response_urls[n % target.response_urls.len()];
    let (path, body) = if n % 2 == 0 {
        ("/slack/commands", command_body(response_url))
    } else {
        (
            "/slack/interactions",
            click_body(response_url, &target.issue_id),
        )
    };
    let request = signer::signed_form(client, &format!("{}{path}", target.base), body);
    let started = Instant::now();
    let response = request.send().await.ok()?;
    let ok = response.status().is_success();
    response.bytes().await.ok()?;
    ok.then(|| started.elapsed())
}

/// What one round at one level measured.
struct Round {
    requests: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
    late_or_failed: usize,
    peak_rss_kib: u64,
}

async fn round(target: Arc<Target>, pid: u32, concurrency: usize, requests: usize) -> Round {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    // Open every connection before timing, as Slack's would be.
    let warm: Vec<_> = (0..concurrency)
        .map(|i| {
            let client = client.clone();
            let target = target.clone();
            tokio::spawn(async move { send(&client, &target, i).await })
        })
        .collect();
    for w in warm {
        let _ = w.await;
    }
    let peak_rss = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak_rss, done) = (peak_rss.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak_rss.fetch_max(status_kib(pid, "VmRSS"), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let per_worker = requests / concurrency;
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let client = client.clone();
            let target = target.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_worker);
                let mut failed = 0usize;
                for i in 0..per_worker {
                    match send(&client, &target, w * per_worker + i).await {
                        Some(latency) => latencies.push(latency),
                        None => failed += 1,
                    }
                }
                (latencies, failed)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut failed = 0;
    for worker in workers {
        let (l, f) = worker.await.expect("worker");
        latencies.extend(l);
        failed += f;
    }
    let wall = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    latencies.sort();
    let late = latencies.iter().filter(|l| **l > SLACK_DEADLINE).count();
    Round {
        requests: latencies.len() + failed,
        per_second: (latencies.len() + failed) as f64 / wall.as_secs_f64(),
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        max: latencies.last().copied().unwrap_or_default(),
        late_or_failed: late + failed,
        peak_rss_kib: peak_rss.load(Ordering::Relaxed),
    }
}

/// The median of `values` by `key` (rounds are few and odd in number).
fn median<T: Copy, K: PartialOrd>(
    rounds: &[Round],
    value: impl Fn(&Round) -> T,
    key: impl Fn(&T) -> K,
) -> T {
    let mut values: Vec<T> = rounds.iter().map(value).collect();
    values.sort_by(|a, b| {
        key(a)
            .partial_cmp(&key(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    values[values.len() / 2]
}

/// Requests told the bot is busy so far, from `/metrics`.
async fn shed_so_far(base: &str) -> u64 {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with("answers_shed_total"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

/// Runs `ROUNDS` rounds at one level and prints the median of each column.
async fn level(target: Arc<Target>, pid: u32, concurrency: usize, requests: usize) {
    let shed_before = shed_so_far(&target.base).await;
    let mut rounds = Vec::new();
    for _ in 0..ROUNDS {
        rounds.push(round(target.clone(), pid, concurrency, requests).await);
    }
    let failed: usize = rounds.iter().map(|r| r.late_or_failed).sum();
    let shed = shed_so_far(&target.base).await - shed_before;
    println!(
        "| {concurrency} | {} × {ROUNDS} | {:.0} | {} | {} | {} | {failed} | {shed} | {} |",
        rounds[0].requests,
        median(&rounds, |r| r.per_second, |v| *v),
        ms(median(&rounds, |r| r.p50, |v| *v)),
        ms(median(&rounds, |r| r.p99, |v| *v)),
        ms(median(&rounds, |r| r.max, |v| *v)),
        mib(rounds.iter().map(|r| r.peak_rss_kib).max().unwrap_or(0)),
    );
}

async fn linked_app(extra: Vec<(&'static str, String)>) -> TestApp {
    let mut env = vec![
        ("SENTRY_AUTH_TOKEN", "tok-acme".to_string()),
        ("SENTRY_ORG", "acme".to_string()),
        ("POLL_INTERVAL", "60s".to_string()),
        // Per-request info lines would be parsed by this process's log
        // reader on the same two cores; warnings (and "listening") stay on.
        ("RUST_LOG", "warn,sentry_slack_bot::app=info".to_string()),
    ];
    env.extend(extra);
    spawn_app_with(env).await
}

async fn wait_ready(app: &TestApp) {
    loop {
        if let Ok(r) = app.http.get(app.url("/readyz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::main]
async fn main() {
    let binary = std::fs::metadata(env!("CARGO_BIN_EXE_sentry-slack-bot"))
        .expect("binary")
        .len();
    println!(
        "binary size: {:.1} MiB ({binary} bytes)",
        binary as f64 / 1024.0 / 1024.0
    );

    let mut starts = Vec::new();
    for _ in 0..7 {
        let t0 = Instant::now();
        let app = linked_app(Vec::new()).await;
        wait_ready(&app).await;
        starts.push(t0.elapsed());
    }
    starts.sort();
    println!(
        "cold start to ready (new SQLite file, migrations, Slack auth.test): median {} of {} (min {}, max {})",
        ms(percentile(&starts, 0.5)),
        starts.len(),
        ms(starts[0]),
        ms(starts[starts.len() - 1])
    );

    let app = linked_app(Vec::new()).await;
    app.sentry.add_org("acme", &["api", "web"]);
    app.sentry.add_token(
        "tok-acme",
        "acme",
        &[
            "org:read",
            "project:read",
            "event:write",
            "member:read",
            "team:read",
        ],
    );
    let issue_id = app
        .sentry
        .add_issue("acme", "api", json!({ "title": "Load problem" }));
    for i in 0..20 {
        app.sentry
            .add_issue("acme", "api", json!({ "title": format!("Problem {i}") }));
    }
    wait_ready(&app).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!(
        "idle RSS after start: {}",
        mib(status_kib(app.pid(), "VmRSS"))
    );

    app.sentry.set_latency(Duration::from_secs(2));
    let response_urls = (0..512).map(|_| app.slack.response_url().0).collect();
    let target = Arc::new(Target {
        base: format!("http://{}", app.addr),
        response_urls,
        issue_id,
    });
    println!("\nSentry answers every call after 2 s; half `issues api`, half Resolve clicks.\n");
    println!("| concurrent | requests | req/s | p50 | p99 | max | over 3 s or failed (all rounds) | told busy (all rounds) | peak RSS |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &(concurrency, requests) in LEVELS {
        level(target.clone(), app.pid(), concurrency, requests).await;
    }
    println!(
        "\nRSS high-water mark over the run: {}",
        mib(status_kib(app.pid(), "VmHWM"))
    );
}
