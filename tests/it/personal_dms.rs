//! Personal DMs: the person an issue is assigned to hears of it once,
//! whether the assignment came from a click, a Sentry webhook or a poll;
//! a burst of assignments is one DM updated in place; `/sentry notify`
//! turns them off and says who cannot be reached.

use std::time::Duration;

use crate::support::alerts::{acme_in, alerts_about, now_iso, subscribe, wait_until};
use crate::support::app::{Cluster, TestApp};
use crate::support::fake_sentry::Mode;
use crate::support::fake_slack::user_with_email;
use crate::support::message_text as text;
use serde_json::{json, Value};

const SECRET: &str = "whsec-acme-client-secret";
const ANN: &str = "U0ANN1";

/// Ann has the same email in Slack and Sentry; Bo's differ.
async fn app_in(mode: Mode) -> TestApp {
    let app = acme_in(mode, vec![("SENTRY_WEBHOOK_SECRET", SECRET.into())]).await;
    add_people(&app.slack, &app.sentry);
    app
}

fn add_people(
    slack: &crate::support::fake_slack::FakeSlack,
    sentry: &crate::support::fake_sentry::FakeSentry,
) {
    slack.add_user(user_with_email(ANN, "ann", "ann@acme.test"));
    slack.add_user(user_with_email("U0BOB1", "bob", "bob@home.example"));
    sentry.add_member("acme", "100001", "Alice Liddell", "alice@acme.test");
    sentry.add_member("acme", "200001", "Ann Lee", "ann@acme.test");
    sentry.add_member("acme", "200002", "Bo Sentry", "bo@acme.test");
}

fn issue(app: &TestApp, title: &str) -> String {
    app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": title, "firstSeen": now_iso(), "lastSeen": now_iso() }),
    )
}

/// `user` picks `assignee` in the Assign menu of issue `id`'s card.
async fn assign(app: &TestApp, user: &str, id: &str, assignee: &str) -> String {
    let (url, response_id) = app.slack.response_url();
    let payload = json!({
        "type": "block_actions",
        "user": { "id": user }, "team": { "id": "T0ACME" }, "channel": { "id": "C0ALERTS" },
        "container": { "type": "message", "is_ephemeral": true },
        "response_url": url,
        "actions": [{ "action_id": "assign", "block_id": format!("d|acme|api|{id}"), "type": "external_select",
            "selected_option": { "text": { "type": "plain_text", "text": assignee }, "value": assignee } }]
    });
    assert_eq!(app.interact(&payload).await.status().as_u16(), 200);
    text(&app.slack.wait_for_responses(&response_id, 1).await[0])
}

async fn answer_as(app: &TestApp, user: &str, command: &str) -> String {
    let (_, rid) = app.command_as(user, command).await;
    text(&app.slack.wait_for_responses(&rid, 1).await[0])
}

fn dms(slack: &crate::support::fake_slack::FakeSlack, user: &str) -> Vec<Value> {
    slack.dms_to(user)
}

async fn wait_for_dm(app: &TestApp, user: &str, needle: &str) -> String {
    wait_until(needle, Duration::from_secs(15), || {
        dms(&app.slack, user)
            .iter()
            .any(|m| all_text(m).contains(needle))
    })
    .await;
    all_text(&dms(&app.slack, user)[0])
}

/// Every text of a message: its fallback and its blocks.
fn all_text(message: &Value) -> String {
    format!("{} {}", text(message), message["blocks"])
}

fn hook_body(issue: &Value, action: &str, actor: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "action": action,
        "installation": { "uuid": "0d1f3c2e-7a4b-4c2e-9d1f-3c2e7a4b4c2e" },
        "data": { "issue": issue },
        "actor": actor,
    }))
    .expect("json")
}

async fn send_hook(http: &reqwest::Client, url: &str, request_id: &str, body: Vec<u8>) -> u16 {
    http.post(url)
        .header("content-type", "application/json")
        .header("sentry-hook-resource", "issue")
        .header("sentry-hook-timestamp", "1764400000")
        .header("request-id", request_id)
        .header(
            "sentry-hook-signature",
            crate::support::alerts::hook_signature(SECRET, &body),
        )
        .body(body)
        .send()
        .await
        .expect("webhook")
        .status()
        .as_u16()
}

both_modes!(
    a_click_assigning_someone_else_sends_them_one_dm_and_a_burst_folds_into_it,
    clicks_send_one_dm
);
async fn clicks_send_one_dm(mode: Mode) {
    let app = app_in(mode).await;
    let first = issue(&app, "Checkout crash");
    let answer = assign(&app, "U0ALICE", &first, "user:200001").await;
    if mode == Mode::Compatible {
        // This server cannot assign: nothing changed, so nobody is told.
        assert!(!answer.contains("Assigned to"), "{answer}");
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(dms(&app.slack, ANN).is_empty());
        assert!(app.slack.posts_in(ANN).is_empty());
        return;
    }
    assert!(answer.contains("Assigned to"), "{answer}");
    let dm = wait_for_dm(&app, ANN, "Checkout crash").await;
    assert!(dm.contains("was assigned to you by <@U0ALICE>"), "{dm}");
    assert!(
        dm.contains("issue_action"),
        "the DM carries the card's actions: {dm}"
    );
    // Sentry's own webhook for that assignment tells nobody again.
    let served = app.sentry.issue(&first).expect("issue");
    let actor = json!({ "type": "user", "id": "100001", "name": "Alice Liddell" });
    let hook = hook_body(&served, "assigned", actor);
    let url = app.url("/sentry/webhooks/acme");
    assert_eq!(send_hook(&app.http, &url, "req-echo", hook).await, 200);

    // Nine more within the minute: one DM, updated in place.
    for n in 2..=10 {
        let id = issue(&app, &format!("Burst crash {n}"));
        assign(&app, "U0ALICE", &id, "user:200001").await;
    }
    let folded = wait_for_dm(&app, ANN, "And 9 more issues were assigned to you").await;
    assert!(folded.contains("Burst crash 10"), "{folded}");
    assert_eq!(app.slack.posts_in(ANN).len(), 1, "one DM, not ten");
    assert_eq!(dms(&app.slack, ANN).len(), 1);

    // Assigning yourself, or with DMs off, adds nothing.
    let own = issue(&app, "Ann's own pick");
    assign(&app, ANN, &own, "user:200001").await;
    let off = answer_as(&app, ANN, "notify assigned off").await;
    assert!(
        off.contains("DMs for issues assigned to you are now off"),
        "{off}"
    );
    assert!(
        off.contains("In *acme* you are *Ann Lee* (by your email)"),
        "{off}"
    );
    let quiet = issue(&app, "After turning off");
    assign(&app, "U0ALICE", &quiet, "user:200001").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let still = all_text(&dms(&app.slack, ANN)[0]);
    assert!(still.contains("And 9 more issues"), "{still}");
    assert!(!still.contains("Ann's own pick"), "{still}");
    assert!(!still.contains("After turning off"), "{still}");
    assert_eq!(app.slack.posts_in(ANN).len(), 1);

    // Bo cannot be reached, and is told why and how to be mapped.
    let bo = answer_as(&app, "U0BOB1", "notify").await;
    assert!(
        bo.contains("In *acme* no member has your Slack email (bob@home.example)"),
        "{bo}"
    );
    assert!(bo.contains("/sentry people map @you"), "{bo}");
    let usage = app.command_as(ANN, "notify assigned maybe").await.0;
    let usage = text(&usage.json().await.unwrap());
    assert!(usage.contains("notify"), "{usage}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentry_side_assignments_by_webhook_and_by_poll_and_comebacks_reach_the_assignee() {
    let app = app_in(Mode::SentryIo).await;
    subscribe(&app, "C1", "api").await;
    let pushed = issue(&app, "Assigned by webhook");
    let polled = issue(&app, "Assigned in Sentry, seen by a poll");
    for title in ["Assigned by webhook", "Assigned in Sentry, seen by a poll"] {
        wait_until(title, Duration::from_secs(15), || {
            alerts_about(&app, "C1", title).len() == 1
        })
        .await;
    }
    // Jane assigns Ann in Sentry; the webhook says who did.
    let ann =
        json!({ "type": "user", "id": "200001", "name": "Ann Lee", "email": "ann@acme.test" });
    let mut served = app.sentry.issue(&pushed).expect("issue");
    served["assignedTo"] = ann.clone();
    let hook = hook_body(
        &served,
        "assigned",
        json!({ "type": "user", "id": "9", "name": "Jane <!channel>" }),
    );
    let url = app.url("/sentry/webhooks/acme");
    assert_eq!(send_hook(&app.http, &url, "req-1", hook).await, 200);
    let dm = wait_for_dm(&app, ANN, "Assigned by webhook").await;
    assert!(dm.contains("by Jane"), "{dm}");
    assert!(!dm.contains("<!channel>"), "names are escaped: {dm}");
    app.sentry
        .update_issue(&pushed, json!({ "assignedTo": ann.clone() }));

    // No webhook for the other: the poll's status sync sees it.
    app.sentry
        .update_issue(&polled, json!({ "assignedTo": ann.clone() }));
    let folded = wait_for_dm(&app, ANN, "And 1 more issue was assigned to you").await;
    assert!(
        folded.contains("Assigned in Sentry, seen by a poll"),
        "{folded}"
    );

    // An issue of Ann's is resolved, then comes back.
    app.sentry
        .update_issue(&pushed, json!({ "status": "resolved" }));
    wait_until("the resolved redraw", Duration::from_secs(15), || {
        app.slack
            .messages_in("C1")
            .iter()
            .any(|m| text(m).contains("Assigned by webhook") && all_text(m).contains("Resolved"))
    })
    .await;
    app.sentry.update_issue(
        &pushed,
        json!({ "status": "unresolved", "substatus": "regressed", "lastSeen": now_iso() }),
    );
    let back = wait_for_dm(&app, ANN, "of yours came back").await;
    assert!(
        back.contains("And 2 more: 1 assigned to you, 1 of yours came back"),
        "{back}"
    );
    assert_eq!(app.slack.posts_in(ANN).len(), 1, "all within one window");

    // An admin's map makes Bo reachable: the next assignment reaches him.
    let mapped = answer_as(&app, "U0ADMIN", "people map @bob bo@acme.test").await;
    assert!(
        mapped.contains("is *bo@acme.test* in Sentry now"),
        "{mapped}"
    );
    let bos = issue(&app, "Bo's crash");
    wait_until("Bo's alert", Duration::from_secs(15), || {
        alerts_about(&app, "C1", "Bo's crash").len() == 1
    })
    .await;
    app.sentry.update_issue(
        &bos,
        json!({ "assignedTo": { "type": "user", "id": "200002", "name": "Bo Sentry" } }),
    );
    let bo = wait_for_dm(&app, "U0BOB1", "Bo's crash").await;
    assert!(bo.contains("was assigned to you."), "{bo}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_postgres_send_one_dm() {
    let Some(schema) = crate::support::postgres::fresh_schema("personal_dms").await else {
        return;
    };
    let cluster = Cluster::start(
        2,
        &schema.url,
        vec![
            ("SENTRY_AUTH_TOKEN", "tok-acme".into()),
            ("SENTRY_ORG", "acme".into()),
            ("POLL_INTERVAL", "500ms".into()),
            ("SENTRY_WEBHOOK_SECRET", SECRET.into()),
        ],
    )
    .await;
    cluster.sentry.add_org("acme", &["api"]);
    cluster
        .sentry
        .add_token("tok-acme", "acme", crate::support::ALL_SCOPES);
    add_people(&cluster.slack, &cluster.sentry);
    let rid = cluster.command(0, "C1", "subscribe api").await;
    cluster.slack.wait_for_responses(&rid, 1).await;
    let id = cluster.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Shared crash", "firstSeen": now_iso(), "lastSeen": now_iso() }),
    );
    wait_until("the alert", Duration::from_secs(20), || {
        cluster
            .slack
            .posts_in("C1")
            .iter()
            .any(|p| text(p).contains("Shared crash"))
    })
    .await;
    // Assigned in Sentry: both replicas hear the webhook (as two
    // deliveries) and both poll; Ann is told once.
    cluster.sentry.update_issue(
        &id,
        json!({ "assignedTo": { "type": "user", "id": "200001", "name": "Ann Lee" } }),
    );
    let served = cluster.sentry.issue(&id).expect("issue");
    let actor = json!({ "type": "user", "id": "9", "name": "Jane" });
    let http = reqwest::Client::new();
    let (url_a, url_b) = (
        cluster.url(0, "/sentry/webhooks/acme"),
        cluster.url(1, "/sentry/webhooks/acme"),
    );
    let (a, b) = tokio::join!(
        send_hook(
            &http,
            &url_a,
            "req-a",
            hook_body(&served, "assigned", actor.clone())
        ),
        send_hook(
            &http,
            &url_b,
            "req-b",
            hook_body(&served, "assigned", actor.clone())
        ),
    );
    assert_eq!((a, b), (200, 200));
    wait_until("Ann's DM", Duration::from_secs(20), || {
        !cluster.slack.posts_in(ANN).is_empty()
    })
    .await;
    // Several polls later, still one.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let posts = cluster.slack.posts_in(ANN);
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert!(all_text(&posts[0]).contains("Shared crash"));
    // One notice was planned, not one per replica or per source.
    let mut db = <sqlx::PgConnection as sqlx::Connection>::connect(&schema.url)
        .await
        .expect("connect");
    let notices: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM alerts WHERE kind = 'personal'")
        .fetch_one(&mut db)
        .await
        .expect("count");
    assert_eq!(notices, 1);
}

both_modes!(
    an_assigned_issue_that_escalates_sends_its_assignee_one_dm,
    escalation_dm
);
async fn escalation_dm(mode: Mode) {
    let app = app_in(mode).await;
    // Ann's issue predates the subscription: its baseline, no alert, no DM.
    let id = app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Ann's slow burn", "firstSeen": "2026-01-05T10:00:00Z",
                "lastSeen": now_iso(), "substatus": "ongoing",
                "assignedTo": { "type": "user", "id": "200001", "name": "Ann Lee" } }),
    );
    subscribe(&app, "C1", "api").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        dms(&app.slack, ANN).is_empty(),
        "baseline issues are not news"
    );
    app.sentry.update_issue(
        &id,
        json!({ "substatus": "escalating", "lastSeen": now_iso(), "count": "90210" }),
    );
    if mode == Mode::Compatible {
        // This server shows neither substatus nor assignee: nobody to tell,
        // and nothing else goes wrong.
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert!(dms(&app.slack, ANN).is_empty());
        assert!(alerts_about(&app, "C1", "Ann's slow burn").is_empty());
        return;
    }
    let dm = wait_for_dm(&app, ANN, "is escalating").await;
    assert!(dm.contains("Ann's slow burn"), "{dm}");
    assert!(dm.contains("*Escalating*"), "the card says so: {dm}");
    // A few polls later: still one DM, and the channel heard of the spike
    // once, as an escalation (a new message: it had no alert to thread on).
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(app.slack.posts_in(ANN).len(), 1);
    assert_eq!(dms(&app.slack, ANN).len(), 1);
    let told = alerts_about(&app, "C1", "Ann's slow burn");
    assert_eq!(told.len(), 1);
    assert!(
        text(&told[0]).contains("*Escalating*"),
        "{}",
        text(&told[0])
    );
    // With regression notices off, the next spike is not told.
    let off = answer_as(&app, ANN, "notify regressions off").await;
    assert!(off.contains("off"), "{off}");
    app.sentry
        .update_issue(&id, json!({ "substatus": "ongoing" }));
    tokio::time::sleep(Duration::from_secs(1)).await;
    app.sentry.update_issue(
        &id,
        json!({ "substatus": "escalating", "lastSeen": now_iso() }),
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(app.slack.posts_in(ANN).len(), 1);
    assert_eq!(
        alerts_about(&app, "C1", "Ann's slow burn").len(),
        1,
        "one escalation alert a day per issue"
    );
    let updates = app
        .slack
        .calls()
        .iter()
        .filter(|c| {
            c.method == "chat.update"
                && c.body["channel"]
                    .as_str()
                    .is_some_and(|c| c.starts_with('D'))
        })
        .count();
    assert_eq!(updates, 0, "the DM was not redrawn either");
}
