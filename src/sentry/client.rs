//! The Sentry web API client: bearer auth, timeouts, gzip, typed models,
//! per-org rate limiting, and bounded retries with jittered backoff for
//! transient failures. 400/401/403/404 are never retried.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Semaphore;
use url::Url;

use crate::config::Secret;
use crate::outbound::{http_client, RetryPolicy};
use crate::sentry::budget::{Admission, Budgets};
use crate::sentry::capabilities::{Capabilities, Gap};
use crate::sentry::error::{scope_named_in, SentryError};
use crate::sentry::models::{Event, Issue, Member, Organization, Project, Release, Team};
use crate::sentry::page_cut;
use crate::sentry::pagination::next_cursor;
pub use crate::sentry::pagination::Page;
use crate::sentry::ratelimit::RateLimitHeaders;
use crate::sentry::turns;

/// Concurrent requests per org; Sentry's default concurrent limit is higher,
/// and this keeps one busy org from starving the others.
pub const MAX_CONCURRENT_PER_ORG: usize = 5;
/// Longest a call waits in all for a rate limit to clear before failing.
pub const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(20);
/// Largest page Sentry serves.
pub const MAX_PAGE: u32 = 100;
/// Pages followed when collecting a whole list (projects, teams).
const MAX_PAGES: usize = 50;

const RETRY: RetryPolicy = RetryPolicy {
    first_delay: Duration::from_millis(200),
    max_delay: Duration::from_secs(4),
    max_retries: 3,
    max_total: Duration::from_secs(15),
};
/// Shortest wait for a spent window: `Reset` is whole seconds, and a
/// window that reset a moment ago by our clock may not have by Sentry's.
const MIN_WINDOW_WAIT: Duration = Duration::from_millis(20);
/// Rate-limit waits allowed per call, on top of the retries.
const MAX_RATE_LIMIT_RETRIES: u32 = 5;

impl IssueQuery {
    /// A project's issues matching `query`, most recent activity first.
    pub fn by_activity(
        project_slug: &str,
        project_id: &str,
        query: &str,
        limit: u32,
        cursor: Option<String>,
    ) -> Self {
        Self {
            project_slug: project_slug.to_string(),
            project_id: (!project_id.is_empty()).then(|| project_id.to_string()),
            query: query.to_string(),
            sort: "date".into(),
            limit,
            cursor,
            stats_period: "24h".into(),
        }
    }
}

/// What to list with [`SentryClient::list_issues`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssueQuery {
    /// Project slug (for the legacy path).
    pub project_slug: String,
    /// Project id (for the org path); without it the legacy path is used.
    pub project_id: Option<String>,
    /// Sentry search query; always sent.
    pub query: String,
    /// `date`, `new`, `freq`, `user`, …
    pub sort: String,
    /// Page size, at most [`MAX_PAGE`].
    pub limit: u32,
    /// Cursor from a previous page.
    pub cursor: Option<String>,
    /// The counts that ride along in each issue's `stats`: `24h` (hourly,
    /// the sparkline) or `14d` (daily, a weekly report).
    pub stats_period: String,
}

/// What an endpoint is, for errors and metrics: its name, the scope a 403
/// means is missing, and what a 404 means is missing.
#[derive(Clone, Copy, Debug)]
struct Endpoint {
    name: &'static str,
    scope: &'static str,
    not_found: &'static str,
    /// Which of Sentry's per-endpoint rate-limit windows it spends.
    family: &'static str,
    /// A 5xx means "not served here" rather than "try again": set where
    /// another path exists and routing layers of compatible servers answer
    /// unknown routes with an HTML 500.
    server_error_means_missing: bool,
}

impl Endpoint {
    const fn new(name: &'static str, scope: &'static str, not_found: &'static str) -> Self {
        Self {
            name,
            scope,
            not_found,
            family: name,
            server_error_means_missing: false,
        }
    }

    /// Spends the rate-limit window of `family` (one Sentry endpoint
    /// serving several of ours).
    const fn in_family(self, family: &'static str) -> Self {
        Self { family, ..self }
    }

    const fn missing_on_server_error(self) -> Self {
        Self {
            server_error_means_missing: true,
            ..self
        }
    }
}

const API_ROOT: Endpoint = Endpoint::new("api root", "org:read", "API");
const ORGANIZATIONS: Endpoint = Endpoint::new("organizations", "org:read", "organization");
const PROJECTS: Endpoint = Endpoint::new("org projects", "project:read", "organization");
const ISSUES: Endpoint = Endpoint::new("org issues", "event:read", "project");
const ISSUE: Endpoint = Endpoint::new("issue", "event:read", "issue");
const SHORT_ID: Endpoint = Endpoint::new("short id", "event:read", "issue");
const LATEST_EVENT: Endpoint = Endpoint::new("latest event", "event:read", "issue");
const ORG_LATEST_EVENT: Endpoint = LATEST_EVENT.missing_on_server_error();
const ISSUE_EVENTS: Endpoint = Endpoint::new("issue events", "event:read", "issue");
const ORG_ISSUE_EVENTS: Endpoint = ISSUE_EVENTS.missing_on_server_error();
// Sentry's releases API is under `project:releases`; a token with only
// `project:read` may be refused it.
const RELEASES: Endpoint = Endpoint::new("releases", "project:releases", "organization");
const UPDATE_ISSUE: Endpoint = Endpoint::new("update issue", "event:write", "issue");
const ASSIGN_ISSUE: Endpoint = Endpoint::new("assignment", "event:write", "issue")
    .missing_on_server_error()
    .in_family(UPDATE_ISSUE.family);
const MEMBERS: Endpoint = Endpoint::new("org members", "member:read", "organization");
const NOTE: Endpoint = Endpoint::new("issue note", "event:write", "issue");
const TEAMS: Endpoint = Endpoint::new("teams", "team:read", "organization");

/// Per-org admission: a concurrency cap and the rate-limit budget of each
/// endpoint family.
struct OrgGate {
    permits: Semaphore,
    /// The cap in force: [`MAX_CONCURRENT_PER_ORG`], lowered once to the
    /// server's `ConcurrentLimit` when that is smaller.
    cap: Mutex<usize>,
    budgets: Mutex<Budgets>,
}

impl OrgGate {
    fn new() -> Self {
        Self {
            permits: Semaphore::new(MAX_CONCURRENT_PER_ORG),
            cap: Mutex::new(MAX_CONCURRENT_PER_ORG),
            budgets: Mutex::default(),
        }
    }

    /// Lowers the concurrency cap to what the server allows this org, so
    /// our own requests never trip Sentry's concurrent-request limit.
    fn limit_concurrency(&self, server_limit: u64) {
        let wanted = usize::try_from(server_limit)
            .unwrap_or(usize::MAX)
            .clamp(1, MAX_CONCURRENT_PER_ORG);
        let mut cap = self.cap.lock().unwrap_or_else(|e| e.into_inner());
        if wanted < *cap {
            let removed = self.permits.forget_permits(*cap - wanted);
            *cap -= removed;
        }
    }

    fn budgets(&self) -> std::sync::MutexGuard<'_, Budgets> {
        self.budgets.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A Sentry API client shared by every org; tokens are passed per call.
#[derive(Clone)]
pub struct SentryClient {
    http: reqwest::Client,
    api_base: String,
    gates: Arc<Mutex<HashMap<String, Arc<OrgGate>>>>,
    /// Last `X-Sentry-Rate-Limit-Remaining` per org, for operators.
    remaining: Arc<Mutex<HashMap<String, u64>>>,
    /// What each org's server lacks, learned from fallbacks.
    capabilities: Arc<Capabilities>,
}

impl std::fmt::Debug for SentryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentryClient")
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

/// A response that arrived with a success status.
struct Success {
    body: bytes::Bytes,
    link: Option<String>,
    /// `X-Hits`: how many items match in all, when the server says.
    hits: Option<u64>,
}

enum Attempt {
    Done(Success),
    Fail(SentryError),
    Retry {
        reason: String,
        at: Option<SystemTime>,
    },
}

/// `error` and its causes, so a log says why a request failed (reqwest's
/// own message stops at "error sending request").
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text
}

impl SentryClient {
    /// A client for the Sentry at `base` (`SENTRY_URL`) whose requests give
    /// up after `timeout` (`SENTRY_TIMEOUT`) and are retried.
    pub fn new(base: &Url, timeout: Duration) -> Result<Self, SentryError> {
        let http = http_client(timeout)
            .gzip(true)
            .build()
            .map_err(|e| SentryError::Setup(e.to_string()))?;
        Ok(Self {
            http,
            api_base: format!("{}/api/0", base.as_str().trim_end_matches('/')),
            gates: Arc::default(),
            remaining: Arc::default(),
            capabilities: Arc::default(),
        })
    }

    /// What each org's server is known to lack.
    pub fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// Runs the `documented` call unless `org`'s server is known to lack
    /// it; when it answers "not here", runs `other` and, if that works,
    /// remembers the gap so later calls go straight to `other`.
    async fn with_fallback<T>(
        &self,
        org: &str,
        gap: Gap,
        documented: impl std::future::Future<Output = Result<T, SentryError>>,
        other: impl std::future::Future<Output = Result<T, SentryError>>,
    ) -> Result<T, SentryError> {
        if self.capabilities.lacks(org, gap) {
            return other.await;
        }
        match documented.await {
            Err(e) if e.means_missing() => {
                let result = other.await;
                // Only a missing route teaches a gap: a plain 404 is Sentry
                // saying "no such issue", which the other path may echo.
                if result.is_ok() && e.means_missing_endpoint() && self.capabilities.learn(org, gap)
                {
                    tracing::info!(org, gap = ?gap, first_answer = %e, "Sentry server lacks the documented endpoint; using the other path from now on");
                }
                result
            }
            result => result,
        }
    }

    /// The web address of the Sentry the client talks to (`SENTRY_URL`),
    /// for links to pages the API does not name, like a release.
    pub fn web_base(&self) -> &str {
        self.api_base.trim_end_matches("/api/0")
    }

    /// The last `Remaining` header seen for `org`.
    pub fn last_remaining(&self, org: &str) -> Option<u64> {
        self.remaining
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(org)
            .copied()
    }

    /// Organizations the token can see; an org-scoped token sees exactly one.
    pub async fn organizations(&self, token: &Secret) -> Result<Vec<Organization>, SentryError> {
        self.get_json("", token, ORGANIZATIONS, "/organizations/", &[])
            .await
    }

    /// The scopes of `token`, from the API root (`auth.scopes`).
    pub async fn token_scopes(&self, token: &Secret) -> Result<Vec<String>, SentryError> {
        #[derive(Deserialize)]
        struct Root {
            #[serde(default)]
            auth: Option<Auth>,
        }
        #[derive(Deserialize)]
        struct Auth {
            #[serde(default)]
            scopes: Vec<String>,
        }
        let root: Root = self.get_json("", token, API_ROOT, "/", &[]).await?;
        Ok(root.auth.map(|a| a.scopes).unwrap_or_default())
    }

    /// Every project of `org`, following pages.
    pub async fn projects(&self, org: &str, token: &Secret) -> Result<Vec<Project>, SentryError> {
        let path = format!("/organizations/{org}/projects/");
        self.collect_pages(org, token, PROJECTS, &path, &[]).await
    }

    /// One page of a project's issues. Tries the org endpoint, then the
    /// project endpoint; a server that rejects `sort=date` is asked again
    /// without `sort` (its default order is the same, last seen first).
    pub async fn list_issues(
        &self,
        org: &str,
        token: &Secret,
        q: &IssueQuery,
    ) -> Result<Page<Issue>, SentryError> {
        let sorted = !self.capabilities.lacks(org, Gap::SortByDate);
        match self.list_issues_sorted(org, token, q, sorted).await {
            Err(SentryError::BadRequest { detail })
                if sorted && detail.to_ascii_lowercase().contains("sort") =>
            {
                let result = self.list_issues_sorted(org, token, q, false).await;
                if result.is_ok() && self.capabilities.learn(org, Gap::SortByDate) {
                    tracing::info!(org, sort = %q.sort, %detail, "Sentry server rejects the sort; listing without it from now on");
                }
                result
            }
            result => result,
        }
    }

    async fn list_issues_sorted(
        &self,
        org: &str,
        token: &Secret,
        q: &IssueQuery,
        sorted: bool,
    ) -> Result<Page<Issue>, SentryError> {
        let mut params = vec![
            ("query", q.query.clone()),
            ("limit", q.limit.clamp(1, MAX_PAGE).to_string()),
            // Suggested owners, for subscriptions that mention them; servers
            // without the expansion ignore it.
            ("expand", "owners".to_string()),
        ];
        if sorted {
            params.push(("sort", q.sort.clone()));
        }
        if let Some(cursor) = &q.cursor {
            params.push(("cursor", cursor.clone()));
        }
        // Counts per bucket ride along (the sparkline, a report's chart);
        // the project endpoint calls them `statsPeriod`, the org one
        // `groupStatsPeriod` (its `statsPeriod` filters issues by time).
        let mut legacy_params = params.clone();
        legacy_params.push(("statsPeriod", q.stats_period.clone()));
        let legacy_path = format!("/projects/{org}/{}/issues/", q.project_slug);
        let legacy = self.get_page(org, token, ISSUES, &legacy_path, &legacy_params);
        let Some(project_id) = &q.project_id else {
            return legacy.await;
        };
        let mut org_params = params.clone();
        org_params.push(("project", project_id.clone()));
        org_params.push(("groupStatsPeriod", q.stats_period.clone()));
        let org_path = format!("/organizations/{org}/issues/");
        let documented = self.get_page(org, token, ISSUES, &org_path, &org_params);
        self.with_fallback(org, Gap::OrgIssueList, documented, legacy)
            .await
    }

    /// GETs the org-scoped `path` (under `/organizations/{org}`), or the
    /// same `path` at the API root where the server lacks the org-scoped one.
    async fn get_org_or_root<T: DeserializeOwned>(
        &self,
        org: &str,
        token: &Secret,
        gap: Gap,
        (scoped, root): (Endpoint, Endpoint),
        path: &str,
        params: &[(&str, String)],
    ) -> Result<T, SentryError> {
        let org_path = format!("/organizations/{org}{path}");
        let documented = self.get_json(org, token, scoped, &org_path, params);
        let other = self.get_json(org, token, root, path, params);
        self.with_fallback(org, gap, documented, other).await
    }

    /// An issue by its numeric id.
    pub async fn issue(&self, org: &str, token: &Secret, id: &str) -> Result<Issue, SentryError> {
        let path = format!("/issues/{id}/");
        // Suggested owners ride along, as on the issue page; servers
        // without the expansion ignore it.
        let params = [("expand", "owners".to_string())];
        self.get_org_or_root(org, token, Gap::OrgIssue, (ISSUE, ISSUE), &path, &params)
            .await
    }

    /// An issue by short ID, like `API-3F`.
    pub async fn issue_by_short_id(
        &self,
        org: &str,
        token: &Secret,
        short_id: &str,
    ) -> Result<Issue, SentryError> {
        #[derive(Deserialize)]
        struct Lookup {
            group: Issue,
        }
        let path = format!("/organizations/{org}/shortids/{short_id}/");
        let lookup: Lookup = self.get_json(org, token, SHORT_ID, &path, &[]).await?;
        Ok(lookup.group)
    }

    /// The latest event of an issue. A server error on the org path goes
    /// straight to the legacy path: routing layers of compatible servers
    /// answer unknown routes with an HTML 500 that retries cannot cure.
    pub async fn latest_event(
        &self,
        org: &str,
        token: &Secret,
        issue_id: &str,
    ) -> Result<Event, SentryError> {
        let path = format!("/issues/{issue_id}/events/latest/");
        let endpoints = (ORG_LATEST_EVENT, LATEST_EVENT);
        self.get_org_or_root(org, token, Gap::OrgLatestEvent, endpoints, &path, &[])
            .await
    }

    /// One page of an issue's events, newest first, with their stack traces
    /// (`full=true`), `per_page` at a time. Both `per_page` and `limit` are
    /// sent, since some compatible servers page by `limit`; a page larger
    /// than asked is cut and paged by the bot ([`page_cut`]).
    pub async fn issue_events(
        &self,
        org: &str,
        token: &Secret,
        issue_id: &str,
        per_page: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Event>, SentryError> {
        let per_page = per_page.clamp(1, MAX_PAGE);
        let (sent, skip) = page_cut::server_cursor(cursor);
        let mut params = vec![
            ("full", "true".to_string()),
            ("per_page", per_page.to_string()),
            ("limit", per_page.to_string()),
        ];
        if let Some(cursor) = sent {
            params.push(("cursor", cursor.to_string()));
        }
        let path = format!("/issues/{issue_id}/events/");
        let org_path = format!("/organizations/{org}{path}");
        let documented = self.get_page(org, token, ORG_ISSUE_EVENTS, &org_path, &params);
        let other = self.get_page(org, token, ISSUE_EVENTS, &path, &params);
        let page = self
            .with_fallback(org, Gap::OrgIssueEvents, documented, other)
            .await?;
        Ok(page_cut::cut(page, per_page as usize, sent, skip))
    }

    /// The most recent releases of a project, newest first.
    pub async fn releases(
        &self,
        org: &str,
        token: &Secret,
        project_id: &str,
        per_page: u32,
    ) -> Result<Page<Release>, SentryError> {
        let per_page = per_page.clamp(1, MAX_PAGE);
        let params = [
            ("project", project_id.to_string()),
            ("per_page", per_page.to_string()),
            ("limit", per_page.to_string()),
        ];
        let path = format!("/organizations/{org}/releases/");
        let page = self.get_page(org, token, RELEASES, &path, &params).await?;
        Ok(page_cut::cut(page, per_page as usize, None, 0))
    }

    /// Changes an issue (`status`, `assignedTo`, …) and returns what Sentry
    /// echoes, or `Null` when the echo is not JSON: compatible servers answer
    /// partially or in other shapes, so callers read the issue again to show
    /// it and a change never fails on its answer.
    pub async fn update_issue(
        &self,
        org: &str,
        token: &Secret,
        id: &str,
        body: &Value,
    ) -> Result<Value, SentryError> {
        let assigns = body.get("assignedTo").is_some();
        if assigns && self.capabilities.lacks(org, Gap::Assignment) {
            return Err(SentryError::Unsupported { what: "assignment" });
        }
        let endpoint = if assigns { ASSIGN_ISSUE } else { UPDATE_ISSUE };
        let put = |path: String| async move {
            self.request(org, token, endpoint, Method::PUT, &path, &[], Some(body))
                .await
        };
        let result = self
            .with_fallback(
                org,
                Gap::OrgIssueUpdate,
                put(format!("/organizations/{org}/issues/{id}/")),
                put(format!("/issues/{id}/")),
            )
            .await;
        match result {
            Ok(success) => Ok(serde_json::from_slice(&success.body).unwrap_or(Value::Null)),
            // Both paths exist but neither takes an assignee. On a server
            // already known to stray from the docs that means no assignment;
            // elsewhere (sentry.io) it is an outage, not a missing feature.
            Err(SentryError::EndpointMissing { status, .. }) if assigns && status >= 500 => {
                let compatible = self
                    .capabilities
                    .gaps(org)
                    .iter()
                    .any(|g| g.is_routing_deviation());
                if !compatible {
                    return Err(SentryError::Unavailable {
                        reason: format!("HTTP {status} on assignment"),
                    });
                }
                if self.capabilities.learn(org, Gap::Assignment) {
                    tracing::info!(org, status, "Sentry server does not support assignment");
                }
                Err(SentryError::Unsupported { what: "assignment" })
            }
            Err(e) => Err(e),
        }
    }

    /// A page of org members, optionally filtered by Sentry's member `query`.
    pub async fn org_members(
        &self,
        org: &str,
        token: &Secret,
        query: Option<&str>,
        cursor: Option<&str>,
    ) -> Result<Page<Member>, SentryError> {
        let mut params = Vec::new();
        if let Some(query) = query {
            params.push(("query", query.to_string()));
        }
        if let Some(cursor) = cursor {
            params.push(("cursor", cursor.to_string()));
        }
        self.get_page(
            org,
            token,
            MEMBERS,
            &format!("/organizations/{org}/members/"),
            &params,
        )
        .await
    }

    /// Every member of `org`, following pages.
    pub async fn all_members(&self, org: &str, token: &Secret) -> Result<Vec<Member>, SentryError> {
        let path = format!("/organizations/{org}/members/");
        self.collect_pages(org, token, MEMBERS, &path, &[]).await
    }

    /// Leaves a note on an issue (its activity shows it). Sends the
    /// documented `{"text": …}`; a server that rejects it (400/422) is
    /// asked once with `{"data": {"text": …}}`, and whichever works is
    /// remembered for the org. A server that takes neither, or has no
    /// notes endpoint, is remembered as keeping no notes
    /// ([`SentryError::Unsupported`]), and is not asked again.
    pub async fn add_note(
        &self,
        org: &str,
        token: &Secret,
        issue_id: &str,
        text: &str,
    ) -> Result<(), SentryError> {
        const NOTES: SentryError = SentryError::Unsupported { what: "notes" };
        if self.capabilities.lacks(org, Gap::Notes) {
            return Err(NOTES);
        }
        let path = format!("/issues/{issue_id}/comments/");
        let data_first = self.capabilities.lacks(org, Gap::NoteDataBody);
        let shapes = note_bodies(text, data_first);
        let mut last = None;
        for (attempt, body) in shapes.iter().enumerate() {
            match self
                .request(org, token, NOTE, Method::POST, &path, &[], Some(body))
                .await
            {
                Ok(_) => {
                    if attempt == 1
                        && !data_first
                        && self.capabilities.learn(org, Gap::NoteDataBody)
                    {
                        tracing::info!(org, "Sentry server takes notes as data.text");
                    }
                    return Ok(());
                }
                // Only a refusal of the body's shape says anything about
                // the server; "you have already posted that comment" (a
                // repeated note, on sentry.io) is one note failing.
                Err(SentryError::BadRequest { detail }) if is_shape_refusal(&detail) => {
                    last = Some(detail);
                }
                Err(SentryError::EndpointMissing { .. }) => break,
                Err(e) => return Err(e),
            }
        }
        if self.capabilities.learn(org, Gap::Notes) {
            let detail = last.unwrap_or_default();
            tracing::info!(org, %detail, "Sentry server keeps no notes from Slack");
        }
        Err(NOTES)
    }

    /// Every team of `org`.
    pub async fn teams(&self, org: &str, token: &Secret) -> Result<Vec<Team>, SentryError> {
        self.collect_pages(
            org,
            token,
            TEAMS,
            &format!("/organizations/{org}/teams/"),
            &[],
        )
        .await
    }

    async fn collect_pages<T: DeserializeOwned>(
        &self,
        org: &str,
        token: &Secret,
        endpoint: Endpoint,
        path: &str,
        params: &[(&str, String)],
    ) -> Result<Vec<T>, SentryError> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut page_params = params.to_vec();
            if let Some(c) = &cursor {
                page_params.push(("cursor", c.clone()));
            }
            let page: Page<T> = self
                .get_page(org, token, endpoint, path, &page_params)
                .await?;
            items.extend(page.items);
            match page.next_cursor {
                Some(next) if Some(&next) != cursor.as_ref() => cursor = Some(next),
                _ => break,
            }
        }
        Ok(items)
    }

    async fn get_page<T: DeserializeOwned>(
        &self,
        org: &str,
        token: &Secret,
        endpoint: Endpoint,
        path: &str,
        params: &[(&str, String)],
    ) -> Result<Page<T>, SentryError> {
        let success = self
            .request(org, token, endpoint, Method::GET, path, params, None)
            .await?;
        Ok(Page {
            items: decode(endpoint, &success.body)?,
            total: success.hits,
            next_cursor: success.link.as_deref().and_then(next_cursor),
        })
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        org: &str,
        token: &Secret,
        endpoint: Endpoint,
        path: &str,
        params: &[(&str, String)],
    ) -> Result<T, SentryError> {
        let success = self
            .request(org, token, endpoint, Method::GET, path, params, None)
            .await?;
        decode(endpoint, &success.body)
    }

    fn gate(&self, org: &str) -> Arc<OrgGate> {
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        gates
            .entry(org.to_string())
            .or_insert_with(|| Arc::new(OrgGate::new()))
            .clone()
    }

    #[allow(clippy::too_many_arguments)]
    async fn request(
        &self,
        org: &str,
        token: &Secret,
        endpoint: Endpoint,
        method: Method,
        path: &str,
        params: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Success, SentryError> {
        let url = format!("{}{path}", self.api_base);
        let gate = self.gate(org);
        let started = tokio::time::Instant::now();
        let mut attempts = 0u32;
        let mut schedule = RETRY.schedule();
        let optional = turns::is_optional();
        loop {
            let outcome = {
                let turn = gate.permits.acquire();
                let permit = match turns::deadline() {
                    Some(deadline) => match tokio::time::timeout_at(deadline, turn).await {
                        Ok(permit) => permit,
                        Err(_) => return Err(too_slow()),
                    },
                    None => turn.await,
                };
                let permit = permit.map_err(|e| SentryError::Setup(e.to_string()))?;
                // Spend the endpoint's window only when about to send, so
                // calls queued for a turn are not counted early; when it is
                // spent (or held by a 429), wait for the next one if that fits.
                let admission = gate
                    .budgets()
                    .admit(endpoint.family, SystemTime::now(), optional);
                if let Admission::WaitUntil(until) = admission {
                    drop(permit);
                    let wait = until
                        .duration_since(SystemTime::now())
                        .unwrap_or_default()
                        .max(MIN_WINDOW_WAIT);
                    if started.elapsed() + wait > MAX_RATE_LIMIT_WAIT {
                        return Err(SentryError::RateLimited { until });
                    }
                    if turns::would_pass_deadline(wait) {
                        if optional {
                            metrics::counter!(crate::meters::SENTRY_CALLS, "endpoint" => endpoint.name, "outcome" => "held_optional").increment(1);
                        }
                        return Err(too_slow());
                    }
                    tokio::time::sleep(wait).await;
                    continue;
                }
                attempts += 1;
                let outcome = self
                    .attempt(org, token, endpoint, &method, &url, params, body, &gate)
                    .await;
                drop(permit);
                outcome
            };
            match outcome {
                Attempt::Done(success) => return Ok(success),
                Attempt::Fail(error) => return Err(error),
                Attempt::Retry {
                    reason,
                    at: Some(until),
                } => {
                    tracing::warn!(org, endpoint = endpoint.name, %reason, "Sentry rate limit; waiting for reset");
                    gate.budgets().hold(endpoint.family, until);
                    let wait = until.duration_since(SystemTime::now()).unwrap_or_default();
                    if started.elapsed() + wait > MAX_RATE_LIMIT_WAIT
                        || attempts > MAX_RATE_LIMIT_RETRIES
                    {
                        return Err(SentryError::RateLimited { until });
                    }
                }
                Attempt::Retry { reason, at: None } => {
                    let Some(wait) = schedule.next() else {
                        return Err(SentryError::Unavailable { reason });
                    };
                    if turns::would_pass_deadline(wait) {
                        return Err(SentryError::Unavailable { reason });
                    }
                    tracing::warn!(org, endpoint = endpoint.name, attempt = attempts, %reason, "Sentry call failed; retrying");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &self,
        org: &str,
        token: &Secret,
        endpoint: Endpoint,
        method: &Method,
        url: &str,
        params: &[(&str, String)],
        body: Option<&Value>,
        gate: &OrgGate,
    ) -> Attempt {
        let mut request = self
            .http
            .request(method.clone(), url)
            .bearer_auth(token.expose())
            .query(params);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                let kind = if e.is_timeout() {
                    "timed out"
                } else {
                    "connection failed"
                };
                metrics::counter!(
                    crate::meters::SENTRY_CALLS,
                    "endpoint" => endpoint.name,
                    "outcome" => "unreachable"
                )
                .increment(1);
                return Attempt::Retry {
                    reason: format!("{kind}: {}", with_causes(&e.without_url())),
                    at: None,
                };
            }
        };
        let status = response.status();
        let outcome = match status.as_u16() {
            200..=299 => "ok",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            429 => "rate_limited",
            500..=599 => "server_error",
            _ => "client_error",
        };
        metrics::counter!(crate::meters::SENTRY_CALLS, "endpoint" => endpoint.name, "outcome" => outcome)
            .increment(1);
        let limits = RateLimitHeaders::from_headers(response.headers());
        if let Some(server_limit) = limits.concurrent_limit {
            gate.limit_concurrency(server_limit);
        }
        gate.budgets()
            .observe(endpoint.family, &limits, SystemTime::now());
        if let Some(remaining) = limits.remaining {
            metrics::gauge!(crate::meters::SENTRY_REMAINING, "org" => org.to_string())
                .set(remaining as f64);
            self.remaining
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(org.to_string(), remaining);
        }
        let link = response
            .headers()
            .get(reqwest::header::LINK)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let hits = response
            .headers()
            .get("x-hits")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(e) => {
                return Attempt::Retry {
                    reason: format!("response cut off: {}", with_causes(&e.without_url())),
                    at: None,
                }
            }
        };
        tracing::debug!(
            org,
            endpoint = endpoint.name,
            status = status.as_u16(),
            "Sentry call"
        );
        match status {
            s if s.is_success() => Attempt::Done(Success { body, link, hits }),
            StatusCode::TOO_MANY_REQUESTS => Attempt::Retry {
                reason: "HTTP 429".into(),
                at: Some(limits.retry_at(SystemTime::now(), Duration::from_secs(2))),
            },
            StatusCode::UNAUTHORIZED => Attempt::Fail(SentryError::Unauthorized),
            StatusCode::FORBIDDEN => Attempt::Fail(SentryError::Forbidden {
                scope: scope_named_in(&body).unwrap_or_else(|| endpoint.scope.to_string()),
            }),
            StatusCode::NOT_FOUND if looks_like_html(&body) => {
                Attempt::Fail(SentryError::EndpointMissing {
                    endpoint: endpoint.name,
                    status: 404,
                })
            }
            StatusCode::NOT_FOUND => Attempt::Fail(SentryError::NotFound {
                what: endpoint.not_found,
            }),
            StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_IMPLEMENTED => {
                Attempt::Fail(SentryError::EndpointMissing {
                    endpoint: endpoint.name,
                    status: status.as_u16(),
                })
            }
            s if s.is_server_error() && endpoint.server_error_means_missing => {
                Attempt::Fail(SentryError::EndpointMissing {
                    endpoint: endpoint.name,
                    status: s.as_u16(),
                })
            }
            s if s.is_server_error() => Attempt::Retry {
                reason: format!("HTTP {}", s.as_u16()),
                at: None,
            },
            s => Attempt::Fail(SentryError::BadRequest {
                detail: detail(&body).unwrap_or_else(|| format!("HTTP {}", s.as_u16())),
            }),
        }
    }
}

/// Whether a 400/422 on a note refuses the body's shape (a required field
/// missing), rather than this one note.
fn is_shape_refusal(detail: &str) -> bool {
    let detail = detail.to_ascii_lowercase();
    ["required", "missing", "field", "data", "text"]
        .iter()
        .any(|word| detail.contains(word))
        && !detail.contains("already")
}

/// A note's body in both shapes servers take, the one to try first first.
fn note_bodies(text: &str, data_first: bool) -> [Value; 2] {
    let documented = serde_json::json!({ "text": text });
    let wrapped = serde_json::json!({ "data": { "text": text } });
    if data_first {
        [wrapped, documented]
    } else {
        [documented, wrapped]
    }
}

fn decode<T: DeserializeOwned>(endpoint: Endpoint, body: &[u8]) -> Result<T, SentryError> {
    serde_json::from_slice(body).map_err(|e| SentryError::Decode {
        endpoint: endpoint.name,
        message: e.to_string(),
        // A web page where the API should be: maybe the route is not an API here.
        html: looks_like_html(body),
    })
}

/// Whether a body is an HTML page rather than JSON.
fn looks_like_html(body: &[u8]) -> bool {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    body[start..].first() == Some(&b'<')
}

/// Sentry's `{"detail": "…"}` error text, shortened.
fn detail(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let text = match &value["detail"] {
        Value::String(s) => s.clone(),
        Value::Null => return None,
        other => other.to_string(),
    };
    Some(text.chars().take(300).collect())
}

/// The error for a command whose wait for a turn ran out.
fn too_slow() -> SentryError {
    SentryError::TooSlow {
        waited: turns::give_up(),
    }
}
