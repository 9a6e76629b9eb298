//! A fake Slack Web API on 127.0.0.1, close enough to the real one for the
//! bot's clients: bearer-token auth, `ok: false` error bodies, Block Kit
//! limits enforced with `invalid_blocks`, 429 with `Retry-After` on demand,
//! and `response_url`s that accept five posts each.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::sync::Notify;

use super::block_kit;

/// How many times Slack accepts posts to one `response_url`.
pub const RESPONSE_URL_USES: usize = 5;

/// One call the fake received.
#[derive(Clone, Debug)]
pub struct Call {
    /// Web API method (`chat.postMessage`) or `response_url`.
    pub method: String,
    /// For response_url posts, the URL's id.
    pub response_id: Option<String>,
    /// The body as JSON (form bodies are converted).
    pub body: Value,
    /// The HTTP status answered.
    pub status: u16,
    /// The Web API's error code when it answered `ok: false`.
    pub error: Option<String>,
    /// When it arrived.
    pub at: std::time::SystemTime,
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    response_uses: HashMap<String, usize>,
    /// Calls left to answer with 429, and the Retry-After to send.
    rate_limit: Option<(usize, u64)>,
    /// Calls left to answer with this 5xx status.
    server_errors: Option<(usize, u16)>,
    next_ts: u64,
    users: HashMap<String, Value>,
    user_groups: Vec<Value>,
    channel_errors: HashMap<String, String>,
    /// Each person's Home tab as last published: user → view.
    homes: HashMap<String, Value>,
    /// Channels whose posts with blocks are refused with this error
    /// (`invalid_blocks`, `msg_too_long`); text alone is taken.
    block_refusals: HashMap<String, String>,
    socket_acks: Vec<Value>,
    socket_connections: usize,
    /// Network time before a `chat.postMessage` reaches Slack.
    post_delay: Option<std::time::Duration>,
    /// Messages posted, in order, as they look now: (channel, ts, body).
    messages: Vec<(String, String, Value)>,
    /// Files asked for by `files.getUploadURLExternal`: id → upload.
    uploads: HashMap<String, PendingUpload>,
    /// Files shared by `files.completeUploadExternal`, in order.
    files: Vec<SharedFile>,
    /// Scopes the app was not granted; calls that need one answer
    /// `missing_scope`.
    missing_scopes: Vec<String>,
}

/// A file Slack gave an upload URL for.
#[derive(Clone, Debug, Default)]
struct PendingUpload {
    filename: String,
    length: usize,
    alt: Option<String>,
    bytes: Option<Vec<u8>>,
}

/// A file shared in a channel.
#[derive(Clone, Debug)]
pub struct SharedFile {
    /// `F…`.
    pub id: String,
    /// Where it was shared.
    pub channel: String,
    /// Its title.
    pub title: Option<String>,
    /// The name it was uploaded under.
    pub filename: String,
    /// Its text for screen readers.
    pub alt: Option<String>,
    /// The bytes uploaded.
    pub bytes: Vec<u8>,
}

/// The app-level token the fake accepts for Socket Mode.
pub const APP_TOKEN: &str = "xapp-1-test-app-token";

/// A Slack user object as `users.info` returns it.
fn user(id: &str, name: &str, admin: bool, owner: bool) -> Value {
    json!({
        "id": id, "team_id": "T0ACME", "name": name, "real_name": name, "deleted": false,
        "is_admin": admin, "is_owner": owner, "is_primary_owner": false, "is_bot": false,
        "tz": "America/Los_Angeles", "tz_label": "Pacific Standard Time", "tz_offset": -28800,
        "profile": { "email": format!("{name}@acme.test"), "display_name": name, "real_name": name }
    })
}

/// A Slack user whose profile email is `email` (which may differ from the
/// one Sentry knows), as `users.info` returns it.
#[allow(dead_code)]
pub fn user_with_email(id: &str, name: &str, email: &str) -> Value {
    let mut user = user(id, name, false, false);
    user["profile"]["email"] = json!(email);
    user
}

/// Handle to a running fake Slack.
#[derive(Clone)]
pub struct FakeSlack {
    /// Where it listens.
    pub addr: SocketAddr,
    bot_token: String,
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
    socket_in: tokio::sync::mpsc::UnboundedSender<Value>,
}

#[derive(Clone)]
struct Shared {
    bot_token: String,
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
    socket_out: Arc<tokio::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<Value>>>,
    addr: Arc<Mutex<Option<SocketAddr>>>,
}

impl FakeSlack {
    /// Starts a fake that accepts `bot_token`.
    pub async fn start(bot_token: &str) -> Self {
        let users = [
            ("U0ALICE", user("U0ALICE", "alice", false, false)),
            ("U0ADMIN", user("U0ADMIN", "admin", true, false)),
            ("U0OWNER", user("U0OWNER", "owner", false, true)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let inner = Arc::new(Mutex::new(Inner {
            next_ts: 1_700_000_000_000_100,
            users,
            ..Inner::default()
        }));
        let changed = Arc::new(Notify::new());
        let (socket_in, socket_out) = tokio::sync::mpsc::unbounded_channel();
        let addr_cell = Arc::new(Mutex::new(None));
        let shared = Shared {
            bot_token: bot_token.to_string(),
            inner: inner.clone(),
            changed: changed.clone(),
            socket_out: Arc::new(tokio::sync::Mutex::new(socket_out)),
            addr: addr_cell.clone(),
        };
        let router = Router::new()
            .route("/api/{method}", get(web_api).post(web_api))
            .route("/response/{id}", post(response_url))
            .route("/upload/{id}", post(upload_bytes))
            .route("/socket", get(socket))
            .with_state(shared);
        let addr = super::serve_on_loopback(router, "fake Slack").await;
        *addr_cell.lock().unwrap() = Some(addr);
        Self {
            addr,
            bot_token: bot_token.to_string(),
            inner,
            changed,
            socket_in,
        }
    }

    /// Files shared in `channel`, in order.
    pub fn files_in(&self, channel: &str) -> Vec<SharedFile> {
        let inner = self.inner.lock().unwrap();
        inner
            .files
            .iter()
            .filter(|f| f.channel == channel)
            .cloned()
            .collect()
    }

    /// The app lacks `scope`: calls that need it answer `missing_scope`.
    pub fn deny_scope(&self, scope: &str) {
        self.inner
            .lock()
            .unwrap()
            .missing_scopes
            .push(scope.to_string());
    }

    /// Adds (or replaces) a workspace member; see [`user_with_email`].
    pub fn add_user(&self, user: Value) {
        let id = user["id"].as_str().unwrap().to_string();
        self.inner.lock().unwrap().users.insert(id, user);
    }

    /// Adds a user group with `handle` (as `usergroups.list` describes one).
    #[allow(dead_code)]
    pub fn add_user_group(&self, id: &str, handle: &str) {
        self.inner.lock().unwrap().user_groups.push(json!({
            "id": id, "team_id": "T0ACME", "is_usergroup": true, "name": handle,
            "description": "", "handle": handle, "is_external": false, "date_create": 1764400000,
            "date_update": 1764400000, "date_delete": 0, "auto_type": null, "created_by": "U0ADMIN",
            "updated_by": "U0ADMIN", "deleted_by": null, "prefs": { "channels": [], "groups": [] },
            "user_count": 3
        }));
    }

    /// The Web API base, as `SLACK_API_URL`.
    pub fn api_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// A fresh `response_url`; returns the URL and its id.
    pub fn response_url(&self) -> (String, String) {
        let id = format!("T1/{}/{}", rand_id(), rand_id());
        let encoded = id.replace('/', "-");
        (format!("http://{}/response/{encoded}", self.addr), encoded)
    }

    /// The next `count` calls get 429 with `Retry-After: retry_after_secs`.
    pub fn rate_limit_next(&self, count: usize, retry_after_secs: u64) {
        self.inner.lock().unwrap().rate_limit = Some((count, retry_after_secs));
    }

    /// The next `count` calls get `status` (a 5xx).
    pub fn fail_next(&self, count: usize, status: u16) {
        self.inner.lock().unwrap().server_errors = Some((count, status));
    }

    /// Every `chat.postMessage` takes `delay` before Slack answers; like the
    /// real Slack, a post still lands when its caller dies meanwhile.
    pub fn delay_posts(&self, delay: std::time::Duration) {
        self.inner.lock().unwrap().post_delay = Some(delay);
    }

    /// Posts to `channel` fail with `error` (`not_in_channel`, `channel_not_found`, …).
    pub fn refuse_channel(&self, channel: &str, error: &str) {
        self.inner
            .lock()
            .unwrap()
            .channel_errors
            .insert(channel.to_string(), error.to_string());
    }

    /// `user`'s Home tab as the app last published it.
    pub fn home_of(&self, user: &str) -> Option<Value> {
        self.inner.lock().unwrap().homes.get(user).cloned()
    }

    /// Posts to `channel` are taken again (the bot was invited, the
    /// channel unarchived).
    pub fn admit_channel(&self, channel: &str) {
        self.inner.lock().unwrap().channel_errors.remove(channel);
    }

    /// Posts to `channel` that carry blocks fail with `error`
    /// (`invalid_blocks`, `msg_too_long`), as Slack refuses a message it
    /// cannot render; a post of text alone is taken.
    pub fn refuse_blocks_in(&self, channel: &str, error: &str) {
        self.inner
            .lock()
            .unwrap()
            .block_refusals
            .insert(channel.to_string(), error.to_string());
    }

    /// Successful `chat.postMessage` calls to `channel`.
    pub fn posts_in(&self, channel: &str) -> Vec<Value> {
        self.calls()
            .into_iter()
            .filter(|c| {
                c.method == "chat.postMessage"
                    && c.status == 200
                    && c.error.is_none()
                    && c.body["channel"] == channel
            })
            .map(|c| c.body)
            .collect()
    }

    /// The messages posted to `channel` (not thread replies), in order,
    /// each as its latest `chat.update` left it.
    #[allow(dead_code)]
    pub fn messages_in(&self, channel: &str) -> Vec<Value> {
        self.inner
            .lock()
            .unwrap()
            .messages
            .iter()
            .filter(|(c, _, body)| c == channel && body["thread_ts"].is_null())
            .map(|(_, _, body)| body.clone())
            .collect()
    }

    /// The DMs the app sent `user`, in order, each as its latest
    /// `chat.update` left it.
    #[allow(dead_code)]
    pub fn dms_to(&self, user: &str) -> Vec<Value> {
        self.messages_in(&dm_channel(user))
    }

    /// Delivers a Socket Mode envelope to the connected client.
    pub fn socket_send(&self, envelope: Value) {
        self.socket_in.send(envelope).expect("socket channel open");
    }

    /// Acknowledgements the client sent back over Socket Mode.
    pub fn socket_acks(&self) -> Vec<Value> {
        self.inner.lock().unwrap().socket_acks.clone()
    }

    /// Socket Mode connections opened so far.
    pub fn socket_connections(&self) -> usize {
        self.inner.lock().unwrap().socket_connections
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.inner.lock().unwrap().calls.clone()
    }

    /// Calls other than the start-up `auth.test`: what a request caused.
    pub fn effects(&self) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method != "auth.test")
            .collect()
    }

    /// Successful posts to the response_url with `id`.
    pub fn responses(&self, id: &str) -> Vec<Value> {
        self.calls()
            .into_iter()
            .filter(|c| c.response_id.as_deref() == Some(id) && c.status == 200)
            .map(|c| c.body)
            .collect()
    }

    /// Waits until `pred` holds over the calls, or panics after `timeout`.
    pub async fn wait_for<F: Fn(&[Call]) -> bool>(
        &self,
        timeout: Duration,
        what: &str,
        pred: F,
    ) -> Vec<Call> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            let calls = self.calls();
            if pred(&calls) {
                return calls;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("timed out after {timeout:?} waiting for {what}; calls: {calls:#?}");
            }
        }
    }

    /// Waits for `count` successful posts to the response_url `id`.
    pub async fn wait_for_responses(&self, id: &str, count: usize) -> Vec<Value> {
        let id_owned = id.to_string();
        self.wait_for(
            Duration::from_secs(10),
            "response_url posts",
            move |calls| {
                calls
                    .iter()
                    .filter(|c| {
                        c.response_id.as_deref() == Some(id_owned.as_str()) && c.status == 200
                    })
                    .count()
                    >= count
            },
        )
        .await;
        self.responses(id)
    }

    /// The bot token this fake accepts.
    pub fn bot_token(&self) -> &str {
        &self.bot_token
    }
}

fn rand_id() -> String {
    use rand::Rng;
    let n: u64 = rand::thread_rng().gen();
    format!("{n:016x}")
}

impl Shared {
    fn lacks_scope(&self, scope: &str) -> bool {
        self.inner
            .lock()
            .unwrap()
            .missing_scopes
            .iter()
            .any(|s| s == scope)
    }

    fn record(&self, call: Call) {
        self.inner.lock().unwrap().calls.push(call);
        self.changed.notify_waiters();
    }

    /// An injected failure for this call, if one is pending.
    fn injected_failure(&self) -> Option<Response> {
        let mut inner = self.inner.lock().unwrap();
        if let Some((left, retry_after)) = inner.rate_limit {
            inner.rate_limit = (left > 1).then(|| (left - 1, retry_after));
            let mut headers = HeaderMap::new();
            headers.insert("retry-after", retry_after.to_string().parse().unwrap());
            let body = Json(json!({ "ok": false, "error": "ratelimited" }));
            return Some((StatusCode::TOO_MANY_REQUESTS, headers, body).into_response());
        }
        if let Some((left, status)) = inner.server_errors {
            inner.server_errors = (left > 1).then(|| (left - 1, status));
            let status = StatusCode::from_u16(status).unwrap();
            return Some((status, "upstream connect error").into_response());
        }
        None
    }
}

fn body_as_json(headers: &HeaderMap, body: &Bytes) -> Value {
    let is_json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return serde_json::from_slice(body).unwrap_or(Value::Null);
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let mut map = serde_json::Map::new();
    for (k, v) in pairs {
        // Form-encoded Web API calls carry blocks as a JSON string.
        let value = if ["blocks", "attachments", "unfurls", "files"].contains(&k.as_str()) {
            serde_json::from_str(&v).unwrap_or(Value::String(v))
        } else {
            Value::String(v)
        };
        map.insert(k, value);
    }
    Value::Object(map)
}

/// The app's DM channel with `user`.
pub fn dm_channel(user: &str) -> String {
    format!("D{}", user.get(1..).unwrap_or_default())
}

async fn web_api(
    State(shared): State<Shared>,
    Path(method): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method == "chat.postMessage" {
        let delay = shared.inner.lock().unwrap().post_delay;
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
    }
    let mut json_body = body_as_json(&headers, &body);
    // GET calls carry their arguments in the query string.
    let query_pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    if !query_pairs.is_empty() {
        if !json_body.is_object() {
            json_body = json!({});
        }
        for (k, v) in query_pairs {
            json_body[k] = Value::String(v);
        }
    }
    let respond = |status: StatusCode, answer: Value| {
        shared.record(Call {
            method: method.clone(),
            response_id: None,
            body: json_body.clone(),
            status: status.as_u16(),
            error: (answer["ok"] == false)
                .then(|| answer["error"].as_str().unwrap_or_default().to_string()),
            at: std::time::SystemTime::now(),
        });
        (status, Json(answer)).into_response()
    };
    if let Some(failure) = shared.injected_failure() {
        shared.record(Call {
            method: method.clone(),
            response_id: None,
            body: json_body.clone(),
            status: failure.status().as_u16(),
            error: None,
            at: std::time::SystemTime::now(),
        });
        return failure;
    }
    if method == "apps.connections.open" {
        let wanted = format!("Bearer {APP_TOKEN}");
        let app_auth =
            headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(wanted.as_str());
        if !app_auth {
            return respond(
                StatusCode::OK,
                json!({ "ok": false, "error": "invalid_auth" }),
            );
        }
        let addr = shared.addr.lock().unwrap().expect("bound");
        return respond(
            StatusCode::OK,
            json!({ "ok": true, "url": format!("ws://{addr}/socket") }),
        );
    }
    let expected = format!("Bearer {}", shared.bot_token);
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == expected);
    if !authorized {
        let error = if headers.contains_key("authorization") {
            "invalid_auth"
        } else {
            "not_authed"
        };
        return respond(StatusCode::OK, json!({ "ok": false, "error": error }));
    }
    match method.as_str() {
        "auth.test" => respond(
            StatusCode::OK,
            json!({
                "ok": true,
                "url": "https://acme-corp.slack.com/",
                "team": "Acme Corp",
                "user": "sentry",
                "team_id": "T0ACME",
                "user_id": "U0BOT",
                "bot_id": "B0BOT",
                "is_enterprise_install": false
            }),
        ),
        "chat.postMessage" | "chat.update" | "chat.postEphemeral" => {
            let named = json_body["channel"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            // Like Slack: a post to a user id lands in the app's DM with
            // them, and the answer names that `D…` channel, which updates
            // must use; a user id is no channel to update in.
            let to_user = named.starts_with('U') || named.starts_with('W');
            if to_user && method == "chat.update" {
                return respond(
                    StatusCode::OK,
                    json!({ "ok": false, "error": "channel_not_found" }),
                );
            }
            let channel = if to_user && method == "chat.postMessage" {
                dm_channel(&named)
            } else {
                named
            };
            if channel.is_empty() {
                return respond(
                    StatusCode::OK,
                    json!({ "ok": false, "error": "channel_not_found" }),
                );
            }
            let refused = shared
                .inner
                .lock()
                .unwrap()
                .channel_errors
                .get(&channel)
                .cloned();
            if let Some(error) = refused {
                return respond(StatusCode::OK, json!({ "ok": false, "error": error }));
            }
            let has_blocks = json_body["blocks"]
                .as_array()
                .is_some_and(|b| !b.is_empty())
                || json_body["blocks"].as_str().is_some_and(|b| b != "[]");
            let blocks_refused = shared
                .inner
                .lock()
                .unwrap()
                .block_refusals
                .get(&channel)
                .cloned()
                .filter(|_| has_blocks);
            if let Some(error) = blocks_refused {
                return respond(
                    StatusCode::OK,
                    json!({ "ok": false, "error": error, "errors": ["invalid_blocks"] }),
                );
            }
            let mut errors = block_kit::violations(&json_body);
            if errors.is_empty() {
                errors = unreachable_images(&json_body).await;
            }
            if !errors.is_empty() {
                let code = if errors == ["no_text"] {
                    "no_text"
                } else {
                    "invalid_blocks"
                };
                return respond(
                    StatusCode::OK,
                    json!({ "ok": false, "error": code, "errors": errors }),
                );
            }
            let ts = match json_body["ts"].as_str() {
                Some(ts) if method == "chat.update" => ts.to_string(),
                _ => {
                    let mut inner = shared.inner.lock().unwrap();
                    inner.next_ts += 1;
                    let n = inner.next_ts;
                    format!("{}.{:06}", n / 1_000_000, n % 1_000_000)
                }
            };
            let mut message = json!({
                "type": "message", "ts": ts, "text": json_body["text"], "blocks": json_body["blocks"],
                "user": "U0BOT", "bot_id": "B0BOT", "app_id": "A0BOT"
            });
            if let Some(thread) = json_body["thread_ts"].as_str() {
                message["thread_ts"] = json!(thread);
            }
            {
                let mut inner = shared.inner.lock().unwrap();
                let known = inner
                    .messages
                    .iter_mut()
                    .find(|(c, t, _)| *c == channel && *t == ts);
                match (method.as_str(), known) {
                    ("chat.update", Some((_, _, body))) => {
                        let thread = body["thread_ts"].clone();
                        *body = json_body.clone();
                        body["thread_ts"] = thread;
                    }
                    ("chat.postMessage", _) => {
                        inner
                            .messages
                            .push((channel.clone(), ts.clone(), json_body.clone()))
                    }
                    _ => {}
                }
            }
            respond(
                StatusCode::OK,
                json!({ "ok": true, "channel": channel, "ts": ts, "message": message }),
            )
        }
        "chat.unfurl" => {
            let addressed = (json_body["channel"].is_string() && json_body["ts"].is_string())
                || (json_body["unfurl_id"].is_string() && json_body["source"].is_string());
            if !addressed {
                return respond(
                    StatusCode::OK,
                    json!({ "ok": false, "error": "invalid_arguments" }),
                );
            }
            let Some(unfurls) = json_body["unfurls"].as_object().filter(|u| !u.is_empty()) else {
                return respond(
                    StatusCode::OK,
                    json!({ "ok": false, "error": "invalid_unfurls_format" }),
                );
            };
            for unfurl in unfurls.values() {
                if !block_kit::violations(unfurl).is_empty() {
                    return respond(
                        StatusCode::OK,
                        json!({ "ok": false, "error": "invalid_blocks" }),
                    );
                }
            }
            respond(StatusCode::OK, json!({ "ok": true }))
        }
        "files.getUploadURLExternal" | "files.completeUploadExternal"
            if shared.lacks_scope("files:write") =>
        {
            respond(
                StatusCode::OK,
                json!({ "ok": false, "error": "missing_scope", "needed": "files:write", "provided": "chat:write,commands" }),
            )
        }
        "files.getUploadURLExternal" => {
            let filename = json_body["filename"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let length = json_body["length"]
                .as_str()
                .and_then(|l| l.parse::<usize>().ok())
                .or_else(|| json_body["length"].as_u64().map(|l| l as usize));
            let (Some(length), false) = (length, filename.is_empty()) else {
                return respond(
                    StatusCode::OK,
                    json!({ "ok": false, "error": "invalid_arguments" }),
                );
            };
            let id = {
                let mut inner = shared.inner.lock().unwrap();
                inner.next_ts += 1;
                let id = format!("F0{:X}", inner.next_ts);
                inner.uploads.insert(
                    id.clone(),
                    PendingUpload {
                        filename,
                        length,
                        alt: json_body["alt_txt"].as_str().map(str::to_string),
                        bytes: None,
                    },
                );
                id
            };
            let addr = shared.addr.lock().unwrap().expect("bound");
            respond(
                StatusCode::OK,
                json!({ "ok": true, "upload_url": format!("http://{addr}/upload/{id}"), "file_id": id }),
            )
        }
        "files.completeUploadExternal" => {
            let Some(files) = json_body["files"].as_array().filter(|f| !f.is_empty()) else {
                return respond(
                    StatusCode::OK,
                    json!({ "ok": false, "error": "invalid_arguments" }),
                );
            };
            let channel = json_body["channel_id"].as_str().map(str::to_string);
            if let Some(channel) = &channel {
                let refused = shared
                    .inner
                    .lock()
                    .unwrap()
                    .channel_errors
                    .get(channel)
                    .cloned();
                if let Some(error) = refused {
                    return respond(StatusCode::OK, json!({ "ok": false, "error": error }));
                }
            }
            let mut done = Vec::new();
            {
                let mut inner = shared.inner.lock().unwrap();
                for file in files {
                    let id = file["id"].as_str().unwrap_or_default().to_string();
                    // Slack completes only files whose bytes all arrived.
                    let Some(upload) = inner
                        .uploads
                        .get(&id)
                        .filter(|u| u.bytes.is_some())
                        .cloned()
                    else {
                        drop(inner);
                        return respond(
                            StatusCode::OK,
                            json!({ "ok": false, "error": "file_not_found" }),
                        );
                    };
                    done.push(SharedFile {
                        id: id.clone(),
                        channel: channel.clone().unwrap_or_default(),
                        title: file["title"].as_str().map(str::to_string),
                        filename: upload.filename.clone(),
                        alt: upload.alt.clone(),
                        bytes: upload.bytes.clone().unwrap_or_default(),
                    });
                    inner.uploads.remove(&id);
                }
                if channel.is_some() {
                    inner.files.extend(done.iter().cloned());
                }
            }
            let answered: Vec<Value> = done
                .iter()
                .map(|f| json!({ "id": f.id, "title": f.title, "name": f.filename }))
                .collect();
            respond(StatusCode::OK, json!({ "ok": true, "files": answered }))
        }
        "views.publish" => {
            // Like Slack: a home view of at most 100 blocks, for a known user.
            let user = json_body["user_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let view = match &json_body["view"] {
                Value::String(text) => serde_json::from_str(text).unwrap_or(Value::Null),
                view => view.clone(),
            };
            let blocks = view["blocks"].as_array().map_or(0, Vec::len);
            if !shared.inner.lock().unwrap().users.contains_key(&user) {
                return respond(
                    StatusCode::OK,
                    json!({ "ok": false, "error": "user_not_found" }),
                );
            }
            if view["type"] != "home" || blocks == 0 || blocks > 100 {
                return respond(
                    StatusCode::OK,
                    json!({ "ok": false, "error": "invalid_arguments",
                            "response_metadata": { "messages": [format!("[ERROR] {blocks} blocks; a home view takes 1 to 100")] } }),
                );
            }
            shared
                .inner
                .lock()
                .unwrap()
                .homes
                .insert(user, view.clone());
            respond(
                StatusCode::OK,
                json!({ "ok": true, "view": {
                    "id": "V0HOME", "team_id": "T0ACME", "type": "home", "blocks": view["blocks"],
                    "private_metadata": "", "callback_id": "", "external_id": "",
                    "state": { "values": {} }, "hash": "1764406800.a1b2c3", "title": { "type": "plain_text", "text": "View Title" },
                    "clear_on_close": false, "notify_on_close": false, "root_view_id": "V0HOME",
                    "previous_view_id": null, "app_id": "A0BOT", "app_installed_team_id": "T0ACME", "bot_id": "B0BOT"
                } }),
            )
        }
        "conversations.info" if shared.lacks_scope("channels:read") => respond(
            StatusCode::OK,
            json!({ "ok": false, "error": "missing_scope", "needed": "channels:read,groups:read", "provided": "chat:write,commands" }),
        ),
        "conversations.info" => {
            // Like Slack: a private channel the bot is not in is invisible
            // to it, so it is not found either.
            let channel = json_body["channel"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let refused = shared
                .inner
                .lock()
                .unwrap()
                .channel_errors
                .get(&channel)
                .cloned();
            match refused.as_deref() {
                Some("channel_not_found" | "not_in_channel") => respond(
                    StatusCode::OK,
                    json!({ "ok": false, "error": "channel_not_found" }),
                ),
                _ if channel.is_empty() => respond(
                    StatusCode::OK,
                    json!({ "ok": false, "error": "channel_not_found" }),
                ),
                refused => {
                    let is_im = channel.starts_with('D');
                    respond(
                        StatusCode::OK,
                        json!({ "ok": true, "channel": {
                            "id": channel, "name": channel.to_lowercase(), "created": 1_700_000_000,
                            "is_channel": !is_im, "is_group": false, "is_im": is_im,
                            "is_private": channel.starts_with('G'),
                            "is_archived": refused == Some("is_archived"),
                            "is_member": true, "is_general": false, "is_shared": false,
                            "is_org_shared": false, "is_mpim": false
                        }}),
                    )
                }
            }
        }
        "users.info" => {
            let user = json_body["user"].as_str().unwrap_or_default().to_string();
            let found = shared.inner.lock().unwrap().users.get(&user).cloned();
            match found {
                Some(user) => respond(StatusCode::OK, json!({ "ok": true, "user": user })),
                None => respond(
                    StatusCode::OK,
                    json!({ "ok": false, "error": "user_not_found" }),
                ),
            }
        }
        "users.lookupByEmail" => {
            let email = json_body["email"]
                .as_str()
                .unwrap_or_default()
                .to_lowercase();
            let found = shared
                .inner
                .lock()
                .unwrap()
                .users
                .values()
                .find(|u| {
                    u["profile"]["email"]
                        .as_str()
                        .is_some_and(|e| e.to_lowercase() == email)
                })
                .cloned();
            match found {
                Some(user) => respond(StatusCode::OK, json!({ "ok": true, "user": user })),
                None => respond(
                    StatusCode::OK,
                    json!({ "ok": false, "error": "users_not_found" }),
                ),
            }
        }
        "usergroups.list" => {
            let groups = shared.inner.lock().unwrap().user_groups.clone();
            respond(StatusCode::OK, json!({ "ok": true, "usergroups": groups }))
        }
        "users.list" => {
            // Pages by `limit` with an opaque cursor, as Slack does.
            let limit = json_body["limit"]
                .as_str()
                .and_then(|l| l.parse::<usize>().ok())
                .unwrap_or(100)
                .clamp(1, 1000);
            let start = json_body["cursor"]
                .as_str()
                .and_then(|c| c.strip_prefix("dXNlcjo"))
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0);
            let mut users: Vec<Value> = shared
                .inner
                .lock()
                .unwrap()
                .users
                .values()
                .cloned()
                .collect();
            users.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
            let page: Vec<Value> = users.iter().skip(start).take(limit).cloned().collect();
            let next = if start + limit < users.len() {
                format!("dXNlcjo{}", start + limit)
            } else {
                String::new()
            };
            respond(
                StatusCode::OK,
                json!({ "ok": true, "members": page, "response_metadata": { "next_cursor": next } }),
            )
        }
        _ => respond(
            StatusCode::OK,
            json!({ "ok": false, "error": "unknown_method" }),
        ),
    }
}

/// The upload URL `files.getUploadURLExternal` answered: takes the bytes
/// once, exactly as many as were announced, and answers in plain text.
async fn upload_bytes(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mut inner = shared.inner.lock().unwrap();
    let answer = match inner.uploads.get_mut(&id) {
        Some(upload) if upload.bytes.is_none() && upload.length == body.len() => {
            upload.bytes = Some(body.to_vec());
            (StatusCode::OK, format!("OK - {}", body.len()))
        }
        Some(upload) if upload.bytes.is_none() => (
            StatusCode::BAD_REQUEST,
            format!(
                "length mismatch: announced {}, sent {}",
                upload.length,
                body.len()
            ),
        ),
        _ => (StatusCode::NOT_FOUND, "upload not found".to_string()),
    };
    inner.calls.push(Call {
        method: "upload".into(),
        response_id: None,
        body: json!({ "file_id": id, "bytes": body.len() }),
        status: answer.0.as_u16(),
        error: None,
        at: std::time::SystemTime::now(),
    });
    drop(inner);
    shared.changed.notify_waiters();
    ([("content-type", "text/plain")], answer).into_response()
}

/// Image blocks whose `image_url` Slack could not download, as Slack
/// names them. Only loopback URLs are fetched here; any other address is
/// out of reach, as it is from this machine.
async fn unreachable_images(body: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    for (i, block) in body["blocks"].as_array().into_iter().flatten().enumerate() {
        let Some(url) = block["image_url"]
            .as_str()
            .filter(|_| block["type"] == "image")
        else {
            continue;
        };
        let loopback = url::Url::parse(url)
            .ok()
            .is_some_and(|u| matches!(u.host_str(), Some("127.0.0.1" | "localhost")));
        let fetched = if loopback {
            match reqwest::get(url).await {
                Ok(answer) => {
                    answer.status().is_success()
                        && answer
                            .headers()
                            .get("content-type")
                            .and_then(|v| v.to_str().ok())
                            .is_some_and(|t| t.starts_with("image/"))
                }
                Err(_) => false,
            }
        } else {
            false
        };
        if !fetched {
            errors.push(format!(
                "downloading image failed [json-pointer:/blocks/{i}/image_url]"
            ));
        }
    }
    errors
}

async fn response_url(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let json_body = body_as_json(&headers, &body);
    let record = |status: StatusCode| {
        shared.record(Call {
            method: "response_url".into(),
            response_id: Some(id.clone()),
            body: json_body.clone(),
            status: status.as_u16(),
            error: None,
            at: std::time::SystemTime::now(),
        });
    };
    if let Some(failure) = shared.injected_failure() {
        record(failure.status());
        return failure;
    }
    let uses = {
        let mut inner = shared.inner.lock().unwrap();
        let uses = inner.response_uses.entry(id.clone()).or_insert(0);
        *uses += 1;
        *uses
    };
    if uses > RESPONSE_URL_USES {
        record(StatusCode::NOT_FOUND);
        return (StatusCode::NOT_FOUND, "used_url").into_response();
    }
    let errors = block_kit::violations(&json_body);
    if !errors.is_empty() {
        record(StatusCode::BAD_REQUEST);
        let code = if errors == ["no_text"] {
            "no_text"
        } else {
            "invalid_blocks"
        };
        return (StatusCode::BAD_REQUEST, code).into_response();
    }
    record(StatusCode::OK);
    (StatusCode::OK, "ok").into_response()
}

/// The Socket Mode WebSocket: says hello, forwards queued envelopes, and
/// records the client's acknowledgements.
async fn socket(State(shared): State<Shared>, upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(move |ws| serve_socket(shared, ws))
}

async fn serve_socket(shared: Shared, mut ws: WebSocket) {
    shared.inner.lock().unwrap().socket_connections += 1;
    shared.changed.notify_waiters();
    let hello = json!({
        "type": "hello", "num_connections": 1,
        "debug_info": { "host": "fake-socket", "build_number": 1, "approximate_connection_time": 18060 },
        "connection_info": { "app_id": "A0BOT" }
    });
    if ws
        .send(WsMessage::Text(hello.to_string().into()))
        .await
        .is_err()
    {
        return;
    }
    let mut outgoing = shared.socket_out.lock().await;
    loop {
        tokio::select! {
            next = outgoing.recv() => {
                let Some(envelope) = next else { return };
                if ws.send(WsMessage::Text(envelope.to_string().into())).await.is_err() {
                    return;
                }
            }
            incoming = ws.recv() => {
                match incoming {
                    Some(Ok(WsMessage::Text(text))) => {
                        if let Ok(value) = serde_json::from_str::<Value>(&text) {
                            if value.get("envelope_id").is_some() {
                                shared.inner.lock().unwrap().socket_acks.push(value);
                                shared.changed.notify_waiters();
                            }
                        }
                    }
                    Some(Ok(WsMessage::Ping(data))) => {
                        let _ = ws.send(WsMessage::Pong(data)).await;
                    }
                    Some(Ok(_)) => {}
                    _ => return,
                }
            }
        }
    }
}
