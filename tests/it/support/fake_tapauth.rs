//! A fake TapAuth grant broker on 127.0.0.1: the current `/api/v1` API with
//! `KEY=VALUE` answers, and optionally only the legacy JSON API. Each grant
//! follows a script of states (pending, active, expired, denied, …).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine;
use serde_json::{json, Value};

/// One answer to a token fetch.
#[derive(Clone, Debug)]
pub enum Step {
    /// 202 pending.
    Pending,
    /// 200 active with this token.
    Active {
        /// The Sentry token.
        token: String,
        /// `TAPAUTH_EXPIRES` as sent (unix seconds or ISO 8601).
        expires: Option<String>,
        /// `TAPAUTH_SCOPES`, if sent.
        scopes: Option<String>,
    },
    /// 410 with this status (`expired`, `denied`, `revoked`, `link_expired`).
    Gone(&'static str),
    /// A 5xx.
    Down(u16),
}

impl Step {
    /// An active answer with just a token.
    pub fn active(token: &str) -> Self {
        Step::Active {
            token: token.into(),
            expires: None,
            scopes: None,
        }
    }
}

/// One request the fake received.
#[derive(Clone, Debug)]
pub struct Request {
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Bearer credential, if any.
    pub bearer: Option<String>,
    /// Body as JSON (form bodies converted).
    pub body: Value,
}

struct Grant {
    secret: String,
    steps: VecDeque<Step>,
    scopes: Vec<String>,
}

#[derive(Default)]
struct Inner {
    grants: HashMap<String, Grant>,
    next_scripts: VecDeque<Vec<Step>>,
    legacy_only: bool,
    requests: Vec<Request>,
    created: usize,
}

/// Handle to a running fake TapAuth.
#[derive(Clone)]
pub struct FakeTapAuth {
    /// Where it listens.
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl FakeTapAuth {
    /// Starts a fake broker.
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let router = Router::new().fallback(handle).with_state(inner.clone());
        let addr = super::serve_on_loopback(router, "fake TapAuth").await;
        Self { addr, inner }
    }

    /// The base URL, as `TAPAUTH_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next grant created follows `steps` (the last step repeats).
    pub fn script_next_grant(&self, steps: Vec<Step>) {
        self.inner.lock().unwrap().next_scripts.push_back(steps);
    }

    /// Serve only the legacy `/api/grants` API.
    pub fn legacy_only(&self) {
        self.inner.lock().unwrap().legacy_only = true;
    }

    /// Adds an existing grant, as if created and approved earlier.
    pub fn add_grant(&self, id: &str, secret: &str, steps: Vec<Step>) {
        self.inner.lock().unwrap().grants.insert(
            id.to_string(),
            Grant {
                secret: secret.to_string(),
                steps: steps.into(),
                scopes: Vec::new(),
            },
        );
    }

    /// Replaces the remaining steps of grant `id`.
    pub fn set_steps(&self, id: &str, steps: Vec<Step>) {
        self.inner
            .lock()
            .unwrap()
            .grants
            .get_mut(id)
            .expect("grant")
            .steps = steps.into();
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// Scopes asked for by the grant `id`.
    pub fn requested_scopes(&self, id: &str) -> Vec<String> {
        self.inner
            .lock()
            .unwrap()
            .grants
            .get(id)
            .map(|g| g.scopes.clone())
            .unwrap_or_default()
    }

    /// Token fetches for grant `id`.
    pub fn fetches(&self, id: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| {
                r.path == format!("/api/v1/grants/{id}")
                    || r.path == format!("/api/grants/{id}/token")
            })
            .count()
    }
}

fn lines(status: StatusCode, pairs: &[(&str, String)]) -> Response {
    let text: String = pairs.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    (status, [("content-type", "text/plain")], text).into_response()
}

fn next_step(grant: &mut Grant) -> Step {
    if grant.steps.len() > 1 {
        grant.steps.pop_front().expect("non-empty")
    } else {
        grant.steps.front().cloned().unwrap_or(Step::Pending)
    }
}

async fn handle(
    State(inner): State<Arc<Mutex<Inner>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let body_json: Value = if is_json {
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    } else {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
        Value::Object(
            pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        )
    };
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let accept_text = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/plain"));
    let mut guard = inner.lock().unwrap();
    guard.requests.push(Request {
        method: method.to_string(),
        path: uri.path().to_string(),
        bearer: bearer.clone(),
        body: body_json.clone(),
    });
    let base = format!(
        "http://{}",
        headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("tapauth.invalid")
    );
    let segments: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    let legacy_only = guard.legacy_only;
    match (&method, segments.as_slice()) {
        (&Method::POST, ["api", "v1", "grants"]) if !legacy_only => {
            let (id, secret) = create(&mut guard, &body_json);
            let approve = format!("{base}/approve/{id}");
            if accept_text {
                lines(
                    StatusCode::CREATED,
                    &[
                        ("TAPAUTH_GRANT_ID", id),
                        ("TAPAUTH_GRANT_SECRET", secret),
                        ("TAPAUTH_APPROVE_URL", approve),
                    ],
                )
            } else {
                (
                    StatusCode::CREATED,
                    axum::Json(
                        json!({ "grant_id": id, "grant_secret": secret, "approve_url": approve }),
                    ),
                )
                    .into_response()
            }
        }
        (&Method::POST, ["api", "grants"]) => {
            let (id, secret) = create(&mut guard, &body_json);
            let approval = format!("{base}/approve/{id}");
            (StatusCode::OK, axum::Json(json!({ "id": id, "grant_secret": secret, "approval_url": approval, "status": "pending", "expires_at": "2026-12-01T00:00:00Z" }))).into_response()
        }
        (&Method::GET, ["api", "v1", "grants", id]) if !legacy_only => {
            let Some(grant) = guard.grants.get_mut(*id) else {
                return lines(
                    StatusCode::NOT_FOUND,
                    &[("TAPAUTH_ERROR", "not_found".into())],
                );
            };
            if bearer.as_deref() != Some(grant.secret.as_str()) {
                return lines(
                    StatusCode::UNAUTHORIZED,
                    &[("TAPAUTH_ERROR", "invalid_grant_secret".into())],
                );
            }
            match next_step(grant) {
                Step::Pending => lines(
                    StatusCode::ACCEPTED,
                    &[
                        ("TAPAUTH_STATUS", "pending".into()),
                        ("TAPAUTH_APPROVE_URL", format!("{base}/approve/{id}")),
                    ],
                ),
                Step::Active {
                    token,
                    expires,
                    scopes,
                } => {
                    let mut pairs = vec![
                        ("TAPAUTH_STATUS", "active".to_string()),
                        (
                            "TAPAUTH_TOKEN_B64",
                            base64::engine::general_purpose::STANDARD.encode(token),
                        ),
                    ];
                    if let Some(expires) = expires {
                        pairs.push(("TAPAUTH_EXPIRES", expires));
                    }
                    if let Some(scopes) = scopes {
                        pairs.push(("TAPAUTH_SCOPES", scopes));
                    }
                    lines(StatusCode::OK, &pairs)
                }
                Step::Gone(status) => lines(StatusCode::GONE, &[("TAPAUTH_STATUS", status.into())]),
                Step::Down(code) => {
                    (StatusCode::from_u16(code).unwrap(), "maintenance").into_response()
                }
            }
        }
        (&Method::POST, ["api", "grants", id, "token"]) => {
            let Some(grant) = guard.grants.get_mut(*id) else {
                return (
                    StatusCode::NOT_FOUND,
                    axum::Json(json!({ "error": "not_found" })),
                )
                    .into_response();
            };
            if body_json["grant_secret"].as_str() != Some(grant.secret.as_str()) {
                return (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(json!({ "error": "invalid_grant_secret" })),
                )
                    .into_response();
            }
            match next_step(grant) {
                Step::Pending => (StatusCode::ACCEPTED, axum::Json(json!({ "status": "pending" }))).into_response(),
                Step::Active { token, scopes, .. } => (StatusCode::OK, axum::Json(json!({
                    "access_token": token, "token_type": "bearer", "scope": scopes.unwrap_or_default(), "provider": "sentry"
                }))).into_response(),
                Step::Gone(status) => (StatusCode::GONE, axum::Json(json!({ "status": status }))).into_response(),
                Step::Down(code) => (StatusCode::from_u16(code).unwrap(), "maintenance").into_response(),
            }
        }
        _ => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

fn create(inner: &mut Inner, body: &Value) -> (String, String) {
    inner.created += 1;
    let id = format!("grant_{}", inner.created);
    let secret = format!("gs_{}_{:016x}", inner.created, rand::random::<u64>());
    let scopes = match &body["scopes"] {
        Value::Array(list) => list
            .iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect(),
        Value::String(s) => s
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    let steps = inner
        .next_scripts
        .pop_front()
        .unwrap_or_else(|| vec![Step::active("sntrys_default")]);
    inner.grants.insert(
        id.clone(),
        Grant {
            secret: secret.clone(),
            steps: steps.into(),
            scopes,
        },
    );
    (id, secret)
}
