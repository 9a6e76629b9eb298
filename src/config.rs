//! Environment → [`Config`]. Every problem is collected and reported at once,
//! one line per variable, so a misconfigured deploy is fixed in one round.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

/// A credential that must never appear in logs: `Debug` redacts it, there
/// is no `Display`, and its memory is zeroed when dropped.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The credential itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable, coloured lines.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Who may change issues and subscriptions from Slack (`ACTION_POLICY`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ActionPolicy {
    /// People whose Slack email belongs to a member of the Sentry org.
    #[default]
    Members,
    /// Anyone in the workspace.
    Anyone,
    /// Workspace admins and owners, and `ADMIN_SLACK_USERS`.
    Admins,
}

/// The static grant configured by `SENTRY_AUTH_TOKEN` + `SENTRY_ORG`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticGrant {
    /// Organization slug the token belongs to.
    pub org: String,
    /// The Sentry auth token.
    pub token: Secret,
}

/// Everything the service reads from its environment.
#[derive(Clone, Debug)]
pub struct Config {
    /// Verifies every inbound Slack request.
    pub slack_signing_secret: Secret,
    /// `xoxb-…` bot token for the Web API.
    pub slack_bot_token: Secret,
    /// Base of the Slack Web API, without a trailing slash.
    pub slack_api_url: Url,
    /// `xapp-…` app-level token: when set, Slack events arrive over Socket Mode.
    pub slack_app_token: Option<Secret>,
    /// Base of the Sentry web API.
    pub sentry_url: Url,
    /// Longest one Sentry request may take before it is retried.
    pub sentry_timeout: Duration,
    /// Optional static grant for one org.
    pub static_grant: Option<StaticGrant>,
    /// `SENTRY_WEBHOOK_SECRET`: the client secret of the static org's
    /// internal integration, which signs its webhooks.
    pub sentry_webhook_secret: Option<Secret>,
    /// Where Sentry reaches this service (`PUBLIC_URL`, else
    /// `https://$FLY_APP_NAME.fly.dev` on Fly.io): the base of webhook URLs.
    pub public_url: Option<Url>,
    /// Grant broker base URL.
    pub tapauth_url: Url,
    /// Sentry scopes `/sentry link` asks for.
    pub tapauth_scopes: Vec<String>,
    /// How often a pending link is polled.
    pub tapauth_poll_interval: Duration,
    /// Key that encrypts grant secrets at rest, when set.
    pub grant_encryption_key: Option<Secret>,
    /// Slack user IDs allowed to link and unlink orgs besides workspace admins.
    pub admin_slack_users: Vec<String>,
    /// Who may change issues and subscriptions from Slack.
    pub action_policy: ActionPolicy,
    /// Leave a note on the issue in Sentry naming who acted from Slack.
    pub sentry_notes: bool,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: Secret,
    /// How often the poller looks for new issues.
    pub poll_interval: Duration,
    /// Posted alerts and activity older than this are pruned.
    pub retention: Duration,
    /// Alerts that pile up for one subscription within this window count
    /// as one burst: past its digest limit they are gathered into one
    /// digest, updated in place at most once per window.
    pub alert_gather_window: Duration,
    /// Answers acknowledged and still waiting on Sentry, per replica;
    /// past this a request is told to retry.
    pub max_answers_in_progress: usize,
    /// How long a command that only reads may wait on Sentry before it is
    /// stopped and the person is told Sentry is slow.
    pub answer_timeout: Duration,
    /// Listen address.
    pub bind: SocketAddr,
    /// Log output format.
    pub log_format: LogFormat,
}

/// One configuration problem, naming the variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The environment variable at fault.
    pub variable: &'static str,
    /// What is wrong with it and what is expected.
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.message)
    }
}

/// All problems found in one pass over the environment.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// One entry per faulty variable.
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// Longest `ALERT_GATHER_WINDOW` accepted.
pub const MAX_ALERT_GATHER_WINDOW: Duration = Duration::from_secs(60);

/// The Sentry scopes the bot asks for by default: enough to list and change
/// issues and to search members and teams for assignment.
pub const DEFAULT_SCOPES: &str = "org:read project:read team:read member:read event:write";

/// Default values from the configuration contract.
pub mod defaults {
    /// Slack Web API base.
    pub const SLACK_API_URL: &str = "https://slack.com/api";
    /// Sentry SaaS.
    pub const SENTRY_URL: &str = "https://sentry.io";
    /// Per-request Sentry timeout.
    pub const SENTRY_TIMEOUT: &str = "20s";
    /// TapAuth grant broker.
    pub const TAPAUTH_URL: &str = "https://tapauth.ai";
    /// SQLite file in the working directory.
    pub const DATABASE_URL: &str = "sqlite://sentry-slack-bot.db";
    /// Poll interval.
    pub const POLL_INTERVAL: &str = "60s";
    /// How long posted alerts and activity are kept.
    pub const RETENTION: &str = "30d";
    /// Window in which piled-up alerts count as one burst.
    pub const ALERT_GATHER_WINDOW: &str = "2s";
    /// Scopes asked of TapAuth.
    pub const TAPAUTH_SCOPES: &str = super::DEFAULT_SCOPES;
    /// How often a pending link is polled.
    pub const TAPAUTH_POLL_INTERVAL: &str = "3s";
    /// How long a command that only reads may wait on Sentry.
    pub const ANSWER_TIMEOUT: &str = "25s";
    /// Listen address.
    pub const BIND: &str = "0.0.0.0:3000";
}

/// Collects problems while reading variables.
struct Reader<'a, F: Fn(&str) -> Option<String>> {
    lookup: &'a F,
    problems: Vec<ConfigProblem>,
}

impl<F: Fn(&str) -> Option<String>> Reader<'_, F> {
    /// A variable's value, with blank values treated as unset.
    fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    fn problem(&mut self, variable: &'static str, message: impl Into<String>) {
        self.problems.push(ConfigProblem {
            variable,
            message: message.into(),
        });
    }

    fn required(&mut self, name: &'static str, what: &str) -> Option<String> {
        let value = self.get(name);
        if value.is_none() {
            self.problem(name, format!("is required ({what})"));
        }
        value
    }

    fn duration(&mut self, name: &'static str, default: &str, min: Duration) -> Option<Duration> {
        let raw = self.get(name).unwrap_or_else(|| default.to_string());
        match humantime::parse_duration(&raw) {
            Ok(d) if d >= min => Some(d),
            Ok(_) => {
                let min = humantime::format_duration(min);
                self.problem(name, format!("`{raw}` is shorter than {min}"));
                None
            }
            Err(_) => {
                self.problem(
                    name,
                    format!("`{raw}` is not a duration (examples: 500ms, 2s, 5m)"),
                );
                None
            }
        }
    }

    fn url(&mut self, name: &'static str, default: &str) -> Option<Url> {
        let raw = self.get(name).unwrap_or_else(|| default.to_string());
        match Url::parse(raw.trim_end_matches('/')) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Some(url),
            Ok(_) => {
                self.problem(name, format!("`{raw}` must be an http:// or https:// URL"));
                None
            }
            Err(e) => {
                self.problem(name, format!("`{raw}` is not a URL ({e})"));
                None
            }
        }
    }
}

/// What the configuration is for; only the service needs Slack credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// `serve`: Slack settings are required.
    Serve,
    /// `command`: runs without Slack.
    Terminal,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env(purpose: Purpose) -> Result<Self, ConfigError> {
        Self::from_lookup_for(
            &|name| std::env::var(name).ok(),
            stdout_is_terminal(),
            purpose,
        )
    }

    /// Reads configuration for `serve` through `lookup`; `tty` picks the
    /// default log format.
    pub fn from_lookup<F: Fn(&str) -> Option<String>>(
        lookup: &F,
        tty: bool,
    ) -> Result<Self, ConfigError> {
        Self::from_lookup_for(lookup, tty, Purpose::Serve)
    }

    /// Reads configuration for `purpose` through `lookup`.
    pub fn from_lookup_for<F: Fn(&str) -> Option<String>>(
        lookup: &F,
        tty: bool,
        purpose: Purpose,
    ) -> Result<Self, ConfigError> {
        let mut r = Reader {
            lookup,
            problems: Vec::new(),
        };

        let (signing_secret, bot_token) = match purpose {
            Purpose::Serve => (
                r.required(
                    "SLACK_SIGNING_SECRET",
                    "the Signing Secret from your Slack app's Basic Information page",
                ),
                r.required(
                    "SLACK_BOT_TOKEN",
                    "the xoxb-… Bot User OAuth Token from your Slack app's OAuth & Permissions page",
                ),
            ),
            Purpose::Terminal => (
                Some(r.get("SLACK_SIGNING_SECRET").unwrap_or_default()),
                Some(r.get("SLACK_BOT_TOKEN").unwrap_or_else(|| "xoxb-unused".into())),
            ),
        };
        if let Some(token) = &bot_token {
            if !token.starts_with("xoxb-") {
                r.problem(
                    "SLACK_BOT_TOKEN",
                    "must be a bot token starting with `xoxb-`",
                );
            }
        }
        let slack_api_url = r.url("SLACK_API_URL", defaults::SLACK_API_URL);
        let slack_app_token = r.get("SLACK_APP_TOKEN");
        if slack_app_token
            .as_ref()
            .is_some_and(|t| !t.starts_with("xapp-"))
        {
            r.problem(
                "SLACK_APP_TOKEN",
                "must be an app-level token starting with `xapp-` (Basic Information → App-Level Tokens, scope connections:write)",
            );
        }
        let sentry_url = r.url("SENTRY_URL", defaults::SENTRY_URL);
        let tapauth_url = r.url("TAPAUTH_URL", defaults::TAPAUTH_URL);

        let static_grant = match (r.get("SENTRY_AUTH_TOKEN"), r.get("SENTRY_ORG")) {
            (Some(token), Some(org)) => {
                if is_slug(&org) {
                    Some(StaticGrant {
                        org: org.to_lowercase(),
                        token: Secret::new(token),
                    })
                } else {
                    r.problem(
                        "SENTRY_ORG",
                        format!("`{org}` is not an organization slug (letters, digits, `-`, `_`)"),
                    );
                    None
                }
            }
            (Some(_), None) => {
                r.problem(
                    "SENTRY_ORG",
                    "is required when SENTRY_AUTH_TOKEN is set (the slug of the token's organization)",
                );
                None
            }
            (None, Some(_)) => {
                r.problem(
                    "SENTRY_AUTH_TOKEN",
                    "is required when SENTRY_ORG is set (an internal-integration or auth token)",
                );
                None
            }
            (None, None) => None,
        };
        let sentry_webhook_secret = r.get("SENTRY_WEBHOOK_SECRET").map(Secret::new);
        if sentry_webhook_secret.is_some() && static_grant.is_none() {
            r.problem(
                "SENTRY_WEBHOOK_SECRET",
                "is the static grant's webhook secret: set SENTRY_AUTH_TOKEN and SENTRY_ORG too",
            );
        }

        let public_url = match (r.get("PUBLIC_URL"), r.get("FLY_APP_NAME")) {
            (Some(_), _) => r.url("PUBLIC_URL", ""),
            (None, Some(app)) if is_slug(&app) => {
                Url::parse(&format!("https://{app}.fly.dev")).ok()
            }
            (None, _) => None,
        };

        let tapauth_scopes: Vec<String> = r
            .get("TAPAUTH_SCOPES")
            .unwrap_or_else(|| defaults::TAPAUTH_SCOPES.to_string())
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if let Some(bad) = tapauth_scopes.iter().find(|s| !is_scope(s)) {
            let message = format!("`{bad}` is not a Sentry scope (like `event:write`)");
            r.problem("TAPAUTH_SCOPES", message);
        }
        let max_answers_in_progress = match r.get("MAX_ANSWERS_IN_PROGRESS") {
            None => crate::deferred::DEFAULT_LIMIT,
            Some(raw) => match raw.parse::<usize>() {
                Ok(n) if (1..=1_000_000).contains(&n) => n,
                _ => {
                    r.problem(
                        "MAX_ANSWERS_IN_PROGRESS",
                        format!("`{raw}` is not a whole number from 1 to 1000000"),
                    );
                    crate::deferred::DEFAULT_LIMIT
                }
            },
        };
        let answer_timeout = r
            .duration(
                "ANSWER_TIMEOUT",
                defaults::ANSWER_TIMEOUT,
                Duration::from_millis(100),
            )
            .and_then(|wait| {
                // A response_url lives 30 minutes; nobody waits that long.
                if wait > Duration::from_secs(600) {
                    r.problem("ANSWER_TIMEOUT", "must be at most 10m");
                    None
                } else {
                    Some(wait)
                }
            });
        let tapauth_poll_interval = r.duration(
            "TAPAUTH_POLL_INTERVAL",
            defaults::TAPAUTH_POLL_INTERVAL,
            Duration::from_millis(50),
        );

        let grant_encryption_key = r.get("GRANT_ENCRYPTION_KEY");
        if let Some(key) = &grant_encryption_key {
            let decoded = base64::engine::general_purpose::STANDARD.decode(key);
            if !matches!(decoded, Ok(ref bytes) if bytes.len() == 32) {
                r.problem(
                    "GRANT_ENCRYPTION_KEY",
                    "must be 32 bytes encoded as base64 (generate one with `openssl rand -base64 32`)",
                );
            }
        }

        let admin_slack_users = r
            .get("ADMIN_SLACK_USERS")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|id| !id.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        if let Some(bad) = admin_slack_users
            .iter()
            .find(|id| !id.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            let message = format!("`{bad}` is not a Slack user ID (like U012AB3CD)");
            r.problem("ADMIN_SLACK_USERS", message);
        }

        let action_policy = match r
            .get("ACTION_POLICY")
            .as_deref()
            .map(str::to_ascii_lowercase)
        {
            None => ActionPolicy::Members,
            Some(v) if v == "members" => ActionPolicy::Members,
            Some(v) if v == "anyone" => ActionPolicy::Anyone,
            Some(v) if v == "admins" => ActionPolicy::Admins,
            Some(v) => {
                r.problem(
                    "ACTION_POLICY",
                    format!("`{v}` is not `members`, `anyone` or `admins`"),
                );
                ActionPolicy::Members
            }
        };
        let sentry_notes = match r
            .get("SENTRY_NOTES")
            .as_deref()
            .map(str::to_ascii_lowercase)
        {
            None => true,
            Some(v) if matches!(v.as_str(), "true" | "1" | "yes" | "on") => true,
            Some(v) if matches!(v.as_str(), "false" | "0" | "no" | "off") => false,
            Some(v) => {
                r.problem("SENTRY_NOTES", format!("`{v}` is not `true` or `false`"));
                true
            }
        };

        let database_url = r
            .get("DATABASE_URL")
            .unwrap_or_else(|| defaults::DATABASE_URL.to_string());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            r.problem("DATABASE_URL", "must start with `sqlite:` or `postgres://`");
        }

        let poll_interval = r.duration(
            "POLL_INTERVAL",
            defaults::POLL_INTERVAL,
            Duration::from_millis(100),
        );
        let sentry_timeout = r.duration(
            "SENTRY_TIMEOUT",
            defaults::SENTRY_TIMEOUT,
            Duration::from_millis(100),
        );
        let retention = r.duration("RETENTION", defaults::RETENTION, Duration::from_secs(1));
        let alert_gather_window = r.duration(
            "ALERT_GATHER_WINDOW",
            defaults::ALERT_GATHER_WINDOW,
            Duration::from_millis(100),
        );
        if alert_gather_window.is_some_and(|w| w > MAX_ALERT_GATHER_WINDOW) {
            r.problem(
                "ALERT_GATHER_WINDOW",
                "must be at most 1m: a longer window holds alerts back too long",
            );
        }

        let bind = match (r.get("BIND"), r.get("PORT")) {
            (Some(bind), _) => parse_socket_addr(&mut r, "BIND", &bind),
            (None, Some(port)) => match port.parse::<u16>() {
                Ok(port) => Some(SocketAddr::from(([0, 0, 0, 0], port))),
                Err(_) => {
                    r.problem("PORT", format!("`{port}` is not a port number (0–65535)"));
                    None
                }
            },
            (None, None) => parse_socket_addr(&mut r, "BIND", defaults::BIND),
        };

        let log_format = match r.get("LOG_FORMAT").as_deref() {
            None if tty => Some(LogFormat::Pretty),
            None => Some(LogFormat::Json),
            Some(v) if v.eq_ignore_ascii_case("pretty") => Some(LogFormat::Pretty),
            Some(v) if v.eq_ignore_ascii_case("json") => Some(LogFormat::Json),
            Some(v) => {
                r.problem("LOG_FORMAT", format!("`{v}` is not `pretty` or `json`"));
                None
            }
        };

        if !r.problems.is_empty() {
            return Err(ConfigError {
                problems: r.problems,
            });
        }
        let retention = retention.unwrap_or(Duration::from_secs(30 * 24 * 3600));
        let alert_gather_window = alert_gather_window.unwrap_or(Duration::from_secs(2));
        // Every `None` above recorded a problem, so these are all present.
        match (
            signing_secret,
            bot_token,
            slack_api_url,
            sentry_url,
            tapauth_url,
            poll_interval,
            tapauth_poll_interval,
            sentry_timeout,
            answer_timeout,
            bind,
            log_format,
        ) {
            (
                Some(signing_secret),
                Some(bot_token),
                Some(slack_api_url),
                Some(sentry_url),
                Some(tapauth_url),
                Some(poll_interval),
                Some(tapauth_poll_interval),
                Some(sentry_timeout),
                Some(answer_timeout),
                Some(bind),
                Some(log_format),
            ) => Ok(Config {
                slack_signing_secret: Secret::new(signing_secret),
                slack_bot_token: Secret::new(bot_token),
                slack_api_url,
                slack_app_token: slack_app_token.map(Secret::new),
                sentry_url,
                sentry_timeout,
                static_grant,
                sentry_webhook_secret,
                public_url,
                tapauth_url,
                tapauth_scopes,
                tapauth_poll_interval,
                grant_encryption_key: grant_encryption_key.map(Secret::new),
                admin_slack_users,
                action_policy,
                sentry_notes,
                database_url: Secret::new(database_url),
                poll_interval,
                retention,
                alert_gather_window,
                max_answers_in_progress,
                answer_timeout,
                bind,
                log_format,
            }),
            _ => Err(ConfigError {
                problems: vec![ConfigProblem {
                    variable: "(internal)",
                    message: "configuration incomplete".into(),
                }],
            }),
        }
    }

    /// The Slack Web API base as a string without a trailing slash.
    pub fn slack_api_base(&self) -> String {
        self.slack_api_url
            .as_str()
            .trim_end_matches('/')
            .to_string()
    }
}

fn parse_socket_addr<F: Fn(&str) -> Option<String>>(
    r: &mut Reader<'_, F>,
    name: &'static str,
    raw: &str,
) -> Option<SocketAddr> {
    match raw.parse::<SocketAddr>() {
        Ok(addr) => Some(addr),
        Err(_) => {
            r.problem(
                name,
                format!("`{raw}` is not a listen address (like 0.0.0.0:3000 or 127.0.0.1:8080)"),
            );
            None
        }
    }
}

/// True for Sentry organization and project slugs.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

/// True for Sentry scopes such as `event:write`.
fn is_scope(s: &str) -> bool {
    s.split_once(':').is_some_and(|(resource, access)| {
        !resource.is_empty()
            && resource.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            && matches!(access, "read" | "write" | "admin")
    })
}

fn stdout_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(&|name| map.get(name).cloned(), false)
    }

    const MINIMAL: &[(&str, &str)] = &[
        ("SLACK_SIGNING_SECRET", "s3cret"),
        ("SLACK_BOT_TOKEN", "xoxb-1-2-3"),
    ];

    #[test]
    fn minimal_environment_gets_contract_defaults() {
        let c = config(MINIMAL).expect("valid");
        assert_eq!(c.slack_api_base(), "https://slack.com/api");
        assert_eq!(c.sentry_url.as_str(), "https://sentry.io/");
        assert_eq!(c.tapauth_url.as_str(), "https://tapauth.ai/");
        assert_eq!(c.database_url.expose(), "sqlite://sentry-slack-bot.db");
        assert_eq!(c.poll_interval, Duration::from_secs(60));
        assert_eq!(c.bind, "0.0.0.0:3000".parse::<SocketAddr>().unwrap());
        assert_eq!(c.log_format, LogFormat::Json);
        assert!(c.static_grant.is_none());
        assert!(c.public_url.is_none());
        assert_eq!(
            c.tapauth_scopes,
            [
                "org:read",
                "project:read",
                "team:read",
                "member:read",
                "event:write"
            ]
        );
        assert_eq!(c.tapauth_poll_interval, Duration::from_secs(3));
        assert_eq!(c.max_answers_in_progress, crate::deferred::DEFAULT_LIMIT);
        assert_eq!(c.answer_timeout, Duration::from_secs(25));
    }

    #[test]
    fn the_bound_on_answers_in_progress_can_be_set_but_not_to_nonsense() {
        let mut vars = MINIMAL.to_vec();
        vars.push(("MAX_ANSWERS_IN_PROGRESS", "100"));
        assert_eq!(config(&vars).expect("valid").max_answers_in_progress, 100);
        for bad in ["0", "-5", "many", "2000000"] {
            let mut vars = MINIMAL.to_vec();
            vars.push(("MAX_ANSWERS_IN_PROGRESS", bad));
            let err = config(&vars).expect_err(bad);
            assert_eq!(err.problems[0].variable, "MAX_ANSWERS_IN_PROGRESS");
            assert!(err
                .to_string()
                .contains(&format!("`{bad}` is not a whole number")));
        }
        let mut vars = MINIMAL.to_vec();
        vars.push(("ANSWER_TIMEOUT", "2h"));
        let err = config(&vars).expect_err("too long");
        assert!(
            err.to_string()
                .contains("ANSWER_TIMEOUT: must be at most 10m"),
            "{err}"
        );
        let mut vars = MINIMAL.to_vec();
        vars.push(("ANSWER_TIMEOUT", "5s"));
        assert_eq!(
            config(&vars).expect("valid").answer_timeout,
            Duration::from_secs(5)
        );
    }

    #[test]
    fn every_problem_is_reported_at_once_naming_the_variable() {
        let err = config(&[
            ("SLACK_BOT_TOKEN", "xoxp-user-token"),
            ("SLACK_API_URL", "ftp://example"),
            ("POLL_INTERVAL", "soon"),
            ("BIND", "localhost"),
            ("LOG_FORMAT", "xml"),
            ("DATABASE_URL", "mysql://x"),
            ("SENTRY_ORG", "acme"),
            ("GRANT_ENCRYPTION_KEY", "c2hvcnQ="),
        ])
        .expect_err("invalid");
        let vars: Vec<&str> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            vars,
            [
                "SLACK_SIGNING_SECRET",
                "SLACK_BOT_TOKEN",
                "SLACK_API_URL",
                "SENTRY_AUTH_TOKEN",
                "GRANT_ENCRYPTION_KEY",
                "DATABASE_URL",
                "POLL_INTERVAL",
                "BIND",
                "LOG_FORMAT",
            ]
        );
        let text = err.to_string();
        assert_eq!(text.lines().count(), 9);
        assert!(text.contains("POLL_INTERVAL: `soon` is not a duration"));
    }

    #[test]
    fn durations_ports_and_formats_parse() {
        let mut vars = MINIMAL.to_vec();
        vars.extend([
            ("POLL_INTERVAL", "500ms"),
            ("PORT", "8080"),
            ("LOG_FORMAT", "pretty"),
            ("SLACK_API_URL", "http://127.0.0.1:9999/api/"),
        ]);
        let c = config(&vars).expect("valid");
        assert_eq!(c.poll_interval, Duration::from_millis(500));
        assert_eq!(c.bind.port(), 8080);
        assert_eq!(c.log_format, LogFormat::Pretty);
        assert_eq!(c.slack_api_base(), "http://127.0.0.1:9999/api");

        vars.push(("POLL_INTERVAL", "5m"));
        vars.push(("BIND", "127.0.0.1:0"));
        let c = config(&vars).expect("valid");
        assert_eq!(c.poll_interval, Duration::from_secs(300));
        assert_eq!(c.bind.port(), 0, "BIND wins over PORT");
    }

    #[test]
    fn static_grant_needs_both_halves() {
        let mut vars = MINIMAL.to_vec();
        vars.extend([("SENTRY_AUTH_TOKEN", "sntrys_abc"), ("SENTRY_ORG", "Acme")]);
        let c = config(&vars).expect("valid");
        let grant = c.static_grant.expect("static grant");
        assert_eq!(grant.org, "acme");
        assert_eq!(grant.token.expose(), "sntrys_abc");
    }

    #[test]
    fn public_url_is_set_or_taken_from_fly() {
        let mut vars = MINIMAL.to_vec();
        vars.push(("FLY_APP_NAME", "acme-sentry"));
        let c = config(&vars).expect("valid");
        assert_eq!(
            c.public_url.map(String::from).as_deref(),
            Some("https://acme-sentry.fly.dev/")
        );
        vars.push(("PUBLIC_URL", "https://bot.example.com/"));
        let c = config(&vars).expect("valid");
        assert_eq!(
            c.public_url.map(String::from).as_deref(),
            Some("https://bot.example.com/")
        );
        let mut bad = MINIMAL.to_vec();
        bad.push(("PUBLIC_URL", "bot.example.com"));
        let problems = config(&bad).unwrap_err().problems;
        assert_eq!(problems[0].variable, "PUBLIC_URL");
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let mut vars = MINIMAL.to_vec();
        vars.extend([("SENTRY_AUTH_TOKEN", "sntrys_abc"), ("SENTRY_ORG", "acme")]);
        let c = config(&vars).expect("valid");
        let debug = format!("{c:?}");
        assert!(!debug.contains("s3cret"));
        assert!(!debug.contains("xoxb-1-2-3"));
        assert!(!debug.contains("sntrys_abc"));
        assert!(debug.contains("[redacted]"));
    }
}
