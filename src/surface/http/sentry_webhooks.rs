//! `POST /sentry/webhooks/{org}`: Sentry's signed issue webhooks. A
//! transport only: it bounds and reads the body, maps headers and answers
//! with the status code the receiver's outcome calls for.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};

use crate::alerts::webhooks::{self, Delivery, Outcome, Refusal, MAX_BODY};
use crate::surface::http::HttpState;

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Verifies and acts on one delivery; 200 once handled (or not needed),
/// 401 unsigned, 400 malformed, 413 too large, 500 when it must be retried.
pub async fn handle(
    State(state): State<Arc<HttpState>>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> (StatusCode, &'static str) {
    let declared = header(&headers, "content-length").and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_BODY) {
        return (StatusCode::PAYLOAD_TOO_LARGE, "body over 1 MiB");
    }
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "body over 1 MiB");
    };
    let delivery = Delivery {
        resource: header(&headers, "sentry-hook-resource"),
        signature: header(&headers, "sentry-hook-signature"),
        request_id: header(&headers, "request-id"),
    };
    let org = org.to_ascii_lowercase();
    match webhooks::receive(&state.webhooks, &org, &delivery, &body).await {
        Ok(outcome) => {
            tracing::info!(%org, resource = ?delivery.resource, ?outcome, "sentry webhook");
            metrics::counter!(crate::meters::SENTRY_WEBHOOKS, "outcome" => match outcome {
                Outcome::Acted => "acted",
                Outcome::Replayed => "replayed",
                Outcome::Ignored => "ignored",
            })
            .increment(1);
            (StatusCode::OK, "ok")
        }
        Err(refusal) => {
            tracing::warn!(%org, error = %refusal, "sentry webhook refused");
            let (status, label, text) = match refusal {
                Refusal::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", "unauthorized"),
                Refusal::BadBody(_) => {
                    (StatusCode::BAD_REQUEST, "malformed", "not an issue webhook")
                }
                Refusal::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "failed", "try again"),
            };
            metrics::counter!(crate::meters::SENTRY_WEBHOOKS, "outcome" => label).increment(1);
            (status, text)
        }
    }
}
