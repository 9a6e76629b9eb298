//! What answering a person needs, handed to every capability: the
//! services ([`Context`]) and who asked, where ([`Invocation`]). Commands,
//! clicks and unfurls all run on it.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::task::TaskTracker;

use crate::config::ActionPolicy;
use crate::deferred::DeferredWork;
use crate::orgs::access::Access;
use crate::orgs::issue_service::IssueService;
use crate::orgs::people::Directory;
use crate::slack::response_url::ResponseUrlClient;
use crate::slack::web::SlackWeb;
use crate::slack::Message;
use crate::store::Store;

/// What answering a person needs: commands, clicks and unfurls all run on
/// it. Cheap to clone; spawned answers take their own copy.
#[derive(Clone, Debug)]
pub struct Context {
    /// Sentry, through the org's grant.
    pub issues: Arc<IssueService>,
    /// Subscriptions, alerts, activity.
    pub store: Store,
    /// Slack Web API.
    pub slack: SlackWeb,
    /// Answers through `response_url`s.
    pub responder: ResponseUrlClient,
    /// Work spawned by handlers, awaited at shutdown.
    pub tasks: TaskTracker,
    /// Who asked what, written in batches off the request path.
    pub activity: crate::activity_log::ActivityLog,
    /// Bound on answers in progress.
    pub deferred: DeferredWork,
    /// `ADMIN_SLACK_USERS`: may link and unlink besides workspace admins.
    pub admins: Arc<[String]>,
    /// How often a pending `/sentry link` is polled.
    pub link_poll_interval: Duration,
    /// How long a command that only reads may wait on Sentry.
    pub answer_timeout: Duration,
    /// Who may change issues and subscriptions.
    pub action_policy: ActionPolicy,
    /// Leave a note in Sentry naming who acted from Slack.
    pub sentry_notes: bool,
    /// Where Sentry's webhooks reach the bot, and their secrets.
    pub webhook_setup: crate::orgs::webhook_secrets::WebhookSetup,
    /// Who is who between Sentry and Slack.
    pub people: Directory,
    /// Wakes the delivery worker once a click has planned a DM.
    pub wake_delivery: Arc<tokio::sync::Notify>,
    /// The bot's own Slack user id, from `auth.test` once it is needed.
    pub bot_user: Arc<tokio::sync::OnceCell<String>>,
    /// People whose Home tab was drawn moments ago.
    pub home_drawn: moka::sync::Cache<String, ()>,
}

/// Who ran a command, where, and where its answers go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    /// Slack workspace.
    pub team_id: String,
    /// Slack user.
    pub user_id: String,
    /// Channel.
    pub channel_id: String,
    /// The channel's name without `#`, when Slack sent it.
    pub channel_name: Option<String>,
    /// Where deferred answers go.
    pub response_url: String,
}

impl Context {
    /// The bot's Slack user id (`auth.test`, asked once); `None` while
    /// Slack cannot say.
    pub(crate) async fn bot_user_id(&self) -> Option<&str> {
        self.bot_user
            .get_or_try_init(|| async {
                self.slack
                    .auth_test()
                    .await
                    .map(|identity| identity.user_id)
            })
            .await
            .map_err(|e| tracing::warn!(error = %e, "cannot learn the bot's user id"))
            .ok()
            .map(String::as_str)
    }

    /// The person's Slack time zone; UTC when Slack does not say or names
    /// one this build does not know.
    pub(crate) async fn person_tz(&self, user_id: &str) -> chrono_tz::Tz {
        match self.slack.user_profile(user_id).await {
            Ok(profile) => profile
                .tz
                .as_deref()
                .and_then(crate::quiet::schedule::parse_tz)
                .unwrap_or(chrono_tz::Tz::UTC),
            Err(e) => {
                tracing::info!(error = %e, "users.info failed; reading times in UTC");
                chrono_tz::Tz::UTC
            }
        }
    }

    /// Whether `user_id` is listed in `ADMIN_SLACK_USERS` or Slack says they
    /// are a workspace admin or owner (false when Slack cannot say).
    pub(crate) async fn is_admin(&self, user_id: &str) -> bool {
        self.admins.iter().any(|u| u == user_id)
            || self.slack.user_is_admin(user_id).await.unwrap_or(false)
    }

    /// Whether `user_id` is a workspace admin or owner, or listed in
    /// `ADMIN_SLACK_USERS`; otherwise the refusal, where `doing` completes
    /// "Only … can …".
    pub(crate) async fn require_admin(&self, user_id: &str, doing: &str) -> Result<(), Message> {
        if self.admins.iter().any(|u| u == user_id) {
            return Ok(());
        }
        let listed = if self.admins.is_empty() {
            String::new()
        } else {
            let users: Vec<String> = self.admins.iter().map(|u| format!("<@{u}>")).collect();
            format!(" and {}", users.join(", "))
        };
        match self.slack.user_is_admin(user_id).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(Message::mrkdwn(format!(
                ":lock: Only Slack workspace admins and owners{listed} can {doing}. Ask one of them."
            ))),
            Err(e) => {
                tracing::warn!(error = %e, "users.info failed; cannot tell whether the user is an admin");
                Err(Message::mrkdwn(format!(
                    ":lock: The bot could not check whether you are a workspace admin (Slack said: {}). \
                     Workspace admins and owners{listed} can {doing}; the bot needs the `users:read` scope to tell.",
                    crate::slack::escape::escape_mrkdwn(&e.to_string())
                )))
            }
        }
    }

    /// Who may act, decided with these services.
    pub fn access(&self) -> Access<'_> {
        Access {
            slack: &self.slack,
            issues: &self.issues,
            action_policy: self.action_policy,
            admins: &self.admins,
        }
    }
}
