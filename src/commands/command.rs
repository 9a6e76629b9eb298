//! What a `/sentry` command asks for, as data: [`Command`] and the values
//! its arguments carry.

use std::fmt;

use crate::config::Secret;
use crate::quiet::when::MuteFor;
use crate::sentry::issue_ref::IssueRef;
use crate::slack::reference::{SlackGroupRef, SlackUserRef};
use crate::store::{MentionPolicy, ThreadPolicy};

/// A project named in a command: `org/project` or a bare `project`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectRef {
    /// Explicit org slug, when given.
    pub org: Option<String>,
    /// Project slug.
    pub project: String,
}

impl fmt::Display for ProjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.org {
            Some(org) => write!(f, "{org}/{}", self.project),
            None => f.write_str(&self.project),
        }
    }
}

/// Events listed when no count is given.
pub(crate) const DEFAULT_EVENTS: u32 = 5;
/// Most events listed at once.
pub(crate) const MAX_EVENTS: u32 = 20;

/// Options of `/sentry subscribe`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubscribeOptions {
    /// Alert when a resolved or archived issue comes back.
    pub regressions: bool,
    /// More new issues than this in one poll become one digest message.
    pub digest: u32,
    /// Follow-ups go in the alert's thread.
    pub threads: ThreadPolicy,
    /// Whom alerts mention: the assignee (`--mention assignee`, the
    /// default), also suggested owners (`--mention owners`), or nobody
    /// (`--mention none`).
    pub mention: MentionPolicy,
}

impl Default for SubscribeOptions {
    fn default() -> Self {
        Self {
            regressions: true,
            digest: 5,
            threads: ThreadPolicy::Thread,
            mention: MentionPolicy::Assignee,
        }
    }
}

/// Largest `--digest` accepted: a digest message lists at most this many issues.
pub const MAX_DIGEST: u32 = 40;

/// A parsed `/sentry` command. Its variants name the subcommands: strum
/// derives [`Subcommand`], the data-free twin that spec rows, help and
/// errors speak of.
#[derive(Clone, Debug, PartialEq, Eq, strum::EnumDiscriminants)]
#[strum_discriminants(
    name(Subcommand),
    vis(pub),
    derive(Hash, strum::EnumIter),
    doc = "A subcommand without its arguments: what help, usage and errors name."
)]
pub enum Command {
    /// Every command, or one in detail.
    Help {
        /// The command to explain, if one was named.
        topic: Option<Subcommand>,
    },
    /// A project's issues.
    Issues {
        /// Which project.
        project: ProjectRef,
        /// Sentry search query as typed; `None` means the default.
        query: Option<String>,
    },
    /// One issue.
    Issue {
        /// Which issue.
        issue: IssueRef,
    },
    /// An issue's recent events.
    Events {
        /// Which issue.
        issue: IssueRef,
        /// How many, 1 to 20.
        count: u32,
    },
    /// A project's recent releases.
    Releases {
        /// Which project.
        project: ProjectRef,
    },
    /// Projects of linked orgs.
    Projects {
        /// Restrict to one org.
        org: Option<String>,
    },
    /// Linked orgs.
    Orgs,
    /// Start linking an org.
    Link,
    /// Forget an org's grant.
    Unlink {
        /// Org slug.
        org: String,
    },
    /// Subscribe the channel to a project's alerts.
    Subscribe {
        /// Which project.
        project: ProjectRef,
        /// Sentry search query as typed; `None` means the default.
        query: Option<String>,
        /// Alert options.
        options: SubscribeOptions,
    },
    /// Remove the channel's subscription.
    Unsubscribe {
        /// Which project.
        project: ProjectRef,
    },
    /// List the channel's subscriptions.
    Subscriptions,
    /// Who the person acts as in each linked org.
    Whoami,
    /// Set up, or stop, an org's Sentry webhooks.
    Webhooks {
        /// Org slug.
        org: String,
        /// What to do.
        change: WebhookChange,
    },
    /// The running version, commit and store.
    Version,
    /// Who is who between Slack and Sentry, and the maps admins make.
    People {
        /// What to do.
        change: PeopleChange,
    },
    /// The person's own DM settings.
    Notify {
        /// What to do.
        change: NotifyChange,
    },
    /// Hold a subscription's alerts back for a while.
    Mute {
        /// Which subscriptions.
        target: HushTarget,
        /// For how long, or until when.
        length: MuteFor,
    },
    /// End a mute now.
    Unmute {
        /// Which subscriptions.
        target: HushTarget,
    },
    /// Set or clear quiet hours.
    Quiet {
        /// Which subscriptions.
        target: HushTarget,
        /// What to do.
        change: QuietChange,
    },
    /// A project's health report: scheduled, posted now, or stopped.
    Report {
        /// Which project.
        project: ProjectRef,
        /// What to do.
        change: ReportChange,
    },
    /// The channel's scheduled reports.
    Reports,
    /// Whether this channel's alerts arrive (every subscribed channel's,
    /// from a DM), or a retry of what failed.
    Doctor {
        /// Check, or retry.
        action: DoctorAction,
    },
}

/// What `/sentry doctor …` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DoctorAction {
    /// Check and answer.
    Check,
    /// Retry a paused channel and its failed alerts now.
    Retry {
        /// The channel id; this channel when `None`.
        channel: Option<String>,
    },
}

/// The command a *Retry now* button runs for `channel`.
pub(crate) fn retry_command(channel: &str) -> String {
    format!("doctor retry {channel}")
}

/// What `/sentry report <project> …` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportChange {
    /// Post a report now.
    Now,
    /// Stop the channel's report on the project.
    Off,
    /// Post one every day, or every week on `weekly`.
    Schedule {
        /// The weekday of a weekly report; `None` for daily.
        weekly: Option<chrono::Weekday>,
        /// The time of day (09:00 when not given).
        at: Option<chrono::NaiveTime>,
        /// The zone (the person's Slack zone when not given).
        tz: Option<chrono_tz::Tz>,
        /// Search terms every section adds (the whole project when not given).
        query: Option<String>,
    },
}

/// Which of the channel's subscriptions a mute or quiet hours are for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HushTarget {
    /// Every subscription of the channel.
    All,
    /// The channel's subscription to one project.
    Project(ProjectRef),
}

/// What `/sentry quiet <target> …` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuietChange {
    /// Quiet hours from now on: the window words as typed (checked, and
    /// read again in the person's time zone when they name none), and the
    /// query whose alerts come through.
    Set {
        /// `22:00-08:00 [zone] [days]`.
        window: Vec<String>,
        /// `--urgent <query>`.
        urgent: Option<String>,
    },
    /// No quiet hours.
    Off,
}

/// Which of a person's DMs `/sentry notify` turns on or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifyTopic {
    /// An issue was assigned to them.
    Assigned,
    /// An issue assigned to them came back.
    Regressions,
}

/// What `/sentry notify …` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifyChange {
    /// Show the settings and whether the bot can reach the person.
    Show,
    /// Turn one kind of DM on or off.
    Set {
        /// Which kind.
        topic: NotifyTopic,
        /// On or off.
        on: bool,
    },
}

/// What `/sentry people …` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeopleChange {
    /// An org's members and how each is matched to Slack.
    List {
        /// The org, when more than one is linked.
        org: Option<String>,
    },
    /// Map a Slack user to a Sentry member's email or username.
    Map {
        /// The Slack user.
        user: SlackUserRef,
        /// The Sentry email or username (the parser lowercases it).
        identity: String,
    },
    /// Forget a Slack user's map.
    Unmap {
        /// The Slack user.
        user: SlackUserRef,
    },
    /// Map a Sentry team to a Slack user group, or forget the map (`None`).
    Team {
        /// The org, when named (`acme/backend`).
        org: Option<String>,
        /// The team's slug.
        team: String,
        /// The user group; `None` forgets the map.
        group: Option<SlackGroupRef>,
    },
}

/// What `/sentry webhooks <org> …` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebhookChange {
    /// Show the URL, the resources to tick, and the current state.
    Show,
    /// Store the integration's client secret.
    SetSecret(Secret),
    /// Forget the stored secret: deliveries are refused again.
    Remove,
}

impl Command {
    /// The subcommand this command runs.
    pub fn subcommand(&self) -> Subcommand {
        Subcommand::from(self)
    }

    /// Whether the command only reads, so giving up a wait for Sentry
    /// leaves nothing half done (a link waits for approval, the others write).
    pub fn only_reads(&self) -> bool {
        match self {
            // One subcommand that both reads (the list) and writes (maps).
            Command::People { change } => matches!(change, PeopleChange::List { .. }),
            _ => self.subcommand().spec().only_reads,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_people_only_reads_and_mapping_writes() {
        let list = Command::People {
            change: PeopleChange::List { org: None },
        };
        let map = Command::People {
            change: PeopleChange::Unmap {
                user: SlackUserRef::Id("U1".into()),
            },
        };
        assert!(list.only_reads());
        assert!(!map.only_reads());
        assert!(Command::Whoami.only_reads());
        assert!(!Command::Link.only_reads());
    }
}
