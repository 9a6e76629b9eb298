//! Buttons and menus that change issues: acknowledged at once, exact Sentry
//! bodies, the message redrawn in place, failures told to the clicker only.

use crate::support::message_text as all_text;

use std::time::{Duration, Instant};

use crate::support::app::{spawn_app_in, TestApp};
use crate::support::fake_sentry::{Fault, Mode};
use serde_json::{json, Value};

use crate::support::ALL_SCOPES as ALL;

async fn acme(scopes: &[&str]) -> TestApp {
    acme_in(Mode::SentryIo, scopes).await
}

async fn acme_in(mode: Mode, scopes: &[&str]) -> TestApp {
    let app = spawn_app_in(
        mode,
        vec![
            ("SENTRY_AUTH_TOKEN", "tok-acme".into()),
            ("SENTRY_ORG", "acme".into()),
        ],
    )
    .await;
    app.sentry.add_org("acme", &["api"]);
    app.sentry.add_token("tok-acme", "acme", scopes);
    app
}

async fn interact(app: &TestApp, payload: Value) -> (Duration, reqwest::Response) {
    let started = Instant::now();
    let response = app.interact(&payload).await;
    (started.elapsed(), response)
}

/// Clicks an element of an issue detail message; returns the response_url id.
async fn click_detail(app: &TestApp, user: &str, action: Value) -> String {
    let (url, id) = app.slack.response_url();
    let payload = json!({
        "type": "block_actions",
        "user": { "id": user }, "team": { "id": "T0ACME" }, "channel": { "id": "C0ALERTS" },
        "container": { "type": "message", "is_ephemeral": true },
        "response_url": url,
        "actions": [action]
    });
    let (elapsed, response) = interact(app, payload).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.text().await.unwrap(),
        "",
        "acknowledged with an empty 200"
    );
    assert!(elapsed < Duration::from_secs(1));
    id
}

/// Picks `code` (a verb code) in the menu of `acme/api` issue `id`'s card
/// as `user`; returns the answer sent to the response_url.
async fn pick(app: &TestApp, user: &str, id: &str, code: &str) -> Value {
    let block = format!("d|acme|api|{id}");
    let response_id = click_detail(app, user, select(&block, &format!("{code}:acme:{id}"))).await;
    app.slack
        .wait_for_responses(&response_id, 1)
        .await
        .remove(0)
}

fn select(block_id: &str, value: &str) -> Value {
    json!({ "action_id": "issue_select", "block_id": block_id, "type": "static_select", "selected_option": { "text": { "type": "plain_text", "text": "x" }, "value": value } })
}

fn puts(app: &TestApp) -> Vec<Value> {
    app.sentry.put_bodies()
}

both_modes!(
    every_option_sends_exactly_the_documented_body_and_redraws_the_message,
    every_option_sends_its_body_and_redraws
);
async fn every_option_sends_its_body_and_redraws(mode: Mode) {
    let app = acme_in(mode, ALL).await;
    // The status line says what the server kept: the compatible server
    // takes the details of an archive or a release and keeps none.
    let said = |io: &'static str, compatible: &'static str| match mode {
        Mode::SentryIo => io,
        Mode::Compatible => compatible,
    };
    let cases = [
        (
            "resolve",
            json!({ "status": "resolved" }),
            said("Resolved by <@U0ALICE> just now", "Resolved by <@U0ALICE> just now"),
        ),
        (
            "resolve_next",
            json!({ "status": "resolved", "statusDetails": { "inNextRelease": true } }),
            said("Resolved in the next release by", "Resolved by <@U0ALICE> just now — this server resolved it now, not in the next release"),
        ),
        (
            "resolve_current",
            json!({ "status": "resolved", "statusDetails": { "inRelease": "latest" } }),
            said("Resolved in the current release by", "Resolved by <@U0ALICE> just now — this server resolved it now, not in a release"),
        ),
        (
            "archive_escalating",
            json!({ "status": "ignored", "substatus": "archived_until_escalating" }),
            said("Archived until escalating by", "Archived by <@U0ALICE> just now — this server does not say until when"),
        ),
        (
            "archive_1h",
            json!({ "status": "ignored", "substatus": "archived_until_condition_met", "statusDetails": { "ignoreDuration": 60 } }),
            said("Archived for 1 hour by", "Archived by <@U0ALICE> just now — this server keeps no expiry"),
        ),
        (
            "archive_24h",
            json!({ "status": "ignored", "substatus": "archived_until_condition_met", "statusDetails": { "ignoreDuration": 1440 } }),
            said("Archived for 24 hours by", "Archived by <@U0ALICE> just now — this server keeps no expiry"),
        ),
        (
            "archive_1w",
            json!({ "status": "ignored", "substatus": "archived_until_condition_met", "statusDetails": { "ignoreDuration": 10080 } }),
            said("Archived for 1 week by", "Archived by <@U0ALICE> just now — this server keeps no expiry"),
        ),
        (
            "archive_100",
            json!({ "status": "ignored", "substatus": "archived_until_condition_met", "statusDetails": { "ignoreCount": 100 } }),
            said("Archived until 100 more events by", "Archived by <@U0ALICE> just now — this server keeps no event count"),
        ),
        (
            "archive_forever",
            json!({ "status": "ignored", "substatus": "archived_forever" }),
            said("Archived forever by", "Archived forever by"),
        ),
    ];
    for (i, (code, body, line)) in cases.iter().enumerate() {
        let id = app.sentry.add_issue("acme", "api", json!({}));
        let reply = pick(&app, "U0ALICE", &id, code).await;
        assert_eq!(puts(&app)[i], *body, "{code}");
        assert_eq!(reply["replace_original"], true, "{code}");
        assert!(
            all_text(&reply).contains(line),
            "{code}: {}",
            all_text(&reply)
        );
        // The redrawn message offers Unresolve now.
        let actions = reply["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == "actions")
            .unwrap();
        assert_eq!(
            actions["elements"][0]["value"],
            format!("unresolve:acme:{id}"),
            "{code}"
        );
    }

    // Unresolve brings Resolve back.
    let id = app
        .sentry
        .add_issue("acme", "api", json!({ "status": "resolved" }));
    let response_id = click_detail(
        &app,
        "U0ALICE",
        json!({ "action_id": "issue_action", "block_id": format!("d|acme|api|{id}"), "type": "button", "value": format!("unresolve:acme:{id}") }),
    )
    .await;
    let reply = app
        .slack
        .wait_for_responses(&response_id, 1)
        .await
        .remove(0);
    assert_eq!(
        puts(&app).last().unwrap(),
        &json!({ "status": "unresolved" })
    );
    assert!(all_text(&reply).contains("Unresolved by <@U0ALICE> just now"));

    // Each action is recorded.
    app.wait_for_log("issue action").await;
    let store = sentry_slack_bot::store::Store::open(&sentry_slack_bot::config::Secret::new(
        format!("sqlite://{}", app.database_path.display()),
    ))
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let actions: Vec<_> = store
        .recent_activity(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.kind == sentry_slack_bot::store::ActivityKind::Action)
        .collect();
    assert_eq!(actions.len(), cases.len() + 1);
    assert!(actions.iter().all(|a| a.user_id == "U0ALICE"));
    // What the server dropped is in the activity log too.
    let dropped = actions
        .iter()
        .filter(|a| a.outcome == "ok: details dropped by the server")
        .count();
    assert!(actions
        .iter()
        .all(|a| a.outcome == "ok" || a.outcome == "ok: details dropped by the server"));
    assert_eq!(dropped, if mode == Mode::SentryIo { 0 } else { 7 });
    assert!(actions
        .iter()
        .any(|a| a.subject == format!("unresolve acme/{id}")));
}

#[tokio::test]
async fn a_missing_scope_is_explained_to_the_clicker_and_nothing_changes() {
    let app = acme(&["org:read", "project:read", "event:read"]).await;
    let id = app.sentry.add_issue("acme", "api", json!({}));
    let response_id = click_detail(
        &app,
        "U0ALICE",
        json!({ "action_id": "issue_action", "block_id": format!("d|acme|api|{id}"), "type": "button", "value": format!("resolve:acme:{id}") }),
    )
    .await;
    let reply = app
        .slack
        .wait_for_responses(&response_id, 1)
        .await
        .remove(0);
    assert_eq!(reply["response_type"], "ephemeral");
    assert!(
        reply.get("replace_original").is_none(),
        "the message is left intact"
    );
    assert!(
        all_text(&reply).contains("lacks the `event:write` scope"),
        "{}",
        all_text(&reply)
    );
    assert_eq!(app.sentry.issue(&id).unwrap()["status"], "unresolved");
}

#[tokio::test]
async fn a_slow_sentry_is_acked_at_once_and_answered_later() {
    let app = acme(ALL).await;
    let id = app.sentry.add_issue("acme", "api", json!({}));
    app.sentry
        .push_faults([Fault::Delay(Duration::from_secs(5))]);
    let started = Instant::now();
    let response_id = click_detail(
        &app,
        "U0ALICE",
        json!({ "action_id": "issue_action", "block_id": format!("d|acme|api|{id}"), "type": "button", "value": format!("resolve:acme:{id}") }),
    )
    .await;
    let reply = app
        .slack
        .wait_for_responses(&response_id, 1)
        .await
        .remove(0);
    assert!(started.elapsed() >= Duration::from_secs(5));
    assert!(all_text(&reply).contains("Resolved by <@U0ALICE>"));
}

#[tokio::test]
async fn double_clicks_and_clicks_on_issues_already_in_that_state() {
    let app = acme(ALL).await;
    let id = app.sentry.add_issue("acme", "api", json!({}));
    let action = json!({ "action_id": "issue_action", "block_id": format!("d|acme|api|{id}"), "type": "button", "value": format!("resolve:acme:{id}") });
    let (a, b) = tokio::join!(
        click_detail(&app, "U0ALICE", action.clone()),
        click_detail(&app, "U0ADMIN", action.clone())
    );
    let first = app.slack.wait_for_responses(&a, 1).await.remove(0);
    let second = app.slack.wait_for_responses(&b, 1).await.remove(0);
    assert_eq!(app.sentry.issue(&id).unwrap()["status"], "resolved");
    // Whatever the interleaving, no click fails and the final state is resolved.
    for reply in [&first, &second] {
        let text = all_text(reply);
        assert!(
            text.contains("Resolved by") || text.contains("is already resolved"),
            "{text}"
        );
    }
    let puts_before = puts(&app).len();
    let again = click_detail(&app, "U0ALICE", action).await;
    let reply = app.slack.wait_for_responses(&again, 1).await.remove(0);
    assert!(
        all_text(&reply).contains("is already resolved, so nothing changed"),
        "{}",
        all_text(&reply)
    );
    assert!(reply.get("replace_original").is_none());
    assert_eq!(puts(&app).len(), puts_before, "no PUT for a no-op");

    app.sentry.delete_issue(&id);
    let gone = click_detail(
        &app,
        "U0ALICE",
        json!({ "action_id": "issue_action", "block_id": format!("d|acme|api|{id}"), "type": "button", "value": format!("unresolve:acme:{id}") }),
    )
    .await;
    let reply = app.slack.wait_for_responses(&gone, 1).await.remove(0);
    assert!(
        all_text(&reply).contains("no longer exists in Sentry"),
        "{}",
        all_text(&reply)
    );
}

#[tokio::test]
async fn assignee_search_works_server_side_in_a_2000_member_org() {
    let app = acme(ALL).await;
    app.sentry.add_members("acme", 2000);
    app.sentry.add_team("acme", "backend");
    let id = app.sentry.add_issue("acme", "api", json!({}));
    let block = format!("d|acme|api|{id}");
    let suggestion = json!({
        "type": "block_suggestion", "action_id": "assign", "block_id": block, "value": "member1999",
        "user": { "id": "U0ALICE" }, "team": { "id": "T0ACME" }
    });
    let (elapsed, response) = interact(&app, suggestion).await;
    assert!(elapsed < Duration::from_secs(3));
    let options: Value = response.json().await.unwrap();
    let options = options["options"].as_array().unwrap();
    assert_eq!(options.len(), 1, "{options:?}");
    assert_eq!(options[0]["value"], "user:101999");
    assert_eq!(
        options[0]["text"]["text"],
        "Member 1999 (member1999@acme.test)"
    );
    let search = app
        .sentry
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/members/"))
        .unwrap();
    assert_eq!(
        search.param("query"),
        Some("member1999"),
        "searched by Sentry, not locally"
    );

    let teams = json!({ "type": "block_suggestion", "action_id": "assign", "block_id": block, "value": "back" });
    let (_, response) = interact(&app, teams).await;
    let options: Value = response.json().await.unwrap();
    assert_eq!(options["options"][0]["value"], "team:500");
    assert_eq!(options["options"][0]["text"]["text"], "#backend");

    let pick = json!({ "action_id": "assign", "block_id": block, "type": "external_select",
        "selected_option": { "text": { "type": "plain_text", "text": "Member 1999 (member1999@acme.test)" }, "value": "user:101999" } });
    let response_id = click_detail(&app, "U0ALICE", pick).await;
    let reply = app
        .slack
        .wait_for_responses(&response_id, 1)
        .await
        .remove(0);
    assert_eq!(
        puts(&app).last().unwrap(),
        &json!({ "assignedTo": "user:101999" })
    );
    assert!(
        all_text(&reply).contains("Assigned to Member 1999 (member1999@acme.test) by <@U0ALICE>"),
        "{}",
        all_text(&reply)
    );

    let unassign = click_detail(
        &app,
        "U0ALICE",
        select(&block, &format!("unassign:acme:{id}")),
    )
    .await;
    app.slack.wait_for_responses(&unassign, 1).await;
    assert_eq!(puts(&app).last().unwrap(), &json!({ "assignedTo": null }));
}

#[tokio::test]
async fn show_on_a_row_gives_its_card_whose_assignee_menu_offers_assign_to_me_and_redraws_the_list()
{
    let app = acme(ALL).await;
    app.sentry
        .add_member("acme", "777", "Alice Example", "alice@acme.test");
    let id = app
        .sentry
        .add_issue("acme", "api", json!({ "title": "Row to take" }));
    let (_, answer_id) = app.command("issues api").await;
    let list = app.slack.wait_for_responses(&answer_id, 1).await.remove(0);
    let row = crate::support::list_rows(&list).remove(0);
    assert_eq!(
        row["accessory"]["options"][3]["text"]["text"],
        "Show the card"
    );

    // Show replaces the row with the card and its full bar, in the list.
    let response_id = click_detail(&app, "U0ALICE", crate::support::row_pick(&row, "show:")).await;
    let shown = app
        .slack
        .wait_for_responses(&response_id, 1)
        .await
        .remove(0);
    assert_eq!(shown["replace_original"], true);
    assert_eq!(
        shown["blocks"][0]["text"]["text"],
        "*acme/api* · `is:unresolved` · page 1"
    );
    assert!(crate::support::list_rows(&shown).is_empty(), "{shown}");
    let row_actions = shown["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "actions" && b["block_id"] == row["block_id"])
        .expect("the card's bar in the row's place")
        .clone();
    let text = all_text(&shown);
    assert!(text.contains("Row to take"), "{text}");
    // The card's facts come from the latest event.
    assert!(text.contains("api@1.2.3"), "{text}");
    let menu = row_actions["elements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["action_id"]
                .as_str()
                .is_some_and(|a| a.starts_with("row_assign:"))
        })
        .expect("an assignee menu on the card")
        .clone();
    assert_eq!(menu["action_id"], format!("row_assign:acme:{id}"));

    // Options load by the menu's action id: "Assign to me" comes first.
    let suggestion = json!({
        "type": "block_suggestion", "action_id": menu["action_id"], "block_id": row_actions["block_id"],
        "value": "", "user": { "id": "U0ALICE" }, "team": { "id": "T0ACME" }
    });
    let (_, response) = interact(&app, suggestion).await;
    let options: Value = response.json().await.unwrap();
    assert_eq!(options["options"][0]["text"]["text"], "Assign to me");
    assert_eq!(options["options"][0]["value"], "me");
    assert!(options["options"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["value"] == "user:777"));

    let pick = json!({ "action_id": menu["action_id"], "block_id": row_actions["block_id"], "type": "external_select",
        "selected_option": { "text": { "type": "plain_text", "text": "Assign to me" }, "value": "me" } });
    let response_id = click_detail(&app, "U0ALICE", pick).await;
    let reply = app
        .slack
        .wait_for_responses(&response_id, 1)
        .await
        .remove(0);
    assert_eq!(puts(&app), [json!({ "assignedTo": "user:777" })]);
    assert_eq!(reply["replace_original"], true);
    let text = all_text(&reply);
    assert!(
        text.contains("*acme/api* · `is:unresolved` · page 1")
            && text.contains("Assigned to Alice Example by <@U0ALICE> just now"),
        "the list is redrawn with what happened: {text}"
    );
}

#[tokio::test]
async fn assign_to_me_matches_the_slack_email_to_a_sentry_member() {
    let app = acme(ALL).await;
    app.sentry.add_members("acme", 5);
    app.sentry
        .add_member("acme", "777", "Alice Example", "alice@acme.test");
    let id = app.sentry.add_issue("acme", "api", json!({}));
    let reply = pick(&app, "U0ALICE", &id, "assign_me").await;
    assert_eq!(puts(&app), [json!({ "assignedTo": "user:777" })]);
    assert!(
        all_text(&reply).contains("Assigned to Alice Example by <@U0ALICE>"),
        "{}",
        all_text(&reply)
    );

    // Someone Sentry does not know is told so, and nothing changes.
    let reply = pick(&app, "U0OWNER", &id, "assign_me").await;
    assert!(
        all_text(&reply)
            .contains("No member of *acme* in Sentry has your Slack email (owner@acme.test)"),
        "{}",
        all_text(&reply)
    );
    assert_eq!(puts(&app).len(), 1);
}

#[tokio::test]
async fn a_row_menu_in_a_list_redraws_the_page_with_a_status_line() {
    let app = acme(ALL).await;
    let id = app
        .sentry
        .add_issue("acme", "api", json!({ "title": "First problem" }));
    app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Second problem", "lastSeen": "2026-11-28T00:00:00Z" }),
    );
    let (_, list_id) = app.command("issues api").await;
    let list = app.slack.wait_for_responses(&list_id, 1).await.remove(0);
    let row = crate::support::list_rows(&list)
        .into_iter()
        .find(|row| {
            row["text"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("First problem"))
        })
        .unwrap();
    assert_eq!(
        row["accessory"]["options"][0]["value"],
        format!("resolve:acme:{id}")
    );
    let action = crate::support::row_pick(&row, "resolve:");
    let response_id = click_detail(&app, "U0ALICE", action).await;
    let reply = app
        .slack
        .wait_for_responses(&response_id, 1)
        .await
        .remove(0);
    assert_eq!(reply["replace_original"], true);
    let text = all_text(&reply);
    assert!(text.contains(": Resolved by <@U0ALICE> just now"), "{text}");
    assert!(
        !text.contains("First problem"),
        "the resolved issue leaves the unresolved list: {text}"
    );
    assert!(text.contains("Second problem"));

    // Lists drawn before rows were compact still work: their Resolve
    // button (`row_action:<id>` in a row block naming the page) redraws the list.
    let second = crate::support::list_rows(&reply)
        .into_iter()
        .find(|row| {
            row["text"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("Second problem"))
        })
        .unwrap();
    let second_id = second["accessory"]["action_id"]
        .as_str()
        .unwrap()
        .trim_start_matches("row_menu:")
        .to_string();
    let old = json!({ "action_id": format!("row_action:{second_id}"), "block_id": second["block_id"],
        "type": "button", "value": format!("resolve:acme:{second_id}") });
    let response_id = click_detail(&app, "U0ALICE", old).await;
    let reply = app
        .slack
        .wait_for_responses(&response_id, 1)
        .await
        .remove(0);
    let text = all_text(&reply);
    assert!(text.contains(": Resolved by <@U0ALICE> just now"), "{text}");
    assert!(text.contains("No issues in *acme/api*"), "{text}");
    assert_eq!(app.sentry.issue(&second_id).unwrap()["status"], "resolved");
}

#[tokio::test]
async fn a_click_asks_only_the_org_its_button_names() {
    let app = acme(ALL).await;
    // A second org, linked through TapAuth after the static one.
    app.sentry.add_org("globex", &["web"]);
    app.sentry.add_token("tok-globex", "globex", ALL);
    app.tapauth
        .script_next_grant(vec![crate::support::fake_tapauth::Step::active(
            "tok-globex",
        )]);
    let (_, id) = app.command_as("U0ADMIN", "link").await;
    assert!(
        all_text(&app.slack.wait_for_responses(&id, 2).await[1]).contains("Linked org *globex*")
    );

    let issue = app.sentry.add_issue("globex", "web", json!({}));
    let before = app.sentry.requests().len();
    let response_id = click_detail(
        &app,
        "U0ALICE",
        select(
            &format!("d|globex|web|{issue}"),
            &format!("resolve:globex:{issue}"),
        ),
    )
    .await;
    let reply = app
        .slack
        .wait_for_responses(&response_id, 1)
        .await
        .remove(0);
    assert!(
        all_text(&reply).contains("Resolved by <@U0ALICE>"),
        "{reply}"
    );
    let after: Vec<_> = app.sentry.requests().into_iter().skip(before).collect();
    assert!(!after.is_empty());
    for request in &after {
        assert_eq!(
            request.token.as_deref(),
            Some("tok-globex"),
            "{}",
            request.path
        );
        assert!(!request.path.contains("/acme/"), "{}", request.path);
    }
}

#[tokio::test]
async fn a_change_that_cannot_be_read_back_claims_only_that_it_was_accepted() {
    let app = acme(ALL).await;
    let id = app
        .sentry
        .add_issue("acme", "api", json!({ "title": "Hard to read" }));
    app.sentry.garble_read_backs();
    let reply = pick(&app, "U0ALICE", &id, "archive_1h").await;
    let text = all_text(&reply);
    assert_eq!(app.sentry.issue(&id).unwrap()["status"], "ignored");
    assert!(
        text.contains("Sentry accepted “Archive for 1 hour” from <@U0ALICE> just now; the issue could not be read back to confirm it"),
        "{text}"
    );
    assert!(!text.contains("Archived for 1 hour by"), "{text}");
    // The card is still drawn, from the server's answer to the change.
    assert!(text.contains("Hard to read"), "{text}");
    assert_eq!(reply["replace_original"], true);
}
