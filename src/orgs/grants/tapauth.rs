//! TapAuth, the default grant broker: the bot asks for a grant, a person
//! approves it in the browser, and the bot fetches the token; TapAuth keeps
//! the provider's refresh token. The current API (`/api/v1`) is used first;
//! servers that do not have it get the legacy API.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::config::Secret;
use crate::outbound::{http_client, RetryPolicy};

const RETRY: RetryPolicy = RetryPolicy {
    first_delay: Duration::from_millis(200),
    max_delay: Duration::from_secs(2),
    max_retries: 2,
    max_total: Duration::from_secs(5),
};

/// Which TapAuth API a grant was made with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TapAuthApi {
    /// `/api/v1/grants`, `KEY=VALUE` answers.
    V1,
    /// `/api/grants`, JSON answers.
    Legacy,
}

impl TapAuthApi {
    /// Stable name for storage.
    pub fn as_str(self) -> &'static str {
        match self {
            TapAuthApi::V1 => "v1",
            TapAuthApi::Legacy => "legacy",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Self {
        if s == "legacy" {
            TapAuthApi::Legacy
        } else {
            TapAuthApi::V1
        }
    }
}

/// A grant just created, waiting for approval.
#[derive(Clone, Debug)]
pub struct CreatedGrant {
    /// Grant id.
    pub id: String,
    /// The grant's only credential; returned once.
    pub secret: Secret,
    /// Where the person approves it.
    pub approve_url: String,
    /// The API it was made with.
    pub api: TapAuthApi,
}

/// The state of a grant as TapAuth reports it.
#[derive(Clone, Debug, PartialEq)]
pub enum GrantState {
    /// Approved: here is the token.
    Active {
        /// The provider token.
        token: Secret,
        /// When it expires, if TapAuth says.
        expires_at: Option<SystemTime>,
        /// Scopes granted, if TapAuth says.
        scopes: Option<Vec<String>>,
    },
    /// Not approved yet.
    Pending {
        /// Where to approve, if TapAuth repeats it.
        approve_url: Option<String>,
    },
    /// Approved before, but the person must approve again.
    Expired,
    /// Over: `revoked`, `denied` or `link_expired`; a new grant is needed.
    Ended {
        /// TapAuth's status word.
        status: String,
    },
}

/// Why a TapAuth call failed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum TapAuthError {
    /// 401: the grant secret is wrong.
    #[error("TapAuth rejected the grant secret")]
    Unauthorized,
    /// 404: TapAuth does not know the grant.
    #[error("TapAuth does not know this grant")]
    NotFound,
    /// Unreachable or 5xx after retries.
    #[error("TapAuth is unavailable: {0}")]
    Unavailable(String),
    /// An answer that did not parse.
    #[error("TapAuth's answer did not parse: {0}")]
    Decode(String),
}

/// Talks to TapAuth.
#[derive(Clone, Debug)]
pub struct TapAuthClient {
    http: reqwest::Client,
    base: String,
}

impl TapAuthClient {
    /// A client for the broker at `base` (`TAPAUTH_URL`).
    pub fn new(base: &url::Url) -> Result<Self, TapAuthError> {
        let http = http_client(Duration::from_secs(15))
            .build()
            .map_err(|e| TapAuthError::Unavailable(e.to_string()))?;
        Ok(Self {
            http,
            base: base.as_str().trim_end_matches('/').to_string(),
        })
    }

    /// Asks for a Sentry grant with `scopes`.
    pub async fn create(
        &self,
        scopes: &[String],
        agent_name: &str,
    ) -> Result<CreatedGrant, TapAuthError> {
        let body = json!({ "provider": "sentry", "scopes": scopes, "agent_name": agent_name });
        let v1 = self
            .send(|| {
                self.http
                    .post(format!("{}/api/v1/grants", self.base))
                    .header("accept", "application/json")
                    .json(&body)
            })
            .await?;
        let (api, response) =
            if matches!(v1.0, StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED) {
                let legacy = self
                    .send(|| {
                        self.http
                            .post(format!("{}/api/grants", self.base))
                            .json(&body)
                    })
                    .await?;
                (TapAuthApi::Legacy, legacy)
            } else {
                (TapAuthApi::V1, v1)
            };
        let (status, text) = response;
        if !status.is_success() {
            return Err(TapAuthError::Unavailable(format!(
                "creating a grant answered HTTP {}",
                status.as_u16()
            )));
        }
        parse_created(&text, api)
    }

    /// Polls, fetches and refreshes in one call.
    pub async fn fetch(
        &self,
        id: &str,
        secret: &Secret,
        api: TapAuthApi,
    ) -> Result<GrantState, TapAuthError> {
        let (status, text) = match api {
            TapAuthApi::V1 => {
                self.send(|| {
                    self.http
                        .get(format!("{}/api/v1/grants/{id}", self.base))
                        .bearer_auth(secret.expose())
                        .header("accept", "text/plain")
                })
                .await?
            }
            TapAuthApi::Legacy => {
                self.send(|| {
                    self.http
                        .post(format!("{}/api/grants/{id}/token", self.base))
                        .json(&json!({ "grant_secret": secret.expose() }))
                })
                .await?
            }
        };
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(TapAuthError::Unauthorized),
            StatusCode::NOT_FOUND => Err(TapAuthError::NotFound),
            _ => match api {
                TapAuthApi::V1 => parse_v1_state(status.as_u16(), &text),
                TapAuthApi::Legacy => parse_legacy_state(status.as_u16(), &text),
            },
        }
    }

    /// Sends with retries for connection errors and 5xx; returns status and body.
    async fn send(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<(StatusCode, String), TapAuthError> {
        let mut schedule = RETRY.schedule();
        loop {
            let reason = match build().send().await {
                Ok(response) if !response.status().is_server_error() => {
                    let status = response.status();
                    let text = response
                        .text()
                        .await
                        .map_err(|e| TapAuthError::Unavailable(e.without_url().to_string()))?;
                    return Ok((status, text));
                }
                Ok(response) => format!("HTTP {}", response.status().as_u16()),
                Err(e) => e.without_url().to_string(),
            };
            let Some(wait) = schedule.next() else {
                return Err(TapAuthError::Unavailable(reason));
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// `KEY=VALUE` lines into pairs; blank lines and comments skipped.
pub fn parse_lines(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        .collect()
}

fn line<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// `TAPAUTH_EXPIRES` is Unix seconds on some servers and ISO 8601 on others.
pub fn parse_expiry(value: &str) -> Option<SystemTime> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        // Milliseconds sneak in from some servers.
        let secs = if secs > 100_000_000_000 {
            secs / 1000
        } else {
            secs
        };
        return Some(UNIX_EPOCH + Duration::from_secs(secs));
    }
    let timestamp: jiff::Timestamp = value.parse().ok()?;
    let secs = u64::try_from(timestamp.as_second()).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

fn split_scopes(raw: &str) -> Vec<String> {
    raw.split([' ', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn parse_created(text: &str, api: TapAuthApi) -> Result<CreatedGrant, TapAuthError> {
    // Each name is its own field (not a serde alias): some answers carry
    // both `id` and `grant_id`, or both `approve_url` and `approval_url`.
    #[derive(Deserialize)]
    struct Created {
        grant_id: Option<String>,
        id: Option<String>,
        grant_secret: Option<String>,
        approve_url: Option<String>,
        approval_url: Option<String>,
    }
    if let Ok(created) = serde_json::from_str::<Created>(text) {
        if let (Some(id), Some(secret), Some(url)) = (
            created.grant_id.or(created.id),
            created.grant_secret,
            created.approve_url.or(created.approval_url),
        ) {
            return Ok(CreatedGrant {
                id,
                secret: Secret::new(secret),
                approve_url: url,
                api,
            });
        }
    }
    let pairs = parse_lines(text);
    match (
        line(&pairs, "TAPAUTH_GRANT_ID"),
        line(&pairs, "TAPAUTH_GRANT_SECRET"),
        line(&pairs, "TAPAUTH_APPROVE_URL").or(line(&pairs, "TAPAUTH_APPROVAL_URL")),
    ) {
        (Some(id), Some(secret), Some(url)) => Ok(CreatedGrant {
            id: id.to_string(),
            secret: Secret::new(secret),
            approve_url: url.to_string(),
            api,
        }),
        _ => Err(TapAuthError::Decode(
            "grant creation answer lacks grant_id, grant_secret or approve_url".into(),
        )),
    }
}

/// Reads a v1 `GET /api/v1/grants/{id}` answer.
pub fn parse_v1_state(status: u16, text: &str) -> Result<GrantState, TapAuthError> {
    let pairs = parse_lines(text);
    let word = line(&pairs, "TAPAUTH_STATUS")
        .unwrap_or("")
        .to_ascii_lowercase();
    match (status, word.as_str()) {
        (200, "active") | (200, "") => {
            let token = match (
                line(&pairs, "TAPAUTH_TOKEN_B64"),
                line(&pairs, "TAPAUTH_TOKEN"),
            ) {
                (Some(b64), _) => {
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(b64))
                        .map_err(|_| {
                            TapAuthError::Decode("TAPAUTH_TOKEN_B64 is not base64".into())
                        })?;
                    String::from_utf8(bytes)
                        .map_err(|_| TapAuthError::Decode("token is not UTF-8".into()))?
                }
                (None, Some(plain)) => plain.to_string(),
                (None, None) => {
                    return Err(TapAuthError::Decode("active grant without a token".into()))
                }
            };
            Ok(GrantState::Active {
                token: Secret::new(token.trim()),
                expires_at: line(&pairs, "TAPAUTH_EXPIRES").and_then(parse_expiry),
                scopes: line(&pairs, "TAPAUTH_SCOPES")
                    .or(line(&pairs, "TAPAUTH_SCOPE"))
                    .map(split_scopes),
            })
        }
        (202, _) | (_, "pending") | (_, "pending_registration") | (_, "pending_consent") => {
            Ok(GrantState::Pending {
                approve_url: line(&pairs, "TAPAUTH_APPROVE_URL").map(str::to_string),
            })
        }
        (410, "expired") => Ok(GrantState::Expired),
        (410, other) => Ok(GrantState::Ended {
            status: if other.is_empty() {
                "revoked".into()
            } else {
                other.to_string()
            },
        }),
        (code, other) => Err(TapAuthError::Decode(format!(
            "unexpected answer HTTP {code} status `{other}`"
        ))),
    }
}

/// Reads a legacy `POST /api/grants/{id}/token` answer.
pub fn parse_legacy_state(status: u16, text: &str) -> Result<GrantState, TapAuthError> {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Legacy {
        access_token: Option<String>,
        scope: Option<String>,
        status: Option<String>,
        expires_at: Option<serde_json::Value>,
    }
    let body: Legacy = serde_json::from_str(text).unwrap_or_default();
    match status {
        200 => {
            let token = body
                .access_token
                .ok_or_else(|| TapAuthError::Decode("no access_token".into()))?;
            let expires_at = match body.expires_at {
                Some(serde_json::Value::Number(n)) => {
                    n.as_u64().and_then(|s| parse_expiry(&s.to_string()))
                }
                Some(serde_json::Value::String(s)) => parse_expiry(&s),
                _ => None,
            };
            Ok(GrantState::Active {
                token: Secret::new(token),
                expires_at,
                scopes: body.scope.as_deref().map(split_scopes),
            })
        }
        202 => Ok(GrantState::Pending { approve_url: None }),
        410 => match body.status.as_deref() {
            Some("expired") => Ok(GrantState::Expired),
            other => Ok(GrantState::Ended {
                status: other.unwrap_or("revoked").to_string(),
            }),
        },
        code => Err(TapAuthError::Decode(format!(
            "unexpected legacy answer HTTP {code}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2025-11-29T00:00:00Z, the expiry both test answers give.
    fn nov_29_2025() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_764_374_400)
    }

    /// The token, expiry and scopes of an `active` v1 answer.
    fn active(text: &str) -> (Secret, Option<SystemTime>, Option<Vec<String>>) {
        match parse_v1_state(200, text).unwrap() {
            GrantState::Active {
                token,
                expires_at,
                scopes,
            } => (token, expires_at, scopes),
            other => panic!("expected active, got {other:?}"),
        }
    }

    #[test]
    fn active_v1_answers_with_base64_or_plain_tokens_and_either_expiry() {
        let text = "TAPAUTH_STATUS=active\nTAPAUTH_TOKEN_B64=c250cnlzX2FiYw==\nTAPAUTH_EXPIRES=1764374400\n";
        let (token, expires_at, scopes) = active(text);
        assert_eq!(token.expose(), "sntrys_abc");
        assert_eq!(expires_at, Some(nov_29_2025()));
        assert_eq!(scopes, None);

        let text = "TAPAUTH_STATUS=active\nTAPAUTH_TOKEN=sntrys_plain\nTAPAUTH_EXPIRES=2025-11-29T00:00:00Z\nTAPAUTH_SCOPES=org:read event:write";
        let (token, expires_at, scopes) = active(text);
        assert_eq!(token.expose(), "sntrys_plain");
        assert_eq!(expires_at, Some(nov_29_2025()));
        assert_eq!(scopes.unwrap(), ["org:read", "event:write"]);
        assert_eq!(
            parse_expiry("2025-11-29T01:00:00+01:00"),
            Some(UNIX_EPOCH + Duration::from_secs(1_764_374_400))
        );
    }

    #[test]
    fn pending_expired_and_ended() {
        assert_eq!(
            parse_v1_state(
                202,
                "TAPAUTH_STATUS=pending_consent\nTAPAUTH_APPROVE_URL=https://t/approve/g1"
            )
            .unwrap(),
            GrantState::Pending {
                approve_url: Some("https://t/approve/g1".into())
            }
        );
        assert_eq!(
            parse_v1_state(410, "TAPAUTH_STATUS=expired").unwrap(),
            GrantState::Expired
        );
        for word in ["revoked", "denied", "link_expired"] {
            assert_eq!(
                parse_v1_state(410, &format!("TAPAUTH_STATUS={word}")).unwrap(),
                GrantState::Ended {
                    status: word.into()
                }
            );
        }
        assert!(parse_v1_state(200, "TAPAUTH_STATUS=active").is_err());
    }

    #[test]
    fn creation_answers_in_json_or_lines() {
        let both = r#"{"id":"g2","grant_id":"g2","grant_secret":"s2","approve_url":"https://t/approve/g2","approval_url":"https://t/approve/g2","status":"pending"}"#;
        let created = parse_created(both, TapAuthApi::V1).unwrap();
        assert_eq!(
            (created.id.as_str(), created.approve_url.as_str()),
            ("g2", "https://t/approve/g2")
        );
        assert!(matches!(
            parse_created(r#"{"grant_id":"g"}"#, TapAuthApi::V1),
            Err(TapAuthError::Decode(_))
        ));
        let json = r#"{"grant_id":"g1","grant_secret":"s1","approval_url":"https://t/approve/g1"}"#;
        let created = parse_created(json, TapAuthApi::V1).unwrap();
        assert_eq!((created.id.as_str(), created.secret.expose()), ("g1", "s1"));
        assert_eq!(created.approve_url, "https://t/approve/g1");
        let lines = "TAPAUTH_GRANT_ID=g2\nTAPAUTH_GRANT_SECRET=s2\nTAPAUTH_APPROVE_URL=https://t/approve/g2\n";
        assert_eq!(parse_created(lines, TapAuthApi::V1).unwrap().id, "g2");
        let legacy =
            r#"{"id":"g3","grant_secret":"s3","approval_url":"https://t/a/g3","status":"pending"}"#;
        assert_eq!(parse_created(legacy, TapAuthApi::Legacy).unwrap().id, "g3");
        assert!(parse_created("{}", TapAuthApi::V1).is_err());
    }

    #[test]
    fn legacy_token_answers() {
        let text = r#"{"access_token":"tok","token_type":"bearer","scope":"org:read project:read","provider":"sentry"}"#;
        let GrantState::Active { token, scopes, .. } = parse_legacy_state(200, text).unwrap()
        else {
            panic!("active")
        };
        assert_eq!(token.expose(), "tok");
        assert_eq!(scopes.unwrap(), ["org:read", "project:read"]);
        assert_eq!(
            parse_legacy_state(202, "{}").unwrap(),
            GrantState::Pending { approve_url: None }
        );
        assert_eq!(
            parse_legacy_state(410, r#"{"status":"denied"}"#).unwrap(),
            GrantState::Ended {
                status: "denied".into()
            }
        );
    }
}
