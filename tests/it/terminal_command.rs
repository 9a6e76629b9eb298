//! `sentry-slack-bot command …`: the same commands and grants in a terminal, without Slack.

use std::process::{Command, Output};

use crate::support::fake_sentry::FakeSentry;
use serde_json::{json, Value};

async fn run(sentry: &FakeSentry, dir: &tempfile::TempDir, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sentry-slack-bot"));
    command
        .arg("command")
        .args(args)
        .current_dir(dir.path())
        .env_clear()
        .env("SENTRY_URL", sentry.url())
        .env("SENTRY_AUTH_TOKEN", "tok-acme")
        .env("SENTRY_ORG", "acme")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("cli.db").display()),
        );
    tokio::task::spawn_blocking(move || command.output().expect("runs"))
        .await
        .unwrap()
}

#[tokio::test]
async fn runs_commands_with_a_sentry_token_and_no_slack_settings() {
    let sentry = FakeSentry::start().await;
    sentry.add_org("acme", &["api"]);
    sentry.add_token(
        "tok-acme",
        "acme",
        &["org:read", "project:read", "event:read"],
    );
    let error_id = sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "ValueError: bad <input> & more", "level": "error" }),
    );
    sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "Just a warning", "level": "warning" }),
    );
    let dir = tempfile::tempdir().unwrap();

    let out = run(&sentry, &dir, &["issues", "api", "level:error"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("*acme/api* · `level:error` · page 1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ValueError: bad <input> & more"),
        "entities decoded for the terminal: {stdout}"
    );
    assert!(
        stdout.contains("(https://acme.sentry.io/issues/"),
        "{stdout}"
    );
    assert!(!stdout.contains("Just a warning"));
    let request = sentry
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/issues/"))
        .unwrap();
    assert_eq!(request.param("query"), Some("level:error"));

    let out = run(&sentry, &dir, &["--json", "issues", "api"]).await;
    assert!(out.status.success());
    let payload: Value = serde_json::from_slice(&out.stdout).expect("JSON payload");
    assert_eq!(payload["response_type"], "ephemeral");
    assert!(payload["blocks"].as_array().unwrap().len() >= 3);
    assert!(payload
        .to_string()
        .contains("ValueError: bad &lt;input&gt; &amp; more"));

    // The same `events` and `releases` as in Slack.
    let short = sentry.issue(&error_id).unwrap()["shortId"]
        .as_str()
        .unwrap()
        .to_string();
    let out = run(&sentry, &dir, &["events", &short, "3"]).await;
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Recent events of"), "{stdout}");
    assert!(stdout.contains("user0@example.com"), "{stdout}");
    sentry.add_release("acme", "api", "api@2.0.0", json!({ "newGroups": 2 }));
    let out = run(&sentry, &dir, &["releases", "api"]).await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("api@2.0.0"));

    let out = run(&sentry, &dir, &["orgs"]).await;
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("*acme* — static token from the server's environment"));

    let out = run(&sentry, &dir, &["isues", "api"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Did you mean `/sentry issues`?"));

    let out = run(&sentry, &dir, &["link"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("happen in Slack"));
}
