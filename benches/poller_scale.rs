//! How the alert poller grows with subscriptions.
//!
//! `cargo bench --bench poller_scale` starts the real `sentry-slack-bot
//! serve` binary (SQLite) against the fake Sentry, Slack and TapAuth, links
//! 5 orgs (one static token, four TapAuth grants), stores 10, 1,000 and
//! 10,000 subscriptions over 10, 100 and 1,000 projects with two queries
//! each, one alert per subscription already posted and watched for status
//! changes, and reads steady ticks (nothing new to post): Sentry calls per
//! tick, tick duration, the service's CPU time per tick and its peak memory.
//! Bounded: a few ticks per scale, loopback only.

#[path = "../tests/it/support/mod.rs"]
mod support;

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use common::{cpu_time, mib, ms, status_kib};
use sentry_slack_bot::config::Secret;
use sentry_slack_bot::orgs::grants::seal::Sealer;
use sentry_slack_bot::store::{
    AlertKind, AlertRow, AlertState, GrantRow, MentionPolicy, Snapshot, Store, SubscriptionRow,
    ThreadPolicy,
};
use serde_json::{json, Value};
use support::app::{spawn_app_with, TestApp};
use support::fake_tapauth::Step;

const ORGS: usize = 5;
const QUERIES: [&str; 2] = ["is:unresolved", "is:unresolved level:error"];
const SCALES: &[(usize, usize)] = &[(10, 10), (1_000, 100), (10_000, 1_000)];
/// Steady ticks measured per scale.
const TICKS: usize = 4;
const SCOPES: &[&str] = &["org:read", "project:read", "event:write"];

fn org(i: usize) -> String {
    format!("org{i}")
}

/// The fields a real issue carries beyond the fake's defaults, so lists and
/// stored alerts are as large as the API's answers: about 2.5–3 KB of JSON.
fn realistic(n: usize, seen: &str) -> Value {
    let hour = 3600;
    let now = 1_764_374_400u64;
    let stats: Vec<Value> = (0..24)
        .map(|h| json!([now - (24 - h) * hour, (h as usize * 7 + n) % 40]))
        .collect();
    json!({
        "title": format!("Known problem {n}: TypeError: Cannot read properties of undefined (reading 'user')"),
        "culprit": "app/components/checkout/PaymentForm.tsx in handleSubmit",
        "firstSeen": seen,
        "lastSeen": seen,
        "shareId": null,
        "logger": null,
        "type": "error",
        "numComments": 0,
        "isPublic": false,
        "isSubscribed": false,
        "hasSeen": true,
        "isUnhandled": true,
        "priority": "high",
        "platform": "javascript",
        "issueType": "error",
        "issueCategory": "error",
        "annotations": [],
        "subscriptionDetails": null,
        "statusDetails": {},
        "metadata": {
            "type": "TypeError",
            "value": "Cannot read properties of undefined (reading 'user') while rendering <PaymentForm> in <CheckoutPage> (session 7f3c2a9e, cart 18 items, locale en-GB); the component tree above it was: App > Router > Layout > CheckoutPage > PaymentForm > CardFields > ValidatedInput",
            "display_title_with_tree_label": false,
            "filename": "app/components/checkout/PaymentForm.tsx",
            "function": "handleSubmit",
            "in_app_frame_mix": "in-app-only",
            "sdk": { "name": "sentry.javascript.react", "name_normalized": "sentry.javascript.react" },
            "initial_priority": 75
        },
        "stats": { "24h": stats },
        "lifetime": { "count": "1234", "userCount": 56, "firstSeen": seen, "lastSeen": seen },
        "filtered": null,
        "pluginActions": [],
        "pluginIssues": [],
        "pluginContexts": [],
        "integrationIssues": [],
        "sentryAppIssues": [],
        "owners": [{ "type": "codeowners", "owner": "team:1234567", "date_added": seen }],
        "seerFixabilityScore": 0.42,
        "seerAutofixLastTriggered": null,
        "userReportCount": 0,
        "participants": [],
        "activity": [{ "id": "0", "type": "first_seen", "data": { "priority": "high" }, "dateCreated": seen, "user": null }],
    })
}

/// Links the orgs and stores the subscriptions, straight into the database.
/// Returns the size of one stored alert payload in bytes.
async fn populate(app: &TestApp, subscriptions: usize, projects: usize) -> usize {
    let per_org = projects / ORGS;
    let hour_ago = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1)).to_string();
    let mut first_issue = HashMap::new();
    for o in 0..ORGS {
        let slugs: Vec<String> = (0..per_org).map(|p| format!("p{p}")).collect();
        let refs: Vec<&str> = slugs.iter().map(String::as_str).collect();
        app.sentry.add_org(&org(o), &refs);
        app.sentry.add_token(&format!("tok-{o}"), &org(o), SCOPES);
        for slug in &slugs {
            for n in 0..3 {
                let id = app.sentry.add_issue(&org(o), slug, realistic(n, &hour_ago));
                first_issue.entry((org(o), slug.clone())).or_insert(id);
            }
        }
    }
    let store = Store::open(&Secret::new(format!(
        "sqlite://{}",
        app.database_path.display()
    )))
    .await
    .expect("store");
    // org0 is the static grant; the others come through TapAuth.
    for o in 1..ORGS {
        let (id, secret) = (format!("grant-{o}"), format!("secret-{o}"));
        app.tapauth
            .add_grant(&id, &secret, vec![Step::active(&format!("tok-{o}"))]);
        store
            .put_grant(&GrantRow {
                org_slug: org(o),
                grant_id: id,
                sealed_secret: Sealer::new(None).seal(&Secret::new(secret)),
                api: "v1".into(),
                scopes: SCOPES.join(" "),
                health: "ok".into(),
                linked_by: "U0ADMIN".into(),
                linked_at_ms: sentry_slack_bot::store::now_ms(),
            })
            .await
            .expect("grant");
    }
    let mut payload_bytes = 0;
    for i in 0..subscriptions {
        let project = i % projects;
        let (o, p) = (project % ORGS, project / ORGS);
        let slug = format!("p{p}");
        let id = format!("sub-{i}");
        store
            .put_subscription(&SubscriptionRow {
                id: id.clone(),
                team_id: "T0ACME".into(),
                channel_id: format!("C{i}"),
                org_slug: org(o),
                project_slug: slug.clone(),
                project_id: app.sentry.project_id(&org(o), &slug),
                query: QUERIES[(i / projects) % QUERIES.len()].into(),
                regressions: true,
                digest: 5,
                threads: ThreadPolicy::Thread,
                created_by: "U0ALICE".into(),
                created_at_ms: sentry_slack_bot::store::now_ms(),
                relink_notified: false,
                baseline_complete: true,
                mention: MentionPolicy::Assignee,
            })
            .await
            .expect("subscription");
        // One alert posted earlier today, so status sync has work to check;
        // its payload is the issue as the API returned it.
        let issue_id = first_issue[&(org(o), slug.clone())].clone();
        let issue = app.sentry.issue(&issue_id).expect("issue");
        let posted = AlertRow {
            subscription_id: id.clone(),
            issue_id,
            kind: AlertKind::New,
            dedup_key: String::new(),
            channel_id: format!("C{i}"),
            org_slug: org(o),
            payload: json!({ "issue": issue }).to_string(),
            state: AlertState::Posted,
            thread_ts: None,
            ts: Some(format!("1700000000.{i:06}")),
            status_snapshot: Snapshot::new("unresolved", ""),
            attempts: 1,
            created_at_ms: sentry_slack_bot::store::now_ms(),
            posted_at_ms: Some(sentry_slack_bot::store::now_ms()),
        };
        payload_bytes = posted.payload.len();
        store.record_tick(&id, &[], &[posted]).await.expect("alert");
    }
    store.close().await;
    payload_bytes
}

/// `(log time, elapsed)` of every finished tick so far.
fn ticks(app: &TestApp) -> Vec<(SystemTime, Duration)> {
    app.logs()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["message"] == "tick done")
        .filter_map(|e| {
            let at: jiff::Timestamp = e["timestamp"].as_str()?.parse().ok()?;
            let elapsed = Duration::from_millis(e["elapsed_ms"].as_u64()?);
            Some((SystemTime::from(at), elapsed))
        })
        .collect()
}

async fn wait_for_ticks(app: &TestApp, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while ticks(app).len() < count {
        assert!(Instant::now() < deadline, "ticks did not come");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Whether every page changes before each measured tick.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pages {
    /// Lists as the tick before (events may reorder them): the common tick.
    Steady,
    /// Every issue's first-seen time moves (no alert, no redraw), so every
    /// group takes the full path: diff, seen query, posted-alert query.
    AllChanged,
}

async fn scale(subscriptions: usize, projects: usize, pages: Pages) {
    let app = spawn_app_with(vec![
        ("SENTRY_AUTH_TOKEN", "tok-0".into()),
        ("SENTRY_ORG", org(0)),
        ("POLL_INTERVAL", "2s".into()),
        (
            "RUST_LOG",
            "warn,sentry_slack_bot::app=info,sentry_slack_bot::alerts::poller=debug".into(),
        ),
    ])
    .await;
    app.sentry.set_rate_limit(1_000_000);
    let started = Instant::now();
    let payload_bytes = populate(&app, subscriptions, projects).await;
    let populated_in = started.elapsed();
    // The tick under way may have seen only part of the rows, and the next
    // one records each subscription's baseline; measure the ones after.
    let pid = app.pid();
    let skip = ticks(&app).len() + 2;
    wait_for_ticks(&app, skip).await;
    let mut calls = Vec::new();
    let mut durations = Vec::new();
    let mut cpu = Vec::new();
    for n in skip..skip + TICKS {
        if pages == Pages::AllChanged {
            // Right after a tick, while the poller sleeps before the next.
            let moved = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(2)
                + jiff::SignedDuration::from_secs(n as i64))
            .to_string();
            app.sentry.update_all_issues(json!({ "firstSeen": moved }));
        }
        let cpu_before = cpu_time(pid);
        wait_for_ticks(&app, n + 1).await;
        let cpu_after = cpu_time(pid);
        let (end, elapsed) = ticks(&app)[n];
        let start = end - elapsed - Duration::from_millis(5);
        calls.push(
            app.sentry
                .requests()
                .iter()
                .filter(|r| r.at >= start && r.at <= end)
                .count(),
        );
        durations.push(elapsed);
        cpu.push(cpu_after - cpu_before);
    }
    calls.sort();
    durations.sort();
    cpu.sort();
    let groups = subscriptions.min(projects * QUERIES.len());
    let label = match pages {
        Pages::Steady => "steady",
        Pages::AllChanged => "every page changed",
    };
    println!(
        "| {subscriptions} | {label} | {projects} | {groups} | {:.1} KB | {} | {} | {} | {:.3} ms | {} | {:.1} s |",
        payload_bytes as f64 / 1024.0,
        calls[TICKS / 2],
        ms(durations[TICKS / 2]),
        ms(cpu[TICKS / 2]),
        cpu[TICKS / 2].as_secs_f64() * 1000.0 / subscriptions as f64,
        mib(status_kib(pid, "VmHWM")),
        populated_in.as_secs_f64(),
    );
}

#[tokio::main]
async fn main() {
    println!(
        "Ticks with nothing new to post, median of {TICKS}: steady pages, and (last row) every page changed; 5 orgs, 3 issues per project served as full issue JSON, one alert per subscription posted earlier with that issue as its payload and watched for changes.\n"
    );
    println!("| subscriptions | pages | projects | (org, project, query) groups | issue JSON / stored payload | Sentry calls per tick | tick duration | CPU per tick | CPU per subscription | peak RSS | rows stored in |");
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    // `POLLER_SCALE_ONLY=10000` runs one scale, for profiling.
    let only: Option<usize> = std::env::var("POLLER_SCALE_ONLY")
        .ok()
        .and_then(|v| v.parse().ok());
    for &(subscriptions, projects) in SCALES {
        if only.is_some_and(|n| n != subscriptions) {
            continue;
        }
        scale(subscriptions, projects, Pages::Steady).await;
    }
    if only.is_none_or(|n| n == 10_000) {
        scale(10_000, 1_000, Pages::AllChanged).await;
    }
}
