//! Wiring: builds the clients and store from [`Config`], serves the router,
//! and shuts down cleanly, letting in-flight answers finish.

use std::sync::Arc;
use std::time::Duration;

use slack_morphism::prelude::SlackSigningSecret;
use slack_morphism::signature_verifier::SlackEventSignatureVerifier;
use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;

use crate::alerts::poller;
use crate::alerts::webhooks;
use crate::config::Config;
use crate::orgs::grants::seal::Sealer;
use crate::orgs::grants::tapauth::{TapAuthClient, TapAuthError};
use crate::orgs::grants::Grants;
use crate::orgs::issue_service::IssueService;
use crate::sentry::{SentryClient, SentryError};
use crate::slack::response_url::ResponseUrlClient;
use crate::slack::web::SlackWeb;
use crate::slack::SlackError;
use crate::store::{Store, StoreError};
use crate::surface::http::HttpState;

/// How long shutdown waits for spawned answers to finish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The built service: each part gets only what it uses.
pub struct Services {
    /// The configuration the service started with.
    pub config: Config,
    /// Persistent state.
    pub store: Store,
    /// Sentry for everyone, through the orgs' grants.
    pub issues: Arc<IssueService>,
    /// Answers commands, clicks and unfurls.
    pub requests: crate::context::Context,
    /// The alert poller's context.
    pub poller: crate::alerts::context::Context,
    /// What the HTTP routes and Socket Mode need.
    pub http: HttpState,
}

impl Services {
    /// Writes the activity rows still queued, then closes the store.
    pub async fn close(&self) {
        self.requests.activity.close().await;
        self.store.close().await;
    }
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("config", &self.config)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

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
pub async fn build(config: Config) -> Result<Services, AppError> {
    let store = Store::open(&config.database_url).await?;
    let slack = SlackWeb::new(&config.slack_api_base(), &config.slack_bot_token)?;
    let responder = ResponseUrlClient::new()?;
    let sentry = SentryClient::new(&config.sentry_url, config.sentry_timeout)?;
    let grants = Grants::new(
        store.clone(),
        Sealer::new(config.grant_encryption_key.as_ref()),
        TapAuthClient::new(&config.tapauth_url)?,
        config.static_grant.clone(),
        config.tapauth_scopes.clone(),
        // Unlinking on one replica reaches the others within a poll interval.
        config.poll_interval.min(Duration::from_secs(60)),
    );
    let issues = Arc::new(IssueService::new(grants, sentry));
    let verifier = Arc::new(SlackEventSignatureVerifier::new(&SlackSigningSecret::new(
        config.slack_signing_secret.expose().to_string(),
    )));
    let webhook_secrets = crate::orgs::webhook_secrets::Secrets {
        from_environment: config
            .static_grant
            .as_ref()
            .zip(config.sentry_webhook_secret.clone())
            .map(|(grant, secret)| (grant.org.clone(), secret)),
        static_org: config.static_grant.as_ref().map(|g| g.org.clone()),
        sealer: Sealer::new(config.grant_encryption_key.as_ref()),
    };
    let people = crate::orgs::people::Directory::default();
    let poller_state = Arc::new(crate::alerts::context::PollerState::default());
    let requests = crate::context::Context {
        issues: issues.clone(),
        store: store.clone(),
        slack: slack.clone(),
        responder,
        tasks: TaskTracker::new(),
        activity: crate::activity_log::ActivityLog::start(store.clone()),
        deferred: crate::deferred::DeferredWork::new(config.max_answers_in_progress),
        admins: config.admin_slack_users.clone().into(),
        link_poll_interval: config.tapauth_poll_interval,
        answer_timeout: config.answer_timeout,
        action_policy: config.action_policy,
        sentry_notes: config.sentry_notes,
        webhook_setup: crate::orgs::webhook_secrets::WebhookSetup {
            secrets: webhook_secrets.clone(),
            public_url: config.public_url.clone(),
            socket_mode: config.slack_app_token.is_some(),
        },
        people: people.clone(),
        wake_delivery: poller_state.wake.clone(),
        bot_user: Default::default(),
        home_drawn: moka::sync::Cache::builder()
            .max_capacity(10_000)
            .time_to_live(crate::home::refresh::REOPEN_PAUSE)
            .build(),
    };
    let poller = crate::alerts::context::Context {
        issues: issues.clone(),
        store: store.clone(),
        slack,
        interval: config.poll_interval,
        retention: config.retention,
        gather: config.alert_gather_window,
        state: poller_state,
        stop_posting: Default::default(),
        people,
        admins: config.admin_slack_users.clone().into(),
    };
    let webhooks = webhooks::Context {
        alerts: poller.clone(),
        secrets: webhook_secrets,
    };
    let http = HttpState {
        requests: requests.clone(),
        recent_events: Default::default(),
        verifier,
        webhooks,
        metrics: crate::meters::install(),
    };
    Ok(Services {
        config,
        store,
        issues,
        requests,
        poller,
        http,
    })
}

/// Runs the service until SIGINT or SIGTERM.
pub async fn serve(config: Config) -> Result<(), AppError> {
    let bind = config.bind;
    let services = build(config).await?;
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|source| AppError::Bind { addr: bind, source })?;
    let addr = listener.local_addr().map_err(AppError::Serve)?;
    tracing::info!(
        %addr,
        store = ?services.store.backend(),
        version = env!("CARGO_PKG_VERSION"),
        "listening"
    );
    let tasks = services.requests.tasks.clone();
    tasks.spawn(announce_slack_identity(services.requests.slack.clone()));

    let stop = tokio_util::sync::CancellationToken::new();
    let poller = tokio::spawn(poller::run(services.poller.clone(), stop.clone()));
    let finish_delivery = tokio_util::sync::CancellationToken::new();
    let delivery = tokio::spawn(crate::alerts::worker::run(
        services.poller.clone(),
        finish_delivery.clone(),
    ));
    // Held alerts become catch-ups as mutes and quiet hours end; a
    // catch-up is queued in one transaction, so stopping mid-way loses nothing.
    tokio::spawn(crate::alerts::catch_up::run(
        services.poller.clone(),
        stop.clone(),
    ));
    tokio::spawn(crate::reports::runner::run(
        services.requests.clone(),
        services.poller.state.replica.clone(),
        services.config.poll_interval.min(Duration::from_secs(15)),
        stop.clone(),
    ));
    let socket = services.config.slack_app_token.clone().map(|token| {
        tokio::spawn(crate::surface::socket::run(
            services.http.clone(),
            token,
            stop.clone(),
        ))
    });
    let stop_on_signal = stop.clone();
    let served = axum::serve(
        listener,
        crate::surface::http::router(services.http.clone()),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        stop_on_signal.cancel();
    })
    .await;
    stop.cancel();
    if let Err(e) = served {
        // What was recorded so far is still written.
        services.close().await;
        return Err(AppError::Serve(e));
    }
    if let Some(socket) = socket {
        let _ = tokio::time::timeout(DRAIN_TIMEOUT, socket).await;
    }
    drain_alerts(&services.poller, poller, delivery, finish_delivery).await;

    tasks.close();
    if tokio::time::timeout(DRAIN_TIMEOUT, tasks.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            pending = tasks.len(),
            "shutdown before every answer was sent"
        );
    }
    services.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Lets the current tick finish, then lets the delivery worker post what
/// is still queued. When time runs out no new post starts, and the one in
/// flight may finish (a Slack call is bounded by its timeout), so no post
/// is cut off between Slack and its record.
async fn drain_alerts(
    ctx: &crate::alerts::context::Context,
    poller: tokio::task::JoinHandle<()>,
    delivery: tokio::task::JoinHandle<()>,
    finish_delivery: tokio_util::sync::CancellationToken,
) {
    let stop_posting = ctx.stop_posting.clone();
    let deadline = tokio::spawn(async move {
        tokio::time::sleep(DRAIN_TIMEOUT).await;
        stop_posting.cancel();
    });
    let in_flight_limit = DRAIN_TIMEOUT + crate::slack::web::SLACK_TIMEOUT * 2;
    let drained = tokio::time::timeout(in_flight_limit, async {
        if let Err(e) = poller.await {
            tracing::warn!(error = %e, "poller ended abnormally");
        }
        finish_delivery.cancel();
        if let Err(e) = delivery.await {
            tracing::warn!(error = %e, "delivery worker ended abnormally");
        }
    })
    .await;
    deadline.abort();
    if drained.is_err() || ctx.stop_posting.is_cancelled() {
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
