//! Sentry failures as types that commands can turn into plain words.

use std::time::SystemTime;

/// Why a Sentry call failed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum SentryError {
    /// 401: the token is invalid, expired or revoked.
    #[error("Sentry rejected the token (HTTP 401)")]
    Unauthorized,
    /// 403: the token lacks a scope the call needs.
    #[error("Sentry refused: the token lacks the `{scope}` scope (HTTP 403)")]
    Forbidden {
        /// The scope the call needs: the one the server's answer names, or
        /// the likely one for the endpoint.
        scope: String,
    },
    /// 404: the org, project or issue does not exist (or is hidden from the token).
    #[error("Sentry has no such {what} (HTTP 404)")]
    NotFound {
        /// What was looked up, like `issue`.
        what: &'static str,
    },
    /// The server has no such endpoint (404 with HTML, 405, 501, or HTML
    /// where JSON was expected): a Sentry-compatible server or an older
    /// self-hosted Sentry; the other documented path may work.
    #[error("this Sentry server has no {endpoint} endpoint (HTTP {status})")]
    EndpointMissing {
        /// The endpoint, like `latest event`.
        endpoint: &'static str,
        /// The status it answered.
        status: u16,
    },
    /// The server does not support a feature at all.
    #[error("this Sentry server does not support {what}")]
    Unsupported {
        /// The feature, like `assignment`.
        what: &'static str,
    },
    /// 400: Sentry rejected the request, usually the search query.
    #[error("Sentry rejected the request: {detail}")]
    BadRequest {
        /// Sentry's `detail`.
        detail: String,
    },
    /// 429 that did not clear within the retry budget.
    #[error("Sentry is rate limiting this org")]
    RateLimited {
        /// When Sentry will accept requests again.
        until: SystemTime,
    },
    /// Timeouts, connection errors or 5xx that retries did not cure.
    #[error("Sentry is unavailable: {reason}")]
    Unavailable {
        /// What happened on the last attempt.
        reason: String,
    },
    /// The response did not parse.
    #[error("Sentry's answer from {endpoint} did not parse: {message}")]
    Decode {
        /// The endpoint, like `org issues`.
        endpoint: &'static str,
        /// The parser's message.
        message: String,
        /// The body was an HTML page, not broken JSON.
        html: bool,
    },
    /// The command's wait for a turn at Sentry ran out (see
    /// [`turns`](crate::sentry::turns)); nothing was asked.
    #[error("Sentry is slow: no turn within {} s", waited.as_secs())]
    TooSlow {
        /// How long the command was allowed to wait.
        waited: std::time::Duration,
    },
    /// The client could not be built or the URL is invalid.
    #[error("Sentry client setup failed: {0}")]
    Setup(String),
}

impl SentryError {
    /// Whether the answer says the route itself is missing (not a resource).
    pub fn means_missing_endpoint(&self) -> bool {
        matches!(
            self,
            SentryError::EndpointMissing { .. } | SentryError::Decode { html: true, .. }
        )
    }

    /// Whether the answer means "not here": the resource or the endpoint is
    /// missing, so the other documented path is worth one try.
    pub fn means_missing(&self) -> bool {
        matches!(
            self,
            SentryError::NotFound { .. }
                | SentryError::EndpointMissing { .. }
                | SentryError::Decode { html: true, .. }
        )
    }

    /// Seconds until a retry may succeed, for "try again in N s" messages.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            SentryError::RateLimited { until } => Some(
                until
                    .duration_since(SystemTime::now())
                    .map(|d| d.as_secs().max(1))
                    .unwrap_or(1),
            ),
            SentryError::Unavailable { .. } => Some(30),
            _ => None,
        }
    }
}

/// Resource families of Sentry's scopes (`project:releases`, `event:write`, …).
const SCOPE_FAMILIES: [&str; 6] = ["org", "project", "team", "member", "event", "alerts"];

/// The Sentry scope a 403 body names, like `project:releases` in "Missing
/// required scope: project:releases"; `None` when it names none. Only
/// `family:word` of lowercase letters is taken, so the result is safe to
/// show. Pure.
pub(crate) fn scope_named_in(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    text.split(|c: char| !(c.is_ascii_lowercase() || c == ':' || c == '_'))
        .find(|word| {
            word.split_once(':').is_some_and(|(family, level)| {
                SCOPE_FAMILIES.contains(&family)
                    && (1..=20).contains(&level.len())
                    && level.chars().all(|c| c.is_ascii_lowercase())
            })
        })
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_403_body_names_its_scope_or_nothing() {
        let named =
            br#"{"detail":"You do not have permission. Missing required scope: project:releases"}"#;
        assert_eq!(scope_named_in(named).as_deref(), Some("project:releases"));
        let plain = br#"{"detail":"You do not have permission to perform this action."}"#;
        assert_eq!(scope_named_in(plain), None);
        assert_eq!(scope_named_in(b"<html>nope: `x`</html>"), None);
        assert_eq!(
            scope_named_in(b"scope event:write, please").as_deref(),
            Some("event:write")
        );
        assert_eq!(scope_named_in(b"evil:<!channel>"), None);
    }
}
