//! The Sentry client against the fake Sentry: pagination, rate limits,
//! retries, typed errors and lenient decoding.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::support::fake_sentry::{FakeSentry, Fault};
use sentry_slack_bot::config::Secret;
use sentry_slack_bot::sentry::{IssueQuery, SentryClient, SentryError};
use serde_json::json;

use crate::support::ALL_SCOPES;

async fn setup() -> (FakeSentry, SentryClient, Secret) {
    let sentry = FakeSentry::start().await;
    sentry.add_org("acme", &["api", "web"]);
    sentry.add_token("tok-acme", "acme", ALL_SCOPES);
    let client = SentryClient::new(
        &sentry.url().parse().unwrap(),
        std::time::Duration::from_secs(20),
    )
    .unwrap();
    (sentry, client, Secret::new("tok-acme"))
}

fn query(sentry: &FakeSentry, limit: u32, cursor: Option<String>) -> IssueQuery {
    IssueQuery {
        project_slug: "api".into(),
        project_id: Some(sentry.project_id("acme", "api")),
        query: "is:unresolved".into(),
        sort: "date".into(),
        limit,
        cursor,
        stats_period: "24h".into(),
    }
}

#[tokio::test]
async fn lists_issues_across_three_pages_passing_cursors_back_verbatim() {
    let (sentry, client, token) = setup().await;
    for _ in 0..5 {
        sentry.add_issue("acme", "api", json!({}));
    }
    sentry.add_issue("acme", "web", json!({}));
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = client
            .list_issues("acme", &token, &query(&sentry, 2, cursor))
            .await
            .unwrap();
        pages += 1;
        seen.extend(page.items.into_iter().map(|i| i.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 5, "only the api project's issues, each once");
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5);
    let requests = sentry.requests();
    assert_eq!(requests[0].path, "/api/0/organizations/acme/issues/");
    assert_eq!(
        requests[0].param("query"),
        Some("is:unresolved"),
        "query is always sent"
    );
    assert_eq!(
        requests[0].param("project"),
        Some(sentry.project_id("acme", "api").as_str())
    );
    assert_eq!(requests[0].param("cursor"), None);
    assert_eq!(requests[1].param("cursor"), Some("1764374400000:2:0"));
    assert_eq!(requests[2].param("cursor"), Some("1764374400000:4:0"));
    assert_eq!(requests[0].token.as_deref(), Some("tok-acme"));
    assert!(requests[0].user_agent.starts_with("sentry-slack-bot/"));
}

#[tokio::test]
async fn whole_lists_follow_every_page() {
    let sentry = FakeSentry::start().await;
    let slugs: Vec<String> = (0..250).map(|i| format!("p{i}")).collect();
    let refs: Vec<&str> = slugs.iter().map(String::as_str).collect();
    sentry.add_org("big", &refs);
    sentry.add_token("tok", "big", ALL_SCOPES);
    let client = SentryClient::new(
        &sentry.url().parse().unwrap(),
        std::time::Duration::from_secs(20),
    )
    .unwrap();
    let projects = client.projects("big", &Secret::new("tok")).await.unwrap();
    assert_eq!(projects.len(), 250);
    assert_eq!(sentry.requests().len(), 3);
}

#[tokio::test]
async fn a_malformed_link_header_means_no_next_page_not_an_error() {
    let (sentry, client, token) = setup().await;
    for _ in 0..3 {
        sentry.add_issue("acme", "api", json!({}));
    }
    sentry.push_faults([Fault::BrokenLink(
        "<http://x>; rel=next; results=maybe; cursor=".into(),
    )]);
    let page = client
        .list_issues("acme", &token, &query(&sentry, 2, None))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.next_cursor, None);

    // Odd spacing and single quotes are still understood.
    sentry.push_faults([Fault::BrokenLink(
        "  <http://x/?a=1> ;rel = 'next';  results='true' ; cursor='abc:2:0' ".into(),
    )]);
    let page = client
        .list_issues("acme", &token, &query(&sentry, 2, None))
        .await
        .unwrap();
    assert_eq!(page.next_cursor.as_deref(), Some("abc:2:0"));
}

#[tokio::test]
async fn waits_until_reset_after_a_429() {
    let (sentry, client, token) = setup().await;
    sentry.add_issue("acme", "api", json!({}));
    sentry.push_faults([Fault::RateLimited {
        reset_in: Duration::from_secs(2),
    }]);
    let page = client
        .list_issues("acme", &token, &query(&sentry, 10, None))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let requests = sentry.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].status, 429);
    let reset_secs = requests[0].at.duration_since(UNIX_EPOCH).unwrap() + Duration::from_secs(2);
    let reset = UNIX_EPOCH + Duration::from_secs(reset_secs.as_secs_f64().ceil() as u64);
    assert!(requests[1].at >= reset, "no request before Reset");

    // Other calls to the same endpoint also wait rather than hammer; Sentry
    // limits each endpoint on its own, so another endpoint goes at once.
    sentry.push_faults([Fault::RateLimited {
        reset_in: Duration::from_secs(1),
    }]);
    let later = || async {
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (a, b, c) = tokio::join!(
        client.issue("acme", &token, "nope"),
        async {
            later().await;
            client.issue("acme", &token, "nope-either").await
        },
        async {
            later().await;
            client.projects("acme", &token).await
        }
    );
    assert!(matches!(a, Err(SentryError::NotFound { what: "issue" })));
    assert!(matches!(b, Err(SentryError::NotFound { what: "issue" })));
    assert!(c.is_ok());
    let requests = sentry.requests();
    let limited = requests.iter().rposition(|r| r.status == 429).unwrap();
    let blocked_until = requests[limited].at + Duration::from_millis(500);
    let after = &requests[limited + 1..];
    assert!(after
        .iter()
        .filter(|r| r.path.contains("/issues/"))
        .all(|r| r.at >= blocked_until));
    assert!(after
        .iter()
        .any(|r| r.path.contains("/projects/") && r.at < blocked_until));
}

#[tokio::test]
async fn a_429_past_the_wait_budget_is_reported_with_its_time() {
    let (sentry, client, token) = setup().await;
    sentry.push_faults([Fault::RateLimited {
        reset_in: Duration::from_secs(60),
    }]);
    let started = Instant::now();
    let error = client.organizations(&token).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "does not sit out a long limit"
    );
    let SentryError::RateLimited { until } = error else {
        panic!("{error:?}")
    };
    assert!(until > SystemTime::now() + Duration::from_secs(50));
    assert!(error.retry_after_secs().unwrap() >= 50);
    assert_eq!(sentry.requests().len(), 1);
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_then_succeed() {
    let (sentry, client, token) = setup().await;
    sentry.push_faults([Fault::Status(502), Fault::Status(503)]);
    let orgs = client.organizations(&token).await.unwrap();
    assert_eq!(orgs[0].slug, "acme");
    let requests = sentry.requests();
    assert_eq!(
        requests.iter().map(|r| r.status).collect::<Vec<_>>(),
        [502, 503, 200]
    );
    let first_gap = requests[1].at.duration_since(requests[0].at).unwrap();
    assert!(
        first_gap >= Duration::from_millis(90),
        "backed off: {first_gap:?}"
    );

    // A lasting outage ends in Unavailable after a bounded number of tries.
    sentry.push_faults(std::iter::repeat_n(Fault::Status(500), 10));
    let error = client.organizations(&token).await.unwrap_err();
    assert!(
        matches!(error, SentryError::Unavailable { .. }),
        "{error:?}"
    );
    assert_eq!(sentry.requests().len(), 3 + 4);
}

#[tokio::test]
async fn client_errors_are_typed_and_never_retried() {
    let (sentry, client, _) = setup().await;
    sentry.add_token(
        "tok-read",
        "acme",
        &["org:read", "project:read", "event:read"],
    );
    let id = sentry.add_issue("acme", "api", json!({}));

    let error = client
        .update_issue(
            "acme",
            &Secret::new("tok-read"),
            &id,
            &json!({ "status": "resolved" }),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            SentryError::Forbidden { ref scope } if scope == "event:write"
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("`event:write`"));

    let error = client
        .organizations(&Secret::new("tok-wrong"))
        .await
        .unwrap_err();
    assert!(matches!(error, SentryError::Unauthorized));

    let error = client
        .issue("acme", &Secret::new("tok-acme"), "999")
        .await
        .unwrap_err();
    assert!(matches!(error, SentryError::NotFound { what: "issue" }));
    // 403, 401, and 404 on both the org path and the legacy fallback: four requests, no retries.
    assert_eq!(sentry.requests().len(), 4);
}

#[tokio::test]
async fn malformed_and_truncated_bodies_become_decode_errors_naming_the_endpoint() {
    let (sentry, client, token) = setup().await;
    sentry.push_faults([Fault::Malformed]);
    let error = client.organizations(&token).await.unwrap_err();
    let SentryError::Decode { endpoint, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*endpoint, "organizations");
    sentry.push_faults([Fault::Truncated]);
    let error = client
        .list_issues("acme", &token, &query(&sentry, 10, None))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            SentryError::Decode {
                endpoint: "org issues",
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn issue_lookups_events_and_updates() {
    let (sentry, client, token) = setup().await;
    let id = sentry.add_issue(
        "acme",
        "api",
        json!({ "title": "KeyError: 'user'", "count": 7 }),
    );
    let short_id = sentry.issue(&id).unwrap()["shortId"]
        .as_str()
        .unwrap()
        .to_string();

    let by_id = client.issue("acme", &token, &id).await.unwrap();
    assert_eq!(by_id.title, "KeyError: 'user'");
    assert_eq!(by_id.count, Some(7));
    let by_short = client
        .issue_by_short_id("acme", &token, &short_id)
        .await
        .unwrap();
    assert_eq!(by_short.id, id);
    let event = client.latest_event("acme", &token, &id).await.unwrap();
    assert_eq!(event.tag("release"), Some("api@1.2.3"));

    let echo = client
        .update_issue(
            "acme",
            &token,
            &id,
            &json!({ "status": "resolved", "statusDetails": { "inNextRelease": true } }),
        )
        .await
        .unwrap();
    assert_eq!(echo["status"], "resolved");
    let put = sentry
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .unwrap();
    assert_eq!(put.path, format!("/api/0/organizations/acme/issues/{id}/"));
    assert_eq!(
        put.body,
        json!({ "status": "resolved", "statusDetails": { "inNextRelease": true } })
    );
    assert_eq!(sentry.issue(&id).unwrap()["status"], "resolved");
}

#[tokio::test]
async fn legacy_project_path_is_used_without_a_project_id() {
    let (sentry, client, token) = setup().await;
    sentry.add_issue("acme", "api", json!({}));
    let mut q = query(&sentry, 10, None);
    q.project_id = None;
    let page = client.list_issues("acme", &token, &q).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(
        sentry.requests()[0].path,
        "/api/0/projects/acme/api/issues/"
    );
}

#[tokio::test]
async fn member_search_runs_server_side_in_a_2000_member_org() {
    let (sentry, client, token) = setup().await;
    sentry.add_members("acme", 2000);
    sentry.add_team("acme", "backend");
    let page = client
        .org_members("acme", &token, Some("member1999@"), None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].user.as_ref().unwrap().id, "101999");
    let all_first = client
        .org_members("acme", &token, None, None)
        .await
        .unwrap();
    assert_eq!(all_first.items.len(), 100);
    assert!(all_first.next_cursor.is_some());
    let teams = client.teams("acme", &token).await.unwrap();
    assert_eq!(teams[0].slug, "backend");
}

#[tokio::test]
async fn the_remaining_budget_is_tracked_per_org() {
    let (sentry, client, token) = setup().await;
    sentry.set_rate_limit(40);
    client.organizations(&token).await.unwrap();
    let remaining = client.last_remaining("").or(client.last_remaining("acme"));
    assert!(remaining.is_some_and(|r| r < 40));
}

#[test]
fn the_fake_counts_requests_per_endpoint_as_sentry_io_does() {
    use crate::support::fake_sentry::endpoint_of;
    use axum::http::Method;
    let cases = [
        (
            Method::GET,
            "/api/0/organizations/acme/issues/",
            "GET organizations/{}/issues",
        ),
        (
            Method::GET,
            "/api/0/organizations/globex/issues/",
            "GET organizations/{}/issues",
        ),
        (
            Method::GET,
            "/api/0/projects/acme/api/issues/",
            "GET projects/{}/{}/issues",
        ),
        (
            Method::GET,
            "/api/0/issues/42/events/latest/",
            "GET issues/{}/events/latest",
        ),
        (
            Method::GET,
            "/api/0/organizations/acme/issues/42/events/latest/",
            "GET organizations/{}/issues/{}/events/latest",
        ),
        (
            Method::GET,
            "/api/0/issues/42/events/",
            "GET issues/{}/events",
        ),
        (Method::PUT, "/api/0/issues/42/", "PUT issues/{}"),
        (Method::GET, "/api/0/issues/42/", "GET issues/{}"),
        (
            Method::GET,
            "/api/0/organizations/acme/shortids/API-3F/",
            "GET organizations/{}/shortids/{}",
        ),
        (
            Method::GET,
            "/api/0/organizations/acme/members/",
            "GET organizations/{}/members",
        ),
    ];
    for (method, path, endpoint) in cases {
        assert_eq!(endpoint_of(&method, path), endpoint, "{path}");
    }
}

#[tokio::test]
async fn sixty_lists_at_once_stay_within_sentry_ios_window_of_forty() {
    let (sentry, client, token) = setup().await;
    sentry.add_issue("acme", "api", json!({}));
    let q = query(&sentry, 10, None);
    let started = Instant::now();
    let lists = (0..60).map(|_| client.list_issues("acme", &token, &q));
    let answers = futures_util::future::join_all(lists).await;
    assert!(answers.iter().all(Result::is_ok), "every list answered");
    let refused = sentry.requests().iter().filter(|r| r.status == 429).count();
    // Only the calls sent before the first answer told the budget can overrun it.
    assert!(
        refused <= sentry_slack_bot::sentry::client::MAX_CONCURRENT_PER_ORG,
        "{refused} refused"
    );
    // More than one window's worth: some waited for the next window.
    let windows: std::collections::BTreeSet<u64> = sentry
        .requests()
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.at.duration_since(UNIX_EPOCH).unwrap().as_secs())
        .collect();
    assert!(
        windows.len() >= 2,
        "{windows:?} after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_spent_endpoint_holds_only_itself() {
    let (sentry, client, token) = setup().await;
    let id = sentry.add_issue("acme", "api", json!({}));
    sentry.set_endpoint_limit("GET organizations/{}/issues/{}/events/latest", 0);
    sentry.set_endpoint_limit("GET issues/{}/events/latest", 0);
    let (spent, _) = sentry_slack_bot::sentry::turns::within(Duration::from_millis(1500), async {
        client.latest_event("acme", &token, &id).await
    })
    .await;
    assert!(
        matches!(
            spent,
            Err(SentryError::TooSlow { .. } | SentryError::RateLimited { .. })
        ),
        "{spent:?}"
    );
    // The issue list has its own window: it goes at once.
    let started = Instant::now();
    client
        .list_issues("acme", &token, &query(&sentry, 10, None))
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
}
