//! `GET /charts/{token}.png`: a report's chart, for Slack to fetch from
//! the image block that names it. The token is the only key: unknown or
//! expired ones get 404, the same answer, so tokens cannot be probed.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::surface::http::HttpState;

/// Whether `token` is one the bot makes: 64 lowercase hex digits.
fn well_formed(token: &str) -> bool {
    token.len() == 64
        && token
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The chart, or 404.
pub async fn chart(State(state): State<Arc<HttpState>>, Path(file): Path<String>) -> Response {
    let Some(token) = file.strip_suffix(".png").filter(|t| well_formed(t)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match state
        .requests
        .store
        .chart(token, crate::store::now_ms())
        .await
    {
        Ok(Some(png)) => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "private, max-age=86400"),
            ],
            png,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read a report chart");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_tokens_the_bot_makes_are_looked_up() {
        assert!(super::well_formed(&"a1".repeat(32)));
        assert!(!super::well_formed("../../etc/passwd"));
        assert!(!super::well_formed(&"A1".repeat(32)));
        assert!(!super::well_formed("abc"));
    }
}
