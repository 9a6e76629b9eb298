//! Storms: when new-issue alerts pile up for one subscription (an incident
//! pushes hundreds of webhooks in seconds), they are gathered into one
//! digest under the same `--digest N` rule as a poll, and the digest is
//! updated in place while the storm goes on instead of posted again. Pure.

use std::time::Duration;

use crate::alerts::alert::Digest;
use crate::alerts::messages::Beyond;
use crate::sentry::models::Issue;

/// A digest stays open for more of its storm this many gathering windows
/// after it was last drawn; later alerts start afresh (alone, or a new
/// digest), so a quiet channel hears about them.
pub(crate) const OPEN_WINDOWS: u32 = 3;

/// Issues a storm's digest lists; the rest are counted. Fewer than a
/// poll's digest: in an incident the channel needs the shape at a glance,
/// and `/sentry issues` lists the rest.
pub(crate) const STORM_ROWS: usize = 10;

/// What a subscription's pending new-issue alerts call for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gathering {
    /// Post the oldest on its own.
    Alone,
    /// Start a digest with every pending one.
    NewDigest,
    /// Add every pending one to the open digest, once it was drawn at
    /// least a gathering window ago (at most one update per window).
    IntoOpenDigest,
}

/// Decides for one subscription: `pending` new-issue alerts wait, of which
/// `posted_alone` more were posted on their own within the last gathering
/// window, under a digest limit of `limit`; `open_digest` when a digest of
/// the subscription was drawn within [`OPEN_WINDOWS`] windows.
pub(crate) fn gathering(
    pending: usize,
    posted_alone: usize,
    limit: u32,
    open_digest: bool,
) -> Gathering {
    if pending == 0 {
        return Gathering::Alone;
    }
    if open_digest {
        return Gathering::IntoOpenDigest;
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if pending + posted_alone > limit {
        Gathering::NewDigest
    } else {
        Gathering::Alone
    }
}

/// How long the window a digest stays open for lasts.
pub(crate) fn open_for(window: Duration) -> Duration {
    window * OPEN_WINDOWS
}

/// `digest` (or a new digest of `project` when `None`) with `issues`
/// counted in: the first [`STORM_ROWS`] are listed, every one is counted.
pub(crate) fn grown(
    digest: Option<Digest>,
    issues: Vec<Issue>,
    project: &str,
    limit: u32,
) -> Digest {
    let mut digest = digest.unwrap_or_else(|| Digest {
        issues: Vec::new(),
        total: 0,
        project: project.to_string(),
        limit,
        beyond: Beyond::Nothing,
        held: None,
    });
    digest.total += issues.len();
    let room = STORM_ROWS.saturating_sub(digest.issues.len());
    digest.issues.extend(issues.into_iter().take(room));
    digest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(id: usize) -> Issue {
        serde_json::from_value(serde_json::json!({ "id": id.to_string(), "title": "x" }))
            .expect("issue")
    }

    #[test]
    fn a_lone_alert_posts_alone_and_a_pile_becomes_a_digest() {
        assert_eq!(gathering(1, 0, 5, false), Gathering::Alone);
        assert_eq!(gathering(5, 0, 5, false), Gathering::Alone);
        assert_eq!(gathering(6, 0, 5, false), Gathering::NewDigest);
        // Alerts posted alone a moment ago count toward the burst.
        assert_eq!(gathering(2, 4, 5, false), Gathering::NewDigest);
    }

    #[test]
    fn an_open_digest_takes_whatever_is_pending() {
        assert_eq!(gathering(1, 0, 5, true), Gathering::IntoOpenDigest);
        assert_eq!(gathering(0, 9, 5, true), Gathering::Alone);
    }

    #[test]
    fn a_grown_digest_lists_the_first_rows_and_counts_every_issue() {
        let first = grown(None, (0..7).map(issue).collect(), "api", 5);
        assert_eq!((first.total, first.issues.len()), (7, 7));
        assert_eq!(first.limit, 5);
        let second = grown(Some(first), (7..200).map(issue).collect(), "api", 5);
        assert_eq!(second.total, 200);
        assert_eq!(second.issues.len(), STORM_ROWS);
        assert_eq!(second.issues[6].id, "6");
        let last = STORM_ROWS - 1;
        assert_eq!(second.issues[last].id, last.to_string());
    }

    #[test]
    fn a_digest_stays_open_a_few_windows() {
        assert_eq!(open_for(Duration::from_secs(2)), Duration::from_secs(6));
    }
}
