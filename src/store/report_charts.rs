//! Report charts served from `PUBLIC_URL` (`report_charts`), by token,
//! until they expire.

use base64::Engine as _;
use sqlx::Row;

use crate::store::{Store, StoreError};

impl Store {
    /// Keeps `png` under `token` until `expires_at_ms`, and drops charts
    /// that expired before `now_ms`.
    pub async fn put_chart(
        &self,
        token: &str,
        png: &[u8],
        expires_at_ms: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.run(sqlx::query("DELETE FROM report_charts WHERE expires_at_ms <= $1").bind(now_ms))
            .await?;
        let encoded = base64::engine::general_purpose::STANDARD.encode(png);
        self.run(
            sqlx::query(
                "INSERT INTO report_charts (token, png_base64, expires_at_ms) VALUES ($1, $2, $3)",
            )
            .bind(token)
            .bind(encoded)
            .bind(expires_at_ms),
        )
        .await
    }

    /// The chart under `token`, unless it is unknown or expired at `now_ms`.
    pub async fn chart(&self, token: &str, now_ms: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query(
            "SELECT png_base64 FROM report_charts WHERE token = $1 AND expires_at_ms > $2",
        )
        .bind(token)
        .bind(now_ms)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let encoded: String = row.try_get("png_base64")?;
        // A row that does not decode is served as missing, not as an error
        // page Slack would show as a broken image.
        Ok(base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok())
    }
}
