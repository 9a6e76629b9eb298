//! Who may act (ACTION_POLICY), notes in Sentry naming who acted, forged
//! clicks, unlinking seen by every replica, and no capability in any log.

use std::time::Duration;

use crate::support::alerts::{acme_with, subscribe};
use crate::support::app::{Cluster, TestApp};
use crate::support::message_text as text;
use crate::support::ALL_SCOPES;
use serde_json::{json, Value};

/// Clicks `code` on issue `id` of `org` as `user` in #alerts; returns the answer.
async fn click(app: &TestApp, user: &str, org: &str, id: &str, code: &str) -> Value {
    let (url, response_id) = app.slack.response_url();
    let payload = json!({
        "type": "block_actions",
        "user": { "id": user }, "team": { "id": "T0ACME" },
        "channel": { "id": "C0ALERTS", "name": "alerts" },
        "container": { "type": "message", "is_ephemeral": true },
        "response_url": url,
        "actions": [{ "action_id": "issue_select", "block_id": format!("d|{org}|api|{id}"), "type": "static_select",
                      "selected_option": { "text": { "type": "plain_text", "text": "x" }, "value": format!("{code}:{org}:{id}") } }]
    });
    assert_eq!(app.interact(&payload).await.status().as_u16(), 200);
    app.slack
        .wait_for_responses(&response_id, 1)
        .await
        .remove(0)
}

fn puts(app: &TestApp) -> usize {
    app.sentry.put_bodies().len()
}

/// `acme` linked, with Alice (alice@acme.test) a member in Sentry; the
/// owner (owner@acme.test) and the admin (admin@acme.test) are not.
async fn acme_under(policy: &str) -> TestApp {
    let app = acme_with(vec![("ACTION_POLICY", policy.into())]).await;
    app.sentry
        .add_member("acme", "100001", "Alice Liddell", "alice@acme.test");
    app
}

#[tokio::test]
async fn members_may_act_and_others_are_told_why_not() {
    let app = acme_under("members").await;
    let id = app.sentry.add_issue("acme", "api", json!({}));

    let refused = text(&click(&app, "U0OWNER", "acme", &id, "resolve").await);
    assert!(
        refused.contains("Your Slack email owner@acme.test is not a member of *acme* in Sentry — ask an org owner to invite you"),
        "{refused}"
    );
    assert_eq!(puts(&app), 0, "nothing sent to Sentry");
    assert_eq!(app.sentry.issue(&id).unwrap()["status"], "unresolved");

    let done = text(&click(&app, "U0ALICE", "acme", &id, "resolve").await);
    assert!(done.contains("Resolved by <@U0ALICE>"), "{done}");
    assert_eq!(app.sentry.issue(&id).unwrap()["status"], "resolved");
    // Sentry's activity names the person, not only the token's owner.
    assert_eq!(
        app.sentry.notes(&id),
        ["Resolved from Slack by alice (alice@acme.test) in #alerts"]
    );

    // Subscriptions follow the same policy: the owner cannot subscribe.
    let (_, rid) = app.command_as("U0OWNER", "subscribe api").await;
    let answer = text(&app.slack.wait_for_responses(&rid, 1).await[0]);
    assert!(answer.contains("is not a member of *acme*"), "{answer}");
    let (_, rid) = app.command_as("U0OWNER", "subscriptions").await;
    let list = text(&app.slack.wait_for_responses(&rid, 1).await[0]);
    assert!(list.contains("no subscriptions"), "{list}");
    // Alice can.
    let answer = subscribe(&app, "C0ALERTS", "api").await;
    assert!(answer.contains("Subscribed"), "{answer}");

    // Each person can see whom they act as.
    let (_, rid) = app.command_as("U0ALICE", "whoami").await;
    let me = text(&app.slack.wait_for_responses(&rid, 1).await[0]);
    assert!(
        me.contains("*acme*: you are *Alice Liddell* (alice@acme.test) in Sentry; you may act"),
        "{me}"
    );
    let (_, rid) = app.command_as("U0OWNER", "whoami").await;
    let owner = text(&app.slack.wait_for_responses(&rid, 1).await[0]);
    assert!(
        owner.contains("*acme*: Your Slack email owner@acme.test is not a member"),
        "{owner}"
    );
}

#[tokio::test]
async fn under_the_admins_policy_only_admins_act_and_anyone_means_anyone() {
    let app = acme_under("admins").await;
    let id = app.sentry.add_issue("acme", "api", json!({}));
    let refused = text(&click(&app, "U0ALICE", "acme", &id, "resolve").await);
    assert!(refused.contains("Only workspace admins"), "{refused}");
    assert_eq!(puts(&app), 0);
    let done = text(&click(&app, "U0ADMIN", "acme", &id, "resolve").await);
    assert!(done.contains("Resolved by <@U0ADMIN>"), "{done}");

    let anyone = acme_under("anyone").await;
    let id = anyone.sentry.add_issue("acme", "api", json!({}));
    let done = text(&click(&anyone, "U0OWNER", "acme", &id, "resolve").await);
    assert!(done.contains("Resolved by <@U0OWNER>"), "{done}");
}

#[tokio::test]
async fn a_note_that_fails_does_not_fail_the_click_and_notes_can_be_turned_off() {
    let app = acme_under("members").await;
    let id = app.sentry.add_issue("acme", "api", json!({}));
    app.sentry.fail_notes(true);
    let done = text(&click(&app, "U0ALICE", "acme", &id, "archive_forever").await);
    assert!(done.contains("Archived forever by <@U0ALICE>"), "{done}");
    assert_eq!(app.sentry.issue(&id).unwrap()["status"], "ignored");
    assert!(app.sentry.notes(&id).is_empty());
    app.wait_for_log("could not leave the note in Sentry").await;

    let quiet = acme_with(vec![
        ("ACTION_POLICY", "anyone".into()),
        ("SENTRY_NOTES", "false".into()),
    ])
    .await;
    let id = quiet.sentry.add_issue("acme", "api", json!({}));
    click(&quiet, "U0ALICE", "acme", &id, "resolve").await;
    assert_eq!(quiet.sentry.issue(&id).unwrap()["status"], "resolved");
    assert!(!quiet
        .sentry
        .requests()
        .iter()
        .any(|r| r.path.ends_with("/comments/")));
}

#[tokio::test]
async fn forged_clicks_are_refused_and_reach_nothing_in_sentry() {
    let app = acme_under("anyone").await;
    app.sentry.add_members("acme", 2);
    let id = app.sentry.add_issue("acme", "api", json!({}));

    // An org that is not linked here.
    let answer = text(&click(&app, "U0ALICE", "globex", "4509000001", "resolve").await);
    assert!(answer.contains("which is not linked here"), "{answer}");
    assert!(app.sentry.requests().is_empty(), "no Sentry call at all");

    // A value longer than any button of ours.
    let (url, response_id) = app.slack.response_url();
    let payload = json!({
        "type": "block_actions", "user": { "id": "U0ALICE" }, "team": { "id": "T0ACME" },
        "channel": { "id": "C0ALERTS" }, "response_url": url,
        "actions": [{ "action_id": "issue_action", "block_id": format!("d|acme|api|{id}"), "type": "button",
                      "value": format!("resolve:acme:{id}{}", "9".repeat(2100)) }]
    });
    app.interact(&payload).await;
    let answer = text(&app.slack.wait_for_responses(&response_id, 1).await[0]);
    assert!(answer.contains("did not come from the bot"), "{answer}");

    // An assignee who is not a member of the org.
    let (url, response_id) = app.slack.response_url();
    let payload = json!({
        "type": "block_actions", "user": { "id": "U0ALICE" }, "team": { "id": "T0ACME" },
        "channel": { "id": "C0ALERTS" }, "container": { "type": "message", "is_ephemeral": true }, "response_url": url,
        "actions": [{ "action_id": "assign", "block_id": format!("d|acme|api|{id}"), "type": "external_select",
                      "selected_option": { "text": { "type": "plain_text", "text": "Mallory" }, "value": "user:666" } }]
    });
    app.interact(&payload).await;
    let answer = text(&app.slack.wait_for_responses(&response_id, 1).await[0]);
    assert!(
        answer.contains("not a member or team of *acme*"),
        "{answer}"
    );
    assert_eq!(puts(&app), 0, "nothing changed in Sentry");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlinking_on_one_replica_stops_the_others_within_a_poll_interval() {
    let Some(schema) = crate::support::postgres::fresh_schema("unlink").await else {
        return;
    };
    let cluster = Cluster::start(
        2,
        &schema.url,
        vec![
            ("POLL_INTERVAL", "300ms".into()),
            ("ADMIN_SLACK_USERS", "U0ALICE".into()),
        ],
    )
    .await;
    cluster.sentry.add_org("globex", &["web"]);
    cluster.sentry.add_token("tok-globex", "globex", ALL_SCOPES);
    // Linked through TapAuth, as `/sentry link` would store it.
    cluster.tapauth.add_grant(
        "g-globex",
        "gs-globex",
        vec![crate::support::fake_tapauth::Step::active("tok-globex")],
    );
    let store = sentry_slack_bot::store::Store::open(&sentry_slack_bot::config::Secret::new(
        schema.url.clone(),
    ))
    .await
    .unwrap();
    store
        .put_grant(&sentry_slack_bot::store::GrantRow {
            org_slug: "globex".into(),
            grant_id: "g-globex".into(),
            sealed_secret: sentry_slack_bot::orgs::grants::seal::Sealer::new(None)
                .seal(&sentry_slack_bot::config::Secret::new("gs-globex")),
            api: "v1".into(),
            scopes: ALL_SCOPES.join(" "),
            health: "ok".into(),
            linked_by: "U0ADMIN".into(),
            linked_at_ms: 0,
        })
        .await
        .unwrap();
    store.close().await;
    // Both replicas subscribe a channel, so both use the grant's token.
    for (replica, channel) in [(0, "CA"), (1, "CB")] {
        let id = cluster
            .command(replica, channel, "subscribe globex/web")
            .await;
        let answer = text(&cluster.slack.wait_for_responses(&id, 1).await[0]);
        assert!(answer.contains("Subscribed"), "{answer}");
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let id = cluster.command(0, "CA", "unlink globex").await;
    let answer = text(&cluster.slack.wait_for_responses(&id, 1).await[0]);
    assert!(answer.contains("Unlinked *globex*"), "{answer}");
    // Within one poll interval (plus a tick in flight) nobody uses the token.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let after = cluster.sentry.requests().len();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let late: Vec<String> = cluster.sentry.requests()[after..]
        .iter()
        .filter(|r| r.token.as_deref() == Some("tok-globex"))
        .map(|r| r.path.clone())
        .collect();
    assert!(
        late.is_empty(),
        "the unlinked grant is still used: {late:?}"
    );
    drop(cluster);
    schema.drop().await;
}

#[tokio::test]
async fn no_capability_reaches_the_log_on_any_failure_path() {
    let app = acme_with(vec![("SENTRY_TIMEOUT", "300ms".into())]).await;
    // A response_url that cannot be reached: its path is a capability.
    let unreachable = "http://127.0.0.1:9/commands/T0ACME/1234/RESPONSEURLSECRET0000";
    let body = TestApp::command_form("issues api", unreachable);
    app.post_signed("/slack/commands", "application/x-www-form-urlencoded", body)
        .await;
    app.wait_for_log("could not deliver the answer to response_url")
        .await;
    // Sentry failing every way while the static token is in use.
    app.sentry.push_faults([
        crate::support::fake_sentry::Fault::Status(502),
        crate::support::fake_sentry::Fault::Delay(Duration::from_secs(1)),
        crate::support::fake_sentry::Fault::Reset,
        crate::support::fake_sentry::Fault::RateLimited {
            reset_in: Duration::from_secs(1),
        },
    ]);
    // Each its own list: identical ones within seconds share one answer.
    let (_, id) = app.command("issues api level:error").await;
    app.slack.wait_for_responses(&id, 1).await;
    app.sentry.revoke_token("tok-acme");
    let (_, id) = app.command("issues api level:warning").await;
    app.slack.wait_for_responses(&id, 1).await;
    // Slack failing while the bot token is in use.
    app.slack.fail_next(3, 503);
    subscribe(&app, "C9", "api").await;
    let logs = app.logs();
    for secret in [
        "RESPONSEURLSECRET0000",
        "/commands/T0ACME/1234",
        "tok-acme",
        crate::support::app::BOT_TOKEN,
        crate::support::app::SIGNING_SECRET,
    ] {
        assert!(!logs.contains(secret), "{secret} is in the log");
    }
    assert!(logs.contains("connection"), "the failures are logged");
}

#[tokio::test]
async fn whoami_names_a_member_without_a_name_by_email() {
    let app = acme_under("members").await;
    // A Sentry member whose name and user name are blank.
    app.sentry
        .add_member("acme", "100002", " ", "admin@acme.test");
    let (_, rid) = app.command_as("U0ADMIN", "whoami").await;
    let me = text(&app.slack.wait_for_responses(&rid, 1).await[0]);
    assert!(
        me.contains("*acme*: you are *admin@acme.test* in Sentry; you may act, notes name you."),
        "{me}"
    );
    assert!(!me.contains("**"), "no empty bold name: {me}");
}
