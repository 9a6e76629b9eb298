//! The Slack app manifest, with this deployment's host filled in, so
//! creating the Slack app is one paste.

use url::Url;

/// The manifest template shipped in `manifests/slack-app.yaml`.
pub const TEMPLATE: &str = include_str!("../manifests/slack-app.yaml");

/// Why a manifest could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Slack requires public request URLs over HTTPS.
    #[error(
        "--url must be an https:// URL with a host, like https://sentry-bot.fly.dev (got `{0}`)"
    )]
    BadUrl(String),
}

/// The manifest for the service at `base_url`, unfurling links of `sentry_host`.
pub fn render(base_url: &str, sentry_host: &str) -> Result<String, ManifestError> {
    let url = Url::parse(base_url).map_err(|_| ManifestError::BadUrl(base_url.to_string()))?;
    if url.scheme() != "https" || url.host_str().is_none() {
        return Err(ManifestError::BadUrl(base_url.to_string()));
    }
    let base = url.as_str().trim_end_matches('/');
    Ok(TEMPLATE
        .replace("https://HOST", base)
        .replace("    - sentry.io", &format!("    - {sentry_host}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_in_the_host_everywhere() {
        let manifest = render("https://bot.example.com/", "sentry.example.com").unwrap();
        assert!(!manifest.contains("HOST"));
        assert!(manifest.contains("url: https://bot.example.com/slack/commands"));
        assert!(manifest.contains("request_url: https://bot.example.com/slack/events"));
        assert!(manifest.contains("    - sentry.example.com"));
        assert!(render("http://bot.example.com", "sentry.io").is_err());
        assert!(render("bot.example.com", "sentry.io").is_err());
    }
}
