//! Errors from talking to Slack.

/// Why a call to Slack failed.
#[derive(Debug, thiserror::Error)]
pub enum SlackError {
    /// No answer: connection refused, reset, or timed out.
    #[error("Slack could not be reached: {0}")]
    Unreachable(String),
    /// Slack answered with an HTTP error status.
    #[error("Slack answered HTTP {status}: {body}")]
    Status {
        /// HTTP status code.
        status: u16,
        /// Response body, shortened.
        body: String,
    },
    /// Slack answered `ok: false`.
    #[error("Slack refused the call: {0}")]
    Api(String),
    /// Rate limited, and retrying did not help in time.
    #[error("Slack is rate limiting this bot; retry after {retry_after_secs} s")]
    RateLimited {
        /// Seconds Slack asked to wait.
        retry_after_secs: u64,
    },
    /// The client could not be built.
    #[error("Slack client setup failed: {0}")]
    Setup(String),
}
