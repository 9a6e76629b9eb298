//! Sentry's signed issue webhooks: a new issue reaches the channel at once
//! and exactly once (the poller, seeing it later, posts nothing more),
//! status changes redraw the alert, and anything unsigned, oversized or
//! malformed is refused without a trace in Slack.

use std::time::{Duration, Instant, SystemTime};

use crate::support::alerts::{
    acme_in, alerts_about, now_iso, send_storm, storm_bodies, storm_tally, subscribe, wait_until,
    STORM,
};
use crate::support::app::{Cluster, TestApp};
use crate::support::fake_sentry::Mode;
use crate::support::message_text as text;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

const SECRET: &str = "whsec-acme-client-secret";

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

async fn app_in(mode: Mode, poll_interval: &str) -> TestApp {
    acme_in(
        mode,
        vec![
            ("SENTRY_WEBHOOK_SECRET", SECRET.into()),
            ("POLL_INTERVAL", poll_interval.into()),
        ],
    )
    .await
}

/// The body Sentry sends for `action` on the issue as the fake serves it.
fn issue_body(app: &TestApp, action: &str, issue_id: &str, actor: &str) -> Vec<u8> {
    let issue = app.sentry.issue(issue_id).expect("issue");
    serde_json::to_vec(&json!({
        "action": action,
        "installation": { "uuid": "0d1f3c2e-7a4b-4c2e-9d1f-3c2e7a4b4c2e" },
        "data": { "issue": issue },
        "actor": { "type": "user", "id": "1", "name": actor },
    }))
    .expect("json")
}

async fn deliver(
    app: &TestApp,
    org: &str,
    resource: &str,
    request_id: &str,
    body: Vec<u8>,
    signature: Option<String>,
) -> u16 {
    let mut request = app
        .http
        .post(app.url(&format!("/sentry/webhooks/{org}")))
        .header("content-type", "application/json")
        .header("sentry-hook-resource", resource)
        .header("sentry-hook-timestamp", "1764400000")
        .header("request-id", request_id)
        // A fresh connection each time: after refusing an oversized body
        // the server closes its side, and a pooled reuse would fail.
        .header("connection", "close");
    if let Some(signature) = signature {
        request = request.header("sentry-hook-signature", signature);
    }
    request
        .body(body)
        .send()
        .await
        .expect("webhook")
        .status()
        .as_u16()
}

async fn signed(app: &TestApp, resource: &str, request_id: &str, body: Vec<u8>) -> u16 {
    let signature = sign(SECRET, &body);
    deliver(app, "acme", resource, request_id, body, Some(signature)).await
}

fn new_issue(app: &TestApp, title: &str, level: &str) -> String {
    let now = now_iso();
    app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": title, "level": level, "firstSeen": now, "lastSeen": now }),
    )
}

async fn a_created_webhook_is_posted_at_once_and_once(mode: Mode) {
    let app = app_in(mode, "2s").await;
    subscribe(&app, "C1", "api").await;
    let id = new_issue(&app, "PushedOverWebhook", "error");
    let sent = Instant::now();
    let body = issue_body(&app, "created", &id, "Sentry");
    assert_eq!(signed(&app, "issue", "req-1", body).await, 200);
    wait_until("the pushed alert", Duration::from_secs(5), || {
        !alerts_about(&app, "C1", "PushedOverWebhook").is_empty()
    })
    .await;
    let latency = sent.elapsed();
    // The next polls list the same issue and find it already seen.
    tokio::time::sleep(Duration::from_millis(4500)).await;
    assert_eq!(
        alerts_about(&app, "C1", "PushedOverWebhook").len(),
        1,
        "posted once, though both the webhook and the poller saw it"
    );
    assert!(
        app.logs().contains("alerts planned from a webhook"),
        "the webhook, not a poll, planned it (posted after {latency:?})"
    );
}
both_modes!(
    a_signed_created_webhook_posts_at_once_and_the_poll_does_not_repeat_it,
    a_created_webhook_is_posted_at_once_and_once
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_stale_secret_oversized_and_malformed_webhooks_are_refused() {
    let app = app_in(Mode::SentryIo, "1h").await;
    subscribe(&app, "C1", "api").await;
    let id = new_issue(&app, "ShouldNeverPost", "error");
    let body = issue_body(&app, "created", &id, "Sentry");
    assert_eq!(
        deliver(&app, "acme", "issue", "r1", body.clone(), None).await,
        401,
        "unsigned"
    );
    let stale = sign("the-secret-before-rotation", &body);
    assert_eq!(
        deliver(&app, "acme", "issue", "r2", body.clone(), Some(stale)).await,
        401,
        "signed with another secret"
    );
    let tampered = sign(SECRET, b"{}");
    assert_eq!(
        deliver(&app, "acme", "issue", "r3", body.clone(), Some(tampered)).await,
        401,
        "signature of another body"
    );
    let elsewhere = sign(SECRET, &body);
    assert_eq!(
        deliver(
            &app,
            "other-org",
            "issue",
            "r4",
            body.clone(),
            Some(elsewhere)
        )
        .await,
        401,
        "an org without a secret"
    );
    // The server refuses by Content-Length without reading the body and
    // closes, so the client may fail while still sending; any status that
    // arrives must be 413, and one must arrive within a few tries.
    let huge = vec![b' '; 2 * 1024 * 1024];
    let huge_signature = sign(SECRET, &huge);
    let status = crate::support::first_status(|attempt| {
        app.http
            .post(app.url("/sentry/webhooks/acme"))
            .header("content-type", "application/json")
            .header("sentry-hook-resource", "issue")
            .header("sentry-hook-timestamp", "1764400000")
            .header("request-id", format!("r5-{attempt}"))
            .header("sentry-hook-signature", huge_signature.clone())
            .header("connection", "close")
            .body(huge.clone())
    })
    .await;
    assert_eq!(status, Some(413), "an oversized webhook");
    assert_eq!(
        signed(&app, "issue", "r6", b"<html>not json</html>".to_vec()).await,
        400
    );
    assert_eq!(
        signed(
            &app,
            "issue",
            "r7",
            br#"{"action":"created","data":{}}"#.to_vec()
        )
        .await,
        400,
        "JSON without an issue"
    );
    assert_eq!(
        signed(
            &app,
            "metric_alert",
            "r8",
            br#"{"action":"critical"}"#.to_vec()
        )
        .await,
        200,
        "resources the bot does not use are acknowledged"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(alerts_about(&app, "C1", "ShouldNeverPost").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_request_id_is_acted_on_once_and_status_webhooks_redraw_the_alert() {
    let app = app_in(Mode::SentryIo, "1h").await;
    subscribe(&app, "C1", "api").await;
    let id = new_issue(&app, "ReplayedIssue", "error");
    let body = issue_body(&app, "created", &id, "Sentry");
    assert_eq!(signed(&app, "issue", "same-id", body.clone()).await, 200);
    assert_eq!(signed(&app, "issue", "same-id", body).await, 200);
    wait_until("the alert", Duration::from_secs(5), || {
        !alerts_about(&app, "C1", "ReplayedIssue").is_empty()
    })
    .await;
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"sentry_webhooks_total{outcome="replayed"} 1"#),
        "{metrics}"
    );

    // Resolved in Sentry by a person: the alert says so within seconds.
    app.sentry
        .update_issue(&id, json!({ "status": "resolved" }));
    let body = issue_body(&app, "resolved", &id, "Ann <!channel> Lee");
    assert_eq!(signed(&app, "issue", "resolve-1", body).await, 200);
    let redrawn = || {
        app.slack
            .calls()
            .into_iter()
            .find(|c| c.method == "chat.update" && text(&c.body).contains("Resolved by Ann"))
            .map(|c| c.body)
    };
    wait_until("the redraw", Duration::from_secs(5), || redrawn().is_some()).await;
    let update = redrawn().expect("update");
    assert!(
        !text(&update).contains("<!channel>"),
        "the actor's name is escaped: {}",
        text(&update)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_never_posts_what_the_subscription_query_excludes() {
    let app = app_in(Mode::SentryIo, "1h").await;
    subscribe(&app, "C1", "api level:fatal").await;
    subscribe(&app, "C2", "api environment:production").await;
    let id = new_issue(&app, "OnlyAnError", "error");
    let body = issue_body(&app, "created", &id, "Sentry");
    assert_eq!(signed(&app, "issue", "filtered-1", body).await, 200);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        alerts_about(&app, "C1", "OnlyAnError").is_empty(),
        "level:fatal excludes an error"
    );
    assert!(
        alerts_about(&app, "C2", "OnlyAnError").is_empty(),
        "environment cannot be judged from the payload: left to the poller"
    );
    let fatal = new_issue(&app, "AFatalOne", "fatal");
    let body = issue_body(&app, "created", &fatal, "Sentry");
    assert_eq!(signed(&app, "issue", "filtered-2", body).await, 200);
    wait_until("the fatal alert", Duration::from_secs(5), || {
        !alerts_about(&app, "C1", "AFatalOne").is_empty()
    })
    .await;
}

/// List calls since `since`, for the group with or without an environment term.
fn polls_since(app: &TestApp, since: std::time::SystemTime, environment: bool) -> usize {
    app.sentry
        .requests()
        .iter()
        .filter(|r| r.at >= since && r.method == "GET" && r.path.ends_with("/issues/"))
        .filter(|r| {
            r.query
                .iter()
                .any(|(k, v)| k == "query" && v.contains("environment:") == environment)
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_webhooks_arrive_the_org_is_polled_at_the_backstop_pace() {
    let app = app_in(Mode::SentryIo, "200ms").await;
    subscribe(&app, "C1", "api").await;
    subscribe(&app, "C2", "api environment:production").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = std::time::SystemTime::now();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let polling = polls_since(&app, before, false);
    assert!(polling >= 3, "every 200 ms: {polling} lists in 1 s");

    // Any verified delivery shows webhooks are live, an installation ping included.
    assert_eq!(
        signed(
            &app,
            "installation",
            "ping-1",
            br#"{"action":"created"}"#.to_vec()
        )
        .await,
        200
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let live_since = std::time::SystemTime::now();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let pushed = polls_since(&app, live_since, false);
    let by_environment = polls_since(&app, live_since, true);
    // The group webhooks serve waits for the backstop (10 intervals, 2 s);
    // the environment query still needs the poller every tick.
    assert!(
        pushed <= 1,
        "{pushed} lists in 1 s with webhooks live, {polling} before"
    );
    assert!(
        by_environment >= 3,
        "{by_environment} lists of the environment group"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_postgres_receiving_the_same_webhook_post_one_alert() {
    let Some(schema) = crate::support::postgres::fresh_schema("webhooks").await else {
        return;
    };
    let cluster = Cluster::start(
        2,
        &schema.url,
        vec![
            ("SENTRY_AUTH_TOKEN", "tok-acme".into()),
            ("SENTRY_ORG", "acme".into()),
            ("SENTRY_WEBHOOK_SECRET", SECRET.into()),
            ("POLL_INTERVAL", "1h".into()),
        ],
    )
    .await;
    cluster.sentry.add_org("acme", &["api"]);
    cluster
        .sentry
        .add_token("tok-acme", "acme", crate::support::ALL_SCOPES);
    let id = cluster.command(0, "C1", "subscribe api").await;
    cluster.slack.wait_for_responses(&id, 1).await;
    let now = now_iso();
    let issue = cluster.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "SeenByBothReplicas", "firstSeen": now, "lastSeen": now }),
    );
    let body = serde_json::to_vec(&json!({
        "action": "created",
        "data": { "issue": cluster.sentry.issue(&issue).expect("issue") },
        "actor": { "type": "application", "name": "Sentry" },
    }))
    .expect("json");
    let signature = sign(SECRET, &body);
    let http = reqwest::Client::new();
    let send = |index: usize| {
        http.post(cluster.url(index, "/sentry/webhooks/acme"))
            .header("sentry-hook-resource", "issue")
            .header("sentry-hook-signature", signature.clone())
            .header("request-id", "delivered-to-both")
            .body(body.clone())
            .send()
    };
    let (a, b) = tokio::join!(send(0), send(1));
    assert_eq!(a.expect("replica 0").status().as_u16(), 200);
    assert_eq!(b.expect("replica 1").status().as_u16(), 200);
    let posted = || {
        cluster
            .slack
            .posts_in("C1")
            .into_iter()
            .filter(|p| text(p).contains("SeenByBothReplicas"))
            .count()
    };
    wait_until("the alert", Duration::from_secs(10), || posted() > 0).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(posted(), 1, "one alert though both replicas received it");
}

/// Links `globex` through TapAuth as the admin.
async fn link_globex(app: &TestApp) {
    app.sentry.add_org("globex", &["shop"]);
    app.sentry
        .add_token("sntrys_globex", "globex", crate::support::ALL_SCOPES);
    app.tapauth
        .script_next_grant(vec![crate::support::fake_tapauth::Step::Active {
            token: "sntrys_globex".into(),
            expires: Some("2099-01-01T00:00:00Z".into()),
            scopes: Some(crate::support::ALL_SCOPES.join(" ")),
        }]);
    let (_, id) = app.command_as("U0ADMIN", "link").await;
    let answers = app.slack.wait_for_responses(&id, 2).await;
    assert!(text(&answers[1]).contains("Linked org *globex*"));
}

async fn answer_as(app: &TestApp, user: &str, command: &str) -> String {
    let (response, id) = app.command_as(user, command).await;
    assert_eq!(response.status().as_u16(), 200);
    text(&app.slack.wait_for_responses(&id, 1).await[0])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_sets_up_webhooks_for_a_linked_org_with_the_command() {
    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let app = acme_in(
        Mode::SentryIo,
        vec![
            ("GRANT_ENCRYPTION_KEY", KEY.into()),
            ("PUBLIC_URL", "https://bot.example.com".into()),
            ("POLL_INTERVAL", "60s".into()),
        ],
    )
    .await;
    link_globex(&app).await;
    let secret = "9c1e".repeat(16);

    // Only admins, only linked orgs.
    let refused = answer_as(&app, "U0ALICE", &format!("webhooks globex {secret}")).await;
    assert!(refused.contains("Only Slack workspace admins"), "{refused}");
    let unknown = answer_as(&app, "U0ADMIN", "webhooks initech").await;
    assert!(unknown.contains("*initech* is not linked"), "{unknown}");

    // The set-up answer names the URL and says nothing is accepted yet.
    let setup = answer_as(&app, "U0ADMIN", "webhooks globex").await;
    assert!(
        setup.contains("`https://bot.example.com/sentry/webhooks/globex`"),
        "{setup}"
    );
    assert!(setup.contains("tick *issue*"), "{setup}");
    assert!(setup.contains("no secret yet"), "{setup}");
    let body = serde_json::to_vec(&json!({"action": "created", "data": {"issue": {"id": "1"}}}))
        .expect("json");
    let status = deliver(
        &app,
        "globex",
        "issue",
        "g-0",
        body,
        Some(sign(&secret, b"x")),
    )
    .await;
    assert_eq!(status, 401, "no secret stored yet");

    // Storing it: sealed at rest, never logged.
    let stored = answer_as(&app, "U0ADMIN", &format!("webhooks globex {secret}")).await;
    assert!(
        stored.contains("Webhook secret stored for *globex*, encrypted at rest"),
        "{stored}"
    );
    let sealed: String =
        sqlx::query_scalar("SELECT sealed_secret FROM webhook_orgs WHERE org_slug = 'globex'")
            .fetch_one(&mut app.database().await)
            .await
            .expect("row");
    assert!(sealed.starts_with("sealed:v1:"), "{sealed}");
    assert!(!sealed.contains(&secret));
    assert!(!app.logs().contains(&secret), "the secret is not logged");

    // Deliveries signed with it are acted on.
    subscribe(&app, "C1", "globex/shop").await;
    let now = now_iso();
    let id = app.sentry.add_issue(
        "globex",
        "shop",
        json!({ "title": "CartTotalNegative", "level": "error", "firstSeen": now, "lastSeen": now }),
    );
    let issue = app.sentry.issue(&id).expect("issue");
    let body =
        serde_json::to_vec(&json!({"action": "created", "data": {"issue": issue}})).expect("json");
    let signature = sign(&secret, &body);
    assert_eq!(
        deliver(&app, "globex", "issue", "g-1", body, Some(signature)).await,
        200
    );
    wait_until("the pushed globex alert", Duration::from_secs(5), || {
        !alerts_about(&app, "C1", "CartTotalNegative").is_empty()
    })
    .await;
    let live = answer_as(&app, "U0ADMIN", "webhooks globex").await;
    assert!(live.contains("webhooks: live"), "{live}");
    assert!(live.contains("secret stored by <@U0ADMIN>"), "{live}");

    // `off` forgets it: deliveries are refused again.
    let removed = answer_as(&app, "U0ADMIN", "webhooks globex off").await;
    assert!(
        removed.contains("Forgot *globex*'s webhook secret"),
        "{removed}"
    );
    let body =
        serde_json::to_vec(&json!({"action": "created", "data": {"issue": issue}})).expect("json");
    let signature = sign(&secret, &body);
    assert_eq!(
        deliver(
            &app,
            "globex",
            "issue",
            "g-2",
            body.clone(),
            Some(signature.clone())
        )
        .await,
        401
    );

    // Unlinking the org forgets its secret, and its deliveries are refused.
    answer_as(&app, "U0ADMIN", &format!("webhooks globex {secret}")).await;
    let unlinked = answer_as(&app, "U0ADMIN", "unlink globex").await;
    assert!(unlinked.contains("Unlinked *globex*"), "{unlinked}");
    assert_eq!(
        deliver(&app, "globex", "issue", "g-3", body, Some(signature)).await,
        401
    );
    let left: Option<String> =
        sqlx::query_scalar("SELECT sealed_secret FROM webhook_orgs WHERE org_slug = 'globex'")
            .fetch_one(&mut app.database().await)
            .await
            .expect("row");
    assert_eq!(left, None, "the secret went with the grant");
    // A secret without its org is refused, not echoed as an org name.
    // (A usage error, answered at once in the HTTP response.)
    let (response, _) = app
        .command_as("U0ADMIN", &format!("webhooks {secret}"))
        .await;
    let lone = text(&response.json().await.expect("usage answer"));
    assert!(lone.contains("name the org first"), "{lone}");
    assert!(!lone.contains(&secret), "{lone}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_mode_without_a_public_url_is_told_webhooks_need_one() {
    let app = acme_in(
        Mode::SentryIo,
        vec![("SLACK_APP_TOKEN", "xapp-1-A1-2-abc".into())],
    )
    .await;
    let answer = answer_as(&app, "U0ADMIN", "webhooks acme").await;
    assert!(answer.contains("Socket Mode"), "{answer}");
    assert!(answer.contains("`PUBLIC_URL`"), "{answer}");
    assert!(!answer.contains("/sentry/webhooks/acme`"), "{answer}");
}

/// Waits until every storm issue is in the channel (alone or counted),
/// then a few gathering windows more; checks the channel as a person would.
async fn storm_settles(
    slack: &crate::support::fake_slack::FakeSlack,
    started: SystemTime,
    logs: impl Fn() -> String,
) {
    wait_until(
        "every storm issue in the channel",
        Duration::from_secs(30),
        || {
            let tally = storm_tally(slack, "C1");
            tally.alone.len() + tally.counted >= STORM
        },
    )
    .await;
    let settled = started.elapsed().unwrap_or_default();
    // Nothing more arrives later.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let tally = storm_tally(slack, "C1");
    let first = slack
        .calls()
        .iter()
        .find(|c| {
            c.method == "chat.postMessage"
                && c.body["channel"] == "C1"
                && !text(&c.body).contains(":bell:")
        })
        .map(|c| c.at.duration_since(started).unwrap_or_default())
        .expect("a message");
    eprintln!(
        "storm: first message after {first:?}, all in after {settled:?}; {} messages, {} alone, {} counted in digests",
        tally.messages,
        tally.alone.len(),
        tally.counted
    );
    assert!(
        first <= Duration::from_secs(2),
        "first message after {first:?}"
    );
    assert!(
        tally.messages <= 10,
        "{} messages: {tally:?}",
        tally.messages
    );
    assert!(tally.counted > 0, "the storm was gathered: {tally:?}");
    assert_eq!(
        tally.alone.len() + tally.counted,
        STORM,
        "every issue posted alone or counted exactly once: {tally:?}"
    );
    let mut alone = tally.alone.clone();
    alone.sort_unstable();
    alone.dedup();
    assert_eq!(
        alone.len(),
        tally.alone.len(),
        "no issue posted twice: {tally:?}"
    );
    assert!(
        tally.listed.iter().all(|n| !alone.contains(n)),
        "no issue both alone and in a digest: {tally:?}"
    );
    let logs = logs();
    assert!(!logs.contains("claim lost"), "no claim changed hands");
    assert!(
        logs.contains("storm gathered into a digest"),
        "settled after {settled:?}"
    );
}

async fn a_webhook_storm_reaches_the_channel_as_one_digest_within_seconds(mode: Mode) {
    let app = app_in(mode, "1h").await;
    subscribe(&app, "C1", "api").await;
    let bodies = storm_bodies(&app.sentry, "api");
    let started = SystemTime::now();
    send_storm(SECRET, &bodies, |_| app.url("/sentry/webhooks/acme")).await;
    storm_settles(&app.slack, started, || app.logs()).await;
    // The digest was updated in place while the storm went on.
    let updates = app
        .slack
        .calls()
        .into_iter()
        .filter(|c| c.method == "chat.update" && c.status == 200)
        .count();
    let posts = storm_tally(&app.slack, "C1").messages;
    assert!(updates >= 1, "{updates} updates, {posts} posts");
}
both_modes!(
    two_hundred_created_webhooks_in_two_seconds_post_a_few_messages,
    a_webhook_storm_reaches_the_channel_as_one_digest_within_seconds
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_storm_split_over_two_replicas_on_postgres_is_gathered_once() {
    let Some(schema) = crate::support::postgres::fresh_schema("storm").await else {
        return;
    };
    let cluster = Cluster::start(
        2,
        &schema.url,
        vec![
            ("SENTRY_AUTH_TOKEN", "tok-acme".into()),
            ("SENTRY_ORG", "acme".into()),
            ("SENTRY_WEBHOOK_SECRET", SECRET.into()),
            ("POLL_INTERVAL", "1h".into()),
        ],
    )
    .await;
    cluster.sentry.add_org("acme", &["api"]);
    cluster
        .sentry
        .add_token("tok-acme", "acme", crate::support::ALL_SCOPES);
    let id = cluster.command(0, "C1", "subscribe api").await;
    cluster.slack.wait_for_responses(&id, 1).await;
    let bodies = storm_bodies(&cluster.sentry, "api");
    let started = SystemTime::now();
    // The replicas receive the deliveries alternately.
    send_storm(SECRET, &bodies, |n| {
        cluster.url(n % 2, "/sentry/webhooks/acme")
    })
    .await;
    storm_settles(&cluster.slack, started, || {
        format!("{}\n{}", cluster.logs(0), cluster.logs(1))
    })
    .await;
}
