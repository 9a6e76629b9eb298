//! What a catch-up message reports: the alerts a mute or quiet hours held
//! back, counted, with the first few issues as they were planned and as
//! Sentry had them when the hold ended. Stored in a digest's payload, so a
//! replica that does not know catch-ups still posts it as a digest.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::sentry::models::Issue;

/// Alerts held back and now caught up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Held {
    /// What held them.
    pub why: HeldWhy,
    /// From when, Unix milliseconds (the mute's start, or the first held alert).
    pub from_ms: i64,
    /// Until when, Unix milliseconds.
    pub until_ms: i64,
    /// New issues held (routed ones included).
    pub new: usize,
    /// Regressions held.
    pub regressions: usize,
    /// Escalations held.
    #[serde(default)]
    pub escalations: usize,
    /// The first held issues.
    pub shown: Vec<HeldIssue>,
}

impl Held {
    /// How long alerts were held.
    pub(crate) fn length(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.until_ms - self.from_ms).unwrap_or(0))
    }
}

/// Why alerts were held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum HeldWhy {
    /// `/sentry mute`.
    Muted,
    /// `/sentry quiet`.
    QuietHours,
    /// A mute, and quiet hours around it.
    MutedAndQuiet,
    /// Slack refused posts to the channel (the bot was not a member, the
    /// channel was archived, …) until someone fixed it.
    Undeliverable,
}

/// One listed issue of a catch-up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct HeldIssue {
    /// The issue as the alert was planned.
    pub issue: Issue,
    /// Held as a regression rather than a new issue.
    #[serde(default)]
    pub regressed: bool,
    /// Held as an escalation.
    #[serde(default)]
    pub escalated: bool,
    /// Its status when the hold ended, when it could be read.
    #[serde(default)]
    pub now: Option<String>,
}
