//! What the alert machinery works with: the services ([`Context`]) and the
//! state kept across ticks ([`PollerState`]). Cheap to clone.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::alerts::backoff::Backoffs;
use crate::alerts::backstop::Backstop;
use crate::alerts::pacer::Pacer;
use crate::alerts::page_prints::PagePrints;
use crate::orgs::issue_service::IssueService;
use crate::slack::web::SlackWeb;
use crate::store::Store;

/// At most one message per this long per channel.
pub(crate) const CHANNEL_GAP: Duration = Duration::from_secs(1);
/// What the poller works with. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Context {
    /// Sentry, through the org's grant.
    pub issues: Arc<IssueService>,
    /// Subscriptions, seen issues, the outbox, leases.
    pub store: Store,
    /// Where alerts are posted.
    pub slack: SlackWeb,
    /// `POLL_INTERVAL`.
    pub interval: Duration,
    /// `RETENTION`: posted alerts and activity older than this are pruned.
    pub retention: Duration,
    /// `ALERT_GATHER_WINDOW`: alerts piling up within it count as one burst.
    pub gather: Duration,
    /// State kept across ticks.
    pub state: Arc<PollerState>,
    /// Cancelled when shutdown can wait no longer: the post in flight
    /// finishes, no new one starts.
    pub stop_posting: CancellationToken,
    /// Who is who between Sentry and Slack, for mentions.
    pub people: crate::orgs::people::Directory,
    /// `ADMIN_SLACK_USERS`: told when a channel refuses alerts.
    pub admins: Arc<[String]>,
}

/// Poller state shared across ticks.
#[derive(Debug)]
pub struct PollerState {
    /// One message per second per channel.
    pub pacer: Pacer,
    /// This replica's name in leases and claims.
    pub replica: String,
    /// Orgs whose polls failed, and until when they wait.
    pub(crate) backoffs: Backoffs,
    /// When rows past retention were last pruned.
    pub(crate) last_prune: Mutex<Option<tokio::time::Instant>>,
    /// When this replica last recorded its subscriptions' polls, and which.
    pub(crate) poll_marks: Mutex<PollMarks>,
    /// Each group's page at its last complete poll.
    pub(crate) page_prints: PagePrints,
    /// When each group was last polled, for orgs whose webhooks are live.
    pub(crate) backstop: Backstop,
    /// Wakes the delivery worker; shared with the request handlers, whose
    /// clicks plan DMs.
    pub(crate) wake: Arc<tokio::sync::Notify>,
}

/// The last record of when subscriptions were polled.
#[derive(Debug, Default)]
pub(crate) struct PollMarks {
    /// When it was written.
    pub at: Option<tokio::time::Instant>,
    /// The subscriptions it covered.
    pub recorded: std::collections::HashSet<String>,
}

impl PollerState {
    /// Tells the delivery worker that alerts are waiting.
    pub fn wake_delivery(&self) {
        self.wake.notify_one();
    }
}

impl Default for PollerState {
    fn default() -> Self {
        let host = std::env::var("FLY_MACHINE_ID")
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_else(|_| "replica".into());
        Self {
            pacer: Pacer::new(CHANNEL_GAP),
            replica: format!("{host}-{:08x}", rand::random::<u32>()),
            backoffs: Backoffs::default(),
            last_prune: Mutex::new(None),
            poll_marks: Mutex::new(PollMarks::default()),
            page_prints: PagePrints::default(),
            backstop: Backstop::default(),
            wake: Arc::new(tokio::sync::Notify::new()),
        }
    }
}

/// Milliseconds of `d`, saturating.
pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// How long finding an assignee in Slack may hold up an alert or its
/// redraw: well inside an alert's 20-second delivery claim.
const MENTION_WAIT: Duration = Duration::from_secs(4);

impl Context {
    /// Plans personal DMs with this context's services.
    pub(crate) fn notifier(&self) -> crate::people::notify::Notifier<'_> {
        crate::people::notify::Notifier {
            services: crate::orgs::people::Services {
                issues: &self.issues,
                store: &self.store,
                slack: &self.slack,
            },
            directory: &self.people,
        }
    }

    /// Whom an alert about `issue` mentions under `policy`, as mrkdwn: the
    /// assignee (see [`Self::assignee_mention`]), or with
    /// [`MentionPolicy::Owners`] and no assignee, Sentry's suggested owner
    /// (mentioned, or named when the bot does not know them in Slack).
    pub(crate) async fn mention(
        &self,
        org: &str,
        issue: &crate::sentry::models::Issue,
        policy: crate::store::MentionPolicy,
    ) -> Option<String> {
        use crate::store::MentionPolicy;
        match policy {
            MentionPolicy::None => None,
            _ if issue.assigned_to.is_some() => self.assignee_mention(org, issue).await,
            MentionPolicy::Assignee => None,
            MentionPolicy::Owners => {
                let services = crate::orgs::people::Services {
                    issues: &self.issues,
                    store: &self.store,
                    slack: &self.slack,
                };
                let find = async {
                    // A webhook's issue carries no suggested owners: read them.
                    let read;
                    let issue = match issue.owners {
                        Some(_) => issue,
                        None => match self.issues.get(org, &issue.id).await {
                            Ok(fresh) => {
                                read = fresh;
                                &read
                            }
                            Err(e) => {
                                tracing::info!(issue = %issue.id, error = %e, "suggested owners unavailable");
                                return None;
                            }
                        },
                    };
                    self.people.owner_mention(services, org, issue).await
                };
                tokio::time::timeout(MENTION_WAIT, find)
                    .await
                    .unwrap_or_else(|_| {
                        tracing::info!(issue = %issue.id, "finding the suggested owner took too long; leaving them out");
                        None
                    })
            }
        }
    }

    /// `issue`'s assignee as a Slack mention (`<@U…>`), when the bot knows
    /// who they are in Slack and finds out within [`MENTION_WAIT`];
    /// otherwise `None`, and the message names them.
    pub(crate) async fn assignee_mention(
        &self,
        org: &str,
        issue: &crate::sentry::models::Issue,
    ) -> Option<String> {
        issue.assigned_to.as_ref()?;
        let services = crate::orgs::people::Services {
            issues: &self.issues,
            store: &self.store,
            slack: &self.slack,
        };
        tokio::time::timeout(
            MENTION_WAIT,
            self.people.assignee_mention(services, org, issue),
        )
        .await
        .unwrap_or_else(|_| {
            tracing::info!(issue = %issue.id, "finding the assignee in Slack took too long; naming them");
            None
        })
    }
}
