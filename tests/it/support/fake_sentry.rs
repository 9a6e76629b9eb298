//! A fake Sentry web API on 127.0.0.1 that behaves like the real one where
//! the bot depends on it: org-scoped bearer tokens with scopes (401/403 with
//! Sentry's `detail` bodies), `Link` pagination with opaque cursors and
//! `results` flags, and sentry.io's real rate limits by default: 40
//! requests per 1-second window per caller (token) **and endpoint**, 25
//! concurrent requests per caller, `X-Sentry-Rate-Limit-*` headers on every
//! answer and a 429 (with `Reset`, no `Retry-After`, as sentry.io answers)
//! past either; plus injectable faults (5xx, delays, malformed and
//! truncated bodies). A test that needs more headroom asks for it with
//! [`FakeSentry::set_rate_limit`].
//!
//! In [`Mode::Compatible`] it plays a Sentry-compatible server (or an older
//! self-hosted Sentry) that strays from the docs in the ways seen in the
//! wild: `sort=date` rejected with 422, GET on org-scoped issue paths
//! answering 405 with HTML, a `Link` header wrapped as a stringified set,
//! opaque base64 cursors, no short-ID endpoint, an HTML 500 from the
//! org-scoped latest event, issues without `assignedTo`/`substatus`/
//! `priority`/`statusDetails`, partial snake_case PUT answers, assignment
//! answering 500, `[]` for unknown projects, notes taken only as
//! `{"data": {"text"}}` (422 otherwise), and no rate-limit headers.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};

/// Which server the fake plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// sentry.io as documented.
    SentryIo,
    /// A Sentry-compatible server that strays from the docs.
    Compatible,
}

/// Sorts a compatible server accepts.
const COMPATIBLE_SORTS: [&str; 5] = ["last_seen", "-last_seen", "first_seen", "count", "priority"];

/// A fault applied to the next request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer with this status and a Sentry-style body.
    Status(u16),
    /// 429 with `X-Sentry-Rate-Limit-Reset` this many seconds ahead (rounded up).
    RateLimited { reset_in: Duration },
    /// Wait this long before answering normally.
    Delay(Duration),
    /// A 200 whose body is not JSON.
    Malformed,
    /// A 200 whose JSON is cut off.
    Truncated,
    /// A 200 with a broken `Link` header.
    BrokenLink(String),
    /// The connection drops after the status line, mid-body.
    Reset,
}

/// One request the fake received.
#[derive(Clone, Debug)]
pub struct Request {
    /// HTTP method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Query parameters in order.
    pub query: Vec<(String, String)>,
    /// Bearer token.
    pub token: Option<String>,
    /// JSON body, for PUTs.
    pub body: Value,
    /// When it arrived.
    pub at: SystemTime,
    /// Status answered.
    pub status: u16,
    /// User-Agent.
    pub user_agent: String,
}

impl Request {
    /// The first value of query parameter `key`.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Org {
    id: String,
    slug: String,
    projects: Vec<Value>,
    issues: Vec<Value>,
    /// Notes left on issues: (issue id, text).
    notes: Vec<(String, String)>,
    members: Vec<Value>,
    teams: Vec<Value>,
    /// Releases, newest first, each with `projects: [{id, slug}]`.
    releases: Vec<Value>,
    /// Events by issue id, newest first; issues without are given some.
    events: HashMap<String, Vec<Value>>,
}

struct Inner {
    mode: Mode,
    /// Notes are refused with a 500.
    fail_notes: bool,
    /// Notes are refused in every shape (a server that keeps none).
    refuse_notes: bool,
    /// Reads of an issue changed since this was set answer a broken body.
    garble_read_backs: Option<std::collections::HashSet<String>>,
    orgs: Vec<Org>,
    /// token → (org slug, scopes)
    tokens: HashMap<String, (String, Vec<String>)>,
    faults: VecDeque<Fault>,
    requests: Vec<Request>,
    /// Requests per window per caller and endpoint.
    limit: u64,
    /// Limits of single endpoints (by [`endpoint_of`]), over `limit`.
    endpoint_limits: HashMap<String, u64>,
    /// Concurrent requests per caller.
    concurrent_limit: u64,
    /// Time every answer takes.
    latency: Duration,
    /// Time a change's answer takes after the change is made.
    slow_writes: Duration,
    /// (token, endpoint) → (requests in the window, when it resets, Unix s).
    windows: HashMap<(String, String), (u64, u64)>,
    /// token → requests in flight.
    in_flight: HashMap<String, u64>,
    next_id: u64,
}

/// Handle to a running fake Sentry.
#[derive(Clone)]
pub struct FakeSentry {
    /// Where it listens.
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

impl FakeSentry {
    /// Starts an empty fake playing sentry.io.
    pub async fn start() -> Self {
        Self::start_in(Mode::SentryIo).await
    }

    /// Starts an empty fake playing `mode`.
    pub async fn start_in(mode: Mode) -> Self {
        let inner = Arc::new(Mutex::new(Inner {
            mode,
            fail_notes: false,
            refuse_notes: false,
            garble_read_backs: None,
            orgs: Vec::new(),
            tokens: HashMap::new(),
            faults: VecDeque::new(),
            requests: Vec::new(),
            limit: SENTRY_IO_LIMIT,
            endpoint_limits: HashMap::new(),
            concurrent_limit: SENTRY_IO_CONCURRENT_LIMIT,
            latency: Duration::ZERO,
            slow_writes: Duration::ZERO,
            windows: HashMap::new(),
            in_flight: HashMap::new(),
            next_id: 4_509_000_000,
        }));
        let router = Router::new().fallback(handle).with_state(inner.clone());
        let addr = super::serve_on_loopback(router, "fake Sentry").await;
        Self { addr, inner }
    }

    /// The base URL, as `SENTRY_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Adds an org with projects (`slug`s); returns nothing, ids are assigned.
    pub fn add_org(&self, slug: &str, projects: &[&str]) {
        let mut inner = self.inner.lock().unwrap();
        let id = (inner.orgs.len() + 1).to_string();
        let projects = projects
            .iter()
            .enumerate()
            .map(|(i, p)| json!({ "id": format!("{id}{:03}", i + 1), "slug": p, "name": p.to_uppercase(), "platform": "python" }))
            .collect();
        inner.orgs.push(Org {
            id,
            slug: slug.to_string(),
            projects,
            ..Org::default()
        });
    }

    /// A token for `org` with `scopes`.
    pub fn add_token(&self, token: &str, org: &str, scopes: &[&str]) {
        self.inner.lock().unwrap().tokens.insert(
            token.to_string(),
            (
                org.to_string(),
                scopes.iter().map(|s| s.to_string()).collect(),
            ),
        );
    }

    /// Forgets a token, so it answers 401 from now on.
    pub fn revoke_token(&self, token: &str) {
        self.inner.lock().unwrap().tokens.remove(token);
    }

    /// The id of project `slug` in `org`.
    pub fn project_id(&self, org: &str, slug: &str) -> String {
        let inner = self.inner.lock().unwrap();
        let org = inner.orgs.iter().find(|o| o.slug == org).expect("org");
        let project = org
            .projects
            .iter()
            .find(|p| p["slug"] == slug)
            .expect("project");
        project["id"].as_str().unwrap().to_string()
    }

    /// Adds an issue to `org/project`; `overrides` replace default fields. Returns its id.
    pub fn add_issue(&self, org: &str, project: &str, overrides: Value) -> String {
        let project_id = self.project_id(org, project);
        let mut inner = self.inner.lock().unwrap();
        inner.next_id += 1;
        let id = inner.next_id.to_string();
        let org_entry = inner.orgs.iter_mut().find(|o| o.slug == org).expect("org");
        let n = org_entry.issues.len() + 1;
        let mut issue = default_issue(org, project, &project_id, &id, n);
        merge(&mut issue, &overrides);
        org_entry.issues.push(issue);
        id
    }

    /// Adds many issues at once, as a burst between two polls: no request
    /// sees only some of them. Returns their ids.
    pub fn add_issues(&self, org: &str, project: &str, overrides: Vec<Value>) -> Vec<String> {
        let project_id = self.project_id(org, project);
        // One lock for the whole burst keeps it atomic for readers.
        let mut inner = self.inner.lock().unwrap();
        let mut ids = Vec::new();
        for extra in overrides {
            inner.next_id += 1;
            let id = inner.next_id.to_string();
            let org_entry = inner.orgs.iter_mut().find(|o| o.slug == org).expect("org");
            let n = org_entry.issues.len() + 1;
            let mut issue = default_issue(org, project, &project_id, &id, n);
            merge(&mut issue, &extra);
            org_entry.issues.push(issue);
            ids.push(id);
        }
        ids
    }

    /// Adds `count` members to `org`, named `member{i}`.
    pub fn add_members(&self, org: &str, count: usize) {
        let mut inner = self.inner.lock().unwrap();
        let org_entry = inner.orgs.iter_mut().find(|o| o.slug == org).expect("org");
        for i in 0..count {
            let n = org_entry.members.len() + i + 1;
            org_entry.members.push(json!({
                "id": format!("m{n}"),
                "email": format!("member{n}@{org}.test"),
                "name": format!("Member {n}"),
                "user": { "id": format!("{}", 100_000 + n), "name": format!("Member {n}"), "email": format!("member{n}@{org}.test") }
            }));
        }
    }

    /// Adds one member with a Sentry user id and email.
    pub fn add_member(&self, org: &str, user_id: &str, name: &str, email: &str) {
        let mut inner = self.inner.lock().unwrap();
        let org_entry = inner.orgs.iter_mut().find(|o| o.slug == org).expect("org");
        let n = org_entry.members.len() + 1;
        org_entry.members.push(json!({
            "id": format!("m{n}"), "email": email, "name": name,
            "user": { "id": user_id, "name": name, "email": email }
        }));
    }

    /// Changes fields of issue `id`, as activity in Sentry would.
    pub fn update_issue(&self, id: &str, changes: Value) {
        let mut inner = self.inner.lock().unwrap();
        for org in inner.orgs.iter_mut() {
            for issue in org.issues.iter_mut().filter(|i| i["id"] == id) {
                for (k, v) in changes.as_object().expect("object") {
                    issue[k] = v.clone();
                }
            }
        }
    }

    /// Removes an issue, as a deletion in Sentry would.
    /// Applies `changes` to every issue of every org.
    #[allow(dead_code)]
    pub fn update_all_issues(&self, changes: Value) {
        let mut inner = self.inner.lock().unwrap();
        for issue in inner.orgs.iter_mut().flat_map(|org| org.issues.iter_mut()) {
            for (k, v) in changes.as_object().expect("object") {
                issue[k] = v.clone();
            }
        }
    }

    pub fn delete_issue(&self, id: &str) {
        let mut inner = self.inner.lock().unwrap();
        for org in inner.orgs.iter_mut() {
            org.issues.retain(|i| i["id"] != id);
        }
    }

    /// Adds a team to `org`.
    pub fn add_team(&self, org: &str, slug: &str) {
        let mut inner = self.inner.lock().unwrap();
        let org_entry = inner.orgs.iter_mut().find(|o| o.slug == org).expect("org");
        let id = format!("{}", 500 + org_entry.teams.len());
        org_entry
            .teams
            .push(json!({ "id": id, "slug": slug, "name": slug }));
    }

    /// Every answer from now on takes `latency` (a slow Sentry).
    pub fn set_latency(&self, latency: Duration) {
        self.inner.lock().unwrap().latency = latency;
    }

    /// Changes (PUT) are made at once but answered `delay` later, as a
    /// loaded server does: other readers see a change before its maker hears
    /// it was accepted.
    pub fn set_slow_writes(&self, delay: Duration) {
        self.inner.lock().unwrap().slow_writes = delay;
    }

    /// Queues faults for the next requests, in order.
    pub fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.inner.lock().unwrap().faults.extend(faults);
    }

    /// Sets the requests allowed per window per endpoint (the `Limit`
    /// header), and as many concurrent requests (at least sentry.io's 25):
    /// headroom for a test that needs more than sentry.io gives.
    pub fn set_rate_limit(&self, limit: u64) {
        let mut inner = self.inner.lock().unwrap();
        inner.limit = limit;
        inner.concurrent_limit = SENTRY_IO_CONCURRENT_LIMIT.max(limit);
    }

    /// Sets one endpoint's requests per window, like `GET
    /// issues/{}/events/latest` (see [`endpoint_of`]); 0 refuses them all.
    #[allow(dead_code)]
    pub fn set_endpoint_limit(&self, endpoint: &str, limit: u64) {
        self.inner
            .lock()
            .unwrap()
            .endpoint_limits
            .insert(endpoint.to_string(), limit);
    }

    /// Replaces the events of `issue_id` (newest first).
    pub fn set_events(&self, issue_id: &str, events: Vec<Value>) {
        let mut inner = self.inner.lock().unwrap();
        for org in &mut inner.orgs {
            if org.issues.iter().any(|i| i["id"] == issue_id) {
                org.events.insert(issue_id.to_string(), events);
                return;
            }
        }
        panic!("no issue {issue_id}");
    }

    /// Adds a release of `project` (newest last added first); `overrides`
    /// replace the defaults.
    pub fn add_release(&self, org: &str, project: &str, version: &str, overrides: Value) {
        let project_id = self.project_id(org, project);
        let mut inner = self.inner.lock().unwrap();
        let org_entry = inner.orgs.iter_mut().find(|o| o.slug == org).expect("org");
        let mut release = json!({
            "version": version,
            "shortVersion": version,
            "dateCreated": "2026-11-28T12:00:00Z",
            "dateReleased": null,
            "newGroups": 0,
            "commitCount": 0,
            "lastDeploy": null,
            "projects": [{ "id": project_id.parse::<u64>().unwrap_or(0), "slug": project }],
        });
        merge(&mut release, &overrides);
        org_entry.releases.insert(0, release);
    }

    /// The bodies of every PUT (issue change) so far, in order.
    #[allow(dead_code)]
    pub fn put_bodies(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "PUT")
            .map(|r| r.body)
            .collect()
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// Refuses notes with a 500 from now on (or accepts them again).
    pub fn fail_notes(&self, fail: bool) {
        self.inner.lock().unwrap().fail_notes = fail;
    }

    /// Refuses notes in every shape with a 400/422 from now on, as a
    /// server without notes does (or accepts them again).
    pub fn refuse_notes(&self, refuse: bool) {
        self.inner.lock().unwrap().refuse_notes = refuse;
    }

    /// From now on, reading an issue back after it was changed answers a
    /// body that is not JSON, as a server mid-outage might.
    pub fn garble_read_backs(&self) {
        self.inner.lock().unwrap().garble_read_backs = Some(Default::default());
    }

    /// The notes left on issue `id`, oldest first.
    pub fn notes(&self, id: &str) -> Vec<String> {
        let inner = self.inner.lock().unwrap();
        inner
            .orgs
            .iter()
            .flat_map(|o| o.notes.iter())
            .filter(|(issue, _)| issue == id)
            .map(|(_, text)| text.clone())
            .collect()
    }

    /// The stored issue `id` as Sentry would return it.
    pub fn issue(&self, id: &str) -> Option<Value> {
        let inner = self.inner.lock().unwrap();
        inner
            .orgs
            .iter()
            .flat_map(|o| o.issues.iter())
            .find(|i| i["id"] == id)
            .cloned()
    }
}

/// An issue as sentry.io lists it, numbered `n` in its org.
fn default_issue(org: &str, project: &str, project_id: &str, id: &str, n: usize) -> Value {
    json!({
        "id": id,
        "shortId": format!("{}-{:X}", project.to_uppercase(), n + 0x20),
        "title": format!("Error number {n}"),
        "culprit": "app.handlers in handle",
        "permalink": format!("https://{org}.sentry.io/issues/{id}/"),
        "level": "error",
        "status": "unresolved",
        "substatus": "new",
        "firstSeen": "2026-11-28T10:00:00Z",
        "lastSeen": "2026-11-29T00:00:00Z",
        "count": "12",
        "userCount": 3,
        "project": { "id": project_id, "slug": project, "name": project.to_uppercase() },
        "assignedTo": null,
        "metadata": { "type": "Error", "value": format!("number {n}") },
        "isBookmarked": false,
        // Lists carry 24 hourly buckets (`statsPeriod=24h`, the default),
        // the last one this hour.
        "stats": hourly_stats(&(0..24u64).map(|h| h % 5).collect::<Vec<_>>()),
    })
}

/// An event as some compatible servers spell it: `event_id` and
/// `date_created`, and no camelCase twin.
fn snake_case_event(event: &Value) -> Value {
    let mut event = event.clone();
    if let Some(fields) = event.as_object_mut() {
        for (camel, snake) in [("eventID", "event_id"), ("dateCreated", "date_created")] {
            if let Some(value) = fields.remove(camel) {
                fields.insert(snake.to_string(), value);
            }
        }
        fields.remove("id");
    }
    event
}

/// Twelve events of `issue`, newest first: two environments, three
/// releases, a user each, and a crash frame that moves every few events.
fn default_events(issue: &Value) -> Vec<Value> {
    (0..12u64)
        .map(|k| {
            let frame = if k < 4 { "app/handlers.py" } else { "app/legacy.py" };
            json!({
                "id": format!("{:032x}", 0x9fac_0000_u64 + k),
                "eventID": format!("{:032x}", 0x9fac_0000_u64 + k),
                "dateCreated": format!("2026-11-29T0{}:{:02}:00Z", k / 6, 59 - k),
                "title": issue["title"],
                "message": issue["metadata"]["value"],
                "tags": [
                    { "key": "environment", "value": if k % 2 == 0 { "production" } else { "staging" } },
                    { "key": "release", "value": format!("api@1.2.{}", 3 - k % 3) }
                ],
                "user": { "id": format!("u{k}"), "email": format!("user{k}@example.com"), "ip_address": "10.0.0.1" },
                "entries": [{ "type": "exception", "data": { "values": [{
                    "type": "Error", "value": issue["metadata"]["value"],
                    "stacktrace": { "frames": [
                        { "filename": frame, "function": "handle", "lineNo": 42, "inApp": true }
                    ] }
                }] } }]
            })
        })
        .collect()
}

/// Replaces `issue`'s fields with those of `overrides`.
fn merge(issue: &mut Value, overrides: &Value) {
    if let (Some(target), Some(extra)) = (issue.as_object_mut(), overrides.as_object()) {
        for (k, v) in extra {
            target.insert(k.clone(), v.clone());
        }
    }
}

fn detail(status: StatusCode, detail: &str) -> Response {
    (status, axum::Json(json!({ "detail": detail }))).into_response()
}

/// The scope an endpoint needs; `write` scopes include `read`.
fn required_scope(method: &Method, segments: &[&str]) -> &'static str {
    match (method, segments) {
        (&Method::PUT, _) => "event:write",
        (_, ["organizations"]) => "org:read",
        (_, ["organizations", _, "projects"]) => "project:read",
        (_, ["organizations", _, "members"]) | (_, ["projects", _, _, "members"]) => "member:read",
        (_, ["organizations", _, "teams"]) => "team:read",
        _ => "event:read",
    }
}

fn has_scope(scopes: &[String], needed: &str) -> bool {
    scopes.iter().any(|s| {
        s == needed
            || (needed.ends_with(":read") && s == &needed.replace(":read", ":write"))
            || (needed.ends_with(":read") && s == &needed.replace(":read", ":admin"))
    })
}

async fn handle(
    State(inner): State<Arc<Mutex<Inner>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default();
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let user_agent = headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body_json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let caller = token.clone().unwrap_or_default();
    let endpoint = endpoint_of(&method, uri.path());
    // sentry.io counts a request against its window when it arrives, and
    // against the caller's concurrent requests while it is served.
    let (fault, latency, limits) = {
        let mut guard = inner.lock().unwrap();
        let limits = (guard.mode == Mode::SentryIo).then(|| admit(&mut guard, &caller, &endpoint));
        let path = uri.path().trim_end_matches('/').to_string();
        let issue_in_path = path
            .rsplit_once("/issues/")
            .map(|(_, id)| id.to_string())
            .filter(|id| !id.contains('/'));
        let mut fault = guard.faults.pop_front();
        if let (Some(changed), Some(id)) = (guard.garble_read_backs.as_mut(), issue_in_path) {
            if method == Method::PUT {
                changed.insert(id);
            } else if method == Method::GET && changed.contains(&id) {
                fault = fault.or(Some(Fault::Malformed));
            }
        }
        (fault, guard.latency, limits)
    };
    let _in_flight = InFlight {
        inner: inner.clone(),
        caller: caller.clone(),
    };
    let refused = limits.as_ref().and_then(|l| l.refusal);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let (Some(Fault::Delay(d)), None) = (&fault, refused) {
        tokio::time::sleep(*d).await;
    }
    let mut response = match refused {
        Some(reason) => detail(StatusCode::TOO_MANY_REQUESTS, reason),
        None => {
            let mut guard = inner.lock().unwrap();
            answer(
                &mut guard,
                &method,
                uri.path(),
                &query,
                token.as_deref(),
                &body_json,
                fault.clone(),
            )
        }
    };
    let slow_write = inner.lock().unwrap().slow_writes;
    if method == Method::PUT && !slow_write.is_zero() {
        tokio::time::sleep(slow_write).await;
    }
    // Rate-limit headers on every answer, like sentry.io (compatible servers send none).
    if let Some(limits) = &limits {
        let in_flight = inner
            .lock()
            .unwrap()
            .in_flight
            .get(&caller)
            .copied()
            .unwrap_or(0);
        rate_limit_headers(response.headers_mut(), limits, in_flight);
    }
    inner.lock().unwrap().requests.push(Request {
        method: method.to_string(),
        path: uri.path().to_string(),
        query,
        token,
        body: body_json,
        at: SystemTime::now(),
        status: response.status().as_u16(),
        user_agent,
    });
    response
}

/// sentry.io's documented default: requests per 1-second window, per caller and endpoint.
pub const SENTRY_IO_LIMIT: u64 = 40;
/// sentry.io's common concurrent-request limit per caller.
pub const SENTRY_IO_CONCURRENT_LIMIT: u64 = 25;

/// One request's place in its caller's limits.
struct Limits {
    limit: u64,
    remaining: u64,
    reset: u64,
    concurrent_limit: u64,
    /// Why the request is refused with 429, when it is.
    refusal: Option<&'static str>,
}

/// Counts a request of `caller` on `endpoint` and says whether it is over a limit.
fn admit(inner: &mut Inner, caller: &str, endpoint: &str) -> Limits {
    let limit = inner
        .endpoint_limits
        .get(endpoint)
        .copied()
        .unwrap_or(inner.limit);
    let now = now_secs();
    let window = inner
        .windows
        .entry((caller.to_string(), endpoint.to_string()))
        .or_insert((0, 0));
    if window.1 <= now {
        // Fixed 1-second windows, as sentry.io's default.
        *window = (0, now + 1);
    }
    window.0 += 1;
    let (used, reset) = *window;
    let in_flight = inner.in_flight.entry(caller.to_string()).or_insert(0);
    *in_flight += 1;
    let refusal = if *in_flight > inner.concurrent_limit {
        Some("You are attempting to go above the allowed concurrency for this endpoint. Concurrency limit is 25")
    } else if used > limit {
        Some("You are attempting to use this endpoint too frequently. Limit is 40 requests in 1 seconds")
    } else {
        None
    };
    Limits {
        limit,
        remaining: limit.saturating_sub(used),
        reset,
        concurrent_limit: inner.concurrent_limit,
        refusal,
    }
}

/// Takes a request off its caller's concurrent count when it is answered
/// (or the caller hangs up).
struct InFlight {
    inner: Arc<Mutex<Inner>>,
    caller: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = inner.in_flight.get_mut(&self.caller) {
            *n = n.saturating_sub(1);
        }
    }
}

/// The endpoint a request spends, as sentry.io counts it: method and path
/// with the ids and slugs left out, like `GET organizations/{}/issues`.
pub fn endpoint_of(method: &Method, path: &str) -> String {
    let path = path.trim_start_matches("/api/0/").trim_matches('/');
    let segments: Vec<&str> = path.split('/').collect();
    let mut template = Vec::with_capacity(segments.len());
    let mut i = 0;
    while i < segments.len() {
        let segment = segments[i];
        template.push(segment);
        // What follows these words is a name or an id.
        let names = match (i, segment) {
            (0, "projects") => 2,
            (_, "organizations" | "issues" | "shortids" | "comments" | "teams") => 1,
            (_, "events") if segments.get(i + 1) != Some(&"latest") => 1,
            _ => 0,
        };
        for _ in 0..names {
            if i + 1 < segments.len() {
                template.push("{}");
                i += 1;
            }
        }
        i += 1;
    }
    format!("{method} {}", template.join("/"))
}

/// The `X-Sentry-Rate-Limit-*` headers sentry.io sends on every answer.
fn rate_limit_headers(h: &mut HeaderMap, limits: &Limits, in_flight: u64) {
    h.insert("x-sentry-rate-limit-limit", HeaderValue::from(limits.limit));
    h.insert(
        "x-sentry-rate-limit-remaining",
        HeaderValue::from(limits.remaining),
    );
    h.entry("x-sentry-rate-limit-reset")
        .or_insert(HeaderValue::from(limits.reset));
    h.insert(
        "x-sentry-rate-limit-concurrentlimit",
        HeaderValue::from(limits.concurrent_limit),
    );
    h.insert(
        "x-sentry-rate-limit-concurrentremaining",
        HeaderValue::from(limits.concurrent_limit.saturating_sub(in_flight)),
    );
}

fn answer(
    inner: &mut Inner,
    method: &Method,
    path: &str,
    query: &[(String, String)],
    token: Option<&str>,
    body: &Value,
    fault: Option<Fault>,
) -> Response {
    match fault {
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap();
            return (status, "<html><body>upstream error</body></html>").into_response();
        }
        Some(Fault::RateLimited { reset_in }) => {
            let reset = (SystemTime::now() + reset_in)
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs_f64()
                .ceil() as u64;
            let mut response = detail(StatusCode::TOO_MANY_REQUESTS, "You are attempting to use this endpoint too frequently. Limit is 40 requests in 1 seconds");
            response
                .headers_mut()
                .insert("x-sentry-rate-limit-reset", HeaderValue::from(reset));
            return response;
        }
        _ => {}
    }
    let param = |key: &str| {
        query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let Some(path) = path.strip_prefix("/api/0/") else {
        return detail(
            StatusCode::NOT_FOUND,
            "The requested resource does not exist",
        );
    };
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let Some((token_org, scopes)) = token.and_then(|t| inner.tokens.get(t)).cloned() else {
        return detail(StatusCode::UNAUTHORIZED, "Invalid token");
    };
    if segments == [""] {
        // The API root tells a token its own scopes.
        return ok_json(json!({ "version": "0", "auth": { "scopes": scopes }, "user": null }));
    }
    let needed = required_scope(method, &segments);
    if !has_scope(&scopes, needed) {
        return detail(
            StatusCode::FORBIDDEN,
            "You do not have permission to perform this action.",
        );
    }
    let org_in_path = match segments.as_slice() {
        ["organizations", org, ..] | ["projects", org, ..] => Some(*org),
        _ => None,
    };
    if org_in_path.is_some_and(|o| o != token_org) {
        return detail(
            StatusCode::FORBIDDEN,
            "You do not have permission to perform this action.",
        );
    }
    let compatible = inner.mode == Mode::Compatible;
    // Releases sit behind their own scope on this server, and it says so.
    if compatible
        && matches!(segments.as_slice(), ["organizations", _, "releases"])
        && !scopes.iter().any(|s| s == "project:releases")
    {
        return detail(
            StatusCode::FORBIDDEN,
            "You do not have permission to perform this action. Missing required scope: project:releases",
        );
    }
    if compatible {
        if let Some(response) = compatible_deviation(method, &segments, query, body) {
            return response;
        }
    }
    let Some(org) = inner.orgs.iter_mut().find(|o| o.slug == token_org) else {
        return detail(
            StatusCode::NOT_FOUND,
            "The requested resource does not exist",
        );
    };
    let org_summary = json!({ "id": org.id, "slug": org.slug, "name": org.slug.to_uppercase() });
    let response = match (method, segments.as_slice()) {
        (&Method::GET, ["organizations"]) => ok_json(json!([org_summary])),
        (&Method::GET, ["organizations", _, "projects"]) => {
            paginate(&org.projects, query, 100, compatible)
        }
        (&Method::GET, ["organizations", _, "issues", id, "events"])
        | (&Method::GET, ["issues", id, "events"]) => {
            let Some(issue) = org.issues.iter().find(|i| i["id"] == *id) else {
                return detail(
                    StatusCode::NOT_FOUND,
                    "The requested resource does not exist",
                );
            };
            let events = org
                .events
                .get(*id)
                .cloned()
                .unwrap_or_else(|| default_events(issue));
            if compatible {
                // snake_case fields, and pages by `limit` (ignoring `per_page`).
                let events: Vec<Value> = events.iter().map(snake_case_event).collect();
                let limit = param("limit")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(100usize)
                    .min(100);
                return paginate(&events, query, limit, compatible);
            }
            let per_page = param("per_page")
                .and_then(|v| v.parse().ok())
                .unwrap_or(100usize)
                .min(100);
            paginate(&events, query, per_page, compatible)
        }
        (&Method::GET, ["organizations", _, "releases"]) => {
            let project = param("project");
            let releases: Vec<Value> = org
                .releases
                .iter()
                .filter(|r| {
                    project.as_ref().is_none_or(|p| {
                        r["projects"]
                            .as_array()
                            .is_some_and(|ps| ps.iter().any(|x| x["id"].as_u64() == p.parse().ok()))
                    })
                })
                .cloned()
                .collect();
            let per_page = param("per_page")
                .and_then(|v| v.parse().ok())
                .unwrap_or(100usize)
                .min(100);
            paginate(&releases, query, per_page, compatible)
        }
        (&Method::GET, ["organizations", _, "issues"]) => {
            let Some(project) = param("project") else {
                return detail(StatusCode::BAD_REQUEST, "project is required by this fake");
            };
            list_issues(org, query, compatible, "groupStatsPeriod", |i| {
                i["project"]["id"] == project
            })
        }
        (&Method::GET, ["projects", _, slug, "issues"]) => {
            if !org.projects.iter().any(|p| p["slug"] == *slug) {
                if compatible {
                    return ok_json(json!([]));
                }
                return detail(
                    StatusCode::NOT_FOUND,
                    "The requested resource does not exist",
                );
            }
            let slug = slug.to_string();
            list_issues(org, query, compatible, "statsPeriod", |i| {
                i["project"]["slug"] == slug
            })
        }
        (&Method::GET, ["organizations", _, "issues", id]) | (&Method::GET, ["issues", id]) => {
            match org.issues.iter().find(|i| i["id"] == *id) {
                Some(issue) => {
                    let expand = query.iter().any(|(k, v)| k == "expand" && v == "owners");
                    ok_json(as_served(issue, compatible, expand))
                }
                None => detail(
                    StatusCode::NOT_FOUND,
                    "The requested resource does not exist",
                ),
            }
        }
        (&Method::GET, ["organizations", _, "shortids", short]) => {
            match org.issues.iter().find(|i| {
                i["shortId"]
                    .as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(short))
            }) {
                Some(issue) => ok_json(json!({
                    "organizationSlug": org.slug, "projectSlug": issue["project"]["slug"],
                    "groupId": issue["id"], "shortId": issue["shortId"], "group": issue
                })),
                None => detail(StatusCode::NOT_FOUND, "Short ID not found"),
            }
        }
        (&Method::GET, ["organizations", _, "issues", id, "events", "latest"])
        | (&Method::GET, ["issues", id, "events", "latest"]) => {
            match org.issues.iter().find(|i| i["id"] == *id) {
                Some(issue) => ok_json(json!({
                    "eventID": "9fac2ceed9344f2bbfdd1fdacb0ed9b1",
                    "title": issue["title"],
                    "message": issue["metadata"]["value"],
                    "tags": [{ "key": "environment", "value": "production" }, { "key": "release", "value": "api@1.2.3" }],
                    "entries": [{ "type": "exception", "data": { "values": [{
                        "type": issue["metadata"]["type"], "value": issue["metadata"]["value"],
                        "mechanism": { "type": "generic", "handled": false },
                        "stacktrace": { "frames": [
                            { "filename": "app/views.py", "function": "dispatch", "lineNo": 12, "inApp": true },
                            { "filename": "app/handlers.py", "function": "handle", "lineNo": 42, "inApp": true },
                            { "filename": "lib/http.py", "function": "send", "lineNo": 7, "inApp": false }
                        ] }
                    }] } }]
                })),
                None => detail(
                    StatusCode::NOT_FOUND,
                    "The requested resource does not exist",
                ),
            }
        }
        (&Method::PUT, ["organizations", _, "issues", id]) | (&Method::PUT, ["issues", id]) => {
            let Some(issue) = org.issues.iter_mut().find(|i| i["id"] == *id) else {
                return detail(
                    StatusCode::NOT_FOUND,
                    "The requested resource does not exist",
                );
            };
            let Some(changes) = body.as_object() else {
                return detail(StatusCode::BAD_REQUEST, "body must be a JSON object");
            };
            let latest_release = org.releases.first().map(|r| r["version"].clone());
            for (k, v) in changes {
                if k == "assignedTo" {
                    let assignee = v
                        .as_str()
                        .and_then(|a| a.split_once(':'))
                        .map(|(kind, id)| json!({ "type": kind, "id": id, "name": id }));
                    issue["assignedTo"] = assignee.unwrap_or(Value::Null);
                } else if k != "statusDetails" {
                    issue[k] = v.clone();
                }
            }
            if changes.contains_key("status") {
                // sentry.io keeps the conditions as it renders them (an
                // expiry time, not the minutes asked); the compatible
                // server takes them and keeps none.
                issue["statusDetails"] = if compatible {
                    json!({})
                } else {
                    kept_details(&body["statusDetails"], latest_release)
                };
            }
            if compatible {
                // Partial and snake_case, as some compatible servers answer.
                return ok_json(json!({ "status": issue["status"], "status_details": {} }));
            }
            let mut echo = changes.clone();
            echo.insert("statusDetails".into(), issue["statusDetails"].clone());
            ok_json(Value::Object(echo))
        }
        (&Method::POST, ["issues", _, "comments"]) if inner.fail_notes => {
            detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Error")
        }
        (&Method::POST, ["issues", id, "comments"]) => {
            if !org.issues.iter().any(|i| i["id"] == *id) {
                return detail(
                    StatusCode::NOT_FOUND,
                    "The requested resource does not exist",
                );
            }
            // sentry.io takes `{"text"}` and answers 400 otherwise; the
            // compatible server takes only `{"data": {"text"}}`, with 422.
            let (text, refusal) = if compatible {
                (
                    body["data"]["text"].as_str(),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
            } else {
                (body["text"].as_str(), StatusCode::BAD_REQUEST)
            };
            let Some(text) = text.filter(|_| !inner.refuse_notes) else {
                return detail(refusal, "text: This field is required.");
            };
            let text = text.to_string();
            // sentry.io refuses the same note on the same issue again.
            if !compatible && org.notes.iter().any(|(i, t)| i == id && *t == text) {
                return detail(
                    StatusCode::BAD_REQUEST,
                    "You have already posted that comment.",
                );
            }
            org.notes.push((id.to_string(), text.clone()));
            (
                StatusCode::CREATED,
                axum::Json(json!({ "id": org.notes.len().to_string(), "type": "note", "data": { "text": text } })),
            )
                .into_response()
        }
        (&Method::GET, ["organizations", _, "members"]) => {
            let needle = param("query").unwrap_or("").to_lowercase();
            let matches: Vec<Value> = org
                .members
                .iter()
                .filter(|m| {
                    needle.is_empty()
                        || m["email"]
                            .as_str()
                            .unwrap_or("")
                            .to_lowercase()
                            .contains(&needle)
                        || m["name"]
                            .as_str()
                            .unwrap_or("")
                            .to_lowercase()
                            .contains(&needle)
                })
                .cloned()
                .collect();
            paginate(&matches, query, 100, compatible)
        }
        (&Method::GET, ["projects", _, _, "members"]) => {
            paginate(&org.members, query, 100, compatible)
        }
        (&Method::GET, ["organizations", _, "teams"]) => {
            paginate(&org.teams, query, 100, compatible)
        }
        _ => detail(
            StatusCode::NOT_FOUND,
            "The requested resource does not exist",
        ),
    };
    match fault {
        Some(Fault::Malformed) => (
            StatusCode::OK,
            "<html>Sentry is down for maintenance</html>",
        )
            .into_response(),
        Some(Fault::Truncated) => {
            let status = response.status();
            let text = serde_json::to_string(&json!([{ "id": "1", "title": "cut" }])).unwrap();
            (status, text[..text.len() / 2].to_string()).into_response()
        }
        Some(Fault::Reset) => {
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(Bytes::from_static(b"[{\"id\": ")),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "connection reset by peer",
                )),
            ];
            let body = axum::body::Body::from_stream(futures_util::stream::iter(chunks));
            (StatusCode::OK, body).into_response()
        }
        Some(Fault::BrokenLink(link)) => {
            let mut response = response;
            response
                .headers_mut()
                .insert("link", HeaderValue::from_str(&link).unwrap());
            response
        }
        _ => response,
    }
}

fn ok_json(value: Value) -> Response {
    (StatusCode::OK, axum::Json(value)).into_response()
}

/// What a compatible server answers differently from sentry.io, before
/// the request reaches the documented behaviour.
fn compatible_deviation(
    method: &Method,
    segments: &[&str],
    query: &[(String, String)],
    body: &Value,
) -> Option<Response> {
    let html = |status: StatusCode| {
        (
            status,
            [("content-type", "text/html")],
            "<!doctype html><html><body><h1>Not here</h1></body></html>",
        )
            .into_response()
    };
    let lists_issues = matches!(
        (method, segments),
        (&Method::GET, ["organizations", _, "issues"])
            | (&Method::GET, ["projects", _, _, "issues"])
    );
    let sort = query
        .iter()
        .find(|(k, _)| k == "sort")
        .map(|(_, v)| v.as_str());
    if lists_issues && sort.is_some_and(|s| !COMPATIBLE_SORTS.contains(&s)) {
        return Some(
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(json!({ "detail": [{
                    "loc": ["query", "sort"],
                    "msg": format!("value is not a valid enumeration member; permitted: {}", COMPATIBLE_SORTS.join(", ")),
                    "type": "type_error.enum"
                }] })),
            )
                .into_response(),
        );
    }
    match (method, segments) {
        (&Method::GET, ["organizations", _, "issues", _]) => {
            let mut response = html(StatusCode::METHOD_NOT_ALLOWED);
            response
                .headers_mut()
                .insert("allow", HeaderValue::from_static("PUT"));
            Some(response)
        }
        (&Method::GET, ["organizations", _, "shortids", _]) => Some(html(StatusCode::NOT_FOUND)),
        (&Method::GET, ["organizations", _, "issues", _, "events"]) => {
            Some(html(StatusCode::INTERNAL_SERVER_ERROR))
        }
        (&Method::GET, ["organizations", _, "issues", _, "events", "latest"]) => {
            Some(html(StatusCode::INTERNAL_SERVER_ERROR))
        }
        (&Method::PUT, _) if body.get("assignedTo").is_some() => {
            Some(html(StatusCode::INTERNAL_SERVER_ERROR))
        }
        _ => None,
    }
}

/// `statusDetails` as sentry.io keeps and serves them after a change asking
/// for `asked`: an archive's minutes become an `ignoreUntil` time, and
/// "latest" the newest release's version.
fn kept_details(asked: &Value, latest_release: Option<Value>) -> Value {
    let mut kept = serde_json::Map::new();
    if let Some(minutes) = asked["ignoreDuration"].as_u64() {
        let until = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(minutes as i64);
        kept.insert("ignoreUntil".into(), json!(until.to_string()));
    }
    if let Some(count) = asked["ignoreCount"].as_u64() {
        kept.insert("ignoreCount".into(), json!(count));
        kept.insert("ignoreWindow".into(), Value::Null);
    }
    if asked["inNextRelease"] == true {
        kept.insert("inNextRelease".into(), json!(true));
    }
    match asked["inRelease"].as_str() {
        Some("latest") => {
            kept.insert(
                "inRelease".into(),
                latest_release.unwrap_or_else(|| json!("latest")),
            );
        }
        Some(version) => {
            kept.insert("inRelease".into(), json!(version));
        }
        None => {}
    }
    Value::Object(kept)
}

/// The issue with the counts a list call asked for, as sentry.io answers:
/// only that key of `stats`. Daily (`14d`) counts not seeded are the
/// hourly ones summed per UTC day, over the 14 days ending today.
fn with_stats(issue: &Value, period: &str) -> Value {
    let mut issue = issue.clone();
    let stored = issue["stats"].clone();
    let Some(fields) = issue.as_object_mut() else {
        return issue;
    };
    let answered = match period {
        "" => None,
        "14d" if stored.get("14d").is_none() => {
            let today = jiff::Timestamp::now().as_second().div_euclid(86_400) * 86_400;
            let mut days: Vec<(i64, u64)> =
                (0..14).map(|d| (today - (13 - d) * 86_400, 0)).collect();
            for bucket in stored["24h"].as_array().into_iter().flatten() {
                let (Some(at), Some(n)) = (bucket[0].as_i64(), bucket[1].as_u64()) else {
                    continue;
                };
                let day = at.div_euclid(86_400) * 86_400;
                if let Some(slot) = days.iter_mut().find(|(d, _)| *d == day) {
                    slot.1 += n;
                }
            }
            Some(json!({ "14d": days.iter().map(|(d, n)| json!([d, n])).collect::<Vec<_>>() }))
        }
        key => stored.get(key).map(|b| json!({ key: b })),
    };
    match answered {
        Some(stats) => fields.insert("stats".into(), stats),
        None => fields.remove("stats"),
    };
    issue
}

/// 24 hourly buckets ending with the current hour, oldest first, as
/// sentry.io lists them: `counts` from the oldest (fewer are padded with
/// zeros at the start).
pub fn hourly_stats(counts: &[u64]) -> Value {
    let hour = jiff::Timestamp::now().as_second().div_euclid(3_600) * 3_600;
    let padded: Vec<u64> = std::iter::repeat_n(0, 24usize.saturating_sub(counts.len()))
        .chain(counts.iter().copied())
        .collect();
    json!({ "24h": padded
        .iter()
        .enumerate()
        .map(|(h, n)| json!([hour - (23 - h as i64) * 3_600, n]))
        .collect::<Vec<_>>() })
}

/// An issue as the server sends it: compatible servers leave fields out,
/// and suggested owners come only with `expand=owners` (sentry.io only).
fn as_served(issue: &Value, compatible: bool, expand_owners: bool) -> Value {
    let mut issue = issue.clone();
    if let Some(fields) = issue.as_object_mut() {
        if compatible || !expand_owners {
            fields.remove("owners");
        }
        if compatible {
            for key in [
                "assignedTo",
                "substatus",
                "priority",
                "statusDetails",
                "stats",
            ] {
                fields.remove(key);
            }
        }
    }
    issue
}

/// Whether an RFC 3339 `time` is within (`-24h`) or older than (`+7d`)
/// the span, as Sentry's search reads `firstSeen:` and `lastSeen:`.
fn relative_time_holds(time: &Value, relative: &str) -> bool {
    let at = |t: &Value| {
        t.as_str()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map(|t| t.as_second())
    };
    // Absolute bounds: `>=2026-12-03T09:00:00` (UTC), `<…`, `>…`, `<=…`.
    for (op, holds) in [
        (">=", (|a: i64, b: i64| a >= b) as fn(i64, i64) -> bool),
        ("<=", |a, b| a <= b),
        (">", |a, b| a > b),
        ("<", |a, b| a < b),
    ] {
        if let Some(stamp) = relative.strip_prefix(op) {
            let bound = format!("{stamp}Z")
                .parse::<jiff::Timestamp>()
                .map(|t| t.as_second());
            return match (at(time), bound) {
                (Some(a), Ok(b)) => holds(a, b),
                (None, _) => false,
                // A bound this fake cannot read matches everything.
                (_, Err(_)) => true,
            };
        }
    }
    let (within, span) = match relative.split_at_checked(1) {
        Some(("-", span)) => (true, span),
        Some(("+", span)) => (false, span),
        _ => return true,
    };
    let Some((number, unit)) = span.split_at_checked(span.len().saturating_sub(1)) else {
        return true;
    };
    let Ok(number) = number.parse::<i64>() else {
        return true;
    };
    let seconds = match unit {
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return true,
    } * number;
    let Some(at) = time
        .as_str()
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
    else {
        return false;
    };
    let cutoff = jiff::Timestamp::now().as_second() - seconds;
    (at.as_second() >= cutoff) == within
}

fn list_issues(
    org: &Org,
    query: &[(String, String)],
    compatible: bool,
    stats_param: &str,
    in_project: impl Fn(&Value) -> bool,
) -> Response {
    let stats_period = query
        .iter()
        .find(|(k, _)| k == stats_param)
        .map_or("24h", |(_, v)| v.as_str());
    if !["24h", "14d", ""].contains(&stats_period) {
        return detail(
            StatusCode::BAD_REQUEST,
            &format!("Invalid {stats_param}: {stats_period}"),
        );
    }
    let search = query
        .iter()
        .find(|(k, _)| k == "query")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let expand_owners = query.iter().any(|(k, v)| k == "expand" && v == "owners");
    let mut issues: Vec<Value> = org
        .issues
        .iter()
        .filter(|i| in_project(i))
        // The server searches what it stores, whatever it leaves out of its answers.
        .filter(|i| {
            search
                .split_whitespace()
                .all(|term| match term.split_once(':') {
                    Some(("is", "unresolved")) => i["status"] == "unresolved",
                    Some(("is", "resolved")) => i["status"] == "resolved",
                    // Sentry's relative time filters: `-24h` within, `+24h` older than.
                    Some((field @ ("firstSeen" | "lastSeen"), relative)) => {
                        relative_time_holds(&i[field], relative)
                    }
                    Some(("level", level)) => i["level"] == level,
                    Some(("assigned", email)) if email.contains('@') => i["assignedTo"]["email"]
                        .as_str()
                        .is_some_and(|e| e.eq_ignore_ascii_case(email)),
                    Some(("assigned" | "assigned_or_suggested", team)) if team.starts_with('#') => {
                        i["assignedTo"]["type"] == "team"
                            && i["assignedTo"]["name"]
                                .as_str()
                                .map(|n| n.trim_start_matches('#'))
                                == Some(&team[1..])
                    }
                    _ => true,
                })
        })
        .map(|i| as_served(&with_stats(i, stats_period), compatible, expand_owners))
        .collect();
    let sort = query
        .iter()
        .find(|(k, _)| k == "sort")
        .map(|(_, v)| v.as_str())
        .unwrap_or("date");
    let key = if sort == "new" || sort == "first_seen" {
        "firstSeen"
    } else {
        "lastSeen"
    };
    // Newest first; ties keep the newest-created first.
    issues.reverse();
    if sort == "freq" {
        let count = |i: &Value| {
            i["count"]
                .as_str()
                .and_then(|c| c.parse::<u64>().ok())
                .or_else(|| i["count"].as_u64())
                .unwrap_or(0)
        };
        issues.sort_by_key(|i| std::cmp::Reverse(count(i)));
    } else {
        issues.sort_by(|a, b| b[key].as_str().cmp(&a[key].as_str()));
    }
    let limit = query
        .iter()
        .find(|(k, _)| k == "limit")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(100usize)
        .min(100);
    let mut response = paginate(&issues, query, limit, compatible);
    if !compatible {
        // sentry.io counts every match of an issue search.
        response
            .headers_mut()
            .insert("x-hits", HeaderValue::from(issues.len()));
    }
    response
}

/// One page of `items` with a Sentry `Link` header. Cursors look like
/// Sentry's (`<value>:<offset>:<is_prev>`), or opaque base64 on a compatible
/// server whose header is wrapped as a stringified set; either way they must
/// be passed back verbatim.
fn paginate(
    items: &[Value],
    query: &[(String, String)],
    limit: usize,
    compatible: bool,
) -> Response {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let cursor = |offset: usize, prev: bool| {
        if compatible {
            b64.encode(format!("{{\"offset\":{offset},\"prev\":{prev}}}"))
        } else {
            format!("1764374400000:{offset}:{}", u8::from(prev))
        }
    };
    let offset = query
        .iter()
        .find(|(k, _)| k == "cursor")
        .and_then(|(_, c)| {
            if compatible {
                let decoded: Value = serde_json::from_slice(&b64.decode(c).ok()?).ok()?;
                decoded["offset"].as_u64().map(|o| o as usize)
            } else {
                c.split(':').nth(1)?.parse::<usize>().ok()
            }
        })
        .unwrap_or(0);
    let page: Vec<Value> = items.iter().skip(offset).take(limit).cloned().collect();
    let has_next = offset + limit < items.len();
    let (prev, next) = (
        cursor(offset.saturating_sub(limit), true),
        cursor(offset + limit, false),
    );
    let mut link = format!(
        "<http://sentry.invalid/api/0/x/?cursor={prev}>; rel=\"previous\"; results=\"{}\"; cursor=\"{prev}\", \
         <http://sentry.invalid/api/0/x/?cursor={next}>; rel=\"next\"; results=\"{has_next}\"; cursor=\"{next}\"",
        offset > 0,
    );
    if compatible {
        link = format!("{{'{link}'}}");
    }
    let mut response = ok_json(Value::Array(page));
    response
        .headers_mut()
        .insert("link", HeaderValue::from_str(&link).unwrap());
    response
}
