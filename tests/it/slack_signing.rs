//! Every `/slack/*` route refuses requests that Slack did not sign, and runs nothing for them.

use std::time::Duration;

use crate::support::app::{spawn_app, TestApp, SIGNING_SECRET};
use crate::support::signer;

const FORM: &str = "application/x-www-form-urlencoded";

#[test]
fn signer_matches_slacks_published_vector() {
    let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    assert_eq!(
        signer::sign("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, body),
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    );
}

/// Posts `/sentry issues api` (which would call out if it ran) with the given headers.
async fn attempt(
    app: &TestApp,
    path: &str,
    ts: Option<i64>,
    signature: impl Fn(&str) -> Option<String>,
) -> u16 {
    let (url, _) = app.slack.response_url();
    let body = TestApp::command_form("issues api", &url);
    let sig = signature(&body);
    app.post_with(path, FORM, body, ts, sig)
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn unsigned_tampered_wrong_secret_and_stale_requests_get_401_and_cause_nothing() {
    let app = spawn_app().await;
    let now = signer::now();
    for path in ["/slack/commands", "/slack/interactions", "/slack/events"] {
        assert_eq!(
            attempt(&app, path, None, |_| None).await,
            401,
            "{path}: unsigned"
        );
        assert_eq!(
            attempt(&app, path, Some(now), |_| None).await,
            401,
            "{path}: no signature"
        );
        let good = |b: &str| Some(signer::sign(SIGNING_SECRET, now, b));
        assert_eq!(
            attempt(&app, path, None, good).await,
            401,
            "{path}: no timestamp"
        );
        let tampered = |b: &str| {
            Some(signer::sign(
                SIGNING_SECRET,
                now,
                &b.replace("issues", "issue"),
            ))
        };
        assert_eq!(
            attempt(&app, path, Some(now), tampered).await,
            401,
            "{path}: tampered body"
        );
        let wrong = |b: &str| Some(signer::sign("not-the-secret", now, b));
        assert_eq!(
            attempt(&app, path, Some(now), wrong).await,
            401,
            "{path}: wrong secret"
        );
        // Times are taken afresh: a slow run must not drift them into the window.
        let stale = signer::now() - 301;
        let old = |b: &str| Some(signer::sign(SIGNING_SECRET, stale, b));
        assert_eq!(
            attempt(&app, path, Some(stale), old).await,
            401,
            "{path}: 301 s old"
        );
        let future = signer::now() + 310;
        let ahead = |b: &str| Some(signer::sign(SIGNING_SECRET, future, b));
        assert_eq!(
            attempt(&app, path, Some(future), ahead).await,
            401,
            "{path}: 310 s ahead"
        );
        let garbage = |_: &str| Some("v0=zz".to_string());
        assert_eq!(
            attempt(&app, path, Some(now), garbage).await,
            401,
            "{path}: malformed signature"
        );
        let bad_ts = |b: &str| Some(signer::sign(SIGNING_SECRET, now, b));
        let status = {
            let (url, _) = app.slack.response_url();
            let body = TestApp::command_form("issues api", &url);
            let sig = bad_ts(&body);
            app.http
                .post(app.url(path))
                .header("content-type", FORM)
                .header("x-slack-request-timestamp", "yesterday")
                .header("x-slack-signature", sig.unwrap())
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        };
        assert_eq!(status, 401, "{path}: malformed timestamp");
    }
    // A signed request inside the window is accepted (the same check, not a broken one).
    let within = signer::now() - 290;
    assert_eq!(
        attempt(&app, "/slack/commands", Some(within), |b| Some(
            signer::sign(SIGNING_SECRET, within, b)
        ))
        .await,
        200
    );
    // Give any wrongly spawned work time to call out, then check that only
    // the accepted request did.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let effects = app.slack.effects();
    assert_eq!(
        effects.len(),
        1,
        "only the accepted command may call out: {effects:#?}"
    );
    assert!(!app.logs().contains(SIGNING_SECRET));
}

#[tokio::test]
async fn ssl_check_is_answered_without_a_signature() {
    let app = spawn_app().await;
    let response = app
        .post_with(
            "/slack/commands",
            FORM,
            "ssl_check=1&token=abc".into(),
            None,
            None,
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(app.slack.effects().is_empty());
}

#[tokio::test]
async fn bodies_over_64_kib_get_413() {
    let app = spawn_app().await;
    let (url, _) = app.slack.response_url();
    let big = TestApp::command_form(&"x".repeat(64 * 1024), &url);
    let response = app.post_signed("/slack/commands", FORM, big).await;
    assert_eq!(response.status().as_u16(), 413);

    // Chunked (no Content-Length) is cut off at the same limit. The server
    // may close before the client finishes sending, which the client sees
    // as a failed send; any status that arrives must be 413.
    let status = crate::support::first_status(|_| {
        let stream = futures_stream(vec![vec![b'a'; 40 * 1024], vec![b'b'; 40 * 1024]]);
        app.http
            .post(app.url("/slack/events"))
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(stream))
    })
    .await;
    assert_eq!(status, Some(413), "an oversized chunked body");
    assert!(app.slack.effects().is_empty());
}

fn futures_stream(
    chunks: Vec<Vec<u8>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::iter(chunks.into_iter().map(Ok))
}
