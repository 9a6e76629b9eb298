//! Ack latency of signed slash commands against the real router on loopback.
//!
//! `cargo bench --bench ack_latency` prints requests/s and p50/p99/max for
//! `/sentry help` (answered in the response) and `/sentry issues api`
//! (acknowledged, then answered through `response_url`), sequentially and at
//! 50 concurrent connections. Bounded: a fixed number of requests, loopback only.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sentry_slack_bot::config::Config;
use sha2::Sha256;

const SECRET: &str = "bench-signing-secret";
const REQUESTS: usize = 4000;

fn sign(ts: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(format!("v0:{ts}:{body}").as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

async fn sink() -> String {
    // A response_url sink so deferred answers have somewhere to go.
    let router = axum::Router::new().route("/response", axum::routing::post(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}/response")
}

async fn run(label: &str, url: &str, text: &str, response_url: &str, concurrency: usize) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");
    let body = serde_urlencoded::to_string([
        ("team_id", "T0ACME"),
        ("user_id", "U0ALICE"),
        ("channel_id", "C0ALERTS"),
        ("command", "/sentry"),
        ("text", text),
        ("response_url", response_url),
    ])
    .expect("form");
    let body = Arc::new(body);
    let per_worker = REQUESTS / concurrency;
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let client = client.clone();
        let url = url.to_string();
        let body = body.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_worker);
            for _ in 0..per_worker {
                let ts = now();
                let t0 = Instant::now();
                let response = client
                    .post(&url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("x-slack-request-timestamp", ts.to_string())
                    .header("x-slack-signature", sign(ts, &body))
                    .body(body.to_string())
                    .send()
                    .await
                    .expect("request");
                assert_eq!(response.status(), 200);
                response.bytes().await.expect("body");
                latencies.push(t0.elapsed());
            }
            latencies
        }));
    }
    let mut all: Vec<Duration> = Vec::new();
    for worker in workers {
        all.extend(worker.await.expect("worker"));
    }
    let wall = started.elapsed();
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    println!(
        "{label:<32} conc={concurrency:<4} n={:<5} {:>8.0} req/s  p50={:>7.2?}  p99={:>7.2?}  max={:>7.2?}",
        all.len(),
        all.len() as f64 / wall.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        all[all.len() - 1],
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let vars: HashMap<&str, String> = HashMap::from([
            ("SLACK_SIGNING_SECRET", SECRET.to_string()),
            ("SLACK_BOT_TOKEN", "xoxb-bench".to_string()),
            ("SLACK_API_URL", "http://127.0.0.1:9/api".to_string()),
            (
                "DATABASE_URL",
                format!("sqlite://{}", dir.path().join("bench.db").display()),
            ),
        ]);
        let config = Config::from_lookup(&|k| vars.get(k).cloned(), false).expect("config");
        let state = sentry_slack_bot::app::build(config).await.expect("app");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = sentry_slack_bot::surface::http::router(state.http.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        let url = format!("http://{addr}/slack/commands");
        let response_url = sink().await;

        run("help (answered inline)", &url, "help", &response_url, 1).await;
        run("help (answered inline)", &url, "help", &response_url, 50).await;
        run(
            "issues api (ack + deferred)",
            &url,
            "issues api",
            &response_url,
            1,
        )
        .await;
        run(
            "issues api (ack + deferred)",
            &url,
            "issues api",
            &response_url,
            50,
        )
        .await;
    });
}
