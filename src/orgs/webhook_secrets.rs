//! Sentry webhook client secrets, kept like grants: `SENTRY_WEBHOOK_SECRET`
//! for the static org, else sealed in the store; and where Sentry should
//! deliver ([`WebhookSetup::endpoint`]).

use url::Url;

use crate::config::Secret;
use crate::orgs::grants::seal::Sealer;
use crate::store::{Store, StoreError};

/// Where each org's client secret comes from: `SENTRY_WEBHOOK_SECRET` for
/// the static grant's org, else the sealed secret stored for the org.
#[derive(Clone, Debug)]
pub struct Secrets {
    /// `(SENTRY_ORG, SENTRY_WEBHOOK_SECRET)`, when both are set.
    pub from_environment: Option<(String, Secret)>,
    /// `SENTRY_ORG`: linked by configuration, so it has no grant row.
    pub static_org: Option<String>,
    /// Opens stored secrets.
    pub sealer: Sealer,
}

impl Secrets {
    /// The org's client secret, when one is configured and the org is
    /// still linked: an unlinked org's deliveries are refused even if a
    /// stored secret outlived its grant.
    pub async fn for_org(&self, store: &Store, org: &str) -> Result<Option<Secret>, StoreError> {
        if let Some((static_org, secret)) = &self.from_environment {
            if static_org == org {
                return Ok(Some(secret.clone()));
            }
        }
        let Some(sealed) = store.webhook_secret(org).await? else {
            return Ok(None);
        };
        let linked = self.static_org.as_deref() == Some(org) || store.grant(org).await?.is_some();
        if !linked {
            tracing::info!(org, "webhook for an org that is no longer linked; refused");
            return Ok(None);
        }
        match self.sealer.open(&sealed) {
            Ok(secret) => Ok(Some(secret)),
            Err(e) => {
                tracing::warn!(org, error = %e, "cannot open the stored webhook secret");
                Ok(None)
            }
        }
    }
}

/// Where Sentry should deliver, or why the bot cannot say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// The full webhook URL for the org.
    Url(String),
    /// Slack reaches the bot over Socket Mode and no `PUBLIC_URL` is set:
    /// Sentry has nowhere to deliver.
    SocketModeOnly,
    /// Served over HTTP, but the public address is not configured.
    Unknown,
}

/// What `/sentry webhooks` needs besides the store and Sentry.
#[derive(Clone, Debug)]
pub struct WebhookSetup {
    /// Client secrets by org: the environment's and the sealer for stored ones.
    pub secrets: Secrets,
    /// Where Sentry reaches the bot (`PUBLIC_URL`), when known.
    pub public_url: Option<Url>,
    /// Slack events arrive over Socket Mode.
    pub socket_mode: bool,
}

impl WebhookSetup {
    /// The webhook URL for `org`, or why it is not known.
    pub fn endpoint(&self, org: &str) -> Endpoint {
        match (&self.public_url, self.socket_mode) {
            (Some(base), _) => Endpoint::Url(format!(
                "{}/sentry/webhooks/{org}",
                base.as_str().trim_end_matches('/')
            )),
            (None, true) => Endpoint::SocketModeOnly,
            (None, false) => Endpoint::Unknown,
        }
    }

    /// Whether the org's secret is set by `SENTRY_WEBHOOK_SECRET`.
    pub fn secret_in_environment(&self, org: &str) -> bool {
        self.secrets
            .from_environment
            .as_ref()
            .is_some_and(|(static_org, _)| static_org == org)
    }
}
