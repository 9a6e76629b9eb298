//! `/sentry events` and `/sentry releases` against the service, the fake
//! Sentry (as sentry.io and as a compatible server) and the fake Slack.

use crate::support::action_element as button;
use crate::support::alerts::acme_in;
use crate::support::app::TestApp;
use crate::support::fake_sentry::Mode;
use crate::support::message_text as all_text;
use serde_json::{json, Value};

async fn answer(app: &TestApp, text: &str) -> Value {
    let (response, id) = app.command(text).await;
    assert_eq!(response.status().as_u16(), 200);
    app.slack.wait_for_responses(&id, 1).await.remove(0)
}

async fn click_next(app: &TestApp, value: &Value) -> Value {
    app.click(json!({ "action_id": "issues_next", "type": "button", "value": value }))
        .await
}

fn event_rows(reply: &Value) -> Vec<String> {
    reply["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .filter(|b| b["type"] == "section")
        .map(|b| b["text"]["text"].as_str().unwrap().to_string())
        .collect()
}

async fn events_are_listed_a_page_at_a_time(mode: Mode) {
    let app = acme_in(mode, Vec::new()).await;
    let id = app
        .sentry
        .add_issue("acme", "api", json!({ "title": "Checkout failed" }));
    let short = app.sentry.issue(&id).unwrap()["shortId"]
        .as_str()
        .unwrap()
        .to_string();

    let first = answer(&app, &format!("events {short}")).await;
    let rows = event_rows(&first);
    assert_eq!(rows.len(), 5, "five by default: {rows:?}");
    assert!(rows[0].starts_with("<!date^"), "{}", rows[0]);
    for expected in [
        "env *production*",
        "release `api@1.2.3`",
        "user `user0@example.com`",
        &format!("<https://acme.sentry.io/issues/{id}/events/"),
    ] {
        assert!(
            rows[0].contains(expected),
            "missing {expected}: {}",
            rows[0]
        );
    }
    assert!(all_text(&first).contains("Recent events of"));
    // The crash frame moves between events (handlers → legacy), so each row names it.
    assert!(rows[0].contains(":round_pushpin: `app/handlers.py:42 in handle`"));
    assert!(button(&first, "share").is_some());

    // Next page: the following five, in place of the first.
    let next = button(&first, "issues_next").expect("a next page")["value"].clone();
    let second = click_next(&app, &next).await;
    assert_eq!(second["replace_original"], true);
    let rows2 = event_rows(&second);
    assert_eq!(rows2.len(), 5);
    assert!(
        rows2[0].contains("user `user5@example.com`"),
        "{}",
        rows2[0]
    );
    assert!(all_text(&second).contains("page 2"));
    // Every event is reachable: the third page holds the last two, and ends.
    let last = button(&second, "issues_next").expect("a third page")["value"].clone();
    let third = click_next(&app, &last).await;
    let rows3 = event_rows(&third);
    assert_eq!(rows3.len(), 2, "{rows3:?}");
    assert!(
        rows3[1].contains("user `user11@example.com`"),
        "{}",
        rows3[1]
    );
    assert!(button(&third, "issues_next").is_none());
    // The notification text names each event's time, in both spellings.
    let fallback = first["text"].as_str().unwrap();
    assert_eq!(fallback.matches("\n2026-11-29T").count(), 5, "{fallback}");

    // The documented path first; a compatible server gets the issue path.
    let lists: Vec<String> = app
        .sentry
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/events/"))
        .map(|r| r.path)
        .collect();
    assert_eq!(
        lists[0],
        format!("/api/0/organizations/acme/issues/{id}/events/")
    );
    if mode == Mode::Compatible {
        assert!(
            lists.contains(&format!("/api/0/issues/{id}/events/")),
            "{lists:?}"
        );
    }

    // A count, and bad input answered with usage.
    assert_eq!(
        event_rows(&answer(&app, &format!("events {short} 12")).await).len(),
        12
    );
    let (response, _) = app.command(&format!("events {short} 50")).await;
    let usage = all_text(&response.json().await.unwrap());
    assert!(usage.contains("a number from 1 to 20"), "{usage}");
    let missing = all_text(&answer(&app, "events API-ZZZ").await);
    assert!(
        missing.contains("No issue `API-ZZZ` in *acme*"),
        "{missing}"
    );
}
both_modes!(
    an_issues_events_are_listed_with_time_place_release_user_and_pages,
    events_are_listed_a_page_at_a_time
);

async fn releases_are_listed_or_the_missing_scope_named(mode: Mode) {
    let app = acme_in(mode, Vec::new()).await;
    app.sentry
        .add_release("acme", "api", "api@1.4.1", json!({ "newGroups": 1 }));
    app.sentry.add_release(
        "acme",
        "api",
        "api@1.4.2",
        json!({ "dateReleased": "2026-11-29T09:00:00Z", "newGroups": 3, "commitCount": 12,
                "lastDeploy": { "environment": "production", "dateFinished": "2026-11-29T09:10:00Z" } }),
    );
    app.sentry
        .add_release("acme", "web", "web@9.9.9", json!({}));
    if mode == Mode::Compatible {
        // This server keeps releases behind `project:releases`: the answer
        // names that scope, not one the token has.
        let refused = all_text(&answer(&app, "releases api").await);
        assert!(
            refused.contains("lacks the `project:releases` scope"),
            "{refused}"
        );
        assert!(!refused.contains("project:read"), "{refused}");
        let mut scopes = crate::support::ALL_SCOPES.to_vec();
        scopes.push("project:releases");
        app.sentry.add_token("tok-acme", "acme", &scopes);
    }
    let text = all_text(&answer(&app, "releases api").await);
    assert!(
        text.contains("*Releases of acme/api* · newest first"),
        "{text}"
    );
    let newest = text.find("api@1.4.2").expect("newest listed");
    let older = text.find("api@1.4.1").expect("older listed");
    assert!(newest < older, "newest first: {text}");
    assert!(
        text.contains("3 new issues · 12 commits · deployed to *production*"),
        "{text}"
    );
    assert!(!text.contains("web@9.9.9"), "only this project's: {text}");
    let unknown = answer(&app, "releases apii").await;
    assert!(all_text(&unknown).contains("No project `apii`"));
    assert!(
        button(&unknown, "run:0").is_some_and(|b| b["text"]["text"] == "/sentry releases acme/api")
    );
}
both_modes!(
    a_projects_releases_are_listed_newest_first,
    releases_are_listed_or_the_missing_scope_named
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_event_fields_render_escaped_and_within_limits() {
    let app = acme_in(Mode::SentryIo, Vec::new()).await;
    let id = app
        .sentry
        .add_issue("acme", "api", json!({ "title": "Hostile" }));
    let agent = "Mozilla/5.0 (X11; Linux) ".repeat(400);
    let hostile: Vec<Value> = (0..20)
        .map(|k| {
            json!({
                "eventID": format!("{k:032x}"),
                "dateCreated": "2026-11-29T08:00:00Z",
                "tags": [
                    { "key": "environment", "value": "<!channel> *prod*" },
                    { "key": "release", "value": "`<@U0ALICE>` & co" },
                    { "key": "user_agent", "value": agent }
                ],
                "user": { "username": format!("<!here> {agent}") }
            })
        })
        .collect();
    app.sentry.set_events(&id, hostile);
    // The fake Slack refuses any message that breaks a Block Kit limit.
    let reply = answer(&app, &format!("events {id} 20")).await;
    let json = reply.to_string();
    for needle in ["<!channel>", "<!here>", "<@U0ALICE>"] {
        assert!(!json.contains(needle), "{needle} survived");
    }
    assert!(
        json.contains("&lt;!channel&gt; \u{2217}prod\u{2217}"),
        "{json}"
    );
    assert_eq!(event_rows(&reply).len(), 20);
}

async fn resolving_in_a_chosen_release(mode: Mode) {
    let app = acme_in(mode, Vec::new()).await;
    for patch in 0..4 {
        app.sentry
            .add_release("acme", "api", &format!("api@1.4.{patch}"), json!({}));
    }
    let id = app
        .sentry
        .add_issue("acme", "api", json!({ "title": "Fixed in a release" }));
    let block = format!("d|acme|api|{id}");

    // The menu loads lazily: next and current release, then the three newest.
    let suggestion = json!({
        "type": "block_suggestion", "action_id": "issue_resolve_in", "block_id": block, "value": "",
        "user": { "id": "U0ALICE" }, "team": { "id": "T0ACME" }
    });
    let options: Value = app.interact(&suggestion).await.json().await.unwrap();
    let labels: Vec<&str> = options["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["text"]["text"].as_str().unwrap())
        .collect();
    let expected: &[&str] = match mode {
        Mode::SentryIo => &[
            "Resolve in next release",
            "Resolve in current release",
            "Resolve in api@1.4.3",
            "Resolve in api@1.4.2",
            "Resolve in api@1.4.1",
        ],
        // No releases API: the two that need none.
        Mode::Compatible => &["Resolve in next release", "Resolve in current release"],
    };
    assert_eq!(labels, expected);

    let picked = options["options"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let redrawn = app
        .click(
            json!({ "action_id": "issue_resolve_in", "block_id": block, "type": "external_select",
                       "selected_option": picked }),
        )
        .await;
    let puts = app.sentry.put_bodies();
    let text = all_text(&redrawn);
    match mode {
        Mode::SentryIo => {
            assert_eq!(
                puts.last(),
                Some(
                    &json!({ "status": "resolved", "statusDetails": { "inRelease": "api@1.4.1" } })
                )
            );
            assert!(
                text.contains("Resolved in api@1.4.1 by <@U0ALICE>"),
                "{text}"
            );
        }
        Mode::Compatible => {
            assert_eq!(
                puts.last(),
                Some(&json!({ "status": "resolved", "statusDetails": { "inRelease": "latest" } }))
            );
            // The server resolved it and kept no release: nothing names one.
            assert!(
                text.contains(
                    "Resolved by <@U0ALICE> just now — this server resolved it now, not in a release"
                ),
                "{text}"
            );
        }
    }
}
both_modes!(
    resolve_in_a_chosen_release_sends_its_version,
    resolving_in_a_chosen_release
);
