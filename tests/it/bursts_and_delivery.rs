//! Alerts under stress: bursts bigger than a page, slow posts racing across
//! replicas, and retention pruning.

use std::time::Duration;

use crate::support::alerts::{acme_in, acme_with, alerts_about, now_iso, subscribe, wait_until};
use crate::support::app::Cluster;
use crate::support::fake_sentry::Mode;
use crate::support::message_text as text;
use serde_json::{json, Value};

/// Adds `count` new issues to `acme/api` at once; titles `Burst-<n>-end`.
fn burst(app: &crate::support::app::TestApp, count: usize) {
    let now = now_iso();
    let issues: Vec<Value> = (0..count)
        .map(|n| json!({ "title": format!("Burst-{n:04}-end"), "firstSeen": now, "lastSeen": now }))
        .collect();
    app.sentry.add_issues("acme", "api", issues);
}

/// Posts in C1 other than the subscribe notice.
fn alerts(app: &crate::support::app::TestApp) -> Vec<Value> {
    app.slack
        .posts_in("C1")
        .into_iter()
        .filter(|p| !text(p).contains(":bell:"))
        .collect()
}

/// How many burst issues a digest accounts for: the rows it lists plus the
/// number its "and N more" line counts.
fn accounted(digest: &Value) -> usize {
    let shown = text(digest).matches("Burst-").count();
    let more = text(digest)
        .split("and ")
        .filter_map(|part| part.split(' ').next()?.parse::<usize>().ok())
        .last()
        .unwrap_or(0);
    shown + more
}

async fn a_burst_of_150_is_posted_once(mode: Mode) {
    let app = acme_in(mode, Vec::new()).await;
    subscribe(&app, "C1", "api").await;
    burst(&app, 150);
    wait_until("the digest", Duration::from_secs(15), || {
        !alerts_about(&app, "C1", "150 new issues in acme/api").is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let posts = alerts(&app);
    assert_eq!(posts.len(), 1, "one digest for the burst");
    assert_eq!(accounted(&posts[0]), 150, "{}", text(&posts[0]));
    // Later ticks read one page and post nothing more.
    let lists_before = app.sentry.requests().len();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(alerts(&app).len(), 1);
    let lists = app.sentry.requests().len() - lists_before;
    assert!(
        lists <= 6,
        "steady ticks read one page each: {lists} calls in 1 s"
    );
}
both_modes!(
    a_burst_of_150_new_issues_between_two_polls,
    a_burst_of_150_is_posted_once
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_1050_is_posted_once_and_the_part_past_the_bound_is_counted() {
    let app = acme_with(Vec::new()).await;
    subscribe(&app, "C1", "api").await;
    burst(&app, 1050);
    wait_until("the digest", Duration::from_secs(20), || {
        !alerts_about(&app, "C1", "new issues in acme/api").is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let posts = alerts(&app);
    assert_eq!(posts.len(), 1, "one digest for the burst");
    let digest = text(&posts[0]);
    assert!(
        digest.contains(
            "1000 new issues in acme/api*, and 50 more matching issues past the pages read"
        ),
        "{digest}"
    );
    assert_eq!(accounted(&posts[0]), 1050, "{digest}");
    // The poll read ten pages, not eleven.
    let pages = app
        .sentry
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/issues/") && r.param("cursor").is_some())
        .count();
    assert_eq!(pages, 9, "pages 2 to 10 of the burst");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribing_reads_the_whole_baseline_and_says_how_many_will_not_be_posted() {
    let app = acme_with(Vec::new()).await;
    let old: Vec<Value> = (0..250)
        .map(|n| json!({ "title": format!("Old-{n}") }))
        .collect();
    app.sentry.add_issues("acme", "api", old);
    let answer = subscribe(&app, "C1", "api").await;
    assert!(
        answer.contains("250 existing issues will not be posted"),
        "{answer}"
    );
    app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Fresh one", "firstSeen": now_iso(), "lastSeen": now_iso() }),
    );
    wait_until("the alert", Duration::from_secs(10), || {
        alerts_about(&app, "C1", "Fresh one").len() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(alerts(&app).len(), 1, "no old issue is posted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_held_up_by_slack_longer_than_its_claim_is_posted_once_across_replicas() {
    let Some(schema) = crate::support::postgres::fresh_schema("fence").await else {
        return;
    };
    let cluster = Cluster::start_acme(2, &schema.url, Vec::new()).await;
    let id = cluster.command(0, "CA", "subscribe api").await;
    cluster.slack.wait_for_responses(&id, 1).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    // Three 429s of 9 s each hold the first post for 27 s, past a 20 s claim.
    cluster.slack.rate_limit_next(3, 9);
    let now = now_iso();
    cluster.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Held-up problem", "firstSeen": now, "lastSeen": now }),
    );
    let posted = || {
        cluster
            .slack
            .calls()
            .iter()
            .filter(|c| {
                c.method == "chat.postMessage"
                    && c.status == 200
                    && c.body.to_string().contains("Held-up problem")
            })
            .count()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(50);
    while posted() == 0 {
        assert!(std::time::Instant::now() < deadline, "the alert is posted");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(posted(), 1, "posted once, not once per replica");
    let attempts = cluster
        .slack
        .calls()
        .iter()
        .filter(|c| {
            c.method == "chat.postMessage" && c.body.to_string().contains("Held-up problem")
        })
        .count();
    assert_eq!(attempts, 4, "three 429s, then the post");
    drop(cluster);
    schema.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_retention_pruning_a_restart_posts_nothing_again() {
    let mut app = acme_with(vec![("RETENTION", "1s".into())]).await;
    subscribe(&app, "C1", "api").await;
    app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Pruned later", "firstSeen": now_iso(), "lastSeen": now_iso() }),
    );
    wait_until("the alert", Duration::from_secs(10), || {
        alerts_about(&app, "C1", "Pruned later").len() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Pruning runs at start and hourly; the restart prunes the posted alert.
    app.restart().await;
    app.wait_for_log("pruned rows past retention").await;
    let mut db = app.database().await;
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM alerts")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(rows, 0, "the posted alert was pruned");
    let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM seen_issues")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert!(seen >= 1, "what was seen is kept");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(alerts_about(&app, "C1", "Pruned later").len(), 1);
}
