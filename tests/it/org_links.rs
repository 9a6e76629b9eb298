//! `/sentry link`, `/sentry unlink` and `/sentry orgs` through signed
//! requests against the service, a fake TapAuth, fake Sentry and fake Slack.

use crate::support::message_text as text;

use crate::support::app::{spawn_app, spawn_app_with, TestApp};
use crate::support::fake_tapauth::Step;
use serde_json::Value;

use crate::support::ALL_SCOPES as ALL;
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

async fn stored_grants(app: &TestApp) -> Vec<(String, String, String)> {
    let mut conn = app.database().await;
    sqlx::query_as("SELECT org_slug, grant_id, grant_secret FROM grants ORDER BY org_slug")
        .fetch_all(&mut conn)
        .await
        .unwrap()
}

/// Runs `/sentry link` as an admin and returns the two answers (approval, outcome).
async fn link(app: &TestApp) -> (Value, Value) {
    let (response, id) = app.command_as("U0ADMIN", "link").await;
    assert_eq!(response.status().as_u16(), 200);
    let answers = app.slack.wait_for_responses(&id, 2).await;
    (answers[0].clone(), answers[1].clone())
}

#[tokio::test]
async fn an_admin_links_an_org_after_approval() {
    let app = spawn_app_with(vec![("GRANT_ENCRYPTION_KEY", KEY.into())]).await;
    app.sentry.add_org("acme", &["api"]);
    app.sentry.add_token("sntrys_acme_1", "acme", ALL);
    app.tapauth.script_next_grant(vec![
        Step::Pending,
        Step::Pending,
        Step::Active {
            token: "sntrys_acme_1".into(),
            expires: Some("2099-01-01T00:00:00Z".into()),
            scopes: Some(ALL.join(" ")),
        },
    ]);
    let (approval, outcome) = link(&app).await;

    assert_eq!(approval["response_type"], "ephemeral");
    assert!(text(&approval)
        .contains("Approve in Sentry and pick the org — the link expires in 10 minutes"));
    let button = &approval["blocks"][0]["accessory"];
    assert_eq!(button["type"], "button");
    assert_eq!(
        button["url"],
        format!("{}/approve/grant_1", app.tapauth.url())
    );
    assert!(
        text(&outcome).contains("Linked org *acme*"),
        "{}",
        text(&outcome)
    );
    assert!(text(&outcome).contains("`event:write`"));
    assert!(!text(&outcome).contains("Not granted"));

    // TapAuth got the scopes as a list and was polled until approval.
    assert_eq!(app.tapauth.requested_scopes("grant_1"), ALL);
    assert_eq!(app.tapauth.fetches("grant_1"), 3);
    let create = &app.tapauth.requests()[0];
    assert_eq!(create.path, "/api/v1/grants");
    assert_eq!(create.body["provider"], "sentry");
    // Sentry was asked which org the token covers.
    let asked = app.sentry.requests();
    assert_eq!(asked[0].path, "/api/0/organizations/");
    assert_eq!(asked[0].token.as_deref(), Some("sntrys_acme_1"));

    // Stored for the org, the grant secret sealed at rest.
    let grants = stored_grants(&app).await;
    assert_eq!(grants.len(), 1);
    assert_eq!(
        (grants[0].0.as_str(), grants[0].1.as_str()),
        ("acme", "grant_1")
    );
    assert!(grants[0].2.starts_with("sealed:v1:"));
    let bytes = std::fs::read(&app.database_path).unwrap();
    let haystack = String::from_utf8_lossy(&bytes);
    let secret = app.tapauth.requests()[1].bearer.clone().unwrap();
    assert!(
        !haystack.contains(&secret),
        "grant secret is not stored in the clear"
    );

    // Nothing secret in the logs or in Slack.
    app.wait_for_log("org linked").await;
    let logs = app.logs();
    assert!(!logs.contains(&secret));
    assert!(!logs.contains("sntrys_acme_1"));
    for call in app.slack.calls() {
        assert!(!call.body.to_string().contains(&secret));
        assert!(!call.body.to_string().contains("sntrys_acme_1"));
    }

    // `/sentry orgs` shows it.
    let (_, id) = app.command("orgs").await;
    let orgs = text(&app.slack.wait_for_responses(&id, 1).await[0]);
    assert!(
        orgs.contains("*acme* — TapAuth grant, linked by <@U0ADMIN>"),
        "{orgs}"
    );
    assert!(orgs.contains(":large_green_circle: working"), "{orgs}");
    assert!(orgs.contains("token refreshed"), "{orgs}");
    assert!(orgs.contains("<@U0ADMIN>"));
}

#[tokio::test]
async fn a_denied_or_expired_approval_is_reported_and_nothing_is_stored() {
    let app = spawn_app().await;
    app.tapauth
        .script_next_grant(vec![Step::Pending, Step::Gone("denied")]);
    let (_, outcome) = link(&app).await;
    assert!(
        text(&outcome).contains("The approval was declined"),
        "{}",
        text(&outcome)
    );
    assert!(text(&outcome).contains("Run `/sentry link` to start again"));

    app.tapauth
        .script_next_grant(vec![Step::Gone("link_expired")]);
    let (_, outcome) = link(&app).await;
    assert!(text(&outcome).contains("expired before it was used"));
    assert!(stored_grants(&app).await.is_empty());
}

#[tokio::test]
async fn only_admins_and_listed_users_may_link_or_unlink() {
    let app = spawn_app().await;
    let (_, id) = app.command_as("U0ALICE", "link").await;
    let answer = text(&app.slack.wait_for_responses(&id, 1).await[0]);
    assert!(
        answer.contains("Only Slack workspace admins and owners can link or unlink"),
        "{answer}"
    );
    let (_, id) = app.command_as("U0ALICE", "unlink acme").await;
    assert!(text(&app.slack.wait_for_responses(&id, 1).await[0])
        .contains("Only Slack workspace admins"));
    assert!(app.tapauth.requests().is_empty(), "no grant was asked for");

    // Owners count as admins.
    app.sentry.add_org("acme", &[]);
    app.sentry.add_token("sntrys_default", "acme", ALL);
    let (_, id) = app.command_as("U0OWNER", "link").await;
    assert!(text(&app.slack.wait_for_responses(&id, 2).await[1]).contains("Linked org *acme*"));

    let listed = spawn_app_with(vec![("ADMIN_SLACK_USERS", "U0ALICE, U0BOB".into())]).await;
    listed.sentry.add_org("acme", &[]);
    listed.sentry.add_token("sntrys_default", "acme", ALL);
    let (_, id) = listed.command_as("U0ALICE", "link").await;
    assert!(text(&listed.slack.wait_for_responses(&id, 2).await[1]).contains("Linked org *acme*"));
    let (_, id) = listed.command_as("U0CAROL", "link").await;
    let denied = text(&listed.slack.wait_for_responses(&id, 1).await[0]);
    assert!(denied.contains("<@U0ALICE>, <@U0BOB>"), "{denied}");
}

#[tokio::test]
async fn relinking_replaces_the_grant_only_after_approval_and_unlink_forgets_it() {
    let app = spawn_app().await;
    app.sentry.add_org("acme", &["api"]);
    app.sentry.add_token("sntrys_one", "acme", ALL);
    app.sentry.add_token("sntrys_two", "acme", ALL);
    app.tapauth
        .script_next_grant(vec![Step::active("sntrys_one")]);
    link(&app).await;
    assert_eq!(stored_grants(&app).await[0].1, "grant_1");

    // While the second link waits for approval, the first grant stays in place.
    app.tapauth.script_next_grant(
        vec![Step::Pending; 8]
            .into_iter()
            .chain([Step::active("sntrys_two")])
            .collect(),
    );
    let (_, id) = app.command_as("U0ADMIN", "link").await;
    app.slack.wait_for_responses(&id, 1).await;
    assert_eq!(stored_grants(&app).await[0].1, "grant_1");
    let answers = app.slack.wait_for_responses(&id, 2).await;
    assert!(
        text(&answers[1]).contains("replaces the previous connection"),
        "{}",
        text(&answers[1])
    );
    let grants = stored_grants(&app).await;
    assert_eq!(grants.len(), 1, "exactly one grant per org");
    assert_eq!(grants[0].1, "grant_2");

    let (_, id) = app.command_as("U0ADMIN", "unlink acme").await;
    let answer = text(&app.slack.wait_for_responses(&id, 1).await[0]);
    assert!(answer.contains("Unlinked *acme*"));
    assert!(answer.contains("uninstall the integration"));
    assert!(stored_grants(&app).await.is_empty());
    let (_, id) = app.command_as("U0ADMIN", "unlink acme").await;
    assert!(text(&app.slack.wait_for_responses(&id, 1).await[0]).contains("*acme* is not linked"));
    let (_, id) = app.command("orgs").await;
    assert!(text(&app.slack.wait_for_responses(&id, 1).await[0])
        .contains("No Sentry org is linked yet"));
}

#[tokio::test]
async fn fewer_scopes_than_asked_are_named() {
    let app = spawn_app().await;
    app.sentry.add_org("acme", &[]);
    app.sentry.add_token(
        "sntrys_ro",
        "acme",
        &["org:read", "project:read", "event:read"],
    );
    app.tapauth.script_next_grant(vec![Step::Active {
        token: "sntrys_ro".into(),
        expires: Some("1893456000".into()),
        scopes: Some("org:read project:read event:read".into()),
    }]);
    let (_, outcome) = link(&app).await;
    let outcome = text(&outcome);
    assert!(outcome.contains("Linked org *acme*"));
    assert!(
        outcome.contains("Not granted: `team:read`, `member:read`, `event:write`"),
        "{outcome}"
    );
    assert!(outcome.contains("resolve, archive or assign issues will not work"));
}

#[tokio::test]
async fn the_legacy_tapauth_api_is_used_when_v1_is_missing() {
    let app = spawn_app().await;
    app.tapauth.legacy_only();
    app.sentry.add_org("acme", &[]);
    app.sentry.add_token("sntrys_legacy", "acme", ALL);
    app.tapauth
        .script_next_grant(vec![Step::Pending, Step::active("sntrys_legacy")]);
    let (approval, outcome) = link(&app).await;
    assert!(approval["blocks"][0]["accessory"]["url"]
        .as_str()
        .unwrap()
        .ends_with("/approve/grant_1"));
    assert!(
        text(&outcome).contains("Linked org *acme*"),
        "{}",
        text(&outcome)
    );
    let paths: Vec<String> = app.tapauth.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/api/v1/grants",
            "/api/grants",
            "/api/grants/grant_1/token",
            "/api/grants/grant_1/token"
        ]
    );
}

#[tokio::test]
async fn a_static_token_org_is_shown_and_cannot_be_unlinked_from_slack() {
    let app = spawn_app_with(vec![
        ("SENTRY_AUTH_TOKEN", "sntrys_static".into()),
        ("SENTRY_ORG", "globex".into()),
    ])
    .await;
    let (_, id) = app.command("orgs").await;
    let orgs = text(&app.slack.wait_for_responses(&id, 1).await[0]);
    assert!(
        orgs.contains("*globex* — static token from the server's environment"),
        "{orgs}"
    );
    let (_, id) = app.command_as("U0ADMIN", "unlink globex").await;
    assert!(text(&app.slack.wait_for_responses(&id, 1).await[0])
        .contains("remove SENTRY_AUTH_TOKEN and SENTRY_ORG"));
    assert!(!app.logs().contains("sntrys_static"));
}
