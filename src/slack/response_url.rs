//! Answers through a command's or interaction's `response_url`.
//!
//! Slack allows five posts within 30 minutes per URL. Transient failures
//! (connection errors, 5xx, 429) are retried with backoff; anything else is
//! final, because resending a rejected message cannot succeed.

use std::time::Duration;

use crate::outbound::{http_client, RetryPolicy};
use crate::slack::{Reply, SlackError};

const RETRY: RetryPolicy = RetryPolicy {
    first_delay: Duration::from_millis(250),
    max_delay: Duration::from_secs(5),
    max_retries: 3,
    max_total: Duration::from_secs(30),
};

/// Posts replies to `response_url`s.
#[derive(Clone, Debug)]
pub struct ResponseUrlClient {
    http: reqwest::Client,
}

impl ResponseUrlClient {
    /// A client with its own connection pool and timeouts.
    pub fn new() -> Result<Self, SlackError> {
        let http = http_client(Duration::from_secs(10))
            .build()
            .map_err(|e| SlackError::Setup(e.to_string()))?;
        Ok(Self { http })
    }

    /// Posts `reply` to `url`, retrying transient failures.
    pub async fn send(&self, url: &str, reply: &Reply) -> Result<(), SlackError> {
        let mut schedule = RETRY.schedule();
        let mut attempts = 0u32;
        let mut waited = Duration::ZERO;
        loop {
            attempts += 1;
            let (error, after) = match self.send_once(url, reply).await {
                Ok(()) => return Ok(()),
                Err(Attempt::Final(error)) => return Err(error),
                Err(Attempt::Retry { error, after }) => (error, after),
            };
            let Some(backoff) = schedule.next() else {
                return Err(error);
            };
            // Slack's Retry-After wins over our own schedule.
            let wait = after.unwrap_or(backoff);
            if waited + wait > RETRY.max_total {
                return Err(error);
            }
            tracing::warn!(
                attempt = attempts,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                %error,
                "response_url post failed; retrying"
            );
            tokio::time::sleep(wait).await;
            waited += wait;
        }
    }

    async fn send_once(&self, url: &str, reply: &Reply) -> Result<(), Attempt> {
        let response =
            self.http
                .post(url)
                .json(reply)
                .send()
                .await
                .map_err(|e| Attempt::Retry {
                    // The URL is a capability to post in the channel: never in errors.
                    error: SlackError::Unreachable(e.without_url().to_string()),
                    after: None,
                })?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body = response.text().await.unwrap_or_default();
        if status.is_success() {
            return Ok(());
        }
        let error = SlackError::Status {
            status: status.as_u16(),
            body: body.chars().take(200).collect(),
        };
        if status.as_u16() == 429 {
            let secs = retry_after.unwrap_or(1);
            return Err(Attempt::Retry {
                error: SlackError::RateLimited {
                    retry_after_secs: secs,
                },
                after: Some(Duration::from_secs(secs)),
            });
        }
        if status.is_server_error() {
            return Err(Attempt::Retry { error, after: None });
        }
        Err(Attempt::Final(error))
    }
}

enum Attempt {
    Final(SlackError),
    Retry {
        error: SlackError,
        after: Option<Duration>,
    },
}
