//! Starts the real `sentry-slack-bot serve` binary on an ephemeral port with
//! a temporary SQLite database, pointed at a fake Slack.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use super::fake_sentry::{FakeSentry, Mode};
use super::fake_slack::FakeSlack;
use super::fake_tapauth::FakeTapAuth;
use super::signer;

/// The signing secret every test app uses.
pub const SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
/// The bot token every test app and fake Slack use.
pub const BOT_TOKEN: &str = "xoxb-test-0000-secret-token";

/// A running service and what it talks to.
pub struct TestApp {
    /// Where the service listens.
    pub addr: SocketAddr,
    /// The fake Slack it calls.
    pub slack: FakeSlack,
    /// The fake Sentry it calls.
    pub sentry: FakeSentry,
    /// The fake TapAuth it calls.
    pub tapauth: FakeTapAuth,
    /// The SQLite file it uses.
    pub database_path: PathBuf,
    /// Plain HTTP client for requests to the service.
    pub http: reqwest::Client,
    child: Child,
    logs: Arc<Mutex<Vec<String>>>,
    env: Env,
    _dir: tempfile::TempDir,
}

/// Extra environment for [`spawn_app_with`].
pub type Env = Vec<(&'static str, String)>;

/// Starts the service with the default test configuration.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Vec::new()).await
}

/// Starts the service with `extra` environment variables added.
pub async fn spawn_app_with(extra: Env) -> TestApp {
    spawn_app_in(Mode::SentryIo, extra).await
}

/// Starts the service against a fake Sentry playing `mode`.
pub async fn spawn_app_in(mode: Mode, extra: Env) -> TestApp {
    let slack = FakeSlack::start(BOT_TOKEN).await;
    let sentry = FakeSentry::start_in(mode).await;
    let tapauth = FakeTapAuth::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let database_path = dir.path().join("bot.db");
    let logs = Arc::new(Mutex::new(Vec::new()));
    let mut env: Env = vec![
        ("SLACK_API_URL", slack.api_url()),
        ("SENTRY_URL", sentry.url()),
        ("TAPAUTH_URL", tapauth.url()),
        // Tests of other features click as anyone; the policy tests set it.
        ("ACTION_POLICY", "anyone".into()),
        (
            "DATABASE_URL",
            format!("sqlite://{}", database_path.display()),
        ),
    ];
    env.extend(extra);
    let (child, addr) = launch(dir.path(), &env, &logs).await;
    TestApp {
        addr,
        slack,
        sentry,
        tapauth,
        database_path,
        http: reqwest::Client::new(),
        child,
        logs,
        env,
        _dir: dir,
    }
}

/// Starts `sentry-slack-bot serve` in `dir` and waits until it listens.
async fn launch(
    dir: &std::path::Path,
    env: &Env,
    logs: &Arc<Mutex<Vec<String>>>,
) -> (Child, SocketAddr) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sentry-slack-bot"));
    command
        .arg("serve")
        .current_dir(dir)
        .env_clear()
        .env("SLACK_SIGNING_SECRET", SIGNING_SECRET)
        .env("SLACK_BOT_TOKEN", BOT_TOKEN)
        .env("TAPAUTH_POLL_INTERVAL", "100ms")
        .env("BIND", "127.0.0.1:0")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("start sentry-slack-bot");
    let (addr_tx, addr_rx) = std::sync::mpsc::channel::<SocketAddr>();
    let stdout = child.stdout.take().expect("stdout");
    let stdout_logs = logs.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(entry) = serde_json::from_str::<Value>(&line) {
                if entry["message"] == "listening" {
                    if let Some(addr) = entry["addr"].as_str().and_then(|a| a.parse().ok()) {
                        let _ = addr_tx.send(addr);
                    }
                }
            }
            stdout_logs.lock().unwrap().push(line);
        }
    });
    let stderr = child.stderr.take().expect("stderr");
    let stderr_logs = logs.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            stderr_logs.lock().unwrap().push(line);
        }
    });
    let addr = tokio::task::spawn_blocking(move || addr_rx.recv_timeout(Duration::from_secs(30)))
        .await
        .expect("join")
        .unwrap_or_else(|_| {
            panic!(
                "service did not start; logs:\n{}",
                logs.lock().unwrap().join("\n")
            )
        });
    (child, addr)
}

impl TestApp {
    /// `http://addr/path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The service's `/metrics` text.
    pub async fn metrics(&self) -> String {
        self.http
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text")
    }

    /// A slash-command form body for `/sentry <text>` from Alice.
    pub fn command_form(text: &str, response_url: &str) -> String {
        Self::command_form_as("U0ALICE", text, response_url)
    }

    /// A slash-command form body for `/sentry <text>` from `user_id`.
    pub fn command_form_as(user_id: &str, text: &str, response_url: &str) -> String {
        Self::command_form_in("C0ALERTS", user_id, text, response_url)
    }

    /// A slash-command form body for `/sentry <text>` from `user_id` in `channel_id`.
    pub fn command_form_in(
        channel_id: &str,
        user_id: &str,
        text: &str,
        response_url: &str,
    ) -> String {
        serde_urlencoded::to_string([
            ("token", "deprecated-verification-token"),
            ("team_id", "T0ACME"),
            ("team_domain", "acme-corp"),
            ("channel_id", channel_id),
            ("channel_name", "alerts"),
            ("user_id", user_id),
            ("user_name", "someone"),
            ("command", "/sentry"),
            ("text", text),
            ("api_app_id", "A0BOT"),
            ("response_url", response_url),
            ("trigger_id", "13345224609.738474920.8088930838d88f008e0"),
        ])
        .expect("encodes")
    }

    /// Posts `body` to `path` signed now with the right secret.
    pub async fn post_signed(
        &self,
        path: &str,
        content_type: &str,
        body: String,
    ) -> reqwest::Response {
        let ts = signer::now();
        let signature = signer::sign(SIGNING_SECRET, ts, &body);
        self.post_with(path, content_type, body, Some(ts), Some(signature))
            .await
    }

    /// Posts an interaction `payload` (a click, a menu choice) signed now.
    pub async fn interact(&self, payload: &Value) -> reqwest::Response {
        let body =
            serde_urlencoded::to_string([("payload", payload.to_string())]).expect("encodes");
        self.post_signed(
            "/slack/interactions",
            "application/x-www-form-urlencoded",
            body,
        )
        .await
    }

    /// Alice clicks `action` on an answer only she sees in `#alerts`;
    /// returns the answer sent to the click's `response_url`.
    pub async fn click(&self, action: Value) -> Value {
        let (url, id) = self.slack.response_url();
        let payload = serde_json::json!({
            "type": "block_actions",
            "user": { "id": "U0ALICE" }, "team": { "id": "T0ACME" }, "channel": { "id": "C0ALERTS" },
            "container": { "type": "message", "is_ephemeral": true },
            "response_url": url,
            "actions": [action]
        });
        assert_eq!(self.interact(&payload).await.status().as_u16(), 200);
        self.slack.wait_for_responses(&id, 1).await.remove(0)
    }

    /// Posts with explicit signature headers (either may be left out).
    pub async fn post_with(
        &self,
        path: &str,
        content_type: &str,
        body: String,
        timestamp: Option<i64>,
        signature: Option<String>,
    ) -> reqwest::Response {
        let mut request = self
            .http
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body);
        if let Some(ts) = timestamp {
            request = request.header("x-slack-request-timestamp", ts.to_string());
        }
        if let Some(signature) = signature {
            request = request.header("x-slack-signature", signature);
        }
        request.send().await.expect("request reaches the service")
    }

    /// Sends a signed `/sentry <text>`; returns the response and the id of
    /// its `response_url` on the fake Slack.
    pub async fn command(&self, text: &str) -> (reqwest::Response, String) {
        let (url, id) = self.slack.response_url();
        let response = self
            .post_signed(
                "/slack/commands",
                "application/x-www-form-urlencoded",
                Self::command_form(text, &url),
            )
            .await;
        (response, id)
    }

    /// Sends a signed `/sentry <text>` as `user_id`.
    pub async fn command_as(&self, user_id: &str, text: &str) -> (reqwest::Response, String) {
        let (url, id) = self.slack.response_url();
        let response = self
            .post_signed(
                "/slack/commands",
                "application/x-www-form-urlencoded",
                Self::command_form_as(user_id, text, &url),
            )
            .await;
        (response, id)
    }

    /// Sends a signed `/sentry <text>` from Alice in `channel_id`.
    pub async fn command_in(&self, channel_id: &str, text: &str) -> (reqwest::Response, String) {
        let (url, id) = self.slack.response_url();
        let form = Self::command_form_in(channel_id, "U0ALICE", text, &url);
        let response = self
            .post_signed("/slack/commands", "application/x-www-form-urlencoded", form)
            .await;
        (response, id)
    }

    /// Everything the service has logged so far.
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }

    /// Waits until a log line contains `needle`.
    pub async fn wait_for_log(&self, needle: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !self.logs().contains(needle) {
            assert!(
                std::time::Instant::now() < deadline,
                "no log line with {needle:?}; logs:\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Kills the service with SIGKILL and starts it again on the same
    /// database and fakes, as after a crash.
    pub async fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, addr) = launch(self._dir.path(), &self.env, &self.logs).await;
        self.child = child;
        self.addr = addr;
    }

    /// A connection to the service's SQLite file, to read what it stored.
    pub async fn database(&self) -> sqlx::SqliteConnection {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&self.database_path);
        sqlx::ConnectOptions::connect(&options)
            .await
            .expect("the service's database opens")
    }

    /// The service's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits for a clean exit; returns the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        for _ in 0..1200 {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("service did not stop within 30 s of SIGTERM");
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Several `serve` processes sharing one database and the same fakes.
pub struct Cluster {
    /// The fake Slack they call.
    pub slack: FakeSlack,
    /// The fake Sentry they call.
    pub sentry: FakeSentry,
    /// The fake TapAuth they call.
    pub tapauth: FakeTapAuth,
    replicas: Vec<Option<(Child, SocketAddr)>>,
    logs: Vec<Arc<Mutex<Vec<String>>>>,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Cluster {
    /// Starts `count` replicas on `database_url` with `extra` environment.
    pub async fn start(count: usize, database_url: &str, extra: Env) -> Self {
        let slack = FakeSlack::start(BOT_TOKEN).await;
        let sentry = FakeSentry::start().await;
        let tapauth = FakeTapAuth::start().await;
        let dir = tempfile::tempdir().expect("temp dir");
        let mut env: Env = vec![
            ("SLACK_API_URL", slack.api_url()),
            ("SENTRY_URL", sentry.url()),
            ("TAPAUTH_URL", tapauth.url()),
            ("DATABASE_URL", database_url.to_string()),
            ("ACTION_POLICY", "anyone".into()),
        ];
        env.extend(extra);
        let mut replicas = Vec::new();
        let mut logs = Vec::new();
        for _ in 0..count {
            let log = Arc::new(Mutex::new(Vec::new()));
            let (child, addr) = launch(dir.path(), &env, &log).await;
            replicas.push(Some((child, addr)));
            logs.push(log);
        }
        Self {
            slack,
            sentry,
            tapauth,
            replicas,
            logs,
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    /// `count` replicas with org `acme` (project `api`) linked by a static
    /// token and a 300 ms poll interval, plus `extra` environment.
    pub async fn start_acme(count: usize, database_url: &str, extra: Env) -> Self {
        let mut env: Env = vec![
            ("SENTRY_AUTH_TOKEN", "tok-acme".into()),
            ("SENTRY_ORG", "acme".into()),
            ("POLL_INTERVAL", "300ms".into()),
        ];
        env.extend(extra);
        let cluster = Self::start(count, database_url, env).await;
        cluster.sentry.add_org("acme", &["api"]);
        cluster
            .sentry
            .add_token("tok-acme", "acme", super::ALL_SCOPES);
        cluster
    }

    /// Kills replica `index` with SIGKILL.
    pub fn kill(&mut self, index: usize) {
        if let Some((mut child, _)) = self.replicas[index].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends a signed `/sentry <text>` to replica `index` from `channel_id`.
    pub async fn command(&self, index: usize, channel_id: &str, text: &str) -> String {
        let (_, addr) = self.replicas[index].as_ref().expect("replica alive");
        let (url, id) = self.slack.response_url();
        let body = TestApp::command_form_in(channel_id, "U0ALICE", text, &url);
        let response =
            signer::signed_form(&self.http, &format!("http://{addr}/slack/commands"), body)
                .send()
                .await
                .expect("request");
        assert_eq!(response.status().as_u16(), 200);
        id
    }

    /// The URL of `path` on replica `index`.
    #[allow(dead_code)]
    pub fn url(&self, index: usize, path: &str) -> String {
        let (_, addr) = self.replicas[index].as_ref().expect("replica alive");
        format!("http://{addr}{path}")
    }

    /// The index of the replica whose poller calls itself `name`.
    pub fn replica_named(&self, name: &str) -> Option<usize> {
        let needle = format!("\"replica\":\"{name}\"");
        (0..self.logs.len()).find(|i| self.logs(*i).contains(&needle))
    }

    /// Everything replica `index` logged.
    pub fn logs(&self, index: usize) -> String {
        self.logs[index].lock().unwrap().join("\n")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for index in 0..self.replicas.len() {
            self.kill(index);
        }
    }
}
