//! `/sentry help` end to end, usage help for malformed commands, and
//! deferred answers through `response_url`.

use crate::support::message_text as all_text;

use std::time::{Duration, Instant};

use crate::support::app::spawn_app;
use serde_json::Value;

#[tokio::test]
async fn signed_help_returns_every_command_at_once() {
    let app = spawn_app().await;
    let started = Instant::now();
    let (response, response_id) = app.command("help").await;
    let elapsed = started.elapsed();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let reply: Value = response.json().await.unwrap();
    assert_eq!(reply["response_type"], "ephemeral");
    assert_eq!(reply["blocks"][0]["type"], "header");
    assert_eq!(reply["blocks"][0]["text"]["text"], "Sentry for Slack");
    let text = all_text(&reply);
    for usage in [
        "/sentry issues <[org/]project> [search query]",
        "/sentry issue <SHORT-ID | issue id | issue URL>",
        "/sentry projects [org]",
        "/sentry orgs",
        "/sentry link",
        "/sentry unlink <org>",
        "/sentry subscribe <[org/]project>",
        "/sentry unsubscribe <[org/]project>",
        "/sentry subscriptions",
        "/sentry webhooks <org> [client secret | off]",
        "/sentry help [command]",
    ] {
        // Placeholders are sent escaped, so Slack shows them instead of
        // taking them for links.
        let sent = usage.replace('<', "&lt;").replace('>', "&gt;");
        assert!(text.contains(&sent), "help lacks {sent:?}");
    }
    assert!(text.contains("`/sentry issues api`"), "examples are shown");
    // Well inside Slack's 3 s; BENCHMARKS.md records the real latency.
    assert!(elapsed < Duration::from_secs(2), "help took {elapsed:?}");
    // Help needs no second answer.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.slack.responses(&response_id).is_empty());

    // An empty command is help too, and `help <command>` explains one.
    let (response, _) = app.command("").await;
    assert!(all_text(&response.json().await.unwrap()).contains("/sentry subscriptions"));
    let (response, _) = app.command("help subscribe").await;
    let topic = all_text(&response.json().await.unwrap());
    assert!(topic.contains("--digest N"));
    assert!(topic.contains("`/sentry subscribe api level:error`"));
}

#[tokio::test]
async fn malformed_commands_get_usage_help_that_says_what_was_wrong() {
    let app = spawn_app().await;
    let (response, _) = app.command("isues api").await;
    let reply: Value = response.json().await.unwrap();
    assert_eq!(reply["response_type"], "ephemeral");
    let text = all_text(&reply);
    assert!(text.contains("`isues` is not a /sentry command"), "{text}");
    assert!(text.contains("Did you mean `/sentry issues`?"), "{text}");

    let (response, _) = app.command("subscribe api --digest 0").await;
    let text = all_text(&response.json().await.unwrap());
    assert!(
        text.contains("`--digest` needs a number from 1 to 40"),
        "{text}"
    );
    assert!(text.contains("Usage: `/sentry subscribe"), "{text}");

    let (response, _) = app.command("issues <!channel>").await;
    let text = all_text(&response.json().await.unwrap());
    assert!(
        !text.contains("<!channel>"),
        "user input is escaped: {text}"
    );
}

#[tokio::test]
async fn commands_that_call_out_are_acked_then_answered_through_response_url() {
    let app = spawn_app().await;
    let started = Instant::now();
    let (response, response_id) = app.command("projects").await;
    let ack_elapsed = started.elapsed();
    assert_eq!(response.status().as_u16(), 200);
    // An empty acknowledgement: the answer is the command's one message.
    assert!(response.bytes().await.unwrap().is_empty());
    assert!(ack_elapsed < Duration::from_secs(2));

    let answers = app.slack.wait_for_responses(&response_id, 1).await;
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0]["response_type"], "ephemeral");
    assert!(all_text(&answers[0]).contains("No Sentry org is linked yet"));

    // The request is recorded in the store with how it ended.
    app.wait_for_log("deferred command finished").await;
    let store = sentry_slack_bot::store::Store::open(&sentry_slack_bot::config::Secret::new(
        format!("sqlite://{}", app.database_path.display()),
    ))
    .await
    .unwrap();
    let mut activity = Vec::new();
    for _ in 0..50 {
        activity = store.recent_activity(10).await.unwrap();
        if !activity.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(activity.len(), 1);
    assert_eq!(activity[0].subject, "projects");
    assert_eq!(activity[0].outcome, "answered");
    assert_eq!(activity[0].user_id, "U0ALICE");
    assert_eq!(activity[0].channel_id, "C0ALERTS");
}

#[tokio::test]
async fn a_rate_limited_response_url_is_retried_after_retry_after() {
    let app = spawn_app().await;
    // The start-up auth.test must not take the injected 429.
    app.wait_for_log("connected to Slack").await;
    app.slack.rate_limit_next(1, 1);
    let started = Instant::now();
    let (_, response_id) = app.command("orgs").await;
    let answers = app.slack.wait_for_responses(&response_id, 1).await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited for Retry-After"
    );
    assert_eq!(answers.len(), 1, "delivered once, not twice");
    let statuses: Vec<u16> = app
        .slack
        .calls()
        .iter()
        .filter(|c| c.method == "response_url")
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, [429, 200]);
}

#[tokio::test]
async fn the_log_names_the_command_and_never_the_secrets() {
    let app = spawn_app().await;
    let (_, response_id) = app.command("projects").await;
    app.slack.wait_for_responses(&response_id, 1).await;
    app.wait_for_log("deferred command finished").await;
    let logs = app.logs();
    let finished = logs
        .lines()
        .find(|l| l.contains("deferred command finished"))
        .expect("a finished line");
    let entry: Value = serde_json::from_str(finished).unwrap();
    assert_eq!(entry["span"]["team"], "T0ACME");
    assert_eq!(entry["span"]["user"], "U0ALICE");
    assert_eq!(entry["span"]["command"], "/sentry");
    assert_eq!(entry["span"]["subcommand"], "projects");
    assert!(!logs.contains(crate::support::app::BOT_TOKEN));
    assert!(!logs.contains(crate::support::app::SIGNING_SECRET));
}
