//! Wiring: builds the clients and store from [`Config`], serves the router,
//! and shuts down cleanly, letting in-flight answers finish.

use std::sync::Arc;
use std::time::Duration;

use slack_morphism::prelude::SlackSigningSecret;
use slack_morphism::signature_verifier::SlackEventSignatureVerifier;
use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::grants::seal::Sealer;
use crate::grants::tapauth::{TapAuthClient, TapAuthError};
use crate::grants::Grants;
use crate::sentry::{SentryClient, SentryError};
use crate::slack::response_url::ResponseUrlClient;
use crate::slack::web::SlackWeb;
use crate::slack::SlackError;
use crate::store::{Store, StoreError};

/// How long shutdown waits for spawned answers to finish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Everything a request handler may need.
pub struct Services {
    /// The configuration the service started with.
    pub config: Config,
    /// Persistent state.
    pub store: Store,
    /// Slack Web API client.
    pub slack: SlackWeb,
    /// Sentry API client.
    pub sentry: SentryClient,
    /// Org → token registry.
    pub grants: Grants,
    /// Cached project lists.
    pub catalog: crate::commands::catalog::ProjectCatalog,
    /// Alert poller state.
    pub poller: crate::poller::PollerState,
    /// Posts answers to `response_url`s.
    pub responder: ResponseUrlClient,
    /// Verifies inbound Slack requests.
    pub verifier: Arc<SlackEventSignatureVerifier>,
    /// Work spawned by handlers, awaited at shutdown.
    pub tasks: TaskTracker,
    /// Bound on answers in progress.
    pub deferred: crate::deferred::DeferredWork,
    /// Slack event ids already handled.
    pub recent_events: crate::recent_ids::RecentIds,
    /// Prometheus exposition, when the recorder is installed.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("config", &self.config)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

/// Shared handle to [`Services`].
pub type AppState = Arc<Services>;

/// Why the service could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A Slack client could not be built.
    #[error(transparent)]
    Slack(#[from] SlackError),
    /// The Sentry client could not be built.
    #[error(transparent)]
    Sentry(#[from] SentryError),
    /// The TapAuth client could not be built.
    #[error(transparent)]
    TapAuth(#[from] TapAuthError),
    /// The listen address is unavailable.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address from BIND or PORT.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The HTTP server failed.
    #[error("HTTP server error: {0}")]
    Serve(#[source] std::io::Error),
}

/// Builds every service from the configuration.
pub async fn build(config: Config) -> Result<AppState, AppError> {
    let store = Store::open(&config.database_url).await?;
    let slack = SlackWeb::new(&config.slack_api_base(), &config.slack_bot_token)?;
    let responder = ResponseUrlClient::new()?;
    let sentry = SentryClient::new(&config.sentry_url, config.sentry_timeout)?;
    let grants = Grants::new(
        store.clone(),
        Sealer::new(config.grant_encryption_key.as_ref()),
        TapAuthClient::new(&config.tapauth_url)?,
        sentry.clone(),
        config.static_grant.clone(),
        config.tapauth_scopes.clone(),
    );
    let verifier = Arc::new(SlackEventSignatureVerifier::new(&SlackSigningSecret::new(
        config.slack_signing_secret.expose().to_string(),
    )));
    Ok(Arc::new(Services {
        config,
        store,
        slack,
        sentry,
        grants,
        catalog: Default::default(),
        poller: Default::default(),
        responder,
        verifier,
        tasks: TaskTracker::new(),
        deferred: Default::default(),
        recent_events: Default::default(),
        metrics: crate::meters::install(),
    }))
}

/// Runs the service until SIGINT or SIGTERM.
pub async fn serve(config: Config) -> Result<(), AppError> {
    let bind = config.bind;
    let state = build(config).await?;
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|source| AppError::Bind { addr: bind, source })?;
    let addr = listener.local_addr().map_err(AppError::Serve)?;
    tracing::info!(
        %addr,
        store = ?state.store.backend(),
        version = env!("CARGO_PKG_VERSION"),
        "listening"
    );
    state
        .tasks
        .spawn(announce_slack_identity(state.slack.clone()));

    let stop = tokio_util::sync::CancellationToken::new();
    let poller = tokio::spawn(crate::poller::run(state.clone(), stop.clone()));
    let socket = state
        .config
        .slack_app_token
        .clone()
        .map(|token| tokio::spawn(crate::socket::run(state.clone(), token, stop.clone())));
    let stop_on_signal = stop.clone();
    axum::serve(listener, crate::http::router(state.clone()))
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            stop_on_signal.cancel();
        })
        .await
        .map_err(AppError::Serve)?;
    stop.cancel();
    if let Some(socket) = socket {
        let _ = tokio::time::timeout(DRAIN_TIMEOUT, socket).await;
    }
    drain_alerts(&state, poller).await;

    state.tasks.close();
    if tokio::time::timeout(DRAIN_TIMEOUT, state.tasks.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            pending = state.tasks.len(),
            "shutdown before every answer was sent"
        );
    }
    state.store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Lets the current tick finish, then posts what is still queued, each bounded.
async fn drain_alerts(state: &AppState, mut poller: tokio::task::JoinHandle<()>) {
    match tokio::time::timeout(DRAIN_TIMEOUT, &mut poller).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "poller ended abnormally"),
        Err(_) => {
            tracing::warn!("the last poll did not finish in time; stopping it");
            poller.abort();
        }
    }
    if tokio::time::timeout(DRAIN_TIMEOUT, crate::poller::deliver(state))
        .await
        .is_err()
    {
        tracing::warn!(
            "shutdown before every queued alert was posted; they are posted after restart"
        );
    }
}

/// Logs who the bot token belongs to, so a wrong token shows at start.
async fn announce_slack_identity(slack: SlackWeb) {
    match slack.auth_test().await {
        Ok(identity) => tracing::info!(
            team = %identity.team,
            team_id = %identity.team_id,
            bot_user = %identity.user_id,
            "connected to Slack"
        ),
        Err(e) => {
            tracing::warn!(error = %e, "Slack auth.test failed: check SLACK_BOT_TOKEN and SLACK_API_URL")
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
