//! `/sentry issues`, `issue` and `projects` through signed requests against
//! the service, with the fake Sentry and fake Slack.

use crate::support::action_element as button;
use crate::support::message_text as all_text;

use std::time::{Duration, Instant};

use crate::support::app::{spawn_app_in, spawn_app_with, TestApp};
use crate::support::fake_sentry::{Fault, Mode};
use crate::support::fake_tapauth::Step;
use serde_json::{json, Value};

use crate::support::ALL_SCOPES as ALL;

/// A service whose static grant covers `acme` (projects api, web).
async fn acme() -> TestApp {
    acme_in(Mode::SentryIo).await
}

async fn acme_in(mode: Mode) -> TestApp {
    let app = spawn_app_in(
        mode,
        vec![
            ("SENTRY_AUTH_TOKEN", "tok-acme".into()),
            ("SENTRY_ORG", "acme".into()),
        ],
    )
    .await;
    app.sentry.add_org("acme", &["api", "web", "api-gateway"]);
    app.sentry.add_token("tok-acme", "acme", ALL);
    app
}

async fn answer(app: &TestApp, text: &str) -> Value {
    let started = Instant::now();
    let (response, id) = app.command(text).await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(started.elapsed() < Duration::from_secs(2));
    app.slack.wait_for_responses(&id, 1).await.remove(0)
}

async fn click(app: &TestApp, action_id: &str, value: &str) -> (reqwest::Response, String) {
    let (url, id) = app.slack.response_url();
    let payload = json!({
        "type": "block_actions",
        "user": { "id": "U0ALICE" },
        "team": { "id": "T0ACME" },
        "channel": { "id": "C0ALERTS" },
        "container": { "type": "message", "is_ephemeral": true },
        "response_url": url,
        "actions": [{ "action_id": action_id, "type": "button", "value": value }]
    });
    (app.interact(&payload).await, id)
}

both_modes!(
    issues_lists_ten_per_page_with_rows_buttons_and_a_next_page,
    ten_per_page_with_a_next_page
);
async fn ten_per_page_with_a_next_page(mode: Mode) {
    let app = acme_in(mode).await;
    for i in 0..25 {
        app.sentry.add_issue(
            "acme",
            "api",
            json!({ "title": format!("TypeError number {i}"), "lastSeen": format!("2026-11-28T10:{i:02}:00Z"), "count": format!("{}", 100 + i) }),
        );
    }
    app.sentry
        .add_issue("acme", "web", json!({ "title": "not in api" }));
    app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "resolved one", "status": "resolved" }),
    );

    let reply = answer(&app, "issues api").await;
    assert_eq!(reply["response_type"], "ephemeral");
    let blocks = reply["blocks"].as_array().unwrap();
    assert_eq!(
        blocks[0]["text"]["text"],
        "*acme/api* · `is:unresolved` · page 1"
    );
    let rows = crate::support::list_rows(&reply);
    assert_eq!(rows.len(), 10);
    // Newest activity first: the last one added was seen last.
    let first = rows[0]["text"]["text"].as_str().unwrap();
    let newest = app.sentry.issue(&(4_509_000_025u64).to_string()).unwrap();
    assert!(
        first.starts_with(":red_circle: <https://acme.sentry.io/issues/4509000025/|*"),
        "{first}"
    );
    assert!(
        first.contains(&format!(
            "*{}*> TypeError number 24",
            newest["shortId"].as_str().unwrap()
        )),
        "{first}"
    );
    assert!(
        first.contains("TypeError number 24 · 124 events · 3 users · last seen "),
        "{first}"
    );
    // Each row is one line with one menu; Resolve comes first.
    let menu = &rows[0]["accessory"];
    assert_eq!(menu["type"], "overflow");
    assert_eq!(menu["options"][0]["text"]["text"], "Resolve");
    assert_eq!(menu["options"][0]["value"], "resolve:acme:4509000025");
    assert!(!first.contains('\n'), "{first}");
    assert_eq!(
        reply["blocks"].as_array().unwrap().len(),
        12,
        "header, ten rows, footer"
    );
    assert!(!all_text(&reply).contains("resolved one"));
    assert!(!all_text(&reply).contains("not in api"));

    let lists = || {
        app.sentry
            .requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/issues/"))
            .collect::<Vec<_>>()
    };
    let request = lists().into_iter().find(|r| r.status == 200).unwrap();
    assert_eq!(request.path, "/api/0/organizations/acme/issues/");
    assert_eq!(request.param("query"), Some("is:unresolved"));
    match mode {
        Mode::SentryIo => assert_eq!(request.param("sort"), Some("date")),
        // Rejected once with 422, then asked without it (last seen first there too).
        Mode::Compatible => {
            assert_eq!(lists()[0].status, 422);
            assert_eq!(request.param("sort"), None);
        }
    }
    assert_eq!(request.param("limit"), Some("10"));
    // Hourly stats for the sparkline, without narrowing the list by time.
    assert_eq!(request.param("groupStatsPeriod"), Some("24h"));
    assert_eq!(request.param("statsPeriod"), None);
    assert_eq!(
        request.param("project"),
        Some(app.sentry.project_id("acme", "api").as_str())
    );

    // Next page replaces the message with page 2, passing the cursor back.
    let next = button(&reply, "issues_next").expect("next page button")["value"]
        .as_str()
        .unwrap()
        .to_string();
    let (response, id) = click(&app, "issues_next", &next).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.text().await.unwrap(),
        "",
        "interactions are acked with an empty 200"
    );
    let page2 = app.slack.wait_for_responses(&id, 1).await.remove(0);
    assert_eq!(page2["replace_original"], true);
    assert_eq!(
        page2["blocks"][0]["text"]["text"],
        "*acme/api* · `is:unresolved` · page 2"
    );
    assert!(all_text(&page2).contains("TypeError number 14"));
    let cursors: Vec<Option<String>> = lists()
        .into_iter()
        .filter(|r| r.status == 200)
        .map(|r| r.param("cursor").map(str::to_string))
        .collect();
    let second = match mode {
        Mode::SentryIo => "1764374400000:10:0",
        // Opaque base64, passed back exactly, without the `'}` of the wrapped header.
        Mode::Compatible => "eyJvZmZzZXQiOjEwLCJwcmV2IjpmYWxzZX0=",
    };
    assert_eq!(cursors, [None, Some(second.to_string())]);

    // The last page has no Next button.
    let next = button(&page2, "issues_next").unwrap()["value"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, id) = click(&app, "issues_next", &next).await;
    let page3 = app.slack.wait_for_responses(&id, 1).await.remove(0);
    assert_eq!(crate::support::list_rows(&page3).len(), 5);
    assert!(button(&page3, "issues_next").is_none());
}

#[tokio::test]
async fn share_posts_the_same_answer_in_the_channel_with_who_shared_it() {
    let app = acme().await;
    app.sentry
        .add_issue("acme", "api", json!({ "title": "Shared problem" }));
    let reply = answer(&app, "issues api level:error").await;
    let share = button(&reply, "share").expect("share button")["value"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, id) = click(&app, "share", &share).await;
    let shared = app.slack.wait_for_responses(&id, 1).await.remove(0);
    assert_eq!(shared["response_type"], "in_channel");
    assert!(shared.get("replace_original").is_none());
    assert_eq!(
        shared["blocks"][0]["text"]["text"],
        "*acme/api* · `level:error` · page 1"
    );
    assert!(all_text(&shared).contains("Shared problem"));
    assert!(all_text(&shared).contains("Shared by <@U0ALICE>"));
    assert!(button(&shared, "share").is_none());
}

#[tokio::test]
async fn zero_results_echo_the_query_and_bad_queries_say_why() {
    let app = acme().await;
    let reply = answer(&app, "issues acme/api level:fatal").await;
    assert!(
        all_text(&reply).contains("No issues in *acme/api* match `level:fatal`"),
        "{}",
        all_text(&reply)
    );
}

#[tokio::test]
async fn ambiguous_unknown_and_unlinked_projects() {
    let app = acme().await;
    // A second org linked through TapAuth, also with a `web` project.
    app.sentry.add_org("globex", &["web", "billing"]);
    app.sentry.add_token("tok-globex", "globex", ALL);
    app.tapauth
        .script_next_grant(vec![Step::active("tok-globex")]);
    let (_, id) = app.command_as("U0ADMIN", "link").await;
    assert!(
        all_text(&app.slack.wait_for_responses(&id, 2).await[1]).contains("Linked org *globex*")
    );

    let text = all_text(&answer(&app, "issues web").await);
    assert!(
        text.contains(
            "Several linked orgs have a project `web`. Name one: `acme/web`, `globex/web`."
        ),
        "{text}"
    );
    let misspelt = answer(&app, "issues biling level:error").await;
    let text = all_text(&misspelt);
    assert!(
        text.contains("No project `biling` in any linked org. Did you mean `globex/billing`?"),
        "{text}"
    );
    // The fix is one click away: the button runs the command on the
    // suggested project and the list replaces the error.
    let fix = misspelt["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| b["elements"].as_array().unwrap().clone())
        .find(|e| e["action_id"] == "run:0")
        .expect("a button for the suggestion");
    assert_eq!(
        fix["text"]["text"],
        "/sentry issues globex/billing level:error"
    );
    app.sentry.add_issue(
        "globex",
        "billing",
        json!({ "title": "Invoice rounding", "level": "error" }),
    );
    let listed = &app
        .click(json!({ "action_id": "run:0", "block_id": "fix", "type": "button", "value": fix["value"] }))
        .await;
    assert_eq!(listed["replace_original"], true);
    assert!(all_text(listed).contains("Invoice rounding"), "{listed}");
    let text = all_text(&answer(&app, "issues globex/web").await);
    assert!(text.contains("No issues in *globex/web*"), "{text}");
    let text = all_text(&answer(&app, "issues initech/web").await);
    assert!(
        text.contains("The Sentry org *initech* is not linked"),
        "{text}"
    );

    // Each org's calls use its own token.
    for request in app.sentry.requests() {
        if request.path.contains("/globex/") {
            assert_eq!(request.token.as_deref(), Some("tok-globex"));
        } else if request.path.contains("/acme/") {
            assert_eq!(request.token.as_deref(), Some("tok-acme"));
        }
    }

    // A project created after the list was cached is found by refreshing it.
    app.sentry.add_org("acme", &[]);
    let text = all_text(&answer(&app, "projects").await);
    assert!(
        text.contains("*acme* (3)") && text.contains("*globex* (2)"),
        "{text}"
    );
}

#[tokio::test]
async fn hostile_titles_render_escaped_and_within_block_kit_limits() {
    let app = acme().await;
    let title = format!("<!channel> <@U123> *bold* & {}", "A".repeat(10_000));
    let id = app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": title, "culprit": title, "metadata": { "value": title } }),
    );
    let list = answer(&app, "issues api").await;
    let short = app.sentry.issue(&id).unwrap()["shortId"]
        .as_str()
        .unwrap()
        .to_string();
    let detail = answer(&app, &format!("issue {short}")).await;
    for reply in [list, detail] {
        // The fake Slack accepted it, so every Block Kit limit held.
        let json = reply.to_string();
        assert!(!json.contains("<!channel>"), "mention must not survive");
        assert!(!json.contains("<@U123>"));
        // Formatting characters are neutralised, so the title never turns bold.
        assert!(
            json.contains("&lt;!channel&gt; &lt;@U123&gt; \u{2217}bold\u{2217} &amp; AAA"),
            "{json}"
        );
        assert!(json.contains("…"));
    }
}

#[tokio::test]
async fn a_slow_sentry_still_gets_an_immediate_ack_and_the_answer_later() {
    let app = acme().await;
    app.sentry
        .add_issue("acme", "api", json!({ "title": "Slow one" }));
    app.sentry
        .push_faults([Fault::Delay(Duration::from_secs(5))]);
    let started = Instant::now();
    let (response, id) = app.command("issues api").await;
    let ack = started.elapsed();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.bytes().await.unwrap().is_empty(), "an empty ack");
    // The ack does not wait for Sentry (BENCHMARKS.md has the real latency).
    assert!(ack < Duration::from_secs(1), "ack took {ack:?}");
    let answers = app.slack.wait_for_responses(&id, 1).await;
    assert!(started.elapsed() >= Duration::from_secs(5));
    assert!(all_text(&answers[0]).contains("Slow one"));
}

#[tokio::test]
async fn issue_detail_by_short_id_numeric_id_and_url() {
    let app = acme().await;
    let id = app.sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "ZeroDivisionError: division by zero", "culprit": "app.views in divide", "assignedTo": { "type": "team", "id": "5", "name": "backend" } }),
    );
    let short = app.sentry.issue(&id).unwrap()["shortId"]
        .as_str()
        .unwrap()
        .to_string();
    for reference in [
        short.to_lowercase(),
        id.clone(),
        format!("https://acme.sentry.io/issues/{id}/?project=1"),
    ] {
        let reply = answer(&app, &format!("issue {reference}")).await;
        // The title is a bold link; one line says where the issue stands.
        assert_eq!(
            reply["blocks"][0]["text"]["text"],
            format!("*<https://acme.sentry.io/issues/{id}/|ZeroDivisionError: division by zero>*")
        );
        let text = all_text(&reply);
        for expected in [
            ":red_circle: *New* · 12 events · 3 users · first seen <!date^",
            "assigned to #backend",
            "env *production*",
            "release `api@1.2.3`",
            ":warning: unhandled",
            ":round_pushpin: `app/handlers.py:42 in handle`",
            "in the last hour",
            "&gt; Error: number 1",
        ] {
            assert!(
                text.contains(expected),
                "{reference}: missing {expected:?} in {text}"
            );
        }
        assert_eq!(
            button(&reply, "issue_action").unwrap()["value"],
            format!("resolve:acme:{id}")
        );
        assert_eq!(
            button(&reply, "open_in_sentry").unwrap()["url"],
            format!("https://acme.sentry.io/issues/{id}/")
        );
        assert!(button(&reply, "share").is_some());
    }
    let text = all_text(&answer(&app, "issue API-ZZZ").await);
    assert!(text.contains("No issue `API-ZZZ` in *acme*"), "{text}");
}

#[tokio::test]
async fn sentry_errors_are_explained_with_what_to_do_next() {
    let app = spawn_app_with(vec![
        ("SENTRY_AUTH_TOKEN", "tok-ro".into()),
        ("SENTRY_ORG", "acme".into()),
    ])
    .await;
    app.sentry.add_org("acme", &["api"]);
    app.sentry
        .add_token("tok-ro", "acme", &["org:read", "project:read"]);
    let text = all_text(&answer(&app, "issues api").await);
    assert!(text.contains("lacks the `event:read` scope"), "{text}");
    assert!(text.contains("/sentry link"));

    app.sentry.add_token("tok-ro", "acme", ALL);
    app.sentry
        .push_faults(std::iter::repeat_n(Fault::Status(503), 4));
    let text = all_text(&answer(&app, "issues api").await);
    assert!(
        text.contains("Sentry is not answering right now. Try again in a minute."),
        "{text}"
    );

    app.sentry.revoke_token("tok-ro");
    let text = all_text(&answer(&app, "projects").await);
    assert!(
        text.contains("Sentry rejected the SENTRY_AUTH_TOKEN"),
        "{text}"
    );

    // A long rate limit is not sat out: the person is told when to retry.
    app.sentry.add_token("tok-ro", "acme", ALL);
    app.sentry.push_faults([Fault::RateLimited {
        reset_in: Duration::from_secs(90),
    }]);
    let text = all_text(&answer(&app, "issue 12345").await);
    assert!(
        text.contains("Sentry is rate limiting this org. Try again in"),
        "{text}"
    );
    let text = all_text(&answer(&app, "issue 12346").await);
    assert!(
        text.contains("Sentry is rate limiting this org"),
        "later calls to the same endpoint wait for its reset too: {text}"
    );
    // Sentry's limits are per endpoint: another one answers at once.
    let text = all_text(&answer(&app, "projects").await);
    assert!(text.contains("`api`"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_lists_in_an_incident_are_answered_from_one_sentry_call() {
    let app = acme().await;
    app.sentry
        .add_issue("acme", "api", json!({ "title": "Everyone looks at this" }));
    app.sentry.set_latency(Duration::from_millis(200));
    // 200 people run the same command within a second.
    let ids: Vec<String> = futures_util::future::join_all((0..200).map(|_| async {
        let (response, id) = app.command("issues api").await;
        assert_eq!(response.status().as_u16(), 200);
        id
    }))
    .await;
    for id in &ids {
        let reply = app.slack.wait_for_responses(id, 1).await.remove(0);
        assert!(all_text(&reply).contains("Everyone looks at this"));
    }
    let lists = app
        .sentry
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/issues/"))
        .count();
    assert!(
        lists <= 2,
        "{lists} Sentry list calls for 200 identical commands"
    );

    // A change is never hidden by the shared page: a row click redraws from Sentry.
    let reply = answer(&app, "issues api").await;
    let row = crate::support::list_rows(&reply).remove(0);
    let (url, rid) = app.slack.response_url();
    let payload = json!({
        "type": "block_actions", "user": { "id": "U0ALICE" }, "team": { "id": "T0ACME" },
        "channel": { "id": "C0ALERTS" }, "container": { "type": "message", "is_ephemeral": true },
        "response_url": url,
        "actions": [crate::support::row_pick(&row, "resolve:")]
    });
    app.interact(&payload).await;
    let redrawn = app.slack.wait_for_responses(&rid, 1).await.remove(0);
    let text = all_text(&redrawn);
    assert!(text.contains("Resolved by <@U0ALICE>"), "{text}");
    assert!(
        !text.contains("Everyone looks at this"),
        "the resolved issue left the unresolved list: {text}"
    );
}
