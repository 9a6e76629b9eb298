//! Every everyday flow against sentry.io as documented and against a
//! Sentry-compatible server that strays from the docs (see the fake's
//! `Mode::Compatible`): the same test body runs in both modes and people see
//! the same messages. Fallbacks cost one extra call per endpoint per org,
//! once. (Unfurls run in both modes in `webhooks.rs`.)

use std::time::Duration;

use crate::support::action_element as element;
use crate::support::alerts::{acme_in, alerts_about, now_iso, subscribe, wait_until};
use crate::support::app::TestApp;
use crate::support::fake_sentry::Mode;
use crate::support::message_text as text;
use serde_json::{json, Value};

async fn answer(app: &TestApp, command: &str) -> Value {
    let (response, id) = app.command(command).await;
    assert_eq!(response.status().as_u16(), 200);
    app.slack.wait_for_responses(&id, 1).await.remove(0)
}

fn rows(reply: &Value) -> Vec<String> {
    crate::support::list_rows(reply)
        .into_iter()
        .map(|row| row["text"]["text"].as_str().unwrap().to_string())
        .collect()
}

/// Clicks `action` on a message; returns the answer sent to its response_url.
async fn click(app: &TestApp, action: Value) -> Value {
    app.click(action).await
}

fn menu(issue: &str, code: &str) -> Value {
    json!({ "action_id": "issue_select", "block_id": format!("d|acme|api|{issue}"), "type": "static_select",
            "selected_option": { "text": { "type": "plain_text", "text": "x" }, "value": format!("{code}:acme:{issue}") } })
}

/// Requests to `path` (exactly) so far.
fn calls_to(app: &TestApp, method: &str, path: &str) -> usize {
    app.sentry
        .requests()
        .iter()
        .filter(|r| r.method == method && r.path == path)
        .count()
}

async fn list_pages_detail_and_lookups(mode: Mode) {
    let app = acme_in(mode, Vec::new()).await;
    for i in 0..25 {
        app.sentry.add_issue(
            "acme",
            "api",
            json!({ "title": format!("TypeError number {i}"), "lastSeen": format!("2026-11-28T10:{i:02}:00Z") }),
        );
    }
    app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "resolved one", "status": "resolved" }),
    );

    // Three pages, newest activity first, nothing repeated or skipped.
    let page1 = answer(&app, "issues api").await;
    assert_eq!(
        page1["blocks"][0]["text"]["text"],
        "*acme/api* · `is:unresolved` · page 1"
    );
    let mut seen = rows(&page1);
    assert_eq!(seen.len(), 10);
    assert!(seen[0].contains("TypeError number 24"), "{}", seen[0]);
    let mut page = page1;
    for (number, expected_rows) in [(2, 10), (3, 5)] {
        let next = element(&page, "issues_next").expect("a next page")["value"]
            .as_str()
            .unwrap()
            .to_string();
        page = click(
            &app,
            json!({ "action_id": "issues_next", "type": "button", "value": next }),
        )
        .await;
        assert_eq!(
            page["blocks"][0]["text"]["text"],
            format!("*acme/api* · `is:unresolved` · page {number}")
        );
        let these = rows(&page);
        assert_eq!(these.len(), expected_rows);
        seen.extend(these);
    }
    assert!(element(&page, "issues_next").is_none());
    let mut titles: Vec<String> = seen
        .iter()
        .map(|r| {
            r.split("> ")
                .nth(1)
                .unwrap()
                .split(" · ")
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), 25, "every issue exactly once: {titles:?}");
    assert!(!seen.iter().any(|r| r.contains("resolved one")));

    // One issue by id, short ID and URL: the same detail each way.
    let id = app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "KeyError: 'user'", "lastSeen": "2026-11-28T09:00:00Z" }),
    );
    let short_id = app.sentry.issue(&id).unwrap()["shortId"]
        .as_str()
        .unwrap()
        .to_string();
    let url = format!("https://acme.sentry.io/issues/{id}/");
    let mut details = Vec::new();
    for reference in [id.clone(), short_id.clone(), url] {
        let detail = answer(&app, &format!("issue {reference}")).await;
        let shown = text(&detail);
        assert!(shown.contains("KeyError: 'user'"), "{reference}: {shown}");
        assert!(shown.contains(&short_id), "{reference}: {shown}");
        // The latest event's release shows in both modes.
        assert!(shown.contains("api@1.2.3"), "{reference}: {shown}");
        details.push(shown);
    }
    assert!(details.windows(2).all(|w| w[0] == w[1]), "{details:?}");
    let unknown = text(&answer(&app, "issue API-FFFF").await);
    assert!(unknown.contains("No issue `API-FFFF`"), "{unknown}");
}
both_modes!(
    lists_pages_details_and_lookups,
    list_pages_detail_and_lookups
);

async fn buttons_change_the_issue(mode: Mode) {
    let app = acme_in(mode, Vec::new()).await;
    app.sentry.add_members("acme", 1);
    // What the status line says is what the server kept: the compatible
    // server takes the details of an archive or a release and drops them.
    let said = |io: &'static str, compatible: &'static str| match mode {
        Mode::SentryIo => io,
        Mode::Compatible => compatible,
    };
    let cases = [
        ("resolve", "resolved", "Resolved by <@U0ALICE>"),
        ("unresolve", "unresolved", "Unresolved by <@U0ALICE>"),
        (
            "archive_escalating",
            "ignored",
            said(
                "Archived until escalating by <@U0ALICE>",
                "Archived by <@U0ALICE> just now — this server does not say until when",
            ),
        ),
        (
            "archive_1h",
            "ignored",
            said(
                "Archived for 1 hour by <@U0ALICE>",
                "Archived by <@U0ALICE> just now — this server keeps no expiry",
            ),
        ),
        (
            "resolve_next",
            "resolved",
            said(
                "Resolved in the next release by <@U0ALICE>",
                "Resolved by <@U0ALICE> just now — this server resolved it now, not in the next release",
            ),
        ),
    ];
    let id = app.sentry.add_issue("acme", "api", json!({}));
    for (code, status, line) in cases {
        if code.starts_with("archive") || code == "resolve_next" {
            app.sentry
                .update_issue(&id, json!({ "status": "unresolved" }));
        }
        let reply = click(&app, menu(&id, code)).await;
        assert!(text(&reply).contains(line), "{code}: {}", text(&reply));
        assert_eq!(reply["replace_original"], true, "{code}");
        assert_eq!(app.sentry.issue(&id).unwrap()["status"], status, "{code}");
    }
    // The note in Sentry says no more than the server kept either.
    let notes = app.sentry.notes(&id);
    let last = notes.last().expect("notes were left");
    match mode {
        Mode::SentryIo => assert!(
            last.starts_with("Resolved in the next release from Slack"),
            "{last}"
        ),
        Mode::Compatible => assert!(last.starts_with("Resolved from Slack"), "{last}"),
    }
    let puts = app.sentry.put_bodies();
    assert_eq!(
        puts.last().unwrap(),
        &json!({ "status": "resolved", "statusDetails": { "inNextRelease": true } })
    );

    // Assignment: sentry.io assigns; the compatible server cannot, says so,
    // and assignment controls are no longer offered for the org.
    let pick = json!({ "action_id": "assign", "block_id": format!("d|acme|api|{id}"), "type": "external_select",
        "selected_option": { "text": { "type": "plain_text", "text": "Member 1" }, "value": "user:100001" } });
    let reply = text(&click(&app, pick).await);
    let detail = answer(&app, &format!("issue {id}")).await;
    let orgs = text(&answer(&app, "orgs").await);
    match mode {
        Mode::SentryIo => {
            assert!(
                reply.contains("Assigned to Member 1 by <@U0ALICE>"),
                "{reply}"
            );
            assert!(element(&detail, "assign").is_some());
            assert!(!orgs.contains("compatible server"), "{orgs}");
        }
        Mode::Compatible => {
            assert!(
                reply.contains("This Sentry server does not support assignment"),
                "{reply}"
            );
            assert!(element(&detail, "assign").is_none());
            assert!(!detail.to_string().contains("assign_me:"));
            assert!(orgs.contains("compatible server:"), "{orgs}");
            assert!(orgs.contains("no assignment"), "{orgs}");
            // Known now: the next assignment costs no Sentry call.
            let before = app.sentry.requests().len();
            let pick = json!({ "action_id": "assign", "block_id": format!("d|acme|api|{id}"), "type": "external_select",
                "selected_option": { "text": { "type": "plain_text", "text": "Member 1" }, "value": "user:100001" } });
            let again = text(&click(&app, pick).await);
            assert!(again.contains("does not support assignment"), "{again}");
            let puts_after = app.sentry.requests()[before..]
                .iter()
                .filter(|r| r.method == "PUT")
                .count();
            assert_eq!(puts_after, 0);
        }
    }
}
both_modes!(buttons, buttons_change_the_issue);

async fn notes_are_left_in_the_shape_the_server_takes(mode: Mode) {
    let app = acme_in(mode, Vec::new()).await;
    app.sentry.add_members("acme", 1);
    let id = app.sentry.add_issue("acme", "api", json!({}));
    let note_posts =
        |app: &TestApp| calls_to(app, "POST", &format!("/api/0/issues/{id}/comments/"));

    click(&app, menu(&id, "resolve")).await;
    assert_eq!(
        app.sentry.notes(&id).len(),
        1,
        "{:?}",
        app.sentry.notes(&id)
    );
    // sentry.io takes the documented body at once; the compatible server
    // refuses it (422) and takes {"data": {"text"}}, and that is remembered.
    let first = note_posts(&app);
    assert_eq!(first, if mode == Mode::SentryIo { 1 } else { 2 });
    click(&app, menu(&id, "unresolve")).await;
    assert_eq!(app.sentry.notes(&id).len(), 2);
    assert_eq!(
        note_posts(&app),
        first + 1,
        "the working shape is sent first"
    );
    // The same note again: sentry.io refuses it as already posted, which
    // says nothing about the server: notes are still left afterwards.
    click(&app, menu(&id, "resolve")).await;
    let expected_notes = if mode == Mode::SentryIo { 2 } else { 3 };
    assert_eq!(app.sentry.notes(&id).len(), expected_notes);
    assert_eq!(
        note_posts(&app),
        first + 2,
        "a refused repeat is not tried in the other shape"
    );
    click(&app, menu(&id, "unresolve")).await;
    assert_eq!(note_posts(&app), first + 3);
    let (_, rid) = app.command("whoami").await;
    let me = text(&app.slack.wait_for_responses(&rid, 1).await[0]);
    assert!(me.contains("you may act, notes name you."), "{me}");
    let orgs = text(&answer(&app, "orgs").await);
    assert!(!orgs.contains("no notes from Slack"), "{orgs}");

    // A server that keeps no notes in either shape: the change stands, the
    // bot stops asking, and whoami and orgs say so instead of promising notes.
    app.sentry.refuse_notes(true);
    let reply = click(&app, menu(&id, "resolve")).await;
    assert!(
        text(&reply).contains("Resolved by <@U0ALICE>"),
        "{}",
        text(&reply)
    );
    assert_eq!(app.sentry.issue(&id).unwrap()["status"], "resolved");
    let refused = note_posts(&app);
    assert_eq!(refused, first + 5, "each shape tried once");
    click(&app, menu(&id, "unresolve")).await;
    assert_eq!(note_posts(&app), refused, "not asked again");
    let kept = if mode == Mode::SentryIo { 2 } else { 4 };
    assert_eq!(
        app.sentry.notes(&id).len(),
        kept,
        "repeats refused, none since"
    );
    let (_, rid) = app.command("whoami").await;
    let me = text(&app.slack.wait_for_responses(&rid, 1).await[0]);
    assert!(
        me.contains("this server does not keep notes from Slack"),
        "{me}"
    );
    assert!(!me.contains("notes name you"), "{me}");
    let orgs = text(&answer(&app, "orgs").await);
    assert!(orgs.contains("no notes from Slack"), "{orgs}");
}
both_modes!(notes, notes_are_left_in_the_shape_the_server_takes);

async fn the_first_look_at_orgs_lists_the_servers_gaps(mode: Mode) {
    let app = acme_in(mode, Vec::new()).await;
    app.sentry.add_issue("acme", "api", json!({}));
    // Nothing has been asked of Sentry yet: /sentry orgs probes, read-only.
    let orgs = text(&answer(&app, "orgs").await);
    let puts = app
        .sentry
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
        .count();
    assert_eq!(puts, 0, "the probe only reads");
    match mode {
        Mode::SentryIo => assert!(!orgs.contains("compatible server"), "{orgs}"),
        Mode::Compatible => {
            for gap in [
                "compatible server:",
                "issues read by id only",
                "latest events by issue id only",
                "event lists by issue id only",
                "no sort=date",
                "no short-ID lookup",
            ] {
                assert!(orgs.contains(gap), "{gap}: {orgs}");
            }
        }
    }
    // Once per org: a second look asks Sentry nothing new about its gaps.
    let before = app.sentry.requests().len();
    answer(&app, "orgs").await;
    let issue_calls = app.sentry.requests()[before..]
        .iter()
        .filter(|r| r.path.contains("/issues/") || r.path.contains("/shortids/"))
        .count();
    assert_eq!(issue_calls, 0);
}
both_modes!(first_look, the_first_look_at_orgs_lists_the_servers_gaps);

async fn subscribe_then_alert(mode: Mode) {
    let app = acme_in(mode, Vec::new()).await;
    for i in 0..3 {
        app.sentry.add_issue(
            "acme",
            "api",
            json!({ "title": format!("Old problem {i}") }),
        );
    }
    let answer = subscribe(&app, "C1", "api").await;
    assert!(answer.contains("Subscribed"), "{answer}");
    app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Fresh problem", "firstSeen": now_iso(), "lastSeen": now_iso() }),
    );
    wait_until("the alert", Duration::from_secs(15), || {
        alerts_about(&app, "C1", "Fresh problem").len() == 1
    })
    .await;
    // A few more ticks: still one alert, and no old issue was posted.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(alerts_about(&app, "C1", "Fresh problem").len(), 1);
    assert!(alerts_about(&app, "C1", "Old problem").is_empty());
}
both_modes!(subscriptions, subscribe_then_alert);

/// Each fallback costs one extra call per endpoint per org, the first time;
/// against sentry.io nothing falls back.
async fn fallbacks_are_remembered(mode: Mode) {
    let app = acme_in(mode, Vec::new()).await;
    let id = app.sentry.add_issue("acme", "api", json!({}));
    let short_id = app.sentry.issue(&id).unwrap()["shortId"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..3 {
        answer(&app, "issues api").await;
        answer(&app, &format!("issue {id}")).await;
        answer(&app, &format!("issue {short_id}")).await;
    }
    let org_issue = format!("/api/0/organizations/acme/issues/{id}/");
    let legacy_issue = format!("/api/0/issues/{id}/");
    let org_event = format!("/api/0/organizations/acme/issues/{id}/events/latest/");
    let legacy_event = format!("/api/0/issues/{id}/events/latest/");
    let short_path = format!("/api/0/organizations/acme/shortids/{short_id}/");
    let list_422s = app
        .sentry
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/issues/") && r.status == 422)
        .count();
    let lists = app
        .sentry
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/issues/"))
        .count();
    match mode {
        Mode::SentryIo => {
            assert_eq!(calls_to(&app, "GET", &org_issue), 3);
            assert_eq!(calls_to(&app, "GET", &legacy_issue), 0);
            assert_eq!(calls_to(&app, "GET", &org_event), 6);
            assert_eq!(calls_to(&app, "GET", &legacy_event), 0);
            assert_eq!(calls_to(&app, "GET", &short_path), 3);
            assert_eq!(list_422s, 0);
            // Identical list commands within seconds share one call.
            assert_eq!(lists, 1);
        }
        Mode::Compatible => {
            // The org path is tried once; every later read goes straight to the legacy path.
            assert_eq!(calls_to(&app, "GET", &org_issue), 1);
            assert_eq!(calls_to(&app, "GET", &legacy_issue), 3);
            // The HTML 500 of the org-scoped event is not retried.
            assert_eq!(calls_to(&app, "GET", &org_event), 1);
            assert_eq!(calls_to(&app, "GET", &legacy_event), 6);
            // No short-ID endpoint: asked once, then the project is searched.
            assert_eq!(calls_to(&app, "GET", &short_path), 1);
            // `sort=date` is rejected once, then lists go without it.
            assert_eq!(list_422s, 1);
            assert!(app
                .sentry
                .requests()
                .iter()
                .filter(|r| r.path.ends_with("/issues/") && r.status == 200)
                .all(|r| r.param("sort").is_none()));
            // One shared list (after the one 422) plus three short-ID searches.
            assert_eq!(lists, 1 + 1 + 3);
            let orgs = text(&answer(&app, "orgs").await);
            assert!(orgs.contains("no short-ID lookup"), "{orgs}");
            assert!(orgs.contains("no sort=date"), "{orgs}");
        }
    }
}
both_modes!(fallback_costs, fallbacks_are_remembered);
