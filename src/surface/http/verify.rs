//! Slack request verification, in front of every `/slack/*` route.
//!
//! slack-morphism's verifier checks the HMAC in constant time and the
//! timestamp within 300 s either way. Any failure answers 401 with no
//! detail, before any handler runs. `ssl_check=1` probes are answered 200
//! first, as Slack expects; bodies over 64 KiB get 413.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use slack_morphism::signature_verifier::SlackEventSignatureVerifier;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Rejects unsigned, tampered or stale requests with 401.
pub async fn verify_slack(
    State(verifier): State<Arc<SlackEventSignatureVerifier>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    if declared_length(&parts.headers).is_some_and(|len| len > MAX_BODY_BYTES) {
        return too_large(parts.uri.path());
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return too_large(parts.uri.path());
    };
    if is_ssl_check(&bytes) {
        return StatusCode::OK.into_response();
    }
    if let Err(reason) = check_signature(&verifier, &parts.headers, &bytes) {
        tracing::warn!(path = %parts.uri.path(), reason, "rejected an unverified Slack request");
        return StatusCode::UNAUTHORIZED.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn too_large(path: &str) -> Response {
    tracing::warn!(path, "refused a Slack request body over 64 KiB");
    StatusCode::PAYLOAD_TOO_LARGE.into_response()
}

fn check_signature(
    verifier: &SlackEventSignatureVerifier,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(), &'static str> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signature =
        header(SlackEventSignatureVerifier::SLACK_SIGNED_HASH_HEADER).ok_or("missing signature")?;
    let timestamp =
        header(SlackEventSignatureVerifier::SLACK_SIGNED_TIMESTAMP).ok_or("missing timestamp")?;
    let body = std::str::from_utf8(body).map_err(|_| "body is not UTF-8")?;
    verifier
        .verify(signature, body, timestamp)
        .map_err(|e| match e {
            slack_morphism::signature_verifier::SlackEventSignatureVerifierError::IncorrectOrExpiredTimestampError(_) => "stale or malformed timestamp",
            _ => "signature mismatch",
        })
}

fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(axum::http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

fn is_ssl_check(body: &[u8]) -> bool {
    // Borrowed pairs: every signed request passes here.
    url::form_urlencoded::parse(body).any(|(k, v)| k == "ssl_check" && v == "1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssl_check_is_recognised_only_as_a_form_field() {
        assert!(is_ssl_check(b"ssl_check=1&token=abc"));
        assert!(!is_ssl_check(b"ssl_check=0"));
        assert!(!is_ssl_check(b"text=ssl_check%3D1"));
        assert!(!is_ssl_check(br#"{"ssl_check":"1"}"#));
    }
}
