//! The grant registry against a real SQLite store, the fake TapAuth and the
//! fake Sentry: caching, refresh after a 401, revocation, one token per org.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::support::fake_sentry::FakeSentry;
use crate::support::fake_tapauth::{FakeTapAuth, Step};
use sentry_slack_bot::config::{Secret, StaticGrant};
use sentry_slack_bot::orgs::grants::seal::Sealer;
use sentry_slack_bot::orgs::grants::tapauth::TapAuthClient;
use sentry_slack_bot::orgs::grants::{GrantError, Grants, Health};
use sentry_slack_bot::sentry::SentryClient;
use sentry_slack_bot::store::{GrantRow, Store};

use crate::support::ALL_SCOPES as ALL;

struct Setup {
    grants: Grants,
    client: SentryClient,
    sentry: FakeSentry,
    tapauth: FakeTapAuth,
    store: Store,
    _dir: tempfile::TempDir,
}

async fn setup(static_grant: Option<StaticGrant>) -> Setup {
    let sentry = FakeSentry::start().await;
    let tapauth = FakeTapAuth::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&Secret::new(format!(
        "sqlite://{}",
        dir.path().join("g.db").display()
    )))
    .await
    .unwrap();
    let sentry_client = SentryClient::new(
        &sentry.url().parse().unwrap(),
        std::time::Duration::from_secs(20),
    )
    .unwrap();
    let grants = Grants::new(
        store.clone(),
        Sealer::new(None),
        TapAuthClient::new(&tapauth.url().parse().unwrap()).unwrap(),
        static_grant,
        ALL.iter().map(|s| s.to_string()).collect(),
        std::time::Duration::from_secs(60),
    );
    Setup {
        grants,
        client: sentry_client,
        sentry,
        tapauth,
        store,
        _dir: dir,
    }
}

async fn link_org(s: &Setup, org: &str, grant_id: &str, steps: Vec<Step>) {
    let secret = format!("gs_{grant_id}");
    s.tapauth.add_grant(grant_id, &secret, steps);
    s.store
        .put_grant(&GrantRow {
            org_slug: org.into(),
            grant_id: grant_id.into(),
            sealed_secret: Sealer::new(None).seal(&Secret::new(secret)),
            api: "v1".into(),
            scopes: ALL.join(" "),
            health: "ok".into(),
            linked_by: "U0ADMIN".into(),
            linked_at_ms: 0,
        })
        .await
        .unwrap();
}

fn unix(secs_from_now: u64) -> String {
    (SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + secs_from_now)
        .to_string()
}

#[tokio::test]
async fn each_org_uses_its_own_token_and_tokens_are_cached() {
    let s = setup(None).await;
    s.sentry.add_org("acme", &["api"]);
    s.sentry.add_org("globex", &["web"]);
    s.sentry.add_token("tok-acme", "acme", ALL);
    s.sentry.add_token("tok-globex", "globex", ALL);
    link_org(
        &s,
        "acme",
        "g-acme",
        vec![Step::Active {
            token: "tok-acme".into(),
            expires: Some(unix(3600)),
            scopes: None,
        }],
    )
    .await;
    link_org(&s, "globex", "g-globex", vec![Step::active("tok-globex")]).await;
    let client = s.client.clone();
    for _ in 0..3 {
        for org in ["acme", "globex"] {
            let projects = s
                .grants
                .with_token(org, |token| {
                    let client = client.clone();
                    async move { client.projects(org, &token).await }
                })
                .await
                .unwrap();
            assert_eq!(projects.len(), 1);
        }
    }
    for request in s.sentry.requests() {
        let org = request.path.split('/').nth(4).unwrap().to_string();
        assert_eq!(
            request.token.as_deref(),
            Some(format!("tok-{org}").as_str()),
            "{}",
            request.path
        );
        assert_eq!(request.status, 200);
    }
    assert_eq!(
        s.tapauth.fetches("g-acme"),
        1,
        "cached until shortly before expiry"
    );
    assert_eq!(
        s.tapauth.fetches("g-globex"),
        1,
        "no expiry: cached until Sentry refuses it"
    );
}

#[tokio::test]
async fn a_401_fetches_a_fresh_token_once_and_retries() {
    let s = setup(None).await;
    s.sentry.add_org("acme", &["api"]);
    s.sentry.add_token("tok-old", "acme", ALL);
    s.sentry.add_token("tok-new", "acme", ALL);
    link_org(
        &s,
        "acme",
        "g1",
        vec![Step::active("tok-old"), Step::active("tok-new")],
    )
    .await;
    let client = s.client.clone();
    let call = |org: &'static str| {
        let client = client.clone();
        move |token: Secret| {
            let client = client.clone();
            async move { client.projects(org, &token).await }
        }
    };
    s.grants.with_token("acme", call("acme")).await.unwrap();
    s.sentry.revoke_token("tok-old");
    let projects = s.grants.with_token("acme", call("acme")).await.unwrap();
    assert_eq!(projects[0].slug, "api");
    let tokens: Vec<(String, u16)> = s
        .sentry
        .requests()
        .into_iter()
        .map(|r| (r.token.unwrap(), r.status))
        .collect();
    assert_eq!(
        tokens,
        [
            ("tok-old".to_string(), 200),
            ("tok-old".to_string(), 401),
            ("tok-new".to_string(), 200)
        ]
    );
    assert_eq!(s.tapauth.fetches("g1"), 2);

    // A token Sentry keeps refusing marks the org for re-link.
    s.sentry.revoke_token("tok-new");
    let error = s.grants.with_token("acme", call("acme")).await.unwrap_err();
    assert!(matches!(error, GrantError::NeedsRelink { .. }), "{error:?}");
    let orgs = s.grants.linked_orgs().await.unwrap();
    assert_eq!(orgs[0].health, Health::NeedsRelink);
}

#[tokio::test]
async fn revoked_grants_need_relinking_and_unknown_orgs_are_not_linked() {
    let s = setup(None).await;
    link_org(&s, "acme", "g1", vec![Step::Gone("revoked")]).await;
    let error = s.grants.token("acme").await.unwrap_err();
    assert!(matches!(error, GrantError::NeedsRelink { ref org } if org == "acme"));
    assert_eq!(
        s.store.grant("acme").await.unwrap().unwrap().health,
        "needs_relink"
    );
    // Marked: TapAuth is not asked again for every call.
    let _ = s.grants.token("acme").await;
    assert_eq!(s.tapauth.fetches("g1"), 1);
    assert!(matches!(
        s.grants.token("nope").await,
        Err(GrantError::NotLinked { .. })
    ));
}

#[tokio::test]
async fn tokens_close_to_expiry_are_fetched_again() {
    let s = setup(None).await;
    link_org(
        &s,
        "acme",
        "g1",
        vec![Step::Active {
            token: "t1".into(),
            expires: Some(unix(30)),
            scopes: None,
        }],
    )
    .await;
    s.grants.token("acme").await.unwrap();
    s.grants.token("acme").await.unwrap();
    assert_eq!(
        s.tapauth.fetches("g1"),
        2,
        "expires within the safety margin"
    );
}

#[tokio::test]
async fn a_static_token_is_used_as_is_and_its_401_is_explained() {
    let s = setup(Some(StaticGrant {
        org: "globex".into(),
        token: Secret::new("tok-static"),
    }))
    .await;
    s.sentry.add_org("globex", &["web"]);
    let client = s.client.clone();
    let error = s
        .grants
        .with_token("globex", |token| {
            let client = client.clone();
            async move { client.projects("globex", &token).await }
        })
        .await
        .unwrap_err();
    assert!(
        matches!(error, GrantError::StaticTokenRejected { .. }),
        "{error:?}"
    );
    s.sentry
        .add_token("tok-static", "globex", &["project:read"]);
    let result: Result<_, GrantError> = s
        .grants
        .with_token("globex", |token| {
            let client = client.clone();
            async move { client.projects("globex", &token).await }
        })
        .await;
    assert_eq!(result.unwrap().len(), 1);
    assert!(s.tapauth.requests().is_empty());
}

#[tokio::test]
async fn concurrent_misses_for_one_org_share_one_tapauth_fetch() {
    let s = setup(None).await;
    s.sentry.add_org("acme", &["api"]);
    s.sentry.add_token("tok-acme", "acme", ALL);
    link_org(&s, "acme", "g-acme", vec![Step::active("tok-acme")]).await;
    // The first tick after a start asks for the same org's token once per group at once.
    let tokens = futures_util::future::join_all((0..200).map(|_| s.grants.token("acme"))).await;
    assert!(tokens
        .iter()
        .all(|t| t.as_ref().is_ok_and(|t| t.expose() == "tok-acme")));
    assert_eq!(s.tapauth.fetches("g-acme"), 1);
}
